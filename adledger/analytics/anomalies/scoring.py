"""Score detected anomalies against a simulated world's labelled incidents (`truth/incidents.parquet`).

An anomaly matches an incident when (1) its family is the incident's kind's family, (2) its scope fits: same
platform as the incident's channel (or same adledger channel when the anomaly names no platform), and the same
campaign when both name one (campaign name; the partner id for affiliates), and (3) their time spans overlap, with
a tolerance of one day for daily detectors (platforms report account-local days, the truth uses UTC days) and one
hour for hourly ones. Recall per incident kind = matched incidents / incidents; precision per family = anomalies
that match some incident / anomalies; `score_types` gives the same per anomaly type (one detector at a time).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

#: the truth's incident kinds and the anomaly family that detects each
KIND_FAMILY = {"click_fraud_burst": "click_fraud", "spend_spike": "spend", "tracking_outage": "tracking_outage",
               "attribution_drift": "attribution_drift", "click_injection": "click_injection", "click_flooding": "click_flooding"}
HOURLY_FAMILIES = {"click_fraud", "tracking_outage"}
CHANNEL_OF_PLATFORM = {"google_ads": "paid_search", "microsoft_ads": "paid_search", "meta_ads": "paid_social",
                       "tiktok_ads": "paid_social", "affiliate": "affiliate", "influencer": "influencer",
                       "esp": "email"}


def load_incidents(world: Path) -> pd.DataFrame:
    """The world's incidents with `platform` (from the manifest's channel list), `start` / `end` as UTC times."""
    world = Path(world)
    incidents = pd.read_parquet(world / "truth" / "incidents.parquet")
    manifest = json.loads((world / "truth" / "manifest.json").read_text())
    platforms = {c["key"]: c["platform"] for c in manifest["channels"]}
    incidents["platform"] = incidents["channel"].map(platforms)
    incidents["start"] = pd.to_datetime(incidents["start"], utc=True)
    incidents["end"] = pd.to_datetime(incidents["end"], utc=True)
    return incidents


def matches(anomaly, incident) -> bool:
    """Whether one anomaly row matches one incident row (the rules of this module's docstring)."""
    family = KIND_FAMILY.get(incident.kind)
    if anomaly.family != family:
        return False
    if isinstance(incident.platform, str):
        if isinstance(anomaly.platform, str):
            if anomaly.platform != incident.platform:
                return False
        elif anomaly.channel != CHANNEL_OF_PLATFORM.get(incident.platform):
            return False
    both_named = isinstance(incident.campaign, str) and isinstance(anomaly.campaign, str)
    if both_named and anomaly.campaign != incident.campaign:
        return False
    tolerance = pd.Timedelta(hours=1) if family in HOURLY_FAMILIES else pd.Timedelta(days=1)
    return anomaly.start_at < incident.end + tolerance and anomaly.end_at > incident.start - tolerance


def hit_matrix(anomalies: pd.DataFrame, incidents: pd.DataFrame) -> pd.DataFrame:
    """Whether each anomaly (rows, `anomalies.index`) matches each incident (columns, `incidents.index`)."""
    return pd.DataFrame([[matches(a, i) for i in incidents.itertuples()] for a in anomalies.itertuples()],
                        columns=incidents.index, index=anomalies.index, dtype=bool)


def score(anomalies: pd.DataFrame, incidents: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(`recall` per incident kind: incidents, found; `precision` per anomaly family: anomalies, matching)."""
    hit = hit_matrix(anomalies, incidents)
    found = hit.any(axis=0) if len(anomalies) else pd.Series(False, index=incidents.index)
    true = hit.any(axis=1) if len(incidents) else pd.Series(False, index=anomalies.index)
    recall = incidents.assign(found=found.to_numpy()).groupby("kind")["found"].agg(incidents="count", found="sum")
    precision = anomalies.assign(matching=true.to_numpy()).groupby("family")["matching"].agg(
        anomalies="count", matching="sum")
    return recall.reset_index(), precision.reset_index()


def score_types(anomalies: pd.DataFrame, incidents: pd.DataFrame) -> pd.DataFrame:
    """Per anomaly type found: `anomalies`, `matching` (those that match an incident) and `found` (the incidents of
    the kinds its family detects that this type alone matched): each detector on its own."""
    hit = hit_matrix(anomalies, incidents)
    rows = []
    for kind, part in anomalies.groupby("anomaly_type"):
        theirs = incidents.index[incidents["kind"].map(KIND_FAMILY) == part["family"].iloc[0]]
        rows.append({"anomaly_type": kind, "anomalies": len(part), "matching": int(hit.loc[part.index].any(axis=1).sum()),
                     "found": int(hit.loc[part.index, theirs].any(axis=0).sum())})
    return pd.DataFrame(rows, columns=["anomaly_type", "anomalies", "matching", "found"])
