"""Abnormal conversion rate by publisher: clicks of one partner or campaign convert far above or below its peers'.

The measurement partners list a conversion rate far from the norm of a source as a fraud signal (Singular and
Kochava anomaly rules; AppsFlyer Protect360 "abnormal conversion rates"): clicks that never convert are fired, not
made by people (click flooding, bots that pass the per-click filters), and clicks that nearly always convert are
placed in front of orders that would happen anyway (injected or incentivized clicks).

Per publisher (`fraud.publisher_of`: affiliate partner, else campaign) the conversion rate is the share of its clicks
whose visit ended with an order (`seconds_to_conversion` set), counting only clicks no per-click rule flagged (data
centers, robot agents and injected clicks are already incidents of their own). Its baseline is the median rate of
its peers: the other publishers of the same channel with at least `min_peer_clicks` clicks (at least `min_peers` of
them; a median, so one odd peer does not move it). A publisher is abnormal when (1) its rate is at least `min_ratio`
times the baseline or at most its `1 / min_ratio`, (2) the two-sided binomial test of its conversions against the
baseline rate has p below `alpha / m` (Bonferroni over the `m` publishers tested), and (3) it has enough clicks that
the baseline expects at least `min_expected` conversions (so a small publisher with no order yet never fires). Money
at stake: the conversions it has above or below the baseline times the mean revenue of a converting click (USD).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from adledger.analytics.anomalies.fraud import publisher_label, publisher_of
from adledger.analytics.anomalies.records import evidence, finish, scope_of, severity

PER_CLICK_RULES = ("is_datacenter_ip", "is_bot_user_agent", "is_click_injection")
DAY = pd.Timedelta(days=1)


def publisher_rates(clicks: pd.DataFrame, min_peer_clicks: int = 50, min_peers: int = 2) -> pd.DataFrame:
    """One row per (channel, publisher): `clicks`, `conversions`, `rate`, `baseline_rate` (median rate of the
    channel's other publishers with `min_peer_clicks` clicks; NaN with fewer than `min_peers` of them), `peers`."""
    clean = clicks[~clicks[list(PER_CLICK_RULES)].astype(bool).any(axis=1)]
    frame = clean.assign(publisher=publisher_of(clean), converted=clean["seconds_to_conversion"].notna())
    out = frame.groupby(["channel", "publisher"], as_index=False).agg(clicks=("converted", "size"),
                                                                       conversions=("converted", "sum"))
    out["rate"] = out["conversions"] / out["clicks"]
    baseline, peers = [], []
    for row in out.itertuples():
        others = out[(out["channel"] == row.channel) & (out["publisher"] != row.publisher)
                     & (out["clicks"] >= min_peer_clicks)]
        peers.append(len(others))
        baseline.append(float(others["rate"].median()) if len(others) >= min_peers else np.nan)
    out["baseline_rate"] = baseline
    out["peers"] = peers
    return out


def abnormal_cvr_anomalies(clicks: pd.DataFrame, min_ratio: float = 3.0, alpha: float = 0.01,
                           min_expected: float = 10.0, min_peer_clicks: int = 50, min_peers: int = 2
                           ) -> pd.DataFrame:
    """Publishers whose click conversion rate is abnormal against their peers (the rules of the module)."""
    if clicks.empty:
        return finish([])
    rates = publisher_rates(clicks, min_peer_clicks, min_peers)
    tested = rates[rates["baseline_rate"].notna() & (rates["clicks"] * rates["baseline_rate"] >= min_expected)]
    if tested.empty:
        return finish([])
    base = tested["baseline_rate"].clip(1e-9, 1 - 1e-9)
    low = stats.binom.cdf(tested["conversions"], tested["clicks"], base)
    high = stats.binom.sf(tested["conversions"] - 1, tested["clicks"], base)
    p_value = np.minimum(1.0, 2.0 * np.minimum(low, high))
    ratio = tested["rate"] / base
    far = (ratio >= min_ratio) | (ratio <= 1.0 / min_ratio)
    threshold = alpha / len(tested)
    hits = tested[far & (p_value < threshold)].assign(p_value=p_value[far & (p_value < threshold)],
                                                     ratio=ratio[far & (p_value < threshold)])
    converting = clicks["revenue"][clicks["seconds_to_conversion"].notna()].dropna()
    order_value = float(converting.mean()) if len(converting) else 0.0
    rows = []
    for hit in hits.itertuples():
        theirs = clicks[(clicks["channel"] == hit.channel) & (publisher_of(clicks) == hit.publisher)]
        platform = theirs["platform"].dropna().iloc[0] if theirs["platform"].notna().any() else None
        campaign = publisher_label(theirs)
        gap = abs(hit.conversions - hit.clicks * hit.baseline_rate)
        start, end = theirs["started_at"].min(), theirs["started_at"].max()
        rows.append({
            "anomaly_type": "abnormal_cvr", "scope": scope_of(platform, campaign, hit.channel),
            "platform": platform, "channel": hit.channel, "campaign": campaign,
            "start_at": start.normalize(), "end_at": end.normalize() + DAY,
            "severity": severity(abs(np.log(max(hit.ratio, 1e-9))), gap * order_value, (np.log(10.0), 2000.0),
                                 (np.log(min_ratio), 200.0)),
            "score": float(hit.ratio),
            "evidence": evidence(
                publisher=hit.publisher, clicks=int(hit.clicks), conversions=int(hit.conversions),
                conversion_rate=float(hit.rate), peer_median_rate=float(hit.baseline_rate), peers=int(hit.peers),
                ratio_to_peers=float(hit.ratio), p_value=f"{hit.p_value:.2e}", p_threshold=threshold,
                conversions_off_baseline=float(gap)),
            "money_at_stake": gap * order_value,
        })
    return finish(rows)
