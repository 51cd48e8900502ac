"""`marts/mart_anomalies`: spend/KPI anomalies, tracking outages, attribution drift and click-fraud incidents.

Runs `adledger.analytics.anomalies.detect` on the warehouse (downstream of the dbt marts and the attribution drift
asset), merges the result with the previous table so an anomaly keeps its id, first detection time and any status
a user set (`new` the first time, `open` when seen again), replaces the table in one transaction, then alerts for
the anomalies that are new in this run (`dagster_project.defs.alerts.anomalies.alert_new_anomalies`).
"""


import dagster as dg
import pandas as pd

from adledger.analytics.anomalies import detect, merge_status
from dagster_project.defs.alerts.anomalies import alert_new_anomalies
from dagster_project.defs.anomalies.inputs import INPUT_KEYS, load_inputs
from dagster_project.defs.anomalies.tables import ANOMALIES
from dagster_project.lib.analytics_io import now_utc, read_frame, relation_exists, warehouse, write_table
from dagster_project.lib.env import WAREHOUSE_WRITER_POOL


def mart_rows(found: pd.DataFrame, previous: pd.DataFrame | None, computed_at) -> pd.DataFrame:
    """The table's rows: statuses merged with `previous`, dates of the span (end inclusive), `computed_at`."""
    rows = merge_status(found, previous, computed_at)
    rows["start_date"] = pd.to_datetime(rows["start_at"], utc=True).dt.date
    rows["end_date"] = (pd.to_datetime(rows["end_at"], utc=True) - pd.Timedelta(microseconds=1)).dt.date
    rows["computed_at"] = pd.Timestamp(computed_at)
    return rows


@dg.asset(
    key=ANOMALIES.key, group_name="anomalies", kinds={"python", "duckdb"},
    deps=[dg.AssetKey(k.split("/")) for k in INPUT_KEYS], pool=WAREHOUSE_WRITER_POOL,
    description="One row per detected anomaly: spend/clicks/CPA/ROAS against a robust day-of-week baseline, "
                "tracking outages (hours without events while spend went on), attribution drift (click mix per "
                "click id type), click-fraud bursts and click injection with evidence and money at stake (USD); "
                "status new/open or as a user set it. New anomalies alert (docs/anomalies.md).",
)
def mart_anomalies(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    computed_at = now_utc()
    with warehouse() as con:
        found = detect(load_inputs(con))
        previous = read_frame(con, f"select * from {ANOMALIES.relation}") \
            if relation_exists(con, ANOMALIES.relation) else None
        rows = mart_rows(found, previous, computed_at)
        written = write_table(con, ANOMALIES.relation, rows, ANOMALIES.schema)
    new = rows[rows["status"] == "new"]
    deliveries = alert_new_anomalies(new, run_id=context.run_id)
    context.log.info(f"{len(found)} anomalies detected, {len(new)} new")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": written, "detected": len(found), "new": len(new), "alerts": len(deliveries),
        "by_type": dg.MetadataValue.json(found["anomaly_type"].value_counts().to_dict()),
    })
