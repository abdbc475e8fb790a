"""``moderation import-wordpress FILE.xml [--content DIR]``: a WordPress export (WXR).

- **Posts and pages** become Markdown files (``ARTICLE_PATHS[0]/<slug>.md`` and
  ``PAGE_PATHS[0]/<slug>.md``) with ``Title``, ``Date`` (with its UTC offset, from
  the local and GMT dates WordPress keeps), ``Author`` (the display name),
  ``Category`` (the first category; Pelican has one, so the others join the
  tags), ``Tags``, ``Slug``, ``Summary`` (the excerpt, or for a post without
  one its first paragraph, cut at a word: a summary is what ``invoke publish``'s
  content check asks every article for), ``Status: draft`` for
  drafts, pending and private posts, and ``Comments: closed`` where WordPress had
  them closed. The HTML becomes Markdown (:mod:`.markup`). Attachments, menu
  items and other item types are skipped and listed; so are trashed posts.
- **Comments** keep their threads (``comment_parent``), dates, authors, author
  URLs and IP addresses; emails stay in the database. WordPress states map to
  ours: ``1`` approved (and published), ``0`` held, ``spam`` spam, ``trash``
  rejected, as its moderators decided there (restorable here; a tombstone saying it
  was removed keeps the place of its replies). Pingbacks and trackbacks
  are held whatever their state, with an intake flag that says what they are
  (shown by ``moderation show``, and a reason screening keeps them held for).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

import re2
from pelican.settings import DEFAULT_CONFIG as PELICAN_DEFAULTS
from pelican.utils import slugify

from comment_format.closing import site_timezone

from ..models import State
from ..settings import Settings
from .markup import html_to_markdown, html_to_text, summary_text
from .plan import ImportPlan, PlannedComment, PlannedFile
from .xmlfile import Element, XmlError, read_xml

logger = logging.getLogger(__name__)

SYSTEM = "WordPress"
ACTOR = "import-wordpress"
WP_DATE = "%Y-%m-%d %H:%M:%S"
STATES = {
    "1": State.APPROVED,
    "0": State.HELD,
    "spam": State.SPAM,
    "trash": State.REJECTED,
    "post-trashed": State.REJECTED,
}
PUBLISHED = {"publish", "future"}
DRAFTS = {"draft", "pending", "private", "auto-draft"}
LINKBACKS = {"pingback", "trackback"}
_HTML_COMMENT = re2.compile(r"(?s)<!--.*?-->")
_SPACE = re2.compile(r"\s+")


def _prefix(uri: str) -> str:
    """Short names for WXR's namespaces, whatever version (1.0, 1.1, 1.2) the file is."""
    if uri.startswith("http://wordpress.org/export/"):
        return "excerpt" if uri.rstrip("/").endswith("excerpt") else "wp"
    return {
        "http://purl.org/rss/1.0/modules/content/": "content",
        "http://purl.org/dc/elements/1.1/": "dc",
        "http://wellformedweb.org/CommentAPI/": "wfw",
    }.get(uri, "ns")


def _one_line(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def _wp_date(text: str) -> datetime | None:
    """A WordPress date (``0000-00-00 00:00:00`` for none), naive."""
    try:
        return datetime.strptime(text.strip(), WP_DATE)
    except ValueError:
        return None


class _Reader:
    def __init__(self, path: Path, settings: Settings) -> None:
        self.path = path
        self.settings = settings
        self.zone = site_timezone(settings.get("TIMEZONE"))
        self.plan = ImportPlan(source=path, system=SYSTEM, actor=ACTOR)
        self.slugs: set[str] = set()
        self.skipped_types: dict[str, int] = {}

    def read(self) -> ImportPlan:
        root = read_xml(self.path, _prefix)
        channel = root.find("channel")
        if root.tag != "rss" or channel is None or channel.find("wp-wxr_version") is None:
            raise XmlError(
                f"{self.path}:{root.where()}: not a WordPress export (WXR): expected <rss> "
                "with a <channel> holding <wp:wxr_version>"
            )
        self.site = channel.text_of("wp-base_site_url") or channel.text_of("link")
        self.exported_at = self._exported_at(channel)
        self.authors = {
            author.text_of("wp-author_login"): author.text_of("wp-author_display_name")
            for author in channel.findall("wp-author")
        }
        for item in channel.findall("item"):
            self._item(item)
        for kind, count in sorted(self.skipped_types.items()):
            self.plan.skipped.append(f"{count} {kind} item{'s' if count != 1 else ''}")
        return self.plan

    def _exported_at(self, channel: Element) -> datetime:
        try:
            return parsedate_to_datetime(channel.text_of("pubDate"))
        except (TypeError, ValueError):
            return datetime.fromtimestamp(self.path.stat().st_mtime, UTC)

    # -- posts and pages --------------------------------------------------------------

    def _item(self, item: Element) -> None:
        kind = item.text_of("wp-post_type", "post")
        status = item.text_of("wp-status", "publish")
        if kind not in ("post", "page"):
            self.skipped_types[kind] = self.skipped_types.get(kind, 0) + 1
            return
        title = html_to_text(item.text_of("title")) or f"Untitled {item.text_of('wp-post_id')}"
        comments = item.findall("wp-comment")
        if status not in PUBLISHED | DRAFTS:
            self.plan.skipped.append(
                f"{kind} {title!r} ({item.where()}): its status is {status!r}, with "
                f"{len(comments)} comments"
            )
            return
        slug = self._slug(item, title)
        date = self._post_date(item)
        metadata = [
            ("Title", title),
            ("Date", date.isoformat(sep=" ", timespec="minutes")),
            ("Author", self.authors.get(item.text_of("dc-creator")) or item.text_of("dc-creator")),
        ]
        if kind == "post":
            categories = [
                c.text.strip()
                for c in item.findall("category")
                if c.get("domain") == "category" and c.text and c.text.strip()
            ]
            tags = [
                c.text.strip()
                for c in item.findall("category")
                if c.get("domain") == "post_tag" and c.text and c.text.strip()
            ]
            metadata += [
                ("Category", categories[0] if categories else ""),
                ("Tags", ", ".join(dict.fromkeys(categories[1:] + tags))),
            ]
        html = _HTML_COMMENT.sub("", item.text_of("content-encoded"))
        metadata += [
            ("Slug", slug),
            ("Summary", summary_text(item.text_of("excerpt-encoded"), html)),
        ]
        if status in DRAFTS:
            metadata.append(("Status", "draft"))
        if item.text_of("wp-comment_status") == "closed":
            metadata.append(("Comments", "closed"))
        body = html_to_markdown(html)
        text = "\n".join(f"{key}: {_one_line(value)}" for key, value in metadata if value.strip())
        folder_key = "ARTICLE_PATHS" if kind == "post" else "PAGE_PATHS"
        folders = self.settings.get(folder_key) or [""]
        relative = Path(folders[0] or ".") / f"{slug}.md"
        self.plan.files.append(
            PlannedFile(
                relative=relative,
                text=text + "\n\n" + (body or title) + "\n",
                slug=slug,
                title=title,
                where=item.where(),
                page=kind == "page",
                date=date,
            )
        )
        for comment in comments:
            self._comment(comment, slug, title)

    def _slug(self, item: Element, title: str) -> str:
        name = PurePosixPath(unquote(item.text_of("wp-post_name"))).name
        substitutions = self.settings.get(
            "SLUG_REGEX_SUBSTITUTIONS", PELICAN_DEFAULTS["SLUG_REGEX_SUBSTITUTIONS"]
        )
        slug = slugify(name or title, substitutions) or f"post-{item.text_of('wp-post_id')}"
        if slug in self.slugs:
            slug = f"{slug}-{item.text_of('wp-post_id')}"
        self.slugs.add(slug)
        return slug

    def _post_date(self, item: Element) -> datetime:
        local = _wp_date(item.text_of("wp-post_date"))
        gmt = _wp_date(item.text_of("wp-post_date_gmt"))
        if local is not None and gmt is not None:
            # WordPress keeps both: their difference is the offset the post was written in.
            minutes = round((local - gmt).total_seconds() / 60)
            return local.replace(tzinfo=timezone(timedelta(minutes=minutes)))
        if local is not None:  # a draft: no GMT date yet, so the site's time zone
            return local.replace(tzinfo=self.zone)
        return self.exported_at.astimezone(self.zone)

    # -- comments -----------------------------------------------------------------------

    def _comment_date(self, comment: Element) -> datetime:
        gmt = _wp_date(comment.text_of("wp-comment_date_gmt"))
        if gmt is not None:
            return gmt.replace(tzinfo=UTC)
        local = _wp_date(comment.text_of("wp-comment_date"))
        if local is not None:
            return local.replace(tzinfo=self.zone)
        return self.exported_at

    def _comment(self, comment: Element, slug: str, title: str) -> None:
        number = comment.text_of("wp-comment_id")
        label = f"{SYSTEM} comment {number}"
        approved = comment.text_of("wp-comment_approved", "0")
        kind = comment.text_of("wp-comment_type").lower()
        state = STATES.get(approved)
        note = ""
        flags: tuple[str, ...] = ()
        if state is None:
            self.plan.warnings.append(
                f"{label} ({comment.where()}): unknown state {approved!r}; held for review"
            )
            state = State.HELD
        if state is State.REJECTED:
            note = f"it was {approved!r} in {SYSTEM}: rejected by its moderators there"
        if kind in LINKBACKS:
            flags = (f"{kind}: imported from {SYSTEM}, where it was {state}",)
            note = f"a {kind}, held for review; it was {state} in {SYSTEM}"
            state = State.HELD
        parent = comment.text_of("wp-comment_parent", "0")
        self.plan.comments.append(
            PlannedComment(
                key=f"wordpress:{self.site}:{number}",
                label=label,
                article=slug,
                parent_key=None if parent in ("", "0") else f"wordpress:{self.site}:{parent}",
                author=_one_line(html_to_text(comment.text_of("wp-comment_author"))),
                email=comment.text_of("wp-comment_author_email"),
                author_url=comment.text_of("wp-comment_author_url"),
                html=html_to_markdown(_HTML_COMMENT.sub("", comment.text_of("wp-comment_content"))),
                received_at=self._comment_date(comment),
                state=state,
                where=comment.where(),
                ip=comment.text_of("wp-comment_author_IP"),
                flags=flags,
                note=note,
            )
        )


def read_wordpress(path: str | Path, settings: Settings) -> ImportPlan:
    """What the WordPress export ``path`` holds, as a plan for :func:`~.plan.apply_plan`."""
    return _Reader(Path(path), settings).read()
