"""Transient source errors are retried with backoff; other errors fail at once."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import pytest
import requests

from dagster_project.lib.retries import INGESTION_RETRY, is_transient, retry_transient

QUICK = dg.RetryPolicy(max_retries=3, delay=0.05, backoff=dg.Backoff.EXPONENTIAL)


@pytest.fixture
def flaky_api():
    """A real HTTP server answering 503 to the first two requests, then 200."""
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            hits.append(self.path)
            self.send_response(503 if len(hits) <= 2 else 200)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/report", hits
    server.shutdown()
    server.server_close()


def _run(asset_def: dg.AssetsDefinition):
    return dg.materialize([asset_def], raise_on_error=False)


def test_http_503_is_retried_until_the_source_answers(flaky_api):
    url, hits = flaky_api

    @dg.asset
    @retry_transient(QUICK)
    def spend_report(context: dg.AssetExecutionContext):
        response = requests.get(url, timeout=5)
        response.raise_for_status()
        yield dg.MaterializeResult(metadata={"attempts": len(hits)})

    result = _run(spend_report)

    assert result.success
    assert len(hits) == 3
    assert result.get_asset_materialization_events()[0].materialization.metadata["attempts"].value == 3


def test_a_refused_connection_gives_up_after_the_policy_retries():
    attempts = []

    @dg.asset
    @retry_transient(QUICK)
    def unreachable(context: dg.AssetExecutionContext):
        attempts.append(context.retry_number)
        requests.get("http://127.0.0.1:9/", timeout=5)  # the discard port: nothing listens
        yield dg.MaterializeResult()

    result = _run(unreachable)

    assert not result.success
    assert attempts == [0, 1, 2, 3]


def test_a_non_transient_error_is_not_retried():
    attempts = []

    @dg.asset
    @retry_transient(QUICK)
    def bad_schema(context: dg.AssetExecutionContext):
        attempts.append(context.retry_number)
        raise ValueError("column spend changed type")
        yield  # pragma: no cover (a generator body, like the dlt assets)

    result = _run(bad_schema)

    assert not result.success
    assert attempts == [0]


def test_transient_errors_are_found_through_the_cause_chain():
    try:
        try:
            requests.get("http://127.0.0.1:9/", timeout=5)
        except requests.ConnectionError as inner:
            raise RuntimeError("Pipeline execution failed at step=extract") from inner
    except RuntimeError as outer:
        assert is_transient(outer)
    assert not is_transient(ValueError("bad"))
    assert INGESTION_RETRY.max_retries == 3 and INGESTION_RETRY.backoff == dg.Backoff.EXPONENTIAL
