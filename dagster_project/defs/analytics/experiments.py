"""Experiment results from exposures and conversions: the rows of `marts.mart_experiment_results`.

Per experiment and variation, from `intermediate.int_experiment_exposures` (first exposure per person) and
`marts.fct_conversions` (user-level orders):

* `users`: people whose first exposure was to the variation and who were never shown another one (people shown
  several variations are excluded and counted in `excluded_users`);
* `conversions`: of those, people with at least one order from their first exposure up to the experiment's last
  exposure (orders after the experiment stopped running are not its effect);
* `revenue_sum`, `revenue_sum_sq`: sum over the variation's people of their revenue in that window (reporting
  currency), and of its square, for the revenue-per-user test.

The control is the variation named `control` (or another name of `CONTROL_NAMES`, case-insensitive, after the
`<experiment_id>:` prefix), else the alphabetically first; the planned split is taken as equal. Then
`adledger.analytics.experiments.analyze_experiment` adds rates, uplifts, intervals, p-values, chance to beat control,
the sample-ratio-mismatch test, power and the decision.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from adledger.analytics.experiments import analyze_experiment
from dagster_project.lib.analytics_io import read_frame

EXPOSURES = "intermediate.int_experiment_exposures"
CONVERSIONS = "marts.fct_conversions"
CONTROL_NAMES = ("control", "baseline", "original")


def variant_totals(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per experiment and variation: `experiment_id`, `variant`, `users`, `conversions`, `revenue_sum`,
    `revenue_sum_sq`, `excluded_users` (of the experiment), `started_at`, `ended_at` (first and last exposure)."""
    return read_frame(con, f"""
        with exposures as (
            select experiment_id, person_id, variation_id, first_exposed_at, last_exposed_at, variations
            from {EXPOSURES}
        ),
        experiments as (
            select experiment_id, min(first_exposed_at) as started_at, max(last_exposed_at) as ended_at,
                   count(*) filter (where variations > 1) as excluded_users
            from exposures
            group by experiment_id
        ),
        orders as (
            -- revenue stays decimal through the sums: exact, so a rerun gives the same numbers to the last bit
            select order_id, person_id, converted_at, cast(coalesce(revenue_reporting, 0) as decimal(30, 12)) as revenue
            from {CONVERSIONS}
            where person_id is not null
        ),
        per_person as (
            select exposures.experiment_id, exposures.variation_id, exposures.person_id,
                   count(orders.order_id) > 0 as converted, coalesce(sum(orders.revenue), 0) as revenue
            from exposures
            inner join experiments on exposures.experiment_id = experiments.experiment_id
            left join orders
                on orders.person_id = exposures.person_id
                and orders.converted_at >= exposures.first_exposed_at
                and orders.converted_at <= experiments.ended_at
            where exposures.variations = 1
            group by exposures.experiment_id, exposures.variation_id, exposures.person_id
        )
        select per_person.experiment_id, per_person.variation_id as variant, cast(count(*) as bigint) as users,
               cast(sum(case when per_person.converted then 1 else 0 end) as bigint) as conversions,
               cast(sum(per_person.revenue) as double) as revenue_sum,
               cast(sum(cast(per_person.revenue * per_person.revenue as decimal(38, 12))) as double) as revenue_sum_sq,
               cast(any_value(experiments.excluded_users) as bigint) as excluded_users,
               any_value(experiments.started_at) as started_at, any_value(experiments.ended_at) as ended_at
        from per_person
        inner join experiments on per_person.experiment_id = experiments.experiment_id
        group by per_person.experiment_id, per_person.variation_id
        order by per_person.experiment_id, per_person.variation_id
    """)


def control_first(totals: pd.DataFrame, control_names: tuple[str, ...] = CONTROL_NAMES) -> pd.DataFrame:
    """`totals` ordered by experiment with each experiment's control variation first (see the module docstring)."""
    name = totals["variant"].str.split(":", n=1).str[-1].str.lower()
    is_named_control = name.isin([c.lower() for c in control_names])
    rank = np.where(is_named_control, 0, 1)
    return (totals.assign(_rank=rank).sort_values(["experiment_id", "_rank", "variant"], kind="stable")
            .drop(columns="_rank").reset_index(drop=True))


def experiment_results(
    totals: pd.DataFrame, alpha: float = 0.05, min_effect: float = 0.1, metric: str = "conversion"
) -> pd.DataFrame:
    """`analyze_experiment` on every experiment of `totals` that has at least two variations with users.

    Returns one row per variation: `experiment_id`, `variant`, the columns of `analyze_experiment`, and
    `excluded_users`, `started_at`, `ended_at` from `totals`.
    """
    ordered = control_first(totals[totals["users"] > 0])
    variations = ordered.groupby("experiment_id")["variant"].transform("size")
    ordered = ordered[variations >= 2].reset_index(drop=True)
    if ordered.empty:
        return pd.DataFrame(columns=["experiment_id", "variant", "excluded_users", "started_at", "ended_at"])
    analyzed = analyze_experiment(
        ordered[["experiment_id", "variant", "users", "conversions", "revenue_sum", "revenue_sum_sq"]]
        .rename(columns={"experiment_id": "experiment"}),
        alpha=alpha, min_effect=min_effect, metric=metric,
    ).rename(columns={"experiment": "experiment_id"})
    return pd.concat([analyzed, ordered[["excluded_users", "started_at", "ended_at"]]], axis=1)
