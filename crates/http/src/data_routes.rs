//! Live-session data with its OpenAPI descriptions: a session's minute series and totals,
//! the post-session report (JSON or CSV), an anchor's sessions in figures, a supplier's
//! sales across anchors and the platform's live rooms (docs/METRICS.md). The services decide
//! who sees what; these handlers only translate.
//!
//! Not to be confused with `/metrics` (`metrics_layer`), the node's Prometheus counters.

use crate::auth::Auth;
use crate::error::ErrorBody;
use crate::settlement_routes::Format;
use crate::{ApiError, AppState};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use daihuo_domain::LiveSessionId;
use daihuo_service::live::ListPage;
use daihuo_service::metrics::{PlatformData, SessionData, SessionSummaryPage, SupplierData};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

type ApiResult<T> = Result<Json<T>, ApiError>;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(session_data))
        .routes(routes!(session_report))
        .routes(routes!(anchor_sessions))
        .routes(routes!(supplier_data))
        .routes(routes!(platform_data))
}

/// A session's data: totals (duration, online now, peak online, unique viewers, likes,
/// comments, orders, units, GMV, buyers, paid conversion, average order value), refunds, the
/// minute series (one point a minute, UTC minutes; wider points past twelve hours), per-SKU
/// figures with their own series, and paid orders by the buyer's province. The session's
/// anchor and operators see all of it; staff of a supplier whose SKUs it sells or sold see
/// those SKUs' part beside the room's audience counts (`scope: supplier`); anyone else is
/// `forbidden`.
#[utoipa::path(get, path = "/api/data/sessions/{id}", tag = "data", security(("bearer" = [])),
    params(("id" = i64, Path, description = "live session id")),
    responses((status = 200, body = SessionData), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn session_data(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
) -> ApiResult<SessionData> {
    Ok(Json(
        state
            .services
            .session_data(&actor, LiveSessionId(id))
            .await?,
    ))
}

/// The report's format.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// `json` (default) or `csv`.
    pub format: Option<Format>,
}

/// The post-session report of an ended session: the same figures as the session's data, with
/// each SKU's stock left at the end. `?format=csv` gives one CSV with a `section` column
/// (`total`, `sku`, `region`, `minute`). A session not ended yet is `session_not_ended`; who
/// sees what is as for the session's data.
#[utoipa::path(get, path = "/api/data/sessions/{id}/report", tag = "data",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "live session id"), ReportQuery),
    responses((status = 200, content((SessionData = "application/json"), (String = "text/csv"))),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn session_report(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
    query: Result<Query<ReportQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query?;
    let report = state
        .services
        .session_report(&actor, LiveSessionId(id))
        .await?;
    Ok(match query.format.unwrap_or_default() {
        Format::Json => Json(report).into_response(),
        Format::Csv => {
            let name = match report.supplier_id {
                Some(supplier) => format!("session-{id}-supplier-{}-report.csv", supplier.0),
                None => format!("session-{id}-report.csv"),
            };
            (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}\""),
                    ),
                ],
                report.to_csv(),
            )
                .into_response()
        }
    })
}

/// Anchor: the own sessions, newest first, each with its totals.
#[utoipa::path(get, path = "/api/anchor/data/sessions", tag = "data",
    security(("bearer" = [])), params(ListPage),
    responses((status = 200, body = SessionSummaryPage), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn anchor_sessions(
    State(state): State<AppState>,
    Auth(actor): Auth,
    page: Result<Query<ListPage>, QueryRejection>,
) -> ApiResult<SessionSummaryPage> {
    let Query(page) = page?;
    Ok(Json(
        state.services.anchor_data_sessions(&actor, page).await?,
    ))
}

/// The supplier's period.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SupplierDataQuery {
    /// Days back, today (China time) included: 1–90, default 30.
    pub days: Option<i64>,
}

/// Supplier: its SKUs' sales in live rooms across every anchor over a period (per SKU, per
/// session, per anchor), and the sessions selling its SKUs now with their minute series
/// narrowed to its SKUs.
#[utoipa::path(get, path = "/api/supplier/data", tag = "data", security(("bearer" = [])),
    params(SupplierDataQuery),
    responses((status = 200, body = SupplierData), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn supplier_data(
    State(state): State<AppState>,
    Auth(actor): Auth,
    query: Result<Query<SupplierDataQuery>, QueryRejection>,
) -> ApiResult<SupplierData> {
    let Query(query) = query?;
    Ok(Json(
        state.services.supplier_data(&actor, query.days).await?,
    ))
}

/// Operator: the sessions live now with the viewers online over all of them, the current
/// hour's orders and GMV in live rooms by the minute, and recently ended sessions.
#[utoipa::path(get, path = "/api/operator/data", tag = "data", security(("bearer" = [])),
    responses((status = 200, body = PlatformData), (status = 403, body = ErrorBody)))]
async fn platform_data(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> ApiResult<PlatformData> {
    Ok(Json(state.services.platform_data(&actor).await?))
}
