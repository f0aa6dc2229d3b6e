//! Users, sessions, suppliers and API tokens.

use crate::{col, StoreError, StoreResult};
use daihuo_domain::account::Role;
use daihuo_domain::{ApiTokenId, SupplierId, UserId};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor};

/// A stored user.
#[derive(Debug, Clone)]
pub struct UserRow {
    /// Key.
    pub id: UserId,
    /// Login name.
    pub username: String,
    /// Argon2 PHC string.
    pub password_hash: String,
    /// Role.
    pub role: Role,
    /// Name shown to others.
    pub display_name: String,
    /// The organisation of supplier staff; `None` for other roles.
    pub supplier_id: Option<SupplierId>,
    /// When the account was made.
    pub created_at_ms: i64,
}

/// A new user to insert.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    /// Login name, already checked.
    pub username: &'a str,
    /// Argon2 PHC string.
    pub password_hash: &'a str,
    /// Role.
    pub role: Role,
    /// Display name, already checked.
    pub display_name: &'a str,
    /// Organisation for supplier staff.
    pub supplier_id: Option<SupplierId>,
}

/// A stored supplier organisation.
#[derive(Debug, Clone)]
pub struct SupplierRow {
    /// Key.
    pub id: SupplierId,
    /// Organisation name.
    pub name: String,
    /// When it was made.
    pub created_at_ms: i64,
}

const USER_COLUMNS: &str =
    "id, username, password_hash, role, display_name, supplier_id, created_at_ms";

fn user_from_row(row: &AnyRow) -> StoreResult<UserRow> {
    let role: String = col(row, "role")?;
    Ok(UserRow {
        id: UserId(col(row, "id")?),
        username: col(row, "username")?,
        password_hash: col(row, "password_hash")?,
        role: Role::from_db(&role).ok_or_else(|| StoreError::Corrupt(format!("role {role}")))?,
        display_name: col(row, "display_name")?,
        supplier_id: col::<Option<i64>>(row, "supplier_id")?.map(SupplierId),
        created_at_ms: col(row, "created_at_ms")?,
    })
}

/// Inserts a supplier organisation; a taken name is [`StoreError::Conflict`].
pub async fn insert_supplier<'e, E: Executor<'e, Database = Any>>(
    db: E,
    name: &str,
    now_ms: i64,
) -> StoreResult<SupplierId> {
    let row =
        sqlx::query("INSERT INTO suppliers (name, created_at_ms) VALUES ($1, $2) RETURNING id")
            .bind(name)
            .bind(now_ms)
            .fetch_one(db)
            .await?;
    Ok(SupplierId(col(&row, "id")?))
}

/// Loads a supplier.
pub async fn supplier_by_id<'e, E: Executor<'e, Database = Any>>(
    db: E,
    id: SupplierId,
) -> StoreResult<Option<SupplierRow>> {
    let row = sqlx::query("SELECT id, name, created_at_ms FROM suppliers WHERE id = $1")
        .bind(id.0)
        .fetch_optional(db)
        .await?;
    row.map(|row| {
        Ok(SupplierRow {
            id: SupplierId(col(&row, "id")?),
            name: col(&row, "name")?,
            created_at_ms: col(&row, "created_at_ms")?,
        })
    })
    .transpose()
}

/// Inserts a user; a taken username is [`StoreError::Conflict`].
pub async fn insert_user<'e, E: Executor<'e, Database = Any>>(
    db: E,
    user: &NewUser<'_>,
    now_ms: i64,
) -> StoreResult<UserId> {
    let row = sqlx::query(
        "INSERT INTO users (username, password_hash, role, display_name, supplier_id, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(user.username)
    .bind(user.password_hash)
    .bind(user.role.as_str())
    .bind(user.display_name)
    .bind(user.supplier_id.map(|s| s.0))
    .bind(now_ms)
    .fetch_one(db)
    .await?;
    Ok(UserId(col(&row, "id")?))
}

/// Finds a user by login name.
pub async fn user_by_username<'e, E: Executor<'e, Database = Any>>(
    db: E,
    username: &str,
) -> StoreResult<Option<UserRow>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1");
    let row = sqlx::query(&sql).bind(username).fetch_optional(db).await?;
    row.as_ref().map(user_from_row).transpose()
}

/// Finds a user by id.
pub async fn user_by_id<'e, E: Executor<'e, Database = Any>>(
    db: E,
    id: UserId,
) -> StoreResult<Option<UserRow>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
    let row = sqlx::query(&sql).bind(id.0).fetch_optional(db).await?;
    row.as_ref().map(user_from_row).transpose()
}

/// How many users have a role (used to allow the first operator to be made from the CLI).
pub async fn count_users_with_role<'e, E: Executor<'e, Database = Any>>(
    db: E,
    role: Role,
) -> StoreResult<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE role = $1")
        .bind(role.as_str())
        .fetch_one(db)
        .await?;
    col(&row, "n")
}

/// Stores a session under the hash of its token.
pub async fn insert_session<'e, E: Executor<'e, Database = Any>>(
    db: E,
    token_hash: &str,
    user_id: UserId,
    now_ms: i64,
    expires_at_ms: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at_ms, expires_at_ms) VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(user_id.0)
    .bind(now_ms)
    .bind(expires_at_ms)
    .execute(db)
    .await?;
    Ok(())
}

/// The user of an unexpired session.
pub async fn session_user<'e, E: Executor<'e, Database = Any>>(
    db: E,
    token_hash: &str,
    now_ms: i64,
) -> StoreResult<Option<UserRow>> {
    let sql = format!(
        "SELECT {} FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1 AND s.expires_at_ms > $2",
        USER_COLUMNS
            .split(", ")
            .map(|c| format!("u.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let row = sqlx::query(&sql)
        .bind(token_hash)
        .bind(now_ms)
        .fetch_optional(db)
        .await?;
    row.as_ref().map(user_from_row).transpose()
}

/// Ends a session.
pub async fn delete_session<'e, E: Executor<'e, Database = Any>>(
    db: E,
    token_hash: &str,
) -> StoreResult<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(db)
        .await?;
    Ok(())
}

/// Stores a supplier API token under its hash.
pub async fn insert_api_token<'e, E: Executor<'e, Database = Any>>(
    db: E,
    supplier_id: SupplierId,
    token_hash: &str,
    name: &str,
    created_by: UserId,
    now_ms: i64,
) -> StoreResult<ApiTokenId> {
    let row = sqlx::query(
        "INSERT INTO api_tokens (supplier_id, token_hash, name, created_by, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(supplier_id.0)
    .bind(token_hash)
    .bind(name)
    .bind(created_by.0)
    .bind(now_ms)
    .fetch_one(db)
    .await?;
    Ok(ApiTokenId(col(&row, "id")?))
}

/// The supplier and creating user of an unrevoked API token.
pub async fn api_token_owner<'e, E: Executor<'e, Database = Any>>(
    db: E,
    token_hash: &str,
) -> StoreResult<Option<(ApiTokenId, SupplierId, UserId)>> {
    let row = sqlx::query(
        "SELECT id, supplier_id, created_by FROM api_tokens \
         WHERE token_hash = $1 AND revoked_at_ms IS NULL",
    )
    .bind(token_hash)
    .fetch_optional(db)
    .await?;
    row.map(|row| {
        Ok((
            ApiTokenId(col(&row, "id")?),
            SupplierId(col(&row, "supplier_id")?),
            UserId(col(&row, "created_by")?),
        ))
    })
    .transpose()
}

/// Revokes a supplier's token; returns whether one was revoked.
pub async fn revoke_api_token<'e, E: Executor<'e, Database = Any>>(
    db: E,
    supplier_id: SupplierId,
    id: ApiTokenId,
    now_ms: i64,
) -> StoreResult<bool> {
    let result = sqlx::query(
        "UPDATE api_tokens SET revoked_at_ms = $1 \
         WHERE id = $2 AND supplier_id = $3 AND revoked_at_ms IS NULL",
    )
    .bind(now_ms)
    .bind(id.0)
    .bind(supplier_id.0)
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// The first staff member of the supplier named `name` (for trusted command-line imports).
pub async fn first_staff_of_supplier<'e, E: Executor<'e, Database = Any>>(
    db: E,
    name: &str,
) -> StoreResult<Option<(UserId, SupplierId)>> {
    let row = sqlx::query(
        "SELECT u.id AS user_id, s.id AS supplier_id FROM suppliers s \
         JOIN users u ON u.supplier_id = s.id WHERE s.name = $1 ORDER BY u.id LIMIT 1",
    )
    .bind(name)
    .fetch_optional(db)
    .await?;
    row.map(|row| {
        Ok((
            UserId(col(&row, "user_id")?),
            SupplierId(col(&row, "supplier_id")?),
        ))
    })
    .transpose()
}
