//! Reads the viewer's web pages need beyond the API's: whether a viewer follows an anchor,
//! and how many follow one. Both are answered by an index of `follows` (its primary key and
//! `follows_anchor`), never by scanning it.

use crate::{col, StoreResult};
use daihuo_domain::UserId;
use sqlx::{Any, Executor};

/// Whether `viewer_id` follows `anchor_id`.
pub async fn is_following<'e, E: Executor<'e, Database = Any>>(
    db: E,
    viewer_id: UserId,
    anchor_id: UserId,
) -> StoreResult<bool> {
    let row = sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM follows \
         WHERE viewer_id = $1 AND anchor_id = $2",
    )
    .bind(viewer_id.0)
    .bind(anchor_id.0)
    .fetch_one(db)
    .await?;
    Ok(col::<i64>(&row, "n")? > 0)
}

/// How many viewers follow `anchor_id`.
pub async fn follower_count<'e, E: Executor<'e, Database = Any>>(
    db: E,
    anchor_id: UserId,
) -> StoreResult<i64> {
    let row = sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM follows WHERE anchor_id = $1")
        .bind(anchor_id.0)
        .fetch_one(db)
        .await?;
    col(&row, "n")
}
