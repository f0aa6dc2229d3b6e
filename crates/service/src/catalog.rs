//! The supplier's catalogue: warehouses, SKU upserts (one by one or in bulk), stock per
//! warehouse, operator review and price history.

use crate::{Actor, ServiceError, ServiceResult, Services};
use daihuo_domain::catalog::{Code, SkuContent, SkuPricing, SkuStatus};
use daihuo_domain::place::CountyCode;
use daihuo_domain::stock::{StockDecision, StockLevel};
use daihuo_domain::{BasisPoints, Fen, SkuId, SupplierId, UserId, WarehouseId};
use daihuo_refdata::{divisions, taxonomy};
use daihuo_store::{self as store, now_ms, SkuRow, SkuWrite};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The most SKUs one bulk request may carry: enough for a feed chunk, small enough that one
/// request holds the write lock only briefly.
pub const BULK_SKUS_MAX: usize = 1_000;
/// The most stock updates one request may carry.
pub const BULK_STOCK_MAX: usize = 5_000;
/// The longest rejection reason.
pub const REJECT_REASON_MAX_CHARS: usize = 500;

/// A product attribute such as 颜色 = 白.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Attribute {
    /// Name.
    pub name: String,
    /// Value.
    pub value: String,
}

/// Stock for one warehouse carried inside a SKU upsert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WarehouseStockInput {
    /// The supplier's warehouse code.
    pub warehouse_code: String,
    /// Units on hand.
    pub quantity: i64,
    /// The supplier's version of this level; only a higher version replaces a stored one.
    pub version: i64,
}

/// One SKU as a supplier sends it (JSON body item or CSV row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SkuInput {
    /// The supplier's SPU code; SKUs with one SPU code are variants of one product.
    pub spu_code: String,
    /// The supplier's SKU code, the key of the upsert.
    pub sku_code: String,
    /// Title, Chinese or English.
    pub title: String,
    /// Brand.
    pub brand: String,
    /// Google product taxonomy id.
    pub category_id: u32,
    /// GTIN-8/12/13/14 with a correct check digit.
    #[serde(default)]
    pub gtin: Option<String>,
    /// Image URLs.
    #[serde(default)]
    pub images: Vec<String>,
    /// Attributes in display order.
    #[serde(default)]
    pub attributes: Vec<Attribute>,
    /// What the supplier receives per unit, fen.
    pub supply_price_fen: i64,
    /// The standard live price for every anchor, fen.
    pub pool_price_fen: i64,
    /// The lowest live price allowed, fen.
    pub floor_price_fen: i64,
    /// Suggested retail price, fen.
    pub retail_price_fen: i64,
    /// Anchor commission, basis points.
    pub commission_bps: i64,
    /// Optional stock levels per warehouse.
    #[serde(default)]
    pub stock: Vec<WarehouseStockInput>,
}

/// What an upsert did with one SKU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UpsertOutcome {
    /// A new SKU, waiting for review.
    Created,
    /// Changed; content changes send it back to review, price changes do not.
    Updated,
    /// Identical to what was stored.
    Unchanged,
    /// Refused; see `error`.
    Rejected,
}

/// A per-row error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RowError {
    /// Stable code.
    pub code: String,
    /// For people.
    pub message: String,
}

/// The result for one SKU of a bulk upsert.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UpsertResult {
    /// Position in the request (0-based) or line in a CSV feed (1-based, header is line 1).
    pub row: u64,
    /// The SKU code as sent.
    pub sku_code: String,
    /// What happened.
    pub outcome: UpsertOutcome,
    /// The SKU's id when it exists.
    pub sku_id: Option<SkuId>,
    /// Its status after the upsert.
    pub status: Option<SkuStatus>,
    /// Why it was refused.
    pub error: Option<RowError>,
}

/// A bulk upsert's report.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UpsertReport {
    /// SKUs created.
    pub created: u64,
    /// SKUs changed.
    pub updated: u64,
    /// SKUs sent unchanged.
    pub unchanged: u64,
    /// Rows refused; nothing of them was written.
    pub rejected: u64,
    /// One result per row, in order.
    pub results: Vec<UpsertResult>,
}

/// A warehouse to create or update.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct WarehouseInput {
    /// The supplier's own code.
    pub code: String,
    /// Name, e.g. 杭州仓.
    pub name: String,
    /// GB/T 2260 county code of its location.
    pub county_code: String,
}

/// A warehouse as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WarehouseView {
    /// Id.
    pub id: WarehouseId,
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// County code.
    pub county_code: u32,
    /// Province, city and county names.
    pub location: String,
    /// Longitude of the county centroid.
    pub longitude: f64,
    /// Latitude of the county centroid.
    pub latitude: f64,
}

/// A SKU as the pool shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SkuView {
    /// Id.
    pub id: SkuId,
    /// Supplier.
    pub supplier_id: SupplierId,
    /// Supplier name.
    pub supplier_name: String,
    /// SPU code.
    pub spu_code: String,
    /// SKU code.
    pub sku_code: String,
    /// Title.
    pub title: String,
    /// Brand.
    pub brand: String,
    /// Category id.
    pub category_id: u32,
    /// Category path, e.g. "Home & Garden > … > Air Conditioners".
    pub category_path: String,
    /// GTIN.
    pub gtin: Option<String>,
    /// Images.
    pub images: Vec<String>,
    /// Attributes.
    pub attributes: Vec<Attribute>,
    /// Supply price (shown to the supplier and operators only).
    pub supply_price_fen: Option<Fen>,
    /// Pool price.
    pub pool_price_fen: Fen,
    /// Floor price.
    pub floor_price_fen: Fen,
    /// Suggested retail price.
    pub retail_price_fen: Fen,
    /// Commission rate.
    pub commission_bps: BasisPoints,
    /// Commission per unit at the pool price.
    pub commission_fen: Fen,
    /// Review status.
    pub status: SkuStatus,
    /// Why it was rejected.
    pub reject_reason: Option<String>,
    /// Units in all warehouses.
    pub stock_total: i64,
    /// Units sold recently.
    pub recent_sales: i64,
    /// Its quality record (late, return and complaint rates), where the selection centre
    /// shows it: in pool search results and on an anchor's shelf.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quality: Option<daihuo_domain::quality::QualityRecord>,
    /// Created, Unix ms.
    pub created_at_ms: i64,
    /// Last changed, Unix ms.
    pub updated_at_ms: i64,
}

impl SkuView {
    /// A view for `actor`: supply prices only for the owning supplier and operators.
    pub fn for_actor(row: SkuRow, actor: &Actor) -> SkuView {
        let sees_supply = actor.role == daihuo_domain::account::Role::Operator
            || actor.supplier_id == Some(row.supplier_id);
        let commission = BasisPoints(row.commission_bps);
        SkuView {
            id: row.id,
            supplier_id: row.supplier_id,
            supplier_name: row.supplier_name,
            spu_code: row.spu_code,
            sku_code: row.code,
            title: row.title,
            brand: row.brand,
            category_id: row.category_id,
            category_path: taxonomy::taxonomy()
                .get(row.category_id)
                .map(|c| c.path.to_owned())
                .unwrap_or_default(),
            gtin: row.gtin,
            images: row.images,
            attributes: row
                .attributes
                .into_iter()
                .map(|(name, value)| Attribute { name, value })
                .collect(),
            supply_price_fen: sees_supply.then_some(Fen(row.supply_fen)),
            pool_price_fen: Fen(row.pool_fen),
            floor_price_fen: Fen(row.floor_fen),
            retail_price_fen: Fen(row.retail_fen),
            commission_bps: commission,
            commission_fen: Fen(row.pool_fen).share(commission).unwrap_or(Fen::ZERO),
            status: row.status,
            reject_reason: row.reject_reason,
            stock_total: row.stock_total,
            recent_sales: row.recent_sales,
            quality: None,
            created_at_ms: row.created_at_ms,
            updated_at_ms: row.updated_at_ms,
        }
    }
}

/// A stock update from a supplier's system.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct StockUpdateInput {
    /// SKU code.
    pub sku_code: String,
    /// Warehouse code.
    pub warehouse_code: String,
    /// Units on hand.
    pub quantity: i64,
    /// The supplier's version; only a higher version replaces the stored level.
    pub version: i64,
}

/// What happened to one stock update.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StockUpdateResult {
    /// SKU code.
    pub sku_code: String,
    /// Warehouse code.
    pub warehouse_code: String,
    /// `apply` (written), `replay` (already had it) or `stale` (older than stored), or absent
    /// when the update was refused with `error`.
    pub decision: Option<StockDecision>,
    /// Why it was refused.
    pub error: Option<RowError>,
}

/// Stock of a SKU in one warehouse.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WarehouseStock {
    /// Warehouse code.
    pub warehouse_code: String,
    /// Warehouse name.
    pub warehouse_name: String,
    /// Units.
    pub quantity: i64,
    /// Version.
    pub version: i64,
}

/// One price change in a SKU's history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PriceChange {
    /// Supply price.
    pub supply_price_fen: Fen,
    /// Pool price.
    pub pool_price_fen: Fen,
    /// Floor price.
    pub floor_price_fen: Fen,
    /// Suggested retail price.
    pub retail_price_fen: Fen,
    /// Commission.
    pub commission_bps: BasisPoints,
    /// Who changed it.
    pub changed_by: Option<UserId>,
    /// When, Unix ms.
    pub changed_at_ms: i64,
}

/// A SKU input that passed every check, ready to write.
struct CheckedSku {
    spu_code: Code,
    sku_code: Code,
    content: SkuContent,
    pricing: SkuPricing,
    category_levels: [Option<u32>; 3],
    stock: Vec<(Code, StockLevel)>,
}

fn row_error(error: &ServiceError) -> RowError {
    RowError {
        code: error.code().to_owned(),
        message: error.to_string(),
    }
}

impl Services {
    fn check_sku(&self, input: &SkuInput) -> ServiceResult<CheckedSku> {
        let spu_code = Code::parse(&input.spu_code, "spu_code")?;
        let sku_code = Code::parse(&input.sku_code, "sku_code")?;
        let category = taxonomy::taxonomy().get(input.category_id).ok_or_else(|| {
            ServiceError::invalid(
                "unknown_category",
                format!(
                    "category {} is not in the Google product taxonomy",
                    input.category_id
                ),
            )
        })?;
        let mut path = taxonomy::taxonomy().ancestors(category.id);
        path.push(category.id);
        let category_levels = [
            path.first().copied(),
            path.get(1).copied(),
            path.get(2).copied(),
        ];
        let content = SkuContent::parse(
            &input.title,
            &input.brand,
            input.category_id,
            input.gtin.as_deref(),
            input.images.clone(),
            input
                .attributes
                .iter()
                .map(|a| (a.name.trim().to_owned(), a.value.trim().to_owned()))
                .collect(),
        )?;
        let pricing = SkuPricing::parse(
            input.supply_price_fen,
            input.pool_price_fen,
            input.floor_price_fen,
            input.retail_price_fen,
            input.commission_bps,
            self.config.commission_policy,
        )?;
        let stock = input
            .stock
            .iter()
            .map(|s| {
                let code = Code::parse(&s.warehouse_code, "warehouse_code")?;
                let level = StockLevel::parse(s.quantity, s.version)
                    .map_err(|e| ServiceError::invalid("invalid_stock", e.to_string()))?;
                Ok((code, level))
            })
            .collect::<ServiceResult<Vec<_>>>()?;
        Ok(CheckedSku {
            spu_code,
            sku_code,
            content,
            pricing,
            category_levels,
            stock,
        })
    }

    /// Creates or updates a supplier's warehouse, located by a real county code.
    pub async fn upsert_warehouse(
        &self,
        actor: &Actor,
        input: WarehouseInput,
    ) -> ServiceResult<WarehouseView> {
        let supplier_id = actor.require_supplier()?;
        let code = Code::parse(&input.code, "warehouse_code")?;
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > 64 {
            return Err(ServiceError::invalid(
                "invalid_name",
                "name must be 1 to 64 characters",
            ));
        }
        let county = CountyCode::parse(input.county_code.trim())
            .map_err(|e| ServiceError::invalid("invalid_county_code", e.to_string()))?;
        let division = locate(county.0).ok_or_else(|| {
            ServiceError::invalid(
                "unknown_county_code",
                format!("{} is not a county in GB/T 2260", county.0),
            )
        })?;
        let id = store::upsert_warehouse(
            self.store.pool(),
            supplier_id,
            code.as_str(),
            name,
            county.0,
            (division.longitude, division.latitude),
            now_ms(),
        )
        .await?;
        Ok(WarehouseView {
            id,
            code: code.as_str().to_owned(),
            name: name.to_owned(),
            county_code: county.0,
            location: divisions::divisions()
                .full_name(county.0)
                .unwrap_or_default(),
            longitude: division.longitude,
            latitude: division.latitude,
        })
    }

    /// The actor's organisation's warehouses.
    pub async fn warehouses(&self, actor: &Actor) -> ServiceResult<Vec<WarehouseView>> {
        let supplier_id = actor.require_supplier()?;
        let rows = store::warehouses_of(self.store.pool(), supplier_id).await?;
        Ok(rows
            .into_iter()
            .map(|w| WarehouseView {
                location: divisions::divisions()
                    .full_name(w.county_code)
                    .unwrap_or_default(),
                id: w.id,
                code: w.code,
                name: w.name,
                county_code: w.county_code,
                longitude: w.longitude,
                latitude: w.latitude,
            })
            .collect())
    }

    /// Creates or updates SKUs for the actor's organisation. Each row is checked on its own;
    /// the good rows are written together in one transaction and the bad ones get an error
    /// each. A SKU is written whole or not at all.
    ///
    /// `first_row` numbers the results (0 for a JSON body, the CSV line for a feed).
    pub async fn upsert_skus(
        &self,
        actor: &Actor,
        inputs: Vec<(u64, SkuInput)>,
    ) -> ServiceResult<UpsertReport> {
        let supplier_id = actor.require_supplier()?;
        if inputs.len() > BULK_SKUS_MAX {
            return Err(ServiceError::invalid(
                "too_many_rows",
                format!("at most {BULK_SKUS_MAX} SKUs per request"),
            ));
        }
        let mut results = Vec::with_capacity(inputs.len());
        let mut checked = Vec::with_capacity(inputs.len());
        for (row, input) in &inputs {
            match self.check_sku(input) {
                Ok(sku) => checked.push((*row, sku)),
                Err(error) => results.push(UpsertResult {
                    row: *row,
                    sku_code: input.sku_code.clone(),
                    outcome: UpsertOutcome::Rejected,
                    sku_id: None,
                    status: None,
                    error: Some(row_error(&error)),
                }),
            }
        }
        if !checked.is_empty() {
            let warehouses = store::warehouses_of(self.store.pool(), supplier_id).await?;
            let mut tx = self.store.begin_write().await?;
            let now = now_ms();
            let postgres = self.store.dialect() == daihuo_store::Dialect::Postgres;
            for (row, sku) in checked {
                let missing_warehouse = sku
                    .stock
                    .iter()
                    .find(|(code, _)| !warehouses.iter().any(|w| w.code == code.as_str()));
                if let Some((code, _)) = missing_warehouse {
                    let error = ServiceError::invalid(
                        "unknown_warehouse",
                        format!("warehouse {} does not exist", code.as_str()),
                    );
                    results.push(UpsertResult {
                        row,
                        sku_code: sku.sku_code.as_str().to_owned(),
                        outcome: UpsertOutcome::Rejected,
                        sku_id: None,
                        status: None,
                        error: Some(row_error(&error)),
                    });
                    continue;
                }
                let (sku_id, outcome, status) =
                    write_sku(tx.conn(), supplier_id, actor.user_id, &sku, now).await?;
                for (code, level) in &sku.stock {
                    if let Some(warehouse) = warehouses.iter().find(|w| w.code == code.as_str()) {
                        apply_stock(tx.conn(), postgres, sku_id, warehouse.id, *level, now).await?;
                    }
                }
                results.push(UpsertResult {
                    row,
                    sku_code: sku.sku_code.as_str().to_owned(),
                    outcome,
                    sku_id: Some(sku_id),
                    status: Some(status),
                    error: None,
                });
            }
            tx.commit().await?;
        }
        results.sort_by_key(|r| r.row);
        let count = |o: UpsertOutcome| results.iter().filter(|r| r.outcome == o).count() as u64;
        Ok(UpsertReport {
            created: count(UpsertOutcome::Created),
            updated: count(UpsertOutcome::Updated),
            unchanged: count(UpsertOutcome::Unchanged),
            rejected: count(UpsertOutcome::Rejected),
            results,
        })
    }

    /// Applies stock levels from the supplier's system; each is applied at most once, and a
    /// stale one never overwrites a newer one.
    pub async fn update_stock(
        &self,
        actor: &Actor,
        updates: Vec<StockUpdateInput>,
    ) -> ServiceResult<Vec<StockUpdateResult>> {
        let supplier_id = actor.require_supplier()?;
        if updates.len() > BULK_STOCK_MAX {
            return Err(ServiceError::invalid(
                "too_many_rows",
                format!("at most {BULK_STOCK_MAX} stock updates per request"),
            ));
        }
        let warehouses = store::warehouses_of(self.store.pool(), supplier_id).await?;
        let postgres = self.store.dialect() == daihuo_store::Dialect::Postgres;
        let mut tx = self.store.begin_write().await?;
        let now = now_ms();
        let mut results = Vec::with_capacity(updates.len());
        for update in updates {
            let outcome = async {
                let level = StockLevel::parse(update.quantity, update.version)
                    .map_err(|e| ServiceError::invalid("invalid_stock", e.to_string()))?;
                let warehouse = warehouses
                    .iter()
                    .find(|w| w.code == update.warehouse_code)
                    .ok_or(ServiceError::NotFound("warehouse"))?;
                let sku = store::sku_by_code(&mut *tx.conn(), supplier_id, &update.sku_code)
                    .await?
                    .ok_or(ServiceError::NotFound("sku"))?;
                apply_stock(tx.conn(), postgres, sku.id, warehouse.id, level, now).await
            }
            .await;
            let (decision, error) = match outcome {
                Ok(decision) => (Some(decision), None),
                Err(ServiceError::Internal(e)) => return Err(ServiceError::Internal(e)),
                Err(error) => (None, Some(row_error(&error))),
            };
            results.push(StockUpdateResult {
                sku_code: update.sku_code,
                warehouse_code: update.warehouse_code,
                decision,
                error,
            });
        }
        tx.commit().await?;
        Ok(results)
    }

    /// Loads a SKU the actor may see: approved SKUs for anyone signed in; others only for
    /// their supplier and operators (to anyone else they do not exist).
    pub async fn sku(&self, actor: &Actor, id: SkuId) -> ServiceResult<SkuView> {
        let row = store::sku_by_id(self.store.pool(), id)
            .await?
            .ok_or(ServiceError::NotFound("sku"))?;
        let visible = row.status == SkuStatus::Approved
            || actor.role == daihuo_domain::account::Role::Operator
            || actor.supplier_id == Some(row.supplier_id);
        if !visible {
            return Err(ServiceError::NotFound("sku"));
        }
        Ok(SkuView::for_actor(row, actor))
    }

    /// Stock per warehouse of one of the actor's SKUs.
    pub async fn sku_stock(&self, actor: &Actor, id: SkuId) -> ServiceResult<Vec<WarehouseStock>> {
        let supplier_id = actor.require_supplier()?;
        let row = store::sku_by_id(self.store.pool(), id)
            .await?
            .filter(|row| row.supplier_id == supplier_id)
            .ok_or(ServiceError::NotFound("sku"))?;
        let stock = store::stock_of_sku(self.store.pool(), row.id).await?;
        Ok(stock
            .into_iter()
            .map(|(w, s)| WarehouseStock {
                warehouse_code: w.code,
                warehouse_name: w.name,
                quantity: s.quantity,
                version: s.version,
            })
            .collect())
    }

    /// The actor's organisation's SKUs in any status, paged by id.
    pub async fn supplier_catalogue(
        &self,
        actor: &Actor,
        after_id: i64,
        limit: i64,
    ) -> ServiceResult<Vec<SkuView>> {
        let supplier_id = actor.require_supplier()?;
        let rows = store::supplier_skus(self.store.pool(), supplier_id, limit, after_id).await?;
        Ok(rows
            .into_iter()
            .map(|r| SkuView::for_actor(r, actor))
            .collect())
    }

    /// A SKU's price and commission history, for its supplier and operators.
    pub async fn price_history(&self, actor: &Actor, id: SkuId) -> ServiceResult<Vec<PriceChange>> {
        let row = store::sku_by_id(self.store.pool(), id)
            .await?
            .ok_or(ServiceError::NotFound("sku"))?;
        let allowed = actor.role == daihuo_domain::account::Role::Operator
            || actor.supplier_id == Some(row.supplier_id);
        if !allowed {
            return Err(ServiceError::NotFound("sku"));
        }
        let history = store::price_history(self.store.pool(), id).await?;
        Ok(history
            .into_iter()
            .map(|h| PriceChange {
                supply_price_fen: Fen(h.supply_fen),
                pool_price_fen: Fen(h.pool_fen),
                floor_price_fen: Fen(h.floor_fen),
                retail_price_fen: Fen(h.retail_fen),
                commission_bps: BasisPoints(h.commission_bps),
                changed_by: h.changed_by,
                changed_at_ms: h.changed_at_ms,
            })
            .collect())
    }

    /// SKUs waiting for review, for operators.
    pub async fn review_queue(
        &self,
        actor: &Actor,
        after_id: i64,
        limit: i64,
    ) -> ServiceResult<Vec<SkuView>> {
        actor.require_operator()?;
        let rows = store::review_queue(self.store.pool(), limit, after_id).await?;
        Ok(rows
            .into_iter()
            .map(|r| SkuView::for_actor(r, actor))
            .collect())
    }

    /// An operator approves a SKU into the pool, or rejects it with a reason.
    pub async fn review_sku(
        &self,
        actor: &Actor,
        id: SkuId,
        approve: bool,
        reason: Option<String>,
    ) -> ServiceResult<SkuView> {
        actor.require_operator()?;
        let reason = reason
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty());
        if !approve {
            match &reason {
                None => {
                    return Err(ServiceError::invalid(
                        "reason_required",
                        "a rejection needs a reason",
                    ))
                }
                Some(r) if r.chars().count() > REJECT_REASON_MAX_CHARS => {
                    return Err(ServiceError::invalid(
                        "reason_too_long",
                        "reason is at most 500 characters",
                    ))
                }
                Some(_) => {}
            }
        }
        let mut tx = self.store.begin_write().await?;
        let row = store::sku_by_id(&mut *tx.conn(), id)
            .await?
            .ok_or(ServiceError::NotFound("sku"))?;
        let next = if approve {
            row.status.approve()
        } else {
            row.status.reject()
        }
        .map_err(|e| ServiceError::conflict("invalid_transition", e.to_string()))?;
        let stored_reason = if approve { None } else { reason.as_deref() };
        store::set_sku_status(
            tx.conn(),
            id,
            next,
            stored_reason,
            Some(actor.user_id),
            now_ms(),
        )
        .await?;
        let updated = store::sku_by_id(&mut *tx.conn(), id)
            .await?
            .ok_or(ServiceError::NotFound("sku"))?;
        tx.commit().await?;
        Ok(SkuView::for_actor(updated, actor))
    }

    /// The supplier withdraws one of its SKUs from the pool, or offers it again (back to
    /// review).
    pub async fn set_listed(
        &self,
        actor: &Actor,
        id: SkuId,
        listed: bool,
    ) -> ServiceResult<SkuView> {
        let supplier_id = actor.require_supplier()?;
        let mut tx = self.store.begin_write().await?;
        let row = store::sku_by_id(&mut *tx.conn(), id)
            .await?
            .filter(|row| row.supplier_id == supplier_id)
            .ok_or(ServiceError::NotFound("sku"))?;
        let next = if listed {
            row.status.relist()
        } else {
            row.status.delist()
        }
        .map_err(|e| ServiceError::conflict("invalid_transition", e.to_string()))?;
        store::set_sku_status(tx.conn(), id, next, None, None, now_ms()).await?;
        let updated = store::sku_by_id(&mut *tx.conn(), id)
            .await?
            .ok_or(ServiceError::NotFound("sku"))?;
        tx.commit().await?;
        Ok(SkuView::for_actor(updated, actor))
    }
}

/// The division an address or warehouse code places: a county, or a city without counties
/// (东莞, 中山, 儋州, 嘉峪关 have none).
pub fn locate(code: u32) -> Option<&'static divisions::Division> {
    let all = divisions::divisions();
    all.county(code).or_else(|| {
        all.get(code)
            .filter(|d| d.level == divisions::DivisionLevel::City && all.children(code).is_empty())
    })
}

async fn apply_stock(
    conn: &mut sqlx_conn::AnyConnection,
    postgres: bool,
    sku_id: SkuId,
    warehouse_id: WarehouseId,
    level: StockLevel,
    now: i64,
) -> ServiceResult<StockDecision> {
    let stored = store::stock_for_update(&mut *conn, postgres, sku_id, warehouse_id)
        .await?
        .map(|s| StockLevel {
            quantity: s.quantity,
            version: s.version,
        });
    let decision = level.decide(stored);
    if decision == StockDecision::Apply
        && !store::write_stock(
            conn,
            sku_id,
            warehouse_id,
            level.quantity,
            level.version,
            now,
        )
        .await?
    {
        // A concurrent writer stored this version or a newer one between our read and write.
        return Ok(StockDecision::Stale);
    }
    Ok(decision)
}

async fn write_sku(
    conn: &mut sqlx_conn::AnyConnection,
    supplier_id: SupplierId,
    user_id: UserId,
    sku: &CheckedSku,
    now: i64,
) -> ServiceResult<(SkuId, UpsertOutcome, SkuStatus)> {
    let spu_id = store::ensure_spu(&mut *conn, supplier_id, sku.spu_code.as_str()).await?;
    let existing = store::sku_by_code(&mut *conn, supplier_id, sku.sku_code.as_str()).await?;
    let content = &sku.content;
    let pricing = &sku.pricing;
    let mut write = SkuWrite {
        supplier_id,
        spu_id,
        code: sku.sku_code.as_str().to_owned(),
        title: content.title.clone(),
        brand: content.brand.clone(),
        category_id: content.category_id,
        category_levels: sku.category_levels,
        gtin: content.gtin.as_ref().map(|g| g.as_str().to_owned()),
        images: content.images.clone(),
        attributes: content.attributes.clone(),
        supply_fen: pricing.supply.0,
        pool_fen: pricing.pool.0,
        floor_fen: pricing.floor.0,
        retail_fen: pricing.retail.0,
        commission_bps: pricing.commission.0,
        status: SkuStatus::PendingReview,
        search_terms: search_terms(content),
    };
    let Some(existing) = existing else {
        let id = store::insert_sku(&mut *conn, &write, now).await?;
        store::append_price_history(conn, id, &write, Some(user_id), now).await?;
        return Ok((id, UpsertOutcome::Created, write.status));
    };
    let content_changed = existing.spu_code != sku.spu_code.as_str()
        || existing.title != write.title
        || existing.brand != write.brand
        || existing.category_id != write.category_id
        || existing.gtin != write.gtin
        || existing.images != write.images
        || existing.attributes != write.attributes;
    let price_changed = (existing.supply_fen, existing.pool_fen, existing.floor_fen)
        != (write.supply_fen, write.pool_fen, write.floor_fen)
        || (existing.retail_fen, existing.commission_bps)
            != (write.retail_fen, write.commission_bps);
    if !content_changed && !price_changed {
        return Ok((existing.id, UpsertOutcome::Unchanged, existing.status));
    }
    write.status = if content_changed {
        existing.status.content_changed()
    } else {
        existing.status
    };
    store::update_sku(&mut *conn, existing.id, &write, now).await?;
    if price_changed {
        store::append_price_history(conn, existing.id, &write, Some(user_id), now).await?;
    }
    Ok((existing.id, UpsertOutcome::Updated, write.status))
}

/// The search terms stored for a SKU: title, brand and the category's leaf name.
fn search_terms(content: &SkuContent) -> String {
    let category = taxonomy::taxonomy()
        .get(content.category_id)
        .map(|c| c.name)
        .unwrap_or_default();
    daihuo_domain::text::index_text(&[&content.title, &content.brand, category])
}

mod sqlx_conn {
    pub use daihuo_store::AnyConnection;
}
