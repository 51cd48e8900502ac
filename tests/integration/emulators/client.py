"""A tiny HTTP client for the emulator tests (stdlib only, never raises on HTTP errors)."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self):
        return json.loads(self.body)


def call(url: str, body: bytes | dict | None = None, headers: dict[str, str] | None = None, form: dict | None = None,
         method: str | None = None, params: dict | None = None) -> Reply:
    if params:
        url = f"{url}?{urllib.parse.urlencode(params)}"
    data, hdrs = None, dict(headers or {})
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
    elif isinstance(body, dict):
        data = json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    elif body is not None:
        data = body
    req = urllib.request.Request(url, data=data, headers=hdrs, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return Reply(r.status, r.read(), {k.lower(): v for k, v in r.headers.items()})
    except urllib.error.HTTPError as e:
        return Reply(e.code, e.read(), {k.lower(): v for k, v in e.headers.items()})


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def google_headers(server) -> dict[str, str]:
    """Headers of an authorized Google Ads call (access token from the OAuth refresh endpoint)."""
    g = server.credentials["google_ads"]
    token = call(server.base_url("google_ads") + "/token", form={
        "grant_type": "refresh_token", "client_id": g["client_id"], "client_secret": g["client_secret"],
        "refresh_token": g["refresh_token"]}).json()["access_token"]
    return {"Authorization": f"Bearer {token}", "developer-token": g["developer_token"],
            "login-customer-id": g["login_customer_id"]}


def microsoft_headers(server) -> dict[str, str]:
    m = server.credentials["microsoft_ads"]
    token = call(server.base_url("microsoft_ads") + "/common/oauth2/v2.0/token", form={
        "grant_type": "refresh_token", "client_id": m["client_id"], "refresh_token": m["refresh_token"],
        "scope": "https://ads.microsoft.com/msads.manage offline_access"}).json()["access_token"]
    return {"Authorization": f"Bearer {token}", "DeveloperToken": m["developer_token"], "CustomerId": m["customer_id"],
            "CustomerAccountId": m["account_ids"][0]}
