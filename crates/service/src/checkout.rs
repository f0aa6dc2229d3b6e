//! Buying in the room: saved addresses, flash sales (秒杀) and orders, from reservation to the
//! release of what was never paid.
//!
//! # How a flash sale decides
//! Each node keeps one *owner* per flash sale it has seen an attempt for (a task fed by a
//! bounded channel). The owner takes every attempt waiting in its channel as one batch and,
//! in one write transaction:
//! 1. locks the sale's row (PostgreSQL row lock; on SQLite the node's write lock),
//! 2. reads what the database knows of the batch: the buyers' units in this sale, their
//!    idempotency keys, their addresses, the campaign's subsidy budget,
//! 3. asks the domain's [`decide_batch`] — the only place that says yes or no,
//! 4. writes every reservation of the batch with a handful of multi-row statements,
//! 5. commits, and only then answers the batch's buyers (group commit).
//!
//! Nothing is acknowledged before it is durable, and a batch that fails to commit answers
//! every attempt in it with an error, so no acknowledged reservation can be lost. Because
//! every batch of every node takes the sale's lock first and re-reads under it, several
//! nodes on one PostgreSQL stay exact: the lock is held for one short transaction per batch,
//! not per buyer.
//!
//! Sold out is answered without the database: once a batch leaves no unit, the node keeps a
//! sold-out view with every key that made an order in the sale (so a retry of a key that won
//! still gets its order back), re-read at most every [`SOLD_OUT_RECHECK_MS`] in case units
//! came back (an expired reservation, another node's release).

use crate::sale_room::SaleStage;
use crate::{Actor, ServiceError, ServiceResult, Services};
use daihuo_domain::account::Role;
use daihuo_domain::address::Address;
use daihuo_domain::flash::{
    decide_batch, Attempt, FlashPhase, FlashTerms, FlashTermsInput, KnownKey, SaleState, Verdict,
    PAY_WINDOW_DEFAULT_MS,
};
use daihuo_domain::live::SessionStatus;
use daihuo_domain::order::{IdempotencyKey, OrderStatus, PriceSplit, Quantity};
use daihuo_domain::place::CountyCode;
use daihuo_domain::{
    AddressId, BasisPoints, CampaignId, Fen, FlashSaleId, LiveSessionId, OrderId, SkuId,
    SupplierId, UserId,
};
use daihuo_store::checkout::{self as store, AddressRow, FlashSaleRow, NewOrder, OrderRow};
use daihuo_store::{live as store_live, now_ms};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};
use utoipa::ToSchema;

/// How long a node trusts its sold-out view before it reads the sale again.
pub const SOLD_OUT_RECHECK_MS: i64 = 100;
/// The most attempts one batch decides (and one transaction writes).
const BATCH_MAX: usize = 256;
/// Attempts waiting for a sale's owner on one node; past this the node answers `busy`.
const QUEUE_MAX: usize = 16_384;
/// How often the sweeper releases unpaid reservations and closes ended sales.
pub const SWEEP_EVERY_MS: u64 = 250;

/// A new address as asked for.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct AddressInput {
    /// Who receives the parcel.
    pub recipient: String,
    /// Mainland mobile number.
    pub phone: String,
    /// Six-digit GB/T 2260 county code, e.g. "330106".
    pub county_code: String,
    /// Street, building, room.
    pub detail: String,
}

/// A saved address as its owner sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AddressView {
    /// Key.
    pub id: AddressId,
    /// Who receives.
    pub recipient: String,
    /// Mobile number.
    pub phone: String,
    /// County code.
    pub county_code: u32,
    /// 浙江省 杭州市 西湖区.
    pub region: String,
    /// Street detail.
    pub detail: String,
}

impl From<AddressRow> for AddressView {
    fn from(row: AddressRow) -> Self {
        AddressView {
            id: row.id,
            region: region_name(row.county_code),
            recipient: row.recipient,
            phone: row.phone,
            county_code: row.county_code,
            detail: row.detail,
        }
    }
}

fn region_name(code: u32) -> String {
    daihuo_refdata::divisions::divisions()
        .full_name(code)
        .unwrap_or_default()
}

/// A flash sale as asked for by its anchor.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct FlashSaleInput {
    /// The SKU, which must be on sale in the session.
    pub sku_id: SkuId,
    /// Price per unit before subsidy, fen; within the SKU's floor and pool price.
    pub price_fen: i64,
    /// Platform subsidy per unit, fen, paid from the session's campaign budget (default 0).
    #[serde(default)]
    pub subsidy_fen: i64,
    /// Units on offer.
    pub quantity: i64,
    /// Most units one buyer may take.
    pub per_user_limit: i64,
    /// When buying opens (the countdown ends), Unix ms.
    pub starts_at_ms: i64,
    /// When buying closes, Unix ms.
    pub ends_at_ms: i64,
    /// How long a buyer has to pay, seconds (default 300).
    pub pay_window_s: Option<i64>,
}

/// A flash sale as everyone sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FlashSaleView {
    /// Key.
    pub id: FlashSaleId,
    /// The session.
    pub session_id: LiveSessionId,
    /// The SKU.
    pub sku_id: SkuId,
    /// Price per unit before subsidy.
    pub price_fen: Fen,
    /// Subsidy per unit.
    pub subsidy_fen: Fen,
    /// What a buyer pays per unit.
    pub buyer_price_fen: Fen,
    /// Units on offer.
    pub quantity: i64,
    /// Units neither held nor sold.
    pub remaining: i64,
    /// Units paid for.
    pub sold: i64,
    /// Most units per buyer.
    pub per_user_limit: i64,
    /// Opening, Unix ms.
    pub starts_at_ms: i64,
    /// Closing, Unix ms.
    pub ends_at_ms: i64,
    /// Time to pay, ms.
    pub pay_window_ms: i64,
    /// Counting down, running or ended, at the time of reading.
    pub phase: FlashPhase,
    /// The server's clock when this was read, Unix ms: a countdown is `starts_at_ms −
    /// as_of_ms`, whatever the viewer's own clock says.
    pub as_of_ms: i64,
}

impl FlashSaleView {
    pub(crate) fn of(row: &FlashSaleRow, now: i64) -> FlashSaleView {
        let phase = if now < row.starts_at_ms {
            FlashPhase::Upcoming
        } else if now < row.ends_at_ms {
            FlashPhase::Running
        } else {
            FlashPhase::Ended
        };
        FlashSaleView {
            id: row.id,
            session_id: row.session_id,
            sku_id: row.sku_id,
            price_fen: Fen(row.price_fen),
            subsidy_fen: Fen(row.subsidy_fen),
            buyer_price_fen: Fen(row.price_fen - row.subsidy_fen),
            quantity: row.quantity,
            remaining: row.quantity - row.taken,
            sold: row.sold,
            per_user_limit: row.per_user_limit,
            starts_at_ms: row.starts_at_ms,
            ends_at_ms: row.ends_at_ms,
            pay_window_ms: row.pay_window_ms,
            phase,
            as_of_ms: now,
        }
    }
}

/// A purchase from a flash sale.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct FlashBuyInput {
    /// Units (within the sale's per-user limit).
    pub quantity: i64,
    /// One of the buyer's saved addresses.
    pub address_id: AddressId,
}

/// An ordinary purchase at a session's live price or an anchor's shelf at the pool price.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct BuyInput {
    /// The SKU.
    pub sku_id: SkuId,
    /// Units.
    pub quantity: i64,
    /// One of the buyer's saved addresses.
    pub address_id: AddressId,
    /// The session bought in (its live price applies); or give `anchor_id`.
    pub session_id: Option<LiveSessionId>,
    /// The anchor whose shelf it is bought from at the pool price, without a session.
    pub anchor_id: Option<UserId>,
}

/// The delivery address an order carries.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderAddress {
    /// Who receives.
    pub recipient: String,
    /// Mobile number; masked (138****5678) for anyone but the buyer and the supplier.
    pub phone: String,
    /// County code.
    pub county_code: u32,
    /// 浙江省 杭州市 西湖区.
    pub region: String,
    /// Street detail.
    pub detail: String,
}

/// An order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderView {
    /// Key.
    pub id: OrderId,
    /// Public order number.
    pub order_no: String,
    /// Where it is.
    pub status: OrderStatus,
    /// Why it was cancelled.
    pub cancel_reason: Option<String>,
    /// Buyer.
    pub buyer_id: UserId,
    /// Anchor it was sold by.
    pub anchor_id: UserId,
    /// Session.
    pub session_id: Option<LiveSessionId>,
    /// Flash sale.
    pub flash_sale_id: Option<FlashSaleId>,
    /// SKU.
    pub sku_id: SkuId,
    /// SKU title.
    pub sku_title: String,
    /// Units.
    pub quantity: i64,
    /// Price per unit before subsidy.
    pub unit_price_fen: Fen,
    /// How the money splits.
    pub split: PriceSplit,
    /// Where it goes.
    pub address: OrderAddress,
    /// Pay by, Unix ms.
    pub reserved_until_ms: i64,
    /// Paid at, Unix ms.
    pub paid_at_ms: Option<i64>,
    /// The shipping promise: ship by, Unix ms (set when the order is routed).
    pub ship_by_ms: Option<i64>,
    /// When it was found late (shipped after the promise, or not shipped by it).
    pub late_at_ms: Option<i64>,
    /// What a late shipment pays the buyer, fen, at the supplier's cost.
    pub late_compensation_fen: Option<i64>,
    /// Created, Unix ms.
    pub created_at_ms: i64,
}

impl OrderView {
    fn of(row: OrderRow, actor: &Actor) -> OrderView {
        let full_phone = actor.user_id == row.buyer_id
            || (actor.role == Role::SupplierStaff && actor.supplier_id == Some(row.supplier_id));
        let phone = if full_phone {
            row.phone.clone()
        } else {
            daihuo_domain::address::Phone::parse(&row.phone)
                .map(|p| p.masked())
                .unwrap_or_default()
        };
        let [gross, subsidy, buyer_pays, commission, platform_fee, supplier] = row.split;
        OrderView {
            id: row.id,
            order_no: row.order_no,
            status: row.status,
            cancel_reason: row.cancel_reason,
            buyer_id: row.buyer_id,
            anchor_id: row.anchor_id,
            session_id: row.session_id,
            flash_sale_id: row.flash_sale_id,
            sku_id: row.sku_id,
            sku_title: row.sku_title,
            quantity: row.quantity,
            unit_price_fen: Fen(row.unit_price_fen),
            split: PriceSplit {
                gross: Fen(gross),
                subsidy: Fen(subsidy),
                buyer_pays: Fen(buyer_pays),
                commission: Fen(commission),
                platform_fee: Fen(platform_fee),
                supplier: Fen(supplier),
            },
            address: OrderAddress {
                recipient: row.recipient,
                phone,
                county_code: row.county_code,
                region: region_name(row.county_code),
                detail: row.address_detail,
            },
            reserved_until_ms: row.reserved_until_ms,
            paid_at_ms: row.paid_at_ms,
            ship_by_ms: row.ship_by_ms,
            late_at_ms: row.late_at_ms,
            late_compensation_fen: row.late_compensation_fen,
            created_at_ms: row.created_at_ms,
        }
    }
}

/// The answer to a purchase: the order, and whether an earlier request with the same
/// idempotency key made it.
#[derive(Debug, Clone)]
pub struct Placed {
    /// The order.
    pub order: OrderView,
    /// True when this was a retry answered with the order the key already made.
    pub replayed: bool,
}

/// What the buyer asked for, digested: the same key with another body is refused.
fn request_hash(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    hex::encode(&hasher.finalize()[..16])
}

/// A new public order number: the time in milliseconds and 32 random bits, in hex.
fn order_no(now: i64) -> String {
    format!("{now:x}{:08x}", rand::random::<u32>())
}

fn sold_out() -> ServiceError {
    ServiceError::conflict("sold_out", "sold out")
}

fn verdict_error(verdict: &Verdict, limit: i64) -> ServiceError {
    match verdict {
        Verdict::KeyReused => ServiceError::invalid(
            "idempotency_key_reused",
            "this Idempotency-Key was used with another request",
        ),
        Verdict::InProgress => ServiceError::conflict(
            "idempotency_in_progress",
            "a request with this Idempotency-Key is still being decided",
        ),
        Verdict::NotStarted => {
            ServiceError::conflict("sale_not_started", "the sale has not started")
        }
        Verdict::Ended => ServiceError::conflict("sale_ended", "the sale has ended"),
        Verdict::SoldOut => sold_out(),
        Verdict::OverLimit { bought } => ServiceError::conflict(
            "limit_exceeded",
            format!("at most {limit} per buyer; you already have {bought}"),
        ),
        Verdict::BudgetExhausted => ServiceError::conflict(
            "subsidy_exhausted",
            "the campaign's subsidy budget is spent",
        ),
        Verdict::Reserve | Verdict::Replay(_) => {
            ServiceError::Internal(crate::error::anyhow_like::Internal("not an error".into()))
        }
    }
}

/// One attempt waiting for its sale's owner.
struct Job {
    attempt: Attempt,
    address_id: AddressId,
    actor: Actor,
    reply: oneshot::Sender<ServiceResult<Placed>>,
}

/// What one committed batch of a sale came to.
struct WrittenBatch {
    /// Each attempt's answer, in the batch's order.
    answers: Vec<ServiceResult<Placed>>,
    /// The sale as the batch left it.
    sale: FlashSaleRow,
    /// The county of the batch's last new order, for the orders ticker; `None` when the batch
    /// made no order.
    last_buyer_county: Option<u32>,
}

/// What a node knows of a sale that has no units left.
#[derive(Default)]
struct SoldOutView {
    /// Whether the last look found no unit left.
    sold_out: bool,
    /// When that look was.
    checked_ms: i64,
    /// Every (buyer, key) that made an order in the sale, with the request digest and order.
    keys: HashMap<(UserId, String), (String, OrderId)>,
    /// The newest order whose key is in `keys`.
    last_order: i64,
}

/// One node's owner of one flash sale.
struct SaleOwner {
    sale: FlashSaleRow,
    terms: FlashTerms,
    queue: mpsc::Sender<Job>,
    view: Mutex<SoldOutView>,
    refreshing: tokio::sync::Mutex<()>,
}

/// The flash-sale owners of this node.
#[derive(Default)]
pub struct FlashSales {
    owners: Mutex<HashMap<FlashSaleId, Arc<SaleOwner>>>,
    /// What selling tells rooms, thinned.
    pub(crate) room: crate::sale_room::RoomGate,
}

impl std::fmt::Debug for FlashSales {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlashSales").finish_non_exhaustive()
    }
}

/// What an owner needs to write orders of its sale.
struct SaleGoods {
    supplier_id: SupplierId,
    /// The product's title, for the orders ticker.
    title: String,
    commission: BasisPoints,
    campaign_id: Option<CampaignId>,
}

impl Services {
    /// Saves a delivery address for the signed-in buyer.
    pub async fn add_address(
        &self,
        actor: &Actor,
        input: AddressInput,
    ) -> ServiceResult<AddressView> {
        let address = Address::parse(
            &input.recipient,
            &input.phone,
            &input.county_code,
            &input.detail,
            |c: CountyCode| crate::catalog::locate(c.0).is_some(),
        )?;
        let row = store::insert_address(
            self.store.pool(),
            actor.user_id,
            &address.recipient,
            address.phone.as_str(),
            address.county.0,
            &address.detail,
            now_ms(),
        )
        .await?;
        Ok(row.into())
    }

    /// The signed-in user's saved addresses.
    pub async fn addresses(&self, actor: &Actor) -> ServiceResult<Vec<AddressView>> {
        let rows = store::addresses_of(self.store.pool(), actor.user_id).await?;
        Ok(rows.into_iter().map(AddressView::from).collect())
    }

    /// Starts a flash sale in a session of the actor (its anchor). The units are set aside
    /// from the SKU's stock at once, so ordinary purchases can never take them; the unsold
    /// rest goes back when the sale closes.
    pub async fn create_flash_sale(
        &self,
        actor: &Actor,
        session_id: LiveSessionId,
        input: FlashSaleInput,
    ) -> ServiceResult<FlashSaleView> {
        let anchor = actor.require_anchor()?;
        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        let session = store_live::session_by_id(tx.conn(), session_id)
            .await?
            .ok_or(ServiceError::NotFound("live session"))?;
        if session.anchor_id != anchor {
            return Err(ServiceError::Forbidden);
        }
        if session.status == SessionStatus::Ended {
            return Err(ServiceError::conflict(
                "session_ended",
                "the session has ended",
            ));
        }
        let in_session = store::session_item_price(tx.conn(), session_id, input.sku_id).await?;
        if in_session.is_none() {
            return Err(ServiceError::invalid(
                "sku_not_in_session",
                "the SKU is not on sale in this session",
            ));
        }
        let sku = daihuo_store::sku_by_id(tx.conn(), input.sku_id)
            .await?
            .ok_or(ServiceError::NotFound("sku"))?;
        let terms = FlashTerms::parse(
            FlashTermsInput {
                price_fen: input.price_fen,
                subsidy_fen: input.subsidy_fen,
                quantity: input.quantity,
                per_user_limit: input.per_user_limit,
                starts_at_ms: input.starts_at_ms,
                ends_at_ms: input.ends_at_ms,
                pay_window_ms: input
                    .pay_window_s
                    .map_or(PAY_WINDOW_DEFAULT_MS, |s| s.saturating_mul(1_000)),
            },
            Fen(sku.floor_fen),
            Fen(sku.pool_fen),
            now,
        )?;
        // Every split of this sale must work out, whatever the quantity bought.
        PriceSplit::compute(
            terms.price,
            terms.subsidy_per_unit,
            Quantity::parse(i64::from(terms.per_user_limit))?,
            BasisPoints(sku.commission_bps),
            self.config.fee_policy,
        )?;
        if terms.subsidy_per_unit.0 > 0 && session.campaign_id.is_none() {
            return Err(ServiceError::invalid(
                "subsidy_needs_campaign",
                "a subsidy is paid from the session's campaign budget; the session has no campaign",
            ));
        }
        if !store::hold_sku_units(tx.conn(), input.sku_id, i64::from(terms.quantity)).await? {
            return Err(ServiceError::conflict(
                "not_enough_stock",
                "the SKU's stock not yet promised cannot cover this quantity",
            ));
        }
        let row = store::insert_flash_sale(
            tx.conn(),
            &store::NewFlashSale {
                session_id,
                sku_id: input.sku_id,
                anchor_id: anchor,
                campaign_id: if terms.subsidy_per_unit.0 > 0 {
                    session.campaign_id
                } else {
                    None
                },
                price_fen: terms.price.0,
                subsidy_fen: terms.subsidy_per_unit.0,
                quantity: i64::from(terms.quantity),
                per_user_limit: i64::from(terms.per_user_limit),
                starts_at_ms: terms.starts_at_ms,
                ends_at_ms: terms.ends_at_ms,
                pay_window_ms: terms.pay_window_ms,
            },
            now,
        )
        .await?;
        let view = FlashSaleView::of(&row, now);
        let stage = SaleStage::of(&view, now);
        // The room hears the stage now; the sweeper announces only the stages after it.
        if stage > SaleStage::Announced {
            store::claim_stage(
                tx.conn(),
                row.id,
                SaleStage::Announced.as_str(),
                stage.as_str(),
            )
            .await?;
        }
        crate::forecast::advise_suppliers(tx.conn(), session_id, now).await?;
        tx.commit().await?;
        self.announce_sale(&view, stage).await;
        Ok(view)
    }

    /// A flash sale, as anyone may see it.
    pub async fn flash_sale(&self, id: FlashSaleId) -> ServiceResult<FlashSaleView> {
        let row = store::flash_sale_by_id(self.store.pool(), id)
            .await?
            .ok_or(ServiceError::NotFound("flash sale"))?;
        Ok(FlashSaleView::of(&row, now_ms()))
    }

    /// A session's flash sales.
    pub async fn session_flash_sales(
        &self,
        session_id: LiveSessionId,
    ) -> ServiceResult<Vec<FlashSaleView>> {
        let now = now_ms();
        let rows = store::flash_sales_of_session(self.store.pool(), session_id).await?;
        Ok(rows.iter().map(|r| FlashSaleView::of(r, now)).collect())
    }

    /// Sets a campaign's subsidy budget (operators). It may not fall below what reservations
    /// hold and orders spent.
    pub async fn set_subsidy_budget(
        &self,
        actor: &Actor,
        campaign: CampaignId,
        budget_fen: i64,
    ) -> ServiceResult<()> {
        actor.require_operator()?;
        Fen::price(budget_fen)
            .map_err(|e| ServiceError::invalid("invalid_budget", e.to_string()))?;
        let mut tx = self.store.begin_write().await?;
        if store::subsidy_budget(tx.conn(), campaign).await?.is_none() {
            return Err(ServiceError::NotFound("campaign"));
        }
        if !store::set_subsidy_budget(tx.conn(), campaign, budget_fen).await? {
            return Err(ServiceError::conflict(
                "budget_below_committed",
                "the budget cannot fall below what is already held and spent",
            ));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Buys from a flash sale. Answered after the reservation is durable; a retry with the
    /// same key and body gets the same order back.
    pub async fn buy_flash(
        &self,
        actor: &Actor,
        sale_id: FlashSaleId,
        key: &str,
        input: FlashBuyInput,
    ) -> ServiceResult<Placed> {
        let key = IdempotencyKey::parse(key)?;
        let quantity = Quantity::parse(input.quantity)?;
        let owner = self.sale_owner(sale_id).await?;
        let now = now_ms();
        let hash = request_hash(&[
            "flash",
            &sale_id.0.to_string(),
            &quantity.get().to_string(),
            &input.address_id.0.to_string(),
        ]);
        if let Some(answer) = self
            .answer_from_view(&owner, actor, &key, &hash, now)
            .await?
        {
            return answer;
        }
        match owner.terms.phase(now) {
            FlashPhase::Upcoming => return Err(verdict_error(&Verdict::NotStarted, 0)),
            FlashPhase::Ended => return Err(verdict_error(&Verdict::Ended, 0)),
            FlashPhase::Running => {}
        }
        let (reply, answer) = oneshot::channel();
        let job = Job {
            attempt: Attempt {
                buyer: actor.user_id,
                quantity,
                key,
                request_hash: hash,
            },
            address_id: input.address_id,
            actor: actor.clone(),
            reply,
        };
        owner
            .queue
            .try_send(job)
            .map_err(|_| ServiceError::Unavailable {
                code: "busy",
                message: "too many buyers at once on this node; try again".into(),
            })?;
        answer.await.map_err(|_| ServiceError::Unavailable {
            code: "busy",
            message: "the sale's owner stopped; try again".into(),
        })?
    }

    /// Answers from the sold-out view when the sale has no units: the order a known key made,
    /// or `sold_out`. `None` when the attempt must go to the owner.
    async fn answer_from_view(
        &self,
        owner: &SaleOwner,
        actor: &Actor,
        key: &IdempotencyKey,
        hash: &str,
        now: i64,
    ) -> ServiceResult<Option<ServiceResult<Placed>>> {
        let stale = {
            let view = lock(&owner.view);
            if !view.sold_out {
                return Ok(None);
            }
            now - view.checked_ms > SOLD_OUT_RECHECK_MS
        };
        if stale {
            if let Ok(_refreshing) = owner.refreshing.try_lock() {
                self.refresh_view(owner).await?;
            }
        }
        let known = {
            let view = lock(&owner.view);
            if !view.sold_out {
                return Ok(None);
            }
            view.keys
                .get(&(actor.user_id, key.as_str().to_owned()))
                .cloned()
        };
        Ok(Some(match known {
            Some((stored_hash, order)) if stored_hash == hash => {
                let row = store::order_by_id(self.store.pool(), order)
                    .await?
                    .ok_or(ServiceError::NotFound("order"))?;
                Ok(Placed {
                    order: OrderView::of(row, actor),
                    replayed: true,
                })
            }
            Some(_) => Err(verdict_error(&Verdict::KeyReused, 0)),
            None => Err(sold_out()),
        }))
    }

    /// Re-reads a sale's units and the keys of its newest orders into the sold-out view.
    async fn refresh_view(&self, owner: &SaleOwner) -> ServiceResult<()> {
        let after = lock(&owner.view).last_order;
        let sale = store::flash_sale_by_id(self.store.pool(), owner.sale.id)
            .await?
            .ok_or(ServiceError::NotFound("flash sale"))?;
        let keys = store::sale_keys_after(self.store.pool(), owner.sale.id, OrderId(after)).await?;
        let mut view = lock(&owner.view);
        for k in keys {
            view.last_order = view.last_order.max(k.order_id.0);
            view.keys
                .insert((k.user_id, k.key), (k.request_hash, k.order_id));
        }
        view.sold_out = sale.taken >= sale.quantity;
        view.checked_ms = now_ms();
        Ok(())
    }

    /// This node's owner of a sale, started on first use.
    async fn sale_owner(&self, id: FlashSaleId) -> ServiceResult<Arc<SaleOwner>> {
        if let Some(owner) = lock(&self.flash.owners).get(&id) {
            return Ok(owner.clone());
        }
        let sale = store::flash_sale_by_id(self.store.pool(), id)
            .await?
            .ok_or(ServiceError::NotFound("flash sale"))?;
        let sku = daihuo_store::sku_by_id(self.store.pool(), sale.sku_id)
            .await?
            .ok_or(ServiceError::NotFound("sku"))?;
        let terms = terms_of(&sale);
        let goods = SaleGoods {
            supplier_id: sku.supplier_id,
            title: sku.title.clone(),
            commission: BasisPoints(sku.commission_bps),
            campaign_id: sale.campaign_id,
        };
        let mut owners = lock(&self.flash.owners);
        if let Some(owner) = owners.get(&id) {
            return Ok(owner.clone());
        }
        let (queue, jobs) = mpsc::channel(QUEUE_MAX);
        let owner = Arc::new(SaleOwner {
            sale,
            terms,
            queue,
            view: Mutex::new(SoldOutView::default()),
            refreshing: tokio::sync::Mutex::new(()),
        });
        owners.insert(id, owner.clone());
        tokio::spawn(self.clone().run_owner(owner.clone(), goods, jobs));
        Ok(owner)
    }

    /// The owner's loop: one batch per turn, one transaction per batch.
    async fn run_owner(
        self,
        owner: Arc<SaleOwner>,
        goods: SaleGoods,
        mut jobs: mpsc::Receiver<Job>,
    ) {
        let mut batch = Vec::with_capacity(BATCH_MAX);
        while jobs.recv_many(&mut batch, BATCH_MAX).await > 0 {
            let taken: Vec<Job> = std::mem::take(&mut batch);
            self.decide_and_write(&owner, &goods, taken).await;
        }
    }

    async fn decide_and_write(&self, owner: &SaleOwner, goods: &SaleGoods, jobs: Vec<Job>) {
        let now = now_ms();
        match self.write_batch(owner, goods, &jobs, now).await {
            Ok(written) => {
                for (job, answer) in jobs.into_iter().zip(written.answers) {
                    let _ = job.reply.send(answer);
                }
                if written.sale.taken >= written.sale.quantity {
                    if let Err(error) = self.refresh_view(owner).await {
                        tracing::warn!(sale = %owner.sale.id, %error, "sold-out view not refreshed");
                    }
                }
                if let Some(county_code) = written.last_buyer_county {
                    self.sale_stock_changed(&written.sale, now).await;
                    self.tick_order(written.sale.session_id, county_code, &goods.title)
                        .await;
                }
            }
            Err(error) => {
                tracing::error!(sale = %owner.sale.id, %error, "flash-sale batch not written");
                for job in jobs {
                    let _ = job.reply.send(Err(ServiceError::Unavailable {
                        code: "busy",
                        message: "the reservation was not made; try again".into(),
                    }));
                }
            }
        }
    }

    /// Decides and writes one batch in one transaction; returns each job's answer (sent only
    /// after the commit) and the sale as the batch left it.
    async fn write_batch(
        &self,
        owner: &SaleOwner,
        goods: &SaleGoods,
        jobs: &[Job],
        now: i64,
    ) -> ServiceResult<WrittenBatch> {
        let sale_id = owner.sale.id;
        let mut tx = self.store.begin_write().await?;
        let sale = store::lock_flash_sale(tx.conn(), sale_id, now)
            .await?
            .ok_or(ServiceError::NotFound("flash sale"))?;
        let keys: Vec<(UserId, &str)> = jobs
            .iter()
            .map(|j| (j.attempt.buyer, j.attempt.key.as_str()))
            .collect();
        let known = store::known_keys(tx.conn(), &keys).await?;
        let mut buyers: Vec<UserId> = jobs.iter().map(|j| j.attempt.buyer).collect();
        buyers.sort_unstable();
        buyers.dedup();
        let bought = store::buyer_units(tx.conn(), sale_id, &buyers).await?;
        let address_ids: Vec<AddressId> = jobs.iter().map(|j| j.address_id).collect();
        let addresses = addresses_by_id(tx.conn(), &address_ids).await?;
        let budget_left = match goods.campaign_id {
            Some(campaign) => Some(Fen(store::lock_subsidy_budget(tx.conn(), campaign).await?)),
            None => None,
        };
        let mut state = SaleState {
            remaining: u32::try_from(sale.quantity - sale.taken).unwrap_or(0),
            budget_left,
            bought: bought
                .into_iter()
                .map(|(user, units)| (user, u32::try_from(units).unwrap_or(u32::MAX)))
                .collect(),
            known_keys: known
                .into_iter()
                .filter_map(|k| {
                    let key = IdempotencyKey::parse(&k.key).ok()?;
                    Some((
                        (k.user_id, key),
                        KnownKey {
                            request_hash: k.request_hash,
                            order: k.order_id,
                        },
                    ))
                })
                .collect(),
        };
        // Attempts naming an address that is not the buyer's are refused before deciding.
        let mut answers: Vec<Option<ServiceResult<Placed>>> = jobs
            .iter()
            .map(|j| match addresses.get(&j.address_id) {
                Some(a) if a.user_id == j.attempt.buyer => None,
                _ => Some(Err(ServiceError::NotFound("address"))),
            })
            .collect();
        let open: Vec<usize> = (0..jobs.len()).filter(|i| answers[*i].is_none()).collect();
        let attempts: Vec<Attempt> = open.iter().map(|i| jobs[*i].attempt.clone()).collect();
        let verdicts = decide_batch(&owner.terms, &mut state, &attempts, now);
        let mut new_orders = Vec::new();
        let mut new_index = Vec::new();
        let mut replays = Vec::new();
        for (slot, verdict) in open.iter().zip(&verdicts) {
            let job = &jobs[*slot];
            match verdict {
                Verdict::Reserve => {
                    let address = &addresses[&job.address_id];
                    let split = PriceSplit::compute(
                        owner.terms.price,
                        owner.terms.subsidy_per_unit,
                        job.attempt.quantity,
                        goods.commission,
                        self.config.fee_policy,
                    )?;
                    new_orders.push(NewOrder {
                        order_no: order_no(now),
                        buyer_id: job.attempt.buyer,
                        anchor_id: sale.anchor_id,
                        session_id: Some(sale.session_id),
                        flash_sale_id: Some(sale_id),
                        campaign_id: goods.campaign_id,
                        sku_id: sale.sku_id,
                        supplier_id: goods.supplier_id,
                        quantity: i64::from(job.attempt.quantity.get()),
                        unit_price_fen: owner.terms.price.0,
                        split: split_columns(&split),
                        recipient: address.recipient.clone(),
                        phone: address.phone.clone(),
                        county_code: address.county_code,
                        address_detail: address.detail.clone(),
                        reserved_until_ms: now + owner.terms.pay_window_ms,
                        key: (
                            job.attempt.key.as_str().to_owned(),
                            job.attempt.request_hash.clone(),
                        ),
                    });
                    new_index.push(*slot);
                }
                Verdict::Replay(order) => replays.push((*slot, *order)),
                other => {
                    answers[*slot] = Some(Err(verdict_error(other, sale.per_user_limit)));
                }
            }
        }
        let ids = store::insert_reserved_orders(tx.conn(), &new_orders, now).await?;
        if !new_orders.is_empty() {
            let mut per_buyer: HashMap<UserId, i64> = HashMap::new();
            let mut units = 0;
            let mut subsidy = 0;
            for order in &new_orders {
                *per_buyer.entry(order.buyer_id).or_default() += order.quantity;
                units += order.quantity;
                subsidy += order.split[1];
            }
            let per_buyer: Vec<(UserId, i64)> = per_buyer.into_iter().collect();
            store::add_buyer_units(tx.conn(), sale_id, &per_buyer).await?;
            store::add_flash_units(tx.conn(), sale_id, units, 0).await?;
            if let (Some(campaign), true) = (goods.campaign_id, subsidy > 0) {
                store::move_subsidy(tx.conn(), campaign, subsidy, 0).await?;
            }
        }
        let mut wanted: Vec<OrderId> = ids.clone();
        wanted.extend(replays.iter().map(|(_, order)| *order));
        let rows: HashMap<OrderId, OrderRow> = store::orders_by_ids(tx.conn(), &wanted)
            .await?
            .into_iter()
            .map(|row| (row.id, row))
            .collect();
        tx.commit().await?;
        for (slot, id) in new_index.iter().zip(&ids) {
            answers[*slot] = Some(placed(&rows, *id, &jobs[*slot].actor, false));
        }
        for (slot, id) in replays {
            answers[slot] = Some(placed(&rows, id, &jobs[slot].actor, true));
        }
        let last_buyer_county = new_orders.last().map(|order| order.county_code);
        let mut sale = sale;
        sale.taken = sale.quantity - i64::from(state.remaining);
        Ok(WrittenBatch {
            answers: answers
                .into_iter()
                .map(|a| a.unwrap_or_else(|| Err(sold_out())))
                .collect(),
            sale,
            last_buyer_county,
        })
    }

    /// Buys at a session's live price, or from an anchor's shelf at the pool price, in one
    /// transaction: the units are taken from the SKU's stock not yet promised by one
    /// conditional statement, so two buyers never both get the last unit.
    pub async fn buy(&self, actor: &Actor, key: &str, input: BuyInput) -> ServiceResult<Placed> {
        let key = IdempotencyKey::parse(key)?;
        let quantity = Quantity::parse(input.quantity)?;
        let hash = request_hash(&[
            "buy",
            &input.sku_id.0.to_string(),
            &quantity.get().to_string(),
            &input.address_id.0.to_string(),
            &input.session_id.map(|s| s.0).unwrap_or(0).to_string(),
            &input.anchor_id.map(|a| a.0).unwrap_or(0).to_string(),
        ]);
        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        if let Some(known) = store::known_keys(tx.conn(), &[(actor.user_id, key.as_str())])
            .await?
            .into_iter()
            .next()
        {
            if known.request_hash != hash {
                return Err(verdict_error(&Verdict::KeyReused, 0));
            }
            let row = store::order_by_id(tx.conn(), known.order_id)
                .await?
                .ok_or(ServiceError::NotFound("order"))?;
            return Ok(Placed {
                order: OrderView::of(row, actor),
                replayed: true,
            });
        }
        let address = store::address_of(tx.conn(), actor.user_id, input.address_id)
            .await?
            .ok_or(ServiceError::NotFound("address"))?;
        let sku = daihuo_store::sku_by_id(tx.conn(), input.sku_id)
            .await?
            .filter(|s| s.status == daihuo_domain::catalog::SkuStatus::Approved)
            .ok_or(ServiceError::NotFound("sku"))?;
        let (anchor_id, session_id, unit_price) = match (input.session_id, input.anchor_id) {
            (Some(session_id), _) => {
                let session = store_live::session_by_id(tx.conn(), session_id)
                    .await?
                    .ok_or(ServiceError::NotFound("live session"))?;
                if session.status != SessionStatus::Live {
                    return Err(ServiceError::conflict(
                        "session_not_live",
                        "buying in a room is open while the session is live",
                    ));
                }
                let price = store::session_item_price(tx.conn(), session_id, input.sku_id)
                    .await?
                    .ok_or_else(|| {
                        ServiceError::invalid(
                            "sku_not_in_session",
                            "the SKU is not on sale in this session",
                        )
                    })?;
                (session.anchor_id, Some(session_id), price)
            }
            (None, Some(anchor_id)) => {
                if !store::on_shelf(tx.conn(), anchor_id, input.sku_id).await? {
                    return Err(ServiceError::invalid(
                        "sku_not_on_shelf",
                        "the SKU is not on this anchor's shelf",
                    ));
                }
                (anchor_id, None, sku.pool_fen)
            }
            (None, None) => {
                return Err(ServiceError::invalid(
                    "seller_missing",
                    "give the session_id bought in, or the anchor_id whose shelf it is",
                ))
            }
        };
        let split = PriceSplit::compute(
            Fen(unit_price),
            Fen::ZERO,
            quantity,
            BasisPoints(sku.commission_bps),
            self.config.fee_policy,
        )?;
        if !store::hold_sku_units(tx.conn(), sku.id, i64::from(quantity.get())).await? {
            return Err(sold_out());
        }
        let order = NewOrder {
            order_no: order_no(now),
            buyer_id: actor.user_id,
            anchor_id,
            session_id,
            flash_sale_id: None,
            campaign_id: None,
            sku_id: sku.id,
            supplier_id: sku.supplier_id,
            quantity: i64::from(quantity.get()),
            unit_price_fen: unit_price,
            split: split_columns(&split),
            recipient: address.recipient,
            phone: address.phone,
            county_code: address.county_code,
            address_detail: address.detail,
            reserved_until_ms: now + self.config.pay_window.as_millis() as i64,
            key: (key.as_str().to_owned(), hash),
        };
        let ids = store::insert_reserved_orders(tx.conn(), std::slice::from_ref(&order), now)
            .await
            .map_err(|e| match e {
                daihuo_store::StoreError::Conflict => verdict_error(&Verdict::InProgress, 0),
                other => other.into(),
            })?;
        let id = ids
            .first()
            .copied()
            .ok_or(ServiceError::NotFound("order"))?;
        let row = store::order_by_id(tx.conn(), id)
            .await?
            .ok_or(ServiceError::NotFound("order"))?;
        tx.commit().await?;
        if let Some(session_id) = session_id {
            self.tick_order(session_id, order.county_code, &sku.title)
                .await;
        }
        Ok(Placed {
            order: OrderView::of(row, actor),
            replayed: false,
        })
    }

    /// An order, to its buyer, the anchor who sold it, its supplier's staff or an operator.
    pub async fn order(&self, actor: &Actor, id: OrderId) -> ServiceResult<OrderView> {
        let row = store::order_by_id(self.store.pool(), id)
            .await?
            .ok_or(ServiceError::NotFound("order"))?;
        let allowed = row.buyer_id == actor.user_id
            || row.anchor_id == actor.user_id
            || actor.role == Role::Operator
            || (actor.role == Role::SupplierStaff && actor.supplier_id == Some(row.supplier_id));
        if !allowed {
            return Err(ServiceError::NotFound("order"));
        }
        Ok(OrderView::of(row, actor))
    }

    /// The signed-in buyer's orders, newest first.
    pub async fn my_orders(
        &self,
        actor: &Actor,
        before: Option<i64>,
        limit: i64,
    ) -> ServiceResult<Vec<OrderView>> {
        let rows = store::orders_of_buyer(
            self.store.pool(),
            actor.user_id,
            before.unwrap_or(i64::MAX),
            limit.clamp(1, 100),
        )
        .await?;
        Ok(rows.into_iter().map(|r| OrderView::of(r, actor)).collect())
    }

    /// Releases unpaid reservations past their deadline, gives closed sales' unsold units
    /// back to their SKUs, approves after-sales requests their supplier left undecided past
    /// the deadline, asks the gateway again for refunds it never accepted, confirms
    /// receipts whose window closed and starts due settlement runs. Safe to run on every node at once: each release is a
    /// compare-and-set under the sale's lock. Returns how many orders it cancelled.
    pub async fn sweep_checkout(&self) -> ServiceResult<usize> {
        let now = now_ms();
        let overdue = store::overdue_reservations(self.store.pool(), now, 1_000).await?;
        let mut by_sale: HashMap<Option<FlashSaleId>, Vec<OrderId>> = HashMap::new();
        for (order, sale) in overdue {
            by_sale.entry(sale).or_default().push(order);
        }
        let mut cancelled = 0;
        for (sale, orders) in by_sale {
            cancelled += self.release_unpaid(sale, &orders, now).await?;
            if let Some(sale) = sale {
                self.mark_view_stale(sale);
                if let Some(row) = store::flash_sale_by_id(self.store.pool(), sale).await? {
                    self.sale_stock_changed(&row, now).await;
                }
            }
        }
        self.announce_sale_stages(now).await?;
        for sale in store::closed_sales_to_settle(self.store.pool(), now, 100).await? {
            let mut tx = self.store.begin_write().await?;
            if store::lock_flash_sale(tx.conn(), sale, now)
                .await?
                .is_some()
            {
                if let Some(row) = store::mark_units_returned(tx.conn(), sale, now).await? {
                    store::release_sku_units(tx.conn(), row.sku_id, row.quantity - row.taken)
                        .await?;
                }
            }
            tx.commit().await?;
        }
        self.sweep_after_sales().await?;
        self.sweep_late_shipments().await?;
        self.send_due_refunds().await?;
        // Receipts confirmed automatically and settlement runs (crate::settlement).
        self.sweep_settlement().await?;
        Ok(cancelled)
    }

    /// Cancels the given overdue orders (of one sale, or ordinary ones) and gives their units
    /// and subsidy back.
    async fn release_unpaid(
        &self,
        sale: Option<FlashSaleId>,
        orders: &[OrderId],
        now: i64,
    ) -> ServiceResult<usize> {
        let mut tx = self.store.begin_write().await?;
        let sale_row = match sale {
            Some(id) => store::lock_flash_sale(tx.conn(), id, now).await?,
            None => None,
        };
        let rows = store::orders_by_ids(tx.conn(), orders).await?;
        let mut per_buyer: HashMap<UserId, i64> = HashMap::new();
        let mut units = 0;
        let mut subsidy: HashMap<CampaignId, i64> = HashMap::new();
        let mut released = 0;
        for row in rows {
            if row.status != OrderStatus::Reserved || row.reserved_until_ms > now {
                continue;
            }
            let moved = store::set_order_status(
                tx.conn(),
                row.id,
                OrderStatus::Reserved,
                row.status.cancel()?,
                Some("unpaid"),
                now,
            )
            .await?;
            if !moved {
                continue;
            }
            released += 1;
            match &sale_row {
                Some(sale) => {
                    *per_buyer.entry(row.buyer_id).or_default() -= row.quantity;
                    units += row.quantity;
                    if sale.units_returned_at_ms.is_some() {
                        store::release_sku_units(tx.conn(), row.sku_id, row.quantity).await?;
                    }
                }
                None => store::release_sku_units(tx.conn(), row.sku_id, row.quantity).await?,
            }
            if let Some(campaign) = row.campaign_id {
                *subsidy.entry(campaign).or_default() += row.split[1];
            }
        }
        if let Some(sale) = &sale_row {
            let per_buyer: Vec<(UserId, i64)> = per_buyer.into_iter().collect();
            store::add_buyer_units(tx.conn(), sale.id, &per_buyer).await?;
            store::add_flash_units(tx.conn(), sale.id, -units, 0).await?;
        }
        for (campaign, amount) in subsidy {
            store::move_subsidy(tx.conn(), campaign, -amount, 0).await?;
        }
        tx.commit().await?;
        Ok(released)
    }

    /// Makes this node read a sale again before answering sold out.
    pub(crate) fn mark_view_stale(&self, sale: FlashSaleId) {
        if let Some(owner) = lock(&self.flash.owners).get(&sale) {
            lock(&owner.view).checked_ms = 0;
        }
    }

    /// Runs [`Services::sweep_checkout`] every [`SWEEP_EVERY_MS`] for as long as the node runs.
    pub fn spawn_checkout_sweeper(&self) -> tokio::task::JoinHandle<()> {
        let services = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_millis(SWEEP_EVERY_MS));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(error) = services.sweep_checkout().await {
                    tracing::warn!(code = error.code(), %error, "checkout sweep failed");
                }
            }
        })
    }
}

fn placed(
    rows: &HashMap<OrderId, OrderRow>,
    id: OrderId,
    actor: &Actor,
    replayed: bool,
) -> ServiceResult<Placed> {
    let row = rows
        .get(&id)
        .cloned()
        .ok_or(ServiceError::NotFound("order"))?;
    Ok(Placed {
        order: OrderView::of(row, actor),
        replayed,
    })
}

fn split_columns(split: &PriceSplit) -> [i64; 6] {
    [
        split.gross.0,
        split.subsidy.0,
        split.buyer_pays.0,
        split.commission.0,
        split.platform_fee.0,
        split.supplier.0,
    ]
}

fn terms_of(sale: &FlashSaleRow) -> FlashTerms {
    FlashTerms {
        price: Fen(sale.price_fen),
        subsidy_per_unit: Fen(sale.subsidy_fen),
        quantity: u32::try_from(sale.quantity).unwrap_or(0),
        per_user_limit: u32::try_from(sale.per_user_limit).unwrap_or(0),
        starts_at_ms: sale.starts_at_ms,
        ends_at_ms: sale.ends_at_ms,
        pay_window_ms: sale.pay_window_ms,
    }
}

async fn addresses_by_id(
    conn: &mut daihuo_store::AnyConnection,
    ids: &[AddressId],
) -> ServiceResult<HashMap<AddressId, AddressRow>> {
    let mut unique = ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    Ok(store::addresses_by_ids(conn, &unique)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect())
}

/// Locks a std mutex, recovering from a panic in another holder (the data stays usable:
/// every writer leaves it consistent between statements).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
