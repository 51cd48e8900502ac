"""`analyze_experiment`: A/B and multivariate results per variant, with a decision.

Input (one row per variant; the first row of each experiment is its control):

| column | required | meaning |
| --- | --- | --- |
| `variant` | yes | variant name |
| `users` | yes | users assigned (integer > 0) |
| `conversions` | yes | users who converted (0 <= conversions <= users) |
| `revenue_sum` | no | revenue of the variant's users (currency units) |
| `revenue_sum_sq` | with `revenue_sum` | sum over users of revenue squared (for the variance) |
| `expected_share` | no | planned share of users (any scale; equal split when absent) |
| `experiment` | no | experiment id; each experiment is analyzed separately |

Output, one row per variant (`experiment` first when given):

* `variant`, `users`, `conversions`, `rate` (conversions / users)
* `diff`, `diff_ci_low`, `diff_ci_high`: rate - control rate, Wald interval (absolute)
* `uplift`, `ci_low`, `ci_high`: rate / control rate - 1 and its delta-method interval (relative)
* `p_value`: two-proportion z-test against control; `p_value_adjusted`: Holm over the experiment's
  treatments
* `chance_to_beat_control`: Bayesian P(rate > control rate), Beta(1, 1) priors
* `srm_p_value`, `srm`: sample-ratio mismatch chi-square p-value and flag (p < 0.001)
* `power`: power to detect a relative change of `min_effect` with the users so far (at level
  alpha / number of treatments); `users_needed`: users per variant that change needs for `power_target`
* with revenue: `revenue_per_user`, `revenue_uplift`, `revenue_ci_low`, `revenue_ci_high` (relative,
  delta method), `revenue_p_value` (Welch t-test), `revenue_p_value_adjusted` (Holm)
* `decision`: `ship`, `keep running`, `stop: no effect`, `invalid: SRM`

The control row has `diff` and `uplift` 0 and empty p-values, intervals, chance and power.

Decision on the primary metric (`metric="conversion"` or `"revenue"`): `invalid: SRM` for every
row when the split is off; else `ship` when the adjusted p-value is below alpha and the effect is
positive; `stop: no effect` when it is significantly negative (no positive effect to ship) or when
the test already has `power_target` power to detect `min_effect` and found nothing; otherwise
`keep running`. The control row gets a decision only when the experiment is invalid.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from adledger.analytics.experiments.bayes import chance_to_beat
from adledger.analytics.experiments.power import achieved_power, users_needed
from adledger.analytics.experiments.significance import (
    holm,
    mean_and_variance,
    rate_difference_ci,
    relative_ci,
    two_proportion_ztest,
    welch_ttest_from_sums,
)
from adledger.analytics.experiments.srm import SRM_THRESHOLD, srm_p_values

SHIP, KEEP_RUNNING, STOP, INVALID = "ship", "keep running", "stop: no effect", "invalid: SRM"
DECISIONS = (SHIP, KEEP_RUNNING, STOP, INVALID)
REQUIRED_COLUMNS = ("variant", "users", "conversions")


class ExperimentDataError(ValueError):
    """The variant table cannot be analyzed (missing column, bad counts, a lone variant)."""


def analyze_experiment(
    variants: pd.DataFrame,
    alpha: float = 0.05,
    min_effect: float = 0.1,
    power_target: float = 0.8,
    metric: str = "conversion",
) -> pd.DataFrame:
    """Analyze A/B or multivariate tests given per-variant totals (columns in the module docstring).

    `alpha`: two-sided significance level. `min_effect`: smallest relative change worth detecting
    (0.1 = 10 %), used by `power`, `users_needed` and the decision. `metric`: the primary metric of
    the decision, `conversion` (rate) or `revenue` (revenue per user; needs the revenue columns).
    """
    frame = _validated(variants, metric)
    has_revenue = "revenue_sum" in frame.columns
    experiment = frame["experiment"].to_numpy() if "experiment" in frame.columns else np.zeros(len(frame))
    grouped = frame.assign(_experiment=experiment).groupby("_experiment", sort=False)
    is_control = (grouped.cumcount() == 0).to_numpy()
    control = grouped[frame.columns.drop(["variant", "experiment"], errors="ignore").tolist()].transform("first")
    treatments = grouped["users"].transform("size").to_numpy() - 1

    users, conversions = frame["users"].to_numpy(float), frame["conversions"].to_numpy(float)
    control_users, control_conversions = control["users"].to_numpy(float), control["conversions"].to_numpy(float)
    rate, control_rate = conversions / users, control_conversions / control_users
    _, p_value = two_proportion_ztest(conversions, users, control_conversions, control_users)
    diff, diff_low, diff_high = rate_difference_ci(conversions, users, control_conversions, control_users, alpha)
    uplift, low, high = relative_ci(
        rate, rate * (1 - rate) / users, control_rate, control_rate * (1 - control_rate) / control_users, alpha
    )
    share = frame["expected_share"].to_numpy(float) if "expected_share" in frame.columns else np.ones(len(frame))
    srm_p = srm_p_values(users, share, experiment)
    family_alpha = alpha / np.maximum(treatments, 1)

    out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    if "experiment" in frame.columns:
        out["experiment"] = experiment
    out["variant"] = frame["variant"].to_numpy()
    out["users"] = frame["users"].to_numpy()
    out["conversions"] = frame["conversions"].to_numpy()
    out["rate"] = rate
    out["diff"], out["diff_ci_low"], out["diff_ci_high"] = diff, diff_low, diff_high
    out["uplift"], out["ci_low"], out["ci_high"] = uplift, low, high
    out["p_value"] = p_value
    out["p_value_adjusted"] = holm(np.where(is_control, np.nan, p_value), experiment)
    out["chance_to_beat_control"] = [
        np.nan if c else chance_to_beat(x, n, cx, cn)
        for c, x, n, cx, cn in zip(is_control, conversions, users, control_conversions, control_users)
    ]
    out["srm_p_value"] = srm_p
    out["srm"] = srm_p < SRM_THRESHOLD
    out["power"] = achieved_power(control_rate, min_effect, users, control_users, family_alpha)
    out["users_needed"] = users_needed(control_rate, min_effect, family_alpha, power_target)
    revenue_power = np.full(len(frame), np.nan)
    if has_revenue:
        revenue_power = _add_revenue(out, frame, control, experiment, is_control, alpha, family_alpha, min_effect)
    if metric == "revenue":
        effect, p_adjusted, power = out["revenue_uplift"], out["revenue_p_value_adjusted"], revenue_power
    else:
        effect, p_adjusted, power = out["diff"], out["p_value_adjusted"], out["power"].to_numpy()
    blank = [c for c in out.columns if c in _TREATMENT_ONLY]
    out.loc[is_control, blank] = np.nan
    out.loc[is_control, [c for c in ("diff", "uplift", "revenue_uplift") if c in out.columns]] = 0.0
    out["decision"] = _decide(
        effect.to_numpy(), p_adjusted.to_numpy(), power, out["srm"].to_numpy(), is_control, alpha, power_target
    )
    return out.reset_index(drop=True)


#: columns left empty on the control row
_TREATMENT_ONLY = (
    "diff_ci_low", "diff_ci_high", "ci_low", "ci_high", "p_value", "p_value_adjusted", "chance_to_beat_control",
    "power", "revenue_ci_low", "revenue_ci_high", "revenue_p_value", "revenue_p_value_adjusted",
)


def _add_revenue(
    out: pd.DataFrame, frame: pd.DataFrame, control: pd.DataFrame, experiment: np.ndarray, is_control: np.ndarray,
    alpha: float, family_alpha: np.ndarray, min_effect: float,
) -> np.ndarray:
    """Add the revenue-per-user columns; return the power to detect `min_effect` in revenue per user."""
    users, control_users = frame["users"].to_numpy(float), control["users"].to_numpy(float)
    total, total_sq = frame["revenue_sum"].to_numpy(float), frame["revenue_sum_sq"].to_numpy(float)
    control_total, control_sq = control["revenue_sum"].to_numpy(float), control["revenue_sum_sq"].to_numpy(float)
    mean, variance = mean_and_variance(users, total, total_sq)
    control_mean, control_variance = mean_and_variance(control_users, control_total, control_sq)
    _, _, p_value = welch_ttest_from_sums(users, total, total_sq, control_users, control_total, control_sq)
    uplift, low, high = relative_ci(mean, variance / users, control_mean, control_variance / control_users, alpha)
    out["revenue_per_user"] = mean
    out["revenue_uplift"], out["revenue_ci_low"], out["revenue_ci_high"] = uplift, low, high
    out["revenue_p_value"] = p_value
    out["revenue_p_value_adjusted"] = holm(np.where(is_control, np.nan, p_value), experiment)
    se = np.sqrt(variance / users + control_variance / control_users)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.abs(min_effect * control_mean) / se - stats.norm.isf(family_alpha / 2)
    return np.where(se > 0, stats.norm.cdf(z), np.nan)


def _decide(
    effect: np.ndarray, p_adjusted: np.ndarray, power: np.ndarray, srm: np.ndarray, is_control: np.ndarray,
    alpha: float, power_target: float,
) -> np.ndarray:
    significant = p_adjusted < alpha
    decision = np.select(
        [srm, significant & (effect > 0), significant, power >= power_target],
        [INVALID, SHIP, STOP, STOP],
        default=KEEP_RUNNING,
    ).astype(object)
    decision[is_control & ~srm] = None
    return decision


def _validated(variants: pd.DataFrame, metric: str) -> pd.DataFrame:
    missing = [c for c in REQUIRED_COLUMNS if c not in variants.columns]
    if missing:
        raise ExperimentDataError(
            f"missing column(s) {', '.join(missing)}; the input needs variant, users, conversions "
            "(optional: revenue_sum, revenue_sum_sq, expected_share, experiment)"
        )
    if variants.empty:
        raise ExperimentDataError("the variant table has no rows")
    if metric not in ("conversion", "revenue"):
        raise ExperimentDataError(f"metric must be conversion or revenue, not {metric!r}")
    if ("revenue_sum" in variants.columns) != ("revenue_sum_sq" in variants.columns):
        raise ExperimentDataError("give revenue_sum and revenue_sum_sq together (sum of revenue and of its squares)")
    if metric == "revenue" and "revenue_sum" not in variants.columns:
        raise ExperimentDataError("metric revenue needs the columns revenue_sum and revenue_sum_sq")
    numeric = [c for c in ("users", "conversions", "revenue_sum", "revenue_sum_sq", "expected_share") if c in variants]
    frame = variants.reset_index(drop=True)
    for column in numeric:
        values = pd.to_numeric(frame[column], errors="coerce")
        if values.isna().any():
            raise ExperimentDataError(f"column {column} has empty or non-numeric values")
        if (values < 0).any():
            raise ExperimentDataError(f"column {column} has negative values")
        frame[column] = values
    if (frame["users"] <= 0).any():
        raise ExperimentDataError("every variant needs users > 0")
    if (frame["conversions"] > frame["users"]).any():
        bad = frame.loc[frame["conversions"] > frame["users"], "variant"].iloc[0]
        raise ExperimentDataError(f"variant {bad!r} has more conversions than users")
    keys = frame["experiment"] if "experiment" in frame.columns else pd.Series(0, index=frame.index)
    if (keys.groupby(keys, sort=False).transform("size") < 2).any():
        raise ExperimentDataError("every experiment needs a control row and at least one other variant")
    return frame
