"""Turn untrusted submitted fields into a :class:`~moderation.models.Comment`.

One set of rules for every way a comment arrives: the form and JSON posts of the
intake service, ``moderation import`` and the lines of ``train``/``classify``.
Names and bodies follow :mod:`comment_format.text` and must render within
:mod:`comment_format.render`'s limits: the plugin checks the same when it builds
the site, so nothing accepted here can fail a build. Each failure is a
:class:`~moderation.errors.ValidationError` naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from comment_format.i18n import Message
from comment_format.render import render_problem
from comment_format.text import MAX_BODY, MAX_NAME, body_problem, name_problem

from .errors import ValidationError
from .models import Comment, Origin, is_comment_id, utcnow

__all__ = [
    "MAX_BODY",
    "MAX_NAME",
    "parse_submission",
    "validate_email",
    "validate_url",
    "wants_reply_emails",
]

MAX_URL = 500
MAX_EMAIL = 254
MAX_ARTICLE = 200

_URL_UNSAFE = "\"'<>`\\"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
# Unicode categories Cc (C0, DEL, C1) and Cs (lone surrogates), as one compiled class:
# it runs on every request, and a regex is ~25x faster than unicodedata per character.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _has_control(text: str) -> bool:
    return _CONTROL.search(text) is not None


def _text(fields: Mapping[str, Any], *names: str) -> str:
    """The first of ``names`` present, as a stripped string ('' when absent)."""
    for name in names:
        value = fields.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise ValidationError(
                name, Message("must be a string, got {kind}", kind=type(value).__name__)
            )
        return value.strip()
    return ""


def _check_length(field: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise ValidationError(
            field,
            Message(
                "is {length} characters long; the limit is {limit}", length=len(value), limit=limit
            ),
        )


def validate_url(value: str, field: str = "url") -> str | None:
    """An http(s) URL with a host, or ``None`` for an empty value."""
    if not value:
        return None
    _check_length(field, value, MAX_URL)
    if _has_control(value) or any(ch.isspace() for ch in value):
        raise ValidationError(field, Message("must not contain spaces or control characters"))
    # The comments plugin silently drops an author URL holding any of these (they could
    # break out of an attribute), so refuse them here, where the commenter can fix it.
    unsafe = sorted(set(_URL_UNSAFE).intersection(value))
    if unsafe:
        raise ValidationError(
            field, Message("must not contain {characters}", characters=" ".join(unsafe))
        )
    parts = urlsplit(value)
    host = parts.netloc.rpartition("@")[2]
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise ValidationError(
            field, Message("must be an http:// or https:// address, got {value}", value=repr(value))
        )
    return value


def validate_email(value: str, field: str = "email") -> str | None:
    if not value:
        return None
    _check_length(field, value, MAX_EMAIL)
    if _has_control(value) or not _EMAIL.match(value):
        raise ValidationError(
            field, Message("is not a valid email address: {value}", value=repr(value))
        )
    return value


#: What the form's "Email me when someone replies" box sends when ticked (and what
#: JSON may send instead of ``true``); absent or empty means no.
_YES = ("1", "on", "true", "yes")


def wants_reply_emails(fields: Mapping[str, Any], email: str | None) -> bool:
    """The ``notify_replies`` field: ``1`` from the form, ``true`` in JSON (issue 11).

    Ticking it without an email address is an error naming the email field: there
    would be nowhere to write to.
    """
    value = fields.get("notify_replies")
    if value is None or value is False or value == "" or value == "0":
        return False
    if value is True or (isinstance(value, str) and value.strip().lower() in _YES):
        if not email:
            raise ValidationError(
                "email", Message("is needed to email you about replies (or untick that box)")
            )
        return True
    raise ValidationError(
        "notify_replies",
        Message("must be 1 (ticked) or absent, got {value}", value=repr(value)),
    )


def parse_submission(
    fields: Mapping[str, Any],
    *,
    origin: Origin = Origin.FORM,
    ip: str | None = None,
    user_agent: str | None = None,
    referrer: str | None = None,
    language: str | None = None,
    received_at: datetime | None = None,
    require_article: bool = True,
) -> Comment:
    """Validate submitted ``fields`` and build an unsaved comment.

    The form's names (``name``, ``url``) and the comment file's names (``author``,
    ``author_url``) are both accepted.
    """
    article = _text(fields, "article")
    if not article:
        if require_article:
            raise ValidationError("article", Message("is required"))
    else:
        _check_length("article", article, MAX_ARTICLE)
        if _has_control(article) or "/" in article:
            raise ValidationError(
                "article", Message("is not an article slug: {value}", value=repr(article))
            )

    author = _text(fields, "name", "author")
    if problem := name_problem(author):
        raise ValidationError("name", problem)

    # Browsers send CRLF; count what is kept, so 10,000 characters of text always fit.
    body = _text(fields, "body").replace("\r\n", "\n").strip()
    if problem := body_problem(body) or render_problem(body):
        raise ValidationError("body", problem)

    email = validate_email(_text(fields, "email"))
    url_field = "url" if "url" in fields else "author_url"
    author_url = validate_url(_text(fields, "url", "author_url"), url_field)

    reply_to = _text(fields, "reply_to") or None
    if reply_to is not None and not is_comment_id(reply_to):
        raise ValidationError(
            "reply_to", Message("is not a comment id: {value}", value=repr(reply_to))
        )

    return Comment(
        article=article,
        author=author,
        body=body,
        email=email,
        author_url=author_url,
        reply_to=reply_to,
        ip=ip,
        user_agent=user_agent,
        referrer=referrer,
        language=language,
        received_at=received_at or utcnow(),
        origin=origin,
        avatar_opt_in=_ticked(fields.get("avatar")),
    )


def _ticked(value: Any) -> bool:
    """A checkbox: ``1``/``on`` from a form, ``true`` in JSON (issue 13's "show my picture")."""
    return value is True or (isinstance(value, str) and value.strip().lower() in _YES)
