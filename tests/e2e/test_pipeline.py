"""The whole pipeline on the simulated world, through Dagster: every asset, every check, numbers checked against
independent recomputations from the world's files and its truth."""

from __future__ import annotations

import json

import duckdb
import pytest

from adledger.config import settings
from tests.oracles.sessions import channel_daily

pytestmark = pytest.mark.slow

STABLE_TABLES = ("marts.mart_channel_daily", "marts.fct_attributed_conversions", "marts.fct_conversions",
                 "marts.fct_ad_spend", "marts.mart_channel_performance_daily", "intermediate.int_sessions_classified")


def _query(sql: str) -> list[tuple]:
    with duckdb.connect(str(settings().warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def _snapshot() -> dict[str, list]:
    return {t: _query(f"select * from {t} order by all") for t in STABLE_TABLES}


def test_every_asset_and_check_passes(world_pipeline):
    summary = world_pipeline.summary
    assert summary.success, (summary.failed_steps, summary.checks_failed)
    names = {c[1] for c in summary.checks}
    assert "gx_raw_tracker_events" in names
    assert "unique_stg_tracker__events_message_id" in names
    assert "credits_sum_to_one_fct_attributed_conversions_order_id__model" in names


def test_every_tracker_line_is_loaded_or_quarantined(world_pipeline):
    counts = json.loads((world_pipeline.world / "world.json").read_text())["counts"]
    ((lines, valid, quarantined),) = _query("select sum(lines_read), sum(rows_valid), sum(rows_quarantined) "
                                            "from raw_tracker.files")
    assert lines == counts["tracker_lines"]
    assert quarantined == counts["malformed_lines"]
    assert valid == counts["tracker_events"]
    ((events,),) = _query("select count(*) from raw_tracker.events")
    assert events == counts["tracker_events"] - counts["duplicate_events"]
    ((in_quality,),) = _query("select count(*) from quality.quarantined_rows")
    assert in_quality == counts["malformed_lines"]


def test_sessions_mart_matches_an_independent_recomputation(world_pipeline):
    rows = _query("select day, channel, sessions, visitors, conversions, revenue from marts.mart_channel_daily")
    got = {(d.isoformat(), c): {"sessions": s, "visitors": v, "conversions": n, "revenue": r}
           for d, c, s, v, n, r in rows}
    expected = channel_daily(world_pipeline.world / "tracker", settings().dbt_project_dir / "seeds" / "channel_rules.csv")
    assert got == expected


def test_no_raw_email_or_ip_reaches_the_marts(world_pipeline):
    tables = _query("select table_schema, table_name from information_schema.tables "
                    "where table_schema in ('staging', 'intermediate', 'marts')")
    for schema, table in tables:
        columns = [c for (c,) in _query(f"select column_name from information_schema.columns where table_schema = "
                                        f"'{schema}' and table_name = '{table}' and data_type = 'VARCHAR'")]
        for column in columns:
            ((hits,),) = _query(
                f'select count(*) from {schema}.{table} where regexp_matches("{column}", '
                r"'[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}|\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b')"
                " and not regexp_matches(\"" + column + "\", '/\\d{1,2}$')")
            assert hits == 0, f"{schema}.{table}.{column} holds an e-mail address or an IP"


def test_a_rerun_changes_nothing(world_pipeline):
    before = _snapshot()
    again = world_pipeline.materialize()
    assert again.success
    assert _snapshot() == before
