"""JSON Lines input, read the same way by ``import``, ``train`` and ``classify``.

Lines end at ``\\n`` only: a raw U+2028 or U+0085 inside a JSON string is part of
the string, not a line break (``str.splitlines`` would split there). A line that
cannot be used (bad UTF-8, bad JSON, nesting too deep for the parser, a number
too long to convert, not an object) becomes an error naming its line and what is
wrong, and never stops the other lines.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InputError


@dataclass(frozen=True)
class JsonLine:
    """One line of the file: its fields, or why there are none."""

    number: int
    fields: dict[str, Any] | None
    problem: str | None  # what is wrong with it, when ``fields`` is None

    @property
    def error(self) -> str | None:
        """The problem with its line number, as reports print it."""
        return f"line {self.number}: {self.problem}" if self.problem else None


def read_json_lines(path: str | Path, *, skip_blank: bool = False) -> list[JsonLine]:
    """Every line of ``path``; ``skip_blank`` leaves blank lines out instead of erring."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    lines = raw.removeprefix(b"\xef\xbb\xbf").split(b"\n")
    if lines and lines[-1] in (b"", b"\r"):
        lines.pop()  # the newline that ends the last line does not start another
    parsed = []
    for number, data in enumerate(lines, start=1):
        if skip_blank and not data.strip():
            continue
        parsed.append(parse_json_line(number, data))
    return parsed


def parse_json_line(number: int, data: bytes) -> JsonLine:
    def error(message: str) -> JsonLine:
        return JsonLine(number, None, message)

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return error(f"not valid UTF-8 (byte {exc.start + 1})")
    if not text.strip():
        return error("empty line (expected a JSON object)")
    try:
        fields = json.loads(text)
    except json.JSONDecodeError as exc:
        return error(f"not valid JSON ({exc.msg} at column {exc.colno})")
    except RecursionError:
        return error("not usable JSON (nested too deeply)")
    except ValueError as exc:  # e.g. an integer with thousands of digits
        return error(f"not usable JSON ({str(exc).splitlines()[0]})")
    if not isinstance(fields, dict):
        return error(f"expected a JSON object, got {type(fields).__name__}")
    return JsonLine(number, fields, None)
