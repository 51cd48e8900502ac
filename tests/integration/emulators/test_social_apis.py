"""Meta insights (cursor paging, string numbers, actions) and TikTok reporting (page_info paging)."""

from __future__ import annotations

import json
from decimal import Decimal

import pandas as pd

from tests.integration.emulators.client import call

SINCE, UNTIL = "2026-01-01", "2026-01-10"


def _delivery(world, platform: str, account_id: str) -> pd.DataFrame:
    d = pd.read_parquet(world / "platforms" / "delivery.parquet")
    return d[(d["platform"] == platform) & (d["account_id"] == account_id) & (d["date"] >= SINCE) & (d["date"] <= UNTIL)]


def test_meta_insights_follow_cursor_paging_and_sum_to_the_spend(emulators, emulator_world):
    creds = emulators.credentials["meta_ads"]
    for account_id in creds["account_ids"]:
        url = f"{emulators.base_url('meta_ads')}/v23.0/act_{account_id}/insights"
        params = {"access_token": creds["access_token"], "level": "ad", "time_increment": 1, "limit": 40,
                  "fields": "account_currency,campaign_id,adset_id,ad_id,impressions,clicks,spend,actions",
                  "time_range": json.dumps({"since": SINCE, "until": UNTIL})}
        first = call(url, params=params)
        assert first.status == 200
        rows, page, pages = [], first.json(), 0
        while True:
            rows += page["data"]
            pages += 1
            nxt = page.get("paging", {}).get("next")
            if not nxt:
                break
            page = call(nxt).json()
        d = _delivery(emulator_world, "meta_ads", account_id)
        assert pages > 1 and len(rows) == len(d)
        assert all(isinstance(r["impressions"], str) and isinstance(r["spend"], str) for r in rows)
        assert sum(Decimal(r["spend"]) for r in rows) == Decimal(int(d["cost_micros"].sum())) / 1_000_000
        assert sum(int(r["clicks"]) for r in rows) == int(d["clicks"].sum())
        assert {r["date_start"] for r in rows} == set(d["date"]) and all(r["date_start"] == r["date_stop"] for r in rows)
        currency = "USD" if account_id == "120000000001" else "GBP"
        assert {r["account_currency"] for r in rows} == {currency}
        purchases = [a for r in rows for a in r.get("actions", []) if a["action_type"] == "purchase"]
        assert sum(int(a["value"]) for a in purchases) == int(d["conversions"].sum())


def test_meta_accounts_and_bad_token(emulators):
    creds = emulators.credentials["meta_ads"]
    base = emulators.base_url("meta_ads")
    accounts = call(f"{base}/v23.0/me/adaccounts", params={"access_token": creds["access_token"]}).json()["data"]
    assert {a["timezone_name"] for a in accounts} == {"America/Los_Angeles", "Europe/London"}
    r = call(f"{base}/v23.0/act_{creds['account_ids'][0]}/insights", params={"access_token": "nope"})
    assert r.status == 401
    assert r.json()["error"]["code"] == 190 and r.json()["error"]["type"] == "OAuthException"
    bearer = call(f"{base}/v23.0/act_{creds['account_ids'][0]}", headers={"Authorization": f"Bearer {creds['access_token']}"},
                  params={"fields": "currency,timezone_name"})
    assert bearer.json() == {"id": f"act_{creds['account_ids'][0]}", "currency": "USD", "timezone_name": "America/Los_Angeles"}


def test_tiktok_report_pages_with_page_info(emulators, emulator_world):
    creds = emulators.credentials["tiktok_ads"]
    advertiser = creds["advertiser_ids"][0]
    url = f"{emulators.base_url('tiktok_ads')}/open_api/v1.3/report/integrated/get/"
    headers = {"Access-Token": creds["access_token"]}
    params = {"advertiser_id": advertiser, "report_type": "BASIC", "data_level": "AUCTION_AD",
              "dimensions": json.dumps(["ad_id", "stat_time_day"]),
              "metrics": json.dumps(["spend", "impressions", "clicks", "currency"]),
              "start_date": SINCE, "end_date": UNTIL, "page_size": 25}
    rows, page = [], 1
    while True:
        body = call(url, headers=headers, params={**params, "page": page}).json()
        assert body["code"] == 0 and body["message"] == "OK"
        rows += body["data"]["list"]
        info = body["data"]["page_info"]
        if page >= info["total_page"]:
            break
        page += 1
    d = _delivery(emulator_world, "tiktok_ads", advertiser)
    assert info["total_number"] == len(rows) == len(d) and info["total_page"] > 1
    assert sum(Decimal(r["metrics"]["spend"]) for r in rows) == Decimal(int(d["cost_micros"].sum())) / 1_000_000
    assert {r["metrics"]["currency"] for r in rows} == {"AUD"}
    assert all(r["dimensions"]["stat_time_day"].endswith(" 00:00:00") for r in rows)
    info = call(f"{emulators.base_url('tiktok_ads')}/open_api/v1.3/advertiser/info/", headers=headers,
                params={"advertiser_ids": json.dumps([advertiser])}).json()["data"]["list"][0]
    assert (info["currency"], info["timezone"]) == ("AUD", "Australia/Sydney")


def test_tiktok_rejects_bad_tokens_and_too_long_daily_ranges(emulators):
    creds = emulators.credentials["tiktok_ads"]
    url = f"{emulators.base_url('tiktok_ads')}/open_api/v1.3/report/integrated/get/"
    params = {"advertiser_id": creds["advertiser_ids"][0], "data_level": "AUCTION_CAMPAIGN",
              "dimensions": json.dumps(["campaign_id", "stat_time_day"]), "start_date": "2026-01-01",
              "end_date": "2026-03-01"}
    r = call(url, headers={"Access-Token": "bad"}, params=params)
    assert r.status == 401 and r.json()["code"] == 40105
    r = call(url, headers={"Access-Token": creds["access_token"]}, params=params)
    assert r.status == 400 and "30" in r.json()["message"]
