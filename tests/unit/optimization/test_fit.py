"""Curve fitting: exact recovery without noise, honest bootstrap intervals with noise, input validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from adledger.analytics.optimization import OptimizationDataError, ResponseCurve, fit_curve, fit_curves
from adledger.analytics.optimization.fit import prepare_daily
from adledger.analytics.optimization.response import curve_marginal


def block_spend(days: int, budget: float, seed: int) -> np.ndarray:
    """The simulated world's budget design: two-week blocks at 0.6x-1.5x of the budget, 6 % daily noise."""
    rng = np.random.default_rng(seed)
    level = np.repeat(rng.choice([0.6, 0.8, 1.0, 1.25, 1.5], size=days // 14 + 1), 14)[:days]
    return budget * level * rng.lognormal(0.0, 0.06, days)


@pytest.mark.parametrize("truth", [
    ResponseCurve("hill", beta=35.2, half_saturation=960.0, shape=1.0, decay=0.2, base=5.0),
    ResponseCurve("hill", beta=15.5, half_saturation=720.0, shape=1.8, decay=0.8, base=0.0),
    ResponseCurve("log", beta=12.0, half_saturation=300.0, shape=1.0, decay=0.5, base=2.0),
])
def test_noise_free_data_give_back_the_true_curve(truth):
    spend = block_spend(210, 600.0, 1)
    y = truth.predict(spend)
    fitted, samples, r2 = fit_curve(spend, y, truth.form, intercept=True, replicates=20)
    assert r2 == pytest.approx(1.0, abs=1e-8)
    assert fitted.decay == pytest.approx(truth.decay, abs=2e-3)
    grid = np.linspace(0.6 * 600, 1.5 * 600, 7)
    assert fitted.response(grid) + fitted.base == pytest.approx(truth.response(grid) + truth.base, rel=1e-4)
    assert fitted.marginal(grid) == pytest.approx(truth.marginal(grid), rel=2e-3)
    assert samples.shape == (20, 5)


def test_without_intercept_the_base_is_zero_and_the_curve_passes_through_the_origin():
    truth = ResponseCurve("hill", beta=8.0, half_saturation=6.0, shape=1.0, decay=0.3)
    spend = block_spend(180, 6.0, 2)
    fitted, samples, _ = fit_curve(spend, truth.predict(spend), "hill", intercept=False, replicates=10)
    assert fitted.base == 0.0 and (samples[:, 4] == 0).all()
    assert fitted.beta == pytest.approx(8.0, rel=1e-3)
    assert fitted.half_saturation == pytest.approx(6.0, rel=1e-3)


def test_bootstrap_intervals_of_the_marginal_cover_the_truth_most_of_the_time():
    truth = ResponseCurve("hill", beta=35.2, half_saturation=960.0, shape=1.0, decay=0.2)
    covered = []
    for seed in range(12):
        spend = block_spend(180, 800.0, 100 + seed)
        y = np.random.default_rng(seed).poisson(truth.predict(spend)).astype(float)
        fitted, samples, _ = fit_curve(spend, y, "hill", intercept=False, replicates=80, seed=seed)
        marg = fitted.marginal(800.0)
        reps = curve_marginal("hill", 800.0, samples[:, 0], samples[:, 1], samples[:, 2])
        low, high = np.percentile(reps - np.median(reps) + marg, [5, 95])
        covered.append(low <= truth.marginal(800.0) <= high)
    assert np.mean(covered) >= 0.75


def daily_frame(days=60):
    day = pd.date_range("2026-01-01", periods=days, freq="D")
    rng = np.random.default_rng(0)
    spend_a = block_spend(days, 100.0, 3)
    return pd.concat([
        pd.DataFrame({"day": day, "channel": "a", "spend": spend_a, "conversions": rng.poisson(spend_a / 20),
                      "revenue": rng.poisson(spend_a / 20) * 50.0}),
        pd.DataFrame({"day": day, "channel": "b", "spend": 40.0, "conversions": rng.poisson(3, days),
                      "revenue": 0.0}),
    ])


def test_fit_curves_per_channel_marks_a_channel_with_constant_spend_as_not_identified():
    fits = fit_curves(daily_frame(), replicates=10)
    assert sorted(fits) == ["a", "b"]
    assert fits["a"].identified and fits["a"].note == ""
    assert not fits["b"].identified and "hardly varied" in fits["b"].note
    assert fits["b"].current_spend == pytest.approx(40.0)
    assert fits["a"].value_per_conversion > 0


def test_prepare_daily_sums_duplicates_and_zero_fills_missing_days():
    frame = pd.DataFrame({"day": ["2026-01-01", "2026-01-01", "2026-01-03"], "channel": ["a", "a", "a"],
                          "spend": [1.0, 2.0, 5.0], "conversions": [1, 0, 2]})
    wide = prepare_daily(frame)
    assert list(wide["spend"]["a"]) == [3.0, 0.0, 5.0]
    assert list(wide["conversions"]["a"]) == [1.0, 0.0, 2.0]


@pytest.mark.parametrize("change, message", [
    (lambda f: f.drop(columns=["spend"]), "lacks column"),
    (lambda f: f.assign(spend=-1.0), "negative"),
    (lambda f: f.assign(conversions="x"), "non-numeric"),
    (lambda f: f.head(20), "at least 28"),
])
def test_bad_input_is_rejected_with_a_message(change, message):
    with pytest.raises(OptimizationDataError, match=message):
        fit_curves(change(daily_frame()), replicates=5)
