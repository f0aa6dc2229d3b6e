//! The operator's console (desktop): the platform dashboard, suppliers, the SKU review
//! queue, campaigns and subsidy budgets, disputes, webhook dead letters and settlement.
//!
//! Every page asks for the operator role first, and every service it calls checks it again.
//! Forms post back to these routes and come back with a flash naming what happened, or the
//! service's stable error code when it refused.

mod campaigns;
mod dashboard;
mod data;
mod dead_letters;
mod disputes;
mod review;
mod settlement;
mod suppliers;

use crate::page::{redirect_with, Flash, Lang};
use crate::WebState;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use daihuo_domain::after_sales::AfterSalesStatus;
use daihuo_domain::order::OrderStatus;
use daihuo_service::after_sales::RequestKind;
use daihuo_service::settlement::PartyKind;
use maud::{html, Markup};

/// The console's routes; every one asks for the operator role.
pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/operator", get(dashboard::page))
        .route("/operator/data", get(data::page))
        .route(
            "/operator/suppliers",
            get(suppliers::page).post(suppliers::create),
        )
        .route("/operator/review", get(review::page))
        .route("/operator/review/{id}", post(review::decide))
        .route(
            "/operator/campaigns",
            get(campaigns::page).post(campaigns::create),
        )
        .route("/operator/campaigns/{id}/budget", post(campaigns::budget))
        .route(
            "/operator/campaigns/{id}/ship-window",
            post(campaigns::ship_window),
        )
        .route("/operator/disputes", get(disputes::page))
        .route("/operator/disputes/{id}", post(disputes::arbitrate))
        .route("/operator/dead-letters", get(dead_letters::page))
        .route(
            "/operator/dead-letters/{id}/replay",
            post(dead_letters::replay),
        )
        .route("/operator/settlement", get(settlement::page))
        .route("/operator/settlement/runs", post(settlement::start_run))
        .route("/operator/settlement/runs/{id}", get(settlement::run))
        .route("/operator/settlement/payouts", post(settlement::payout))
        .route("/operator/settlement/statement", get(settlement::statement))
        .route(
            "/operator/settlement/statement.csv",
            get(settlement::statement_csv),
        )
        .route(
            "/operator/settlement/reconciliation",
            get(settlement::reconciliation),
        )
}

pub(crate) use crate::page::parse_yuan;

/// An amount in fen as a form's default value: `8999.00`.
pub(crate) fn yuan_input(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, (fen % 100).abs())
}

/// Back to `to` with a form's own refusal (one the page found before calling a service).
pub(crate) fn refuse(to: &str, code: &str, message: &str) -> Response {
    redirect_with(
        to,
        Flash::Error {
            code: code.to_owned(),
            message: message.to_owned(),
        },
    )
}

/// An order status in words.
pub(crate) fn order_status(lang: Lang, status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Created => lang.t("已创建", "Created"),
        OrderStatus::Reserved => lang.t("待支付", "Awaiting payment"),
        OrderStatus::Paid => lang.t("已支付", "Paid"),
        OrderStatus::Routed => lang.t("待发货", "To ship"),
        OrderStatus::Shipped => lang.t("已发货", "Shipped"),
        OrderStatus::Delivered => lang.t("已签收", "Delivered"),
        OrderStatus::Completed => lang.t("已完成", "Completed"),
        OrderStatus::Cancelled => lang.t("已取消", "Cancelled"),
        OrderStatus::RefundPending => lang.t("退款中", "Refund pending"),
        OrderStatus::Refunded => lang.t("已退款", "Refunded"),
        OrderStatus::RefundFailed => lang.t("退款失败", "Refund failed"),
    }
}

/// An after-sales request's status in words.
pub(crate) fn after_sales_status(lang: Lang, status: AfterSalesStatus) -> &'static str {
    match status {
        AfterSalesStatus::Requested => lang.t("待商家处理", "Awaiting the supplier"),
        AfterSalesStatus::Approved => lang.t("商家已同意", "Approved"),
        AfterSalesStatus::Rejected => lang.t("商家已拒绝", "Rejected"),
        AfterSalesStatus::Disputed => lang.t("买家申请仲裁", "Disputed"),
        AfterSalesStatus::Upheld => lang.t("仲裁：维持拒绝", "Upheld (for the supplier)"),
        AfterSalesStatus::Overturned => lang.t("仲裁：改判同意", "Overturned (for the buyer)"),
        AfterSalesStatus::ReturnShipped => lang.t("买家已寄回", "Return shipped"),
        AfterSalesStatus::ReturnReceived => lang.t("商家已收货", "Return received"),
        AfterSalesStatus::Refunded => lang.t("已退款", "Refunded"),
        AfterSalesStatus::Withdrawn => lang.t("买家已撤销", "Withdrawn"),
    }
}

/// What a buyer asked for, in words.
pub(crate) fn request_kind(lang: Lang, kind: RequestKind) -> &'static str {
    match kind {
        RequestKind::NoReasonReturn => lang.t("七天无理由退货", "7-day no-reason return"),
        RequestKind::RefundOnlyNotShipped => lang.t("未发货仅退款", "Refund only (not shipped)"),
        RequestKind::RefundOnlyNeverReceived => {
            lang.t("未收到货仅退款", "Refund only (never received)")
        }
        RequestKind::QualityComplaint => lang.t("质量投诉", "Quality complaint"),
    }
}

/// A kind of party in words.
pub(crate) fn party_kind(lang: Lang, kind: PartyKind) -> &'static str {
    match kind {
        PartyKind::Supplier => lang.t("供应商", "Supplier"),
        PartyKind::Anchor => lang.t("主播", "Anchor"),
    }
}

/// A kind of party from a form or a query.
pub(crate) fn parse_party_kind(raw: &str) -> Option<PartyKind> {
    match raw {
        "supplier" => Some(PartyKind::Supplier),
        "anchor" => Some(PartyKind::Anchor),
        _ => None,
    }
}

/// A length of time in hours, or days and hours: `48 小时` / `2 d 0 h`.
pub(crate) fn duration(lang: Lang, ms: i64) -> String {
    let hours = ms / 3_600_000;
    let minutes = (ms % 3_600_000) / 60_000;
    match (lang, minutes) {
        (Lang::Zh, 0) => format!("{hours} 小时"),
        (Lang::Zh, _) => format!("{hours} 小时 {minutes} 分"),
        (Lang::En, 0) => format!("{hours} h"),
        (Lang::En, _) => format!("{hours} h {minutes} min"),
    }
}

/// A "next page" link, when a page was full.
pub(crate) fn next_page(lang: Lang, href: Option<String>) -> Markup {
    html! {
        @if let Some(href) = href {
            p.operator-pager { a href=(href) { (lang.t("下一页 →", "Next page →")) } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_read_as_people_type_them() {
        assert_eq!(parse_yuan("8999"), Some(899_900));
        assert_eq!(parse_yuan("8,999.00"), Some(899_900));
        assert_eq!(parse_yuan(" ¥8999.5 "), Some(899_950));
        assert_eq!(parse_yuan("0.07"), Some(7));
        assert_eq!(parse_yuan("-1"), None);
        assert_eq!(parse_yuan("1.234"), None);
        assert_eq!(parse_yuan("1e5"), None);
        assert_eq!(parse_yuan(""), None);
        assert_eq!(parse_yuan(".5"), None);
        assert_eq!(parse_yuan("99999999999999999999"), None);
        assert_eq!(yuan_input(899_905), "8999.05");
    }

    #[test]
    fn durations_read_in_hours() {
        assert_eq!(duration(Lang::Zh, 48 * 3_600_000), "48 小时");
        assert_eq!(duration(Lang::En, 90 * 60_000), "1 h 30 min");
    }
}
