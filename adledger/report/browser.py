"""Open the report in a real headless Chromium (Playwright) and time it: the benchmark and the browser test use it.

Times are from the start of navigation (the Navigation Timing origin): `load_s` to the load event, `drawn_s` to
the moment the page's loader finished `Plotly.newPlot` for every chart (`window.chartsDrawnAt`). On a shared
machine those wall times include waiting for a CPU, so `main_thread_s` also gives the CPU time the page's main
thread used up to then (Chrome DevTools Protocol `Performance.getMetrics`, `ThreadTime` with thread ticks): the
wall time an idle machine would show, at least.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]
TIMEOUT_MS = 60_000


@dataclass
class PageOpen:
    load_s: float
    drawn_s: float
    charts: int
    state: str  # "drawn" or "failed"
    console_errors: list[str] = field(default_factory=list)
    main_thread_s: float | None = None


def open_report(page: Any, path: Path) -> PageOpen:
    """Navigate the Playwright `page` to the report file and wait until its charts are drawn (or failed)."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    devtools = page.context.new_cdp_session(page)
    devtools.send("Performance.enable", {"timeDomain": "threadTicks"})
    page.goto(Path(path).absolute().as_uri(), wait_until="load")
    page.wait_for_function("document.body.dataset.charts !== undefined || !document.querySelector('[data-chart]')",
                           timeout=TIMEOUT_MS)
    state = page.evaluate("document.body.dataset.charts || 'none'")
    load = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
    drawn = page.evaluate("window.chartsDrawnAt || performance.getEntriesByType('navigation')[0].loadEventEnd")
    charts = page.evaluate("document.querySelectorAll('[data-chart]').length")
    metrics = {m["name"]: m["value"] for m in devtools.send("Performance.getMetrics")["metrics"]}
    devtools.detach()
    return PageOpen(load / 1000, max(drawn, load) / 1000, charts, state, errors, metrics.get("ThreadTime"))


@contextmanager
def headless_chromium(executable: str) -> Iterator[Any]:
    """A Playwright `Browser`: the Chromium at `executable`, headless, closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def open_times(path: Path, executable: str, repeat: int = 3) -> list[PageOpen]:
    """Open the report `repeat` times, each in a fresh browser context, and time each open."""
    results = []
    with headless_chromium(executable) as browser:
        for _ in range(repeat):
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            results.append(open_report(context.new_page(), path))
            context.close()
    return results
