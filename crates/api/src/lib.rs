//! HTTP interfaces of a node: the REST API under `/api/v1` (OpenAPI generated from these
//! handlers), `/healthz` and `/metrics`. Later: TAXII, web UI, federation endpoint.
//!
//! Handlers are thin: extract, call one service, map the result. Errors become RFC 9457
//! problems in `problem.rs` only.

pub mod extract;
mod metrics;
pub mod problem;
mod routes;
pub mod taxii;

use atalaya_services::Services;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::Router;
use std::net::SocketAddr;
use std::time::Duration;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// Limits of the HTTP layer.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Largest accepted STIX bundle body, in bytes.
    pub max_bundle_bytes: usize,
    /// Whole-request timeout.
    pub request_timeout: Duration,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig { max_body_bytes: 1024 * 1024, max_bundle_bytes: 64 * 1024 * 1024, request_timeout: Duration::from_secs(120) }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub services: Services,
    pub metrics: metrics::Metrics,
    pub openapi: std::sync::Arc<String>,
    pub limits: HttpConfig,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Atalaya node API",
        description = "REST API of an Atalaya node: the directory of the network, accounts, tokens and the audit log. \
                       Errors are RFC 9457 problem+json documents naming the offending field.",
        license(name = "Apache-2.0")
    ),
    modifiers(&SecurityAddon),
    components(schemas(problem::Problem)),
    tags(
        (name = "system", description = "Health, metrics, node identity"),
        (name = "auth", description = "Login and API tokens"),
        (name = "directory", description = "Organisations, points of contact, constituencies"),
        (name = "users", description = "Accounts of the organisations on this node"),
        (name = "audit", description = "The hash-chained audit log"),
        (name = "intel", description = "STIX 2.1 threat intelligence: import, objects, correlation, export"),
        (name = "incidents", description = "Cross-border incident cases: routing, notifications, participation, deadlines"),
        (name = "federation", description = "Peers of this node and retractions across the federation (protocol: docs/federation.md)"),
        (name = "taxii", description = "TAXII 2.1 administration: served collections, remote feeds pulled on a schedule")
    )
)]
struct ApiDoc;

struct SecurityAddon;
impl utoipa::Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("atl_…").build()),
        );
    }
}

/// The OpenAPI document and the routes it describes, built from the same handler list.
fn api_router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi()).merge(routes::router()).split_for_parts()
}

/// The OpenAPI document of the whole REST API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_router().1
}

/// The complete HTTP application of a node.
pub fn app(services: Services, cfg: &HttpConfig) -> Router {
    let (api, doc) = api_router();
    let openapi = doc.to_json().unwrap_or_else(|_| "{}".into());
    let metrics = metrics::Metrics::new();
    let state = AppState { services, metrics: metrics.clone(), openapi: std::sync::Arc::new(openapi), limits: cfg.clone() };
    let sec = |name: &'static str, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(HeaderName::from_static(name), HeaderValue::from_static(value))
    };
    api.route_layer(axum::middleware::from_fn(extract::credentials_first))
        .merge(routes::system_router())
        .merge(taxii::router())
        .merge(routes::federation::protocol_router())
        // The web interface at /ui/ (and / redirecting there): crates/web.
        .merge(atalaya_web::router(state.services.clone()))
        .fallback(routes::fallback)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(DefaultBodyLimit::max(cfg.max_bundle_bytes.max(cfg.max_body_bytes)))
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, cfg.request_timeout))
        .layer(sec("x-content-type-options", "nosniff"))
        .layer(sec("x-frame-options", "DENY"))
        .layer(sec("referrer-policy", "no-referrer"))
        .layer(sec("content-security-policy", "default-src 'none'; frame-ancestors 'none'"))
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .with_state(state)
}

/// Serves until `shutdown` resolves, then drains in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    services: Services,
    cfg: HttpConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Scheduled TAXII pulls (remote feeds) run inside the node; stopped with the server.
    let feeds = services.spawn_taxii_feeds(Duration::from_secs(1));
    let app = app(services, &cfg);
    let done = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await;
    feeds.abort();
    done
}
