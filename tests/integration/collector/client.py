"""HTTP helpers for talking to a collector process in tests."""

from __future__ import annotations

import base64
import http.client
import json
from dataclasses import dataclass

from adledger.collector.loadgen import CollectorProcess

WRITE_KEY = "wk_test_3f9a"
IP_KEY = "ip-key-for-tests"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


def request(
    collector: CollectorProcess, method: str, path: str, body: bytes | dict | None = None,
    headers: dict[str, str] | None = None, key: str | None = WRITE_KEY,
) -> Reply:
    """One HTTP request to the collector; `key` goes into basic auth unless None."""
    headers = dict(headers or {})
    if key is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    connection = http.client.HTTPConnection("127.0.0.1", collector.port, timeout=10)
    try:
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()
