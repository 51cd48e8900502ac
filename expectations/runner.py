"""Validate warehouse tables with Great Expectations through its pandas path, in batches.

GX 1.24's SQL datasource fails on DuckDB (duckdb_engine reflection), so rows are read with DuckDB and handed to GX
as pandas batches. Row-wise results are merged across batches (unexpected counts add up; a rule holds when it holds
in every batch, or for `mostly` on the totals); table-level rules run once on the suite's aggregate query.
Every run is appended to `quality.validation_results`.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import duckdb

from expectations.spec import SuiteSpec

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")


@dataclass
class RuleResult:
    expectation: str
    column: str | None
    success: bool
    element_count: int = 0
    unexpected_count: int = 0
    unexpected_examples: list[Any] = field(default_factory=list)
    observed_value: Any = None
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass
class SuiteResult:
    suite: str
    asset: tuple[str, ...]
    run_id: str
    success: bool
    rows: int
    rules: list[RuleResult]

    @property
    def failures(self) -> list[RuleResult]:
        return [r for r in self.rules if not r.success]


def _context():
    import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    return context


def _validate_frame(context, name: str, expectations, frame) -> list[RuleResult]:
    import great_expectations as gx

    source = context.data_sources.add_or_update_pandas(f"adledger_{name}")
    asset = source.add_dataframe_asset(f"{name}_{uuid.uuid4().hex[:8]}")
    batch = asset.add_batch_definition_whole_dataframe("whole").get_batch(batch_parameters={"dataframe": frame})
    suite = gx.ExpectationSuite(name=name, expectations=list(expectations))
    outcome = batch.validate(suite)
    rules = []
    for res in outcome.results:
        cfg = res.expectation_config
        info = res.result or {}
        rules.append(
            RuleResult(
                expectation=cfg.type,
                column=cfg.kwargs.get("column"),
                success=bool(res.success),
                element_count=int(info.get("element_count") or 0),
                unexpected_count=int(info.get("unexpected_count") or 0),
                unexpected_examples=list(info.get("partial_unexpected_list") or [])[:10],
                observed_value=info.get("observed_value"),
                kwargs={k: v for k, v in cfg.kwargs.items() if k not in ("batch_id",)},
            )
        )
    return rules


def _merge(batches: list[list[RuleResult]]) -> list[RuleResult]:
    merged: list[RuleResult] = []
    for per_rule in zip(*batches):
        first = per_rule[0]
        elements = sum(r.element_count for r in per_rule)
        unexpected = sum(r.unexpected_count for r in per_rule)
        mostly = first.kwargs.get("mostly")
        if mostly is not None and elements:
            success = (elements - unexpected) / elements >= mostly
        else:
            success = all(r.success for r in per_rule)
        examples = [x for r in per_rule for x in r.unexpected_examples][:10]
        merged.append(
            RuleResult(first.expectation, first.column, success, elements, unexpected, examples,
                       first.observed_value if len(per_rule) == 1 else None, first.kwargs)
        )
    return merged


def validate(spec: SuiteSpec, con: duckdb.DuckDBPyConnection) -> SuiteResult:
    """Run one suite against the warehouse behind `con`."""
    context = _context()
    rules: list[RuleResult] = []
    rows = 0
    if spec.row_query and spec.expectations():
        reader = con.execute(spec.row_query).to_arrow_reader(spec.batch_rows)
        per_batch = []
        for record_batch in reader:
            rows += record_batch.num_rows
            per_batch.append(_validate_frame(context, spec.name, spec.expectations(), record_batch.to_pandas()))
        if not per_batch:  # an empty table: validate the empty frame once so the rules report
            import pandas as pd

            empty = pd.DataFrame({c: pd.Series(dtype=object) for c in reader.schema.names})
            per_batch.append(_validate_frame(context, spec.name, spec.expectations(), empty))
        rules.extend(_merge(per_batch))
    if spec.table_query and spec.table_expectations():
        frame = con.execute(spec.table_query).fetchdf()
        rules.extend(_validate_frame(context, f"{spec.name}_table", spec.table_expectations(), frame))
    return SuiteResult(spec.name, spec.asset, uuid.uuid4().hex, all(r.success for r in rules), rows, rules)


def record(result: SuiteResult, con: duckdb.DuckDBPyConnection) -> None:
    """Append a suite result (one row per rule) to `quality.validation_results`."""
    con.execute("create schema if not exists quality")
    con.execute(
        """
        create table if not exists quality.validation_results (
            run_id varchar, validated_at timestamptz, suite varchar, asset varchar, expectation varchar,
            "column" varchar, success boolean, element_count bigint, unexpected_count bigint, details json
        )
        """
    )
    now = datetime.now(timezone.utc)
    con.executemany(
        "insert into quality.validation_results values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (result.run_id, now, result.suite, "/".join(result.asset), r.expectation, r.column, r.success,
             r.element_count, r.unexpected_count,
             json.dumps({"kwargs": r.kwargs, "unexpected_examples": r.unexpected_examples,
                         "observed_value": r.observed_value}, default=str))
            for r in result.rules
        ],
    )
