-- TAXII 2.1 client: remote feeds pulled on a schedule (or by hand), each with its cursor
-- (the last committed X-TAXII-Date-Added-Last) and the status of its last run. A pull stores
-- objects first and advances the cursor after, so a failed pull loses nothing and resumes.
CREATE TABLE taxii_feeds (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    url             TEXT NOT NULL,
    collection      TEXT NOT NULL,
    auth_kind       TEXT NOT NULL,
    username        TEXT,
    secret          TEXT,
    interval_secs   INTEGER,
    enabled         INTEGER NOT NULL,
    run_as          TEXT,
    created_at      INTEGER NOT NULL,
    created_by      TEXT NOT NULL,
    cursor          TEXT,
    last_run_at     INTEGER,
    last_success_at INTEGER,
    last_error      TEXT,
    last_fetched    INTEGER NOT NULL,
    total_fetched   INTEGER NOT NULL,
    lease_until     INTEGER
);
CREATE INDEX taxii_feeds_url ON taxii_feeds (url, collection);
