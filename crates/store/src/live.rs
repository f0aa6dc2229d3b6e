//! Live sessions and what hangs off them: campaigns, the SKUs a session sells at live prices,
//! follows, in-app notifications, room mutes, unique viewers and per-session counters.
//!
//! Status changes are conditional on the current status inside the statement itself
//! (`… WHERE status = 'scheduled'`), so two racing requests can never both take a session
//! live or both end it: on PostgreSQL the second waits for the first's row lock and then
//! re-checks the condition; on SQLite writers take turns.

use crate::{col, StoreError, StoreResult};
use daihuo_domain::catalog::SkuStatus;
use daihuo_domain::live::SessionStatus;
use daihuo_domain::{CampaignId, LiveSessionId, NotificationId, SkuId, UserId};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor};
use std::fmt::Write as _;

/// A stored campaign.
#[derive(Debug, Clone)]
pub struct CampaignRow {
    /// Key.
    pub id: CampaignId,
    /// Name, e.g. 超级品牌日.
    pub name: String,
    /// Start, Unix ms.
    pub starts_at_ms: i64,
    /// End, Unix ms.
    pub ends_at_ms: i64,
    /// The operator who created it.
    pub created_by: UserId,
    /// When it was created.
    pub created_at_ms: i64,
}

/// A stored live session with its anchor's display name.
#[derive(Debug, Clone)]
pub struct LiveSessionRow {
    /// Key.
    pub id: LiveSessionId,
    /// The anchor who broadcasts it.
    pub anchor_id: UserId,
    /// The anchor's display name.
    pub anchor_name: String,
    /// Title.
    pub title: String,
    /// Where it is in its life.
    pub status: SessionStatus,
    /// Scheduled start, Unix ms.
    pub starts_at_ms: i64,
    /// When it went live.
    pub went_live_at_ms: Option<i64>,
    /// When it ended.
    pub ended_at_ms: Option<i64>,
    /// The campaign it takes part in.
    pub campaign_id: Option<CampaignId>,
    /// Where players fetch the video.
    pub playback_url: Option<String>,
    /// The SKU being presented (讲解).
    pub pinned_sku_id: Option<SkuId>,
    /// How long the anchor plans it to run from going live, ms; `None` when not said.
    pub planned_length_ms: Option<i64>,
    /// Most viewers online at once.
    pub peak_online: i64,
    /// Distinct viewers who ever joined.
    pub unique_viewers: i64,
    /// Likes.
    pub likes: i64,
    /// Comments.
    pub comments: i64,
    /// Created.
    pub created_at_ms: i64,
    /// Last changed.
    pub updated_at_ms: i64,
}

/// What is written when a session is scheduled or edited.
#[derive(Debug, Clone)]
pub struct SessionDetails<'a> {
    /// Title, already checked.
    pub title: &'a str,
    /// Scheduled start, Unix ms.
    pub starts_at_ms: i64,
    /// The campaign, known to exist.
    pub campaign_id: Option<CampaignId>,
    /// Playback URL, already checked.
    pub playback_url: Option<&'a str>,
    /// Planned length from going live, ms, already checked.
    pub planned_length_ms: Option<i64>,
}

/// One SKU a session sells, in shelf order.
#[derive(Debug, Clone, Copy)]
pub struct SessionItemWrite {
    /// The SKU.
    pub sku_id: SkuId,
    /// Its live price, already checked against the SKU's floor and pool prices.
    pub live_price_fen: i64,
}

/// One SKU of a session as a room shows it.
#[derive(Debug, Clone)]
pub struct SnapshotItemRow {
    /// The SKU.
    pub sku_id: SkuId,
    /// Order on the session's shelf, from 0.
    pub position: i64,
    /// The session's price.
    pub live_price_fen: i64,
    /// Title.
    pub title: String,
    /// Brand.
    pub brand: String,
    /// The first image, if any.
    pub image_url: Option<String>,
    /// The standard pool price, shown as the "before" price.
    pub pool_fen: i64,
    /// Units left to sell (the SKU's stock across warehouses for now).
    pub stock_left: i64,
}

/// A session and its SKUs, read in one statement so the two always agree.
#[derive(Debug, Clone)]
pub struct SessionSnapshotRow {
    /// The session, with its pinned SKU and counters.
    pub session: LiveSessionRow,
    /// Its SKUs in shelf order.
    pub items: Vec<SnapshotItemRow>,
}

/// A SKU on an anchor's shelf, with what the live price rule needs.
#[derive(Debug, Clone, Copy)]
pub struct ShelfPriceRow {
    /// The SKU.
    pub sku_id: SkuId,
    /// Review status: only approved SKUs may be sold.
    pub status: SkuStatus,
    /// Floor price, fen.
    pub floor_fen: i64,
    /// Pool price, fen.
    pub pool_fen: i64,
}

/// An anchor a viewer follows.
#[derive(Debug, Clone)]
pub struct FollowedAnchorRow {
    /// The anchor.
    pub anchor_id: UserId,
    /// Login name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// When the viewer followed.
    pub followed_at_ms: i64,
}

/// A stored notification.
#[derive(Debug, Clone)]
pub struct NotificationRow {
    /// Key; newer notifications have larger ids.
    pub id: NotificationId,
    /// What it is about, e.g. `session_live`.
    pub kind: String,
    /// The session it is about.
    pub session_id: Option<LiveSessionId>,
    /// Its content as JSON text, written by the service.
    pub body_json: String,
    /// When it was made.
    pub created_at_ms: i64,
    /// When the user marked it read.
    pub read_at_ms: Option<i64>,
}

/// A viewer muted in one session.
#[derive(Debug, Clone)]
pub struct MuteRow {
    /// Who is muted.
    pub user_id: UserId,
    /// Until when; `None` for the rest of the session.
    pub until_ms: Option<i64>,
    /// The anchor or operator who muted.
    pub muted_by: UserId,
    /// Why, if they said.
    pub reason: Option<String>,
    /// When.
    pub muted_at_ms: i64,
}

const CAMPAIGN_COLUMNS: &str = "id, name, starts_at_ms, ends_at_ms, created_by, created_at_ms";

const SESSION_COLUMNS: &str = "ls.id, ls.anchor_id, u.display_name AS anchor_name, ls.title, \
    ls.status, ls.starts_at_ms, ls.went_live_at_ms, ls.ended_at_ms, ls.campaign_id, \
    ls.playback_url, ls.pinned_sku_id, ls.planned_length_ms, ls.peak_online, ls.unique_viewers, ls.likes, \
    ls.comments, ls.created_at_ms, ls.updated_at_ms";
const SESSION_FROM: &str = "live_sessions ls JOIN users u ON u.id = ls.anchor_id";

fn campaign_from_row(row: &AnyRow) -> StoreResult<CampaignRow> {
    Ok(CampaignRow {
        id: CampaignId(col(row, "id")?),
        name: col(row, "name")?,
        starts_at_ms: col(row, "starts_at_ms")?,
        ends_at_ms: col(row, "ends_at_ms")?,
        created_by: UserId(col(row, "created_by")?),
        created_at_ms: col(row, "created_at_ms")?,
    })
}

fn session_from_row(row: &AnyRow) -> StoreResult<LiveSessionRow> {
    let status: String = col(row, "status")?;
    Ok(LiveSessionRow {
        id: LiveSessionId(col(row, "id")?),
        anchor_id: UserId(col(row, "anchor_id")?),
        anchor_name: col(row, "anchor_name")?,
        title: col(row, "title")?,
        status: SessionStatus::from_db(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("session status {status}")))?,
        starts_at_ms: col(row, "starts_at_ms")?,
        went_live_at_ms: col(row, "went_live_at_ms")?,
        ended_at_ms: col(row, "ended_at_ms")?,
        campaign_id: col::<Option<i64>>(row, "campaign_id")?.map(CampaignId),
        playback_url: col(row, "playback_url")?,
        pinned_sku_id: col::<Option<i64>>(row, "pinned_sku_id")?.map(SkuId),
        planned_length_ms: col(row, "planned_length_ms")?,
        peak_online: col(row, "peak_online")?,
        unique_viewers: col(row, "unique_viewers")?,
        likes: col(row, "likes")?,
        comments: col(row, "comments")?,
        created_at_ms: col(row, "created_at_ms")?,
        updated_at_ms: col(row, "updated_at_ms")?,
    })
}

/// Inserts a campaign.
pub async fn insert_campaign<'e, E: Executor<'e, Database = Any>>(
    db: E,
    name: &str,
    starts_at_ms: i64,
    ends_at_ms: i64,
    created_by: UserId,
    now_ms: i64,
) -> StoreResult<CampaignId> {
    let row = sqlx::query(
        "INSERT INTO campaigns (name, starts_at_ms, ends_at_ms, created_by, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(name)
    .bind(starts_at_ms)
    .bind(ends_at_ms)
    .bind(created_by.0)
    .bind(now_ms)
    .fetch_one(db)
    .await?;
    Ok(CampaignId(col(&row, "id")?))
}

/// Loads a campaign.
pub async fn campaign_by_id<'e, E: Executor<'e, Database = Any>>(
    db: E,
    id: CampaignId,
) -> StoreResult<Option<CampaignRow>> {
    let sql = format!("SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id = $1");
    let row = sqlx::query(&sql).bind(id.0).fetch_optional(db).await?;
    row.as_ref().map(campaign_from_row).transpose()
}

/// Campaigns by id, after `after_id`.
pub async fn campaigns<'e, E: Executor<'e, Database = Any>>(
    db: E,
    limit: i64,
    after_id: i64,
) -> StoreResult<Vec<CampaignRow>> {
    let sql =
        format!("SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id > $1 ORDER BY id LIMIT $2");
    let rows = sqlx::query(&sql)
        .bind(after_id)
        .bind(limit)
        .fetch_all(db)
        .await?;
    rows.iter().map(campaign_from_row).collect()
}

/// Inserts a scheduled session (its items are written with [`replace_session_items`] in the
/// same transaction).
pub async fn insert_live_session(
    conn: &mut sqlx::AnyConnection,
    anchor_id: UserId,
    details: &SessionDetails<'_>,
    now_ms: i64,
) -> StoreResult<LiveSessionId> {
    let row = sqlx::query(
        "INSERT INTO live_sessions (anchor_id, title, status, starts_at_ms, campaign_id, \
         playback_url, planned_length_ms, created_at_ms, updated_at_ms) \
         VALUES ($1, $2, 'scheduled', $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(anchor_id.0)
    .bind(details.title)
    .bind(details.starts_at_ms)
    .bind(details.campaign_id.map(|c| c.0))
    .bind(details.playback_url)
    .bind(details.planned_length_ms)
    .bind(now_ms)
    .fetch_one(&mut *conn)
    .await?;
    Ok(LiveSessionId(col(&row, "id")?))
}

/// Rewrites a session's title, start, campaign, playback URL and planned length if it is
/// still scheduled; returns whether it was.
pub async fn update_session_details(
    conn: &mut sqlx::AnyConnection,
    id: LiveSessionId,
    details: &SessionDetails<'_>,
    now_ms: i64,
) -> StoreResult<bool> {
    let result = sqlx::query(
        "UPDATE live_sessions SET title = $2, starts_at_ms = $3, campaign_id = $4, \
         playback_url = $5, planned_length_ms = $6, updated_at_ms = $7 \
         WHERE id = $1 AND status = 'scheduled'",
    )
    .bind(id.0)
    .bind(details.title)
    .bind(details.starts_at_ms)
    .bind(details.campaign_id.map(|c| c.0))
    .bind(details.playback_url)
    .bind(details.planned_length_ms)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// What replacing a session's SKUs did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemsReplaced {
    /// The session had ended (or does not exist); nothing was written.
    NotChangeable,
    /// Written; the pinned SKU, if any, is still in the session.
    Replaced,
    /// Written, and the pinned SKU was no longer in the session, so it was unpinned.
    ReplacedAndUnpinned,
}

/// Replaces a session's SKUs with `items` (positions follow their order) unless it has
/// ended, and unpins a pinned SKU that is no longer among them. The first statement locks
/// the session row, so a concurrent end or go-live waits for this transaction.
pub async fn replace_session_items(
    conn: &mut sqlx::AnyConnection,
    id: LiveSessionId,
    items: &[SessionItemWrite],
    now_ms: i64,
) -> StoreResult<ItemsReplaced> {
    let touched = sqlx::query(
        "UPDATE live_sessions SET updated_at_ms = $2 WHERE id = $1 AND status <> 'ended'",
    )
    .bind(id.0)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    if touched.rows_affected() != 1 {
        return Ok(ItemsReplaced::NotChangeable);
    }
    sqlx::query("DELETE FROM session_items WHERE session_id = $1")
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    if !items.is_empty() {
        let mut sql = String::from(
            "INSERT INTO session_items (session_id, sku_id, live_price_fen, position) VALUES ",
        );
        for index in 0..items.len() {
            let base = index * 3;
            let separator = if index == 0 { "" } else { ", " };
            // Writing to a String cannot fail.
            let _ = write!(
                sql,
                "{separator}($1, ${}, ${}, ${})",
                base + 2,
                base + 3,
                base + 4
            );
        }
        let mut query = sqlx::query(&sql).bind(id.0);
        for (position, item) in items.iter().enumerate() {
            let position = i64::try_from(position).unwrap_or(i64::MAX);
            query = query
                .bind(item.sku_id.0)
                .bind(item.live_price_fen)
                .bind(position);
        }
        query.execute(&mut *conn).await?;
    }
    let unpinned = sqlx::query(
        "UPDATE live_sessions SET pinned_sku_id = NULL WHERE id = $1 \
         AND pinned_sku_id IS NOT NULL \
         AND pinned_sku_id NOT IN (SELECT sku_id FROM session_items WHERE session_id = $1)",
    )
    .bind(id.0)
    .execute(&mut *conn)
    .await?;
    Ok(if unpinned.rows_affected() == 1 {
        ItemsReplaced::ReplacedAndUnpinned
    } else {
        ItemsReplaced::Replaced
    })
}

/// Takes a scheduled session live and, in the same transaction, writes one notification of
/// `kind` with `body_json` to every follower of its anchor (one `INSERT … SELECT`). Returns
/// how many followers were notified, or `None` when the session was not scheduled (another
/// request won the race, or it ended). A second live session of the same anchor is refused
/// by a unique index: [`StoreError::Conflict`].
pub async fn go_live(
    conn: &mut sqlx::AnyConnection,
    id: LiveSessionId,
    kind: &str,
    body_json: &str,
    now_ms: i64,
) -> StoreResult<Option<u64>> {
    let result = sqlx::query(
        "UPDATE live_sessions SET status = 'live', went_live_at_ms = $2, updated_at_ms = $2 \
         WHERE id = $1 AND status = 'scheduled'",
    )
    .bind(id.0)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    if result.rows_affected() != 1 {
        return Ok(None);
    }
    let notified = sqlx::query(
        "INSERT INTO notifications (user_id, kind, session_id, body_json, created_at_ms) \
         SELECT f.viewer_id, $2, ls.id, $3, $4 FROM follows f \
         JOIN live_sessions ls ON ls.anchor_id = f.anchor_id WHERE ls.id = $1",
    )
    .bind(id.0)
    .bind(kind)
    .bind(body_json)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(Some(notified.rows_affected()))
}

/// Ends a scheduled or live session; returns false when it had already ended.
pub async fn end_session<'e, E: Executor<'e, Database = Any>>(
    db: E,
    id: LiveSessionId,
    now_ms: i64,
) -> StoreResult<bool> {
    let result = sqlx::query(
        "UPDATE live_sessions SET status = 'ended', ended_at_ms = $2, updated_at_ms = $2 \
         WHERE id = $1 AND status IN ('scheduled', 'live')",
    )
    .bind(id.0)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Pins a SKU that is among the session's items, unless the session has ended; returns
/// whether it was pinned.
pub async fn pin_sku<'e, E: Executor<'e, Database = Any>>(
    db: E,
    id: LiveSessionId,
    sku_id: SkuId,
    now_ms: i64,
) -> StoreResult<bool> {
    let result = sqlx::query(
        "UPDATE live_sessions SET pinned_sku_id = $2, updated_at_ms = $3 \
         WHERE id = $1 AND status <> 'ended' AND EXISTS \
         (SELECT 1 FROM session_items WHERE session_id = $1 AND sku_id = $2)",
    )
    .bind(id.0)
    .bind(sku_id.0)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Unpins whatever is pinned, unless the session has ended; returns whether it had not.
pub async fn unpin<'e, E: Executor<'e, Database = Any>>(
    db: E,
    id: LiveSessionId,
    now_ms: i64,
) -> StoreResult<bool> {
    let result = sqlx::query(
        "UPDATE live_sessions SET pinned_sku_id = NULL, updated_at_ms = $2 \
         WHERE id = $1 AND status <> 'ended'",
    )
    .bind(id.0)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Loads a session.
pub async fn session_by_id<'e, E: Executor<'e, Database = Any>>(
    db: E,
    id: LiveSessionId,
) -> StoreResult<Option<LiveSessionRow>> {
    let sql = format!("SELECT {SESSION_COLUMNS} FROM {SESSION_FROM} WHERE ls.id = $1");
    let row = sqlx::query(&sql).bind(id.0).fetch_optional(db).await?;
    row.as_ref().map(session_from_row).transpose()
}

/// A session with its SKUs (title, brand, first image, pool price, stock left) in shelf
/// order, read in one statement so that the items always belong to the session row read.
pub async fn session_snapshot<'e, E: Executor<'e, Database = Any>>(
    db: E,
    id: LiveSessionId,
) -> StoreResult<Option<SessionSnapshotRow>> {
    let sql = format!(
        "SELECT {SESSION_COLUMNS}, si.sku_id AS item_sku_id, si.position AS item_position, \
         si.live_price_fen AS item_live_price_fen, s.title AS sku_title, s.brand AS sku_brand, \
         s.images_json AS sku_images_json, s.pool_fen AS sku_pool_fen, \
         s.stock_total AS sku_stock_total \
         FROM {SESSION_FROM} LEFT JOIN session_items si ON si.session_id = ls.id \
         LEFT JOIN skus s ON s.id = si.sku_id WHERE ls.id = $1 ORDER BY si.position"
    );
    let rows = sqlx::query(&sql).bind(id.0).fetch_all(db).await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let session = session_from_row(first)?;
    let mut items = Vec::with_capacity(rows.len());
    for row in &rows {
        let Some(sku_id) = col::<Option<i64>>(row, "item_sku_id")? else {
            continue;
        };
        let images: String = col(row, "sku_images_json")?;
        let images: Vec<String> = serde_json::from_str(&images)?;
        items.push(SnapshotItemRow {
            sku_id: SkuId(sku_id),
            position: col(row, "item_position")?,
            live_price_fen: col(row, "item_live_price_fen")?,
            title: col(row, "sku_title")?,
            brand: col(row, "sku_brand")?,
            image_url: images.into_iter().next(),
            pool_fen: col(row, "sku_pool_fen")?,
            stock_left: col(row, "sku_stock_total")?,
        });
    }
    Ok(Some(SessionSnapshotRow { session, items }))
}

/// Sessions broadcasting now, the most recently started first.
pub async fn live_now<'e, E: Executor<'e, Database = Any>>(
    db: E,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<LiveSessionRow>> {
    let sql = format!(
        "SELECT {SESSION_COLUMNS} FROM {SESSION_FROM} WHERE ls.status = 'live' \
         ORDER BY ls.went_live_at_ms DESC, ls.id DESC LIMIT $1 OFFSET $2"
    );
    let rows = sqlx::query(&sql)
        .bind(limit)
        .bind(offset)
        .fetch_all(db)
        .await?;
    rows.iter().map(session_from_row).collect()
}

/// Scheduled sessions starting at or after `since_ms`, the soonest first.
pub async fn upcoming<'e, E: Executor<'e, Database = Any>>(
    db: E,
    since_ms: i64,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<LiveSessionRow>> {
    let sql = format!(
        "SELECT {SESSION_COLUMNS} FROM {SESSION_FROM} WHERE ls.status = 'scheduled' \
         AND ls.starts_at_ms >= $1 ORDER BY ls.starts_at_ms, ls.id LIMIT $2 OFFSET $3"
    );
    let rows = sqlx::query(&sql)
        .bind(since_ms)
        .bind(limit)
        .bind(offset)
        .fetch_all(db)
        .await?;
    rows.iter().map(session_from_row).collect()
}

/// Sessions of the anchors `viewer_id` follows: live ones first (the most recently started
/// first), then scheduled ones starting at or after `since_ms` (the soonest first).
pub async fn followed_sessions<'e, E: Executor<'e, Database = Any>>(
    db: E,
    viewer_id: UserId,
    since_ms: i64,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<LiveSessionRow>> {
    let sql = format!(
        "SELECT {SESSION_COLUMNS} FROM follows f JOIN live_sessions ls ON ls.anchor_id = f.anchor_id \
         JOIN users u ON u.id = ls.anchor_id WHERE f.viewer_id = $1 \
         AND (ls.status = 'live' OR (ls.status = 'scheduled' AND ls.starts_at_ms >= $2)) \
         ORDER BY CASE WHEN ls.status = 'live' THEN 0 ELSE 1 END, \
         CASE WHEN ls.status = 'live' THEN -ls.went_live_at_ms ELSE ls.starts_at_ms END, ls.id \
         LIMIT $3 OFFSET $4"
    );
    let rows = sqlx::query(&sql)
        .bind(viewer_id.0)
        .bind(since_ms)
        .bind(limit)
        .bind(offset)
        .fetch_all(db)
        .await?;
    rows.iter().map(session_from_row).collect()
}

/// An anchor's sessions in any status, the newest first.
pub async fn anchor_sessions<'e, E: Executor<'e, Database = Any>>(
    db: E,
    anchor_id: UserId,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<LiveSessionRow>> {
    let sql = format!(
        "SELECT {SESSION_COLUMNS} FROM {SESSION_FROM} WHERE ls.anchor_id = $1 \
         ORDER BY ls.id DESC LIMIT $2 OFFSET $3"
    );
    let rows = sqlx::query(&sql)
        .bind(anchor_id.0)
        .bind(limit)
        .bind(offset)
        .fetch_all(db)
        .await?;
    rows.iter().map(session_from_row).collect()
}

/// Every SKU on an anchor's shelf (at most the shelf limit), in or out of the pool, with its
/// floor and pool prices.
pub async fn shelf_prices<'e, E: Executor<'e, Database = Any>>(
    db: E,
    anchor_id: UserId,
) -> StoreResult<Vec<ShelfPriceRow>> {
    let rows = sqlx::query(
        "SELECT s.id, s.status, s.floor_fen, s.pool_fen FROM shelf_items sh \
         JOIN skus s ON s.id = sh.sku_id WHERE sh.anchor_id = $1",
    )
    .bind(anchor_id.0)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            let status: String = col(row, "status")?;
            Ok(ShelfPriceRow {
                sku_id: SkuId(col(row, "id")?),
                status: SkuStatus::from_db(&status)
                    .ok_or_else(|| StoreError::Corrupt(format!("status {status}")))?,
                floor_fen: col(row, "floor_fen")?,
                pool_fen: col(row, "pool_fen")?,
            })
        })
        .collect()
}

/// Records that a viewer follows an anchor; returns false if they already did.
pub async fn follow<'e, E: Executor<'e, Database = Any>>(
    db: E,
    viewer_id: UserId,
    anchor_id: UserId,
    now_ms: i64,
) -> StoreResult<bool> {
    let result = sqlx::query(
        "INSERT INTO follows (viewer_id, anchor_id, created_at_ms) VALUES ($1, $2, $3) \
         ON CONFLICT (viewer_id, anchor_id) DO NOTHING",
    )
    .bind(viewer_id.0)
    .bind(anchor_id.0)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Removes a follow; returns false if there was none.
pub async fn unfollow<'e, E: Executor<'e, Database = Any>>(
    db: E,
    viewer_id: UserId,
    anchor_id: UserId,
) -> StoreResult<bool> {
    let result = sqlx::query("DELETE FROM follows WHERE viewer_id = $1 AND anchor_id = $2")
        .bind(viewer_id.0)
        .bind(anchor_id.0)
        .execute(db)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// The anchors a viewer follows, the most recently followed first.
pub async fn followed_anchors<'e, E: Executor<'e, Database = Any>>(
    db: E,
    viewer_id: UserId,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<FollowedAnchorRow>> {
    let rows = sqlx::query(
        "SELECT u.id, u.username, u.display_name, f.created_at_ms FROM follows f \
         JOIN users u ON u.id = f.anchor_id WHERE f.viewer_id = $1 \
         ORDER BY f.created_at_ms DESC, u.id DESC LIMIT $2 OFFSET $3",
    )
    .bind(viewer_id.0)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(FollowedAnchorRow {
                anchor_id: UserId(col(row, "id")?),
                username: col(row, "username")?,
                display_name: col(row, "display_name")?,
                followed_at_ms: col(row, "created_at_ms")?,
            })
        })
        .collect()
}

/// A user's notifications with ids below `before_id`, the newest first.
pub async fn notifications<'e, E: Executor<'e, Database = Any>>(
    db: E,
    user_id: UserId,
    before_id: i64,
    limit: i64,
) -> StoreResult<Vec<NotificationRow>> {
    let rows = sqlx::query(
        "SELECT id, kind, session_id, body_json, created_at_ms, read_at_ms FROM notifications \
         WHERE user_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
    )
    .bind(user_id.0)
    .bind(before_id)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(NotificationRow {
                id: NotificationId(col(row, "id")?),
                kind: col(row, "kind")?,
                session_id: col::<Option<i64>>(row, "session_id")?.map(LiveSessionId),
                body_json: col(row, "body_json")?,
                created_at_ms: col(row, "created_at_ms")?,
                read_at_ms: col(row, "read_at_ms")?,
            })
        })
        .collect()
}

/// Marks a user's unread notifications with ids up to `up_to_id` read; returns how many.
pub async fn mark_notifications_read<'e, E: Executor<'e, Database = Any>>(
    db: E,
    user_id: UserId,
    up_to_id: i64,
    now_ms: i64,
) -> StoreResult<u64> {
    let result = sqlx::query(
        "UPDATE notifications SET read_at_ms = $3 \
         WHERE user_id = $1 AND id <= $2 AND read_at_ms IS NULL",
    )
    .bind(user_id.0)
    .bind(up_to_id)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(result.rows_affected())
}

/// Mutes a user in a session until `until_ms` (`None`: the rest of the session), replacing
/// an earlier mute of the same user there.
pub async fn mute<'e, E: Executor<'e, Database = Any>>(
    db: E,
    session_id: LiveSessionId,
    user_id: UserId,
    until_ms: Option<i64>,
    muted_by: UserId,
    reason: Option<&str>,
    now_ms: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO room_mutes (session_id, user_id, until_ms, muted_by, reason, muted_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (session_id, user_id) DO UPDATE SET \
         until_ms = excluded.until_ms, muted_by = excluded.muted_by, reason = excluded.reason, \
         muted_at_ms = excluded.muted_at_ms",
    )
    .bind(session_id.0)
    .bind(user_id.0)
    .bind(until_ms)
    .bind(muted_by.0)
    .bind(reason)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(())
}

/// Lifts a mute; returns false if the user was not muted there (or the mute had run out).
pub async fn unmute<'e, E: Executor<'e, Database = Any>>(
    db: E,
    session_id: LiveSessionId,
    user_id: UserId,
    now_ms: i64,
) -> StoreResult<bool> {
    let result = sqlx::query(
        "DELETE FROM room_mutes WHERE session_id = $1 AND user_id = $2 \
         AND (until_ms IS NULL OR until_ms > $3)",
    )
    .bind(session_id.0)
    .bind(user_id.0)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// The mutes of a session still in force at `now_ms`, the earliest first.
pub async fn active_mutes<'e, E: Executor<'e, Database = Any>>(
    db: E,
    session_id: LiveSessionId,
    now_ms: i64,
) -> StoreResult<Vec<MuteRow>> {
    let rows = sqlx::query(
        "SELECT user_id, until_ms, muted_by, reason, muted_at_ms FROM room_mutes \
         WHERE session_id = $1 AND (until_ms IS NULL OR until_ms > $2) \
         ORDER BY muted_at_ms, user_id",
    )
    .bind(session_id.0)
    .bind(now_ms)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(MuteRow {
                user_id: UserId(col(row, "user_id")?),
                until_ms: col(row, "until_ms")?,
                muted_by: UserId(col(row, "muted_by")?),
                reason: col(row, "reason")?,
                muted_at_ms: col(row, "muted_at_ms")?,
            })
        })
        .collect()
}

/// Records that `viewer_key` (a user id or an anonymous visitor id) joined a session;
/// returns whether it is the first time.
pub async fn record_viewer<'e, E: Executor<'e, Database = Any>>(
    db: E,
    session_id: LiveSessionId,
    viewer_key: &str,
    now_ms: i64,
) -> StoreResult<bool> {
    let result = sqlx::query(
        "INSERT INTO session_viewers (session_id, viewer_key, first_seen_ms) VALUES ($1, $2, $3) \
         ON CONFLICT (session_id, viewer_key) DO NOTHING",
    )
    .bind(session_id.0)
    .bind(viewer_key)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Viewer keys written by one statement of [`record_viewers`]: one parameter each plus the
/// session and the time, well under SQLite's 32,766 and PostgreSQL's 65,535 parameters.
pub const RECORD_VIEWERS_CHUNK: usize = 1000;

/// Records that each of `viewer_keys` joined a session, with one multi-row
/// `INSERT … ON CONFLICT DO NOTHING` per [`RECORD_VIEWERS_CHUNK`] keys instead of one
/// statement per key; returns how many were new. Duplicates within `viewer_keys` count once.
pub async fn record_viewers(
    conn: &mut sqlx::AnyConnection,
    session_id: LiveSessionId,
    viewer_keys: &[String],
    now_ms: i64,
) -> StoreResult<u64> {
    let mut unique: Vec<&str> = viewer_keys.iter().map(String::as_str).collect();
    unique.sort_unstable();
    unique.dedup();
    let mut inserted = 0;
    for chunk in unique.chunks(RECORD_VIEWERS_CHUNK) {
        let mut sql = String::from(
            "INSERT INTO session_viewers (session_id, viewer_key, first_seen_ms) VALUES ",
        );
        for index in 0..chunk.len() {
            if index > 0 {
                sql.push_str(", ");
            }
            let _ = write!(sql, "($1, ${}, $2)", index + 3);
        }
        sql.push_str(" ON CONFLICT (session_id, viewer_key) DO NOTHING");
        let mut query = sqlx::query(&sql).bind(session_id.0).bind(now_ms);
        for key in chunk {
            query = query.bind(*key);
        }
        inserted += query.execute(&mut *conn).await?.rows_affected();
    }
    Ok(inserted)
}

/// Adds counted likes, comments and new unique viewers to a session, and raises its peak
/// online count to `online_now` if that is higher. Returns false if there is no such
/// session. One statement, so concurrent flushes from several nodes add up.
pub async fn add_session_counters<'e, E: Executor<'e, Database = Any>>(
    db: E,
    session_id: LiveSessionId,
    likes_delta: i64,
    comments_delta: i64,
    unique_viewers_delta: i64,
    online_now: i64,
) -> StoreResult<bool> {
    let result = sqlx::query(
        "UPDATE live_sessions SET likes = likes + $2, comments = comments + $3, \
         unique_viewers = unique_viewers + $4, \
         peak_online = CASE WHEN peak_online < $5 THEN $5 ELSE peak_online END \
         WHERE id = $1",
    )
    .bind(session_id.0)
    .bind(likes_delta)
    .bind(comments_delta)
    .bind(unique_viewers_delta)
    .bind(online_now)
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}
