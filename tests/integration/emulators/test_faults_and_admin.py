"""The fault switch (deterministic 5xx/429/slow/truncate), rate limits with Retry-After, and restatement."""

from __future__ import annotations

import http.client
import json
import time
from urllib.parse import urlsplit

import pandas as pd
import pytest

from adledger.simulator.emulators import FaultSpec, serve
from tests.integration.emulators.client import call


def _meta_spend_url(server, account_id: str, since: str, until: str) -> tuple[str, dict]:
    creds = server.credentials["meta_ads"]
    return (f"{server.base_url('meta_ads')}/v23.0/act_{account_id}/insights",
            {"access_token": creds["access_token"], "level": "account", "time_increment": 1, "limit": 100,
             "fields": "spend", "time_range": json.dumps({"since": since, "until": until})})


def _statuses(server, n: int = 40) -> list[int]:
    token = server.credentials["tiktok_ads"]["access_token"]
    url = f"{server.base_url('tiktok_ads')}/open_api/v1.3/advertiser/info/"
    return [call(url, headers={"Access-Token": token}, params={"advertiser_ids": f'["{i}"]'}).status
            for i in range(n)]


def test_fault_switch_is_deterministic_and_retries_get_fresh_draws(emulators):
    emulators.set_faults("5xx=0.25,429=0.25,seed=5")
    first = _statuses(emulators)
    assert set(first) == {200, 429, 503}
    emulators.set_faults("5xx=0.25,429=0.25,seed=5")
    assert _statuses(emulators) == first  # same spec, same requests: same faults
    retried = _statuses(emulators)       # the same requests again: new draws
    assert retried != first
    emulators.set_faults("5xx=0.25,429=0.25,seed=6")
    assert _statuses(emulators) != first
    emulators.set_faults(FaultSpec())
    assert set(_statuses(emulators, 10)) == {200}


def test_injected_errors_use_each_platforms_error_shape(emulators):
    emulators.set_faults("429=1.0,retry_after=7")
    url, params = _meta_spend_url(emulators, "120000000001", "2026-01-01", "2026-01-02")
    r = call(url, params=params)
    assert r.status == 429 and r.headers["retry-after"] == "7" and r.json()["error"]["code"] == 17
    emulators.set_faults("5xx=1.0")
    r = call(f"{emulators.base_url('esp')}/3.0/reports")
    assert r.status == 503 and r.json()["status"] == 503


def test_rate_limit_answers_429_with_retry_after(emulators):
    emulators.set_faults("rps=3")
    url, params = _meta_spend_url(emulators, "120000000001", "2026-01-01", "2026-01-02")
    replies = [call(url, params=params) for _ in range(8)]
    limited = [r for r in replies if r.status == 429]
    assert [r.status for r in replies[:3]] == [200, 200, 200] and len(limited) >= 4
    assert all(r.headers["retry-after"] == "1" and "rate limit" in r.json()["error"]["message"] for r in limited)
    time.sleep(1.05)
    assert call(url, params=params).status == 200


def test_truncated_and_slow_responses(emulators):
    emulators.set_faults("truncate=1.0")
    url, params = _meta_spend_url(emulators, "120000000001", "2026-01-01", "2026-01-10")
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    from urllib.parse import urlencode

    conn.request("GET", f"{parts.path}?{urlencode(params)}")
    resp = conn.getresponse()
    with pytest.raises(http.client.IncompleteRead):
        resp.read()
    conn.close()
    emulators.set_faults("slow=1.0,slow_s=0.4")
    t0 = time.perf_counter()
    assert call(url, params=params).status == 200
    assert time.perf_counter() - t0 >= 0.4


def test_restatement_serves_the_restated_spend_of_the_last_days(emulators, emulator_world):
    d = pd.read_parquet(emulator_world / "platforms" / "delivery.parquet")
    acc = d[(d["platform"] == "meta_ads") & (d["account_id"] == "120000000001")]
    dates = sorted(acc["date"].unique())
    url, params = _meta_spend_url(emulators, "120000000001", dates[0], dates[-1])

    def spend() -> dict[str, str]:
        return {r["date_start"]: r["spend"] for r in call(url, params=params).json()["data"]}

    before = spend()
    record = call(f"{emulators.url}/_admin/restate?days=3", b"", method="POST").json()
    after = spend()
    changed = record["accounts"]["meta_ads:120000000001"]["dates"]
    assert changed == dates[-3:]
    assert {k for k in before if before[k] != after[k]} <= set(changed)
    expected = acc[acc["date"].isin(changed)].groupby("date")["restated_cost_micros"].sum()
    for day, micros in expected.items():
        assert after[day] == f"{micros / 1e6:.2f}".rstrip("0").rstrip(".")
    assert all(after[k] == before[k] for k in before if k not in changed)
    state = call(f"{emulators.url}/_admin/state").json()
    assert state["restatements"][0]["days"] == 3


def test_fault_spec_parsing_rejects_nonsense():
    assert FaultSpec.parse("5xx=0.05,429=0.05,slow=0.01,truncate=0.01").p_truncate == 0.01
    for bad in ("5xx=2", "teapot=0.1", "429=x", "5xx=0.6,429=0.6"):
        with pytest.raises(ValueError):
            FaultSpec.parse(bad)


def test_serve_on_a_fixed_free_port_and_close(emulator_world):
    with serve(emulator_world, port=0) as server:
        assert server.url.startswith("http://127.0.0.1:")
        env = server.dlt_environment()
        assert env["SOURCES__META_ADS__BASE_URL"] == server.base_url("meta_ads")
        assert json.loads(env["SOURCES__GOOGLE_ADS__CUSTOMER_IDS"]) == ["4820193746", "7391028465"]
