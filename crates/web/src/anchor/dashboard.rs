//! `/anchor`: the anchor's day at a glance: the session live now, the next ones, the shelf
//! and the commission.

use super::status_badge;
use crate::page::{when, yuan, Page, PageError};
use crate::WebState;
use axum::extract::State;
use axum::response::Response;
use daihuo_domain::account::Role;
use daihuo_domain::live::SessionStatus;
use daihuo_service::live::ListPage;
use maud::html;

/// The sessions the dashboard reads to find the live and upcoming ones: the newest first,
/// so a hundred reaches every session an anchor could still have ahead.
const RECENT_SESSIONS: i64 = 100;
/// Upcoming sessions listed.
const UPCOMING_SHOWN: usize = 5;

pub(super) async fn show(State(state): State<WebState>, page: Page) -> Result<Response, PageError> {
    let actor = page.require(Role::Anchor)?;
    let services = &state.services;
    let sessions = services
        .anchor_sessions(
            actor.user_id,
            ListPage {
                limit: Some(RECENT_SESSIONS),
                offset: None,
            },
        )
        .await?;
    let live = sessions
        .items
        .iter()
        .find(|s| s.status == SessionStatus::Live);
    let mut upcoming: Vec<_> = sessions
        .items
        .iter()
        .filter(|s| s.status == SessionStatus::Scheduled)
        .collect();
    upcoming.sort_by_key(|s| s.starts_at_ms);
    upcoming.truncate(UPCOMING_SHOWN);
    let shelf = services.shelf(actor).await?;
    let earnings = services.anchor_earnings(actor).await?;
    let live_dashboard = match live {
        Some(session) => Some(services.live_dashboard(actor, session.id).await?),
        None => None,
    };

    Ok(page.render(
        page.t("主播工作台", "Anchor console"),
        html! {
            div.anchor {
                h1 { (page.t("主播工作台", "Anchor console")) }
                @match &live_dashboard {
                    Some(board) => section.card.live-now #live-now {
                        div.spread {
                            div {
                                span.badge.live { (page.t("直播中", "Live")) } " "
                                strong { (board.session.title) }
                                @if let Some(at) = board.session.went_live_at_ms {
                                    span.muted { " · " (page.t("开播于 ", "since ")) (when(at)) }
                                }
                            }
                            a.button.primary href={ "/anchor/sessions/" (board.session.id) "/live" } {
                                (page.t("进入直播控制台", "Open live control"))
                            }
                        }
                        div.kpis {
                            div.kpi { b { (board.online()) } span { (page.t("在线", "Online now")) } }
                            div.kpi { b { (board.session.counters.unique_viewers) } span { (page.t("累计观看", "Unique viewers")) } }
                            div.kpi { b { (board.paid_orders) } span { (page.t("成交订单", "Paid orders")) } }
                            div.kpi { b { (yuan(board.gmv_fen)) } span { (page.t("成交额", "GMV")) } }
                        }
                    },
                    None => section.card.live-now #live-now {
                        p.muted { (page.t("现在没有直播。", "You are not live right now.")) " "
                            a href="/anchor/sessions" { (page.t("安排或开始一场直播", "Schedule or start a session")) } }
                    },
                }
                div.kpis {
                    div.kpi { b { (shelf.len()) } span { a href="/anchor/selection" { (page.t("货架商品", "SKUs on my shelf")) } } }
                    div.kpi { b { (yuan(earnings.pending_fen)) } span { (page.t("待结算佣金", "Commission pending")) } }
                    div.kpi { b { (yuan(earnings.payable_fen)) } span { (page.t("可提现佣金", "Commission payable")) } }
                    div.kpi { b { (yuan(earnings.paid_out_fen)) } span { a href="/anchor/earnings" { (page.t("已打款", "Paid out")) } } }
                }
                section.card {
                    div.spread {
                        h2 { (page.t("即将开播", "Upcoming sessions")) }
                        a href="/anchor/sessions" { (page.t("全部场次", "All sessions")) }
                    }
                    @if upcoming.is_empty() {
                        p.muted { (page.t("没有已安排的直播。", "No session scheduled.")) }
                    } @else {
                        div.table-wrap {
                            table {
                                thead { tr {
                                    th { (page.t("标题", "Title")) }
                                    th { (page.t("开播时间", "Starts")) }
                                    th { (page.t("状态", "Status")) }
                                    th {}
                                } }
                                tbody {
                                    @for session in &upcoming {
                                        tr {
                                            td { (session.title) }
                                            td { (when(session.starts_at_ms)) }
                                            td { (status_badge(&page, session.status)) }
                                            td {
                                                a href={ "/anchor/sessions/" (session.id) "/live" } { (page.t("控制台", "Control")) }
                                                " · "
                                                a href={ "/anchor/sessions/" (session.id) "/edit" } { (page.t("编辑", "Edit")) }
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
