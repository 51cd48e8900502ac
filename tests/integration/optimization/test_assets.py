"""The optimization loop as Dagster assets on the small simulated world: response curves, the budget plan and the
decision ledger materialize downstream of the marts with their documented grain and columns, the checks pass, and
a rerun of the same day records nothing twice."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg
import duckdb
import pandas as pd
import pytest

from adledger.analytics.optimization import apply_decisions
from adledger.config import settings
from dagster_project.defs.optimization import tables

pytestmark = pytest.mark.slow

GROUP_ASSETS = ("analytics/response_curves", "marts/mart_budget_recommendations", "analytics/decisions")
CHECKS = {("marts/mart_budget_recommendations", "plan_spends_the_budget_within_bounds"),
          ("analytics/decisions", "one_open_decision_per_channel")}
MODEL = "linear"
#: the test world is two weeks long: curves on every day of it, few replicates to stay fast
RUN_CONFIG = {"ops": {
    "analytics__response_curves": {"config": {"attribution_model": MODEL, "min_days": 14, "replicates": 40}},
}}


def _frame(sql: str, params: list | None = None) -> pd.DataFrame:
    with duckdb.connect(str(settings().warehouse), read_only=True) as con:
        return con.execute(sql, params or []).df()


def _run_group() -> dict[tuple[str, str], bool]:
    """Materialize group `optimization` with RUN_CONFIG; the checks that ran and whether they passed."""
    from dagster_project.definitions import defs as load

    defs = load()
    job = defs.resolve_implicit_global_asset_job_def()
    keys = dg.AssetSelection.groups("optimization").resolve(defs.resolve_asset_graph())
    result = job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), asset_selection=list(keys),
                                    run_config=RUN_CONFIG)
    assert result.success
    return {(e.event_specific_data.asset_key.to_user_string(), e.event_specific_data.check_name):
            e.event_specific_data.passed for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"}


@pytest.fixture(scope="module")
def planned(world_pipeline):
    """The group run once with a plan on the world's days: (checks of that run, ledger after it)."""
    checks = _run_group()
    return checks, _frame("select * from analytics.decisions order by decision_id")


def test_the_whole_run_materializes_the_group_with_passing_checks(world_pipeline):
    summary = world_pipeline.summary
    assert set(GROUP_ASSETS) <= set(summary.assets), set(GROUP_ASSETS) - set(summary.assets)
    checks = {(asset, name): passed for asset, name, passed in summary.checks}
    assert all(checks[c] for c in CHECKS), checks


def test_curves_one_row_per_paid_channel_with_replicates(planned):
    curves = _frame("select * from analytics.response_curves order by channel")
    assert list(curves.columns) == tables.RESPONSE_CURVES.schema.names
    paid = _frame("select channel from marts.mart_channel_performance_daily where model = ? "
                  "group by channel having sum(spend) > 0 order by channel", [MODEL])
    assert curves["channel"].tolist() == paid["channel"].tolist()
    assert (curves["attribution_model"] == MODEL).all()
    assert curves["beta_replicates"].map(len).eq(40).all()
    assert ((curves["beta_low"] <= curves["beta_high"]) & (curves["decay_low"] >= 0)).all()


def test_plan_reallocates_the_current_daily_spend_within_bounds(planned):
    checks, _ = planned
    assert all(checks[c] for c in CHECKS), checks
    plan = _frame("select * from marts.mart_budget_recommendations order by channel")
    assert list(plan.columns) == tables.BUDGET_RECOMMENDATIONS.schema.names
    assert plan["channel"].is_unique
    # the budget is the current daily spend: each paid channel's mean over the last (up to) 28 days, zero-filled
    current = _frame("""
        with model_rows as (
            select day, channel, cast(spend as double) as spend
            from marts.mart_channel_performance_daily where model = ?
        ),
        daily as (
            select * from model_rows
            where channel in (select channel from model_rows group by channel having sum(spend) > 0)
        ),
        span as (select max(day) as last_day, cast(least(28, max(day) - min(day) + 1) as integer) as days from daily)
        select channel, sum(spend) / any_value(span.days) as current_spend
        from daily cross join span
        where day > span.last_day - span.days
        group by channel
        order by channel""", [MODEL])
    assert plan["channel"].tolist() == current["channel"].tolist()
    assert plan["current_spend"].to_numpy() == pytest.approx(current["current_spend"].to_numpy(), rel=1e-9)
    budget = current["current_spend"].sum()
    assert plan["budget"].to_numpy() == pytest.approx(budget, rel=1e-9)
    assert plan["recommended_spend"].sum() == pytest.approx(budget, abs=0.01)
    assert (plan["recommended_spend"] >= plan["min_spend"] - 0.01).all()
    assert (plan["recommended_spend"] <= plan["max_spend"] + 0.01).all()
    assert (plan["min_spend"] >= 0.7 * plan["current_spend"] - 1e-6).all()
    assert (plan["max_spend"] <= 1.3 * plan["current_spend"] + 1e-6).all()
    assert (plan["expected_change_low"] <= plan["expected_change_high"]).all()
    assert plan["reason"].str.len().gt(0).all()


def test_plan_moves_become_proposals_and_a_rerun_records_nothing_twice(planned):
    _, ledger = planned
    plan = _frame("select channel, current_spend, recommended_spend, as_of from marts.mart_budget_recommendations")
    as_of = pd.Timestamp(plan["as_of"].iloc[0])
    proposals = ledger[ledger["status"] == "proposed"]
    assert len(proposals) > 0, "the plan proposed no budget move"
    assert (proposals["kind"] == "move_budget").all()
    assert (pd.to_datetime(proposals["proposed_on"]) == as_of).all()
    # anything else in the ledger is an earlier proposal this plan superseded
    assert ledger.loc[ledger["status"] != "proposed", "decision_reason"].str.startswith("superseded").all()
    recommended = dict(zip(plan["channel"], plan["recommended_spend"] - plan["current_spend"]))
    for row in proposals.itertuples():
        source, target = row.entities
        assert recommended[source] < 0 < recommended[target]  # money moves from a cut channel to a raised one
        assert row.old_values[0] - row.new_values[0] == pytest.approx(row.new_values[1] - row.old_values[1])
        assert row.expected_low <= row.expected_effect <= row.expected_high

    _run_group()
    again = _frame("select * from analytics.decisions order by decision_id")
    assert again["decision_id"].tolist() == ledger["decision_id"].tolist()
    assert again["status"].tolist() == ledger["status"].tolist()


def test_an_applied_move_is_judged_once_its_window_has_passed(planned):
    _, ledger = planned
    proposals = ledger[ledger["status"] == "proposed"]
    as_of = pd.Timestamp(proposals["proposed_on"].iloc[0]).date()
    chosen = proposals["decision_id"].iloc[0]
    with duckdb.connect(str(settings().warehouse)) as con:
        # applied six days before the last day: 3 days before it, 1 day of burn-in, 3 days after it, all observed
        apply_decisions(con, [chosen], applied_on=as_of - timedelta(days=6), window_days=3, burn_in_days=1)
    _run_group()
    after = _frame("select * from analytics.decisions order by decision_id").set_index("decision_id")
    judged = after.loc[chosen]
    assert judged["status"] in ("kept", "reverted")
    assert judged["statistic"] == "curve_refit_bootstrap"
    assert pd.Timestamp(judged["decided_on"]).date() == as_of
    assert judged["decision_reason"].startswith(judged["status"])
    assert (judged["status"] == "kept") == (judged["probability_of_gain"] >= 0.5)
    assert pd.notna(judged["observed_effect"]) and pd.notna(judged["observed_p_value"])
    # every other decision stays as it was, and nothing was recorded twice
    assert after.index.tolist() == ledger["decision_id"].tolist()
    assert after.drop(index=chosen)["status"].tolist() == ledger.set_index("decision_id").drop(index=chosen)[
        "status"].tolist()

    _run_group()
    final = _frame("select * from analytics.decisions order by decision_id").set_index("decision_id")
    assert final.loc[chosen, "status"] == judged["status"]
    assert final.loc[chosen, "updated_at"] == judged["updated_at"]
