"""`new_tracker_files` starts a tracker ingestion run for a new file, and not for files that are old."""

from __future__ import annotations

import gzip
import json
import os
import time
from pathlib import Path

import dagster as dg
import duckdb

from adledger.config import settings


def _write_events(path: Path, ids: list[str], mtime: float | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"type": "page", "messageId": i, "timestamp": "2026-01-09T10:00:00.000Z",
                         "anonymousId": f"anon-{i}", "properties": {"url": "https://shop.example.com/"},
                         "context": {"page": {"url": "https://shop.example.com/"}}}) for i in ids]
    with gzip.open(path, "wt") as fh:
        fh.write("\n".join(lines) + "\n")
    if mtime is not None:
        os.utime(path, (mtime, mtime))


def _tick(code_location, instance, cursor):
    sensor = code_location.resolve_sensor_def("new_tracker_files")
    data = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, definitions=code_location, cursor=cursor,
                                                        sensor_name="new_tracker_files"))
    return data.run_requests or [], data.cursor, data.skip_message


def test_new_file_starts_a_run_and_old_files_do_not(adledger_env, tracker_logs, code_location, instance,
                                                    monkeypatch):
    monkeypatch.setenv("SOURCES__TRACKER__PATH", str(tracker_logs.root))

    requests, cursor, skip = _tick(code_location, instance, None)
    assert requests == [] and "existing file(s)" in skip  # files already there are not the sensor's business

    requests, cursor, skip = _tick(code_location, instance, cursor)
    assert requests == [] and skip == "no new tracker files"

    # a file older than everything seen (copied with its original time): not new
    _write_events(tracker_logs.root / "2025" / "12" / "31" / "2025-12-31T23.jsonl.gz", ["old-1"],
                  mtime=time.time() - 86400 * 30)
    requests, cursor, skip = _tick(code_location, instance, cursor)
    assert requests == [] and skip == "no new tracker files"

    new_file = tracker_logs.root / "2026" / "01" / "09" / "2026-01-09T10.jsonl.gz"
    _write_events(new_file, ["new-1", "new-2"], mtime=time.time() + 5)
    requests, cursor, _ = _tick(code_location, instance, cursor)

    assert len(requests) == 1
    request = requests[0]
    assert request.job_name == "tracker_ingestion"
    assert request.partition_key == "2026-01-09"  # the delivery day of the new file
    assert request.tags["adledger/newest_file"] == "2026/01/09/2026-01-09T10.jsonl.gz"
    assert request.tags["adledger/new_tracker_files"] == "1"
    assert json.loads(cursor)["name"] == "2026/01/09/2026-01-09T10.jsonl.gz"
    assert _tick(code_location, instance, cursor)[0] == []  # the same file does not start a second run

    run = code_location.resolve_job_def(request.job_name).execute_in_process(
        instance=instance, tags=request.tags, run_config=request.run_config, partition_key=request.partition_key)

    assert run.success
    with duckdb.connect(str(settings().warehouse), read_only=True) as con:
        loaded = {r[0] for r in con.execute("select message_id from raw_tracker.events "
                                            "where message_id in ('new-1', 'new-2', 'old-1')").fetchall()}
    assert loaded == {"new-1", "new-2"}  # the run loads the day's files; the old file's day is a backfill's job
