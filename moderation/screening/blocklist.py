"""The "blocklist" signal: senders a moderator blocked from the review page (issue 10).

Entries live in the database (:mod:`moderation.store.blocklist`) and are read
once per batch, so a block applies to the very next comment screened. A match
is certain evidence and a SPAM floor: the moderator has already judged this
sender. Kinds: the author's email address; the domain of that address (and its
subdomains); a host the comment links to, in its text or its author URL (and
its subdomains); the sender's IP address, or a network containing it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from ..models import Comment, Decision, SignalResult
from ..store import BlockEntry, BlockKind
from .base import ScreeningContext, evidence_weight
from .text import find_links, host_matches, host_of

#: A blocked sender's score, and how strongly it counts (it also floors at SPAM).
BLOCKED_SCORE = 0.99
STRENGTH = 2.0


def link_hosts(comment: Comment) -> list[str]:
    """Every host the comment links to: in its text, and its author URL."""
    hosts = [host_of(link) for link in find_links(comment.body)]
    if comment.author_url:
        hosts.append(host_of(comment.author_url))
    return [host for host in dict.fromkeys(hosts) if host]


def _in_network(ip: str, value: str) -> bool:
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False


def matching_entries(entries: Sequence[BlockEntry], comment: Comment) -> list[BlockEntry]:
    """The entries that ``comment`` matches."""
    email = (comment.email or "").strip().lower()
    email_domain = email.rpartition("@")[2] if "@" in email else ""
    hosts: list[str] | None = None
    found = []
    for entry in entries:
        if entry.kind is BlockKind.EMAIL:
            hit = bool(email) and email == entry.value
        elif entry.kind is BlockKind.DOMAIN:
            hit = bool(email_domain) and host_matches(email_domain, entry.value)
        elif entry.kind is BlockKind.LINK_DOMAIN:
            hosts = link_hosts(comment) if hosts is None else hosts
            hit = any(host_matches(host, entry.value) for host in hosts)
        else:
            hit = bool(comment.ip) and _in_network(comment.ip or "", entry.value)
        if hit:
            found.append(entry)
    return found


KIND_NAMES = {
    BlockKind.EMAIL: "email",
    BlockKind.DOMAIN: "email domain",
    BlockKind.LINK_DOMAIN: "link domain",
    BlockKind.IP: "IP",
}


class BlocklistSignal:
    name = "blocklist"

    def check_many(
        self, comments: Sequence[Comment], context: ScreeningContext
    ) -> list[SignalResult]:
        if context.store is None:
            reason = "blocklist: not checked (no database)"
            return [SignalResult(self.name, None, reason)] * len(comments)
        entries = context.store.blocklist.all()
        results = []
        for comment in comments:
            hits = matching_entries(entries, comment)
            if not hits:
                results.append(SignalResult(self.name, 0.0, "blocklist: sender not blocked"))
                continue
            findings = tuple(
                f"blocked {KIND_NAMES[entry.kind]}: {entry.value} (by {entry.added_by})"
                for entry in hits
            )
            results.append(
                SignalResult(
                    self.name,
                    BLOCKED_SCORE,
                    f"blocklist: {findings[0]}",
                    floor=Decision.SPAM,
                    findings=findings,
                    weight=evidence_weight(BLOCKED_SCORE, STRENGTH),
                )
            )
        return results
