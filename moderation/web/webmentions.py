"""Webmention in the intake service: ``POST /webmention``, and the thread that verifies.

The endpoint takes the W3C interface as it is (``application/x-www-form-urlencoded``
fields ``source`` and ``target``), checks the request (:func:`moderation.webmention.
check_request`), stores it durably and answers ``202 Accepted`` at once; nothing is
fetched while the sender waits. :class:`MentionWorker` then verifies what is
pending in its own thread (a source may take 10 s to answer, which must not hold
up screening) and hands each new or changed comment to the screening worker.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from comment_format.i18n import Message

from ..intake import IntakeError, RateLimited, RateLimiter, client_ip, rate_limit_key
from ..models import Comment
from ..settings import Settings
from ..store import Store
from ..webmention import (
    TIMEOUT_SECONDS,
    SafeFetcher,
    check_request,
    fetcher_from_settings,
    verify_pending,
)
from . import languages, parsing
from .periodic import PeriodicWorker

if TYPE_CHECKING:
    from .intake_app import IntakeService

logger = logging.getLogger(__name__)

#: When idle, look for pending mentions this often (another process may have stored some).
SWEEP_SECONDS = 60.0
BATCH = 8


class MentionWorker(PeriodicWorker):
    """Verifies pending Webmentions in its own thread, when woken or every sweep."""

    name = "intake-mentions"
    work = "verifying webmentions"

    def __init__(
        self,
        settings: Settings,
        db_path: Path,
        *,
        write_lock: threading.Lock | None = None,
        fetcher: SafeFetcher | None = None,
        on_comments: Callable[[Sequence[Comment]], None] | None = None,
        sweep_seconds: float = SWEEP_SECONDS,
    ) -> None:
        super().__init__(db_path, interval=sweep_seconds, write_lock=write_lock)
        self.settings = settings
        self.fetcher = fetcher or fetcher_from_settings(settings)
        self.on_comments = on_comments
        self.verified = 0

    def stop(self, timeout: float = TIMEOUT_SECONDS + 5) -> None:
        """Wait for a source being fetched (at most its time-out) before closing."""
        super().stop(timeout)

    def turn(self, store: Store) -> None:
        # A few at a time, so a stop never waits for a long backlog of slow sources.
        while not self.stopping:
            outcomes = verify_pending(store, self.settings, fetcher=self.fetcher, limit=BATCH)
            if not outcomes:
                return
            self.verified += len(outcomes)
            fresh = [o.to_screen for o in outcomes if o.to_screen is not None]
            if fresh and self.on_comments is not None:
                self.on_comments(fresh)


class WebmentionEndpoint:
    """``POST /webmention`` over the intake service's parts."""

    def __init__(self, service: IntakeService) -> None:
        self.service = service
        settings = service.settings
        self.limiter = RateLimiter(settings["COMMENTS_RATE_LIMIT"])
        self.site_urls = [service.site_url, *settings["COMMENTS_ALLOWED_ORIGINS"]]

    def routes(self) -> list[Route]:
        return [Route("/webmention", self.receive, methods=["POST"], name="webmention")]

    def _answer(self, status: int, text: str, headers: dict[str, str] | None = None) -> Response:
        return PlainTextResponse(text + "\n", status_code=status, headers=headers)

    async def receive(self, request: Request) -> Response:
        service = self.service
        lang = service.default_lang
        try:
            kind, options = parsing.media_type(request.headers.get("content-type"))
            if kind not in (parsing.FORM, parsing.MULTIPART):
                raise parsing.UnsupportedMediaType(
                    Message("send the form fields source and target, urlencoded")
                )
            parsing.check_content_type(kind, options)
            fields = await parsing.read_fields(request, kind)
            source, target, thread = check_request(fields, service.index, self.site_urls)
            lang = service.lang_of(thread)
            peer = request.client.host if request.client else None
            ip = client_ip(
                peer, ",".join(request.headers.getlist("x-forwarded-for")), service.trusted
            )
            retry_after = self.limiter.hit(rate_limit_key(ip))
            if retry_after is not None:
                raise RateLimited(
                    Message(
                        "too many Webmentions from your address; send it again in "
                        "{seconds} seconds",
                        seconds=retry_after,
                    ),
                    retry_after,
                )
            await service.writer.call(
                lambda store: store.mentions.receive(source, target, thread.slug, sender_ip=ip)
            )
        except IntakeError as error:
            headers = (
                {"retry-after": str(error.retry_after)} if isinstance(error, RateLimited) else None
            )
            logger.info("webmention refused with %d: %s", error.status_code, error.message)
            return self._answer(error.status_code, languages.say(error.message, lang), headers)
        if service.mentions is not None:
            service.mentions.wake()
        logger.info("webmention accepted: %s → %s", source, target)
        return self._answer(
            202,
            languages.say(
                Message("Accepted: the source will be checked, then moderated like a comment."),
                lang,
            ),
        )
