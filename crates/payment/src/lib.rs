//! Payments for daihuo: the [`PaymentGateway`] interface checkout talks to, and
//! [`SandboxGateway`], a built-in gateway that behaves like a real asynchronous one.
//!
//! A payment goes the way it goes at Alipay or WeChat Pay: the merchant creates it
//! ([`PaymentGateway::create_payment`], idempotent on the merchant's id) and sends the buyer
//! to its `pay_url`; the buyer pays on the gateway's page; the gateway then POSTs a signed
//! [`Notification`] to the payment's notify URL and retries at growing intervals until the
//! merchant answers 2xx. Refunds are accepted at once and reported the same way.
//!
//! The merchant's side of the contract, which no gateway can do for it:
//! 1. verify every notification ([`PaymentGateway::verify_notification`]: HMAC-SHA256 over
//!    `timestamp + "." + body`, a timestamp within five minutes) and refuse what fails;
//! 2. drop an event whose id it has processed before: the same event arrives again after a
//!    lost acknowledgement, and may arrive twice or out of order;
//! 3. apply the event and record its id in one transaction, and only then answer 2xx.
//!
//! The sandbox keeps everything in memory and serves its own HTTP surface
//! ([`SandboxGateway::router`], [`SandboxGateway::serve`]): a pay page, a signed merchant API
//! that [`SandboxClient`] calls, and a control endpoint that makes notifications late,
//! duplicated, reordered or lost, and payments or refunds fail. docs/PAYMENTS.md describes
//! the wire format.
//!
//! Architecture invariant: this crate depends on no other daihuo crate and knows nothing of
//! orders or storage; amounts are plain fen and ids are the merchant's strings.

mod client;
mod gateway;
mod notification;
mod sandbox;

pub use client::{SandboxClient, REQUEST_TIMEOUT};
pub use gateway::{
    GatewayError, GatewayTransaction, PaymentGateway, PaymentIntent, PaymentRequest, PaymentStatus,
    PaymentView, RefundAccepted, RefundRequest, TransactionKind, MAX_AMOUNT_FEN,
    MAX_DESCRIPTION_CHARS, MAX_MERCHANT_ID_CHARS, MAX_NOTIFY_URL_CHARS, MAX_TRANSACTIONS_PER_CALL,
};
pub use notification::{
    header_pairs, header_value, verify_signed_notification, Notification, NotificationKind,
    SecretTooShort, SigningSecret, VerifyError, EVENT_ID_HEADER, MAX_NOTIFICATION_BODY_BYTES,
    MIN_SECRET_BYTES, SIGNATURE_HEADER, TIMESTAMP_HEADER, TIMESTAMP_TOLERANCE_MS,
};
pub use sandbox::{
    DeliveryStats, FailedDelivery, FaultConfig, PayOutcome, RetrySchedule, SandboxConfig,
    SandboxGateway, MAX_FAILED_DELIVERIES, MAX_FAULT_DELAY_MS, MAX_PAYMENTS, MAX_REFUNDS,
    MAX_REORDER_BATCH, MAX_REQUEST_BODY_BYTES,
};
