"""Frequentist tests for a treatment against its control, vectorized over many comparisons.

Every function takes numpy arrays (one entry per comparison) and returns arrays; p-values are
two-sided.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


def two_proportion_ztest(
    conversions: np.ndarray, users: np.ndarray, control_conversions: np.ndarray, control_users: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(z, p-value) of the pooled two-proportion z-test of rate = control rate.

    z = (p1 - p0) / sqrt(p (1 - p) (1/n1 + 1/n0)) with the pooled rate p = (x1 + x0) / (n1 + n0)
    (Agresti 2013, "Categorical Data Analysis", sec. 3.1; statsmodels `proportions_ztest`). When
    the pooled rate is 0 or 1 the groups are identical and the p-value is 1.
    """
    rate, control_rate = conversions / users, control_conversions / control_users
    pooled = (conversions + control_conversions) / (users + control_users)
    se = np.sqrt(pooled * (1 - pooled) * (1 / users + 1 / control_users))
    z = np.divide(rate - control_rate, se, out=np.zeros_like(se), where=se > 0)
    return z, 2 * stats.norm.sf(np.abs(z))


def rate_difference_ci(
    conversions: np.ndarray, users: np.ndarray, control_conversions: np.ndarray, control_users: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(difference, low, high): Wald interval of rate - control rate with unpooled variances."""
    rate, control_rate = conversions / users, control_conversions / control_users
    se = np.sqrt(rate * (1 - rate) / users + control_rate * (1 - control_rate) / control_users)
    half = stats.norm.isf(alpha / 2) * se
    difference = rate - control_rate
    return difference, difference - half, difference + half


def relative_ci(
    mean: np.ndarray, variance_of_mean: np.ndarray, control_mean: np.ndarray, control_variance_of_mean: np.ndarray,
    alpha: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(uplift, low, high) of mean / control mean - 1 by the delta method.

    Var(m1 / m0) ~ Var(m1) / m0**2 + m1**2 Var(m0) / m0**4 (Deng, Knoblich, Lu 2018, "Applying the delta
    method in metric analytics", KDD; Kohavi, Tang, Xu 2020, "Trustworthy Online Controlled
    Experiments", ch. 18). NaN when the control mean is 0.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        uplift = np.where(control_mean != 0, mean / control_mean - 1, np.nan)
        se = np.sqrt(variance_of_mean / control_mean**2 + mean**2 * control_variance_of_mean / control_mean**4)
    half = stats.norm.isf(alpha / 2) * se
    return uplift, uplift - half, uplift + half


def welch_ttest_from_sums(
    users: np.ndarray, total: np.ndarray, total_sq: np.ndarray,
    control_users: np.ndarray, control_total: np.ndarray, control_total_sq: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(t, degrees of freedom, p-value) of Welch's t-test on per-user means given sums and sums of squares.

    mean = S / n, sample variance = (SS - S**2 / n) / (n - 1); t = (m1 - m0) / sqrt(v1/n1 + v0/n0) with
    Welch-Satterthwaite degrees of freedom (Welch 1947, Biometrika 34; scipy `ttest_ind_from_stats`
    with `equal_var=False`).
    """
    mean, variance = mean_and_variance(users, total, total_sq)
    control_mean, control_variance = mean_and_variance(control_users, control_total, control_total_sq)
    a, b = variance / users, control_variance / control_users
    se = np.sqrt(a + b)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se > 0, (mean - control_mean) / se, 0.0)
        df = np.where(se > 0, (a + b) ** 2 / (a**2 / (users - 1) + b**2 / (control_users - 1)), 1.0)
    return t, df, 2 * stats.t.sf(np.abs(t), df)


def mean_and_variance(users: np.ndarray, total: np.ndarray, total_sq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-user mean and unbiased sample variance from n, sum and sum of squares (variance >= 0)."""
    mean = total / users
    variance = np.maximum(total_sq - total * mean, 0.0) / np.maximum(users - 1, 1)
    return mean, variance


def holm(p_values: np.ndarray, family: np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values, separately within each `family` (e.g. one experiment).

    Sort the m p-values of a family ascending; adjusted_(i) = max over j <= i of min(1, (m - j + 1) p_(j))
    (Holm 1979, "A simple sequentially rejective multiple test procedure", Scand. J. Statist. 6;
    statsmodels `multipletests(method="holm")`). NaN p-values stay NaN and do not count in m.
    """
    p_values = np.asarray(p_values, dtype=np.float64)
    adjusted = np.full(len(p_values), np.nan)
    valid = np.flatnonzero(~np.isnan(p_values))
    if not len(valid):
        return adjusted
    _, family_id = np.unique(np.asarray(family)[valid], return_inverse=True)
    order = np.lexsort((p_values[valid], family_id))
    index, fam = valid[order], family_id[order]
    size = np.bincount(fam)
    rank = np.arange(len(index)) - np.concatenate([[0], np.cumsum(size)[:-1]])[fam]
    scaled = pd.Series(np.minimum(1.0, (size[fam] - rank) * p_values[index]))
    adjusted[index] = scaled.groupby(fam).cummax().to_numpy()
    return adjusted
