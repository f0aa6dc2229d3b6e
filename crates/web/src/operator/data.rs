//! `/operator/data`: the platform's live rooms now (with the viewers online over all of
//! them), the current hour's orders and GMV in live rooms by the minute, and recently ended
//! sessions with their reports. The platform dashboard (`/operator`) shows the same live
//! section ([`live_section`]).

use crate::chart;
use crate::data::{clock, sessions_table};
use crate::page::{when, yuan, Page, PageError};
use crate::WebState;
use axum::extract::State;
use axum::response::Response;
use daihuo_domain::account::Role;
use daihuo_service::metrics::{PlatformData, PlatformMinute};
use maud::{html, Markup};

pub(super) async fn page(page: Page, State(state): State<WebState>) -> Result<Response, PageError> {
    let actor = page.require(Role::Operator)?;
    let data = state.services.platform_data(actor).await?;
    let body = html! {
        div.spread {
            h1 { (page.t("直播数据", "Live data")) }
            p.muted { (page.t("数据时间 ", "As of ")) (when(data.as_of_ms)) (page.t("（北京时间）", " (China time)")) }
        }
        (live_section(&page, &data))
        section.card #ended {
            h2 { (page.t("最近结束的场次", "Recently ended sessions")) }
            @if data.ended.is_empty() {
                p.muted.empty { (page.t("还没有结束的场次。", "No session has ended yet.")) }
            } @else {
                (sessions_table(&page, &data.ended, true))
            }
        }
    };
    Ok(page.render(page.t("直播数据", "Live data"), body))
}

/// Live rooms now, the online total and the current hour by the minute.
pub(super) fn live_section(page: &Page, data: &PlatformData) -> Markup {
    let minutes = |value: fn(&PlatformMinute) -> f64| {
        data.minutes
            .iter()
            .map(|m| (clock(m.minute_ms), value(m)))
            .collect::<Vec<_>>()
    };
    html! {
        section.platform-live #platform-live {
            div.kpis {
                div.kpi { b data-kpi="live-rooms" { (data.live_sessions) } span { (page.t("正在直播", "Sessions live now")) } }
                div.kpi { b data-kpi="online-total" { (data.online_total) }
                    span { (page.t("在线观众（全部直播间、全部节点）", "Viewers online (every room, every node)")) } }
                div.kpi { b data-kpi="hour-orders" { (data.hour_orders) }
                    span { (page.t("本小时直播间支付订单", "Orders paid in live rooms this hour")) } }
                div.kpi { b data-kpi="hour-gmv" { (yuan(data.hour_gmv_fen)) }
                    span { (page.t("本小时直播间 GMV", "GMV in live rooms this hour")) } }
            }
            div.operator-charts {
                (chart::line(page.t("本小时每分钟 GMV（元，直播间）", "GMV per minute this hour (yuan, live rooms)"),
                    &minutes(|m| m.gmv_fen as f64 / 100.0)))
                (chart::line(page.t("本小时每分钟支付订单（直播间）", "Orders paid per minute this hour (live rooms)"),
                    &minutes(|m| m.orders as f64)))
            }
            section.card #live-sessions {
                h2 { (page.t("正在直播", "Live now")) " (" (data.live_sessions) ")" }
                @if data.live.is_empty() {
                    p.muted.empty { (page.t("现在没有直播。", "Nobody is live right now.")) }
                } @else {
                    (sessions_table(page, &data.live, true))
                }
            }
        }
    }
}
