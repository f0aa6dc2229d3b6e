//! A client of a sandbox gateway running elsewhere (another task, another process): the
//! `PaymentGateway` a merchant uses when the gateway must outlive it.

use std::time::Duration;

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::gateway::{
    GatewayError, GatewayTransaction, PaymentGateway, PaymentIntent, PaymentRequest, PaymentView,
    RefundAccepted, RefundRequest,
};
use crate::notification::{
    verify_signed_notification, Notification, SigningSecret, VerifyError, SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
};

/// How long one call to the gateway may take before it counts as unavailable (and may be
/// retried with the same idempotency key).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Talks to a sandbox's merchant API over HTTP, signing each request with the shared secret,
/// and verifies its notifications locally.
#[derive(Debug, Clone)]
pub struct SandboxClient {
    /// The sandbox's public base URL, prefix included, without a trailing slash.
    base_url: String,
    secret: SigningSecret,
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    code: String,
    message: String,
}

impl SandboxClient {
    /// A client of the sandbox at `base_url` (the same URL as its `public_base_url`).
    pub fn new(base_url: impl Into<String>, secret: SigningSecret) -> Self {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .unwrap_or_default();
        Self {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            secret,
            http,
        }
    }

    fn signed(&self, request: reqwest::RequestBuilder, signed: &[u8]) -> reqwest::RequestBuilder {
        let timestamp_ms = now_ms();
        request
            .header(TIMESTAMP_HEADER, timestamp_ms.to_string())
            .header(SIGNATURE_HEADER, self.secret.sign(timestamp_ms, signed))
    }

    async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl serde::Serialize,
    ) -> Result<T, GatewayError> {
        let body = serde_json::to_vec(body)
            .map_err(|error| GatewayError::InvalidRequest(error.to_string()))?;
        let request = self
            .http
            .post(format!("{}{path}", self.base_url))
            .header(reqwest::header::CONTENT_TYPE, "application/json");
        let response = self.signed(request, &body).body(body).send().await;
        answer(response).await
    }
}

async fn answer<T: DeserializeOwned>(
    response: Result<reqwest::Response, reqwest::Error>,
) -> Result<T, GatewayError> {
    let response =
        response.map_err(|error| GatewayError::Unavailable(format!("request failed: {error}")))?;
    let status = response.status();
    let bytes = response
        .bytes()
        .await
        .map_err(|error| GatewayError::Unavailable(format!("reading the answer: {error}")))?;
    if status.is_success() {
        return serde_json::from_slice(&bytes)
            .map_err(|error| GatewayError::Unavailable(format!("unreadable answer: {error}")));
    }
    match serde_json::from_slice::<ErrorBody>(&bytes) {
        Ok(ErrorBody { error }) => Err(GatewayError::from_code(&error.code, error.message)),
        Err(_) => Err(GatewayError::Unavailable(format!("answered {status}"))),
    }
}

fn now_ms() -> i64 {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX)
}

#[async_trait]
impl PaymentGateway for SandboxClient {
    async fn create_payment(&self, request: PaymentRequest) -> Result<PaymentIntent, GatewayError> {
        self.post("/payments", &request).await
    }

    async fn refund(&self, request: RefundRequest) -> Result<RefundAccepted, GatewayError> {
        self.post("/refunds", &request).await
    }

    async fn payment(&self, gateway_payment_id: &str) -> Result<PaymentView, GatewayError> {
        let url = reqwest::Url::parse(&format!("{}/payments/", self.base_url))
            .and_then(|base| base.join(gateway_payment_id))
            .map_err(|error| GatewayError::InvalidRequest(error.to_string()))?;
        let request = self.signed(self.http.get(url), gateway_payment_id.as_bytes());
        answer(request.send().await).await
    }

    async fn transactions(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<GatewayTransaction>, GatewayError> {
        let url = format!(
            "{}/transactions?from_ms={from_ms}&to_ms={to_ms}",
            self.base_url
        );
        let signed = crate::sandbox::transactions_signed(from_ms, to_ms);
        let request = self.signed(self.http.get(url), signed.as_bytes());
        answer(request.send().await).await
    }

    fn verify_notification(
        &self,
        headers: &[(String, String)],
        body: &[u8],
        now_ms: i64,
    ) -> Result<Notification, VerifyError> {
        verify_signed_notification(&self.secret, headers, body, now_ms)
    }
}
