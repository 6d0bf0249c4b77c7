//! The directory of the network: organisations, their points of contact and constituencies.
//! Every value type here validates itself when parsed; deserialising input with serde therefore
//! rejects bad values with a reason, and the caller names the field from the JSON path.
use crate::{CountryCode, Tlp};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

macro_rules! string_newtype {
    ($(#[$m:meta])* $name:ident, $example:literal) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(try_from = "String", into = "String")]
        #[schema(value_type = String, example = $example)]
        pub struct $name(String);
        impl $name {
            pub fn as_str(&self) -> &str { &self.0 }
        }
        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> { s.parse() }
        }
        impl From<$name> for String {
            fn from(v: $name) -> String { v.0 }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(&self.0) }
        }
    };
}

macro_rules! vocab {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $s:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum $name { $( $(#[$vm])* #[serde(rename = $s)] $variant ),* }
        // Written by hand: utoipa's derive does not see `rename` values passed through a macro
        // and would publish the Rust variant names instead of the wire values.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($s),*]))
                    .into()
            }
        }
        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> { std::borrow::Cow::Borrowed(stringify!($name)) }
        }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];
            pub fn as_str(self) -> &'static str { match self { $($name::$variant => $s),* } }
        }
        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s { $($s => Ok($name::$variant),)* _ => Err(format!(
                    "unknown value '{}' (expected one of: {})", s,
                    [$($s),*].join(", "))) }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

vocab! {
    /// What an organisation of the network is.
    OrgKind {
        NationalCsirt = "national-csirt",
        NationalCyberAuthority = "national-cyber-authority",
        LawEnforcementCyberUnit = "law-enforcement-cyber-unit",
        SectorCsirt = "sector-csirt",
        GovernmentCsirt = "government-csirt",
        Partner = "partner",
        Secretariat = "secretariat",
    }
}

vocab! {
    /// STIX 2.1 `industry-sector-ov`; critical-infrastructure sectors among them.
    Sector {
        Agriculture = "agriculture", Aerospace = "aerospace", Automotive = "automotive",
        Chemical = "chemical", Commercial = "commercial", Communications = "communications",
        Construction = "construction", Defense = "defense", Education = "education",
        Energy = "energy", Entertainment = "entertainment", FinancialServices = "financial-services",
        Government = "government", GovernmentEmergencyServices = "government-emergency-services",
        GovernmentLocal = "government-local", GovernmentNational = "government-national",
        GovernmentPublicServices = "government-public-services", GovernmentRegional = "government-regional",
        Healthcare = "healthcare", HospitalityLeisure = "hospitality-leisure", Infrastructure = "infrastructure",
        Dams = "dams", Nuclear = "nuclear", Water = "water", Insurance = "insurance",
        Manufacturing = "manufacturing", Mining = "mining", NonProfit = "non-profit",
        Pharmaceuticals = "pharmaceuticals", Retail = "retail", Technology = "technology",
        Telecommunications = "telecommunications", Transportation = "transportation", Utilities = "utilities",
    }
}

vocab! {
    /// The role a point of contact plays for its organisation.
    ContactRole {
        Technical = "technical",
        /// OAS CBM 2: policy-level point of contact.
        Policy = "policy",
        /// OAS CBM 3: foreign-affairs point of contact.
        ForeignAffairs = "foreign-affairs",
        /// Budapest Convention art. 35: 24/7 law-enforcement point of contact.
        LawEnforcement247 = "law-enforcement-24x7",
        Emergency = "emergency",
    }
}

string_newtype!(
    /// A display name: trimmed, 1–200 characters, no control characters.
    Name, "CSIRT Example"
);
impl FromStr for Name {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        if t.is_empty() {
            return Err("must not be empty".into());
        }
        if t.chars().count() > 200 {
            return Err("longer than 200 characters".into());
        }
        if t.chars().any(char::is_control) {
            return Err("contains control characters".into());
        }
        Ok(Name(t.to_string()))
    }
}

string_newtype!(
    /// A short free text (≤ 500 characters), e.g. operating hours "Mon–Fri 08:00–18:00" or "24/7".
    ShortText, "24/7"
);
impl FromStr for ShortText {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        if t.chars().count() > 500 {
            return Err("longer than 500 characters".into());
        }
        if t.chars().any(|c| c.is_control() && c != '\n') {
            return Err("contains control characters".into());
        }
        Ok(ShortText(t.to_string()))
    }
}

string_newtype!(
    /// A language as an ISO 639-1 code with an optional region (BCP 47 subset): `es`, `pt-BR`.
    LanguageTag, "es"
);
impl FromStr for LanguageTag {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (lang, region) = match s.split_once('-') {
            Some((l, r)) => (l, Some(r)),
            None => (s, None),
        };
        let lang_ok = (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_lowercase());
        let region_ok = region.is_none_or(|r| r.len() == 2 && r.bytes().all(|b| b.is_ascii_uppercase()));
        if lang_ok && region_ok {
            Ok(LanguageTag(s.to_string()))
        } else {
            Err(format!("'{s}' is not a language tag like 'es' or 'pt-BR'"))
        }
    }
}

string_newtype!(
    /// An IANA time-zone name such as `America/Sao_Paulo` or `UTC`.
    TimeZoneName, "America/Bogota"
);
impl FromStr for TimeZoneName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        s.parse::<chrono_tz::Tz>()
            .map(|tz| TimeZoneName(tz.name().to_string()))
            .map_err(|_| format!("'{s}' is not an IANA time-zone name (e.g. America/Bogota)"))
    }
}

string_newtype!(
    /// An e-mail address (RFC 5322 addr-spec), kept as given but trimmed.
    Email, "cert@example.org"
);
impl FromStr for Email {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        if email_address::EmailAddress::is_valid(t) && !t.contains(['<', '>', ' ']) {
            Ok(Email(t.to_string()))
        } else {
            Err(format!("'{s}' is not an e-mail address"))
        }
    }
}

string_newtype!(
    /// A telephone number in E.164 form: `+` and 7–15 digits (spaces, dots and hyphens are removed).
    Phone, "+5561999990000"
);
impl FromStr for Phone {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let compact: String = s.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')')).collect();
        let digits = compact.strip_prefix('+');
        match digits {
            Some(d) if (7..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()) && !d.starts_with('0') => {
                Ok(Phone(compact))
            }
            _ => Err(format!("'{s}' is not an international phone number (E.164, e.g. +5561999990000)")),
        }
    }
}

string_newtype!(
    /// A DNS domain name, lower case, or a country-code top-level domain (`br`).
    /// Internationalised names are given in their ASCII (punycode) form.
    DomainName, "cert.example.br"
);
impl FromStr for DomainName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let d = s.trim().trim_start_matches('.').trim_end_matches('.').to_ascii_lowercase();
        if d.is_empty() || d.len() > 253 {
            return Err(format!("'{s}' is not a domain name (1–253 characters)"));
        }
        let labels: Vec<&str> = d.split('.').collect();
        for l in &labels {
            let ok = !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-');
            if !ok {
                return Err(format!("'{s}' is not a domain name (label '{l}' is invalid)"));
            }
        }
        if labels.len() == 1 && !(d.len() == 2 && d.bytes().all(|b| b.is_ascii_alphabetic())) {
            return Err(format!("'{s}' is neither a domain name nor a two-letter country-code TLD"));
        }
        if let Some(tld) = labels.last() {
            if tld.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("'{s}' is not a domain name (numeric top-level label)"));
            }
        }
        Ok(DomainName(d))
    }
}

/// An IPv4 or IPv6 network prefix in canonical form (no host bits set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "198.51.100.0/24")]
pub struct Prefix(pub IpNet);
impl FromStr for Prefix {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let net: IpNet = s
            .trim()
            .parse()
            .or_else(|_| s.trim().parse::<std::net::IpAddr>().map(IpNet::from))
            .map_err(|_| format!("'{s}' is not an IP prefix like 198.51.100.0/24 or 2001:db8::/32"))?;
        if net.trunc() != net {
            return Err(format!("'{s}' has host bits set; did you mean {}?", net.trunc()));
        }
        Ok(Prefix(net))
    }
}
impl TryFrom<String> for Prefix {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}
impl From<Prefix> for String {
    fn from(p: Prefix) -> String {
        p.0.to_string()
    }
}
impl std::fmt::Display for Prefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// An autonomous system number. Accepts `64500`, `"64500"` or `"AS64500"`; refuses 0,
/// AS_TRANS (23456) and 4294967295.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "AsnInput", into = "u32")]
#[schema(value_type = u32, example = 64500)]
pub struct Asn(pub u32);

#[derive(Deserialize)]
#[serde(untagged)]
enum AsnInput {
    Num(i64),
    Text(String),
}
impl TryFrom<AsnInput> for Asn {
    type Error = String;
    fn try_from(v: AsnInput) -> Result<Self, String> {
        match v {
            AsnInput::Num(n) => u32::try_from(n)
                .map_err(|_| format!("{n} is not an AS number (1–4294967294)"))
                .and_then(Asn::checked),
            AsnInput::Text(s) => s.parse(),
        }
    }
}
impl Asn {
    fn checked(n: u32) -> Result<Asn, String> {
        match n {
            0 => Err("AS0 is reserved (RFC 7607)".into()),
            23456 => Err("AS23456 is AS_TRANS (RFC 6793), not a real AS".into()),
            u32::MAX => Err("AS4294967295 is reserved (RFC 7300)".into()),
            _ => Ok(Asn(n)),
        }
    }
}
impl FromStr for Asn {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let digits = t.strip_prefix("AS").or_else(|| t.strip_prefix("as")).unwrap_or(t);
        let n: u32 = digits.parse().map_err(|_| format!("'{s}' is not an AS number like AS64500"))?;
        Asn::checked(n)
    }
}
impl From<Asn> for u32 {
    fn from(a: Asn) -> u32 {
        a.0
    }
}

/// What an organisation is responsible for: used to route incidents to it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Constituency {
    #[serde(default)]
    pub prefixes: Vec<Prefix>,
    #[serde(default)]
    pub asns: Vec<Asn>,
    #[serde(default)]
    pub domains: Vec<DomainName>,
    #[serde(default)]
    pub sectors: Vec<Sector>,
}

impl Constituency {
    /// Sorted and de-duplicated, so that equal constituencies compare equal.
    pub fn normalised(mut self) -> Self {
        self.prefixes.sort();
        self.prefixes.dedup();
        self.asns.sort();
        self.asns.dedup();
        self.domains.sort();
        self.domains.dedup();
        self.sectors.sort();
        self.sectors.dedup();
        self
    }
}

fn default_org_tlp() -> Tlp {
    Tlp::Green
}
fn default_contact_tlp() -> Tlp {
    Tlp::Amber
}
fn default_tz() -> TimeZoneName {
    TimeZoneName("UTC".into())
}

/// Input for a new organisation.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganisation {
    pub name: Name,
    pub kind: OrgKind,
    pub country: CountryCode,
    #[serde(default)]
    pub sectors: Vec<Sector>,
    #[serde(default)]
    pub languages: Vec<LanguageTag>,
    #[serde(default = "default_tz")]
    pub time_zone: TimeZoneName,
    #[serde(default)]
    pub operating_hours: Option<ShortText>,
    #[serde(default)]
    pub constituency: Constituency,
    /// Who may read this directory entry (default TLP:GREEN: every member of the network).
    #[serde(default = "default_org_tlp")]
    pub tlp: Tlp,
}

/// A partial update of an organisation: absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationPatch {
    pub name: Option<Name>,
    pub kind: Option<OrgKind>,
    pub country: Option<CountryCode>,
    pub sectors: Option<Vec<Sector>>,
    pub languages: Option<Vec<LanguageTag>>,
    pub time_zone: Option<TimeZoneName>,
    pub operating_hours: Option<ShortText>,
    pub constituency: Option<Constituency>,
    pub tlp: Option<Tlp>,
}

/// The versioned content of an organisation entry (what history records).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrganisationBody {
    pub name: Name,
    pub kind: OrgKind,
    /// `null` only for the node's own operating organisation before its country is set.
    pub country: Option<CountryCode>,
    pub sectors: Vec<Sector>,
    pub languages: Vec<LanguageTag>,
    pub time_zone: TimeZoneName,
    pub operating_hours: Option<ShortText>,
    pub constituency: Constituency,
    pub tlp: Tlp,
}

impl OrganisationBody {
    pub fn from_new(n: NewOrganisation) -> Self {
        let mut b = OrganisationBody {
            name: n.name,
            kind: n.kind,
            country: Some(n.country),
            sectors: n.sectors,
            languages: n.languages,
            time_zone: n.time_zone,
            operating_hours: n.operating_hours,
            constituency: n.constituency,
            tlp: n.tlp,
        };
        b.normalise();
        b
    }

    pub fn apply(&mut self, p: OrganisationPatch) {
        if let Some(v) = p.name { self.name = v; }
        if let Some(v) = p.kind { self.kind = v; }
        if let Some(v) = p.country { self.country = Some(v); }
        if let Some(v) = p.sectors { self.sectors = v; }
        if let Some(v) = p.languages { self.languages = v; }
        if let Some(v) = p.time_zone { self.time_zone = v; }
        if let Some(v) = p.operating_hours { self.operating_hours = Some(v); }
        if let Some(v) = p.constituency { self.constituency = v; }
        if let Some(v) = p.tlp { self.tlp = v; }
        self.normalise();
    }

    fn normalise(&mut self) {
        self.sectors.sort();
        self.sectors.dedup();
        self.languages.dedup();
        self.constituency = std::mem::take(&mut self.constituency).normalised();
    }

    /// The bootstrap entry of a node's own operating organisation.
    pub fn bootstrap(name: Name, country: Option<CountryCode>) -> Self {
        OrganisationBody {
            name,
            kind: OrgKind::NationalCsirt,
            country,
            sectors: vec![],
            languages: vec![],
            time_zone: default_tz(),
            operating_hours: None,
            constituency: Constituency::default(),
            tlp: Tlp::Green,
        }
    }
}

/// An organisation as stored and shown.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Organisation {
    pub id: uuid::Uuid,
    #[serde(flatten)]
    pub body: OrganisationBody,
    /// True for the organisation that operates this node.
    pub home: bool,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// Input for a new point of contact.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContact {
    pub name: Name,
    #[schema(min_items = 1)]
    pub roles: Vec<ContactRole>,
    #[serde(default)]
    pub email: Option<Email>,
    #[serde(default)]
    pub phone: Option<Phone>,
    #[serde(default)]
    pub emergency_phone: Option<Phone>,
    /// ASCII-armored OpenPGP public key; parsed, verified and fingerprinted on input.
    #[serde(default)]
    pub pgp_key: Option<String>,
    #[serde(default)]
    pub languages: Vec<LanguageTag>,
    /// Default TLP:AMBER: members of the network with need-to-know.
    #[serde(default = "default_contact_tlp")]
    pub tlp: Tlp,
}

/// A partial update of a contact. `pgp_key: ""` removes the key.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactPatch {
    pub name: Option<Name>,
    pub roles: Option<Vec<ContactRole>>,
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    pub emergency_phone: Option<Phone>,
    pub pgp_key: Option<String>,
    pub languages: Option<Vec<LanguageTag>>,
    pub tlp: Option<Tlp>,
}

/// What Atalaya learnt from a contact's OpenPGP key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PgpKeySummary {
    pub fingerprint: String,
    pub algorithm: String,
    pub user_ids: Vec<String>,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub can_encrypt: bool,
    pub armored: String,
}

/// The versioned content of a contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ContactBody {
    pub name: Name,
    #[schema(min_items = 1)]
    pub roles: Vec<ContactRole>,
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    pub emergency_phone: Option<Phone>,
    pub pgp_key: Option<PgpKeySummary>,
    pub languages: Vec<LanguageTag>,
    pub tlp: Tlp,
}

impl ContactBody {
    /// Checks that only a complete contact can be stored: at least one role, one channel.
    pub fn check(&self) -> Result<(), crate::ValidationErrors> {
        let mut e = crate::ValidationErrors::default();
        if self.roles.is_empty() {
            e.push("roles", "at least one role is required");
        }
        if self.email.is_none() && self.phone.is_none() && self.emergency_phone.is_none() {
            e.push("email", "a contact needs at least one channel: email, phone or emergency_phone");
        }
        e.into_result()
    }
}

/// A point of contact as stored and shown.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Contact {
    pub id: uuid::Uuid,
    pub organisation_id: uuid::Uuid,
    #[serde(flatten)]
    pub body: ContactBody,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// One recorded change of a directory entry.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    pub entity: String,
    pub entity_id: uuid::Uuid,
    pub version: i64,
    pub action: String,
    pub actor: String,
    pub at: String,
    /// The entry's content after the change (`null` after a deletion).
    pub content: Option<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        assert!("198.51.100.0/24".parse::<Prefix>().is_ok());
        assert!("2001:db8::/32".parse::<Prefix>().is_ok());
        let e = "198.51.100.7/24".parse::<Prefix>().unwrap_err();
        assert!(e.contains("198.51.100.0/24"), "{e}");
        assert!("198.51.100.0/33".parse::<Prefix>().is_err());
        assert!("banana".parse::<Prefix>().is_err());
        assert_eq!("203.0.113.7".parse::<Prefix>().map(|p| p.to_string()), Ok("203.0.113.7/32".into()));
    }

    #[test]
    fn asns() {
        assert_eq!("AS64500".parse::<Asn>(), Ok(Asn(64500)));
        assert!("AS0".parse::<Asn>().is_err());
        assert!("23456".parse::<Asn>().is_err());
        assert!("AS-1".parse::<Asn>().is_err());
        let v: Result<Asn, _> = serde_json::from_str("64501");
        assert_eq!(v.ok(), Some(Asn(64501)));
        let v: Result<Asn, _> = serde_json::from_str("-3");
        assert!(v.is_err());
    }

    #[test]
    fn domains_emails_phones() {
        assert_eq!("CERT.Example.BR.".parse::<DomainName>().map(|d| d.0), Ok("cert.example.br".into()));
        assert!("br".parse::<DomainName>().is_ok());
        assert!("localhost".parse::<DomainName>().is_err());
        assert!("-bad.example".parse::<DomainName>().is_err());
        assert!("a..b".parse::<DomainName>().is_err());
        assert!("1.2.3.4".parse::<DomainName>().is_err());
        assert!("cert@example.org".parse::<Email>().is_ok());
        assert!("not-an-email".parse::<Email>().is_err());
        assert!("+55 61 9999-0000".parse::<Phone>().is_ok());
        assert!("5561".parse::<Phone>().is_err());
        assert!("America/Bogota".parse::<TimeZoneName>().is_ok());
        assert!("Mars/Olympus".parse::<TimeZoneName>().is_err());
        assert!("pt-BR".parse::<LanguageTag>().is_ok());
        assert!("Portuguese".parse::<LanguageTag>().is_err());
        assert!("   ".parse::<Name>().is_err());
    }

    #[test]
    fn unknown_fields_and_vocab_are_refused() {
        let bad: Result<NewOrganisation, _> =
            serde_json::from_str(r#"{"name":"X","kind":"national-csirt","country":"BR","colour":"red"}"#);
        assert!(bad.is_err());
        let bad: Result<NewOrganisation, _> =
            serde_json::from_str(r#"{"name":"X","kind":"club","country":"BR"}"#);
        assert!(bad.is_err());
        let ok: NewOrganisation = serde_json::from_str(
            r#"{"name":"CSIRT X","kind":"national-csirt","country":"br","constituency":{"prefixes":["198.51.100.0/24"],"asns":["AS64500"],"domains":["x.br"],"sectors":["energy"]}}"#,
        )
        .expect("valid");
        assert_eq!(ok.country.as_str(), "BR");
        assert_eq!(ok.tlp, Tlp::Green);
    }
}
