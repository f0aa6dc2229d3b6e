//! Sending notifications: signing each attempt, retrying on the schedule until a 2xx, and
//! the fault modes that delay, duplicate, reorder and drop them.
//!
//! The path of one event: `emit` (copies for `duplicate`, wait for `delay_ms`) → `stage`
//! (held for a reorder batch, or sent at once) → `deliver` (attempts until acknowledged or
//! out of attempts, then the failed deliveries).

use std::sync::Arc;

use serde::Serialize;

use super::{now_ms, Inner};
use crate::notification::{
    Notification, NotificationKind, EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER,
};

/// Most failed deliveries kept; beyond it the oldest are forgotten (and were logged).
pub const MAX_FAILED_DELIVERIES: usize = 10_000;

/// One event on its way to one notify URL.
pub(super) struct Delivery {
    notification: Notification,
    notify_url: String,
    /// The JSON body, serialised once so every attempt and copy sends the same bytes.
    body: Vec<u8>,
}

/// A notification the merchant never acknowledged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedDelivery {
    /// The event's id.
    pub event_id: String,
    /// What it reported.
    pub kind: NotificationKind,
    /// Where it was sent.
    pub notify_url: String,
    /// Attempts made, lost ones included.
    pub attempts: u32,
    /// Why the last attempt failed.
    pub last_error: String,
    /// The notification itself.
    pub notification: Notification,
}

/// Counts of what deliveries did since the sandbox started.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryStats {
    /// Attempts made, lost ones included.
    pub attempts: u64,
    /// Attempts lost on purpose by the `drop_next_attempts` fault.
    pub dropped_attempts: u64,
    /// Deliveries acknowledged with a 2xx (a duplicated event counts twice).
    pub acknowledged: u64,
    /// Deliveries given up after the last attempt.
    pub failed: u64,
    /// Deliveries neither acknowledged nor given up yet (delayed, held or retrying).
    pub in_flight: u64,
    /// Deliveries held now for a reorder batch.
    pub held: u64,
}

/// Starts delivering a new event: once, or twice with `duplicate`, each after `delay_ms`.
pub(super) fn emit(inner: &Arc<Inner>, notification: Notification, notify_url: String) {
    // A struct of strings and integers always serialises.
    let body = serde_json::to_vec(&notification).expect("a notification serialises");
    let delivery = Arc::new(Delivery {
        notification,
        notify_url,
        body,
    });
    let (delay_ms, copies) = {
        let mut state = inner.lock();
        let copies: u64 = if state.faults.duplicate { 2 } else { 1 };
        state.stats.in_flight += copies;
        (state.faults.delay_ms, copies)
    };
    for _ in 0..copies {
        if delay_ms == 0 {
            // Staged here, not in a task, so a reorder batch holds events in the order they
            // happened.
            stage(inner, Arc::clone(&delivery));
            continue;
        }
        let inner = Arc::clone(inner);
        let delivery = Arc::clone(&delivery);
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(delay_ms)).await;
            stage(&inner, delivery);
        });
    }
}

/// Sends a delivery now, or holds it for a reorder batch and sends the batch once full.
fn stage(inner: &Arc<Inner>, delivery: Arc<Delivery>) {
    let (release, start_timer) = {
        let mut state = inner.lock();
        let batch = state.faults.reorder_batch;
        if batch <= 1 {
            drop(state);
            tokio::spawn(deliver(Arc::clone(inner), delivery, 0, String::new()));
            return;
        }
        state.held.push(delivery);
        let generation = state.held_generation;
        if state.held.len() >= batch as usize {
            (state.take_held(), None)
        } else if state.held.len() == 1 {
            (Vec::new(), Some(generation))
        } else {
            (Vec::new(), None)
        }
    };
    release_reversed(inner, release);
    if let Some(generation) = start_timer {
        // A batch that never fills is sent anyway after `reorder_hold_max`, so a test that
        // stops paying does not strand what was held.
        let inner = Arc::clone(inner);
        tokio::spawn(async move {
            tokio::time::sleep(inner.config.reorder_hold_max).await;
            let release = {
                let mut state = inner.lock();
                if state.held_generation == generation {
                    state.take_held()
                } else {
                    Vec::new()
                }
            };
            release_reversed(&inner, release);
        });
    }
}

/// Sends a held batch newest first. First attempts go one after another, so the merchant
/// really sees them in reverse; retries, if any, then run on their own.
pub(super) fn release_reversed(inner: &Arc<Inner>, batch: Vec<Arc<Delivery>>) {
    if batch.is_empty() {
        return;
    }
    let inner = Arc::clone(inner);
    tokio::spawn(async move {
        for delivery in batch.into_iter().rev() {
            match attempt(&inner, &delivery).await {
                Ok(()) => acknowledged(&inner, &delivery, 1),
                Err(error) => {
                    tokio::spawn(deliver(Arc::clone(&inner), delivery, 1, error));
                }
            }
        }
    });
}

/// Attempts a delivery until it is acknowledged or out of attempts; `attempts_made` were
/// made already, the last failing with `last_error`.
async fn deliver(
    inner: Arc<Inner>,
    delivery: Arc<Delivery>,
    mut attempts_made: u32,
    mut last_error: String,
) {
    let schedule = &inner.config.retry;
    loop {
        if attempts_made >= schedule.max_attempts {
            given_up(&inner, &delivery, attempts_made, last_error);
            return;
        }
        if attempts_made > 0 {
            tokio::time::sleep(schedule.wait_after(attempts_made)).await;
        }
        attempts_made += 1;
        match attempt(&inner, &delivery).await {
            Ok(()) => {
                acknowledged(&inner, &delivery, attempts_made);
                return;
            }
            Err(error) => {
                tracing::debug!(
                    event_id = %delivery.notification.event_id,
                    attempt = attempts_made,
                    %error,
                    "sandbox notification not acknowledged"
                );
                last_error = error;
            }
        }
    }
}

/// One signed POST; `Ok` only for a 2xx answer within the acknowledgement timeout.
async fn attempt(inner: &Inner, delivery: &Delivery) -> Result<(), String> {
    {
        let mut state = inner.lock();
        state.stats.attempts += 1;
        if state.faults.drop_next_attempts > 0 {
            state.faults.drop_next_attempts -= 1;
            state.stats.dropped_attempts += 1;
            return Err("lost by the drop_next_attempts fault".to_owned());
        }
    }
    // Each attempt is signed afresh, so a retry hours later is inside the merchant's window.
    let timestamp_ms = now_ms();
    let signature = inner.config.secret.sign(timestamp_ms, &delivery.body);
    let response = inner
        .http
        .post(&delivery.notify_url)
        .timeout(inner.config.ack_timeout)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(EVENT_ID_HEADER, &delivery.notification.event_id)
        .header(TIMESTAMP_HEADER, timestamp_ms.to_string())
        .header(SIGNATURE_HEADER, signature)
        .body(delivery.body.clone())
        .send()
        .await
        .map_err(|error| format!("request failed: {error}"))?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("answered {status}"))
    }
}

fn acknowledged(inner: &Inner, delivery: &Delivery, attempts: u32) {
    tracing::debug!(
        event_id = %delivery.notification.event_id,
        attempts,
        "sandbox notification acknowledged"
    );
    let mut state = inner.lock();
    state.stats.acknowledged += 1;
    state.stats.in_flight = state.stats.in_flight.saturating_sub(1);
}

fn given_up(inner: &Inner, delivery: &Delivery, attempts: u32, last_error: String) {
    tracing::warn!(
        event_id = %delivery.notification.event_id,
        notify_url = %delivery.notify_url,
        attempts,
        %last_error,
        "sandbox notification given up"
    );
    let mut state = inner.lock();
    state.stats.failed += 1;
    state.stats.in_flight = state.stats.in_flight.saturating_sub(1);
    if state.failed.len() >= MAX_FAILED_DELIVERIES {
        state.failed.pop_front();
    }
    state.failed.push_back(FailedDelivery {
        event_id: delivery.notification.event_id.clone(),
        kind: delivery.notification.kind,
        notify_url: delivery.notify_url.clone(),
        attempts,
        last_error,
        notification: delivery.notification.clone(),
    });
}
