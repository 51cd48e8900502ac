"""Whole runs on the simulated world: BI readers are never blocked nor shown a half-written mart, and a planted bad
batch stops the run, alerts the local receiver, and leaves the marts and the published snapshot as they were."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from adledger.config import settings
from dagster_project.lib.publish import read_meta
from tests.fixtures.pipeline import WorldPipeline, copy_of_shared_run, pipeline_environment
from tests.fixtures.tracker_logs import write_tracker_logs

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[3]


@dataclass
class Pipeline:
    tracker: Path  # this module's own copy of the world's tracker files (it adds files to it)
    first: object  # RunSummary of the first run


@pytest.fixture(scope="module")
def pipeline(_shared_world_run: WorldPipeline, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    """A copy of the session's whole run, reading the tracker files from the module's own copy of them (with their
    modification times, so the tracker's cursor sees only the files the tests add)."""
    root = tmp_path_factory.mktemp("published")
    tracker = Path(shutil.copytree(_shared_world_run.world / "tracker", root / "tracker"))
    with pipeline_environment(_shared_world_run.world, copy_of_shared_run(_shared_world_run, root)):
        os.environ["SOURCES__TRACKER__PATH"] = str(tracker)  # restored by pipeline_environment
        yield Pipeline(tracker=tracker, first=_shared_world_run.summary)


def _marts() -> dict[str, list]:
    with duckdb.connect(str(settings().warehouse), read_only=True) as con:
        tables = [t for (t,) in con.execute("select table_name from information_schema.tables "
                                            "where table_schema = 'marts' order by 1").fetchall()]
        return {t: con.execute(f"select * from marts.{t} order by all").fetchall() for t in tables}


def _downstream_of_tracker_events() -> set[str]:
    import dagster as dg

    from dagster_project.definitions import defs

    graph = defs().resolve_asset_graph()
    keys = dg.AssetSelection.keys(dg.AssetKey(["raw_tracker", "events"])).downstream(include_self=False).resolve(graph)
    assert dg.AssetKey(["publish", "published_snapshot"]) in keys
    return {k.to_user_string() for k in keys}


def test_a_reader_in_a_loop_never_errors_and_never_sees_a_half_written_mart(pipeline, tmp_path):
    from adledger.demo import materialize

    assert pipeline.first.success, (pipeline.first.failed_steps, pipeline.first.checks_failed)
    cfg = settings()
    before = {t.name: t for t in read_meta(cfg.published)}
    assert "mart_channel_daily" in before
    write_tracker_logs(pipeline.tracker / "late-arrivals", visitors=40, days=1, seed=11)  # the marts will change
    stop, out = tmp_path / "stop", tmp_path / "reads.json"
    reader = subprocess.Popen([sys.executable, "-m", "tests.integration.orchestration.snapshot_reader",
                               str(cfg.published), str(stop), str(out)], cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert reader.stdout.readline().strip() == "reading"
    started = time.time()
    try:
        run = materialize()
    finally:
        finished = time.time()
        time.sleep(0.5)
        stop.touch()
        reader.wait(timeout=120)
    reads = json.loads(out.read_text())

    assert run.success, (run.failed_steps, run.checks_failed)
    assert "publish/published_snapshot" in run.assets
    assert reads["errors"] == []
    assert reads["mismatches"] == []
    assert reads["reads"] > 10 and reads["first_read"] < started + 5 and reads["last_read"] > finished
    after = {t.name: t for t in read_meta(cfg.published)}
    assert len(reads["snapshots"]) == 2  # the old snapshot, then the new one, each read whole
    assert after["mart_channel_daily"].checksum != before["mart_channel_daily"].checksum
    assert set(after) == set(before)
    exports = sorted(p.name for p in cfg.exports_dir.iterdir())
    assert exports == sorted(f"{name}.parquet" for name in after)
    assert "publish/report" in run.assets and cfg.report.stat().st_mtime > started  # the analysts' report, rebuilt


def test_a_bad_batch_stops_the_run_alerts_and_keeps_what_readers_see(pipeline, http_receiver, monkeypatch):
    from adledger.demo import materialize

    cfg = settings()
    materialize_marts_before = _marts()
    published_before = cfg.published.read_bytes()
    exports_before = {p.name: p.read_bytes() for p in cfg.exports_dir.iterdir()}
    monkeypatch.setenv("ADLEDGER_ALERT_URLS", http_receiver.url("/oncall"))
    with duckdb.connect(str(cfg.warehouse)) as con:  # an event type the GX suite does not accept
        con.execute("update raw_tracker.events set event_type = 'bogus' where message_id = "
                    "(select min(message_id) from raw_tracker.events)")

    run = materialize()

    assert not run.success
    assert ("raw_tracker/events", "gx_raw_tracker_events", False) in run.checks
    assert not set(run.assets) & _downstream_of_tracker_events()
    assert _marts() == materialize_marts_before
    assert cfg.published.read_bytes() == published_before
    assert {p.name: p.read_bytes() for p in cfg.exports_dir.iterdir()} == exports_before
    posts = http_receiver.wait(1)
    time.sleep(0.5)
    assert len(http_receiver.posts) == 1  # one problem, one alert: no second one for the failed run
    path, alert = posts[0]
    assert path == "/oncall"
    assert alert["title"] == "adledger: check gx_raw_tracker_events failed on raw_tracker/events"
    message = alert["message"]
    assert "asset: raw_tracker/events" in message and "check: gx_raw_tracker_events" in message
    assert "on event_type: 1 unexpected (e.g. bogus)" in message
    assert "the published snapshot was not replaced" in message
    with duckdb.connect(str(cfg.warehouse), read_only=True) as con:
        # the module's first run alerted on the world's planted anomalies; this run's alerts are the others
        rows = con.execute("select kind, asset, check_name, run_id, link, status from quality.alerts "
                           "where kind <> 'anomaly'").fetchall()
    assert len(rows) == 1
    kind, asset, check, run_id, link, status = rows[0]
    assert (kind, asset, check, status) == ("check_failure", "raw_tracker/events", "gx_raw_tracker_events", "sent")
    assert link == f"http://127.0.0.1:3000/runs/{run_id}" and f"link: {link}" in message
    assert [a["title"] for a in run.alerts] == [alert["title"]]
