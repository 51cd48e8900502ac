"""Each section's numbers against the hand-set marts (tests/unit/report/marts.py), and what missing marts show."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from adledger.config import settings
from adledger.report import build_report
from adledger.report.source import PUBLISHED, WAREHOUSE, ReportSource
from tests.unit.report.marts import HOSTILE, NOW, write_published


def _report(start: date | None = None, end: date | None = None):
    cfg = settings()
    with ReportSource(cfg.published, cfg.warehouse) as src:
        return build_report(src, start, end, now=NOW)


def _kpis(report) -> dict[str, float]:
    return {k.key: k.value for k in report.section("headline").kpis}


def _trace(chart, name: str) -> list:
    return next(t["y"] for t in chart.figure["data"] if t["name"] == name)


def test_the_headline_is_the_sum_over_the_marts_days_for_last_touch(report_data):
    report = _report()
    assert (report.period.start, report.period.end, report.model) == (date(2026, 1, 1), date(2026, 1, 3), "last_touch")
    assert _kpis(report) == pytest.approx({"spend": 510.0, "conversions": 15.0, "revenue": 750.0, "cpa": 34.0,
                                           "roas": 750 / 510, "sessions": 900}, rel=1e-12)
    spend = report.section("headline").kpis[0].provenance
    assert spend.table == "marts.mart_channel_performance_daily" and spend.origin == PUBLISHED
    assert spend.filter == "model = 'last_touch' and day between '2026-01-01' and '2026-01-03'"


def test_from_and_to_select_the_days(report_data):
    assert _kpis(_report(date(2026, 1, 2), date(2026, 1, 3))) == pytest.approx(
        {"spend": 360.0, "conversions": 11.0, "revenue": 550.0, "cpa": 360 / 11, "roas": 550 / 360,
         "sessions": 600}, rel=1e-12)


def test_channels_over_time_draw_one_line_per_channel_by_spend(report_data):
    section = _report().section("channels")
    assert [c.key for c in section.charts] == ["channel_spend", "channel_conversions", "channel_cpa", "channel_roas"]
    spend, conversions, cpa, roas = section.charts
    assert spend.trace_names == cpa.trace_names == roas.trace_names == ["paid_search", "paid_social"]  # with spend
    assert conversions.trace_names == ["paid_search", "paid_social", "email"]
    assert _trace(spend, "paid_search") == [100.0, 110.0, 120.0]
    assert _trace(conversions, "email") == [1.0, 0.0, 1.0]
    assert _trace(cpa, "paid_social") == pytest.approx([50.0, 60.0, 35.0])
    assert _trace(roas, "paid_search") == pytest.approx([1.0, 150 / 110, 200 / 120])
    (totals,) = section.tables
    assert totals.rows[0] == ("paid_search", 330.0, 9.0, 450.0, pytest.approx(330 / 9), pytest.approx(450 / 330))
    assert totals.rows[2][4:] == (0.0, None)


def test_models_side_by_side_in_the_analysts_order(report_data):
    section = _report().section("attribution")
    conversions, roas = section.charts
    assert conversions.trace_names == ["first_touch", "last_touch", "markov"]
    assert conversions.figure["data"][0]["x"] == ["paid_search", "paid_social", "email"]
    assert _trace(conversions, "markov") == pytest.approx([7.5, 4.75, 2.75])
    assert roas.figure["data"][0]["x"] == ["paid_search", "paid_social"]  # no ROAS without spend
    assert _trace(roas, "first_touch") == pytest.approx([300 / 330, 300 / 180])
    markov = section.tables[-1]
    assert markov.provenance.origin == WAREHOUSE  # never published: read from the warehouse, and said so
    assert markov.rows[0][:2] == ("paid_search", 0.6)


def test_campaigns_by_spend_with_their_ratios(report_data):
    (table,) = _report().section("campaigns").tables
    assert [r[2] for r in table.rows] == ["c1", "c3", "c2"]
    c1 = table.rows[0]
    assert c1[1] == f"Brand {HOSTILE}"  # the raw name: escaping is the page's job
    assert c1[3:] == pytest.approx((247.5, 6.75, 337.5, 247.5 / 6.75, 337.5 / 247.5))


def test_cohorts_of_the_period_and_cac_against_ltv(report_data):
    section = _report().section("cohorts")
    (chart,) = section.charts
    assert chart.trace_names == ["paid_search", "paid_social", "LTV = CAC"]  # email has no CAC: no spend
    points = {t["name"]: (t["x"], t["y"]) for t in chart.figure["data"]}
    assert points["paid_search"] == ([pytest.approx(33.0)], [pytest.approx(45.0)])
    assert points["paid_social"] == ([pytest.approx(45.0)], [pytest.approx(30.0)])
    assert points["LTV = CAC"] == ([20.0, 67.5], [20.0, 67.5])  # the diagonal spans every point
    (table,) = section.tables
    assert [(r[1], r[-1]) for r in table.rows] == [("email", None), ("paid_search", 20), ("paid_social", None)]


def test_experiments_overlapping_the_period(report_data):
    section = _report().section("experiments")
    (chart,) = section.charts
    assert chart.figure["data"][0]["y"] == ["checkout &lt;b&gt;x&lt;/b&gt; · b"]
    assert chart.figure["data"][0]["error_x"]["array"] == pytest.approx([0.12])
    assert chart.figure["data"][0]["error_x"]["arrayminus"] == pytest.approx([0.12])
    (table,) = section.tables
    assert [(r[0], r[1], r[-1]) for r in table.rows] == [("checkout <b>x</b>", "control", "ship b"),
                                                         ("checkout <b>x</b>", "b", "ship b")]


def test_budget_shows_the_latest_plan(report_data):
    section = _report().section("budget")
    (chart,) = section.charts
    assert _trace(chart, "current") == [110.0, 60.0]
    assert _trace(chart, "recommended") == [140.0, 30.0]
    (table,) = section.tables
    assert [c.name for c in table.columns] == ["channel", "current_spend", "recommended_spend", "change",
                                               "expected_change", "expected_change_low", "expected_change_high",
                                               "reason"]
    assert {r[0]: r[4] for r in table.rows} == {"paid_search": 0.8, "paid_social": -0.2}


def test_open_anomalies_in_the_period_most_severe_first(report_data):
    (table,) = _report().section("anomalies").tables
    assert [r[2] for r in table.rows] == [f"campaign {HOSTILE}", "paid_social"]


def test_checks_show_the_latest_run_of_each_suite(report_data):
    suites, failing, alerts, quarantine = _report().section("checks").tables
    assert [(r[0], r[3], r[4]) for r in suites.rows] == [("spend_volumes", 1, 1), ("raw_tracker_events", 2, 0)]
    assert [r[:2] for r in failing.rows] == [("spend_volumes", "expect_column_values_to_be_between")]
    assert alerts.rows[0][3] == f"check failed on {HOSTILE}"
    assert quarantine.rows == [("tracker", "malformed JSON", 2), ("tracker", "missing field: messageId", 1)]


def test_freshness_ages_from_successful_loads(report_data):
    section = _report().section("freshness")
    loads, latest = section.tables
    assert [(r[0], r[2], r[3]) for r in loads.rows] == [("raw_google_ads", 3.5, 1), ("raw_tracker", 0.5, 1)]
    assert latest.rows == [("google_ads", "marts.fct_ad_spend", date(2026, 1, 3))]
    assert latest.provenance.origin == WAREHOUSE
    assert "2.5 h ago" in section.notes[-1]


def test_marts_not_built_yet_are_named_and_nothing_breaks(adledger_env):
    adledger_env.mkdir(parents=True)
    write_published(adledger_env / "published.duckdb", with_optional=False)
    report = _report()
    missing = {s.key: s.missing for s in report.sections if s.missing}
    assert missing["experiments"] == "no experiments analysed yet (marts.mart_experiment_results is not built)"
    assert missing["budget"] == "no budget recommendations yet (marts.mart_budget_recommendations is not built)"
    assert missing["anomalies"] == "no anomaly detection yet (marts.mart_anomalies is not built)"
    assert missing["checks"].startswith("the warehouse is needed for this section")
    assert "no Markov removal effects yet (marts.mart_markov_removal_effects is not built)" in \
        report.section("attribution").notes
    assert _kpis(report)["spend"] == 510.0


def test_without_a_snapshot_the_marts_come_from_the_warehouse(adledger_env):
    adledger_env.mkdir(parents=True)
    write_published(adledger_env / "warehouse.duckdb")
    report = _report()
    assert report.section("headline").kpis[0].provenance.origin == WAREHOUSE
    assert _kpis(report)["conversions"] == 15.0


def test_a_locked_warehouse_leaves_its_sections_out_with_the_reason(report_data: Path):
    warehouse = report_data / "warehouse.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('locked', flush=True);"
         " time.sleep(60)", str(warehouse)], stdout=subprocess.PIPE, text=True, env=dict(os.environ))
    try:
        assert holder.stdout.readline().strip() == "locked"
        report = _report()
    finally:
        holder.kill()
        holder.wait()
    assert "could not be opened read-only" in report.section("checks").missing
    assert _kpis(report)["revenue"] == 750.0  # the snapshot is still read
