//! Orders to ship and in transit: each waiting order with where it ships from, the buyer's
//! address, its promise and a ship form (`form[data-ship]`); each shipped order with its
//! latest tracking event and a form to report the next (`form[data-track]`).

use super::{carrier_label, carrier_name, overview, stage_label, stage_name, today_from_ms};
use crate::page::{after_form, now_ms, when, yuan, CsrfForm, Page, PageError};
use crate::WebState;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use daihuo_domain::account::Role;
use daihuo_domain::tracking::TrackingStage;
use daihuo_domain::waybill::Carrier;
use daihuo_domain::OrderId;
use daihuo_service::fulfilment::{ShipInput, TrackingBatch, TrackingInput};
use daihuo_service::supplier_pages::{SupplierOrder, ORDERS_PAGE_MAX};
use maud::{html, Markup};
use serde::Deserialize;

/// Shipped orders per page: each row carries a form, and the list is a working queue.
const SHIPPED_PAGE_SIZE: i64 = 50;

#[derive(Deserialize)]
pub(super) struct OrdersParams {
    /// Where the waiting list starts.
    offset: Option<i64>,
    /// Where the shipped list starts.
    shipped_offset: Option<i64>,
}

pub(super) async fn orders_page(
    State(state): State<WebState>,
    page: Page,
    Query(params): Query<OrdersParams>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::SupplierStaff)?;
    let services = &state.services;
    let offset = params.offset.unwrap_or(0);
    let shipped_offset = params.shipped_offset.unwrap_or(0);
    let waiting = services
        .orders_to_ship(actor, offset, ORDERS_PAGE_MAX)
        .await?;
    let shipped = services
        .orders_in_transit(actor, shipped_offset, SHIPPED_PAGE_SIZE)
        .await?;
    let counts = services
        .supplier_overview(actor, today_from_ms(now_ms()))
        .await?;
    // Each render's tracking forms carry event ids of their own: a form sent twice is one
    // event, two forms are two.
    let render_key = format!("{}-{:08x}", now_ms(), rand::random::<u32>());
    let body = html! {
        h1 { (page.t("订单与发货", "Orders and shipping")) }
        (overview(&page, &counts))
        section.card #to-ship {
            h2 { (page.t("待发货", "Waiting to ship")) }
            @if waiting.items.is_empty() {
                p.muted.empty { (page.t("没有待发货的订单。", "Nothing waiting to ship.")) }
            } @else {
                div.table-wrap {
                    table.orders {
                        thead { tr {
                            th { (page.t("订单", "Order")) }
                            th { (page.t("商品", "Line")) }
                            th { (page.t("发货仓", "Warehouse")) }
                            th { (page.t("收货地址", "Deliver to")) }
                            th { (page.t("发货时限", "Ship by")) }
                            th { (page.t("发货", "Ship")) }
                        } }
                        tbody {
                            @for order in &waiting.items {
                                (waiting_row(&page, order))
                            }
                        }
                    }
                }
                @if let Some(next) = waiting.next_offset {
                    p { a href={ "/supplier/orders?offset=" (next) } { (page.t("更多 »", "More »")) } }
                }
            }
        }
        section.card #shipped {
            h2 { (page.t("运输中", "In transit")) }
            @if shipped.items.is_empty() {
                p.muted.empty { (page.t("没有运输中的订单。", "Nothing in transit.")) }
            } @else {
                div.table-wrap {
                    table.orders {
                        thead { tr {
                            th { (page.t("订单", "Order")) }
                            th { (page.t("商品", "Line")) }
                            th { (page.t("承运与运单", "Carrier and waybill")) }
                            th { (page.t("最新物流", "Latest news")) }
                            th { (page.t("更新物流", "Report tracking")) }
                        } }
                        tbody {
                            @for order in &shipped.items {
                                (shipped_row(&page, order, &render_key))
                            }
                        }
                    }
                }
                @if let Some(next) = shipped.next_offset {
                    p { a href={ "/supplier/orders?shipped_offset=" (next) "#shipped" } { (page.t("更多 »", "More »")) } }
                }
            }
        }
    };
    Ok(page.render(page.t("订单", "Orders"), body))
}

fn order_cell(page: &Page, order: &SupplierOrder) -> Markup {
    html! {
        td {
            code { (order.order_no) }
            @if let Some(paid) = order.paid_at_ms {
                br; span.muted { (page.t("付款", "Paid")) " " (when(paid)) }
            }
        }
        td {
            (order.sku_title) " × " b { (order.quantity) }
            br; span.muted { (page.t("应得", "You receive")) " " (yuan(order.supplier_fen.0)) }
        }
    }
}

fn waiting_row(page: &Page, order: &SupplierOrder) -> Markup {
    let id = order.id.0;
    html! {
        tr.late[order.late] data-order=(id) {
            (order_cell(page, order))
            td {
                @for shipment in &order.shipments {
                    div { (shipment.warehouse_name) " " code { (shipment.warehouse_code) } " × " (shipment.units) }
                }
            }
            td.address {
                (order.address.recipient) " " (order.address.phone)
                br; (order.address.region)
                br; span.muted { (order.address.detail) }
            }
            td {
                @if let Some(by) = order.ship_by_ms { (when(by)) }
                @if order.late {
                    br; span.badge.bad { (page.t("已超时", "Late")) }
                }
            }
            td {
                form.ship method="post" action={ "/supplier/orders/" (id) "/ship" } data-ship=(id) {
                    (page.csrf_field())
                    select name="carrier" aria-label=(page.t("承运商", "Carrier")) {
                        @for carrier in Carrier::ALL {
                            option value=(carrier.as_str()) { (carrier_label(page.lang, carrier)) }
                        }
                    }
                    input name="waybill" required autocomplete="off" maxlength="40"
                        placeholder=(page.t("运单号", "Waybill no.")) aria-label=(page.t("运单号", "Waybill no."));
                    button.primary type="submit" { (page.t("发货", "Ship")) }
                }
            }
        }
    }
}

fn shipped_row(page: &Page, order: &SupplierOrder, render_key: &str) -> Markup {
    let id = order.id.0;
    let shipment = order.shipments.iter().find(|s| s.waybill.is_some());
    html! {
        tr data-order=(id) {
            (order_cell(page, order))
            td {
                @if let Some(shipment) = shipment {
                    (carrier_name(page.lang, shipment.carrier.as_deref().unwrap_or("")))
                    br; code { (shipment.waybill.as_deref().unwrap_or("")) }
                    @if let Some(at) = shipment.shipped_at_ms {
                        br; span.muted { (when(at)) }
                    }
                }
                @if order.late {
                    br; span.badge.bad { (page.t("迟发", "Shipped late")) }
                }
            }
            td.latest {
                @if let Some(latest) = &order.latest {
                    b { (stage_name(page.lang, &latest.stage)) } " " span.muted { (when(latest.at_ms)) }
                    @if !latest.detail.is_empty() { br; (latest.detail) }
                } @else {
                    span.muted { "—" }
                }
            }
            td {
                form.track method="post" action={ "/supplier/orders/" (id) "/tracking" } data-track=(id) {
                    (page.csrf_field())
                    input type="hidden" name="event_id" value={ "web-" (id) "-" (render_key) };
                    select name="status" aria-label=(page.t("物流状态", "Tracking status")) {
                        @for stage in TrackingStage::ALL {
                            option value=(stage.as_str()) { (stage_label(page.lang, stage)) }
                        }
                    }
                    input name="place" maxlength="200" autocomplete="off"
                        placeholder=(page.t("地点（选填）", "Place (optional)")) aria-label=(page.t("地点", "Place"));
                    button type="submit" { (page.t("提交", "Report")) }
                }
            }
        }
    }
}

pub(super) async fn ship(
    State(state): State<WebState>,
    page: Page,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<ShipInput>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::SupplierStaff)?;
    let result = state
        .services
        .confirm_shipment(actor, OrderId(id), form)
        .await;
    Ok(after_form(
        "/supplier/orders",
        result,
        page.t("已发货", "Shipped"),
    ))
}

#[derive(Deserialize)]
pub(super) struct TrackForm {
    /// The form's own event id, so the same form sent twice is one event.
    event_id: String,
    /// The stage's name.
    status: String,
    /// Where it happened, for the buyer to read.
    #[serde(default)]
    place: String,
}

pub(super) async fn track(
    State(state): State<WebState>,
    page: Page,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<TrackForm>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::SupplierStaff)?;
    let batch = TrackingBatch {
        events: vec![TrackingInput {
            event_id: form.event_id,
            stage: form.status,
            at_ms: now_ms(),
            detail: form.place,
        }],
    };
    let result = state.services.add_tracking(actor, OrderId(id), batch).await;
    Ok(after_form(
        "/supplier/orders#shipped",
        result,
        page.t("物流已更新", "Tracking reported"),
    ))
}
