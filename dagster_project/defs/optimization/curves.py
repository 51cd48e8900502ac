"""Response curves in the warehouse: the daily input read from the channel mart, and fits stored as rows.

A fit (`adledger.analytics.optimization.CurveFit`) carries its bootstrap replicates; `fits_to_frame` stores them
as list columns beside the point estimate and its intervals, and `fits_from_frame` rebuilds the same fits, so the
budget plan and the ledger's evaluation read one fit instead of refitting.
"""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import pandas as pd

from adledger.analytics.optimization import CurveFit, ResponseCurve, marginal_returns
from adledger.analytics.optimization.fit import PARAMS
from dagster_project.lib.analytics_io import read_frame

MART = "marts.mart_channel_performance_daily"


class MissingModelError(ValueError):
    """The requested attribution model has no rows in the channel mart."""


def channel_daily(con: duckdb.DuckDBPyConnection, attribution_model: str, days: int | None = None) -> pd.DataFrame:
    """Daily `spend`, `conversions` and `revenue` per channel under one attribution model, over the last `days`
    days of the mart (all days when None). Columns: `day`, `channel`, `spend` (USD/day), `conversions`, `revenue`.

    Only channels that spent something in that span are returned: a channel without spend has no curve to fit.
    An empty mart gives an empty frame; a model the mart does not hold raises `MissingModelError` naming those it
    holds.
    """
    models = [m for (m,) in con.execute(f"select distinct model from {MART} order by 1").fetchall()]
    if models and attribution_model not in models:
        raise MissingModelError(f"attribution model {attribution_model!r} is not in {MART}; it holds "
                                f"{', '.join(models)}")
    recent = "" if days is None else f"and day > (select max(day) from {MART}) - {int(days)}"
    return read_frame(con, f"""
        with rows as (
            select day, channel, cast(spend as double) as spend, conversions, revenue
            from {MART}
            where model = ? {recent}
        ),
        paid as (
            select channel from rows group by channel having sum(spend) > 0
        )
        select day, channel, spend, conversions, revenue
        from rows
        where channel in (select channel from paid)
        order by day, channel
    """, [attribution_model])


def fits_to_frame(fits: dict[str, CurveFit], attribution_model: str, as_of: date,
                  interval: float = 0.9) -> pd.DataFrame:
    """One row per channel: parameters with `interval` bootstrap percentiles, marginal returns at current spend
    (`marginal_returns`), what the data supported, and the replicates (`<param>_replicates`)."""
    if not fits:
        return pd.DataFrame()
    tail = (1.0 - interval) / 2.0 * 100.0
    frame = marginal_returns(fits, interval=interval).rename(columns={"spend": "current_spend"})
    rows = []
    for name in frame["channel"]:
        fit = fits[name]
        row: dict = {"days": fit.days, "spend_low": fit.spend_low, "spend_high": fit.spend_high}
        low, high = np.percentile(fit.samples, [tail, 100.0 - tail], axis=0)
        for j, param in enumerate(PARAMS):
            row[f"{param}_low"], row[f"{param}_high"] = float(low[j]), float(high[j])
            row[f"{param}_replicates"] = fit.samples[:, j].tolist()
        rows.append(row)
    return pd.concat([frame, pd.DataFrame(rows)], axis=1).assign(attribution_model=attribution_model, as_of=as_of)


def fits_from_frame(frame: pd.DataFrame) -> dict[str, CurveFit]:
    """The fits stored by `fits_to_frame` (as read back from `analytics.response_curves`)."""
    fits = {}
    for row in frame.to_dict("records"):
        curve = ResponseCurve(form=row["form"], **{p: float(row[p]) for p in PARAMS})
        samples = np.column_stack([np.asarray(row[f"{p}_replicates"], float) for p in PARAMS])
        fits[row["channel"]] = CurveFit(
            entity=row["channel"], curve=curve, samples=samples, days=int(row["days"]),
            current_spend=float(row["current_spend"]), spend_low=float(row["spend_low"]),
            spend_high=float(row["spend_high"]), r2=float(row["r2"]),
            value_per_conversion=_number(row["value_per_conversion"]), identified=bool(row["identified"]),
            note=row["note"] or "")
    return fits


def _number(value) -> float:
    """A stored double as a float (NULL, which the warehouse stores for NaN, as NaN)."""
    return float("nan") if value is None or pd.isna(value) else float(value)
