"""What the collector adds to an event: server times, ids, and IP pseudonyms instead of the address."""

from __future__ import annotations

import uuid

import pytest

from adledger.collector.enrich import Enricher, consent_denied
from adledger.collector.validation import EventError
from adledger.privacy import hash_ip

RECEIVED = "2026-11-23T14:05:07.250Z"
KEY = b"ip-key"


def test_server_fields_are_added_and_client_fields_kept() -> None:
    event = {
        "type": "page",
        "anonymousId": "a-1",
        "writeKey": "secret",
        "properties": {"title": "Home"},
        "context": {"page": {"url": "https://shop.example/?gclid=X1"}, "userAgent": "Browser/1"},
    }
    out = Enricher(KEY).enrich(event, RECEIVED, "203.0.113.9", "Header/2")
    assert "writeKey" not in out
    assert out["receivedAt"] == RECEIVED
    assert out["timestamp"] == RECEIVED  # missing timestamp: the receive time (Segment's rule)
    assert uuid.UUID(out["messageId"]).version == 4
    assert out["context"]["userAgent"] == "Browser/1"  # the client's wins over the header
    assert out["context"]["page"] == {"url": "https://shop.example/?gclid=X1"}
    assert out["properties"] == {"title": "Home"}


def test_given_ids_and_times_are_not_replaced() -> None:
    event = {"type": "track", "event": "E", "userId": "u", "messageId": "m-1", "timestamp": "2026-11-23T13:00:00Z"}
    out = Enricher(KEY).enrich(event, RECEIVED, None, "Header/2")
    assert (out["messageId"], out["timestamp"]) == ("m-1", "2026-11-23T13:00:00Z")
    assert out["context"] == {"userAgent": "Header/2"}  # no peer address: no IP fields


def test_socket_ip_is_hashed_and_never_kept() -> None:
    out = Enricher(KEY).enrich({"type": "page", "userId": "u"}, RECEIVED, "203.0.113.9", None)
    assert out["context"] == {"ip_hash": hash_ip("203.0.113.9", KEY)[0], "ip_prefix": "203.0.113.0/24"}


def test_client_ip_wins_over_socket_and_client_pseudonyms_are_replaced() -> None:
    event = {"type": "page", "userId": "u", "context": {"ip": "2001:db8:1:2::7", "ip_hash": "forged", "ip_prefix": "x"}}
    out = Enricher(KEY).enrich(event, RECEIVED, "127.0.0.1", None)
    assert out["context"] == {"ip_hash": hash_ip("2001:db8:1:2::7", KEY)[0], "ip_prefix": "2001:db8:1::/48"}


def test_consent_denied_keeps_only_the_network() -> None:
    context = {"ip": "198.51.100.20", "consent": {"categoryPreferences": {"analytics": False, "advertising": False}}}
    out = Enricher(KEY).enrich({"type": "page", "anonymousId": "v", "context": context}, RECEIVED, None, None)
    assert "ip_hash" not in out["context"] and "ip" not in out["context"]
    assert out["context"]["ip_prefix"] == "198.51.100.0/24"


@pytest.mark.parametrize(
    ("preferences", "denied"),
    [
        ({"analytics": False, "advertising": False}, True),
        ({"analytics": True, "advertising": False}, False),
        ({"C0002": False}, True),
        ({}, False),  # an empty record says nothing
        (None, False),
    ],
)
def test_consent_denied_rule(preferences: dict | None, denied: bool) -> None:
    context = {} if preferences is None else {"consent": {"categoryPreferences": preferences}}
    assert consent_denied(context) is denied


def test_without_a_key_only_the_network_is_kept() -> None:
    out = Enricher(None).enrich({"type": "page", "userId": "u"}, RECEIVED, "203.0.113.9", None)
    assert out["context"] == {"ip_prefix": "203.0.113.0/24"}


@pytest.mark.parametrize("bad", ["localhost", "999.1.1.1", 12345])
def test_a_bad_client_ip_is_a_400_on_context_ip(bad: object) -> None:
    with pytest.raises(EventError) as caught:
        Enricher(KEY).enrich({"type": "page", "userId": "u", "context": {"ip": bad}}, RECEIVED, None, None)
    assert caught.value.field == "context.ip"


def test_batch_context_and_sent_at_are_merged_under_the_event() -> None:
    batch_context = {"library": {"name": "analytics-python"}, "locale": "de-DE"}
    event = {"type": "track", "event": "E", "userId": "u", "context": {"locale": "en-GB"}}
    out = Enricher(KEY).enrich(event, RECEIVED, None, None, batch_context, "2026-11-23T14:05:07.000Z")
    assert out["context"] == {"library": {"name": "analytics-python"}, "locale": "en-GB"}
    assert out["sentAt"] == "2026-11-23T14:05:07.000Z"
    assert batch_context == {"library": {"name": "analytics-python"}, "locale": "de-DE"}  # not shared or mutated
