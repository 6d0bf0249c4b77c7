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
    interval_secs   BIGINT,
    enabled         BIGINT NOT NULL,
    run_as          TEXT,
    created_at      BIGINT NOT NULL,
    created_by      TEXT NOT NULL,
    cursor          TEXT,
    last_run_at     BIGINT,
    last_success_at BIGINT,
    last_error      TEXT,
    last_fetched    BIGINT NOT NULL,
    total_fetched   BIGINT NOT NULL,
    lease_until     BIGINT
);
CREATE INDEX taxii_feeds_url ON taxii_feeds (url, collection);
