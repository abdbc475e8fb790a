"""The pages behind the links of notification emails, served by the public intake.

``/comments/moderate/<token>`` (one-click moderation), ``/comments/confirm/<token>``
(double opt-in) and ``/comments/unsubscribe/<token>`` (RFC 8058 one-click
unsubscribe). A GET only shows what the link would do, with a button; the POST
of that button (or a mail client's ``List-Unsubscribe=One-Click`` POST) does it,
so a link scanner that fetches every URL of an email decides nothing. No cookie
and no login: the signed token in the address is the whole authority.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from comment_format.i18n import Message

from ..errors import ModerationError
from ..intake import IntakeError
from ..notify import links
from ..notify.messages import ArticleLinks
from ..notify.tokens import LinkError
from ..store import Store
from . import languages, parsing
from .locking import SharedLockStore
from .middleware import TOKEN_PAGE_HEADERS

if TYPE_CHECKING:
    from .intake_app import IntakeService

logger = logging.getLogger(__name__)

EXCERPT = 600

#: The headline of a link that cannot be used (readers meet it too).
FAILED = Message("This link cannot be used")
CONFIRMED = Message(
    "Thank you: you will get an email when someone replies to your comments. "
    "Each one has links to stop them, for one article or for everything."
)


class LinkPages:
    """Thin handlers: check the token, call :mod:`moderation.notify.links`, show the result."""

    def __init__(self, service: IntakeService) -> None:
        self.service = service
        self.articles = ArticleLinks(service.settings)

    def routes(self) -> list[Route]:
        methods = ["GET", "POST"]
        return [
            Route("/comments/moderate/{token}", self.moderate, methods=methods),
            Route("/comments/confirm/{token}", self.confirm, methods=methods),
            Route("/comments/unsubscribe/{token}", self.unsubscribe, methods=methods),
        ]

    async def _run(self, work: Callable[[Store], dict[str, Any]]) -> dict[str, Any]:
        def in_thread() -> dict[str, Any]:
            # Its own connection, like every reader of the intake outside the writer;
            # what it writes queues on the service's write lock with the other threads.
            with SharedLockStore(self.service.db_path, self.service.write_lock) as store:
                return work(store)

        return await run_in_threadpool(in_thread)

    def _page(self, status: int, request: Request, **values: Any) -> Response:
        # Readers' pages in the site's language (issue 13); a moderator's words stay as built.
        lang = self.service.default_lang
        for name in ("heading", "problem", "button"):
            if name in values:
                values[name] = languages.say(values[name], lang)
        if "paragraphs" in values:
            values["paragraphs"] = [languages.say(p, lang) for p in values["paragraphs"]]
        html = self.service.render(
            "link.html",
            lang,
            action=request.url.path,
            back_url=self.service.site_url + "/",
            back_text=languages.say(Message("Go to the site"), lang),
            **values,
        )
        # The token is the whole authority: never cached, never sent on in a Referer.
        return self.service._html(html, status, TOKEN_PAGE_HEADERS)

    async def _answer(
        self, request: Request, work: Callable[[Store], dict[str, Any]], failed: str = FAILED
    ) -> Response:
        try:
            values = await self._run(work)
        except LinkError as exc:
            logger.info("link refused with %d: %s", exc.status_code, type(exc).__name__)
            return self._page(exc.status_code, request, heading=failed, problem=exc.args[0])
        except ModerationError as exc:
            return self._page(409, request, heading=failed, problem=exc.args[0])
        return self._page(200, request, **values)

    # -- one-click moderation --------------------------------------------------------

    async def moderate(self, request: Request) -> Response:
        token = request.path_params["token"]
        settings = self.service.settings
        # The version of the text the GET page showed: edited since, nothing is done.
        seen = None
        # A bare POST (no body, no type) is a click on a page older than the "seen" field.
        if request.method == "POST" and request.headers.get("content-type"):
            try:
                kind, options = parsing.media_type(request.headers.get("content-type"))
                parsing.check_content_type(kind, options)
                seen = (await parsing.read_fields(request, kind)).get("seen")
            except IntakeError as exc:  # too large, or in a form no browser sends
                return self._page(exc.status_code, request, heading=FAILED, problem=exc.message)

        def show(store: Store) -> dict[str, Any]:
            pending = links.open_moderation_link(store, token)
            comment = pending.comment
            body = comment.body
            values = {
                "heading": f"{pending.label} this comment?",
                "paragraphs": [
                    f"This link was sent to {pending.moderator}; the decision is logged "
                    "under that name. It works once."
                ],
                "comment": comment,
                "comment_article": self.articles.title(comment.article),
                "comment_state": links.comment_state_note(comment),
                "comment_excerpt": body if len(body) <= EXCERPT else body[:EXCERPT] + "…",
            }
            if request.method == "GET":
                return {
                    **values,
                    "button": f"{pending.label} this comment",
                    "seen": comment.version,
                }
            report = links.follow_moderation_link(
                store, settings, token, seen=seen if isinstance(seen, str) else None
            )
            if report.retrain_needed:
                self.service.retrainer.request()
            return {
                "heading": report.headline,
                "lines": report.lines()[1:],
                "comment": comment,
                "comment_article": values["comment_article"],
                "comment_state": links.comment_state_note(store.comments.get(comment.id)),
                "comment_excerpt": values["comment_excerpt"],
            }

        return await self._answer(request, show)

    # -- confirming a subscription ---------------------------------------------------

    async def confirm(self, request: Request) -> Response:
        token = request.path_params["token"]

        def show(store: Store) -> dict[str, Any]:
            target = links.open_confirmation(store, token)
            if request.method == "GET":
                if target.done_already:
                    return {"heading": Message("Already confirmed"), "paragraphs": [CONFIRMED]}
                return {
                    "heading": Message("Email me when someone replies"),
                    "paragraphs": [
                        Message(
                            "Press the button to confirm that you want an email when someone "
                            "replies to your comments. Every email has a link to stop them."
                        )
                    ],
                    "button": Message("Yes, email me about replies"),
                }
            links.confirm(store, token)
            return {"heading": Message("Confirmed"), "paragraphs": [CONFIRMED]}

        return await self._answer(request, show)

    # -- unsubscribing -------------------------------------------------------------------

    async def unsubscribe(self, request: Request) -> Response:
        token = request.path_params["token"]

        def show(store: Store) -> dict[str, Any]:
            target = links.open_unsubscribe(store, token)
            what = (
                Message("any reply emails")
                if target.scope == "all"
                else Message(
                    "emails about replies on “{title}”",
                    title=self.articles.title(target.article or ""),
                )
            )
            if request.method == "GET":
                if target.done_already:
                    return {
                        "heading": Message("Already unsubscribed"),
                        "paragraphs": [Message("You get no {what}.", what=what)],
                    }
                return {
                    "heading": Message("Unsubscribe"),
                    "paragraphs": [
                        Message("Press the button and you will get no more {what}.", what=what)
                    ],
                    "button": Message("Unsubscribe"),
                }
            # A browser's button, or a mail client's RFC 8058 "List-Unsubscribe=One-Click".
            links.unsubscribe(store, token)
            return {
                "heading": Message("Unsubscribed"),
                "paragraphs": [Message("You will get no more {what}.", what=what)],
            }

        return await self._answer(request, show)
