//! The load worker: a re-executed `daihuo bench fanout-worker` process holding a share of the
//! viewers. It opens its connections from its own 127.0.0.x source addresses, checks every
//! frame's `(epoch, offset)` for gaps, records publish→receive latency of measured notices, and
//! on `stop` prints one report line with its histograms.
//!
//! It talks to its coordinator over stdin and stdout, one line each way per step:
//! stdout `ready {…}` once every viewer has joined (or given up), stdin `go <from_us>` to start
//! measuring notices stamped at or after `from_us` (and to start sending likes), stdin
//! `end <until_us>` to close the measured window (notices stamped later are not measured,
//! likes stop), stdin `stop` to end, answered by stdout `report {…}`.

use super::frames::{FrameCheck, ViewerSequence};
use super::{LATENCY_MAX_US, SOURCE_IP_VIEWERS};
use anyhow::Context;
use base64::Engine;
use clap::Args;
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::serialization::{Serializer, V2Serializer};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Bytes, Message};
use tokio_tungstenite::WebSocketStream;

/// Handshakes one worker runs at once: enough to join thousands of viewers a second, few
/// enough that the server's listen backlog (1,024) never overflows into SYN retries.
const CONNECT_CONCURRENCY: usize = 128;
/// A connection attempt (TCP, upgrade and first frame) that takes longer than this failed.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// Attempts a viewer makes to join or to rejoin after losing its node.
const CONNECT_ATTEMPTS: u32 = 12;
/// The first pause between two attempts; it doubles up to [`RETRY_PAUSE_MAX`].
const RETRY_PAUSE_FIRST: Duration = Duration::from_millis(100);
/// The longest pause between two attempts.
const RETRY_PAUSE_MAX: Duration = Duration::from_secs(2);
/// How long a worker waits for all its viewers to join before it reports ready anyway.
const JOIN_DEADLINE: Duration = Duration::from_secs(300);
/// A viewer pings this often: the server closes connections silent for 120 s.
const KEEPALIVE: Duration = Duration::from_secs(45);
/// Read buffer of each client socket: frames are a few hundred bytes (the snapshot a few
/// kilobytes), and 100k viewers with tungstenite's default 128 KiB would need 12 GiB.
const READ_BUFFER_BYTES: usize = 4 * 1024;
/// The largest frame a viewer accepts: a snapshot with a full shelf fits easily.
const MESSAGE_MAX_BYTES: usize = 1024 * 1024;
/// Bytes a NATS-over-WebSocket viewer buffers while a protocol line is incomplete.
const NATS_BUFFER_MAX_BYTES: usize = 1024 * 1024;
/// Significant figures of the latency histograms.
const HISTOGRAM_SIGFIGS: u8 = 3;

/// Arguments of the hidden `daihuo bench fanout-worker`.
#[derive(Args, Debug, Clone)]
pub struct WorkerArgs {
    /// The worker's specification, a JSON file the coordinator wrote.
    #[arg(long)]
    pub spec: PathBuf,
}

/// Which server the viewers talk to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    /// `daihuo serve`'s room WebSocket.
    Daihuo,
    /// nats-server's WebSocket listener, spoken in the NATS text protocol.
    NatsWebsocket,
}

/// What one worker does, written by the coordinator.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkerSpec {
    /// The worker's number, for its messages.
    pub worker: usize,
    /// Daihuo rooms or nats-server.
    pub protocol: Protocol,
    /// `host:port` of every node; a viewer starts on its own and moves to the next on loss.
    pub targets: Vec<SocketAddr>,
    /// Session ids (daihuo) or room numbers (the peer's subjects `room.<n>`).
    pub rooms: Vec<u64>,
    /// The first viewer's global index.
    pub first_viewer: u64,
    /// Viewers in this worker.
    pub viewers: u64,
    /// Session tokens of signed-in viewers: the worker's first `tokens.len()` viewers use
    /// them, and they are the ones that send likes.
    pub tokens: Vec<String>,
    /// Like messages each signed-in viewer sends per second once measuring starts (0: none).
    pub like_messages_per_s: f64,
    /// Likes in each message.
    pub likes_per_message: u32,
}

impl WorkerSpec {
    /// The room and the first node of viewer `index` (global): rooms and nodes rotate
    /// independently, so every room has viewers on every node.
    pub fn placement(&self, index: u64) -> (u64, usize) {
        let rooms = self.rooms.len().max(1) as u64;
        let room = self.rooms[usize::try_from(index % rooms).unwrap_or(0)];
        let nodes = self.targets.len().max(1) as u64;
        let node = usize::try_from((index / rooms) % nodes).unwrap_or(0);
        (room, node)
    }
}

/// The 127.0.0.x address viewer `index` connects from: [`SOURCE_IP_VIEWERS`] per address,
/// so no address runs out of its ~28,000 ephemeral ports.
pub fn source_ip(index: u64) -> Ipv4Addr {
    // The coordinator bounds viewers far below 250 addresses' worth.
    let host = 2 + index / SOURCE_IP_VIEWERS;
    Ipv4Addr::new(127, 0, 0, u8::try_from(host).unwrap_or(254))
}

/// Counts every viewer of the worker adds to.
#[derive(Default)]
struct Tally {
    /// Viewers that joined (first snapshot or subscription confirmed).
    joined: AtomicU64,
    /// Viewers that gave up joining.
    failed: AtomicU64,
    /// Viewers that lost their connection and gave up rejoining.
    lost: AtomicU64,
    /// Frames received while measuring.
    frames: AtomicU64,
    /// Measured notices received.
    notices: AtomicU64,
    /// Counters frames received while measuring.
    counters_frames: AtomicU64,
    /// Counters frames whose like total differed from the viewer's previous one.
    like_updates: AtomicU64,
    /// The most counters frames one viewer received while measuring.
    counters_frames_max: AtomicU64,
    /// The most counters frames one viewer received within one calendar second.
    counters_in_one_second_max: AtomicU64,
    /// Offsets missing without a `skipped` frame covering them.
    gaps: AtomicU64,
    /// Places where offsets were missing.
    gap_events: AtomicU64,
    /// Events received twice.
    duplicates: AtomicU64,
    /// Offsets covered by `skipped` frames.
    skipped: AtomicU64,
    /// Viewers that rejoined another node after losing theirs.
    reconnected: AtomicU64,
    /// Rejoins answered with `resumed`.
    resumed: AtomicU64,
    /// Rejoins answered with a snapshot marked `recovered: false`.
    unrecovered: AtomicU64,
    /// Of those, snapshots older than the viewer's last offset.
    unrecovered_behind: AtomicU64,
    /// Error frames received.
    error_frames: AtomicU64,
    /// Like messages sent.
    like_messages: AtomicU64,
    /// Connections the server closed (close frame or end of stream).
    closed_by_server: AtomicU64,
}

/// What every viewer task shares.
struct Shared {
    /// The spec.
    spec: WorkerSpec,
    /// Notices stamped at or after this (Unix µs) are measured; 0 before `go`.
    measure_from_us: AtomicU64,
    /// Notices stamped after this (Unix µs) are not measured, and frames and likes are only
    /// counted before it; `u64::MAX` until `end`.
    measure_until_us: AtomicU64,
    /// Set by `stop`: viewers stop counting.
    stopped: AtomicBool,
    /// The counts.
    tally: Tally,
    /// Latency of every measured notice, µs.
    latency_all: Mutex<Histogram<u64>>,
    /// Latency of measured notices received on a viewer's first connection, µs.
    latency_steady: Mutex<Histogram<u64>>,
    /// Limits handshakes in flight.
    connecting: Semaphore,
    /// The first error message seen, for the coordinator's log.
    first_error: Mutex<Option<String>>,
}

impl Shared {
    /// Whether now is inside the measured window.
    fn measuring(&self) -> bool {
        let from = self.measure_from_us.load(Ordering::Relaxed);
        from != 0 && now_us() < self.measure_until_us.load(Ordering::Relaxed)
    }

    /// Whether a notice stamped `sent_at_us` is measured.
    fn measured_notice(&self, sent_at_us: u64) -> bool {
        let from = self.measure_from_us.load(Ordering::Relaxed);
        from != 0
            && sent_at_us >= from
            && sent_at_us <= self.measure_until_us.load(Ordering::Relaxed)
            && !self.stopped.load(Ordering::Relaxed)
    }

    fn note_error(&self, message: String) {
        if let Ok(mut first) = self.first_error.lock() {
            if first.is_none() {
                *first = Some(message);
            }
        }
    }
}

/// One worker's report, as its `report` line carries it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct WorkerReport {
    /// The worker's number.
    pub worker: usize,
    /// Viewers that joined.
    pub joined: u64,
    /// Viewers that never joined.
    pub failed: u64,
    /// Viewers lost for good after a disconnect.
    pub lost: u64,
    /// Frames received while measuring.
    pub frames: u64,
    /// Measured notices received.
    pub notices: u64,
    /// Counters frames received while measuring.
    pub counters_frames: u64,
    /// Counters frames that changed the like total.
    pub like_updates: u64,
    /// The most counters frames one viewer received while measuring.
    pub counters_frames_max: u64,
    /// The most counters frames one viewer received within one calendar second.
    pub counters_in_one_second_max: u64,
    /// Missing offsets.
    pub gaps: u64,
    /// Places with missing offsets.
    pub gap_events: u64,
    /// Events received twice.
    pub duplicates: u64,
    /// Offsets deliberately skipped by the server.
    pub skipped: u64,
    /// Viewers that rejoined elsewhere.
    pub reconnected: u64,
    /// Rejoins resumed from the ring.
    pub resumed: u64,
    /// Rejoins that got a fresh snapshot instead.
    pub unrecovered: u64,
    /// Of those, snapshots older than the viewer's last offset (the new node lagged).
    pub unrecovered_behind: u64,
    /// Error frames.
    pub error_frames: u64,
    /// Like messages sent.
    pub like_messages: u64,
    /// Connections the server closed.
    pub closed_by_server: u64,
    /// All measured latencies, µs, as a V2 hdrhistogram in base64.
    pub latency_all: String,
    /// Latencies on first connections only.
    pub latency_steady: String,
    /// The first error seen.
    pub first_error: Option<String>,
}

/// An empty latency histogram of the range the bench records.
pub fn latency_histogram() -> anyhow::Result<Histogram<u64>> {
    Histogram::new_with_bounds(1, LATENCY_MAX_US, HISTOGRAM_SIGFIGS).context("make a histogram")
}

fn encode(histogram: &Histogram<u64>) -> anyhow::Result<String> {
    let mut bytes = Vec::new();
    V2Serializer::new()
        .serialize(histogram, &mut bytes)
        .map_err(|e| anyhow::anyhow!("serialise a histogram: {e:?}"))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// Runs the worker until `stop` or the end of stdin.
pub async fn run(args: WorkerArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.spec)
        .with_context(|| format!("read {}", args.spec.display()))?;
    let spec: WorkerSpec = serde_json::from_str(&text).context("parse the worker spec")?;
    anyhow::ensure!(
        !spec.targets.is_empty(),
        "a worker needs at least one target"
    );
    anyhow::ensure!(!spec.rooms.is_empty(), "a worker needs at least one room");
    let shared = Arc::new(Shared {
        spec,
        measure_from_us: AtomicU64::new(0),
        measure_until_us: AtomicU64::new(u64::MAX),
        stopped: AtomicBool::new(false),
        tally: Tally::default(),
        latency_all: Mutex::new(latency_histogram()?),
        latency_steady: Mutex::new(latency_histogram()?),
        connecting: Semaphore::new(CONNECT_CONCURRENCY),
        first_error: Mutex::new(None),
    });
    for local in 0..shared.spec.viewers {
        let shared = shared.clone();
        tokio::spawn(async move {
            viewer(shared, local).await;
        });
    }
    let total = shared.spec.viewers;
    let deadline = tokio::time::Instant::now() + JOIN_DEADLINE;
    loop {
        let settled = shared.tally.joined.load(Ordering::Relaxed)
            + shared.tally.failed.load(Ordering::Relaxed);
        if settled >= total || tokio::time::Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "ready {}",
        serde_json::json!({
            "worker": shared.spec.worker,
            "joined": shared.tally.joined.load(Ordering::Relaxed),
            "failed": shared.tally.failed.load(Ordering::Relaxed),
            "first_error": shared.first_error.lock().ok().and_then(|e| e.clone()),
        })
    );
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await.context("read a command")? {
        let mut words = line.split_whitespace();
        match words.next() {
            Some("go") => {
                let from_us = words
                    .next()
                    .and_then(|w| w.parse::<u64>().ok())
                    .context("go needs a time in µs")?;
                shared
                    .measure_from_us
                    .store(from_us.max(1), Ordering::Relaxed);
            }
            Some("end") => {
                let until_us = words
                    .next()
                    .and_then(|w| w.parse::<u64>().ok())
                    .context("end needs a time in µs")?;
                shared.measure_until_us.store(until_us, Ordering::Relaxed);
            }
            Some("stop") => break,
            _ => anyhow::bail!("unknown command {line:?}"),
        }
    }
    shared.stopped.store(true, Ordering::Relaxed);
    let report = report(&shared)?;
    println!("report {}", serde_json::to_string(&report)?);
    Ok(())
}

fn report(shared: &Shared) -> anyhow::Result<WorkerReport> {
    let t = &shared.tally;
    let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
    let all = shared
        .latency_all
        .lock()
        .map_err(|_| anyhow::anyhow!("histogram lock poisoned"))?;
    let steady = shared
        .latency_steady
        .lock()
        .map_err(|_| anyhow::anyhow!("histogram lock poisoned"))?;
    Ok(WorkerReport {
        worker: shared.spec.worker,
        joined: load(&t.joined),
        failed: load(&t.failed),
        lost: load(&t.lost),
        frames: load(&t.frames),
        notices: load(&t.notices),
        counters_frames: load(&t.counters_frames),
        like_updates: load(&t.like_updates),
        counters_frames_max: load(&t.counters_frames_max),
        counters_in_one_second_max: load(&t.counters_in_one_second_max),
        gaps: load(&t.gaps),
        gap_events: load(&t.gap_events),
        duplicates: load(&t.duplicates),
        skipped: load(&t.skipped),
        reconnected: load(&t.reconnected),
        resumed: load(&t.resumed),
        unrecovered: load(&t.unrecovered),
        unrecovered_behind: load(&t.unrecovered_behind),
        error_frames: load(&t.error_frames),
        like_messages: load(&t.like_messages),
        closed_by_server: load(&t.closed_by_server),
        latency_all: encode(&all)?,
        latency_steady: encode(&steady)?,
        first_error: shared.first_error.lock().ok().and_then(|e| e.clone()),
    })
}

/// Unix time in microseconds.
pub fn now_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// What one viewer keeps between frames.
struct ViewerState {
    /// Where the viewer is in its room's sequence.
    sequence: ViewerSequence,
    /// Whether the viewer has lost a connection and rejoined.
    rejoined: bool,
    /// Counters frames received while measuring.
    counters_frames: u64,
    /// The like total last seen.
    likes: Option<u64>,
    /// The Unix second of the last counters frame.
    second: u64,
    /// Counters frames received in that second.
    in_second: u64,
}

/// Why a connection ended.
enum Ended {
    /// The worker is stopping.
    Stopped,
    /// The server closed or the connection broke: rejoin elsewhere.
    Lost,
}

/// One viewer: join, read until the connection ends, rejoin elsewhere with the last position.
async fn viewer(shared: Arc<Shared>, local: u64) {
    let index = shared.spec.first_viewer + local;
    let (room, first_node) = shared.spec.placement(index);
    let token = usize::try_from(local)
        .ok()
        .and_then(|i| shared.spec.tokens.get(i))
        .cloned();
    let source = source_ip(index);
    let mut state = ViewerState {
        sequence: ViewerSequence::default(),
        rejoined: false,
        counters_frames: 0,
        likes: None,
        second: 0,
        in_second: 0,
    };
    let mut node = first_node;
    let mut ever_joined = false;
    loop {
        let connected = connect_with_retries(
            &shared,
            &mut node,
            source,
            room,
            index,
            token.as_deref(),
            &state,
        )
        .await;
        let Some(connection) = connected else {
            if ever_joined {
                shared.tally.lost.fetch_add(1, Ordering::Relaxed);
            } else {
                shared.tally.failed.fetch_add(1, Ordering::Relaxed);
            }
            break;
        };
        let ended = match connection {
            Connection::Daihuo(socket) => {
                daihuo_session(
                    &shared,
                    socket,
                    &mut state,
                    &mut ever_joined,
                    token.is_some(),
                )
                .await
            }
            Connection::Nats(socket) => {
                nats_session(&shared, socket, &mut state, &mut ever_joined, room).await
            }
        };
        match ended {
            Ended::Stopped => break,
            Ended::Lost => {
                if shared.stopped.load(Ordering::Relaxed) {
                    break;
                }
                if !ever_joined {
                    shared.tally.failed.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                shared
                    .tally
                    .closed_by_server
                    .fetch_add(1, Ordering::Relaxed);
                if shared.spec.protocol == Protocol::NatsWebsocket {
                    // Core NATS has no resume: a lost peer viewer is lost.
                    shared.tally.lost.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                state.rejoined = true;
                // Spread a lost node's viewers over all the others, not onto its neighbour.
                let nodes = shared.spec.targets.len();
                let others = u64::try_from(nodes.saturating_sub(1).max(1)).unwrap_or(1);
                let step = 1 + usize::try_from(index % others).unwrap_or(0);
                node = (node + step) % nodes;
            }
        }
    }
}

type Socket = WebSocketStream<TcpStream>;

/// An open viewer connection.
enum Connection {
    /// To a daihuo room.
    Daihuo(Socket),
    /// To nats-server's WebSocket listener.
    Nats(Socket),
}

/// Tries the viewer's node, then the next ones, with growing pauses.
async fn connect_with_retries(
    shared: &Shared,
    node: &mut usize,
    source: Ipv4Addr,
    room: u64,
    index: u64,
    token: Option<&str>,
    state: &ViewerState,
) -> Option<Connection> {
    let mut pause = RETRY_PAUSE_FIRST;
    for attempt in 0..CONNECT_ATTEMPTS {
        if shared.stopped.load(Ordering::Relaxed) {
            return None;
        }
        let target = shared.spec.targets[*node];
        let attempt_result = {
            let _permit = shared.connecting.acquire().await.ok()?;
            tokio::time::timeout(
                CONNECT_TIMEOUT,
                connect(
                    shared.spec.protocol,
                    target,
                    source,
                    room,
                    index,
                    token,
                    state,
                ),
            )
            .await
        };
        match attempt_result {
            Ok(Ok(connection)) => return Some(connection),
            Ok(Err(error)) => shared.note_error(format!("connect to {target}: {error:#}")),
            Err(_) => shared.note_error(format!("connect to {target}: timed out")),
        }
        if state.rejoined || attempt % 3 == 2 {
            // A viewer that lost its node, or failed thrice on one, tries the next node.
            *node = (*node + 1) % shared.spec.targets.len();
        }
        // Spread retries so a crowd that lost one node does not return in lockstep.
        let jitter = Duration::from_millis(index % 97);
        tokio::time::sleep(pause + jitter).await;
        pause = (pause * 2).min(RETRY_PAUSE_MAX);
    }
    None
}

fn socket_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(0)
        .max_write_buffer_size(64 * 1024)
        .max_message_size(Some(MESSAGE_MAX_BYTES))
        .max_frame_size(Some(MESSAGE_MAX_BYTES))
}

async fn connect(
    protocol: Protocol,
    target: SocketAddr,
    source: Ipv4Addr,
    room: u64,
    index: u64,
    token: Option<&str>,
    state: &ViewerState,
) -> anyhow::Result<Connection> {
    let socket = TcpSocket::new_v4().context("make a socket")?;
    socket
        .bind(SocketAddr::new(source.into(), 0))
        .with_context(|| format!("bind {source}"))?;
    let stream = socket.connect(target).await.context("connect")?;
    stream.set_nodelay(true).context("set TCP_NODELAY")?;
    match protocol {
        Protocol::Daihuo => {
            let mut url = format!(
                "ws://{target}/api/live-sessions/{room}/room?visitor=bench-viewer-{index:08}"
            );
            if let Some(position) = state.sequence.position() {
                url.push_str(&format!("&epoch={}&offset={}", position.0, position.1));
            }
            let mut request = url.into_client_request().context("build the request")?;
            if let Some(token) = token {
                request.headers_mut().insert(
                    "authorization",
                    format!("Bearer {token}").parse().context("token header")?,
                );
            }
            let (socket, _) =
                tokio_tungstenite::client_async_with_config(request, stream, Some(socket_config()))
                    .await
                    .context("upgrade to WebSocket")?;
            Ok(Connection::Daihuo(socket))
        }
        Protocol::NatsWebsocket => {
            let request = format!("ws://{target}/")
                .into_client_request()
                .context("build the request")?;
            let (mut socket, _) =
                tokio_tungstenite::client_async_with_config(request, stream, Some(socket_config()))
                    .await
                    .context("upgrade to WebSocket")?;
            let hello = format!(
                "CONNECT {{\"verbose\":false,\"pedantic\":false,\"protocol\":1,\"echo\":false,\"name\":\"v{index}\"}}\r\nSUB room.{room} 1\r\nPING\r\n"
            );
            socket
                .send(Message::Binary(hello.into_bytes().into()))
                .await
                .context("subscribe")?;
            Ok(Connection::Nats(socket))
        }
    }
}

/// Records what a frame check found.
fn apply(shared: &Shared, state: &mut ViewerState, check: FrameCheck, measuring: bool) {
    let t = &shared.tally;
    if measuring {
        t.frames.fetch_add(1, Ordering::Relaxed);
    }
    match check {
        FrameCheck::Joined | FrameCheck::Ignored => {}
        FrameCheck::Resumed { missing } => {
            t.resumed.fetch_add(1, Ordering::Relaxed);
            if missing > 0 {
                t.gaps.fetch_add(missing, Ordering::Relaxed);
                t.gap_events.fetch_add(1, Ordering::Relaxed);
            }
        }
        FrameCheck::Unrecovered { behind } => {
            t.unrecovered.fetch_add(1, Ordering::Relaxed);
            if behind {
                t.unrecovered_behind.fetch_add(1, Ordering::Relaxed);
            }
            t.gap_events.fetch_add(1, Ordering::Relaxed);
        }
        FrameCheck::Event {
            missing,
            duplicate,
            sent_at_us,
        } => {
            if missing > 0 {
                t.gaps.fetch_add(missing, Ordering::Relaxed);
                t.gap_events.fetch_add(1, Ordering::Relaxed);
            }
            if duplicate {
                t.duplicates.fetch_add(1, Ordering::Relaxed);
            }
            if let Some(sent_at_us) = sent_at_us {
                if shared.measured_notice(sent_at_us) {
                    let latency = now_us().saturating_sub(sent_at_us).clamp(1, LATENCY_MAX_US);
                    t.notices.fetch_add(1, Ordering::Relaxed);
                    if let Ok(mut h) = shared.latency_all.lock() {
                        h.saturating_record(latency);
                    }
                    if !state.rejoined {
                        if let Ok(mut h) = shared.latency_steady.lock() {
                            h.saturating_record(latency);
                        }
                    }
                }
            }
        }
        FrameCheck::Skipped { covered, missing } => {
            t.skipped.fetch_add(covered, Ordering::Relaxed);
            if missing > 0 {
                t.gaps.fetch_add(missing, Ordering::Relaxed);
                t.gap_events.fetch_add(1, Ordering::Relaxed);
            }
        }
        FrameCheck::Counters { likes } => {
            if measuring {
                t.counters_frames.fetch_add(1, Ordering::Relaxed);
                state.counters_frames += 1;
                t.counters_frames_max
                    .fetch_max(state.counters_frames, Ordering::Relaxed);
                let second = now_us() / 1_000_000;
                if second != state.second {
                    state.second = second;
                    state.in_second = 0;
                }
                state.in_second += 1;
                t.counters_in_one_second_max
                    .fetch_max(state.in_second, Ordering::Relaxed);
                if state.likes.is_some_and(|previous| previous != likes) {
                    t.like_updates.fetch_add(1, Ordering::Relaxed);
                }
            }
            state.likes = Some(likes);
        }
        FrameCheck::Error { message } => {
            t.error_frames.fetch_add(1, Ordering::Relaxed);
            shared.note_error(format!("error frame: {message}"));
        }
        FrameCheck::Malformed { message } => {
            t.error_frames.fetch_add(1, Ordering::Relaxed);
            shared.note_error(format!("malformed frame: {message}"));
        }
    }
}

/// Reads a daihuo room connection until it ends; signed-in viewers send likes while measuring.
async fn daihuo_session(
    shared: &Shared,
    mut socket: Socket,
    state: &mut ViewerState,
    ever_joined: &mut bool,
    likes: bool,
) -> Ended {
    let keepalive_offset = Duration::from_millis(shared.spec.first_viewer % 10_000);
    let mut keepalive = tokio::time::interval_at(
        tokio::time::Instant::now() + KEEPALIVE + keepalive_offset,
        KEEPALIVE,
    );
    let like_period = if likes && shared.spec.like_messages_per_s > 0.0 {
        Duration::from_secs_f64(1.0 / shared.spec.like_messages_per_s)
    } else {
        Duration::from_secs(3600)
    };
    let mut like_tick = tokio::time::interval(like_period);
    like_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let like_message = format!(
        "{{\"type\":\"like\",\"count\":{}}}",
        shared.spec.likes_per_message
    );
    let mut joined_here = false;
    loop {
        tokio::select! {
            message = socket.next() => {
                let text = match message {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Binary(_) | Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                    Some(Ok(Message::Close(_)) | Err(_)) | None => {
                        return if shared.stopped.load(Ordering::Relaxed) { Ended::Stopped } else { Ended::Lost };
                    }
                };
                if shared.stopped.load(Ordering::Relaxed) {
                    return Ended::Stopped;
                }
                let check = state.sequence.check(text.as_bytes());
                if !joined_here {
                    joined_here = true;
                    if !*ever_joined {
                        *ever_joined = true;
                        shared.tally.joined.fetch_add(1, Ordering::Relaxed);
                    } else {
                        shared.tally.reconnected.fetch_add(1, Ordering::Relaxed);
                    }
                }
                apply(shared, state, check, shared.measuring());
            }
            _ = keepalive.tick() => {
                if socket.send(Message::Text("{\"type\":\"ping\"}".into())).await.is_err() {
                    return Ended::Lost;
                }
            }
            _ = like_tick.tick(), if likes && joined_here => {
                if shared.measuring() {
                    if socket.send(Message::Text(like_message.as_str().into())).await.is_err() {
                        return Ended::Lost;
                    }
                    shared.tally.like_messages.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
}

/// Reads nats-server's WebSocket: NATS protocol lines split or joined across messages.
async fn nats_session(
    shared: &Shared,
    mut socket: Socket,
    state: &mut ViewerState,
    ever_joined: &mut bool,
    room: u64,
) -> Ended {
    let _ = room;
    let mut buffer: Vec<u8> = Vec::new();
    loop {
        let message = socket.next().await;
        let bytes = match message {
            Some(Ok(Message::Binary(bytes))) => bytes,
            Some(Ok(Message::Text(text))) => Bytes::copy_from_slice(text.as_bytes()),
            Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
            Some(Ok(Message::Close(_)) | Err(_)) | None => {
                return if shared.stopped.load(Ordering::Relaxed) {
                    Ended::Stopped
                } else {
                    Ended::Lost
                };
            }
        };
        if shared.stopped.load(Ordering::Relaxed) {
            return Ended::Stopped;
        }
        buffer.extend_from_slice(&bytes);
        if buffer.len() > NATS_BUFFER_MAX_BYTES {
            shared.note_error("nats: protocol buffer overflow".into());
            return Ended::Lost;
        }
        let mut consumed = 0;
        loop {
            let rest = &buffer[consumed..];
            let Some(line_end) = rest.windows(2).position(|w| w == b"\r\n") else {
                break;
            };
            let line = &rest[..line_end];
            if line.starts_with(b"MSG ") {
                let size = std::str::from_utf8(line)
                    .ok()
                    .and_then(|l| l.rsplit(' ').next())
                    .and_then(|s| s.parse::<usize>().ok());
                let Some(size) = size else {
                    shared.note_error("nats: bad MSG line".into());
                    return Ended::Lost;
                };
                let payload_start = line_end + 2;
                if rest.len() < payload_start + size + 2 {
                    break;
                }
                let payload = &rest[payload_start..payload_start + size];
                let check = state.sequence.check(payload);
                apply(shared, state, check, shared.measuring());
                consumed += payload_start + size + 2;
                continue;
            }
            if line == b"PING" {
                if socket
                    .send(Message::Binary(Bytes::from_static(b"PONG\r\n")))
                    .await
                    .is_err()
                {
                    return Ended::Lost;
                }
            } else if line == b"PONG" {
                if !*ever_joined {
                    *ever_joined = true;
                    // The peer's sequence starts with the publisher's first offset, 1.
                    state.sequence.start(1, 0);
                    shared.tally.joined.fetch_add(1, Ordering::Relaxed);
                }
            } else if line.starts_with(b"-ERR") {
                shared.tally.error_frames.fetch_add(1, Ordering::Relaxed);
                shared.note_error(format!("nats: {}", String::from_utf8_lossy(line)));
            }
            consumed += line_end + 2;
        }
        buffer.drain(..consumed);
        if buffer.capacity() > READ_BUFFER_BYTES && buffer.is_empty() {
            buffer.shrink_to(READ_BUFFER_BYTES);
        }
    }
}
