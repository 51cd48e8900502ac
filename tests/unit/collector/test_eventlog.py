"""Hourly JSON-lines files with group commit, torn-tail repair and one writer per folder."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from adledger.collector.eventlog import Busy, EventLog, LogLocked, cut_torn_tail, event_files, hour_path


def _line(i: int) -> bytes:
    return json.dumps({"messageId": f"m-{i}"}).encode() + b"\n"


def _ids(path: Path) -> list[str]:
    return [json.loads(line)["messageId"] for line in path.read_bytes().splitlines()]


def test_hour_path_sorts_in_time_order(tmp_path: Path) -> None:
    assert hour_path(tmp_path, "2026-11-23T14") == tmp_path / "2026/11/23/2026-11-23T14.jsonl"
    keys = ["2026-11-23T09", "2026-11-23T10", "2026-12-01T00", "2027-01-01T23"]
    assert sorted(str(hour_path(tmp_path, k)) for k in reversed(keys)) == [str(hour_path(tmp_path, k)) for k in keys]


def test_concurrent_appends_share_one_flush(tmp_path: Path) -> None:
    async def main() -> int:
        async with EventLog(tmp_path) as log:
            await asyncio.gather(*(log.append("2026-11-23T14", _line(i)) for i in range(100)))
            return log.commits

    assert asyncio.run(main()) == 1  # all 100 were pending before the flusher ran: one write + one fdatasync
    assert _ids(hour_path(tmp_path, "2026-11-23T14")) == [f"m-{i}" for i in range(100)]


def test_sequential_appends_each_wait_for_their_flush(tmp_path: Path) -> None:
    async def main() -> int:
        async with EventLog(tmp_path) as log:
            for i in range(5):
                await log.append("2026-11-23T14", _line(i))
            return log.commits

    assert asyncio.run(main()) == 5


def test_a_new_hour_starts_a_new_file(tmp_path: Path) -> None:
    async def main() -> None:
        async with EventLog(tmp_path) as log:
            await log.append("2026-11-23T23", _line(1))
            await asyncio.gather(log.append("2026-11-23T23", _line(2)), log.append("2026-11-24T00", _line(3)))
            await log.append("2026-11-24T00", _line(4))

    asyncio.run(main())
    files = event_files(tmp_path)
    assert [f.name for f in files] == ["2026-11-23T23.jsonl", "2026-11-24T00.jsonl"]
    assert [_ids(f) for f in files] == [["m-1", "m-2"], ["m-3", "m-4"]]


def test_torn_tail_is_cut_before_appending(tmp_path: Path) -> None:
    path = hour_path(tmp_path, "2026-11-23T14")
    path.parent.mkdir(parents=True)
    path.write_bytes(_line(1) + _line(2) + b'{"messageId": "m-3", "ty')  # a crash in the middle of a write

    async def main() -> None:
        async with EventLog(tmp_path) as log:
            await log.append("2026-11-23T14", _line(4))

    asyncio.run(main())
    assert _ids(path) == ["m-1", "m-2", "m-4"]


def test_start_repairs_the_newest_files_even_if_not_reopened(tmp_path: Path) -> None:
    older, newer = hour_path(tmp_path, "2026-11-23T13"), hour_path(tmp_path, "2026-11-23T14")
    newer.parent.mkdir(parents=True)
    older.write_bytes(_line(1) + b'{"mess')
    newer.write_bytes(b'{"messageId": "m-')  # nothing complete at all

    EventLog(tmp_path).open()
    assert older.read_bytes() == _line(1)
    assert newer.read_bytes() == b""


def test_cut_torn_tail_across_chunk_boundaries(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    path.write_bytes(b"x" * 10 + b"\n" + b"y" * 200_000)  # the last newline is > 64 KiB from the end
    fd = os.open(path, os.O_RDWR)
    try:
        assert cut_torn_tail(fd) == 200_000
        assert cut_torn_tail(fd) == 0
    finally:
        os.close(fd)
    assert path.read_bytes() == b"x" * 10 + b"\n"


def test_one_writer_per_folder(tmp_path: Path) -> None:
    first = EventLog(tmp_path)
    first.open()
    with pytest.raises(LogLocked, match="another collector"):
        EventLog(tmp_path).open()

    async def release() -> None:
        await first.close()

    asyncio.run(release())
    EventLog(tmp_path).open()  # free again


def test_backlog_above_the_limit_is_refused(tmp_path: Path) -> None:
    async def main() -> list[object]:
        async with EventLog(tmp_path, max_pending_bytes=100) as log:
            return await asyncio.gather(
                log.append("2026-11-23T14", b"a" * 60 + b"\n"),
                log.append("2026-11-23T14", b"b" * 60 + b"\n"),
                return_exceptions=True,
            )

    first, second = asyncio.run(main())
    assert first is None and isinstance(second, Busy)
    assert hour_path(tmp_path, "2026-11-23T14").read_bytes() == b"a" * 60 + b"\n"
