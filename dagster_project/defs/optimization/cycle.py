"""One cycle of the decision loop on the warehouse: judge what is due, then record the plan's proposals.

A cycle is identified by its day `as_of` (the last day of data in the channel mart), so a rerun on the same data
is the same cycle and changes nothing it already did:

1. applied decisions whose burn-in and observation window have ended by `as_of` are judged
   (`ledger.evaluate_decisions`: kept or reverted, with the statistic that decided);
2. proposals of earlier cycles that were never applied are rejected as superseded by this cycle's plan;
3. the plan becomes budget moves (`proposals.moves_from_plan`); a move is recorded unless the cycle already
   recorded the same move (same kind and channels, whatever its status since) or it touches a channel whose
   applied change is still under observation (a second change would confound its evaluation). A proposal of
   this cycle that the plan no longer makes (a rerun on restated data) is rejected.

Everything runs in one transaction: a failure leaves the ledger as it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import duckdb
import pandas as pd

from adledger.analytics.optimization import (BudgetPlan, CurveFit, ensure_decisions_table, evaluate_decisions,
                                             moves_from_plan, read_decisions, record_proposals, reject_proposals)


@dataclass
class CycleResult:
    """What one cycle did to the ledger (decision ids)."""

    as_of: date
    cycle: int
    evaluated: pd.DataFrame
    recorded: list[str] = field(default_factory=list)
    already_recorded: int = 0
    held_under_observation: int = 0
    superseded: list[str] = field(default_factory=list)


def _move_key(kind: str, entities) -> tuple:
    return kind, tuple(str(e) for e in entities)


def run_cycle(
    con: duckdb.DuckDBPyConnection,
    plan_table: pd.DataFrame,
    fits: Mapping[str, CurveFit],
    observations: pd.DataFrame,
    as_of: date,
    metric: str = "conversions",
    keep_probability: float = 0.5,
) -> CycleResult:
    """Run the cycle of day `as_of` on the ledger in `con` (see the module docstring).

    `plan_table`: the rows of `marts.mart_budget_recommendations` (`channel`, `current_spend`,
    `recommended_spend`, `reason`); `fits`: the curves the plan came from (fitted on data through `as_of`, so they
    also judge the applied changes); `observations`: daily `day`, `entity`, `conversions`, `revenue`;
    `metric`: what the proposals are judged on (`conversions` or `revenue`).
    """
    con.execute("begin transaction")
    try:
        result = _run(con, plan_table, fits, observations, as_of, metric, keep_probability)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return result


def _run(con, plan_table, fits, observations, as_of, metric, keep_probability) -> CycleResult:
    ensure_decisions_table(con)
    evaluated = evaluate_decisions(con, observations, as_of, fits=dict(fits) or None,
                                   keep_probability=keep_probability)
    ledger = read_decisions(con)
    ledger["proposed_on"] = pd.to_datetime(ledger["proposed_on"]).dt.date
    earlier_days = ledger.loc[ledger["proposed_on"] < as_of, "proposed_on"].nunique()
    result = CycleResult(as_of=as_of, cycle=int(earlier_days) + 1, evaluated=evaluated)

    stale = ledger[(ledger["status"] == "proposed") & (ledger["proposed_on"] < as_of)]
    reject_proposals(con, stale["decision_id"], f"superseded by the plan of {as_of.isoformat()}")
    result.superseded += list(stale["decision_id"])

    moves = moves_from_plan(BudgetPlan(plan_table, {}), fits, metric=metric) if len(plan_table) else pd.DataFrame()
    today = ledger[ledger["proposed_on"] == as_of]
    recorded_today = {_move_key(r.kind, r.entities): r for r in today.itertuples(index=False)}
    observed = {str(e) for entities in ledger.loc[ledger["status"] == "applied", "entities"] for e in entities}
    keep, wanted = [], set()
    for i, move in enumerate(moves.itertuples(index=False)):
        key = _move_key(move.kind, move.entities)
        wanted.add(key)
        if key in recorded_today:
            result.already_recorded += 1
        elif observed & set(key[1]):
            result.held_under_observation += 1
        else:
            keep.append(i)
    dropped = [r.decision_id for k, r in recorded_today.items() if k not in wanted and r.status == "proposed"]
    reject_proposals(con, dropped, f"superseded by a rerun of the plan of {as_of.isoformat()}")
    result.superseded += dropped
    if keep:
        result.recorded = record_proposals(con, moves.iloc[keep].reset_index(drop=True), as_of, cycle=result.cycle)
    return result
