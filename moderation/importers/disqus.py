"""``moderation import-disqus FILE.xml``: the comments of a Disqus export.

A Disqus export lists threads (one per page that had comments) and then posts,
each pointing at its thread and, for a reply, at its parent; a reply can come
before its parent. A thread is matched to an article of this blog by its URL
(the last part of the path, without ``.html``, is a slug) or by the identifier
the old site gave it (a slug, or a path ending in one). Threads that match no
article are listed with their URL, and their posts are not imported: add the
article (or fix its slug) and import again.

States: a deleted post becomes rejected, a spam post spam, a post Disqus had
not approved (``isApproved`` false) held, every other post approved and
published. A deleted post is a moderator's rejection (the export does not say
who deleted it, and its moderators or Disqus itself may have), which a moderator
here may restore; one that others replied to stays as a tombstone saying it was
removed, so its replies keep their place. Emails stay in the database.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from ..articles import load_articles
from ..models import State
from ..settings import Settings
from .markup import html_to_markdown, html_to_text
from .plan import ImportPlan, PlannedComment
from .xmlfile import Element, XmlError, read_xml

logger = logging.getLogger(__name__)

SYSTEM = "Disqus"
ACTOR = "import-disqus"
_SUFFIXES = (".html", ".htm", ".php", ".aspx")


def _prefix(uri: str) -> str:
    return "dsq" if uri.rstrip("/").endswith("disqus-internals") else ""


def _true(text: str) -> bool:
    return text.strip().lower() in ("true", "1", "yes")


def _candidates(link: str, identifier: str) -> list[str]:
    """Slugs a thread may belong to: from its URL, then from its identifier."""
    found = []
    for text in (urlsplit(link).path if link else "", identifier):
        name = PurePosixPath(unquote(text).rstrip("/")).name
        for suffix in _SUFFIXES:
            name = name.removesuffix(suffix)
        if name:
            found.append(name)
    return found


def _created(element: Element) -> datetime | None:
    text = element.text_of("createdAt")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class _Reader:
    def __init__(self, path: Path, settings: Settings) -> None:
        self.path = path
        self.plan = ImportPlan(source=path, system=SYSTEM, actor=ACTOR)
        self.articles = load_articles(settings)

    def read(self) -> ImportPlan:
        root = read_xml(self.path, _prefix)
        if root.tag != "disqus":
            raise XmlError(
                f"{self.path}:{root.where()}: not a Disqus export: expected <disqus>, "
                f"found <{root.tag}>"
            )
        forum = next((c.text_of("forum") for c in root.findall("category")), "")
        threads: dict[str, tuple[Element, str | None]] = {}
        for thread in root.findall("thread"):
            thread_id = thread.get("dsq-id", "")
            slug = next(
                (
                    s
                    for s in _candidates(thread.text_of("link"), thread.text_of("id"))
                    if s in self.articles
                ),
                None,
            )
            threads[thread_id] = (thread, slug)
        unmatched: dict[str, int] = {}
        for post in root.findall("post"):
            thread_ref = post.find("thread")
            thread_id = thread_ref.get("dsq-id", "") if thread_ref is not None else ""
            if thread_id not in threads:
                self.plan.errors.append(
                    f"{self.path}:{post.where()}: Disqus post {post.get('dsq-id', '?')}: "
                    f"its thread {thread_id!r} is not in the export"
                )
                continue
            thread, slug = threads[thread_id]
            if slug is None:
                unmatched[thread_id] = unmatched.get(thread_id, 0) + 1
                continue
            self._post(post, slug, forum)
        for thread_id, count in unmatched.items():
            thread, _ = threads[thread_id]
            link = thread.text_of("link")
            title = thread.text_of("title") or thread.text_of("id") or thread_id
            slugs = " or ".join(map(repr, _candidates(link, thread.text_of("id")))) or "to try"
            posts = f"{count} post{'s were' if count != 1 else ' was'}"
            self.plan.skipped.append(
                f"unmatched thread {title!r} ({link or 'no link'}, {thread.where()}): "
                f"no article has the slug {slugs}; its {posts} not imported"
            )
        return self.plan

    def _post(self, post: Element, slug: str, forum: str) -> None:
        number = post.get("dsq-id", "")
        label = f"{SYSTEM} post {number}"
        created = _created(post)
        if created is None:
            self.plan.errors.append(
                f"{self.path}:{post.where()}: {label}: createdAt "
                f"{post.text_of('createdAt')!r} is not an ISO 8601 date"
            )
            return
        if _true(post.text_of("isSpam")):
            state = State.SPAM
        elif _true(post.text_of("isDeleted")):
            state = State.REJECTED
        elif post.find("isApproved") is not None and not _true(post.text_of("isApproved")):
            state = State.HELD
        else:
            state = State.APPROVED
        body = html_to_markdown(post.text_of("message"), paragraphs=False)
        if not body and state is State.REJECTED:
            body = "(Deleted on Disqus; the export kept no text.)"
        author = post.find("author")
        parent = post.find("parent")
        name = ""
        email = ""
        if author is not None:
            name = html_to_text(author.text_of("name")) or author.text_of("username")
            email = author.text_of("email")
        self.plan.comments.append(
            PlannedComment(
                key=f"disqus:{forum}:{number}",
                label=label,
                article=slug,
                parent_key=f"disqus:{forum}:{parent.get('dsq-id')}" if parent is not None else None,
                author=name,
                email=email,
                author_url="",
                html=body,
                received_at=created,
                state=state,
                where=post.where(),
                ip=post.text_of("ipAddress"),
                note="deleted on Disqus" if state is State.REJECTED else "",
            )
        )


def read_disqus(path: str | Path, settings: Settings) -> ImportPlan:
    """What the Disqus export ``path`` holds, as a plan for :func:`~.plan.apply_plan`."""
    return _Reader(Path(path), settings).read()
