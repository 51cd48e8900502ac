"""Incrementality: what did the ads add over what would have happened anyway?

Two designs, both returning the lift with a confidence interval and the cost metrics built on it:

* `holdout_lift` — a randomized holdout (users who could have seen the ads but were kept out).
  Lift = treatment rate - holdout rate with the Wald interval of a difference of proportions and the
  pooled two-proportion z-test (for a count metric such as orders per user: the interval and z-test
  from the per-user sample variances); incremental conversions = lift x treatment users (Johnson, Lewis,
  Nubbemeyer 2017, "Ghost ads: improving the economics of measuring online ad effectiveness", JMR 54(6)).
* `geo_lift` — a geo experiment: ads change in treatment geos from `test_start` on. The
  difference-in-differences of the per-geo daily means, (post - pre) in treatment minus (post - pre)
  in control, is compared across geos with Welch's t (each geo collapsed to one pre/post difference,
  as Bertrand, Duflo, Mullainathan 2004, "How much should we trust differences-in-differences
  estimates?", QJE 119(1), recommend; Vaver & Koehler 2011, "Measuring ad effectiveness using geo
  experiments", Google). Incremental total = DiD x treatment geos x test days.

Cost metrics: incremental CPA = spend / incremental conversions, iROAS = incremental revenue / spend;
their intervals map the interval of the increment (an increment whose interval reaches 0 gives an
infinite CPA bound).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

HOLDOUT_COLUMNS = ("treatment_users", "treatment_conversions", "holdout_users", "holdout_conversions", "spend")


def holdout_lift(groups: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Lift of a treatment over its holdout, one result row per input row.

    Input columns: `treatment_users`, `treatment_conversions`, `holdout_users`, `holdout_conversions`,
    `spend` (treatment media cost, currency units); optional `treatment_conversions_sq`,
    `holdout_conversions_sq` (sums over users of their squared conversion counts, for a count metric
    such as orders per user, where a user can convert more than once); optional `treatment_revenue`,
    `holdout_revenue` (revenue totals) and `treatment_revenue_sq`, `holdout_revenue_sq` (sums of squared
    revenue per user). Other columns (e.g. `campaign`) are passed through.

    Without the `_conversions_sq` columns conversions are users who converted (0/1 per user) and the
    rate's variance is binomial, p (1 - p) / n; with them it is the sample variance of the per-user
    counts over n (the binomial variance undercounts the spread of a count metric).

    Adds `treatment_rate`, `holdout_rate`, `lift` (rate difference), `lift_ci_low`, `lift_ci_high`,
    `relative_lift`, `p_value`, `incremental_conversions` (+ `_ci_low`, `_ci_high`), `incremental_cpa`
    (+ CI), and with revenue `incremental_revenue` (+ CI) and `iroas` (+ CI). Without the squared
    revenue columns the revenue interval assumes the ads do not change revenue per conversion.
    """
    _require(groups, HOLDOUT_COLUMNS)
    out = groups.reset_index(drop=True).copy()
    n1, x1 = out["treatment_users"].to_numpy(float), out["treatment_conversions"].to_numpy(float)
    n0, x0 = out["holdout_users"].to_numpy(float), out["holdout_conversions"].to_numpy(float)
    p1, p0 = x1 / n1, x0 / n0
    z_crit = stats.norm.isf(alpha / 2)
    counts = "treatment_conversions_sq" in out.columns and "holdout_conversions_sq" in out.columns
    if counts:
        v1 = _sample_variance(n1, x1, out["treatment_conversions_sq"].to_numpy(float))
        v0 = _sample_variance(n0, x0, out["holdout_conversions_sq"].to_numpy(float))
    else:
        v1, v0 = p1 * (1 - p1), p0 * (1 - p0)
    half = z_crit * np.sqrt(v1 / n1 + v0 / n0)
    pooled = (x1 + x0) / (n1 + n0)
    # the test's standard error: pooled binomial for converters, unpooled (Welch's z) for counts
    se0 = np.sqrt(v1 / n1 + v0 / n0) if counts else np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    lift = p1 - p0
    out["treatment_rate"], out["holdout_rate"] = p1, p0
    out["lift"], out["lift_ci_low"], out["lift_ci_high"] = lift, lift - half, lift + half
    with np.errstate(divide="ignore", invalid="ignore"):
        out["relative_lift"] = np.where(p0 > 0, lift / p0, np.nan)
        out["p_value"] = np.where(se0 > 0, 2 * stats.norm.sf(np.abs(lift) / se0), 1.0)
    increment = np.stack([lift, lift - half, lift + half]) * n1
    _add_increment(out, "incremental_conversions", increment)
    spend = out["spend"].to_numpy(float)
    _add_cpa(out, spend, increment)
    if "treatment_revenue" in out.columns and "holdout_revenue" in out.columns:
        r1, r0 = out["treatment_revenue"].to_numpy(float), out["holdout_revenue"].to_numpy(float)
        revenue_lift = r1 / n1 - r0 / n0
        if "treatment_revenue_sq" in out.columns and "holdout_revenue_sq" in out.columns:
            w1 = _sample_variance(n1, r1, out["treatment_revenue_sq"].to_numpy(float))
            w0 = _sample_variance(n0, r0, out["holdout_revenue_sq"].to_numpy(float))
            revenue_half = z_crit * np.sqrt(w1 / n1 + w0 / n0) * n1
        else:
            per_conversion = np.divide(r1, x1, out=np.zeros_like(r1), where=x1 > 0)
            revenue_half = half * n1 * per_conversion
        revenue = revenue_lift * n1
        revenue_increment = np.stack([revenue, revenue - revenue_half, revenue + revenue_half])
        _add_increment(out, "incremental_revenue", revenue_increment)
        _add_roas(out, spend, revenue_increment)
    return out


def geo_lift(
    daily: pd.DataFrame,
    test_start: str | pd.Timestamp,
    test_end: str | pd.Timestamp | None = None,
    spend: float = 0.0,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Difference-in-differences lift of a geo experiment (one result row).

    `daily`: columns `geo`, `day`, `group` (`treatment` or `control`), `conversions`, optional
    `revenue`; one row per geo and day. Days before `test_start` are the pre period, days from
    `test_start` to `test_end` (inclusive; default the last day) the test period. `spend`: treatment
    media cost during the test (currency units).

    Returns `treatment_geos`, `control_geos`, `test_days`, `lift` (incremental conversions per
    treatment geo and day), `lift_ci_low`, `lift_ci_high`, `relative_lift` (against the
    counterfactual treatment mean), `p_value`, `incremental_conversions` (+ CI), `incremental_cpa`
    (+ CI), and with revenue `incremental_revenue` (+ CI) and `iroas` (+ CI).
    """
    _require(daily, ("geo", "day", "group", "conversions"))
    frame = daily.assign(day=pd.to_datetime(daily["day"]))
    start = pd.Timestamp(test_start)
    end = pd.Timestamp(test_end) if test_end is not None else frame["day"].max()
    frame = frame[frame["day"] <= end]
    groups = set(frame["group"].unique())
    if groups != {"treatment", "control"}:
        raise ValueError(f"group must hold treatment and control geos, found {sorted(map(str, groups))}")
    frame["period"] = np.where(frame["day"] >= start, "post", "pre")
    if set(frame["period"]) != {"pre", "post"}:
        raise ValueError("geo_lift needs days before and after test_start")
    metrics = ["conversions"] + (["revenue"] if "revenue" in frame.columns else [])
    means = frame.pivot_table(index=["group", "geo"], columns="period", values=metrics, aggfunc="mean")
    test_days = int(frame.loc[frame["period"] == "post", "day"].nunique())
    treated = means.loc["treatment"]
    control = means.loc["control"]
    out = pd.DataFrame({"treatment_geos": [len(treated)], "control_geos": [len(control)], "test_days": [test_days]})
    for metric in metrics:
        lift, low, high, p_value, relative = _did(treated[metric], control[metric], alpha)
        increment = np.array([[lift], [low], [high]]) * len(treated) * test_days
        if metric == "conversions":
            out["lift"], out["lift_ci_low"], out["lift_ci_high"] = lift, low, high
            out["relative_lift"], out["p_value"] = relative, p_value
            _add_increment(out, "incremental_conversions", increment)
            _add_cpa(out, np.array([spend]), increment)
        else:
            _add_increment(out, "incremental_revenue", increment)
            _add_roas(out, np.array([spend]), increment)
    return out


def _sample_variance(n: np.ndarray, total: np.ndarray, total_sq: np.ndarray) -> np.ndarray:
    """Sample variance (n - 1 denominator) of a per-user value from its sum and sum of squares over n users."""
    return np.maximum(total_sq - total**2 / n, 0) / np.maximum(n - 1, 1)


def _did(treated: pd.DataFrame, control: pd.DataFrame, alpha: float) -> tuple[float, float, float, float, float]:
    """(DiD, low, high, p-value, relative lift) from per-geo pre/post means, Welch across geos."""
    d1 = (treated["post"] - treated["pre"]).to_numpy()
    d0 = (control["post"] - control["pre"]).to_numpy()
    n1, n0 = len(d1), len(d0)
    if n1 < 2 or n0 < 2:
        raise ValueError("geo_lift needs at least two treatment and two control geos")
    a, b = d1.var(ddof=1) / n1, d0.var(ddof=1) / n0
    lift = float(d1.mean() - d0.mean())
    counterfactual = float(treated["pre"].mean() + d0.mean())
    relative = lift / counterfactual if counterfactual > 0 else np.nan
    se = float(np.sqrt(a + b))
    if se == 0:  # every geo moved by exactly the same amount
        return lift, lift, lift, 1.0 if lift == 0 else 0.0, relative
    df = (a + b) ** 2 / (a**2 / (n1 - 1) + b**2 / (n0 - 1))
    half = float(stats.t.isf(alpha / 2, df) * se)
    p_value = float(2 * stats.t.sf(abs(lift) / se, df))
    return lift, lift - half, lift + half, p_value, relative


def _add_increment(out: pd.DataFrame, name: str, increment: np.ndarray) -> None:
    out[name], out[f"{name}_ci_low"], out[f"{name}_ci_high"] = increment[0], increment[1], increment[2]


def _add_cpa(out: pd.DataFrame, spend: np.ndarray, increment: np.ndarray) -> None:
    """Incremental CPA; the interval bounds come from the opposite bounds of the increment."""
    with np.errstate(divide="ignore", invalid="ignore"):
        cpa = np.where(increment[0] > 0, spend / increment[0], np.nan)
        low = np.where(increment[2] > 0, spend / increment[2], np.nan)
        high = np.where(increment[1] > 0, spend / increment[1], np.inf)
    _add_increment(out, "incremental_cpa", np.stack([cpa, low, np.where(increment[2] > 0, high, np.nan)]))


def _add_roas(out: pd.DataFrame, spend: np.ndarray, increment: np.ndarray) -> None:
    with np.errstate(divide="ignore", invalid="ignore"):
        _add_increment(out, "iroas", np.where(spend > 0, increment / spend, np.nan))


def _require(frame: pd.DataFrame, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"missing column(s) {', '.join(missing)}")
