"""Click fraud: per-click rules scored into incidents, with their evidence, affected spend and money at stake.

Rules (the mobile measurement partners' published fraud rules, transposed from app installs to web orders):
- datacenter IP ranges and robot user agents (AppsFlyer Protect360 "bots" and "data center" blacklists; Adjust
  Fraud Prevention Suite "anonymous IP filtering"; Kochava Fraud Console "IP/site blacklists"): flagged per click in
  dbt (`int_sessions_fraud_flagged`) from the seeds `datacenter_ip_prefixes` and `bot_user_agents`;
- bursts from one IP prefix or device (Kochava "click flooding / excessive clicks per device"; Singular "click
  spamming": many clicks from one source in a short window): at least `burst_clicks` clicks of one campaign from one
  /24 prefix or one device within `burst_window`;
- click injection (AppsFlyer "click injection": click-to-install time under 10 s; Adjust "click injection filter";
  Singular "click injection"): a click whose session converts within `click_injection_max_seconds`, flagged in dbt;
- abnormal CTR per placement (Singular/Kochava anomaly rules): a campaign-day whose click-through rate is far
  above its baseline (`abnormal_ctr_anomalies`).
- click flooding (`flooding.py`) and abnormal conversion rate (`conversion_rate.py`) judge a publisher (partner or
  campaign, `publisher_of`) rather than a click.
Flagged clicks of one campaign less than `gap` apart form one incident (a burst); injected clicks of one
partner less than `injection_gap` apart form one incident. Affected spend of a burst = its clicks x the CPC of that
campaign-day (spend / clicks, USD); money at stake of an injection = revenue of the orders whose last click was
injected (the credit, and the commission, a partner would be paid for orders it did not cause).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from adledger.analytics.anomalies.baseline import two_sided_deviation, without_partial_edges
from adledger.analytics.anomalies.records import evidence, finish, scope_of, severity

CLICK_COLUMNS = ("session_id", "started_at", "platform", "channel", "campaign_id", "campaign", "partner",
                 "ip_prefix", "device_id", "is_datacenter_ip", "is_bot_user_agent", "is_click_injection",
                 "seconds_to_conversion", "revenue")
DAY = pd.Timedelta(days=1)


def burst_flags(clicks: pd.DataFrame, burst_clicks: int = 4, burst_window: str = "60min") -> pd.DataFrame:
    """`clicks` with `is_ip_burst` / `is_device_burst`: the click belongs to a run of at least `burst_clicks`
    clicks of its campaign from its /24 prefix (device) within `burst_window`."""
    out = clicks.copy()
    window = pd.Timedelta(burst_window) / pd.Timedelta(milliseconds=1)
    k = burst_clicks
    for column, flag in (("ip_prefix", "is_ip_burst"), ("device_id", "is_device_burst")):
        flags = np.zeros(len(out), dtype=bool)
        keyed = out.reset_index(drop=True)
        keyed = keyed[keyed[column].notna()].sort_values(["campaign_id", column, "started_at"])
        n = len(keyed)
        if n >= k:
            group = keyed.groupby(["campaign_id", column], dropna=False, sort=False).ngroup().to_numpy()
            times = ((keyed["started_at"] - keyed["started_at"].min()) / pd.Timedelta(milliseconds=1)).to_numpy()
            end = np.arange(k - 1, n)
            fits = (group[end] == group[end - k + 1]) & (times[end] - times[end - k + 1] <= window)
            marks = np.zeros(n + 1, dtype=np.int64)  # +1 where a fitting run starts, -1 after it ends
            np.add.at(marks, end[fits] - k + 1, 1)
            np.add.at(marks, end[fits] + 1, -1)
            flags[keyed.index.to_numpy()[np.cumsum(marks)[:n] > 0]] = True
        out[flag] = flags
    return out


def click_fraud_incidents(clicks: pd.DataFrame, campaign_daily: pd.DataFrame, gap: str = "2h",
                          min_clicks: int = 3, burst_clicks: int = 4, burst_window: str = "60min") -> pd.DataFrame:
    """Bursts of suspicious clicks (datacenter, robot agent, IP-prefix or device burst) per campaign."""
    if clicks.empty:
        return finish([])
    flagged = burst_flags(clicks, burst_clicks, burst_window)
    rules = ["is_datacenter_ip", "is_bot_user_agent", "is_ip_burst", "is_device_burst"]
    suspicious = flagged[flagged[rules].any(axis=1) & ~flagged["is_click_injection"].astype(bool)]
    suspicious = suspicious.sort_values(["platform", "campaign_id", "started_at"])
    cpc = _cpc(campaign_daily)
    rows = []
    for (platform, campaign_id), part in suspicious.groupby(["platform", "campaign_id"], dropna=False):
        times = part["started_at"]
        incident = (times.diff() > pd.Timedelta(gap)).cumsum()
        for _, burst in part.groupby(incident.to_numpy()):
            if len(burst) < min_clicks:
                continue
            days = burst["started_at"].dt.tz_convert("UTC").dt.normalize().dt.tz_localize(None)
            prices = cpc.reindex(pd.MultiIndex.from_arrays([burst["platform"], burst["campaign_id"], days])).to_numpy()
            affected = float(np.nansum(prices))
            start, end = burst["started_at"].min(), burst["started_at"].max()
            hours = (end - start) / pd.Timedelta(hours=1)
            campaign = burst["campaign"].dropna().iloc[0] if burst["campaign"].notna().any() else campaign_id
            rows.append({
                "anomaly_type": "click_fraud_burst", "scope": scope_of(platform, campaign, burst["channel"].iloc[0]),
                "platform": platform, "channel": burst["channel"].iloc[0], "campaign": campaign,
                "start_at": start.floor("h"), "end_at": end.floor("h") + pd.Timedelta(hours=1),
                "severity": severity(len(burst), affected, (50, 500.0), (10, 50.0)), "score": float(len(burst)),
                "evidence": evidence(
                    campaign_id=campaign_id, clicks=len(burst), hours=hours,
                    devices=int(burst["device_id"].nunique()), ip_prefixes=int(burst["ip_prefix"].nunique()),
                    top_ip_prefixes={_short(p): n for p, n in burst["ip_prefix"].value_counts().head(5).items()},
                    rules={r.removeprefix("is_"): int(burst[r].sum()) for r in rules},
                    conversions=int(burst["seconds_to_conversion"].notna().sum()), affected_spend_usd=affected),
                "money_at_stake": affected,
            })
    return finish(rows)


def click_injection_incidents(clicks: pd.DataFrame, injection_gap: str = "7D", min_clicks: int = 3
                              ) -> pd.DataFrame:
    """Runs of injected clicks (`is_click_injection`) per channel and partner (affiliates) or campaign."""
    if clicks.empty:
        return finish([])
    clicks = clicks.assign(who=publisher_of(clicks))
    injected = clicks[clicks["is_click_injection"].astype(bool)]
    converting = clicks[clicks["seconds_to_conversion"].notna()]
    rows = []
    for (channel, who), part in injected.sort_values("started_at").groupby(["channel", "who"], dropna=False):
        runs = (part["started_at"].diff() > pd.Timedelta(injection_gap)).cumsum()
        for _, run in part.groupby(runs.to_numpy()):
            if len(run) < min_clicks:
                continue
            start, end = run["started_at"].min(), run["started_at"].max()
            theirs = converting[(converting["channel"] == channel) & (converting["who"] == who)
                                & converting["started_at"].between(start, end)]
            revenue = float(run["revenue"].fillna(0).sum())
            share = len(run) / len(theirs) if len(theirs) else 1.0
            platform = run["platform"].dropna().iloc[0] if run["platform"].notna().any() else None
            rows.append({
                "anomaly_type": "click_injection", "scope": scope_of(platform, who, channel), "platform": platform,
                "channel": channel, "campaign": who, "start_at": start.normalize(),
                "end_at": end.normalize() + DAY,
                "severity": severity(share, revenue, (0.25, 2000.0), (0.05, 200.0)), "score": share,
                "evidence": evidence(
                    injected_clicks=len(run), median_seconds_to_order=float(run["seconds_to_conversion"].median()),
                    max_seconds_to_order=float(run["seconds_to_conversion"].max()),
                    share_of_partner_converting_clicks=share, hijacked_revenue_usd=revenue,
                    devices=int(run["device_id"].nunique())),
                "money_at_stake": revenue,
            })
    return finish(rows)


def abnormal_ctr_anomalies(campaign_daily: pd.DataFrame, z_threshold: float = 5.0, min_ratio: float = 2.0,
                           min_impressions: float = 200.0, min_clicks: float = 20.0) -> pd.DataFrame:
    """Campaign-days whose CTR is at least `min_ratio` times its seasonal baseline (robust z of clicks minus
    robust z of impressions, both on the log scale), with at least `min_clicks` clicks that day."""
    if campaign_daily.empty:
        return finish([])
    frame = campaign_daily.assign(day=pd.to_datetime(campaign_daily["day"]))
    days = pd.date_range(frame["day"].min(), frame["day"].max(), freq="D")
    grouped = frame.groupby(["platform", "channel", "campaign_id", "day"], dropna=False)[
        ["clicks", "impressions", "spend"]].sum()
    wide = {m: without_partial_edges(grouped[m].unstack(["platform", "channel", "campaign_id"]).reindex(days))
            for m in ("clicks", "impressions", "spend")}
    clicks, imps = two_sided_deviation(wide["clicks"]), two_sided_deviation(wide["impressions"])
    log_ratio = clicks.log_ratio - imps.log_ratio
    z = clicks.z - imps.z
    hit = (z >= z_threshold) & (log_ratio >= np.log(min_ratio)) & (imps.baseline >= min_impressions) & \
        (wide["clicks"] >= min_clicks) & \
        ~clicks.one_sided  # the newest days are judged once the days after them are known
    names = frame.groupby(["platform", "campaign_id"], dropna=False)["campaign"].max()
    rows = []
    for series in hit.columns[hit.any(axis=0).to_numpy()]:
        platform, channel, campaign_id = series
        campaign = names.get((platform, campaign_id), campaign_id)
        for day in days[hit[series].to_numpy()]:
            spend = float(wide["spend"].at[day, series])
            excess = 1.0 - float(np.exp(-log_ratio.at[day, series]))
            rows.append({
                "anomaly_type": "abnormal_ctr", "scope": scope_of(platform, campaign, channel), "platform": platform,
                "channel": channel, "campaign": campaign, "start_at": day, "end_at": day + DAY,
                "severity": severity(float(z.at[day, series]), spend * excess, (10.0, 500.0), (7.0, 50.0)),
                "score": float(z.at[day, series]),
                "evidence": evidence(campaign_id=campaign_id, clicks=float(wide["clicks"].at[day, series]),
                                     impressions=float(wide["impressions"].at[day, series]),
                                     ctr_ratio_to_baseline=float(np.exp(log_ratio.at[day, series]))),
                "money_at_stake": spend * excess,
            })
    return finish(rows)


def publisher_of(clicks: pd.DataFrame) -> pd.Series:
    """The publisher of each click: its affiliate partner, else its campaign id (the unit the rate rules and the
    flooding rule judge; dbt macro `fraud_publisher` says the same)."""
    return clicks["partner"].where(clicks["partner"].notna(), clicks["campaign_id"])


def publisher_label(clicks: pd.DataFrame) -> str | None:
    """How an anomaly names the publisher of `clicks` (one publisher's): the partner id of an affiliate, else the
    campaign name (its id when unnamed)."""
    for column in ("partner", "campaign", "campaign_id"):
        named = clicks[column].dropna() if column in clicks else ()
        if len(named):
            return str(named.iloc[0])
    return None


def _short(prefix: str) -> str:
    """`34.102.7.0/24` as `34.102.7/24`: a network, never mistaken for (or scanned as) a person's address."""
    return prefix[:-len(".0/24")] + "/24" if prefix.endswith(".0/24") else prefix


def _cpc(campaign_daily: pd.DataFrame) -> pd.Series:
    """USD per click by (platform, campaign_id, day); NaN where a campaign-day had no clicks."""
    if campaign_daily.empty:
        return pd.Series(dtype=float)
    g = campaign_daily.assign(day=pd.to_datetime(campaign_daily["day"])).groupby(
        ["platform", "campaign_id", "day"], dropna=False)[["spend", "clicks"]].sum()
    return (g["spend"] / g["clicks"].where(g["clicks"] > 0)).astype(float)
