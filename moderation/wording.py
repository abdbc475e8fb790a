"""How messages say a number of things, in one place for the CLI and the reports."""

from __future__ import annotations


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """``1 file``, ``2 files``, ``1,204 files``; ``plural`` where ``s`` is wrong."""
    if number == 1:
        return f"1 {noun}"
    return f"{number:,} {plural or noun + 's'}"
