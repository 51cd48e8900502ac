"""The optimization loop as Dagster assets downstream of the marts (group `optimization`).

A run goes `marts/mart_channel_performance_daily` → `analytics/response_curves` (one fit per channel with its
bootstrap replicates) → `marts/mart_budget_recommendations` (the plan) → `analytics/decisions` (the ledger: judge
the applied changes whose window has passed, record the plan's moves as proposals). The math is
`adledger.analytics.optimization`; `docs/optimization.md` describes it and this loop.

The loop is daily: the assets materialize on a daily cron once the marts have been rebuilt after it (their own
automation condition, which the graph-wide eager policy leaves in place), and the plan's freshness window is a day.
"""


from datetime import date, timedelta
from typing import Literal

import dagster as dg
import pandas as pd
from pydantic import Field

from adledger.analytics.optimization import OptimizationDataError, PlanError, allocate_budget, fit_curves
from adledger.analytics.optimization.ledger import TABLE as LEDGER
from dagster_project.defs.analytics.tables import ResultTable
from dagster_project.defs.optimization import tables
from dagster_project.defs.optimization.curves import (MART, MissingModelError, channel_daily, fits_from_frame,
                                                      fits_to_frame)
from dagster_project.defs.optimization.cycle import run_cycle
from dagster_project.lib.analytics_io import now_utc, read_frame, warehouse, with_computed_at, write_table
from dagster_project.lib.env import WAREHOUSE_WRITER_POOL

GROUP = "optimization"
KINDS = {"python", "duckdb"}
CHANNEL_MART = dg.AssetKey(MART.split("."))
#: after the daily sources (06:00 UTC) and the marts they feed
DAILY_CRON = "0 7 * * *"
DAILY = dg.AutomationCondition.on_cron(DAILY_CRON)
PLAN_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=49), warn_window=timedelta(hours=25))


def _write(table: ResultTable, frame: pd.DataFrame) -> int:
    with warehouse() as con:
        return write_table(con, table.relation, with_computed_at(frame, now_utc()), table.schema)


def _last_day(con) -> date | None:
    (day,) = con.execute(f"select max(day) from {MART}").fetchone()
    return day


class CurvesConfig(dg.Config):
    """Run config of the response-curve fit (e.g. `attribution_model: linear` to plan on linear credits)."""

    attribution_model: str = Field(
        default="markov", description="the model of marts.mart_channel_performance_daily whose conversions the "
                                      "curves learn (markov, shapley, linear, position_based, first_touch, ...)")
    history_days: int | None = Field(default=None, ge=1, description="fit on the last N days only (default: all)")
    min_days: int = Field(default=28, ge=7, description="fewer days of data than this: no curves, no plan")
    replicates: int = Field(default=200, ge=10, le=2000, description="bootstrap replicates per curve")
    incremental: bool = Field(default=False, description="conversions are incremental: curves through the origin "
                                                         "(default: attributed, with a fitted base level)")
    seed: int = Field(default=0, description="seed of the bootstrap")


@dg.asset(
    key=tables.RESPONSE_CURVES.key,
    group_name=GROUP,
    kinds=KINDS,
    deps=[CHANNEL_MART],
    pool=WAREHOUSE_WRITER_POOL,
    automation_condition=DAILY,
    description="Adstock + Hill response curve per paid channel, fitted to daily spend and the conversions one "
                "attribution model credits (run config; default markov), with 90 % bootstrap intervals of its "
                "parameters and of marginal CPA/ROAS at current spend, and the replicates the plan and the ledger "
                "reuse. Empty (with a note) while the mart holds fewer than `min_days` days.",
)
def response_curves(context: dg.AssetExecutionContext, config: CurvesConfig) -> dg.MaterializeResult:
    with warehouse() as con:
        as_of = _last_day(con)
        try:
            daily = channel_daily(con, config.attribution_model, config.history_days)
        except MissingModelError as exc:
            raise dg.Failure(description=f"{exc}: set `attribution_model` in the run config of response_curves")
    days = daily["day"].nunique()
    metadata: dict = {"attribution_model": config.attribution_model, "days": days,
                      "as_of": as_of.isoformat() if as_of else "no data"}
    fits = {}
    if days < config.min_days:
        metadata["note"] = (f"{days} day(s) of {config.attribution_model} data in {MART}; response curves need at "
                            f"least {config.min_days}: no curves this run")
        context.log.warning(metadata["note"])
    else:
        try:
            fits = fit_curves(daily, intercept=not config.incremental, replicates=config.replicates,
                              seed=config.seed, min_days=config.min_days)
        except OptimizationDataError as exc:
            raise dg.Failure(description=f"cannot fit response curves on {MART}: {exc}")
    rows = _write(tables.RESPONSE_CURVES, fits_to_frame(fits, config.attribution_model, as_of))
    metadata.update({"dagster/row_count": rows,
                     "identified": dg.MetadataValue.json(sorted(k for k, f in fits.items() if f.identified)),
                     "not_identified": dg.MetadataValue.json({k: f.note for k, f in fits.items() if not f.identified})})
    return dg.MaterializeResult(metadata=metadata)


class PlanConfig(dg.Config):
    """Run config of the budget plan (`docs/optimization.md`, "Budget plans")."""

    budget: float | None = Field(default=None, gt=0, description="total daily budget, USD/day (default: the "
                                                                 "current daily spend, i.e. reallocate it)")
    objective: Literal["conversions", "revenue", "target_cpa", "target_roas"] = "conversions"
    target: float | None = Field(default=None, gt=0, description="the CPA (USD) or ROAS of a target objective")
    max_change: float = Field(default=0.3, ge=0, le=10, description="largest change of a channel's spend, as a "
                                                                    "share of its current spend")
    min_spend: dict[str, float] = Field(default_factory=dict, description="hard minimum per channel, USD/day")
    max_spend: dict[str, float] = Field(default_factory=dict, description="hard maximum per channel, USD/day")


@dg.asset(
    key=tables.BUDGET_RECOMMENDATIONS.key,
    group_name=GROUP,
    kinds=KINDS,
    deps=[tables.RESPONSE_CURVES.key],
    pool=WAREHOUSE_WRITER_POOL,
    automation_condition=DAILY,
    freshness_policy=PLAN_FRESHNESS,
    description="The budget plan, one row per paid channel: current vs recommended daily spend within ±30 % "
                "(run config: budget, objective, bounds), expected change in conversions/day with its 90 % "
                "interval, marginal CPA/ROAS before and after, and the reason. The budget defaults to the current "
                "daily spend (mean of the last 28 days). Empty while there are no curves.",
)
def mart_budget_recommendations(context: dg.AssetExecutionContext, config: PlanConfig) -> dg.MaterializeResult:
    with warehouse() as con:
        curves = read_frame(con, f"select * from {tables.RESPONSE_CURVES.relation} order by channel")
    fits = fits_from_frame(curves)
    if not fits:
        _write(tables.BUDGET_RECOMMENDATIONS, pd.DataFrame())
        note = "no response curves (see analytics/response_curves): no plan this run"
        context.log.warning(note)
        return dg.MaterializeResult(metadata={"dagster/row_count": 0, "note": note})
    budget = config.budget or sum(f.current_spend for f in fits.values())
    try:
        plan = allocate_budget(fits, budget, objective=config.objective, target=config.target,
                               max_change=config.max_change, min_spend=config.min_spend, max_spend=config.max_spend)
    except PlanError as exc:
        raise dg.Failure(description=f"no budget plan: {exc} (run config of mart_budget_recommendations)")
    frame = plan.table.assign(as_of=curves["as_of"].iloc[0], attribution_model=curves["attribution_model"].iloc[0],
                              objective=config.objective, target=config.target, budget=budget)
    rows = _write(tables.BUDGET_RECOMMENDATIONS, frame)
    s = plan.summary
    return dg.MaterializeResult(metadata={
        "dagster/row_count": rows, "budget": budget, "total_recommended": s["total_recommended"],
        "expected_change": s["expected_change"], "expected_change_low": s["expected_change_low"],
        "expected_change_high": s["expected_change_high"], "expected_cpa": s["expected_cpa"],
        "note": s["note"] or "",
    })


class DecisionsConfig(dg.Config):
    """Run config of the decision ledger's cycle (`docs/optimization.md`, "The decision ledger")."""

    keep_probability: float = Field(default=0.5, gt=0, lt=1, description="keep an applied change when its "
                                                                         "probability of a gain reaches this")


@dg.asset(
    key=tables.DECISIONS,
    group_name=GROUP,
    kinds=KINDS,
    deps=[tables.BUDGET_RECOMMENDATIONS.key, tables.RESPONSE_CURVES.key, CHANNEL_MART],
    pool=WAREHOUSE_WRITER_POOL,
    automation_condition=DAILY,
    description="The decision ledger (one row per decision, status proposed → applied → kept | reverted): each "
                "cycle judges the applied changes whose observation window has ended on the refitted curves "
                "(the observed before/after change with Welch's t is stored beside them), rejects unapplied "
                "proposals of earlier cycles, and records the plan's budget moves as proposals. A cycle is the last "
                "day of data: a rerun on the same day records nothing twice.",
)
def decisions(context: dg.AssetExecutionContext, config: DecisionsConfig) -> dg.MaterializeResult:
    with warehouse() as con:
        plan = read_frame(con, f"select * from {tables.BUDGET_RECOMMENDATIONS.relation} order by channel")
        curves = read_frame(con, f"select * from {tables.RESPONSE_CURVES.relation} order by channel")
        model = curves["attribution_model"].iloc[0] if len(curves) else None
        as_of = _last_day(con)
        if as_of is None:
            note = f"{MART} is empty: no cycle this run"
            context.log.warning(note)
            return dg.MaterializeResult(metadata={"note": note})
        observations = channel_daily(con, model).rename(columns={"channel": "entity"}) if model else \
            pd.DataFrame(columns=["day", "entity", "conversions", "revenue"])
        metric = "revenue" if len(plan) and plan["objective"].iloc[0] in ("revenue", "target_roas") else "conversions"
        result = run_cycle(con, plan, fits_from_frame(curves), observations, as_of, metric,
                           config.keep_probability)
        (total,) = con.execute(f"select count(*) from {LEDGER}").fetchone()
    verdicts = result.evaluated["status"].value_counts().to_dict() if len(result.evaluated) else {}
    context.log.info(f"cycle {result.cycle} ({as_of}): judged {len(result.evaluated)}, recorded "
                     f"{len(result.recorded)} proposal(s)")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": total, "as_of": as_of.isoformat(), "cycle": result.cycle,
        "proposed": len(result.recorded), "already_recorded": result.already_recorded,
        "held_under_observation": result.held_under_observation, "superseded": len(result.superseded),
        "kept": int(verdicts.get("kept", 0)), "reverted": int(verdicts.get("reverted", 0)),
    })
