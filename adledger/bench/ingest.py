"""`adledger bench ingest`: tracker ingestion against raw DuckDB `read_json` of the same files.

Both sides run in a fresh subprocess each (so neither profits from the other's caches or imports, and each reports
its own peak RSS): raw DuckDB loads every file into a table with `read_json` (malformed lines skipped); adledger runs
the full dlt pipeline (parse, contract, quarantine, PII hashing, dedupe, load with merge) into a fresh warehouse.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

_RAW = """
import duckdb, json, resource, sys, time
cpu = lambda: sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
con = duckdb.connect(sys.argv[2])
c, t = cpu(), time.perf_counter()
# the Segment top level typed, nested objects kept as JSON: what a DuckDB user writes for this spec (auto-detecting
# the union of every file's nested shapes takes far more memory than this machine has at 1M events)
con.execute("create table events as select * from read_json(?, format='newline_delimited', ignore_errors=true, "
            "columns=" + sys.argv[3] + ")", [sys.argv[1] + '/**/*.jsonl*'])
seconds, cpu_seconds = time.perf_counter() - t, cpu() - c
rows = con.execute("select count(*) from events").fetchone()[0]
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds, "rows": rows,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

_ADLEDGER = """
import json, resource, sys, time
t = time.perf_counter()
from ingestion.pipelines import ingest_tracker
imported = time.perf_counter() - t
cpu = lambda: sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
c, t = cpu(), time.perf_counter()
load = ingest_tracker(sys.argv[1])
seconds, cpu_seconds = time.perf_counter() - t, cpu() - c
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds, "import_seconds": imported,
                  "rows": load.rows_valid,
                  "lines": load.lines_read, "quarantined": load.rows_quarantined,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


RAW_COLUMNS = ("{type: 'VARCHAR', messageId: 'VARCHAR', timestamp: 'TIMESTAMPTZ', receivedAt: 'TIMESTAMPTZ', "
               "anonymousId: 'VARCHAR', userId: 'VARCHAR', event: 'VARCHAR', name: 'VARCHAR', properties: 'JSON', "
               "traits: 'JSON', context: 'JSON'}")


@dataclass(frozen=True)
class IngestBench:
    events: int
    files: int
    raw_seconds: float
    raw_cpu_seconds: float
    raw_rss_mb: float
    seconds: float
    cpu_seconds: float
    import_seconds: float
    rss_mb: float
    quarantined: int

    @property
    def ratio(self) -> float:
        """Wall-clock seconds of adledger over raw DuckDB's."""
        return self.seconds / self.raw_seconds

    @property
    def cpu_ratio(self) -> float:
        """CPU seconds (user + system, all threads) of adledger over raw DuckDB's: what a busy machine inflates
        least."""
        return self.cpu_seconds / self.raw_cpu_seconds


def _child(code: str, args: list[str], env: dict[str, str]) -> dict:
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(tracker_dir: Path) -> IngestBench:
    files = sum(1 for _ in tracker_dir.rglob("*.jsonl*"))
    with tempfile.TemporaryDirectory(prefix="adledger-bench-ingest-") as tmp:
        raw = _child(_RAW, [str(tracker_dir), str(Path(tmp) / "raw.duckdb"), RAW_COLUMNS], os.environ.copy())
        env = {**os.environ, "ADLEDGER_DATA_DIR": str(Path(tmp) / "data"),
               "SOURCES__EMAIL_SALT": os.environ.get("SOURCES__EMAIL_SALT", "bench-salt"),
               "SOURCES__IP_HASH_KEY": os.environ.get("SOURCES__IP_HASH_KEY", "bench-key")}
        env.pop("ADLEDGER_WAREHOUSE", None)
        ours = _child(_ADLEDGER, [str(tracker_dir)], env)
    return IngestBench(events=ours["rows"], files=files, raw_seconds=raw["seconds"],
                       raw_cpu_seconds=raw["cpu_seconds"], raw_rss_mb=raw["rss_mb"], seconds=ours["seconds"],
                       cpu_seconds=ours["cpu_seconds"], import_seconds=ours["import_seconds"], rss_mb=ours["rss_mb"],
                       quarantined=ours["quarantined"])
