"""Adstock and response curves: hand numbers and the simulated world's own implementation as reference."""

from __future__ import annotations

import numpy as np
import pytest

from adledger.analytics.optimization.response import adstock, curve, curve_marginal
from adledger.simulator import response as world_response


def test_adstock_hand_computed():
    # a[t] = 0.5 a[t-1] + 0.5 s[t], a[-1] = s[0] = 100
    assert adstock(np.array([100.0, 0.0, 0.0, 200.0]), 0.5) == pytest.approx([100.0, 50.0, 25.0, 112.5], abs=1e-12)
    assert adstock(np.array([100.0, 0.0]), 0.5, initial=0.0) == pytest.approx([50.0, 25.0], abs=1e-12)
    assert adstock(np.array([3.0, 4.0]), 0.0) == pytest.approx([3.0, 4.0], abs=0)


def test_adstock_matches_the_world_and_settles_at_a_constant_spend():
    rng = np.random.default_rng(3)
    spend = rng.uniform(0, 500, 400)
    for decay in (0.2, 0.5, 0.8):
        assert adstock(spend, decay) == pytest.approx(world_response.adstock(spend, decay), rel=1e-12)
        assert adstock(spend, decay, initial=77.0) == pytest.approx(world_response.adstock(spend, decay, 77.0), rel=1e-12)
    assert adstock(np.full(50, 320.0), 0.8, initial=320.0) == pytest.approx(np.full(50, 320.0), rel=1e-12)


def test_hill_and_log_hand_computed():
    # beta x^n/(x^n+K^n): 10 * 100/(100+100) with n=1 and K=100 at x=100 is 5; n=2, x=200: 10*4/5 = 8
    assert curve("hill", 100.0, 10.0, 100.0, 1.0) == pytest.approx(5.0, abs=1e-12)
    assert curve("hill", 200.0, 10.0, 100.0, 2.0) == pytest.approx(8.0, abs=1e-12)
    assert curve("hill", 0.0, 10.0, 100.0, 2.0) == 0.0
    assert curve("log", 100.0, 10.0, 100.0, 1.0) == pytest.approx(10 * np.log(2.0), abs=1e-12)
    # marginals: hill n=1 is beta K/(x+K)^2; log is beta/(K+x)
    assert curve_marginal("hill", 100.0, 10.0, 100.0, 1.0) == pytest.approx(10 * 100 / 200**2, abs=1e-15)
    assert curve_marginal("log", 100.0, 10.0, 100.0, 1.0) == pytest.approx(10 / 200, abs=1e-15)


@pytest.mark.parametrize("shape", [0.7, 1.0, 1.3, 1.8, 3.0])
def test_hill_and_its_marginal_match_the_world_and_a_numerical_derivative(shape):
    x = np.geomspace(1.0, 5000.0, 40)
    assert curve("hill", x, 35.2, 960.0, shape) == pytest.approx(world_response.hill(x, 35.2, 960.0, shape), rel=1e-12)
    h = 1e-4 * x
    numeric = (curve("hill", x + h, 35.2, 960.0, shape) - curve("hill", x - h, 35.2, 960.0, shape)) / (2 * h)
    assert curve_marginal("hill", x, 35.2, 960.0, shape) == pytest.approx(numeric, rel=1e-6)
    assert [float(curve_marginal("hill", v, 35.2, 960.0, shape)) for v in x[::7]] == pytest.approx(
        [world_response.marginal_orders_per_usd(v, 35.2, 960.0, shape) for v in x[::7]], rel=1e-12)


def test_curves_broadcast_over_parameter_vectors_and_reject_unknown_forms():
    out = curve("hill", np.array([100.0, 200.0]), np.array([[10.0], [20.0]]), 100.0, 1.0)
    assert out == pytest.approx(np.array([[5.0, 20 / 3], [10.0, 40 / 3]]), rel=1e-12)
    with pytest.raises(ValueError, match="unknown curve form"):
        curve("spline", 1.0, 1.0, 1.0, 1.0)
