"""Pelican plugin: the theme's strings and dates in the page's language.

It adds Jinja's i18n extension to every generator's environment and installs
gettext callables that pick the catalogue of the page being rendered: an
article's or page's ``lang`` (its ``Lang:`` metadata), else ``DEFAULT_LANG``.
The catalogues are the theme's own (``<THEME>/translations/<lang>/LC_MESSAGES/
theme.po``, or ``THEME_TRANSLATIONS``), compiled in memory by
:mod:`comment_format.i18n`. Templates write ``{{ _("Reply") }}`` or
``{% trans %}...{% endtrans %}``, and ``{{ comment.date|local_datetime }}`` for a
date in the reader's language.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from pelican import signals

from comment_format.i18n import format_comment_date, format_day, locale_for, translations

logger = logging.getLogger(__name__)

DOMAIN = "theme"
EXTENSION = "jinja2.ext.i18n"


def _enabled(pelican_or_generator: Any) -> bool:
    """Signals are process-wide: act only for builds that list this plugin."""
    plugins = getattr(pelican_or_generator, "plugins", None)
    if plugins is None:  # a generator: its settings name the plugins
        plugins = pelican_or_generator.settings.get("PLUGINS") or ()
    return any(getattr(plugin, "__name__", plugin) in (__name__, "languages") for plugin in plugins)


def translations_dir(settings: dict[str, Any]) -> str:
    return settings.get("THEME_TRANSLATIONS") or os.path.join(settings["THEME"], "translations")


def page_lang(context: Context) -> str:
    """The language of what is being rendered: the article's or page's, else the site's."""
    for name in ("article", "page"):
        item = context.get(name)
        lang = getattr(item, "lang", None)
        if lang:
            return str(lang)
    return str(context.get("DEFAULT_LANG") or "en")


def install(environment: Any, settings: dict[str, Any]) -> None:
    """Give ``environment`` gettext callables and date filters that follow the page's language."""
    directory = translations_dir(settings)

    def catalogue(context: Context) -> Any:
        return translations(directory, DOMAIN, page_lang(context))

    @pass_context
    def gettext(context: Context, message: str) -> str:
        return catalogue(context).gettext(message)

    @pass_context
    def ngettext(context: Context, singular: str, plural: str, count: int) -> str:
        return catalogue(context).ngettext(singular, plural, count)

    @pass_context
    def local_datetime(context: Context, moment: datetime) -> str:
        return format_comment_date(moment, page_lang(context), with_zone=True)

    @pass_context
    def local_date(context: Context, moment: datetime) -> str:
        return format_day(moment, page_lang(context))

    @pass_context
    def lang_tag(context: Context) -> str:
        """The page language as a BCP 47 tag for ``<html lang>``."""
        return page_lang(context).replace("_", "-")

    if EXTENSION not in environment.extensions:
        environment.add_extension(EXTENSION)
    environment.install_gettext_callables(gettext, ngettext, newstyle=True)
    environment.filters["local_datetime"] = local_datetime
    environment.filters["local_date"] = local_date
    environment.globals["page_lang"] = lang_tag
    environment.globals["locale_for"] = locale_for


def on_generator_init(generator: Any) -> None:
    environment = getattr(generator, "env", None)
    if environment is None or not _enabled(generator):
        return
    install(environment, generator.settings)


def register() -> None:
    signals.generator_init.connect(on_generator_init)
