//! MISP for Atalaya (model layer: pure types and mappings, no storage, no HTTP).
//!
//! - [`event`]: the MISP core format — events, attributes, objects and object references, tags,
//!   galaxies and clusters, sightings — parsed with errors naming the JSON path of the fault
//!   (`Event.Attribute[3].type`); documents that are not events (a galaxy, a sighting, an object
//!   template, `{}`) are refused with a message saying what they are.
//! - [`to_stix`]: an event as STIX 2.1 objects (report, indicators, observed-data and SCOs,
//!   sightings, galaxy SDOs, relationships), keeping the MISP JSON in `x_misp_*` properties so
//!   that the way back is lossless.
//! - [`from_stix`]: STIX 2.1 back to MISP events (lossless for objects that came from MISP; a
//!   documented mapping for the others).
//! - [`feed`]: MISP feeds (`manifest.json`, `hashes.csv`, `<uuid>.json`).
//! - [`freetext`]: CSV and free-text indicator lists with type detection.
//!
//! The full mapping table is `docs/misp-mapping.md`.

pub mod event;
pub mod feed;
pub mod freetext;
pub mod from_stix;
pub mod to_stix;
pub mod types;
mod util;

pub use event::{parse_document, Event, ParseOptions, ParsedEvent};

/// A problem with MISP input, naming the JSON path at fault (`Event.Attribute[0].uuid`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MispError {
    pub field: String,
    pub reason: String,
}

impl MispError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        MispError { field: field.into(), reason: reason.into() }
    }
}

impl std::fmt::Display for MispError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

impl std::error::Error for MispError {}

/// Namespace of the UUIDv5s this crate derives (missing MISP uuids, galaxy clusters without a
/// uuid, free-text indicators, synthetic feed events).
pub const NAMESPACE: uuid::Uuid = uuid::Uuid::from_bytes([
    0x6b, 0x1e, 0x8e, 0x52, 0x3c, 0x0d, 0x4f, 0x7a, 0x9e, 0x1f, 0x0a, 0x74, 0x61, 0x6c, 0x61, 0x79,
]);
