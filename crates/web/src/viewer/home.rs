//! Home: sessions live now and coming up, the sessions of anchors I follow, my unread
//! notices (an anchor I follow went live), and follow / unfollow.

use super::{back_path, session_card};
use crate::page::{after_form, redirect, CsrfForm, Page, PageError};
use crate::WebState;
use axum::extract::{Path, State};
use axum::response::Response;
use daihuo_domain::{NotificationId, UserId};
use daihuo_service::live::{ListPage, LiveSessionView, NotificationView};
use daihuo_service::Actor;
use maud::{html, Markup};
use serde::Deserialize;
use std::collections::HashSet;

/// Sessions per list on the home page: a phone shows a few screens of cards, no more.
const SESSIONS_SHOWN: i64 = 20;
/// Unread notices shown at the top of home.
const NOTICES_SHOWN: i64 = 5;
/// Follows read at once to mark the cards of anchors already followed.
const FOLLOWS_READ: i64 = 100;

pub(super) async fn home(State(state): State<WebState>, page: Page) -> Result<Response, PageError> {
    let services = &state.services;
    let first = ListPage {
        limit: Some(SESSIONS_SHOWN),
        offset: None,
    };
    let live = services.live_now(first).await?;
    let upcoming = services.upcoming_sessions(first).await?;
    let mut followed_sessions = Vec::new();
    let mut notices = Vec::new();
    let mut following = HashSet::new();
    if let Some(actor) = &page.actor {
        followed_sessions = services.followed_sessions(actor, first).await?.items;
        notices = services
            .notifications(actor, None, Some(NOTICES_SHOWN))
            .await?
            .into_iter()
            .filter(|n| n.read_at_ms.is_none())
            .collect();
        following = followed_anchor_ids(&state, actor, &live.items, &upcoming.items).await?;
    }
    let body = html! {
        @if !notices.is_empty() {
            (notices_card(&page, &notices))
        }
        @if page.actor.is_some() {
            section.home-section #following {
                h2 { (page.t("我关注的", "Anchors I follow")) }
                @if followed_sessions.is_empty() {
                    p.muted { (page.t("关注的主播开播或预告时会出现在这里。", "Sessions of anchors you follow show up here.")) }
                } @else {
                    div.grid { @for session in &followed_sessions { (card_with_follow(&page, session, &following)) } }
                }
            }
        }
        section.home-section #live-now {
            h2 { (page.t("正在直播", "Live now")) }
            @if live.items.is_empty() {
                p.muted { (page.t("现在没有直播。", "Nobody is live right now.")) }
            } @else {
                div.grid { @for session in &live.items { (card_with_follow(&page, session, &following)) } }
            }
        }
        section.home-section #upcoming {
            h2 { (page.t("即将开播", "Coming up")) }
            @if upcoming.items.is_empty() {
                p.muted { (page.t("暂无直播预告。", "No sessions scheduled.")) }
            } @else {
                div.grid { @for session in &upcoming.items { (card_with_follow(&page, session, &following)) } }
            }
        }
    };
    Ok(page.render(page.t("直播", "Live"), body))
}

/// Which anchors of the cards shown the actor follows: the newest follows in one read, and
/// only when those fill a page, one indexed look-up per remaining anchor.
async fn followed_anchor_ids(
    state: &WebState,
    actor: &Actor,
    live: &[LiveSessionView],
    upcoming: &[LiveSessionView],
) -> Result<HashSet<UserId>, PageError> {
    let page = ListPage {
        limit: Some(FOLLOWS_READ),
        offset: None,
    };
    let follows = state.services.followed_anchors(actor, page).await?;
    let complete = (follows.len() as i64) < FOLLOWS_READ;
    let mut following: HashSet<UserId> = follows.into_iter().map(|f| f.anchor_id).collect();
    if !complete {
        let unknown: HashSet<UserId> = live
            .iter()
            .chain(upcoming)
            .map(|s| s.anchor_id)
            .filter(|a| !following.contains(a))
            .collect();
        for anchor in unknown {
            if state.services.follows_anchor(actor, anchor).await? {
                following.insert(anchor);
            }
        }
    }
    Ok(following)
}

fn card_with_follow(page: &Page, session: &LiveSessionView, following: &HashSet<UserId>) -> Markup {
    html! {
        div.card-slot {
            (session_card(page, session))
            @if let Some(actor) = &page.actor {
                @if actor.user_id != session.anchor_id {
                    (follow_form(page, session.anchor_id, following.contains(&session.anchor_id), "/"))
                }
            }
        }
    }
}

/// The follow / unfollow button of an anchor, coming back to `back`.
pub(super) fn follow_form(page: &Page, anchor_id: UserId, following: bool, back: &str) -> Markup {
    html! {
        form.follow method="post" action={ "/anchors/" (anchor_id) "/follow" } data-anchor-id=(anchor_id) {
            (page.csrf_field())
            input type="hidden" name="back" value=(back);
            @if following {
                input type="hidden" name="follow" value="0";
                button.following type="submit" { (page.t("已关注", "Following")) }
            } @else {
                input type="hidden" name="follow" value="1";
                button.primary type="submit" { (page.t("+ 关注", "+ Follow")) }
            }
        }
    }
}

fn notices_card(page: &Page, notices: &[NotificationView]) -> Markup {
    let newest = notices.iter().map(|n| n.id.0).max().unwrap_or(0);
    html! {
        section.card.notices #notices {
            div.spread {
                h2 { (page.t("通知", "Notices")) }
                form.inline method="post" action="/notifications/read" {
                    (page.csrf_field())
                    input type="hidden" name="up_to_id" value=(newest);
                    button.link type="submit" { (page.t("全部已读", "Mark all read")) }
                }
            }
            ul.plain {
                @for notice in notices {
                    li data-notification-id=(notice.id) {
                        @let anchor = notice.body.get("anchor_name").and_then(|v| v.as_str()).unwrap_or("");
                        @let title = notice.body.get("title").and_then(|v| v.as_str()).unwrap_or("");
                        @match notice.session_id {
                            Some(session) => a href={ "/live/" (session) } {
                                b { (anchor) } " " (page.t("开播了：", "is live: ")) (title)
                            },
                            None => span { (anchor) " " (title) },
                        }
                        " " span.muted { (crate::page::when(notice.created_at_ms)) }
                    }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub(super) struct FollowForm {
    /// "1" to follow, "0" to stop.
    follow: String,
    back: Option<String>,
}

pub(super) async fn follow(
    State(state): State<WebState>,
    page: Page,
    Path(anchor_id): Path<i64>,
    CsrfForm(form): CsrfForm<FollowForm>,
) -> Result<Response, PageError> {
    let actor = page.signed_in()?;
    let back = back_path(form.back.as_deref());
    let anchor = UserId(anchor_id);
    Ok(if form.follow == "1" {
        let done = state.services.follow_anchor(actor, anchor).await;
        after_form(&back, done, page.t("已关注", "Following"))
    } else {
        let done = state.services.unfollow_anchor(actor, anchor).await;
        after_form(&back, done, page.t("已取消关注", "Unfollowed"))
    })
}

#[derive(Deserialize)]
pub(super) struct ReadForm {
    up_to_id: i64,
}

pub(super) async fn mark_read(
    State(state): State<WebState>,
    page: Page,
    CsrfForm(form): CsrfForm<ReadForm>,
) -> Result<Response, PageError> {
    let actor = page.signed_in()?;
    state
        .services
        .mark_notifications_read(actor, NotificationId(form.up_to_id))
        .await?;
    Ok(redirect("/"))
}
