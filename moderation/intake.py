"""The library behind the intake service: what happens to a submission before it is stored.

- :class:`FormTokens` mints and checks the form token, a signed timestamp that
  shows how long the reader had the form before sending it (the time trap).
- :class:`ThreadIndex` reads the site's ``threads.json`` (written by the plugin at
  build time) to tell open, closed and unknown articles apart and to know which
  comments are published and may be replied to.
- :func:`client_ip` finds the reader's address behind trusted reverse proxies.
- :class:`RateLimiter` counts submissions per address in a sliding minute.
- :func:`accept_many` (and :func:`accept` for one) stores submissions in one
  transaction: exact duplicates are refused, a filled honeypot is stored as
  spam, everything else is stored as ``received`` for screening.

The HTTP layer (``moderation.web``) only parses requests and calls these.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import re
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from itsdangerous import BadSignature, Signer

from comment_format.i18n import Message

from .articles import ArticleInfo, load_articles
from .errors import ModerationError, SettingsError, ValidationError
from .models import Comment, State
from .redaction import mask_email
from .reloading import Reloading
from .settings import Settings
from .store import Store

logger = logging.getLogger(__name__)

#: A form token older than this no longer vouches for the reader (the comment is
#: held, not refused): a page left open for a day is reloaded before commenting.
TOKEN_MAX_AGE_SECONDS = 24 * 60 * 60
#: Tolerated clock difference for a token minted "in the future" (several workers).
TOKEN_CLOCK_SKEW_SECONDS = 5.0
RATE_WINDOW_SECONDS = 60.0
#: X-Forwarded-For hops looked at, from the right.
MAX_HOPS = 32

FLAG_HONEYPOT = "honeypot"
FLAG_TOKEN_MISSING = "token: missing"
FLAG_TOKEN_INVALID = "token: invalid"
FLAG_TOKEN_EXPIRED = "token: expired"

# -- errors ----------------------------------------------------------------------


class IntakeError(ModerationError):
    """A submission the service refuses; ``status_code`` is the HTTP answer."""

    status_code = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class SiteNotBuilt(IntakeError):
    status_code = 503


class UnknownArticle(IntakeError):
    status_code = 404


class ArticleClosed(IntakeError):
    status_code = 409


class UnknownParent(IntakeError):
    status_code = 404

    def __init__(self, comment_id: str, article: str) -> None:
        message = Message(
            "there is no published comment {comment} on {article} to reply to",
            comment=repr(comment_id),
            article=repr(article),
        )
        super().__init__(message, "reply_to")


class DuplicateComment(IntakeError):
    status_code = 409

    def __init__(self, message: str, duplicate_of: str) -> None:
        super().__init__(message, None)
        self.duplicate_of = duplicate_of


class RateLimited(IntakeError):
    status_code = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, None)
        self.retry_after = retry_after


#: How an error names a form field (``{field} {problem}``: "body is required").
FIELD_NAMES = {
    "article": Message("article"),
    "name": Message("name"),
    "email": Message("email"),
    "url": Message("url"),
    "body": Message("body"),
    "reply_to": Message("reply_to"),
    "notify_replies": Message("notify_replies"),
}


def field_error(error: ValidationError) -> IntakeError:
    """A refused field as the intake answers it: the field's name, then the problem."""
    field = FIELD_NAMES.get(error.field, error.field)
    message = Message("{field} {problem}", field=field, problem=error.message)
    return IntakeError(message, error.field)


# -- form tokens -----------------------------------------------------------------


class FormTokens:
    """A token is ``<minted at, ms>.<nonce>`` signed with the store's secret key.

    itsdangerous's own timestamps have whole-second resolution, too coarse for a
    three-second trap, so the milliseconds are part of the signed value.
    """

    def __init__(
        self,
        secret_key: bytes,
        *,
        min_seconds: float = 3.0,
        max_age: float = TOKEN_MAX_AGE_SECONDS,
    ) -> None:
        self._signer = Signer(secret_key, salt="moderation.intake.form-token")
        self.min_seconds = min_seconds
        self.max_age = max_age

    def mint(self, now: float | None = None) -> str:
        minted_ms = int((time.time() if now is None else now) * 1000)
        return self._signer.sign(f"{minted_ms}.{secrets.token_urlsafe(6)}").decode("ascii")

    def check(self, token: str | None, now: float | None = None) -> str | None:
        """The intake flag this token earns (``None``: a good token, sent in no hurry)."""
        if not token:
            return FLAG_TOKEN_MISSING
        now = time.time() if now is None else now
        try:
            value = self._signer.unsign(token.encode("utf-8")).decode("ascii")
            minted = int(value.split(".", 1)[0]) / 1000
        except (BadSignature, UnicodeError, ValueError):
            return FLAG_TOKEN_INVALID
        age = now - minted
        if age < -TOKEN_CLOCK_SKEW_SECONDS:
            return FLAG_TOKEN_INVALID
        if age > self.max_age:
            return FLAG_TOKEN_EXPIRED
        if age < self.min_seconds:
            return f"time trap: submitted {max(age, 0.0):.1f} s after the form was served"
        return None


# -- the thread index --------------------------------------------------------------


@dataclass(frozen=True)
class Thread:
    """One article as the last site build published it."""

    slug: str
    title: str
    url: str
    open: bool
    comment_ids: frozenset[str]
    #: The article's language (its ``Lang:``, else the site's), for the intake's pages.
    lang: str | None = None


class ThreadIndex:
    """``threads.json``, read again whenever the file changes (the site was rebuilt).

    With ``close_after_days`` > 0 an article also closes once it is that old, even
    between builds; its date comes from the Markdown sources (``articles_loader``).
    """

    def __init__(
        self,
        path: Path,
        *,
        close_after_days: float = 0,
        articles_loader: Callable[[], Mapping[str, ArticleInfo]] | None = None,
        check_interval: float = 1.0,
    ) -> None:
        self.path = path
        self.close_after_days = close_after_days
        self._articles_loader = articles_loader
        self._articles: Mapping[str, ArticleInfo] = {}
        # A stat per submission would cost more than the rest of the checks.
        self._index = Reloading(
            self._stamp, self._read, interval=check_interval, name=f"thread index {path}"
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> ThreadIndex:
        close_after = settings["COMMENTS_CLOSE_AFTER_DAYS"]
        loader = None
        if close_after > 0:

            def loader() -> Mapping[str, ArticleInfo]:
                return load_articles(settings)

        return cls(
            settings.path("COMMENTS_THREADS"), close_after_days=close_after, articles_loader=loader
        )

    @property
    def check_interval(self) -> float:
        """Seconds between looks at the file (0: every time)."""
        return self._index.interval

    @check_interval.setter
    def check_interval(self, seconds: float) -> None:
        self._index.interval = seconds

    def threads(self) -> dict[str, Thread]:
        """The current index; raises :class:`SiteNotBuilt` when there is none."""
        return self._index.get()

    def _stamp(self) -> tuple[int, int, int]:
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            raise SiteNotBuilt(
                Message(
                    "the site has not been built yet, so no article can take comments: "
                    "{path} is missing (build the site, then try again)",
                    path=self.path,
                )
            ) from None
        return (stat.st_mtime_ns, stat.st_size, stat.st_ino)

    def _read(self) -> dict[str, Thread]:
        try:
            entries = json.loads(self.path.read_text(encoding="utf-8"))
            threads = {}
            for entry in entries:
                slug = entry["slug"]
                threads[slug] = Thread(
                    slug=slug,
                    title=str(entry.get("title") or slug),
                    url=str(entry.get("url") or ""),
                    open=bool(entry.get("open", True)),
                    comment_ids=frozenset(entry.get("comments") or ()),
                    lang=str(entry.get("lang") or "") or None,
                )
        except (OSError, UnicodeError, ValueError, TypeError, KeyError) as exc:
            # A half-written file during a build: the last index read stays in use.
            raise SiteNotBuilt(
                Message(
                    "the site's thread index {path} cannot be read ({problem}); rebuild the site",
                    path=self.path,
                    problem=exc,
                )
            ) from exc
        if self._articles_loader is not None:
            try:
                self._articles = self._articles_loader()
            except (OSError, ModerationError) as exc:
                logger.warning("cannot read article dates: %s", exc)
        logger.info("thread index %s: %d articles", self.path, len(threads))
        return threads

    def thread_for(self, article: str, now: datetime | None = None) -> Thread:
        """The open thread of ``article``; unknown or closed articles raise."""
        thread = self.threads().get(article)
        if thread is None:
            raise UnknownArticle(
                Message("there is no article {article} on this site", article=repr(article)),
                "article",
            )
        if not thread.open or self._too_old(article, now):
            raise ArticleClosed(
                Message("comments on {title} are closed", title=repr(thread.title)), "article"
            )
        return thread

    def _too_old(self, article: str, now: datetime | None) -> bool:
        info = self._articles.get(article)
        return info is not None and not info.is_open(self.close_after_days, now)


# -- the reader's address ------------------------------------------------------------

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """``COMMENTS_TRUSTED_PROXIES`` entries (addresses or CIDR blocks) as networks."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError as exc:
            raise SettingsError(
                f"COMMENTS_TRUSTED_PROXIES: {value!r} is not an address or network"
            ) from exc
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "192.0.2.1:443"
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def client_ip(
    peer: str | None, forwarded_for: str | None, trusted: tuple[Network, ...]
) -> str | None:
    """The reader's address: the right-most untrusted hop of ``X-Forwarded-For``.

    The header is only believed when the peer itself is a trusted proxy; each
    proxy appends the address it saw, so walking from the right and skipping our
    own proxies reaches the first address nobody of ours can vouch for. Nothing
    is cached: a cache keyed by header values would let anyone fill memory.
    """
    peer_address = _address(peer) if peer else None
    if peer_address is None:
        return peer or None

    def is_trusted(address: Any) -> bool:
        return any(address in network for network in trusted)

    if not forwarded_for or not is_trusted(peer_address):
        return str(peer_address)
    current = peer_address
    # No chain of our own proxies is longer than this; the hops before it are
    # the client's to invent anyway.
    for hop in reversed(forwarded_for.split(",")[-MAX_HOPS:]):
        address = _address(hop)
        if address is None:
            break  # garbage: the last hop we could read is as far as we can trust
        current = address
        if not is_trusted(address):
            break
    return str(current)


def first_language(accept_language: str | None) -> str | None:
    """The first tag of ``Accept-Language`` (``"en-GB,en;q=0.8"`` → ``"en-GB"``)."""
    if not accept_language:
        return None
    tag = accept_language.split(",", 1)[0].split(";", 1)[0].strip()
    return tag if _LANGUAGE_TAG.match(tag) else None


_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$")


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of ``url``, lower-cased, or ``None`` if it has none."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), parts.netloc.lower().rpartition("@")[2]
    if not scheme or not host:
        return None
    default_port = {"http": ":80", "https": ":443"}.get(scheme)
    if default_port and host.endswith(default_port):
        host = host[: -len(default_port)]
    return f"{scheme}://{host}"


# -- rate limiting -------------------------------------------------------------------


def rate_limit_key(ip: str | None) -> str:
    """Addresses counted together: one IPv4 address, or one IPv6 /64 (one household)."""
    if not ip:
        return "unknown"
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return ip


class RateLimiter:
    """At most ``per_minute`` submissions per key in any 60 seconds (0 turns it off).

    Kept in memory: one service process owns the intake, and a restart forgetting
    the last minute is harmless.
    """

    def __init__(self, per_minute: int, window: float = RATE_WINDOW_SECONDS) -> None:
        self.per_minute = per_minute
        self.window = window
        self._hits: dict[str, deque[float]] = {}
        self._last_sweep = 0.0

    def hit(self, key: str, now: float | None = None) -> int | None:
        """Count a submission; returns the seconds to wait when over the limit."""
        if self.per_minute <= 0:
            return None
        now = time.monotonic() if now is None else now
        self._sweep(now)
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.per_minute:
            return max(1, int(hits[0] + self.window - now + 0.999))
        hits.append(now)
        return None

    def _sweep(self, now: float) -> None:
        # Forget idle keys now and then so the table does not grow for ever.
        if now - self._last_sweep < self.window:
            return
        self._last_sweep = now
        for key in [
            k for k, hits in self._hits.items() if not hits or hits[-1] <= now - self.window
        ]:
            del self._hits[key]


# -- storing -------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    """A validated comment on its way into the store."""

    comment: Comment
    honeypot: bool = False
    #: The published comment ids of the article (from threads.json), for ``reply_to``.
    published_ids: frozenset[str] = frozenset()
    #: The author ticked "Email me when someone replies" (issue 11).
    notify_replies: bool = False


def accept_many(store: Store, submissions: Sequence[Submission]) -> list[Comment | IntakeError]:
    """Store ``submissions`` in one transaction (a group commit): all of them or none.

    Returns, in order, the stored comment or the :class:`IntakeError` that refused
    it (duplicate, reply to an unpublished comment). Everything returned as stored
    is committed when this returns; if storing fails, the error propagates and
    nothing of the batch is stored.

    A submission found already stored (same content, received at the same instant)
    is returned as stored rather than refused as a duplicate of itself: that is a
    retry after a failure whose outcome was unclear.
    """
    results: list[Comment | IntakeError | None] = [None] * len(submissions)
    received: list[tuple[int, Comment]] = []
    trapped: list[tuple[int, Comment]] = []
    subscribing: set[int] = set()  # indexes whose author asked for reply emails
    seen_hashes: dict[str, int] = {}
    approved: dict[str, set[str]] = {}
    for index, submission in enumerate(submissions):
        comment = submission.comment
        duplicate = store.comments.duplicate_of(comment.content_hash)
        if duplicate is not None:
            earlier = store.comments.get(duplicate)
            if _same_submission(earlier, comment):
                results[index] = earlier
                continue
        refusal = _refusal(store, submission, duplicate, seen_hashes, approved)
        if refusal is not None:
            results[index] = refusal
            continue
        seen_hashes[comment.content_hash] = index
        if submission.honeypot:
            flags = (FLAG_HONEYPOT, *(f for f in comment.intake_flags if f != FLAG_HONEYPOT))
            trapped.append((index, comment.with_changes(intake_flags=flags)))
        else:
            received.append((index, comment))
            if submission.notify_replies:
                subscribing.add(index)
    stored: list[tuple[int, Comment]] = []
    if received or trapped:
        # Both kinds commit together: a batch is stored whole or not at all.
        with store.transaction():
            for batch, status, note in (
                (received, State.RECEIVED, None),
                (trapped, State.SPAM, "honeypot"),
            ):
                if batch:
                    comments = store.comments.add_many(
                        [c for _, c in batch], status=status, note=note
                    )
                    stored += zip((index for index, _ in batch), comments, strict=True)
            for index, comment in stored:
                if index in subscribing and comment.email:  # commits with it (issue 11)
                    # Nothing is sent yet: the confirmation waits for the comment to
                    # be approved, so an address typed by a spammer is never mailed.
                    store.subscriptions.subscribe(comment.id, comment.email, comment.article)
    for index, comment in stored:
        results[index] = comment
        logger.info(
            "comment %s stored as %s: article %s, email %s, body %d chars%s",
            comment.id,
            comment.status,
            comment.article,
            mask_email(comment.email) or "-",
            len(comment.body),
            f", flags: {'; '.join(comment.intake_flags)}" if comment.intake_flags else "",
        )
    return [r for r in results if r is not None]


def _same_submission(stored: Comment, comment: Comment) -> bool:
    """Whether ``stored`` is ``comment`` itself, kept by an earlier attempt."""
    return (
        stored.content_hash == comment.content_hash
        and stored.received_at == comment.received_at
        and stored.origin == comment.origin
    )


def accept(store: Store, submission: Submission) -> Comment:
    """Store one submission, or raise the :class:`IntakeError` that refuses it."""
    result = accept_many(store, [submission])[0]
    if isinstance(result, IntakeError):
        raise result
    return result


def _refusal(
    store: Store,
    submission: Submission,
    duplicate: str | None,
    seen_hashes: Mapping[str, int],
    approved: dict[str, set[str]],
) -> IntakeError | None:
    comment = submission.comment
    if duplicate is not None or comment.content_hash in seen_hashes:
        logger.info("duplicate submission for %s refused (of %s)", comment.article, duplicate)
        return DuplicateComment(
            Message("this exact comment was already received; it awaits moderation"),
            duplicate or "",
        )
    parent = comment.reply_to
    if parent and parent not in submission.published_ids:
        if comment.article not in approved:
            approved[comment.article] = store.comments.approved_ids(comment.article)
        if parent not in approved[comment.article]:
            return UnknownParent(parent, comment.article)
    return None
