"""The intake service's routes: thin Starlette handlers over ``moderation.intake``.

``POST /comments`` takes the theme's form (urlencoded or multipart) or JSON,
validates it, stores it through the writer thread (committed before the answer)
and answers 303 to the site's thank-you page, or 202 with the new id for JSON.
Screening happens afterwards in the worker thread. ``GET /comments/token`` gives
the form its token, ``GET /comments/form`` renders the form for reply links and
browsers without JavaScript, and ``GET /health`` reports on the service.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import threading
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import httpx
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from comment_format.avatars import identicon_svg
from comment_format.closing import site_timezone
from comment_format.i18n import Message
from comment_format.render import RenderProblem, render_body

from ..editing import EditLinks, edit_url
from ..errors import UnknownComment, ValidationError
from ..intake import (
    FormTokens,
    IntakeError,
    RateLimited,
    RateLimiter,
    SiteNotBuilt,
    Submission,
    Thread,
    ThreadIndex,
    UnknownParent,
    client_ip,
    field_error,
    first_language,
    origin_of,
    parse_networks,
    rate_limit_key,
)
from ..models import Comment, State, is_comment_id
from ..settings import Settings
from ..store import Store
from ..store.db import BUSY_TIMEOUT_SECONDS
from ..store.keys import avatar_hash
from ..submission import parse_submission, wants_reply_emails
from . import languages, parsing
from .link_pages import LinkPages
from .middleware import BodyLimitMiddleware, SecurityHeadersMiddleware
from .own_comment import OwnCommentPages
from .retrainer import Retrainer
from .templating import make_templates
from .webmentions import MentionWorker, WebmentionEndpoint
from .worker import OutboxWorker, ScreeningWorker
from .writer import CommentWriter

logger = logging.getLogger(__name__)

#: Inlined into every page (allowed by its hash in the CSP): no extra request.
STYLESHEET = Path(__file__).parent / "static" / "form.css"
MAX_USER_AGENT = 512
MAX_REFERRER = 2048


class Forbidden(IntakeError):
    status_code = 403


class IntakeService:
    """Everything the routes need, built once when the app is made."""

    def __init__(
        self,
        settings: Settings,
        db_path: Path,
        *,
        screen_in_background: bool = True,
        http_client: httpx.Client | None = None,
        busy_timeout: float = BUSY_TIMEOUT_SECONDS,
    ) -> None:
        self.settings = settings
        self.db_path = Path(db_path)
        with Store(self.db_path) as store:  # creates or migrates the file, fails early
            secret = store.keys.secret
        self.tokens = FormTokens(secret, min_seconds=settings["COMMENTS_MIN_SECONDS"])
        self.secret = secret
        # Issue 13: the private link to change or withdraw one's own comment.
        self.links = EditLinks(secret)
        self.intake_url = settings["COMMENTS_INTAKE_URL"].rstrip("/")
        self.default_lang = settings["DEFAULT_LANG"] or "en"
        self.index = ThreadIndex.from_settings(settings)
        self.limiter = RateLimiter(settings["COMMENTS_RATE_LIMIT"])
        self.trusted = parse_networks(settings["COMMENTS_TRUSTED_PROXIES"])
        self.honeypot = settings["COMMENTS_HONEYPOT_FIELD"]
        self.site_url = settings["COMMENTS_SITE_URL"].rstrip("/")
        self.thanks_url = _on_site(self.site_url, settings["COMMENTS_THANKS_URL"])
        self.privacy_url = (
            _on_site(self.site_url, settings["COMMENTS_PRIVACY_URL"])
            if settings["COMMENTS_PRIVACY_URL"]
            else ""
        )
        origins = [*settings["COMMENTS_ALLOWED_ORIGINS"], self.site_url]
        origins.append(settings["COMMENTS_INTAKE_URL"])
        self.allowed_origins = frozenset(o for o in map(origin_of, origins) if o)
        self.allow_null_origin = settings["COMMENTS_ALLOW_NULL_ORIGIN"]
        write_lock = threading.Lock()  # see .locking: the threads queue for SQLite's lock
        self.write_lock = write_lock
        self.worker = (
            ScreeningWorker(settings, self.db_path, http_client=http_client, write_lock=write_lock)
            if screen_in_background
            else None
        )
        self.writer = CommentWriter(
            self.db_path,
            on_stored=self.worker.notify if self.worker else None,
            write_lock=write_lock,
            busy_timeout=busy_timeout,
        )
        if self.worker is not None:
            self.worker.intake_busy = self.writer.busy
        # Issue 11: alerts and reply emails, sent by their own thread.
        self.outbox = (
            OutboxWorker(settings, self.db_path, write_lock=write_lock)
            if screen_in_background
            else None
        )
        if self.worker is not None and self.outbox is not None:
            self.worker.after_screening = self.outbox.wake
        # Issue 13: Webmention sources are fetched and checked by a thread of their own.
        self.mentions = (
            MentionWorker(
                settings, self.db_path, write_lock=write_lock, on_comments=self.worker.notify
            )
            if self.worker is not None
            else None
        )
        # One-click moderation decisions teach the model in the background, as the
        # review server's do: no request waits for a retrain.
        self.retrainer = Retrainer(settings, self.db_path, write_lock=write_lock)
        self.templates = make_templates().env
        self.timezone = site_timezone(settings["TIMEZONE"])
        languages.install(self.templates, self.timezone)
        style = STYLESHEET.read_text(encoding="utf-8")
        style_hash = base64.b64encode(hashlib.sha256(style.encode("utf-8")).digest()).decode()
        site_origin = origin_of(self.site_url) or ""
        self.html_csp = (
            f"default-src 'none'; style-src 'sha256-{style_hash}'; "
            f"form-action 'self' {site_origin}; frame-ancestors 'none'; base-uri 'none'"
        )
        self.page_globals = {
            "style": Markup(style),
            "site_name": settings["SITENAME"] or "Comments",
            "lang": settings["DEFAULT_LANG"] or "en",
            "honeypot": self.honeypot,
            "avatar_service": settings["COMMENTS_AVATARS"],
            "privacy_url": self.privacy_url,
            "field_ids": {
                "name": "comment-name",
                "email": "comment-email",
                "url": "comment-url",
                "body": "comment-body",
            },
        }

    # -- life cycle -----------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        self.writer.start()
        if self.worker is not None:
            self.worker.start()
        if self.outbox is not None:
            self.outbox.start()
        if self.mentions is not None:
            self.mentions.start()
        logger.info("intake ready: database %s, thread index %s", self.db_path, self.index.path)
        try:
            yield
        finally:
            await run_in_threadpool(self.writer.stop)
            if self.worker is not None:
                await run_in_threadpool(self.worker.stop)
            if self.outbox is not None:
                await run_in_threadpool(self.outbox.stop)
            if self.mentions is not None:
                await run_in_threadpool(self.mentions.stop)
            await run_in_threadpool(self.retrainer.stop)

    # -- POST /comments ----------------------------------------------------------------

    async def submit(self, request: Request) -> Response:
        kind, options = parsing.media_type(request.headers.get("content-type"))
        as_html = _wants_html(request, kind)
        fields: dict[str, Any] = {}
        thread: Thread | None = None
        try:
            self._check_origin(request)
            parsing.check_content_type(kind, options)
            fields = await parsing.read_fields(request, kind)
            comment = self._comment(request, fields, "json" if kind == parsing.JSON else "form")
            thread = self.index.thread_for(comment.article)
            if _filled(fields.get("preview")):
                # Issue 13: nothing is stored, nothing counts against the rate limit.
                return self._preview(request, comment, fields, thread, as_html)
            retry_after = self.limiter.hit(rate_limit_key(comment.ip))
            if retry_after is not None:
                raise RateLimited(
                    Message(
                        "you have sent too many comments in the last minute; please wait "
                        "{seconds} seconds and send it again",
                        seconds=retry_after,
                    ),
                    retry_after,
                )
            stored = await self.writer.submit(
                Submission(
                    comment,
                    honeypot=_filled(fields.get(self.honeypot)),
                    published_ids=thread.comment_ids,
                    notify_replies=wants_reply_emails(fields, comment.email),
                )
            )
        except ValidationError as exc:
            return self._error(request, field_error(exc), as_html, fields, thread)
        except IntakeError as exc:
            return self._error(request, exc, as_html, fields, thread)
        # Issue 13: the answer carries the private link to change or withdraw it.
        token = self.links.mint(stored.id)
        if as_html:
            # Relative, like this service's own form: the browser stays on the host
            # it posted to (COMMENTS_INTAKE_URL, or the reverse proxy in front).
            return RedirectResponse(f"/comments/thanks/{token}", status_code=303)
        # A honeypot catch is answered exactly like any other comment.
        return JSONResponse(
            {
                "id": stored.id,
                "status": str(State.RECEIVED),
                "edit_url": edit_url(self.settings, token),
            },
            status_code=202,
        )

    def render(self, template: str, lang: str, **values: Any) -> str:
        """A page of ours in ``lang`` (the page globals, then ``values``)."""
        page = self.templates.get_template(template)
        return page.render({**self.page_globals, **values, "lang": lang})

    def lang_of(self, thread: Thread | None) -> str:
        """The language of a page about ``thread``: the article's, else the site's."""
        return (thread.lang if thread is not None else None) or self.default_lang

    def lang_of_article(self, article: str | None) -> str:
        """The language of ``article`` (open, closed or unknown), else the site's."""
        try:
            thread = self.index.threads().get(article) if article else None
        except IntakeError:  # the site is not built: its own language
            thread = None
        return self.lang_of(thread)

    def preview_of(self, author: str, email: str | None, body: str) -> dict[str, Any]:
        """What the preview shows: the body rendered exactly as the plugin renders it
        (comment_format.render), and the identicon the published comment will have."""
        hashed = avatar_hash(self.secret, email)
        return {
            "author": author,
            "html": Markup(render_body(body)),
            "avatar": Markup(identicon_svg(hashed)) if hashed else None,
        }

    def _preview(
        self,
        request: Request,
        comment: Comment,
        fields: Mapping[str, Any],
        thread: Thread,
        as_html: bool,
    ) -> Response:
        try:
            preview = self.preview_of(comment.author, comment.email, comment.body)
        except RenderProblem as problem:  # validation rendered it already; a slow machine
            error = field_error(ValidationError("body", problem.args[0]))
            return self._error(request, error, as_html, fields, thread)
        if not as_html:
            return JSONResponse({"preview": preview})
        values = {k: v for k, v in fields.items() if isinstance(v, str)}
        # The form keeps the reader's token while it is good: the time trap measures
        # from when they first had the form, not from the preview.
        token = values.get("token", "")
        flag = self.tokens.check(token)
        if flag is not None and flag.startswith("token:"):  # missing, invalid or expired
            token = self.tokens.mint()
        return self._form_page(200, thread, values, preview=preview, token=token)

    def _comment(self, request: Request, fields: Mapping[str, Any], origin: str) -> Comment:
        headers = request.headers
        peer = request.client.host if request.client else None
        comment = parse_submission(
            fields,
            origin=origin,
            # Several X-Forwarded-For lines are one list, in order (RFC 9110 5.3): a
            # proxy that adds a line of its own must not hide the hops before it.
            ip=client_ip(peer, ",".join(headers.getlist("x-forwarded-for")), self.trusted),
            user_agent=_clip(headers.get("user-agent"), MAX_USER_AGENT),
            referrer=_clip(headers.get("referer"), MAX_REFERRER),
            language=first_language(headers.get("accept-language")),
        )
        token = fields.get("token")
        # A token that is not a string (JSON) is as good as a forged one.
        flag = self.tokens.check(token if isinstance(token, str | None) else "\x00")
        return comment.with_changes(intake_flags=(flag,)) if flag else comment

    def _check_origin(self, request: Request) -> None:
        """403 for a post that says it comes from a page on another site, or from an
        opaque origin ("null"): a sandboxed frame or a data: page, which anyone can
        make a visitor's browser post from. A reader's form post carries the page's
        real Origin (the site's, or the intake's own pages'); no Origin at all (an old
        browser, curl) is let through, to the Referer check and the rest of intake."""
        host = request.headers.get("host", "")
        if request.headers.get("origin") == "null" and not self.allow_null_origin:
            raise Forbidden(
                Message(
                    "comments are only accepted from the site's own pages, not from a page "
                    "without an origin (Origin: null)"
                )
            )
        for header in ("origin", "referer"):
            value = request.headers.get(header)
            if not value or value == "null":  # allowed by COMMENTS_ALLOW_NULL_ORIGIN
                continue
            origin = origin_of(value)
            if origin is None or origin in self.allowed_origins:
                continue
            if host and origin.split("://", 1)[1] == host.lower():
                continue  # our own form page (same host, whatever the proxy's scheme)
            raise Forbidden(
                Message(
                    "comments are only accepted from the site's own pages, not from {origin}",
                    origin=origin,
                )
            )

    # -- GET /comments/token --------------------------------------------------------------

    async def token(self, request: Request) -> Response:
        return JSONResponse({"token": self.tokens.mint()})

    # -- GET /comments/form ---------------------------------------------------------------

    async def form(self, request: Request) -> Response:
        article = request.query_params.get("article", "").strip()
        reply_to = request.query_params.get("reply_to", "").strip()
        try:
            if not article:
                raise IntakeError(
                    Message("article is required: which article is the comment for?"), "article"
                )
            thread = self.index.thread_for(article)
            parent = None
            if reply_to:
                parent = await self._parent(thread, reply_to)
        except IntakeError as exc:
            return self._message_page(
                exc.status_code,
                Message("This form cannot be shown"),
                exc.message,
                lang=self.lang_of_article(article),
            )
        return self._form_page(
            200, thread, {"article": article, "reply_to": reply_to}, parent=parent
        )

    async def _parent(self, thread: Thread, reply_to: str) -> Comment | None:
        """The published comment being answered (``None`` if only threads.json knows it)."""
        if not is_comment_id(reply_to):
            raise IntakeError(
                Message("reply_to is not a comment id: {value}", value=repr(reply_to)), "reply_to"
            )

        def published() -> Comment | None:
            # Its own connection, not the writer's queue: a WAL reader never waits
            # for a write lock another process (the CLI) may hold for seconds.
            with Store(self.db_path) as store:
                try:
                    comment = store.comments.get(reply_to)
                except UnknownComment:
                    return None
            if comment.article != thread.slug or comment.status is not State.APPROVED:
                return None
            return comment

        parent = await run_in_threadpool(published)
        if parent is None and reply_to not in thread.comment_ids:
            raise UnknownParent(reply_to, thread.title)
        return parent

    # -- GET /health ----------------------------------------------------------------------

    async def health(self, request: Request) -> Response:
        def probe() -> dict[str, int]:
            with Store(self.db_path) as store:
                return store.comments.counts()

        try:
            counts: dict[str, int] | None = await run_in_threadpool(probe)
        except Exception as exc:  # any failure to read the database is "not ok"
            logger.error("health check: database unreachable: %s", exc)
            counts = None
        try:
            self.index.threads()
            site_built = True
        except SiteNotBuilt:
            site_built = False
        screening_ok = self.worker is None or not self.worker.failing
        ok = counts is not None and screening_ok
        body = {
            "ok": ok,
            "db": counts is not None,
            "site_built": site_built,
            "counts": counts,
            "writer": {"queued": self.writer.pending, "stored": self.writer.stored},
            "screening": None
            if self.worker is None
            else {
                "started": self.worker.started.is_set(),
                "available": self.worker.available,
                "queued": self.worker.pending,
                "screened": self.worker.screened,
                "failures": self.worker.failures,
                "failing": self.worker.failing,
                "last_error": self.worker.last_error,
            },
        }
        return JSONResponse(body, status_code=200 if ok else 503)

    # -- answers ----------------------------------------------------------------------------

    def _error(
        self,
        request: Request,
        error: IntakeError,
        as_html: bool,
        fields: Mapping[str, Any],
        thread: Thread | None,
    ) -> Response:
        status = error.status_code
        headers: dict[str, str] = {}
        if isinstance(error, RateLimited):
            headers["retry-after"] = str(error.retry_after)
        if status >= 500:
            headers.setdefault("retry-after", "60")
        # The message may quote what was typed (an email, a URL): log only what kind.
        logger.info(
            "submission refused with %d: %s%s",
            status,
            type(error).__name__,
            f" ({error.field})" if error.field else "",
        )
        values = {k: v for k, v in fields.items() if isinstance(v, str)}
        if thread is None and values.get("article"):
            with contextlib.suppress(IntakeError):
                thread = self.index.thread_for(values["article"])
        lang = self.lang_of(thread)
        if not as_html:
            return JSONResponse(
                {"error": languages.say(error.message, lang), "field": error.field},
                status_code=status,
                headers=headers,
            )
        if thread is None:
            return self._message_page(
                status,
                Message("Your comment was not sent"),
                error.message,
                values.get("body", ""),
                headers,
            )
        if isinstance(error, UnknownParent):
            values["reply_to"] = ""  # send it as a comment on the article instead
        return self._form_page(
            status,
            thread,
            values,
            error=languages.say(error.message, lang),
            error_field=error.field,
            retry_after=getattr(error, "retry_after", None),
            headers=headers,
        )

    def _form_page(
        self,
        status: int,
        thread: Thread,
        values: Mapping[str, str],
        *,
        parent: Comment | None = None,
        headers: Mapping[str, str] | None = None,
        token: str | None = None,
        **extra: Any,
    ) -> Response:
        reply_to = values.get("reply_to", "")
        article_url = _on_site(self.site_url, thread.url)
        body = parent.body if parent else ""
        html = self.render(
            "form.html",
            self.lang_of(thread),
            **extra,
            values=values,
            article=thread.slug,
            thread_title=thread.title,
            article_url=article_url,
            reply_to=reply_to,
            parent=parent,
            parent_excerpt=body if len(body) <= 300 else body[:300].rstrip() + "…",
            parent_url=f"{article_url}#comment-{reply_to}",
            token=token or self.tokens.mint(),
            action="/comments",
        )
        return self._html(html, status, headers)

    def _message_page(
        self,
        status: int,
        heading: str,
        message: str,
        kept_text: str = "",
        headers: Mapping[str, str] | None = None,
        *,
        lang: str | None = None,
        template: str = "message.html",
        back_url: str | None = None,
        back_text: str | None = None,
    ) -> Response:
        """A page that says one thing (a problem, or with ``done.html`` a success),
        in ``lang``; ``heading`` and ``message`` may be library :class:`Message` s."""
        lang = lang or self.default_lang
        html = self.render(
            template,
            lang,
            heading=languages.say(heading, lang),
            message=languages.say(message, lang),
            kept_text=kept_text,
            back_url=back_url or self.site_url + "/",
            back_text=languages.say(back_text or Message("Back to the site"), lang),
        )
        return self._html(html, status, headers)

    def _html(self, html: str, status: int, headers: Mapping[str, str] | None) -> Response:
        answer_headers = {"content-security-policy": self.html_csp, **(headers or {})}
        if status == 503:
            answer_headers.setdefault("retry-after", "60")
        return HTMLResponse(html, status_code=status, headers=answer_headers)

    async def http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        message = {
            404: Message("there is nothing here"),
            405: Message("this method is not allowed here"),
        }.get(exc.status_code, exc.detail)
        if "text/html" in request.headers.get("accept", ""):
            return self._message_page(
                exc.status_code, Message("Not here"), message, headers=exc.headers
            )
        return JSONResponse(
            {"error": languages.say(message, self.default_lang), "field": None},
            status_code=exc.status_code,
            headers=exc.headers,
        )

    async def server_error(self, request: Request, exc: Exception) -> Response:
        logger.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse(
            {
                "error": languages.say(
                    Message("internal error; the problem has been logged"), self.default_lang
                ),
                "field": None,
            },
            status_code=500,
        )


def _wants_html(request: Request, kind: str) -> bool:
    if kind in (parsing.FORM, parsing.MULTIPART):
        return True
    if kind == parsing.JSON:
        return False
    return "text/html" in request.headers.get("accept", "")


def _filled(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    return value is not None and value != ""


def _clip(value: str | None, limit: int) -> str | None:
    return value[:limit] if value else None


def _on_site(site_url: str, path: str) -> str:
    if origin_of(path):
        return path  # already absolute
    return f"{site_url}/{path.lstrip('/')}"


def create_app(
    settings: Settings,
    db_path: str | Path,
    *,
    screen_in_background: bool = True,
    http_client: httpx.Client | None = None,
    busy_timeout: float = BUSY_TIMEOUT_SECONDS,
) -> Starlette:
    """The intake service as an ASGI app (see the module docstring for its routes).

    ``busy_timeout`` is how long a submission waits for a write lock another
    process holds (the CLI) before it is answered 503 with the text kept.
    """
    service = IntakeService(
        settings,
        Path(db_path),
        screen_in_background=screen_in_background,
        http_client=http_client,
        busy_timeout=busy_timeout,
    )
    app = Starlette(
        routes=[
            Route("/comments", service.submit, methods=["POST"], name="submit"),
            Route("/comments/token", service.token, methods=["GET"], name="token"),
            Route("/comments/form", service.form, methods=["GET"], name="form"),
            Route("/health", service.health, methods=["GET"], name="health"),
            # Issue 11: the links of notification emails (one-click moderation,
            # confirming and unsubscribing): GET shows, POST acts.
            *LinkPages(service).routes(),
            # Issue 13: the reader's private link (thanks, change, withdraw).
            *OwnCommentPages(service).routes(),
            *WebmentionEndpoint(service).routes(),
        ],
        middleware=[
            Middleware(SecurityHeadersMiddleware),
            # The comment form's script posts JSON from the site's own pages.
            Middleware(
                CORSMiddleware,
                allow_origins=sorted(service.allowed_origins),
                allow_methods=["POST"],
                allow_headers=["Content-Type"],
                max_age=600,
            ),
            Middleware(BodyLimitMiddleware, max_bytes=settings["COMMENTS_MAX_REQUEST_BYTES"]),
        ],
        exception_handlers={HTTPException: service.http_error, Exception: service.server_error},
        lifespan=service.lifespan,
    )
    app.state.service = service
    return app
