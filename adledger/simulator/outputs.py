"""Write everything but the tracker logs: platform data, first-party CSVs, the truth and the emulator secrets.

Money: platform spend is rounded to cents per (unit, account-local date) row in the account currency and stored
as integer micros (`cost_micros`, a multiple of 10,000). USD conversions use `first_party/fx_rates.csv`
(`usd_per_unit` of the row's local date) with exact decimal arithmetic; totals are rounded half-up to cents once.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from adledger.simulator import spec
from adledger.simulator.credentials import write_secrets
from adledger.simulator.holdout import write_holdout_assignments
from adledger.simulator.plan import DAY_MS, PAD
from adledger.simulator.rng import stream
from adledger.simulator.tracker import TrackerLog
from adledger.simulator.world import World

API_PLATFORMS = ("google_ads", "microsoft_ads", "meta_ads", "tiktok_ads")
RESTATEMENT_RANGE = (0.01, 0.08)


def _iso_ms(ms: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(np.asarray(ms, dtype="datetime64[ms]"), unit="ms", timezone="UTC")


def _parquet(table: pa.Table | pd.DataFrame, path: Path) -> None:
    if isinstance(table, pd.DataFrame):
        table = pa.Table.from_pandas(table, preserve_index=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd")


def _csv(df: pd.DataFrame, path: Path) -> None:
    """CSV with lower-case booleans (true/false), `\n` line ends and no index."""
    path.parent.mkdir(parents=True, exist_ok=True)
    df = df.copy()
    for col in df.columns:
        if df[col].dtype == bool:
            df[col] = np.where(df[col], "true", "false")
    df.to_csv(path, index=False, lineterminator="\n")


def _cents_to_usd(cents: int, usd_per_unit: float) -> Decimal:
    return (Decimal(int(cents)) / 100) * Decimal(f"{usd_per_unit:.6f}")


def _round_cents(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def write_outputs(out: Path, world: World, log: TrackerLog, got) -> dict:
    """Write platforms/, first_party/, truth/, emulator_secrets.toml; return the counts for the manifest."""
    dates = world.cal.local_dates()
    delivery = _delivery(world, dates)
    orders = _orders(world, got, log)
    _platforms(out, world, delivery, got, dates)
    spend = _spend_truth(world, delivery, got, dates)
    _first_party(out, world, orders, got, dates)
    write_holdout_assignments(out, world)
    from adledger.simulator.invoices import write_invoices  # imports this module's helpers
    write_invoices(out, world, spend)
    counts = _truth(out, world, log, got, orders, delivery, spend, dates)
    write_secrets(out, world.seed, world.cat)
    return counts


# ------------------------------------------------------------------------------------------------ platforms
def _delivery(world: World, dates: list) -> pd.DataFrame:
    """One row per (unit, local date) with any impression or spend, for API platforms and vendors."""
    rng = stream(world.seed, "restatement")
    units = world.cat.units
    rows = np.argwhere((world.imp > 0) | (world.spend > 0))
    u, k = rows[:, 0], rows[:, 1]
    keep = world.u_delivery[u]
    u, k = u[keep], k[keep]
    cents = np.round(world.spend[u, k] * 100).astype(np.int64)
    platform = units["platform"].to_numpy()[u]
    overcount = np.array([world.trouble.platform_overcount.get(p, 1.0) for p in platform])
    claimed = world.claimed[u, k]
    reported = stream(world.seed, "platform_conversions").poisson(claimed * overcount)
    value = np.round(np.where(claimed > 0, world.claimed_value[u, k] / np.maximum(claimed, 1) * reported, 0.0), 2)
    credit = rng.uniform(*RESTATEMENT_RANGE, len(u))
    restated_cents = np.round(cents * (1 - credit)).astype(np.int64)
    restated_clicks = world.clk[u, k] - np.round(world.clk[u, k] * credit).astype(np.int64)
    df = pd.DataFrame({
        "platform": platform, "account_id": units["account_id"].to_numpy()[u],
        "date": np.array([dates[i].isoformat() for i in k]), "local_index": k, "unit": u,
        "campaign_id": units["campaign_id"].to_numpy()[u], "adgroup_id": units["adgroup_id"].to_numpy()[u],
        "ad_id": units["ad_id"].to_numpy()[u], "keyword_id": units["keyword_id"].to_numpy()[u],
        "impressions": world.imp[u, k], "clicks": world.clk[u, k], "cost_micros": cents * 10_000,
        "conversions": reported.astype(np.int64), "conversions_value": value,
        "tracker_conversions": claimed.astype(np.int64), "invalid_clicks": world.fraud_clk[u, k],
        "restated_cost_micros": restated_cents * 10_000, "restated_clicks": restated_clicks,
    })
    acc_cur = {a.account_id: a.currency for a in world.cat.accounts}
    df["currency"] = df["account_id"].map(acc_cur)
    return df.sort_values(["platform", "account_id", "date", "unit"], kind="stable").reset_index(drop=True)


def _platforms(out: Path, world: World, delivery: pd.DataFrame, got, dates: list) -> None:
    root = out / "platforms"
    accounts = pd.DataFrame([{"platform": a.platform, "account_id": a.account_id, "name": a.name,
                              "currency": a.currency, "timezone": a.timezone, "countries": ",".join(a.countries)}
                             for a in world.cat.accounts])
    first_date = dates[PAD].isoformat()
    _parquet(accounts.assign(created_date=first_date), root / "accounts.parquet")
    units = world.cat.units.drop(columns=["weight", "price", "ctr", "brand", "creative_uplift", "audience",
                                          "account"]).copy()
    units["status"] = "ENABLED"
    _parquet(units, root / "units.parquet")
    _parquet(delivery[delivery["platform"].isin(API_PLATFORMS)].drop(columns=["local_index"]),
             root / "delivery.parquet")
    acts = pd.DataFrame(got.actions)
    u = world.cat.units
    if len(acts):
        acts["partner_id"] = u["adgroup_id"].to_numpy()[acts["unit"]]
        acts["partner_name"] = u["adgroup_name"].to_numpy()[acts["unit"]]
        acts["action_id"] = [f"19816.{i + 4000000}.{world.seed}" for i in range(len(acts))]
        acts["event_date"] = _iso_ms(acts["event_ms"].to_numpy())
        acts["click_date"] = _iso_ms(acts["click_ms"].to_numpy())
        acts["local_date"] = [dates[i].isoformat() for i in acts["local_index"]]
        acts["currency"] = "USD"
        acts.loc[acts["state"] == "REVERSED", "payout"] = 0.0
    else:
        acts = pd.DataFrame(columns=["order_id", "unit", "click_ms", "event_ms", "local_index", "amount", "payout",
                                     "state", "partner_id", "partner_name", "action_id", "event_date", "click_date",
                                     "local_date", "currency"])
    _parquet(acts.drop(columns=["unit", "local_index"]), root / "affiliate_actions.parquet")
    camps = pd.DataFrame(world.email_campaigns)
    if len(camps):
        camps["send_time"] = _iso_ms(camps["send_ms"].to_numpy())
        camps["date"] = [world.cal.day_of(d).isoformat() for d in camps["day"]]
    _parquet(camps, root / "esp_campaigns.parquet")


# ------------------------------------------------------------------------------------------------ truth: spend
def _spend_truth(world: World, delivery: pd.DataFrame, got, dates: list) -> pd.DataFrame:
    """Spend per (platform, account, local date) in account currency and USD, before and after restatement."""
    rows = []
    fx = world.fx
    last_local = {}
    for (platform, account_id, k), g in delivery.groupby(["platform", "account_id", "local_index"], sort=True):
        cur = g["currency"].iat[0]
        rate = float(fx[cur][k])
        last_local[(platform, account_id)] = max(last_local.get((platform, account_id), -1), k)
        cents = int(g["cost_micros"].sum() // 10_000)
        rcents = int(g["restated_cost_micros"].sum() // 10_000)
        rows.append(dict(platform=platform, account_id=account_id, local_index=k, currency=cur, usd_per_unit=rate,
                         spend=Decimal(cents) / 100, spend_usd_exact=_cents_to_usd(cents, rate),
                         restated_spend=Decimal(rcents) / 100, restated_usd_exact=_cents_to_usd(rcents, rate)))
    # affiliate payouts (action local date, USD), influencer fees (activation date, UTC), ESP sends (UTC)
    for a in got.actions:
        if a["state"] == "REVERSED":
            continue
        acc = spec.CHANNELS[spec.CHANNEL_INDEX["affiliate"]].accounts[0]
        cents = int(round(a["payout"] * 100))
        rows.append(dict(platform="affiliate", account_id=acc.account_id, local_index=a["local_index"], currency="USD",
                         usd_per_unit=1.0, spend=Decimal(cents) / 100, spend_usd_exact=Decimal(cents) / 100,
                         restated_spend=Decimal(cents) / 100, restated_usd_exact=Decimal(cents) / 100))
    inf = world.influencers
    for j in range(len(inf["unit"])):
        if inf["activation_ms"][j] < 0:
            continue
        k = int((inf["activation_ms"][j] - world.cal.start_ms) // DAY_MS) + PAD
        cur = str(inf["currency"][j])
        cents = int(round(inf["fee"][j] * 100))
        usd = _cents_to_usd(cents, float(fx[cur][k]))
        rows.append(dict(platform="influencer", account_id=world.cat.units["campaign_id"].iat[inf["unit"][j]],
                         local_index=k, currency=cur, usd_per_unit=float(fx[cur][k]), spend=Decimal(cents) / 100,
                         spend_usd_exact=usd, restated_spend=Decimal(cents) / 100, restated_usd_exact=usd))
    esp = spec.CHANNELS[spec.CHANNEL_INDEX["email"]].accounts[0]
    for c in world.email_campaigns:
        cents = int(round(c["cost_usd"] * 100))
        rows.append(dict(platform="esp", account_id=esp.account_id, local_index=c["day"] + PAD, currency="USD",
                         usd_per_unit=1.0, spend=Decimal(cents) / 100, spend_usd_exact=Decimal(cents) / 100,
                         restated_spend=Decimal(cents) / 100, restated_usd_exact=Decimal(cents) / 100))
    df = pd.DataFrame(rows)
    df = df.groupby(["platform", "account_id", "local_index", "currency", "usd_per_unit"], as_index=False).agg(
        spend=("spend", "sum"), spend_usd_exact=("spend_usd_exact", "sum"), restated_spend=("restated_spend", "sum"),
        restated_usd_exact=("restated_usd_exact", "sum"))
    df["date"] = [dates[i].isoformat() for i in df["local_index"]]
    # restatement: only the last `restatement_days` local dates of each API account change
    n_days = world.trouble.restatement_days
    last = df.groupby(["platform", "account_id"])["local_index"].transform("max")
    in_window = df["platform"].isin(API_PLATFORMS) & (df["local_index"] > last - n_days)
    df.loc[~in_window, "restated_spend"] = df.loc[~in_window, "spend"]
    df.loc[~in_window, "restated_usd_exact"] = df.loc[~in_window, "spend_usd_exact"]
    df["restated"] = in_window
    return df


# ------------------------------------------------------------------------------------------------ orders
def _orders(world: World, got, log: TrackerLog) -> pd.DataFrame:
    cols = {k: np.concatenate([o[k] for o in got.orders]) for k in got.orders[0]} if got.orders else {}
    df = pd.DataFrame(cols)
    tracked = set(np.concatenate(log.orders_tracked).tolist()) if log.orders_tracked else set()
    df["tracked"] = df["order_id"].isin(tracked)
    df["customer_id"] = world.pop.strings("customer_id", df["user"])
    df["email"] = world.pop.strings("email", df["user"])
    df["country"] = np.array([c.code for c in spec.COUNTRIES])[world.pop.country[df["user"]]]
    k = ((df["order_ms"] - world.cal.start_ms) // DAY_MS + PAD).clip(0, world.n_local - 1).to_numpy()
    rate = np.array([world.fx[c][i] for c, i in zip(df["currency"], k)])
    df["revenue_usd"] = np.round(df["revenue"] * rate, 2)
    df["created_at"] = _iso_ms(df["order_ms"].to_numpy())
    return df


def _first_party(out: Path, world: World, orders: pd.DataFrame, got, dates: list) -> None:
    fp = out / "first_party"
    rng = stream(world.seed, "first_party")
    pop = world.pop
    status = np.where(orders["refunded"], "refunded", "completed")
    refund_ms = orders["order_ms"] + rng.integers(2, 20, len(orders)) * DAY_MS
    _csv(pd.DataFrame({
        "order_id": orders["order_id"], "customer_id": orders["customer_id"], "email": orders["email"],
        "created_at": orders["created_at"], "currency": orders["currency"],
        "revenue": orders["revenue"].map(lambda x: f"{x:.2f}"), "status": status,
        "refunded_at": np.where(orders["refunded"], _iso_ms(refund_ms.to_numpy()), ""), "country": orders["country"],
    }), fp / "orders.csv")
    items = pd.DataFrame({k: np.concatenate([i[k] for i in got.items]) for k in got.items[0]}) if got.items else \
        pd.DataFrame(columns=["order_id", "product", "quantity", "price"])
    items["sku"] = np.array([p[0] for p in spec.PRODUCTS])[items["product"].astype(int)]
    _csv(items[["order_id", "sku", "quantity", "price"]].assign(price=items["price"].map(lambda x: f"{x:.2f}")),
         fp / "order_items.csv")
    # customers: registered before the world plus everyone who ordered
    first = world.customer_since
    is_cust = first < np.iinfo(np.int64).max // 8
    idx = np.flatnonzero(is_cust)
    first_order_ms = orders.groupby("user")["order_ms"].min()
    created = np.where(first[idx] < 0, world.cal.start_ms + first[idx] * DAY_MS + rng.integers(0, DAY_MS, len(idx)),
                       first_order_ms.reindex(idx).fillna(0).to_numpy(np.int64))
    _csv(pd.DataFrame({
        "customer_id": pop.strings("customer_id", idx), "email": pop.strings("email", idx),
        "country": np.array([c.code for c in spec.COUNTRIES])[pop.country[idx]],
        "created_at": _iso_ms(created), "marketing_opt_in": pop.email_opt_in[idx],
    }), fp / "customers.csv")
    c = world.consent_changes
    changed_ms = world.cal.start_ms + c["day"] * DAY_MS + rng.integers(0, DAY_MS // 4, len(c["day"]))
    known = first[c["user"]] <= c["day"]
    _csv(pd.DataFrame({
        "customer_id": np.where(known, pop.strings("customer_id", c["user"]), ""),
        "anonymous_id": pop.strings("device_anonymous_id", pop.user_first_device[c["user"]]),
        "changed_at": _iso_ms(changed_ms), "advertising": c["advertising"], "analytics": c["analytics"],
        "functional": True,
    }).sort_values(["changed_at", "anonymous_id"], kind="stable"), fp / "consent_changes.csv")
    deleters = idx[rng.random(len(idx)) < 0.004]
    req_ms = world.cal.start_ms + rng.integers(1, max(2, world.cal.days), len(deleters)) * DAY_MS + \
        rng.integers(0, DAY_MS, len(deleters))
    _csv(pd.DataFrame({
        "request_id": [f"dsr_{i + 1:05d}" for i in range(len(deleters))], "customer_id": pop.strings("customer_id", deleters),
        "email": pop.strings("email", deleters), "requested_at": _iso_ms(req_ms), "type": "erasure",
    }), fp / "deletion_requests.csv")
    inf = world.influencers
    u = world.cat.units
    _csv(pd.DataFrame({
        "contract_id": [f"inf-contract-{j + 1:03d}" for j in range(len(inf["unit"]))],
        "handle": u["campaign_name"].to_numpy()[inf["unit"]], "link_code": u["campaign_id"].to_numpy()[inf["unit"]],
        "fee": [f"{x:.2f}" for x in inf["fee"]], "currency": inf["currency"],
        "signed_date": [world.cal.day_of(int(d) - 7).isoformat() for d in inf["start_day"]],
        "start_date": [world.cal.day_of(int(d)).isoformat() for d in inf["start_day"]],
        "duration_days": 30, "payment_terms": "flat fee released when the tracked link first activates",
    }), fp / "influencer_contracts.csv")
    aff = u[u["channel"] == "affiliate"]
    _csv(pd.DataFrame({
        "partner_id": aff["adgroup_id"], "partner_name": aff["adgroup_name"],
        "commission_rate": aff["commission_rate"].map(lambda x: f"{x:.4f}"), "currency": "USD",
        "cookie_window_days": 30, "valid_from": dates[0].isoformat(), "program_id": aff["campaign_id"],
    }), fp / "affiliate_terms.csv")
    _csv(pd.DataFrame([{"date": d.isoformat(), "currency": cur, "usd_per_unit": f"{world.fx[cur][i]:.6f}"}
                       for i, d in enumerate(dates) for cur in spec.FX_BASE]), fp / "fx_rates.csv")
    vendors = [dict(vendor_id=a.account_id, name=a.name, channel=ch.key, cost_model=ch.cost_model,
                    rate=ch.price, currency=a.currency, timezone=a.timezone)
               for ch in spec.CHANNELS if ch.platform == "vendor" for a in ch.accounts]
    esp = spec.CHANNELS[spec.CHANNEL_INDEX["email"]]
    vendors.append(dict(vendor_id=esp.accounts[0].account_id, name=esp.accounts[0].name, channel="email",
                        cost_model="per_send", rate=esp.price, currency="USD", timezone="UTC"))
    _csv(pd.DataFrame(vendors), fp / "vendors.csv")


def write_vendor_spend(out: Path, delivery: pd.DataFrame, world: World) -> None:
    v = delivery[delivery["platform"] == "vendor"]
    names = dict(zip(world.cat.units["campaign_id"], world.cat.units["campaign_name"]))
    _csv(pd.DataFrame({
        "date": v["date"], "vendor_id": v["account_id"], "campaign_id": v["campaign_id"],
        "campaign_name": v["campaign_id"].map(names), "impressions": v["impressions"], "clicks": v["clicks"],
        "spend": (v["cost_micros"] // 10_000).map(lambda c: f"{c / 100:.2f}"), "currency": v["currency"],
    }), out / "first_party" / "vendor_spend.csv")


# ------------------------------------------------------------------------------------------------ truth
def _truth(out: Path, world: World, log: TrackerLog, got, orders: pd.DataFrame, delivery: pd.DataFrame,
           spend: pd.DataFrame, dates: list) -> dict:
    from adledger.simulator.truth import write_truth

    write_vendor_spend(out, delivery, world)
    return write_truth(out, world, log, got, orders, delivery, spend, dates)


__all__ = ["write_outputs", "API_PLATFORMS", "_round_cents"]
