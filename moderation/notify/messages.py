"""Outbox messages → what goes out: an :class:`~email.message.EmailMessage` or a JSON body.

Messages are rendered when they are sent, from the store as it is then: an erased
comment is not mailed, an unpublished reply is left out, and a moderator sees
whether a held comment has been decided meanwhile. Every header is set through
:mod:`email.headerregistry`, and every piece of user text that reaches one
(names, titles) has line breaks and control characters turned into spaces first,
so no submitted text can add a header.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from comment_format.i18n import Message, format_comment_date

from ..articles import load_articles
from ..errors import ModerationError, UnknownComment
from ..intake import ThreadIndex
from ..models import Action, Comment, State, utcnow
from ..redaction import mask_email
from ..settings import Settings
from ..store import Store
from ..store.outbox import OutboxMessage
from .config import NotifyConfig
from .tokens import LINK_MAX_AGE, LinkSigner

logger = logging.getLogger(__name__)

#: The one-click actions an alert offers, with how the email names them.
ONE_CLICK = {
    Action.APPROVE: "Approve",
    Action.REJECT: "Reject",
    Action.SPAM: "Spam",
    Action.PROMO: "Promotion",
}
#: A comment longer than this is cut in an email (the whole text is one click away).
MAX_BODY_IN_EMAIL = 3000
_UNSAFE_IN_HEADER = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_SPACES = re.compile(r"\s+")


def header_text(text: str, limit: int = 150) -> str:
    """``text`` as one safe header line: no CR, LF or other controls; at most ``limit``."""
    flat = _SPACES.sub(" ", _UNSAFE_IN_HEADER.sub(" ", text)).strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


#: Slack's three escapes: with them no ``<!channel>``, ``<@U…>`` or ``<url|label>``.
_CHAT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_ZERO_WIDTH_SPACE = "\u200b"


def chat_text(text: str) -> str:
    """``text`` as a chat channel shows it, without acting on any of it.

    One line; ``&``, ``<`` and ``>`` escaped (Slack's rule); and a zero-width space
    after each ``@`` and ``]``, so that Mattermost and Matrix, which read Markdown,
    see no ``@channel`` or ``@name`` mention and no ``[label](url)`` link or image.
    A name or title can still show an address, as itself, never behind other words.
    """
    flat = _SPACES.sub(" ", _UNSAFE_IN_HEADER.sub(" ", text)).strip()
    flat = flat.translate(_CHAT_ESCAPES)
    return flat.replace("@", "@" + _ZERO_WIDTH_SPACE).replace("]", "]" + _ZERO_WIDTH_SPACE)


class NothingToSend(ModerationError):
    """A message whose every item is gone (erased, unpublished) or whose recipient
    no longer wants mail: it is cancelled, with this as the reason."""


@dataclass
class Rendered:
    """A message ready for its channel: ``email`` for SMTP, ``payload`` for the webhook."""

    email: EmailMessage | None = None
    payload: dict[str, Any] | None = None
    #: The addresses the message is for (an email's envelope recipients).
    recipients: list[str] = field(default_factory=list)


class ArticleLinks:
    """Titles and addresses of articles: from the built site's ``threads.json``, else
    from the Markdown sources and ``ARTICLE_URL``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.site_url = settings["COMMENTS_SITE_URL"].rstrip("/")
        self._built: dict[str, tuple[str, str, str | None]] | None = None
        self._sources: dict[str, Any] | None = None

    def _from_site(self) -> Mapping[str, tuple[str, str, str | None]]:
        if self._built is None:
            self._built = {}
            with contextlib.suppress(ModerationError):
                threads = ThreadIndex(self.settings.path("COMMENTS_THREADS")).threads()
                self._built = {slug: (t.title, t.url, t.lang) for slug, t in threads.items()}
        return self._built

    def lang(self, slug: str) -> str:
        """The article's language, as its page is written in (else the site's)."""
        lang = None
        if slug in self._from_site():
            lang = self._from_site()[slug][2]
        elif (info := self._from_sources().get(slug)) is not None:
            lang = info.lang
        return lang or self.settings.get("DEFAULT_LANG") or "en"

    def _from_sources(self) -> Mapping[str, Any]:
        if self._sources is None:
            try:
                self._sources = dict(load_articles(self.settings))
            except (OSError, ModerationError):
                self._sources = {}
        return self._sources

    def title(self, slug: str) -> str:
        if slug in self._from_site():
            return self._from_site()[slug][0]
        info = self._from_sources().get(slug)
        return info.title if info is not None else slug

    def url(self, slug: str) -> str:
        path = ""
        if slug in self._from_site():
            path = self._from_site()[slug][1]
        elif (info := self._from_sources().get(slug)) is not None:
            with contextlib.suppress(KeyError, ValueError, AttributeError, IndexError):
                pattern = self.settings.get("ARTICLE_URL", "{slug}.html")
                path = pattern.format(slug=slug, date=info.date or utcnow())
        if "://" in path:
            return path
        return f"{self.site_url}/{path.lstrip('/')}" if path else f"{self.site_url}/"


class Renderer:
    """Turns outbox messages into emails and webhook bodies."""

    def __init__(
        self, store: Store, settings: Settings, config: NotifyConfig, signer: LinkSigner
    ) -> None:
        self.store = store
        self.settings = settings
        self.config = config
        self.signer = signer
        self.articles = ArticleLinks(settings)

    def render(self, message: OutboxMessage, now: datetime | None = None) -> Rendered:
        now = now or utcnow()
        if message.channel == "email" and self.store.subscriptions.bounced(message.recipient):
            raise NothingToSend(f"{mask_email(message.recipient)} bounced before: not mailed again")
        render = {
            "held": self._held,
            "summary": self._summary,
            "confirm": self._confirm,
            "reply": self._reply,
        }[message.kind]
        return render(message, now)

    # -- helpers ------------------------------------------------------------------------

    def _comments(self, ids: tuple[str, ...]) -> list[Comment]:
        found = []
        for comment_id in ids:
            with contextlib.suppress(UnknownComment):
                found.append(self.store.comments.get(comment_id))
        return found

    def _email(
        self,
        message: OutboxMessage,
        subject: str,
        text: str,
        now: datetime,
        headers: Mapping[str, str] | None = None,
    ) -> Rendered:
        email = EmailMessage()
        email["From"] = Address(
            header_text(self.config.site_name), addr_spec=self.config.smtp.sender
        )
        try:
            email["To"] = Address(addr_spec=message.recipient)
        except (ValueError, IndexError) as exc:  # an address no intake would have let in
            raise NothingToSend(f"the address cannot be used: {exc}") from None
        email["Subject"] = header_text(subject)
        email["Date"] = format_datetime(now.astimezone(UTC))
        email["Message-ID"] = message.message_id
        # RFC 3834: a machine wrote this; vacation replies must not answer it.
        email["Auto-Submitted"] = "auto-generated"
        for name, value in (headers or {}).items():
            email[name] = value
        email.set_content(text)
        return Rendered(email=email, recipients=[message.recipient])

    def _when(self, moment: datetime) -> str:
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")

    def _quote(self, body: str) -> str:
        if len(body) > MAX_BODY_IN_EMAIL:
            body = body[:MAX_BODY_IN_EMAIL].rstrip() + " […]"
        return "\n".join(f"> {line}" if line else ">" for line in body.splitlines())

    def _comment_url(self, comment: Comment) -> str:
        return f"{self.articles.url(comment.article)}#comment-{comment.id}"

    def _verdict(self, comment: Comment) -> dict[str, Any]:
        latest = self.store.screenings.latest(comment.id)
        if latest is None:
            return {"decision": None, "score": None, "reasons": []}
        return {
            "decision": str(latest.decision),
            "score": latest.score,
            "reasons": list(latest.reasons),
        }

    # -- moderator alerts ---------------------------------------------------------------

    def _held(self, message: OutboxMessage, now: datetime) -> Rendered:
        comments = self._comments(message.items)
        if not comments:
            raise NothingToSend("the comments it was about have been erased")
        if message.channel == "webhook":
            return Rendered(payload=self._held_payload(message, comments, now))
        waiting = sum(1 for c in comments if c.status in (State.HELD, State.SPAM))
        count = len(comments)
        if count == 1:
            comment = comments[0]
            subject = (
                f"[{self.config.site_name}] Held for review: {comment.author} on "
                f"“{self.articles.title(comment.article)}”"
            )
            opening = f"A comment on {self.config.site_name} waits for your decision."
        else:
            subject = f"[{self.config.site_name}] {count} comments for review"
            opening = f"{count} comments on {self.config.site_name} arrived for review."
        expires = self._when(now + LINK_MAX_AGE)
        parts = [opening]
        if waiting:
            parts.append(
                "Each link below opens a page that asks you to confirm; it works once, "
                f"until {expires}, and is logged under {message.recipient}."
            )
        for number, comment in enumerate(comments, start=1):
            heading = f"— {number} of {count} —" if count > 1 else "—"
            parts.append(heading + "\n" + self._held_text(message, comment, now))
        return self._email(message, subject, "\n\n".join(parts) + "\n", now)

    def _held_text(self, message: OutboxMessage, comment: Comment, now: datetime) -> str:
        verdict = self._verdict(comment)
        lines = [
            f"Article:   {self.articles.title(comment.article)}",
            f"           {self.articles.url(comment.article)}",
            f"From:      {header_text(comment.author)}"
            + (f" ({mask_email(comment.email)})" if comment.email else ""),
        ]
        if comment.author_url:
            lines.append(f"Website:   {comment.author_url}")
        lines.append(f"Received:  {self._when(comment.received_at)}")
        if comment.reply_to:
            lines.append(f"Replying:  to {comment.reply_to}")
        score = "" if verdict["score"] is None else f", score {verdict['score']:.2f}"
        lines.append(f"Verdict:   {verdict['decision'] or 'not screened'}{score}")
        if verdict["reasons"]:
            lines.append("Why:")
            lines += [f"  - {reason}" for reason in verdict["reasons"]]
        lines += ["", self._quote(comment.body), ""]
        if comment.status not in (State.HELD, State.SPAM):
            lines.append(f"Already {comment.status} since this alert was queued: nothing to do.")
        else:
            link = self.store.outbox.action_link(
                message.message_id, comment.id, message.recipient, now
            )
            for action, label in ONE_CLICK.items():
                token = self.signer.moderate_token(link.nonce, str(action))
                lines.append(f"{label + ':':<11}{self.config.links_url}/moderate/{token}")
        lines.append(f"Details:   moderation show {comment.id}")
        return "\n".join(lines)

    def _held_payload(
        self, message: OutboxMessage, comments: list[Comment], now: datetime
    ) -> dict[str, Any]:
        titles = ", ".join(
            f"{c.author} on “{self.articles.title(c.article)}”" for c in comments[:5]
        )
        more = f" and {len(comments) - 5} more" if len(comments) > 5 else ""
        return {
            "event": "comments.held",
            "id": message.message_id,
            "site": self.config.site_name,
            "sent_at": now.astimezone(UTC).isoformat(),
            # Slack, Mattermost and Matrix hooks show "text"; scripts read the rest.
            "text": chat_text(
                f"{self.config.site_name}: {len(comments)} comment"
                f"{'' if len(comments) == 1 else 's'} for review: {titles}{more}"
            ),
            "comments": [
                {
                    "id": c.id,
                    "article": c.article,
                    "article_title": self.articles.title(c.article),
                    "article_url": self.articles.url(c.article),
                    "author": c.author,
                    "author_url": c.author_url,
                    "received_at": c.received_at.astimezone(UTC).isoformat(),
                    "reply_to": c.reply_to,
                    "status": str(c.status),
                    "body": c.body,
                    "verdict": self._verdict(c),
                }
                for c in comments
            ],
        }

    def _summary(self, message: OutboxMessage, now: datetime) -> Rendered:
        counts = self.store.comments.counts()
        oldest = self.store.comments.list(status=State.HELD, limit=1)
        outbox = self.store.outbox.counts()
        day = message.group_key
        if message.channel == "webhook":
            oldest_data = None
            if oldest:
                c = oldest[0]
                oldest_data = {
                    "id": c.id,
                    "article": c.article,
                    "author": c.author,
                    "received_at": c.received_at.astimezone(UTC).isoformat(),
                }
            return Rendered(
                payload={
                    "event": "comments.daily_summary",
                    "id": message.message_id,
                    "site": self.config.site_name,
                    "day": day,
                    "sent_at": now.astimezone(UTC).isoformat(),
                    "text": chat_text(
                        f"{self.config.site_name} on {day}: "
                        + ", ".join(f"{n} {state}" for state, n in counts.items())
                    ),
                    "counts": counts,
                    "oldest_held": oldest_data,
                    "messages_failed": outbox["failed"],
                }
            )
        lines = [f"Comments on {self.config.site_name}, {day}:", ""]
        lines += [f"  {state:<10}{count:>7}" for state, count in counts.items()]
        lines.append("")
        if oldest:
            c = oldest[0]
            waited = now - c.received_at
            lines += [
                f"The oldest held comment has waited {waited.days} days "
                f"{waited.seconds // 3600} hours:",
                f"  {c.id} by {c.author} on “{self.articles.title(c.article)}”, "
                f"received {self._when(c.received_at)}",
                f"  moderation show {c.id}",
            ]
        else:
            lines.append("No comment is waiting for review.")
        if outbox["failed"]:
            lines += ["", f"{outbox['failed']} messages could not be delivered: moderation status"]
        subject = f"[{self.config.site_name}] Comments: daily summary for {day}"
        return self._email(message, subject, "\n".join(lines) + "\n", now)

    # -- readers ------------------------------------------------------------------------------

    def _say(self, text: str, lang: str) -> str:
        from ..web.languages import say  # the intake's catalogue: readers see both

        return say(text, lang)

    def _confirm(self, message: OutboxMessage, now: datetime) -> Rendered:
        subscriber = self.store.subscriptions.by_email(message.recipient)
        # One thread a message; one queued before threads were confirmed one by one
        # (group "confirm") is about the thread of its first comment.
        article = message.group_key
        if article == "confirm":
            article = next((c.article for c in self._comments(message.items)), "")
        thread = (
            self.store.subscriptions.thread(subscriber.id, article)
            if subscriber is not None
            else None
        )
        if thread is None:
            raise NothingToSend("the subscription has been erased")
        if thread.confirmed_at is not None:
            raise NothingToSend("already confirmed")
        lang = self.articles.lang(article)
        site = self.config.site_name
        token = self.signer.confirm_token(thread.token)
        asked = Message(
            "someone, hopefully you, commented on “{title}” on {site} and asked to be "
            "emailed when someone replies.",
            title=self.articles.title(article),
            site=site,
        )
        hello = Message("Hello,")
        to_confirm = Message("To confirm, open this link and press the button on the page:")
        works_for = Message(
            "The link works for {days} days. If you did not ask for this, ignore this "
            "email: nothing else will be sent to this address.",
            days=LINK_MAX_AGE.days,
        )
        link = f"{self.config.links_url}/confirm/{token}"
        text = (
            f"{self._say(hello, lang)}\n\n{self._say(asked, lang)}\n\n"
            f"{self._say(to_confirm, lang)}\n\n  {link}\n\n{self._say(works_for, lang)}\n"
        ) + self._own_links(message, now, lang)
        subject = Message("Please confirm: email me when someone replies ({site})", site=site)
        return self._email(message, self._say(subject, lang), text, now)

    def _own_links(self, message: OutboxMessage, now: datetime, lang: str) -> str:
        """Issue 13: the private link to change or withdraw each comment that still can be."""
        from ..editing import changeable, link_for

        minutes = self.settings["COMMENTS_EDIT_MINUTES"]
        own = [c for c in self._comments(message.items) if changeable(c, minutes, now).allowed]
        if not own:
            return ""
        links = "".join(f"  {link_for(self.store, self.settings, c.id)}\n" for c in own)
        heading = Message(
            "Your private link to change or withdraw your comment (while it waits for "
            "moderation, and for {minutes} minutes after you sent it):",
            minutes=int(minutes) if float(minutes).is_integer() else minutes,
        )
        return f"\n{self._say(heading, lang)}\n\n{links}"

    def _reply(self, message: OutboxMessage, now: datetime) -> Rendered:
        article = message.group_key
        if not self.store.subscriptions.wants_mail(message.recipient, article):
            raise NothingToSend("the reader unsubscribed or the address bounced")
        replies = [c for c in self._comments(message.items) if c.status is State.APPROVED]
        if not replies:
            raise NothingToSend("the replies are no longer published")
        subscriber = self.store.subscriptions.by_email(message.recipient)
        assert subscriber is not None  # wants_mail found it
        thread_token = self.store.subscriptions.thread_token(subscriber.id, article)
        title = self.articles.title(article)
        lang = self.articles.lang(article)
        site = self.config.site_name
        stop_thread = f"{self.config.links_url}/unsubscribe/" + self.signer.unsubscribe_token(
            "thread", thread_token or ""
        )
        stop_all = f"{self.config.links_url}/unsubscribe/" + self.signer.unsubscribe_token(
            "all", subscriber.token
        )
        if len(replies) == 1:
            author = replies[0].author
            subject = Message("New reply from {author} on “{title}”", author=author, title=title)
            opening = Message("{author} replied on “{title}”:", author=author, title=title)
        else:
            count = len(replies)
            subject = Message("{count} new replies on “{title}”", count=count, title=title)
            opening = Message("{count} new replies on “{title}”:", count=count, title=title)
        parts = [self._say(opening, lang)]
        for reply in replies:
            when = format_comment_date(reply.received_at.astimezone(UTC), lang, with_zone=True)
            wrote = Message("{author} wrote on {date}:", author=reply.author, date=when)
            read = Message("Read it on the site: {url}", url=self._comment_url(reply))
            parts.append(
                f"{self._say(wrote, lang)}\n\n{self._quote(reply.body)}\n\n{self._say(read, lang)}"
            )
        why = Message(
            "You get this email because you asked {site} to tell you about replies to your "
            "comments.",
            site=site,
        )
        stop_this = Message("Stop emails about “{title}”:", title=title)
        stop_every = Message("Stop all reply emails from {site}:", site=site)
        parts.append(
            f"{self._say(why, lang)}\n{self._say(stop_this, lang)}\n  {stop_thread}\n"
            f"{self._say(stop_every, lang)}\n  {stop_all}"
        )
        headers = {
            # RFC 2369 and RFC 8058: the mail client's own one-click unsubscribe.
            "List-Unsubscribe": f"<{stop_all}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
        return self._email(
            message, self._say(subject, lang), "\n\n".join(parts) + "\n", now, headers
        )
