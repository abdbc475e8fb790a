"""Where a built site goes, and how each kind of place is updated all at once.

``DEPLOY_TARGET`` (or ``--target``) names the place:

- ``/srv/www/blog`` or ``../site`` (a plain local folder): copied with Python, no
  rsync needed. The new site is assembled beside the old one and the two folders
  are swapped in one step (:mod:`.trees`).
- ``user@host:/srv/www/blog/`` or ``host:path``: rsync over ssh (``$RSYNC_RSH`` is
  honoured); ``rsync:/mnt/share/blog`` sends a local path through rsync too.
  ``--delay-updates`` puts every changed file in place at the end of the transfer
  and ``--delete-delay`` removes old files after that, so a transfer that breaks
  off leaves the live files as they were.
- ``git:REMOTE`` or ``git:REMOTE#BRANCH`` (default branch ``gh-pages``): ghp-import
  commits the site to the branch in a scratch repository under ``var/publish/git/``
  and pushes it. A push moves the branch in one step, or not at all. ``REMOTE`` is
  a URL, a path or the name of a remote of the project's own repository.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from .errors import DeployError
from .trees import Changes, diff_trees, list_files, replace_tree

logger = logging.getLogger(__name__)

#: ``progress(done, total)``; ``total`` 0 when it is not known in advance.
StepProgress = Callable[[int, int], None]

DEFAULT_BRANCH = "gh-pages"
NETWORK_TIMEOUT_SECONDS = 60
#: Hosts reserved for documentation (RFC 2606): a target or SITEURL naming one is a
#: placeholder that was never filled in.
EXAMPLE_SUFFIXES = (".example", "example.com", "example.net", "example.org")


def is_example_host(host: str) -> bool:
    host = host.lower().rstrip(".")
    return any(
        host == s.lstrip(".") or host.endswith("." + s.lstrip(".")) for s in EXAMPLE_SUFFIXES
    )


def _first_line(text: str) -> str:
    """The line of a tool's output that says what went wrong (git's ``error:``, ...)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    for line in lines:
        if line.startswith(("error:", "fatal:", "! ", "rsync error:", "rsync:")):
            return line
    return lines[-1] if lines else "no message"


def _run(command: list[str], **options) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False, **options)


class Target(Protocol):
    """A place a site can be deployed to."""

    kind: str
    description: str

    def preflight(self) -> list[str]:
        """Problems that would stop a deploy, one line each with the fix."""

    def plan(self, site: Path) -> Changes:
        """What deploying ``site`` would change, without changing anything."""

    def deploy(self, site: Path, progress: StepProgress | None = None) -> Changes:
        """Put ``site`` in place, all of it or nothing; what changed."""


def is_remote(destination: str) -> bool:
    """rsync's rule: ``host:path`` is remote unless a slash comes before the colon."""
    head, colon, _ = destination.partition(":")
    return bool(colon) and "/" not in head


# -- a local folder -------------------------------------------------------------------


def folder_problems(folder: Path, protected: list[Path], name: str) -> list[str]:
    """Why ``folder`` cannot receive a site: protected places, rights, a stranger's files."""
    folder = folder.resolve()
    problems = []
    for place in protected:
        place = place.resolve()
        if folder == place or place.is_relative_to(folder) or folder.is_relative_to(place):
            problems.append(
                f"{name} {folder} overlaps {place}, which the publish itself uses; "
                "choose a folder outside the project's content, build and var folders"
            )
            return problems
    if folder.exists() and not folder.is_dir():
        return [f"{name} {folder} is a file, not a folder; choose a folder"]
    existing = folder
    while not existing.exists():
        existing = existing.parent
    if not os.access(existing, os.W_OK | os.X_OK) or (
        folder.exists() and not os.access(folder.parent, os.W_OK | os.X_OK)
    ):
        writable = folder.parent if folder.exists() else existing
        problems.append(
            f"{name}: cannot write in {writable}; give this user write access or choose "
            "another folder"
        )
    if folder.is_dir() and any(folder.iterdir()) and not (folder / "index.html").exists():
        problems.append(
            f"{name} {folder} holds files but no index.html, so it does not look like a site "
            "deployed before, and a deploy replaces everything in it; empty it or choose "
            "another folder"
        )
    return problems


@dataclass
class LocalFolder:
    """A folder on this machine, replaced by a swap of two folders."""

    path: Path
    protected: list[Path]
    kind: str = "folder"

    @property
    def description(self) -> str:
        return str(self.path)

    def preflight(self) -> list[str]:
        return folder_problems(self.path, self.protected, "deploy target")

    def plan(self, site: Path) -> Changes:
        return diff_trees(site, self.path)

    def deploy(self, site: Path, progress: StepProgress | None = None) -> Changes:
        changes = self.plan(site)
        if changes:
            replace_tree(site, self.path, changes, progress)
        return changes


# -- rsync -----------------------------------------------------------------------------


@dataclass
class Rsync:
    """rsync to ``host:path`` (over ssh) or to a local path."""

    destination: str
    protected: list[Path]
    kind: str = "rsync"

    @property
    def remote(self) -> bool:
        return is_remote(self.destination)

    @property
    def description(self) -> str:
        return f"{self.destination} (rsync)"

    def preflight(self) -> list[str]:
        problems = []
        if not shutil.which("rsync"):
            problems.append("rsync is not installed: install it (apt-get install rsync)")
        if self.remote:
            host = self.destination.partition(":")[0].rpartition("@")[2]
            if is_example_host(host):
                problems.append(
                    f"deploy target {self.destination} is the example host {host}: set "
                    "DEPLOY_TARGET (environment or publishconf.py) or pass --target"
                )
                return problems
            if not os.environ.get("RSYNC_RSH") and not shutil.which("ssh"):
                problems.append("ssh is not installed: install openssh-client to deploy to a host")
            if not problems:
                problems += self._reachable()
        else:
            problems += folder_problems(Path(self.destination), self.protected, "deploy target")
        return problems

    def _reachable(self) -> list[str]:
        host, _, path = self.destination.partition(":")
        parent = (path.rstrip("/").rpartition("/")[0] or ".") + "/"
        try:
            result = _run(
                [
                    "rsync",
                    "--list-only",
                    f"--timeout={NETWORK_TIMEOUT_SECONDS}",
                    f"{host}:{parent}",
                ],
                timeout=NETWORK_TIMEOUT_SECONDS,
            )
        except subprocess.TimeoutExpired:
            return [
                f"deploy target {self.destination}: no answer within {NETWORK_TIMEOUT_SECONDS} s"
            ]
        if result.returncode != 0:
            return [
                f"deploy target {self.destination} cannot be reached: "
                f"{_first_line(result.stderr)} (check the host, your ssh keys and that "
                f"{parent} exists there)"
            ]
        return []

    def _command(self, site: Path, dry_run: bool) -> list[str]:
        command = ["rsync", "--recursive", "--links", "--checksum", "--delete"]
        # Changed files go into place together at the end, deletions after them.
        command += ["--delay-updates", "--delete-delay", "--itemize-changes"]
        command += [f"--timeout={NETWORK_TIMEOUT_SECONDS}"]
        if self.remote:
            command.append("--compress")
        if dry_run:
            command.append("--dry-run")
        # The trailing slash copies the folder's contents, not the folder itself.
        return [*command, f"{site}/", self.destination.rstrip("/") + "/"]

    def plan(self, site: Path) -> Changes:
        return self._transfer(site, dry_run=True)

    def deploy(self, site: Path, progress: StepProgress | None = None) -> Changes:
        if not self.remote:
            Path(self.destination).mkdir(parents=True, exist_ok=True)
        return self._transfer(site, dry_run=False, progress=progress)

    def _transfer(
        self, site: Path, *, dry_run: bool, progress: StepProgress | None = None
    ) -> Changes:
        command = self._command(site, dry_run)
        logger.info("running %s", " ".join(command))
        changes = Changes()
        with subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        ) as process:
            assert process.stdout is not None and process.stderr is not None
            for line in process.stdout:
                _itemized(line.rstrip("\n"), changes)
                if progress is not None:
                    progress(changes.count, 0)
            errors = process.stderr.read()
        if process.returncode != 0:
            raise DeployError(
                f"rsync to {self.destination} failed (exit {process.returncode}): "
                f"{_first_line(errors)}; files already sent wait in rsync's temporary "
                "folder, the live files were not replaced"
            )
        return changes


def _itemized(line: str, changes: Changes) -> None:
    """Count one line of ``rsync --itemize-changes``: ``YXcstpoguax path``."""
    if line.startswith("*deleting"):
        path = line.split(None, 1)[1]
        if not path.endswith("/"):
            changes.removed.append(path)
        return
    flags, _, path = line.partition(" ")
    if len(flags) < 11 or not path or flags[1] == "d" or flags[0] not in "<>ch":
        return
    if "+++++++" in flags:
        changes.added.append(path)
    else:
        changes.changed.append(path)


# -- a git branch (ghp-import) ------------------------------------------------------------


def ghp_import_command() -> str | None:
    """The ghp-import installed with this Python, else one on PATH."""
    beside = Path(sys.executable).parent / "ghp-import"
    return str(beside) if beside.is_file() else shutil.which("ghp-import")


@dataclass
class GitBranch:
    """A branch of a git repository, written by ghp-import and pushed."""

    remote: str
    branch: str
    scratch_root: Path
    project_root: Path
    kind: str = "git"

    @property
    def description(self) -> str:
        return f"branch {self.branch} of {self.remote} (ghp-import)"

    @property
    def url(self) -> str:
        """The remote as git will be given it: a name of the project's remotes is resolved."""
        if re.fullmatch(r"[A-Za-z0-9._-]+", self.remote) and not Path(self.remote).exists():
            result = _run(["git", "-C", str(self.project_root), "remote", "get-url", self.remote])
            if result.returncode == 0 and result.stdout.strip():
                return result.stdout.strip()
        return self.remote

    @property
    def scratch(self) -> Path:
        name = hashlib.sha256(f"{self.url}#{self.branch}".encode()).hexdigest()[:16]
        return self.scratch_root / name

    def preflight(self) -> list[str]:
        problems = []
        if not shutil.which("git"):
            problems.append("git is not installed: install it (apt-get install git)")
        if not ghp_import_command():
            problems.append("ghp-import is not installed: pip install ghp-import (make does it)")
        host = urlsplit(self.url).hostname or self.url.partition(":")[0].rpartition("@")[2]
        if host and is_example_host(host):
            problems.append(
                f"deploy target git:{self.remote} is an example host: set DEPLOY_TARGET or "
                "pass --target"
            )
        if problems:
            return problems
        try:
            result = _run(
                ["git", "ls-remote", "--heads", self.url], timeout=NETWORK_TIMEOUT_SECONDS
            )
        except subprocess.TimeoutExpired:
            return [f"git remote {self.remote}: no answer within {NETWORK_TIMEOUT_SECONDS} s"]
        if result.returncode != 0:
            problems.append(
                f"git remote {self.remote} cannot be reached: {_first_line(result.stderr)} "
                "(check the URL or path and your access)"
            )
        return problems

    def _git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = _run(["git", "-C", str(self.scratch), *args])
        if check and result.returncode != 0:
            raise DeployError(
                f"git {args[0]} for {self.remote} failed: {_first_line(result.stderr)}"
            )
        return result

    def _fetch(self) -> bool:
        """Bring the scratch repository up to date; whether the branch exists there."""
        if not (self.scratch / ".git").is_dir():
            self.scratch.mkdir(parents=True, exist_ok=True)
            self._git("init", "--quiet")
            self._git("remote", "add", "site", self.url)
        else:
            self._git("remote", "set-url", "site", self.url)
        heads = self._git("ls-remote", "--heads", "site", self.branch).stdout
        # A branch deleted on the remote must not come back from a stale copy here.
        self._git("update-ref", "-d", f"refs/remotes/site/{self.branch}", check=False)
        self._git("update-ref", "-d", f"refs/heads/{self.branch}", check=False)
        if not heads.strip():
            return False
        refspec = f"+refs/heads/{self.branch}:refs/remotes/site/{self.branch}"
        self._git("fetch", "--quiet", "site", refspec)
        return True

    def _published(self, exists: bool) -> dict[str, str]:
        """Path → blob id of every file on the branch now."""
        if not exists:
            return {}
        listing = self._git("ls-tree", "-r", "-z", f"refs/remotes/site/{self.branch}").stdout
        blobs = {}
        for entry in filter(None, listing.split("\0")):
            meta, _, path = entry.partition("\t")
            blobs[path] = meta.split()[2]
        return blobs

    def _changes(self, site: Path, exists: bool) -> Changes:
        files = list_files(site)
        names = sorted(files)
        hashed = _run(
            ["git", "hash-object", "--no-filters", "--stdin-paths"],
            input="\n".join(str(files[name]) for name in names),
            cwd=self.scratch,
        )
        if hashed.returncode != 0:
            raise DeployError(f"git hash-object failed: {_first_line(hashed.stderr)}")
        new = dict(zip(names, hashed.stdout.split(), strict=True))
        old = self._published(exists)
        changes = Changes()
        for name in names:
            if name not in old:
                changes.added.append(name)
            elif old[name] != new[name]:
                changes.changed.append(name)
            else:
                changes.unchanged += 1
        changes.removed = sorted(set(old) - set(new))
        return changes

    def _prepare(self, site: Path) -> Changes:
        # GitHub Pages would run Jekyll over the branch and drop files starting with "_".
        (site / ".nojekyll").touch()
        return self._changes(site, self._fetch())

    def plan(self, site: Path) -> Changes:
        return self._prepare(site)

    def deploy(self, site: Path, progress: StepProgress | None = None) -> Changes:
        changes = self._prepare(site)
        if not changes:
            return changes
        command = [ghp_import_command() or "ghp-import", "--push"]
        command += ["--remote", "site", "--branch", self.branch]
        command += ["--message", f"Publish the site ({changes.summary()})", str(site)]
        environment = dict(os.environ)
        # ghp-import writes the commit itself; a machine with no git identity still publishes.
        if not self._git("config", "user.name", check=False).stdout.strip():
            environment.setdefault("GIT_COMMITTER_NAME", "invoke publish")
        if not self._git("config", "user.email", check=False).stdout.strip():
            environment.setdefault("GIT_COMMITTER_EMAIL", "publish@localhost")
        result = _run(command, cwd=self.scratch, env=environment)
        if result.returncode != 0:
            raise DeployError(
                f"ghp-import could not publish to {self.description}: "
                f"{_first_line(result.stderr or result.stdout)}; the branch was not changed"
            )
        if progress is not None:
            progress(changes.count, changes.count)
        return changes


# -- choosing ---------------------------------------------------------------------------


def parse_target(text: str, *, project_root: Path, protected: list[Path]) -> Target:
    """The target ``text`` names (see the module's docstring for the forms)."""
    text = text.strip()
    if text.startswith("git:"):
        remote, _, branch = text.removeprefix("git:").partition("#")
        return GitBranch(
            remote=remote,
            branch=branch or DEFAULT_BRANCH,
            scratch_root=project_root / "var" / "publish" / "git",
            project_root=project_root,
        )
    if text.startswith("rsync:"):
        return Rsync(text.removeprefix("rsync:"), protected)
    if is_remote(text):
        return Rsync(text, protected)
    path = Path(text).expanduser()
    return LocalFolder(path if path.is_absolute() else project_root / path, protected)
