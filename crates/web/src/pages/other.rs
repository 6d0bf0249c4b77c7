//! Federation peers (node administrators), the audit log (auditors, node administrators) and
//! evidence with its chain of custody (investigators). The services refuse others; the
//! navigation does not offer these pages to them (`crate::nav`).

use crate::layout::{self, render};
use crate::{nav, Session, WebState};
use atalaya_services::ServiceError;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use fluent_bundle::FluentValue;
use maud::html;
use uuid::Uuid;

pub async fn peers(State(st): State<WebState>, s: Session) -> Response {
    let l = &s.l;
    if !nav::may_see_peers(&s.ctx.subject) {
        return crate::error_page(l, Some(&s), &ServiceError::Forbidden("peers".into()));
    }
    let peers = match st.services.peer_list(&s.ctx).await {
        Ok(p) => p,
        Err(e) => return crate::error_page(l, Some(&s), &e),
    };
    let body = html! {
        @if peers.is_empty() { p { (l.t("peers-none")) } } @else {
            table #peers {
                thead { tr {
                    th scope="col" { (l.t("col-name")) }
                    th scope="col" { (l.t("dir-country")) }
                    th scope="col" { (l.t("peers-state")) }
                    th scope="col" { (l.t("peers-lag")) }
                    th scope="col" { (l.t("peers-last-contact")) }
                    th scope="col" { (l.t("peers-last-error")) }
                } }
                tbody {
                    @for p in &peers {
                        tr {
                            td { (p.name) @if p.relay { " (" (l.t("peers-relay")) ")" } br; small { code { (p.url) } } br; small.fpr { (p.fingerprint) } }
                            td { (p.country.clone().unwrap_or_default()) }
                            td { span class=(format!("peer peer-{}", p.state)) { (p.state) } }
                            td.num { (l.int(p.lag.max(0) as u64)) }
                            td { (p.last_contact.as_deref().map(|t| l.when(t)).unwrap_or_else(|| "–".into())) }
                            td { @if let Some(e) = &p.last_error { span.warn { (e) } @if let Some(at) = &p.last_error_at { br; small { (l.when(at)) } } } @else { "–" } }
                        }
                    }
                }
            }
        }
    };
    render(layout::page(l, Some(&s), &l.t("peers-title"), "peers", body))
}

#[derive(serde::Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    after: Option<i64>,
}

const AUDIT_PAGE: i64 = 100;

pub async fn audit(State(st): State<WebState>, s: Session, Query(q): Query<AuditQuery>) -> Response {
    let l = &s.l;
    let verification = match st.services.audit_verify(&s.ctx).await {
        Ok(v) => v,
        Err(e) => return crate::error_page(l, Some(&s), &e),
    };
    // Newest first: start AUDIT_PAGE entries before the end, or at `after`.
    let after = q.after.unwrap_or((verification.entries - AUDIT_PAGE).max(0)).max(0);
    let entries = match st.services.audit_list(&s.ctx, after, AUDIT_PAGE).await {
        Ok(e) => e,
        Err(e) => return crate::error_page(l, Some(&s), &e),
    };
    let body = html! {
        @if verification.ok {
            p.ok #chain { (l.count("audit-chain-ok", verification.entries.max(0) as u64)) }
        } @else {
            p.error #chain role="alert" { (l.tf("audit-chain-bad", &[("seq", FluentValue::from(verification.first_bad_seq.unwrap_or(0).to_string())), ("problem", FluentValue::from(verification.problem.clone().unwrap_or_default()))])) }
        }
        nav.pager aria-label=(l.t("audit-title")) {
            @if after > 0 { a href=(format!("/ui/audit?after={}", (after - AUDIT_PAGE).max(0))) { (l.t("audit-older")) } " " }
            @if q.after.is_some() { a href="/ui/audit" { (l.t("audit-newest")) } }
        }
        table #audit {
            thead { tr {
                th scope="col" { "#" }
                th scope="col" { (l.t("col-when")) }
                th scope="col" { (l.t("col-who")) }
                th scope="col" { (l.t("col-what")) }
                th scope="col" { (l.t("col-object")) }
                th scope="col" { (l.t("col-source")) }
            } }
            tbody {
                @for e in entries.iter().rev() {
                    tr {
                        td.num { (e.seq) }
                        td { (l.when(&e.at)) }
                        td { (e.actor) }
                        td { code { (e.action) } }
                        td { (e.object_kind) " " code { (e.object_id.clone().unwrap_or_default()) } }
                        td { (e.source) }
                    }
                }
            }
        }
    };
    render(layout::page(l, Some(&s), &l.t("audit-title"), "audit", body))
}

pub async fn evidence_list(State(st): State<WebState>, s: Session) -> Response {
    let l = &s.l;
    let items = match st.services.evidence_list(&s.ctx, None).await {
        Ok(v) => v,
        Err(e) => return crate::error_page(l, Some(&s), &e),
    };
    let body = html! {
        @if items.is_empty() { p { (l.t("ev-none")) } } @else {
            table #evidence {
                thead { tr {
                    th scope="col" { (l.t("ev-description")) }
                    th scope="col" { (l.t("ev-case")) }
                    th scope="col" { (l.t("ev-custodian")) }
                    th scope="col" { (l.t("ev-size")) }
                    th scope="col" { "SHA-256" }
                    th scope="col" { (l.t("col-added")) }
                } }
                tbody {
                    @for e in &items {
                        tr {
                            td { a href=(format!("/ui/evidence/{}", e.id)) { (e.description) } @if e.restricted { br; small.warn { (l.t("ev-restricted")) } } }
                            td { (e.case_ref.clone().unwrap_or_default()) }
                            td { (e.custodian) }
                            td.num { (l.int(e.size.max(0) as u64)) }
                            td { code.fpr { (e.sha256) } }
                            td { (l.when(&e.created_at)) }
                        }
                    }
                }
            }
        }
    };
    render(layout::page(l, Some(&s), &l.t("ev-title"), "evidence", body))
}

pub async fn evidence_show(State(st): State<WebState>, s: Session, Path(id): Path<String>) -> Response {
    let l = &s.l;
    let Ok(id) = Uuid::parse_str(&id) else { return crate::error_page(l, Some(&s), &ServiceError::NotFound(id)) };
    let r = match st.services.evidence_report(&s.ctx, id).await {
        Ok(r) => r,
        Err(e) => return crate::error_page(l, Some(&s), &e),
    };
    let e = &r.evidence;
    let body = html! {
        @if r.intact { p.ok #intact { (l.t("ev-intact")) } } @else { p.error #intact role="alert" { (l.t("ev-not-intact")) } }
        dl {
            dt { (l.t("ev-case")) } dd { (e.case_ref.clone().unwrap_or_default()) }
            dt { (l.t("ev-custodian")) } dd { (e.custodian) }
            dt { (l.t("ev-size")) } dd { (l.int(e.size.max(0) as u64)) }
            dt { "SHA-256" } dd { code.fpr { (e.sha256) } }
            @if let Some(f) = &e.filename { dt { (l.t("col-name")) } dd { (f) } }
            @if e.restricted { dt { (l.t("col-tlp")) } dd { (l.t("ev-restricted")) } }
        }
        section aria-labelledby="custody-h" {
            h2 id="custody-h" { (l.t("ev-custody")) }
            ol #custody {
                @for c in &r.chain {
                    li {
                        time datetime=(c.at) { (l.when(&c.at)) } " — " strong { (c.action) } ": " (c.from_party) " → " (c.to_party)
                        @if !c.reason.is_empty() { " (" (c.reason) ")" }
                        " · " (c.recorded_by) " · "
                        @if c.hash_ok { span.ok { (l.t("ev-hash-ok")) } } @else { span.error { (l.t("ev-hash-bad")) } }
                    }
                }
            }
        }
    };
    render(layout::page(l, Some(&s), &e.description, "evidence", body))
}
