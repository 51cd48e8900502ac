"""Tracking outages: hours in which the tracker received almost no events while the ad spend went on.

Expected events of an hour = median of the same hour of day over the `window` days before and after it (robust to
a single bad day, and to the weekly cycle within a few percent). An hour is dark when it received less than
`max_share` of its expectation and the expectation is at least `min_expected` events (a Poisson count of that
mean falls below `max_share` of it with negligible probability). Consecutive dark hours form one outage; events come
in visits, so counts are burstier than Poisson and a single dark hour needs `min_expected_single` expected events;
an outage counts only when the day's ad spend was at least `min_spend_share` of its median day (spend continued:
the site ran, the measurement did not). Money at stake: the day's spend times the share of the day's expected events that
fell in the outage, i.e. spend whose results went unmeasured (USD).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from adledger.analytics.anomalies.records import evidence, finish, severity

HOURLY_COLUMNS = ("hour", "events", "conversions")
HOUR = pd.Timedelta(hours=1)


def tracking_outages(hourly: pd.DataFrame, daily_spend: pd.Series, window: int = 7, max_share: float = 0.2,
                     min_expected: float = 10.0, min_spend_share: float = 0.5, min_expected_single: float = 200.0
                     ) -> pd.DataFrame:
    """Outages in `hourly` (`HOURLY_COLUMNS`: UTC hour, events received, conversions received in it).

    `daily_spend`: USD per UTC date (index: dates), all channels.
    """
    if hourly.empty:
        return finish([])
    hours = pd.to_datetime(hourly["hour"], utc=True).dt.floor("h")
    counts = hourly.assign(hour=hours).groupby("hour")[["events", "conversions"]].sum()
    full = pd.date_range(counts.index.min().floor("D"), counts.index.max().floor("D") + pd.Timedelta(hours=23),
                         freq="h", tz="UTC")
    counts = counts.reindex(full).fillna(0.0)
    grid = counts["events"].to_numpy().reshape(-1, 24)  # days x hour of day
    expected = _expected(grid, window)
    observed = grid.ravel()
    dark = (expected.ravel() >= min_expected) & (observed < max_share * expected.ravel())
    spend = pd.Series(daily_spend, dtype=float)
    spend.index = pd.to_datetime(spend.index).date
    typical = float(spend[spend > 0].median()) if (spend > 0).any() else 0.0
    rows = []
    for start, stop in _runs(dark):
        if stop - start == 1 and expected.ravel()[start] < min_expected_single:
            continue
        first = full[start]
        day = first.date()
        day_spend = float(spend.get(day, 0.0))
        if typical and day_spend < min_spend_share * typical:
            continue
        exp_events = float(expected.ravel()[start:stop].sum())
        day_expected = float(expected.ravel()[start - start % 24: start - start % 24 + 24].sum())
        money = day_spend * exp_events / day_expected if day_expected else 0.0
        conv = counts["conversions"].to_numpy()
        conv_expected = _expected(conv.reshape(-1, 24), window).ravel()[start:stop].sum()
        rows.append({
            "anomaly_type": "tracking_outage", "scope": "tracker", "platform": None, "channel": None,
            "campaign": None, "start_at": first, "end_at": full[stop - 1] + HOUR,
            "severity": severity(stop - start, money, (4, 1000.0), (2, 100.0)), "score": float(stop - start),
            "evidence": evidence(hours=stop - start, events=float(observed[start:stop].sum()),
                                 expected_events=exp_events, conversions=float(conv[start:stop].sum()),
                                 expected_conversions=float(conv_expected), day_spend_usd=day_spend,
                                 median_day_spend_usd=typical),
            "money_at_stake": money,
        })
    return finish(rows)


def _expected(grid: np.ndarray, window: int) -> np.ndarray:
    """Median of each (day, hour) cell's same hour over the `window` days before and after (the day excluded)."""
    n = grid.shape[0]
    out = np.zeros_like(grid, dtype=float)
    for d in range(n):
        others = np.r_[max(0, d - window):d, d + 1:min(n, d + window + 1)]
        if len(others):
            out[d] = np.median(grid[others], axis=0)
    return out


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of each run of True in `mask`."""
    padded = np.r_[False, mask, False].astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2], edges[1::2]))
