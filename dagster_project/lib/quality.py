"""Great Expectations suites as Dagster asset checks (one check per suite; blocking unless the suite says not)."""

from __future__ import annotations

import dagster as dg
import duckdb

from dagster_project.lib.env import WAREHOUSE_WRITER_POOL, current
from expectations.spec import SuiteSpec


def _run_suite(spec: SuiteSpec) -> dg.AssetCheckResult:
    from expectations.runner import record, validate

    with duckdb.connect(str(current().warehouse)) as con:
        result = validate(spec, con)
        record(result, con)
    failing = [
        {"expectation": r.expectation, "column": r.column, "unexpected_count": r.unexpected_count,
         "examples": [str(x) for x in r.unexpected_examples[:5]], "kwargs": {k: str(v) for k, v in r.kwargs.items()}}
        for r in result.failures
    ]
    return dg.AssetCheckResult(
        passed=result.success,
        severity=dg.AssetCheckSeverity.ERROR if spec.blocking else dg.AssetCheckSeverity.WARN,
        description=spec.description or None,
        metadata={
            "suite": spec.name,
            "rows_validated": result.rows,
            "rules": len(result.rules),
            "failing_rules": dg.MetadataValue.json(failing),
            "run_id": result.run_id,
            "results_table": "quality.validation_results",
        },
    )


def gx_asset_check(spec: SuiteSpec) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(list(spec.asset)),
        name=f"gx_{spec.name}",
        description=f"Great Expectations suite `{spec.name}`: {spec.description}",
        blocking=spec.blocking,
        pool=WAREHOUSE_WRITER_POOL,
    )
    def _check() -> dg.AssetCheckResult:
        return _run_suite(spec)

    return _check
