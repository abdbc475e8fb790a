"""An emulated Akismet HTTP API, for the real ``akismet`` client to talk to.

Two ways in, one behaviour:

* :meth:`FakeAkismet.transport` — an ``httpx.MockTransport`` for in-process
  tests: ``akismet.SyncClient(config=..., http_client=fake.http_client())``.
* :class:`FakeAkismetServer` — a real HTTP server on 127.0.0.1 (a thread, port
  0) for subprocesses and benchmarks: point ``MODERATION_AKISMET_ENDPOINT`` at
  ``server.url``.

``verdict`` decides what comment-check answers: ``"ham"``, ``"spam"``,
``"discard"``, ``"invalid"`` (the key is refused), ``"error"`` (HTTP 500),
``"timeout"`` (the transport times out; the server stalls for ``stall``
seconds) or ``"garbage"`` (an answer the client cannot parse). As Akismet
does, the author ``viagra-test-123`` is always spam and ``user_role=administrator``
always ham. Every request is recorded with its form data.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import httpx

VERDICTS = ("ham", "spam", "discard", "invalid", "error", "timeout", "garbage")
THANKS = "Thanks for making the web a better place."


@dataclass(frozen=True)
class RecordedRequest:
    endpoint: str  # "comment-check", "submit-spam", "submit-ham", "verify-key", ...
    form: dict[str, str]


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    headers: dict[str, str]
    stall: bool = False  # the server should not answer in time


class FakeAkismet:
    """Akismet's behaviour, independent of how requests arrive."""

    def __init__(
        self,
        verdict: str = "ham",
        *,
        delay: float = 0.0,
        key: str = "test-key",
        decide: Callable[[dict[str, str]], str] | None = None,
    ) -> None:
        if verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {verdict!r}")
        self.verdict = verdict
        self.delay = delay
        self.key = key
        self.decide = decide
        self.requests: list[RecordedRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0  # the most requests it was answering at once
        self._lock = threading.Lock()

    # -- what Akismet says ----------------------------------------------------

    def answer(self, path: str, form: dict[str, str]) -> Answer:
        endpoint = path.rstrip("/").rsplit("/", 1)[-1]
        with self._lock:
            self.requests.append(RecordedRequest(endpoint, dict(form)))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                time.sleep(self.delay)
        finally:
            with self._lock:
                self.in_flight -= 1
        verdict = self.decide(form) if self.decide else self.verdict
        if form.get("comment_author") == "viagra-test-123":
            verdict = "spam"
        elif form.get("user_role") == "administrator":
            verdict = "ham"
        if verdict == "error":
            return Answer(500, "Internal Server Error", {})
        if verdict == "timeout":
            return Answer(200, "false", {}, stall=True)
        sent_key = form.get("api_key") or form.get("key")  # verify-key calls it "key"
        key_ok = verdict != "invalid" and sent_key == self.key
        if endpoint == "verify-key":
            return Answer(200, "valid" if key_ok else "invalid", {})
        if not key_ok:
            return Answer(200, "invalid", {"X-akismet-debug-help": "We were unable to verify"})
        if verdict == "garbage":
            return Answer(200, "maybe?", {})
        if endpoint == "comment-check":
            if verdict == "discard":
                return Answer(200, "true", {"X-akismet-pro-tip": "discard"})
            return Answer(200, "true" if verdict == "spam" else "false", {})
        if endpoint in ("submit-spam", "submit-ham"):
            return Answer(200, THANKS, {})
        return Answer(404, "unknown endpoint", {})

    # -- in-process: httpx.MockTransport ----------------------------------------

    def handler(self, request: httpx.Request) -> httpx.Response:
        form = dict(parse_qsl(request.content.decode("utf-8"), keep_blank_values=True))
        if request.method == "GET":
            form = dict(request.url.params)
        answer = self.answer(request.url.path, form)
        if answer.stall:
            raise httpx.ReadTimeout("emulated Akismet timeout", request=request)
        return httpx.Response(answer.status, text=answer.body, headers=answer.headers)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)

    def http_client(self) -> httpx.Client:
        return httpx.Client(transport=self.transport())

    # -- what the tests look at ---------------------------------------------------

    def sent(self, endpoint: str) -> list[dict[str, str]]:
        """The form data of every request to ``endpoint``, in order."""
        with self._lock:
            return [r.form for r in self.requests if r.endpoint == endpoint]


def make_handler(verdict: str = "ham", *, delay: float = 0.0, key: str = "test-key") -> FakeAkismet:
    """A fake whose ``.handler`` goes into ``httpx.MockTransport`` (and records requests)."""
    return FakeAkismet(verdict, delay=delay, key=key)


class FakeAkismetServer:
    """A real HTTP server on 127.0.0.1 answering like :class:`FakeAkismet`.

    ``with FakeAkismetServer(FakeAkismet("spam")) as server:`` then send the
    client to ``server.url`` (``MODERATION_AKISMET_ENDPOINT``). A ``timeout``
    verdict holds the answer back for ``stall`` seconds.
    """

    def __init__(self, fake: FakeAkismet | None = None, *, stall: float = 10.0) -> None:
        self.fake = fake or FakeAkismet()
        self.stall = stall
        fake_ref, stall_seconds = self.fake, stall

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as rest.akismet.com
            # Headers and body go out in two writes; with Nagle's algorithm the
            # second waits for the client's delayed ACK (~40 ms a request).
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8")
                self._reply(dict(parse_qsl(body, keep_blank_values=True)))

            def do_GET(self) -> None:
                query = self.path.partition("?")[2]
                self._reply(dict(parse_qsl(query, keep_blank_values=True)))

            def _reply(self, form: dict[str, str]) -> None:
                answer = fake_ref.answer(self.path.partition("?")[0], form)
                if answer.stall:
                    time.sleep(stall_seconds)
                payload = answer.body.encode("utf-8")
                self.send_response(answer.status)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:
                return  # keep test output clean

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeAkismetServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeAkismetServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
