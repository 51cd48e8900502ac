"""What each alert says: the asset, the check or failed step, the run, and what to do — built from Dagster events.

Pure functions from Dagster's records to `Alert`s; the sensors in `sensors.py` decide when to send them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg

from dagster_project.lib.alerting import Alert
from dagster_project.lib.freshness import FreshnessReading

MAX_DETAIL_LINES = 8


def _value(v: Any) -> Any:
    return getattr(v, "value", v)


def _first_line(text: str | None, limit: int = 300) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line[:limit]


def _rule_lines(failing_rules: Any) -> list[str]:
    """`- expect_... on column: N unexpected (e.g. a, b)` for the failing rules a GX check reports."""
    lines = []
    for rule in (failing_rules or [])[:MAX_DETAIL_LINES]:
        if not isinstance(rule, Mapping):
            continue
        where = f" on {rule['column']}" if rule.get("column") else ""
        examples = rule.get("examples") or []
        sample = f" (e.g. {', '.join(map(str, examples[:3]))})" if examples else ""
        lines.append(f"- {rule.get('expectation')}{where}: {rule.get('unexpected_count', '?')} unexpected{sample}")
    return lines


def check_failure_alert(evaluation: dg.AssetCheckEvaluation, run_id: str | None, blocking: bool) -> Alert:
    """The alert for a failed asset check (a Great Expectations suite or a dbt test)."""
    asset = evaluation.asset_key.to_user_string()
    metadata = {k: _value(v) for k, v in (evaluation.metadata or {}).items()}
    results_table, results_run = metadata.pop("results_table", None), metadata.pop("run_id", None)
    details = [f"description: {_first_line(evaluation.description)}"] if evaluation.description else []
    details += _rule_lines(metadata.pop("failing_rules", None))
    details += [f"{k}: {v}" for k, v in metadata.items() if isinstance(v, (str, int, float)) and len(str(v)) < 200][
        :MAX_DETAIL_LINES]
    if blocking:
        effect = (f"This blocking check stopped the run: assets downstream of {asset} were not rebuilt and keep "
                  "their previous content; the published snapshot was not replaced.")
    else:
        effect = "This check does not block: downstream assets were built anyway."
    if results_table:
        look = f"The failing rows are described in {results_table} (run_id {results_run})."
    else:
        look = f"Run `dbt test --select {evaluation.check_name}` in dbt_project/ to list the failing rows."
    return Alert(
        kind="check_failure",
        title=f"adledger: check {evaluation.check_name} failed on {asset}",
        asset=asset,
        check=evaluation.check_name,
        run_id=run_id,
        severity="error" if evaluation.severity == dg.AssetCheckSeverity.ERROR else "warning",
        details=tuple(details),
        hint=f"{effect} {look} Fix or quarantine the bad data at its source, then rerun: "
             f"adledger materialize --select 'key:{asset}+'",
    )


def run_failure_alert(run: dg.DagsterRun, failures: Sequence[dg.DagsterEvent],
                      step_assets: Mapping[str, list[str]], failed_check_steps: set[str]) -> Alert | None:
    """The alert for a failed run, or None when every failed step is a failed check (alerted on its own)."""
    other = [f for f in failures if f.step_key not in failed_check_steps]
    if failures and not other:
        return None
    steps = [f.step_key or "?" for f in other]
    assets = sorted({a for s in steps for a in step_assets.get(s, [])})
    details = [f"job: {run.job_name}"]
    for event in other[:MAX_DETAIL_LINES]:
        error = event.step_failure_data.error if event.step_failure_data else None
        details.append(f"- {event.step_key}: {_first_line(error.message if error else event.message)}")
    if not other:
        details.append("the run failed outside any step (see the run log)")
    selection = " ".join(f"key:{a}" for a in assets) or "the failed assets"
    return Alert(
        kind="run_failure",
        title=f"adledger: run {run.run_id[:8]} failed at {', '.join(steps) or 'start-up'}",
        asset=", ".join(assets) or None,
        step=", ".join(steps) or None,
        run_id=run.run_id,
        details=tuple(details),
        hint="Open the run log at the link. Transient source errors were already retried with backoff, so this "
             "one persisted: fix the cause (credentials, source availability, a code error), then re-execute the "
             f"run from failure in the Dagster UI or run: adledger materialize --select '{selection}'",
    )


def freshness_alert(reading: FreshnessReading, age_hours: float | None) -> Alert:
    """The alert for an asset whose freshness policy now fails."""
    asset = reading.key.to_user_string()
    age = f"{age_hours:.1f} h ago" if age_hours is not None else "never"
    source = reading.key.path[0].startswith("raw_")
    hint = (f"Check that new data reaches the source of {asset} and that the dagster-daemon is running its "
            "schedules and sensors (new_tracker_files, daily_sources, automation); then materialize it: "
            f"adledger materialize --select 'key:{asset}+'") if source else (
        f"An upstream source is probably stale or a run failed: look at the upstream assets of {asset} in the UI "
        f"(link), then rerun: adledger materialize --select '+key:{asset}'")
    return Alert(
        kind="freshness",
        title=f"adledger: {asset} is stale (last updated {age})",
        asset=asset,
        check=f"freshness policy: {reading.describe_policy()}",
        severity="error",
        details=(f"last materialization: {age}",),
        hint=hint,
    )
