"""The collector as a plain ASGI application (no framework on the hot path).

Endpoints follow the Segment HTTP Tracking API (https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/):

| method | path | does |
| --- | --- | --- |
| POST | `/v1/batch` (`/v1/b`) | a batch `{"batch": [...], "context"?, "sentAt"?, "writeKey"?}`, all or nothing |
| POST | `/v1/track` `/v1/page` `/v1/identify` `/v1/alias` `/v1/screen` `/v1/group` (`/v1/t` `p` `i` `a` `s` `g`) | one event, its type implied by the path |
| GET | `/v1/pixel`, `/v1/pixel/track` | 1×1 GIF; records a `track` `Email Opened` (query fields) or the base64 JSON event in `data` |
| OPTIONS | `/v1/*` | CORS preflight |
| GET | `/snippet.js`, `/demo/…`, `/health` | the page snippet, the demo shop (unless `--no-demo`), a readiness probe |

The write key is the HTTP basic-auth user name or the body's `writeKey`. Bodies may be gzip-compressed.
Limits: 32 KB per event, 500 KB per batch (413). A bad event is answered with 400 and
`{"error", "field", "index"}`; a batch with one bad event is rejected whole, so a batch is never half
written and the client can fix and resend it as it is. 200 `{"success": true}` is sent only after the
events are durable on disk (see `adledger.collector.eventlog`).
"""

from __future__ import annotations

import base64
import binascii
import html
import logging
import zlib
from datetime import datetime, timezone
from importlib import resources
from typing import Any, Awaitable, Callable
from urllib.parse import parse_qsl

import orjson

from adledger.collector.config import CollectorConfig
from adledger.collector.enrich import Enricher
from adledger.collector.eventlog import Busy, EventLog
from adledger.collector.validation import EventError, validate_event

log = logging.getLogger("adledger.collector")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

#: path → the event type it implies (None: a batch)
EVENT_PATHS: dict[str, str | None] = {"/v1/batch": None, "/v1/b": None}
for _kind in ("track", "page", "identify", "alias", "screen", "group"):
    EVENT_PATHS[f"/v1/{_kind}"] = _kind
    EVENT_PATHS[f"/v1/{_kind[0]}"] = _kind
NOT_EVENT = "-"
PIXEL_PATHS = ("/v1/pixel", "/v1/pixel/track")
PIXEL_EVENT = "Email Opened"
#: a transparent 1×1 GIF89a (42 bytes)
PIXEL_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
OK_BODY = b'{"success":true}'
JSON = b"application/json"
NO_STORE = (b"cache-control", b"no-store, no-cache, must-revalidate, private")
ALLOWED_HEADERS = b"Content-Type, Authorization, Content-Encoding"
JAVASCRIPT = b"application/javascript; charset=utf-8"
HTML = b"text/html; charset=utf-8"
#: the demo shop: (path, file under static/, content type)
DEMO_FILES = (
    ("/demo/", "demo_landing.html", HTML),
    ("/demo/checkout", "demo_checkout.html", HTML),
    ("/demo/consent.js", "demo_consent.js", JAVASCRIPT),
    ("/demo/demo.css", "demo.css", b"text/css; charset=utf-8"),
)


class Request:
    """The parts of an HTTP request the collector reads (header names are lower-case bytes)."""

    __slots__ = ("authorization", "content_encoding", "content_length", "origin", "user_agent", "peer_ip")

    def __init__(self, scope: Scope) -> None:
        self.authorization = self.content_encoding = self.content_length = self.origin = self.user_agent = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                self.authorization = value
            elif name == b"content-encoding":
                self.content_encoding = value.strip().lower()
            elif name == b"content-length":
                self.content_length = value
            elif name == b"origin":
                self.origin = value
            elif name == b"user-agent":
                self.user_agent = value.decode("latin-1")
        client = scope.get("client")
        self.peer_ip = client[0] if client else None


def utc_now() -> datetime:
    """The current time, timezone-aware UTC (the collector's clock for `receivedAt`)."""
    return datetime.now(timezone.utc)


def _error_body(error: EventError) -> bytes:
    code = {400: "invalid_event", 401: "unauthorized", 413: "too_large", 415: "unsupported_encoding"}.get(
        error.status, "error"
    )
    return orjson.dumps(
        {
            "success": False,
            "error": error.message,
            "field": error.field,
            "index": error.index,
            "code": code,
            "message": error.message,
        }
    )


def _static(name: str) -> bytes:
    return resources.files("adledger.collector").joinpath("static", name).read_bytes()


class CollectorApp:
    """ASGI app; `on_ready` is called once the output folder is open and the flusher runs."""

    def __init__(
        self,
        config: CollectorConfig,
        events: EventLog,
        clock: Callable[[], datetime] = utc_now,
        on_ready: Callable[[], None] | None = None,
    ) -> None:
        self.config = config
        self.events = events
        self.enricher = Enricher(config.ip_hash_key)
        self._keys = frozenset(config.write_keys)
        self._clock = clock
        self._on_ready = on_ready
        self._auth_cache: dict[bytes, bool] = {}
        self._pages = self._load_pages()

    def _load_pages(self) -> dict[str, tuple[bytes, bytes]]:
        pages = {"/snippet.js": (JAVASCRIPT, _static("snippet.js"))}
        if self.config.serve_demo:  # the demo embeds the first write key, as any site embeds its browser key
            key = html.escape(self.config.write_keys[0], quote=True).encode()
            for path, name, content_type in DEMO_FILES:
                pages[path] = (content_type, _static(name).replace(b"{{WRITE_KEY}}", key))
        return pages

    # -- ASGI entry ---------------------------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.events.start()
                except Exception as exc:  # noqa: BLE001 - reported to the server, which stops
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
                if self._on_ready:
                    self._on_ready()
            elif message["type"] == "lifespan.shutdown":
                await self.events.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path, method = scope["path"], scope["method"]
        request = Request(scope)
        implied = EVENT_PATHS.get(path, NOT_EVENT)
        if implied != NOT_EVENT and method == "POST":
            status, body = await self._collect(request, receive, implied)
            await self._respond(send, status, body, JSON, request.origin)
        elif path.startswith("/v1/") and method == "OPTIONS":
            await self._preflight(send, request.origin)
        elif path in PIXEL_PATHS and method == "GET":
            await self._pixel(scope, request, send)
        elif path in self._pages and method == "GET":
            content_type, page = self._pages[path]
            await self._respond(send, 200, page, content_type, None, ((b"cache-control", b"public, max-age=300"),))
        elif path == "/demo" and method == "GET" and self.config.serve_demo:
            await self._respond(send, 308, b"", b"text/plain", None, ((b"location", b"/demo/"),))
        elif path == "/health":
            healthy = self.events.healthy
            body = orjson.dumps({"ok": healthy, "commits": self.events.commits})
            await self._respond(send, 200 if healthy else 503, body, JSON, None)
        elif implied != NOT_EVENT or path in PIXEL_PATHS:
            await self._respond(send, 405, b'{"error":"method not allowed"}', JSON, request.origin)
        else:
            await self._respond(send, 404, b'{"error":"not found"}', JSON, request.origin)

    # -- responses ----------------------------------------------------------------------------------------------
    @staticmethod
    def _cors(origin: bytes | None) -> list[tuple[bytes, bytes]]:
        if not origin:
            return []
        return [
            (b"access-control-allow-origin", origin),
            (b"access-control-allow-credentials", b"true"),
            (b"vary", b"Origin"),
        ]

    async def _respond(
        self,
        send: Send,
        status: int,
        body: bytes,
        content_type: bytes,
        origin: bytes | None,
        extra: tuple[tuple[bytes, bytes], ...] = (),
    ) -> None:
        headers = [(b"content-type", content_type), (b"content-length", b"%d" % len(body)), *extra]
        headers.extend(self._cors(origin))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _preflight(self, send: Send, origin: bytes | None) -> None:
        extra = (
            (b"access-control-allow-methods", b"POST, GET, OPTIONS"),
            (b"access-control-allow-headers", ALLOWED_HEADERS),
            (b"access-control-max-age", b"%d" % self.config.cors_max_age_s),
        )
        await self._respond(send, 204, b"", b"text/plain", origin or b"*", extra)

    # -- auth and body ------------------------------------------------------------------------------------------
    def _header_key_ok(self, authorization: bytes) -> bool:
        known = self._auth_cache.get(authorization)
        if known is None:
            scheme, _, encoded = authorization.partition(b" ")
            try:
                user = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")[0]
            except (binascii.Error, UnicodeDecodeError):
                user = ""
            known = scheme.lower() == b"basic" and user in self._keys
            if len(self._auth_cache) >= 1024:
                self._auth_cache.clear()
            self._auth_cache[authorization] = known
        return known

    async def _read_body(self, request: Request, receive: Receive, limit: int) -> bytes:
        too_large = EventError(None, f"the request body is larger than {limit} bytes", 413)
        if request.content_length is not None and request.content_length.isdigit():
            if int(request.content_length) > limit:
                raise too_large
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ConnectionAbortedError("client went away")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise too_large
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        encoding = request.content_encoding
        if encoding in (None, b"", b"identity"):
            return body
        if encoding != b"gzip":
            raise EventError(None, "only gzip request bodies are supported", 415)
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            plain = inflater.decompress(body, limit + 1)
        except zlib.error:
            raise EventError(None, "the gzip body is corrupt") from None
        if len(plain) > limit:
            raise too_large
        if not inflater.eof:
            raise EventError(None, "the gzip body is truncated")
        return plain

    # -- events -------------------------------------------------------------------------------------------------
    def prepare(self, payload: Any, implied: str | None, request: Request, received_at: str) -> bytes:
        """Validate and enrich the events of one request; return their JSON lines or raise `EventError`."""
        if not isinstance(payload, dict):
            raise EventError(None, "the body must be a JSON object")
        if implied is not None:
            if payload.setdefault("type", implied) != implied:
                raise EventError("type", f"this endpoint takes {implied} events")
            validate_event(payload)
            event = self.enricher.enrich(payload, received_at, request.peer_ip, request.user_agent)
            return orjson.dumps(event, option=orjson.OPT_APPEND_NEWLINE)
        events = payload.get("batch")
        if not isinstance(events, list) or not events:
            raise EventError("batch", "batch must be a non-empty array of events")
        context = payload.get("context")
        if context is not None and not isinstance(context, dict):
            raise EventError("context", "context must be an object")
        sent_at = payload.get("sentAt")
        if sent_at is not None and not isinstance(sent_at, str):
            raise EventError("sentAt", "sentAt must be an ISO 8601 string")
        lines = []
        max_event = self.config.max_event_bytes
        for index, event in enumerate(events):
            try:
                line = orjson.dumps(event)
                if len(line) > max_event:
                    raise EventError(None, f"the event is larger than {max_event} bytes", 413)
                validate_event(event)
                self.enricher.enrich(event, received_at, request.peer_ip, request.user_agent, context, sent_at)
            except EventError as error:
                raise error.at(index) from None
            lines.append(orjson.dumps(event, option=orjson.OPT_APPEND_NEWLINE))
        return b"".join(lines)

    def _received(self) -> tuple[str, str]:
        """`(receivedAt, hour key)`: ISO 8601 UTC with milliseconds, and its ``YYYY-MM-DDTHH`` prefix."""
        received_at = self._clock().isoformat(timespec="milliseconds")[:23] + "Z"
        return received_at, received_at[:13]

    async def _store(self, payload: Any, implied: str | None, request: Request) -> tuple[int, bytes]:
        received_at, hour_key = self._received()
        try:
            data = self.prepare(payload, implied, request, received_at)
            await self.events.append(hour_key, data)
        except EventError as error:
            return error.status, _error_body(error)
        except Busy as busy:
            return 503, orjson.dumps({"success": False, "error": str(busy), "code": "busy", "message": str(busy)})
        except OSError as exc:
            log.error("events not stored: %s", exc)
            message = "the collector could not write to its disk; retry later"
            return 503, orjson.dumps({"success": False, "error": message, "code": "storage", "message": message})
        return 200, OK_BODY

    async def _collect(self, request: Request, receive: Receive, implied: str | None) -> tuple[int, bytes]:
        limit = self.config.max_batch_bytes if implied is None else self.config.max_event_bytes
        if request.authorization is not None and not self._header_key_ok(request.authorization):
            return 401, _error_body(EventError("writeKey", "unknown write key", 401))
        try:
            raw = await self._read_body(request, receive, limit)
            try:
                payload = orjson.loads(raw)
            except orjson.JSONDecodeError:
                raise EventError(None, "the body is not valid JSON (UTF-8)") from None
            if request.authorization is None:
                key = payload.pop("writeKey", None) if isinstance(payload, dict) else None
                if key not in self._keys:
                    return 401, _error_body(EventError("writeKey", "missing or unknown write key", 401))
            elif isinstance(payload, dict):
                payload.pop("writeKey", None)
        except EventError as error:
            return error.status, _error_body(error)
        except ConnectionAbortedError:
            return 400, b'{"error":"client went away"}'
        return await self._store(payload, implied, request)

    # -- pixel --------------------------------------------------------------------------------------------------
    @staticmethod
    def _pixel_event(query: dict[str, str]) -> dict[str, Any]:
        """The event a pixel URL describes: Segment's base64 `data` JSON, or query fields of an e-mail open."""
        if "data" in query:
            encoded = query.pop("data")
            try:
                event = orjson.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
            except (binascii.Error, ValueError):
                raise EventError("data", "data must be base64-encoded JSON") from None
            if not isinstance(event, dict):
                raise EventError("data", "data must encode a JSON object")
            event.setdefault("type", "track")
            return event
        event: dict[str, Any] = {"type": "track", "event": PIXEL_EVENT}
        for name in ("userId", "anonymousId", "messageId", "timestamp", "writeKey"):
            if name in query:
                event[name] = query.pop(name)
        event["properties"] = query
        return event

    async def _pixel(self, scope: Scope, request: Request, send: Send) -> None:
        query = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
        try:
            event = self._pixel_event(query)
            if event.get("type") != "track":
                raise EventError("type", "the pixel records track events")
            if event.pop("writeKey", query.pop("writeKey", None)) not in self._keys:
                raise EventError("writeKey", "missing or unknown write key", 401)
        except EventError as error:
            status, body = error.status, _error_body(error)
        else:
            status, body = await self._store(event, "track", request)
        extra: tuple[tuple[bytes, bytes], ...] = (NO_STORE,)
        if status != 200:
            extra += ((b"x-adledger-error", orjson.loads(body).get("error", "").encode("latin-1", "replace")),)
        await self._respond(send, status, PIXEL_GIF, b"image/gif", None, extra)
