"""Review: a moderator's decisions on stored comments.

:func:`moderate` checks every id and every move before it changes anything, so
a typo in one id of a bulk action leaves all the others as they were. A decision
that overturns screening is reported to Akismet (through
:mod:`moderation.screening.feedback`) and, once per call, teaches the local model.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from .errors import InvalidTransition, ModerationError
from .models import Comment, State, utcnow
from .settings import Settings
from .store import MODERATOR_ACTIONS, DecisionEntry, Store

logger = logging.getLogger(__name__)

ACTIONS = tuple(MODERATOR_ACTIONS)  # approve, reject, spam, promo, restore

# A link whose visible text differs from its target: Markdown ``[text](url)`` or an
# HTML anchor (the body is Markdown, and raw HTML survives until the plugin cleans it).
_MARKDOWN_LINK = re.compile(r"\[([^\]\n]{1,500})\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HTML_LINK = re.compile(
    r"<a\s[^>]*?href\s*=\s*[\"']?([^\"'\s>]+)[^>]*>(.{0,500}?)</a\s*>", re.IGNORECASE | re.DOTALL
)


@dataclass
class ReviewReport:
    """What one :func:`moderate` call did."""

    action: str
    changed: list[DecisionEntry] = field(default_factory=list)
    unchanged: list[tuple[str, str]] = field(default_factory=list)  # (id, why)
    feedback: list[str] = field(default_factory=list)  # one line per Akismet report
    training: Any = None  # learned.TrainingSummary when the model was retrained
    warnings: list[str] = field(default_factory=list)


def _plan(comments: Sequence[Comment], action: str) -> tuple[list[Comment], list[tuple[str, str]]]:
    """Which comments the action moves, and which are already where it would put them."""
    allowed_from, target, _label = MODERATOR_ACTIONS[action]
    moves, unchanged = [], []
    for comment in comments:
        # promo on a spam comment only adds the label; every other "already there" is a no-op.
        if comment.status is target and not (action == "promo" and comment.status is State.SPAM):
            unchanged.append((comment.id, f"already {target}"))
        elif comment.status not in allowed_from:
            raise InvalidTransition(
                f"cannot {action} comment {comment.id}: it is {comment.status} "
                f"(allowed from: {', '.join(sorted(allowed_from))})"
            )
        else:
            moves.append(comment)
    return moves, unchanged


def moderate(
    store: Store,
    settings: Settings,
    ids_or_comments: Iterable[str | Comment],
    action: str,
    *,
    actor: str = "moderator",
    note: str | None = None,
    http_client: httpx.Client | None = None,
) -> ReviewReport:
    """Apply ``action`` to each comment; Akismet feedback and a model update follow.

    An unknown id raises :class:`UnknownComment`, and a move the workflow forbids
    raises :class:`InvalidTransition`, before any comment is changed.
    """
    if action not in MODERATOR_ACTIONS:
        raise ModerationError(f"unknown action {action!r} (one of: {', '.join(ACTIONS)})")
    ids = list(dict.fromkeys(c.id if isinstance(c, Comment) else c for c in ids_or_comments))
    moves, unchanged = _plan(store.get_many(ids), action)
    report = ReviewReport(action=action, unchanged=unchanged)
    for comment in moves:
        report.changed.append(store.moderate(comment.id, action, actor=actor, note=note))
    labelled = [entry for entry in report.changed if entry.label is not None]
    if not labelled:
        return report

    from .screening import feedback, learned

    for entry in labelled:
        # The decision is already committed; a failed report must not undo or hide it.
        try:
            message = feedback.report_override(
                settings, store, entry.comment_id, entry.label, http_client=http_client
            )
        except Exception as exc:
            logger.warning("Akismet feedback for %s failed: %s", entry.comment_id, exc)
            report.warnings.append(f"Akismet feedback for {entry.comment_id} failed: {exc}")
            continue
        if message:
            report.feedback.append(message)
    try:
        report.training = learned.retrain(store)
    except ModerationError as exc:
        logger.warning("the model was not retrained: %s", exc)
        report.warnings.append(f"the model was not retrained: {exc}")
    return report


def select_comments(
    store: Store,
    status: State,
    *,
    article: str | None = None,
    reason: str | None = None,
    older_than: timedelta | None = None,
    now: datetime | None = None,
) -> list[Comment]:
    """Comments in ``status`` for a bulk action, narrowed by article, reason and age."""
    selected = store.list_comments(status=status, article=article, reason=reason)
    if older_than is not None:
        cutoff = (now or utcnow()) - older_than
        selected = [c for c in selected if c.received_at <= cutoff]
    return selected


def select_held(
    store: Store,
    *,
    article: str | None = None,
    reason: str | None = None,
    older_than: timedelta | None = None,
    now: datetime | None = None,
) -> list[Comment]:
    """Held comments for ``--all-held``."""
    return select_comments(
        store, State.HELD, article=article, reason=reason, older_than=older_than, now=now
    )


def allowed_actions(status: State) -> list[str]:
    """The actions a moderator can take on a comment in ``status``, in menu order."""
    return [
        action for action, (allowed_from, *_) in MODERATOR_ACTIONS.items() if status in allowed_from
    ]


@dataclass(frozen=True)
class LinkInfo:
    """Where one link in a comment body really leads."""

    url: str
    host: str
    shortener: bool  # a URL shortener hides the real destination
    shown_as: str | None = None  # the host its visible text claims, when that differs


def links_in(text: str) -> list[LinkInfo]:
    """Every link in ``text`` with its host; shorteners and disguised links flagged.

    The same link finder and shortener list as the rules signal, so the moderator
    sees exactly the links screening judged.
    """
    from .screening.rules import URL_SHORTENERS
    from .screening.text import find_links, host_of

    disguised: dict[str, str] = {}
    labels: set[str] = set()  # URLs that are only a link's visible text, not a link
    pairs = [(m.group(1), m.group(2)) for m in _MARKDOWN_LINK.finditer(text)]
    pairs += [(m.group(2), m.group(1)) for m in _HTML_LINK.finditer(text)]
    targets = {target for _label, target in pairs}
    for label, target in pairs:
        target_host = host_of(target)
        for shown in find_links(label):
            labels.add(shown)
            shown_host = host_of(shown)
            if shown_host and target_host and shown_host != target_host:
                disguised[target] = shown_host
    links = []
    for url in find_links(text):
        host = host_of(url)
        if not host or (url in labels and url not in targets):
            continue
        links.append(
            LinkInfo(
                url=url,
                host=host,
                shortener=host in URL_SHORTENERS,
                shown_as=disguised.get(url),
            )
        )
    return links
