"""Command modules of the `adledger` CLI, one per area.

Each module exposes `register(app, bench_app)` and keeps its imports lazy (inside command bodies).
"""

from __future__ import annotations

import importlib

import typer

#: command modules, in the order their commands appear in `adledger --help`
MODULES = ("pipeline", "simulate", "analytics", "collect", "optimize", "report")


def register_all(app: typer.Typer, bench_app: typer.Typer) -> None:
    for name in MODULES:
        importlib.import_module(f"adledger.commands.{name}").register(app, bench_app)
