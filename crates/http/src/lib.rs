//! The JSON HTTP API of daihuo: routes, authentication, error bodies, limits, the OpenAPI
//! document, health and metrics.
//!
//! Architecture invariant: this crate only translates. It turns requests into service calls
//! and service results into responses; it holds no rules and no SQL. Routes are registered
//! with their OpenAPI description in one place (`utoipa-axum`), so the committed document
//! cannot miss a route.

mod after_sales_routes;
mod auth;
mod checkout_routes;
mod data_routes;
mod error;
mod forecast_routes;
mod fulfilment_routes;
mod live_routes;
mod metrics_layer;
mod nowcast_routes;
mod payment_routes;
mod promise_routes;
mod rooms;
mod routes;
mod settlement_routes;

pub use error::ApiError;
pub use fulfilment_routes::HttpWebhooks;

use auth::BearerSecurity;
use axum::extract::DefaultBodyLimit;
use axum::Router;
use daihuo_service::Services;
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// The largest JSON body: a bulk upsert of 1,000 SKUs fits with room to spare.
pub const JSON_BODY_MAX_BYTES: usize = 4 * 1024 * 1024;
/// The largest CSV feed upload; bigger catalogues go through `daihuo import` or in parts.
pub const FEED_BODY_MAX_BYTES: usize = 64 * 1024 * 1024;
/// A request that takes longer than this is answered with 408 rather than held open.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The services.
    pub services: Services,
    /// Renders Prometheus metrics.
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "daihuo",
        description = "Open-source live-commerce engine: the supplier product pool, the selection centre, live sessions and accounts.",
        license(name = "MIT OR Apache-2.0")
    ),
    components(schemas(error::ErrorBody)),
    modifiers(&BearerSecurity),
    tags(
        (name = "accounts", description = "Sign-up, sign-in and tokens"),
        (name = "supplier", description = "A supplier's catalogue, warehouses and stock"),
        (name = "operator", description = "Supplier onboarding and SKU review"),
        (name = "selection", description = "The selection centre and anchors' shelves"),
        (name = "live", description = "Live sessions, follows, notifications, room moderation and campaigns"),
        (name = "buy", description = "Addresses, flash sales, purchases and orders"),
        (name = "after-sales", description = "Returns, refunds, supplier decisions and operator arbitration"),
        (name = "room", description = "The live room: WebSocket and SSE connection, comments, likes, notices"),
        (name = "settlement", description = "Settlement runs, payouts, statements and reconciliation"),
        (name = "data", description = "Live-session data: minute series, post-session reports, supplier and platform views"),
        (name = "system", description = "Health and metrics")
    )
)]
struct ApiDoc;

fn api_router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(routes::router())
        .merge(live_routes::router())
        .merge(rooms::router())
        .merge(checkout_routes::router())
        .merge(payment_routes::router())
        .merge(fulfilment_routes::router())
        .merge(settlement_routes::router())
        .merge(after_sales_routes::router())
        .merge(promise_routes::router())
        .merge(forecast_routes::router())
        .merge(data_routes::router())
        .merge(nowcast_routes::router())
        .split_for_parts()
}

/// The OpenAPI document, as served at `/api/openapi.json` and committed as `openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_router().1
}

/// The whole application router over `state`.
pub fn router(state: AppState) -> Router {
    let (api, doc) = api_router();
    let doc = std::sync::Arc::new(doc);
    api.route(
        "/api/openapi.json",
        axum::routing::get(move || {
            let doc = doc.clone();
            async move { axum::Json(doc.as_ref().clone()) }
        }),
    )
    .route("/healthz", axum::routing::get(routes::healthz))
    .route("/metrics", axum::routing::get(routes::metrics))
    .fallback(routes::not_found)
    .method_not_allowed_fallback(routes::method_not_allowed)
    .layer(DefaultBodyLimit::max(JSON_BODY_MAX_BYTES))
    .layer(RequestBodyLimitLayer::new(FEED_BODY_MAX_BYTES))
    .layer(axum::middleware::from_fn(metrics_layer::track))
    .layer(tower_http::timeout::TimeoutLayer::with_status_code(
        axum::http::StatusCode::REQUEST_TIMEOUT,
        REQUEST_TIMEOUT,
    ))
    .layer(TraceLayer::new_for_http())
    .layer(
        tower_http::set_header::SetResponseHeaderLayer::if_not_present(
            axum::http::header::X_CONTENT_TYPE_OPTIONS,
            axum::http::HeaderValue::from_static("nosniff"),
        ),
    )
    .with_state(state)
}

/// Serves `state` on `listener` until `shutdown` completes, then finishes in-flight requests.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve(listener, router(state), shutdown).await
}

/// Serves `state` with `extra` routes nested under `prefix` (the sandbox payment gateway's,
/// say) on `listener` until `shutdown` completes.
pub async fn run_with(
    listener: TcpListener,
    state: AppState,
    prefix: &str,
    extra: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve(listener, router(state).nest(prefix, extra), shutdown).await
}

/// Serves `app` (this crate's router merged with others: the web pages, the sandbox gateway)
/// on `listener` until `shutdown` completes, then finishes in-flight requests.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // No Nagle: a room frame written while the previous one is unacknowledged would
    // otherwise wait for the client's delayed ACK (40 ms on Linux).
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// The process's Prometheus recorder, installed on first use (a process has one).
pub fn metrics_handle() -> metrics_exporter_prometheus::PrometheusHandle {
    static HANDLE: std::sync::OnceLock<metrics_exporter_prometheus::PrometheusHandle> =
        std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (a test harness); ours then renders
            // nothing but the server still works.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}
