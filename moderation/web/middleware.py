"""Cross-cutting parts of every answer: security headers and the request size limit.

Both are plain ASGI middleware (no per-request objects beyond a closure): they
sit on the path of every submission, which has a millisecond budget.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: What a JSON or redirect answer may do: nothing. HTML pages set their own policy.
DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (
        b"permissions-policy",
        b"accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
        b"microphone=(), payment=(), usb=()",
    ),
    (b"cross-origin-opener-policy", b"same-origin"),
)


#: The answers of a page whose address holds a secret token (the reader's private link;
#: the links of emails: one-click moderation, confirming, unsubscribing): never cached,
#: and a request from the page (a link followed, an image) carries at most the origin
#: as its Referer, never the address. Not ``no-referrer``: a browser then sends
#: ``Origin: null`` with the page's own form, which the intake refuses (Chromium does).
TOKEN_PAGE_HEADERS = {"cache-control": "no-store", "referrer-policy": "strict-origin"}


class SecurityHeadersMiddleware:
    """Adds the security headers (and a default CSP and ``no-store``) to every answer.

    Every answer here is personal or single-use (tokens, forms, errors), so none
    may be cached; a route that wants a different CSP sets its own.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                # A route may choose its own (a private link's page sends no referrer).
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", DEFAULT_CSP.encode()))
                if b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RequestTooLarge(Exception):
    """The request body is larger than ``COMMENTS_MAX_REQUEST_BYTES``."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the request is larger than the limit of {limit:,} bytes")
        self.limit = limit


class BodyLimitMiddleware:
    """Stops reading a request body once it passes ``max_bytes``.

    A declared ``Content-Length`` over the limit is refused before anything is
    read; a chunked body without one is counted as it arrives, and the read that
    crosses the limit raises :class:`RequestTooLarge`, which
    :func:`moderation.web.parsing.read_fields` (every route's way to read a body)
    turns into a 413.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        declared = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                declared = value
                break
        if declared is not None:
            try:
                too_large = int(declared) > limit
            except ValueError:
                too_large = False  # the server rejects a malformed length itself
            if too_large:
                scope.setdefault("state", {})["request_too_large"] = limit
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            if scope.get("state", {}).get("request_too_large"):
                raise RequestTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise RequestTooLarge(limit)
            return message

        await self.app(scope, limited_receive, send)
