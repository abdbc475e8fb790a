"""Moving a blog in: what an export holds, checked, then stored and written in one go.

A reader of an export (:mod:`.wordpress`, :mod:`.disqus`) turns it into an
:class:`ImportPlan`: Markdown files to write and comments with their state in
the old system. :func:`apply_plan` then:

1. checks every comment like a form post (:func:`~moderation.submission.parse_submission`)
   and links replies to their parents; a comment that fails is reported with its
   line and left out, and so are replies to it;
2. writes each new article to a temporary file beside its final name; a post
   whose slug an unrelated article here already has (another title, or a date
   more than a day away) is not written, and its comments are left out with one
   error naming both, rather than hung below the other article;
3. stores every comment, with a decision-log entry saying what the old system
   had decided, in **one transaction**; if that fails, the temporary files are
   removed and nothing at all has changed;
4. renames the temporary files into place (a rename either happens or not), then
   publishes the approved comments (:func:`moderation.publish.publish`), whose
   files are derived from the database and written atomically one by one;
5. retrains the learned model once, when labelled decisions were added, so the
   blog arrives with its own moderation history.

A comment deleted on the old system (WordPress's trash, a deleted Disqus post) is
rejected, a moderator's decision logged as the import's, which a moderator here may
restore. While that decision stands and others replied to it, publishing writes a
tombstone in its place ("removed", not "at its author's request": its moderators
removed it) and its replies keep theirs, as they did on the old site
(:meth:`~moderation.store.decisions.Decisions.removed_on_old_system`).

The database is committed before the files appear because the comment files are
derived from it: should writing them fail after the commit, running the import
again writes what is missing and stores nothing twice. Re-running changes no file
and adds nothing: an imported comment's id is derived from its id in the old
system, an article file that exists is left as it is, and publishing writes only
files whose text changed.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import logging
import os
import tempfile
from collections.abc import Set
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ..articles import ArticleInfo, load_articles
from ..comment_files import FILE_MODE
from ..errors import ModerationError, UnknownComment, ValidationError
from ..models import Comment, Label, Origin, State
from ..publish import PublishReport, publish
from ..settings import Settings
from ..store import Store
from ..submission import parse_submission, validate_email, validate_url
from ..wording import counted

logger = logging.getLogger(__name__)

#: What the old system's decision teaches the learned model.
LABELS = {State.APPROVED: Label.HAM, State.SPAM: Label.SPAM}
ANONYMOUS = "Anonymous"


class ImportWriteError(ModerationError):
    """Files could not be written after the comments were stored; running again finishes."""


@dataclass(frozen=True)
class PlannedFile:
    """An article or page to write: ``relative`` to the content folder."""

    relative: Path
    text: str
    slug: str
    title: str
    where: str  # "line N, column M" of its item in the export
    page: bool = False  # a page: it takes no comments on this blog
    date: datetime | None = None


@dataclass(frozen=True)
class PlannedComment:
    """A comment as the export has it, before any check."""

    key: str  # unique in the old system, e.g. "wordpress:https://old.blog:17"
    label: str  # how a person would name it: "WordPress comment 17"
    article: str
    parent_key: str | None
    author: str
    email: str
    author_url: str
    html: str  # already Markdown when ``markdown`` is set
    received_at: datetime
    state: State
    where: str
    ip: str = ""
    flags: tuple[str, ...] = ()
    note: str = ""


@dataclass
class ImportPlan:
    source: Path
    system: str  # "WordPress", "Disqus"
    actor: str  # who the decision log names: "import-wordpress"
    files: list[PlannedFile] = field(default_factory=list)
    comments: list[PlannedComment] = field(default_factory=list)
    #: Things left out on purpose (attachments, menu items, unmatched threads), one line each.
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    """What :func:`apply_plan` did."""

    source: Path
    system: str
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)  # existed with other text: left alone
    imported: list[Comment] = field(default_factory=list)
    already: int = 0  # comments imported by an earlier run
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    publish: PublishReport | None = None
    retrained: str | None = None

    def counts(self) -> dict[str, int]:
        counts = {str(state): 0 for state in State if state is not State.RECEIVED}
        for comment in self.imported:
            counts[str(comment.status)] += 1
        return counts

    def lines(self) -> list[str]:
        """Every file written or kept, every warning, skip and error, one line each."""
        lines = [f"wrote {path}" for path in self.written]
        lines += [
            f"kept {path}: it exists with other text (delete it to import it again)"
            for path in self.kept
        ]
        if self.publish is not None:
            lines += self.publish.lines()
        lines += [f"skipped {text}" for text in self.skipped]
        lines += [f"warning: {text}" for text in self.warnings]
        return lines

    def summary(self) -> str:
        states = ", ".join(f"{n} {state}" for state, n in self.counts().items() if n)
        published = len(self.publish.written) if self.publish else 0
        there = len(self.unchanged) + len(self.kept)
        files = (
            f"{counted(len(self.written), 'article or page', 'articles and pages')} written "
            f"({there} already there), "
            if self.written or there
            else ""
        )
        text = (
            f"imported from {self.system} export {self.source}: {files}"
            f"{counted(len(self.imported), 'comment')} stored"
            + (f" ({states})" if states else "")
            + f", {self.already} already imported, "
            f"{counted(published, 'comment file')} published, "
            f"{counted(len(self.errors), 'error')}"
        )
        if self.retrained:
            text += f"; {self.retrained}"
        return text


def imported_id(key: str, received_at: datetime) -> str:
    """``c-YYYY-MM-DD-<12 hex>``, derived from the old system's id alone.

    Twelve hex digits (48 bits), twice the six of a form post's random id, make a
    clash with another comment of the same day negligible; the same export always
    gives the same ids, which is what makes a second run add nothing.
    """
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]
    return f"c-{received_at.astimezone(UTC):%Y-%m-%d}-{digest}"


class _Resolver:
    """Turns planned comments into checked ones, parents before their replies."""

    def __init__(
        self,
        plan: ImportPlan,
        store: Store,
        articles: set[str],
        pages: set[str],
        clashes: Set[str] = frozenset(),
    ) -> None:
        self.plan = plan
        self.store = store
        self.articles = articles
        self.pages = pages
        self.clashes = clashes
        self.left_out: dict[str, int] = {}  # slug in ``clashes`` → its comments left out
        self.skipped: list[str] = []
        self.by_key = {comment.key: comment for comment in plan.comments}
        self.ids: dict[str, str | None] = {}  # key → stored id, None when left out
        self.new: list[tuple[PlannedComment, Comment]] = []
        self.already = 0
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def run(self) -> None:
        for planned in sorted(self.plan.comments, key=lambda c: (c.received_at, c.key)):
            self._resolve(planned, [])

    def _fail(self, planned: PlannedComment, problem: str) -> None:
        self.errors.append(f"{self.plan.source}:{planned.where}: {planned.label}: {problem}")
        self.ids[planned.key] = None

    def _resolve(self, planned: PlannedComment, chain: list[str]) -> str | None:
        if planned.key in self.ids:
            return self.ids[planned.key]
        if planned.key in chain:
            self._fail(planned, "its replies lead back to itself")
            return None
        if planned.article in self.clashes:  # reported once, for its post
            self.left_out[planned.article] = self.left_out.get(planned.article, 0) + 1
            self.ids[planned.key] = None
            return None
        if planned.article in self.pages and planned.article not in self.articles:
            self.skipped.append(
                f"{planned.label} ({planned.where}): it is on the page {planned.article!r}, "
                "and pages take no comments on this blog"
            )
            self.ids[planned.key] = None
            return None
        parent_id = None
        if planned.parent_key:
            parent = self.by_key.get(planned.parent_key)
            if parent is None:
                self._fail(planned, "it replies to a comment the export does not have")
                return None
            parent_id = self._resolve(parent, [*chain, planned.key])
            if parent_id is None:
                self._fail(planned, f"it replies to {parent.label}, which was not imported")
                return None
            if parent.article != planned.article:
                self._fail(planned, f"it replies to {parent.label}, on another article")
                return None
        comment = self._checked(planned, parent_id)
        if comment is None:
            return None
        self.ids[planned.key] = comment.id
        return comment.id

    def _checked(self, planned: PlannedComment, parent_id: str | None) -> Comment | None:
        if planned.article not in self.articles:
            self._fail(planned, f"no article has the slug {planned.article!r}")
            return None
        email, url, ip = planned.email, planned.author_url, planned.ip or None
        try:
            validate_email(email)
        except ValidationError as exc:
            self.warnings.append(f"{planned.label}: {exc.message}; imported without it")
            email = ""
        try:
            validate_url(url, "author_url")
        except ValidationError as exc:
            self.warnings.append(f"{planned.label}: {exc.message}; imported without it")
            url = ""
        if ip is not None:
            try:
                ipaddress.ip_address(ip)
            except ValueError:
                ip = None
        try:
            comment = parse_submission(
                {
                    "article": planned.article,
                    "name": planned.author or ANONYMOUS,
                    "email": email,
                    "url": url,
                    "body": planned.html,
                },
                origin=Origin.IMPORT,
                ip=ip,
                received_at=planned.received_at,
            )
        except ValidationError as exc:
            self._fail(planned, str(exc))
            return None
        comment_id = imported_id(planned.key, planned.received_at)
        comment = comment.with_changes(
            id=comment_id, reply_to=parent_id, intake_flags=planned.flags, status=planned.state
        )
        # Only the old system's own id says whether a comment was imported before (it
        # is what the stored id is derived from): the same words by the same person
        # ("Thanks!" to two readers) are two comments, each in its own place.
        try:
            self.store.comments.get(comment_id)
        except UnknownComment:
            pass
        else:
            self.already += 1
            return comment
        self.new.append((planned, comment))
        return comment


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold()


def _same_post(planned: PlannedFile, there: ArticleInfo) -> bool:
    """Whether the article ``there`` is the old post ``planned`` (written by an earlier
    import, perhaps edited since): the same title, and dates at most a day apart when
    both have one. Another article that merely has the same slug is not."""
    if _folded(there.title) != _folded(planned.title):
        return False
    if there.date is None or planned.date is None:
        return True
    return abs(there.date - planned.date) <= timedelta(days=1)


def _imported_before(store: Store, plan: ImportPlan, slug: str) -> bool:
    """Whether an earlier run stored comments of the post ``slug``: it then took the
    article there for this post, and a second run must not change its mind."""
    for planned in plan.comments:
        if planned.article == slug:
            with contextlib.suppress(UnknownComment):
                store.comments.get(imported_id(planned.key, planned.received_at))
                return True
    return False


def _clash(plan: ImportPlan, planned: PlannedFile, there: ArticleInfo, left_out: int) -> str:
    kind = "page" if planned.page else "post"
    comments = f"its {left_out} comment{' was' if left_out == 1 else 's were'} not imported"
    return (
        f"{plan.source}:{planned.where}: {plan.system} {kind} {planned.title!r}: its slug "
        f"{planned.slug!r} belongs to another article here, {there.source} "
        f"({there.title!r}), so the {kind} was not written and {comments}; give one of "
        f"them another slug (the article's Slug:, or the {kind}'s in {plan.system}) and "
        "import again"
    )


def _stage(path: Path, text: str) -> Path:
    """``text`` in a temporary file beside ``path``, ready to be renamed onto it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".import", dir=path.parent)
    try:
        os.fchmod(handle, FILE_MODE)
        with os.fdopen(handle, "w", encoding="utf-8") as temp:
            temp.write(text)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def apply_plan(store: Store, settings: Settings, plan: ImportPlan) -> ImportReport:
    """Store and write everything ``plan`` holds (see the module's docstring)."""
    report = ImportReport(
        source=plan.source,
        system=plan.system,
        skipped=list(plan.skipped),
        warnings=list(plan.warnings),
        errors=list(plan.errors),
    )
    content = settings.path("PATH")
    existing = load_articles(settings)
    staged: list[tuple[Path, Path]] = []  # (temporary, final)
    # Old posts whose slug an unrelated article here has: nothing of them is imported,
    # least of all their comments, which would hang below that other article.
    clashes: dict[str, tuple[PlannedFile, ArticleInfo]] = {}
    try:
        for planned in plan.files:
            final = content / planned.relative
            other = existing.get(planned.slug)
            if final.is_file() and final.read_text(encoding="utf-8") == planned.text:
                report.unchanged.append(final)
            elif (
                other is not None
                and not _same_post(planned, other)
                and not _imported_before(store, plan, planned.slug)
            ):
                clashes[planned.slug] = (planned, other)
            elif final.is_file():
                report.kept.append(final)
            elif other is not None and other.source is not None:
                report.kept.append(other.source)
            else:
                staged.append((_stage(final, planned.text), final))

        articles = set(existing) | {f.slug for f in plan.files if not f.page}
        pages = {f.slug for f in plan.files if f.page}
        resolver = _Resolver(plan, store, articles, pages, set(clashes))
        with store.transaction():
            resolver.run()
            for planned, comment in resolver.new:
                note = f"imported from {plan.system}: {planned.label}" + (
                    f" ({planned.note})" if planned.note else ""
                )
                stored = store.comments.add(
                    comment,
                    status=planned.state,
                    actor=plan.actor,
                    note=note,
                    label=LABELS.get(planned.state),
                )
                report.imported.append(stored)
    except BaseException:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        raise
    report.already = resolver.already
    report.skipped += resolver.skipped
    report.errors += [
        _clash(plan, planned, there, resolver.left_out.get(slug, 0))
        for slug, (planned, there) in clashes.items()
    ]
    report.errors += resolver.errors
    report.warnings += resolver.warnings

    for index, (temporary, final) in enumerate(staged):
        try:
            os.replace(temporary, final)
        except OSError as exc:
            for left, _ in staged[index:]:
                with contextlib.suppress(OSError):
                    left.unlink()
            raise ImportWriteError(
                f"cannot write {final}: {exc.strerror or exc}; the comments are stored, so "
                "run the import again once this is fixed to write the rest"
            ) from exc
        report.written.append(final)
        logger.info("wrote %s", final)

    report.publish = publish(store, settings)
    if any(LABELS.get(comment.status) for comment in report.imported):
        from ..screening import learned

        report.retrained = learned.retrain(store, settings).message
    return report
