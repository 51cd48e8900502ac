"""The tracker dlt pipeline into a real DuckDB file: line accounting, reruns, growing files."""

from __future__ import annotations

import gzip
import json

import duckdb

from adledger.config import settings
from ingestion.pipelines import ingest_tracker


def _count(sql: str) -> int:
    with duckdb.connect(str(settings().warehouse), read_only=True) as con:
        return con.execute(sql).fetchone()[0]


def test_every_line_is_loaded_or_quarantined_once(adledger_env, tracker_logs):
    load = ingest_tracker(tracker_logs.root)

    lines = sum(len([ln for ln in gzip.decompress(f.read_bytes()).splitlines() if ln.strip()])
                for f in tracker_logs.files)
    assert load.lines_read == lines
    assert load.rows_valid + load.rows_quarantined == lines
    assert load.rows_quarantined == tracker_logs.bad_lines
    assert _count("select count(*) from raw_tracker.events") == tracker_logs.good_events
    assert _count("select count(distinct message_id) from raw_tracker.events") == tracker_logs.good_events
    assert _count("select count(*) from raw_tracker.quarantined_rows") == tracker_logs.bad_lines
    assert _count("select sum(lines_read) from raw_tracker.files") == lines


def test_rerun_loads_nothing_new_and_changes_nothing(adledger_env, tracker_logs):
    ingest_tracker(tracker_logs.root)
    snapshot = "select md5(string_agg(message_id || coalesce(ip_hash, ''), ',' order by message_id)) from raw_tracker.events"
    before = _count(snapshot)
    again = ingest_tracker(tracker_logs.root)
    assert again.files == 0 and again.lines_read == 0
    assert _count(snapshot) == before
    assert _count("select count(*) from raw_tracker.events") == tracker_logs.good_events


def test_a_growing_file_adds_only_its_new_events(adledger_env, tracker_logs):
    ingest_tracker(tracker_logs.root)
    last = tracker_logs.files[-1]
    old = gzip.decompress(last.read_bytes())
    extra = [json.dumps({"type": "page", "messageId": f"late-{i}", "timestamp": "2026-01-03T23:59:00.000Z",
                         "anonymousId": "late-visitor"}) for i in range(3)]
    last.write_bytes(gzip.compress(old + ("\n".join(extra) + "\n").encode()))

    load = ingest_tracker(tracker_logs.root)

    assert load.files == 1
    assert _count("select count(*) from raw_tracker.events") == tracker_logs.good_events + 3
    assert _count("select count(*) from raw_tracker.quarantined_rows") == tracker_logs.bad_lines
