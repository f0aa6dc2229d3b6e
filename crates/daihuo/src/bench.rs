//! Benchmarks (`daihuo bench …`): progress on stderr, one JSON line on stdout.
//!
//! Every benchmark builds its own fresh store, so a figure never depends on what an earlier
//! run left behind: a new SQLite data directory under the temp directory (or `--data-dir`),
//! or with `--database-url` a new database `daihuo_bench_<scenario>` on that PostgreSQL
//! server. Data goes in through the same service calls the HTTP API uses, so the benchmark
//! measures the real write path and the real search path, not a shortcut around them. The
//! one exception is `bench search --reuse`, which searches a pool an earlier run kept, to try
//! a change quickly; its JSON line says `"reused_pool": true`, and it is not a result.

mod fanout;
mod flash;
mod flash_naive;
mod import;
mod pipeline;
mod search;

use anyhow::Context;
use clap::{Args, Subcommand};
use daihuo_domain::account::Role;
use daihuo_refdata::synthetic;
use daihuo_service::accounts::NewSupplier;
use daihuo_service::catalog::{Attribute, SkuInput, WarehouseInput, WarehouseStockInput};
use daihuo_service::{Actor, Credential, ServiceConfig, Services};
use daihuo_store::{databases, Dialect, Store};
use std::path::PathBuf;

/// The largest catalogue a benchmark builds: ten times the target, to look past it, and small
/// enough that the build still finishes in hours, not days.
const SKUS_MAX: u64 = 10_000_000;
/// The password of every benchmark account; the store is thrown away after the run.
const BENCH_PASSWORD: &str = "bench-password-not-a-secret";
/// The username of the benchmark anchor, who searches the pool.
const BENCH_ANCHOR: &str = "bench-anchor";
/// The warehouses every benchmark supplier has: (code, name, GB/T 2260 county code). Real
/// counties in four regions, so stock sits in places a routing step could tell apart.
const WAREHOUSES: [(&str, &str, &str); 4] = [
    ("HZ", "杭州西湖仓", "330106"),
    ("GZ", "广州天河仓", "440106"),
    ("BJ", "北京朝阳仓", "110105"),
    ("CD", "成都武侯仓", "510107"),
];
/// Share of SKUs that get stock, in percent; the rest have none, so the in-stock filter
/// actually removes rows.
const IN_STOCK_PERCENT: u64 = 80;
/// The most units a synthetic stock level holds.
const STOCK_UNITS_MAX: u64 = 500;

/// A benchmark scenario.
#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Pool search over a large synthetic catalogue (target: p99 ≤ 20 ms at 1M SKUs, embedded).
    Search(search::SearchArgs),
    /// Import of a CSV catalogue feed through the real feed path.
    Import(import::ImportArgs),
    /// Room fan-out: many WebSocket viewers on one node or several joined by NATS, with
    /// publish→receive latency, gaps, memory per viewer and like coalescing; `--peer` runs
    /// the same load against nats-server's WebSocket listener.
    Fanout(fanout::FanoutArgs),
    /// The flash-sale drop: a burst of purchase attempts at one SKU over HTTP, with 70% of
    /// reservations paid on the sandbox gateway and the rest left to expire and be sold
    /// again, and checks for overselling, lost acknowledgements and payments, limits and
    /// idempotency; `--crash` kills a server with `kill -9` mid-burst; on PostgreSQL
    /// (`--database-url`, `--nodes`) a naive `SELECT … FOR UPDATE` baseline runs alongside.
    FlashSale(flash::FlashArgs),
    /// Orders end to end: buyers order and pay over HTTP, the node routes and tells simulated
    /// supplier systems by signed webhook, which ship and track to delivery; checks the
    /// ledger and that no event was lost (target: 5k orders/s, embedded).
    Pipeline(pipeline::PipelineArgs),
    /// A load worker of `bench fanout` (started by it, not by hand).
    #[command(hide = true)]
    FanoutWorker(fanout::worker::WorkerArgs),
}

/// Runs a benchmark.
pub async fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Search(args) => search::run(args).await,
        BenchCommand::Import(args) => import::run(args).await,
        BenchCommand::Fanout(args) => fanout::run(args).await,
        BenchCommand::FlashSale(args) => flash::run(args).await,
        BenchCommand::Pipeline(args) => pipeline::run(args).await,
        BenchCommand::FanoutWorker(args) => fanout::worker::run(args).await,
    }
}

/// Where a benchmark builds its fresh store.
#[derive(Args, Debug, Clone)]
pub struct FreshStoreArgs {
    /// Benchmark on this PostgreSQL server (postgres://…): the database
    /// `daihuo_bench_<scenario>` is dropped and created anew on it.
    #[arg(long)]
    pub database_url: Option<String>,
    /// SQLite data directory to build in (must not hold a database yet); kept after the run.
    /// Without it a temporary directory is used and removed at the end.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Keep the temporary SQLite directory or the PostgreSQL database after the run, e.g. to
    /// look at query plans.
    #[arg(long)]
    pub keep: bool,
}

/// What to remove when a benchmark ends.
enum Cleanup {
    /// Nothing: the caller named the place or asked to keep it.
    Keep,
    /// A temporary SQLite data directory.
    RemoveDir(PathBuf),
    /// A PostgreSQL database, dropped through the server's URL.
    DropDatabase {
        /// The URL the caller gave (its own database, used to drop ours).
        server_url: String,
        /// Our database.
        name: String,
    },
}

/// A store made for one benchmark run.
pub(crate) struct FreshStore {
    /// The open, migrated store.
    pub store: Store,
    /// How to open it again (a URL `Store::connect` takes).
    reopen_url: String,
    /// How a `daihuo serve` node opens it.
    pub node_store: fanout::cluster::NodeStore,
    /// What to remove at the end.
    cleanup: Cleanup,
}

impl FreshStore {
    /// Makes an empty, migrated store for `scenario` as `args` asks.
    pub async fn create(args: &FreshStoreArgs, scenario: &str) -> anyhow::Result<FreshStore> {
        match &args.database_url {
            Some(url) => Self::create_postgres(url, scenario, args.keep).await,
            None => Self::create_sqlite(args, scenario).await,
        }
    }

    async fn create_postgres(url: &str, scenario: &str, keep: bool) -> anyhow::Result<FreshStore> {
        let name = format!("daihuo_bench_{scenario}");
        databases::drop_database(url, &name)
            .await
            .with_context(|| format!("drop the database {name}"))?;
        let reopen_url = databases::create_database(url, &name)
            .await
            .with_context(|| format!("create the database {name}"))?;
        let store = Store::connect(&reopen_url)
            .await
            .with_context(|| format!("connect to {name}"))?;
        store.migrate().await.context("migrate the database")?;
        eprintln!("fresh PostgreSQL database {name}");
        Ok(FreshStore {
            store,
            node_store: fanout::cluster::NodeStore::Postgres(reopen_url.clone()),
            reopen_url,
            cleanup: if keep {
                Cleanup::Keep
            } else {
                Cleanup::DropDatabase {
                    server_url: url.to_owned(),
                    name,
                }
            },
        })
    }

    async fn create_sqlite(args: &FreshStoreArgs, scenario: &str) -> anyhow::Result<FreshStore> {
        let (dir, cleanup) = match &args.data_dir {
            Some(dir) => (dir.clone(), Cleanup::Keep),
            None => {
                let dir = std::env::temp_dir().join(format!(
                    "daihuo-bench-{scenario}-{}-{}",
                    std::process::id(),
                    daihuo_store::now_ms()
                ));
                let cleanup = if args.keep {
                    Cleanup::Keep
                } else {
                    Cleanup::RemoveDir(dir.clone())
                };
                (dir, cleanup)
            }
        };
        let file = dir.join("daihuo.db");
        anyhow::ensure!(
            !file.exists(),
            "{} already holds a database; a benchmark needs a fresh one",
            dir.display()
        );
        let store = Store::open_sqlite(&dir)
            .await
            .with_context(|| format!("open {}", dir.display()))?;
        store.migrate().await.context("migrate the database")?;
        eprintln!("fresh SQLite store in {}", dir.display());
        Ok(FreshStore {
            store,
            node_store: fanout::cluster::NodeStore::Sqlite(dir.clone()),
            reopen_url: format!("sqlite://{}?mode=rwc", file.display()),
            cleanup,
        })
    }

    /// Opens the SQLite store an earlier run built and kept in `dir`, migrating it to this
    /// build's schema (newer migrations run with their backfills). The store is kept.
    pub async fn reuse_sqlite(dir: &std::path::Path) -> anyhow::Result<FreshStore> {
        let file = dir.join("daihuo.db");
        anyhow::ensure!(
            file.exists(),
            "{} holds no database to reuse",
            dir.display()
        );
        let store = Store::open_sqlite(dir)
            .await
            .with_context(|| format!("open {}", dir.display()))?;
        store.migrate().await.context("migrate the database")?;
        eprintln!("reusing the SQLite store in {}", dir.display());
        Ok(FreshStore {
            store,
            node_store: fanout::cluster::NodeStore::Sqlite(dir.to_owned()),
            reopen_url: format!("sqlite://{}?mode=rwc", file.display()),
            cleanup: Cleanup::Keep,
        })
    }

    /// "sqlite" or "postgres", as the JSON reports it.
    pub fn label(&self) -> &'static str {
        match self.store.dialect() {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        }
    }

    /// Closes every connection and opens new ones, as a restarted node would: the new
    /// connections read the planner statistics that `ANALYZE` just wrote (a SQLite connection
    /// only loads them when it reads the schema).
    pub async fn reopen(&mut self) -> anyhow::Result<()> {
        self.store.close().await;
        self.store = Store::connect(&self.reopen_url)
            .await
            .context("reopen the store")?;
        Ok(())
    }

    /// Closes the store and removes what the run made, unless asked to keep it.
    pub async fn finish(self) -> anyhow::Result<()> {
        self.store.close().await;
        match self.cleanup {
            Cleanup::Keep => {
                eprintln!("kept the store: {}", self.reopen_url);
            }
            Cleanup::RemoveDir(dir) => {
                std::fs::remove_dir_all(&dir)
                    .with_context(|| format!("remove {}", dir.display()))?;
            }
            Cleanup::DropDatabase { server_url, name } => {
                databases::drop_database(&server_url, &name)
                    .await
                    .with_context(|| format!("drop the database {name}"))?;
            }
        }
        Ok(())
    }
}

/// Turns a service error into an error that says its stable code.
pub(crate) fn service_error(error: daihuo_service::ServiceError) -> anyhow::Error {
    anyhow::anyhow!("{error} ({})", error.code())
}

/// The accounts a benchmark works as.
pub(crate) struct BenchAccounts {
    /// One staff actor per supplier, each supplier with the [`WAREHOUSES`].
    pub suppliers: Vec<Actor>,
    /// An anchor, who searches the pool.
    pub anchor: Actor,
}

/// The anchor an earlier run made in a store being reused, signed in with the benchmark
/// password.
pub(crate) async fn existing_anchor(services: &Services) -> anyhow::Result<Actor> {
    let grant = services
        .sign_in(BENCH_ANCHOR, BENCH_PASSWORD)
        .await
        .map_err(service_error)?;
    services
        .authenticate(&grant.token)
        .await
        .map_err(service_error)
}

/// Makes an operator, an anchor and `suppliers` suppliers with their warehouses, through the
/// same service calls an operator's console would use.
pub(crate) async fn create_accounts(
    services: &Services,
    suppliers: usize,
) -> anyhow::Result<BenchAccounts> {
    let operator = services
        .create_user(
            "bench-operator",
            BENCH_PASSWORD,
            "Benchmark operator",
            Role::Operator,
            None,
        )
        .await
        .map_err(service_error)?;
    let operator = Actor {
        user_id: operator.id,
        role: Role::Operator,
        supplier_id: None,
        credential: Credential::Session,
    };
    let anchor = services
        .create_user(
            BENCH_ANCHOR,
            BENCH_PASSWORD,
            "Benchmark anchor",
            Role::Anchor,
            None,
        )
        .await
        .map_err(service_error)?;
    let anchor = Actor {
        user_id: anchor.id,
        role: Role::Anchor,
        supplier_id: None,
        credential: Credential::Session,
    };
    let mut staff = Vec::with_capacity(suppliers);
    for number in 1..=suppliers {
        let created = services
            .create_supplier(
                &operator,
                NewSupplier {
                    name: format!("Bench Supplier {number:02}"),
                    admin_username: format!("bench-supplier-{number:02}"),
                    admin_password: BENCH_PASSWORD.to_owned(),
                },
            )
            .await
            .map_err(service_error)?;
        let actor = Actor {
            user_id: created.admin.id,
            role: Role::SupplierStaff,
            supplier_id: Some(created.supplier_id),
            credential: Credential::Session,
        };
        for (code, name, county_code) in WAREHOUSES {
            services
                .upsert_warehouse(
                    &actor,
                    WarehouseInput {
                        code: code.to_owned(),
                        name: name.to_owned(),
                        county_code: county_code.to_owned(),
                    },
                )
                .await
                .map_err(service_error)?;
        }
        staff.push(actor);
    }
    Ok(BenchAccounts {
        suppliers: staff,
        anchor,
    })
}

/// SplitMix64's finaliser: a well-mixed hash of an index, for choices that must be the same in
/// every run.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The synthetic SKU at `index` as a supplier would send it: stock in one of the
/// [`WAREHOUSES`] for [`IN_STOCK_PERCENT`]% of SKUs, none for the rest.
pub(crate) fn sku_input(seed: u64, index: u64) -> SkuInput {
    let sku = synthetic::generate(seed, index);
    let dice = mix(seed ^ mix(index));
    let stock = if dice % 100 < IN_STOCK_PERCENT {
        let (code, _, _) = WAREHOUSES[usize::try_from((dice >> 8) % 4).unwrap_or(0)];
        vec![WarehouseStockInput {
            warehouse_code: code.to_owned(),
            quantity: i64::try_from(1 + (dice >> 16) % STOCK_UNITS_MAX).unwrap_or(1),
            version: 1,
        }]
    } else {
        Vec::new()
    };
    SkuInput {
        spu_code: sku.spu_code,
        sku_code: sku.sku_code,
        title: sku.title,
        brand: sku.brand,
        category_id: sku.category_id,
        gtin: Some(sku.gtin),
        images: vec![sku.image_url],
        attributes: sku
            .attributes
            .into_iter()
            .map(|(name, value)| Attribute { name, value })
            .collect(),
        supply_price_fen: sku.supply_price_fen,
        pool_price_fen: sku.pool_price_fen,
        floor_price_fen: sku.floor_price_fen,
        retail_price_fen: sku.retail_price_fen,
        commission_bps: i64::from(sku.commission_bps),
        stock,
    }
}

/// Services with the default settings over `store`.
pub(crate) fn services_over(store: &Store) -> Services {
    Services::new(store.clone(), ServiceConfig::default())
}

/// A progress bar on stderr counting SKUs.
pub(crate) fn sku_bar(total: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} SKUs [{elapsed_precise}] {per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

/// Rounds to three decimals for the JSON line (microsecond resolution for milliseconds).
pub(crate) fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn about_four_in_five_skus_have_stock() {
        let stocked = (0..10_000)
            .filter(|&i| !sku_input(7, i).stock.is_empty())
            .count();
        assert!((7_700..=8_300).contains(&stocked), "{stocked}");
    }
}
