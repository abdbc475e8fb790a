"""The pages of a reader's private link: thanks, change, withdraw (thin faces of ``editing``).

- ``GET /comments/thanks/<token>``: where a form post lands (303): thanks, what
  happens next, and the private link, so a reader without JavaScript has it too;
- ``GET /comments/edit/<token>``: the comment in a form, with Preview, Save and
  Withdraw; ``POST`` the same address to act (a withdrawal asks once more).

A link that is not ours gets 403; one for a comment that can no longer be changed
gets 410 with a page that says why; one for an erased comment 404. Pages that
show the link are never cached and never send it in a Referer.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from comment_format.i18n import Message

from ..editing import LinkExpired, LinkTampered, changeable, edit_comment, withdraw_comment
from ..editing import edit_url as private_link
from ..errors import UnknownComment, ValidationError
from ..intake import IntakeError, Thread, field_error
from ..models import Comment
from ..store import Store
from ..submission import parse_submission
from . import languages, parsing
from .middleware import TOKEN_PAGE_HEADERS

if TYPE_CHECKING:
    from .intake_app import IntakeService

logger = logging.getLogger(__name__)

#: Pages that show the private link: never cached, and no link on them leaks the
#: address in a Referer.
PRIVATE = TOKEN_PAGE_HEADERS


class OwnCommentPages:
    """The routes of the private link, over the intake service's parts."""

    def __init__(self, service: IntakeService) -> None:
        self.service = service

    def routes(self) -> list[Route]:
        return [
            Route("/comments/thanks/{token}", self.thanks, methods=["GET"], name="thanks"),
            Route("/comments/edit/{token}", self.edit_page, methods=["GET"], name="edit"),
            Route("/comments/edit/{token}", self.edit_action, methods=["POST"], name="edit-post"),
        ]

    # -- looking the comment up ----------------------------------------------------------

    async def _comment(self, token: str) -> Comment:
        comment_id = self.service.links.comment_id(token)  # LinkTampered

        def read() -> Comment:
            # Its own connection: a WAL reader never waits for a writer.
            with Store(self.service.db_path) as store:
                return store.comments.get(comment_id)

        return await run_in_threadpool(read)

    def _thread(self, comment: Comment) -> Thread | None:
        try:
            return self.service.index.threads().get(comment.article)
        except IntakeError:
            return None

    def _article_url(self, thread: Thread | None) -> str:
        site = self.service.site_url
        return f"{site}/{thread.url.lstrip('/')}" if thread is not None else f"{site}/"

    def _refused(self, error: Exception, lang: str | None = None) -> Response:
        """The page for a link that cannot be used, with the status that says why."""
        service = self.service
        if isinstance(error, LinkTampered):
            return service._message_page(
                403,
                Message("This link does not work"),
                error.args[0],
                headers=PRIVATE,
                lang=lang,
            )
        if isinstance(error, UnknownComment):
            return service._message_page(
                404,
                Message("This comment no longer exists"),
                Message("It was erased, so there is nothing left to change."),
                headers=PRIVATE,
                lang=lang,
            )
        minutes = "{:g}".format(service.settings["COMMENTS_EDIT_MINUTES"])
        return service._message_page(
            410,
            Message("This link has expired"),
            Message(
                "A comment can be changed or withdrawn while it waits for moderation, and for "
                "{minutes} minutes after it was sent. This one can no longer be changed; to have "
                "it removed, write to the address on the privacy page.",
                minutes=minutes,
            ),
            headers=PRIVATE,
            lang=lang,
            back_url=service.privacy_url or None,
            back_text=Message("Comments and privacy") if service.privacy_url else None,
        )

    # -- GET /comments/thanks/<token> ------------------------------------------------------

    async def thanks(self, request: Request) -> Response:
        token = request.path_params["token"]
        try:
            comment = await self._comment(token)
        except (LinkTampered, UnknownComment) as error:
            return self._refused(error)
        service = self.service
        thread = self._thread(comment)
        html = service.render(
            "thanks.html",
            service.lang_of(thread),
            edit_url=private_link(service.settings, token),
            changeable=changeable(comment, service.settings["COMMENTS_EDIT_MINUTES"]),
            article_url=self._article_url(thread),
            more_url=service.thanks_url,
        )
        return service._html(html, 200, PRIVATE)

    # -- GET and POST /comments/edit/<token> ---------------------------------------------------

    def _edit_page(
        self,
        status: int,
        comment: Comment,
        token: str,
        values: Mapping[str, str],
        **extra: Any,
    ) -> Response:
        service = self.service
        thread = self._thread(comment)
        lang = service.lang_of(thread)
        if "error" in extra:
            extra["error"] = languages.say(extra["error"], lang)
        html = service.render(
            "edit.html",
            lang,
            **extra,
            values=values,
            thread_title=thread.title if thread is not None else comment.article,
            article_url=self._article_url(thread),
            changeable=changeable(comment, service.settings["COMMENTS_EDIT_MINUTES"]),
            action=f"/comments/edit/{token}",
        )
        return service._html(html, status, PRIVATE)

    async def edit_page(self, request: Request) -> Response:
        token = request.path_params["token"]
        try:
            comment = await self._comment(token)
        except (LinkTampered, UnknownComment) as error:
            return self._refused(error)
        lang = self.service.lang_of(self._thread(comment))
        if not changeable(comment, self.service.settings["COMMENTS_EDIT_MINUTES"]).allowed:
            return self._refused(LinkExpired(), lang)
        values = {"name": comment.author, "url": comment.author_url or "", "body": comment.body}
        saved = request.query_params.get("saved") == "1"
        return self._edit_page(200, comment, token, values, saved=saved)

    async def edit_action(self, request: Request) -> Response:
        service = self.service
        token = request.path_params["token"]
        try:
            comment = await self._comment(token)
        except (LinkTampered, UnknownComment) as error:
            return self._refused(error)
        lang = service.lang_of(self._thread(comment))
        try:
            service._check_origin(request)
            kind, options = parsing.media_type(request.headers.get("content-type"))
            parsing.check_content_type(kind, options)
            fields = await parsing.read_fields(request, kind)
        except IntakeError as error:
            return service._message_page(
                error.status_code,
                Message("Your changes were not saved"),
                error.message,
                headers=PRIVATE,
                lang=lang,
            )
        values = {k: v for k, v in fields.items() if isinstance(v, str) and k != "action"}
        action = str(fields.get("action") or ("preview" if fields.get("preview") else ""))
        try:
            if action == "preview":
                return self._preview(comment, token, values)
            if action == "save":
                return await self._save(comment, token, values)
            if action == "withdraw":
                if not changeable(comment, service.settings["COMMENTS_EDIT_MINUTES"]).allowed:
                    raise LinkExpired()
                return self._edit_page(200, comment, token, values, confirm_withdraw=True)
            if action == "confirm-withdraw":
                return await self._withdraw(comment, lang)
        except LinkExpired as error:
            return self._refused(error, lang)
        except UnknownComment as error:
            return self._refused(error, lang)
        return self._edit_page(
            400,
            comment,
            token,
            values,
            error=Message("choose Preview, Save changes or Withdraw"),
        )

    def _preview(self, comment: Comment, token: str, values: Mapping[str, str]) -> Response:
        if not changeable(comment, self.service.settings["COMMENTS_EDIT_MINUTES"]).allowed:
            raise LinkExpired()
        try:
            changed = parse_submission({**values, "article": comment.article})
        except ValidationError as error:
            refused = field_error(error)
            return self._edit_page(
                400, comment, token, values, error=refused.message, error_field=refused.field
            )
        preview = self.service.preview_of(changed.author, comment.email, changed.body)
        return self._edit_page(200, comment, token, values, preview=preview)

    async def _save(self, comment: Comment, token: str, values: Mapping[str, str]) -> Response:
        service = self.service
        assert comment.id is not None
        comment_id = comment.id
        try:
            edited = await service.writer.call(
                lambda store: edit_comment(store, service.settings, comment_id, values)
            )
        except ValidationError as error:
            refused = field_error(error)
            return self._edit_page(
                400, comment, token, values, error=refused.message, error_field=refused.field
            )
        if service.worker is not None:
            service.worker.notify([edited])  # screened again, like a new comment
        return RedirectResponse(f"/comments/edit/{token}?saved=1", status_code=303, headers=PRIVATE)

    async def _withdraw(self, comment: Comment, lang: str) -> Response:
        service = self.service
        assert comment.id is not None
        comment_id = comment.id
        await service.writer.call(
            lambda store: withdraw_comment(store, service.settings, comment_id)
        )
        return service._message_page(
            200,
            Message("Your comment is withdrawn"),
            Message(
                "It is taken off the site at its next update. If others replied to it, a note "
                "saying it was removed stays in its place."
            ),
            headers=PRIVATE,
            lang=lang,
            template="done.html",
            back_url=self._article_url(self._thread(comment)),
            back_text=Message("Back to the article"),
        )
