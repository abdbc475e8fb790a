"""Request bodies → submitted fields: urlencoded and multipart forms, and JSON.

Every problem is an :class:`~moderation.intake.IntakeError` with the HTTP status
to answer (400 for a malformed body, 413 for one over the size limit, 415 for an
unsupported type or charset) and, where there is one, the field it concerns.
"""

from __future__ import annotations

import json
from urllib.parse import unquote_to_bytes

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from comment_format.i18n import Message

from ..intake import IntakeError
from .middleware import RequestTooLarge

FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
JSON = "application/json"
#: A comment form has eight fields; a body with hundreds is not a comment.
MAX_FIELDS = 50


class UnsupportedMediaType(IntakeError):
    status_code = 415


class PayloadTooLarge(IntakeError):
    status_code = 413


def media_type(content_type: str | None) -> tuple[str, dict[str, str]]:
    """``"text/plain; charset=UTF-8"`` → ``("text/plain", {"charset": "utf-8"})``."""
    if not content_type:
        return "", {}
    kind, *params = content_type.split(";")
    options = {}
    for param in params:
        key, _, value = param.partition("=")
        options[key.strip().lower()] = value.strip().strip('"').lower()
    return kind.strip().lower(), options


def check_content_type(kind: str, options: dict[str, str]) -> None:
    if kind not in (FORM, MULTIPART, JSON):
        raise UnsupportedMediaType(
            Message(
                "unsupported content type {kind}: send {form} (the comment form) or {json}",
                kind=repr(kind or "(none)"),
                form=FORM,
                json=JSON,
            ),
            None,
        )
    charset = options.get("charset")
    # Multipart too: Starlette would decode its fields with any codec the header names.
    if charset and charset not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(
            Message("unsupported charset {charset}: send UTF-8", charset=repr(charset)), None
        )


def parse_urlencoded(body: bytes) -> dict[str, str]:
    """Decode a form body strictly: invalid UTF-8 is an error naming the field."""
    fields: dict[str, str] = {}
    if not body:
        return fields
    pairs = body.split(b"&")
    if len(pairs) > MAX_FIELDS:
        raise IntakeError(
            Message(
                "the form has {count} fields; at most {limit} are read",
                count=len(pairs),
                limit=MAX_FIELDS,
            )
        )
    for pair in pairs:
        if not pair:
            continue
        raw_name, _, raw_value = pair.partition(b"=")
        name = _decode(raw_name, None)
        if name in fields:
            raise IntakeError(Message("{name} is given more than once", name=name), name)
        fields[name] = _decode(raw_value, name)
    return fields


def _decode(raw: bytes, field: str | None) -> str:
    try:
        return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        where = field or Message("a field name")
        raise IntakeError(Message("{what} is not valid UTF-8 text", what=where), field) from None


def parse_json(body: bytes) -> dict[str, str]:
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise IntakeError(Message("the JSON body is not valid UTF-8 text")) from None
    except ValueError as exc:
        raise IntakeError(Message("the body is not valid JSON: {problem}", problem=exc)) from None
    except RecursionError:
        raise IntakeError(Message("the JSON body is nested too deeply")) from None
    if not isinstance(data, dict):
        raise IntakeError(
            Message("the JSON body must be an object, not {kind}", kind=type(data).__name__)
        )
    if len(data) > MAX_FIELDS:
        raise IntakeError(
            Message(
                "the JSON object has {count} keys; at most {limit} are read",
                count=len(data),
                limit=MAX_FIELDS,
            )
        )
    return {key: value for key, value in data.items() if value is not None}


async def read_fields(request: Request, kind: str) -> dict[str, str]:
    """The fields of a request body of media type ``kind`` (checked before by
    :func:`check_content_type`); a body over the size limit is a 413 here, for every route."""
    try:
        if kind == MULTIPART:
            return await parse_multipart(request)
        body = await request.body()
    except RequestTooLarge as exc:
        raise PayloadTooLarge(str(exc)) from None
    if kind == JSON:
        return parse_json(body)
    return parse_urlencoded(body)


async def parse_multipart(request: Request) -> dict[str, str]:
    try:
        form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    except MultiPartException as exc:
        raise IntakeError(
            Message("the multipart form cannot be read: {problem}", problem=exc.message)
        ) from None
    except (UnicodeError, LookupError) as exc:  # a part's text in a codec that cannot read it
        raise IntakeError(
            Message("the multipart form cannot be read: {problem}", problem=exc)
        ) from None
    fields: dict[str, str] = {}
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            raise IntakeError(
                Message("{name}: files cannot be uploaded with a comment", name=name), name
            )
        if name in fields:
            raise IntakeError(Message("{name} is given more than once", name=name), name)
        fields[name] = value
    return fields
