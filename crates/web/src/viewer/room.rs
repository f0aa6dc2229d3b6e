//! The live room: rendered from the session's snapshot, then kept live by `static/room.js`
//! (pinned product, the shelf drawer 小黄车, the flash-sale panel, comments, likes, counters
//! and the orders ticker). Comments and likes come back here as form posts, by script or
//! by the browser, and go to the same service calls as the API's room routes.
//!
//! The element ids are a contract with `room.js` and the browser tests: `#pinned`
//! (`data-sku-id`), `#shelf-open`, `#shelf` (`li[data-sku-id]`), `#flash-sale`
//! (`data-sale-id`), `#flash-countdown`, `#flash-buy`, `#comments`, `#comment-form`, `#like`,
//! `#online`, `#likes`, `#ticker`, and the buy sheet's `#buy-sheet` and `#buy-submit`.

use super::{from_script, script_answer};
use crate::page::{after_form, encode_component, redirect, when, yuan, CsrfForm, Page, PageError};
use crate::WebState;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use daihuo_domain::account::Role;
use daihuo_domain::flash::FlashPhase;
use daihuo_domain::live::SessionStatus;
use daihuo_domain::LiveSessionId;
use daihuo_service::live::{LiveSessionView, SessionItemView};
use daihuo_service::sale_room::SaleStage;
use daihuo_service::viewer_pages::RoomFlashSale;
use daihuo_service::ServiceError;
use maud::{html, Markup};
use serde::Deserialize;

pub(super) async fn room(
    State(state): State<WebState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let services = &state.services;
    let id = LiveSessionId(id);
    let snapshot = services.session_snapshot(id).await?;
    let session = &snapshot.session;
    let sale = services.room_flash_sale(id).await?;
    let followers = services.follower_count(session.anchor_id).await?;
    let following = match &page.actor {
        Some(actor) if actor.user_id != session.anchor_id => {
            Some(services.follows_anchor(actor, session.anchor_id).await?)
        }
        _ => None,
    };
    let buyer = page.actor.as_ref().filter(|a| a.role == Role::Viewer);
    let addresses = match buyer {
        Some(actor) => services.addresses(actor).await?,
        None => Vec::new(),
    };
    let live = session.status == SessionStatus::Live;
    let here = format!("/live/{id}");
    let login = format!("/login?next={}", encode_component(&here));
    let viewer_kind = match (&page.actor, buyer) {
        (_, Some(_)) => "buyer",
        (Some(_), None) => "signed-in",
        (None, _) => "",
    };
    let items_json = serde_json::to_string(&snapshot.items).unwrap_or_else(|_| "[]".into());
    let body = html! {
        div.room #room data-session-id=(id) data-session-status=(session.status.as_str())
            data-viewer=(viewer_kind)
            data-user-id=[page.actor.as_ref().map(|a| a.user_id.0)] {
            (player(&page, session))
            div.room-head {
                div.grow {
                    h1 { (session.title) }
                    div.muted {
                        b.anchor-name { (session.anchor_name) } " · "
                        span #followers { (followers) } " " (page.t("粉丝", "followers"))
                    }
                }
                @match following {
                    Some(following) => (super::home::follow_form(&page, session.anchor_id, following, &here)),
                    None => @if page.actor.is_none() {
                        a.button.primary href=(login) { (page.t("+ 关注", "+ Follow")) }
                    },
                }
            }
            p.notice #session-ended hidden[session.status != SessionStatus::Ended] {
                (page.t("直播已结束，感谢观看。", "This session has ended. Thanks for watching."))
            }
            @if session.status == SessionStatus::Scheduled {
                p.notice { (page.t("直播预告：", "Scheduled: ")) (when(session.starts_at_ms)) }
            }
            (pinned(&page, id, snapshot.pinned.as_ref(), live))
            (flash_panel(&page, id, sale.as_ref(), &snapshot.items, live))
            p.ticker #ticker aria-live="polite" {}
            ul.comments #comments aria-live="polite" {
                li.system { (page.t("欢迎来到直播间！请文明发言。", "Welcome to the room! Please be kind.")) }
            }
            p.muted #room-status role="status" {}
            div.bottom-bar {
                button.shelf-button #shelf-open type="button" aria-controls="shelf" {
                    (page.t("小黄车", "Shop")) " " span.count { (snapshot.items.len()) }
                }
                form #comment-form method="post" action={ (here) "/comment" } {
                    (page.csrf_field())
                    @if page.actor.is_some() {
                        input name="text" maxlength="200" required autocomplete="off"
                            placeholder=(page.t("说点什么…", "Say something…"));
                        button type="submit" { (page.t("发送", "Send")) }
                    } @else {
                        input name="text" disabled placeholder=(page.t("登录后参与评论", "Sign in to comment"));
                        a.button href=(login) { (page.t("登录", "Sign in")) }
                    }
                }
                @if page.actor.is_some() {
                    form.inline #like-form method="post" action={ (here) "/like" } {
                        (page.csrf_field())
                        input type="hidden" name="count" value="1";
                        button.like #like type="submit" aria-label=(page.t("点赞", "Like")) { "♥" }
                    }
                } @else {
                    a.button.like #like href=(login) aria-label=(page.t("点赞", "Like")) { "♥" }
                }
            }
            div.drawer #shelf hidden role="dialog" aria-label=(page.t("小黄车", "Shop")) data-items=(items_json) {
                div.spread {
                    h2 { (page.t("小黄车", "Shop")) " · " span #shelf-count { (snapshot.items.len()) } }
                    button.link #shelf-close type="button" { (page.t("关闭", "Close")) }
                }
                ul.shelf #shelf-items {
                    @for item in &snapshot.items {
                        (shelf_item(&page, id, item, live))
                    }
                }
            }
            @if buyer.is_some() {
                (super::buy::sheet(&page, id, &addresses, None, true))
            }
        }
        script src="/static/room.js" defer {}
    };
    Ok(page.render(&session.title, body))
}

/// The player, or a placeholder that says why there is no picture.
fn player(page: &Page, session: &LiveSessionView) -> Markup {
    let url = session.playback_url.as_deref();
    let path = url.map(|u| {
        u.split(['?', '#'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase()
    });
    let playable = path
        .as_deref()
        .is_some_and(|p| p.ends_with(".mp4") || p.ends_with(".webm"));
    let hls = path.as_deref().is_some_and(|p| p.ends_with(".m3u8"));
    html! {
        div.player {
            @if session.status == SessionStatus::Ended {
                div.placeholder { p { (page.t("直播已结束", "The session has ended")) } }
            } @else if let (true, Some(url)) = (playable, url) {
                video src=(url) controls autoplay muted playsinline {}
            } @else if let Some(url) = url {
                div.placeholder {
                    @if hls {
                        p { (page.t("这是 HLS 直播流，需要支持 HLS 的播放器才能观看。", "This is an HLS stream; it needs a player that supports HLS.")) }
                    } @else {
                        p { (page.t("浏览器无法直接播放这个直播流。", "The browser cannot play this stream by itself.")) }
                    }
                    a href=(url) rel="noopener" { (page.t("打开直播流", "Open the stream")) }
                }
            } @else if session.status == SessionStatus::Scheduled {
                div.placeholder { p { (page.t("直播尚未开始", "Not live yet")) } p.muted { (when(session.starts_at_ms)) } }
            } @else {
                div.placeholder { p { (page.t("主播正在直播，暂无画面", "Live, without video")) } }
            }
            div.overlay {
                span.chip {
                    @match session.status {
                        SessionStatus::Live => span.badge.live #session-badge { (page.t("直播中", "LIVE")) },
                        SessionStatus::Scheduled => span.badge #session-badge { (page.t("预告", "Soon")) },
                        SessionStatus::Ended => span.badge #session-badge { (page.t("已结束", "Ended")) },
                    }
                    " " (session.anchor_name)
                }
                span.chip {
                    span #online { "–" } " " (page.t("在线", "online")) " · "
                    span #likes { (session.counters.likes) } " " (page.t("赞", "likes"))
                }
            }
        }
    }
}

/// The GET form that opens the buy sheet for one SKU (`room.js` opens it in place).
fn buy_button(page: &Page, session: LiveSessionId, item: &SessionItemView, live: bool) -> Markup {
    let sold_out = item.stock_left <= 0;
    html! {
        form.buy-open method="get" action={ "/live/" (session) "/buy" } {
            input type="hidden" name="sku_id" value=(item.sku_id);
            button.primary type="submit" disabled[sold_out || !live] {
                @if sold_out { (page.t("已售罄", "Sold out")) } @else { (page.t("购买", "Buy")) }
            }
        }
    }
}

/// The product being presented (讲解); always shown, with a line when nothing is.
fn pinned(
    page: &Page,
    session: LiveSessionId,
    item: Option<&SessionItemView>,
    live: bool,
) -> Markup {
    html! {
        div.pinned #pinned data-sku-id=(item.map(|i| i.sku_id.0.to_string()).unwrap_or_default()) {
            @if let Some(item) = item {
                @if let Some(image) = &item.image_url { img src=(image) alt=""; }
                div.grow {
                    div { span.badge.live { (page.t("讲解中", "Now showing")) } " " span.title { (item.title) } }
                    div {
                        span.price { (yuan(item.live_price_fen.0)) } " "
                        @if item.pool_price_fen.0 > item.live_price_fen.0 { span.strike { (yuan(item.pool_price_fen.0)) } " " }
                        span.muted { (page.t("剩", "left: ")) (item.stock_left) (page.t(" 件", "")) }
                    }
                }
                (buy_button(page, session, item, live))
            } @else {
                span.muted { (page.t("主播暂未讲解商品", "Nothing is being presented")) }
            }
        }
    }
}

/// One SKU in the shelf drawer.
fn shelf_item(page: &Page, session: LiveSessionId, item: &SessionItemView, live: bool) -> Markup {
    html! {
        li data-sku-id=(item.sku_id) {
            span.position { (item.position + 1) }
            @if let Some(image) = &item.image_url { img src=(image) alt=""; }
            div.grow {
                div.title { (item.title) }
                div.muted { (item.brand) }
                div {
                    span.price { (yuan(item.live_price_fen.0)) } " "
                    @if item.pool_price_fen.0 > item.live_price_fen.0 { span.strike { (yuan(item.pool_price_fen.0)) } " " }
                }
                div.muted.stock { (page.t("剩", "left: ")) (item.stock_left) (page.t(" 件", "")) }
            }
            (buy_button(page, session, item, live))
        }
    }
}

/// What a sale's stage says.
fn stage_text(page: &Page, stage: SaleStage) -> &'static str {
    match stage {
        SaleStage::Announced => page.t("即将开抢", "Opens soon"),
        SaleStage::CountingDown => page.t("倒计时", "Counting down"),
        SaleStage::Started | SaleStage::StockLeft => page.t("抢购中", "On now"),
        SaleStage::SoldOut => page.t("已抢光", "Sold out"),
        SaleStage::Ended => page.t("已结束", "Ended"),
    }
}

/// `mm:ss` (or `h:mm:ss`) of a duration in milliseconds, rounded up to the second.
fn clock(ms: i64) -> String {
    let seconds = (ms.max(0) + 999) / 1000;
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    }
}

/// The flash-sale panel: hidden until the room has a sale; `room.js` keeps it current.
fn flash_panel(
    page: &Page,
    session: LiveSessionId,
    shown: Option<&RoomFlashSale>,
    items: &[SessionItemView],
    live: bool,
) -> Markup {
    let Some(RoomFlashSale { sale, stage }) = shown else {
        return html! {
            section.flash-sale #flash-sale data-sale-id="" hidden {
                (flash_body(page, session, None, "", 0, "", "", false))
            }
        };
    };
    let mut value = serde_json::to_value(sale).unwrap_or_default();
    if let Some(object) = value.as_object_mut() {
        object.insert("stage".into(), serde_json::json!(stage.as_str()));
    }
    let title = items
        .iter()
        .find(|i| i.sku_id == sale.sku_id)
        .map(|i| i.title.as_str())
        .unwrap_or("");
    let countdown = match sale.phase {
        FlashPhase::Upcoming => format!(
            "{}{}",
            page.t("距开抢 ", "Opens in "),
            clock(sale.starts_at_ms - sale.as_of_ms)
        ),
        FlashPhase::Running => format!(
            "{}{}",
            page.t("距结束 ", "Ends in "),
            clock(sale.ends_at_ms - sale.as_of_ms)
        ),
        FlashPhase::Ended => page.t("已结束", "Ended").to_owned(),
    };
    let open = matches!(stage, SaleStage::Started | SaleStage::StockLeft) && sale.remaining > 0;
    let percent = if sale.quantity > 0 {
        sale.remaining * 100 / sale.quantity
    } else {
        0
    };
    html! {
        section.flash-sale #flash-sale data-sale-id=(sale.id) data-sale=(value.to_string()) {
            (flash_body(page, session, Some(sale.id.0), title, percent, stage_text(page, *stage), &countdown, open && live))
            p.muted #flash-terms {
                span.price { (yuan(sale.buyer_price_fen.0)) } " "
                @if sale.subsidy_fen.0 > 0 { span.strike { (yuan(sale.price_fen.0)) } " " (page.t("平台补贴 ", "subsidy ")) (yuan(sale.subsidy_fen.0)) " · " }
                (page.t("剩 ", "left ")) span #flash-remaining { (sale.remaining) } " / " (sale.quantity)
                " · " (page.t("每人限 ", "limit ")) (sale.per_user_limit)
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn flash_body(
    page: &Page,
    session: LiveSessionId,
    sale_id: Option<i64>,
    title: &str,
    percent: i64,
    state: &str,
    countdown: &str,
    open: bool,
) -> Markup {
    html! {
        div.spread {
            b { (page.t("限时秒杀", "Flash sale")) " " span #flash-title { (title) } }
            span.badge.live #flash-state { (state) }
        }
        div.countdown #flash-countdown { (countdown) }
        div.stock-bar { i #flash-bar style={ "width: " (percent) "%" } {} }
        form.buy-open method="get" action={ "/live/" (session) "/buy" } {
            input type="hidden" name="sale_id" value=(sale_id.map(|i| i.to_string()).unwrap_or_default());
            button.primary.wide #flash-buy type="submit" disabled[!open] { (page.t("立即抢购", "Buy now")) }
        }
    }
}

#[derive(Deserialize)]
pub(super) struct CommentForm {
    text: String,
}

/// A comment, posted by `room.js` (answered in JSON) or by the form without a script
/// (answered with a redirect back to the room).
pub(super) async fn comment(
    State(state): State<WebState>,
    page: Page,
    Path(id): Path<i64>,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<CommentForm>,
) -> Result<Response, PageError> {
    let back = format!("/live/{id}");
    let result = match &page.actor {
        Some(actor) => {
            state
                .services
                .room_comment(actor, LiveSessionId(id), &form.text)
                .await
        }
        None => Err(ServiceError::Unauthenticated),
    };
    if from_script(&headers) {
        return Ok(script_answer(
            result.map(|offset| serde_json::json!({ "offset": offset })),
        ));
    }
    if page.actor.is_none() {
        return Ok(redirect(&format!(
            "/login?next={}",
            encode_component(&back)
        )));
    }
    Ok(after_form(
        &back,
        result,
        page.t("评论已发送", "Comment sent"),
    ))
}

#[derive(Deserialize)]
pub(super) struct LikeForm {
    count: u32,
}

/// Likes, batched by `room.js` (up to 100 taps in one post) or one by the form.
pub(super) async fn like(
    State(state): State<WebState>,
    page: Page,
    Path(id): Path<i64>,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<LikeForm>,
) -> Result<Response, PageError> {
    let back = format!("/live/{id}");
    let result = match &page.actor {
        Some(actor) => {
            state
                .services
                .room_like(actor, LiveSessionId(id), form.count)
                .await
        }
        None => Err(ServiceError::Unauthenticated),
    };
    if from_script(&headers) {
        return Ok(script_answer(result.map(|()| serde_json::json!({}))));
    }
    if page.actor.is_none() {
        return Ok(redirect(&format!(
            "/login?next={}",
            encode_component(&back)
        )));
    }
    Ok(after_form(&back, result, page.t("已点赞", "Liked")))
}

#[cfg(test)]
mod tests {
    use super::clock;

    #[test]
    fn countdowns_round_up_to_the_second() {
        assert_eq!(clock(0), "00:00");
        assert_eq!(clock(1), "00:01");
        assert_eq!(clock(61_000), "01:01");
        assert_eq!(clock(3_600_000), "1:00:00");
        assert_eq!(clock(-5), "00:00");
    }
}
