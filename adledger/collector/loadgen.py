"""A bounded load generator for the collector, and the `adledger bench collect` run built on it.

Closed loop: each client holds one keep-alive HTTP/1.1 connection to 127.0.0.1 (never another host) and sends
its next request as soon as the previous one is answered, until the deadline; so the run always stops by
itself, and by Little's law the mean latency is clients / throughput. Requests are `/v1/batch` bodies of
`batch_size` realistic events (90 % page views with utm_* and a gclid, 10 % `Order Completed`).
Acknowledgement latency is measured from the first byte written to the full response read.
"""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from adledger.collector.eventlog import event_files, read_events

LOOPBACK = "127.0.0.1"
MAX_DURATION_S = 300.0
READY_PREFIX = "adledger collector listening on "

_PAGE = (
    b'{"type":"page","messageId":"%s-%d-%d","anonymousId":"anon-%d-%d","timestamp":"2026-11-23T14:05:00.000Z",'
    b'"name":"Trail Runner 3","properties":{"path":"/p/trail-runner-3"},"context":{"ip":"198.51.%d.%d",'
    b'"userAgent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",'
    b'"locale":"en-GB","consent":{"categoryPreferences":{"analytics":true,"advertising":true}},'
    b'"page":{"url":"https://shop.example/p/trail-runner-3?utm_source=google&utm_medium=cpc&utm_campaign=brand'
    b'&gclid=Cj0KCQ%d","path":"/p/trail-runner-3","referrer":"https://www.google.com/","title":"Trail Runner 3"},'
    b'"library":{"name":"adledger.js","version":"1.0.0"}}}'
)
_ORDER = (
    b'{"type":"track","event":"Order Completed","messageId":"%s-%d-%d","anonymousId":"anon-%d-%d",'
    b'"timestamp":"2026-11-23T14:06:00.000Z","properties":{"order_id":"ord-%d-%d","revenue":49.0,"currency":"EUR"},'
    b'"context":{"ip":"198.51.%d.%d","userAgent":"Mozilla/5.0","page":{"url":"https://shop.example/checkout",'
    b'"path":"/checkout"},"library":{"name":"adledger.js","version":"1.0.0"}}}'
)


@dataclass
class LoadResult:
    """What a load run measured. Latencies in seconds, one per answered request."""

    requests: int = 0
    events_acked: int = 0
    errors: int = 0
    elapsed_s: float = 0.0
    latencies_s: list[float] = field(default_factory=list)
    acked_ids: list[str] = field(default_factory=list)

    @property
    def events_per_s(self) -> float:
        return self.events_acked / self.elapsed_s if self.elapsed_s else 0.0

    def latency_percentile_ms(self, q: float) -> float:
        """The `q`-th percentile (0–100) of acknowledgement latency, in milliseconds (linear interpolation)."""
        import numpy as np

        return float(np.percentile(np.asarray(self.latencies_s), q) * 1e3) if self.latencies_s else float("nan")


def _event(run: bytes, client: int, seq: int) -> bytes:
    """Event `seq` of `client`; its messageId is ``<run>-<client>-<seq>``."""
    ip = (client * 7919 + seq) % 65_536
    if seq % 10 == 9:
        return _ORDER % (run, client, seq, client, seq % 1000, client, seq, ip >> 8, ip & 255)
    return _PAGE % (run, client, seq, client, seq % 1000, ip >> 8, ip & 255, seq)


def _request(port: int, auth: bytes, run: bytes, client: int, first_seq: int, batch_size: int) -> bytes:
    events = b",".join(_event(run, client, first_seq + i) for i in range(batch_size))
    body = b'{"batch":[' + events + b'],"sentAt":"2026-11-23T14:06:01.000Z"}'
    head = (
        b"POST /v1/batch HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: Basic %s\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (LOOPBACK.encode(), port, auth, len(body))
    )
    return head + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def _client(
    port: int, auth: bytes, run: bytes, client: int, batch_size: int, deadline: float, result: LoadResult,
    record_ids: bool,
) -> None:
    try:
        reader, writer = await asyncio.open_connection(LOOPBACK, port)
    except OSError:
        result.errors += 1
        return
    seq = 0
    try:
        while time.perf_counter() < deadline:
            request = _request(port, auth, run, client, seq, batch_size)
            started = time.perf_counter()
            writer.write(request)
            status = await _read_response(reader)
            result.latencies_s.append(time.perf_counter() - started)
            result.requests += 1
            if status == 200:
                result.events_acked += batch_size
                if record_ids:
                    prefix = f"{run.decode()}-{client}-"
                    result.acked_ids.extend(f"{prefix}{seq + i}" for i in range(batch_size))
            else:
                result.errors += 1
            seq += batch_size
    except (OSError, asyncio.IncompleteReadError, ValueError):
        result.errors += 1  # the collector went away (the durability test kills it on purpose)
    finally:
        writer.close()


async def generate_load(
    port: int,
    write_key: str,
    clients: int = 50,
    duration_s: float = 20.0,
    batch_size: int = 20,
    record_ids: bool = False,
    on_tick: Callable[[LoadResult, float], None] | None = None,
) -> LoadResult:
    """Drive the collector on 127.0.0.1:`port` with `clients` closed-loop connections for `duration_s` seconds.

    `record_ids` keeps the messageId of every acknowledged event (for durability checks). `on_tick(result,
    elapsed_s)` is called about twice a second (progress display).
    """
    if not 0 < duration_s <= MAX_DURATION_S:
        raise ValueError(f"duration must be in (0, {MAX_DURATION_S:.0f}] seconds")
    auth = base64.b64encode(f"{write_key}:".encode())
    run = f"lg{os.urandom(4).hex()}".encode()  # messageIds unique across runs on the same folder
    result = LoadResult()
    started = time.perf_counter()
    deadline = started + duration_s
    tasks = [
        asyncio.create_task(_client(port, auth, run, c, batch_size, deadline, result, record_ids))
        for c in range(clients)
    ]
    while not all(t.done() for t in tasks):
        await asyncio.wait(tasks, timeout=0.5)
        if on_tick:
            on_tick(result, min(time.perf_counter() - started, duration_s))
    result.elapsed_s = time.perf_counter() - started
    return result


# -- the collector under test, as a real subprocess ---------------------------------------------------------------
@dataclass
class CollectorProcess:
    """A collector started with the real `adledger collect` command."""

    process: subprocess.Popen
    url: str
    port: int
    out_dir: Path

    def stop(self, timeout_s: float = 15.0) -> int:
        """SIGTERM (graceful: in-flight requests are flushed and answered) and wait; return the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def kill9(self) -> None:
        """SIGKILL: no flush, no goodbye."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


def start_collector(
    out_dir: Path, write_key: str, ip_hash_key: str | None = None, extra_args: tuple[str, ...] = (),
    timeout_s: float = 60.0,
) -> CollectorProcess:
    """Start `adledger collect --port 0 --out out_dir` in a new process; return once it accepts events."""
    env = dict(os.environ, COLLECTOR__WRITE_KEYS=f'["{write_key}"]', PYTHONUNBUFFERED="1")
    if ip_hash_key:
        env["COLLECTOR__IP_HASH_KEY"] = ip_hash_key
    command = [sys.executable, "-c", "from adledger.cli import app; app()", "collect", "--host", LOOPBACK,
               "--port", "0", "--out", str(out_dir), *extra_args]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        if line.startswith(READY_PREFIX):
            url = line[len(READY_PREFIX):].split()[0]
            return CollectorProcess(process, url, int(url.rsplit(":", 1)[1]), Path(out_dir))
    process.kill()
    raise RuntimeError(f"the collector did not start (exit code {process.wait()})")


def count_lines(out_dir: Path) -> int:
    """Events on disk: newline-terminated lines in all event files under `out_dir`."""
    total = 0
    for path in event_files(out_dir):
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                total += chunk.count(b"\n")
    return total


@dataclass
class BenchOutcome:
    """A bench run: the load measured, the events found on disk, and the acknowledged ones missing there."""

    load: LoadResult
    lines_on_disk: int
    missing_acked: int
    killed: bool


def message_ids_on_disk(out_dir: Path) -> set[str]:
    """messageIds of every whole line under `out_dir` (a torn last line left by a kill is skipped)."""
    return {event["messageId"] for event in read_events(out_dir)}


def run_bench(
    clients: int,
    duration_s: float,
    batch_size: int,
    kill_after_s: float | None = None,
    on_tick: Callable[[LoadResult, float], None] | None = None,
) -> BenchOutcome:
    """Start a collector on loopback (temporary folder), load it, stop it (or SIGKILL it after `kill_after_s`),
    then count what is on disk and which acknowledged events are missing (the messageIds of every acked event
    are kept only in the kill mode; otherwise acked events are compared by count)."""

    async def load(collector: CollectorProcess, write_key: str) -> LoadResult:
        task = asyncio.ensure_future(generate_load(
            collector.port, write_key, clients, duration_s, batch_size, record_ids=kill_after_s is not None,
            on_tick=on_tick,
        ))
        if kill_after_s is not None:
            await asyncio.sleep(kill_after_s)
            collector.kill9()
        return await task

    with tempfile.TemporaryDirectory(prefix="adledger-bench-collect-") as tmp:
        write_key = base64.urlsafe_b64encode(os.urandom(12)).decode()
        collector = start_collector(Path(tmp), write_key, ip_hash_key=os.urandom(16).hex(), extra_args=("--no-demo",))
        try:
            result = _run_loop(load(collector, write_key))
        finally:
            collector.stop()
        if kill_after_s is None:
            lines = count_lines(Path(tmp))
            return BenchOutcome(result, lines, max(0, result.events_acked - lines), killed=False)
        on_disk = message_ids_on_disk(Path(tmp))
        return BenchOutcome(result, len(on_disk), len(set(result.acked_ids) - on_disk), killed=True)


def _run_loop(coroutine):  # type: ignore[no-untyped-def]
    try:
        import uvloop

        return uvloop.run(coroutine)
    except ImportError:
        return asyncio.run(coroutine)
