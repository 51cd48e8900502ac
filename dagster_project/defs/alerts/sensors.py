"""Alert sensors: a failed run, a failed asset check, an asset that broke its freshness policy.

They run in the dagster-daemon (default status RUNNING) and send through `dagster_project.lib.alerting`, which
records every alert in `quality.alerts`. One problem, one alert: a run that failed only because blocking checks
failed is reported by `alert_on_failed_checks` (which names the check and its failing rules), not twice.
"""

import json

import dagster as dg
from dagster._core.definitions.freshness import FreshnessState
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
from dagster._time import get_current_timestamp

from dagster_project.defs.alerts.messages import check_failure_alert, freshness_alert, run_failure_alert
from dagster_project.lib.alerting import send_alert
from dagster_project.lib.freshness import ancestors, freshness_readings

#: evaluations of one check read per tick (a check rarely runs more often than the sensor ticks)
CHECK_HISTORY_PER_TICK = 20
_EVALUATED = {AssetCheckExecutionRecordStatus.SUCCEEDED, AssetCheckExecutionRecordStatus.FAILED}


def _step_assets(instance: dg.DagsterInstance, run_id: str) -> dict[str, list[str]]:
    planned: dict[str, list[str]] = {}
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED):
        event = entry.dagster_event
        if event and event.step_key and event.asset_key:
            planned.setdefault(event.step_key, []).append(event.asset_key.to_user_string())
    return planned


def _failed_check_steps(instance: dg.DagsterInstance, run_id: str) -> set[str]:
    return {
        entry.step_key
        for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
        if entry.step_key and not entry.dagster_event.event_specific_data.passed
    }


@dg.run_failure_sensor(
    name="alert_on_run_failure",
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Alerts (apprise URLs, quality.alerts) when a run of this code location fails.",
)
def alert_on_run_failure(context: dg.RunFailureSensorContext) -> None:
    run = context.dagster_run
    alert = run_failure_alert(run, context.get_step_failure_events(), _step_assets(context.instance, run.run_id),
                              _failed_check_steps(context.instance, run.run_id))
    if alert is not None:
        send_alert(alert)


def _new_evaluations(instance: dg.DagsterInstance, check_key: dg.AssetCheckKey, seen: int) -> list:
    """Execution records of `check_key` with an evaluation, newer than record id `seen`, oldest first."""
    history = instance.event_log_storage.get_asset_check_execution_history(
        check_key, limit=CHECK_HISTORY_PER_TICK, status=_EVALUATED)
    return sorted((r for r in history if r.id > seen and r.event is not None), key=lambda r: r.id)


@dg.sensor(
    name="alert_on_failed_checks",
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Alerts on every failed asset check of ERROR severity (GX suites, dbt tests) since the last tick.",
)
def alert_on_failed_checks(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    graph = context.repository_def.asset_graph
    check_keys = sorted(graph.asset_check_keys, key=lambda k: k.to_user_string())
    latest = context.instance.event_log_storage.get_latest_asset_check_execution_by_key(check_keys)
    if context.cursor is None:  # like Dagster's run-status sensors: start from now, do not replay history
        context.update_cursor(json.dumps({k.to_user_string(): r.id for k, r in latest.items()}, sort_keys=True))
        return dg.SkipReason(f"watching {len(check_keys)} asset checks from now on")
    seen: dict[str, int] = json.loads(context.cursor)
    sent = 0
    for check_key in check_keys:
        name = check_key.to_user_string()
        if check_key not in latest or latest[check_key].id <= seen.get(name, 0):
            continue
        for record in _new_evaluations(context.instance, check_key, seen.get(name, 0)):
            evaluation = record.event.dagster_event.event_specific_data
            if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
                send_alert(check_failure_alert(evaluation, record.run_id or None, graph.get(check_key).blocking))
                sent += 1
        seen[name] = latest[check_key].id
    context.update_cursor(json.dumps(seen, sort_keys=True))
    return dg.SkipReason(f"{sent} failed check alert(s) sent")


#: cursor state of a failing asset whose staleness is explained by a failing upstream asset (alerted there)
STALE_UPSTREAM = "FAIL_UPSTREAM"


@dg.sensor(
    name="alert_on_stale_assets",
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=300,
    description="Alerts once when an asset starts failing its freshness policy, at the most upstream failing asset "
                "(sources and marts; see docs/orchestration.md for the thresholds).",
)
def alert_on_stale_assets(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    previous: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    graph = context.repository_def.asset_graph
    now = get_current_timestamp()
    readings = freshness_readings(context.instance, graph)
    failing = {r.key for r in readings if r.state == FreshnessState.FAIL}
    states: dict[str, str] = {}
    alerted = []
    for reading in readings:
        key = reading.key.to_user_string()
        if reading.state != FreshnessState.FAIL:
            states[key] = reading.state.value
        elif ancestors(graph, reading.key) & failing:  # one problem, one alert: the stale source, not its marts
            states[key] = STALE_UPSTREAM
        else:
            states[key] = FreshnessState.FAIL.value
            if previous.get(key) != FreshnessState.FAIL.value:
                age = (now - reading.last_materialized) / 3600 if reading.last_materialized else None
                send_alert(freshness_alert(reading, age))
                alerted.append(key)
    context.update_cursor(json.dumps(states, sort_keys=True))
    return dg.SkipReason(f"{len(states)} asset(s) with a freshness policy; failing: "
                         f"{', '.join(sorted(k.to_user_string() for k in failing)) or 'none'}; "
                         f"alerted now: {', '.join(alerted) or 'none'}")
