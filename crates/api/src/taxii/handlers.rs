//! The TAXII 2.1 endpoints.
use super::{content_type_ok, parse_params, taxii_json, taxii_response, Params, Taxii, TaxiiError, API_ROOT, TAXII_MEDIA_TYPE};
use crate::AppState;
use atalaya_services::taxii::{taxii_timestamp, CollectionAccess, Item, Page, ReadFilter, STIX_MEDIA_TYPE};
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

const DATE_FIRST: HeaderName = HeaderName::from_static("x-taxii-date-added-first");
const DATE_LAST: HeaderName = HeaderName::from_static("x-taxii-date-added-last");

const OBJECT_PARAMS: &[&str] = &["added_after", "limit", "next", "match[id]", "match[type]", "match[version]", "match[spec_version]"];
const ONE_OBJECT_PARAMS: &[&str] = &["added_after", "limit", "next", "match[version]", "match[spec_version]"];
const VERSIONS_PARAMS: &[&str] = &["added_after", "limit", "next", "match[spec_version]"];
const DELETE_PARAMS: &[&str] = &["match[version]", "match[spec_version]"];

type TResult = Result<Response, TaxiiError>;

pub async fn not_found(_: Taxii) -> TaxiiError {
    TaxiiError::not_found("no such TAXII endpoint")
}

pub async fn method_not_allowed() -> TaxiiError {
    TaxiiError::new(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed", "this TAXII endpoint does not support that method")
}

#[derive(Serialize)]
struct Discovery {
    title: String,
    description: String,
    default: &'static str,
    api_roots: Vec<&'static str>,
}

/// Server discovery (TAXII 2.1 §4.1).
pub async fn discovery(State(st): State<AppState>, _: Taxii) -> Response {
    let cfg = &st.services.config;
    taxii_json(
        StatusCode::OK,
        &Discovery {
            title: format!("{} (Atalaya TAXII 2.1)", cfg.node_name),
            description: "STIX 2.1 threat intelligence of this Atalaya node, shared under its policy (TLP 2.0, need-to-know).".into(),
            default: API_ROOT,
            api_roots: vec![API_ROOT],
        },
    )
}

#[derive(Serialize)]
struct ApiRootInfo {
    title: String,
    description: &'static str,
    versions: Vec<&'static str>,
    max_content_length: usize,
}

/// API root information (TAXII 2.1 §4.2).
pub async fn api_root(State(st): State<AppState>, _: Taxii) -> Response {
    taxii_json(
        StatusCode::OK,
        &ApiRootInfo {
            title: format!("{} intelligence", st.services.config.node_name),
            description: "The node's STIX 2.1 objects: a default collection with everything you may see, and the operator's views.",
            versions: vec![TAXII_MEDIA_TYPE],
            max_content_length: st.limits.max_bundle_bytes,
        },
    )
}

/// Status of an add (TAXII 2.1 §4.3), stored, so it outlives restarts.
pub async fn status(State(st): State<AppState>, Taxii(ctx): Taxii, Path(id): Path<String>) -> TResult {
    let body = st.services.taxii_status(&ctx, &id).await?;
    Ok(taxii_response(StatusCode::OK, body, &[]))
}

#[derive(Serialize)]
struct CollectionResource<'a> {
    id: String,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    alias: Option<&'a str>,
    can_read: bool,
    can_write: bool,
    media_types: Vec<&'static str>,
}

fn resource(a: &CollectionAccess) -> CollectionResource<'_> {
    let c = &a.collection;
    CollectionResource {
        id: c.id.to_string(),
        title: &c.title,
        description: c.description.as_deref(),
        alias: c.alias.as_deref(),
        can_read: a.can_read,
        can_write: a.can_write,
        media_types: vec![STIX_MEDIA_TYPE],
    }
}

/// The collections of the API root (TAXII 2.1 §5.1).
pub async fn collections(State(st): State<AppState>, Taxii(ctx): Taxii) -> TResult {
    let all = st.services.taxii_collections(&ctx).await?;
    let list: Vec<CollectionResource<'_>> = all.iter().map(resource).collect();
    if list.is_empty() {
        return Ok(taxii_response(StatusCode::OK, "{}".into(), &[]));
    }
    Ok(taxii_json(StatusCode::OK, &serde_json::json!({ "collections": list })))
}

/// One collection (TAXII 2.1 §5.2).
pub async fn collection(State(st): State<AppState>, Taxii(ctx): Taxii, Path(cid): Path<String>) -> TResult {
    let a = st.services.taxii_collection(&ctx, &cid).await?;
    Ok(taxii_json(StatusCode::OK, &resource(&a)))
}

/// The collection, which must be readable.
async fn readable(st: &AppState, ctx: &atalaya_services::Ctx, cid: &str) -> Result<CollectionAccess, TaxiiError> {
    let a = st.services.taxii_collection(ctx, cid).await?;
    if !a.can_read {
        return Err(TaxiiError::new(StatusCode::FORBIDDEN, "Forbidden", "you may not read this collection"));
    }
    Ok(a)
}

fn filter_of(p: Params, with_bodies: bool) -> ReadFilter {
    ReadFilter {
        with_bodies,
        next: p.next,
        added_after: p.added_after,
        limit: p.limit.unwrap_or(0),
        ids: p.ids,
        types: p.types,
        versions: p.versions,
        spec_versions: p.spec_versions,
    }
}

/// `X-TAXII-Date-Added-First` / `-Last` of a page.
fn date_headers(items: &[Item]) -> Vec<(HeaderName, String)> {
    match (items.first(), items.last()) {
        (Some(f), Some(l)) => vec![(DATE_FIRST, taxii_timestamp(f.added_at)), (DATE_LAST, taxii_timestamp(l.added_at))],
        _ => vec![],
    }
}

/// `{"more":…,"next":…` of an envelope-like answer (without the closing brace).
fn page_head(page: &Page, capacity: usize) -> String {
    let mut s = String::with_capacity(capacity + 64);
    s.push_str("{\"more\":");
    s.push_str(if page.more { "true" } else { "false" });
    if let Some(n) = page.next {
        s.push_str(",\"next\":\"");
        s.push_str(&n.to_string());
        s.push('"');
    }
    s
}

/// Nothing matched and nothing follows: the empty envelope `{}` (as medallion answers; TAXII
/// 2.1 §3.7 makes every envelope property optional).
fn empty(page: &Page) -> Option<Response> {
    (page.items.is_empty() && !page.more).then(|| taxii_response(StatusCode::OK, "{}".into(), &[]))
}

/// An envelope (TAXII 2.1 §3.7) of stored object texts, copied without parsing.
fn envelope(page: &Page) -> Response {
    if let Some(r) = empty(page) {
        return r;
    }
    let mut s = page_head(page, page.objects.len() + 16);
    if !page.items.is_empty() {
        s.push_str(",\"objects\":[");
        s.push_str(&page.objects);
        s.push(']');
    }
    s.push('}');
    taxii_response(StatusCode::OK, s, &date_headers(&page.items))
}

/// Get Objects (TAXII 2.1 §5.3).
pub async fn get_objects(State(st): State<AppState>, Taxii(ctx): Taxii, Path(cid): Path<String>, RawQuery(q): RawQuery) -> TResult {
    let p = parse_params(q.as_deref(), OBJECT_PARAMS)?;
    let a = readable(&st, &ctx, &cid).await?;
    let page = st.services.taxii_read(&ctx, &a.collection, &filter_of(p, true)).await?;
    Ok(envelope(&page))
}

/// Get an Object (TAXII 2.1 §5.5): its latest visible version unless `match[version]` says otherwise.
pub async fn get_object(State(st): State<AppState>, Taxii(ctx): Taxii, Path((cid, oid)): Path<(String, String)>, RawQuery(q): RawQuery) -> TResult {
    let p = parse_params(q.as_deref(), ONE_OBJECT_PARAMS)?;
    let a = readable(&st, &ctx, &cid).await?;
    let page = st.services.taxii_object(&ctx, &a.collection, &oid, &filter_of(p, true)).await?;
    Ok(envelope(&page))
}

#[derive(Serialize)]
struct ManifestRecord<'a> {
    id: &'a str,
    date_added: String,
    version: &'a str,
    media_type: &'static str,
}

/// Get Object Manifests (TAXII 2.1 §5.6).
pub async fn manifest(State(st): State<AppState>, Taxii(ctx): Taxii, Path(cid): Path<String>, RawQuery(q): RawQuery) -> TResult {
    let p = parse_params(q.as_deref(), OBJECT_PARAMS)?;
    let a = readable(&st, &ctx, &cid).await?;
    let page = st.services.taxii_read(&ctx, &a.collection, &filter_of(p, false)).await?;
    if let Some(r) = empty(&page) {
        return Ok(r);
    }
    let mut s = page_head(&page, page.items.len() * 160);
    if !page.items.is_empty() {
        s.push_str(",\"objects\":");
        let records: Vec<ManifestRecord<'_>> = page
            .items
            .iter()
            .map(|it| ManifestRecord { id: &it.id, date_added: taxii_timestamp(it.added_at), version: &it.version, media_type: STIX_MEDIA_TYPE })
            .collect();
        s.push_str(&serde_json::to_string(&records).map_err(|e| TaxiiError::from(atalaya_services::ServiceError::Internal(e.to_string())))?);
    }
    s.push('}');
    Ok(taxii_response(StatusCode::OK, s, &date_headers(&page.items)))
}

/// Get Object Versions (TAXII 2.1 §5.8), in the order they were added.
pub async fn object_versions(State(st): State<AppState>, Taxii(ctx): Taxii, Path((cid, oid)): Path<(String, String)>, RawQuery(q): RawQuery) -> TResult {
    let p = parse_params(q.as_deref(), VERSIONS_PARAMS)?;
    let a = readable(&st, &ctx, &cid).await?;
    let page = st.services.taxii_versions(&ctx, &a.collection, &oid, &filter_of(p, false)).await?;
    if let Some(r) = empty(&page) {
        return Ok(r);
    }
    let mut s = page_head(&page, page.items.len() * 40);
    if !page.items.is_empty() {
        let versions: Vec<&str> = page.items.iter().map(|i| i.version.as_str()).collect();
        s.push_str(",\"versions\":");
        s.push_str(&serde_json::to_string(&versions).unwrap_or_else(|_| "[]".into()));
    }
    s.push('}');
    Ok(taxii_response(StatusCode::OK, s, &date_headers(&page.items)))
}

/// Delete an Object (TAXII 2.1 §5.7): every version, or those `match[version]` names.
pub async fn delete_object(State(st): State<AppState>, Taxii(ctx): Taxii, Path((cid, oid)): Path<(String, String)>, RawQuery(q): RawQuery) -> TResult {
    let p = parse_params(q.as_deref(), DELETE_PARAMS)?;
    let a = readable(&st, &ctx, &cid).await?;
    st.services.taxii_delete(&ctx, &a.collection, &oid, &p.versions, &p.spec_versions).await?;
    Ok(StatusCode::OK.into_response())
}

#[derive(serde::Deserialize)]
struct Envelope {
    #[serde(default)]
    objects: Option<Vec<serde_json::Value>>,
}

/// Add Objects (TAXII 2.1 §5.4): stored at once; the answer is the complete status resource.
pub async fn add_objects(State(st): State<AppState>, Taxii(ctx): Taxii, Path(cid): Path<String>, RawQuery(q): RawQuery, headers: HeaderMap, body: Body) -> TResult {
    parse_params(q.as_deref(), &[])?;
    content_type_ok(&headers)?;
    let limit = st.limits.max_bundle_bytes;
    let too_large = || {
        let mut e = TaxiiError::new(StatusCode::PAYLOAD_TOO_LARGE, "Request too large", format!("body: the envelope is larger than this API root's max_content_length ({limit} bytes)"));
        e.parameter = Some("body".into());
        e
    };
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    // Unknown collection, no credentials or no right to write: answered before the body is read.
    let a = st.services.taxii_collection(&ctx, &cid).await?;
    if matches!(ctx.subject, atalaya_policy::Subject::Anonymous) {
        return Err(atalaya_services::ServiceError::Unauthenticated("authentication required".into()).into());
    }
    if !a.can_write {
        return Err(TaxiiError::new(StatusCode::FORBIDDEN, "Forbidden", "you may not add objects to this collection"));
    }
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| too_large())?;
    let env: Envelope = serde_json::from_slice(&bytes).map_err(|e| {
        let mut err = TaxiiError::new(StatusCode::BAD_REQUEST, "Malformed envelope", format!("body: not a TAXII envelope: {e}"));
        err.parameter = Some("body".into());
        err
    })?;
    let objects = env.objects.unwrap_or_default();
    if objects.is_empty() {
        let mut err = TaxiiError::new(StatusCode::UNPROCESSABLE_ENTITY, "Empty envelope", "objects: the envelope holds no objects");
        err.parameter = Some("objects".into());
        return Err(err);
    }
    let status = st.services.taxii_add(&ctx, &a.collection, objects).await?;
    Ok(taxii_json(StatusCode::ACCEPTED, &status))
}
