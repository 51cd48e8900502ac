"""What every emulated API shares: its credentials from the world, issued OAuth tokens, the rate-limit key."""

from __future__ import annotations

import hashlib

from adledger.simulator.emulators.http import Request, Response


class BaseApi:
    """Subclasses set `SOURCE` (the dlt source name) and implement `handle` and `error`."""

    SOURCE = ""

    def __init__(self, server):
        self.server = server
        self.world = server.world
        self.creds = self.world.secrets[self.SOURCE]
        self.tokens: set[str] = set()

    def issue_token(self, prefix: str) -> str:
        """A new access token accepted by `bearer_ok` (deterministic: the n-th token of this world)."""
        token = prefix + hashlib.sha256(f"{self.SOURCE}{self.creds}{len(self.tokens)}".encode()).hexdigest()
        self.tokens.add(token)
        return token

    def bearer_ok(self, req: Request) -> bool:
        return req.bearer() in self.tokens

    def credential(self, req: Request) -> str:
        """The rate-limit bucket of a request: its bearer token (subclasses with other auth override it)."""
        return req.bearer() or "anonymous"

    def handle(self, req: Request) -> Response:  # pragma: no cover - abstract
        raise NotImplementedError

    def error(self, status: int, message: str, headers: dict | None = None) -> Response:  # pragma: no cover
        raise NotImplementedError
