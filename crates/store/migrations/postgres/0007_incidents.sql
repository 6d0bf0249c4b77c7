-- Cross-border incident cases, their participants, observables, timeline, tasks, attachments;
-- the notification outbox; events imported from CSV feeds.
CREATE TABLE incidents (
    id              TEXT PRIMARY KEY,
    origin_node     TEXT NOT NULL,
    reporting_org   TEXT NOT NULL REFERENCES organisations(id),
    reporting_state TEXT,
    tlp             TEXT NOT NULL,
    severity        BIGINT NOT NULL,
    exercise        BIGINT NOT NULL,
    phase           TEXT NOT NULL,
    core            TEXT NOT NULL,
    version         BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX incidents_updated ON incidents(updated_at);
CREATE TABLE incident_participants (
    incident_id     TEXT NOT NULL REFERENCES incidents(id),
    org_id          TEXT NOT NULL,
    state           TEXT,
    status          TEXT NOT NULL,
    body            TEXT NOT NULL,
    notified_at     BIGINT NOT NULL,
    acknowledged_at BIGINT,
    mitigated_at    BIGINT,
    ack_due         BIGINT,
    update_due      BIGINT,
    escalated_at    BIGINT,
    PRIMARY KEY (incident_id, org_id)
);
CREATE INDEX incident_participants_org ON incident_participants(org_id);
CREATE INDEX incident_participants_due ON incident_participants(status, escalated_at);
CREATE TABLE incident_observables (
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    kind        TEXT NOT NULL,
    value       TEXT NOT NULL,
    added_at    BIGINT NOT NULL,
    PRIMARY KEY (incident_id, kind, value)
);
CREATE TABLE incident_timeline (
    seq         BIGSERIAL PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    at          BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    org_id      TEXT,
    kind        TEXT NOT NULL,
    text        TEXT NOT NULL
);
CREATE INDEX incident_timeline_case ON incident_timeline(incident_id, seq);
CREATE TABLE incident_tasks (
    id          TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    body        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX incident_tasks_case ON incident_tasks(incident_id);
CREATE TABLE incident_attachments (
    id          TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    meta        TEXT NOT NULL,
    content     TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX incident_attachments_case ON incident_attachments(incident_id);
CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    channel         TEXT NOT NULL,
    incident_id     TEXT,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT
);
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
CREATE TABLE feed_events (
    dedup_key   TEXT PRIMARY KEY,
    observed_at BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    value       TEXT NOT NULL,
    state       TEXT,
    org_id      TEXT,
    basis       TEXT NOT NULL,
    source      TEXT NOT NULL,
    imported_at BIGINT NOT NULL
);
CREATE INDEX feed_events_state ON feed_events(state);
