"""The written page: escaping of every user string, the embedded charts, the headline as the marts say it."""

from __future__ import annotations

import base64
import gzip
import html
import json
import re
from html.parser import HTMLParser

import duckdb
import pytest
from typer.testing import CliRunner

from adledger.cli import app
from adledger.config import settings
from adledger.report import ReportError, docs_index, write_report
from adledger.report.page import fmt
from tests.unit.report.marts import HOSTILE, SCRIPT_BREAK


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text of each <script>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self._in_script: dict | None = None

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = dict(attrs)

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        if self._in_script is not None:
            self.scripts.append((self._in_script, data))

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        if tag == "script":
            self._in_script = None


def _parse(page: str) -> _Tags:
    parser = _Tags()
    parser.feed(page)
    return parser


@pytest.fixture
def page(report_data) -> str:
    return write_report().read_text(encoding="utf-8")


def test_hostile_names_are_text_never_markup(page):
    assert HOSTILE not in page and SCRIPT_BREAK not in page and "<b>x</b>" not in page
    assert html.escape(f"Brand {HOSTILE}") in page  # the campaign table shows the name as typed
    parsed = _parse(page)
    assert not [t for t, _ in parsed.tags if t in ("img", "b")]
    charts = [a for t, a in parsed.tags if t == "div" and "data-chart" in a]
    specs = [a for a, _ in parsed.scripts if a.get("type") == "application/json"]
    code = [a for a, _ in parsed.scripts if "type" not in a]
    assert len(specs) == len(charts) > 0 and len(code) == 2  # plotly.js and the loader: no name opened a script


def test_chart_specs_carry_the_escaped_names_plotly_shows_as_typed(page):
    specs = {a["id"]: json.loads(text) for a, text in _parse(page).scripts if a.get("type") == "application/json"}
    assert [t["name"] for t in specs["spec-channel_conversions"]["data"]] == ["paid_search", "paid_social", "email"]
    (uplift,) = specs["spec-experiment_uplift"]["data"]
    assert [html.unescape(label) for label in uplift["y"]] == ["checkout <b>x</b> · b"]
    assert uplift["y"] == ["checkout &lt;b&gt;x&lt;/b&gt; · b"]


def test_headline_tiles_hold_the_marts_numbers(page, report_data):
    tiles = {a["data-kpi"]: a for t, a in _parse(page).tags if t == "div" and "data-kpi" in a}
    with duckdb.connect(str(settings().published), read_only=True) as con:
        spend, conversions, revenue = con.execute(
            "select sum(spend)::double, sum(conversions), sum(revenue) from marts.mart_channel_performance_daily "
            "where model = 'last_touch'").fetchone()
    assert float(tiles["spend"]["data-value"]) == spend == 510.0
    assert float(tiles["conversions"]["data-value"]) == conversions
    assert float(tiles["cpa"]["data-value"]) == spend / conversions
    assert float(tiles["roas"]["data-value"]) == revenue / spend
    assert "mart_channel_performance_daily where model = 'last_touch'" in tiles["spend"]["title"]


def test_the_basic_plotly_bundle_is_embedded_once_as_installed(page):
    from plotly.offline import get_plotlyjs_version

    from adledger.report.bundle import BASIC_BUNDLE

    if not BASIC_BUNDLE.exists():
        pytest.skip("plotly's basic bundle is not installed (make installs it from npm); the full one is embedded")
    (script,) = [(a, text) for a, text in _parse(page).scripts if "data-plotly" in a]
    assert script[0]["data-plotly"] == f"basic {get_plotlyjs_version()}"
    assert script[1] == BASIC_BUNDLE.read_text(encoding="utf-8")


def test_without_the_basic_bundle_the_full_one_comes_packed(tmp_path):
    from plotly.offline import get_plotlyjs

    from adledger.report.bundle import plotly_script

    (attrs, packed), = _parse(plotly_script(tmp_path / "missing.js")).scripts
    assert attrs["id"] == "plotly-gz" and attrs["data-plotly"].startswith("full ")
    assert gzip.decompress(base64.b64decode(packed)).decode("utf-8") == get_plotlyjs()


def test_every_section_is_there_and_the_page_names_its_sources(page):
    sections = re.findall(r'<section id="([a-z]+)"', page)
    assert sections == ["headline", "channels", "attribution", "campaigns", "cohorts", "experiments", "budget",
                        "anomalies", "checks", "freshness"]
    assert page.count('class="src"') >= 20
    assert '<a href="docs/index.html">dbt docs and data quality docs</a> (not built yet: run' in page


def test_the_docs_are_linked_when_built(report_data):
    docs_index().parent.mkdir(parents=True)
    docs_index().write_text("docs")
    page = write_report().read_text(encoding="utf-8")
    assert '<a href="docs/index.html">' in page and "not built yet" not in page
    assert not list(report_data.glob(".*.tmp"))


def test_nothing_to_report_tells_what_to_run(adledger_env):
    with pytest.raises(ReportError, match="Run `adledger demo`"):
        write_report()


def test_cli_report_writes_the_period_asked_for(report_data, tmp_path):
    out = tmp_path / "out" / "r.html"
    result = CliRunner().invoke(app, ["report", "--out", str(out), "--from", "2026-01-02", "--to", "2026-01-03"])
    assert result.exit_code == 0, result.output
    written = out.read_text(encoding="utf-8")
    assert "2026-01-02 to 2026-01-03" in written
    assert '<a href="../data/docs/index.html">' in written  # relative to where the page was written
    bad = CliRunner().invoke(app, ["report", "--from", "2026-01-03", "--to", "2026-01-02"])
    assert bad.exit_code == 2 and "is before --from" in bad.output
    assert CliRunner().invoke(app, ["report", "--from", "January"]).exit_code == 2


def test_cli_report_without_data_exits_with_a_hint(adledger_env):
    result = CliRunner().invoke(app, ["report"])
    assert result.exit_code == 1
    assert "nothing to report" in result.output


@pytest.mark.parametrize(("value", "kind", "text"), [
    (None, "money", "—"), (float("nan"), "pct", "—"), (1234.5, "money", "1,234.50"), (0.1234, "pct", "12.3%"),
    (2.5, "int", "2"), (3.5, "int", "4"), (0.0004, "pvalue", "< 0.001"), (0.04, "pvalue", "0.040"),
    (True, "text", "yes"), (7.25, "number", "7.2"), (-0.004, "ratio", "0.00"), (-0.04, "number", "0.0"),
    (-0.0004, "pct", "0.0%"),
])
def test_formats(value, kind, text):
    assert fmt(value, kind) == text
