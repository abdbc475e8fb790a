"""One exception hierarchy for the moderation package.

Every error a user can cause derives from :class:`ModerationError`; the CLI turns
them into a one-line message and ``exit_code``, the web app into a 4xx answer.
"""

from __future__ import annotations


class ModerationError(Exception):
    """Base class: something the user can fix, with a message that says what."""

    exit_code = 1


class SettingsError(ModerationError):
    """A settings file or a ``COMMENTS_*`` environment variable is malformed."""

    exit_code = 2


class StoreError(ModerationError):
    """The database cannot be opened or migrated."""


class UnknownComment(ModerationError):
    """No comment has this id."""

    def __init__(self, comment_id: str) -> None:
        super().__init__(f"unknown comment id {comment_id!r}")
        self.comment_id = comment_id


class InvalidTransition(ModerationError):
    """A state change the workflow does not allow (e.g. restoring an approved comment)."""


class CommentChanged(ModerationError):
    """A moderator's action names a version of a comment's text that is no longer its text
    (its author edited it since the page showed it): nothing is done."""

    def __init__(self, comment_id: str, message: str) -> None:
        super().__init__(message)
        self.comment_id = comment_id


class ValidationError(ModerationError):
    """A submission field is missing or malformed; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class InputError(ModerationError):
    """A line of an input file is malformed; the message names the file and line."""
