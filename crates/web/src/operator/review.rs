//! `/operator/review`: SKUs waiting for review, with their content, prices, commission and
//! images; approve one into the pool, or reject it with a reason.

use super::{next_page, refuse};
use crate::page::{after_form, percent, when, yuan, CsrfForm, Page, PageError};
use crate::WebState;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use daihuo_domain::account::Role;
use daihuo_domain::SkuId;
use daihuo_service::catalog::SkuView;
use maud::{html, Markup};
use serde::Deserialize;

/// SKUs one page shows: each is a card with images, so fewer than a table would hold.
const PAGE_SIZE: i64 = 20;
/// Images shown per SKU; the rest are counted.
const IMAGES_SHOWN: usize = 4;

#[derive(Deserialize)]
pub struct Paging {
    after: Option<i64>,
}

/// The queue from after `after`, as a path.
fn queue_at(after: Option<i64>) -> String {
    match after {
        Some(after) if after > 0 => format!("/operator/review?after={after}"),
        _ => "/operator/review".to_owned(),
    }
}

pub async fn page(
    page: Page,
    State(state): State<WebState>,
    Query(paging): Query<Paging>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Operator)?;
    let after = paging.after.unwrap_or(0).max(0);
    let skus = state.services.review_queue(actor, after, PAGE_SIZE).await?;
    let next = (i64::try_from(skus.len()).ok() == Some(PAGE_SIZE))
        .then(|| skus.last().map(|s| queue_at(Some(s.id.0))))
        .flatten();
    Ok(page.render(
        page.t("商品审核", "SKU review"),
        html! {
            div.spread {
                h1 { (page.t("商品审核", "SKU review")) }
                @if after > 0 {
                    a href="/operator/review" { (page.t("← 回到第一页", "← First page")) }
                }
            }
            p.muted { (page.t("通过后 SKU 进入商品池，所有主播可选；驳回需要写明原因，供应商修改后可重新提交。",
                "Approved SKUs enter the pool for every anchor; a rejection needs a reason the supplier can act on.")) }
            @if skus.is_empty() {
                p.card.muted { (page.t("没有待审核的 SKU。", "Nothing waits for review.")) }
            }
            @for sku in &skus {
                (sku_card(&page, sku, after))
            }
            (next_page(page.lang, next))
        },
    ))
}

fn sku_card(page: &Page, sku: &SkuView, after: i64) -> Markup {
    let id = sku.id.0;
    html! {
        article.card.review-sku data-sku=(id) {
            div.review-images {
                @for image in sku.images.iter().take(IMAGES_SHOWN) {
                    a href=(image) target="_blank" rel="noopener noreferrer" {
                        img src=(image) alt=(sku.title) loading="lazy";
                    }
                }
                @if sku.images.len() > IMAGES_SHOWN {
                    span.muted { "+" (sku.images.len() - IMAGES_SHOWN) }
                }
            }
            div.review-body {
                h2 { (sku.title) }
                p.muted {
                    (sku.brand) " · " (sku.supplier_name) " · "
                    (page.t("编码 ", "code ")) code { (sku.sku_code) } " · SPU " code { (sku.spu_code) }
                    @if let Some(gtin) = &sku.gtin { " · GTIN " code { (gtin) } }
                }
                p.muted { (sku.category_path) }
                @if !sku.attributes.is_empty() {
                    p {
                        @for attribute in &sku.attributes {
                            span.badge { (attribute.name) "：" (attribute.value) } " "
                        }
                    }
                }
                div.table-wrap {
                    table {
                        tr {
                            th.num { (page.t("供货价", "Supply")) }
                            th.num { (page.t("底价", "Floor")) }
                            th.num { (page.t("池价（直播标准价）", "Pool (standard live price)")) }
                            th.num { (page.t("建议零售价", "Retail")) }
                            th.num { (page.t("佣金率", "Commission")) }
                            th.num { (page.t("每件佣金", "Commission per unit")) }
                            th.num { (page.t("库存", "Stock")) }
                        }
                        tr {
                            td.num { @if let Some(supply) = sku.supply_price_fen { (yuan(supply.0)) } }
                            td.num { (yuan(sku.floor_price_fen.0)) }
                            td.num.price { (yuan(sku.pool_price_fen.0)) }
                            td.num { (yuan(sku.retail_price_fen.0)) }
                            td.num { (percent(i64::from(sku.commission_bps.0))) }
                            td.num { (yuan(sku.commission_fen.0)) }
                            td.num { (sku.stock_total) }
                        }
                    }
                }
                p.muted { (page.t("提交时间 ", "Submitted ")) (when(sku.updated_at_ms)) }
                div.review-actions {
                    form.inline method="post" action={ "/operator/review/" (id) } {
                        (page.csrf_field())
                        input type="hidden" name="after" value=(after);
                        input type="hidden" name="decision" value="approve";
                        button.primary type="submit" data-approve=(id) { (page.t("通过", "Approve")) }
                    }
                    form.inline.reject method="post" action={ "/operator/review/" (id) } {
                        (page.csrf_field())
                        input type="hidden" name="after" value=(after);
                        input type="hidden" name="decision" value="reject";
                        input name="reason" maxlength="500"
                            placeholder=(page.t("驳回原因（必填）", "Why it is rejected (required)"));
                        button.danger type="submit" data-reject=(id) { (page.t("驳回", "Reject")) }
                    }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct ReviewForm {
    decision: String,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    after: Option<i64>,
}

pub async fn decide(
    page: Page,
    State(state): State<WebState>,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<ReviewForm>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Operator)?;
    let back = queue_at(form.after);
    let approve = match form.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => {
            return Ok(refuse(
                &back,
                "invalid_decision",
                "the decision is approve or reject",
            ))
        }
    };
    let result = state
        .services
        .review_sku(actor, SkuId(id), approve, form.reason)
        .await;
    let ok = if approve {
        page.t(
            "已通过，SKU 已进入商品池",
            "Approved: the SKU is in the pool",
        )
    } else {
        page.t("已驳回", "Rejected")
    };
    Ok(after_form(&back, result, ok))
}
