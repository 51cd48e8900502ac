"""Real alert receivers on loopback: an HTTP server that keeps what apprise's `json://` posts, and an SMTP server.

Both bind free 127.0.0.1 ports; the SMTP server (aiosmtpd) requires AUTH PLAIN with known credentials, as a real
relay would, so a test can prove the password reached the server and never reached `quality.alerts`.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SMTP_USER = "alerts"
SMTP_PASSWORD = "smtp-secret-pw-4711"


@dataclass
class HttpReceiver:
    """POSTed JSON bodies by path; `wait(n)` blocks until n arrived."""

    port: int
    posts: list[tuple[str, dict]] = field(default_factory=list)
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    def url(self, path: str = "/alerts", userinfo: str = "") -> str:
        return f"json://{userinfo + '@' if userinfo else ''}127.0.0.1:{self.port}{path}"

    def wait(self, count: int = 1, timeout: float = 10.0) -> list[tuple[str, dict]]:
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.posts) >= count, timeout)
            return list(self.posts)


def start_http_receiver() -> tuple[HttpReceiver, ThreadingHTTPServer]:
    holder: dict[str, HttpReceiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            receiver = holder["r"]
            with receiver._arrived:
                receiver.posts.append((self.path, json.loads(body)))
                receiver._arrived.notify_all()
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder["r"] = HttpReceiver(port=server.server_address[1])
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return holder["r"], server


@dataclass
class SmtpReceiver:
    port: int
    messages: list = field(default_factory=list)  # email.message.EmailMessage
    logins: list[tuple[str, bool]] = field(default_factory=list)

    def url(self, password: str = SMTP_PASSWORD) -> str:
        return (f"mailto://{SMTP_USER}:{password}@127.0.0.1:{self.port}?smtp=127.0.0.1&mode=insecure"
                "&from=alerts@adledger.test&to=oncall@example.com")

    def wait(self, count: int = 1, timeout: float = 10.0) -> list:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return list(self.messages)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_smtp_receiver():
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    receiver = SmtpReceiver(port=free_port())

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's naming)
            receiver.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
            return "250 OK"

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == SMTP_USER.encode() and auth_data.password == SMTP_PASSWORD.encode()
        receiver.logins.append((auth_data.login.decode(), ok))
        return AuthResult(success=ok)

    controller = Controller(Handler(), hostname="127.0.0.1", port=receiver.port, authenticator=authenticate,
                            auth_required=True, auth_require_tls=False)
    controller.start()
    return receiver, controller


def text_of(message) -> str:
    """The plain-text part of an e-mail, subject first."""
    part = message.get_body(preferencelist=("plain", "html"))
    return f"{message['subject']}\n{part.get_content()}"
