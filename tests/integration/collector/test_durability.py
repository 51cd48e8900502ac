"""kill -9 under load loses no acknowledged event, and a restart continues on clean lines."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from adledger.collector.eventlog import event_files, read_events
from adledger.collector.loadgen import LoadResult, generate_load, start_collector
from tests.integration.collector.client import IP_KEY, WRITE_KEY


def _message_ids_on_disk(out_dir: Path) -> list[str]:
    """messageIds of every whole line; only the very last line of the newest file may be torn by the kill."""
    ids, files = [], event_files(out_dir)
    for path in files:
        data = path.read_bytes()
        whole = data[: data.rfind(b"\n") + 1]
        if path != files[-1]:
            assert whole == data, f"torn line inside {path.name}"
        ids.extend(json.loads(line)["messageId"] for line in whole.splitlines())
    return ids


def test_kill_9_under_load_loses_no_acknowledged_event(tmp_path: Path) -> None:
    collector = start_collector(tmp_path, WRITE_KEY, ip_hash_key=IP_KEY)

    async def load_then_kill() -> LoadResult:
        load = asyncio.create_task(
            generate_load(collector.port, WRITE_KEY, clients=20, duration_s=4.0, batch_size=5, record_ids=True)
        )
        await asyncio.sleep(1.5)
        collector.kill9()  # in the middle of the run: requests are in flight, flushes are in progress
        return await load

    started = time.monotonic()
    result = asyncio.run(load_then_kill())
    assert time.monotonic() - started < 4.0  # clients stopped when the collector died, not at the deadline
    assert collector.process.returncode == -9
    assert result.events_acked > 500, "the load did not get going before the kill"
    assert result.errors > 0  # connections were cut

    on_disk = _message_ids_on_disk(tmp_path)
    assert len(on_disk) == len(set(on_disk))
    missing = set(result.acked_ids) - set(on_disk)
    assert not missing, f"{len(missing)} acknowledged events lost, e.g. {sorted(missing)[:3]}"
    assert len(on_disk) >= result.events_acked  # unacknowledged but written events may be there too

    # a restart cuts any torn tail and appends on a fresh line
    again = start_collector(tmp_path, WRITE_KEY, ip_hash_key=IP_KEY)
    after = asyncio.run(generate_load(again.port, WRITE_KEY, clients=2, duration_s=0.5, batch_size=3, record_ids=True))
    assert again.stop() == 0
    assert after.events_acked > 0
    events = read_events(tmp_path)  # raises if any line is not JSON
    assert sum(path.read_bytes().count(b"\n") for path in event_files(tmp_path)) == len(events)
    assert all(path.read_bytes().endswith(b"\n") for path in event_files(tmp_path))
    final = [e["messageId"] for e in events]
    assert set(result.acked_ids) <= set(final)
    assert set(after.acked_ids) <= set(final)
