"""Entry point of the code location (`dagster dev`, `dagster definitions validate -m dagster_project.definitions`).

Loads everything under `defs/` (one folder per integration) and adds only cross-cutting policy: the published
snapshot of every mart, and the freshness policies and automation conditions of the whole graph.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from dagster_project.defs.publish.assets import with_published_snapshot
from dagster_project.defs.schedules.policies import with_orchestration_policies


@dg.definitions
def defs() -> dg.Definitions:
    loaded = dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
    return with_orchestration_policies(with_published_snapshot(loaded))
