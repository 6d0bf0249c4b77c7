//! STIX 2.1 objects: the MUST rules of the specification for every SDO, SRO, SCO and meta
//! object, deterministic SCO ids, observable extraction, and streaming input.
//!
//! # Checking objects
//!
//! [`check_object`] takes one JSON value and returns a [`StixObject`] (the object kept verbatim
//! in `json`, plus typed common properties and SHOULD-level `warnings`) or an [`ObjectError`]
//! naming the property at fault (`external_references[2].source_name`). Rules checked:
//! `type` and `id` format (`TYPE--UUID`, RFC 4122 variant, prefix = type); `spec_version`;
//! timestamps (`YYYY-MM-DDTHH:mm:ss[.s+]Z`) and their order (`modified >= created`,
//! `valid_until > valid_from`, `last_seen >= first_seen`, …); required properties and property
//! types of every STIX 2.1 type (tables in `spec.rs`); reference properties and the types they
//! may point to; enumerations; empty lists and dictionaries; external references, kill chain
//! phases, granular markings (including that selectors point at present content); predefined
//! SCO extensions and extension-definition extensions; custom property and type names; the
//! reserved property names; TLP marking definitions; a single TLP level per object. Indicator
//! patterns of `pattern_type` `stix` go through [`crate::pattern::parse`].
//!
//! Custom content is accepted and kept: `x-…` types and types declared by an extension
//! definition (`new-sdo`, `new-sro`, `new-sco`) are checked for the common properties of their
//! kind; custom properties are checked for their names (and `_ref`/`_refs` values).
//!
//! SHOULD-level findings become warnings, not errors: an SCO id that differs from its
//! deterministic id ([`deterministic_sco_id`]), `created`/`modified` with less than millisecond
//! precision (the specification's "minimum precision MUST be milliseconds" is deliberately
//! relaxed: many producers emit whole seconds), common properties that do not apply to the
//! object's kind (e.g. `modified` on a marking definition), non-UUIDv4 ids on SDOs/SROs,
//! deprecated properties. Open vocabularies are only checked to be strings.
//!
//! # STIX 2.0
//!
//! STIX 2.0 content is **rejected** with a clear message rather than converted:
//! an SDO, SRO or meta object without `spec_version` (the 2.0 form) or with `"2.0"` fails with
//! field `spec_version` and the reason
//! `STIX 2.0 content is not accepted: spec_version is missing (STIX 2.1 requires spec_version "2.1"); convert with the OASIS stix2-elevator`
//! ([`STIX20_OBJECT_MESSAGE`]); a bundle carrying `"spec_version": "2.0"` makes [`ObjectStream`]
//! yield a [`StreamErrorKind::Stix20`] error with a similar message and skip that bundle's
//! objects. Converting 2.0 (observable containers, `labels` as types, TLP as created objects,
//! …) is the job of the OASIS stix2-elevator; a half-conversion here would produce content no
//! one wrote. SCOs have no 2.0 top-level form, so an SCO without `spec_version` is 2.1.
//!
//! # Streaming
//!
//! [`ObjectStream`] reads a bundle (objects streamed one at a time, never the whole array),
//! JSON Lines (one object or bundle per line; a bad line is reported and skipped), or a JSON
//! array of objects, from any [`std::io::Read`], in bounded memory.
//!
//! # Observables
//!
//! [`StixObject::observables`] gives the correlatable values of SCOs (addresses, domains, URLs,
//! e-mail addresses, AS numbers, file hashes).

mod check;
mod error;
mod ident;
mod observable;
mod sco_id;
mod spec;
mod stix_object;
mod stream;
mod timestamp;

pub use check::{
    check_object, check_object_all, check_object_with, CheckOptions, STIX20_OBJECT_MESSAGE,
};
pub use error::ObjectError;
pub use ident::{category_of, ObjectCategory};
pub use observable::{Observable, ObservableKind};
pub use sco_id::{canonical_json, deterministic_sco_id, SCO_NAMESPACE};
pub use stix_object::StixObject;
pub use stream::{
    ObjectStream, StreamError, StreamErrorKind, StreamFormat, DEFAULT_MAX_OBJECT_BYTES,
};
