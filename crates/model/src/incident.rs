//! Cross-border incident cases: classification (RSIT), severity, observables, participation of
//! the affected states, timeline, tasks, attachments and the exercise flag.
//!
//! Every value validates itself while deserialising, so a request body that names an unknown
//! RSIT type, a severity of 7 or an observable that does not parse is refused with the JSON
//! path of the field (`observables[2]`, `rsit`, `severity`).
//!
//! A case is designed to travel between nodes later (federation): it has a stable UUID, the
//! origin node and organisation, and a `version` / `updated_at` bumped by every change.
use crate::directory::{Asn, DomainName, Email, Name, Sector};
use crate::{CountryCode, Tlp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::str::FromStr;
use std::sync::OnceLock;
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------
// RSIT

/// The Reference Security Incident Taxonomy as shipped by MISP (CC0 / BSD-2-Clause, see
/// `data/README.md`), embedded in the binary.
pub const RSIT_MACHINETAG: &str = include_str!("../data/rsit.json");

#[derive(Deserialize)]
struct RawTaxonomy {
    values: Vec<RawValue>,
}
#[derive(Deserialize)]
struct RawValue {
    predicate: String,
    entry: Vec<RawEntry>,
}
#[derive(Deserialize)]
struct RawEntry {
    value: String,
}

/// RSIT classes and their types, in the order of the taxonomy.
pub fn rsit_classes() -> &'static BTreeMap<String, Vec<String>> {
    static T: OnceLock<BTreeMap<String, Vec<String>>> = OnceLock::new();
    T.get_or_init(|| {
        let raw: RawTaxonomy = serde_json::from_str(RSIT_MACHINETAG).unwrap_or(RawTaxonomy { values: vec![] });
        raw.values.into_iter().map(|v| (v.predicate, v.entry.into_iter().map(|e| e.value).collect())).collect()
    })
}

/// An RSIT classification: a class (`intrusions`) and one of its types (`system-compromise`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "RsitInput")]
pub struct Rsit {
    pub class: String,
    #[serde(rename = "type")]
    pub r#type: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RsitInput {
    /// `rsit:intrusions="system-compromise"` or `intrusions/system-compromise`.
    Tag(String),
    Parts {
        class: String,
        #[serde(rename = "type")]
        r#type: String,
    },
}

impl TryFrom<RsitInput> for Rsit {
    type Error = String;
    fn try_from(v: RsitInput) -> Result<Rsit, String> {
        match v {
            RsitInput::Tag(s) => s.parse(),
            RsitInput::Parts { class, r#type } => Rsit::new(&class, &r#type),
        }
    }
}

impl Rsit {
    pub fn new(class: &str, ty: &str) -> Result<Rsit, String> {
        let classes = rsit_classes();
        let types = classes.get(class).ok_or_else(|| {
            format!("unknown RSIT class '{class}' (expected one of: {})", classes.keys().cloned().collect::<Vec<_>>().join(", "))
        })?;
        if !types.iter().any(|t| t == ty) {
            return Err(format!("unknown RSIT type '{ty}' for class '{class}' (expected one of: {})", types.join(", ")));
        }
        Ok(Rsit { class: class.to_string(), r#type: ty.to_string() })
    }
    /// The MISP machine tag: `rsit:intrusions="system-compromise"`.
    pub fn machine_tag(&self) -> String {
        format!("rsit:{}=\"{}\"", self.class, self.r#type)
    }
}

impl FromStr for Rsit {
    type Err = String;
    fn from_str(s: &str) -> Result<Rsit, String> {
        let t = s.trim();
        let t = t.strip_prefix("rsit:").unwrap_or(t);
        let (class, ty) = t
            .split_once('=')
            .or_else(|| t.split_once('/'))
            .ok_or_else(|| format!("'{s}' is not an RSIT classification like rsit:intrusions=\"system-compromise\""))?;
        Rsit::new(class.trim(), ty.trim().trim_matches('"'))
    }
}

// ---------------------------------------------------------------------------------------------
// Severity, phases, participation

/// Severity on a 0–4 scale (documented in `docs/incidents.md`):
/// 0 informational, 1 low, 2 medium, 3 high, 4 critical (national or cross-border emergency).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "i64", into = "u8")]
#[schema(value_type = u8, example = 3)]
pub struct Severity(u8);

impl Severity {
    pub const LABELS: [&'static str; 5] = ["informational", "low", "medium", "high", "critical"];
    pub fn new(n: i64) -> Result<Severity, String> {
        if (0..=4).contains(&n) {
            Ok(Severity(n as u8))
        } else {
            Err(format!("{n} is not a severity: use 0 informational, 1 low, 2 medium, 3 high or 4 critical"))
        }
    }
    pub fn value(self) -> u8 {
        self.0
    }
    pub fn label(self) -> &'static str {
        Self::LABELS[usize::from(self.0.min(4))]
    }
}
impl TryFrom<i64> for Severity {
    type Error = String;
    fn try_from(n: i64) -> Result<Severity, String> {
        Severity::new(n)
    }
}
impl From<Severity> for u8 {
    fn from(s: Severity) -> u8 {
        s.0
    }
}
impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Severity, String> {
        let t = s.trim();
        if let Some(i) = Self::LABELS.iter().position(|l| l.eq_ignore_ascii_case(t)) {
            return Ok(Severity(i as u8));
        }
        t.parse::<i64>().map_err(|_| format!("'{s}' is not a severity (0–4 or informational, low, medium, high, critical)")).and_then(Severity::new)
    }
}

macro_rules! vocab {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $s:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        pub enum $name { $( $(#[$vm])* #[serde(rename = $s)] $variant ),* }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];
            pub fn as_str(self) -> &'static str { match self { $($name::$variant => $s),* } }
        }
        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s { $($s => Ok($name::$variant),)* _ => Err(format!(
                    "unknown value '{}' (expected one of: {})", s, [$($s),*].join(", "))) }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

vocab! {
    /// Phase of the coordinated response.
    Phase {
        Detection = "detection", Analysis = "analysis", Escalation = "escalation",
        Response = "response", Recovery = "recovery",
    }
}

vocab! {
    /// Where a participating state stands on a case.
    ParticipationStatus {
        Notified = "notified", Acknowledged = "acknowledged", Investigating = "investigating",
        Mitigated = "mitigated", Closed = "closed", Declined = "declined",
    }
}

impl ParticipationStatus {
    /// Valid moves: forward along notified → acknowledged → investigating → mitigated → closed
    /// (steps may be skipped); mitigated may go back to investigating (the problem came back);
    /// declined (with a reason) from notified, acknowledged or investigating. Closed and declined
    /// are final.
    pub fn may_become(self, next: ParticipationStatus) -> bool {
        use ParticipationStatus::*;
        let rank = |s: ParticipationStatus| match s {
            Notified => 0,
            Acknowledged => 1,
            Investigating => 2,
            Mitigated => 3,
            Closed => 4,
            Declined => 5,
        };
        match (self, next) {
            (Closed | Declined, _) => false,
            (Notified | Acknowledged | Investigating, Declined) => true,
            (Mitigated, Declined) => false,
            (Mitigated, Investigating) => true,
            (a, b) => rank(b) > rank(a),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Observables

vocab! {
    /// Kinds of observable a case can carry (and routing understands).
    ObservableKind {
        Ip = "ip", Prefix = "prefix", Domain = "domain", Url = "url", Email = "email", Asn = "asn",
    }
}

/// A technical observable of a case. Given as a string (`198.51.100.7`, `2001:db8::/32`,
/// `evil.example.br`, `https://x.example/a`, `abuse@x.example`, `AS64500`) whose kind is
/// recognised, or as `{"kind": "...", "value": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "ObservableInput", into = "ObservableOut")]
pub enum Observable {
    Ip(IpAddr),
    Prefix(ipnet::IpNet),
    Domain(DomainName),
    /// The URL as given, with its host.
    Url { url: String, host: UrlHost },
    Email(Email),
    Asn(Asn),
}

/// The host part of a URL.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UrlHost {
    Ip(IpAddr),
    Domain(DomainName),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ObservableInput {
    Text(String),
    Typed { kind: ObservableKind, value: String },
}

/// How an observable is shown.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ObservableOut {
    pub kind: ObservableKind,
    pub value: String,
}

impl TryFrom<ObservableInput> for Observable {
    type Error = String;
    fn try_from(v: ObservableInput) -> Result<Observable, String> {
        match v {
            ObservableInput::Text(s) => s.parse(),
            ObservableInput::Typed { kind, value } => Observable::parse_as(kind, &value),
        }
    }
}
impl From<Observable> for ObservableOut {
    fn from(o: Observable) -> ObservableOut {
        ObservableOut { kind: o.kind(), value: o.value() }
    }
}

fn parse_url(s: &str) -> Result<(String, UrlHost), String> {
    let bad = || format!("'{s}' is not a URL like https://host.example/path");
    let (scheme, rest) = s.split_once("://").ok_or_else(bad)?;
    if scheme.is_empty() || !scheme.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')) {
        return Err(bad());
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let hostport = authority.rsplit_once('@').map(|(_, h)| h).unwrap_or(authority);
    let host = if let Some(v6) = hostport.strip_prefix('[') {
        v6.split_once(']').map(|(h, _)| h).ok_or_else(bad)?
    } else {
        hostport.split(':').next().unwrap_or("")
    };
    if host.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let h = match host.parse::<IpAddr>() {
        Ok(ip) => UrlHost::Ip(ip),
        Err(_) => UrlHost::Domain(host.parse::<DomainName>().map_err(|e| format!("'{s}': host {e}"))?),
    };
    Ok((s.to_string(), h))
}

impl Observable {
    pub fn parse_as(kind: ObservableKind, s: &str) -> Result<Observable, String> {
        let t = s.trim();
        Ok(match kind {
            ObservableKind::Ip => Observable::Ip(t.parse().map_err(|_| format!("'{s}' is not an IP address"))?),
            ObservableKind::Prefix => Observable::Prefix(t.parse::<crate::directory::Prefix>()?.0),
            ObservableKind::Domain => Observable::Domain(t.parse()?),
            ObservableKind::Url => {
                let (url, host) = parse_url(t)?;
                Observable::Url { url, host }
            }
            ObservableKind::Email => Observable::Email(t.parse()?),
            ObservableKind::Asn => Observable::Asn(t.parse()?),
        })
    }
    pub fn kind(&self) -> ObservableKind {
        match self {
            Observable::Ip(_) => ObservableKind::Ip,
            Observable::Prefix(_) => ObservableKind::Prefix,
            Observable::Domain(_) => ObservableKind::Domain,
            Observable::Url { .. } => ObservableKind::Url,
            Observable::Email(_) => ObservableKind::Email,
            Observable::Asn(_) => ObservableKind::Asn,
        }
    }
    pub fn value(&self) -> String {
        match self {
            Observable::Ip(ip) => ip.to_string(),
            Observable::Prefix(p) => p.to_string(),
            Observable::Domain(d) => d.to_string(),
            Observable::Url { url, .. } => url.clone(),
            Observable::Email(e) => e.to_string(),
            Observable::Asn(a) => format!("AS{}", a.0),
        }
    }
}

impl FromStr for Observable {
    type Err = String;
    fn from_str(s: &str) -> Result<Observable, String> {
        let t = s.trim();
        if t.is_empty() {
            return Err("an observable must not be empty".into());
        }
        let up = t.to_ascii_uppercase();
        if up.starts_with("AS") && t.len() > 2 && t[2..].bytes().all(|b| b.is_ascii_digit()) {
            return Observable::parse_as(ObservableKind::Asn, t);
        }
        if t.contains("://") {
            return Observable::parse_as(ObservableKind::Url, t);
        }
        if t.contains('@') {
            return Observable::parse_as(ObservableKind::Email, t);
        }
        if t.contains('/') {
            return Observable::parse_as(ObservableKind::Prefix, t);
        }
        if let Ok(ip) = t.parse::<IpAddr>() {
            return Ok(Observable::Ip(ip));
        }
        if t.contains('.') {
            if let Ok(d) = t.parse::<DomainName>() {
                return Ok(Observable::Domain(d));
            }
        }
        Err(format!(
            "'{s}' is not an observable: expected an IP address or prefix, a domain, a URL, an e-mail address or an AS number (AS64500)"
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// Case input and shapes

/// A STIX 2.1 identifier (`indicator--<uuid>`) linked to a case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "indicator--26ffb872-1dd9-446e-b6f5-d58527e5b5d2")]
pub struct StixRef(String);
impl FromStr for StixRef {
    type Err = String;
    fn from_str(s: &str) -> Result<StixRef, String> {
        let (ty, id) = s.split_once("--").ok_or_else(|| format!("'{s}' is not a STIX identifier like indicator--<uuid>"))?;
        let ty_ok = (3..=250).contains(&ty.len()) && ty.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ty_ok || Uuid::parse_str(id).is_err() {
            return Err(format!("'{s}' is not a STIX identifier like indicator--<uuid>"));
        }
        Ok(StixRef(s.to_string()))
    }
}
impl TryFrom<String> for StixRef {
    type Error = String;
    fn try_from(s: String) -> Result<StixRef, String> {
        s.parse()
    }
}
impl From<StixRef> for String {
    fn from(r: StixRef) -> String {
        r.0
    }
}
impl StixRef {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A description: up to 20,000 characters, control characters other than newline and tab refused.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String)]
pub struct LongText(String);
impl FromStr for LongText {
    type Err = String;
    fn from_str(s: &str) -> Result<LongText, String> {
        if s.chars().count() > 20_000 {
            return Err("longer than 20000 characters".into());
        }
        if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') {
            return Err("contains control characters".into());
        }
        Ok(LongText(s.trim().to_string()))
    }
}
impl TryFrom<String> for LongText {
    type Error = String;
    fn try_from(s: String) -> Result<LongText, String> {
        s.parse()
    }
}
impl From<LongText> for String {
    fn from(t: LongText) -> String {
        t.0
    }
}
impl LongText {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn default_case_tlp() -> Tlp {
    Tlp::Amber
}
fn default_phase() -> Phase {
    Phase::Detection
}

/// Input of a new case.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIncident {
    pub title: Name,
    #[serde(default)]
    pub description: LongText,
    /// `{"class": "intrusions", "type": "system-compromise"}` or `rsit:intrusions="system-compromise"`.
    pub rsit: Rsit,
    /// 0 informational, 1 low, 2 medium, 3 high, 4 critical.
    pub severity: Severity,
    #[serde(default)]
    pub sectors: Vec<Sector>,
    /// Default TLP:AMBER: participants with need-to-know.
    #[serde(default = "default_case_tlp")]
    pub tlp: Tlp,
    /// States known to be affected (routing adds more).
    #[serde(default)]
    pub affected_states: Vec<CountryCode>,
    /// IP addresses and prefixes, domains, URLs, e-mail addresses, AS numbers.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub observables: Vec<Observable>,
    #[serde(default)]
    pub stix_refs: Vec<StixRef>,
    #[serde(default = "default_phase")]
    pub phase: Phase,
    /// An exercise: marked everywhere, left out of statistics, never sent to real contacts.
    #[serde(default)]
    pub exercise: bool,
    /// For exercises: the only addresses notifications may go to.
    #[serde(default)]
    pub exercise_recipients: Vec<Email>,
}

/// A change of the core fields (reporting organisation only). Absent fields stay.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentPatch {
    pub title: Option<Name>,
    pub description: Option<LongText>,
    pub rsit: Option<Rsit>,
    pub severity: Option<Severity>,
    pub sectors: Option<Vec<Sector>>,
    pub tlp: Option<Tlp>,
    pub phase: Option<Phase>,
    pub affected_states: Option<Vec<CountryCode>>,
    pub stix_refs: Option<Vec<StixRef>>,
}

/// The core of a case (what only the reporting organisation changes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IncidentCore {
    pub title: Name,
    pub description: LongText,
    pub rsit: Rsit,
    pub severity: Severity,
    pub sectors: Vec<Sector>,
    pub tlp: Tlp,
    pub phase: Phase,
    pub affected_states: Vec<CountryCode>,
    pub stix_refs: Vec<StixRef>,
    pub exercise: bool,
    pub exercise_recipients: Vec<Email>,
}

impl IncidentCore {
    pub fn from_new(n: &NewIncident) -> IncidentCore {
        let mut c = IncidentCore {
            title: n.title.clone(),
            description: n.description.clone(),
            rsit: n.rsit.clone(),
            severity: n.severity,
            sectors: n.sectors.clone(),
            tlp: n.tlp,
            phase: n.phase,
            affected_states: n.affected_states.clone(),
            stix_refs: n.stix_refs.clone(),
            exercise: n.exercise,
            exercise_recipients: n.exercise_recipients.clone(),
        };
        c.normalise();
        c
    }
    pub fn apply(&mut self, p: IncidentPatch) {
        if let Some(v) = p.title { self.title = v; }
        if let Some(v) = p.description { self.description = v; }
        if let Some(v) = p.rsit { self.rsit = v; }
        if let Some(v) = p.severity { self.severity = v; }
        if let Some(v) = p.sectors { self.sectors = v; }
        if let Some(v) = p.tlp { self.tlp = v; }
        if let Some(v) = p.phase { self.phase = v; }
        if let Some(v) = p.affected_states { self.affected_states = v; }
        if let Some(v) = p.stix_refs { self.stix_refs = v; }
        self.normalise();
    }
    fn normalise(&mut self) {
        self.sectors.sort();
        self.sectors.dedup();
        self.affected_states.sort();
        self.affected_states.dedup();
        self.stix_refs.sort();
        self.stix_refs.dedup();
    }
}

/// One status change of a participant, time-stamped for after-action review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StatusChange {
    pub status: ParticipationStatus,
    pub at: String,
    pub actor: String,
    pub reason: Option<String>,
}

/// A state (through one of its organisations, normally the national CSIRT) taking part in a case.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Participant {
    pub org_id: Uuid,
    pub org_name: String,
    pub state: Option<CountryCode>,
    pub status: ParticipationStatus,
    /// Reason given when declining.
    pub reason: Option<String>,
    pub history: Vec<StatusChange>,
    /// Acknowledge before this time (RFC 3339), from the severity's deadline.
    pub ack_due: Option<String>,
    /// First update (investigating or later) before this time.
    pub update_due: Option<String>,
    /// When a missed deadline was escalated to the state's 24/7 and emergency contacts.
    pub escalated_at: Option<String>,
}

/// Input: add participants by organisation, or the national CSIRT of a state.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotifyRequest {
    /// Organisations to notify (ids from the directory or from a routing proposal).
    #[serde(default)]
    pub organisations: Vec<Uuid>,
    /// States whose national CSIRT is notified.
    #[serde(default)]
    pub states: Vec<CountryCode>,
    /// Notify every organisation of the current routing proposal.
    #[serde(default)]
    pub routed: bool,
}

/// Input: a participant's status change.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusUpdate {
    pub status: ParticipationStatus,
    /// Required when declining.
    #[serde(default)]
    pub reason: Option<crate::directory::ShortText>,
    /// The participating organisation (default: the caller's own).
    #[serde(default)]
    pub organisation: Option<Uuid>,
}

/// Input: a timeline entry.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTimelineEntry {
    pub text: LongText,
}

/// A time-stamped entry of a case's timeline (written by participants and by the node itself).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TimelineEntry {
    pub id: Uuid,
    pub at: String,
    pub actor: String,
    pub org_id: Option<Uuid>,
    /// `note`, `created`, `updated`, `notified`, `status`, `escalated`, `task`, `attachment`, `observables`.
    pub kind: String,
    pub text: String,
}

/// Input: a task for an organisation.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTask {
    pub title: Name,
    pub assignee: Uuid,
    /// RFC 3339 due date.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>)]
    pub due: Option<time::OffsetDateTime>,
}

/// Input: a task marked done or not.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskUpdate {
    pub done: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Task {
    pub id: Uuid,
    pub title: Name,
    pub assignee: Uuid,
    pub due: Option<String>,
    pub done: bool,
    pub created_at: String,
    pub created_by: String,
}

/// Input: an attachment, its content in base64 (standard alphabet).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAttachment {
    pub filename: Name,
    #[serde(default)]
    pub media_type: Option<String>,
    pub content_base64: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Attachment {
    pub id: Uuid,
    pub filename: String,
    pub media_type: String,
    pub size: i64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    pub created_at: String,
    pub created_by: String,
}

/// A case as stored and shown.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Incident {
    /// Stable across nodes.
    pub id: Uuid,
    /// Fingerprint of the node where the case was opened.
    pub origin_node: String,
    pub reporting_org: Uuid,
    pub reporting_state: Option<CountryCode>,
    #[serde(flatten)]
    pub core: IncidentCore,
    pub severity_label: String,
    #[schema(value_type = Vec<ObservableOut>)]
    pub observables: Vec<Observable>,
    pub participants: Vec<Participant>,
    pub tasks: Vec<Task>,
    pub attachments: Vec<Attachment>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// A case in lists.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IncidentSummary {
    pub id: Uuid,
    pub title: String,
    pub rsit: Rsit,
    pub severity: Severity,
    pub tlp: Tlp,
    pub phase: Phase,
    pub exercise: bool,
    pub reporting_org: Uuid,
    pub reporting_state: Option<CountryCode>,
    pub affected_states: Vec<CountryCode>,
    pub participants: usize,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsit_is_loaded_from_the_taxonomy() {
        assert!(rsit_classes().len() >= 10);
        assert!(Rsit::new("intrusions", "system-compromise").is_ok());
        let e = Rsit::new("intrusions", "spam").unwrap_err();
        assert!(e.contains("unknown RSIT type 'spam'"), "{e}");
        assert!(Rsit::new("nope", "x").is_err());
        let r: Rsit = serde_json::from_str(r#""rsit:fraud=\"phishing\"""#).expect("tag");
        assert_eq!(r.machine_tag(), "rsit:fraud=\"phishing\"");
        let r: Rsit = serde_json::from_str(r#"{"class":"availability","type":"ddos"}"#).expect("parts");
        assert_eq!(r.r#type, "ddos");
    }

    #[test]
    fn severity_scale() {
        assert!(serde_json::from_str::<Severity>("4").is_ok());
        assert!(serde_json::from_str::<Severity>("5").is_err());
        assert!(serde_json::from_str::<Severity>("-1").is_err());
        assert_eq!("high".parse::<Severity>().map(|s| s.value()), Ok(3));
    }

    #[test]
    fn observables_are_recognised() {
        let kinds: Vec<_> = ["198.51.100.7", "2001:db8::/32", "evil.example.br", "https://x.example.org:8443/a?b", "abuse@x.example", "AS64500", "http://[2001:db8::1]/x"]
            .iter()
            .map(|s| s.parse::<Observable>().map(|o| o.kind()))
            .collect();
        use ObservableKind::*;
        assert_eq!(kinds, vec![Ok(Ip), Ok(Prefix), Ok(Domain), Ok(Url), Ok(Email), Ok(Asn), Ok(Url)]);
        for bad in ["", "banana", "300.1.1.1", "198.51.100.7/24", "http://", "a b@c"] {
            assert!(bad.parse::<Observable>().is_err(), "{bad}");
        }
        let v: Vec<Observable> = serde_json::from_str(r#"["198.51.100.7", {"kind":"domain","value":"x.example"}]"#).expect("parse");
        assert_eq!(serde_json::to_value(&v).expect("json")[1]["kind"], "domain");
    }

    #[test]
    fn participation_transitions() {
        use ParticipationStatus::*;
        assert!(Notified.may_become(Acknowledged));
        assert!(Notified.may_become(Declined));
        assert!(Acknowledged.may_become(Mitigated));
        assert!(Mitigated.may_become(Investigating));
        assert!(!Acknowledged.may_become(Notified));
        assert!(!Closed.may_become(Investigating));
        assert!(!Declined.may_become(Acknowledged));
        assert!(!Mitigated.may_become(Declined));
    }

    #[test]
    fn new_incident_names_bad_fields() {
        let bad = serde_json::from_str::<NewIncident>(
            r#"{"title":"x","rsit":{"class":"intrusions","type":"nope"},"severity":2}"#,
        );
        assert!(bad.is_err());
        let ok: NewIncident = serde_json::from_str(
            r#"{"title":"Ransomware at hospitals","rsit":"rsit:malicious-code=\"infected-system\"","severity":4,
                "sectors":["healthcare"],"observables":["203.0.113.9","AS64500"],"exercise":true}"#,
        )
        .expect("valid");
        assert_eq!(ok.tlp, Tlp::Amber);
        assert_eq!(ok.observables.len(), 2);
    }
}
