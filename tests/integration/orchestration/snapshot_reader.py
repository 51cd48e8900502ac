"""A BI reader in its own process: query the published snapshot in a loop until told to stop, and report.

    python -m tests.integration.orchestration.snapshot_reader SNAPSHOT STOP_FILE OUT.json

Every iteration opens the snapshot read-only, reads `meta.snapshot_tables`, recomputes each mart's row count and
checksum, and compares: a half-written or mixed snapshot shows as a mismatch. Errors are counted, not raised.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path

import duckdb

from dagster_project.lib.publish import META_TABLE, table_fingerprint


def read_loop(snapshot: Path, stop: Path) -> dict:
    reads, errors, mismatches, seen = 0, [], [], Counter()
    first_read = last_read = None
    while not stop.exists():
        try:
            with duckdb.connect(str(snapshot), read_only=True) as con:
                meta = con.execute(f"select snapshot_id, schema_name, table_name, row_count, checksum "
                                   f"from {META_TABLE}").fetchall()
                for snapshot_id, schema, table, rows, checksum in meta:
                    got = table_fingerprint(con, f'"{schema}"."{table}"')
                    if got != (rows, checksum):
                        mismatches.append({"snapshot": snapshot_id, "table": table, "meta": [rows, checksum],
                                           "read": list(got)})
            if not meta:
                mismatches.append({"snapshot": None, "table": None, "meta": "empty"})
            ids = {m[0] for m in meta}
            seen[",".join(sorted(ids))] += 1
            reads += 1
            first_read = first_read or time.time()
            last_read = time.time()
        except Exception as exc:  # noqa: BLE001 (every failure is a finding)
            errors.append(f"{type(exc).__name__}: {exc}")
        time.sleep(0.01)
    return {"reads": reads, "errors": errors, "mismatches": mismatches, "snapshots": dict(seen),
            "first_read": first_read, "last_read": last_read}


if __name__ == "__main__":
    snapshot_path, stop_path, out_path = map(Path, sys.argv[1:4])
    print("reading", flush=True)
    Path(out_path).write_text(json.dumps(read_loop(snapshot_path, stop_path)))
