"""Languages: gettext catalogues kept as Babel ``.po`` files, dates and numbers by Babel.

Each part that shows text to readers owns one catalogue (a domain) in a folder of
``<lang>/LC_MESSAGES/<domain>.po`` files: the theme (``theme/translations``), the
comments plugin's feeds (``plugins/comments/translations``) and the intake service
(``moderation/web/translations``). :func:`translations` compiles a ``.po`` with
Babel in memory when it is first asked for (and again when the file changes), so
there are no ``.mo`` files to build, commit or let go stale; ``invoke
translations`` extracts and updates the catalogues.

Library code that produces text a reader may see (why a comment was refused)
builds a :class:`Message`: a ``str`` holding the English text, which also keeps
its template and values so that a face (the intake's pages) can say it again in
the reader's language with :func:`translate`.
"""

from __future__ import annotations

import functools
import io
import logging
import os
import threading
import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

logger = logging.getLogger(__name__)

#: The language the source strings are written in.
SOURCE_LANG = "en"

__all__ = [
    "SOURCE_LANG",
    "Message",
    "catalogue_path",
    "format_comment_date",
    "format_day",
    "locale_for",
    "translate",
    "translations",
]


def locale_for(lang: str | None) -> Locale:
    """A Babel locale for a language tag (``de``, ``de-AT``, ``pt_BR``); English if unknown."""
    tag = (lang or SOURCE_LANG).strip().replace("-", "_")
    try:
        return Locale.parse(tag)
    except (UnknownLocaleError, ValueError):
        try:
            return Locale.parse(tag.split("_", 1)[0])
        except (UnknownLocaleError, ValueError):
            return Locale.parse(SOURCE_LANG)


def catalogue_path(directory: str | Path, domain: str, lang: str) -> Path:
    return Path(directory) / lang / "LC_MESSAGES" / f"{domain}.po"


_cache: dict[tuple[str, str, str], tuple[tuple[int, int], NullTranslations]] = {}
_lock = threading.Lock()
#: A build asks for the same catalogue tens of thousands of times (once per string on
#: every page), so an answer is reused for this long before the file is looked at again.
RECHECK_SECONDS = 1.0
_answers: dict[tuple[str, str, str | None], tuple[float, NullTranslations]] = {}


@functools.lru_cache(maxsize=256)
def _candidates(lang: str | None) -> tuple[str, ...]:
    """``de_AT`` → ``("de_AT", "de")``: the most specific catalogue first."""
    locale = locale_for(lang)
    if locale.territory or locale.script:
        return (str(locale), locale.language)
    return (str(locale),)


def _compile(path: Path) -> Translations:
    with path.open("rb") as handle:
        catalog = read_po(handle, abort_invalid=True)
    compiled = io.BytesIO()
    # Fuzzy entries are guesses (msgmerge's); they are never shown.
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=catalog.domain)


def translations(directory: str | Path, domain: str, lang: str | None) -> NullTranslations:
    """The translations of ``domain`` for ``lang``, from ``directory``.

    A language without a catalogue gets :class:`NullTranslations`: the English
    source strings. A catalogue is compiled once and again only when it changes
    (noticed within :data:`RECHECK_SECONDS`).
    """
    question = (str(directory), domain, lang)
    now = time.monotonic()
    answer = _answers.get(question)
    if answer is not None and now - answer[0] < RECHECK_SECONDS:
        return answer[1]
    found = _look_up(directory, domain, lang)
    _answers[question] = (now, found)
    return found


def _look_up(directory: str | Path, domain: str, lang: str | None) -> NullTranslations:
    for name in _candidates(lang):
        path = catalogue_path(directory, domain, name)
        try:
            stat = os.stat(path)
        except OSError:
            continue
        key, stamp = (str(path), domain, name), (stat.st_mtime_ns, stat.st_size)
        with _lock:
            cached = _cache.get(key)
            if cached is None or cached[0] != stamp:
                cached = (stamp, _compile(path))
                _cache[key] = cached
                logger.debug("compiled %s", path)
        return cached[1]
    return NullTranslations()


# -- messages built by library code ----------------------------------------------------


def _english(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


class Message(str):
    """An English message that can be said again in another language.

    ``Message("is {length} characters long", length=12_000)`` is the ``str``
    ``"is 12,000 characters long"``; :func:`translate` looks its template up in a
    catalogue and fills in the same values (numbers in the locale's format, nested
    messages translated too). Babel extracts the first argument of ``Message(...)``.
    """

    template: str
    params: Mapping[str, Any]

    def __new__(cls, template: str, /, **params: Any) -> Message:
        text = template.format(**{key: _english(value) for key, value in params.items()})
        message = super().__new__(cls, text)
        message.template = template
        message.params = params
        return message

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickle as the English text: a message crossing processes is shown, not translated.
        return (str, (str(self),))


def translate(text: str, gettext: NullTranslations, locale: Locale | None = None) -> str:
    """``text`` in the language of ``gettext``; a plain ``str`` stays as it is."""
    if not isinstance(text, Message):
        return text
    locale = locale or Locale.parse(SOURCE_LANG)
    values = {}
    for key, value in text.params.items():
        if isinstance(value, Message):
            values[key] = translate(value, gettext, locale)
        elif isinstance(value, int) and not isinstance(value, bool):
            values[key] = format_decimal(value, locale=locale)
        else:
            values[key] = str(value)
    try:
        return gettext.gettext(text.template).format(**values)
    except (KeyError, IndexError, ValueError):
        # A translation naming a value the message does not have: say it in English.
        logger.warning("translation of %r does not fit its values", text.template)
        return str(text)


# -- dates -------------------------------------------------------------------------------


def format_comment_date(moment: datetime, lang: str | None, *, with_zone: bool = False) -> str:
    """A date with the time of day, as the locale writes it ("2. März 2026, 10:15"),
    and with ``with_zone`` the zone ("2. März 2026, 10:15 MEZ")."""
    # Comment threads (the theme's ``local_datetime``) format every comment's date on
    # every build, again on each build of one ``pelican --autoreload`` process, and
    # Babel takes about 50 µs a date. Equal instants in other zones compare equal:
    # key on the zone.
    return _formatted_date(moment, moment.tzinfo, moment.utcoffset(), lang, with_zone)


@functools.lru_cache(maxsize=4096)
def _formatted_date(
    moment: datetime, _zone: Any, _offset: Any, lang: str | None, with_zone: bool
) -> str:
    locale = locale_for(lang)
    date = format_date(moment, "long", locale=locale)
    time = format_time(moment, "short", tzinfo=moment.tzinfo, locale=locale)
    pattern = locale.datetime_formats.get("medium", "{1} {0}")
    text = str(pattern).replace("'", "").format(time, date)
    return f"{text} {zone_name(moment, lang)}".rstrip() if with_zone else text


def format_day(moment: datetime, lang: str | None) -> str:
    """The day alone, in the locale's medium style ("Mar 2, 2026", "02.03.2026")."""
    # The sidebar (the theme's ``local_date``) shows the same few dates on every page
    # of a build; keyed on the zone like :func:`format_comment_date`.
    return _formatted_day(moment, moment.tzinfo, moment.utcoffset(), lang)


@functools.lru_cache(maxsize=4096)
def _formatted_day(moment: datetime, _zone: Any, _offset: Any, lang: str | None) -> str:
    return format_date(moment, "medium", locale=locale_for(lang))


def zone_name(moment: datetime, lang: str | None) -> str:
    """The zone's abbreviation in the locale (MESZ in German) when the locale has one,
    else the usual one (CEST), else the UTC offset."""
    if moment.tzinfo is None:
        return ""
    named = format_time(moment, "z", tzinfo=moment.tzinfo, locale=locale_for(lang))
    if named.isalpha():
        return named
    return moment.tzname() or moment.strftime("UTC%z")
