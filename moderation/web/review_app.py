"""The moderators' review queue in the browser: a thin face over the library.

``create_review_app(settings, db_path)`` builds a Starlette app, separate from the
public intake service, for a team of moderators (issue 10):

* the queue by state (promotion apart from spam) with filters, every signal, and
  the CLI's actions on one comment or many (:mod:`moderation.review`);
* a page per comment with every screening run, the decision log, the sender's
  earlier comments and buttons to block the sender (:mod:`moderation.senders`);
* each moderator's last 20 actions, each undoable (:func:`moderation.review.undo_action`);
* the blocklist, the stats (server-side SVG) and "Publish and deploy", which runs
  the same pipeline as ``invoke publish`` in the background (:mod:`.deploying`).

Who may use it is :mod:`.review_auth`'s business: accounts, sessions, CSRF.
Every page works without JavaScript: actions are plain POST forms answered with a
redirect and a message (POST-redirect-GET). ``static/review.js`` adds keyboard
keys and, asking for JSON instead, updates the page in place. The model learns
from each labelled action in the background (:class:`.retrainer.Retrainer`), so
no click waits for it.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import ipaddress
import logging
import os
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .. import accounts, senders
from ..articles import ArticleInfo, load_articles
from ..errors import CommentChanged, ModerationError, UnknownComment
from ..models import VERSION_PATTERN, Comment, Label, State, is_comment_id, utcnow
from ..notify import outbox_summary
from ..publish import publish_approved
from ..redaction import mask_email
from ..reloading import Reloading
from ..review import (
    ACTIONS,
    UNDO_DEPTH,
    FollowUp,
    LinkInfo,
    allowed_actions,
    bounded,
    last_undoable,
    links_in,
    moderate,
    recent_actions,
    undo_action,
)
from ..settings import Settings
from ..store import BlockKind, ScreeningRecord, Store
from . import charts
from .deploying import DeployRunner
from .middleware import SecurityHeadersMiddleware
from .retrainer import DEBOUNCE_SECONDS, Retrainer
from .review_auth import (
    CSRF_FIELD,
    LOGIN_COOKIE,
    SessionUser,
    auth_middleware,
    checked_form,
    checked_login_form,
    clear_session_cookie,
    login_form_token,
    login_nonce,
    set_session_cookie,
    wants_json,
)
from .templating import make_templates

logger = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8081
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")

PAGE_SIZE = 100
BODY_PREVIEW_CHARS = 600
MAX_NOTE = 1000
MAX_FILTER = 200
#: Lines of detail in a message (the rest are counted in a last line).
DETAIL_LINES = 8
FLASH_LINES = 16
FLASH_LINE_CHARS = 160
STATS_DAYS = 30

HTML_CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
#: The queue's tabs: promotion is a tab of its own, apart from spam.
QUEUE_TABS = ("held", "received", "spam", "promo", "rejected", "approved")
ACTION_LABELS = {
    "approve": "Approve",
    "reject": "Reject",
    "spam": "Spam",
    "promo": "Promo",
    "restore": "Restore",
    "undo": "Undo",
}
BLOCK_KIND_LABELS = {
    "email": "Email address",
    "domain": "Email domain",
    "link_domain": "Link domain",
    "ip": "IP address or network",
}


class BadRequest(HTTPException):
    def __init__(self, detail: str) -> None:
        super().__init__(400, detail)


def tab_filters(tab: str) -> dict[str, Any]:
    """The store filters of a queue tab (``all``: none)."""
    if tab == "promo":
        return {"status": State.SPAM, "label": Label.PROMO}
    if tab == "spam":
        return {"status": State.SPAM, "not_label": Label.PROMO}
    return {} if tab == "all" else {"status": State(tab)}


def tab_counts(store: Store) -> dict[str, int]:
    """How many comments each tab holds, and ``all``."""
    counts = store.comments.counts()
    promo = store.comments.count(status=State.SPAM, label=Label.PROMO)
    tabs = {tab: counts.get(tab, 0) for tab in QUEUE_TABS}
    tabs["promo"], tabs["spam"] = promo, counts[str(State.SPAM)] - promo
    tabs["all"] = sum(counts.values())
    return tabs


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
    label: Label | None


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


def moderator_of(request: Request) -> str:
    user = request.user
    assert isinstance(user, SessionUser)  # RequireLogin let only sessions through
    return user.display_name


# -- the app ---------------------------------------------------------------------------


class ReviewService:
    """Everything the routes need, built once when the app is made."""

    def __init__(
        self,
        settings: Settings,
        db_path: Path,
        *,
        http_client: httpx.Client | None = None,
        retrain_delay: float = DEBOUNCE_SECONDS,
        deploy_runner: DeployRunner | None = None,
    ) -> None:
        self.settings = settings
        self.db_path = Path(db_path)
        self.http_client = http_client
        self.articles = article_index(settings)
        with Store(self.db_path) as store:  # creates or migrates the file, fails early
            self.secret = store.keys.keyed_hash("review login form", "csrf", 64).encode()
        self.retrainer = Retrainer(settings, self.db_path, delay=retrain_delay)
        self.deployer = deploy_runner or DeployRunner(settings, self.db_path)
        login_css = (STATIC / "login.css").read_text(encoding="utf-8")
        digest = hashlib.sha256(login_css.encode("utf-8")).digest()
        self.login_css = login_css
        self.login_csp = HTML_CSP.replace(
            "style-src 'self'", f"style-src 'sha256-{base64.b64encode(digest).decode()}'"
        )
        self.templates = make_templates(
            "review",
            site_name=settings["SITENAME"] or "Comments",
            lang=settings["DEFAULT_LANG"] or "en",
            action_labels=ACTION_LABELS,
            tabs=QUEUE_TABS,
            block_kind_labels=BLOCK_KIND_LABELS,
            csrf_field=CSRF_FIELD,
        ).env

    def _store(self) -> Store:
        # One connection per call: handlers run on whichever worker thread is free.
        return Store(self.db_path)

    # -- GET/POST /login, POST /logout ------------------------------------------------------

    async def login_page(self, request: Request) -> Response:
        return self._login_form(request)

    def _login_form(
        self,
        request: Request,
        *,
        error: str | None = None,
        status_code: int = 200,
        username: str = "",
        headers: dict[str, str] | None = None,
    ) -> Response:
        response = HTMLResponse("", status_code=status_code, headers=headers)
        nonce = login_nonce(response, request)
        html = self.templates.get_template("login.html").render(
            csrf_token=login_form_token(self.secret, nonce),
            error=error,
            username=username,
            login_css=self.login_css,
        )
        response.body = response.render(html)
        response.headers["content-length"] = str(len(response.body))
        response.headers["content-security-policy"] = self.login_csp
        return response

    async def login(self, request: Request) -> Response:
        form = await checked_login_form(request, self.secret)
        name = str(form.get("username") or "").strip()
        password = str(form.get("password") or "")
        address = request.client.host if request.client else "unknown"
        try:
            session = await run_in_threadpool(self._log_in, name, password, address)
        except accounts.LoginThrottled as exc:
            return self._login_form(
                request,
                error=f"Too many failed logins {exc.why}. Try again in "
                f"{-(-exc.retry_after // 60)} minutes.",
                status_code=429,
                username=name[:50],
                headers={"retry-after": str(exc.retry_after)},
            )
        except accounts.LoginFailed:
            return self._login_form(
                request, error="Wrong name or password.", status_code=401, username=name[:50]
            )
        response = RedirectResponse("/", status_code=303)
        set_session_cookie(response, request, session.token)
        response.delete_cookie(LOGIN_COOKIE, path="/login")
        return response

    def _log_in(self, name: str, password: str, address: str) -> accounts.NewSession:
        with self._store() as store:
            login = accounts.log_in(store, name, password, address)
            accounts.forget_expired_sessions(store)
            return accounts.start_session(store, login)

    async def logout(self, request: Request) -> Response:
        await checked_form(request, max_fields=5)
        user = request.user
        assert isinstance(user, SessionUser)
        await run_in_threadpool(
            self._with_store, lambda s: s.sessions.delete(user.session.token_hash)
        )
        logger.info("moderator %s logged out", user.display_name)
        response = RedirectResponse("/login", status_code=303)
        clear_session_cookie(response, request)
        return response

    def _with_store(self, work: Any) -> Any:
        with self._store() as store:
            return work(store)

    # -- GET / -------------------------------------------------------------------------

    async def queue(self, request: Request) -> Response:
        params = request.query_params
        status = params.get("status", "held") or "held"
        if status != "all" and status not in QUEUE_TABS:
            raise BadRequest(
                f"status: unknown state {status!r} (one of: all, {', '.join(QUEUE_TABS)})"
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
            self._queue_data, status, article, reason, page, moderator_of(request)
        )
        filters = {"status": status, "article": article or "", "reason": reason or ""}
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return await self._page(
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
        self, status: str, article: str | None, reason: str | None, page: int, moderator: str
    ) -> dict[str, Any]:
        articles = self.articles.get()
        chosen = {**tab_filters(status), "article": article, "reason": reason}
        with self._store() as store:
            counts = tab_counts(store)
            matching = store.comments.count(**chosen)
            pages = max(1, -(-matching // PAGE_SIZE))
            # Past the end (the last page was just emptied by an action): show the last one.
            page = min(page, pages)
            start = (page - 1) * PAGE_SIZE
            shown = store.comments.list(**chosen, limit=PAGE_SIZE, offset=start)
            labels = store.comments.current_labels([c.id for c in shown if c.id])
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
                    label=labels.get(comment.id or ""),
                )
                for comment in shown
            ]
            undoable = last_undoable(store, moderator)
            outbox = outbox_summary(store, problems=3)  # issue 11: alerts and reply emails
        slugs = sorted(set(articles) | ({article} if article else set()))
        return {
            "counts": counts,
            "rows": rows,
            "matching": matching,
            "page": page,
            "pages": pages,
            "first": start + 1,
            "articles": [
                (slug, articles[slug].title if slug in articles else slug) for slug in slugs
            ],
            "bulk_actions": ACTIONS,
            "undoable": undoable,
            "outbox": outbox,
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
        return await self._page(request, "comment.html", **data, here=request.url.path)

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
            context = store.privacy.request_context(comment_id)
            return {
                "comment": comment,
                "label": store.comments.current_labels([comment_id]).get(comment_id),
                "email": mask_email(comment.email),
                "article_title": articles[comment.article].title
                if comment.article in articles
                else None,
                "context": context,
                "runs": store.screenings.of(comment_id),
                "decisions": store.decisions.of(comment_id),
                "links": links_in(comment.body),
                "next_check": store.screenings.next_check_at(comment_id),
                "failing_since": store.screenings.first_failure_at(comment_id),
                "parent": parent,
                "actions": allowed_actions(comment.status),
                "history": senders.earlier_comments(store, comment),
                "block_options": senders.block_options(store, comment, context["ip"]),
                "masked": mask_email,
            }

    # -- POST /moderate --------------------------------------------------------------------

    async def moderate(self, request: Request) -> Response:
        # Per comment shown: its id, its text version and its tick box.
        form = await checked_form(request, max_fields=3 * PAGE_SIZE + 20)
        back = _local_path(form.get("next"))
        action, ids, seen = _targets(form)
        note = str(form.get("note") or "").strip()[:MAX_NOTE] or None
        if not action or not ids:
            problem = (
                "Choose an action first." if not action else "Select at least one comment first."
            )
            return await self._answer(request, back, "error", [problem], status_code=400)
        actor = moderator_of(request)
        try:
            report = await run_in_threadpool(self._moderate, ids, action, actor, note, seen)
        except ModerationError as exc:
            # moderate() checks every id and move first: an error means nothing changed.
            # A text changed since the page showed it: the page is shown again, new text.
            return await self._answer(
                request,
                back,
                "error",
                [f"Nothing was changed: {exc}."],
                status_code=409,
                reload=isinstance(exc, CommentChanged),
            )
        logger.info("review UI: %s %s by %s", action, ", ".join(ids), actor)
        self._after(report)
        return await self._answer(
            request,
            back,
            "error" if report.warnings else "ok",
            report.lines(limit=DETAIL_LINES),
            changed=[e.comment_id for e in report.changed],
            action_id=report.action_id,
        )

    def _moderate(
        self, ids: list[str], action: str, actor: str, note: str | None, seen: dict[str, str]
    ):
        with self._store() as store:
            return moderate(
                store,
                self.settings,
                ids,
                action,
                actor=actor,
                note=note,
                http_client=self.http_client,
                retrain=False,
                seen=seen,
            )

    def _after(self, report: FollowUp) -> None:
        if report.retrain_needed:
            self.retrainer.request()

    # -- GET /actions, POST /undo ------------------------------------------------------------

    async def actions(self, request: Request) -> Response:
        moderator = moderator_of(request)
        records = await run_in_threadpool(
            self._with_store, lambda store: recent_actions(store, moderator)
        )
        return await self._page(
            request, "actions.html", records=records, here=request.url.path, depth=UNDO_DEPTH
        )

    async def undo(self, request: Request) -> Response:
        form = await checked_form(request, max_fields=10)
        back = _local_path(form.get("next"))
        actor = moderator_of(request)
        action_id = str(form.get("action_id") or "")
        try:
            report = await run_in_threadpool(self._undo, action_id, actor)
        except ModerationError as exc:
            return await self._answer(
                request, back, "error", [f"Nothing was undone: {exc}."], status_code=409
            )
        self._after(report)
        return await self._answer(
            request,
            back,
            "error" if report.warnings or not report.undone else "ok",
            report.lines(limit=DETAIL_LINES),
            changed=[line.comment_id for _entry, line in report.undone],
        )

    def _undo(self, action_id: str, actor: str):
        with self._store() as store:
            if not action_id:  # the `u` key: the latest action that can be undone
                latest = last_undoable(store, actor)
                if latest is None:
                    raise ModerationError(f"none of your last {UNDO_DEPTH} actions can be undone")
                action_id = latest.action_id
            return undo_action(
                store,
                self.settings,
                action_id,
                actor=actor,
                http_client=self.http_client,
                retrain=False,
            )

    # -- the blocklist ------------------------------------------------------------------------

    async def blocklist(self, request: Request) -> Response:
        entries = await run_in_threadpool(self._with_store, lambda s: s.blocklist.all())
        return await self._page(
            request,
            "blocklist.html",
            entries=entries,
            kinds=[str(kind) for kind in BlockKind],
            here=request.url.path,
        )

    async def block(self, request: Request) -> Response:
        form = await checked_form(request, max_fields=10)
        back = _local_path(form.get("next"), default="/blocklist")
        actor = moderator_of(request)
        kind, value = str(form.get("kind") or ""), str(form.get("value") or "")[:300]
        if not kind:  # a comment page's button: "KIND VALUE", or "email" of that comment
            kind, _, value = value.partition(" ")
        comment_id = str(form.get("comment") or "")
        note = str(form.get("note") or "")

        def block(store: Store) -> tuple[BlockKind, str, bool]:
            text = value
            if kind == "email" and not value and is_comment_id(comment_id):
                text = store.comments.get(comment_id).email or ""
            return senders.block(store, kind, text, actor=actor, note=note)

        try:
            kind_, text, added = await run_in_threadpool(self._with_store, block)
        except ModerationError as exc:
            return await self._answer(request, back, "error", [f"Not blocked: {exc}."], 400)
        label = BLOCK_KIND_LABELS[str(kind_)].lower()
        shown = mask_email(text) if kind_ is BlockKind.EMAIL else text
        line = (
            f"Blocked {label} {shown}: new comments from it are marked as spam."
            if added
            else f"{BLOCK_KIND_LABELS[str(kind_)]} {shown} was already blocked."
        )
        return await self._answer(request, back, "ok", [line])

    async def unblock(self, request: Request) -> Response:
        form = await checked_form(request, max_fields=10)
        back = _local_path(form.get("next"), default="/blocklist")
        try:
            entry_id = int(str(form.get("entry") or ""))
        except ValueError:
            raise BadRequest("entry: not a blocklist entry number") from None
        actor = moderator_of(request)
        try:
            entry = await run_in_threadpool(
                self._with_store, lambda store: senders.unblock(store, entry_id, actor=actor)
            )
        except ModerationError as exc:
            return await self._answer(request, back, "error", [f"Nothing removed: {exc}."], 409)
        label = BLOCK_KIND_LABELS[str(entry.kind)]
        return await self._answer(
            request, back, "ok", [f"Unblocked {label.lower()} {entry.value}."]
        )

    # -- GET /stats -------------------------------------------------------------------------

    async def stats(self, request: Request) -> Response:
        data = await run_in_threadpool(self._stats_data)
        return await self._page(request, "stats.html", **data, here=request.url.path)

    def _stats_data(self) -> dict[str, Any]:
        today = utcnow().date()
        days = [str(today - timedelta(days=n)) for n in range(STATS_DAYS - 1, -1, -1)]
        since = utcnow() - timedelta(days=STATS_DAYS)
        with self._store() as store:
            per_day = store.stats.states_per_day(since)
            fired = store.stats.signals_fired(since)
            moderators = store.stats.actions_per_moderator(since)
        series = ["approved", "held", "received", "promo", "spam", "rejected"]
        totals = {name: sum(day.get(name, 0) for day in per_day.values()) for name in series}
        by_moderator = sorted(
            ((name, sum(c.values())) for name, c in moderators.items()),
            key=lambda pair: (-pair[1], pair[0]),
        )
        return {
            "days": days,
            "per_day": per_day,
            "series": series,
            "totals": totals,
            "fired": fired.most_common(),
            "moderators": moderators,
            "moderator_actions": [*ACTIONS, "undo"],
            "states_chart": charts.stacked_bars(
                f"Comments received per day over {STATS_DAYS} days, by state now",
                days,
                series,
                per_day,
            ),
            "signals_chart": charts.horizontal_bars(
                f"Comments each signal found something against, last {STATS_DAYS} days",
                fired.most_common(),
            ),
            "moderators_chart": charts.horizontal_bars(
                f"Comments moved by each moderator, last {STATS_DAYS} days", by_moderator
            ),
            "stats_days": STATS_DAYS,
        }

    # -- publishing and deploying -------------------------------------------------------------

    async def publish(self, request: Request) -> Response:
        form = await checked_form(request, max_fields=5)
        back = _local_path(form.get("next"))
        try:
            lines = await run_in_threadpool(self._publish)
        except ModerationError as exc:
            return await self._answer(request, back, "error", [f"Publishing failed: {exc}"])
        return await self._answer(request, back, "ok", lines)

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
            lines.append("Rebuild and deploy the site to show the changes (Publish and deploy).")
        return lines

    async def deploy_status(self, request: Request) -> Response:
        status = self.deployer.status()
        if wants_json(request):
            return JSONResponse(status.as_json())
        return await self._page(
            request,
            "deploy.html",
            deploy=status,
            here=request.url.path,
            refresh=status.running,
        )

    async def deploy(self, request: Request) -> Response:
        await checked_form(request, max_fields=5)
        actor = moderator_of(request)
        try:
            self.deployer.start(actor)
        except ModerationError as exc:
            return await self._answer(request, "/deploy", "error", [str(exc)], status_code=409)
        logger.info("review UI: %s started publish and deploy", actor)
        if wants_json(request):
            return JSONResponse(self.deployer.status().as_json(), status_code=202)
        return RedirectResponse("/deploy", status_code=303)

    # -- answers, messages and pages ------------------------------------------------------------

    async def _answer(
        self,
        request: Request,
        back: str,
        kind: str,
        lines: list[str],
        status_code: int = 200,
        **extra: Any,
    ) -> Response:
        """JSON for the page's script; else the message kept for the next page and a 303."""
        lines = [_clip(line, FLASH_LINE_CHARS) for line in lines[:FLASH_LINES]]
        if wants_json(request):
            counts = await run_in_threadpool(self._with_store, tab_counts)
            return JSONResponse(
                {"kind": kind, "lines": lines, "counts": counts, **extra},
                status_code=status_code if kind == "error" else 200,
            )
        user = request.user
        assert isinstance(user, SessionUser)
        flash = {"kind": kind, "lines": lines}
        await run_in_threadpool(
            self._with_store, lambda s: s.sessions.set_flash(user.session.token_hash, flash)
        )
        return RedirectResponse(back, status_code=303)

    async def _page(
        self, request: Request, template: str, status_code: int = 200, **context: Any
    ) -> Response:
        user = request.user
        assert isinstance(user, SessionUser)
        flash = await run_in_threadpool(
            self._with_store, lambda s: s.sessions.pop_flash(user.session.token_hash)
        )
        html = self.templates.get_template(template).render(
            **context,
            csrf_token=user.session.csrf_token,
            moderator=user.display_name,
            flash=flash,
            deploying=self.deployer.status().running,
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
        if wants_json(request):
            return JSONResponse({"error": message}, status_code=exc.status_code)
        user = request.scope.get("user")  # set once the session was read
        signed_in = (
            {"moderator": user.display_name, "csrf_token": user.session.csrf_token}
            if isinstance(user, SessionUser)
            else {}
        )
        html = self.templates.get_template("message.html").render(
            heading=heading, message=message, **signed_in
        )
        return HTMLResponse(
            html,
            status_code=exc.status_code,
            headers={"content-security-policy": HTML_CSP, **(exc.headers or {})},
        )

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await run_in_threadpool(self.retrainer.stop)


def _local_path(value: Any, default: str = "/") -> str:
    """Where to go back to: a path on this site, never another site (``//evil``)."""
    if (
        isinstance(value, str)
        and value.startswith("/")
        and not value.startswith("//")
        and "\\" not in value
        and not any(ord(ch) < 32 for ch in value)
    ):
        return value
    return default


def _targets(form: FormData) -> tuple[str, list[str], dict[str, str]]:
    """The action ("" when none was chosen), the comment ids a moderation form asks for,
    and the version of each comment's text the page showed.

    A row's own button sends ``one=ACTION ID``; the bulk bar sends ``action`` with
    the ticked ``ids``, or with every id shown on the page (``scope=page``). Every
    comment shown sends ``seen=ID VERSION``.
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
    seen = {}
    for value in form.getlist("seen"):
        comment_id, _, version = str(value).partition(" ")
        if not is_comment_id(comment_id) or not VERSION_PATTERN.fullmatch(version):
            raise BadRequest(f"seen: {str(value)[:80]!r} is not a comment id and version")
        seen[comment_id] = version
    return action, list(dict.fromkeys(ids)), seen


def default_allowed_hosts(host: str) -> list[str]:
    """The ``Host`` names answered when none are given: loopback, and the bound address."""
    return list(dict.fromkeys([*LOOPBACK_HOSTS, host]))


def create_review_app(
    settings: Settings,
    db_path: str | Path,
    *,
    http_client: httpx.Client | None = None,
    allowed_hosts: Iterable[str] | None = None,
    trusted_proxies: Sequence[str] | None = None,
    retrain_delay: float = DEBOUNCE_SECONDS,
    deploy_runner: DeployRunner | None = None,
) -> Starlette:
    """The review UI as an ASGI app (see the module docstring and :mod:`.review_auth`).

    ``allowed_hosts`` are the ``Host`` names answered (default: loopback);
    ``trusted_proxies`` the peers whose forwarded headers are believed (default:
    ``COMMENTS_TRUSTED_PROXIES``). ``http_client`` carries Akismet feedback (tests
    give it a mock transport).
    """
    service = ReviewService(
        settings,
        Path(db_path),
        http_client=http_client,
        retrain_delay=retrain_delay,
        deploy_runner=deploy_runner,
    )
    proxies = list(trusted_proxies or settings["COMMENTS_TRUSTED_PROXIES"])
    app = Starlette(
        routes=[
            Route("/login", service.login_page, methods=["GET"], name="login_page"),
            Route("/login", service.login, methods=["POST"], name="login"),
            Route("/logout", service.logout, methods=["POST"], name="logout"),
            Route("/", service.queue, methods=["GET"], name="queue"),
            Route("/comments/{comment_id}", service.comment, methods=["GET"], name="comment"),
            Route("/moderate", service.moderate, methods=["POST"], name="moderate"),
            Route("/actions", service.actions, methods=["GET"], name="actions"),
            Route("/undo", service.undo, methods=["POST"], name="undo"),
            Route("/blocklist", service.blocklist, methods=["GET"], name="blocklist"),
            Route("/blocklist", service.block, methods=["POST"], name="block"),
            Route("/blocklist/remove", service.unblock, methods=["POST"], name="unblock"),
            Route("/stats", service.stats, methods=["GET"], name="stats"),
            Route("/publish", service.publish, methods=["POST"], name="publish"),
            Route("/deploy", service.deploy_status, methods=["GET"], name="deploy_status"),
            Route("/deploy", service.deploy, methods=["POST"], name="deploy"),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        middleware=[
            Middleware(SecurityHeadersMiddleware),
            *auth_middleware(
                service.db_path,
                allowed_hosts=list(allowed_hosts or LOOPBACK_HOSTS),
                trusted_proxies=proxies,
            ),
        ],
        exception_handlers={HTTPException: service.http_error},
        lifespan=service.lifespan,
    )
    app.state.service = service
    return app


def _is_wildcard(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        return False


def serve_review(
    settings: Settings,
    db_path: str | Path,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    allowed_hosts: Sequence[str] = (),
    deploy_target: str | None = None,
    publish_settings: str = "publishconf.py",
) -> None:
    """Run the review UI with uvicorn until interrupted (what ``review-server`` calls).

    Refuses to start without a moderator account, saying how to add one. "Publish
    and deploy" builds with ``publish_settings`` and deploys to ``deploy_target``
    (default: its ``DEPLOY_TARGET``), as ``invoke publish`` does.
    """
    import uvicorn

    with Store(db_path) as store:
        accounts.require_moderators(store)
    if _is_wildcard(host) and not allowed_hosts:
        raise ModerationError(
            f"listening on {host} answers requests for any name: say which with "
            "--allowed-host NAME (the name moderators type in the address bar)"
        )
    hosts = [*default_allowed_hosts(host), *allowed_hosts]
    runner = DeployRunner(
        settings, Path(db_path), target=deploy_target, settings_file=publish_settings
    )
    app = create_review_app(settings, db_path, allowed_hosts=hosts, deploy_runner=runner)
    shown = host if ":" not in host else f"[{host}]"
    logger.warning("review UI on http://%s:%d/ (moderators log in)", shown, port)
    if not _is_loopback(host):
        logger.warning(
            "the review UI listens beyond this machine: serve it behind TLS (an HTTPS reverse "
            "proxy), or passwords and session cookies cross the network in the clear"
        )
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="on",
        proxy_headers=False,  # the app's own ProxyHeadersMiddleware, with our trusted proxies
        server_header=False,
        access_log=False,
    )
    uvicorn.Server(config).run()


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
