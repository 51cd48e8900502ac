"""Non-blocking checks of the optimization results (they warn; nothing downstream waits for them)."""

from __future__ import annotations

import dagster as dg

from adledger.analytics.optimization.ledger import TABLE as LEDGER
from dagster_project.defs.optimization import tables
from dagster_project.lib.analytics_io import read_frame, relation_exists, warehouse
from dagster_project.lib.env import WAREHOUSE_WRITER_POOL

#: USD/day a plan's total or a channel's bound may be off by (a cent)
CENT = 0.01


@dg.asset_check(
    asset=tables.BUDGET_RECOMMENDATIONS.key,
    name="plan_spends_the_budget_within_bounds",
    description="The recommended spends add up to the budget within a cent (for the conversions and revenue "
                "objectives; target objectives spend at most the budget) and every channel's recommended spend "
                "lies within its bounds within a cent.",
    blocking=False,
    pool=WAREHOUSE_WRITER_POOL,
)
def plan_spends_the_budget_within_bounds() -> dg.AssetCheckResult:
    with warehouse() as con:
        plan = read_frame(con, f"select * from {tables.BUDGET_RECOMMENDATIONS.relation} order by channel")
    if plan.empty:
        return dg.AssetCheckResult(passed=True, metadata={"channels": 0, "note": "no plan this run"})
    budget, total = float(plan["budget"].iloc[0]), float(plan["recommended_spend"].sum())
    spends_budget = plan["objective"].iloc[0] in ("conversions", "revenue")
    total_ok = abs(total - budget) <= CENT if spends_budget else total <= budget + CENT
    outside = plan[(plan["recommended_spend"] < plan["min_spend"] - CENT)
                   | (plan["recommended_spend"] > plan["max_spend"] + CENT)]
    return dg.AssetCheckResult(
        passed=bool(total_ok and outside.empty),
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "channels": len(plan), "budget": budget, "total_recommended": total,
            "channels_outside_bounds": dg.MetadataValue.json(
                {r.channel: [float(r.min_spend), float(r.recommended_spend), float(r.max_spend)]
                 for r in outside.itertuples()}),
        },
    )


@dg.asset_check(
    asset=tables.DECISIONS,
    name="one_open_decision_per_channel",
    description="No channel is in two open decisions (proposed or applied) at once: reruns of a cycle record "
                "nothing twice, and a channel under observation gets no second change.",
    blocking=False,
    pool=WAREHOUSE_WRITER_POOL,
)
def one_open_decision_per_channel() -> dg.AssetCheckResult:
    with warehouse() as con:
        if not relation_exists(con, LEDGER):
            return dg.AssetCheckResult(passed=True, metadata={"open_decisions": 0})
        clashes = read_frame(con, f"""
            with open_entities as (
                select decision_id, unnest(entities) as entity
                from {LEDGER}
                where status in ('proposed', 'applied')
            )
            select entity, count(*) as decisions, string_agg(decision_id, ', ' order by decision_id) as ids
            from open_entities
            group by entity
            having count(*) > 1
            order by entity
        """)
        (open_count,) = con.execute(f"select count(*) from {LEDGER} where status in ('proposed', 'applied')"
                                    ).fetchone()
    return dg.AssetCheckResult(
        passed=clashes.empty,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"open_decisions": open_count,
                  "channels_in_several": dg.MetadataValue.json({r.entity: r.ids for r in clashes.itertuples()})},
    )
