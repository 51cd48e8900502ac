"""Grade the recommended allocation on the simulated world against the optimum of its true response curves.

The fast test runs the world's causal engine for several seeds (`simulated_channel_days`: the day-by-day simulation
behind `simulate`, without writing files) and fits the curves to each channel's daily spend and realized incremental orders —
the columns of `truth/channel_daily.parquet`. The last test reads those files and `truth/manifest.json` from the
shared test world directory built by `simulate`.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from adledger.analytics.optimization import ResponseWorld, allocate_budget, fit_curves, simulated_channel_days
from adledger.simulator import spec


def grade(daily: pd.DataFrame, truth: ResponseWorld, max_change: float = 0.3) -> tuple[float, float]:
    """(recommended / true optimum, current / true optimum) in true incremental orders for the same budget."""
    fits = fit_curves(daily, intercept=False, replicates=40)
    current = {k: f.current_spend for k, f in fits.items()}
    budget = sum(current.values())
    plan = allocate_budget(fits, budget, max_change=max_change).table.set_index("channel")
    optimum = allocate_budget(truth.true_fits(current), budget, max_change=max_change).table.set_index("channel")
    best = truth.steady(optimum["recommended_spend"].to_dict())
    assert plan["recommended_spend"].sum() == pytest.approx(budget, rel=1e-9)
    return truth.steady(plan["recommended_spend"].to_dict()) / best, truth.steady(plan["reference_spend"].to_dict()) / best


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_plan_reaches_95_percent_of_the_true_optimum_and_beats_the_current_allocation(seed):
    recommended, current = grade(simulated_channel_days(seed, 120, 0.5), ResponseWorld.from_simulator(0.5))
    assert recommended >= 0.95
    assert recommended > current


def test_the_truth_files_of_a_world_directory_describe_the_same_curves(emulator_world):
    """`ResponseWorld.from_manifest` reads `truth/manifest.json`; `channel_daily.parquet` follows its curves."""
    truth = emulator_world / "truth"
    manifest = json.loads((truth / "manifest.json").read_text())
    world = ResponseWorld.from_manifest(manifest)
    scale = manifest["scale"]
    assert world.names == tuple(sorted(c.key for c in spec.CHANNELS))
    curves = {ch.name: ch.curve for ch in world.channels}
    for c in spec.CHANNELS:
        got = curves[c.key]
        assert (got.beta, got.half_saturation, got.shape, got.decay) == pytest.approx(
            (c.beta * scale, c.half_saturation * scale, c.hill_n, c.adstock), rel=1e-12)
    days = pd.read_parquet(truth / "channel_daily.parquet")
    for key, rows in days.groupby("channel"):
        assert curves[key].response(rows["adstock_usd"].to_numpy()) == pytest.approx(
            rows["expected_incremental_orders"].to_numpy(), rel=1e-9)
    daily = days.drop(columns=["day"]).rename(columns={"date": "day", "spend_usd_driver": "spend",
                                                       "realized_incremental_orders": "conversions"})
    fits = fit_curves(daily, intercept=False, replicates=5, min_days=len(daily["day"].unique()))
    assert sorted(fits) == sorted(world.names)
    assert np.isfinite([f.current_spend for f in fits.values()]).all()
