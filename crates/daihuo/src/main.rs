//! `daihuo`: the one binary. `serve` runs a node, `migrate` brings a database up to date,
//! `import` loads a CSV catalogue feed, `user` makes accounts, `openapi` prints the API
//! document, `bench` runs the benchmarks and `forecast eval` measures the demand model.

mod bench;
mod demo;
mod forecast;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use daihuo_domain::account::Role;
use daihuo_domain::moderation::BannedWords;
use daihuo_room::{Hub, HubConfig};
use daihuo_service::{Actor, Credential, ServiceConfig, Services};
use daihuo_store::Store;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "daihuo", version, about = "Open-source live-commerce engine")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API (migrates the database first).
    Serve(ServeArgs),
    /// Start a living demo platform on a fresh embedded store: a seeded world, simulated
    /// viewers, anchors and suppliers, and one printed login per role.
    Demo(demo::DemoArgs),
    /// Bring the database schema up to date and exit.
    Migrate(StoreArgs),
    /// Import a CSV catalogue feed for a supplier.
    Import(ImportArgs),
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Print the OpenAPI document.
    Openapi,
    /// Run a benchmark; prints progress on stderr and one JSON line on stdout.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Demand forecasting; `forecast eval` prints one JSON line on stdout.
    #[command(subcommand)]
    Forecast(forecast::ForecastCommand),
}

/// Where the data lives.
#[derive(Args, Clone, Debug)]
pub struct StoreArgs {
    /// Data directory of the embedded SQLite store.
    #[arg(long, env = "DAIHUO_DATA_DIR", default_value = "./daihuo-data")]
    pub data_dir: PathBuf,
    /// Use this PostgreSQL database instead of the embedded store (postgres://…).
    #[arg(long, env = "DAIHUO_DATABASE_URL")]
    pub database_url: Option<String>,
}

impl StoreArgs {
    /// Opens and migrates the store.
    pub async fn open(&self) -> anyhow::Result<Store> {
        let store = match &self.database_url {
            Some(url) => Store::connect(url)
                .await
                .context("connect to the database")?,
            None => Store::open_sqlite(&self.data_dir)
                .await
                .with_context(|| format!("open the data directory {}", self.data_dir.display()))?,
        };
        store.migrate().await.context("migrate the database")?;
        Ok(store)
    }
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Address to listen on.
    #[arg(long, env = "DAIHUO_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    #[command(flatten)]
    rooms: RoomArgs,
    /// Secret shared with the sandbox payment gateway served under `/sandbox-pay` (at least
    /// 16 bytes). Without it a random one is made at each start, which is fine while the
    /// sandbox lives in this process.
    #[arg(long, env = "DAIHUO_PAYMENT_SECRET", hide_env_values = true)]
    payment_secret: Option<String>,
    #[command(flatten)]
    settlement: SettlementArgs,
}

/// The longest receipt or settlement window a node accepts: a quarter, well past any
/// platform's (the big ones pay about 15 days after delivery).
const SETTLEMENT_WINDOW_MAX_DAYS: u64 = 90;

/// When money moves after delivery, per installation (every node should say the same).
#[derive(Args, Clone, Debug)]
pub struct SettlementArgs {
    /// Days after delivery when receipt is confirmed for a buyer who has not confirmed it.
    #[arg(long, env = "DAIHUO_RECEIPT_AFTER_DAYS", default_value_t = 7,
        value_parser = clap::value_parser!(u64).range(1..=SETTLEMENT_WINDOW_MAX_DAYS))]
    receipt_after_days: u64,
    /// N of T + N: days after completion when an order's money becomes payable.
    #[arg(long, env = "DAIHUO_SETTLE_AFTER_DAYS", default_value_t = 7,
        value_parser = clap::value_parser!(u64).range(0..=SETTLEMENT_WINDOW_MAX_DAYS))]
    settle_after_days: u64,
    /// Minutes between automatic settlement runs; 0: only operators start runs.
    #[arg(long, env = "DAIHUO_SETTLEMENT_RUN_EVERY_MINUTES", default_value_t = 60,
        value_parser = clap::value_parser!(u64).range(0..=7 * 24 * 60))]
    settlement_run_every_minutes: u64,
}

impl SettlementArgs {
    /// The services' settlement policy these flags describe.
    fn policy(&self) -> daihuo_service::settlement::SettlementPolicy {
        const DAY: u64 = 24 * 3_600;
        daihuo_service::settlement::SettlementPolicy {
            receipt_after: std::time::Duration::from_secs(self.receipt_after_days * DAY),
            settle_after: std::time::Duration::from_secs(self.settle_after_days * DAY),
            run_every: (self.settlement_run_every_minutes > 0)
                .then(|| std::time::Duration::from_secs(self.settlement_run_every_minutes * 60)),
        }
    }
}

/// Where the sandbox payment gateway is mounted on the node's own server.
const SANDBOX_PREFIX: &str = "/sandbox-pay";

/// The sandbox gateway this node serves under [`SANDBOX_PREFIX`] and pays through, its pay
/// URLs and the notify URL built on the listening address.
fn sandbox_gateway(
    address: SocketAddr,
    secret: daihuo_payment::SigningSecret,
) -> (daihuo_payment::SandboxGateway, String) {
    let base = format!("http://{address}");
    let config = daihuo_payment::SandboxConfig::new(format!("{base}{SANDBOX_PREFIX}"), secret);
    (
        daihuo_payment::SandboxGateway::new(config),
        format!("{base}/api/payments/notify"),
    )
}

/// How this node's live rooms run.
#[derive(Args)]
struct RoomArgs {
    /// NATS server joining this node's live rooms to other nodes' (e.g. nats://127.0.0.1:4222).
    /// Without it the node's rooms are its own: fine for one node.
    #[arg(long, env = "DAIHUO_NATS_URL")]
    nats_url: Option<String>,
    /// This node's name among the nodes (default: host name and process id).
    #[arg(long, env = "DAIHUO_NODE_ID")]
    node_id: Option<String>,
    /// Viewer connections this node accepts (a process may hold 20,000 open files here).
    #[arg(long, env = "DAIHUO_MAX_CONNECTIONS", default_value_t = daihuo_room::limits::DEFAULT_NODE_CONNECTIONS)]
    max_connections: usize,
    /// Extra banned words for comments, one per line, added to the built-in list.
    #[arg(long, env = "DAIHUO_BANNED_WORDS")]
    banned_words: Option<PathBuf>,
}

impl RoomArgs {
    /// The services of this node, with rooms alone or joined by NATS.
    async fn services(
        &self,
        store: daihuo_store::Store,
        service_config: ServiceConfig,
    ) -> anyhow::Result<Services> {
        let banned_words = match &self.banned_words {
            None => BannedWords::default_list(),
            Some(path) => BannedWords::default_with(
                &std::fs::read_to_string(path)
                    .with_context(|| format!("read banned words {}", path.display()))?,
            ),
        };
        let config = HubConfig {
            node_id: self.node_id.clone().unwrap_or_else(|| {
                let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "node".into());
                format!("{host}-{}", std::process::id())
            }),
            namespace: daihuo_store::installation_name(&store)
                .await
                .context("read the installation name")?,
            max_connections: self.max_connections,
            max_room_connections: self.max_connections,
            banned_words,
        };
        let source = daihuo_service::room::RoomData::source(store.clone());
        let hub = match &self.nats_url {
            None => Hub::local(config, source),
            Some(url) => {
                let client = async_nats::connect(url.as_str())
                    .await
                    .with_context(|| format!("connect to NATS at {url}"))?;
                Hub::connect(config, source, client)
                    .await
                    .context("join the rooms to NATS")?
            }
        };
        Ok(Services::with_rooms(store, service_config, hub))
    }
}

#[derive(Args)]
struct ImportArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Name of the supplier organisation the feed belongs to.
    #[arg(long)]
    supplier: String,
    /// The CSV feed.
    file: PathBuf,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account (operators are only made here).
    Create {
        #[command(flatten)]
        store: StoreArgs,
        /// Login name.
        #[arg(long)]
        username: String,
        /// Password (or set DAIHUO_PASSWORD).
        #[arg(long, env = "DAIHUO_PASSWORD")]
        password: String,
        /// viewer, anchor or operator.
        #[arg(long)]
        role: String,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .json()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("start the async runtime")?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve(args).await,
            Command::Demo(args) => demo::run(args).await,
            Command::Migrate(args) => {
                args.open().await?;
                eprintln!("database is up to date");
                Ok(())
            }
            Command::Import(args) => import(args).await,
            Command::User(UserCommand::Create {
                store,
                username,
                password,
                role,
            }) => {
                let role = Role::from_db(&role)
                    .filter(|r| *r != Role::SupplierStaff)
                    .context("role must be viewer, anchor or operator (supplier staff are made by an operator)")?;
                let services = Services::new(store.open().await?, ServiceConfig::default());
                let user = services
                    .create_user(&username, &password, &username, role, None)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e} ({})", e.code()))?;
                println!("{}", serde_json::to_string(&user)?);
                Ok(())
            }
            Command::Openapi => {
                println!("{}", serde_json::to_string_pretty(&daihuo_http::openapi())?);
                Ok(())
            }
            Command::Bench(command) => bench::run(command).await,
            Command::Forecast(command) => forecast::run(command),
        }
    })
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    // Checked before anything starts, so a bad secret changes nothing.
    let payment_secret = match &args.payment_secret {
        Some(secret) => daihuo_payment::SigningSecret::new(secret.as_bytes())
            .context("check --payment-secret")?,
        None => daihuo_payment::SigningSecret::random(),
    };
    let store = args.store.open().await?;
    let config = ServiceConfig {
        settlement: args.settlement.policy(),
        ..ServiceConfig::default()
    };
    let services = args.rooms.services(store, config).await?;
    ensure_first_operator(&services, &args.store).await?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listen on {}", args.listen))?;
    let node = Node::start(services, listener, payment_secret)?;
    tracing::info!(address = %node.address, "daihuo serving");
    eprintln!(
        "daihuo is serving on http://{address} (API document: http://{address}/api/openapi.json)",
        address = node.address
    );
    node.run(shutdown_signal()).await
}

/// A node ready to serve: its services paying through the sandbox gateway it mounts and
/// telling suppliers by webhook, with its background work running. `serve` and `demo` both
/// start one.
pub struct Node {
    /// The services, with payments and webhooks wired.
    pub services: Services,
    /// Where the node listens.
    pub address: SocketAddr,
    listener: tokio::net::TcpListener,
    sandbox: daihuo_payment::SandboxGateway,
    /// Kept so the sweeper and the outbox deliverer live as long as the node.
    _background: Vec<tokio::task::JoinHandle<()>>,
}

impl Node {
    /// Wires `services` to a sandbox gateway and webhooks on `listener`'s address and starts
    /// the checkout sweeper and the outbox deliverer.
    pub fn start(
        services: Services,
        listener: tokio::net::TcpListener,
        payment_secret: daihuo_payment::SigningSecret,
    ) -> anyhow::Result<Node> {
        let address = listener.local_addr()?;
        let (sandbox, notify_url) = sandbox_gateway(address, payment_secret);
        let services = services
            .with_payments(std::sync::Arc::new(sandbox.clone()), notify_url)
            .with_webhooks(std::sync::Arc::new(daihuo_http::HttpWebhooks::new()));
        // Releases unpaid reservations, closes ended flash sales and retries refunds for as
        // long as the node runs; sends suppliers their order events from the outbox; runs
        // the sell-out nowcast's rounds.
        let background = vec![
            services.spawn_checkout_sweeper(),
            services.spawn_outbox_deliverer(),
            services.spawn_nowcaster(),
        ];
        Ok(Node {
            services,
            address,
            listener,
            sandbox,
            _background: background,
        })
    }

    /// Serves the API, the web pages and the sandbox gateway until `shutdown` completes.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let pages = daihuo_web::router(self.services.clone());
        let state = daihuo_http::AppState {
            services: self.services,
            metrics: daihuo_http::metrics_handle(),
        };
        let app = daihuo_http::router(state)
            .merge(pages)
            .nest(SANDBOX_PREFIX, self.sandbox.router());
        daihuo_http::serve(self.listener, app, shutdown).await?;
        Ok(())
    }
}

/// On a database with no operator, makes `admin` with a random password and says where it is,
/// so that a fresh install can be administered without a separate step.
async fn ensure_first_operator(services: &Services, store: &StoreArgs) -> anyhow::Result<()> {
    let operators =
        daihuo_store::count_users_with_role(services.store.pool(), Role::Operator).await?;
    if operators > 0 {
        return Ok(());
    }
    let password = {
        use rand::Rng;
        let mut rng = rand::thread_rng();
        (0..20)
            .map(|_| char::from(rng.sample(rand::distributions::Alphanumeric)))
            .collect::<String>()
    };
    match services
        .create_user(
            "admin",
            &password,
            "Platform operator",
            Role::Operator,
            None,
        )
        .await
    {
        Ok(_) => {}
        // Another node made it first.
        Err(e) if e.code() == "username_taken" => return Ok(()),
        Err(e) => anyhow::bail!("create the first operator: {e}"),
    }
    if store.database_url.is_none() {
        let path = store.data_dir.join("initial-admin-password");
        std::fs::write(&path, format!("{password}\n")).context("write the initial password")?;
        eprintln!(
            "created operator 'admin'; its password is in {}",
            path.display()
        );
    } else {
        eprintln!("created operator 'admin' with password {password}");
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// The actor a trusted command-line import acts as: the supplier's first staff member.
pub async fn supplier_actor(services: &Services, supplier: &str) -> anyhow::Result<Actor> {
    let row = sqlx_free_supplier_staff(services, supplier).await?;
    Ok(Actor {
        user_id: row.0,
        role: Role::SupplierStaff,
        supplier_id: Some(row.1),
        credential: Credential::ApiToken,
    })
}

async fn sqlx_free_supplier_staff(
    services: &Services,
    supplier: &str,
) -> anyhow::Result<(daihuo_domain::UserId, daihuo_domain::SupplierId)> {
    daihuo_store::first_staff_of_supplier(services.store.pool(), supplier)
        .await?
        .with_context(|| format!("no supplier named {supplier:?} with a staff account"))
}

async fn import(args: ImportArgs) -> anyhow::Result<()> {
    let services = Services::new(args.store.open().await?, ServiceConfig::default());
    let actor = supplier_actor(&services, &args.supplier).await?;
    let file =
        std::fs::File::open(&args.file).with_context(|| format!("open {}", args.file.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    // Estimate rows from the size for the bar; it is corrected at the end.
    let bar = indicatif::ProgressBar::new((size / 200).max(1));
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {pos} rows [{elapsed_precise}] {per_sec}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    let started = std::time::Instant::now();
    let report = services
        .import_feed(&actor, std::io::BufReader::new(file), |rows| {
            bar.set_position(rows)
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e} ({})", e.code()))?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "{} rows in {:.1} s: {} created, {} updated, {} unchanged, {} rejected",
        report.rows, seconds, report.created, report.updated, report.unchanged, report.rejected
    );
    for error in &report.errors {
        if let Some(e) = &error.error {
            eprintln!(
                "line {}: {} {}: {}",
                error.row, error.sku_code, e.code, e.message
            );
        }
    }
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn serve_args(flags: &[&str]) -> Result<ServeArgs, clap::Error> {
        let mut argv = vec!["daihuo", "serve"];
        argv.extend_from_slice(flags);
        match Cli::try_parse_from(argv)?.command {
            Command::Serve(args) => Ok(args),
            _ => unreachable!("the serve subcommand parses as serve"),
        }
    }

    #[test]
    fn settlement_windows_default_to_the_platforms_and_follow_the_flags() {
        let default = serve_args(&[]).expect("no flags parse").settlement.policy();
        assert_eq!(
            default.receipt_after,
            daihuo_service::settlement::SettlementPolicy::default().receipt_after
        );
        assert_eq!(
            default.settle_after,
            daihuo_service::settlement::SettlementPolicy::default().settle_after
        );
        assert_eq!(default.run_every, Some(Duration::from_secs(3_600)));

        let chosen = serve_args(&[
            "--receipt-after-days",
            "10",
            "--settle-after-days",
            "15",
            "--settlement-run-every-minutes",
            "0",
        ])
        .expect("flags in range parse")
        .settlement
        .policy();
        assert_eq!(chosen.receipt_after, Duration::from_secs(10 * 86_400));
        assert_eq!(chosen.settle_after, Duration::from_secs(15 * 86_400));
        assert_eq!(chosen.run_every, None, "0 leaves runs to operators");
    }

    #[test]
    fn settlement_windows_out_of_range_are_refused_before_serving() {
        for flags in [
            ["--receipt-after-days", "0"],
            ["--settle-after-days", "91"],
            ["--settlement-run-every-minutes", "10081"],
        ] {
            let refused = serve_args(&flags).err().map(|e| e.kind());
            assert_eq!(
                refused,
                Some(clap::error::ErrorKind::ValueValidation),
                "{flags:?}"
            );
        }
    }
}
