"""Attribution drift: the channel a platform's ad clicks are attributed to, or their tagging, changes.

For each ad click id type (gclid, fbclid, ...: the platform that paid for the click), the daily distribution of
its sessions over (channel, utm_source, utm_medium) is compared with the 7 days before by the population stability
index of `adledger.analytics.attribution.attribution_drift` (the attribution issue's drift metric; PSI > 0.25 is a
major shift). Sessions, not conversions, carry the signal: a platform brings hundreds of clicks a day but only a
handful of orders, so a changed UTM convention or dropped tags shows in the click mix days before it shows in
attributed conversions. Consecutive drifting days form one anomaly; the evidence names the signatures that moved
and, when given, how the channel's attributed share of conversions moved (the `analytics.attribution_drift` rows).
Money at stake: the platform's spend over the drifting days times the share of its clicks that left its baseline
channel (USD).
"""

from __future__ import annotations

import pandas as pd

from adledger.analytics.attribution import attribution_drift
from adledger.analytics.anomalies.records import CLICK_ID_PLATFORM, evidence, finish, scope_of, severity

SESSION_DAILY_COLUMNS = ("day", "click_id_type", "channel", "utm_source", "utm_medium", "sessions")
DAY = pd.Timedelta(days=1)


def attribution_drift_anomalies(sessions: pd.DataFrame, platform_spend: pd.DataFrame | None = None,
                                conversion_drift: pd.DataFrame | None = None, window: int = 7,
                                psi_threshold: float = 0.25, min_sessions: int = 30, max_gap_days: int = 2
                                ) -> pd.DataFrame:
    """Drift anomalies from `sessions` (`SESSION_DAILY_COLUMNS`, sessions per UTC day and signature).

    `platform_spend`: `day`, `platform`, `spend` (USD) for money at stake; `conversion_drift`: rows of
    `analytics.attribution_drift` (`model`, `day`, `channel`, `share`, `baseline_share`) for the evidence.
    """
    clicks = sessions[sessions["click_id_type"].notna()]
    if clicks.empty:
        return finish([])
    signature = (clicks["channel"].fillna("(none)") + " | " + clicks["utm_source"].fillna("(none)") + " | "
                 + clicks["utm_medium"].fillna("(none)"))
    frame = pd.DataFrame({"day": pd.to_datetime(clicks["day"]), "click_id_type": clicks["click_id_type"],
                          "channel": signature, "conversions": clicks["sessions"].astype(float)})
    psi = attribution_drift(frame, window=window, group_by=("click_id_type",))
    psi["day"] = pd.to_datetime(psi["day"])
    totals = frame.groupby(["click_id_type", "day"])["conversions"].sum()
    rows = []
    for kind, part in psi.groupby("click_id_type"):
        daily = part.groupby("day")["psi"].first()
        volume = totals.loc[kind].reindex(daily.index).fillna(0)
        base_volume = volume.rolling(f"{window}D", closed="left").sum()
        hot = (daily >= psi_threshold) & (volume >= min_sessions) & (base_volume >= min_sessions * 3)
        for days in _groups(list(daily.index[hot.to_numpy()]), max_gap_days):
            rows.append(_row(kind, days, part, daily, platform_spend, conversion_drift))
    return finish(rows)


def _groups(days: list, max_gap: int) -> list[list]:
    groups: list[list] = []
    for day in days:
        if groups and (day - groups[-1][-1]).days <= max_gap:
            groups[-1].append(day)
        else:
            groups.append([day])
    return groups


def _row(kind: str, days: list, part: pd.DataFrame, daily_psi: pd.Series, platform_spend, conversion_drift) -> dict:
    first = part[part["day"] == days[0]]
    moved = first.assign(change=first["share"].fillna(0) - first["baseline_share"].fillna(0))
    moved = moved.reindex(moved["change"].abs().sort_values(ascending=False).index).head(4)
    base = first.assign(channel_of=first["channel"].str.split(" | ", regex=False).str[0])
    by_channel = base.groupby("channel_of")[["share", "baseline_share"]].sum()
    home = str(by_channel["baseline_share"].idxmax())
    left_share = float(max(0.0, by_channel.at[home, "baseline_share"] - by_channel.at[home, "share"]))
    platform = CLICK_ID_PLATFORM.get(kind)
    spend = 0.0
    if platform_spend is not None and not platform_spend.empty:
        ps = platform_spend.assign(day=pd.to_datetime(platform_spend["day"]))
        spend = float(ps[(ps["platform"] == platform) & ps["day"].between(days[0], days[-1])]["spend"].sum())
    money = spend * left_share
    peak = float(daily_psi.loc[days].max())
    facts = {"click_id_type": kind, "psi_by_day": {d.date().isoformat(): float(daily_psi.at[d]) for d in days},
             "moved": [{"signature": r.channel, "baseline_share": r.baseline_share, "share": r.share}
                       for r in moved.itertuples()],
             "baseline_channel": home, "share_leaving_channel": left_share}
    if conversion_drift is not None and not conversion_drift.empty:
        cd = conversion_drift.assign(day=pd.to_datetime(conversion_drift["day"]))
        cd = cd[(cd["channel"] == home) & cd["day"].between(days[0], days[-1] + 6 * DAY)]
        if not cd.empty:
            facts["attributed_share"] = {
                m: {"baseline": float(g["baseline_share"].mean()), "now": float(g["share"].mean())}
                for m, g in cd.groupby("model")}
    return {"anomaly_type": "attribution_drift", "scope": scope_of(platform, None, home), "platform": platform,
            "channel": home, "campaign": None, "start_at": days[0], "end_at": days[-1] + DAY,
            "severity": severity(peak, money, (1.0, 1000.0), (0.5, 100.0)), "score": peak,
            "evidence": evidence(**facts), "money_at_stake": money}
