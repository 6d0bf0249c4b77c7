//! The store conformance suite: one set of tests, each run on every backend of
//! `atalaya_testkit::Backend::all()` (SQLite always; PostgreSQL when `ATALAYA_TEST_DATABASE_URL`
//! is set). The macro at the bottom generates `sqlite::NAME` and `postgres::NAME` for each
//! test function, so a failure names both the behaviour and the backend.
//!
//! Run: `ATALAYA_TEST_DATABASE_URL=postgres://… cargo test -p atalaya-store --test conformance`

use atalaya_model::audit::NewAuditEntry;
use atalaya_model::directory::{ContactBody, ContactRole, OrgKind, OrganisationBody, Sector};
use atalaya_model::time_util::{micros_rfc3339, to_micros};
use atalaya_model::{Role, Tlp};
use atalaya_store::{audit_hash, schema_version, Store, StoreError, StoreOptions, GENESIS_HASH};
use atalaya_testkit::{fresh_database, Backend};
use serde_json::json;
use sqlx::{Connection, Row};
use std::collections::BTreeSet;
use std::time::Duration;
use time::OffsetDateTime;
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

/// One test's own database (a SQLite file in a temporary directory, or a new PostgreSQL database).
struct Db {
    backend: Backend,
    url: String,
    _dir: tempfile::TempDir,
}

impl Db {
    async fn new(backend: Backend) -> Db {
        let dir = tempfile::Builder::new().prefix("atalaya-store-conf-").tempdir().expect("tempdir");
        let url = fresh_database(backend, dir.path()).await;
        Db { backend, url, _dir: dir }
    }

    async fn open(&self) -> Store {
        Store::open(&self.url, StoreOptions::default())
            .await
            .unwrap_or_else(|e| panic!("Store::open on {}: {e}", self.backend.name()))
    }

    /// A raw connection on the same database, behind the store's back (tamper tests).
    async fn raw(&self) -> sqlx::AnyConnection {
        sqlx::any::install_default_drivers();
        sqlx::AnyConnection::connect(&self.url).await.expect("raw connection")
    }

    async fn exec(&self, sql: &str) -> u64 {
        let mut c = self.raw().await;
        let n = sqlx::query(sql).execute(&mut c).await.unwrap_or_else(|e| panic!("raw SQL `{sql}`: {e}")).rows_affected();
        let _ = c.close().await;
        n
    }

    async fn int(&self, sql: &str) -> i64 {
        let mut c = self.raw().await;
        let v: i64 = sqlx::query(sql).fetch_one(&mut c).await.unwrap_or_else(|e| panic!("raw SQL `{sql}`: {e}")).get(0);
        let _ = c.close().await;
        v
    }

    async fn text(&self, sql: &str) -> String {
        let mut c = self.raw().await;
        let v: String = sqlx::query(sql).fetch_one(&mut c).await.unwrap_or_else(|e| panic!("raw SQL `{sql}`: {e}")).get(0);
        let _ = c.close().await;
        v
    }
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// How the store renders a timestamp it was given (microsecond precision, RFC 3339).
fn shown(t: OffsetDateTime) -> String {
    micros_rfc3339(to_micros(t))
}

fn org_body(name: &str, country: &str, prefixes: &[&str]) -> OrganisationBody {
    let mut b = OrganisationBody::bootstrap(name.parse().expect("name"), Some(country.parse().expect("country")));
    b.constituency.prefixes = prefixes.iter().map(|p| p.parse().expect("prefix")).collect();
    b
}

fn contact_body(name: &str, email: &str) -> ContactBody {
    ContactBody {
        name: name.parse().expect("name"),
        roles: vec![ContactRole::Technical],
        email: Some(email.parse().expect("email")),
        phone: Some("+5561999990000".parse().expect("phone")),
        emergency_phone: None,
        pgp_key: None,
        languages: vec!["es".parse().expect("lang"), "pt-BR".parse().expect("lang")],
        tlp: Tlp::Amber,
    }
}

fn entry(tag: &str, i: usize) -> NewAuditEntry {
    NewAuditEntry {
        actor: "cli:conformance".into(),
        action: "test.append".into(),
        object_kind: "test".into(),
        object_id: Some(format!("{tag}-{i}")),
        source: "cli".into(),
        detail: json!({ "tag": tag, "i": i, "text": "ñandú \"quoted\" \\ back" }),
    }
}

/// Commits `n` audit entries, one transaction each.
async fn append_n(store: &Store, tag: &str, n: usize) {
    for i in 0..n {
        let mut tx = store.begin().await.expect("begin");
        tx.audit_append(&entry(tag, i), now()).await.expect("append");
        tx.commit().await.expect("commit");
    }
}

async fn insert_org(store: &Store, body: &OrganisationBody) -> atalaya_model::directory::Organisation {
    let mut tx = store.begin().await.expect("begin");
    let org = tx.org_insert(body, false, "user:alice", now()).await.expect("org_insert");
    tx.commit().await.expect("commit");
    org
}

fn to_value<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).expect("json")
}

/// All seqs of the log are exactly 1..=n and the chain verifies.
async fn assert_log_is_whole(store: &Store, n: i64) {
    let all = store.audit_list(0, 100_000).await.expect("audit_list");
    let seqs: Vec<i64> = all.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=n).collect::<Vec<_>>(), "seq must be 1..={n} without gaps");
    let mut prev = GENESIS_HASH.to_string();
    for e in &all {
        assert_eq!(e.prev_hash, prev, "entry {} must link to its predecessor", e.seq);
        prev = e.hash.clone();
    }
    let v = store.audit_verify().await.expect("audit_verify");
    assert!(v.ok, "chain must verify: {v:?}");
    assert_eq!(v.entries, n);
    assert_eq!(v.first_bad_seq, None);
}

// ---------------------------------------------------------------------------------------------
// Migrations and reference data
// ---------------------------------------------------------------------------------------------

async fn migrations_are_idempotent_and_seed_states(b: Backend) {
    let db = Db::new(b).await;
    let s1 = db.open().await;
    assert_eq!(s1.backend().name(), b.name());
    s1.ping().await.expect("ping");
    let states1 = s1.states().await.expect("states");
    s1.close().await;

    // Opening again applies nothing twice and seeds nothing twice.
    let s2 = db.open().await;
    assert!(schema_version() >= 1);
    assert_eq!(db.int("SELECT MAX(version) FROM schema_migrations").await, schema_version());
    assert_eq!(db.int("SELECT COUNT(*) FROM schema_migrations").await, schema_version(), "one row per applied migration");
    assert_eq!(db.int("SELECT COUNT(*) FROM audit_head").await, 1);

    let states = s2.states().await.expect("states");
    assert_eq!(states.len(), 35, "the 35 OAS member states");
    assert_eq!(db.int("SELECT COUNT(*) FROM states").await, 35);
    assert_eq!(states.iter().map(|s| &s.code).collect::<Vec<_>>(), states1.iter().map(|s| &s.code).collect::<Vec<_>>());
    let codes: Vec<&str> = states.iter().map(|s| s.code.as_str()).collect();
    let mut sorted = codes.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(codes, sorted, "states are ordered by code, without duplicates");
    assert!(states.iter().all(|s| s.oas_member));
    let expected: BTreeSet<&str> = atalaya_model::country::OAS_MEMBER_STATES.iter().map(|m| m.code).collect();
    assert_eq!(codes.iter().copied().collect::<BTreeSet<_>>(), expected);
    let br = states.iter().find(|s| s.code == "BR").expect("BR");
    assert_eq!((br.name_en.as_str(), br.name_es.as_str(), br.name_pt.as_str(), br.name_fr.as_str()), ("Brazil", "Brasil", "Brasil", "Brésil"));
    let ht = states.iter().find(|s| s.code == "HT").expect("HT");
    assert_eq!(ht.name_fr, "Haïti", "non-ASCII names survive the round trip");
    assert_log_is_whole(&s2, 0).await;
}

async fn concurrent_opens_migrate_once(b: Backend) {
    let db = Db::new(b).await;
    // Four "processes" start at once on an empty database: each thread its own runtime.
    // (A thread, not tokio::spawn: rustc cannot prove the `Store::open` future `Send`.)
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let url = db.url.clone();
            std::thread::spawn(move || {
                tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async move {
                    let s = Store::open(&url, StoreOptions::default()).await?;
                    let n = s.states().await?.len();
                    s.close().await;
                    Ok::<_, StoreError>(n)
                })
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().expect("join").expect("concurrent Store::open"), 35);
    }
    assert_eq!(db.int("SELECT COUNT(*) FROM schema_migrations").await, schema_version());
    assert_eq!(db.int("SELECT COUNT(*) FROM states").await, 35);
}

async fn newer_schema_is_refused(b: Backend) {
    let db = Db::new(b).await;
    let s = db.open().await;
    s.close().await;
    drop(s);
    let future = schema_version() + 1;
    db.exec(&format!("INSERT INTO schema_migrations (version, name, applied_at) VALUES ({future}, 'from-the-future', 0)")).await;
    match Store::open(&db.url, StoreOptions::default()).await {
        Err(StoreError::Config(msg)) => {
            assert!(msg.contains(&future.to_string()), "message names the database's version: {msg}");
            assert!(!msg.contains("app-pass"), "no password in messages: {msg}");
        }
        Err(e) => panic!("expected StoreError::Config, got {e:?}"),
        Ok(_) => panic!("a schema newer than the binary must be refused"),
    }
    // Refusing did not touch the database.
    assert_eq!(db.int("SELECT MAX(version) FROM schema_migrations").await, future);
}

async fn node_meta_round_trip(b: Backend) {
    let db = Db::new(b).await;
    let s = db.open().await;
    assert_eq!(s.meta_get("node.name").await.unwrap(), None);
    let mut tx = s.begin().await.unwrap();
    tx.meta_set("node.name", "CSIRT Ñandú").await.unwrap();
    assert_eq!(tx.meta_get("node.name").await.unwrap().as_deref(), Some("CSIRT Ñandú"), "a Tx reads its own writes");
    assert_eq!(s.meta_get("node.name").await.unwrap(), None, "uncommitted writes are invisible outside the Tx");
    tx.commit().await.unwrap();
    assert_eq!(s.meta_get("node.name").await.unwrap().as_deref(), Some("CSIRT Ñandú"));
    let mut tx = s.begin().await.unwrap();
    tx.meta_set("node.name", "renamed").await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(s.meta_get("node.name").await.unwrap().as_deref(), Some("renamed"));
    assert_eq!(db.int("SELECT COUNT(*) FROM node_meta").await, 1, "meta_set upserts");
}

// ---------------------------------------------------------------------------------------------
// Transactions
// ---------------------------------------------------------------------------------------------

async fn dropped_tx_leaves_nothing(b: Backend) {
    let db = Db::new(b).await;
    let s = db.open().await;
    let org_id;
    {
        let mut tx = s.begin().await.unwrap();
        let org = tx.org_insert(&org_body("CSIRT Ghost", "BR", &["198.51.100.0/24"]), false, "user:alice", now()).await.unwrap();
        org_id = org.id;
        tx.contact_insert(org.id, &contact_body("Ghost Contact", "ghost@example.org"), "user:alice", now()).await.unwrap();
        let user = tx.user_insert("ghost", None, org.id, Role::Analyst, None, now()).await.unwrap();
        tx.token_insert(user.id, "t", "api", "ghost-hash", None, now()).await.unwrap();
        assert_eq!(tx.audit_append(&entry("ghost", 0), now()).await.unwrap(), 1);
        assert_eq!(tx.audit_append(&entry("ghost", 1), now()).await.unwrap(), 2);
        assert!(tx.org_get(org.id).await.unwrap().is_some(), "the Tx sees its own insert");
        assert!(s.org_get(org.id).await.unwrap().is_none(), "nobody else does before commit");
        // dropped here without commit
    }
    assert!(s.org_get(org_id).await.unwrap().is_none());
    assert!(s.org_list(None).await.unwrap().is_empty());
    assert!(s.contact_list(org_id).await.unwrap().is_empty());
    assert!(s.history_for_org(org_id).await.unwrap().is_empty());
    assert!(s.orgs_with_constituency("prefix", "198.51.100.0/24").await.unwrap().is_empty());
    assert!(s.user_by_name("ghost").await.unwrap().is_none());
    assert!(s.token_by_hash("ghost-hash").await.unwrap().is_none());
    assert!(s.audit_list(0, 100).await.unwrap().is_empty());
    assert_log_is_whole(&s, 0).await;
    for table in ["organisations", "contacts", "constituency", "directory_history", "users", "api_tokens", "audit_log"] {
        assert_eq!(db.int(&format!("SELECT COUNT(*) FROM {table}")).await, 0, "{table} must be empty after rollback");
    }
    assert_eq!(db.int("SELECT seq FROM audit_head WHERE id = 1").await, 0, "the audit head rolled back too");

    // The store is usable afterwards, the name is free again and the chain restarts at 1.
    let mut tx = s.begin().await.unwrap();
    tx.org_insert(&org_body("CSIRT Ghost", "BR", &[]), false, "user:alice", now()).await.unwrap();
    assert_eq!(tx.audit_append(&entry("real", 0), now()).await.unwrap(), 1);
    tx.commit().await.unwrap();
    assert_eq!(s.org_list(None).await.unwrap().len(), 1);
    assert_log_is_whole(&s, 1).await;
}

async fn error_mid_tx_then_drop_leaves_nothing(b: Backend) {
    let db = Db::new(b).await;
    let s = db.open().await;
    let mut tx = s.begin().await.unwrap();
    let alpha = tx.org_insert(&org_body("CSIRT Alpha", "BR", &[]), false, "user:alice", now()).await.unwrap();
    tx.audit_append(&entry("alpha", 0), now()).await.unwrap();
    tx.commit().await.unwrap();

    {
        let mut tx = s.begin().await.unwrap();
        let beta = tx.org_insert(&org_body("CSIRT Beta", "AR", &["203.0.113.0/24"]), false, "user:bob", now()).await.unwrap();
        tx.contact_insert(beta.id, &contact_body("Beta Contact", "beta@example.org"), "user:bob", now()).await.unwrap();
        assert_eq!(tx.audit_append(&entry("beta", 0), now()).await.unwrap(), 2);
        match tx.org_insert(&org_body(" csirt alpha ", "CL", &[]), false, "user:bob", now()).await {
            Err(StoreError::Conflict(what)) => assert_eq!(what, "organisations.name"),
            other => panic!("expected Conflict(organisations.name), got {other:?}"),
        }
        // the caller gives up: the Tx is dropped
    }
    let names: Vec<String> = s.org_list(None).await.unwrap().iter().map(|o| o.body.name.to_string()).collect();
    assert_eq!(names, vec!["CSIRT Alpha"]);
    assert!(s.orgs_with_constituency("prefix", "203.0.113.0/24").await.unwrap().is_empty());
    assert_eq!(db.int("SELECT COUNT(*) FROM contacts").await, 0);
    assert_eq!(db.int("SELECT COUNT(*) FROM directory_history").await, 1, "only Alpha's create");
    assert_eq!(s.history_for_org(alpha.id).await.unwrap().len(), 1);
    assert_log_is_whole(&s, 1).await;

    // Next append continues at 2: no gap left by the abandoned transaction.
    append_n(&s, "after", 1).await;
    assert_log_is_whole(&s, 2).await;
}

async fn commit_is_durable_across_reopen(b: Backend) {
    let db = Db::new(b).await;
    let t = now();
    let expires = t + time::Duration::days(30);
    let (org, contact, user, token);
    {
        let s = db.open().await;
        let mut tx = s.begin().await.unwrap();
        org = tx.org_insert(&org_body("CSIRT Durable", "UY", &["192.0.2.0/24"]), true, "cli:init", t).await.unwrap();
        contact = tx.contact_insert(org.id, &contact_body("Duty Desk", "duty@example.uy"), "cli:init", t).await.unwrap();
        user = tx.user_insert("admin", Some("Administrador"), org.id, Role::Admin, Some("$argon2id$fake"), t).await.unwrap();
        token = tx.token_insert(user.id, "bootstrap", "api", "durable-hash", Some(expires), t).await.unwrap();
        tx.meta_set("node.id", "n-1").await.unwrap();
        tx.audit_append(&entry("durable", 0), t).await.unwrap();
        tx.commit().await.unwrap();

        // A second Store on the same URL (another process) sees the commit while the first is open.
        let other = db.open().await;
        assert_eq!(other.org_get(org.id).await.unwrap().expect("org visible to another Store").body, org.body);
        assert_log_is_whole(&other, 1).await;
        other.close().await;
        s.close().await;
    }
    let s = db.open().await;
    let o = s.org_get(org.id).await.unwrap().expect("org survives reopen");
    assert_eq!(o.body, org.body);
    assert!(o.home);
    assert_eq!(s.org_home().await.unwrap().map(|o| o.id), Some(org.id));
    assert_eq!((o.version, o.created_at.as_str(), o.updated_at.as_str()), (1, shown(t).as_str(), shown(t).as_str()));
    let c = s.contact_get(contact.id).await.unwrap().expect("contact survives");
    assert_eq!(c.body, contact.body);
    let u = s.user_by_name("admin").await.unwrap().expect("user survives");
    assert_eq!((u.user.id, u.password_hash.as_deref(), u.user.display_name.as_deref()), (user.id, Some("$argon2id$fake"), Some("Administrador")));
    let (tk, owner) = s.token_by_hash("durable-hash").await.unwrap().expect("token survives");
    assert_eq!((tk.info.id, owner.user.id), (token.id, user.id));
    assert_eq!(tk.expires_at_us, Some(to_micros(expires)));
    assert_eq!(s.meta_get("node.id").await.unwrap().as_deref(), Some("n-1"));
    assert_eq!(s.history_for_org(org.id).await.unwrap().len(), 2);
    assert_log_is_whole(&s, 1).await;
}

// ---------------------------------------------------------------------------------------------
// Organisations
// ---------------------------------------------------------------------------------------------

async fn org_insert_get_list(b: Backend) {
    let db = Db::new(b).await;
    let s = db.open().await;
    let t = now();
    let mut zeta_body = org_body("Zeta CERT", "BR", &["198.51.100.0/24", "2001:db8::/32"]);
    zeta_body.kind = OrgKind::SectorCsirt;
    zeta_body.sectors = vec![Sector::Energy, Sector::Water];
    zeta_body.languages = vec!["pt-BR".parse().unwrap()];
    zeta_body.time_zone = "America/Sao_Paulo".parse().unwrap();
    zeta_body.operating_hours = Some("24/7".parse().unwrap());
    zeta_body.constituency.asns = vec!["AS64500".parse().unwrap()];
    zeta_body.constituency.domains = vec!["zeta.example.br".parse().unwrap()];
    zeta_body.constituency.sectors = vec![Sector::Energy];
    zeta_body.tlp = Tlp::Amber;

    let mut tx = s.begin().await.unwrap();
    let zeta = tx.org_insert(&zeta_body, false, "user:alice", t).await.unwrap();
    let alpha = tx.org_insert(&org_body("alpha csirt", "AR", &[]), false, "user:alice", t).await.unwrap();
    let mu = tx.org_insert(&org_body("Mu CSIRT", "BR", &[]), false, "user:alice", t).await.unwrap();
    tx.commit().await.unwrap();

    let got = s.org_get(zeta.id).await.unwrap().expect("zeta");
    assert_eq!(got.body, zeta_body, "the body round-trips unchanged");
    assert_eq!((got.version, got.home), (1, false));
    assert_eq!((got.created_at.clone(), got.updated_at.clone()), (shown(t), shown(t)));
    assert_eq!(zeta.version, 1);
    assert!(s.org_get(Uuid::new_v4()).await.unwrap().is_none());
    assert!(s.org_home().await.unwrap().is_none(), "no home organisation was inserted");

    let all: Vec<Uuid> = s.org_list(None).await.unwrap().iter().map(|o| o.id).collect();
    assert_eq!(all, vec![alpha.id, mu.id, zeta.id], "ordered by name, ignoring case");
    let br: Vec<Uuid> = s.org_list(Some("BR")).await.unwrap().iter().map(|o| o.id).collect();
    assert_eq!(br, vec![mu.id, zeta.id]);
    let ar: Vec<Uuid> = s.org_list(Some("AR")).await.unwrap().iter().map(|o| o.id).collect();
    assert_eq!(ar, vec![alpha.id]);
    assert!(s.org_list(Some("CL")).await.unwrap().is_empty());

    assert_eq!(s.orgs_with_constituency("prefix", "198.51.100.0/24").await.unwrap(), vec![zeta.id]);
    assert_eq!(s.orgs_with_constituency("prefix", "2001:db8::/32").await.unwrap(), vec![zeta.id]);
    assert_eq!(s.orgs_with_constituency("asn", "64500").await.unwrap(), vec![zeta.id]);
    assert_eq!(s.orgs_with_constituency("domain", "zeta.example.br").await.unwrap(), vec![zeta.id]);
    assert_eq!(s.orgs_with_constituency("sector", "energy").await.unwrap(), vec![zeta.id]);
    assert!(s.orgs_with_constituency("sector", "water").await.unwrap().is_empty(), "org sectors are not constituency");
    assert!(s.orgs_with_constituency("prefix", "198.51.100.0/25").await.unwrap().is_empty(), "exact match only");

    // Two organisations declaring the same prefix: both, in id order.
    let other = insert_org(&s, &org_body("Other CSIRT", "CL", &["198.51.100.0/24"])).await;
    let mut both = vec![zeta.id, other.id];
    both.sort();
    assert_eq!(s.orgs_with_constituency("prefix", "198.51.100.0/24").await.unwrap(), both);

    // The home organisation.
    let home = {
        let mut tx = s.begin().await.unwrap();
        let h = tx.org_insert(&org_body("Home CSIRT", "CO", &[]), true, "cli:init", t).await.unwrap();
        assert_eq!(tx.org_home().await.unwrap().map(|o| o.id), Some(h.id));
        tx.commit().await.unwrap();
        h
    };
    assert!(home.home);
    assert_eq!(s.org_home().await.unwrap().map(|o| o.id), Some(home.id));
}

async fn org_name_unique_ignoring_case_and_blanks(b: Backend) {
    let db = Db::new(b).await;
    let s = db.open().await;
    let first = insert_org(&s, &org_body("CSIRT Ñandú", "PY", &[])).await;
    for clash in ["CSIRT Ñandú", "csirt ñandú", "  CSIRT ÑANDÚ\t", "Csirt Ñandú "] {
        let mut tx = s.begin().await.unwrap();
        match tx.org_insert(&org_body(clash, "PY", &[]), false, "user:alice", now()).await {
            Err(StoreError::Conflict(what)) => assert_eq!(what, "organisations.name", "for {clash:?}"),
            other => panic!("{clash:?}: expected Conflict(organisations.name), got {other:?}"),
        }
    }
    let second = insert_org(&s, &org_body("CSIRT Ñandú Norte", "PY", &[])).await;
    assert_eq!(s.org_list(None).await.unwrap().len(), 2);

    // Renaming onto another organisation's name is a conflict too.
    {
        let mut tx = s.begin().await.unwrap();
        match tx.org_update(second.id, 1, &org_body("CSIRT ñANDÚ", "PY", &[]), "user:alice", now()).await {
            Err(StoreError::Conflict(what)) => assert_eq!(what, "organisations.name"),
            other => panic!("expected Conflict(organisations.name), got {other:?}"),
        }
    }
    assert_eq!(s.org_get(second.id).await.unwrap().unwrap().version, 1, "the refused rename changed nothing");
    // Changing only the case of one's own name is allowed.
    let mut tx = s.begin().await.unwrap();
    let renamed = tx.org_update(first.id, 1, &org_body("CSIRT ÑANDÚ", "PY", &[]), "user:alice", now()).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!((renamed.body.name.as_str(), renamed.version), ("CSIRT ÑANDÚ", 2));
}

async fn org_update_versions_history_and_constituency(b: Backend) {
    let db = Db::new(b).await;
    let s = db.open().await;
    let t0 = now();
    let mut v1 = org_body("CSIRT Andes", "CL", &["198.51.100.0/24"]);
    v1.constituency.asns = vec!["AS64501".parse().unwrap()];
    let org = {
        let mut tx = s.begin().await.unwrap();
        let o = tx.org_insert(&v1, false, "user:alice", t0).await.unwrap();
        tx.commit().await.unwrap();
        o
    };
    assert_eq!(s.orgs_with_constituency("prefix", "198.51.100.0/24").await.unwrap(), vec![org.id]);

    let t1 = t0 + time::Duration::seconds(5);
    let mut v2 = org_body("CSIRT Andes", "PE", &["203.0.113.0/24"]);
    v2.constituency.domains = vec!["andes.example".parse().unwrap()];
    v2.tlp = Tlp::Clear;
    let updated = {
        let mut tx = s.begin().await.unwrap();
        let u = tx.org_update(org.id, 1, &v2, "user:bob", t1).await.unwrap();
        tx.commit().await.unwrap();
        u
    };
    assert_eq!(updated.version, 2);
    assert_eq!(updated.body, v2);
    assert_eq!((updated.created_at.clone(), updated.updated_at.clone()), (shown(t0), shown(t1)));
    let got = s.org_get(org.id).await.unwrap().unwrap();
    assert_eq!((got.version, &got.body), (2, &v2));

    // The constituency was replaced, not merged.
    assert!(s.orgs_with_constituency("prefix", "198.51.100.0/24").await.unwrap().is_empty());
    assert!(s.orgs_with_constituency("asn", "64501").await.unwrap().is_empty());
    assert_eq!(s.orgs_with_constituency("prefix", "203.0.113.0/24").await.unwrap(), vec![org.id]);
    assert_eq!(s.orgs_with_constituency("domain", "andes.example").await.unwrap(), vec![org.id]);
    assert_eq!(db.int("SELECT COUNT(*) FROM constituency").await, 2);
    // Country filter follows the update.
    assert!(s.org_list(Some("CL")).await.unwrap().is_empty());
    assert_eq!(s.org_list(Some("PE")).await.unwrap().len(), 1);

    // A stale version is refused and changes nothing.
    {
        let mut tx = s.begin().await.unwrap();
        match tx.org_update(org.id, 1, &v1, "user:carol", now()).await {
            Err(StoreError::Stale(_)) => {}
            other => panic!("expected Stale, got {other:?}"),
        }
    }
    let got = s.org_get(org.id).await.unwrap().unwrap();
    assert_eq!((got.version, &got.body), (2, &v2));
    assert_eq!(s.orgs_with_constituency("prefix", "203.0.113.0/24").await.unwrap(), vec![org.id]);

    let h = s.history_for_org(org.id).await.unwrap();
    let summary: Vec<(&str, &str, i64, &str)> = h.iter().map(|e| (e.entity.as_str(), e.action.as_str(), e.version, e.actor.as_str())).collect();
    assert_eq!(summary, vec![("organisation", "create", 1, "user:alice"), ("organisation", "update", 2, "user:bob")]);
    assert!(h.iter().all(|e| e.entity_id == org.id));
    assert_eq!(h[0].content, Some(to_value(&v1)));
    assert_eq!(h[1].content, Some(to_value(&v2)));
    assert_eq!((h[0].at.clone(), h[1].at.clone()), (shown(t0), shown(t1)));
}

async fn org_concurrent_updates_one_wins(b: Backend) {
    let db = Db::new(b).await;
    let s = db.open().await;
    let org = insert_org(&s, &org_body("CSIRT Race", "MX", &[])).await;
    let mut handles = vec![];
    for i in 0..6 {
        let s = s.clone();
        handles.push(tokio::spawn(async move {
            let mut tx = s.begin().await?;
            let body = org_body(&format!("CSIRT Race {i}"), "MX", &[]);
            tx.org_update(org.id, 1, &body, &format!("user:u{i}"), now()).await?;
            tx.commit().await
        }));
    }
    let mut ok = 0;
    for h in handles {
        match h.await.expect("join") {
            Ok(()) => ok += 1,
            Err(StoreError::Stale(_)) => {}
            Err(e) => panic!("a losing update must be Stale, got {e:?}"),
        }
    }
    assert_eq!(ok, 1, "exactly one update of version 1 wins");
    let got = s.org_get(org.id).await.unwrap().unwrap();
    assert_eq!(got.version, 2);
    let h = s.history_for_org(org.id).await.unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(h[1].content, Some(to_value(&got.body)), "history holds the winner's content");
}

async fn org_delete_refused_while_users_then_history(b: Backend) {
    let db = Db::new(b).await;
    let s = db.open().await;
    let body = org_body("CSIRT Caribe", "JM", &["192.0.2.0/24"]);
    let org = insert_org(&s, &body).await;
    let (contact, user) = {
        let mut tx = s.begin().await.unwrap();
        let c = tx.contact_insert(org.id, &contact_body("Caribe Desk", "desk@example.jm"), "user:alice", now()).await.unwrap();
        let u = tx.user_insert("caribe-admin", None, org.id, Role::Admin, None, now()).await.unwrap();
        tx.commit().await.unwrap();
        (c, u)
    };
    {
        let mut tx = s.begin().await.unwrap();
        match tx.org_delete(org.id, 1, "user:alice", now()).await {
            Err(StoreError::Conflict(what)) => assert!(what.starts_with("organisations.users"), "{what}"),
            other => panic!("expected Conflict while users exist, got {other:?}"),
        }
    }
    assert!(s.org_get(org.id).await.unwrap().is_some());
    assert_eq!(s.contact_list(org.id).await.unwrap().len(), 1, "the refused delete left the contacts");

    // Once the user is gone (there is no user deletion in the store API yet: raw SQL), delete works.
    assert_eq!(db.exec(&format!("DELETE FROM users WHERE id = '{}'", user.id)).await, 1);
    let t = now();
    {
        let mut tx = s.begin().await.unwrap();
        tx.org_delete(org.id, 1, "user:bob", t).await.unwrap();
        tx.commit().await.unwrap();
    }
    assert!(s.org_get(org.id).await.unwrap().is_none());
    assert!(s.contact_get(contact.id).await.unwrap().is_none(), "contacts go with their organisation");
    assert!(s.contact_list(org.id).await.unwrap().is_empty());
    assert!(s.orgs_with_constituency("prefix", "192.0.2.0/24").await.unwrap().is_empty());
    assert_eq!(db.int("SELECT COUNT(*) FROM constituency").await, 0);

    // Deleting again: NotFound.
    {
        let mut tx = s.begin().await.unwrap();
        match tx.org_delete(org.id, 2, "user:bob", now()).await {
            Err(StoreError::NotFound(_)) => {}
            other => panic!("expected NotFound, got {other:?}"),
        }
    }

    // The history outlives the organisation.
    let h = s.history_for_org(org.id).await.unwrap();
    let summary: Vec<(&str, &str, i64, &str)> = h.iter().map(|e| (e.entity.as_str(), e.action.as_str(), e.version, e.actor.as_str())).collect();
    assert_eq!(summary, vec![("organisation", "create", 1, "user:alice"), ("contact", "create", 1, "user:alice"), ("organisation", "delete", 2, "user:bob")]);
    assert_eq!(h[0].content, Some(to_value(&body)));
    assert_eq!(h[1].entity_id, contact.id);
    assert_eq!(h[1].content, Some(to_value(&contact.body)));
    assert_eq!(h[2].content, None, "no content after a deletion");
    assert_eq!(h[2].at, shown(t));
}

async fn org_delete_with_stale_version_is_refused(b: Backend) {
    let db = Db::new(b).await;
    let s = db.open().await;
    let org = insert_org(&s, &org_body("CSIRT Stale", "BO", &["192.0.2.0/24"])).await;
    let contact = {
        let mut tx = s.begin().await.unwrap();
        let c = tx.contact_insert(org.id, &contact_body("Desk", "desk@example.bo"), "user:alice", now()).await.unwrap();
        tx.org_update(org.id, 1, &org_body("CSIRT Stale", "BO", &["192.0.2.0/24"]), "user:alice", now()).await.unwrap();
        tx.commit().await.unwrap();
        c
    };
    // Someone read version 1 and deletes after the update to version 2: refused.
    {
        let mut tx = s.begin().await.unwrap();
        match tx.org_delete(org.id, 1, "user:bob", now()).await {
            Err(StoreError::Stale(_)) => {}
            other => panic!("a delete of an outdated version must be Stale, got {other:?}"),
        }
    }
    assert!(s.org_get(org.id).await.unwrap().is_some());
    assert!(s.contact_get(contact.id).await.unwrap().is_some());
    // With the current version it goes, and the history's versions stay strictly increasing.
    let mut tx = s.begin().await.unwrap();
    tx.org_delete(org.id, 2, "user:bob", now()).await.unwrap();
    tx.commit().await.unwrap();
    let versions: Vec<(String, i64)> = s
        .history_for_org(org.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.entity == "organisation")
        .map(|e| (e.action, e.version))
        .collect();
    assert_eq!(versions, vec![("create".into(), 1), ("update".into(), 2), ("delete".into(), 3)]);
}

// ---------------------------------------------------------------------------------------------
// Contacts
// ---------------------------------------------------------------------------------------------

async fn contact_crud_and_history(b: Backend) {
    let db = Db::new(b).await;
    let s = db.open().await;
    let org = insert_org(&s, &org_body("CSIRT Contacts", "CR", &[])).await;
    let other_org = insert_org(&s, &org_body("CSIRT Elsewhere", "CR", &[])).await;
    let t0 = now();
    let b1 = contact_body("Ana Pérez", "ana@example.cr");
    let mut b2 = contact_body("Luis Mora", "luis@example.cr");
    b2.roles = vec![ContactRole::Policy, ContactRole::ForeignAffairs];
    b2.email = None;
    b2.emergency_phone = Some("+50622223333".parse().unwrap());
    b2.tlp = Tlp::Red;
    let (c1, c2) = {
        let mut tx = s.begin().await.unwrap();
        let c1 = tx.contact_insert(org.id, &b1, "user:alice", t0).await.unwrap();
        let c2 = tx.contact_insert(org.id, &b2, "user:alice", t0 + time::Duration::milliseconds(1)).await.unwrap();
        tx.contact_insert(other_org.id, &contact_body("Not Mine", "x@example.cr"), "user:alice", t0).await.unwrap();
        assert_eq!(tx.contact_get(c1.id).await.unwrap().map(|c| c.body), Some(b1.clone()));
        tx.commit().await.unwrap();
        (c1, c2)
    };
    assert_eq!((c1.version, c1.organisation_id), (1, org.id));
    assert_eq!((c1.created_at.clone(), c1.updated_at.clone()), (shown(t0), shown(t0)));
    assert_eq!(s.contact_get(c2.id).await.unwrap().unwrap().body, b2, "the body round-trips unchanged");
    let listed: Vec<Uuid> = s.contact_list(org.id).await.unwrap().iter().map(|c| c.id).collect();
    assert_eq!(listed, vec![c1.id, c2.id], "only this organisation's contacts, oldest first");
    assert!(s.contact_get(Uuid::new_v4()).await.unwrap().is_none());

    // A contact of an organisation that does not exist is refused.
    {
        let mut tx = s.begin().await.unwrap();
        assert!(tx.contact_insert(Uuid::new_v4(), &b1, "user:alice", now()).await.is_err(), "foreign key to organisations");
    }

    // Update with the right version, then with a stale one.
    let t1 = t0 + time::Duration::seconds(3);
    let mut b1v2 = b1.clone();
    b1v2.phone = Some("+50688887777".parse().unwrap());
    b1v2.tlp = Tlp::AmberStrict;
    let u = {
        let mut tx = s.begin().await.unwrap();
        let u = tx.contact_update(c1.id, 1, &b1v2, "user:bob", t1).await.unwrap();
        tx.commit().await.unwrap();
        u
    };
    assert_eq!((u.version, &u.body, u.updated_at.clone(), u.created_at.clone()), (2, &b1v2, shown(t1), shown(t0)));
    {
        let mut tx = s.begin().await.unwrap();
        match tx.contact_update(c1.id, 1, &b1, "user:carol", now()).await {
            Err(StoreError::Stale(_)) => {}
            other => panic!("expected Stale, got {other:?}"),
        }
    }
    assert_eq!(s.contact_get(c1.id).await.unwrap().unwrap().body, b1v2);

    // Delete.
    {
        let mut tx = s.begin().await.unwrap();
        tx.contact_delete(&u, "user:bob", now()).await.unwrap();
        tx.commit().await.unwrap();
    }
    assert!(s.contact_get(c1.id).await.unwrap().is_none());
    assert_eq!(s.contact_list(org.id).await.unwrap().iter().map(|c| c.id).collect::<Vec<_>>(), vec![c2.id]);
    {
        let mut tx = s.begin().await.unwrap();
        match tx.contact_delete(&u, "user:bob", now()).await {
            Err(StoreError::NotFound(_)) => {}
            other => panic!("deleting twice: expected NotFound, got {other:?}"),
        }
    }

    // Contacts' history is part of their organisation's history.
    let h = s.history_for_org(org.id).await.unwrap();
    let summary: Vec<(&str, Uuid, &str, i64, &str)> =
        h.iter().map(|e| (e.entity.as_str(), e.entity_id, e.action.as_str(), e.version, e.actor.as_str())).collect();
    assert_eq!(
        summary,
        vec![
            ("organisation", org.id, "create", 1, "user:alice"),
            ("contact", c1.id, "create", 1, "user:alice"),
            ("contact", c2.id, "create", 1, "user:alice"),
            ("contact", c1.id, "update", 2, "user:bob"),
            ("contact", c1.id, "delete", 3, "user:bob"),
        ]
    );
    assert_eq!(h[3].content, Some(to_value(&b1v2)));
    assert_eq!(h[4].content, None);
    assert_eq!(s.history_for_org(other_org.id).await.unwrap().len(), 2, "the other org's history is its own");

    // Deleting the organisation takes its remaining contacts along.
    {
        let mut tx = s.begin().await.unwrap();
        tx.org_delete(org.id, 1, "user:alice", now()).await.unwrap();
        tx.commit().await.unwrap();
    }
    assert!(s.contact_get(c2.id).await.unwrap().is_none());
    assert_eq!(db.int(&format!("SELECT COUNT(*) FROM contacts WHERE org_id = '{}'", org.id)).await, 0);
    assert_eq!(s.contact_list(other_org.id).await.unwrap().len(), 1, "other organisations keep theirs");
}

async fn contact_delete_with_stale_version_is_refused(b: Backend) {
    let db = Db::new(b).await;
    let s = db.open().await;
    let org = insert_org(&s, &org_body("CSIRT Contact Race", "GT", &[])).await;
    let b1 = contact_body("Desk", "desk@example.gt");
    let c1 = {
        let mut tx = s.begin().await.unwrap();
        let c = tx.contact_insert(org.id, &b1, "user:alice", now()).await.unwrap();
        tx.commit().await.unwrap();
        c
    };
    let mut b2 = b1.clone();
    b2.tlp = Tlp::Red;
    {
        let mut tx = s.begin().await.unwrap();
        tx.contact_update(c1.id, 1, &b2, "user:alice", now()).await.unwrap();
        tx.commit().await.unwrap();
    }
    // `c1` is what the deleting caller read: version 1, outdated.
    {
        let mut tx = s.begin().await.unwrap();
        match tx.contact_delete(&c1, "user:bob", now()).await {
            Err(StoreError::Stale(_)) => {}
            other => panic!("a delete of an outdated version must be Stale, got {other:?}"),
        }
    }
    assert!(s.contact_get(c1.id).await.unwrap().is_some());
}

// ---------------------------------------------------------------------------------------------
// Users, tokens, login failures
// ---------------------------------------------------------------------------------------------

async fn users_insert_unique_update_password(b: Backend) {
    let db = Db::new(b).await;
    let s = db.open().await;
    let org = insert_org(&s, &org_body("CSIRT Users", "EC", &[])).await;
    let org2 = insert_org(&s, &org_body("CSIRT Users Two", "EC", &[])).await;
    let t0 = now();
    let (ana, bob) = {
        let mut tx = s.begin().await.unwrap();
        assert_eq!(tx.user_count().await.unwrap(), 0);
        let ana = tx.user_insert("ana", Some("Ana Torres"), org.id, Role::Analyst, None, t0).await.unwrap();
        let bob = tx.user_insert("bob", None, org2.id, Role::DutyOfficer, Some("$argon2id$bob"), t0).await.unwrap();
        assert_eq!(tx.user_count().await.unwrap(), 2);
        assert_eq!(tx.user_by_name("ana").await.unwrap().map(|u| u.user.id), Some(ana.id));
        tx.commit().await.unwrap();
        (ana, bob)
    };
    assert_eq!((ana.username.as_str(), ana.display_name.as_deref(), ana.organisation_id), ("ana", Some("Ana Torres"), org.id));
    assert_eq!((ana.role, ana.disabled, ana.has_password), (Role::Analyst, false, false));
    assert_eq!((ana.created_at.clone(), ana.updated_at.clone()), (shown(t0), shown(t0)));
    assert!(bob.has_password);
    let rec = s.user_get(bob.id).await.unwrap().unwrap();
    assert_eq!((rec.password_hash.as_deref(), rec.user.role), (Some("$argon2id$bob"), Role::DutyOfficer));
    assert!(s.user_get(Uuid::new_v4()).await.unwrap().is_none());
    assert!(s.user_by_name("nobody").await.unwrap().is_none());
    assert_eq!(s.user_list(None).await.unwrap().iter().map(|u| u.username.as_str()).collect::<Vec<_>>(), vec!["ana", "bob"]);
    assert_eq!(s.user_list(Some(org2.id)).await.unwrap().iter().map(|u| u.id).collect::<Vec<_>>(), vec![bob.id]);

    // Every role round-trips.
    {
        let mut tx = s.begin().await.unwrap();
        for (i, role) in Role::ALL.iter().enumerate() {
            let u = tx.user_insert(&format!("role{i}"), None, org.id, *role, None, t0).await.unwrap();
            assert_eq!(u.role, *role);
        }
        // dropped: not committed
    }

    // Unique user names.
    {
        let mut tx = s.begin().await.unwrap();
        match tx.user_insert("ana", None, org2.id, Role::ReadOnly, None, now()).await {
            Err(StoreError::Conflict(what)) => assert_eq!(what, "users.username"),
            other => panic!("expected Conflict(users.username), got {other:?}"),
        }
    }
    // A user of an organisation that does not exist is refused (and is not a name conflict).
    {
        let mut tx = s.begin().await.unwrap();
        match tx.user_insert("orphan", None, Uuid::new_v4(), Role::ReadOnly, None, now()).await {
            Err(StoreError::Conflict(c)) => panic!("a missing organisation is not a name conflict ({c})"),
            Err(_) => {}
            Ok(_) => panic!("a user must belong to an existing organisation"),
        }
    }

    // Partial updates.
    let t1 = t0 + time::Duration::seconds(10);
    let u = {
        let mut tx = s.begin().await.unwrap();
        let u = tx.user_update(ana.id, Some(Role::Admin), None, None, t1).await.unwrap();
        tx.commit().await.unwrap();
        u
    };
    assert_eq!((u.role, u.display_name.as_deref(), u.disabled), (Role::Admin, Some("Ana Torres"), false), "None leaves a field alone");
    assert_eq!((u.updated_at.clone(), u.created_at.clone()), (shown(t1), shown(t0)));
    let u = {
        let mut tx = s.begin().await.unwrap();
        let u = tx.user_update(ana.id, None, Some("Ana T."), None, now()).await.unwrap();
        tx.commit().await.unwrap();
        u
    };
    assert_eq!((u.role, u.display_name.as_deref()), (Role::Admin, Some("Ana T.")));
    assert_eq!(s.user_get(ana.id).await.unwrap().unwrap().user.display_name.as_deref(), Some("Ana T."));
    {
        let mut tx = s.begin().await.unwrap();
        match tx.user_update(Uuid::new_v4(), Some(Role::Admin), None, None, now()).await {
            Err(StoreError::NotFound(_)) => {}
            other => panic!("expected NotFound, got {other:?}"),
        }
    }

    // Password.
    {
        let mut tx = s.begin().await.unwrap();
        tx.user_set_password(ana.id, "$argon2id$ana", now()).await.unwrap();
        tx.commit().await.unwrap();
    }
    let rec = s.user_by_name("ana").await.unwrap().unwrap();
    assert_eq!(rec.password_hash.as_deref(), Some("$argon2id$ana"));
    assert!(rec.user.has_password);
    {
        let mut tx = s.begin().await.unwrap();
        match tx.user_set_password(Uuid::new_v4(), "x", now()).await {
            Err(StoreError::NotFound(_)) => {}
            other => panic!("expected NotFound, got {other:?}"),
        }
    }
}

async fn tokens_lifecycle_and_disable_revokes(b: Backend) {
    let db = Db::new(b).await;
    let s = db.open().await;
    let org = insert_org(&s, &org_body("CSIRT Tokens", "SV", &[])).await;
    let t0 = now();
    let expires = t0 + time::Duration::hours(12);
    let (user, other, api, session, other_tok) = {
        let mut tx = s.begin().await.unwrap();
        let user = tx.user_insert("tok", None, org.id, Role::Analyst, None, t0).await.unwrap();
        let other = tx.user_insert("other", None, org.id, Role::Analyst, None, t0).await.unwrap();
        let api = tx.token_insert(user.id, "automation", "api", "hash-api", None, t0).await.unwrap();
        let session = tx.token_insert(user.id, "login", "session", "hash-session", Some(expires), t0 + time::Duration::seconds(1)).await.unwrap();
        let other_tok = tx.token_insert(other.id, "o", "api", "hash-other", None, t0).await.unwrap();
        tx.commit().await.unwrap();
        (user, other, api, session, other_tok)
    };
    assert_eq!((api.user_id, api.name.as_str(), api.kind.as_str()), (user.id, "automation", "api"));
    assert_eq!((api.created_at.clone(), api.expires_at.clone(), api.revoked_at.clone(), api.last_used_at.clone()), (shown(t0), None, None, None));
    assert_eq!(session.expires_at, Some(shown(expires)), "expiry stored");

    let rec = s.token_get(session.id).await.unwrap().unwrap();
    assert_eq!((rec.expires_at_us, rec.revoked, rec.info.kind.as_str()), (Some(to_micros(expires)), false, "session"));
    assert!(s.token_get(Uuid::new_v4()).await.unwrap().is_none());
    let (rec, owner) = s.token_by_hash("hash-api").await.unwrap().unwrap();
    assert_eq!((rec.info.id, owner.user.id, rec.expires_at_us), (api.id, user.id, None));
    assert!(s.token_by_hash("no-such-hash").await.unwrap().is_none());
    assert_eq!(s.token_list(user.id).await.unwrap().iter().map(|t| t.id).collect::<Vec<_>>(), vec![api.id, session.id]);
    assert_eq!(s.token_list(other.id).await.unwrap().iter().map(|t| t.id).collect::<Vec<_>>(), vec![other_tok.id]);

    // Token hashes are unique.
    {
        let mut tx = s.begin().await.unwrap();
        match tx.token_insert(other.id, "dup", "api", "hash-api", None, now()).await {
            Err(StoreError::Conflict(what)) => assert!(what.contains("token_hash"), "{what}"),
            other => panic!("expected a Conflict on token_hash, got {other:?}"),
        }
    }

    // Touch.
    let t_use = t0 + time::Duration::minutes(5);
    s.token_touch(api.id, t_use).await.unwrap();
    assert_eq!(s.token_get(api.id).await.unwrap().unwrap().info.last_used_at, Some(shown(t_use)));

    // Revoke; revoking again keeps the first time.
    let t_rev = t0 + time::Duration::minutes(6);
    {
        let mut tx = s.begin().await.unwrap();
        tx.token_revoke(api.id, t_rev).await.unwrap();
        tx.commit().await.unwrap();
    }
    {
        let mut tx = s.begin().await.unwrap();
        tx.token_revoke(api.id, t_rev + time::Duration::minutes(1)).await.unwrap();
        tx.commit().await.unwrap();
    }
    let rec = s.token_get(api.id).await.unwrap().unwrap();
    assert!(rec.revoked);
    assert_eq!(rec.info.revoked_at, Some(shown(t_rev)), "revoking twice is harmless and keeps the first time");
    assert!(s.token_by_hash("hash-api").await.unwrap().unwrap().0.revoked);
    assert!(!s.token_get(session.id).await.unwrap().unwrap().revoked, "only that token");
    {
        let mut tx = s.begin().await.unwrap();
        match tx.token_revoke(Uuid::new_v4(), now()).await {
            Err(StoreError::NotFound(_)) => {}
            other => panic!("expected NotFound, got {other:?}"),
        }
    }

    // Disabling a user revokes all of their tokens (and nobody else's).
    let t_dis = t0 + time::Duration::minutes(30);
    let u = {
        let mut tx = s.begin().await.unwrap();
        let u = tx.user_update(user.id, None, None, Some(true), t_dis).await.unwrap();
        tx.commit().await.unwrap();
        u
    };
    assert!(u.disabled);
    assert!(s.user_get(user.id).await.unwrap().unwrap().user.disabled);
    let rec = s.token_get(session.id).await.unwrap().unwrap();
    assert!(rec.revoked, "disable revokes the session token");
    assert_eq!(rec.info.revoked_at, Some(shown(t_dis)));
    assert_eq!(s.token_get(api.id).await.unwrap().unwrap().info.revoked_at, Some(shown(t_rev)), "earlier revocation kept");
    assert!(!s.token_get(other_tok.id).await.unwrap().unwrap().revoked, "other users' tokens untouched");
    let (_, owner) = s.token_by_hash("hash-session").await.unwrap().unwrap();
    assert!(owner.user.disabled);
    // Re-enabling does not resurrect tokens.
    {
        let mut tx = s.begin().await.unwrap();
        assert!(!tx.user_update(user.id, None, None, Some(false), now()).await.unwrap().disabled);
        tx.commit().await.unwrap();
    }
    assert!(s.token_get(session.id).await.unwrap().unwrap().revoked);
}

async fn login_failures_record_count_clear(b: Backend) {
    let db = Db::new(b).await;
    let s = db.open().await;
    let t = now();
    let min = time::Duration::minutes(1);
    {
        let mut tx = s.begin().await.unwrap();
        tx.login_failure_record("user:ana", t - 10 * min).await.unwrap();
        tx.login_failure_record("user:ana", t - 2 * min).await.unwrap();
        tx.login_failure_record("user:ana", t).await.unwrap();
        tx.login_failure_record("ip:192.0.2.7", t - 10 * min).await.unwrap();
        tx.login_failure_record("ip:192.0.2.7", t).await.unwrap();
        tx.commit().await.unwrap();
    }
    assert_eq!(s.login_failures_since("user:ana", t - 5 * min).await.unwrap(), 2);
    assert_eq!(s.login_failures_since("user:ana", t - 20 * min).await.unwrap(), 3);
    assert_eq!(s.login_failures_since("user:ana", t).await.unwrap(), 1, "`since` is inclusive");
    assert_eq!(s.login_failures_since("user:ana", t + min).await.unwrap(), 0);
    assert_eq!(s.login_failures_since("user:nobody", t - 20 * min).await.unwrap(), 0);

    // Housekeeping forgets old failures of every key.
    {
        let mut tx = s.begin().await.unwrap();
        tx.login_failures_clear(None, t - 5 * min).await.unwrap();
        tx.commit().await.unwrap();
    }
    assert_eq!(s.login_failures_since("user:ana", t - 20 * min).await.unwrap(), 2);
    assert_eq!(s.login_failures_since("ip:192.0.2.7", t - 20 * min).await.unwrap(), 1);
    // A key's failures go after a successful login; others stay.
    {
        let mut tx = s.begin().await.unwrap();
        tx.login_failures_clear(Some("user:ana"), t - 60 * min).await.unwrap();
        tx.commit().await.unwrap();
    }
    assert_eq!(s.login_failures_since("user:ana", t - 20 * min).await.unwrap(), 0);
    assert_eq!(s.login_failures_since("ip:192.0.2.7", t - 20 * min).await.unwrap(), 1);
    // An uncommitted record is not counted.
    {
        let mut tx = s.begin().await.unwrap();
        tx.login_failure_record("user:ana", t).await.unwrap();
    }
    assert_eq!(s.login_failures_since("user:ana", t - 20 * min).await.unwrap(), 0);
}

// ---------------------------------------------------------------------------------------------
// Audit log
// ---------------------------------------------------------------------------------------------

async fn audit_append_list_verify(b: Backend) {
    let db = Db::new(b).await;
    let s = db.open().await;
    let t = now();
    {
        let mut tx = s.begin().await.unwrap();
        let mut e = entry("first", 0);
        e.object_id = None;
        assert_eq!(tx.audit_append(&e, t).await.unwrap(), 1);
        assert_eq!(tx.audit_append(&entry("first", 1), t).await.unwrap(), 2, "two appends in one Tx");
        tx.commit().await.unwrap();
    }
    append_n(&s, "more", 10).await;
    assert_log_is_whole(&s, 12).await;

    let all = s.audit_list(0, 100).await.unwrap();
    let first = &all[0];
    assert_eq!((first.actor.as_str(), first.action.as_str(), first.object_kind.as_str(), first.object_id.as_deref(), first.source.as_str()), ("cli:conformance", "test.append", "test", None, "cli"));
    assert_eq!(first.detail, entry("first", 0).detail, "detail round-trips as JSON");
    assert_eq!(first.at, shown(t));
    assert_eq!(first.prev_hash, GENESIS_HASH);
    // The hash is the documented function of the stored fields.
    let detail = db.text("SELECT detail FROM audit_log WHERE seq = 1").await;
    assert_eq!(first.hash, audit_hash(1, to_micros(t), "cli:conformance", "test.append", "test", None, "cli", &detail, GENESIS_HASH));
    assert_eq!(db.text("SELECT hash FROM audit_head WHERE id = 1").await, all[11].hash, "the head records the last hash");

    // Paging.
    let page: Vec<i64> = s.audit_list(3, 4).await.unwrap().iter().map(|e| e.seq).collect();
    assert_eq!(page, vec![4, 5, 6, 7]);
    assert!(s.audit_list(12, 10).await.unwrap().is_empty());
}

/// Builds a log of `n` entries and returns the store.
async fn log_of(db: &Db, n: usize) -> Store {
    let s = db.open().await;
    append_n(&s, "log", n).await;
    assert_log_is_whole(&s, n as i64).await;
    s
}

fn expect_bad(v: &atalaya_model::audit::AuditVerification, seq: i64, words: &str) {
    assert!(!v.ok, "tampering must be detected: {v:?}");
    assert_eq!(v.first_bad_seq, Some(seq), "{v:?}");
    let p = v.problem.as_deref().unwrap_or_default();
    assert!(p.contains(words), "problem {p:?} should mention {words:?}");
}

async fn audit_tampered_detail_is_named(b: Backend) {
    let db = Db::new(b).await;
    let s = log_of(&db, 10).await;
    assert_eq!(db.exec(r#"UPDATE audit_log SET detail = '{"i":999}' WHERE seq = 4"#).await, 1);
    expect_bad(&s.audit_verify().await.unwrap(), 4, "altered");
}

async fn audit_tampered_and_rehashed_entry_breaks_the_link(b: Backend) {
    let db = Db::new(b).await;
    let s = log_of(&db, 10).await;
    // The forger recomputes entry 6's hash after changing it: entry 7 no longer links to it.
    let at = db.int("SELECT at FROM audit_log WHERE seq = 6").await;
    let prev = db.text("SELECT prev_hash FROM audit_log WHERE seq = 6").await;
    let detail = r#"{"i":"forged"}"#;
    let h = audit_hash(6, at, "cli:conformance", "test.append", "test", Some("log-5"), "cli", detail, &prev);
    assert_eq!(db.exec(&format!("UPDATE audit_log SET detail = '{detail}', hash = '{h}' WHERE seq = 6")).await, 1);
    expect_bad(&s.audit_verify().await.unwrap(), 7, "does not link");
}

async fn audit_deleted_middle_entry_is_missing(b: Backend) {
    let db = Db::new(b).await;
    let s = log_of(&db, 10).await;
    assert_eq!(db.exec("DELETE FROM audit_log WHERE seq = 5").await, 1);
    expect_bad(&s.audit_verify().await.unwrap(), 5, "missing");
}

async fn audit_deleted_tail_is_reported(b: Backend) {
    let db = Db::new(b).await;
    let s = log_of(&db, 10).await;
    assert_eq!(db.exec("DELETE FROM audit_log WHERE seq >= 9").await, 2);
    expect_bad(&s.audit_verify().await.unwrap(), 9, "removed");
    // Even the last entry alone.
    let db = Db::new(b).await;
    let s = log_of(&db, 3).await;
    assert_eq!(db.exec("DELETE FROM audit_log WHERE seq = 3").await, 1);
    expect_bad(&s.audit_verify().await.unwrap(), 3, "removed");
    // Or all of them.
    assert_eq!(db.exec("DELETE FROM audit_log").await, 2);
    expect_bad(&s.audit_verify().await.unwrap(), 1, "removed");
}

async fn audit_changed_prev_hash_is_reported(b: Backend) {
    let db = Db::new(b).await;
    let s = log_of(&db, 10).await;
    assert_eq!(db.exec(&format!("UPDATE audit_log SET prev_hash = '{}' WHERE seq = 3", "ab".repeat(32))).await, 1);
    expect_bad(&s.audit_verify().await.unwrap(), 3, "does not link");
}

async fn audit_changed_head_is_reported(b: Backend) {
    let db = Db::new(b).await;
    let s = log_of(&db, 5).await;
    assert_eq!(db.exec(&format!("UPDATE audit_head SET hash = '{}' WHERE id = 1", "cd".repeat(32))).await, 1);
    expect_bad(&s.audit_verify().await.unwrap(), 5, "head");
}

async fn audit_entry_forged_after_head_is_reported(b: Backend) {
    let db = Db::new(b).await;
    let s = log_of(&db, 5).await;
    // A well-formed, correctly chained entry 6 inserted behind the store's back (head not moved).
    let prev = db.text("SELECT hash FROM audit_log WHERE seq = 5").await;
    let detail = r#"{"forged":true}"#;
    let h = audit_hash(6, 0, "node", "forged", "test", None, "cli", detail, &prev);
    db.exec(&format!(
        "INSERT INTO audit_log (seq, at, actor, action, object_kind, object_id, source, detail, prev_hash, hash) \
         VALUES (6, 0, 'node', 'forged', 'test', NULL, 'cli', '{detail}', '{prev}', '{h}')"
    ))
    .await;
    expect_bad(&s.audit_verify().await.unwrap(), 6, "6");
}

// ---------------------------------------------------------------------------------------------
// Concurrency
// ---------------------------------------------------------------------------------------------

const TASKS: usize = 8;
const PER_TASK: usize = 25;

async fn hammer(stores: Vec<Store>) -> usize {
    let mut handles = vec![];
    for (k, s) in stores.iter().enumerate() {
        for t in 0..TASKS {
            let s = s.clone();
            let tag = format!("s{k}t{t}");
            handles.push(tokio::spawn(async move {
                for i in 0..PER_TASK {
                    let mut tx = s.begin().await?;
                    tx.audit_append(&entry(&tag, i), now()).await?;
                    tx.commit().await?;
                }
                Ok::<_, StoreError>(())
            }));
        }
    }
    let n = handles.len() * PER_TASK;
    for h in handles {
        h.await.expect("join").expect("concurrent append");
    }
    n
}

async fn assert_every_append_once(s: &Store, n: usize) {
    assert_log_is_whole(s, n as i64).await;
    let ids: BTreeSet<String> = s.audit_list(0, 100_000).await.unwrap().into_iter().filter_map(|e| e.object_id).collect();
    assert_eq!(ids.len(), n, "every append recorded exactly once");
}

async fn audit_concurrent_appends_one_store(b: Backend) {
    let db = Db::new(b).await;
    let s = db.open().await;
    let n = hammer(vec![s.clone()]).await;
    assert_eq!(n, 200);
    assert_every_append_once(&s, n).await;
}

async fn audit_concurrent_appends_two_stores(b: Backend) {
    let db = Db::new(b).await;
    let s1 = db.open().await;
    let s2 = db.open().await;
    let n = hammer(vec![s1.clone(), s2.clone()]).await;
    assert_eq!(n, 400);
    assert_every_append_once(&s1, n).await;
    assert_every_append_once(&s2, n).await;
}

/// Verifying a live log while others append must never report tampering.
async fn audit_verify_while_appending(b: Backend) {
    let db = Db::new(b).await;
    let s = db.open().await;
    append_n(&s, "pre", 20).await;
    let writer = {
        let s = s.clone();
        tokio::spawn(async move {
            for i in 0..150 {
                let mut tx = s.begin().await.unwrap();
                tx.audit_append(&entry("live", i), now()).await.unwrap();
                tx.commit().await.unwrap();
            }
        })
    };
    let mut checks = 0;
    while !writer.is_finished() {
        let v = s.audit_verify().await.unwrap();
        assert!(v.ok, "verification during appends reported a problem: {v:?}");
        assert!(v.entries >= 20);
        checks += 1;
    }
    writer.await.unwrap();
    assert!(checks > 0);
    assert_log_is_whole(&s, 170).await;
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

async fn open_unreachable_database_is_unavailable(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = match b {
        Backend::Sqlite => format!("sqlite://{}?mode=rwc", dir.path().join("no/such/dir/x.db").display()),
        Backend::Postgres => {
            let admin = std::env::var("ATALAYA_TEST_DATABASE_URL").unwrap();
            let i = admin.rfind('/').unwrap();
            format!("{}/no_such_db_{}", &admin[..i], Uuid::new_v4().simple())
        }
    };
    let opts = StoreOptions { acquire_timeout: Duration::from_secs(5), ..StoreOptions::default() };
    match Store::open(&url, opts).await {
        Err(StoreError::Unavailable(msg)) => assert!(!msg.contains("app-pass"), "password leaked: {msg}"),
        Err(e) => panic!("expected Unavailable, got {e:?}"),
        Ok(_) => panic!("opening {url} must fail"),
    }
}

#[tokio::test]
async fn open_unknown_scheme_is_config_error() {
    for url in ["mysql://x", "mysql://root:secret@db/atalaya", "", "sqlite", "http://127.0.0.1/"] {
        match Store::open(url, StoreOptions::default()).await {
            Err(StoreError::Config(msg)) => assert!(!msg.contains("secret"), "password leaked: {msg}"),
            Err(e) => panic!("{url:?}: expected Config, got {e:?}"),
            Ok(_) => panic!("{url:?}: must be refused"),
        }
    }
}

#[tokio::test]
async fn open_postgres_on_closed_port_is_unavailable() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("postgres://atalaya:hunter2-pw@127.0.0.1:{port}/atalaya");
    let opts = StoreOptions { acquire_timeout: Duration::from_secs(3), ..StoreOptions::default() };
    let started = std::time::Instant::now();
    match Store::open(&url, opts).await {
        Err(StoreError::Unavailable(msg)) => {
            assert!(!msg.contains("hunter2-pw"), "password leaked: {msg}");
            assert!(msg.contains(&port.to_string()), "message names the server: {msg}");
        }
        Err(e) => panic!("expected Unavailable, got {e:?}"),
        Ok(_) => panic!("nothing listens on {port}"),
    }
    assert!(started.elapsed() < Duration::from_secs(30), "gives up within the acquire timeout");
}

// ---------------------------------------------------------------------------------------------
// SQLite specifics
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn sqlite_file_is_in_wal_mode() {
    let db = Db::new(Backend::Sqlite).await;
    let s = db.open().await;
    append_n(&s, "wal", 1).await;
    // journal_mode=WAL is persistent in the file: a fresh raw connection (sqlx sets no journal
    // mode of its own) reports it.
    assert_eq!(db.text("PRAGMA journal_mode").await.to_ascii_lowercase(), "wal");
    assert!(db._dir.path().join("test.db-wal").exists(), "a WAL file beside the database while the store is open");
    s.close().await;
    // Still WAL after the store closed and on reopen.
    assert_eq!(db.text("PRAGMA journal_mode").await.to_ascii_lowercase(), "wal");
    let s = db.open().await;
    assert_log_is_whole(&s, 1).await;
}

#[tokio::test]
async fn sqlite_read_only_database_is_no_space() {
    let db = Db::new(Backend::Sqlite).await;
    db.open().await.close().await;
    let ro = db.url.replace("mode=rwc", "mode=ro");
    match Store::open(&ro, StoreOptions::default()).await {
        Err(StoreError::NoSpace(_)) => {}
        Err(e) => panic!("a read-only database: expected NoSpace, got {e:?}"),
        Ok(_) => panic!("a read-only database cannot be opened for writing"),
    }
}

// ---------------------------------------------------------------------------------------------
// STIX versions: rows, search words, sightings
// ---------------------------------------------------------------------------------------------

fn stix_row(id: &str, version: &str, words: &str, sighting_of: Option<&str>) -> atalaya_store::NewStixObject {
    atalaya_store::NewStixObject {
        stix_id: id.into(),
        version: version.into(),
        object_type: id.split("--").next().unwrap_or("x").into(),
        spec_version: "2.1".into(),
        tlp: Tlp::Green,
        owner_org: Uuid::from_u128(7),
        revoked: false,
        distribution: None,
        body: format!("{{\"id\":\"{id}\"}}"),
        sighting_of: sighting_of.map(str::to_string),
        sectors: vec![],
        search_text: words.into(),
    }
}

/// Rows and their search words written separately in one transaction (as a big import does:
/// rows per part, words once per batch); duplicates skipped and not indexed; nothing of a
/// dropped transaction is searchable; lookups by id and sightings by the sighted id.
async fn stix_rows_search_and_sightings(b: Backend) {
    use atalaya_store::InsertOutcome;
    let db = Db::new(b).await;
    let s = db.open().await;
    let now = OffsetDateTime::now_utc();
    let mut tx = s.begin().await.expect("begin");
    let part1 = [stix_row("indicator--a", "v1", "alpha wordone", None), stix_row("indicator--b", "v1", "beta wordone", None)];
    let out1 = tx.stix_insert_rows(&part1, now).await.expect("rows");
    let part2 = [
        stix_row("indicator--a", "v1", "alpha duplicate", None),
        stix_row("indicator--a", "v2", "alpha second", None),
        stix_row("sighting--c", "v1", "", Some("indicator--a")),
    ];
    let out2 = tx.stix_insert_rows(&part2, now).await.expect("rows");
    assert!(matches!(out1[..], [InsertOutcome::Stored(1), InsertOutcome::Stored(2)]), "{out1:?}");
    assert!(matches!(out2[..], [InsertOutcome::Duplicate, InsertOutcome::Stored(_), InsertOutcome::Stored(_)]), "{out2:?}");
    let mut words: Vec<(i64, &str)> = vec![];
    for (row, o) in part1.iter().chain(part2.iter()).zip(out1.iter().chain(out2.iter())) {
        if let InsertOutcome::Stored(seq) = o {
            if !row.search_text.is_empty() {
                words.push((*seq, row.search_text.as_str()));
            }
        }
    }
    tx.stix_search_insert(&words).await.expect("search rows");
    tx.commit().await.expect("commit");
    assert_eq!(s.stix_search("wordone", 10).await.expect("search").len(), 2);
    assert_eq!(s.stix_search("alpha", 10).await.expect("search").len(), 2, "both versions of indicator--a");
    assert!(s.stix_search("duplicate", 10).await.expect("search").is_empty(), "a skipped duplicate is not indexed");
    let versions = s.stix_versions("indicator--a").await.expect("versions");
    assert_eq!(versions.iter().map(|r| r.version.as_str()).collect::<Vec<_>>(), ["v1", "v2"]);
    let sightings = s.stix_sightings_of("indicator--a").await.expect("sightings");
    assert_eq!(sightings.len(), 1);
    assert_eq!(sightings[0].stix_id, "sighting--c");
    assert!(s.stix_sightings_of("indicator--b").await.expect("sightings").is_empty());
    // A dropped transaction leaves neither rows nor words.
    let mut tx = s.begin().await.expect("begin");
    let out = tx.stix_insert(&[stix_row("indicator--d", "v1", "gamma", None)], now).await.expect("insert");
    assert!(matches!(out[..], [InsertOutcome::Stored(_)]));
    drop(tx);
    assert!(s.stix_search("gamma", 10).await.expect("search").is_empty());
    assert!(s.stix_versions("indicator--d").await.expect("versions").is_empty());
    // Lookups by id and by sighted id are index searches, not table scans.
    if b == Backend::Sqlite {
        let mut c = db.raw().await;
        for sql in ["SELECT seq FROM stix_objects WHERE stix_id = 'x'", "SELECT seq FROM stix_objects WHERE sighting_of = 'x'"] {
            let plan: Vec<String> = sqlx::query(&format!("EXPLAIN QUERY PLAN {sql}"))
                .fetch_all(&mut c)
                .await
                .expect("plan")
                .iter()
                .map(|r| r.get::<String, _>(3))
                .collect();
            assert!(plan.iter().any(|p| p.contains("USING") && p.contains("INDEX")), "{sql}: {plan:?}");
        }
        let _ = c.close().await;
    }
    s.close().await;
}

// ---------------------------------------------------------------------------------------------
// One test per (behaviour, backend)
// ---------------------------------------------------------------------------------------------

/// Whether `b` is among the backends to test (panics, per the testkit's policy, when PostgreSQL
/// is neither configured nor knowingly skipped).
fn enabled(b: Backend) -> bool {
    let on = Backend::all().contains(&b);
    if !on {
        eprintln!("note: {} not configured; test skipped", b.name());
    }
    on
}

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    if super::enabled(super::Backend::Sqlite) {
                        super::$name(super::Backend::Sqlite).await
                    }
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    if super::enabled(super::Backend::Postgres) {
                        super::$name(super::Backend::Postgres).await
                    }
                }
            )*
        }
    };
}

conformance!(
    migrations_are_idempotent_and_seed_states,
    concurrent_opens_migrate_once,
    newer_schema_is_refused,
    node_meta_round_trip,
    dropped_tx_leaves_nothing,
    error_mid_tx_then_drop_leaves_nothing,
    commit_is_durable_across_reopen,
    org_insert_get_list,
    org_name_unique_ignoring_case_and_blanks,
    org_update_versions_history_and_constituency,
    org_concurrent_updates_one_wins,
    org_delete_refused_while_users_then_history,
    org_delete_with_stale_version_is_refused,
    contact_crud_and_history,
    contact_delete_with_stale_version_is_refused,
    users_insert_unique_update_password,
    tokens_lifecycle_and_disable_revokes,
    login_failures_record_count_clear,
    audit_append_list_verify,
    audit_tampered_detail_is_named,
    audit_tampered_and_rehashed_entry_breaks_the_link,
    audit_deleted_middle_entry_is_missing,
    audit_deleted_tail_is_reported,
    audit_changed_prev_hash_is_reported,
    audit_changed_head_is_reported,
    audit_entry_forged_after_head_is_reported,
    audit_concurrent_appends_one_store,
    audit_concurrent_appends_two_stores,
    audit_verify_while_appending,
    open_unreachable_database_is_unavailable,
    stix_rows_search_and_sightings,
);
