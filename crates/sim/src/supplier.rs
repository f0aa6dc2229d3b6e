//! A supplier's order system: an HTTP server on port 0 that takes daihuo's webhooks, checks
//! each one's HMAC-SHA256 signature and headers, de-duplicates by event id as the
//! documentation tells suppliers to, and hands every new event to its owner.
//!
//! It can be told to be down (503 for everything) or to take events in and answer 500 to
//! the first requests (so daihuo sends them again and the supplier sees duplicates).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use serde_json::Value;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc;

/// The header naming the event (what suppliers de-duplicate on).
pub const EVENT_ID_HEADER: &str = "x-daihuo-event-id";
/// The header naming the event's kind.
pub const EVENT_KIND_HEADER: &str = "x-daihuo-event-kind";
/// The header with the signing time, Unix milliseconds.
pub const TIMESTAMP_HEADER: &str = "x-daihuo-timestamp";
/// The header with the hex HMAC-SHA256 of `timestamp + "." + body`.
pub const SIGNATURE_HEADER: &str = "x-daihuo-signature";
/// The most a signing time may differ from the receiver's clock before the request is
/// refused as a replay.
pub const MAX_SKEW_MS: i64 = 60_000;
/// The path the server takes webhooks on.
pub const WEBHOOK_PATH: &str = "/daihuo/events";

/// How the simulated supplier answers webhooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Checks, records and acknowledges.
    Up,
    /// Unreachable in effect: 503 for everything, nothing recorded.
    Down,
    /// Takes events in (records them) but answers 500 to the first `n` requests: daihuo must
    /// send them again, and the supplier sees duplicates.
    FailFirst(u64),
}

/// One verified webhook a supplier took in for the first time.
#[derive(Debug, Clone)]
pub struct Received {
    /// The event: `event_id`, `kind`, `order_id`, `data`, … as daihuo sent it.
    pub event: Value,
    /// When it arrived, Unix milliseconds.
    pub at_ms: i64,
}

/// What the server has seen.
struct Shared {
    /// The signing secret daihuo gave the supplier.
    secret: Mutex<String>,
    /// How it answers now.
    mode: Mutex<Mode>,
    /// Every request.
    requests: AtomicU64,
    /// Requests whose signature or headers did not check out.
    bad_signatures: AtomicU64,
    /// Verified requests, duplicates included.
    deliveries: AtomicU64,
    /// Event ids taken in: the de-duplication a supplier does.
    seen: Mutex<HashSet<String>>,
    /// Every verified body, duplicates included, when the owner asked to keep them.
    bodies: Option<Mutex<Vec<Value>>>,
    /// Where new events go; closed when the owner stops listening.
    events: mpsc::UnboundedSender<Received>,
}

/// A running simulated supplier system.
pub struct SupplierSystem {
    /// Its webhook URL.
    url: String,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for SupplierSystem {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Unix milliseconds now.
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Checks a webhook as a supplier must: the signature over `timestamp.body` with the shared
/// secret, a signing time within [`MAX_SKEW_MS`] of `now_ms`, and headers that agree with
/// the body. Returns the event, or `None` for anything that does not check out.
pub fn verify(secret: &str, headers: &HeaderMap, body: &[u8], now_ms: i64) -> Option<Value> {
    let header = |name: &str| headers.get(name)?.to_str().ok();
    let timestamp = header(TIMESTAMP_HEADER)?;
    let signature = hex::decode(header(SIGNATURE_HEADER)?).ok()?;
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&signature).ok()?;
    let skew = timestamp.parse::<i64>().ok()? - now_ms;
    if skew.abs() > MAX_SKEW_MS {
        return None;
    }
    let event: Value = serde_json::from_slice(body).ok()?;
    (event["event_id"].as_str()? == header(EVENT_ID_HEADER)?
        && event["kind"].as_str()? == header(EVENT_KIND_HEADER)?)
    .then_some(event)
}

async fn receive(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let seen = shared.requests.fetch_add(1, Ordering::SeqCst) + 1;
    let mode = *lock(&shared.mode);
    if mode == Mode::Down {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let secret = lock(&shared.secret).clone();
    let now = now_ms();
    let Some(event) = verify(&secret, &headers, &body, now) else {
        shared.bad_signatures.fetch_add(1, Ordering::SeqCst);
        return StatusCode::UNAUTHORIZED;
    };
    shared.deliveries.fetch_add(1, Ordering::SeqCst);
    if let Some(bodies) = &shared.bodies {
        lock(bodies).push(event.clone());
    }
    let id = event["event_id"].as_str().unwrap_or_default().to_owned();
    if lock(&shared.seen).insert(id) {
        // The owner may have stopped listening; the event is still acknowledged.
        let _ = shared.events.send(Received { event, at_ms: now });
    }
    match mode {
        Mode::FailFirst(n) if seen <= n => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::OK,
    }
}

impl SupplierSystem {
    /// Starts a server on 127.0.0.1, port 0, answering as `mode` says. With `keep_bodies`
    /// every verified body is kept (duplicates included) for [`SupplierSystem::bodies`].
    /// New events arrive on the returned receiver.
    pub async fn start(
        mode: Mode,
        keep_bodies: bool,
    ) -> anyhow::Result<(SupplierSystem, mpsc::UnboundedReceiver<Received>)> {
        let (events, receiver) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            secret: Mutex::new(String::new()),
            mode: Mutex::new(mode),
            requests: AtomicU64::new(0),
            bad_signatures: AtomicU64::new(0),
            deliveries: AtomicU64::new(0),
            seen: Mutex::new(HashSet::new()),
            bodies: keep_bodies.then(|| Mutex::new(Vec::new())),
            events,
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}{WEBHOOK_PATH}", listener.local_addr()?);
        let router = axum::Router::new()
            .route(WEBHOOK_PATH, axum::routing::post(receive))
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, router).await {
                eprintln!("the simulated supplier stopped: {error}");
            }
        });
        Ok((
            SupplierSystem {
                url,
                shared,
                server,
            },
            receiver,
        ))
    }

    /// The webhook URL to register with daihuo.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Keeps the signing secret daihuo answered the registration with.
    pub fn set_secret(&self, secret: &str) {
        *lock(&self.shared.secret) = secret.to_owned();
    }

    /// Changes how it answers from now on.
    pub fn set_mode(&self, mode: Mode) {
        *lock(&self.shared.mode) = mode;
    }

    /// Every request it got.
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// Requests refused for their signature or headers.
    pub fn bad_signatures(&self) -> u64 {
        self.shared.bad_signatures.load(Ordering::SeqCst)
    }

    /// Verified requests, duplicates included.
    pub fn deliveries(&self) -> u64 {
        self.shared.deliveries.load(Ordering::SeqCst)
    }

    /// Distinct event ids taken in.
    pub fn unique(&self) -> HashSet<String> {
        lock(&self.shared.seen).clone()
    }

    /// How many distinct events it took in.
    pub fn unique_count(&self) -> usize {
        lock(&self.shared.seen).len()
    }

    /// Every verified body, duplicates included (empty unless started with `keep_bodies`).
    pub fn bodies(&self) -> Vec<Value> {
        self.shared
            .bodies
            .as_ref()
            .map(|bodies| lock(bodies).clone())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn signed(secret: &str, timestamp: i64, body: &str) -> HeaderMap {
        let mut mac =
            <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("a key");
        mac.update(format!("{timestamp}.{body}").as_bytes());
        let mut headers = HeaderMap::new();
        let event: Value = serde_json::from_str(body).expect("json");
        let put = |headers: &mut HeaderMap, name: &'static str, value: String| {
            headers.insert(name, HeaderValue::from_str(&value).expect("a header"));
        };
        put(&mut headers, TIMESTAMP_HEADER, timestamp.to_string());
        put(
            &mut headers,
            SIGNATURE_HEADER,
            hex::encode(mac.finalize().into_bytes()),
        );
        put(
            &mut headers,
            EVENT_ID_HEADER,
            event["event_id"].as_str().unwrap_or_default().to_owned(),
        );
        put(
            &mut headers,
            EVENT_KIND_HEADER,
            event["kind"].as_str().unwrap_or_default().to_owned(),
        );
        headers
    }

    const BODY: &str = r#"{"event_id":"e-1","kind":"order.routed","order_id":7}"#;

    #[test]
    fn a_good_signature_verifies() {
        let headers = signed("s3cret", 1_000_000, BODY);
        let event = verify("s3cret", &headers, BODY.as_bytes(), 1_000_500).expect("verified");
        assert_eq!(event["order_id"], 7);
    }

    #[test]
    fn another_secret_a_changed_body_or_an_old_time_is_refused() {
        let headers = signed("s3cret", 1_000_000, BODY);
        assert!(verify("other", &headers, BODY.as_bytes(), 1_000_000).is_none());
        let changed = BODY.replace('7', "8");
        assert!(verify("s3cret", &headers, changed.as_bytes(), 1_000_000).is_none());
        let late = 1_000_000 + MAX_SKEW_MS + 1;
        assert!(verify("s3cret", &headers, BODY.as_bytes(), late).is_none());
    }

    #[test]
    fn headers_that_disagree_with_the_body_are_refused() {
        let mut headers = signed("s3cret", 1_000_000, BODY);
        headers.insert(
            EVENT_KIND_HEADER,
            HeaderValue::from_static("order.cancelled"),
        );
        assert!(verify("s3cret", &headers, BODY.as_bytes(), 1_000_000).is_none());
    }
}
