//! Dashboard: cases per state and sector, cases opened per week (SVG columns) and a tile map of
//! the Americas colouring affected states. Exercise cases are left out everywhere.

use crate::layout::{self, render};
use crate::svg;
use crate::{Session, WebState};
use atalaya_services::incidents::IncidentFilter;
use axum::extract::State;
use axum::response::Response;
use maud::html;
use std::collections::BTreeMap;
use time::{Duration, OffsetDateTime};

pub async fn page_data(st: &WebState, s: &Session) -> Result<maud::Markup, atalaya_services::ServiceError> {
    let l = &s.l;
    let stats = st.services.incident_statistics(&s.ctx).await?;
    let cases = st.services.list_incidents(&s.ctx, &IncidentFilter { exercise: Some(false), state: None }).await?;
    // Affected states: every state named on a (non-exercise) case, plus the participating ones.
    let mut affected: BTreeMap<String, u64> = BTreeMap::new();
    for c in &cases {
        for st in &c.affected_states {
            *affected.entry(st.to_string()).or_insert(0) += 1;
        }
    }
    for f in &stats.by_state {
        let e = affected.entry(f.state.clone()).or_insert(0);
        *e = (*e).max(f.cases);
    }
    // Cases opened per week, the last 12 weeks (weeks start on Monday, UTC).
    let now = st.services.now();
    let today = now.date();
    let monday = today - Duration::days(i64::from(today.weekday().number_days_from_monday()));
    let first = monday - Duration::weeks(11);
    let mut weeks: Vec<(time::Date, u64)> = (0..12).map(|i| (first + Duration::weeks(i), 0)).collect();
    for c in &cases {
        if let Ok(t) = OffsetDateTime::parse(&c.created_at, &time::format_description::well_known::Rfc3339) {
            let d = t.date();
            if d >= first {
                let i = ((d - first).whole_days() / 7) as usize;
                if let Some(w) = weeks.get_mut(i) {
                    w.1 += 1;
                }
            }
        }
    }
    let bars: Vec<(String, u64)> = weeks.iter().map(|(d, n)| (l.date(*d), *n)).collect();
    let max = affected.values().copied().max().unwrap_or(0);
    Ok(html! {
        section.summary aria-labelledby="sum-h" {
            h2 id="sum-h" class="visually-hidden" { (l.t("dash-title")) }
            p.big { (l.count("dash-cases", stats.cases)) }
            p.muted { (l.count("dash-exercises-excluded", stats.exercises_excluded)) }
        }
        div.grid {
            section aria-labelledby="map-h" {
                h2 id="map-h" { (l.t("dash-map")) }
                (svg::tile_map("map", &l.t("dash-map"), &l.t("dash-map-desc"), &affected, |code, n| format!("{code}: {}", l.count("dash-cases", n)), |code| Some(format!("/ui/incidents?state={code}"))))
                (svg::map_legend(&l.t("dash-map-legend"), max))
            }
            section aria-labelledby="time-h" {
                h2 id="time-h" { (l.t("dash-over-time")) }
                (svg::columns("weeks", &l.t("dash-over-time"), &bars))
                details {
                    summary { (l.t("col-week")) " / " (l.t("col-cases")) }
                    table {
                        thead { tr { th scope="col" { (l.t("col-week")) } th scope="col" { (l.t("col-cases")) } } }
                        tbody { @for (d, n) in &bars { tr { td { (d) } td.num { (l.int(*n)) } } } }
                    }
                }
            }
        }
        section aria-labelledby="state-h" {
            h2 id="state-h" { (l.t("dash-by-state")) }
            @if stats.by_state.is_empty() { p { (l.t("no-data")) } } @else {
                table #by-state {
                    thead { tr {
                        th scope="col" { (l.t("col-state")) }
                        th scope="col" { (l.t("col-cases")) }
                        th scope="col" { (l.t("col-acknowledged")) }
                        th scope="col" { (l.t("col-mitigated")) }
                        th scope="col" { (l.t("col-mean-ack")) }
                    } }
                    tbody {
                        @for f in &stats.by_state {
                            tr {
                                th scope="row" { (f.state) }
                                td.num { (l.int(f.cases)) }
                                td.num { (l.int(f.acknowledged)) }
                                td.num { (l.int(f.mitigated)) }
                                td.num { (f.mean_time_to_acknowledge_secs.map(|s| l.duration(s)).unwrap_or_else(|| "–".into())) }
                            }
                        }
                    }
                }
            }
        }
        div.grid {
            section aria-labelledby="sector-h" {
                h2 id="sector-h" { (l.t("dash-by-sector")) }
                @if stats.by_sector.is_empty() { p { (l.t("no-data")) } } @else {
                    table #by-sector {
                        thead { tr { th scope="col" { (l.t("col-sector")) } th scope="col" { (l.t("col-cases")) } } }
                        tbody { @for (k, n) in &stats.by_sector { tr { th scope="row" { (k) } td.num { (l.int(*n)) } } } }
                    }
                }
            }
        }
    })
}

pub async fn handler(State(st): State<WebState>, s: Session) -> Response {
    match page_data(&st, &s).await {
        Ok(body) => render(layout::page(&s.l, Some(&s), &s.l.t("dash-title"), "dashboard", body)),
        Err(e) => crate::error_page(&s.l, Some(&s), &e),
    }
}
