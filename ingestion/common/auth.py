"""Request authentication for the API sources, applied to the prepared request only.

Credentials are added in `__call__` (requests' `AuthBase`), never as client default headers or query
parameters, so they do not show up in dlt's request logs or in URLs quoted by errors.
"""

from __future__ import annotations

import threading
import time
from typing import Mapping, Sequence

from requests import PreparedRequest, Session
from requests.auth import AuthBase

from ingestion.common.errors import SourceAuthError, raise_for_api_status, secret_hint


class HeaderAuth(AuthBase):
    """Fixed secret headers (TikTok's `Access-Token`, a bearer token, API keys)."""

    def __init__(self, headers: Mapping[str, str]):
        self._headers = dict(headers)

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        request.headers.update(self._headers)
        return request

    def __repr__(self) -> str:  # never print the values
        return f"HeaderAuth({', '.join(self._headers)})"


class OAuthRefreshAuth(AuthBase):
    """OAuth 2.0 refresh-token grant (RFC 6749 §6): trade the refresh token for a short-lived access token,
    send it as `Authorization: Bearer`, and refresh it a minute before `expires_in` runs out.

    Used by Google Ads (https://developers.google.com/identity/protocols/oauth2/web-server#offline) and
    Microsoft Advertising (https://learn.microsoft.com/advertising/guides/authentication-oauth-get-tokens).
    `extra_headers` (developer tokens, customer ids) ride along on every API request.
    """

    def __init__(self, source: str, session: Session, token_url: str, client_id: str, client_secret: str | None,
                 refresh_token: str, secret_keys: Sequence[str], scope: str | None = None,
                 extra_headers: Mapping[str, str] | None = None):
        self.source = source
        self._session = session
        self._token_url = token_url
        self._form = {"grant_type": "refresh_token", "client_id": client_id, "refresh_token": refresh_token}
        if client_secret:
            self._form["client_secret"] = client_secret
        if scope:
            self._form["scope"] = scope
        self._secret_keys = tuple(secret_keys)
        self._extra = dict(extra_headers or {})
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()

    def access_token(self) -> str:
        with self._lock:
            if self._token is None or time.monotonic() >= self._expires_at:
                self._refresh()
            return self._token  # type: ignore[return-value]

    def _refresh(self) -> None:
        # invalid_grant / invalid_client arrive as 400 or 401: either way a credential to fix, not to retry
        check = {"response": [lambda r, *a, **k: raise_for_api_status(self.source, self._secret_keys, r,
                                                                      auth_statuses=(400, 401, 403))]}
        response = self._session.post(self._token_url, data=self._form, headers={"Accept": "application/json"},
                                      hooks=check)
        try:
            body = response.json()
            token = body["access_token"]
        except (ValueError, KeyError, TypeError):
            raise SourceAuthError(self.source, f"{self.source}: the token endpoint answered without an access_token; "
                                               f"{secret_hint(self.source, self._secret_keys)}", response) from None
        self._token = token
        self._expires_at = time.monotonic() + max(60.0, float(body.get("expires_in", 3600)) - 60.0)

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.access_token()}"
        request.headers.update(self._extra)
        return request

    def __repr__(self) -> str:
        return f"OAuthRefreshAuth({self.source})"

