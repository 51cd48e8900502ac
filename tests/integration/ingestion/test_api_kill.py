"""Kill -9 at random points of an API ingestion, rerun, and the warehouse holds exactly the source's rows."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from ingestion.pipelines import ingest_api
from tests.integration.ingestion.spend import RAW_SPEND, expected_rows, truth_spend

TRIALS = 20
PLATFORM = "meta_ads"
#: the victim: imports first, says "ready", then ingests (so the random kill lands in the work, not the imports)
RUN = ("import ingestion.{platform}, ingestion.pipelines as p; print('ready', flush=True); "
       "p.ingest_api({platform!r}, start_date={start!r})")


def _start(env: dict, start: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", RUN.format(platform=PLATFORM, start=start)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline().strip() == b"ready", proc.stderr.read().decode()[-2000:]
    return proc


def _loaded(warehouse: Path) -> tuple[int, int, dict, str | None]:
    """Rows, duplicated keys, spend per (account, day) and the committed cursor of the warehouse."""
    from dlt.common.versioned_state import decompress_state

    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = {r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw_meta_ads'").fetchall()}
        if "ad_insights" not in tables:
            return 0, 0, {}, None
        rows = con.execute("select count(*) from raw_meta_ads.ad_insights").fetchone()[0]
        dups = con.execute("select count(*) from (select account_id, ad_id, date_start from raw_meta_ads.ad_insights "
                           "group by all having count(*) > 1)").fetchone()[0]
        spend = {(a, d): s for a, d, s in con.execute(RAW_SPEND[PLATFORM]).fetchall()}
        state = con.execute("select state from raw_meta_ads._dlt_pipeline_state order by version desc limit 1").fetchone()
    cursor = None
    if state:
        resources = decompress_state(state[0])["sources"][PLATFORM]["resources"]
        cursor = resources["ad_insights"]["incremental"]["date_start"]["last_value"]
    return rows, dups, spend, cursor


def _local(data_dir: Path) -> tuple[bool, str | None]:
    """Whether the pipeline has a package waiting to load, and the cursor in its local state."""
    import dlt

    if not (data_dir / "dlt_pipelines" / f"adledger_{PLATFORM}" / "state.json").exists():
        return False, None
    pipe = dlt.attach(f"adledger_{PLATFORM}", pipelines_dir=str(data_dir / "dlt_pipelines"))
    resources = pipe.state.get("sources", {}).get(PLATFORM, {}).get("resources", {})
    cursor = resources.get("ad_insights", {}).get("incremental", {}).get("date_start", {}).get("last_value")
    return pipe.has_pending_data, cursor


@pytest.mark.slow
def test_killed_runs_resume_to_exactly_the_source_rows(apis, emulator_world, first_day, tmp_path, monkeypatch):
    rows = expected_rows(emulator_world, PLATFORM)
    truth = truth_spend(emulator_world, PLATFORM)
    rng = random.Random(7)

    def env_for(name: str) -> dict:
        return {**os.environ, "ADLEDGER_DATA_DIR": str(tmp_path / name)}

    reference = _start(env_for("reference"), first_day)
    started = time.monotonic()
    assert reference.wait(timeout=120) == 0, reference.stderr.read().decode()[-2000:]
    duration = time.monotonic() - started
    outcomes = {"nothing loaded": 0, "package pending": 0, "complete": 0}

    for trial in range(TRIALS):
        env = env_for(f"trial-{trial}")
        warehouse = Path(env["ADLEDGER_DATA_DIR"]) / "warehouse.duckdb"
        victim = _start(env, first_day)
        time.sleep(rng.uniform(0.0, duration))
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=60)

        loaded, dups, spend, cursor = _loaded(warehouse) if warehouse.exists() else (0, 0, {}, None)
        pending, local_cursor = _local(Path(env["ADLEDGER_DATA_DIR"]))
        outcomes["package pending" if pending else ("complete" if loaded == rows else "nothing loaded")] += 1
        assert dups == 0
        newest = max((d for _, d in spend), default=None)
        # a cursor ahead of the loaded rows (in the warehouse or in the pipeline's own state) only ever goes with
        # the package holding those rows, which the next run loads before it extracts anything
        for ahead in (cursor, local_cursor):
            if ahead is not None and (newest is None or ahead > newest or loaded != rows):
                assert pending, f"trial {trial}: cursor {ahead} ahead of the loaded rows (newest {newest})"
        monkeypatch.setenv("ADLEDGER_DATA_DIR", env["ADLEDGER_DATA_DIR"])
        ingest_api(PLATFORM, start_date=first_day)  # the rerun, in this process

        loaded, dups, spend, cursor = _loaded(warehouse)
        assert (loaded, dups) == (rows, 0), f"trial {trial}: {loaded} rows, {dups} duplicated keys"
        assert spend == truth
    assert outcomes["complete"] < TRIALS // 2, f"most kills came after the run had finished: {outcomes}"
