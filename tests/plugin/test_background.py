"""The one fork helper (plugins/comments/background.py), and a build that uses it.

A test worker runs other threads (pytest-xdist's), and the helper never forks
a process that does; so the forked path is driven in fresh interpreters.
"""

from __future__ import annotations

import filecmp
import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from comments.background import in_background

from .conftest import PLUGINS, ROOT, THEME, Site

PRELUDE = f"""
import json, logging, os, sys
sys.path.insert(0, {str(PLUGINS)!r})
sys.path.insert(0, {str(ROOT)!r})
logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
from comments.background import in_background
parent = os.getpid()
"""


def run_script(body: str) -> tuple[dict, str]:
    """Run PRELUDE + ``body`` in a fresh interpreter; its last stdout line as JSON, and stderr."""
    done = subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(body)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


def test_a_job_runs_in_a_forked_child_and_only_its_result_comes_back():
    answer, _ = run_script(
        """
        class Build:
            def __init__(self):
                self.state = list(range(100_000))  # inherited, never pickled
            def job(self):
                return os.getpid(), sum(self.state)
        pending = in_background(Build().job)
        pid, total = pending()
        print(json.dumps({"child": pid != parent, "total": total}))
        """
    )
    assert answer == {"child": True, "total": sum(range(100_000))}


def test_an_exception_in_the_child_is_raised_by_the_result():
    answer, _ = run_script(
        """
        def job():
            raise ValueError("comment file c-1.md: bad date")
        pending = in_background(job)
        try:
            pending()
        except ValueError as error:
            print(json.dumps({"raised": str(error)}))
        """
    )
    assert answer == {"raised": "comment file c-1.md: bad date"}


def test_a_child_that_dies_is_replaced_by_doing_the_job_here():
    answer, log = run_script(
        """
        def job():
            if os.getpid() != parent:
                os._exit(9)  # killed, say, by the out-of-memory killer
            return os.getpid()
        print(json.dumps({"here": in_background(job)() == parent}))
        """
    )
    assert answer == {"here": True}
    assert "WARNING comments: the process for job died; doing it here" in log


def test_with_other_threads_running_the_job_runs_here():
    release = threading.Event()
    other = threading.Thread(target=release.wait, daemon=True)
    other.start()
    try:
        pending = in_background(os.getpid)
        assert pending() == os.getpid()
    finally:
        release.set()


def test_nothing_forks_when_not_asked():
    assert in_background(os.getpid, when=False)() == os.getpid()


#: The start of every build script: forks counted, the threshold lowered, the settings.
BUILD_PRELUDE = """
import multiprocessing, threading
import concurrent.futures.process as process
import comments.generator, comments.loader
from pelican import Pelican
from pelican.settings import read_settings

forks = []
submit = process.ProcessPoolExecutor.submit
def counted(self, *args, **kwargs):
    forks.append(1)
    return submit(self, *args, **kwargs)
process.ProcessPoolExecutor.submit = counted
if {threshold} is not None:
    comments.loader.BACKGROUND_MIN_FILES = {threshold}
    comments.generator.BACKGROUND_MIN_FILES = {threshold}
settings = json.loads({settings!r})
settings["PLUGINS"] = ["comments"]
settings["PLUGIN_PATHS"] = [{plugins!r}]
"""

BUILD = (
    BUILD_PRELUDE
    + """
Pelican(read_settings(override=settings)).run()
print(json.dumps({{"forks": len(forks)}}))
"""
)


def build_script(
    body: str, site: Site, output: Path, threshold: int | None, **settings: object
) -> dict:
    """Run ``body`` (after :data:`BUILD_PRELUDE`) on ``site`` built into ``output``."""
    values = {
        "PATH": str(site.content),
        "OUTPUT_PATH": str(output),
        "CACHE_PATH": str(output.parent / f"{output.name}-cache"),
        "THEME": str(THEME),
        "SITENAME": "Test Site",
        "TIMEZONE": "UTC",
        "ARTICLE_PATHS": ["articles"],
        "ARTICLE_EXCLUDES": ["comments"],
        "CACHE_CONTENT": True,
        "LOAD_CONTENT_CACHE": False,
        "FEED_ALL_ATOM": None,
        "CATEGORY_FEED_ATOM": None,
        "AUTHOR_FEED_ATOM": None,
        "AUTHOR_FEED_RSS": None,
        **settings,
    }
    script = body.format(threshold=threshold, settings=json.dumps(values), plugins=str(PLUGINS))
    answer, _ = run_script(script)
    return answer


def _build_in_fresh_interpreter(
    site: Site, output: Path, threshold: int | None, *, warm: bool = False
) -> int:
    """Build ``site`` into ``output``; how many times a child was forked."""
    return build_script(BUILD, site, output, threshold, LOAD_CONTENT_CACHE=warm)["forks"]


def _same_tree(left: Path, right: Path) -> list[str]:
    """Files that differ or exist on one side only (relative paths)."""
    comparison = filecmp.dircmp(left, right)
    problems = [*comparison.left_only, *comparison.right_only, *comparison.diff_files]
    problems += [*comparison.funny_files]
    for name, sub in comparison.subdirs.items():
        problems += [f"{name}/{p}" for p in _same_tree(Path(sub.left), Path(sub.right))]
    return problems


def test_a_build_that_reads_and_writes_feeds_in_children_writes_the_same_site(site):
    for number in range(6):
        site.article(f"post-{number}")
        for index in range(5):
            reply = {"reply_to": f"c-{number}-{index - 1}"} if index % 2 else {}
            site.comment(
                f"post-{number}",
                f"c-{number}-{index}",
                f"> quoted\n\nComment *{index}* on [post {number}](https://example.org/{number}).",
                **reply,
            )
    forked, here = site.root / "forked", site.root / "here"
    # 30 files: over a threshold of 10, reading and feeds each go to a child.
    assert _build_in_fresh_interpreter(site, forked, threshold=10) == 2
    assert _build_in_fresh_interpreter(site, here, threshold=None) == 0
    assert (forked / "feeds" / "comments.atom.xml").is_file()
    assert _same_tree(forked, here) == []
    # The child saved the comment cache: a warm build has no file left to read, so
    # only the feeds go to a child, and the site comes out the same.
    again = site.root / "again"
    (site.root / "forked-cache").rename(site.root / "again-cache")
    assert _build_in_fresh_interpreter(site, again, threshold=10, warm=True) == 1
    assert _same_tree(again, here) == []


FAIL_THEN_BUILD = (
    BUILD_PRELUDE
    + """
article = os.path.join(settings["PATH"], "articles", "post-0.md")

# The comments plugin starts its feeds in a child; Pelican then fails writing an
# article whose template does not exist, before the plugin waits for the child.
with open(article) as handle:
    text = handle.read()
with open(article, "w") as handle:
    handle.write("Template: missing\\n" + text)
try:
    Pelican(read_settings(override=settings)).run()
except Exception as error:
    failed = type(error).__name__
left_after_failure = len(multiprocessing.active_children())
with open(article, "w") as handle:
    handle.write(text)
before = len(forks)
Pelican(read_settings(override=settings)).run()
print(json.dumps({{
    "failed": failed,
    "forks_of_the_first_build": before,
    "left_after_failure": left_after_failure,
    "forks_of_the_next_build": len(forks) - before,
    "children_left": len(multiprocessing.active_children()),
    "threads": threading.active_count(),
}}))
"""
)


def test_a_build_that_fails_leaves_no_child_for_the_next_one(site):
    for number in range(6):
        site.article(f"post-{number}")
        for index in range(5):
            site.comment(f"post-{number}", f"c-{number}-{index}", f"Comment {index}.")
    answer = build_script(FAIL_THEN_BUILD, site, site.output, threshold=10, CACHE_CONTENT=False)
    assert answer["failed"] == "PelicanTemplateNotFound"
    assert answer["forks_of_the_first_build"] == 2  # reading, then the feeds
    assert answer["left_after_failure"] == 1  # the feeds' child, nobody waiting for it
    # The next build finds the leftover, waits for it and shuts it down, then works
    # as any other: its own jobs in children, and nothing left running after it.
    assert answer["forks_of_the_next_build"] == 2
    assert answer["children_left"] == 0
    assert answer["threads"] == 1
    assert (site.output / "feeds" / "comments" / "post-0.atom.xml").is_file()
