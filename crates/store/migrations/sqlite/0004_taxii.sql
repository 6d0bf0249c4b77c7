-- TAXII 2.1: operator-defined collections (views over the node's objects by TLP, type and
-- sector) and the status resources of TAXII adds (kept so GET status/{id} works later).
CREATE TABLE taxii_collections (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    description TEXT,
    alias       TEXT UNIQUE,
    max_tlp     INTEGER,
    types       TEXT,
    sectors     TEXT,
    read_only   INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    created_by  TEXT NOT NULL
);

CREATE TABLE taxii_status (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    org_id     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    body       TEXT NOT NULL
);
