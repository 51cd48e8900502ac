"""The same dbt project on DuckDB and on a real PostgreSQL server gives the same marts from the same input: every
source of the simulated world loaded by dlt into each warehouse, then `dbt build` on each. On PostgreSQL the
tracker arrives in two loads (every day but the last, then the last day) with a build after each, so the
incremental models run their incremental path there and must still equal DuckDB's build from scratch."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from adledger.bench.transform import link_tracker_days
from adledger.config import settings
from ingestion.pipelines import API_SOURCES, ingest_api, ingest_first_party, ingest_tracker

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

MART_QUERIES = {
    "mart_channel_daily": "select day, channel, sessions, visitors, conversions, revenue from marts.mart_channel_daily",
    "fct_attributed_conversions": "select order_id, model, coalesce(touchpoint_id, ''), channel, credit, revenue_credit "
    "from marts.fct_attributed_conversions",
    "fct_conversions": "select order_id, person_id, session_channel, revenue, revenue_reporting, is_first_order "
    "from marts.fct_conversions",
    "fct_ad_spend": "select spend_id, channel, spend, spend_reporting from marts.fct_ad_spend",
    "mart_channel_performance_daily": "select day, channel, model, spend, conversions, revenue, cpa, roas "
    "from marts.mart_channel_performance_daily",
    "mart_cac_ltv": "select cohort_month, channel, customers, cac, ltv, payback_days from marts.mart_cac_ltv",
}


def _load_world(world: Path, tracker: Path | None = None) -> None:
    ingest_tracker(tracker or world / "tracker")
    ingest_first_party(world / "first_party")
    for source in API_SOURCES:
        ingest_api(source)


def _tracker_days(world: Path) -> list[str]:
    """The delivery days of the world's tracker files, in order."""
    from ingestion.tracker import file_day

    return sorted({file_day(str(f.relative_to(world / "tracker"))) for f in (world / "tracker").rglob("*.jsonl*")})


def _dbt_build(env: dict[str, str]) -> None:
    cfg = settings()
    dbt = Path(sys.executable).parent / "dbt"
    proc = subprocess.run(
        [str(dbt), "build", "--project-dir", str(cfg.dbt_project_dir), "--profiles-dir", str(cfg.dbt_project_dir),
         "--target-path", str(cfg.data_dir / "dbt_target"), "--log-path", str(cfg.data_dir / "dbt_logs")],
        env={**os.environ, **env}, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-4000:]


def _normalize(rows):
    def value(v):
        if isinstance(v, float):
            return round(v, 9)
        if isinstance(v, Decimal):
            return round(float(v), 9)
        return v

    return sorted(tuple(value(v) for v in r) for r in rows)


def test_marts_are_identical_on_duckdb_and_postgres(adledger_env, emulator_world, postgres_database, monkeypatch):
    from adledger.demo import world_sources_environment
    from adledger.simulator.emulators import serve

    with serve(emulator_world) as apis:
        for key, value in world_sources_environment(emulator_world, apis).items():
            monkeypatch.setenv(key, value)
        _load_world(emulator_world)
        _dbt_build({"ADLEDGER_DBT_DUCKDB_PATH": str(settings().warehouse), "ADLEDGER_DBT_TARGET": "duckdb"})
        with duckdb.connect(str(settings().warehouse), read_only=True) as con:
            on_duckdb = {name: _normalize(con.execute(q).fetchall()) for name, q in MART_QUERIES.items()}

        server, database = postgres_database
        pg_env = {"ADLEDGER_DBT_TARGET": "postgres", "ADLEDGER_PG_HOST": server.host,
                  "ADLEDGER_PG_PORT": str(server.port), "ADLEDGER_PG_USER": server.user,
                  "ADLEDGER_PG_PASSWORD": server.password, "ADLEDGER_PG_DATABASE": database}
        for key, value in pg_env.items():
            monkeypatch.setenv(key, value)
        days = _tracker_days(emulator_world)
        tracker = settings().data_dir / "tracker-in-two-loads"
        link_tracker_days(emulator_world / "tracker", tracker, set(days[:-1]))
        _load_world(emulator_world, tracker)
        _dbt_build(pg_env)
        link_tracker_days(emulator_world / "tracker", tracker, {days[-1]}, copy=True)  # the new day's files
        ingest_tracker(tracker)
        _dbt_build(pg_env)  # incremental
    import psycopg2

    with psycopg2.connect(server.url(database)) as con, con.cursor() as cur:
        on_postgres = {}
        for name, query in MART_QUERIES.items():
            cur.execute(query)
            on_postgres[name] = _normalize(cur.fetchall())

    for name in MART_QUERIES:
        assert len(on_duckdb[name]) > 5, name
        assert on_postgres[name] == on_duckdb[name], name
