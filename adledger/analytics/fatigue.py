"""Creative fatigue: is a creative's click-through rate decaying with age and frequency?

Per creative, clicks are modelled as Poisson with the impressions as exposure (a log-linear rate
model, McCullagh & Nelder 1989, "Generalized Linear Models", ch. 6):

    log E[clicks_d] = log impressions_d + b0 + b_age * age_d (+ b_freq * log frequency_d)

where age_d is the days since the creative's first day and frequency_d the average impressions per
user that day (optional column). The fit is Fisher scoring (iteratively reweighted least squares),
run for all creatives at once with batched 2x2 / 3x3 solves. Standard errors come from the inverse
Fisher information; `p_value` is the two-sided Wald test of b_age = 0.

A creative is `fatigued` when the age effect is significantly negative and the fitted CTR today is
below (1 - `drop`) of its fitted CTR on day 0. `refresh_date` is the day the fitted CTR crosses that
line through the age effect: first_day + ln(1 - drop) / b_age, rounded up to a whole day (a past date
for fatigued creatives; empty unless b_age < 0 and the fitted CTR today is below day 0's).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

FATIGUE_COLUMNS = (
    "creative_id", "first_day", "last_day", "days", "impressions", "clicks", "ctr", "ctr_start", "ctr_now",
    "daily_decay", "frequency_elasticity", "p_value", "fatigued", "refresh_date",
)
_ITERATIONS = 50


def creative_fatigue(daily: pd.DataFrame, drop: float = 0.2, alpha: float = 0.05) -> pd.DataFrame:
    """Fatigue per creative from daily delivery.

    `daily`: columns `creative_id`, `day` (date), `impressions`, `clicks`, optional `frequency`
    (average impressions per user that day, > 0). `drop`: relative CTR loss that calls for a refresh
    (0.2 = 20 %). Returns one row per creative with `FATIGUE_COLUMNS`: CTRs are clicks per impression,
    `daily_decay` is the fitted relative CTR change per day of age (exp(b_age) - 1), and
    `frequency_elasticity` the fitted b_freq (NaN without `frequency`). Creatives with fewer than
    three days or no clicks get NaN fits and are never flagged.
    """
    missing = [c for c in ("creative_id", "day", "impressions", "clicks") if c not in daily.columns]
    if missing:
        raise ValueError(f"missing column(s) {', '.join(missing)}")
    frame = daily[daily["impressions"] > 0].assign(day=lambda d: pd.to_datetime(d["day"]))
    frame = frame.groupby(["creative_id", "day"], as_index=False).agg(
        impressions=("impressions", "sum"), clicks=("clicks", "sum"),
        **({"frequency": ("frequency", "mean")} if "frequency" in frame.columns else {}),
    )
    creative, group = np.unique(frame["creative_id"].to_numpy(), return_inverse=True)
    first_day = frame.groupby(group)["day"].transform("min")
    age = ((frame["day"] - first_day).dt.days).to_numpy(float)
    columns = [np.ones(len(frame)), age]
    if "frequency" in frame.columns:
        columns.append(np.log(frame["frequency"].to_numpy(float)))
    design = np.stack(columns, axis=1)
    clicks, impressions = frame["clicks"].to_numpy(float), frame["impressions"].to_numpy(float)
    beta, covariance, fitted = _poisson_fit(design, clicks, np.log(impressions), group, len(creative))

    summary = frame.groupby(group).agg(
        first_day=("day", "min"), last_day=("day", "max"), days=("day", "size"),
        impressions=("impressions", "sum"), clicks=("clicks", "sum"),
    )
    last_age = (summary["last_day"] - summary["first_day"]).dt.days.to_numpy(float)
    slope = beta[:, 1]
    se = np.sqrt(covariance[:, 1, 1])
    with np.errstate(divide="ignore", invalid="ignore"):
        p_value = np.where(fitted, 2 * stats.norm.sf(np.abs(slope / se)), np.nan)
    ctr_start = np.exp(beta[:, 0])
    ctr_now = np.exp(beta[:, 0] + slope * last_age)
    if design.shape[1] == 3:
        first_frequency = pd.Series(design[:, 2]).groupby(group).first().to_numpy()
        last_frequency = pd.Series(design[:, 2]).groupby(group).last().to_numpy()
        ctr_start = ctr_start * np.exp(beta[:, 2] * first_frequency)
        ctr_now = ctr_now * np.exp(beta[:, 2] * last_frequency)
    decaying = fitted & (slope < 0) & (ctr_now < ctr_start)
    fatigued = decaying & (p_value < alpha) & (ctr_now < (1 - drop) * ctr_start)
    with np.errstate(divide="ignore", invalid="ignore"):
        refresh_age = np.where(decaying, np.log(1 - drop) / slope, np.nan)
    refresh = summary["first_day"] + pd.to_timedelta(np.ceil(refresh_age), unit="D")
    return pd.DataFrame(
        {
            "creative_id": creative,
            "first_day": summary["first_day"].dt.date.to_numpy(),
            "last_day": summary["last_day"].dt.date.to_numpy(),
            "days": summary["days"].to_numpy(),
            "impressions": summary["impressions"].to_numpy(),
            "clicks": summary["clicks"].to_numpy(),
            "ctr": summary["clicks"].to_numpy() / summary["impressions"].to_numpy(),
            "ctr_start": np.where(fitted, ctr_start, np.nan),
            "ctr_now": np.where(fitted, ctr_now, np.nan),
            "daily_decay": np.where(fitted, np.expm1(slope), np.nan),
            "frequency_elasticity": beta[:, 2] if design.shape[1] == 3 else np.nan,
            "p_value": p_value,
            "fatigued": fatigued,
            "refresh_date": [d.date() if pd.notna(d) else None for d in refresh],
        }
    )


def _poisson_fit(
    design: np.ndarray, y: np.ndarray, offset: np.ndarray, group: np.ndarray, n_groups: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-group Poisson regression by Fisher scoring: (coefficients, covariances, fitted mask)."""
    k = design.shape[1]
    days = np.bincount(group, minlength=n_groups)
    total = np.bincount(group, weights=y, minlength=n_groups)
    fitted = (days >= k + 1) & (total > 0)
    beta = np.zeros((n_groups, k))
    exposure = np.bincount(group, weights=np.exp(offset), minlength=n_groups)
    beta[:, 0] = np.log(np.maximum(total, 0.5) / exposure)
    pairs = design[:, :, None] * design[:, None, :]
    information = np.tile(np.eye(k), (n_groups, 1, 1))
    for _ in range(_ITERATIONS):
        eta = np.einsum("ij,ij->i", design, beta[group]) + offset
        mu = np.exp(np.minimum(eta, 50.0))
        score = _group_sum(design * (y - mu)[:, None], group, n_groups)
        information = _group_sum((pairs * mu[:, None, None]).reshape(len(y), -1), group, n_groups).reshape(-1, k, k)
        information[~fitted] = np.eye(k)
        step = np.linalg.solve(information, score[:, :, None])[:, :, 0]
        step[~fitted] = 0.0
        beta += step
        if np.max(np.abs(step), initial=0.0) < 1e-10:
            break
    covariance = np.linalg.inv(information)
    beta[~fitted] = np.nan
    covariance[~fitted] = np.nan
    return beta, covariance, fitted


def _group_sum(values: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """Column sums of `values` per group (n_groups x columns)."""
    return np.stack([np.bincount(group, weights=column, minlength=n_groups) for column in values.T], axis=1)
