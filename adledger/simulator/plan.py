"""The calendar of the world: dates, FX rates, daily budgets per channel and the injected trouble.

Budgets move in two-week blocks between 0.6x and 1.5x of each channel's base budget (so response curves are
identifiable from the data), times a weekday factor and a little daily noise. The trouble schedule places each
incident at a fixed fraction of the world's length so short test worlds contain them too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from adledger.simulator import spec
from adledger.simulator.rng import stream

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
#: local dates reported by the platforms run from `start - PAD` to `start + days + PAD`
PAD = 3
BUDGET_LEVELS = np.array([0.6, 0.8, 1.0, 1.25, 1.5])


@dataclass(frozen=True)
class Calendar:
    start: date
    days: int

    @property
    def start_ms(self) -> int:
        return int(datetime(self.start.year, self.start.month, self.start.day, tzinfo=timezone.utc).timestamp() * 1000)

    @property
    def end_ms(self) -> int:
        return self.start_ms + self.days * DAY_MS

    def day_of(self, i: int) -> date:
        return self.start + timedelta(days=i)

    def local_dates(self) -> list[date]:
        """Every date a platform may report: index `k` is `start - PAD + k`."""
        return [self.start + timedelta(days=k - PAD) for k in range(self.days + 2 * PAD)]

    def local_index(self, tz: str, day: int) -> np.ndarray:
        """For the 24 UTC hours of world day `day`: the index (into `local_dates`) of each hour's date in `tz`."""
        return _local_index(tz, self.start, day)


@lru_cache(maxsize=4096)
def _local_index(tz: str, start: date, day: int) -> np.ndarray:
    zone = ZoneInfo(tz)
    base = datetime(start.year, start.month, start.day, tzinfo=timezone.utc) + timedelta(days=day)
    return np.array([((base + timedelta(hours=h)).astimezone(zone).date() - start).days + PAD for h in range(24)])


def fx_series(seed: int, cal: Calendar) -> dict[str, np.ndarray]:
    """USD per unit of each currency for every date of `cal.local_dates()`, rounded to 6 decimals."""
    rng = stream(seed, "fx")
    n = cal.days + 2 * PAD
    out = {}
    for cur, base in spec.FX_BASE.items():
        if cur == "USD":
            out[cur] = np.ones(n)
            continue
        walk = np.cumsum(rng.normal(0.0, 0.0035, n))
        out[cur] = np.round(base * np.exp(walk - walk[PAD]), 6)
    return out


def budget_plan(seed: int, cal: Calendar, scale: float) -> np.ndarray:
    """Planned USD spend per (day, channel), before per-unit noise and incidents."""
    rng = stream(seed, "budget")
    n_ch = len(spec.CHANNELS)
    blocks = (cal.days + 13) // 14
    level = BUDGET_LEVELS[rng.integers(0, len(BUDGET_LEVELS), size=(blocks, n_ch))]
    level[0] = 1.0
    daily = np.repeat(level, 14, axis=0)[: cal.days]
    weekday = np.array([spec.BASELINE.weekday[cal.day_of(i).weekday()] for i in range(cal.days)])
    noise = rng.lognormal(0.0, 0.06, size=(cal.days, n_ch))
    base = np.array([c.budget for c in spec.CHANNELS]) * scale
    return base[None, :] * daily * weekday[:, None] * noise


@dataclass
class Trouble:
    """Where and when each injected incident happens (all labelled in the truth)."""

    fraud_bursts: list[dict] = field(default_factory=list)
    spend_spikes: list[dict] = field(default_factory=list)
    outage: dict = field(default_factory=dict)
    drift: dict = field(default_factory=dict)
    click_injection: dict = field(default_factory=dict)
    click_flooding: dict = field(default_factory=dict)
    late_session_share: float = 0.01
    duplicate_share: float = 0.004
    malformed_per_file: float = 0.35
    restatement_days: int = 3
    platform_overcount: dict = field(default_factory=dict)


def trouble_plan(cal: Calendar, scale: float) -> Trouble:
    """The incident schedule of a world of `cal.days` days."""
    d = cal.days

    def at(frac: float) -> int:
        return min(d - 1, max(0, int(frac * d)))

    return Trouble(
        fraud_bursts=[
            dict(id="fraud_google_generic", channel="paid_search_google", campaign="Generic - Footwear", day=at(0.3),
                 hours=(2, 5), clicks=max(15, int(60 * scale)), devices=6),
            dict(id="fraud_microsoft_generic", channel="paid_search_microsoft", campaign="Generic - Apparel",
                 day=at(0.7), hours=(13, 15), clicks=max(10, int(40 * scale)), devices=4),
        ],
        spend_spikes=[
            dict(id="spike_google_footwear", channel="paid_search_google", campaign="Generic - Footwear", day=at(0.45),
                 spend_mult=4.0, click_mult=1.6),
            dict(id="spike_meta_prospecting", channel="paid_social_meta", campaign="Prospecting - Broad", day=at(0.8),
                 spend_mult=3.0, click_mult=3.0),
        ],
        outage=dict(id="tracker_outage", day=at(0.55), hours=(14, 20)),
        drift=dict(id="meta_utm_drift", channel="paid_social_meta", day=at(0.6), utm_source="fb",
                   utm_medium="paid-social", untagged_share=0.3),
        click_injection=dict(id="affiliate_click_injection", partner_id="1000103", day=at(0.5), share=0.04,
                             max_seconds=5),
        click_flooding=dict(id="affiliate_click_flooding", partner_id="1000107", day=at(0.1), clicks_per_day=150.0,
                            share=0.15, lead_hours=(1, 20)),
        platform_overcount={"google_ads": 1.1, "microsoft_ads": 1.15, "meta_ads": 1.45, "tiktok_ads": 1.6},
    )
