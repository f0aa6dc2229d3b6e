//! The demo's HTTP client side: what a browser or an app would send to the node, with the
//! status and body of every answer kept, so a refusal can be told from a failure.

use anyhow::Context;
use serde_json::{json, Value};
use std::time::Duration;

/// The longest one request of the simulated clients may take; the node's own limit is 60 s,
/// but a demo client that waits that long only piles up.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// Idle keep-alive connections the client keeps to the node.
const IDLE_CONNECTIONS_MAX: usize = 64;

/// An answer: its status and JSON body (`null` when it had none).
pub type Answer = anyhow::Result<(u16, Value)>;

/// The node's API as clients reach it.
#[derive(Clone)]
pub struct Api {
    /// `http://host:port`.
    pub base: String,
    client: reqwest::Client,
}

/// The body of `answer` if its status is `want`, else an error naming status and code.
pub fn expect_json(answer: Answer, want: u16) -> anyhow::Result<Value> {
    let (status, body) = answer?;
    anyhow::ensure!(
        status == want,
        "HTTP {status} ({})",
        body["error"]["code"].as_str().unwrap_or("no code")
    );
    Ok(body)
}

/// The error code of a refused answer, or the status when there is none.
pub fn code_of(status: u16, body: &Value) -> String {
    body["error"]["code"]
        .as_str()
        .map_or_else(|| format!("http_{status}"), str::to_owned)
}

impl Api {
    /// A client of the node at `base`.
    pub fn new(base: &str) -> anyhow::Result<Api> {
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .pool_max_idle_per_host(IDLE_CONNECTIONS_MAX)
            .build()
            .context("build the HTTP client")?;
        Ok(Api {
            base: base.to_owned(),
            client,
        })
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await?;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        Ok((status, body))
    }

    fn authorised(
        request: reqwest::RequestBuilder,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// GET `path`.
    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        let request = self.client.get(format!("{}{path}", self.base));
        self.send(Self::authorised(request, token)).await
    }

    /// POST `body` to `path`; `null` sends no body at all.
    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Answer {
        let mut request = self.client.post(format!("{}{path}", self.base));
        if !body.is_null() {
            request = request.json(body);
        }
        self.send(Self::authorised(request, token)).await
    }

    /// PUT `body` to `path`.
    pub async fn put(&self, path: &str, token: &str, body: &Value) -> Answer {
        let request = self.client.put(format!("{}{path}", self.base)).json(body);
        self.send(request.bearer_auth(token)).await
    }

    /// POST `body` to `path` with an `Idempotency-Key`, as purchases need.
    pub async fn post_keyed(&self, path: &str, token: &str, key: &str, body: &Value) -> Answer {
        let request = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(body);
        self.send(request).await
    }

    /// Signs in; returns the session token.
    pub async fn sign_in(&self, username: &str, password: &str) -> anyhow::Result<String> {
        let grant = expect_json(
            self.post(
                "/api/sessions",
                None,
                &json!({"username": username, "password": password}),
            )
            .await,
            201,
        )
        .with_context(|| format!("sign in as {username}"))?;
        grant["token"]
            .as_str()
            .map(str::to_owned)
            .context("a session token")
    }

    /// Starts paying `order` and pays on the sandbox gateway's pay page, as a buyer does.
    pub async fn pay(&self, token: &str, order: i64) -> anyhow::Result<()> {
        let start = self
            .client
            .post(format!("{}/api/orders/{order}/payments", self.base))
            .bearer_auth(token);
        let payment = expect_json(self.send(start).await, 200)
            .with_context(|| format!("start paying order {order}"))?;
        let pay_url = payment["pay_url"].as_str().context("a pay URL")?;
        let request = self
            .client
            .post(pay_url)
            .json(&json!({"outcome": "succeed"}));
        let (status, body) = self.send(request).await?;
        anyhow::ensure!(
            (200..300).contains(&status),
            "the pay page answered {status} ({})",
            code_of(status, &body)
        );
        Ok(())
    }
}
