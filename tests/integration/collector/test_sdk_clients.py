"""The official Segment and RudderStack Python libraries deliver to the collector; the files hold what they
sent, and the tracker ingestion loads it."""

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
from adledger.privacy import hash_ip
from tests.integration.collector.client import IP_KEY, WRITE_KEY

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


def test_delivered_events_load_through_the_tracker_ingestion(
    collector: CollectorProcess, out_dir: Path, adledger_env: Path
) -> None:
    import duckdb

    from adledger.config import settings
    from ingestion.pipelines import ingest_tracker

    sent = []
    for module in (segment_analytics, rudder_analytics):
        client = module.Client(write_key=WRITE_KEY, host=collector.url, sync_mode=True, max_retries=0)
        sent.extend(message for _, message in _calls(client))

    load = ingest_tracker(out_dir)

    assert load.rows_quarantined == 0 and load.rows_valid == load.lines_read
    ids = [m["messageId"] for m in sent]
    with duckdb.connect(str(settings().warehouse), read_only=True) as con:
        rows = con.execute(
            "select message_id, event_type, event_name, event_at, anonymous_id, user_id, utm_source, utm_medium, "
            "gclid, click_id_type, order_id, cast(revenue as double), currency, ip_hash, ip_prefix "
            "from raw_tracker.events where message_id in (select unnest($ids))",
            {"ids": ids},
        ).fetchall()
    loaded = {row[0]: row[1:] for row in rows}
    assert set(loaded) == set(ids)
    ip_hash = hash_ip("127.0.0.1", IP_KEY)[0]
    for message in sent:
        kind, name, at, anonymous_id, user_id, source, medium, gclid, click_type, order, revenue, currency, ip, net = (
            loaded[message["messageId"]]
        )
        assert kind == message["type"]
        assert at == WHEN and (anonymous_id, user_id) == (message.get("anonymousId"), message.get("userId"))
        assert (ip, net) == (ip_hash, "127.0.0.0/24")
        if kind == "page":
            assert (name, source, medium, click_type) == ("Landing", "google", "cpc", "gclid")
            assert gclid == message["context"]["page"]["url"].rsplit("gclid=", 1)[1]
        if kind == "track":
            assert (name, order, revenue, currency) == ("Order Completed", message["properties"]["order_id"], 99.5, "EUR")
