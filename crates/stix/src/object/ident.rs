//! Type names, object categories and identifiers (STIX 2.1 sections 2.9, 3.1, 3.3).

use uuid::Uuid;

/// The kind of a STIX object, from its `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectCategory {
    /// STIX Domain Object (section 4).
    Sdo,
    /// STIX Relationship Object: `relationship`, `sighting` (section 5).
    Sro,
    /// STIX Cyber-observable Object (section 6).
    Sco,
    /// STIX Meta Object: `language-content`, `marking-definition`, `extension-definition` (section 7).
    Meta,
    /// A type this specification does not define (custom objects, `x-…`, extension-defined types).
    Custom,
}

pub(crate) const SDO_TYPES: &[&str] = &[
    "attack-pattern",
    "campaign",
    "course-of-action",
    "grouping",
    "identity",
    "incident",
    "indicator",
    "infrastructure",
    "intrusion-set",
    "location",
    "malware",
    "malware-analysis",
    "note",
    "observed-data",
    "opinion",
    "report",
    "threat-actor",
    "tool",
    "vulnerability",
];
pub(crate) const SRO_TYPES: &[&str] = &["relationship", "sighting"];
pub(crate) const SCO_TYPES: &[&str] = &[
    "artifact",
    "autonomous-system",
    "directory",
    "domain-name",
    "email-addr",
    "email-message",
    "file",
    "ipv4-addr",
    "ipv6-addr",
    "mac-addr",
    "mutex",
    "network-traffic",
    "process",
    "software",
    "url",
    "user-account",
    "windows-registry-key",
    "x509-certificate",
];
pub(crate) const META_TYPES: &[&str] = &[
    "language-content",
    "marking-definition",
    "extension-definition",
];

/// The category of a type name. `bundle` is not a STIX object and reports [`ObjectCategory::Custom`];
/// callers check for it separately.
pub fn category_of(object_type: &str) -> ObjectCategory {
    if SDO_TYPES.contains(&object_type) {
        ObjectCategory::Sdo
    } else if SRO_TYPES.contains(&object_type) {
        ObjectCategory::Sro
    } else if SCO_TYPES.contains(&object_type) {
        ObjectCategory::Sco
    } else if META_TYPES.contains(&object_type) {
        ObjectCategory::Meta
    } else {
        ObjectCategory::Custom
    }
}

/// Checks a type name: ASCII a–z, 0–9 and hyphen, beginning with a letter, no two hyphens in a
/// row, 3–250 characters (sections 3.1 and 7.3.2).
pub(crate) fn check_type_name(t: &str) -> Result<(), String> {
    if t.len() < 3 || t.len() > 250 {
        return Err(format!("type name '{t}' must be 3 to 250 characters long"));
    }
    if !t
        .bytes()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
    {
        return Err(format!(
            "type name '{t}' may only contain a-z, 0-9 and hyphen"
        ));
    }
    if !t.as_bytes()[0].is_ascii_lowercase() {
        return Err(format!("type name '{t}' must begin with a letter a-z"));
    }
    if t.contains("--") {
        return Err(format!(
            "type name '{t}' must not contain two hyphens in a row"
        ));
    }
    Ok(())
}

/// A well-formed identifier `type--UUID`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ident<'a> {
    pub object_type: &'a str,
    pub uuid: Uuid,
}

/// Parses `type--UUID`: the type must be a valid type name and the UUID an RFC 4122 UUID in its
/// hyphenated 36-character form (variant bits `10`).
pub(crate) fn parse_identifier(s: &str) -> Result<Ident<'_>, String> {
    let Some((object_type, uuid_part)) = s.rsplit_once("--") else {
        return Err(format!(
            "'{s}' is not a STIX identifier (expected TYPE--UUID)"
        ));
    };
    check_type_name(object_type).map_err(|e| format!("'{s}' is not a STIX identifier: {e}"))?;
    let well_formed = uuid_part.len() == 36
        && uuid_part.bytes().enumerate().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == b'-'
            } else {
                c.is_ascii_hexdigit()
            }
        });
    if !well_formed {
        return Err(format!(
            "'{s}' is not a STIX identifier: '{uuid_part}' is not a hyphenated UUID"
        ));
    }
    let uuid = Uuid::parse_str(uuid_part)
        .map_err(|e| format!("'{s}' is not a STIX identifier: '{uuid_part}': {e}"))?;
    if uuid.get_variant() != uuid::Variant::RFC4122 {
        return Err(format!(
            "'{s}' is not a STIX identifier: the UUID '{uuid_part}' is not an RFC 4122 UUID (wrong variant bits)"
        ));
    }
    if uuid.get_version_num() == 0 {
        return Err(format!(
            "'{s}' is not a STIX identifier: the UUID '{uuid_part}' has no RFC 4122 version"
        ));
    }
    Ok(Ident { object_type, uuid })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert!(parse_identifier("indicator--e2e1a340-4415-4ba8-9671-f7343fbf0836").is_ok());
        assert!(parse_identifier("x-my-type--e2e1a340-4415-4ba8-9671-f7343fbf0836").is_ok());
        assert!(parse_identifier("indicator--E2E1A340-4415-4BA8-9671-F7343FBF0836").is_ok());
        for bad in [
            "indicator",
            "indicator--",
            "indicator-e2e1a340-4415-4ba8-9671-f7343fbf0836",
            "Indicator--e2e1a340-4415-4ba8-9671-f7343fbf0836",
            "indicator--e2e1a3404415-4ba8-9671-f7343fbf0836",
            "indicator--e2e1a340-4415-4ba8-9671-f7343fbf083",
            "indicator--e2e1a340-4415-4ba8-c671-f7343fbf0836",
            "indicator--00000000-0000-0000-0000-000000000000",
            "indicator--{e2e1a340-4415-4ba8-9671-f7343fbf0836}",
            "ab--e2e1a340-4415-4ba8-9671-f7343fbf0836",
        ] {
            assert!(parse_identifier(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn type_names() {
        assert!(check_type_name("attack-pattern").is_ok());
        assert!(check_type_name("x-acme-widget").is_ok());
        for bad in [
            "ab",
            "Attack-pattern",
            "1abc",
            "a--b",
            "a_b_c",
            "-abc",
            &"a".repeat(251),
        ] {
            assert!(check_type_name(bad).is_err(), "{bad}");
        }
    }
}
