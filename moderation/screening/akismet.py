"""The "akismet" signal: ask Akismet, through the ``akismet`` client, with full context.

Akismet is consulted only when a key and the blog URL are configured. When it
cannot be reached the comment is held and rechecked later, like Akismet's own
WordPress plugin does; an invalid key is a configuration alert, not a verdict.
Checks run in a bounded thread pool sharing one ``httpx.Client``; after the
first failure in a run the remaining checks are not even attempted, so an
outage costs one timeout per worker, not one per comment.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import replace
from datetime import UTC
from pathlib import Path

import akismet
import httpx

from ..models import Comment, Decision, SignalResult
from ..settings import Settings
from .base import ScreeningContext

logger = logging.getLogger(__name__)

KEY_VARIABLE = "PYTHON_AKISMET_API_KEY"
URL_VARIABLE = "PYTHON_AKISMET_BLOG_URL"
ENDPOINT_VARIABLE = "MODERATION_AKISMET_ENDPOINT"
TIMEOUT_VARIABLE = "PYTHON_AKISMET_TIMEOUT"
#: Seconds to wait for Akismet when PYTHON_AKISMET_TIMEOUT is not set.
DEFAULT_TIMEOUT = 3.0
#: What Akismet's answer adds to the combined log-odds: its "spam" is strong
#: evidence, its "ham" only a little (it rarely catches a human-written pitch).
SPAM_WEIGHT = 3.0
HAM_WEIGHT = -0.5

UNAVAILABLE = "Akismet unavailable"


class RebasedTransport(httpx.BaseTransport):
    """Send requests meant for rest.akismet.com to another base URL.

    The client library has Akismet's address built in; Akismet-compatible
    services and local fakes need another one.
    """

    def __init__(self, base_url: str, transport: httpx.BaseTransport | None = None) -> None:
        self.base = httpx.URL(base_url.rstrip("/"))
        self.transport = transport or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(
            scheme=self.base.scheme,
            host=self.base.host,
            port=self.base.port,
            path=self.base.path.rstrip("/") + request.url.path,
        )
        request.headers["Host"] = self.base.netloc.decode("ascii")
        return self.transport.handle_request(request)

    def close(self) -> None:
        self.transport.close()


def akismet_config(
    settings: Settings, environ: Mapping[str, str] | None = None
) -> akismet.Config | None:
    """Key and blog URL from the environment (the URL falls back to COMMENTS_SITE_URL)."""
    environ = os.environ if environ is None else environ
    key = environ.get(KEY_VARIABLE, "").strip()
    url = environ.get(URL_VARIABLE, "").strip() or str(settings["COMMENTS_SITE_URL"]).strip()
    if not key or not url.startswith(("http://", "https://")):
        return None
    return akismet.Config(key=key, url=url)


def make_http_client(
    environ: Mapping[str, str] | None = None, *, timeout: float | None = None
) -> httpx.Client:
    """An ``httpx.Client`` with a firm timeout, pointed at MODERATION_AKISMET_ENDPOINT if set.

    The timeout is ``timeout``, else PYTHON_AKISMET_TIMEOUT, else DEFAULT_TIMEOUT.
    """
    environ = os.environ if environ is None else environ
    if timeout is None:
        try:
            timeout = float(environ.get(TIMEOUT_VARIABLE) or DEFAULT_TIMEOUT)
        except ValueError:
            logger.warning("%s is not a number; using %s s", TIMEOUT_VARIABLE, DEFAULT_TIMEOUT)
            timeout = DEFAULT_TIMEOUT
    endpoint = environ.get(ENDPOINT_VARIABLE, "").strip()
    transport = RebasedTransport(endpoint) if endpoint else None
    return httpx.Client(
        headers={"User-Agent": akismet.USER_AGENT},
        timeout=httpx.Timeout(timeout),
        transport=transport,
        limits=httpx.Limits(max_connections=64, max_keepalive_connections=64),
    )


def make_client(
    settings: Settings,
    *,
    http_client: httpx.Client | None = None,
    environ: Mapping[str, str] | None = None,
) -> akismet.SyncClient | None:
    """A real Akismet client, or ``None`` when Akismet is not configured."""
    config = akismet_config(settings, environ)
    if config is None:
        return None
    return akismet.SyncClient(config=config, http_client=http_client or make_http_client(environ))


def load_permalinks(settings: Settings) -> dict[str, str]:
    """Article URL by slug from the plugin's threads.json (empty when it is not built yet)."""
    path = settings.path("COMMENTS_THREADS")
    try:
        threads = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        logger.warning("cannot read thread index %s: %s", path, exc)
        return {}
    site = str(settings["COMMENTS_SITE_URL"]).rstrip("/")
    links = {}
    for thread in threads if isinstance(threads, list) else []:
        if isinstance(thread, dict) and thread.get("slug") and thread.get("url") is not None:
            links[str(thread["slug"])] = f"{site}/{str(thread['url']).lstrip('/')}"
    return links


def check_params(
    comment: Comment, settings: Settings, permalinks: Mapping[str, str]
) -> dict[str, str]:
    """Everything we know about the comment, in Akismet's names (``user_ip`` included)."""
    site = str(settings["COMMENTS_SITE_URL"]).rstrip("/")
    params = {
        "user_ip": comment.ip or "",
        "user_agent": comment.user_agent,
        "referrer": comment.referrer,
        "permalink": permalinks.get(comment.article, site + "/"),
        "comment_type": "reply" if comment.reply_to else "comment",
        "comment_author": comment.author,
        "comment_author_email": comment.email,
        "comment_author_url": comment.author_url,
        "comment_content": comment.body,
        "blog_lang": comment.language or str(settings.get("DEFAULT_LANG") or "en"),
        "blog_charset": "UTF-8",
        "comment_date_gmt": comment.received_at.astimezone(UTC).isoformat(timespec="seconds"),
        "honeypot_field_name": str(settings["COMMENTS_HONEYPOT_FIELD"]),
    }
    return {key: value for key, value in params.items() if value}


class AkismetSignal:
    """Akismet's verdict as a signal, with the parameters sent for each comment."""

    name = "akismet"

    def __init__(self, client: akismet.SyncClient | None, permalinks: Mapping[str, str]) -> None:
        self.client = client
        self.permalinks = permalinks
        # An invalid key stays invalid: once Akismet has said so, nothing more is
        # sent by this screener, and the owner is alerted once, not per comment.
        self.key_rejected = threading.Event()
        self.key_alert_logged = False
        self._alert_lock = threading.Lock()

    def check_many(
        self, comments: Sequence[Comment], context: ScreeningContext
    ) -> list[SignalResult]:
        """Ask Akismet about each comment, many at once; progress is reported as they come."""
        if self.client is None:
            return [SignalResult(self.name, None, "Akismet: not configured")] * len(comments)
        if not comments:
            return []
        outage = threading.Event()
        limit = int(context.settings["COMMENTS_AKISMET_CONCURRENCY"])
        workers = max(1, min(limit, len(comments)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="akismet") as pool:
            futures = [pool.submit(self._check_one, c, context, outage) for c in comments]
            if context.progress is not None:
                for done, _future in enumerate(as_completed(futures), start=1):
                    context.progress(done, len(comments))
            return [future.result() for future in futures]

    def _check_one(
        self, comment: Comment, context: ScreeningContext, outage: threading.Event
    ) -> SignalResult:
        if not comment.ip:
            return SignalResult(self.name, None, "Akismet: not asked (no IP address to send)")
        params = check_params(comment, context.settings, self.permalinks)
        return replace(self._ask(comment, params, context, outage), sent=params)

    def _ask(
        self,
        comment: Comment,
        params: dict[str, str],
        context: ScreeningContext,
        outage: threading.Event,
    ) -> SignalResult:
        if self.key_rejected.is_set():
            return self._key_alert()
        if outage.is_set():
            return SignalResult(
                self.name,
                None,
                f"{UNAVAILABLE} (not asked after an earlier failure in this run); will recheck",
                floor=Decision.HOLD,
                retry=True,
            )
        arguments = {key: value for key, value in params.items() if key != "user_ip"}
        if context.recheck:
            arguments["recheck_reason"] = "retry"
        try:
            answer = self.client.comment_check(params["user_ip"], **arguments)
        except akismet.APIKeyError:
            self.key_rejected.set()
            return self._key_alert()
        except (akismet.RequestError, akismet.ProtocolError) as exc:
            outage.set()
            cause = exc.__cause__ or exc
            logger.warning("Akismet check failed: %s", str(cause).strip().splitlines()[0])
            return SignalResult(
                self.name,
                None,
                f"{UNAVAILABLE} ({_describe(exc)}); will recheck",
                floor=Decision.HOLD,
                retry=True,
            )
        if answer is akismet.CheckResponse.DISCARD:
            reason = "Akismet: spam (discard)"
            return SignalResult(
                self.name, 1.0, reason, Decision.SPAM, (reason,), weight=SPAM_WEIGHT
            )
        if answer is akismet.CheckResponse.SPAM:
            reason = "Akismet: spam"
            return SignalResult(
                self.name, 0.95, reason, Decision.SPAM, (reason,), weight=SPAM_WEIGHT
            )
        return SignalResult(self.name, 0.0, "Akismet: ham", weight=HAM_WEIGHT)

    def _key_alert(self) -> SignalResult:
        with self._alert_lock:
            if not self.key_alert_logged:
                self.key_alert_logged = True
                logger.error(
                    "configuration alert: Akismet rejected the API key or blog URL; comments "
                    "are held for a moderator until %s / %s are fixed",
                    KEY_VARIABLE,
                    URL_VARIABLE,
                )
        # Held, and checked again later like after an outage: once the owner fixes
        # the key, the comments waiting meanwhile get Akismet's verdict after all.
        return SignalResult(
            self.name,
            None,
            "Akismet: invalid API key or blog URL (configuration alert); held, will recheck",
            floor=Decision.HOLD,
            retry=True,
        )


def _describe(exc: Exception) -> str:
    if isinstance(exc, akismet.ProtocolError):
        return "unexpected answer"
    cause = exc.__cause__
    if isinstance(cause, httpx.TimeoutException):
        return "timed out"
    if isinstance(cause, httpx.HTTPStatusError):
        return f"HTTP {cause.response.status_code}"
    return "connection failed" if cause is not None else str(exc).strip()
