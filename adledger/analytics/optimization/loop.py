"""The closed loop, run against a world of known curves: propose, apply, observe, keep or revert — and grade it.

Each cycle of `run_decision_loop`:

1. plan: fit the curves on all days so far, allocate the current total budget (`allocate_budget`), split the plan
   into budget moves over disjoint channel pairs (`moves_from_plan`), keep the `plan_moves` with the largest
   expected gain and add `hypotheses` random moves among the remaining channels (an analyst's "move 20 % of X to
   Y" ideas, about half of them bad) — all recorded as proposals;
2. a settling period (`burn_in_days`) and the before window (`window_days`) at the current budgets;
3. apply every proposal; after `burn_in_days` the after window (`window_days`) at the new budgets;
4. refit the curves on everything and judge each applied change (`evaluate_decisions`); reverted changes go back
   to their old budgets.

Daily spend is the budget times a little delivery noise (lognormal, 6 %); conversions are drawn from the world.
Every decided change is graded against the true curves: it truly improves results when the true steady-state
conversions of its channels rise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd

from adledger.analytics.optimization.allocate import allocate_budget
from adledger.analytics.optimization.fit import fit_curves
from adledger.analytics.optimization.ledger import (apply_decisions, evaluate_decisions, read_decisions,
                                                     record_proposals)
from adledger.analytics.optimization.proposals import budget_move, moves_from_plan
from adledger.analytics.optimization.sandbox import ResponseWorld

DELIVERY_NOISE = 0.06


@dataclass(frozen=True)
class LoopResult:
    """Every decided change with its true effect, and the counts that grade the loop."""

    #: ledger rows of the decided changes plus `origin` (plan | hypothesis), `true_effect`, `truly_improves`
    decisions: pd.DataFrame
    improving_kept: int
    improving_total: int
    other_reverted: int
    other_total: int
    #: true steady-state conversions/day caused by the budgets before the first and after the last cycle
    start_conversions: float
    end_conversions: float
    days: int


class _Timeline:
    """Days simulated so far: spend and conversions per channel, the adstock carried between segments."""

    def __init__(self, world: ResponseWorld, rng: np.random.Generator, start: date):
        self.world, self.rng, self.start = world, rng, start
        self.spend: list[np.ndarray] = []
        self.conversions: list[np.ndarray] = []
        self.level: np.ndarray | None = None

    def run(self, spend: np.ndarray) -> None:
        self.conversions.append(self.world.draw(spend, self.rng, self.level))
        self.level = self.world.final_adstock(spend, self.level)
        self.spend.append(spend)

    def at(self, budgets: np.ndarray, days: int) -> None:
        self.run(budgets[None, :] * self.rng.lognormal(0.0, DELIVERY_NOISE, size=(days, len(budgets))))

    @property
    def days(self) -> int:
        return sum(len(s) for s in self.spend)

    @property
    def today(self) -> date:
        return self.start + timedelta(days=self.days)

    def frame(self) -> pd.DataFrame:
        return self.world.frame(np.vstack(self.spend), np.vstack(self.conversions), self.start)


def run_decision_loop(
    world: ResponseWorld,
    con: duckdb.DuckDBPyConnection,
    cycles: int = 4,
    history_days: int = 120,
    window_days: int = 28,
    burn_in_days: int = 7,
    plan_moves: int = 3,
    hypotheses: int = 3,
    hypothesis_share: float = 0.2,
    judge: str = "curves",
    max_change: float = 0.3,
    replicates: int = 60,
    keep_probability: float = 0.5,
    seed: int = 0,
    start: date = date(2026, 1, 1),
) -> LoopResult:
    """Run `cycles` cycles of the loop on `world`, with the ledger in `con`; `judge` is `curves` or `observed`."""
    if judge not in ("curves", "observed"):
        raise ValueError(f"judge must be curves or observed, got {judge!r}")
    rng = np.random.default_rng(seed)
    names = list(world.names)
    line = _Timeline(world, rng, start)
    history = world.budget_history(history_days, seed)
    line.run(history)
    budgets = history[-14:].mean(axis=0)
    start_conversions = world.steady(budgets)
    fits = fit_curves(line.frame(), replicates=replicates, seed=seed)
    origin: dict[str, str] = {}
    for cycle in range(cycles):
        state = dict(zip(names, budgets))
        plan = allocate_budget(fits, float(budgets.sum()), current=state, max_change=max_change)
        proposals = moves_from_plan(plan, fits, state).nlargest(plan_moves, "expected_effect")
        used = {e for row in proposals["entities"] for e in row}
        free = [n for n in names if n not in used]
        extra = []
        for _ in range(hypotheses):
            if len(free) < 2:
                break
            src, dst = rng.choice(free, size=2, replace=False)
            free = [n for n in free if n not in (src, dst)]
            extra.append(budget_move(fits, state, str(src), str(dst), hypothesis_share * state[str(src)],
                                     reason=f"hypothesis: move {hypothesis_share:.0%} of {src} to {dst}"))
        proposals = pd.concat([proposals, pd.DataFrame(extra)], ignore_index=True) if extra else proposals
        ids = record_proposals(con, proposals, line.today, cycle)
        origin.update({i: ("hypothesis" if r.startswith("hypothesis") else "plan")
                       for i, r in zip(ids, proposals["reason"])})
        line.at(budgets, burn_in_days + window_days)                 # settle, then the before window
        apply_decisions(con, ids, line.today, window_days, burn_in_days)
        for p in proposals.itertuples(index=False):
            for entity, value in zip(p.entities, p.new_values):
                budgets[names.index(entity)] = value
        line.at(budgets, burn_in_days + window_days)                 # settle, then the after window
        observed = line.frame().rename(columns={"channel": "entity"})
        fits = fit_curves(line.frame(), replicates=replicates, seed=seed + cycle + 1)
        decided = evaluate_decisions(con, observed, line.today - timedelta(days=1),
                                     fits if judge == "curves" else None, keep_probability)
        for d in decided.itertuples(index=False):
            if d.status == "reverted":
                for entity, value in zip(d.entities, d.old_values):
                    budgets[names.index(entity)] = value
    ledger = read_decisions(con)
    ledger = ledger[ledger["status"].isin(["kept", "reverted"])].copy()
    ledger["origin"] = ledger["decision_id"].map(origin)
    ledger["true_effect"] = [world.change(list(r.entities), list(r.old_values), list(r.new_values))
                             for r in ledger.itertuples(index=False)]
    ledger["truly_improves"] = ledger["true_effect"] > 0
    good, bad = ledger["truly_improves"], ~ledger["truly_improves"]
    return LoopResult(
        decisions=ledger.reset_index(drop=True),
        improving_kept=int((good & (ledger["status"] == "kept")).sum()), improving_total=int(good.sum()),
        other_reverted=int((bad & (ledger["status"] == "reverted")).sum()), other_total=int(bad.sum()),
        start_conversions=start_conversions, end_conversions=world.steady(budgets), days=line.days,
    )
