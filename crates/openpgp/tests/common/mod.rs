//! Shared helpers for the integration tests: fixture loading and the gpg `--with-colons` records
//! written by `fixtures/generate.sh`.
#![allow(dead_code)]

use std::path::PathBuf;

use time::OffsetDateTime;

pub fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// What `gpg --with-colons --fingerprint` reported for a fixture key.
#[derive(Debug)]
pub struct GpgRecord {
    pub fingerprint: String,
    pub key_id: String,
    pub created: OffsetDateTime,
    pub expires: Option<OffsetDateTime>,
    /// Overall key capabilities (capital letters = usable by the key as a whole).
    pub capabilities: String,
    pub user_ids: Vec<String>,
}

impl GpgRecord {
    pub fn can_encrypt(&self) -> bool {
        self.capabilities.contains('E')
    }
}

fn ts(field: &str) -> Option<OffsetDateTime> {
    if field.is_empty() {
        return None;
    }
    let secs: i64 = field.parse().expect("gpg timestamp");
    Some(OffsetDateTime::from_unix_timestamp(secs).expect("timestamp in range"))
}

/// Parses `<name>.colons.txt`.
pub fn gpg_record(name: &str) -> GpgRecord {
    let text = String::from_utf8(fixture(&format!("{name}.colons.txt"))).expect("utf-8");
    let mut record: Option<GpgRecord> = None;
    let mut after_pub = false;
    for line in text.lines() {
        let f: Vec<&str> = line.split(':').collect();
        match f[0] {
            "pub" => {
                record = Some(GpgRecord {
                    fingerprint: String::new(),
                    key_id: f[4].to_string(),
                    created: ts(f[5]).expect("creation time"),
                    expires: ts(f[6]),
                    capabilities: f[11].to_string(),
                    user_ids: Vec::new(),
                });
                after_pub = true;
            }
            "fpr" if after_pub => {
                record.as_mut().expect("pub first").fingerprint = f[9].to_string();
                after_pub = false;
            }
            "uid" => record
                .as_mut()
                .expect("pub first")
                .user_ids
                .push(f[9].to_string()),
            _ => {}
        }
    }
    record.expect("a pub record")
}

/// Decodes an armored fixture to binary packets (via rPGP's de-armorer).
pub fn dearmor(armored: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut d = pgp::armor::Dearmor::new(armored);
    let mut out = Vec::new();
    d.read_to_end(&mut out).expect("valid armor");
    out
}

pub fn date(y: i32, m: u8, d: u8) -> OffsetDateTime {
    time::Date::from_calendar_date(y, time::Month::try_from(m).expect("month"), d)
        .expect("date")
        .midnight()
        .assume_utc()
}
