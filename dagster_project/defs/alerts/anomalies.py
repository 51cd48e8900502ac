"""The anomaly alert: call `alert_new_anomalies(rows, run_id=...)` with the rows just added to `marts.mart_anomalies`.

Expected row keys (from the anomaly detection issue; extra keys are ignored, missing optional ones left out):
`anomaly_type` (or `type`, required), `scope` (required: channel / campaign / placement the anomaly is about),
`severity` (`high` | `medium` | `low`), `start_date`, `end_date`, `evidence` (text), `money_at_stake` (reporting
currency), `status`, `anomaly_id`. One alert per call summarizes all rows, most severe and costliest first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from dagster_project.lib.alerting import Alert, Delivery, send_alert

MARTS_ANOMALIES = "marts/mart_anomalies"
_RANK = {"high": 0, "medium": 1, "low": 2}
_ALERT_SEVERITY = {"high": "error", "medium": "warning", "low": "info"}
MAX_LISTED = 20


def _type(row: Mapping[str, Any]) -> str:
    value = row.get("anomaly_type", row.get("type"))
    if value is None or row.get("scope") is None:
        raise ValueError(f"an anomaly row needs anomaly_type (or type) and scope; got keys {sorted(row)}")
    return str(value)


def _line(row: Mapping[str, Any]) -> str:
    severity = str(row.get("severity") or "?")
    span = " → ".join(str(row[k]) for k in ("start_date", "end_date") if row.get(k) is not None)
    money = row.get("money_at_stake")
    parts = [f"- [{severity}] {_type(row)} on {row['scope']}"]
    if span:
        parts.append(f"({span})")
    if money is not None:
        parts.append(f"at stake {float(money):,.2f}")
    if row.get("evidence"):
        parts.append(f"— {str(row['evidence'])[:200]}")
    if row.get("anomaly_id") is not None:
        parts.append(f"[id {row['anomaly_id']}]")
    return " ".join(parts)


def anomaly_alert(rows: list[Mapping[str, Any]], run_id: str | None = None) -> Alert:
    """One alert listing `rows` (new anomalies), most severe first, then by money at stake."""
    for row in rows:
        _type(row)  # fail fast on a row without type or scope
    ordered = sorted(rows, key=lambda r: (_RANK.get(str(r.get("severity")).lower(), 3),
                                          -float(r.get("money_at_stake") or 0.0)))
    worst = str(ordered[0].get("severity") or "").lower()
    counts = {s: sum(1 for r in rows if str(r.get("severity")).lower() == s) for s in _RANK}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    lines = [_line(r) for r in ordered[:MAX_LISTED]]
    if len(ordered) > MAX_LISTED:
        lines.append(f"... and {len(ordered) - MAX_LISTED} more")
    return Alert(
        kind="anomaly",
        title=f"adledger: {len(rows)} new anomal{'y' if len(rows) == 1 else 'ies'}"
              + (f" ({summary})" if summary else "") + " in marts.mart_anomalies",
        asset=MARTS_ANOMALIES,
        check="anomaly detection",
        run_id=run_id,
        severity=_ALERT_SEVERITY.get(worst, "warning"),
        details=tuple(lines),
        hint="Review them in marts.mart_anomalies (or the report's anomaly section): confirm real problems with the "
             "channel owner (tracking outage, fraud, budget change), and set each row's status so it is not "
             "raised again.",
    )


def alert_new_anomalies(rows: Iterable[Mapping[str, Any]], run_id: str | None = None) -> list[Delivery]:
    """Send one alert for the new rows of `marts.mart_anomalies` (a list of dicts or `DataFrame.to_dict('records')`).

    Returns the deliveries recorded in `quality.alerts`; nothing is sent for no rows.
    """
    rows = rows.to_dict("records") if hasattr(rows, "to_dict") else list(rows)
    if not rows:
        return []
    return send_alert(anomaly_alert(rows, run_id))
