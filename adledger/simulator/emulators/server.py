"""One threaded stdlib HTTP server on loopback with every API mounted under its dlt source name.

`http://127.0.0.1:PORT/<source>/<the real API's path>`; `/_admin/...` switches faults and restatements.
Faults (`faults.py`) and the rate limit apply to every API request; the admin endpoints are never faulted.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from adledger.simulator.emulators.data import WorldData
from adledger.simulator.emulators.faults import FaultInjector, FaultSpec
from adledger.simulator.emulators.http import ApiError, Request, Response


class EmulatorServer:
    """The running emulators; use `serve()` to create one."""

    def __init__(self, world_dir: Path, host: str = "127.0.0.1", port: int = 0, faults: FaultSpec | None = None,
                 page_sizes: dict[str, int] | None = None):
        from adledger.simulator.emulators import affiliate, esp, google_ads, meta_ads, microsoft_ads, tiktok_ads

        self.world = WorldData(world_dir)
        self.faults = FaultInjector(faults)
        self.page_sizes = page_sizes or {}
        self.apis = {m.SOURCE: m.Api(self) for m in (google_ads, microsoft_ads, meta_ads, tiktok_ads, affiliate, esp)}
        self.requests_served = 0
        self._httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None
        self.host, self.port = self._httpd.server_address[:2]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def sources(self) -> list[str]:
        return list(self.apis)

    @property
    def credentials(self) -> dict[str, dict]:
        return self.world.secrets

    def base_url(self, source: str) -> str:
        if source not in self.apis:
            raise KeyError(f"no emulator for {source!r}; sources: {', '.join(self.apis)}")
        return f"{self.url}/{source}"

    def dlt_environment(self) -> dict[str, str]:
        """`SOURCES__<NAME>__BASE_URL` and every credential as dlt environment variables (lists as JSON)."""
        env = {}
        for source, values in self.credentials.items():
            prefix = f"SOURCES__{source.upper()}__"
            env[prefix + "BASE_URL"] = self.base_url(source)
            for key, value in values.items():
                env[prefix + key.upper()] = json.dumps(value) if isinstance(value, list) else str(value)
        return env

    def page_size(self, source: str, default: int) -> int:
        return int(self.page_sizes.get(source, default))

    def start(self) -> "EmulatorServer":
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="adledger-emulators", daemon=True)
        self._thread.start()
        return self

    def wait(self) -> None:
        while self._thread and self._thread.is_alive():
            time.sleep(0.5)

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def restate(self, days: int) -> dict:
        return self.world.restate(days)

    def set_faults(self, spec: FaultSpec | str) -> None:
        self.faults.set(FaultSpec.parse(spec) if isinstance(spec, str) else spec)

    def state(self) -> dict:
        return {"faults": self.faults.spec.to_dict(), "fault_counts": dict(self.faults.counts),
                "restatements": self.world.restatements, "requests_served": self.requests_served,
                "sources": {s: self.base_url(s) for s in self.apis}}

    def __enter__(self) -> "EmulatorServer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------------------------------ dispatch
    def dispatch(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> tuple[Response, str | None]:
        """The response to one request and the fault to apply while sending it (`truncate`) or None."""
        parts = urlsplit(raw_path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        segments = parts.path.split("/", 2)
        prefix = segments[1] if len(segments) > 1 else ""
        rest = "/" + segments[2] if len(segments) > 2 else "/"
        if prefix == "_admin":
            return self._admin(method, rest, query), None
        api = self.apis.get(prefix)
        if api is None:
            return Response.json_body(404, {"error": f"no API at /{prefix}; sources: {', '.join(self.apis)}"}), None
        req = Request(method=method, path=rest, query=query, headers=headers, body=body,
                      base_url=f"{self.url}/{prefix}")
        if self.faults.over_limit(f"{prefix}|{api.credential(req)}"):
            return api.error(429, "rate limit exceeded: too many requests per second for this credential",
                             headers={"Retry-After": str(self.faults.spec.retry_after)}), None
        key = f"{method} {parts.path}?{parts.query} {hashlib.sha256(body).hexdigest()[:16]}"
        fault = self.faults.decide(key)
        if fault == "5xx":
            return api.error(503, "the service is temporarily unavailable (injected fault); retry later"), None
        if fault == "429":
            return api.error(429, "quota exhausted for now (injected fault); retry after the Retry-After delay",
                             headers={"Retry-After": str(self.faults.spec.retry_after)}), None
        if fault == "slow":
            time.sleep(self.faults.spec.slow_seconds)
        try:
            response = api.handle(req)
        except ApiError as exc:
            response = exc.response
        self.requests_served += 1
        return response, ("truncate" if fault == "truncate" else None)

    def _admin(self, method: str, path: str, query: dict[str, str]) -> Response:
        try:
            if path == "/restate" and method == "POST":
                return Response.json_body(200, self.restate(int(query.get("days", "3"))))
            if path == "/faults" and method == "POST":
                self.set_faults(query.get("spec", ""))
                return Response.json_body(200, self.faults.spec.to_dict())
            if path == "/reset" and method == "POST":
                self.world.reset()
                self.set_faults(FaultSpec())
                return Response.json_body(200, {"reset": True})
            if path == "/state" and method == "GET":
                return Response.json_body(200, self.state())
        except ValueError as exc:
            return Response.json_body(400, {"error": str(exc)})
        return Response.json_body(404, {"error": "admin endpoints: POST /_admin/restate?days=N, "
                                                  "POST /_admin/faults?spec=..., POST /_admin/reset, GET /_admin/state"})


def _handler_for(server: EmulatorServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "adledger-emulator/1"

        def log_message(self, *args) -> None:  # quiet: tests and the demo read stdout
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                response, fault = server.dispatch(self.command, self.path, headers, body)
            except Exception as exc:  # a bug in an emulator must not kill the connection silently
                response, fault = Response.json_body(500, {"error": f"emulator error: {exc!r}"}), None
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for k, v in response.headers.items():
                self.send_header(k, v)
            if fault == "truncate":
                self.send_header("Connection", "close")
            self.end_headers()
            if fault == "truncate":
                self.wfile.write(response.body[: len(response.body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(response.body)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

    return Handler


