//! The anchor's console: a dashboard, the selection centre (search the pool, keep a shelf),
//! sessions (schedule, edit, go live, end), live control (pin, flash sales, moderation, the
//! live dashboard) and the earnings statement.
//!
//! Every page and form asks the services with the signed-in anchor; the services decide who
//! may do what, so a page never shows or changes another anchor's session. Forms work
//! without script; `static/anchor.js` adds the live room (counters, comments) and posts the
//! comment buttons with `fetch`, asking for JSON answers from the same routes.

mod dashboard;
mod data;
mod earnings;
mod live;
mod nowcast;
mod selection;
mod sessions;

use crate::page::{after_form, Flash, PageError};
use crate::WebState;
use axum::http::header::ACCEPT;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use daihuo_domain::live::SessionStatus;
use daihuo_service::{ServiceError, ServiceResult};
use maud::{html, Markup};

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/anchor", get(dashboard::show))
        .route("/anchor/selection", get(selection::show))
        .route("/anchor/shelf", post(selection::shelve))
        .route("/anchor/shelf/remove", post(selection::unshelve))
        .route(
            "/anchor/sessions",
            get(sessions::list).post(sessions::schedule),
        )
        .route(
            "/anchor/sessions/{id}/edit",
            get(sessions::edit_form).post(sessions::edit),
        )
        .route("/anchor/sessions/{id}/go-live", post(sessions::go_live))
        .route("/anchor/sessions/{id}/end", post(sessions::end))
        .route("/anchor/sessions/{id}/live", get(live::show))
        .route("/anchor/sessions/{id}/live/stats", get(live::stats))
        .route("/anchor/sessions/{id}/pin", post(live::pin))
        .route(
            "/anchor/sessions/{id}/flash-sales",
            post(live::start_flash_sale),
        )
        .route(
            "/anchor/sessions/{id}/comments/{offset}/delete",
            post(live::delete_comment),
        )
        .route("/anchor/sessions/{id}/mutes", post(live::mute))
        .route(
            "/anchor/sessions/{id}/mutes/{user_id}/delete",
            post(live::unmute),
        )
        .route("/anchor/data", get(data::list))
        .route("/anchor/earnings", get(earnings::show))
        .route("/anchor/earnings.csv", get(earnings::csv))
}

pub(crate) use crate::page::parse_yuan;

/// A form field that was not a number where one was needed: the code and message a flash
/// shows, like a service's refusal.
pub(crate) fn bad_field(code: &str, message: String) -> Flash {
    Flash::Error {
        code: code.to_owned(),
        message,
    }
}

/// Where a form sends the browser back to: `back` when it is a path under `prefix` on this
/// site, else `default`. Bytes a `Location` header cannot carry (a search for 空调 typed
/// into the address bar) are percent-encoded.
pub(crate) fn back_to(back: Option<&str>, prefix: &str, default: &str) -> String {
    let Some(back) = back.filter(|b| b.starts_with(prefix) && !b.starts_with("//")) else {
        return default.to_owned();
    };
    let mut safe = String::with_capacity(back.len());
    for byte in back.bytes() {
        if byte.is_ascii_graphic() {
            safe.push(char::from(byte));
        } else {
            safe.push_str(&format!("%{byte:02X}"));
        }
    }
    safe
}

/// Whether a request came from a page script that wants a JSON answer.
fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("application/json"))
}

/// The answer to a form: JSON for a page script (`{"ok": …}` or the service's error body
/// with its status), else back to `to` with a flash.
pub(crate) fn answer<T>(
    headers: &HeaderMap,
    to: &str,
    result: ServiceResult<T>,
    ok: &str,
) -> Response {
    if !wants_json(headers) {
        return match result {
            // A page the actor may not see cannot show the refusal: say it here.
            Err(ServiceError::Forbidden) => {
                PageError::Service(ServiceError::Forbidden).into_response()
            }
            other => after_form(to, other, ok),
        };
    }
    match result {
        Ok(_) => Json(serde_json::json!({ "ok": ok })).into_response(),
        Err(error) => {
            let status = match &error {
                ServiceError::Forbidden | ServiceError::Denied { .. } => StatusCode::FORBIDDEN,
                ServiceError::NotFound(_) => StatusCode::NOT_FOUND,
                ServiceError::Conflict { .. } => StatusCode::CONFLICT,
                ServiceError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
                ServiceError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
                ServiceError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
                ServiceError::Unauthenticated | ServiceError::BadCredentials => {
                    StatusCode::UNAUTHORIZED
                }
                ServiceError::Internal(cause) => {
                    tracing::error!(error = %cause, "internal error behind a page script");
                    StatusCode::INTERNAL_SERVER_ERROR
                }
            };
            let message = match &error {
                ServiceError::Internal(_) => "internal error".to_owned(),
                other => other.to_string(),
            };
            let body = serde_json::json!({
                "error": { "code": error.code(), "message": message }
            });
            (status, Json(body)).into_response()
        }
    }
}

/// A session's status as a badge.
pub(crate) fn status_badge(page: &crate::page::Page, status: SessionStatus) -> Markup {
    match status {
        SessionStatus::Scheduled => html! { span.badge.warn { (page.t("未开播", "Scheduled")) } },
        SessionStatus::Live => html! { span.badge.live { (page.t("直播中", "Live")) } },
        SessionStatus::Ended => html! { span.badge { (page.t("已结束", "Ended")) } },
    }
}

/// `HH:MM` of a time in China, for chart labels.
pub(crate) fn clock(ms: i64) -> String {
    let full = crate::page::when(ms);
    full.split(' ').nth(1).unwrap_or(&full).to_owned()
}

/// A `datetime-local` input's value for Unix milliseconds (China time, minutes).
pub(crate) fn local_datetime_value(ms: i64) -> String {
    crate::page::when(ms).replacen(' ', "T", 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_inputs_read_as_people_type_them() {
        assert_eq!(parse_yuan("8999"), Some(899_900));
        assert_eq!(parse_yuan(" 8,999.5 "), Some(899_950));
        assert_eq!(parse_yuan("¥8999.05"), Some(899_905));
        assert_eq!(parse_yuan("0.01"), Some(1));
        assert_eq!(parse_yuan(""), None);
        assert_eq!(parse_yuan("-5"), None);
        assert_eq!(parse_yuan("1.234"), None);
        assert_eq!(parse_yuan("1e5"), None);
        assert_eq!(parse_yuan(".5"), None);
        assert_eq!(parse_yuan("100000001"), None);
    }

    #[test]
    fn forms_go_back_only_within_the_console() {
        assert_eq!(
            back_to(Some("/anchor/selection?q=空调"), "/anchor/selection", "/x"),
            "/anchor/selection?q=%E7%A9%BA%E8%B0%83"
        );
        assert_eq!(back_to(Some("https://evil.example"), "/anchor", "/x"), "/x");
        assert_eq!(back_to(Some("/viewer"), "/anchor", "/x"), "/x");
        assert_eq!(back_to(None, "/anchor", "/x"), "/x");
    }

    #[test]
    fn datetime_inputs_round_trip() {
        let ms = 1_795_435_200_000;
        assert_eq!(local_datetime_value(ms), "2026-11-23T20:00");
        assert_eq!(
            crate::page::parse_local_datetime(&local_datetime_value(ms)),
            Some(ms)
        );
        assert_eq!(clock(ms), "20:00");
    }
}
