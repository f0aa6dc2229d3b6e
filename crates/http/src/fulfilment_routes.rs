//! After the buy: suppliers' webhooks and event pull, shipment and tracking reports, the
//! buyer's tracking page and the operator's dead letters, with their OpenAPI descriptions.
//! Also the HTTP client that sends supplier webhooks for the service's outbox deliverer.

use crate::auth::Auth;
use crate::error::ErrorBody;
use crate::routes::JsonBody;
use crate::{ApiError, AppState};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use daihuo_domain::OrderId;
use daihuo_service::fulfilment::{
    EventPage, OutboxView, ShipInput, TrackingBatch, TrackingReport, TrackingView, WebhookInput,
    WebhookTransport, WebhookView,
};
use serde::Deserialize;
use std::time::Duration;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

type ApiResult<T> = Result<Json<T>, ApiError>;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(set_webhook))
        .routes(routes!(supplier_events))
        .routes(routes!(confirm_shipment))
        .routes(routes!(add_tracking))
        .routes(routes!(order_tracking))
        .routes(routes!(dead_letters))
        .routes(routes!(replay_event))
}

/// Supplier: sets the URL its order events are POSTed to and gets a new signing secret
/// (shown only in this answer). Each request carries `X-Daihuo-Event-Id`,
/// `X-Daihuo-Event-Kind`, `X-Daihuo-Timestamp` and `X-Daihuo-Signature`, the hex
/// HMAC-SHA256 of `{timestamp}.{body}` under the secret; any 2xx within 3 s acknowledges.
#[utoipa::path(put, path = "/api/supplier/webhook", tag = "supplier", security(("bearer" = [])),
    request_body = WebhookInput,
    responses((status = 200, body = WebhookView), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn set_webhook(
    State(state): State<AppState>,
    Auth(actor): Auth,
    JsonBody(input): JsonBody<WebhookInput>,
) -> ApiResult<WebhookView> {
    Ok(Json(state.services.set_webhook(&actor, input).await?))
}

/// Paging of the event pull.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// The cursor: `next_after` of the previous page, 0 (the default) from the start.
    pub after: Option<i64>,
    /// How many, 1–100 (default 100).
    pub limit: Option<i64>,
}

/// Supplier: its order events after a cursor, oldest first: the same events its webhook
/// gets, for systems that poll. Dedupe on `event_id`.
#[utoipa::path(get, path = "/api/supplier/events", tag = "supplier", security(("bearer" = [])),
    params(EventsQuery),
    responses((status = 200, body = EventPage), (status = 403, body = ErrorBody)))]
async fn supplier_events(
    State(state): State<AppState>,
    Auth(actor): Auth,
    query: Result<Query<EventsQuery>, QueryRejection>,
) -> ApiResult<EventPage> {
    let Query(query) = query?;
    Ok(Json(
        state
            .services
            .supplier_events(&actor, query.after.unwrap_or(0), query.limit.unwrap_or(100))
            .await?,
    ))
}

/// Supplier: a routed order is handed to a carrier (`sf`, `jd`, `zto`, `yto`, `sto`,
/// `yunda`, `ems`) with its waybill number, checked against the carrier's format
/// (`unknown_carrier`, `waybill_length`, `waybill_format`, `waybill_check_digit`). The
/// order becomes `shipped`; the same waybill again is answered the same way.
#[utoipa::path(post, path = "/api/supplier/orders/{id}/shipments", tag = "supplier",
    security(("bearer" = [])), params(("id" = i64, Path, description = "order id")),
    request_body = ShipInput,
    responses((status = 200, body = TrackingView), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn confirm_shipment(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<ShipInput>,
) -> ApiResult<TrackingView> {
    Ok(Json(
        state
            .services
            .confirm_shipment(&actor, OrderId(id), input)
            .await?,
    ))
}

/// Supplier: the carrier's tracking events of an order, in any order and any number of
/// times (keyed by the carrier's event id). A `delivered` event makes a shipped order
/// `delivered`.
#[utoipa::path(post, path = "/api/supplier/orders/{id}/tracking", tag = "supplier",
    security(("bearer" = [])), params(("id" = i64, Path, description = "order id")),
    request_body = TrackingBatch,
    responses((status = 200, body = TrackingReport), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_tracking(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
    JsonBody(batch): JsonBody<TrackingBatch>,
) -> ApiResult<TrackingReport> {
    Ok(Json(
        state
            .services
            .add_tracking(&actor, OrderId(id), batch)
            .await?,
    ))
}

/// The order's buyer, anchor, supplier or an operator: where it ships from and its
/// tracking timeline, sorted by the carrier's time whatever order events arrived in.
#[utoipa::path(get, path = "/api/orders/{id}/tracking", tag = "buy", security(("bearer" = [])),
    params(("id" = i64, Path, description = "order id")),
    responses((status = 200, body = TrackingView), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn order_tracking(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
) -> ApiResult<TrackingView> {
    Ok(Json(state.services.tracking(&actor, OrderId(id)).await?))
}

/// Paging of dead letters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeadQuery {
    /// How many, 1–100 (default 50).
    pub limit: Option<i64>,
}

/// Operator: supplier events whose webhook was given up on, most recent first.
#[utoipa::path(get, path = "/api/operator/outbox/dead", tag = "operator",
    security(("bearer" = [])), params(DeadQuery),
    responses((status = 200, body = Vec<OutboxView>), (status = 403, body = ErrorBody)))]
async fn dead_letters(
    State(state): State<AppState>,
    Auth(actor): Auth,
    query: Result<Query<DeadQuery>, QueryRejection>,
) -> ApiResult<Vec<OutboxView>> {
    let Query(query) = query?;
    Ok(Json(
        state
            .services
            .dead_letters(&actor, query.limit.unwrap_or(50))
            .await?,
    ))
}

/// Operator: sends a dead event to the supplier's webhook again, with a fresh count of
/// attempts (`event_not_dead` when it is not dead).
#[utoipa::path(post, path = "/api/operator/outbox/{id}/replay", tag = "operator",
    security(("bearer" = [])), params(("id" = i64, Path, description = "outbox id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn replay_event(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state.services.replay_event(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sends supplier webhooks over HTTP. Redirects are not followed: a webhook answers where
/// it was registered.
#[derive(Debug, Clone)]
pub struct HttpWebhooks {
    client: reqwest::Client,
}

impl HttpWebhooks {
    /// A client with its own connection pool.
    pub fn new() -> HttpWebhooks {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        HttpWebhooks { client }
    }
}

impl Default for HttpWebhooks {
    fn default() -> Self {
        HttpWebhooks::new()
    }
}

#[async_trait::async_trait]
impl WebhookTransport for HttpWebhooks {
    async fn post(
        &self,
        url: &str,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
        timeout: Duration,
    ) -> Result<u16, String> {
        let mut request = self
            .client
            .post(url)
            .timeout(timeout)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        match request.send().await {
            Ok(response) => Ok(response.status().as_u16()),
            Err(error) if error.is_timeout() => Err("no answer within the timeout".into()),
            Err(error) if error.is_connect() => Err("could not connect".into()),
            Err(error) => Err(format!("request failed: {error}")),
        }
    }
}
