"""Content source files as an author wrote them: the metadata header, line by line.

Pelican's readers give the parsed values but not where they are; ``invoke check``
needs the line of each field to point at it, and the raw text of ``Date:`` to see
whether it names a time zone (Pelican fills one in from ``TIMEZONE`` otherwise).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

# Markdown's meta extension: "Key: value", continuation lines indented by 4+ spaces.
META_LINE = re.compile(r"^[ ]{0,3}(?P<key>[A-Za-z0-9_-]+):\s*(?P<value>.*)$")
META_CONTINUATION = re.compile(r"^[ ]{4,}(?P<value>.*)$")
MARKDOWN_EXTENSIONS = (".md", ".markdown", ".mkd", ".mdown")


@dataclass
class Field:
    value: str
    line: int


@dataclass
class Source:
    """One content file: its metadata fields (lower-case keys) and its lines."""

    path: Path
    lines: list[str]
    fields: dict[str, Field] = field(default_factory=dict)
    body_start: int = 1  # 1-based number of the first line after the metadata fields

    def value(self, key: str) -> str:
        found = self.fields.get(key)
        return found.value.strip() if found else ""

    def line_of(self, key: str) -> int:
        found = self.fields.get(key)
        return found.line if found else 1


def read_source(path: Path) -> Source:
    """Read a Markdown file's header the way Markdown's meta extension does."""
    text = path.read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    source = Source(path=path, lines=lines)
    if path.suffix.lower() not in MARKDOWN_EXTENSIONS:
        return source
    index = 0
    if lines and lines[0].strip() == "---":
        index = 1
    last_key = None
    while index < len(lines):
        line = lines[index]
        if not line.strip() or line.strip() in ("---", "..."):
            break
        match = META_LINE.match(line)
        if match:
            last_key = match.group("key").lower()
            source.fields.setdefault(last_key, Field(match.group("value"), index + 1))
        elif last_key and (continued := META_CONTINUATION.match(line)):
            source.fields[last_key].value += " " + continued.group("value").strip()
        else:
            break
        index += 1
    source.body_start = index + 1
    return source
