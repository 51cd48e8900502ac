"""The daily purge of raw tracker events past their retention (`quality/retention_audit`)."""

import dagster as dg

from dagster_project.defs.privacy.assets import RETENTION_AUDIT

RETENTION_CRON = "30 3 * * *"

raw_retention = dg.define_asset_job(
    "raw_retention", selection=dg.AssetSelection.assets(RETENTION_AUDIT),
    description="Delete raw tracker events older than the configured retention (ADLEDGER_RAW_RETENTION_DAYS).")

raw_retention_daily = dg.ScheduleDefinition(
    name="raw_retention_daily",
    job=raw_retention,
    cron_schedule=RETENTION_CRON,
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Daily at 03:30 UTC: purge raw tracker events past their retention.",
)
