"""The intake's pages and answers in the reader's language.

The language of a page is its article's (``lang`` in ``threads.json``, from the
article's ``Lang:``), else the site's ``DEFAULT_LANG``; a template finds it in
its ``lang`` variable. Strings come from the ``intake`` catalogue
(``moderation/web/translations``); messages built by the library
(:class:`comment_format.i18n.Message`, such as why a comment was refused) are
said again in that language by :func:`say`.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from comment_format.i18n import format_comment_date, locale_for, translate, translations

TRANSLATIONS = Path(__file__).parent / "translations"
DOMAIN = "intake"


def gettext_for(lang: str | None) -> Any:
    return translations(TRANSLATIONS, DOMAIN, lang)


def say(text: str, lang: str | None) -> str:
    """``text`` in ``lang``: a :class:`~comment_format.i18n.Message` is translated,
    other text is left as it is."""
    return translate(text, gettext_for(lang), locale_for(lang))


def _lang(context: Context) -> str | None:
    return context.get("lang")


def install(environment: Environment, timezone: tzinfo) -> None:
    """gettext for ``environment``'s templates, following each page's ``lang``; and the
    filters ``local_datetime`` (in the site's time zone) and ``say``."""

    @pass_context
    def gettext(context: Context, message: str) -> str:
        return gettext_for(_lang(context)).gettext(message)

    @pass_context
    def ngettext(context: Context, singular: str, plural: str, count: int) -> str:
        return gettext_for(_lang(context)).ngettext(singular, plural, count)

    @pass_context
    def local_datetime(context: Context, moment: datetime) -> str:
        return format_comment_date(moment.astimezone(timezone), _lang(context), with_zone=True)

    @pass_context
    def say_filter(context: Context, text: str) -> str:
        return say(text, _lang(context))

    environment.add_extension("jinja2.ext.i18n")
    environment.install_gettext_callables(gettext, ngettext, newstyle=True)
    environment.filters["local_datetime"] = local_datetime
    environment.filters["say"] = say_filter
