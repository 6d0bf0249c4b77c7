//! STIX 2.1 for Atalaya (model layer: pure types and checks, no storage, no HTTP).
//!
//! - [`object`]: every SDO, SRO, SCO and meta object of STIX 2.1 — the specification's MUST
//!   rules, custom properties and extensions kept verbatim, streaming bundle / JSON-lines input.
//! - [`pattern`]: a real parser of the STIX patterning grammar with positioned errors, and the
//!   extraction of the observable values a pattern compares against.

pub mod object;
pub mod pattern;
