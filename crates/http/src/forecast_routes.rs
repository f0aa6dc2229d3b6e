//! The forecast before a live session and suppliers' replenishment advice, with their
//! OpenAPI descriptions (docs/REPLENISHMENT.md).

use crate::auth::Auth;
use crate::error::ErrorBody;
use crate::{ApiError, AppState};
use axum::extract::{Path, State};
use axum::Json;
use daihuo_domain::LiveSessionId;
use daihuo_service::forecast::{SessionAdvice, SessionForecast, SupplierAdvice};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

type ApiResult<T> = Result<Json<T>, ApiError>;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(session_forecast))
        .routes(routes!(session_replenishment))
        .routes(routes!(supplier_replenishment))
}

/// The session's anchor, operators, and suppliers for their own SKUs in it: expected units
/// per shelved SKU with an 80% prediction interval, the audience expected, and which
/// history each figure came from (`basis`: `anchor_sku`, `sku_across_anchors`,
/// `anchor_category`, `platform_category` or `no_history`).
#[utoipa::path(get, path = "/api/live-sessions/{id}/forecast", tag = "live",
    security(("bearer" = [])), params(("id" = i64, Path, description = "session id")),
    responses((status = 200, body = SessionForecast), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn session_forecast(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
) -> ApiResult<SessionForecast> {
    Ok(Json(
        state
            .services
            .session_forecast(&actor, LiveSessionId(id))
            .await?,
    ))
}

/// Supplier: what to move between its warehouses or top up, per SKU of its in a scheduled
/// session, before the session starts (`session_not_scheduled` once it has). The plan is the
/// forecast's upper end spread over the anchor's buyers' regions; stock is what is free
/// after claims, promises and earlier upcoming sessions' plans. The same advice comes as a
/// `replenishment.advised` event when the session's shelf, prices or start change.
#[utoipa::path(get, path = "/api/live-sessions/{id}/replenishment", tag = "supplier",
    security(("bearer" = [])), params(("id" = i64, Path, description = "session id")),
    responses((status = 200, body = SessionAdvice), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn session_replenishment(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
) -> ApiResult<SessionAdvice> {
    Ok(Json(
        state
            .services
            .session_replenishment(&actor, LiveSessionId(id))
            .await?,
    ))
}

/// Supplier: replenishment advice for each of its upcoming sessions (scheduled in the next
/// 14 days, at most 20, the soonest first), each planned from the stock the earlier ones
/// leave.
#[utoipa::path(get, path = "/api/supplier/replenishment", tag = "supplier",
    security(("bearer" = [])),
    responses((status = 200, body = SupplierAdvice), (status = 403, body = ErrorBody)))]
async fn supplier_replenishment(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> ApiResult<SupplierAdvice> {
    Ok(Json(state.services.supplier_replenishment(&actor).await?))
}
