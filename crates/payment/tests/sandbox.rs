//! The sandbox gateway driven over real HTTP on 127.0.0.1: a tiny merchant receives its
//! notifications, and every fault mode is observed from the merchant's side.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use daihuo_payment::{
    header_pairs, header_value, GatewayError, Notification, NotificationKind, PaymentGateway,
    PaymentIntent, PaymentRequest, PaymentStatus, RefundRequest, RetrySchedule, SandboxClient,
    SandboxConfig, SandboxGateway, SigningSecret, TransactionKind, EVENT_ID_HEADER,
    SIGNATURE_HEADER, TIMESTAMP_HEADER, TIMESTAMP_TOLERANCE_MS,
};
use serde_json::{json, Value};

/// How long a test waits for something the sandbox does asynchronously before failing:
/// generous, because a loaded machine is slow, and only reached when the test fails.
const DEADLINE: Duration = Duration::from_secs(15);

const SECRET: &[u8] = b"test-secret-of-32-bytes-at-least";

fn secret() -> SigningSecret {
    SigningSecret::new(SECRET).expect("a long enough secret")
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_millis() as i64
}

/// One notification as the merchant received it.
#[derive(Clone, Debug)]
struct Received {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        header_value(&self.headers, name).expect("the header is present")
    }

    fn notification(&self) -> Notification {
        serde_json::from_slice(&self.body).expect("a notification body")
    }
}

#[derive(Clone)]
struct MerchantState {
    received: Arc<Mutex<Vec<Received>>>,
    /// The merchant answers 500 to this many notifications before it acknowledges.
    refuse_first: Arc<AtomicU32>,
}

/// A merchant's notify endpoint: records every delivery and answers 500 to the first few.
struct Merchant {
    notify_url: String,
    state: MerchantState,
}

impl Merchant {
    async fn spawn(refuse_first: u32) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        Self::spawn_on(listener, refuse_first)
    }

    fn spawn_on(listener: tokio::net::TcpListener, refuse_first: u32) -> Self {
        let state = MerchantState {
            received: Arc::default(),
            refuse_first: Arc::new(AtomicU32::new(refuse_first)),
        };
        let address = listener.local_addr().expect("a bound address");
        let app = Router::new()
            .route("/notify", post(notify))
            .with_state(state.clone());
        tokio::spawn(async move {
            axum::serve(listener, app)
                .await
                .expect("the merchant serves")
        });
        Self {
            notify_url: format!("http://{address}/notify"),
            state,
        }
    }

    fn received(&self) -> Vec<Received> {
        self.state.received.lock().expect("the lock").clone()
    }

    async fn wait_for(&self, count: usize) -> Vec<Received> {
        wait_until("notifications to arrive", || self.received().len() >= count).await;
        self.received()
    }
}

async fn notify(State(state): State<MerchantState>, headers: HeaderMap, body: Bytes) -> StatusCode {
    state.received.lock().expect("the lock").push(Received {
        headers: header_pairs(&headers),
        body: body.to_vec(),
    });
    let refused = state
        .refuse_first
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
            left.checked_sub(1)
        })
        .is_ok();
    if refused {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    }
}

/// Polls `condition` until it holds, failing the test at the deadline.
async fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A sandbox serving on its own port with fast retries: 20 ms doubling to 160 ms, 6 attempts.
async fn spawn_sandbox(max_attempts: u32) -> (SandboxGateway, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let base_url = format!("http://{}", listener.local_addr().expect("a bound address"));
    let mut config = SandboxConfig::new(base_url.clone(), secret());
    config.retry = RetrySchedule::growing(
        Duration::from_millis(20),
        Duration::from_millis(160),
        max_attempts,
    );
    config.reorder_hold_max = Duration::from_secs(30);
    let gateway = SandboxGateway::new(config);
    let served = gateway.clone();
    tokio::spawn(async move { served.serve(listener).await.expect("the sandbox serves") });
    (gateway, base_url)
}

fn payment_request(merchant_payment_id: &str, amount_fen: i64, notify_url: &str) -> PaymentRequest {
    PaymentRequest {
        merchant_payment_id: merchant_payment_id.to_owned(),
        amount_fen,
        description: "Gree air conditioner <1.5 匹>".to_owned(),
        notify_url: notify_url.to_owned(),
        expires_at_ms: now_ms() + 5 * 60 * 1_000,
    }
}

async fn post_json(url: &str, body: Value) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .expect("the request is answered");
    let status = StatusCode::from_u16(response.status().as_u16()).expect("a valid status");
    (status, response.json().await.expect("a JSON answer"))
}

/// The buyer pays on the pay page, over HTTP.
/// Creates the payment of `order-1` (100 fen) and has the buyer pay it on the pay page.
async fn pay_order_1(gateway: &SandboxGateway, notify_url: &str) -> PaymentIntent {
    let intent = gateway
        .create_payment(payment_request("order-1", 100, notify_url))
        .await
        .expect("the payment is created");
    buyer_pays(&intent, "succeed").await;
    intent
}

async fn buyer_pays(intent: &PaymentIntent, outcome: &str) -> (StatusCode, Value) {
    post_json(&intent.pay_url, json!({ "outcome": outcome })).await
}

async fn set_faults(base_url: &str, faults: Value) {
    let (status, answer) = post_json(&format!("{base_url}/control"), faults).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}

#[tokio::test]
async fn a_signed_notification_arrives_after_the_buyer_pays() {
    let merchant = Merchant::spawn(0).await;
    let (gateway, _) = spawn_sandbox(6).await;
    let intent = gateway
        .create_payment(payment_request("order-1", 899_900, &merchant.notify_url))
        .await
        .expect("the payment is created");

    let page = reqwest::get(&intent.pay_url)
        .await
        .expect("the request is answered")
        .text()
        .await
        .expect("a page");
    assert!(page.contains("¥8999.00"), "{page}");
    assert!(
        page.contains("&lt;1.5 匹&gt;"),
        "the description is escaped: {page}"
    );
    assert!(
        merchant.received().is_empty(),
        "nothing is sent before the buyer pays"
    );

    let (status, answer) = buyer_pays(&intent, "succeed").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["status"], "succeeded");

    let received = merchant.wait_for(1).await;
    let notification = gateway
        .verify_notification(&received[0].headers, &received[0].body, now_ms())
        .expect("a genuine notification verifies");
    assert_eq!(notification.kind, NotificationKind::PaymentSucceeded);
    assert_eq!(notification.gateway_payment_id, intent.gateway_payment_id);
    assert_eq!(notification.merchant_payment_id, "order-1");
    assert_eq!(notification.amount_fen, 899_900);
    assert_eq!(notification.merchant_refund_id, None);
    assert_eq!(received[0].header(EVENT_ID_HEADER), notification.event_id);
    let signed_at: i64 = received[0]
        .header(TIMESTAMP_HEADER)
        .parse()
        .expect("an integer timestamp");
    assert!((signed_at - now_ms()).abs() < DEADLINE.as_millis() as i64);

    let (status, answer) = buyer_pays(&intent, "succeed").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(answer["error"]["code"], "payment_not_pending");
    let view = gateway
        .payment(&intent.gateway_payment_id)
        .await
        .expect("the payment exists");
    assert_eq!(view.status, PaymentStatus::Succeeded);
}

#[tokio::test]
async fn notifications_are_retried_until_acknowledged() {
    let merchant = Merchant::spawn(3).await;
    let (gateway, _) = spawn_sandbox(6).await;
    pay_order_1(&gateway, &merchant.notify_url).await;

    wait_until("the acknowledgement", || {
        gateway.delivery_stats().acknowledged == 1
    })
    .await;
    let received = merchant.received();
    assert_eq!(
        received.len(),
        4,
        "three refusals, then the acknowledged attempt"
    );
    let event_id = received[0].notification().event_id;
    for delivery in &received {
        let notification = gateway
            .verify_notification(&delivery.headers, &delivery.body, now_ms())
            .expect("a genuine notification verifies");
        assert_eq!(notification.event_id, event_id, "a retry is the same event");
    }
    let stats = gateway.delivery_stats();
    assert_eq!((stats.attempts, stats.in_flight, stats.failed), (4, 0, 0));
    assert!(gateway.failed_deliveries().is_empty());
}

#[tokio::test]
async fn a_merchant_that_was_down_is_notified_when_it_comes_back() {
    // A port with nobody listening: the merchant was killed.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let address = listener.local_addr().expect("a bound address");
    drop(listener);
    let (gateway, _) = spawn_sandbox(50).await;
    let intent = gateway
        .create_payment(payment_request(
            "order-1",
            100,
            &format!("http://{address}/notify"),
        ))
        .await
        .expect("the payment is created");
    buyer_pays(&intent, "succeed").await;
    wait_until("refused attempts", || {
        gateway.delivery_stats().attempts >= 2
    })
    .await;
    assert_eq!(gateway.delivery_stats().in_flight, 1, "still being retried");

    let listener = tokio::net::TcpListener::bind(address)
        .await
        .expect("the merchant's port again");
    let merchant = Merchant::spawn_on(listener, 0);
    let received = merchant.wait_for(1).await;
    assert_eq!(received[0].notification().merchant_payment_id, "order-1");
    wait_until("the acknowledgement", || {
        gateway.delivery_stats().acknowledged == 1
    })
    .await;
    assert!(gateway.failed_deliveries().is_empty());
}

#[tokio::test]
async fn an_event_never_acknowledged_ends_in_the_failed_deliveries() {
    let merchant = Merchant::spawn(u32::MAX).await;
    let (gateway, base_url) = spawn_sandbox(3).await;
    pay_order_1(&gateway, &merchant.notify_url).await;

    wait_until("the delivery to be given up", || {
        gateway.delivery_stats().failed == 1
    })
    .await;
    assert_eq!(
        merchant.received().len(),
        3,
        "exactly max_attempts attempts"
    );
    let failed: Value = reqwest::get(format!("{base_url}/deliveries/failed"))
        .await
        .expect("the request is answered")
        .json()
        .await
        .expect("a JSON answer");
    assert_eq!(failed.as_array().expect("a list").len(), 1);
    assert_eq!(failed[0]["attempts"], 3);
    assert_eq!(failed[0]["kind"], "payment_succeeded");
    assert_eq!(failed[0]["notification"]["merchant_payment_id"], "order-1");
    assert!(failed[0]["last_error"]
        .as_str()
        .expect("a reason")
        .contains("500"));
    let stats: Value = reqwest::get(format!("{base_url}/deliveries/stats"))
        .await
        .expect("the request is answered")
        .json()
        .await
        .expect("a JSON answer");
    assert_eq!(stats["in_flight"], 0);
}

#[tokio::test]
async fn duplicated_notifications_carry_the_same_event_id() {
    let merchant = Merchant::spawn(0).await;
    let (gateway, base_url) = spawn_sandbox(6).await;
    set_faults(&base_url, json!({ "duplicate": true })).await;
    pay_order_1(&gateway, &merchant.notify_url).await;

    wait_until("both copies", || gateway.delivery_stats().acknowledged == 2).await;
    let received = merchant.received();
    assert_eq!(received.len(), 2);
    let first = gateway
        .verify_notification(&received[0].headers, &received[0].body, now_ms())
        .expect("a genuine notification verifies");
    let second = gateway
        .verify_notification(&received[1].headers, &received[1].body, now_ms())
        .expect("a genuine notification verifies");
    assert_eq!(first, second, "the same event, twice");
}

#[tokio::test]
async fn reordering_sends_a_batch_newest_first() {
    let merchant = Merchant::spawn(0).await;
    let (gateway, base_url) = spawn_sandbox(6).await;
    set_faults(&base_url, json!({ "reorder_batch": 3 })).await;
    for index in 1..=3 {
        let intent = gateway
            .create_payment(payment_request(
                &format!("order-{index}"),
                100,
                &merchant.notify_url,
            ))
            .await
            .expect("the payment is created");
        buyer_pays(&intent, "succeed").await;
    }
    let order: Vec<String> = merchant
        .wait_for(3)
        .await
        .iter()
        .map(|delivery| delivery.notification().merchant_payment_id)
        .collect();
    assert_eq!(order, ["order-3", "order-2", "order-1"]);

    // A batch that has not filled is held, and sent reversed when reordering is turned off.
    set_faults(&base_url, json!({ "reorder_batch": 10 })).await;
    for index in 4..=5 {
        let intent = gateway
            .create_payment(payment_request(
                &format!("order-{index}"),
                100,
                &merchant.notify_url,
            ))
            .await
            .expect("the payment is created");
        buyer_pays(&intent, "succeed").await;
    }
    wait_until("two held", || gateway.delivery_stats().held == 2).await;
    assert_eq!(merchant.received().len(), 3, "held events are not sent");
    set_faults(&base_url, json!({})).await;
    let order: Vec<String> = merchant.wait_for(5).await[3..]
        .iter()
        .map(|delivery| delivery.notification().merchant_payment_id)
        .collect();
    assert_eq!(order, ["order-5", "order-4"]);
}

#[tokio::test]
async fn a_delay_holds_notifications_back() {
    let merchant = Merchant::spawn(0).await;
    let (gateway, base_url) = spawn_sandbox(6).await;
    set_faults(&base_url, json!({ "delay_ms": 400 })).await;
    let intent = gateway
        .create_payment(payment_request("order-1", 100, &merchant.notify_url))
        .await
        .expect("the payment is created");
    let paid_at = Instant::now();
    buyer_pays(&intent, "succeed").await;
    merchant.wait_for(1).await;
    assert!(
        paid_at.elapsed() >= Duration::from_millis(400),
        "arrived after {:?}",
        paid_at.elapsed()
    );
}

#[tokio::test]
async fn dropped_attempts_are_retried() {
    let merchant = Merchant::spawn(0).await;
    let (gateway, base_url) = spawn_sandbox(6).await;
    set_faults(&base_url, json!({ "drop_next_attempts": 2 })).await;
    pay_order_1(&gateway, &merchant.notify_url).await;

    wait_until("the acknowledgement", || {
        gateway.delivery_stats().acknowledged == 1
    })
    .await;
    assert_eq!(
        merchant.received().len(),
        1,
        "the dropped attempts never arrived"
    );
    let stats = gateway.delivery_stats();
    assert_eq!((stats.attempts, stats.dropped_attempts), (3, 2));
    assert_eq!(
        gateway.faults().drop_next_attempts,
        0,
        "the counter counted down"
    );
}

#[tokio::test]
async fn failing_the_next_payments_reports_them_failed() {
    let merchant = Merchant::spawn(0).await;
    let (gateway, base_url) = spawn_sandbox(6).await;
    set_faults(&base_url, json!({ "fail_next_payments": 1 })).await;
    let first = gateway
        .create_payment(payment_request("order-1", 100, &merchant.notify_url))
        .await
        .expect("the payment is created");
    let second = gateway
        .create_payment(payment_request("order-2", 100, &merchant.notify_url))
        .await
        .expect("the payment is created");

    let (_, answer) = buyer_pays(&first, "succeed").await;
    assert_eq!(
        answer["status"], "failed",
        "the buyer chose to pay, the fault failed it"
    );
    let (_, answer) = buyer_pays(&second, "succeed").await;
    assert_eq!(answer["status"], "succeeded");

    merchant.wait_for(2).await;
    let mut kinds: Vec<(String, NotificationKind)> = merchant
        .received()
        .iter()
        .map(|delivery| {
            let notification = delivery.notification();
            (notification.merchant_payment_id, notification.kind)
        })
        .collect();
    kinds.sort_by(|left, right| left.0.cmp(&right.0));
    assert_eq!(
        kinds,
        [
            ("order-1".to_owned(), NotificationKind::PaymentFailed),
            ("order-2".to_owned(), NotificationKind::PaymentSucceeded)
        ]
    );
    let (status, answer) = buyer_pays(&first, "succeed").await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a failed payment stays failed"
    );
    assert_eq!(answer["error"]["code"], "payment_not_pending");
}

#[tokio::test]
async fn tampered_forged_and_stale_notifications_are_rejected_with_their_codes() {
    let merchant = Merchant::spawn(0).await;
    let (gateway, _) = spawn_sandbox(6).await;
    pay_order_1(&gateway, &merchant.notify_url).await;
    let genuine = merchant.wait_for(1).await.remove(0);
    let signed_at: i64 = genuine
        .header(TIMESTAMP_HEADER)
        .parse()
        .expect("an integer timestamp");
    let code = |headers: &[(String, String)], body: &[u8], now_ms: i64| {
        gateway
            .verify_notification(headers, body, now_ms)
            .expect_err("the call is refused")
            .code()
    };
    let with_header = |name: &str, value: String| -> Vec<(String, String)> {
        let mut headers: Vec<(String, String)> = genuine
            .headers
            .iter()
            .filter(|(key, _)| !key.eq_ignore_ascii_case(name))
            .cloned()
            .collect();
        headers.push((name.to_owned(), value));
        headers
    };
    assert!(gateway
        .verify_notification(&genuine.headers, &genuine.body, signed_at)
        .is_ok());

    let tampered_body = String::from_utf8(genuine.body.clone())
        .expect("a UTF-8 body")
        .replace("\"amount_fen\":100", "\"amount_fen\":1");
    assert_ne!(tampered_body.as_bytes(), genuine.body.as_slice());
    assert_eq!(
        code(&genuine.headers, tampered_body.as_bytes(), signed_at),
        "signature_invalid"
    );

    let mut signature = genuine.header(SIGNATURE_HEADER).to_owned();
    let flipped = if signature.ends_with('0') { "1" } else { "0" };
    signature.replace_range(signature.len() - 1.., flipped);
    let headers = with_header(SIGNATURE_HEADER, signature);
    assert_eq!(
        code(&headers, &genuine.body, signed_at),
        "signature_invalid"
    );
    let headers = with_header(SIGNATURE_HEADER, "not hex".to_owned());
    assert_eq!(
        code(&headers, &genuine.body, signed_at),
        "signature_invalid"
    );

    // The timestamp is signed: moving it breaks the signature, whatever the window.
    let headers = with_header(TIMESTAMP_HEADER, (signed_at + 1).to_string());
    assert_eq!(
        code(&headers, &genuine.body, signed_at),
        "signature_invalid"
    );

    let forger = SigningSecret::new(*b"some-other-secret-entirely").expect("a long enough secret");
    let headers = with_header(SIGNATURE_HEADER, forger.sign(signed_at, &genuine.body));
    assert_eq!(
        code(&headers, &genuine.body, signed_at),
        "signature_invalid"
    );

    let too_late = signed_at + TIMESTAMP_TOLERANCE_MS + 1;
    assert_eq!(
        code(&genuine.headers, &genuine.body, too_late),
        "timestamp_out_of_window"
    );
    let too_early = signed_at - TIMESTAMP_TOLERANCE_MS - 1;
    assert_eq!(
        code(&genuine.headers, &genuine.body, too_early),
        "timestamp_out_of_window"
    );

    let garbage = br#"{"event_id":"evt_1","kind":"payment_stolen"}"#;
    let headers = vec![
        (TIMESTAMP_HEADER.to_owned(), signed_at.to_string()),
        (
            SIGNATURE_HEADER.to_owned(),
            secret().sign(signed_at, garbage),
        ),
    ];
    assert_eq!(code(&headers, garbage, signed_at), "malformed_notification");

    let headers = with_header(EVENT_ID_HEADER, "evt_someone_else".to_owned());
    assert_eq!(
        code(&headers, &genuine.body, signed_at),
        "malformed_notification"
    );

    let unsigned: Vec<(String, String)> = genuine
        .headers
        .iter()
        .filter(|(key, _)| !key.eq_ignore_ascii_case(SIGNATURE_HEADER))
        .cloned()
        .collect();
    assert_eq!(code(&unsigned, &genuine.body, signed_at), "missing_header");
    assert_eq!(
        code(&genuine.headers, &vec![b' '; 100_000], signed_at),
        "body_too_large"
    );
}

#[tokio::test]
async fn refunds_never_exceed_what_was_paid() {
    let merchant = Merchant::spawn(0).await;
    let (gateway, _) = spawn_sandbox(6).await;
    let intent = gateway
        .create_payment(payment_request("order-1", 1_000, &merchant.notify_url))
        .await
        .expect("the payment is created");
    let refund = |merchant_refund_id: &str, amount_fen: i64| RefundRequest {
        merchant_refund_id: merchant_refund_id.to_owned(),
        gateway_payment_id: intent.gateway_payment_id.clone(),
        amount_fen,
        reason: "wilted flowers".to_owned(),
    };

    let unpaid = gateway
        .refund(refund("refund-0", 100))
        .await
        .expect_err("the call is refused");
    assert_eq!(unpaid.code(), "payment_not_paid");
    buyer_pays(&intent, "succeed").await;

    let first = gateway
        .refund(refund("refund-1", 600))
        .await
        .expect("the refund is accepted");
    let too_much = gateway
        .refund(refund("refund-2", 500))
        .await
        .expect_err("the call is refused");
    assert_eq!(too_much.code(), "refund_exceeds_paid");
    assert_eq!(
        gateway
            .refund(refund("refund-1", 600))
            .await
            .expect("the refund is accepted"),
        first,
        "the same refund id is the same refund"
    );
    let conflict = gateway
        .refund(refund("refund-1", 300))
        .await
        .expect_err("the call is refused");
    assert_eq!(conflict.code(), "idempotency_conflict");
    gateway
        .refund(refund("refund-3", 400))
        .await
        .expect("the refund is accepted");
    let nothing_left = gateway
        .refund(refund("refund-4", 1))
        .await
        .expect_err("the call is refused");
    assert_eq!(nothing_left.code(), "refund_exceeds_paid");
    let view = gateway
        .payment(&intent.gateway_payment_id)
        .await
        .expect("the payment exists");
    assert_eq!(view.refunded_fen, 1_000);

    let mut missing = refund("refund-5", 1);
    missing.gateway_payment_id = "sbp_missing".to_owned();
    assert_eq!(
        gateway
            .refund(missing)
            .await
            .expect_err("the call is refused"),
        GatewayError::PaymentNotFound
    );

    // One payment and two refunds: the repeated refund id sent nothing new.
    wait_until("three acknowledgements", || {
        gateway.delivery_stats().acknowledged == 3
    })
    .await;
    let mut refunds: Vec<(String, i64)> = merchant
        .received()
        .iter()
        .map(|delivery| {
            gateway
                .verify_notification(&delivery.headers, &delivery.body, now_ms())
                .expect("a genuine notification verifies")
        })
        .filter(|notification| notification.kind == NotificationKind::RefundSucceeded)
        .map(|notification| {
            (
                notification
                    .merchant_refund_id
                    .expect("a refund event names its refund"),
                notification.amount_fen,
            )
        })
        .collect();
    refunds.sort();
    assert_eq!(
        refunds,
        [("refund-1".to_owned(), 600), ("refund-3".to_owned(), 400)]
    );
}

#[tokio::test]
async fn a_failed_refund_is_reported_and_gives_its_amount_back() {
    let merchant = Merchant::spawn(0).await;
    let (gateway, base_url) = spawn_sandbox(6).await;
    let intent = gateway
        .create_payment(payment_request("order-1", 1_000, &merchant.notify_url))
        .await
        .expect("the payment is created");
    buyer_pays(&intent, "succeed").await;
    set_faults(&base_url, json!({ "fail_next_refunds": 1 })).await;
    let refund = |merchant_refund_id: &str| RefundRequest {
        merchant_refund_id: merchant_refund_id.to_owned(),
        gateway_payment_id: intent.gateway_payment_id.clone(),
        amount_fen: 1_000,
        reason: "returned".to_owned(),
    };
    gateway
        .refund(refund("refund-1"))
        .await
        .expect("the refund is accepted");
    gateway
        .refund(refund("refund-2"))
        .await
        .expect("the refund is accepted");
    merchant.wait_for(3).await;
    let mut kinds: Vec<(Option<String>, NotificationKind)> = merchant
        .received()
        .iter()
        .map(|delivery| {
            let notification = delivery.notification();
            (notification.merchant_refund_id, notification.kind)
        })
        .collect();
    kinds.sort_by(|left, right| left.0.cmp(&right.0));
    assert_eq!(
        kinds,
        [
            (None, NotificationKind::PaymentSucceeded),
            (Some("refund-1".to_owned()), NotificationKind::RefundFailed),
            (
                Some("refund-2".to_owned()),
                NotificationKind::RefundSucceeded
            ),
        ]
    );
}

#[tokio::test]
async fn create_payment_is_idempotent_on_the_merchant_id() {
    let merchant = Merchant::spawn(0).await;
    let (gateway, _) = spawn_sandbox(6).await;
    let request = payment_request("order-1", 100, &merchant.notify_url);
    let first = gateway
        .create_payment(request.clone())
        .await
        .expect("the payment is created");
    assert_eq!(
        gateway
            .create_payment(request.clone())
            .await
            .expect("the payment is created"),
        first
    );

    let mut other_amount = request.clone();
    other_amount.amount_fen = 101;
    let conflict = gateway
        .create_payment(other_amount)
        .await
        .expect_err("the call is refused");
    assert_eq!(conflict.code(), "idempotency_conflict");

    let other = gateway
        .create_payment(payment_request("order-2", 100, &merchant.notify_url))
        .await
        .expect("the payment is created");
    assert_ne!(other.gateway_payment_id, first.gateway_payment_id);

    let invalid = [
        PaymentRequest {
            amount_fen: 0,
            ..request.clone()
        },
        PaymentRequest {
            merchant_payment_id: String::new(),
            ..request.clone()
        },
        PaymentRequest {
            merchant_payment_id: "has space".to_owned(),
            ..request.clone()
        },
        PaymentRequest {
            notify_url: "ftp://example.com/".to_owned(),
            ..request.clone()
        },
        PaymentRequest {
            expires_at_ms: now_ms() - 1,
            ..request.clone()
        },
    ];
    for request in invalid {
        let error = gateway
            .create_payment(request.clone())
            .await
            .expect_err("the call is refused");
        assert_eq!(error.code(), "invalid_request", "{request:?}");
    }
}

#[tokio::test]
async fn a_payment_cannot_be_paid_after_it_expires() {
    let merchant = Merchant::spawn(0).await;
    let (gateway, _) = spawn_sandbox(6).await;
    let expires_at_ms = now_ms() + 50;
    let intent = gateway
        .create_payment(PaymentRequest {
            expires_at_ms,
            ..payment_request("order-1", 100, &merchant.notify_url)
        })
        .await
        .expect("the payment is created");
    wait_until("the deadline to pass", || now_ms() > expires_at_ms).await;
    let (status, answer) = buyer_pays(&intent, "succeed").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(answer["error"]["code"], "payment_expired");
    assert_eq!(gateway.delivery_stats().in_flight, 0, "nothing to notify");
}

#[tokio::test]
async fn a_client_in_another_task_uses_the_signed_merchant_api() {
    let merchant = Merchant::spawn(0).await;
    let (gateway, base_url) = spawn_sandbox(6).await;
    let client: Arc<dyn PaymentGateway> = Arc::new(SandboxClient::new(base_url.clone(), secret()));
    let request = payment_request("order-1", 1_000, &merchant.notify_url);
    let intent = client
        .create_payment(request.clone())
        .await
        .expect("the payment is created");
    assert_eq!(
        client
            .create_payment(request.clone())
            .await
            .expect("the payment is created"),
        intent
    );
    let conflict = client
        .create_payment(PaymentRequest {
            amount_fen: 5,
            ..request
        })
        .await
        .expect_err("the call is refused");
    assert_eq!(conflict.code(), "idempotency_conflict");

    gateway
        .pay_now(
            &intent.gateway_payment_id,
            daihuo_payment::PayOutcome::Succeed,
        )
        .await
        .expect("the buyer pays");
    let view = client
        .payment(&intent.gateway_payment_id)
        .await
        .expect("the payment exists");
    assert_eq!(
        (view.status, view.amount_fen),
        (PaymentStatus::Succeeded, 1_000)
    );
    let refund = RefundRequest {
        merchant_refund_id: "refund-1".to_owned(),
        gateway_payment_id: intent.gateway_payment_id.clone(),
        amount_fen: 1_001,
        reason: "too much".to_owned(),
    };
    assert_eq!(
        client
            .refund(refund.clone())
            .await
            .expect_err("the call is refused")
            .code(),
        "refund_exceeds_paid"
    );
    assert_eq!(
        client
            .payment("sbp_missing")
            .await
            .expect_err("the call is refused"),
        GatewayError::PaymentNotFound
    );

    let received = merchant.wait_for(1).await;
    let notification = client
        .verify_notification(&received[0].headers, &received[0].body, now_ms())
        .expect("a genuine notification verifies");
    assert_eq!(notification.kind, NotificationKind::PaymentSucceeded);

    let stranger = SandboxClient::new(base_url, SigningSecret::random());
    assert_eq!(
        stranger
            .refund(refund)
            .await
            .expect_err("the call is refused"),
        GatewayError::Unauthorized
    );
}

/// The gateway lists the payments and refunds that succeeded in a period from its own
/// records: failed ones are left out, the period is `[from, to)`, and a client in another
/// task gets the same list through the signed API (a stranger gets nothing).
#[tokio::test]
async fn the_gateway_lists_its_own_transactions_for_reconciliation() {
    let merchant = Merchant::spawn(0).await;
    let (gateway, base_url) = spawn_sandbox(6).await;
    let start = now_ms();
    let paid = gateway
        .create_payment(payment_request("order-1", 1_000, &merchant.notify_url))
        .await
        .expect("the payment is created");
    buyer_pays(&paid, "succeed").await;
    let failed = gateway
        .create_payment(payment_request("order-2", 2_000, &merchant.notify_url))
        .await
        .expect("the payment is created");
    buyer_pays(&failed, "fail").await;
    let refund = |id: &str, amount_fen: i64| RefundRequest {
        merchant_refund_id: id.to_owned(),
        gateway_payment_id: paid.gateway_payment_id.clone(),
        amount_fen,
        reason: "returned".to_owned(),
    };
    gateway
        .refund(refund("refund-1", 300))
        .await
        .expect("accepted");
    set_faults(&base_url, json!({ "fail_next_refunds": 1 })).await;
    gateway
        .refund(refund("refund-2", 200))
        .await
        .expect("accepted");
    let end = now_ms() + 1;

    let listed = gateway.transactions(start, end).await.expect("a list");
    let summary: Vec<(TransactionKind, String, Option<String>, i64)> = listed
        .iter()
        .map(|t| {
            (
                t.kind,
                t.merchant_payment_id.clone(),
                t.merchant_refund_id.clone(),
                t.amount_fen,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (TransactionKind::Payment, "order-1".to_owned(), None, 1_000),
            (
                TransactionKind::Refund,
                "order-1".to_owned(),
                Some("refund-1".to_owned()),
                300
            ),
        ]
    );
    assert!(listed
        .iter()
        .all(|t| t.gateway_payment_id == paid.gateway_payment_id
            && (start..end).contains(&t.occurred_at_ms)));
    let paid_at = listed[0].occurred_at_ms;
    assert!(gateway
        .transactions(start, paid_at)
        .await
        .expect("a list")
        .is_empty());
    assert_eq!(
        gateway
            .transactions(end, start)
            .await
            .expect_err("refused")
            .code(),
        "invalid_request"
    );

    let client = SandboxClient::new(base_url.clone(), secret());
    assert_eq!(
        client.transactions(start, end).await.expect("a list"),
        listed
    );
    let stranger = SandboxClient::new(base_url, SigningSecret::random());
    assert_eq!(
        stranger
            .transactions(start, end)
            .await
            .expect_err("refused"),
        GatewayError::Unauthorized
    );
}

#[tokio::test]
async fn mounted_under_a_prefix_of_the_merchants_own_server() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let address = listener.local_addr().expect("a bound address");
    let gateway = SandboxGateway::new(SandboxConfig::new(
        format!("http://{address}/sandbox-pay/"),
        secret(),
    ));
    let received: Arc<Mutex<Vec<Notification>>> = Arc::default();
    let verifier = gateway.clone();
    let store = Arc::clone(&received);
    let app = Router::new().nest("/sandbox-pay", gateway.router()).route(
        "/notify",
        post(move |headers: HeaderMap, body: Bytes| async move {
            match verifier.verify_notification(&header_pairs(&headers), &body, now_ms()) {
                Ok(notification) => {
                    store.lock().expect("the lock").push(notification);
                    StatusCode::OK
                }
                Err(_) => StatusCode::BAD_REQUEST,
            }
        }),
    );
    tokio::spawn(async move {
        axum::serve(listener, app)
            .await
            .expect("the merchant serves")
    });

    let intent = gateway
        .create_payment(payment_request(
            "order-1",
            100,
            &format!("http://{address}/notify"),
        ))
        .await
        .expect("the payment is created");
    assert!(intent
        .pay_url
        .starts_with(&format!("http://{address}/sandbox-pay/pay/sbp_")));
    let (status, _) = buyer_pays(&intent, "succeed").await;
    assert_eq!(status, StatusCode::OK);
    wait_until("the notification", || {
        received.lock().expect("the lock").len() == 1
    })
    .await;
    assert_eq!(
        received.lock().expect("the lock")[0].merchant_payment_id,
        "order-1"
    );
}
