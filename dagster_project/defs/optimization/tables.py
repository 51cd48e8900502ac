"""The tables the optimization assets write: warehouse relation and column types (the contract BI reads).

`analytics.response_curves` and `marts.mart_budget_recommendations` are replaced as a whole by their assets
(`dagster_project.lib.analytics_io.write_table`); `analytics.decisions` is the decision ledger, which grows and
whose columns are those of `adledger.analytics.optimization.ledger.COLUMNS`. Spend and revenue are in the
reporting currency per day, conversions per day, as the attribution model of the run credits them.
"""

from __future__ import annotations

import dagster as dg
import pyarrow as pa

from adledger.analytics.optimization.fit import PARAMS
from adledger.analytics.optimization.ledger import TABLE as LEDGER
from dagster_project.defs.analytics.tables import ResultTable

_TS = pa.timestamp("us", tz="UTC")


def _f(*names: str) -> list[tuple[str, pa.DataType]]:
    return [(n, pa.float64()) for n in names]


#: one row per channel: the fitted curve (`docs/optimization.md`), 90 % bootstrap intervals of its parameters and
#: of the marginal returns at current spend, and the replicates themselves (`<param>_replicates`), so the plan and
#: the ledger reuse one fit
RESPONSE_CURVES = ResultTable("analytics.response_curves", pa.schema([
    ("channel", pa.string()), ("attribution_model", pa.string()), ("as_of", pa.date32()), ("form", pa.string()),
    *[(column, pa.float64()) for p in PARAMS for column in (p, f"{p}_low", f"{p}_high")],
    ("r2", pa.float64()), ("identified", pa.bool_()), ("note", pa.string()), ("days", pa.int64()),
    *_f("current_spend", "spend_low", "spend_high", "value_per_conversion", "conversions",
        "marginal_conversions_per_usd", "marginal_cpa", "marginal_cpa_low", "marginal_cpa_high", "marginal_roas",
        "marginal_roas_low", "marginal_roas_high"),
    *[(f"{p}_replicates", pa.list_(pa.float64())) for p in PARAMS],
    ("computed_at", _TS),
]))

#: one row per channel: current vs recommended daily spend and the expected change (`BudgetPlan.table`)
BUDGET_RECOMMENDATIONS = ResultTable("marts.mart_budget_recommendations", pa.schema([
    ("channel", pa.string()), ("as_of", pa.date32()), ("attribution_model", pa.string()), ("objective", pa.string()),
    *_f("target", "budget", "current_spend", "reference_spend", "min_spend", "max_spend", "recommended_spend",
        "change", "change_pct", "reference_conversions", "expected_conversions", "expected_change",
        "expected_change_low", "expected_change_high", "value_per_conversion", "marginal_cpa_current",
        "marginal_cpa_recommended", "marginal_roas_current", "marginal_roas_recommended"),
    ("reason", pa.string()), ("computed_at", _TS),
]))

DECISIONS = dg.AssetKey(LEDGER.split("."))
