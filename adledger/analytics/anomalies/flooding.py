"""Click flooding: a publisher whose clicks sit before many orders but hardly ever right before them.

The mobile measurement partners' rule (AppsFlyer "click flooding", Adjust "click spam", Kochava "click flooding",
Singular "click spamming"): a source that fires huge numbers of clicks holds *some* click before many organic
conversions, so its click-to-conversion time (CTIT) is flat over hours and days where an honest source peaks in the
first hour. On the web the same fraud is cookie stuffing: a partner drops its affiliate cookie in many browsers and
is paid for the orders they place later.

For each order, its last click is the latest ad click of the same browser at most the attribution lookback before it
(`LAST_CLICK_COLUMNS`, from dbt `int_conversions_last_click` or the light ledger of `world.py`); CTIT is the seconds
between them. Per publisher (`fraud.publisher_of`: the affiliate partner, else the campaign) the share of its
last-click orders within `quick_seconds` is compared with the same share pooled over every other publisher (leave
one out, so a big flooder does not hide in its own baseline). A publisher floods when it has at least `min_orders`
last-click orders, its quick share is at most `max_quick_ratio` of the baseline, and the normal approximation of the
binomial count of quick orders lies at least `min_z` standard errors below the baseline (z <= -4 is a one-sided
p < 3.2e-5: with a few hundred publishers tested, still under 1 % family-wise by Bonferroni). The same rule, with the
same thresholds as dbt vars, flags the publisher's clicks in `int_sessions_fraud_flagged` (`is_click_flooding`), so
`exclude_suspected_fraud` drops them from attribution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from adledger.analytics.anomalies.fraud import publisher_label, publisher_of
from adledger.analytics.anomalies.records import evidence, finish, scope_of, severity

LAST_CLICK_COLUMNS = ("order_id", "session_id", "converted_at", "seconds_to_order", "revenue")
DAY = pd.Timedelta(days=1)
QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)


@dataclass(frozen=True)
class FloodingRule:
    """Thresholds of the rule (the dbt vars `click_flooding_*` carry the same defaults)."""

    quick_seconds: float = 3600.0
    min_orders: int = 20
    max_quick_ratio: float = 0.1
    min_z: float = 4.0


def flooding_sources(clicks: pd.DataFrame, last_clicks: pd.DataFrame, rule: FloodingRule = FloodingRule()
                     ) -> pd.DataFrame:
    """One row per (channel, publisher) with last-click orders: `orders`, `quick_orders` (CTIT <= quick_seconds),
    `quick_share`, `baseline_share` (every other publisher's orders pooled), `z` (binomial normal approximation of
    the quick count against the baseline) and `is_click_flooding`."""
    joined = _joined(clicks, last_clicks)
    if joined.empty:
        return pd.DataFrame(columns=["channel", "publisher", "orders", "quick_orders", "quick_share",
                                     "baseline_share", "z", "is_click_flooding"])
    joined["quick"] = joined["seconds_to_order"] <= rule.quick_seconds
    out = joined.groupby(["channel", "publisher"], as_index=False).agg(orders=("order_id", "count"),
                                                                        quick_orders=("quick", "sum"))
    rest_orders = out["orders"].sum() - out["orders"]
    base = (out["quick_orders"].sum() - out["quick_orders"]) / rest_orders.where(rest_orders > 0)
    out["quick_share"] = out["quick_orders"] / out["orders"]
    out["baseline_share"] = base
    spread = np.sqrt(out["orders"] * base * (1.0 - base))
    out["z"] = (out["quick_orders"] - out["orders"] * base) / spread.where(spread > 0)
    out["is_click_flooding"] = ((out["orders"] >= rule.min_orders)
                                & (out["quick_share"] <= rule.max_quick_ratio * base)
                                & (out["z"] <= -rule.min_z)).fillna(False).astype(bool)
    return out


def click_flooding_incidents(clicks: pd.DataFrame, last_clicks: pd.DataFrame | None,
                             rule: FloodingRule = FloodingRule()) -> pd.DataFrame:
    """One anomaly per flooding publisher, from its first to its last click; money at stake is the revenue of the
    orders whose last click is the publisher's (USD: the credit, and the base of the commission, it claims)."""
    if last_clicks is None or last_clicks.empty or clicks.empty:
        return finish([])
    sources = flooding_sources(clicks, last_clicks, rule)
    flooders = sources[sources["is_click_flooding"]]
    if flooders.empty:
        return finish([])
    joined = _joined(clicks, last_clicks)
    hours = joined["seconds_to_order"] / 3600.0
    clicks = clicks.assign(publisher=publisher_of(clicks))
    rows = []
    for source in flooders.itertuples():
        own = (joined["channel"] == source.channel) & (joined["publisher"] == source.publisher)
        theirs = clicks[(clicks["channel"] == source.channel) & (clicks["publisher"] == source.publisher)]
        platform = theirs["platform"].dropna().iloc[0] if theirs["platform"].notna().any() else None
        campaign = publisher_label(theirs)
        credited = float(joined.loc[own, "revenue"].fillna(0).sum())
        start, end = theirs["started_at"].min(), theirs["started_at"].max()
        rows.append({
            "anomaly_type": "click_flooding", "scope": scope_of(platform, campaign, source.channel),
            "platform": platform, "channel": source.channel, "campaign": campaign,
            "start_at": start.normalize(), "end_at": end.normalize() + DAY,
            "severity": severity(-source.z, credited, (8.0, 2000.0), (4.0, 200.0)), "score": float(-source.z),
            "evidence": evidence(
                publisher=source.publisher, clicks=len(theirs), last_click_orders=int(source.orders),
                quick_orders=int(source.quick_orders), quick_share=float(source.quick_share),
                baseline_quick_share=float(source.baseline_share), z=float(source.z),
                thresholds={"quick_seconds": rule.quick_seconds, "min_orders": rule.min_orders,
                            "max_quick_ratio": rule.max_quick_ratio, "min_z": rule.min_z},
                ctit_hours=_quantiles(hours[own]), baseline_ctit_hours=_quantiles(hours[~own]),
                credited_revenue_usd=credited),
            "money_at_stake": credited,
        })
    return finish(rows)


def _joined(clicks: pd.DataFrame, last_clicks: pd.DataFrame) -> pd.DataFrame:
    """Each order's last click with the click's channel and publisher."""
    sources = clicks[["session_id", "channel"]].assign(publisher=publisher_of(clicks))
    return last_clicks.merge(sources, on="session_id", how="inner").dropna(subset=["publisher"])


def _quantiles(hours: pd.Series) -> dict[str, float]:
    """CTIT quantiles in hours, keyed `p10` ... `p90`."""
    if hours.empty:
        return {}
    return {f"p{round(q * 100)}": float(v) for q, v in zip(QUANTILES, np.quantile(hours, QUANTILES))}
