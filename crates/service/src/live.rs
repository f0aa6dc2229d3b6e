//! Live sessions: anchors schedule, edit, run and end them; viewers follow anchors and are
//! told when they go live; operators run campaigns; the anchor and operators moderate rooms.
//!
//! Who may do what:
//! - the session's own anchor schedules it, edits it while scheduled, changes its SKUs while
//!   scheduled or live, and takes it live;
//! - the session's anchor or an operator ends it, pins a SKU, and mutes or unmutes viewers;
//! - operators create campaigns; operators and anchors list them;
//! - anyone signed in follows anchors and reads their own notifications;
//! - anyone at all, signed in or not, may read a session and the "live now" and "upcoming"
//!   lists: rooms are public, and anonymous visitors watch too.
//!
//! Every change that viewers in the room must see is announced with [`SessionChange`] after
//! its transaction commits, never before: a room must not show what may still roll back.

use crate::selection::{OFFSET_MAX, PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX};
use crate::{Actor, ServiceError, ServiceResult, Services};
use daihuo_domain::account::Role;
use daihuo_domain::catalog::SkuStatus;
use daihuo_domain::live::{
    check_campaign_name, check_campaign_window, check_start, LivePrice, MuteLength, PlaybackUrl,
    SessionStatus, SessionTitle,
};
use daihuo_domain::nowcast::PlannedLength;
use daihuo_domain::{CampaignId, Fen, LiveSessionId, NotificationId, SkuId, UserId};
use daihuo_room::RoomEvent;
use daihuo_store::live::{
    self as store_live, CampaignRow, ItemsReplaced, LiveSessionRow, MuteRow, SessionDetails,
    SessionItemWrite, ShelfPriceRow, SnapshotItemRow,
};
use daihuo_store::{self as store, now_ms, AnyConnection, Store, StoreError};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::HashSet;
use utoipa::{IntoParams, ToSchema};

/// The most SKUs one session sells: a three-hour stream presents a few dozen; a hundred is
/// generous and keeps a room's snapshot small.
pub const SESSION_ITEMS_MAX: usize = 100;
/// How late a scheduled session may be and still show as upcoming: an anchor running late
/// is still coming; one two hours late has most likely been abandoned without being ended.
pub const UPCOMING_GRACE_MS: i64 = 2 * 3_600 * 1_000;
/// The longest reason given for a mute, in characters.
pub const MUTE_REASON_MAX_CHARS: usize = 200;
/// The longest viewer key the room hub may record: a user id or a visitor id, never a
/// document.
pub const VIEWER_KEY_MAX_BYTES: usize = 128;
/// The kind of notification a follower gets when an anchor goes live.
pub const NOTIFICATION_SESSION_LIVE: &str = "session_live";

/// A change that viewers in a session's room must see, announced after it is committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionChange {
    /// The session went live.
    WentLive,
    /// The session ended.
    Ended,
    /// The pinned SKU (讲解) changed; `None` when nothing is pinned any more.
    Pinned(Option<SkuId>),
    /// The SKUs on sale or their live prices changed.
    ShelfChanged,
    /// A viewer was muted; `until_ms` is `i64::MAX` when the mute lasts until the session
    /// ends.
    Muted {
        /// Who.
        user_id: UserId,
        /// Until when, Unix ms.
        until_ms: i64,
    },
    /// A viewer's mute was lifted.
    Unmuted {
        /// Who.
        user_id: UserId,
    },
}

/// One SKU of a session as an anchor sends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct SessionItemInput {
    /// A SKU on the anchor's own shelf, in the pool.
    pub sku_id: SkuId,
    /// Its price in this session: at least the SKU's floor price, at most its pool price.
    pub live_price_fen: i64,
}

/// A session to schedule.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewLiveSession {
    /// 1–60 characters.
    pub title: String,
    /// Planned start, Unix ms: in the future, at most 30 days ahead.
    pub starts_at_ms: i64,
    /// A campaign the session takes part in.
    #[serde(default)]
    pub campaign_id: Option<CampaignId>,
    /// An HLS or WebRTC (WHEP) URL on the media server, http(s).
    #[serde(default)]
    pub playback_url: Option<String>,
    /// How long it is planned to run from going live, in minutes (5–1,440); the sell-out
    /// nowcast projects to its end. Absent: the anchor's typical length is assumed.
    #[serde(default)]
    pub planned_length_min: Option<i64>,
    /// 1–100 SKUs in the order they are shown.
    pub items: Vec<SessionItemInput>,
}

/// Reads a field that may be absent (leave it), `null` (clear it) or a value (set it).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Changes to a scheduled session; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct SessionEdit {
    /// New title.
    #[serde(default)]
    pub title: Option<String>,
    /// New planned start, Unix ms.
    #[serde(default)]
    pub starts_at_ms: Option<i64>,
    /// New campaign; `null` takes the session out of its campaign.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<CampaignId>, nullable)]
    pub campaign_id: Option<Option<CampaignId>>,
    /// New playback URL; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable)]
    pub playback_url: Option<Option<String>>,
    /// New planned length in minutes (5–1,440); `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>, nullable)]
    pub planned_length_min: Option<Option<i64>>,
    /// New SKUs, replacing all of them.
    #[serde(default)]
    pub items: Option<Vec<SessionItemInput>>,
}

/// A campaign to create.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewCampaign {
    /// 1–60 characters, e.g. 超级品牌日.
    pub name: String,
    /// Start, Unix ms.
    pub starts_at_ms: i64,
    /// End, Unix ms: after the start, at most 90 days later.
    pub ends_at_ms: i64,
}

/// A mute to apply.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct MuteInput {
    /// The viewer to mute.
    pub user_id: UserId,
    /// How long, in seconds (60 to 30 days); absent or `null` for the rest of the session.
    #[serde(default)]
    pub duration_s: Option<i64>,
    /// Why, shown to moderators; at most 200 characters.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Paging by offset for session and follow lists.
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct ListPage {
    /// Page size (1–100, default 20).
    pub limit: Option<i64>,
    /// Results to skip (at most 10,000).
    pub offset: Option<i64>,
}

impl ListPage {
    fn checked(self) -> ServiceResult<(i64, i64)> {
        let limit = self.limit.unwrap_or(PAGE_SIZE_DEFAULT);
        if !(1..=PAGE_SIZE_MAX).contains(&limit) {
            return Err(ServiceError::invalid(
                "invalid_limit",
                "limit must be 1 to 100",
            ));
        }
        let offset = self.offset.unwrap_or(0);
        if !(0..=OFFSET_MAX).contains(&offset) {
            return Err(ServiceError::invalid(
                "invalid_offset",
                "offset must be 0 to 10000",
            ));
        }
        Ok((limit, offset))
    }
}

/// A session's counters, kept for the data work.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct SessionCounters {
    /// Most viewers online at once.
    pub peak_online: i64,
    /// Distinct viewers who ever joined.
    pub unique_viewers: i64,
    /// Likes.
    pub likes: i64,
    /// Comments.
    pub comments: i64,
}

/// A session as lists and rooms show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LiveSessionView {
    /// Id.
    pub id: LiveSessionId,
    /// The anchor.
    pub anchor_id: UserId,
    /// The anchor's display name.
    pub anchor_name: String,
    /// Title.
    pub title: String,
    /// Scheduled, live or ended.
    pub status: SessionStatus,
    /// Planned start, Unix ms.
    pub starts_at_ms: i64,
    /// When it went live.
    pub went_live_at_ms: Option<i64>,
    /// When it ended.
    pub ended_at_ms: Option<i64>,
    /// The campaign it takes part in.
    pub campaign_id: Option<CampaignId>,
    /// Where players fetch the video.
    pub playback_url: Option<String>,
    /// The SKU being presented.
    pub pinned_sku_id: Option<SkuId>,
    /// How long it is planned to run from going live, in minutes; absent when not said.
    pub planned_length_min: Option<i64>,
    /// Counters.
    pub counters: SessionCounters,
}

impl From<LiveSessionRow> for LiveSessionView {
    fn from(row: LiveSessionRow) -> Self {
        LiveSessionView {
            id: row.id,
            anchor_id: row.anchor_id,
            anchor_name: row.anchor_name,
            title: row.title,
            status: row.status,
            starts_at_ms: row.starts_at_ms,
            went_live_at_ms: row.went_live_at_ms,
            ended_at_ms: row.ended_at_ms,
            campaign_id: row.campaign_id,
            playback_url: row.playback_url,
            pinned_sku_id: row.pinned_sku_id,
            planned_length_min: row
                .planned_length_ms
                .map(|ms| ms / daihuo_domain::nowcast::MINUTE_MS),
            counters: SessionCounters {
                peak_online: row.peak_online,
                unique_viewers: row.unique_viewers,
                likes: row.likes,
                comments: row.comments,
            },
        }
    }
}

/// One SKU on sale in a session.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionItemView {
    /// The SKU.
    pub sku_id: SkuId,
    /// Order on the session's shelf, from 0.
    pub position: i64,
    /// Title.
    pub title: String,
    /// Brand.
    pub brand: String,
    /// The first image.
    pub image_url: Option<String>,
    /// The price in this session.
    pub live_price_fen: Fen,
    /// The standard pool price, shown as the "before" price.
    pub pool_price_fen: Fen,
    /// Units left.
    pub stock_left: i64,
}

impl From<SnapshotItemRow> for SessionItemView {
    fn from(row: SnapshotItemRow) -> Self {
        SessionItemView {
            sku_id: row.sku_id,
            position: row.position,
            title: row.title,
            brand: row.brand,
            image_url: row.image_url,
            live_price_fen: Fen(row.live_price_fen),
            pool_price_fen: Fen(row.pool_fen),
            stock_left: row.stock_left,
        }
    }
}

/// A session with everything a room shows on joining: its SKUs with live prices and stock
/// left, the pinned SKU and the counters.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionSnapshot {
    /// The session.
    pub session: LiveSessionView,
    /// Its SKUs in shelf order.
    pub items: Vec<SessionItemView>,
    /// The pinned SKU, one of `items`.
    pub pinned: Option<SessionItemView>,
}

/// A page of sessions.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionPage {
    /// The sessions.
    pub items: Vec<LiveSessionView>,
    /// Whether another page follows.
    pub has_more: bool,
    /// The offset to ask for next.
    pub next_offset: Option<i64>,
}

/// A campaign.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CampaignView {
    /// Id.
    pub id: CampaignId,
    /// Name.
    pub name: String,
    /// Start, Unix ms.
    pub starts_at_ms: i64,
    /// End, Unix ms.
    pub ends_at_ms: i64,
    /// The operator who created it.
    pub created_by: UserId,
}

impl From<CampaignRow> for CampaignView {
    fn from(row: CampaignRow) -> Self {
        CampaignView {
            id: row.id,
            name: row.name,
            starts_at_ms: row.starts_at_ms,
            ends_at_ms: row.ends_at_ms,
            created_by: row.created_by,
        }
    }
}

/// An anchor the viewer follows.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FollowedAnchor {
    /// The anchor.
    pub anchor_id: UserId,
    /// Login name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// When the viewer followed, Unix ms.
    pub followed_at_ms: i64,
}

/// An in-app notification.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotificationView {
    /// Id; newer notifications have larger ids.
    pub id: NotificationId,
    /// What it is about: `session_live`.
    pub kind: String,
    /// The session it is about.
    pub session_id: Option<LiveSessionId>,
    /// Its content; for `session_live`: `session_id`, `anchor_id`, `anchor_name`, `title`.
    #[schema(value_type = Object)]
    pub body: serde_json::Value,
    /// When it was made, Unix ms.
    pub created_at_ms: i64,
    /// When it was marked read.
    pub read_at_ms: Option<i64>,
}

/// How many notifications were marked read.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct MarkedRead {
    /// Notifications that were unread and are read now.
    pub marked: u64,
}

/// A viewer muted in a session.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MuteView {
    /// Who is muted.
    pub user_id: UserId,
    /// Until when, Unix ms; `null` for the rest of the session.
    pub until_ms: Option<i64>,
    /// The anchor or operator who muted.
    pub muted_by: UserId,
    /// Why.
    pub reason: Option<String>,
    /// When, Unix ms.
    pub muted_at_ms: i64,
}

impl From<MuteRow> for MuteView {
    fn from(row: MuteRow) -> Self {
        MuteView {
            user_id: row.user_id,
            until_ms: row.until_ms,
            muted_by: row.muted_by,
            reason: row.reason,
            muted_at_ms: row.muted_at_ms,
        }
    }
}

/// Who, besides the session's own anchor, may do something to a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Also {
    /// Nobody else.
    Nobody,
    /// Operators too.
    Operators,
}

/// Checks a session's SKUs against the anchor's shelf: 1–100 SKUs, no SKU twice, each on
/// the shelf and in the pool, each live price within floor..=pool. The first bad item is
/// named (by its position and SKU id) in the error.
fn check_items(
    items: &[SessionItemInput],
    shelf: &[ShelfPriceRow],
) -> ServiceResult<Vec<SessionItemWrite>> {
    if items.is_empty() {
        return Err(ServiceError::invalid(
            "no_items",
            "a session sells at least one SKU",
        ));
    }
    if items.len() > SESSION_ITEMS_MAX {
        return Err(ServiceError::invalid(
            "too_many_items",
            format!("a session sells at most {SESSION_ITEMS_MAX} SKUs"),
        ));
    }
    let mut seen = HashSet::with_capacity(items.len());
    let mut checked = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let name = format!("item {index} (SKU {})", item.sku_id);
        if !seen.insert(item.sku_id) {
            return Err(ServiceError::invalid(
                "duplicate_sku",
                format!("{name} is listed twice"),
            ));
        }
        let on_shelf = shelf
            .iter()
            .find(|row| row.sku_id == item.sku_id)
            .ok_or_else(|| {
                ServiceError::invalid("sku_not_on_shelf", format!("{name} is not on your shelf"))
            })?;
        if on_shelf.status != SkuStatus::Approved {
            return Err(ServiceError::invalid(
                "sku_not_in_pool",
                format!(
                    "{name} is not in the pool (it is {})",
                    on_shelf.status.as_str()
                ),
            ));
        }
        let price = LivePrice::parse(
            item.live_price_fen,
            Fen(on_shelf.floor_fen),
            Fen(on_shelf.pool_fen),
        )
        .map_err(|e| ServiceError::invalid(e.code(), format!("{name}: {e}")))?;
        checked.push(SessionItemWrite {
            sku_id: item.sku_id,
            live_price_fen: price.fen().0,
        });
    }
    Ok(checked)
}

fn page_of(mut rows: Vec<LiveSessionRow>, limit: i64, offset: i64) -> SessionPage {
    let has_more = i64::try_from(rows.len()).unwrap_or(i64::MAX) > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    let next_offset = Some(offset + limit).filter(|next| has_more && *next <= OFFSET_MAX);
    SessionPage {
        items: rows.into_iter().map(LiveSessionView::from).collect(),
        has_more,
        next_offset,
    }
}

/// A session with its SKUs and pinned SKU, as the API shows it; `None` if there is none.
pub(crate) async fn snapshot_of(
    store: &Store,
    id: LiveSessionId,
) -> ServiceResult<Option<SessionSnapshot>> {
    let Some(row) = store_live::session_snapshot(store.pool(), id).await? else {
        return Ok(None);
    };
    let items: Vec<SessionItemView> = row.items.into_iter().map(SessionItemView::from).collect();
    let pinned = row
        .session
        .pinned_sku_id
        .and_then(|sku| items.iter().find(|item| item.sku_id == sku).cloned());
    Ok(Some(SessionSnapshot {
        session: row.session.into(),
        items,
        pinned,
    }))
}

impl Services {
    /// Tells the rooms of `session_id` on every node about a committed change. State
    /// changes carry their whole new value, read back after the commit. The change is already
    /// stored, so a failure here is logged, not returned: rooms opened later read the
    /// database, and the next change carries the whole state again.
    async fn announce(&self, session_id: LiveSessionId, change: SessionChange) {
        if let Err(error) = self.publish_change(session_id, change).await {
            tracing::warn!(session = %session_id, code = error.code(), %error, "room not told of a change");
        }
    }

    async fn publish_change(
        &self,
        session_id: LiveSessionId,
        change: SessionChange,
    ) -> ServiceResult<()> {
        let event = match change {
            SessionChange::Muted { user_id, until_ms } => RoomEvent::Muted { user_id, until_ms },
            SessionChange::Unmuted { user_id } => RoomEvent::Unmuted { user_id },
            state_change => {
                let snapshot = snapshot_of(&self.store, session_id)
                    .await?
                    .ok_or(ServiceError::NotFound("live session"))?;
                let state = crate::room::room_state(&snapshot);
                match state_change {
                    SessionChange::Pinned(_) => RoomEvent::Pinned {
                        product: state.pinned,
                    },
                    SessionChange::ShelfChanged => RoomEvent::Shelf { items: state.shelf },
                    // Went live or ended.
                    _ => RoomEvent::Session {
                        status: snapshot.session.status.as_str().to_owned(),
                        session: state.session,
                    },
                }
            }
        };
        self.rooms.publish(session_id, event).await?;
        Ok(())
    }

    /// Loads a session for a change by `actor`: its own anchor, or (when `also` says so) an
    /// operator. Anyone else is refused; the session itself is public, so it is not hidden.
    async fn session_for_change(
        &self,
        conn: &mut AnyConnection,
        actor: &Actor,
        id: LiveSessionId,
        also: Also,
    ) -> ServiceResult<LiveSessionRow> {
        let session = store_live::session_by_id(&mut *conn, id)
            .await?
            .ok_or(ServiceError::NotFound("live session"))?;
        let allowed = session.anchor_id == actor.user_id
            || (also == Also::Operators && actor.role == Role::Operator);
        if !allowed {
            return Err(ServiceError::Forbidden);
        }
        Ok(session)
    }

    /// The error to give when a conditional write found the session in another status than
    /// the one read a moment before (a concurrent request changed it first).
    async fn lost_race(&self, conn: &mut AnyConnection, id: LiveSessionId) -> ServiceError {
        match store_live::session_by_id(&mut *conn, id).await {
            Ok(Some(session)) => ServiceError::conflict(
                match session.status {
                    SessionStatus::Scheduled => "session_not_live",
                    SessionStatus::Live => "session_already_live",
                    SessionStatus::Ended => "session_ended",
                },
                format!("the session became {} meanwhile", session.status.as_str()),
            ),
            Ok(None) => ServiceError::NotFound("live session"),
            Err(error) => error.into(),
        }
    }

    async fn check_campaign(
        &self,
        conn: &mut AnyConnection,
        campaign_id: Option<CampaignId>,
    ) -> ServiceResult<()> {
        if let Some(id) = campaign_id {
            if store_live::campaign_by_id(&mut *conn, id).await?.is_none() {
                return Err(ServiceError::invalid(
                    "unknown_campaign",
                    format!("campaign {id} does not exist"),
                ));
            }
        }
        Ok(())
    }

    /// Operators create a campaign.
    pub async fn create_campaign(
        &self,
        actor: &Actor,
        input: NewCampaign,
    ) -> ServiceResult<CampaignView> {
        actor.require_operator()?;
        let name = check_campaign_name(&input.name)?;
        check_campaign_window(input.starts_at_ms, input.ends_at_ms)?;
        let id = store_live::insert_campaign(
            self.store.pool(),
            &name,
            input.starts_at_ms,
            input.ends_at_ms,
            actor.user_id,
            now_ms(),
        )
        .await?;
        let row = store_live::campaign_by_id(self.store.pool(), id)
            .await?
            .ok_or(ServiceError::NotFound("campaign"))?;
        Ok(row.into())
    }

    /// Campaigns by id, for operators and for anchors choosing one for a session.
    pub async fn campaigns(
        &self,
        actor: &Actor,
        after_id: i64,
        limit: i64,
    ) -> ServiceResult<Vec<CampaignView>> {
        if !matches!(actor.role, Role::Operator | Role::Anchor) {
            return Err(ServiceError::Forbidden);
        }
        let rows = store_live::campaigns(self.store.pool(), limit, after_id).await?;
        Ok(rows.into_iter().map(CampaignView::from).collect())
    }

    /// An anchor schedules a session selling SKUs from their own shelf at live prices.
    pub async fn schedule_session(
        &self,
        actor: &Actor,
        input: NewLiveSession,
    ) -> ServiceResult<SessionSnapshot> {
        let anchor = actor.require_anchor()?;
        let now = now_ms();
        let title = SessionTitle::parse(&input.title)?;
        let starts_at_ms = check_start(input.starts_at_ms, now)?;
        let playback = input
            .playback_url
            .as_deref()
            .map(PlaybackUrl::parse)
            .transpose()?;
        let planned = input
            .planned_length_min
            .map(PlannedLength::parse_minutes)
            .transpose()?;
        let mut tx = self.store.begin_write().await?;
        self.check_campaign(tx.conn(), input.campaign_id).await?;
        let shelf = store_live::shelf_prices(&mut *tx.conn(), anchor).await?;
        let items = check_items(&input.items, &shelf)?;
        let details = SessionDetails {
            title: title.as_str(),
            starts_at_ms,
            campaign_id: input.campaign_id,
            playback_url: playback.as_ref().map(PlaybackUrl::as_str),
            planned_length_ms: planned.map(PlannedLength::ms),
        };
        let id = store_live::insert_live_session(tx.conn(), anchor, &details, now).await?;
        store_live::replace_session_items(tx.conn(), id, &items, now).await?;
        crate::forecast::advise_suppliers(tx.conn(), id, now).await?;
        tx.commit().await?;
        self.session_snapshot(id).await
    }

    /// The session's anchor edits it while it is still scheduled: title, start, campaign,
    /// playback URL, planned length and (replacing all of them) its SKUs.
    pub async fn edit_session(
        &self,
        actor: &Actor,
        id: LiveSessionId,
        edit: SessionEdit,
    ) -> ServiceResult<SessionSnapshot> {
        let now = now_ms();
        let title = edit.title.as_deref().map(SessionTitle::parse).transpose()?;
        let starts_at_ms = edit.starts_at_ms.map(|s| check_start(s, now)).transpose()?;
        let playback = match &edit.playback_url {
            Some(Some(url)) => Some(Some(PlaybackUrl::parse(url)?)),
            Some(None) => Some(None),
            None => None,
        };
        let planned = match edit.planned_length_min {
            Some(Some(minutes)) => Some(Some(PlannedLength::parse_minutes(minutes)?.ms())),
            Some(None) => Some(None),
            None => None,
        };
        let mut tx = self.store.begin_write().await?;
        let session = self
            .session_for_change(tx.conn(), actor, id, Also::Nobody)
            .await?;
        session.status.check_editable()?;
        if let Some(Some(campaign)) = edit.campaign_id {
            self.check_campaign(tx.conn(), Some(campaign)).await?;
        }
        let items = match &edit.items {
            Some(items) => {
                let shelf = store_live::shelf_prices(&mut *tx.conn(), session.anchor_id).await?;
                Some(check_items(items, &shelf)?)
            }
            None => None,
        };
        let details = SessionDetails {
            title: title
                .as_ref()
                .map(SessionTitle::as_str)
                .unwrap_or(&session.title),
            starts_at_ms: starts_at_ms.unwrap_or(session.starts_at_ms),
            campaign_id: edit.campaign_id.unwrap_or(session.campaign_id),
            playback_url: match &playback {
                Some(url) => url.as_ref().map(PlaybackUrl::as_str),
                None => session.playback_url.as_deref(),
            },
            planned_length_ms: planned.unwrap_or(session.planned_length_ms),
        };
        if !store_live::update_session_details(tx.conn(), id, &details, now).await? {
            return Err(self.lost_race(tx.conn(), id).await);
        }
        let mut unpinned = false;
        if let Some(items) = &items {
            let replaced = store_live::replace_session_items(tx.conn(), id, items, now).await?;
            unpinned = replaced == ItemsReplaced::ReplacedAndUnpinned;
        }
        crate::forecast::advise_suppliers(tx.conn(), id, now).await?;
        tx.commit().await?;
        if items.is_some() {
            self.announce(id, SessionChange::ShelfChanged).await;
        }
        if unpinned {
            self.announce(id, SessionChange::Pinned(None)).await;
        }
        self.session_snapshot(id).await
    }

    /// The session's anchor replaces its SKUs while it is scheduled or live (the shelf
    /// changes mid-stream). A pinned SKU that is no longer sold is unpinned.
    pub async fn replace_session_items(
        &self,
        actor: &Actor,
        id: LiveSessionId,
        items: Vec<SessionItemInput>,
    ) -> ServiceResult<SessionSnapshot> {
        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        let session = self
            .session_for_change(tx.conn(), actor, id, Also::Nobody)
            .await?;
        session.status.check_shelf_changeable()?;
        let shelf = store_live::shelf_prices(&mut *tx.conn(), session.anchor_id).await?;
        let items = check_items(&items, &shelf)?;
        let replaced = store_live::replace_session_items(tx.conn(), id, &items, now).await?;
        if replaced == ItemsReplaced::NotChangeable {
            return Err(self.lost_race(tx.conn(), id).await);
        }
        crate::forecast::advise_suppliers(tx.conn(), id, now).await?;
        tx.commit().await?;
        self.announce(id, SessionChange::ShelfChanged).await;
        if replaced == ItemsReplaced::ReplacedAndUnpinned {
            self.announce(id, SessionChange::Pinned(None)).await;
        }
        self.session_snapshot(id).await
    }

    /// The session's anchor takes it live. Every follower of the anchor gets a notification
    /// in the same transaction. Of two racing requests exactly one succeeds; an anchor has
    /// at most one live session.
    pub async fn go_live(
        &self,
        actor: &Actor,
        id: LiveSessionId,
    ) -> ServiceResult<SessionSnapshot> {
        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        let session = self
            .session_for_change(tx.conn(), actor, id, Also::Nobody)
            .await?;
        session.status.go_live()?;
        let body = serde_json::json!({
            "session_id": session.id,
            "anchor_id": session.anchor_id,
            "anchor_name": session.anchor_name,
            "title": session.title,
        })
        .to_string();
        let outcome =
            store_live::go_live(tx.conn(), id, NOTIFICATION_SESSION_LIVE, &body, now).await;
        match outcome {
            Ok(Some(notified)) => {
                tx.commit().await?;
                tracing::info!(session_id = %id, notified, "session went live");
            }
            Ok(None) => return Err(self.lost_race(tx.conn(), id).await),
            Err(StoreError::Conflict) => {
                return Err(ServiceError::conflict(
                    "anchor_already_live",
                    "end your live session before starting another",
                ))
            }
            Err(error) => return Err(error.into()),
        }
        self.announce(id, SessionChange::WentLive).await;
        self.session_snapshot(id).await
    }

    /// The session's anchor or an operator ends it (a scheduled one is called off).
    pub async fn end_session(
        &self,
        actor: &Actor,
        id: LiveSessionId,
    ) -> ServiceResult<SessionSnapshot> {
        let mut tx = self.store.begin_write().await?;
        let session = self
            .session_for_change(tx.conn(), actor, id, Also::Operators)
            .await?;
        session.status.end()?;
        if !store_live::end_session(&mut *tx.conn(), id, now_ms()).await? {
            return Err(self.lost_race(tx.conn(), id).await);
        }
        crate::metrics::record_end_stock(tx.conn(), id).await?;
        tx.commit().await?;
        self.announce(id, SessionChange::Ended).await;
        self.session_snapshot(id).await
    }

    /// The session's anchor or an operator pins one of the session's SKUs (讲解), or unpins
    /// with `None`.
    pub async fn pin_sku(
        &self,
        actor: &Actor,
        id: LiveSessionId,
        sku_id: Option<SkuId>,
    ) -> ServiceResult<SessionSnapshot> {
        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        let session = self
            .session_for_change(tx.conn(), actor, id, Also::Operators)
            .await?;
        session.status.check_shelf_changeable()?;
        let written = match sku_id {
            Some(sku) => store_live::pin_sku(&mut *tx.conn(), id, sku, now).await?,
            None => store_live::unpin(&mut *tx.conn(), id, now).await?,
        };
        if !written {
            let current = store_live::session_by_id(&mut *tx.conn(), id).await?;
            return Err(match current {
                Some(s) if s.status != SessionStatus::Ended => ServiceError::invalid(
                    "sku_not_in_session",
                    format!(
                        "SKU {} is not sold in this session",
                        sku_id.map(|s| s.0).unwrap_or_default()
                    ),
                ),
                _ => self.lost_race(tx.conn(), id).await,
            });
        }
        tx.commit().await?;
        self.announce(id, SessionChange::Pinned(sku_id)).await;
        self.session_snapshot(id).await
    }

    /// A session with its SKUs, pinned SKU and counters. Public: anyone may look at a room,
    /// signed in or not. The room hub calls it too, for the snapshot a joining viewer gets.
    pub async fn session_snapshot(&self, id: LiveSessionId) -> ServiceResult<SessionSnapshot> {
        snapshot_of(&self.store, id)
            .await?
            .ok_or(ServiceError::NotFound("live session"))
    }

    /// Sessions broadcasting now, the most recently started first. Public.
    pub async fn live_now(&self, page: ListPage) -> ServiceResult<SessionPage> {
        let (limit, offset) = page.checked()?;
        let rows = store_live::live_now(self.store.pool(), limit + 1, offset).await?;
        Ok(page_of(rows, limit, offset))
    }

    /// Scheduled sessions, the soonest first (including ones running late by up to two
    /// hours). Public.
    pub async fn upcoming_sessions(&self, page: ListPage) -> ServiceResult<SessionPage> {
        let (limit, offset) = page.checked()?;
        let since = now_ms().saturating_sub(UPCOMING_GRACE_MS);
        let rows = store_live::upcoming(self.store.pool(), since, limit + 1, offset).await?;
        Ok(page_of(rows, limit, offset))
    }

    /// One anchor's sessions in any status, the newest first. Public: an anchor's page.
    pub async fn anchor_sessions(
        &self,
        anchor_id: UserId,
        page: ListPage,
    ) -> ServiceResult<SessionPage> {
        let (limit, offset) = page.checked()?;
        let rows =
            store_live::anchor_sessions(self.store.pool(), anchor_id, limit + 1, offset).await?;
        Ok(page_of(rows, limit, offset))
    }

    /// Sessions of the anchors the actor follows: live ones first, then upcoming ones.
    pub async fn followed_sessions(
        &self,
        actor: &Actor,
        page: ListPage,
    ) -> ServiceResult<SessionPage> {
        let (limit, offset) = page.checked()?;
        let since = now_ms().saturating_sub(UPCOMING_GRACE_MS);
        let rows = store_live::followed_sessions(
            self.store.pool(),
            actor.user_id,
            since,
            limit + 1,
            offset,
        )
        .await?;
        Ok(page_of(rows, limit, offset))
    }

    /// The actor follows an anchor (following twice is harmless). Nobody follows
    /// themselves, and only anchors can be followed.
    pub async fn follow_anchor(&self, actor: &Actor, anchor_id: UserId) -> ServiceResult<()> {
        if anchor_id == actor.user_id {
            return Err(ServiceError::invalid(
                "cannot_follow_self",
                "you cannot follow yourself",
            ));
        }
        let anchor = store::user_by_id(self.store.pool(), anchor_id)
            .await?
            .ok_or(ServiceError::NotFound("anchor"))?;
        if anchor.role != Role::Anchor {
            return Err(ServiceError::invalid(
                "not_an_anchor",
                format!("user {anchor_id} is not an anchor"),
            ));
        }
        store_live::follow(self.store.pool(), actor.user_id, anchor_id, now_ms()).await?;
        Ok(())
    }

    /// The actor stops following an anchor (unfollowing twice is harmless).
    pub async fn unfollow_anchor(&self, actor: &Actor, anchor_id: UserId) -> ServiceResult<()> {
        store_live::unfollow(self.store.pool(), actor.user_id, anchor_id).await?;
        Ok(())
    }

    /// The anchors the actor follows, the most recently followed first.
    pub async fn followed_anchors(
        &self,
        actor: &Actor,
        page: ListPage,
    ) -> ServiceResult<Vec<FollowedAnchor>> {
        let (limit, offset) = page.checked()?;
        let rows =
            store_live::followed_anchors(self.store.pool(), actor.user_id, limit, offset).await?;
        Ok(rows
            .into_iter()
            .map(|row| FollowedAnchor {
                anchor_id: row.anchor_id,
                username: row.username,
                display_name: row.display_name,
                followed_at_ms: row.followed_at_ms,
            })
            .collect())
    }

    /// The actor's own notifications with ids below `before_id`, the newest first.
    pub async fn notifications(
        &self,
        actor: &Actor,
        before_id: Option<i64>,
        limit: Option<i64>,
    ) -> ServiceResult<Vec<NotificationView>> {
        let limit = limit.unwrap_or(PAGE_SIZE_DEFAULT);
        if !(1..=PAGE_SIZE_MAX).contains(&limit) {
            return Err(ServiceError::invalid(
                "invalid_limit",
                "limit must be 1 to 100",
            ));
        }
        let rows = store_live::notifications(
            self.store.pool(),
            actor.user_id,
            before_id.unwrap_or(i64::MAX),
            limit,
        )
        .await?;
        rows.into_iter()
            .map(|row| {
                let body = serde_json::from_str(&row.body_json).map_err(StoreError::from)?;
                Ok(NotificationView {
                    id: row.id,
                    kind: row.kind,
                    session_id: row.session_id,
                    body,
                    created_at_ms: row.created_at_ms,
                    read_at_ms: row.read_at_ms,
                })
            })
            .collect()
    }

    /// Marks the actor's notifications up to `up_to_id` read.
    pub async fn mark_notifications_read(
        &self,
        actor: &Actor,
        up_to_id: NotificationId,
    ) -> ServiceResult<MarkedRead> {
        let marked = store_live::mark_notifications_read(
            self.store.pool(),
            actor.user_id,
            up_to_id.0,
            now_ms(),
        )
        .await?;
        Ok(MarkedRead { marked })
    }

    /// The session's anchor or an operator mutes a viewer in the session, for a time or for
    /// the rest of the session. Muting again replaces the earlier mute.
    pub async fn mute_in_session(
        &self,
        actor: &Actor,
        id: LiveSessionId,
        input: MuteInput,
    ) -> ServiceResult<MuteView> {
        let now = now_ms();
        let length = MuteLength::parse(input.duration_s)?;
        let reason = input
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty());
        if reason.is_some_and(|r| r.chars().count() > MUTE_REASON_MAX_CHARS) {
            return Err(ServiceError::invalid(
                "reason_too_long",
                format!("reason is at most {MUTE_REASON_MAX_CHARS} characters"),
            ));
        }
        let mut tx = self.store.begin_write().await?;
        let session = self
            .session_for_change(tx.conn(), actor, id, Also::Operators)
            .await?;
        session.status.check_shelf_changeable()?;
        if input.user_id == session.anchor_id {
            return Err(ServiceError::invalid(
                "cannot_mute_anchor",
                "the session's anchor cannot be muted in their own room",
            ));
        }
        store::user_by_id(&mut *tx.conn(), input.user_id)
            .await?
            .ok_or(ServiceError::NotFound("user"))?;
        let until_ms = length.until_ms(now);
        store_live::mute(
            &mut *tx.conn(),
            id,
            input.user_id,
            until_ms,
            actor.user_id,
            reason,
            now,
        )
        .await?;
        tx.commit().await?;
        self.announce(
            id,
            SessionChange::Muted {
                user_id: input.user_id,
                until_ms: until_ms.unwrap_or(i64::MAX),
            },
        )
        .await;
        Ok(MuteView {
            user_id: input.user_id,
            until_ms,
            muted_by: actor.user_id,
            reason: reason.map(str::to_owned),
            muted_at_ms: now,
        })
    }

    /// The session's anchor or an operator lifts a mute.
    pub async fn unmute_in_session(
        &self,
        actor: &Actor,
        id: LiveSessionId,
        user_id: UserId,
    ) -> ServiceResult<()> {
        let mut tx = self.store.begin_write().await?;
        self.session_for_change(tx.conn(), actor, id, Also::Operators)
            .await?;
        if !store_live::unmute(&mut *tx.conn(), id, user_id, now_ms()).await? {
            return Err(ServiceError::NotFound("mute"));
        }
        tx.commit().await?;
        self.announce(id, SessionChange::Unmuted { user_id }).await;
        Ok(())
    }

    /// The mutes in force in a session, for its anchor and operators.
    pub async fn session_mutes(
        &self,
        actor: &Actor,
        id: LiveSessionId,
    ) -> ServiceResult<Vec<MuteView>> {
        let session = store_live::session_by_id(self.store.pool(), id)
            .await?
            .ok_or(ServiceError::NotFound("live session"))?;
        if session.anchor_id != actor.user_id && actor.role != Role::Operator {
            return Err(ServiceError::Forbidden);
        }
        self.active_mutes(id).await
    }

    /// The mutes in force in a session. For the room hub, which decides who may comment; it
    /// takes no actor because the hub is trusted code of this node, not a request.
    pub async fn active_mutes(&self, id: LiveSessionId) -> ServiceResult<Vec<MuteView>> {
        let rows = store_live::active_mutes(self.store.pool(), id, now_ms()).await?;
        Ok(rows.into_iter().map(MuteView::from).collect())
    }

    /// Records that a viewer (a user id or an anonymous visitor id) joined a session; returns
    /// whether it is the first time. For the room hub (no actor), which adds the new unique
    /// viewers it counted with [`Services::add_session_counters`]. An unknown session is
    /// `not_found` (the foreign key refuses the row; no extra read on this path).
    pub async fn record_viewer(&self, id: LiveSessionId, viewer_key: &str) -> ServiceResult<bool> {
        if viewer_key.is_empty() || viewer_key.len() > VIEWER_KEY_MAX_BYTES {
            return Err(ServiceError::invalid(
                "invalid_viewer_key",
                format!("a viewer key is 1 to {VIEWER_KEY_MAX_BYTES} bytes"),
            ));
        }
        Ok(store_live::record_viewer(self.store.pool(), id, viewer_key, now_ms()).await?)
    }

    /// Adds counted likes, comments and new unique viewers to a session and raises its peak
    /// online count to `online_now` if that is higher. For the room hub (no actor), which
    /// coalesces counts and flushes them now and then.
    pub async fn add_session_counters(
        &self,
        id: LiveSessionId,
        likes_delta: i64,
        comments_delta: i64,
        unique_viewers_delta: i64,
        online_now: i64,
    ) -> ServiceResult<()> {
        if [
            likes_delta,
            comments_delta,
            unique_viewers_delta,
            online_now,
        ]
        .iter()
        .any(|n| *n < 0)
        {
            return Err(ServiceError::invalid(
                "invalid_counters",
                "counter deltas and the online count are never negative",
            ));
        }
        let found = store_live::add_session_counters(
            self.store.pool(),
            id,
            likes_delta,
            comments_delta,
            unique_viewers_delta,
            online_now,
        )
        .await?;
        if found {
            Ok(())
        } else {
            Err(ServiceError::NotFound("live session"))
        }
    }
}
