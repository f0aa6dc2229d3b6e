//! Storage for daihuo: one SQL code path over two databases, the embedded SQLite default and
//! PostgreSQL for several nodes.
//!
//! Queries are written once in the SQL both databases accept (`$1` parameters, `ON CONFLICT`,
//! `RETURNING`) and run through sqlx's `Any` driver; the few places where the two differ
//! (full-text search, how a write transaction begins) branch on [`Dialect`].
//!
//! Architecture invariant: this crate knows SQL and nothing of HTTP. It stores and loads; the
//! rules live in `daihuo-domain` and the decisions in `daihuo-service`.

mod accounts;
pub mod after_sales;
pub mod anchor_pages;
pub mod c2m;
pub mod checkout;
pub mod databases;
pub mod forecast;
pub mod fulfilment;
pub mod live;
pub mod metrics;
pub mod nowcast;
pub mod operator_pages;
pub mod payments;
mod pool;
pub mod promises;
pub mod quality;
mod search;
pub mod settlement;
pub mod supplier_pages;
pub mod viewer_pages;

pub use accounts::*;
pub use pool::*;
pub use search::*;
/// The connection type of a write transaction, re-exported so callers need no sqlx.
pub use sqlx::AnyConnection;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Connections a node keeps to PostgreSQL: enough for two cores' worth of handlers while
/// leaving room for several nodes under PostgreSQL's default limit of 100.
const POSTGRES_MAX_CONNECTIONS: u32 = 16;
/// Connections to the embedded SQLite file. Readers run in parallel under WAL; writers take
/// turns on the node's write lock, so more connections only cost memory.
const SQLITE_MAX_CONNECTIONS: u32 = 8;
/// How long a SQLite connection waits for another process's write lock (e.g. `daihuo import`
/// next to a running server) before giving up.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 10_000;
/// How long a request waits for a pooled connection before failing instead of piling up.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// The embedded default: one file in the data directory.
    Sqlite,
    /// Shared state for several nodes.
    Postgres,
}

/// A storage error. Unique-key clashes and missing references are told apart because
/// callers turn them into conflicts and "not found"; everything else is an internal error
/// for the caller.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write.
    #[error("unique constraint violated")]
    Conflict,
    /// A foreign key refused the write: the row it refers to does not exist.
    #[error("foreign key violated")]
    MissingReference,
    /// Stored data that the code cannot read back (a bug or a hand edit).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// Anything else from the database.
    #[error(transparent)]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &error {
            if db.is_unique_violation() {
                return StoreError::Conflict;
            }
            if db.is_foreign_key_violation() {
                return StoreError::MissingReference;
            }
        }
        StoreError::Database(error)
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(error: serde_json::Error) -> Self {
        StoreError::Corrupt(error.to_string())
    }
}

/// Result of a storage call.
pub type StoreResult<T> = Result<T, StoreError>;

/// A write transaction. On SQLite it also holds the node's write lock, so writers queue in
/// order instead of spinning on `SQLITE_BUSY`.
pub struct WriteTx {
    /// The open transaction; rolled back if dropped without `commit`.
    pub tx: sqlx::Transaction<'static, sqlx::Any>,
    /// Held until the transaction ends (SQLite only).
    _write_lock: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl WriteTx {
    /// Makes the transaction's writes durable.
    pub async fn commit(self) -> StoreResult<()> {
        self.tx.commit().await?;
        Ok(())
    }

    /// The connection to run statements on.
    pub fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }
}

/// The database handle shared by every request on a node. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    dialect: Dialect,
    /// Serialises this node's SQLite writers; unused on PostgreSQL, whose row locks do it.
    write_lock: Arc<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("dialect", &self.dialect)
            .finish()
    }
}

impl Store {
    /// Opens (creating if needed) the embedded database `daihuo.db` in `data_dir`.
    ///
    /// Durability: WAL with `synchronous = NORMAL`. A commit is in the WAL file before it is
    /// acknowledged, so it survives the process being killed (`kill -9`); only a power loss
    /// or kernel crash can take the last transactions back.
    pub async fn open_sqlite(data_dir: &Path) -> StoreResult<Store> {
        std::fs::create_dir_all(data_dir).map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
        let path = data_dir.join("daihuo.db");
        let url = format!("sqlite://{}?mode=rwc", path.display());
        Self::connect_sqlite_url(&url).await
    }

    async fn connect_sqlite_url(url: &str) -> StoreResult<Store> {
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new()
            .max_connections(SQLITE_MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .after_connect(|conn, _meta| {
                Box::pin(async move {
                    conn.execute(sqlx::raw_sql(SQLITE_PRAGMAS)).await?;
                    Ok(())
                })
            })
            .connect(url)
            .await?;
        Ok(Store {
            pool,
            dialect: Dialect::Sqlite,
            write_lock: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    /// Connects to PostgreSQL at `url` (`postgres://…`).
    pub async fn connect_postgres(url: &str) -> StoreResult<Store> {
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new()
            .max_connections(POSTGRES_MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .after_connect(|conn, _meta| {
                Box::pin(async move {
                    // Statements are prepared and cached per connection; a generic plan made
                    // without the parameters' values misjudges pool filters (a rare category
                    // walks the whole commission index). Planning each time costs well under a
                    // millisecond and sees the real values.
                    conn.execute("SET plan_cache_mode = force_custom_plan")
                        .await?;
                    Ok(())
                })
            })
            .connect(url)
            .await?;
        Ok(Store {
            pool,
            dialect: Dialect::Postgres,
            write_lock: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    /// Opens the store a URL names: `postgres://…` or `sqlite://…`.
    pub async fn connect(url: &str) -> StoreResult<Store> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::connect_postgres(url).await
        } else {
            Self::connect_sqlite_url(url).await
        }
    }

    /// Brings the schema up to date. On PostgreSQL sqlx holds an advisory lock while it
    /// migrates, so several nodes starting at once migrate exactly once.
    pub async fn migrate(&self) -> StoreResult<()> {
        let result = match self.dialect {
            Dialect::Sqlite => sqlx::migrate!("./migrations/sqlite").run(&self.pool).await,
            Dialect::Postgres => {
                sqlx::migrate!("./migrations/postgres")
                    .run(&self.pool)
                    .await
            }
        };
        result.map_err(|e| StoreError::Database(e.into()))
    }

    /// Which database this is.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The pool, for reads.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Begins a write transaction. SQLite: takes the node's write lock, then
    /// `BEGIN IMMEDIATE`, so a transaction that reads before it writes can never fail on the
    /// upgrade to a write lock.
    pub async fn begin_write(&self) -> StoreResult<WriteTx> {
        match self.dialect {
            Dialect::Sqlite => {
                let guard = self.write_lock.clone().lock_owned().await;
                let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
                Ok(WriteTx {
                    tx,
                    _write_lock: Some(guard),
                })
            }
            Dialect::Postgres => Ok(WriteTx {
                tx: self.pool.begin().await?,
                _write_lock: None,
            }),
        }
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Connection settings of the embedded store. `mmap_size` (4 GiB of address space, not
/// memory) lets reads of a large pool come straight from the page cache instead of one
/// `pread` per page: a text search that checks ten thousand matches spent most of its time in
/// those calls.
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA cache_size = -65536; \
     PRAGMA temp_store = MEMORY; PRAGMA mmap_size = 4294967296;";
const _: () = assert!(
    SQLITE_BUSY_TIMEOUT_MS == 10_000,
    "keep SQLITE_PRAGMAS in step"
);

/// This database's name among all installations (made once by migration 0005): nodes that
/// share a NATS server keep the rooms of different databases apart with it.
pub async fn installation_name(store: &Store) -> StoreResult<String> {
    let row = sqlx::query("SELECT name FROM installation WHERE id = 1")
        .fetch_one(store.pool())
        .await?;
    Ok(sqlx::Row::try_get::<String, _>(&row, "name")?)
}

/// The current time in Unix milliseconds.
pub fn now_ms() -> i64 {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX)
}

/// Reads a column, turning a type mismatch into [`StoreError::Corrupt`].
pub(crate) fn col<'r, T>(row: &'r AnyRow, name: &str) -> StoreResult<T>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get(name)
        .map_err(|e| StoreError::Corrupt(format!("column {name}: {e}")))
}
