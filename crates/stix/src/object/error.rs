//! The error of [`check_object`](super::check_object).

use std::fmt;

/// A STIX object that breaks a MUST rule of the STIX 2.1 specification.
///
/// `field` names the property precisely, with a JSON-path-like syntax:
/// `external_references[2].source_name`, `extensions.ntfs-ext.sid`, `object_refs[0]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectError {
    /// The object's `id` when it had a string one (even a malformed one).
    pub id: Option<String>,
    /// The property at fault (`""` when the value is not a JSON object at all).
    pub field: String,
    /// What is wrong, in plain words.
    pub reason: String,
}

impl ObjectError {
    pub(crate) fn new(
        id: Option<&str>,
        field: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        ObjectError {
            id: id.map(str::to_owned),
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for ObjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = self.id.as_deref().unwrap_or("(no id)");
        if self.field.is_empty() {
            write!(f, "{id}: {}", self.reason)
        } else {
            write!(f, "{id}: {}: {}", self.field, self.reason)
        }
    }
}

impl std::error::Error for ObjectError {}
