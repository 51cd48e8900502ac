"""Commands `adledger report`, `adledger docs` and `adledger bench report`.

Only typer, rich and the standard library are imported here; duckdb, plotly, dbt and Great Expectations are
imported inside the commands so the CLI starts fast.
"""

from __future__ import annotations

import shutil
import time
from datetime import date
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from adledger.commands._ui import err, fail, out

#: the report must open within this many seconds and stay under this many bytes (issue 12)
OPEN_BUDGET_S = 2.0
SIZE_BUDGET_BYTES = 5_000_000


def register(app: typer.Typer, bench_app: typer.Typer) -> None:
    """Add this module's commands to the `adledger` app and its `bench` group."""
    app.command("report")(report)
    app.command("docs")(docs)
    bench_app.command("report")(bench_report)


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD", param_hint=option) from None


def _period(start: str | None, end: str | None) -> tuple[date | None, date | None]:
    first, last = _date(start, "--from"), _date(end, "--to")
    if first and last and last < first:
        raise typer.BadParameter(f"{last} is before --from {first}", param_hint="--to")
    return first, last


def report(
    out_file: Optional[Path] = typer.Option(None, "--out", help="Where to write the page (default: data/report.html)."),
    start: Optional[str] = typer.Option(None, "--from", help="First day (YYYY-MM-DD; default: the marts' first day)."),
    end: Optional[str] = typer.Option(None, "--to", help="Last day (YYYY-MM-DD; default: the marts' last day)."),
) -> None:
    """Write the closed-loop report: one self-contained HTML page with charts, from the published marts."""
    first, last = _period(start, end)
    from adledger.report import ReportError, write_report

    try:
        with err.status("building the report ..."):
            began = time.perf_counter()
            path = write_report(out_file, first, last)
    except ReportError as exc:
        fail(escape(str(exc)))
    size = path.stat().st_size
    out.print(f"report: {path} ({size / 1e6:.2f} MB, {time.perf_counter() - began:.1f} s)")


def docs(
    only: Optional[str] = typer.Option(None, "--only", help="Build one part only: dbt or gx."),
) -> None:
    """Generate the dbt docs (data/docs/dbt) and Great Expectations Data Docs (data/docs/gx) with an index page."""
    parts = ("dbt", "gx") if only is None else (only,)
    if only not in (None, "dbt", "gx"):
        raise typer.BadParameter(f"{only!r} is not dbt or gx", param_hint="--only")
    from adledger.config import settings

    cfg = settings()
    if not cfg.warehouse.exists() and cfg.dbt_target == "duckdb":
        fail(f"{cfg.warehouse} does not exist", hint="run `adledger demo` (or `adledger materialize`) first")
    from adledger.report.docs import build_docs

    with err.status("generating the dbt docs and the Data Docs (validating the suites) ..."):
        site = build_docs(cfg, parts=parts)
    for suite in site.suites:
        state = "[green]passed[/]" if suite.success else f"[yellow]{escape(suite.note)}[/]" if suite.note \
            else "[red]failed[/]"
        out.print(f"suite {escape(suite.suite)} on {escape(suite.table)}: {suite.rows:,} rows, {state}")
    if site.dbt_entry:
        out.print(f"dbt docs: {site.dbt_entry}")
    if site.gx_entry:
        out.print(f"data docs: {site.gx_entry}")
    out.print(f"index: {site.index}")
    for part, text in site.errors.items():
        err.print(f"[bold red]error:[/] {part}: {escape(text)}")
    if site.errors:
        err.print("[dim]hint:[/] the warehouse must not be held by a running pipeline; rerun when the run finished")
        raise typer.Exit(1)


def bench_report(
    out_file: Optional[Path] = typer.Option(None, "--out", help="Where to write the page (default: a temp file)."),
    chromium: Optional[str] = typer.Option(None, help="Chromium executable (default: `chromium` on PATH)."),
    repeat: int = typer.Option(3, min=1, help="Renders and page opens to time (the median is printed)."),
) -> None:
    """Report render time and size on the current data, and its open time in headless Chromium."""
    import statistics
    import tempfile

    from adledger.report import ReportError, write_report
    from adledger.report.bundle import plotly_script

    target = out_file or Path(tempfile.mkdtemp(prefix="adledger-report-")) / "report.html"
    began = time.perf_counter()
    plotly_script()  # read (or packed) once per process; timed apart from the renders
    packing = time.perf_counter() - began
    renders = []
    try:
        for _ in range(repeat):
            began = time.perf_counter()
            write_report(target)
            renders.append(time.perf_counter() - began)
    except ReportError as exc:
        fail(escape(str(exc)))
    size = target.stat().st_size
    out.print(f"render: {statistics.median(renders):.2f} s median of {repeat} (+ {packing:.2f} s loading plotly.js "
              f"once per process) · size {size / 1e6:.2f} MB (budget {SIZE_BUDGET_BYTES / 1e6:.0f} MB)")
    executable = chromium or shutil.which("chromium")
    if not executable:
        err.print("no chromium on PATH: open time not measured (pass --chromium PATH)")
        return
    from adledger.report.browser import open_times

    timings = open_times(target, executable, repeat)
    load = statistics.median(t.load_s for t in timings)
    drawn = statistics.median(t.drawn_s for t in timings)
    cpu = statistics.median(t.main_thread_s or 0.0 for t in timings)
    verdict = "[green]within[/]" if drawn < OPEN_BUDGET_S else "[red]over[/]"
    out.print(f"open in Chromium: load event {load:.2f} s, charts drawn {drawn:.2f} s (median of {repeat}; "
              f"{verdict} the {OPEN_BUDGET_S:.0f} s budget) · main-thread CPU {cpu:.2f} s · {timings[0].charts} charts")
    if any(t.state != "drawn" or t.console_errors for t in timings):
        fail("the charts did not draw cleanly: " + escape("; ".join(e for t in timings for e in t.console_errors)))
