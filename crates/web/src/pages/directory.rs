//! Directory: organisations (as shared with the user), their points of contact with OpenPGP key
//! fingerprints, constituencies and the history of changes.

use crate::layout::{self, render, tlp};
use crate::{Session, WebState};
use atalaya_services::ServiceError;
use axum::extract::{Path, State};
use axum::response::Response;
use maud::html;
use uuid::Uuid;

fn join<T: std::fmt::Display>(v: &[T]) -> String {
    v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", ")
}

fn kind_of<T: serde::Serialize>(k: &T) -> String {
    serde_json::to_value(k).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

pub async fn list(State(st): State<WebState>, s: Session) -> Response {
    let l = &s.l;
    let orgs = match st.services.list_organisations(&s.ctx, None).await {
        Ok(o) => o,
        Err(e) => return crate::error_page(l, Some(&s), &e),
    };
    let body = html! {
        @if orgs.is_empty() { p { (l.t("no-data")) } } @else {
            table #organisations {
                thead { tr {
                    th scope="col" { (l.t("col-name")) }
                    th scope="col" { (l.t("dir-kind")) }
                    th scope="col" { (l.t("dir-country")) }
                    th scope="col" { (l.t("dir-sectors")) }
                    th scope="col" { (l.t("col-tlp")) }
                } }
                tbody {
                    @for o in &orgs {
                        tr {
                            td { a href=(format!("/ui/directory/{}", o.id)) { (o.body.name.to_string()) } @if o.home { " (" (l.t("dir-home")) ")" } }
                            td { (kind_of(&o.body.kind)) }
                            td { (o.body.country.as_ref().map(|c| c.to_string()).unwrap_or_default()) }
                            td { (join(&o.body.sectors)) }
                            td { (tlp(o.body.tlp)) }
                        }
                    }
                }
            }
        }
    };
    render(layout::page(l, Some(&s), &l.t("dir-title"), "directory", body))
}

pub async fn show(State(st): State<WebState>, s: Session, Path(id): Path<String>) -> Response {
    let l = &s.l;
    let Ok(id) = Uuid::parse_str(&id) else { return crate::error_page(l, Some(&s), &ServiceError::NotFound(id)) };
    let org = match st.services.get_organisation(&s.ctx, id).await {
        Ok(o) => o,
        Err(e) => return crate::error_page(l, Some(&s), &e),
    };
    let contacts = st.services.list_contacts(&s.ctx, id).await.unwrap_or_default();
    let history = st.services.organisation_history(&s.ctx, id).await.unwrap_or_default();
    let b = &org.body;
    let c = &b.constituency;
    let body = html! {
        p { (tlp(b.tlp)) " " (kind_of(&b.kind)) " · " (b.country.as_ref().map(|c| c.to_string()).unwrap_or_default()) }
        dl {
            dt { (l.t("dir-timezone")) } dd { (b.time_zone.to_string()) }
            @if let Some(h) = &b.operating_hours { dt { (l.t("dir-hours")) } dd { (h.to_string()) } }
            @if !b.sectors.is_empty() { dt { (l.t("dir-sectors")) } dd { (join(&b.sectors)) } }
            dt { (l.t("dir-version")) } dd { (org.version) " · " (l.when(&org.updated_at)) }
        }
        section aria-labelledby="const-h" {
            h2 id="const-h" { (l.t("dir-constituency")) }
            dl #constituency {
                dt { (l.t("dir-prefixes")) } dd { (join(&c.prefixes)) }
                dt { (l.t("dir-asns")) } dd { (c.asns.iter().map(|a| format!("AS{}", a.0)).collect::<Vec<_>>().join(", ")) }
                dt { (l.t("dir-domains")) } dd { (join(&c.domains)) }
                dt { (l.t("dir-sectors")) } dd { (join(&c.sectors)) }
            }
        }
        section aria-labelledby="contacts-h" {
            h2 id="contacts-h" { (l.t("dir-contacts")) }
            @if contacts.is_empty() { p { (l.t("dir-no-contacts")) } } @else {
                table #contacts {
                    thead { tr {
                        th scope="col" { (l.t("col-name")) }
                        th scope="col" { (l.t("dir-roles")) }
                        th scope="col" { (l.t("dir-email")) }
                        th scope="col" { (l.t("dir-phone")) }
                        th scope="col" { (l.t("dir-fingerprint")) }
                        th scope="col" { (l.t("col-tlp")) }
                    } }
                    tbody {
                        @for ct in &contacts {
                            @let cb = &ct.body;
                            tr {
                                td { (cb.name.to_string()) }
                                td { (cb.roles.iter().map(kind_of).collect::<Vec<_>>().join(", ")) }
                                td { @if let Some(e) = &cb.email { a href=(format!("mailto:{e}")) { (e.to_string()) } } }
                                td {
                                    @if let Some(p) = &cb.phone { (p.to_string()) }
                                    @if let Some(p) = &cb.emergency_phone { br; (l.t("dir-emergency-phone")) ": " (p.to_string()) }
                                }
                                td { @if let Some(k) = &cb.pgp_key { code.fpr { (k.fingerprint) } } }
                                td { (tlp(cb.tlp)) }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="hist-h" {
            h2 id="hist-h" { (l.t("dir-history")) }
            table #history {
                thead { tr { th scope="col" { (l.t("col-when")) } th scope="col" { (l.t("col-who")) } th scope="col" { (l.t("col-what")) } th scope="col" { (l.t("dir-version")) } } }
                tbody {
                    @for h in history.iter().rev() {
                        tr { td { (l.when(&h.at)) } td { (h.actor) } td { (h.entity) " " (h.action) } td.num { (h.version) } }
                    }
                }
            }
        }
    };
    render(layout::page(l, Some(&s), &b.name.to_string(), "directory", body))
}
