"""The summary ``invoke publish`` (and the review page's publish button) ends with."""

from __future__ import annotations

from pathlib import Path

from moderation.deploy.build import BuildResult
from moderation.deploy.pipeline import DeployReport
from moderation.deploy.trees import Changes
from moderation.publish import PublishReport


def report(*, dry_run: bool, comments: int, pages: int, changed: int) -> DeployReport:
    folder = Path("/blog/content/comments")
    return DeployReport(
        target="/srv/www/blog",
        dry_run=dry_run,
        publish=PublishReport(
            comments_dir=folder, written=[folder / f"c-{i}.md" for i in range(comments)]
        ),
        build=BuildResult(
            output=Path("/tmp/site"),
            pages_written=pages,
            pages_kept=0,
            files=pages,
            seconds=1.0,
            search_reused=False,
        ),
        changes=Changes(changed=[f"page-{i}.html" for i in range(changed)]),
    )


def rows(summary: str) -> dict[str, str]:
    return {line.split(None, 1)[0]: line.split(None, 1)[1] for line in summary.splitlines()[1:]}


def test_one_of_a_kind_is_singular():
    summary = rows(report(dry_run=False, comments=1, pages=1, changed=1).summary())
    assert summary["published"] == "1 comment file written, 0 removed"
    assert summary["pages"] == "1 written"
    assert summary["target"] == "1 file changed: 0 added, 1 updated, 0 removed"


def test_several_and_none_are_plural():
    summary = rows(report(dry_run=False, comments=2, pages=1204, changed=0).summary())
    assert summary["published"] == "2 comment files written, 0 removed"
    assert summary["pages"] == "1,204 written"
    assert summary["target"] == "0 files changed: 0 added, 0 updated, 0 removed"


def test_a_dry_run_says_what_would_be_written_and_would_change():
    text = report(dry_run=True, comments=1, pages=46, changed=3).summary()
    assert text.startswith("Dry run for /srv/www/blog: nothing was changed")
    summary = rows(text)
    assert summary["published"] == "1 comment file would be written, 0 would be removed"
    assert summary["pages"] == "46 would be written"
    assert summary["target"] == "3 files would change: 0 added, 3 updated, 0 removed"


def test_every_message_counts_things_the_same_way():
    from moderation.wording import counted

    assert counted(1, "comment file") == "1 comment file"
    assert counted(0, "error") == "0 errors"
    assert counted(1204, "file") == "1,204 files"
    assert counted(2, "address", "addresses") == "2 addresses"
