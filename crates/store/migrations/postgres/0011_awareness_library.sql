-- Public awareness campaigns and the knowledge library ([7/11] §4–5).
-- Campaigns: text per language (en/es/pt/fr) in `translations` (JSON); only TLP:CLEAR ones are
-- ever published on the public pages.
CREATE TABLE awareness_campaigns (
    id            TEXT PRIMARY KEY,
    tlp           TEXT NOT NULL,
    owner_org     TEXT NOT NULL,
    created_user  TEXT,
    created_by    TEXT NOT NULL,
    translations  TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX awareness_campaigns_tlp ON awareness_campaigns(tlp, updated_at);

-- Library: documents, playbooks, training material; language versions in `translations` (JSON).
CREATE TABLE library_items (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    category      TEXT NOT NULL,
    tlp           TEXT NOT NULL,
    owner_org     TEXT NOT NULL,
    created_user  TEXT,
    created_by    TEXT NOT NULL,
    review_date   TEXT NOT NULL,
    translations  TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX library_items_category ON library_items(category);
-- Full text of every language version (accents folded before indexing and querying).
CREATE TABLE library_search (
    item_id  TEXT PRIMARY KEY REFERENCES library_items(id),
    doc      tsvector NOT NULL
);
CREATE INDEX library_search_doc ON library_search USING GIN (doc);
