"""Publish the marts for BI readers: a read-only DuckDB snapshot swapped in atomically, and Parquet exports.

BI tools never open the file the pipeline writes. The snapshot is built as a new file beside the published one
(DuckDB `ATTACH ... (READ_ONLY)` of the warehouse, one `create table as` per mart), closed so its WAL is
checkpointed, fsynced, and moved over `published.duckdb` with `os.replace` — an atomic rename on POSIX, so a
reader opens either the previous snapshot or the new one, never a half-written file, and a reader that already has
the old file open keeps reading it. Exports are written the same way: temp file, then rename.

The snapshot carries `meta.snapshot_tables` (one row per mart: row count and an order-independent checksum,
`sum(hash(row))`), so anyone can verify that what they read is what was published.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

META_TABLE = "meta.snapshot_tables"


@dataclass(frozen=True)
class PublishedTable:
    name: str
    rows: int
    checksum: str


@dataclass(frozen=True)
class Snapshot:
    path: Path
    snapshot_id: str
    published_at: datetime
    tables: tuple[PublishedTable, ...]


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def table_fingerprint(con: duckdb.DuckDBPyConnection, qualified: str) -> tuple[int, str]:
    """(row count, checksum) of a table: the checksum is `sum(hash(row))`, independent of row order."""
    rows, checksum = con.execute(f"select count(*), coalesce(sum(hash(t)), 0)::varchar from {qualified} t").fetchone()
    return int(rows), str(checksum)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish_snapshot(warehouse: Path, target: Path, tables: list[str], *, schema: str = "marts",
                     run_id: str | None = None) -> Snapshot:
    """Copy `schema`.`tables` of `warehouse` into a new DuckDB file and atomically replace `target` with it.

    Raises (leaving `target` untouched and no temp file behind) when a table is missing or the copy fails.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    snapshot_id = uuid.uuid4().hex
    published_at = datetime.now(timezone.utc)
    try:
        with duckdb.connect(str(tmp)) as con:
            # attached under its own catalog name, so marts that are views over `<catalog>.staging...` resolve
            source = _ident(warehouse.stem)
            con.execute(f"attach {_literal(warehouse)} as {source} (read_only)")
            con.execute(f"create schema {_ident(schema)}")
            con.execute("create schema meta")
            con.execute(f"create table {META_TABLE} (snapshot_id varchar, published_at timestamptz, run_id varchar, "
                        "schema_name varchar, table_name varchar, row_count bigint, checksum varchar)")
            published = []
            for table in sorted(tables):
                qualified = f"{_ident(schema)}.{_ident(table)}"
                con.execute(f"create table {qualified} as select * from {source}.{qualified}")
                rows, checksum = table_fingerprint(con, qualified)
                con.execute(f"insert into {META_TABLE} values (?, ?, ?, ?, ?, ?, ?)",
                            [snapshot_id, published_at, run_id, schema, table, rows, checksum])
                published.append(PublishedTable(table, rows, checksum))
            con.execute(f"detach {source}")
            con.execute("checkpoint")
        wal = tmp.with_name(tmp.name + ".wal")
        if wal.exists():
            raise RuntimeError(f"{wal} survived the checkpoint: the snapshot is not self-contained")
        _fsync(tmp)
        os.replace(tmp, target)
        _fsync(target.parent)
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            leftover.unlink(missing_ok=True)
    return Snapshot(target, snapshot_id, published_at, tuple(published))


def export_parquet(snapshot: Path, exports_dir: Path, *, schema: str = "marts") -> list[Path]:
    """Write every table of `schema` in the snapshot to `exports_dir/<table>.parquet` (temp file, then rename)."""
    exports_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with duckdb.connect(str(snapshot), read_only=True) as con:
        names = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = ? order by table_name", [schema]
        ).fetchall()]
        for name in names:
            final = exports_dir / f"{name}.parquet"
            tmp = exports_dir / f".{name}.{uuid.uuid4().hex}.parquet.tmp"
            try:
                con.execute(f"copy (select * from {_ident(schema)}.{_ident(name)}) to {_literal(tmp)} "
                            "(format parquet, compression zstd)")
                _fsync(tmp)
                os.replace(tmp, final)
            finally:
                tmp.unlink(missing_ok=True)
            written.append(final)
    _fsync(exports_dir)
    return written


def read_meta(snapshot: Path) -> list[PublishedTable]:
    """The tables a snapshot says it holds, with their published row counts and checksums."""
    with duckdb.connect(str(snapshot), read_only=True) as con:
        rows = con.execute(f"select table_name, row_count, checksum from {META_TABLE} order by table_name").fetchall()
    return [PublishedTable(name, int(n), str(c)) for name, n, c in rows]
