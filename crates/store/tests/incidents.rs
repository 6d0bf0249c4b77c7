//! Store conformance of incident cases, the outbox and feed events, on every backend.
//!
//! Run: `ATALAYA_TEST_DATABASE_URL=postgres://… cargo test -p atalaya-store --test incidents`
use atalaya_model::directory::{Name, OrganisationBody};
use atalaya_model::incident::{
    Attachment, IncidentCore, NewIncident, Observable, Participant, ParticipationStatus, StatusChange, Task, TimelineEntry,
};
use atalaya_model::time_util::{rfc3339, to_micros};
use atalaya_store::incidents::{FeedEventRow, NewIncidentRow, ParticipantRow};
use atalaya_store::{Store, StoreError, StoreOptions};
use atalaya_testkit::{fresh_database, on_all_backends, Backend};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

async fn open(backend: Backend) -> (Store, String, tempfile::TempDir) {
    let dir = tempfile::Builder::new().prefix("atalaya-store-inc-").tempdir().expect("tempdir");
    let url = fresh_database(backend, dir.path()).await;
    let store = Store::open(&url, StoreOptions::default()).await.expect("open");
    (store, url, dir)
}

async fn org(store: &Store, name: &str, cc: &str) -> Uuid {
    let now = OffsetDateTime::now_utc();
    let mut tx = store.begin().await.expect("begin");
    let body = OrganisationBody::bootstrap(name.parse::<Name>().expect("name"), Some(cc.parse().expect("cc")));
    let o = tx.org_insert(&body, false, "test", now).await.expect("org");
    tx.commit().await.expect("commit");
    o.id
}

fn core(exercise: bool) -> IncidentCore {
    let n: NewIncident = serde_json::from_value(serde_json::json!({
        "title": "Phishing wave against ministries", "rsit": "rsit:fraud=\"phishing\"", "severity": 3,
        "sectors": ["government"], "exercise": exercise, "affected_states": ["PY", "AR"]
    }))
    .expect("valid case");
    IncidentCore::from_new(&n)
}

fn participant(org: Uuid, cc: &str, now: OffsetDateTime, ack_in: Duration) -> ParticipantRow {
    ParticipantRow {
        body: Participant {
            org_id: org,
            org_name: "CSIRT".into(),
            state: Some(cc.parse().expect("cc")),
            status: ParticipationStatus::Notified,
            reason: None,
            history: vec![StatusChange { status: ParticipationStatus::Notified, at: rfc3339(now), actor: "t".into(), reason: None }],
            ack_due: Some(rfc3339(now + ack_in)),
            update_due: Some(rfc3339(now + ack_in * 4)),
            escalated_at: None,
        },
        notified_at: to_micros(now),
        acknowledged_at: None,
        mitigated_at: None,
        ack_due: Some(to_micros(now + ack_in)),
        update_due: Some(to_micros(now + ack_in * 4)),
        escalated_at: None,
    }
}

on_all_backends!(case_round_trip_and_versions, |backend| async move {
    let (store, _url, _dir) = open(backend).await;
    let a = org(&store, "CSIRT A", "UY").await;
    let b = org(&store, "CSIRT B", "PY").await;
    let now = OffsetDateTime::now_utc();
    let id = Uuid::new_v4();
    let obs: Vec<Observable> = ["198.51.100.7", "evil.example.py", "AS64500", "198.51.100.7"].iter().map(|s| s.parse().expect("obs")).collect();
    let mut tx = store.begin().await.expect("begin");
    tx.incident_insert(&NewIncidentRow { id, origin_node: "FP".into(), reporting_org: a, reporting_state: Some("UY".parse().expect("cc")), core: core(false) }, now)
        .await
        .expect("insert");
    assert_eq!(tx.incident_add_observables(id, &obs, now).await.expect("obs"), 3, "the duplicate is stored once");
    tx.participant_put(id, &participant(b, "PY", now, Duration::hours(4))).await.expect("participant");
    let e = TimelineEntry { id: Uuid::new_v4(), at: rfc3339(now), actor: "user:x".into(), org_id: Some(a), kind: "note".into(), text: "first".into() };
    tx.timeline_append(id, &e, now).await.expect("timeline");
    let task = Task { id: Uuid::new_v4(), title: "Take down".parse().expect("t"), assignee: b, due: None, done: false, created_at: rfc3339(now), created_by: "x".into() };
    tx.task_put(id, &task, now).await.expect("task");
    let att = Attachment { id: Uuid::new_v4(), filename: "mail.eml".into(), media_type: "message/rfc822".into(), size: 3, sha256: "ab".into(), created_at: rfc3339(now), created_by: "x".into() };
    tx.attachment_insert(id, &att, "YWJj", now).await.expect("attachment");
    tx.commit().await.expect("commit");

    let got = store.incident_get(id).await.expect("get").expect("present");
    assert_eq!(got.core, core(false));
    assert_eq!(got.observables.len(), 3);
    assert_eq!(got.participants.len(), 1);
    assert_eq!(got.participants[0].org_id, b);
    assert_eq!(got.tasks, vec![task.clone()]);
    assert_eq!(got.attachments[0].filename, "mail.eml");
    assert_eq!(store.incident_attachment(id, att.id).await.expect("att").map(|(_, c)| c), Some("YWJj".into()));
    assert_eq!(store.incident_timeline(id).await.expect("tl")[0].text, "first");
    assert_eq!(got.version, 1);

    // Optimistic concurrency on the core; touch bumps the version.
    let mut tx = store.begin().await.expect("begin");
    let mut c2 = core(false);
    c2.severity = atalaya_model::incident::Severity::new(4).expect("sev");
    assert_eq!(tx.incident_update_core(id, 1, &c2, now).await.expect("update"), 2);
    assert!(matches!(tx.incident_update_core(id, 1, &c2, now).await, Err(StoreError::Stale(_))));
    tx.incident_touch(id, now).await.expect("touch");
    tx.commit().await.expect("commit");
    let got = store.incident_get(id).await.expect("get").expect("present");
    assert_eq!((got.version, got.core.severity.value()), (3, 4));
    let list = store.incident_list().await.expect("list");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].participants.len(), 1);
    assert!(store.incident_get(Uuid::new_v4()).await.expect("get").is_none());
});

on_all_backends!(deadlines_and_statistics, |backend| async move {
    let (store, _url, _dir) = open(backend).await;
    let a = org(&store, "CSIRT A", "UY").await;
    let b = org(&store, "CSIRT B", "PY").await;
    let c = org(&store, "CSIRT C", "AR").await;
    let t0 = OffsetDateTime::now_utc();
    let (real, drill) = (Uuid::new_v4(), Uuid::new_v4());
    let mut tx = store.begin().await.expect("begin");
    for (id, ex) in [(real, false), (drill, true)] {
        tx.incident_insert(&NewIncidentRow { id, origin_node: "FP".into(), reporting_org: a, reporting_state: None, core: core(ex) }, t0).await.expect("insert");
        tx.participant_put(id, &participant(b, "PY", t0, Duration::hours(1))).await.expect("b");
        tx.participant_put(id, &participant(c, "AR", t0, Duration::hours(4))).await.expect("c");
    }
    tx.commit().await.expect("commit");
    assert!(store.incident_overdue(t0).await.expect("overdue").is_empty());
    let later = t0 + Duration::hours(2);
    let due = store.incident_overdue(later).await.expect("overdue");
    assert_eq!(due.len(), 2, "B on both cases");
    assert!(due.iter().all(|o| o.org_id == b && o.deadline == "acknowledge"));

    // B acknowledges the real case; escalation of the drill is recorded.
    let mut tx = store.begin().await.expect("begin");
    let mut row = tx.participant_get(real, b).await.expect("get").expect("b");
    row.body.status = ParticipationStatus::Acknowledged;
    row.acknowledged_at = Some(to_micros(t0 + Duration::minutes(30)));
    tx.participant_put(real, &row).await.expect("put");
    let mut row = tx.participant_get(drill, b).await.expect("get").expect("b");
    row.escalated_at = Some(to_micros(later));
    tx.participant_put(drill, &row).await.expect("put");
    tx.commit().await.expect("commit");
    assert!(store.incident_overdue(later).await.expect("overdue").is_empty());
    let much_later = t0 + Duration::hours(5);
    let due = store.incident_overdue(much_later).await.expect("overdue");
    let mut kinds: Vec<_> = due.iter().map(|o| (o.org_id == b, o.deadline)).collect();
    kinds.sort();
    assert_eq!(kinds, vec![(false, "acknowledge"), (false, "acknowledge"), (true, "first-update")]);

    let facts = store.incident_facts().await.expect("facts");
    assert_eq!(facts.len(), 2, "the exercise is left out");
    assert!(facts.iter().all(|f| f.incident_id == real));
    let fb = facts.iter().find(|f| f.state.as_deref() == Some("PY")).expect("PY");
    assert_eq!(fb.acknowledged_at.map(|a| a - fb.notified_at), Some(30 * 60 * 1_000_000));
});

on_all_backends!(outbox_survives_reopen_and_retries, |backend| async move {
    let (store, url, _dir) = open(backend).await;
    let now = OffsetDateTime::now_utc();
    let mut tx = store.begin().await.expect("begin");
    let id = tx.outbox_enqueue("email", None, "cert@example.org", "[Atalaya] test", "signed body", now).await.expect("enqueue");
    tx.commit().await.expect("commit");
    store.close().await;
    let store = Store::open(&url, StoreOptions::default()).await.expect("reopen");
    let due = store.outbox_due(now, 10).await.expect("due");
    assert_eq!(due.len(), 1);
    assert_eq!((due[0].id, due[0].payload.as_str(), due[0].status.as_str()), (id, "signed body", "pending"));
    assert!(store.outbox_claim(id, now, Duration::minutes(5)).await.expect("claim"));
    assert!(!store.outbox_claim(id, now, Duration::minutes(5)).await.expect("claim"), "claimed once");
    store.outbox_failed(id, "connection refused", Some(now + Duration::seconds(30))).await.expect("failed");
    assert!(store.outbox_due(now, 10).await.expect("due").is_empty());
    let again = store.outbox_due(now + Duration::seconds(31), 10).await.expect("due");
    assert_eq!((again.len(), again[0].attempts, again[0].last_error.as_deref()), (1, 1, Some("connection refused")));
    store.outbox_sent(id, now).await.expect("sent");
    let all = store.outbox_list(None).await.expect("list");
    assert_eq!((all[0].status.as_str(), all[0].attempts), ("sent", 2));
    assert!(store.outbox_due(now + Duration::days(1), 10).await.expect("due").is_empty());
    // Giving up.
    let mut tx = store.begin().await.expect("begin");
    let id2 = tx.outbox_enqueue("webhook", None, "http://127.0.0.1:9/", "incident.created", "{}", now).await.expect("enqueue");
    tx.commit().await.expect("commit");
    store.outbox_failed(id2, "HTTP 500", None).await.expect("failed");
    let l = store.outbox_list(None).await.expect("list");
    assert_eq!(l.iter().find(|i| i.id == id2).map(|i| i.status.as_str()), Some("failed"));
});

on_all_backends!(feed_events_are_stored_once, |backend| async move {
    let (store, _url, _dir) = open(backend).await;
    let now = OffsetDateTime::now_utc();
    let rows: Vec<FeedEventRow> = (0..1000)
        .map(|i| FeedEventRow {
            dedup_key: format!("k{}", i % 900),
            observed_at: i,
            kind: "ip",
            value: format!("192.0.2.{}", i % 250),
            state: if i % 2 == 0 { Some("UY".into()) } else { None },
            org_id: None,
            basis: "ip-country",
        })
        .collect();
    let mut tx = store.begin().await.expect("begin");
    assert_eq!(tx.feed_insert(&rows, "feed.csv", now).await.expect("insert"), 900);
    assert_eq!(tx.feed_insert(&rows, "feed.csv", now).await.expect("insert"), 0);
    tx.commit().await.expect("commit");
    assert_eq!(store.feed_event_count().await.expect("count"), 900);
    let by = store.feed_events_by_state().await.expect("by state");
    assert_eq!(by.iter().map(|(_, n)| n).sum::<i64>(), 900);
});
