"""Attribution drift per model from the attributed conversions: the rows of `analytics.attribution_drift`.

Daily attributed conversions per model and channel (credits summed by conversion day, from
`marts.fct_attributed_conversions`) go through `adledger.analytics.attribution.attribution_drift`: each day's
channel shares against the shares of the `window` days before, as a population stability index per model and day.
The anomaly detector reads the result (`psi` above 0.25 is a major shift).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from adledger.analytics.attribution import attribution_drift
from dagster_project.lib.analytics_io import read_frame

ATTRIBUTED = "marts.fct_attributed_conversions"
DRIFT_COLUMNS = ("model", "day", "channel", "share", "baseline_share", "psi_term", "psi")


def daily_credits(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """`model`, `day`, `channel`, `conversions` (summed credit) from the attributed conversions."""
    return read_frame(con, f"""
        select model, conversion_date as day, channel, sum(credit) as conversions
        from {ATTRIBUTED}
        where conversion_date is not null
        group by model, conversion_date, channel
        order by model, day, channel
    """)


def drift(credits: pd.DataFrame, window: int = 7) -> pd.DataFrame:
    """`attribution_drift` per model; no rows without credits."""
    if credits.empty:
        return pd.DataFrame(columns=list(DRIFT_COLUMNS))
    return attribution_drift(credits, window=window, group_by=("model",))[list(DRIFT_COLUMNS)]
