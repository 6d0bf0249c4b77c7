-- Federation (docs/federation.md): peers and their cursors, origin signatures of stored object
-- versions (stix_objects itself is not altered), retractions/directory entries to forward,
-- the peers each object was delivered to, organisations hosted by other nodes.
CREATE TABLE fed_peers (
    node_id        TEXT PRIMARY KEY,
    url            TEXT NOT NULL,
    name           TEXT NOT NULL,
    country        TEXT,
    fingerprint    TEXT NOT NULL,
    state          TEXT NOT NULL,
    relay          BIGINT NOT NULL DEFAULT 0,
    via            TEXT,
    key_expires_at BIGINT,
    message        TEXT,
    out_acked      TEXT,
    in_cursor      TEXT,
    last_error     TEXT,
    last_error_at  BIGINT,
    last_contact   BIGINT,
    last_delivery  BIGINT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE TABLE fed_origins (
    stix_id        TEXT NOT NULL,
    version        TEXT NOT NULL,
    seq            BIGINT NOT NULL,
    origin         TEXT NOT NULL,
    owner_org      TEXT NOT NULL,
    tlp            BIGINT NOT NULL,
    distribution   TEXT NOT NULL,
    signature      TEXT NOT NULL,
    received_from  TEXT,
    narrowed       TEXT,
    retracted      BIGINT NOT NULL DEFAULT 0,
    deleted        BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (stix_id, version)
);
CREATE INDEX fed_origins_seq ON fed_origins(seq);
CREATE TABLE fed_events (
    pos BIGSERIAL PRIMARY KEY,
    kind           TEXT NOT NULL,
    subject        TEXT NOT NULL,
    origin         TEXT NOT NULL,
    digest         TEXT NOT NULL UNIQUE,
    received_from  TEXT,
    item           TEXT NOT NULL,
    created_at     BIGINT NOT NULL
);
CREATE INDEX fed_events_subject ON fed_events(subject);
CREATE TABLE fed_delivered (
    stix_id TEXT NOT NULL,
    peer    TEXT NOT NULL,
    PRIMARY KEY (stix_id, peer)
);
CREATE TABLE fed_remote_orgs (
    org_id   TEXT PRIMARY KEY,
    node_id  TEXT NOT NULL,
    country  TEXT,
    version  BIGINT NOT NULL,
    entry    TEXT NOT NULL
);
