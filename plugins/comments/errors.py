"""The plugin's errors: one base class, and one for a bad comment file."""

from __future__ import annotations


class CommentsError(Exception):
    """Base class: anything that makes the comments plugin fail the build."""


class CommentsSettingsError(CommentsError):
    """A ``COMMENTS_*`` setting (or the environment variable overriding it) is invalid."""


class CommentFileError(CommentsError):
    """A comment file is unusable; the message names the file and the problem."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem
