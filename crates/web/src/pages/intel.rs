//! Intelligence: search (full text, and exact value / network / domain correlation), the view
//! of one object (JSON, TLP, correlations, sightings, warninglist hits), and bundle import.

use super::urlencode;
use crate::layout::{self, csrf, render, tlp};
use crate::{nav, Session, WebState};
use atalaya_services::intel::{ImportOptions, ImportReport, ObjectView};
use atalaya_services::ServiceError;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use fluent_bundle::FluentValue;
use maud::{html, Markup};

#[derive(serde::Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

fn object_name(v: &ObjectView) -> String {
    v.object.get("name").and_then(|n| n.as_str()).map(str::to_string).or_else(|| v.object.get("value").and_then(|n| n.as_str()).map(str::to_string)).unwrap_or_default()
}

fn objects_table(l: &crate::i18n::L, id: &str, rows: &[(&ObjectView, Vec<String>)]) -> Markup {
    html! {
        table id=(id) {
            thead { tr {
                th scope="col" { (l.t("col-type")) }
                th scope="col" { (l.t("col-name")) }
                th scope="col" { (l.t("col-tlp")) }
                th scope="col" { (l.t("col-added")) }
                th scope="col" { (l.t("intel-warninglist-hits")) }
            } }
            tbody {
                @for (v, lists) in rows {
                    tr {
                        td { (v.object_type) @if v.revoked { " " span.revoked { (l.t("revoked")) } } }
                        td { a href=(format!("/ui/intel/object?id={}", urlencode(&v.id))) { @let n = object_name(v); @if n.is_empty() { code { (v.id) } } @else { (n) } } }
                        td { (tlp(v.tlp)) }
                        td { (l.when(&v.date_added)) }
                        td { (lists.join(", ")) }
                    }
                }
            }
        }
    }
}

pub async fn search(State(st): State<WebState>, s: Session, Query(q): Query<SearchQuery>) -> Response {
    let l = &s.l;
    let query = q.q.trim().to_string();
    // Without a query: only the form. (Listing objects would scan the store and audit every
    // TLP:AMBER read on each visit; the search is the way in.)
    let body = if query.is_empty() {
        html! { (search_form(l, "")) }
    } else {
        let hits = match st.services.search(&s.ctx, &query, 200).await {
            Ok(h) => h,
            Err(ServiceError::Invalid(_)) => vec![],
            Err(e) => return crate::error_page(l, Some(&s), &e),
        };
        // A single token may be a value: exact, CIDR and domain correlation as well.
        let corr = if !query.contains(char::is_whitespace) { st.services.correlate_value(&s.ctx, None, &query, 100).await.ok() } else { None };
        let rows: Vec<(&ObjectView, Vec<String>)> = hits.iter().map(|h| (&h.object, h.warninglists.iter().map(|w| w.list.clone()).collect())).collect();
        html! {
            (search_form(l, &query))
            @if let Some(c) = &corr {
                @if !c.matches.is_empty() || !c.warninglists.is_empty() || !c.frequent.is_empty() {
                    section aria-labelledby="corr-h" {
                        h2 id="corr-h" { (l.t("intel-value-matches")) " — " code { (c.value) } " (" (c.kind) ")" }
                        (correlation_list(l, &c.matches))
                        @for w in &c.warninglists { p.warn { (l.t("intel-warninglist-hits")) ": " (w.list) " (" (w.matched) ")" } }
                        @for f in &c.frequent { p.muted { (l.tf("intel-frequent", &[("value", FluentValue::from(f.value.clone())), ("n", FluentValue::from(l.int(f.count)))])) } }
                    }
                }
            }
            h2 { (l.count("intel-results", rows.len() as u64)) }
            @if !rows.is_empty() { (objects_table(l, "results", &rows)) }
        }
    };
    render(layout::page(l, Some(&s), &l.t("intel-title"), "intel", body))
}

fn search_form(l: &crate::i18n::L, q: &str) -> Markup {
    html! {
        form.search method="get" action="/ui/intel" role="search" {
            label for="q" { (l.t("intel-search-label")) }
            input id="q" name="q" type="search" value=(q);
            button type="submit" { (l.t("intel-search-submit")) }
        }
    }
}

fn correlation_list(l: &crate::i18n::L, matches: &[atalaya_services::correlate::CorrelationMatch]) -> Markup {
    html! {
        @if !matches.is_empty() {
            table.correlations {
                thead { tr {
                    th scope="col" { (l.t("col-object")) }
                    th scope="col" { (l.t("col-value")) }
                    th scope="col" { (l.t("col-organisation")) }
                    th scope="col" { (l.t("col-tlp")) }
                } }
                tbody {
                    @for m in matches {
                        @let org = serde_json::to_value(&m.organisation).unwrap_or_default();
                        tr {
                            td { a href=(format!("/ui/intel/object?id={}", urlencode(&m.id))) { (m.name.clone().unwrap_or_else(|| m.id.clone())) } " (" (m.object_type) ")" }
                            td { code { (m.matched_value) } }
                            td { (org.get("name").and_then(|v| v.as_str()).unwrap_or("")) " " (org.get("country").and_then(|v| v.as_str()).unwrap_or("")) }
                            td { (tlp(m.tlp)) }
                        }
                    }
                }
            }
        }
    }
}

#[derive(serde::Deserialize)]
pub struct ObjectQuery {
    id: String,
}

pub async fn object(State(st): State<WebState>, s: Session, Query(q): Query<ObjectQuery>) -> Response {
    let l = &s.l;
    let versions = match st.services.get_object(&s.ctx, &q.id).await {
        Ok(v) => v,
        Err(e) => return crate::error_page(l, Some(&s), &e),
    };
    let Some(latest) = versions.iter().max_by(|a, b| a.version.cmp(&b.version).then(a.seq.cmp(&b.seq))) else {
        return crate::error_page(l, Some(&s), &ServiceError::NotFound(q.id.clone()));
    };
    let corr = st.services.correlate_object(&s.ctx, &q.id, 50).await.unwrap_or_default();
    let sightings = st.services.sightings(&s.ctx, &q.id).await.ok();
    let values = atalaya_services::intel::object_values(&latest.object);
    let wl = st.services.warninglist_hits(&values).await.unwrap_or_default();
    let pretty = serde_json::to_string_pretty(&latest.object).unwrap_or_default();
    let title = { let n = object_name(latest); if n.is_empty() { latest.id.clone() } else { n } };
    let body = html! {
        p { (tlp(latest.tlp)) " " strong { (latest.object_type) } " · " code { (latest.id) } @if latest.revoked { " " span.revoked { (l.t("revoked")) } } }
        p.muted { (l.count("intel-versions", versions.len() as u64)) " · " (l.t("col-added")) ": " (l.when(&latest.date_added)) }
        @if !latest.sectors.is_empty() { p { (l.t("dir-sectors")) ": " (latest.sectors.join(", ")) } }
        section aria-labelledby="wl-h" {
            h2 id="wl-h" { (l.t("intel-warninglist-hits")) }
            @if wl.is_empty() { p { "–" } } @else {
                ul #warninglist-hits { @for w in &wl { li { code { (w.value) } " — " (w.list) } } }
            }
        }
        section aria-labelledby="corr-h" {
            h2 id="corr-h" { (l.t("intel-correlations")) }
            @let any = corr.iter().any(|c| !c.matches.is_empty());
            @if !any { p { "–" } }
            @for c in &corr { @if !c.matches.is_empty() { h3 { code { (c.value) } } (correlation_list(l, &c.matches)) } }
        }
        @if let Some(si) = &sightings {
            section aria-labelledby="sight-h" {
                h2 id="sight-h" { (l.t("intel-sightings")) }
                p { (l.count("intel-sightings-total", si.total)) }
                @if !si.by_state.is_empty() {
                    table { thead { tr { th scope="col" { (l.t("col-state")) } th scope="col" { (l.t("intel-sightings")) } } }
                        tbody { @for (k, n) in &si.by_state { tr { th scope="row" { (k) } td.num { (l.int(*n)) } } } } }
                }
                dl {
                    @if let Some(f) = &si.first_seen { dt { (l.t("intel-first-seen")) } dd { (l.when(f)) } }
                    @if let Some(f) = &si.last_seen { dt { (l.t("intel-last-seen")) } dd { (l.when(f)) } }
                    @if let Some(d) = si.decay_score { dt { (l.t("intel-decay")) } dd { (l.dec(d, 1)) " / 100" } }
                }
            }
        }
        section aria-labelledby="json-h" {
            h2 id="json-h" { (l.t("intel-object")) }
            pre.json tabindex="0" { code { (pretty) } }
        }
    };
    render(layout::page(l, Some(&s), &title, "intel", body))
}

pub async fn import_form(State(_st): State<WebState>, s: Session) -> Response {
    let l = &s.l;
    if !nav::may_import(&s.ctx.subject) {
        return crate::error_page(l, Some(&s), &ServiceError::Forbidden("import".into()));
    }
    render(layout::page(l, Some(&s), &l.t("intel-import-title"), "import", import_form_markup(&s)))
}

fn import_form_markup(s: &Session) -> Markup {
    let l = &s.l;
    html! {
        form #import method="post" action="/ui/intel/import" enctype="multipart/form-data" {
            (csrf(s))
            p.muted { (l.t("intel-import-help")) }
            p {
                label for="file" { (l.t("intel-import-file")) }
                input id="file" name="file" type="file" accept=".json,.jsonl,application/json" required;
            }
            p { button type="submit" { (l.t("intel-import-submit")) } }
            div #import-progress hidden {
                label for="upload-bar" { (l.t("intel-uploading")) }
                progress id="upload-bar" max="100" value="0" {}
            }
        }
    }
}

/// Objects are imported in batches (each batch one transaction, as in `atalaya import`).
const BATCH: usize = 5000;

pub async fn import_submit(State(st): State<WebState>, s: Session, mut mp: Multipart) -> Response {
    let l = &s.l;
    let mut csrf_given = String::new();
    let mut file: Option<axum::body::Bytes> = None;
    loop {
        match mp.next_field().await {
            Ok(Some(f)) => {
                let name = f.name().unwrap_or("").to_string();
                match name.as_str() {
                    "csrf" => csrf_given = f.text().await.unwrap_or_default(),
                    "file" if st.csrf_ok(&s.token, &csrf_given) => match f.bytes().await {
                        Ok(b) => file = Some(b),
                        Err(e) => return bad_request(&s, &e.body_text()),
                    },
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(e) => return bad_request(&s, &e.body_text()),
        }
    }
    if !st.csrf_ok(&s.token, &csrf_given) {
        return super::csrf_refused(l, Some(&s));
    }
    let Some(bytes) = file else { return bad_request(&s, &l.t("intel-import-empty")) };
    let mut values = Vec::new();
    for item in atalaya_stix::object::ObjectStream::new(&bytes[..]) {
        match item {
            Ok(v) => values.push(v),
            Err(e) => return bad_request(&s, &l.tf("intel-import-malformed", &[("reason", FluentValue::from(e.to_string()))])),
        }
    }
    if values.is_empty() {
        return bad_request(&s, &l.t("intel-import-empty"));
    }
    let opts = ImportOptions::default();
    let mut report: Option<ImportReport> = None;
    let mut first = 0u64;
    while !values.is_empty() {
        let rest = values.split_off(values.len().min(BATCH));
        let n = values.len() as u64;
        match st.services.import_batch(&s.ctx, std::mem::replace(&mut values, rest), first, &opts).await {
            Ok(r) => match report.as_mut() {
                Some(acc) => acc.merge(r),
                None => report = Some(r),
            },
            Err(e) => return crate::error_page(l, Some(&s), &e),
        }
        first += n;
    }
    let Some(r) = report else { return bad_request(&s, &l.t("intel-import-empty")) };
    let body = html! {
        section #import-report aria-labelledby="rep-h" {
            h2 id="rep-h" { (l.t("intel-import-report")) }
            dl.figures {
                dt { (l.t("intel-stored")) } dd #stored { (l.int(r.stored)) }
                dt { (l.t("intel-updated")) } dd #updated { (l.int(r.updated)) }
                dt { (l.t("intel-skipped")) } dd #skipped { (l.int(r.skipped)) }
                dt { (l.t("intel-rejected")) } dd #rejected { (l.int(r.rejected)) }
                dt { (l.t("intel-warninglist-hits")) } dd { (l.int(r.warninglist_hit_count)) }
            }
            @if !r.rejections.is_empty() {
                h3 { (l.t("intel-rejected")) }
                table #rejections {
                    thead { tr { th scope="col" { "#" } th scope="col" { (l.t("col-id")) } th scope="col" { (l.t("col-field")) } th scope="col" { (l.t("col-reason")) } } }
                    tbody { @for x in r.rejections.iter().take(200) { tr { td.num { (x.index) } td { code { (x.id.clone().unwrap_or_default()) } } td { code { (x.field) } } td { (x.reason) } } } }
                }
            }
            @if !r.warninglist_hits.is_empty() {
                h3 { (l.t("intel-warninglist-hits")) }
                ul { @for w in r.warninglist_hits.iter().take(200) { li { a href=(format!("/ui/intel/object?id={}", urlencode(&w.id))) { code { (w.value) } } " — " (w.list) } } }
            }
            @if !r.correlations.is_empty() {
                h3 { (l.t("intel-correlations")) }
                ul { @for c in r.correlations.iter().take(200) { li { a href=(format!("/ui/intel/object?id={}", urlencode(&c.id))) { code { (c.value) } } " — " (c.shared_with.len()) } } }
            }
            @if !r.warnings.is_empty() {
                details { summary { (l.t("intel-warnings")) " (" (r.warnings.len()) ")" } ul { @for w in r.warnings.iter().take(200) { li { (w) } } } }
            }
        }
        (import_form_markup(&s))
    };
    render(layout::page(l, Some(&s), &l.t("intel-import-report"), "import", body))
}

fn bad_request(s: &Session, msg: &str) -> Response {
    let l = &s.l;
    let body = html! { p.error role="alert" { (msg) } (import_form_markup(s)) };
    (StatusCode::BAD_REQUEST, render(layout::page(l, Some(s), &l.t("intel-import-title"), "import", body))).into_response()
}
