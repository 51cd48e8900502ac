"""Non-blocking checks of `marts.mart_anomalies` (they warn; nothing downstream waits for them)."""

from __future__ import annotations

import dagster as dg

from dagster_project.defs.anomalies.tables import ANOMALIES
from dagster_project.lib.analytics_io import read_frame, warehouse
from dagster_project.lib.env import WAREHOUSE_WRITER_POOL


@dg.asset_check(asset=ANOMALIES.key, name="one_row_per_anomaly", blocking=False, pool=WAREHOUSE_WRITER_POOL,
                description="anomaly_id is unique and every row has a type, scope, start before end and a status.")
def one_row_per_anomaly() -> dg.AssetCheckResult:
    with warehouse() as con:
        bad = read_frame(con, f"""
            select anomaly_id, count(*) as rows from {ANOMALIES.relation}
            group by anomaly_id
            having count(*) > 1 or bool_or(anomaly_type is null or scope is null or status is null
                                           or start_at is null or end_at <= start_at)
        """)
    return dg.AssetCheckResult(passed=bad.empty, severity=dg.AssetCheckSeverity.WARN,
                               metadata={"bad_ids": dg.MetadataValue.json(bad["anomaly_id"].head(20).tolist())})


@dg.asset_check(asset=ANOMALIES.key, name="no_open_high_severity_anomaly", blocking=False,
                pool=WAREHOUSE_WRITER_POOL,
                description="No anomaly of high severity is new or open: one that is needs someone to look at it "
                            "(set its status once handled).")
def no_open_high_severity_anomaly() -> dg.AssetCheckResult:
    with warehouse() as con:
        open_high = read_frame(con, f"""
            select anomaly_type, scope, start_date, money_at_stake from {ANOMALIES.relation}
            where severity = 'high' and status in ('new', 'open')
            order by money_at_stake desc
        """)
    return dg.AssetCheckResult(
        passed=open_high.empty, severity=dg.AssetCheckSeverity.WARN,
        description="; ".join(f"{r.anomaly_type} on {r.scope} from {r.start_date}" for r in open_high.head(5)
                              .itertuples()) or None,
        metadata={"open_high": len(open_high),
                  "money_at_stake_usd": float(open_high["money_at_stake"].sum()) if len(open_high) else 0.0})
