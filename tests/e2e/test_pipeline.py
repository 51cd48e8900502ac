"""The whole pipeline on the simulated world, through Dagster: every asset, every check, numbers checked against
independent recomputations from the world's files and its truth."""

from __future__ import annotations

import json

import duckdb
import pytest

from adledger.config import settings
from tests.oracles.erasure import deletion_requests, erased_events
from tests.oracles.sessions import channel_daily, read_events

pytestmark = pytest.mark.slow

STABLE_TABLES = ("marts.mart_channel_daily", "marts.fct_attributed_conversions", "marts.fct_conversions",
                 "marts.fct_ad_spend", "marts.mart_channel_performance_daily", "intermediate.int_sessions_classified",
                 "marts.mart_experiment_results", "marts.mart_cac_ltv", "marts.mart_markov_removal_effects")


def _query(sql: str) -> list[tuple]:
    with duckdb.connect(str(settings().warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def _erased(world) -> set[str]:
    """messageIds of the tracker events the world's deletion requests erase (the pipeline removes them)."""
    per_request = erased_events(read_events(world / "tracker"), deletion_requests(world))
    return set().union(*per_request.values())


def _snapshot() -> dict[str, list]:
    tables = {}
    for table in STABLE_TABLES:
        schema, name = table.split(".")
        columns = [c for (c,) in _query(f"select column_name from information_schema.columns where table_schema = "
                                        f"'{schema}' and table_name = '{name}' "
                                        "and column_name not in ('computed_at', 'load_id')")]
        tables[table] = _query(f"select {', '.join(chr(34) + c + chr(34) for c in columns)} from {table} order by all")
    return tables


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
    assert events == counts["tracker_events"] - counts["duplicate_events"] - len(_erased(world_pipeline.world))
    ((in_quality,),) = _query("select count(*) from quality.quarantined_rows")
    assert in_quality == counts["malformed_lines"]


def test_sessions_mart_matches_an_independent_recomputation(world_pipeline):
    rows = _query("select day, channel, sessions, visitors, conversions, revenue from marts.mart_channel_daily")
    got = {(d.isoformat(), c): {"sessions": s, "visitors": v, "conversions": n, "revenue": r}
           for d, c, s, v, n, r in rows}
    expected = channel_daily(world_pipeline.world / "tracker", settings().dbt_project_dir / "seeds" / "channel_rules.csv",
                             erased=_erased(world_pipeline.world))
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


def test_spend_equals_the_truth_to_the_cent(world_pipeline):
    import pandas as pd

    truth = pd.read_parquet(world_pipeline.world / "truth" / "spend_platform_daily.parquet")
    expected = {(r.platform, pd.Timestamp(r.date).date()): round(float(r.spend_usd), 2) for r in truth.itertuples()}
    # the world's USD rule: exact amounts summed per platform and day, rounded half-up to cents once
    rows = _query("select cost_source, report_date, round(sum(spend_reporting), 2) from marts.fct_ad_spend "
                  "group by all")
    got = {(p, d): float(s) for p, d, s in rows}
    assert got == expected
    ((total,),) = _query("select round(sum(spend_reporting), 2) from marts.fct_ad_spend")
    assert float(total) == pytest.approx(sum(expected.values()), abs=0.01 * len(expected))


def test_cpa_per_channel_is_spend_over_conversions_recomputed_from_raw(world_pipeline):
    mart = dict(_query("select channel, sum(spend) / nullif(sum(conversions), 0) from marts.mart_channel_performance_daily "
                       "where model = 'last_touch' group by channel"))
    spend = dict(_query("select channel, sum(spend_reporting) from marts.fct_ad_spend group by channel"))
    conversions = dict(_query(
        "select c.channel, sum(c.credit) from marts.fct_attributed_conversions c where c.model = 'last_touch' "
        "group by c.channel"))
    ((orders,),) = _query("select count(distinct order_id) from raw_tracker.events where event_name = 'Order Completed'")
    assert sum(conversions.values()) == pytest.approx(orders)
    for channel, cpa in mart.items():
        if cpa is None:
            assert not conversions.get(channel)
            continue
        assert float(cpa) == pytest.approx(float(spend.get(channel, 0)) / conversions[channel], rel=1e-9), channel


def test_the_demo_summary_equals_numbers_recomputed_from_the_world_files(world_pipeline):
    """The numbers `adledger demo` prints: sessions and conversions from the tracker files (plain Python), spend
    from the world's truth (its USD rule), per channel."""
    import csv

    import pandas as pd

    from adledger.demo import channel_summary

    summary = {row["channel"]: row for row in channel_summary()}
    visits = channel_daily(world_pipeline.world / "tracker", settings().dbt_project_dir / "seeds" / "channel_rules.csv",
                           erased=_erased(world_pipeline.world))
    with (settings().dbt_project_dir / "seeds" / "spend_channels.csv").open() as fh:
        rules = list(csv.DictReader(fh))
    by_source = {r["cost_source"]: r["channel"] for r in rules if not r["source_channel"]}
    truth = pd.read_parquet(world_pipeline.world / "truth" / "spend_account_daily.parquet")
    vendors = pd.read_csv(world_pipeline.world / "first_party" / "vendors.csv").set_index("vendor_id")["channel"]
    by_vendor_channel = {r["source_channel"]: r["channel"] for r in rules if r["cost_source"] == "vendor"}
    spend: dict[str, float] = {}
    for row in truth.itertuples():
        channel = (by_vendor_channel[vendors[row.account_id]] if row.platform == "vendor" else by_source[row.platform])
        spend[channel] = spend.get(channel, 0.0) + float(row.spend_usd)
    for channel in set(summary) | {c for _, c in visits} | set(spend):
        cells = [v for (_, c), v in visits.items() if c == channel]
        assert summary[channel]["sessions"] == sum(v["sessions"] for v in cells), channel
        assert summary[channel]["conversions"] == sum(v["conversions"] for v in cells), channel
        assert summary[channel]["revenue"] == pytest.approx(float(sum(v["revenue"] for v in cells)), abs=1e-6)
        assert summary[channel]["spend"] == pytest.approx(spend.get(channel, 0.0), abs=0.01 * len(truth)), channel


def test_a_two_day_backfill_reproduces_the_full_run(world_pipeline, tmp_path):
    """The world's days up to two days before its last tracker delivery day in one run, then a backfill of the last
    two days' partitions (spend and tracker): the warehouse ends up equal to the one full run, through the
    incremental dbt models."""
    from datetime import date, timedelta

    from adledger.demo import materialize
    from adledger.simulator import WorldManifest
    from ingestion.tracker import file_day
    from tests.fixtures.pipeline import pipeline_environment

    full = _snapshot()
    manifest = WorldManifest.load(world_pipeline.world)
    first = date.fromisoformat(str(manifest.start)) - timedelta(days=1)  # account-local days west of UTC
    tracker = world_pipeline.world / "tracker"
    last = max(date.fromisoformat(file_day(str(f.relative_to(tracker)))) for f in tracker.rglob("*.jsonl*"))
    with pipeline_environment(world_pipeline.world, tmp_path / "data"):
        before = materialize(partitions=(str(first), str(last - timedelta(days=2))))
        assert before.success, (before.failed_steps, before.checks_failed)
        cutoff = last - timedelta(days=2)
        ((platform_days,),) = _query(
            "select count(distinct report_date) from marts.fct_ad_spend where cost_source in "
            f"('google_ads', 'microsoft_ads', 'meta_ads', 'tiktok_ads') and report_date > date '{cutoff}'")
        ((tracker_files,),) = _query(f"select count(*) from raw_tracker.files where file >= '{cutoff + timedelta(days=1):%Y/%m/%d}'")
        assert (platform_days, tracker_files) == (0, 0)  # the partitions of the last two days are not loaded yet
        backfill = materialize(partitions=(str(last - timedelta(days=1)), str(last)))
        assert backfill.success, (backfill.failed_steps, backfill.checks_failed)
        assert _snapshot() == full
