"""Worlds the optimization tests grade on: the simulated world's true curves and its causal engine's days."""

from __future__ import annotations

import pandas as pd

from adledger.analytics.optimization import ResponseCurve, ResponseWorld, TrueChannel
from adledger.simulator import spec
from adledger.simulator.plan import Calendar
from adledger.simulator.world import World


def true_world(scale: float) -> ResponseWorld:
    """The simulated world's channels with their true curves (`adledger.simulator.spec`) at `scale`."""
    return ResponseWorld([TrueChannel(c.key, ResponseCurve("hill", c.beta * scale, c.half_saturation * scale,
                                                           c.hill_n, c.adstock), c.budget * scale)
                          for c in spec.CHANNELS])


def world_daily(seed: int, days: int, scale: float) -> pd.DataFrame:
    """Daily spend (USD) and realized incremental orders per channel from the world's day-by-day simulation."""
    world = World(seed, Calendar(spec.DEFAULT_START, days), scale)
    keys = [c.key for c in spec.CHANNELS]
    frames = []
    for d in range(days):
        truth = world.step(d).channel_truth
        frames.append(pd.DataFrame({"day": pd.Timestamp(spec.DEFAULT_START) + pd.Timedelta(days=d), "channel": keys,
                                    "spend": truth["spend_usd"], "conversions": truth["realized_incremental"]}))
    return pd.concat(frames, ignore_index=True)
