"""SQLite schema as an ordered list of migrations.

Each migration runs once, in order, inside one transaction; the store records
the highest applied version in ``PRAGMA user_version``.  To change the
schema, append a migration: never edit one that has shipped.
"""

MIGRATIONS: list[str] = [
    # 1: articles, ledger, dedup, stories, summaries, full-text search
    """
    CREATE TABLE articles (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        title TEXT,
        outlet TEXT,
        url TEXT,
        published TEXT,
        published_source TEXT NOT NULL DEFAULT 'none',
        language TEXT,
        place TEXT,
        text TEXT NOT NULL,
        removed_json TEXT NOT NULL DEFAULT '[]',
        content_hash TEXT NOT NULL,
        source_ref TEXT NOT NULL DEFAULT '',
        meta_json TEXT NOT NULL DEFAULT '{}',
        added_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    CREATE INDEX articles_hash ON articles(content_hash);
    CREATE INDEX articles_published ON articles(published);
    CREATE INDEX articles_outlet ON articles(outlet);

    CREATE TABLE ledger (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL,
        ref TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'duplicate', 'rejected')),
        reason TEXT NOT NULL DEFAULT '',
        article_id TEXT,
        at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    CREATE INDEX ledger_ref ON ledger(ref);
    CREATE INDEX ledger_outcome ON ledger(outcome);

    CREATE TABLE outlet_lines (
        outlet TEXT NOT NULL,
        line_hash TEXT NOT NULL,
        line TEXT NOT NULL,
        doc_count INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (outlet, line_hash)
    );

    CREATE TABLE fingerprints (
        article_id TEXT PRIMARY KEY REFERENCES articles(id),
        content_hash TEXT NOT NULL,
        n_shingles INTEGER NOT NULL,
        minhash BLOB
    );
    CREATE TABLE dup_links (
        article_id TEXT PRIMARY KEY REFERENCES articles(id),
        canonical_id TEXT NOT NULL REFERENCES articles(id),
        kind TEXT NOT NULL CHECK (kind IN ('exact', 'near-duplicate', 'reprint')),
        similarity REAL NOT NULL
    );
    CREATE INDEX dup_links_canonical ON dup_links(canonical_id);
    CREATE TABLE passages (
        article_id TEXT NOT NULL REFERENCES articles(id),
        source_id TEXT NOT NULL REFERENCES articles(id),
        sentence TEXT NOT NULL,
        source_sentence TEXT NOT NULL,
        similarity REAL NOT NULL,
        direction TEXT NOT NULL DEFAULT 'shared'
    );
    CREATE INDEX passages_article ON passages(article_id);
    CREATE INDEX passages_source ON passages(source_id);

    CREATE TABLE stories (
        id TEXT PRIMARY KEY,
        headline TEXT NOT NULL DEFAULT '',
        first_published TEXT,
        last_published TEXT,
        state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'dormant', 'merged')),
        size INTEGER NOT NULL DEFAULT 0,
        centroid BLOB,
        meta_json TEXT NOT NULL DEFAULT '{}',
        updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    CREATE TABLE story_articles (
        article_id TEXT PRIMARY KEY REFERENCES articles(id),
        story_id TEXT NOT NULL REFERENCES stories(id),
        score REAL,
        reason TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX story_articles_story ON story_articles(story_id);
    CREATE TABLE story_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        story_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        detail_json TEXT NOT NULL DEFAULT '{}',
        at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    CREATE TABLE summaries (
        story_id TEXT PRIMARY KEY REFERENCES stories(id),
        briefing_json TEXT NOT NULL,
        story_version TEXT NOT NULL,
        updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );

    CREATE VIRTUAL TABLE articles_fts USING fts5(
        title, text, content='articles', content_rowid='seq', tokenize='porter unicode61'
    );
    CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts(rowid, title, text) VALUES (new.seq, new.title, new.text);
    END;
    CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.seq, old.title, old.text);
    END;
    CREATE TRIGGER articles_au AFTER UPDATE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.seq, old.title, old.text);
        INSERT INTO articles_fts(rowid, title, text) VALUES (new.seq, new.title, new.text);
    END;
    CREATE VIRTUAL TABLE stories_fts USING fts5(story_id UNINDEXED, headline, summary, tokenize='porter unicode61');
    """,
    # 2: indexes the web pages page through (newest activity first; filters)
    """
    CREATE INDEX IF NOT EXISTS stories_last_published ON stories(last_published);
    CREATE INDEX IF NOT EXISTS stories_size ON stories(size);
    """,
    # 3: dedup — exact-copy lookup by normalized content hash; the thresholds a store's links were built with
    """
    CREATE INDEX IF NOT EXISTS fingerprints_content_hash ON fingerprints(content_hash);
    CREATE TABLE IF NOT EXISTS dedup_settings (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 4: stories — articles the stories stage could not place (no usable text), and why
    """
    CREATE TABLE IF NOT EXISTS story_skips (
        article_id TEXT PRIMARY KEY REFERENCES articles(id),
        reason TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS story_events_story ON story_events(story_id);
    """,
    # 5: passages between articles of the same story — which articles were compared with their story-mates
    """
    CREATE TABLE IF NOT EXISTS passage_checks (
        article_id TEXT PRIMARY KEY REFERENCES articles(id),
        story_id TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS passages_pair ON passages(article_id, source_id);
    """,
    # 6: stories — document frequencies of the online index (the background IDF survives a restart)
    """
    CREATE TABLE IF NOT EXISTS story_df (
        term TEXT PRIMARY KEY,
        df INTEGER NOT NULL
    );
    """,
    # 7: represent — each article's dense vector, computed once and reused by placement, refold and fold;
    #    input_hash finds another article with exactly the same model input (the same title and lead)
    """
    CREATE TABLE IF NOT EXISTS article_vectors (
        article_id TEXT PRIMARY KEY REFERENCES articles(id),
        encoder TEXT NOT NULL,
        input_hash TEXT NOT NULL DEFAULT '',
        vector BLOB NOT NULL
    );
    CREATE INDEX IF NOT EXISTS article_vectors_input ON article_vectors(encoder, input_hash);
    """,
    # 8: summaries — each article's named entities, extracted once (not on every story rebuild)
    """
    CREATE TABLE IF NOT EXISTS article_entities (
        article_id TEXT PRIMARY KEY REFERENCES articles(id),
        model TEXT NOT NULL,
        entities_json TEXT NOT NULL
    );
    """,
    # 9: clean — per-outlet line counts written as one row per outlet and batch ({line_hash: articles}), a
    #    line's count being the sum over its rows: a row per line took a write at a random place in a table
    #    as large as the corpus for every line of every article
    """
    CREATE TABLE IF NOT EXISTS outlet_line_counts (
        seq INTEGER PRIMARY KEY,
        outlet TEXT NOT NULL,
        counts_json TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS outlet_line_counts_outlet ON outlet_line_counts(outlet);
    INSERT INTO outlet_line_counts (outlet, counts_json)
        SELECT outlet, json_group_object(line_hash, doc_count) FROM outlet_lines GROUP BY outlet;
    DROP TABLE outlet_lines;
    """,
    # 10: summaries — what spaCy finds in each distinct paragraph (key: a hash of its text), parsed once for every
    #     article that has it: reprints and wire copies share paragraphs
    """
    CREATE TABLE IF NOT EXISTS paragraph_analyses (
        hash TEXT NOT NULL,
        model TEXT NOT NULL,
        analysis_json TEXT NOT NULL,
        PRIMARY KEY (hash, model)
    ) WITHOUT ROWID;
    """,
    # 11: updates — an article's earlier texts, kept when a new text of the same article replaces it (same URL,
    #     or same source file and id); ``origin`` is the real path of the file an article was read from (empty
    #     for stdin, the API and stores from before), which that rule compares
    """
    ALTER TABLE articles ADD COLUMN origin TEXT NOT NULL DEFAULT '';
    CREATE TABLE IF NOT EXISTS article_versions (
        article_id TEXT NOT NULL REFERENCES articles(id),
        version INTEGER NOT NULL,
        title TEXT,
        outlet TEXT,
        url TEXT,
        published TEXT,
        published_source TEXT NOT NULL DEFAULT 'none',
        language TEXT,
        place TEXT,
        text TEXT NOT NULL,
        removed_json TEXT NOT NULL DEFAULT '[]',
        content_hash TEXT NOT NULL,
        source_ref TEXT NOT NULL DEFAULT '',
        origin TEXT NOT NULL DEFAULT '',
        meta_json TEXT NOT NULL DEFAULT '{}',
        added_at TEXT NOT NULL,
        replaced_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        PRIMARY KEY (article_id, version)
    );
    CREATE INDEX IF NOT EXISTS article_versions_hash ON article_versions(content_hash);
    """,
    # 12: summaries — each distinct sentence's MiniLM vector (key: a hash of its text), encoded once for the
    #     restatement tests (citations, additions, redundancy) of every briefing that asks about it
    """
    CREATE TABLE IF NOT EXISTS sentence_vectors (
        hash TEXT NOT NULL,
        model TEXT NOT NULL,
        vector BLOB NOT NULL,
        PRIMARY KEY (hash, model)
    ) WITHOUT ROWID;
    """,
]
