//! The pattern parser against the OASIS reference validator (`stix2-patterns`).
//!
//! `tests/fixtures/patterns/corpus.txt` holds one pattern per line; `expected.txt` the validator's
//! verdict for each, written by `tests/oracle/expected.py` (never by hand). Where the parser
//! deliberately differs, `allowlist.tsv` says so with the reason.
//!
//! When `STIX2_PATTERNS_PYTHON` names a Python interpreter that has `stix2patterns`, the validator
//! is also run live over the corpus, and its verdicts must match `expected.txt` and the parser.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use atalaya_stix::pattern;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/patterns")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Lines split on '\n' only (patterns may hold other line separators), without the last empty one.
fn lines(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text.split('\n').map(str::to_string).collect();
    if v.last().is_some_and(String::is_empty) {
        v.pop();
    }
    v
}

fn corpus() -> Vec<String> {
    lines(&read(&fixtures().join("corpus.txt")))
}

/// `true` for `valid`, `false` for `invalid`.
fn verdicts(text: &str) -> Vec<bool> {
    lines(text)
        .iter()
        .enumerate()
        .map(|(i, l)| match l.as_str() {
            "valid" => true,
            "invalid" => false,
            other => panic!(
                "line {}: expected 'valid' or 'invalid', found {other:?}",
                i + 1
            ),
        })
        .collect()
}

struct Allowed {
    ours: bool,
    reason: String,
}

fn allowlist() -> HashMap<String, Allowed> {
    let mut map = HashMap::new();
    for (i, line) in lines(&read(&fixtures().join("allowlist.tsv")))
        .iter()
        .enumerate()
    {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(
            cols.len(),
            3,
            "allowlist.tsv line {}: expected 3 tab-separated columns",
            i + 1
        );
        let ours = match cols[0] {
            "valid" => true,
            "invalid" => false,
            other => panic!("allowlist.tsv line {}: verdict {other:?}", i + 1),
        };
        assert!(
            !cols[2].trim().is_empty(),
            "allowlist.tsv line {}: no reason given",
            i + 1
        );
        let dup = map.insert(
            cols[1].to_string(),
            Allowed {
                ours,
                reason: cols[2].to_string(),
            },
        );
        assert!(
            dup.is_none(),
            "allowlist.tsv line {}: pattern listed twice",
            i + 1
        );
    }
    map
}

fn word(valid: bool) -> &'static str {
    if valid {
        "valid"
    } else {
        "invalid"
    }
}

/// Compares the parser with `oracle` (one verdict per corpus line); returns the report's failures.
fn compare(source: &str, corpus: &[String], oracle: &[bool]) -> Vec<String> {
    assert_eq!(
        corpus.len(),
        oracle.len(),
        "{source}: {} verdicts for {} patterns",
        oracle.len(),
        corpus.len()
    );
    let allowed = allowlist();
    let mut failures = Vec::new();
    let (mut agree, mut allowed_count) = (0, 0);
    for (i, (pattern, &oracle_valid)) in corpus.iter().zip(oracle).enumerate() {
        let result = pattern::parse(pattern);
        let ours = result.is_ok();
        let detail = match &result {
            Ok(_) => "parsed".to_string(),
            Err(e) => format!("our error: {e}"),
        };
        match allowed.get(pattern) {
            Some(entry) => {
                if oracle_valid == entry.ours {
                    failures.push(format!(
                        "line {}: allow-listed but the oracle now agrees ({}): {pattern:?}",
                        i + 1,
                        word(oracle_valid)
                    ));
                } else if ours != entry.ours {
                    failures.push(format!(
                        "line {}: allow-list says we answer {}, we answer {} ({detail}): {pattern:?}",
                        i + 1,
                        word(entry.ours),
                        word(ours)
                    ));
                } else {
                    allowed_count += 1;
                }
            }
            None if ours == oracle_valid => agree += 1,
            None => failures.push(format!(
                "line {}: oracle says {}, we say {} ({detail}): {pattern:?}",
                i + 1,
                word(oracle_valid),
                word(ours)
            )),
        }
    }
    println!(
        "{source}: {} patterns; {agree} agree with the oracle, {allowed_count} differ as allow-listed, {} disagreements",
        corpus.len(),
        failures.len()
    );
    failures
}

#[test]
fn corpus_agrees_with_recorded_oracle() {
    let corpus = corpus();
    let expected = verdicts(&read(&fixtures().join("expected.txt")));
    let failures = compare("expected.txt", &corpus, &expected);
    for f in &failures {
        println!("{f}");
    }
    assert!(
        failures.is_empty(),
        "{} disagreement(s) with the oracle, listed above",
        failures.len()
    );
}

#[test]
fn allowlist_entries_are_in_the_corpus_with_reasons() {
    let corpus = corpus();
    for (pattern, entry) in allowlist() {
        assert!(
            corpus.contains(&pattern),
            "allow-listed pattern not in corpus.txt: {pattern:?}"
        );
        println!(
            "allow-listed ({}): {pattern}  -- {}",
            word(entry.ours),
            entry.reason
        );
    }
}

#[test]
fn corpus_covers_enough_valid_and_invalid_patterns() {
    let expected = verdicts(&read(&fixtures().join("expected.txt")));
    let valid = expected.iter().filter(|&&v| v).count();
    let invalid = expected.len() - valid;
    println!(
        "corpus: {} patterns, {valid} valid and {invalid} invalid per the oracle",
        expected.len()
    );
    assert!(valid >= 80, "only {valid} valid patterns");
    assert!(invalid >= 70, "only {invalid} invalid patterns");
}

/// Every `pattern` value of the shared STIX example files is in the corpus (skipped when the
/// shared data is not beside the repository).
#[test]
fn corpus_holds_every_example_pattern() {
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, item) in map {
                    match item {
                        serde_json::Value::String(s) if k == "pattern" => out.push(s.clone()),
                        other => walk(other, out),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    fn files(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                files(&path, out);
            } else if path.extension().is_some_and(|e| e == "json") {
                out.push(path);
            }
        }
    }
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    let dirs = [shared.join("stix21-examples"), shared.join("stix-examples")];
    if !dirs.iter().any(|d| d.is_dir()) {
        println!("skipped: no STIX example files under {}", shared.display());
        return;
    }
    let corpus = corpus();
    let mut paths = Vec::new();
    for d in &dirs {
        files(d, &mut paths);
    }
    let mut count = 0;
    for path in paths {
        let value: serde_json::Value = serde_json::from_str(&read(&path))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut found = Vec::new();
        walk(&value, &mut found);
        for p in found {
            count += 1;
            assert!(
                corpus.contains(&p),
                "{}: pattern not in corpus.txt (run tests/oracle/examples.py): {p:?}",
                path.display()
            );
        }
    }
    println!("all {count} example pattern values are in the corpus");
}

/// Runs `tests/oracle/expected.py` with `STIX2_PATTERNS_PYTHON` and compares.
#[test]
fn corpus_agrees_with_live_oracle() {
    let Some(python) = std::env::var_os("STIX2_PATTERNS_PYTHON").filter(|p| !p.is_empty()) else {
        println!("skipped: set STIX2_PATTERNS_PYTHON to a python with stix2patterns to run the oracle live");
        return;
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/expected.py");
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let out = std::env::temp_dir().join(format!(
        "stix-pattern-oracle-{}-{nanos}.txt",
        std::process::id()
    ));
    let status = Command::new(&python)
        .arg(&script)
        .arg(fixtures().join("corpus.txt"))
        .arg(&out)
        .status()
        .unwrap_or_else(|e| panic!("running {python:?} {}: {e}", script.display()));
    assert!(status.success(), "the live oracle failed: {status}");
    let live_text = read(&out);
    let _ = std::fs::remove_file(&out);
    let live = verdicts(&live_text);
    let recorded = verdicts(&read(&fixtures().join("expected.txt")));
    let corpus = corpus();
    let mut failures = compare("live oracle", &corpus, &live);
    for (i, (l, r)) in live.iter().zip(&recorded).enumerate() {
        if l != r {
            failures.push(format!(
                "line {}: expected.txt says {} but the live oracle says {} (regenerate expected.txt): {:?}",
                i + 1,
                word(*r),
                word(*l),
                corpus.get(i)
            ));
        }
    }
    for f in &failures {
        println!("{f}");
    }
    assert!(
        failures.is_empty(),
        "{} disagreement(s) with the live oracle, listed above",
        failures.len()
    );
}
