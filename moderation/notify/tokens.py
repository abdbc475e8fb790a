"""Signed links: one-click moderation, subscription confirmation and unsubscribing.

Every link carries an opaque random value (never an address or a comment's
text) signed with the site's secret key through itsdangerous. A changed or cut
link fails the signature (:class:`LinkInvalid`, 403); moderation and
confirmation links also carry the time they were made and expire after
:data:`LINK_MAX_AGE` (:class:`LinkExpired`, 410). Single use is the store's job:
the random value names a row that is spent once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, Signer, TimestampSigner

from comment_format.i18n import Message

from ..errors import ModerationError

#: One-click moderation and confirmation links work this long.
LINK_MAX_AGE = timedelta(days=7)


class LinkError(ModerationError):
    """A link that cannot be followed; ``status_code`` is the HTTP answer."""

    status_code = 400


class LinkInvalid(LinkError):
    status_code = 403

    def __init__(self) -> None:
        super().__init__(
            Message(
                "this link is not valid: it was changed or cut short. Copy the whole link "
                "from the email."
            )
        )


class LinkExpired(LinkError):
    status_code = 410


class LinkUsed(LinkError):
    status_code = 410


class _ClockedSigner(TimestampSigner):
    """A timestamp signer whose clock can be set (tests age links without waiting)."""

    def __init__(self, *args: object, clock: Callable[[], float], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._clock = clock

    def get_timestamp(self) -> int:
        return int(self._clock())


class LinkSigner:
    """Makes and reads the tokens of the three kinds of link."""

    def __init__(self, secret: bytes, clock: Callable[[], float] = time.time) -> None:
        self._moderate = _ClockedSigner(secret, salt="moderation.notify.moderate", clock=clock)
        self._confirm = _ClockedSigner(secret, salt="moderation.notify.confirm", clock=clock)
        self._unsubscribe = Signer(secret, salt="moderation.notify.unsubscribe")

    # -- moderation: "<nonce>.<action>", timed --------------------------------------

    def moderate_token(self, nonce: str, action: str) -> str:
        return self._moderate.sign(f"{nonce}.{action}").decode("ascii")

    def read_moderate(self, token: str) -> tuple[str, str]:
        """``(nonce, action)`` of a moderation token."""
        nonce, _, action = _timed(self._moderate, token).rpartition(".")
        if not nonce or not action:
            raise LinkInvalid()
        return nonce, action

    # -- confirmation: the thread's token (before: the subscriber's), timed --------

    def confirm_token(self, thread_token: str) -> str:
        return self._confirm.sign(thread_token).decode("ascii")

    def read_confirm(self, token: str) -> tuple[str, datetime]:
        """The token a confirmation link carries, and when the link was made (at the
        latest: the signature keeps whole seconds)."""
        value = _timed(self._confirm, token)
        _, made = self._confirm.unsign(token.encode("ascii"), return_timestamp=True)
        return value, made + timedelta(seconds=1)

    # -- unsubscribing: "all.<subscriber token>" or "thread.<thread token>", no expiry --

    def unsubscribe_token(self, scope: str, token: str) -> str:
        return self._unsubscribe.sign(f"{scope}.{token}").decode("ascii")

    def read_unsubscribe(self, token: str) -> tuple[str, str]:
        """``(scope, token)``: scope is ``all`` or ``thread``."""
        try:
            value = self._unsubscribe.unsign(token.encode("ascii")).decode("ascii")
        except (BadSignature, UnicodeError):
            raise LinkInvalid() from None
        scope, _, opaque = value.partition(".")
        if scope not in ("all", "thread") or not opaque:
            raise LinkInvalid()
        return scope, opaque


def _timed(signer: TimestampSigner, token: str) -> str:
    try:
        value = signer.unsign(token.encode("ascii"), max_age=int(LINK_MAX_AGE.total_seconds()))
    except SignatureExpired:
        raise LinkExpired(
            Message("this link has expired: links work for {days} days", days=LINK_MAX_AGE.days)
        ) from None
    except (BadSignature, UnicodeError):
        raise LinkInvalid() from None
    return value.decode("ascii")
