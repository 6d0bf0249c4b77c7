//! Federation tables of the store, on every backend: peers and cursors, origin signatures
//! (idempotent by stix id + version), events (idempotent by digest, ordered), delivered sets,
//! hosts of remote organisations (newer versions only), downgrades of distribution.
//!
//! Run: `ATALAYA_TEST_DATABASE_URL=postgres://… cargo test -p atalaya-store --test federation`
use atalaya_model::Tlp;
use atalaya_store::federation::{OriginRecord, PeerRecord, RemoteOrg};
use atalaya_store::{NewStixObject, Store, StoreOptions};
use atalaya_testkit::{fresh_database, Backend};
use time::OffsetDateTime;
use uuid::Uuid;

async fn store(b: Backend) -> (Store, tempfile::TempDir) {
    let dir = tempfile::Builder::new().prefix("atalaya-store-fed-").tempdir().expect("tempdir");
    let url = fresh_database(b, dir.path()).await;
    (Store::open(&url, StoreOptions::default()).await.expect("open"), dir)
}

fn peer(id: &str, state: &str) -> PeerRecord {
    PeerRecord {
        node_id: id.into(),
        url: format!("https://{id}.example"),
        name: format!("node {id}"),
        country: Some("UY".into()),
        fingerprint: format!("FP{id}"),
        state: state.into(),
        relay: false,
        via: None,
        key_expires_at: None,
        message: Some("hello".into()),
        out_acked: None,
        in_cursor: None,
        last_error: None,
        last_error_at: None,
        last_contact: None,
        last_delivery: None,
        created_at: 1,
        updated_at: 1,
    }
}

fn origin(stix_id: &str, version: &str, seq: i64) -> OriginRecord {
    OriginRecord {
        stix_id: stix_id.into(),
        version: version.into(),
        seq,
        origin: "A".into(),
        owner_org: Uuid::from_u128(7),
        tlp: 1,
        distribution: r#"{"network":true}"#.into(),
        signature: "sig".into(),
        received_from: Some("R".into()),
        narrowed: None,
        retracted: false,
        deleted: false,
    }
}

async fn peers_cursors_and_errors(b: Backend) {
    let (s, _d) = store(b).await;
    let mut tx = s.begin().await.expect("begin");
    tx.fed_peer_put(&peer("B", "requested")).await.expect("put");
    tx.fed_peer_put(&peer("C", "pending")).await.expect("put");
    tx.commit().await.expect("commit");
    let mut tx = s.begin().await.expect("begin");
    let mut p = tx.fed_peer("B").await.expect("get").expect("B");
    p.state = "active".into();
    tx.fed_peer_put(&p).await.expect("upsert");
    tx.fed_peer_acked("B", "10.2", 99).await.expect("acked");
    tx.fed_peer_applied("B", "5.1").await.expect("applied");
    tx.commit().await.expect("commit");
    s.fed_peer_error("B", Some("cannot reach"), 100).await.expect("error");
    s.fed_peer_contact("B", 101).await.expect("contact");
    let p = s.fed_peer("B").await.expect("get").expect("B");
    assert_eq!((p.state.as_str(), p.out_acked.as_deref(), p.in_cursor.as_deref()), ("active", Some("10.2"), Some("5.1")));
    assert_eq!((p.last_error.as_deref(), p.last_error_at, p.last_contact, p.last_delivery), (Some("cannot reach"), Some(100), Some(101), Some(99)));
    s.fed_peer_error("B", None, 102).await.expect("clear");
    assert_eq!(s.fed_peer("B").await.expect("get").expect("B").last_error, None);
    assert_eq!(s.fed_peers().await.expect("list").len(), 2);
    // Rolled back: nothing half-written.
    let mut tx = s.begin().await.expect("begin");
    tx.fed_peer_delete("C").await.expect("delete");
    drop(tx);
    assert_eq!(s.fed_peers().await.expect("list").len(), 2);
    let mut tx = s.begin().await.expect("begin");
    assert!(tx.fed_peer_delete("C").await.expect("delete"));
    tx.commit().await.expect("commit");
    assert!(s.fed_peer("C").await.expect("get").is_none());
}

async fn origins_events_and_delivery(b: Backend) {
    let (s, _d) = store(b).await;
    let mut tx = s.begin().await.expect("begin");
    assert!(tx.fed_origin_insert(&origin("indicator--1", "v1", 3)).await.expect("insert"));
    assert!(!tx.fed_origin_insert(&origin("indicator--1", "v1", 3)).await.expect("again"), "idempotent");
    assert!(tx.fed_origin_insert(&origin("indicator--1", "v2", 5)).await.expect("insert"));
    assert!(tx.fed_origin_insert(&origin("indicator--2", "v1", 4)).await.expect("insert"));
    assert_eq!(tx.fed_owner_of("indicator--1").await.expect("owner").as_deref(), Some("A"));
    let p1 = tx.fed_event_insert("retraction", "indicator--1", "A", "d1", None, "{}", 1).await.expect("event");
    let again = tx.fed_event_insert("retraction", "indicator--1", "A", "d1", None, "{}", 1).await.expect("event");
    let p2 = tx.fed_event_insert("directory_entry", "org", "A", "d2", Some("R"), "{}", 2).await.expect("event");
    assert!(p1.is_some() && again.is_none() && p2 > p1);
    tx.fed_delivered_add(&["indicator--1", "indicator--2"], "B").await.expect("delivered");
    tx.fed_delivered_add(&["indicator--1"], "B").await.expect("delivered twice");
    tx.fed_delivered_add(&["indicator--1"], "C").await.expect("delivered");
    tx.commit().await.expect("commit");
    let after: Vec<(String, i64)> = s.fed_origins_after(3, 10).await.expect("after").into_iter().map(|o| (o.version, o.seq)).collect();
    assert_eq!(after, vec![("v1".to_string(), 4), ("v2".to_string(), 5)]);
    assert_eq!(s.fed_delivered_to("indicator--1").await.expect("delivered"), vec!["B".to_string(), "C".to_string()]);
    assert_eq!(s.fed_events_after(0, 10).await.expect("events").len(), 2);
    assert_eq!(s.fed_events_for("indicator--1").await.expect("events").len(), 1);
    assert_eq!(s.fed_heads().await.expect("heads").0, 5);
    // Deleting one version leaves a tombstone that scans skip.
    let mut tx = s.begin().await.expect("begin");
    assert_eq!(tx.fed_origin_mark("indicator--1", Some("v2"), true, None).await.expect("mark"), 1);
    assert_eq!(tx.fed_origin_mark("indicator--2", None, false, Some(r#"{"organisations":[]}"#)).await.expect("mark"), 1);
    tx.commit().await.expect("commit");
    let left = s.fed_origins_after(0, 10).await.expect("after");
    assert_eq!(left.len(), 2);
    assert!(left.iter().any(|o| o.stix_id == "indicator--2" && o.retracted && o.narrowed.is_some()));
    assert!(s.fed_origins_of("indicator--1").await.expect("of").iter().any(|o| o.version == "v2" && o.deleted));
}

async fn remote_orgs_keep_the_newest_and_distribution_downgrade(b: Backend) {
    let (s, _d) = store(b).await;
    let org = Uuid::from_u128(42);
    let mut tx = s.begin().await.expect("begin");
    let e = |v: i64| RemoteOrg { org_id: org, node_id: "B".into(), country: Some("AR".into()), version: v, entry: format!("{{\"v\":{v}}}") };
    assert!(tx.fed_remote_org_put(&e(2)).await.expect("put"));
    assert!(!tx.fed_remote_org_put(&e(1)).await.expect("older"), "an older version does not replace a newer one");
    assert!(tx.fed_remote_org_put(&e(3)).await.expect("newer"));
    assert_eq!(tx.fed_remote_org_host(org).await.expect("host").as_deref(), Some("B"));
    let now = OffsetDateTime::now_utc();
    tx.stix_insert(
        &[NewStixObject {
            stix_id: "indicator--9".into(),
            version: "v".into(),
            object_type: "indicator".into(),
            spec_version: "2.1".into(),
            tlp: Tlp::Amber,
            owner_org: org,
            revoked: false,
            distribution: None,
            body: "{}".into(),
            sighting_of: None,
            sectors: vec![],
            search_text: String::new(),
        }],
        now,
    )
    .await
    .expect("stix");
    assert_eq!(tx.fed_set_distribution("indicator--9", r#"{"organisations":[]}"#).await.expect("downgrade"), 1);
    tx.commit().await.expect("commit");
    assert_eq!(s.fed_remote_orgs().await.expect("orgs")[0].version, 3);
    assert_eq!(s.stix_versions("indicator--9").await.expect("versions")[0].distribution.as_deref(), Some(r#"{"organisations":[]}"#));
    assert!(s.fed_stix_head().await.expect("head") >= 1);
}

macro_rules! on_backends {
    ($($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                for b in Backend::all() {
                    eprintln!("--- {} on {}", stringify!($name), b.name());
                    super::$name(b).await;
                }
            }
        )*
    };
}

mod all_backends {
    use super::*;
    on_backends!(peers_cursors_and_errors, origins_events_and_delivery, remote_orgs_keep_the_newest_and_distribution_downgrade);
}
