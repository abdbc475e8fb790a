"""Which text a comment may carry: one set of rules for intake, publish and the plugin.

A name or body that passes :func:`name_problem` / :func:`body_problem` is shown
exactly as written; the plugin applies :func:`strip_unshowable` to files written
by hand, and the same checks afterwards, so nothing accepted can fail a build.
"""

from __future__ import annotations

import re
import unicodedata

from .i18n import Message

MAX_BODY = 10_000
MAX_NAME = 100

#: Characters no comment may contain: C0 and C1 controls (tab, newline and carriage
#: return aside), lone surrogates and Unicode noncharacters. XML (the feeds) forbids
#: most of them, and none of them is text a person typed. The noncharacters beyond
#: the first plane have a pattern of their own: in one character class they make
#: every search ten times slower, and most text has no character beyond U+FFFF.
_UNSHOWABLE_BMP = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]"
)
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_UNSHOWABLE_ASTRAL = re.compile(
    "["
    + "".join(
        chr(plane + 0xFFFE) + chr(plane + 0xFFFF) for plane in range(0x10000, 0x110000, 0x10000)
    )
    + "]"
)


def has_unshowable(text: str) -> bool:
    """Whether ``text`` holds a character no comment may contain."""
    if _UNSHOWABLE_BMP.search(text):
        return True
    return _has_astral(text) and _UNSHOWABLE_ASTRAL.search(text) is not None


def _has_astral(text: str) -> bool:
    return not text.isascii() and _ASTRAL.search(text) is not None


#: Characters that change the direction of the text after them. In a name they can
#: make the date or another person's name read backwards, so names may not hold them.
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
#: Letters and symbols that render as nothing (Hangul fillers, the Braille blank, ...).
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e\u17b4\u17b5")
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Cn", "Co", "Zs", "Zl", "Zp", "Mn", "Me"})
_LINE_ENDINGS = re.compile("\r\n?")


def strip_unshowable(text: str) -> str:
    """``text`` without control characters and noncharacters, line endings made ``\\n``."""
    if "\r" in text:
        text = _LINE_ENDINGS.sub("\n", text)
    text = _UNSHOWABLE_BMP.sub("", text)
    if _has_astral(text):
        text = _UNSHOWABLE_ASTRAL.sub("", text)
    return text


def is_visible(text: str) -> bool:
    """Whether ``text`` shows anything on a page (a character that is not blank)."""
    return any(
        ch not in _BLANK_LETTERS and unicodedata.category(ch) not in _INVISIBLE_CATEGORIES
        for ch in text
    )


def name_problem(name: str) -> str | None:
    """What is wrong with an author name (already stripped), or ``None``."""
    if not name:
        return Message("is required")
    if len(name) > MAX_NAME:
        return Message(
            "is {length} characters long; the limit is {limit}", length=len(name), limit=MAX_NAME
        )
    if has_unshowable(name) or "\n" in name or "\t" in name or "\r" in name:
        return Message("must not contain control characters or line breaks")
    if BIDI_CONTROLS.search(name):
        return Message("must not contain characters that reverse the direction of the text")
    if not is_visible(name):
        return Message("must contain at least one visible character")
    return None


def body_problem(body: str) -> str | None:
    """What is wrong with a body's characters (already stripped, ``\\n`` line ends).

    Whether it renders within the limits is :func:`comment_format.render.render_problem`.
    """
    if not body:
        return Message("is required")
    if len(body) > MAX_BODY:
        return Message(
            "is {length} characters long; the limit is {limit}", length=len(body), limit=MAX_BODY
        )
    if has_unshowable(body):
        return Message("must not contain control characters or Unicode noncharacters")
    if not is_visible(body):
        return Message("must contain at least one visible character")
    return None
