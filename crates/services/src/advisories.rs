//! CSAF 2.0 advisories ([7/11] §3): import, author, revise, export, list and search.
//!
//! The document is kept verbatim (export answers exactly what was imported or authored); what
//! Atalaya needs to search and decide is read out of it by `atalaya-csaf`. Every read asks
//! `atalaya_policy::decide` with the advisory's TLP (invisible advisories are absent from lists
//! and answer 404); TLP:AMBER+STRICT advisories are for the owner organisation only, TLP:RED for
//! the user who stored them. Every write and its audit entry are one transaction.
use crate::{audit_entry, require, Ctx, Result, ServiceError, Services};
use atalaya_csaf::author::{AuthorContext, AuthorInput};
use atalaya_csaf::Issue;
use atalaya_model::time_util::{micros_rfc3339, to_micros};
use atalaya_model::{FieldError, Tlp, ValidationErrors};
use atalaya_policy::{must_audit_read, Access, Distribution, ObjectAccess, Subject, Target};
use atalaya_store::advisories::{AdvisoryFilter, AdvisoryIndex, AdvisoryProduct, AdvisoryRecord};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// A product of an advisory (flattened product tree).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AdvisoryProductView {
    pub product_id: String,
    pub name: String,
    pub vendor: Option<String>,
    pub product: Option<String>,
    pub version: Option<String>,
}

/// An advisory as Atalaya shows it (the CSAF document itself is at `/csaf`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Advisory {
    pub id: Uuid,
    pub tracking_id: String,
    pub title: String,
    /// CSAF profile (`csaf_security_advisory`, `csaf_vex`, …).
    pub category: String,
    pub publisher_name: String,
    pub publisher_namespace: String,
    pub version: String,
    /// `draft`, `interim` or `final`.
    pub status: String,
    pub initial_release_date: String,
    pub current_release_date: String,
    pub tlp: Tlp,
    pub lang: Option<String>,
    /// Written on this node (can be revised here).
    pub authored: bool,
    pub vendors: Vec<String>,
    pub products: Vec<AdvisoryProductView>,
    pub cves: Vec<String>,
    pub sectors: Vec<String>,
    /// Incident cases of this node it relates to.
    pub incidents: Vec<String>,
    /// STIX indicators it relates to.
    pub indicators: Vec<String>,
    /// Every stored version, oldest first.
    pub versions: Vec<String>,
    pub owner_org: Uuid,
    pub created_by: String,
    pub updated_at: String,
}

/// What an import did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportResult {
    /// `created`, `updated` (a newer version of a known advisory) or `unchanged`.
    pub outcome: String,
    pub advisory: Advisory,
}

/// A new revision of an advisory written on this node.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevisionInput {
    /// What changed (the revision history entry).
    pub revision_summary: String,
    /// The whole advisory as it is now.
    pub advisory: AuthorInput,
}

/// Filters of the advisory list (all given must match; text filters are case-insensitive substrings).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AdvisoryQuery {
    pub vendor: Option<String>,
    pub product: Option<String>,
    /// Exact CVE id.
    pub cve: Option<String>,
    pub sector: Option<String>,
    /// Only this TLP (`TLP:GREEN`, `green`, `white`…).
    pub tlp: Option<String>,
    /// In the title or tracking id.
    pub q: Option<String>,
}

/// CSAF issues become field errors: the field is the JSON pointer, the reason names the test.
pub fn issues_error(issues: Vec<Issue>) -> ServiceError {
    ServiceError::Invalid(ValidationErrors(
        issues
            .into_iter()
            .map(|i| {
                let reason = match i.test.as_str() {
                    "schema" | "json" | "input" => format!("{} ({})", i.message, i.test),
                    t => format!("{} (CSAF mandatory test {t})", i.message),
                };
                FieldError::new(if i.path.is_empty() { "/".to_string() } else { i.path }, reason)
            })
            .collect(),
    ))
}

fn tlp_of(r: &AdvisoryRecord) -> Tlp {
    r.tlp.parse().unwrap_or(Tlp::Red)
}

/// Policy facts of an advisory: GREEN and AMBER go to the whole network; AMBER+STRICT to the
/// owner organisation only; RED to the user who stored it.
fn decide(ctx: &Ctx, access: Access, r: &AdvisoryRecord) -> Result<()> {
    let tlp = tlp_of(r);
    let dist = Distribution { network: tlp != Tlp::AmberStrict, ..Default::default() };
    let named: Vec<Uuid> = r.created_user.into_iter().collect();
    require(ctx, access, &Target::Object(ObjectAccess { tlp, owner_org: r.owner_org, distribution: &dist, named_users: &named }))
}

pub(crate) fn visible(ctx: &Ctx, r: &AdvisoryRecord) -> bool {
    decide(ctx, Access::Read, r).is_ok()
}

fn products_of(s: &atalaya_csaf::Summary) -> Vec<AdvisoryProduct> {
    s.products
        .iter()
        .map(|p| AdvisoryProduct { product_id: p.product_id.clone(), name: p.name.clone(), vendor: p.vendor.clone(), product: p.product.clone(), version: p.version.clone() })
        .collect()
}

fn index_of(s: &atalaya_csaf::Summary) -> AdvisoryIndex {
    AdvisoryIndex { products: products_of(s), cves: s.cves.clone(), sectors: s.sectors.iter().map(|x| x.to_lowercase()).collect() }
}

/// The REST reads under `/api/v1/advisories` are for members; the public ones are under `/public/`.
fn member(ctx: &Ctx) -> Result<()> {
    match ctx.subject {
        Subject::Anonymous => Err(ServiceError::Unauthenticated("authentication required (public advisories are under /public/)".into())),
        _ => Ok(()),
    }
}

fn parse_tlp_filter(s: &str) -> Result<Tlp> {
    s.parse().map_err(|e: String| ServiceError::invalid("tlp", e))
}

impl Services {
    async fn advisory_view(&self, r: &AdvisoryRecord) -> Result<Advisory> {
        let doc: Value = serde_json::from_str(&r.document).map_err(|e| ServiceError::Internal(format!("stored advisory {}: {e}", r.id)))?;
        let s = atalaya_csaf::summarize(&doc);
        let mut vendors: Vec<String> = s.products.iter().filter_map(|p| p.vendor.clone()).collect();
        vendors.sort();
        vendors.dedup();
        let links = self.store.advisory_links(r.id).await?;
        let versions = self.store.advisory_versions(r.id).await?.into_iter().map(|(v, _)| v).collect();
        Ok(Advisory {
            id: r.id,
            tracking_id: r.tracking_id.clone(),
            title: r.title.clone(),
            category: r.category.clone(),
            publisher_name: r.publisher_name.clone(),
            publisher_namespace: r.publisher_namespace.clone(),
            version: r.version.clone(),
            status: r.status.clone(),
            initial_release_date: r.initial_release.clone(),
            current_release_date: r.current_release.clone(),
            tlp: tlp_of(r),
            lang: r.lang.clone(),
            authored: r.authored,
            vendors,
            products: s
                .products
                .iter()
                .map(|p| AdvisoryProductView { product_id: p.product_id.clone(), name: p.name.clone(), vendor: p.vendor.clone(), product: p.product.clone(), version: p.version.clone() })
                .collect(),
            cves: s.cves,
            sectors: s.sectors,
            incidents: links.iter().filter(|(k, _)| k == "incident").map(|(_, t)| t.clone()).collect(),
            indicators: links.iter().filter(|(k, _)| k == "indicator").map(|(_, t)| t.clone()).collect(),
            versions,
            owner_org: r.owner_org,
            created_by: r.created_by.clone(),
            updated_at: micros_rfc3339(r.updated_at),
        })
    }

    /// The organisation a new advisory belongs to, and the storing user.
    async fn advisory_owner(&self, ctx: &Ctx) -> Result<(Uuid, Option<Uuid>)> {
        match &ctx.subject {
            Subject::User(p) => Ok((p.org_id, Some(p.user_id))),
            Subject::Operator => Ok((
                self.store.org_home().await?.ok_or_else(|| ServiceError::Internal("the node has no home organisation".into()))?.id,
                None,
            )),
            Subject::Anonymous => Err(ServiceError::Unauthenticated("authentication required".into())),
        }
    }

    fn may_create(&self, ctx: &Ctx, owner: Uuid, tlp: Tlp) -> Result<()> {
        let dist = Distribution::default();
        require(ctx, Access::Write, &Target::Object(ObjectAccess { tlp, owner_org: owner, distribution: &dist, named_users: &[] }))
    }

    /// Imports a CSAF 2.0 document. A newer version (later `current_release_date`) of a known
    /// advisory (same publisher namespace and tracking id) replaces it — every version is kept;
    /// the same version again is `unchanged`; an older one, or the same version with other
    /// content, is refused. The TLP is the document's (or `tlp`, or the node default when the
    /// document states none).
    pub async fn advisory_import(&self, ctx: &Ctx, bytes: &[u8], tlp: Option<Tlp>) -> Result<ImportResult> {
        let (owner, user) = self.advisory_owner(ctx).await?;
        let doc = atalaya_csaf::parse(bytes).map_err(issues_error)?;
        let s = &doc.summary;
        let tlp = tlp.or(s.tlp).unwrap_or(self.config.default_tlp);
        self.may_create(ctx, owner, tlp)?;
        let text = serde_json::to_string(&doc.json).map_err(|e| ServiceError::Internal(e.to_string()))?;
        let now = to_micros(self.now());
        let mut tx = self.store.begin().await?;
        let existing = tx.advisory_find(&s.publisher_namespace, &s.tracking_id).await?;
        let (rec, outcome) = match existing {
            Some(old) => {
                // A newer version of another publisher's advisory may be brought in by any member
                // who can read the current one (ownership stays); advisories written here change
                // only through their owner.
                if old.authored {
                    decide(ctx, Access::Write, &old)?;
                } else if !visible(ctx, &old) {
                    return Err(ServiceError::Conflict {
                        field: "/document/tracking/id".into(),
                        reason: "this advisory is already stored on this node and not shared with you".into(),
                    });
                }
                let old_doc: Value = serde_json::from_str(&old.document).unwrap_or(Value::Null);
                if old.version == s.version {
                    if old_doc == doc.json {
                        drop(tx);
                        return Ok(ImportResult { outcome: "unchanged".into(), advisory: self.advisory_view(&old).await? });
                    }
                    return Err(ServiceError::Conflict {
                        field: "/document/tracking/version".into(),
                        reason: format!("version {} of {} is already stored with other content; a change needs a new version", s.version, s.tracking_id),
                    });
                }
                let newer = atalaya_csaf::version::Version::parse(&s.version)
                    .zip(atalaya_csaf::version::Version::parse(&old.version))
                    .map(|(a, b)| a.precedence(&b) == std::cmp::Ordering::Greater)
                    .unwrap_or(false);
                if !newer {
                    return Err(ServiceError::Conflict {
                        field: "/document/tracking/version".into(),
                        reason: format!("version {} is not newer than the stored version {}", s.version, old.version),
                    });
                }
                let rec = AdvisoryRecord {
                    publisher_name: s.publisher_name.clone(),
                    category: s.category.clone(),
                    title: s.title.clone(),
                    lang: s.lang.clone(),
                    version: s.version.clone(),
                    status: s.status.clone(),
                    initial_release: s.initial_release_date.clone(),
                    current_release: s.current_release_date.clone(),
                    tlp: tlp.label().into(),
                    author_input: None,
                    authored: false,
                    document: text,
                    updated_at: now,
                    ..old
                };
                tx.advisory_put(&rec, &index_of(s), false).await?;
                (rec, "updated")
            }
            None => {
                let rec = AdvisoryRecord {
                    id: Uuid::new_v4(),
                    publisher_namespace: s.publisher_namespace.clone(),
                    tracking_id: s.tracking_id.clone(),
                    publisher_name: s.publisher_name.clone(),
                    category: s.category.clone(),
                    title: s.title.clone(),
                    lang: s.lang.clone(),
                    version: s.version.clone(),
                    status: s.status.clone(),
                    initial_release: s.initial_release_date.clone(),
                    current_release: s.current_release_date.clone(),
                    tlp: tlp.label().into(),
                    owner_org: owner,
                    created_by: ctx.subject.actor(),
                    created_user: user,
                    authored: false,
                    author_input: None,
                    document: text,
                    created_at: now,
                    updated_at: now,
                };
                tx.advisory_put(&rec, &index_of(s), true).await?;
                (rec, "created")
            }
        };
        tx.audit_append(
            &audit_entry(
                ctx,
                &format!("advisory.import.{outcome}"),
                "advisory",
                Some(rec.id.to_string()),
                serde_json::json!({"tracking_id": rec.tracking_id, "version": rec.version, "tlp": rec.tlp}),
            ),
            self.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(ImportResult { outcome: outcome.into(), advisory: self.advisory_view(&rec).await? })
    }

    async fn publisher(&self) -> Result<(String, String, String)> {
        let home = self.store.org_home().await?;
        let name = home.as_ref().map(|o| o.body.name.to_string()).unwrap_or_else(|| self.config.node_name.clone());
        let country = self
            .config
            .node_country
            .clone()
            .or_else(|| home.as_ref().and_then(|o| o.body.country.as_ref().map(|c| c.to_string())))
            .unwrap_or_else(|| "XX".into())
            .to_ascii_uppercase();
        let namespace = match self.config.incidents.public_url.clone().filter(|u| !u.trim().is_empty()) {
            Some(u) => u.trim().trim_end_matches('/').to_string(),
            None => match self.store.meta_get("fed.public_url").await?.filter(|u| !u.is_empty()) {
                Some(u) => u,
                None => format!("urn:atalaya:node:{}", self.identity.fingerprint().replace(' ', "").to_ascii_lowercase()),
            },
        };
        Ok((name, namespace, country))
    }

    async fn check_links(&self, input: &AuthorInput) -> Result<Vec<(String, String)>> {
        let mut out = vec![];
        let mut errs = vec![];
        for (i, id) in input.incidents.iter().enumerate() {
            match Uuid::parse_str(id.trim()) {
                Ok(u) if self.store.incident_get(u).await?.is_some() => out.push(("incident".to_string(), u.to_string())),
                Ok(_) => errs.push(FieldError::new(format!("/incidents/{i}"), "no such incident case on this node")),
                Err(_) => errs.push(FieldError::new(format!("/incidents/{i}"), "an incident id is a UUID")),
            }
        }
        for (i, id) in input.indicators.iter().enumerate() {
            let id = id.trim();
            if !id.starts_with("indicator--") || Uuid::parse_str(&id["indicator--".len()..]).is_err() {
                errs.push(FieldError::new(format!("/indicators/{i}"), "a STIX indicator id (indicator--<uuid>)"));
            } else if self.store.stix_versions(id).await?.is_empty() {
                errs.push(FieldError::new(format!("/indicators/{i}"), "no such indicator on this node"));
            } else {
                out.push(("indicator".to_string(), id.to_string()));
            }
        }
        if errs.is_empty() {
            Ok(out)
        } else {
            Err(ServiceError::Invalid(ValidationErrors(errs)))
        }
    }

    /// Writes a new `csaf_security_advisory`: publisher = this node's home organisation,
    /// tracking id `ATALAYA-<COUNTRY>-<YEAR>-<NNNN>`, version 1.
    pub async fn advisory_author(&self, ctx: &Ctx, input: AuthorInput) -> Result<Advisory> {
        let (owner, user) = self.advisory_owner(ctx).await?;
        self.may_create(ctx, owner, input.tlp)?;
        let links = self.check_links(&input).await?;
        let (name, namespace, country) = self.publisher().await?;
        let now = self.now();
        let prefix = format!("ATALAYA-{country}-{}", now.year());
        // Build once with a placeholder id so bad input is refused before a number is taken.
        let probe = AuthorContext {
            tracking_id: format!("{prefix}-0000"),
            publisher_name: name.clone(),
            publisher_namespace: namespace.clone(),
            now,
            generator_version: env!("CARGO_PKG_VERSION").into(),
        };
        atalaya_csaf::author::build(&input, &probe, None, None).map_err(issues_error)?;
        let mut tx = self.store.begin().await?;
        let n = tx.advisory_next_seq(&prefix).await?;
        let cx = AuthorContext { tracking_id: format!("{prefix}-{n:04}"), ..probe };
        let doc = atalaya_csaf::author::build(&input, &cx, None, None).map_err(issues_error)?;
        let s = atalaya_csaf::summarize(&doc);
        let rec = AdvisoryRecord {
            id: Uuid::new_v4(),
            publisher_namespace: namespace,
            tracking_id: cx.tracking_id.clone(),
            publisher_name: name,
            category: s.category.clone(),
            title: s.title.clone(),
            lang: s.lang.clone(),
            version: s.version.clone(),
            status: s.status.clone(),
            initial_release: s.initial_release_date.clone(),
            current_release: s.current_release_date.clone(),
            tlp: input.tlp.label().into(),
            owner_org: owner,
            created_by: ctx.subject.actor(),
            created_user: user,
            authored: true,
            author_input: Some(serde_json::to_string(&input).map_err(|e| ServiceError::Internal(e.to_string()))?),
            document: serde_json::to_string(&doc).map_err(|e| ServiceError::Internal(e.to_string()))?,
            created_at: to_micros(now),
            updated_at: to_micros(now),
        };
        tx.advisory_put(&rec, &index_of(&s), true).await?;
        for (k, t) in &links {
            tx.advisory_link(rec.id, k, t).await?;
        }
        tx.audit_append(
            &audit_entry(ctx, "advisory.author", "advisory", Some(rec.id.to_string()), serde_json::json!({"tracking_id": rec.tracking_id, "tlp": rec.tlp})),
            now,
        )
        .await?;
        tx.commit().await?;
        self.advisory_view(&rec).await
    }

    /// A new revision of an advisory written on this node: version + 1 and a revision history entry.
    pub async fn advisory_revise(&self, ctx: &Ctx, id: Uuid, input: RevisionInput) -> Result<Advisory> {
        member(ctx)?;
        let current = self.store.advisory_get(id).await?.filter(|r| visible(ctx, r)).ok_or_else(|| ServiceError::NotFound(format!("advisory {id}")))?;
        decide(ctx, Access::Write, &current)?;
        if !current.authored {
            return Err(ServiceError::Conflict {
                field: "id".into(),
                reason: "this advisory was imported; its publisher issues new versions (import them)".into(),
            });
        }
        let links = self.check_links(&input.advisory).await?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let locked = tx.advisory_get_for_update(id).await?.ok_or_else(|| ServiceError::NotFound(format!("advisory {id}")))?;
        let prev: Value = serde_json::from_str(&locked.document).map_err(|e| ServiceError::Internal(e.to_string()))?;
        let cx = AuthorContext {
            tracking_id: locked.tracking_id.clone(),
            publisher_name: locked.publisher_name.clone(),
            publisher_namespace: locked.publisher_namespace.clone(),
            now,
            generator_version: env!("CARGO_PKG_VERSION").into(),
        };
        let doc = atalaya_csaf::author::build(&input.advisory, &cx, Some(&prev), Some(&input.revision_summary)).map_err(issues_error)?;
        let s = atalaya_csaf::summarize(&doc);
        let rec = AdvisoryRecord {
            title: s.title.clone(),
            lang: s.lang.clone(),
            version: s.version.clone(),
            status: s.status.clone(),
            current_release: s.current_release_date.clone(),
            tlp: input.advisory.tlp.label().into(),
            author_input: Some(serde_json::to_string(&input.advisory).map_err(|e| ServiceError::Internal(e.to_string()))?),
            document: serde_json::to_string(&doc).map_err(|e| ServiceError::Internal(e.to_string()))?,
            updated_at: to_micros(now),
            ..locked
        };
        tx.advisory_put(&rec, &index_of(&s), false).await?;
        for (k, t) in &links {
            tx.advisory_link(rec.id, k, t).await?;
        }
        tx.audit_append(
            &audit_entry(
                ctx,
                "advisory.revise",
                "advisory",
                Some(rec.id.to_string()),
                serde_json::json!({"tracking_id": rec.tracking_id, "version": rec.version, "tlp": rec.tlp, "summary": input.revision_summary}),
            ),
            now,
        )
        .await?;
        tx.commit().await?;
        self.advisory_view(&rec).await
    }

    async fn advisory_visible(&self, ctx: &Ctx, id: Uuid) -> Result<AdvisoryRecord> {
        member(ctx)?;
        let r = self.store.advisory_get(id).await?.ok_or_else(|| ServiceError::NotFound(format!("advisory {id}")))?;
        if !visible(ctx, &r) {
            if matches!(ctx.subject, Subject::Anonymous) {
                return Err(ServiceError::Unauthenticated("authentication required".into()));
            }
            return Err(ServiceError::NotFound(format!("advisory {id}")));
        }
        if must_audit_read(tlp_of(&r)) {
            let mut tx = self.store.begin().await?;
            tx.audit_append(&audit_entry(ctx, "advisory.read", "advisory", Some(id.to_string()), serde_json::json!({"tlp": r.tlp})), self.now()).await?;
            tx.commit().await?;
        }
        Ok(r)
    }

    pub async fn advisory_get(&self, ctx: &Ctx, id: Uuid) -> Result<Advisory> {
        let r = self.advisory_visible(ctx, id).await?;
        self.advisory_view(&r).await
    }

    /// The CSAF document (the current version, or an earlier stored one).
    pub async fn advisory_document(&self, ctx: &Ctx, id: Uuid, version: Option<&str>) -> Result<Value> {
        let r = self.advisory_visible(ctx, id).await?;
        let text = match version {
            None => r.document,
            Some(v) => self.store.advisory_version_document(id, v).await?.ok_or_else(|| ServiceError::NotFound(format!("version {v} of advisory {id}")))?,
        };
        serde_json::from_str(&text).map_err(|e| ServiceError::Internal(format!("stored advisory {id}: {e}")))
    }

    /// Advisories the caller may read, newest release first.
    pub async fn advisory_list(&self, ctx: &Ctx, q: &AdvisoryQuery) -> Result<Vec<Advisory>> {
        member(ctx)?;
        if let Some(c) = &q.cve {
            if !c.trim().to_uppercase().starts_with("CVE-") {
                return Err(ServiceError::invalid("cve", "a CVE id (CVE-YYYY-NNNN)"));
            }
        }
        let tlp = q.tlp.as_deref().map(parse_tlp_filter).transpose()?;
        let f = AdvisoryFilter {
            vendor: q.vendor.clone(),
            product: q.product.clone(),
            cve: q.cve.clone(),
            sector: q.sector.clone(),
            tlp: tlp.map(|t| vec![t.label().to_string()]).unwrap_or_default(),
            text: q.q.clone(),
        };
        let mut out = vec![];
        for r in self.store.advisory_list(&f).await? {
            if visible(ctx, &r) {
                out.push(self.advisory_view(&r).await?);
            }
        }
        Ok(out)
    }

    /// Public (TLP:CLEAR) advisories, for the awareness portal: each one also passes policy as
    /// an anonymous reader.
    pub async fn advisory_public(&self) -> Result<Vec<(Advisory, Value)>> {
        let anon = Ctx::anonymous("public");
        let f = AdvisoryFilter { tlp: vec![Tlp::Clear.label().to_string()], ..Default::default() };
        let mut out = vec![];
        for r in self.store.advisory_list(&f).await? {
            if visible(&anon, &r) && tlp_of(&r) == Tlp::Clear {
                let doc: Value = serde_json::from_str(&r.document).unwrap_or(Value::Null);
                out.push((self.advisory_view(&r).await?, doc));
            }
        }
        Ok(out)
    }
}
