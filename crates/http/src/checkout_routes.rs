//! Buying: addresses, flash sales, purchases and orders, with their OpenAPI descriptions.
//!
//! Purchases need an `Idempotency-Key` header: the same key with the same body returns the
//! same order (`Idempotent-Replayed: true` marks a replay), the same key with another body is
//! refused with `idempotency_key_reused`, and a concurrent duplicate gets
//! `idempotency_in_progress` — never a second order.

use crate::auth::Auth;
use crate::error::ErrorBody;
use crate::routes::JsonBody;
use crate::{ApiError, AppState};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use daihuo_domain::{CampaignId, FlashSaleId, LiveSessionId, OrderId};
use daihuo_service::checkout::{
    AddressInput, AddressView, BuyInput, FlashBuyInput, FlashSaleInput, FlashSaleView, OrderView,
    Placed,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

type ApiResult<T> = Result<Json<T>, ApiError>;

/// The header that carries a purchase's idempotency key.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(add_address, list_addresses))
        .routes(routes!(create_flash_sale, session_flash_sales))
        .routes(routes!(get_flash_sale))
        .routes(routes!(buy_flash))
        .routes(routes!(buy, my_orders))
        .routes(routes!(get_order))
        .routes(routes!(set_budget))
}

fn idempotency_key(headers: &HeaderMap) -> Result<&str, ApiError> {
    headers
        .get(IDEMPOTENCY_KEY)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_idempotency_key",
                "an Idempotency-Key header of 1 to 64 printable ASCII characters is required",
            )
        })
}

fn placed(placed: Placed) -> Response {
    let mut response = (StatusCode::CREATED, Json(placed.order)).into_response();
    if placed.replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}

/// Signed in: saves a delivery address (a real GB/T 2260 county code, a mainland mobile).
#[utoipa::path(post, path = "/api/addresses", tag = "buy", security(("bearer" = [])),
    request_body = AddressInput,
    responses((status = 201, body = AddressView), (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn add_address(
    State(state): State<AppState>,
    Auth(actor): Auth,
    JsonBody(input): JsonBody<AddressInput>,
) -> Result<(StatusCode, Json<AddressView>), ApiError> {
    let view = state.services.add_address(&actor, input).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Signed in: the own saved addresses.
#[utoipa::path(get, path = "/api/addresses", tag = "buy", security(("bearer" = [])),
    responses((status = 200, body = Vec<AddressView>), (status = 401, body = ErrorBody)))]
async fn list_addresses(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> ApiResult<Vec<AddressView>> {
    Ok(Json(state.services.addresses(&actor).await?))
}

/// The session's anchor: starts a flash sale of a SKU sold in the session. Its units are set
/// aside from the SKU's stock at once; a subsidy is paid from the session's campaign budget.
#[utoipa::path(post, path = "/api/live-sessions/{id}/flash-sales", tag = "buy",
    security(("bearer" = [])), params(("id" = i64, Path, description = "session id")),
    request_body = FlashSaleInput,
    responses((status = 201, body = FlashSaleView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn create_flash_sale(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<FlashSaleInput>,
) -> Result<(StatusCode, Json<FlashSaleView>), ApiError> {
    let view = state
        .services
        .create_flash_sale(&actor, LiveSessionId(id), input)
        .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Public: a session's flash sales with units left.
#[utoipa::path(get, path = "/api/live-sessions/{id}/flash-sales", tag = "buy",
    params(("id" = i64, Path, description = "session id")),
    responses((status = 200, body = Vec<FlashSaleView>)))]
async fn session_flash_sales(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Vec<FlashSaleView>> {
    Ok(Json(
        state
            .services
            .session_flash_sales(LiveSessionId(id))
            .await?,
    ))
}

/// Public: one flash sale with units left and its phase.
#[utoipa::path(get, path = "/api/flash-sales/{id}", tag = "buy",
    params(("id" = i64, Path, description = "flash sale id")),
    responses((status = 200, body = FlashSaleView), (status = 404, body = ErrorBody)))]
async fn get_flash_sale(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<FlashSaleView> {
    Ok(Json(state.services.flash_sale(FlashSaleId(id)).await?))
}

/// Signed in: buys from a flash sale. Answered once the reservation is durable; pay before
/// `reserved_until_ms` or the units go back on sale. Errors: `sold_out`, `limit_exceeded`,
/// `sale_not_started`, `sale_ended`, `subsidy_exhausted`, `idempotency_key_reused`,
/// `idempotency_in_progress`, `busy` (503, retry with the same key).
#[utoipa::path(post, path = "/api/flash-sales/{id}/orders", tag = "buy",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "flash sale id"),
        ("Idempotency-Key" = String, Header, description = "1–64 printable ASCII characters")),
    request_body = FlashBuyInput,
    responses((status = 201, body = OrderView), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn buy_flash(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
    headers: HeaderMap,
    JsonBody(input): JsonBody<FlashBuyInput>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let result = state
        .services
        .buy_flash(&actor, FlashSaleId(id), key, input)
        .await?;
    Ok(placed(result))
}

/// Signed in: buys a SKU at a live session's price, or from an anchor's shelf at the pool
/// price. Answered once the reservation is durable.
#[utoipa::path(post, path = "/api/orders", tag = "buy", security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, description = "1–64 printable ASCII characters")),
    request_body = BuyInput,
    responses((status = 201, body = OrderView), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn buy(
    State(state): State<AppState>,
    Auth(actor): Auth,
    headers: HeaderMap,
    JsonBody(input): JsonBody<BuyInput>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    Ok(placed(state.services.buy(&actor, key, input).await?))
}

/// Paging of the own orders.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrdersQuery {
    /// Orders with an id below this (the last id of the previous page).
    pub before: Option<i64>,
    /// Page size, 1–100 (default 20).
    pub limit: Option<i64>,
}

/// Signed in: the own orders, newest first.
#[utoipa::path(get, path = "/api/orders", tag = "buy", security(("bearer" = [])),
    params(OrdersQuery),
    responses((status = 200, body = Vec<OrderView>), (status = 401, body = ErrorBody)))]
async fn my_orders(
    State(state): State<AppState>,
    Auth(actor): Auth,
    query: Result<Query<OrdersQuery>, QueryRejection>,
) -> ApiResult<Vec<OrderView>> {
    let Query(query) = query?;
    Ok(Json(
        state
            .services
            .my_orders(&actor, query.before, query.limit.unwrap_or(20))
            .await?,
    ))
}

/// The buyer, the anchor who sold it, the supplier's staff or an operator: one order. The
/// phone is masked for everyone but the buyer and the supplier.
#[utoipa::path(get, path = "/api/orders/{id}", tag = "buy", security(("bearer" = [])),
    params(("id" = i64, Path, description = "order id")),
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody)))]
async fn get_order(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
) -> ApiResult<OrderView> {
    Ok(Json(state.services.order(&actor, OrderId(id)).await?))
}

/// A campaign's subsidy budget.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BudgetInput {
    /// The budget in fen; not below what is already held and spent.
    pub subsidy_budget_fen: i64,
}

/// Operator: sets a campaign's subsidy budget.
#[utoipa::path(put, path = "/api/campaigns/{id}/subsidy-budget", tag = "buy",
    security(("bearer" = [])), params(("id" = i64, Path, description = "campaign id")),
    request_body = BudgetInput,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn set_budget(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<BudgetInput>,
) -> Result<StatusCode, ApiError> {
    state
        .services
        .set_subsidy_budget(&actor, CampaignId(id), input.subsidy_budget_fen)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
