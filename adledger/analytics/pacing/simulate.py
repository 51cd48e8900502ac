"""Run pacing agents through simulated days of the auction market and report what each day delivered."""

from __future__ import annotations

import numpy as np
import pandas as pd

from adledger.analytics.pacing.agents import Pacer
from adledger.analytics.pacing.auction import AuctionEnvironment


def run_pacing(env: AuctionEnvironment, agent: Pacer, days: int, daily_budget: float | None = None,
               monthly_budget: float | None = None, seed: int = 0) -> pd.DataFrame:
    """Simulate `days` days; give exactly one of `daily_budget` (USD/day) or `monthly_budget` (USD over `days`).

    With a monthly budget each day's budget is what is left divided by the days left, so an under-spent day
    rolls forward. The market's randomness depends only on `seed`, so agents run with the same seed face the
    same auctions, prices and conversions as long as their bids would win them.
    Returns one row per day: `day`, `budget`, `spend`, `wins`, `conversions`, `auctions`, `spend_ratio`
    (spend / budget) and `exhausted_slot` (first slot that hit the budget, -1 if none).
    """
    if (daily_budget is None) == (monthly_budget is None):
        raise ValueError("give exactly one of daily_budget and monthly_budget")
    rows = []
    left = monthly_budget
    for day in range(days):
        rng = np.random.default_rng([seed, day])
        budget = daily_budget if daily_budget is not None else left / (days - day)
        agent.start_day(budget)
        factor = env.day_factor(rng)
        spend = wins = conversions = auctions = 0
        exhausted = -1
        for slot in range(env.slots):
            bid, cap = agent.decide(slot)
            cap = min(cap, budget - spend)
            result = env.run_slot(slot, bid, cap, rng, factor)
            agent.observe(slot, result)
            spend += result.spend
            wins += result.wins
            conversions += result.conversions
            auctions += result.auctions
            if exhausted < 0 and result.capped and budget - spend < 0.01 * budget:
                exhausted = slot
        agent.end_day()
        if left is not None:
            left -= spend
        rows.append({"day": day, "budget": budget, "spend": spend, "wins": wins, "conversions": conversions,
                     "auctions": auctions, "spend_ratio": spend / budget, "exhausted_slot": exhausted})
    return pd.DataFrame(rows)
