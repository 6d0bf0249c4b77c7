//! The checked STIX object.

use atalaya_model::Tlp;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::ident::{category_of, ObjectCategory};
use super::timestamp;

/// A STIX 2.1 object that passed [`check_object`](super::check_object).
///
/// The typed fields are conveniences; `json` keeps the object verbatim (custom properties,
/// extensions, granular markings, everything), so nothing is lost when it is stored or re-shared.
#[derive(Debug, Clone, PartialEq)]
pub struct StixObject {
    pub id: String,
    /// The `type` property.
    pub object_type: String,
    /// Always `"2.1"`: SCOs without `spec_version` default to it (section 3.2).
    pub spec_version: String,
    /// The original `created` string (absent on SCOs).
    pub created: Option<String>,
    /// The original `modified` string (absent on SCOs and marking definitions).
    pub modified: Option<String>,
    pub revoked: bool,
    pub object_marking_refs: Vec<String>,
    pub created_by_ref: Option<String>,
    /// The object exactly as received.
    pub json: Map<String, Value>,
    /// SHOULD-level findings (the object is accepted): e.g. an SCO id that is not the deterministic
    /// one, a `created` timestamp with less than millisecond precision, a deprecated property.
    pub warnings: Vec<String>,
}

impl StixObject {
    /// The version of the object: `modified`, else `created`, else `""` (SCOs are not versioned).
    pub fn version(&self) -> String {
        self.modified
            .clone()
            .or_else(|| self.created.clone())
            .unwrap_or_default()
    }

    /// `created` parsed (fractions beyond nanoseconds truncated).
    pub fn created_at(&self) -> Option<OffsetDateTime> {
        self.created
            .as_deref()
            .and_then(|s| timestamp::parse(s).ok())
            .map(|t| t.at)
    }

    /// `modified` parsed (fractions beyond nanoseconds truncated).
    pub fn modified_at(&self) -> Option<OffsetDateTime> {
        self.modified
            .as_deref()
            .and_then(|s| timestamp::parse(s).ok())
            .map(|t| t.at)
    }

    /// `modified`, else `created`, parsed.
    pub fn version_at(&self) -> Option<OffsetDateTime> {
        self.modified_at().or_else(|| self.created_at())
    }

    /// Any top-level timestamp property parsed (`valid_from`, `first_seen`, `published`, …).
    pub fn timestamp(&self, property: &str) -> Option<OffsetDateTime> {
        self.json
            .get(property)
            .and_then(Value::as_str)
            .and_then(|s| timestamp::parse(s).ok())
            .map(|t| t.at)
    }

    /// SDO, SRO, SCO, meta object or custom.
    pub fn category(&self) -> ObjectCategory {
        category_of(&self.object_type)
    }

    /// The TLP level from `object_marking_refs` (TLP 2.0 and TLP 1.0 marking-definition ids).
    /// [`check_object`](super::check_object) rejects objects marked with two different levels;
    /// for an object built by hand that has several, the most restrictive one is returned.
    /// Granular markings are not considered: TLP is an object-level value.
    pub fn tlp(&self) -> Option<Tlp> {
        tlp_of_refs(self.object_marking_refs.iter().map(String::as_str))
            .into_iter()
            .max()
    }
}

/// The distinct TLP levels among marking-definition ids, in first-seen order.
pub(crate) fn tlp_of_refs<'a>(refs: impl Iterator<Item = &'a str>) -> Vec<Tlp> {
    let mut levels = Vec::new();
    for r in refs {
        if let Some(t) = Tlp::from_marking_definition_id(r) {
            if !levels.contains(&t) {
                levels.push(t);
            }
        }
    }
    levels
}
