//! The web app: server-rendered pages for the four roles (viewer, anchor, supplier staff,
//! operator) from the same binary as the API, Chinese by default with an English switch.
//!
//! Architecture invariant: like `http`, this crate only translates. A page handler reads its
//! request into a service call with the signed-in `Actor` and renders the result; it holds no
//! rules and no SQL. Pages sign in with an `HttpOnly` session cookie, and every form carries a
//! CSRF token (`page::CsrfForm`). Page scripts are small, hand-written and served from
//! `/static`; they watch rooms through the public room connection of the API and post through
//! these pages' own routes, never with the session token, which they cannot read.

mod anchor;
pub mod chart;
mod data;
mod demand;
mod operator;
pub mod page;
mod sign_in;
mod supplier;
mod viewer;

use axum::extract::{DefaultBodyLimit, Path};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use daihuo_service::Services;
use tower_http::set_header::SetResponseHeaderLayer;

/// What every page handler shares.
#[derive(Clone)]
pub struct WebState {
    /// The services.
    pub services: Services,
}

/// Scripts only from this site; styles from this site plus inline `style` attributes (bar
/// widths); images and video from anywhere, since SKU images and playback URLs are the
/// supplier's and the media server's; no framing; forms post only here.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data: https: http:; \
    media-src 'self' https: http: blob:; connect-src 'self'; frame-ancestors 'none'; \
    form-action 'self'; base-uri 'none'; object-src 'none'";

/// The pages' router. Mount it next to the API's; it adds its own security headers and form
/// body limit, which the API's routes do not share.
pub fn router(services: Services) -> Router {
    Router::new()
        .merge(sign_in::routes())
        .merge(viewer::routes())
        .merge(anchor::routes())
        .merge(supplier::routes())
        .merge(operator::routes())
        .merge(data::routes())
        .route("/static/{file}", get(static_file))
        .layer(DefaultBodyLimit::max(page::FORM_BODY_MAX_BYTES))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("content-security-policy"),
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("x-frame-options"),
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("referrer-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("x-content-type-options"),
            HeaderValue::from_static("nosniff"),
        ))
        .with_state(WebState { services })
}

/// The files under `static/`, compiled in: (name, content type, body).
const STATIC_FILES: &[(&str, &str, &str)] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../static/app.css"),
    ),
    (
        "room.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/room.js"),
    ),
    (
        "anchor.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/anchor.js"),
    ),
    (
        "supplier.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/supplier.js"),
    ),
];

async fn static_file(Path(name): Path<String>) -> Response {
    match STATIC_FILES.iter().find(|(file, _, _)| *file == name) {
        Some((_, content_type, body)) => (
            [
                (CONTENT_TYPE, HeaderValue::from_static(content_type)),
                // Short: a new binary's assets must show up without a hard reload.
                (
                    CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=300"),
                ),
            ],
            *body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
