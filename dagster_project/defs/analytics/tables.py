"""The tables the analytics assets write: warehouse relation and column types (the contract BI and dbt read).

Every table is replaced as a whole by its asset (`dagster_project.lib.analytics_io.write_table`) and carries
`computed_at`, the UTC time of the run that computed it. Money is in the reporting currency.
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg
import pyarrow as pa

_TS = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True)
class ResultTable:
    relation: str
    schema: pa.Schema

    @property
    def key(self) -> dg.AssetKey:
        return dg.AssetKey(self.relation.split("."))


def _f(*names: str) -> list[tuple[str, pa.DataType]]:
    return [(n, pa.float64()) for n in names]


ATTRIBUTION_CREDITS = ResultTable("analytics.attribution_credits", pa.schema([
    ("order_id", pa.string()), ("model", pa.string()), ("touchpoint_id", pa.string()), ("channel", pa.string()),
    ("credit", pa.float64()), ("computed_at", _TS),
]))

MARKOV_REMOVAL_EFFECTS = ResultTable("marts.mart_markov_removal_effects", pa.schema([
    ("channel", pa.string()), ("removal_effect", pa.float64()), ("conversions", pa.float64()),
    ("conversion_value", pa.float64()), ("order", pa.int32()), ("computed_at", _TS),
]))

EXPERIMENT_RESULTS = ResultTable("marts.mart_experiment_results", pa.schema([
    ("experiment_id", pa.string()), ("variant", pa.string()), ("users", pa.int64()), ("conversions", pa.int64()),
    *_f("rate", "diff", "diff_ci_low", "diff_ci_high", "uplift", "ci_low", "ci_high", "p_value", "p_value_adjusted",
        "chance_to_beat_control", "srm_p_value"),
    ("srm", pa.bool_()),
    *_f("power", "users_needed", "revenue_per_user", "revenue_uplift", "revenue_ci_low", "revenue_ci_high",
        "revenue_p_value", "revenue_p_value_adjusted"),
    ("decision", pa.string()), ("excluded_users", pa.int64()), ("started_at", _TS), ("ended_at", _TS),
    ("computed_at", _TS),
]))

INCREMENTALITY = ResultTable("analytics.incrementality", pa.schema([
    ("platform", pa.string()), ("start_date", pa.date32()), ("end_date", pa.date32()),
    ("treatment_users", pa.int64()), ("treatment_conversions", pa.int64()), ("treatment_revenue", pa.float64()),
    ("holdout_users", pa.int64()), ("holdout_conversions", pa.int64()), ("holdout_revenue", pa.float64()),
    *_f("spend", "treatment_rate", "holdout_rate", "lift", "lift_ci_low", "lift_ci_high", "relative_lift", "p_value",
        "incremental_conversions", "incremental_conversions_ci_low", "incremental_conversions_ci_high",
        "incremental_cpa", "incremental_cpa_ci_low", "incremental_cpa_ci_high",
        "incremental_revenue", "incremental_revenue_ci_low", "incremental_revenue_ci_high",
        "iroas", "iroas_ci_low", "iroas_ci_high"),
    ("computed_at", _TS),
]))

ATTRIBUTION_DRIFT = ResultTable("analytics.attribution_drift", pa.schema([
    ("model", pa.string()), ("day", pa.date32()), ("channel", pa.string()),
    *_f("share", "baseline_share", "psi_term", "psi"), ("computed_at", _TS),
]))

CREATIVE_FATIGUE = ResultTable("analytics.creative_fatigue", pa.schema([
    ("creative_id", pa.string()), ("platform", pa.string()), ("account_id", pa.string()),
    ("campaign_id", pa.string()), ("ad_group_id", pa.string()), ("ad_id", pa.string()), ("ad_name", pa.string()),
    ("first_day", pa.date32()), ("last_day", pa.date32()), ("days", pa.int64()), ("impressions", pa.int64()),
    ("clicks", pa.int64()),
    *_f("ctr", "ctr_start", "ctr_now", "daily_decay", "frequency_elasticity", "p_value"),
    ("fatigued", pa.bool_()), ("refresh_date", pa.date32()), ("computed_at", _TS),
]))
