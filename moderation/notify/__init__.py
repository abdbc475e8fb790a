"""Notifications: moderator alerts, reply emails for readers, and the outbox behind both.

- :mod:`.events` puts messages into the outbox, each in the transaction of the
  event that causes it (:func:`on_screened`, :func:`on_published`; the intake stores
  subscriptions with their comments);
- :mod:`.sender` sends what is due (:func:`send_due`: ``moderation notify`` and the
  intake's background worker), with retries, bounces and the reply limit;
- :mod:`.messages` renders emails and webhook bodies; :mod:`.channels` sends them
  over SMTP or as a signed JSON webhook;
- :mod:`.tokens` signs the links, :mod:`.links` follows them (one-click moderation,
  confirming, unsubscribing);
- :mod:`.status` summarises the outbox (:func:`outbox_summary`).

Settings: ``COMMENTS_SMTP`` and ``COMMENTS_NOTIFY`` (read by :mod:`.config`).
"""

from __future__ import annotations

from .channels import SIGNATURE_HEADER, TIMESTAMP_HEADER, webhook_signature
from .config import NotifyConfig
from .events import on_published, on_screened
from .sender import SendReport, send_due
from .status import OutboxSummary, outbox_summary
from .tokens import LinkError, LinkExpired, LinkInvalid, LinkSigner, LinkUsed

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "LinkError",
    "LinkExpired",
    "LinkInvalid",
    "LinkSigner",
    "LinkUsed",
    "NotifyConfig",
    "OutboxSummary",
    "SendReport",
    "on_published",
    "on_screened",
    "outbox_summary",
    "send_due",
    "webhook_signature",
]
