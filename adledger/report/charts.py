"""plotly figures as plain data (trace and layout dicts, https://plotly.com/javascript/reference/), never HTML.

Names that come from users (channels, campaigns, experiments) are HTML-escaped before they go into a figure:
plotly.js renders a small set of HTML tags in labels and decodes entities, so an escaped name shows as typed and
a hostile one never becomes markup.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import pandas as pd

from adledger.report.model import Chart, Provenance

HEIGHT = 340
DAY_MS = 86_400_000
#: 20 distinguishable colours (Tableau 20), so up to 20 channels never share one
COLORWAY = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
            "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7",
            "#dbdb8d", "#9edae5"]


def plot_text(value: object) -> str:
    """A label for plotly: the value as text, HTML-escaped."""
    return html.escape("" if value is None else str(value), quote=True)


def _plain(value: Any) -> Any:
    """A JSON-ready scalar: NaN and NaT become None, dates ISO strings, numpy scalars Python numbers."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def values(items: Sequence[Any] | pd.Series) -> list[Any]:
    return [_plain(v) for v in (items.tolist() if isinstance(items, pd.Series) else items)]


def _layout(title: str, y_title: str, *, barmode: str | None = None, y_format: str = "") -> dict[str, Any]:
    layout: dict[str, Any] = {
        "title": {"text": plot_text(title), "x": 0.01, "font": {"size": 15}},
        "height": HEIGHT,
        "margin": {"l": 60, "r": 20, "t": 40, "b": 40},
        "legend": {"font": {"size": 11}},  # vertical, right of the plot: never over the axis labels
        "colorway": COLORWAY,
        "hovermode": "x unified",
        "yaxis": {"title": {"text": plot_text(y_title)}, "tickformat": y_format, "rangemode": "tozero"},
        "paper_bgcolor": "white",
        "plot_bgcolor": "#fafafa",
    }
    if barmode:
        layout["barmode"] = barmode
    return layout


def lines_by(frame: pd.DataFrame, *, x: str, group: str, y: str, key: str, title: str, y_title: str,
             provenance: Provenance, y_format: str = "", formula: str = "",
             order: Sequence[str] | None = None) -> Chart:
    """One line per value of `group` (in `order`, else sorted), `y` over the days in `x`."""
    names = list(order) if order is not None else sorted(frame[group].dropna().unique().tolist())
    traces = []
    for name in names:
        rows = frame[frame[group] == name].sort_values(x)
        traces.append({"type": "scatter", "mode": "lines+markers", "name": plot_text(name),
                       "x": values(rows[x]), "y": values(rows[y]), "marker": {"size": 4},
                       "connectgaps": False})
    layout = _layout(title, y_title, y_format=y_format)
    days = frame[x].nunique()
    layout["xaxis"] = {"type": "date", "tickformat": "%b %d", "dtick": DAY_MS * max(1, round(days / 8))}
    return Chart(key, title, {"data": traces, "layout": layout}, provenance, formula)


def grouped_bars(categories: Sequence[Any], series: dict[str, Sequence[Any]], *, key: str, title: str,
                 y_title: str, provenance: Provenance, y_format: str = "", formula: str = "") -> Chart:
    """Bars per category, one trace (colour) per entry of `series`, side by side."""
    cats = [plot_text(c) for c in categories]
    traces = [{"type": "bar", "name": plot_text(name), "x": cats, "y": values(ys)} for name, ys in series.items()]
    layout = _layout(title, y_title, barmode="group", y_format=y_format)
    layout["hovermode"] = "closest"
    return Chart(key, title, {"data": traces, "layout": layout}, provenance, formula)


def intervals(labels: Sequence[Any], points: Sequence[Any], lows: Sequence[Any], highs: Sequence[Any], *,
              key: str, title: str, x_title: str, provenance: Provenance, name: str, x_format: str = "",
              formula: str = "") -> Chart:
    """A point per label with its interval as horizontal error bars, and a reference line at zero."""
    pts, lo, hi = values(points), values(lows), values(highs)
    plus = [None if p is None or h is None else h - p for p, h in zip(pts, hi)]
    minus = [None if p is None or low is None else p - low for p, low in zip(pts, lo)]
    trace = {"type": "scatter", "mode": "markers", "name": plot_text(name), "x": pts,
             "y": [plot_text(label) for label in labels], "marker": {"size": 9},
             "error_x": {"type": "data", "symmetric": False, "array": plus, "arrayminus": minus}}
    layout = _layout(title, "", y_format="")
    layout.pop("yaxis")
    layout["xaxis"] = {"title": {"text": plot_text(x_title)}, "tickformat": x_format, "zeroline": True,
                       "zerolinewidth": 2}
    layout["yaxis"] = {"automargin": True, "type": "category", "autorange": "reversed"}  # first label on top
    layout["hovermode"] = "closest"
    layout["height"] = max(HEIGHT // 2, 60 + 34 * len(pts))
    return Chart(key, title, {"data": [trace], "layout": layout}, provenance, formula)


def against_diagonal(labels: Sequence[Any], xs: Sequence[Any], ys: Sequence[Any], *, key: str, title: str,
                     x_title: str, y_title: str, diagonal: str, provenance: Provenance, formula: str = "") -> Chart:
    """One point per label (its own trace, so the legend names it) on log-log axes, with the line y = x
    (named `diagonal`) that splits the points above it from those below."""
    xv, yv = values(xs), values(ys)
    hover = f"%{{fullData.name}}<br>{plot_text(x_title)}: %{{x:,.2f}}<br>{plot_text(y_title)}: %{{y:,.2f}}<extra></extra>"
    traces = [{"type": "scatter", "mode": "markers", "name": plot_text(label), "x": [x], "y": [y],
               "marker": {"size": 11}, "hovertemplate": hover} for label, x, y in zip(labels, xv, yv)]
    known = [v for v in xv + yv if v is not None and v > 0]
    if known:
        low, high = min(known) / 1.5, max(known) * 1.5
        traces.append({"type": "scatter", "mode": "lines", "name": plot_text(diagonal), "x": [low, high],
                       "y": [low, high], "line": {"dash": "dash", "color": "#888"}, "hoverinfo": "skip"})
    layout = _layout(title, y_title)
    layout["yaxis"].update({"type": "log", "rangemode": "normal"})
    layout["xaxis"] = {"type": "log", "title": {"text": plot_text(x_title)}}
    layout["hovermode"] = "closest"
    return Chart(key, title, {"data": traces, "layout": layout}, provenance, formula)
