-- CSAF 2.0 advisories ([7/11] §3). The document is kept verbatim (`document`, JSON text); the
-- other columns and tables are what Atalaya reads out of it to search and decide: tracking,
-- TLP, the flattened product tree (vendor → product → version: the supply chain), CVEs, sectors.
-- Every version ever stored is kept in `advisory_versions`.
CREATE TABLE advisories (
    id                   TEXT PRIMARY KEY,
    publisher_namespace  TEXT NOT NULL,
    tracking_id          TEXT NOT NULL,
    publisher_name       TEXT NOT NULL,
    category             TEXT NOT NULL,
    title                TEXT NOT NULL,
    lang                 TEXT,
    version              TEXT NOT NULL,
    status               TEXT NOT NULL,
    initial_release      TEXT NOT NULL,
    current_release      TEXT NOT NULL,
    tlp                  TEXT NOT NULL,
    owner_org            TEXT NOT NULL,
    created_by           TEXT NOT NULL,
    created_user         TEXT,
    authored             BIGINT NOT NULL,
    author_input         TEXT,
    document             TEXT NOT NULL,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL,
    UNIQUE (publisher_namespace, tracking_id)
);
CREATE INDEX advisories_tlp ON advisories(tlp);
CREATE INDEX advisories_release ON advisories(current_release);

CREATE TABLE advisory_versions (
    advisory_id  TEXT NOT NULL REFERENCES advisories(id),
    version      TEXT NOT NULL,
    document     TEXT NOT NULL,
    recorded_at  BIGINT NOT NULL,
    PRIMARY KEY (advisory_id, version)
);

CREATE TABLE advisory_products (
    advisory_id  TEXT NOT NULL REFERENCES advisories(id),
    product_id   TEXT NOT NULL,
    name         TEXT NOT NULL,
    vendor       TEXT,
    product      TEXT,
    version      TEXT,
    PRIMARY KEY (advisory_id, product_id)
);
CREATE INDEX advisory_products_vendor ON advisory_products(vendor);

CREATE TABLE advisory_cves (
    advisory_id  TEXT NOT NULL REFERENCES advisories(id),
    cve          TEXT NOT NULL,
    PRIMARY KEY (advisory_id, cve)
);
CREATE INDEX advisory_cves_cve ON advisory_cves(cve);

CREATE TABLE advisory_sectors (
    advisory_id  TEXT NOT NULL REFERENCES advisories(id),
    sector       TEXT NOT NULL,
    PRIMARY KEY (advisory_id, sector)
);

-- Links to incident cases and STIX indicators of this node (kept beside the document, not in it).
CREATE TABLE advisory_links (
    advisory_id  TEXT NOT NULL REFERENCES advisories(id),
    kind         TEXT NOT NULL,
    target       TEXT NOT NULL,
    PRIMARY KEY (advisory_id, kind, target)
);

-- Per-prefix counters of authored tracking ids (ATALAYA-UY-2026-0001…).
CREATE TABLE advisory_sequences (
    prefix  TEXT PRIMARY KEY,
    last    BIGINT NOT NULL
);
