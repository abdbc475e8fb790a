"""Who may use the review server: moderator logins, sessions and CSRF (issue 10).

The pieces, outermost first (see :func:`auth_middleware`):

* uvicorn's ``ProxyHeadersMiddleware`` believes ``X-Forwarded-Proto`` and
  ``X-Forwarded-For`` **only** from the peers in ``COMMENTS_TRUSTED_PROXIES`` (the
  same rule as the intake: default loopback, i.e. a reverse proxy on this host).
  So ``request.url.scheme`` is ``https`` when TLS ended at such a proxy, and the
  client address the login limits count is the reader's, not the proxy's.
* Starlette's ``TrustedHostMiddleware`` answers only the ``Host`` names given
  (loopback names and the bound address by default), so a page that rebinds its
  own domain to this server gets nothing but a 400.
* Starlette's ``AuthenticationMiddleware`` with :class:`SessionBackend` finds the
  session named by the cookie in the store (:mod:`moderation.accounts`), and
  :class:`RequireLogin` refuses every path but ``/login`` without one: a 303 to
  ``/login`` for a page, a 401 for a JSON request.

The session cookie is HttpOnly and SameSite=Strict, and Secure whenever the
request came over https (directly, or through a trusted proxy that says so). Every
POST carries a CSRF token: the session's own, or for the login form a token bound
to a short-lived cookie of the login page (there is no session yet).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    BaseUser,
)
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from .. import accounts
from ..store import SessionRecord, Store

logger = logging.getLogger(__name__)

SESSION_COOKIE = "moderation_session"
LOGIN_COOKIE = "moderation_login"
LOGIN_PATH = "/login"
#: How long a login form stays valid.
LOGIN_FORM_SECONDS = 60 * 60
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class SessionUser(BaseUser):
    """A logged-in moderator, with the session that proves it."""

    def __init__(self, session: SessionRecord) -> None:
        self.session = session

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.session.moderator

    @property
    def identity(self) -> str:
        return self.session.moderator


class SessionBackend(AuthenticationBackend):
    """Finds the moderator's session from the cookie, in the store."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        token = conn.cookies.get(SESSION_COOKIE)
        if not token:
            return None
        record = await run_in_threadpool(self._lookup, token)
        if record is None:
            return None
        return AuthCredentials(["moderator"]), SessionUser(record)

    def _lookup(self, token: str) -> SessionRecord | None:
        with Store(self.db_path) as store:
            return accounts.valid_session(store, token)


def wants_json(conn: HTTPConnection) -> bool:
    """Whether the client asked for JSON (the page's script does; a browser never)."""
    accept = conn.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


class RequireLogin:
    """Refuses every path except the login page to a request without a session."""

    def __init__(self, app: ASGIApp, public: Sequence[str] = (LOGIN_PATH,)) -> None:
        self.app = app
        self.public = set(public)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.public:
            await self.app(scope, receive, send)
            return
        user = scope.get("user")
        if user is not None and user.is_authenticated:
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        response: Response
        if wants_json(conn):
            response = JSONResponse(
                {"error": "not logged in", "login": LOGIN_PATH},
                status_code=401,
            )
        else:
            response = RedirectResponse(LOGIN_PATH, status_code=303)
        await response(scope, receive, send)


def auth_middleware(
    db_path: Path, *, allowed_hosts: Sequence[str], trusted_proxies: Sequence[str]
) -> list[Middleware]:
    """The middleware stack that guards the review app, outermost first."""
    return [
        Middleware(ProxyHeadersMiddleware, trusted_hosts=list(trusted_proxies)),
        Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts)),
        Middleware(AuthenticationMiddleware, backend=SessionBackend(db_path)),
        Middleware(RequireLogin),
    ]


# -- cookies -------------------------------------------------------------------------------


def is_https(request: Request) -> bool:
    """Served over https: by our own TLS, or by a trusted proxy that said so."""
    return request.url.scheme == "https"


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(accounts.SESSION_MAX_AGE.total_seconds()),
        path="/",
        httponly=True,
        samesite="strict",
        secure=is_https(request),
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=is_https(request)
    )


# -- CSRF ---------------------------------------------------------------------------------


def login_form_token(secret: bytes, nonce: str) -> str:
    """The login form's CSRF token: bound to the nonce in the login page's cookie."""
    return hmac.new(secret, f"login form\x1f{nonce}".encode(), hashlib.sha256).hexdigest()


def login_nonce(response: Response, request: Request) -> str:
    """The login page's nonce: the browser's own if it has one (another tab's form,
    or the form just posted, stays valid), else a new one; set in a cookie either way."""
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if not (20 <= len(nonce) <= 100 and nonce.replace("-", "").replace("_", "").isalnum()):
        nonce = secrets.token_urlsafe(32)
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        max_age=LOGIN_FORM_SECONDS,
        path=LOGIN_PATH,
        httponly=True,
        samesite="strict",
        secure=is_https(request),
    )
    return nonce


def check_same_origin(request: Request) -> None:
    """403 unless the POST says it comes from a page of this very origin."""
    # Host and port only: behind a TLS proxy the app may see http while the browser says https.
    own = request.headers.get("host", "").lower()
    for header in ("origin", "referer"):
        value = request.headers.get(header)
        if not value:
            continue
        parts = urlsplit(value)
        if value == "null" or parts.scheme not in ("http", "https") or parts.netloc.lower() != own:
            logger.warning("review UI: refused a POST from %s", value)
            raise HTTPException(403, f"this form only accepts posts from {own}, not from {value}")
        return
    raise HTTPException(
        403,
        "the request says neither where it comes from (Origin) nor which page sent it (Referer)",
    )


def _token_matches(given: object, expected: str | None) -> bool:
    return bool(expected) and isinstance(given, str) and hmac.compare_digest(given, expected or "")


def refuse_csrf(request: Request) -> HTTPException:
    logger.warning("review UI: refused a POST to %s without a valid CSRF token", request.url.path)
    return HTTPException(
        403,
        "the form's security token is missing or stale (is the session cookie blocked?); "
        "reload the page and try again",
    )


async def _read_form(request: Request, max_fields: int) -> FormData:
    try:
        return await request.form(max_files=0, max_fields=max_fields)
    except (UnicodeError, LookupError) as exc:  # a part's text in a codec that cannot read it
        raise HTTPException(400, f"the form cannot be read: {exc}") from None


async def checked_form(request: Request, *, max_fields: int = 1000) -> FormData:
    """The posted form of a logged-in moderator, once it is known to come from our own
    page in this session (same origin, the session's CSRF token)."""
    check_same_origin(request)
    form = await _read_form(request, max_fields)
    user = request.user
    expected = user.session.csrf_token if isinstance(user, SessionUser) else None
    given = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
    if not _token_matches(given, expected):
        raise refuse_csrf(request)
    return form


async def checked_login_form(request: Request, secret: bytes) -> FormData:
    """The posted login form, once its token matches the login page's cookie."""
    check_same_origin(request)
    form = await _read_form(request, 10)
    nonce = request.cookies.get(LOGIN_COOKIE)
    expected = login_form_token(secret, nonce) if nonce else None
    if not _token_matches(form.get(CSRF_FIELD), expected):
        raise refuse_csrf(request)
    return form
