-- Atalaya schema v1 (SQLite). Timestamps: BIGINT microseconds since the Unix epoch, UTC.
-- Identifiers: UUID text. Booleans: 0/1. Structured content: JSON text.
CREATE TABLE node_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE states (
    code       TEXT PRIMARY KEY,
    name_en    TEXT NOT NULL,
    name_es    TEXT NOT NULL,
    name_pt    TEXT NOT NULL,
    name_fr    TEXT NOT NULL,
    oas_member INTEGER NOT NULL
);

CREATE TABLE organisations (
    id         TEXT PRIMARY KEY,
    name_key   TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    country    TEXT,
    tlp        TEXT NOT NULL,
    home       INTEGER NOT NULL DEFAULT 0,
    body       TEXT NOT NULL,
    version    INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX organisations_country ON organisations(country);

CREATE TABLE constituency (
    org_id TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    kind   TEXT NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (org_id, kind, value)
);
CREATE INDEX constituency_value ON constituency(kind, value);

CREATE TABLE contacts (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    tlp        TEXT NOT NULL,
    body       TEXT NOT NULL,
    version    INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX contacts_org ON contacts(org_id);

CREATE TABLE directory_history (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    org_id    TEXT NOT NULL,
    version   INTEGER NOT NULL,
    action    TEXT NOT NULL,
    actor     TEXT NOT NULL,
    at        INTEGER NOT NULL,
    content   TEXT
);
CREATE INDEX directory_history_entity ON directory_history(entity_id, version);
CREATE INDEX directory_history_org ON directory_history(org_id, seq);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT,
    org_id        TEXT NOT NULL REFERENCES organisations(id),
    role          TEXT NOT NULL,
    password_hash TEXT,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX users_org ON users(org_id);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    revoked_at   INTEGER,
    last_used_at INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE login_failures (
    key TEXT NOT NULL,
    at  INTEGER NOT NULL
);
CREATE INDEX login_failures_key ON login_failures(key, at);

CREATE TABLE audit_log (
    seq         INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    object_kind TEXT NOT NULL,
    object_id   TEXT,
    source      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);

CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
