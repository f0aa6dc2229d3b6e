//! `/operator/disputes`: after-sales requests a buyer disputed, with the order, the buyer's
//! evidence and reason and the supplier's reason; rule for the buyer (overturn) or for the
//! supplier (uphold) with a note.

use super::{after_sales_status, next_page, order_status, refuse, request_kind};
use crate::page::{after_form, when, yuan, CsrfForm, Page, PageError};
use crate::WebState;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use daihuo_domain::account::Role;
use daihuo_domain::after_sales::{AfterSalesStatus, CostBearer};
use daihuo_service::after_sales::{AfterSalesView, Arbitration, ArbitrationInput};
use daihuo_service::operator_pages::DisputedOrder;
use maud::{html, Markup};
use serde::Deserialize;

/// Requests one page shows.
const PAGE_SIZE: i64 = 20;
/// The statuses the page filters by: the queue, then what arbitration decided.
const FILTERS: [AfterSalesStatus; 3] = [
    AfterSalesStatus::Disputed,
    AfterSalesStatus::Overturned,
    AfterSalesStatus::Upheld,
];

#[derive(Deserialize)]
pub struct Filter {
    status: Option<String>,
    before: Option<i64>,
}

pub async fn page(
    page: Page,
    State(state): State<WebState>,
    Query(filter): Query<Filter>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Operator)?;
    let status = filter
        .status
        .as_deref()
        .and_then(AfterSalesStatus::from_db)
        .filter(|s| FILTERS.contains(s))
        .unwrap_or(AfterSalesStatus::Disputed);
    let services = &state.services;
    let requests = services
        .operator_after_sales(actor, Some(status), filter.before, PAGE_SIZE)
        .await?;
    let order_ids: Vec<_> = requests.items.iter().map(|r| r.order_id).collect();
    let orders = services.disputed_orders(actor, &order_ids).await?;
    let next = requests.next_before.map(|before| {
        format!(
            "/operator/disputes?status={}&before={before}",
            status.as_str()
        )
    });
    Ok(page.render(
        page.t("纠纷仲裁", "Disputes"),
        html! {
            h1 { (page.t("纠纷仲裁", "Disputes")) }
            p.muted { (page.t("买家对商家拒绝的售后申请发起仲裁。支持买家：申请按同意继续（仅退款立即退款，退货则等待买家寄回）；支持商家：拒绝成立，申请结束。",
                "Buyers dispute a supplier's rejection. For the buyer (overturn): the request proceeds as approved (a refund-only request is refunded at once, a return waits for the parcel). For the supplier (uphold): the rejection stands and the request ends.")) }
            nav.operator-tabs {
                @for choice in FILTERS {
                    a.active[choice == status] href={ "/operator/disputes?status=" (choice.as_str()) } {
                        (after_sales_status(page.lang, choice))
                    }
                }
            }
            @if requests.items.is_empty() {
                p.card.muted { (page.t("没有这一状态的申请。", "No requests in this status.")) }
            }
            @for request in &requests.items {
                (request_card(&page, request, orders.iter().find(|o| o.order_id == request.order_id)))
            }
            (next_page(page.lang, next))
        },
    ))
}

fn request_card(page: &Page, request: &AfterSalesView, order: Option<&DisputedOrder>) -> Markup {
    html! {
        article.card.dispute data-after-sales=(request.id) {
            div.spread {
                h2 {
                    (request_kind(page.lang, request.kind)) " "
                    span.muted { "#" (request.id) }
                }
                span.badge.warn { (after_sales_status(page.lang, request.status)) }
            }
            @if let Some(order) = order {
                p {
                    (page.t("订单 ", "Order ")) code { (order.order_no) } " · "
                    (order.sku_title) " × " (order.quantity) " · "
                    (page.t("实付 ", "paid ")) (yuan(order.buyer_pays_fen))
                    @if let Some(status) = order.status { " · " (order_status(page.lang, status)) }
                }
                p.muted {
                    (page.t("买家 ", "Buyer ")) (order.buyer_name) " · "
                    (page.t("主播 ", "Anchor ")) (order.anchor_name) " · "
                    (page.t("供应商 ", "Supplier ")) (order.supplier_name)
                }
            }
            p.muted {
                (page.t("申请于 ", "Asked ")) (when(request.requested_at_ms)) " · "
                (page.t("件数 ", "units ")) (request.units)
                @if let Some(refund) = request.refund_fen {
                    " · " (page.t("退款 ", "refund ")) (yuan(refund))
                }
            }
            div.dispute-sides {
                section.side.buyer {
                    h3 { (page.t("买家一方", "The buyer's side")) }
                    @if let Some(evidence) = &request.evidence {
                        p { (evidence.text) }
                        div.review-images {
                            @for url in &evidence.image_urls {
                                a href=(url) target="_blank" rel="noopener noreferrer" {
                                    img src=(url) alt=(page.t("凭证图片", "evidence")) loading="lazy";
                                }
                            }
                        }
                    }
                    p {
                        b { (page.t("仲裁理由：", "Why the rejection is wrong: ")) }
                        (request.dispute_reason.as_deref().unwrap_or("—"))
                    }
                }
                section.side.supplier {
                    h3 { (page.t("商家一方", "The supplier's side")) }
                    p {
                        b { (page.t("拒绝理由：", "Why it rejected: ")) }
                        (request.reject_reason.as_deref().unwrap_or("—"))
                    }
                    p.muted {
                        (page.t("退货运费：", "Return postage: "))
                        @match request.return_postage_paid_by {
                            Some(CostBearer::Buyer) => (page.t("买家承担", "the buyer")),
                            Some(CostBearer::Supplier) => (page.t("商家承担", "the supplier")),
                            None => (page.t("无需退货", "nothing goes back")),
                        }
                    }
                }
            }
            @if let Some(note) = &request.arbitration_note {
                p { b { (page.t("仲裁意见：", "Ruling: ")) } (note) }
            }
            @if request.status == AfterSalesStatus::Disputed {
                form.arbitrate method="post" action={ "/operator/disputes/" (request.id) } {
                    (page.csrf_field())
                    label { (page.t("仲裁意见（必填，最多 500 字，买家与商家都会看到）", "Ruling note (required, at most 500 characters; both sides see it)"))
                        textarea name="note" rows="2" maxlength="500" required {} }
                    button.primary type="submit" name="decision" value="overturn" data-overturn=(request.id) {
                        (page.t("支持买家（改判同意）", "For the buyer (overturn)"))
                    }
                    " "
                    button type="submit" name="decision" value="uphold" data-uphold=(request.id) {
                        (page.t("支持商家（维持拒绝）", "For the supplier (uphold)"))
                    }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct ArbitrationForm {
    decision: String,
    note: String,
}

pub async fn arbitrate(
    page: Page,
    State(state): State<WebState>,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<ArbitrationForm>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Operator)?;
    let back = "/operator/disputes";
    let decision = match form.decision.as_str() {
        "overturn" => Arbitration::Overturn,
        "uphold" => Arbitration::Uphold,
        _ => {
            return Ok(refuse(
                back,
                "invalid_decision",
                "the decision is overturn or uphold",
            ))
        }
    };
    let result = state
        .services
        .arbitrate_after_sales(
            actor,
            id,
            ArbitrationInput {
                decision,
                note: form.note,
            },
        )
        .await;
    let ok = match decision {
        Arbitration::Overturn => page.t("已改判：支持买家", "Overturned: decided for the buyer"),
        Arbitration::Uphold => page.t("已维持拒绝：支持商家", "Upheld: decided for the supplier"),
    };
    Ok(after_form(back, result, ok))
}
