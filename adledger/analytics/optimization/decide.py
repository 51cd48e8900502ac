"""The statistics that keep or revert an applied change.

Two estimates of a change's effect (metric per day, e.g. conversions/day, summed over the entities it touched):

* `observed_change` — after minus before: the mean of the daily sums in the window after the change (past a
  burn-in for the adstock to settle) minus the mean in an equally long window before it, with Welch's t
  (Welch 1947, "The generalization of 'Student's' problem when several different population variances are
  involved", Biometrika 34) and a one-sided p-value for "no gain". Its probability of a gain is the posterior
  P(effect > 0) under a flat prior, `t_df.cdf(effect / se)`. Unbiased, but the daily noise of every conversion of
  the entities weighs on it, so small reallocations stay inconclusive for weeks.
* `modelled_change` — the response curves refitted on all data up to the end of the observation window (so the
  days spent at the new levels are in them): sum of `f(new) - f(old)` over the entities, with the bootstrap
  replicates' share of gains as its probability. The curves pool every day of the history, so they resolve
  much smaller effects than a before/after comparison, at the price of trusting the curve family.

`decide` keeps a change whose probability of a gain reaches `keep_probability`, else reverts it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy import stats

from adledger.analytics.optimization.fit import CurveFit


def observed_change(before: np.ndarray, after: np.ndarray, interval: float = 0.9) -> dict:
    """Difference of means (after - before) of two series of daily sums, with Welch's t.

    Returns `effect`, `low`, `high` (the `interval` confidence interval), `se`, `statistic` (t), `df`,
    `p_value` (one-sided, H0: effect <= 0) and `probability_of_gain`.
    """
    before, after = np.asarray(before, float), np.asarray(after, float)
    if len(before) < 2 or len(after) < 2:
        raise ValueError("need at least two days before and two days after the change")
    effect = float(after.mean() - before.mean())
    v1, v0 = after.var(ddof=1) / len(after), before.var(ddof=1) / len(before)
    se = float(np.sqrt(v1 + v0))
    if se == 0.0:
        sign = float(np.sign(effect))
        return {"effect": effect, "low": effect, "high": effect, "se": 0.0, "statistic": sign * np.inf,
                "df": float(len(before) + len(after) - 2), "p_value": 0.0 if effect > 0 else 1.0,
                "probability_of_gain": 1.0 if effect > 0 else 0.0 if effect < 0 else 0.5}
    # Welch-Satterthwaite degrees of freedom
    df = float((v1 + v0) ** 2 / (v1**2 / (len(after) - 1) + v0**2 / (len(before) - 1))) if v1 + v0 > 0 else 1.0
    t = effect / se
    half = float(stats.t.isf((1.0 - interval) / 2.0, df)) * se
    return {"effect": effect, "low": effect - half, "high": effect + half, "se": se, "statistic": float(t),
            "df": df, "p_value": float(stats.t.sf(t, df)), "probability_of_gain": float(stats.t.cdf(t, df))}


def modelled_change(
    fits: Mapping[str, CurveFit],
    entities: Sequence[str],
    old: Sequence[float],
    new: Sequence[float],
    interval: float = 0.9,
    weights: Sequence[float] | None = None,
) -> dict:
    """Steady-state change of the summed response when `entities` go from `old` to `new` daily spend (USD/day).

    `weights` multiply each entity's conversions (e.g. revenue per conversion; default 1). Returns `effect`
    (point fit), `low`, `high` (bootstrap percentiles re-centred on the point estimate), `se` (replicates' standard
    deviation) and `probability_of_gain` (share of centred replicates above 0).
    """
    missing = [e for e in entities if e not in fits]
    if missing:
        raise KeyError(f"no response curve for {', '.join(missing)}")
    w = np.ones(len(entities)) if weights is None else np.asarray(weights, float)
    point = sum(wi * float(fits[e].curve.response(n) - fits[e].curve.response(o))
                for e, o, n, wi in zip(entities, old, new, w))
    replicates = min(len(fits[e].samples) for e in entities)
    reps = sum(wi * (fits[e].response_samples(n)[:replicates] - fits[e].response_samples(o)[:replicates])
               for e, o, n, wi in zip(entities, old, new, w))
    reps = np.asarray(reps, float) - np.median(reps) + point
    tail = (1.0 - interval) / 2.0 * 100.0
    low, high = np.percentile(reps, [tail, 100.0 - tail])
    gain = float(np.mean(reps > 0) + 0.5 * np.mean(reps == 0))
    return {"effect": float(point), "low": float(low), "high": float(high), "se": float(np.std(reps)),
            "probability_of_gain": gain}


def decide(probability_of_gain: float, keep_probability: float = 0.5) -> str:
    """`kept` when the probability of a gain reaches `keep_probability`, else `reverted`."""
    return "kept" if probability_of_gain >= keep_probability else "reverted"
