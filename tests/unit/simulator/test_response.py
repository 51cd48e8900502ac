"""The true response functions against hand-computed numbers."""

from __future__ import annotations

import numpy as np
import pytest

from adledger.simulator import spec
from adledger.simulator.response import adstock, adstock_step, hill, marginal_orders_per_usd


def test_hill_at_half_saturation_is_half_of_beta():
    assert hill(200.0, 10.0, 200.0, 1.7) == pytest.approx(5.0)
    assert hill(0.0, 10.0, 200.0, 1.0) == 0.0
    # n = 1: 10 * 100 / (100 + 300) = 2.5
    assert hill(100.0, 10.0, 300.0, 1.0) == pytest.approx(2.5)


def test_adstock_is_normalized_geometric_carryover():
    # x1 = 0.5*100 + 0.5*0 = 50 (initial 100), x2 = 0.5*50 + 0.5*0 = 25, x3 = 0.5*25 + 0.5*100 = 62.5
    out = adstock(np.array([0.0, 0.0, 100.0]), decay=0.5, initial=100.0)
    assert out.tolist() == [50.0, 25.0, 62.5]
    assert adstock_step(80.0, 80.0, 0.7) == pytest.approx(80.0)  # steady spend stays put


def test_marginal_orders_match_finite_difference():
    beta, k, n, x = 12.0, 500.0, 1.4, 420.0
    h = 1e-3
    numeric = (hill(x + h, beta, k, n) - hill(x - h, beta, k, n)) / (2 * h)
    assert marginal_orders_per_usd(x, beta, k, n) == pytest.approx(float(numeric), rel=1e-6)


def test_channel_curves_give_the_declared_orders_at_base_budget():
    for ch in spec.CHANNELS:
        assert hill(ch.budget, ch.beta, ch.half_saturation, ch.hill_n) == pytest.approx(ch.incremental_orders)
