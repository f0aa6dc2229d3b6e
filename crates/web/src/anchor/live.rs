//! `/anchor/sessions/{id}/live`: live control. The session's SKUs with pin buttons (讲解),
//! flash sales (start one, watch their stock), moderation (delete comments, mute and unmute
//! viewers), the live dashboard (online, viewers, likes, comments, orders, GMV, a chart) and
//! the sell-out nowcast (`nowcast`).
//!
//! The page is whole without script; `static/anchor.js` watches the room's public WebSocket
//! for counters, comments and sale stock, and polls [`stats`] for the sales figures.

use super::nowcast::nowcast_panel;
use super::sessions::session_actions;
use super::{answer, bad_field, clock, parse_yuan, status_badge};
use crate::chart;
use crate::page::{now_ms, redirect_with, when, yuan, CsrfForm, Page, PageError};
use crate::WebState;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use daihuo_domain::account::Role;
use daihuo_domain::flash::FlashPhase;
use daihuo_domain::live::SessionStatus;
use daihuo_domain::{LiveSessionId, SkuId, UserId};
use daihuo_service::anchor_pages::{LiveDashboard, MutedViewer};
use daihuo_service::checkout::{FlashSaleInput, FlashSaleView};
use daihuo_service::live::{MuteInput, SessionItemView, SessionSnapshot};
use maud::{html, Markup};
use serde::Deserialize;

/// Mute lengths offered, in minutes; `None` is the rest of the session.
const MUTE_CHOICES_MINUTES: [Option<i64>; 5] = [Some(5), Some(10), Some(60), Some(1_440), None];
/// The mute length chosen unless the anchor picks another.
const MUTE_DEFAULT_MINUTES: i64 = 10;
/// A new flash sale's defaults: it opens after a short countdown, runs ten minutes, offers
/// ten units, one per buyer.
const FLASH_DEFAULT_STARTS_IN_S: i64 = 10;
const FLASH_DEFAULT_DURATION_MIN: i64 = 10;
const FLASH_DEFAULT_QUANTITY: i64 = 10;
const FLASH_DEFAULT_PER_USER_LIMIT: i64 = 1;

fn control_path(id: LiveSessionId) -> String {
    format!("/anchor/sessions/{id}/live")
}

pub(super) async fn show(
    State(state): State<WebState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Anchor)?;
    let id = LiveSessionId(id);
    let services = &state.services;
    // The dashboard is the session's anchor's alone: it refuses anyone else first.
    let board = services.live_dashboard(actor, id).await?;
    let snapshot = services.session_snapshot(id).await?;
    let sales = services.session_flash_sales(id).await?;
    let mutes = services.muted_viewers(actor, id).await?;
    let nowcast = services.session_nowcast(actor, id).await?;
    let session = &snapshot.session;
    let title = format!(
        "{} · {}",
        page.t("直播控制台", "Live control"),
        session.title
    );

    Ok(page.render(
        &title,
        html! {
            div.anchor.live-control #live-control data-session-id=(id) data-status=(session.status.as_str())
                data-stats-url={ (control_path(id)) "/stats" } {
                p { a href="/anchor/sessions" { "← " (page.t("我的直播", "My sessions")) } }
                div.spread {
                    h1 { (session.title) " " span #session-status { (status_badge(&page, session.status)) } }
                    (session_actions(&page, id, session.status, &control_path(id)))
                }
                p.muted {
                    (page.t("计划开播 ", "Planned ")) (when(session.starts_at_ms))
                    @if let Some(at) = session.went_live_at_ms { " · " (page.t("开播于 ", "live since ")) (when(at)) }
                    @if let Some(at) = session.ended_at_ms { " · " (page.t("结束于 ", "ended ")) (when(at)) }
                }
                (dashboard_panel(&page, &board))
                (nowcast_panel(&page, &nowcast))
                div.console-grid {
                    div {
                        (shelf_panel(&page, &snapshot))
                        (flash_panel(&page, &snapshot, &sales))
                    }
                    div {
                        (comments_panel(&page))
                        (mutes_panel(&page, id, &mutes))
                    }
                }
            }
            script src="/static/anchor.js" defer {}
        },
    ))
}

/// The live dashboard: counters and sales so far, and GMV over time.
fn dashboard_panel(page: &Page, board: &LiveDashboard) -> Markup {
    let counters = &board.session.counters;
    html! {
        section.card #live-dashboard {
            h2 { (page.t("实时数据", "Live dashboard")) }
            div.kpis {
                div.kpi { b data-stat="online" { (board.online()) } span { (page.t("在线人数", "Online now")) } }
                div.kpi { b data-stat="peak_online" { (board.peak_online()) } span { (page.t("最高在线", "Peak online")) } }
                div.kpi { b data-stat="unique_viewers" { (counters.unique_viewers) } span { (page.t("累计观看", "Unique viewers")) } }
                div.kpi { b data-stat="likes" { (board.likes()) } span { (page.t("点赞", "Likes")) } }
                div.kpi { b data-stat="comments" { (board.comments()) } span { (page.t("评论", "Comments")) } }
                div.kpi { b data-stat="paid_orders" { (board.paid_orders) } span { (page.t("成交订单", "Paid orders")) } }
                div.kpi { b data-stat="gmv" { (yuan(board.gmv_fen)) } span { (page.t("成交额", "GMV")) } }
                div.kpi { b data-stat="awaiting_payment" { (board.awaiting_payment) } span { (page.t("待支付", "Awaiting payment")) } }
            }
            div #sales-chart { (sales_chart(page, board)) }
            p.ticker #order-ticker aria-live="polite" {}
        }
    }
}

/// GMV per stretch of the session, in yuan.
fn sales_chart(page: &Page, board: &LiveDashboard) -> Markup {
    if board.series.is_empty() {
        return html! { p.muted { (page.t("开播后这里显示成交走势。", "Sales over time show here once you are live.")) } };
    }
    let points: Vec<(String, f64)> = board
        .series
        .iter()
        .map(|point| (clock(point.from_ms), point.gmv_fen as f64 / 100.0))
        .collect();
    let minutes = board.bucket_ms / 60_000;
    let title = match page.lang {
        crate::page::Lang::Zh => format!("成交额（元，每 {minutes} 分钟）"),
        crate::page::Lang::En => format!("GMV (yuan per {minutes} min)"),
    };
    chart::line(&title, &points)
}

/// The session's SKUs with the pin buttons; the pinned one is marked.
fn shelf_panel(page: &Page, snapshot: &SessionSnapshot) -> Markup {
    let id = snapshot.session.id;
    let pinned = snapshot.session.pinned_sku_id;
    let changeable = snapshot.session.status != SessionStatus::Ended;
    html! {
        section.card #session-shelf {
            div.spread {
                h2 { (page.t("本场商品", "On sale in this session")) }
                @if changeable && pinned.is_some() {
                    form.inline method="post" action={ "/anchor/sessions/" (id) "/pin" } {
                        (page.csrf_field())
                        input type="hidden" name="sku_id" value="";
                        button type="submit" data-unpin { (page.t("取消讲解", "Unpin")) }
                    }
                }
            }
            ul.shelf.control-shelf {
                @for item in &snapshot.items {
                    @let is_pinned = pinned == Some(item.sku_id);
                    li.pinned-item[is_pinned] data-sku-id=(item.sku_id) data-pinned=(is_pinned) {
                        @if let Some(image) = &item.image_url { img src=(image) alt=""; }
                        div.grow {
                            strong { (item.title) }
                            div {
                                span.price { (yuan(item.live_price_fen.0)) } " "
                                @if item.live_price_fen != item.pool_price_fen { span.strike { (yuan(item.pool_price_fen.0)) } }
                            }
                            div.muted { (page.t("剩余库存 ", "Stock left ")) span data-stock-left=(item.sku_id) { (item.stock_left) } }
                        }
                        span.badge.live.pinned-badge hidden[!is_pinned] { (page.t("讲解中", "Pinned")) }
                        @if changeable {
                            form.inline method="post" action={ "/anchor/sessions/" (id) "/pin" } {
                                (page.csrf_field())
                                input type="hidden" name="sku_id" value=(item.sku_id);
                                button.primary[!is_pinned] type="submit" data-pin-sku=(item.sku_id) aria-pressed=(is_pinned) {
                                    (page.t("讲解", "Pin"))
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The flash-sale form and the session's sales.
fn flash_panel(page: &Page, snapshot: &SessionSnapshot, sales: &[FlashSaleView]) -> Markup {
    let id = snapshot.session.id;
    let preselected = snapshot
        .session
        .pinned_sku_id
        .or_else(|| snapshot.items.first().map(|item| item.sku_id));
    let title_of = |sku: SkuId| {
        snapshot
            .items
            .iter()
            .find(|item| item.sku_id == sku)
            .map_or_else(|| format!("SKU {sku}"), |item| item.title.clone())
    };
    html! {
        section.card #flash-sales-card {
            h2 { (page.t("秒杀", "Flash sales")) }
            @if snapshot.session.status != SessionStatus::Ended && !snapshot.items.is_empty() {
                form #flash-sale-form method="post" action={ "/anchor/sessions/" (id) "/flash-sales" } {
                    (page.csrf_field())
                    div.filters {
                        label.wide { (page.t("商品", "SKU"))
                            select name="sku_id" required {
                                @for item in &snapshot.items {
                                    option value=(item.sku_id) selected[preselected == Some(item.sku_id)] {
                                        (item.title) " · " (yuan(item.live_price_fen.0))
                                    }
                                }
                            }
                        }
                        label { (page.t("秒杀价（元，留空用直播价）", "Sale price (yuan; empty: the live price)"))
                            input name="price_yuan" inputmode="decimal" placeholder=(page.t("直播价", "live price")); }
                        @if snapshot.session.campaign_id.is_some() {
                            label { (page.t("活动补贴（元/件）", "Campaign subsidy (yuan per unit)"))
                                input name="subsidy_yuan" inputmode="decimal" value="0"; }
                        }
                        label { (page.t("数量", "Quantity"))
                            input type="number" name="quantity" min="1" required value=(FLASH_DEFAULT_QUANTITY); }
                        label { (page.t("每人限购", "Per buyer"))
                            input type="number" name="per_user_limit" min="1" required value=(FLASH_DEFAULT_PER_USER_LIMIT); }
                        label { (page.t("几秒后开抢", "Opens in (seconds)"))
                            input type="number" name="starts_in_seconds" min="0" required value=(FLASH_DEFAULT_STARTS_IN_S); }
                        label { (page.t("持续（分钟）", "Runs for (minutes)"))
                            input type="number" name="duration_minutes" min="1" max="1440" required value=(FLASH_DEFAULT_DURATION_MIN); }
                    }
                    button.primary type="submit" { (page.t("开始秒杀", "Start flash sale")) }
                }
            }
            @if sales.is_empty() {
                p.muted { (page.t("本场还没有秒杀。", "No flash sale in this session yet.")) }
            } @else {
                div.table-wrap {
                    table #flash-sales {
                        thead { tr {
                            th { (page.t("商品", "SKU")) }
                            th.num { (page.t("秒杀价", "Price")) }
                            th.num { (page.t("剩余/总数", "Left / total")) }
                            th.num { (page.t("已付款", "Paid")) }
                            th.num { (page.t("限购", "Limit")) }
                            th { (page.t("时间", "Time")) }
                            th { (page.t("状态", "State")) }
                        } }
                        tbody {
                            @for sale in sales.iter().rev() {
                                tr data-sale-id=(sale.id) {
                                    td { (title_of(sale.sku_id)) }
                                    td.num {
                                        span.price { (yuan(sale.buyer_price_fen.0)) }
                                        @if sale.subsidy_fen.0 > 0 { div.muted { (page.t("补贴 ", "subsidy ")) (yuan(sale.subsidy_fen.0)) } }
                                    }
                                    td.num { span data-sale-remaining { (sale.remaining) } " / " (sale.quantity) }
                                    td.num data-sale-sold { (sale.sold) }
                                    td.num { (sale.per_user_limit) }
                                    td { (clock(sale.starts_at_ms)) "–" (clock(sale.ends_at_ms)) }
                                    td data-sale-phase { (phase_badge(page, sale)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn phase_badge(page: &Page, sale: &FlashSaleView) -> Markup {
    match sale.phase {
        FlashPhase::Upcoming => html! { span.badge.warn { (page.t("倒计时", "Counting down")) } },
        FlashPhase::Running if sale.remaining == 0 => {
            html! { span.badge.bad { (page.t("已抢光", "Sold out")) } }
        }
        FlashPhase::Running => html! { span.badge.live { (page.t("抢购中", "On sale")) } },
        FlashPhase::Ended => html! { span.badge { (page.t("已结束", "Ended")) } },
    }
}

fn mute_choices(page: &Page, id: &str) -> Markup {
    html! {
        select id=(id) name="minutes" {
            @for choice in MUTE_CHOICES_MINUTES {
                @match choice {
                    Some(minutes) => option value=(minutes) selected[minutes == MUTE_DEFAULT_MINUTES] {
                        @if minutes < 60 { (minutes) (page.t(" 分钟", " minutes")) }
                        @else if minutes < 1_440 { (minutes / 60) (page.t(" 小时", " hour(s)")) }
                        @else { (minutes / 1_440) (page.t(" 天", " day(s)")) }
                    },
                    None => option value="" { (page.t("本场直播内", "Rest of the session")) },
                }
            }
        }
    }
}

/// Recent comments, filled and kept up to date by the page script from the room.
fn comments_panel(page: &Page) -> Markup {
    html! {
        section.card #comments-card {
            div.spread {
                h2 { (page.t("评论", "Comments")) }
                label.inline.muted { (page.t("禁言时长", "Mute for")) " " (mute_choices(page, "mute-minutes")) }
            }
            p.muted #room-state aria-live="polite" { (page.t("正在连接直播间…", "Connecting to the room…")) }
            ul.comments.moderation #comments
                data-label-delete=(page.t("删除", "Delete"))
                data-label-mute=(page.t("禁言", "Mute"))
                data-label-deleted=(page.t("已删除", "deleted"))
                data-label-live=(page.t("已连接直播间", "Connected to the room"))
                data-label-offline=(page.t("与直播间断开，正在重连…", "Disconnected from the room; reconnecting…"))
                data-label-ended=(page.t("直播已结束", "The session has ended"))
                data-label-muted=(page.t("已禁言", "Muted")) {}
            noscript { p.muted { (page.t("实时评论需要启用 JavaScript。", "Live comments need JavaScript.")) } }
        }
    }
}

/// The mute form and the viewers muted now.
fn mutes_panel(page: &Page, id: LiveSessionId, mutes: &[MutedViewer]) -> Markup {
    html! {
        section.card #mutes-card {
            h2 { (page.t("禁言", "Muted viewers")) }
            form #mute-form method="post" action={ "/anchor/sessions/" (id) "/mutes" } {
                (page.csrf_field())
                div.filters {
                    label { (page.t("观众 ID", "Viewer id")) input type="number" name="user_id" min="1" required; }
                    label { (page.t("时长", "For")) (mute_choices(page, "mute-form-minutes")) }
                    label.wide { (page.t("原因（可选）", "Reason (optional)")) input name="reason" maxlength="200"; }
                }
                button.danger type="submit" { (page.t("禁言", "Mute")) }
            }
            @if mutes.is_empty() {
                p.muted #no-mutes { (page.t("没有被禁言的观众。", "Nobody is muted.")) }
            } @else {
                div.table-wrap {
                    table #mutes {
                        thead { tr {
                            th { (page.t("观众", "Viewer")) }
                            th { (page.t("直到", "Until")) }
                            th { (page.t("原因", "Reason")) }
                            th {}
                        } }
                        tbody {
                            @for muted in mutes {
                                tr data-user-id=(muted.mute.user_id) {
                                    td { (muted.display_name) " " span.muted { "#" (muted.mute.user_id) } }
                                    td { @match muted.mute.until_ms {
                                        Some(until) => (when(until)),
                                        None => (page.t("本场结束", "End of session")),
                                    } }
                                    td { (muted.mute.reason.as_deref().unwrap_or("")) }
                                    td {
                                        form.inline method="post" action={ "/anchor/sessions/" (id) "/mutes/" (muted.mute.user_id) "/delete" } {
                                            (page.csrf_field())
                                            button type="submit" data-unmute=(muted.mute.user_id) { (page.t("解除", "Unmute")) }
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

/// The figures the page script refreshes without a reload.
pub(super) async fn stats(
    State(state): State<WebState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Anchor)?;
    let id = LiveSessionId(id);
    let board = state.services.live_dashboard(actor, id).await?;
    let sales = state.services.session_flash_sales(id).await?;
    let nowcast = state.services.session_nowcast(actor, id).await?;
    let counters = &board.session.counters;
    let sales: Vec<serde_json::Value> = sales
        .iter()
        .map(|sale| {
            serde_json::json!({
                "id": sale.id,
                "remaining": sale.remaining,
                "sold": sale.sold,
                "phase_html": phase_badge(&page, sale).into_string(),
            })
        })
        .collect();
    Ok(Json(serde_json::json!({
        "status": board.session.status.as_str(),
        "online": board.room_now.map(|room| room.online),
        "peak_online": board.peak_online(),
        "unique_viewers": counters.unique_viewers,
        "likes": board.likes(),
        "comments": board.comments(),
        "paid_orders": board.paid_orders,
        "gmv": yuan(board.gmv_fen),
        "awaiting_payment": board.awaiting_payment,
        "chart_html": sales_chart(&page, &board).into_string(),
        "nowcast_html": nowcast_panel(&page, &nowcast).into_string(),
        "sales": sales,
    }))
    .into_response())
}

#[derive(Deserialize)]
pub(super) struct PinForm {
    /// The SKU to pin; empty to unpin.
    #[serde(default)]
    sku_id: String,
}

pub(super) async fn pin(
    State(state): State<WebState>,
    page: Page,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<PinForm>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Anchor)?;
    let id = LiveSessionId(id);
    let back = control_path(id);
    let sku = match form.sku_id.trim() {
        "" => None,
        raw => match raw.parse::<i64>() {
            Ok(sku) => Some(SkuId(sku)),
            Err(_) => {
                return Ok(redirect_with(
                    &back,
                    bad_field("bad_form", format!("not a SKU id: {raw}")),
                ))
            }
        },
    };
    let result = state.services.pin_sku(actor, id, sku).await;
    let ok = match sku {
        Some(_) => page.t("正在讲解", "Pinned"),
        None => page.t("已取消讲解", "Unpinned"),
    };
    Ok(answer(&headers, &back, result, ok))
}

/// The flash-sale form as sent: numbers as text, read here.
#[derive(Deserialize)]
pub(super) struct FlashForm {
    sku_id: String,
    #[serde(default)]
    price_yuan: String,
    #[serde(default)]
    subsidy_yuan: String,
    quantity: String,
    per_user_limit: String,
    starts_in_seconds: String,
    duration_minutes: String,
}

/// A whole number from a form field, or the flash that says which field was not one.
fn whole_number(raw: &str, field: &str) -> Result<i64, crate::page::Flash> {
    raw.trim()
        .parse::<i64>()
        .map_err(|_| bad_field("invalid_number", format!("{field}: not a whole number")))
}

impl FlashForm {
    /// The sale the form asks for at `now`, the live price standing in for an empty price.
    fn input(
        &self,
        items: &[SessionItemView],
        now: i64,
    ) -> Result<FlashSaleInput, crate::page::Flash> {
        let sku_id = SkuId(whole_number(&self.sku_id, "sku_id")?);
        let price_fen = match self.price_yuan.trim() {
            "" => items
                .iter()
                .find(|item| item.sku_id == sku_id)
                // A SKU not in the session: the service names that first.
                .map_or(0, |item| item.live_price_fen.0),
            raw => parse_yuan(raw).ok_or_else(|| {
                bad_field(
                    "invalid_price",
                    format!("price: not an amount in yuan: {raw}"),
                )
            })?,
        };
        let subsidy_fen = match self.subsidy_yuan.trim() {
            "" => 0,
            raw => parse_yuan(raw).ok_or_else(|| {
                bad_field(
                    "invalid_price",
                    format!("subsidy: not an amount in yuan: {raw}"),
                )
            })?,
        };
        let starts_in_s = whole_number(&self.starts_in_seconds, "starts_in_seconds")?;
        let duration_min = whole_number(&self.duration_minutes, "duration_minutes")?;
        let starts_at_ms = now.saturating_add(starts_in_s.saturating_mul(1_000));
        Ok(FlashSaleInput {
            sku_id,
            price_fen,
            subsidy_fen,
            quantity: whole_number(&self.quantity, "quantity")?,
            per_user_limit: whole_number(&self.per_user_limit, "per_user_limit")?,
            starts_at_ms,
            ends_at_ms: starts_at_ms.saturating_add(duration_min.saturating_mul(60_000)),
            pay_window_s: None,
        })
    }
}

pub(super) async fn start_flash_sale(
    State(state): State<WebState>,
    page: Page,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<FlashForm>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Anchor)?;
    let id = LiveSessionId(id);
    let back = control_path(id);
    let snapshot = state.services.session_snapshot(id).await?;
    let input = match form.input(&snapshot.items, now_ms()) {
        Ok(input) => input,
        Err(flash) => return Ok(redirect_with(&back, flash)),
    };
    let result = state.services.create_flash_sale(actor, id, input).await;
    Ok(answer(
        &headers,
        &back,
        result,
        page.t("秒杀已开始倒计时", "Flash sale announced"),
    ))
}

/// Forms with nothing but the CSRF token.
#[derive(Deserialize)]
pub(super) struct Empty {}

pub(super) async fn delete_comment(
    State(state): State<WebState>,
    page: Page,
    headers: HeaderMap,
    Path((id, offset)): Path<(i64, u64)>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Anchor)?;
    let id = LiveSessionId(id);
    let result = state.services.delete_comment(actor, id, offset).await;
    Ok(answer(
        &headers,
        &control_path(id),
        result,
        page.t("评论已删除", "Comment deleted"),
    ))
}

#[derive(Deserialize)]
pub(super) struct MuteForm {
    user_id: String,
    /// Minutes; empty for the rest of the session.
    #[serde(default)]
    minutes: String,
    #[serde(default)]
    reason: String,
}

pub(super) async fn mute(
    State(state): State<WebState>,
    page: Page,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<MuteForm>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Anchor)?;
    let id = LiveSessionId(id);
    let back = control_path(id);
    let user_id = match whole_number(&form.user_id, "user_id") {
        Ok(user) => UserId(user),
        Err(flash) => return Ok(redirect_with(&back, flash)),
    };
    let duration_s = match form.minutes.trim() {
        "" => None,
        raw => match whole_number(raw, "minutes") {
            Ok(minutes) => Some(minutes.saturating_mul(60)),
            Err(flash) => return Ok(redirect_with(&back, flash)),
        },
    };
    let reason = Some(form.reason.trim().to_owned()).filter(|r| !r.is_empty());
    let result = state
        .services
        .mute_in_session(
            actor,
            id,
            MuteInput {
                user_id,
                duration_s,
                reason,
            },
        )
        .await;
    Ok(answer(&headers, &back, result, page.t("已禁言", "Muted")))
}

pub(super) async fn unmute(
    State(state): State<WebState>,
    page: Page,
    headers: HeaderMap,
    Path((id, user_id)): Path<(i64, i64)>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Anchor)?;
    let id = LiveSessionId(id);
    let result = state
        .services
        .unmute_in_session(actor, id, UserId(user_id))
        .await;
    Ok(answer(
        &headers,
        &control_path(id),
        result,
        page.t("已解除禁言", "Unmuted"),
    ))
}
