"""The one environment switch (`ADLEDGER_ENV`: local | ci | prod) and what it decides.

Asset bodies never read `os.environ`; they ask this module. dbt runs as a subprocess and reads its profile from the
environment, so `dbt_environment()` is what the dbt resource exports.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from adledger.config import Settings, settings

#: the concurrency pool every step that writes the warehouse file joins (DuckDB allows one writer process)
WAREHOUSE_WRITER_POOL = "warehouse_writer"


def current() -> Settings:
    return settings()


def ensure_interpreter_tools_on_path() -> None:
    """dbt and dagster CLIs installed beside this interpreter (a virtualenv not activated) are found by the libraries
    that look them up on PATH (dagster-dbt's manifest preparer)."""
    tools = str(Path(sys.executable).parent)
    if tools not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([tools, os.environ.get("PATH", "")])


def export_dbt_environment(cfg: Settings | None = None) -> None:
    """Point the dbt profile (`dbt_project/profiles.yml`) at this environment's warehouse.

    dbt runs as a subprocess that inherits this process's environment, so this is called right before each dbt
    invocation (settings can change between runs of one process, e.g. in tests).
    """
    cfg = cfg or settings()
    os.environ["ADLEDGER_DBT_DUCKDB_PATH"] = str(cfg.warehouse)
    os.environ["ADLEDGER_DBT_TARGET"] = cfg.dbt_target
