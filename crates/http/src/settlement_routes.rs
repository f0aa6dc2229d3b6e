//! Receipt, settlement runs, payouts, statements and reconciliation, with their OpenAPI
//! descriptions. Statements and the reconciliation report come as JSON or, with
//! `?format=csv`, as CSV with a header row.

use crate::auth::Auth;
use crate::error::ErrorBody;
use crate::routes::JsonBody;
use crate::{ApiError, AppState};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use daihuo_domain::OrderId;
use daihuo_service::receipt::ReceiptView;
use daihuo_service::settlement::{
    PartyKind, PartyRef, PayoutInput, PayoutView, Reconciliation, RunView, Statement,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

type ApiResult<T> = Result<Json<T>, ApiError>;

/// The Content-Type of CSV answers.
const CSV_CONTENT_TYPE: &str = "text/csv; charset=utf-8";

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(confirm_receipt))
        .routes(routes!(list_runs, start_run))
        .routes(routes!(get_run))
        .routes(routes!(list_payouts, pay_out))
        .routes(routes!(supplier_statement))
        .routes(routes!(anchor_statement))
        .routes(routes!(party_statement))
        .routes(routes!(reconciliation))
}

/// The buyer confirms receipt of a delivered order: it becomes `completed` and its supplier
/// gets an `order.completed` event. Confirming again answers the same; an order that is not
/// delivered is `order_not_delivered`. Without the buyer, receipt is confirmed automatically
/// 7 days (by default) after delivery.
#[utoipa::path(post, path = "/api/orders/{id}/receipt", tag = "buy", security(("bearer" = [])),
    params(("id" = i64, Path, description = "order id")),
    responses((status = 200, body = ReceiptView), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn confirm_receipt(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
) -> ApiResult<ReceiptView> {
    Ok(Json(
        state.services.confirm_receipt(&actor, OrderId(id)).await?,
    ))
}

/// Paging of settlement runs.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunsQuery {
    /// Runs with an id below this (absent: the newest).
    pub before: Option<i64>,
    /// How many, 1–100 (default 50).
    pub limit: Option<i64>,
}

/// Operator: settlement runs, newest first, with the orders each settled and what it moved
/// to each party's payable.
#[utoipa::path(get, path = "/api/operator/settlement/runs", tag = "settlement",
    security(("bearer" = [])), params(RunsQuery),
    responses((status = 200, body = Vec<RunView>), (status = 403, body = ErrorBody)))]
async fn list_runs(
    State(state): State<AppState>,
    Auth(actor): Auth,
    query: Result<Query<RunsQuery>, QueryRejection>,
) -> ApiResult<Vec<RunView>> {
    let Query(query) = query?;
    Ok(Json(
        state
            .services
            .settlement_runs(&actor, query.before, query.limit.unwrap_or(50))
            .await?,
    ))
}

/// Operator: runs settlement now: every order completed at least N days ago (7 by default)
/// that no run settled moves from pending to payable, exactly once however many runs race.
/// Answers when the run finished.
#[utoipa::path(post, path = "/api/operator/settlement/runs", tag = "settlement",
    security(("bearer" = [])),
    responses((status = 201, body = RunView), (status = 403, body = ErrorBody)))]
async fn start_run(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<(StatusCode, Json<RunView>), ApiError> {
    let run = state.services.start_settlement_run(&actor).await?;
    Ok((StatusCode::CREATED, Json(run)))
}

/// Operator: one settlement run.
#[utoipa::path(get, path = "/api/operator/settlement/runs/{id}", tag = "settlement",
    security(("bearer" = [])), params(("id" = i64, Path, description = "run id")),
    responses((status = 200, body = RunView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_run(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
) -> ApiResult<RunView> {
    Ok(Json(state.services.settlement_run(&actor, id).await?))
}

/// Whose payouts.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PayoutsQuery {
    /// `supplier` or `anchor`.
    pub kind: PartyKind,
    /// The supplier's id or the anchor's user id.
    pub id: i64,
    /// How many, 1–100 (default 50).
    pub limit: Option<i64>,
}

/// Operator: a party's payouts, newest first.
#[utoipa::path(get, path = "/api/operator/payouts", tag = "settlement",
    security(("bearer" = [])), params(PayoutsQuery),
    responses((status = 200, body = Vec<PayoutView>), (status = 403, body = ErrorBody)))]
async fn list_payouts(
    State(state): State<AppState>,
    Auth(actor): Auth,
    query: Result<Query<PayoutsQuery>, QueryRejection>,
) -> ApiResult<Vec<PayoutView>> {
    let Query(query) = query?;
    let party = PartyRef {
        kind: query.kind,
        id: query.id,
    };
    Ok(Json(
        state
            .services
            .payouts(&actor, party, query.limit.unwrap_or(50))
            .await?,
    ))
}

/// Operator: pays a party out of its payable balance, with the bank transfer's reference.
/// The same reference and amount again answers the payout it made (another amount is
/// `payout_reference_used`); more than is payable is `payout_exceeds_payable`; a party that
/// owes the platform (refunds after settlement exceeded its payable) is
/// `party_owes_platform`.
#[utoipa::path(post, path = "/api/operator/payouts", tag = "settlement",
    security(("bearer" = [])), request_body = PayoutInput,
    responses((status = 201, body = PayoutView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn pay_out(
    State(state): State<AppState>,
    Auth(actor): Auth,
    JsonBody(input): JsonBody<PayoutInput>,
) -> Result<(StatusCode, Json<PayoutView>), ApiError> {
    let payout = state.services.payout(&actor, input).await?;
    Ok((StatusCode::CREATED, Json(payout)))
}

/// JSON or CSV.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// `application/json` (the default).
    #[default]
    Json,
    /// `text/csv` with a header row.
    Csv,
}

/// A report's period and format.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// The period's start, Unix ms, inclusive (default: the beginning).
    pub from_ms: Option<i64>,
    /// The period's end, Unix ms, exclusive (default: now).
    pub to_ms: Option<i64>,
    /// `json` (default) or `csv`.
    pub format: Option<Format>,
}

/// The answer as JSON, or as a CSV attachment named `name`.
fn render<T: serde::Serialize>(
    value: &T,
    format: Option<Format>,
    csv: impl FnOnce(&T) -> String,
    name: &str,
) -> Response {
    match format.unwrap_or_default() {
        Format::Json => Json(value).into_response(),
        Format::Csv => (
            [
                (header::CONTENT_TYPE, CSV_CONTENT_TYPE.to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}.csv\""),
                ),
            ],
            csv(value),
        )
            .into_response(),
    }
}

async fn statement_response(
    state: &AppState,
    actor: &daihuo_service::Actor,
    party: Option<PartyRef>,
    query: Result<Query<PeriodQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query?;
    let statement = state
        .services
        .statement(actor, party, query.from_ms, query.to_ms)
        .await?;
    let name = format!(
        "statement-{}-{}-{}-{}",
        statement.party.kind.as_str(),
        statement.party.id,
        statement.from_ms,
        statement.to_ms
    );
    Ok(render(&statement, query.format, Statement::to_csv, &name))
}

/// Supplier: the organisation's statement for a period: opening balances (pending and
/// payable), every ledger line on its accounts (order, kind, amount, running balances) and
/// closing balances. Amounts are fen from the supplier's side. `?format=csv` gives CSV.
#[utoipa::path(get, path = "/api/supplier/statement", tag = "settlement",
    security(("bearer" = [])), params(PeriodQuery),
    responses((status = 200, content((Statement = "application/json"), (String = "text/csv"))),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn supplier_statement(
    State(state): State<AppState>,
    Auth(actor): Auth,
    query: Result<Query<PeriodQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    actor.require_supplier()?;
    statement_response(&state, &actor, None, query).await
}

/// Anchor: the own commission statement for a period, as the supplier's.
#[utoipa::path(get, path = "/api/anchor/statement", tag = "settlement",
    security(("bearer" = [])), params(PeriodQuery),
    responses((status = 200, content((Statement = "application/json"), (String = "text/csv"))),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn anchor_statement(
    State(state): State<AppState>,
    Auth(actor): Auth,
    query: Result<Query<PeriodQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    actor.require_anchor()?;
    statement_response(&state, &actor, None, query).await
}

/// Operator: any party's statement.
#[utoipa::path(get, path = "/api/operator/statements/{kind}/{id}", tag = "settlement",
    security(("bearer" = [])),
    params(("kind" = PartyKind, Path, description = "`supplier` or `anchor`"),
        ("id" = i64, Path, description = "the supplier's id or the anchor's user id"),
        PeriodQuery),
    responses((status = 200, content((Statement = "application/json"), (String = "text/csv"))),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn party_statement(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((kind, id)): Path<(PartyKind, i64)>,
    query: Result<Query<PeriodQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    statement_response(&state, &actor, Some(PartyRef { kind, id }), query).await
}

/// Operator: the payment gateway's own payments and refunds in a period against daihuo's
/// records, and those against the ledger's `buyer_payments` per order: matched counts and
/// sums, what is missing on either side, and amounts that differ. `?format=csv` gives CSV.
#[utoipa::path(get, path = "/api/operator/reconciliation", tag = "settlement",
    security(("bearer" = [])), params(PeriodQuery),
    responses((status = 200,
            content((Reconciliation = "application/json"), (String = "text/csv"))),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
async fn reconciliation(
    State(state): State<AppState>,
    Auth(actor): Auth,
    query: Result<Query<PeriodQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query?;
    let report = state
        .services
        .reconciliation(&actor, query.from_ms, query.to_ms)
        .await?;
    let name = format!("reconciliation-{}-{}", report.from_ms, report.to_ms);
    Ok(render(&report, query.format, Reconciliation::to_csv, &name))
}
