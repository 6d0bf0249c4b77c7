//! Public awareness ([7/11] §4): awareness campaigns (text per language), and what the public
//! pages show without login — TLP:CLEAR advisories and TLP:CLEAR campaigns, per language
//! (`en`, `es`, `pt`, `fr`; another language's text is shown as a marked fallback), as JSON and
//! as Atom feeds. Every published item is checked with `atalaya_policy` as an anonymous reader
//! *and* for TLP:CLEAR, so nothing above TLP:CLEAR can appear. The web UI uses
//! [`Services::public_items`] for its pages.
use crate::{audit_entry, require, Ctx, Result, ServiceError, Services};
use atalaya_model::time_util::{micros_rfc3339, to_micros};
use atalaya_model::{FieldError, Tlp, ValidationErrors};
use atalaya_policy::{Access, Distribution, ObjectAccess, Subject, Target};
use atalaya_store::library::CampaignRecord;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use uuid::Uuid;

/// Languages of the public pages.
pub const PUBLIC_LANGUAGES: [&str; 4] = ["en", "es", "pt", "fr"];

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignText {
    pub title: String,
    pub body: String,
}

/// A new awareness campaign: its text in one or more of en/es/pt/fr.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCampaign {
    /// Only TLP:CLEAR campaigns are published on the public pages.
    pub tlp: Tlp,
    /// Language (`en`, `es`, `pt`, `fr`) → text.
    pub translations: BTreeMap<String, CampaignText>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Campaign {
    pub id: Uuid,
    pub tlp: Tlp,
    pub translations: BTreeMap<String, CampaignText>,
    pub owner_org: Uuid,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}

/// One item of the public pages, in the requested language when available.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicItem {
    pub id: Uuid,
    /// `advisory` or `campaign`.
    pub kind: String,
    pub title: String,
    pub summary: String,
    /// The language of `title` and `summary`.
    pub lang: String,
    /// True when the text is not in the requested language (shown as such).
    pub fallback: bool,
    /// Always TLP:CLEAR.
    pub tlp: Tlp,
    /// Advisories: the tracking id.
    pub tracking_id: Option<String>,
    /// Advisories: where the CSAF document is (no login).
    pub csaf_url: Option<String>,
    pub published: String,
    pub updated: String,
}

fn campaign_view(r: &CampaignRecord) -> Campaign {
    Campaign {
        id: r.id,
        tlp: r.tlp.parse().unwrap_or(Tlp::Red),
        translations: serde_json::from_str(&r.translations).unwrap_or_default(),
        owner_org: r.owner_org,
        created_by: r.created_by.clone(),
        created_at: micros_rfc3339(r.created_at),
        updated_at: micros_rfc3339(r.updated_at),
    }
}

fn campaign_access(ctx: &Ctx, r: &CampaignRecord) -> bool {
    let tlp: Tlp = r.tlp.parse().unwrap_or(Tlp::Red);
    let dist = Distribution { network: tlp != Tlp::AmberStrict, ..Default::default() };
    let named: Vec<Uuid> = r.created_user.into_iter().collect();
    require(ctx, Access::Read, &Target::Object(ObjectAccess { tlp, owner_org: r.owner_org, distribution: &dist, named_users: &named })).is_ok()
}

/// Checks a public language code.
pub fn public_lang(lang: &str) -> Result<&'static str> {
    PUBLIC_LANGUAGES
        .iter()
        .find(|l| **l == lang)
        .copied()
        .ok_or_else(|| ServiceError::NotFound(format!("language '{lang}' (public pages are in en, es, pt, fr)")))
}

/// Picks the requested language, else the first of en, es, pt, fr present.
fn pick<'a>(tr: &'a BTreeMap<String, CampaignText>, lang: &str) -> Option<(&'a str, &'a CampaignText, bool)> {
    if let Some((k, t)) = tr.get_key_value(lang) {
        return Some((k, t, false));
    }
    PUBLIC_LANGUAGES.iter().find_map(|l| tr.get_key_value(*l)).map(|(k, t)| (k.as_str(), t, true))
}

fn advisory_summary(doc: &Value) -> String {
    doc.pointer("/document/notes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|n| matches!(n.get("category").and_then(Value::as_str), Some("summary" | "description" | "general")))
        .and_then(|n| n.get("text").and_then(Value::as_str))
        .unwrap_or_default()
        .to_string()
}

fn xml(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' && c != '\r' => {}
            c => o.push(c),
        }
    }
    o
}

/// The Atom (RFC 4287) feed of the public items of one language.
pub fn atom_feed(lang: &str, node_name: &str, feed_id: &str, items: &[PublicItem], now: &str) -> String {
    let updated = items.iter().map(|i| i.updated.as_str()).max().unwrap_or(now);
    let mut s = String::new();
    s.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    s.push_str(&format!("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">\n", xml(lang)));
    s.push_str(&format!("  <id>{}</id>\n  <title>{} — public advisories and awareness ({})</title>\n", xml(feed_id), xml(node_name), xml(lang)));
    s.push_str(&format!("  <updated>{}</updated>\n  <author><name>{}</name></author>\n", xml(updated), xml(node_name)));
    s.push_str(&format!("  <link rel=\"self\" href=\"/public/{}/feed.atom\"/>\n", xml(lang)));
    s.push_str("  <rights>TLP:CLEAR</rights>\n");
    for i in items {
        s.push_str(&format!("  <entry xml:lang=\"{}\">\n", xml(&i.lang)));
        s.push_str(&format!("    <id>urn:uuid:{}</id>\n", i.id));
        let title = if i.fallback { format!("[{}] {}", i.lang, i.title) } else { i.title.clone() };
        s.push_str(&format!("    <title>{}</title>\n", xml(&title)));
        s.push_str(&format!("    <published>{}</published>\n    <updated>{}</updated>\n", xml(&i.published), xml(&i.updated)));
        s.push_str(&format!("    <category term=\"{}\"/>\n", xml(&i.kind)));
        if i.fallback {
            s.push_str(&format!("    <category term=\"fallback-language\" label=\"not available in {}; shown in {}\"/>\n", xml(lang), xml(&i.lang)));
        }
        if let Some(u) = &i.csaf_url {
            s.push_str(&format!("    <link rel=\"alternate\" type=\"application/json\" href=\"{}\"/>\n", xml(u)));
        }
        s.push_str(&format!("    <summary>{}</summary>\n  </entry>\n", xml(&i.summary)));
    }
    s.push_str("</feed>\n");
    s
}

impl Services {
    /// Creates an awareness campaign (analysts of the caller's organisation).
    pub async fn campaign_create(&self, ctx: &Ctx, c: NewCampaign) -> Result<Campaign> {
        let (owner, user) = match &ctx.subject {
            Subject::User(p) => (p.org_id, Some(p.user_id)),
            Subject::Operator => (self.store.org_home().await?.ok_or_else(|| ServiceError::Internal("no home organisation".into()))?.id, None),
            Subject::Anonymous => return Err(ServiceError::Unauthenticated("authentication required".into())),
        };
        let dist = Distribution::default();
        require(ctx, Access::Write, &Target::Object(ObjectAccess { tlp: c.tlp, owner_org: owner, distribution: &dist, named_users: &[] }))?;
        let mut errs = vec![];
        if c.translations.is_empty() {
            errs.push(FieldError::new("translations", "give the text in at least one of en, es, pt, fr"));
        }
        for (lang, t) in &c.translations {
            if !PUBLIC_LANGUAGES.contains(&lang.as_str()) {
                errs.push(FieldError::new(format!("translations.{lang}"), "a language of the public pages: en, es, pt or fr"));
            }
            if t.title.trim().is_empty() || t.title.chars().count() > 300 {
                errs.push(FieldError::new(format!("translations.{lang}.title"), "1 to 300 characters"));
            }
            if t.body.trim().is_empty() || t.body.chars().count() > 100_000 {
                errs.push(FieldError::new(format!("translations.{lang}.body"), "1 to 100000 characters"));
            }
        }
        if !errs.is_empty() {
            return Err(ServiceError::Invalid(ValidationErrors(errs)));
        }
        let now = self.now();
        let rec = CampaignRecord {
            id: Uuid::new_v4(),
            tlp: c.tlp.label().into(),
            owner_org: owner,
            created_user: user,
            created_by: ctx.subject.actor(),
            translations: serde_json::to_string(&c.translations).map_err(|e| ServiceError::Internal(e.to_string()))?,
            created_at: to_micros(now),
            updated_at: to_micros(now),
        };
        let mut tx = self.store.begin().await?;
        tx.campaign_insert(&rec).await?;
        tx.audit_append(&audit_entry(ctx, "campaign.create", "campaign", Some(rec.id.to_string()), serde_json::json!({"tlp": rec.tlp})), now).await?;
        tx.commit().await?;
        Ok(campaign_view(&rec))
    }

    /// Campaigns the caller may read.
    pub async fn campaign_list(&self, ctx: &Ctx) -> Result<Vec<Campaign>> {
        if matches!(ctx.subject, Subject::Anonymous) {
            return Err(ServiceError::Unauthenticated("authentication required (public campaigns are under /public/)".into()));
        }
        Ok(self.store.campaign_list(None).await?.iter().filter(|r| campaign_access(ctx, r)).map(campaign_view).collect())
    }

    /// What the public pages of `lang` show: TLP:CLEAR advisories and campaigns, newest first.
    pub async fn public_items(&self, lang: &str) -> Result<Vec<PublicItem>> {
        let lang = public_lang(lang)?;
        let anon = Ctx::anonymous("public");
        let mut out = vec![];
        for (a, doc) in self.advisory_public().await? {
            if a.tlp != Tlp::Clear {
                continue;
            }
            let alang = a.lang.clone().unwrap_or_else(|| "en".into());
            let primary = alang.split('-').next().unwrap_or("en").to_ascii_lowercase();
            out.push(PublicItem {
                id: a.id,
                kind: "advisory".into(),
                title: a.title.clone(),
                summary: advisory_summary(&doc),
                fallback: primary != lang,
                lang: alang,
                tlp: Tlp::Clear,
                tracking_id: Some(a.tracking_id.clone()),
                csaf_url: Some(format!("/public/advisories/{}", a.id)),
                published: a.initial_release_date.clone(),
                updated: a.current_release_date.clone(),
            });
        }
        for r in self.store.campaign_list(Some(Tlp::Clear.label())).await? {
            if r.tlp != Tlp::Clear.label() || !campaign_access(&anon, &r) {
                continue;
            }
            let c = campaign_view(&r);
            if let Some((l, t, fallback)) = pick(&c.translations, lang) {
                out.push(PublicItem {
                    id: c.id,
                    kind: "campaign".into(),
                    title: t.title.clone(),
                    summary: t.body.clone(),
                    lang: l.to_string(),
                    fallback,
                    tlp: Tlp::Clear,
                    tracking_id: None,
                    csaf_url: None,
                    published: c.created_at.clone(),
                    updated: c.updated_at.clone(),
                });
            }
        }
        out.sort_by(|a, b| b.updated.cmp(&a.updated).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    /// The Atom feed of `lang`.
    pub async fn public_feed(&self, lang: &str) -> Result<String> {
        let items = self.public_items(lang).await?;
        let feed_id = format!("urn:atalaya:public:{}:{lang}", self.identity.fingerprint().replace(' ', "").to_ascii_lowercase());
        Ok(atom_feed(lang, &self.config.node_name, &feed_id, &items, &atalaya_model::time_util::rfc3339(self.now())))
    }

    /// The CSAF document of a TLP:CLEAR advisory, without login.
    pub async fn public_advisory_document(&self, id: Uuid) -> Result<Value> {
        let anon = Ctx::anonymous("public");
        let r = self.store.advisory_get(id).await?.ok_or_else(|| ServiceError::NotFound(format!("advisory {id}")))?;
        if r.tlp != Tlp::Clear.label() || !crate::advisories::visible(&anon, &r) {
            return Err(ServiceError::NotFound(format!("advisory {id}")));
        }
        serde_json::from_str(&r.document).map_err(|e| ServiceError::Internal(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atom_escapes_and_marks_fallbacks() {
        let item = PublicItem {
            id: Uuid::nil(),
            kind: "campaign".into(),
            title: "Phishing <script>&".into(),
            summary: "Don't click".into(),
            lang: "es".into(),
            fallback: true,
            tlp: Tlp::Clear,
            tracking_id: None,
            csaf_url: None,
            published: "2026-01-01T00:00:00Z".into(),
            updated: "2026-01-02T00:00:00Z".into(),
        };
        let f = atom_feed("fr", "CERT <x>", "urn:x", &[item], "2026-01-03T00:00:00Z");
        assert!(f.contains("<title>[es] Phishing &lt;script&gt;&amp;</title>"), "{f}");
        assert!(f.contains("fallback-language") && f.contains("<updated>2026-01-02T00:00:00Z</updated>"));
        assert!(!f.contains("<script>"));
    }
}
