//! `/supplier/c2m`: the C2M export of the supplier's own SKUs over a recent period — units
//! buyers kept (paid less refunded) by price band, by province and by SKU attribute — with
//! the finest cut (attribute × price band × province) as a CSV download for manufacturers.

use super::{today_from_ms, DAY_MS};
use crate::chart;
use crate::page::{now_ms, yuan, Lang, Page, PageError};
use crate::WebState;
use axum::extract::{Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use daihuo_domain::account::Role;
use daihuo_domain::c2m::{Figures, PriceBand};
use daihuo_service::c2m::C2mExport;
use maud::{html, Markup};
use serde::Deserialize;

/// The periods offered, in days back from now (today counts as one); the longest is within
/// the export's 92-day limit.
const PERIODS_DAYS: [i64; 4] = [1, 7, 30, 90];
/// The period shown unless another is asked for.
const DEFAULT_PERIOD_DAYS: i64 = 30;
/// Attribute rows listed on the page, most units first; the CSV has them all.
const ATTRIBUTES_SHOWN_MAX: usize = 100;

#[derive(Deserialize)]
pub(super) struct PeriodParams {
    /// Days back from now, one of [`PERIODS_DAYS`].
    days: Option<i64>,
}

impl PeriodParams {
    fn days(&self) -> i64 {
        self.days
            .filter(|d| PERIODS_DAYS.contains(d))
            .unwrap_or(DEFAULT_PERIOD_DAYS)
    }

    /// The period: from midnight in China `days − 1` days before today's, to now.
    fn bounds(&self) -> (i64, i64) {
        let now = now_ms();
        (today_from_ms(now) - (self.days() - 1) * DAY_MS, now + 1)
    }
}

fn period_label(lang: Lang, days: i64) -> String {
    match (lang, days) {
        (Lang::Zh, 1) => "今天".to_owned(),
        (Lang::En, 1) => "Today".to_owned(),
        (Lang::Zh, d) => format!("最近 {d} 天"),
        (Lang::En, d) => format!("Last {d} days"),
    }
}

fn band_label(band: PriceBand) -> String {
    match band.to_fen() {
        Some(to) => format!("¥{}–{}", band.from_fen().0 / 100, to.0 / 100),
        None => format!("¥{}+", band.from_fen().0 / 100),
    }
}

/// The figures' cells of a table row.
fn figure_cells(figures: &Figures) -> Markup {
    html! {
        td.num data-units { (figures.units) }
        td.num { (figures.paid_units) }
        td.num { (figures.refunded_units) }
        td.num { (figures.orders) }
        td.num { (yuan(figures.gmv_fen)) }
    }
}

fn figure_heads(page: &Page) -> Markup {
    html! {
        th.num { (page.t("净件数", "Units kept")) }
        th.num { (page.t("付款件数", "Units paid")) }
        th.num { (page.t("退款件数", "Units refunded")) }
        th.num { (page.t("订单", "Orders")) }
        th.num { (page.t("净成交额", "Net GMV")) }
    }
}

fn export_body(page: &Page, export: &C2mExport) -> Markup {
    let mut attributes: Vec<_> = export.by_attribute.iter().collect();
    attributes.sort_by_key(|row| std::cmp::Reverse(row.figures.units));
    let bands: Vec<(String, f64)> = export
        .by_price_band
        .iter()
        .map(|row| (band_label(row.price_band), row.figures.units as f64))
        .collect();
    html! {
        div.kpis #c2m-totals {
            div.kpi { b data-total="units" { (export.totals.units) } span { (page.t("净件数", "Units kept")) } }
            div.kpi { b data-total="paid_units" { (export.totals.paid_units) } span { (page.t("付款件数", "Units paid")) } }
            div.kpi { b data-total="refunded_units" { (export.totals.refunded_units) } span { (page.t("退款件数", "Units refunded")) } }
            div.kpi { b data-total="gmv" { (yuan(export.totals.gmv_fen)) } span { (page.t("净成交额", "Net GMV")) } }
        }
        @if export.totals.paid_units == 0 {
            p.muted.empty { (page.t("这段时间没有付款订单。", "No paid orders in this period.")) }
        } @else {
            (chart::bars(page.t("各价格带净件数", "Units kept per price band"), &bands))
            section.card #c2m-bands {
                h2 { (page.t("按价格带（每件成交价）", "By price band (price paid per unit)")) }
                div.table-wrap { table {
                    thead { tr { th { (page.t("价格带", "Band")) } (figure_heads(page)) } }
                    tbody { @for row in &export.by_price_band {
                        tr data-band=(row.price_band.code()) { td { (band_label(row.price_band)) } (figure_cells(&row.figures)) }
                    } }
                } }
            }
            section.card #c2m-provinces {
                h2 { (page.t("按买家省份", "By buyers' province")) }
                div.table-wrap { table {
                    thead { tr { th { (page.t("省份", "Province")) } (figure_heads(page)) } }
                    tbody { @for row in &export.by_province {
                        tr data-province=(row.province_code) {
                            td { @if row.province_name.is_empty() { (page.t("未知", "Unknown")) } @else { (row.province_name) } }
                            (figure_cells(&row.figures))
                        }
                    } }
                } }
            }
            section.card #c2m-attributes {
                h2 { (page.t("按商品属性", "By SKU attribute")) }
                p.muted { (page.t("同一属性名下各取值相加，等于带该属性的商品的需求。",
                    "For each attribute name, its values add up to the demand for the SKUs that carry it.")) }
                div.table-wrap { table {
                    thead { tr { th { (page.t("属性", "Attribute")) } th { (page.t("取值", "Value")) } (figure_heads(page)) } }
                    tbody { @for row in attributes.iter().take(ATTRIBUTES_SHOWN_MAX) {
                        tr data-attribute=(row.attribute_name.as_deref().unwrap_or("")) data-value=(row.attribute_value.as_deref().unwrap_or("")) {
                            td { (row.attribute_name.as_deref().unwrap_or(page.t("（无属性）", "(none)"))) }
                            td { (row.attribute_value.as_deref().unwrap_or("")) }
                            (figure_cells(&row.figures))
                        }
                    } }
                } }
                @if attributes.len() > ATTRIBUTES_SHOWN_MAX {
                    p.muted { (page.t("只显示件数最多的 100 行；CSV 有全部。", "Only the 100 rows with the most units are shown; the CSV has them all.")) }
                }
            }
        }
        p.muted { (page.t("统计所选期间内付款的订单，减去至今已退款的件数；价格带按每件成交价（补贴前）。",
            "Orders paid in the period, less the units refunded since; price bands by the price paid per unit (before subsidy).")) }
    }
}

pub(super) async fn c2m_page(
    State(state): State<WebState>,
    page: Page,
    Query(params): Query<PeriodParams>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::SupplierStaff)?;
    let days = params.days();
    let (from, to) = params.bounds();
    let export = state
        .services
        .c2m_export(actor, None, Some(from), Some(to))
        .await;
    let body = html! {
        div.spread {
            h1 { (page.t("C2M 需求", "C2M demand")) }
            form.row.c2m-period method="get" action="/supplier/c2m" {
                select name="days" aria-label=(page.t("期间", "Period")) {
                    @for d in PERIODS_DAYS {
                        option value=(d) selected[d == days] { (period_label(page.lang, d)) }
                    }
                }
                button type="submit" { (page.t("查看", "Show")) }
                a.button href={ "/supplier/c2m.csv?days=" (days) } download { (page.t("下载 CSV", "Download CSV")) }
            }
        }
        p.muted { (page.t("按属性、价格带和地区汇总买家的需求，供工厂按需生产（C2M）。",
            "Buyers' demand by attribute, price band and region, for manufacturers to make to demand (C2M).")) }
        @match &export {
            Err(error) => p.flash.error role="alert" { (error.to_string()) " " code { (error.code()) } },
            Ok(export) => (export_body(&page, export)),
        }
    };
    Ok(page.render(page.t("C2M 需求", "C2M demand"), body))
}

/// The same period's finest cut as CSV.
pub(super) async fn c2m_csv(
    State(state): State<WebState>,
    page: Page,
    Query(params): Query<PeriodParams>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::SupplierStaff)?;
    let (from, to) = params.bounds();
    let export = state
        .services
        .c2m_export(actor, None, Some(from), Some(to))
        .await?;
    let whose = export.supplier_id.map_or(0, |s| s.0);
    let disposition = format!(
        "attachment; filename=\"c2m-supplier-{whose}-{}-{}.csv\"",
        export.from_ms, export.to_ms
    );
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (CONTENT_DISPOSITION, disposition),
            (CACHE_CONTROL, "no-store".to_owned()),
        ],
        export.to_csv(),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_read_in_yuan() {
        assert_eq!(band_label(PriceBand::Under50), "¥0–50");
        assert_eq!(band_label(PriceBand::From1000), "¥1000–2000");
        assert_eq!(band_label(PriceBand::From5000), "¥5000+");
    }
}
