"""The collector's HTTP Tracking API against a real `adledger collect` process on loopback."""

from __future__ import annotations

import base64
import gzip
import json
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest

from adledger.collector.eventlog import event_files, read_events
from adledger.collector.loadgen import CollectorProcess
from adledger.privacy import hash_ip
from tests.integration.collector.client import IP_KEY, WRITE_KEY, request


def _id() -> str:
    return f"it-{uuid.uuid4()}"


def _find(out_dir: Path, message_id: str) -> list[dict]:
    return [e for e in read_events(out_dir) if e.get("messageId") == message_id]


def _page(message_id: str, **extra: object) -> dict:
    return {"type": "page", "messageId": message_id, "anonymousId": "anon-1", "timestamp": "2026-11-23T14:05:00Z",
            **extra}


def test_track_is_acknowledged_written_and_enriched(collector: CollectorProcess, out_dir: Path) -> None:
    mid = _id()
    sent = {
        "messageId": mid,
        "event": "Order Completed",
        "userId": "u-7",
        "timestamp": "2026-11-23T14:05:00.000Z",
        "properties": {"order_id": "o-7", "revenue": 12.5, "currency": "EUR"},
        "context": {"page": {"url": "https://shop.example/checkout"}},
    }
    reply = request(collector, "POST", "/v1/track", sent, headers={"User-Agent": "it-agent/1"})
    assert (reply.status, reply.json()) == (200, {"success": True})
    [stored] = _find(out_dir, mid)
    assert stored["type"] == "track"
    for key in ("event", "userId", "timestamp", "properties"):
        assert stored[key] == sent[key]
    assert stored["context"]["page"] == sent["context"]["page"]
    assert stored["context"]["userAgent"] == "it-agent/1"
    assert stored["context"]["ip_hash"] == hash_ip("127.0.0.1", IP_KEY)[0]
    assert stored["context"]["ip_prefix"] == "127.0.0.0/24"
    assert "ip" not in stored["context"]
    assert stored["receivedAt"].endswith("Z")


@pytest.mark.parametrize(
    ("path", "kind", "fields"),
    [
        ("/v1/t", "track", {"event": "Signed Up"}),
        ("/v1/p", "page", {"name": "Home"}),
        ("/v1/page", "page", {}),
        ("/v1/i", "identify", {"traits": {"plan": "pro"}}),
        ("/v1/identify", "identify", {}),
        ("/v1/a", "alias", {"previousId": "anon-1"}),
        ("/v1/alias", "alias", {"previousId": "anon-1"}),
    ],
)
def test_single_event_paths_imply_their_type(
    collector: CollectorProcess, out_dir: Path, path: str, kind: str, fields: dict
) -> None:
    mid = _id()
    reply = request(collector, "POST", path, {"messageId": mid, "userId": "u-1", **fields})
    assert reply.status == 200, reply.body
    [stored] = _find(out_dir, mid)
    assert stored["type"] == kind


def test_type_that_contradicts_the_path_is_refused(collector: CollectorProcess) -> None:
    reply = request(collector, "POST", "/v1/track", {"type": "page", "userId": "u-1"})
    assert (reply.status, reply.json()["field"]) == (400, "type")


def test_batch_with_write_key_in_body_merges_context(collector: CollectorProcess, out_dir: Path) -> None:
    ids = [_id(), _id()]
    body = {
        "writeKey": WRITE_KEY,
        "sentAt": "2026-11-23T14:05:01Z",
        "context": {"library": {"name": "analytics-go", "version": "3.3.0"}},
        "batch": [_page(ids[0]), {**_page(ids[1]), "type": "track", "event": "Clicked", "writeKey": WRITE_KEY}],
    }
    reply = request(collector, "POST", "/v1/b", body, key=None)
    assert reply.status == 200, reply.body
    for mid in ids:
        [stored] = _find(out_dir, mid)
        assert stored["context"]["library"] == {"name": "analytics-go", "version": "3.3.0"}
        assert stored["sentAt"] == "2026-11-23T14:05:01Z"
        assert "writeKey" not in stored
    for path in event_files(out_dir):
        assert WRITE_KEY.encode() not in path.read_bytes()  # the secret never reaches the files


@pytest.mark.parametrize(
    ("key", "body_key"),
    [("wrong-key", None), (None, "wrong-key"), (None, None)],
)
def test_unknown_or_missing_write_key_is_401(
    collector: CollectorProcess, out_dir: Path, key: str | None, body_key: str | None
) -> None:
    mid = _id()
    body = {"batch": [_page(mid)], **({"writeKey": body_key} if body_key else {})}
    reply = request(collector, "POST", "/v1/batch", body, key=key)
    assert (reply.status, reply.json()["field"]) == (401, "writeKey")
    assert _find(out_dir, mid) == []


def test_bad_event_is_400_naming_the_field(collector: CollectorProcess) -> None:
    reply = request(collector, "POST", "/v1/page", _page(_id(), timestamp="23/11/2026"))
    assert reply.status == 400
    assert reply.json()["field"] == "timestamp"
    assert reply.json()["index"] is None


def test_a_batch_with_one_bad_event_is_rejected_whole(collector: CollectorProcess, out_dir: Path) -> None:
    ids = [_id() for _ in range(4)]
    batch = [_page(ids[0]), _page(ids[1]), {**_page(ids[2]), "anonymousId": None}, _page(ids[3])]
    reply = request(collector, "POST", "/v1/batch", {"batch": batch})
    assert reply.status == 400
    assert (reply.json()["index"], reply.json()["field"]) == (2, "anonymousId")
    assert all(_find(out_dir, mid) == [] for mid in ids)


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'{"batch": []}', b'{"batch": {"type": "page"}}'])
def test_malformed_bodies_are_400(collector: CollectorProcess, body: bytes) -> None:
    assert request(collector, "POST", "/v1/batch", body).status == 400


def test_size_limits_are_413(collector: CollectorProcess, out_dir: Path) -> None:
    big = "x" * (33 * 1024)
    assert request(collector, "POST", "/v1/track", _page(_id(), type="track", event=big)).status == 413
    mid = _id()
    one_big_event = {"batch": [_page(_id()), _page(mid, name=big)]}
    reply = request(collector, "POST", "/v1/batch", one_big_event)
    assert (reply.status, reply.json()["index"]) == (413, 1)
    too_many = {"batch": [_page(_id(), name="y" * 20_000) for _ in range(27)]}  # about 540 KB
    assert request(collector, "POST", "/v1/batch", too_many).status == 413
    assert _find(out_dir, mid) == []


def test_gzip_bodies(collector: CollectorProcess, out_dir: Path) -> None:
    mid = _id()
    packed = gzip.compress(json.dumps({"batch": [_page(mid)]}).encode())
    reply = request(collector, "POST", "/v1/batch", packed, headers={"Content-Encoding": "gzip"})
    assert reply.status == 200
    assert len(_find(out_dir, mid)) == 1
    assert request(collector, "POST", "/v1/batch", packed[:-9], headers={"Content-Encoding": "gzip"}).status == 400
    assert request(collector, "POST", "/v1/batch", b"plain", headers={"Content-Encoding": "gzip"}).status == 400
    assert request(collector, "POST", "/v1/batch", packed, headers={"Content-Encoding": "br"}).status == 415
    bomb = gzip.compress(b" " * (600 * 1024) + b"{}")  # tiny on the wire, over 500 KB inflated
    assert request(collector, "POST", "/v1/batch", bomb, headers={"Content-Encoding": "gzip"}).status == 413


def test_cors_preflight_and_response_headers(collector: CollectorProcess) -> None:
    origin = "https://shop.example"
    preflight = request(
        collector, "OPTIONS", "/v1/t", key=None,
        headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"},
    )
    assert preflight.status == 204
    assert preflight.headers["access-control-allow-origin"] == origin
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "Content-Type" in preflight.headers["access-control-allow-headers"]
    reply = request(collector, "POST", "/v1/p", _page(_id()), headers={"Origin": origin})
    assert reply.status == 200
    assert reply.headers["access-control-allow-origin"] == origin


def test_pixel_records_an_email_open(collector: CollectorProcess, out_dir: Path) -> None:
    mid = _id()
    query = urlencode({"writeKey": WRITE_KEY, "userId": "u-9", "messageId": mid, "email_id": "nl-2026-47"})
    reply = request(collector, "GET", f"/v1/pixel?{query}", key=None)
    assert reply.status == 200
    assert reply.headers["content-type"] == "image/gif" and reply.body.startswith(b"GIF89a")
    assert "no-store" in reply.headers["cache-control"]
    [stored] = _find(out_dir, mid)
    assert (stored["type"], stored["event"], stored["userId"]) == ("track", "Email Opened", "u-9")
    assert stored["properties"] == {"email_id": "nl-2026-47"}


def test_pixel_with_segment_base64_data(collector: CollectorProcess, out_dir: Path) -> None:
    mid = _id()
    event = {"writeKey": WRITE_KEY, "event": "Email Clicked", "userId": "u-9", "messageId": mid}
    data = base64.urlsafe_b64encode(json.dumps(event).encode()).decode().rstrip("=")
    assert request(collector, "GET", f"/v1/pixel/track?data={data}", key=None).status == 200
    assert _find(out_dir, mid)[0]["event"] == "Email Clicked"


def test_pixel_with_a_wrong_key_still_answers_a_gif(collector: CollectorProcess, out_dir: Path) -> None:
    mid = _id()
    reply = request(collector, "GET", f"/v1/pixel?writeKey=nope&userId=u&messageId={mid}", key=None)
    assert reply.status == 401 and reply.body.startswith(b"GIF89a")
    assert _find(out_dir, mid) == []


def test_snippet_demo_and_health(collector: CollectorProcess) -> None:
    snippet = request(collector, "GET", "/snippet.js", key=None)
    assert snippet.status == 200 and snippet.headers["content-type"].startswith("application/javascript")
    landing = request(collector, "GET", "/demo/", key=None)
    assert landing.status == 200 and f'data-write-key="{WRITE_KEY}"' in landing.body.decode()
    assert request(collector, "GET", "/demo/checkout", key=None).status == 200
    assert request(collector, "GET", "/demo", key=None).headers["location"] == "/demo/"
    assert request(collector, "GET", "/health", key=None).json()["ok"] is True
    assert request(collector, "GET", "/v1/track", key=None).status == 405
    assert request(collector, "GET", "/nowhere", key=None).status == 404
