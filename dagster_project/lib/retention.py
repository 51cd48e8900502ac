"""Retention of raw tracker events: events older than the configured number of days are deleted, with an audit row.

Age is measured on the data's own clock: the cutoff is the newest `event_at` loaded minus the retention days. In
steady operation the newest event is minutes old, so this is the age by the wall clock; a paused pipeline, a
restored backup or a replayed history (the simulated demo world lives in 2026) is not wiped in one go because the
wall clock moved on. dlt's staging copy of the table (`raw_tracker_staging.events`) is purged with the same cutoff.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import duckdb

#: (schema, table, timestamp column) of the tables purged
RETAINED = (("raw_tracker", "events", "event_at"), ("raw_tracker_staging", "events", "event_at"))
AUDIT = "quality.retention_audit"

_DDL = (
    "create schema if not exists quality",
    f"""create table if not exists {AUDIT} (
        table_name varchar not null, retention_days integer not null, cutoff timestamptz,
        rows_removed bigint not null, done_at timestamptz not null)""",
)


@dataclass(frozen=True)
class Purge:
    table: str
    cutoff: datetime | None
    rows_removed: int


def _exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return con.execute("select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                       [schema, table]).fetchone()[0] > 0


def purge_raw_events(con: duckdb.DuckDBPyConnection, days: int, done_at: datetime | None = None) -> list[Purge]:
    """Delete rows older than `days` days (by the newest `event_at` of `raw_tracker.events`) from each RETAINED
    table, and write one `quality.retention_audit` row per table, all in one transaction."""
    if days < 1:
        raise ValueError(f"the raw retention must be at least one day, got {days}")
    done_at = done_at or datetime.now(timezone.utc)
    for statement in _DDL:
        con.execute(statement)
    purges = []
    con.execute("begin transaction")
    try:
        schema, table, column = RETAINED[0]
        newest = con.execute(f'select max("{column}") from "{schema}"."{table}"').fetchone()[0] \
            if _exists(con, schema, table) else None
        cutoff = newest - timedelta(days=days) if newest is not None else None
        for schema, table, column in RETAINED:
            removed = 0
            if cutoff is not None and _exists(con, schema, table):
                (removed,) = con.execute(f'delete from "{schema}"."{table}" where "{column}" < ?', [cutoff]).fetchone()
            con.execute(f"insert into {AUDIT} values (?, ?, ?, ?, ?)",
                        [f"{schema}.{table}", days, cutoff, removed, done_at])
            purges.append(Purge(f"{schema}.{table}", cutoff, int(removed)))
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return purges
