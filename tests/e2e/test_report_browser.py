"""The report of the pipeline world in a real headless Chromium: charts drawn, no console errors, the headline as
the marts say it, a hostile campaign name shown as text, and the BI guide's queries on the published snapshot.

Chromium is Debian's (`chromium` on PATH or /usr/bin/chromium), driven by Playwright; the screenshot is saved to
`test-artifacts/report.png` at the repository root.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from adledger.config import settings
from adledger.report import write_report
from adledger.report.browser import headless_chromium, open_report
from adledger.report.performance import MODEL_ORDER
from tests.unit.report.bi_guide import run_guide
from tests.unit.report.marts import write_published, write_warehouse

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def world_pipeline(shared_world_pipeline):
    """This module only reads the whole run's tables: it shares the session's run."""
    return shared_world_pipeline


ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
HOSTILE = "<img src=x onerror=alert(1)>"
#: what every trace of the chart draws in the SVG: a path per line, bar or marker group
CHART_STATE = """el => ({
    svgs: el.querySelectorAll('svg.main-svg').length,
    traces: el.querySelectorAll('g.trace').length,
    paths: Array.from(el.querySelectorAll('g.trace path')).filter(p => (p.getAttribute('d') || '').length > 2).length,
    names: (el.data || []).map(t => t.name),
    legend: Array.from(el.querySelectorAll('.legendtext')).map(t => t.textContent),
})"""


def _chromium() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium; `make test` does it)")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with headless_chromium(_chromium()) as chromium:
        yield chromium


@pytest.fixture(scope="module")
def report(world_pipeline) -> Path:
    summary = world_pipeline.summary
    assert summary.success, (summary.failed_steps, summary.checks_failed)
    return write_report()


def _published(sql: str) -> list[tuple]:
    with duckdb.connect(str(settings().published), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.mark.slow
def test_chromium_draws_every_chart_without_console_errors(report, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    opened = open_report(page, report)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    assert opened.state == "drawn" and opened.console_errors == []
    charts = {el.get_attribute("id"): el.evaluate(CHART_STATE) for el in page.query_selector_all("[data-chart]")}
    assert opened.charts == len(charts) >= 7
    for key, chart in charts.items():
        assert chart["svgs"] > 0 and chart["traces"] == len(chart["names"]) > 0, key
        assert chart["paths"] > 0, f"{key} drew no marks"
    channels = [c for (c,) in _published(
        "select channel from marts.mart_channel_performance_daily where model = 'last_touch' "
        "group by channel having sum(spend) > 0 order by sum(spend) desc, sum(conversions) desc, channel")]
    assert len(channels) >= 5
    assert charts["chart-channel_spend"]["names"] == charts["chart-channel_spend"]["legend"] == channels
    models = {m for (m,) in _published("select distinct model from marts.mart_channel_performance_daily")}
    assert {"first_touch", "last_touch", "linear", "position_based", "time_decay", "markov", "shapley"} <= models
    expected = [m for m in MODEL_ORDER if m in models] + sorted(models - set(MODEL_ORDER))
    assert charts["chart-attribution_conversions"]["names"] == expected
    assert charts["chart-cac_ltv"]["names"][-1] == "LTV = CAC"
    page.close()


@pytest.mark.slow
def test_the_headline_equals_the_marts(report, browser):
    page = browser.new_page()
    open_report(page, report)
    shown = {el.get_attribute("data-kpi"): float(el.get_attribute("data-value"))
             for el in page.query_selector_all("[data-kpi]")}
    page.close()
    ((spend, conversions, revenue),) = _published(
        "select sum(spend)::double, sum(conversions), sum(revenue) from marts.mart_channel_performance_daily "
        "where model = 'last_touch'")
    ((sessions,),) = _published("select sum(sessions) from marts.mart_channel_daily")
    assert spend > 0 and conversions > 0
    assert shown == pytest.approx({"spend": spend, "conversions": conversions, "revenue": revenue,
                                   "cpa": spend / conversions, "roas": revenue / spend, "sessions": sessions},
                                  rel=1e-9)


@pytest.mark.slow
def test_a_hostile_campaign_name_is_shown_as_text(world_pipeline, browser, tmp_path):
    cfg = settings()
    snapshot = tmp_path / "published.duckdb"
    shutil.copyfile(cfg.published, snapshot)
    with duckdb.connect(str(snapshot)) as con:
        ((campaign,),) = con.execute(
            "select campaign_id from marts.mart_campaign_performance_daily where model = 'last_touch' "
            "group by channel, campaign_id order by sum(spend) desc, sum(conversions) desc limit 1").fetchall()
        con.execute("update marts.mart_campaign_performance_daily set campaign_name = ? where campaign_id = ?",
                    [HOSTILE, campaign])
    out = write_report(tmp_path / "report.html", cfg=dataclasses.replace(cfg, published=snapshot))
    assert HOSTILE not in out.read_text(encoding="utf-8")
    page = browser.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    opened = open_report(page, out)
    cells = page.eval_on_selector_all("#campaigns td", "tds => tds.map(td => td.textContent)")
    images = page.eval_on_selector_all("img", "imgs => imgs.length")
    page.close()
    assert opened.state == "drawn" and opened.console_errors == []
    assert HOSTILE in cells and images == 0 and dialogs == []


@pytest.mark.slow
def test_the_bi_guides_queries_run_on_the_published_world(world_pipeline, monkeypatch):
    monkeypatch.chdir(world_pipeline.data_dir.parent)  # the guide's paths are relative to the folder of data/
    results = run_guide(settings().published)
    for name, (snapshot, parquet) in results.items():
        assert snapshot == parquet, name
    cpa, roas = results["cpa_by_channel"][0], results["roas_by_model"][0]
    assert cpa and roas
    assert all(r[3] == pytest.approx(float(r[1]) / r[2]) for r in cpa if r[2])
    assert {m for m, *_ in roas} >= {"first_touch", "last_touch", "markov", "shapley"}


def test_the_packed_full_bundle_draws_the_same_charts(adledger_env, browser, monkeypatch):
    """Without the basic bundle (an install without package data) the page unpacks plotly's full bundle."""
    adledger_env.mkdir(parents=True)
    write_published(adledger_env / "published.duckdb")
    write_warehouse(adledger_env / "warehouse.duckdb")
    basic = write_report(adledger_env / "basic.html")
    monkeypatch.setattr("adledger.report.bundle.BASIC_BUNDLE", adledger_env / "no-such-bundle.js")
    full = write_report(adledger_env / "full.html")
    assert 'id="plotly-gz"' in full.read_text(encoding="utf-8")
    drawn = {}
    for path in (basic, full):
        page = browser.new_page()
        opened = open_report(page, path)
        assert opened.state == "drawn" and opened.console_errors == [], path.name
        drawn[path.name] = {el.get_attribute("id"): el.evaluate(CHART_STATE)["names"]
                            for el in page.query_selector_all("[data-chart]")}
        page.close()
    assert drawn["basic.html"] == drawn["full.html"] and len(drawn["full.html"]) == 9


def test_bench_report_prints_size_and_open_times(adledger_env):
    """Run as a command of its own: Playwright's sync API cannot start inside this module's browser."""
    adledger_env.mkdir(parents=True)
    write_published(adledger_env / "published.duckdb")
    result = subprocess.run(
        [sys.executable, "-c", "from adledger.cli import app; app()", "bench", "report", "--repeat", "1",
         "--chromium", _chromium(), "--out", str(adledger_env / "bench.html")],
        capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    text = " ".join(result.stdout.split())  # rich wraps long lines
    assert "size 1." in text and "charts drawn" in text and "main-thread CPU" in text and "9 charts" in text
