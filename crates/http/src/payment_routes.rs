//! Paying for orders: the buyer starts a payment, the gateway's notifications come in, and
//! operators see the notifications that were refused. With their OpenAPI descriptions.
//!
//! The notify route has no bearer auth: the gateway's signature is its credential, checked
//! by the service. It answers 200 only after what the notification says is committed.

use crate::auth::Auth;
use crate::error::ErrorBody;
use crate::{ApiError, AppState};
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use daihuo_domain::OrderId;
use daihuo_service::payments::{NotifyError, PaymentView, RejectedNotificationView};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start_payment))
        .routes(routes!(payment_notify))
        .routes(routes!(rejected_notifications))
}

/// The buyer: starts paying a reserved order through the payment gateway and gets the pay
/// page. Asking again returns the same pending payment. Refused with `order_not_payable`
/// when the order is not reserved or its deadline has passed.
#[utoipa::path(post, path = "/api/orders/{id}/payments", tag = "buy",
    security(("bearer" = [])), params(("id" = i64, Path, description = "order id")),
    responses((status = 200, body = PaymentView), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
async fn start_payment(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
) -> Result<Json<PaymentView>, ApiError> {
    Ok(Json(
        state.services.start_payment(&actor, OrderId(id)).await?,
    ))
}

/// The answer to an applied notification.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotifyAck {
    /// Always true: the notification is applied (or was before) and committed.
    pub acknowledged: bool,
}

/// The payment gateway: a signed notification (`X-Sandbox-Event-Id`, `X-Sandbox-Timestamp`,
/// `X-Sandbox-Signature`). 200 once applied and committed, also for an event applied before;
/// 400 with the code (`signature_invalid`, `timestamp_out_of_window`, `missing_header`,
/// `malformed_notification`, `body_too_large`, `unknown_payment`, `amount_mismatch`) when
/// refused, which is recorded for operators; 503 when it could not be applied now.
#[utoipa::path(post, path = "/api/payments/notify", tag = "buy",
    request_body(content = String, description = "the notification JSON, exactly as signed",
        content_type = "application/json"),
    responses((status = 200, body = NotifyAck), (status = 400, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
async fn payment_notify(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<NotifyAck>, ApiError> {
    let headers: Vec<(String, String)> = headers
        .iter()
        .filter_map(|(name, value)| {
            value
                .to_str()
                .ok()
                .map(|value| (name.as_str().to_owned(), value.to_owned()))
        })
        .collect();
    match state.services.payment_notification(&headers, &body).await {
        Ok(()) => Ok(Json(NotifyAck { acknowledged: true })),
        Err(NotifyError::Rejected { code, message }) => {
            Err(ApiError::new(StatusCode::BAD_REQUEST, code, message))
        }
        Err(NotifyError::Failed(error)) => Err(error.into()),
    }
}

/// Paging of refused notifications.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RejectedQuery {
    /// How many, 1–100 (default 50).
    pub limit: Option<i64>,
}

/// Operator: the latest payment notifications that were refused (forged, altered, stale,
/// about an unknown payment), newest first.
#[utoipa::path(get, path = "/api/operator/rejected-notifications", tag = "operator",
    security(("bearer" = [])), params(RejectedQuery),
    responses((status = 200, body = Vec<RejectedNotificationView>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn rejected_notifications(
    State(state): State<AppState>,
    Auth(actor): Auth,
    query: Result<Query<RejectedQuery>, QueryRejection>,
) -> Result<Json<Vec<RejectedNotificationView>>, ApiError> {
    let Query(query) = query?;
    Ok(Json(
        state
            .services
            .rejected_notifications(&actor, query.limit.unwrap_or(50))
            .await?,
    ))
}
