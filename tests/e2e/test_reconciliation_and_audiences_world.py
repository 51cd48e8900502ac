"""Spend reconciliation and audiences on the simulated world, through the whole pipeline: the planted over-billing
is the only account-month over tolerance, reported spend and clicks equal the platforms' truth, and no customer
without advertising consent (or with an erasure request) is in any audience."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pandas as pd
import pytest

from adledger.config import settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world_pipeline(shared_world_pipeline):
    """This module only reads the whole run's tables: it shares the session's run."""
    return shared_world_pipeline


API_PLATFORMS = ("google_ads", "microsoft_ads", "meta_ads", "tiktok_ads")


def _frame(sql: str) -> pd.DataFrame:
    with duckdb.connect(str(settings().warehouse), read_only=True) as con:
        return con.execute(sql).fetchdf()


def test_the_planted_over_billing_is_the_only_account_month_over_tolerance(world_pipeline):
    summary = world_pipeline.summary
    assert summary.success, (summary.failed_steps, summary.checks_failed)  # the discrepancy warns, never fails
    truth = pd.read_parquet(world_pipeline.world / "truth" / "invoices.parquet")
    (planted,) = truth[truth["discrepancy"] == "over_billed"].itertuples()
    mart = _frame("select * from marts.mart_spend_reconciliation")
    flagged = mart[mart["status"] == "over_tolerance"]
    assert flagged["invoice_id"].tolist() == [planted.invoice_id]
    assert Decimal(str(flagged["spend_difference"].iat[0])) == planted.amount - planted.spend
    assert set(mart["status"]) <= {"ok", "over_tolerance", "no_spend"}
    assert set(truth["invoice_id"]) == set(mart["invoice_id"].dropna())
    warned = {(asset, check) for asset, check, _ in world_pipeline.summary.warnings}
    assert ("marts/mart_spend_reconciliation", "gx_spend_platform_vs_invoice") in warned


def test_reported_spend_clicks_and_conversions_equal_the_platforms_truth(world_pipeline):
    world = world_pipeline.world
    spend = pd.read_parquet(world / "truth" / "spend_account_daily.parquet")
    spend = spend[spend["platform"].isin([*API_PLATFORMS, "vendor"])]
    expected_spend = spend.groupby([spend["platform"], spend["account_id"], spend["date"].str[:7]])["spend"].sum()
    delivery = pd.read_parquet(world / "platforms" / "delivery.parquet")
    expected_counts = delivery.groupby(
        [delivery["platform"], delivery["account_id"], delivery["date"].str[:7]])[["clicks", "conversions"]].sum()
    mart = _frame("select platform, account_id, strftime(month, '%Y-%m') as month, platform_spend, platform_clicks, "
                  "platform_conversions from marts.mart_spend_reconciliation where platform_spend <> 0")
    api = mart[mart["platform"].isin(API_PLATFORMS)].set_index(["platform", "account_id", "month"]).sort_index()
    assert api["platform_clicks"].tolist() == expected_counts.loc[api.index, "clicks"].tolist()
    assert api["platform_conversions"].tolist() == expected_counts.loc[api.index, "conversions"].astype(float).tolist()
    paid = mart[mart["platform"].isin([*API_PLATFORMS, "vendor"])].set_index(["platform", "account_id", "month"])
    assert sorted(paid.index) == sorted(expected_spend.index)
    for key, reported in paid["platform_spend"].items():
        assert Decimal(str(reported)) == expected_spend[key], key


def test_the_daily_mart_adds_up_to_the_monthly_one(world_pipeline):
    daily = _frame("select platform, account_id, cast(date_trunc('month', report_date) as date) as month, "
                   "sum(platform_spend) as s, cast(sum(tracker_sessions) as bigint) as t, "
                   "cast(sum(tracker_conversions) as bigint) as c "
                   "from marts.mart_spend_reconciliation_daily group by all order by all")
    monthly = _frame("select platform, account_id, month, platform_spend as s, tracker_sessions as t, "
                     "tracker_conversions as c from marts.mart_spend_reconciliation order by all")
    assert daily.astype(str).values.tolist() == monthly.astype(str).values.tolist()
    assert monthly["t"].sum() > 0 and monthly["c"].sum() > 0


def test_only_consenting_customers_without_erasure_are_in_audiences(world_pipeline):
    world = world_pipeline.world
    users = pd.read_parquet(world / "truth" / "users.parquet", columns=["customer_id", "consent_advertising_end"])
    consent = users.set_index("customer_id")["consent_advertising_end"]
    erased = set(pd.read_csv(world / "first_party" / "deletion_requests.csv")["customer_id"])
    members = _frame("select customer_id, segment, email_hash from marts.mart_audience_segments")
    assert len(members) > 0
    assert consent.loc[members["customer_id"].unique()].all()
    assert not set(members["customer_id"]) & erased
    assert members["email_hash"].str.fullmatch(r"[0-9a-f]{64}").all()
    lists = _frame("select segment, email_hash, customers from marts.mart_audience_exports")
    assert set(zip(lists["segment"], lists["email_hash"])) == set(zip(members["segment"], members["email_hash"]))
    assert lists["customers"].sum() == len(members)
    customers = pd.read_csv(world / "first_party" / "customers.csv")
    assert not set(lists["email_hash"]) & set(customers["email"])  # hashes, never the addresses
