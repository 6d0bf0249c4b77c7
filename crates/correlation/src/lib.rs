//! Atalaya correlation index: a pure, in-memory map from observable values
//! (IP networks, domains, URLs, e-mail addresses, ASNs, file hashes, other
//! kinds) to the objects that contain them, answering "which objects share
//! this value?" with CIDR containment for IP networks and parent/subdomain
//! relations for domains.
//!
//! Objects are identified by a `u64` seq (the node's monotonic added-sequence
//! of an object version). The index stores postings `(value, seq)` only —
//! never object-to-object pairs — and summarises values with more than
//! [`Config::frequent_threshold`] postings into a count plus the
//! [`FREQUENT_SAMPLE`] most recent seqs.
//!
//! No I/O, no database, no dependencies beyond std. See
//! [`CorrelationIndex`] for the data-structure design.
//!
//! **Fingerprints.** URLs, e-mail addresses, ASNs, hashes, other kinds and
//! domain names are keyed by a 128-bit keyed SipHash-1-3 of their canonical
//! encoding, with keys drawn at random per index (std `RandomState`). An
//! adversary who does not know the keys cannot aim for a collision, and the
//! chance of an accidental one among `n` values is about `n²/2¹²⁹`
//! (≈ 10⁻²⁵ for 10⁷ values), so the index treats fingerprint equality as
//! value equality and does not keep those values in full (domains are kept,
//! reversed, for subdomain scans). IP networks are keyed by their numeric
//! address, exactly.
//!
//! ```
//! use atalaya_correlation::{Config, CorrelationIndex, MatchKind, Value};
//!
//! let mut index = CorrelationIndex::new(Config::default());
//! index.insert(1, &[Value::parse("ipv4", "198.51.100.0/24").unwrap()]);
//! index.insert(2, &[Value::parse("domain", "example.com").unwrap()]);
//!
//! let hit = index.lookup(&Value::parse("ipv4", "198.51.100.7").unwrap(), 100);
//! assert_eq!(hit.matches[0].0, 1);
//! assert_eq!(hit.matches[0].2, MatchKind::Contains);
//!
//! let hit = index.lookup(&Value::parse("domain", "WWW.Example.com.").unwrap(), 100);
//! assert_eq!(hit.matches, vec![(2, Value::Domain("example.com".into()), MatchKind::ParentDomain)]);
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod hash;
mod index;
mod postings;
mod sorted;
mod table;
mod value;

#[cfg(test)]
mod tests;

pub use index::{Config, CorrelationIndex, Lookup, MatchKind};
pub use postings::FREQUENT_SAMPLE;
pub use value::{HashAlgo, Value, MAX_VALUE_LEN};
