"""``publish_site``: from approved comments to the live site in one safe run.

The steps, in order, under one lock (``var/publish.lock``):

1. **Preflight** (:mod:`.preflight`): settings, target, tools and content are
   checked before anything else; every problem is reported at once.
2. **Screen** what is received or due for a recheck.
3. **Publish**: approved comments become files in the content folder.
4. **Build** with the publish settings into a fresh folder under
   ``var/publish/``, never into the ``output/`` a development server shows,
   reusing the caches of the last publish (:mod:`.build`).
5. **Deploy** all or nothing (:mod:`.targets`), then remove the build.

A dry run does steps 2 to 4 on copies: the database is copied and screened
there, comments are published into a copy of the comment folder, and the build
is compared with the target. It lists what would change and changes nothing,
neither the live site, the database, the content folder nor the caches.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import ModerationError
from ..models import State
from ..publish import PublishReport, publish_approved
from ..settings import Settings, load_settings
from ..store import Store, default_db_path
from ..wording import counted
from .build import BuildResult, build_site, keep_build
from .errors import DeployError, PreflightError
from .lock import publish_lock
from .preflight import CheckMemory, preflight
from .targets import Target, parse_target
from .trees import Changes

logger = logging.getLogger(__name__)

#: ``progress(step, done, total)``: ``step`` is one of :data:`STEPS`; ``total`` is 0
#: while it is not known. Called from the thread running :func:`publish_site`.
Progress = Callable[[str, int, int], None]
STEPS = ("checking", "screening", "publishing", "building", "search index", "deploying")
PUBLISH_DIR = Path("var") / "publish"


@dataclass
class DeployReport:
    """What a publish did (or, for a dry run, would do)."""

    target: str
    dry_run: bool = False
    screened: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    #: Comments waiting for a moderator once screening was done.
    held: int = 0
    publish: PublishReport | None = None
    build: BuildResult | None = None
    changes: Changes = field(default_factory=Changes)
    seconds: float = 0.0
    step_seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def published(self) -> int:
        """Comment files written by this run."""
        return len(self.publish.written) if self.publish else 0

    @property
    def pages_written(self) -> int:
        return self.build.pages_written if self.build else 0

    def summary(self) -> str:
        """A few lines for a person: screened, held, published, pages written, seconds.

        A dry run says what would be written and would change: it changed nothing."""
        written, removed_verb, verb = (
            ("would be written", "would be removed", "would change")
            if self.dry_run
            else ("written", "removed", "changed")
        )
        heading = (
            f"Dry run for {self.target}: nothing was changed ({self.seconds:.1f} s)."
            if self.dry_run
            else f"Published to {self.target} in {self.seconds:.1f} s."
        )
        outcomes = ", ".join(f"{n} {state}" for state, n in self.outcomes.items() if n)
        removed = len(self.publish.removed) if self.publish else 0
        search = ""
        if self.build is not None and self.build.pages_kept:
            search = f" ({self.build.pages_kept:,} of them unchanged since the last publish)"
        if self.build is not None and self.build.search_reused:
            search += " (search index unchanged, reused)"
        rows = [
            ("screened", f"{self.screened}" + (f" ({outcomes})" if outcomes else "")),
            ("held", f"{self.held} waiting for a moderator"),
            (
                "published",
                f"{counted(self.published, 'comment file')} {written}, {removed} {removed_verb}",
            ),
            ("pages", f"{self.pages_written:,} {written}{search}"),
            ("target", f"{counted(self.changes.count, 'file')} {verb}: {self.changes.summary()}"),
        ]
        return "\n".join([heading, *(f"  {label:<10} {text}" for label, text in rows)])

    def lines(self) -> list[str]:
        """The details: notes, comment files, and every file changed on the target."""
        lines = [f"note: {note}" for note in self.notes]
        if self.publish is not None:
            lines += [line for line in self.publish.lines() if not line.startswith("skipped")]
            lines += [line for line in self.publish.lines() if line.startswith("skipped")]
        lines += self.changes.lines()
        return lines


class _Steps:
    """Times each step and passes progress on."""

    def __init__(self, report: DeployReport, progress: Progress | None) -> None:
        self.report = report
        self.progress = progress

    @contextmanager
    def step(self, name: str) -> Iterator[Callable[[int, int], None]]:
        started = time.monotonic()
        self.tell(name, 0, 0)
        try:
            yield lambda done, total=0: self.tell(name, done, total or 0)
        finally:
            self.report.step_seconds[name] = time.monotonic() - started

    def tell(self, name: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(name, done, total)


def _pelican_settings(settings_file: Path) -> dict[str, Any]:
    from pelican.settings import read_settings

    if not settings_file.is_file():
        raise PreflightError([f"settings file {settings_file} not found"])
    try:
        return read_settings(str(settings_file))
    except Exception as exc:  # the file is user code: any error is the user's to fix
        raise PreflightError([f"cannot read {settings_file}: {exc}"]) from exc


def _database(root: Path, db_path: str | Path | None) -> Path:
    path = Path(db_path) if db_path is not None else default_db_path()
    return path if path.is_absolute() else root / path


def _link_or_copy(source: str, destination: str) -> None:
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


@contextmanager
def _sandbox(content: Path, db: Path | None, scratch: Path) -> Iterator[tuple[Path, Path | None]]:
    """A content folder and database to run a dry run on: copies where it writes.

    The content folder is copied as hard links (a file copied only where a link
    cannot be made, across file systems): publishing replaces comment files (write
    to a temporary file, rename), so the originals are never touched, and the build
    reads the same files, stamps and sizes as a real publish. Symlinks to the
    original entries would not do: a plugin that resolves a path (the image sizes)
    lands outside the copied folder and leaves the file out, and the build differs.
    Symlinks inside the folder are followed and their files linked the same way.
    """
    overlay = scratch / "content"
    here = scratch.resolve()

    def not_this_run(folder: str, names: list[str]) -> set[str]:
        # A content folder that holds var/publish (PATH = the project) holds this copy.
        return {name for name in names if here.is_relative_to(Path(folder, name).resolve())}

    # Links are followed, never copied as links: a symlinked comments folder copied as
    # a symlink would have the dry run publish into the real one.
    shutil.copytree(
        content,
        overlay,
        symlinks=False,
        ignore_dangling_symlinks=True,
        ignore=not_this_run,
        copy_function=_link_or_copy,
    )
    db_copy = None
    if db is not None:
        db_copy = scratch / "moderation.db"
        with Store(db) as store:
            store.backup_to(db_copy)
    yield overlay, db_copy


def _screen(store: Store, settings: Settings, report: DeployReport, tick: Callable) -> None:
    report.held = store.comments.count(status=State.HELD)
    if not store.screenings.due():
        return  # screening loads its model (and scikit-learn): not for nothing
    from ..screening import Screener, screen_due

    with Screener.from_settings(settings, store) as screener:
        screened = screen_due(store, screener, progress=tick)
    report.screened = screened.screened
    report.outcomes = {state: n for state, n in screened.outcomes.items() if n}
    report.held = store.comments.count(status=State.HELD)


def publish_site(
    root: str | Path,
    *,
    settings_file: str | Path = "publishconf.py",
    target: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    db_path: str | Path | None = None,
) -> DeployReport:
    """Screen, publish comments, build and deploy the site of the project at ``root``.

    ``target`` overrides ``DEPLOY_TARGET``; ``db_path`` the moderation database
    (default ``$MODERATION_DB`` or ``var/moderation.db``, relative to ``root``).
    Raises :class:`PreflightError` (one line per problem), :class:`PublishLocked`
    when another publish is running, and :class:`DeployError` when a step fails;
    in every case the live target is left as it was.
    """
    root = Path(root).resolve()
    settings_path = Path(settings_file)
    settings_path = settings_path if settings_path.is_absolute() else root / settings_path
    started = time.monotonic()
    with publish_lock(root / "var" / "publish.lock"):
        pelican_settings = _pelican_settings(settings_path)
        target_text = target or pelican_settings.get("DEPLOY_TARGET") or None
        content = Path(pelican_settings["PATH"])
        work = root / PUBLISH_DIR
        protected = [content, work, Path(pelican_settings["OUTPUT_PATH"])]
        deploy_to: Target | None = None
        if target_text:
            deploy_to = parse_target(target_text, project_root=root, protected=protected)
        report = DeployReport(target=deploy_to.description if deploy_to else "", dry_run=dry_run)
        steps = _Steps(report, progress)

        with steps.step("checking"):
            memory = (
                None if dry_run else CheckMemory(work / "checked", pelican_settings, settings_path)
            )
            problems = preflight(pelican_settings, settings_path, target_text, deploy_to, memory)
            if deploy_to is not None and _overlaps_project(deploy_to, root):
                problems.append(
                    f"deploy target {deploy_to.description} would replace the project "
                    f"folder {root} itself; choose a folder outside it"
                )
            try:
                settings = load_settings(settings_path)
            except ModerationError as exc:
                problems.append(str(exc))
            db = _database(root, db_path)
            if db.exists():
                try:
                    Store(db).close()
                except ModerationError as exc:
                    problems.append(str(exc))
            if problems:
                raise PreflightError(problems)
        assert deploy_to is not None

        work.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="run-", dir=work) as scratch_name:
            scratch = Path(scratch_name)
            _run(
                root,
                settings_path,
                settings,
                pelican_settings,
                db,
                deploy_to,
                report,
                steps,
                scratch,
                dry_run,
            )
        if memory is not None:
            memory.remember()
        report.seconds = time.monotonic() - started
        logger.info("%s", report.summary())
        return report


def _overlaps_project(target: Target, root: Path) -> bool:
    path = getattr(target, "path", None)
    if path is None:
        return False
    path = Path(path).resolve()
    return path == root or root.is_relative_to(path)


def _run(
    root: Path,
    settings_path: Path,
    settings: Settings,
    pelican_settings: dict[str, Any],
    db: Path,
    target: Target,
    report: DeployReport,
    steps: _Steps,
    scratch: Path,
    dry_run: bool,
) -> None:
    content = Path(pelican_settings["PATH"])
    overrides: dict[str, Any] = {}
    with _maybe_sandbox(dry_run, content, db, scratch) as (content_dir, db_used):
        if content_dir != content:
            overrides["PATH"] = str(content_dir)
        if db_used is None:
            report.notes.append(
                f"no moderation database at {db}: nothing to screen, the comment files "
                "already in the content folder are published as they are"
            )
        else:
            with Store(db_used) as store:
                with steps.step("screening") as tick:
                    _screen(store, settings, report, tick)
                with steps.step("publishing"):
                    published = publish_approved(store, settings, content_dir)
                # A dry run publishes into a copy; name the files as they would be.
                report.publish = _relocated(published, content_dir, content)

        output = scratch / "site"
        cache = root / PUBLISH_DIR / "cache"
        with steps.step("building") as tick:
            report.build = build_site(
                root,
                settings_path,
                output,
                cache,
                settings=pelican_settings,
                overrides=overrides,
                keep_cache=not dry_run,
                progress=tick,
                on_step=lambda name: steps.tell(name, 0, 0),
            )
    with steps.step("deploying") as tick:
        if dry_run:
            report.changes = target.plan(output)
            return
        try:
            report.changes = target.deploy(output, tick)
        except OSError as exc:
            raise DeployError(
                f"deploying to {target.description} failed: {exc}; the live site was left as it was"
            ) from exc
        finally:
            # Deployed or not, it is a whole build of this content: the next one starts there.
            keep_build(report.build, cache)


def _relocated(report: PublishReport, old: Path, new: Path) -> PublishReport:
    if old == new:
        return report

    def moved(paths: list[Path]) -> list[Path]:
        return [new / path.relative_to(old) if path.is_relative_to(old) else path for path in paths]

    return replace(
        report,
        comments_dir=moved([report.comments_dir])[0],
        written=moved(report.written),
        unchanged=moved(report.unchanged),
        removed=moved(report.removed),
    )


@contextmanager
def _maybe_sandbox(
    dry_run: bool, content: Path, db: Path, scratch: Path
) -> Iterator[tuple[Path, Path | None]]:
    existing_db = db if db.exists() else None
    if not dry_run:
        yield content, existing_db
        return
    with _sandbox(content, existing_db, scratch) as sandboxed:
        yield sandboxed
