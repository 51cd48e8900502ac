"""`adledger demo`, `adledger materialize` and `adledger ingest`: run the pipeline through Dagster or dlt."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from adledger.commands._ui import err, fail, out

INGEST_SOURCES = ("tracker", "google_ads", "microsoft_ads", "meta_ads", "tiktok_ads", "affiliate", "esp", "first_party")


def demo(
    days: int = typer.Option(90, min=1, max=3650, help="Days of simulated history."),
    seed: int = typer.Option(7, help="Seed of the simulated world (same seed, same world)."),
    scale: float = typer.Option(1.0, min=0.001, help="Size multiplier (1.0 is about 1M tracker events for 90 days)."),
) -> None:
    """Simulate a world, materialize every asset with every check, publish, and print a KPI and check summary."""
    from adledger.demo import run_demo

    try:
        summary = run_demo(days=days, seed=seed, scale=scale, console=err)
    except Exception as exc:  # the run already printed its own log; say what to do next
        fail(f"the demo run failed: {exc}", hint="rerun with ADLEDGER_ENV=local and read the step log above; "
             "a second run resumes from the data already loaded")
    summary.print(out)
    if not summary.success:
        raise typer.Exit(1)


def materialize(
    select: Optional[str] = typer.Option(
        None, "--select", help="Dagster asset selection (e.g. 'key:marts/*' or 'group:raw'); default: every asset."
    ),
    days: Optional[str] = typer.Option(
        None, "--days", metavar="FIRST..LAST",
        help="Days of the daily-partitioned sources (spend, tracker) to load, e.g. 2026-03-01..2026-03-02 (a "
             "backfill); default: ADLEDGER_HISTORY_START (90 days ago) through today."),
) -> None:
    """Materialize assets through Dagster, with their checks, in this process."""
    from datetime import date

    from adledger.demo import materialize as run

    partitions = None
    if days is not None:
        first, _, last = days.partition("..")
        try:
            partitions = (str(date.fromisoformat(first)), str(date.fromisoformat(last or first)))
        except ValueError:
            raise typer.BadParameter(f"{days!r} is not FIRST..LAST with YYYY-MM-DD days (or one day)", param_hint="--days")
        if partitions[0] > partitions[1]:
            raise typer.BadParameter(f"{days!r}: the first day is after the last", param_hint="--days")
    result = run(select=select, console=err, partitions=partitions)
    result.print(out)
    if not result.success:
        raise typer.Exit(1)


def ingest(
    source: str = typer.Argument(..., help=f"One of: {', '.join(INGEST_SOURCES)}."),
    path: Optional[str] = typer.Option(None, help="tracker only: directory, file prefix or URL of the log files."),
    start_date: Optional[str] = typer.Option(None, help="API sources: first day to load (YYYY-MM-DD)."),
    end_date: Optional[str] = typer.Option(None, help="API sources: last day to load (YYYY-MM-DD)."),
) -> None:
    """Run one dlt pipeline into `raw_<source>` (configuration from .dlt/ files or SOURCES__<NAME>__* variables)."""
    if source not in INGEST_SOURCES:
        fail(f"unknown source {source!r}", hint=f"choose one of: {', '.join(INGEST_SOURCES)}")
    if source in FILE_SOURCES:
        _ingest_files(source, path)
        return
    _ingest_api(source, start_date, end_date)


def _ingest_api(source: str, start_date: str | None, end_date: str | None) -> None:
    """The ad-platform API sources: incremental by day from dlt config, or a backfill with --end-date."""
    from datetime import date

    for name, value in (("--start-date", start_date), ("--end-date", end_date)):
        try:
            if value is not None:
                date.fromisoformat(value)
        except ValueError:
            raise typer.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD", param_hint=name) from None
    if start_date and end_date and end_date < start_date:
        raise typer.BadParameter(f"{end_date} is before --start-date {start_date}", param_hint="--end-date")
    from rich.markup import escape

    from ingestion.pipelines import IngestError, ingest_api

    try:
        with err.status(f"loading {source} from its API ..."):
            load = ingest_api(source, start_date=start_date, end_date=end_date)
    except IngestError as exc:
        fail(escape(str(exc)), hint=escape(f"configuration: [sources.{source}] in .dlt/config.toml and "
                                           f".dlt/secrets.toml, or SOURCES__{source.upper()}__* variables "
                                           "(docs/ingestion.md)"))
    tables = ", ".join(f"{table} {rows:,} rows" for table, rows in sorted(load.rows.items())) or "no new rows"
    out.print(f"{source}: {tables} into raw_{source}")


FILE_SOURCES = {"tracker": "a folder of .jsonl or .jsonl.gz files", "first_party": "a folder of the CSV exports"}


def _ingest_files(source: str, path: str | None) -> None:
    """The file-based sources: tracker logs and first-party exports."""
    if not path:
        fail(f"--path is required for the {source} source", hint=f"adledger ingest {source} --path <{FILE_SOURCES[source]}>")
    if "://" not in path and not Path(path).exists():
        fail(f"{path} does not exist", hint=f"point --path at {FILE_SOURCES[source]}")
    from ingestion import pipelines

    with err.status(f"loading {source} files from {path} ..."):
        if source == "first_party":
            info = pipelines.ingest_first_party(path)
            out.print(f"first_party: loaded {', '.join(sorted(info))} into raw_first_party")
            return
        load = pipelines.ingest_tracker(path)
    out.print(
        f"tracker: {load.files} files, {load.lines_read:,} lines read = {load.rows_valid:,} valid "
        f"+ {load.rows_quarantined:,} quarantined (see quality.quarantined_rows)"
    )


def bench_ingest(
    events: int = typer.Option(1_000_000, min=10_000, help="About this many tracker events (a 90-day world is scaled)."),
    world: Optional[Path] = typer.Option(None, help="Use this world's tracker files instead of simulating one."),
    seed: int = typer.Option(7, help="Seed of the simulated world."),
) -> None:
    """Tracker ingestion events/s and peak RSS, and the ratio to raw DuckDB read_json of the same files."""
    import tempfile

    from rich.table import Table

    from adledger.bench.ingest import run

    with tempfile.TemporaryDirectory(prefix="adledger-bench-world-") as tmp:
        if world is None:
            from adledger.simulator import simulate

            world = Path(tmp) / "world"
            with err.status(f"simulating a world of about {events:,} events ..."):
                simulate(world, days=90, seed=seed, scale=events / 1_000_000)
        if not (world / "tracker").is_dir():
            fail(f"{world} has no tracker/ folder", hint="pass a folder written by `adledger simulate`")
        with err.status("timing raw DuckDB read_json, then adledger's tracker pipeline ..."):
            result = run(world / "tracker")
    table = Table(title=f"bench ingest: {result.events:,} events in {result.files:,} files")
    for col in ("", "seconds", "CPU seconds", "events/s", "peak RSS MB"):
        table.add_column(col, justify="right")
    table.add_row("raw DuckDB read_json → table", f"{result.raw_seconds:.2f}", f"{result.raw_cpu_seconds:.2f}",
                  f"{result.events / result.raw_seconds:,.0f}", f"{result.raw_rss_mb:,.0f}")
    table.add_row("adledger ingest tracker (dlt)", f"{result.seconds:.2f}", f"{result.cpu_seconds:.2f}",
                  f"{result.events / result.seconds:,.0f}", f"{result.rss_mb:,.0f}")
    out.print(table)
    out.print(f"ratio adledger / raw DuckDB: {result.ratio:.2f} (CPU seconds: {result.cpu_ratio:.2f})  (import of dlt "
              f"and friends, not timed: {result.import_seconds:.1f} s; quarantined lines: {result.quarantined:,})")


def bench_transform(
    days: int = typer.Option(90, min=3, help="Days of the simulated world (the last one is the new day)."),
    scale: float = typer.Option(1.0, min=0.001, help="Size multiplier of the world (1.0: the demo's default)."),
    seed: int = typer.Option(7, help="Seed of the simulated world."),
    world: Optional[Path] = typer.Option(None, help="Use this world instead of simulating one."),
) -> None:
    """Incremental dbt build after one new day vs a full build of the same data; both must give the same tables."""
    import tempfile

    from rich.table import Table

    from adledger.bench.transform import run

    with tempfile.TemporaryDirectory(prefix="adledger-bench-world-") as tmp:
        if world is None:
            from adledger.simulator import simulate

            world = Path(tmp) / "world"
            with err.status(f"simulating {days} days at scale {scale:g} ..."):
                simulate(world, days=days, seed=seed, scale=scale)
        if not (world / "tracker").is_dir():
            fail(f"{world} has no tracker/ folder", hint="pass a folder written by `adledger simulate`")
        with err.status("starting ...") as status:
            result = run(world, on_step=lambda step: status.update(step + " ..."))
    table = Table(title=f"bench transform: {result.days} days, {result.events:,} tracker events "
                        f"({result.new_day_events:,} on the new day)")
    for col in ("dbt build", "wall s", "CPU s", "start-up s", "nodes s (dbt)", "models / seeds / tests (n: summed s)",
                "load avg"):
        table.add_column(col, justify="right")
    for name, build in (("first build (days before the new one)", result.first_build),
                        ("incremental, after the new day", result.incremental),
                        ("incremental, no new data (floor)", result.no_new_data),
                        ("full refresh, same data", result.full)):
        summed = " / ".join(f"{build.node_counts.get(kind, 0)}: {build.node_seconds.get(kind, 0.0):.1f}"
                            for kind in ("model", "seed", "test"))
        table.add_row(name, f"{build.seconds:.2f}", f"{build.cpu_seconds:.1f}", f"{build.startup_seconds:.2f}",
                      f"{build.nodes_elapsed:.2f}", summed, f"{build.load_before:.1f}-{build.load_after:.1f}")
    out.print(table)
    out.print(f"ratio incremental / full: {result.ratio:.3f}  (goal < 0.25; a build with no new data: "
              f"{result.floor_ratio:.3f}, the lowest any incremental model can reach; in CPU seconds: "
              f"{result.cpu_ratio:.3f})")
    if result.tables_different:
        fail(f"the incremental build differs from a full refresh in {', '.join(result.tables_different)}",
             hint="an incremental model misses rows: check its incremental_window and unique key")
    out.print(f"identical to the full refresh: {result.tables_compared} staging, intermediate and mart tables")


def register(app: typer.Typer, bench_app: typer.Typer) -> None:
    app.command()(demo)
    app.command()(materialize)
    app.command()(ingest)
    bench_app.command("ingest")(bench_ingest)
    bench_app.command("transform")(bench_transform)
