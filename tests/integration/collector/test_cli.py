"""`adledger collect` tells the user what to fix instead of printing a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from adledger.collector.loadgen import CollectorProcess

CLI = [sys.executable, "-c", "from adledger.cli import app; app()", "collect"]


def _run(args: list[str], cwd: Path, **env: str) -> tuple[int, str]:
    """Exit code and stderr (rich wraps long lines: whitespace collapsed)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("COLLECTOR__")}
    environment.update(env)
    done = subprocess.run(CLI + args, cwd=cwd, env=environment, capture_output=True, text=True, timeout=60)
    return done.returncode, " ".join(done.stderr.split())


def test_without_write_keys_it_says_what_to_set(tmp_path: Path) -> None:
    code, stderr = _run(["--port", "0", "--out", str(tmp_path / "out")], cwd=tmp_path)
    assert code == 2
    assert "COLLECTOR__WRITE_KEYS" in stderr and "Traceback" not in stderr


def test_a_folder_in_use_is_refused(collector: CollectorProcess, tmp_path: Path) -> None:
    code, stderr = _run(["--port", "0", "--out", str(collector.out_dir)], cwd=tmp_path, COLLECTOR__WRITE_KEYS="k")
    assert code == 1
    assert "another collector" in stderr and "Traceback" not in stderr


def test_a_busy_port_is_refused(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        code, stderr = _run(["--port", port, "--out", str(tmp_path / "out")], cwd=tmp_path, COLLECTOR__WRITE_KEYS="k")
    assert code == 1
    assert "pick another --port" in stderr and "Traceback" not in stderr
