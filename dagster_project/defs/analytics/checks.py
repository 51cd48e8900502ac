"""Non-blocking checks of the analytics results (they warn; nothing downstream waits for them)."""

import dagster as dg

from dagster_project.defs.analytics import tables
from dagster_project.lib.analytics_io import read_frame, warehouse
from dagster_project.lib.env import WAREHOUSE_WRITER_POOL

#: largest |sum of credits − 1| of a conversion that still counts as 1 (dbt rounds credits to 12 decimals)
CREDIT_TOLERANCE = 1e-9


def _non_blocking_check(table: tables.ResultTable, name: str, description: str):
    """The decorator of a non-blocking check of the table an analytics asset writes."""
    return dg.asset_check(asset=table.key, name=name, description=description, blocking=False,
                          pool=WAREHOUSE_WRITER_POOL)


@_non_blocking_check(
    tables.ATTRIBUTION_CREDITS,
    "credits_sum_to_one_per_conversion",
    "Every conversion of marts.fct_conversions has markov and shapley credits, and each conversion's credits sum to "
    "1 per model.",
)
def credits_sum_to_one_per_conversion() -> dg.AssetCheckResult:
    with warehouse() as con:
        bad = read_frame(con, f"""
            with sums as (
                select order_id, model, sum(credit) as total
                from {tables.ATTRIBUTION_CREDITS.relation}
                group by order_id, model
            ),
            expected as (
                select conversions.order_id, models.model
                from marts.fct_conversions as conversions
                cross join (select distinct model from {tables.ATTRIBUTION_CREDITS.relation}) as models
            )
            select expected.order_id, expected.model, sums.total
            from expected
            left join sums on expected.order_id = sums.order_id and expected.model = sums.model
            where sums.total is null or abs(sums.total - 1) > {CREDIT_TOLERANCE}
            order by expected.model, expected.order_id
        """)
    return dg.AssetCheckResult(
        passed=bad.empty,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "conversions_failing": len(bad),
            "examples": dg.MetadataValue.json(
                [{"order_id": r.order_id, "model": r.model, "total": None if r.total != r.total else float(r.total)}
                 for r in bad.head(10).itertuples()]),
        },
    )


@_non_blocking_check(
    tables.EXPERIMENT_RESULTS,
    "no_sample_ratio_mismatch",
    "No experiment's split of users is off from the planned split (chi-square p < 0.001): a mismatch means "
    "exposures were lost or assignment is broken, and that experiment's results are invalid.",
)
def no_sample_ratio_mismatch() -> dg.AssetCheckResult:
    with warehouse() as con:
        flagged = read_frame(con, f"""
            select experiment_id, any_value(srm_p_value) as srm_p_value,
                   string_agg(variant || ': ' || users, ', ' order by variant) as users
            from {tables.EXPERIMENT_RESULTS.relation}
            where srm
            group by experiment_id
            order by experiment_id
        """)
    return dg.AssetCheckResult(
        passed=flagged.empty,
        severity=dg.AssetCheckSeverity.WARN,
        description="; ".join(f"{r.experiment_id} (p = {r.srm_p_value:.2g}; {r.users})" for r in flagged.itertuples())
        or None,
        metadata={"experiments_with_srm": dg.MetadataValue.json(flagged["experiment_id"].tolist())},
    )
