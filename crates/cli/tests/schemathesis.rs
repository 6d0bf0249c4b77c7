//! API robustness: schemathesis (pip, pinned in `.ci/setup`) generates requests from the node's
//! own `/api/v1/openapi.json` — examples, coverage (boundary values, missing/extra fields and
//! headers), random fuzzing and stateful sequences — and runs its checks: no 5xx; every response
//! matches the documented status codes, content types, headers and schemas; missing credentials
//! answered 401 (never 404 or a validation error); unsupported methods 405 with `Allow`; deleted
//! resources gone. Two checks are left out on purpose: `positive_data_acceptance` and
//! `negative_data_rejection` expect the JSON schema to encode every input rule, but many rules are
//! semantic (an IP prefix, an ISO country that exists, an RSIT type, a STIX pattern) and are
//! enforced by the model with a 4xx naming the field — which is what the other tests check.
//! Run against a real `atalaya serve` on SQLite and on PostgreSQL, as the node's administrator
//! (so the generated requests reach the handlers instead of stopping at 401).
//!
//! Two operations are left out because they end the run's own session: `POST /api/v1/auth/logout`
//! revokes the token used for the request, and `DELETE /api/v1/tokens/{id}` may revoke it (its id
//! is listed by `GET /api/v1/tokens`). Both are covered by `crates/cli/tests/node.rs`.
use atalaya_testkit::{on_all_backends, TestNode};
use std::path::{Path, PathBuf};

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_atalaya"))
}

/// `schemathesis` of the venv of `.ci/setup` (beside its python); required under CI.
fn schemathesis() -> Option<PathBuf> {
    let from_env = std::env::var("SCHEMATHESIS").ok().map(PathBuf::from);
    let from_venv = std::env::var("STIX2_VALIDATOR_PYTHON").ok().map(|py| Path::new(&py).with_file_name("schemathesis"));
    match from_env.or(from_venv).filter(|p| p.exists()) {
        Some(p) => Some(p),
        None => {
            assert!(std::env::var("CI").is_err(), "CI must provide schemathesis (see .ci/setup and .ci/test)");
            eprintln!("skipped: schemathesis not found (set SCHEMATHESIS or STIX2_VALIDATOR_PYTHON to the venv of .ci/setup)");
            None
        }
    }
}

on_all_backends!(openapi_contract_holds_under_generated_requests, |backend| async move {
    let Some(st) = schemathesis() else { return };
    let node = TestNode::start(bin(), backend).await;
    // Something to read: one organisation with a contact, one STIX bundle.
    let (status, org) = node.get("/api/v1/organisations", Some(&node.admin_token)).await;
    assert_eq!(status, 200, "{org}");
    let (status, body) = node
        .post(
            "/api/v1/stix/bundles",
            Some(&node.admin_token),
            &serde_json::json!({"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [{
                "type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "name": "bad host",
                "pattern": "[ipv4-addr:value = '198.51.100.7']", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
                "object_marking_refs": ["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"]}]}),
        )
        .await;
    assert!(status < 300, "{status} {body}");

    // Its working directory collects .hypothesis/ and .schemathesis/: keep them out of the tree.
    let work = tempfile::tempdir().expect("tempdir");
    let spec = format!("{}/api/v1/openapi.json", node.url);
    let seed = std::env::var("SCHEMATHESIS_SEED").unwrap_or_else(|_| "20261122".into());
    let out = std::process::Command::new(&st)
        .current_dir(work.path())
        .args(["run", &spec, "--checks", "all", "--exclude-checks", "negative_data_rejection,positive_data_acceptance", "--max-examples", "25", "--seed", &seed, "--no-color", "--wait-for-schema", "10"])
        .args(["--exclude-path", "/api/v1/auth/logout", "--exclude-path", "/api/v1/tokens/{id}"])
        .args(["-H", &format!("Authorization: Bearer {}", node.admin_token)])
        .output()
        .expect("run schemathesis");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary: Vec<&str> = stdout.lines().filter(|l| l.contains("generated") || l.contains("passed") || l.contains("failed")).collect();
    eprintln!("schemathesis on {}: {}", backend.name(), summary.join(" | "));
    assert!(
        out.status.success(),
        "schemathesis found problems on {} (seed {seed}):\n{stdout}\n{}",
        backend.name(),
        String::from_utf8_lossy(&out.stderr)
    );
    // The run must have reached the handlers: an expired or revoked token would make every
    // operation answer 401 and schemathesis warns about it without failing.
    assert!(!stdout.contains("Authentication failed"), "the run lost its credentials:\n{stdout}");
    assert!(stdout.contains("generated"), "no test cases were generated:\n{stdout}");
});
