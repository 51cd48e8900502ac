"""Where the report reads its numbers: the published snapshot of the marts, else the warehouse, both read-only.

BI readers never open the file the pipeline writes (DESIGN.md, "Warehouse"), and neither does the report for its
marts: a mart is read from `published.duckdb` when the snapshot holds it and from the warehouse only when it was
never published. The `quality` tables and the dlt load records (`raw_*._dlt_loads`) live only in the warehouse,
which is attached read-only; when a run holds the warehouse's write lock the sections that need it say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

PUBLISHED = "published snapshot"
WAREHOUSE = "warehouse"
_CATALOGS = {PUBLISHED: "published", WAREHOUSE: "warehouse"}


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class Located:
    """A table found in one of the attached files: `sql` is its fully qualified name for queries."""

    qualified: str  # schema.table, as the marts are documented
    origin: str  # PUBLISHED or WAREHOUSE
    sql: str
    columns: tuple[str, ...]


@dataclass
class ReportSource:
    """One in-memory DuckDB connection with the snapshot and the warehouse attached read-only (each if present)."""

    published: Path | None
    warehouse: Path | None
    con: duckdb.DuckDBPyConnection = field(init=False, repr=False)
    attached: dict[str, Path] = field(default_factory=dict)
    #: why a file could not be attached (e.g. the warehouse is locked by a running pipeline), by origin
    unavailable: dict[str, str] = field(default_factory=dict)
    _tables: dict[tuple[str, str], dict[str, tuple[str, ...]]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.con = duckdb.connect(":memory:")
        self.con.execute("set TimeZone = 'UTC'")
        for origin, path in ((PUBLISHED, self.published), (WAREHOUSE, self.warehouse)):
            if path is None or not path.exists():
                continue
            try:
                self.con.execute(f"attach {_literal(str(path))} as {_CATALOGS[origin]} (read_only)")
            except duckdb.Error as exc:  # a writer holds the lock, or the file is not a DuckDB database
                self.unavailable[origin] = f"{path} could not be opened read-only ({str(exc).splitlines()[0]})"
                continue
            self.attached[origin] = path
        if self.attached:
            catalogs = ", ".join(_literal(_CATALOGS[o]) for o in self.attached)
            rows = self.con.execute(
                "select table_catalog, table_schema, table_name, list(column_name order by ordinal_position) "
                f"from information_schema.columns where table_catalog in ({catalogs}) group by all"
            ).fetchall()
            by_catalog = {v: k for k, v in _CATALOGS.items()}
            for catalog, schema, table, columns in rows:
                self._tables.setdefault((schema, table), {})[by_catalog[catalog]] = tuple(columns)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> ReportSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def locate(self, qualified: str) -> Located | None:
        """`schema.table` in the snapshot if published there, else in the warehouse; None when it exists nowhere."""
        schema, table = qualified.split(".", 1)
        found = self._tables.get((schema, table), {})
        for origin in (PUBLISHED, WAREHOUSE):
            if origin in found:
                sql = f"{_CATALOGS[origin]}.{_ident(schema)}.{_ident(table)}"
                return Located(qualified, origin, sql, found[origin])
        return None

    def schemas_like(self, prefix: str, origin: str = WAREHOUSE) -> list[str]:
        """Schemas of `origin` whose name starts with `prefix` (e.g. the dlt datasets `raw_*`), sorted."""
        return sorted({s for (s, _), where in self._tables.items() if s.startswith(prefix) and origin in where})

    def frame(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        """The result of `sql` as a DataFrame (the report's queries return aggregates: small); DATE values stay
        `datetime.date`."""
        cursor = self.con.execute(sql, params or [])
        dates = [d[0] for d in cursor.description if str(d[1]).upper() == "DATE"]
        frame = cursor.fetchdf()
        for column in dates:
            frame[column] = [None if pd.isna(v) else v.date() for v in frame[column]]
        return frame

    def scalar(self, sql: str, params: list[Any] | None = None) -> Any:
        row = self.con.execute(sql, params or []).fetchone()
        return row[0] if row else None

    def describe(self) -> str:
        """What was read, for the page header: `published snapshot <path> (published <when>)`, ...."""
        parts = []
        for origin, path in self.attached.items():
            text = f"{origin} {path.name}"
            if origin == PUBLISHED:
                when = self.published_at()
                if when is not None:
                    text += f" (published {when:%Y-%m-%d %H:%M} UTC)"
            parts.append(text)
        return ", ".join(parts)

    def published_at(self) -> datetime | None:
        meta = self.locate("meta.snapshot_tables")
        if meta is None or meta.origin != PUBLISHED:
            return None
        value = self.scalar(f"select max(published_at) from {meta.sql}")
        return value if isinstance(value, datetime) else None
