"""Versioned schema. Append new steps; never edit a released one."""
from __future__ import annotations

import sqlite3

import sqlite_utils

_V1_INITIAL = """
        CREATE TABLE papers (
            key TEXT PRIMARY KEY,
            arxiv_id TEXT UNIQUE,
            title TEXT NOT NULL,
            norm_title TEXT NOT NULL,
            abstract TEXT,
            authors TEXT NOT NULL DEFAULT '[]',
            published TEXT,
            categories TEXT NOT NULL DEFAULT '[]',
            upvotes INTEGER,
            venue TEXT,
            hf_url TEXT,
            code_url TEXT,
            project_url TEXT,
            github_stars INTEGER,
            ai_summary TEXT,
            ai_keywords TEXT NOT NULL DEFAULT '[]',
            source TEXT,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL
        );
        CREATE INDEX papers_norm_title ON papers(norm_title);
        CREATE INDEX papers_first_seen ON papers(first_seen);

        CREATE VIRTUAL TABLE papers_fts USING fts5(
            title, abstract, authors,
            content='papers', content_rowid='rowid',
            tokenize='porter unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER papers_ai AFTER INSERT ON papers BEGIN
            INSERT INTO papers_fts(rowid, title, abstract, authors)
            VALUES (new.rowid, new.title, new.abstract, new.authors);
        END;
        CREATE TRIGGER papers_ad AFTER DELETE ON papers BEGIN
            INSERT INTO papers_fts(papers_fts, rowid, title, abstract, authors)
            VALUES ('delete', old.rowid, old.title, old.abstract, old.authors);
        END;
        CREATE TRIGGER papers_au AFTER UPDATE OF title, abstract, authors ON papers BEGIN
            INSERT INTO papers_fts(papers_fts, rowid, title, abstract, authors)
            VALUES ('delete', old.rowid, old.title, old.abstract, old.authors);
            INSERT INTO papers_fts(rowid, title, abstract, authors)
            VALUES (new.rowid, new.title, new.abstract, new.authors);
        END;

        CREATE TABLE daily_lists (
            date TEXT NOT NULL,
            source TEXT NOT NULL,
            rank INTEGER NOT NULL,
            paper_key TEXT NOT NULL REFERENCES papers(key),
            upvotes INTEGER,
            PRIMARY KEY (date, source, paper_key)
        );

        CREATE TABLE channels (
            id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL,
            workspace TEXT NOT NULL DEFAULT '',
            channel TEXT NOT NULL,
            daily_time TEXT NOT NULL DEFAULT '09:00',
            tz TEXT NOT NULL DEFAULT 'UTC',
            top_n INTEGER NOT NULL DEFAULT 10,
            min_upvotes INTEGER NOT NULL DEFAULT 0,
            filter TEXT,
            sources TEXT NOT NULL DEFAULT 'hf',
            thread_per_paper INTEGER NOT NULL DEFAULT 0,
            enabled INTEGER NOT NULL DEFAULT 1,
            created TEXT NOT NULL,
            updated TEXT NOT NULL,
            UNIQUE (platform, workspace, channel)
        );

        CREATE TABLE subscriptions (
            id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL,
            workspace TEXT NOT NULL DEFAULT '',
            owner TEXT NOT NULL,
            channel TEXT NOT NULL DEFAULT '',
            notify TEXT NOT NULL DEFAULT 'dm',
            query TEXT NOT NULL,
            created TEXT NOT NULL
        );
        CREATE INDEX subscriptions_owner ON subscriptions(platform, workspace, owner);

        CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY,
            dedupe_key TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            platform TEXT NOT NULL,
            workspace TEXT NOT NULL DEFAULT '',
            channel TEXT NOT NULL DEFAULT '',
            user TEXT,
            mode TEXT NOT NULL DEFAULT 'channel',
            payload TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            last_error TEXT,
            external_id TEXT,
            note TEXT,
            created TEXT NOT NULL,
            sent_at TEXT
        );
        CREATE INDEX deliveries_due ON deliveries(status, next_attempt_at);

        CREATE TABLE state (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
"""

# (name, SQL script). Each runs in one transaction together with its _migrations row.
MIGRATIONS: list[tuple[str, str]] = [
    ("0001_initial", _V1_INITIAL),
    # arXiv-category digests select by publication date.
    ("0002_papers_published_index", "CREATE INDEX papers_published ON papers(published);"),
    # Alert keys name the subscription id, so an id must never be handed out twice.
    ("0003_subscription_ids_never_reused", """
        CREATE TABLE subscriptions_new (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            platform TEXT NOT NULL,
            workspace TEXT NOT NULL DEFAULT '',
            owner TEXT NOT NULL,
            channel TEXT NOT NULL DEFAULT '',
            notify TEXT NOT NULL DEFAULT 'dm',
            query TEXT NOT NULL,
            created TEXT NOT NULL
        );
        INSERT INTO subscriptions_new SELECT id, platform, workspace, owner, channel, notify, query, created
            FROM subscriptions;
        DELETE FROM sqlite_sequence WHERE name = 'subscriptions_new';
        INSERT INTO sqlite_sequence (name, seq)
            SELECT 'subscriptions_new', max(
                coalesce((SELECT max(id) FROM subscriptions), 0),
                coalesce((SELECT max(CAST(substr(dedupe_key, 7, instr(substr(dedupe_key, 7), ':') - 1) AS INTEGER))
                          FROM deliveries WHERE dedupe_key LIKE 'alert:%'), 0));
        DROP TABLE subscriptions;
        ALTER TABLE subscriptions_new RENAME TO subscriptions;
        CREATE INDEX subscriptions_owner ON subscriptions(platform, workspace, owner);
    """),
    # FTS5 writes its pending terms out as a new segment whenever they pass 'hashsize' (1 MiB by
    # default), and every segment is merged again later: an import transaction of 20,000 papers
    # was written as many small segments, with 128 MiB it is written as one, and the 304k corpus
    # imports ~1.3x faster (bench/RESULTS.md). Small transactions still flush at their commit.
    ("0004_fts_larger_pending_terms", "INSERT INTO papers_fts(papers_fts, rank) VALUES ('hashsize', 134217728);"),
    # Titles are compared by the words every subsystem shares (paperboy.bot.text): possessive 's
    # dropped, ø/ł/ß written o/l/ss. Only titles with an apostrophe or a non-ASCII character can
    # change. normalize_title() is the store's SQL function of the same name.
    ("0005_titles_in_the_shared_word_form", """
        UPDATE papers SET norm_title = normalize_title(title)
        WHERE (title GLOB '*[^ -~]*' OR instr(title, char(39)) > 0) AND norm_title IS NOT normalize_title(title);
    """),
    # Claims are leases: a process holds a delivery until lease_until and renews it while it
    # sends; any process takes over an expired one. Claims an older paperboy left 'sending' are
    # expired at once, so the first worker to look sends them again (with their delivery key).
    ("0006_delivery_leases", """
        ALTER TABLE deliveries ADD COLUMN lease_owner TEXT;
        ALTER TABLE deliveries ADD COLUMN lease_until TEXT;
        UPDATE deliveries SET lease_until = '0000-00-00T00:00:00Z' WHERE status = 'sending';
        CREATE INDEX deliveries_leases ON deliveries(status, lease_until);
    """),
    # Which papers have been matched against the subscriptions: set in the transaction that
    # enqueues their alerts, so a crash between storing news and alerting on it resumes where it
    # stopped. Papers already stored were matched (or imported, which never alerts).
    ("0007_papers_matched", """
        ALTER TABLE papers ADD COLUMN matched INTEGER NOT NULL DEFAULT 1;
        CREATE INDEX papers_unmatched ON papers(matched) WHERE matched = 0;
    """),
    # Title changes, in order, so in-memory title indexes can follow them (the FTS index follows
    # by its own triggers).
    ("0008_title_changes", """
        CREATE TABLE title_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, paper_rowid INTEGER NOT NULL);
        CREATE TRIGGER papers_title_changed AFTER UPDATE OF title ON papers
        WHEN old.norm_title IS NOT new.norm_title BEGIN
            INSERT INTO title_changes (paper_rowid) VALUES (new.rowid);
        END;
    """),
    # A channel whose daily post keeps failing for good (paperboy was removed from it) is paused
    # with the reason, instead of failing again every day; /digest config resumes it.
    ("0009_channels_paused", """
        ALTER TABLE channels ADD COLUMN paused TEXT;
    """),
    # When a delivery was settled (sent, failed, cancelled, skipped): for retention and `stats`.
    ("0010_deliveries_settled_at", """
        ALTER TABLE deliveries ADD COLUMN settled_at TEXT;
        UPDATE deliveries SET settled_at = coalesce(sent_at, next_attempt_at) WHERE status NOT IN ('pending', 'sending');
        CREATE INDEX deliveries_settled ON deliveries(status, settled_at);
    """),
    # Leases on jobs one process per database runs (the leader), and pacing slots shared by every
    # process (arXiv's one request every 3 seconds).
    ("0011_leases_and_slots", """
        CREATE TABLE leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, until TEXT NOT NULL);
        CREATE TABLE pacing (name TEXT PRIMARY KEY, next_free REAL NOT NULL);
    """),
    # The key of the message a delivery went out in, when it went out with others (bundled alerts):
    # sent again after an interruption, the same deliveries go together again under the same key,
    # so the platform (or the adapter's own look) recognises the repeat.
    ("0012_deliveries_bundle", """
        ALTER TABLE deliveries ADD COLUMN bundle TEXT;
    """),
    # What arXiv's bulk metadata carries besides the basics, and withdrawn papers (deleted records
    # of an OAI-PMH harvest): kept, so a later import does not bring them back as answers.
    ("0013_papers_arxiv_metadata", """
        ALTER TABLE papers ADD COLUMN doi TEXT;
        ALTER TABLE papers ADD COLUMN journal_ref TEXT;
        ALTER TABLE papers ADD COLUMN comments TEXT;
        ALTER TABLE papers ADD COLUMN updated TEXT;
        ALTER TABLE papers ADD COLUMN withdrawn INTEGER NOT NULL DEFAULT 0;
    """),
    # Titles are compared without their LaTeX markup ("$\\mathcal N=4$" is "n 4"): titles holding a
    # backslash get their compared form again.
    ("0014_titles_compared_without_latex", """
        UPDATE papers SET norm_title = normalize_title(title)
        WHERE instr(title, char(92)) > 0 AND norm_title IS NOT normalize_title(title);
    """),
    # A reader's own list of papers (/saved), per platform and user. A paper stored without an id
    # that its arXiv record takes over keeps its place in every list (ON UPDATE CASCADE).
    ("0015_saved_papers", """
        CREATE TABLE saved_papers (
            platform TEXT NOT NULL,
            workspace TEXT NOT NULL DEFAULT '',
            owner TEXT NOT NULL,
            paper_key TEXT NOT NULL REFERENCES papers(key) ON UPDATE CASCADE,
            saved_at TEXT NOT NULL,
            PRIMARY KEY (platform, workspace, owner, paper_key)
        );
    """),
    # Which posts a channel gets (day, week, month: any of them, comma-separated), the weekday of
    # the weekly one, and how many days the daily list lags behind (1: yesterday's, on settled upvotes).
    ("0016_channel_schedules", """
        ALTER TABLE channels ADD COLUMN every TEXT NOT NULL DEFAULT 'day';
        ALTER TABLE channels ADD COLUMN week_day TEXT NOT NULL DEFAULT 'mon';
        ALTER TABLE channels ADD COLUMN lag_days INTEGER NOT NULL DEFAULT 0;
    """),
    # Papers per month matching a query (trend charts): the month's papers are read from this index
    # alone, without their rows (which carry the abstracts), and checked against the full-text matches.
    ("0017_papers_by_month", """
        CREATE INDEX IF NOT EXISTS papers_by_month ON papers(published, withdrawn, upvotes, categories);
    """),
    # The names papers go by ("LoRA", "ViT"), mined from their titles and abstracts
    # (paperboy.bot.search.aliases) when they are stored. Papers already stored get theirs from
    # the store's backfill_aliases, in steps, up to the newest paper stored now.
    ("0018_paper_aliases", """
        CREATE TABLE paper_aliases (
            alias TEXT NOT NULL,
            paper_rowid INTEGER NOT NULL,
            kind TEXT NOT NULL,
            strength INTEGER NOT NULL,
            expansion TEXT NOT NULL DEFAULT '',
            dated TEXT,
            PRIMARY KEY (alias, paper_rowid)
        ) WITHOUT ROWID;
        CREATE INDEX paper_aliases_by_paper ON paper_aliases(paper_rowid);
        INSERT OR REPLACE INTO state (name, value)
            SELECT 'aliases_backfill_end', CAST(rowid AS TEXT) FROM papers WHERE rowid = (SELECT max(rowid) FROM papers);
    """),
    # Sentence embeddings of title + abstract (the semantic extra), one compact blob per paper:
    # a float32 scale then int8 components. Rows are committed batch by batch, so an interrupted
    # embedding resumes where it stopped.
    ("0019_paper_vectors", """
        CREATE TABLE IF NOT EXISTS paper_vectors (paper_rowid INTEGER PRIMARY KEY, vec BLOB NOT NULL);
    """),
    # Names are mined by more rules (a technical report's name, "Gemma 3", "termed the X model") and
    # dated by the arXiv id when a paper has no date: every stored paper's names are mined again
    # by the backfill (each paper's are replaced, so a backfill under way simply starts over).
    ("0020_aliases_mined_again", """
        DELETE FROM state WHERE name = 'aliases_backfill_done';
        INSERT OR REPLACE INTO state (name, value)
            SELECT 'aliases_backfill_end', CAST(rowid AS TEXT) FROM papers WHERE rowid = (SELECT max(rowid) FROM papers);
    """),
    # A paper whose title or abstract changes (a new arXiv version) loses its sentence vector, so
    # the background embedder makes it again from what the paper says now.
    ("0021_vectors_follow_the_text", """
        CREATE TRIGGER papers_text_changed AFTER UPDATE OF title, abstract ON papers
        WHEN old.title IS NOT new.title OR old.abstract IS NOT new.abstract BEGIN
            DELETE FROM paper_vectors WHERE paper_rowid = new.rowid;
        END;
    """),
    # Vectors are numbered in the order they are written, so a search index holding them follows
    # a paper embedded again (its text changed) as well as new ones; a paper's rowid cannot tell.
    ("0022_vectors_in_written_order", """
        ALTER TABLE paper_vectors ADD COLUMN written_seq INTEGER;
        UPDATE paper_vectors SET written_seq = paper_rowid;
        CREATE INDEX paper_vectors_by_written_seq ON paper_vectors(written_seq);
    """),
    # Names are mined by the core, not by the store: a paper stored with a new or changed text waits
    # in names_pending until the core hands its names over. The papers a backfill under way had
    # still to cover (0018, 0020) wait there too.
    ("0023_names_pending", """
        CREATE TABLE IF NOT EXISTS names_pending (paper_rowid INTEGER PRIMARY KEY);
        INSERT OR IGNORE INTO names_pending (paper_rowid)
            SELECT rowid FROM papers
            WHERE rowid <= coalesce((SELECT CAST(value AS INTEGER) FROM state WHERE name = 'aliases_backfill_end'), 0)
            AND rowid > coalesce((SELECT CAST(value AS INTEGER) FROM state WHERE name = 'aliases_backfill_done'), 0);
        DELETE FROM state WHERE name IN ('aliases_backfill_end', 'aliases_backfill_done');
    """),
    # Weekly and monthly posts are kinds of their own (paperboy.bot.kinds); they were stored as daily.
    ("0024_weekly_and_monthly_kinds", """
        UPDATE deliveries SET kind = 'weekly' WHERE dedupe_key >= 'weekly:' AND dedupe_key < 'weekly;';
        UPDATE deliveries SET kind = 'monthly' WHERE dedupe_key >= 'monthly:' AND dedupe_key < 'monthly;';
    """),
]


def apply(db: sqlite_utils.Database) -> list[str]:
    """Run every step not yet recorded, each in its own transaction. Returns the names run.

    Several processes may open a new database at once (a fleet starting, a health check beside
    `paperboy run`): each step is taken under the write lock and skipped if another process
    recorded it meanwhile."""
    db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied TEXT NOT NULL)")
    done = {row[0] for row in db.execute("SELECT name FROM _migrations").fetchall()}
    ran = []
    for name, step in MIGRATIONS:
        if name in done:
            continue
        conn = db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("SELECT 1 FROM _migrations WHERE name = ?", (name,)).fetchone() is None:
                for statement in _statements(step):
                    conn.execute(statement)
                conn.execute("INSERT INTO _migrations (name, applied) VALUES (?, datetime('now'))", (name,))
                ran.append(name)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.rollback()
            raise
    return ran


def _statements(script: str) -> list[str]:
    """`script` cut into whole statements (a trigger's body keeps its semicolons)."""
    statements, pending = [], ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                statements.append(pending.strip())
            pending = ""
    if pending.strip(" \n;"):
        raise ValueError(f"an unfinished statement in a migration: {pending.strip()[:80]}")
    return statements
