//! Sets a fresh node up over its public HTTP API, as people would: the operator signs in with
//! the initial password, makes a supplier whose SKU is approved, one anchor per room shelves it
//! and goes live, and viewer accounts sign up for the likes.

use super::super::BENCH_PASSWORD;
use anyhow::Context;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

/// Sign-ups at once: each hashes a password with argon2id on the node's two cores.
const SIGN_UP_CONCURRENCY: usize = 4;
/// How long one set-up request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A client of one node's API.
pub struct Api {
    /// `http://127.0.0.1:PORT`.
    base: String,
    /// The HTTP client.
    client: reqwest::Client,
}

impl Api {
    /// A client of the node at `address`.
    pub fn new(address: SocketAddr) -> anyhow::Result<Api> {
        Ok(Api {
            base: format!("http://{address}"),
            client: reqwest::Client::builder()
                .timeout(REQUEST_TIMEOUT)
                .build()
                .context("make an HTTP client")?,
        })
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        expect: u16,
    ) -> anyhow::Result<Value> {
        let mut request = self
            .client
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("{method} {path}"))?;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        anyhow::ensure!(
            status == expect,
            "{method} {path}: expected HTTP {expect}, got {status}: {text}"
        );
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Signs in and returns the session token.
    pub async fn sign_in(&self, username: &str, password: &str) -> anyhow::Result<String> {
        let body = self
            .call(
                reqwest::Method::POST,
                "/api/sessions",
                None,
                Some(&json!({"username": username, "password": password})),
                201,
            )
            .await?;
        body["token"]
            .as_str()
            .map(str::to_owned)
            .context("a session token")
    }

    /// Signs up an account of `role` and signs it in.
    pub async fn account(&self, username: &str, role: &str) -> anyhow::Result<String> {
        self.call(
            reqwest::Method::POST,
            "/api/accounts",
            None,
            Some(&json!({"username": username, "password": BENCH_PASSWORD,
                "display_name": username, "role": role})),
            201,
        )
        .await?;
        self.sign_in(username, BENCH_PASSWORD).await
    }
}

/// What the set-up made.
pub struct Prepared {
    /// The operator's token (notices are sent as the operator).
    pub operator: String,
    /// One live session per room.
    pub sessions: Vec<u64>,
    /// Tokens of signed-in viewers, for likes.
    pub viewer_tokens: Vec<String>,
}

/// Makes `rooms` live sessions and `viewer_accounts` signed-in viewers on a fresh node whose
/// data directory is `data_dir`.
pub async fn prepare(
    api: &Api,
    data_dir: &Path,
    rooms: usize,
    viewer_accounts: usize,
) -> anyhow::Result<Prepared> {
    let password_file = data_dir.join("initial-admin-password");
    let password = std::fs::read_to_string(&password_file)
        .with_context(|| format!("read {}", password_file.display()))?;
    let operator = api.sign_in("admin", password.trim()).await?;
    api.call(
        reqwest::Method::POST,
        "/api/operator/suppliers",
        Some(&operator),
        Some(
            &json!({"name": "Bench Room Supplier", "admin_username": "bench-room-supplier",
            "admin_password": BENCH_PASSWORD}),
        ),
        201,
    )
    .await?;
    let supplier = api.sign_in("bench-room-supplier", BENCH_PASSWORD).await?;
    let report = api
        .call(
            reqwest::Method::PUT,
            "/api/supplier/skus",
            Some(&supplier),
            Some(&json!({"items": [sku()]})),
            200,
        )
        .await?;
    let sku_id = report["results"][0]["sku_id"]
        .as_i64()
        .with_context(|| format!("a SKU id in {report}"))?;
    api.call(
        reqwest::Method::POST,
        &format!("/api/operator/skus/{sku_id}/review"),
        Some(&operator),
        Some(&json!({"decision": "approve"})),
        200,
    )
    .await?;
    let mut sessions = Vec::with_capacity(rooms);
    for room in 0..rooms {
        // One anchor per room: an anchor has one live session at a time.
        let anchor = api
            .account(&format!("bench-anchor-{room:03}"), "anchor")
            .await?;
        api.call(
            reqwest::Method::PUT,
            &format!("/api/anchor/shelf/{sku_id}"),
            Some(&anchor),
            Some(&json!({})),
            200,
        )
        .await?;
        let starts_at_ms = daihuo_store::now_ms() + 60_000;
        let scheduled = api
            .call(
                reqwest::Method::POST,
                "/api/live-sessions",
                Some(&anchor),
                Some(
                    &json!({"title": format!("Bench room {room}"), "starts_at_ms": starts_at_ms,
                    "items": [{"sku_id": sku_id, "live_price_fen": 899_900}]}),
                ),
                201,
            )
            .await?;
        let session = scheduled["session"]["id"]
            .as_u64()
            .with_context(|| format!("a session id in {scheduled}"))?;
        api.call(
            reqwest::Method::POST,
            &format!("/api/live-sessions/{session}/live"),
            Some(&anchor),
            None,
            200,
        )
        .await?;
        sessions.push(session);
    }
    let viewer_tokens = viewer_accounts_made(api, viewer_accounts).await?;
    Ok(Prepared {
        operator,
        sessions,
        viewer_tokens,
    })
}

async fn viewer_accounts_made(api: &Api, count: usize) -> anyhow::Result<Vec<String>> {
    use futures_util::StreamExt;
    let tokens: Vec<anyhow::Result<String>> = futures_util::stream::iter(0..count)
        .map(|number| async move {
            api.account(&format!("bench-viewer-{number:05}"), "viewer")
                .await
        })
        .buffered(SIGN_UP_CONCURRENCY)
        .collect()
        .await;
    tokens.into_iter().collect()
}

/// The SKU every room sells: an air conditioner priced within every pool rule.
fn sku() -> Value {
    json!({
        "spu_code": "SPU-BENCH-ROOM",
        "sku_code": "BENCH-ROOM-1",
        "title": "格力 变频空调 1.5匹",
        "brand": "格力",
        "category_id": 605,
        "gtin": null,
        "images": ["https://img.example.com/bench.jpg"],
        "attributes": [{"name": "匹数", "value": "1.5"}],
        "supply_price_fen": 500_000,
        "pool_price_fen": 899_900,
        "floor_price_fen": 850_000,
        "retail_price_fen": 1_589_900,
        "commission_bps": 1_000
    })
}
