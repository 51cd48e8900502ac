"""`adledger bench transform`: an incremental dbt build after one new day against a full build of the same data.

On a simulated world of `days` days: load every source up to the day before the last (tracker files of those days,
the ad-platform APIs through their emulators up to that day, the first-party exports), build the dbt ledger, load
the last day, and time

- the incremental `dbt build` that follows (what the hourly/daily schedule runs), and
- a `dbt build --full-refresh` of the very same warehouse (a copy taken before the incremental build, put back at
  the same path: another path is another dbt profile, and dbt would parse the whole project again for it only),

then compare every staging, intermediate and mart table of the two warehouses row for row: the incremental models
must give exactly what a full refresh gives. After the incremental build, one more `dbt build` with no new data at
all measures the floor of an incremental build: dbt's process start-up and partial parse, and its cost per node
(every view, seed and data test runs whatever the data). Each build's time is split into dbt's start-up (the
command's wall time minus the elapsed time dbt reports for running the nodes) and its nodes (`run_results.json`:
elapsed, and the summed execution time of models, seeds and tests), with its CPU seconds and the 1-minute load
average before and after. The builds run the ledger's first dbt step (the models that do not read the Python
analytics' outputs) with its data tests; dbt unit tests are left out of all of them (they test the SQL, not the
data, and belong to CI). The no-new-data build runs on the incremental result before the comparison, so the
comparison also shows that a rerun changes nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

#: the dbt selection both builds run (the step before the analytics, without unit tests)
EXCLUDE = ["tag:after_analytics", "resource_type:unit_test"]
#: schemas whose tables must be identical after the incremental build and after a full refresh
COMPARED_SCHEMAS = ("staging", "intermediate", "marts")


@dataclass
class DbtBuild:
    """One timed `dbt build`: wall seconds of the command, its CPU seconds (user + system of the dbt process and its
    DuckDB threads: a busy machine stretches wall time, hardly CPU time), dbt's own elapsed seconds for the nodes
    (`run_results.json`), summed execution seconds and counts per resource type (model, seed, test), and the
    1-minute load average before and after (the machine may be shared)."""

    seconds: float
    cpu_seconds: float
    nodes_elapsed: float
    node_seconds: dict[str, float]
    node_counts: dict[str, int]
    load_before: float
    load_after: float

    @property
    def startup_seconds(self) -> float:
        """Seconds outside the nodes: Python and dbt start-up, partial parse, artifacts."""
        return self.seconds - self.nodes_elapsed


@dataclass
class TransformBench:
    events: int
    days: int
    first_build: DbtBuild
    incremental: DbtBuild
    no_new_data: DbtBuild
    full: DbtBuild
    new_day_events: int
    tables_compared: int
    tables_different: list[str] = field(default_factory=list)

    @property
    def first_build_seconds(self) -> float:
        """Wall seconds of the first build (every day but the last, from scratch)."""
        return self.first_build.seconds

    @property
    def incremental_seconds(self) -> float:
        """Wall seconds of the incremental build after the new day."""
        return self.incremental.seconds

    @property
    def full_seconds(self) -> float:
        """Wall seconds of the full-refresh build of the same data."""
        return self.full.seconds

    @property
    def ratio(self) -> float:
        """Incremental build time over full build time of the same data (goal: < 0.25)."""
        return self.incremental_seconds / self.full_seconds

    @property
    def cpu_ratio(self) -> float:
        """The same ratio in CPU seconds of the two dbt processes (less sensitive to other jobs on the machine)."""
        return self.incremental.cpu_seconds / self.full.cpu_seconds

    @property
    def floor_ratio(self) -> float:
        """A build with no new data over the full build: no incremental model can bring the ratio below this."""
        return self.no_new_data.seconds / self.full_seconds


def _dbt(project_dir: Path, warehouse: Path, target: Path, *args: str) -> DbtBuild:
    """Run `dbt build` on `warehouse` with dbt's artifacts in `target` (kept between builds, so dbt parses the
    project partially, as a scheduled run does); return its timing (raises with dbt's output on failure)."""

    env = {**os.environ, "ADLEDGER_DBT_DUCKDB_PATH": str(warehouse), "ADLEDGER_DBT_TARGET": "duckdb"}
    dbt = Path(sys.executable).with_name("dbt")
    command = [str(dbt) if dbt.exists() else "dbt", "build", "--project-dir", str(project_dir), "--profiles-dir",
               str(project_dir), "--target", "duckdb", "--exclude", *EXCLUDE,
               "--target-path", str(target), *args]
    load_before = os.getloadavg()[0]
    cpu_before = _children_cpu_seconds()
    started = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - started
    cpu_seconds = _children_cpu_seconds() - cpu_before
    if proc.returncode != 0:
        raise RuntimeError(f"dbt build failed:\n{proc.stdout[-4000:]}")
    elapsed, node_seconds, node_counts = node_times(target / "run_results.json")
    return DbtBuild(seconds=seconds, cpu_seconds=cpu_seconds, nodes_elapsed=elapsed, node_seconds=node_seconds,
                    node_counts=node_counts, load_before=load_before, load_after=os.getloadavg()[0])


def _children_cpu_seconds() -> float:
    """User + system CPU seconds of this process's finished child processes (the dbt commands)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def node_times(run_results: Path) -> tuple[float, dict[str, float], dict[str, int]]:
    """From dbt's `run_results.json` artifact (https://docs.getdbt.com/reference/artifacts/run-results-json): the
    elapsed seconds of the run, and the summed `execution_time` seconds and the count of nodes per resource type
    (the first part of a node's `unique_id`: model, seed, test, snapshot, unit_test)."""
    results = json.loads(run_results.read_text())
    node_seconds: dict[str, float] = {}
    node_counts: dict[str, int] = {}
    for node in results["results"]:
        kind = node["unique_id"].split(".", 1)[0]
        node_seconds[kind] = node_seconds.get(kind, 0.0) + node["execution_time"]
        node_counts[kind] = node_counts.get(kind, 0) + 1
    return float(results["elapsed_time"]), node_seconds, node_counts


def link_tracker_days(tracker: Path, into: Path, days: set[str], copy: bool = False) -> int:
    """Link (or copy: a fresh modification time, as a newly delivered file has) the tracker files of `days`
    (YYYY-MM-DD, the tracker's delivery day of a file) under `into`; count them."""
    from ingestion.tracker import file_day

    count = 0
    for file in sorted(tracker.rglob("*.jsonl*")):
        if file_day(str(file.relative_to(tracker))) in days:
            target = into / file.relative_to(tracker)
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                if copy:
                    shutil.copyfile(file, target)
                else:
                    target.symlink_to(file.resolve())
                count += 1
    return count


def _different_tables(left: Path, right: Path) -> tuple[int, list[str]]:
    """(tables compared, tables whose rows differ) between two warehouses, over `COMPARED_SCHEMAS`."""
    import duckdb

    con = duckdb.connect()
    try:
        con.execute(f"attach '{left}' as l (read_only)")
        con.execute(f"attach '{right}' as r (read_only)")
        schemas = ", ".join(f"'{s}'" for s in COMPARED_SCHEMAS)
        tables = con.execute(
            f"select table_schema, table_name from information_schema.tables where table_catalog = 'l' "
            f"and table_schema in ({schemas}) and table_type = 'BASE TABLE' order by 1, 2").fetchall()
        different = []
        for schema, table in tables:
            name = f'"{schema}"."{table}"'
            (diff,) = con.execute(
                f"select count(*) from ((select * from l.{name} except all select * from r.{name}) "
                f"union all (select * from r.{name} except all select * from l.{name}))").fetchone()
            if diff:
                different.append(f"{schema}.{table} ({diff} rows)")
        return len(tables), different
    finally:
        con.close()


def run(world: Path, on_step: Callable[[str], None] = lambda _: None) -> TransformBench:
    """Run the benchmark on the simulated world in `world` (see the module docstring)."""
    from adledger.config import settings
    from adledger.demo import ensure_local_secrets, world_sources_environment
    from adledger.simulator import WorldManifest
    from adledger.simulator.emulators import serve
    from ingestion.pipelines import API_SOURCES, ingest_api, ingest_first_party, ingest_tracker

    manifest = WorldManifest.load(world)
    first = date.fromisoformat(str(manifest.start))
    last = first + timedelta(days=int(manifest.days) - 1)
    before = {str(first + timedelta(days=i)) for i in range(int(manifest.days) - 1)}
    project_dir = settings().dbt_project_dir
    saved = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="adledger-bench-transform-") as tmp, serve(world) as apis:
        data = Path(tmp) / "data"
        tracker = Path(tmp) / "tracker"
        os.environ.pop("ADLEDGER_WAREHOUSE", None)
        os.environ.update({"ADLEDGER_DATA_DIR": str(data), **world_sources_environment(world, apis)})
        try:
            ensure_local_secrets()
            warehouse = settings().warehouse
            on_step(f"loading days {first} .. {last - timedelta(days=1)}")
            link_tracker_days(world / "tracker", tracker, before)
            ingest_first_party(world / "first_party")
            for source in API_SOURCES:
                ingest_api(source, end_date=last - timedelta(days=1))
            loaded = ingest_tracker(tracker)
            on_step("first dbt build (every model from scratch)")
            dbt_target = Path(tmp) / "dbt-target"
            first_build = _dbt(project_dir, warehouse, dbt_target)
            on_step(f"loading the new day {last}")
            link_tracker_days(world / "tracker", tracker, {str(last)}, copy=True)
            for source in API_SOURCES:
                ingest_api(source, start_date=last - timedelta(days=1), end_date=last)
            new_day = ingest_tracker(tracker)
            before_incremental = Path(tmp) / "before" / "warehouse.duckdb"
            incremental_result = Path(tmp) / "incremental" / "warehouse.duckdb"
            before_incremental.parent.mkdir()
            incremental_result.parent.mkdir()
            shutil.copyfile(warehouse, before_incremental)
            on_step("incremental dbt build after the new day")
            incremental = _dbt(project_dir, warehouse, dbt_target)
            on_step("dbt build with no new data (the floor of an incremental build)")
            no_new_data = _dbt(project_dir, warehouse, dbt_target)
            shutil.move(warehouse, incremental_result)
            shutil.move(before_incremental, warehouse)
            on_step("full-refresh dbt build of the same data")
            full = _dbt(project_dir, warehouse, dbt_target, "--full-refresh")
            on_step("comparing every staging, intermediate and mart table")
            compared, different = _different_tables(incremental_result, warehouse)
        finally:
            os.environ.clear()
            os.environ.update(saved)
    return TransformBench(events=loaded.rows_valid + new_day.rows_valid, days=int(manifest.days),
                          first_build=first_build, incremental=incremental, no_new_data=no_new_data, full=full,
                          new_day_events=new_day.rows_valid, tables_compared=compared, tables_different=different)
