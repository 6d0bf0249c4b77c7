-- STIX 2.1 objects: every version kept; seq is the node's monotonic "added" sequence
-- (TAXII and federation cursors); added_at strictly increases with seq.
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('stix_seq', 0), ('stix_added_at', 0);

CREATE TABLE stix_objects (
    seq          BIGINT PRIMARY KEY,
    stix_id      TEXT NOT NULL,
    version      TEXT NOT NULL,
    type         TEXT NOT NULL,
    spec_version TEXT NOT NULL,
    tlp          BIGINT NOT NULL,
    owner_org    TEXT NOT NULL,
    added_at     BIGINT NOT NULL,
    revoked      BIGINT NOT NULL DEFAULT 0,
    distribution TEXT,
    body         TEXT NOT NULL,
    UNIQUE (stix_id, version)
);
CREATE INDEX stix_objects_type ON stix_objects(type, seq);
CREATE INDEX stix_objects_added ON stix_objects(added_at);
