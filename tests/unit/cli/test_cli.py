"""The CLI starts fast, lists its commands and answers user mistakes with a hint, not a traceback."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ADLEDGER = str(Path(sys.executable).parent / "adledger")


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([ADLEDGER, *args], capture_output=True, text=True, timeout=120)


def test_help_lists_the_contract_commands_without_importing_the_heavy_stack():
    proc = _run("--help")
    assert proc.returncode == 0
    for command in ("demo", "materialize", "ingest", "bench"):
        assert command in proc.stdout
    probe = subprocess.run(
        [sys.executable, "-c", "import sys, adledger.cli; print(sorted(m for m in ('dagster', 'dlt', 'dbt', "
                               "'great_expectations', 'scipy') if m in sys.modules))"],
        capture_output=True, text=True, timeout=60,
    )
    assert probe.stdout.strip() == "[]", probe.stdout + probe.stderr


def test_ingest_explains_an_unknown_source_and_a_missing_path(tmp_path):
    proc = _run("ingest", "nosuch")
    assert proc.returncode != 0
    assert "unknown source" in proc.stderr and "hint" in proc.stderr
    proc = _run("ingest", "tracker", "--path", str(tmp_path / "missing"))
    assert proc.returncode != 0
    assert "does not exist" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_ingest_tracker_reports_line_accounting(adledger_env, tracker_logs):
    proc = _run("ingest", "tracker", "--path", str(tracker_logs.root))
    assert proc.returncode == 0, proc.stderr
    assert f"{tracker_logs.bad_lines:,} quarantined" in proc.stdout
