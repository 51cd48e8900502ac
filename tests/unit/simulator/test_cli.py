"""`adledger simulate` and `adledger serve-apis` from the command line: success and user mistakes."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from adledger.cli import app

runner = CliRunner()


def test_simulate_writes_a_world(tmp_path: Path):
    out = tmp_path / "world"
    result = runner.invoke(app, ["simulate", "--out", str(out), "--days", "2", "--scale", "0.02", "--seed", "3"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "world.json").read_text())
    assert (manifest["days"], manifest["seed"], manifest["start"]) == (2, 3, "2026-01-01")
    assert f"{manifest['counts']['tracker_events']:,} tracker events" in result.output.replace("\n", " ")


def test_simulate_rejects_a_bad_start_and_a_foreign_directory(tmp_path: Path):
    result = runner.invoke(app, ["simulate", "--out", str(tmp_path / "w"), "--start", "01/02/2026"])
    assert result.exit_code == 2 and "2026-01-01" in result.output
    other = tmp_path / "photos"
    other.mkdir()
    (other / "cat.jpg").write_bytes(b"\xff")
    result = runner.invoke(app, ["simulate", "--out", str(other), "--days", "1"])
    assert result.exit_code == 1 and (other / "cat.jpg").exists()


def test_serve_apis_explains_a_missing_world_and_bad_faults(tmp_path: Path):
    result = runner.invoke(app, ["serve-apis", "--world", str(tmp_path)])
    assert result.exit_code == 1 and "adledger simulate" in result.output
    (tmp_path / "platforms").mkdir()
    result = runner.invoke(app, ["serve-apis", "--world", str(tmp_path), "--faults", "5xx=7"])
    assert result.exit_code == 2 and "probability" in result.output
