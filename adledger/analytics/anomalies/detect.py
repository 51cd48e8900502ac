"""Run every detector on one set of inputs and merge the result into the anomaly mart's rows.

`DetectorInputs` is the contract between a data source (the warehouse marts in Dagster, or a simulated world's
files in the bench) and the detectors; `detect` returns one row per anomaly (`records.ANOMALY_COLUMNS`);
`merge_status` turns it into the mart's rows given the previous mart: `new` the first time an anomaly id is seen,
`open` when it is seen again, and any status a user set (`acknowledged`, `resolved`, `ignored`, ...) kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from adledger.analytics.anomalies.conversion_rate import abnormal_cvr_anomalies
from adledger.analytics.anomalies.drift import attribution_drift_anomalies
from adledger.analytics.anomalies.flooding import click_flooding_incidents
from adledger.analytics.anomalies.fraud import (abnormal_ctr_anomalies, click_fraud_incidents,
                                                click_injection_incidents)
from adledger.analytics.anomalies.kpi import kpi_anomalies
from adledger.analytics.anomalies.outage import tracking_outages
from adledger.analytics.anomalies.records import ANOMALY_COLUMNS

#: statuses the detector sets; anything else was set by a user and is kept
DETECTOR_STATUSES = ("new", "open")
MART_COLUMNS = (*ANOMALY_COLUMNS, "status", "detected_at", "last_seen_at")


@dataclass
class DetectorInputs:
    """Frames the detectors read (column contracts in the detector modules).

    `campaign_daily`: kpi.CAMPAIGN_DAILY_COLUMNS (account-local day, USD); `hourly`: outage.HOURLY_COLUMNS;
    `sessions`: drift.SESSION_DAILY_COLUMNS; `clicks`: fraud.CLICK_COLUMNS; `conversion_drift`: optional rows of
    `analytics.attribution_drift`; `last_clicks`: optional flooding.LAST_CLICK_COLUMNS (each order's last click).
    """

    campaign_daily: pd.DataFrame
    hourly: pd.DataFrame
    sessions: pd.DataFrame
    clicks: pd.DataFrame
    conversion_drift: pd.DataFrame | None = None
    last_clicks: pd.DataFrame | None = None


def detect(inputs: DetectorInputs) -> pd.DataFrame:
    """Every anomaly found in `inputs`, sorted by start and type."""
    daily = inputs.campaign_daily.assign(day=pd.to_datetime(inputs.campaign_daily["day"]))
    spend_by_day = daily.groupby("day")["spend"].sum()
    outages = tracking_outages(inputs.hourly, spend_by_day)
    outage_days = {d.date() for d in outages["start_at"]} if not outages.empty else set()
    platform_spend = daily.groupby(["day", "platform"], as_index=False)["spend"].sum()
    parts = [
        kpi_anomalies(daily, excluded_days=outage_days),
        outages,
        attribution_drift_anomalies(inputs.sessions, platform_spend, inputs.conversion_drift),
        click_fraud_incidents(inputs.clicks, daily),
        click_injection_incidents(inputs.clicks),
        abnormal_ctr_anomalies(daily),
        click_flooding_incidents(inputs.clicks, inputs.last_clicks),
        abnormal_cvr_anomalies(inputs.clicks),
    ]
    found = pd.concat([p for p in parts if not p.empty], ignore_index=True) if any(not p.empty for p in parts) \
        else pd.DataFrame(columns=list(ANOMALY_COLUMNS))
    return _explained_by_fraud(found).sort_values(["start_at", "anomaly_type", "scope"], ignore_index=True)


def _explained_by_fraud(found: pd.DataFrame) -> pd.DataFrame:
    """Without click spikes of a campaign that has a click-fraud burst within a day of them: the burst is the
    anomaly, the extra clicks are its symptom (its evidence already counts them)."""
    bursts = found[found["anomaly_type"] == "click_fraud_burst"]
    if bursts.empty:
        return found
    spikes = found[found["anomaly_type"] == "clicks_spike"]
    pairs = spikes.reset_index().merge(bursts, on=["platform", "campaign"], suffixes=("", "_burst"))
    near = pairs[(pairs["start_at"] < pairs["end_at_burst"] + pd.Timedelta(days=1))
                 & (pairs["end_at"] > pairs["start_at_burst"] - pd.Timedelta(days=1))]
    return found.drop(index=near["index"].unique())


def merge_status(found: pd.DataFrame, previous: pd.DataFrame | None, now: datetime) -> pd.DataFrame:
    """The mart's rows: `found` with `status`, `detected_at` (first seen) and `last_seen_at`, plus previous rows
    not found this time (kept as they were, so a user's status and history survive)."""
    rows = found.copy()
    stamp = pd.Timestamp(now)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    rows["status"] = "new"
    rows["detected_at"] = stamp
    rows["last_seen_at"] = stamp
    if previous is not None and not previous.empty:
        before = previous.drop_duplicates("anomaly_id").set_index("anomaly_id")
        seen = rows["anomaly_id"].isin(before.index)
        old_status = rows["anomaly_id"].map(before["status"])
        kept = seen & old_status.notna() & ~old_status.isin(DETECTOR_STATUSES)
        rows["status"] = old_status.where(kept, "open").where(seen, "new")
        first_seen = rows["anomaly_id"].map(pd.to_datetime(before["detected_at"], utc=True))
        rows["detected_at"] = first_seen.where(seen, stamp)
        gone = previous[~previous["anomaly_id"].isin(rows["anomaly_id"])]
        rows = pd.concat([rows, gone[list(MART_COLUMNS)]], ignore_index=True)
    return rows[list(MART_COLUMNS)].sort_values(["start_at", "anomaly_type", "scope"], ignore_index=True)
