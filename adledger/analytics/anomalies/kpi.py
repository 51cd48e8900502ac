"""Spend and KPI anomalies per campaign and channel per day (spend, clicks, CPA, ROAS).

Each daily series is compared with its robust seasonal baseline (`baseline.two_sided_deviation`: day-of-week
factor, median of the 7 days before and after, MAD noise scale). A day is anomalous when its robust z-score
passes `z_threshold`, the change is at least `min_ratio`-fold and the baseline is large enough to matter
(`min_spend` USD/day, `min_clicks`, `min_conversions`). Consecutive anomalous days of one series and direction
form one anomaly (platforms report account-local days, so a UTC-day event can touch two dates). Spend and clicks
are checked per campaign and per channel (a channel row is dropped when a campaign row of that channel explains
the same days); CPA and ROAS per channel, where attributed conversions are numerous enough to have a baseline.
Money at stake: spend above (or below) the baseline, in USD.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from adledger.analytics.anomalies.baseline import two_sided_deviation, without_partial_edges
from adledger.analytics.anomalies.records import evidence, finish, scope_of, severity

CAMPAIGN_DAILY_COLUMNS = ("day", "platform", "channel", "campaign_id", "campaign", "spend", "impressions", "clicks",
                          "conversions", "revenue")
DAY = pd.Timedelta(days=1)
#: a rise of at least LARGE_CHANGE_RATIO-fold on both sides needs only LARGE_CHANGE_Z times the threshold (noisy
#: small campaigns: a 2.5-fold day is rare whatever their noise; drops of small counts are not, so rises only)
LARGE_CHANGE_RATIO = 2.5
LARGE_CHANGE_Z = 0.75
#: on the newest days (no days after yet) the z-score must pass this multiple of the threshold ...
ONE_SIDED_Z = 1.5
#: ... and the change must be at least this many-fold
ONE_SIDED_RATIO = 3.0


def kpi_anomalies(daily: pd.DataFrame, z_threshold: float = 4.5, min_ratio: float = 1.8, min_spend: float = 20.0,
                  min_clicks: float = 20.0, min_conversions: float = 8.0,
                  excluded_days: set | None = None) -> pd.DataFrame:
    """Anomalies of `daily` (`CAMPAIGN_DAILY_COLUMNS`, one row per day x campaign; money in USD).

    `excluded_days`: UTC dates whose conversion metrics are explained elsewhere (a tracking outage), skipped for
    CPA and ROAS.
    """
    if daily.empty:
        return finish([])
    frame = daily.assign(day=pd.to_datetime(daily["day"]))
    days = pd.date_range(frame["day"].min(), frame["day"].max(), freq="D")
    rows: list[dict] = []
    campaigns = frame.groupby(["platform", "channel", "campaign_id", "day"], dropna=False)[["spend", "clicks"]].sum()
    names = frame.groupby(["platform", "campaign_id"], dropna=False)["campaign"].max()
    for metric, minimum in (("spend", min_spend), ("clicks", min_clicks)):
        wide = campaigns[metric].unstack(["platform", "channel", "campaign_id"]).reindex(days).fillna(0.0)
        for (platform, channel, campaign_id), spans in _spans(wide, z_threshold, min_ratio, minimum).items():
            for span in spans:
                rows.append(_row(metric, span, platform, channel, names.get((platform, campaign_id)), campaign_id,
                                 wide[(platform, channel, campaign_id)]))
    channels = frame.groupby(["channel", "day"])[["spend", "clicks", "conversions", "revenue"]].sum()
    explained = {(r["channel"], r["start_at"], r["anomaly_type"]) for r in rows}
    for metric, minimum in (("spend", min_spend), ("clicks", min_clicks)):
        wide = channels[metric].unstack("channel").reindex(days).fillna(0.0)
        for channel, spans in _spans(wide, z_threshold, min_ratio, minimum).items():
            for span in spans:
                row = _row(metric, span, None, channel, None, None, wide[channel])
                if not any(c == channel and s <= row["start_at"] < s + len(span) * DAY and t == row["anomaly_type"]
                           for c, s, t in explained):
                    rows.append(row)
    rows.extend(_efficiency(channels, days, z_threshold, min_ratio, min_conversions, excluded_days or set()))
    return finish(_fold_clicks(rows))


def _fold_clicks(rows: list[dict]) -> list[dict]:
    """Drop a clicks row when a spend row of the same scope, start and direction exists (one anomaly, not two)."""
    spend = {(r["scope"], r["start_at"], r["anomaly_type"].split("_")[1]) for r in rows
             if r["anomaly_type"].startswith("spend_")}
    return [r for r in rows if not (r["anomaly_type"].startswith("clicks_")
                                    and (r["scope"], r["start_at"], r["anomaly_type"].split("_")[1]) in spend)]


def _spans(wide: pd.DataFrame, z_threshold: float, min_ratio: float, minimum: float) -> dict:
    """{series: [[(day, z, actual, baseline), ...consecutive days of one direction], ...]} of anomalous days.

    Partial edge days are left out; on the newest days (only the days before known) a budget change and an
    anomaly look alike, so they need `ONE_SIDED_Z` times the threshold and a `ONE_SIDED_RATIO`-fold change
    (later runs judge them again with both sides).
    """
    wide = without_partial_edges(wide)
    dev = two_sided_deviation(wide)
    z_needed = np.where(dev.one_sided, ONE_SIDED_Z * z_threshold, z_threshold)
    ratio_needed = np.where(dev.one_sided, np.log(max(min_ratio, ONE_SIDED_RATIO)), np.log(min_ratio))
    z, ratio = np.abs(dev.z), np.abs(dev.log_ratio)
    strong = (z >= z_needed) & (ratio >= ratio_needed)
    large = ~dev.one_sided & (dev.z >= LARGE_CHANGE_Z * z_threshold) & (dev.log_ratio >= np.log(LARGE_CHANGE_RATIO))
    big = (strong | large) & (np.maximum(dev.baseline, wide.fillna(0)) >= minimum)
    out: dict = {}
    for series in wide.columns[big.any(axis=0).to_numpy()]:
        spans: list[list] = []
        for day in wide.index[big[series].to_numpy()]:
            z = float(dev.z.at[day, series])
            point = (day, z, float(wide.at[day, series]), float(dev.baseline.at[day, series]))
            if spans and day - spans[-1][-1][0] == DAY and np.sign(spans[-1][-1][1]) == np.sign(z):
                spans[-1].append(point)
            else:
                spans.append([point])
        out[series] = spans
    return out


def _row(metric: str, span: list, platform, channel, campaign, campaign_id, series: pd.Series) -> dict:
    up = span[0][1] > 0
    actual = sum(p[2] for p in span)
    expected = sum(p[3] for p in span)
    z = max(abs(p[1]) for p in span)
    money = abs(actual - expected) if metric == "spend" else 0.0
    return {
        "anomaly_type": f"{metric}_{'spike' if up else 'drop'}",
        "scope": scope_of(platform, campaign or campaign_id, channel),
        "platform": platform, "channel": channel, "campaign": campaign or campaign_id,
        "start_at": span[0][0], "end_at": span[-1][0] + DAY,
        "severity": severity(z, money, (8.0, 1000.0), (5.0, 200.0)), "score": z,
        "evidence": evidence(metric=metric, campaign_id=campaign_id, days=[p[0].date().isoformat() for p in span],
                             actual=actual, expected=expected, ratio=actual / expected if expected else None,
                             robust_z=[p[1] for p in span]),
        "money_at_stake": money,
    }


def _efficiency(channels: pd.DataFrame, days: pd.DatetimeIndex, z_threshold: float, min_ratio: float,
                min_conversions: float, excluded: set) -> list[dict]:
    """CPA spikes and ROAS drops per channel (days whose baseline has at least `min_conversions`)."""
    rows = []
    wide = {m: channels[m].unstack("channel").reindex(days).fillna(0.0) for m in ("spend", "conversions", "revenue")}
    wide = {m: frame.iloc[1:-1].reindex(days) for m, frame in wide.items()}  # edge days are partial
    conv_dev = two_sided_deviation(wide["conversions"])
    spend_dev = two_sided_deviation(wide["spend"])
    rev_dev = two_sided_deviation(wide["revenue"])
    for metric, num, den, bad_sign in (("cpa", spend_dev, conv_dev, 1), ("roas", rev_dev, spend_dev, -1)):
        log_ratio = num.log_ratio - den.log_ratio
        z = log_ratio / np.sqrt(_sigma(num) ** 2 + _sigma(den) ** 2)
        ok = (conv_dev.baseline >= min_conversions) & (wide["spend"] > 0)
        hit = ok & (bad_sign * z >= z_threshold) & (bad_sign * log_ratio >= np.log(min_ratio)) & ~num.one_sided
        for channel in hit.columns[hit.any(axis=0).to_numpy()]:
            for day in days[hit[channel].to_numpy()]:
                if day.date() in excluded:
                    continue
                score = float(abs(z.at[day, channel]))
                spend = float(wide["spend"].at[day, channel])
                rows.append({
                    "anomaly_type": "cpa_spike" if metric == "cpa" else "roas_drop", "scope": channel,
                    "platform": None, "channel": channel, "campaign": None, "start_at": day, "end_at": day + DAY,
                    "severity": severity(score, spend, (8.0, 5000.0), (5.0, 1000.0)), "score": score,
                    "evidence": evidence(metric=metric, day=day.date().isoformat(), spend=spend,
                                         conversions=float(wide["conversions"].at[day, channel]),
                                         revenue=float(wide["revenue"].at[day, channel]),
                                         ratio_to_baseline=float(np.exp(log_ratio.at[day, channel])), robust_z=score),
                    "money_at_stake": spend,
                })
    return rows


def _sigma(dev) -> pd.Series:
    """Noise scale (log units) per series implied by a deviation: |log ratio| / |z| where z is non-zero."""
    ratio = (dev.log_ratio.abs() / dev.z.abs()).replace([np.inf, -np.inf], np.nan)
    return ratio.median().fillna(0.1)
