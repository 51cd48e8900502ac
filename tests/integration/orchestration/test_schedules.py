"""Jobs, schedules, sensors, freshness policies and automation conditions of the code location."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta
from pathlib import Path

import dagster as dg

from dagster_project.defs.schedules.policies import with_orchestration_policies
from dagster_project.defs.schedules.schedules import (
    RESTATEMENT_LOOKBACK_DAYS,
    daily_sources,
    daily_sources_with_restatement,
)

TRACKER = dg.AssetKey(["raw_tracker", "events"])
UTC = dt.timezone.utc


def test_jobs_schedules_and_sensors_are_defined(code_location):
    assert {s.name for s in code_location.schedules} >= {"daily_sources_with_restatement"}
    assert {s.name for s in code_location.sensors} >= {"new_tracker_files", "automation", "alert_on_run_failure",
                                                       "alert_on_failed_checks", "alert_on_stale_assets"}
    for name in ("new_tracker_files", "automation", "alert_on_run_failure", "alert_on_failed_checks",
                 "alert_on_stale_assets"):
        assert code_location.resolve_sensor_def(name).default_status == dg.DefaultSensorStatus.RUNNING
    schedule = code_location.resolve_schedule_def("daily_sources_with_restatement")
    assert (schedule.cron_schedule, schedule.execution_timezone, schedule.job_name) == ("0 6 * * *", "UTC",
                                                                                         "daily_sources")
    tracker_job = code_location.resolve_job_def("tracker_ingestion")
    assert set(tracker_job.asset_layer.executable_asset_keys) == {TRACKER}
    daily = set(code_location.resolve_job_def("daily_sources").asset_layer.executable_asset_keys)
    assert daily and all(k.path[0].startswith("raw_") and k.path[0] != "raw_tracker" for k in daily)


def _declared_by_the_assets() -> tuple[dict, dict]:
    """Freshness policies and automation conditions the assets declare themselves (definitions.py keeps them)."""
    import dagster_project

    loaded = dg.load_from_defs_folder(path_within_project=Path(dagster_project.__file__).parent)
    graph = loaded.resolve_asset_graph()
    nodes = {k: graph.get(k) for k in graph.materializable_asset_keys}
    return ({k: n.freshness_policy for k, n in nodes.items() if n.freshness_policy is not None},
            {k: n.automation_condition.get_label() for k, n in nodes.items() if n.automation_condition is not None})


def test_every_source_and_mart_has_its_freshness_policy_and_automation(code_location):
    graph = code_location.resolve_asset_graph()
    own_freshness, own_automation = _declared_by_the_assets()
    for key in graph.materializable_asset_keys:
        node = graph.get(key)
        policy = node.freshness_policy
        if key in own_freshness:
            assert policy == own_freshness[key]
        elif key.path[0] == "raw_tracker":
            assert policy.fail_window.to_timedelta() == timedelta(hours=2)
        elif key.path[0].startswith("raw_"):
            assert policy.fail_window.to_timedelta() == timedelta(hours=26)
        elif key.path[0] in ("marts", "publish"):
            assert policy.fail_window.to_timedelta() in (timedelta(hours=3), timedelta(hours=27)), key
        if key.path[0] == "raw_tracker":
            assert node.automation_condition.get_label() == "on_cron(0 * * * *, UTC)"
        elif key.path[0].startswith("raw_"):  # the explicit daily schedule, unless the asset says otherwise
            assert (node.automation_condition and node.automation_condition.get_label()) == own_automation.get(key)
        elif node.parent_keys:
            assert node.automation_condition.get_label() == own_automation.get(key, "eager"), key


def _toy_definitions(partitioned: bool) -> dg.Definitions:
    partitions = dg.DailyPartitionsDefinition(start_date="2025-12-01") if partitioned else None

    @dg.asset(key=["raw_tracker", "events"], group_name="raw")
    def tracker():
        return None

    @dg.asset(key=["raw_google_ads", "ad_stats"], group_name="raw", partitions_def=partitions)
    def spend():
        return None

    @dg.asset(key=["marts", "mart_both"], group_name="marts", deps=[tracker, spend])
    def both():
        return None

    @dg.asset(key=["marts", "mart_spend_only"], group_name="marts", deps=[spend])
    def spend_only():
        return None

    @dg.asset(key=["staging", "seed"], group_name="staging")
    def seed():
        return None

    return dg.Definitions(assets=[tracker, spend, both, spend_only, seed], jobs=[daily_sources],
                          schedules=[daily_sources_with_restatement])


def test_mart_windows_follow_their_tightest_source():
    defs = with_orchestration_policies(_toy_definitions(partitioned=False))
    graph = defs.resolve_asset_graph()
    windows = {k.to_user_string(): (graph.get(k).freshness_policy.fail_window.to_timedelta(),
                                    graph.get(k).freshness_policy.warn_window.to_timedelta())
               for k in graph.materializable_asset_keys if graph.get(k).freshness_policy}
    assert windows == {
        "raw_tracker/events": (timedelta(hours=2), timedelta(hours=1)),
        "raw_google_ads/ad_stats": (timedelta(hours=26), timedelta(hours=25)),
        "marts/mart_both": (timedelta(hours=3), timedelta(hours=2)),
        "marts/mart_spend_only": (timedelta(hours=27), timedelta(hours=26)),
    }
    assert graph.get(dg.AssetKey(["staging", "seed"])).automation_condition.get_label() == "on_missing"


def _tick(defs: dg.Definitions, when: dt.datetime):
    context = dg.build_schedule_context(scheduled_execution_time=when, repository_def=defs.get_repository_def())
    return daily_sources_with_restatement.evaluate_tick(context)


def test_daily_schedule_reloads_the_restatement_window_of_partitioned_sources():
    data = _tick(_toy_definitions(partitioned=True), dt.datetime(2026, 1, 10, 6, 0, tzinfo=UTC))

    assert RESTATEMENT_LOOKBACK_DAYS == 3
    assert [r.partition_key for r in data.run_requests] == ["2026-01-06", "2026-01-07", "2026-01-08", "2026-01-09"]
    assert [r.run_key for r in data.run_requests] == [f"2026-01-10/2026-01-0{d}" for d in (6, 7, 8, 9)]


def test_daily_schedule_runs_unpartitioned_sources_once_a_day():
    data = _tick(_toy_definitions(partitioned=False), dt.datetime(2026, 1, 10, 6, 0, tzinfo=UTC))

    assert [(r.run_key, r.partition_key) for r in data.run_requests] == [("2026-01-10", None)]


def test_hourly_tracker_ingestion_and_downstream_by_automation(code_location, instance):
    graph = code_location.resolve_asset_graph()
    now = dt.datetime.now(UTC)
    hour = now.replace(minute=0, second=0, microsecond=0)

    def requested(result) -> set[str]:
        return {k.to_user_string() for k in graph.materializable_asset_keys if result.get_num_requested(k)}

    # the tracker's staging also follows the consent changes and the erasure audit: a deployment has both
    for key in (["raw_first_party", "consent_changes"], ["staging", "stg_first_party__consent_changes"],
                ["quality", "erasure_audit"]):
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=key))
    first = dg.evaluate_automation_conditions(defs=code_location, instance=instance,
                                              evaluation_time=hour - timedelta(minutes=30))
    assert TRACKER.to_user_string() not in requested(first)
    after_tick = dg.evaluate_automation_conditions(defs=code_location, instance=instance, cursor=first.cursor,
                                                   evaluation_time=hour + timedelta(seconds=30))
    assert "raw_tracker/events" in requested(after_tick)  # today's partition of the tracker, on the hour
    assert not any(k.startswith("raw_") and k != "raw_tracker/events" for k in requested(after_tick))
    assert after_tick.get_requested_partitions(TRACKER) == {hour.date().isoformat()}
    again = dg.evaluate_automation_conditions(defs=code_location, instance=instance, cursor=after_tick.cursor,
                                              evaluation_time=hour + timedelta(minutes=1))
    assert TRACKER.to_user_string() not in requested(again)  # once per hour
    # the tracker partition lands; the unpartitioned staging model follows at the next evaluation
    instance.report_runless_asset_event(dg.AssetMaterialization(TRACKER, partition=hour.date().isoformat()))
    downstream = dg.evaluate_automation_conditions(defs=code_location, instance=instance, cursor=again.cursor,
                                                   evaluation_time=hour + timedelta(minutes=2))
    assert "staging/stg_tracker__events" in requested(downstream)
