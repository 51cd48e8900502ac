"""The anomaly record: columns every detector returns, type families, stable ids, severity.

A detector returns a DataFrame with `ANOMALY_COLUMNS`: `anomaly_type` (one of `FAMILIES`' members), `scope` (what
it is about, readable: `platform / campaign` or `tracker`), `platform`, `channel`, `campaign` (name, or partner id
for affiliates), `start_at` / `end_at` (UTC timestamps: hours for hourly detectors, whole days otherwise; `end_at`
exclusive), `severity` (`high` | `medium` | `low`), `score` (the detector's statistic, e.g. a robust z), `evidence`
(JSON text) and `money_at_stake` (USD). `anomaly_id` is a stable hash of type, scope and start, so the same anomaly
found again in a later run keeps its id.
"""

from __future__ import annotations

import hashlib
import json

import pandas as pd

ANOMALY_COLUMNS = ("anomaly_id", "anomaly_type", "family", "scope", "platform", "channel", "campaign", "start_at",
                   "end_at", "severity", "score", "evidence", "money_at_stake")

#: anomaly types by family; a family is what the ground truth of a simulated world labels
FAMILIES: dict[str, tuple[str, ...]] = {
    "spend": ("spend_spike", "spend_drop", "clicks_spike", "clicks_drop", "cpa_spike", "roas_drop"),
    "click_fraud": ("click_fraud_burst", "abnormal_ctr"),
    "click_injection": ("click_injection",),
    "click_flooding": ("click_flooding", "abnormal_cvr"),
    "tracking_outage": ("tracking_outage",),
    "attribution_drift": ("attribution_drift",),
}
FAMILY_OF = {t: family for family, types in FAMILIES.items() for t in types}

#: platform of each ad click id parameter (the landing URL conventions of docs/world.md)
CLICK_ID_PLATFORM = {"gclid": "google_ads", "gbraid": "google_ads", "wbraid": "google_ads",
                     "msclkid": "microsoft_ads", "fbclid": "meta_ads", "ttclid": "tiktok_ads", "irclickid": "affiliate",
                     "dclid": "vendor", "li_fat_id": "linkedin_ads", "sccid": "snapchat_ads"}


def anomaly_id(anomaly_type: str, scope: str, start: pd.Timestamp) -> str:
    """First 16 hex digits of SHA-256 over `type|scope|start` (start in ISO format, UTC)."""
    text = f"{anomaly_type}|{scope}|{pd.Timestamp(start).isoformat()}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def scope_of(platform: str | None, campaign: str | None, channel: str | None = None) -> str:
    """`platform / campaign`, `platform`, or `channel`: the readable scope of an anomaly."""
    head = platform or channel or "all"
    return f"{head} / {campaign}" if campaign else head


def severity(score: float, money: float, high: tuple[float, float], medium: tuple[float, float]) -> str:
    """`high` when `score >= high[0]` or `money >= high[1]`, `medium` likewise for `medium`, else `low`."""
    if score >= high[0] or money >= high[1]:
        return "high"
    if score >= medium[0] or money >= medium[1]:
        return "medium"
    return "low"


def evidence(**facts) -> str:
    """`facts` as compact JSON (numbers rounded to 4 significant decimals)."""
    def clean(v):
        if isinstance(v, float):
            return round(v, 4)
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [clean(x) for x in v]
        if hasattr(v, "item"):
            return clean(v.item())
        return v
    return json.dumps(clean(facts), sort_keys=True, default=str)


def finish(rows: list[dict]) -> pd.DataFrame:
    """Rows of a detector as an anomaly frame: family and id filled in, `ANOMALY_COLUMNS` in order."""
    frame = pd.DataFrame(rows, columns=[c for c in ANOMALY_COLUMNS if c not in ("anomaly_id", "family")])
    if frame.empty:
        return pd.DataFrame(columns=list(ANOMALY_COLUMNS))
    frame["start_at"] = pd.to_datetime(frame["start_at"], utc=True)
    frame["end_at"] = pd.to_datetime(frame["end_at"], utc=True)
    frame["family"] = frame["anomaly_type"].map(FAMILY_OF)
    frame["anomaly_id"] = [anomaly_id(t, s, b) for t, s, b in
                           zip(frame["anomaly_type"], frame["scope"], frame["start_at"])]
    return frame[list(ANOMALY_COLUMNS)]
