"""``comments/threads.json``: what intake needs to know about each article."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import Any

THREADS_SAVE_AS = os.path.join("comments", "threads.json")


def thread_index(threads: Iterable[tuple[Any, list[Any]]]) -> list[dict[str, Any]]:
    """One entry per article: slug, title, url (as ``article.url``), open, comment ids,
    and its language (for the intake's pages).

    ``threads`` pairs each article with all its shown comments.
    """
    return [
        {
            "slug": article.slug,
            "title": str(article.title),
            "url": article.url,
            "open": bool(article.comments_open),
            "comments": [comment.id for comment in comments],
            "lang": str(getattr(article, "lang", "") or ""),
        }
        for article, comments in threads
    ]


def write_thread_index(output_path: str, threads: Iterable[tuple[Any, list[Any]]]) -> str:
    target = os.path.join(output_path, THREADS_SAVE_AS)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    temporary = f"{target}.tmp"
    # Write then rename: intake may be reading the file while the site rebuilds.
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(thread_index(threads), handle, ensure_ascii=False, indent=1)
        handle.write("\n")
    os.replace(temporary, target)
    return target
