//! The catalogue: the supplier's SKUs searched and paged, its quality record, its
//! warehouses, the CSV import (uploaded by `supplier.js` with a progress bar), and each
//! SKU's page with its content, prices, stock per warehouse and price history.

use super::{
    decimal, hundredths, overview, rate, sku_status_badge, sku_status_label, today_from_ms,
};
use crate::page::{
    after_form, encode_component, now_ms, percent, redirect_with, when, yuan, CsrfChecked,
    CsrfForm, Flash, Page, PageError,
};
use crate::WebState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use daihuo_domain::account::Role;
use daihuo_domain::catalog::SkuStatus;
use daihuo_domain::quality::QualityRecord;
use daihuo_domain::stock::StockDecision;
use daihuo_domain::SkuId;
use daihuo_service::catalog::{
    Attribute, SkuInput, SkuView, StockUpdateInput, UpsertOutcome, WarehouseInput,
};
use daihuo_service::feed::FeedReport;
use daihuo_service::supplier_pages::CatalogueQuery;
use daihuo_service::{Actor, ServiceError};
use maud::{html, Markup};
use serde::Deserialize;

/// SKUs per catalogue page: a screenful of a desktop table.
const CATALOGUE_PAGE_SIZE: i64 = 50;
/// The header a feed report fragment carries, so `supplier.js` never mistakes another page
/// (a sign-in page after a redirect, say) for the report.
const FEED_REPORT_HEADER: &str = "x-feed-report";

#[derive(Deserialize)]
pub(super) struct CatalogueParams {
    /// Search text.
    q: Option<String>,
    /// A review status's stored name.
    status: Option<String>,
    /// The previous page's last SKU id.
    after: Option<i64>,
}

pub(super) async fn catalogue_page(
    State(state): State<WebState>,
    page: Page,
    Query(params): Query<CatalogueParams>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::SupplierStaff)?;
    let services = &state.services;
    let status = params.status.as_deref().and_then(SkuStatus::from_db);
    let text = params.q.clone().unwrap_or_default();
    let after = params.after.unwrap_or(0);
    let catalogue = services
        .search_supplier_catalogue(
            actor,
            CatalogueQuery {
                text: Some(text.clone()),
                status,
                after_id: after,
                limit: CATALOGUE_PAGE_SIZE,
            },
        )
        .await?;
    let warehouses = services.warehouses(actor).await?;
    let counts = services
        .supplier_overview(actor, today_from_ms(now_ms()))
        .await?;
    let quality = services
        .supplier_quality(actor, actor.require_supplier()?)
        .await?;
    let lang = page.lang;
    let status_name = status.map_or("", SkuStatus::as_str);
    let body = html! {
        h1 { (page.t("商品与仓库", "Catalogue and warehouses")) }
        (overview(&page, &counts))
        section.card #catalogue {
            div.spread {
                h2 { (page.t("商品", "SKUs")) }
                form.row.catalogue-search method="get" action="/supplier" {
                    input type="search" name="q" value=(text) maxlength="100"
                        placeholder=(page.t("编码、标题或品牌", "Code, title or brand"));
                    select name="status" {
                        option value="" selected[status.is_none()] { (page.t("全部状态", "Any status")) }
                        @for s in [SkuStatus::PendingReview, SkuStatus::Approved, SkuStatus::Rejected, SkuStatus::Delisted] {
                            option value=(s.as_str()) selected[status == Some(s)] { (sku_status_label(lang, s)) }
                        }
                    }
                    button type="submit" { (page.t("搜索", "Search")) }
                }
            }
            @if catalogue.items.is_empty() && (after > 0 || status.is_some() || !text.trim().is_empty()) {
                p.muted.empty { (page.t("没有符合条件的商品。", "No SKUs match.")) }
            } @else if catalogue.items.is_empty() {
                p.muted.empty { (page.t("还没有商品。用下面的 CSV 导入，或通过 API 上传。",
                    "No SKUs yet. Import a CSV below or upload through the API.")) }
            } @else {
                div.table-wrap {
                    table.catalogue {
                        thead { tr {
                            th { (page.t("编码", "Code")) }
                            th { (page.t("商品", "Title")) }
                            th { (page.t("状态", "Status")) }
                            th.num { (page.t("供货价", "Supply")) }
                            th.num { (page.t("直播价", "Pool price")) }
                            th.num { (page.t("佣金", "Commission")) }
                            th.num { (page.t("库存", "Stock")) }
                            th { (page.t("迟发 / 退货 / 投诉", "Late / returns / complaints")) }
                        } }
                        tbody {
                            @for sku in &catalogue.items {
                                tr data-sku=(sku.id.0) {
                                    td { code { (sku.sku_code) } }
                                    td { a href={ "/supplier/skus/" (sku.id.0) } { (sku.title) }
                                        br; span.muted { (sku.brand) } }
                                    td { (sku_status_badge(lang, sku.status))
                                        @if let Some(reason) = &sku.reject_reason {
                                            @if sku.status == SkuStatus::Rejected {
                                                br; span.muted.reason { (reason) }
                                            }
                                        }
                                    }
                                    td.num { (sku.supply_price_fen.map_or_else(String::new, |f| yuan(f.0))) }
                                    td.num { (yuan(sku.pool_price_fen.0)) }
                                    td.num { (percent(i64::from(sku.commission_bps.0)))
                                        br; span.muted { (yuan(sku.commission_fen.0)) } }
                                    td.num { (sku.stock_total) }
                                    td { (quality_cell(&page, sku.quality.as_ref())) }
                                }
                            }
                        }
                    }
                }
            }
            p.row {
                @if after > 0 {
                    a href={ "/supplier?q=" (encode_component(&text)) "&status=" (status_name) } {
                        (page.t("« 第一页", "« First page")) }
                }
                @if let Some(next) = catalogue.next_after {
                    a href={ "/supplier?q=" (encode_component(&text)) "&status=" (status_name) "&after=" (next) } {
                        (page.t("下一页 »", "Next page »")) }
                }
            }
        }
        div.two-columns {
            section.card #feed
                data-url="/supplier/feed"
                data-pick=(page.t("先选择一个 CSV 文件。", "Choose a CSV file first."))
                data-uploading=(page.t("上传中…", "Uploading…"))
                data-importing=(page.t("导入中…", "Importing…"))
                data-failed=(page.t("上传失败", "Upload failed")) {
                h2 { (page.t("CSV 导入", "CSV import")) }
                p.muted { (page.t(
                    "每行一个 SKU，首行为列名（spu_code、sku_code、title、brand、category_id、gtin、images、attributes、四个价格（分）、commission_bps，可选 warehouse_code、stock_quantity、stock_version）。好的行写入，坏的行按行号报告，不会写入一半。",
                    "One SKU per row under a header row (spu_code, sku_code, title, brand, category_id, gtin, images, attributes, the four prices in fen, commission_bps, and optionally warehouse_code, stock_quantity, stock_version). Good rows are written; bad rows are reported by line and nothing of them is written.")) }
                div.row {
                    input #feed-file type="file" accept=".csv,text/csv";
                    button.primary #feed-upload type="button" { (page.t("上传并导入", "Upload and import")) }
                }
                progress #feed-progress max="100" value="0" hidden {}
                p #feed-status role="status" {}
                div #feed-report {}
                noscript { p.muted { (page.t("上传需要 JavaScript；也可以用 API 的 /api/supplier/feeds 或 daihuo import。",
                    "Uploading needs JavaScript; the API's /api/supplier/feeds and daihuo import work too.")) } }
            }
            section.card #quality {
                h2 { (page.t("质量记录", "Quality record")) }
                (quality_summary(&page, &quality.record))
            }
        }
        section.card #warehouses {
            h2 { (page.t("仓库", "Warehouses")) }
            @if warehouses.is_empty() {
                p.muted { (page.t("还没有仓库：订单按买家最近的有货仓库发货，先添加一个。",
                    "No warehouses yet: orders ship from the nearest warehouse with stock, so add one first.")) }
            } @else {
                div.table-wrap {
                    table.warehouses {
                        thead { tr {
                            th { (page.t("编码", "Code")) }
                            th { (page.t("位置", "Location")) }
                            th { (page.t("名称与区县代码", "Name and county code")) }
                        } }
                        tbody {
                            @for warehouse in &warehouses {
                                tr data-warehouse=(warehouse.code) {
                                    td { code { (warehouse.code) } }
                                    td { (warehouse.location) br; span.muted { (warehouse.county_code) } }
                                    td {
                                        form.inline.warehouse-edit method="post" action="/supplier/warehouses" {
                                            (page.csrf_field())
                                            input type="hidden" name="code" value=(warehouse.code);
                                            input name="name" value=(warehouse.name) required maxlength="64"
                                                aria-label=(page.t("名称", "Name"));
                                            input name="county_code" value=(warehouse.county_code) required
                                                pattern="[0-9]{6}" size="6" aria-label=(page.t("区县代码", "County code"));
                                            button type="submit" { (page.t("保存", "Save")) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            h3 { (page.t("添加仓库", "Add a warehouse")) }
            form.row.warehouse-add method="post" action="/supplier/warehouses" {
                (page.csrf_field())
                label.inline { (page.t("编码", "Code"))
                    input name="code" required maxlength="64" pattern="[A-Za-z0-9_.\\-]+"; }
                label.inline { (page.t("名称", "Name"))
                    input name="name" required maxlength="64" placeholder=(page.t("杭州仓", "Hangzhou DC")); }
                label.inline { (page.t("区县代码 (GB/T 2260)", "County code (GB/T 2260)"))
                    input name="county_code" required pattern="[0-9]{6}" placeholder="330106"; }
                button.primary type="submit" { (page.t("添加", "Add")) }
            }
        }
        // The CSV import's uploader; the only script of the console.
        script src="/static/supplier.js" defer {}
    };
    Ok(page.render(page.t("商品", "Catalogue"), body))
}

/// A SKU's late, return and complaint rates in a table cell.
fn quality_cell(page: &Page, record: Option<&QualityRecord>) -> Markup {
    match record {
        None => html! { span.muted { "—" } },
        Some(record) => html! {
            span.quality {
                (rate(record.late_rate_bps)) " / " (rate(record.return_rate_bps)) " / "
                (rate(record.complaint_rate_bps))
            }
            @if !record.telling && record.counts.routed > 0 {
                br; span.muted { (page.t("订单尚少", "few orders yet")) }
            }
        },
    }
}

/// The supplier's whole record, as anchors see it in the selection centre.
fn quality_summary(page: &Page, record: &QualityRecord) -> Markup {
    let counts = &record.counts;
    html! {
        div.kpis {
            div.kpi { b { (rate(record.late_rate_bps)) } span { (page.t("迟发率", "Late rate")) } }
            div.kpi { b { (rate(record.return_rate_bps)) } span { (page.t("退货率", "Return rate")) } }
            div.kpi { b { (rate(record.complaint_rate_bps)) } span { (page.t("投诉率", "Complaint rate")) } }
        }
        p.muted {
            (page.t("已发往仓库", "Routed")) " " (counts.routed) " · "
            (page.t("已签收", "delivered")) " " (counts.delivered) " · "
            (page.t("迟发", "late")) " " (counts.late) " · "
            (page.t("退货", "returns")) " " (counts.returns) " · "
            (page.t("投诉", "complaints")) " " (counts.complaints)
        }
        @if !record.telling {
            p.muted { (page.t("订单少于 20 单时，比率还说明不了什么。", "Below 20 orders the rates tell little yet.")) }
        }
        p.muted { (page.t("主播在选品中心看到的就是这份记录。", "Anchors see this record in the selection centre.")) }
    }
}

pub(super) async fn save_warehouse(
    State(state): State<WebState>,
    page: Page,
    CsrfForm(form): CsrfForm<WarehouseInput>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::SupplierStaff)?;
    let result = state.services.upsert_warehouse(actor, form).await;
    Ok(after_form(
        "/supplier#warehouses",
        result,
        page.t("仓库已保存", "Warehouse saved"),
    ))
}

/// Imports the CSV in the body and answers the report as an HTML fragment for
/// `supplier.js` to show.
pub(super) async fn upload_feed(
    State(state): State<WebState>,
    page: Page,
    _csrf: CsrfChecked,
    body: Bytes,
) -> Result<Response, PageError> {
    let actor = page.require(Role::SupplierStaff)?;
    let (status, fragment) = match state
        .services
        .import_feed(actor, body.as_ref(), |_| {})
        .await
    {
        Ok(report) => (StatusCode::OK, feed_report(&page, &report)),
        Err(error @ ServiceError::Internal(_)) => return Err(error.into()),
        Err(error) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            html! { p.flash.error role="alert" { (error.to_string()) " " code { (error.code()) } } },
        ),
    };
    Ok((
        status,
        [
            (CONTENT_TYPE, "text/html; charset=utf-8"),
            (CACHE_CONTROL, "no-store"),
            (axum::http::HeaderName::from_static(FEED_REPORT_HEADER), "1"),
        ],
        fragment.into_string(),
    )
        .into_response())
}

/// What an import did: counts, then every refused row listed by line with its code.
fn feed_report(page: &Page, report: &FeedReport) -> Markup {
    let listed = report.errors.len() as u64;
    html! {
        div.feed-summary data-rows=(report.rows) data-rejected=(report.rejected) {
            p.flash.ok[report.rejected == 0] role="status" {
                (page.t("读取", "Read")) " " b { (report.rows) } " " (page.t("行：", "rows: "))
                (page.t("新建", "created")) " " b.created { (report.created) } " · "
                (page.t("更新", "updated")) " " b.updated { (report.updated) } " · "
                (page.t("未变", "unchanged")) " " b.unchanged { (report.unchanged) } " · "
                (page.t("拒绝", "rejected")) " " b.rejected { (report.rejected) }
            }
            @if report.created + report.updated > 0 {
                p.muted { (page.t("新商品和改了内容的商品要等运营审核后才进入货盘。",
                    "New SKUs and SKUs whose content changed enter the pool once an operator approves them.")) }
            }
            @if !report.errors.is_empty() {
                div.table-wrap {
                    table.feed-errors {
                        thead { tr {
                            th.num { (page.t("行", "Line")) }
                            th { (page.t("SKU 编码", "SKU code")) }
                            th { (page.t("错误码", "Code")) }
                            th { (page.t("原因", "Why")) }
                        } }
                        tbody {
                            @for result in &report.errors {
                                @if let Some(error) = &result.error {
                                    tr data-line=(result.row) {
                                        td.num { (result.row) }
                                        td { code { (result.sku_code) } }
                                        td { code.error-code { (error.code) } }
                                        td { (error.message) }
                                    }
                                }
                            }
                        }
                    }
                }
                @if report.rejected > listed {
                    p.muted { (page.t("只列出前 1000 个被拒绝的行。", "Only the first 1,000 refused rows are listed.")) }
                }
            }
        }
    }
}

/// SKU `id` if it is the actor's organisation's; another supplier's is `not_found`, even an
/// approved one the pool shows.
async fn own_sku(state: &WebState, actor: &Actor, id: SkuId) -> Result<SkuView, PageError> {
    let sku = state.services.sku(actor, id).await?;
    if actor.supplier_id != Some(sku.supplier_id) {
        return Err(ServiceError::NotFound("sku").into());
    }
    Ok(sku)
}

pub(super) async fn sku_page(
    State(state): State<WebState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::SupplierStaff)?;
    let services = &state.services;
    let sku = own_sku(&state, actor, SkuId(id)).await?;
    let stock = services.sku_stock(actor, sku.id).await?;
    let warehouses = services.warehouses(actor).await?;
    let history = services.price_history(actor, sku.id).await?;
    let lang = page.lang;
    let images = sku.images.join("\n");
    let attributes = sku
        .attributes
        .iter()
        .map(|a| format!("{}={}", a.name, a.value))
        .collect::<Vec<_>>()
        .join("\n");
    let action = format!("/supplier/skus/{}", sku.id.0);
    let body = html! {
        p { a href="/supplier" { (page.t("← 商品", "← Catalogue")) } }
        h1 { (sku.title) }
        p.row {
            (sku_status_badge(lang, sku.status))
            code { (sku.sku_code) }
            span.muted { "SPU " (sku.spu_code) }
            span.muted { (sku.category_path) }
        }
        @if sku.status == SkuStatus::Rejected {
            @if let Some(reason) = &sku.reject_reason {
                p.flash.error { (page.t("驳回原因：", "Rejected because: ")) (reason) }
            }
        }
        @if !sku.images.is_empty() {
            div.sku-thumbs {
                @for url in &sku.images {
                    a href=(url) target="_blank" rel="noopener noreferrer" { img src=(url) alt="" loading="lazy"; }
                }
            }
        }
        div.two-columns {
            section.card #edit {
                h2 { (page.t("内容与价格", "Content and prices")) }
                form.sku-edit method="post" action=(action) {
                    (page.csrf_field())
                    label { (page.t("标题", "Title")) input name="title" value=(sku.title) required maxlength="200"; }
                    label { (page.t("品牌", "Brand")) input name="brand" value=(sku.brand) required maxlength="64"; }
                    label { (page.t("类目（Google 商品分类 id）", "Category (Google product taxonomy id)"))
                        input name="category_id" value=(sku.category_id) required inputmode="numeric"; }
                    label { "GTIN" input name="gtin" value=(sku.gtin.as_deref().unwrap_or("")) inputmode="numeric"; }
                    label { (page.t("图片（每行一个网址）", "Images (one URL a line)"))
                        textarea name="images" rows="3" { (images) } }
                    label { (page.t("属性（每行一个 名称=值）", "Attributes (one name=value a line)"))
                        textarea name="attributes" rows="3" { (attributes) } }
                    fieldset.prices {
                        legend { (page.t("价格（元）与佣金", "Prices (yuan) and commission")) }
                        label.inline { (page.t("供货价", "Supply"))
                            input name="supply" value=(decimal(sku.supply_price_fen.map_or(0, |f| f.0))) required inputmode="decimal" size="10"; }
                        label.inline { (page.t("最低价", "Floor"))
                            input name="floor" value=(decimal(sku.floor_price_fen.0)) required inputmode="decimal" size="10"; }
                        label.inline { (page.t("直播价", "Pool"))
                            input name="pool" value=(decimal(sku.pool_price_fen.0)) required inputmode="decimal" size="10"; }
                        label.inline { (page.t("建议零售价", "Retail"))
                            input name="retail" value=(decimal(sku.retail_price_fen.0)) required inputmode="decimal" size="10"; }
                        label.inline { (page.t("佣金 %", "Commission %"))
                            input name="commission" value=(decimal(i64::from(sku.commission_bps.0))) required inputmode="decimal" size="6"; }
                    }
                    p.muted { (page.t("规则：供货价 < 最低价 ≤ 直播价 ≤ 建议零售价；佣金在平台范围内且不超过毛利。改内容会重新送审，改价不会，但会记入价格历史。",
                        "Rules: supply < floor ≤ pool ≤ retail; commission within the platform's range and no more than the margin. Changing content sends the SKU back to review; changing prices does not, and is kept in the price history.")) }
                    button.primary type="submit" { (page.t("保存", "Save")) }
                }
            }
            section.card #stock {
                h2 { (page.t("各仓库存", "Stock per warehouse")) }
                p { (page.t("合计", "Total")) " " b { (sku.stock_total) } }
                @if warehouses.is_empty() {
                    p.muted { a href="/supplier#warehouses" { (page.t("先添加仓库。", "Add a warehouse first.")) } }
                }
                @for warehouse in &warehouses {
                    @let current = stock.iter().find(|s| s.warehouse_code == warehouse.code);
                    @let version = current.map_or(0, |s| s.version);
                    form.stock-set method="post" action={ (action) "/stock" } data-stock=(warehouse.code) {
                        (page.csrf_field())
                        input type="hidden" name="warehouse_code" value=(warehouse.code);
                        // The supplier's version: one past what is stored, so this level replaces it.
                        input type="hidden" name="version" value=(version + 1);
                        label.inline {
                            span { (warehouse.name) " " code { (warehouse.code) } }
                            input name="quantity" type="number" min="0" required
                                value=(current.map_or(0, |s| s.quantity));
                        }
                        button type="submit" { (page.t("设置", "Set")) }
                        span.muted { (page.t("版本", "version")) " " (version) }
                    }
                }
            }
        }
        section.card #price-history {
            h2 { (page.t("价格历史", "Price history")) }
            div.table-wrap {
                table {
                    thead { tr {
                        th { (page.t("时间", "When")) }
                        th.num { (page.t("供货价", "Supply")) }
                        th.num { (page.t("最低价", "Floor")) }
                        th.num { (page.t("直播价", "Pool")) }
                        th.num { (page.t("建议零售价", "Retail")) }
                        th.num { (page.t("佣金", "Commission")) }
                    } }
                    tbody {
                        @for change in history.iter().rev() {
                            tr {
                                td { (when(change.changed_at_ms)) }
                                td.num { (yuan(change.supply_price_fen.0)) }
                                td.num { (yuan(change.floor_price_fen.0)) }
                                td.num { (yuan(change.pool_price_fen.0)) }
                                td.num { (yuan(change.retail_price_fen.0)) }
                                td.num { (percent(i64::from(change.commission_bps.0))) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page.render(&sku.title, body))
}

/// The SKU form: content as typed, prices in yuan, commission in percent.
#[derive(Deserialize)]
pub(super) struct SkuForm {
    title: String,
    brand: String,
    category_id: String,
    #[serde(default)]
    gtin: String,
    #[serde(default)]
    images: String,
    #[serde(default)]
    attributes: String,
    supply: String,
    floor: String,
    pool: String,
    retail: String,
    commission: String,
}

/// A refusal of a field before the service sees it, with the feed's codes for the same
/// mistakes.
fn field_error(code: &str, message: String) -> Flash {
    Flash::Error {
        code: code.to_owned(),
        message,
    }
}

/// The form as the upsert's input for `current` (its codes do not change here).
fn sku_input(current: &SkuView, form: &SkuForm) -> Result<SkuInput, Flash> {
    let amount = |name: &str, raw: &str| {
        hundredths(raw).ok_or_else(|| {
            field_error(
                "invalid_number",
                format!("{name} must be a number with at most two decimals, not {raw:?}"),
            )
        })
    };
    let category_id = form.category_id.trim().parse::<u32>().map_err(|_| {
        field_error(
            "unknown_category",
            format!("category must be a taxonomy id, not {:?}", form.category_id),
        )
    })?;
    let attributes = form
        .attributes
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| match line.split_once('=') {
            Some((name, value)) => Ok(Attribute {
                name: name.trim().to_owned(),
                value: value.trim().to_owned(),
            }),
            None => Err(field_error(
                "invalid_attributes",
                format!("attribute {line:?} must be name=value"),
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(SkuInput {
        spu_code: current.spu_code.clone(),
        sku_code: current.sku_code.clone(),
        title: form.title.clone(),
        brand: form.brand.clone(),
        category_id,
        gtin: Some(form.gtin.trim().to_owned()).filter(|g| !g.is_empty()),
        images: form
            .images
            .lines()
            .map(str::trim)
            .filter(|url| !url.is_empty())
            .map(str::to_owned)
            .collect(),
        attributes,
        supply_price_fen: amount("supply price", &form.supply)?,
        pool_price_fen: amount("pool price", &form.pool)?,
        floor_price_fen: amount("floor price", &form.floor)?,
        retail_price_fen: amount("retail price", &form.retail)?,
        commission_bps: amount("commission", &form.commission)?,
        stock: Vec::new(),
    })
}

pub(super) async fn save_sku(
    State(state): State<WebState>,
    page: Page,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<SkuForm>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::SupplierStaff)?;
    let current = own_sku(&state, actor, SkuId(id)).await?;
    let back = format!("/supplier/skus/{id}");
    let input = match sku_input(&current, &form) {
        Ok(input) => input,
        Err(flash) => return Ok(redirect_with(&back, flash)),
    };
    // The same upsert as the API's and the feed's: every rule is the service's.
    let report = match state.services.upsert_skus(actor, vec![(0, input)]).await {
        Ok(report) => report,
        Err(error) => return Ok(redirect_with(&back, Flash::from_error(&error))),
    };
    let flash = match report.results.first() {
        Some(result) => match (&result.error, result.outcome) {
            (Some(error), _) => field_error(&error.code, error.message.clone()),
            (None, UpsertOutcome::Unchanged) => {
                Flash::Ok(page.t("没有改动", "Nothing changed").to_owned())
            }
            (None, _)
                if result.status == Some(SkuStatus::PendingReview)
                    && current.status != SkuStatus::PendingReview =>
            {
                Flash::Ok(
                    page.t(
                        "已保存；内容有改动，已重新送审",
                        "Saved; the content changed, so it went back to review",
                    )
                    .to_owned(),
                )
            }
            (None, _) => Flash::Ok(page.t("已保存", "Saved").to_owned()),
        },
        None => Flash::from_error(&ServiceError::NotFound("sku")),
    };
    Ok(redirect_with(&back, flash))
}

#[derive(Deserialize)]
pub(super) struct StockForm {
    warehouse_code: String,
    quantity: String,
    version: String,
}

pub(super) async fn set_stock(
    State(state): State<WebState>,
    page: Page,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<StockForm>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::SupplierStaff)?;
    let sku = own_sku(&state, actor, SkuId(id)).await?;
    let back = format!("/supplier/skus/{id}#stock");
    let (Ok(quantity), Ok(version)) = (
        form.quantity.trim().parse::<i64>(),
        form.version.trim().parse::<i64>(),
    ) else {
        return Ok(redirect_with(
            &back,
            field_error(
                "invalid_number",
                format!("quantity must be a whole number, not {:?}", form.quantity),
            ),
        ));
    };
    let result = state
        .services
        .update_stock(
            actor,
            vec![StockUpdateInput {
                sku_code: sku.sku_code,
                warehouse_code: form.warehouse_code,
                quantity,
                version,
            }],
        )
        .await;
    let flash = match result.as_ref().map(|results| results.first()) {
        Err(error) => Flash::from_error(error),
        Ok(None) => Flash::from_error(&ServiceError::NotFound("warehouse")),
        Ok(Some(outcome)) => match (&outcome.error, outcome.decision) {
            (Some(error), _) => field_error(&error.code, error.message.clone()),
            (None, Some(StockDecision::Apply)) => {
                Flash::Ok(page.t("库存已更新", "Stock updated").to_owned())
            }
            (None, Some(StockDecision::Replay)) => {
                Flash::Ok(page.t("库存没有变化", "Stock unchanged").to_owned())
            }
            (None, Some(StockDecision::Stale) | None) => field_error(
                "stale",
                "the stock changed since this page was shown; reload it and set the level again"
                    .to_owned(),
            ),
        },
    };
    Ok(redirect_with(&back, flash))
}
