"""The `adledger` command line.

Every command module under `adledger/commands/` registers its commands here. Command modules import
only typer and rich at module level; heavy libraries (dagster, dlt, dbt, scipy) are imported inside
the command bodies, so `adledger --help` and `adledger abtest` start fast.
"""

from __future__ import annotations

import typer

from adledger.commands import register_all

app = typer.Typer(
    name="adledger",
    help="Closed-loop performance-marketing ledger: load spend and events, attribute, measure, optimize.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
bench_app = typer.Typer(help="Benchmarks; each prints its figure and the ratio to raw DuckDB on the same input.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")

register_all(app, bench_app)


def main() -> None:  # pragma: no cover - console entry
    app()
