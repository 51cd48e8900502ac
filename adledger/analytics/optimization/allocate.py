"""Budget reallocation: split a total daily budget over channels so marginal returns are equal.

Given fitted response curves, the plan maximizes `sum_i w_i * f_i(s_i)` subject to `sum_i s_i = budget` and
`lo_i <= s_i <= hi_i` (`f_i` a channel's steady-state conversions/day at daily spend `s_i`, `w_i` 1 for
conversions or the channel's revenue per conversion for revenue). At the optimum every channel strictly inside
its bounds has the same marginal return `w_i * f_i'(s_i)` (the Karush-Kuhn-Tucker conditions; the classic
equal-marginal-return rule of budget allocation, e.g. Jin et al. 2017, section 6), channels at a bound have a
lower (upper bound) or higher (lower bound) one. The problem is solved by SLSQP (`scipy.optimize.minimize`,
Kraft 1988) with analytic gradients from several starts.

Bounds: `max_change` (default 30 %) around the current spend mix scaled to the budget, intersected with hard
`min_spend` / `max_spend` per channel. Channels whose curve is not identified are held at their current share.

Target objectives spend *up to* the budget: `target_cpa` finds the largest total spend whose expected CPA
(spend / expected conversions) is at most the target, allocated for the most conversions; `target_roas` the
largest whose expected ROAS (expected revenue / spend) is at least the target. The expected CPA of the
best plan grows with its total spend (the curves are concave over the range searched), so the largest feasible
spend is found by a scan and bisection.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from adledger.analytics.optimization.fit import CurveFit

OBJECTIVES: tuple[str, ...] = ("conversions", "revenue", "target_cpa", "target_roas")


class PlanError(ValueError):
    """The budget, bounds or objective cannot produce a plan (the message says what to change)."""


@dataclass(frozen=True)
class BudgetPlan:
    """A recommended allocation: one row per channel (`table`) and the plan's totals (`summary`)."""

    table: pd.DataFrame
    summary: dict


def _bounds(fits: list[CurveFit], reference: np.ndarray, max_change: float, min_spend: Mapping[str, float],
            max_spend: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
    lo = reference * (1.0 - max_change)
    hi = reference * (1.0 + max_change)
    for i, fit in enumerate(fits):
        if not fit.identified:
            lo[i] = hi[i] = reference[i]
        if fit.entity in min_spend:
            lo[i] = max(lo[i], float(min_spend[fit.entity]))
            hi[i] = max(hi[i], lo[i])
        if fit.entity in max_spend:
            hi[i] = min(hi[i], float(max_spend[fit.entity]))
            lo[i] = min(lo[i], hi[i])
    return np.maximum(lo, 0.0), np.maximum(hi, 0.0)


def _solve(fits: list[CurveFit], weights: np.ndarray, lo: np.ndarray, hi: np.ndarray, total: float,
           reference: np.ndarray) -> np.ndarray:
    """The allocation of `total` within [lo, hi] with the highest weighted response (SLSQP, best of 3 starts)."""
    free = hi - lo
    room = total - lo.sum()
    if room < -1e-6 * max(total, 1.0) or room > free.sum() + 1e-6 * max(total, 1.0):
        raise PlanError(f"a total of {total:,.2f}/day is outside what the bounds allow "
                        f"({lo.sum():,.2f} .. {hi.sum():,.2f}/day): change the budget or widen the bounds")
    movable = free > 1e-9 * max(total, 1.0)
    if not movable.any() or free[movable].sum() <= 0:
        return lo.copy()
    width = free[movable]

    def spend_of(u: np.ndarray) -> np.ndarray:
        s = lo.copy()
        s[movable] += u * width
        return s

    def value(u: np.ndarray) -> float:
        s = spend_of(u)
        return -float(sum(w * f.curve.response(x) for f, w, x in zip(fits, weights, s)))

    def gradient(u: np.ndarray) -> np.ndarray:
        s = spend_of(u)
        g = np.array([w * f.curve.marginal(x) for f, w, x in zip(fits, weights, s)])
        return -g[movable] * width

    share = min(max(room / width.sum(), 0.0), 1.0)
    ref_u = np.clip((reference[movable] - lo[movable]) / width, 0.0, 1.0)
    starts = [np.full(movable.sum(), share), ref_u, _greedy_start(fits, weights, lo, hi, room, movable, width)]
    constraint = {"type": "eq", "fun": lambda u: (u * width).sum() - room, "jac": lambda u: width.copy()}
    best, best_value = starts[0], np.inf
    for u0 in starts:
        result = minimize(value, u0, jac=gradient, method="SLSQP", bounds=[(0.0, 1.0)] * len(u0),
                          constraints=[constraint], options={"maxiter": 500, "ftol": 1e-12})
        u = _onto_total(result.x, width, room)
        v = value(u)
        if v < best_value:
            best, best_value = u, v
    return spend_of(best)


def _onto_total(u: np.ndarray, width: np.ndarray, room: float) -> np.ndarray:
    """Shift `u` by a constant and clip to [0, 1] so that `sum(u * width) == room` (bisection on the shift)."""
    low, high = -1.0 - float(u.max()), 1.0 - float(u.min())
    for _ in range(100):
        mid = (low + high) / 2
        if (np.clip(u + mid, 0.0, 1.0) * width).sum() < room:
            low = mid
        else:
            high = mid
    return np.clip(u + (low + high) / 2, 0.0, 1.0)


def _greedy_start(fits: list[CurveFit], weights: np.ndarray, lo: np.ndarray, hi: np.ndarray, room: float,
                  movable: np.ndarray, width: np.ndarray, steps: int = 200) -> np.ndarray:
    """Hand out `room` in small equal slices, each to the channel with the highest marginal return."""
    s = lo.copy()
    slice_ = room / steps
    idx = np.flatnonzero(movable)
    for _ in range(steps):
        marg = np.array([weights[i] * fits[i].curve.marginal(s[i] + slice_ / 2) for i in idx])
        marg[s[idx] + slice_ > hi[idx] + 1e-9] = -np.inf
        if not np.isfinite(marg).any():
            break
        s[idx[int(np.argmax(marg))]] += slice_
    return np.clip((s[movable] - lo[movable]) / width, 0.0, 1.0)


def _weights(fits: list[CurveFit], objective: str) -> np.ndarray:
    if objective in ("conversions", "target_cpa"):
        return np.ones(len(fits))
    values = np.array([f.value_per_conversion for f in fits])
    unknown = [f.entity for f, v in zip(fits, values) if not np.isfinite(v)]
    if unknown:
        raise PlanError(f"no revenue per conversion for {', '.join(unknown)}: a revenue objective needs a revenue "
                        "column with revenue wherever there are conversions")
    return values


def _expected(fits: list[CurveFit], spend: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Point (channels,) and replicate (replicates, channels) steady-state conversions/day incl. base."""
    point = np.array([f.curve.base + f.curve.response(s) for f, s in zip(fits, spend)])
    replicates = min(len(f.samples) for f in fits)
    reps = np.column_stack([f.samples[:replicates, 4] + f.response_samples(s)[:replicates] for f, s in zip(fits, spend)])
    return point, reps


def _largest_feasible(ok, low: float, high: float, scan: int = 24, iterations: int = 30) -> float | None:
    """Largest total in [low, high] with ok(total) true, assuming ok is true below a threshold and false above."""
    grid = np.linspace(low, high, scan + 1)
    feasible = [t for t in grid if ok(t)]
    if not feasible:
        return None
    a = max(feasible)
    if a >= high:
        return high
    b = grid[np.searchsorted(grid, a) + 1]
    for _ in range(iterations):
        mid = (a + b) / 2
        a, b = (mid, b) if ok(mid) else (a, mid)
    return a


def allocate_budget(
    fits: Mapping[str, CurveFit],
    budget: float,
    objective: str = "conversions",
    target: float | None = None,
    current: Mapping[str, float] | None = None,
    max_change: float = 0.3,
    min_spend: Mapping[str, float] | None = None,
    max_spend: Mapping[str, float] | None = None,
    interval: float = 0.9,
) -> BudgetPlan:
    """Recommend daily spend per channel for a total daily `budget` (USD/day).

    `objective`: `conversions` or `revenue` (spend exactly the budget for the most of it), `target_cpa` or
    `target_roas` (spend at most the budget, meeting `target`, USD per conversion or revenue per USD).
    `current` overrides each fit's `current_spend` (USD/day). `interval` is the probability of the
    bootstrap intervals reported for the expected changes.

    Table columns: `channel`, `current_spend`, `reference_spend` (the current mix scaled to the plan's total),
    `min_spend`, `max_spend` (effective bounds), `recommended_spend`, `change`, `change_pct` (vs reference),
    `reference_conversions`, `expected_conversions`, `expected_change`, `expected_change_low`,
    `expected_change_high` (conversions/day), `value_per_conversion`, `marginal_cpa_current`,
    `marginal_cpa_recommended`, `marginal_roas_current`, `marginal_roas_recommended`, `reason`.
    Summary keys: `objective`, `target`, `budget`, `total_current`, `total_recommended`, `reference_conversions`,
    `expected_conversions`, `expected_change`, `expected_change_low`, `expected_change_high` and the same for
    revenue when values are known, `expected_cpa`, `expected_roas`, `note`.
    """
    if objective not in OBJECTIVES:
        raise PlanError(f"unknown objective {objective!r}; choose one of {', '.join(OBJECTIVES)}")
    if objective.startswith("target") and (target is None or not target > 0):
        raise PlanError(f"objective {objective} needs a positive target")
    if not budget > 0:
        raise PlanError(f"the budget must be positive, got {budget}")
    if not 0 <= max_change:
        raise PlanError(f"max_change must be >= 0, got {max_change}")
    items = [fits[k] for k in sorted(fits)]
    if not items:
        raise PlanError("no channels to allocate")
    min_spend, max_spend = dict(min_spend or {}), dict(max_spend or {})
    cur = np.array([float((current or {}).get(f.entity, f.current_spend)) for f in items])
    if cur.sum() <= 0:
        raise PlanError("current spend is zero everywhere: nothing to scale the plan from")
    weights = _weights(items, objective)
    note = ""
    if objective in ("conversions", "revenue"):
        reference = cur * budget / cur.sum()
        lo, hi = _bounds(items, reference.copy(), max_change, min_spend, max_spend)
        recommended = _solve(items, weights, lo, hi, budget, reference)
    else:
        reference = cur.copy()
        lo, hi = _bounds(items, reference.copy(), max_change, min_spend, max_spend)

        def plan_at(total: float) -> np.ndarray:
            return _solve(items, weights, lo, hi, total, reference * total / reference.sum())

        def meets(total: float) -> bool:
            s = plan_at(total)
            conv, _ = _expected(items, s)
            if objective == "target_cpa":
                return s.sum() <= target * conv.sum() + 1e-9
            return float(weights @ conv) >= target * s.sum() - 1e-9

        top = min(budget, hi.sum())
        if top < lo.sum():
            raise PlanError(f"the budget {budget:,.2f}/day is below the bounds' minimum {lo.sum():,.2f}/day")
        total = _largest_feasible(meets, lo.sum(), top)
        if total is None:
            total = lo.sum()
            note = (f"no plan within the bounds meets the target {target:g}; the lowest-spend plan is shown: "
                    "widen the bounds (max change) or relax the target")
        elif total < budget - 1e-6:
            note = f"spends {total:,.2f} of the {budget:,.2f}/day budget: the largest spend that meets the target"
        recommended = plan_at(total)
    return _plan(items, objective, target, budget, cur, reference, lo, hi, recommended, weights, interval, note)


def _plan(items: list[CurveFit], objective: str, target: float | None, budget: float, cur: np.ndarray,
          reference: np.ndarray, lo: np.ndarray, hi: np.ndarray, recommended: np.ndarray, weights: np.ndarray,
          interval: float, note: str) -> BudgetPlan:
    tail = (1.0 - interval) / 2.0 * 100.0
    ref_conv, ref_reps = _expected(items, reference)
    rec_conv, rec_reps = _expected(items, recommended)
    # replicates fitted on a grid scatter around a slightly different centre than the polished point fit:
    # shift their spread onto the point estimate (percentile interval of the deviations)
    delta_reps = _centred(rec_reps - ref_reps, rec_conv - ref_conv)
    values = np.array([f.value_per_conversion for f in items])
    marg_ref = np.array([f.curve.marginal(s) for f, s in zip(items, reference)])
    marg_rec = np.array([f.curve.marginal(s) for f, s in zip(items, recommended)])
    with np.errstate(divide="ignore", invalid="ignore"):
        table = pd.DataFrame({
            "channel": [f.entity for f in items],
            "current_spend": cur,
            "reference_spend": reference,
            "min_spend": lo,
            "max_spend": hi,
            "recommended_spend": recommended,
            "change": recommended - reference,
            "change_pct": np.where(reference > 0, recommended / reference - 1.0, np.nan),
            "reference_conversions": ref_conv,
            "expected_conversions": rec_conv,
            "expected_change": rec_conv - ref_conv,
            "expected_change_low": np.percentile(delta_reps, tail, axis=0),
            "expected_change_high": np.percentile(delta_reps, 100 - tail, axis=0),
            "value_per_conversion": values,
            "marginal_cpa_current": 1.0 / marg_ref,
            "marginal_cpa_recommended": 1.0 / marg_rec,
            "marginal_roas_current": values * marg_ref,
            "marginal_roas_recommended": values * marg_rec,
        })
    table["reason"] = _reasons(items, table, weights * marg_rec, objective)
    total_delta = _centred((rec_reps - ref_reps).sum(axis=1), float((rec_conv - ref_conv).sum()))
    summary = {
        "objective": objective, "target": target, "budget": budget,
        "total_current": float(cur.sum()), "total_recommended": float(recommended.sum()),
        "reference_conversions": float(ref_conv.sum()), "expected_conversions": float(rec_conv.sum()),
        "expected_change": float(rec_conv.sum() - ref_conv.sum()),
        "expected_change_low": float(np.percentile(total_delta, tail)),
        "expected_change_high": float(np.percentile(total_delta, 100 - tail)),
        "expected_cpa": float(recommended.sum() / rec_conv.sum()) if rec_conv.sum() > 0 else float("inf"),
        "note": note,
    }
    if np.isfinite(values).all():
        rev_delta = _centred((rec_reps - ref_reps) @ values, float((rec_conv - ref_conv) @ values))
        summary.update({
            "reference_revenue": float(ref_conv @ values), "expected_revenue": float(rec_conv @ values),
            "expected_revenue_change": float((rec_conv - ref_conv) @ values),
            "expected_revenue_change_low": float(np.percentile(rev_delta, tail)),
            "expected_revenue_change_high": float(np.percentile(rev_delta, 100 - tail)),
            "expected_roas": float(rec_conv @ values / recommended.sum()) if recommended.sum() > 0 else 0.0,
        })
    return BudgetPlan(table=table, summary=summary)


def _centred(replicates: np.ndarray, point: np.ndarray | float) -> np.ndarray:
    """Replicates moved so their median is the point estimate (along the replicate axis 0)."""
    return replicates - np.median(replicates, axis=0) + point


def _reasons(items: list[CurveFit], table: pd.DataFrame, marginal_value: np.ndarray, objective: str) -> list[str]:
    """One sentence per channel: why its spend moves (or not), in marginal CPA or marginal ROAS terms."""
    revenue = objective in ("revenue", "target_roas")
    inside = (table["recommended_spend"] > table["min_spend"] * 1.001) & \
        (table["recommended_spend"] < table["max_spend"] * 0.999)
    movable = table["max_spend"] > table["min_spend"]
    pool = marginal_value[(inside & movable).to_numpy()]
    if not len(pool):
        pool = marginal_value[movable.to_numpy()] if movable.any() else marginal_value
    level = float(np.median(pool))

    def show(marginal: float) -> str:
        if revenue:
            return f"marginal ROAS {marginal:.2f}"
        return f"marginal CPA {1.0 / marginal:,.2f}" if marginal > 0 else "marginal CPA unbounded"

    plan_level = show(level).replace("marginal ", "")
    reasons = []
    for fit, row in zip(items, table.itertuples(index=False)):
        now = row.value_per_conversion / row.marginal_cpa_current if revenue else 1.0 / row.marginal_cpa_current
        if not fit.identified:
            reasons.append(f"hold: {fit.note}")
            continue
        if row.change_pct > 0.01:
            verb = "raise to its upper bound" if row.recommended_spend >= row.max_spend * 0.999 else "raise"
        elif row.change_pct < -0.01:
            verb = "cut to its lower bound" if row.recommended_spend <= row.min_spend * 1.001 else "cut"
        else:
            verb = "hold"
        beyond = "; beyond the spend seen in the data" if not (
            fit.spend_low * 0.9 <= row.recommended_spend <= fit.spend_high * 1.1) else ""
        reasons.append(f"{verb}: {show(now)} now vs {plan_level} for the plan{beyond}")
    return reasons
