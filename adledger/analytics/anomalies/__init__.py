"""Anomaly, click-fraud and drift detection on the ledger (plain Python on pandas/numpy; docs/anomalies.md).

`detect(DetectorInputs)` runs every detector and returns one row per anomaly; `merge_status` turns that into the
rows of `marts.mart_anomalies`; `load_world` builds the inputs from a simulated world's files and `score` matches
anomalies to the world's labelled incidents.
"""

from adledger.analytics.anomalies.detect import MART_COLUMNS, DetectorInputs, detect, merge_status
from adledger.analytics.anomalies.records import ANOMALY_COLUMNS, FAMILIES, FAMILY_OF, anomaly_id

__all__ = ["ANOMALY_COLUMNS", "FAMILIES", "FAMILY_OF", "MART_COLUMNS", "DetectorInputs", "anomaly_id", "detect",
           "merge_status"]
