//! The live sell-out nowcast and the C2M export, with their OpenAPI descriptions
//! (docs/NOWCAST.md). The export comes as JSON or, with `?format=csv`, as CSV with a header
//! row.

use crate::auth::Auth;
use crate::error::ErrorBody;
use crate::settlement_routes::Format;
use crate::{ApiError, AppState};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use daihuo_domain::{LiveSessionId, SupplierId};
use daihuo_service::c2m::C2mExport;
use daihuo_service::nowcast::SessionNowcast;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The Content-Type of CSV answers.
const CSV_CONTENT_TYPE: &str = "text/csv; charset=utf-8";

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(session_nowcast))
        .routes(routes!(supplier_c2m))
        .routes(routes!(operator_c2m))
}

/// The session's anchor, operators, and suppliers whose SKUs it sells: the sell-out
/// nowcast. Per SKU: sellable stock, units sold in the session, this session's pace and the
/// stock's pace across every live session selling it (units per hour, exponentially
/// weighted over the last 30 minutes), while live the projected sell-out time and whether it
/// comes before the session's expected end, the last sell-out alert, and after the session
/// the overstock assessment; per flash sale its remaining units and their projection. A
/// supplier sees its own SKUs only; anyone else is `forbidden`.
#[utoipa::path(get, path = "/api/live-sessions/{id}/nowcast", tag = "live",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "session id")),
    responses((status = 200, body = SessionNowcast), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn session_nowcast(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
) -> Result<Json<SessionNowcast>, ApiError> {
    Ok(Json(
        state
            .services
            .session_nowcast(&actor, LiveSessionId(id))
            .await?,
    ))
}

/// A supplier's export: its period and the format.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct C2mQuery {
    /// Orders paid from here, Unix ms, inclusive (default: 30 days before the end).
    pub from_ms: Option<i64>,
    /// Orders paid before here, Unix ms (default: now). At most 92 days after `from_ms`.
    pub to_ms: Option<i64>,
    /// `json` (default) or `csv`.
    pub format: Option<Format>,
}

/// An operator's export: its period, optionally one supplier, and the format.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OperatorC2mQuery {
    /// Orders paid from here, Unix ms, inclusive (default: 30 days before the end).
    pub from_ms: Option<i64>,
    /// Orders paid before here, Unix ms (default: now). At most 92 days after `from_ms`.
    pub to_ms: Option<i64>,
    /// One supplier's SKUs only (default: every supplier's).
    pub supplier_id: Option<i64>,
    /// `json` (default) or `csv`.
    pub format: Option<Format>,
}

/// The export as JSON, or its cells as a CSV attachment.
fn render(export: &C2mExport, format: Option<Format>) -> Response {
    match format.unwrap_or_default() {
        Format::Json => Json(export).into_response(),
        Format::Csv => {
            let whose = export
                .supplier_id
                .map_or_else(|| "platform".to_owned(), |s| format!("supplier-{s}"));
            let name = format!("c2m-{whose}-{}-{}.csv", export.from_ms, export.to_ms);
            (
                [
                    (header::CONTENT_TYPE, CSV_CONTENT_TYPE.to_owned()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}\""),
                    ),
                ],
                export.to_csv(),
            )
                .into_response()
        }
    }
}

/// Supplier: the C2M export of its own SKUs: units paid for in the period (default: the
/// last 30 days; at most 92), less the units refunded since, by SKU attribute, price band
/// (yuan per unit paid) and the buyers' province, with totals that every table adds up to.
/// `?format=csv` gives the finest cut (attribute × band × province) as CSV.
#[utoipa::path(get, path = "/api/supplier/c2m", tag = "supplier",
    security(("bearer" = [])), params(C2mQuery),
    responses((status = 200, content((C2mExport = "application/json"), (String = "text/csv"))),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn supplier_c2m(
    State(state): State<AppState>,
    Auth(actor): Auth,
    query: Result<Query<C2mQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query?;
    actor.require_supplier()?;
    let export = state
        .services
        .c2m_export(&actor, None, query.from_ms, query.to_ms)
        .await?;
    Ok(render(&export, query.format))
}

/// Operator: the C2M export of every supplier's SKUs (or one supplier's), as the
/// supplier's.
#[utoipa::path(get, path = "/api/operator/c2m", tag = "operator",
    security(("bearer" = [])), params(OperatorC2mQuery),
    responses((status = 200, content((C2mExport = "application/json"), (String = "text/csv"))),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn operator_c2m(
    State(state): State<AppState>,
    Auth(actor): Auth,
    query: Result<Query<OperatorC2mQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query?;
    actor.require_operator()?;
    let export = state
        .services
        .c2m_export(
            &actor,
            query.supplier_id.map(SupplierId),
            query.from_ms,
            query.to_ms,
        )
        .await?;
    Ok(render(&export, query.format))
}
