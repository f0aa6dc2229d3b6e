//! `/operator`: the platform dashboard. Every figure is labelled with what it counts and over
//! which time; nothing is shown that the platform does not record.

use super::order_status;
use crate::chart;
use crate::page::{percent, when, yuan, Page, PageError};
use crate::WebState;
use axum::extract::State;
use axum::response::Response;
use daihuo_domain::account::Role;
use daihuo_service::operator_pages::{CampaignBudget, PlatformDashboard, Ranked};
use maud::{html, Markup};

pub async fn page(page: Page, State(state): State<WebState>) -> Result<Response, PageError> {
    let actor = page.require(Role::Operator)?;
    let board = state.services.platform_dashboard(actor).await?;
    let live = state.services.platform_data(actor).await?;
    Ok(page.render(
        page.t("平台大盘", "Platform dashboard"),
        html! {
            div.spread {
                h1 { (page.t("平台大盘", "Platform dashboard")) }
                p.muted {
                    (page.t("数据时间 ", "As of ")) (when(board.as_of_ms)) " · "
                    a href="/operator/suppliers" { (page.t("供应商管理", "Suppliers")) }
                }
            }
            (kpis(&page, &board))
            (super::data::live_section(&page, &live))
            div.operator-charts {
                (chart::line(
                    &format!("{} ({})", page.t("每小时 GMV（元）", "GMV per hour (yuan)"),
                        page.t("近 24 小时，北京时间", "last 24 hours, China time")),
                    &board.hours.iter()
                        .map(|h| (hour_label(h.starts_at_ms), h.gmv_fen as f64 / 100.0))
                        .collect::<Vec<_>>(),
                ))
                (chart::line(
                    &format!("{} ({})", page.t("每小时支付订单数", "Orders paid per hour"),
                        page.t("近 24 小时，北京时间", "last 24 hours, China time")),
                    &board.hours.iter()
                        .map(|h| (hour_label(h.starts_at_ms), h.orders as f64))
                        .collect::<Vec<_>>(),
                ))
            }
            div.operator-charts {
                (ranking(&page, page.t("主播 GMV 排行（近 24 小时，元）", "Top anchors by GMV (last 24 hours, yuan)"), &board.top_anchors, "anchors"))
                (ranking(&page, page.t("供应商 GMV 排行（近 24 小时，元）", "Top suppliers by GMV (last 24 hours, yuan)"), &board.top_suppliers, "suppliers"))
            }
            div.operator-charts {
                section {
                    @if board.orders_by_status.is_empty() {
                        h2 { (page.t("订单状态分布", "Orders by status")) }
                        p.muted { (page.t("还没有订单。", "No orders yet.")) }
                    } @else {
                        (chart::bars(
                            page.t("订单状态分布（全部订单）", "Orders by status (all orders)"),
                            &board.orders_by_status.iter()
                                .map(|s| (order_status(page.lang, s.status).to_owned(), s.orders as f64))
                                .collect::<Vec<_>>(),
                        ))
                    }
                }
                (settlement(&page, &board))
            }
            (campaigns(&page, &board.campaigns))
        },
    ))
}

/// `20:00`: an hour's start in China time.
fn hour_label(ms: i64) -> String {
    let full = when(ms);
    full.get(11..).unwrap_or(&full).to_owned()
}

fn kpis(page: &Page, board: &PlatformDashboard) -> Markup {
    let gmv_24h: i64 = board.hours.iter().map(|h| h.gmv_fen).sum();
    let orders_24h: i64 = board.hours.iter().map(|h| h.orders).sum();
    html! {
        div.kpis {
            div.kpi {
                b data-kpi="gmv-today" { (yuan(board.gmv_today_fen)) }
                span { (page.t("今日 GMV（已支付订单，补贴前）", "GMV today (orders paid, before subsidy)")) }
            }
            div.kpi {
                b data-kpi="orders-today" { (board.orders_paid_today) }
                span { (page.t("今日支付订单", "Orders paid today")) }
            }
            div.kpi {
                b data-kpi="conversion-today" {
                    @if board.orders_placed_today > 0 {
                        (percent(board.placed_today_paid * 10_000 / board.orders_placed_today))
                    } @else { "—" }
                }
                span {
                    (page.t("今日下单支付率", "Paid ÷ placed today")) " ("
                    (board.placed_today_paid) " / " (board.orders_placed_today) ")"
                }
            }
            div.kpi {
                b data-kpi="gmv-24h" { (yuan(gmv_24h)) }
                span { (page.t("近 24 小时 GMV", "GMV, last 24 hours")) " · " (orders_24h) (page.t(" 单", " orders")) }
            }
            div.kpi {
                b data-kpi="live-sessions" { (board.live_sessions) }
                span { (page.t("正在直播的场次", "Sessions live now")) }
            }
            div.kpi {
                b data-kpi="viewers-online" { (board.viewers_online) }
                span {
                    (page.t("在线观众（直播间实时计数）", "Viewers online now (room counters)"))
                    @if board.rooms_not_open_here > 0 {
                        " · " (board.rooms_not_open_here)
                        (page.t(" 个直播间未在本节点打开，未计入", " rooms not open on this node are not counted"))
                    }
                }
            }
            a.kpi href="/operator/disputes" {
                b data-kpi="open-disputes" { (board.open_disputes) }
                span { (page.t("待仲裁纠纷", "Disputes to arbitrate")) }
            }
            a.kpi href="/operator/dead-letters" {
                b data-kpi="dead-letters" { (board.dead_letters) }
                span { (page.t("Webhook 死信", "Webhook dead letters")) }
            }
            a.kpi href="/operator/review" {
                b data-kpi="pending-review" { (board.pending_review) }
                span { (page.t("待审核 SKU", "SKUs to review")) }
            }
        }
    }
}

fn ranking(page: &Page, title: &str, rows: &[Ranked], name: &str) -> Markup {
    html! {
        section data-ranking=(name) {
            @if rows.is_empty() {
                h2 { (title) }
                p.muted { (page.t("近 24 小时没有支付订单。", "No orders paid in the last 24 hours.")) }
            } @else {
                (chart::bars(title, &rows.iter()
                    .map(|r| (r.name.clone(), r.gmv_fen as f64 / 100.0))
                    .collect::<Vec<_>>()))
            }
        }
    }
}

fn settlement(page: &Page, board: &PlatformDashboard) -> Markup {
    let totals = &board.settlement;
    html! {
        section {
            h2 { a href="/operator/settlement" { (page.t("结算总览", "Settlement totals")) } }
            div.table-wrap {
                table {
                    tr {
                        th {}
                        th.num { (page.t("待结算（退货期内）", "Pending (return window)")) }
                        th.num { (page.t("可打款", "Payable")) }
                    }
                    tr {
                        td { (page.t("供应商货款", "Suppliers' shares")) }
                        td.num { (yuan(totals.supplier_pending_fen)) }
                        td.num { (yuan(totals.supplier_payable_fen)) }
                    }
                    tr {
                        td { (page.t("主播佣金", "Anchors' commission")) }
                        td.num { (yuan(totals.commission_pending_fen)) }
                        td.num { (yuan(totals.commission_payable_fen)) }
                    }
                    tr {
                        td { (page.t("已打款", "Paid out")) }
                        td.num {}
                        td.num data-total="paid-out" { (yuan(totals.paid_out_fen)) }
                    }
                    tr {
                        td { (page.t("平台服务费（扣除退款）", "Platform fees (net of refunds)")) }
                        td.num {}
                        td.num { (yuan(totals.platform_fee_fen)) }
                    }
                    tr {
                        td { (page.t("平台补贴支出（扣除退款）", "Subsidies paid (net of refunds)")) }
                        td.num {}
                        td.num { (yuan(totals.subsidy_fen)) }
                    }
                }
            }
            @if totals.parties_owing > 0 {
                p.muted {
                    span.badge.bad { (page.t("欠平台", "Owes the platform")) }
                    " " (totals.parties_owing)
                    (page.t(" 个结算方的可打款余额为负，打款会被拒绝（party_owes_platform）。",
                        " parties have a negative payable balance; payouts to them are refused (party_owes_platform)."))
                }
            }
        }
    }
}

/// A campaign's budget as a bar: spent, then held, of the budget.
pub(super) fn budget_bar(campaign: &CampaignBudget) -> Markup {
    let share = |fen: i64| -> f64 {
        if campaign.budget_fen > 0 {
            (fen as f64 * 100.0 / campaign.budget_fen as f64).clamp(0.0, 100.0)
        } else {
            0.0
        }
    };
    html! {
        div.budget-bar {
            i.spent style={ "width:" (format!("{:.1}", share(campaign.spent_fen))) "%" } {}
            i.held style={ "width:" (format!("{:.1}", share(campaign.held_fen))) "%" } {}
        }
    }
}

fn campaigns(page: &Page, campaigns: &[CampaignBudget]) -> Markup {
    html! {
        section {
            h2 { a href="/operator/campaigns" { (page.t("活动补贴：已花费 / 预算", "Campaign subsidies: spent / budget")) } }
            @if campaigns.is_empty() {
                p.muted { (page.t("没有进行中、即将开始或近 7 天结束的活动。", "No campaign running, coming or ended in the last 7 days.")) }
            } @else {
                div.table-wrap {
                    table {
                        tr {
                            th { (page.t("活动", "Campaign")) }
                            th { (page.t("时间", "When")) }
                            th.num { (page.t("已花费", "Spent")) }
                            th.num { (page.t("占用中", "Held")) }
                            th.num { (page.t("预算", "Budget")) }
                            th { }
                        }
                        @for campaign in campaigns {
                            tr data-campaign=(campaign.id) {
                                td { (campaign.name) }
                                td.muted { (when(campaign.starts_at_ms)) " – " (when(campaign.ends_at_ms)) }
                                td.num { (yuan(campaign.spent_fen)) }
                                td.num { (yuan(campaign.held_fen)) }
                                td.num { (yuan(campaign.budget_fen)) }
                                td { (budget_bar(campaign)) }
                            }
                        }
                    }
                }
            }
        }
    }
}
