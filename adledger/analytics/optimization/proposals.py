"""Turn a budget plan (or an analyst's hypothesis) into testable changes for the decision ledger.

A plan moves money from channels it cuts to channels it raises. `moves_from_plan` pairs them up — largest raise
with largest cut, next with next — into budget moves over disjoint channel pairs, so each move can be judged on
its own two channels (`ledger.evaluate_decisions`). `budget_move` writes one move by hand ("move 5 % of display's
budget to search"). Each move carries the curves' expected effect with its bootstrap interval.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from adledger.analytics.optimization.allocate import BudgetPlan
from adledger.analytics.optimization.decide import modelled_change
from adledger.analytics.optimization.fit import CurveFit


def budget_move(fits: Mapping[str, CurveFit], current: Mapping[str, float], source: str, target: str,
                amount: float, metric: str = "conversions", interval: float = 0.9, reason: str | None = None) -> dict:
    """One proposal row: move `amount` USD/day of daily budget from `source` to `target`."""
    if source == target:
        raise ValueError("a budget move needs two different channels")
    amount = min(float(amount), float(current[source]))
    old = [float(current[source]), float(current[target])]
    new = [old[0] - amount, old[1] + amount]
    weights = [fits[e].value_per_conversion for e in (source, target)] if metric == "revenue" else None
    effect = modelled_change(fits, [source, target], old, new, interval, weights)
    return {
        "kind": "move_budget", "entity_type": "channel", "entities": [source, target], "old_values": old,
        "new_values": new, "metric": metric, "expected_effect": effect["effect"], "expected_low": effect["low"],
        "expected_high": effect["high"],
        "reason": reason or (f"move {amount:,.2f}/day ({amount / old[0]:.0%} of {source}) to {target}: expected "
                             f"{effect['effect']:+.3g} {metric}/day ({interval:.0%} interval {effect['low']:+.3g} .. "
                             f"{effect['high']:+.3g})"),
    }


def moves_from_plan(plan: BudgetPlan, fits: Mapping[str, CurveFit], current: Mapping[str, float] | None = None,
                    min_share: float = 0.02, metric: str = "conversions", interval: float = 0.9) -> pd.DataFrame:
    """Budget moves over disjoint channel pairs that together carry out most of `plan`.

    Raises and cuts are measured against `current` (default: the plan's `current_spend`); a move is kept when
    it shifts at least `min_share` of the smaller of the two channels' spend. Columns as
    `ledger.record_proposals` expects.
    """
    table = plan.table.set_index("channel")
    now = {c: float((current or {}).get(c, table.loc[c, "current_spend"])) for c in table.index}
    delta = {c: float(table.loc[c, "recommended_spend"]) - now[c] for c in table.index}
    raises = sorted((c for c in delta if delta[c] > 0), key=lambda c: -delta[c])
    cuts = sorted((c for c in delta if delta[c] < 0), key=lambda c: delta[c])
    rows = []
    for up, down in zip(raises, cuts):
        amount = min(delta[up], -delta[down])
        if amount < min_share * max(min(now[up], now[down]), 1e-9):
            continue
        reason = (f"plan: {table.loc[down, 'reason']} / {table.loc[up, 'reason']}")
        row = budget_move(fits, now, down, up, amount, metric, interval)
        row["reason"] = f"{row['reason']}; {reason}"
        rows.append(row)
    return pd.DataFrame(rows, columns=["kind", "entity_type", "entities", "old_values", "new_values", "metric",
                                       "expected_effect", "expected_low", "expected_high", "reason"])
