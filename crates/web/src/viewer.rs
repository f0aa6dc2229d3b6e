//! The viewer's pages, phone first: home (live now, upcoming, anchors followed, notices), the
//! live room with its buy sheet, saved addresses, and my orders with tracking, receipt and
//! after-sales.
//!
//! Like every page here they only translate: each handler reads its request into one or a
//! few service calls with the signed-in actor and renders what comes back. The room page is
//! rendered from the session's snapshot and then kept live by `static/room.js`, which watches
//! the public room connection of the API and posts comments and likes to this module's routes.

mod addresses;
mod buy;
mod home;
mod orders;
mod room;

use crate::page::{Lang, Page};
use crate::WebState;
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use daihuo_domain::live::SessionStatus;
use daihuo_domain::order::OrderStatus;
use daihuo_service::live::LiveSessionView;
use daihuo_service::{ServiceError, ServiceResult};
use maud::{html, Markup};

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/", get(home::home))
        .route("/anchors/{id}/follow", post(home::follow))
        .route("/notifications/read", post(home::mark_read))
        .route("/live/{id}", get(room::room))
        .route("/live/{id}/comment", post(room::comment))
        .route("/live/{id}/like", post(room::like))
        .route("/live/{id}/buy", get(buy::sheet_page).post(buy::buy))
        .route("/addresses", get(addresses::addresses).post(addresses::add))
        .route("/orders", get(orders::list))
        .route("/orders/{id}", get(orders::detail))
        .route("/orders/{id}/pay", post(buy::pay_again))
        .route("/orders/{id}/receipt", post(orders::confirm_receipt))
        .route(
            "/orders/{id}/after-sales",
            post(orders::request_after_sales),
        )
        .route("/after-sales/{id}/return", post(orders::ship_return))
        .route("/after-sales/{id}/dispute", post(orders::dispute))
        .route("/after-sales/{id}/withdraw", post(orders::withdraw))
}

/// Whether a request came from a page script (`fetch` with the CSRF header) rather than a
/// form the browser submitted: scripts get JSON, forms a redirect.
fn from_script(headers: &HeaderMap) -> bool {
    headers.contains_key(crate::page::CSRF_HEADER)
}

/// A script's answer: `200 {"ok": true, …}` or the service's error as the API shapes it.
fn script_answer(result: ServiceResult<serde_json::Value>) -> Response {
    match result {
        Ok(mut body) => {
            if let Some(object) = body.as_object_mut() {
                object.insert("ok".into(), serde_json::Value::Bool(true));
            }
            Json(body).into_response()
        }
        Err(error) => {
            let status = match &error {
                ServiceError::Unauthenticated => StatusCode::UNAUTHORIZED,
                ServiceError::Forbidden | ServiceError::Denied { .. } => StatusCode::FORBIDDEN,
                ServiceError::NotFound(_) => StatusCode::NOT_FOUND,
                ServiceError::Conflict { .. } => StatusCode::CONFLICT,
                ServiceError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
                ServiceError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
                ServiceError::Internal(cause) => {
                    tracing::error!(error = %cause, "internal error behind a page script");
                    StatusCode::INTERNAL_SERVER_ERROR
                }
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let message = match &error {
                ServiceError::Internal(_) => "internal error".to_owned(),
                other => other.to_string(),
            };
            let body = serde_json::json!({"error": {"code": error.code(), "message": message}});
            (status, Json(body)).into_response()
        }
    }
}

/// A `303 See Other` to a URL the payment gateway gave, which may be on another site (the
/// page module's own redirect keeps to this site, as it must for URLs from query strings).
fn redirect_to_gateway(url: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    match HeaderValue::from_str(url) {
        Ok(value) => {
            response.headers_mut().insert(LOCATION, value);
            response
        }
        Err(_) => crate::page::redirect("/orders"),
    }
}

/// A path of this site to come back to, from a form's hidden field; anything else is `/`.
fn back_path(raw: Option<&str>) -> String {
    match raw {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// An id from a form field that may be empty (an `<input>` left blank).
fn optional_id(raw: Option<&str>) -> Result<Option<i64>, String> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => text
            .parse::<i64>()
            .map(Some)
            .map_err(|_| format!("{text:?} is not a number")),
    }
}

/// An order's status in words.
fn order_status(lang: Lang, status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Created => lang.t("已创建", "Created"),
        OrderStatus::Reserved => lang.t("待支付", "Awaiting payment"),
        OrderStatus::Paid => lang.t("已支付", "Paid"),
        OrderStatus::Routed => lang.t("已分仓，待发货", "Paid, routed to a warehouse"),
        OrderStatus::Shipped => lang.t("已发货", "Shipped"),
        OrderStatus::Delivered => lang.t("已签收", "Delivered"),
        OrderStatus::Completed => lang.t("已完成", "Completed"),
        OrderStatus::Cancelled => lang.t("已取消", "Cancelled"),
        OrderStatus::RefundPending => lang.t("退款中", "Refund pending"),
        OrderStatus::Refunded => lang.t("已退款", "Refunded"),
        OrderStatus::RefundFailed => lang.t("退款失败", "Refund failed"),
    }
}

/// The badge colour of an order's status.
fn order_badge(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Reserved | OrderStatus::RefundPending => "badge warn",
        OrderStatus::Cancelled | OrderStatus::RefundFailed => "badge bad",
        OrderStatus::Created | OrderStatus::Refunded => "badge",
        _ => "badge ok",
    }
}

/// A session card for the home page's grids: it links to the room.
fn session_card(page: &Page, session: &LiveSessionView) -> Markup {
    html! {
        a.session-card href={ "/live/" (session.id) } data-session-id=(session.id) {
            div.cover {
                @match session.status {
                    SessionStatus::Live => span.badge.live { (page.t("直播中", "LIVE")) },
                    SessionStatus::Scheduled => span.badge { (page.t("预告", "Soon")) " " (crate::page::when(session.starts_at_ms)) },
                    SessionStatus::Ended => span.badge { (page.t("已结束", "Ended")) },
                }
                span.cover-title { (session.title) }
            }
            div.meta {
                div.anchor-name { (session.anchor_name) }
                @if session.status == SessionStatus::Live {
                    div.muted { (session.counters.unique_viewers) " " (page.t("人看过", "watched")) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_of_this_site_are_come_back_to() {
        assert_eq!(back_path(Some("/live/3")), "/live/3");
        assert_eq!(back_path(Some("//evil.example/x")), "/");
        assert_eq!(back_path(Some("https://evil.example")), "/");
        assert_eq!(back_path(Some("/\\evil")), "/");
        assert_eq!(back_path(None), "/");
    }

    #[test]
    fn blank_ids_are_absent_and_bad_ones_refused() {
        assert_eq!(optional_id(Some("")), Ok(None));
        assert_eq!(optional_id(Some(" 42 ")), Ok(Some(42)));
        assert_eq!(optional_id(None), Ok(None));
        assert!(optional_id(Some("4x")).is_err());
    }
}
