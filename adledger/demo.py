"""The demo and `adledger materialize`: run the Dagster code location in this process and summarize the run.

`run_demo` simulates a world (reused when the same world already exists), points the dlt sources at it,
materializes every asset with every check, and reads the headline numbers back from the marts.
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from adledger.config import settings, today_utc


@dataclass
class RunSummary:
    success: bool
    assets: list[str] = field(default_factory=list)
    failed_steps: list[str] = field(default_factory=list)
    checks: list[tuple[str, str, bool]] = field(default_factory=list)  # (asset, check, passed)
    #: failed checks of WARN severity: reported, but they do not fail the run
    warnings: list[tuple[str, str, bool]] = field(default_factory=list)
    channels: list[dict[str, Any]] = field(default_factory=list)
    world: Path | None = None
    alerts: list[dict[str, Any]] = field(default_factory=list)  # rows of quality.alerts written by this run's sensors

    @property
    def checks_failed(self) -> list[tuple[str, str, bool]]:
        return [c for c in self.checks if not c[2]]

    def print(self, console: Console) -> None:
        if self.channels:
            table = Table(title="By channel: sessions and session conversions (marts.mart_channel_daily), "
                                "spend in USD (marts.fct_ad_spend), CPA = spend / conversions, ROAS = revenue / spend")
            for col in ("channel", "sessions", "conversions", "revenue", "conv. rate", "spend", "CPA", "ROAS"):
                table.add_column(col, justify="left" if col == "channel" else "right")
            rows = [*self.channels, _total_row(self.channels)]
            for row in rows:
                rate = row["conversions"] / row["sessions"] if row["sessions"] else 0.0
                cpa = f"{row['spend'] / row['conversions']:,.2f}" if row["conversions"] and row["spend"] else "–"
                roas = f"{row['revenue'] / row['spend']:.2f}" if row["spend"] else "–"
                style = "bold" if row is rows[-1] else None
                table.add_row(row["channel"], f"{row['sessions']:,}", f"{row['conversions']:,}",
                              f"{row['revenue']:,.2f}", f"{rate:.2%}", f"{row['spend']:,.2f}", cpa, roas, style=style)
            console.print(table)
        passed = len(self.checks) - len(self.checks_failed) - len(self.warnings)
        console.print(f"assets materialized: {len(self.assets)}   checks: {passed} passed, "
                      f"{len(self.checks_failed)} failed, {len(self.warnings)} warnings")
        for asset, check, _ in self.warnings:
            console.print(f"[yellow]warning[/] {check} on {asset}")
        for asset, check, _ in self.checks_failed:
            console.print(f"[red]failed check[/] {check} on {asset}")
        for step in self.failed_steps:
            console.print(f"[red]failed step[/] {step}")
        self._print_alerts(console)
        cfg = settings()
        if "publish/published_snapshot" in self.assets:
            console.print(f"published for BI: {cfg.published} and {cfg.exports_dir}/<mart>.parquet")
        if "publish/report" in self.assets:
            console.print(f"report: {cfg.report}")
        if self.success:
            console.print(f"[green]ok[/] warehouse: {cfg.warehouse}")

    def _print_alerts(self, console: Console) -> None:
        if not self.alerts:
            return
        console.print(f"alerts: {len({a['alert_id'] for a in self.alerts})} (recorded in quality.alerts)")
        for a in self.alerts:
            target = f"{a['status']} → {a['target']}" if a["target"] else "no alert target configured"
            console.print(f"  [yellow]![/] {a['title']} [dim]({target})[/]")
        if any(not a["target"] for a in self.alerts):
            console.print("  [dim]send them somewhere: ADLEDGER_ALERT_URLS or \\[alerts] urls in .dlt/secrets.toml[/]")


def ensure_local_secrets() -> None:
    """Give the demo its hashing secrets: from env or .dlt/secrets.toml, else create random ones in .dlt/."""
    import dlt

    if dlt.secrets.get("sources.email_salt") and dlt.secrets.get("sources.ip_hash_key"):
        return
    path = Path(".dlt") / "secrets.toml"
    path.parent.mkdir(exist_ok=True)
    text = path.read_text() if path.exists() else ""
    if "[sources]" in text:
        raise RuntimeError(f"{path} has a [sources] section without email_salt and ip_hash_key: add both")
    values = {"email_salt": secrets.token_hex(16), "ip_hash_key": secrets.token_hex(32)}
    with path.open("a") as fh:
        fh.write(
            "\n# created by `adledger demo`: secrets that pseudonymise e-mails and IPs (keep them, keep them secret)\n"
            "[sources]\n" + "".join(f'{key} = "{value}"\n' for key, value in values.items())
        )
    os.chmod(path, 0o600)
    # dlt read its providers before the file existed: hand this process the same values the way dlt reads them
    for key, value in values.items():
        os.environ[f"SOURCES__{key.upper()}"] = value


def _progress_logger(console: Console):
    import dagster as dg

    class _Handler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            meta = getattr(record, "dagster_meta", None) or {}
            event = meta.get("dagster_event")
            if event is None:
                return
            kind = event.event_type_value
            step = event.step_key or ""
            if kind == "STEP_START":
                console.print(f"[dim]▶[/] {step}")
            elif kind == "STEP_SUCCESS":
                console.print(f"[green]✓[/] {step}")
            elif kind == "STEP_FAILURE":
                error = event.step_failure_data.error
                while error.cause is not None:  # the innermost cause says what to fix, not "error in op"
                    error = error.cause
                console.print(f"[red]✗ {step}[/]: {error.message.strip()[:800]}", markup=False, highlight=False)
            elif kind == "ASSET_CHECK_EVALUATION":
                data = event.event_specific_data
                mark = "[green]✓[/]" if data.passed else "[red]✗[/]"
                console.print(f"  {mark} check {data.check_name} on {data.asset_key.to_user_string()}")

    @dg.logger
    def rich_progress(_init_context):
        log = logging.getLogger("adledger.run")
        log.handlers = [_Handler()]
        log.setLevel(logging.DEBUG)
        log.propagate = False
        return log

    return rich_progress


def materialize(select: str | None = None, console: Console | None = None,
                partitions: tuple[str, str] | None = None) -> RunSummary:
    """Materialize `select` (a Dagster asset selection string; default every asset) with its checks, in-process.

    Daily-partitioned assets (spend and tracker sources) are materialized for the days `partitions` (first, last:
    YYYY-MM-DD, inclusive), by default from `Settings.history_start` to today, in one run.
    """
    from datetime import datetime, timezone

    import dagster as dg

    from dagster_project.definitions import defs as load_defs
    from dagster_project.defs.alerts.ticks import start_alert_cursors, tick_alert_sensors
    from dagster_project.lib.alerting import alerts_since

    console = console or Console(stderr=True)
    with console.status("loading the Dagster code location ..."):
        defs = load_defs()
    job = defs.resolve_implicit_global_asset_job_def()
    graph = defs.resolve_asset_graph()
    selection = dg.AssetSelection.from_string(select) if select else dg.AssetSelection.all()
    keys = selection.resolve(graph)
    if not keys:
        raise ValueError(f"the selection {select!r} matches no asset")
    tags = {}
    if any(graph.get(key).partitions_def is not None for key in keys):
        from dagster_project.lib.partitions import PARTITIONS_START, range_tags

        first, last = partitions or (str(settings().history_start), str(today_utc()))
        if first < PARTITIONS_START:
            raise ValueError(f"{first} is before the first daily partition {PARTITIONS_START}: set "
                             f"ADLEDGER_PARTITIONS_START to {first} or earlier (or load from {PARTITIONS_START})")
        tags = range_tags(first, last)
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
    job = job.with_logger_defs({"rich_progress": _progress_logger(console)})
    started = datetime.now(timezone.utc)
    alert_cursors = start_alert_cursors(defs, instance)  # the alert sensors, ticked here as the daemon would
    result = job.execute_in_process(
        instance=instance,
        asset_selection=list(keys),  # the checks of the selected assets run with them
        raise_on_error=False,
        run_config={"loggers": {"rich_progress": {}}},
        tags=tags,
    )
    summary = RunSummary(success=result.success)
    for event in result.all_events:
        if event.event_type_value == "ASSET_MATERIALIZATION":
            summary.assets.append(event.asset_key.to_user_string())
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            check = (data.asset_key.to_user_string(), data.check_name, data.passed)
            if not data.passed and data.severity == dg.AssetCheckSeverity.WARN:
                summary.warnings.append(check)
            else:
                summary.checks.append(check)
        elif event.event_type_value == "STEP_FAILURE":
            summary.failed_steps.append(event.step_key or "?")
    summary.success = result.success and not summary.checks_failed
    tick_alert_sensors(defs, instance, alert_cursors)
    summary.alerts = alerts_since(started)
    return summary


def channel_summary() -> list[dict[str, Any]]:
    """Totals per channel (what the demo prints): sessions, session conversions and revenue from
    `marts.mart_channel_daily`, spend in the reporting currency from `marts.fct_ad_spend`."""
    import duckdb

    with duckdb.connect(str(settings().warehouse), read_only=True) as con:
        rows = con.execute(
            """
            with visits as (
              select channel, sum(sessions) as sessions, sum(conversions) as conversions, sum(revenue) as revenue
              from marts.mart_channel_daily group by channel
            ), spend as (
              select channel, sum(spend_reporting) as spend from marts.fct_ad_spend group by channel
            )
            select channel, coalesce(sessions, 0), coalesce(conversions, 0), coalesce(revenue, 0),
                   round(coalesce(spend, 0), 2)
            from visits full outer join spend using (channel)
            order by coalesce(sessions, 0) desc, channel
            """
        ).fetchall()
    return [{"channel": c, "sessions": int(s), "conversions": int(v), "revenue": float(r), "spend": float(p)}
            for c, s, v, r, p in rows]


def _total_row(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"channel": "total", **{k: sum(r[k] for r in rows) for k in ("sessions", "conversions", "revenue", "spend")}}


def simulated_world(days: int, seed: int, scale: float, console: Console) -> Path:
    """`data/world`, simulated unless the same world (days, seed, scale) is already there: a rerun of the demo then
    reads the same files and loads nothing twice."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from adledger.simulator import WorldManifest, simulate

    world = settings().data_dir / "world"
    if (world / "world.json").exists():
        have = WorldManifest.load(world)
        if (have.days, have.seed, float(have.scale)) == (days, seed, float(scale)):
            console.print(f"world: reusing {world} ({days} days, seed {seed}, scale {scale})")
            return world
    columns = (TextColumn("simulating"), BarColumn(), MofNCompleteColumn(), TextColumn("days"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("simulate", total=days)
        manifest = simulate(world, days=days, seed=seed, scale=scale,
                            progress=lambda done, _total: progress.update(task, completed=done))
    console.print(f"world: {world} ({manifest})")
    return world


def world_sources_environment(world: Path, apis) -> dict[str, str]:
    """Every dlt source configured for a simulated world the dlt way (`SOURCES__<NAME>__<KEY>`): the tracker and
    first-party folders, and the emulated APIs' base URLs, credentials and first day (`apis`: a running
    `adledger.simulator.emulators` server)."""
    from adledger.simulator import WorldManifest

    # account-local days of accounts west of UTC begin the day before the world's first UTC day
    start = date.fromisoformat(str(WorldManifest.load(world).start)) - timedelta(days=1)
    env = {"SOURCES__TRACKER__PATH": str(world / "tracker"), "SOURCES__FIRST_PARTY__PATH": str(world / "first_party"),
           "ADLEDGER_HISTORY_START": str(start)}
    env.update(apis.dlt_environment())
    for source in apis.credentials:
        env[f"SOURCES__{source.upper()}__START_DATE"] = str(start)
    return env


def run_demo(days: int = 90, seed: int = 7, scale: float = 1.0, console: Console | None = None) -> RunSummary:
    """Simulate (or reuse) the world `days`/`seed`/`scale`, load it, build every asset, and summarize."""
    console = console or Console(stderr=True)
    cfg = settings()
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    world = simulated_world(days, seed, scale, console)
    ensure_local_secrets()
    from adledger.simulator.emulators import serve

    # the ad-platform APIs of the simulated world, on loopback, for exactly as long as the run
    with serve(world) as apis:
        console.print(f"API emulators: {apis.url}")
        os.environ.update(world_sources_environment(world, apis))
        summary = materialize(console=console)
    summary.world = world
    if summary.success or Path(cfg.warehouse).exists():
        try:
            summary.channels = channel_summary()
        except Exception:  # the marts were never built: the failure above says why
            summary.channels = []
    return summary  # the report is the `publish/report` asset of the run
