-- Evidence records and their chain of custody ([6/11]). The content is a file under the data
-- directory, addressed by its SHA-256; the database holds what it is, who holds it, and every
-- hand-over with the hash observed at that moment.
CREATE TABLE evidence (
    id             TEXT PRIMARY KEY,
    description    TEXT NOT NULL,
    filename       TEXT,
    media_type     TEXT NOT NULL,
    size           BIGINT NOT NULL,
    sha256         TEXT NOT NULL,
    storage        TEXT NOT NULL,
    owner_org      TEXT NOT NULL,
    custodian_org  TEXT NOT NULL,
    custodian      TEXT NOT NULL,
    restricted     BIGINT NOT NULL,
    case_ref       TEXT,
    state          TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX evidence_custodian ON evidence(custodian_org);
CREATE INDEX evidence_case ON evidence(case_ref);

CREATE TABLE evidence_custody (
    evidence_id    TEXT NOT NULL REFERENCES evidence(id),
    seq            BIGINT NOT NULL,
    action         TEXT NOT NULL,
    from_party     TEXT NOT NULL,
    to_party       TEXT NOT NULL,
    to_org         TEXT,
    reason         TEXT NOT NULL,
    sha256_seen    TEXT NOT NULL,
    hash_ok        BIGINT NOT NULL,
    recorded_by    TEXT NOT NULL,
    at             BIGINT NOT NULL,
    PRIMARY KEY (evidence_id, seq)
);
