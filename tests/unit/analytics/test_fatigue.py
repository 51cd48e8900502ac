"""Creative fatigue: the Poisson rate fit against statsmodels and the flag on simulated creatives."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from adledger.analytics.fatigue import creative_fatigue


def simulated(decays, days=40, seed=3, frequency=False):
    rng = np.random.default_rng(seed)
    rows = []
    for creative, decay in decays.items():
        for age in range(days):
            impressions = int(rng.integers(3000, 6000))
            rows.append((creative, date(2024, 3, 1) + timedelta(days=age), impressions,
                         rng.poisson(impressions * 0.02 * np.exp(-decay * age)), 1.0 + 0.03 * age + rng.random() * 0.2))
    frame = pd.DataFrame(rows, columns=["creative_id", "day", "impressions", "clicks", "frequency"])
    return frame if frequency else frame.drop(columns="frequency")


@pytest.mark.parametrize("frequency", [False, True])
def test_fit_matches_statsmodels_poisson_glm(frequency):
    daily = simulated({"a": 0.02, "b": 0.0}, frequency=frequency)
    result = creative_fatigue(daily).set_index("creative_id")
    for creative in ("a", "b"):
        part = daily[daily["creative_id"] == creative]
        columns = [np.arange(len(part), dtype=float)] + ([np.log(part["frequency"].to_numpy())] if frequency else [])
        design = sm.add_constant(np.column_stack(columns))
        fit = sm.GLM(part["clicks"].to_numpy(), design, family=sm.families.Poisson(),
                     offset=np.log(part["impressions"].to_numpy())).fit(tol=1e-12)
        assert result.loc[creative, "daily_decay"] == pytest.approx(np.expm1(fit.params[1]), abs=1e-8)
        assert result.loc[creative, "p_value"] == pytest.approx(fit.pvalues[1], rel=1e-6)
        if frequency:
            assert result.loc[creative, "frequency_elasticity"] == pytest.approx(fit.params[2], abs=1e-8)


def test_decaying_creative_is_flagged_with_a_refresh_date():
    result = creative_fatigue(simulated({"tired": 0.03, "fresh": 0.0})).set_index("creative_id")
    tired, fresh = result.loc["tired"], result.loc["fresh"]
    assert tired["fatigued"] and not fresh["fatigued"]
    assert tired["daily_decay"] == pytest.approx(np.expm1(-0.03), abs=0.004)
    slope = np.log1p(tired["daily_decay"])
    assert tired["refresh_date"] == date(2024, 3, 1) + timedelta(days=int(np.ceil(np.log(0.8) / slope)))
    assert tired["ctr_now"] < 0.8 * tired["ctr_start"]


def test_short_or_clickless_creatives_are_not_fitted():
    daily = pd.DataFrame(
        {"creative_id": ["new", "new", "dead", "dead", "dead", "dead"],
         "day": [date(2024, 1, d) for d in (1, 2, 1, 2, 3, 4)],
         "impressions": [1000] * 6, "clicks": [10, 9, 0, 0, 0, 0]}
    )
    result = creative_fatigue(daily).set_index("creative_id")
    assert result["daily_decay"].isna().all() and not result["fatigued"].any()
    assert result.loc["new", "ctr"] == pytest.approx(19 / 2000)
