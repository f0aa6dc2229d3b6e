//! The processes a fan-out run starts: `daihuo serve` nodes (this same binary), private
//! nats-servers, and the load workers. Every child is killed when its handle drops, so an
//! early error leaves no process behind.

use anyhow::Context;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

/// How long a started server may take to answer.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// The nats-server binary of the project machines.
pub const NATS_SERVER: &str = "/usr/sbin/nats-server";

/// A free loopback port (bound and released: a small race the bench accepts).
pub fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("find a free port")?;
    Ok(listener.local_addr()?.port())
}

/// A child process that is killed when dropped.
pub struct Process {
    /// What it is, for messages.
    pub name: String,
    /// The running child.
    child: Child,
    /// Its process id.
    pub pid: u32,
}

impl Process {
    fn spawn(name: String, mut command: Command, log: &Path) -> anyhow::Result<Process> {
        let log_file =
            std::fs::File::create(log).with_context(|| format!("create {}", log.display()))?;
        let log_err = log_file.try_clone()?;
        command
            .stdin(Stdio::null())
            .stdout(Stdio::from(log_file))
            .stderr(Stdio::from(log_err))
            .kill_on_drop(true);
        let child = command.spawn().with_context(|| format!("start {name}"))?;
        let pid = child.id().context("a started child has a pid")?;
        Ok(Process { name, child, pid })
    }

    /// Sends SIGKILL and reaps the process.
    pub async fn kill(&mut self) -> anyhow::Result<()> {
        self.child.start_kill().ok();
        self.child
            .wait()
            .await
            .with_context(|| format!("reap {}", self.name))?;
        Ok(())
    }

    /// Asks the process to stop (SIGTERM through `kill`), then kills it if it lingers.
    pub async fn stop(&mut self) {
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(self.pid.to_string())
            .status();
        if tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.kill().await;
        }
    }

    /// Whether it is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Resident memory now, KiB (VmRSS from /proc).
    pub fn rss_kb(&self) -> anyhow::Result<u64> {
        rss_kb(self.pid)
    }
}

/// VmRSS of a process, KiB.
pub fn rss_kb(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("read /proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kb| kb.parse().ok())
        .context("VmRSS in /proc status")
}

/// CPU time a process has used (user + system), seconds, from /proc; `None` once it is gone.
pub fn cpu_s(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces; the fields after its closing parenthesis do not.
    let after = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / CLOCK_TICKS_PER_S)
}

/// The kernel's clock ticks per second (`getconf CLK_TCK`, 100 on Linux).
const CLOCK_TICKS_PER_S: f64 = 100.0;

/// One `daihuo serve` node.
pub struct Node {
    /// The process.
    pub process: Process,
    /// Where it listens.
    pub address: SocketAddr,
}

/// Where a node's data lives.
#[derive(Debug, Clone)]
pub enum NodeStore {
    /// The embedded store in this data directory.
    Sqlite(PathBuf),
    /// This PostgreSQL database (postgres://…).
    Postgres(String),
}

/// Starts `daihuo serve` node `number` over `store`, joined to `nats_url` if given, and
/// waits until it answers `/healthz`.
pub async fn start_node(
    number: usize,
    store: &NodeStore,
    nats_url: Option<&str>,
    max_connections: usize,
    log_dir: &Path,
) -> anyhow::Result<Node> {
    let port = free_port()?;
    let address: SocketAddr = SocketAddr::from(([127, 0, 0, 1], port));
    let exe = std::env::current_exe().context("find this binary")?;
    let mut command = Command::new(exe);
    command
        .arg("serve")
        .arg("--listen")
        .arg(address.to_string())
        .arg("--node-id")
        .arg(format!("bench-node-{number}"))
        .arg("--max-connections")
        .arg(max_connections.to_string())
        // Per-request logs of thousands of joins would cost the node CPU the bench measures.
        .env("RUST_LOG", "warn")
        .env_remove("DAIHUO_DATABASE_URL");
    match store {
        NodeStore::Sqlite(dir) => command.arg("--data-dir").arg(dir),
        NodeStore::Postgres(url) => command.arg("--database-url").arg(url),
    };
    if let Some(url) = nats_url {
        command.arg("--nats-url").arg(url);
    }
    let log = log_dir.join(format!("node-{number}.log"));
    let process = Process::spawn(format!("node {number}"), command, &log)?;
    let mut node = Node { process, address };
    wait_http(&mut node.process, address, &log).await?;
    Ok(node)
}

async fn wait_http(process: &mut Process, address: SocketAddr, log: &Path) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let deadline = tokio::time::Instant::now() + START_TIMEOUT;
    loop {
        if !process.running() {
            let tail = std::fs::read_to_string(log).unwrap_or_default();
            anyhow::bail!(
                "{} exited while starting: {}",
                process.name,
                tail_lines(&tail, 20)
            );
        }
        if let Ok(response) = client.get(format!("http://{address}/healthz")).send().await {
            if response.status().is_success() {
                return Ok(());
            }
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "{} did not answer within {START_TIMEOUT:?}",
            process.name
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The last `n` lines of a log.
pub fn tail_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// One private nats-server.
pub struct NatsServer {
    /// The process.
    pub process: Process,
    /// `nats://127.0.0.1:PORT` for NATS clients.
    pub client_url: String,
    /// Its WebSocket listener.
    pub websocket: SocketAddr,
}

/// Starts `count` nats-servers, clustered when more than one, each with JetStream (in a
/// directory under `dir`) and a WebSocket listener without TLS.
pub async fn start_nats(
    count: usize,
    dir: &Path,
    jetstream: bool,
) -> anyhow::Result<Vec<NatsServer>> {
    anyhow::ensure!(
        Path::new(NATS_SERVER).exists(),
        "{NATS_SERVER} is not installed"
    );
    let mut ports = Vec::with_capacity(count);
    for _ in 0..count {
        ports.push((free_port()?, free_port()?, free_port()?));
    }
    let mut servers = Vec::with_capacity(count);
    for (number, (client, websocket, cluster)) in ports.iter().copied().enumerate() {
        let mut config = format!(
            "listen: \"127.0.0.1:{client}\"\nserver_name: bench_nats_{number}\nmax_payload: 65536\n\
             websocket {{\n  listen: \"127.0.0.1:{websocket}\"\n  no_tls: true\n  compression: false\n}}\n"
        );
        if jetstream {
            let store = dir.join(format!("jetstream-{number}"));
            config.push_str(&format!(
                "jetstream {{\n  store_dir: \"{}\"\n  max_memory_store: 1GB\n  max_file_store: 1GB\n}}\n",
                store.display()
            ));
        }
        if count > 1 {
            let routes: Vec<String> = ports
                .iter()
                .enumerate()
                .filter(|(other, _)| *other != number)
                .map(|(_, (_, _, port))| format!("\"nats://127.0.0.1:{port}\""))
                .collect();
            config.push_str(&format!(
                "cluster {{\n  name: bench\n  listen: \"127.0.0.1:{cluster}\"\n  routes: [{}]\n}}\n",
                routes.join(", ")
            ));
        }
        let path = dir.join(format!("nats-{number}.conf"));
        std::fs::write(&path, config).with_context(|| format!("write {}", path.display()))?;
        let mut command = Command::new(NATS_SERVER);
        command.arg("-c").arg(&path);
        let log = dir.join(format!("nats-{number}.log"));
        let process = Process::spawn(format!("nats-server {number}"), command, &log)?;
        servers.push(NatsServer {
            process,
            client_url: format!("nats://127.0.0.1:{client}"),
            websocket: SocketAddr::from(([127, 0, 0, 1], websocket)),
        });
    }
    for server in &mut servers {
        wait_tcp(&mut server.process, server.websocket).await?;
    }
    Ok(servers)
}

async fn wait_tcp(process: &mut Process, address: SocketAddr) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + START_TIMEOUT;
    loop {
        anyhow::ensure!(process.running(), "{} exited while starting", process.name);
        if tokio::net::TcpStream::connect(address).await.is_ok() {
            return Ok(());
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "{} did not listen within {START_TIMEOUT:?}",
            process.name
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A started load worker with its command and report pipes.
pub struct Worker {
    /// The process (stdout and stdin are piped, stderr goes to the bench's stderr).
    pub child: Child,
    /// Its number.
    pub number: usize,
    /// Lines it prints.
    pub lines: tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
    /// Where commands go.
    pub stdin: tokio::process::ChildStdin,
}

/// Starts worker `number` reading its spec from `spec`.
pub fn start_worker(number: usize, spec: &PathBuf) -> anyhow::Result<Worker> {
    use tokio::io::AsyncBufReadExt;
    let exe = std::env::current_exe().context("find this binary")?;
    let mut child = Command::new(exe)
        .arg("bench")
        .arg("fanout-worker")
        .arg("--spec")
        .arg(spec)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("start worker {number}"))?;
    let stdout = child.stdout.take().context("worker stdout")?;
    let stdin = child.stdin.take().context("worker stdin")?;
    Ok(Worker {
        child,
        number,
        lines: tokio::io::BufReader::new(stdout).lines(),
        stdin,
    })
}
