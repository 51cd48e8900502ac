"""Durable, hourly JSON-lines files written with group commit.

Layout: `ROOT/YYYY/MM/DD/YYYY-MM-DDTHH.jsonl` (UTC hour of `receivedAt`), so the lexical order of the paths
is the time order and a new file starts every hour. Each line is one event; files are only appended to.

Durability: `append()` returns only after the bytes are written and `fdatasync`ed, so a request is
acknowledged only once its events survive a crash of the process (and of the machine, as far as the disk
honours flushes). Group commit (Gray & Reuter, *Transaction Processing*, 1993, §9.4.7; DeWitt et al.,
"Implementation techniques for main memory database systems", SIGMOD 1984) makes that cheap: requests
that arrive while a flush is in progress are buffered and covered together by the next single
write + fdatasync, done in threads so the event loop keeps serving.

Crash safety: only whole lines are acknowledged, so a line without its final newline is the remains of a
flush that never completed. When a file is opened (and for the newest files at start-up) such a torn tail
is cut off, so later appends always start on a fresh line. A failed write is rolled back the same way; after
a failed `fdatasync` the log refuses further appends until the process is restarted.
One process writes to a folder at a time (an advisory lock on `ROOT/.collector.lock`).
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
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


class EventLog:
    """The collector's output folder. Use `async with EventLog(root) as log: await log.append(key, data)`.

    Flushes overlap: the writer thread appends batch N+1 while batch N's `fdatasync` is still running in the
    sync pool (at most `max_inflight` at a time). A sync covers everything written before it started, so each
    batch is acknowledged when its own sync returns. Concurrent `fdatasync`s on one file are absorbed by the
    file system's journal commits, so this raises the flush rate when the disk is slow to confirm.
    """

    def __init__(self, root: Path, max_pending_bytes: int = 64 * 1024 * 1024, max_inflight: int = 4) -> None:
        self.root = Path(root)
        self.max_pending_bytes = max_pending_bytes
        self.max_inflight = max_inflight
        self.commits = 0
        self._files: dict[str, int] = {}
        self._pending: dict[str, list[bytes]] = {}
        self._pending_bytes = 0
        self._waiters: list[asyncio.Future[None]] = []
        self._wake: asyncio.Event | None = None
        self._closing = False
        self._failed: OSError | None = None
        self._task: asyncio.Task[None] | None = None
        self._writer: ThreadPoolExecutor | None = None
        self._syncer: ThreadPoolExecutor | None = None
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
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="adledger-eventlog-write")
        self._syncer = ThreadPoolExecutor(max_workers=self.max_inflight, thread_name_prefix="adledger-eventlog-sync")
        self._task = asyncio.get_running_loop().create_task(self._flusher())

    async def close(self) -> None:
        """Flush what is pending, close the files and release the lock."""
        self._closing = True
        if self._task is not None:
            assert self._wake is not None
            self._wake.set()
            await self._task
            self._task = None
        for pool in (self._writer, self._syncer):
            if pool is not None:
                pool.shutdown(wait=True)
        self._writer = self._syncer = None
        for fd in self._files.values():
            os.close(fd)
        self._files.clear()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    # -- appending ----------------------------------------------------------------------------------------------
    async def append(self, hour_key: str, data: bytes) -> None:
        """Append `data` (whole lines, each ending in a newline) to the file of `hour_key`; return once durable.

        Raises `Busy` when the backlog is above `max_pending_bytes` or the log is closing, and `OSError` when
        the bytes could not be made durable (after a failed `fdatasync` every later append fails too: the
        kernel may have dropped dirty pages, so only a restart, which re-reads the files, is safe).
        """
        if self._failed is not None:
            raise self._failed
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

    @property
    def healthy(self) -> bool:
        """False once a flush failed to reach the disk (restart the collector)."""
        return self._failed is None

    @staticmethod
    def _settle(waiters: list[asyncio.Future[None]], error: BaseException | None) -> None:
        for waiter in waiters:
            if not waiter.done():
                if error is None:
                    waiter.set_result(None)
                else:
                    waiter.set_exception(error)

    async def _flusher(self) -> None:
        assert self._wake is not None
        loop = asyncio.get_running_loop()
        inflight: set[asyncio.Future[None]] = set()
        while True:
            if not self._pending:
                if self._closing:
                    break
                await self._wake.wait()
                self._wake.clear()
                continue
            if len(inflight) >= self.max_inflight:
                await asyncio.wait(inflight, return_when=asyncio.FIRST_COMPLETED)
                inflight = {sync for sync in inflight if not sync.done()}
                continue
            pending, waiters = self._pending, self._waiters
            self._pending, self._waiters, self._pending_bytes = {}, [], 0
            try:
                fds = await loop.run_in_executor(self._writer, self._write, pending)
            except OSError as exc:
                log.error("write failed, %d requests answered with an error: %s", len(waiters), exc)
                self._settle(waiters, exc)
                continue
            sync = loop.run_in_executor(self._syncer, self._sync, fds)
            sync.add_done_callback(lambda done, w=waiters: self._synced(done, w))
            inflight = {f for f in inflight if not f.done()} | {sync}
        if inflight:
            await asyncio.wait(inflight)

    def _synced(self, done: asyncio.Future[None], waiters: list[asyncio.Future[None]]) -> None:
        error = done.exception()
        if error is not None:
            log.error("fdatasync failed, %d requests answered with an error: %s", len(waiters), error)
            if isinstance(error, OSError) and self._failed is None:
                self._failed = error
        self.commits += 1
        self._settle(waiters, error)

    # -- the writer thread --------------------------------------------------------------------------------------
    def _open(self, hour_key: str) -> int:
        fd = self._files.get(hour_key)
        if fd is not None:
            return fd
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
        self._files[hour_key] = fd
        return fd

    def _write(self, pending: dict[str, list[bytes]]) -> list[int]:
        """Append each hour's bytes; return duplicates of the written files' descriptors for the sync.

        A failed write is rolled back to where the file ended, so no partial line stays behind (only this thread
        appends, so nothing was written after it).
        """
        synced: list[int] = []
        for hour_key in sorted(pending):
            fd = self._open(hour_key)
            data = b"".join(pending[hour_key])
            start = os.lseek(fd, 0, os.SEEK_END)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
            except OSError:
                os.ftruncate(fd, start)
                for duplicate in synced:
                    os.close(duplicate)
                raise
            synced.append(os.dup(fd))  # the sync owns it: closing an older hour's file here cannot race it
        newest = max(pending)
        for hour_key in [k for k in self._files if k < newest]:  # the hour has turned: close older files
            os.close(self._files.pop(hour_key))
        return synced

    @staticmethod
    def _sync(fds: list[int]) -> None:
        try:
            for fd in fds:
                os.fdatasync(fd)
        finally:
            for fd in fds:
                os.close(fd)
