"""What a report section holds before it is rendered: numbers, charts and tables, each with its provenance.

Every number on the page names the mart it came from and the filter that selected its rows (`Provenance`), shown
as a tooltip and a footnote, so an analyst can reproduce it with one query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

Format = Literal["money", "int", "number", "pct", "ratio", "days", "hours", "date", "time", "text", "pvalue"]


@dataclass(frozen=True)
class Period:
    """The report's days, both ends included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def between(self, column: str) -> str:
        """The SQL predicate (and footnote text) for `column` within the period."""
        return f"{column} between '{self.start.isoformat()}' and '{self.end.isoformat()}'"


@dataclass(frozen=True)
class Provenance:
    """The table a number comes from (`schema.table`), the file it was read from, and the filter applied."""

    table: str
    origin: str
    filter: str = ""

    def text(self) -> str:
        if not self.filter:
            return f"{self.table} ({self.origin})"
        joiner = " " if self.filter.startswith(("order by", "group by")) else " where "
        return f"{self.table}{joiner}{self.filter} ({self.origin})"


@dataclass(frozen=True)
class Kpi:
    key: str  # stable id, rendered as data-kpi (tests read it)
    label: str
    value: float | None
    fmt: Format
    provenance: Provenance
    formula: str = ""  # e.g. "sum(spend) / sum(conversions)"


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    fmt: Format = "text"


@dataclass(frozen=True)
class TableData:
    columns: tuple[Column, ...]
    rows: list[tuple[Any, ...]]
    provenance: Provenance
    caption: str = ""
    formula: str = ""


@dataclass(frozen=True)
class Chart:
    """A plotly figure as plain data (`{"data": [...traces], "layout": {...}}`) and where its numbers come from."""

    key: str
    title: str
    figure: dict[str, Any]
    provenance: Provenance
    formula: str = ""

    @property
    def trace_names(self) -> list[str]:
        return [t.get("name", "") for t in self.figure.get("data", [])]


@dataclass
class Section:
    """One part of the page; `missing` says plainly why it has nothing to show (then the rest is empty)."""

    key: str
    title: str
    intro: str = ""
    missing: str | None = None
    kpis: list[Kpi] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    tables: list[TableData] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def table_from(frame: Any, columns: tuple[Column, ...], provenance: Provenance, caption: str = "",
               formula: str = "") -> TableData:
    """A table of `frame`'s `columns` (a pandas DataFrame; missing values become None)."""
    names = [c.name for c in columns]
    subset = frame[names].astype(object).where(frame[names].notna(), None)
    return TableData(columns, list(subset.itertuples(index=False, name=None)), provenance, caption, formula)
