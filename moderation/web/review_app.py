"""The moderator's review queue in the browser: a thin face over :mod:`moderation.review`.

``create_review_app(settings, db_path)`` builds a Starlette app, separate from the
public intake service, that lists comments by state, shows everything screening
found about one of them, applies the same actions as the CLI (one comment or many
at once) and publishes approved comments with the CLI's publish function.

Every page works without JavaScript: actions are plain POST forms answered with a
redirect and a flash message (POST-redirect-GET). ``static/review.js`` only adds
keyboard shortcuts.

It is an administration tool, so it is guarded before anything else runs:

* it binds to 127.0.0.1 by default, and :func:`serve_review` refuses any other
  address unless ``MODERATION_REVIEW_PASSWORD`` is set;
* with a password, every request needs HTTP Basic auth (any user name);
* without one, only loopback ``Host`` names are answered, so a web page that
  rebinds its own domain to 127.0.0.1 cannot read the queue;
* every POST carries the session's CSRF token and must come from this origin;
* answers forbid framing, inline scripts and caching.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
import logging
import os
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from ..articles import ArticleInfo, load_articles
from ..errors import ModerationError, UnknownComment
from ..models import Comment, State, is_comment_id
from ..privacy import mask_email
from ..publish import publish_approved
from ..reloading import Reloading
from ..review import (
    ACTIONS,
    LinkInfo,
    ReviewReport,
    allowed_actions,
    bounded,
    links_in,
    moderate,
)
from ..settings import Settings
from ..store import ScreeningRecord, Store
from .middleware import SecurityHeadersMiddleware
from .templating import make_templates

logger = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"

PASSWORD_VARIABLE = "MODERATION_REVIEW_PASSWORD"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8081
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
REALM = "Comment review"
SESSION_COOKIE = "moderation_review"
SESSION_SECONDS = 12 * 60 * 60

PAGE_SIZE = 100
BODY_PREVIEW_CHARS = 600
MAX_NOTE = 1000
MAX_FILTER = 200
#: A flash message lives in the session cookie (4 kB in browsers): keep it short.
DETAIL_LINES = 8
FLASH_LINES = 16
FLASH_LINE_CHARS = 160

HTML_CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
QUEUE_STATES = (State.HELD, State.RECEIVED, State.SPAM, State.REJECTED, State.APPROVED)
ACTION_LABELS = {
    "approve": "Approve",
    "reject": "Reject",
    "spam": "Spam",
    "promo": "Promo",
    "restore": "Restore",
}
MAX_ID_CHARS = 100  # generated ids are 19; anything far longer is not one of ours


class ExposureError(ModerationError):
    """The review UI would be reachable from the network without a password."""

    exit_code = 2


class BadRequest(HTTPException):
    def __init__(self, detail: str) -> None:
        super().__init__(400, detail)


# -- guarding the door -------------------------------------------------------------


def is_loopback(host: str) -> bool:
    """True for an address or name that only this machine can reach."""
    host = host.strip().strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # any other name may resolve to a public address


def check_exposure(host: str, password: str | None) -> None:
    """Refuse to listen beyond loopback without a password."""
    if not password and not is_loopback(host):
        raise ExposureError(
            f"refusing to serve the review UI on {host}: it is reachable from other "
            f"machines. Set {PASSWORD_VARIABLE} to require a password, or bind to "
            f"{DEFAULT_HOST}"
        )


def _host_name(host_header: str) -> str:
    """The name part of a ``Host`` header (``[::1]:8081`` → ``::1``)."""
    if host_header.startswith("["):
        return host_header[1:].partition("]")[0].lower()
    return host_header.rpartition(":")[0].lower() if ":" in host_header else host_header.lower()


class ReviewGuardMiddleware:
    """Answers only allowed ``Host`` names, and asks for the password when one is set."""

    def __init__(self, app: ASGIApp, password: str | None, allowed_hosts: Sequence[str]) -> None:
        self.app = app
        self.password = password.encode("utf-8") if password else None
        self.allowed_hosts = {h.strip("[]").lower() for h in allowed_hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        host = _host_name(headers.get(b"host", b"").decode("latin-1"))
        if "*" not in self.allowed_hosts and host not in self.allowed_hosts:
            logger.warning("review UI: refused a request for host %r", host)
            response = Response(
                f"this review UI only answers requests for {', '.join(sorted(self.allowed_hosts))}",
                status_code=400,
                media_type="text/plain",
            )
            await response(scope, receive, send)
            return
        if self.password is not None:
            user = self._user(headers.get(b"authorization", b""))
            if user is None:
                response = Response(
                    "the review UI needs the moderator's password",
                    status_code=401,
                    media_type="text/plain",
                    headers={"www-authenticate": f'Basic realm="{REALM}", charset="UTF-8"'},
                )
                await response(scope, receive, send)
                return
            scope.setdefault("state", {})["user"] = user
        await self.app(scope, receive, send)

    def _user(self, authorization: bytes) -> str | None:
        """The user name of a request with the right password, else None."""
        scheme, _, credentials = authorization.partition(b" ")
        if scheme.lower() != b"basic":
            return None
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True)
        except (binascii.Error, ValueError):
            return None
        user, _, given = decoded.partition(b":")
        assert self.password is not None
        if not hmac.compare_digest(given, self.password):
            return None
        return user.decode("utf-8", "replace")[:50] or "moderator"


# -- what the pages show -------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One comment as the queue shows it."""

    comment: Comment
    email: str
    article_title: str | None
    latest: ScreeningRecord | None
    body_preview: str
    links: list[LinkInfo]
    actions: list[str]


def article_index(settings: Settings) -> Reloading[dict[str, ArticleInfo]]:
    """:func:`load_articles`, read again only when the content folder changes.

    Parsing every article on every request would cost more than the page itself.
    Adding, editing, removing or renaming an article gives a file or folder under
    the content folder a newer time or size; the comment files are left out
    (publishing writes there; they are not articles).
    """

    def stamp() -> tuple[int, int, int]:
        comments_dir = settings.comments_dir.resolve()
        newest = entries = size = 0
        for folder, subfolders, files in os.walk(settings.path("PATH")):
            here = Path(folder)
            subfolders[:] = [d for d in subfolders if (here / d).resolve() != comments_dir]
            for path in [here, *(here / name for name in files)]:
                try:
                    facts = path.stat()
                except OSError:
                    continue  # removed while we looked: its folder's time shows it
                newest = max(newest, facts.st_mtime_ns)
                entries += 1
                size += facts.st_size
        return newest, entries, size

    return Reloading(stamp, lambda: load_articles(settings), interval=0, name="article index")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


# -- the app ---------------------------------------------------------------------------


class ReviewService:
    """Everything the routes need, built once when the app is made."""

    def __init__(
        self,
        settings: Settings,
        db_path: Path,
        *,
        http_client: httpx.Client | None = None,
    ) -> None:
        self.settings = settings
        self.db_path = Path(db_path)
        self.http_client = http_client
        self.articles = article_index(settings)
        with Store(self.db_path) as store:  # creates or migrates the file, fails early
            self.session_secret = store.keys.keyed_hash("review session", "cookie signing", 64)
        self.templates = make_templates(
            "review",
            site_name=settings["SITENAME"] or "Comments",
            lang=settings["DEFAULT_LANG"] or "en",
            action_labels=ACTION_LABELS,
            states=[str(s) for s in QUEUE_STATES],
        ).env

    def _store(self) -> Store:
        # One connection per call: handlers run on whichever worker thread is free.
        return Store(self.db_path)

    # -- GET / -------------------------------------------------------------------------

    async def queue(self, request: Request) -> Response:
        params = request.query_params
        status = params.get("status", str(State.HELD)) or str(State.HELD)
        if status != "all" and status not in {str(s) for s in State}:
            raise BadRequest(
                f"status: unknown state {status!r} "
                f"(one of: all, {', '.join(str(s) for s in QUEUE_STATES)})"
            )
        article = params.get("article", "").strip()[:MAX_FILTER] or None
        reason = params.get("reason", "").strip()[:MAX_FILTER] or None
        try:
            page = int(params.get("page", "1"))
            if page < 1:
                raise ValueError
        except ValueError:
            raise BadRequest(
                f"page: {params.get('page')!r} is not a page number (1, 2, ...)"
            ) from None
        data = await run_in_threadpool(
            self._queue_data, None if status == "all" else status, article, reason, page
        )
        filters = {"status": status, "article": article or "", "reason": reason or ""}
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return self._page(
            request,
            "queue.html",
            **data,
            filters=filters,
            status=status,
            here=here,
            page_url=lambda n: "/?" + urlencode({**filters, "page": n}),
            tab_url=lambda s: "/?" + urlencode({**filters, "status": s}),
        )

    def _queue_data(
        self, status: str | None, article: str | None, reason: str | None, page: int
    ) -> dict[str, Any]:
        articles = self.articles.get()
        with self._store() as store:
            counts = store.comments.counts()
            matching = store.comments.count(status=status, article=article, reason=reason)
            pages = max(1, -(-matching // PAGE_SIZE))
            # Past the end (the last page was just emptied by an action): show the last one.
            page = min(page, pages)
            start = (page - 1) * PAGE_SIZE
            shown = store.comments.list(
                status=status, article=article, reason=reason, limit=PAGE_SIZE, offset=start
            )
            rows = [
                Row(
                    comment=comment,
                    email=mask_email(comment.email),
                    article_title=articles[comment.article].title
                    if comment.article in articles
                    else None,
                    latest=store.screenings.latest(comment.id),
                    body_preview=_clip(comment.body, BODY_PREVIEW_CHARS),
                    links=links_in(comment.body),
                    actions=allowed_actions(comment.status),
                )
                for comment in shown
            ]
        slugs = sorted(set(articles) | ({article} if article else set()))
        return {
            "counts": counts,
            "total": sum(counts.values()),
            "rows": rows,
            "matching": matching,
            "page": page,
            "pages": pages,
            "first": start + 1,
            "articles": [
                (slug, articles[slug].title if slug in articles else slug) for slug in slugs
            ],
            "bulk_actions": ACTIONS,
        }

    # -- GET /comments/{id} ----------------------------------------------------------------

    async def comment(self, request: Request) -> Response:
        comment_id = request.path_params["comment_id"]
        if not is_comment_id(comment_id):
            raise HTTPException(404, f"there is no comment {comment_id!r}")
        try:
            data = await run_in_threadpool(self._comment_data, comment_id)
        except UnknownComment as exc:
            raise HTTPException(404, str(exc)) from exc
        return self._page(request, "comment.html", **data, here=request.url.path)

    def _comment_data(self, comment_id: str) -> dict[str, Any]:
        articles = self.articles.get()
        with self._store() as store:
            comment = store.comments.get(comment_id)
            parent = None
            if comment.reply_to:
                try:
                    parent = store.comments.get(comment.reply_to)
                except UnknownComment:
                    parent = None  # a hand-written file the store never saw
            return {
                "comment": comment,
                "email": mask_email(comment.email),
                "article_title": articles[comment.article].title
                if comment.article in articles
                else None,
                "context": store.privacy.request_context(comment_id),
                "runs": store.screenings.of(comment_id),
                "decisions": store.decisions.of(comment_id),
                "links": links_in(comment.body),
                "next_check": store.screenings.next_check_at(comment_id),
                "failing_since": store.screenings.first_failure_at(comment_id),
                "parent": parent,
                "actions": allowed_actions(comment.status),
            }

    # -- POST /moderate --------------------------------------------------------------------

    async def moderate(self, request: Request) -> Response:
        form = await self._checked_form(request)
        back = _local_path(form.get("next"))
        action, ids = _targets(form)
        note = str(form.get("note") or "").strip()[:MAX_NOTE] or None
        if not action or not ids:
            problem = (
                "Choose an action first." if not action else "Select at least one comment first."
            )
            self._flash(request, "error", [problem])
            return RedirectResponse(back, status_code=303)
        actor = f"{request.scope.get('state', {}).get('user', 'moderator')} (web)"
        try:
            report = await run_in_threadpool(self._moderate, ids, action, actor, note)
        except ModerationError as exc:
            # moderate() checks every id and move first: an error means nothing changed.
            self._flash(request, "error", [f"Nothing was changed: {exc}."])
            return RedirectResponse(back, status_code=303)
        logger.info("review UI: %s %s by %s", action, ", ".join(ids), actor)
        lines = report.lines(limit=DETAIL_LINES)
        self._flash(request, "error" if report.warnings else "ok", lines)
        return RedirectResponse(back, status_code=303)

    def _moderate(self, ids: list[str], action: str, actor: str, note: str | None) -> ReviewReport:
        with self._store() as store:
            return moderate(
                store,
                self.settings,
                ids,
                action,
                actor=actor,
                note=note,
                http_client=self.http_client,
            )

    # -- POST /publish -----------------------------------------------------------------------

    async def publish(self, request: Request) -> Response:
        form = await self._checked_form(request)
        back = _local_path(form.get("next"))
        try:
            lines = await run_in_threadpool(self._publish)
        except ModerationError as exc:
            self._flash(request, "error", [f"Publishing failed: {exc}"])
            return RedirectResponse(back, status_code=303)
        self._flash(request, "ok", lines)
        return RedirectResponse(back, status_code=303)

    def _publish(self) -> list[str]:
        with self._store() as store:
            report = publish_approved(store, self.settings)
        lines = [f"Published to {report.summary()}."]
        lines += bounded(
            [line.replace(f"{report.comments_dir}/", "") for line in report.lines()], DETAIL_LINES
        )
        if report.retention_hashed:
            lines.append(
                f"retention: replaced the IP and user agent of {report.retention_hashed} comment(s)"
            )
        if report.changed:
            lines.append("Rebuild and deploy the site to show the changes.")
        return lines

    # -- CSRF, flash messages and pages ------------------------------------------------------------

    async def _checked_form(self, request: Request) -> FormData:
        """The posted form, once it is known to come from our own page in this session."""
        _check_same_origin(request)
        form = await request.form(max_files=0, max_fields=2 * PAGE_SIZE + 20)
        expected = request.session.get("csrf")
        given = form.get("csrf")
        if not expected or not isinstance(given, str) or not hmac.compare_digest(given, expected):
            logger.warning(
                "review UI: refused a POST to %s without a valid CSRF token", request.url.path
            )
            raise HTTPException(
                403,
                "the form's security token is missing or stale (is the session cookie "
                "blocked?); reload the page and try again",
            )
        return form

    def _flash(self, request: Request, kind: str, lines: list[str]) -> None:
        clipped = [_clip(line, FLASH_LINE_CHARS) for line in lines[:FLASH_LINES]]
        request.session["flash"] = {"kind": kind, "lines": clipped}

    def _page(
        self, request: Request, template: str, status_code: int = 200, **context: Any
    ) -> Response:
        session = request.session
        if "csrf" not in session:
            session["csrf"] = secrets.token_urlsafe(32)
        html = self.templates.get_template(template).render(
            **context,
            csrf=session["csrf"],
            flash=session.pop("flash", None),
        )
        return HTMLResponse(
            html, status_code=status_code, headers={"content-security-policy": HTML_CSP}
        )

    async def http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        heading = {
            400: "That request cannot be answered",
            403: "Refused",
            404: "Not found",
            405: "Not allowed",
        }.get(exc.status_code, "Error")
        message = {404: "there is nothing here", 405: "this method is not allowed here"}.get(
            exc.status_code, exc.detail
        )
        if exc.status_code == 404 and exc.detail != "Not Found":
            message = exc.detail
        html = self.templates.get_template("message.html").render(heading=heading, message=message)
        return HTMLResponse(
            html,
            status_code=exc.status_code,
            headers={"content-security-policy": HTML_CSP, **(exc.headers or {})},
        )


def _check_same_origin(request: Request) -> None:
    """403 unless the POST says it comes from a page of this very origin."""
    # Host and port only: behind a TLS proxy the app sees http while the browser says https.
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


def _local_path(value: Any) -> str:
    """Where to go back to: a path on this site, never another site (``//evil``)."""
    if (
        isinstance(value, str)
        and value.startswith("/")
        and not value.startswith("//")
        and "\\" not in value
        and not any(ord(ch) < 32 for ch in value)
    ):
        return value
    return "/"


def _targets(form: FormData) -> tuple[str, list[str]]:
    """The action ("" when none was chosen) and the comment ids a moderation form asks for.

    A row's own button sends ``one=ACTION ID``; the bulk bar sends ``action`` with
    the ticked ``ids``, or with every id shown on the page (``scope=page``).
    """
    one = form.get("one")
    if isinstance(one, str) and one:
        action, _, comment_id = one.partition(" ")
        ids = [comment_id]
    else:
        action = str(form.get("action") or "")
        field = "shown" if form.get("scope") == "page" else "ids"
        ids = [str(value) for value in form.getlist(field)]
    if action and action not in ACTIONS:
        raise BadRequest(f"action: unknown action {action!r} (one of: {', '.join(ACTIONS)})")
    for comment_id in ids:
        if not is_comment_id(comment_id):
            raise BadRequest(f"ids: {comment_id!r} is not a comment id")
    return action, list(dict.fromkeys(ids))


def create_review_app(
    settings: Settings,
    db_path: str | Path,
    *,
    password: str | None = None,
    http_client: httpx.Client | None = None,
    allowed_hosts: Iterable[str] | None = None,
) -> Starlette:
    """The review UI as an ASGI app (see the module docstring for what guards it).

    ``password`` defaults to ``$MODERATION_REVIEW_PASSWORD``; when there is none,
    only loopback ``Host`` names are answered unless ``allowed_hosts`` says otherwise.
    ``http_client`` carries Akismet feedback (tests give it a mock transport).
    """
    if password is None:
        password = os.environ.get(PASSWORD_VARIABLE) or None
    if allowed_hosts is None:
        allowed_hosts = ["*"] if password else LOOPBACK_HOSTS
    service = ReviewService(settings, Path(db_path), http_client=http_client)
    app = Starlette(
        routes=[
            Route("/", service.queue, methods=["GET"], name="queue"),
            Route("/comments/{comment_id}", service.comment, methods=["GET"], name="comment"),
            Route("/moderate", service.moderate, methods=["POST"], name="moderate"),
            Route("/publish", service.publish, methods=["POST"], name="publish"),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        middleware=[
            Middleware(SecurityHeadersMiddleware),
            Middleware(ReviewGuardMiddleware, password=password, allowed_hosts=list(allowed_hosts)),
            Middleware(
                SessionMiddleware,
                secret_key=service.session_secret,
                session_cookie=SESSION_COOKIE,
                max_age=SESSION_SECONDS,
                same_site="lax",
            ),
        ],
        exception_handlers={HTTPException: service.http_error},
    )
    app.state.service = service
    return app


def serve_review(
    settings: Settings,
    db_path: str | Path,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    password: str | None = None,
) -> None:
    """Run the review UI with uvicorn until interrupted (what ``review-server`` calls)."""
    import uvicorn

    if password is None:
        password = os.environ.get(PASSWORD_VARIABLE) or None
    check_exposure(host, password)
    allowed = ["*"] if password else [*LOOPBACK_HOSTS, host]
    app = create_review_app(settings, db_path, password=password, allowed_hosts=allowed)
    logger.info(
        "review UI on http://%s:%d/ (%s)",
        host if ":" not in host else f"[{host}]",
        port,
        "password required" if password else "no password: loopback only",
    )
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="off",
        proxy_headers=False,
        server_header=False,
        access_log=False,
    )
    uvicorn.Server(config).run()
