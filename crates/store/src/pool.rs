//! The product pool: warehouses, SPUs and SKUs, price history, review decisions, stock per
//! warehouse and anchors' shelves.

use crate::{col, StoreError, StoreResult};
use daihuo_domain::catalog::SkuStatus;
use daihuo_domain::{SkuId, SpuId, SupplierId, UserId, WarehouseId};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor};

/// A stored warehouse.
#[derive(Debug, Clone)]
pub struct WarehouseRow {
    /// Key.
    pub id: WarehouseId,
    /// Owner.
    pub supplier_id: SupplierId,
    /// The supplier's own code.
    pub code: String,
    /// Name.
    pub name: String,
    /// GB/T 2260 county code.
    pub county_code: u32,
    /// Longitude of the county centroid.
    pub longitude: f64,
    /// Latitude of the county centroid.
    pub latitude: f64,
}

/// Everything written for a SKU on insert or update.
#[derive(Debug, Clone)]
pub struct SkuWrite {
    /// Owner.
    pub supplier_id: SupplierId,
    /// The SPU it is a variant of.
    pub spu_id: SpuId,
    /// The supplier's SKU code.
    pub code: String,
    /// Title.
    pub title: String,
    /// Brand.
    pub brand: String,
    /// Taxonomy leaf or inner category.
    pub category_id: u32,
    /// Ancestors at depth 1..3 (the category itself when it is that deep), for subtree filters.
    pub category_levels: [Option<u32>; 3],
    /// GTIN digits.
    pub gtin: Option<String>,
    /// Image URLs.
    pub images: Vec<String>,
    /// Attribute pairs.
    pub attributes: Vec<(String, String)>,
    /// Supply price, fen.
    pub supply_fen: i64,
    /// Pool price, fen.
    pub pool_fen: i64,
    /// Floor price, fen.
    pub floor_fen: i64,
    /// Suggested retail price, fen.
    pub retail_fen: i64,
    /// Commission, basis points.
    pub commission_bps: u32,
    /// Review status.
    pub status: SkuStatus,
    /// Search terms joined by spaces.
    pub search_terms: String,
}

/// A stored SKU as the pool shows it.
#[derive(Debug, Clone)]
pub struct SkuRow {
    /// Key.
    pub id: SkuId,
    /// Owner.
    pub supplier_id: SupplierId,
    /// Supplier name, for display.
    pub supplier_name: String,
    /// SPU code.
    pub spu_code: String,
    /// SKU code.
    pub code: String,
    /// Title.
    pub title: String,
    /// Brand.
    pub brand: String,
    /// Category.
    pub category_id: u32,
    /// GTIN.
    pub gtin: Option<String>,
    /// Image URLs.
    pub images: Vec<String>,
    /// Attribute pairs.
    pub attributes: Vec<(String, String)>,
    /// Supply price, fen.
    pub supply_fen: i64,
    /// Pool price, fen.
    pub pool_fen: i64,
    /// Floor price, fen.
    pub floor_fen: i64,
    /// Suggested retail price, fen.
    pub retail_fen: i64,
    /// Commission, basis points.
    pub commission_bps: u32,
    /// Review status.
    pub status: SkuStatus,
    /// Why the last review rejected it.
    pub reject_reason: Option<String>,
    /// Units across all warehouses.
    pub stock_total: i64,
    /// Units sold recently (filled by the order pipeline).
    pub recent_sales: i64,
    /// Created.
    pub created_at_ms: i64,
    /// Last changed.
    pub updated_at_ms: i64,
}

pub(crate) const SKU_COLUMNS: &str = "s.id, s.supplier_id, sup.name AS supplier_name, \
    p.code AS spu_code, s.code, s.title, s.brand, s.category_id, s.gtin, s.images_json, \
    s.attributes_json, s.supply_fen, s.pool_fen, s.floor_fen, s.retail_fen, s.commission_bps, \
    s.status, s.reject_reason, s.stock_total, s.recent_sales, s.created_at_ms, s.updated_at_ms";
pub(crate) const SKU_FROM: &str =
    "skus s JOIN spus p ON p.id = s.spu_id JOIN suppliers sup ON sup.id = s.supplier_id";

fn u32_col(row: &AnyRow, name: &str) -> StoreResult<u32> {
    let value: i64 = col(row, name)?;
    u32::try_from(value).map_err(|_| StoreError::Corrupt(format!("column {name}: {value}")))
}

pub(crate) fn sku_from_row(row: &AnyRow) -> StoreResult<SkuRow> {
    let status: String = col(row, "status")?;
    let images: String = col(row, "images_json")?;
    let attributes: String = col(row, "attributes_json")?;
    Ok(SkuRow {
        id: SkuId(col(row, "id")?),
        supplier_id: SupplierId(col(row, "supplier_id")?),
        supplier_name: col(row, "supplier_name")?,
        spu_code: col(row, "spu_code")?,
        code: col(row, "code")?,
        title: col(row, "title")?,
        brand: col(row, "brand")?,
        category_id: u32_col(row, "category_id")?,
        gtin: col(row, "gtin")?,
        images: serde_json::from_str(&images)?,
        attributes: serde_json::from_str(&attributes)?,
        supply_fen: col(row, "supply_fen")?,
        pool_fen: col(row, "pool_fen")?,
        floor_fen: col(row, "floor_fen")?,
        retail_fen: col(row, "retail_fen")?,
        commission_bps: u32_col(row, "commission_bps")?,
        status: SkuStatus::from_db(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("status {status}")))?,
        reject_reason: col(row, "reject_reason")?,
        stock_total: col(row, "stock_total")?,
        recent_sales: col(row, "recent_sales")?,
        created_at_ms: col(row, "created_at_ms")?,
        updated_at_ms: col(row, "updated_at_ms")?,
    })
}

fn warehouse_from_row(row: &AnyRow) -> StoreResult<WarehouseRow> {
    Ok(WarehouseRow {
        id: WarehouseId(col(row, "id")?),
        supplier_id: SupplierId(col(row, "supplier_id")?),
        code: col(row, "code")?,
        name: col(row, "name")?,
        county_code: u32_col(row, "county_code")?,
        longitude: col(row, "longitude")?,
        latitude: col(row, "latitude")?,
    })
}

/// Inserts or updates a warehouse by (supplier, code).
pub async fn upsert_warehouse<'e, E: Executor<'e, Database = Any>>(
    db: E,
    supplier_id: SupplierId,
    code: &str,
    name: &str,
    county_code: u32,
    coordinates: (f64, f64),
    now_ms: i64,
) -> StoreResult<WarehouseId> {
    let row = sqlx::query(
        "INSERT INTO warehouses (supplier_id, code, name, county_code, longitude, latitude, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (supplier_id, code) DO UPDATE SET name = excluded.name, \
         county_code = excluded.county_code, longitude = excluded.longitude, latitude = excluded.latitude \
         RETURNING id",
    )
    .bind(supplier_id.0)
    .bind(code)
    .bind(name)
    .bind(i64::from(county_code))
    .bind(coordinates.0)
    .bind(coordinates.1)
    .bind(now_ms)
    .fetch_one(db)
    .await?;
    Ok(WarehouseId(col(&row, "id")?))
}

/// A supplier's warehouses, by code.
pub async fn warehouses_of<'e, E: Executor<'e, Database = Any>>(
    db: E,
    supplier_id: SupplierId,
) -> StoreResult<Vec<WarehouseRow>> {
    let rows = sqlx::query(
        "SELECT id, supplier_id, code, name, county_code, longitude, latitude FROM warehouses \
         WHERE supplier_id = $1 ORDER BY code",
    )
    .bind(supplier_id.0)
    .fetch_all(db)
    .await?;
    rows.iter().map(warehouse_from_row).collect()
}

/// Returns the SPU id for (supplier, code), creating it if needed.
pub async fn ensure_spu(
    conn: &mut sqlx::AnyConnection,
    supplier_id: SupplierId,
    code: &str,
) -> StoreResult<SpuId> {
    let row = sqlx::query(
        "INSERT INTO spus (supplier_id, code) VALUES ($1, $2) \
         ON CONFLICT (supplier_id, code) DO UPDATE SET code = excluded.code RETURNING id",
    )
    .bind(supplier_id.0)
    .bind(code)
    .fetch_one(&mut *conn)
    .await?;
    Ok(SpuId(col(&row, "id")?))
}

/// Loads a SKU by its supplier's code.
pub async fn sku_by_code<'e, E: Executor<'e, Database = Any>>(
    db: E,
    supplier_id: SupplierId,
    code: &str,
) -> StoreResult<Option<SkuRow>> {
    let sql =
        format!("SELECT {SKU_COLUMNS} FROM {SKU_FROM} WHERE s.supplier_id = $1 AND s.code = $2");
    let row = sqlx::query(&sql)
        .bind(supplier_id.0)
        .bind(code)
        .fetch_optional(db)
        .await?;
    row.as_ref().map(sku_from_row).transpose()
}

/// Loads a SKU by id.
pub async fn sku_by_id<'e, E: Executor<'e, Database = Any>>(
    db: E,
    id: SkuId,
) -> StoreResult<Option<SkuRow>> {
    let sql = format!("SELECT {SKU_COLUMNS} FROM {SKU_FROM} WHERE s.id = $1");
    let row = sqlx::query(&sql).bind(id.0).fetch_optional(db).await?;
    row.as_ref().map(sku_from_row).transpose()
}

/// The columns a SKU write sets, in the order [`bind_sku_fields`] binds them as `$1`…`$17`.
const SKU_WRITE_COLUMNS: &str = "spu_id, title, brand, category_id, category_l1, category_l2, \
    category_l3, gtin, images_json, attributes_json, supply_fen, pool_fen, floor_fen, retail_fen, \
    commission_bps, status, search_terms";

type AnyQuery<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>;

/// Binds the [`SKU_WRITE_COLUMNS`] of `sku` as the query's first 17 parameters.
fn bind_sku_fields<'q>(query: AnyQuery<'q>, sku: &'q SkuWrite) -> StoreResult<AnyQuery<'q>> {
    Ok(query
        .bind(sku.spu_id.0)
        .bind(sku.title.as_str())
        .bind(sku.brand.as_str())
        .bind(i64::from(sku.category_id))
        .bind(i64::from(sku.category_levels[0].unwrap_or(sku.category_id)))
        .bind(sku.category_levels[1].map(i64::from))
        .bind(sku.category_levels[2].map(i64::from))
        .bind(sku.gtin.as_deref())
        .bind(serde_json::to_string(&sku.images)?)
        .bind(serde_json::to_string(&sku.attributes)?)
        .bind(sku.supply_fen)
        .bind(sku.pool_fen)
        .bind(sku.floor_fen)
        .bind(sku.retail_fen)
        .bind(i64::from(sku.commission_bps))
        .bind(sku.status.as_str())
        .bind(sku.search_terms.as_str()))
}

/// Inserts a SKU.
pub async fn insert_sku(
    conn: &mut sqlx::AnyConnection,
    sku: &SkuWrite,
    now_ms: i64,
) -> StoreResult<SkuId> {
    let sql = format!(
        "INSERT INTO skus ({SKU_WRITE_COLUMNS}, supplier_id, code, created_at_ms, updated_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
         $18, $19, $20, $20) RETURNING id"
    );
    let row = bind_sku_fields(sqlx::query(&sql), sku)?
        .bind(sku.supplier_id.0)
        .bind(sku.code.as_str())
        .bind(now_ms)
        .fetch_one(&mut *conn)
        .await?;
    Ok(SkuId(col(&row, "id")?))
}

/// Overwrites a SKU's content, prices and status. A new status other than `rejected` clears
/// the rejection reason.
pub async fn update_sku(
    conn: &mut sqlx::AnyConnection,
    id: SkuId,
    sku: &SkuWrite,
    now_ms: i64,
) -> StoreResult<()> {
    let assignments = SKU_WRITE_COLUMNS
        .split(", ")
        .enumerate()
        .map(|(i, column)| format!("{} = ${}", column.trim(), i + 1))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "UPDATE skus SET {assignments}, updated_at_ms = $18, \
         reject_reason = CASE WHEN $16 = 'rejected' THEN reject_reason ELSE NULL END \
         WHERE id = $19"
    );
    bind_sku_fields(sqlx::query(&sql), sku)?
        .bind(now_ms)
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Sets a SKU's status (and reason) after a review decision or delisting, and records the
/// decision when an operator made it.
pub async fn set_sku_status(
    conn: &mut sqlx::AnyConnection,
    id: SkuId,
    status: SkuStatus,
    reason: Option<&str>,
    operator: Option<UserId>,
    now_ms: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE skus SET status = $1, reject_reason = $2, updated_at_ms = $3 WHERE id = $4",
    )
    .bind(status.as_str())
    .bind(reason)
    .bind(now_ms)
    .bind(id.0)
    .execute(&mut *conn)
    .await?;
    if let Some(operator) = operator {
        sqlx::query(
            "INSERT INTO sku_reviews (sku_id, decision, reason, operator_id, decided_at_ms) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id.0)
        .bind(status.as_str())
        .bind(reason)
        .bind(operator.0)
        .bind(now_ms)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// One entry of a SKU's price and commission history.
#[derive(Debug, Clone)]
pub struct PriceHistoryRow {
    /// Supply price, fen.
    pub supply_fen: i64,
    /// Pool price, fen.
    pub pool_fen: i64,
    /// Floor price, fen.
    pub floor_fen: i64,
    /// Suggested retail price, fen.
    pub retail_fen: i64,
    /// Commission, basis points.
    pub commission_bps: u32,
    /// Who changed it (a user, or the creator of the API token used).
    pub changed_by: Option<UserId>,
    /// When.
    pub changed_at_ms: i64,
}

/// Appends the SKU's current prices to its history.
pub async fn append_price_history(
    conn: &mut sqlx::AnyConnection,
    id: SkuId,
    sku: &SkuWrite,
    changed_by: Option<UserId>,
    now_ms: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO sku_price_history (sku_id, supply_fen, pool_fen, floor_fen, retail_fen, \
         commission_bps, changed_by, changed_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id.0)
    .bind(sku.supply_fen)
    .bind(sku.pool_fen)
    .bind(sku.floor_fen)
    .bind(sku.retail_fen)
    .bind(i64::from(sku.commission_bps))
    .bind(changed_by.map(|u| u.0))
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A SKU's price history, oldest first.
pub async fn price_history<'e, E: Executor<'e, Database = Any>>(
    db: E,
    id: SkuId,
) -> StoreResult<Vec<PriceHistoryRow>> {
    let rows = sqlx::query(
        "SELECT supply_fen, pool_fen, floor_fen, retail_fen, commission_bps, changed_by, changed_at_ms \
         FROM sku_price_history WHERE sku_id = $1 ORDER BY id",
    )
    .bind(id.0)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(PriceHistoryRow {
                supply_fen: col(row, "supply_fen")?,
                pool_fen: col(row, "pool_fen")?,
                floor_fen: col(row, "floor_fen")?,
                retail_fen: col(row, "retail_fen")?,
                commission_bps: u32_col(row, "commission_bps")?,
                changed_by: col::<Option<i64>>(row, "changed_by")?.map(UserId),
                changed_at_ms: col(row, "changed_at_ms")?,
            })
        })
        .collect()
}

/// SKUs waiting for review, oldest change first.
pub async fn review_queue<'e, E: Executor<'e, Database = Any>>(
    db: E,
    limit: i64,
    after_id: i64,
) -> StoreResult<Vec<SkuRow>> {
    let sql = format!(
        "SELECT {SKU_COLUMNS} FROM {SKU_FROM} WHERE s.status = 'pending_review' AND s.id > $1 \
         ORDER BY s.id LIMIT $2"
    );
    let rows = sqlx::query(&sql)
        .bind(after_id)
        .bind(limit)
        .fetch_all(db)
        .await?;
    rows.iter().map(sku_from_row).collect()
}

/// A supplier's own SKUs in any status, by id, for its catalogue console.
pub async fn supplier_skus<'e, E: Executor<'e, Database = Any>>(
    db: E,
    supplier_id: SupplierId,
    limit: i64,
    after_id: i64,
) -> StoreResult<Vec<SkuRow>> {
    let sql = format!(
        "SELECT {SKU_COLUMNS} FROM {SKU_FROM} WHERE s.supplier_id = $1 AND s.id > $2 \
         ORDER BY s.id LIMIT $3"
    );
    let rows = sqlx::query(&sql)
        .bind(supplier_id.0)
        .bind(after_id)
        .bind(limit)
        .fetch_all(db)
        .await?;
    rows.iter().map(sku_from_row).collect()
}

/// Stored stock of one SKU in one warehouse.
#[derive(Debug, Clone, Copy)]
pub struct StockRow {
    /// Warehouse.
    pub warehouse_id: WarehouseId,
    /// Units.
    pub quantity: i64,
    /// Supplier's version.
    pub version: i64,
}

/// The stored level of one SKU in one warehouse, locked for update on PostgreSQL.
pub async fn stock_for_update(
    conn: &mut sqlx::AnyConnection,
    postgres: bool,
    sku_id: SkuId,
    warehouse_id: WarehouseId,
) -> StoreResult<Option<StockRow>> {
    if postgres {
        // Lock the SKU first: writers of different warehouses of one SKU then take turns, so
        // the stock total each recomputes includes the others' rows.
        sqlx::query("SELECT id FROM skus WHERE id = $1 FOR UPDATE")
            .bind(sku_id.0)
            .execute(&mut *conn)
            .await?;
    }
    let lock = if postgres { " FOR UPDATE" } else { "" };
    let sql = format!(
        "SELECT warehouse_id, quantity, version FROM stock WHERE sku_id = $1 AND warehouse_id = $2{lock}"
    );
    let row = sqlx::query(&sql)
        .bind(sku_id.0)
        .bind(warehouse_id.0)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|row| {
        Ok(StockRow {
            warehouse_id: WarehouseId(col(&row, "warehouse_id")?),
            quantity: col(&row, "quantity")?,
            version: col(&row, "version")?,
        })
    })
    .transpose()
}

/// Writes a stock level if its version is newer than the stored one, and refreshes the SKU's
/// total across warehouses. Returns whether it was written: the version condition is in the
/// statement itself, so two racing updates can never let the older one win.
pub async fn write_stock(
    conn: &mut sqlx::AnyConnection,
    sku_id: SkuId,
    warehouse_id: WarehouseId,
    quantity: i64,
    version: i64,
    now_ms: i64,
) -> StoreResult<bool> {
    let written = sqlx::query(
        "INSERT INTO stock (sku_id, warehouse_id, quantity, version, updated_at_ms) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sku_id, warehouse_id) DO UPDATE SET \
         quantity = excluded.quantity, version = excluded.version, updated_at_ms = excluded.updated_at_ms \
         WHERE stock.version < excluded.version",
    )
    .bind(sku_id.0)
    .bind(warehouse_id.0)
    .bind(quantity)
    .bind(version)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if !written {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE skus SET stock_total = (SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) \
         FROM stock WHERE sku_id = $1) WHERE id = $1",
    )
    .bind(sku_id.0)
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

/// Stock of one SKU in every warehouse that has a level.
pub async fn stock_of_sku<'e, E: Executor<'e, Database = Any>>(
    db: E,
    sku_id: SkuId,
) -> StoreResult<Vec<(WarehouseRow, StockRow)>> {
    let rows = sqlx::query(
        "SELECT w.id, w.supplier_id, w.code, w.name, w.county_code, w.longitude, w.latitude, \
         st.quantity, st.version FROM stock st JOIN warehouses w ON w.id = st.warehouse_id \
         WHERE st.sku_id = $1 ORDER BY w.code",
    )
    .bind(sku_id.0)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            let warehouse = warehouse_from_row(row)?;
            let stock = StockRow {
                warehouse_id: warehouse.id,
                quantity: col(row, "quantity")?,
                version: col(row, "version")?,
            };
            Ok((warehouse, stock))
        })
        .collect()
}

/// Puts a SKU on an anchor's shelf; returns false if it was already there.
pub async fn add_to_shelf<'e, E: Executor<'e, Database = Any>>(
    db: E,
    anchor_id: UserId,
    sku_id: SkuId,
    now_ms: i64,
) -> StoreResult<bool> {
    let result = sqlx::query(
        "INSERT INTO shelf_items (anchor_id, sku_id, added_at_ms) VALUES ($1, $2, $3) \
         ON CONFLICT (anchor_id, sku_id) DO NOTHING",
    )
    .bind(anchor_id.0)
    .bind(sku_id.0)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Takes a SKU off an anchor's shelf; returns false if it was not there.
pub async fn remove_from_shelf<'e, E: Executor<'e, Database = Any>>(
    db: E,
    anchor_id: UserId,
    sku_id: SkuId,
) -> StoreResult<bool> {
    let result = sqlx::query("DELETE FROM shelf_items WHERE anchor_id = $1 AND sku_id = $2")
        .bind(anchor_id.0)
        .bind(sku_id.0)
        .execute(db)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// The SKUs on an anchor's shelf that are in the pool, most recently added first. A SKU out
/// of the pool (back in review, delisted) keeps its shelf row and shows again once approved.
pub async fn shelf_of<'e, E: Executor<'e, Database = Any>>(
    db: E,
    anchor_id: UserId,
) -> StoreResult<Vec<SkuRow>> {
    let sql = format!(
        "SELECT {SKU_COLUMNS} FROM shelf_items sh JOIN skus s ON s.id = sh.sku_id \
         JOIN spus p ON p.id = s.spu_id JOIN suppliers sup ON sup.id = s.supplier_id \
         WHERE sh.anchor_id = $1 AND s.status = 'approved' ORDER BY sh.added_at_ms DESC, s.id DESC"
    );
    let rows = sqlx::query(&sql).bind(anchor_id.0).fetch_all(db).await?;
    rows.iter().map(sku_from_row).collect()
}

/// Approves every SKU waiting for review in one statement, without review records; returns
/// how many were approved. Used only to seed benchmarks and demos, where an operator
/// reviewing a million synthetic SKUs one by one is not what is being measured.
pub async fn approve_all_pending(conn: &mut sqlx::AnyConnection, now_ms: i64) -> StoreResult<u64> {
    let result = sqlx::query(
        "UPDATE skus SET status = 'approved', reject_reason = NULL, updated_at_ms = $1 \
         WHERE status = 'pending_review'",
    )
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected())
}

/// How many SKUs an anchor has shelved, in the pool or not (the shelf limit counts them all).
pub async fn shelf_size<'e, E: Executor<'e, Database = Any>>(
    db: E,
    anchor_id: UserId,
) -> StoreResult<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM shelf_items WHERE anchor_id = $1")
        .bind(anchor_id.0)
        .fetch_one(db)
        .await?;
    col(&row, "n")
}

/// How many SKUs are in the pool (approved). Used by benchmarks to check a pool they reuse.
pub async fn approved_sku_count<'e, E: Executor<'e, Database = Any>>(db: E) -> StoreResult<u64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM skus WHERE status = 'approved'")
        .fetch_one(db)
        .await?;
    let n: i64 = col(&row, "n")?;
    Ok(u64::try_from(n).unwrap_or(0))
}
