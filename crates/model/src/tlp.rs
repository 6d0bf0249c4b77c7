//! Traffic Light Protocol 2.0 (FIRST). TLP is a field with exactly one value, never a tag.
//! Labels are never translated.
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Ordered from least to most restrictive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Tlp {
    #[serde(rename = "TLP:CLEAR")]
    Clear,
    #[serde(rename = "TLP:GREEN")]
    Green,
    #[serde(rename = "TLP:AMBER")]
    Amber,
    #[serde(rename = "TLP:AMBER+STRICT")]
    AmberStrict,
    #[serde(rename = "TLP:RED")]
    Red,
}

/// STIX 2.1 marking-definition ids of TLP 2.0 (OASIS, `stix-common/tlp-2.0`).
pub const TLP2_CLEAR_ID: &str = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487";
pub const TLP2_GREEN_ID: &str = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
pub const TLP2_AMBER_ID: &str = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
pub const TLP2_AMBER_STRICT_ID: &str = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003";
pub const TLP2_RED_ID: &str = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";
/// STIX 2.1 marking-definition ids of TLP 1.0 (WHITE maps to CLEAR).
pub const TLP1_WHITE_ID: &str = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9";
pub const TLP1_GREEN_ID: &str = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da";
pub const TLP1_AMBER_ID: &str = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82";
pub const TLP1_RED_ID: &str = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed";

impl Tlp {
    pub const ALL: [Tlp; 5] = [Tlp::Clear, Tlp::Green, Tlp::Amber, Tlp::AmberStrict, Tlp::Red];

    pub fn label(self) -> &'static str {
        match self {
            Tlp::Clear => "TLP:CLEAR",
            Tlp::Green => "TLP:GREEN",
            Tlp::Amber => "TLP:AMBER",
            Tlp::AmberStrict => "TLP:AMBER+STRICT",
            Tlp::Red => "TLP:RED",
        }
    }

    pub fn marking_definition_id(self) -> &'static str {
        match self {
            Tlp::Clear => TLP2_CLEAR_ID,
            Tlp::Green => TLP2_GREEN_ID,
            Tlp::Amber => TLP2_AMBER_ID,
            Tlp::AmberStrict => TLP2_AMBER_STRICT_ID,
            Tlp::Red => TLP2_RED_ID,
        }
    }

    /// Recognises TLP 2.0 and TLP 1.0 marking-definition ids.
    pub fn from_marking_definition_id(id: &str) -> Option<Tlp> {
        Some(match id {
            TLP2_CLEAR_ID | TLP1_WHITE_ID => Tlp::Clear,
            TLP2_GREEN_ID | TLP1_GREEN_ID => Tlp::Green,
            TLP2_AMBER_ID | TLP1_AMBER_ID => Tlp::Amber,
            TLP2_AMBER_STRICT_ID => Tlp::AmberStrict,
            TLP2_RED_ID | TLP1_RED_ID => Tlp::Red,
            _ => return None,
        })
    }
}

impl std::fmt::Display for Tlp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for Tlp {
    type Err = String;
    /// Accepts `TLP:AMBER+STRICT`, `amber+strict`, and TLP 1.0 `WHITE` (→ CLEAR).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let up = s.trim().to_ascii_uppercase();
        let bare = up.strip_prefix("TLP:").unwrap_or(&up);
        Ok(match bare {
            "CLEAR" | "WHITE" => Tlp::Clear,
            "GREEN" => Tlp::Green,
            "AMBER" => Tlp::Amber,
            "AMBER+STRICT" => Tlp::AmberStrict,
            "RED" => Tlp::Red,
            _ => {
                return Err(format!(
                    "unknown TLP '{s}' (expected TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT or TLP:RED)"
                ))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marking_ids_round_trip_and_order() {
        for t in Tlp::ALL {
            assert_eq!(Tlp::from_marking_definition_id(t.marking_definition_id()), Some(t));
            assert_eq!(t.label().parse::<Tlp>(), Ok(t));
        }
        assert_eq!(Tlp::from_marking_definition_id(TLP1_WHITE_ID), Some(Tlp::Clear));
        assert!(Tlp::Clear < Tlp::Green && Tlp::Amber < Tlp::AmberStrict && Tlp::AmberStrict < Tlp::Red);
        assert!("TLP:PINK".parse::<Tlp>().is_err());
    }

    /// The ids must match the OASIS TLP 2.0 marking definitions shipped in shared data.
    #[test]
    fn ids_match_oasis_files() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/stix-common/tlp-2.0");
        let entries = std::fs::read_dir(&dir).expect("shared/data/stix-common/tlp-2.0 beside the project");
        let mut seen = 0;
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if let Some(id) = name.strip_suffix(".json") {
                assert!(Tlp::from_marking_definition_id(id).is_some(), "unknown OASIS TLP id {id}");
                seen += 1;
            }
        }
        assert_eq!(seen, 5);
    }
}
