"""The two ways a message leaves: SMTP (smtplib) and a signed JSON webhook (httpx).

Both raise :class:`TemporaryFailure` (try again later: a 4xx reply, a refused
connection, a timeout) or :class:`PermanentFailure` (a 5xx reply, or an HTTP 4xx
other than 408 and 429). A permanent refusal of the recipient itself is a bounce:
that address is not mailed again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import smtplib
import ssl
import time
from email.message import EmailMessage
from typing import Any

import httpx

from .config import SmtpConfig, WebhookConfig

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 30.0
#: The webhook's signature header: ``sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">``.
SIGNATURE_HEADER = "X-Comments-Signature"
TIMESTAMP_HEADER = "X-Comments-Timestamp"
DELIVERY_HEADER = "X-Comments-Delivery"


class DeliveryError(Exception):
    """A message was not delivered; ``bounce`` when the recipient itself was refused."""

    def __init__(self, message: str, *, bounce: bool = False) -> None:
        super().__init__(message)
        self.bounce = bounce


class TemporaryFailure(DeliveryError):
    """Worth trying again later: a 4xx reply, a refused connection, a timeout."""


class PermanentFailure(DeliveryError):
    """Not worth trying again: a 5xx reply, or an HTTP 4xx other than 408 and 429."""


#: An enhanced status code 5.7.x is a policy refusal (relaying denied, spam filter):
#: the owner's setup is at fault, not the address.
_POLICY = re.compile(r"^\s*5\.7\.")


def _is_bounce(code: int, text: bytes | str) -> bool:
    """Whether a refusal of the recipient means the address itself is bad."""
    shown = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return code >= 500 and not _POLICY.match(shown)


def _reply_text(code: int, text: bytes | str) -> str:
    shown = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {shown}".strip()


class SmtpChannel:
    """One SMTP connection for a sending run, opened when first needed."""

    def __init__(self, config: SmtpConfig, *, timeout: float = TIMEOUT_SECONDS) -> None:
        self.config = config
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None
        #: Set when connecting failed: the rest of the run fails fast with it, instead
        #: of waiting for a timeout once per message.
        self._unreachable: TemporaryFailure | None = None

    def _connect(self) -> smtplib.SMTP:
        """A connection, secured and logged in as the settings ask; every failure is
        temporary (the owner fixes settings, servers come back) and says which step."""
        config = self.config
        where = f"{config.host}:{config.port}"
        context = ssl.create_default_context()
        step = f"cannot reach the SMTP server {where}"
        try:
            if config.security == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    config.host, config.port, timeout=self.timeout, context=context
                )
            else:
                smtp = smtplib.SMTP(config.host, config.port, timeout=self.timeout)
            try:
                smtp.ehlo()
                if config.security == "starttls":
                    step = f"STARTTLS with {where} failed"
                    smtp.starttls(context=context)
                    smtp.ehlo()
                if config.user:
                    step = f"SMTP login as {config.user!r} at {where} failed"
                    password = config.password()
                    if password is None:
                        raise TemporaryFailure(
                            f"COMMENTS_SMTP names user {config.user!r} but "
                            "MODERATION_SMTP_PASSWORD is not set"
                        )
                    smtp.login(config.user, password)
            except BaseException:
                smtp.close()
                raise
        except smtplib.SMTPAuthenticationError as exc:
            reply = _reply_text(exc.smtp_code, exc.smtp_error)
            raise TemporaryFailure(f"SMTP login as {config.user!r} refused: {reply}") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise TemporaryFailure(f"{step}: {exc}") from None
        return smtp

    def send(self, message: EmailMessage, recipients: list[str]) -> None:
        """Send one message; returns once the server has accepted it."""
        if self._unreachable is not None:
            raise self._unreachable
        if self._smtp is None:
            try:
                self._smtp = self._connect()
            except TemporaryFailure as exc:
                self._unreachable = exc
                raise
        try:
            refused = self._smtp.send_message(
                message, from_addr=self.config.sender, to_addrs=recipients
            )
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            failure = PermanentFailure if code >= 500 else TemporaryFailure
            raise failure(
                f"the server refused the recipient: {_reply_text(code, text)}",
                bounce=_is_bounce(code, text),
            ) from None
        except smtplib.SMTPResponseException as exc:
            self.close()  # the session may be in any state: start afresh next time
            failure = PermanentFailure if exc.smtp_code >= 500 else TemporaryFailure
            raise failure(
                f"the server refused the message: {_reply_text(exc.smtp_code, exc.smtp_error)}"
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise TemporaryFailure(f"the SMTP connection failed: {exc}") from None
        if refused:  # only with several recipients; we always send to one
            code, text = next(iter(refused.values()))
            raise PermanentFailure(
                f"the server refused the recipient: {_reply_text(code, text)}",
                bounce=_is_bounce(code, text),
            )

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 over ``"<timestamp>.<body>"`` with the shared secret.

    The timestamp is signed too, so a receiver can refuse an old delivery replayed.
    """
    digest = hmac.new(
        secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256
    )
    return f"sha256={digest.hexdigest()}"


class WebhookChannel:
    """POSTs JSON with an HMAC-SHA256 signature header."""

    def __init__(
        self,
        config: WebhookConfig,
        *,
        http_client: httpx.Client | None = None,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self.config = config
        self._client = http_client or httpx.Client(timeout=timeout, follow_redirects=False)
        self._own_client = http_client is None

    def send(self, payload: dict[str, Any], delivery_id: str) -> None:
        secret = self.config.secret()
        if secret is None:
            raise TemporaryFailure(
                f"the webhook secret is missing: set the environment variable "
                f"{self.config.secret_env}"
            )
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "moderation-notify",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: webhook_signature(secret, timestamp, body),
            DELIVERY_HEADER: delivery_id,
        }
        try:
            response = self._client.post(self.config.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise TemporaryFailure(f"the webhook cannot be reached: {exc}") from None
        if response.is_success:
            return
        detail = f"the webhook answered {response.status_code}: {response.text[:200]}"
        if response.status_code in (408, 429) or response.status_code >= 500:
            raise TemporaryFailure(detail)
        raise PermanentFailure(detail)

    def close(self) -> None:
        if self._own_client:
            self._client.close()
