"""Each API source against its emulator: every row loaded once, spend to the cent, paging, affiliate and ESP."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from ingestion.pipelines import ingest_api
from tests.integration.ingestion.spend import (
    AD_PLATFORMS,
    duplicate_keys,
    expected_rows,
    query,
    raw_spend,
    truth_spend,
)

TABLES = {"google_ads": "keyword_stats", "microsoft_ads": "keyword_stats", "meta_ads": "ad_insights",
          "tiktok_ads": "ad_report"}


@pytest.mark.parametrize("platform", AD_PLATFORMS)
def test_spend_per_account_and_day_equals_the_truth_to_the_cent(platform, apis, emulator_world, first_day):
    load = ingest_api(platform, start_date=first_day)

    rows = expected_rows(emulator_world, platform)
    assert load.rows == {TABLES[platform]: rows}
    assert duplicate_keys(platform) == 0
    assert raw_spend(platform) == truth_spend(emulator_world, platform)


@pytest.mark.parametrize("platform,page_size", [("meta_ads", 40), ("tiktok_ads", 20)])
def test_reports_arrive_over_many_pages(platform, page_size, apis, emulator_world, first_day):
    """Cursor (Meta) and page-number (TikTok) paging; Google's searchStream sends its batches (25 rows here) in
    one response, so the spend test above covers it."""
    ingest_api(platform, start_date=first_day)

    rows = expected_rows(emulator_world, platform)
    accounts = len(apis.credentials[platform].get("account_ids") or apis.credentials[platform].get(
        "advertiser_ids") or apis.credentials[platform].get("customer_ids"))
    # one request per page of each account, plus the account lookups and (Google) the token
    assert apis.requests_served >= rows // page_size + accounts
    assert query(f"select count(*) from raw_{platform}.{TABLES[platform]}")[0][0] == rows


def test_affiliate_actions_are_loaded_once_with_their_payouts(apis, emulator_world, first_day):
    load = ingest_api("affiliate", start_date=first_day)

    with duckdb.connect() as con:
        actions = con.execute(f"select action_id, order_id, partner_id, state, cast(payout as decimal(18, 2)) "
                              f"from '{emulator_world}/platforms/affiliate_actions.parquet'").fetchall()
    assert actions, "the test world should credit some orders to partners"
    assert load.rows == {"actions": len(actions)}
    loaded = query("select id, oid, media_partner_id, state, cast(payout as decimal(18, 2)) from raw_affiliate.actions")
    assert sorted(loaded) == sorted(actions)
    payouts = {("IRk7Q2xExampleShop1", d): Decimal(s) for d, s in query(
        "select cast(event_day as varchar), sum(cast(payout as decimal(18, 2))) from raw_affiliate.actions "
        "where state <> 'REVERSED' group by 1")}
    truth = truth_spend(emulator_world, "affiliate")
    assert {k: v for k, v in payouts.items() if v} == {k: v for k, v in truth.items() if v}


def test_esp_sends_times_the_vendor_rate_give_the_truth(apis, emulator_world, first_day):
    load = ingest_api("esp", start_date=first_day)

    with duckdb.connect() as con:
        sends = con.execute(f"select id, emails_sent from '{emulator_world}/platforms/esp_campaigns.parquet'").fetchall()
        rate = con.execute(f"select cast(rate as decimal(18, 6)) from '{emulator_world}/first_party/vendors.csv' "
                           "where channel = 'email'").fetchone()[0]
    assert load.rows == {"campaign_reports": len(sends)}
    assert sorted(query("select id, emails_sent from raw_esp.campaign_reports")) == sorted(sends)
    cost = {d: (Decimal(n) * rate).quantize(Decimal("0.01")) for d, n in query(
        "select left(send_time, 10), sum(emails_sent) from raw_esp.campaign_reports group by 1")}
    assert cost == {d: s for (_, d), s in truth_spend(emulator_world, "esp").items()}


def test_a_rerun_reads_only_the_lookback_window_and_changes_nothing(apis, emulator_world, first_day):
    ingest_api("meta_ads", start_date=first_day)
    before = query("select * exclude (_dlt_load_id, _dlt_id) from raw_meta_ads.ad_insights order by all")
    last_day = query("select max(date_start) from raw_meta_ads.ad_insights")[0][0]

    again = ingest_api("meta_ads")

    # the last loaded day and the 3 days before it, for each of the ads that delivered on them
    window = query("select count(*) from raw_meta_ads.ad_insights "
                   f"where date_start >= date '{last_day}' - interval 3 day")[0][0]
    assert again.rows == {"ad_insights": window}
    assert query("select * exclude (_dlt_load_id, _dlt_id) from raw_meta_ads.ad_insights order by all") == before


def test_an_end_date_backfills_a_range_without_moving_the_cursor(apis, emulator_world, first_day):
    ingest_api("tiktok_ads", start_date=first_day, end_date="2026-01-03")
    days = [r[0].isoformat() for r in query("select distinct stat_date from raw_tiktok_ads.ad_report order by 1")]
    assert days[-1] <= "2026-01-03"

    ingest_api("tiktok_ads", start_date=first_day)  # the cursor was untouched: this loads from first_day again

    assert raw_spend("tiktok_ads") == truth_spend(emulator_world, "tiktok_ads")
