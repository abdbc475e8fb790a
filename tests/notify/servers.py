"""Real servers on 127.0.0.1 for the notification tests.

- :class:`MailServer`: an aiosmtpd SMTP server that keeps every message it accepts,
  and can refuse recipients or messages with any reply, or run a hook on DATA.
- :class:`WebhookReceiver`: an HTTP server that keeps every POST and checks its
  HMAC-SHA256 signature the way a receiver would, with the shared secret.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Delivered:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes

    @property
    def text(self) -> str:
        return self.message.get_content()

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"]).strip()


class _Handler:
    def __init__(self, server: MailServer) -> None:
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        refusal = self.server.refuse.get(address.lower())
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.server.data_calls += 1
        if self.server.on_data is not None:
            answer = self.server.on_data(envelope)
            if answer:
                return answer
        if self.server.data_reply:
            return self.server.data_reply
        raw = envelope.original_content or envelope.content
        message = message_from_bytes(raw, policy=default)
        with self.server.lock:
            self.server.messages.append(
                Delivered(envelope.mail_from, list(envelope.rcpt_tos), message, raw)
            )
        return "250 Message accepted for delivery"


class MailServer:
    """``with MailServer() as mail:``; ``mail.port``, ``mail.messages``.

    ``tls`` is ``"starttls"`` or ``"tls"`` (with ``ssl_context``, the server's
    certificate); ``login`` is the (user, password) it requires, over TLS only.
    """

    def __init__(
        self,
        *,
        tls: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        login: tuple[str, str] | None = None,
    ) -> None:
        self.port = free_port()
        self.messages: list[Delivered] = []
        self.lock = threading.Lock()
        #: address (lower case) → SMTP reply, e.g. "550 5.1.1 no such user"
        self.refuse: dict[str, str] = {}
        #: An SMTP reply to every DATA instead of accepting (e.g. "451 try later").
        self.data_reply: str | None = None
        #: Called on every DATA; a reply it returns is sent instead of accepting.
        self.on_data: Callable[[Any], str | None] | None = None
        self.data_calls = 0
        self.logins: list[str] = []
        options: dict[str, Any] = {}
        if tls == "starttls":
            options.update(tls_context=ssl_context, require_starttls=True)
        elif tls == "tls":
            # The whole connection is TLS: aiosmtpd only knows of STARTTLS, so it must
            # be told that AUTH is safe here.
            options.update(ssl_context=ssl_context, auth_require_tls=False)
        if login is not None:
            options.update(authenticator=self._authenticator(login), auth_required=True)
        self.controller = Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port, decode_data=False, **options
        )

    def _authenticator(self, login: tuple[str, str]) -> Callable[..., AuthResult]:
        def check(server, session, envelope, mechanism, auth_data) -> AuthResult:
            user = auth_data.login.decode()
            ok = (user, auth_data.password.decode()) == login
            if ok:
                self.logins.append(user)
            return AuthResult(success=ok, handled=False)

        return check

    def __enter__(self) -> MailServer:
        self.controller.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.controller.stop()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Delivered]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} messages, got {len(self.messages)}")

    def to(self, address: str) -> list[Delivered]:
        with self.lock:
            return [m for m in self.messages if address in m.rcpt_tos]


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes
    signature_ok: bool

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class WebhookReceiver:
    """A chat-style webhook endpoint that verifies the signature with ``secret``."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.deliveries: list[Delivery] = []
        #: The HTTP status to answer (200 by default).
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.deliveries.append(Delivery(headers, body, receiver.verify(headers, body)))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/comments"

    def verify(self, headers: dict[str, str], body: bytes) -> bool:
        """What a receiver does: recompute HMAC-SHA256 over "<timestamp>.<body>"."""
        timestamp = headers.get("x-comments-timestamp", "")
        expected = hmac.new(
            self.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        given = headers.get("x-comments-signature", "")
        return hmac.compare_digest(f"sha256={expected}", given)

    def __enter__(self) -> WebhookReceiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        with contextlib.suppress(Exception):
            self.server.shutdown()
        self.server.server_close()
