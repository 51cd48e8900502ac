"""Holdout incrementality from the warehouse: the rows of `analytics.incrementality`.

Input: a holdout assignment table (default `HOLDOUT_ASSIGNMENTS`) with one row per person and platform, columns
`customer_id`, `platform` (the `cost_source` of `marts.fct_ad_spend`, e.g. `meta_ads`) and `is_holdout` (true: kept
out of the platform's ads) — the audience list an advertiser excludes from a platform for a lift study. Outcome:
orders per person from the shop's own export (`staging.stg_first_party__orders`, every order whether or not the
tracker saw it) within the study window, revenue in the reporting currency at each order day's rate; cost: the
platform's spend in `marts.fct_ad_spend` over the same days.

Per platform, `adledger.analytics.incrementality.holdout_lift` gives the lift in orders per person (treatment minus
holdout, with the interval from the per-person sample variances), incremental orders, incremental CPA and iROAS.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from adledger.analytics.incrementality import holdout_lift
from dagster_project.lib.analytics_io import read_frame, relation_exists

HOLDOUT_ASSIGNMENTS = "raw_first_party.holdout_assignments"
ORDERS = "staging.stg_first_party__orders"
FX_RATES = "staging.stg_first_party__fx_rates"
SPEND = "marts.fct_ad_spend"


def holdout_groups(
    con: duckdb.DuckDBPyConnection,
    assignments: str = HOLDOUT_ASSIGNMENTS,
    start: date | None = None,
    end: date | None = None,
    reporting_currency: str = "USD",
) -> pd.DataFrame:
    """Per platform: the `holdout_lift` input columns plus `platform`, `start_date`, `end_date`.

    The window is `start`..`end` (UTC order days, inclusive), by default every day with orders. Returns no rows when
    the assignment table does not exist.
    """
    if not relation_exists(con, assignments):
        return pd.DataFrame()
    return read_frame(con, f"""
        with window_days as (
            select coalesce(cast(? as date), min(order_date)) as start_date,
                   coalesce(cast(? as date), max(order_date)) as end_date
            from {ORDERS}
        ),
        assigned as (
            select distinct customer_id, platform, is_holdout from {assignments} where customer_id is not null
        ),
        orders as (
            select orders.customer_id,
                   orders.revenue * order_fx.usd_per_unit / reporting_fx.usd_per_unit as revenue
            from {ORDERS} as orders
            cross join window_days
            left join {FX_RATES} as order_fx
                on orders.order_date = order_fx.rate_date and orders.currency = order_fx.currency
            left join {FX_RATES} as reporting_fx
                on orders.order_date = reporting_fx.rate_date and reporting_fx.currency = ?
            where orders.order_date between window_days.start_date and window_days.end_date
        ),
        per_person as (
            select assigned.platform, assigned.is_holdout, assigned.customer_id,
                   cast(count(orders.customer_id) as bigint) as orders,
                   cast(coalesce(sum(orders.revenue), 0) as double) as revenue
            from assigned
            left join orders on assigned.customer_id = orders.customer_id
            group by assigned.platform, assigned.is_holdout, assigned.customer_id
        ),
        per_group as (
            select platform,
                   cast(count(*) filter (where not is_holdout) as bigint) as treatment_users,
                   cast(coalesce(sum(orders) filter (where not is_holdout), 0) as bigint) as treatment_conversions,
                   cast(coalesce(sum(orders * orders) filter (where not is_holdout), 0) as bigint)
                       as treatment_conversions_sq,
                   coalesce(sum(revenue) filter (where not is_holdout), 0) as treatment_revenue,
                   coalesce(sum(revenue * revenue) filter (where not is_holdout), 0) as treatment_revenue_sq,
                   cast(count(*) filter (where is_holdout) as bigint) as holdout_users,
                   cast(coalesce(sum(orders) filter (where is_holdout), 0) as bigint) as holdout_conversions,
                   cast(coalesce(sum(orders * orders) filter (where is_holdout), 0) as bigint)
                       as holdout_conversions_sq,
                   coalesce(sum(revenue) filter (where is_holdout), 0) as holdout_revenue,
                   coalesce(sum(revenue * revenue) filter (where is_holdout), 0) as holdout_revenue_sq
            from per_person
            group by platform
        ),
        spend as (
            select cost_source as platform, cast(sum(spend_reporting) as double) as spend
            from {SPEND}
            cross join window_days
            where report_date between window_days.start_date and window_days.end_date
            group by cost_source
        )
        select per_group.platform, window_days.start_date, window_days.end_date, per_group.*  exclude (platform),
               coalesce(spend.spend, 0.0) as spend
        from per_group
        cross join window_days
        left join spend on per_group.platform = spend.platform
        where per_group.treatment_users > 0 and per_group.holdout_users > 0
        order by per_group.platform
    """, [start, end, reporting_currency])


def incrementality(groups: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """`holdout_lift` per platform (one row each), without the sums of squares it was computed from."""
    if groups.empty:
        return groups
    result = holdout_lift(groups, alpha=alpha)
    return result.drop(columns=[c for c in result.columns if c.endswith("_sq")])
