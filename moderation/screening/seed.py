"""The seed corpus: blog comments written for this project, labelled, shipped with it.

A fresh install screens with a model learned from these before any moderator has
decided anything (:func:`moderation.screening.learned.retrain` mixes them with
the blog's own decisions, which soon outweigh them). The corpus lives in
``moderation/data/seed/``: ``articles-*.jsonl`` (slug, title, tags, text) and
one file per kind of comment, each line a batch line (``article``, ``author``,
``body``, ``label``...) plus a ``kind`` for analysis.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from ..articles import ArticleInfo, described_article
from ..models import Comment, Label, Origin

SEED_DIR = Path(__file__).resolve().parent.parent / "data" / "seed"


@dataclass(frozen=True)
class SeedExample:
    comment: Comment  # carries its article's title and text
    label: Label
    kind: str


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@functools.cache
def seed_articles(folder: Path = SEED_DIR) -> dict[str, ArticleInfo]:
    articles = {}
    for path in sorted(folder.glob("articles-*.jsonl")):
        for record in _lines(path):
            info = described_article(record["slug"], record["title"], record["text"])
            articles[info.slug] = info
    return articles


@functools.cache
def seed_examples(folder: Path = SEED_DIR) -> tuple[SeedExample, ...]:
    """Every labelled comment of the corpus, in a fixed order (file name, then line)."""
    articles = seed_articles(folder)
    examples = []
    for path in sorted(folder.glob("*.jsonl")):
        if path.name.startswith("articles-"):
            continue
        for record in _lines(path):
            article = articles[record["article"]]
            comment = Comment(
                article=article.slug,
                author=record["author"],
                body=record["body"],
                email=record.get("email"),
                author_url=record.get("author_url"),
                origin=Origin.BATCH,
                article_title=article.title,
                article_text=article.text,
            )
            examples.append(SeedExample(comment, Label(record["label"]), record.get("kind", "")))
    return tuple(examples)


@functools.cache
def seed_digest(folder: Path = SEED_DIR) -> str:
    """A hash of the corpus files: a seed model built from other data is rebuilt."""
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.jsonl")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]
