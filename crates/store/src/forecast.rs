//! The reads behind the forecast before a live session and its replenishment advice: a
//! session's SKUs with their prices and flash sales, past sessions' audiences and sales (per
//! SKU, per category, per anchor, across the platform), where buyers live, and a supplier's
//! warehouses with their stock of a SKU.
//!
//! Every read is bounded by a limit its caller passes, and takes a connection, so that the
//! advice written with a session's change reads that change's own uncommitted rows.

use crate::{col, StoreResult};
use daihuo_domain::{LiveSessionId, SkuId, SupplierId, UserId, WarehouseId};
use sqlx::any::AnyRow;
use sqlx::AnyConnection;

/// A SKU a session sells, with what its forecast and advice need.
#[derive(Debug, Clone)]
pub struct PlanItemRow {
    /// The SKU.
    pub sku_id: SkuId,
    /// Order on the session's shelf, from 0.
    pub position: i64,
    /// The price in the session, fen.
    pub live_price_fen: i64,
    /// Whose SKU it is.
    pub supplier_id: SupplierId,
    /// The supplier's code.
    pub code: String,
    /// Title.
    pub title: String,
    /// The standard pool price, fen.
    pub pool_fen: i64,
    /// Its category for conversion by category: the taxonomy's second level, or the first
    /// for a SKU filed at the top.
    pub category: i64,
    /// Units of the SKU promised to buyers or set aside for flash sales.
    pub units_held: i64,
    /// The lowest price of a flash sale of the SKU in this session, fen.
    pub flash_price_fen: Option<i64>,
    /// Units set aside for this session's open flash sales of the SKU and not yet taken.
    pub flash_set_aside: i64,
}

/// The SKUs of a session in shelf order.
pub async fn plan_items(
    conn: &mut AnyConnection,
    session: LiveSessionId,
) -> StoreResult<Vec<PlanItemRow>> {
    let rows = sqlx::query(
        "SELECT i.sku_id, i.position, i.live_price_fen, s.supplier_id, s.code, s.title, \
         s.pool_fen, CAST(COALESCE(s.category_l2, s.category_l1) AS BIGINT) AS category, \
         s.units_held, \
         CAST((SELECT MIN(f.price_fen) FROM flash_sales f \
          WHERE f.session_id = i.session_id AND f.sku_id = i.sku_id) AS BIGINT) AS flash_price_fen, \
         CAST((SELECT COALESCE(SUM(f.quantity - f.taken), 0) FROM flash_sales f \
          WHERE f.session_id = i.session_id AND f.sku_id = i.sku_id \
          AND f.units_returned_at_ms IS NULL) AS BIGINT) AS flash_set_aside \
         FROM session_items i JOIN skus s ON s.id = i.sku_id \
         WHERE i.session_id = $1 ORDER BY i.position",
    )
    .bind(session.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(PlanItemRow {
                sku_id: SkuId(col(row, "sku_id")?),
                position: col(row, "position")?,
                live_price_fen: col(row, "live_price_fen")?,
                supplier_id: SupplierId(col(row, "supplier_id")?),
                code: col(row, "code")?,
                title: col(row, "title")?,
                pool_fen: col(row, "pool_fen")?,
                category: col(row, "category")?,
                units_held: col(row, "units_held")?,
                flash_price_fen: col(row, "flash_price_fen")?,
                flash_set_aside: col(row, "flash_set_aside")?,
            })
        })
        .collect()
}

/// A past session's audience.
#[derive(Debug, Clone, Copy)]
pub struct PastAudienceRow {
    /// When it went live, Unix ms.
    pub went_live_at_ms: i64,
    /// Distinct viewers who joined.
    pub unique_viewers: i64,
    /// The anchor's followers who followed before it went live.
    pub followers: i64,
}

fn audience_of(row: &AnyRow) -> StoreResult<PastAudienceRow> {
    Ok(PastAudienceRow {
        went_live_at_ms: col(row, "went_live_at_ms")?,
        unique_viewers: col(row, "unique_viewers")?,
        followers: col(row, "followers")?,
    })
}

/// The `limit` most recent ended sessions of `anchor` (or of every anchor when `None`),
/// oldest first, with the anchor's followers when each went live (follows since undone are
/// no longer known and not counted).
pub async fn past_audiences(
    conn: &mut AnyConnection,
    anchor: Option<UserId>,
    limit: i64,
) -> StoreResult<Vec<PastAudienceRow>> {
    const COLUMNS: &str = "s.went_live_at_ms, s.unique_viewers, \
        CAST((SELECT COUNT(*) FROM follows f WHERE f.anchor_id = s.anchor_id \
        AND f.created_at_ms <= s.went_live_at_ms) AS BIGINT) AS followers";
    let rows = match anchor {
        Some(anchor) => {
            sqlx::query(&format!(
                "SELECT {COLUMNS} FROM live_sessions s WHERE s.anchor_id = $1 \
                 AND s.status = 'ended' AND s.went_live_at_ms IS NOT NULL \
                 ORDER BY s.went_live_at_ms DESC, s.id DESC LIMIT $2"
            ))
            .bind(anchor.0)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?
        }
        None => {
            sqlx::query(&format!(
                "SELECT {COLUMNS} FROM live_sessions s WHERE s.status = 'ended' \
                 AND s.went_live_at_ms IS NOT NULL \
                 ORDER BY s.went_live_at_ms DESC, s.id DESC LIMIT $1"
            ))
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?
        }
    };
    let mut out = rows
        .iter()
        .map(audience_of)
        .collect::<StoreResult<Vec<_>>>()?;
    out.reverse();
    Ok(out)
}

/// How many follow `anchor` now.
pub async fn follower_count(conn: &mut AnyConnection, anchor: UserId) -> StoreResult<i64> {
    let row = sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM follows WHERE anchor_id = $1")
        .bind(anchor.0)
        .fetch_one(&mut *conn)
        .await?;
    col(&row, "n")
}

/// One SKU in one past (ended) session: what it sold and on what terms.
#[derive(Debug, Clone)]
pub struct PastItemRow {
    /// The session.
    pub session_id: LiveSessionId,
    /// When it went live, Unix ms.
    pub went_live_at_ms: i64,
    /// Distinct viewers who joined it.
    pub unique_viewers: i64,
    /// Whether it took part in a campaign.
    pub in_campaign: bool,
    /// The SKU.
    pub sku_id: SkuId,
    /// Its live price in the session, fen.
    pub live_price_fen: i64,
    /// Its pool price (today's), fen.
    pub pool_fen: i64,
    /// Units paid for in the session (refunded ones too: they were demand).
    pub units: i64,
    /// What those units were sold for before subsidy, fen.
    pub gross_fen: i64,
    /// Whether the session ran a flash sale of it.
    pub flash_sale: bool,
}

/// The figures of one past item, as a correlated subquery per item: the orders of the
/// session and SKU (index `orders_session_paid`) and its flash sales.
const PAST_ITEM_FIGURES: &str = "CAST((SELECT COALESCE(SUM(o.quantity), 0) FROM orders o \
      WHERE o.session_id = i.session_id AND o.sku_id = i.sku_id \
      AND o.paid_at_ms IS NOT NULL) AS BIGINT) AS units, \
    CAST((SELECT COALESCE(SUM(o.gross_fen), 0) FROM orders o \
      WHERE o.session_id = i.session_id AND o.sku_id = i.sku_id \
      AND o.paid_at_ms IS NOT NULL) AS BIGINT) AS gross_fen, \
    CAST((SELECT COUNT(*) FROM flash_sales f \
      WHERE f.session_id = i.session_id AND f.sku_id = i.sku_id) AS BIGINT) AS flash_sales";

fn past_item_of(row: &AnyRow) -> StoreResult<PastItemRow> {
    Ok(PastItemRow {
        session_id: LiveSessionId(col(row, "session_id")?),
        went_live_at_ms: col(row, "went_live_at_ms")?,
        unique_viewers: col(row, "unique_viewers")?,
        in_campaign: col::<Option<i64>>(row, "campaign_id")?.is_some(),
        sku_id: SkuId(col(row, "sku_id")?),
        live_price_fen: col(row, "live_price_fen")?,
        pool_fen: col(row, "pool_fen")?,
        units: col(row, "units")?,
        gross_fen: col(row, "gross_fen")?,
        flash_sale: col::<i64>(row, "flash_sales")? > 0,
    })
}

/// The `limit` most recent ended sessions that sold `sku` (of `anchor` only, when given),
/// oldest first, one row each.
pub async fn sku_history(
    conn: &mut AnyConnection,
    sku: SkuId,
    anchor: Option<UserId>,
    limit: i64,
) -> StoreResult<Vec<PastItemRow>> {
    let sql = format!(
        "SELECT i.session_id, s.went_live_at_ms, s.unique_viewers, s.campaign_id, i.sku_id, \
         i.live_price_fen, k.pool_fen, {PAST_ITEM_FIGURES} \
         FROM session_items i JOIN live_sessions s ON s.id = i.session_id \
         JOIN skus k ON k.id = i.sku_id \
         WHERE i.sku_id = $1 AND s.status = 'ended' AND s.went_live_at_ms IS NOT NULL \
         AND ($2 = 0 OR s.anchor_id = $2) \
         ORDER BY s.went_live_at_ms DESC, s.id DESC LIMIT $3"
    );
    let rows = sqlx::query(&sql)
        .bind(sku.0)
        .bind(anchor.map_or(0, |a| a.0))
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    let mut out = rows
        .iter()
        .map(past_item_of)
        .collect::<StoreResult<Vec<_>>>()?;
    out.reverse();
    Ok(out)
}

/// The SKUs of `category` sold in the `sessions_limit` most recent ended sessions (of
/// `anchor` only, when given), oldest session first, one row per SKU and session.
pub async fn category_history(
    conn: &mut AnyConnection,
    category: i64,
    anchor: Option<UserId>,
    sessions_limit: i64,
) -> StoreResult<Vec<PastItemRow>> {
    let recent = match anchor {
        Some(_) => {
            "SELECT id, went_live_at_ms, unique_viewers, campaign_id FROM live_sessions \
             WHERE anchor_id = $2 AND status = 'ended' AND went_live_at_ms IS NOT NULL \
             ORDER BY went_live_at_ms DESC, id DESC LIMIT $3"
        }
        None => {
            "SELECT id, went_live_at_ms, unique_viewers, campaign_id FROM live_sessions \
             WHERE $2 = 0 AND status = 'ended' AND went_live_at_ms IS NOT NULL \
             ORDER BY went_live_at_ms DESC, id DESC LIMIT $3"
        }
    };
    let sql = format!(
        "WITH recent AS ({recent}) \
         SELECT i.session_id, r.went_live_at_ms, r.unique_viewers, r.campaign_id, i.sku_id, \
         i.live_price_fen, k.pool_fen, {PAST_ITEM_FIGURES} \
         FROM recent r JOIN session_items i ON i.session_id = r.id \
         JOIN skus k ON k.id = i.sku_id \
         WHERE COALESCE(k.category_l2, k.category_l1) = $1 \
         ORDER BY r.went_live_at_ms, r.id, i.sku_id"
    );
    let rows = sqlx::query(&sql)
        .bind(category)
        .bind(anchor.map_or(0, |a| a.0))
        .bind(sessions_limit)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(past_item_of).collect()
}

/// Units bought per buyer county.
#[derive(Debug, Clone, Copy)]
pub struct CountyUnitsRow {
    /// The buyer's GB/T 2260 county code.
    pub county_code: i64,
    /// Units paid for there.
    pub units: i64,
}

/// Units paid for since `since_ms` per buyer county, from `anchor`'s rooms and shelf (or the
/// whole platform's when `None`), the most first, at most `limit` counties.
pub async fn buyer_counties(
    conn: &mut AnyConnection,
    anchor: Option<UserId>,
    since_ms: i64,
    limit: i64,
) -> StoreResult<Vec<CountyUnitsRow>> {
    let rows = match anchor {
        Some(anchor) => {
            sqlx::query(
                "SELECT county_code, CAST(SUM(quantity) AS BIGINT) AS units FROM orders \
                 WHERE anchor_id = $1 AND paid_at_ms IS NOT NULL AND paid_at_ms >= $2 \
                 GROUP BY county_code ORDER BY units DESC, county_code LIMIT $3",
            )
            .bind(anchor.0)
            .bind(since_ms)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?
        }
        None => {
            sqlx::query(
                "SELECT county_code, CAST(SUM(quantity) AS BIGINT) AS units FROM orders \
                 WHERE paid_at_ms IS NOT NULL AND paid_at_ms >= $1 \
                 GROUP BY county_code ORDER BY units DESC, county_code LIMIT $2",
            )
            .bind(since_ms)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?
        }
    };
    rows.iter()
        .map(|row| {
            Ok(CountyUnitsRow {
                county_code: col(row, "county_code")?,
                units: col(row, "units")?,
            })
        })
        .collect()
}

/// One of a supplier's warehouses with its stock of one SKU (zero where it has none).
#[derive(Debug, Clone)]
pub struct DepotRow {
    /// The warehouse.
    pub warehouse_id: WarehouseId,
    /// The supplier's code for it.
    pub code: String,
    /// Its name, e.g. 广州仓.
    pub name: String,
    /// Degrees east of its county's centroid.
    pub longitude: f64,
    /// Degrees north of its county's centroid.
    pub latitude: f64,
    /// Units on hand.
    pub quantity: i64,
    /// Units routed orders have claimed and not shipped.
    pub reserved: i64,
}

/// Every warehouse of `supplier` (at most `limit`, by id) with its stock of `sku`.
pub async fn depots(
    conn: &mut AnyConnection,
    supplier: SupplierId,
    sku: SkuId,
    limit: i64,
) -> StoreResult<Vec<DepotRow>> {
    let rows = sqlx::query(
        "SELECT w.id, w.code, w.name, w.longitude, w.latitude, \
         CAST(COALESCE(st.quantity, 0) AS BIGINT) AS quantity, \
         CAST(COALESCE(st.reserved, 0) AS BIGINT) AS reserved \
         FROM warehouses w LEFT JOIN stock st ON st.warehouse_id = w.id AND st.sku_id = $2 \
         WHERE w.supplier_id = $1 ORDER BY w.id LIMIT $3",
    )
    .bind(supplier.0)
    .bind(sku.0)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(DepotRow {
                warehouse_id: WarehouseId(col(row, "id")?),
                code: col(row, "code")?,
                name: col(row, "name")?,
                longitude: col(row, "longitude")?,
                latitude: col(row, "latitude")?,
                quantity: col(row, "quantity")?,
                reserved: col(row, "reserved")?,
            })
        })
        .collect()
}

/// Scheduled sessions starting from `from_ms` to `until_ms` that sell SKUs of `supplier`,
/// the soonest first (ties by id), at most `limit`.
pub async fn supplier_upcoming(
    conn: &mut AnyConnection,
    supplier: SupplierId,
    from_ms: i64,
    until_ms: i64,
    limit: i64,
) -> StoreResult<Vec<LiveSessionId>> {
    let rows = sqlx::query(
        "SELECT s.id, s.starts_at_ms FROM live_sessions s WHERE s.status = 'scheduled' \
         AND s.starts_at_ms >= $2 AND s.starts_at_ms <= $3 AND EXISTS (SELECT 1 \
         FROM session_items i JOIN skus k ON k.id = i.sku_id \
         WHERE i.session_id = s.id AND k.supplier_id = $1) \
         ORDER BY s.starts_at_ms, s.id LIMIT $4",
    )
    .bind(supplier.0)
    .bind(from_ms)
    .bind(until_ms)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| Ok(LiveSessionId(col(row, "id")?)))
        .collect()
}

/// Scheduled sessions other than `session` starting from `from_ms` and before it (by start,
/// then id) that sell any SKU of `supplier` that `session` sells: the sessions whose plans
/// come first. The nearest `limit` of them, the soonest first.
pub async fn earlier_sharing(
    conn: &mut AnyConnection,
    supplier: SupplierId,
    session: LiveSessionId,
    starts_at_ms: i64,
    from_ms: i64,
    limit: i64,
) -> StoreResult<Vec<LiveSessionId>> {
    let rows = sqlx::query(
        "SELECT s.id, s.starts_at_ms FROM live_sessions s WHERE s.status = 'scheduled' \
         AND s.starts_at_ms >= $4 AND (s.starts_at_ms < $3 OR (s.starts_at_ms = $3 AND s.id < $2)) \
         AND EXISTS (SELECT 1 FROM session_items i JOIN skus k ON k.id = i.sku_id \
           JOIN session_items mine ON mine.sku_id = i.sku_id AND mine.session_id = $2 \
           WHERE i.session_id = s.id AND k.supplier_id = $1) \
         ORDER BY s.starts_at_ms DESC, s.id DESC LIMIT $5",
    )
    .bind(supplier.0)
    .bind(session.0)
    .bind(starts_at_ms)
    .bind(from_ms)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = rows
        .iter()
        .map(|row| Ok(LiveSessionId(col(row, "id")?)))
        .collect::<StoreResult<Vec<_>>>()?;
    out.reverse();
    Ok(out)
}

/// The suppliers whose SKUs `session` sells, by id.
pub async fn session_suppliers(
    conn: &mut AnyConnection,
    session: LiveSessionId,
) -> StoreResult<Vec<SupplierId>> {
    let rows = sqlx::query(
        "SELECT DISTINCT k.supplier_id FROM session_items i JOIN skus k ON k.id = i.sku_id \
         WHERE i.session_id = $1 ORDER BY k.supplier_id",
    )
    .bind(session.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| Ok(SupplierId(col(row, "supplier_id")?)))
        .collect()
}
