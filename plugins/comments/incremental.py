"""Render only the pages that new comments change, when a build starts from the last one.

Pelican renders every page on every build. After a publish that only added
comments, nearly all of them come out byte for byte as before, and rendering them
is most of what a warm build costs (BENCHMARKS.md, "Publishing after new comments").

With ``COMMENTS_BUILD_STATE`` set to a file, the plugin remembers there what the
pages in ``OUTPUT_PATH`` were made from:

- ``inputs``: a digest of everything that is not a comment file: the content
  folder, the theme and its overrides, the plugins, the installed packages, the
  settings, and what the site is made of once read (every article and page, its
  status and where it goes: a scheduled article goes live with no file changed);
- ``articles``: for each article URL, a digest of its comment thread and whether
  comments on it are open (which changes with the date alone);
- ``recent``: a digest of the site-wide "recent comments".

A build into the same folder compares, once the content is read and before
anything is written. When ``inputs`` differ, the folder is emptied first (unless
it holds the content folder, which Pelican never empties either) and every page
is rendered, as a clean build would. When only
comments differ, a page is rendered again only if it does not exist yet, if it
shows an article whose comments changed (the article itself, or a listing page:
an index, category, tag or author page, or the archives), or if its template uses
``recent_comments`` (read from the template source, includes and parents followed)
and those changed. Every other page is left on disk as it is; Pelican's
``content_written`` signal still fires for it, with :data:`KEPT` set in its
context, so plugins that collect pages (the sitemap) see the whole site.

The state file is removed when a build starts and written when it finishes, so a
build that fails leaves none behind, and the next one renders everything.

What a page depends on is read from what Pelican writes it for (``article``, the
listed ``articles`` or ``dates``, the slice of them on a paginated page), not from
its template. A theme whose pages show the comments of other articles (comment
counts of every article on a ``TEMPLATE_PAGES`` page, through the site-wide
``articles``) would keep such pages stale: it should set ``COMMENTS_INCREMENTAL =
False``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.metadata
import json
import logging
import os
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jinja2 import Environment, meta
from pelican.utils import clean_output_dir, sanitised_join
from pelican.writers import Writer

import comment_format
from comment_format.settings import stable_repr

logger = logging.getLogger(__name__)

#: Set to True in the context that ``content_written`` receives for a page kept as it was.
KEPT = "page_kept"
#: Where the generator leaves the build's :class:`Plan` for the writer: the settings
#: dict is the one object both are given (a module global would outlive the build).
PLAN_KEY = "_COMMENTS_RENDER_PLAN"
#: The template variable of the site-wide recent comments.
RECENT = "recent_comments"
#: Settings that name this build's own folders, not what its pages are made of.
_OWN_PATHS = ("OUTPUT_PATH", "COMMENTS_BUILD_STATE", PLAN_KEY)


def digest(value: Any) -> str:
    """A short stable digest of plain data (``repr`` is stable for it across runs)."""
    return hashlib.blake2b(repr(value).encode(), digest_size=16).hexdigest()


def _stamps(top: str, skip: str | None = None) -> list[tuple[str, int, int]]:
    found = []
    for folder, dirs, names in os.walk(top):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__" and os.path.join(folder, d) != skip)
        for name in sorted(names):
            path = os.path.join(folder, name)
            try:
                stat = os.stat(path)
            except OSError:  # vanished while walking: it counts as a change
                continue
            found.append((os.path.relpath(path, top), stat.st_mtime_ns, stat.st_size))
    return found


def inputs_digest(settings: Mapping[str, Any]) -> str:
    """What every page depends on besides comments: content, theme, plugins, settings."""
    content = settings["PATH"]
    comments = os.path.normpath(os.path.join(content, settings["COMMENTS_PATH"]))
    parts: list[Any] = [stable_repr({k: v for k, v in settings.items() if k not in _OWN_PATHS})]
    parts.append(_stamps(content, skip=comments))
    folders = [
        settings.get("THEME", ""),
        *(settings.get("THEME_TEMPLATES_OVERRIDES") or []),
        *(settings.get("PLUGIN_PATHS") or []),
        # comment_format renders comments and formats their dates for the templates.
        os.path.dirname(comment_format.__file__),
    ]
    for folder in folders:
        if folder and os.path.isdir(folder):
            parts.append(_stamps(folder))
    # Pelican, Jinja, Babel, Pelican's plugins: any installed package may shape a page.
    parts.append(_installed())
    return digest(parts)


@functools.cache
def _installed() -> list[tuple[str, str]]:
    return sorted(
        (dist.metadata["Name"] or "", dist.version) for dist in importlib.metadata.distributions()
    )


@dataclass
class BuildState:
    """What the pages of one build were made from (see the module docstring)."""

    inputs: str
    articles: dict[str, str] = field(default_factory=dict)
    recent: str = ""

    @classmethod
    def take(cls, path: str) -> BuildState | None:
        """Read and remove the state at ``path``; None when there is none (or it is unreadable)."""
        try:
            with open(path, encoding="utf-8") as file:
                data = json.load(file)
            return cls(str(data["inputs"]), dict(data["articles"]), str(data["recent"]))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            logger.warning("comments: ignoring the build state %s: %s", path, exc)
            return None
        finally:
            with contextlib.suppress(OSError):
                os.remove(path)

    def save(self, path: str) -> None:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        partial = f"{path}.partial"
        data = {"inputs": self.inputs, "articles": self.articles, "recent": self.recent}
        with open(partial, "w", encoding="utf-8") as file:
            json.dump(data, file)
        os.replace(partial, path)


@dataclass
class Plan:
    """This build's state, and which pages of the last one it may keep."""

    state: BuildState
    #: Article URLs whose comments changed; None when every page is rendered.
    changed: set[str] | None = None
    recent_changed: bool = True
    #: False: write no state, so the next build renders everything too.
    save: bool = True
    rendered: int = 0
    kept: int = 0

    def keeps(self, shown: Iterable[Any], uses_recent: bool) -> bool:
        """May a page showing ``shown`` (articles, pages) be kept as it is?"""
        if self.changed is None or (uses_recent and self.recent_changed):
            return False
        return not any(getattr(item, "url", None) in self.changed for item in shown)


#: The context lists of everything Pelican writes a page for.
SITE_LISTS = (
    "articles",
    "translations",
    "drafts",
    "drafts_translations",
    "hidden_articles",
    "hidden_translations",
    "pages",
    "hidden_pages",
    "draft_pages",
)


def site_digest(context: Mapping[str, Any]) -> str:
    """What the site is made of: every article and page, where it goes, and its status.

    File stamps do not see a scheduled article go live (a draft until a build after its
    date): this does.
    """
    described = []
    for name in SITE_LISTS:
        for item in context.get(name) or ():
            date = getattr(item, "date", None)
            described.append(
                (
                    name,
                    getattr(item, "source_path", None),
                    getattr(item, "status", None),
                    getattr(item, "save_as", None),
                    getattr(item, "url", None),
                    getattr(item, "lang", None),
                    date.isoformat() if date else None,
                )
            )
    return digest(described)


def _may_empty(output_path: str, content_path: str) -> bool:
    """Pelican's own rule: never empty a folder that holds the content."""
    output, content = os.path.realpath(output_path), os.path.realpath(content_path)
    return os.path.commonpath([output]) != os.path.commonpath([output, content])


class Incremental:
    """The plugin's side of one build: made with the generator, planned after threading."""

    def __init__(self, settings: dict[str, Any], output_path: str) -> None:
        self.settings = settings
        self.output_path = output_path
        self.path = settings["COMMENTS_BUILD_STATE"]
        self.previous = BuildState.take(self.path)
        self.files = inputs_digest(settings)

    def plan(self, context: Mapping[str, Any], articles: dict[str, str], recent: str) -> Plan:
        """Compare this build with the last one; publish the plan for the writer.

        Called once the articles and pages are read and before anything is written.
        """
        inputs = digest((self.files, site_digest(context)))
        plan = Plan(BuildState(inputs, articles, recent))
        if not self.settings["COMMENTS_INCREMENTAL"]:
            plan.save = False
        if plan.save and self.previous is not None and self.previous.inputs == inputs:
            before = self.previous.articles
            plan.changed = {url for url, value in articles.items() if before.get(url) != value}
            plan.recent_changed = recent != self.previous.recent
            logger.info(
                "comments: %d article(s) with changed comments%s",
                len(plan.changed),
                ", and the recent comments" if plan.recent_changed else "",
            )
        elif os.path.isdir(self.output_path) and os.listdir(self.output_path):
            # Pages of other content (or of a build this one cannot compare with) must
            # not survive into this one.
            if _may_empty(self.output_path, self.settings["PATH"]):
                logger.info("comments: the site changed since the last build: rendering it all")
                clean_output_dir(self.output_path, self.settings.get("OUTPUT_RETENTION") or [])
            else:
                logger.warning(
                    "comments: OUTPUT_PATH %s holds the content folder: not emptying it, and "
                    "not remembering this build (COMMENTS_BUILD_STATE)",
                    self.output_path,
                )
                plan.save = False
        self.settings[PLAN_KEY] = plan
        return plan


def finish(settings: dict[str, Any]) -> None:
    """Write the state once every page is written (Pelican's ``finalized``)."""
    plan = settings.pop(PLAN_KEY, None)
    if plan is None:
        return
    if plan.save:
        plan.state.save(settings["COMMENTS_BUILD_STATE"])
    if plan.changed is not None:
        logger.info("comments: %d page(s) rendered, %d kept as they were", plan.rendered, plan.kept)


class _TemplateUses:
    """Whether a template (its parents and includes too) reads a variable."""

    def __init__(self) -> None:
        self.known: weakref.WeakKeyDictionary[Environment, dict[tuple[str, str], bool]] = (
            weakref.WeakKeyDictionary()
        )

    def __call__(self, environment: Environment, name: str | None, variable: str) -> bool:
        if name is None:  # a template made from a string: assume it does
            return True
        known = self.known.setdefault(environment, {})
        key = (name, variable)
        if key not in known:
            known[key] = False  # a template that includes itself stops here
            known[key] = self._find(environment, name, variable)
        return known[key]

    def _find(self, environment: Environment, name: str, variable: str) -> bool:
        assert environment.loader is not None
        source = environment.loader.get_source(environment, name)[0]
        tree = environment.parse(source)
        if variable in meta.find_undeclared_variables(tree):
            return True
        for referenced in meta.find_referenced_templates(tree):
            # None: a name computed at render time, which could be anything.
            if referenced is None or self(environment, referenced, variable):
                return True
        return False


template_uses = _TemplateUses()


def _shown(kwargs: Mapping[str, Any], paginated: Mapping[str, Any] | None) -> list[Any]:
    """The articles and pages a write is about (not the site-wide lists every page gets)."""
    shown: list[Any] = []
    for key in ("article", "page"):
        if kwargs.get(key) is not None:
            shown.append(kwargs[key])
    for key in ("articles", "dates"):
        shown.extend(kwargs.get(key) or ())
    for values in (paginated or {}).values():
        shown.extend(values)
    return shown


class _KeepOrRender:
    """Stands in for the template Pelican's writer renders: keeps unchanged pages."""

    def __init__(self, template: Any, writer: KeepingWriter, shown: list[Any]) -> None:
        self.template = template
        self.writer = writer
        self.shown = shown

    def render(self, localcontext: dict[str, Any]) -> str:
        plan = self.writer.plan
        path = sanitised_join(self.writer.output_path, localcontext["output_file"])
        # A paginated page shows its own slice of the list, not the whole list.
        pages = [
            value.object_list
            for key, value in localcontext.items()
            if key.endswith("_page") and hasattr(value, "object_list")
        ]
        shown = [item for page in pages for item in page] if pages else self.shown
        environment = self.template.environment
        uses_recent = template_uses(environment, self.template.name, RECENT)
        writer = self.writer
        # A file this build already wrote (Save_as overriding the index, say) is not the
        # last build's any more: Pelican's own rules decide what lands in it.
        written = path in writer._written_files or path in writer._overridden_files
        if not written and plan.keeps(shown, uses_recent) and os.path.isfile(path):
            plan.kept += 1
            self.writer.kept_paths.add(path)
            localcontext[KEPT] = True
            return ""
        plan.rendered += 1
        return self.template.render(localcontext)


class KeepingWriter(Writer):
    """Pelican's writer, minus the rendering of pages the plan keeps.

    It relies on Pelican 4.12's ``write_file`` rendering a page (``template.render``)
    before opening its file (``_open_w``); tests build twice and compare every page
    with a clean build, so a Pelican that changes this fails them.
    """

    def __init__(self, output_path: str, settings: dict[str, Any] | None = None) -> None:
        super().__init__(output_path, settings=settings)
        self.plan: Plan | None = (settings or {}).get(PLAN_KEY)
        self.kept_paths: set[str] = set()

    def write_file(
        self,
        name: str,
        template: Any,
        context: dict[str, Any],
        relative_urls: bool = False,
        paginated: dict[str, Any] | None = None,
        template_name: str | None = None,
        override_output: bool = False,
        url: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if self.plan is not None and self.plan.changed is not None:
            template = _KeepOrRender(template, self, _shown(kwargs, paginated))
        return super().write_file(
            name,
            template,
            context,
            relative_urls,
            paginated,
            template_name,
            override_output,
            url,
            **kwargs,
        )

    def _open_w(self, filename: str, encoding: str, override: bool = False) -> Any:
        if filename not in self.kept_paths:
            return super()._open_w(filename, encoding, override)
        # Kept: nothing to write, but later writes to the same file must meet
        # Pelican's rules as if this one had been written.
        self.kept_paths.discard(filename)
        if override:
            self._overridden_files.add(filename)
        self._written_files.add(filename)
        return open(os.devnull, "w", encoding=encoding)
