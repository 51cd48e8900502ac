"""Features of a click for the conversion and value models, from the click and its keyword's recent history.

Click-level: `hour`, `weekday`, `device`, `match_type`, `quality_score`, `position`.
Keyword history (the `window` days *before* the click's day, never the day itself, so nothing leaks from the
future): `kw_cvr` = (conversions + prior_clicks * overall CVR) / (clicks + prior_clicks), the beta-binomial
posterior mean shrinking a keyword's rate toward the rate of all keywords over the same window; `kw_value` =
(revenue + 5 * overall value) / (conversions + 5); `kw_clicks` = log1p(clicks); with keyword-day impressions
`kw_ctr` = (clicks + 1000 * overall CTR) / (impressions + 1000). Before any history they are NaN (the booster
routes missing values on its own).
Rolling sums come from cumulative sums over a dense day x keyword grid: one pass, no per-row Python.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CLICK_COLUMNS = ("day", "hour", "keyword_id", "device", "match_type", "quality_score", "position", "converted")
CATEGORICAL = ("device", "match_type")
#: pseudo-observations of the overall rate added to each keyword's history (beta-binomial posterior mean)
PRIOR_CONVERSIONS = 5.0
PRIOR_IMPRESSIONS = 1000.0


class BidDataError(ValueError):
    """A click log or keyword-day frame is missing a column or has impossible values."""


def check_clicks(clicks: pd.DataFrame) -> None:
    """Raise `BidDataError` unless `clicks` has the click-log columns with sane values."""
    missing = [c for c in CLICK_COLUMNS if c not in clicks.columns]
    if missing:
        raise BidDataError(f"click log lacks column(s) {', '.join(missing)}; expected {', '.join(CLICK_COLUMNS)} "
                           "and optionally value, ad_group_id")
    if not clicks["converted"].isin([0, 1]).all():
        raise BidDataError("converted must be 0 or 1")
    if not clicks["hour"].between(0, 23).all():
        raise BidDataError("hour must be 0..23")


def _grid(day: np.ndarray, key: np.ndarray, weights: np.ndarray | None, shape: tuple[int, int]) -> np.ndarray:
    """Sum of `weights` (or counts) per (day, key) cell of a dense (days, keys) grid."""
    flat = np.bincount(day * shape[1] + key, weights=weights, minlength=shape[0] * shape[1])
    return flat.astype(float).reshape(shape)


def _rolling(grid: np.ndarray, window: int) -> np.ndarray:
    """Sum over the `window` rows before each row (exclusive) of a (days, keywords) grid."""
    cum = np.vstack([np.zeros((1, grid.shape[1])), np.cumsum(grid, axis=0)])
    upper = np.arange(grid.shape[0])                 # rows strictly before day d: [d - window, d)
    lower = np.maximum(upper - window, 0)
    return cum[upper] - cum[lower]


def click_features(
    clicks: pd.DataFrame,
    keyword_days: pd.DataFrame | None = None,
    window: int = 28,
    prior_clicks: float = 50.0,
) -> pd.DataFrame:
    """Feature frame aligned with `clicks` (same index); see the module docstring for the columns."""
    check_clicks(clicks)
    day = pd.to_datetime(clicks["day"])
    days = pd.date_range(day.min(), day.max(), freq="D")
    d_idx = ((day - days[0]).dt.days).to_numpy()
    keys, k_idx = np.unique(clicks["keyword_id"].astype(str).to_numpy(), return_inverse=True)
    shape = (len(days), len(keys))
    n_clicks = _grid(d_idx, k_idx, None, shape)
    n_conv = _grid(d_idx, k_idx, clicks["converted"].to_numpy(float), shape)
    value = clicks["value"].to_numpy(float) if "value" in clicks.columns else np.zeros(len(clicks))
    n_value = _grid(d_idx, k_idx, value, shape)
    r_clicks, r_conv, r_value = (_rolling(g, window) for g in (n_clicks, n_conv, n_value))
    # shrinkage targets: the same window over all keywords (NaN before any history; the booster handles NaN)
    with np.errstate(divide="ignore", invalid="ignore"):
        overall_cvr = r_conv.sum(axis=1, keepdims=True) / r_clicks.sum(axis=1, keepdims=True)
        overall_value = r_value.sum(axis=1, keepdims=True) / r_conv.sum(axis=1, keepdims=True)
        cvr = (r_conv + prior_clicks * overall_cvr) / (r_clicks + prior_clicks)
        per_conv = (r_value + PRIOR_CONVERSIONS * overall_value) / (r_conv + PRIOR_CONVERSIONS)
    out = pd.DataFrame(index=clicks.index)
    out["hour"] = clicks["hour"].to_numpy(int)
    out["weekday"] = day.dt.weekday.to_numpy()
    for col in CATEGORICAL:
        out[col] = pd.Categorical(clicks[col].astype(str))
    out["quality_score"] = clicks["quality_score"].to_numpy(float)
    out["position"] = clicks["position"].to_numpy(float)
    out["kw_cvr"] = cvr[d_idx, k_idx]
    out["kw_value"] = per_conv[d_idx, k_idx]
    out["kw_clicks"] = np.log1p(r_clicks[d_idx, k_idx])
    if keyword_days is not None:
        kd = keyword_days[keyword_days["keyword_id"].astype(str).isin(keys)]
        kd_day = ((pd.to_datetime(kd["day"]) - days[0]).dt.days).to_numpy()
        inside = (kd_day >= 0) & (kd_day < len(days))
        kd_k = np.searchsorted(keys, kd["keyword_id"].astype(str).to_numpy())
        imp = _grid(kd_day[inside], kd_k[inside], kd["impressions"].to_numpy(float)[inside], shape)
        clk = _grid(kd_day[inside], kd_k[inside], kd["clicks"].to_numpy(float)[inside], shape)
        r_imp, r_clk = _rolling(imp, window), _rolling(clk, window)
        with np.errstate(divide="ignore", invalid="ignore"):
            overall_ctr = r_clk.sum(axis=1, keepdims=True) / r_imp.sum(axis=1, keepdims=True)
            out["kw_ctr"] = ((r_clk + PRIOR_IMPRESSIONS * overall_ctr) / (r_imp + PRIOR_IMPRESSIONS))[d_idx, k_idx]
    return out
