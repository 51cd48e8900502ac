"""Durable, hourly JSON-lines files written with group commit.

Layout: `ROOT/YYYY/MM/DD/YYYY-MM-DDTHH.jsonl` (UTC hour of `receivedAt`), so the lexical order of the paths
is the time order and a new file starts every hour. Each line is one event; files are only appended to.

Durability: `append()` returns only after the bytes are written and `fdatasync`ed, so a request is
acknowledged only once its events survive a crash of the process (and of the machine, as far as the disk
honours flushes). Group commit (Gray & Reuter, *Transaction Processing*, 1993, §9.4.7; DeWitt et al.,
"Implementation techniques for main memory database systems", SIGMOD 1984) makes that cheap: requests
that arrive while one flush is in progress are buffered and covered together by the next single
write + fdatasync, which runs in a writer thread so the event loop keeps serving.

Crash safety: only whole lines are acknowledged, so a line without its final newline is the remains of a
flush that never completed. When a file is opened (and for the newest files at start-up) such a torn tail
is cut off, so later appends always start on a fresh line. A failed flush is rolled back the same way.
One process writes to a folder at a time (an advisory lock on `ROOT/.collector.lock`).
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("adledger.collector")

LOCK_NAME = ".collector.lock"
SUFFIX = ".jsonl"


class Busy(RuntimeError):
    """More bytes are waiting for the disk than the configured limit: answer 503 and let the client retry."""


class LogLocked(RuntimeError):
    """Another collector process is writing to the same folder."""


def hour_path(root: Path, hour_key: str) -> Path:
    """The file for `hour_key` (``YYYY-MM-DDTHH``, UTC)."""
    return root / hour_key[0:4] / hour_key[5:7] / hour_key[8:10] / f"{hour_key}{SUFFIX}"


def event_files(root: Path) -> list[Path]:
    """All event files under `root`, in time order."""
    return sorted(root.glob(f"[0-9][0-9][0-9][0-9]/[0-9][0-9]/[0-9][0-9]/*{SUFFIX}"))


def read_events(root: Path) -> list[dict]:
    """Every event under `root`, in file order (whole lines only; for tests, demos and small folders)."""
    events = []
    for path in event_files(root):
        data = path.read_bytes()
        events.extend(json.loads(line) for line in data[: data.rfind(b"\n") + 1].splitlines())
    return events


def cut_torn_tail(fd: int) -> int:
    """Truncate the file open at `fd` after its last newline; return the number of bytes removed."""
    size = os.fstat(fd).st_size
    end, chunk = size, 64 * 1024
    while end > 0:
        start = max(0, end - chunk)
        block = os.pread(fd, end - start, start)
        newline = block.rfind(b"\n")
        if newline >= 0:
            keep = start + newline + 1
            break
        end = start
    else:
        keep = 0
    if keep < size:
        os.ftruncate(fd, keep)
        os.fsync(fd)
    return size - keep


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class _OpenFile:
    fd: int
    size: int


class EventLog:
    """The collector's output folder. Use `async with EventLog(root) as log: await log.append(key, data)`."""

    def __init__(self, root: Path, max_pending_bytes: int = 64 * 1024 * 1024) -> None:
        self.root = Path(root)
        self.max_pending_bytes = max_pending_bytes
        self.commits = 0
        self._files: dict[str, _OpenFile] = {}
        self._pending: dict[str, list[bytes]] = {}
        self._pending_bytes = 0
        self._waiters: list[asyncio.Future[None]] = []
        self._wake: asyncio.Event | None = None
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._lock_fd: int | None = None

    # -- life cycle ---------------------------------------------------------------------------------------------
    async def __aenter__(self) -> EventLog:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _lock(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise LogLocked(f"another collector is writing to {self.root}; stop it or pick another --out") from None
        self._lock_fd = fd

    def _repair_newest(self, count: int = 2) -> None:
        """Cut torn tails from the newest files (a crash during an hour change can leave two)."""
        for path in event_files(self.root)[-count:]:
            fd = os.open(path, os.O_RDWR)
            try:
                removed = cut_torn_tail(fd)
            finally:
                os.close(fd)
            if removed:
                log.warning("removed %d bytes of an unacknowledged partial line from %s", removed, path)

    def open(self) -> None:
        """Lock the folder and repair torn tails; raises `LogLocked` if another collector holds the folder."""
        if self._lock_fd is None:
            self._lock()
            self._repair_newest()

    async def start(self) -> None:
        """Open the folder (if not yet) and start the flusher; call from the event loop that serves requests."""
        self.open()
        self._wake = asyncio.Event()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="adledger-eventlog")
        self._task = asyncio.get_running_loop().create_task(self._flusher())

    async def close(self) -> None:
        """Flush what is pending, close the files and release the lock."""
        self._closing = True
        if self._task is not None:
            assert self._wake is not None
            self._wake.set()
            await self._task
            self._task = None
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        for open_file in self._files.values():
            os.close(open_file.fd)
        self._files.clear()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    # -- appending ----------------------------------------------------------------------------------------------
    async def append(self, hour_key: str, data: bytes) -> None:
        """Append `data` (whole lines, each ending in a newline) to the file of `hour_key`; return once durable.

        Raises `Busy` when the backlog is above `max_pending_bytes`, or the `OSError` of a failed flush.
        """
        if self._closing or self._wake is None:
            raise Busy("the collector is shutting down")
        if self._pending_bytes + len(data) > self.max_pending_bytes:
            raise Busy("the disk is behind; retry later")
        self._pending.setdefault(hour_key, []).append(data)
        self._pending_bytes += len(data)
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        self._wake.set()
        await waiter

    async def _flusher(self) -> None:
        assert self._wake is not None
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            self._wake.clear()
            if not self._pending:
                if self._closing:
                    return
                continue
            pending, waiters = self._pending, self._waiters
            self._pending, self._waiters, self._pending_bytes = {}, [], 0
            try:
                await loop.run_in_executor(self._executor, self._commit, pending)
            except Exception as exc:  # noqa: BLE001 - every waiter learns that its bytes are not durable
                log.error("flush failed, %d requests answered with an error: %s", len(waiters), exc)
                for waiter in waiters:
                    if not waiter.done():
                        waiter.set_exception(exc)
            else:
                for waiter in waiters:
                    if not waiter.done():
                        waiter.set_result(None)
            self.commits += 1
            if self._pending or self._closing:
                self._wake.set()

    # -- the writer thread --------------------------------------------------------------------------------------
    def _open(self, hour_key: str) -> _OpenFile:
        open_file = self._files.get(hour_key)
        if open_file is not None:
            return open_file
        path = hour_path(self.root, hour_key)
        created_dirs = [p for p in (path.parent.parent.parent, path.parent.parent, path.parent) if not p.exists()]
        path.parent.mkdir(parents=True, exist_ok=True)
        is_new = not path.exists()
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        removed = cut_torn_tail(fd)
        if removed:
            log.warning("removed %d bytes of an unacknowledged partial line from %s", removed, path)
        if is_new:  # make the new directory entries durable too
            for directory in [path.parent, *(p.parent for p in created_dirs)]:
                _fsync_dir(directory)
        open_file = _OpenFile(fd=fd, size=os.fstat(fd).st_size)
        self._files[hour_key] = open_file
        return open_file

    def _commit(self, pending: dict[str, list[bytes]]) -> None:
        written: list[tuple[_OpenFile, int]] = []
        try:
            for hour_key in sorted(pending):
                open_file = self._open(hour_key)
                data = b"".join(pending[hour_key])
                start = open_file.size
                written.append((open_file, start))
                view = memoryview(data)
                while view:
                    view = view[os.write(open_file.fd, view):]
                open_file.size = start + len(data)
            for open_file, _ in written:
                os.fdatasync(open_file.fd)
        except OSError:
            for open_file, start in written:  # roll back: unacknowledged bytes must not stay half-written
                try:
                    os.ftruncate(open_file.fd, start)
                    open_file.size = start
                except OSError:
                    log.exception("could not roll back a failed flush")
            raise
        newest = max(pending)
        for hour_key in [k for k in self._files if k < newest]:  # the hour has turned: close older files
            os.close(self._files.pop(hour_key).fd)
