"""Build and run the dlt pipelines: one pipeline per source, dataset `raw_<source>`, destination from settings.

Sources never build pipelines themselves; this module (or Dagster, through the same functions) does.
"""

from __future__ import annotations

import importlib
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Mapping

import dlt
from dlt.common.pipeline import LoadInfo

from adledger.config import Settings, settings


#: DuckDB settings of a source's load connections. Tracker events are the largest loads: without a cap DuckDB took
#: 11 GB loading 11.4M events (its default is 80 % of RAM); beyond the cap it spills to disk.
DUCKDB_LOAD_CONFIG: dict[str, dict[str, Any]] = {"tracker": {"memory_limit": "1GB"}}


def destination(cfg: Settings | None = None, duckdb_config: Mapping[str, Any] | None = None):
    """The dlt destination for the configured environment: the DuckDB warehouse file, or PostgreSQL.

    `duckdb_config` are DuckDB settings for the load's connections (e.g. `memory_limit`); default: DuckDB's own.
    """
    cfg = cfg or settings()
    if cfg.dbt_target == "postgres":
        # the same server and database dbt's `postgres` target uses (ADLEDGER_PG_*), unless dlt config says otherwise
        return dlt.destinations.postgres(credentials=cfg.postgres_url)
    cfg.warehouse.parent.mkdir(parents=True, exist_ok=True)
    if duckdb_config:
        return dlt.destinations.duckdb({"database": str(cfg.warehouse), "global_config": dict(duckdb_config)})
    return dlt.destinations.duckdb(str(cfg.warehouse))


def pipeline_name(source_name: str) -> str:
    """The name of the dlt pipeline that loads `source_name` (its state folder under `dlt_pipelines/`)."""
    return f"adledger_{source_name}"


def pipeline(source_name: str, cfg: Settings | None = None) -> dlt.Pipeline:
    """The pipeline that loads `source_name` into dataset `raw_<source_name>`; its state lives beside the data.

    On DuckDB, the load uses the source's `DUCKDB_LOAD_CONFIG` settings, if any."""
    cfg = cfg or settings()
    return dlt.pipeline(
        pipeline_name=pipeline_name(source_name),
        destination=destination(cfg, DUCKDB_LOAD_CONFIG.get(source_name)),
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


def load_pending(pipe: dlt.Pipeline) -> None:
    """Finish what a crashed run left, before a run extracts anything: a run killed after extracting left a package
    (rows and the cursor that goes with them) that dlt's `run()` would load while skipping the new extraction, so it
    is loaded first. The tracker's events are appended, so its repeated copies of a re-run load job are removed
    after that load and before every run (the crash may have come between the two)."""
    _drop_normalized_leftovers(pipe)
    if pipe.pipeline_name == pipeline_name("tracker"):
        from ingestion.tracker import drop_double_copies

        drop_double_copies(pipe)
        if pipe.has_pending_data:
            pipe.run()
            drop_double_copies(pipe)
    elif pipe.has_pending_data:
        pipe.run()


def _drop_normalized_leftovers(pipe: dlt.Pipeline) -> None:
    """Delete extracted packages that normalize had already moved on. dlt's normalize commits a package to the
    load storage and then deletes the extracted copy (a tree); a process killed before or during that deletion
    leaves an extracted package (whole or without its job folders) that the next run would normalize again and
    fail on. Its rows are safe in the load storage under the same load id."""
    moved_on = {*pipe.list_normalized_load_packages(), *pipe.list_completed_load_packages()}
    for load_id in pipe.list_extracted_load_packages():
        if load_id in moved_on:
            shutil.rmtree(Path(pipe.working_dir) / "normalize" / "extracted" / load_id, ignore_errors=True)


def ingest_tracker(path: str | Path, cfg: Settings | None = None) -> TrackerLoad:
    """Load new tracker files under `path` into `raw_tracker` and report the line accounting of this run."""
    from ingestion.tracker import tracker

    pipe = pipeline("tracker", cfg)
    load_pending(pipe)
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


#: the ad-platform API sources: each a package `ingestion/<name>/` whose `@dlt.source` has the same name
API_SOURCES = ("google_ads", "microsoft_ads", "meta_ads", "tiktok_ads", "affiliate", "esp")


class IngestError(RuntimeError):
    """An API source run failed. The message names the source and what to do; data loaded by earlier runs is
    unchanged (a failed run commits neither rows nor its cursor)."""

    def __init__(self, source: str, message: str):
        super().__init__(message)
        self.source = source

    def __reduce__(self):
        return self.__class__, (self.source, str(self))


@dataclass(frozen=True)
class ApiLoad:
    source: str
    load_info: LoadInfo
    #: rows extracted per table by this run (the restatement lookback re-reads recent days)
    rows: dict[str, int]


def ingest_api(
    source_name: str,
    start_date: str | date | None = None,
    end_date: str | date | None = None,
    cfg: Settings | None = None,
) -> ApiLoad:
    """Load one ad-platform API source into `raw_<source_name>`, configured from dlt config and secrets.

    `start_date`/`end_date` (YYYY-MM-DD, inclusive, account-local days) override the configured ones: a start
    date sets where a first run begins; an end date makes the run a backfill that leaves the cursor alone.
    Raises `IngestError` with a message fit for the user (credentials to set, API failures after retries).
    """
    if source_name not in API_SOURCES:
        raise ValueError(f"{source_name!r} is not an API source; choose one of {', '.join(API_SOURCES)}")
    factory = getattr(importlib.import_module(f"ingestion.{source_name}"), source_name)
    dates = {k: str(v) for k, v in (("start_date", start_date), ("end_date", end_date)) if v is not None}
    pipe = pipeline(source_name, cfg)
    try:
        load_pending(pipe)
        info = pipe.run(factory(**dates))
    except Exception as exc:
        raise IngestError(source_name, _failure_message(source_name, exc)) from exc
    normalized = pipe.last_trace.last_normalize_info if pipe.last_trace else None
    counts = normalized.row_counts if normalized else {}
    return ApiLoad(source_name, info, {t: n for t, n in counts.items() if not t.startswith("_dlt")})


def _failure_message(source: str, exc: BaseException) -> str:
    """The message of the innermost cause: our API errors and dlt's missing-config error already say what to do."""
    from dlt.common.configuration.exceptions import ConfigFieldMissingException

    from ingestion.common.errors import ApiRequestError, secret_hint

    chain = [exc]
    while (nxt := chain[-1].__cause__ or chain[-1].__context__) is not None and nxt not in chain:
        chain.append(nxt)
    for error in chain:
        if isinstance(error, ApiRequestError):
            return str(error)
        if isinstance(error, ConfigFieldMissingException):
            return f"{source}: missing configuration {', '.join(error.fields)}; {secret_hint(source, error.fields)}"
    root = chain[-1]
    return (f"{source}: {type(root).__name__}: {root} (after the retries allowed by [runtime] request_max_attempts); "
            "previously loaded data is unchanged: rerun later")
