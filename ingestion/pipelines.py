"""Build and run the dlt pipelines: one pipeline per source, dataset `raw_<source>`, destination from settings.

Sources never build pipelines themselves; this module (or Dagster, through the same functions) does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dlt
from dlt.common.pipeline import LoadInfo

from adledger.config import Settings, settings


def destination(cfg: Settings | None = None):
    """The dlt destination for the configured environment: the DuckDB warehouse file, or PostgreSQL."""
    cfg = cfg or settings()
    if cfg.dbt_target == "postgres":
        # the same server and database dbt's `postgres` target uses (ADLEDGER_PG_*), unless dlt config says otherwise
        return dlt.destinations.postgres(credentials=cfg.postgres_url)
    cfg.warehouse.parent.mkdir(parents=True, exist_ok=True)
    return dlt.destinations.duckdb(str(cfg.warehouse))


def pipeline(source_name: str, cfg: Settings | None = None) -> dlt.Pipeline:
    """The pipeline that loads `source_name` into dataset `raw_<source_name>`; its state lives beside the data."""
    cfg = cfg or settings()
    return dlt.pipeline(
        pipeline_name=f"adledger_{source_name}",
        destination=destination(cfg),
        dataset_name=f"raw_{source_name}",
        pipelines_dir=str(cfg.data_dir / "dlt_pipelines"),
        progress="log" if cfg.env == "prod" else None,
    )


@dataclass(frozen=True)
class TrackerLoad:
    load_info: LoadInfo
    files: int
    lines_read: int
    rows_valid: int
    rows_quarantined: int


def ingest_tracker(path: str | Path, cfg: Settings | None = None) -> TrackerLoad:
    """Load new tracker files under `path` into `raw_tracker` and report the line accounting of this run."""
    from ingestion.tracker import tracker

    pipe = pipeline("tracker", cfg)
    info = pipe.run(tracker(path=str(path)))
    files = _this_run_files(pipe, info)
    return TrackerLoad(
        load_info=info,
        files=len(files),
        lines_read=sum(f[1] for f in files),
        rows_valid=sum(f[2] for f in files),
        rows_quarantined=sum(f[3] for f in files),
    )


def _this_run_files(pipe: dlt.Pipeline, info: LoadInfo) -> list[tuple]:
    if not info.loads_ids:
        return []
    with pipe.sql_client() as client:
        ids = ", ".join(f"'{i}'" for i in info.loads_ids)
        rows = client.execute_sql(
            f"select file, lines_read, rows_valid, rows_quarantined from files where _load_id in ({ids})"
        )
    return list(rows or [])


def ingest_first_party(path: str | Path, cfg: Settings | None = None) -> dict[str, int]:
    """Load the first-party exports under `path` into `raw_first_party`; returns rows loaded per table."""
    from ingestion.first_party import first_party

    pipe = pipeline("first_party", cfg)
    info = pipe.run(first_party(path=str(path)))
    counts = pipe.last_trace.last_normalize_info.row_counts if pipe.last_trace else {}
    return {table: rows for table, rows in counts.items() if not table.startswith("_dlt")} if info else {}
