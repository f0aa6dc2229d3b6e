//! Whole PostgreSQL databases made and dropped on a server: benchmarks and the test suites
//! each work in a fresh one.

use crate::{Store, StoreResult};

/// Creates the empty database `name` on the server `server_url` names and returns a URL for
/// it. `name` must be a plain identifier (letters, digits, `_`), as callers build it.
pub async fn create_database(server_url: &str, name: &str) -> StoreResult<String> {
    debug_assert!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
    let server = Store::connect(server_url).await?;
    // CREATE and DROP DATABASE refuse a transaction block; raw_sql sends one simple query.
    let result = sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
        .execute(server.pool())
        .await;
    server.close().await;
    result?;
    Ok(with_database(server_url, name))
}

/// Drops the database `name` if it exists, closing connections a crashed run left open.
pub async fn drop_database(server_url: &str, name: &str) -> StoreResult<()> {
    debug_assert!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
    let server = Store::connect(server_url).await?;
    let result = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(server.pool())
        .await;
    server.close().await;
    result?;
    Ok(())
}

/// `url` with its database name replaced by `name` (query parameters kept).
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let server = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_name_is_swapped_and_parameters_kept() {
        assert_eq!(
            with_database("postgres://u@h:5432/postgres", "t1"),
            "postgres://u@h:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u@h/postgres?sslmode=disable", "t1"),
            "postgres://u@h/t1?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h", "t1"), "postgres://h/t1");
    }
}
