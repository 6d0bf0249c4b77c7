-- Warninglists (MISP format), full-text search, sightings and sectors of STIX objects.
CREATE TABLE warninglists (
    name       TEXT PRIMARY KEY,
    enabled    INTEGER NOT NULL,
    entries    INTEGER NOT NULL,
    body       TEXT NOT NULL,
    added_at   INTEGER NOT NULL,
    added_by   TEXT NOT NULL
);
ALTER TABLE stix_objects ADD COLUMN sighting_of TEXT;
ALTER TABLE stix_objects ADD COLUMN sectors TEXT;
CREATE INDEX stix_objects_sighting_of ON stix_objects(sighting_of);
CREATE INDEX stix_objects_id ON stix_objects(stix_id);
CREATE VIRTUAL TABLE stix_search USING fts5(text, content='', tokenize='unicode61');
