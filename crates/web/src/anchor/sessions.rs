//! `/anchor/sessions`: the anchor's sessions; scheduling a new one from the shelf with live
//! prices, editing one while it is scheduled, going live and ending.

use super::{answer, back_to, local_datetime_value, parse_yuan, status_badge};
use crate::page::{
    now_ms, parse_local_datetime, redirect_with, when, yuan, CsrfForm, Flash, Page, PageError,
};
use crate::WebState;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use daihuo_domain::account::Role;
use daihuo_domain::live::SessionStatus;
use daihuo_domain::nowcast::{PLANNED_LENGTH_MAX_MINUTES, PLANNED_LENGTH_MIN_MINUTES};
use daihuo_domain::{CampaignId, LiveSessionId, SkuId};
use daihuo_service::catalog::SkuView;
use daihuo_service::live::{
    CampaignView, ListPage, NewLiveSession, SessionEdit, SessionItemInput, SessionSnapshot,
};
use daihuo_service::{Actor, ServiceError, Services};
use maud::{html, Markup};
use serde::Deserialize;
use std::collections::HashMap;

/// Sessions per page of the list.
const SESSIONS_PER_PAGE: i64 = 20;
/// Campaigns offered in the form: read a hundred at a time, at most this many pages, so a
/// platform with a long history still answers quickly (older campaigns have ended anyway).
const CAMPAIGN_PAGES_MAX: usize = 5;
/// Campaigns per page read.
const CAMPAIGNS_PER_PAGE: i64 = 100;
/// A new session's suggested start: an hour from now.
const DEFAULT_START_AHEAD_MS: i64 = 3_600_000;

/// A readable session form: the start (Unix ms), the items and the planned length (minutes).
type Checked = (i64, Vec<SessionItemInput>, Option<i64>);

/// What the session form shows: empty for a new session, the session's own when editing,
/// or what was sent when the service refused it.
#[derive(Debug, Clone, Default)]
struct SessionFields {
    title: String,
    /// The `datetime-local` value.
    starts_at: String,
    campaign_id: Option<CampaignId>,
    playback_url: String,
    /// The planned length in minutes as typed; empty when not said.
    planned_length_min: String,
    /// The ticked SKUs and their live prices, fen, in order.
    items: Vec<(SkuId, Option<i64>)>,
}

impl SessionFields {
    fn of_session(snapshot: &SessionSnapshot) -> SessionFields {
        SessionFields {
            title: snapshot.session.title.clone(),
            starts_at: local_datetime_value(snapshot.session.starts_at_ms),
            campaign_id: snapshot.session.campaign_id,
            playback_url: snapshot.session.playback_url.clone().unwrap_or_default(),
            planned_length_min: snapshot
                .session
                .planned_length_min
                .map(|minutes| minutes.to_string())
                .unwrap_or_default(),
            items: snapshot
                .items
                .iter()
                .map(|item| (item.sku_id, Some(item.live_price_fen.0)))
                .collect(),
        }
    }

    /// Reads the posted form: `title`, `starts_at`, `campaign_id`, `playback_url`,
    /// `planned_length_min`, one `sku` per ticked SKU and its `price_{sku}` in yuan. Never fails: what cannot be read is
    /// left empty, and [`SessionFields::checked`] says what is wrong.
    fn read(pairs: &[(String, String)]) -> SessionFields {
        let field = |name: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.trim().to_owned())
                .unwrap_or_default()
        };
        let items = pairs
            .iter()
            .filter(|(key, _)| key == "sku")
            .filter_map(|(_, value)| value.trim().parse::<i64>().ok().map(SkuId))
            .map(|sku| (sku, parse_yuan(&field(&format!("price_{sku}")))))
            .collect();
        SessionFields {
            title: field("title"),
            starts_at: field("starts_at"),
            campaign_id: field("campaign_id").parse::<i64>().ok().map(CampaignId),
            playback_url: field("playback_url"),
            planned_length_min: field("planned_length_min"),
            items,
        }
    }

    /// The start, the items and the planned length as the service takes them, or the first
    /// field that is not readable (with a code like a service's).
    fn checked(&self) -> Result<Checked, (&'static str, String)> {
        let starts_at_ms = parse_local_datetime(&self.starts_at).ok_or((
            "invalid_start_time",
            format!("not a date and time: {:?}", self.starts_at),
        ))?;
        let items = self
            .items
            .iter()
            .map(|(sku_id, price)| {
                price
                    .map(|live_price_fen| SessionItemInput {
                        sku_id: *sku_id,
                        live_price_fen,
                    })
                    .ok_or((
                        "invalid_price",
                        format!("SKU {sku_id}: the live price is not an amount in yuan"),
                    ))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((starts_at_ms, items, self.planned_length()?))
    }

    fn playback(&self) -> Option<String> {
        Some(self.playback_url.clone()).filter(|url| !url.is_empty())
    }

    /// The planned length in minutes, `None` when left empty, or why it is not a number (the
    /// service checks the range).
    fn planned_length(&self) -> Result<Option<i64>, (&'static str, String)> {
        match self.planned_length_min.as_str() {
            "" => Ok(None),
            raw => raw.parse::<i64>().map(Some).map_err(|_| {
                (
                    "invalid_planned_length",
                    format!("not a whole number of minutes: {raw:?}"),
                )
            }),
        }
    }
}

#[derive(Deserialize)]
pub(super) struct ListQuery {
    offset: Option<i64>,
}

pub(super) async fn list(
    State(state): State<WebState>,
    page: Page,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Anchor)?;
    let fields = SessionFields {
        starts_at: local_datetime_value(now_ms() + DEFAULT_START_AHEAD_MS),
        ..SessionFields::default()
    };
    sessions_page(
        &state.services,
        &page,
        actor,
        query.offset.unwrap_or(0),
        fields,
        None,
    )
    .await
}

/// The sessions list with the form to schedule one, showing `refused` above the form when
/// the service turned down what it holds.
async fn sessions_page(
    services: &Services,
    page: &Page,
    actor: &Actor,
    offset: i64,
    fields: SessionFields,
    refused: Option<(String, String)>,
) -> Result<Response, PageError> {
    let sessions = services
        .anchor_sessions(
            actor.user_id,
            ListPage {
                limit: Some(SESSIONS_PER_PAGE),
                offset: Some(offset),
            },
        )
        .await?;
    let shelf = services.shelf(actor).await?;
    let campaigns = open_campaigns(services, actor, fields.campaign_id).await?;
    let body = html! {
        div.anchor {
            h1 { (page.t("我的直播", "My sessions")) }
            @if sessions.items.is_empty() && offset == 0 {
                p.muted { (page.t("还没有直播场次。", "No session yet.")) }
            } @else {
                div.table-wrap {
                    table #sessions {
                        thead { tr {
                            th { (page.t("标题", "Title")) }
                            th { (page.t("开播时间", "Starts")) }
                            th { (page.t("状态", "Status")) }
                            th.num { (page.t("观看", "Viewers")) }
                            th.num { (page.t("点赞", "Likes")) }
                            th { (page.t("操作", "Actions")) }
                        } }
                        tbody {
                            @for session in &sessions.items {
                                tr id={ "session-" (session.id) } data-session-id=(session.id) {
                                    td { (session.title) }
                                    td { (when(session.starts_at_ms)) }
                                    td { (status_badge(page, session.status)) }
                                    td.num { (session.counters.unique_viewers) }
                                    td.num { (session.counters.likes) }
                                    td.actions {
                                        (session_actions(page, session.id, session.status, "/anchor/sessions"))
                                    }
                                }
                            }
                        }
                    }
                }
                div.spread.pager {
                    @if offset > 0 {
                        a href={ "/anchor/sessions?offset=" ((offset - SESSIONS_PER_PAGE).max(0)) } { "← " (page.t("较新", "Newer")) }
                    } @else { span {} }
                    @if let Some(next) = sessions.next_offset {
                        a href={ "/anchor/sessions?offset=" (next) } { (page.t("较早", "Older")) " →" }
                    }
                }
            }
            section.card #new-session {
                h2 { (page.t("安排新直播", "Schedule a session")) }
                @if let Some((code, message)) = &refused {
                    p.flash.error role="alert" { (message) " " code { (code) } }
                }
                (session_form(page, "/anchor/sessions", &fields, &shelf, &campaigns, page.t("安排直播", "Schedule")))
            }
        }
        script src="/static/anchor.js" defer {}
    };
    let status = if refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, page.render(page.t("我的直播", "My sessions"), body)).into_response())
}

/// The buttons of a session in a list: control, edit, go live, end, by what its status
/// allows.
pub(super) fn session_actions(
    page: &Page,
    id: LiveSessionId,
    status: SessionStatus,
    back: &str,
) -> Markup {
    html! {
        div.row {
            @if status != SessionStatus::Ended {
                a.button href={ "/anchor/sessions/" (id) "/live" } { (page.t("控制台", "Control")) }
            }
            @if status == SessionStatus::Scheduled {
                a.button href={ "/anchor/sessions/" (id) "/edit" } { (page.t("编辑", "Edit")) }
                form.inline method="post" action={ "/anchor/sessions/" (id) "/go-live" } {
                    (page.csrf_field())
                    button.primary type="submit" data-go-live=(id) { (page.t("开播", "Go live")) }
                }
            }
            @if status != SessionStatus::Ended {
                form.inline method="post" action={ "/anchor/sessions/" (id) "/end" } {
                    (page.csrf_field())
                    input type="hidden" name="back" value=(back);
                    button.danger type="submit" data-end=(id) data-confirm=(page.t("确定结束这场直播？", "End this session?")) {
                        @if status == SessionStatus::Live { (page.t("下播", "End")) } @else { (page.t("取消直播", "Call off")) }
                    }
                }
            }
        }
    }
}

/// Campaigns a session can still take part in (not over yet), plus `keep` (the session's
/// own) whatever its dates.
async fn open_campaigns(
    services: &Services,
    actor: &Actor,
    keep: Option<CampaignId>,
) -> Result<Vec<CampaignView>, PageError> {
    let now = now_ms();
    let mut open = Vec::new();
    let mut after = 0;
    for _ in 0..CAMPAIGN_PAGES_MAX {
        let batch = services.campaigns(actor, after, CAMPAIGNS_PER_PAGE).await?;
        let Some(last) = batch.last() else { break };
        after = last.id.0;
        let full = i64::try_from(batch.len()).unwrap_or(0) == CAMPAIGNS_PER_PAGE;
        open.extend(
            batch
                .into_iter()
                .filter(|c| c.ends_at_ms > now || Some(c.id) == keep),
        );
        if !full {
            break;
        }
    }
    Ok(open)
}

/// The form of a session: its details and a table of the shelf, each SKU with a tick and a
/// live price between its floor and pool price.
fn session_form(
    page: &Page,
    action: &str,
    fields: &SessionFields,
    shelf: &[SkuView],
    campaigns: &[CampaignView],
    submit: &str,
) -> Markup {
    let ticked: HashMap<SkuId, Option<i64>> = fields.items.iter().copied().collect();
    html! {
        form.session-form method="post" action=(action) {
            (page.csrf_field())
            div.filters {
                label.wide { (page.t("标题", "Title"))
                    input name="title" required maxlength="60" value=(fields.title); }
                label { (page.t("开播时间（北京时间）", "Starts (China time)"))
                    input type="datetime-local" name="starts_at" required value=(fields.starts_at); }
                label { (page.t("参与活动", "Campaign"))
                    select name="campaign_id" {
                        option value="" { (page.t("不参加活动", "None")) }
                        @for campaign in campaigns {
                            option value=(campaign.id) selected[fields.campaign_id == Some(campaign.id)] {
                                (campaign.name) " (" (when(campaign.starts_at_ms)) " – " (when(campaign.ends_at_ms)) ")"
                            }
                        }
                    }
                }
                label.wide { (page.t("播放地址（HLS 或 WebRTC，可选）", "Playback URL (HLS or WebRTC, optional)"))
                    input type="url" name="playback_url" value=(fields.playback_url) placeholder="https://media.example.com/live/room.m3u8"; }
                label { (page.t("计划时长（分钟，可选）", "Planned length (minutes, optional)"))
                    input type="number" name="planned_length_min" min=(PLANNED_LENGTH_MIN_MINUTES) max=(PLANNED_LENGTH_MAX_MINUTES)
                        value=(fields.planned_length_min) placeholder="120"; }
            }
            h3 { (page.t("本场商品与直播价", "SKUs on sale and live prices")) }
            @if shelf.is_empty() {
                p.muted { (page.t("货架是空的，先去", "Your shelf is empty; first visit the")) " "
                    a href="/anchor/selection" { (page.t("选品中心", "selection centre")) } }
            } @else {
                p.muted { (page.t("直播价须在最低价与标准价之间。", "A live price is between the floor and the pool price.")) }
                div.table-wrap {
                    table.session-items {
                        thead { tr {
                            th { (page.t("上架", "Sell")) }
                            th { (page.t("商品", "SKU")) }
                            th.num { (page.t("最低价", "Floor")) }
                            th.num { (page.t("标准价", "Pool price")) }
                            th { (page.t("直播价（元）", "Live price (yuan)")) }
                        } }
                        tbody {
                            @for sku in shelf {
                                @let price = ticked.get(&sku.id).copied().flatten().unwrap_or(sku.pool_price_fen.0);
                                tr {
                                    td { input type="checkbox" name="sku" value=(sku.id) checked[ticked.contains_key(&sku.id)] aria-label=(sku.title); }
                                    td { (sku.title) div.muted { (sku.brand) } }
                                    td.num { (yuan(sku.floor_price_fen.0)) }
                                    td.num { (yuan(sku.pool_price_fen.0)) }
                                    td { input.price-input name={ "price_" (sku.id) } inputmode="decimal"
                                        value=(daihuo_domain::Fen(price).to_yuan_string()); }
                                }
                            }
                        }
                    }
                }
            }
            button.primary type="submit" { (submit) }
        }
    }
}

/// The posted session form, every field as it came.
type Pairs = Vec<(String, String)>;

pub(super) async fn schedule(
    State(state): State<WebState>,
    page: Page,
    CsrfForm(pairs): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Anchor)?;
    let fields = SessionFields::read(&pairs);
    let result = match fields.checked() {
        Ok((starts_at_ms, items, planned_length_min)) => state
            .services
            .schedule_session(
                actor,
                NewLiveSession {
                    title: fields.title.clone(),
                    starts_at_ms,
                    campaign_id: fields.campaign_id,
                    playback_url: fields.playback(),
                    planned_length_min,
                    items,
                },
            )
            .await
            .map_err(|e| (e.code().to_owned(), e.to_string())),
        Err((code, message)) => Err((code.to_owned(), message)),
    };
    match result {
        Ok(snapshot) => Ok(redirect_with(
            &format!("/anchor/sessions#session-{}", snapshot.session.id),
            Flash::Ok(page.t("直播已安排", "Session scheduled").to_owned()),
        )),
        Err(refused) => {
            sessions_page(&state.services, &page, actor, 0, fields, Some(refused)).await
        }
    }
}

/// The session, if it is the actor's own; another anchor's is `forbidden`.
async fn own_session(
    services: &Services,
    actor: &Actor,
    id: LiveSessionId,
) -> Result<SessionSnapshot, PageError> {
    let snapshot = services.session_snapshot(id).await?;
    if snapshot.session.anchor_id != actor.user_id {
        return Err(ServiceError::Forbidden.into());
    }
    Ok(snapshot)
}

pub(super) async fn edit_form(
    State(state): State<WebState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Anchor)?;
    let snapshot = own_session(&state.services, actor, LiveSessionId(id)).await?;
    let fields = SessionFields::of_session(&snapshot);
    edit_page(&state.services, &page, actor, &snapshot, &fields, None).await
}

async fn edit_page(
    services: &Services,
    page: &Page,
    actor: &Actor,
    snapshot: &SessionSnapshot,
    fields: &SessionFields,
    refused: Option<(String, String)>,
) -> Result<Response, PageError> {
    let shelf = services.shelf(actor).await?;
    let campaigns = open_campaigns(services, actor, fields.campaign_id).await?;
    let session = &snapshot.session;
    let forecast = services.session_forecast(actor, session.id).await?;
    let body = html! {
        div.anchor {
            p { a href="/anchor/sessions" { "← " (page.t("我的直播", "My sessions")) } }
            h1 { (page.t("编辑直播", "Edit session")) " " (status_badge(page, session.status)) }
            @if session.status != SessionStatus::Scheduled {
                p.flash.error role="alert" {
                    (page.t("只有未开播的直播可以修改。", "Only a scheduled session can be edited."))
                }
            }
            @if let Some((code, message)) = &refused {
                p.flash.error role="alert" { (message) " " code { (code) } }
            }
            section.card {
                (session_form(page, &format!("/anchor/sessions/{}/edit", session.id), fields, &shelf, &campaigns, page.t("保存", "Save")))
            }
            (crate::demand::forecast_card(page, &forecast))
        }
    };
    let status = if refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        page.render(page.t("编辑直播", "Edit session"), body),
    )
        .into_response())
}

pub(super) async fn edit(
    State(state): State<WebState>,
    page: Page,
    Path(id): Path<i64>,
    CsrfForm(pairs): CsrfForm<Pairs>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Anchor)?;
    let id = LiveSessionId(id);
    let snapshot = own_session(&state.services, actor, id).await?;
    let fields = SessionFields::read(&pairs);
    let result = match fields.checked() {
        Ok((starts_at_ms, items, planned_length_min)) => {
            // The form shows the start to the minute; an untouched start is left as stored,
            // so a session running late can still be edited.
            let unchanged = local_datetime_value(snapshot.session.starts_at_ms) == fields.starts_at;
            state
                .services
                .edit_session(
                    actor,
                    id,
                    SessionEdit {
                        title: Some(fields.title.clone()),
                        starts_at_ms: (!unchanged).then_some(starts_at_ms),
                        campaign_id: Some(fields.campaign_id),
                        playback_url: Some(fields.playback()),
                        planned_length_min: Some(planned_length_min),
                        items: Some(items),
                    },
                )
                .await
                .map_err(|e| (e.code().to_owned(), e.to_string()))
        }
        Err((code, message)) => Err((code.to_owned(), message)),
    };
    match result {
        Ok(_) => Ok(redirect_with(
            "/anchor/sessions",
            Flash::Ok(page.t("已保存", "Saved").to_owned()),
        )),
        Err(refused) => {
            edit_page(
                &state.services,
                &page,
                actor,
                &snapshot,
                &fields,
                Some(refused),
            )
            .await
        }
    }
}

/// A status form: where to go back to.
#[derive(Deserialize)]
pub(super) struct BackForm {
    back: Option<String>,
}

impl BackForm {
    fn back_or(&self, default: &str) -> String {
        back_to(self.back.as_deref(), "/anchor/", default)
    }
}

pub(super) async fn go_live(
    State(state): State<WebState>,
    page: Page,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<BackForm>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Anchor)?;
    let result = state.services.go_live(actor, LiveSessionId(id)).await;
    // Live, the anchor wants the control page; refused, back where they were.
    let to = if result.is_ok() {
        format!("/anchor/sessions/{id}/live")
    } else {
        form.back_or("/anchor/sessions")
    };
    Ok(answer(
        &headers,
        &to,
        result,
        page.t("已开播", "You are live"),
    ))
}

pub(super) async fn end(
    State(state): State<WebState>,
    page: Page,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<BackForm>,
) -> Result<Response, PageError> {
    let actor = page.require(Role::Anchor)?;
    let result = state.services.end_session(actor, LiveSessionId(id)).await;
    let to = form.back_or("/anchor/sessions");
    Ok(answer(
        &headers,
        &to,
        result,
        page.t("直播已结束", "Session ended"),
    ))
}
