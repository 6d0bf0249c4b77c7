//! ISO 3166-1 alpha-2 country codes and the seed list of OAS member states.
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// An ISO 3166-1 alpha-2 code, upper case (e.g. `BR`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "BR")]
pub struct CountryCode(String);

impl CountryCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for CountryCode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let up = s.trim().to_ascii_uppercase();
        if up.len() != 2 || !up.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(format!("'{s}' is not an ISO 3166-1 alpha-2 code (two letters, e.g. BR)"));
        }
        isocountry::CountryCode::for_alpha2(&up)
            .map(|_| CountryCode(up))
            .map_err(|_| format!("'{s}' is not an assigned ISO 3166-1 alpha-2 country code"))
    }
}

impl TryFrom<String> for CountryCode {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<CountryCode> for String {
    fn from(c: CountryCode) -> String {
        c.0
    }
}

impl std::fmt::Display for CountryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A member state of the Organization of American States, with its name in the four
/// official languages of the OAS (English, Spanish, Portuguese, French).
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct MemberState {
    pub code: &'static str,
    pub name_en: &'static str,
    pub name_es: &'static str,
    pub name_pt: &'static str,
    pub name_fr: &'static str,
}

macro_rules! states {
    ($( $c:literal, $en:literal, $es:literal, $pt:literal, $fr:literal; )*) => {
        &[ $( MemberState { code: $c, name_en: $en, name_es: $es, name_pt: $pt, name_fr: $fr }, )* ]
    };
}

/// The 35 member states of the OAS (seed data of every node's directory).
pub const OAS_MEMBER_STATES: &[MemberState] = states! {
    "AG", "Antigua and Barbuda", "Antigua y Barbuda", "Antígua e Barbuda", "Antigua-et-Barbuda";
    "AR", "Argentina", "Argentina", "Argentina", "Argentine";
    "BS", "Bahamas", "Bahamas", "Bahamas", "Bahamas";
    "BB", "Barbados", "Barbados", "Barbados", "Barbade";
    "BZ", "Belize", "Belice", "Belize", "Belize";
    "BO", "Bolivia", "Bolivia", "Bolívia", "Bolivie";
    "BR", "Brazil", "Brasil", "Brasil", "Brésil";
    "CA", "Canada", "Canadá", "Canadá", "Canada";
    "CL", "Chile", "Chile", "Chile", "Chili";
    "CO", "Colombia", "Colombia", "Colômbia", "Colombie";
    "CR", "Costa Rica", "Costa Rica", "Costa Rica", "Costa Rica";
    "CU", "Cuba", "Cuba", "Cuba", "Cuba";
    "DM", "Dominica", "Dominica", "Dominica", "Dominique";
    "DO", "Dominican Republic", "República Dominicana", "República Dominicana", "République dominicaine";
    "EC", "Ecuador", "Ecuador", "Equador", "Équateur";
    "SV", "El Salvador", "El Salvador", "El Salvador", "El Salvador";
    "GD", "Grenada", "Granada", "Granada", "Grenade";
    "GT", "Guatemala", "Guatemala", "Guatemala", "Guatemala";
    "GY", "Guyana", "Guyana", "Guiana", "Guyana";
    "HT", "Haiti", "Haití", "Haiti", "Haïti";
    "HN", "Honduras", "Honduras", "Honduras", "Honduras";
    "JM", "Jamaica", "Jamaica", "Jamaica", "Jamaïque";
    "MX", "Mexico", "México", "México", "Mexique";
    "NI", "Nicaragua", "Nicaragua", "Nicarágua", "Nicaragua";
    "PA", "Panama", "Panamá", "Panamá", "Panama";
    "PY", "Paraguay", "Paraguay", "Paraguai", "Paraguay";
    "PE", "Peru", "Perú", "Peru", "Pérou";
    "KN", "Saint Kitts and Nevis", "San Cristóbal y Nieves", "São Cristóvão e Névis", "Saint-Christophe-et-Niévès";
    "LC", "Saint Lucia", "Santa Lucía", "Santa Lúcia", "Sainte-Lucie";
    "VC", "Saint Vincent and the Grenadines", "San Vicente y las Granadinas", "São Vicente e Granadinas", "Saint-Vincent-et-les-Grenadines";
    "SR", "Suriname", "Surinam", "Suriname", "Suriname";
    "TT", "Trinidad and Tobago", "Trinidad y Tobago", "Trinidad e Tobago", "Trinité-et-Tobago";
    "US", "United States of America", "Estados Unidos de América", "Estados Unidos da América", "États-Unis d'Amérique";
    "UY", "Uruguay", "Uruguay", "Uruguai", "Uruguay";
    "VE", "Venezuela", "Venezuela", "Venezuela", "Venezuela";
};

pub fn is_oas_member(code: &CountryCode) -> bool {
    OAS_MEMBER_STATES.iter().any(|s| s.code == code.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_has_35_valid_distinct_states() {
        assert_eq!(OAS_MEMBER_STATES.len(), 35);
        let mut codes: Vec<&str> = OAS_MEMBER_STATES.iter().map(|s| s.code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), 35);
        for s in OAS_MEMBER_STATES {
            assert!(s.code.parse::<CountryCode>().is_ok(), "{}", s.code);
        }
    }

    #[test]
    fn rejects_bad_codes() {
        assert_eq!("br".parse::<CountryCode>().map(|c| c.0), Ok("BR".to_string()));
        assert!("XX".parse::<CountryCode>().is_err());
        assert!("BRA".parse::<CountryCode>().is_err());
        assert!("".parse::<CountryCode>().is_err());
        assert!("1A".parse::<CountryCode>().is_err());
    }
}
