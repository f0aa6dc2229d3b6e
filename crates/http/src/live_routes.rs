//! Live sessions, follows, notifications, room moderation and campaigns, with their OpenAPI
//! descriptions.
//!
//! Sessions live under `/api/live-sessions`: `/api/sessions` already names sign-in sessions.
//! Reading a session and the "live now" and "upcoming" lists needs no token, because
//! anonymous visitors watch rooms too.

use crate::auth::Auth;
use crate::error::ErrorBody;
use crate::routes::{IdPage, JsonBody};
use crate::{ApiError, AppState};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use daihuo_domain::{LiveSessionId, NotificationId, SkuId, UserId};
use daihuo_service::live::{
    CampaignView, FollowedAnchor, ListPage, MarkedRead, MuteInput, MuteView, NewCampaign,
    NewLiveSession, NotificationView, SessionEdit, SessionItemInput, SessionPage, SessionSnapshot,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

type ApiResult<T> = Result<Json<T>, ApiError>;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(schedule_session, anchor_sessions))
        .routes(routes!(live_now))
        .routes(routes!(upcoming))
        .routes(routes!(get_session, edit_session))
        .routes(routes!(replace_items))
        .routes(routes!(go_live))
        .routes(routes!(end_session))
        .routes(routes!(pin))
        .routes(routes!(mute, list_mutes))
        .routes(routes!(unmute))
        .routes(routes!(followed_sessions))
        .routes(routes!(follow, unfollow))
        .routes(routes!(followed_anchors))
        .routes(routes!(notifications))
        .routes(routes!(mark_read))
        .routes(routes!(create_campaign, list_campaigns))
}

/// Reads paging from the query string.
fn page(page: Result<Query<ListPage>, QueryRejection>) -> Result<ListPage, ApiError> {
    Ok(page?.0)
}

/// Anchor: schedules a session selling SKUs from the own shelf at live prices (each at least
/// the SKU's floor price and at most its pool price).
#[utoipa::path(post, path = "/api/live-sessions", tag = "live", security(("bearer" = [])),
    request_body = NewLiveSession,
    responses((status = 201, body = SessionSnapshot), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn schedule_session(
    State(state): State<AppState>,
    Auth(actor): Auth,
    JsonBody(input): JsonBody<NewLiveSession>,
) -> Result<(StatusCode, Json<SessionSnapshot>), ApiError> {
    let snapshot = state.services.schedule_session(&actor, input).await?;
    Ok((StatusCode::CREATED, Json(snapshot)))
}

/// Whose sessions to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AnchorSessionsQuery {
    /// The anchor.
    pub anchor_id: i64,
    /// Page size (1–100, default 20).
    pub limit: Option<i64>,
    /// Results to skip (at most 10,000).
    pub offset: Option<i64>,
}

/// Public: one anchor's sessions in any status, the newest first.
#[utoipa::path(get, path = "/api/live-sessions", tag = "live", params(AnchorSessionsQuery),
    responses((status = 200, body = SessionPage), (status = 422, body = ErrorBody)))]
async fn anchor_sessions(
    State(state): State<AppState>,
    query: Result<Query<AnchorSessionsQuery>, QueryRejection>,
) -> ApiResult<SessionPage> {
    let Query(query) = query?;
    let page = ListPage {
        limit: query.limit,
        offset: query.offset,
    };
    Ok(Json(
        state
            .services
            .anchor_sessions(UserId(query.anchor_id), page)
            .await?,
    ))
}

/// Public: sessions broadcasting now, the most recently started first.
#[utoipa::path(get, path = "/api/live-sessions/live", tag = "live", params(ListPage),
    responses((status = 200, body = SessionPage), (status = 422, body = ErrorBody)))]
async fn live_now(
    State(state): State<AppState>,
    query: Result<Query<ListPage>, QueryRejection>,
) -> ApiResult<SessionPage> {
    Ok(Json(state.services.live_now(page(query)?).await?))
}

/// Public: scheduled sessions, the soonest first.
#[utoipa::path(get, path = "/api/live-sessions/upcoming", tag = "live", params(ListPage),
    responses((status = 200, body = SessionPage), (status = 422, body = ErrorBody)))]
async fn upcoming(
    State(state): State<AppState>,
    query: Result<Query<ListPage>, QueryRejection>,
) -> ApiResult<SessionPage> {
    Ok(Json(state.services.upcoming_sessions(page(query)?).await?))
}

/// Public: a session with its SKUs, live prices, stock left, pinned SKU and counters.
#[utoipa::path(get, path = "/api/live-sessions/{id}", tag = "live",
    params(("id" = i64, Path, description = "session id")),
    responses((status = 200, body = SessionSnapshot), (status = 404, body = ErrorBody)))]
async fn get_session(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<SessionSnapshot> {
    Ok(Json(
        state.services.session_snapshot(LiveSessionId(id)).await?,
    ))
}

/// The session's anchor: edits a scheduled session; absent fields stay as they are.
#[utoipa::path(patch, path = "/api/live-sessions/{id}", tag = "live", security(("bearer" = [])),
    params(("id" = i64, Path, description = "session id")), request_body = SessionEdit,
    responses((status = 200, body = SessionSnapshot), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn edit_session(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
    JsonBody(edit): JsonBody<SessionEdit>,
) -> ApiResult<SessionSnapshot> {
    Ok(Json(
        state
            .services
            .edit_session(&actor, LiveSessionId(id), edit)
            .await?,
    ))
}

/// A session's SKUs.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SessionItems {
    /// 1–100 SKUs in the order they are shown.
    pub items: Vec<SessionItemInput>,
}

/// The session's anchor: replaces the SKUs of a scheduled or live session.
#[utoipa::path(put, path = "/api/live-sessions/{id}/items", tag = "live", security(("bearer" = [])),
    params(("id" = i64, Path, description = "session id")), request_body = SessionItems,
    responses((status = 200, body = SessionSnapshot), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn replace_items(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<SessionItems>,
) -> ApiResult<SessionSnapshot> {
    Ok(Json(
        state
            .services
            .replace_session_items(&actor, LiveSessionId(id), body.items)
            .await?,
    ))
}

/// The session's anchor: goes live. Followers are notified.
#[utoipa::path(post, path = "/api/live-sessions/{id}/live", tag = "live", security(("bearer" = [])),
    params(("id" = i64, Path, description = "session id")),
    responses((status = 200, body = SessionSnapshot), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn go_live(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
) -> ApiResult<SessionSnapshot> {
    Ok(Json(
        state.services.go_live(&actor, LiveSessionId(id)).await?,
    ))
}

/// The session's anchor or an operator: ends the session (or calls off a scheduled one).
#[utoipa::path(post, path = "/api/live-sessions/{id}/end", tag = "live", security(("bearer" = [])),
    params(("id" = i64, Path, description = "session id")),
    responses((status = 200, body = SessionSnapshot), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn end_session(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
) -> ApiResult<SessionSnapshot> {
    Ok(Json(
        state
            .services
            .end_session(&actor, LiveSessionId(id))
            .await?,
    ))
}

/// What to pin.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PinInput {
    /// A SKU sold in the session, or `null` to unpin.
    pub sku_id: Option<SkuId>,
}

/// The session's anchor or an operator: pins one of the session's SKUs (讲解) or unpins.
#[utoipa::path(put, path = "/api/live-sessions/{id}/pin", tag = "live", security(("bearer" = [])),
    params(("id" = i64, Path, description = "session id")), request_body = PinInput,
    responses((status = 200, body = SessionSnapshot), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn pin(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<PinInput>,
) -> ApiResult<SessionSnapshot> {
    Ok(Json(
        state
            .services
            .pin_sku(&actor, LiveSessionId(id), input.sku_id)
            .await?,
    ))
}

/// The session's anchor or an operator: mutes a viewer in the session.
#[utoipa::path(post, path = "/api/live-sessions/{id}/mutes", tag = "live", security(("bearer" = [])),
    params(("id" = i64, Path, description = "session id")), request_body = MuteInput,
    responses((status = 201, body = MuteView), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn mute(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<MuteInput>,
) -> Result<(StatusCode, Json<MuteView>), ApiError> {
    let muted = state
        .services
        .mute_in_session(&actor, LiveSessionId(id), input)
        .await?;
    Ok((StatusCode::CREATED, Json(muted)))
}

/// The session's anchor or an operator: the mutes in force.
#[utoipa::path(get, path = "/api/live-sessions/{id}/mutes", tag = "live", security(("bearer" = [])),
    params(("id" = i64, Path, description = "session id")),
    responses((status = 200, body = Vec<MuteView>), (status = 403, body = ErrorBody)))]
async fn list_mutes(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
) -> ApiResult<Vec<MuteView>> {
    Ok(Json(
        state
            .services
            .session_mutes(&actor, LiveSessionId(id))
            .await?,
    ))
}

/// The session's anchor or an operator: lifts a mute.
#[utoipa::path(delete, path = "/api/live-sessions/{id}/mutes/{user_id}", tag = "live",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "session id"), ("user_id" = i64, Path, description = "muted user")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn unmute(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((id, user_id)): Path<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    state
        .services
        .unmute_in_session(&actor, LiveSessionId(id), UserId(user_id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Signed in: sessions of the anchors I follow, live ones first, then upcoming ones.
#[utoipa::path(get, path = "/api/me/following/sessions", tag = "live", security(("bearer" = [])),
    params(ListPage), responses((status = 200, body = SessionPage), (status = 401, body = ErrorBody)))]
async fn followed_sessions(
    State(state): State<AppState>,
    Auth(actor): Auth,
    query: Result<Query<ListPage>, QueryRejection>,
) -> ApiResult<SessionPage> {
    Ok(Json(
        state
            .services
            .followed_sessions(&actor, page(query)?)
            .await?,
    ))
}

/// Signed in: follows an anchor (idempotent).
#[utoipa::path(put, path = "/api/anchors/{id}/follow", tag = "live", security(("bearer" = [])),
    params(("id" = i64, Path, description = "anchor's user id")),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn follow(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state.services.follow_anchor(&actor, UserId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Signed in: stops following an anchor (idempotent).
#[utoipa::path(delete, path = "/api/anchors/{id}/follow", tag = "live", security(("bearer" = [])),
    params(("id" = i64, Path, description = "anchor's user id")),
    responses((status = 204), (status = 401, body = ErrorBody)))]
async fn unfollow(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state.services.unfollow_anchor(&actor, UserId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Signed in: the anchors I follow, the most recently followed first.
#[utoipa::path(get, path = "/api/me/following", tag = "live", security(("bearer" = [])),
    params(ListPage), responses((status = 200, body = Vec<FollowedAnchor>), (status = 401, body = ErrorBody)))]
async fn followed_anchors(
    State(state): State<AppState>,
    Auth(actor): Auth,
    query: Result<Query<ListPage>, QueryRejection>,
) -> ApiResult<Vec<FollowedAnchor>> {
    Ok(Json(
        state
            .services
            .followed_anchors(&actor, page(query)?)
            .await?,
    ))
}

/// Paging of notifications, newest first.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationPage {
    /// Return notifications with a smaller id than this.
    pub before_id: Option<i64>,
    /// Page size (1–100, default 20).
    pub limit: Option<i64>,
}

/// Signed in: my notifications, the newest first.
#[utoipa::path(get, path = "/api/me/notifications", tag = "live", security(("bearer" = [])),
    params(NotificationPage),
    responses((status = 200, body = Vec<NotificationView>), (status = 401, body = ErrorBody)))]
async fn notifications(
    State(state): State<AppState>,
    Auth(actor): Auth,
    query: Result<Query<NotificationPage>, QueryRejection>,
) -> ApiResult<Vec<NotificationView>> {
    let Query(query) = query?;
    Ok(Json(
        state
            .services
            .notifications(&actor, query.before_id, query.limit)
            .await?,
    ))
}

/// Which notifications to mark read.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MarkRead {
    /// Every notification with this id or a smaller one is marked read.
    pub up_to_id: NotificationId,
}

/// Signed in: marks my notifications read up to an id.
#[utoipa::path(post, path = "/api/me/notifications/read", tag = "live", security(("bearer" = [])),
    request_body = MarkRead,
    responses((status = 200, body = MarkedRead), (status = 401, body = ErrorBody)))]
async fn mark_read(
    State(state): State<AppState>,
    Auth(actor): Auth,
    JsonBody(input): JsonBody<MarkRead>,
) -> ApiResult<MarkedRead> {
    Ok(Json(
        state
            .services
            .mark_notifications_read(&actor, input.up_to_id)
            .await?,
    ))
}

/// Operator: creates a campaign.
#[utoipa::path(post, path = "/api/campaigns", tag = "live", security(("bearer" = [])),
    request_body = NewCampaign,
    responses((status = 201, body = CampaignView), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn create_campaign(
    State(state): State<AppState>,
    Auth(actor): Auth,
    JsonBody(input): JsonBody<NewCampaign>,
) -> Result<(StatusCode, Json<CampaignView>), ApiError> {
    let created = state.services.create_campaign(&actor, input).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Operators and anchors: campaigns by id.
#[utoipa::path(get, path = "/api/campaigns", tag = "live", security(("bearer" = [])),
    params(IdPage), responses((status = 200, body = Vec<CampaignView>), (status = 403, body = ErrorBody)))]
async fn list_campaigns(
    State(state): State<AppState>,
    Auth(actor): Auth,
    query: Result<Query<IdPage>, QueryRejection>,
) -> ApiResult<Vec<CampaignView>> {
    let (after, limit) = query?.checked()?;
    Ok(Json(state.services.campaigns(&actor, after, limit).await?))
}
