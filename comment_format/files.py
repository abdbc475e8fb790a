"""The comment file: ``key: value`` metadata lines, a blank line, the Markdown body.

``moderation`` writes these files with :func:`comment_file_text` and the plugin
reads them with :func:`parse_comment_file`; the README describes the same layout
("The comment file format"). Parsing never raises for a bad file: it returns a
:class:`FileProblem`, so the build decides in one place whether a bad file fails
it (strict) or is skipped with a warning.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import NamedTuple

from .render import safe_author_url
from .text import BIDI_CONTROLS, body_problem, name_problem, strip_unshowable

REQUIRED_FIELDS = ("id", "author", "date", "status")
APPROVED = "approved"
#: What a Webmention's source does to the article (``mention:``); a reply, or a
#: mention, joins the thread; likes and reposts are counted with faces.
MENTION_KINDS = ("reply", "mention", "like", "repost")
#: Mentions that carry no text of their own.
REACTIONS = ("like", "repost")
#: An ``email_hash``: the SHA-256 of the lower-cased email, as Libravatar and Gravatar use it.
EMAIL_HASH = re.compile(r"[0-9a-f]{64}")
_TRUE = frozenset({"true", "yes", "1"})
#: Who removed a tombstone's comment (``removed_by``): its author (withdrawn or erased
#: at their request, the default) or the site's moderators (deleted on an old system).
REMOVED_BY_AUTHOR = "author"
REMOVED_BY_MODERATOR = "moderator"
REMOVED_BY = (REMOVED_BY_AUTHOR, REMOVED_BY_MODERATOR)
#: A comment id: letters, digits and hyphens (it becomes a file name and an anchor).
COMMENT_ID = re.compile(r"[A-Za-z0-9-]{1,100}")
AVATAR = re.compile(r"[A-Za-z0-9_-]{1,128}")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_SPACE = re.compile(r"\s+")
#: Years a comment date may have: Python's datetime cannot shift dates near its
#: limits into another time zone, and no comment was written outside these.
EARLIEST_YEAR, LATEST_YEAR = 1990, 9000


def is_comment_id(value: object) -> bool:
    """Whether ``value`` is a comment id (``fullmatch``: no trailing newline sneaks in)."""
    return isinstance(value, str) and COMMENT_ID.fullmatch(value) is not None


class CommentFile(NamedTuple):
    """The fields of a comment file that passed every check; the body is unrendered."""

    id: str
    author: str
    date: datetime
    status: str
    reply_to: str | None
    author_url: str | None
    avatar: str | None
    edited: datetime | None
    body: str
    #: SHA-256 of the email, only for a commenter who chose a hosted picture.
    email_hash: str | None = None
    #: A tombstone: the comment was withdrawn or erased, replies still hang from it.
    removed: bool = False
    #: A Webmention: the page that mentioned the article, and how (``MENTION_KINDS``).
    source: str | None = None
    mention: str | None = None
    #: For a tombstone, who removed it (``REMOVED_BY``); None for any other comment.
    removed_by: str | None = None


class FileProblem(NamedTuple):
    """Why a comment file cannot be used."""

    problem: str


def parse_date(value: str) -> datetime | str:
    """An aware datetime, or a description of what is wrong with ``value``."""
    try:
        date = datetime.fromisoformat(value)
    except ValueError:
        return f"unparseable date {value!r} (expected ISO 8601 with offset)"
    if date.tzinfo is None:
        return f"date {value!r} has no UTC offset"
    if not EARLIEST_YEAR <= date.year <= LATEST_YEAR:
        return f"date {value!r} is outside the years {EARLIEST_YEAR}-{LATEST_YEAR}"
    try:
        date.astimezone(UTC)
    except OverflowError:
        return f"date {value!r} cannot be converted to UTC"
    return date


def split_comment_text(text: str) -> tuple[str, str]:
    """The metadata lines and the body of a comment file's text, the one way every
    reader of the files splits them.

    A leading byte-order mark goes, line endings become ``\\n`` and control
    characters and noncharacters go (never meant to be there, and XML, the feeds,
    forbids them; the intake refuses them, a hand-written file loses them). The
    metadata ends at the first blank or whitespace-only line.
    """
    text = strip_unshowable(text.removeprefix("\ufeff"))
    head, _, body = _BLANK_LINE.sub("\n\n", text, count=1).partition("\n\n")
    return head, body


def parse_comment_file(raw: bytes, file_name: str) -> CommentFile | FileProblem:
    """Parse the bytes of ``<id>.md`` (``file_name`` is its base name)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return FileProblem(f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})")
    head, body = split_comment_text(text)

    fields: dict[str, str] = {}
    for number, line in enumerate(head.split("\n"), start=1):
        if not line:
            continue
        key, colon, value = line.partition(":")
        key = key.strip().lower()
        if not colon or not key or " " in key:
            return FileProblem(f"line {number} is not a 'key: value' metadata line: {line[:80]!r}")
        if key in fields:
            return FileProblem(f"field '{key}' is given twice")
        fields[key] = value.strip()

    for name in REQUIRED_FIELDS:
        if not fields.get(name):
            return FileProblem(f"missing required field '{name}'")

    comment_id = fields["id"]
    if not is_comment_id(comment_id):
        return FileProblem(f"bad id {comment_id!r}: only letters, digits and hyphens are allowed")
    if file_name != f"{comment_id}.md":
        return FileProblem(
            f"id {comment_id!r} does not match the file name (expected {comment_id}.md)"
        )

    author = BIDI_CONTROLS.sub("", fields["author"])
    if problem := name_problem(author):
        return FileProblem(f"author {problem}")

    date = parse_date(fields["date"])
    if isinstance(date, str):
        return FileProblem(date)
    edited = None
    if fields.get("edited"):
        edited = parse_date(fields["edited"])
        if isinstance(edited, str):
            return FileProblem(f"edited: {edited}")

    reply_to = fields.get("reply_to") or None
    if reply_to is not None:
        if not is_comment_id(reply_to):
            return FileProblem(f"bad reply_to {reply_to!r}: not a comment id")
        if reply_to == comment_id:
            return FileProblem("reply_to names the comment itself")

    avatar = fields.get("avatar") or None
    if avatar is not None and AVATAR.fullmatch(avatar) is None:
        return FileProblem(f"bad avatar {avatar!r}: expected a hash (letters, digits, - and _)")

    email_hash = fields.get("email_hash") or None
    if email_hash is not None and EMAIL_HASH.fullmatch(email_hash) is None:
        return FileProblem(f"bad email_hash {email_hash!r}: expected 64 hexadecimal digits")

    # ``source`` means something only beside ``mention``: files written before
    # Webmentions may carry a field of that name for their own purposes.
    mention = (fields.get("mention") or "").lower() or None
    source = (fields.get("source") or None) if mention is not None else None
    if mention is not None and mention not in MENTION_KINDS:
        return FileProblem(f"bad mention {mention!r}: expected one of {', '.join(MENTION_KINDS)}")
    if mention is not None and source is None:
        return FileProblem("a Webmention ('mention') needs its 'source' address")
    # The address is printed into an href as it is: the rule of an author's URL.
    if source is not None and safe_author_url(source) is None:
        return FileProblem(
            f"bad source {source!r}: expected an http:// or https:// address with a host, "
            "and no spaces, quotes or angle brackets"
        )

    removed = fields.get("removed", "").lower() in _TRUE
    removed_by = (fields.get("removed_by") or REMOVED_BY_AUTHOR).lower() if removed else None
    if removed_by is not None and removed_by not in REMOVED_BY:
        return FileProblem(
            f"bad removed_by {removed_by!r}: expected one of {', '.join(REMOVED_BY)}"
        )

    body = body.strip()
    if body or mention not in REACTIONS:
        if not body:
            return FileProblem("empty body (the comment text goes after a blank line)")
        if problem := body_problem(body):
            return FileProblem(f"body {problem}")

    return CommentFile(
        id=comment_id,
        author=author,
        date=date,
        status=fields["status"].lower(),
        reply_to=reply_to,
        author_url=fields.get("author_url") or None,
        avatar=avatar,
        edited=edited,
        body=body,
        email_hash=email_hash,
        removed=removed,
        source=source,
        mention=mention,
        removed_by=removed_by,
    )


def _one_line(text: str) -> str:
    # A metadata value must stay on its line, or it would end the header early.
    return _SPACE.sub(" ", text).strip()


def comment_file_text(
    *,
    comment_id: str,
    author: str,
    date: datetime,
    body: str,
    reply_to: str | None = None,
    author_url: str | None = None,
    avatar: str | None = None,
    edited: datetime | None = None,
    email_hash: str | None = None,
    removed: bool = False,
    source: str | None = None,
    mention: str | None = None,
    removed_by: str | None = None,
) -> str:
    """The text of one comment file: metadata lines, a blank line, the Markdown body."""
    lines = [
        f"id: {comment_id}",
        f"author: {_one_line(author)}",
        f"date: {date.astimezone(UTC).isoformat(timespec='seconds')}",
    ]
    if edited is not None:
        lines.append(f"edited: {edited.astimezone(UTC).isoformat(timespec='seconds')}")
    if reply_to:
        lines.append(f"reply_to: {reply_to}")
    if author_url and author_url.lower().startswith(("http://", "https://")):
        lines.append(f"author_url: {_one_line(author_url)}")
    if avatar:
        lines.append(f"avatar: {avatar}")
    if email_hash:
        lines.append(f"email_hash: {email_hash}")
    if source and mention:
        lines.append(f"source: {_one_line(source)}")
        lines.append(f"mention: {mention}")
    if removed:
        lines.append("removed: true")
        if removed_by and removed_by != REMOVED_BY_AUTHOR:
            lines.append(f"removed_by: {removed_by}")
    lines.append(f"status: {APPROVED}")
    return "\n".join(lines) + "\n\n" + body.strip("\n") + "\n"


def reply_to_of(raw: bytes) -> str | None:
    """The ``reply_to`` of a comment file, read from its metadata only (cheap), split
    from the body as :func:`parse_comment_file` splits it."""
    header, _ = split_comment_text(raw.decode("utf-8", "replace"))
    for line in header.split("\n"):
        key, _, value = line.partition(":")
        if key.strip().lower() == "reply_to":
            return value.strip() or None
    return None
