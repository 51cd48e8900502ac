"""The dbt project as Dagster sees it: one cached `DbtProject`, its manifest prepared on load when missing or stale.

`DbtProject.prepare_if_dev()` only prepares under `dagster dev`; the CLI, tests and `dagster definitions validate`
load the code location directly, so the manifest is (re)built here whenever a project file is newer than it.
"""

from __future__ import annotations

import fcntl
from functools import cache
from pathlib import Path

from dagster_dbt import DbtProject

_SOURCES = ("models", "macros", "seeds", "tests", "snapshots", "analyses")


def _newest_source_mtime(project_dir: Path) -> float:
    files = [project_dir / "dbt_project.yml", project_dir / "profiles.yml"]
    for folder in _SOURCES:
        if (project_dir / folder).is_dir():
            files.extend(p for p in (project_dir / folder).rglob("*") if p.is_file())
    return max(p.stat().st_mtime for p in files if p.exists())


@cache
def dbt_project() -> DbtProject:
    from dagster_project.lib.env import current, ensure_interpreter_tools_on_path, export_dbt_environment

    cfg = current()
    export_dbt_environment(cfg)  # `dbt parse` reads the profile too
    ensure_interpreter_tools_on_path()
    project_dir = cfg.dbt_project_dir
    project = DbtProject(project_dir=project_dir, profiles_dir=project_dir, target=cfg.dbt_target)
    manifest = project.manifest_path
    if not manifest.exists() or manifest.stat().st_mtime < _newest_source_mtime(project_dir):
        manifest.parent.mkdir(parents=True, exist_ok=True)
        with open(manifest.parent / ".prepare.lock", "w") as lock:  # one `dbt parse` at a time per checkout
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not manifest.exists() or manifest.stat().st_mtime < _newest_source_mtime(project_dir):
                project.preparer.prepare(project)
    return project
