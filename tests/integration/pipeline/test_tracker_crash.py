"""Exactly once under crashes: kill the tracker ingestion at random points, rerun, and get exactly the source's rows."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time

import duckdb
import pytest

from adledger.config import settings

pytestmark = pytest.mark.slow

TRIALS = 20
INGEST = "from ingestion.pipelines import ingest_tracker; import sys; ingest_tracker(sys.argv[1])"
STATE = ("select count(*), count(distinct message_id), md5(string_agg(message_id || coalesce(ip_hash, ''), ',' "
         "order by message_id)) from raw_tracker.events")


def _ingest(path, kill_after: float | None = None) -> int:
    proc = subprocess.Popen([sys.executable, "-c", INGEST, str(path)], env=os.environ.copy(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if kill_after is None:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-3000:]
        return proc.returncode
    try:
        proc.wait(timeout=kill_after)
    except subprocess.TimeoutExpired:
        proc.kill()
    proc.wait()
    return proc.returncode


def _state() -> tuple:
    with duckdb.connect(str(settings().warehouse), read_only=True) as con:
        events = con.execute(STATE).fetchone()
        files = con.execute("select sum(lines_read), sum(rows_valid), sum(rows_quarantined) from raw_tracker.files")
        files = files.fetchone()
        quarantine = con.execute("select count(*) from raw_tracker.quarantined_rows").fetchone()[0]
    return events, files, quarantine


def test_killed_runs_rerun_to_exactly_the_source_rows(adledger_env, emulator_world):
    tracker = emulator_world / "tracker"
    counts = json.loads((emulator_world / "world.json").read_text())["counts"]
    started = time.monotonic()
    _ingest(tracker)
    full_run = time.monotonic() - started
    expected = _state()
    assert expected[0][0] == expected[0][1] == counts["tracker_events"] - counts["duplicate_events"]
    assert expected[1] == (counts["tracker_lines"], counts["tracker_events"], counts["malformed_lines"])

    rng = random.Random(20261123)
    killed = 0
    for trial in range(TRIALS):
        data = settings().data_dir
        subprocess.run(["rm", "-rf", str(data)], check=True)
        if _ingest(tracker, kill_after=rng.uniform(0.2, full_run)) != 0:
            killed += 1
        if trial % 2:  # sometimes a second crash before the good rerun
            _ingest(tracker, kill_after=rng.uniform(0.2, full_run))
        _ingest(tracker)
        assert _state() == expected, f"trial {trial}"
    assert killed >= TRIALS // 2, f"only {killed} of {TRIALS} runs were killed mid-way"
