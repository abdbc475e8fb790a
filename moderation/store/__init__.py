"""The store: one SQLite file that owns every piece of moderation state.

Like Isso's ``db`` package, it is a few small classes, one per concern, composed
by :class:`Store`, and every SQL statement of the project lives in this package:

- :mod:`.db`: the connection, write transactions (nested ones are savepoints);
- :mod:`.migrations`: the schema, one migration per version;
- :mod:`.comments` (``store.comments``): comments with their request context;
- :mod:`.decisions` (``store.decisions``): moderators' actions, the append-only log;
- :mod:`.screenings` (``store.screenings``): verdicts with every signal's result,
  and the recheck schedule;
- :mod:`.training` (``store.training``): labelled examples given to ``train``;
- :mod:`.trained` (``store.trained``): the learned model's blob, and the generation of
  the data it learned from;
- :mod:`.keys` (``store.keys``): the site's secret and keyed hashes;
- :mod:`.privacy` (``store.privacy``): retention and erasure;
- :mod:`.users` (``store.users``): moderator accounts and failed logins;
- :mod:`.sessions` (``store.sessions``): moderators' login sessions;
- :mod:`.blocklist` (``store.blocklist``): blocked senders;
- :mod:`.authors` (``store.authors``): a sender's earlier comments;
- :mod:`.stats` (``store.stats``): counts for the stats page;
- :mod:`.outbox` (``store.outbox``): messages to send, and one-click moderation links;
- :mod:`.subscriptions` (``store.subscriptions``): readers' reply subscriptions, bounces;
- :mod:`.revisions` (``store.revisions``): authors' edits and withdrawals, earlier versions;
- :mod:`.mentions` (``store.mentions``): received Webmentions and their checks.

Nothing is deleted except by retention (which only blanks request context) and
erasure. One :class:`Store` belongs to one thread.
"""

from __future__ import annotations

import os
from pathlib import Path

from .authors import Authors
from .blocklist import BlockEntry, BlockKind, Blocklist
from .comments import Comments
from .db import BUSY_TIMEOUT_SECONDS, Database
from .decisions import ActionRecord, DecisionEntry, Decisions, UndoError
from .keys import Keys
from .mentions import Mention, Mentions
from .outbox import Outbox
from .privacy import Privacy
from .revisions import Revision, Revisions
from .screenings import ScreeningRecord, Screenings
from .sessions import SessionRecord, Sessions
from .stats import Stats
from .subscriptions import Subscriptions
from .trained import StoredModel, TrainedModels
from .training import TrainingExamples
from .users import Moderator, Users

__all__ = [
    "ActionRecord",
    "BlockEntry",
    "BlockKind",
    "DecisionEntry",
    "Mention",
    "Moderator",
    "Revision",
    "ScreeningRecord",
    "SessionRecord",
    "Store",
    "StoredModel",
    "UndoError",
    "default_db_path",
]

DEFAULT_DB = Path("var") / "moderation.db"


def default_db_path() -> Path:
    """``MODERATION_DB`` from the environment, else ``var/moderation.db``."""
    return Path(os.environ.get("MODERATION_DB") or DEFAULT_DB)


class Store(Database):
    """The moderation database. Open with ``Store(path)`` or ``with Store(path) as store``."""

    def __init__(
        self,
        path: str | Path,
        *,
        timeout: float = BUSY_TIMEOUT_SECONDS,
        synchronous: str = "NORMAL",
    ) -> None:
        super().__init__(path, timeout=timeout, synchronous=synchronous)
        self.keys = Keys(self)
        self.comments = Comments(self)
        self.decisions = Decisions(self)
        self.screenings = Screenings(self)
        self.training = TrainingExamples(self)
        self.trained = TrainedModels(self)
        self.privacy = Privacy(self, self.keys)
        self.users = Users(self)
        self.sessions = Sessions(self)
        self.blocklist = Blocklist(self)
        self.authors = Authors(self)
        self.stats = Stats(self)
        self.outbox = Outbox(self)  # issue 11: messages to send, one-click links
        self.subscriptions = Subscriptions(self)  # issue 11: readers' reply notifications
        self.revisions = Revisions(self)  # issue 13: authors' edits and withdrawals
        self.mentions = Mentions(self)  # issue 13: received Webmentions

    def __enter__(self) -> Store:
        return self
