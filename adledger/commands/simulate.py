"""Commands `adledger simulate`, `adledger serve-apis` and `adledger bench simulate`.

Only typer, rich and the standard library are imported at module level; the simulator (numpy, pyarrow, duckdb)
is imported inside the commands.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from typing import Optional

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from adledger.commands._ui import err, fail, out


def register(app: typer.Typer, bench_app: typer.Typer) -> None:
    """Add this module's commands to the `adledger` app and its `bench` group."""
    app.command("simulate")(simulate)
    app.command("serve-apis")(serve_apis)
    bench_app.command("simulate")(bench_simulate)


def _parse_start(start: Optional[str]) -> Optional[date]:
    if start is None:
        return None
    try:
        return datetime.strptime(start, "%Y-%m-%d").date()
    except ValueError:
        raise typer.BadParameter(f"{start!r} is not a date like 2026-01-01", param_hint="--start") from None


def _run(out_dir: Path, days: int, seed: int, scale: float, start: Optional[date]):
    from adledger.simulator import simulate as run_simulation

    with Progress(TextColumn("[bold]simulating[/] day {task.completed}/{task.total}"), BarColumn(),
                  TimeElapsedColumn(), console=err, transient=True) as progress:
        task = progress.add_task("days", total=days)
        return run_simulation(out_dir, days=days, seed=seed, scale=scale, start=start,
                              progress=lambda done, _total: progress.update(task, completed=done))


def simulate(
    out_dir: Path = typer.Option(..., "--out", file_okay=False, help="World directory to write (replaced if it exists)."),
    days: int = typer.Option(90, "--days", min=1, max=3660, help="Days to simulate."),
    seed: int = typer.Option(7, "--seed", help="Random seed: the same seed gives byte-identical files."),
    scale: float = typer.Option(1.0, "--scale", min=0.001, max=1000.0,
                                help="Size multiplier: 1.0 is about 1M tracker events per 90 days."),
    start: Optional[str] = typer.Option(None, "--start", help="First day (YYYY-MM-DD); default 2026-01-01."),
) -> None:
    """Write a simulated world: tracker logs, first-party files, platform data and the ground truth."""
    first = _parse_start(start)
    if out_dir.exists() and any(out_dir.iterdir()) and not (out_dir / "world.json").exists():
        fail(f"{out_dir} exists and is not a world directory", "choose an empty or new directory for --out")
    t0 = time.perf_counter()
    manifest = _run(out_dir, days, seed, scale, first)
    out.print(f"wrote {out_dir}: {manifest} in {time.perf_counter() - t0:.1f} s")


def _parse_faults(spec: Optional[str]):
    from adledger.simulator.emulators.faults import FaultSpec

    try:
        return FaultSpec.parse(spec or "")
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--faults") from None


def serve_apis(
    world: Path = typer.Option(..., "--world", exists=True, file_okay=False, help="A directory written by `adledger simulate`."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (loopback by default)."),
    port: int = typer.Option(8765, "--port", min=0, max=65535, help="Port (0: any free port)."),
    faults: Optional[str] = typer.Option(None, "--faults",
                                         help="e.g. 5xx=0.05,429=0.05,slow=0.01,truncate=0.01[,seed=1,rps=50]"),
    restate_days: int = typer.Option(0, "--restate-days", min=0, help="Serve restated spend for the last N days."),
) -> None:
    """Serve the world's ad-platform data the way the real APIs do (Google, Microsoft, Meta, TikTok, affiliate, ESP)."""
    if not (world / "platforms").is_dir():
        fail(f"{world} has no platforms/ directory", "create a world first: adledger simulate --out DIR")
    fault_spec = _parse_faults(faults)
    from adledger.simulator.emulators import serve

    with serve(world, host=host, port=port, faults=fault_spec) as server:
        if restate_days:
            server.restate(restate_days)
        table = Table(title=f"ad-platform emulators on {server.url}")
        table.add_column("source")
        table.add_column("base_url")
        for source in server.sources:
            table.add_row(source, server.base_url(source))
        out.print(table)
        out.print(f"credentials: {world / 'emulator_secrets.toml'}  (dlt \\[sources.<name>] layout)")
        out.print("admin: POST /_admin/restate?days=3, POST /_admin/faults?spec=..., GET /_admin/state. Ctrl-C stops.")
        try:
            server.wait()
        except KeyboardInterrupt:
            err.print("stopping")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _cpu_seconds() -> float:
    """User + system CPU time of this process (all threads): a figure that a busy machine does not inflate."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def bench_simulate(
    days: int = typer.Option(90, "--days", min=1, help="Days to simulate."),
    scale: float = typer.Option(1.0, "--scale", min=0.001, help="Size multiplier (10 is about 10M events)."),
    seed: int = typer.Option(7, "--seed"),
    out_dir: Optional[Path] = typer.Option(None, "--out", file_okay=False, help="Keep the world here (default: a temp dir)."),
    baseline: bool = typer.Option(True, "--baseline/--no-baseline",
                                  help="Also time raw DuckDB re-writing the same events as gzip JSON lines."),
) -> None:
    """Time world generation: events, seconds, events/s, peak RSS, and the ratio to raw DuckDB JSON writing."""
    with tempfile.TemporaryDirectory(prefix="adledger-bench-") as tmp:
        target = out_dir or Path(tmp) / "world"
        t0, c0 = time.perf_counter(), _cpu_seconds()
        manifest = _run(target, days, seed, scale, None)
        seconds, cpu = time.perf_counter() - t0, _cpu_seconds() - c0
        rss = _peak_rss_mb()
        events = manifest.counts["tracker_events"]
        table = Table(title=f"bench simulate: {days} days, scale {scale:g}, seed {seed}")
        for col in ("events", "files", "seconds", "CPU seconds", "events/s", "peak RSS MB"):
            table.add_column(col, justify="right")
        table.add_row(f"{events:,}", f"{manifest.counts['tracker_files']:,}", f"{seconds:.1f}", f"{cpu:.1f}",
                      f"{events / seconds:,.0f}", f"{rss:,.0f}")
        out.print(table)
        if baseline:
            import duckdb

            con = duckdb.connect()
            con.execute(f"set threads to {os.cpu_count() or 2}")
            t1 = time.perf_counter()
            con.execute(
                f"copy (select json from read_ndjson_objects('{target}/tracker/**/*.jsonl.gz', ignore_errors=true)) "
                f"to '{Path(tmp) / 'raw.jsonl.gz'}' (format csv, header false, quote '', escape '', compression gzip)")
            raw = time.perf_counter() - t1
            out.print(f"raw DuckDB read + gzip re-write of the same lines: {raw:.1f} s "
                      f"(simulate / raw = {seconds / raw:.1f}x)")
