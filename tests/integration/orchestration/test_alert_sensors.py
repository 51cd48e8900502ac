"""The alert sensors of the code location, ticked against a real instance, alert a real HTTP receiver."""

from __future__ import annotations

import dagster as dg
import duckdb

from adledger.config import settings
from dagster_project.defs.alerts.ticks import start_alert_cursors, tick_alert_sensors

GX_CHECK = dg.AssetCheckKey(dg.AssetKey(["raw_tracker", "events"]), "gx_raw_tracker_events")


def _alert_rows() -> list[tuple]:
    with duckdb.connect(str(settings().warehouse), read_only=True) as con:
        return con.execute("select kind, asset, check_name, step, run_id, status from quality.alerts "
                           "order by created_at").fetchall()


def test_a_failed_check_alerts_once_with_its_failing_rules(adledger_env, code_location, instance, http_receiver,
                                                          monkeypatch):
    monkeypatch.setenv("ADLEDGER_ALERT_URLS", http_receiver.url())
    instance.report_runless_asset_event(dg.AssetCheckEvaluation(
        asset_key=GX_CHECK.asset_key, check_name=GX_CHECK.name, passed=False))  # history before the sensor started
    cursors = start_alert_cursors(code_location, instance)
    failing_rules = [{"expectation": "expect_column_values_to_be_in_set", "column": "event_type",
                      "unexpected_count": 1, "examples": ["bogus"]}]
    instance.report_runless_asset_event(dg.AssetCheckEvaluation(
        asset_key=GX_CHECK.asset_key, check_name=GX_CHECK.name, passed=False,
        metadata={"failing_rules": dg.MetadataValue.json(failing_rules), "results_table": "quality.validation_results",
                  "run_id": "gx-run-1"}))
    instance.report_runless_asset_event(dg.AssetCheckEvaluation(
        asset_key=GX_CHECK.asset_key, check_name=GX_CHECK.name, passed=True))
    instance.report_runless_asset_event(dg.AssetCheckEvaluation(  # a warning: visible in the UI, no alert
        asset_key=dg.AssetKey(["staging", "stg_tracker__events"]), check_name="unique_stg_tracker__events_message_id",
        passed=False,
        severity=dg.AssetCheckSeverity.WARN))

    tick_alert_sensors(code_location, instance, cursors)
    tick_alert_sensors(code_location, instance, cursors)  # nothing new: nothing sent again

    posts = http_receiver.wait(1)
    assert len(posts) == 1
    message = posts[0][1]["message"]
    assert posts[0][1]["title"] == "adledger: check gx_raw_tracker_events failed on raw_tracker/events"
    assert "asset: raw_tracker/events" in message and "check: gx_raw_tracker_events" in message
    assert "- expect_column_values_to_be_in_set on event_type: 1 unexpected (e.g. bogus)" in message
    assert "This blocking check stopped the run" in message
    assert "quality.validation_results (run_id gx-run-1)" in message
    assert "adledger materialize --select 'key:raw_tracker/events+'" in message
    assert "link: http://127.0.0.1:3000/assets/raw_tracker/events" in message  # a runless evaluation has no run
    assert _alert_rows() == [("check_failure", "raw_tracker/events", "gx_raw_tracker_events", None, None, "sent")]


def test_a_failed_run_alerts_with_its_step_assets_and_link(adledger_env, code_location, instance, http_receiver,
                                                          monkeypatch):
    monkeypatch.setenv("ADLEDGER_ALERT_URLS", http_receiver.url())
    monkeypatch.setenv("SOURCES__TRACKER__PATH", "nosuchscheme://bucket/tracker")  # not transient: no retry
    cursors = start_alert_cursors(code_location, instance)

    result = code_location.resolve_job_def("tracker_ingestion").execute_in_process(
        instance=instance, raise_on_error=False, partition_key="2026-01-09")
    tick_alert_sensors(code_location, instance, cursors)

    assert not result.success
    posts = http_receiver.wait(1)
    assert len(posts) == 1
    title, message = posts[0][1]["title"], posts[0][1]["message"]
    assert title == f"adledger: run {result.run_id[:8]} failed at tracker"
    assert "asset: raw_tracker/events" in message
    assert "failed step: tracker" in message
    assert f"link: http://127.0.0.1:3000/runs/{result.run_id}" in message
    assert "job: tracker_ingestion" in message
    assert "what to do: Open the run log at the link" in message
    assert _alert_rows() == [("run_failure", "raw_tracker/events", None, "tracker", result.run_id, "sent")]
