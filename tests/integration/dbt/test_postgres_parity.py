"""The same dbt project on DuckDB and on a real PostgreSQL server gives the same marts from the same input."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from adledger.config import settings
from ingestion.pipelines import ingest_tracker

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

MART_QUERIES = {
    "mart_channel_daily": "select day, channel, sessions, visitors, conversions, revenue from marts.mart_channel_daily",
    "fct_attributed_conversions": "select order_id, model, coalesce(touchpoint_id, ''), channel, credit, revenue_credit "
    "from marts.fct_attributed_conversions",
    "fct_conversions": "select order_id, person_id, session_channel, revenue, is_first_order from marts.fct_conversions",
}


def _dbt_build(env: dict[str, str]) -> None:
    cfg = settings()
    dbt = Path(sys.executable).parent / "dbt"
    proc = subprocess.run(
        [str(dbt), "build", "--project-dir", str(cfg.dbt_project_dir), "--profiles-dir", str(cfg.dbt_project_dir),
         "--target-path", str(cfg.data_dir / "dbt_target"), "--log-path", str(cfg.data_dir / "dbt_logs")],
        env={**os.environ, **env}, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-4000:]


def _normalize(rows):
    return [tuple(Decimal(str(v)).quantize(Decimal("0.0001")) if isinstance(v, (float, Decimal)) else v for v in r)
            for r in rows]


def test_marts_are_identical_on_duckdb_and_postgres(adledger_env, tracker_logs, postgres_database, monkeypatch):
    ingest_tracker(tracker_logs.root)
    _dbt_build({"ADLEDGER_DBT_DUCKDB_PATH": str(settings().warehouse), "ADLEDGER_DBT_TARGET": "duckdb"})
    with duckdb.connect(str(settings().warehouse), read_only=True) as con:
        on_duckdb = {name: sorted(con.execute(q).fetchall()) for name, q in MART_QUERIES.items()}

    server, database = postgres_database
    pg_env = {"ADLEDGER_DBT_TARGET": "postgres", "ADLEDGER_PG_HOST": server.host, "ADLEDGER_PG_PORT": str(server.port),
              "ADLEDGER_PG_USER": server.user, "ADLEDGER_PG_PASSWORD": server.password,
              "ADLEDGER_PG_DATABASE": database}
    for key, value in pg_env.items():
        monkeypatch.setenv(key, value)
    load = ingest_tracker(tracker_logs.root)
    assert load.rows_quarantined == tracker_logs.bad_lines
    _dbt_build(pg_env)
    import psycopg2

    on_postgres = {}
    with psycopg2.connect(server.url(database)) as con, con.cursor() as cur:
        for name, query in MART_QUERIES.items():
            cur.execute(query)
            on_postgres[name] = sorted(cur.fetchall())

    for name in MART_QUERIES:
        assert len(on_duckdb[name]) > 10, name
        assert _normalize(on_postgres[name]) == _normalize(on_duckdb[name]), name
