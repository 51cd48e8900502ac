"""Tick the alert sensors around a run executed in this process (`adledger demo`, `adledger materialize`).

There is no daemon in an in-process run, so the caller ticks the same sensor definitions the daemon would: once
before the run (each sensor starts its cursor at "now", so older history is not replayed) and once after it.
"""

from __future__ import annotations

import dagster as dg

#: the sensors in `sensors.py` that report on finished runs
AFTER_RUN_SENSORS = ("alert_on_run_failure", "alert_on_failed_checks")


def _tick(defs: dg.Definitions, instance: dg.DagsterInstance, name: str, cursor: str | None) -> str | None:
    sensor = defs.resolve_sensor_def(name)
    result = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, definitions=defs, cursor=cursor,
                                                          sensor_name=name))
    return result.cursor


def start_alert_cursors(defs: dg.Definitions, instance: dg.DagsterInstance) -> dict[str, str | None]:
    """First tick of each after-run alert sensor: their cursors, positioned at the end of the event log."""
    return {name: _tick(defs, instance, name, None) for name in AFTER_RUN_SENSORS}


def tick_alert_sensors(defs: dg.Definitions, instance: dg.DagsterInstance, cursors: dict[str, str | None]) -> None:
    """Tick each alert sensor from its cursor, sending (and recording) the alerts for what happened since."""
    for name, cursor in cursors.items():
        cursors[name] = _tick(defs, instance, name, cursor)
