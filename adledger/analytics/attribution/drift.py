"""Attribution drift: how far each day's channel shares moved from the trailing window before it.

The metric is the population stability index (PSI) between the day's attributed-conversion shares p
and the shares q of the previous `window` calendar days: PSI = sum over channels of
(p_c - q_c) * ln(p_c / q_c), with shares floored at `epsilon` so a channel appearing or vanishing
stays finite (Siddiqi 2006, "Credit Risk Scorecards", ch. 8; Yurdakul 2018, "Statistical properties of
population stability index"). Rule of thumb: < 0.1 stable, 0.1-0.25 moderate shift, > 0.25 major shift.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DRIFT_COLUMNS = ("day", "channel", "share", "baseline_share", "psi_term", "psi")


def attribution_drift(
    credits: pd.DataFrame, window: int = 7, group_by: tuple[str, ...] = (), epsilon: float = 1e-4
) -> pd.DataFrame:
    """Daily PSI of attributed channel shares against the preceding `window` days.

    `credits`: columns `day` (date), `channel`, `conversions` (attributed, any model), plus the
    `group_by` columns (e.g. `model`) to compute drift separately per group.

    Returns one row per group x day x channel with `share` (the day's share of conversions),
    `baseline_share` (share over the `window` days before, NaN on the first day), `psi_term` (the
    channel's contribution) and `psi` (the day's total, repeated on each channel row).
    """
    missing = [c for c in ("day", "channel", "conversions", *group_by) if c not in credits.columns]
    if missing:
        raise ValueError(f"credits lack column(s) {', '.join(missing)}")
    frame = credits.assign(day=pd.to_datetime(credits["day"]))
    wide = frame.pivot_table(
        index=[*group_by, "day"], columns="channel", values="conversions", aggfunc="sum", fill_value=0.0
    ).sort_index()
    if group_by:
        baseline = wide.groupby(level=list(group_by), group_keys=True).apply(
            lambda part: _trailing(part.droplevel(list(group_by)), window)
        )
    else:
        baseline = _trailing(wide, window)
    share = _floored_shares(wide, epsilon)
    base_share = _floored_shares(baseline.reindex(wide.index), epsilon)
    term = (share - base_share) * np.log(share / base_share)
    result = pd.DataFrame(
        {
            "share": _shares(wide).stack(),
            "baseline_share": _shares(baseline.reindex(wide.index)).stack(),
            "psi_term": term.stack(),
        }
    )
    result["psi"] = term.sum(axis=1, min_count=1).reindex(result.index.droplevel("channel")).to_numpy()
    result = result.reset_index()
    result["day"] = result["day"].dt.date
    return result[[*group_by, *DRIFT_COLUMNS]]


def _trailing(wide: pd.DataFrame, window: int) -> pd.DataFrame:
    """Conversions per channel summed over the `window` calendar days before each day."""
    return wide.rolling(f"{window}D", closed="left").sum()


def _shares(wide: pd.DataFrame) -> pd.DataFrame:
    total = wide.sum(axis=1, min_count=1)
    return wide.div(total.where(total > 0), axis=0)


def _floored_shares(wide: pd.DataFrame, epsilon: float) -> pd.DataFrame:
    shares = _shares(wide).clip(lower=epsilon)
    return shares.div(shares.sum(axis=1), axis=0)
