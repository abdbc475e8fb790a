"""Review: a moderator's decisions on stored comments.

:func:`moderate` checks every id and every move before it changes anything, so
a typo in one id of a bulk action leaves all the others as they were. A decision
that overturns screening is reported to Akismet (through
:mod:`moderation.screening.feedback`) and, once per call, teaches the local model
(or leaves that to the caller, ``retrain=False``: the review server retrains in
the background). :func:`undo_action` takes a moderator's action back: a new line
in the log puts each comment where it was, Akismet is told its own verdict again
and the model forgets the label. :func:`recheck_held` screens the held queue again
on the moderator's request.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import re2

from .errors import ModerationError
from .models import TRANSITIONS, Action, Comment, State, is_noop, transition, utcnow
from .settings import Settings
from .store import ActionRecord, DecisionEntry, Store, UndoError
from .store.decisions import new_action_id

if TYPE_CHECKING:
    from .screening import Screener

logger = logging.getLogger(__name__)

ACTIONS = tuple(str(action) for action in Action)  # approve, reject, spam, promo, restore

# A link whose visible text differs from its target: Markdown ``[text](url)`` or an
# HTML anchor (spam pastes them; the page shows them as text, but a moderator should
# see where they lead). RE2: linear time whatever the comment holds.
_MARKDOWN_LINK = re2.compile(r"\[([^\]\n]{1,500})\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HTML_LINK = re2.compile(r"(?is)<a\s[^>]*?href\s*=\s*[\"']?([^\"'\s>]+)[^>]*>(.{0,500}?)</a\s*>")


@dataclass
class FollowUp:
    """What follows a decision: Akismet reports, the model update, warnings."""

    feedback: list[str] = field(default_factory=list)  # one line per Akismet report
    training: Any = None  # learned.TrainingSummary when the model was retrained
    warnings: list[str] = field(default_factory=list)
    #: Labels changed, so the model should learn again (done when ``training`` is set).
    retrain_needed: bool = False

    def follow_up_lines(self, limit: int | None) -> list[str]:
        parts = [
            self.feedback,
            [self.training.message] if self.training is not None else [],
            [f"warning: {warning}" for warning in self.warnings],
        ]
        return [line for part in parts for line in bounded(part, limit)]


@dataclass
class ReviewReport(FollowUp):
    """What one :func:`moderate` call did; it says so itself, in :meth:`lines`."""

    action: str = ""
    action_id: str = ""
    changed: list[DecisionEntry] = field(default_factory=list)
    unchanged: list[tuple[str, str]] = field(default_factory=list)  # (id, why)

    @property
    def headline(self) -> str:
        if not self.changed:
            return f"Nothing to {self.action}: every selected comment was already there."
        count = len(self.changed)
        past = TRANSITIONS[Action(self.action)].past_tense
        return f"{count} comment{'' if count == 1 else 's'} {past}."

    def moves(self) -> list[str]:
        past = TRANSITIONS[Action(self.action)].past_tense
        lines = [f"{past} {e.comment_id} ({e.from_state} → {e.to_state})" for e in self.changed]
        lines += [f"unchanged {comment_id}: {why}" for comment_id, why in self.unchanged]
        return lines

    def lines(self, limit: int | None = None) -> list[str]:
        """Headline, each move, Akismet reports, training and warnings; each part cut
        to ``limit`` lines (the last one saying how many more) when a limit is given."""
        return [self.headline, *bounded(self.moves(), limit), *self.follow_up_lines(limit)]


@dataclass
class UndoReport(FollowUp):
    """What one :func:`undo_action` call did."""

    action: ActionRecord | None = None
    undone: list[tuple[DecisionEntry, DecisionEntry]] = field(default_factory=list)
    left: list[tuple[int, str]] = field(default_factory=list)  # (decision id, why)

    @property
    def headline(self) -> str:
        what = self.action.action if self.action else "action"
        count = len(self.undone)
        if not count:
            return f"Nothing of that {what} could be undone."
        return f"Undid {what} of {count} comment{'' if count == 1 else 's'}."

    def moves(self) -> list[str]:
        lines = [
            f"{line.comment_id} back to {line.to_state} (was {line.from_state})"
            for _undone, line in self.undone
        ]
        return lines + [f"not undone: {why}" for _id, why in self.left]

    def lines(self, limit: int | None = None) -> list[str]:
        return [self.headline, *bounded(self.moves(), limit), *self.follow_up_lines(limit)]


def bounded(lines: list[str], limit: int | None) -> list[str]:
    """At most ``limit`` lines, the last one saying how many were left out."""
    if limit is not None and len(lines) > limit:
        return [*lines[: limit - 1], f"… and {len(lines) - limit + 1} more"]
    return lines


def _plan(comments: Sequence[Comment], action: str) -> tuple[list[Comment], list[tuple[str, str]]]:
    """Which comments the action moves, and which are already where it would put them.

    Every move is checked against the workflow before anything changes.
    """
    moves, unchanged = [], []
    for comment in comments:
        assert comment.id is not None and comment.status is not None  # stored
        if is_noop(action, comment.status):
            unchanged.append((comment.id, f"already {comment.status}"))
        else:
            transition(action, comment.id, comment.status)
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
    retrain: bool = True,
    seen: Mapping[str, str] | None = None,
    within: Callable[[], None] | None = None,
) -> ReviewReport:
    """Apply ``action`` to each comment; Akismet feedback and a model update follow.

    An unknown id raises :class:`UnknownComment`, and a move the workflow forbids
    raises :class:`InvalidTransition`, before any comment is changed. ``seen``
    gives, by comment id, the version of the text the moderator was shown (a
    :class:`Comment` given instead of an id stands for its own version): if one
    has changed since, :class:`CommentChanged` is raised and nothing is changed.
    Every line written shares one action id (``report.action_id``), so the whole
    action can be undone at once. With ``retrain=False`` the model is not
    retrained here: ``report.retrain_needed`` says whether the caller should (the
    review server does it in the background so that no moderator waits for it).
    ``within`` runs first in the action's transaction: what must commit with the
    decisions or not at all (a one-click link being spent); an exception it raises
    changes nothing.
    """
    if action not in ACTIONS:
        raise ModerationError(f"unknown action {action!r} (one of: {', '.join(ACTIONS)})")
    given = list(ids_or_comments)
    ids = list(dict.fromkeys(c.id if isinstance(c, Comment) else c for c in given))
    shown = {c.id: c.version for c in given if isinstance(c, Comment)} | dict(seen or {})
    moves, unchanged = _plan(store.comments.get_many(ids), action)
    report = ReviewReport(action=action, action_id=new_action_id(), unchanged=unchanged)
    with store.transaction():  # a bulk action is one unit: all of it or none
        if within is not None:
            within()
        for comment in moves:
            assert comment.id is not None  # stored
            entry = store.decisions.moderate(
                comment.id,
                action,
                actor=actor,
                note=note,
                action_id=report.action_id,
                seen=shown.get(comment.id),
            )
            report.changed.append(entry)
    labelled = [(e.comment_id, e.label) for e in report.changed if e.label is not None]
    _follow_up(report, store, settings, labelled, http_client, retrain, reverse=False)
    return report


def _follow_up(
    report: FollowUp,
    store: Store,
    settings: Settings,
    labelled: list[tuple[str, Any]],
    http_client: httpx.Client | None,
    retrain: bool,
    *,
    reverse: bool,
) -> None:
    """Tell Akismet (``reverse``: take back what it was told) and update the model."""
    if not labelled:
        return
    from .screening import feedback, learned

    report.retrain_needed = True
    # The decisions are committed; a failed report must not undo or hide them.
    try:
        send = feedback.report_reversals if reverse else feedback.report_overrides
        sent = send(settings, store, labelled, http_client=http_client)
        report.feedback = sent.sent
        report.warnings += sent.failed
    except Exception as exc:
        logger.warning("Akismet feedback failed: %s", exc)
        report.warnings.append(f"Akismet feedback failed: {exc}")
    if not retrain:
        return
    try:
        report.training = learned.retrain(store, settings)
    except ModerationError as exc:
        logger.warning("the model was not retrained: %s", exc)
        report.warnings.append(f"the model was not retrained: {exc}")


#: How many of a moderator's actions the review page offers to undo.
UNDO_DEPTH = 20


def recent_actions(store: Store, actor: str, limit: int = UNDO_DEPTH) -> list[ActionRecord]:
    """``actor``'s last ``limit`` actions, newest first (what the page lists for undo)."""
    return store.decisions.recent_actions(actor, limit)


def last_undoable(store: Store, actor: str) -> ActionRecord | None:
    """``actor``'s newest action among the last :data:`UNDO_DEPTH` that can still be undone."""
    return next((a for a in recent_actions(store, actor) if a.undoable), None)


def undo_action(
    store: Store,
    settings: Settings,
    action_id: str,
    *,
    actor: str,
    note: str | None = None,
    http_client: httpx.Client | None = None,
    retrain: bool = True,
) -> UndoReport:
    """Undo one of ``actor``'s own recent actions, every comment of it that can be.

    Each comment goes back to the state the action found it in, by a new line in
    the decision log that names the line it undoes (the log stays append-only).
    A comment moved again since is left as it is and said so. Akismet is told its
    own verdict again where the action had contradicted it, and the model stops
    counting the undone labels (after the retrain, or ``report.retrain_needed``).
    """
    recent = {a.action_id: a for a in recent_actions(store, actor)}
    record = recent.get(action_id)
    if record is None:
        raise UndoError(
            f"action {action_id} is not one of {actor}'s last {UNDO_DEPTH} actions: "
            "a moderator can undo only their own recent actions"
        )
    pending = [entry.id for entry in record.entries if entry.id not in record.undone]
    report = UndoReport(action=record)
    report.left = [
        (e.id, f"{e.comment_id} was already undone")
        for e in record.entries
        if e.id in record.undone
    ]
    if pending:
        undone, left = store.decisions.undo(pending, actor=actor, note=note)
        report.undone = undone
        report.left += left
    logger.info("%s undid %s (%d comments)", actor, action_id, len(report.undone))
    labelled = [(entry.comment_id, entry.label) for entry, _line in report.undone if entry.label]
    _follow_up(report, store, settings, labelled, http_client, retrain, reverse=True)
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
    selected = store.comments.list(status=status, article=article, reason=reason)
    if older_than is not None:
        cutoff = (now or utcnow()) - older_than
        selected = [c for c in selected if c.received_at <= cutoff]
    return selected


@dataclass
class RecheckReport:
    """What :func:`recheck_held` did.

    Only comments that were waiting for an Akismet retry can change state; any
    other held comment gets a fresh screening run to read, and stays held.
    """

    rescreened: int = 0
    waiting: int = 0  # of those, how many were waiting for an Akismet retry
    moved: Counter[str] = field(default_factory=Counter)  # waiting → approved / spam
    still_waiting: int = 0  # Akismet failed again: another retry is scheduled
    now_held: int = 0  # waiting ones that screening (or giving up) left for the moderator
    left_held: int = 0  # not waiting: screening refreshed, state untouched

    def __str__(self) -> str:
        text = f"re-screened {self.rescreened}"
        if self.waiting:
            outcomes = [f"{count} {state}" for state, count in sorted(self.moved.items())]
            if self.still_waiting:
                outcomes.append(f"{self.still_waiting} still unanswered (retry scheduled)")
            if self.now_held:
                outcomes.append(f"{self.now_held} now held for you")
            text += f"; {self.waiting} were waiting for Akismet: {', '.join(outcomes)}"
        if self.left_held:
            text += (
                f"; {self.left_held} left held for you "
                "(screening refreshed, state unchanged: approve or reject them yourself)"
            )
        return text


def recheck_held(
    store: Store,
    settings: Settings,
    *,
    everything: bool = False,
    screener: Screener | None = None,
    now: datetime | None = None,
    progress: Callable[..., None] | None = None,
) -> RecheckReport:
    """Screen held comments again now, without waiting for their recheck time.

    By default only the comments waiting for an Akismet retry; ``everything``
    adds every other held comment, whose signals are refreshed (a moderator may
    want to see what a retrained model or new rules say) while their state is
    left for the moderator: screening never overrides a hold it did not set up
    as a retry. Without a ``screener``, one is made from the settings (Akismet
    from the environment, the stored model) when there is something to screen.
    """
    from .screening import Screener, screen_and_record

    held = store.comments.list(status=State.HELD)
    waiting = {c.id for c in held if store.screenings.next_check_at(c.id) is not None}
    targets = held if everything else [c for c in held if c.id in waiting]
    report = RecheckReport(rescreened=len(targets), waiting=len(waiting))
    if not targets:
        return report
    made = screener is None
    screener = Screener.from_settings(settings, store) if screener is None else screener
    try:
        states = screen_and_record(store, screener, targets, now=now, progress=progress)
    finally:
        if made:
            screener.close()  # the Akismet client it made for itself
    for comment, state in zip(targets, states, strict=True):
        assert comment.id is not None  # listed from the store
        if comment.id not in waiting:
            report.left_held += 1
        elif state is not State.HELD:
            report.moved[str(state)] += 1
        elif store.screenings.next_check_at(comment.id) is not None:
            report.still_waiting += 1
        else:
            report.now_held += 1
    return report


def allowed_actions(status: State) -> list[str]:
    """The actions a moderator can take on a comment in ``status``, in menu order."""
    return [str(action) for action, move in TRANSITIONS.items() if status in move.allowed_from]


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
