"""How an email address is shown where people must be told apart but not exposed.

Logs, the review queue, ``moderation show`` and notification messages all show
``j***@example.org``: enough to tell two commenters apart, no more.
"""

from __future__ import annotations


def mask_email(email: str | None) -> str:
    """``jane@example.org`` → ``j***@example.org``."""
    if not email:
        return ""
    local, at, domain = email.partition("@")
    return f"{local[:1]}***{at}{domain}"
