//! `daihuo demo`: a living platform on the embedded store, for a newcomer to look at in the
//! browser within seconds of starting the binary.
//!
//! It wipes and recreates its own data directory, starts a node exactly as `serve` does
//! ([`crate::Node`]: sandbox payments, supplier webhooks, the sweeper and the outbox
//! deliverer), seeds a world from the real reference data ([`world`]), gives the printed
//! viewer some past orders ([`history`]), prints the URL and one login per role, and then
//! runs the simulated suppliers ([`suppliers`]) and the traffic simulator ([`traffic`],
//! [`rooms`]) in the same process, over the node's real HTTP API and WebSockets, until
//! Ctrl-C. docs/DEMO.md describes the world and the flags.

mod client;
mod history;
mod rooms;
mod suppliers;
mod traffic;
mod world;

use anyhow::Context;
use clap::{Args, ValueEnum};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// The password of every demo account: the demo's store is thrown away at each start.
pub const DEMO_PASSWORD: &str = "daihuo-demo";
/// The file that marks a directory as the demo's own, so the demo never wipes anything else.
const MARKER_FILE: &str = "DAIHUO-DEMO-DATA";
/// What the marker says to whoever finds it.
const MARKER_TEXT: &str =
    "This directory belongs to `daihuo demo`, which deletes and recreates it at every start.\n";
/// The fewest SKUs the world needs: six anchors' shelves and the specialists' categories.
const SKUS_MIN: usize = 300;
/// The most SKUs the demo seeds: more only makes the start slower; `bench search` is the
/// place for big pools.
const SKUS_MAX: usize = 100_000;
/// The fewest simulated viewers: enough distinct buyers for a flash sale's burst.
const VIEWERS_MIN: usize = 100;
/// The most simulated viewers.
const VIEWERS_MAX: usize = 50_000;
/// How long the node may take to finish its requests after Ctrl-C before the demo exits
/// anyway (a browser's open room connection must not hold it up).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// How busy the simulated platform is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Traffic {
    /// A busy platform: 120 viewers in rooms, a purchase every few seconds, a flash sale
    /// every few minutes in every live session (the printed anchor's too).
    On,
    /// A calm one for browser tests and screenshots: 30 viewers in rooms, a purchase every
    /// 10–25 s, and the printed anchor's session left entirely to the person signed in.
    Quiet,
    /// No simulated viewers or anchors; the suppliers' systems still answer.
    Off,
}

/// Options of `daihuo demo`.
#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Address to listen on (port 0 picks a free port; the URL is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The demo's data directory: deleted and recreated at every start. A directory that is
    /// not empty and was not made by the demo is refused.
    #[arg(long, default_value = "./daihuo-demo")]
    pub data_dir: PathBuf,
    /// Seed of the world: the same seed makes the same catalogue, shelves, followers and
    /// sessions (the traffic's timing is the clock's).
    #[arg(long, default_value_t = 2020)]
    pub seed: u64,
    /// SKUs in the supplier pool.
    #[arg(long, default_value_t = 3_000)]
    pub skus: usize,
    /// Simulated viewers (each signed in, with a saved address).
    #[arg(long, default_value_t = 2_000)]
    pub viewers: usize,
    /// How busy the simulated platform is: on, quiet or off.
    #[arg(long, value_enum, default_value_t = Traffic::On)]
    pub traffic: Traffic,
}

/// Rates and counts of the simulation; every one is bounded.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// WebSocket viewers in rooms at once.
    pub connections: usize,
    /// How long one viewer stays in a room, ms.
    pub watch_ms: (u64, u64),
    /// Between one viewer's comments, ms.
    pub comment_every_ms: (u64, u64),
    /// Between one viewer's likes, ms.
    pub like_every_ms: (u64, u64),
    /// Between purchases on the whole platform, ms.
    pub buy_every_ms: (u64, u64),
    /// From a session being seen live to its first flash sale, ms.
    pub first_flash_ms: (u64, u64),
    /// Between one flash sale's end and the next one's announcement in a session, ms.
    pub flash_every_ms: (u64, u64),
    /// The countdown of a flash sale, ms.
    pub flash_countdown_ms: u64,
    /// How long a flash sale is open, ms.
    pub flash_length_ms: u64,
    /// Units a flash sale offers.
    pub flash_units: (i64, i64),
    /// Between pins, ms.
    pub pin_every_ms: (u64, u64),
    /// How long a simulated anchor's session lasts, ms.
    pub session_ms: (u64, u64),
    /// Sessions kept live at least.
    pub min_live: usize,
    /// Whether the director runs flash sales in the printed anchor's session.
    pub drive_printed_anchor: bool,
    /// From an order's routing to its shipment, ms.
    pub pack_ms: (u64, u64),
    /// Between a parcel's tracking events, ms.
    pub leg_ms: (u64, u64),
}

const SECOND: u64 = 1_000;
const MINUTE: u64 = 60 * SECOND;

impl Pace {
    fn of(traffic: Traffic) -> Pace {
        // Parcels reach their buyers within a few minutes in every mode.
        let (pack_ms, leg_ms) = ((15 * SECOND, 60 * SECOND), (20 * SECOND, 50 * SECOND));
        match traffic {
            Traffic::On => Pace {
                connections: 120,
                watch_ms: (30 * SECOND, 4 * MINUTE),
                comment_every_ms: (8 * SECOND, 40 * SECOND),
                like_every_ms: (2 * SECOND, 8 * SECOND),
                buy_every_ms: (1_500, 4 * SECOND),
                first_flash_ms: (5 * SECOND, 40 * SECOND),
                flash_every_ms: (2 * MINUTE, 4 * MINUTE),
                flash_countdown_ms: 30 * SECOND,
                flash_length_ms: 90 * SECOND,
                flash_units: (20, 60),
                pin_every_ms: (40 * SECOND, 90 * SECOND),
                session_ms: (20 * MINUTE, 40 * MINUTE),
                min_live: 3,
                drive_printed_anchor: true,
                pack_ms,
                leg_ms,
            },
            Traffic::Quiet | Traffic::Off => Pace {
                connections: if traffic == Traffic::Off { 0 } else { 30 },
                watch_ms: (MINUTE, 5 * MINUTE),
                comment_every_ms: (20 * SECOND, 90 * SECOND),
                like_every_ms: (5 * SECOND, 20 * SECOND),
                buy_every_ms: (10 * SECOND, 25 * SECOND),
                first_flash_ms: (30 * SECOND, 2 * MINUTE),
                flash_every_ms: (5 * MINUTE, 8 * MINUTE),
                flash_countdown_ms: 30 * SECOND,
                flash_length_ms: 2 * MINUTE,
                flash_units: (10, 30),
                pin_every_ms: (60 * SECOND, 2 * MINUTE),
                session_ms: (45 * MINUTE, 90 * MINUTE),
                min_live: 3,
                drive_printed_anchor: false,
                pack_ms,
                leg_ms,
            },
        }
    }
}

/// Turns a service error into an error that says its stable code.
fn service_error(error: daihuo_service::ServiceError) -> anyhow::Error {
    anyhow::anyhow!("{error} ({})", error.code())
}

/// SplitMix64's finaliser: a well-mixed hash, for choices that must be the same for a seed.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Empties `dir` for a fresh start: a missing or empty directory is made the demo's; one
/// with the demo's marker is deleted and made again; anything else is refused.
fn prepare_data_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir)
            .with_context(|| format!("read the data directory {}", dir.display()))?;
        let empty = entries.next().is_none();
        if !empty {
            anyhow::ensure!(
                dir.join(MARKER_FILE).is_file(),
                "refusing to wipe {}: it is not empty and was not made by `daihuo demo` \
                 (it has no {MARKER_FILE} file); pass --data-dir with a new or empty directory",
                dir.display()
            );
            std::fs::remove_dir_all(dir)
                .with_context(|| format!("remove the old demo data in {}", dir.display()))?;
        }
    }
    std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
    std::fs::write(dir.join(MARKER_FILE), MARKER_TEXT)
        .with_context(|| format!("mark {} as the demo's", dir.display()))?;
    Ok(())
}

/// Runs the demo until Ctrl-C.
pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        (SKUS_MIN..=SKUS_MAX).contains(&args.skus),
        "--skus must be {SKUS_MIN} to {SKUS_MAX}"
    );
    anyhow::ensure!(
        (VIEWERS_MIN..=VIEWERS_MAX).contains(&args.viewers),
        "--viewers must be {VIEWERS_MIN} to {VIEWERS_MAX}"
    );
    let started = Instant::now();
    prepare_data_dir(&args.data_dir)?;
    let store = daihuo_store::Store::open_sqlite(&args.data_dir)
        .await
        .with_context(|| format!("open the data directory {}", args.data_dir.display()))?;
    store.migrate().await.context("migrate the database")?;
    let rooms = crate::RoomArgs {
        nats_url: None,
        node_id: Some("demo".to_owned()),
        max_connections: daihuo_room::limits::DEFAULT_NODE_CONNECTIONS,
        banned_words: None,
    };
    let services = rooms
        .services(store, daihuo_service::ServiceConfig::default())
        .await?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listen on {}", args.listen))?;
    let node = crate::Node::start(services, listener, daihuo_payment::SigningSecret::random())?;
    let services = node.services.clone();
    let base = format!("http://{}", node.address);
    let (stop_sender, stop) = watch::channel(false);
    let mut stopped = stop.clone();
    let mut server = tokio::spawn(node.run(async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    }));
    let serving = started.elapsed();
    // Seeding while the node already serves: a browser opened early sees the world fill.
    let world = world::seed(&services, args.seed, args.skus, args.viewers).await?;
    let before_history = started.elapsed();
    let api = client::Api::new(&base)?;
    let pace = Pace::of(args.traffic);
    let placed = Arc::new(traffic::Placed::default());
    let suppliers = suppliers::start(
        &services,
        &world,
        &api,
        pace,
        placed.clone(),
        args.seed,
        stop.clone(),
    )
    .await?;
    let history = history::seed(&world, &services, &api).await?;
    let seeded = started.elapsed();
    let live = world.anchors.iter().filter(|a| a.live.is_some()).count();
    println!(
        "daihuo demo: seeded {} SKUs from {} suppliers, {} anchors ({live} live), {} viewers, \
         {} follows, the viewer's {} orders in {:.2} s",
        world.pool.len(),
        world.suppliers.len(),
        world.anchors.len(),
        world.viewers.len() + 1,
        world.follows,
        history.len(),
        seeded.as_secs_f64()
    );
    println!("daihuo demo ready at {base}");
    println!("login viewer viewer {DEMO_PASSWORD}");
    println!(
        "login anchor {} {DEMO_PASSWORD}",
        world.anchors[0].plan.username
    );
    println!(
        "login supplier {} {DEMO_PASSWORD}",
        world.suppliers[0].username
    );
    println!("login operator admin {DEMO_PASSWORD}");
    let mut phases = vec![format!("store and node {} ms", serving.as_millis())];
    phases.extend(
        world
            .phases_ms
            .iter()
            .map(|(name, ms)| format!("{name} {ms} ms")),
    );
    phases.push(format!(
        "suppliers' systems and the viewer's orders {} ms",
        (seeded - before_history).as_millis()
    ));
    tracing::info!(
        address = %base,
        seeded_ms = seeded.as_millis() as u64,
        phases = %phases.join(", "),
        upcoming = world.upcoming,
        traffic = ?args.traffic,
        "daihuo demo ready"
    );
    let mut tasks = suppliers.tasks;
    if args.traffic != Traffic::Off {
        let shared = traffic::shared(api, world.viewers.clone(), placed, pace, stop.clone());
        let anchors = world
            .anchors
            .iter()
            .enumerate()
            .map(|(plan, anchor)| (anchor.actor.user_id, plan, anchor.shelf.clone()))
            .collect();
        tasks.extend(traffic::start(shared, anchors, Arc::new(world.pool), args.seed).await?);
    }
    eprintln!(
        "daihuo demo is running at {base} (traffic {:?}); Ctrl-C stops it",
        args.traffic
    );
    let outcome = tokio::select! {
        () = crate::shutdown_signal() => Ok(()),
        ended = &mut server => match ended {
            Ok(Ok(())) => Err(anyhow::anyhow!("the node stopped on its own")),
            Ok(Err(error)) => Err(error.context("the node failed")),
            Err(error) => Err(anyhow::anyhow!("the node's task failed: {error}")),
        },
    };
    eprintln!("daihuo demo: stopping");
    let _ = stop_sender.send(true);
    for task in tasks {
        // The simulators end at the stop signal; whatever is mid-request is dropped.
        if tokio::time::timeout(SHUTDOWN_GRACE, task).await.is_err() {
            tracing::warn!("a demo task did not stop in time");
        }
    }
    if !server.is_finished()
        && tokio::time::timeout(SHUTDOWN_GRACE, &mut server)
            .await
            .is_err()
    {
        tracing::warn!("the node did not finish its connections in time; exiting anyway");
        server.abort();
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_the_demo_did_not_make_is_never_wiped() {
        let root =
            std::env::temp_dir().join(format!("daihuo-demo-dir-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        // New: made and marked.
        prepare_data_dir(&root).expect("a new directory");
        assert!(root.join(MARKER_FILE).is_file());
        // The demo's own, with data: wiped.
        std::fs::write(root.join("daihuo.db"), b"old").expect("write");
        prepare_data_dir(&root).expect("the demo's directory");
        assert!(!root.join("daihuo.db").exists());
        // Someone else's: refused, and left as it was.
        std::fs::remove_file(root.join(MARKER_FILE)).expect("unmark");
        std::fs::write(root.join("precious.txt"), b"keep me").expect("write");
        let refused = prepare_data_dir(&root).expect_err("refused");
        assert!(
            refused.to_string().contains("refusing to wipe"),
            "{refused}"
        );
        assert!(root.join("precious.txt").is_file());
        std::fs::remove_dir_all(&root).expect("clean up");
    }

    #[test]
    fn demo_comments_pass_moderation() {
        let banned = daihuo_domain::moderation::BannedWords::default_list();
        for text in rooms::COMMENTS {
            assert!(!banned.matches(text), "{text}");
            daihuo_domain::moderation::CommentText::parse(text, &banned).expect(text);
        }
    }

    #[test]
    fn desk_waybills_pass_the_carriers_formats() {
        use daihuo_domain::waybill::{Carrier, Waybill};
        for code in daihuo_sim::courier::CARRIERS {
            let carrier = Carrier::parse(code).expect(code);
            for serial in [0, 1, 42, u64::MAX, mix(7)] {
                let number = daihuo_sim::courier::waybill(code, serial).expect(code);
                Waybill::parse(carrier, &number).unwrap_or_else(|e| panic!("{number}: {e}"));
            }
        }
    }
}
