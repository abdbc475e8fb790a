"""The schema, as a list of migrations: each entry upgrades it by one version.

``PRAGMA user_version`` says how many have been applied; :class:`~.db.Database`
applies the rest, each in its own ``BEGIN IMMEDIATE`` transaction, when it opens
the file. Never edit an entry that has shipped: add one.
"""

from __future__ import annotations

import sqlite3

MIGRATIONS: list[str] = [
    # 1: comments, screenings with each signal's result, the append-only decision log, models.
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE comments (
        id TEXT PRIMARY KEY,
        article TEXT NOT NULL,
        reply_to TEXT,
        author TEXT NOT NULL,
        email TEXT,
        author_url TEXT,
        body TEXT NOT NULL,
        status TEXT NOT NULL
            CHECK (status IN ('received', 'approved', 'held', 'spam', 'rejected')),
        origin TEXT NOT NULL,
        received_at TEXT NOT NULL,
        ip TEXT,
        ip_hash TEXT,
        user_agent TEXT,
        user_agent_hash TEXT,
        referrer TEXT,
        language TEXT,
        intake_flags TEXT NOT NULL DEFAULT '[]',
        content_hash TEXT NOT NULL,
        next_check_at TEXT,
        first_failure_at TEXT,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX comments_by_status ON comments (status, received_at);
    CREATE INDEX comments_by_ip ON comments (ip, received_at);
    CREATE INDEX comments_by_email ON comments (email);
    CREATE INDEX comments_by_hash ON comments (content_hash);
    CREATE INDEX comments_by_article ON comments (article);
    CREATE INDEX comments_due ON comments (next_check_at) WHERE next_check_at IS NOT NULL;
    CREATE TABLE screenings (
        id INTEGER PRIMARY KEY,
        comment_id TEXT NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
        screened_at TEXT NOT NULL,
        decision TEXT NOT NULL CHECK (decision IN ('approve', 'hold', 'spam')),
        score REAL,
        reasons TEXT NOT NULL,
        akismet_params TEXT
    );
    CREATE INDEX screenings_by_comment ON screenings (comment_id, id);
    CREATE TABLE signal_results (
        screening_id INTEGER NOT NULL REFERENCES screenings (id) ON DELETE CASCADE,
        signal TEXT NOT NULL,
        score REAL,
        reason TEXT NOT NULL,
        floor TEXT,
        findings TEXT NOT NULL DEFAULT '[]',
        retry INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (screening_id, signal)
    );
    CREATE TABLE decisions (
        id INTEGER PRIMARY KEY,
        comment_id TEXT NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        from_state TEXT,
        to_state TEXT NOT NULL,
        label TEXT CHECK (label IN ('ham', 'spam', 'promo')),
        note TEXT
    );
    CREATE INDEX decisions_by_comment ON decisions (comment_id, id);
    CREATE INDEX decisions_labelled ON decisions (comment_id, id) WHERE label IS NOT NULL;
    CREATE TRIGGER decisions_are_append_only BEFORE UPDATE ON decisions
    BEGIN
        SELECT RAISE(ABORT, 'the decision log is append-only');
    END;
    CREATE TABLE models (
        name TEXT PRIMARY KEY,
        trained_at TEXT NOT NULL,
        examples INTEGER NOT NULL,
        blob BLOB NOT NULL
    );
    """,
    # 2: training examples get a table of their own, so no query of the moderation
    # queue can meet one by forgetting a filter; signal results say how they count.
    """
    ALTER TABLE signal_results ADD COLUMN kind TEXT NOT NULL DEFAULT 'evidence';
    ALTER TABLE signal_results ADD COLUMN weight REAL NOT NULL DEFAULT 0;
    ALTER TABLE signal_results ADD COLUMN sent TEXT;
    CREATE TABLE training_examples (
        id INTEGER PRIMARY KEY,
        article TEXT NOT NULL DEFAULT '',
        author TEXT NOT NULL,
        email TEXT,
        author_url TEXT,
        body TEXT NOT NULL,
        label TEXT NOT NULL CHECK (label IN ('ham', 'spam', 'promo')),
        content_hash TEXT NOT NULL UNIQUE,
        source TEXT NOT NULL,
        added_at TEXT NOT NULL
    );
    CREATE INDEX training_by_email ON training_examples (lower(email));
    INSERT OR IGNORE INTO training_examples
        (article, author, email, author_url, body, label, content_hash, source, added_at)
    SELECT article, author, email, author_url, body, label, content_hash, source, received_at
    FROM (
        SELECT c.*,
            (SELECT d.label FROM decisions d WHERE d.comment_id = c.id AND d.label IS NOT NULL
             ORDER BY d.id DESC LIMIT 1) AS label,
            (SELECT d.actor FROM decisions d WHERE d.comment_id = c.id
             ORDER BY d.id LIMIT 1) AS source
        FROM comments c WHERE c.origin = 'training'
    ) WHERE label IS NOT NULL;
    DELETE FROM comments WHERE origin = 'training';
    """,
    # 3 (issue 10, the review queue as a team tool): moderator accounts, server-side
    # sessions, failed logins for the login limits, the senders' blocklist, and a
    # decision log that knows which action each line belongs to and which it undoes.
    """
    CREATE TABLE moderators (
        name TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        password_changed_at TEXT NOT NULL
    );
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        moderator TEXT NOT NULL REFERENCES moderators (name) ON DELETE CASCADE,
        csrf_token TEXT NOT NULL,
        created_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        flash TEXT
    );
    CREATE INDEX sessions_by_moderator ON sessions (moderator);
    CREATE TABLE login_failures (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        username TEXT NOT NULL,
        address TEXT NOT NULL
    );
    CREATE INDEX login_failures_by_name ON login_failures (username, at);
    CREATE INDEX login_failures_by_address ON login_failures (address, at);
    CREATE TABLE blocklist (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('email', 'domain', 'link_domain', 'ip')),
        value TEXT NOT NULL,
        note TEXT,
        added_by TEXT NOT NULL,
        added_at TEXT NOT NULL,
        UNIQUE (kind, value)
    );
    ALTER TABLE decisions ADD COLUMN action TEXT;
    ALTER TABLE decisions ADD COLUMN action_id TEXT;
    ALTER TABLE decisions ADD COLUMN undoes INTEGER REFERENCES decisions (id);
    CREATE INDEX decisions_by_action ON decisions (action_id) WHERE action_id IS NOT NULL;
    CREATE INDEX decisions_by_actor ON decisions (actor, id) WHERE action_id IS NOT NULL;
    CREATE UNIQUE INDEX decisions_undone ON decisions (undoes) WHERE undoes IS NOT NULL;
    CREATE INDEX decisions_by_time ON decisions (at);
    CREATE INDEX screenings_by_time ON screenings (screened_at);
    """,
    # 4 (issue 11, notifications): the outbox every message is written to in the
    # transaction of the event that causes it; readers' reply subscriptions (double
    # opt-in) with their opaque unsubscribe tokens; addresses that bounced; the
    # single-use one-click moderation links; replies already notified.
    """
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        message_id TEXT NOT NULL UNIQUE,
        channel TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),
        kind TEXT NOT NULL CHECK (kind IN ('held', 'summary', 'confirm', 'reply')),
        recipient TEXT NOT NULL,
        group_key TEXT NOT NULL,
        items TEXT NOT NULL DEFAULT '[]',
        status TEXT NOT NULL DEFAULT 'queued' CHECK (
            status IN ('queued', 'sending', 'retrying', 'sent', 'failed', 'cancelled')),
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        not_before TEXT NOT NULL,
        next_attempt_at TEXT,
        last_error TEXT,
        sent_at TEXT
    );
    CREATE INDEX outbox_by_status ON outbox (status, not_before);
    CREATE INDEX outbox_by_recipient ON outbox (recipient COLLATE NOCASE, kind, group_key);
    CREATE UNIQUE INDEX outbox_one_open_message ON outbox (channel, kind, recipient, group_key)
        WHERE status = 'queued' AND attempts = 0;
    CREATE TABLE subscribers (
        id INTEGER PRIMARY KEY,
        email TEXT NOT NULL UNIQUE COLLATE NOCASE,
        token TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        confirm_sent_at TEXT,
        confirmed_at TEXT,
        unsubscribed_at TEXT
    );
    CREATE TABLE subscribed_threads (
        subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
        article TEXT NOT NULL,
        token TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        unsubscribed_at TEXT,
        PRIMARY KEY (subscriber_id, article)
    );
    CREATE TABLE subscriptions (
        comment_id TEXT PRIMARY KEY REFERENCES comments (id) ON DELETE CASCADE,
        subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
        created_at TEXT NOT NULL
    );
    CREATE INDEX subscriptions_by_subscriber ON subscriptions (subscriber_id);
    CREATE TABLE mail_bounces (
        email TEXT PRIMARY KEY COLLATE NOCASE,
        bounced_at TEXT NOT NULL,
        reason TEXT NOT NULL
    );
    CREATE TABLE action_links (
        nonce TEXT PRIMARY KEY,
        message_id TEXT NOT NULL,
        comment_id TEXT NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
        moderator TEXT NOT NULL,
        created_at TEXT NOT NULL,
        used_at TEXT,
        used_action TEXT,
        UNIQUE (message_id, comment_id)
    );
    CREATE TABLE notified_replies (
        comment_id TEXT PRIMARY KEY REFERENCES comments (id) ON DELETE CASCADE,
        notified_at TEXT NOT NULL,
        recipients INTEGER NOT NULL
    );
    """,
    # 5 (issue 13, readers): authors' edits and withdrawals through their private link,
    # every earlier version kept; the opt-in to a hosted avatar; received Webmentions
    # (one row per source and target, re-checked when the source sends it again).
    """
    ALTER TABLE comments ADD COLUMN edited_at TEXT;
    ALTER TABLE comments ADD COLUMN withdrawn_at TEXT;
    ALTER TABLE comments ADD COLUMN avatar_opt_in INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE comment_revisions (
        id INTEGER PRIMARY KEY,
        comment_id TEXT NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
        at TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('edit', 'withdraw')),
        actor TEXT NOT NULL,
        status TEXT NOT NULL,
        author TEXT NOT NULL,
        author_url TEXT,
        body TEXT NOT NULL
    );
    CREATE INDEX comment_revisions_by_comment ON comment_revisions (comment_id, id);
    CREATE TABLE webmentions (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        target TEXT NOT NULL,
        article TEXT NOT NULL,
        received_at TEXT NOT NULL,
        sender_ip TEXT,
        state TEXT NOT NULL DEFAULT 'pending'
            CHECK (state IN ('pending', 'verified', 'refused', 'gone')),
        kind TEXT CHECK (kind IN ('reply', 'mention', 'like', 'repost')),
        comment_id TEXT REFERENCES comments (id) ON DELETE SET NULL,
        checked_at TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        problem TEXT,
        UNIQUE (source, target)
    );
    CREATE INDEX webmentions_pending ON webmentions (received_at) WHERE state = 'pending';
    CREATE INDEX webmentions_by_comment ON webmentions (comment_id);
    """,
    # 6: the generation of what the learned model learns from. Every change to it (a
    # label, an undo, an edited or erased comment, a training example added or erased)
    # moves it on, in the transaction that makes the change; a saved model keeps the
    # generation it was trained from, and a retrain that overlapped a newer one does
    # not overwrite that one's model with older data.
    """
    CREATE TABLE training_generation (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        value INTEGER NOT NULL
    );
    INSERT INTO training_generation (id, value) VALUES (1, 0);
    ALTER TABLE models ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;
    CREATE TRIGGER training_changes_by_label AFTER INSERT ON decisions
    WHEN NEW.label IS NOT NULL OR NEW.undoes IS NOT NULL
    BEGIN
        UPDATE training_generation SET value = value + 1;
    END;
    CREATE TRIGGER training_changes_by_edit AFTER UPDATE OF author, author_url, body
    ON comments
    BEGIN
        UPDATE training_generation SET value = value + 1;
    END;
    CREATE TRIGGER training_changes_by_erasure AFTER DELETE ON comments
    BEGIN
        UPDATE training_generation SET value = value + 1;
    END;
    CREATE TRIGGER training_changes_by_example AFTER INSERT ON training_examples
    BEGIN
        UPDATE training_generation SET value = value + 1;
    END;
    CREATE TRIGGER training_changes_by_erased_example AFTER DELETE ON training_examples
    BEGIN
        UPDATE training_generation SET value = value + 1;
    END;
    """,
    # 7 (review of issue 11): a reader confirms each thread they follow, so whoever types
    # a confirmed address into another article's form does not sign it up for that one;
    # a confirmation goes out at most once a day per thread. Threads followed before
    # keep what their address had confirmed.
    """
    ALTER TABLE subscribed_threads ADD COLUMN confirmed_at TEXT;
    ALTER TABLE subscribed_threads ADD COLUMN confirm_sent_at TEXT;
    UPDATE subscribed_threads SET confirmed_at = (
        SELECT s.confirmed_at FROM subscribers s WHERE s.id = subscribed_threads.subscriber_id);
    """,
    # 8: a comment deleted on the blog's old system (WordPress's trash, a deleted Disqus
    # post) is a moderator's rejection, which a moderator here may restore; imports
    # before marked the ones others had replied to as withdrawn by their authors, which
    # nobody may restore and whose tombstone said the author had asked. Only an import
    # of an export did that (no imported comment has a private link to withdraw it by).
    """
    UPDATE comments SET withdrawn_at = NULL
    WHERE origin = 'import' AND withdrawn_at IS NOT NULL
    AND EXISTS (SELECT 1 FROM decisions d WHERE d.comment_id = comments.id
                AND d.actor IN ('import-wordpress', 'import-disqus'))
    AND NOT EXISTS (SELECT 1 FROM comment_revisions r WHERE r.comment_id = comments.id
                    AND r.kind = 'withdraw');
    """,
]


def split_sql(script: str) -> list[str]:
    """Split a migration into statements (triggers contain ';' inside BEGIN ... END)."""
    statements, current = [], []
    for line in script.strip().splitlines():
        current.append(line)
        candidate = "\n".join(current).strip()
        if candidate.endswith(";") and sqlite3.complete_statement(candidate):
            statements.append(candidate)
            current = []
    if "\n".join(current).strip():
        statements.append("\n".join(current).strip())
    return statements
