//! Reads the viewer's web pages need beyond the API's: whether the signed-in viewer follows
//! an anchor (the room's follow button), how many follow one, and the flash sale a room shows
//! with its stage, so the page's first paint agrees with the room's snapshot.

use crate::checkout::FlashSaleView;
use crate::sale_room::SaleStage;
use crate::{Actor, ServiceResult, Services};
use daihuo_domain::{FlashSaleId, LiveSessionId, UserId};
use daihuo_store::viewer_pages as store;

/// A flash sale as a room shows it: the sale and its stage.
#[derive(Debug, Clone)]
pub struct RoomFlashSale {
    /// The sale, read at `sale.as_of_ms`.
    pub sale: FlashSaleView,
    /// Where it is, as the room's `flash_sale` value names it.
    pub stage: SaleStage,
}

impl Services {
    /// Whether the actor follows `anchor_id`; only the actor's own follows are read.
    pub async fn follows_anchor(&self, actor: &Actor, anchor_id: UserId) -> ServiceResult<bool> {
        Ok(store::is_following(self.store.pool(), actor.user_id, anchor_id).await?)
    }

    /// How many follow `anchor_id`. Public, as an anchor's room is.
    pub async fn follower_count(&self, anchor_id: UserId) -> ServiceResult<i64> {
        Ok(store::follower_count(self.store.pool(), anchor_id).await?)
    }

    /// The flash sale a session's room shows (the one open now, else the next to open, else
    /// the last to close: the room snapshot's rule, in `sale_room`), with its stage; `None`
    /// when the session has none. Public, as rooms are.
    pub async fn room_flash_sale(
        &self,
        session_id: LiveSessionId,
    ) -> ServiceResult<Option<RoomFlashSale>> {
        let shown =
            crate::sale_room::room_sale(&self.store, session_id, daihuo_store::now_ms()).await?;
        let Some(id) = shown.get("id").and_then(serde_json::Value::as_i64) else {
            return Ok(None);
        };
        let sale = self.flash_sale(FlashSaleId(id)).await?;
        let stage = SaleStage::of(&sale, sale.as_of_ms);
        Ok(Some(RoomFlashSale { sale, stage }))
    }
}
