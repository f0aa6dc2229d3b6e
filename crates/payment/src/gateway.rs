//! The gateway interface daihuo's checkout talks to, whatever gateway stands behind it.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::notification::{Notification, VerifyError};

/// Longest merchant id (payment or refund) a gateway accepts; real gateways cap theirs at
/// 32–64 characters, and an id is a key, not a document.
pub const MAX_MERCHANT_ID_CHARS: usize = 64;

/// Longest description shown to the buyer on the pay page.
pub const MAX_DESCRIPTION_CHARS: usize = 256;

/// Longest notify URL accepted; a URL longer than this is a mistake, not an address.
pub const MAX_NOTIFY_URL_CHARS: usize = 2_048;

/// Largest amount of one payment: ¥100 million in fen, far above any live-room order, low
/// enough that sums of refunds can never overflow.
pub const MAX_AMOUNT_FEN: i64 = 10_000_000_000;

/// What the merchant asks the gateway to collect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRequest {
    /// The merchant's own id for this payment; the idempotency key of `create_payment`.
    pub merchant_payment_id: String,
    /// The amount to collect, in fen, at least 1.
    pub amount_fen: i64,
    /// What the buyer is paying for, shown on the pay page.
    pub description: String,
    /// Where the gateway sends this payment's notifications (HTTP or HTTPS).
    pub notify_url: String,
    /// After this moment (Unix milliseconds) the buyer can no longer pay.
    pub expires_at_ms: i64,
}

/// The gateway's answer to `create_payment`: where to send the buyer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentIntent {
    /// The gateway's id for the payment; notifications and refunds carry it.
    pub gateway_payment_id: String,
    /// The page the buyer opens to pay.
    pub pay_url: String,
}

/// What the merchant asks the gateway to give back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRequest {
    /// The merchant's own id for this refund; the idempotency key of `refund`.
    pub merchant_refund_id: String,
    /// The paid payment to refund from.
    pub gateway_payment_id: String,
    /// The amount to give back, in fen, at least 1; all refunds of a payment together never
    /// exceed what was paid.
    pub amount_fen: i64,
    /// Why, for the buyer's statement and the gateway's records.
    pub reason: String,
}

/// The gateway accepted a refund; whether it succeeded arrives later as a notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundAccepted {
    /// The gateway's id for the refund.
    pub gateway_refund_id: String,
    /// The merchant's id for the refund, echoed.
    pub merchant_refund_id: String,
}

/// Where a payment stands at the gateway, for reconciliation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Created; the buyer has not paid yet.
    Pending,
    /// The buyer paid.
    Succeeded,
    /// The payment failed; it will never succeed (the merchant creates a new one).
    Failed,
}

impl PaymentStatus {
    /// The status as its stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }
}

/// A payment as the gateway sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentView {
    /// The gateway's id.
    pub gateway_payment_id: String,
    /// The merchant's id.
    pub merchant_payment_id: String,
    /// The amount asked for, in fen.
    pub amount_fen: i64,
    /// Where it stands.
    pub status: PaymentStatus,
    /// Refunds accepted and not failed, in fen (pending ones included, so this is what can no
    /// longer be refunded again).
    pub refunded_fen: i64,
}

/// The most transactions one [`PaymentGateway::transactions`] call returns: a report over
/// more is asked for in shorter periods, not built in one answer.
pub const MAX_TRANSACTIONS_PER_CALL: usize = 100_000;

/// What kind of money movement a gateway transaction is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransactionKind {
    /// A buyer's payment succeeded: money came in.
    Payment,
    /// A refund succeeded: money went back to the buyer.
    Refund,
}

/// One money movement as the gateway's own books record it, for reconciliation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayTransaction {
    /// A payment or a refund.
    pub kind: TransactionKind,
    /// The payment, or the payment a refund came out of.
    pub gateway_payment_id: String,
    /// The merchant's id of that payment.
    pub merchant_payment_id: String,
    /// The gateway's id of a refund.
    pub gateway_refund_id: Option<String>,
    /// The merchant's id of a refund.
    pub merchant_refund_id: Option<String>,
    /// How much moved, in fen.
    pub amount_fen: i64,
    /// When it succeeded at the gateway, Unix milliseconds.
    pub occurred_at_ms: i64,
}

/// Why a gateway call was refused. Every variant has a stable [`code`](Self::code).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// A field is missing, empty, too long or out of range.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The idempotency key was used before with a different request.
    #[error("{0}")]
    IdempotencyConflict(String),
    /// No payment has this id.
    #[error("payment not found")]
    PaymentNotFound,
    /// The payment has not been paid, so there is nothing to refund.
    #[error("{0}")]
    PaymentNotPaid(String),
    /// The payment was already paid or failed; it cannot be paid again.
    #[error("{0}")]
    PaymentNotPending(String),
    /// The payment's deadline passed before the buyer paid.
    #[error("payment expired")]
    PaymentExpired,
    /// The refunds of a payment would together exceed what was paid.
    #[error("{0}")]
    RefundExceedsPaid(String),
    /// The gateway holds as much as it may; nothing new is accepted.
    #[error("gateway is at capacity")]
    CapacityExhausted,
    /// The gateway did not accept the merchant's credentials.
    #[error("gateway rejected the merchant's credentials")]
    Unauthorized,
    /// The gateway could not be reached or failed; the call may be retried with the same
    /// idempotency key.
    #[error("gateway unavailable: {0}")]
    Unavailable(String),
}

impl GatewayError {
    /// The stable snake_case code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) => "invalid_request",
            Self::IdempotencyConflict(_) => "idempotency_conflict",
            Self::PaymentNotFound => "payment_not_found",
            Self::PaymentNotPaid(_) => "payment_not_paid",
            Self::PaymentNotPending(_) => "payment_not_pending",
            Self::PaymentExpired => "payment_expired",
            Self::RefundExceedsPaid(_) => "refund_exceeds_paid",
            Self::CapacityExhausted => "capacity_exhausted",
            Self::Unauthorized => "unauthorized",
            Self::Unavailable(_) => "gateway_unavailable",
        }
    }

    /// Whether the same call may succeed if tried again later (with the same idempotency
    /// key); every other error is an answer.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable(_) | Self::CapacityExhausted)
    }

    /// Rebuilds an error from its code and message, as an HTTP client of a gateway receives
    /// them; an unknown code means the gateway is not behaving and counts as unavailable.
    pub fn from_code(code: &str, message: String) -> Self {
        match code {
            "invalid_request" => Self::InvalidRequest(message),
            "idempotency_conflict" => Self::IdempotencyConflict(message),
            "payment_not_found" => Self::PaymentNotFound,
            "payment_not_paid" => Self::PaymentNotPaid(message),
            "payment_not_pending" => Self::PaymentNotPending(message),
            "payment_expired" => Self::PaymentExpired,
            "refund_exceeds_paid" => Self::RefundExceedsPaid(message),
            "capacity_exhausted" => Self::CapacityExhausted,
            "unauthorized" => Self::Unauthorized,
            _ => Self::Unavailable(format!("{code}: {message}")),
        }
    }
}

/// A payment gateway: collects payments and refunds, and tells the merchant what happened
/// through signed, asynchronous notifications sent to the payment's notify URL.
///
/// Used as `Arc<dyn PaymentGateway>`. The calls are idempotent on the merchant's ids, so a
/// caller that timed out calls again with the same request.
///
/// Processing a notification is the merchant's side of the contract: verify it with
/// [`verify_notification`](Self::verify_notification), drop it if its event id was processed
/// before (the gateway sends the same event again until it is acknowledged, and fault modes
/// or networks may deliver it twice), apply it and store the event id in one transaction, and
/// only then answer 2xx.
#[async_trait]
pub trait PaymentGateway: Send + Sync {
    /// Opens a payment. The same `merchant_payment_id` with the same amount returns the same
    /// intent; with another amount it is [`GatewayError::IdempotencyConflict`].
    async fn create_payment(&self, request: PaymentRequest) -> Result<PaymentIntent, GatewayError>;

    /// Asks for a refund from a paid payment. The answer says only that it was accepted; a
    /// `refund_succeeded` or `refund_failed` notification follows. Refunds of one payment may
    /// be partial and several, never more in total than was paid. The same
    /// `merchant_refund_id` with the same payment and amount returns the same acceptance.
    async fn refund(&self, request: RefundRequest) -> Result<RefundAccepted, GatewayError>;

    /// Where a payment stands, for reconciliation when notifications were missed.
    async fn payment(&self, gateway_payment_id: &str) -> Result<PaymentView, GatewayError>;

    /// The payments and refunds that succeeded at the gateway from `from_ms` (inclusive) to
    /// `to_ms` (exclusive), from the gateway's own records, oldest first: what a merchant
    /// reconciles its books against. More than [`MAX_TRANSACTIONS_PER_CALL`] is refused
    /// ([`GatewayError::InvalidRequest`]): ask for a shorter period.
    async fn transactions(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<GatewayTransaction>, GatewayError>;

    /// Checks that a notification comes from this gateway, unaltered and recent, and parses
    /// it. `headers` are the request's headers as (name, value) pairs, names in any case;
    /// `now_ms` is the merchant's clock in Unix milliseconds.
    ///
    /// This does not detect a replay of a notification already processed: that is the
    /// merchant's job, by storing the returned [`Notification::event_id`].
    fn verify_notification(
        &self,
        headers: &[(String, String)],
        body: &[u8],
        now_ms: i64,
    ) -> Result<Notification, VerifyError>;
}

/// Checks a payment request's fields; the reason names the first field that is wrong.
pub(crate) fn check_payment_request(request: &PaymentRequest, now_ms: i64) -> Result<(), String> {
    check_merchant_id("merchant_payment_id", &request.merchant_payment_id)?;
    check_amount(request.amount_fen)?;
    if request.description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(format!(
            "description is longer than {MAX_DESCRIPTION_CHARS} characters"
        ));
    }
    check_notify_url(&request.notify_url)?;
    if request.expires_at_ms <= now_ms {
        return Err("expires_at_ms is not in the future".to_owned());
    }
    Ok(())
}

/// Checks a refund request's fields; the reason names the first field that is wrong.
pub(crate) fn check_refund_request(request: &RefundRequest) -> Result<(), String> {
    check_merchant_id("merchant_refund_id", &request.merchant_refund_id)?;
    if request.gateway_payment_id.is_empty() {
        return Err("gateway_payment_id is empty".to_owned());
    }
    check_amount(request.amount_fen)?;
    if request.reason.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(format!(
            "reason is longer than {MAX_DESCRIPTION_CHARS} characters"
        ));
    }
    Ok(())
}

fn check_merchant_id(field: &str, id: &str) -> Result<(), String> {
    if id.is_empty() || id.chars().count() > MAX_MERCHANT_ID_CHARS {
        return Err(format!(
            "{field} must have 1 to {MAX_MERCHANT_ID_CHARS} characters"
        ));
    }
    // Ids travel in URLs, headers and logs: printable ASCII keeps them safe in all three.
    if !id.bytes().all(|byte| byte.is_ascii_graphic()) {
        return Err(format!("{field} must be printable ASCII without spaces"));
    }
    Ok(())
}

fn check_amount(amount_fen: i64) -> Result<(), String> {
    if !(1..=MAX_AMOUNT_FEN).contains(&amount_fen) {
        return Err(format!("amount_fen must be from 1 to {MAX_AMOUNT_FEN}"));
    }
    Ok(())
}

fn check_notify_url(url: &str) -> Result<(), String> {
    if url.len() > MAX_NOTIFY_URL_CHARS {
        return Err(format!(
            "notify_url is longer than {MAX_NOTIFY_URL_CHARS} characters"
        ));
    }
    match reqwest::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.has_host() => Ok(()),
        _ => Err("notify_url must be an absolute http or https URL".to_owned()),
    }
}
