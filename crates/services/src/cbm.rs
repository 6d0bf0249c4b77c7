//! The registry of confidence-building measures ([7/11] §2): national cyber policies and
//! strategies (OAS CBM 1) with their documents, the policy-level and foreign-affairs points of
//! contact (CBMs 2–3), implementation reports per CBM per state, and voluntary reports per state
//! on the 11 norms of the UN GGE 2015 report (A/70/174 §13 a–k). Every entry is `public` (no
//! login) or `network` (members only). Who may change a state's entries is decided by
//! `atalaya_policy::decide_cbm_write`: its national point of contact (admin or duty officer of
//! the state's national CSIRT or national cyber authority). Every change is audited.
use crate::{audit_entry, Ctx, Result, ServiceError, Services};
use atalaya_model::time_util::{micros_rfc3339, to_micros};
use atalaya_model::{CountryCode, FieldError, ValidationErrors};
use atalaya_policy::{decide_cbm_write, may_read_cbm, Decision};
use atalaya_store::cbm::CbmRecord;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// The norms of responsible state behaviour of the UN GGE 2015 report (A/70/174, §13 a–k), short titles.
pub const UN_GGE_2015_NORMS: [(&str, &str); 11] = [
    ("a", "Cooperate to increase stability and security in the use of ICTs"),
    ("b", "Consider all relevant information in case of ICT incidents"),
    ("c", "Do not knowingly allow the territory to be used for internationally wrongful acts using ICTs"),
    ("d", "Cooperate to exchange information, assist each other and prosecute terrorist and criminal use of ICTs"),
    ("e", "Respect human rights, including privacy and freedom of expression"),
    ("f", "Do not conduct or knowingly support ICT activity that damages critical infrastructure"),
    ("g", "Protect critical infrastructure from ICT threats"),
    ("h", "Respond to appropriate requests for assistance by other states"),
    ("i", "Ensure the integrity of the supply chain"),
    ("j", "Encourage responsible reporting of ICT vulnerabilities"),
    ("k", "Do not harm the information systems of authorized emergency response teams (CERTs/CSIRTs)"),
];

/// OAS/CICTE confidence-building measures with their short titles (1–6, adopted 2017–2018);
/// reports on later measures (7–11) are accepted by number.
pub const OAS_CBMS: [(u8, &str); 6] = [
    (1, "Provide information on national cybersecurity policies, strategies, white papers and legal frameworks"),
    (2, "Identify a national point of contact at the policy level for hemispheric cyber threats"),
    (3, "Designate points of contact in Ministries of Foreign Affairs for cyber cooperation and dialogue"),
    (4, "Develop and strengthen capacity building in cyber diplomacy"),
    (5, "Include cybersecurity and cyberspace in the training of diplomats and officials"),
    (6, "Foster cooperation and exchange of best practices in cyber diplomacy, cybersecurity and cyberspace"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Anyone, without login.
    Public,
    /// Members of the network only.
    Network,
}

impl Visibility {
    fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Network => "network",
        }
    }
}

/// One language version of a policy document.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyDocument {
    /// BCP 47 language (`es`, `en`, `pt-BR`, `fr`).
    pub lang: String,
    pub title: String,
    /// Where the official text is published.
    pub url: Option<String>,
    /// The text itself, when it is uploaded rather than linked.
    pub text: Option<String>,
}

/// A national cyber policy or strategy (CBM 1).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPolicy {
    pub state: CountryCode,
    pub title: String,
    /// `strategy`, `policy`, `law`, `regulation`, `white-paper` or `other`.
    pub category: String,
    /// `YYYY-MM-DD`.
    pub adoption_date: Option<String>,
    #[schema(min_items = 1)]
    pub documents: Vec<PolicyDocument>,
    pub visibility: Visibility,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DesignationRole {
    /// CBM 2: point of contact at the policy level.
    PolicyLevel,
    /// CBM 3: point of contact in the Ministry of Foreign Affairs.
    ForeignAffairs,
}

/// Nomination of a point of contact (CBMs 2–3).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDesignation {
    pub state: CountryCode,
    pub role: DesignationRole,
    pub name: String,
    pub position: String,
    pub organisation: String,
    pub email: atalaya_model::directory::Email,
    pub phone: Option<atalaya_model::directory::Phone>,
    pub visibility: Visibility,
}

/// A state's report on the implementation of one OAS CBM.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewImplementationReport {
    pub state: CountryCode,
    /// 1–11.
    pub cbm: u8,
    pub year: i32,
    pub text: String,
    pub visibility: Visibility,
}

/// A state's voluntary report on one norm of the UN GGE 2015 report.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNormReport {
    pub state: CountryCode,
    /// `a`–`k` (A/70/174 §13).
    pub norm: String,
    pub year: i32,
    pub text: String,
    pub visibility: Visibility,
}

/// A registry entry.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CbmEntry {
    pub id: Uuid,
    pub state: String,
    /// `policy`, `designation`, `implementation` or `norm`.
    pub kind: String,
    /// CBM number, norm letter, or designation role.
    pub topic: String,
    /// Short title of the CBM or norm (or the designation role).
    pub topic_title: String,
    pub title: String,
    pub visibility: String,
    /// The entry's fields as submitted.
    pub details: Value,
    pub created_by: String,
    pub created_at: String,
}

/// One measure or norm of the reference lists.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReferenceEntry {
    /// CBM number (`1`) or norm letter (`a`).
    pub id: String,
    pub title: String,
}

/// The reference lists (CBMs and norms).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CbmReference {
    pub cbms: Vec<ReferenceEntry>,
    pub norms: Vec<ReferenceEntry>,
}

pub fn reference() -> CbmReference {
    CbmReference {
        cbms: OAS_CBMS.iter().map(|(n, t)| ReferenceEntry { id: n.to_string(), title: t.to_string() }).collect(),
        norms: UN_GGE_2015_NORMS.iter().map(|(n, t)| ReferenceEntry { id: n.to_string(), title: t.to_string() }).collect(),
    }
}

fn topic_title(kind: &str, topic: &str) -> String {
    match kind {
        "norm" => UN_GGE_2015_NORMS.iter().find(|(n, _)| *n == topic).map(|(_, t)| t.to_string()).unwrap_or_default(),
        "implementation" => topic
            .parse::<u8>()
            .ok()
            .and_then(|n| OAS_CBMS.iter().find(|(m, _)| *m == n))
            .map(|(_, t)| t.to_string())
            .unwrap_or_else(|| format!("OAS CBM {topic}")),
        "designation" if topic == "policy-level" => "Point of contact at the policy level (CBM 2)".into(),
        "designation" => "Point of contact in the Ministry of Foreign Affairs (CBM 3)".into(),
        _ => "National cyber policy or strategy (CBM 1)".into(),
    }
}

fn view(r: &CbmRecord) -> CbmEntry {
    CbmEntry {
        id: r.id,
        state: r.state.clone(),
        kind: r.kind.clone(),
        topic: r.topic.clone(),
        topic_title: topic_title(&r.kind, &r.topic),
        title: r.title.clone(),
        visibility: r.visibility.clone(),
        details: serde_json::from_str(&r.body).unwrap_or(Value::Null),
        created_by: r.created_by.clone(),
        created_at: micros_rfc3339(r.created_at),
    }
}

fn text(errs: &mut Vec<FieldError>, field: &str, v: &str, max: usize) {
    let t = v.trim();
    if t.is_empty() {
        errs.push(FieldError::new(field, "must not be empty"));
    } else if t.chars().count() > max {
        errs.push(FieldError::new(field, format!("at most {max} characters")));
    }
}

fn url(errs: &mut Vec<FieldError>, field: &str, u: &str) {
    let u = u.trim();
    if !(u.starts_with("https://") || u.starts_with("http://")) || u.contains(char::is_whitespace) || u.len() < 10 {
        errs.push(FieldError::new(field, "an absolute http(s) URL"));
    }
}

fn year(errs: &mut Vec<FieldError>, y: i32) {
    if !(2000..=2100).contains(&y) {
        errs.push(FieldError::new("year", "a year between 2000 and 2100"));
    }
}

fn done(errs: Vec<FieldError>) -> Result<()> {
    if errs.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::Invalid(ValidationErrors(errs)))
    }
}

impl Services {
    fn cbm_may_write(&self, ctx: &Ctx, state: &CountryCode) -> Result<()> {
        match decide_cbm_write(&ctx.subject, state) {
            Decision::Allow => Ok(()),
            Decision::Deny(why) => match ctx.subject {
                atalaya_policy::Subject::Anonymous => Err(ServiceError::Unauthenticated(why.into())),
                _ => Err(ServiceError::Forbidden(why.into())),
            },
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn cbm_store(&self, ctx: &Ctx, state: &CountryCode, kind: &str, topic: String, title: String, body: Value, vis: Visibility) -> Result<CbmEntry> {
        self.cbm_may_write(ctx, state)?;
        let now = self.now();
        let rec = CbmRecord {
            id: Uuid::new_v4(),
            state: state.to_string(),
            kind: kind.into(),
            topic,
            title,
            body: body.to_string(),
            visibility: vis.as_str().into(),
            created_by: ctx.subject.actor(),
            created_at: to_micros(now),
            updated_at: to_micros(now),
            removed_at: None,
            removed_by: None,
        };
        let mut tx = self.store.begin().await?;
        tx.cbm_insert(&rec).await?;
        tx.audit_append(
            &audit_entry(ctx, &format!("cbm.{kind}.add"), "cbm", Some(rec.id.to_string()), serde_json::json!({"state": rec.state, "topic": rec.topic})),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(view(&rec))
    }

    pub async fn cbm_add_policy(&self, ctx: &Ctx, p: NewPolicy) -> Result<CbmEntry> {
        let mut errs = vec![];
        text(&mut errs, "title", &p.title, 500);
        if !["strategy", "policy", "law", "regulation", "white-paper", "other"].contains(&p.category.as_str()) {
            errs.push(FieldError::new("category", "one of strategy, policy, law, regulation, white-paper, other"));
        }
        if let Some(d) = &p.adoption_date {
            if time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]")).is_err() {
                errs.push(FieldError::new("adoption_date", "a date YYYY-MM-DD"));
            }
        }
        if p.documents.is_empty() {
            errs.push(FieldError::new("documents", "at least one language version"));
        }
        for (i, d) in p.documents.iter().enumerate() {
            if !(2..=12).contains(&d.lang.len()) || !d.lang.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                errs.push(FieldError::new(format!("documents[{i}].lang"), "a language tag (es, en, pt-BR, fr)"));
            }
            text(&mut errs, &format!("documents[{i}].title"), &d.title, 500);
            match (&d.url, &d.text) {
                (None, None) => errs.push(FieldError::new(format!("documents[{i}]"), "give the url or the text")),
                (Some(u), _) => url(&mut errs, &format!("documents[{i}].url"), u),
                (None, Some(t)) => text(&mut errs, &format!("documents[{i}].text"), t, 2_000_000),
            }
        }
        done(errs)?;
        let body = serde_json::to_value(&p).map_err(|e| ServiceError::Internal(e.to_string()))?;
        self.cbm_store(ctx, &p.state, "policy", p.category.clone(), p.title.trim().into(), body, p.visibility).await
    }

    /// Nominates a point of contact (CBM 2 or 3). Only the state's national point of contact.
    pub async fn cbm_designate(&self, ctx: &Ctx, d: NewDesignation) -> Result<CbmEntry> {
        let mut errs = vec![];
        text(&mut errs, "name", &d.name, 200);
        text(&mut errs, "position", &d.position, 200);
        text(&mut errs, "organisation", &d.organisation, 300);
        done(errs)?;
        let topic = match d.role {
            DesignationRole::PolicyLevel => "policy-level",
            DesignationRole::ForeignAffairs => "foreign-affairs",
        };
        let body = serde_json::to_value(&d).map_err(|e| ServiceError::Internal(e.to_string()))?;
        self.cbm_store(ctx, &d.state, "designation", topic.into(), d.name.trim().into(), body, d.visibility).await
    }

    pub async fn cbm_report_implementation(&self, ctx: &Ctx, r: NewImplementationReport) -> Result<CbmEntry> {
        let mut errs = vec![];
        if !(1..=11).contains(&r.cbm) {
            errs.push(FieldError::new("cbm", "an OAS CBM number, 1 to 11"));
        }
        year(&mut errs, r.year);
        text(&mut errs, "text", &r.text, 200_000);
        done(errs)?;
        let title = format!("{} — CBM {} ({})", r.state, r.cbm, r.year);
        let body = serde_json::to_value(&r).map_err(|e| ServiceError::Internal(e.to_string()))?;
        self.cbm_store(ctx, &r.state, "implementation", r.cbm.to_string(), title, body, r.visibility).await
    }

    pub async fn cbm_report_norm(&self, ctx: &Ctx, r: NewNormReport) -> Result<CbmEntry> {
        let mut errs = vec![];
        let norm = r.norm.trim().to_ascii_lowercase();
        if !UN_GGE_2015_NORMS.iter().any(|(n, _)| *n == norm) {
            errs.push(FieldError::new("norm", "a norm of the UN GGE 2015 report, a to k"));
        }
        year(&mut errs, r.year);
        text(&mut errs, "text", &r.text, 200_000);
        done(errs)?;
        let title = format!("{} — norm {} ({})", r.state, norm, r.year);
        let body = serde_json::to_value(&r).map_err(|e| ServiceError::Internal(e.to_string()))?;
        self.cbm_store(ctx, &r.state, "norm", norm, title, body, r.visibility).await
    }

    /// Removes an entry (e.g. withdraws a nomination); it stays on record with who and when.
    pub async fn cbm_remove(&self, ctx: &Ctx, id: Uuid) -> Result<()> {
        let r = self
            .store
            .cbm_get(id)
            .await?
            .filter(|r| r.removed_at.is_none() && may_read_cbm(&ctx.subject, r.visibility == "public"))
            .ok_or_else(|| ServiceError::NotFound(format!("CBM entry {id}")))?;
        let state: CountryCode = r.state.parse().map_err(|_| ServiceError::Internal(format!("bad state '{}' stored", r.state)))?;
        self.cbm_may_write(ctx, &state)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        if !tx.cbm_remove(id, &ctx.subject.actor(), to_micros(now)).await? {
            return Err(ServiceError::NotFound(format!("CBM entry {id}")));
        }
        tx.audit_append(&audit_entry(ctx, &format!("cbm.{}.remove", r.kind), "cbm", Some(id.to_string()), serde_json::json!({"state": r.state, "topic": r.topic})), now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Current entries the caller may read (anonymous callers: public ones only).
    pub async fn cbm_list(&self, ctx: &Ctx, state: Option<&str>, kind: Option<&str>) -> Result<Vec<CbmEntry>> {
        let state = match state {
            Some(s) => Some(s.parse::<CountryCode>().map_err(|e| ServiceError::invalid("state", e.to_string()))?.to_string()),
            None => None,
        };
        if let Some(k) = kind {
            if !["policy", "designation", "implementation", "norm"].contains(&k) {
                return Err(ServiceError::invalid("kind", "one of policy, designation, implementation, norm"));
            }
        }
        Ok(self
            .store
            .cbm_list(state.as_deref(), kind)
            .await?
            .iter()
            .filter(|r| may_read_cbm(&ctx.subject, r.visibility == "public"))
            .map(view)
            .collect())
    }
}
