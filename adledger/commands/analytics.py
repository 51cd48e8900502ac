"""Commands `adledger attribution`, `adledger abtest`, `adledger bench attribution` and `adledger bench anomalies`.

Only typer, rich and the standard library are imported here; numpy, pandas, scipy and the analytics
modules are imported inside the commands so the CLI starts fast.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from adledger.commands._ui import err, out
from rich.table import Table

if TYPE_CHECKING:
    import pandas as pd

console = out
error_console = err

MODEL_HELP = (
    "first_touch, last_touch, linear, position_based, markov, shapley (fractribution's simplified "
    "Shapley) or shapley_exact (Shapley value over channel coalitions)"
)


def register(app: typer.Typer, bench_app: typer.Typer) -> None:
    """Add this module's commands to the `adledger` app and its `bench` group."""
    app.command("attribution")(attribution)
    app.command("abtest")(abtest)
    bench_app.command("attribution")(bench_attribution)
    bench_app.command("anomalies")(bench_anomalies)


def attribution(
    paths: Path = typer.Option(
        ..., "--paths", exists=True, dir_okay=False, readable=True,
        help="CSV with columns path (channels joined by ' > '), conversions, conversion_value, nulls.",
    ),
    model: str = typer.Option(..., "--model", help=MODEL_HELP),
    order: int = typer.Option(1, "--order", min=1, max=4, help="Markov order (markov only)."),
    transform: str = typer.Option("none", "--transform", help="none, exposure, first or frequency."),
    drop_channel: Optional[str] = typer.Option(
        None, "--drop-channel", help="Remove this channel (e.g. direct) from paths that have other touches."
    ),
    out: Optional[Path] = typer.Option(None, "--out", dir_okay=False, help="Write the credits to this CSV."),
) -> None:
    """Attribute conversions and conversion value to channels from a path-count CSV."""
    from adledger.analytics.attribution import MODELS, TRANSFORMS, PathDataError, attribute, read_paths_csv

    if model not in MODELS:
        raise typer.BadParameter(f"unknown model {model!r}; choose one of {', '.join(MODELS)}", param_hint="--model")
    if transform not in TRANSFORMS:
        raise typer.BadParameter(
            f"unknown transform {transform!r}; choose one of {', '.join(TRANSFORMS)}", param_hint="--transform"
        )
    try:
        with console.status(f"Attributing {paths.name} with {model}..."):
            result = attribute(read_paths_csv(paths), model, order=order, transform=transform, drop_channel=drop_channel)
    except PathDataError as exc:
        raise typer.BadParameter(str(exc), param_hint="--paths") from exc
    _emit(result, out, "channels", lambda: _credits_table(result, model))


def _emit(result: pd.DataFrame, out: Path | None, rows: str, table: Callable[[], Table]) -> None:
    """Write `result` to the CSV `out`, or print it as a rich table when no file is given."""
    if out is None:
        console.print(table())
        return
    result.to_csv(out, index=False)
    console.print(f"Wrote {len(result)} {rows} to {out}")


def _credits_table(result: pd.DataFrame, model: str) -> Table:
    total = result["conversions"].sum()
    table = Table(title=f"Attribution ({model})")
    for name in ("channel", "conversions", "share", "conversion_value"):
        table.add_column(name, justify="left" if name == "channel" else "right")
    if "removal_effect" in result.columns:
        table.add_column("removal_effect", justify="right")
    for row in result.itertuples(index=False):
        cells = [str(row.channel), f"{row.conversions:,.2f}", f"{row.conversions / total:.1%}" if total else "-",
                 f"{row.conversion_value:,.2f}"]
        if "removal_effect" in result.columns:
            cells.append(f"{row.removal_effect:.4f}")
        table.add_row(*cells)
    return table


def abtest(
    input_file: Path = typer.Option(
        ..., "--in", exists=True, dir_okay=False, readable=True,
        help="CSV with columns variant (first row is control), users, conversions, optional revenue_sum, "
        "revenue_sum_sq, expected_share.",
    ),
    alpha: float = typer.Option(0.05, "--alpha", min=1e-6, max=0.5, help="Two-sided significance level."),
    min_effect: float = typer.Option(0.1, "--min-effect", min=0.0, help="Smallest relative change worth detecting."),
    metric: str = typer.Option("conversion", "--metric", help="Primary metric of the decision: conversion or revenue."),
    out: Optional[Path] = typer.Option(None, "--out", dir_okay=False, help="Write the results to this CSV."),
) -> None:
    """Analyze an A/B or multivariate test: uplift, p-values (Holm), chance to beat control, SRM, decision."""
    import pandas as pd

    from adledger.analytics.experiments import ExperimentDataError, analyze_experiment

    if metric not in ("conversion", "revenue"):
        raise typer.BadParameter(f"{metric!r} is not conversion or revenue", param_hint="--metric")
    try:
        variants = pd.read_csv(input_file)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise typer.BadParameter(f"{input_file} is not a readable CSV with a header row: {exc}", param_hint="--in") from exc
    try:
        result = analyze_experiment(variants, alpha=alpha, min_effect=min_effect, metric=metric)
    except ExperimentDataError as exc:
        raise typer.BadParameter(str(exc), param_hint="--in") from exc
    _emit(result, out, "variants", lambda: _experiment_table(result))


def _experiment_table(result: pd.DataFrame) -> Table:
    def number(value: float, spec: str) -> str:
        return "-" if value != value else format(value, spec)  # NaN is the only value unequal to itself

    def interval(row: pd.Series, low: str, high: str) -> str:
        return "-" if row[low] != row[low] else f"{row[low]:+.1%} .. {row[high]:+.1%}"

    table = Table(title=f"Experiment (SRM p = {result['srm_p_value'].iloc[0]:.4g})")
    columns = {
        "variant": lambda r: str(r["variant"]),
        "users": lambda r: f"{r['users']:,.0f}",
        "rate": lambda r: number(r["rate"], ".2%"),
        "uplift (CI)": lambda r: f"{r['uplift']:+.1%} ({interval(r, 'ci_low', 'ci_high')})",
        "p (Holm)": lambda r: f"{number(r['p_value'], '.4f')} ({number(r['p_value_adjusted'], '.4f')})",
        "P(beat)": lambda r: number(r["chance_to_beat_control"], ".1%"),
    }
    if "revenue_per_user" in result.columns:
        columns["revenue/user (p)"] = lambda r: f"{r['revenue_per_user']:,.2f} ({number(r['revenue_p_value'], '.4f')})"
    columns["decision"] = lambda r: r["decision"] if isinstance(r["decision"], str) else "(control)"
    for name in columns:
        table.add_column(name, justify="left" if name in ("variant", "decision") else "right", overflow="fold")
    for _, row in result.iterrows():
        table.add_row(*(render(row) for render in columns.values()))
    return table


def bench_attribution(
    rows: int = typer.Option(1_000_000, "--rows", min=1, help="Journeys (CSV rows) to generate."),
    channels: int = typer.Option(10, "--channels", min=2, max=60, help="Distinct channels."),
    order: int = typer.Option(1, "--order", min=1, max=4, help="Markov order."),
    seed: int = typer.Option(7, "--seed", help="Seed of the generated paths."),
    repeats: int = typer.Option(3, "--repeats", min=1, help="Timed runs; the best one is reported."),
    reference: bool = typer.Option(
        True, "--reference/--no-reference", help="Also time the ChannelAttribution package when it is installed."
    ),
) -> None:
    """Time exact Markov attribution on a generated path CSV against DuckDB reading the same CSV."""
    import duckdb
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    from adledger.analytics.attribution import attribute, read_paths_csv
    from adledger.analytics.attribution.synthetic import synthetic_paths

    with tempfile.TemporaryDirectory(prefix="adledger-bench-") as tmp:
        file = Path(tmp) / "paths.csv"
        with console.status(f"Generating {rows:,} journeys over {channels} channels (seed {seed})..."):
            table = synthetic_paths(rows, channels, seed)
            pacsv.write_csv(table, file)
            distinct = len(pc.unique(table.column("path")))
        console.print(f"Input: {rows:,} rows, {distinct:,} distinct paths, {channels} channels, "
                      f"{file.stat().st_size / 1e6:.1f} MB CSV")

        def duckdb_read() -> None:
            with duckdb.connect() as con:
                con.execute("select count(*) from read_csv(?)", [str(file)]).fetchone()

        def markov() -> object:
            return attribute(read_paths_csv(file), "markov", order=order)

        with console.status("Timing DuckDB read_csv and exact Markov attribution..."):
            duckdb_first, duckdb_best, _ = _timed(duckdb_read, repeats)
            markov_first, markov_best, result = _timed(markov, repeats)
        table_out = Table(title=f"bench attribution: Markov order {order}, {repeats} run(s)")
        for name in ("step", "first run s", "best s", "best / DuckDB"):
            table_out.add_column(name, justify="left" if name == "step" else "right")
        table_out.add_row("duckdb: select count(*) from read_csv", f"{duckdb_first:.3f}", f"{duckdb_best:.3f}", "1.00")
        table_out.add_row(
            "adledger: read + exact Markov", f"{markov_first:.3f}", f"{markov_best:.3f}", f"{markov_best / duckdb_best:.2f}"
        )
        if reference:
            _reference_row(table_out, file, order, result, duckdb_best)
        console.print(table_out)


def bench_anomalies(
    seeds: str = typer.Option("1,2,3", "--seeds", help="Comma-separated world seeds (one world each)."),
    days: int = typer.Option(60, "--days", min=20, help="Days per world (incidents sit at fixed fractions)."),
    scale: float = typer.Option(0.25, "--scale", min=0.01, help="World scale (1.0: the full demo size)."),
) -> None:
    """Recall and precision of anomaly detection per type over simulated worlds, and the time it takes."""
    try:
        seed_list = [int(s) for s in seeds.split(",") if s.strip()]
    except ValueError:
        raise typer.BadParameter("--seeds takes integers separated by commas, e.g. 1,2,3") from None
    if not seed_list:
        raise typer.BadParameter("--seeds needs at least one seed, e.g. 1,2,3")
    import duckdb

    from adledger.analytics.anomalies.evaluate import evaluate
    from adledger.config import settings

    seeds_dir = settings().dbt_project_dir / "seeds"
    with tempfile.TemporaryDirectory(prefix="adledger-bench-") as tmp:
        with console.status(f"Generating and scanning {len(seed_list)} world(s) of {days} days at scale {scale}...") \
                as status:
            result = evaluate(seed_list, days, scale, Path(tmp), seeds_dir, progress=status.update)
            start = time.perf_counter()
            with duckdb.connect() as con:
                for seed in seed_list:
                    glob = str(Path(tmp) / f"world-{seed}" / "tracker" / "**" / "*.jsonl*")
                    con.execute("select count(*) from read_json(?, format = 'newline_delimited', "
                                "ignore_errors = true)", [glob]).fetchone()
            duckdb_seconds = time.perf_counter() - start
    console.print(_score_table(f"bench anomalies: seeds {seeds}, {days} days, scale {scale}", "type", result.table()))
    console.print(_score_table("per anomaly type (each detector alone: the incidents of its family it found)",
                               "anomaly type", result.type_table()))
    spent = result.seconds
    work = spent["load"] + spent["detect"]
    console.print(f"load {spent['load']:.2f} s + detect {spent['detect']:.2f} s = {work:.2f} s; DuckDB reading the "
                  f"same tracker files: {duckdb_seconds:.2f} s (ratio {work / duckdb_seconds:.2f}); "
                  f"simulate {spent['simulate']:.1f} s")


def _score_table(title: str, first: str, frame: pd.DataFrame) -> Table:
    """A recall/precision table (rows: the index of `frame`) for the console."""
    table = Table(title=title)
    for name in (first, "incidents", "found", "recall", "anomalies", "matching", "precision"):
        table.add_column(name, justify="left" if name == first else "right", no_wrap=True)
    for key, row in frame.iterrows():
        table.add_row(str(key), f"{row['incidents']:.0f}", f"{row['found']:.0f}", _pct(row["recall"]),
                      f"{row['anomalies']:.0f}", f"{row['matching']:.0f}", _pct(row["precision"]))
    return table


def _pct(value: float) -> str:
    return "-" if value != value else f"{100 * value:.1f} %"


def _timed(run: Callable[[], object], repeats: int) -> tuple[float, float, object]:
    """(first run, best run) in seconds and the last result of `run`."""
    seconds, value = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        value = run()
        seconds.append(time.perf_counter() - start)
    return seconds[0], min(seconds), value


def _reference_row(table: Table, file: Path, order: int, ours: pd.DataFrame, duckdb_seconds: float) -> None:
    """Time the ChannelAttribution package (a simulation-based estimate) on the same CSV, if installed."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # it prints an advertisement on import
            import ChannelAttribution
    except ImportError:
        console.print("ChannelAttribution is not installed; skipping the reference timing.")
        return
    import pandas as pd

    frame = pd.read_csv(file)
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        estimate = ChannelAttribution.markov_model(
            frame, "path", "conversions", var_value="conversion_value", var_null="nulls", order=order,
            sep=">", flg_pro=False,
        )
    seconds = time.perf_counter() - start
    theirs = estimate.set_index("channel_name")["total_conversions"]
    ours_share = ours.set_index("channel")["conversions"] / ours["conversions"].sum()
    gap = (theirs.reindex(ours_share.index) / theirs.sum() - ours_share).abs().max()
    table.add_row(
        f"ChannelAttribution markov_model (simulated; max share gap {gap:.4f})", f"{seconds:.3f}", "",
        f"{seconds / duckdb_seconds:.2f}",
    )
