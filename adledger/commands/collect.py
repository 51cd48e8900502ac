"""`adledger collect` (the tracker's event collector) and `adledger bench collect` (its load test)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from adledger.commands._ui import err as console
from adledger.commands._ui import fail


def collect(
    host: str = typer.Option("127.0.0.1", help="Address to listen on (0.0.0.0 to accept other machines)."),
    port: int = typer.Option(8088, min=0, max=65535, help="TCP port; 0 picks a free one (printed at start)."),
    out: Optional[Path] = typer.Option(
        None, help="Folder for the hourly JSON-lines files (default: collector/ in the data folder)."
    ),
    demo: bool = typer.Option(True, "--demo/--no-demo", help="Serve the demo shop at /demo/ (embeds a write key)."),
) -> None:
    """Run the Segment-compatible event collector (HTTP Tracking API, pixel, page snippet at /snippet.js).

    Write keys come from `write_keys` in the collector section of .dlt/secrets.toml or COLLECTOR__WRITE_KEYS;
    the key that pseudonymises IPs from `ip_hash_key` there or COLLECTOR__IP_HASH_KEY. Stop with Ctrl+C.
    """
    from adledger.collector.config import ConfigError, load_config
    from adledger.collector.eventlog import LogLocked
    from adledger.collector.server import serve
    from adledger.config import settings

    out_dir = (out or settings().data_dir / "collector").absolute()
    try:
        config = load_config(serve_demo=demo)
    except ConfigError as exc:
        fail(str(exc), code=2)
    if config.ip_hash_key is None:
        console.print(
            "[yellow]warning:[/] no collector.ip_hash_key secret set: IPs are kept only as /24 or /48 networks"
        )

    def ready(url: str) -> None:
        print(f"adledger collector listening on {url} (events to {out_dir}, demo at {url}/demo/)", flush=True)

    try:
        serve(config, out_dir, host=host, port=port, on_ready=ready)
    except LogLocked as exc:
        fail(str(exc))
    except RuntimeError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot listen on {host}:{port} ({exc.strerror}); pick another --port or --host")
    print("adledger collector stopped: every acknowledged event is on disk", flush=True)


def bench_collect(
    clients: int = typer.Option(50, min=1, max=1000, help="Concurrent keep-alive connections."),
    duration: float = typer.Option(20.0, min=1.0, max=300.0, help="Seconds of load (the run stops by itself)."),
    batch_size: int = typer.Option(20, min=1, max=500, help="Events per /v1/batch request (1: like a browser)."),
    kill_after: Optional[float] = typer.Option(
        None, min=0.1, help="SIGKILL the collector after this many seconds, then look for every acknowledged event."
    ),
) -> None:
    """Load a fresh collector on 127.0.0.1: events/s and p50/p99 acknowledgement latency, then check the files.

    There is no raw-DuckDB equivalent of an HTTP collector, so no DuckDB ratio is printed; the figure to compare
    is the goal (5,000 events/s with p99 < 100 ms under 50 clients).
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from adledger.collector.loadgen import run_bench

    if kill_after is not None and kill_after >= duration:
        raise typer.BadParameter("must be shorter than --duration", param_hint="--kill-after")
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task("loading the collector", total=duration)

        def tick(result, elapsed_s: float) -> None:  # type: ignore[no-untyped-def]
            progress.update(task, completed=elapsed_s, description=f"{result.events_acked:,} events acknowledged")

        outcome = run_bench(clients, duration, batch_size, kill_after_s=kill_after, on_tick=tick)

    result = outcome.load
    p50, p99 = result.latency_percentile_ms(50), result.latency_percentile_ms(99)
    title = f"bench collect: {clients} clients × {duration:g} s, {batch_size} events per request"
    table = Table(title=title + (f", kill -9 after {kill_after:g} s" if outcome.killed else ""))
    columns = ("events/s", "requests/s", "p50 ack ms", "p99 ack ms", "max ack ms", "errors", "acked", "on disk",
               "acked but missing")
    for column in columns:
        table.add_column(column, justify="right")
    table.add_row(
        f"{result.events_per_s:,.0f}",
        f"{result.requests / result.elapsed_s:,.0f}",
        f"{p50:.1f}",
        f"{p99:.1f}",
        f"{result.latency_percentile_ms(100):.1f}",
        f"{result.errors}",
        f"{result.events_acked:,}",
        f"{outcome.lines_on_disk:,}",
        f"{outcome.missing_acked:,}",
    )
    out = Console(width=max(Console().width, 130))
    out.print(table)
    if not outcome.killed:
        met = result.events_per_s >= 5000 and p99 < 100
        out.print(f"goal (>= 5,000 events/s, p99 < 100 ms): {'met' if met else 'NOT met'}")
    if outcome.missing_acked:
        fail(f"{outcome.missing_acked} acknowledged events are missing from the files")


def register(app: typer.Typer, bench_app: typer.Typer) -> None:
    app.command("collect")(collect)
    bench_app.command("collect")(bench_collect)
