//! `/anchor/selection`: the selection centre. Search the approved pool in Chinese or English
//! with the pool search's filters, sort and paging; see each SKU's price, commission, stock
//! and quality record; put SKUs on the shelf and take them off again.

use super::{answer, back_to, bad_field, parse_yuan};
use crate::page::{percent, redirect_with, yuan, CsrfForm, Page, PageError};
use crate::WebState;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use daihuo_domain::account::Role;
use daihuo_domain::quality::{QualityRecord, ORDERS_FOR_A_RATE};
use daihuo_domain::SkuId;
use daihuo_refdata::taxonomy;
use daihuo_service::catalog::SkuView;
use daihuo_service::selection::{PoolSearch, SortKey, PAGE_SIZE_DEFAULT};
use maud::{html, Markup};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// The search form as the browser sends it: every field text, because an empty input
/// arrives as an empty string, not as a missing field.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub(super) struct SearchForm {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    q: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    category_id: Option<String>,
    /// Lowest pool price, yuan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    price_min: Option<String>,
    /// Highest pool price, yuan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    price_max: Option<String>,
    /// Lowest commission, percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    commission_min: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    in_stock: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    brand: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sort: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    offset: Option<String>,
}

/// A field of the form that is not empty.
fn filled(field: &Option<String>) -> Option<&str> {
    field.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl SearchForm {
    /// The pool search this form asks for, or the field that could not be read.
    fn search(&self) -> Result<PoolSearch, (&'static str, &'static str)> {
        let category_id = filled(&self.category_id)
            .map(|raw| {
                raw.parse::<u32>()
                    .map_err(|_| ("unknown_category", "category"))
            })
            .transpose()?;
        let price = |field: &Option<String>| {
            filled(field)
                .map(|raw| parse_yuan(raw).ok_or(("invalid_price", "price")))
                .transpose()
        };
        let commission_min_bps = filled(&self.commission_min)
            .map(|raw| {
                parse_yuan(raw)
                    // Percent with two decimals reads like yuan: 12.5% is 1,250 bps.
                    .and_then(|hundredths| u32::try_from(hundredths).ok())
                    .filter(|bps| *bps <= 10_000)
                    .ok_or(("invalid_commission", "commission"))
            })
            .transpose()?;
        let sort = match filled(&self.sort) {
            None | Some("commission") => SortKey::Commission,
            Some("price_asc") => SortKey::PriceAsc,
            Some("price_desc") => SortKey::PriceDesc,
            Some("sales") => SortKey::Sales,
            Some("newest") => SortKey::Newest,
            Some(_) => return Err(("invalid_sort", "sort")),
        };
        let offset = filled(&self.offset)
            .map(|raw| raw.parse::<i64>().map_err(|_| ("invalid_offset", "offset")))
            .transpose()?;
        Ok(PoolSearch {
            q: filled(&self.q).map(str::to_owned),
            category_id,
            price_min_fen: price(&self.price_min)?,
            price_max_fen: price(&self.price_max)?,
            commission_min_bps,
            in_stock: Some(filled(&self.in_stock).is_some()),
            brand: filled(&self.brand).map(str::to_owned),
            sort: Some(sort),
            limit: Some(PAGE_SIZE_DEFAULT),
            offset,
        })
    }

    /// This search's URL at another offset.
    fn at_offset(&self, offset: i64) -> String {
        let mut form = self.clone();
        form.offset = (offset > 0).then(|| offset.to_string());
        let query = serde_urlencoded::to_string(&form).unwrap_or_default();
        if query.is_empty() {
            "/anchor/selection".to_owned()
        } else {
            format!("/anchor/selection?{query}")
        }
    }
}

pub(super) async fn show(
    State(state): State<WebState>,
    page: Page,
    Query(form): Query<SearchForm>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Anchor)?;
    let services = &state.services;
    let shelf = services.shelf(actor).await?;
    let on_shelf: HashSet<SkuId> = shelf.iter().map(|sku| sku.id).collect();
    let searched = match form.search() {
        Ok(search) => {
            let offset = search.offset.unwrap_or(0);
            services
                .search_pool(actor, search)
                .await
                .map(|found| (found, offset))
                .map_err(|error| (error.code().to_owned(), error.to_string()))
        }
        Err((code, field)) => Err((
            code.to_owned(),
            format!("{field}: {}", page.t("无法识别", "not understood")),
        )),
    };
    let back = page.path.clone();

    Ok(page.render(
        page.t("选品中心", "Selection centre"),
        html! {
            div.anchor {
                h1 { (page.t("选品中心", "Selection centre")) }
                (search_form(&page, &form))
                @match &searched {
                    Err((code, message)) => p.flash.error role="alert" { (message) " " code { (code) } },
                    Ok((found, offset)) => {
                        @if found.items.is_empty() {
                            p.muted #no-results { (page.t("没有符合条件的商品。", "No SKU matches.")) }
                        } @else {
                            div.table-wrap {
                                table.pool #pool-results {
                                    (sku_head(&page))
                                    tbody {
                                        @for sku in &found.items {
                                            tr data-sku-id=(sku.id) {
                                                (sku_cells(&page, sku))
                                                td {
                                                    @if on_shelf.contains(&sku.id) {
                                                        span.badge.ok { (page.t("已在货架", "On my shelf")) }
                                                    } @else {
                                                        form.inline method="post" action="/anchor/shelf" {
                                                            (page.csrf_field())
                                                            input type="hidden" name="sku_id" value=(sku.id);
                                                            input type="hidden" name="back" value=(back);
                                                            button.primary type="submit" data-shelve=(sku.id) {
                                                                (page.t("加入货架", "Add to shelf"))
                                                            }
                                                        }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                        div.spread.pager {
                            @if *offset > 0 {
                                a href=(form.at_offset((offset - PAGE_SIZE_DEFAULT).max(0))) { "← " (page.t("上一页", "Previous")) }
                            } @else { span {} }
                            @if let Some(next) = found.next_offset {
                                a href=(form.at_offset(next)) { (page.t("下一页", "Next")) " →" }
                            }
                        }
                    },
                }
                section.card #my-shelf {
                    h2 { (page.t("我的货架", "My shelf")) " " span.muted { "(" (shelf.len()) ")" } }
                    @if shelf.is_empty() {
                        p.muted { (page.t("货架是空的：从上面的搜索结果加入商品。", "Your shelf is empty: add SKUs from the results above.")) }
                    } @else {
                        div.table-wrap {
                            table.shelf-table {
                                (sku_head(&page))
                                tbody {
                                    @for sku in &shelf {
                                        tr data-sku-id=(sku.id) {
                                            (sku_cells(&page, sku))
                                            td {
                                                form.inline method="post" action="/anchor/shelf/remove" {
                                                    (page.csrf_field())
                                                    input type="hidden" name="sku_id" value=(sku.id);
                                                    input type="hidden" name="back" value=(back);
                                                    button.danger type="submit" data-unshelve=(sku.id) {
                                                        (page.t("移出货架", "Remove"))
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    ))
}

/// The search form, filled with what was asked.
fn search_form(page: &Page, form: &SearchForm) -> Markup {
    let value = |field: &Option<String>| field.clone().unwrap_or_default();
    let sort = filled(&form.sort).unwrap_or("commission");
    let category = filled(&form.category_id).and_then(|raw| raw.parse::<u32>().ok());
    let sorts = [
        ("commission", page.t("佣金从高到低", "Highest commission")),
        ("sales", page.t("近期销量", "Best selling")),
        ("price_asc", page.t("价格从低到高", "Price: low to high")),
        ("price_desc", page.t("价格从高到低", "Price: high to low")),
        ("newest", page.t("最新上架", "Newest")),
    ];
    html! {
        form.card.search-form #pool-search method="get" action="/anchor/selection" {
            div.filters {
                label.wide { (page.t("搜索（中文或英文）", "Search (Chinese or English)"))
                    input type="search" name="q" value=(value(&form.q)) placeholder=(page.t("如：空调、air conditioner", "e.g. 空调, air conditioner")) maxlength="100"; }
                label { (page.t("类目", "Category"))
                    (category_select(page, category)) }
                label { (page.t("品牌", "Brand")) input name="brand" value=(value(&form.brand)); }
                label { (page.t("最低价（元）", "Min price (yuan)")) input name="price_min" inputmode="decimal" value=(value(&form.price_min)); }
                label { (page.t("最高价（元）", "Max price (yuan)")) input name="price_max" inputmode="decimal" value=(value(&form.price_max)); }
                label { (page.t("最低佣金（%）", "Min commission (%)")) input name="commission_min" inputmode="decimal" value=(value(&form.commission_min)); }
                label { (page.t("排序", "Sort"))
                    select name="sort" {
                        @for (key, label) in sorts {
                            option value=(key) selected[sort == key] { (label) }
                        }
                    }
                }
                label.inline { input type="checkbox" name="in_stock" value="1" checked[filled(&form.in_stock).is_some()]; (page.t("只看有货", "In stock only")) }
            }
            button.primary type="submit" { (page.t("搜索", "Search")) }
            " "
            a href="/anchor/selection" { (page.t("清除条件", "Clear")) }
        }
    }
}

/// The category filter: every top-level category and the level below it; a deeper one that
/// was asked for is offered too, so the form shows what was searched.
fn category_select(page: &Page, chosen: Option<u32>) -> Markup {
    let tree = taxonomy::taxonomy();
    let deeper = chosen
        .and_then(|id| tree.get(id))
        .filter(|category| category.depth > 2);
    html! {
        select name="category_id" {
            option value="" { (page.t("全部类目", "All categories")) }
            @if let Some(category) = deeper {
                option value=(category.id) selected { (category.path) }
            }
            @for top in tree.top_level() {
                @if let Some(category) = tree.get(top) {
                    optgroup label=(category.name) {
                        option value=(category.id) selected[chosen == Some(category.id)] { (category.name) }
                        @for child in tree.children(top) {
                            @if let Some(sub) = tree.get(*child) {
                                option value=(sub.id) selected[chosen == Some(sub.id)] { "— " (sub.name) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn sku_head(page: &Page) -> Markup {
    html! {
        thead { tr {
            th { (page.t("商品", "SKU")) }
            th.num { (page.t("标准价", "Pool price")) }
            th.num { (page.t("最低价", "Floor")) }
            th.num { (page.t("佣金", "Commission")) }
            th.num { (page.t("库存", "Stock")) }
            th { (page.t("质量记录", "Quality record")) }
            th {}
        } }
    }
}

fn sku_cells(page: &Page, sku: &SkuView) -> Markup {
    html! {
        td.sku {
            div.sku-line {
                @if let Some(image) = sku.images.first() {
                    img src=(image) alt="" loading="lazy" width="48" height="48";
                }
                div {
                    strong.sku-title { (sku.title) }
                    div.muted { (sku.brand) " · " (sku.supplier_name) }
                    div.muted.category { (sku.category_path) }
                }
            }
        }
        td.num { span.price { (yuan(sku.pool_price_fen.0)) } }
        td.num { (yuan(sku.floor_price_fen.0)) }
        td.num { (percent(i64::from(sku.commission_bps.0))) div.muted { (yuan(sku.commission_fen.0)) } }
        td.num {
            @if sku.stock_total > 0 { (sku.stock_total) } @else { span.badge.bad { (page.t("无货", "Out of stock")) } }
        }
        td.quality { (quality(page, sku.quality.as_ref())) }
    }
}

/// A quality record: return, complaint and late rates, and whether there are enough orders
/// for them to tell anything.
fn quality(page: &Page, record: Option<&QualityRecord>) -> Markup {
    let rate = |bps: Option<u32>| bps.map_or_else(|| "—".to_owned(), |b| percent(i64::from(b)));
    match record {
        None => html! { span.muted { "—" } },
        Some(record) => html! {
            div.rates {
                span { (page.t("退货 ", "Returns ")) (rate(record.return_rate_bps)) }
                span { (page.t("投诉 ", "Complaints ")) (rate(record.complaint_rate_bps)) }
                span { (page.t("迟发 ", "Late ")) (rate(record.late_rate_bps)) }
            }
            @if record.telling {
                div.muted { (record.counts.routed) (page.t(" 单", " orders")) }
            } @else {
                span.badge.warn title=(page.t("订单少于 20 单，比率暂不具参考性", "Fewer than 20 orders: the rates do not tell much yet")) {
                    (page.t("样本不足", "Not telling yet")) " (" (record.counts.routed) "/" (ORDERS_FOR_A_RATE) ")"
                }
            }
        },
    }
}

/// A shelf form: the SKU and the page to go back to.
#[derive(Deserialize)]
pub(super) struct ShelfForm {
    sku_id: String,
    back: Option<String>,
}

impl ShelfForm {
    /// Back to the selection page the form was on, never anywhere else.
    fn back(&self) -> String {
        back_to(
            self.back.as_deref(),
            "/anchor/selection",
            "/anchor/selection",
        )
    }

    fn sku(&self) -> Option<SkuId> {
        self.sku_id.trim().parse().ok().map(SkuId)
    }
}

pub(super) async fn shelve(
    State(state): State<WebState>,
    page: Page,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<ShelfForm>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Anchor)?;
    let back = form.back();
    let Some(sku) = form.sku() else {
        return Ok(redirect_with(
            &back,
            bad_field("bad_form", format!("not a SKU id: {}", form.sku_id)),
        ));
    };
    let result = state.services.shelve(actor, sku).await;
    Ok(answer(
        &headers,
        &back,
        result,
        page.t("已加入货架", "Added to your shelf"),
    ))
}

pub(super) async fn unshelve(
    State(state): State<WebState>,
    page: Page,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<ShelfForm>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Anchor)?;
    let back = form.back();
    let Some(sku) = form.sku() else {
        return Ok(redirect_with(
            &back,
            bad_field("bad_form", format!("not a SKU id: {}", form.sku_id)),
        ));
    };
    let result = state.services.unshelve(actor, sku).await;
    Ok(answer(
        &headers,
        &back,
        result,
        page.t("已移出货架", "Removed from your shelf"),
    ))
}
