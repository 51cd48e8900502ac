"""The tracker event contract: each broken rule names its field."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from adledger.collector.validation import EventError, validate_event

ORDER: dict[str, Any] = {
    "type": "track",
    "event": "Order Completed",
    "anonymousId": "a-1",
    "timestamp": "2026-11-23T14:05:00.123Z",
    "properties": {"order_id": "o-1", "revenue": 49.5, "currency": "EUR"},
    "context": {"page": {"url": "https://shop.example/checkout", "referrer": ""}},
}


def _with(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    event = copy.deepcopy(base)
    *parents, leaf = path.split(".")
    target = event
    for name in parents:
        target = target[name]
    if value is _DELETE:
        del target[leaf]
    else:
        target[leaf] = value
    return event


_DELETE = object()


@pytest.mark.parametrize(
    "event",
    [
        ORDER,
        {"type": "page", "userId": "u-1"},
        {"type": "page", "anonymousId": 42, "name": "Home", "timestamp": "2026-11-23T14:05:00+01:00"},
        {"type": "identify", "userId": "u-1", "traits": {"plan": "pro"}},
        {"type": "alias", "userId": "u-1", "previousId": "a-1"},
        {"type": "group", "userId": "u-1", "groupId": "g-1"},
        {"type": "screen", "anonymousId": "a-1", "name": "Cart"},
        {"type": "track", "anonymousId": "a-1", "event": "Signed Up", "properties": None},
        _with(ORDER, "properties.revenue", 0),
        _with(ORDER, "properties.currency", _DELETE),
        _with(ORDER, "properties.order_id", 1001),
        _with(ORDER, "timestamp", "2026-11-23T14:05:00.123456789+00:00"),
    ],
)
def test_valid_events_pass(event: dict[str, Any]) -> None:
    assert validate_event(copy.deepcopy(event)) is None


@pytest.mark.parametrize(
    ("event", "field"),
    [
        (["not", "an", "object"], None),
        (_with(ORDER, "type", "purchase"), "type"),
        (_with(ORDER, "type", _DELETE), "type"),
        (_with(ORDER, "anonymousId", _DELETE), "anonymousId"),
        (_with(ORDER, "anonymousId", ""), "anonymousId"),
        (_with(ORDER, "anonymousId", True), "anonymousId"),
        (_with(ORDER, "userId", {"id": 1}), "userId"),
        (_with(ORDER, "messageId", "x" * 256), "messageId"),
        (_with(ORDER, "timestamp", "yesterday"), "timestamp"),
        (_with(ORDER, "timestamp", "2026-11-23T14:05:00"), "timestamp"),  # no time zone
        (_with(ORDER, "timestamp", 1763906700), "timestamp"),
        (_with(ORDER, "sentAt", "2026-13-01T00:00:00Z"), "sentAt"),
        (_with(ORDER, "event", ""), "event"),
        (_with(ORDER, "event", _DELETE), "event"),
        (_with(ORDER, "properties", [1, 2]), "properties"),
        (_with(ORDER, "context", "ctx"), "context"),
        (_with(ORDER, "context.page", "https://shop.example"), "context.page"),
        (_with(ORDER, "context.page.url", 7), "context.page.url"),
        (_with(ORDER, "properties.order_id", _DELETE), "properties.order_id"),
        (_with(ORDER, "properties.revenue", _DELETE), "properties.revenue"),
        (_with(ORDER, "properties.revenue", "49.50"), "properties.revenue"),
        (_with(ORDER, "properties.revenue", -1), "properties.revenue"),
        (_with(ORDER, "properties.revenue", True), "properties.revenue"),
        (_with(ORDER, "properties.currency", "euro"), "properties.currency"),
        ({"type": "alias", "anonymousId": "a-1", "previousId": "a-0"}, "userId"),
        ({"type": "alias", "userId": "u-1"}, "previousId"),
        ({"type": "group", "userId": "u-1"}, "groupId"),
        ({"type": "page", "userId": "u-1", "name": ""}, "name"),
        ({"type": "identify", "userId": "u-1", "traits": "vip"}, "traits"),
    ],
)
def test_invalid_events_name_their_field(event: Any, field: str | None) -> None:
    with pytest.raises(EventError) as caught:
        validate_event(event)
    assert caught.value.field == field
    assert caught.value.status == 400


def test_error_in_a_batch_carries_its_index() -> None:
    error = EventError("timestamp", "bad").at(3)
    assert (error.field, error.index, error.status) == ("timestamp", 3, 400)
    assert error.message.startswith("batch[3]: ")
