"""Daily partitions of the sources whose data comes by day: ad spend (every API source) and tracker events.

A partition is one day: for an ad-platform API, the account-local report day (the `start_date`/`end_date` the
source is called with); for the tracker, the day folder the files were delivered into (`YYYY/MM/DD/`, the layout
of the collector and of every Segment/RudderStack file export adledger reads). A run may cover a range of days in
one step (`BackfillPolicy.single_run()`): a backfill of a month is one dlt run, not thirty.

Every partition run is a backfill of its days: explicit dates, no dlt cursor, and idempotent (merge on the natural
key for spend, insert-only on messageId for events), so re-running a day never duplicates and a two-day backfill
after a run of the days before gives the same warehouse as one run of everything.
"""

from __future__ import annotations

import os
from datetime import date, timedelta

import dagster as dg

#: the first day that can be a partition (env `ADLEDGER_PARTITIONS_START`, read when the code location loads)
PARTITIONS_START = os.environ.get("ADLEDGER_PARTITIONS_START", "2024-01-01")

#: one partition per UTC calendar day; `end_offset=1` makes today a partition too (the hourly tracker runs fill it)
DAILY = dg.DailyPartitionsDefinition(start_date=PARTITIONS_START, timezone="UTC", end_offset=1)

#: a range of days is materialized in one run of one step
SINGLE_RUN = dg.BackfillPolicy.single_run()

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def partition_days(context: dg.AssetExecutionContext) -> tuple[date, date]:
    """(first day, last day), both inclusive, of the partitions this run materializes."""
    window = context.partition_time_window
    return window.start.date(), (window.end - timedelta(days=1)).date()


def days_between(first: date, last: date) -> list[str]:
    """Every day from `first` to `last` (inclusive) as YYYY-MM-DD."""
    return [str(first + timedelta(days=i)) for i in range((last - first).days + 1)]


def range_tags(first: date | str, last: date | str) -> dict[str, str]:
    """Run tags that make one run materialize the partitions `first`..`last` of every partitioned asset in it."""
    return {RANGE_START_TAG: str(first), RANGE_END_TAG: str(last)}

