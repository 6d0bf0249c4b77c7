//! Timestamps are stored as microseconds since the Unix epoch (UTC) and shown as RFC 3339.
use time::OffsetDateTime;

pub fn to_micros(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000) as i64
}

pub fn from_micros(us: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(us as i128 * 1_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_else(|_| t.to_string())
}

pub fn micros_rfc3339(us: i64) -> String {
    rfc3339(from_micros(us))
}
