//! After the buy: warehouse stock claimed by routed orders, shipments, tracking events,
//! suppliers' webhooks, the outbox of supplier events and the append-only ledger.
//!
//! Lock order (ARCHITECTURE.md): a transaction that touches an order locks it before any SKU
//! row, and a SKU's row before its warehouse stock rows, as the supplier's stock writes do.

use crate::{col, StoreResult};
use daihuo_domain::{OrderId, SkuId, SupplierId, WarehouseId};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor};

/// A warehouse of the supplier that holds a SKU, with what it can still route.
#[derive(Debug, Clone)]
pub struct CandidateRow {
    /// The warehouse.
    pub warehouse_id: WarehouseId,
    /// Degrees east of its county's centroid.
    pub longitude: f64,
    /// Degrees north of its county's centroid.
    pub latitude: f64,
    /// On hand less what routed orders have claimed; never below zero.
    pub available: i64,
}

/// The supplier's warehouses with a stock level of `sku`, and what each can still route.
pub async fn route_candidates(
    conn: &mut sqlx::AnyConnection,
    supplier: SupplierId,
    sku: SkuId,
) -> StoreResult<Vec<CandidateRow>> {
    let rows = sqlx::query(
        "SELECT w.id, w.longitude, w.latitude, \
         CAST(CASE WHEN st.quantity > st.reserved THEN st.quantity - st.reserved ELSE 0 END AS BIGINT) \
         AS available FROM stock st JOIN warehouses w ON w.id = st.warehouse_id \
         WHERE st.sku_id = $1 AND w.supplier_id = $2 ORDER BY w.id",
    )
    .bind(sku.0)
    .bind(supplier.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(CandidateRow {
                warehouse_id: WarehouseId(col(row, "id")?),
                longitude: col(row, "longitude")?,
                latitude: col(row, "latitude")?,
                available: col(row, "available")?,
            })
        })
        .collect()
}

/// Claims `units` of a warehouse's stock for a routed order if it still has them; returns
/// whether it did. One conditional statement, so two orders never claim one unit.
pub async fn reserve_stock(
    conn: &mut sqlx::AnyConnection,
    sku: SkuId,
    warehouse: WarehouseId,
    units: i64,
) -> StoreResult<bool> {
    let result = sqlx::query(
        "UPDATE stock SET reserved = reserved + $3 \
         WHERE sku_id = $1 AND warehouse_id = $2 AND quantity - reserved >= $3",
    )
    .bind(sku.0)
    .bind(warehouse.0)
    .bind(units)
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Units left a warehouse: they are no longer claimed, no longer on hand and no longer
/// promised. The SKU's row first, then the stock row (the lock order above). The supplier's
/// next stock level, with its newer version, overrides the quantity written here.
pub async fn release_shipped(
    conn: &mut sqlx::AnyConnection,
    sku: SkuId,
    warehouse: WarehouseId,
    units: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE skus SET units_held = units_held - $2, stock_total = stock_total - $2 \
         WHERE id = $1",
    )
    .bind(sku.0)
    .bind(units)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE stock SET reserved = reserved - $3, quantity = quantity - $3 \
         WHERE sku_id = $1 AND warehouse_id = $2",
    )
    .bind(sku.0)
    .bind(warehouse.0)
    .bind(units)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// One order line going out of one warehouse.
#[derive(Debug, Clone)]
pub struct ShipmentRow {
    /// Key.
    pub id: i64,
    /// The order.
    pub order_id: OrderId,
    /// The warehouse that ships.
    pub warehouse_id: WarehouseId,
    /// The supplier's code of that warehouse.
    pub warehouse_code: String,
    /// What ships.
    pub sku_id: SkuId,
    /// How many units.
    pub units: i64,
    /// Distance to the buyer's county, whole metres.
    pub distance_m: i64,
    /// The carrier's code, once shipped.
    pub carrier: Option<String>,
    /// The waybill number, once shipped.
    pub waybill: Option<String>,
    /// When it shipped.
    pub shipped_at_ms: Option<i64>,
}

/// Stores a shipment of a routed order; returns its id.
pub async fn insert_shipment(
    conn: &mut sqlx::AnyConnection,
    order: OrderId,
    warehouse: WarehouseId,
    sku: SkuId,
    units: i64,
    distance_m: i64,
    now_ms: i64,
) -> StoreResult<i64> {
    let row = sqlx::query(
        "INSERT INTO shipments (order_id, warehouse_id, sku_id, units, distance_m, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(order.0)
    .bind(warehouse.0)
    .bind(sku.0)
    .bind(units)
    .bind(distance_m)
    .bind(now_ms)
    .fetch_one(&mut *conn)
    .await?;
    col(&row, "id")
}

/// An order's shipments, in the order they were routed.
pub async fn shipments_of<'e, E: Executor<'e, Database = Any>>(
    db: E,
    order: OrderId,
) -> StoreResult<Vec<ShipmentRow>> {
    let rows = sqlx::query(
        "SELECT sh.id, sh.order_id, sh.warehouse_id, w.code AS warehouse_code, sh.sku_id, \
         sh.units, sh.distance_m, sh.carrier, sh.waybill, sh.shipped_at_ms \
         FROM shipments sh JOIN warehouses w ON w.id = sh.warehouse_id \
         WHERE sh.order_id = $1 ORDER BY sh.id",
    )
    .bind(order.0)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(ShipmentRow {
                id: col(row, "id")?,
                order_id: OrderId(col(row, "order_id")?),
                warehouse_id: WarehouseId(col(row, "warehouse_id")?),
                warehouse_code: col(row, "warehouse_code")?,
                sku_id: SkuId(col(row, "sku_id")?),
                units: col(row, "units")?,
                distance_m: col(row, "distance_m")?,
                carrier: col(row, "carrier")?,
                waybill: col(row, "waybill")?,
                shipped_at_ms: col(row, "shipped_at_ms")?,
            })
        })
        .collect()
}

/// Marks an order's unshipped shipments shipped with a carrier and waybill; returns how many.
pub async fn ship_shipments(
    conn: &mut sqlx::AnyConnection,
    order: OrderId,
    carrier: &str,
    waybill: &str,
    now_ms: i64,
) -> StoreResult<u64> {
    let result = sqlx::query(
        "UPDATE shipments SET carrier = $2, waybill = $3, shipped_at_ms = $4 \
         WHERE order_id = $1 AND shipped_at_ms IS NULL",
    )
    .bind(order.0)
    .bind(carrier)
    .bind(waybill)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected())
}

/// A stored tracking event.
#[derive(Debug, Clone)]
pub struct TrackingRow {
    /// The carrier's event id.
    pub event_id: String,
    /// The stage's stored name.
    pub stage: String,
    /// The carrier's time.
    pub at_ms: i64,
    /// The carrier's description.
    pub detail: String,
}

/// An order's stored tracking events, in no particular order (the timeline sorts them).
pub async fn tracking_events_of<'e, E: Executor<'e, Database = Any>>(
    db: E,
    order: OrderId,
) -> StoreResult<Vec<TrackingRow>> {
    let rows = sqlx::query(
        "SELECT event_id, stage, at_ms, detail FROM tracking_events WHERE order_id = $1",
    )
    .bind(order.0)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(TrackingRow {
                event_id: col(row, "event_id")?,
                stage: col(row, "stage")?,
                at_ms: col(row, "at_ms")?,
                detail: col(row, "detail")?,
            })
        })
        .collect()
}

/// Stores a tracking event, replacing one with the same id (the caller decided which wins).
pub async fn put_tracking_event(
    conn: &mut sqlx::AnyConnection,
    order: OrderId,
    event: &TrackingRow,
    now_ms: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO tracking_events (order_id, event_id, stage, at_ms, detail, received_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (order_id, event_id) DO UPDATE SET \
         stage = excluded.stage, at_ms = excluded.at_ms, detail = excluded.detail, \
         received_at_ms = excluded.received_at_ms",
    )
    .bind(order.0)
    .bind(event.event_id.as_str())
    .bind(event.stage.as_str())
    .bind(event.at_ms)
    .bind(event.detail.as_str())
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A supplier's webhook: where it is told, and the secret the requests are signed with.
#[derive(Debug, Clone)]
pub struct WebhookRow {
    /// The supplier's endpoint.
    pub url: String,
    /// The signing secret.
    pub secret: String,
}

/// Sets a supplier's webhook.
pub async fn set_webhook(
    conn: &mut sqlx::AnyConnection,
    supplier: SupplierId,
    url: &str,
    secret: &str,
    now_ms: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO supplier_webhooks (supplier_id, url, secret, updated_at_ms) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (supplier_id) DO UPDATE SET \
         url = excluded.url, secret = excluded.secret, updated_at_ms = excluded.updated_at_ms",
    )
    .bind(supplier.0)
    .bind(url)
    .bind(secret)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A supplier's webhook, if it set one.
pub async fn webhook_of<'e, E: Executor<'e, Database = Any>>(
    db: E,
    supplier: SupplierId,
) -> StoreResult<Option<WebhookRow>> {
    let row = sqlx::query("SELECT url, secret FROM supplier_webhooks WHERE supplier_id = $1")
        .bind(supplier.0)
        .fetch_optional(db)
        .await?;
    row.map(|row| {
        Ok(WebhookRow {
            url: col(&row, "url")?,
            secret: col(&row, "secret")?,
        })
    })
    .transpose()
}

/// One supplier event in the outbox.
#[derive(Debug, Clone)]
pub struct OutboxRow {
    /// Key, and the pull API's cursor.
    pub id: i64,
    /// What suppliers dedupe on.
    pub event_id: String,
    /// Whose event it is.
    pub supplier_id: SupplierId,
    /// `order.routed`, `order.cancelled`, …
    pub kind: String,
    /// The event's data, JSON.
    pub payload: String,
    /// When it was written.
    pub created_at_ms: i64,
    /// Webhook attempts so far.
    pub attempts: i64,
    /// When the next attempt is due (or the current one's claim runs out).
    pub next_attempt_at_ms: i64,
    /// When the supplier acknowledged it.
    pub delivered_at_ms: Option<i64>,
    /// When it was given up on.
    pub dead_at_ms: Option<i64>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

const OUTBOX_COLUMNS: &str = "o.id, o.event_id, o.supplier_id, o.kind, o.payload, \
    o.created_at_ms, o.attempts, o.next_attempt_at_ms, o.delivered_at_ms, o.dead_at_ms, \
    o.last_error";

fn outbox_from_row(row: &AnyRow) -> StoreResult<OutboxRow> {
    Ok(OutboxRow {
        id: col(row, "id")?,
        event_id: col(row, "event_id")?,
        supplier_id: SupplierId(col(row, "supplier_id")?),
        kind: col(row, "kind")?,
        payload: col(row, "payload")?,
        created_at_ms: col(row, "created_at_ms")?,
        attempts: col(row, "attempts")?,
        next_attempt_at_ms: col(row, "next_attempt_at_ms")?,
        delivered_at_ms: col(row, "delivered_at_ms")?,
        dead_at_ms: col(row, "dead_at_ms")?,
        last_error: col(row, "last_error")?,
    })
}

/// Writes an event to the outbox, due at once; returns false when its event id was written
/// before (the change it announces was announced already).
pub async fn insert_outbox(
    conn: &mut sqlx::AnyConnection,
    event_id: &str,
    supplier: SupplierId,
    kind: &str,
    payload: &str,
    now_ms: i64,
) -> StoreResult<bool> {
    let result = sqlx::query(
        "INSERT INTO outbox (event_id, supplier_id, kind, payload, created_at_ms, \
         next_attempt_at_ms) VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (event_id) DO NOTHING",
    )
    .bind(event_id)
    .bind(supplier.0)
    .bind(kind)
    .bind(payload)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// An event due for a webhook attempt, with where to send it.
#[derive(Debug, Clone)]
pub struct DueRow {
    /// The event.
    pub event: OutboxRow,
    /// The supplier's webhook.
    pub webhook: WebhookRow,
}

/// Events due for a webhook attempt at `now_ms` of suppliers that have a webhook, most
/// overdue first. Reading them claims nothing: see [`claim_outbox`].
pub async fn due_outbox<'e, E: Executor<'e, Database = Any>>(
    db: E,
    now_ms: i64,
    limit: i64,
) -> StoreResult<Vec<DueRow>> {
    let sql = format!(
        "SELECT {OUTBOX_COLUMNS}, w.url, w.secret FROM outbox o \
         JOIN supplier_webhooks w ON w.supplier_id = o.supplier_id \
         WHERE o.delivered_at_ms IS NULL AND o.dead_at_ms IS NULL \
         AND o.next_attempt_at_ms <= $1 ORDER BY o.next_attempt_at_ms, o.id LIMIT $2"
    );
    let rows = sqlx::query(&sql)
        .bind(now_ms)
        .bind(limit)
        .fetch_all(db)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(DueRow {
                event: outbox_from_row(row)?,
                webhook: WebhookRow {
                    url: col(row, "url")?,
                    secret: col(row, "secret")?,
                },
            })
        })
        .collect()
}

/// Claims one attempt of an event: a compare-and-set on the due time read, moving it to
/// `claim_until_ms` and counting the attempt. Only one node's claim of that due time
/// succeeds; if the claimant dies, the event is due again when the claim runs out.
pub async fn claim_outbox(
    conn: &mut sqlx::AnyConnection,
    id: i64,
    seen_next_attempt_at_ms: i64,
    claim_until_ms: i64,
) -> StoreResult<bool> {
    let result = sqlx::query(
        "UPDATE outbox SET next_attempt_at_ms = $3, attempts = attempts + 1 \
         WHERE id = $1 AND next_attempt_at_ms = $2 \
         AND delivered_at_ms IS NULL AND dead_at_ms IS NULL",
    )
    .bind(id)
    .bind(seen_next_attempt_at_ms)
    .bind(claim_until_ms)
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// The supplier acknowledged an event.
pub async fn outbox_delivered(
    conn: &mut sqlx::AnyConnection,
    id: i64,
    now_ms: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE outbox SET delivered_at_ms = $2, last_error = NULL \
         WHERE id = $1 AND delivered_at_ms IS NULL",
    )
    .bind(id)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// An attempt failed: the event is due again at `next_attempt_at_ms`, or dead from
/// `dead_at_ms` on. An event acknowledged meanwhile (by an earlier, slow attempt) stays
/// delivered.
pub async fn outbox_failed(
    conn: &mut sqlx::AnyConnection,
    id: i64,
    error: &str,
    next_attempt_at_ms: i64,
    dead_at_ms: Option<i64>,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE outbox SET last_error = $2, next_attempt_at_ms = $3, dead_at_ms = $4 \
         WHERE id = $1 AND delivered_at_ms IS NULL",
    )
    .bind(id)
    .bind(error)
    .bind(next_attempt_at_ms)
    .bind(dead_at_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A supplier's events after cursor `after`, written at or before `written_by_ms`, in cursor
/// order.
pub async fn outbox_after<'e, E: Executor<'e, Database = Any>>(
    db: E,
    supplier: SupplierId,
    after: i64,
    written_by_ms: i64,
    limit: i64,
) -> StoreResult<Vec<OutboxRow>> {
    let sql = format!(
        "SELECT {OUTBOX_COLUMNS} FROM outbox o WHERE o.supplier_id = $1 AND o.id > $2 \
         AND o.created_at_ms <= $3 ORDER BY o.id LIMIT $4"
    );
    let rows = sqlx::query(&sql)
        .bind(supplier.0)
        .bind(after)
        .bind(written_by_ms)
        .bind(limit)
        .fetch_all(db)
        .await?;
    rows.iter().map(outbox_from_row).collect()
}

/// Events given up on, most recent first.
pub async fn dead_letters<'e, E: Executor<'e, Database = Any>>(
    db: E,
    limit: i64,
) -> StoreResult<Vec<OutboxRow>> {
    let sql = format!(
        "SELECT {OUTBOX_COLUMNS} FROM outbox o WHERE o.dead_at_ms IS NOT NULL \
         ORDER BY o.dead_at_ms DESC, o.id DESC LIMIT $1"
    );
    let rows = sqlx::query(&sql).bind(limit).fetch_all(db).await?;
    rows.iter().map(outbox_from_row).collect()
}

/// Brings a dead event back, due at once with a fresh count of attempts; returns false when
/// it is not dead (never was, or replayed already).
pub async fn replay_outbox(
    conn: &mut sqlx::AnyConnection,
    id: i64,
    now_ms: i64,
) -> StoreResult<bool> {
    let result = sqlx::query(
        "UPDATE outbox SET dead_at_ms = NULL, attempts = 0, next_attempt_at_ms = $2 \
         WHERE id = $1 AND dead_at_ms IS NOT NULL",
    )
    .bind(id)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// One stored ledger entry, as [`append_posting`] takes it.
#[derive(Debug, Clone)]
pub struct EntryRow {
    /// The account's kind (`buyer_payments`, `supplier_pending`, …).
    pub account: &'static str,
    /// The supplier or anchor of a party account.
    pub party_id: Option<i64>,
    /// `debit` or `credit`.
    pub side: &'static str,
    /// At least 1 fen.
    pub amount_fen: i64,
}

/// Appends a posting and its entries; returns the posting's id. The caller has checked that
/// it balances (only a `domain::ledger::Posting` reaches here).
pub async fn append_posting(
    conn: &mut sqlx::AnyConnection,
    kind: &str,
    order: Option<OrderId>,
    entries: &[EntryRow],
    now_ms: i64,
) -> StoreResult<i64> {
    let row = sqlx::query(
        "INSERT INTO ledger_postings (kind, order_id, created_at_ms) VALUES ($1, $2, $3) \
         RETURNING id",
    )
    .bind(kind)
    .bind(order.map(|o| o.0))
    .bind(now_ms)
    .fetch_one(&mut *conn)
    .await?;
    let posting: i64 = col(&row, "id")?;
    for (line, entry) in entries.iter().enumerate() {
        sqlx::query(
            "INSERT INTO ledger_entries (posting_id, line, account, party_id, side, amount_fen) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(posting)
        .bind(i64::try_from(line).unwrap_or(i64::MAX))
        .bind(entry.account)
        .bind(entry.party_id)
        .bind(entry.side)
        .bind(entry.amount_fen)
        .execute(&mut *conn)
        .await?;
    }
    Ok(posting)
}

/// Saves what the ledger has posted for an order (JSON of `domain::ledger::OrderMoney`).
pub async fn save_order_money(
    conn: &mut sqlx::AnyConnection,
    order: OrderId,
    state_json: &str,
    now_ms: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO order_money (order_id, state_json, updated_at_ms) VALUES ($1, $2, $3) \
         ON CONFLICT (order_id) DO UPDATE SET state_json = excluded.state_json, \
         updated_at_ms = excluded.updated_at_ms",
    )
    .bind(order.0)
    .bind(state_json)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What the ledger has posted for an order, if it was paid.
pub async fn order_money<'e, E: Executor<'e, Database = Any>>(
    db: E,
    order: OrderId,
) -> StoreResult<Option<String>> {
    let row = sqlx::query("SELECT state_json FROM order_money WHERE order_id = $1")
        .bind(order.0)
        .fetch_optional(db)
        .await?;
    row.map(|row| col(&row, "state_json")).transpose()
}

/// One account's balance (debits minus credits) over every posting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalanceRow {
    /// The account's kind.
    pub account: String,
    /// The party of a party account.
    pub party_id: Option<i64>,
    /// Debits minus credits, fen.
    pub balance_fen: i64,
}

/// Every account's balance, and the postings' debits and credits in total (equal in a
/// sound ledger).
pub async fn ledger_balances<'e, E: Executor<'e, Database = Any>>(
    db: E,
) -> StoreResult<Vec<BalanceRow>> {
    let rows = sqlx::query(
        "SELECT account, party_id, CAST(SUM(CASE WHEN side = 'debit' THEN amount_fen \
         ELSE -amount_fen END) AS BIGINT) AS balance FROM ledger_entries \
         GROUP BY account, party_id ORDER BY account, party_id",
    )
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(BalanceRow {
                account: col(row, "account")?,
                party_id: col(row, "party_id")?,
                balance_fen: col(row, "balance")?,
            })
        })
        .collect()
}

/// How many events the outbox holds, how many were acknowledged by a webhook and how many
/// are dead: what a check of delivery compares with what suppliers received.
pub async fn outbox_counts<'e, E: Executor<'e, Database = Any>>(
    db: E,
) -> StoreResult<OutboxCounts> {
    let row = sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS total, \
         CAST(COUNT(delivered_at_ms) AS BIGINT) AS delivered, \
         CAST(COUNT(dead_at_ms) AS BIGINT) AS dead FROM outbox",
    )
    .fetch_one(db)
    .await?;
    Ok(OutboxCounts {
        total: col(&row, "total")?,
        delivered: col(&row, "delivered")?,
        dead: col(&row, "dead")?,
    })
}

/// The outbox's totals ([`outbox_counts`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxCounts {
    /// Every event written.
    pub total: i64,
    /// Events a webhook acknowledged.
    pub delivered: i64,
    /// Events given up on until an operator replays them.
    pub dead: i64,
}
