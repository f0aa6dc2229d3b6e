//! `daihuo bench fanout`: room fan-out to many viewers, one node or several joined by NATS.
//!
//! The bench starts its own `daihuo serve` nodes (this binary) on free loopback ports over a
//! fresh SQLite data directory, sets a live session up over HTTP, and re-executes itself as
//! load workers (`bench fanout-worker`), each holding up to [`VIEWERS_PER_WORKER_MAX`]
//! WebSocket viewers from its own 127.0.0.x source addresses: a process may hold at most
//! 20,000 open files here. It reads each node's VmRSS before the viewers join and again with
//! all of them joined and idle, then publishes operator notices stamped with the sender's
//! clock at `--rate` per room, and the workers measure publish→receive latency, count gaps in
//! the `(epoch, offset)` sequence, and (with `--likes-per-s`) send likes and count the
//! coalesced `counters` frames. `--kill-node` SIGKILLs one node halfway: its viewers rejoin
//! other nodes with their last position and must resume without a gap.
//!
//! `--peer` runs the same viewers, rate and payloads against nats-server's own WebSocket
//! listener (the workers speak the NATS text protocol, the publisher uses async-nats), and
//! prints both results side by side.

pub(crate) mod cluster;
mod frames;
mod setup;
pub mod worker;

use super::round3;
use anyhow::Context;
use base64::Engine;
use clap::Args;
use cluster::{Node, Process, Worker};
use hdrhistogram::Histogram;
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use worker::{now_us, Protocol, WorkerReport, WorkerSpec};

/// Viewers one worker process holds: under the 20,000 open files a process may have, with
/// room for the runtime's own descriptors and for rejoins.
const VIEWERS_PER_WORKER_MAX: u64 = 15_000;
/// Viewers one 127.0.0.x source address carries, well inside its ~28,000 ephemeral ports
/// (rejoins take new ports while old ones linger).
pub(crate) const SOURCE_IP_VIEWERS: u64 = 5_000;
/// The most viewers a run may open: 40 source addresses' worth.
const VIEWERS_MAX: u64 = 200_000;
/// The most nodes a run may start.
const NODES_MAX: usize = 16;
/// The most rooms a run may open.
const ROOMS_MAX: usize = 1_000;
/// The highest notice rate per room; the room's ring holds 1,024 events.
const RATE_MAX: f64 = 100.0;
/// The longest measured phase.
const DURATION_MAX_S: u64 = 3_600;
/// Connections a node may hold: under its 20,000 open files, less the listener, the
/// database files, the NATS connection and the publisher's HTTP connections.
const NODE_CONNECTIONS_MAX: usize = 19_950;
/// The slowest latency the histograms hold, µs; slower deliveries show as this.
pub(crate) const LATENCY_MAX_US: u64 = 120_000_000;
/// Likes in one like message: the most the server accepts.
const LIKES_PER_MESSAGE: u32 = 100;
/// Like messages one user may send per second on a node (the server's limit).
const LIKE_MESSAGES_PER_USER_MAX: f64 = 10.0;
/// Notices in flight at once: a stalled node cannot pile up requests.
const PUBLISH_IN_FLIGHT_MAX: usize = 256;
/// Time after the last notice for deliveries to land before the workers stop counting.
const DRAIN: Duration = Duration::from_secs(3);
/// How long the bench waits for a worker's `ready` or `report` line.
const WORKER_ANSWER_TIMEOUT: Duration = Duration::from_secs(420);
/// The text of every bench notice.
const NOTICE_TEXT: &str = "bench notice";
/// Targets of the design for the one-node run, the NATS run and memory.
const TARGET_P99_ONE_NODE_MS: f64 = 50.0;
const TARGET_P99_CLUSTER_MS: f64 = 250.0;
const TARGET_RSS_KB_PER_VIEWER: f64 = 8.0;
const TARGET_COUNTER_UPDATES_PER_S: f64 = 5.0;

/// Arguments of `daihuo bench fanout`.
#[derive(Args, Debug, Clone)]
pub struct FanoutArgs {
    /// Viewer connections in all.
    #[arg(long, default_value_t = 19_900)]
    pub viewers: u64,
    /// `daihuo serve` nodes to start; more than one are joined through NATS.
    #[arg(long, default_value_t = 1)]
    pub nodes: usize,
    /// Live rooms; viewers are spread evenly over them.
    #[arg(long, default_value_t = 1)]
    pub rooms: usize,
    /// Notices per second to each room, so updates per second each viewer receives.
    #[arg(long, default_value_t = 4.0)]
    pub rate: f64,
    /// Seconds of measured publishing.
    #[arg(long, default_value_t = 20)]
    pub duration_s: u64,
    /// Seconds of publishing before measuring starts.
    #[arg(long, default_value_t = 3)]
    pub warmup_s: u64,
    /// Seconds the joined viewers stay idle before the idle memory is read.
    #[arg(long, default_value_t = 5)]
    pub idle_s: u64,
    /// NATS server the nodes join (JetStream enabled). Without it, a run of several nodes
    /// starts a private nats-server, so rooms of earlier runs cannot collide with this one's.
    #[arg(long)]
    pub nats_url: Option<String>,
    /// SIGKILL one node halfway through the measured phase; its viewers rejoin the others.
    #[arg(long)]
    pub kill_node: bool,
    /// Also run the same scenario against nats-server's WebSocket listener.
    #[arg(long)]
    pub peer: bool,
    /// Run only the nats-server peer.
    #[arg(long)]
    pub peer_only: bool,
    /// Likes per second sent by signed-in viewers while measuring (0: none).
    #[arg(long, default_value_t = 0)]
    pub likes_per_s: u64,
    /// Viewer accounts that send the likes.
    #[arg(long, default_value_t = 200)]
    pub like_accounts: usize,
    /// Worker processes (default: one per 15,000 viewers, at least two above 2,000).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Keep the temporary directory (data, logs, configs).
    #[arg(long)]
    pub keep: bool,
}

impl FanoutArgs {
    fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            (1..=VIEWERS_MAX).contains(&self.viewers),
            "--viewers is 1 to {VIEWERS_MAX}"
        );
        anyhow::ensure!(
            (1..=NODES_MAX).contains(&self.nodes),
            "--nodes is 1 to {NODES_MAX}"
        );
        anyhow::ensure!(
            (1..=ROOMS_MAX).contains(&self.rooms),
            "--rooms is 1 to {ROOMS_MAX}"
        );
        anyhow::ensure!(
            self.rate > 0.0 && self.rate <= RATE_MAX,
            "--rate is above 0 and at most {RATE_MAX}"
        );
        anyhow::ensure!(
            (1..=DURATION_MAX_S).contains(&self.duration_s),
            "--duration-s is 1 to {DURATION_MAX_S}"
        );
        anyhow::ensure!(
            self.warmup_s <= 600 && self.idle_s <= 600,
            "warm-up and idle are at most 600 s"
        );
        anyhow::ensure!(
            !self.kill_node || self.nodes >= 2,
            "--kill-node needs at least two nodes"
        );
        anyhow::ensure!(
            self.like_accounts <= 2_000,
            "--like-accounts is at most 2,000"
        );
        if self.likes_per_s > 0 {
            anyhow::ensure!(self.like_accounts > 0, "likes need --like-accounts");
            let per_user = self.like_messages_per_user();
            anyhow::ensure!(
                per_user <= LIKE_MESSAGES_PER_USER_MAX,
                "{} likes/s over {} accounts is {per_user:.1} messages/s each, above the \
                 server's {LIKE_MESSAGES_PER_USER_MAX}: add --like-accounts",
                self.likes_per_s,
                self.like_accounts
            );
            anyhow::ensure!(
                self.like_accounts as u64 <= self.viewers,
                "--like-accounts cannot exceed --viewers"
            );
        }
        let survivors = self.nodes - usize::from(self.kill_node);
        let per_node = self.viewers.div_ceil(survivors as u64);
        anyhow::ensure!(
            per_node <= NODE_CONNECTIONS_MAX as u64,
            "{} viewers over {survivors} surviving node(s) is {per_node} each: a node holds at \
             most {NODE_CONNECTIONS_MAX} (20,000 open files per process); add --nodes",
            self.viewers
        );
        Ok(())
    }

    fn like_messages_per_user(&self) -> f64 {
        self.likes_per_s as f64 / (self.like_accounts.max(1) as f64 * f64::from(LIKES_PER_MESSAGE))
    }

    fn workers(&self) -> usize {
        let needed = usize::try_from(self.viewers.div_ceil(VIEWERS_PER_WORKER_MAX)).unwrap_or(1);
        let floor = if self.viewers > 2_000 { 2 } else { 1 };
        self.workers.unwrap_or(needed.max(floor)).max(needed)
    }
}

/// Runs the benchmark and prints its JSON line.
pub async fn run(args: FanoutArgs) -> anyhow::Result<()> {
    args.check()?;
    let dir = std::env::temp_dir().join(format!(
        "daihuo-bench-fanout-{}-{}",
        std::process::id(),
        daihuo_store::now_ms()
    ));
    std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
    eprintln!("fan-out bench in {}", dir.display());
    let outcome = run_in(&args, &dir).await;
    if args.keep {
        eprintln!("kept {}", dir.display());
    } else if let Err(error) = std::fs::remove_dir_all(&dir) {
        eprintln!("could not remove {}: {error}", dir.display());
    }
    let line = outcome?;
    println!("{}", serde_json::to_string(&line)?);
    Ok(())
}

async fn run_in(args: &FanoutArgs, dir: &Path) -> anyhow::Result<Value> {
    let mut result = Map::new();
    if !args.peer_only {
        let daihuo = run_daihuo(args, &dir.join("daihuo")).await?;
        result.extend(daihuo);
    }
    if args.peer || args.peer_only {
        let peer = run_peer(args, &dir.join("peer")).await?;
        if args.peer_only {
            result.extend(peer);
        } else {
            result.insert("peer".into(), Value::Object(peer));
        }
    }
    Ok(Value::Object(result))
}

/// What a run measured, before it is written as JSON.
struct Measured {
    /// Reports of every worker.
    reports: Vec<WorkerReport>,
    /// Server RSS before viewers joined, KiB, per process.
    rss_before_kb: Vec<u64>,
    /// Server RSS with every viewer joined and idle, KiB, per process.
    rss_idle_kb: Vec<u64>,
    /// Notices published inside the measured window, and how many failed.
    published: u64,
    /// Notices that could not be published.
    publish_failures: u64,
    /// Seconds the measured window lasted.
    window_s: f64,
    /// Seconds from start of the run until every viewer had joined.
    join_s: f64,
    /// The node killed, if any.
    killed: Option<usize>,
    /// Client worker RSS with everything joined, KiB, summed.
    client_rss_kb: u64,
    /// CPU seconds the servers used during the measured window.
    server_cpu_s: f64,
    /// CPU seconds the workers used during the measured window.
    client_cpu_s: f64,
    /// CPU seconds the whole machine spent busy during the window, over all cores.
    machine_busy_s: f64,
}

/// Runs the scenario against daihuo nodes.
async fn run_daihuo(args: &FanoutArgs, dir: &Path) -> anyhow::Result<Map<String, Value>> {
    let data_dir = dir.join("data");
    std::fs::create_dir_all(&data_dir)?;
    let mut nats = Vec::new();
    let nats_url = match (&args.nats_url, args.nodes) {
        (Some(url), _) => Some(url.clone()),
        (None, 1) => None,
        (None, _) => {
            eprintln!("starting a private nats-server with JetStream");
            nats = cluster::start_nats(1, dir, true).await?;
            Some(nats[0].client_url.clone())
        }
    };
    let survivors = args.nodes - usize::from(args.kill_node);
    let max_connections = usize::try_from(args.viewers.div_ceil(survivors as u64))
        .unwrap_or(NODE_CONNECTIONS_MAX)
        .saturating_add(64)
        .min(NODE_CONNECTIONS_MAX);
    eprintln!(
        "starting {} node(s), {max_connections} connections each",
        args.nodes
    );
    let mut nodes: Vec<Node> = Vec::with_capacity(args.nodes);
    for number in 0..args.nodes {
        nodes.push(
            cluster::start_node(
                number,
                &cluster::NodeStore::Sqlite(data_dir.clone()),
                nats_url.as_deref(),
                max_connections,
                dir,
            )
            .await?,
        );
    }
    let api = setup::Api::new(nodes[0].address)?;
    let like_accounts = if args.likes_per_s > 0 {
        args.like_accounts
    } else {
        0
    };
    eprintln!(
        "setting up {} room(s) and {like_accounts} viewer account(s) over HTTP",
        args.rooms
    );
    let prepared = setup::prepare(&api, &data_dir, args.rooms, like_accounts).await?;
    let targets: Vec<_> = nodes.iter().map(|node| node.address).collect();
    let alive: Arc<Vec<AtomicBool>> =
        Arc::new((0..nodes.len()).map(|_| AtomicBool::new(true)).collect());
    let publisher = Publisher::Daihuo {
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()?,
        targets: targets.clone(),
        alive: alive.clone(),
        token: prepared.operator.clone(),
    };
    let processes: Vec<&Process> = nodes.iter().map(|node| &node.process).collect();
    let plan = Plan {
        protocol: Protocol::Daihuo,
        targets,
        rooms: prepared.sessions.clone(),
        tokens: prepared.viewer_tokens.clone(),
    };
    let rss_before_kb = rss_of(&processes)?;
    let measured = measure(
        args,
        dir,
        &plan,
        &processes,
        rss_before_kb,
        publisher,
        |elapsed_s| kill_due(args, elapsed_s),
    )
    .await?;
    for node in &mut nodes {
        node.process.stop().await;
    }
    for server in &mut nats {
        server.process.stop().await;
    }
    let mut out = summarise(args, &measured, "daihuo")?;
    out.insert(
        "nats".into(),
        json!(match (&args.nats_url, args.nodes) {
            (Some(url), _) => url.clone(),
            (None, 1) => "none".into(),
            (None, _) => "private nats-server".into(),
        }),
    );
    out.insert("node_max_connections".into(), json!(max_connections));
    Ok(out)
}

/// Whether the node is due to be killed `elapsed_s` into the measured window.
fn kill_due(args: &FanoutArgs, elapsed_s: f64) -> bool {
    args.kill_node && elapsed_s >= args.duration_s as f64 / 2.0
}

/// Runs the scenario against nats-server's WebSocket listener.
async fn run_peer(args: &FanoutArgs, dir: &Path) -> anyhow::Result<Map<String, Value>> {
    std::fs::create_dir_all(dir)?;
    eprintln!(
        "peer: starting {} nats-server(s) with WebSocket listeners",
        args.nodes
    );
    let mut servers = cluster::start_nats(args.nodes, dir, false).await?;
    let client = async_nats::connect(servers[0].client_url.as_str())
        .await
        .context("connect the peer publisher")?;
    let rooms: Vec<u64> = (1..=args.rooms as u64).collect();
    let publisher = Publisher::Nats {
        client,
        offsets: Arc::new(rooms.iter().map(|_| AtomicU64::new(0)).collect()),
    };
    let processes: Vec<&Process> = servers.iter().map(|server| &server.process).collect();
    let plan = Plan {
        protocol: Protocol::NatsWebsocket,
        targets: servers.iter().map(|server| server.websocket).collect(),
        rooms,
        tokens: Vec::new(),
    };
    let rss_before_kb = rss_of(&processes)?;
    let measured = measure(
        args,
        dir,
        &plan,
        &processes,
        rss_before_kb,
        publisher,
        |_| false,
    )
    .await?;
    for server in &mut servers {
        server.process.stop().await;
    }
    let mut out = summarise(args, &measured, "nats-server")?;
    out.insert(
        "nats_server_version".into(),
        json!(nats_server_version().unwrap_or_default()),
    );
    Ok(out)
}

fn nats_server_version() -> Option<String> {
    let output = std::process::Command::new(cluster::NATS_SERVER)
        .arg("--version")
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

fn rss_of(processes: &[&Process]) -> anyhow::Result<Vec<u64>> {
    processes.iter().map(|process| process.rss_kb()).collect()
}

/// Who the viewers connect to and which rooms they watch.
struct Plan {
    /// The protocol the workers speak.
    protocol: Protocol,
    /// Node or nats-server WebSocket addresses.
    targets: Vec<std::net::SocketAddr>,
    /// Rooms.
    rooms: Vec<u64>,
    /// Tokens of signed-in viewers (likes).
    tokens: Vec<String>,
}

/// Sends the stamped notices.
enum Publisher {
    /// Operator notices over HTTP to the living nodes in turn.
    Daihuo {
        /// The HTTP client.
        client: reqwest::Client,
        /// Every node.
        targets: Vec<std::net::SocketAddr>,
        /// Which nodes are alive.
        alive: Arc<Vec<AtomicBool>>,
        /// The operator's token.
        token: String,
    },
    /// The same payloads on core NATS subjects `room.<n>`.
    Nats {
        /// The client.
        client: async_nats::Client,
        /// The last offset published per room.
        offsets: Arc<Vec<AtomicU64>>,
    },
}

/// Counts of the publisher.
#[derive(Default)]
struct PublishTally {
    /// Notices accepted that were stamped inside the measured window.
    measured: AtomicU64,
    /// Notices refused or failed.
    failed: AtomicU64,
    /// The first failure.
    first_failure: std::sync::Mutex<Option<String>>,
}

impl Publisher {
    fn clone_for_task(&self) -> Publisher {
        match self {
            Publisher::Daihuo {
                client,
                targets,
                alive,
                token,
            } => Publisher::Daihuo {
                client: client.clone(),
                targets: targets.clone(),
                alive: alive.clone(),
                token: token.clone(),
            },
            Publisher::Nats { client, offsets } => Publisher::Nats {
                client: client.clone(),
                offsets: offsets.clone(),
            },
        }
    }

    /// Marks node `number` dead so no more notices go to it.
    fn node_died(&self, number: usize) {
        if let Publisher::Daihuo { alive, .. } = self {
            if let Some(flag) = alive.get(number) {
                flag.store(false, Ordering::Relaxed);
            }
        }
    }

    /// Publishes one notice to room `room_index` of `rooms`, stamped now; `turn` picks the node.
    async fn publish(&self, rooms: &[u64], room_index: usize, turn: usize) -> anyhow::Result<u64> {
        let sent_at_us = now_us();
        match self {
            Publisher::Daihuo {
                client,
                targets,
                alive,
                token,
            } => {
                let living: Vec<usize> = (0..targets.len())
                    .filter(|n| alive[*n].load(Ordering::Relaxed))
                    .collect();
                anyhow::ensure!(!living.is_empty(), "no node alive");
                let target = targets[living[turn % living.len()]];
                let session = rooms[room_index];
                let response = client
                    .post(format!(
                        "http://{target}/api/live-sessions/{session}/notices"
                    ))
                    .bearer_auth(token)
                    .json(&json!({"text": NOTICE_TEXT, "sent_at_us": sent_at_us}))
                    .send()
                    .await
                    .context("send a notice")?;
                let status = response.status();
                if !status.is_success() {
                    let text = response.text().await.unwrap_or_default();
                    anyhow::bail!("notice refused by {target}: {status} {text}");
                }
            }
            Publisher::Nats { client, offsets } => {
                let offset = offsets[room_index].fetch_add(1, Ordering::Relaxed) + 1;
                let room = rooms[room_index];
                let payload = json!({
                    "type": "event", "epoch": 1, "offset": offset,
                    "event": {"kind": "notice", "text": NOTICE_TEXT, "sent_at_us": sent_at_us}
                });
                client
                    .publish(format!("room.{room}"), serde_json::to_vec(&payload)?.into())
                    .await
                    .context("publish on NATS")?;
            }
        }
        Ok(sent_at_us)
    }
}

/// Starts one publishing task per room, each at `rate` with its phase spread over the period.
fn start_publishing(
    publisher: &Publisher,
    rooms: &[u64],
    rate: f64,
    measure_from_us: Arc<AtomicU64>,
    tally: Arc<PublishTally>,
    stop: Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let period = Duration::from_secs_f64(1.0 / rate);
    let in_flight = Arc::new(tokio::sync::Semaphore::new(PUBLISH_IN_FLIGHT_MAX));
    let rooms: Arc<Vec<u64>> = Arc::new(rooms.to_vec());
    (0..rooms.len())
        .map(|room_index| {
            let publisher = Arc::new(publisher.clone_for_task());
            let rooms = rooms.clone();
            let tally = tally.clone();
            let stop = stop.clone();
            let in_flight = in_flight.clone();
            let measure_from_us = measure_from_us.clone();
            let phase = period.mul_f64(room_index as f64 / rooms.len() as f64);
            tokio::spawn(async move {
                let mut tick =
                    tokio::time::interval_at(tokio::time::Instant::now() + phase, period);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
                let mut turn = room_index;
                while !stop.load(Ordering::Relaxed) {
                    tick.tick().await;
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let Ok(permit) = in_flight.clone().acquire_owned().await else {
                        break;
                    };
                    turn += 1;
                    let publisher = publisher.clone();
                    let rooms = rooms.clone();
                    let tally = tally.clone();
                    let measure_from_us = measure_from_us.clone();
                    tokio::spawn(async move {
                        let _permit = permit;
                        match publisher.publish(&rooms, room_index, turn).await {
                            Ok(sent_at_us) => {
                                let from = measure_from_us.load(Ordering::Relaxed);
                                if from != 0 && sent_at_us >= from {
                                    tally.measured.fetch_add(1, Ordering::Relaxed);
                                }
                            }
                            Err(error) => {
                                tally.failed.fetch_add(1, Ordering::Relaxed);
                                if let Ok(mut first) = tally.first_failure.lock() {
                                    first.get_or_insert_with(|| format!("{error:#}"));
                                }
                            }
                        }
                    });
                }
            })
        })
        .collect()
}

/// Starts the workers, waits for every viewer, reads idle memory, publishes, measures and
/// collects the reports. `kill_now(elapsed_s)` says when to SIGKILL the last process.
async fn measure(
    args: &FanoutArgs,
    dir: &Path,
    plan: &Plan,
    processes: &[&Process],
    rss_before_kb: Vec<u64>,
    publisher: Publisher,
    kill_now: impl Fn(f64) -> bool,
) -> anyhow::Result<Measured> {
    let started = Instant::now();
    let mut workers = start_workers(args, dir, plan)?;
    eprintln!(
        "{} worker(s) joining {} viewers",
        workers.len(),
        args.viewers
    );
    let mut joined = 0;
    for worker in &mut workers {
        let line = next_line(worker, "ready").await?;
        let ready: Value = serde_json::from_str(&line)?;
        joined += ready["joined"].as_u64().unwrap_or(0);
        if ready["failed"].as_u64().unwrap_or(0) > 0 {
            eprintln!("worker {}: {line}", worker.number);
        }
    }
    let join_s = started.elapsed().as_secs_f64();
    eprintln!(
        "{joined} of {} viewers joined in {join_s:.1} s; idle for {} s",
        args.viewers, args.idle_s
    );
    tokio::time::sleep(Duration::from_secs(args.idle_s)).await;
    let rss_idle_kb = rss_of(processes)?;
    let client_rss_kb = workers
        .iter()
        .filter_map(|worker| worker.child.id())
        .filter_map(|pid| cluster::rss_kb(pid).ok())
        .sum();
    eprintln!("server RSS idle: {rss_idle_kb:?} KiB; workers {client_rss_kb} KiB");

    let measure_from_us = Arc::new(AtomicU64::new(0));
    let tally = Arc::new(PublishTally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let publishers = start_publishing(
        &publisher,
        &plan.rooms,
        args.rate,
        measure_from_us.clone(),
        tally.clone(),
        stop.clone(),
    );
    tokio::time::sleep(Duration::from_secs(args.warmup_s)).await;
    let from_us = now_us();
    measure_from_us.store(from_us, Ordering::Relaxed);
    for worker in &mut workers {
        send(worker, &format!("go {from_us}")).await?;
    }
    eprintln!("measuring for {} s", args.duration_s);
    let server_pids: Vec<u32> = processes.iter().map(|p| p.pid).collect();
    let worker_pids: Vec<u32> = workers.iter().filter_map(|w| w.child.id()).collect();
    let cpu_of = |pids: &[u32]| {
        pids.iter()
            .map(|pid| cluster::cpu_s(*pid))
            .collect::<Vec<_>>()
    };
    let server_cpu_start = cpu_of(&server_pids);
    let client_cpu_start: f64 = cpu_of(&worker_pids).iter().flatten().sum();
    let machine_start = machine_busy_s();
    let window_started = Instant::now();
    let window = Duration::from_secs(args.duration_s);
    let mut killed = None;
    while window_started.elapsed() < window {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if killed.is_none() && kill_now(window_started.elapsed().as_secs_f64()) {
            let victim = processes.len() - 1;
            publisher.node_died(victim);
            kill_pid(processes[victim].pid)?;
            eprintln!(
                "SIGKILL {} (pid {}) at {:.1} s",
                processes[victim].name,
                processes[victim].pid,
                window_started.elapsed().as_secs_f64()
            );
            killed = Some(victim);
        }
    }
    stop.store(true, Ordering::Relaxed);
    let until_us = now_us();
    let window_s = window_started.elapsed().as_secs_f64();
    // A killed node's time is counted up to its death: read what the survivors used.
    let server_cpu_end = cpu_of(&server_pids);
    let server_cpu_s: f64 = server_cpu_end
        .iter()
        .zip(&server_cpu_start)
        .filter_map(|(end, start)| Some((*end)? - (*start)?))
        .sum();
    let client_cpu_s = cpu_of(&worker_pids).iter().flatten().sum::<f64>() - client_cpu_start;
    let machine_busy = machine_busy_s()
        .zip(machine_start)
        .map(|(end, start)| end - start)
        .unwrap_or(0.0);
    for worker in &mut workers {
        send(worker, &format!("end {until_us}")).await?;
    }
    for handle in publishers {
        handle.abort();
    }
    tokio::time::sleep(DRAIN).await;
    let mut reports = Vec::with_capacity(workers.len());
    for worker in &mut workers {
        send(worker, "stop").await?;
    }
    for worker in &mut workers {
        let line = next_line(worker, "report").await?;
        reports.push(serde_json::from_str::<WorkerReport>(&line).context("read a worker report")?);
    }
    for worker in &mut workers {
        let _ = tokio::time::timeout(Duration::from_secs(10), worker.child.wait()).await;
    }
    if let Ok(first) = tally.first_failure.lock() {
        if let Some(first) = first.as_ref() {
            eprintln!("first publish failure: {first}");
        }
    }
    Ok(Measured {
        reports,
        rss_before_kb,
        rss_idle_kb,
        published: tally.measured.load(Ordering::Relaxed),
        publish_failures: tally.failed.load(Ordering::Relaxed),
        window_s,
        join_s,
        killed,
        client_rss_kb,
        server_cpu_s,
        client_cpu_s,
        machine_busy_s: machine_busy,
    })
}

/// Seconds all cores have spent busy since boot (everything but idle and iowait in
/// /proc/stat), to show how much of the machine others were using.
fn machine_busy_s() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?.strip_prefix("cpu ")?;
    let ticks: Vec<u64> = line
        .split_whitespace()
        .filter_map(|t| t.parse().ok())
        .collect();
    let total: u64 = ticks.iter().take(8).sum();
    let idle = ticks.get(3)? + ticks.get(4)?;
    Some((total - idle) as f64 / 100.0)
}

/// SIGKILL through the `kill` command (the crate forbids `unsafe`, so no libc call).
fn kill_pid(pid: u32) -> anyhow::Result<()> {
    let status = std::process::Command::new("kill")
        .arg("-KILL")
        .arg(pid.to_string())
        .status()
        .context("run kill")?;
    anyhow::ensure!(status.success(), "kill -KILL {pid} failed");
    Ok(())
}

fn start_workers(args: &FanoutArgs, dir: &Path, plan: &Plan) -> anyhow::Result<Vec<Worker>> {
    let count = args.workers();
    let per_worker = args.viewers.div_ceil(count as u64);
    let tokens_per_worker = plan.tokens.len().div_ceil(count);
    let mut workers = Vec::with_capacity(count);
    for number in 0..count {
        let first_viewer = per_worker * number as u64;
        let viewers = per_worker.min(args.viewers.saturating_sub(first_viewer));
        if viewers == 0 {
            break;
        }
        let tokens: Vec<String> = plan
            .tokens
            .iter()
            .skip(tokens_per_worker * number)
            .take(tokens_per_worker.min(usize::try_from(viewers).unwrap_or(usize::MAX)))
            .cloned()
            .collect();
        let spec = WorkerSpec {
            worker: number,
            protocol: plan.protocol,
            targets: plan.targets.clone(),
            rooms: plan.rooms.clone(),
            first_viewer,
            viewers,
            tokens,
            like_messages_per_s: if args.likes_per_s > 0 {
                args.like_messages_per_user()
            } else {
                0.0
            },
            likes_per_message: LIKES_PER_MESSAGE,
        };
        let path: PathBuf = dir.join(format!("worker-{number}.json"));
        std::fs::write(&path, serde_json::to_vec(&spec)?)
            .with_context(|| format!("write {}", path.display()))?;
        workers.push(cluster::start_worker(number, &path)?);
    }
    Ok(workers)
}

async fn send(worker: &mut Worker, command: &str) -> anyhow::Result<()> {
    worker
        .stdin
        .write_all(format!("{command}\n").as_bytes())
        .await
        .with_context(|| format!("tell worker {} to {command}", worker.number))?;
    worker.stdin.flush().await?;
    Ok(())
}

/// The next line of a worker that starts with `word`, without the word.
async fn next_line(worker: &mut Worker, word: &str) -> anyhow::Result<String> {
    let deadline = tokio::time::Instant::now() + WORKER_ANSWER_TIMEOUT;
    loop {
        let line = tokio::time::timeout_at(deadline, worker.lines.next_line())
            .await
            .with_context(|| format!("worker {} did not say {word} in time", worker.number))?
            .context("read a worker line")?
            .with_context(|| format!("worker {} ended before saying {word}", worker.number))?;
        if let Some(rest) = line.strip_prefix(word) {
            return Ok(rest.trim().to_owned());
        }
        eprintln!("worker {}: {line}", worker.number);
    }
}

fn decode(encoded: &str) -> anyhow::Result<Histogram<u64>> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .context("decode a histogram")?;
    hdrhistogram::serialization::Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(|e| anyhow::anyhow!("deserialise a histogram: {e:?}"))
}

fn ms(histogram: &Histogram<u64>, quantile: f64) -> f64 {
    if histogram.is_empty() {
        return 0.0;
    }
    round3(histogram.value_at_quantile(quantile) as f64 / 1000.0)
}

/// The JSON fields of one run.
fn summarise(
    args: &FanoutArgs,
    measured: &Measured,
    target: &str,
) -> anyhow::Result<Map<String, Value>> {
    let mut all = worker::latency_histogram()?;
    let mut steady = worker::latency_histogram()?;
    let mut decode_errors = 0;
    for report in &measured.reports {
        for (encoded, merged) in [
            (&report.latency_all, &mut all),
            (&report.latency_steady, &mut steady),
        ] {
            match decode(encoded) {
                Ok(h) => {
                    if merged.add(&h).is_err() {
                        decode_errors += 1;
                    }
                }
                Err(_) => decode_errors += 1,
            }
        }
    }
    let sum = |f: fn(&WorkerReport) -> u64| measured.reports.iter().map(f).sum::<u64>();
    let joined = sum(|r| r.joined);
    let notices = sum(|r| r.notices);
    let frames = sum(|r| r.frames);
    let window = measured.window_s.max(0.001);
    let rss_before: u64 = measured.rss_before_kb.iter().sum();
    let rss_idle: u64 = measured.rss_idle_kb.iter().sum();
    let per_viewer = if joined > 0 {
        round3(rss_idle.saturating_sub(rss_before) as f64 / joined as f64)
    } else {
        0.0
    };
    // Every joined viewer should receive every notice of its room published in the window.
    let expected = measured.published as f64 / args.rooms as f64 * joined as f64;
    let counters_frames = sum(|r| r.counters_frames);
    let counters_max = measured
        .reports
        .iter()
        .map(|r| r.counters_frames_max)
        .max()
        .unwrap_or(0);
    let p99 = ms(&all, 0.99);
    let target_p99 = if args.nodes > 1 {
        TARGET_P99_CLUSTER_MS
    } else {
        TARGET_P99_ONE_NODE_MS
    };
    let gaps = sum(|r| r.gaps) + sum(|r| r.unrecovered);
    let mut out = Map::new();
    out.insert("bench".into(), json!("fanout"));
    out.insert("target".into(), json!(target));
    out.insert("viewers".into(), json!(args.viewers));
    out.insert("joined".into(), json!(joined));
    out.insert("join_failed".into(), json!(sum(|r| r.failed)));
    out.insert("nodes".into(), json!(args.nodes));
    out.insert("rooms".into(), json!(args.rooms));
    out.insert("rate_per_s".into(), json!(args.rate));
    out.insert("duration_s".into(), json!(round3(window)));
    out.insert("workers".into(), json!(measured.reports.len()));
    out.insert("join_s".into(), json!(round3(measured.join_s)));
    out.insert("notices_published".into(), json!(measured.published));
    out.insert("publish_failures".into(), json!(measured.publish_failures));
    out.insert("deliveries_expected".into(), json!(expected.round() as u64));
    out.insert("deliveries".into(), json!(notices));
    out.insert("frames_per_s".into(), json!(round3(frames as f64 / window)));
    out.insert("p50_ms".into(), json!(ms(&all, 0.50)));
    out.insert("p99_ms".into(), json!(p99));
    out.insert("p999_ms".into(), json!(ms(&all, 0.999)));
    out.insert("max_ms".into(), json!(round3(all.max() as f64 / 1000.0)));
    out.insert("p99_ms_never_disconnected".into(), json!(ms(&steady, 0.99)));
    out.insert("gaps".into(), json!(gaps));
    out.insert("gap_places".into(), json!(sum(|r| r.gap_events)));
    out.insert("duplicates".into(), json!(sum(|r| r.duplicates)));
    out.insert("skipped".into(), json!(sum(|r| r.skipped)));
    out.insert("killed_node".into(), json!(measured.killed));
    out.insert("disconnected".into(), json!(sum(|r| r.closed_by_server)));
    out.insert("reconnected".into(), json!(sum(|r| r.reconnected)));
    // Viewers still retrying when the run ended: neither rejoined nor given up.
    out.insert(
        "not_rejoined".into(),
        json!(sum(|r| r.closed_by_server).saturating_sub(sum(|r| r.reconnected) + sum(|r| r.lost))),
    );
    out.insert("resumed".into(), json!(sum(|r| r.resumed)));
    out.insert("unrecovered".into(), json!(sum(|r| r.unrecovered)));
    out.insert(
        "unrecovered_behind".into(),
        json!(sum(|r| r.unrecovered_behind)),
    );
    out.insert("lost_viewers".into(), json!(sum(|r| r.lost)));
    out.insert("error_frames".into(), json!(sum(|r| r.error_frames)));
    out.insert("server_rss_kb_before".into(), json!(measured.rss_before_kb));
    out.insert("server_rss_kb_idle".into(), json!(measured.rss_idle_kb));
    out.insert("server_rss_kb_per_viewer".into(), json!(per_viewer));
    out.insert("client_rss_kb".into(), json!(measured.client_rss_kb));
    // Cores' worth of CPU used during the window: the machine has two, shared with others.
    out.insert(
        "server_cores".into(),
        json!(round3(measured.server_cpu_s / window)),
    );
    out.insert(
        "client_cores".into(),
        json!(round3(measured.client_cpu_s / window)),
    );
    out.insert(
        "machine_busy_cores".into(),
        json!(round3(measured.machine_busy_s / window)),
    );
    if args.likes_per_s > 0 && target == "daihuo" {
        let like_messages = sum(|r| r.like_messages);
        out.insert(
            "likes_sent_per_s".into(),
            json!(round3(
                like_messages as f64 * f64::from(LIKES_PER_MESSAGE) / window
            )),
        );
        out.insert("like_accounts".into(), json!(args.like_accounts));
        out.insert(
            "counters_per_s_per_viewer".into(),
            json!(round3(
                counters_frames as f64 / joined.max(1) as f64 / window
            )),
        );
        out.insert(
            "counters_per_s_per_viewer_max".into(),
            json!(round3(counters_max as f64 / window)),
        );
        out.insert(
            "counters_max_in_one_second".into(),
            json!(measured
                .reports
                .iter()
                .map(|r| r.counters_in_one_second_max)
                .max()
                .unwrap_or(0)),
        );
        out.insert(
            "like_updates_per_s_per_viewer".into(),
            json!(round3(
                sum(|r| r.like_updates) as f64 / joined.max(1) as f64 / window
            )),
        );
        out.insert(
            "target_counter_updates_per_s".into(),
            json!(TARGET_COUNTER_UPDATES_PER_S),
        );
    }
    out.insert("target_p99_ms".into(), json!(target_p99));
    out.insert(
        "target_rss_kb_per_viewer".into(),
        json!(TARGET_RSS_KB_PER_VIEWER),
    );
    if decode_errors > 0 {
        out.insert("histogram_errors".into(), json!(decode_errors));
    }
    let first_error = measured.reports.iter().find_map(|r| r.first_error.clone());
    if let Some(first_error) = first_error {
        eprintln!("first viewer error ({target}): {first_error}");
        out.insert("first_error".into(), json!(first_error));
    }
    Ok(out)
}
