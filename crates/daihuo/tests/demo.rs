//! `daihuo demo` as a newcomer runs it: the real binary on port 0 and a fresh directory. It
//! must print its URL and one login per role, each login must work, the world must be there
//! (sessions live, a searchable pool, the printed viewer's orders, address and follows), and
//! the platform must be alive: viewers comment and buy in the rooms, and the suppliers'
//! desks ship what they are sent. Ctrl-C stops it cleanly.

use futures_util::StreamExt;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

/// How long the demo may take to seed its world and print the ready line (a debug build on a
/// shared machine; a release build takes about a second).
const READY_WITHIN: Duration = Duration::from_secs(40);
/// How long the test waits to see traffic: a comment, the orders ticker and a shipment.
const ALIVE_WITHIN: Duration = Duration::from_secs(60);
/// How long the demo may take to stop after Ctrl-C.
const STOP_WITHIN: Duration = Duration::from_secs(15);
/// stderr lines kept for a failure message.
const LOG_LINES_KEPT: usize = 40;

/// The running demo; killed when the test ends, passed or failed.
struct Demo {
    child: Child,
    /// The last lines of its stderr.
    log: Arc<Mutex<VecDeque<String>>>,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Demo {
    fn log(&self) -> String {
        let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        log.iter().cloned().collect::<Vec<_>>().join("\n")
    }
}

/// What the demo printed: its URL and the logins by role.
struct Printed {
    base_url: String,
    logins: HashMap<String, (String, String)>,
}

fn start(data_dir: &Path) -> (Demo, Printed) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_daihuo"))
        .args([
            "demo",
            "--listen",
            "127.0.0.1:0",
            "--skus",
            "300",
            "--viewers",
            "300",
        ])
        .arg("--data-dir")
        .arg(data_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start daihuo demo");
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let log = Arc::new(Mutex::new(VecDeque::new()));
    let kept = log.clone();
    // Both pipes are drained to the end on threads: the demo must never block on a full pipe.
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            let mut kept = kept.lock().unwrap_or_else(|e| e.into_inner());
            kept.push_back(line);
            if kept.len() > LOG_LINES_KEPT {
                kept.pop_front();
            }
        }
    });
    let (lines, printed) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = lines.send(line);
        }
    });
    let demo = Demo { child, log };
    let started = Instant::now();
    let mut base_url = None;
    let mut logins = HashMap::new();
    while base_url.is_none() || logins.len() < 4 {
        let left = READY_WITHIN.saturating_sub(started.elapsed());
        let Ok(line) = printed.recv_timeout(left) else {
            panic!(
                "the demo did not print its URL and four logins within {READY_WITHIN:?}; \
                 stderr ends:\n{}",
                demo.log()
            );
        };
        if let Some(url) = line.strip_prefix("daihuo demo ready at ") {
            base_url = Some(url.trim().to_owned());
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        if let ["login", role, username, password] = words.as_slice() {
            logins.insert(
                (*role).to_owned(),
                ((*username).to_owned(), (*password).to_owned()),
            );
        }
    }
    eprintln!(
        "the demo was ready in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let base_url = base_url.expect("a URL");
    assert!(base_url.starts_with("http://127.0.0.1:"), "{base_url}");
    (demo, Printed { base_url, logins })
}

/// A signed-in client of the demo.
struct Client {
    http: reqwest::Client,
    base_url: String,
    token: String,
    user: Value,
}

impl Client {
    async fn sign_in(base_url: &str, username: &str, password: &str) -> Client {
        let http = reqwest::Client::new();
        let response = http
            .post(format!("{base_url}/api/sessions"))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .expect("sign in");
        assert_eq!(response.status().as_u16(), 201, "sign in as {username}");
        let grant: Value = response.json().await.expect("a session");
        Client {
            http,
            base_url: base_url.to_owned(),
            token: grant["token"].as_str().expect("a token").to_owned(),
            user: grant["user"].clone(),
        }
    }

    async fn get(&self, path: &str) -> Value {
        let response = self
            .http
            .get(format!("{}{path}", self.base_url))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("GET");
        assert_eq!(response.status().as_u16(), 200, "GET {path}");
        response.json().await.expect("JSON")
    }
}

fn items(value: &Value) -> Vec<Value> {
    value["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_is_a_living_platform_with_a_login_per_role() {
    let data_dir = tempfile::tempdir().expect("a temporary directory");
    let (mut demo, printed) = start(data_dir.path());
    let base = printed.base_url.clone();
    let login = |role: &str| {
        printed
            .logins
            .get(role)
            .cloned()
            .unwrap_or_else(|| panic!("no {role} login printed"))
    };

    // Every printed login signs in, with the role it was printed for.
    let mut clients = HashMap::new();
    for (role, stored) in [
        ("viewer", "viewer"),
        ("anchor", "anchor"),
        ("supplier", "supplier_staff"),
        ("operator", "operator"),
    ] {
        let (username, password) = login(role);
        let client = Client::sign_in(&base, &username, &password).await;
        assert_eq!(client.user["role"], stored, "{role}: {}", client.user);
        clients.insert(role, client);
    }
    let (viewer, anchor, supplier) = (&clients["viewer"], &clients["anchor"], &clients["supplier"]);

    // Sessions are live now, one of them the printed anchor's; others are coming.
    let live = items(&viewer.get("/api/live-sessions/live").await);
    assert!(live.len() >= 3, "live now: {live:?}");
    let mine = live
        .iter()
        .find(|s| s["anchor_id"] == anchor.user["id"])
        .expect("the printed anchor is live");
    assert!(
        !mine["pinned_sku_id"].is_null(),
        "a product is pinned: {mine}"
    );
    let upcoming = items(&viewer.get("/api/live-sessions/upcoming").await);
    assert!(!upcoming.is_empty(), "sessions are coming");

    // The printed supplier sells in the printed anchor's session.
    let snapshot = viewer
        .get(&format!("/api/live-sessions/{}", mine["id"]))
        .await;
    let skus = items(&snapshot);
    assert!(
        (10..=30).contains(&skus.len()),
        "{} SKUs on sale",
        skus.len()
    );
    let mut suppliers_selling = HashSet::new();
    for item in &skus {
        let sku = supplier.get(&format!("/api/skus/{}", item["sku_id"])).await;
        suppliers_selling.insert(sku["supplier_id"].as_i64());
    }
    assert!(
        suppliers_selling.contains(&supplier.user["supplier_id"].as_i64()),
        "the printed supplier sells in the session"
    );

    // The selection centre finds SKUs, in Chinese too, and in stock.
    let pool = items(&anchor.get("/api/pool?in_stock=true&limit=20").await);
    assert_eq!(pool.len(), 20, "pool search");
    let chinese = items(&anchor.get("/api/pool?q=%E7%A9%BA%E8%B0%83").await);
    let english = items(&anchor.get("/api/pool?q=shoes").await);
    assert!(
        !chinese.is_empty() || !english.is_empty(),
        "text search finds SKUs"
    );

    // The printed viewer has an address, follows anchors and has orders in each state.
    assert!(!viewer
        .get("/api/addresses")
        .await
        .as_array()
        .expect("a list")
        .is_empty());
    assert!(!viewer
        .get("/api/me/following")
        .await
        .as_array()
        .expect("a list")
        .is_empty());
    let orders = viewer.get("/api/orders").await;
    let statuses: HashSet<String> = orders
        .as_array()
        .cloned()
        .unwrap_or_else(|| items(&orders))
        .iter()
        .filter_map(|o| o["status"].as_str().map(str::to_owned))
        .collect();
    for status in ["routed", "shipped", "delivered", "completed"] {
        assert!(statuses.contains(status), "an order {status}: {statuses:?}");
    }

    // The platform is alive: in the rooms, viewers comment and the orders ticker runs.
    let deadline = Instant::now() + ALIVE_WITHIN;
    let mut sockets = Vec::new();
    for session in &live {
        let url = format!(
            "{}/api/live-sessions/{}/room?visitor=demo-test-visitor",
            base.replacen("http://", "ws://", 1),
            session["id"]
        );
        let (socket, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("the room accepts a visitor");
        sockets.push(socket);
    }
    let mut frames = futures_util::stream::select_all(sockets);
    let mut seen = HashSet::new();
    while !(seen.contains("comment") && seen.contains("order")) {
        let left = deadline.saturating_duration_since(Instant::now());
        let frame = match tokio::time::timeout(left, frames.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => text,
            Ok(Some(Ok(_))) => continue,
            other => panic!(
                "no comment and order in the rooms within {ALIVE_WITHIN:?} (saw {seen:?}, \
                 last {other:?}); stderr ends:\n{}",
                demo.log()
            ),
        };
        let frame: Value = serde_json::from_str(frame.as_str()).expect("a JSON frame");
        if frame["type"] == "event" {
            if let Some(kind) = frame["event"]["kind"].as_str() {
                seen.insert(kind.to_owned());
            }
        }
    }
    drop(frames);

    // The printed supplier's desk ships the orders the simulated buyers made.
    let shipped = loop {
        let events = supplier.get("/api/supplier/events?limit=100").await;
        let routed: Vec<i64> = events["events"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["kind"] == "order.routed")
            .filter_map(|e| e["data"]["order_id"].as_i64())
            .collect();
        let mut shipped = None;
        for order in routed {
            let tracking = supplier.get(&format!("/api/orders/{order}/tracking")).await;
            let waybill = tracking["shipments"][0]["waybill"]
                .as_str()
                .map(str::to_owned);
            if tracking["status"] == "shipped" || tracking["status"] == "delivered" {
                shipped = waybill;
                break;
            }
        }
        if let Some(waybill) = shipped {
            break waybill;
        }
        assert!(
            Instant::now() < deadline,
            "no order of the printed supplier shipped within {ALIVE_WITHIN:?}; stderr ends:\n{}",
            demo.log()
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
    };
    assert!(shipped.starts_with("JDX"), "a JD waybill: {shipped}");

    // Ctrl-C stops it cleanly.
    let pid = demo.child.id().to_string();
    let signalled = Command::new("kill").args(["-INT", &pid]).status();
    assert!(signalled.is_ok_and(|s| s.success()), "send SIGINT");
    let stop_deadline = Instant::now() + STOP_WITHIN;
    let status = loop {
        if let Some(status) = demo.child.try_wait().expect("the demo's status") {
            break status;
        }
        assert!(
            Instant::now() < stop_deadline,
            "the demo did not stop within {STOP_WITHIN:?} of Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "the demo exited with {status}");
}

#[test]
fn the_demo_refuses_to_wipe_a_directory_it_did_not_make() {
    let data_dir = tempfile::tempdir().expect("a temporary directory");
    let precious = data_dir.path().join("precious.txt");
    std::fs::write(&precious, "keep me").expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_daihuo"))
        .args(["demo", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir.path())
        .stdin(Stdio::null())
        .output()
        .expect("run daihuo demo");
    assert!(!output.status.success(), "the demo must refuse");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("refusing to wipe"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&precious).expect("still there"),
        "keep me"
    );
}
