"""What the collector adds to an accepted event before writing it.

Following the Segment HTTP API (https://segment.com/docs/connections/spec/common/#timestamps):
`receivedAt` is the server's clock when the request arrived; a missing `timestamp` becomes `receivedAt`;
a missing `messageId` gets a random UUID; a batch's own `context` is merged under each event's context
and its `sentAt` copied to events that lack one. `context.userAgent` defaults to the request's
User-Agent header.

The IP address (`context.ip` as sent, else the socket's peer address) is never written in clear: it
becomes `context.ip_hash` (keyed HMAC-SHA256, `adledger.privacy.hash_ip`) and `context.ip_prefix` (/24 or
/48). Events that carry a consent record in which no category is granted keep only the prefix, so no
user-level pseudonym is stored for them; without a configured key every event keeps only the prefix.
The write key is removed from every event.
"""

from __future__ import annotations

import uuid
from functools import lru_cache
from typing import Any, Callable

from adledger import privacy
from adledger.collector.validation import EventError

#: fields a client may send that the collector owns and replaces
SERVER_FIELDS = ("ip", "ip_hash", "ip_prefix")


def consent_denied(context: dict) -> bool:
    """True when `context.consent.categoryPreferences` is a non-empty object with no category granted."""
    consent = context.get("consent")
    if not isinstance(consent, dict):
        return False
    preferences = consent.get("categoryPreferences")
    return isinstance(preferences, dict) and bool(preferences) and not any(v is True for v in preferences.values())


class Enricher:
    """Enriches events in place; one instance per collector process (it caches IP pseudonyms)."""

    def __init__(self, ip_hash_key: bytes | None, cache_size: int = 65_536) -> None:
        self._hash: Callable[[str], tuple[str | None, str]]
        if ip_hash_key:
            self._hash = lru_cache(maxsize=cache_size)(lambda ip: privacy.hash_ip(ip, ip_hash_key))
        else:
            self._hash = lru_cache(maxsize=cache_size)(lambda ip: (None, privacy.ip_prefix(ip)))

    def pseudonymise_ip(self, ip: str) -> tuple[str | None, str]:
        """`(ip_hash or None, ip_prefix)` for `ip`; raises `EventError` on something that is not an address."""
        try:
            return self._hash(ip)
        except (ValueError, AttributeError):
            raise EventError("context.ip", "context.ip is not an IPv4 or IPv6 address") from None

    def enrich(
        self,
        event: dict[str, Any],
        received_at: str,
        peer_ip: str | None,
        user_agent: str | None,
        batch_context: dict | None = None,
        batch_sent_at: str | None = None,
    ) -> dict[str, Any]:
        """Add the server fields to a validated `event` (mutated and returned). Times are ISO 8601 UTC strings."""
        event.pop("writeKey", None)
        context = event.get("context")
        if batch_context:
            context = {**batch_context, **context} if context else dict(batch_context)
        elif context is None:
            context = {}
        event["context"] = context
        if event.get("messageId") is None:
            event["messageId"] = str(uuid.uuid4())
        if event.get("timestamp") is None:
            event["timestamp"] = received_at
        if batch_sent_at is not None and event.get("sentAt") is None:
            event["sentAt"] = batch_sent_at
        event["receivedAt"] = received_at
        if user_agent and not context.get("userAgent"):
            context["userAgent"] = user_agent
        ip = context.get("ip") or peer_ip
        for name in SERVER_FIELDS:
            context.pop(name, None)
        if ip:
            if not isinstance(ip, str):
                raise EventError("context.ip", "context.ip must be a string")
            ip_hash, prefix = self.pseudonymise_ip(ip)
            if ip_hash is not None and not consent_denied(context):
                context["ip_hash"] = ip_hash
            context["ip_prefix"] = prefix
        return event
