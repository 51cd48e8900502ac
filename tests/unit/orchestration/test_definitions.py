"""The code location loads, and its asset keys, checks and jobs are the ones reviewed (a snapshot).

A renamed key or a dropped check changes the snapshot below, so it shows up in review.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXPECTED_ASSETS = {
    "raw_tracker/events",
    "raw_tracker/quarantined_rows",
    "staging/channel_rules",
    "staging/stg_tracker__events",
    "intermediate/int_events_sessionized",
    "intermediate/int_sessions_classified",
    "marts/mart_channel_daily",
    "quality/quarantined_rows",
    "intermediate/int_identities_stitched",
    "intermediate/int_conversion_paths",
    "marts/fct_touchpoints",
    "marts/fct_conversions",
    "marts/fct_attributed_conversions",
    "intermediate/int_experiment_exposures",
    "analytics/attribution_credits",
    "marts/mart_markov_removal_effects",
    "marts/mart_experiment_results",
    "analytics/incrementality",
    "analytics/attribution_drift",
    "analytics/creative_fatigue",
    "analytics/response_curves",
    "marts/mart_budget_recommendations",
    "analytics/decisions",
    "raw_first_party/orders",
    "raw_first_party/fx_rates",
    "raw_first_party/vendor_spend",
    "raw_google_ads/keyword_stats",
    "raw_microsoft_ads/keyword_stats",
    "raw_meta_ads/ad_insights",
    "raw_tiktok_ads/ad_report",
    "raw_affiliate/actions",
    "raw_esp/campaign_reports",
    "marts/fct_ad_spend",
    "marts/mart_channel_performance_daily",
    "marts/mart_campaign_performance_daily",
    "marts/dim_users",
    "marts/mart_cohort_ltv",
    "marts/mart_cac_ltv",
    "marts/mart_spend_reconciliation",
    "marts/mart_spend_reconciliation_daily",
    "marts/mart_audience_segments",
    "marts/mart_audience_exports",
    "raw_first_party/invoices",
    "publish/published_snapshot",
    "publish/marts_parquet",
    "publish/report",
}
ANALYTICS_ASSETS = {"analytics/attribution_credits", "marts/mart_markov_removal_effects", "marts/mart_experiment_results",
                    "analytics/incrementality", "analytics/attribution_drift", "analytics/creative_fatigue"}
ANALYTICS_CHECKS = {("analytics/attribution_credits", "credits_sum_to_one_per_conversion"),
                    ("marts/mart_experiment_results", "no_sample_ratio_mismatch")}
OPTIMIZATION_ASSETS = {"analytics/response_curves", "marts/mart_budget_recommendations", "analytics/decisions"}
OPTIMIZATION_CHECKS = {("marts/mart_budget_recommendations", "plan_spends_the_budget_within_bounds"),
                       ("analytics/decisions", "one_open_decision_per_channel")}
EXPECTED_BLOCKING_CHECKS = {("raw_tracker/events", "gx_raw_tracker_events")}


@pytest.fixture(scope="module")
def defs():
    from dagster_project.definitions import defs as load

    return load()


def test_asset_keys_snapshot(defs):
    keys = {k.to_user_string() for k in defs.resolve_all_asset_keys()}
    assert EXPECTED_ASSETS <= keys, EXPECTED_ASSETS - keys


def test_dlt_tables_and_dbt_sources_are_one_asset(defs):
    graph = defs.resolve_asset_graph()
    import dagster as dg

    stg = graph.get(dg.AssetKey(["staging", "stg_tracker__events"]))
    assert dg.AssetKey(["raw_tracker", "events"]) in stg.parent_keys
    assert graph.get(dg.AssetKey(["raw_tracker", "events"])).is_materializable  # produced by dlt, not external
    for raw in ("raw_google_ads/keyword_stats", "raw_first_party/orders", "raw_affiliate/actions"):
        assert graph.get(dg.AssetKey(raw.split("/"))).is_materializable, raw


def test_checks_and_jobs(defs):
    graph = defs.resolve_asset_graph()
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    assert EXPECTED_BLOCKING_CHECKS <= checks
    assert ("staging/stg_tracker__events", "unique_stg_tracker__events_message_id") in checks
    assert ("marts/mart_channel_daily", "unique_combination_mart_channel_daily_day__channel") in checks
    assert defs.resolve_job_def("everything") is not None


def test_groups_follow_the_layers(defs):
    graph = defs.resolve_asset_graph()
    groups = {k.to_user_string(): graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert groups["raw_tracker/events"] == "raw"
    assert groups["staging/stg_tracker__events"] == "staging"
    assert groups["marts/mart_channel_daily"] == "marts"


def test_dagster_definitions_validate_passes(tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    (tmp_path / "dagster.yaml").write_text("")
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "definitions", "validate", "-m", "dagster_project.definitions"],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_analytics_run_between_the_two_dbt_steps(defs):
    import dagster as dg

    graph = defs.resolve_asset_graph()
    for name in ANALYTICS_ASSETS:
        node = graph.get(dg.AssetKey.from_user_string(name))
        assert node.group_name == "analytics", name
        assert node.pools == {"warehouse_writer"}, name
        assert node.description, name
    credits = dg.AssetKey(["analytics", "attribution_credits"])
    assert credits in graph.get(dg.AssetKey(["marts", "fct_attributed_conversions"])).parent_keys  # the dbt source
    assert dg.AssetKey(["intermediate", "int_conversion_paths"]) in graph.get(credits).parent_keys
    drift = graph.get(dg.AssetKey(["analytics", "attribution_drift"]))
    assert dg.AssetKey(["marts", "fct_attributed_conversions"]) in drift.parent_keys
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    assert ANALYTICS_CHECKS <= checks


def test_optimization_runs_after_the_channel_mart(defs):
    import dagster as dg

    graph = defs.resolve_asset_graph()
    for name in OPTIMIZATION_ASSETS:
        node = graph.get(dg.AssetKey.from_user_string(name))
        assert node.group_name == "optimization", name
        assert node.pools == {"warehouse_writer"}, name
        assert node.automation_condition is not None, name
    curves = graph.get(dg.AssetKey(["analytics", "response_curves"]))
    assert dg.AssetKey(["marts", "mart_channel_performance_daily"]) in curves.parent_keys
    ledger = graph.get(dg.AssetKey(["analytics", "decisions"]))
    assert dg.AssetKey(["marts", "mart_budget_recommendations"]) in ledger.parent_keys
    blocking = {(n.key.asset_key.to_user_string(), n.key.name): n.blocking for n in graph.asset_check_nodes}
    assert OPTIMIZATION_CHECKS <= set(blocking)
    assert not any(blocking[c] for c in OPTIMIZATION_CHECKS)  # a plan that misses the budget warns, never stops a run
