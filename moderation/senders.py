"""Who sent a comment: blocking senders and their earlier comments (issue 10).

The blocklist itself is applied by the ``blocklist`` screening signal; this
module checks and normalises what a moderator adds to it, proposes what can be
blocked for one comment, and finds the sender's earlier comments (same email,
same IP or its keyed hash after retention, or a link to the same host).
"""

from __future__ import annotations

import ipaddress
import logging
import re
from dataclasses import dataclass

from .errors import ModerationError
from .models import Comment, Label
from .screening.blocklist import link_hosts
from .store import BlockEntry, BlockKind, Store

logger = logging.getLogger(__name__)

_HOST = re.compile(r"(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}")
_EMAIL = re.compile(r"[^@\s]{1,64}@([^@\s]{1,253})")
MAX_NOTE = 500
HISTORY_LIMIT = 50


class BlockError(ModerationError):
    """A blocklist value that is not what its kind says."""


def normalise(kind: BlockKind | str, value: str) -> tuple[BlockKind, str]:
    """The kind, and the value as the blocklist keeps it; :class:`BlockError` if malformed."""
    try:
        kind = BlockKind(kind)
    except ValueError:
        kinds = ", ".join(str(k) for k in BlockKind)
        raise BlockError(f"kind: unknown kind {kind!r} (one of: {kinds})") from None
    text = value.strip().lower()
    if not text:
        raise BlockError(f"{kind}: give a value to block")
    if kind is BlockKind.EMAIL:
        match = _EMAIL.fullmatch(text)
        if not match or not _HOST.fullmatch(match.group(1)):
            raise BlockError(f"email: {value!r} is not an email address")
    elif kind in (BlockKind.DOMAIN, BlockKind.LINK_DOMAIN):
        text = text.removeprefix("www.").rstrip(".")
        if not _HOST.fullmatch(text):
            raise BlockError(f"{kind}: {value!r} is not a domain name (like example.com)")
    else:
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise BlockError(f"ip: {value!r} is not an IP address or network") from None
        full = network.prefixlen == network.max_prefixlen
        text = str(network.network_address) if full else str(network)
    return kind, text


def block(
    store: Store, kind: BlockKind | str, value: str, *, actor: str, note: str | None = None
) -> tuple[BlockKind, str, bool]:
    """Add a sender to the blocklist; (kind, value kept, whether it is new)."""
    kind, text = normalise(kind, value)
    note = (note or "").strip()[:MAX_NOTE] or None
    added = store.blocklist.add(kind, text, added_by=actor, note=note)
    if added:
        logger.info("%s blocked %s %s", actor, kind, text)
    return kind, text, added


def unblock(store: Store, entry_id: int, *, actor: str) -> BlockEntry:
    entry = store.blocklist.remove(entry_id)
    if entry is None:
        raise BlockError(f"there is no blocklist entry {entry_id}")
    logger.info("%s unblocked %s %s", actor, entry.kind, entry.value)
    return entry


@dataclass(frozen=True)
class BlockOption:
    """One thing the moderator can block for a comment."""

    kind: BlockKind
    value: str
    label: str  # how the button says it
    blocked: bool  # already on the list


def block_options(store: Store, comment: Comment, ip: str | None) -> list[BlockOption]:
    """What can be blocked for ``comment``: its email, email domain, link hosts and IP."""
    on_list = {(entry.kind, entry.value) for entry in store.blocklist.all()}
    options: list[tuple[BlockKind, str, str]] = []
    if comment.email and "@" in comment.email:
        email = comment.email.strip().lower()
        options.append((BlockKind.EMAIL, email, "this email address"))
        options.append((BlockKind.DOMAIN, email.rpartition("@")[2], "every address at"))
    for host in link_hosts(comment):
        options.append((BlockKind.LINK_DOMAIN, host, "links to"))
    if ip:
        options.append((BlockKind.IP, ip, "the IP address"))
    found = []
    for kind, value, label in options:
        try:
            kind, value = normalise(kind, value)
        except BlockError:
            continue  # e.g. an email with an odd domain: nothing sensible to block
        found.append(BlockOption(kind, value, label, (kind, value) in on_list))
    return list({(o.kind, o.value): o for o in found}.values())


@dataclass(frozen=True)
class EarlierComment:
    """A comment from the same sender, and how we know it is the same."""

    comment: Comment
    label: Label | None
    matched: tuple[str, ...]  # "email", "IP", "links to example.com"


def earlier_comments(
    store: Store, comment: Comment, limit: int = HISTORY_LIMIT
) -> list[EarlierComment]:
    """The sender's earlier comments, newest first, each with what matched."""
    assert comment.id is not None
    context = store.privacy.request_context(comment.id)
    ip, ip_hash = context["ip"], context["ip_hash"]
    if ip and not ip_hash:
        ip_hash = store.keys.keyed_hash("ip", ip)  # as retention will have hashed older ones
    found: dict[str, tuple[Comment, list[str]]] = {}

    def note(comments: list[Comment], why: str) -> None:
        for other in comments:
            assert other.id is not None
            found.setdefault(other.id, (other, []))[1].append(why)

    before, me = comment.received_at, comment.id
    if comment.email:
        note(store.authors.by_email(comment.email, before, me, limit), "email")
    if ip or ip_hash:
        note(store.authors.by_ip(ip, ip_hash, before, me, limit), "IP")
    for host in link_hosts(comment):
        candidates = store.authors.mentioning(host, before, me, limit)
        note([c for c in candidates if host in link_hosts(c)], f"links to {host}")
    ordered = sorted(
        found.values(), key=lambda pair: (pair[0].received_at, pair[0].id), reverse=True
    )
    ordered = ordered[:limit]
    labels = store.comments.current_labels([c.id for c, _ in ordered if c.id])
    return [EarlierComment(c, labels.get(c.id or ""), tuple(why)) for c, why in ordered]
