"""The report as one self-contained HTML page: sections, tables, KPI tiles and plotly charts, no network needed.

Everything that comes from data is escaped here (`esc`), in text and in attributes; chart data travels as JSON in
`<script type="application/json">` blocks with `<`, `>` and `&` written as `\\u003c`-style escapes, so no string
can close the block. plotly.js is embedded once (`bundle.py`; the loader unpacks it first if it came packed);
`document.body.dataset.charts` becomes `drawn` (or `failed`) when the charts are drawn.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from adledger.report.bundle import plotly_script
from adledger.report.model import Chart, Format, Kpi, Period, Provenance, Section, TableData

TITLE = "adledger — closed-loop report"


def esc(value: object) -> str:
    """`value` as text, safe in HTML text and in quoted attribute values."""
    return html.escape("" if value is None else str(value), quote=True)


def fmt(value: Any, kind: Format) -> str:
    """A value for display (not yet escaped); None and NaN show as an em dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if kind in ("money", "ratio"):
        return _fixed(value, 2)
    if kind in ("int", "days"):
        return f"{int(round(float(value))):,}"
    if kind in ("number", "hours"):
        return _fixed(value, 1)
    if kind == "pct":
        return f"{_rounded(value, 3):.1%}"
    if kind == "pvalue":
        return "< 0.001" if float(value) < 0.001 else f"{float(value):.3f}"
    if kind == "date" and isinstance(value, (date, datetime)):
        return value.strftime("%Y-%m-%d")
    if kind == "time" and isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _rounded(value: Any, digits: int) -> float:
    """`value` rounded, without a negative zero ("-0.0" for a tiny negative number)."""
    return round(float(value), digits) + 0.0


def _fixed(value: Any, digits: int) -> str:
    return f"{_rounded(value, digits):,.{digits}f}"


_NUMERIC = {"money", "int", "days", "number", "pct", "ratio", "hours", "pvalue"}


def _source_note(provenance: Provenance, formula: str = "") -> str:
    extra = f" · {esc(formula)}" if formula else ""
    return f'<p class="src">Source: <code>{esc(provenance.text())}</code>{extra}</p>'


def _kpis(kpis: list[Kpi]) -> str:
    tiles = []
    for k in kpis:
        raw = "" if k.value is None else repr(float(k.value))
        tip = f"{k.formula} from {k.provenance.text()}" if k.formula else k.provenance.text()
        tiles.append(f'<div class="kpi" data-kpi="{esc(k.key)}" data-value="{esc(raw)}" title="{esc(tip)}">'
                     f'<div class="label">{esc(k.label)}</div><div class="value">{esc(fmt(k.value, k.fmt))}</div></div>')
    notes = "".join(sorted({_source_note(k.provenance) for k in kpis}))
    formulas = "; ".join(f"{k.label} = {k.formula}" for k in kpis if k.formula)
    return f'<div class="kpis">{"".join(tiles)}</div>{notes}<p class="src">{esc(formulas)}</p>'


def _table(table: TableData) -> str:
    head = "".join(f'<th class="{"num" if c.fmt in _NUMERIC else ""}">{esc(c.label)}</th>' for c in table.columns)
    body = []
    for row in table.rows:
        cells = "".join(f'<td class="{"num" if c.fmt in _NUMERIC else ""}">{esc(fmt(v, c.fmt))}</td>'
                        for c, v in zip(table.columns, row))
        body.append(f"<tr>{cells}</tr>")
    caption = f"<caption>{esc(table.caption)}</caption>" if table.caption else ""
    return (f'<div class="table"><table>{caption}<thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody>'
            f"</table>{_source_note(table.provenance, table.formula)}</div>")


def _json_for_script(data: Any) -> str:
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _chart(chart: Chart) -> str:
    return (f'<figure class="chart"><div class="plot" id="chart-{esc(chart.key)}" data-chart="spec-{esc(chart.key)}" '
            f'title="{esc(chart.provenance.text())}"></div>'
            f'<script type="application/json" id="spec-{esc(chart.key)}">{_json_for_script(chart.figure)}</script>'
            f"<figcaption>{_source_note(chart.provenance, chart.formula)}</figcaption></figure>")


def _section(section: Section) -> str:
    parts = [f'<section id="{esc(section.key)}" data-section="{esc(section.key)}"><h2>{esc(section.title)}</h2>']
    if section.intro:
        parts.append(f'<p class="intro">{esc(section.intro)}</p>')
    if section.missing:
        parts.append(f'<p class="missing" data-missing="{esc(section.key)}">{esc(section.missing)}</p>')
    if section.kpis:
        parts.append(_kpis(section.kpis))
    if section.charts:
        parts.append('<div class="charts">' + "".join(_chart(c) for c in section.charts) + "</div>")
    parts.extend(_table(t) for t in section.tables)
    parts.extend(f'<p class="note">{esc(n)}</p>' for n in section.notes)
    parts.append("</section>")
    return "".join(parts)


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2330;background:#f3f4f7}
header{background:#1d2330;color:#fff;padding:1rem 2rem}header h1{margin:0 0 .3rem;font-size:1.4rem}
header p{margin:.15rem 0;color:#c9cedb;font-size:.9rem}header a{color:#9cc3ff}
nav{position:sticky;top:0;background:#fff;border-bottom:1px solid #dde;padding:.4rem 2rem;z-index:5;font-size:.9rem}
nav a{margin-right:1rem;color:#2451a6;text-decoration:none}
main{padding:1rem 2rem;max-width:110rem}
section{background:#fff;border-radius:8px;padding:1rem 1.4rem;margin:1rem 0;box-shadow:0 1px 2px #0001}
h2{margin:.2rem 0 .6rem;font-size:1.15rem}.intro{color:#4a5266;margin-top:0}
.missing{color:#8a5a00;background:#fff6e0;padding:.5rem .8rem;border-radius:6px}
.kpis{display:flex;flex-wrap:wrap;gap:.8rem}.kpi{border:1px solid #e1e4ec;border-radius:8px;padding:.6rem 1rem;
min-width:9rem;cursor:help}.kpi .label{font-size:.8rem;color:#5a6275}.kpi .value{font-size:1.5rem;font-weight:600}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(34rem,1fr));gap:1rem}
figure{margin:0}.plot{min-height:200px}
.table{overflow-x:auto;margin:.8rem 0}table{border-collapse:collapse;font-size:.85rem}
caption{text-align:left;font-weight:600;padding:.3rem 0}
th,td{border-bottom:1px solid #e6e8ef;padding:.25rem .6rem;text-align:left;vertical-align:top}
th{background:#f6f7fa}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.src{font-size:.75rem;color:#6b7285;margin:.2rem 0}.src code{font-size:.75rem}.note{color:#4a5266;font-size:.85rem}
#chart-status{font-size:.8rem;color:#8a5a00}
"""

_LOADER = """
(async function () {
  const status = document.getElementById('chart-status');
  const plots = Array.from(document.querySelectorAll('[data-chart]'));
  try {
    if (plots.length && !window.Plotly) {
      status.textContent = 'drawing charts …';
      const packed = document.getElementById('plotly-gz').textContent;
      const bytes = Uint8Array.from(atob(packed), (c) => c.charCodeAt(0));
      const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
      const code = await new Response(stream).text();
      const script = document.createElement('script');
      script.textContent = code;
      document.head.appendChild(script);
    }
    for (const el of plots) {
      const spec = JSON.parse(document.getElementById(el.dataset.chart).textContent);
      await Plotly.newPlot(el, spec.data, spec.layout, {displaylogo: false, responsive: true});
    }
    status.textContent = '';
    window.chartsDrawnAt = performance.now();
    document.body.dataset.charts = 'drawn';
  } catch (error) {
    status.textContent = 'the charts could not be drawn (' + error + '); the tables below hold the same numbers';
    document.body.dataset.charts = 'failed';
    console.error(error);
  }
})();
"""


@dataclass(frozen=True)
class PageHeader:
    period: Period | None
    source: str
    generated_at: datetime
    docs_href: str  # link to the documentation index, relative to the page
    docs_built: bool  # whether the index existed when the page was written


def render_page(header: PageHeader, sections: Iterable[Section]) -> str:
    """The whole HTML document."""
    sections = list(sections)
    has_charts = any(s.charts for s in sections)
    period = f"{header.period.start} to {header.period.end}" if header.period else "no data yet"
    docs = f'<a href="{esc(header.docs_href)}">dbt docs and data quality docs</a>' + (
        "" if header.docs_built else " (not built yet: run <code>adledger docs</code>)")
    nav = "".join(f'<a href="#{esc(s.key)}">{esc(s.title)}</a>' for s in sections)
    bundle = f"{plotly_script()}<script>{_LOADER}</script>" if has_charts else ""
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{esc(TITLE)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{esc(TITLE)}</h1><p>Period: <strong>{esc(period)}</strong> · read from {esc(header.source)}"
        f" · generated {esc(header.generated_at.strftime('%Y-%m-%d %H:%M'))} UTC</p>"
        f"<p>Every number names its mart and filter below it (hover a tile for its formula) · {docs}</p>"
        f'<p id="chart-status"></p></header><nav>{nav}</nav><main>'
        + "".join(_section(s) for s in sections)
        + f"</main>{bundle}</body></html>"
    )
