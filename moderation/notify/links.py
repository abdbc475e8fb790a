"""Following the links of an email: one-click moderation, confirming, unsubscribing.

Each flow has two steps, so that a link scanner (which only GETs) decides
nothing: ``open_*`` checks a token and says what following it would do (the page
a GET shows), and the function without ``open_`` does it (what the page's POST,
or a mail client's RFC 8058 one-click POST, calls). A changed token is
:class:`~.tokens.LinkInvalid` (403); an old one :class:`~.tokens.LinkExpired` and
a spent one :class:`~.tokens.LinkUsed` (both 410).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import httpx

from ..errors import UnknownComment
from ..models import Comment, State, utcnow
from ..review import ReviewReport, moderate
from ..settings import Settings
from ..store import Store
from ..store.subscriptions import Subscriber
from .messages import ONE_CLICK
from .tokens import LinkInvalid, LinkSigner, LinkUsed

logger = logging.getLogger(__name__)


def signer_for(store: Store) -> LinkSigner:
    return LinkSigner(store.keys.secret)


# -- one-click moderation ------------------------------------------------------------


@dataclass(frozen=True)
class PendingAction:
    """What a one-click link would do: ``action`` on ``comment``, by ``moderator``."""

    nonce: str
    action: str
    label: str
    comment: Comment
    moderator: str


def actor_for(store: Store, address: str) -> str:
    """Who the decision log names: the account whose name is the address the alert
    went to, if there is one (issue 10's accounts), else the address itself."""
    users = getattr(store, "users", None)
    if users is not None and hasattr(users, "all"):
        for account in users.all():
            if account.name.lower() == address.lower():
                return account.name
    return address


def open_moderation_link(
    store: Store, token: str, signer: LinkSigner | None = None
) -> PendingAction:
    """Check a one-click link and say what it would do; nothing changes."""
    nonce, action = (signer or signer_for(store)).read_moderate(token)
    link = store.outbox.link(nonce)
    if link is None or action not in ONE_CLICK:
        raise LinkInvalid()
    try:
        comment = store.comments.get(link.comment_id)
    except UnknownComment:
        raise LinkUsed("this comment has been erased; there is nothing left to decide") from None
    if link.used_at is not None:
        raise LinkUsed(
            f"this link has been used: the comment was given “{link.used_action}” on "
            f"{link.used_at:%Y-%m-%d at %H:%M} UTC. Each alert's links work once."
        )
    return PendingAction(nonce, action, ONE_CLICK[action], comment, link.moderator)  # type: ignore[index]


def follow_moderation_link(
    store: Store,
    settings: Settings,
    token: str,
    *,
    signer: LinkSigner | None = None,
    http_client: httpx.Client | None = None,
    now: datetime | None = None,
    seen: str | None = None,
) -> ReviewReport:
    """Apply a one-click link's action, logged under the moderator it was sent to.

    ``seen`` is the version of the text the link's page showed: if the comment has
    been edited since, :class:`~moderation.errors.CommentChanged` is raised. The
    link is spent in the transaction of the decision: two clicks racing each other
    cannot both act, and an action that fails or is refused leaves the link as it
    was. The model is not retrained here: ``report.retrain_needed`` asks the caller
    to have it done in the background.
    """
    pending = open_moderation_link(store, token, signer)
    assert pending.comment.id is not None  # stored
    comment_id = pending.comment.id

    def spend() -> None:
        store.decisions.check_seen(comment_id, pending.action, seen)
        if not store.outbox.use_link(pending.nonce, pending.action, now or utcnow()):
            raise LinkUsed("this link has just been used")

    actor = actor_for(store, pending.moderator)
    logger.info("one-click %s of %s by %s", pending.action, pending.comment.id, actor)
    return moderate(
        store,
        settings,
        [pending.comment.id],
        pending.action,
        actor=actor,
        note="one-click link in an email alert",
        http_client=http_client,
        seen={comment_id: seen} if seen is not None else None,
        retrain=False,
        within=spend,
    )


# -- confirming a subscription ----------------------------------------------------------


@dataclass(frozen=True)
class Confirming:
    """What a confirmation link is for: one thread of a subscriber (or, for a link
    made before threads were confirmed one by one, ``article`` None: the address)."""

    subscriber: Subscriber
    article: str | None
    made_at: datetime
    done_already: bool


def open_confirmation(store: Store, token: str, signer: LinkSigner | None = None) -> Confirming:
    opaque, made_at = (signer or signer_for(store)).read_confirm(token)
    thread = store.subscriptions.thread_by_token(opaque)
    if thread is not None:
        return Confirming(thread.subscriber, thread.article, made_at, thread.active)
    subscriber = store.subscriptions.by_token(opaque)
    if subscriber is None:
        raise LinkInvalid()
    return Confirming(subscriber, None, made_at, subscriber.active)


def confirm(store: Store, token: str, *, signer: LinkSigner | None = None) -> bool:
    """Confirm the thread the link was sent about; False when it already was."""
    target = open_confirmation(store, token, signer)
    subscriber = target.subscriber
    if target.article is None:
        done = store.subscriptions.confirm_address(subscriber.id, target.made_at)
    else:
        done = store.subscriptions.confirm_thread(subscriber.id, target.article)
    logger.info(
        "subscriber %d confirmed %s%s",
        subscriber.id,
        target.article or "their address",
        "" if done else " (again)",
    )
    return done


# -- unsubscribing -------------------------------------------------------------------------


@dataclass(frozen=True)
class Unsubscribing:
    """What an unsubscribe link is for: everything, or one article's thread."""

    subscriber: Subscriber
    scope: str  # all or thread
    article: str | None
    done_already: bool


def open_unsubscribe(store: Store, token: str, signer: LinkSigner | None = None) -> Unsubscribing:
    scope, opaque = (signer or signer_for(store)).read_unsubscribe(token)
    if scope == "all":
        subscriber = store.subscriptions.by_token(opaque)
        if subscriber is None:
            raise LinkInvalid()
        return Unsubscribing(subscriber, scope, None, subscriber.unsubscribed_at is not None)
    thread = store.subscriptions.thread_by_token(opaque)
    if thread is None:
        raise LinkInvalid()
    return Unsubscribing(
        thread.subscriber, scope, thread.article, thread.unsubscribed_at is not None
    )


def unsubscribe(store: Store, token: str, *, signer: LinkSigner | None = None) -> Unsubscribing:
    """Stop reply emails for the link's scope (no login, no cookie: the token is enough)."""
    target = open_unsubscribe(store, token, signer)
    if target.scope == "all":
        store.subscriptions.unsubscribe_all(target.subscriber.id)
    else:
        assert target.article is not None
        store.subscriptions.unsubscribe_thread(target.subscriber.id, target.article)
    logger.info("subscriber %d unsubscribed from %s", target.subscriber.id, target.article or "all")
    return target


def comment_state_note(comment: Comment) -> str:
    """How a confirmation page describes where a comment is now."""
    if comment.status in (State.HELD, State.SPAM):
        return f"It is {comment.status} now."
    return f"It is already {comment.status}."
