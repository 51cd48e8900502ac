"""The decision ledger in a real DuckDB file: lifecycle, statistics against scipy, errors."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from adledger.analytics.optimization import (ResponseCurve, ResponseWorld, TrueChannel, apply_decisions, budget_move,
                                             due_decisions, evaluate_decisions, observed_change, read_decisions,
                                             record_proposals, reject_proposals)

APPLIED = date(2026, 3, 1)


def proposal(**overrides) -> dict:
    row = {"kind": "move_budget", "entity_type": "channel", "entities": ["display", "search"],
           "old_values": [300.0, 500.0], "new_values": [240.0, 560.0], "metric": "conversions",
           "expected_effect": 0.8, "expected_low": 0.1, "expected_high": 1.5, "reason": "plan"}
    return row | overrides


def observations(before: dict[str, list[float]], after: dict[str, list[float]], burn_in: int) -> pd.DataFrame:
    rows = []
    for entity, values in before.items():
        for k, v in enumerate(values):
            rows.append((APPLIED - timedelta(days=len(values) - k), entity, v))
    for entity, values in after.items():
        for k in range(burn_in):
            rows.append((APPLIED + timedelta(days=k), entity, 1000.0))   # burn-in days are ignored
        for k, v in enumerate(values):
            rows.append((APPLIED + timedelta(days=burn_in + k), entity, v))
    return pd.DataFrame(rows, columns=["day", "entity", "conversions"])


def test_lifecycle_and_the_welch_statistics_match_scipy(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    before_d, before_s = [5, 7, 6, 4, 8, 6, 5], [20, 22, 19, 25, 21, 18, 24]
    after_d, after_s = [4, 5, 3, 6, 4, 5, 4], [26, 24, 27, 22, 25, 28, 23]
    with duckdb.connect(str(path)) as con:
        ids = record_proposals(con, pd.DataFrame([proposal()]), APPLIED - timedelta(days=10), cycle=0)
        assert read_decisions(con, "proposed")["decision_id"].tolist() == ids
        apply_decisions(con, ids, APPLIED, window_days=7, burn_in_days=3)
        obs = observations({"display": before_d, "search": before_s}, {"display": after_d, "search": after_s}, 3)
        last_day = APPLIED + timedelta(days=3 + 7 - 1)
        assert due_decisions(con, last_day - timedelta(days=1)).empty
        assert evaluate_decisions(con, obs, last_day - timedelta(days=1)).empty
        decided = evaluate_decisions(con, obs, last_day)
    with duckdb.connect(str(path), read_only=True) as con:     # the ledger is in the file
        stored = read_decisions(con).iloc[0]
    before = np.add(before_d, before_s)
    after = np.add(after_d, after_s)
    welch = stats.ttest_ind(after, before, equal_var=False)
    assert len(decided) == 1
    assert stored["status"] == "kept" and stored["statistic"] == "welch_t"
    assert stored["observed_effect"] == pytest.approx(after.mean() - before.mean(), abs=1e-12)
    assert stored["statistic_value"] == pytest.approx(welch.statistic, rel=1e-12)
    assert stored["observed_p_value"] == pytest.approx(welch.pvalue / 2, rel=1e-9)
    assert stored["probability_of_gain"] == pytest.approx(1 - welch.pvalue / 2, rel=1e-9)
    assert list(stored["entities"]) == ["display", "search"]
    assert pd.Timestamp(stored["decided_on"]).date() == last_day
    assert stored["decision_reason"].startswith("kept: observed +")


def test_observed_change_interval_is_welch_and_a_worse_window_is_reverted(tmp_path):
    seen = observed_change(np.array([10.0, 12, 11, 13]), np.array([9.0, 8, 10, 9]), interval=0.9)
    welch = stats.ttest_ind([9.0, 8, 10, 9], [10.0, 12, 11, 13], equal_var=False)
    half = stats.t.isf(0.05, welch.df) * seen["se"]
    assert (seen["low"], seen["high"]) == pytest.approx((-2.5 - half, -2.5 + half), rel=1e-12)
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        ids = record_proposals(con, pd.DataFrame([proposal(entities=["a"], old_values=[1.0], new_values=[2.0])]),
                               APPLIED)
        apply_decisions(con, ids, APPLIED, window_days=4, burn_in_days=0)
        obs = observations({"a": [10.0, 12, 11, 13]}, {"a": [9.0, 8, 10, 9]}, 0)
        decided = evaluate_decisions(con, obs, APPLIED + timedelta(days=3))
    assert decided.iloc[0]["status"] == "reverted"
    assert decided.iloc[0]["probability_of_gain"] == pytest.approx(welch.pvalue / 2, rel=1e-9)


def test_refitted_curves_decide_budget_moves_when_given(tmp_path):
    world = ResponseWorld([TrueChannel("display", ResponseCurve("log", 2.0, 500.0), 300.0),
                           TrueChannel("search", ResponseCurve("log", 20.0, 400.0), 500.0)])
    fits = world.true_fits()
    row = budget_move(fits, {"display": 300.0, "search": 500.0}, "display", "search", 60.0)
    truth = world.change(["display", "search"], [300.0, 500.0], [240.0, 560.0])
    assert row["expected_effect"] == pytest.approx(truth, rel=1e-12) and truth > 0
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        ids = record_proposals(con, pd.DataFrame([row]), APPLIED)
        apply_decisions(con, ids, APPLIED, window_days=3, burn_in_days=1)
        # the observation says "worse", the refitted curves say "better": the curves decide, both are stored
        obs = observations({"display": [5, 5, 5], "search": [30, 31, 29]}, {"display": [4, 4, 5], "search": [28, 29, 28]}, 1)
        decided = evaluate_decisions(con, obs, APPLIED + timedelta(days=3), fits=fits)
    d = decided.iloc[0]
    assert d["status"] == "kept" and d["statistic"] == "curve_refit_bootstrap"
    assert d["probability_of_gain"] == 1.0 and d["observed_effect"] < 0
    assert "refitted curves put the change at +" in d["decision_reason"]


def test_status_transitions_are_checked(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        a, b = record_proposals(con, pd.DataFrame([proposal(), proposal()]), APPLIED)
        reject_proposals(con, [b], "budget frozen for the holidays")
        apply_decisions(con, [a], APPLIED)
        with pytest.raises(ValueError, match="not proposed"):
            apply_decisions(con, [a, b], APPLIED)
        with pytest.raises(ValueError, match="unknown: d-nope"):
            apply_decisions(con, ["d-nope"], APPLIED)
        statuses = read_decisions(con).set_index("decision_id")["status"]
        assert statuses[a] == "applied" and statuses[b] == "rejected"
        with pytest.raises(ValueError, match="aligned"):
            record_proposals(con, pd.DataFrame([proposal(new_values=[1.0])]), APPLIED)
        with pytest.raises(ValueError, match="lack column"):
            record_proposals(con, pd.DataFrame([{"kind": "x"}]), APPLIED)
