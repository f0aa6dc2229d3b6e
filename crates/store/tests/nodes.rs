//! Several nodes on one database: migrations run once under a lock, and writers from two
//! handles on one SQLite file (a server and `daihuo import`) both get through.

use daihuo_domain::SupplierId;
use daihuo_store::{databases, insert_supplier, now_ms, Store};
use sqlx::Row;

/// A fresh PostgreSQL database on the server `DAIHUO_TEST_DATABASE_URL` names, or `None`
/// when it is unset.
async fn fresh_postgres() -> anyhow::Result<Option<String>> {
    let Ok(base) = std::env::var("DAIHUO_TEST_DATABASE_URL") else {
        eprintln!("skipped: DAIHUO_TEST_DATABASE_URL not set");
        return Ok(None);
    };
    let name = format!("daihuo_nodes_{:016x}", rand::random::<u64>());
    Ok(Some(databases::create_database(&base, &name).await?))
}

/// Drops a test database, best effort: a leftover database costs disk, not correctness.
async fn drop_database(url: &str) {
    if let (Ok(base), Some((_, name))) = (
        std::env::var("DAIHUO_TEST_DATABASE_URL"),
        url.rsplit_once('/'),
    ) {
        let _ = databases::drop_database(&base, name).await;
    }
}

#[tokio::test]
async fn postgres_nodes_starting_together_migrate_once() -> anyhow::Result<()> {
    let Some(url) = fresh_postgres().await? else {
        return Ok(());
    };
    let mut nodes = Vec::new();
    for _ in 0..4 {
        nodes.push(Store::connect(&url).await?);
    }
    let results = futures::future::join_all(nodes.iter().map(|n| n.migrate())).await;
    for result in results {
        result?;
    }
    let row = sqlx::query("SELECT COUNT(*) AS n FROM _sqlx_migrations")
        .fetch_one(nodes[0].pool())
        .await?;
    let applied: i64 = row.try_get("n")?;
    let files =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))?.count();
    assert_eq!(applied, i64::try_from(files)?);
    // Every node can write and sees the others' writes.
    for (i, node) in nodes.iter().enumerate() {
        insert_supplier(node.pool(), &format!("supplier {i}"), now_ms()).await?;
    }
    let row = sqlx::query("SELECT COUNT(*) AS n FROM suppliers")
        .fetch_one(nodes[3].pool())
        .await?;
    assert_eq!(row.try_get::<i64, _>("n")?, 4);
    for node in &nodes {
        node.close().await;
    }
    drop_database(&url).await;
    Ok(())
}

#[tokio::test]
async fn two_handles_on_one_sqlite_file_both_write() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let server = Store::open_sqlite(dir.path()).await?;
    server.migrate().await?;
    let importer = Store::open_sqlite(dir.path()).await?;
    importer.migrate().await?;
    let write_many = |store: Store, prefix: &'static str| async move {
        for i in 0..50 {
            let mut tx = store.begin_write().await?;
            let id: SupplierId =
                insert_supplier(tx.conn(), &format!("{prefix} {i}"), now_ms()).await?;
            assert!(id.0 > 0);
            tx.commit().await?;
        }
        anyhow::Ok(())
    };
    let (a, b) = tokio::join!(
        tokio::spawn(write_many(server.clone(), "server")),
        tokio::spawn(write_many(importer.clone(), "import"))
    );
    a??;
    b??;
    let row = sqlx::query("SELECT COUNT(*) AS n FROM suppliers")
        .fetch_one(server.pool())
        .await?;
    assert_eq!(row.try_get::<i64, _>("n")?, 100);
    Ok(())
}
