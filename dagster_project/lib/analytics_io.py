"""Warehouse I/O of the Python analytics assets: read marts as pandas, write a result table atomically.

The analytics functions (`adledger.analytics`) take and return DataFrames; this module is the only place the
analytics assets touch the DuckDB warehouse file. A result table is replaced in one transaction
(`create or replace table` inside `begin` / `commit`), so a reader sees either the previous table or the new one,
never a half-written one, and a failed computation leaves the previous table in place.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from dagster_project.lib.env import current


@contextmanager
def warehouse(path: str | Path | None = None, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the warehouse file (default: the current environment's `Settings.warehouse`), in UTC."""
    target = Path(path) if path is not None else current().warehouse
    if not read_only:
        target.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(target), read_only=read_only)
    try:
        con.execute("set TimeZone = 'UTC'")
        yield con
    finally:
        con.close()


def relation_exists(con: duckdb.DuckDBPyConnection, relation: str) -> bool:
    """Whether `schema.table` (a table or a view) exists."""
    schema, name = _split(relation)
    # fetchall, not fetchone: DuckDB 2 keeps a result open until a fetch returns no rows, blocking the next query
    ((count,),) = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, name]
    ).fetchall()
    return count > 0


def read_frame(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pd.DataFrame:
    """The result of `sql` as a DataFrame (DuckDB converts column by column, never row by row)."""
    return con.execute(sql, params or []).df()


def now_utc() -> datetime:
    """The `computed_at` stamp of a result (timezone-aware UTC)."""
    return datetime.now(timezone.utc)


def with_computed_at(frame: pd.DataFrame, computed_at: datetime) -> pd.DataFrame:
    """`frame` with a `computed_at` column (the same timestamp on every row)."""
    return frame.assign(computed_at=pd.Timestamp(computed_at))


def write_table(
    con: duckdb.DuckDBPyConnection, relation: str, frame: pd.DataFrame | pa.Table, schema: pa.Schema
) -> int:
    """Replace `schema.table` with `frame`, typed by `schema` (its columns, in its order), in one transaction.

    Typing by an explicit Arrow schema makes an empty result (any columns) a table with the right columns too.
    Returns the number of rows written.
    """
    if len(frame) == 0:
        table = schema.empty_table()
    elif isinstance(frame, pa.Table):
        table = frame.select(schema.names).cast(schema)
    else:
        table = pa.Table.from_pandas(frame[schema.names], schema=schema, preserve_index=False)
    target_schema, name = _split(relation)
    view = f"_adledger_result_{name}"
    con.register(view, table)
    try:
        con.execute("begin transaction")
        try:
            con.execute(f'create schema if not exists "{target_schema}"')
            con.execute(f'create or replace table "{target_schema}"."{name}" as select * from "{view}"')
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    finally:
        con.unregister(view)
    return table.num_rows


def _split(relation: str) -> tuple[str, str]:
    schema, _, name = relation.partition(".")
    if not schema or not name or '"' in relation:
        raise ValueError(f"expected `schema.table`, got {relation!r}")
    return schema, name
