//! A live session's data page and its post-session report (page and CSV), shared by the
//! roles that may see them: the session's anchor and operators see the whole session, a
//! supplier's staff its own SKUs' part (docs/METRICS.md). The service decides the scope; this
//! page shows what it was given and says whose figures they are.

use crate::chart;
use crate::page::{percent, when, yuan, Page, PageError};
use crate::WebState;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use daihuo_domain::account::Role;
use daihuo_domain::live::SessionStatus;
use daihuo_domain::metrics::MinutePoint;
use daihuo_domain::LiveSessionId;
use daihuo_service::metrics::{DataScope, SessionData, SessionTotals};
use maud::{html, Markup};

/// Provinces drawn in the regions chart; the table lists them all.
const REGIONS_CHARTED: usize = 10;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/data/sessions/{id}", get(session_page))
        .route("/data/sessions/{id}/report", get(report_page))
        .route("/data/sessions/{id}/report.csv", get(report_csv))
}

/// Where a role's data pages start: the way back from a session's page.
fn data_home(role: Option<Role>) -> &'static str {
    match role {
        Some(Role::Anchor) => "/anchor/data",
        Some(Role::SupplierStaff) => "/supplier/data",
        Some(Role::Operator) => "/operator/data",
        _ => "/",
    }
}

async fn session_page(
    State(state): State<WebState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let actor = page.signed_in()?;
    let data = state
        .services
        .session_data(actor, LiveSessionId(id))
        .await?;
    let title = page.t("直播数据", "Session data");
    Ok(page.render(title, session_body(&page, &data, false)))
}

async fn report_page(
    State(state): State<WebState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let actor = page.signed_in()?;
    let data = state
        .services
        .session_report(actor, LiveSessionId(id))
        .await?;
    let title = page.t("直播复盘", "Post-session report");
    Ok(page.render(title, session_body(&page, &data, true)))
}

/// The report as CSV, the same as the API's `?format=csv`.
async fn report_csv(
    State(state): State<WebState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let actor = page.signed_in()?;
    let data = state
        .services
        .session_report(actor, LiveSessionId(id))
        .await?;
    let name = match data.supplier_id {
        Some(supplier) => format!("session-{id}-supplier-{}-report.csv", supplier.0),
        None => format!("session-{id}-report.csv"),
    };
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (CACHE_CONTROL, "no-store".to_owned()),
        ],
        data.to_csv(),
    )
        .into_response())
}

/// `HH:MM` in China time, for chart labels.
pub(crate) fn clock(ms: i64) -> String {
    let full = when(ms);
    full.get(11..).unwrap_or(&full).to_owned()
}

/// A duration as `2 h 05 min` (or `5 min`).
pub(crate) fn duration(ms: i64) -> String {
    let minutes = ms.max(0) / 60_000;
    if minutes >= 60 {
        format!("{} h {:02} min", minutes / 60, minutes % 60)
    } else {
        format!("{minutes} min")
    }
}

/// Basis points as a percentage, or a dash when there is no ratio.
pub(crate) fn ratio(bps: Option<i64>) -> String {
    bps.map_or_else(|| "—".to_owned(), percent)
}

/// An optional amount of money, or a dash.
pub(crate) fn money(fen: Option<i64>) -> String {
    fen.map_or_else(|| "—".to_owned(), yuan)
}

fn session_body(page: &Page, data: &SessionData, report: bool) -> Markup {
    let session = &data.session;
    let id = session.id.0;
    let supplier_view = data.scope == DataScope::Supplier;
    let minutes = data.point_minutes;
    let per = if minutes == 1 {
        page.t("每分钟", "per minute").to_owned()
    } else {
        format!(
            "{} {minutes} {}",
            page.t("每", "per"),
            page.t("分钟", "minutes")
        )
    };
    html! {
        div.spread {
            div {
                h1 {
                    @if report { (page.t("直播复盘：", "Report: ")) }
                    (session.title)
                }
                p.muted {
                    (crate::anchor::status_badge(page, session.status)) " "
                    (session.anchor_name)
                    @if let Some(at) = session.went_live_at_ms { " · " (when(at)) }
                    @if let Some(at) = session.ended_at_ms { " – " (when(at)) }
                    " · " (page.t("数据时间 ", "as of ")) (when(data.as_of_ms))
                    (page.t("（北京时间）", " (China time)"))
                }
            }
            p.row {
                a href=(data_home(page.actor.as_ref().map(|a| a.role))) { (page.t("返回数据", "Back to data")) }
                @if session.status == SessionStatus::Ended {
                    @if report {
                        a href={ "/data/sessions/" (id) } { (page.t("数据页", "Data page")) }
                    } @else {
                        a.button href={ "/data/sessions/" (id) "/report" } { (page.t("复盘报告", "Report")) }
                    }
                    a.button href={ "/data/sessions/" (id) "/report.csv" } download { (page.t("下载 CSV", "Download CSV")) }
                }
            }
        }
        @if supplier_view {
            p.flash.ok data-scope="supplier" {
                (page.t("只显示贵司商品在本场的销售；在线、观众、点赞和评论是整场直播间的计数。",
                    "Only your SKUs' sales in this session are shown; online, viewers, likes and comments count the whole room."))
            }
        }
        @if session.status == SessionStatus::Live {
            p.muted { (page.t("直播中：刷新页面查看最新一分钟。", "Live: reload for the latest minute.")) }
        }
        (kpis(page, &data.totals, data))
        @if data.series.is_empty() {
            p.muted.empty { (page.t("还没有开播，也没有记录。", "Not live yet, and nothing recorded.")) }
        } @else {
            (charts(page, data, &per))
        }
        (skus(page, data))
        (regions(page, data))
        p.muted {
            (page.t("GMV 为已支付订单按直播价计算的金额（补贴前、退款前）；退款单列。转化率 = 下单支付的买家 ÷ 累计观众。分钟按 UTC 切分，显示为北京时间。",
                "GMV is the value of paid orders at the room's prices (before subsidy and refunds); refunds are shown apart. Conversion = paying buyers ÷ unique viewers. Minutes are cut in UTC and shown in China time."))
        }
    }
}

fn kpis(page: &Page, totals: &SessionTotals, data: &SessionData) -> Markup {
    html! {
        div.kpis.session-totals {
            @if let Some(online) = totals.online_now {
                div.kpi { b data-kpi="online-now" { (online) } span { (page.t("当前在线", "Online now")) } }
            }
            div.kpi { b data-kpi="duration" { (totals.duration_ms.map_or_else(|| "—".to_owned(), duration)) }
                span { (page.t("直播时长", "Duration")) } }
            div.kpi { b data-kpi="peak-online" { (totals.peak_online) } span { (page.t("峰值在线", "Peak online")) } }
            div.kpi { b data-kpi="unique-viewers" { (totals.unique_viewers) } span { (page.t("累计观众", "Unique viewers")) } }
            div.kpi { b data-kpi="likes" { (totals.likes) } span { (page.t("点赞", "Likes")) } }
            div.kpi { b data-kpi="comments" { (totals.comments) } span { (page.t("评论", "Comments")) } }
            div.kpi { b data-kpi="orders" { (totals.orders) } span { (page.t("支付订单", "Orders paid")) } }
            div.kpi { b data-kpi="units" { (totals.units) } span { (page.t("件数", "Units")) } }
            div.kpi { b data-kpi="gmv" { (yuan(totals.gmv_fen)) } span { (page.t("GMV", "GMV")) } }
            div.kpi { b data-kpi="buyers" { (totals.buyers) } span { (page.t("买家", "Buyers")) } }
            div.kpi { b data-kpi="conversion" { (ratio(totals.conversion_bps)) }
                span { (page.t("支付转化率（买家 ÷ 观众）", "Paid conversion (buyers ÷ viewers)")) } }
            div.kpi { b data-kpi="aov" { (money(totals.average_order_fen)) } span { (page.t("客单价", "Average order value")) } }
            div.kpi { b data-kpi="refunds" { (yuan(data.refunds.fen)) }
                span { (page.t("退款", "Refunds")) " · " (data.refunds.units) (page.t(" 件", " units")) } }
        }
    }
}

/// A chart's points: one value per point of the series, labelled with its clock time.
pub(crate) fn series_points(
    series: &[MinutePoint],
    value: impl Fn(&MinutePoint) -> f64,
) -> Vec<(String, f64)> {
    series
        .iter()
        .map(|p| (clock(p.minute_ms), value(p)))
        .collect()
}

fn charts(page: &Page, data: &SessionData, per: &str) -> Markup {
    let points = |value: fn(&MinutePoint) -> f64| series_points(&data.series, value);
    let supplier_view = data.scope == DataScope::Supplier;
    html! {
        div.operator-charts.session-charts {
            (chart::line(&format!("{} ({per})", page.t("在线人数（每点结束时）", "Online (at the end of each point)")),
                &points(|p| p.online as f64)))
            (chart::line(&format!("{} ({per})", page.t("GMV（元）", "GMV (yuan)")),
                &points(|p| p.gmv_fen as f64 / 100.0)))
            (chart::line(&format!("{} ({per})", page.t("支付订单", "Orders paid")),
                &points(|p| p.orders as f64)))
            @if !supplier_view {
                (chart::line(page.t("累计支付转化率（%）", "Paid conversion so far (%)"),
                    &points(|p| p.conversion_bps.unwrap_or(0) as f64 / 100.0)))
            }
        }
    }
}

fn skus(page: &Page, data: &SessionData) -> Markup {
    html! {
        section.card #skus {
            h2 { (page.t("商品", "Products")) }
            @if data.skus.is_empty() {
                p.muted.empty { (page.t("没有商品。", "No products.")) }
            } @else {
                div.table-wrap {
                    table.session-skus {
                        thead { tr {
                            th { (page.t("商品", "Product")) }
                            th.num { (page.t("订单", "Orders")) }
                            th.num { (page.t("件数", "Units")) }
                            th.num { "GMV" }
                            th.num { (page.t("买家", "Buyers")) }
                            th.num { (page.t("客单价", "AOV")) }
                            th.num { (page.t("退款件数", "Units refunded")) }
                            th.num { (page.t("退款金额", "Refunded")) }
                            th.num { (page.t("结束时库存", "Stock at end")) }
                        } }
                        tbody {
                            @for sku in &data.skus {
                                tr data-sku=(sku.sku_id.0) {
                                    td { (sku.title) }
                                    td.num { (sku.orders) }
                                    td.num data-units { (sku.units) }
                                    td.num data-gmv { (yuan(sku.gmv_fen)) }
                                    td.num { (sku.buyers) }
                                    td.num { (money(sku.average_order_fen)) }
                                    td.num { (sku.refunded_units) }
                                    td.num { (yuan(sku.refunded_fen)) }
                                    td.num data-stock-left {
                                        @match sku.stock_left_at_end {
                                            Some(left) => (left),
                                            None => span.muted { "—" },
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

fn regions(page: &Page, data: &SessionData) -> Markup {
    html! {
        section.card #regions {
            h2 { (page.t("买家地区（按收货省份）", "Buyer regions (by the province orders went to)")) }
            @if data.regions.is_empty() {
                p.muted.empty { (page.t("还没有支付订单。", "No paid orders yet.")) }
            } @else {
                (chart::bars(page.t("各省 GMV（元）", "GMV by province (yuan)"),
                    &data.regions.iter().take(REGIONS_CHARTED)
                        .map(|r| (region_name(r.province_code, &r.province), r.gmv_fen as f64 / 100.0))
                        .collect::<Vec<_>>()))
                div.table-wrap {
                    table.regions {
                        thead { tr {
                            th { (page.t("省份", "Province")) }
                            th.num { (page.t("买家", "Buyers")) }
                            th.num { (page.t("订单", "Orders")) }
                            th.num { (page.t("件数", "Units")) }
                            th.num { "GMV" }
                        } }
                        tbody {
                            @for region in &data.regions {
                                tr data-province=(region.province_code) {
                                    td { (region_name(region.province_code, &region.province)) }
                                    td.num { (region.buyers) }
                                    td.num { (region.orders) }
                                    td.num { (region.units) }
                                    td.num { (yuan(region.gmv_fen)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A province's name, or its code when the shipped divisions do not know it.
fn region_name(code: u32, name: &str) -> String {
    if name.is_empty() {
        code.to_string()
    } else {
        name.to_owned()
    }
}

/// A table of sessions with their totals, each linking to its data page (and report once
/// ended): the anchor's list and the operator's live and ended sessions.
pub(crate) fn sessions_table(
    page: &Page,
    sessions: &[daihuo_service::metrics::SessionSummary],
    show_anchor: bool,
) -> Markup {
    html! {
        div.table-wrap {
            table.data-sessions {
                thead { tr {
                    th { (page.t("场次", "Session")) }
                    @if show_anchor { th { (page.t("主播", "Anchor")) } }
                    th { (page.t("状态", "Status")) }
                    th { (page.t("开播", "Went live")) }
                    th.num { (page.t("时长", "Duration")) }
                    th.num { (page.t("在线", "Online")) }
                    th.num { (page.t("峰值", "Peak")) }
                    th.num { (page.t("观众", "Viewers")) }
                    th.num { (page.t("订单", "Orders")) }
                    th.num { "GMV" }
                    th.num { (page.t("转化率", "Conversion")) }
                    th.num { (page.t("客单价", "AOV")) }
                    th {}
                } }
                tbody {
                    @for summary in sessions {
                        @let s = &summary.session;
                        @let t = &summary.totals;
                        tr data-session=(s.id.0) {
                            td { a href={ "/data/sessions/" (s.id.0) } { (s.title) } }
                            @if show_anchor { td { (s.anchor_name) } }
                            td { (crate::anchor::status_badge(page, s.status)) }
                            td.muted { @if let Some(at) = s.went_live_at_ms { (when(at)) } }
                            td.num { (t.duration_ms.map_or_else(|| "—".to_owned(), duration)) }
                            td.num data-online { (t.online_now.map_or_else(|| "—".to_owned(), |o| o.to_string())) }
                            td.num { (t.peak_online) }
                            td.num { (t.unique_viewers) }
                            td.num data-orders { (t.orders) }
                            td.num data-gmv { (yuan(t.gmv_fen)) }
                            td.num { (ratio(t.conversion_bps)) }
                            td.num { (money(t.average_order_fen)) }
                            td {
                                @if s.status == SessionStatus::Ended {
                                    a href={ "/data/sessions/" (s.id.0) "/report" } { (page.t("复盘", "Report")) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_ratios_read_as_people_write_them() {
        assert_eq!(duration(5 * 60_000 + 59_999), "5 min");
        assert_eq!(duration(125 * 60_000), "2 h 05 min");
        assert_eq!(ratio(Some(1_250)), "12.5%");
        assert_eq!(ratio(None), "—");
        assert_eq!(money(Some(899_900)), "¥8,999.00");
        assert_eq!(clock(1_795_435_200_000), "20:00");
    }
}
