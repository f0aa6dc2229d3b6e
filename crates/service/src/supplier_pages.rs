//! What the supplier's console reads that the other services do not offer in one call: its
//! catalogue searched by code, title or brand with each SKU's quality record; its orders
//! waiting to ship and in transit with their warehouses, the buyer's address and the latest
//! tracking event; its after-sales queue with the order each request is about; and the counts
//! of its overview. Every read is of the actor's own organisation.

use crate::after_sales::AfterSalesView;
use crate::catalog::SkuView;
use crate::checkout::OrderAddress;
use crate::{Actor, ServiceError, ServiceResult, Services};
use daihuo_domain::after_sales::AfterSalesStatus;
use daihuo_domain::catalog::SkuStatus;
use daihuo_domain::order::OrderStatus;
use daihuo_domain::{Fen, OrderId, SkuId};
use daihuo_store::checkout::{self as order_store, OrderRow};
use daihuo_store::supplier_pages::{self as store, OrderList};
use daihuo_store::{now_ms, StoreError};
use std::collections::HashMap;

/// The most SKUs one catalogue page shows.
pub const CATALOGUE_PAGE_MAX: i64 = 100;
/// The longest catalogue search text, as the pool's query limit.
pub const CATALOGUE_TEXT_MAX_CHARS: usize = 100;
/// The most orders one page of a list shows: a day's shipping for a busy warehouse is paged.
pub const ORDERS_PAGE_MAX: i64 = 100;
/// The deepest offset into an order list, as the API's paging limit: a supplier with more
/// waiting than this ships the most urgent first and pulls the rest through its API.
pub const ORDERS_OFFSET_MAX: i64 = 10_000;

/// What the supplier looks for in its catalogue.
#[derive(Debug, Clone, Default)]
pub struct CatalogueQuery {
    /// Text the SKU's code, title or brand contains (ASCII without regard to case).
    pub text: Option<String>,
    /// Only SKUs in this review status.
    pub status: Option<SkuStatus>,
    /// Only SKUs after this id (the previous page's `next_after`).
    pub after_id: i64,
    /// Page size, 1 to [`CATALOGUE_PAGE_MAX`].
    pub limit: i64,
}

/// A page of the supplier's catalogue.
#[derive(Debug, Clone)]
pub struct CataloguePage {
    /// SKUs in id order, each with its quality record.
    pub items: Vec<SkuView>,
    /// Ask with `after_id` set to this for the next page; absent on the last page.
    pub next_after: Option<i64>,
}

/// One warehouse's part of an order.
#[derive(Debug, Clone)]
pub struct OrderShipment {
    /// The supplier's code of the warehouse.
    pub warehouse_code: String,
    /// Its name.
    pub warehouse_name: String,
    /// Units going out of it.
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

/// The latest news of a parcel.
#[derive(Debug, Clone)]
pub struct LatestEvent {
    /// The stage's name (`picked`, `in_transit`, …).
    pub stage: String,
    /// The carrier's time, Unix ms.
    pub at_ms: i64,
    /// The carrier's description.
    pub detail: String,
}

/// An order as the supplier that fulfils it sees it.
#[derive(Debug, Clone)]
pub struct SupplierOrder {
    /// The order.
    pub id: OrderId,
    /// Its public number.
    pub order_no: String,
    /// Where it is.
    pub status: OrderStatus,
    /// The SKU.
    pub sku_id: SkuId,
    /// The SKU's title.
    pub sku_title: String,
    /// Units.
    pub quantity: i64,
    /// What the supplier receives for it.
    pub supplier_fen: Fen,
    /// Where it goes, in full: the fulfilling supplier needs the phone and street.
    pub address: OrderAddress,
    /// When it was paid, Unix ms.
    pub paid_at_ms: Option<i64>,
    /// The shipping promise, Unix ms.
    pub ship_by_ms: Option<i64>,
    /// Past its promise (or already marked late) and still to ship, or shipped late.
    pub late: bool,
    /// Where it ships from.
    pub shipments: Vec<OrderShipment>,
    /// The parcel's latest tracking event.
    pub latest: Option<LatestEvent>,
}

/// A page of orders.
#[derive(Debug, Clone)]
pub struct OrderPage {
    /// The orders.
    pub items: Vec<SupplierOrder>,
    /// Ask with this offset for the next page; absent on the last page.
    pub next_offset: Option<i64>,
}

/// The counts at the top of the supplier's console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SupplierOverview {
    /// Orders sent to the supplier and paid since the start the caller gave (today).
    pub orders_today: i64,
    /// Orders routed and not shipped.
    pub to_ship: i64,
    /// Of those, the ones past their promise.
    pub late: i64,
    /// After-sales requests waiting for the supplier: a decision or the goods back.
    pub after_sales_waiting: i64,
}

/// An after-sales request with the order it is about.
#[derive(Debug, Clone)]
pub struct AfterSalesItem {
    /// The request.
    pub request: AfterSalesView,
    /// The order's public number.
    pub order_no: String,
    /// The SKU's title.
    pub sku_title: String,
    /// The order's units.
    pub order_quantity: i64,
}

/// A page of the supplier's after-sales requests, newest first.
#[derive(Debug, Clone)]
pub struct AfterSalesQueue {
    /// The requests.
    pub items: Vec<AfterSalesItem>,
    /// Ask with `before` set to this for the next page; absent on the last page.
    pub next_before: Option<i64>,
}

impl Services {
    /// The actor's organisation's SKUs, in any status, searched by text and status, each
    /// with its quality record.
    pub async fn search_supplier_catalogue(
        &self,
        actor: &Actor,
        query: CatalogueQuery,
    ) -> ServiceResult<CataloguePage> {
        let supplier = actor.require_supplier()?;
        let text = query
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty());
        if text.is_some_and(|t| t.chars().count() > CATALOGUE_TEXT_MAX_CHARS) {
            return Err(ServiceError::invalid(
                "query_too_long",
                "search text is at most 100 characters",
            ));
        }
        let limit = query.limit.clamp(1, CATALOGUE_PAGE_MAX);
        let rows = store::find_supplier_skus(
            self.store.pool(),
            supplier,
            text,
            query.status,
            query.after_id.max(0),
            limit,
        )
        .await?;
        let full = i64::try_from(rows.len()).is_ok_and(|n| n == limit);
        let next_after = full.then(|| rows.last().map(|r| r.id.0)).flatten();
        let ids: Vec<SkuId> = rows.iter().map(|r| r.id).collect();
        let mut quality = self.quality_of_skus(&ids).await?;
        let items = rows
            .into_iter()
            .map(|row| {
                let id = row.id;
                let mut view = SkuView::for_actor(row, actor);
                view.quality = quality.remove(&id);
                view
            })
            .collect();
        Ok(CataloguePage { items, next_after })
    }

    /// The actor's organisation's orders waiting to ship, the most urgent promise first.
    pub async fn orders_to_ship(
        &self,
        actor: &Actor,
        offset: i64,
        limit: i64,
    ) -> ServiceResult<OrderPage> {
        self.supplier_orders(actor, OrderList::ToShip, offset, limit)
            .await
    }

    /// The actor's organisation's orders shipped and not yet delivered, the most recently
    /// changed first.
    pub async fn orders_in_transit(
        &self,
        actor: &Actor,
        offset: i64,
        limit: i64,
    ) -> ServiceResult<OrderPage> {
        self.supplier_orders(actor, OrderList::Shipped, offset, limit)
            .await
    }

    async fn supplier_orders(
        &self,
        actor: &Actor,
        list: OrderList,
        offset: i64,
        limit: i64,
    ) -> ServiceResult<OrderPage> {
        let supplier = actor.require_supplier()?;
        if !(0..=ORDERS_OFFSET_MAX).contains(&offset) {
            return Err(ServiceError::invalid(
                "invalid_offset",
                "offset must be 0 to 10000",
            ));
        }
        let limit = limit.clamp(1, ORDERS_PAGE_MAX);
        let pool = self.store.pool();
        let ids = store::supplier_order_ids(pool, supplier, list, offset, limit).await?;
        let full = i64::try_from(ids.len()).is_ok_and(|n| n == limit);
        let mut rows: HashMap<OrderId, OrderRow> = self
            .console_orders_by_ids(&ids)
            .await?
            .into_iter()
            // Read twice, so filtered again: the ids were the supplier's, and stay so.
            .filter(|row| row.supplier_id == supplier)
            .map(|row| (row.id, row))
            .collect();
        let mut shipments: HashMap<OrderId, Vec<OrderShipment>> = HashMap::new();
        for line in store::shipments_of_orders(pool, &ids).await? {
            shipments
                .entry(line.order_id)
                .or_default()
                .push(OrderShipment {
                    warehouse_code: line.warehouse_code,
                    warehouse_name: line.warehouse_name,
                    units: line.units,
                    distance_m: line.distance_m,
                    carrier: line.carrier,
                    waybill: line.waybill,
                    shipped_at_ms: line.shipped_at_ms,
                });
        }
        let mut latest: HashMap<OrderId, LatestEvent> = store::latest_tracking(pool, &ids)
            .await?
            .into_iter()
            .map(|t| {
                (
                    t.order_id,
                    LatestEvent {
                        stage: t.stage,
                        at_ms: t.at_ms,
                        detail: t.detail,
                    },
                )
            })
            .collect();
        let now = now_ms();
        let items = ids
            .iter()
            .filter_map(|id| rows.remove(id))
            .map(|row| {
                let id = row.id;
                supplier_order(
                    row,
                    shipments.remove(&id).unwrap_or_default(),
                    latest.remove(&id),
                    now,
                )
            })
            .collect();
        Ok(OrderPage {
            items,
            next_offset: full.then_some(offset + limit),
        })
    }

    /// The counts at the top of the actor's organisation's console; `today_from_ms` is when
    /// "today" began where the supplier is.
    pub async fn supplier_overview(
        &self,
        actor: &Actor,
        today_from_ms: i64,
    ) -> ServiceResult<SupplierOverview> {
        let supplier = actor.require_supplier()?;
        let pool = self.store.pool();
        let counts = store::order_counts(pool, supplier, today_from_ms, now_ms()).await?;
        let after_sales_waiting = store::after_sales_waiting(pool, supplier).await?;
        Ok(SupplierOverview {
            orders_today: counts.paid_since,
            to_ship: counts.to_ship,
            late: counts.late,
            after_sales_waiting,
        })
    }

    /// The actor's organisation's after-sales requests, newest first, in one status if
    /// given, each with the order it is about.
    pub async fn supplier_after_sales_queue(
        &self,
        actor: &Actor,
        status: Option<AfterSalesStatus>,
        before: Option<i64>,
        limit: i64,
    ) -> ServiceResult<AfterSalesQueue> {
        let page = self
            .supplier_after_sales(actor, status, before, limit)
            .await?;
        let ids: Vec<OrderId> = page.items.iter().map(|r| r.order_id).collect();
        let orders: HashMap<OrderId, OrderRow> = self
            .console_orders_by_ids(&ids)
            .await?
            .into_iter()
            .map(|row| (row.id, row))
            .collect();
        let items = page
            .items
            .into_iter()
            .map(|request| {
                let order = orders.get(&request.order_id);
                AfterSalesItem {
                    order_no: order.map(|o| o.order_no.clone()).unwrap_or_default(),
                    sku_title: order.map(|o| o.sku_title.clone()).unwrap_or_default(),
                    order_quantity: order.map_or(0, |o| o.quantity),
                    request,
                }
            })
            .collect();
        Ok(AfterSalesQueue {
            items,
            next_before: page.next_before,
        })
    }
}

impl Services {
    /// Orders by id in one read (none when there are no ids).
    async fn console_orders_by_ids(&self, ids: &[OrderId]) -> ServiceResult<Vec<OrderRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self
            .store
            .pool()
            .acquire()
            .await
            .map_err(StoreError::from)?;
        Ok(order_store::orders_by_ids(&mut conn, ids).await?)
    }
}

/// An order row as its supplier sees it at `now`.
fn supplier_order(
    row: OrderRow,
    shipments: Vec<OrderShipment>,
    latest: Option<LatestEvent>,
    now: i64,
) -> SupplierOrder {
    let overdue = row.status == OrderStatus::Routed && row.ship_by_ms.is_some_and(|by| by < now);
    SupplierOrder {
        late: row.late_at_ms.is_some() || overdue,
        id: row.id,
        order_no: row.order_no,
        status: row.status,
        sku_id: row.sku_id,
        sku_title: row.sku_title,
        quantity: row.quantity,
        supplier_fen: Fen(row.split[5]),
        address: OrderAddress {
            recipient: row.recipient,
            phone: row.phone,
            county_code: row.county_code,
            region: daihuo_refdata::divisions::divisions()
                .full_name(row.county_code)
                .unwrap_or_default(),
            detail: row.address_detail,
        },
        paid_at_ms: row.paid_at_ms,
        ship_by_ms: row.ship_by_ms,
        shipments,
        latest,
    }
}
