//! After-sales (售后): the buyer's requests, return parcels, disputes and withdrawals, the
//! supplier's decisions, received returns and queue, and the operator's arbitration, with
//! their OpenAPI descriptions.

use crate::auth::Auth;
use crate::error::ErrorBody;
use crate::routes::JsonBody;
use crate::{ApiError, AppState};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use daihuo_domain::after_sales::AfterSalesStatus;
use daihuo_domain::OrderId;
use daihuo_service::after_sales::{
    AfterSalesInput, AfterSalesPage, AfterSalesView, ArbitrationInput, DecisionInput, DisputeInput,
    ReturnShipmentInput,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

type ApiResult<T> = Result<Json<T>, ApiError>;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(request_after_sales, order_after_sales))
        .routes(routes!(ship_return))
        .routes(routes!(dispute))
        .routes(routes!(withdraw))
        .routes(routes!(decide))
        .routes(routes!(receive_return))
        .routes(routes!(supplier_queue))
        .routes(routes!(arbitrate))
        .routes(routes!(operator_queue))
}

/// The buyer asks for a return or a refund on their paid order: `no_reason_return` (within
/// 7 days of delivery), `refund_only_not_shipped` (before it ships), `refund_only_never_received`
/// (shipped, or within 7 days of a reported delivery) or `quality_complaint` (within 14 days of
/// delivery, with `evidence`). Refusals: `after_sales_not_eligible`, `after_sales_open` (409);
/// `invalid_evidence`, `evidence_not_expected`, `invalid_units` (422); another buyer's order is
/// `not_found`.
#[utoipa::path(post, path = "/api/orders/{id}/after-sales", tag = "after-sales",
    security(("bearer" = [])), params(("id" = i64, Path, description = "order id")),
    request_body = AfterSalesInput,
    responses((status = 201, body = AfterSalesView), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn request_after_sales(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<AfterSalesInput>,
) -> Result<(StatusCode, Json<AfterSalesView>), ApiError> {
    let view = state
        .services
        .request_after_sales(&actor, OrderId(id), input)
        .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// The order's after-sales requests, oldest first: for its buyer, its supplier and
/// operators.
#[utoipa::path(get, path = "/api/orders/{id}/after-sales", tag = "after-sales",
    security(("bearer" = [])), params(("id" = i64, Path, description = "order id")),
    responses((status = 200, body = Vec<AfterSalesView>), (status = 404, body = ErrorBody)))]
async fn order_after_sales(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
) -> ApiResult<Vec<AfterSalesView>> {
    Ok(Json(
        state
            .services
            .order_after_sales(&actor, OrderId(id))
            .await?,
    ))
}

/// The buyer sends the goods of a granted return back: the parcel's carrier and waybill,
/// checked as a supplier's are (`unknown_carrier`, `waybill_format`, …). A refund-only request
/// has nothing to send (`no_return_for_refund_only`); one not granted is `after_sales_state`.
#[utoipa::path(post, path = "/api/after-sales/{id}/return-shipment", tag = "after-sales",
    security(("bearer" = [])), params(("id" = i64, Path, description = "after-sales request id")),
    request_body = ReturnShipmentInput,
    responses((status = 200, body = AfterSalesView), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn ship_return(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<ReturnShipmentInput>,
) -> ApiResult<AfterSalesView> {
    Ok(Json(state.services.ship_return(&actor, id, input).await?))
}

/// The buyer asks an operator to arbitrate the supplier's rejection, with a reason.
#[utoipa::path(post, path = "/api/after-sales/{id}/dispute", tag = "after-sales",
    security(("bearer" = [])), params(("id" = i64, Path, description = "after-sales request id")),
    request_body = DisputeInput,
    responses((status = 200, body = AfterSalesView), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn dispute(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<DisputeInput>,
) -> ApiResult<AfterSalesView> {
    Ok(Json(
        state
            .services
            .dispute_after_sales(&actor, id, input)
            .await?,
    ))
}

/// The buyer withdraws a request: while it waits for the supplier, once granted (before the
/// goods go back) or once rejected (before a dispute).
#[utoipa::path(post, path = "/api/after-sales/{id}/withdraw", tag = "after-sales",
    security(("bearer" = [])), params(("id" = i64, Path, description = "after-sales request id")),
    responses((status = 200, body = AfterSalesView), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn withdraw(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
) -> ApiResult<AfterSalesView> {
    Ok(Json(state.services.withdraw_after_sales(&actor, id).await?))
}

/// Supplier: approves or rejects (with a `reason`) a request before `decide_by_ms`; after it,
/// silence has approved (`decision_deadline_passed`). Approving a refund-only request refunds
/// the buyer at once.
#[utoipa::path(post, path = "/api/supplier/after-sales/{id}/decision", tag = "after-sales",
    security(("bearer" = [])), params(("id" = i64, Path, description = "after-sales request id")),
    request_body = DecisionInput,
    responses((status = 200, body = AfterSalesView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn decide(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<DecisionInput>,
) -> ApiResult<AfterSalesView> {
    Ok(Json(
        state.services.decide_after_sales(&actor, id, input).await?,
    ))
}

/// Supplier: the returned goods arrived; the buyer is refunded what the returned units are
/// worth.
#[utoipa::path(post, path = "/api/supplier/after-sales/{id}/return-received", tag = "after-sales",
    security(("bearer" = [])), params(("id" = i64, Path, description = "after-sales request id")),
    responses((status = 200, body = AfterSalesView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn receive_return(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
) -> ApiResult<AfterSalesView> {
    Ok(Json(state.services.receive_return(&actor, id).await?))
}

/// Paging and filter of an after-sales queue.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// Only requests in this status (`requested`, `disputed`, `return_shipped`, …).
    pub status: Option<AfterSalesStatus>,
    /// Requests with ids below this: `next_before` of the previous page.
    pub before: Option<i64>,
    /// How many, 1–100 (default 50).
    pub limit: Option<i64>,
}

/// Supplier: its after-sales queue, newest first.
#[utoipa::path(get, path = "/api/supplier/after-sales", tag = "after-sales",
    security(("bearer" = [])), params(QueueQuery),
    responses((status = 200, body = AfterSalesPage), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
async fn supplier_queue(
    State(state): State<AppState>,
    Auth(actor): Auth,
    query: Result<Query<QueueQuery>, QueryRejection>,
) -> ApiResult<AfterSalesPage> {
    let Query(query) = query?;
    Ok(Json(
        state
            .services
            .supplier_after_sales(
                &actor,
                query.status,
                query.before,
                query.limit.unwrap_or(50),
            )
            .await?,
    ))
}

/// Operator: rules on a disputed request, `uphold` (the rejection stands, finally) or
/// `overturn` (the request proceeds as approved), with a `note`.
#[utoipa::path(post, path = "/api/operator/after-sales/{id}/arbitration", tag = "after-sales",
    security(("bearer" = [])), params(("id" = i64, Path, description = "after-sales request id")),
    request_body = ArbitrationInput,
    responses((status = 200, body = AfterSalesView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn arbitrate(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<ArbitrationInput>,
) -> ApiResult<AfterSalesView> {
    Ok(Json(
        state
            .services
            .arbitrate_after_sales(&actor, id, input)
            .await?,
    ))
}

/// Operator: every supplier's requests, newest first; `status=disputed` is the arbitration
/// queue.
#[utoipa::path(get, path = "/api/operator/after-sales", tag = "after-sales",
    security(("bearer" = [])), params(QueueQuery),
    responses((status = 200, body = AfterSalesPage), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
async fn operator_queue(
    State(state): State<AppState>,
    Auth(actor): Auth,
    query: Result<Query<QueueQuery>, QueryRejection>,
) -> ApiResult<AfterSalesPage> {
    let Query(query) = query?;
    Ok(Json(
        state
            .services
            .operator_after_sales(
                &actor,
                query.status,
                query.before,
                query.limit.unwrap_or(50),
            )
            .await?,
    ))
}
