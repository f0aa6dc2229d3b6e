//! A supplier's shipping desk and the carrier behind it: takes the `order.routed` events its
//! order system received, packs each order, confirms the shipment to daihuo with a waybill
//! number in the carrier's own format, and then reports the parcel's tracking one event at a
//! time, as a real carrier's feed does, until it is delivered a few minutes later.
//!
//! Everything goes over daihuo's public HTTP API with the supplier's bearer token, so the
//! desk is a client like any supplier's system. Each step is due at a time; the desk keeps
//! the steps in one queue ordered by that time (bounded by [`DeskConfig::parcels_max`]) and
//! sends one request at a time, so however many orders arrive its load on daihuo is one
//! request in flight.

use crate::supplier::Received;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, watch};

/// The carriers daihuo accepts, by their API codes.
pub const CARRIERS: [&str; 7] = ["sf", "jd", "zto", "yto", "sto", "yunda", "ems"];

/// The longest a request of the desk may take before it counts as failed.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How often a step that failed for a passing reason (daihuo busy, a timeout) is tried.
const ATTEMPTS_MAX: u32 = 3;
/// How long the desk waits before trying a failed step again.
const RETRY_AFTER_MS: i64 = 5_000;

/// A waybill number for `serial` in `carrier`'s format (see `daihuo_domain::waybill`), or
/// `None` for a carrier daihuo does not know. Different serials give different numbers.
pub fn waybill(carrier: &str, serial: u64) -> Option<String> {
    let digits = |width: u32| {
        let modulus = 10_u64.pow(width);
        format!("{:0width$}", serial % modulus, width = width as usize)
    };
    Some(match carrier {
        // SF and 13 digits.
        "sf" => format!("SF{}", digits(13)),
        // JDX and 12 digits.
        "jd" => format!("JDX{}", digits(12)),
        // 14 digits; the leading 7 is how ZTO numbers commonly start.
        "zto" => format!("7{}", digits(13)),
        // YT and 13 digits.
        "yto" => format!("YT{}", digits(13)),
        // 13 digits.
        "sto" => format!("7{}", digits(12)),
        // 15 digits.
        "yunda" => format!("4{}", digits(14)),
        // 13 digits, the domestic form.
        "ems" => format!("1{}", digits(12)),
        _ => return None,
    })
}

/// The carrier's name as buyers know it, for tracking details.
fn carrier_name(carrier: &str) -> &'static str {
    match carrier {
        "sf" => "顺丰速运",
        "jd" => "京东物流",
        "zto" => "中通快递",
        "yto" => "圆通速递",
        "sto" => "申通快递",
        "yunda" => "韵达快递",
        "ems" => "中国邮政EMS",
        _ => "快递",
    }
}

/// How the desk and its carrier take their time, milliseconds; each step waits a random
/// time in its range after the one before.
#[derive(Debug, Clone)]
pub struct DeskConfig {
    /// daihuo's base URL, e.g. `http://127.0.0.1:8080`.
    pub base_url: String,
    /// The supplier staff's bearer token.
    pub token: String,
    /// The carrier code the supplier ships with (one of [`CARRIERS`]).
    pub carrier: String,
    /// From the routed event to the shipment's confirmation (picking and packing).
    pub pack_ms: (u64, u64),
    /// Between one tracking event and the next: picked → shipped → in transit → out for
    /// delivery → delivered.
    pub leg_ms: (u64, u64),
    /// The most parcels the desk has in hand; events beyond it are left for people (the
    /// orders stay routed, as they would at a desk that is swamped).
    pub parcels_max: usize,
    /// Seeds the random waits and the waybill numbers.
    pub seed: u64,
}

/// What the desk did, reported as it happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// The order was handed to the carrier with this waybill number.
    Shipped {
        /// The order.
        order_id: i64,
        /// The waybill number.
        waybill: String,
    },
    /// The carrier reported the parcel delivered.
    Delivered {
        /// The order.
        order_id: i64,
    },
}

/// The tracking a parcel goes through after it is shipped, in order: stage and detail.
const LEGS: [(&str, &str); 5] = [
    ("picked", "快递员已揽收"),
    ("shipped", "快件已从发货仓发出，正在发往转运中心"),
    ("in_transit", "快件已到达转运中心，正在发往派送网点"),
    ("out_for_delivery", "快件正在派送中，请保持电话畅通"),
    ("delivered", "快件已签收，感谢使用"),
];

/// One step due for one order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Step {
    /// The order.
    order_id: i64,
    /// 0: confirm the shipment; 1..=5: report tracking leg `n - 1`.
    stage: usize,
    /// Attempts made at this step so far.
    attempts: u32,
}

/// Unix milliseconds now.
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A running desk's state.
struct Desk {
    config: DeskConfig,
    client: reqwest::Client,
    rng: StdRng,
    /// Steps by due time (Unix ms); ties keep the order they were queued in.
    queue: BinaryHeap<Reverse<(i64, u64, Step)>>,
    /// A sequence number for ties.
    queued: u64,
    /// The waybill of each order in hand.
    waybills: HashMap<i64, String>,
    /// Where progress goes; dropped progress is fine (nobody listens).
    progress: mpsc::UnboundedSender<Progress>,
}

/// How a step went.
enum Outcome {
    /// Done; go on with the next step.
    Done,
    /// daihuo refused the step for good (someone else shipped the order, it was refunded…):
    /// the parcel leaves the desk.
    Dropped,
    /// Worth trying again.
    Failed,
}

impl Desk {
    fn wait(&mut self, range: (u64, u64)) -> i64 {
        let (low, high) = (range.0.min(range.1), range.0.max(range.1));
        i64::try_from(self.rng.gen_range(low..=high)).unwrap_or(i64::MAX)
    }

    fn push(&mut self, due_ms: i64, step: Step) {
        self.queued += 1;
        self.queue.push(Reverse((due_ms, self.queued, step)));
    }

    /// Takes a new event: an order routed to this supplier gets a shipment step.
    fn take(&mut self, received: &Received) {
        if received.event["kind"] != "order.routed" {
            return;
        }
        let Some(order_id) = received.event["data"]["order_id"].as_i64() else {
            return;
        };
        if self.waybills.contains_key(&order_id) {
            return;
        }
        if self.waybills.len() >= self.config.parcels_max {
            tracing::warn!(
                order_id,
                "the shipping desk is full; the order waits for people"
            );
            return;
        }
        let serial = self.rng.gen::<u64>() ^ u64::try_from(order_id).unwrap_or(0);
        let Some(number) = waybill(&self.config.carrier, serial) else {
            tracing::warn!(carrier = %self.config.carrier, "unknown carrier; nothing shipped");
            return;
        };
        self.waybills.insert(order_id, number);
        let due = now_ms() + self.wait(self.config.pack_ms);
        self.push(
            due,
            Step {
                order_id,
                stage: 0,
                attempts: 0,
            },
        );
    }

    async fn post(&self, path: &str, body: Value) -> Result<Value, (u16, String)> {
        let response = self
            .client
            .post(format!("{}{path}", self.config.base_url))
            .bearer_auth(&self.config.token)
            .timeout(REQUEST_TIMEOUT)
            .json(&body)
            .send()
            .await
            .map_err(|e| (0, e.to_string()))?;
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if (200..300).contains(&status) {
            Ok(body)
        } else {
            let code = body["error"]["code"].as_str().unwrap_or("?").to_owned();
            Err((status, code))
        }
    }

    /// Carries out one step.
    async fn run(&mut self, step: Step) -> Outcome {
        let order = step.order_id;
        let Some(number) = self.waybills.get(&order).cloned() else {
            return Outcome::Dropped;
        };
        let result = if step.stage == 0 {
            self.post(
                &format!("/api/supplier/orders/{order}/shipments"),
                json!({"carrier": self.config.carrier, "waybill": number}),
            )
            .await
        } else {
            let (stage, detail) = LEGS[step.stage - 1];
            let detail = if stage == "picked" {
                format!("{}{detail}", carrier_name(&self.config.carrier))
            } else {
                detail.to_owned()
            };
            self.post(
                &format!("/api/supplier/orders/{order}/tracking"),
                json!({"events": [{"event_id": format!("{number}-{}", step.stage),
                    "stage": stage, "at_ms": now_ms(), "detail": detail}]}),
            )
            .await
        };
        match result {
            Ok(_) => {
                let progress = match step.stage {
                    0 => Some(Progress::Shipped {
                        order_id: order,
                        waybill: number,
                    }),
                    stage if stage == LEGS.len() => Some(Progress::Delivered { order_id: order }),
                    _ => None,
                };
                if let Some(progress) = progress {
                    let _ = self.progress.send(progress);
                }
                Outcome::Done
            }
            // A request daihuo will never accept (someone shipped the order by hand with
            // another waybill, it was cancelled or refunded): the parcel is not ours to move.
            Err((status @ 400..=499, code)) if status != 408 && status != 429 => {
                tracing::info!(
                    order,
                    status,
                    code,
                    "the desk drops an order daihuo refused"
                );
                Outcome::Dropped
            }
            Err((status, code)) => {
                tracing::warn!(order, status, code, "a shipping step failed; trying again");
                Outcome::Failed
            }
        }
    }

    /// Does the step due first, and queues what follows it.
    async fn next(&mut self) {
        let Some(Reverse((_, _, step))) = self.queue.pop() else {
            return;
        };
        match self.run(step).await {
            Outcome::Done if step.stage < LEGS.len() => {
                // The first leg (picked) comes at once with the shipment.
                let gap = if step.stage == 0 {
                    0
                } else {
                    self.wait(self.config.leg_ms)
                };
                self.push(
                    now_ms() + gap,
                    Step {
                        stage: step.stage + 1,
                        attempts: 0,
                        ..step
                    },
                );
            }
            Outcome::Failed if step.attempts + 1 < ATTEMPTS_MAX => {
                self.push(
                    now_ms() + RETRY_AFTER_MS,
                    Step {
                        attempts: step.attempts + 1,
                        ..step
                    },
                );
            }
            _ => {
                self.waybills.remove(&step.order_id);
            }
        }
    }
}

/// Runs a desk until `stop` turns true or the events end: takes `events` (what the
/// supplier's order system received; only those `accept` says yes to are shipped) and
/// reports on `progress`.
pub async fn run_desk(
    config: DeskConfig,
    mut events: mpsc::UnboundedReceiver<Received>,
    accept: impl Fn(&Received) -> bool,
    progress: mpsc::UnboundedSender<Progress>,
    mut stop: watch::Receiver<bool>,
) {
    let mut desk = Desk {
        rng: StdRng::seed_from_u64(config.seed),
        config,
        client: reqwest::Client::new(),
        queue: BinaryHeap::new(),
        queued: 0,
        waybills: HashMap::new(),
        progress,
    };
    loop {
        let due_in = desk
            .queue
            .peek()
            .map_or(Duration::from_secs(3_600), |item| {
                let Reverse((due, _, _)) = item;
                Duration::from_millis(u64::try_from(due - now_ms()).unwrap_or(0))
            });
        tokio::select! {
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    return;
                }
            }
            event = events.recv() => match event {
                Some(received) => {
                    if accept(&received) {
                        desk.take(&received);
                    }
                }
                None => return,
            },
            () = tokio::time::sleep(due_in) => desk.next().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_carrier_has_a_waybill_shape_and_serials_differ() {
        for carrier in CARRIERS {
            let a = waybill(carrier, 1).expect("a known carrier");
            let b = waybill(carrier, 2).expect("a known carrier");
            assert_ne!(a, b);
            assert!(a.bytes().all(|c| c.is_ascii_alphanumeric()), "{a}");
        }
        assert_eq!(waybill("dhl", 1), None);
    }
}
