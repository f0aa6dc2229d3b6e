//! `/supplier/data`: the supplier's SKUs sold in live rooms across every anchor over a period
//! (per SKU, per anchor, per session), and the sessions selling its SKUs now with their minute
//! charts narrowed to its SKUs. A session links to its data page and, once ended, its report
//! (`/data/sessions/{id}`), which show the supplier only its own SKUs' part.

use crate::chart;
use crate::data::{ratio, series_points};
use crate::page::{when, yuan, Lang, Page, PageError};
use crate::WebState;
use axum::extract::{Query, State};
use axum::response::Response;
use daihuo_domain::account::Role;
use daihuo_service::metrics::{SalesGroup, SessionData};
use maud::{html, Markup};
use serde::Deserialize;

/// The periods offered, in days back from now (today counts as one).
const PERIODS_DAYS: [i64; 4] = [1, 7, 30, 90];

#[derive(Deserialize)]
pub(super) struct DataQuery {
    /// Days back, one of [`PERIODS_DAYS`]; the service's default otherwise.
    days: Option<i64>,
}

pub(super) async fn data_page(
    State(state): State<WebState>,
    page: Page,
    Query(query): Query<DataQuery>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::SupplierStaff)?;
    let days = query.days.filter(|d| PERIODS_DAYS.contains(d));
    let data = state.services.supplier_data(actor, days).await?;
    let body = html! {
        div.spread {
            h1 { (page.t("直播销售数据", "Live sales data")) }
            form.row method="get" action="/supplier/data" {
                select name="days" aria-label=(page.t("期间", "Period")) {
                    @for d in PERIODS_DAYS {
                        option value=(d) selected[d == data.days] { (period_label(page.lang, d)) }
                    }
                }
                button type="submit" { (page.t("查看", "Show")) }
            }
        }
        p.muted {
            (page.t("贵司商品在各主播直播间的销售（已支付订单，补贴前、退款前），自 ", "Your SKUs' sales in every anchor's live rooms (paid orders, before subsidy and refunds), since "))
            (when(data.since_ms)) (page.t("（北京时间）。", " (China time)."))
        }
        div.kpis.supplier-totals {
            div.kpi { b data-kpi="orders" { (data.orders) } span { (page.t("支付订单", "Orders paid")) } }
            div.kpi { b data-kpi="units" { (data.units) } span { (page.t("件数", "Units")) } }
            div.kpi { b data-kpi="gmv" { (yuan(data.gmv_fen)) } span { "GMV" } }
            div.kpi { b data-kpi="live-now" { (data.live.len()) } span { (page.t("正在卖贵司商品的直播", "Live rooms selling your SKUs now")) } }
        }
        section.card #live {
            h2 { (page.t("正在直播", "Live now")) }
            @if data.live.is_empty() {
                p.muted.empty { (page.t("现在没有直播间在卖贵司商品。", "No live room is selling your SKUs right now.")) }
            }
            @for session in &data.live {
                (live_session(&page, session))
            }
        }
        div.operator-charts {
            (groups(&page, page.t("按商品", "By SKU"), "skus", &data.skus, None))
            (groups(&page, page.t("按主播", "By anchor"), "anchors", &data.anchors, None))
        }
        (groups(&page, page.t("按场次", "By session"), "sessions", &data.sessions, Some("/data/sessions/")))
    };
    Ok(page.render(page.t("直播销售数据", "Live sales data"), body))
}

fn live_session(page: &Page, data: &SessionData) -> Markup {
    let s = &data.session;
    let t = &data.totals;
    html! {
        article.live-session data-session=(s.id.0) {
            h3 {
                a href={ "/data/sessions/" (s.id.0) } { (s.title) }
                " · " (s.anchor_name)
            }
            p.muted {
                (page.t("在线 ", "Online ")) (t.online_now.map_or_else(|| "—".to_owned(), |o| o.to_string()))
                " · " (page.t("观众 ", "viewers ")) (t.unique_viewers)
                " · " (page.t("贵司订单 ", "your orders ")) (t.orders)
                " · " (page.t("件数 ", "units ")) (t.units)
                " · GMV " (yuan(t.gmv_fen))
                " · " (page.t("转化率 ", "conversion ")) (ratio(t.conversion_bps))
            }
            div.operator-charts {
                (chart::line(page.t("在线人数（每分钟）", "Online (per minute)"),
                    &series_points(&data.series, |p| p.online as f64)))
                (chart::line(page.t("贵司商品件数（每分钟）", "Your units sold (per minute)"),
                    &series_points(&data.series, |p| p.units as f64)))
            }
        }
    }
}

fn groups(page: &Page, title: &str, name: &str, rows: &[SalesGroup], link: Option<&str>) -> Markup {
    html! {
        section.card data-groups=(name) {
            h2 { (title) }
            @if rows.is_empty() {
                p.muted.empty { (page.t("这段时间没有直播销售。", "No live sales in this period.")) }
            } @else {
                div.table-wrap {
                    table {
                        thead { tr {
                            th { (title) }
                            @if link.is_some() {
                                th { (page.t("主播", "Anchor")) }
                                th { (page.t("开播", "Went live")) }
                            }
                            th.num { (page.t("订单", "Orders")) }
                            th.num { (page.t("件数", "Units")) }
                            th.num { "GMV" }
                        } }
                        tbody {
                            @for row in rows {
                                tr data-id=(row.id) {
                                    td {
                                        @match link {
                                            Some(prefix) => a href={ (prefix) (row.id) } { (row.name) },
                                            None => (row.name),
                                        }
                                    }
                                    @if link.is_some() {
                                        td { (row.anchor_name) }
                                        td.muted { @if let Some(at) = row.went_live_at_ms { (when(at)) } }
                                    }
                                    td.num { (row.orders) }
                                    td.num data-units { (row.units) }
                                    td.num data-gmv { (yuan(row.gmv_fen)) }
                                }
                            }
                        }
                    }
                }
            }
        }
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
