//! The test harness: a real server on port 0 over a fresh store, driven over real HTTP.
//!
//! Every test gets its own database: a temporary SQLite directory, or (when
//! `DAIHUO_TEST_DATABASE_URL` names a PostgreSQL server) a freshly created database that is
//! dropped again at the end. Each behaviour is written once as `async fn case_x(app: &TestApp)`
//! and [`store_case!`] turns it into one test per store.

#![allow(dead_code)]

pub mod forecast;
pub mod room_socket;
pub mod session_sales;
pub mod supplier;
pub mod web;

use daihuo_domain::account::Role;
use daihuo_service::{ServiceConfig, Services};
use daihuo_store::{databases, Store};
use reqwest::Method;
use serde_json::{json, Value};
use std::future::Future;
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Names the NATS server the cases of rooms across nodes use; unset, they are skipped.
pub const NATS_URL_ENV: &str = "DAIHUO_TEST_NATS_URL";
/// Names the PostgreSQL server the `postgres_*` tests use; unset, they are skipped.
pub const DATABASE_URL_ENV: &str = "DAIHUO_TEST_DATABASE_URL";
/// The operator every test app starts with.
pub const OPERATOR_USERNAME: &str = "operator";
/// The operator's password.
pub const OPERATOR_PASSWORD: &str = "operator-password";
/// Every account the tests make uses this password unless a test says otherwise.
pub const PASSWORD: &str = "correct-horse-battery";

/// Which store a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// The embedded default.
    Sqlite,
    /// The server named by [`DATABASE_URL_ENV`].
    Postgres,
}

/// A fresh PostgreSQL database made for one test, dropped at the end.
struct ScratchDatabase {
    /// The server URL the database was created through (its `postgres` database).
    admin_url: String,
    /// The database's name.
    name: String,
}

/// A running server over a fresh store, and a client for it.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// The HTTP client.
    pub client: reqwest::Client,
    /// The services behind the server, for set-up that has no HTTP route.
    pub services: Services,
    /// The sandbox payment gateway served under [`SANDBOX_PREFIX`], for faults and checks.
    pub sandbox: daihuo_payment::SandboxGateway,
    /// Which store this is.
    pub kind: StoreKind,
    /// The services' settings, shared by [`TestApp::another_node`].
    pub config: ServiceConfig,
    /// The NATS joining this server's rooms to other nodes', if any.
    pub nats_url: Option<String>,
    /// Ends the server.
    shutdown: std::sync::Mutex<Option<oneshot::Sender<()>>>,
    /// The server task.
    server: std::sync::Mutex<Option<JoinHandle<std::io::Result<()>>>>,
    /// Keeps the SQLite directory until the app is dropped.
    _data_dir: Option<tempfile::TempDir>,
    /// The PostgreSQL database to drop at the end.
    scratch: Option<ScratchDatabase>,
}

/// A response: status and JSON body (`Value::Null` when the body is empty or not JSON).
#[derive(Debug)]
pub struct Reply {
    /// HTTP status code.
    pub status: u16,
    /// The body as JSON.
    pub body: Value,
    /// The body as text.
    pub text: String,
}

impl Reply {
    /// The `error.code` of an error body, or "" when there is none.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    /// Asserts the status and returns the body.
    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(
            self.status, status,
            "expected HTTP {status}, got {} with body {}",
            self.status, self.text
        );
        self.body
    }

    /// Asserts an error status and code.
    #[track_caller]
    pub fn expect_error(self, status: u16, code: &str) {
        assert_eq!(
            (self.status, self.code()),
            (status, code),
            "expected HTTP {status} {code}, got body {}",
            self.text
        );
    }
}

fn random_hex() -> String {
    use rand::Rng;
    format!("{:016x}", rand::thread_rng().gen::<u64>())
}

/// A further server node sharing a [`TestApp`]'s store and NATS.
pub struct Node {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// Its services.
    pub services: Services,
    /// Its own sandbox payment gateway.
    pub sandbox: daihuo_payment::SandboxGateway,
    stop: Option<oneshot::Sender<()>>,
    server: JoinHandle<std::io::Result<()>>,
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Upgraded WebSocket connections outlive a graceful stop; end them with the node.
        self.server.abort();
    }
}

/// Aborts a background task when dropped.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// What [`serve_node`] started: its services, base URL, sandbox gateway, stop signal and
/// server task.
type Served = (
    Services,
    String,
    daihuo_payment::SandboxGateway,
    oneshot::Sender<()>,
    JoinHandle<std::io::Result<()>>,
);

/// Where the sandbox payment gateway is mounted, as `daihuo serve` does.
pub const SANDBOX_PREFIX: &str = "/sandbox-pay";

/// The secret the test apps share with their sandbox gateway.
pub const PAYMENT_SECRET: &[u8] = b"test-payment-secret-0123456789";

/// The services' settings in tests: supplier webhooks are retried within tenths of a
/// second and given up on after ten attempts (about 3 s), so outages fit in a test; a
/// supplier may promise to ship within a fraction of a second, and the sweeper calls an
/// unshipped order late 3 s past its promise, so deadlines pass within a test.
pub fn test_config() -> ServiceConfig {
    ServiceConfig {
        outbox: daihuo_service::fulfilment::OutboxPolicy {
            first_retry: std::time::Duration::from_millis(50),
            max_retry: std::time::Duration::from_millis(400),
            attempts_max: 10,
        },
        promises: daihuo_service::promises::PromisePolicy {
            window_floor: std::time::Duration::from_millis(100),
            sweep_grace: std::time::Duration::from_secs(3),
            ..Default::default()
        },
        ..ServiceConfig::default()
    }
}

/// Serves `store` on a fresh port with rooms alone or joined through `nats_url`, and with a
/// sandbox payment gateway under [`SANDBOX_PREFIX`] of the same server that retries quickly.
async fn serve_node(store: Store, nats_url: Option<&str>, settings: ServiceConfig) -> Served {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind port 0");
    let address = listener.local_addr().expect("local address");
    let services = match nats_url {
        None => Services::new(store, settings),
        Some(url) => {
            let client = async_nats::connect(url).await.expect("connect to NATS");
            let config = daihuo_room::HubConfig {
                node_id: format!("test-{}", random_hex()),
                namespace: daihuo_store::installation_name(&store)
                    .await
                    .expect("the installation name"),
                ..daihuo_room::HubConfig::default()
            };
            let source = daihuo_service::room::RoomData::source(store.clone());
            let hub = daihuo_room::Hub::connect(config, source, client)
                .await
                .expect("join the rooms to NATS");
            Services::with_rooms(store, settings, hub)
        }
    };
    let mut config = daihuo_payment::SandboxConfig::new(
        format!("http://{address}{SANDBOX_PREFIX}"),
        daihuo_payment::SigningSecret::new(PAYMENT_SECRET).expect("a long enough secret"),
    );
    config.retry = daihuo_payment::RetrySchedule::growing(
        std::time::Duration::from_millis(20),
        std::time::Duration::from_millis(500),
        40,
    );
    let sandbox = daihuo_payment::SandboxGateway::new(config);
    let services = services
        .with_payments(
            Arc::new(sandbox.clone()),
            format!("http://{address}/api/payments/notify"),
        )
        .with_webhooks(Arc::new(daihuo_http::HttpWebhooks::new()));
    let state = daihuo_http::AppState {
        services: services.clone(),
        metrics: daihuo_http::metrics_handle(),
    };
    let (stop, stopped) = oneshot::channel::<()>();
    // The checkout sweeper runs as long as the server does, and stops with it.
    let sweeper = AbortOnDrop(services.spawn_checkout_sweeper());
    let deliverer = AbortOnDrop(services.spawn_outbox_deliverer());
    // The same application as a node serves: the API, the web pages and the sandbox.
    let app = daihuo_http::router(state)
        .merge(daihuo_web::router(services.clone()))
        .nest(SANDBOX_PREFIX, sandbox.router());
    let server = tokio::spawn(async move {
        let _sweeper = sweeper;
        let _deliverer = deliverer;
        daihuo_http::serve(listener, app, async {
            let _ = stopped.await;
        })
        .await
    });
    (services, format!("http://{address}"), sandbox, stop, server)
}

impl TestApp {
    /// Starts a server over a fresh store of `kind`; `None` when PostgreSQL is not configured.
    pub async fn spawn(kind: StoreKind) -> Option<TestApp> {
        TestApp::spawn_with(kind, false, test_config()).await
    }

    /// Starts a server with settings of the test's own (short windows, say).
    pub async fn spawn_configured(kind: StoreKind, config: ServiceConfig) -> Option<TestApp> {
        TestApp::spawn_with(kind, false, config).await
    }

    /// Starts a server whose rooms go through the NATS named by [`NATS_URL_ENV`], so that
    /// [`TestApp::another_node`] can share them; `None` when that (or PostgreSQL for
    /// `kind`) is not configured.
    pub async fn spawn_with_nats(kind: StoreKind) -> Option<TestApp> {
        std::env::var(NATS_URL_ENV).ok()?;
        TestApp::spawn_with(kind, true, test_config()).await
    }

    /// A second server node over the same store and the same NATS; stopped when dropped.
    pub async fn another_node(&self) -> Node {
        let (services, base_url, sandbox, stop, server) = serve_node(
            self.services.store.clone(),
            self.nats_url.as_deref(),
            self.config.clone(),
        )
        .await;
        Node {
            base_url,
            services,
            sandbox,
            stop: Some(stop),
            server,
        }
    }

    async fn spawn_with(
        kind: StoreKind,
        with_nats: bool,
        config: ServiceConfig,
    ) -> Option<TestApp> {
        let mut data_dir = None;
        let mut scratch = None;
        let store = match kind {
            StoreKind::Sqlite => {
                let dir = tempfile::tempdir().expect("make a temporary directory");
                let store = Store::open_sqlite(dir.path())
                    .await
                    .expect("open the SQLite store");
                data_dir = Some(dir);
                store
            }
            StoreKind::Postgres => {
                let admin_url = std::env::var(DATABASE_URL_ENV).ok()?;
                let name = format!("daihuo_t_{}", random_hex());
                let url = databases::create_database(&admin_url, &name)
                    .await
                    .expect("create a scratch database");
                let store = Store::connect(&url)
                    .await
                    .expect("connect to the scratch database");
                scratch = Some(ScratchDatabase { admin_url, name });
                store
            }
        };
        store.migrate().await.expect("migrate");
        let nats_url = std::env::var(NATS_URL_ENV).ok().filter(|_| with_nats);
        let (services, base_url, sandbox, stop, server) =
            serve_node(store, nats_url.as_deref(), config.clone()).await;
        services
            .create_user(
                OPERATOR_USERNAME,
                OPERATOR_PASSWORD,
                "Operator",
                Role::Operator,
                None,
            )
            .await
            .expect("create the operator");
        Some(TestApp {
            base_url,
            client: reqwest::Client::new(),
            services,
            sandbox,
            kind,
            config,
            nats_url,
            shutdown: std::sync::Mutex::new(Some(stop)),
            server: std::sync::Mutex::new(Some(server)),
            _data_dir: data_dir,
            scratch,
        })
    }

    /// Stops the server, closes the store and drops a PostgreSQL scratch database
    /// (best-effort: a leftover `daihuo_t_*` database is harmless).
    pub async fn finish(&self) {
        let stop = self.shutdown.lock().ok().and_then(|mut s| s.take());
        if let Some(stop) = stop {
            let _ = stop.send(());
        }
        let server = self.server.lock().ok().and_then(|mut s| s.take());
        if let Some(server) = server {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), server).await;
        }
        self.services.store.close().await;
        if let Some(scratch) = &self.scratch {
            if let Err(error) = databases::drop_database(&scratch.admin_url, &scratch.name).await {
                eprintln!("could not drop {}: {error}", scratch.name);
            }
        }
    }

    /// Sends a request with an optional bearer token and JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Reply {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base_url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.expect("send the request");
        Reply::read(response).await
    }

    /// GET with a token.
    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.call(Method::GET, path, Some(token), None).await
    }

    /// GET with query parameters.
    pub async fn get_query(&self, path: &str, token: &str, query: &[(&str, &str)]) -> Reply {
        let response = self
            .client
            .get(format!("{}{path}", self.base_url))
            .bearer_auth(token)
            .query(query)
            .send()
            .await
            .expect("send the request");
        Reply::read(response).await
    }

    /// POST JSON with a token.
    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Reply {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    /// PUT JSON with a token.
    pub async fn put(&self, path: &str, token: &str, body: &Value) -> Reply {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }

    /// DELETE with a token.
    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    /// Signs in and returns the session token.
    pub async fn sign_in(&self, username: &str, password: &str) -> String {
        let body = self
            .call(
                Method::POST,
                "/api/sessions",
                None,
                Some(&json!({"username": username, "password": password})),
            )
            .await
            .expect(201);
        let token = body["token"].as_str().expect("a token").to_owned();
        assert!(token.starts_with("dhs_"), "session token {token}");
        token
    }

    /// The operator's session token.
    pub async fn operator(&self) -> String {
        self.sign_in(OPERATOR_USERNAME, OPERATOR_PASSWORD).await
    }

    /// Creates a supplier with staff `admin_username` and returns the staff's session token.
    pub async fn supplier(&self, name: &str, admin_username: &str) -> String {
        let operator = self.operator().await;
        let created = self
            .post(
                "/api/operator/suppliers",
                &operator,
                &json!({"name": name, "admin_username": admin_username, "admin_password": PASSWORD}),
            )
            .await
            .expect(201);
        assert_eq!(created["admin"]["role"], "supplier_staff");
        self.sign_in(admin_username, PASSWORD).await
    }

    /// Signs up an account of `role` (`anchor` or `viewer`) and returns its session token.
    pub async fn account(&self, username: &str, role: &str) -> String {
        let user = self
            .call(
                Method::POST,
                "/api/accounts",
                None,
                Some(&json!({"username": username, "password": PASSWORD,
                    "display_name": username, "role": role})),
            )
            .await
            .expect(201);
        assert_eq!(user["role"], role);
        self.sign_in(username, PASSWORD).await
    }

    /// Creates or updates the supplier's Hangzhou warehouse `code` (county 330106).
    pub async fn warehouse(&self, supplier: &str, code: &str) -> Value {
        self.put(
            "/api/supplier/warehouses",
            supplier,
            &json!({"code": code, "name": "杭州仓", "county_code": "330106"}),
        )
        .await
        .expect(200)
    }

    /// Bulk-upserts `items` and returns the report.
    pub async fn upsert(&self, supplier: &str, items: Vec<Value>) -> Value {
        self.put("/api/supplier/skus", supplier, &json!({ "items": items }))
            .await
            .expect(200)
    }

    /// Upserts one good SKU and returns its id.
    pub async fn create_sku(&self, supplier: &str, item: Value) -> i64 {
        let report = self.upsert(supplier, vec![item]).await;
        assert_eq!(report["rejected"], 0, "report {report}");
        report["results"][0]["sku_id"].as_i64().expect("sku id")
    }

    /// The operator approves SKU `id`.
    pub async fn approve(&self, operator: &str, id: i64) -> Value {
        self.post(
            &format!("/api/operator/skus/{id}/review"),
            operator,
            &json!({"decision": "approve"}),
        )
        .await
        .expect(200)
    }

    /// The titles a pool search returns, in order.
    pub async fn pool_titles(&self, token: &str, query: &[(&str, &str)]) -> Vec<String> {
        let page = self.get_query("/api/pool", token, query).await.expect(200);
        titles(&page["items"])
    }
}

impl Reply {
    async fn read(response: reqwest::Response) -> Reply {
        let status = response.status().as_u16();
        let text = response.text().await.expect("read the body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply { status, body, text }
    }
}

/// The `title` of each item of a JSON array.
pub fn titles(items: &Value) -> Vec<String> {
    items
        .as_array()
        .expect("an array")
        .iter()
        .map(|item| item["title"].as_str().unwrap_or("").to_owned())
        .collect()
}

/// The `id` of each item of a JSON array.
pub fn ids(items: &Value) -> Vec<i64> {
    items
        .as_array()
        .expect("an array")
        .iter()
        .map(|item| item["id"].as_i64().unwrap_or(0))
        .collect()
}

/// A valid SKU body: a 1.5-horsepower air conditioner priced within every rule (supply
/// 5,000.00 yuan, pool 8,999.00, floor 8,500.00, retail 15,899.00, 10% commission).
pub fn sku(code: &str, title: &str) -> Value {
    json!({
        "spu_code": format!("SPU-{code}"),
        "sku_code": code,
        "title": title,
        "brand": "格力",
        "category_id": 605,
        "gtin": null,
        "images": ["https://img.example.com/1.jpg"],
        "attributes": [{"name": "匹数", "value": "1.5"}],
        "supply_price_fen": 500_000,
        "pool_price_fen": 899_900,
        "floor_price_fen": 850_000,
        "retail_price_fen": 1_589_900,
        "commission_bps": 1_000
    })
}

/// `item` with the given fields replaced.
pub fn with(mut item: Value, changes: Value) -> Value {
    for (key, value) in changes.as_object().expect("an object") {
        item[key] = value.clone();
    }
    item
}

/// Runs `case` against a fresh app of `kind`, then cleans up even when the case panics.
pub async fn run_case<F, Fut>(kind: StoreKind, case: F)
where
    F: FnOnce(Arc<TestApp>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    run_case_with(kind, test_config(), case).await
}

/// [`run_case`] with the services' settings of the case's own.
pub async fn run_case_with<F, Fut>(kind: StoreKind, config: ServiceConfig, case: F)
where
    F: FnOnce(Arc<TestApp>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(app) = TestApp::spawn_configured(kind, config).await else {
        eprintln!("skipped: {DATABASE_URL_ENV} not set");
        return;
    };
    let app = Arc::new(app);
    let outcome = tokio::spawn(case(app.clone())).await;
    app.finish().await;
    if let Err(error) = outcome {
        if error.is_panic() {
            std::panic::resume_unwind(error.into_panic());
        }
        panic!("test task failed: {error}");
    }
}

/// Makes two tests of one case: `store_case!(case_x, sqlite_x, postgres_x);` runs
/// `async fn case_x(app: &TestApp)` on SQLite always and on PostgreSQL when
/// `DAIHUO_TEST_DATABASE_URL` is set (otherwise the PostgreSQL test says it skipped).
#[macro_export]
macro_rules! store_case {
    ($case:ident, $sqlite:ident, $postgres:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $sqlite() {
            $crate::common::run_case($crate::common::StoreKind::Sqlite, |app| async move {
                $case(&app).await
            })
            .await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $postgres() {
            $crate::common::run_case($crate::common::StoreKind::Postgres, |app| async move {
                $case(&app).await
            })
            .await;
        }
    };
}

/// [`store_case!`] with the services' settings `config()` instead of [`test_config`]:
/// `store_case_with!(case_x, config_x, sqlite_x, postgres_x);`.
#[macro_export]
macro_rules! store_case_with {
    ($case:ident, $config:expr, $sqlite:ident, $postgres:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $sqlite() {
            $crate::common::run_case_with(
                $crate::common::StoreKind::Sqlite,
                $config,
                |app| async move { $case(&app).await },
            )
            .await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $postgres() {
            $crate::common::run_case_with(
                $crate::common::StoreKind::Postgres,
                $config,
                |app| async move { $case(&app).await },
            )
            .await;
        }
    };
}

/// The current time in Unix milliseconds, for start times relative to now.
pub fn now_ms() -> i64 {
    daihuo_store::now_ms()
}

impl TestApp {
    /// GET without a token, as an anonymous visitor.
    pub async fn get_anonymous(&self, path: &str) -> Reply {
        self.call(Method::GET, path, None, None).await
    }

    /// POST without a body.
    pub async fn post_empty(&self, path: &str, token: &str) -> Reply {
        self.call(Method::POST, path, Some(token), None).await
    }

    /// PATCH JSON with a token.
    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> Reply {
        self.call(Method::PATCH, path, Some(token), Some(body))
            .await
    }

    /// The user id behind a session token.
    pub async fn user_id(&self, token: &str) -> i64 {
        self.get("/api/me", token).await.expect(200)["id"]
            .as_i64()
            .expect("a user id")
    }

    /// A supplier's SKU `code` (priced as [`sku`]) approved by the operator and put on the
    /// anchor's shelf; returns its id.
    pub async fn shelved_sku(&self, supplier: &str, anchor: &str, code: &str) -> i64 {
        let id = self
            .create_sku(supplier, sku(code, &format!("格力 空调 {code}")))
            .await;
        let operator = self.operator().await;
        self.approve(&operator, id).await;
        self.put(&format!("/api/anchor/shelf/{id}"), anchor, &json!({}))
            .await
            .expect(200);
        id
    }

    /// Schedules a session starting `starts_in_ms` from now, selling `sku_ids` at the pool
    /// price of [`sku`]; returns the reply.
    pub async fn schedule(
        &self,
        anchor: &str,
        title: &str,
        starts_in_ms: i64,
        sku_ids: &[i64],
    ) -> Reply {
        let items: Vec<Value> = sku_ids
            .iter()
            .map(|id| json!({"sku_id": id, "live_price_fen": 899_900}))
            .collect();
        self.post(
            "/api/live-sessions",
            anchor,
            &json!({"title": title, "starts_at_ms": now_ms() + starts_in_ms, "items": items}),
        )
        .await
    }

    /// Schedules a session an hour ahead and returns its id.
    pub async fn scheduled_session(&self, anchor: &str, title: &str, sku_ids: &[i64]) -> i64 {
        self.schedule(anchor, title, 3_600_000, sku_ids)
            .await
            .expect(201)["session"]["id"]
            .as_i64()
            .expect("a session id")
    }
}
