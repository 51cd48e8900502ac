"""The dbt documentation site: `dbt docs generate --static` into a scratch target, the site files kept.

dbt writes `index.html` (needs a web server: it fetches the JSON files), `static_index.html` (one file with the
manifest and catalog inlined, opens from disk), `manifest.json` and `catalog.json`
(https://docs.getdbt.com/reference/commands/cmd-docs). The catalog comes from the warehouse, so the warehouse must
not be held by a running pipeline.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from adledger.config import Settings

SITE_FILES = ("static_index.html", "index.html", "manifest.json", "catalog.json")
#: the page to link to: it works when opened from disk
ENTRY = "static_index.html"
#: lines of dbt's output shown when it fails
TAIL_LINES = 15


class DocsBuildError(RuntimeError):
    """A documentation generator failed; the message carries its error."""


def build_dbt_docs(cfg: Settings, out_dir: Path) -> Path:
    """Generate the dbt docs of `cfg`'s project and target into `out_dir` (replaced); returns the entry page.

    dbt runs in a child process: its adapter keeps the warehouse open until its process ends.
    """
    from dagster_project.lib.env import export_dbt_environment

    export_dbt_environment(cfg)  # the profile reads the warehouse path and target from the environment
    project = cfg.dbt_project_dir
    with tempfile.TemporaryDirectory(prefix="adledger-dbt-docs-") as scratch:
        target = Path(scratch) / "target"
        result = subprocess.run(
            [sys.executable, "-m", "dbt.cli.main", "docs", "generate", "--static",
             "--project-dir", str(project), "--profiles-dir", str(project), "--target", cfg.dbt_target,
             "--target-path", str(target), "--log-path", str(Path(scratch) / "logs")],
            capture_output=True, text=True, check=False)
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-TAIL_LINES:])
            raise DocsBuildError(f"dbt docs generate failed (exit {result.returncode}):\n{tail}")
        staging = out_dir.with_name(f".{out_dir.name}.tmp")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for name in SITE_FILES:
            shutil.copy2(target / name, staging / name)
    shutil.rmtree(out_dir, ignore_errors=True)
    staging.rename(out_dir)
    return out_dir / ENTRY
