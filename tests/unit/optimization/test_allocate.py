"""Budget allocation: closed-form answers for log curves, bounds and KKT, targets, brute force for Hill curves."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

from adledger.analytics.optimization import (PlanError, ResponseCurve, ResponseWorld, TrueChannel, allocate_budget,
                                             marginal_returns)

A, C = (10.0, 20.0, 30.0), (100.0, 200.0, 300.0)


def log_world(values=(1.0, 1.0, 1.0)) -> ResponseWorld:
    return ResponseWorld([TrueChannel(name, ResponseCurve("log", a, c), 400.0, v)
                          for name, a, c, v in zip("abc", A, C, values)])


def fits(world: ResponseWorld, current=(400.0, 400.0, 400.0)):
    return world.true_fits(dict(zip("abc", current)))


def spend(plan) -> list[float]:
    return list(plan.table.set_index("channel").loc[list("abc"), "recommended_spend"])


def test_log_curves_get_the_closed_form_equal_marginal_split():
    # a_i / (c_i + s_i) = lambda for all i and sum s_i = 1200  =>  lambda = 60 / 1800, s = a_i / lambda - c_i
    plan = allocate_budget(fits(log_world()), 1200.0, max_change=0.6)
    assert spend(plan) == pytest.approx([200.0, 400.0, 600.0], abs=1e-3)
    table = plan.table.set_index("channel")
    assert table["marginal_cpa_recommended"].to_numpy() == pytest.approx([30.0, 30.0, 30.0], rel=1e-5)
    assert table.loc["a", "change"] == pytest.approx(-200.0, abs=1e-3)
    expected = sum(a * np.log1p(s / c) for a, c, s in zip(A, C, (200, 400, 600)))
    assert plan.summary["expected_conversions"] == pytest.approx(expected, rel=1e-8)
    assert plan.summary["expected_change"] == pytest.approx(
        expected - sum(a * np.log1p(400 / c) for a, c in zip(A, C)), rel=1e-6)
    assert table.loc["a", "reason"] == "cut: marginal CPA 50.00 now vs CPA 30.00 for the plan"
    assert table.loc["c", "reason"] == "raise: marginal CPA 23.33 now vs CPA 30.00 for the plan"


def test_revenue_objective_weighs_each_channel_by_its_revenue_per_conversion():
    # v_i a_i / (c_i + s_i) = lambda: lambda = 80 / 1800
    plan = allocate_budget(fits(log_world(values=(3.0, 1.0, 1.0))), 1200.0, objective="revenue", max_change=0.6)
    assert spend(plan) == pytest.approx([575.0, 250.0, 375.0], abs=1e-3)
    assert plan.table["marginal_roas_recommended"].to_numpy() == pytest.approx([80 / 1800] * 3, rel=1e-5)
    assert plan.summary["expected_revenue"] > plan.summary["reference_revenue"]


def test_bounds_bind_and_the_free_channel_takes_the_rest():
    plan = allocate_budget(fits(log_world()), 1200.0, max_change=0.1)
    assert spend(plan) == pytest.approx([360.0, 400.0, 440.0], abs=1e-3)
    table = plan.table.set_index("channel")
    assert table.loc["a", "reason"].startswith("cut to its lower bound: marginal CPA 50.00 now")
    assert table.loc["c", "reason"].startswith("raise to its upper bound: marginal CPA 23.33 now")
    # KKT: the channel held at its lower bound has the lowest marginal return, the capped one the highest
    marginal = 1.0 / table["marginal_cpa_recommended"]
    assert marginal["a"] < marginal["b"] < marginal["c"]


def test_the_bounds_follow_the_current_mix_scaled_to_a_new_budget():
    plan = allocate_budget(fits(log_world(), current=(100.0, 100.0, 100.0)), 1200.0, max_change=0.1)
    table = plan.table.set_index("channel")
    assert table["reference_spend"].to_numpy() == pytest.approx([400.0] * 3)
    assert table["min_spend"].to_numpy() == pytest.approx([360.0] * 3)


def test_hard_minimum_and_maximum_override_the_relative_bounds():
    plan = allocate_budget(fits(log_world()), 1200.0, max_change=0.6, min_spend={"a": 300.0}, max_spend={"c": 500.0})
    s = spend(plan)
    assert s[0] == pytest.approx(300.0, abs=1e-3) and s[2] == pytest.approx(500.0, abs=1e-3)
    assert sum(s) == pytest.approx(1200.0, abs=1e-6)


def test_target_cpa_spends_the_most_that_meets_the_target():
    # with a_i / c_i equal, the optimum at total T has 1 + s_i/c_i = (T + 600)/600, so conversions = 60 log(...)
    target = 900.0 / (60.0 * np.log(1500.0 / 600.0))
    plan = allocate_budget(fits(log_world()), 1200.0, objective="target_cpa", target=target, max_change=0.7)
    assert plan.summary["total_recommended"] == pytest.approx(900.0, rel=1e-6)
    assert spend(plan) == pytest.approx([150.0, 300.0, 450.0], abs=1e-2)
    assert plan.summary["expected_cpa"] == pytest.approx(target, rel=1e-6)
    assert "largest spend that meets the target" in plan.summary["note"]
    loose = allocate_budget(fits(log_world()), 1200.0, objective="target_cpa", target=100.0, max_change=0.7)
    assert loose.summary["total_recommended"] == pytest.approx(1200.0) and loose.summary["note"] == ""
    impossible = allocate_budget(fits(log_world()), 1200.0, objective="target_cpa", target=1.0, max_change=0.3)
    assert impossible.summary["total_recommended"] == pytest.approx(1200.0 * 0.7)
    assert "no plan within the bounds meets the target" in impossible.summary["note"]


def test_target_roas_spends_the_most_whose_roas_meets_the_target():
    world = log_world(values=(50.0, 50.0, 50.0))
    target = 50.0 * 60.0 * np.log(1500.0 / 600.0) / 900.0
    plan = allocate_budget(fits(world), 1200.0, objective="target_roas", target=target, max_change=0.7)
    assert plan.summary["total_recommended"] == pytest.approx(900.0, rel=1e-6)
    assert plan.summary["expected_roas"] == pytest.approx(target, rel=1e-6)


def test_hill_curves_match_a_brute_force_search():
    world = ResponseWorld([
        TrueChannel("a", ResponseCurve("hill", 35.2, 960.0, 1.0), 800.0),
        TrueChannel("b", ResponseCurve("hill", 15.5, 720.0, 1.8), 400.0),
        TrueChannel("c", ResponseCurve("hill", 6.6, 500.0, 1.2), 250.0),
    ])
    plan = allocate_budget(world.true_fits(), 1450.0, max_change=0.5)
    lo, hi = world.budgets * 0.5, world.budgets * 1.5
    best = 0.0
    for sa, sb in itertools.product(np.arange(lo[0], hi[0] + 1, 5.0), np.arange(lo[1], hi[1] + 1, 5.0)):
        sc = 1450.0 - sa - sb
        if lo[2] <= sc <= hi[2]:
            best = max(best, world.steady([sa, sb, sc]))
    found = world.steady(plan.table["recommended_spend"].to_numpy())
    assert best - 1e-9 <= found <= best * 1.0005


def test_a_channel_without_an_identified_curve_is_held():
    f = fits(log_world())
    f["a"] = dataclasses.replace(f["a"], identified=False, note="spend hardly varied (CV 1.0%): curve not identified")
    plan = allocate_budget(f, 1200.0, max_change=0.6)
    table = plan.table.set_index("channel")
    assert table.loc["a", "recommended_spend"] == pytest.approx(400.0)
    assert table.loc["a", "reason"] == "hold: spend hardly varied (CV 1.0%): curve not identified"


@pytest.mark.parametrize("kwargs, message", [
    (dict(objective="clicks"), "unknown objective"),
    (dict(objective="target_cpa"), "needs a positive target"),
    (dict(budget=-5.0), "must be positive"),
    (dict(budget=1200.0, min_spend={"a": 1000.0, "b": 1000.0}), "outside what the bounds allow"),
])
def test_impossible_requests_raise_a_plan_error(kwargs, message):
    args = {"budget": 1200.0} | kwargs
    with pytest.raises(PlanError, match=message):
        allocate_budget(fits(log_world()), **args)


def test_revenue_needs_revenue_per_conversion():
    f = fits(log_world(values=(np.nan, 1.0, 1.0)))
    with pytest.raises(PlanError, match="no revenue per conversion for a"):
        allocate_budget(f, 1200.0, objective="revenue")


def test_marginal_returns_table_hand_computed():
    table = marginal_returns(fits(log_world(values=(2.0, 1.0, 1.0)))).set_index("channel")
    assert table.loc["a", "marginal_conversions_per_usd"] == pytest.approx(10 / 500)
    assert table.loc["a", "marginal_cpa"] == pytest.approx(50.0)
    assert table.loc["a", "marginal_roas"] == pytest.approx(2 * 10 / 500)
    assert table.loc["a", "average_cpa"] == pytest.approx(400 / (10 * np.log(5.0)))
    assert table.loc["a", "marginal_cpa_low"] == pytest.approx(50.0)
