"""A/B and multivariate analysis against scipy/statsmodels, hand numbers and simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest

from adledger.analytics.experiments import ExperimentDataError, analyze_experiment
from adledger.analytics.experiments.bayes import chance_to_beat
from adledger.analytics.experiments.power import achieved_power, users_needed
from adledger.analytics.experiments.significance import holm

VARIANTS = pd.DataFrame(
    {
        "variant": ["control", "red", "green", "blue"],
        "users": [10000, 10100, 9900, 10050],
        "conversions": [500, 580, 510, 455],
        "revenue_sum": [25000.0, 29500.0, 25200.0, 22000.0],
        "revenue_sum_sq": [2500000.0, 2900000.0, 2600000.0, 2100000.0],
    }
)


def test_p_values_match_statsmodels_and_scipy():
    result = analyze_experiment(VARIANTS)
    control = VARIANTS.iloc[0]
    expected_p, expected_revenue_p = [], []
    for row in VARIANTS.iloc[1:].itertuples():
        expected_p.append(proportions_ztest([row.conversions, control.conversions], [row.users, control.users])[1])
        mean, control_mean = row.revenue_sum / row.users, control.revenue_sum / control.users
        std = np.sqrt((row.revenue_sum_sq - row.revenue_sum * mean) / (row.users - 1))
        control_std = np.sqrt((control.revenue_sum_sq - control.revenue_sum * control_mean) / (control.users - 1))
        expected_revenue_p.append(
            stats.ttest_ind_from_stats(mean, std, row.users, control_mean, control_std, control.users, equal_var=False).pvalue
        )
    treatments = result.iloc[1:]
    assert treatments["p_value"].to_numpy() == pytest.approx(expected_p, abs=1e-9)
    assert treatments["p_value_adjusted"].to_numpy() == pytest.approx(multipletests(expected_p, method="holm")[1], abs=1e-9)
    assert treatments["revenue_p_value"].to_numpy() == pytest.approx(expected_revenue_p, abs=1e-9)
    assert treatments["revenue_p_value_adjusted"].to_numpy() == pytest.approx(
        multipletests(expected_revenue_p, method="holm")[1], abs=1e-9
    )
    srm = stats.chisquare(VARIANTS["users"]).pvalue
    assert result["srm_p_value"].to_numpy() == pytest.approx([srm] * 4, abs=1e-9)


def test_control_row_and_hand_computed_uplift():
    result = analyze_experiment(VARIANTS).set_index("variant")
    control = result.loc["control"]
    assert control["uplift"] == 0 and control["diff"] == 0
    for column in ("p_value", "p_value_adjusted", "ci_low", "ci_high", "chance_to_beat_control", "revenue_p_value"):
        assert np.isnan(control[column]), column
    red = result.loc["red"]
    assert red["rate"] == pytest.approx(580 / 10100, abs=1e-15)
    assert red["uplift"] == pytest.approx((580 / 10100) / 0.05 - 1, abs=1e-12)
    p1, p0 = 580 / 10100, 0.05
    half = 1.959963984540054 * np.sqrt(p1 * (1 - p1) / 10100 + p0 * (1 - p0) / 10000)
    assert (red["diff_ci_low"], red["diff_ci_high"]) == pytest.approx((p1 - p0 - half, p1 - p0 + half), abs=1e-12)
    delta_se = np.sqrt(p1 * (1 - p1) / 10100 / p0**2 + p1**2 * p0 * (1 - p0) / 10000 / p0**4)
    assert (red["ci_low"], red["ci_high"]) == pytest.approx(
        (p1 / p0 - 1 - 1.959963984540054 * delta_se, p1 / p0 - 1 + 1.959963984540054 * delta_se), abs=1e-12
    )
    assert red["revenue_per_user"] == pytest.approx(29500 / 10100, abs=1e-12)


def test_holm_within_each_family_matches_statsmodels():
    rng = np.random.default_rng(0)
    p = rng.random(30) ** 3
    family = np.repeat(np.arange(6), 5)
    expected = np.concatenate([multipletests(p[family == f], method="holm")[1] for f in range(6)])
    assert holm(p, family) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(("x", "n", "cx", "cn"), [(120, 1000, 100, 1000), (3, 40, 9, 50), (0, 10, 0, 10), (700, 9000, 650, 9100)])
def test_chance_to_beat_control_matches_numerical_integration(x, n, cx, cn):
    variant, control = stats.beta(1 + x, 1 + n - x), stats.beta(1 + cx, 1 + cn - cx)
    expected, _ = integrate.quad(lambda r: variant.pdf(r) * control.cdf(r), 0, 1, limit=500, epsabs=1e-13, points=[variant.mean()])
    assert chance_to_beat(x, n, cx, cn) == pytest.approx(expected, abs=1e-8)
    assert chance_to_beat(x, n, cx, cn, exact_max_terms=0) == pytest.approx(expected, abs=1e-8)


def test_chance_to_beat_control_is_symmetric():
    assert chance_to_beat(50, 1000, 50, 1000) == pytest.approx(0.5, abs=1e-10)
    assert chance_to_beat(60, 1000, 50, 900) + chance_to_beat(50, 900, 60, 1000) == pytest.approx(1.0, abs=1e-12)


def test_aa_false_positive_rate_is_near_alpha():
    rng = np.random.default_rng(2024)
    experiments, users = 2000, 4000
    conversions = rng.binomial(users, 0.08, size=(experiments, 2))
    frame = pd.DataFrame(
        {
            "experiment": np.repeat(np.arange(experiments), 2),
            "variant": np.tile(["A", "B"], experiments),
            "users": users,
            "conversions": conversions.ravel(),
        }
    )
    result = analyze_experiment(frame, alpha=0.05)
    treated = result[result["variant"] == "B"]
    rate = (treated["p_value"] < 0.05).mean()
    assert 0.03 <= rate <= 0.07
    assert (treated["decision"] == "ship").mean() <= rate


def test_power_hint_matches_simulation():
    needed = int(users_needed(np.array([0.05]), 0.2, 0.05, 0.8)[0])
    assert achieved_power(np.array([0.05]), 0.2, np.array([needed]), np.array([needed]), 0.05)[0] == pytest.approx(0.8, abs=0.005)
    rng = np.random.default_rng(9)
    control = rng.binomial(needed, 0.05, size=2000)
    variant = rng.binomial(needed, 0.06, size=2000)
    frame = pd.DataFrame(
        {
            "experiment": np.repeat(np.arange(2000), 2),
            "variant": np.tile(["A", "B"], 2000),
            "users": needed,
            "conversions": np.stack([control, variant], axis=1).ravel(),
        }
    )
    result = analyze_experiment(frame)
    assert (result.loc[result["variant"] == "B", "p_value"] < 0.05).mean() == pytest.approx(0.8, abs=0.03)


def decision(users, conversions, **kwargs):
    frame = pd.DataFrame({"variant": ["A", "B"], "users": users, "conversions": conversions})
    return [d if isinstance(d, str) else None for d in analyze_experiment(frame, **kwargs)["decision"]]


def test_decisions():
    assert decision([20000, 20000], [1000, 1200]) == [None, "ship"]
    assert decision([20000, 20000], [1200, 1000]) == [None, "stop: no effect"]
    assert decision([200000, 200000], [10000, 10010]) == [None, "stop: no effect"]  # powered for 10 %, flat
    assert decision([2000, 2000], [100, 104]) == [None, "keep running"]
    assert decision([20000, 21000], [1000, 1200]) == ["invalid: SRM", "invalid: SRM"]


def test_expected_share_changes_the_srm_check():
    frame = pd.DataFrame({"variant": ["A", "B"], "users": [9000, 1000], "conversions": [90, 10], "expected_share": [0.9, 0.1]})
    result = analyze_experiment(frame)
    assert result["srm_p_value"].iloc[0] == pytest.approx(1.0, abs=1e-12)
    assert not result["srm"].any()


def test_revenue_as_primary_metric():
    result = analyze_experiment(VARIANTS, metric="revenue").set_index("variant")
    assert result.loc["red", "decision"] == "keep running"  # revenue p 0.06 x 3 (Holm) is not significant


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"variant": ["A", "B"], "users": [10, 10]}), "missing column"),
        (pd.DataFrame({"variant": ["A"], "users": [10], "conversions": [1]}), "at least one other variant"),
        (pd.DataFrame({"variant": ["A", "B"], "users": [10, 10], "conversions": [1, 11]}), "more conversions than users"),
        (pd.DataFrame({"variant": ["A", "B"], "users": [10, 0], "conversions": [1, 0]}), "users > 0"),
        (pd.DataFrame({"variant": ["A", "B"], "users": [10, 10], "conversions": [1, 1], "revenue_sum": [1, 1]}), "together"),
        (pd.DataFrame({"variant": [], "users": [], "conversions": []}), "no rows"),
    ],
)
def test_bad_input_is_rejected(frame, message):
    with pytest.raises(ExperimentDataError, match=message):
        analyze_experiment(frame)
