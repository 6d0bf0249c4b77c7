//! The ingest path the benchmark drives, on batches big enough to be checked on several threads
//! and written in several parts: the report (stored, updated, skipped, rejected, positions) and
//! the correlation index (values added from the batch, not read back) must be what they were
//! when a batch was checked and written in one go.

use atalaya_services::intel::ImportOptions;
use atalaya_services::{Ctx, ServiceConfig, Services};
use serde_json::{json, Value};

const MARKING_GREEN: &str = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";

fn id(n: usize) -> String {
    format!("indicator--{:08x}-1111-4111-8111-{:012x}", n, n)
}

fn indicator(n: usize, modified: &str, ip: &str) -> Value {
    json!({
        "type": "indicator", "spec_version": "2.1", "id": id(n),
        "created": "2026-01-01T00:00:00.000Z", "modified": modified,
        "name": format!("indicator {n}"), "pattern": format!("[ipv4-addr:value = '{ip}']"),
        "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00.000Z",
        "object_marking_refs": [MARKING_GREEN]
    })
}

fn ip(n: usize) -> String {
    format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255)
}

async fn open(dir: &std::path::Path) -> Services {
    let config = ServiceConfig { node_name: "Test CSIRT".into(), node_country: Some("AR".into()), ..Default::default() };
    Services::open(dir, None, config).await.expect("open")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_batch_in_parts_reports_and_indexes_like_one_write() {
    let dir = tempfile::tempdir().expect("tempdir");
    let svc = open(dir.path()).await;
    let ctx = Ctx::operator();
    let opts = ImportOptions::default();
    let n = 6000;
    let mut batch: Vec<Value> = (0..n).map(|i| indicator(i, "2026-01-01T00:00:00.000Z", &ip(i))).collect();
    // Late in the batch (a later part): a broken object, a duplicate of an object of the first
    // part, a new version of another, and an object sharing a value with the first part.
    batch.insert(4500, json!({"type": "indicator", "id": "indicator--broken"}));
    batch.push(indicator(10, "2026-01-01T00:00:00.000Z", &ip(10)));
    batch.push(indicator(20, "2026-02-01T00:00:00.000Z", &ip(20)));
    batch.push(indicator(n + 1, "2026-01-01T00:00:00.000Z", &ip(30)));
    let total = batch.len();
    let r = svc.import_batch(&ctx, batch, 100, &opts).await.expect("import");
    assert_eq!((r.stored, r.updated, r.skipped, r.rejected), (n as u64 + 1, 1, 1, 1), "{r:?}");
    assert_eq!(r.rejections.len(), 1);
    assert_eq!(r.rejections[0].index, 100 + 4500);
    assert_eq!(r.rejections[0].id.as_deref(), Some("indicator--broken"));
    // One seq per input object that passed the checks, handed out in input order.
    let (count, max_seq) = svc.store.stix_stats().await.expect("stats");
    assert_eq!(count as usize, n + 2);
    assert_eq!(r.last_seq, max_seq);
    assert!(max_seq as usize <= total);
    // The search words of every part are indexed (once per batch), for stored versions only:
    // objects of the first, a middle and the last part; the duplicate is not indexed twice,
    // both versions of indicator 20 are.
    for (i, hits) in [(5usize, 1usize), (2600, 1), (5999, 1), (10, 1), (20, 2)] {
        let seqs = svc.store.stix_search(&ip(i), 10).await.expect("search");
        assert_eq!(seqs.len(), hits, "search {}: {seqs:?}", ip(i));
    }
    // Correlations are listed against earlier imports only: none within one batch.
    assert!(r.correlations.is_empty(), "{:?}", r.correlations);

    // A second batch: its values meet the first batch's in the index.
    let again = vec![indicator(n + 2, "2026-01-01T00:00:00.000Z", &ip(42))];
    let r2 = svc.import_batch(&ctx, again, 0, &opts).await.expect("import");
    assert_eq!(r2.stored, 1);
    assert_eq!(r2.correlations.len(), 1, "{r2:?}");
    assert_eq!(r2.correlations[0].shared_with[0].id, id(42));

    // The index built from the batch equals the one rebuilt from the store.
    let ans = svc.correlate_value(&ctx, Some("ipv4"), &ip(20), 10).await.expect("correlate");
    let mut ids: Vec<String> = ans.matches.iter().map(|m| format!("{} {}", m.id, m.version)).collect();
    ids.sort();
    svc.store.close().await;
    let fresh = open(dir.path()).await;
    let ans2 = fresh.correlate_value(&ctx, Some("ipv4"), &ip(20), 10).await.expect("correlate");
    let mut ids2: Vec<String> = ans2.matches.iter().map(|m| format!("{} {}", m.id, m.version)).collect();
    ids2.sort();
    assert_eq!(ids, ids2);
    assert_eq!(ids.len(), 2, "both versions of indicator 20: {ids:?}");
    let shared = fresh.correlate_value(&ctx, Some("ipv4"), &ip(30), 10).await.expect("correlate");
    assert_eq!(shared.matches.len(), 2, "{:?}", shared.matches);
    fresh.store.close().await;
}
