"""The closed-loop report: one self-contained HTML page a marketing lead opens each morning.

`write_report()` reads the published snapshot of the marts (the warehouse, read-only, for what is not published:
quality tables and load times), builds every section whose mart exists — and says plainly which have no data
yet — and writes `data/report.html` atomically. Every number names the mart and filter it came from.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from urllib.parse import quote

from adledger.config import Settings, settings
from adledger.report import health, outcomes, performance
from adledger.report.atomic import write_text_atomic
from adledger.report.model import Period, Section
from adledger.report.page import PageHeader, render_page
from adledger.report.source import ReportSource

__all__ = ["Report", "ReportError", "build_report", "docs_index", "render_report", "write_report"]


class ReportError(RuntimeError):
    """The report cannot be built (nothing published or loaded yet); the message says what to run."""


@dataclass
class Report:
    period: Period | None
    model: str | None  # the attribution model behind the headline and the channel charts
    sections: list[Section]
    source: str
    generated_at: datetime

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)


def docs_index(cfg: Settings | None = None) -> Path:
    """Where `adledger docs` writes the documentation index: `<data_dir>/docs/index.html`."""
    return (cfg or settings()).data_dir / "docs" / "index.html"


def build_report(src: ReportSource, start: date | None = None, end: date | None = None,
                 now: datetime | None = None) -> Report:
    """Every section, from what `src` holds, for `start`..`end` (default: the days the marts cover)."""
    now = now or datetime.now(timezone.utc)
    period = performance.data_period(src, start, end)
    models = performance.available_models(src)
    model = performance.headline_model(models)
    sections: list[Section] = []
    if period is None:
        sections.append(Section("headline", "Headline", missing="no performance marts yet: run `adledger demo` or "
                                "`adledger materialize` to build them"))
    else:
        sections += [
            performance.headline(src, period, model),
            performance.channels_over_time(src, period, model),
            performance.attribution_models(src, period, models),
            performance.campaigns(src, period, model),
            outcomes.cohorts(src, period),
            outcomes.experiments(src, period),
            outcomes.budget(src),
            health.anomalies(src, period),
        ]
    sections += [health.checks(src), health.freshness(src, now)]
    return Report(period, model, sections, src.describe(), now)


def _href(target: Path, page: Path) -> str:
    return quote(Path(os.path.relpath(target, page.parent)).as_posix())


def render_report(report: Report, docs_href: str = "docs/index.html", docs_built: bool = False) -> str:
    """The report as a self-contained HTML document, linking the documentation index at `docs_href`."""
    return render_page(PageHeader(report.period, report.source, report.generated_at, docs_href, docs_built),
                       report.sections)


def write_report(out: Path | None = None, start: date | None = None, end: date | None = None,
                 cfg: Settings | None = None) -> Path:
    """Build the report from `cfg`'s published snapshot (and warehouse) and write it to `out` (default
    `data/report.html`): a temp file renamed over the old page, so a reader never sees half a page."""
    cfg = cfg or settings()
    out = Path(out) if out is not None else cfg.report
    with ReportSource(cfg.published, cfg.warehouse) as src:
        if not src.attached:
            reasons = "; ".join(src.unavailable.values()) or f"neither {cfg.published} nor {cfg.warehouse} exists"
            raise ReportError(f"nothing to report: {reasons}. Run `adledger demo` (or `adledger materialize`) first.")
        report = build_report(src, start, end)
    index = docs_index(cfg)
    return write_text_atomic(out, render_report(report, _href(index, out.absolute()), index.exists()))
