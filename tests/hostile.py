"""Hostile comment bodies of the maximum size, shared by the tests and benchmarks/worst_case.py.

Each is built to make a backtracking engine or a naive parser work hard: long runs
of characters that almost match a pattern, and nesting past the renderer's limit.
"""

from __future__ import annotations

import random

from comment_format.render import MAX_NESTING
from comment_format.text import MAX_BODY

_RANDOM = random.Random(7)


def _fill(unit: str) -> str:
    return (unit * (MAX_BODY // len(unit) + 1))[:MAX_BODY]


ADVERSARIAL = {
    "digits and spaces": _fill("1 "),
    "digit groups": _fill("555-"),
    "thousands": _fill("1,"),
    "letter o": _fill("8O"),
    "dots": _fill("a."),
    "domain labels": _fill("a-b."),
    "url starts": _fill("http://"),
    "www": _fill("www."),
    "angle autolinks": _fill("<a:"),
    "brackets": _fill("[x]("),
    "anchors": _fill("<a href="),
    "one letter": "a" * MAX_BODY,
    "words": _fill("check out my "),
    "phrases": _fill("please please "),
    "question": _fill("how do "),
    "currency": _fill("$1"),
    "backticks": _fill("`a"),
    "newlines": _fill("\n    x"),
    "unicode": _fill("é "),
    "mixed": "".join(_RANDOM.choice("aA1 .-/:<[(`$@") for _ in range(MAX_BODY)),
}

NESTED = {
    "quotes": ">" * (MAX_NESTING + 5) + " deep",
    "lists": "".join("  " * depth + "- item\n" for depth in range(MAX_NESTING + 5)),
    "ordered": "".join("   " * depth + "1. item\n" for depth in range(MAX_NESTING + 5)),
    "mixed": "> - " * (MAX_NESTING + 5) + "deep",
}
