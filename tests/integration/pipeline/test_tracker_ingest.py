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


def test_the_first_delivery_of_a_message_id_wins_across_runs_and_backfills(adledger_env, tracker_logs):
    from ingestion.pipelines import pipeline
    from ingestion.tracker import tracker

    ingest_tracker(tracker_logs.root)
    first = json.loads(gzip.decompress(tracker_logs.files[0].read_bytes()).splitlines()[0])
    row = f"select ip_hash, received_at from raw_tracker.events where message_id = '{first['messageId']}'"
    with duckdb.connect(str(settings().warehouse), read_only=True) as con:
        original = con.execute(row).fetchall()
    # a later day redelivers that event from another address, with one new event
    again = {**first, "receivedAt": "2026-01-05T08:00:00.000Z",
             "context": {**first.get("context", {}), "ip": "203.0.113.9"}}
    new = {"type": "page", "messageId": "day5-new", "timestamp": "2026-01-05T08:00:00.000Z", "anonymousId": "v5"}
    later = tracker_logs.root / "2026" / "01" / "05" / "2026-01-05T08.jsonl.gz"
    later.parent.mkdir(parents=True)
    later.write_bytes(gzip.compress((json.dumps(again) + "\n" + json.dumps(new) + "\n").encode()))

    ingest_tracker(tracker_logs.root)
    pipeline("tracker").run(tracker(path=str(tracker_logs.root), days=["2026-01-05"]))  # a backfill of that day

    assert _count("select count(*) from raw_tracker.events") == tracker_logs.good_events + 1
    assert _count("select count(distinct message_id) from raw_tracker.events") == tracker_logs.good_events + 1
    with duckdb.connect(str(settings().warehouse), read_only=True) as con:
        assert con.execute(row).fetchall() == original


def test_a_load_job_appended_twice_is_settled_before_the_next_run(adledger_env, tracker_logs):
    """What a load job re-run after a crash between its commit and its completion record leaves: its rows twice."""
    ingest_tracker(tracker_logs.root)
    snapshot = "select md5(string_agg(message_id || coalesce(ip_hash, ''), ',' order by message_id)) from raw_tracker.events"
    before = _count(snapshot)
    with duckdb.connect(str(settings().warehouse)) as con:
        con.execute("insert into raw_tracker.events select * from raw_tracker.events "
                    "where _load_id = (select max(load_id) from raw_tracker._dlt_loads)")
    assert _count("select count(*) from raw_tracker.events") == 2 * tracker_logs.good_events

    ingest_tracker(tracker_logs.root)

    assert _count("select count(*) from raw_tracker.events") == tracker_logs.good_events
    assert _count(snapshot) == before


def test_a_run_killed_while_dlt_deleted_a_normalized_package_is_not_blocked_by_its_leftover(adledger_env, tracker_logs):
    """dlt's normalize commits a package and then deletes its extracted copy, a tree: a kill during the deletion
    leaves the package's folder without its jobs, which dlt would try to normalize again."""
    from ingestion.pipelines import pipeline

    ingest_tracker(tracker_logs.root)
    pipe = pipeline("tracker")
    (load_id,) = pipe.list_completed_load_packages()
    leftover = settings().data_dir / "dlt_pipelines" / pipe.pipeline_name / "normalize" / "extracted" / load_id
    leftover.mkdir(parents=True)
    (leftover / "load_package_state.json").write_text("{}")
    assert pipeline("tracker").has_pending_data

    again = ingest_tracker(tracker_logs.root)

    assert again.files == 0
    assert not leftover.exists()
    assert _count("select count(*) from raw_tracker.events") == tracker_logs.good_events
