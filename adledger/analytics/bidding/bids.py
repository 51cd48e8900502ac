"""Bids from predicted conversion probability and value: the most a click is worth at the advertiser's target.

For a target CPA (USD per conversion) a click converting with probability p is worth `target_cpa * p`; for a
target ROAS (revenue per USD) it is worth `p * value / target_roas`, value being the expected revenue per
conversion. That worth is the highest cost per click that keeps the target on average, so it is the max-CPC bid
(the value-per-click bidding rule of e.g. Google Ads' Target CPA / Target ROAS strategies). Per keyword (or ad
group), p and value are the means of the model's predictions over its recent clicks — the click mix (hours,
devices, positions) it actually gets. Bids are capped to [`min_bid`, `max_bid`] and, given current bids, to
`max_change` of them per step.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from adledger.analytics.bidding.features import BidDataError, check_clicks, click_features
from adledger.analytics.bidding.model import BidModel


def recommend_bids(
    model: BidModel,
    clicks: pd.DataFrame,
    target_cpa: float | None = None,
    target_roas: float | None = None,
    features: pd.DataFrame | None = None,
    current_bids: Mapping[str, float] | None = None,
    level: str = "keyword_id",
    recent_days: int = 14,
    min_bid: float = 0.05,
    max_bid: float | None = None,
    max_change: float = 0.5,
) -> pd.DataFrame:
    """One bid per `level` value (keyword_id or ad_group_id) from its clicks of the last `recent_days` days.

    Exactly one of `target_cpa` (USD per conversion) and `target_roas` (revenue per USD) must be given.
    Columns: `<level>`, `clicks`, `conversions` (observed in the window), `p_conversion`, `value_per_conversion`
    (USD), `value_bid` (the uncapped worth of a click), `current_bid`, `recommended_bid` (USD per click),
    `capped_by` (`max_bid`, `min_bid`, `max_change` or empty) and `reason`.
    """
    if (target_cpa is None) == (target_roas is None):
        raise BidDataError("give exactly one of target_cpa and target_roas")
    target = target_cpa if target_cpa is not None else target_roas
    if not target > 0:
        raise BidDataError(f"the target must be positive, got {target}")
    check_clicks(clicks)
    if level not in clicks.columns:
        raise BidDataError(f"click log lacks the column {level!r} to bid on")
    feats = click_features(clicks) if features is None else features.loc[clicks.index]
    day = pd.to_datetime(clicks["day"])
    recent = (day > day.max() - pd.Timedelta(days=recent_days)).to_numpy()
    rows = clicks[recent]
    frame = pd.DataFrame({level: rows[level].astype(str).to_numpy(), "converted": rows["converted"].to_numpy(),
                          "p": model.probability(feats[recent]), "value": model.value(feats[recent])})
    out = frame.groupby(level, sort=True).agg(clicks=("p", "size"), conversions=("converted", "sum"),
                                              p_conversion=("p", "mean"), value_per_conversion=("value", "mean"))
    out = out.reset_index()
    if target_cpa is not None:
        out["value_bid"] = target_cpa * out["p_conversion"]
        basis = f"target CPA {target_cpa:,.2f} x P(conversion)"
    else:
        out["value_bid"] = out["p_conversion"] * out["value_per_conversion"] / target_roas
        basis = f"P(conversion) x value / target ROAS {target_roas:g}"
    current = out[level].map(current_bids or {}).astype(float)
    bid = out["value_bid"].to_numpy(float).copy()
    capped = np.full(len(out), "", dtype=object)
    cur = current.to_numpy(float)
    has = np.isfinite(cur)
    low, high = np.where(has, cur * (1 - max_change), -np.inf), np.where(has, cur * (1 + max_change), np.inf)
    capped[bid > high], capped[bid < low] = "max_change", "max_change"
    bid = np.clip(bid, low, high)
    if max_bid is not None:
        capped[bid > max_bid] = "max_bid"
        bid = np.minimum(bid, max_bid)
    capped[bid < min_bid] = "min_bid"
    bid = np.maximum(bid, min_bid)
    out["current_bid"], out["recommended_bid"], out["capped_by"] = current, np.round(bid, 2), capped
    out["reason"] = [
        f"{basis} = {v:,.2f}" + (f", capped by {c}" if c else "")
        for v, c in zip(out["value_bid"], capped)]
    return out
