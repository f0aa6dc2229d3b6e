//! Buying: saved addresses, flash sales, orders and idempotency keys.
//!
//! Every statement that changes a flash sale's units runs inside a transaction that first
//! locks the sale's row with [`lock_flash_sale`] (on PostgreSQL a row lock; on SQLite the
//! node's write lock already serialises writers). Every transaction takes that lock before
//! any other it needs (campaign budget, orders, SKU), so two never wait on each other in a
//! circle. Batches are written with multi-row statements: a batch of a hundred reservations
//! costs a handful of statements, not hundreds.

use crate::{col, StoreError, StoreResult};
use daihuo_domain::order::OrderStatus;
use daihuo_domain::{
    AddressId, CampaignId, FlashSaleId, LiveSessionId, OrderId, SkuId, SupplierId, UserId,
};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor};
use std::fmt::Write as _;

/// A saved delivery address.
#[derive(Debug, Clone)]
pub struct AddressRow {
    /// Key.
    pub id: AddressId,
    /// Owner.
    pub user_id: UserId,
    /// Who receives.
    pub recipient: String,
    /// 11-digit mobile number.
    pub phone: String,
    /// GB/T 2260 county code.
    pub county_code: u32,
    /// Street detail.
    pub detail: String,
    /// When it was saved.
    pub created_at_ms: i64,
}

fn address_from_row(row: &AnyRow) -> StoreResult<AddressRow> {
    Ok(AddressRow {
        id: AddressId(col(row, "id")?),
        user_id: UserId(col(row, "user_id")?),
        recipient: col(row, "recipient")?,
        phone: col(row, "phone")?,
        county_code: u32::try_from(col::<i64>(row, "county_code")?)
            .map_err(|e| StoreError::Corrupt(format!("county code: {e}")))?,
        detail: col(row, "detail")?,
        created_at_ms: col(row, "created_at_ms")?,
    })
}

const ADDRESS_COLUMNS: &str = "id, user_id, recipient, phone, county_code, detail, created_at_ms";

/// Saves an address.
pub async fn insert_address<'e, E: Executor<'e, Database = Any>>(
    db: E,
    user_id: UserId,
    recipient: &str,
    phone: &str,
    county_code: u32,
    detail: &str,
    now_ms: i64,
) -> StoreResult<AddressRow> {
    let sql = format!(
        "INSERT INTO addresses (user_id, recipient, phone, county_code, detail, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {ADDRESS_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(user_id.0)
        .bind(recipient)
        .bind(phone)
        .bind(i64::from(county_code))
        .bind(detail)
        .bind(now_ms)
        .fetch_one(db)
        .await?;
    address_from_row(&row)
}

/// A user's saved addresses, oldest first.
pub async fn addresses_of<'e, E: Executor<'e, Database = Any>>(
    db: E,
    user_id: UserId,
) -> StoreResult<Vec<AddressRow>> {
    let sql = format!("SELECT {ADDRESS_COLUMNS} FROM addresses WHERE user_id = $1 ORDER BY id");
    let rows = sqlx::query(&sql).bind(user_id.0).fetch_all(db).await?;
    rows.iter().map(address_from_row).collect()
}

/// One of a user's addresses (`None` when it is someone else's or does not exist).
pub async fn address_of<'e, E: Executor<'e, Database = Any>>(
    db: E,
    user_id: UserId,
    id: AddressId,
) -> StoreResult<Option<AddressRow>> {
    let sql = format!("SELECT {ADDRESS_COLUMNS} FROM addresses WHERE id = $1 AND user_id = $2");
    let row = sqlx::query(&sql)
        .bind(id.0)
        .bind(user_id.0)
        .fetch_optional(db)
        .await?;
    row.as_ref().map(address_from_row).transpose()
}

/// Sets `units` of a SKU aside if its stock not yet promised covers them; returns whether it
/// did. One conditional statement, so two buyers can never both take the last unit.
pub async fn hold_sku_units(
    conn: &mut sqlx::AnyConnection,
    sku_id: SkuId,
    units: i64,
) -> StoreResult<bool> {
    let result = sqlx::query(
        "UPDATE skus SET units_held = units_held + $2 \
         WHERE id = $1 AND stock_total - units_held >= $2",
    )
    .bind(sku_id.0)
    .bind(units)
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Gives `units` set aside back to a SKU's available stock.
pub async fn release_sku_units(
    conn: &mut sqlx::AnyConnection,
    sku_id: SkuId,
    units: i64,
) -> StoreResult<()> {
    sqlx::query("UPDATE skus SET units_held = units_held - $2 WHERE id = $1")
        .bind(sku_id.0)
        .bind(units)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A stored flash sale.
#[derive(Debug, Clone)]
pub struct FlashSaleRow {
    /// Key.
    pub id: FlashSaleId,
    /// The session it runs in.
    pub session_id: LiveSessionId,
    /// The SKU on sale.
    pub sku_id: SkuId,
    /// The anchor who runs it.
    pub anchor_id: UserId,
    /// The campaign that pays its subsidy.
    pub campaign_id: Option<CampaignId>,
    /// Price per unit before subsidy.
    pub price_fen: i64,
    /// Subsidy per unit.
    pub subsidy_fen: i64,
    /// Units on offer.
    pub quantity: i64,
    /// Most units per buyer.
    pub per_user_limit: i64,
    /// Opening.
    pub starts_at_ms: i64,
    /// Closing.
    pub ends_at_ms: i64,
    /// Time to pay.
    pub pay_window_ms: i64,
    /// Units held or sold.
    pub taken: i64,
    /// Units paid for.
    pub sold: i64,
    /// When the unsold rest went back to the SKU.
    pub units_returned_at_ms: Option<i64>,
    /// Created.
    pub created_at_ms: i64,
}

const FLASH_COLUMNS: &str = "id, session_id, sku_id, anchor_id, campaign_id, price_fen, \
    subsidy_fen, quantity, per_user_limit, starts_at_ms, ends_at_ms, pay_window_ms, taken, \
    sold, units_returned_at_ms, created_at_ms";

fn flash_from_row(row: &AnyRow) -> StoreResult<FlashSaleRow> {
    Ok(FlashSaleRow {
        id: FlashSaleId(col(row, "id")?),
        session_id: LiveSessionId(col(row, "session_id")?),
        sku_id: SkuId(col(row, "sku_id")?),
        anchor_id: UserId(col(row, "anchor_id")?),
        campaign_id: col::<Option<i64>>(row, "campaign_id")?.map(CampaignId),
        price_fen: col(row, "price_fen")?,
        subsidy_fen: col(row, "subsidy_fen")?,
        quantity: col(row, "quantity")?,
        per_user_limit: col(row, "per_user_limit")?,
        starts_at_ms: col(row, "starts_at_ms")?,
        ends_at_ms: col(row, "ends_at_ms")?,
        pay_window_ms: col(row, "pay_window_ms")?,
        taken: col(row, "taken")?,
        sold: col(row, "sold")?,
        units_returned_at_ms: col(row, "units_returned_at_ms")?,
        created_at_ms: col(row, "created_at_ms")?,
    })
}

/// A flash sale to write.
#[derive(Debug, Clone, Copy)]
pub struct NewFlashSale {
    /// The session.
    pub session_id: LiveSessionId,
    /// The SKU.
    pub sku_id: SkuId,
    /// The anchor.
    pub anchor_id: UserId,
    /// The campaign paying the subsidy.
    pub campaign_id: Option<CampaignId>,
    /// Price per unit.
    pub price_fen: i64,
    /// Subsidy per unit.
    pub subsidy_fen: i64,
    /// Units.
    pub quantity: i64,
    /// Per-user limit.
    pub per_user_limit: i64,
    /// Opening.
    pub starts_at_ms: i64,
    /// Closing.
    pub ends_at_ms: i64,
    /// Time to pay.
    pub pay_window_ms: i64,
}

/// Writes a flash sale.
pub async fn insert_flash_sale(
    conn: &mut sqlx::AnyConnection,
    sale: &NewFlashSale,
    now_ms: i64,
) -> StoreResult<FlashSaleRow> {
    let sql = format!(
        "INSERT INTO flash_sales (session_id, sku_id, anchor_id, campaign_id, price_fen, \
         subsidy_fen, quantity, per_user_limit, starts_at_ms, ends_at_ms, pay_window_ms, \
         created_at_ms, updated_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) \
         RETURNING {FLASH_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(sale.session_id.0)
        .bind(sale.sku_id.0)
        .bind(sale.anchor_id.0)
        .bind(sale.campaign_id.map(|c| c.0))
        .bind(sale.price_fen)
        .bind(sale.subsidy_fen)
        .bind(sale.quantity)
        .bind(sale.per_user_limit)
        .bind(sale.starts_at_ms)
        .bind(sale.ends_at_ms)
        .bind(sale.pay_window_ms)
        .bind(now_ms)
        .fetch_one(&mut *conn)
        .await?;
    flash_from_row(&row)
}

/// Loads a flash sale.
pub async fn flash_sale_by_id<'e, E: Executor<'e, Database = Any>>(
    db: E,
    id: FlashSaleId,
) -> StoreResult<Option<FlashSaleRow>> {
    let sql = format!("SELECT {FLASH_COLUMNS} FROM flash_sales WHERE id = $1");
    let row = sqlx::query(&sql).bind(id.0).fetch_optional(db).await?;
    row.as_ref().map(flash_from_row).transpose()
}

/// A session's flash sales, oldest first.
pub async fn flash_sales_of_session<'e, E: Executor<'e, Database = Any>>(
    db: E,
    session_id: LiveSessionId,
) -> StoreResult<Vec<FlashSaleRow>> {
    let sql = format!("SELECT {FLASH_COLUMNS} FROM flash_sales WHERE session_id = $1 ORDER BY id");
    let rows = sqlx::query(&sql).bind(session_id.0).fetch_all(db).await?;
    rows.iter().map(flash_from_row).collect()
}

/// Locks a flash sale's row for the rest of the transaction and reads it.
pub async fn lock_flash_sale(
    conn: &mut sqlx::AnyConnection,
    id: FlashSaleId,
    now_ms: i64,
) -> StoreResult<Option<FlashSaleRow>> {
    let sql = format!(
        "UPDATE flash_sales SET updated_at_ms = $2 WHERE id = $1 RETURNING {FLASH_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(id.0)
        .bind(now_ms)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(flash_from_row).transpose()
}

/// Adds `delta` units (negative to give back) to a sale's taken and `sold_delta` to its sold.
pub async fn add_flash_units(
    conn: &mut sqlx::AnyConnection,
    id: FlashSaleId,
    delta: i64,
    sold_delta: i64,
) -> StoreResult<()> {
    sqlx::query("UPDATE flash_sales SET taken = taken + $2, sold = sold + $3 WHERE id = $1")
        .bind(id.0)
        .bind(delta)
        .bind(sold_delta)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Marks a closed sale's unsold units as returned to the SKU; returns the sale as it was if
/// this call did it (so the caller gives `quantity − taken` back exactly once).
pub async fn mark_units_returned(
    conn: &mut sqlx::AnyConnection,
    id: FlashSaleId,
    now_ms: i64,
) -> StoreResult<Option<FlashSaleRow>> {
    let sql = format!(
        "UPDATE flash_sales SET units_returned_at_ms = $2 \
         WHERE id = $1 AND units_returned_at_ms IS NULL RETURNING {FLASH_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(id.0)
        .bind(now_ms)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(flash_from_row).transpose()
}

/// Sales that have closed and not yet returned their unsold units.
pub async fn closed_sales_to_settle<'e, E: Executor<'e, Database = Any>>(
    db: E,
    now_ms: i64,
    limit: i64,
) -> StoreResult<Vec<FlashSaleId>> {
    let rows = sqlx::query(
        "SELECT id FROM flash_sales WHERE units_returned_at_ms IS NULL AND ends_at_ms <= $1 \
         ORDER BY ends_at_ms LIMIT $2",
    )
    .bind(now_ms)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| col::<i64>(r, "id").map(FlashSaleId))
        .collect()
}

/// Sales whose room may be due a stage by the clock: not yet announced as ended, opening
/// before `until_ms` (now plus the countdown), soonest first.
pub async fn sales_due_stage<'e, E: Executor<'e, Database = Any>>(
    db: E,
    until_ms: i64,
    limit: i64,
) -> StoreResult<Vec<(FlashSaleRow, String)>> {
    let sql = format!(
        "SELECT {FLASH_COLUMNS}, announced_stage FROM flash_sales \
         WHERE announced_stage <> 'ended' AND starts_at_ms <= $1 ORDER BY starts_at_ms LIMIT $2"
    );
    let rows = sqlx::query(&sql)
        .bind(until_ms)
        .bind(limit)
        .fetch_all(db)
        .await?;
    rows.iter()
        .map(|row| Ok((flash_from_row(row)?, col(row, "announced_stage")?)))
        .collect()
}

/// Moves a sale's announced stage from `from` to `to`; `true` if this call did it, so only
/// one node announces each stage.
pub async fn claim_stage<'e, E: Executor<'e, Database = Any>>(
    db: E,
    id: FlashSaleId,
    from: &str,
    to: &str,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE flash_sales SET announced_stage = $3 WHERE id = $1 AND announced_stage = $2",
    )
    .bind(id.0)
    .bind(from)
    .bind(to)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Locks a campaign's row and returns the subsidy budget it has left.
pub async fn lock_subsidy_budget(
    conn: &mut sqlx::AnyConnection,
    id: CampaignId,
) -> StoreResult<i64> {
    let row = sqlx::query(
        "UPDATE campaigns SET subsidy_held_fen = subsidy_held_fen WHERE id = $1 \
         RETURNING subsidy_budget_fen - subsidy_held_fen - subsidy_spent_fen AS budget_left",
    )
    .bind(id.0)
    .fetch_one(&mut *conn)
    .await?;
    col(&row, "budget_left")
}

/// Moves subsidy between a campaign's held and spent amounts: `held` is added to what unpaid
/// reservations hold, `spent` to what paid orders spent (either may be negative).
pub async fn move_subsidy(
    conn: &mut sqlx::AnyConnection,
    id: CampaignId,
    held: i64,
    spent: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE campaigns SET subsidy_held_fen = subsidy_held_fen + $2, \
         subsidy_spent_fen = subsidy_spent_fen + $3 WHERE id = $1",
    )
    .bind(id.0)
    .bind(held)
    .bind(spent)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Sets a campaign's subsidy budget; refused (false) when it would fall below what is
/// already held and spent.
pub async fn set_subsidy_budget(
    conn: &mut sqlx::AnyConnection,
    id: CampaignId,
    budget_fen: i64,
) -> StoreResult<bool> {
    let result = sqlx::query(
        "UPDATE campaigns SET subsidy_budget_fen = $2 \
         WHERE id = $1 AND subsidy_held_fen + subsidy_spent_fen <= $2",
    )
    .bind(id.0)
    .bind(budget_fen)
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// A campaign's subsidy budget: (budget, held, spent).
pub async fn subsidy_budget<'e, E: Executor<'e, Database = Any>>(
    db: E,
    id: CampaignId,
) -> StoreResult<Option<(i64, i64, i64)>> {
    let row = sqlx::query(
        "SELECT subsidy_budget_fen, subsidy_held_fen, subsidy_spent_fen FROM campaigns \
         WHERE id = $1",
    )
    .bind(id.0)
    .fetch_optional(db)
    .await?;
    row.map(|r| {
        Ok((
            col(&r, "subsidy_budget_fen")?,
            col(&r, "subsidy_held_fen")?,
            col(&r, "subsidy_spent_fen")?,
        ))
    })
    .transpose()
}

/// `$first, $first+1, …`: a list of `count` parameters, for `IN (…)`.
pub(crate) fn parameter_list(count: usize, first: usize) -> String {
    let mut list = String::new();
    for index in 0..count {
        let separator = if index == 0 { "" } else { ", " };
        // Writing to a String cannot fail.
        let _ = write!(list, "{separator}${}", first + index);
    }
    list
}

/// `(1, 2), (3, 4), …` placeholders: `rows` rows of `width` parameters from `$first`.
fn placeholders(rows: usize, width: usize, first: usize) -> String {
    let mut sql = String::new();
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..width {
            let separator = if column == 0 { "" } else { ", " };
            // Writing to a String cannot fail.
            let _ = write!(sql, "{separator}${}", first + row * width + column);
        }
        sql.push(')');
    }
    sql
}

/// A stored idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRow {
    /// The buyer.
    pub user_id: UserId,
    /// The key.
    pub key: String,
    /// Digest of the first request.
    pub request_hash: String,
    /// The order it made.
    pub order_id: OrderId,
}

/// The stored keys among `keys` (pairs of buyer and key).
pub async fn known_keys(
    conn: &mut sqlx::AnyConnection,
    keys: &[(UserId, &str)],
) -> StoreResult<Vec<KeyRow>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT user_id, idem_key, request_hash, order_id FROM idempotency_keys \
         WHERE (user_id, idem_key) IN (VALUES {})",
        placeholders(keys.len(), 2, 1)
    );
    let mut query = sqlx::query(&sql);
    for (user, key) in keys {
        query = query.bind(user.0).bind(*key);
    }
    let rows = query.fetch_all(&mut *conn).await?;
    rows.iter().map(key_from_row).collect()
}

fn key_from_row(row: &AnyRow) -> StoreResult<KeyRow> {
    Ok(KeyRow {
        user_id: UserId(col(row, "user_id")?),
        key: col(row, "idem_key")?,
        request_hash: col(row, "request_hash")?,
        order_id: OrderId(col(row, "order_id")?),
    })
}

/// Every key that made an order in a flash sale, after order id `after` (to keep a cache of
/// them fresh).
pub async fn sale_keys_after<'e, E: Executor<'e, Database = Any>>(
    db: E,
    sale: FlashSaleId,
    after: OrderId,
) -> StoreResult<Vec<KeyRow>> {
    let rows = sqlx::query(
        "SELECT k.user_id, k.idem_key, k.request_hash, k.order_id \
         FROM orders o JOIN idempotency_keys k ON k.order_id = o.id \
         WHERE o.flash_sale_id = $1 AND o.id > $2 ORDER BY o.id",
    )
    .bind(sale.0)
    .bind(after.0)
    .fetch_all(db)
    .await?;
    rows.iter().map(key_from_row).collect()
}

/// Units each of `buyers` holds or bought in a sale (buyers with none are absent).
pub async fn buyer_units(
    conn: &mut sqlx::AnyConnection,
    sale: FlashSaleId,
    buyers: &[UserId],
) -> StoreResult<Vec<(UserId, i64)>> {
    if buyers.is_empty() {
        return Ok(Vec::new());
    }
    let list = parameter_list(buyers.len(), 2);
    let sql = format!(
        "SELECT user_id, units FROM flash_sale_buyers WHERE sale_id = $1 AND user_id IN ({list})"
    );
    let mut query = sqlx::query(&sql).bind(sale.0);
    for buyer in buyers {
        query = query.bind(buyer.0);
    }
    let rows = query.fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| Ok((UserId(col(r, "user_id")?), col(r, "units")?)))
        .collect()
}

/// Adds units to buyers' counts in a sale (negative to give back). One statement.
pub async fn add_buyer_units(
    conn: &mut sqlx::AnyConnection,
    sale: FlashSaleId,
    units: &[(UserId, i64)],
) -> StoreResult<()> {
    if units.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO flash_sale_buyers (sale_id, user_id, units) VALUES {} \
         ON CONFLICT (sale_id, user_id) \
         DO UPDATE SET units = flash_sale_buyers.units + excluded.units",
        placeholders(units.len(), 3, 1)
    );
    let mut query = sqlx::query(&sql);
    for (user, n) in units {
        query = query.bind(sale.0).bind(user.0).bind(*n);
    }
    query.execute(&mut *conn).await?;
    Ok(())
}

/// An order to write.
#[derive(Debug, Clone)]
pub struct NewOrder {
    /// Public order number (unique).
    pub order_no: String,
    /// The buyer.
    pub buyer_id: UserId,
    /// The anchor it was sold by.
    pub anchor_id: UserId,
    /// The session it was sold in.
    pub session_id: Option<LiveSessionId>,
    /// The flash sale it was sold in.
    pub flash_sale_id: Option<FlashSaleId>,
    /// The campaign that subsidised it.
    pub campaign_id: Option<CampaignId>,
    /// The SKU.
    pub sku_id: SkuId,
    /// The SKU's supplier.
    pub supplier_id: SupplierId,
    /// Units.
    pub quantity: i64,
    /// Price per unit before subsidy.
    pub unit_price_fen: i64,
    /// The split: gross, subsidy, buyer pays, commission, platform fee, supplier.
    pub split: [i64; 6],
    /// Recipient.
    pub recipient: String,
    /// Phone.
    pub phone: String,
    /// County.
    pub county_code: u32,
    /// Street detail.
    pub address_detail: String,
    /// Payment deadline.
    pub reserved_until_ms: i64,
    /// The idempotency key and request digest that made it.
    pub key: (String, String),
}

const ORDER_WIDTH: usize = 23;

/// Writes reserved orders and their idempotency keys (two statements); returns their ids in
/// the order given.
pub async fn insert_reserved_orders(
    conn: &mut sqlx::AnyConnection,
    orders: &[NewOrder],
    now_ms: i64,
) -> StoreResult<Vec<OrderId>> {
    if orders.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "INSERT INTO orders (order_no, buyer_id, anchor_id, session_id, flash_sale_id, \
         campaign_id, sku_id, supplier_id, quantity, unit_price_fen, gross_fen, subsidy_fen, \
         buyer_pays_fen, commission_fen, platform_fee_fen, supplier_fen, recipient, phone, \
         county_code, address_detail, reserved_until_ms, created_at_ms, updated_at_ms, \
         status) VALUES {} RETURNING id, order_no",
        placeholders(orders.len(), ORDER_WIDTH, 1).replace(')', ", 'reserved')")
    );
    let mut query = sqlx::query(&sql);
    for o in orders {
        query = query
            .bind(o.order_no.as_str())
            .bind(o.buyer_id.0)
            .bind(o.anchor_id.0)
            .bind(o.session_id.map(|s| s.0))
            .bind(o.flash_sale_id.map(|s| s.0))
            .bind(o.campaign_id.map(|c| c.0))
            .bind(o.sku_id.0)
            .bind(o.supplier_id.0)
            .bind(o.quantity)
            .bind(o.unit_price_fen);
        for amount in o.split {
            query = query.bind(amount);
        }
        query = query
            .bind(o.recipient.as_str())
            .bind(o.phone.as_str())
            .bind(i64::from(o.county_code))
            .bind(o.address_detail.as_str())
            .bind(o.reserved_until_ms)
            .bind(now_ms)
            .bind(now_ms);
    }
    let rows = query.fetch_all(&mut *conn).await?;
    let mut by_no = std::collections::HashMap::with_capacity(rows.len());
    for row in &rows {
        by_no.insert(col::<String>(row, "order_no")?, OrderId(col(row, "id")?));
    }
    let ids = orders
        .iter()
        .map(|o| {
            by_no
                .get(&o.order_no)
                .copied()
                .ok_or_else(|| StoreError::Corrupt(format!("order {} not returned", o.order_no)))
        })
        .collect::<StoreResult<Vec<OrderId>>>()?;
    let sql = format!(
        "INSERT INTO idempotency_keys (user_id, idem_key, request_hash, order_id, \
         created_at_ms) VALUES {}",
        placeholders(orders.len(), 5, 1)
    );
    let mut query = sqlx::query(&sql);
    for (o, id) in orders.iter().zip(&ids) {
        query = query
            .bind(o.buyer_id.0)
            .bind(o.key.0.as_str())
            .bind(o.key.1.as_str())
            .bind(id.0)
            .bind(now_ms);
    }
    query.execute(&mut *conn).await?;
    Ok(ids)
}

/// A stored order.
#[derive(Debug, Clone)]
pub struct OrderRow {
    /// Key.
    pub id: OrderId,
    /// Public number.
    pub order_no: String,
    /// Buyer.
    pub buyer_id: UserId,
    /// Anchor.
    pub anchor_id: UserId,
    /// Session.
    pub session_id: Option<LiveSessionId>,
    /// Flash sale.
    pub flash_sale_id: Option<FlashSaleId>,
    /// Campaign.
    pub campaign_id: Option<CampaignId>,
    /// SKU.
    pub sku_id: SkuId,
    /// SKU title, for display.
    pub sku_title: String,
    /// Supplier.
    pub supplier_id: SupplierId,
    /// Units.
    pub quantity: i64,
    /// Price per unit before subsidy.
    pub unit_price_fen: i64,
    /// gross, subsidy, buyer pays, commission, platform fee, supplier.
    pub split: [i64; 6],
    /// Recipient.
    pub recipient: String,
    /// Phone.
    pub phone: String,
    /// County.
    pub county_code: u32,
    /// Street detail.
    pub address_detail: String,
    /// Status.
    pub status: OrderStatus,
    /// Why it was cancelled.
    pub cancel_reason: Option<String>,
    /// Payment deadline.
    pub reserved_until_ms: i64,
    /// When it was paid.
    pub paid_at_ms: Option<i64>,
    /// The shipping promise, fixed when it was routed (see `promises`).
    pub ship_by_ms: Option<i64>,
    /// When it was found late, if it was.
    pub late_at_ms: Option<i64>,
    /// The late-shipment compensation owed to its buyer, fen.
    pub late_compensation_fen: Option<i64>,
    /// Created.
    pub created_at_ms: i64,
    /// Last change.
    pub updated_at_ms: i64,
}

const ORDER_COLUMNS: &str = "o.id, o.order_no, o.buyer_id, o.anchor_id, o.session_id, \
    o.flash_sale_id, o.campaign_id, o.sku_id, s.title AS sku_title, o.supplier_id, o.quantity, \
    o.unit_price_fen, o.gross_fen, o.subsidy_fen, o.buyer_pays_fen, o.commission_fen, \
    o.platform_fee_fen, o.supplier_fen, o.recipient, o.phone, o.county_code, \
    o.address_detail, o.status, o.cancel_reason, o.reserved_until_ms, o.paid_at_ms, \
    o.ship_by_ms, o.late_at_ms, o.late_compensation_fen, o.created_at_ms, o.updated_at_ms";
const ORDER_FROM: &str = "orders o JOIN skus s ON s.id = o.sku_id";

fn order_from_row(row: &AnyRow) -> StoreResult<OrderRow> {
    let status: String = col(row, "status")?;
    Ok(OrderRow {
        id: OrderId(col(row, "id")?),
        order_no: col(row, "order_no")?,
        buyer_id: UserId(col(row, "buyer_id")?),
        anchor_id: UserId(col(row, "anchor_id")?),
        session_id: col::<Option<i64>>(row, "session_id")?.map(LiveSessionId),
        flash_sale_id: col::<Option<i64>>(row, "flash_sale_id")?.map(FlashSaleId),
        campaign_id: col::<Option<i64>>(row, "campaign_id")?.map(CampaignId),
        sku_id: SkuId(col(row, "sku_id")?),
        sku_title: col(row, "sku_title")?,
        supplier_id: SupplierId(col(row, "supplier_id")?),
        quantity: col(row, "quantity")?,
        unit_price_fen: col(row, "unit_price_fen")?,
        split: [
            col(row, "gross_fen")?,
            col(row, "subsidy_fen")?,
            col(row, "buyer_pays_fen")?,
            col(row, "commission_fen")?,
            col(row, "platform_fee_fen")?,
            col(row, "supplier_fen")?,
        ],
        recipient: col(row, "recipient")?,
        phone: col(row, "phone")?,
        county_code: u32::try_from(col::<i64>(row, "county_code")?)
            .map_err(|e| StoreError::Corrupt(format!("county code: {e}")))?,
        address_detail: col(row, "address_detail")?,
        status: OrderStatus::from_db(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("order status {status}")))?,
        cancel_reason: col(row, "cancel_reason")?,
        reserved_until_ms: col(row, "reserved_until_ms")?,
        paid_at_ms: col(row, "paid_at_ms")?,
        ship_by_ms: col(row, "ship_by_ms")?,
        late_at_ms: col(row, "late_at_ms")?,
        late_compensation_fen: col(row, "late_compensation_fen")?,
        created_at_ms: col(row, "created_at_ms")?,
        updated_at_ms: col(row, "updated_at_ms")?,
    })
}

/// Loads an order.
pub async fn order_by_id<'e, E: Executor<'e, Database = Any>>(
    db: E,
    id: OrderId,
) -> StoreResult<Option<OrderRow>> {
    let sql = format!("SELECT {ORDER_COLUMNS} FROM {ORDER_FROM} WHERE o.id = $1");
    let row = sqlx::query(&sql).bind(id.0).fetch_optional(db).await?;
    row.as_ref().map(order_from_row).transpose()
}

/// Loads orders by id (any order; missing ids are absent).
pub async fn orders_by_ids(
    conn: &mut sqlx::AnyConnection,
    ids: &[OrderId],
) -> StoreResult<Vec<OrderRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = parameter_list(ids.len(), 1);
    let sql = format!("SELECT {ORDER_COLUMNS} FROM {ORDER_FROM} WHERE o.id IN ({list})");
    let mut query = sqlx::query(&sql);
    for id in ids {
        query = query.bind(id.0);
    }
    let rows = query.fetch_all(&mut *conn).await?;
    rows.iter().map(order_from_row).collect()
}

/// A buyer's orders, newest first, before order id `before`.
pub async fn orders_of_buyer<'e, E: Executor<'e, Database = Any>>(
    db: E,
    buyer: UserId,
    before: i64,
    limit: i64,
) -> StoreResult<Vec<OrderRow>> {
    let sql = format!(
        "SELECT {ORDER_COLUMNS} FROM {ORDER_FROM} WHERE o.buyer_id = $1 AND o.id < $2 \
         ORDER BY o.id DESC LIMIT $3"
    );
    let rows = sqlx::query(&sql)
        .bind(buyer.0)
        .bind(before)
        .bind(limit)
        .fetch_all(db)
        .await?;
    rows.iter().map(order_from_row).collect()
}

/// Orders of a flash sale, by id (for checks and reports).
pub async fn orders_of_sale<'e, E: Executor<'e, Database = Any>>(
    db: E,
    sale: FlashSaleId,
) -> StoreResult<Vec<OrderRow>> {
    let sql = format!(
        "SELECT {ORDER_COLUMNS} FROM {ORDER_FROM} WHERE o.flash_sale_id = $1 ORDER BY o.id"
    );
    let rows = sqlx::query(&sql).bind(sale.0).fetch_all(db).await?;
    rows.iter().map(order_from_row).collect()
}

/// Unpaid reservations past their deadline: (order, its flash sale if any), oldest first.
pub async fn overdue_reservations<'e, E: Executor<'e, Database = Any>>(
    db: E,
    now_ms: i64,
    limit: i64,
) -> StoreResult<Vec<(OrderId, Option<FlashSaleId>)>> {
    let rows = sqlx::query(
        "SELECT id, flash_sale_id FROM orders WHERE status = 'reserved' \
         AND reserved_until_ms <= $1 ORDER BY reserved_until_ms LIMIT $2",
    )
    .bind(now_ms)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                OrderId(col(r, "id")?),
                col::<Option<i64>>(r, "flash_sale_id")?.map(FlashSaleId),
            ))
        })
        .collect()
}

/// Moves an order from `from` to `to` if it is still in `from` (compare and set); returns
/// whether it moved. `reason` is kept when cancelling; `paid_at_ms` when paying.
pub async fn set_order_status(
    conn: &mut sqlx::AnyConnection,
    id: OrderId,
    from: OrderStatus,
    to: OrderStatus,
    reason: Option<&str>,
    now_ms: i64,
) -> StoreResult<bool> {
    let paid_at = (to == OrderStatus::Paid).then_some(now_ms);
    // The first time an order is delivered or completed is kept (migration 0011), so time
    // rules (automatic receipt, settlement) read it instead of re-deriving it.
    let delivered_at = (to == OrderStatus::Delivered).then_some(now_ms);
    let completed_at = (to == OrderStatus::Completed).then_some(now_ms);
    let result = sqlx::query(
        "UPDATE orders SET status = $3, cancel_reason = COALESCE($4, cancel_reason), \
         paid_at_ms = COALESCE($5, paid_at_ms), updated_at_ms = $6, \
         delivered_at_ms = COALESCE(delivered_at_ms, $7), \
         completed_at_ms = COALESCE(completed_at_ms, $8) \
         WHERE id = $1 AND status = $2",
    )
    .bind(id.0)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(reason)
    .bind(paid_at)
    .bind(now_ms)
    .bind(delivered_at)
    .bind(completed_at)
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Addresses by id (missing ids are absent); the caller checks whose they are.
pub async fn addresses_by_ids(
    conn: &mut sqlx::AnyConnection,
    ids: &[AddressId],
) -> StoreResult<Vec<AddressRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = parameter_list(ids.len(), 1);
    let sql = format!("SELECT {ADDRESS_COLUMNS} FROM addresses WHERE id IN ({list})");
    let mut query = sqlx::query(&sql);
    for id in ids {
        query = query.bind(id.0);
    }
    let rows = query.fetch_all(&mut *conn).await?;
    rows.iter().map(address_from_row).collect()
}

/// The live price of a SKU in a session, if the session sells it.
pub async fn session_item_price<'e, E: Executor<'e, Database = Any>>(
    db: E,
    session_id: LiveSessionId,
    sku_id: SkuId,
) -> StoreResult<Option<i64>> {
    let row = sqlx::query(
        "SELECT live_price_fen FROM session_items WHERE session_id = $1 AND sku_id = $2",
    )
    .bind(session_id.0)
    .bind(sku_id.0)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(|r| col(r, "live_price_fen")).transpose()
}

/// Whether a SKU is on an anchor's shelf.
pub async fn on_shelf<'e, E: Executor<'e, Database = Any>>(
    db: E,
    anchor_id: UserId,
    sku_id: SkuId,
) -> StoreResult<bool> {
    let row = sqlx::query("SELECT 1 AS one FROM shelf_items WHERE anchor_id = $1 AND sku_id = $2")
        .bind(anchor_id.0)
        .bind(sku_id.0)
        .fetch_optional(db)
        .await?;
    Ok(row.is_some())
}
