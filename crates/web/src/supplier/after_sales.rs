//! The after-sales queue: requests waiting for a decision (with the buyer's evidence and the
//! deadline after which silence approves), returns on their way back to receive, and the
//! requests of late.

use super::{after_sales_status_label, request_kind_label};
use crate::page::{after_form, now_ms, when, yuan, CsrfForm, Page, PageError};
use crate::WebState;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use daihuo_domain::account::Role;
use daihuo_domain::after_sales::AfterSalesStatus;
use daihuo_service::after_sales::DecisionInput;
use daihuo_service::supplier_pages::AfterSalesItem;
use maud::{html, Markup};
use serde::Deserialize;

/// Requests per list: a working queue, paged when longer.
const QUEUE_PAGE_SIZE: i64 = 50;

#[derive(Deserialize)]
pub(super) struct QueueParams {
    /// Where the list of every request continues (the previous page's last id).
    before: Option<i64>,
}

pub(super) async fn after_sales_page(
    State(state): State<WebState>,
    page: Page,
    Query(params): Query<QueueParams>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::SupplierStaff)?;
    let services = &state.services;
    let to_decide = services
        .supplier_after_sales_queue(
            actor,
            Some(AfterSalesStatus::Requested),
            None,
            QUEUE_PAGE_SIZE,
        )
        .await?;
    let to_receive = services
        .supplier_after_sales_queue(
            actor,
            Some(AfterSalesStatus::ReturnShipped),
            None,
            QUEUE_PAGE_SIZE,
        )
        .await?;
    let recent = services
        .supplier_after_sales_queue(actor, None, params.before, QUEUE_PAGE_SIZE)
        .await?;
    let now = now_ms();
    let body = html! {
        h1 { (page.t("售后", "After-sales")) }
        section.card #to-decide {
            h2 { (page.t("待处理", "Waiting for your decision")) " " span.badge { (to_decide.items.len()) } }
            p.muted { (page.t("截止前不处理视为同意；拒绝须写明原因，买家可申诉，由平台仲裁。",
                "Silence past the deadline approves; a rejection needs a reason, and the buyer may dispute it before the platform.")) }
            @if to_decide.items.is_empty() {
                p.muted.empty { (page.t("没有待处理的申请。", "No requests waiting.")) }
            }
            @for item in &to_decide.items {
                (request_card(&page, item, now, Action::Decide))
            }
        }
        section.card #to-receive {
            h2 { (page.t("待收退货", "Returns on their way")) " " span.badge { (to_receive.items.len()) } }
            @if to_receive.items.is_empty() {
                p.muted.empty { (page.t("没有寄回中的退货。", "No returns on their way.")) }
            }
            @for item in &to_receive.items {
                (request_card(&page, item, now, Action::Receive))
            }
        }
        section.card #all-requests {
            h2 { (page.t("全部申请", "Every request")) }
            div.table-wrap {
                table {
                    thead { tr {
                        th { (page.t("申请", "Request")) }
                        th { (page.t("订单", "Order")) }
                        th { (page.t("类型", "Kind")) }
                        th { (page.t("状态", "Status")) }
                        th.num { (page.t("退款", "Refund")) }
                        th { (page.t("更新", "Updated")) }
                    } }
                    tbody {
                        @for item in &recent.items {
                            @let request = &item.request;
                            tr data-request=(request.id) {
                                td { "#" (request.id) }
                                td { code { (item.order_no) } br; span.muted { (item.sku_title) } }
                                td { (request_kind_label(page.lang, request.kind)) }
                                td { span.badge data-status=(request.status.as_str()) {
                                    (after_sales_status_label(page.lang, request.status)) }
                                    @if request.approved_by_silence {
                                        br; span.muted { (page.t("超时自动同意", "approved by silence")) }
                                    }
                                }
                                td.num { (request.refund_fen.map_or_else(String::new, yuan)) }
                                td { (when(request.updated_at_ms)) }
                            }
                        }
                    }
                }
            }
            @if let Some(before) = recent.next_before {
                p { a href={ "/supplier/after-sales?before=" (before) "#all-requests" } { (page.t("更早 »", "Older »")) } }
            }
        }
    };
    Ok(page.render(page.t("售后", "After-sales"), body))
}

/// What a card in the queue lets the supplier do.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Action {
    /// Approve or reject.
    Decide,
    /// Confirm the goods came back.
    Receive,
}

fn request_card(page: &Page, item: &AfterSalesItem, now: i64, action: Action) -> Markup {
    let request = &item.request;
    let id = request.id;
    let overdue = request.decide_by_ms <= now;
    html! {
        article.request data-request=(id) {
            div.spread {
                h3 { (request_kind_label(page.lang, request.kind)) " · #" (id) }
                span.muted { (page.t("申请于", "Asked")) " " (when(request.requested_at_ms)) }
            }
            p {
                (page.t("订单", "Order")) " " code { (item.order_no) } " · " (item.sku_title)
                " · " (request.units) " / " (item.order_quantity) " " (page.t("件", "units"))
            }
            @if let Some(evidence) = &request.evidence {
                div.evidence {
                    p { (evidence.text) }
                    div.evidence-images {
                        @for url in &evidence.image_urls {
                            a href=(url) target="_blank" rel="noopener noreferrer" {
                                img src=(url) alt=(page.t("买家凭证", "Buyer's evidence")) loading="lazy";
                            }
                        }
                    }
                }
            }
            @match action {
                Action::Decide => {
                    p {
                        (page.t("处理截止", "Decide by")) " " b { (when(request.decide_by_ms)) }
                        @if overdue { " " span.badge.bad { (page.t("已过截止，将自动同意", "past the deadline: silence approves")) } }
                    }
                    div.row.decide {
                        form.inline method="post" action={ "/supplier/after-sales/" (id) "/decision" } data-decide=(id) {
                            (page.csrf_field())
                            button.primary type="submit" name="decision" value="approve" { (page.t("同意", "Approve")) }
                        }
                        form.inline method="post" action={ "/supplier/after-sales/" (id) "/decision" } data-reject=(id) {
                            (page.csrf_field())
                            input type="hidden" name="decision" value="reject";
                            input name="reason" required maxlength="500"
                                placeholder=(page.t("拒绝原因", "Why you reject")) aria-label=(page.t("拒绝原因", "Why you reject"));
                            button.danger type="submit" { (page.t("拒绝", "Reject")) }
                        }
                    }
                }
                Action::Receive => {
                    p {
                        (page.t("退货运单", "Return parcel")) " "
                        (request.return_carrier.as_deref().map(|c| super::carrier_name(page.lang, c)).unwrap_or_default())
                        " " code { (request.return_waybill.as_deref().unwrap_or("")) }
                    }
                    form.inline method="post" action={ "/supplier/after-sales/" (id) "/received" } data-receive=(id) {
                        (page.csrf_field())
                        button.primary type="submit" { (page.t("确认收到退货并退款", "Goods received: refund")) }
                    }
                }
            }
        }
    }
}

pub(super) async fn decide(
    State(state): State<WebState>,
    page: Page,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<DecisionInput>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::SupplierStaff)?;
    let result = state.services.decide_after_sales(actor, id, form).await;
    Ok(after_form(
        "/supplier/after-sales",
        result,
        page.t("已处理", "Decided"),
    ))
}

/// A form with nothing but its CSRF token.
#[derive(Deserialize)]
pub(super) struct NoFields {}

pub(super) async fn receive(
    State(state): State<WebState>,
    page: Page,
    Path(id): Path<i64>,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::SupplierStaff)?;
    let result = state.services.receive_return(actor, id).await;
    Ok(after_form(
        "/supplier/after-sales",
        result,
        page.t(
            "已确认收货，退款已发出",
            "Received; the refund is on its way",
        ),
    ))
}
