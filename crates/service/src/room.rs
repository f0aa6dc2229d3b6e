//! The room side of a live session: who may watch, comment, like and moderate, and the
//! database behind the room hub ([`RoomData`]).

use crate::{Actor, ServiceError, ServiceResult, Services};
use daihuo_domain::account::Role;
use daihuo_domain::LiveSessionId;
use daihuo_room::{Author, Position, RoomEvent, Subscription, Viewer};
use daihuo_store as accounts;

/// Longest visitor id an anonymous client may give (a UUID is 36).
pub const VISITOR_ID_MAX_CHARS: usize = 64;

/// Longest operator notice, in characters.
pub const NOTICE_MAX_CHARS: usize = 200;

/// Checks an anonymous client's own visitor id: 8..=64 letters, digits, `-` or `_`.
fn visitor_id(raw: &str) -> ServiceResult<String> {
    let ok = (8..=VISITOR_ID_MAX_CHARS).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(ServiceError::invalid(
            "bad_visitor_id",
            "a visitor id is 8 to 64 letters, digits, '-' or '_'",
        ))
    }
}

impl Services {
    /// Joins a session's room. Anyone may watch; a signed-in viewer is counted once per
    /// user, an anonymous one once per visitor id (or per connection without one).
    pub async fn join_room(
        &self,
        actor: Option<&Actor>,
        session_id: LiveSessionId,
        visitor: Option<&str>,
        resume: Option<Position>,
    ) -> ServiceResult<Subscription> {
        let viewer = match (actor, visitor) {
            (Some(actor), _) => Viewer::User(actor.user_id),
            (None, Some(visitor)) => Viewer::Visitor(visitor_id(visitor)?),
            (None, None) => Viewer::Anonymous,
        };
        Ok(self.rooms.join(session_id, viewer, resume).await?)
    }

    /// A signed-in viewer's comment. Returns its offset in the room, which is its id.
    pub async fn room_comment(
        &self,
        actor: &Actor,
        session_id: LiveSessionId,
        text: &str,
    ) -> ServiceResult<u64> {
        let user = accounts::user_by_id(self.store.pool(), actor.user_id)
            .await?
            .ok_or(ServiceError::Unauthenticated)?;
        let author = Author {
            user_id: actor.user_id,
            name: user.display_name,
        };
        Ok(self.rooms.comment(session_id, author, text).await?)
    }

    /// A signed-in viewer's likes (1..=100 taps in one message).
    pub async fn room_like(
        &self,
        actor: &Actor,
        session_id: LiveSessionId,
        count: u32,
    ) -> ServiceResult<()> {
        Ok(self.rooms.like(session_id, actor.user_id, count).await?)
    }

    /// Removes a comment from the room: the session's anchor or an operator.
    pub async fn delete_comment(
        &self,
        actor: &Actor,
        session_id: LiveSessionId,
        offset: u64,
    ) -> ServiceResult<u64> {
        self.require_room_moderator(actor, session_id).await?;
        let event = RoomEvent::CommentDeleted { offset };
        Ok(self.rooms.publish(session_id, event).await?)
    }

    /// An operator's notice to a room, stamped with the sender's clock (load clients use the
    /// stamp to measure delivery latency). Returns its offset.
    pub async fn room_notice(
        &self,
        actor: &Actor,
        session_id: LiveSessionId,
        text: &str,
        sent_at_us: u64,
    ) -> ServiceResult<u64> {
        if actor.role != Role::Operator {
            return Err(ServiceError::Forbidden);
        }
        let text = text.trim();
        if text.is_empty() || text.chars().count() > NOTICE_MAX_CHARS {
            return Err(ServiceError::invalid(
                "bad_notice",
                format!("a notice is 1 to {NOTICE_MAX_CHARS} characters"),
            ));
        }
        let event = RoomEvent::Notice {
            text: text.to_owned(),
            sent_at_us,
        };
        Ok(self.rooms.publish(session_id, event).await?)
    }

    /// The session's anchor or an operator, else `forbidden`.
    async fn require_room_moderator(
        &self,
        actor: &Actor,
        session_id: LiveSessionId,
    ) -> ServiceResult<()> {
        if actor.role == Role::Operator {
            return Ok(());
        }
        let anchor = self.rooms.anchor_of(session_id).await?;
        if actor.role == Role::Anchor && actor.user_id == anchor {
            Ok(())
        } else {
            Err(ServiceError::Forbidden)
        }
    }
}

/// The database behind the room hub: what a room opens with, and where its counters go.
/// Holds only the store, so the hub it feeds can live inside [`Services`].
pub struct RoomData {
    store: daihuo_store::Store,
}

impl RoomData {
    /// The room source over `store`.
    pub fn source(store: daihuo_store::Store) -> std::sync::Arc<dyn daihuo_room::RoomSource> {
        std::sync::Arc::new(RoomData { store })
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as i64)
        .unwrap_or(0)
}

/// The room's state as viewers see it, from a session snapshot: the same JSON the API gives.
pub(crate) fn room_state(snapshot: &crate::live::SessionSnapshot) -> daihuo_room::RoomState {
    daihuo_room::RoomState {
        session: serde_json::to_value(&snapshot.session).unwrap_or_default(),
        pinned: serde_json::to_value(&snapshot.pinned).unwrap_or_default(),
        shelf: serde_json::to_value(&snapshot.items).unwrap_or_default(),
        flash_sale: serde_json::Value::Null,
    }
}

#[async_trait::async_trait]
impl daihuo_room::RoomSource for RoomData {
    async fn load(
        &self,
        session_id: LiveSessionId,
    ) -> Result<Option<daihuo_room::RoomSeed>, daihuo_room::SourceError> {
        let Some(snapshot) = crate::live::snapshot_of(&self.store, session_id).await? else {
            return Ok(None);
        };
        let mutes =
            daihuo_store::live::active_mutes(self.store.pool(), session_id, now_ms()).await?;
        let counters = &snapshot.session.counters;
        let mut state = room_state(&snapshot);
        state.flash_sale = crate::sale_room::room_sale(&self.store, session_id, now_ms()).await?;
        Ok(Some(daihuo_room::RoomSeed {
            anchor_id: snapshot.session.anchor_id,
            ended: snapshot.session.status == daihuo_domain::live::SessionStatus::Ended,
            state,
            mutes: mutes
                .into_iter()
                .map(|mute| (mute.user_id, mute.until_ms.unwrap_or(i64::MAX)))
                .collect(),
            likes: counters.likes.max(0) as u64,
            comments: counters.comments.max(0) as u64,
        }))
    }

    async fn flush(
        &self,
        batch: Vec<daihuo_room::CounterFlush>,
    ) -> Result<Vec<daihuo_room::FlushedTotals>, daihuo_room::SourceError> {
        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        let mut totals = Vec::with_capacity(batch.len());
        for flush in batch {
            // One multi-row insert per thousand keys: a second of joins (thousands of
            // viewers after a node is lost) is a few statements, not one per viewer.
            let new_viewers = daihuo_store::live::record_viewers(
                tx.conn(),
                flush.session_id,
                &flush.viewer_keys,
                now,
            )
            .await?;
            daihuo_store::live::add_session_counters(
                tx.conn(),
                flush.session_id,
                flush.likes_delta as i64,
                flush.comments_delta as i64,
                i64::try_from(new_viewers).unwrap_or(i64::MAX),
                flush.online_now as i64,
            )
            .await?;
            // The same deltas in the session's minute, in the same transaction, so the
            // minute series always adds up to the session's counters.
            daihuo_store::metrics::add_audience_minute(
                tx.conn(),
                flush.session_id,
                &crate::metrics::audience_of(&flush, new_viewers),
            )
            .await?;
            if let Some(session) =
                daihuo_store::live::session_by_id(tx.conn(), flush.session_id).await?
            {
                totals.push(daihuo_room::FlushedTotals {
                    session_id: flush.session_id,
                    likes: session.likes.max(0) as u64,
                    comments: session.comments.max(0) as u64,
                });
            }
        }
        tx.commit().await?;
        Ok(totals)
    }
}
