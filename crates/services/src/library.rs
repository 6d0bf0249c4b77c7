//! The knowledge library ([7/11] §5): documents, playbooks and training material that members
//! share ("technical, legal and administrative practices"), with a category, language versions,
//! TLP, author organisation and a review date; full-text search over every language version;
//! items past their review date are flagged `stale`. Reads follow `atalaya_policy` by TLP like
//! any shared object (AMBER+STRICT: the author organisation; RED: the author).
use crate::{audit_entry, require, Ctx, Result, ServiceError, Services};
use atalaya_model::time_util::{micros_rfc3339, to_micros};
use atalaya_model::{FieldError, Tlp, ValidationErrors};
use atalaya_policy::{must_audit_read, Access, Distribution, ObjectAccess, Subject, Target};
use atalaya_store::library::LibraryRecord;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

pub const KINDS: [&str; 3] = ["document", "playbook", "training"];
pub const CATEGORIES: [&str; 4] = ["technical", "legal", "administrative", "training"];

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LibraryText {
    pub title: String,
    pub body: String,
    /// Where the full material is, if elsewhere.
    pub url: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLibraryItem {
    /// `document`, `playbook` or `training`.
    pub kind: String,
    /// `technical`, `legal`, `administrative` or `training`.
    pub category: String,
    pub tlp: Tlp,
    /// When the content must be reviewed again (`YYYY-MM-DD`); after it the item is stale.
    pub review_date: String,
    /// Language (BCP 47: `es`, `en`, `pt-BR`, `fr`) → text.
    pub translations: BTreeMap<String, LibraryText>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LibraryItem {
    pub id: Uuid,
    pub kind: String,
    pub category: String,
    pub tlp: Tlp,
    /// The author organisation.
    pub owner_org: Uuid,
    pub review_date: String,
    /// The review date has passed.
    pub stale: bool,
    pub translations: BTreeMap<String, LibraryText>,
    pub created_by: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LibraryQuery {
    pub category: Option<String>,
    /// Words that must all occur (any language version; case and accents ignored).
    pub q: Option<String>,
    /// Only items past their review date.
    #[serde(default)]
    pub stale: Option<bool>,
}

fn date_fmt() -> &'static [time::format_description::FormatItem<'static>] {
    time::macros::format_description!("[year]-[month]-[day]")
}

fn access(ctx: &Ctx, a: Access, r: &LibraryRecord) -> Result<()> {
    let tlp: Tlp = r.tlp.parse().unwrap_or(Tlp::Red);
    let dist = Distribution { network: tlp != Tlp::AmberStrict, ..Default::default() };
    let named: Vec<Uuid> = r.created_user.into_iter().collect();
    require(ctx, a, &Target::Object(ObjectAccess { tlp, owner_org: r.owner_org, distribution: &dist, named_users: &named }))
}

impl Services {
    fn library_view(&self, r: &LibraryRecord) -> LibraryItem {
        let today = self.now().date();
        let stale = time::Date::parse(&r.review_date, date_fmt()).map(|d| d < today).unwrap_or(true);
        LibraryItem {
            id: r.id,
            kind: r.kind.clone(),
            category: r.category.clone(),
            tlp: r.tlp.parse().unwrap_or(Tlp::Red),
            owner_org: r.owner_org,
            review_date: r.review_date.clone(),
            stale,
            translations: serde_json::from_str(&r.translations).unwrap_or_default(),
            created_by: r.created_by.clone(),
            created_at: micros_rfc3339(r.created_at),
        }
    }

    pub async fn library_add(&self, ctx: &Ctx, n: NewLibraryItem) -> Result<LibraryItem> {
        let (owner, user) = match &ctx.subject {
            Subject::User(p) => (p.org_id, Some(p.user_id)),
            Subject::Operator => (self.store.org_home().await?.ok_or_else(|| ServiceError::Internal("no home organisation".into()))?.id, None),
            Subject::Anonymous => return Err(ServiceError::Unauthenticated("authentication required".into())),
        };
        let dist = Distribution::default();
        require(ctx, Access::Write, &Target::Object(ObjectAccess { tlp: n.tlp, owner_org: owner, distribution: &dist, named_users: &[] }))?;
        let mut errs = vec![];
        if !KINDS.contains(&n.kind.as_str()) {
            errs.push(FieldError::new("kind", "one of document, playbook, training"));
        }
        if !CATEGORIES.contains(&n.category.as_str()) {
            errs.push(FieldError::new("category", "one of technical, legal, administrative, training"));
        }
        if time::Date::parse(&n.review_date, date_fmt()).is_err() {
            errs.push(FieldError::new("review_date", "a date YYYY-MM-DD"));
        }
        if n.translations.is_empty() {
            errs.push(FieldError::new("translations", "at least one language version"));
        }
        let mut text = String::new();
        for (lang, t) in &n.translations {
            if !(2..=12).contains(&lang.len()) || !lang.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') || !lang.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
                errs.push(FieldError::new(format!("translations.{lang}"), "a language tag (es, en, pt-BR, fr)"));
            }
            if t.title.trim().is_empty() || t.title.chars().count() > 500 {
                errs.push(FieldError::new(format!("translations.{lang}.title"), "1 to 500 characters"));
            }
            if t.body.trim().is_empty() || t.body.chars().count() > 2_000_000 {
                errs.push(FieldError::new(format!("translations.{lang}.body"), "1 to 2000000 characters"));
            }
            if let Some(u) = &t.url {
                if !(u.starts_with("https://") || u.starts_with("http://")) || u.contains(char::is_whitespace) {
                    errs.push(FieldError::new(format!("translations.{lang}.url"), "an absolute http(s) URL"));
                }
            }
            text.push_str(&t.title);
            text.push('\n');
            text.push_str(&t.body);
            text.push('\n');
        }
        if !errs.is_empty() {
            return Err(ServiceError::Invalid(ValidationErrors(errs)));
        }
        let now = self.now();
        let rec = LibraryRecord {
            id: Uuid::new_v4(),
            kind: n.kind,
            category: n.category,
            tlp: n.tlp.label().into(),
            owner_org: owner,
            created_user: user,
            created_by: ctx.subject.actor(),
            review_date: n.review_date,
            translations: serde_json::to_string(&n.translations).map_err(|e| ServiceError::Internal(e.to_string()))?,
            created_at: to_micros(now),
            updated_at: to_micros(now),
        };
        let mut tx = self.store.begin().await?;
        tx.library_insert(&rec, &text).await?;
        tx.audit_append(&audit_entry(ctx, "library.add", "library", Some(rec.id.to_string()), serde_json::json!({"tlp": rec.tlp, "category": rec.category})), now)
            .await?;
        tx.commit().await?;
        Ok(self.library_view(&rec))
    }

    /// Items the caller may read, newest first.
    pub async fn library_list(&self, ctx: &Ctx, q: &LibraryQuery) -> Result<Vec<LibraryItem>> {
        if matches!(ctx.subject, Subject::Anonymous) {
            return Err(ServiceError::Unauthenticated("authentication required".into()));
        }
        if let Some(c) = &q.category {
            if !CATEGORIES.contains(&c.as_str()) {
                return Err(ServiceError::invalid("category", "one of technical, legal, administrative, training"));
            }
        }
        Ok(self
            .store
            .library_list(q.category.as_deref(), q.q.as_deref())
            .await?
            .iter()
            .filter(|r| access(ctx, Access::Read, r).is_ok())
            .map(|r| self.library_view(r))
            .filter(|i| q.stale.is_none_or(|s| i.stale == s))
            .collect())
    }

    pub async fn library_get(&self, ctx: &Ctx, id: Uuid) -> Result<LibraryItem> {
        if matches!(ctx.subject, Subject::Anonymous) {
            return Err(ServiceError::Unauthenticated("authentication required".into()));
        }
        let r = self.store.library_get(id).await?.ok_or_else(|| ServiceError::NotFound(format!("library item {id}")))?;
        if let Err(e) = access(ctx, Access::Read, &r) {
            return Err(match e {
                ServiceError::Unauthenticated(m) => ServiceError::Unauthenticated(m),
                _ => ServiceError::NotFound(format!("library item {id}")),
            });
        }
        let tlp: Tlp = r.tlp.parse().unwrap_or(Tlp::Red);
        if must_audit_read(tlp) {
            let mut tx = self.store.begin().await?;
            tx.audit_append(&audit_entry(ctx, "library.read", "library", Some(id.to_string()), serde_json::json!({"tlp": r.tlp})), self.now()).await?;
            tx.commit().await?;
        }
        Ok(self.library_view(&r))
    }
}
