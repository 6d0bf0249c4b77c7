-- Warninglists (MISP format), full-text search, sightings and sectors of STIX objects.
CREATE TABLE warninglists (
    name       TEXT PRIMARY KEY,
    enabled    BIGINT NOT NULL,
    entries    BIGINT NOT NULL,
    body       TEXT NOT NULL,
    added_at   BIGINT NOT NULL,
    added_by   TEXT NOT NULL
);
ALTER TABLE stix_objects ADD COLUMN sighting_of TEXT;
ALTER TABLE stix_objects ADD COLUMN sectors TEXT;
-- Only sightings have sighting_of: a partial index, untouched by every other insert. Lookups by
-- stix_id use the UNIQUE (stix_id, version) index (stix_id is its prefix): no second index.
CREATE INDEX stix_objects_sighting_of ON stix_objects(sighting_of) WHERE sighting_of IS NOT NULL;
CREATE TABLE stix_search (
    seq BIGINT PRIMARY KEY,
    doc tsvector NOT NULL
);
CREATE INDEX stix_search_doc ON stix_search USING GIN (doc);
