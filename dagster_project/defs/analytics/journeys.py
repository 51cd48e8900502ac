"""User-level journeys from the attribution marts: the inputs of the data-driven attribution models.

* Converting journeys: each user-level conversion with its touches in time order, from
  `intermediate.int_conversion_paths` (touches within the lookback before the conversion).
* Non-converting journeys ("nulls" of the Markov chain): each person in `marts.fct_touchpoints` who never converted,
  with their touches within `lookback_days` before their last touch, the same window a conversion looks back.

Both become one path table (`path`, `conversions`, `conversion_value`, `nulls`; the format of
`adledger.analytics.attribution`). Conversion value is the revenue in the reporting currency.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from adledger.analytics.attribution.paths import SEPARATOR
from dagster_project.lib.analytics_io import read_frame

PATHS = "intermediate.int_conversion_paths"
CONVERSIONS = "marts.fct_conversions"
TOUCHPOINTS = "marts.fct_touchpoints"
#: channels are joined with this text into a path; a channel may not contain SEPARATOR
JOINER = f" {SEPARATOR} "


@dataclass(frozen=True)
class Journeys:
    """`touches`: one row per touch of a converting journey (`order_id`, `touch_position` 1..n, `touchpoint_id`,
    `channel`), sorted by order and position; `orders`: one row per converting journey (`order_id`, `path`,
    `conversion_value`), sorted by order; `paths`: the path table of converting and non-converting journeys;
    `unattributed`: conversions without a user-level path (`order_id`, `channel` of their session)."""

    touches: pd.DataFrame
    orders: pd.DataFrame
    paths: pd.DataFrame
    unattributed: pd.DataFrame


def load_journeys(con: duckdb.DuckDBPyConnection, lookback_days: int = 30) -> Journeys:
    """Read the journeys from the warehouse marts (see the module docstring)."""
    touches = read_frame(con, f"""
        select paths.order_id, cast(paths.touch_position as bigint) as touch_position, paths.touchpoint_id,
               paths.channel
        from {PATHS} as paths
        order by paths.order_id, paths.touch_position
    """)
    bad = touches.loc[touches["channel"].str.contains(SEPARATOR, regex=False), "channel"]
    if len(bad):
        raise ValueError(f"channel {bad.iloc[0]!r} contains {SEPARATOR!r}, which separates channels in a path")
    orders = read_frame(con, f"""
        select paths.order_id,
               string_agg(paths.channel, '{JOINER}' order by paths.touch_position) as path,
               coalesce(cast(any_value(conversions.revenue_reporting) as double), 0.0) as conversion_value
        from {PATHS} as paths
        inner join {CONVERSIONS} as conversions on paths.order_id = conversions.order_id
        group by paths.order_id
        order by paths.order_id
    """)
    nulls = read_frame(con, f"""
        with converters as (
            select distinct person_id from {CONVERSIONS} where person_id is not null
        ),
        touches as (
            select person_id, touchpoint_id, channel, touched_at
            from {TOUCHPOINTS}
            where person_id is not null and person_id not in (select person_id from converters)
        ),
        windows as (
            select person_id, max(touched_at) - to_days(cast(? as integer)) as window_start
            from touches
            group by person_id
        )
        select string_agg(touches.channel, '{JOINER}' order by touches.touched_at, touches.touchpoint_id) as path
        from touches
        inner join windows on touches.person_id = windows.person_id
        where touches.touched_at >= windows.window_start
        group by touches.person_id
    """, [lookback_days])
    unattributed = read_frame(con, f"""
        select order_id, coalesce(session_channel, 'direct') as channel
        from {CONVERSIONS}
        where order_id not in (select order_id from {PATHS})
        order by order_id
    """)
    return Journeys(touches=touches, orders=orders, paths=path_table(orders, nulls["path"]), unattributed=unattributed)


def path_table(orders: pd.DataFrame, null_paths: pd.Series) -> pd.DataFrame:
    """One row per distinct path: `path`, `conversions`, `conversion_value`, `nulls`, sorted by path."""
    converting = orders.groupby("path", sort=False).agg(
        conversions=("order_id", "size"), conversion_value=("conversion_value", "sum")
    )
    nulls = null_paths.value_counts().rename("nulls")
    table = converting.join(nulls, how="outer").fillna(0.0).sort_index()
    table.index.name = "path"
    return table.reset_index()[["path", "conversions", "conversion_value", "nulls"]].astype(
        {"conversions": float, "conversion_value": float, "nulls": float}
    )
