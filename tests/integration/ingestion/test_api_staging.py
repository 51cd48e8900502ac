"""The dbt staging of the API sources on DuckDB and PostgreSQL: one ad-performance shape, spend equal to the truth."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from adledger.config import settings
from ingestion.pipelines import API_SOURCES, ingest_api
from tests.integration.ingestion.spend import AD_PLATFORMS, truth_spend

CONTRACT = ["report_date", "platform", "account_id", "account_name", "account_currency", "account_timezone",
            "campaign_id", "campaign_name", "ad_group_id", "ad_group_name", "ad_id", "ad_name", "keyword_id",
            "keyword_text", "match_type", "impressions", "clicks", "spend", "platform_conversions",
            "platform_conversion_value", "cost_type", "origin"]
SELECT = " ".join(f"path:models/staging/{source}" for source in API_SOURCES)


def _dbt(*args: str) -> None:
    cfg = settings()
    dbt = Path(sys.executable).parent / "dbt"
    env = {**os.environ, "ADLEDGER_DBT_DUCKDB_PATH": str(cfg.warehouse), "ADLEDGER_DBT_TARGET": cfg.dbt_target}
    proc = subprocess.run(
        [str(dbt), *args, "--project-dir", str(cfg.dbt_project_dir), "--profiles-dir", str(cfg.dbt_project_dir),
         "--target-path", str(cfg.data_dir / "dbt_target"), "--log-path", str(cfg.data_dir / "dbt_logs")],
        env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-4000:]


def _fetch(sql: str) -> list[tuple]:
    cfg = settings()
    if cfg.dbt_target == "postgres":
        import psycopg2

        with psycopg2.connect(cfg.postgres_url) as con, con.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    with duckdb.connect(str(cfg.warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(request, monkeypatch):
    if request.param == "postgres":
        server, database = request.getfixturevalue("postgres_database")
        for key, value in {"ADLEDGER_DBT_TARGET": "postgres", "ADLEDGER_PG_HOST": server.host,
                           "ADLEDGER_PG_PORT": str(server.port), "ADLEDGER_PG_USER": server.user,
                           "ADLEDGER_PG_PASSWORD": server.password, "ADLEDGER_PG_DATABASE": database}.items():
            monkeypatch.setenv(key, value)
    return request.param


@pytest.mark.slow
def test_staging_gives_every_platform_one_shape_and_the_true_spend(apis, warehouse, emulator_world, first_day):
    for source in API_SOURCES:
        ingest_api(source, start_date=first_day)

    _dbt("build", "--select", SELECT)
    _dbt("source", "freshness", "--select", *(f"source:{source}" for source in API_SOURCES))

    for platform in AD_PLATFORMS:
        columns = _fetch("select column_name, data_type from information_schema.columns where table_schema = "
                         f"'staging' and table_name = 'stg_{platform}__ad_performance' order by ordinal_position")
        assert [c for c, _ in columns] == CONTRACT
        if platform == AD_PLATFORMS[0]:
            types = [t for _, t in columns]
        assert [t for _, t in columns] == types, f"{platform} types differ from {AD_PLATFORMS[0]}'s"
    union = " union all ".join(f"select * from staging.stg_{p}__ad_performance" for p in AD_PLATFORMS)
    spend = _fetch(f"select platform, account_id, cast(report_date as varchar), sum(spend) from ({union}) as u "
                   "group by 1, 2, 3")
    for platform in AD_PLATFORMS:
        got = {(a, d): Decimal(s) for p, a, d, s in spend if p == platform}
        assert got == truth_spend(emulator_world, platform), platform
    assert _fetch("select count(*), count(distinct order_id) from staging.stg_affiliate__actions")[0][0] == len(
        duckdb.sql(f"select 1 from '{emulator_world}/platforms/affiliate_actions.parquet'").fetchall())
    sends = _fetch("select campaign_id, cast(send_date as varchar), emails_sent from staging.stg_esp__campaign_sends")
    with duckdb.connect() as con:
        assert sorted(sends) == sorted(con.execute(
            f"select id, date, emails_sent from '{emulator_world}/platforms/esp_campaigns.parquet'").fetchall())
