"""A commenter's own comment: the signed private link, and what it lets them do.

After posting, the intake's answer page (and the reply-subscription confirmation,
when there is one) gives the author a private link: ``COMMENTS_INTAKE_URL/edit/
<token>``, the comment id signed with the site's secret key (itsdangerous). A
link whose signature does not match is :class:`LinkTampered` (403). With a good
link the author may change or withdraw the comment

- while it waits for moderation (received or held), however long that takes;
- or within ``COMMENTS_EDIT_MINUTES`` after posting (an approved comment too).

Otherwise the link has expired (:class:`LinkExpired`, a page that says so). An
edit is validated like a new comment, keeps the earlier version and goes back to
screening; a withdrawal rejects the comment for good. Publishing then writes the
new text (with ``edited:``) or removes the file, leaving a tombstone where others
replied.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

from comment_format.i18n import Message

from .errors import ModerationError
from .models import Comment, State, is_comment_id, utcnow
from .settings import Settings
from .store import Store
from .submission import parse_submission

logger = logging.getLogger(__name__)

SALT = "moderation.edit-link"


class LinkTampered(ModerationError):
    """The link was not made by this site (or was changed): 403."""

    status_code = 403


class LinkExpired(ModerationError):
    """The link is genuine but the comment can no longer be changed: 410."""

    status_code = 410


class EditLinks:
    """Mints and reads the private links (the comment id, signed)."""

    def __init__(self, secret_key: bytes) -> None:
        self._serializer = URLSafeSerializer(secret_key, salt=SALT)

    def mint(self, comment_id: str) -> str:
        return self._serializer.dumps(comment_id)

    def comment_id(self, token: str) -> str:
        """The comment the link is for; :class:`LinkTampered` when it is not ours."""
        try:
            value = self._serializer.loads(token)
        except (BadSignature, UnicodeError, ValueError):
            value = None
        if not is_comment_id(value):
            raise LinkTampered(Message("this link is not valid: it may have been changed"))
        return value


def edit_url(settings: Mapping[str, Any], token: str) -> str:
    """The public address of the private link (under ``COMMENTS_INTAKE_URL``)."""
    return f"{settings['COMMENTS_INTAKE_URL'].rstrip('/')}/edit/{token}"


def link_for(store: Store, settings: Mapping[str, Any], comment_id: str) -> str:
    """The private link of one stored comment (for the confirmation email, for instance)."""
    return edit_url(settings, EditLinks(store.keys.secret).mint(comment_id))


@dataclass(frozen=True)
class Changeable:
    """Whether a comment may be changed now, and for how long."""

    allowed: bool
    #: The end of the minutes after posting, if they have not passed.
    until: datetime | None
    #: It waits for moderation: it may be changed until a moderator decides.
    while_waiting: bool


def changeable(comment: Comment, minutes: float, now: datetime | None = None) -> Changeable:
    now = now or utcnow()
    window_end = comment.received_at + timedelta(minutes=minutes)
    until = window_end if now < window_end else None
    if comment.withdrawn_at is not None:
        return Changeable(False, None, False)
    if comment.status in (State.RECEIVED, State.HELD):
        return Changeable(True, until, True)
    if comment.status is State.APPROVED and until is not None:
        return Changeable(True, until, False)
    return Changeable(False, None, False)


def _check(store: Store, settings: Settings, comment_id: str, now: datetime) -> Comment:
    comment = store.comments.get(comment_id)
    if not changeable(comment, settings["COMMENTS_EDIT_MINUTES"], now).allowed:
        raise LinkExpired(Message("this comment can no longer be changed"))
    return comment


def edit_comment(
    store: Store,
    settings: Settings,
    comment_id: str,
    fields: Mapping[str, Any],
    *,
    now: datetime | None = None,
) -> Comment:
    """Replace the name, website and text of a comment its author may still change.

    The fields are checked as a new comment's would be (``ValidationError``); the
    comment goes back to screening. Returns it as stored now.
    """
    now = now or utcnow()
    with store.transaction():
        comment = _check(store, settings, comment_id, now)
        changed = parse_submission(
            {
                "article": comment.article,
                "name": fields.get("name", ""),
                "url": fields.get("url", ""),
                "body": fields.get("body", ""),
            },
            received_at=comment.received_at,
        )
        before = store.revisions.edit(
            comment_id,
            author=changed.author,
            author_url=changed.author_url,
            body=changed.body,
            now=now,
        )
    logger.info("comment %s edited by its author (was %s)", comment_id, before)
    return store.comments.get(comment_id)


def withdraw_comment(
    store: Store, settings: Settings, comment_id: str, *, now: datetime | None = None
) -> Comment:
    """Withdraw a comment its author may still change; it is never published again."""
    now = now or utcnow()
    with store.transaction():
        _check(store, settings, comment_id, now)
        before = store.revisions.withdraw(comment_id, now=now)
    logger.info("comment %s withdrawn by its author (was %s)", comment_id, before)
    return store.comments.get(comment_id)
