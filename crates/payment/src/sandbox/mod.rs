//! The built-in sandbox gateway: an in-memory gateway with its own HTTP surface that
//! behaves like an asynchronous one, so checkout is tested against it as if it were external.

mod delivery;
mod http;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

pub use delivery::{DeliveryStats, FailedDelivery, MAX_FAILED_DELIVERIES};
pub(crate) use http::transactions_signed;
pub use http::MAX_REQUEST_BODY_BYTES;

use crate::gateway::{
    check_payment_request, check_refund_request, GatewayError, GatewayTransaction, PaymentGateway,
    PaymentIntent, PaymentRequest, PaymentStatus, PaymentView, RefundAccepted, RefundRequest,
    TransactionKind, MAX_TRANSACTIONS_PER_CALL,
};
use crate::notification::{
    verify_signed_notification, Notification, NotificationKind, SigningSecret, VerifyError,
};

/// Most payments one sandbox holds: it is memory only, and a benchmark that creates more is
/// better told so than left to swap.
pub const MAX_PAYMENTS: usize = 1_000_000;

/// Most refunds one sandbox holds, for the same reason.
pub const MAX_REFUNDS: usize = 1_000_000;

/// Longest notification delay the control endpoint accepts: ten minutes is longer than any
/// reservation deadline worth testing.
pub const MAX_FAULT_DELAY_MS: u64 = 10 * 60 * 1_000;

/// Largest reorder batch: a batch is held in memory until it fills.
pub const MAX_REORDER_BATCH: u32 = 1_000;

/// How often and how long the sandbox retries a notification that was not acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule {
    /// The wait after the first, second, … failed attempt; the last one repeats.
    pub intervals: Vec<Duration>,
    /// Attempts in all, the first included, before the event goes to the failed deliveries.
    pub max_attempts: u32,
}

impl Default for RetrySchedule {
    /// The schedule of a real gateway (WeChat Pay's): 15 s, 15 s, 30 s, 3 min, 10 min,
    /// 20 min, 30 min, 30 min, 30 min, 60 min, 3 h, 3 h, 3 h, 6 h, 6 h; 16 attempts over
    /// about a day.
    fn default() -> Self {
        let minutes = |count: u64| Duration::from_secs(count * 60);
        Self {
            intervals: vec![
                Duration::from_secs(15),
                Duration::from_secs(15),
                Duration::from_secs(30),
                minutes(3),
                minutes(10),
                minutes(20),
                minutes(30),
                minutes(30),
                minutes(30),
                minutes(60),
                minutes(180),
                minutes(180),
                minutes(180),
                minutes(360),
                minutes(360),
            ],
            max_attempts: 16,
        }
    }
}

impl RetrySchedule {
    /// Waits that start at `first` and double up to `cap`, for tests and benchmarks.
    pub fn growing(first: Duration, cap: Duration, max_attempts: u32) -> Self {
        let mut intervals = vec![first.min(cap)];
        while let Some(&last) = intervals.last() {
            let next = last.saturating_mul(2).min(cap);
            // Stops at the cap, and at once for a zero first wait, which doubling never grows.
            if next <= last {
                break;
            }
            intervals.push(next);
        }
        Self {
            intervals,
            max_attempts: max_attempts.max(1),
        }
    }

    /// The wait after `failed_attempts` attempts have failed (at least one).
    pub fn wait_after(&self, failed_attempts: u32) -> Duration {
        let index = usize::try_from(failed_attempts.saturating_sub(1)).unwrap_or(usize::MAX);
        self.intervals
            .get(index)
            .or(self.intervals.last())
            .copied()
            .unwrap_or(Duration::from_secs(1))
    }
}

/// How a sandbox is set up.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// The URL its routes are reached at from outside, prefix included and without a trailing
    /// slash (`http://127.0.0.1:8080/sandbox-pay`); pay URLs are built on it.
    pub public_base_url: String,
    /// The secret shared with the merchant: signs notifications and checks API requests.
    pub secret: SigningSecret,
    /// When notifications are retried.
    pub retry: RetrySchedule,
    /// How long one delivery attempt waits for the merchant's answer: a merchant is expected
    /// to acknowledge within 3 s, as the platforms in DESIGN.md require.
    pub ack_timeout: Duration,
    /// How long a partly filled reorder batch is held before it is sent anyway (reversed),
    /// so no event waits forever for a batch that never fills.
    pub reorder_hold_max: Duration,
}

impl SandboxConfig {
    /// A configuration with the real retry schedule, a 3 s acknowledgement timeout and
    /// reorder batches held at most 2 s.
    pub fn new(public_base_url: impl Into<String>, secret: SigningSecret) -> Self {
        Self {
            public_base_url: public_base_url.into().trim_end_matches('/').to_owned(),
            secret,
            retry: RetrySchedule::default(),
            ack_timeout: Duration::from_secs(3),
            reorder_hold_max: Duration::from_secs(2),
        }
    }
}

/// Faults the sandbox injects, set through [`SandboxGateway::set_faults`] or
/// `POST {prefix}/control`. Setting replaces the whole set; absent fields are off.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultConfig {
    /// Hold every new notification this long before its first attempt.
    pub delay_ms: u64,
    /// Send every new notification twice, with the same event id, each retried on its own.
    pub duplicate: bool,
    /// Hold new notifications until this many are waiting, then send them in reverse order
    /// (0 or 1: off).
    pub reorder_batch: u32,
    /// The next this-many payments fail whatever the buyer chose (counts down).
    pub fail_next_payments: u32,
    /// The next this-many refunds fail (counts down).
    pub fail_next_refunds: u32,
    /// The next this-many delivery attempts are lost before they reach the merchant, so the
    /// retries run (counts down).
    pub drop_next_attempts: u32,
}

impl FaultConfig {
    fn check(&self) -> Result<(), GatewayError> {
        if self.delay_ms > MAX_FAULT_DELAY_MS {
            return Err(GatewayError::InvalidRequest(format!(
                "delay_ms must be at most {MAX_FAULT_DELAY_MS}"
            )));
        }
        if self.reorder_batch > MAX_REORDER_BATCH {
            return Err(GatewayError::InvalidRequest(format!(
                "reorder_batch must be at most {MAX_REORDER_BATCH}"
            )));
        }
        Ok(())
    }
}

/// What the simulated buyer does on the pay page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayOutcome {
    /// Pays.
    Succeed,
    /// The payment fails (declined card, insufficient balance).
    Fail,
}

/// The in-memory sandbox gateway. Cheap to clone; clones share one gateway.
///
/// Use it in-process as an `Arc<dyn PaymentGateway>`, and expose its HTTP surface with
/// [`router`](Self::router) (nested under a prefix of another server) or
/// [`serve`](Self::serve) (on a listener of its own, so it outlives a killed merchant).
/// Spawning notifications needs a Tokio runtime, so calls that pay or refund are async.
#[derive(Clone)]
pub struct SandboxGateway {
    inner: Arc<Inner>,
}

struct Inner {
    config: SandboxConfig,
    /// Sends notifications; one client keeps connections to the merchant alive.
    http: reqwest::Client,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    payments: HashMap<String, Payment>,
    /// Merchant payment id → gateway payment id: the idempotency index of `create_payment`.
    payment_ids: HashMap<String, String>,
    /// Merchant refund id → refund: the idempotency index of `refund`.
    refunds: HashMap<String, Refund>,
    faults: FaultConfig,
    /// Notifications waiting for a reorder batch to fill.
    held: Vec<Arc<delivery::Delivery>>,
    /// Bumped whenever `held` is emptied, so a hold timer for an earlier batch does nothing.
    held_generation: u64,
    failed: VecDeque<FailedDelivery>,
    stats: DeliveryStats,
}

struct Payment {
    intent: PaymentIntent,
    request: PaymentRequest,
    status: PaymentStatus,
    /// Accepted refunds not failed, in fen; never above the amount.
    refunded_fen: i64,
    /// When the buyer paid, if the payment succeeded: the gateway's own record that
    /// reconciliation reads.
    paid_at_ms: Option<i64>,
}

struct Refund {
    accepted: RefundAccepted,
    gateway_payment_id: String,
    /// The merchant's id of the payment refunded, for the gateway's transaction list.
    merchant_payment_id: String,
    amount_fen: i64,
    /// When the refund succeeded; `None` for a failed one.
    succeeded_at_ms: Option<i64>,
}

fn now_ms() -> i64 {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX)
}

fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", hex::encode(rand::random::<[u8; 12]>()))
}

impl SandboxGateway {
    /// A sandbox with no payments and no faults.
    pub fn new(config: SandboxConfig) -> Self {
        let http = reqwest::Client::builder()
            // The sandbox talks to the merchant directly, never through a proxy from the
            // environment.
            .no_proxy()
            // A gateway posts to the notify URL it was given; a redirect is a non-2xx answer.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Self {
            inner: Arc::new(Inner {
                config,
                http,
                state: Mutex::new(State::default()),
            }),
        }
    }

    /// Its configuration.
    pub fn config(&self) -> &SandboxConfig {
        &self.inner.config
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner.lock()
    }

    /// Replaces the fault modes. Turning reordering off sends what it held at once.
    pub fn set_faults(&self, faults: FaultConfig) -> Result<(), GatewayError> {
        faults.check()?;
        let release = {
            let mut state = self.state();
            state.faults = faults;
            if state.faults.reorder_batch <= 1 {
                state.take_held()
            } else {
                Vec::new()
            }
        };
        delivery::release_reversed(&self.inner, release);
        Ok(())
    }

    /// The fault modes now, with the counters as far as they have counted down.
    pub fn faults(&self) -> FaultConfig {
        self.state().faults.clone()
    }

    /// Sends whatever a reorder batch holds now, reversed, without waiting for it to fill.
    pub fn flush_held(&self) {
        let release = self.state().take_held();
        delivery::release_reversed(&self.inner, release);
    }

    /// Notifications that were never acknowledged after every retry, oldest first.
    pub fn failed_deliveries(&self) -> Vec<FailedDelivery> {
        self.state().failed.iter().cloned().collect()
    }

    /// Counts of delivery attempts and outcomes, for tests that wait for quiet.
    pub fn delivery_stats(&self) -> DeliveryStats {
        let state = self.state();
        DeliveryStats {
            held: state.held.len() as u64,
            ..state.stats.clone()
        }
    }

    /// The buyer pays (or fails to): what the pay endpoint does. The payment's notification
    /// is sent after this returns. A `fail_next_payments` fault turns a success into a
    /// failure.
    pub async fn pay_now(
        &self,
        gateway_payment_id: &str,
        outcome: PayOutcome,
    ) -> Result<PaymentStatus, GatewayError> {
        let now = now_ms();
        let (notification, notify_url) = {
            let mut state = self.state();
            let forced_failure = state.faults.fail_next_payments > 0;
            let payment = state
                .payments
                .get_mut(gateway_payment_id)
                .ok_or(GatewayError::PaymentNotFound)?;
            if payment.status != PaymentStatus::Pending {
                return Err(GatewayError::PaymentNotPending(format!(
                    "payment is already {}",
                    payment.status.as_str()
                )));
            }
            if now > payment.request.expires_at_ms {
                return Err(GatewayError::PaymentExpired);
            }
            let (status, kind) = if outcome == PayOutcome::Succeed && !forced_failure {
                (PaymentStatus::Succeeded, NotificationKind::PaymentSucceeded)
            } else {
                (PaymentStatus::Failed, NotificationKind::PaymentFailed)
            };
            payment.status = status;
            if status == PaymentStatus::Succeeded {
                payment.paid_at_ms = Some(now);
            }
            let notification = Notification {
                event_id: new_id("evt"),
                kind,
                gateway_payment_id: payment.intent.gateway_payment_id.clone(),
                merchant_payment_id: payment.request.merchant_payment_id.clone(),
                gateway_refund_id: None,
                merchant_refund_id: None,
                amount_fen: payment.request.amount_fen,
                occurred_at_ms: now,
            };
            let notify_url = payment.request.notify_url.clone();
            if forced_failure {
                state.faults.fail_next_payments -= 1;
            }
            (notification, notify_url)
        };
        let status = match notification.kind {
            NotificationKind::PaymentSucceeded => PaymentStatus::Succeeded,
            _ => PaymentStatus::Failed,
        };
        tracing::info!(
            gateway_payment_id,
            status = status.as_str(),
            "sandbox payment settled"
        );
        delivery::emit(&self.inner, notification, notify_url);
        Ok(status)
    }

    fn create(&self, request: PaymentRequest) -> Result<PaymentIntent, GatewayError> {
        check_payment_request(&request, now_ms()).map_err(GatewayError::InvalidRequest)?;
        let mut state = self.state();
        if let Some(existing) = state
            .payment_ids
            .get(&request.merchant_payment_id)
            .and_then(|id| state.payments.get(id))
        {
            if existing.request.amount_fen != request.amount_fen {
                return Err(GatewayError::IdempotencyConflict(format!(
                    "merchant_payment_id {} was used for {} fen, not {} fen",
                    request.merchant_payment_id, existing.request.amount_fen, request.amount_fen
                )));
            }
            return Ok(existing.intent.clone());
        }
        if state.payments.len() >= MAX_PAYMENTS {
            return Err(GatewayError::CapacityExhausted);
        }
        let gateway_payment_id = new_id("sbp");
        let intent = PaymentIntent {
            pay_url: format!(
                "{}/pay/{gateway_payment_id}",
                self.inner.config.public_base_url
            ),
            gateway_payment_id: gateway_payment_id.clone(),
        };
        state.payment_ids.insert(
            request.merchant_payment_id.clone(),
            gateway_payment_id.clone(),
        );
        state.payments.insert(
            gateway_payment_id,
            Payment {
                intent: intent.clone(),
                request,
                status: PaymentStatus::Pending,
                refunded_fen: 0,
                paid_at_ms: None,
            },
        );
        Ok(intent)
    }

    fn accept_refund(
        &self,
        request: RefundRequest,
    ) -> Result<(RefundAccepted, Option<(Notification, String)>), GatewayError> {
        check_refund_request(&request).map_err(GatewayError::InvalidRequest)?;
        let now = now_ms();
        let mut state = self.state();
        if let Some(existing) = state.refunds.get(&request.merchant_refund_id) {
            if existing.gateway_payment_id != request.gateway_payment_id
                || existing.amount_fen != request.amount_fen
            {
                return Err(GatewayError::IdempotencyConflict(format!(
                    "merchant_refund_id {} was used for {} fen of {}",
                    request.merchant_refund_id, existing.amount_fen, existing.gateway_payment_id
                )));
            }
            return Ok((existing.accepted.clone(), None));
        }
        if state.refunds.len() >= MAX_REFUNDS {
            return Err(GatewayError::CapacityExhausted);
        }
        let fail = state.faults.fail_next_refunds > 0;
        let payment = state
            .payments
            .get_mut(&request.gateway_payment_id)
            .ok_or(GatewayError::PaymentNotFound)?;
        if payment.status != PaymentStatus::Succeeded {
            return Err(GatewayError::PaymentNotPaid(format!(
                "payment is {}, not succeeded",
                payment.status.as_str()
            )));
        }
        // refunded_fen never exceeds the amount (checked below before it grows), so this is
        // never negative.
        let refundable_fen = payment.request.amount_fen - payment.refunded_fen;
        if request.amount_fen > refundable_fen {
            return Err(GatewayError::RefundExceedsPaid(format!(
                "a refund of {} fen exceeds the {refundable_fen} fen still refundable of {} fen paid",
                request.amount_fen, payment.request.amount_fen
            )));
        }
        let accepted = RefundAccepted {
            gateway_refund_id: new_id("sbr"),
            merchant_refund_id: request.merchant_refund_id.clone(),
        };
        // A failed refund gives its amount back to what may be refunded.
        if !fail {
            payment.refunded_fen += request.amount_fen;
        }
        let notification = Notification {
            event_id: new_id("evt"),
            kind: if fail {
                NotificationKind::RefundFailed
            } else {
                NotificationKind::RefundSucceeded
            },
            gateway_payment_id: request.gateway_payment_id.clone(),
            merchant_payment_id: payment.request.merchant_payment_id.clone(),
            gateway_refund_id: Some(accepted.gateway_refund_id.clone()),
            merchant_refund_id: Some(request.merchant_refund_id.clone()),
            amount_fen: request.amount_fen,
            occurred_at_ms: now,
        };
        let notify_url = payment.request.notify_url.clone();
        let merchant_payment_id = payment.request.merchant_payment_id.clone();
        if fail {
            state.faults.fail_next_refunds -= 1;
        }
        state.refunds.insert(
            request.merchant_refund_id.clone(),
            Refund {
                accepted: accepted.clone(),
                gateway_payment_id: request.gateway_payment_id,
                merchant_payment_id,
                amount_fen: request.amount_fen,
                succeeded_at_ms: (!fail).then_some(now),
            },
        );
        Ok((accepted, Some((notification, notify_url))))
    }

    fn view(&self, gateway_payment_id: &str) -> Result<PaymentView, GatewayError> {
        let state = self.state();
        let payment = state
            .payments
            .get(gateway_payment_id)
            .ok_or(GatewayError::PaymentNotFound)?;
        Ok(PaymentView {
            gateway_payment_id: payment.intent.gateway_payment_id.clone(),
            merchant_payment_id: payment.request.merchant_payment_id.clone(),
            amount_fen: payment.request.amount_fen,
            status: payment.status,
            refunded_fen: payment.refunded_fen,
        })
    }

    /// The payments and refunds that succeeded in `[from_ms, to_ms)`, read from the sandbox's
    /// own records, oldest first.
    fn list_transactions(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<GatewayTransaction>, GatewayError> {
        if from_ms > to_ms {
            return Err(GatewayError::InvalidRequest(
                "from_ms must not be after to_ms".to_owned(),
            ));
        }
        let within = |at: i64| from_ms <= at && at < to_ms;
        let state = self.state();
        let payments = state.payments.values().filter_map(|payment| {
            let at = payment.paid_at_ms.filter(|at| within(*at))?;
            Some(GatewayTransaction {
                kind: TransactionKind::Payment,
                gateway_payment_id: payment.intent.gateway_payment_id.clone(),
                merchant_payment_id: payment.request.merchant_payment_id.clone(),
                gateway_refund_id: None,
                merchant_refund_id: None,
                amount_fen: payment.request.amount_fen,
                occurred_at_ms: at,
            })
        });
        let refunds = state.refunds.values().filter_map(|refund| {
            let at = refund.succeeded_at_ms.filter(|at| within(*at))?;
            Some(GatewayTransaction {
                kind: TransactionKind::Refund,
                gateway_payment_id: refund.gateway_payment_id.clone(),
                merchant_payment_id: refund.merchant_payment_id.clone(),
                gateway_refund_id: Some(refund.accepted.gateway_refund_id.clone()),
                merchant_refund_id: Some(refund.accepted.merchant_refund_id.clone()),
                amount_fen: refund.amount_fen,
                occurred_at_ms: at,
            })
        });
        let mut listed: Vec<GatewayTransaction> = payments.chain(refunds).collect();
        if listed.len() > MAX_TRANSACTIONS_PER_CALL {
            return Err(GatewayError::InvalidRequest(format!(
                "more than {MAX_TRANSACTIONS_PER_CALL} transactions; ask for a shorter period"
            )));
        }
        listed.sort_by(|a, b| {
            (
                a.occurred_at_ms,
                &a.gateway_payment_id,
                &a.merchant_refund_id,
            )
                .cmp(&(
                    b.occurred_at_ms,
                    &b.gateway_payment_id,
                    &b.merchant_refund_id,
                ))
        });
        Ok(listed)
    }

    /// The payment's description and amount for the pay page, if it exists.
    fn pay_page_facts(&self, gateway_payment_id: &str) -> Option<(String, i64, PaymentStatus)> {
        let state = self.state();
        let payment = state.payments.get(gateway_payment_id)?;
        Some((
            payment.request.description.clone(),
            payment.request.amount_fen,
            payment.status,
        ))
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves no half-done change (each critical section
        // checks before it writes), so a poisoned lock is still usable.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl State {
    fn take_held(&mut self) -> Vec<Arc<delivery::Delivery>> {
        self.held_generation += 1;
        std::mem::take(&mut self.held)
    }
}

#[async_trait]
impl PaymentGateway for SandboxGateway {
    async fn create_payment(&self, request: PaymentRequest) -> Result<PaymentIntent, GatewayError> {
        self.create(request)
    }

    async fn refund(&self, request: RefundRequest) -> Result<RefundAccepted, GatewayError> {
        let (accepted, notification) = self.accept_refund(request)?;
        if let Some((notification, notify_url)) = notification {
            tracing::info!(
                gateway_refund_id = %accepted.gateway_refund_id,
                kind = notification.kind.as_str(),
                "sandbox refund settled"
            );
            delivery::emit(&self.inner, notification, notify_url);
        }
        Ok(accepted)
    }

    async fn payment(&self, gateway_payment_id: &str) -> Result<PaymentView, GatewayError> {
        self.view(gateway_payment_id)
    }

    async fn transactions(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<GatewayTransaction>, GatewayError> {
        self.list_transactions(from_ms, to_ms)
    }

    fn verify_notification(
        &self,
        headers: &[(String, String)],
        body: &[u8],
        now_ms: i64,
    ) -> Result<Notification, VerifyError> {
        verify_signed_notification(&self.inner.config.secret, headers, body, now_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growing_waits_double_up_to_the_cap_and_then_repeat_it() {
        let schedule =
            RetrySchedule::growing(Duration::from_millis(100), Duration::from_millis(500), 8);
        let waits: Vec<u128> = (1..=6)
            .map(|failed| schedule.wait_after(failed).as_millis())
            .collect();
        assert_eq!(waits, [100, 200, 400, 500, 500, 500]);
        assert_eq!(
            RetrySchedule::growing(Duration::ZERO, Duration::from_secs(1), 0),
            RetrySchedule {
                intervals: vec![Duration::ZERO],
                max_attempts: 1
            }
        );
    }

    #[test]
    fn the_default_schedule_is_a_real_gateways() {
        let schedule = RetrySchedule::default();
        assert_eq!(schedule.wait_after(1), Duration::from_secs(15));
        assert_eq!(schedule.wait_after(4), Duration::from_secs(180));
        assert_eq!(schedule.wait_after(99), Duration::from_secs(6 * 3_600));
        let total: Duration = schedule.intervals.iter().sum();
        assert_eq!(total.as_secs() / 3_600, 24, "retries span about a day");
    }

    #[test]
    fn faults_beyond_their_limits_are_refused() {
        let too_late = FaultConfig {
            delay_ms: MAX_FAULT_DELAY_MS + 1,
            ..FaultConfig::default()
        };
        assert_eq!(
            too_late.check().map_err(|error| error.code()),
            Err("invalid_request")
        );
        let too_big = FaultConfig {
            reorder_batch: MAX_REORDER_BATCH + 1,
            ..FaultConfig::default()
        };
        assert!(too_big.check().is_err());
    }
}
