"""Robust seasonal baselines for daily series: day-of-week factors, trailing and leading medians, MAD scale.

Every series is compared on the log scale with the median of the `window` days before it and, when the days after
are known, the median of the `window` days after it, after removing a day-of-week factor (the median log-deviation
of each weekday from a centred 7-day median). A day is only as anomalous as its smaller deviation of the two, so a
lasting level change (a budget moved for weeks) is not an anomaly while a one-day spike is; on the newest days only
the trailing side exists. The noise scale is 1.4826 x the median absolute deviation of the residuals, the
consistent estimator of a normal standard deviation (Rousseeuw & Croux 1993; Leys et al. 2013, "Detecting
outliers: do not use standard deviation around the mean, use absolute deviation around the median").
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: MAD x 1.4826 estimates the standard deviation of normal noise
MAD_TO_SIGMA = 1.4826


@dataclass(frozen=True)
class Deviation:
    """Per day of a wide frame (days x series): `z` (robust z-score on the log scale, signed; 0 when the two sides
    disagree in sign), `baseline` (expected value in the series' unit), `log_ratio` (log actual / expected) and
    `one_sided` (only the days before were known: the newest days)."""

    z: pd.DataFrame
    baseline: pd.DataFrame
    log_ratio: pd.DataFrame
    one_sided: pd.DataFrame


def without_partial_edges(wide: pd.DataFrame) -> pd.DataFrame:
    """`wide` (missing days as 0) with NaN outside each series' days with data and on its first and last such day:
    platforms report account-local days, so the dates at the edges of a loaded range (and today) are partial
    days, not low ones; zeros between them are real (a paused campaign)."""
    has = wide.fillna(0).to_numpy() > 0
    seen = np.cumsum(has, axis=0)
    left = np.cumsum(has[::-1], axis=0)[::-1]
    return wide.where((seen > 1) & (left > 1) & ~((seen == seen[-1]) & has & (left == 1)))


def mad_sigma(values: np.ndarray, axis: int = 0) -> np.ndarray:
    """1.4826 x median(|x - median(x)|) along `axis`, ignoring NaN."""
    with warnings.catch_warnings():  # a series without data has no scale (NaN), not a warning
        warnings.simplefilter("ignore", RuntimeWarning)
        center = np.nanmedian(values, axis=axis, keepdims=True)
        return MAD_TO_SIGMA * np.nanmedian(np.abs(values - center), axis=axis)


def weekday_factors(logs: pd.DataFrame) -> pd.DataFrame:
    """Log day-of-week factor of each day and series (median deviation of that weekday from a centred 7-day
    median), centred so the seven factors of a series have median 0."""
    centred = logs.rolling(7, center=True, min_periods=4).median()
    deviation = logs - centred
    weekday = pd.Index(logs.index).dayofweek
    factors = deviation.groupby(weekday).median()
    factors = factors - factors.median()
    return factors.reindex(weekday).set_axis(logs.index).fillna(0.0)


def two_sided_deviation(wide: pd.DataFrame, window: int = 7, min_sides: int = 2, floor: float = 1.0,
                        min_sigma: float = 0.1) -> Deviation:
    """Robust deviation of each day from the medians of the `window` days before and after it.

    `wide`: a daily index (every calendar day, missing values NaN) by series; values are counts or money, `floor`
    is added before taking logs (so zero days stay finite). A side needs at least `min_sides` known days; the
    noise scale of a series is its residual MAD sigma on the log scale, never below `min_sigma`.
    """
    logs = np.log(wide + floor)
    season = weekday_factors(logs)
    adjusted = logs - season
    before = adjusted.rolling(window, min_periods=min_sides).median().shift(1)
    after = adjusted[::-1].rolling(window, min_periods=min_sides).median().shift(1)[::-1]
    dev_before = adjusted - before
    dev_after = adjusted - after
    sigma = np.maximum(mad_sigma(dev_before.to_numpy(), axis=0), min_sigma)
    z_before = dev_before / sigma
    z_after = dev_after / sigma
    same_sign = np.sign(z_before) == np.sign(z_after)
    smaller = np.where(np.abs(z_before) <= np.abs(z_after), z_before, z_after)
    z = pd.DataFrame(np.where(z_after.isna(), z_before, np.where(same_sign, smaller, 0.0)),
                     index=wide.index, columns=wide.columns)
    base_log = np.where(z_after.isna() | (np.abs(z_before) <= np.abs(z_after)), before, after) + season
    baseline = pd.DataFrame(np.exp(base_log) - floor, index=wide.index, columns=wide.columns).clip(lower=0.0)
    return Deviation(z=z, baseline=baseline, log_ratio=pd.DataFrame(logs - base_log, index=wide.index,
                                                                  columns=wide.columns),
                     one_sided=z_after.isna())
