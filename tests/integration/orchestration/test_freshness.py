"""A stale source trips its freshness policy and alerts once; fresh assets and warnings do not alert."""

from __future__ import annotations

import time

import dagster as dg
import duckdb
from dagster._core.definitions.freshness import FreshnessState
from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData
from dagster._core.instance.utils import RUNLESS_JOB_NAME, RUNLESS_RUN_ID

from adledger.config import settings
from dagster_project.lib.freshness import freshness_readings

EVENTS = dg.AssetKey(["raw_tracker", "events"])
MART = dg.AssetKey(["marts", "mart_channel_daily"])
SNAPSHOT = dg.AssetKey(["publish", "published_snapshot"])
TOUCHPOINTS = dg.AssetKey(["marts", "fct_touchpoints"])  # built from the tracker events


def _materialized(instance: dg.DagsterInstance, key: dg.AssetKey, hours_ago: float) -> None:
    """Store the materialization event Dagster would have stored `hours_ago` (no run: as reported from outside)."""
    event = DagsterEvent(event_type_value=DagsterEventType.ASSET_MATERIALIZATION.value, job_name=RUNLESS_JOB_NAME,
                         event_specific_data=StepMaterializationData(dg.AssetMaterialization(key)))
    instance.report_dagster_event(event, run_id=RUNLESS_RUN_ID, timestamp=time.time() - hours_ago * 3600)


def _tick(code_location: dg.Definitions, instance: dg.DagsterInstance, cursor: str | None) -> str | None:
    sensor = code_location.resolve_sensor_def("alert_on_stale_assets")
    return sensor.evaluate_tick(dg.build_sensor_context(instance=instance, definitions=code_location,
                                                        cursor=cursor)).cursor


def test_a_stale_tracker_source_fails_its_policy_and_alerts_once(adledger_env, code_location, instance,
                                                                 http_receiver, monkeypatch):
    monkeypatch.setenv("ADLEDGER_ALERT_URLS", http_receiver.url())
    _materialized(instance, EVENTS, hours_ago=3.0)  # policy: fail after 2 h
    _materialized(instance, MART, hours_ago=0.2)  # policy: fail after 3 h
    _materialized(instance, SNAPSHOT, hours_ago=2.5)  # policy: warn after 2 h, fail after 3 h
    _materialized(instance, TOUCHPOINTS, hours_ago=4.0)  # fails too, but because its source is stale

    states = {r.key: r.state for r in freshness_readings(instance, code_location.resolve_asset_graph())}
    assert states[EVENTS] == FreshnessState.FAIL
    assert states[MART] == FreshnessState.PASS
    assert states[SNAPSHOT] == FreshnessState.WARN
    assert states[TOUCHPOINTS] == FreshnessState.FAIL
    assert states[dg.AssetKey(["marts", "fct_conversions"])] == FreshnessState.UNKNOWN  # never materialized

    cursor = _tick(code_location, instance, None)
    cursor = _tick(code_location, instance, cursor)  # still stale: no second alert

    posts = http_receiver.wait(1)
    assert len(posts) == 1  # one problem, one alert: the stale source, not the marts built from it
    title, message = posts[0][1]["title"], posts[0][1]["message"]
    assert title == "adledger: raw_tracker/events is stale (last updated 3.0 h ago)"
    assert "asset: raw_tracker/events" in message
    assert "check: freshness policy: fail after 2 h (warn after 1 h)" in message
    assert "link: http://127.0.0.1:3000/assets/raw_tracker/events" in message
    assert "new_tracker_files" in message and "adledger materialize --select 'key:raw_tracker/events+'" in message
    with duckdb.connect(str(settings().warehouse), read_only=True) as con:
        assert con.execute("select kind, asset, check_name from quality.alerts").fetchall() == [
            ("freshness", "raw_tracker/events", "freshness policy: fail after 2 h (warn after 1 h)")]

    _materialized(instance, EVENTS, hours_ago=0.0)  # the tracker loads again; the touchpoints mart is still old
    cursor = _tick(code_location, instance, cursor)
    assert '"raw_tracker/events": "PASS"' in cursor
    posts = http_receiver.wait(2)
    assert [p["title"] for _, p in posts[1:]] == ["adledger: marts/fct_touchpoints is stale (last updated 4.0 h ago)"]
    assert "check: freshness policy: fail after 3 h (warn after 2 h)" in posts[1][1]["message"]
    _tick(code_location, instance, cursor)
    assert len(http_receiver.posts) == 2
