"""`adledger docs`: the dbt docs site, the Great Expectations Data Docs, and one index page linking both.

Layout under `<data_dir>/docs/`: `dbt/` (dbt docs), `gx/` (Data Docs), `index.html`. The report links to the
index; the index links back to the report.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

from adledger.config import Settings, settings
from adledger.report.atomic import write_text_atomic
from adledger.report.docs.gx_site import SuiteRun


@dataclass
class DocsSite:
    index: Path
    dbt_entry: Path | None = None
    gx_entry: Path | None = None
    suites: list[SuiteRun] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # part ("dbt" | "gx") -> what went wrong


def docs_dir(cfg: Settings | None = None) -> Path:
    return (cfg or settings()).data_dir / "docs"


def build_docs(cfg: Settings | None = None, out_dir: Path | None = None, parts: tuple[str, ...] = ("dbt", "gx")
               ) -> DocsSite:
    """Build the `parts` of the documentation into `out_dir` (default `<data_dir>/docs`) and write its index.

    A part that fails is recorded in `errors` (and its previous build, if any, stays linked); the other still runs.
    """
    from adledger.report.docs.dbt_site import ENTRY, build_dbt_docs
    from adledger.report.docs.gx_site import build_gx_docs

    cfg = cfg or settings()
    out_dir = out_dir or docs_dir(cfg)
    site = DocsSite(index=out_dir / "index.html")
    if "dbt" in parts:
        try:
            site.dbt_entry = build_dbt_docs(cfg, out_dir / "dbt")
        except Exception as exc:  # reported to the user with the other part's result
            site.errors["dbt"] = str(exc)
    if "gx" in parts:
        try:
            site.gx_entry, site.suites = build_gx_docs(cfg.warehouse, out_dir / "gx")
        except Exception as exc:
            site.errors["gx"] = str(exc)
    if site.dbt_entry is None and (out_dir / "dbt" / ENTRY).exists():
        site.dbt_entry = out_dir / "dbt" / ENTRY
    if site.gx_entry is None and (out_dir / "gx" / "index.html").exists():
        site.gx_entry = out_dir / "gx" / "index.html"
    write_index(site, cfg.report)
    return site


def _href(target: Path, page: Path) -> str:
    return html.escape(quote(Path(os.path.relpath(target, page.parent)).as_posix()), quote=True)


def write_index(site: DocsSite, report: Path) -> Path:
    """The documentation's front page: links to the dbt docs, the Data Docs and the report, and the suites' state."""
    e = html.escape
    links = []
    for label, target, text in (
        ("Marts and models (dbt docs)", site.dbt_entry, "every model and column with its description, tests, "
                                                         "lineage and the warehouse's catalog"),
        ("Data quality (Great Expectations Data Docs)", site.gx_entry, "the suites and their latest validation"),
        ("The closed-loop report", report if report.exists() else None, "spend, attribution, LTV, experiments"),
    ):
        if target is not None:
            links.append(f'<li><a href="{_href(target, site.index)}">{e(label)}</a> — {e(text)}</li>')
        else:
            links.append(f"<li>{e(label)} — not built yet</li>")
    rows = "".join(
        f"<tr><td>{e(r.suite)}</td><td>{e(r.table)}</td><td>{r.validations}</td><td>{r.rows:,}</td>"
        f"<td>{'passed' if r.success else 'failed' if not r.note else e(r.note)}</td></tr>" for r in site.suites)
    suites = (f"<h2>Suites validated now</h2><table><tr><th>Suite</th><th>Table</th><th>Validations</th>"
              f"<th>Rows</th><th>Result</th></tr>{rows}</table>") if site.suites else ""
    errors = "".join(f"<p class=err>{e(part)}: {e(text)}</p>" for part, text in site.errors.items())
    page = ("<!doctype html><html lang=en><head><meta charset=utf-8><title>adledger — documentation</title>"
            "<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}td,th{padding:.2rem .6rem;"
            "text-align:left;border-bottom:1px solid #ddd}.err{color:#a00}</style></head><body>"
            f"<h1>adledger — documentation</h1><p>built {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC</p>"
            f"<ul>{''.join(links)}</ul>{errors}{suites}</body></html>")
    return write_text_atomic(site.index, page)
