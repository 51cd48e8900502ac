"""Budget pacing in the simulated auction market: on budget every day, and more conversions than even pacing."""

from __future__ import annotations

import numpy as np
import pytest

from adledger.analytics.pacing import (AuctionEnvironment, EvenPacing, PIDPacer, ThompsonPacer, run_pacing,
                                       world_traffic_shape)
from adledger.simulator import spec

BUDGET = 10_000.0
BID = 1.5


def test_the_market_follows_the_world_traffic_shape_and_its_expected_day():
    env = AuctionEnvironment(daily_noise=0.0)
    assert world_traffic_shape() == pytest.approx(np.array(spec.DIURNAL) / sum(spec.DIURNAL))
    rng = np.random.default_rng(1)
    days = [[env.run_slot(s, 0.8, np.inf, rng) for s in range(env.slots)] for _ in range(5)]
    spend = np.mean([sum(r.spend for r in d) for d in days])
    conversions = np.mean([sum(r.conversions for r in d) for d in days])
    exp_spend, exp_conv = env.expected_day(0.8)
    assert spend == pytest.approx(exp_spend, rel=0.02)
    assert conversions == pytest.approx(exp_conv, rel=0.05)
    night, peak = (sum(r.auctions for d in days for r in d[h * 4:(h + 1) * 4]) for h in (6, 16))
    assert peak / night == pytest.approx(spec.DIURNAL[16] / spec.DIURNAL[6], rel=0.05)


def test_a_slot_never_spends_beyond_its_cap():
    env = AuctionEnvironment()
    rng = np.random.default_rng(2)
    result = env.run_slot(60, 5.0, 25.0, rng)
    assert result.spend <= 25.0 and result.capped
    assert env.run_slot(60, 5.0, 0.0, rng).spend == 0.0


@pytest.mark.parametrize("market", ["flat", "evening_converts_better"])
def test_agents_spend_within_2_percent_every_day_and_beat_even_pacing(market):
    hours = np.arange(24)
    env = AuctionEnvironment() if market == "flat" else AuctionEnvironment(
        cvr_by_hour=1 + 0.5 * np.cos(2 * np.pi * (hours - 20) / 24),
        price_by_hour=1 + 0.2 * np.cos(2 * np.pi * (hours - 15) / 24))
    even = run_pacing(env, EvenPacing(env.slots, BID), 14, daily_budget=BUDGET, seed=5)
    for agent in (PIDPacer(env.slots, BID), ThompsonPacer(env.slots, BID, seed=5)):
        days = run_pacing(env, agent, 14, daily_budget=BUDGET, seed=5)
        assert (days["spend"] <= BUDGET + 1e-6).all()
        assert (days["spend_ratio"] >= 0.98).all(), (agent.name, days["spend_ratio"].min())
        assert days["conversions"].sum() > 1.1 * even["conversions"].sum(), agent.name
    assert (even["spend_ratio"] >= 0.98).all()


def test_a_monthly_budget_rolls_what_a_day_leaves_to_the_next():
    env = AuctionEnvironment()
    days = run_pacing(env, PIDPacer(env.slots, BID), 10, monthly_budget=10 * BUDGET, seed=6)
    assert days["spend"].sum() == pytest.approx(10 * BUDGET, rel=0.005)
    assert days["budget"].iloc[0] == pytest.approx(BUDGET)
    left = 10 * BUDGET - days["spend"].cumsum().shift(fill_value=0.0)
    assert days["budget"].to_numpy() == pytest.approx((left / (10 - days["day"])).to_numpy(), rel=1e-12)
    with pytest.raises(ValueError, match="exactly one"):
        run_pacing(env, PIDPacer(env.slots, BID), 1, daily_budget=1.0, monthly_budget=1.0)
