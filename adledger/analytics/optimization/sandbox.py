"""A world of known response curves, for grading the optimizer and the decision loop against the truth.

Each channel has a true curve (`ResponseCurve`: adstock decay, Hill or log response, a `base` of conversions it
gets without spending) and a planned daily budget. Conversions per day are Poisson around
`base + curve(adstock(spend))` — the causal model of the simulated world (`adledger.simulator`, `docs/world.md`),
so a world's `truth/manifest.json` turns into a `ResponseWorld` with `ResponseWorld.from_manifest`.
Spend histories follow the simulated world's budget plan: two-week blocks at 0.6x-1.5x of each channel's budget
with a little daily noise, so the curves are identifiable from the data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from adledger.analytics.optimization.fit import CurveFit, ResponseCurve
from adledger.analytics.optimization.response import adstock

BUDGET_LEVELS = (0.6, 0.8, 1.0, 1.25, 1.5)


@dataclass(frozen=True)
class TrueChannel:
    """One channel of a `ResponseWorld`: its true curve, planned budget (USD/day) and revenue per conversion."""

    name: str
    curve: ResponseCurve
    budget: float
    value_per_conversion: float = 1.0


class ResponseWorld:
    """Channels with true response curves; simulates daily conversions for any daily spend matrix."""

    def __init__(self, channels: Sequence[TrueChannel]):
        if not channels:
            raise ValueError("a response world needs at least one channel")
        self.channels = tuple(sorted(channels, key=lambda c: c.name))
        self.names = tuple(c.name for c in self.channels)
        self.budgets = np.array([c.budget for c in self.channels])

    @classmethod
    def from_manifest(cls, manifest: Mapping) -> ResponseWorld:
        """Build from a simulated world's parsed `truth/manifest.json` (curves already at the world's scale).

        Reads `channels[*]`: `key`, `base_budget_usd_per_day`, `hill_beta_orders_per_day`,
        `hill_half_saturation_usd`, `hill_shape`, `adstock_decay` (docs/world.md, "Causal model").
        """
        channels = []
        for e in manifest["channels"]:
            curve = ResponseCurve("hill", float(e["hill_beta_orders_per_day"]), float(e["hill_half_saturation_usd"]),
                                  float(e["hill_shape"]), float(e["adstock_decay"]))
            channels.append(TrueChannel(str(e["key"]), curve, float(e["base_budget_usd_per_day"])))
        return cls(channels)

    @classmethod
    def from_simulator(cls, scale: float = 1.0) -> ResponseWorld:
        """The simulated world's channels (`adledger.simulator.spec`) with their true curves at `scale`."""
        from adledger.simulator import spec

        return cls([TrueChannel(c.key, ResponseCurve("hill", c.beta * scale, c.half_saturation * scale, c.hill_n,
                                                     c.adstock), c.budget * scale) for c in spec.CHANNELS])

    def budget_history(self, days: int, seed: int, block: int = 14, noise: float = 0.06) -> np.ndarray:
        """(days, channels) daily spend: blocks of `block` days at a random level in 0.6x-1.5x of each budget."""
        rng = np.random.default_rng(seed)
        blocks = -(-days // block)
        level = np.asarray(BUDGET_LEVELS)[rng.integers(0, len(BUDGET_LEVELS), size=(blocks, len(self.names)))]
        level[0] = 1.0
        daily = np.repeat(level, block, axis=0)[:days]
        return self.budgets[None, :] * daily * rng.lognormal(0.0, noise, size=(days, len(self.names)))

    def expected(self, spend: np.ndarray, initial: np.ndarray | None = None) -> np.ndarray:
        """(days, channels) expected conversions/day, `base` included; `initial` is each channel's adstock before."""
        spend = np.atleast_2d(np.asarray(spend, float))
        out = np.empty_like(spend)
        for c, ch in enumerate(self.channels):
            start = None if initial is None else float(initial[c])
            out[:, c] = ch.curve.base + ch.curve.response(adstock(spend[:, c], ch.curve.decay, start))
        return out

    def final_adstock(self, spend: np.ndarray, initial: np.ndarray | None = None) -> np.ndarray:
        """Each channel's adstock after the last day of `spend` (to continue a simulation from there)."""
        spend = np.atleast_2d(np.asarray(spend, float))
        return np.array([adstock(spend[:, c], ch.curve.decay, None if initial is None else float(initial[c]))[-1]
                         for c, ch in enumerate(self.channels)])

    def draw(self, spend: np.ndarray, rng: np.random.Generator, initial: np.ndarray | None = None) -> np.ndarray:
        """(days, channels) Poisson conversions for the daily spend matrix."""
        return rng.poisson(self.expected(spend, initial)).astype(float)

    def frame(self, spend: np.ndarray, conversions: np.ndarray, start: date = date(2026, 1, 1)) -> pd.DataFrame:
        """Long daily frame (`day`, `channel`, `spend`, `conversions`, `revenue`) as the optimizer reads it."""
        days, n = spend.shape
        values = np.array([c.value_per_conversion for c in self.channels])
        return pd.DataFrame({
            "day": np.repeat(pd.date_range(start, periods=days, freq="D"), n),
            "channel": np.tile(self.names, days),
            "spend": spend.ravel(),
            "conversions": conversions.ravel(),
            "revenue": (conversions * values[None, :]).ravel(),
        })

    def steady(self, allocation: Mapping[str, float] | np.ndarray) -> float:
        """True steady-state conversions/day caused by spending `allocation` (USD/day per channel), base excluded."""
        spend = self._vector(allocation)
        return float(sum(ch.curve.response(s) for ch, s in zip(self.channels, spend)))

    def change(self, channels: Sequence[str], old: Sequence[float], new: Sequence[float]) -> float:
        """True change of steady-state conversions/day when `channels` go from `old` to `new` daily spend."""
        curves = {ch.name: ch.curve for ch in self.channels}
        return float(sum(curves[c].response(n) - curves[c].response(o) for c, o, n in zip(channels, old, new)))

    def true_fits(self, current: Mapping[str, float] | np.ndarray | None = None) -> dict[str, CurveFit]:
        """The true curves in the optimizer's `CurveFit` form (no uncertainty), e.g. to compute the true optimum."""
        cur = self.budgets if current is None else self._vector(current)
        return {ch.name: CurveFit(entity=ch.name, curve=ch.curve,
                                  samples=np.array([[ch.curve.beta, ch.curve.half_saturation, ch.curve.shape,
                                                     ch.curve.decay, ch.curve.base]]),
                                  days=0, current_spend=float(s), spend_low=0.0, spend_high=np.inf, r2=1.0,
                                  value_per_conversion=ch.value_per_conversion)
                for ch, s in zip(self.channels, cur)}

    def _vector(self, allocation: Mapping[str, float] | np.ndarray) -> np.ndarray:
        if isinstance(allocation, Mapping):
            return np.array([float(allocation[n]) for n in self.names])
        return np.asarray(allocation, float)


def simulated_channel_days(seed: int, days: int, scale: float) -> pd.DataFrame:
    """Daily spend (USD) and realized incremental orders per channel of a simulated world, without writing it.

    Runs the world's day-by-day causal engine (`adledger.simulator.world.World`, what `simulate` writes to
    `truth/channel_daily.parquet` as `spend_usd_driver` and `realized_incremental_orders`). Columns: `day`,
    `channel`, `spend`, `conversions`.
    """
    from adledger.simulator import spec
    from adledger.simulator.plan import Calendar
    from adledger.simulator.world import World

    world = World(seed, Calendar(spec.DEFAULT_START, days), scale)
    keys = [c.key for c in spec.CHANNELS]
    spend, orders = np.empty((days, len(keys))), np.empty((days, len(keys)))
    for d in range(days):
        truth = world.step(d).channel_truth
        spend[d], orders[d] = truth["spend_usd"], truth["realized_incremental"]
    return pd.DataFrame({"day": np.repeat(pd.date_range(spec.DEFAULT_START, periods=days, freq="D"), len(keys)),
                         "channel": np.tile(keys, days), "spend": spend.ravel(), "conversions": orders.ravel()})
