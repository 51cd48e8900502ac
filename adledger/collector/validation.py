"""The tracker event contract (DESIGN.md, "Tracker events"), checked one event at a time.

The rules follow the Segment Spec (https://segment.com/docs/connections/spec/common/) and what the
tracker ingestion needs to load a row: a known `type`, one of `userId`/`anonymousId`, ISO 8601
timestamps with a time zone, objects where the spec has objects, an `event` name on `track`, and for
the conversion event `Order Completed` an `order_id` and a non-negative numeric `revenue`
(https://segment.com/docs/connections/spec/ecommerce/v2/#order-completed).
Optional fields the client leaves out (`messageId`, `timestamp`) are filled in by enrichment.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

EVENT_TYPES = frozenset({"page", "track", "identify", "alias", "screen", "group"})
CONVERSION_EVENT = "Order Completed"
MAX_ID_CHARS = 255
MAX_EVENT_NAME_CHARS = 512
TIMESTAMP_FIELDS = ("timestamp", "originalTimestamp", "sentAt")
OBJECT_FIELDS = ("properties", "traits", "context", "integrations")


class EventError(ValueError):
    """An event (or request) the collector refuses; `field` names the offending field (dotted path).

    `status` is the HTTP status to answer with: 400 for contract violations, 413 for size limits.
    """

    def __init__(self, field: str | None, message: str, status: int = 400, index: int | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.status = status
        self.index = index

    def at(self, index: int) -> EventError:
        """The same error, located at position `index` of a batch."""
        return EventError(self.field, f"batch[{index}]: {self.message}", self.status, index)


def _is_id(value: Any) -> bool:
    if isinstance(value, str):
        return 0 < len(value) <= MAX_ID_CHARS
    return isinstance(value, int) and not isinstance(value, bool)


def _check_id(event: dict, name: str) -> None:
    value = event.get(name)
    if value is not None and not _is_id(value):
        raise EventError(name, f"{name} must be a non-empty string of at most {MAX_ID_CHARS} characters")


def _check_timestamp(event: dict, name: str) -> None:
    value = event.get(name)
    if value is None:
        return
    if not isinstance(value, str):
        raise EventError(name, f"{name} must be an ISO 8601 string, e.g. 2026-11-23T14:05:00.000Z")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise EventError(name, f"{name} is not an ISO 8601 date-time: {value[:40]!r}") from None
    if parsed.tzinfo is None:
        raise EventError(name, f"{name} has no time zone: add Z or an offset such as +00:00")


def _check_name(event: dict, name: str, required: bool) -> None:
    value = event.get(name)
    if value is None and not required:
        return
    if not isinstance(value, str) or not value or len(value) > MAX_EVENT_NAME_CHARS:
        raise EventError(name, f"{name} must be a non-empty string of at most {MAX_EVENT_NAME_CHARS} characters")


def _check_conversion(properties: dict) -> None:
    order_id = properties.get("order_id")
    if not _is_id(order_id):
        raise EventError("properties.order_id", f"{CONVERSION_EVENT} needs properties.order_id (string or integer)")
    revenue = properties.get("revenue")
    if isinstance(revenue, bool) or not isinstance(revenue, (int, float)) or not revenue >= 0:
        raise EventError("properties.revenue", f"{CONVERSION_EVENT} needs properties.revenue, a number >= 0")
    currency = properties.get("currency")
    if currency is not None and not (isinstance(currency, str) and len(currency) == 3 and currency.isalpha()):
        raise EventError("properties.currency", "properties.currency must be an ISO 4217 code such as EUR")


def _check_context(context: dict) -> None:
    page = context.get("page")
    if page is None:
        return
    if not isinstance(page, dict):
        raise EventError("context.page", "context.page must be an object")
    for key in ("url", "path", "referrer", "title", "search"):
        value = page.get(key)
        if value is not None and not isinstance(value, str):
            raise EventError(f"context.page.{key}", f"context.page.{key} must be a string")


def validate_event(event: Any) -> None:
    """Raise `EventError` naming the first field of `event` that breaks the contract; return None if it holds."""
    if not isinstance(event, dict):
        raise EventError(None, "an event must be a JSON object")
    kind = event.get("type")
    if kind not in EVENT_TYPES:
        raise EventError("type", f"type must be one of {', '.join(sorted(EVENT_TYPES))}")
    for name in OBJECT_FIELDS:
        value = event.get(name)
        if value is not None and not isinstance(value, dict):
            raise EventError(name, f"{name} must be an object")
    _check_id(event, "messageId")
    _check_id(event, "userId")
    _check_id(event, "anonymousId")
    if event.get("userId") is None and event.get("anonymousId") is None:
        raise EventError("anonymousId", "every event needs a userId or an anonymousId")
    for name in TIMESTAMP_FIELDS:
        _check_timestamp(event, name)
    if kind == "track":
        _check_name(event, "event", required=True)
        if event["event"] == CONVERSION_EVENT:
            _check_conversion(event.get("properties") or {})
    elif kind in ("page", "screen"):
        _check_name(event, "name", required=False)
    elif kind == "alias":
        if event.get("userId") is None:
            raise EventError("userId", "alias needs the new userId")
        if not _is_id(event.get("previousId")):
            raise EventError("previousId", "alias needs previousId, the id being merged")
    elif kind == "group" and not _is_id(event.get("groupId")):
        raise EventError("groupId", "group needs a groupId")
    context = event.get("context")
    if context:
        _check_context(context)
