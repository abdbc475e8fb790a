"""Deploy targets on this machine: a local folder, rsync (a path and host:path), a git branch."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from moderation.deploy import DeployError, parse_target, trees
from moderation.deploy.targets import GitBranch, LocalFolder, Rsync, is_example_host, is_remote

from ..prerequisites import require_tool
from .conftest import files_under


def make_site(folder: Path, **pages: str) -> Path:
    """A built site: index.html, a stylesheet, and ``pages`` (name → text)."""
    (folder / "theme" / "css").mkdir(parents=True)
    (folder / "index.html").write_text("<!DOCTYPE html><title>new</title>")
    (folder / "theme" / "css" / "style.css").write_text("body { color: #000; }")
    for name, text in pages.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return folder


def live_site(folder: Path) -> Path:
    """A site deployed earlier: one page the new build no longer has, one it changes."""
    return make_site(folder, **{"2025/old.html": "gone in the new build", "2025/kept.html": "same"})


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("deploy@host.test:/srv/www/", Rsync),
        ("host:www", Rsync),
        ("rsync:/mnt/share/www", Rsync),
        ("/srv/www/blog", LocalFolder),
        ("relative/dir", LocalFolder),
        ("./odd:name", LocalFolder),
        ("git:/srv/git/blog.git", GitBranch),
        ("git:origin#pages", GitBranch),
    ],
)
def test_targets_are_chosen_by_their_form(tmp_path, text, kind):
    target = parse_target(text, project_root=tmp_path, protected=[])
    assert isinstance(target, kind)


def test_git_target_branch_defaults_to_gh_pages(tmp_path):
    assert parse_target("git:/x.git", project_root=tmp_path, protected=[]).branch == "gh-pages"
    assert parse_target("git:/x.git#site", project_root=tmp_path, protected=[]).branch == "site"


def test_rsync_remote_rule():
    assert is_remote("user@host:/srv") and is_remote("host:path")
    assert not is_remote("./a:b") and not is_remote("/srv/www")


def test_example_hosts_are_recognised():
    assert is_example_host("learning-out-loud.example")
    assert is_example_host("www.example.com")
    assert not is_example_host("blog.test.invalid")
    assert not is_example_host("myexample.com")


# -- a local folder ----------------------------------------------------------------------


def test_local_folder_is_replaced_whole_and_unchanged_files_are_linked(tmp_path):
    target_dir = live_site(tmp_path / "www")
    kept_before = (target_dir / "2025" / "kept.html").stat().st_ino
    new = make_site(tmp_path / "build", **{"2025/kept.html": "same", "2025/new.html": "fresh"})
    (new / "index.html").write_text("<!DOCTYPE html><title>newer</title>")

    target = LocalFolder(target_dir, protected=[])
    planned = target.plan(new)
    assert planned.added == ["2025/new.html"]
    assert planned.changed == ["index.html"]
    assert planned.removed == ["2025/old.html"]
    assert files_under(target_dir)["index.html"] == b"<!DOCTYPE html><title>new</title>"

    changes = target.deploy(new)
    assert changes.lines() == planned.lines()
    assert files_under(target_dir) == files_under(new)
    # Only changed files were copied: an unchanged one is the very same file (a hard link).
    assert (target_dir / "2025" / "kept.html").stat().st_ino == kept_before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".www")] == []
    mode = stat.S_IMODE(target_dir.stat().st_mode)
    assert mode & 0o055 == 0o055, "the deployed folder stays readable by the web server"


def test_a_failed_copy_leaves_the_live_folder_exactly_as_it_was(tmp_path, monkeypatch):
    target_dir = live_site(tmp_path / "www")
    before = files_under(target_dir)
    new = make_site(tmp_path / "build", **{f"page-{n}.html": f"page {n}" for n in range(20)})
    copied = []

    def copy_then_fail(source, destination, *args, **kwargs):
        if len(copied) == 5:
            raise OSError(28, "No space left on device")
        copied.append(source)
        return shutil.copyfile(source, destination)

    monkeypatch.setattr(trees.shutil, "copy2", copy_then_fail)
    with pytest.raises(OSError, match="No space left"):
        LocalFolder(target_dir, protected=[]).deploy(new)
    assert files_under(target_dir) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build", "www"], "no half-made copy"


def test_a_failed_swap_puts_the_old_folder_back(tmp_path, monkeypatch):
    target_dir = live_site(tmp_path / "www")
    before = files_under(target_dir)
    new = make_site(tmp_path / "build")
    monkeypatch.setattr(trees, "_exchange", lambda first, second: False)
    real_rename = os.rename

    def rename(source, destination):
        if ".new-" in str(source):
            raise OSError(5, "Input/output error")
        real_rename(source, destination)

    monkeypatch.setattr(trees.os, "rename", rename)
    with pytest.raises(OSError, match="Input/output"):
        LocalFolder(target_dir, protected=[]).deploy(new)
    assert files_under(target_dir) == before


def test_swap_without_renameat2_still_replaces_the_folder(tmp_path, monkeypatch):
    target_dir = live_site(tmp_path / "www")
    new = make_site(tmp_path / "build")
    monkeypatch.setattr(trees, "_exchange", lambda first, second: False)
    LocalFolder(target_dir, protected=[]).deploy(new)
    assert files_under(target_dir) == files_under(new)


def test_a_new_folder_is_created(tmp_path):
    new = make_site(tmp_path / "build")
    target_dir = tmp_path / "not" / "yet" / "www"
    changes = LocalFolder(target_dir, protected=[]).deploy(new)
    assert len(changes.added) == 2 and files_under(target_dir) == files_under(new)


def test_a_folder_that_is_not_a_site_is_refused(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.tex").write_text("years of work")
    problems = LocalFolder(home, protected=[]).preflight()
    assert len(problems) == 1
    assert "holds files but no index.html" in problems[0]
    assert "empty it or choose another folder" in problems[0]


def test_a_folder_overlapping_the_content_is_refused(tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    problems = LocalFolder(content / "site", protected=[content]).preflight()
    assert len(problems) == 1 and "overlaps" in problems[0]


# -- rsync ----------------------------------------------------------------------------------


def test_rsync_to_a_local_path(tmp_path):
    require_tool("rsync")
    target_dir = live_site(tmp_path / "www")
    new = make_site(tmp_path / "build", **{"2025/kept.html": "same"})
    (new / "index.html").write_text("<!DOCTYPE html><title>newer</title>")
    target = parse_target(f"rsync:{target_dir}", project_root=tmp_path, protected=[])
    assert target.preflight() == []

    planned = target.plan(new)
    assert planned.removed == ["2025/old.html"]
    assert planned.changed == ["index.html"]
    assert (target_dir / "2025" / "old.html").exists(), "a dry run changes nothing"

    changes = target.deploy(new)
    assert files_under(target_dir) == files_under(new)
    assert changes.removed == ["2025/old.html"] and changes.changed == ["index.html"]
    assert target.plan(new).count == 0, "a second deploy has nothing to send"


@pytest.fixture
def fake_ssh(tmp_path, monkeypatch):
    """RSYNC_RSH: a "remote shell" that runs the remote command here, on loopback only.

    rsync calls it as ``RSH [-l USER] HOST rsync --server ...``; it drops the user and
    host and runs the rest, so host:path goes through rsync's real remote protocol
    over a pipe.
    """
    script = tmp_path / "fake-ssh"
    script.write_text('#!/bin/sh\nif [ "$1" = "-l" ]; then shift 2; fi\nshift\nexec "$@"\n')
    script.chmod(0o755)
    monkeypatch.setenv("RSYNC_RSH", str(script))
    return script


def test_rsync_to_an_ssh_style_host_path(tmp_path, fake_ssh):
    require_tool("rsync")
    target_dir = live_site(tmp_path / "srv" / "www")
    new = make_site(tmp_path / "build")
    target = parse_target(f"deploy@blog-host:{target_dir}/", project_root=tmp_path, protected=[])
    assert isinstance(target, Rsync) and target.remote
    assert target.preflight() == []
    changes = target.deploy(new)
    assert files_under(target_dir) == files_under(new)
    assert sorted(changes.removed) == ["2025/kept.html", "2025/old.html"]


def test_rsync_to_an_unreachable_host_is_a_preflight_problem(tmp_path, monkeypatch):
    require_tool("rsync")
    failing = tmp_path / "no-ssh"
    failing.write_text(
        "#!/bin/sh\necho 'ssh: connect to host blog-host port 22: refused' >&2\nexit 255\n"
    )
    failing.chmod(0o755)
    monkeypatch.setenv("RSYNC_RSH", str(failing))
    target = parse_target("deploy@blog-host:/srv/www/", project_root=tmp_path, protected=[])
    problems = target.preflight()
    assert len(problems) == 1
    assert problems[0].startswith("deploy target deploy@blog-host:/srv/www/ cannot be reached")


def test_a_failing_rsync_is_a_deploy_error_naming_rsync(tmp_path, monkeypatch):
    require_tool("rsync")
    failing = tmp_path / "broken-ssh"
    failing.write_text("#!/bin/sh\nexit 12\n")
    failing.chmod(0o755)
    monkeypatch.setenv("RSYNC_RSH", str(failing))
    target = parse_target("host:/srv/www/", project_root=tmp_path, protected=[])
    with pytest.raises(DeployError, match=r"rsync to host:/srv/www/ failed"):
        target.deploy(make_site(tmp_path / "build"))


def test_example_rsync_host_is_refused_before_any_connection(tmp_path):
    target = parse_target(
        "deploy@learning-out-loud.example:/srv/www/", project_root=tmp_path, protected=[]
    )
    problems = target.preflight()
    assert any("is the example host learning-out-loud.example" in p for p in problems)


# -- a git branch ------------------------------------------------------------------------------


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def bare_repository(tmp_path):
    require_tool("git")
    repository = tmp_path / "pages.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(repository)], check=True)
    return repository


def branch_files(repository: Path, branch: str) -> dict[str, str]:
    listing = git("ls-tree", "-r", "--name-only", branch, cwd=repository).split()
    return {name: git("show", f"{branch}:{name}", cwd=repository) for name in listing}


def test_ghp_import_pushes_the_site_to_a_branch_of_a_bare_repository(tmp_path, bare_repository):
    project = tmp_path / "project"
    project.mkdir()
    target = parse_target(f"git:{bare_repository}#gh-pages", project_root=project, protected=[])
    assert target.preflight() == []

    first = make_site(tmp_path / "build-1", **{"2025/a.html": "first"})
    changes = target.deploy(first)
    assert sorted(changes.added) == [
        ".nojekyll",
        "2025/a.html",
        "index.html",
        "theme/css/style.css",
    ]
    assert branch_files(bare_repository, "gh-pages")["2025/a.html"] == "first"

    second = make_site(tmp_path / "build-2", **{"2025/b.html": "second"})
    planned = target.plan(second)
    assert planned.added == ["2025/b.html"] and planned.removed == ["2025/a.html"]
    assert "2025/a.html" in branch_files(bare_repository, "gh-pages"), "plan changes nothing"
    target.deploy(second)
    files = branch_files(bare_repository, "gh-pages")
    assert "2025/a.html" not in files and files["2025/b.html"] == "second"
    history = git("log", "--format=%s", "gh-pages", cwd=bare_repository).splitlines()
    assert len(history) == 2, "each publish is one commit on top of the last"
    assert history[0].startswith("Publish the site (1 added, 0 updated, 1 removed")

    third = make_site(tmp_path / "build-3", **{"2025/b.html": "second"})
    assert target.deploy(third).count == 0
    assert len(git("log", "--format=%s", "gh-pages", cwd=bare_repository).splitlines()) == 2


def test_an_unreachable_git_remote_is_a_preflight_problem(tmp_path):
    require_tool("git")
    target = parse_target(f"git:{tmp_path / 'no-such.git'}", project_root=tmp_path, protected=[])
    problems = target.preflight()
    assert len(problems) == 1 and "cannot be reached" in problems[0]


def test_a_rejected_push_leaves_the_branch_as_it_was(tmp_path, bare_repository):
    project = tmp_path / "project"
    project.mkdir()
    target = parse_target(f"git:{bare_repository}", project_root=project, protected=[])
    target.deploy(make_site(tmp_path / "build-1"))
    before = git("rev-parse", "gh-pages", cwd=bare_repository)
    # The remote refuses every update, as a protected branch would.
    hook = bare_repository / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'branch is protected' >&2\nexit 1\n")
    hook.chmod(0o755)
    with pytest.raises(DeployError, match="the branch was not changed"):
        target.deploy(make_site(tmp_path / "build-2", **{"x.html": "x"}))
    assert git("rev-parse", "gh-pages", cwd=bare_repository) == before
