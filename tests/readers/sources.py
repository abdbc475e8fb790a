"""A real HTTP server on 127.0.0.1 playing the other sites that send Webmentions."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Page:
    body: bytes
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the body is sent


class SourceServer:
    """Serves ``pages`` (path → :class:`Page`); anything else is 404. Thread-safe enough
    for tests: pages are replaced whole."""

    def __init__(self) -> None:
        self.pages: dict[str, Page] = {}
        self.requests: list[tuple[str, str]] = []  # (path, Host header)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append((self.path, self.headers.get("Host", "")))
                page = server.pages.get(self.path)
                if page is None:
                    page = Page(b"not here", status=404, content_type="text/plain")
                self.send_response(page.status)
                self.send_header("Content-Type", page.content_type)
                self.send_header("Content-Length", str(len(page.body)))
                for name, value in page.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if page.delay:
                    time.sleep(page.delay)
                with suppress(BrokenPipeError, ConnectionResetError):  # the client gave up
                    self.wfile.write(page.body)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet."""

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}"

    def html(self, path: str, html: str, **options: object) -> str:
        self.pages[path] = Page(html.encode("utf-8"), **options)  # type: ignore[arg-type]
        return self.url + path

    def redirect(self, path: str, to: str, status: int = 302) -> str:
        self.pages[path] = Page(b"", status=status, headers={"Location": to})
        return self.url + path


@contextmanager
def source_server() -> Iterator[SourceServer]:
    server = SourceServer()
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


def reply_page(
    target: str,
    *,
    author: str = "Ola Other",
    content: str = "A reply from my blog.",
    kind: str = "u-in-reply-to",
    author_url: str = "https://ola.example/",
) -> str:
    """An h-entry answering ``target`` (or liking it, with ``kind="u-like-of"``)."""
    return f"""<!DOCTYPE html>
<html><head><title>A post elsewhere</title></head>
<body>
<article class="h-entry">
  <a class="p-author h-card" href="{author_url}">{author}</a>
  <a class="{kind}" href="{target}">the article I answer</a>
  <div class="e-content">{content}</div>
  <time class="dt-published" datetime="2026-11-20T10:00:00+01:00">20 November</time>
</article>
</body></html>"""


@contextmanager
def drip_server(head: bytes, drip: bytes, interval: float) -> Iterator[str]:
    """A server on 127.0.0.1 that answers every request with ``head`` at once, then
    ``drip`` one byte every ``interval`` seconds (a server that is never quite silent,
    so no single read waits long); the address, while the block runs."""
    stop = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)

    def answer(connection: socket.socket) -> None:
        with connection, suppress(OSError):  # the client gave up: done
            connection.recv(65536)
            connection.sendall(head)
            for byte in drip:
                if stop.wait(interval):
                    return
                connection.sendall(bytes([byte]))

    def serve() -> None:
        while not stop.is_set():
            with suppress(TimeoutError):
                connection, _ = listener.accept()
                threading.Thread(target=answer, args=(connection,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/dripping"
    finally:
        stop.set()
        thread.join()
        listener.close()
