"""Which tracker events a deletion request erases, recomputed in plain Python from the world's files (a test oracle).

The rule the product documents (docs/privacy.md): an event is the subject's when its userId is the requester's
customer id, or it carries no userId and its anonymousId or device id was seen on the subject's events (with their
userId or their e-mail in `traits.email`), or its `traits.email` is theirs.
"""

from __future__ import annotations

import csv
from pathlib import Path


def deletion_requests(world: Path) -> list[dict]:
    with (world / "first_party" / "deletion_requests.csv").open() as fh:
        return list(csv.DictReader(fh))


def _device(e: dict) -> str | None:
    return ((e.get("context") or {}).get("device") or {}).get("id")


def _email(e: dict) -> str | None:
    email = (e.get("traits") or {}).get("email")
    return email.strip().lower() if isinstance(email, str) and email.strip() else None


def erased_events(events: list[dict], requests: list[dict]) -> dict[str, set[str]]:
    """{request_id: messageIds of the events it erases} among `events` (first deliveries, contract-valid)."""
    out = {}
    for request in requests:
        customer, email = request["customer_id"], request["email"].strip().lower()
        own = [e for e in events if e.get("userId") == customer or _email(e) == email]
        anonymous = {e["anonymousId"] for e in own if e.get("anonymousId")}
        devices = {_device(e) for e in own if _device(e)}
        devices |= {_device(e) for e in events if not e.get("userId") and e.get("anonymousId") in anonymous
                    and _device(e)}
        out[request["request_id"]] = {
            e["messageId"] for e in events
            if e.get("userId") == customer or (not e.get("userId") and (
                e.get("anonymousId") in anonymous or _device(e) in devices or _email(e) == email))
        }
    return out
