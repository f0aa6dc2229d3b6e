//! The supplier's console, for a desktop: the catalogue with its CSV import, warehouses and
//! stock (`catalogue`), orders to ship and tracking (`orders`), the after-sales queue
//! (`after_sales`), the statement (`statements`), forecasts with replenishment advice
//! (`forecast`), sales data (`data`) and the C2M export of demand (`c2m`). Every page and
//! form is supplier staff's only and acts on the signed-in staff member's organisation; the
//! services decide who may see what.

mod after_sales;
mod c2m;
mod catalogue;
mod data;
mod forecast;
mod orders;
mod statements;

use crate::page::{Lang, Page};
use crate::WebState;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use daihuo_domain::after_sales::AfterSalesStatus;
use daihuo_domain::catalog::SkuStatus;
use daihuo_domain::tracking::TrackingStage;
use daihuo_domain::waybill::Carrier;
use daihuo_service::after_sales::RequestKind;
use daihuo_service::supplier_pages::SupplierOverview;
use maud::{html, Markup};

/// The largest CSV feed the console uploads: the API's feed limit, so a file the API takes
/// the page takes too. Bigger catalogues go through `daihuo import` or in parts.
pub const FEED_UPLOAD_MAX_BYTES: usize = 64 * 1024 * 1024;
/// A day, in milliseconds.
const DAY_MS: i64 = 24 * 3_600_000;
/// China's offset from UTC, in milliseconds: the supplier's "today" begins at midnight there.
const CHINA_OFFSET_MS: i64 = 8 * 3_600_000;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/supplier", get(catalogue::catalogue_page))
        .route("/supplier/warehouses", post(catalogue::save_warehouse))
        .route(
            "/supplier/feed",
            // The form limit of every other page would cut a catalogue at 64 KiB.
            post(catalogue::upload_feed).layer(DefaultBodyLimit::max(FEED_UPLOAD_MAX_BYTES)),
        )
        .route(
            "/supplier/skus/{id}",
            get(catalogue::sku_page).post(catalogue::save_sku),
        )
        .route("/supplier/skus/{id}/stock", post(catalogue::set_stock))
        .route("/supplier/data", get(data::data_page))
        .route("/supplier/orders", get(orders::orders_page))
        .route("/supplier/orders/{id}/ship", post(orders::ship))
        .route("/supplier/orders/{id}/tracking", post(orders::track))
        .route("/supplier/after-sales", get(after_sales::after_sales_page))
        .route(
            "/supplier/after-sales/{id}/decision",
            post(after_sales::decide),
        )
        .route(
            "/supplier/after-sales/{id}/received",
            post(after_sales::receive),
        )
        .route("/supplier/statements", get(statements::statements_page))
        .route("/supplier/forecast", get(forecast::forecast_page))
        .route("/supplier/statements.csv", get(statements::statement_csv))
        .route("/supplier/c2m", get(c2m::c2m_page))
        .route("/supplier/c2m.csv", get(c2m::c2m_csv))
}

/// When today began in China, as Unix milliseconds.
fn today_from_ms(now_ms: i64) -> i64 {
    (now_ms + CHINA_OFFSET_MS).div_euclid(DAY_MS) * DAY_MS - CHINA_OFFSET_MS
}

/// A decimal with at most two places (`8999`, `8999.5`, `8,999.00`) in hundredths: yuan as
/// fen, a percentage as basis points. `None` for anything else.
fn hundredths(raw: &str) -> Option<i64> {
    let cleaned: String = raw.trim().chars().filter(|c| *c != ',').collect();
    let (whole, fraction) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || fraction.len() > 2 || (!fraction.is_empty() && !digits(fraction)) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let fraction: i64 = match fraction.len() {
        0 => 0,
        1 => fraction.parse::<i64>().ok()? * 10,
        _ => fraction.parse().ok()?,
    };
    whole.checked_mul(100)?.checked_add(fraction)
}

/// Hundredths as the decimal a form field shows: `899900` → `8999.00`.
fn decimal(hundredths: i64) -> String {
    let sign = if hundredths < 0 { "-" } else { "" };
    let value = hundredths.unsigned_abs();
    format!("{sign}{}.{:02}", value / 100, value % 100)
}

/// The counts at the top of the console, each linking to where it is handled.
fn overview(page: &Page, counts: &SupplierOverview) -> Markup {
    html! {
        div.kpis.supplier-overview {
            a.kpi href="/supplier/orders" data-kpi="orders-today" {
                b { (counts.orders_today) } span { (page.t("今日订单", "Orders today")) }
            }
            a.kpi href="/supplier/orders" data-kpi="to-ship" {
                b { (counts.to_ship) } span { (page.t("待发货", "Waiting to ship")) }
            }
            a.kpi.late[counts.late > 0] href="/supplier/orders" data-kpi="late" {
                b { (counts.late) } span { (page.t("已超时未发", "Late, not shipped")) }
            }
            a.kpi href="/supplier/after-sales" data-kpi="after-sales" {
                b { (counts.after_sales_waiting) } span { (page.t("待处理售后", "After-sales to handle")) }
            }
        }
    }
}

fn sku_status_label(lang: Lang, status: SkuStatus) -> &'static str {
    match status {
        SkuStatus::PendingReview => lang.t("待审核", "Pending review"),
        SkuStatus::Approved => lang.t("已通过", "Approved"),
        SkuStatus::Rejected => lang.t("已驳回", "Rejected"),
        SkuStatus::Delisted => lang.t("已下架", "Delisted"),
    }
}

fn sku_status_badge(lang: Lang, status: SkuStatus) -> Markup {
    let class = match status {
        SkuStatus::Approved => "badge ok",
        SkuStatus::PendingReview => "badge warn",
        SkuStatus::Rejected => "badge bad",
        SkuStatus::Delisted => "badge",
    };
    html! { span class=(class) data-status=(status.as_str()) { (sku_status_label(lang, status)) } }
}

fn carrier_label(lang: Lang, carrier: Carrier) -> &'static str {
    match carrier {
        Carrier::Sf => lang.t("顺丰速运", "SF Express"),
        Carrier::Jd => lang.t("京东物流", "JD Logistics"),
        Carrier::Zto => lang.t("中通快递", "ZTO Express"),
        Carrier::Yto => lang.t("圆通速递", "YTO Express"),
        Carrier::Sto => lang.t("申通快递", "STO Express"),
        Carrier::Yunda => lang.t("韵达快递", "Yunda Express"),
        Carrier::Ems => lang.t("中国邮政 EMS", "China Post EMS"),
    }
}

/// A stored carrier code as people read it (the code itself if daihuo does not know it).
fn carrier_name(lang: Lang, code: &str) -> String {
    Carrier::parse(code)
        .map(|c| carrier_label(lang, c).to_owned())
        .unwrap_or_else(|_| code.to_owned())
}

fn stage_label(lang: Lang, stage: TrackingStage) -> &'static str {
    match stage {
        TrackingStage::Picked => lang.t("已揽收", "Picked up"),
        TrackingStage::Shipped => lang.t("已发出", "Shipped"),
        TrackingStage::InTransit => lang.t("运输中", "In transit"),
        TrackingStage::OutForDelivery => lang.t("派送中", "Out for delivery"),
        TrackingStage::Delivered => lang.t("已签收", "Delivered"),
        TrackingStage::Exception => lang.t("异常", "Exception"),
    }
}

/// A stored stage name as people read it.
fn stage_name(lang: Lang, stage: &str) -> String {
    TrackingStage::parse(stage)
        .map(|s| stage_label(lang, s).to_owned())
        .unwrap_or_else(|_| stage.to_owned())
}

fn request_kind_label(lang: Lang, kind: RequestKind) -> &'static str {
    match kind {
        RequestKind::NoReasonReturn => lang.t("七天无理由退货", "No-reason return"),
        RequestKind::RefundOnlyNotShipped => lang.t("未发货仅退款", "Refund before shipment"),
        RequestKind::RefundOnlyNeverReceived => lang.t("未收到货仅退款", "Refund: never received"),
        RequestKind::QualityComplaint => lang.t("质量投诉", "Quality complaint"),
    }
}

fn after_sales_status_label(lang: Lang, status: AfterSalesStatus) -> &'static str {
    match status {
        AfterSalesStatus::Requested => lang.t("待处理", "Requested"),
        AfterSalesStatus::Approved => lang.t("已同意", "Approved"),
        AfterSalesStatus::Rejected => lang.t("已拒绝", "Rejected"),
        AfterSalesStatus::Disputed => lang.t("申诉中", "Disputed"),
        AfterSalesStatus::Upheld => lang.t("维持拒绝", "Rejection upheld"),
        AfterSalesStatus::Overturned => lang.t("改判同意", "Overturned"),
        AfterSalesStatus::ReturnShipped => lang.t("退货寄回中", "Return on its way"),
        AfterSalesStatus::ReturnReceived => lang.t("已收到退货", "Return received"),
        AfterSalesStatus::Refunded => lang.t("已退款", "Refunded"),
        AfterSalesStatus::Withdrawn => lang.t("已撤回", "Withdrawn"),
    }
}

/// A rate in basis points, or a dash before there is anything to divide by.
fn rate(bps: Option<u32>) -> String {
    bps.map_or_else(|| "—".to_owned(), |b| crate::page::percent(i64::from(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_read_in_hundredths_or_refused() {
        assert_eq!(hundredths("8999"), Some(899_900));
        assert_eq!(hundredths(" 8,999.5 "), Some(899_950));
        assert_eq!(hundredths("0.05"), Some(5));
        assert_eq!(hundredths("12.5"), Some(1_250));
        assert_eq!(hundredths("1.234"), None);
        assert_eq!(hundredths("-1"), None);
        assert_eq!(hundredths("1e3"), None);
        assert_eq!(hundredths(""), None);
        assert_eq!(hundredths("."), None);
        assert_eq!(hundredths("99999999999999999999"), None);
        assert_eq!(decimal(899_900), "8999.00");
        assert_eq!(decimal(5), "0.05");
    }

    #[test]
    fn today_begins_at_midnight_in_china() {
        // 2026-11-23 12:00 UTC is 20:00 in Beijing; that day began at 16:00 UTC the day before.
        let noon_utc = 1_795_435_200_000;
        assert_eq!(today_from_ms(noon_utc), noon_utc - 20 * 3_600_000);
        // 2026-11-23 17:00 UTC is already 01:00 on the 24th in Beijing.
        let after_midnight = noon_utc + 5 * 3_600_000;
        assert_eq!(today_from_ms(after_midnight), after_midnight - 3_600_000);
    }
}
