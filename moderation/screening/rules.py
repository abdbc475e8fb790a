"""The "rules" signal: what WordPress and Antispam Bee check, each finding named.

Links (hold at ``max_links`` or more; a link to a reference, such as documentation,
a code host, a university or a government, is no evidence), moderation
keywords (hold), disallowed words, domains, emails and IPs (spam), URL
shorteners, the author's own URL repeated in the body, shouting and repetition,
exact duplicates, floods from one IP, and trust earned by earlier approved
comments. Unlike Antispam Bee, every rule runs and every match is kept.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..models import Comment, Decision, SignalResult
from .base import ScreeningContext, evidence_weight, noisy_or
from .history import History, load_history
from .patterns import REGISTRY, runs
from .text import WORD, find_links, host_matches, host_of, prose, without_links

#: Findings that start with this mark a trusted author, whose earlier approved
#: comments lower the odds (never below a floor another signal set).
TRUSTED = "trusted author"
TRUSTED_WEIGHT = -1.5
#: How strongly rule findings move the combined log-odds.
STRENGTH = 1.5

URL_SHORTENERS = frozenset(
    [
        "bit.ly",
        "tinyurl.com",
        "goo.gl",
        "t.co",
        "ow.ly",
        "is.gd",
        "buff.ly",
        "rebrand.ly",
        "cutt.ly",
        "shorturl.at",
        "tiny.cc",
        "rb.gy",
        "t.ly",
        "bl.ink",
        "lnkd.in",
        "adf.ly",
        "shorte.st",
        "bc.vc",
        "v.gd",
        "s.id",
        "qr.ae",
        "tr.im",
        "soo.gd",
        "clck.ru",
        "u.to",
        "shorturl.com",
        "tiny.one",
        "bitly.com",
        "amzn.to",
    ]
)

#: Hosts a genuine comment links to support a point: documentation, code hosts,
#: Q&A sites, package indexes, encyclopaedias, papers. A link there is no evidence.
REFERENCE_HOSTS = (
    "github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "sr.ht", "stackoverflow.com",
    "stackexchange.com", "serverfault.com", "superuser.com", "askubuntu.com", "wikipedia.org",
    "wikimedia.org", "pypi.org", "python.org", "npmjs.com", "crates.io", "rubygems.org",
    "readthedocs.io", "readthedocs.org", "mozilla.org", "w3.org", "whatwg.org", "ietf.org",
    "rfc-editor.org", "arxiv.org", "doi.org", "archive.org", "kernel.org", "debian.org",
    "ubuntu.com", "archlinux.org", "freedesktop.org", "apache.org", "gnu.org", "microsoft.com",
    "apple.com", "android.com", "docker.com", "kubernetes.io", "nginx.org", "postgresql.org",
    "sqlite.org", "mysql.com", "react.dev", "reactjs.org", "nodejs.org", "go.dev", "rust-lang.org",
    "pandas.pydata.org", "numpy.org", "scipy.org", "palletsprojects.com", "djangoproject.com",
    "libreoffice.org", "openprinting.github.io", "gitea.com", "git-scm.com", "jstor.org",
)  # fmt: skip


_REFERENCE_SET = frozenset(REFERENCE_HOSTS)
#: Top-level domains only universities, governments and treaty organisations get
#: (who.int), and the second-level ones of universities elsewhere (ox.ac.uk, unimelb.edu.au).
_PUBLIC_TLDS = frozenset({"gov", "int", "mil"})
_ACADEMIC_SLDS = frozenset({"ac", "edu", "gov", "gob", "govt"})
#: Where a .edu site keeps its people's and courses' pages. Spam is also kept on
#: hacked .edu sites (in uploads, old blogs, forums), so a .edu link elsewhere, and a
#: signal sees only its own findings, is a link like any other.
_ACADEMIC_PATH = re.compile(
    r"^/(?:~|(?:people|courses?|papers|pubs|publications|docs|research|teaching|faculty"
    r"|lectures|class|classes)(?:/|$))",
    re.IGNORECASE,
)


def is_reference(host: str, link: str = "") -> bool:
    """A documentation host, a university's or a government's, or one of
    :data:`REFERENCE_HOSTS` (or a subdomain of one). A bare .edu host is one only
    for its home page or an academic folder of ``link`` (see :data:`_ACADEMIC_PATH`)."""
    if host.startswith("docs."):
        return True
    labels = host.split(".")[-4:]  # no reference host has more labels than this
    if labels[-1] in _PUBLIC_TLDS:
        return True
    if labels[-1] == "edu":
        path = urlsplit(link if "://" in link else f"http://{link}").path if link else "/"
        return path in ("", "/") or _ACADEMIC_PATH.match(path) is not None
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _ACADEMIC_SLDS:
        return True
    return any(".".join(labels[i:]) in _REFERENCE_SET for i in range(len(labels) - 1))


WEIGHTS = {
    "links_over": 0.5,
    "link": 0.3,
    "mostly_link": 0.5,
    "moderation_key": 0.5,
    "disallowed": 1.0,
    "shortener": 0.6,
    "author_url_in_body": 0.4,
    "shouting": 0.3,
    "repeated_chars": 0.15,
    "repeated_words": 0.3,
    "repeated_lines": 0.3,
    "duplicate": 0.6,
    "flood": 0.5,
}

#: A comment with a link and fewer words than this besides it is mostly a link.
MOSTLY_LINK_WORDS = 5

_NOT_LETTERS = runs("not letters", r"[\W\d_]", 1)
# One character and its repeats: a start that fails has only the run of that one
# character to look at, so the search stays linear in the text.
_REPEATED_CHAR = re.compile(r"([^\s\d])\1{5,}")
REGISTRY["repeated character"] = _REPEATED_CHAR
_TOKENS = runs("tokens", r"[\w]", 2)
#: The same word this many times in a row (whatever is between) is repetition.
REPEATED_WORD_RUN = 4
_IP_KEY = re.compile(r"^[0-9]{1,3}(?:\.[0-9]{1,3}){1,3}\.?$|^[0-9a-f:]*:[0-9a-f:]*$", re.I)
_DOMAIN_KEY = re.compile(r"^(?:[a-z0-9-]+\.)+[a-z]{2,}$", re.IGNORECASE)


@dataclass(frozen=True)
class KeyList:
    """A list of moderation or disallowed keys, sorted by kind and compiled once."""

    words: re.Pattern[str] | None
    domains: tuple[str, ...]
    emails: tuple[str, ...]
    ips: tuple[str, ...]

    def matches(self, comment: Comment, hosts: Sequence[str]) -> list[str]:
        """Readable descriptions of every key that matches the comment."""
        found: list[str] = []
        if self.words is not None:
            haystack = "\n".join(
                part
                for part in (
                    comment.body,
                    comment.author,
                    comment.email,
                    comment.author_url,
                    comment.user_agent,
                )
                if part
            )
            words = {m.group(0).lower() for m in self.words.finditer(haystack)}
            found += [f"word: '{word}'" for word in sorted(words)]
        if self.domains:
            all_hosts = set(hosts)
            if comment.author_url:
                all_hosts.add(host_of(comment.author_url))
            if comment.email:
                all_hosts.add(comment.email.rsplit("@", 1)[-1].lower())
            found += [
                f"domain: {domain}"
                for domain in self.domains
                if any(host_matches(host, domain) for host in all_hosts)
            ]
        if self.emails:
            body = comment.body.lower()
            email = (comment.email or "").lower()
            found += [f"email: {e}" for e in self.emails if e == email or e in body]
        if self.ips and comment.ip:
            found += [f"IP: {ip}" for ip in self.ips if _ip_matches(comment.ip, ip)]
        return found


def _ip_matches(ip: str, key: str) -> bool:
    if key.endswith(".") or (key.count(".") < 3 and ":" not in key):
        return ip.startswith(key if key.endswith(".") else key + ".")
    try:
        return ipaddress.ip_address(ip) == ipaddress.ip_address(key)
    except ValueError:
        return ip == key


@functools.lru_cache(maxsize=32)
def compile_keys(keys: tuple[str, ...]) -> KeyList:
    words, domains, emails, ips = [], [], [], []
    for raw in keys:
        key = raw.strip().lower()
        if not key:
            continue
        if "@" in key:
            emails.append(key)
        elif _IP_KEY.match(key):
            ips.append(key)
        elif _DOMAIN_KEY.match(key):
            domains.append(key)
        else:
            words.append(key)
    pattern = None
    if words:
        # Longest first so "free money" wins over "free"; whole words only, so
        # "ass" does not catch "class".
        alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
        pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
    return KeyList(pattern, tuple(domains), tuple(emails), tuple(ips))


def _is_shouting(body: str) -> bool:
    letters = _NOT_LETTERS.sub("", body)
    # map() over str methods keeps the per-character loop in C.
    return len(letters) >= 15 and sum(map(str.isupper, letters)) >= 0.7 * len(letters)


def _repeated_word(body: str) -> str | None:
    """A word said REPEATED_WORD_RUN times in a row ("buy buy buy buy"), read in one pass."""
    previous, run = "", 0
    for token in _TOKENS.findall(body):
        token = token.lower()
        run = run + 1 if token == previous else 1
        previous = token
        if run >= REPEATED_WORD_RUN:
            return token
    return None


def _repeated_lines(body: str) -> int:
    """Lines of the writer's own words said again (code, fences and rules ``---`` aside)."""
    lines = [line.strip().lower() for line in prose(body).splitlines()]
    lines = [line for line in lines if any(c.isalnum() for c in line)]
    return len(lines) - len(set(lines))


class RulesSignal:
    name = "rules"

    def check_many(
        self, comments: Sequence[Comment], context: ScreeningContext
    ) -> list[SignalResult]:
        options = context.settings.moderation
        history = load_history(context.store, comments, float(options["flood_seconds"]))
        return [
            self._check(comment, history, index, options) for index, comment in enumerate(comments)
        ]

    def _check(
        self, comment: Comment, history: History, index: int, options: dict[str, Any]
    ) -> SignalResult:
        max_links = int(options["max_links"])
        findings: list[str] = []
        weights: list[float] = []
        floors: list[Decision] = []

        def add(text: str, weight: str, floor: Decision | None = None) -> None:
            findings.append(text)
            weights.append(WEIGHTS[weight])
            if floor is not None:
                floors.append(floor)

        links = find_links(comment.body)
        hosts = [host_of(link) for link in links]
        # Not a PDF anywhere: spam is kept in PDFs on hosts of every kind too.
        other_hosts = [
            host
            for host, link in zip(hosts, links, strict=True)
            if host and not is_reference(host, link)
        ]
        if max_links > 0 and len(links) >= max_links:
            add(f"{len(links)} links (limit {max_links})", "links_over", Decision.HOLD)
        elif other_hosts:
            add("1 link" if len(links) == 1 else f"{len(links)} links", "link")
        elif links:
            findings.append(f"links to a reference: {', '.join(sorted(set(hosts)))}")
        for text in compile_keys(tuple(options["disallowed_keys"])).matches(comment, hosts):
            add(f"disallowed {text}", "disallowed", Decision.SPAM)
        for text in compile_keys(tuple(options["moderation_keys"])).matches(comment, hosts):
            add(f"moderation keyword {text}", "moderation_key", Decision.HOLD)
        if links and len(WORD.findall(without_links(comment.body))) < MOSTLY_LINK_WORDS:
            add("mostly a link: hardly any words besides it", "mostly_link")
        shorteners = sorted({h for h in hosts if h in URL_SHORTENERS})
        if shorteners:
            add("URL shortener: " + ", ".join(shorteners), "shortener")
        if comment.author_url:
            own = host_of(comment.author_url)
            if own and any(host_matches(h, own) or host_matches(own, h) for h in other_hosts):
                add(f"author's URL repeated in the body: {own}", "author_url_in_body")
        if _is_shouting(comment.body):
            add("shouting: mostly capital letters", "shouting")
        if match := _REPEATED_CHAR.search(comment.body):
            add(
                f"repetition: '{match.group(1)}' {len(match.group(0))} times in a row",
                "repeated_chars",
            )
        if word := _repeated_word(comment.body):
            add(f"repetition: the word '{word}' again and again", "repeated_words")
        if repeats := _repeated_lines(comment.body):
            add(f"repetition: {repeats} repeated line(s)", "repeated_lines")
        if duplicate := history.duplicate_of(comment):
            add(f"duplicate of comment {duplicate}", "duplicate", Decision.HOLD)
        if flood := history.flood_count(index):
            seconds = float(options["flood_seconds"])
            add(
                f"flood: {flood} other comment(s) from this IP within {seconds:g} s",
                "flood",
                Decision.HOLD,
            )
        score = noisy_or(weights)
        weight = evidence_weight(score, STRENGTH)
        approved = history.approved_count(comment)
        trust_after = int(options["trust_after_approved"])
        trusted = trust_after > 0 and approved >= trust_after
        if trusted:
            findings.append(f"{TRUSTED}: {approved} earlier approved comment(s)")
            weight += TRUSTED_WEIGHT
        floor = max(floors, key=lambda d: d is Decision.SPAM, default=None)
        reason = "rules: " + ("; ".join(findings) if findings else "nothing matched")
        return SignalResult(
            self.name,
            score,
            reason,
            floor,
            tuple(findings),
            weight=weight,
            # A link to a site that is no reference, or a disallowed key, is what
            # a comment promotes; shouting, repetition and floods are only style.
            grounds=bool(other_hosts) or Decision.SPAM in floors,
            vouches=trusted,
        )
