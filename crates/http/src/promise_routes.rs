//! Shipping promises: the supplier's and the campaign's shipping windows, a pre-sale SKU's
//! date, and the supplier's own late-shipment record, with their OpenAPI descriptions.

use crate::auth::Auth;
use crate::error::ErrorBody;
use crate::routes::JsonBody;
use crate::{ApiError, AppState};
use axum::extract::{Path, State};
use axum::Json;
use daihuo_domain::{CampaignId, SkuId};
use daihuo_service::promises::{
    LateRecordView, PresaleInput, PresaleView, ShipWindowInput, ShipWindowView,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

type ApiResult<T> = Result<Json<T>, ApiError>;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(set_supplier_window))
        .routes(routes!(set_campaign_window))
        .routes(routes!(set_presale))
        .routes(routes!(late_record))
}

/// Supplier: how long after payment its orders ship, 1 hour to 15 days
/// (`invalid_ship_window`); `null` returns to the default 48 hours. A campaign's window wins
/// over it; a pre-sale SKU's later date moves the promise later. Orders already routed keep
/// their promise.
#[utoipa::path(put, path = "/api/supplier/ship-window", tag = "supplier",
    security(("bearer" = [])), request_body = ShipWindowInput,
    responses((status = 200, body = ShipWindowView), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn set_supplier_window(
    State(state): State<AppState>,
    Auth(actor): Auth,
    JsonBody(input): JsonBody<ShipWindowInput>,
) -> ApiResult<ShipWindowView> {
    Ok(Json(
        state
            .services
            .set_supplier_ship_window(&actor, input)
            .await?,
    ))
}

/// Operator: the shipping window of orders bought in a campaign's sessions, 1 hour to
/// 15 days (`invalid_ship_window`); it wins over the suppliers' own. `null` clears it.
#[utoipa::path(put, path = "/api/campaigns/{id}/ship-window", tag = "buy",
    security(("bearer" = [])), params(("id" = i64, Path, description = "campaign id")),
    request_body = ShipWindowInput,
    responses((status = 200, body = ShipWindowView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_campaign_window(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<ShipWindowInput>,
) -> ApiResult<ShipWindowView> {
    Ok(Json(
        state
            .services
            .set_campaign_ship_window(&actor, CampaignId(id), input)
            .await?,
    ))
}

/// Supplier: makes its SKU a pre-sale promised to ship by a date, in the future and at most
/// 60 days ahead (`invalid_presale_date`); `null` makes it an ordinary SKU again. An order
/// ships by the later of that date and its payment plus the window.
#[utoipa::path(put, path = "/api/supplier/skus/{id}/presale", tag = "supplier",
    security(("bearer" = [])), params(("id" = i64, Path, description = "SKU id")),
    request_body = PresaleInput,
    responses((status = 200, body = PresaleView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_presale(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<PresaleInput>,
) -> ApiResult<PresaleView> {
    Ok(Json(
        state
            .services
            .set_presale_date(&actor, SkuId(id), input)
            .await?,
    ))
}

/// Supplier: its shipping record: orders routed with a promise, how many were late
/// (shipped after the promise or not shipped by it) and the compensation charged, in total
/// and per SKU.
#[utoipa::path(get, path = "/api/supplier/late-shipments", tag = "supplier",
    security(("bearer" = [])),
    responses((status = 200, body = LateRecordView), (status = 403, body = ErrorBody)))]
async fn late_record(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> ApiResult<LateRecordView> {
    Ok(Json(state.services.late_shipment_record(&actor).await?))
}
