"""Population stability index of daily attributed channel shares."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from adledger.analytics.attribution import attribution_drift


def test_psi_against_the_trailing_window_hand_computed():
    credits = pd.DataFrame(
        {
            "day": [date(2024, 1, 1)] * 2 + [date(2024, 1, 2)] * 2 + [date(2024, 1, 3)] * 2 + [date(2024, 1, 20)] * 2,
            "channel": ["a", "b"] * 4,
            "conversions": [5.0, 5.0, 6.0, 4.0, 3.0, 7.0, 1.0, 1.0],
        }
    )
    drift = attribution_drift(credits, window=7).set_index(["day", "channel"])
    assert drift.loc[(date(2024, 1, 1), "a"), "baseline_share"] != drift.loc[(date(2024, 1, 1), "a"), "baseline_share"]
    day2 = (0.6 - 0.5) * math.log(0.6 / 0.5) + (0.4 - 0.5) * math.log(0.4 / 0.5)
    assert drift.loc[(date(2024, 1, 2), "a"), "psi"] == pytest.approx(day2, abs=1e-12)
    # day 3 against days 1-2 together: a 11/20, b 9/20
    day3 = (0.3 - 0.55) * math.log(0.3 / 0.55) + (0.7 - 0.45) * math.log(0.7 / 0.45)
    assert drift.loc[(date(2024, 1, 3), "b"), "psi"] == pytest.approx(day3, abs=1e-12)
    assert drift.loc[(date(2024, 1, 3), "b"), "psi_term"] == pytest.approx(0.25 * math.log(0.7 / 0.45), abs=1e-12)
    # nothing in the 7 days before Jan 20: no baseline
    assert math.isnan(drift.loc[(date(2024, 1, 20), "a"), "psi"])


def test_psi_per_model_and_missing_channels_stay_finite():
    credits = pd.DataFrame(
        {
            "model": ["markov"] * 3 + ["linear"] * 2,
            "day": [date(2024, 1, 1), date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 1), date(2024, 1, 2)],
            "channel": ["a", "b", "a", "a", "a"],
            "conversions": [1.0, 1.0, 2.0, 3.0, 3.0],
        }
    )
    drift = attribution_drift(credits, group_by=("model",))
    linear = drift[(drift["model"] == "linear") & (drift["day"] == date(2024, 1, 2))]
    assert linear["psi"].iloc[0] == pytest.approx(0.0, abs=1e-12)
    markov = drift[(drift["model"] == "markov") & (drift["day"] == date(2024, 1, 2))]
    assert math.isfinite(markov["psi"].iloc[0]) and markov["psi"].iloc[0] > 0.25
