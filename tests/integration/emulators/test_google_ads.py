"""Google Ads emulator: OAuth, searchStream and search paging, GAQL, field types, auth failures."""

from __future__ import annotations

import pandas as pd

from adledger.simulator.emulators import serve
from tests.integration.emulators.client import call, google_headers

QUERY = ("SELECT customer.currency_code, customer.time_zone, campaign.id, campaign.name, metrics.cost_micros, "
         "metrics.clicks, metrics.impressions, segments.date FROM campaign "
         "WHERE segments.date BETWEEN '2026-01-02' AND '2026-01-08'")


def _delivery(world, customer_id: str) -> pd.DataFrame:
    d = pd.read_parquet(world / "platforms" / "delivery.parquet")
    return d[(d["platform"] == "google_ads") & (d["account_id"] == customer_id)]


def test_search_stream_reports_costmicros_per_customer_local_date(emulators, emulator_world):
    headers = google_headers(emulators)
    for customer_id in emulators.credentials["google_ads"]["customer_ids"]:
        r = call(f"{emulators.base_url('google_ads')}/v21/customers/{customer_id}/googleAds:searchStream",
                 {"query": QUERY}, headers)
        assert r.status == 200
        batches = r.json()
        assert isinstance(batches, list) and batches[0]["fieldMask"].startswith("customer.currencyCode")
        rows = [row for b in batches for row in b.get("results", [])]
        assert rows and all(isinstance(row["metrics"]["costMicros"], str) for row in rows)
        d = _delivery(emulator_world, customer_id)
        d = d[(d["date"] >= "2026-01-02") & (d["date"] <= "2026-01-08")]
        assert sum(int(row["metrics"]["costMicros"]) for row in rows) == int(d["cost_micros"].sum())
        assert sum(int(row["metrics"].get("clicks", "0")) for row in rows) == int(d["clicks"].sum())
        assert {row["segments"]["date"] for row in rows} == set(d["date"])
        currency = {row["customer"]["currencyCode"] for row in rows}
        zone = {row["customer"]["timeZone"] for row in rows}
        assert (currency, zone) == ({"USD"}, {"America/New_York"}) if customer_id == "4820193746" else \
            (currency, zone) == ({"EUR"}, {"Europe/Berlin"})
        assert rows[0]["campaign"]["resourceName"] == f"customers/{customer_id}/campaigns/{rows[0]['campaign']['id']}"


def test_search_pages_with_next_page_token_and_keyword_view(emulator_world):
    with serve(emulator_world, page_sizes={"google_ads": 7}) as server:
        headers = google_headers(server)
        cid = server.credentials["google_ads"]["customer_ids"][0]
        url = f"{server.base_url('google_ads')}/v21/customers/{cid}/googleAds:search"
        q = ("SELECT ad_group_criterion.criterion_id, ad_group_criterion.keyword.text, "
             "ad_group_criterion.keyword.match_type, metrics.cost_micros, segments.date FROM keyword_view "
             "WHERE segments.date >= '2026-01-05' AND segments.date <= '2026-01-06'")
        rows, token, pages = [], None, 0
        while True:
            body = {"query": q, **({"pageToken": token} if token else {})}
            page = call(url, body, headers).json()
            rows += page.get("results", [])
            pages += 1
            token = page.get("nextPageToken")
            if not token:
                break
        d = _delivery(emulator_world, cid)
        d = d[d["date"].isin(["2026-01-05", "2026-01-06"])]
        assert pages == -(-len(rows) // 7) and pages > 2
        assert len(rows) == len(d.groupby(["keyword_id", "date"]))
        assert sum(int(r["metrics"].get("costMicros", "0")) for r in rows) == int(d["cost_micros"].sum())
        assert {r["adGroupCriterion"]["keyword"]["matchType"] for r in rows} <= {"EXACT", "PHRASE", "BROAD"}


def test_auth_failures_are_401_with_a_clear_body(emulators):
    base = emulators.base_url("google_ads")
    cid = emulators.credentials["google_ads"]["customer_ids"][0]
    r = call(f"{base}/v21/customers/{cid}/googleAds:searchStream", {"query": QUERY})
    assert r.status == 401
    err = r.json()["error"]
    assert err["status"] == "UNAUTHENTICATED" and "access token" in err["message"]
    headers = google_headers(emulators) | {"developer-token": "wrong"}
    r = call(f"{base}/v21/customers/{cid}/googleAds:searchStream", {"query": QUERY}, headers)
    assert r.status == 401 and "developer token" in r.json()["error"]["message"]
    bad = call(f"{base}/token", form={"grant_type": "refresh_token", "client_id": "x", "client_secret": "y",
                                      "refresh_token": "z"})
    assert bad.status == 401 and bad.json()["error"] == "invalid_client"


def test_bad_gaql_and_foreign_customers_are_rejected(emulators):
    headers = google_headers(emulators)
    base = emulators.base_url("google_ads")
    cid = emulators.credentials["google_ads"]["customer_ids"][0]
    r = call(f"{base}/v21/customers/{cid}/googleAds:searchStream", {"query": "SELECT metrics.nope FROM campaign"},
             headers)
    assert r.status == 400 and "metrics.nope" in r.json()["error"]["message"]
    r = call(f"{base}/v21/customers/9999999999/googleAds:searchStream", {"query": QUERY}, headers)
    assert r.status == 403 and r.json()["error"]["status"] == "PERMISSION_DENIED"
    listed = call(f"{base}/v21/customers:listAccessibleCustomers", headers=headers).json()
    assert listed == {"resourceNames": [f"customers/{c}" for c in emulators.credentials["google_ads"]["customer_ids"]]}
