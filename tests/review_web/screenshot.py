"""Take the README's picture of the review queue: the demo inbox, screened, in Chromium.

.venv/bin/python -m tests.review_web.screenshot docs/review-queue.png
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from moderation import accounts
from moderation.importers import import_file
from moderation.screening import Screener, screen_due
from moderation.settings import load_settings
from moderation.store import Store
from moderation.web.review_app import create_review_app

from .helpers import MODERATOR, PASSWORD
from .test_review_browser import CHROMIUM, LOOPBACK_ONLY, log_in, serve_app

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str]) -> int:
    target = Path(argv[0]) if argv else ROOT / "docs" / "review-queue.png"
    work = Path(tempfile.mkdtemp(prefix="review-shot-"))
    try:
        db = work / "demo.db"
        settings = load_settings(ROOT / "pelicanconf.py", environ={})
        with Store(db) as store:
            report = import_file(store, settings, ROOT / "demo" / "inbox.jsonl")
            assert not report.errors, report.errors
            screen_due(store, Screener(settings, store))
            accounts.add_moderator(store, MODERATOR, PASSWORD)
        with serve_app(create_review_app(settings, db)) as base, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[LOOPBACK_ONLY])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            log_in(page, base)
            page.goto(base + "/?status=spam")  # the demo's screening holds little
            page.keyboard.press("j")
            page.screenshot(path=str(target), full_page=False)
            browser.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
