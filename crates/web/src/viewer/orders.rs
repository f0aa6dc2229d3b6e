//! My orders and one order: its line and money, where the parcel is (the tracking timeline,
//! newest first), confirming receipt, and after-sales (asking for a return or a refund,
//! following it, sending a return parcel, disputing a rejection, withdrawing).

use super::{order_badge, order_status};
use crate::page::{after_form, when, yuan, CsrfForm, Lang, Page, PageError};
use crate::WebState;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use daihuo_domain::account::Role;
use daihuo_domain::after_sales::{AfterSalesStatus, CostBearer};
use daihuo_domain::order::OrderStatus;
use daihuo_domain::tracking::TrackingStage;
use daihuo_domain::OrderId;
use daihuo_service::after_sales::{
    AfterSalesInput, AfterSalesView, DisputeInput, EvidenceInput, RequestKind, ReturnShipmentInput,
};
use daihuo_service::checkout::OrderView;
use daihuo_service::fulfilment::TrackingView;
use maud::{html, Markup};
use serde::Deserialize;

/// Orders per page of the list.
const ORDERS_PER_PAGE: i64 = 20;
/// The carriers a return may go with, as the waybill rules know them: (code, name).
const CARRIERS: &[(&str, &str)] = &[
    ("sf", "顺丰 SF"),
    ("jd", "京东 JD"),
    ("zto", "中通 ZTO"),
    ("yto", "圆通 YTO"),
    ("sto", "申通 STO"),
    ("yunda", "韵达 Yunda"),
    ("ems", "EMS"),
];

#[derive(Deserialize)]
pub(super) struct ListQuery {
    /// Show orders older than this order id.
    before: Option<i64>,
}

pub(super) async fn list(
    State(state): State<WebState>,
    page: Page,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Viewer)?;
    let orders = state
        .services
        .my_orders(actor, query.before, ORDERS_PER_PAGE)
        .await?;
    let older = (orders.len() as i64 == ORDERS_PER_PAGE)
        .then(|| orders.last().map(|o| o.id))
        .flatten();
    let body = html! {
        h1 { (page.t("我的订单", "My orders")) }
        @if orders.is_empty() {
            p.muted { (page.t("还没有订单。去直播间逛逛吧。", "No orders yet. Have a look in the live rooms.")) }
            p { a.button.primary href="/" { (page.t("看直播", "Watch live")) } }
        } @else {
            ul.plain.orders #orders {
                @for order in &orders {
                    li { a.order-row href={ "/orders/" (order.id) } data-order-id=(order.id) data-status=(order.status.as_str()) {
                        div.grow {
                            div.title { (order.sku_title) }
                            div.muted { (order.quantity) " × " (yuan(order.unit_price_fen.0)) " · " (when(order.created_at_ms)) }
                        }
                        div.end {
                            div.price { (yuan(order.split.buyer_pays.0)) }
                            span class=(order_badge(order.status)) { (order_status(page.lang, order.status)) }
                        }
                    } }
                }
            }
            @if let Some(older) = older {
                p { a href={ "/orders?before=" (older) } { (page.t("更早的订单 →", "Older orders →")) } }
            }
        }
    };
    Ok(page.render(page.t("我的订单", "My orders"), body))
}

pub(super) async fn detail(
    State(state): State<WebState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Viewer)?;
    let id = OrderId(id);
    let order = state.services.order(actor, id).await?;
    let tracking = state.services.tracking(actor, id).await?;
    let requests = state.services.order_after_sales(actor, id).await?;
    let open_request = requests.iter().any(|r| !r.status.is_final());
    let body = html! {
        p { a href="/orders" { (page.t("← 我的订单", "← My orders")) } }
        section.card #order data-order-id=(order.id) data-status=(order.status.as_str()) {
            div.spread {
                h1 { (page.t("订单详情", "Order")) }
                span class=(order_badge(order.status)) #order-status { (order_status(page.lang, order.status)) }
            }
            p.muted { (page.t("订单号 ", "No. ")) (order.order_no) " · " (when(order.created_at_ms)) }
            (payment_due(&page, &order))
            (line_and_money(&page, &order))
            @if order.status == OrderStatus::Delivered {
                form method="post" action={ "/orders/" (order.id) "/receipt" } #confirm-receipt {
                    (page.csrf_field())
                    button.primary.wide type="submit" { (page.t("确认收货", "Confirm receipt")) }
                }
            }
        }
        (tracking_card(&page, &tracking))
        section.card #after-sales {
            h2 { (page.t("售后", "After-sales")) }
            @for request in &requests { (request_card(&page, &order, request)) }
            @if !open_request && after_sales_possible(order.status) {
                details.apply {
                    summary { (page.t("申请退款 / 退货", "Ask for a refund or a return")) }
                    (request_form(&page, &order))
                }
            } @else if requests.is_empty() {
                p.muted { (page.t("支付后可申请退款或退货。", "Refunds and returns can be asked for once the order is paid.")) }
            }
        }
    };
    Ok(page.render(page.t("订单详情", "Order"), body))
}

/// A reserved order's deadline and the way to pay it.
fn payment_due(page: &Page, order: &OrderView) -> Markup {
    html! {
        @if order.status == OrderStatus::Reserved && order.reserved_until_ms > crate::page::now_ms() {
            div.notice #pay-due {
                (page.t("请在 ", "Pay before ")) (when(order.reserved_until_ms)) (page.t(" 前完成支付，超时订单将自动取消。", "; unpaid orders are cancelled then."))
                form method="post" action={ "/orders/" (order.id) "/pay" } {
                    (page.csrf_field())
                    button.primary.wide #pay type="submit" { (page.t("去支付 ", "Pay ")) (yuan(order.split.buyer_pays.0)) }
                }
            }
        }
        @if let Some(reason) = &order.cancel_reason {
            p.notice { (page.t("取消原因：", "Cancelled: ")) (reason) }
        }
    }
}

fn line_and_money(page: &Page, order: &OrderView) -> Markup {
    let split = &order.split;
    html! {
        table.lines #lines {
            tr {
                td { (order.sku_title) }
                td.num { (order.quantity) " × " (yuan(order.unit_price_fen.0)) }
            }
            tr { td { (page.t("商品金额", "Goods")) } td.num { (yuan(split.gross.0)) } }
            @if split.subsidy.0 > 0 {
                tr { td { (page.t("平台补贴", "Platform subsidy")) } td.num { "-" (yuan(split.subsidy.0)) } }
            }
            tr.total { td { (page.t("实付", "You pay")) } td.num.price { (yuan(split.buyer_pays.0)) } }
            @if let Some(compensation) = order.late_compensation_fen {
                tr { td { (page.t("延迟发货赔付", "Late-shipment compensation")) } td.num { (yuan(compensation)) } }
            }
        }
        p.muted {
            (page.t("收货人：", "Deliver to: ")) (order.address.recipient) " " (order.address.phone) br;
            (order.address.region) " " (order.address.detail)
        }
        @if let Some(ship_by) = order.ship_by_ms {
            p.muted { (page.t("承诺发货时间：", "Ships by: ")) (when(ship_by)) }
        }
    }
}

/// A tracking stage in words.
fn stage_text(lang: Lang, stage: TrackingStage) -> &'static str {
    match stage {
        TrackingStage::Picked => lang.t("已揽收", "Picked up"),
        TrackingStage::Shipped => lang.t("已发出", "Left the warehouse"),
        TrackingStage::InTransit => lang.t("运输中", "In transit"),
        TrackingStage::OutForDelivery => lang.t("派送中", "Out for delivery"),
        TrackingStage::Delivered => lang.t("已签收", "Delivered"),
        TrackingStage::Exception => lang.t("异常", "Problem"),
    }
}

fn carrier_name(code: &str) -> &str {
    CARRIERS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(code, |(_, name)| name)
}

/// The parcel: where it ships from and the timeline, newest first. The timeline is the
/// carrier's events as the service's tracking view sorts them, plus each handover to the
/// carrier, so a parcel just shipped already shows one line.
fn tracking_card(page: &Page, tracking: &TrackingView) -> Markup {
    enum Line<'a> {
        Handover {
            carrier: &'a str,
            waybill: &'a str,
        },
        Carrier {
            id: &'a str,
            stage: TrackingStage,
            detail: &'a str,
        },
    }
    let mut lines: Vec<(i64, Line)> = tracking
        .shipments
        .iter()
        .filter_map(|s| {
            Some((
                s.shipped_at_ms?,
                Line::Handover {
                    carrier: s.carrier.as_deref()?,
                    waybill: s.waybill.as_deref()?,
                },
            ))
        })
        .chain(tracking.events.iter().map(|e| {
            (
                e.at_ms(),
                Line::Carrier {
                    id: e.id().as_str(),
                    stage: e.stage(),
                    detail: e.detail(),
                },
            )
        }))
        .collect();
    // Newest first; the handover before the carrier's own events of the same moment.
    lines.sort_by_key(|(at, line)| {
        (
            std::cmp::Reverse(*at),
            matches!(line, Line::Handover { .. }),
        )
    });
    html! {
        section.card #tracking {
            h2 { (page.t("物流", "Tracking")) }
            @for shipment in &tracking.shipments {
                p.muted.shipment {
                    (page.t("发货仓：", "From warehouse ")) (shipment.warehouse_code)
                    " · " (shipment.units) (page.t(" 件", " units"))
                    @if let (Some(carrier), Some(waybill)) = (&shipment.carrier, &shipment.waybill) {
                        " · " (carrier_name(carrier)) " " code { (waybill) }
                    }
                }
            }
            @if tracking.exception_open {
                p.notice { (page.t("物流出现异常，承运商正在处理。", "The carrier reported a problem and is on it.")) }
            }
            ol.timeline #timeline {
                @for (at, line) in &lines {
                    @match line {
                        Line::Handover { carrier, waybill } => li data-shipment=(waybill) {
                            b { (page.t("已发货", "Shipped")) } " " (carrier_name(carrier)) " " code { (waybill) }
                            div.muted { (when(*at)) }
                        },
                        Line::Carrier { id, stage, detail } => li data-event-id=(id) data-stage=(stage.as_str()) {
                            b { (stage_text(page.lang, *stage)) } " " (detail)
                            div.muted { (when(*at)) }
                        },
                    }
                }
            }
            @if lines.is_empty() {
                p.muted { (page.t("暂无物流信息。", "No tracking yet.")) }
            }
        }
    }
}

fn kind_text(lang: Lang, kind: RequestKind) -> &'static str {
    match kind {
        RequestKind::NoReasonReturn => lang.t("七天无理由退货", "No-reason return (7 days)"),
        RequestKind::RefundOnlyNotShipped => lang.t("未发货，仅退款", "Refund before shipping"),
        RequestKind::RefundOnlyNeverReceived => lang.t("未收到货，仅退款", "Refund: never arrived"),
        RequestKind::QualityComplaint => lang.t("质量问题退货", "Quality complaint"),
    }
}

fn request_status_text(lang: Lang, status: AfterSalesStatus) -> &'static str {
    match status {
        AfterSalesStatus::Requested => lang.t("等待商家处理", "Waiting for the supplier"),
        AfterSalesStatus::Approved => lang.t("商家已同意", "Approved"),
        AfterSalesStatus::Rejected => lang.t("商家已拒绝", "Rejected"),
        AfterSalesStatus::Disputed => lang.t("平台仲裁中", "With the platform's arbiter"),
        AfterSalesStatus::Upheld => lang.t("平台维持拒绝", "Rejection upheld"),
        AfterSalesStatus::Overturned => lang.t("平台支持你的申请", "Overturned in your favour"),
        AfterSalesStatus::ReturnShipped => lang.t("退货已寄出", "Return on its way"),
        AfterSalesStatus::ReturnReceived => lang.t("商家已收到退货", "Return received"),
        AfterSalesStatus::Refunded => lang.t("已退款", "Refunded"),
        AfterSalesStatus::Withdrawn => lang.t("已撤销", "Withdrawn"),
    }
}

/// Whether an order is past payment and not already refunded, so a request may be asked
/// for; the service decides which kinds its status and dates allow.
fn after_sales_possible(status: OrderStatus) -> bool {
    matches!(
        status,
        OrderStatus::Paid
            | OrderStatus::Routed
            | OrderStatus::Shipped
            | OrderStatus::Delivered
            | OrderStatus::Completed
    )
}

/// The kind a buyer most likely wants at this status, selected first in the form.
fn likely_kind(status: OrderStatus) -> RequestKind {
    match status {
        OrderStatus::Paid | OrderStatus::Routed => RequestKind::RefundOnlyNotShipped,
        OrderStatus::Shipped => RequestKind::RefundOnlyNeverReceived,
        _ => RequestKind::NoReasonReturn,
    }
}

fn kind_value(kind: RequestKind) -> &'static str {
    match kind {
        RequestKind::NoReasonReturn => "no_reason_return",
        RequestKind::RefundOnlyNotShipped => "refund_only_not_shipped",
        RequestKind::RefundOnlyNeverReceived => "refund_only_never_received",
        RequestKind::QualityComplaint => "quality_complaint",
    }
}

fn request_card(page: &Page, order: &OrderView, request: &AfterSalesView) -> Markup {
    let status = request.status;
    let awaiting_return = request.needs_return
        && matches!(
            status,
            AfterSalesStatus::Approved | AfterSalesStatus::Overturned
        );
    let withdrawable = matches!(
        status,
        AfterSalesStatus::Requested
            | AfterSalesStatus::Approved
            | AfterSalesStatus::Rejected
            | AfterSalesStatus::Overturned
    );
    let step = |what: &str| format!("/after-sales/{}/{what}", request.id);
    html! {
        div.request data-after-sales-id=(request.id) data-status=(status.as_str()) {
            div.spread {
                b { (kind_text(page.lang, request.kind)) " · " (request.units) (page.t(" 件", " units")) }
                span.badge.after-sales-status { (request_status_text(page.lang, status)) }
            }
            p.muted { (page.t("申请于 ", "Asked ")) (when(request.requested_at_ms)) }
            @if status == AfterSalesStatus::Requested {
                p.muted { (page.t("商家需在 ", "The supplier decides by ")) (when(request.decide_by_ms)) (page.t(" 前处理，逾期自动同意。", "; silence approves.")) }
            }
            @if let Some(evidence) = &request.evidence {
                p { (evidence.text) }
                ul.plain.evidence { @for url in &evidence.image_urls { li { a href=(url) rel="noopener" { (url) } } } }
            }
            @if let Some(reason) = &request.reject_reason { p { (page.t("拒绝理由：", "Rejected because: ")) (reason) } }
            @if let Some(reason) = &request.dispute_reason { p { (page.t("你的申诉：", "Your dispute: ")) (reason) } }
            @if let Some(note) = &request.arbitration_note { p { (page.t("平台意见：", "The arbiter: ")) (note) } }
            @if let (Some(carrier), Some(waybill)) = (&request.return_carrier, &request.return_waybill) {
                p.muted { (page.t("退货运单：", "Return parcel: ")) (carrier_name(carrier)) " " code { (waybill) } }
            }
            @if let Some(refund) = request.refund_fen {
                p { (page.t("退款金额 ", "Refund ")) span.price { (yuan(refund)) }
                    @if let Some(state) = &request.refund_status { " · " span.muted { (state) } } }
            }
            @if awaiting_return {
                form.return-form method="post" action=(step("return")) {
                    (page.csrf_field())
                    input type="hidden" name="order_id" value=(order.id);
                    @if let Some(payer) = request.return_postage_paid_by {
                        p.muted { (page.t("退货运费：", "Return postage: "))
                            @match payer {
                                CostBearer::Buyer => (page.t("由你承担", "yours to pay")),
                                CostBearer::Supplier => (page.t("由商家承担", "paid by the supplier")),
                            } }
                    }
                    label { (page.t("快递公司", "Carrier"))
                        select name="carrier" { @for (code, name) in CARRIERS { option value=(code) { (name) } } } }
                    label { (page.t("运单号", "Waybill number")) input name="waybill" required maxlength="40"; }
                    button.primary type="submit" { (page.t("提交退货运单", "Send the return")) }
                }
            }
            @if status == AfterSalesStatus::Rejected {
                form.dispute-form method="post" action=(step("dispute")) {
                    (page.csrf_field())
                    input type="hidden" name="order_id" value=(order.id);
                    label { (page.t("申请平台仲裁：说明理由", "Ask the platform to arbitrate: why is the rejection wrong?"))
                        textarea name="reason" required maxlength="500" rows="3" {} }
                    button type="submit" { (page.t("申请仲裁", "Dispute")) }
                }
            }
            @if withdrawable {
                form.inline.withdraw-form method="post" action=(step("withdraw")) {
                    (page.csrf_field())
                    input type="hidden" name="order_id" value=(order.id);
                    button.danger type="submit" { (page.t("撤销申请", "Withdraw the request")) }
                }
            }
        }
    }
}

fn request_form(page: &Page, order: &OrderView) -> Markup {
    let likely = likely_kind(order.status);
    let kinds = [
        RequestKind::RefundOnlyNotShipped,
        RequestKind::RefundOnlyNeverReceived,
        RequestKind::NoReasonReturn,
        RequestKind::QualityComplaint,
    ];
    html! {
        form #after-sales-form method="post" action={ "/orders/" (order.id) "/after-sales" } {
            (page.csrf_field())
            label { (page.t("申请类型", "What do you ask for?"))
                select name="kind" {
                    @for kind in kinds {
                        option value=(kind_value(kind)) selected[kind == likely] { (kind_text(page.lang, kind)) }
                    }
                }
            }
            label { (page.t("件数（退货可部分；留空为全部）", "Units (a return may be partial; blank for all)"))
                input name="units" type="number" min="1" max=(order.quantity) inputmode="numeric";
            }
            fieldset {
                legend { (page.t("质量问题需提供凭证", "A quality complaint needs evidence")) }
                label { (page.t("图片链接（https，每行一个，最多 9 个）", "Photo links (https, one per line, at most 9)"))
                    textarea name="image_urls" rows="3" {} }
                label { (page.t("问题描述", "What is wrong"))
                    textarea name="evidence_text" rows="3" maxlength="500" {} }
            }
            button.primary type="submit" { (page.t("提交申请", "Ask")) }
        }
    }
}

#[derive(Deserialize)]
pub(super) struct NoFields {}

pub(super) async fn confirm_receipt(
    State(state): State<WebState>,
    page: Page,
    Path(id): Path<i64>,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Viewer)?;
    let done = state.services.confirm_receipt(actor, OrderId(id)).await;
    Ok(after_form(
        &format!("/orders/{id}"),
        done,
        page.t("已确认收货", "Receipt confirmed"),
    ))
}

#[derive(Deserialize)]
pub(super) struct RequestForm {
    kind: RequestKind,
    units: Option<String>,
    image_urls: Option<String>,
    evidence_text: Option<String>,
}

pub(super) async fn request_after_sales(
    State(state): State<WebState>,
    page: Page,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<RequestForm>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Viewer)?;
    let back = format!("/orders/{id}");
    let units = super::optional_id(form.units.as_deref()).map_err(PageError::BadForm)?;
    // Evidence goes only with a complaint: the other kinds are refused with it.
    let evidence = (form.kind == RequestKind::QualityComplaint).then(|| EvidenceInput {
        image_urls: form
            .image_urls
            .as_deref()
            .unwrap_or("")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
        text: form.evidence_text.unwrap_or_default(),
    });
    let asked = state
        .services
        .request_after_sales(
            actor,
            OrderId(id),
            AfterSalesInput {
                kind: form.kind,
                units,
                evidence,
            },
        )
        .await;
    Ok(after_form(
        &back,
        asked,
        page.t("售后申请已提交", "Request sent"),
    ))
}

#[derive(Deserialize)]
pub(super) struct ReturnForm {
    order_id: i64,
    carrier: String,
    waybill: String,
}

pub(super) async fn ship_return(
    State(state): State<WebState>,
    page: Page,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<ReturnForm>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Viewer)?;
    let done = state
        .services
        .ship_return(
            actor,
            id,
            ReturnShipmentInput {
                carrier: form.carrier,
                waybill: form.waybill,
            },
        )
        .await;
    Ok(after_form(
        &format!("/orders/{}", form.order_id),
        done,
        page.t("退货运单已提交", "Return parcel recorded"),
    ))
}

#[derive(Deserialize)]
pub(super) struct DisputeForm {
    order_id: i64,
    reason: String,
}

pub(super) async fn dispute(
    State(state): State<WebState>,
    page: Page,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<DisputeForm>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Viewer)?;
    let done = state
        .services
        .dispute_after_sales(
            actor,
            id,
            DisputeInput {
                reason: form.reason,
            },
        )
        .await;
    Ok(after_form(
        &format!("/orders/{}", form.order_id),
        done,
        page.t("已申请平台仲裁", "Sent to the platform's arbiter"),
    ))
}

#[derive(Deserialize)]
pub(super) struct StepForm {
    order_id: i64,
}

pub(super) async fn withdraw(
    State(state): State<WebState>,
    page: Page,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<StepForm>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Viewer)?;
    let done = state.services.withdraw_after_sales(actor, id).await;
    Ok(after_form(
        &format!("/orders/{}", form.order_id),
        done,
        page.t("申请已撤销", "Request withdrawn"),
    ))
}
