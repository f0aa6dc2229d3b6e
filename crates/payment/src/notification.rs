//! Notifications: what a gateway tells the merchant, and how the merchant knows it is true.
//!
//! A notification is a JSON body (a [`Notification`]) POSTed to the payment's notify URL with
//! three headers: [`EVENT_ID_HEADER`], [`TIMESTAMP_HEADER`] (Unix milliseconds of this delivery
//! attempt) and [`SIGNATURE_HEADER`], the lower-case hex of
//! `HMAC-SHA256(secret, timestamp + "." + body)`. Signing the timestamp with the body lets the
//! merchant refuse an old message replayed later; the event id lets it refuse one replayed
//! inside the window.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// Header carrying the event id (the same as the body's `event_id`).
pub const EVENT_ID_HEADER: &str = "x-sandbox-event-id";

/// Header carrying the moment of this delivery attempt, in Unix milliseconds, as signed.
pub const TIMESTAMP_HEADER: &str = "x-sandbox-timestamp";

/// Header carrying the signature: lower-case hex HMAC-SHA256 over `timestamp + "." + body`.
pub const SIGNATURE_HEADER: &str = "x-sandbox-signature";

/// How far a notification's timestamp may be from the merchant's clock, either way: five
/// minutes absorbs clock skew and slow delivery while keeping a captured message short-lived.
pub const TIMESTAMP_TOLERANCE_MS: i64 = 5 * 60 * 1_000;

/// Largest notification body accepted; a real one is a few hundred bytes, and nothing larger
/// is hashed or parsed.
pub const MAX_NOTIFICATION_BODY_BYTES: usize = 16 * 1_024;

/// Shortest signing secret accepted: 16 bytes (128 bits) cannot be guessed.
pub const MIN_SECRET_BYTES: usize = 16;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// The buyer paid the full amount.
    PaymentSucceeded,
    /// The payment failed and will not succeed.
    PaymentFailed,
    /// A refund reached the buyer.
    RefundSucceeded,
    /// A refund failed; its amount may be refunded again.
    RefundFailed,
}

impl NotificationKind {
    /// The kind as its stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PaymentSucceeded => "payment_succeeded",
            Self::PaymentFailed => "payment_failed",
            Self::RefundSucceeded => "refund_succeeded",
            Self::RefundFailed => "refund_failed",
        }
    }
}

/// One event, as the gateway reports it; the body of a notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// Unique per event and the same in every delivery of it: the merchant's dedupe key.
    pub event_id: String,
    /// What happened.
    pub kind: NotificationKind,
    /// The gateway's payment id.
    pub gateway_payment_id: String,
    /// The merchant's payment id.
    pub merchant_payment_id: String,
    /// The gateway's refund id, for refund events.
    #[serde(default)]
    pub gateway_refund_id: Option<String>,
    /// The merchant's refund id, for refund events.
    #[serde(default)]
    pub merchant_refund_id: Option<String>,
    /// The amount paid or refunded, in fen.
    pub amount_fen: i64,
    /// When it happened at the gateway, Unix milliseconds (not when it was delivered).
    pub occurred_at_ms: i64,
}

/// Why a notification was refused. Every variant has a stable [`code`](Self::code).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// A required header is absent.
    #[error("the {0} header is missing")]
    MissingHeader(&'static str),
    /// The signature does not match the timestamp and body: forged, altered, or signed with
    /// another secret.
    #[error("the signature does not match")]
    SignatureInvalid,
    /// The signed timestamp is more than five minutes from the merchant's clock.
    #[error("the timestamp is {skew_ms} ms from now, outside the allowed window")]
    TimestampOutOfWindow {
        /// Timestamp minus now, in milliseconds.
        skew_ms: i64,
    },
    /// The body is larger than any notification.
    #[error("the body is larger than {MAX_NOTIFICATION_BODY_BYTES} bytes")]
    BodyTooLarge,
    /// Signed correctly but not a notification (or the event id header disagrees).
    #[error("malformed notification: {0}")]
    Malformed(String),
}

impl VerifyError {
    /// The stable snake_case code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingHeader(_) => "missing_header",
            Self::SignatureInvalid => "signature_invalid",
            Self::TimestampOutOfWindow { .. } => "timestamp_out_of_window",
            Self::BodyTooLarge => "body_too_large",
            Self::Malformed(_) => "malformed_notification",
        }
    }
}

/// A shared HMAC key. Its bytes never appear in `Debug` output or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningSecret(Vec<u8>);

/// The secret was too short to be safe.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a signing secret needs at least {MIN_SECRET_BYTES} bytes")]
pub struct SecretTooShort;

impl SigningSecret {
    /// Wraps a secret of at least [`MIN_SECRET_BYTES`] bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<Self, SecretTooShort> {
        let bytes = bytes.into();
        if bytes.len() < MIN_SECRET_BYTES {
            return Err(SecretTooShort);
        }
        Ok(Self(bytes))
    }

    /// A fresh random 32-byte secret.
    pub fn random() -> Self {
        Self(rand::random::<[u8; 32]>().to_vec())
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC takes a key of any length (long keys are hashed), so this cannot fail.
        <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC accepts keys of any length")
    }

    /// The signature header's value for a message sent at `timestamp_ms`.
    pub fn sign(&self, timestamp_ms: i64, body: &[u8]) -> String {
        let mut mac = self.mac();
        mac.update(timestamp_ms.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }

    /// Checks a signature in constant time (the comparison leaks nothing about how much of a
    /// forged signature was right).
    pub fn verify(&self, timestamp: &str, body: &[u8], signature_hex: &str) -> bool {
        let Ok(signature) = hex::decode(signature_hex.trim()) else {
            return false;
        };
        let mut mac = self.mac();
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.verify_slice(&signature).is_ok()
    }
}

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("SigningSecret(..)")
    }
}

/// Whether a timestamp `skew_ms` away from now is inside the window (without overflowing on
/// any timestamp an attacker may send).
pub(crate) fn within_tolerance(skew_ms: i64) -> bool {
    skew_ms.unsigned_abs() <= TIMESTAMP_TOLERANCE_MS.unsigned_abs()
}

/// The value of a header, names compared without regard to case.
pub fn header_value<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

/// An HTTP request's headers as the (name, value) pairs
/// [`PaymentGateway::verify_notification`](crate::PaymentGateway::verify_notification) takes;
/// values that are not text are left out.
pub fn header_pairs(headers: &axum::http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter_map(|(name, value)| {
            let value = value.to_str().ok()?;
            Some((name.as_str().to_owned(), value.to_owned()))
        })
        .collect()
}

/// Verifies a notification signed with `secret` the way the sandbox signs it: signature
/// first (so a forgery is reported as one whatever its timestamp), then the time window, then
/// the body.
pub fn verify_signed_notification(
    secret: &SigningSecret,
    headers: &[(String, String)],
    body: &[u8],
    now_ms: i64,
) -> Result<Notification, VerifyError> {
    if body.len() > MAX_NOTIFICATION_BODY_BYTES {
        return Err(VerifyError::BodyTooLarge);
    }
    let timestamp = header_value(headers, TIMESTAMP_HEADER)
        .ok_or(VerifyError::MissingHeader(TIMESTAMP_HEADER))?;
    let signature = header_value(headers, SIGNATURE_HEADER)
        .ok_or(VerifyError::MissingHeader(SIGNATURE_HEADER))?;
    if !secret.verify(timestamp, body, signature) {
        return Err(VerifyError::SignatureInvalid);
    }
    let timestamp_ms: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| VerifyError::Malformed("the timestamp is not an integer".to_owned()))?;
    let skew_ms = timestamp_ms.saturating_sub(now_ms);
    if !within_tolerance(skew_ms) {
        return Err(VerifyError::TimestampOutOfWindow { skew_ms });
    }
    let notification: Notification =
        serde_json::from_slice(body).map_err(|error| VerifyError::Malformed(error.to_string()))?;
    if let Some(event_id) = header_value(headers, EVENT_ID_HEADER) {
        if event_id != notification.event_id {
            return Err(VerifyError::Malformed(
                "the event id header differs from the body".to_owned(),
            ));
        }
    }
    Ok(notification)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> SigningSecret {
        SigningSecret::new(*b"0123456789abcdef").expect("16 bytes are enough")
    }

    fn signed(body: &str, timestamp_ms: i64) -> Vec<(String, String)> {
        vec![
            (TIMESTAMP_HEADER.to_owned(), timestamp_ms.to_string()),
            (
                SIGNATURE_HEADER.to_owned(),
                secret().sign(timestamp_ms, body.as_bytes()),
            ),
        ]
    }

    const BODY: &str = r#"{"event_id":"evt_1","kind":"payment_succeeded","gateway_payment_id":"sbp_1","merchant_payment_id":"m1","amount_fen":100,"occurred_at_ms":5}"#;

    #[test]
    fn a_signed_notification_verifies_and_parses() {
        let now_ms = 1_700_000_000_000;
        let notification =
            verify_signed_notification(&secret(), &signed(BODY, now_ms), BODY.as_bytes(), now_ms)
                .expect("a genuine notification verifies");
        assert_eq!(notification.event_id, "evt_1");
        assert_eq!(notification.kind, NotificationKind::PaymentSucceeded);
        assert_eq!(notification.merchant_refund_id, None);
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
        // Computed independently: printf '5.{}' | openssl dgst -sha256 -hmac 0123456789abcdef
        assert_eq!(
            secret().sign(5, b"{}"),
            "6e2cb7401c2f8e178b2f9c3c1303832994a6ed65f18856dbf5e33aba41e3a683"
        );
    }

    #[test]
    fn the_window_is_five_minutes_either_way() {
        let now_ms: i64 = 1_700_000_000_000;
        for (offset_ms, ok) in [
            (-TIMESTAMP_TOLERANCE_MS, true),
            (TIMESTAMP_TOLERANCE_MS, true),
            (-TIMESTAMP_TOLERANCE_MS - 1, false),
            (TIMESTAMP_TOLERANCE_MS + 1, false),
            (i64::MIN / 2, false),
        ] {
            let result = verify_signed_notification(
                &secret(),
                &signed(BODY, now_ms.saturating_add(offset_ms)),
                BODY.as_bytes(),
                now_ms,
            );
            assert_eq!(result.is_ok(), ok, "offset {offset_ms}");
        }
    }

    #[test]
    fn header_names_match_in_any_case_and_the_event_id_header_must_agree() {
        let now_ms = 1_700_000_000_000;
        let mut headers: Vec<(String, String)> = signed(BODY, now_ms)
            .into_iter()
            .map(|(name, value)| (name.to_uppercase(), value))
            .collect();
        assert!(verify_signed_notification(&secret(), &headers, BODY.as_bytes(), now_ms).is_ok());
        headers.push(("X-Sandbox-Event-Id".to_owned(), "evt_2".to_owned()));
        let error = verify_signed_notification(&secret(), &headers, BODY.as_bytes(), now_ms)
            .expect_err("the headers disagree");
        assert_eq!(error.code(), "malformed_notification");
    }

    #[test]
    fn short_secrets_are_refused_and_never_printed() {
        assert_eq!(SigningSecret::new(*b"short"), Err(SecretTooShort));
        assert_eq!(format!("{:?}", secret()), "SigningSecret(..)");
    }
}
