"""One Jinja environment factory for both web apps, through Starlette's ``Jinja2Templates``.

Both apps render HTML from user text: autoescape is always on, and whitespace
control is the same everywhere.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.templating import Jinja2Templates

TEMPLATES = Path(__file__).parent / "templates"


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "–"


def _score(score: float | None) -> str:
    return "–" if score is None else f"{score:.2f}"


def make_templates(folder: str | Path = TEMPLATES, **globals_: Any) -> Jinja2Templates:
    """Templates from ``folder`` (a subfolder of ours, or any path), with ``globals_``."""
    environment = Environment(
        loader=FileSystemLoader(Path(TEMPLATES, folder)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals.update(globals_)
    environment.filters["when"] = _when
    environment.filters["score"] = _score
    return Jinja2Templates(env=environment)
