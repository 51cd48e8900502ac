"""Budget pacing: spread a daily (or monthly) budget over the hours of the day without running out early.

Public API:

* `AuctionEnvironment` — a second-price auction market shaped like the simulated world's hourly traffic
* agents: `EvenPacing` (the baseline), `PIDPacer`, `ThompsonPacer`; each slot they return (bid, spend cap)
* `run_pacing(env, agent, days, daily_budget=... | monthly_budget=..., seed=0)` -> one row per day

`docs/optimization.md` describes the market, the controllers and how they compare.
"""

from adledger.analytics.pacing.agents import EvenPacing, Pacer, PIDPacer, ThompsonPacer
from adledger.analytics.pacing.auction import AuctionEnvironment, SlotResult, world_traffic_shape
from adledger.analytics.pacing.simulate import run_pacing

__all__ = [
    "AuctionEnvironment",
    "EvenPacing",
    "PIDPacer",
    "Pacer",
    "SlotResult",
    "ThompsonPacer",
    "run_pacing",
    "world_traffic_shape",
]
