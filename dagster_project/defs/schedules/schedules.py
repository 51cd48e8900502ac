"""Jobs, the daily-sources schedule with its restatement window, and the sensor that evaluates the automation.

* `tracker_ingestion` — the tracker's dlt assets only; started by the `new_tracker_files` sensor (and hourly by the
  `on_cron` automation condition). Everything downstream follows through `eager()` automation.
* `daily_sources` at 06:00 UTC — every non-tracker source (ad platforms, affiliate, ESP, first-party). Ad platforms
  restate the last days (late conversions, invalid-click credits), so for daily-partitioned sources the schedule
  requests yesterday and the RESTATEMENT_LOOKBACK_DAYS days before it, one run per day (the `warehouse_writer`
  pool runs them one after another); unpartitioned sources get one run and apply the same lookback themselves
  (dlt incremental with a lookback window).
* `automation` — evaluates every asset's `AutomationCondition` (see `policies.py`).
"""

import dagster as dg

from dagster_project.defs.schedules.policies import TRACKER_PREFIX

#: days before yesterday that are loaded again every day (the ingestion default of the ad-platform sources)
RESTATEMENT_LOOKBACK_DAYS = 3
DAILY_SOURCES_CRON = "0 6 * * *"

TRACKER_SELECTION = dg.AssetSelection.key_prefixes(TRACKER_PREFIX)
DAILY_SOURCES_SELECTION = dg.AssetSelection.groups("raw") - TRACKER_SELECTION

tracker_ingestion = dg.define_asset_job(
    "tracker_ingestion", selection=TRACKER_SELECTION,
    description="Load new tracker files into raw_tracker (downstream assets follow by automation).")
daily_sources = dg.define_asset_job(
    "daily_sources", selection=DAILY_SOURCES_SELECTION,
    description="Load the ad platforms, affiliate, ESP and first-party sources (downstream follows by automation).")


def restatement_partitions(partitions_def: dg.PartitionsDefinition, tick: dg.ScheduleEvaluationContext) -> list[str]:
    """Partition keys of yesterday and the RESTATEMENT_LOOKBACK_DAYS before it, as of the tick's scheduled time."""
    now = tick.scheduled_execution_time
    keys = partitions_def.get_partition_keys(current_time=now)
    return keys[-(RESTATEMENT_LOOKBACK_DAYS + 1):]


@dg.schedule(
    name="daily_sources_with_restatement",
    job=daily_sources,
    cron_schedule=DAILY_SOURCES_CRON,
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description=f"Daily load of every non-tracker source, reloading the last {RESTATEMENT_LOOKBACK_DAYS} days "
                "before yesterday too (restatements).",
)
def daily_sources_with_restatement(context: dg.ScheduleEvaluationContext):
    job = context.repository_def.get_job(daily_sources.name)
    if not job.asset_layer.executable_asset_keys:
        return dg.SkipReason("no daily source is defined yet")
    day = context.scheduled_execution_time.strftime("%Y-%m-%d")
    if job.partitions_def is None:
        return dg.RunRequest(run_key=day, tags={"adledger/restatement_lookback_days": str(RESTATEMENT_LOOKBACK_DAYS)})
    return [dg.RunRequest(run_key=f"{day}/{key}", partition_key=key)
            for key in restatement_partitions(job.partitions_def, context)]


automation = dg.AutomationConditionSensorDefinition(
    "automation",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=60,
    description="Hourly tracker ingestion and everything downstream of a source (AutomationCondition on each asset).",
)
