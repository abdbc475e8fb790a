"""The project's gettext catalogues: where each one's strings come from, and its checks.

Three parts show text to readers, and each owns one catalogue (a gettext domain):

- ``theme``: the comment area, the form and their friends (``theme/templates``);
- ``comments``: the comments plugin's feed titles (``plugins/comments``);
- ``intake``: the intake service's pages and the messages it answers with
  (``moderation/web/templates`` and the modules that word a refusal).

``invoke translations`` extracts every string with Babel and merges it into each
language's ``.po`` (new strings arrive untranslated, fuzzy guesses are never
shown); ``invoke translations --check`` (and the test suite) fails when a
language misses a string, keeps a fuzzy or obsolete one, or drops or invents a
placeholder. The ``.po`` files are compiled in memory when loaded
(:mod:`comment_format.i18n`), so no ``.mo`` file exists to go stale.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent
PROJECT = "Learning Out Loud"
#: Languages shipped complete; the first is the language the source strings are in.
LANGUAGES = ("en", "de")
#: What marks a string in Python code: gettext's usual names, and the first argument
#: of ``comment_format.i18n.Message``.
PYTHON_KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "N_": None,
    "Message": None,
}
_JINJA = "jinja2.ext:babel_extract"
_JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trimmed": "false"}


@dataclass(frozen=True)
class Source:
    folder: str  # relative to ROOT
    pattern: str  # a glob in that folder
    method: str  # "python" or the Jinja extractor


@dataclass(frozen=True)
class CatalogueSpec:
    domain: str
    directory: str  # relative to ROOT: <lang>/LC_MESSAGES/<domain>.po below it
    sources: tuple[Source, ...]

    @property
    def path(self) -> Path:
        return ROOT / self.directory

    def po_path(self, lang: str) -> Path:
        return self.path / lang / "LC_MESSAGES" / f"{self.domain}.po"

    @property
    def template_path(self) -> Path:
        return self.path / f"{self.domain}.pot"


CATALOGUES = {
    spec.domain: spec
    for spec in (
        CatalogueSpec(
            "theme",
            "theme/translations",
            (Source("theme/templates", "*.html", _JINJA),),
        ),
        CatalogueSpec(
            "comments",
            "plugins/comments/translations",
            (Source("plugins/comments", "*.py", "python"),),
        ),
        CatalogueSpec(
            "intake",
            "moderation/web/translations",
            (
                Source("moderation/web/templates", "*.html", _JINJA),
                Source("moderation/web", "*.py", "python"),
                Source("moderation", "intake.py", "python"),
                Source("moderation", "submission.py", "python"),
                Source("moderation", "editing.py", "python"),
                Source("moderation", "webmention.py", "python"),
                Source("moderation/notify", "tokens.py", "python"),
                Source("moderation/notify", "messages.py", "python"),
                Source("comment_format", "text.py", "python"),
                Source("comment_format", "render.py", "python"),
            ),
        ),
    )
}


def extract(spec: CatalogueSpec) -> Catalog:
    """Every string the sources of ``spec`` mark, as a Babel catalogue (the ``.pot``)."""
    catalog = Catalog(
        project=PROJECT,
        copyright_holder=PROJECT,
        domain=spec.domain,
        msgid_bugs_address="",
        # Fixed: a file changes only when its strings do.
        creation_date=datetime(2026, 1, 1, tzinfo=UTC),
        charset="utf-8",
    )
    for source in spec.sources:
        folder = ROOT / source.folder
        method_map = [(source.pattern, source.method)]
        options_map = {source.pattern: _JINJA_OPTIONS if source.method == _JINJA else {}}
        for filename, lineno, message, comments, context in extract_from_dir(
            folder,
            method_map,
            options_map,
            keywords=PYTHON_KEYWORDS,
            comment_tags=("Translators:",),
            strip_comment_tags=True,
        ):
            catalog.add(
                message,
                None,
                [(f"{source.folder}/{filename}", lineno)],
                auto_comments=comments,
                context=context,
            )
    return catalog


def read(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, abort_invalid=True)


def update(spec: CatalogueSpec) -> list[Path]:
    """Write the ``.pot`` and merge it into each language's ``.po``; returns the files written."""
    template = extract(spec)
    spec.path.mkdir(parents=True, exist_ok=True)
    written = [spec.template_path]
    with spec.template_path.open("wb") as handle:
        write_po(handle, template, width=100, omit_header=False)
    for lang in LANGUAGES:
        path = spec.po_path(lang)
        # A fresh template each time: Catalog.update shares the template's messages,
        # and the source language fills them in.
        fresh = extract(spec)
        if path.exists():
            catalog = read(path)
            # No fuzzy guesses: a new string arrives untranslated, and the check says so.
            catalog.update(fresh, no_fuzzy_matching=True, update_header_comment=False)
        else:
            catalog = Catalog(
                locale=lang,
                domain=spec.domain,
                project=PROJECT,
                copyright_holder=PROJECT,
                charset="utf-8",
            )
            catalog.update(fresh, no_fuzzy_matching=True)
        if lang == LANGUAGES[0]:
            # The source language translates each string to itself.
            for message in catalog:
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                if message.id and (message.fuzzy or not all(strings)):
                    message.string = message.id
                    message.flags.discard("fuzzy")
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=100, ignore_obsolete=True)
        written.append(path)
    return written


_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w*\}")


def _placeholders(text: str) -> list[str]:
    return sorted(_PLACEHOLDER.findall(text))


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def problems(spec: CatalogueSpec, languages: tuple[str, ...] = LANGUAGES) -> list[str]:
    """Everything that keeps a language of ``spec`` from being complete, one line each."""
    wanted = extract(spec)
    found: list[str] = []
    for lang in languages:
        path = spec.po_path(lang)
        if not path.exists():
            found.append(f"{_shown(path)}: missing (run `invoke translations`)")
            continue
        catalog = read(path)
        where = _shown(path)
        for message in wanted:
            if not message.id:
                continue
            translated = catalog.get(message.id, message.context)
            shown = message.id if isinstance(message.id, str) else message.id[0]
            if translated is None:
                found.append(f"{where}: missing {shown!r}")
                continue
            if translated.fuzzy:
                found.append(f"{where}: fuzzy {shown!r}")
            strings = (
                translated.string
                if isinstance(translated.string, tuple | list)
                else (translated.string,)
            )
            if not all(strings):
                found.append(f"{where}: untranslated {shown!r}")
                continue
            ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
            expected = _placeholders(ids[-1])
            for string in strings:
                if _placeholders(string) != expected:
                    found.append(
                        f"{where}: {shown!r} has placeholders {_placeholders(string)}, "
                        f"expected {expected}"
                    )
        for message in catalog:
            if message.id and wanted.get(message.id, message.context) is None:
                shown = message.id if isinstance(message.id, str) else message.id[0]
                found.append(f"{where}: obsolete {shown!r} (no source uses it)")
    return found
