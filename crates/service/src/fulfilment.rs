//! After the buy: routing a paid order to the supplier's warehouses, telling the supplier
//! (a signed webhook from the outbox, or a pull by cursor), the supplier's shipment and
//! tracking events, and the ledger posting of the payment.
//!
//! # Routing
//! Runs inside the transaction that applies the payment ([`crate::payments`]), so an order is
//! never paid without being routed or refunded, and its `order.routed` event and the ledger's
//! payment posting commit with it. The supplier's warehouses that hold the SKU are weighed by
//! `domain::fulfilment::route` from the buyer's county centroid; the plan's units are claimed
//! with one conditional statement per warehouse (`stock.reserved`). An order no warehouse
//! can serve is refunded through the payment path's refund and announced as
//! `order.cancelled`.
//!
//! # Telling the supplier
//! Every event is a row of the outbox, written in the transaction of the change it announces.
//! A deliverer on every node POSTs due events to the supplier's webhook, signed with the
//! supplier's secret, and waits at most [`WEBHOOK_TIMEOUT`]; an attempt is claimed by a
//! compare-and-set on the row's due time, so nodes never send one attempt twice. A failure is
//! retried at growing intervals; after the policy's last attempt the event is dead until an
//! operator replays it. Suppliers may also pull the same events by cursor. Delivery is at
//! least once: suppliers dedupe on the event id.

use crate::{Actor, ServiceError, ServiceResult, Services};
use daihuo_domain::account::Role;
use daihuo_domain::fulfilment::{route, GeoPoint, RouteLine, Routing, Warehouse};
use daihuo_domain::ledger::{Account, LedgerError, OrderMoney, Posting, Side};
use daihuo_domain::order::{OrderStatus, PriceSplit, Quantity};
use daihuo_domain::tracking::{Accepted, Timeline, TrackingEvent, TrackingEventId, TrackingStage};
use daihuo_domain::waybill::{Carrier, Waybill};
use daihuo_domain::{Fen, OrderId, SkuId, WarehouseId};
use daihuo_store::checkout::{self as store, OrderRow};
use daihuo_store::fulfilment::{self as ful_store, EntryRow, OutboxRow, TrackingRow};
use daihuo_store::payments::{self as pay_store, RefundRow};
use daihuo_store::quality::Counted;
use daihuo_store::{now_ms, AnyConnection};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use utoipa::ToSchema;

/// How long a supplier has to acknowledge a webhook: the 3 s the platforms give.
pub const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a node's claim on one attempt lasts: longer than a whole batch can take (a
/// batch of [`OUTBOX_BATCH_MAX`] sent [`OUTBOX_SENDS_MAX`] at a time, each waiting at most
/// [`WEBHOOK_TIMEOUT`], is 24 s at worst), so a live attempt is never taken over, and short
/// enough that a dead node's attempts are soon tried again.
pub const WEBHOOK_CLAIM_MS: i64 = 30_000;
/// How often each node looks for due events.
pub const OUTBOX_TICK: Duration = Duration::from_millis(200);
/// The most events one node claims and records in one transaction each way.
pub const OUTBOX_BATCH_MAX: i64 = 256;
/// The most webhooks one node has in flight at once, so a backlog cannot open a thousand
/// sockets.
pub const OUTBOX_SENDS_MAX: usize = 32;
/// The most events one pull returns.
pub const EVENTS_PAGE_MAX: i64 = 100;
/// The most dead letters one page shows.
pub const DEAD_LETTERS_PAGE_MAX: i64 = 100;
/// A pull shows only events written at least this long ago. On PostgreSQL a transaction may
/// commit after a later one whose event has a larger id; a cursor past that id would skip
/// it. Waiting this long lets such transactions (each a few milliseconds) commit first.
pub const PULL_SETTLE_MS: i64 = 500;
/// The longest webhook URL accepted.
pub const WEBHOOK_URL_MAX_BYTES: usize = 2_048;
/// The most tracking events one call carries.
pub const TRACKING_EVENTS_PER_CALL_MAX: usize = 100;
/// How much of a failed attempt's error is kept for operators.
const LAST_ERROR_MAX_CHARS: usize = 200;
/// The header carrying the event id (what suppliers dedupe on).
pub const EVENT_ID_HEADER: &str = "x-daihuo-event-id";
/// The header carrying the event's kind.
pub const EVENT_KIND_HEADER: &str = "x-daihuo-event-kind";
/// The header carrying the attempt's time, Unix milliseconds, as signed.
pub const TIMESTAMP_HEADER: &str = "x-daihuo-timestamp";
/// The header carrying the lower-case hex HMAC-SHA256 of `{timestamp}.{body}`.
pub const SIGNATURE_HEADER: &str = "x-daihuo-signature";
/// The event that tells a supplier an order is its to ship.
pub const KIND_ORDER_ROUTED: &str = "order.routed";
/// The event that tells a supplier an order it will not ship was cancelled.
pub const KIND_ORDER_CANCELLED: &str = "order.cancelled";

/// When webhook attempts are retried and given up on.
#[derive(Debug, Clone, Copy)]
pub struct OutboxPolicy {
    /// The wait after the first failed attempt; each further failure doubles it.
    pub first_retry: Duration,
    /// The longest wait between attempts.
    pub max_retry: Duration,
    /// Attempts before an event is dead.
    pub attempts_max: i64,
}

impl Default for OutboxPolicy {
    /// 5 s, doubling to at most 10 minutes, 12 attempts: about 50 minutes of trying, enough
    /// to ride out a supplier's deployment or a short outage.
    fn default() -> Self {
        OutboxPolicy {
            first_retry: Duration::from_secs(5),
            max_retry: Duration::from_secs(600),
            attempts_max: 12,
        }
    }
}

impl OutboxPolicy {
    /// The wait after `attempts` failed attempts.
    pub fn retry_after_ms(&self, attempts: i64) -> i64 {
        let first = i64::try_from(self.first_retry.as_millis()).unwrap_or(i64::MAX);
        let max = i64::try_from(self.max_retry.as_millis()).unwrap_or(i64::MAX);
        let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
        first.saturating_mul(1_i64 << doublings).min(max)
    }
}

/// Sends webhooks. `http` implements it; the service only decides what to send and when.
#[async_trait::async_trait]
pub trait WebhookTransport: Send + Sync + std::fmt::Debug {
    /// POSTs `body` (JSON) with `headers` to `url` and returns the status code, or why no
    /// answer came within `timeout`.
    async fn post(
        &self,
        url: &str,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
        timeout: Duration,
    ) -> Result<u16, String>;
}

/// The signature header's value for a webhook body sent at `timestamp_ms`: lower-case hex
/// HMAC-SHA256 under the supplier's secret of `{timestamp_ms}.{body}`.
pub fn sign_webhook(secret: &str, timestamp_ms: i64, body: &[u8]) -> String {
    // HMAC takes a key of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(timestamp_ms.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

impl From<LedgerError> for ServiceError {
    fn from(error: LedgerError) -> Self {
        // Postings are built from stored, checked orders: a refusal here is a bug.
        ServiceError::Internal(crate::error::anyhow_like::Internal(format!(
            "ledger refused a posting ({}): {error}",
            error.code()
        )))
    }
}

fn internal(message: impl Into<String>) -> ServiceError {
    ServiceError::Internal(crate::error::anyhow_like::Internal(message.into()))
}

fn busy() -> ServiceError {
    ServiceError::Unavailable {
        code: "busy",
        message: "the order changed meanwhile; try again".into(),
    }
}

/// A supplier's webhook as set: where events go and the secret to check their signatures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookView {
    /// The endpoint events are POSTed to.
    pub url: String,
    /// The HMAC-SHA256 key of the `X-Daihuo-Signature` header; shown only when set.
    pub secret: String,
}

/// Where a supplier wants its events.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct WebhookInput {
    /// An `http://` or `https://` URL.
    pub url: String,
}

/// One event for a supplier, as webhooks send it and the pull API lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SupplierEvent {
    /// The event's id: the same event always has the same id; dedupe on it.
    pub event_id: String,
    /// `order.routed`, `order.cancelled`, `order.late`, `order.completed`,
    /// `after_sales.{step}`, `replenishment.advised`, `stock.sellout_projected` or
    /// `stock.overstock_flagged` (docs/FULFILMENT.md lists them).
    pub kind: String,
    /// When it was written, Unix ms.
    pub created_at_ms: i64,
    /// What happened.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

impl SupplierEvent {
    fn of(row: &OutboxRow) -> ServiceResult<SupplierEvent> {
        Ok(SupplierEvent {
            event_id: row.event_id.clone(),
            kind: row.kind.clone(),
            created_at_ms: row.created_at_ms,
            data: serde_json::from_str(&row.payload)
                .map_err(|e| internal(format!("outbox payload {}: {e}", row.id)))?,
        })
    }
}

/// A page of the pull API.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventPage {
    /// Events after the cursor, oldest first.
    pub events: Vec<SupplierEvent>,
    /// The cursor to ask with next (`after`); unchanged when there was nothing new.
    pub next_after: i64,
}

/// An outbox event as an operator sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutboxView {
    /// Key (the pull cursor).
    pub id: i64,
    /// The event.
    pub event: SupplierEvent,
    /// Whose event it is.
    pub supplier_id: i64,
    /// Webhook attempts so far.
    pub attempts: i64,
    /// When the supplier acknowledged it.
    pub delivered_at_ms: Option<i64>,
    /// When it was given up on.
    pub dead_at_ms: Option<i64>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

impl OutboxView {
    fn of(row: &OutboxRow) -> ServiceResult<OutboxView> {
        Ok(OutboxView {
            id: row.id,
            event: SupplierEvent::of(row)?,
            supplier_id: row.supplier_id.0,
            attempts: row.attempts,
            delivered_at_ms: row.delivered_at_ms,
            dead_at_ms: row.dead_at_ms,
            last_error: row.last_error.clone(),
        })
    }
}

/// The supplier hands an order to a carrier.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ShipInput {
    /// `sf`, `jd`, `zto`, `yto`, `sto`, `yunda` or `ems` (any case).
    pub carrier: String,
    /// The carrier's waybill number.
    pub waybill: String,
}

/// One tracking event from the supplier's carrier feed.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TrackingInput {
    /// The carrier's event id: sending it again changes nothing.
    pub event_id: String,
    /// `picked`, `shipped`, `in_transit`, `out_for_delivery`, `delivered` or `exception`.
    pub stage: String,
    /// The carrier's time, Unix ms.
    pub at_ms: i64,
    /// The carrier's description for the buyer.
    #[serde(default)]
    pub detail: String,
}

/// Tracking events the supplier reports, in any order and any number of times.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TrackingBatch {
    /// 1 to 100 events.
    pub events: Vec<TrackingInput>,
}

/// What a batch of tracking events did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrackingReport {
    /// New events.
    pub added: u32,
    /// Events seen before, unchanged.
    pub duplicates: u32,
    /// Known ids with other content (kept by the timeline's rule, and logged).
    pub conflicts: u32,
    /// The order's status after the batch.
    pub order_status: OrderStatus,
}

/// One shipment of an order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ShipmentView {
    /// The warehouse that ships.
    pub warehouse_id: WarehouseId,
    /// The supplier's code of the warehouse.
    pub warehouse_code: String,
    /// What ships.
    pub sku_id: SkuId,
    /// How many units.
    pub units: i64,
    /// Distance to the buyer's county, whole metres.
    pub distance_m: i64,
    /// The carrier, once shipped.
    pub carrier: Option<String>,
    /// The waybill, once shipped.
    pub waybill: Option<String>,
    /// When it shipped.
    pub shipped_at_ms: Option<i64>,
}

/// Where an order's parcel is, as the buyer sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrackingView {
    /// The order.
    pub order_id: OrderId,
    /// The order's status.
    pub status: OrderStatus,
    /// Where it ships from and with whom.
    pub shipments: Vec<ShipmentView>,
    /// The carrier's events, sorted by the carrier's time.
    pub events: Vec<TrackingEvent>,
    /// The furthest stage reached; absent before any progress.
    pub reached: Option<TrackingStage>,
    /// An exception is the latest news and the parcel is not delivered.
    pub exception_open: bool,
    /// When the parcel was first reported delivered.
    pub delivered_at_ms: Option<i64>,
}

/// A stored order's split as the domain's type.
fn split_of(order: &OrderRow) -> PriceSplit {
    let [gross, subsidy, buyer_pays, commission, platform_fee, supplier] = order.split;
    PriceSplit {
        gross: Fen(gross),
        subsidy: Fen(subsidy),
        buyer_pays: Fen(buyer_pays),
        commission: Fen(commission),
        platform_fee: Fen(platform_fee),
        supplier: Fen(supplier),
    }
}

/// Appends a posting built by the domain; returns its id.
pub(crate) async fn append(
    conn: &mut AnyConnection,
    posting: &Posting,
    now: i64,
) -> ServiceResult<i64> {
    let entries: Vec<EntryRow> = posting
        .entries()
        .iter()
        .map(|entry| EntryRow {
            account: entry.account.name(),
            party_id: match entry.account {
                Account::SupplierPending(s) | Account::SupplierPayable(s) => Some(s.0),
                Account::CommissionPending(a) | Account::CommissionPayable(a) => Some(a.0),
                _ => None,
            },
            side: match entry.side {
                Side::Debit => "debit",
                Side::Credit => "credit",
            },
            amount_fen: entry.amount.0,
        })
        .collect();
    let id = ful_store::append_posting(
        conn,
        posting.kind().as_str(),
        posting.order(),
        &entries,
        now,
    )
    .await?;
    Ok(id)
}

/// Saves what the ledger has posted for the order, beside its postings.
pub(crate) async fn save_money(
    conn: &mut AnyConnection,
    order: OrderId,
    money: &OrderMoney,
    now: i64,
) -> ServiceResult<()> {
    let json = serde_json::to_string(money).map_err(|e| internal(e.to_string()))?;
    ful_store::save_order_money(conn, order, &json, now).await?;
    Ok(())
}

/// Writes an event for the order's supplier to the outbox.
async fn announce(
    conn: &mut AnyConnection,
    order: &OrderRow,
    kind: &str,
    data: serde_json::Value,
    now: i64,
) -> ServiceResult<()> {
    // One event of each kind per order: the id says which, so a replay announces nothing new.
    let event_id = format!("{kind}-{}", order.id);
    ful_store::insert_outbox(
        conn,
        &event_id,
        order.supplier_id,
        kind,
        &data.to_string(),
        now,
    )
    .await?;
    Ok(())
}

/// Routes an order that has just become `paid`, inside the transaction that paid it: posts
/// the payment to the ledger, claims warehouse stock and marks it `routed` with an
/// `order.routed` event; or, when the supplier's warehouses cannot serve it, starts its
/// refund (returned, to be asked of the gateway after the commit) with an `order.cancelled`
/// event.
pub(crate) async fn route_paid(
    conn: &mut AnyConnection,
    order: &OrderRow,
    refund: RefundRow,
    now: i64,
) -> ServiceResult<Option<RefundRow>> {
    let (mut money, posting) = OrderMoney::pay(
        order.id,
        order.supplier_id,
        order.anchor_id,
        split_of(order),
    )?;
    append(conn, &posting, now).await?;
    let quantity = Quantity::parse(order.quantity)?;
    let buyer = crate::catalog::locate(order.county_code)
        .ok_or_else(|| internal(format!("order {} has unknown county", order.id)))
        .and_then(|d| {
            GeoPoint::parse(d.latitude, d.longitude).map_err(|e| internal(e.to_string()))
        })?;
    let candidates = ful_store::route_candidates(conn, order.supplier_id, order.sku_id).await?;
    let warehouses: Vec<Warehouse> = candidates
        .iter()
        .filter_map(|c| {
            let location = GeoPoint::parse(c.latitude, c.longitude).ok()?;
            let available = u32::try_from(c.available).unwrap_or(u32::MAX);
            Some(Warehouse {
                id: c.warehouse_id,
                supplier: order.supplier_id,
                location,
                stock: BTreeMap::from([(order.sku_id, available)]),
            })
        })
        .collect();
    let line = RouteLine {
        sku: order.sku_id,
        quantity,
        supplier: order.supplier_id,
    };
    let plan = route(buyer, &[line], &warehouses).map_err(|e| internal(e.to_string()))?;
    let routing = plan
        .into_iter()
        .next()
        .map(|p| p.routing)
        .ok_or_else(|| internal("routing returned no plan"))?;
    let shipments = match routing {
        Routing::Single(shipment) => vec![shipment],
        Routing::Split(shipments) => shipments,
        Routing::Unroutable(shortages) => {
            let to = order.status.start_refund()?;
            if !store::set_order_status(conn, order.id, order.status, to, Some("unroutable"), now)
                .await?
            {
                return Err(busy());
            }
            let posting = money.refund(money.refundable())?;
            append(conn, &posting, now).await?;
            save_money(conn, order.id, &money, now).await?;
            if order.flash_sale_id.is_none() {
                // The units an ordinary purchase promised are not there: promise them no more.
                store::release_sku_units(conn, order.sku_id, order.quantity).await?;
            }
            pay_store::insert_refund(conn, &refund, now).await?;
            let short: Vec<serde_json::Value> = shortages
                .iter()
                .map(|s| serde_json::json!({"sku_id": s.sku, "wanted": s.wanted, "available": s.available}))
                .collect();
            announce(
                conn,
                order,
                KIND_ORDER_CANCELLED,
                serde_json::json!({"order_id": order.id, "order_no": order.order_no,
                    "reason": "unroutable", "shortages": short}),
                now,
            )
            .await?;
            tracing::warn!(order = %order.id, ?shortages, "paid order unroutable; refunding");
            return Ok(Some(refund));
        }
    };
    let mut planned = Vec::new();
    for shipment in &shipments {
        for (sku, units) in &shipment.units {
            let units = i64::from(*units);
            // The plan was made on stock read in this transaction; on PostgreSQL another
            // order may have claimed it since. Then nothing is committed and the gateway's
            // retry routes again.
            if !ful_store::reserve_stock(conn, *sku, shipment.warehouse, units).await? {
                return Err(busy());
            }
            let distance = i64::try_from(shipment.distance_m).unwrap_or(i64::MAX);
            ful_store::insert_shipment(
                conn,
                order.id,
                shipment.warehouse,
                *sku,
                units,
                distance,
                now,
            )
            .await?;
            planned.push(
                serde_json::json!({"warehouse_id": shipment.warehouse, "sku_id": sku,
                "units": units, "distance_m": distance}),
            );
        }
    }
    let to = order.status.route()?;
    if !store::set_order_status(conn, order.id, order.status, to, None, now).await? {
        return Err(busy());
    }
    save_money(conn, order.id, &money, now).await?;
    let paid_at = order.paid_at_ms.unwrap_or(now);
    let ship_by = crate::promises::promise_at_routing(conn, order, paid_at).await?;
    crate::quality::count(conn, order, Counted::Routed).await?;
    announce(
        conn,
        order,
        KIND_ORDER_ROUTED,
        serde_json::json!({
            "order_id": order.id, "order_no": order.order_no, "sku_id": order.sku_id,
            "quantity": order.quantity, "buyer_pays_fen": order.split[2],
            "recipient": order.recipient, "phone": order.phone,
            "county_code": order.county_code.to_string(), "address_detail": order.address_detail,
            "paid_at_ms": paid_at, "ship_by_ms": ship_by,
            "shipments": planned,
        }),
        now,
    )
    .await?;
    Ok(None)
}

/// The gateway confirmed a refund of `amount` for `order` sent: posts it, if the ledger owes
/// the order's buyer that much (a refund of a payment the order never needed, or of an
/// order paid before the ledger existed, has nothing owed and posts nothing).
pub(crate) async fn refund_confirmed(
    conn: &mut AnyConnection,
    order: OrderId,
    amount: Fen,
    now: i64,
) -> ServiceResult<()> {
    let Some(json) = ful_store::order_money(&mut *conn, order).await? else {
        return Ok(());
    };
    let mut money: OrderMoney =
        serde_json::from_str(&json).map_err(|e| internal(format!("order money {order}: {e}")))?;
    match money.refund_sent(amount) {
        Ok(posting) => {
            append(conn, &posting, now).await?;
            save_money(conn, order, &money, now).await
        }
        Err(error) => {
            tracing::info!(%order, code = error.code(), "a confirmed refund posts nothing");
            Ok(())
        }
    }
}

fn check_url(url: &str) -> ServiceResult<()> {
    let scheme_ok = url.starts_with("http://") || url.starts_with("https://");
    let host_ok = url
        .split_once("://")
        .is_some_and(|(_, rest)| !rest.is_empty() && !rest.starts_with('/'));
    if scheme_ok
        && host_ok
        && url.len() <= WEBHOOK_URL_MAX_BYTES
        && !url.contains(char::is_whitespace)
    {
        Ok(())
    } else {
        Err(ServiceError::invalid(
            "invalid_webhook_url",
            "the webhook must be an http:// or https:// URL of at most 2048 bytes",
        ))
    }
}

/// The tracking timeline of an order's stored events.
pub(crate) fn timeline_of(rows: &[TrackingRow]) -> ServiceResult<Timeline> {
    let mut timeline = Timeline::new();
    for row in rows {
        let event = TrackingEventId::parse(&row.event_id)
            .and_then(|id| {
                TrackingStage::parse(&row.stage)
                    .and_then(|stage| TrackingEvent::new(id, stage, row.at_ms, &row.detail))
            })
            .map_err(|e| internal(format!("stored tracking event: {e}")))?;
        timeline.accept(event)?;
    }
    Ok(timeline)
}

/// Whether a status is one in which the supplier may report shipping news.
fn is_shipping(status: OrderStatus) -> bool {
    matches!(
        status,
        OrderStatus::Routed
            | OrderStatus::Shipped
            | OrderStatus::Delivered
            | OrderStatus::Completed
    )
}

impl Services {
    /// These services, sending supplier webhooks through `transport` (see
    /// [`Services::spawn_outbox_deliverer`]).
    pub fn with_webhooks(mut self, transport: Arc<dyn WebhookTransport>) -> Services {
        self.webhooks = Some(transport);
        self
    }

    /// Supplier: sets where its events are POSTed and makes a new signing secret, returned
    /// only here.
    pub async fn set_webhook(
        &self,
        actor: &Actor,
        input: WebhookInput,
    ) -> ServiceResult<WebhookView> {
        let supplier = actor.require_supplier()?;
        let url = input.url.trim().to_owned();
        check_url(&url)?;
        let secret = format!("whsec_{}", hex::encode(rand::random::<[u8; 32]>()));
        let mut tx = self.store.begin_write().await?;
        ful_store::set_webhook(tx.conn(), supplier, &url, &secret, now_ms()).await?;
        tx.commit().await?;
        Ok(WebhookView { url, secret })
    }

    /// Supplier: its events after cursor `after` (0 for the start), oldest first.
    pub async fn supplier_events(
        &self,
        actor: &Actor,
        after: i64,
        limit: i64,
    ) -> ServiceResult<EventPage> {
        let supplier = actor.require_supplier()?;
        let rows = ful_store::outbox_after(
            self.store.pool(),
            supplier,
            after.max(0),
            now_ms() - PULL_SETTLE_MS,
            limit.clamp(1, EVENTS_PAGE_MAX),
        )
        .await?;
        let next_after = rows.last().map_or(after.max(0), |r| r.id);
        let events = rows
            .iter()
            .map(SupplierEvent::of)
            .collect::<ServiceResult<_>>()?;
        Ok(EventPage { events, next_after })
    }

    /// Operator: events given up on, most recent first.
    pub async fn dead_letters(&self, actor: &Actor, limit: i64) -> ServiceResult<Vec<OutboxView>> {
        actor.require_operator()?;
        let rows =
            ful_store::dead_letters(self.store.pool(), limit.clamp(1, DEAD_LETTERS_PAGE_MAX))
                .await?;
        rows.iter().map(OutboxView::of).collect()
    }

    /// Operator: sends a dead event again, with a fresh count of attempts.
    pub async fn replay_event(&self, actor: &Actor, id: i64) -> ServiceResult<()> {
        actor.require_operator()?;
        let mut tx = self.store.begin_write().await?;
        let replayed = ful_store::replay_outbox(tx.conn(), id, now_ms()).await?;
        tx.commit().await?;
        if replayed {
            tracing::info!(outbox = id, "dead event replayed by an operator");
            Ok(())
        } else {
            Err(ServiceError::conflict(
                "event_not_dead",
                "only a dead event can be replayed",
            ))
        }
    }

    /// Runs the outbox deliverer on this node until the task is aborted. A full batch is
    /// followed at once by the next, so a backlog drains as fast as suppliers answer; an
    /// empty or partial one waits for the next tick.
    pub fn spawn_outbox_deliverer(&self) -> tokio::task::JoinHandle<()> {
        let services = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(OUTBOX_TICK);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                match services.deliver_due_events().await {
                    Ok(attempted) if attempted as i64 >= OUTBOX_BATCH_MAX => continue,
                    Ok(_) => {}
                    Err(error) => {
                        tracing::warn!(code = error.code(), %error, "outbox delivery failed");
                    }
                }
                tick.tick().await;
            }
        })
    }

    /// Claims the events due now (one transaction), sends them, at most
    /// [`OUTBOX_SENDS_MAX`] at once, and stores their outcomes (one transaction); returns how
    /// many were attempted.
    pub async fn deliver_due_events(&self) -> ServiceResult<usize> {
        let Some(transport) = self.webhooks.clone() else {
            return Ok(0);
        };
        let now = now_ms();
        let due = ful_store::due_outbox(self.store.pool(), now, OUTBOX_BATCH_MAX).await?;
        if due.is_empty() {
            return Ok(0);
        }
        let mut claimed = Vec::with_capacity(due.len());
        let mut tx = self.store.begin_write().await?;
        for row in due {
            let until = now + WEBHOOK_CLAIM_MS;
            // Another node may have claimed this attempt; then it is not ours to send.
            if ful_store::claim_outbox(tx.conn(), row.event.id, row.event.next_attempt_at_ms, until)
                .await?
            {
                claimed.push(row);
            }
        }
        tx.commit().await?;
        let count = claimed.len();
        let sends = Arc::new(tokio::sync::Semaphore::new(OUTBOX_SENDS_MAX));
        let mut attempts = tokio::task::JoinSet::new();
        for row in claimed {
            let (transport, sends) = (transport.clone(), sends.clone());
            attempts.spawn(async move {
                let _permit = sends.acquire_owned().await;
                let outcome = send_event(&*transport, &row).await;
                (row, outcome)
            });
        }
        let mut outcomes = Vec::with_capacity(count);
        while let Some(joined) = attempts.join_next().await {
            match joined {
                Ok(outcome) => outcomes.push(outcome),
                // The claim lapses and the event is tried again.
                Err(error) => tracing::error!(%error, "a webhook attempt panicked"),
            }
        }
        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        for (row, outcome) in outcomes {
            self.record_attempt(tx.conn(), &row, outcome, now).await?;
        }
        tx.commit().await?;
        Ok(count)
    }

    /// Stores one claimed attempt's outcome: delivered, or failed and due again later (dead
    /// after the policy's last attempt).
    async fn record_attempt(
        &self,
        conn: &mut AnyConnection,
        due: &ful_store::DueRow,
        outcome: Result<u16, String>,
        now: i64,
    ) -> ServiceResult<()> {
        let event = &due.event;
        match outcome {
            Ok(status) if (200..300).contains(&status) => {
                ful_store::outbox_delivered(conn, event.id, now).await?;
            }
            failure => {
                let error: String = match failure {
                    Ok(status) => format!("the supplier answered HTTP {status}"),
                    Err(error) => error,
                }
                .chars()
                .take(LAST_ERROR_MAX_CHARS)
                .collect();
                // The claim counted this attempt.
                let attempts = event.attempts + 1;
                let policy = self.config.outbox;
                let dead = (attempts >= policy.attempts_max).then_some(now);
                let next = now + policy.retry_after_ms(attempts);
                if dead.is_some() {
                    tracing::error!(event = %event.event_id, attempts, %error,
                        "webhook given up on; an operator may replay it");
                } else {
                    tracing::info!(event = %event.event_id, attempts, %error, "webhook failed; retrying");
                }
                ful_store::outbox_failed(conn, event.id, &error, next, dead).await?;
            }
        }
        Ok(())
    }

    /// The order a supplier acts on, read in `conn`: `not_found` unless it is the actor's.
    async fn supplier_order(
        conn: &mut AnyConnection,
        actor: &Actor,
        id: OrderId,
    ) -> ServiceResult<OrderRow> {
        let supplier = actor.require_supplier()?;
        store::order_by_id(&mut *conn, id)
            .await?
            .filter(|o| o.supplier_id == supplier)
            .ok_or(ServiceError::NotFound("order"))
    }

    /// Supplier: the order is handed to a carrier with a waybill; it becomes `shipped` and
    /// its units leave the warehouse. The same carrier and waybill again is a replay and
    /// changes nothing. A `delivered` event that came before the shipment is applied now.
    pub async fn confirm_shipment(
        &self,
        actor: &Actor,
        id: OrderId,
        input: ShipInput,
    ) -> ServiceResult<TrackingView> {
        let carrier = Carrier::parse(&input.carrier)?;
        let waybill = Waybill::parse(carrier, &input.waybill)?;
        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        let order = Self::supplier_order(tx.conn(), actor, id).await?;
        let shipments = ful_store::shipments_of(&mut *tx.conn(), id).await?;
        match order.status {
            OrderStatus::Routed => {}
            status if is_shipping(status) => {
                let same = shipments.iter().all(|s| {
                    s.carrier.as_deref() == Some(carrier.as_str())
                        && s.waybill.as_deref() == Some(waybill.as_str())
                });
                drop(tx);
                return if same {
                    self.tracking(actor, id).await
                } else {
                    Err(ServiceError::conflict(
                        "already_shipped",
                        "the order shipped already with another waybill",
                    ))
                };
            }
            status => {
                return Err(ServiceError::conflict(
                    "order_not_shippable",
                    format!("an order that is {status} cannot ship; only a routed one"),
                ))
            }
        }
        let to = order.status.ship()?;
        // The order's row first (the lock order), and only if it is still routed.
        if !store::set_order_status(tx.conn(), id, order.status, to, None, now).await? {
            return Err(busy());
        }
        ful_store::ship_shipments(tx.conn(), id, carrier.as_str(), waybill.as_str(), now).await?;
        for shipment in shipments.iter().filter(|s| s.shipped_at_ms.is_none()) {
            ful_store::release_shipped(
                tx.conn(),
                shipment.sku_id,
                shipment.warehouse_id,
                shipment.units,
            )
            .await?;
        }
        let events = ful_store::tracking_events_of(&mut *tx.conn(), id).await?;
        if timeline_of(&events)?.status().reached == Some(TrackingStage::Delivered)
            && store::set_order_status(tx.conn(), id, to, to.deliver()?, None, now).await?
        {
            crate::quality::count(tx.conn(), &order, Counted::Delivered).await?;
        }
        // Shipped after its promise: late, compensated in this transaction.
        let compensation =
            crate::promises::shipped(tx.conn(), &order, &self.config.promises, now).await?;
        tx.commit().await?;
        self.send_compensation(compensation);
        self.tracking(actor, id).await
    }

    /// Supplier: tracking events of an order, accepted in any order and any number of times.
    /// A timeline that reaches `delivered` makes a shipped order `delivered`.
    pub async fn add_tracking(
        &self,
        actor: &Actor,
        id: OrderId,
        batch: TrackingBatch,
    ) -> ServiceResult<TrackingReport> {
        if batch.events.is_empty() || batch.events.len() > TRACKING_EVENTS_PER_CALL_MAX {
            return Err(ServiceError::invalid(
                "invalid_tracking_batch",
                "send 1 to 100 tracking events at a time",
            ));
        }
        let mut incoming = Vec::with_capacity(batch.events.len());
        for input in &batch.events {
            let id = TrackingEventId::parse(&input.event_id)?;
            let stage = TrackingStage::parse(&input.stage)?;
            incoming.push(TrackingEvent::new(id, stage, input.at_ms, &input.detail)?);
        }
        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        let order = Self::supplier_order(tx.conn(), actor, id).await?;
        if !is_shipping(order.status) {
            return Err(ServiceError::conflict(
                "order_not_shipping",
                format!("an order that is {} has no parcel to track", order.status),
            ));
        }
        // Lock the order's row (a compare-and-set onto itself), so two batches for one order
        // take turns on PostgreSQL and each sees the other's events.
        if !store::set_order_status(tx.conn(), id, order.status, order.status, None, now).await? {
            return Err(busy());
        }
        let stored = ful_store::tracking_events_of(&mut *tx.conn(), id).await?;
        let mut timeline = timeline_of(&stored)?;
        let mut report = TrackingReport {
            added: 0,
            duplicates: 0,
            conflicts: 0,
            order_status: order.status,
        };
        for event in incoming {
            let row = TrackingRow {
                event_id: event.id().as_str().to_owned(),
                stage: event.stage().as_str().to_owned(),
                at_ms: event.at_ms(),
                detail: event.detail().to_owned(),
            };
            match timeline.accept(event)? {
                Accepted::Added => {
                    report.added += 1;
                    ful_store::put_tracking_event(tx.conn(), id, &row, now).await?;
                }
                Accepted::Duplicate => report.duplicates += 1,
                Accepted::Conflict { replaced } => {
                    report.conflicts += 1;
                    tracing::warn!(order = %id, event = %row.event_id, replaced,
                        "a tracking event id came again with other content");
                    if replaced {
                        ful_store::put_tracking_event(tx.conn(), id, &row, now).await?;
                    }
                }
            }
        }
        if order.status == OrderStatus::Shipped
            && timeline.status().reached == Some(TrackingStage::Delivered)
        {
            let to = order.status.deliver()?;
            if store::set_order_status(tx.conn(), id, order.status, to, None, now).await? {
                crate::quality::count(tx.conn(), &order, Counted::Delivered).await?;
            }
            report.order_status = to;
        }
        tx.commit().await?;
        Ok(report)
    }

    /// The order's shipments and tracking timeline, for its buyer, anchor, supplier and
    /// operators.
    pub async fn tracking(&self, actor: &Actor, id: OrderId) -> ServiceResult<TrackingView> {
        let order = store::order_by_id(self.store.pool(), id)
            .await?
            .ok_or(ServiceError::NotFound("order"))?;
        let allowed = order.buyer_id == actor.user_id
            || order.anchor_id == actor.user_id
            || actor.role == Role::Operator
            || (actor.role == Role::SupplierStaff && actor.supplier_id == Some(order.supplier_id));
        if !allowed {
            return Err(ServiceError::NotFound("order"));
        }
        let shipments = ful_store::shipments_of(self.store.pool(), id).await?;
        let events = ful_store::tracking_events_of(self.store.pool(), id).await?;
        let timeline = timeline_of(&events)?;
        let status = timeline.status();
        Ok(TrackingView {
            order_id: id,
            status: order.status,
            shipments: shipments
                .into_iter()
                .map(|s| ShipmentView {
                    warehouse_id: s.warehouse_id,
                    warehouse_code: s.warehouse_code,
                    sku_id: s.sku_id,
                    units: s.units,
                    distance_m: s.distance_m,
                    carrier: s.carrier,
                    waybill: s.waybill,
                    shipped_at_ms: s.shipped_at_ms,
                })
                .collect(),
            events: timeline.events().to_vec(),
            reached: status.reached,
            exception_open: status.exception_open,
            delivered_at_ms: timeline.delivered_at_ms(),
        })
    }
}

/// Sends one claimed event, signed with the supplier's secret; the supplier's HTTP status,
/// or why no answer came.
async fn send_event(
    transport: &dyn WebhookTransport,
    due: &ful_store::DueRow,
) -> Result<u16, String> {
    let event = &due.event;
    let body = SupplierEvent::of(event)
        .and_then(|e| serde_json::to_vec(&e).map_err(|e| internal(e.to_string())))
        .map_err(|e| e.to_string())?;
    let timestamp = now_ms();
    let headers = vec![
        (EVENT_ID_HEADER, event.event_id.clone()),
        (EVENT_KIND_HEADER, event.kind.clone()),
        (TIMESTAMP_HEADER, timestamp.to_string()),
        (
            SIGNATURE_HEADER,
            sign_webhook(&due.webhook.secret, timestamp, &body),
        ),
    ];
    transport
        .post(&due.webhook.url, headers, body, WEBHOOK_TIMEOUT)
        .await
}
