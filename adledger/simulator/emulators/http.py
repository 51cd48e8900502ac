"""Request/response types shared by the emulated APIs (plain stdlib, no framework)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from urllib.parse import parse_qs


@dataclass
class Request:
    method: str
    #: path after the source prefix, e.g. `/v21/customers/123/googleAds:searchStream`
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    #: `http://host:port/<source>`
    base_url: str

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> dict:
        if not self.body:
            return {}
        try:
            data = json.loads(self.body)
        except ValueError:
            raise ApiError(Response.json_body(400, {"error": "request body is not valid JSON"})) from None
        return data if isinstance(data, dict) else {}

    def form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self.body.decode("utf-8", "replace")).items()}

    def bearer(self) -> str | None:
        auth = self.header("authorization") or ""
        return auth[7:].strip() if auth.lower().startswith("bearer ") else None

    def basic(self) -> tuple[str, str] | None:
        auth = self.header("authorization") or ""
        if not auth.lower().startswith("basic "):
            return None
        try:
            user, _, password = base64.b64decode(auth[6:].strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return user, password


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json_body(cls, status: int, payload, headers: dict[str, str] | None = None) -> "Response":
        return cls(status, json.dumps(payload, separators=(",", ":")).encode(), headers=headers or {})


class ApiError(Exception):
    """Raised by a handler to answer with `response` (an error in the platform's own shape)."""

    def __init__(self, response: Response):
        super().__init__(response.status)
        self.response = response


def parse_list_param(raw: str | None) -> list[str]:
    """A list parameter sent as JSON (`["a","b"]`) or comma-separated (`a,b`)."""
    if not raw:
        return []
    raw = raw.strip()
    if raw.startswith("["):
        try:
            return [str(x) for x in json.loads(raw)]
        except ValueError:
            raise ApiError(Response.json_body(400, {"error": f"{raw!r} is not a JSON list"})) from None
    return [x.strip() for x in raw.split(",") if x.strip()]
