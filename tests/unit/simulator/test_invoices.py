"""Invoices of the simulated world: every account-month billed at the truth's spend, except the one over-billed
month that `truth/invoices.parquet` names."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd

from adledger.simulator.invoices import OVERBILL_PLATFORM, OVERBILL_SHARE


def _expected(world: Path) -> pd.DataFrame:
    """Spend per platform × billed account × month in account currency, recomputed from the truth's daily spend."""
    spend = pd.read_parquet(world / "truth" / "spend_account_daily.parquet")
    fp = world / "first_party"
    program = pd.read_csv(fp / "affiliate_terms.csv", dtype=str)["program_id"].unique()
    contracts = pd.read_csv(fp / "influencer_contracts.csv", dtype=str).set_index("link_code")["contract_id"]
    assert len(program) == 1
    account = spend["account_id"].where(spend["platform"] != "affiliate", program[0])
    account = account.where(spend["platform"] != "influencer", spend["account_id"].map(contracts))
    spend = spend.assign(account_id=account, month=spend["date"].str[:7] + "-01")
    out = spend.groupby(["platform", "account_id", "month", "currency"])["spend"].sum().reset_index()
    return out[out["spend"] > 0]


def test_invoices_bill_the_spend_truth_except_one_planted_over_billing(emulator_world: Path):
    csv = pd.read_csv(emulator_world / "first_party" / "invoices.csv", dtype=str)
    assert list(csv.columns) == ["invoice_id", "account_id", "platform", "month", "amount", "currency", "issued_at"]
    assert csv["invoice_id"].is_unique
    assert (pd.to_datetime(csv["issued_at"]) > pd.to_datetime(csv["month"]).dt.tz_localize("UTC")).all()
    billed = csv.assign(amount=csv["amount"].map(Decimal)).merge(
        _expected(emulator_world), on=["platform", "account_id", "month", "currency"], how="outer", indicator=True)
    assert (billed["_merge"] == "both").all(), billed[billed["_merge"] != "both"]
    differing = billed[billed["amount"] != billed["spend"]]
    assert len(differing) == 1
    (row,) = differing.itertuples()
    assert row.platform == OVERBILL_PLATFORM
    assert row.amount == (row.spend * (1 + OVERBILL_SHARE)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    truth = pd.read_parquet(emulator_world / "truth" / "invoices.parquet")
    assert truth.loc[truth["discrepancy"].notna(), "invoice_id"].tolist() == [row.invoice_id]
    assert truth.set_index("invoice_id").loc[row.invoice_id, "discrepancy"] == "over_billed"
    assert set(billed["platform"]) == {"google_ads", "microsoft_ads", "meta_ads", "tiktok_ads", "vendor", "affiliate",
                                       "influencer", "esp"}
