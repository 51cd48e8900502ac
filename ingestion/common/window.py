"""The date window of a report request: incremental by account-local date with a restatement lookback.

Ad platforms restate recent days (invalid-click credits, late conversions), so every run asks again for the
last `lookback_days` before the newest date already loaded, and the resource merges on its natural key:
restated rows replace the old ones, never add to them. dlt keeps the cursor (`last_value`) in the pipeline
state committed with the loaded data, so it is never ahead of what the warehouse holds.
"""

from __future__ import annotations

import datetime as dt

import dlt

#: days loaded on a first run without `start_date`
DEFAULT_HISTORY_DAYS = 90


def cursor_bounds(start_date: str | None, end_date: str | None, lookback_days: int) -> tuple[str | None, str | None]:
    """Validated `(first date, last date)` of a run as `YYYY-MM-DD`, each None when not given (a backfill with
    only an end date starts `DEFAULT_HISTORY_DAYS` before it)."""
    if lookback_days < 0:
        raise ValueError(f"lookback_days must be 0 or more, got {lookback_days}")
    end = _iso(end_date) if end_date else None
    start = _iso(start_date) if start_date else (default_start(end) if end else None)
    if end is not None and end < start:
        raise ValueError(f"end_date {end} is before start_date {start}")
    return start, end


def date_cursor(cursor_path: str, start_date: str | None, end_date: str | None, lookback_days: int):
    """`dlt.sources.incremental` on a `YYYY-MM-DD` date column.

    A first run starts at `start_date` (default: `DEFAULT_HISTORY_DAYS` ago); later runs start `lookback_days`
    before the newest loaded date, or at `start_date` if that is later. With `end_date` the run is a backfill of
    [start_date, end_date] (both inclusive) that leaves the cursor alone.
    """
    start, end = cursor_bounds(start_date, end_date, lookback_days)
    return dlt.sources.incremental(
        cursor_path,
        initial_value=start,
        end_value=end,
        lag=lookback_days or None,
        range_end="closed",
        # merge on the natural key handles the rows at the boundary; no hash bookkeeping in the state
        primary_key=(),
    )


def report_window(cursor) -> tuple[str, str]:
    """`(since, until)` inclusive dates to request: from the cursor's (lagged) start to its end or tomorrow.

    A first run without a start date begins `DEFAULT_HISTORY_DAYS` ago; tomorrow (UTC) covers accounts whose
    local date is ahead of UTC (Australia, Asia).
    """
    since = _iso(cursor.start_value) if cursor.start_value is not None else default_start()
    until = _iso(cursor.end_value) if cursor.end_value is not None else (_today() + dt.timedelta(days=1)).isoformat()
    return since, until


def default_start(before: str | None = None) -> str:
    """The first date of a run without `start_date`: `DEFAULT_HISTORY_DAYS` before `before` (default today, UTC)."""
    last = dt.date.fromisoformat(before) if before else _today()
    return (last - dt.timedelta(days=DEFAULT_HISTORY_DAYS)).isoformat()


def next_day(day: str) -> str:
    """The ISO date after `day`."""
    return (dt.date.fromisoformat(_iso(day)) + dt.timedelta(days=1)).isoformat()


def _today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


def _iso(value) -> str:
    """A date as `YYYY-MM-DD` from a date, datetime or string."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    try:
        return dt.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)") from None
