"""Entry point of the code location (`dagster dev`, `dagster definitions validate -m dagster_project.definitions`).

Loads everything under `defs/` (one folder per integration) and adds only cross-cutting policy.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
