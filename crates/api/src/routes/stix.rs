use super::Errors;
use crate::extract::{ApiQuery, Caller, JsonBody};
use crate::problem::ApiError;
use crate::AppState;
use atalaya_model::Tlp;
use atalaya_services::intel::{DistributionDoc, ExportFilter, ExportFormat, ImportOptions, ImportReport, ObjectView};
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

/// Imports a STIX 2.1 bundle (or JSON lines of objects). The whole body is parsed before
/// anything is written, then stored in one transaction; each refused object is named with
/// the field and the reason.
#[utoipa::path(post, path = "/api/v1/stix/bundles", tag = "intel", security(("bearer" = [])), params(DistributionQuery),
    request_body(content = Object, content_type = "application/json", description = "A STIX 2.1 bundle"),
    responses((status = 200, body = ImportReport), Errors))]
pub async fn import_bundle(State(st): State<AppState>, Caller(ctx): Caller, ApiQuery(dq): ApiQuery<DistributionQuery>, JsonBody(bytes): JsonBody) -> Result<Json<ImportReport>, ApiError> {
    let opts = ImportOptions { distribution: dq.into_doc()? };
    let mut values = Vec::new();
    for item in atalaya_stix::object::ObjectStream::new(&bytes[..]) {
        match item {
            Ok(v) => values.push(v),
            Err(e) => return Err(ApiError::field(StatusCode::BAD_REQUEST, "malformed-json", "body", e.to_string())),
        }
    }
    if values.is_empty() {
        return Err(ApiError::field(StatusCode::UNPROCESSABLE_ENTITY, "validation", "objects", "the bundle holds no objects"));
    }
    Ok(Json(st.services.import_batch(&ctx, values, 0, &opts).await?))
}

/// Who receives the imported objects (within TLP rules). Without any parameter: the whole
/// network (TLP:RED: the importing user only).
#[derive(Deserialize, utoipa::IntoParams, Default)]
#[serde(deny_unknown_fields)]
pub struct DistributionQuery {
    /// Comma-separated organisation ids.
    pub organisations: Option<String>,
    /// Comma-separated ISO country codes: every organisation of these states.
    pub states: Option<String>,
    /// Comma-separated sharing-group ids.
    pub groups: Option<String>,
    /// Comma-separated user ids (the named individuals of TLP:RED material).
    pub named_users: Option<String>,
    /// Every member of the network (default when nothing else is given).
    pub network: Option<bool>,
}

impl DistributionQuery {
    fn into_doc(self) -> Result<Option<DistributionDoc>, ApiError> {
        if self.organisations.is_none() && self.states.is_none() && self.groups.is_none() && self.named_users.is_none() && self.network.is_none() {
            return Ok(None);
        }
        fn ids(field: &str, v: &Option<String>) -> Result<Vec<uuid::Uuid>, ApiError> {
            v.as_deref()
                .unwrap_or("")
                .split(',')
                .filter(|s| !s.trim().is_empty())
                .map(|s| uuid::Uuid::parse_str(s.trim()).map_err(|_| ApiError::field(StatusCode::BAD_REQUEST, "bad-query", field, format!("'{s}' is not an id"))))
                .collect()
        }
        let states = self
            .states
            .as_deref()
            .unwrap_or("")
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().parse::<atalaya_model::CountryCode>().map_err(|e| ApiError::field(StatusCode::BAD_REQUEST, "bad-query", "states", e)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(DistributionDoc {
            organisations: ids("organisations", &self.organisations)?,
            states,
            groups: ids("groups", &self.groups)?,
            named_users: ids("named_users", &self.named_users)?,
            network: self.network.unwrap_or(false),
        }))
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ObjectQuery {
    /// Only versions added after this sequence number (cursor).
    pub after: Option<i64>,
    /// At most this many versions (1–1000, default 100).
    pub limit: Option<usize>,
    /// Comma-separated STIX types.
    #[serde(rename = "type")]
    pub types: Option<String>,
}

fn split_types(t: &Option<String>) -> Vec<String> {
    t.as_deref().map(|s| s.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect()).unwrap_or_default()
}

/// Object versions visible to the caller, in the order they were added.
#[utoipa::path(get, path = "/api/v1/stix/objects", tag = "intel", params(ObjectQuery),
    responses((status = 200, body = Vec<ObjectView>), Errors))]
pub async fn list_objects(State(st): State<AppState>, Caller(ctx): Caller, ApiQuery(q): ApiQuery<ObjectQuery>) -> Result<Json<Vec<ObjectView>>, ApiError> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::field(StatusCode::BAD_REQUEST, "bad-query", "limit", "must be between 1 and 1000"));
    }
    Ok(Json(st.services.list_objects(&ctx, q.after.unwrap_or(0), limit, &split_types(&q.types)).await?))
}

/// Every visible version of one object, oldest first.
#[utoipa::path(get, path = "/api/v1/stix/objects/{id}", tag = "intel",
    params(("id" = String, Path, description = "STIX id, e.g. indicator--…")),
    responses((status = 200, body = Vec<ObjectView>), Errors))]
pub async fn get_object(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>) -> Result<Json<Vec<ObjectView>>, ApiError> {
    Ok(Json(st.services.get_object(&ctx, &id).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// stix, csv or blocklist.
    #[param(inline)]
    pub format: ExportFormat,
    /// Comma-separated STIX types.
    #[serde(rename = "type")]
    pub types: Option<String>,
    /// Highest TLP to include, e.g. `TLP:GREEN`.
    pub tlp: Option<Tlp>,
    /// Only objects added at or after this RFC 3339 time.
    pub since: Option<String>,
    /// Only objects concerning this critical-infrastructure sector (STIX industry-sector-ov).
    pub sector: Option<atalaya_model::directory::Sector>,
}

/// Exports visible objects as a STIX bundle, CSV or a plain blocklist.
#[utoipa::path(get, path = "/api/v1/stix/export", tag = "intel", params(ExportQuery),
    responses((status = 200, description = "The export", content_type = "text/plain"), Errors))]
pub async fn export(State(st): State<AppState>, Caller(ctx): Caller, ApiQuery(q): ApiQuery<ExportQuery>) -> Result<Response, ApiError> {
    let since_us = match &q.since {
        Some(s) => Some(
            time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                .map(atalaya_model::time_util::to_micros)
                .map_err(|_| ApiError::field(StatusCode::BAD_REQUEST, "bad-query", "since", format!("'{s}' is not an RFC 3339 time")))?,
        ),
        None => None,
    };
    let filter = ExportFilter { types: split_types(&q.types), max_tlp: q.tlp, since_us, include_revoked: false, sector: q.sector.map(|s| s.to_string()) };
    let mut buf: Vec<u8> = Vec::new();
    st.services.export(&ctx, &filter, q.format, &mut buf).await?;
    let ct = match q.format {
        ExportFormat::Stix => "application/stix+json;version=2.1",
        ExportFormat::Csv => "text/csv; charset=utf-8",
        ExportFormat::Blocklist => "text/plain; charset=utf-8",
    };
    Ok(([(header::CONTENT_TYPE, ct)], buf).into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CorrelateQuery {
    /// The value: an IP or network, domain, URL, e-mail address, AS number (`AS64500`) or hash.
    pub value: String,
    /// Its kind (ipv4, ipv6, domain, url, email, asn, md5, sha1, sha256, sha512); guessed when absent.
    pub kind: Option<String>,
    /// At most this many matching objects (1–1000, default 100).
    pub limit: Option<usize>,
}

fn limit_of(l: Option<usize>) -> Result<usize, ApiError> {
    let limit = l.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::field(StatusCode::BAD_REQUEST, "bad-query", "limit", "must be between 1 and 1000"));
    }
    Ok(limit)
}

/// Who else has seen this value: every visible object sharing it (networks containing an
/// address, parent and sub-domains included), with the holding organisation and state, and
/// warninglist hits.
#[utoipa::path(get, path = "/api/v1/stix/correlate", tag = "intel", params(CorrelateQuery),
    responses((status = 200, body = atalaya_services::correlate::CorrelationAnswer), Errors))]
pub async fn correlate(State(st): State<AppState>, Caller(ctx): Caller, ApiQuery(q): ApiQuery<CorrelateQuery>) -> Result<Json<atalaya_services::correlate::CorrelationAnswer>, ApiError> {
    let limit = limit_of(q.limit)?;
    Ok(Json(st.services.correlate_value(&ctx, q.kind.as_deref(), &q.value, limit).await?))
}

/// For each value of an object: the other visible objects sharing it.
#[utoipa::path(get, path = "/api/v1/stix/objects/{id}/correlations", tag = "intel",
    params(("id" = String, Path, description = "STIX id")),
    responses((status = 200, body = Vec<atalaya_services::correlate::CorrelationAnswer>), Errors))]
pub async fn object_correlations(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>) -> Result<Json<Vec<atalaya_services::correlate::CorrelationAnswer>>, ApiError> {
    Ok(Json(st.services.correlate_object(&ctx, &id, 100).await?))
}

/// Sightings of an object per state, and an indicator's decay score.
#[utoipa::path(get, path = "/api/v1/stix/objects/{id}/sightings", tag = "intel",
    params(("id" = String, Path, description = "STIX id")),
    responses((status = 200, body = atalaya_services::intel::SightingSummary), Errors))]
pub async fn sightings(State(st): State<AppState>, Caller(ctx): Caller, Path(id): Path<String>) -> Result<Json<atalaya_services::intel::SightingSummary>, ApiError> {
    Ok(Json(st.services.sightings(&ctx, &id).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// Words that must all occur (names, descriptions, patterns, values, labels, external ids).
    pub q: String,
    /// At most this many results (1–1000, default 100).
    pub limit: Option<usize>,
}

/// Full-text search, filtered by policy; results flagged with warninglist hits.
#[utoipa::path(get, path = "/api/v1/stix/search", tag = "intel", params(SearchQuery),
    responses((status = 200, body = Vec<atalaya_services::intel::SearchHit>), Errors))]
pub async fn search(State(st): State<AppState>, Caller(ctx): Caller, ApiQuery(q): ApiQuery<SearchQuery>) -> Result<Json<Vec<atalaya_services::intel::SearchHit>>, ApiError> {
    let limit = limit_of(q.limit)?;
    Ok(Json(st.services.search(&ctx, &q.q, limit).await?))
}

/// Visible objects per critical-infrastructure sector.
#[utoipa::path(get, path = "/api/v1/stix/sectors", tag = "intel",
    responses((status = 200, body = std::collections::BTreeMap<String, u64>), Errors))]
pub async fn sectors(State(st): State<AppState>, Caller(ctx): Caller) -> Result<Json<std::collections::BTreeMap<String, u64>>, ApiError> {
    Ok(Json(st.services.sector_counts(&ctx).await?))
}
