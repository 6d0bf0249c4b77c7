//! Incident cases: list, case view (participating states with status and deadlines, timeline,
//! tasks, observables, routing with its reasoning), open a case, route it, notify, change the
//! own participation status, add to the timeline.

use super::{check_csrf, field, see_other, Fields};
use crate::layout::{self, csrf, notice, render, tlp};
use crate::{nav, Session, WebState};
use atalaya_model::incident::{rsit_classes, Incident, NewIncident, NewTimelineEntry, NotifyRequest, ParticipationStatus, StatusUpdate};
use atalaya_model::{FieldError, Tlp, ValidationErrors};
use atalaya_services::incidents::IncidentFilter;
use atalaya_services::routing::RoutingProposal;
use atalaya_services::ServiceError;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Form;
use fluent_bundle::FluentValue;
use maud::{html, Markup};
use uuid::Uuid;

fn status_label(l: &crate::i18n::L, s: ParticipationStatus) -> String {
    l.t(&format!("status-{}", s.as_str()))
}

fn severity_label(l: &crate::i18n::L, v: u8) -> String {
    l.t(&format!("severity-{}", v.min(4)))
}

#[derive(serde::Deserialize, Default)]
pub struct ListQuery {
    /// Only cases concerning this state (ISO code): affected, reporting or participating.
    #[serde(default)]
    state: Option<String>,
}

pub async fn list(State(st): State<WebState>, s: Session, Query(q): Query<ListQuery>) -> Response {
    let l = &s.l;
    let state = match q.state.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(|v| v.to_uppercase().parse::<atalaya_model::CountryCode>()) {
        None => None,
        Some(Ok(c)) => Some(c),
        Some(Err(e)) => return crate::error_page(l, Some(&s), &ServiceError::invalid("state", e.to_string())),
    };
    let filter = IncidentFilter { exercise: None, state: state.clone() };
    let cases = match st.services.list_incidents(&s.ctx, &filter).await {
        Ok(c) => c,
        Err(e) => return crate::error_page(l, Some(&s), &e),
    };
    let body = html! {
        @if let Some(c) = &state {
            p.notice { (l.t("col-state")) ": " strong { (c.to_string()) } " · " a href="/ui/incidents" { (l.t("inc-all")) } }
        }
        @if nav::may_open_case(&s.ctx.subject) {
            p { a.button href="/ui/incidents/new" { (l.t("inc-new")) } }
        }
        @if cases.is_empty() { p { (l.t("inc-none")) } } @else {
            table #cases {
                thead { tr {
                    th scope="col" { (l.t("col-title")) }
                    th scope="col" { (l.t("col-severity")) }
                    th scope="col" { (l.t("col-tlp")) }
                    th scope="col" { (l.t("col-phase")) }
                    th scope="col" { (l.t("col-state")) }
                    th scope="col" { (l.t("inc-participants")) }
                    th scope="col" { (l.t("col-added")) }
                } }
                tbody {
                    @for c in cases.iter().rev() {
                        tr {
                            td {
                                @if c.exercise { span.exercise { (l.t("inc-exercise")) } " " }
                                a href=(format!("/ui/incidents/{}", c.id)) { (c.title) }
                                br; small.muted { (c.rsit.class) " / " (c.rsit.r#type) }
                            }
                            td { (severity_label(l, c.severity.value())) }
                            td { (tlp(c.tlp)) }
                            td { (l.t(&format!("phase-{}", c.phase.as_str()))) }
                            td { (c.affected_states.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(", ")) }
                            td.num { (l.count("inc-participants-count", c.participants as u64)) }
                            td { (l.when(&c.created_at)) }
                        }
                    }
                }
            }
        }
    };
    render(layout::page(l, Some(&s), &l.t("inc-title"), "incidents", body))
}

fn new_form_markup(s: &Session, values: &Fields, errors: &[FieldError]) -> Markup {
    let l = &s.l;
    let v = |k: &str| field(values, k).unwrap_or("").to_string();
    let err = |k: &str| errors.iter().filter(|e| e.field == k || e.field.starts_with(&format!("{k}[")) || e.field.starts_with(&format!("{k}."))).map(|e| format!("{}: {}", e.field, e.reason)).collect::<Vec<_>>();
    let field_err = |k: &str| -> Markup {
        let es = err(k);
        html! { @if !es.is_empty() { span.field-error id=(format!("{k}-error")) { (es.join("; ")) } } }
    };
    let described = |k: &str| (!err(k).is_empty()).then(|| format!("{k}-error"));
    let rsit_sel = v("rsit");
    let sev_sel = if v("severity").is_empty() { "2".to_string() } else { v("severity") };
    let tlp_sel = if v("tlp").is_empty() { "TLP:AMBER".to_string() } else { v("tlp") };
    html! {
        @if !errors.is_empty() {
            div.error role="alert" {
                ul { @for e in errors { li { (l.tf("error-invalid", &[("field", FluentValue::from(e.field.clone())), ("reason", FluentValue::from(e.reason.clone()))])) } } }
            }
        }
        form #new-case method="post" action="/ui/incidents/new" {
            (csrf(s))
            p {
                label for="title" { (l.t("inc-field-title")) }
                input id="title" name="title" type="text" required value=(v("title")) aria-describedby=[described("title")];
                (field_err("title"))
            }
            p {
                label for="description" { (l.t("inc-field-description")) }
                textarea id="description" name="description" rows="4" { (v("description")) }
            }
            p {
                label for="rsit" { (l.t("inc-field-class")) " / " (l.t("inc-field-type")) }
                select id="rsit" name="rsit" required aria-describedby=[described("rsit")] {
                    @for (class, types) in rsit_classes() {
                        optgroup label=(class) {
                            @for t in types {
                                @let val = format!("{class}={t}");
                                option value=(val) selected[val == rsit_sel] { (class) " / " (t) }
                            }
                        }
                    }
                }
                (field_err("rsit"))
            }
            p {
                label for="severity" { (l.t("inc-field-severity")) }
                select id="severity" name="severity" {
                    @for i in 0..=4u8 { option value=(i) selected[i.to_string() == sev_sel] { (severity_label(l, i)) } }
                }
            }
            p {
                label for="tlp" { (l.t("inc-field-tlp")) }
                select id="tlp" name="tlp" {
                    @for t in Tlp::ALL { option value=(t.label()) selected[t.label() == tlp_sel] { (t.label()) } }
                }
            }
            p {
                label for="affected_states" { (l.t("inc-field-states")) }
                input id="affected_states" name="affected_states" type="text" value=(v("affected_states")) aria-describedby=[described("affected_states")];
                (field_err("affected_states"))
            }
            p {
                label for="sectors" { (l.t("inc-field-sectors")) }
                input id="sectors" name="sectors" type="text" value=(v("sectors")) aria-describedby=[described("sectors")];
                (field_err("sectors"))
            }
            p {
                label for="observables" { (l.t("inc-field-observables")) }
                textarea id="observables" name="observables" rows="5" aria-describedby=[described("observables")] { (v("observables")) }
                (field_err("observables"))
            }
            p.check {
                input id="exercise" name="exercise" type="checkbox" value="1" checked[v("exercise") == "1"];
                label for="exercise" { (l.t("inc-field-exercise")) }
            }
            p { button type="submit" { (l.t("inc-create")) } }
        }
    }
}

pub async fn new_form(State(_st): State<WebState>, s: Session) -> Response {
    let l = &s.l;
    if !nav::may_open_case(&s.ctx.subject) {
        return crate::error_page(l, Some(&s), &ServiceError::Forbidden("open a case".into()));
    }
    render(layout::page(l, Some(&s), &l.t("inc-new"), "incidents", new_form_markup(&s, &vec![], &[])))
}

fn list_of(raw: &str, sep: &[char]) -> Vec<serde_json::Value> {
    raw.split(sep).map(str::trim).filter(|x| !x.is_empty()).map(|x| serde_json::Value::String(x.to_string())).collect()
}

/// The form as the JSON document of `NewIncident`, so the model validates it exactly like the
/// REST API does (and names the field).
fn to_new_incident(f: &Fields) -> Result<NewIncident, Vec<FieldError>> {
    let get = |k: &str| field(f, k).unwrap_or("").trim().to_string();
    let severity: i64 = get("severity").parse().unwrap_or(-1);
    let doc = serde_json::json!({
        "title": get("title"),
        "description": get("description"),
        "rsit": get("rsit"),
        "severity": severity,
        "tlp": get("tlp"),
        "sectors": list_of(&get("sectors"), &[',']),
        "affected_states": list_of(&get("affected_states").to_uppercase(), &[',', ' ']),
        "observables": list_of(&get("observables"), &['\n', '\r']),
        "exercise": get("exercise") == "1",
    });
    serde_path_to_error::deserialize::<_, NewIncident>(doc).map_err(|e| {
        let path = e.path().to_string();
        let msg = e.into_inner().to_string();
        vec![FieldError { field: if path == "." { "form".into() } else { path }, reason: msg }]
    })
}

pub async fn create(State(st): State<WebState>, s: Session, Form(f): Form<Fields>) -> Response {
    if let Err(r) = check_csrf(&st, &s, &f) {
        return r;
    }
    let l = &s.l;
    let invalid = |errors: Vec<FieldError>| {
        (StatusCode::UNPROCESSABLE_ENTITY, render(layout::page(l, Some(&s), &l.t("inc-new"), "incidents", new_form_markup(&s, &f, &errors)))).into_response()
    };
    let input = match to_new_incident(&f) {
        Ok(i) => i,
        Err(errors) => return invalid(errors),
    };
    match st.services.create_incident(&s.ctx, input).await {
        Ok(inc) => see_other(&format!("/ui/incidents/{}?done=created", inc.id)),
        Err(ServiceError::Invalid(ValidationErrors(errors))) => invalid(errors),
        Err(e) => crate::error_page(l, Some(&s), &e),
    }
}

#[derive(serde::Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    done: Option<String>,
}

async fn case_page(st: &WebState, s: &Session, id: Uuid, proposal: Option<RoutingProposal>, done: Option<&str>) -> Response {
    let l = &s.l;
    let inc = match st.services.get_incident(&s.ctx, id).await {
        Ok(i) => i,
        Err(e) => return crate::error_page(l, Some(s), &e),
    };
    let timeline = st.services.incident_timeline(&s.ctx, id).await.unwrap_or_default();
    let note = done.and_then(|d| match d {
        "created" => Some(l.t("inc-created")),
        "status" => Some(l.t("inc-status-changed")),
        "notified" => Some(l.t("inc-notified")),
        _ => None,
    });
    let body = case_body(s, &inc, &timeline, proposal.as_ref(), note);
    let title = inc.core.title.to_string();
    render(layout::page(l, Some(s), &title, "incidents", body))
}

pub async fn show(State(st): State<WebState>, s: Session, Path(id): Path<String>, Query(d): Query<Done>) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else { return crate::error_page(&s.l, Some(&s), &ServiceError::NotFound(id)) };
    case_page(&st, &s, id, None, d.done.as_deref()).await
}

fn case_body(s: &Session, inc: &Incident, timeline: &[atalaya_model::incident::TimelineEntry], proposal: Option<&RoutingProposal>, done: Option<String>) -> Markup {
    let l = &s.l;
    let subject = &s.ctx.subject;
    let parts: Vec<Uuid> = inc.participants.iter().map(|p| p.org_id).collect();
    let edit = nav::may_edit_case(subject, inc.core.tlp, inc.reporting_org, &parts);
    let contribute = nav::may_contribute(subject, inc.core.tlp, inc.reporting_org, &parts);
    let own_status = nav::may_set_own_status(subject, inc.core.tlp, inc.reporting_org, &parts);
    let mine = own_status.and_then(|org| inc.participants.iter().find(|p| p.org_id == org));
    html! {
        (notice(done))
        p.case-head {
            @if inc.core.exercise { span.exercise { (l.t("inc-exercise")) } " " }
            (tlp(inc.core.tlp)) " "
            span.sev { (l.t("col-severity")) ": " (severity_label(l, inc.core.severity.value())) } " · "
            (l.t("col-phase")) ": " (l.t(&format!("phase-{}", inc.core.phase.as_str()))) " · "
            code { (inc.core.rsit.machine_tag()) }
        }
        p.muted {
            (l.tf("inc-reported-by", &[("state", FluentValue::from(inc.reporting_state.as_ref().map(|c| c.to_string()).unwrap_or_else(|| "–".into())))]))
            " · " (l.when(&inc.created_at))
            @if !inc.core.affected_states.is_empty() { " · " (l.t("dash-map")) ": " (inc.core.affected_states.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(", ")) }
            @if !inc.core.sectors.is_empty() { " · " (l.t("dir-sectors")) ": " (inc.core.sectors.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(", ")) }
        }
        @if !inc.core.description.as_str().is_empty() { p.description { (inc.core.description.as_str()) } }

        section aria-labelledby="part-h" {
            h2 id="part-h" { (l.t("inc-participants")) }
            @if inc.participants.is_empty() { p { (l.t("inc-no-participants")) } } @else {
                table #participants {
                    thead { tr {
                        th scope="col" { (l.t("col-state")) }
                        th scope="col" { (l.t("col-organisation")) }
                        th scope="col" { (l.t("col-status")) }
                        th scope="col" { (l.t("col-due")) }
                    } }
                    tbody {
                        @for p in &inc.participants {
                            tr data-org=(p.org_id) {
                                th scope="row" { (p.state.as_ref().map(|c| c.to_string()).unwrap_or_else(|| "–".into())) }
                                td { (p.org_name) }
                                td.status { span class=(format!("status status-{}", p.status.as_str())) { (status_label(l, p.status)) }
                                    @if let Some(r) = &p.reason { br; small { (r) } } }
                                td {
                                    @if let Some(d) = &p.ack_due { (l.tf("inc-ack-due", &[("when", FluentValue::from(l.when(d)))])) br; }
                                    @if let Some(d) = &p.update_due { (l.tf("inc-update-due", &[("when", FluentValue::from(l.when(d)))])) br; }
                                    @if let Some(d) = &p.escalated_at { strong.warn { (l.tf("inc-escalated", &[("when", FluentValue::from(l.when(d)))])) } }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(p) = mine {
                form #status-form method="post" action=(format!("/ui/incidents/{}/status", inc.id)) {
                    (csrf(s))
                    fieldset {
                        legend { (l.t("inc-status-change")) }
                        p {
                            label for="status" { (l.t("inc-status-new")) }
                            select id="status" name="status" {
                                @for next in ParticipationStatus::ALL.iter().copied().filter(|n| p.status.may_become(*n)) {
                                    option value=(next.as_str()) { (status_label(l, next)) }
                                }
                            }
                        }
                        p {
                            label for="reason" { (l.t("inc-status-reason")) }
                            input id="reason" name="reason" type="text";
                        }
                        p { button type="submit" { (l.t("inc-status-submit")) } }
                    }
                }
            }
        }

        section aria-labelledby="route-h" {
            h2 id="route-h" { (l.t("inc-routing")) }
            @if let Some(r) = proposal {
                div #routing {
                    @if !r.ip_country_loaded { p.muted { (l.t("inc-ip-data-missing")) } }
                    p { (l.count("inc-unrouted", r.unrouted as u64)) }
                    @if !r.states_without_csirt.is_empty() {
                        p.warn { (l.tf("inc-no-csirt", &[("states", FluentValue::from(r.states_without_csirt.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(", ")))])) }
                    }
                    @if !r.proposed.is_empty() {
                        h3 { (l.t("inc-proposed")) }
                        table #proposed {
                            thead { tr { th scope="col" { (l.t("col-organisation")) } th scope="col" { (l.t("col-state")) } th scope="col" { (l.t("inc-observables")) } th scope="col" { (l.t("inc-reasoning")) } } }
                            tbody {
                                @for p in &r.proposed {
                                    tr {
                                        td { (p.organisation.name) @if p.participating { " ✓" } }
                                        td { (p.state.as_ref().map(|c| c.to_string()).unwrap_or_default()) }
                                        td.num { (p.observables) }
                                        td { ul { @for reason in &p.reasons { li { code { (reason) } } } } }
                                    }
                                }
                            }
                        }
                    }
                    @if !r.routes.is_empty() {
                        details {
                            summary { (l.t("inc-reasoning")) " (" (r.routes.len()) ")" }
                            ul.reasoning { @for rt in &r.routes { li { code { (rt.reasoning) } } } }
                        }
                    }
                    @if edit && r.proposed.iter().any(|p| !p.participating) {
                        form #notify-form method="post" action=(format!("/ui/incidents/{}/notify", inc.id)) {
                            (csrf(s))
                            button type="submit" { (l.t("inc-notify-routed")) }
                        }
                    }
                }
            }
            @if contribute || edit {
                form #route-form method="post" action=(format!("/ui/incidents/{}/route", inc.id)) {
                    (csrf(s))
                    button type="submit" { (l.t("inc-route")) }
                }
            }
        }

        @if !inc.observables.is_empty() {
            section aria-labelledby="obs-h" {
                h2 id="obs-h" { (l.t("inc-observables")) }
                ul.observables { @for o in &inc.observables { li { code { (o.value()) } " (" (o.kind().as_str()) ")" } } }
            }
        }

        section aria-labelledby="task-h" {
            h2 id="task-h" { (l.t("inc-tasks")) }
            @if inc.tasks.is_empty() { p { (l.t("inc-no-tasks")) } } @else {
                table #tasks {
                    thead { tr { th scope="col" { (l.t("col-title")) } th scope="col" { (l.t("col-due")) } th scope="col" { (l.t("col-done")) } } }
                    tbody { @for t in &inc.tasks { tr { td { (t.title.to_string()) } td { (t.due.as_deref().map(|d| l.when(d)).unwrap_or_default()) } td { (if t.done { "✓" } else { "–" }) } } } }
                }
            }
        }

        section aria-labelledby="tl-h" {
            h2 id="tl-h" { (l.t("inc-timeline")) }
            ol #timeline.timeline {
                @for e in timeline {
                    li { time datetime=(e.at) { (l.when(&e.at)) } " — " strong { (e.actor) } " (" (e.kind) "): " (e.text) }
                }
            }
            @if contribute {
                form #note-form method="post" action=(format!("/ui/incidents/{}/note", inc.id)) {
                    (csrf(s))
                    p {
                        label for="note" { (l.t("inc-note")) }
                        textarea id="note" name="text" rows="3" required {}
                    }
                    p { button type="submit" { (l.t("inc-note-submit")) } }
                }
            }
        }
    }
}

#[allow(clippy::result_large_err)] // the error is the page to answer with
fn parse_id(s: &Session, id: &str) -> Result<Uuid, Response> {
    Uuid::parse_str(id).map_err(|_| crate::error_page(&s.l, Some(s), &ServiceError::NotFound(id.to_string())))
}

pub async fn route(State(st): State<WebState>, s: Session, Path(id): Path<String>, Form(f): Form<Fields>) -> Response {
    if let Err(r) = check_csrf(&st, &s, &f) {
        return r;
    }
    let id = match parse_id(&s, &id) { Ok(i) => i, Err(r) => return r };
    match st.services.route_incident(&s.ctx, id).await {
        Ok(p) => case_page(&st, &s, id, Some(p), None).await,
        Err(e) => crate::error_page(&s.l, Some(&s), &e),
    }
}

pub async fn notify(State(st): State<WebState>, s: Session, Path(id): Path<String>, Form(f): Form<Fields>) -> Response {
    if let Err(r) = check_csrf(&st, &s, &f) {
        return r;
    }
    let id = match parse_id(&s, &id) { Ok(i) => i, Err(r) => return r };
    match st.services.notify_incident(&s.ctx, id, NotifyRequest { organisations: vec![], states: vec![], routed: true }).await {
        Ok(_) => see_other(&format!("/ui/incidents/{id}?done=notified")),
        Err(e) => crate::error_page(&s.l, Some(&s), &e),
    }
}

pub async fn status(State(st): State<WebState>, s: Session, Path(id): Path<String>, Form(f): Form<Fields>) -> Response {
    if let Err(r) = check_csrf(&st, &s, &f) {
        return r;
    }
    let id = match parse_id(&s, &id) { Ok(i) => i, Err(r) => return r };
    let reason = field(&f, "reason").unwrap_or("").trim();
    let mut doc = serde_json::json!({ "status": field(&f, "status").unwrap_or("") });
    if !reason.is_empty() {
        doc["reason"] = serde_json::Value::String(reason.to_string());
    }
    let upd: StatusUpdate = match serde_path_to_error::deserialize(doc) {
        Ok(u) => u,
        Err(e) => {
            let path = e.path().to_string();
            return crate::error_page(&s.l, Some(&s), &ServiceError::invalid(path, e.into_inner().to_string()));
        }
    };
    match st.services.set_participation(&s.ctx, id, upd).await {
        Ok(_) => see_other(&format!("/ui/incidents/{id}?done=status")),
        Err(e) => crate::error_page(&s.l, Some(&s), &e),
    }
}

pub async fn note(State(st): State<WebState>, s: Session, Path(id): Path<String>, Form(f): Form<Fields>) -> Response {
    if let Err(r) = check_csrf(&st, &s, &f) {
        return r;
    }
    let id = match parse_id(&s, &id) { Ok(i) => i, Err(r) => return r };
    let entry: NewTimelineEntry = match serde_path_to_error::deserialize(serde_json::json!({ "text": field(&f, "text").unwrap_or("") })) {
        Ok(e) => e,
        Err(e) => {
            let path = e.path().to_string();
            return crate::error_page(&s.l, Some(&s), &ServiceError::invalid(path, e.into_inner().to_string()));
        }
    };
    match st.services.add_timeline_entry(&s.ctx, id, entry).await {
        Ok(_) => see_other(&format!("/ui/incidents/{id}")),
        Err(e) => crate::error_page(&s.l, Some(&s), &e),
    }
}
