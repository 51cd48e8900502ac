"""Response curves, budget reallocation and the decision ledger (the optimization half of the loop).

Public API (pandas in, pandas out; see each docstring for the columns and units):

* `fit_curves(daily, by="channel", outcome="conversions", form="hill", intercept=True, replicates=200)` ->
  `{entity: CurveFit}` — adstock + Hill/log response per channel or campaign, with bootstrap replicates
* `marginal_returns(fits, spend=None)` -> marginal conversions per USD, marginal CPA and ROAS with intervals
* `allocate_budget(fits, budget, objective="conversions", target=None, max_change=0.3, min_spend, max_spend)`
  -> `BudgetPlan` (`table`: current vs recommended spend per channel with expected change, interval, reason;
  `summary`: totals)
* the decision ledger in DuckDB (`analytics.decisions`): `ensure_decisions_table`, `record_proposals`,
  `apply_decisions`, `reject_proposals`, `evaluate_decisions`, `read_decisions`; proposals from a plan with
  `moves_from_plan` / `budget_move`
* grading against a world of known curves: `ResponseWorld` (from a simulated world's `truth/manifest.json` or
  the simulator's spec), `simulated_channel_days` (a world's daily spend and incremental orders) and
  `run_decision_loop`

`docs/optimization.md` explains the models, the statistics and how they were graded.
"""

from adledger.analytics.optimization.allocate import OBJECTIVES, BudgetPlan, PlanError, allocate_budget
from adledger.analytics.optimization.decide import decide, modelled_change, observed_change
from adledger.analytics.optimization.fit import (CurveFit, OptimizationDataError, ResponseCurve, fit_curve,
                                                 fit_curves, prepare_daily)
from adledger.analytics.optimization.ledger import (apply_decisions, due_decisions, ensure_decisions_table,
                                                    evaluate_decisions, read_decisions, record_proposals,
                                                    reject_proposals)
from adledger.analytics.optimization.loop import LoopResult, run_decision_loop
from adledger.analytics.optimization.marginal import marginal_returns
from adledger.analytics.optimization.proposals import budget_move, moves_from_plan
from adledger.analytics.optimization.sandbox import ResponseWorld, TrueChannel, simulated_channel_days

__all__ = [
    "OBJECTIVES",
    "BudgetPlan",
    "CurveFit",
    "LoopResult",
    "OptimizationDataError",
    "PlanError",
    "ResponseCurve",
    "ResponseWorld",
    "TrueChannel",
    "allocate_budget",
    "apply_decisions",
    "budget_move",
    "decide",
    "due_decisions",
    "ensure_decisions_table",
    "evaluate_decisions",
    "fit_curve",
    "fit_curves",
    "marginal_returns",
    "modelled_change",
    "moves_from_plan",
    "observed_change",
    "prepare_daily",
    "read_decisions",
    "record_proposals",
    "reject_proposals",
    "run_decision_loop",
    "simulated_channel_days",
]
