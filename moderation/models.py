"""The data that flows through moderation: comments, signal results and verdicts."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum

from comment_format.files import is_comment_id as is_comment_id  # the one id check

from .errors import InvalidTransition


class State(StrEnum):
    """Where a stored comment is in the workflow."""

    RECEIVED = "received"  # stored, not screened yet
    APPROVED = "approved"
    HELD = "held"  # waits for a moderator
    SPAM = "spam"
    REJECTED = "rejected"  # not spam, just not published


class Decision(StrEnum):
    """What screening recommends for a comment."""

    APPROVE = "approve"
    HOLD = "hold"
    SPAM = "spam"


#: The state a screening decision puts a comment in.
STATE_FOR_DECISION = {
    Decision.APPROVE: State.APPROVED,
    Decision.HOLD: State.HELD,
    Decision.SPAM: State.SPAM,
}


class Label(StrEnum):
    """What the learned model is taught by a human decision."""

    HAM = "ham"
    SPAM = "spam"
    PROMO = "promo"


class Origin(StrEnum):
    """How a comment reached us."""

    FORM = "form"  # the comment form, urlencoded or multipart
    JSON = "json"  # a JSON post to the intake
    IMPORT = "import"  # ``moderation import`` of a JSON-lines file
    BATCH = "batch"  # a line of ``train`` or ``classify``: never stored as a comment
    WEBMENTION = "webmention"  # another site's page that mentions an article (verified)


#: Decision-log actors that record what a blog's old system had decided (the imports
#: of a WordPress or Disqus export): a comment they left rejected was deleted there by
#: its moderators (WordPress's trash, a deleted Disqus post), not withdrawn by its author.
OLD_SYSTEM_ACTORS = ("import-wordpress", "import-disqus")


class Action(StrEnum):
    """What a moderator can do to a comment."""

    APPROVE = "approve"
    REJECT = "reject"
    SPAM = "spam"
    PROMO = "promo"
    RESTORE = "restore"


@dataclass(frozen=True)
class Transition:
    """One row of the workflow: where an action may start, where it leads, what it teaches."""

    allowed_from: frozenset[State]
    to: State
    label: Label | None
    past_tense: str  # how a report says it: "approved c-2026-..."


#: The workflow: every move a moderator may make. Checked by the store when it
#: changes a comment and by review when it plans a bulk action, from this one table.
TRANSITIONS: dict[Action, Transition] = {
    Action.APPROVE: Transition(
        frozenset({State.RECEIVED, State.HELD, State.SPAM, State.REJECTED}),
        State.APPROVED,
        Label.HAM,
        "approved",
    ),
    Action.REJECT: Transition(
        frozenset({State.RECEIVED, State.HELD, State.APPROVED, State.SPAM}),
        State.REJECTED,
        None,
        "rejected",
    ),
    Action.SPAM: Transition(
        frozenset({State.RECEIVED, State.HELD, State.APPROVED, State.REJECTED}),
        State.SPAM,
        Label.SPAM,
        "marked as spam",
    ),
    Action.PROMO: Transition(
        frozenset({State.RECEIVED, State.HELD, State.APPROVED, State.REJECTED, State.SPAM}),
        State.SPAM,
        Label.PROMO,
        "marked as promotion",
    ),
    Action.RESTORE: Transition(
        frozenset({State.SPAM, State.REJECTED}), State.HELD, None, "restored"
    ),
}


#: Where an edit of its text (by its author, or a Webmention's changed source) sends a
#: comment back to screening. Out of ``spam`` and ``rejected`` (withdrawn ones too) only
#: a moderator's ``restore`` leads: there the new text is kept, the state stays.
EDIT_RESCREENS = frozenset({State.RECEIVED, State.HELD, State.APPROVED})


def transition(action: Action | str, comment_id: str, current: State) -> Transition:
    """The move ``action`` makes from ``current``; :class:`InvalidTransition` if none."""
    move = TRANSITIONS[Action(action)]
    if current not in move.allowed_from:
        raise InvalidTransition(
            f"cannot {action} comment {comment_id}: it is {current} "
            f"(allowed from: {', '.join(sorted(move.allowed_from))})"
        )
    return move


def is_noop(action: Action | str, current: State) -> bool:
    """Whether ``action`` would leave a comment in ``current`` where it is.

    ``promo`` on a spam comment is not: it adds the promotion label.
    """
    action = Action(action)
    return current is TRANSITIONS[action].to and not (
        action is Action.PROMO and current is State.SPAM
    )


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_comment_id(received_at: datetime) -> str:
    """``c-YYYY-MM-DD-xxxxxx``: sortable by day, unguessable within it."""
    return f"c-{received_at.astimezone(UTC):%Y-%m-%d}-{secrets.token_hex(3)}"


def stable_comment_id(received_at: datetime, content_hash: str) -> str:
    """``c-YYYY-MM-DD-xxxxxx`` derived from the content: the same submission gets the
    same id in any database, so importing it again publishes no second copy."""
    return f"c-{received_at.astimezone(UTC):%Y-%m-%d}-{content_hash[:6]}"


_SPACE = re.compile(r"\s+")


def content_hash(article: str, author: str, body: str) -> str:
    """Identifies an exact duplicate: same article, author and text (whitespace-insensitive)."""
    normalised = "\x1f".join(
        (article, _SPACE.sub(" ", author).strip().lower(), _SPACE.sub(" ", body).strip())
    )
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def text_version(author: str, author_url: str | None, body: str) -> str:
    """Names one version of what a comment says: its name, website and text, exactly.

    Screening and a moderator's decision name the version they judged, and the
    store applies neither to a text that changed since (an author's edit).
    """
    exact = "\x1f".join((author, author_url or "", body))
    return hashlib.sha256(exact.encode("utf-8")).hexdigest()[:16]


#: What :func:`text_version` returns: the review page and the CLI check what they get back.
VERSION_PATTERN = re.compile(r"[0-9a-f]{16}")


@dataclass(frozen=True)
class Comment:
    """A comment as submitted and, once stored, as kept.

    ``id`` and ``status`` are ``None`` for a comment that is only being classified
    and never stored. ``intake_flags`` are findings made at intake time (honeypot,
    time trap) that screening reports as reasons.
    """

    article: str
    author: str
    body: str
    email: str | None = None
    author_url: str | None = None
    reply_to: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    referrer: str | None = None
    language: str | None = None
    received_at: datetime = field(default_factory=utcnow)
    origin: Origin = Origin.FORM
    intake_flags: tuple[str, ...] = ()
    id: str | None = None
    status: State | None = None
    #: An article outside the content folder, described by a ``classify`` or
    #: ``train`` line; never stored.
    article_title: str | None = None
    article_text: str | None = None
    #: The commenter ticked "show my picture" (COMMENTS_AVATARS libravatar/gravatar).
    avatar_opt_in: bool = False
    #: When its author last changed it through the private link, and when they
    #: withdrew it (a withdrawn comment is never published again).
    edited_at: datetime | None = None
    withdrawn_at: datetime | None = None

    @property
    def content_hash(self) -> str:
        return content_hash(self.article, self.author, self.body)

    @property
    def version(self) -> str:
        """This version of its text (:func:`text_version`)."""
        return text_version(self.author, self.author_url, self.body)

    def with_changes(self, **changes: object) -> Comment:
        return replace(self, **changes)


class SignalKind(StrEnum):
    """How the policy counts a signal's result."""

    #: The starting odds: a model's estimate for this very comment (without one,
    #: the policy starts from a cautious prior).
    PRIOR = "prior"
    #: Evidence that moves the odds: up for spam and promotion, down for a genuine comment.
    EVIDENCE = "evidence"


@dataclass(frozen=True)
class SignalResult:
    """One signal's finding about one comment.

    ``score`` is in [0, 1], higher meaning more likely spam or promotion; it is
    ``None`` when the signal could not judge (not configured, unavailable, untrained).
    ``weight`` is what the result adds to the combined log-odds (for a ``PRIOR``,
    the log-odds it starts from); the signal decides it, so the policy needs to
    know nothing about any signal. ``floor`` is the least severe decision the
    policy may reach because of this signal (a disallowed word forces SPAM, a
    moderation keyword forces HOLD). ``findings`` are the reasons shown to the
    moderator; ``retry`` asks for a recheck later (Akismet was unreachable).

    Two facts the policy weighs apart from the score, because the errors they
    prevent cost the most: ``grounds`` is true when the findings show what the
    comment promotes (a link to a site, a phone number, an offer, a trade of
    spam): without grounds from some signal a comment is held, never decided spam.
    ``vouches`` is true when the findings speak for the comment (code, a
    question, its article's subject, a trusted author): a comment with grounds
    and nothing that vouches for it is held, never approved.
    """

    signal: str
    score: float | None
    reason: str
    floor: Decision | None = None
    findings: tuple[str, ...] = ()
    retry: bool = False
    kind: SignalKind = SignalKind.EVIDENCE
    weight: float = 0.0
    #: What the signal sent to an outside service, kept to report a moderator's
    #: correction back with exactly the same facts (Akismet's submit-spam/ham).
    sent: dict[str, str] | None = None
    grounds: bool = False
    vouches: bool = False

    @property
    def explains(self) -> bool:
        """Whether the verdict should quote this result (it counted, or it sets a floor)."""
        return bool(self.findings) or self.weight != 0 or self.floor is not None or self.retry


@dataclass(frozen=True)
class Verdict:
    """The policy's decision for one comment, with every signal that led to it."""

    decision: Decision
    score: float | None
    reasons: tuple[str, ...]
    signals: tuple[SignalResult, ...]
    retry: bool = False  # some signal asked for a recheck later

    def signal(self, name: str) -> SignalResult | None:
        return next((s for s in self.signals if s.signal == name), None)
