"""Receiving Webmentions (W3C Recommendation, 12 January 2017), safely.

Another site tells us one of its pages (``source``) mentions one of our articles
(``target``). :func:`check_request` accepts or refuses the request itself (both
http(s), different, the target one of our open articles); the intake stores it
and answers 202 at once. Later, :func:`verify_pending` (the intake's mention
worker, or ``moderation screen``) fetches each source with :class:`SafeFetcher`
and keeps what it finds:

- the source links to the target: its microformats2 (mf2py, over the tree libxml2
  builds in time linear in the page) give the author,
  the text and the kind (a reply, like, repost or plain mention), and it becomes
  a comment (origin ``webmention``) that is screened and moderated like any other;
  if it was verified before and changed, the comment is edited and screened again;
- it does not link (any more), or answers 404 or 410: refused, or, if it was
  verified before, its comment is withdrawn (removed at the next publish);
- it cannot be fetched (down, refused as a private address, too slow) or read (its
  elements nest deeper than :data:`MAX_DEPTH`, or anything else fails while reading
  it): refused with the reason, or left as it was when it was verified before; either
  way the mentions behind it are checked.

The fetch is where a Webmention receiver is dangerous: anyone can make us request
any address. :class:`SafeFetcher` resolves the host and refuses loopback, private,
link-local and other non-public addresses (unless ``COMMENTS_WEBMENTION_ALLOW_PRIVATE``),
connects to the address it checked (no second lookup to rebind), checks again after
every redirect, follows at most 5, reads at most 1 MB and gives up after 10 s in all
(one deadline for every connection, header and byte of the body).
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import sqlite3
import ssl
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpcore
import httpx
import mf2py
import webencodings
from bs4 import BeautifulSoup, Tag

from comment_format.i18n import Message
from comment_format.render import render_problem, safe_author_url
from comment_format.text import MAX_BODY, MAX_NAME, body_problem, name_problem, strip_unshowable

from .errors import ModerationError, ValidationError
from .intake import IntakeError, Thread, ThreadIndex
from .models import Comment, Origin, State, utcnow
from .settings import Settings
from .store import Mention, Store
from .store.mentions import GONE, REFUSED, VERIFIED
from .submission import validate_url

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 5
MAX_BYTES = 1_000_000
TIMEOUT_SECONDS = 10.0
#: A source whose elements nest deeper than this is refused unread: pages people write
#: stay far below it, and mf2py reads the tree recursively (about 2 frames a level).
MAX_DEPTH = 200
USER_AGENT = "Webmention receiver (Learning Out Loud; +verifies that your page links here)"
KINDS = ("reply", "like", "repost")  # checked in this order; otherwise a "mention"
_PROPERTY_OF_KIND = {"reply": "in-reply-to", "like": "like-of", "repost": "repost-of"}


class WebmentionRefused(IntakeError):
    """A request the endpoint answers 400 (the W3C spec's "bad request")."""


class FetchRefused(ModerationError):
    """The source may not be fetched (a private address, not http(s))."""


class FetchFailed(ModerationError):
    """The source could not be fetched (network, timeout, too many redirects)."""


class SourceUnreadable(ModerationError):
    """The source was fetched but is not read (its elements nest too deeply)."""


# -- the request -----------------------------------------------------------------------


def _normalised(url: str) -> str:
    """``url`` without its fragment, scheme and host lower-cased, default port dropped."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    port = parts.port
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    netloc = host if port in (None, default) else f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, ""))


def _http_url(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise WebmentionRefused(Message("{field} is required", field=field), field)
    value = value.strip()
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises for a port that is not a number
    except ValueError:
        parts = None
    # safe_author_url is the build's rule for a source (comment_format.files): a file
    # holding one it refuses would fail the build, so such a request is refused here.
    if (
        parts is None
        or parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or safe_author_url(value) is None
    ):
        raise WebmentionRefused(
            Message("{field} must be an http:// or https:// address", field=field), field
        )
    if len(value) > 2048:
        raise WebmentionRefused(Message("{field} is too long", field=field), field)
    return value


def check_request(
    fields: Mapping[str, Any], index: ThreadIndex, site_urls: Iterable[str]
) -> tuple[str, str, Thread]:
    """The source, target and article of a Webmention request, or :class:`WebmentionRefused`.

    The target must be one of our open articles, at one of ``site_urls``.
    """
    source = _http_url(fields.get("source"), "source")
    target = _http_url(fields.get("target"), "target")
    if _normalised(source) == _normalised(target):
        raise WebmentionRefused(Message("source and target must be different pages"), "source")
    path = _path_on_site(target, site_urls)
    if path is None:
        raise WebmentionRefused(
            Message("target is not on this site: {target}", target=target), "target"
        )
    try:
        threads = index.threads()
    except IntakeError as error:
        raise WebmentionRefused(error.message, "target") from None
    for thread in threads.values():
        if thread.url.lstrip("/") == path:
            try:
                return source, target, index.thread_for(thread.slug)
            except IntakeError as error:  # closed
                raise WebmentionRefused(error.message, "target") from None
    raise WebmentionRefused(
        Message("target is not an article that takes Webmentions: {target}", target=target),
        "target",
    )


def _path_on_site(target: str, site_urls: Iterable[str]) -> str | None:
    """The target's path below one of ``site_urls`` (a site may live in a folder), as the
    plugin writes article URLs in ``threads.json``; ``None`` when it is on none of them."""
    wanted = urlsplit(_normalised(target))
    for site in site_urls:
        base = urlsplit(_normalised(site.rstrip("/") + "/"))
        if (wanted.scheme, wanted.netloc) != (base.scheme, base.netloc):
            continue
        if wanted.path.startswith(base.path):
            return wanted.path[len(base.path) :]
    return None


# -- fetching the source ----------------------------------------------------------------

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


#: IPv6 forms whose last 32 bits are the IPv4 host a gateway, relay or the system
#: itself would reach: that IPv4 address decides.
_IPV4_IN_LAST_32_BITS = tuple(
    ipaddress.IPv6Network(network)
    for network in (
        "::ffff:0:0/96",  # IPv4-mapped (RFC 4291)
        "::ffff:0:0:0/96",  # IPv4-translated (RFC 2765)
        "64:ff9b::/96",  # NAT64, the well-known prefix (RFC 6052)
        "::/96",  # IPv4-compatible (RFC 4291, deprecated)
    )
)
#: Never public, whatever they carry.
_NEVER_PUBLIC = tuple(
    ipaddress.IPv6Network(network)
    for network in (
        "64:ff9b:1::/48",  # NAT64 for local use (RFC 8215): the IPv4 part's place varies
        "2001::/32",  # Teredo (RFC 4380): a tunnel to an obscured IPv4 address
        "fec0::/10",  # site-local (RFC 3879, deprecated): a private network
    )
)


def public_address(address: Address) -> bool:
    """Whether ``address`` is on the public internet (not loopback, private, link-local,
    multicast, reserved, unspecified or shared), IPv4 inside IPv6 included: an IPv6
    address that carries an IPv4 one (mapped, translated, NAT64, 6to4, compatible) is
    as public as that IPv4 address; Teredo, local-use NAT64 and site-local never are.
    The one place that decides which addresses a source may be fetched from."""
    if isinstance(address, ipaddress.IPv6Address):
        if any(address in network for network in _NEVER_PUBLIC):
            return False
        if address.sixtofour is not None:  # 2002::/16 (RFC 3056)
            address = address.sixtofour
        elif any(address in network for network in _IPV4_IN_LAST_32_BITS):
            address = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.is_global and not address.is_multicast


def _any_address(address: Address) -> bool:
    return True


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    status: int
    content_type: str
    body: bytes
    truncated: bool  # there was more than MAX_BYTES


_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class _Deadline(httpcore.NetworkBackend):
    """httpcore's own sockets, except that every connect, TLS handshake, read and write
    waits at most until ``seconds`` from now: the whole fetch, the answers' status lines
    and headers included, ends then. (A time-out per operation does not: a server
    sending one byte a second never lets a single read wait long.)"""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds
        self._sockets = httpcore.SyncBackend()

    def left(self, timeout: float | None, expired: type[Exception]) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise expired("out of time")
        return left if timeout is None else min(timeout, left)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._sockets.connect_tcp(
            host, port, self.left(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        return _DeadlineStream(stream, self)

    def sleep(self, seconds: float) -> None:
        self._sockets.sleep(self.left(seconds, httpcore.PoolTimeout))


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream, clock: _Deadline) -> None:
        self._stream = stream
        self._clock = clock

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._clock.left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._clock.left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        left = self._clock.left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(
            self._stream.start_tls(ssl_context, server_hostname, left), self._clock
        )

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


def _header(response: httpcore.Response, name: bytes) -> str:
    for key, value in response.headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


class SafeFetcher:
    """GET an address anyone could have named, without letting them aim it at us.

    ``allowed`` decides which resolved addresses may be contacted (default: public
    ones only; ``allow_private=True`` allows all, for tests on loopback). ``timeout``
    is for the whole fetch: every redirect, and each answer's headers and body.
    """

    def __init__(
        self,
        *,
        allow_private: bool = False,
        allowed: Callable[[Address], bool] | None = None,
        timeout: float = TIMEOUT_SECONDS,
        max_bytes: int = MAX_BYTES,
        max_redirects: int = MAX_REDIRECTS,
        resolver: Callable[..., list[Any]] = socket.getaddrinfo,
    ) -> None:
        self.allowed = allowed or (_any_address if allow_private else public_address)
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.resolver = resolver
        self.ssl_context = httpx.create_ssl_context()

    def _address(self, host: str, port: int) -> str:
        """One checked address of ``host``: every address it resolves to must be allowed."""
        try:
            infos = self.resolver(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise FetchFailed(f"cannot resolve {host}: {exc}") from exc
        addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
        if not addresses:
            raise FetchFailed(f"{host} has no address")
        for address in addresses:
            if not self.allowed(address):
                raise FetchRefused(f"{host} resolves to {address}, which is not a public address")
        return str(addresses[0])

    def fetch(self, url: str) -> Fetched:
        """The source at ``url``, following at most ``max_redirects`` redirects, all
        within ``timeout`` seconds."""
        clock = _Deadline(self.timeout)
        try:
            return self._fetch(url, clock)
        except httpcore.TimeoutException:
            raise FetchFailed(f"no complete answer within {self.timeout:g} s") from None

    def _fetch(self, url: str, clock: _Deadline) -> Fetched:
        for _hop in range(self.max_redirects + 1):
            try:
                parts = urlsplit(url)
                scheme = parts.scheme.lower()
                port = parts.port or (443 if scheme == "https" else 80)
                host = (parts.hostname or "").encode("idna").decode("ascii")
            except (ValueError, UnicodeError):
                raise FetchRefused(f"not an address that can be fetched: {url}") from None
            if scheme not in ("http", "https") or not host:
                raise FetchRefused(f"not an http(s) address: {url}")
            address = self._address(host, port)
            clock.left(None, httpcore.ConnectTimeout)  # a slow name server counts too
            # Connect to the address just checked (no second lookup an attacker's DNS
            # could answer differently); the Host header and TLS name stay the host's.
            literal = f"[{address}]" if ":" in address else address
            pinned = urlunsplit((scheme, f"{literal}:{port}", parts.path or "/", parts.query, ""))
            default_port = (scheme == "https" and port == 443) or (scheme == "http" and port == 80)
            name = f"[{host}]" if ":" in host else host
            headers = {
                "Host": name if default_port else f"{name}:{port}",
                "User-Agent": USER_AGENT,
                "Accept": "text/html, application/xhtml+xml;q=0.9, text/plain;q=0.5",
                "Accept-Encoding": "gzip, deflate",
            }
            try:
                with (
                    httpcore.ConnectionPool(
                        ssl_context=self.ssl_context, network_backend=clock
                    ) as pool,
                    pool.stream(
                        "GET", pinned, headers=headers, extensions={"sni_hostname": host}
                    ) as response,
                ):
                    location = _header(response, b"location")
                    if response.status in _REDIRECTS and location:
                        url = urljoin(url, location)
                        continue
                    body, truncated = self._read(response)
                    return Fetched(
                        url=url,
                        status=response.status,
                        content_type=_header(response, b"content-type"),
                        body=body,
                        truncated=truncated,
                    )
            except (
                httpcore.NetworkError,
                httpcore.ProtocolError,
                httpcore.UnsupportedProtocol,
            ) as exc:
                raise FetchFailed(f"cannot fetch {url}: {exc}") from exc
        raise FetchFailed(f"more than {self.max_redirects} redirects")

    def _read(self, response: httpcore.Response) -> tuple[bytes, bool]:
        """At most ``max_bytes`` of the body, decompressed here in bounded steps: a small
        compressed answer must not grow into gigabytes in memory."""
        encoding = (_header(response, b"content-encoding") or "identity").strip().lower()
        if encoding in ("gzip", "x-gzip"):
            inflate: Any = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            inflate = zlib.decompressobj()
        elif encoding == "identity":
            inflate = None
        else:
            raise FetchFailed(f"the source is sent {encoding}-compressed, which is not read")
        body = bytearray()
        try:
            for raw in response.iter_stream():
                data = raw
                while data:
                    room = self.max_bytes + 1 - len(body)
                    if inflate is None:
                        body += data[:room]
                        data = b""
                    else:
                        body += inflate.decompress(data, room)
                        data = inflate.unconsumed_tail
                    if len(body) > self.max_bytes:
                        return bytes(body[: self.max_bytes]), True
        except zlib.error as exc:
            raise FetchFailed(f"the source's {encoding} data is broken: {exc}") from exc
        return bytes(body), False


def fetcher_from_settings(settings: Mapping[str, Any]) -> SafeFetcher:
    return SafeFetcher(allow_private=bool(settings["COMMENTS_WEBMENTION_ALLOW_PRIVATE"]))


# -- reading the source ---------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """What a source page says about our article."""

    links: bool  # it links to the target
    kind: str  # reply, like, repost or mention
    author: str
    author_url: str | None
    body: str


def _text(value: Any) -> str:
    if isinstance(value, dict):
        if "value" in value and isinstance(value["value"], str):
            return value["value"]
        names = value.get("properties", {}).get("name")
        return _text(names[0]) if names else ""
    return value if isinstance(value, str) else ""


def _urls(values: Iterable[Any]) -> list[str]:
    found = []
    for value in values:
        if isinstance(value, dict):
            found += [u for u in value.get("properties", {}).get("url", []) if isinstance(u, str)]
            if isinstance(value.get("value"), str):
                found.append(value["value"])
        elif isinstance(value, str):
            found.append(value)
    return found


def _entries(items: list[dict]) -> list[dict]:
    """Every h-entry, top level first, then those inside feeds."""
    entries = [item for item in items if "h-entry" in item.get("type", [])]
    for item in items:
        entries += [c for c in item.get("children", []) if "h-entry" in c.get("type", [])]
    return entries


def _one_line(text: str, limit: int) -> str:
    text = " ".join(strip_unshowable(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def read_source(fetched: Fetched, target: str) -> Source:
    """Whether the fetched page links to ``target``, and what its microformats say."""
    text = _text_of(fetched)
    wanted = _normalised(target)
    kind_of_page = fetched.content_type.split(";", 1)[0].strip().lower()
    host = urlsplit(fetched.url).hostname or fetched.url
    if kind_of_page == "text/plain":
        return Source(target in text, "mention", host, None, "")
    if kind_of_page not in ("text/html", "application/xhtml+xml", ""):
        return Source(False, "mention", host, None, "")
    # libxml2 (lxml) builds the tree in time linear in the page, whatever its shape;
    # html5lib's tree building walks the open elements again and again (each tag, each
    # attribute), which hostile nesting turns into minutes. Then the depth is measured
    # (a linear walk), before mf2py reads the tree recursively.
    soup = BeautifulSoup(text, "lxml")
    if _deeper_than(soup, MAX_DEPTH):
        raise SourceUnreadable(f"the source's elements nest more than {MAX_DEPTH} deep")
    links = any(
        _normalised(urljoin(fetched.url, element.get("href") or "")) == wanted
        for element in soup.find_all(["a", "link", "area"], href=True)
    )
    parsed = mf2py.parse(doc=soup, url=fetched.url)
    items = parsed.get("items", [])
    entries = _entries(items)
    entry = next((e for e in entries if wanted in map(_normalised, _all_urls(e))), None) or (
        entries[0] if entries else None
    )
    if entry is None:
        return Source(links, "mention", host, None, "")
    properties = entry.get("properties", {})
    kind = "mention"
    for candidate in KINDS:
        if wanted in {
            _normalised(u) for u in _urls(properties.get(_PROPERTY_OF_KIND[candidate], []))
        }:
            kind = candidate
            break
    author, author_url = host, None
    authors = properties.get("author") or [
        item for item in items if "h-card" in item.get("type", [])
    ]
    if authors:
        author = _text(authors[0]) or host
        urls = _urls(authors[:1]) if isinstance(authors[0], dict) else []
        author_url = next((u for u in urls if u.startswith(("http://", "https://"))), None)
    body = ""
    for name in ("content", "summary", "name"):
        if properties.get(name):
            body = _text(properties[name][0]).strip()
            if body:
                break
    return Source(links, kind, _one_line(author, MAX_NAME), author_url, body)


def _deeper_than(soup: BeautifulSoup, limit: int) -> bool:
    """Whether some element of ``soup`` lies more than ``limit`` levels down (a linear walk)."""
    stack: list[tuple[Tag, int]] = [(soup, 0)]
    while stack:
        element, depth = stack.pop()
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in element.contents if isinstance(child, Tag))
    return False


def _all_urls(entry: dict) -> list[str]:
    properties = entry.get("properties", {})
    return [u for name in _PROPERTY_OF_KIND.values() for u in _urls(properties.get(name, []))]


def _text_of(fetched: Fetched) -> str:
    """The body as text, decoded as a browser would: a byte-order mark first, then the
    ``charset`` of the Content-Type if it is a label of the WHATWG Encoding Standard
    (``idna``, ``undefined`` or ``utf-7`` are not), else UTF-8; undecodable bytes
    become U+FFFD."""
    label = None
    for param in fetched.content_type.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            label = value.strip().strip('"')
    encoding = (webencodings.lookup(label) if label else None) or webencodings.UTF8
    try:
        return webencodings.decode(fetched.body, encoding, errors="replace")[0]
    except (UnicodeError, LookupError):  # a codec that fails even so: the bytes as UTF-8
        return fetched.body.decode("utf-8", "replace")


# -- from source to comment ------------------------------------------------------------------


def _comment_fields(source: Source, mention: Mention) -> tuple[str, str | None, str]:
    """The author, author URL and body a verified source becomes, within the comment rules."""
    author = source.author
    if name_problem(author):
        author = urlsplit(mention.source).hostname or "?"
    author_url = None
    if source.author_url:
        try:
            author_url = validate_url(source.author_url[:500])
        except ValidationError:
            author_url = None
    body = strip_unshowable(source.body).strip()
    if len(body) > MAX_BODY:
        body = body[: MAX_BODY - 1].rstrip() + "…"
    if source.kind in ("like", "repost"):
        body = ""
    elif body_problem(body) or render_problem(body):
        # Nothing showable of its own (or nothing we can show): the page itself speaks.
        body = mention.source
    return author, author_url, body


@dataclass(frozen=True)
class Outcome:
    mention_id: int
    state: str
    comment_id: str | None = None
    problem: str | None = None
    #: A comment that now waits for screening (new, or changed).
    to_screen: Comment | None = None


def verify(
    store: Store, mention: Mention, fetcher: SafeFetcher, now: datetime | None = None
) -> Outcome:
    """Fetch one mention's source and keep what it says (see the module docstring).

    Whatever a source makes go wrong is that source's outcome, with the reason: it is
    refused (or keeps what it had when it was verified before), so the mentions behind
    it are checked. Only the database's own errors leave it pending for the next turn.
    """
    now = now or utcnow()
    was_verified = mention.comment_id is not None and mention.state != GONE
    try:
        return _verify(store, mention, fetcher, was_verified, now)
    except sqlite3.Error:
        raise
    except Exception as exc:
        logger.exception("webmention %s → %s: reading it failed", mention.source, mention.target)
        why = f"the source could not be read ({type(exc).__name__}: {exc})"
        return _failed(store, mention, _one_line(why, 300), was_verified, now)


def _verify(
    store: Store, mention: Mention, fetcher: SafeFetcher, was_verified: bool, now: datetime
) -> Outcome:
    try:
        fetched = fetcher.fetch(mention.source)
    except (FetchRefused, FetchFailed) as problem:
        return _failed(store, mention, str(problem), was_verified, now)
    if fetched.status in (404, 410):
        return _gone(store, mention, f"the source answers {fetched.status}", was_verified, now)
    if not 200 <= fetched.status < 300:
        return _failed(store, mention, f"the source answers {fetched.status}", was_verified, now)
    try:
        source = read_source(fetched, mention.target)
    except SourceUnreadable as problem:
        return _failed(store, mention, str(problem), was_verified, now)
    if not source.links:
        why = "the source does not link to the target"
        if fetched.truncated:
            why += f" in its first {MAX_BYTES:,} bytes"
        return _gone(store, mention, why, was_verified, now)
    author, author_url, body = _comment_fields(source, mention)
    with store.transaction():
        existing = _live_comment(store, mention)
        if existing is None:
            comment = store.comments.add(
                Comment(
                    article=mention.article,
                    author=author,
                    body=body,
                    author_url=author_url,
                    ip=mention.sender_ip,
                    received_at=now,
                    origin=Origin.WEBMENTION,
                ),
                actor="webmention",
                note=f"verified: {mention.source} {source.kind}s this article",
            )
            to_screen: Comment | None = comment
        else:
            store.revisions.edit(
                existing.id or "",
                author=author,
                author_url=author_url,
                body=body,
                actor="webmention",
                note="its source changed",
                now=now,
            )
            comment = store.comments.get(existing.id or "")
            to_screen = comment if comment.status is State.RECEIVED else None
        store.mentions.record(
            mention.id, VERIFIED, kind=source.kind, comment_id=comment.id, now=now
        )
    logger.info("webmention %s → %s verified: %s", mention.source, mention.target, source.kind)
    return Outcome(mention.id, VERIFIED, comment.id, None, to_screen)


def _live_comment(store: Store, mention: Mention) -> Comment | None:
    if mention.comment_id is None:
        return None
    try:
        comment = store.comments.get(mention.comment_id)
    except ModerationError:  # erased
        return None
    return None if comment.withdrawn_at is not None else comment


def _gone(store: Store, mention: Mention, why: str, was_verified: bool, now: datetime) -> Outcome:
    comment = _live_comment(store, mention) if was_verified else None
    with store.transaction():
        if comment is not None and comment.id is not None:
            store.revisions.withdraw(
                comment.id, actor="webmention", note=f"withdrawn: {why}", now=now
            )
        store.mentions.record(mention.id, GONE if was_verified else REFUSED, problem=why, now=now)
    logger.info("webmention %s → %s: %s", mention.source, mention.target, why)
    return Outcome(mention.id, GONE if was_verified else REFUSED, mention.comment_id, why)


def _failed(store: Store, mention: Mention, why: str, was_verified: bool, now: datetime) -> Outcome:
    # A source that is down for a while keeps the mention it made before.
    state = VERIFIED if was_verified else REFUSED
    store.mentions.record(mention.id, state, problem=why, now=now)
    logger.info("webmention %s → %s not verified: %s", mention.source, mention.target, why)
    return Outcome(mention.id, state, mention.comment_id, why)


def verify_pending(
    store: Store,
    settings: Settings,
    *,
    fetcher: SafeFetcher | None = None,
    limit: int | None = None,
) -> list[Outcome]:
    """Verify every mention waiting for it (oldest first)."""
    fetcher = fetcher or fetcher_from_settings(settings)
    return [verify(store, mention, fetcher) for mention in store.mentions.pending(limit)]
