//! The real `daihuo` binary as a new user runs it from the README: `serve` on a fresh data
//! directory, then `import` of a CSV feed into the same embedded store while the server is
//! still running and taking writes.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long the server may take to migrate a fresh store and start listening.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// Rows in the generated feed: three write chunks, so the import holds SQLite's write lock
/// several times while the server writes too.
const FEED_ROWS: usize = 3_000;
/// A password for accounts the test makes.
const PASSWORD: &str = "correct-horse-battery";

/// Kills the server when the test ends, passed or failed.
struct Server {
    /// The `daihuo serve` process.
    child: Child,
    /// Its stderr lines after the "serving on" line, kept for failure messages.
    log: mpsc::Receiver<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts `daihuo serve` on port 0 and returns it with its base URL.
    fn start(data_dir: &Path) -> (Server, String) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_daihuo"))
            .args(["serve", "--data-dir"])
            .arg(data_dir)
            .args(["--listen", "127.0.0.1:0"])
            .env_remove("DAIHUO_DATABASE_URL")
            .env_remove("DAIHUO_DATA_DIR")
            .env_remove("DAIHUO_LISTEN")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start daihuo serve");
        let stderr = child.stderr.take().expect("stderr");
        let (lines, log) = mpsc::channel();
        // Read stderr to the end on a thread: the server must never block on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if lines.send(line).is_err() {
                    // Nobody listens any more; keep draining.
                    continue;
                }
            }
        });
        let mut server = Server { child, log };
        let started = Instant::now();
        let mut seen = Vec::new();
        let base_url = loop {
            let left = STARTUP_TIMEOUT.saturating_sub(started.elapsed());
            match server.log.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.split("serving on http://").nth(1) {
                        let address = rest.split_whitespace().next().unwrap_or("");
                        break format!("http://{address}");
                    }
                    seen.push(line);
                }
                Err(_) => {
                    let status = server.child.try_wait().ok().flatten();
                    panic!(
                        "daihuo serve did not report its address (exit: {status:?}); stderr:\n{}",
                        seen.join("\n")
                    );
                }
            }
        };
        (server, base_url)
    }
}

/// A feed of `FEED_ROWS` good rows, a Chinese and an English title among them, and one row
/// whose floor price is above its pool price at the last line.
fn write_feed(path: &Path) {
    let mut text = String::from(
        "spu_code,sku_code,title,brand,category_id,gtin,images,attributes,supply_price_fen,\
         pool_price_fen,floor_price_fen,retail_price_fen,commission_bps\n",
    );
    text.push_str("GREE-1,GREE-1-W,格力 变频空调 1.5匹 冷暖,格力,605,6901234567892,https://img.example.com/1.jpg,匹数=1.5,500000,899900,850000,1589900,1000\n");
    text.push_str("GREE-2,GREE-2-W,Gree Inverter Air Conditioner 1.5HP,Gree,605,,,,500000,899900,850000,1589900,1000\n");
    for i in 2..FEED_ROWS {
        text.push_str(&format!(
            "FAN-{i},FAN-{i}-W,美的 电风扇 {i} 号,美的,605,,,,10000,20000,15000,30000,1000\n"
        ));
    }
    text.push_str("BAD,BAD-1,美的 电饭煲,美的,757,,,,10000,20000,25000,30000,1000\n");
    std::fs::write(path, text).expect("write the feed");
}

async fn sign_in(
    client: &reqwest::Client,
    base_url: &str,
    username: &str,
    password: &str,
) -> String {
    let response = client
        .post(format!("{base_url}/api/sessions"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .expect("sign in");
    assert_eq!(response.status().as_u16(), 201, "sign in as {username}");
    let grant: Value = response.json().await.expect("a session");
    grant["token"].as_str().expect("token").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_then_import_while_serving() {
    let data_dir = tempfile::tempdir().expect("a temporary directory");
    let (server, base_url) = Server::start(data_dir.path());
    let client = reqwest::Client::new();

    // The server answers its health check.
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    loop {
        let healthy = client
            .get(format!("{base_url}/healthz"))
            .send()
            .await
            .map(|r| r.status().as_u16() == 200)
            .unwrap_or(false);
        if healthy {
            break;
        }
        assert!(Instant::now() < deadline, "/healthz never answered 200");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The first operator's password is in the data directory.
    let password = std::fs::read_to_string(data_dir.path().join("initial-admin-password"))
        .expect("the initial admin password file");
    let operator = sign_in(&client, &base_url, "admin", password.trim()).await;

    // The operator creates a supplier; its staff makes a warehouse.
    let response = client
        .post(format!("{base_url}/api/operator/suppliers"))
        .bearer_auth(&operator)
        .json(
            &json!({"name": "gree-official", "admin_username": "gree", "admin_password": PASSWORD}),
        )
        .send()
        .await
        .expect("create a supplier");
    assert_eq!(response.status().as_u16(), 201);
    let supplier = sign_in(&client, &base_url, "gree", PASSWORD).await;

    // `daihuo import` runs against the same store while the server keeps taking writes.
    let feed = data_dir.path().join("feed.csv");
    write_feed(&feed);
    let import = tokio::process::Command::new(env!("CARGO_BIN_EXE_daihuo"))
        .args(["import", "--data-dir"])
        .arg(data_dir.path())
        .args(["--supplier", "gree-official"])
        .arg(&feed)
        .env_remove("DAIHUO_DATABASE_URL")
        .env_remove("DAIHUO_DATA_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let writes = async {
        let mut written = 0_u32;
        for i in 0..40 {
            let response = client
                .put(format!("{base_url}/api/supplier/warehouses"))
                .bearer_auth(&supplier)
                .json(&json!({"code": format!("W{i}"), "name": "杭州仓", "county_code": "330106"}))
                .send()
                .await
                .expect("write a warehouse");
            let status = response.status().as_u16();
            let body = response.text().await.unwrap_or_default();
            assert_eq!(
                status, 200,
                "a server write during the import failed: {body}"
            );
            written += 1;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        written
    };
    let (output, written) = tokio::join!(import, writes);
    let output = output.expect("run daihuo import");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "daihuo import failed: {stderr}");
    assert_eq!(written, 40);

    // Its stdout is one JSON report.
    let stdout = String::from_utf8(output.stdout).expect("UTF-8 stdout");
    let report: Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|error| panic!("stdout is not one JSON report ({error}): {stdout}"));
    let rows = FEED_ROWS as u64 + 1;
    assert_eq!(report["rows"], rows, "report {report}");
    assert_eq!(report["created"], FEED_ROWS as u64, "report {report}");
    assert_eq!(report["rejected"], 1, "report {report}");
    assert_eq!(
        report["errors"][0]["row"],
        rows + 1,
        "the CSV line of the bad row"
    );
    assert_eq!(report["errors"][0]["error"]["code"], "floor_above_pool");
    assert!(stderr.contains("floor_above_pool"), "stderr: {stderr}");

    // The server sees what the import wrote, and the warehouses it wrote meanwhile.
    let response = client
        .get(format!("{base_url}/api/supplier/skus?limit=2"))
        .bearer_auth(&supplier)
        .send()
        .await
        .expect("list the catalogue");
    assert_eq!(response.status().as_u16(), 200);
    let catalogue: Value = response.json().await.expect("JSON");
    let titles: Vec<&str> = catalogue
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|s| s["title"].as_str())
        .collect();
    assert_eq!(
        titles,
        vec![
            "格力 变频空调 1.5匹 冷暖",
            "Gree Inverter Air Conditioner 1.5HP"
        ]
    );
    let response = client
        .get(format!("{base_url}/api/supplier/warehouses"))
        .bearer_auth(&supplier)
        .send()
        .await
        .expect("list warehouses");
    let warehouses: Value = response.json().await.expect("JSON");
    assert_eq!(warehouses.as_array().map(Vec::len), Some(40));

    // Importing the same feed again changes nothing.
    let again = Command::new(env!("CARGO_BIN_EXE_daihuo"))
        .args(["import", "--data-dir"])
        .arg(data_dir.path())
        .args(["--supplier", "gree-official"])
        .arg(&feed)
        .env_remove("DAIHUO_DATABASE_URL")
        .env_remove("DAIHUO_DATA_DIR")
        .stdin(Stdio::null())
        .output()
        .expect("run daihuo import again");
    assert!(again.status.success());
    let report: Value = serde_json::from_slice(&again.stdout).expect("a JSON report");
    assert_eq!(report["unchanged"], FEED_ROWS as u64, "report {report}");
    assert_eq!(report["created"], 0);

    // An unknown supplier is a clear failure.
    let unknown = Command::new(env!("CARGO_BIN_EXE_daihuo"))
        .args(["import", "--data-dir"])
        .arg(data_dir.path())
        .args(["--supplier", "nobody"])
        .arg(&feed)
        .env_remove("DAIHUO_DATABASE_URL")
        .env_remove("DAIHUO_DATA_DIR")
        .stdin(Stdio::null())
        .output()
        .expect("run daihuo import for an unknown supplier");
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("nobody"));

    drop(server);
}
