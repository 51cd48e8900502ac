"""The closed loop over several simulated cycles: good changes are kept, most bad ones reverted."""

from __future__ import annotations

import duckdb
import pytest

from adledger.analytics.optimization import ResponseWorld, read_decisions, run_decision_loop


@pytest.mark.parametrize("seed", [0, 1])
def test_the_loop_keeps_what_truly_improves_and_reverts_most_of_what_does_not(tmp_path, seed):
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        result = run_decision_loop(ResponseWorld.from_simulator(2.0), con, cycles=4, seed=seed)
        ledger = read_decisions(con)
    decided = result.decisions
    assert len(decided) == result.improving_total + result.other_total >= 16
    assert set(ledger["status"]) == {"kept", "reverted"}          # every proposal went through the whole loop
    assert (decided["origin"] == "hypothesis").sum() >= 4
    assert result.other_total >= 4
    assert result.improving_kept >= 0.85 * result.improving_total
    assert result.other_reverted > 0.5 * result.other_total
    assert result.end_conversions > result.start_conversions * 1.05
    reverted = decided[decided["status"] == "reverted"].iloc[0]
    assert reverted["statistic"] == "curve_refit_bootstrap" and reverted["probability_of_gain"] < 0.5
