"""The official Segment and RudderStack Python libraries deliver to the collector; the files hold what they sent."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
import rudderstack.analytics as rudder_analytics
import segment.analytics as segment_analytics

from adledger.collector.eventlog import read_events
from adledger.collector.loadgen import CollectorProcess
from tests.integration.collector.client import WRITE_KEY

WHEN = datetime(2026, 11, 23, 14, 5, 0, 123000, tzinfo=timezone.utc)
SERVER_ADDED = {"receivedAt", "sentAt"}
SERVER_ADDED_CONTEXT = {"ip_hash", "ip_prefix", "userAgent"}


def _calls(client) -> list[tuple[bool, dict]]:  # type: ignore[no-untyped-def]
    """The same four calls for each library; each returns (queued, the message as it was sent)."""
    tag = type(client).__module__.split(".")[0]
    landing = "https://shop.example/?utm_source=google&utm_medium=cpc&gclid=SDK-" + tag
    return [
        client.page(anonymous_id=f"anon-{tag}", name="Landing", timestamp=WHEN,
                    context={"page": {"url": landing, "referrer": "https://www.google.com/"}}),
        client.identify(user_id=f"user-{tag}", anonymous_id=f"anon-{tag}", traits={"plan": "pro"}, timestamp=WHEN),
        client.track(user_id=f"user-{tag}", event="Order Completed", timestamp=WHEN,
                     properties={"order_id": f"order-{tag}", "revenue": 99.5, "currency": "EUR"}),
        client.alias(previous_id=f"anon-{tag}", user_id=f"user-{tag}", timestamp=WHEN),
    ]


def _assert_stored_unchanged(sent: dict, stored: dict) -> None:
    sent = json.loads(json.dumps(sent))  # as it went over the wire
    assert set(stored) - set(sent) <= SERVER_ADDED
    assert set(stored["context"]) - set(sent["context"]) <= SERVER_ADDED_CONTEXT
    for key, value in sent.items():
        if key == "context":
            for name, part in value.items():
                assert stored["context"][name] == part, name
        else:
            assert stored[key] == value, key


@pytest.mark.parametrize("library", ["segment", "rudderstack"])
def test_official_library_delivers_unchanged(collector: CollectorProcess, out_dir: Path, library: str) -> None:
    module = segment_analytics if library == "segment" else rudder_analytics
    # sync_mode posts each call at once and raises if the collector does not answer 200
    client = module.Client(write_key=WRITE_KEY, host=collector.url, sync_mode=True, max_retries=0,
                           gzip=library == "rudderstack")
    results = _calls(client)
    sent = [copy.deepcopy(message) for queued, message in results]
    assert all(queued for queued, _ in results)
    stored = {e["messageId"]: e for e in read_events(out_dir)}
    for message in sent:
        _assert_stored_unchanged(message, stored[message["messageId"]])
    kinds = [stored[m["messageId"]]["type"] for m in sent]
    assert kinds == ["page", "identify", "track", "alias"]
