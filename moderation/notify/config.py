"""What ``COMMENTS_SMTP`` and ``COMMENTS_NOTIFY`` say, read once into typed objects.

The SMTP password and the webhook secret are never settings: they come from the
environment (``MODERATION_SMTP_PASSWORD``, and the variable the webhook's
``secret_env`` names), so no settings file ever holds a secret.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from ..settings import Settings

PASSWORD_VARIABLE = "MODERATION_SMTP_PASSWORD"
DEFAULT_SECRET_ENV = "MODERATION_WEBHOOK_SECRET"


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: str  # none, starttls or tls
    user: str | None
    sender: str  # the From address

    def password(self, environ: Mapping[str, str] | None = None) -> str | None:
        return (os.environ if environ is None else environ).get(PASSWORD_VARIABLE) or None


@dataclass(frozen=True)
class WebhookConfig:
    url: str
    secret_env: str

    def secret(self, environ: Mapping[str, str] | None = None) -> str | None:
        return (os.environ if environ is None else environ).get(self.secret_env) or None


@dataclass(frozen=True)
class NotifyConfig:
    """Everything the notifications need from the settings."""

    moderators: tuple[str, ...]
    mode: str  # immediate or digest
    digest_minutes: float
    webhook: WebhookConfig | None
    daily_summary: bool
    alert_spam: bool
    smtp: SmtpConfig
    #: Where the one-click, confirmation and unsubscribe links point: the public
    #: intake service (COMMENTS_INTAKE_URL), which a mail client can reach.
    links_url: str
    site_url: str
    site_name: str
    timezone: str

    @classmethod
    def from_settings(cls, settings: Settings) -> NotifyConfig:
        notify, smtp = settings["COMMENTS_NOTIFY"], settings["COMMENTS_SMTP"]
        webhook = notify.get("webhook")
        return cls(
            moderators=tuple(notify["moderators"]),
            mode=notify["mode"],
            digest_minutes=float(notify["digest_minutes"]),
            webhook=WebhookConfig(webhook["url"], webhook.get("secret_env", DEFAULT_SECRET_ENV))
            if webhook
            else None,
            daily_summary=notify["daily_summary"],
            alert_spam=notify["alert_spam"],
            smtp=SmtpConfig(
                host=smtp["host"],
                port=smtp["port"],
                security=smtp["security"],
                user=smtp["user"],
                sender=smtp["from"],
            ),
            links_url=settings["COMMENTS_INTAKE_URL"].rstrip("/"),
            site_url=settings["COMMENTS_SITE_URL"].rstrip("/"),
            site_name=settings["SITENAME"] or "the blog",
            timezone=settings["TIMEZONE"] or "UTC",
        )

    @property
    def mail_domain(self) -> str:
        """The domain of the From address: the right-hand side of every Message-ID."""
        return self.smtp.sender.rpartition("@")[2]
