"""Holdout and geo-lift incrementality: hand numbers, reference tests and CI coverage by simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportions_ztest

from adledger.analytics.incrementality import geo_lift, holdout_lift

Z = stats.norm.isf(0.025)


def test_holdout_lift_hand_computed():
    frame = pd.DataFrame(
        {"campaign": ["c1"], "treatment_users": [90000], "treatment_conversions": [2300], "holdout_users": [10000],
         "holdout_conversions": [200], "spend": [5000.0], "treatment_revenue": [230000.0], "holdout_revenue": [20000.0]}
    )
    row = holdout_lift(frame).iloc[0]
    p1, p0 = 2300 / 90000, 0.02
    half = Z * np.sqrt(p1 * (1 - p1) / 90000 + p0 * (1 - p0) / 10000)
    assert row["campaign"] == "c1"
    assert (row["lift"], row["lift_ci_low"], row["lift_ci_high"]) == pytest.approx((p1 - p0, p1 - p0 - half, p1 - p0 + half), abs=1e-15)
    assert row["p_value"] == pytest.approx(proportions_ztest([2300, 200], [90000, 10000])[1], abs=1e-12)
    assert row["incremental_conversions"] == pytest.approx(500.0, abs=1e-9)
    assert row["incremental_cpa"] == pytest.approx(10.0, abs=1e-9)
    assert row["incremental_cpa_ci_low"] == pytest.approx(5000 / ((p1 - p0 + half) * 90000), abs=1e-9)
    assert row["incremental_revenue"] == pytest.approx(230000 - 2.0 * 90000, abs=1e-6)
    assert row["iroas"] == pytest.approx(10.0, abs=1e-9)
    assert row["relative_lift"] == pytest.approx(p1 / p0 - 1, abs=1e-12)


def test_holdout_lift_of_a_count_metric_uses_the_per_user_variance():
    treated, held = np.array([0, 0, 1, 3, 0, 2]), np.array([0, 1, 0, 0])
    frame = pd.DataFrame({"treatment_users": [6], "treatment_conversions": [6], "treatment_conversions_sq": [14],
                          "holdout_users": [4], "holdout_conversions": [1], "holdout_conversions_sq": [1],
                          "spend": [10.0]})
    row = holdout_lift(frame).iloc[0]
    se = np.sqrt(treated.var(ddof=1) / 6 + held.var(ddof=1) / 4)
    assert row["lift"] == pytest.approx(1.0 - 0.25, abs=1e-15)
    assert (row["lift_ci_low"], row["lift_ci_high"]) == pytest.approx((0.75 - Z * se, 0.75 + Z * se), abs=1e-12)
    assert row["p_value"] == pytest.approx(2 * stats.norm.sf(0.75 / se), abs=1e-12)
    assert row["incremental_conversions"] == pytest.approx(4.5, abs=1e-12)


def test_holdout_ci_of_orders_per_user_covers_at_the_nominal_rate():
    rng = np.random.default_rng(23)
    runs, n1, n0 = 1000, 4000, 1000
    # overdispersed orders per user (gamma-Poisson): the binomial interval would be too narrow
    def orders(n, mean):
        return rng.poisson(rng.gamma(0.3, mean / 0.3, size=(runs, n)))

    t, h = orders(n1, 0.12), orders(n0, 0.10)
    frame = pd.DataFrame({"treatment_users": n1, "treatment_conversions": t.sum(1), "treatment_conversions_sq": (t**2).sum(1),
                          "holdout_users": n0, "holdout_conversions": h.sum(1), "holdout_conversions_sq": (h**2).sum(1),
                          "spend": 1.0})
    result = holdout_lift(frame)
    covered = (result["lift_ci_low"] <= 0.02) & (0.02 <= result["lift_ci_high"])
    assert 0.93 <= covered.mean() <= 0.97


def test_holdout_ci_covers_the_true_lift_at_the_nominal_rate():
    rng = np.random.default_rng(17)
    runs, n1, n0 = 2000, 20000, 5000
    frame = pd.DataFrame(
        {"treatment_users": n1, "treatment_conversions": rng.binomial(n1, 0.036, runs), "holdout_users": n0,
         "holdout_conversions": rng.binomial(n0, 0.03, runs), "spend": 1000.0}
    )
    result = holdout_lift(frame)
    covered = (result["lift_ci_low"] <= 0.006) & (0.006 <= result["lift_ci_high"])
    assert 0.93 <= covered.mean() <= 0.97


def geo_frame(values, group, start="2024-01-01"):
    rows = []
    for geo, (series, label) in enumerate(zip(values, group)):
        for day, value in enumerate(series):
            rows.append((f"g{geo}", pd.Timestamp(start) + pd.Timedelta(days=day), label, value, 20.0 * value))
    return pd.DataFrame(rows, columns=["geo", "day", "group", "conversions", "revenue"])


def test_geo_lift_difference_in_differences_hand_computed():
    daily = geo_frame(
        [[10, 10, 15, 15], [20, 20, 26, 26], [10, 10, 11, 11], [30, 30, 31, 33]],
        ["treatment", "treatment", "control", "control"],
    )
    row = geo_lift(daily, "2024-01-03", spend=32.0).iloc[0]
    # per-geo post - pre: treatment 5, 6; control 1, 2 -> DiD 4 with Welch se sqrt(0.5/2 + 0.5/2), df 2
    se = np.sqrt(0.25 + 0.25)
    assert row["lift"] == pytest.approx(4.0, abs=1e-12)
    assert (row["lift_ci_low"], row["lift_ci_high"]) == pytest.approx((4 - stats.t.isf(0.025, 2) * se, 4 + stats.t.isf(0.025, 2) * se), abs=1e-9)
    assert row["p_value"] == pytest.approx(stats.ttest_ind([5, 6], [1, 2], equal_var=False).pvalue, abs=1e-12)
    assert row["incremental_conversions"] == pytest.approx(16.0, abs=1e-12)  # 4 x 2 geos x 2 days
    assert row["relative_lift"] == pytest.approx(4 / (15 + 1.5), abs=1e-12)
    assert row["incremental_cpa"] == pytest.approx(2.0, abs=1e-12)
    assert row["iroas"] == pytest.approx(16 * 20 / 32.0, abs=1e-12)
    assert (row["treatment_geos"], row["control_geos"], row["test_days"]) == (2, 2, 2)


def test_geo_lift_ci_covers_the_true_increment():
    rng = np.random.default_rng(5)
    covered = 0
    runs, geos, days, start = 150, 24, 42, 28
    for _ in range(runs):
        base = rng.uniform(20, 80, size=geos)
        treated = np.arange(geos) < geos // 2
        lift = np.where(treated[:, None] & (np.arange(days) >= start)[None, :], 0.1 * base[:, None], 0.0)
        values = rng.poisson(base[:, None] * np.ones(days) + lift)
        result = geo_lift(geo_frame(values, np.where(treated, "treatment", "control")), pd.Timestamp("2024-01-01") + pd.Timedelta(days=start)).iloc[0]
        truth = lift.sum()
        covered += result["incremental_conversions_ci_low"] <= truth <= result["incremental_conversions_ci_high"]
    assert 0.9 <= covered / runs <= 0.99


def test_geo_lift_needs_both_groups_and_periods():
    daily = geo_frame([[1, 2], [3, 4]], ["treatment", "treatment"])
    with pytest.raises(ValueError, match="treatment and control"):
        geo_lift(daily, "2024-01-02")
    daily = geo_frame([[1, 2], [3, 4], [1, 1], [2, 2]], ["treatment", "treatment", "control", "control"])
    with pytest.raises(ValueError, match="before and after"):
        geo_lift(daily, "2023-12-01")
