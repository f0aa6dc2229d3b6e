//! Every API route with its OpenAPI description.

use crate::auth::Auth;
use crate::error::ErrorBody;
use crate::{ApiError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use daihuo_domain::{ApiTokenId, SkuId, SupplierId};
use daihuo_service::accounts::{
    ApiTokenGrant, NewSupplier, SessionGrant, SignUp, SupplierCreated, UserView,
};
use daihuo_service::catalog::{
    PriceChange, SkuInput, SkuView, StockUpdateInput, StockUpdateResult, UpsertReport,
    WarehouseInput, WarehouseStock, WarehouseView,
};
use daihuo_service::feed::FeedReport;
use daihuo_service::quality::SupplierQualityView;
use daihuo_service::selection::{PoolPage, PoolSearch};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

type ApiResult<T> = Result<Json<T>, ApiError>;

/// Reads a JSON body, turning every rejection into a coded error.
pub struct JsonBody<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for JsonBody<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let Json(value) = Json::<T>::from_request(req, state).await?;
        Ok(JsonBody(value))
    }
}

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sign_up))
        .routes(routes!(sign_in, sign_out))
        .routes(routes!(me))
        .routes(routes!(create_supplier))
        .routes(routes!(review_queue))
        .routes(routes!(review_sku))
        .routes(routes!(create_api_token))
        .routes(routes!(revoke_api_token))
        .routes(routes!(list_warehouses, upsert_warehouse))
        .routes(routes!(list_catalogue, upsert_skus))
        .routes(routes!(upload_feed))
        .routes(routes!(sku_stock))
        .routes(routes!(update_stock))
        .routes(routes!(set_listing))
        .routes(routes!(get_sku))
        .routes(routes!(price_history))
        .routes(routes!(search_pool))
        .routes(routes!(shelf))
        .routes(routes!(supplier_quality))
        .routes(routes!(shelve, unshelve))
}

/// Sign-in credentials.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SignIn {
    /// Login name.
    pub username: String,
    /// Password.
    pub password: String,
}

/// Creates a viewer or anchor account.
#[utoipa::path(post, path = "/api/accounts", tag = "accounts", request_body = SignUp,
    responses((status = 201, body = UserView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn sign_up(
    State(state): State<AppState>,
    JsonBody(input): JsonBody<SignUp>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(state.services.sign_up(input).await?),
    ))
}

/// Signs in and returns a bearer token.
#[utoipa::path(post, path = "/api/sessions", tag = "accounts", request_body = SignIn,
    responses((status = 201, body = SessionGrant), (status = 401, body = ErrorBody)))]
async fn sign_in(
    State(state): State<AppState>,
    JsonBody(input): JsonBody<SignIn>,
) -> Result<(StatusCode, Json<SessionGrant>), ApiError> {
    let grant = state
        .services
        .sign_in(&input.username, &input.password)
        .await?;
    Ok((StatusCode::CREATED, Json(grant)))
}

/// Signs out: the bearer session token stops working.
#[utoipa::path(delete, path = "/api/sessions", tag = "accounts", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn sign_out(
    State(state): State<AppState>,
    Auth(actor): Auth,
    headers: axum::http::HeaderMap,
) -> Result<StatusCode, ApiError> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .unwrap_or("");
    if actor.credential != daihuo_service::Credential::Session {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_a_session",
            "API tokens are revoked, not signed out",
        ));
    }
    state.services.sign_out(token.trim()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in account.
#[utoipa::path(get, path = "/api/me", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = UserView), (status = 401, body = ErrorBody)))]
async fn me(State(state): State<AppState>, Auth(actor): Auth) -> ApiResult<UserView> {
    Ok(Json(state.services.me(&actor).await?))
}

/// Operator: creates a supplier organisation with its first staff account.
#[utoipa::path(post, path = "/api/operator/suppliers", tag = "operator", security(("bearer" = [])),
    request_body = NewSupplier,
    responses((status = 201, body = SupplierCreated), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create_supplier(
    State(state): State<AppState>,
    Auth(actor): Auth,
    JsonBody(input): JsonBody<NewSupplier>,
) -> Result<(StatusCode, Json<SupplierCreated>), ApiError> {
    let created = state.services.create_supplier(&actor, input).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Paging by id.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IdPage {
    /// Return items with a larger id than this.
    pub after_id: Option<i64>,
    /// Page size, 1–500 (default 100).
    pub limit: Option<i64>,
}

impl IdPage {
    pub(crate) fn checked(&self) -> Result<(i64, i64), ApiError> {
        let limit = self.limit.unwrap_or(100);
        if !(1..=500).contains(&limit) {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_limit",
                "limit must be 1 to 500",
            ));
        }
        Ok((self.after_id.unwrap_or(0), limit))
    }
}

/// Operator: SKUs waiting for review, oldest first.
#[utoipa::path(get, path = "/api/operator/review-queue", tag = "operator", security(("bearer" = [])),
    params(IdPage), responses((status = 200, body = Vec<SkuView>), (status = 403, body = ErrorBody)))]
async fn review_queue(
    State(state): State<AppState>,
    Auth(actor): Auth,
    page: Result<Query<IdPage>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Vec<SkuView>> {
    let (after, limit) = page?.checked()?;
    Ok(Json(
        state.services.review_queue(&actor, after, limit).await?,
    ))
}

/// A review decision.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReviewDecision {
    /// `approve` or `reject`.
    pub decision: Decision,
    /// Required when rejecting; shown to the supplier.
    pub reason: Option<String>,
}

/// Approve or reject.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Into the pool.
    Approve,
    /// Back to the supplier with a reason.
    Reject,
}

/// Operator: approves a SKU into the pool or rejects it with a reason.
#[utoipa::path(post, path = "/api/operator/skus/{id}/review", tag = "operator", security(("bearer" = [])),
    params(("id" = i64, Path, description = "SKU id")), request_body = ReviewDecision,
    responses((status = 200, body = SkuView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn review_sku(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<ReviewDecision>,
) -> ApiResult<SkuView> {
    let approve = matches!(input.decision, Decision::Approve);
    Ok(Json(
        state
            .services
            .review_sku(&actor, SkuId(id), approve, input.reason)
            .await?,
    ))
}

/// A new API token's name.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewApiToken {
    /// What it is for, e.g. "ERP".
    pub name: String,
}

/// Supplier staff: creates an API token for the organisation's own systems.
#[utoipa::path(post, path = "/api/supplier/api-tokens", tag = "supplier", security(("bearer" = [])),
    request_body = NewApiToken, responses((status = 201, body = ApiTokenGrant), (status = 403, body = ErrorBody)))]
async fn create_api_token(
    State(state): State<AppState>,
    Auth(actor): Auth,
    JsonBody(input): JsonBody<NewApiToken>,
) -> Result<(StatusCode, Json<ApiTokenGrant>), ApiError> {
    let grant = state.services.create_api_token(&actor, &input.name).await?;
    Ok((StatusCode::CREATED, Json(grant)))
}

/// Supplier staff: revokes an API token.
#[utoipa::path(delete, path = "/api/supplier/api-tokens/{id}", tag = "supplier", security(("bearer" = [])),
    params(("id" = i64, Path, description = "token id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn revoke_api_token(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state
        .services
        .revoke_api_token(&actor, ApiTokenId(id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Supplier: the organisation's warehouses.
#[utoipa::path(get, path = "/api/supplier/warehouses", tag = "supplier", security(("bearer" = [])),
    responses((status = 200, body = Vec<WarehouseView>), (status = 403, body = ErrorBody)))]
async fn list_warehouses(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> ApiResult<Vec<WarehouseView>> {
    Ok(Json(state.services.warehouses(&actor).await?))
}

/// Supplier: creates or updates a warehouse by code, located by a GB/T 2260 county code.
#[utoipa::path(put, path = "/api/supplier/warehouses", tag = "supplier", security(("bearer" = [])),
    request_body = WarehouseInput,
    responses((status = 200, body = WarehouseView), (status = 422, body = ErrorBody)))]
async fn upsert_warehouse(
    State(state): State<AppState>,
    Auth(actor): Auth,
    JsonBody(input): JsonBody<WarehouseInput>,
) -> ApiResult<WarehouseView> {
    Ok(Json(state.services.upsert_warehouse(&actor, input).await?))
}

/// Supplier: the organisation's SKUs in any status, paged by id.
#[utoipa::path(get, path = "/api/supplier/skus", tag = "supplier", security(("bearer" = [])),
    params(IdPage), responses((status = 200, body = Vec<SkuView>), (status = 403, body = ErrorBody)))]
async fn list_catalogue(
    State(state): State<AppState>,
    Auth(actor): Auth,
    page: Result<Query<IdPage>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Vec<SkuView>> {
    let (after, limit) = page?.checked()?;
    Ok(Json(
        state
            .services
            .supplier_catalogue(&actor, after, limit)
            .await?,
    ))
}

/// A bulk upsert body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SkuBatch {
    /// Up to 1,000 SKUs.
    pub items: Vec<SkuInput>,
}

/// Supplier: creates or updates up to 1,000 SKUs by SKU code. Good rows are written, bad rows
/// get an error each; no SKU is ever half-written.
#[utoipa::path(put, path = "/api/supplier/skus", tag = "supplier", security(("bearer" = [])),
    request_body = SkuBatch,
    responses((status = 200, body = UpsertReport), (status = 422, body = ErrorBody)))]
async fn upsert_skus(
    State(state): State<AppState>,
    Auth(actor): Auth,
    JsonBody(batch): JsonBody<SkuBatch>,
) -> ApiResult<UpsertReport> {
    let rows = batch
        .items
        .into_iter()
        .enumerate()
        .map(|(i, s)| (i as u64, s))
        .collect();
    Ok(Json(state.services.upsert_skus(&actor, rows).await?))
}

/// Supplier: uploads a CSV catalogue feed (`text/csv`, columns as in the README). Returns
/// counts and the errors of bad rows by line.
#[utoipa::path(post, path = "/api/supplier/feeds", tag = "supplier", security(("bearer" = [])),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = FeedReport), (status = 422, body = ErrorBody)))]
async fn upload_feed(
    State(state): State<AppState>,
    Auth(actor): Auth,
    body: axum::body::Body,
) -> ApiResult<FeedReport> {
    // The raw body is read here with the feed's own limit; the JSON limit would cut it at 4 MiB.
    let bytes = axum::body::to_bytes(body, crate::FEED_BODY_MAX_BYTES)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "a feed upload is at most 64 MiB; import larger catalogues in parts",
            )
        })?;
    let report = state
        .services
        .import_feed(&actor, bytes.as_ref(), |_| {})
        .await?;
    Ok(Json(report))
}

/// Supplier: stock per warehouse of one of its SKUs.
#[utoipa::path(get, path = "/api/supplier/skus/{id}/stock", tag = "supplier", security(("bearer" = [])),
    params(("id" = i64, Path, description = "SKU id")),
    responses((status = 200, body = Vec<WarehouseStock>), (status = 404, body = ErrorBody)))]
async fn sku_stock(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
) -> ApiResult<Vec<WarehouseStock>> {
    Ok(Json(state.services.sku_stock(&actor, SkuId(id)).await?))
}

/// A batch of stock updates.
#[derive(Debug, Deserialize, ToSchema)]
pub struct StockBatch {
    /// Up to 5,000 updates.
    pub updates: Vec<StockUpdateInput>,
}

/// Supplier: versioned stock levels per warehouse. A replay is ignored, a stale version is
/// refused, and neither is ever applied twice.
#[utoipa::path(post, path = "/api/supplier/stock", tag = "supplier", security(("bearer" = [])),
    request_body = StockBatch,
    responses((status = 200, body = Vec<StockUpdateResult>), (status = 422, body = ErrorBody)))]
async fn update_stock(
    State(state): State<AppState>,
    Auth(actor): Auth,
    JsonBody(batch): JsonBody<StockBatch>,
) -> ApiResult<Vec<StockUpdateResult>> {
    Ok(Json(
        state.services.update_stock(&actor, batch.updates).await?,
    ))
}

/// Listing change.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Listing {
    /// `false` withdraws the SKU from the pool; `true` offers it again (back to review).
    pub listed: bool,
}

/// Supplier: delists a SKU or relists it.
#[utoipa::path(post, path = "/api/supplier/skus/{id}/listing", tag = "supplier", security(("bearer" = [])),
    params(("id" = i64, Path, description = "SKU id")), request_body = Listing,
    responses((status = 200, body = SkuView), (status = 409, body = ErrorBody)))]
async fn set_listing(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<Listing>,
) -> ApiResult<SkuView> {
    Ok(Json(
        state
            .services
            .set_listed(&actor, SkuId(id), input.listed)
            .await?,
    ))
}

/// One SKU (approved ones for everyone signed in; others for their supplier and operators).
#[utoipa::path(get, path = "/api/skus/{id}", tag = "selection", security(("bearer" = [])),
    params(("id" = i64, Path, description = "SKU id")),
    responses((status = 200, body = SkuView), (status = 404, body = ErrorBody)))]
async fn get_sku(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
) -> ApiResult<SkuView> {
    Ok(Json(state.services.sku(&actor, SkuId(id)).await?))
}

/// A SKU's price and commission history (its supplier and operators).
#[utoipa::path(get, path = "/api/skus/{id}/price-history", tag = "supplier", security(("bearer" = [])),
    params(("id" = i64, Path, description = "SKU id")),
    responses((status = 200, body = Vec<PriceChange>), (status = 404, body = ErrorBody)))]
async fn price_history(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
) -> ApiResult<Vec<PriceChange>> {
    Ok(Json(state.services.price_history(&actor, SkuId(id)).await?))
}

/// The selection centre: search the approved pool in Chinese or English with filters.
#[utoipa::path(get, path = "/api/pool", tag = "selection", security(("bearer" = [])),
    params(PoolSearch), responses((status = 200, body = PoolPage), (status = 422, body = ErrorBody)))]
async fn search_pool(
    State(state): State<AppState>,
    Auth(actor): Auth,
    search: Result<Query<PoolSearch>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<PoolPage> {
    let Query(search) = search?;
    Ok(Json(state.services.search_pool(&actor, search).await?))
}

/// Anchor: the own shelf.
#[utoipa::path(get, path = "/api/anchor/shelf", tag = "selection", security(("bearer" = [])),
    responses((status = 200, body = Vec<SkuView>), (status = 403, body = ErrorBody)))]
async fn shelf(State(state): State<AppState>, Auth(actor): Auth) -> ApiResult<Vec<SkuView>> {
    Ok(Json(state.services.shelf(&actor).await?))
}

/// The selection centre: a supplier's quality record (late-shipment, return and complaint
/// rates over all its SKUs; `telling` is false while it has had fewer than 20 orders). For
/// anchors, operators and the supplier's own staff.
#[utoipa::path(get, path = "/api/suppliers/{id}/quality", tag = "selection",
    security(("bearer" = [])), params(("id" = i64, Path, description = "supplier id")),
    responses((status = 200, body = SupplierQualityView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn supplier_quality(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
) -> ApiResult<SupplierQualityView> {
    Ok(Json(
        state
            .services
            .supplier_quality(&actor, SupplierId(id))
            .await?,
    ))
}

/// Anchor: puts an approved SKU on the own shelf (idempotent). Returns the shelf.
#[utoipa::path(put, path = "/api/anchor/shelf/{sku_id}", tag = "selection", security(("bearer" = [])),
    params(("sku_id" = i64, Path, description = "SKU id")),
    responses((status = 200, body = Vec<SkuView>), (status = 409, body = ErrorBody)))]
async fn shelve(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(sku_id): Path<i64>,
) -> ApiResult<Vec<SkuView>> {
    Ok(Json(state.services.shelve(&actor, SkuId(sku_id)).await?))
}

/// Anchor: takes a SKU off the own shelf. Returns the shelf.
#[utoipa::path(delete, path = "/api/anchor/shelf/{sku_id}", tag = "selection", security(("bearer" = [])),
    params(("sku_id" = i64, Path, description = "SKU id")),
    responses((status = 200, body = Vec<SkuView>), (status = 404, body = ErrorBody)))]
async fn unshelve(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(sku_id): Path<i64>,
) -> ApiResult<Vec<SkuView>> {
    Ok(Json(state.services.unshelve(&actor, SkuId(sku_id)).await?))
}

/// Liveness and database reachability.
pub(crate) async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match state.services.store.ping().await {
        Ok(()) => (StatusCode::OK, Json(serde_json::json!({"status": "ok"}))),
        Err(error) => {
            tracing::warn!(%error, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"status": "unavailable"})),
            )
        }
    }
}

/// Prometheus metrics in the text format.
pub(crate) async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        state.metrics.render(),
    )
}

/// Unknown routes answer with the same error body as everything else.
pub(crate) async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "route_not_found", "no such route")
}

/// A known route with the wrong method.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take that method",
    )
}
