"""What every command module shares: the consoles and the way a command fails."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

#: results go to stdout, progress and errors to stderr, so `adledger ... > out.csv` stays clean
out = Console()
err = Console(stderr=True)


def fail(message: str, hint: str | None = None, code: int = 1) -> NoReturn:
    """Print an error the user can act on and exit non-zero."""
    err.print(f"[bold red]error:[/] {message}")
    if hint:
        err.print(f"[dim]hint:[/] {hint}")
    raise typer.Exit(code)
