"""`marts.mart_anomalies`: one row per detected anomaly (the contract BI, alerts and docs/anomalies.md read)."""

from __future__ import annotations

import pyarrow as pa

from dagster_project.defs.analytics.tables import ResultTable

_TS = pa.timestamp("us", tz="UTC")

ANOMALIES = ResultTable("marts.mart_anomalies", pa.schema([
    ("anomaly_id", pa.string()), ("anomaly_type", pa.string()), ("family", pa.string()), ("scope", pa.string()),
    ("platform", pa.string()), ("channel", pa.string()), ("campaign", pa.string()),
    ("start_at", _TS), ("end_at", _TS), ("start_date", pa.date32()), ("end_date", pa.date32()),
    ("severity", pa.string()), ("score", pa.float64()), ("evidence", pa.string()),
    ("money_at_stake", pa.float64()), ("status", pa.string()), ("detected_at", _TS), ("last_seen_at", _TS),
    ("computed_at", _TS),
]))
