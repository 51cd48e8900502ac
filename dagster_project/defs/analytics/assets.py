"""The Python analytics as Dagster assets, downstream of the dbt marts (group `analytics`).

A run goes dbt (first step) → these assets → dbt models tagged `after_analytics` (which read
`analytics.attribution_credits`) → `analytics/attribution_drift` (which reads the attributed conversions).
Each asset reads its inputs from the warehouse, calls a function of `adledger.analytics` and replaces its result
table in one transaction (`dagster_project.lib.analytics_io`); the tables are described in `tables.py`.
"""

from datetime import date
from typing import Literal

import dagster as dg
import pandas as pd
from pydantic import Field

from dagster_project.defs.analytics import tables
from dagster_project.defs.analytics.credits import attribute_journeys
from dagster_project.defs.analytics.drift import daily_credits, drift
from dagster_project.defs.analytics.experiments import experiment_results, variant_totals
from dagster_project.defs.analytics.fatigue import ad_daily, fatigue
from dagster_project.defs.analytics.holdout import HOLDOUT_ASSIGNMENTS, holdout_groups, incrementality
from dagster_project.defs.analytics.journeys import load_journeys
from dagster_project.lib.analytics_io import now_utc, warehouse, with_computed_at, write_table
from dagster_project.lib.env import WAREHOUSE_WRITER_POOL

GROUP = "analytics"
KINDS = {"python", "duckdb"}
#: the marts the user-level journeys are read from (`journeys.load_journeys`)
JOURNEY_INPUTS = ("intermediate/int_conversion_paths", "marts/fct_conversions", "marts/fct_touchpoints")


def _key(name: str) -> dg.AssetKey:
    return dg.AssetKey(name.split("/"))


def _result_asset(table: tables.ResultTable, deps: list[str], description: str):
    """The decorator of an analytics asset that writes `table` from the assets named in `deps`."""
    return dg.asset(key=table.key, group_name=GROUP, kinds=KINDS, deps=[_key(d) for d in deps],
                    pool=WAREHOUSE_WRITER_POOL, description=description)


def _write(table: tables.ResultTable, frame: pd.DataFrame) -> int:
    with warehouse() as con:
        return write_table(con, table.relation, with_computed_at(frame, now_utc()), table.schema)


class AttributionConfig(dg.Config):
    """Run config of the data-driven attribution (e.g. `markov_order: {env: ADLEDGER_MARKOV_ORDER}`)."""

    markov_order: int = Field(default=1, ge=1, le=4, description="order of the Markov chain (1-4)")
    lookback_days: int = Field(
        default=30, ge=1,
        description="days of touches before a non-converting person's last touch that form their journey "
                    "(keep equal to the dbt var attribution_lookback_days)",
    )


@dg.multi_asset(
    name="data_driven_attribution",
    specs=[
        dg.AssetSpec(
            tables.ATTRIBUTION_CREDITS.key, group_name=GROUP, kinds=KINDS, deps=[_key(d) for d in JOURNEY_INPUTS],
            description="Markov (order from run config, default 1) and simplified-Shapley (fractribution) credits "
                        "per conversion and touchpoint, from user-level journeys with non-converting paths as the "
                        "chain's nulls; each conversion's credits sum to 1 (docs/attribution.md). Read back by dbt "
                        "into marts.fct_attributed_conversions.",
        ),
        dg.AssetSpec(
            tables.MARKOV_REMOVAL_EFFECTS.key, group_name=GROUP, kinds=KINDS, deps=[_key(d) for d in JOURNEY_INPUTS],
            description="Markov removal effect per channel with the channel's attributed conversions and revenue "
                        "(reporting currency), computed exactly from the same journeys; `order` is the chain order.",
        ),
    ],
    pool=WAREHOUSE_WRITER_POOL,
)
def data_driven_attribution(context: dg.AssetExecutionContext, config: AttributionConfig):
    with warehouse() as con:
        journeys = load_journeys(con, lookback_days=config.lookback_days)
    result = attribute_journeys(journeys, order=config.markov_order)
    credit_rows = _write(tables.ATTRIBUTION_CREDITS, result.credits)
    effects = result.removal_effects.assign(order=config.markov_order)
    _write(tables.MARKOV_REMOVAL_EFFECTS, effects)
    context.log.info(f"attributed {len(journeys.orders)} user-level conversions over {len(journeys.paths)} paths "
                     f"(Markov order {config.markov_order})")
    common = {"markov_order": config.markov_order, "distinct_paths": len(journeys.paths),
              "converting_journeys": len(journeys.orders),
              "non_converting_journeys": int(journeys.paths["nulls"].sum())}
    yield dg.MaterializeResult(asset_key=tables.ATTRIBUTION_CREDITS.key, metadata={
        **common, "dagster/row_count": credit_rows, "conversions_without_path": len(journeys.unattributed)})
    yield dg.MaterializeResult(asset_key=tables.MARKOV_REMOVAL_EFFECTS.key, metadata={
        **common, "dagster/row_count": len(effects),
        "removal_effects": dg.MetadataValue.json(
            {r.channel: round(float(r.removal_effect), 6) for r in effects.itertuples()})})


class ExperimentConfig(dg.Config):
    alpha: float = Field(default=0.05, gt=0, le=0.5, description="two-sided significance level")
    min_effect: float = Field(default=0.1, gt=0, description="smallest relative change worth detecting (power)")
    metric: Literal["conversion", "revenue"] = Field(default="conversion", description="metric of the decision")


@_result_asset(
    tables.EXPERIMENT_RESULTS,
    ["intermediate/int_experiment_exposures", "marts/fct_conversions"],
    "A/B and multivariate results per experiment and variation from `Experiment Viewed` exposures "
    "(first exposure per person; people shown several variations excluded and counted) and their "
    "orders until the experiment's last exposure: rates, uplift with CI, z-test and Holm, chance to "
    "beat control, SRM, power, revenue per user (Welch) and a decision.",
)
def mart_experiment_results(context: dg.AssetExecutionContext, config: ExperimentConfig) -> dg.MaterializeResult:
    with warehouse() as con:
        totals = variant_totals(con)
    results = experiment_results(totals, alpha=config.alpha, min_effect=config.min_effect, metric=config.metric)
    rows = _write(tables.EXPERIMENT_RESULTS, results)
    decisions = {f"{r.experiment_id} {r.variant}": r.decision for r in results.itertuples() if r.decision}
    context.log.info(f"analyzed {results['experiment_id'].nunique()} experiments")
    return dg.MaterializeResult(metadata={"dagster/row_count": rows, "decisions": dg.MetadataValue.json(decisions)})


class IncrementalityConfig(dg.Config):
    assignments_table: str = Field(
        default=HOLDOUT_ASSIGNMENTS,
        description="`schema.table` of the holdout assignments (customer_id, platform, is_holdout)")
    start_date: str | None = Field(default=None, description="first order day of the study, YYYY-MM-DD "
                                                           "(default: the first day with orders)")
    end_date: str | None = Field(default=None, description="last order day of the study, YYYY-MM-DD "
                                                         "(default: the last day with orders)")
    alpha: float = Field(default=0.05, gt=0, le=0.5)


@_result_asset(
    tables.INCREMENTALITY,
    ["raw_first_party/holdout_assignments", "staging/stg_first_party__orders", "staging/stg_first_party__fx_rates",
     "marts/fct_ad_spend"],
    "Holdout lift per platform: orders per person of the treated audience minus the held-out one, with "
    "CI, incremental orders, incremental CPA and iROAS (spend from fct_ad_spend). Reads the lift studies' "
    "assignment lists (first-party export holdout_assignments: customer_id, platform, is_holdout); empty "
    "without one.",
)
def incrementality_asset(context: dg.AssetExecutionContext, config: IncrementalityConfig) -> dg.MaterializeResult:
    with warehouse() as con:
        groups = holdout_groups(con, config.assignments_table, _day(config.start_date), _day(config.end_date))
    result = incrementality(groups, alpha=config.alpha)
    rows = _write(tables.INCREMENTALITY, result)
    metadata: dict = {"dagster/row_count": rows, "assignments_table": config.assignments_table}
    if result.empty:
        note = (f"no holdout measured: {config.assignments_table} is missing or has no treated and held-out people; "
                "load the assignment list of a lift study there")
        context.log.warning(note)
        metadata["note"] = note
    return dg.MaterializeResult(metadata=metadata)


class DriftConfig(dg.Config):
    window: int = Field(default=7, ge=1, description="days of the baseline before each day")


@_result_asset(
    tables.ATTRIBUTION_DRIFT,
    ["marts/fct_attributed_conversions"],
    "Daily population stability index of each attribution model's channel shares against the "
    "preceding days (psi > 0.25: major shift); read by the anomaly detector.",
)
def attribution_drift(context: dg.AssetExecutionContext, config: DriftConfig) -> dg.MaterializeResult:
    with warehouse() as con:
        credits = daily_credits(con)
    result = drift(credits, window=config.window)
    rows = _write(tables.ATTRIBUTION_DRIFT, result)
    worst = result.dropna(subset=["psi"]).sort_values("psi").tail(1)
    metadata: dict = {"dagster/row_count": rows}
    if len(worst):
        metadata["max_psi"] = float(worst["psi"].iloc[0])
        metadata["max_psi_at"] = f"{worst['model'].iloc[0]} {worst['day'].iloc[0]}"
    return dg.MaterializeResult(metadata=metadata)


class FatigueConfig(dg.Config):
    drop: float = Field(default=0.2, gt=0, lt=1, description="relative CTR loss that calls for a refresh")


@_result_asset(
    tables.CREATIVE_FATIGUE,
    ["marts/fct_ad_spend"],
    "CTR decay per ad from daily impressions and clicks in fct_ad_spend (Poisson fit against the ad's "
    "age): daily decay, a fatigue flag and the estimated refresh date.",
)
def creative_fatigue(context: dg.AssetExecutionContext, config: FatigueConfig) -> dg.MaterializeResult:
    with warehouse() as con:
        daily = ad_daily(con)
    result = fatigue(daily, drop=config.drop)
    rows = _write(tables.CREATIVE_FATIGUE, result)
    fatigued = int(result["fatigued"].sum()) if rows else 0
    return dg.MaterializeResult(metadata={"dagster/row_count": rows, "fatigued_ads": fatigued})


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None
