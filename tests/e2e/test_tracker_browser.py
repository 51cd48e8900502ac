"""A real headless Chromium on the demo shop: paid-search landing, checkout, consent granted and denied.

Chromium is Debian's (`chromium` on PATH or /usr/bin/chromium), driven by Playwright. Screenshots of the
finished checkouts are saved under `test-artifacts/` at the repository root. The last test loads the
collected files through the tracker pipeline and dbt and finds the consented order under paid search.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from adledger.collector.eventlog import read_events
from adledger.collector.loadgen import CollectorProcess, start_collector
from tests.fixtures.env import TEST_IP_KEY

pytestmark = pytest.mark.browser

WRITE_KEY = "wk_browser_demo"
LANDING = "/demo/?utm_source=google&utm_medium=cpc&utm_campaign=brand&gclid=TEST123"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]


def _chromium() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium; `make test` does it)")
    return path


@dataclass
class Visit:
    """What one browsing session left behind: its events on disk and the browser's storage at the end."""

    events: list[dict]
    cookies: list[dict]
    local_storage: list[str]
    session_storage: list[str]
    order_id: str


@pytest.fixture(scope="module")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CollectorProcess]:
    process = start_collector(tmp_path_factory.mktemp("tracker"), WRITE_KEY, ip_hash_key=TEST_IP_KEY)
    yield process
    assert process.stop() == 0


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    executable = _chromium()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def _wait_for(out_dir: Path, predicate, timeout_s: float = 15.0) -> list[dict]:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while True:
        events = read_events(out_dir)
        if predicate(events) or time.monotonic() > deadline:
            return events
        time.sleep(0.1)


def _shop(browser, collector: CollectorProcess, consent: bool, artifacts: Path) -> Visit:  # type: ignore[no-untyped-def]
    """Land from a paid-search click, answer the banner, go to checkout, identify, buy two pairs."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(collector.url + LANDING)
    page.click("#consent-accept" if consent else "#consent-reject")
    page.click("#buy")
    page.wait_for_url("**/demo/checkout")
    if not consent:  # a refusal is stored nowhere: the banner asks again
        page.click("#consent-reject")
    page.evaluate("adledger.identify('customer-42', {plan: 'pro'})")
    page.fill("#quantity", "2")
    page.click("#place-order")
    page.wait_for_selector("#thanks", state="visible")
    order_id = page.inner_text("#order-id")
    artifacts.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(artifacts / f"tracker_checkout_consent_{'granted' if consent else 'denied'}.png"),
                    full_page=True)
    cookies = context.cookies()
    local_storage = page.evaluate("Object.keys(localStorage)")
    session_storage = page.evaluate("Object.keys(sessionStorage)")
    events = _wait_for(collector.out_dir, lambda evs: any(e.get("properties", {}).get("order_id") == order_id
                                                           for e in evs))
    context.close()
    return Visit(events, cookies, local_storage, session_storage, order_id)


@pytest.fixture(scope="module")
def granted(browser, collector: CollectorProcess, pytestconfig: pytest.Config) -> Visit:  # type: ignore[no-untyped-def]
    return _shop(browser, collector, True, pytestconfig.rootpath / "test-artifacts")


@pytest.fixture(scope="module")
def denied(granted: Visit, browser, collector: CollectorProcess, pytestconfig: pytest.Config) -> Visit:  # type: ignore[no-untyped-def]
    """Runs after the granted visit on the same collector; keeps only its own events."""
    before = {e["messageId"] for e in granted.events}
    visit = _shop(browser, collector, False, pytestconfig.rootpath / "test-artifacts")
    visit.events = [e for e in visit.events if e["messageId"] not in before]
    return visit


def _split(visit: Visit) -> tuple[dict, dict, dict]:
    pages = sorted((e for e in visit.events if e["type"] == "page"), key=lambda e: e["timestamp"])
    [landing] = [e for e in pages if "gclid=TEST123" in e["context"]["page"]["url"]]
    [checkout] = [e for e in pages if e["context"]["page"]["url"].endswith("/demo/checkout")]
    [order] = [e for e in visit.events if e.get("event") == "Order Completed"]
    return landing, checkout, order


def test_paid_search_visit_with_consent(granted: Visit) -> None:
    landing, checkout, order = _split(granted)
    assert landing["context"]["campaign"] == {"source": "google", "medium": "cpc", "name": "brand", "gclid": "TEST123"}
    assert order["properties"]["order_id"] == granted.order_id
    assert (order["properties"]["revenue"], order["properties"]["currency"]) == (98, "EUR")
    assert order["context"]["campaign"]["gclid"] == "TEST123"  # the stored touch rides along with the conversion
    assert "campaign" not in checkout["context"]  # page views carry only their own URL's campaign
    assert order["userId"] == "customer-42"
    [identify] = [e for e in granted.events if e["type"] == "identify"]
    assert identify["traits"] == {"plan": "pro"}
    cookie = {c["name"]: c["value"] for c in granted.cookies}["adl_aid"]
    # one visitor from the landing (its page-view id became the cookie) to the conversion
    assert landing["anonymousId"] == checkout["anonymousId"] == order["anonymousId"] == identify["anonymousId"] == cookie
    assert order["context"]["consent"]["categoryPreferences"] == {"analytics": True, "advertising": True}
    assert len(order["context"]["ip_hash"]) == 64 and order["context"]["ip_prefix"] == "127.0.0.0/24"
    assert "ip" not in order["context"]
    assert "HeadlessChrome" in order["context"]["userAgent"]


def test_consent_denied_stores_no_id(denied: Visit) -> None:
    assert denied.cookies == []
    assert denied.local_storage == [] and denied.session_storage == []
    landing, checkout, order = _split(denied)
    assert [e for e in denied.events if e["type"] == "identify"] == []  # identify() is a no-op without consent
    assert all("userId" not in e for e in denied.events)
    assert landing["anonymousId"] != checkout["anonymousId"]  # a page-view id, never reused across pages
    assert checkout["anonymousId"] == order["anonymousId"]
    assert landing["context"]["campaign"]["gclid"] == "TEST123"  # contextual: read from this page's URL
    assert "campaign" not in order["context"]  # nothing was stored to carry it to the checkout
    for event in denied.events:
        assert event["context"]["consent"]["categoryPreferences"] == {"analytics": False, "advertising": False}
        assert "ip_hash" not in event["context"] and "ip" not in event["context"]
        assert event["context"]["ip_prefix"] == "127.0.0.0/24"


@pytest.mark.slow
def test_the_pipeline_attributes_the_consented_order_to_paid_search(  # type: ignore[no-untyped-def]
    granted: Visit, denied: Visit, collector: CollectorProcess, adledger_env: Path, tmp_path: Path
) -> None:
    """The collected files through the tracker ingestion (dlt) and the dbt models the channel mart needs."""
    import duckdb
    from dbt.cli.main import dbtRunner

    from adledger.config import settings
    from dagster_project.lib.env import export_dbt_environment
    from ingestion.pipelines import ingest_first_party, ingest_tracker

    cfg = settings()
    # tracker staging applies the shop's recorded consent changes: this shop has one, for another visitor
    shop = tmp_path / "first_party"
    shop.mkdir()
    (shop / "consent_changes.csv").write_text("customer_id,anonymous_id,changed_at,advertising,analytics,functional\n"
                                              ",someone-else,2026-01-01T00:00:00.000Z,false,false,true\n")
    ingest_first_party(shop)
    load = ingest_tracker(collector.out_dir)
    assert load.rows_quarantined == 0 and load.rows_valid == len(granted.events) + len(denied.events)
    project = str(cfg.dbt_project_dir)
    saved = dict(os.environ)
    try:
        export_dbt_environment(cfg)  # what the dbt profile reads
        build = dbtRunner().invoke([
            "build", "--select", "+mart_channel_daily", "--indirect-selection", "cautious",
            "--project-dir", project, "--profiles-dir", project,
            "--target-path", str(tmp_path / "dbt_target"), "--log-path", str(tmp_path / "dbt_logs"),
        ])
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert build.success, build.exception
    with duckdb.connect(str(cfg.warehouse)) as con:  # dbt ran in this process: same (read-write) configuration
        rows = con.execute(
            "select channel, sum(sessions), sum(conversions), sum(revenue) from marts.mart_channel_daily group by 1"
        ).fetchall()
    channels = {channel: (sessions, conversions, float(revenue)) for channel, sessions, conversions, revenue in rows}
    # two paid-search landings (one per visit); only the consented visit links its landing to its order
    assert channels["paid_search"] == (2, 1, 98.0)
    others = {c: v for c, v in channels.items() if c != "paid_search"}
    assert sum(v[1] for v in others.values()) == 1  # the cookieless order: its own session, not paid search


def test_a_tcf_consent_string_is_honoured_without_the_banner(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A page with an IAB TCF v2 CMP: storage (purpose 1) granted, ad measurement (purpose 7) refused."""
    collector = start_collector(tmp_path, WRITE_KEY, ip_hash_key=TEST_IP_KEY)  # its own: the mart test counts visits
    context = browser.new_context()
    context.add_init_script(
        "window.__tcfapi = function (command, version, callback) {"
        "  if (command === 'addEventListener') callback({eventStatus: 'tcloaded', gdprApplies: true,"
        "    purpose: {consents: {1: true, 7: false}}}, true); };"
    )
    page = context.new_page()
    page.goto(collector.url + "/demo/?utm_source=bing&utm_medium=cpc&msclkid=MS42")
    events = _wait_for(collector.out_dir, lambda evs: any("msclkid=MS42" in str(e) for e in evs))
    cookie = {c["name"]: c["value"] for c in context.cookies()}.get("adl_aid")
    context.close()
    assert collector.stop() == 0
    [landing] = [e for e in events if "msclkid=MS42" in e["context"]["page"]["url"]]
    assert cookie and landing["anonymousId"] == cookie
    assert landing["context"]["consent"]["categoryPreferences"] == {"analytics": True, "advertising": False}
    assert landing["context"]["campaign"]["msclkid"] == "MS42"
