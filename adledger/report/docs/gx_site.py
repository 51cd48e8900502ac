"""Great Expectations Data Docs of the project's suites (`expectations/suites/`), validated on the warehouse now.

GX 1.x renders Data Docs from the expectation suites and validation results in a Data Context's stores
(https://docs.greatexpectations.io/docs/core/configure_project_settings/configure_data_docs/). The suites run as
the Dagster checks run them (`expectations/runner.py`): the row query streamed in batches of `batch_rows`, each
batch one validation, and the table-level rules once on the suite's aggregate query. The context is a throwaway
file context; only the rendered site is kept. The site's stylesheets load from GX's CDN; offline the pages show
unstyled but complete.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

SITE = "adledger"


@dataclass(frozen=True)
class SuiteRun:
    suite: str
    table: str
    validations: int
    rows: int
    success: bool
    note: str = ""  # why the suite did not run (its table is not there yet)


def _checkpoint(context, name: str, source, asset_name: str, expectations):  # type: ignore[no-untyped-def]
    import great_expectations as gx

    asset = source.add_dataframe_asset(asset_name)
    batches = asset.add_batch_definition_whole_dataframe(f"{name} batch")
    suite = context.suites.add(gx.ExpectationSuite(name=name, expectations=list(expectations)))
    definition = context.validation_definitions.add(gx.ValidationDefinition(name=name, data=batches, suite=suite))
    return context.checkpoints.add(gx.Checkpoint(name=name, validation_definitions=[definition], actions=[]))


def build_gx_docs(warehouse: Path, out_dir: Path, suites: dict | None = None) -> tuple[Path, list[SuiteRun]]:
    """Validate `suites` (default: every suite of `expectations.suites`) on `warehouse` (read-only) and render
    the Data Docs into `out_dir` (replaced). Returns the site's index page and one `SuiteRun` per suite."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    import pandas as pd

    from expectations.suites import SUITES

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    suites = SUITES if suites is None else suites
    staging = out_dir.with_name(f".{out_dir.name}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    runs = []
    with tempfile.TemporaryDirectory(prefix="adledger-gx-") as root, \
            duckdb.connect(str(warehouse), read_only=True) as con:
        context = gx.get_context(mode="file", project_root_dir=root)
        context.variables.progress_bars = {"globally": False}
        context.add_data_docs_site(SITE, {
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(staging)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        })
        source = context.data_sources.add_pandas("warehouse")
        present = {".".join(r) for r in con.execute("select table_schema, table_name from information_schema.tables"
                                                    ).fetchall()}
        for spec in suites.values():
            table = ".".join(spec.asset)
            if table not in present:
                runs.append(SuiteRun(spec.name, table, 0, 0, False, f"{table} is not in the warehouse yet"))
                continue
            outcomes, rows = [], 0
            if spec.row_query and spec.expectations():
                checkpoint = _checkpoint(context, spec.name, source, table, spec.expectations())
                reader = con.sql(spec.row_query).to_arrow_reader(spec.batch_rows)
                for batch in reader:
                    rows += batch.num_rows
                    outcomes.append(checkpoint.run(batch_parameters={"dataframe": batch.to_pandas()}).success)
                if not outcomes:  # an empty table: one validation of no rows, so the rules still report
                    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in reader.schema.names})
                    outcomes.append(checkpoint.run(batch_parameters={"dataframe": empty}).success)
            if spec.table_query and spec.table_expectations():
                checkpoint = _checkpoint(context, f"{spec.name}_table", source, f"{table} (aggregate)",
                                         spec.table_expectations())
                frame = con.execute(spec.table_query).fetchdf()
                outcomes.append(checkpoint.run(batch_parameters={"dataframe": frame}).success)
            runs.append(SuiteRun(spec.name, table, len(outcomes), rows, all(outcomes)))
        context.build_data_docs(site_names=[SITE])
    shutil.rmtree(out_dir, ignore_errors=True)
    staging.rename(out_dir)
    return out_dir / "index.html", runs
