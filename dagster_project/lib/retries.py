"""Retries with exponential backoff for transient source errors, on asset decorators that take no `retry_policy`.

`@dlt_assets` (dagster-dlt 0.29) has no `retry_policy` argument, so `retry_transient(policy)` wraps the asset body:
when the body fails with a transient error (connection refused or reset, timeout, HTTP 408/425/429/5xx, dlt's
transient destination errors) it raises `dg.RetryRequested`, waiting `policy.calculate_delay(attempt)` seconds —
Dagster's own backoff and jitter arithmetic (`dagster/_core/definitions/policy.py`). Any other error fails the step
at once: retrying a schema violation or bad credentials only delays the alert.
"""

from __future__ import annotations

import functools
import socket
from collections.abc import Callable, Iterator
from typing import Any

import dagster as dg

#: ingestion from files and APIs: 4 attempts, waiting about 10 s, 30 s, 70 s (exponential, ± jitter)
INGESTION_RETRY = dg.RetryPolicy(max_retries=3, delay=10, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)

TRANSIENT_HTTP_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


def _status_code(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    code = getattr(response, "status_code", None) or getattr(exc, "status_code", None) or getattr(exc, "status", None)
    return code if isinstance(code, int) else None


def _is_transient_one(exc: BaseException) -> bool:
    import requests
    from dlt.common.destination.exceptions import DestinationTransientException

    if isinstance(exc, (ConnectionError, TimeoutError, socket.timeout, DestinationTransientException,
                        requests.ConnectionError, requests.Timeout)):
        return True
    return _status_code(exc) in TRANSIENT_HTTP_STATUS


def is_transient(exc: BaseException) -> bool:
    """True when `exc` or anything in its cause/context chain is a transient error (see the module docstring)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if _is_transient_one(current):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def retry_transient(policy: dg.RetryPolicy = INGESTION_RETRY) -> Callable[[Callable[..., Iterator[Any]]],
                                                                         Callable[..., Iterator[Any]]]:
    """Decorate a generator asset body (`context` first) so transient failures are retried under `policy`."""

    def decorate(body: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
        @functools.wraps(body)
        def wrapped(context: dg.AssetExecutionContext, *args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from body(context, *args, **kwargs)
            except Exception as exc:
                if not is_transient(exc):
                    raise
                attempt = context.retry_number + 1
                wait = max(0.0, float(policy.calculate_delay(attempt)))
                context.log.warning(f"transient error (attempt {attempt} of {policy.max_retries + 1}), "
                                    f"retrying in {wait:.1f} s: {type(exc).__name__}: {exc}")
                raise dg.RetryRequested(max_retries=policy.max_retries, seconds_to_wait=wait) from exc

        return wrapped

    return decorate
