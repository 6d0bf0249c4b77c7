-- The registry of confidence-building measures ([7/11] §2): national policies and strategies
-- (OAS CBM 1), policy-level and foreign-affairs points of contact (CBMs 2–3), implementation
-- reports per CBM, voluntary reports on the 11 norms of the UN GGE 2015 report. One table: the
-- kind says which; `body` holds the kind's fields (JSON, validated by the services).
-- `visibility` is `public` or `network`. Removed entries stay on record (`removed_at`).
CREATE TABLE cbm_items (
    id           TEXT PRIMARY KEY,
    state        TEXT NOT NULL,
    kind         TEXT NOT NULL,
    topic        TEXT NOT NULL,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    visibility   TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    removed_at   BIGINT,
    removed_by   TEXT
);
CREATE INDEX cbm_items_state ON cbm_items(state, kind);
