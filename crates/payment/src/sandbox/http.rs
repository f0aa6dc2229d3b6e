//! The sandbox's HTTP surface: the buyer's pay page, the merchant API (signed like the
//! notifications), and the control endpoints tests use to inject faults.

use std::future::Future;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{now_ms, FaultConfig, PayOutcome, SandboxGateway};
use crate::gateway::{GatewayError, PaymentGateway, PaymentRequest, PaymentStatus, RefundRequest};
use crate::notification::within_tolerance;
use crate::notification::{header_pairs, header_value, SIGNATURE_HEADER, TIMESTAMP_HEADER};

/// Largest request body the sandbox reads: its requests are a few hundred bytes.
pub const MAX_REQUEST_BODY_BYTES: usize = 16 * 1_024;

impl SandboxGateway {
    /// The sandbox's routes, relative to wherever they are mounted: nest them under the prefix
    /// of `public_base_url` (`Router::new().nest("/sandbox-pay", sandbox.router())`), or serve
    /// them at the root of their own listener.
    ///
    /// - `GET /pay/{id}`: the pay page (with `?return=/a/path`, a link back to that path of
    ///   the merchant's site once the payment is decided; anything but such a path is
    ///   refused); `POST /pay/{id}` with `{"outcome": "succeed" | "fail"}` is the buyer paying.
    /// - `POST /payments`, `GET /payments/{id}`, `POST /refunds`,
    ///   `GET /transactions?from_ms=&to_ms=`: the merchant API, signed
    ///   with the shared secret (see [`SandboxClient`](crate::SandboxClient)).
    /// - `GET`/`POST /control`: the fault modes; `GET /deliveries/failed`,
    ///   `GET /deliveries/stats`: what delivery did. Unauthenticated: a sandbox is for tests
    ///   and must not be reachable by buyers in production.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/pay/{gateway_payment_id}", get(pay_page).post(pay))
            .route("/payments", post(create_payment))
            .route("/payments/{gateway_payment_id}", get(payment))
            .route("/refunds", post(refund))
            .route("/transactions", get(transactions))
            .route("/control", get(faults).post(set_faults))
            .route("/deliveries/failed", get(failed_deliveries))
            .route("/deliveries/stats", get(delivery_stats))
            .layer(DefaultBodyLimit::max(MAX_REQUEST_BODY_BYTES))
            .with_state(self.clone())
    }

    /// Serves the sandbox's routes on `listener` until the process ends. A sandbox in its
    /// own task or process outlives a merchant that is killed and restarted.
    pub async fn serve(&self, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        axum::serve(listener, self.router()).await
    }

    /// Serves the sandbox's routes on `listener` until `shutdown` completes.
    pub async fn serve_with_shutdown(
        &self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await
    }
}

/// An error as the sandbox answers it: `{"error": {"code", "message"}}`.
struct ApiError(GatewayError);

impl From<GatewayError> for ApiError {
    fn from(error: GatewayError) -> Self {
        Self(error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self.0 {
            GatewayError::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            GatewayError::PaymentNotFound => StatusCode::NOT_FOUND,
            GatewayError::Unauthorized => StatusCode::UNAUTHORIZED,
            GatewayError::IdempotencyConflict(_)
            | GatewayError::PaymentNotPaid(_)
            | GatewayError::PaymentNotPending(_)
            | GatewayError::PaymentExpired
            | GatewayError::RefundExceedsPaid(_) => StatusCode::CONFLICT,
            GatewayError::CapacityExhausted | GatewayError::Unavailable(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
        };
        let body = json!({"error": {"code": self.0.code(), "message": self.0.to_string()}});
        (status, Json(body)).into_response()
    }
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|error| ApiError(GatewayError::InvalidRequest(error.to_string())))
}

/// Checks a merchant API request's signature: the same scheme as notifications, over the
/// body (for a `GET`, over the payment id in its path). Replaying a signed request inside the
/// window does nothing new: every merchant call is idempotent.
fn authenticate(
    gateway: &SandboxGateway,
    headers: &HeaderMap,
    signed: &[u8],
) -> Result<(), ApiError> {
    let pairs = header_pairs(headers);
    let (Some(timestamp), Some(signature)) = (
        header_value(&pairs, TIMESTAMP_HEADER),
        header_value(&pairs, SIGNATURE_HEADER),
    ) else {
        return Err(ApiError(GatewayError::Unauthorized));
    };
    if !gateway.config().secret.verify(timestamp, signed, signature) {
        return Err(ApiError(GatewayError::Unauthorized));
    }
    let in_window = timestamp
        .trim()
        .parse::<i64>()
        .is_ok_and(|timestamp_ms| within_tolerance(timestamp_ms.saturating_sub(now_ms())));
    if !in_window {
        return Err(ApiError(GatewayError::Unauthorized));
    }
    Ok(())
}

async fn create_payment(
    State(gateway): State<SandboxGateway>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    authenticate(&gateway, &headers, &body)?;
    let request: PaymentRequest = parse(&body)?;
    let intent = gateway.create_payment(request).await?;
    Ok(Json(intent).into_response())
}

async fn payment(
    State(gateway): State<SandboxGateway>,
    Path(gateway_payment_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authenticate(&gateway, &headers, gateway_payment_id.as_bytes())?;
    let view = gateway.payment(&gateway_payment_id).await?;
    Ok(Json(view).into_response())
}

async fn refund(
    State(gateway): State<SandboxGateway>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    authenticate(&gateway, &headers, &body)?;
    let request: RefundRequest = parse(&body)?;
    let accepted = gateway.refund(request).await?;
    Ok(Json(accepted).into_response())
}

/// The query of `GET /transactions`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TransactionsQuery {
    from_ms: i64,
    to_ms: i64,
}

/// The string a `GET /transactions` request is signed over: its period, in a fixed form, so
/// the signature does not depend on how a client encodes its query.
pub(crate) fn transactions_signed(from_ms: i64, to_ms: i64) -> String {
    format!("from_ms={from_ms}&to_ms={to_ms}")
}

async fn transactions(
    State(gateway): State<SandboxGateway>,
    headers: HeaderMap,
    query: Result<
        axum::extract::Query<TransactionsQuery>,
        axum::extract::rejection::QueryRejection,
    >,
) -> Result<Response, ApiError> {
    let axum::extract::Query(query) =
        query.map_err(|rejection| ApiError(GatewayError::InvalidRequest(rejection.body_text())))?;
    authenticate(
        &gateway,
        &headers,
        transactions_signed(query.from_ms, query.to_ms).as_bytes(),
    )?;
    let listed = gateway.transactions(query.from_ms, query.to_ms).await?;
    Ok(Json(listed).into_response())
}

/// The body of `POST /pay/{id}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PayBody {
    outcome: PayOutcome,
}

/// The answer of `POST /pay/{id}`.
#[derive(Serialize)]
struct PayAnswer {
    gateway_payment_id: String,
    status: PaymentStatus,
}

async fn pay(
    State(gateway): State<SandboxGateway>,
    Path(gateway_payment_id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let PayBody { outcome } = parse(&body)?;
    let status = gateway.pay_now(&gateway_payment_id, outcome).await?;
    Ok(Json(PayAnswer {
        gateway_payment_id,
        status,
    })
    .into_response())
}

/// The query of `GET /pay/{id}`.
#[derive(Deserialize)]
struct PayPageQuery {
    /// Where the buyer goes back to after paying: a path of the merchant's own site.
    #[serde(rename = "return")]
    return_to: Option<String>,
}

/// The longest `return` path the pay page accepts: a merchant's order page, not a document.
pub const MAX_RETURN_PATH_BYTES: usize = 512;

/// Whether `raw` is a path of the site the pay page is served on (`/orders/7`), and not a
/// way to send the buyer elsewhere (`//evil.example`, `https://…`, `/\evil`, `javascript:`).
fn same_site_path(raw: &str) -> bool {
    raw.len() <= MAX_RETURN_PATH_BYTES
        && raw.starts_with('/')
        && !raw.starts_with("//")
        && !raw.contains('\\')
        && !raw.chars().any(char::is_control)
}

async fn pay_page(
    State(gateway): State<SandboxGateway>,
    Path(gateway_payment_id): Path<String>,
    query: Result<axum::extract::Query<PayPageQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let return_to = match query {
        Ok(axum::extract::Query(PayPageQuery { return_to: None })) => None,
        Ok(axum::extract::Query(PayPageQuery {
            return_to: Some(path),
        })) if same_site_path(&path) => Some(path),
        Ok(_) => {
            return ApiError(GatewayError::InvalidRequest(
                "return must be a path of the merchant's own site, such as /orders/7".into(),
            ))
            .into_response()
        }
        Err(rejection) => {
            return ApiError(GatewayError::InvalidRequest(rejection.body_text())).into_response()
        }
    };
    let Some((description, amount_fen, status)) = gateway.pay_page_facts(&gateway_payment_id)
    else {
        return ApiError(GatewayError::PaymentNotFound).into_response();
    };
    let yuan = amount_fen / 100;
    let fen = amount_fen % 100;
    // The way back shows once the payment is decided, so a buyer does not leave before.
    let return_link = match &return_to {
        Some(path) => format!(
            r#"<p><a id="return" href="{href}"{hidden}>返回商户 / Back to the shop</a></p>"#,
            href = escape_html(path),
            hidden = if status == PaymentStatus::Pending {
                " hidden"
            } else {
                ""
            },
        ),
        None => String::new(),
    };
    let page = format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sandbox payment</title></head>
<body style="font-family: sans-serif; max-width: 28rem; margin: 2rem auto; padding: 0 1rem">
<h1>Sandbox payment</h1>
<p>{description}</p>
<p style="font-size: 2rem">¥{yuan}.{fen:02}</p>
<p id="status">Status: {status}</p>
<button id="pay-succeed" onclick="pay('succeed')">Pay</button>
<button id="pay-fail" onclick="pay('fail')">Fail the payment</button>
{return_link}
<script>
async function pay(outcome) {{
  const response = await fetch(location.pathname, {{
    method: "POST", headers: {{"content-type": "application/json"}},
    body: JSON.stringify({{outcome}})
  }});
  const answer = await response.json();
  document.getElementById("status").textContent =
    "Status: " + (answer.status || answer.error.code);
  const back = document.getElementById("return");
  if (back && answer.status && answer.status !== "pending") back.hidden = false;
}}
</script>
</body></html>
"#,
        description = escape_html(&description),
        status = status.as_str(),
    );
    Html(page).into_response()
}

/// Escapes text for an HTML element: the description is the merchant's text.
fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

async fn faults(State(gateway): State<SandboxGateway>) -> Json<FaultConfig> {
    Json(gateway.faults())
}

async fn set_faults(
    State(gateway): State<SandboxGateway>,
    body: Bytes,
) -> Result<Json<FaultConfig>, ApiError> {
    let faults: FaultConfig = parse(&body)?;
    gateway.set_faults(faults)?;
    Ok(Json(gateway.faults()))
}

async fn failed_deliveries(State(gateway): State<SandboxGateway>) -> Response {
    Json(gateway.failed_deliveries()).into_response()
}

async fn delivery_stats(State(gateway): State<SandboxGateway>) -> Response {
    Json(gateway.delivery_stats()).into_response()
}

#[cfg(test)]
mod tests {
    use super::{escape_html, same_site_path};

    #[test]
    fn the_way_back_stays_on_the_merchants_site() {
        assert!(same_site_path("/orders/7"));
        assert!(same_site_path("/orders/7?from=pay#top"));
        for elsewhere in [
            "//evil.example/orders",
            "https://evil.example",
            "javascript:alert(1)",
            "/\\evil.example",
            "orders/7",
            "",
            "/orders/7\nLocation: x",
        ] {
            assert!(!same_site_path(elsewhere), "{elsewhere:?}");
        }
        assert!(!same_site_path(&format!("/{}", "a".repeat(600))));
    }

    #[test]
    fn descriptions_cannot_inject_markup() {
        assert_eq!(
            escape_html(r#"<script>"a" & 'b'</script>"#),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
    }
}
