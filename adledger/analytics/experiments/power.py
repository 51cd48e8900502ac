"""Power and sample size for comparing two conversion rates (normal approximation).

For rates p0 (control) and p1 = p0 (1 + effect), two-sided level alpha and power 1 - beta, the users
needed per variant are

    n = (z_{1-alpha/2} sqrt(2 pbar (1 - pbar)) + z_{1-beta} sqrt(p0 (1 - p0) + p1 (1 - p1)))**2 / (p1 - p0)**2

with pbar = (p0 + p1) / 2 (Fleiss, Levin, Paik 2003, "Statistical Methods for Rates and
Proportions", eq. 4.14, without continuity correction). The power reached with n1 and n0 users is
Phi((|p1 - p0| - z_{1-alpha/2} sqrt(pbar (1 - pbar) (1/n1 + 1/n0))) / sqrt(p1 (1 - p1)/n1 + p0 (1 - p0)/n0)).
"""

from __future__ import annotations

import numpy as np
from scipy import stats


def users_needed(control_rate: np.ndarray, relative_effect: float, alpha: float, power: float = 0.8) -> np.ndarray:
    """Users per variant to detect a relative change `relative_effect` of `control_rate` (ceil, NaN if undefined)."""
    p0 = np.asarray(control_rate, dtype=np.float64)
    p1 = np.clip(p0 * (1 + relative_effect), 0.0, 1.0)
    pbar = (p0 + p1) / 2
    numerator = (
        stats.norm.isf(alpha / 2) * np.sqrt(2 * pbar * (1 - pbar))
        + stats.norm.isf(1 - power) * np.sqrt(p0 * (1 - p0) + p1 * (1 - p1))
    ) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p1 != p0, np.ceil(numerator / (p1 - p0) ** 2), np.nan)


def achieved_power(
    control_rate: np.ndarray, relative_effect: float, users: np.ndarray, control_users: np.ndarray, alpha: float
) -> np.ndarray:
    """Power of the two-sided test to detect a relative change `relative_effect` with the users at hand."""
    p0 = np.asarray(control_rate, dtype=np.float64)
    p1 = np.clip(p0 * (1 + relative_effect), 0.0, 1.0)
    pbar = (p0 + p1) / 2
    null_se = np.sqrt(pbar * (1 - pbar) * (1 / users + 1 / control_users))
    alternative_se = np.sqrt(p1 * (1 - p1) / users + p0 * (1 - p0) / control_users)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (np.abs(p1 - p0) - stats.norm.isf(alpha / 2) * null_se) / alternative_se
    return np.where(alternative_se > 0, stats.norm.cdf(z), np.nan)
