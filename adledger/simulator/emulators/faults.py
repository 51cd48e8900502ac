"""The fault switch: seeded, per-request decisions of 5xx, 429, slow and truncated responses, and rate limits.

`FaultSpec.parse("5xx=0.05,429=0.05,slow=0.01,truncate=0.01,seed=1,rps=50")`. A decision depends only on the
seed, the request (method, path, query, body) and how many times that same request was seen before, so fault
tests are deterministic whatever the thread scheduling: a retried request gets a fresh draw.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import defaultdict, deque
from dataclasses import asdict, dataclass

KINDS = ("5xx", "429", "slow", "truncate")


@dataclass(frozen=True)
class FaultSpec:
    p_5xx: float = 0.0
    p_429: float = 0.0
    p_slow: float = 0.0
    p_truncate: float = 0.0
    seed: int = 0
    #: requests per second allowed per (source, credential); 0 disables the limit
    rps: float = 100.0
    slow_seconds: float = 2.0
    retry_after: int = 1

    @classmethod
    def parse(cls, text: str) -> "FaultSpec":
        """Parse `key=value` pairs separated by commas (keys: 5xx, 429, slow, truncate, seed, rps, slow_s)."""
        fields = {"5xx": "p_5xx", "429": "p_429", "slow": "p_slow", "truncate": "p_truncate", "seed": "seed",
                  "rps": "rps", "slow_s": "slow_seconds", "retry_after": "retry_after"}
        values: dict = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            key, sep, raw = part.partition("=")
            if not sep or key.strip() not in fields:
                raise ValueError(f"unknown fault {part!r}; use {', '.join(fields)} as key=value")
            name = fields[key.strip()]
            try:
                value = int(raw) if name in ("seed", "retry_after") else float(raw)
            except ValueError:
                raise ValueError(f"{key}={raw!r} is not a number") from None
            if name.startswith("p_") and not 0.0 <= value <= 1.0:
                raise ValueError(f"{key}={value} is not a probability between 0 and 1")
            values[name] = value
        spec = cls(**values)
        if spec.p_5xx + spec.p_429 + spec.p_slow + spec.p_truncate > 1.0:
            raise ValueError("fault probabilities add up to more than 1")
        return spec

    def to_dict(self) -> dict:
        return asdict(self)


class FaultInjector:
    """Decides the fault of each request and enforces the rate limit."""

    def __init__(self, spec: FaultSpec | None = None):
        self.spec = spec or FaultSpec()
        self._seen: dict[str, int] = defaultdict(int)
        self._windows: dict[str, deque] = defaultdict(deque)
        self._lock = threading.Lock()
        self.counts: dict[str, int] = defaultdict(int)

    def set(self, spec: FaultSpec) -> None:
        with self._lock:
            self.spec = spec
            self._seen.clear()
            self._windows.clear()

    def decide(self, request_key: str) -> str | None:
        """`5xx`, `429`, `slow`, `truncate` or None for this request."""
        with self._lock:
            attempt = self._seen[request_key]
            self._seen[request_key] += 1
            s = self.spec
        digest = hashlib.sha256(f"{s.seed}|{request_key}|{attempt}".encode()).digest()
        u = int.from_bytes(digest[:8], "big") / 2**64
        edge = 0.0
        for kind, p in zip(KINDS, (s.p_5xx, s.p_429, s.p_slow, s.p_truncate)):
            edge += p
            if u < edge:
                with self._lock:
                    self.counts[kind] += 1
                return kind
        return None

    def over_limit(self, bucket: str) -> bool:
        """True when `bucket` (source + credential) already made `rps` requests in the last second."""
        rps = self.spec.rps
        if not rps:
            return False
        now = time.monotonic()
        with self._lock:
            window = self._windows[bucket]
            while window and now - window[0] >= 1.0:
                window.popleft()
            if len(window) >= rps:
                self.counts["rate_limited"] += 1
                return True
            window.append(now)
            return False
