"""Monthly invoices of every spend account: `first_party/invoices.csv` and `truth/invoices.parquet`.

An invoice bills one account's spend of one calendar month (of the dates the account reports in: account-local
for the ad platforms and vendors, the program's local date for the affiliate network, UTC for the ESP and for
influencer fees), in the account currency, as the truth's `spend` (what the platforms report before any
restatement). Every month of the world is invoiced on the first day of the next month: the world ends with every
campaign stopped, so its last month is closed too.

One discrepancy is planted: the largest month of the first Meta account is over-billed by `OVERBILL_SHARE`
(rounded half-up to cents). `truth/invoices.parquet` names it (`discrepancy = 'over_billed'`), so a reconciliation
can be checked to flag that invoice and nothing else.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from adledger.simulator.outputs import _csv, _iso_ms, _parquet
from adledger.simulator.plan import HOUR_MS
from adledger.simulator.truth import _decimal_table
from adledger.simulator.world import World

#: the over-billed invoice: this platform's first account (by id), its month with the most spend, billed +3 %
OVERBILL_PLATFORM = "meta_ads"
OVERBILL_SHARE = Decimal("0.03")
#: invoices are issued on the first day of the following month at this UTC hour
ISSUE_HOUR_UTC = 6


def _month_start(iso_date: str) -> date:
    return date.fromisoformat(iso_date).replace(day=1)


def _next_month(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


def _billing_accounts(out: Path, world: World, spend: pd.DataFrame) -> pd.Series:
    """The id each spend row's account is billed under, as the pipeline sees it: the affiliate network bills its
    (single) program, an influencer bills its contract (read back from `first_party/influencer_contracts.csv`)."""
    units = world.cat.units
    programs = units.loc[units["channel"] == "affiliate", "campaign_id"].unique()
    contracts = pd.read_csv(out / "first_party" / "influencer_contracts.csv", dtype=str)
    account = spend["account_id"].copy()
    affiliate, influencer = spend["platform"] == "affiliate", spend["platform"] == "influencer"
    if affiliate.any():
        account[affiliate] = programs[0]
    account[influencer] = account[influencer].map(dict(zip(contracts["link_code"], contracts["contract_id"])))
    return account


def write_invoices(out: Path, world: World, spend: pd.DataFrame) -> None:
    """Write `first_party/invoices.csv` and `truth/invoices.parquet` from the spend truth (`_spend_truth`)."""
    df = spend.assign(account_id=_billing_accounts(out, world, spend),
                      month=[_month_start(d) for d in spend["date"]])
    inv = df.groupby(["platform", "account_id", "month", "currency"], as_index=False, sort=True)["spend"].sum()
    inv = inv[inv["spend"] > 0].reset_index(drop=True)
    inv["invoice_id"] = [f"inv-{p}-{a}-{m:%Y%m}" for p, a, m in zip(inv["platform"], inv["account_id"], inv["month"])]
    inv["amount"] = inv["spend"]
    inv["discrepancy"] = None
    candidates = inv[inv["platform"] == OVERBILL_PLATFORM]
    if len(candidates):
        first_account = candidates[candidates["account_id"] == candidates["account_id"].min()]
        i = first_account["spend"].astype(float).idxmax()
        inv.at[i, "amount"] = (inv.at[i, "spend"] * (1 + OVERBILL_SHARE)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        inv.at[i, "discrepancy"] = "over_billed"
    issued_ms = np.array([(np.datetime64(_next_month(m), "ms").astype(np.int64) + ISSUE_HOUR_UTC * HOUR_MS)
                          for m in inv["month"]], dtype=np.int64)
    inv["issued_at"] = _iso_ms(issued_ms)
    inv["month"] = [m.isoformat() for m in inv["month"]]
    _csv(pd.DataFrame({
        "invoice_id": inv["invoice_id"], "account_id": inv["account_id"], "platform": inv["platform"],
        "month": inv["month"], "amount": [f"{x:.2f}" for x in inv["amount"]], "currency": inv["currency"],
        "issued_at": inv["issued_at"],
    }), out / "first_party" / "invoices.csv")
    truth = inv[["invoice_id", "platform", "account_id", "month", "currency", "spend", "amount", "discrepancy"]]
    (out / "truth").mkdir(parents=True, exist_ok=True)
    _parquet(_decimal_table(truth, ["spend", "amount"]), out / "truth" / "invoices.parquet")
