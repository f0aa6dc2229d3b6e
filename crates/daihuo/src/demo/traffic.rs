//! The traffic simulator: the platform's people, played over the node's real HTTP API and
//! room WebSockets as their apps would.
//!
//! - The **director** plays the simulated anchors: it keeps at least a few sessions live
//!   (taking scheduled ones live when due, ending each after its planned length and
//!   scheduling the next), pins products in turn, and runs a flash sale every few minutes in
//!   each live session it drives: announced with a countdown, started, and bought out by a
//!   burst of buyers.
//! - **Buyers** order from the live sessions now and then and pay on the sandbox gateway's
//!   pay page; a few leave an order unpaid, which the node releases when it expires.
//! - **Room viewers** ([`super::rooms`]) join rooms over WebSocket, chat and like.
//!
//! Every rate and count is bounded ([`super::Pace`]); every refusal and failure is counted and
//! logged, and none stops the demo.

use super::client::{code_of, Api};
use super::world::{session_items, PoolSku, Viewer, ANCHORS};
use super::{Pace, DEMO_PASSWORD};
use daihuo_domain::{SkuId, UserId};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinHandle;

/// The most orders the simulator remembers as its own (for shipping and receipts); the
/// oldest are forgotten first. At a few orders a second this is days of orders.
const PLACED_MAX: usize = 200_000;
/// How often the director looks at the whole platform (live list and each room's shelf).
const REFRESH_EVERY: Duration = Duration::from_secs(4);
/// How often the director acts on what it knows.
const TICK: Duration = Duration::from_millis(500);
/// How often the simulator logs what it did.
const REPORT_EVERY: Duration = Duration::from_secs(60);
/// Purchases (with their payment) in flight at once.
const BUYS_IN_FLIGHT_MAX: usize = 32;
/// Flash-sale attempts in flight at once, over all sales.
const FLASH_IN_FLIGHT_MAX: usize = 64;
/// The most attempts one flash sale's burst makes.
const FLASH_ATTEMPTS_MAX: i64 = 300;
/// Attempts per unit offered, in percent: a hot sale sells out with buyers turned away.
const FLASH_ATTEMPTS_PERCENT: i64 = 150;
/// The spread of a burst's attempts after the sale opens, milliseconds.
const FLASH_BURST_MS: u64 = 3_000;
/// How long a flash-sale buyer has to pay, seconds: flash orders are paid fast.
const FLASH_PAY_WINDOW_S: i64 = 120;
/// Share of orders paid, in percent; the rest are left to expire.
const PAID_PERCENT: u32 = 88;
/// How long a buyer takes to pay, milliseconds.
const PAY_AFTER_MS: (u64, u64) = (800, 6_000);
/// Scheduled sessions an anchor keeps ahead at most.
const SCHEDULED_AHEAD_MAX: usize = 2;
/// How long an anchor rests after a session before the director takes it live again.
const REST_MS: i64 = 30 * 60_000;
/// When an ended anchor's next session starts, milliseconds after the end.
const NEXT_SESSION_IN_MS: (i64, i64) = (45 * 60_000, 5 * 3_600_000);

/// The orders the simulator placed, with the viewer (an index into the viewers) who placed
/// each: the shipping desks ship only these, and receipts are confirmed by their buyers.
#[derive(Default)]
pub struct Placed {
    inner: Mutex<(HashMap<i64, usize>, VecDeque<i64>)>,
}

impl Placed {
    /// Records an order placed by viewer `viewer`.
    pub fn insert(&self, order: i64, viewer: usize) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let (by_order, oldest) = &mut *inner;
        if by_order.insert(order, viewer).is_none() {
            oldest.push_back(order);
        }
        while oldest.len() > PLACED_MAX {
            if let Some(old) = oldest.pop_front() {
                by_order.remove(&old);
            }
        }
    }

    /// The viewer who placed `order`, if the simulator did.
    pub fn buyer_of(&self, order: i64) -> Option<usize> {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.0.get(&order).copied()
    }
}

/// What the simulator did, for its log line.
#[derive(Default)]
pub struct Stats {
    /// Orders placed.
    pub orders: AtomicU64,
    /// Orders paid on the pay page.
    pub paid: AtomicU64,
    /// Flash sales started.
    pub flash_sales: AtomicU64,
    /// Flash-sale reservations won.
    pub flash_won: AtomicU64,
    /// Flash-sale attempts turned away (sold out, over the limit, ended).
    pub flash_refused: AtomicU64,
    /// Comments sent.
    pub comments: AtomicU64,
    /// Likes sent.
    pub likes: AtomicU64,
    /// Room joins.
    pub joins: AtomicU64,
    /// Sessions taken live and ended by the director.
    pub went_live: AtomicU64,
    /// See `went_live`.
    pub ended: AtomicU64,
    /// Requests that failed or were refused unexpectedly.
    pub errors: AtomicU64,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// One SKU of a live session as the room shows it.
#[derive(Debug, Clone)]
pub struct Item {
    /// The SKU.
    pub sku_id: i64,
    /// Price in the session, fen.
    pub live_price_fen: i64,
    /// Units left.
    pub stock_left: i64,
}

/// A live session as the simulator last saw it.
#[derive(Debug, Clone)]
pub struct Room {
    /// The session.
    pub id: i64,
    /// Its anchor.
    pub anchor_id: i64,
    /// Whether it takes part in a campaign (flash sales get a subsidy).
    pub in_campaign: bool,
    /// What it sells.
    pub items: Vec<Item>,
    /// The pinned SKU.
    pub pinned: Option<i64>,
    /// How many viewers it draws, relative to the others.
    pub weight: u32,
}

/// What the simulated people share.
pub struct Shared {
    /// The node's API.
    pub api: Api,
    /// The simulated viewers.
    pub viewers: Arc<Vec<Viewer>>,
    /// Sessions live now.
    pub rooms: RwLock<Vec<Room>>,
    /// The simulator's orders.
    pub placed: Arc<Placed>,
    /// Counters.
    pub stats: Stats,
    /// Rates and counts.
    pub pace: Pace,
    /// Turns true when the demo stops.
    pub stop: watch::Receiver<bool>,
    /// Bounds purchases in flight.
    buys: Arc<Semaphore>,
    /// Bounds flash-sale attempts in flight.
    flash: Arc<Semaphore>,
}

impl Shared {
    /// A live room drawn by weight, if any is live.
    pub fn pick_room(&self, rng: &mut StdRng) -> Option<Room> {
        let rooms = self.rooms.read().unwrap_or_else(PoisonError::into_inner);
        rooms
            .choose_weighted(rng, |room| room.weight.max(1))
            .ok()
            .cloned()
    }

    /// Whether the session is still live, as last seen.
    pub fn is_live(&self, session: i64) -> bool {
        let rooms = self.rooms.read().unwrap_or_else(PoisonError::into_inner);
        rooms.iter().any(|room| room.id == session)
    }

    /// Sleeps for `duration`; false if the demo stopped meanwhile.
    pub async fn sleep(&self, duration: Duration) -> bool {
        let mut stop = self.stop.clone();
        if *stop.borrow() {
            return false;
        }
        tokio::select! {
            _ = stop.changed() => false,
            () = tokio::time::sleep(duration) => !*self.stop.borrow(),
        }
    }

    fn failed(&self, what: &str, error: impl std::fmt::Display) {
        bump(&self.stats.errors);
        tracing::warn!(what, %error, "demo traffic: a request failed");
    }

    fn refused(&self, what: &str, status: u16, body: &Value) {
        bump(&self.stats.errors);
        tracing::info!(what, status, code = %code_of(status, body), "demo traffic: refused");
    }
}

/// Milliseconds drawn from a range.
pub fn between(rng: &mut StdRng, range: (u64, u64)) -> Duration {
    let (low, high) = (range.0.min(range.1), range.0.max(range.1));
    Duration::from_millis(rng.gen_range(low..=high))
}

fn now_ms() -> i64 {
    daihuo_store::now_ms()
}

/// An anchor the director plays.
struct Driven {
    /// Its session token.
    token: String,
    /// Its plan.
    plan: &'static super::world::AnchorPlan,
    /// Its shelf, for new sessions.
    shelf: Vec<SkuId>,
    /// Whether it is the printed anchor, whose sessions are the human's to start, pin and
    /// end.
    printed: bool,
    /// Sessions scheduled so far, to take titles in turn.
    sessions: usize,
    /// After ending a session the anchor rests until then, Unix ms, before the director
    /// takes it live again to keep enough sessions live.
    rests_until_ms: i64,
}

/// A flash sale the director runs.
struct Flash {
    id: i64,
    starts_at_ms: i64,
    ends_at_ms: i64,
    units: i64,
    burst: bool,
}

/// What the director does next in a room.
enum Action {
    /// Nothing yet.
    Wait,
    /// The session's time is up.
    End,
    /// Announce a flash sale.
    OpenFlash,
    /// The sale opened: the buyers' burst.
    Burst {
        /// The sale.
        id: i64,
        /// Units on offer.
        units: i64,
    },
    /// The sale is over.
    CloseFlash,
    /// Present another product.
    Pin,
}

/// The director's plan for one live session.
struct Run {
    /// When it ends; `None` for sessions the director does not end.
    ends_at_ms: Option<i64>,
    next_flash_ms: i64,
    next_pin_ms: i64,
    flash: Option<Flash>,
}

/// Starts the simulator: the director, the buyers and the room viewers.
pub async fn start(
    shared: Arc<Shared>,
    anchors: Vec<(UserId, usize, Vec<SkuId>)>,
    pool: Arc<Vec<PoolSku>>,
    seed: u64,
) -> anyhow::Result<Vec<JoinHandle<()>>> {
    let mut driven = HashMap::new();
    for (user_id, plan, shelf) in anchors {
        let plan = &ANCHORS[plan];
        let token = shared.api.sign_in(plan.username, DEMO_PASSWORD).await?;
        driven.insert(
            user_id.0,
            Driven {
                token,
                plan,
                shelf,
                printed: plan.username == ANCHORS[0].username,
                sessions: 1,
                rests_until_ms: 0,
            },
        );
    }
    let mut director = Director {
        shared: shared.clone(),
        driven,
        pool,
        runs: HashMap::new(),
        rng: StdRng::seed_from_u64(seed ^ 0xd12e_c702),
    };
    // The rooms are known before anyone joins one.
    director.refresh().await;
    let mut tasks = vec![
        tokio::spawn(async move { director.run().await }),
        tokio::spawn(buyers(shared.clone(), seed ^ 0xb0b)),
        tokio::spawn(report(shared.clone())),
    ];
    tasks.extend(super::rooms::start(shared, seed));
    Ok(tasks)
}

/// Shared state for a simulator over `api`.
pub fn shared(
    api: Api,
    viewers: Arc<Vec<Viewer>>,
    placed: Arc<Placed>,
    pace: Pace,
    stop: watch::Receiver<bool>,
) -> Arc<Shared> {
    Arc::new(Shared {
        api,
        viewers,
        rooms: RwLock::new(Vec::new()),
        placed,
        stats: Stats::default(),
        pace,
        stop,
        buys: Arc::new(Semaphore::new(BUYS_IN_FLIGHT_MAX)),
        flash: Arc::new(Semaphore::new(FLASH_IN_FLIGHT_MAX)),
    })
}

/// Logs what the simulator did, once a minute.
async fn report(shared: Arc<Shared>) {
    while shared.sleep(REPORT_EVERY).await {
        let s = &shared.stats;
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let live = shared
            .rooms
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        tracing::info!(
            live,
            orders = get(&s.orders),
            paid = get(&s.paid),
            flash_sales = get(&s.flash_sales),
            flash_won = get(&s.flash_won),
            flash_refused = get(&s.flash_refused),
            comments = get(&s.comments),
            likes = get(&s.likes),
            joins = get(&s.joins),
            went_live = get(&s.went_live),
            ended = get(&s.ended),
            errors = get(&s.errors),
            "demo traffic so far"
        );
    }
}

/// Pays `order` after a buyer's pause, unless this buyer leaves it unpaid.
fn maybe_pay(shared: &Arc<Shared>, rng: &mut StdRng, viewer: usize, order: i64) {
    if rng.gen_range(0..100) >= PAID_PERCENT {
        return;
    }
    let pause = between(rng, PAY_AFTER_MS);
    let shared = shared.clone();
    tokio::spawn(async move {
        if !shared.sleep(pause).await {
            return;
        }
        let token = &shared.viewers[viewer].token;
        match shared.api.pay(token, order).await {
            Ok(()) => bump(&shared.stats.paid),
            Err(error) => shared.failed("pay", error),
        }
    });
}

/// Ordinary purchases: now and then a viewer buys from a live session.
async fn buyers(shared: Arc<Shared>, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    loop {
        let pause = between(&mut rng, shared.pace.buy_every_ms);
        if !shared.sleep(pause).await {
            return;
        }
        let Some(room) = shared.pick_room(&mut rng) else {
            continue;
        };
        let on_sale: Vec<&Item> = room.items.iter().filter(|i| i.stock_left > 0).collect();
        let pinned = room
            .pinned
            .and_then(|sku| on_sale.iter().find(|i| i.sku_id == sku).copied());
        // Half the buyers take what the anchor is presenting.
        let item = match pinned {
            Some(item) if rng.gen_bool(0.5) => item,
            _ => match on_sale.choose(&mut rng) {
                Some(item) => *item,
                None => continue,
            },
        };
        let Ok(permit) = shared.buys.clone().try_acquire_owned() else {
            continue;
        };
        let viewer = rng.gen_range(0..shared.viewers.len());
        let quantity = if rng.gen_range(0..10) == 0 { 2 } else { 1 };
        let body = json!({"sku_id": item.sku_id, "quantity": quantity,
            "address_id": shared.viewers[viewer].address_id, "session_id": room.id});
        let key = format!("demo-buy-{:016x}", rng.gen::<u64>());
        let shared = shared.clone();
        let mut pay_rng = StdRng::seed_from_u64(rng.gen());
        tokio::spawn(async move {
            let _permit = permit;
            let token = &shared.viewers[viewer].token;
            match shared
                .api
                .post_keyed("/api/orders", token, &key, &body)
                .await
            {
                Ok((201, order)) => {
                    if let Some(id) = order["id"].as_i64() {
                        shared.placed.insert(id, viewer);
                        bump(&shared.stats.orders);
                        maybe_pay(&shared, &mut pay_rng, viewer, id);
                    }
                }
                // Sold out, or the session ended, between the look and the tap: it happens.
                Ok((409, body))
                    if body["error"]["code"] == "sold_out"
                        || body["error"]["code"] == "session_not_live" => {}
                Ok((status, body)) => shared.refused("buy", status, &body),
                Err(error) => shared.failed("buy", error),
            }
        });
    }
}

/// Plays the anchors.
struct Director {
    shared: Arc<Shared>,
    driven: HashMap<i64, Driven>,
    pool: Arc<Vec<PoolSku>>,
    runs: HashMap<i64, Run>,
    rng: StdRng,
}

impl Director {
    async fn run(mut self) {
        let mut last_refresh = tokio::time::Instant::now();
        while self.shared.sleep(TICK).await {
            if last_refresh.elapsed() >= REFRESH_EVERY {
                self.refresh().await;
                self.keep_live().await;
                last_refresh = tokio::time::Instant::now();
            }
            let rooms = self
                .shared
                .rooms
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            for room in rooms {
                self.act(&room).await;
            }
        }
    }

    /// Reads the live list and each live room's shelf, as any client may.
    async fn refresh(&mut self) {
        let list = match self
            .shared
            .api
            .get("/api/live-sessions/live?limit=100", None)
            .await
        {
            Ok((200, list)) => list,
            Ok((status, body)) => return self.shared.refused("live list", status, &body),
            Err(error) => return self.shared.failed("live list", error),
        };
        let mut rooms = Vec::new();
        for session in list["items"].as_array().into_iter().flatten() {
            let Some(id) = session["id"].as_i64() else {
                continue;
            };
            let snapshot = match self
                .shared
                .api
                .get(&format!("/api/live-sessions/{id}"), None)
                .await
            {
                Ok((200, snapshot)) => snapshot,
                Ok((status, body)) => {
                    self.shared.refused("session", status, &body);
                    continue;
                }
                Err(error) => {
                    self.shared.failed("session", error);
                    continue;
                }
            };
            let anchor_id = session["anchor_id"].as_i64().unwrap_or_default();
            let items = snapshot["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|item| {
                    Some(Item {
                        sku_id: item["sku_id"].as_i64()?,
                        live_price_fen: item["live_price_fen"].as_i64()?,
                        stock_left: item["stock_left"].as_i64()?,
                    })
                })
                .collect();
            let weight = self
                .driven
                .get(&anchor_id)
                .map_or(50, |anchor| anchor.plan.follow_permille + 10);
            rooms.push(Room {
                id,
                anchor_id,
                in_campaign: !session["campaign_id"].is_null(),
                items,
                pinned: session["pinned_sku_id"].as_i64(),
                weight,
            });
        }
        self.runs
            .retain(|id, _| rooms.iter().any(|room| room.id == *id));
        *self
            .shared
            .rooms
            .write()
            .unwrap_or_else(PoisonError::into_inner) = rooms;
    }

    /// What to do in one live room now: end it, announce or open a flash sale, or pin.
    async fn act(&mut self, room: &Room) {
        let Some(anchor) = self.driven.get(&room.anchor_id) else {
            return;
        };
        let pace = self.shared.pace;
        if anchor.printed && !pace.drive_printed_anchor {
            return;
        }
        let (printed, token) = (anchor.printed, anchor.token.clone());
        let now = now_ms();
        let rng = &mut self.rng;
        let mut after = |range: (u64, u64)| {
            now + i64::try_from(between(rng, range).as_millis()).unwrap_or(i64::MAX / 2)
        };
        let run = self.runs.entry(room.id).or_insert_with(|| Run {
            ends_at_ms: (!printed).then(|| after(pace.session_ms)),
            next_flash_ms: after(pace.first_flash_ms),
            next_pin_ms: after(pace.pin_every_ms),
            flash: None,
        });
        let flash = run
            .flash
            .as_ref()
            .map(|f| (f.id, f.units, f.burst, f.starts_at_ms, f.ends_at_ms));
        let action = match flash {
            None if run.ends_at_ms.is_some_and(|end| now >= end) => Action::End,
            None if now >= run.next_flash_ms => Action::OpenFlash,
            Some((id, units, false, starts_at, _)) if now >= starts_at => {
                Action::Burst { id, units }
            }
            Some((_, _, true, _, ends_at)) if now >= ends_at => Action::CloseFlash,
            None if !printed && now >= run.next_pin_ms => Action::Pin,
            _ => Action::Wait,
        };
        match action {
            Action::Wait => {}
            Action::End => self.end(room, &token).await,
            Action::OpenFlash => {
                let opened = open_flash(&self.shared, &mut self.rng, room, &token, printed).await;
                let next = now
                    + i64::try_from(between(&mut self.rng, pace.flash_every_ms).as_millis())
                        .unwrap_or(0);
                if let Some(run) = self.runs.get_mut(&room.id) {
                    match opened {
                        Some(flash) => run.flash = Some(flash),
                        None => run.next_flash_ms = next,
                    }
                }
            }
            Action::Burst { id, units } => {
                if let Some(flash) = self.runs.get_mut(&room.id).and_then(|r| r.flash.as_mut()) {
                    flash.burst = true;
                }
                burst(&self.shared, &mut self.rng, id, units);
            }
            Action::CloseFlash => {
                let next = now
                    + i64::try_from(between(&mut self.rng, pace.flash_every_ms).as_millis())
                        .unwrap_or(0);
                if let Some(run) = self.runs.get_mut(&room.id) {
                    run.flash = None;
                    run.next_flash_ms = next;
                }
            }
            Action::Pin => {
                let next = now
                    + i64::try_from(between(&mut self.rng, pace.pin_every_ms).as_millis())
                        .unwrap_or(0);
                if let Some(run) = self.runs.get_mut(&room.id) {
                    run.next_pin_ms = next;
                }
                let others: Vec<i64> = room
                    .items
                    .iter()
                    .map(|i| i.sku_id)
                    .filter(|sku| Some(*sku) != room.pinned)
                    .collect();
                if let Some(sku) = others.choose(&mut self.rng) {
                    pin(&self.shared, room.id, &token, *sku).await;
                }
            }
        }
    }

    /// Ends a session whose time is up and schedules the anchor's next one.
    async fn end(&mut self, room: &Room, token: &str) {
        let path = format!("/api/live-sessions/{}/end", room.id);
        match self.shared.api.post(&path, Some(token), &Value::Null).await {
            Ok((200, _)) => {
                bump(&self.shared.stats.ended);
                tracing::info!(session = room.id, "demo: a session ended");
            }
            Ok((status, body)) => self.shared.refused("end", status, &body),
            Err(error) => self.shared.failed("end", error),
        }
        self.runs.remove(&room.id);
        if let Some(anchor) = self.driven.get_mut(&room.anchor_id) {
            anchor.rests_until_ms = now_ms() + REST_MS;
        }
        self.shared
            .rooms
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|r| r.id != room.id);
        let later = now_ms()
            + self
                .rng
                .gen_range(NEXT_SESSION_IN_MS.0..=NEXT_SESSION_IN_MS.1);
        if let Err(error) = self.schedule(room.anchor_id, later).await {
            self.shared.failed("schedule", error);
        }
    }

    /// Schedules the anchor's next session at `starts_at_ms` unless it has enough ahead;
    /// returns the session.
    async fn schedule(&mut self, anchor_id: i64, starts_at_ms: i64) -> anyhow::Result<Option<i64>> {
        if self.scheduled(anchor_id).await?.len() >= SCHEDULED_AHEAD_MAX {
            return Ok(None);
        }
        let Some(anchor) = self.driven.get_mut(&anchor_id) else {
            return Ok(None);
        };
        let title = anchor.plan.titles[anchor.sessions % anchor.plan.titles.len()];
        anchor.sessions += 1;
        let items = session_items(&anchor.shelf, &self.pool, &mut self.rng);
        let body = json!({
            "title": title, "starts_at_ms": starts_at_ms, "items": items,
        });
        let (status, session) = self
            .shared
            .api
            .post("/api/live-sessions", Some(&anchor.token), &body)
            .await?;
        anyhow::ensure!(
            status == 201,
            "schedule: HTTP {status} ({})",
            code_of(status, &session)
        );
        Ok(session["session"]["id"].as_i64())
    }

    /// The anchor's scheduled sessions, soonest first.
    async fn scheduled(&self, anchor_id: i64) -> anyhow::Result<Vec<(i64, i64)>> {
        let path = format!("/api/live-sessions?anchor_id={anchor_id}&limit=20");
        let (status, page) = self.shared.api.get(&path, None).await?;
        anyhow::ensure!(status == 200, "anchor sessions: HTTP {status}");
        let mut scheduled: Vec<(i64, i64)> = page["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|s| s["status"] == "scheduled")
            .filter_map(|s| Some((s["starts_at_ms"].as_i64()?, s["id"].as_i64()?)))
            .collect();
        scheduled.sort_unstable();
        Ok(scheduled)
    }

    /// Takes due sessions live, and keeps at least `min_live` sessions live by taking the
    /// soonest scheduled session of an anchor who is off air live early (or a new one).
    /// An anchor who has just ended a session rests first, unless nobody else can go on.
    async fn keep_live(&mut self) {
        let live: Vec<i64> = self
            .shared
            .rooms
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|room| room.anchor_id)
            .collect();
        let now = now_ms();
        let mut off_air: Vec<i64> = self
            .driven
            .iter()
            .filter(|(id, anchor)| !anchor.printed && !live.contains(id))
            .map(|(id, _)| *id)
            .collect();
        off_air.sort_unstable();
        // (resting, soonest start, anchor, session) of each anchor off air.
        let mut waiting = Vec::with_capacity(off_air.len());
        for anchor_id in off_air {
            let next = match self.scheduled(anchor_id).await {
                Ok(scheduled) => scheduled.first().copied(),
                Err(error) => {
                    self.shared.failed("anchor sessions", error);
                    continue;
                }
            };
            let resting = self
                .driven
                .get(&anchor_id)
                .is_some_and(|anchor| now < anchor.rests_until_ms);
            let (starts, session) = next.map_or((i64::MAX, None), |(s, id)| (s, Some(id)));
            waiting.push((resting, starts, anchor_id, session));
        }
        waiting.sort_unstable();
        let mut live_count = live.len();
        for (_, starts, anchor_id, session) in waiting {
            let due = starts <= now;
            if !due && live_count >= self.shared.pace.min_live {
                continue;
            }
            let session = match session {
                Some(id) => Some(id),
                None => match self.schedule(anchor_id, now + 60_000).await {
                    Ok(id) => id,
                    Err(error) => {
                        self.shared.failed("schedule", error);
                        None
                    }
                },
            };
            let (Some(session), Some(anchor)) = (session, self.driven.get(&anchor_id)) else {
                continue;
            };
            let path = format!("/api/live-sessions/{session}/live");
            match self
                .shared
                .api
                .post(&path, Some(&anchor.token), &Value::Null)
                .await
            {
                Ok((200, _)) => {
                    bump(&self.shared.stats.went_live);
                    live_count += 1;
                    tracing::info!(
                        session,
                        anchor = anchor.plan.display_name,
                        "demo: went live"
                    );
                }
                Ok((status, body)) => self.shared.refused("go live", status, &body),
                Err(error) => self.shared.failed("go live", error),
            }
        }
        if live_count != live.len() {
            self.refresh().await;
        }
    }
}

/// Announces a flash sale of one of the room's SKUs with a countdown, and presents it.
async fn open_flash(
    shared: &Arc<Shared>,
    rng: &mut StdRng,
    room: &Room,
    token: &str,
    printed: bool,
) -> Option<Flash> {
    let pace = shared.pace;
    let units = rng.gen_range(pace.flash_units.0..=pace.flash_units.1);
    let candidates: Vec<&Item> = room
        .items
        .iter()
        .filter(|i| i.stock_left >= units * 3 && i.live_price_fen >= 1_000)
        .collect();
    let item = candidates.choose(rng)?;
    let price = item.live_price_fen;
    // The campaign pays 5–15% of the price, in whole yuan.
    let subsidy = if room.in_campaign {
        let share = price * rng.gen_range(5..=15) / 100;
        share - share % 100
    } else {
        0
    };
    let starts_at = now_ms() + i64::try_from(pace.flash_countdown_ms).unwrap_or(0);
    let ends_at = starts_at + i64::try_from(pace.flash_length_ms).unwrap_or(0);
    let body = json!({
        "sku_id": item.sku_id, "price_fen": price, "subsidy_fen": subsidy,
        "quantity": units, "per_user_limit": rng.gen_range(1..=2),
        "starts_at_ms": starts_at, "ends_at_ms": ends_at,
        "pay_window_s": FLASH_PAY_WINDOW_S,
    });
    let path = format!("/api/live-sessions/{}/flash-sales", room.id);
    let sale = match shared.api.post(&path, Some(token), &body).await {
        Ok((201, sale)) => sale,
        Ok((status, body)) => {
            shared.refused("flash sale", status, &body);
            return None;
        }
        Err(error) => {
            shared.failed("flash sale", error);
            return None;
        }
    };
    bump(&shared.stats.flash_sales);
    if !printed {
        pin(shared, room.id, token, item.sku_id).await;
    }
    Some(Flash {
        id: sale["id"].as_i64()?,
        starts_at_ms: starts_at,
        ends_at_ms: ends_at,
        units,
        burst: false,
    })
}

/// The anchor presents (pins) a SKU of the session.
async fn pin(shared: &Shared, session: i64, token: &str, sku: i64) {
    let path = format!("/api/live-sessions/{session}/pin");
    match shared.api.put(&path, token, &json!({"sku_id": sku})).await {
        Ok((200, _)) => {}
        Ok((status, body)) => shared.refused("pin", status, &body),
        Err(error) => shared.failed("pin", error),
    }
}

/// The burst at a flash sale's start: distinct viewers each try for one unit, over
/// [`FLASH_BURST_MS`], more of them than there are units.
fn burst(shared: &Arc<Shared>, rng: &mut StdRng, sale: i64, units: i64) {
    let attempts = (units * FLASH_ATTEMPTS_PERCENT / 100).clamp(1, FLASH_ATTEMPTS_MAX);
    let count = usize::try_from(attempts)
        .unwrap_or(1)
        .min(shared.viewers.len());
    let buyers = rand::seq::index::sample(rng, shared.viewers.len(), count);
    for viewer in buyers.iter() {
        // Most taps come in the first second.
        let delay = Duration::from_millis(
            (rng.gen_range(0.0_f64..1.0).powi(2) * FLASH_BURST_MS as f64) as u64,
        );
        let shared = shared.clone();
        let mut pay_rng = StdRng::seed_from_u64(rng.gen());
        tokio::spawn(async move {
            if !shared.sleep(delay).await {
                return;
            }
            let Ok(_permit) = shared.flash.clone().acquire_owned().await else {
                return;
            };
            let buyer = &shared.viewers[viewer];
            let body = json!({"quantity": 1, "address_id": buyer.address_id});
            let key = format!("demo-flash-{sale}-{viewer}");
            let path = format!("/api/flash-sales/{sale}/orders");
            match shared
                .api
                .post_keyed(&path, &buyer.token, &key, &body)
                .await
            {
                Ok((201, order)) => {
                    if let Some(id) = order["id"].as_i64() {
                        shared.placed.insert(id, viewer);
                        bump(&shared.stats.orders);
                        bump(&shared.stats.flash_won);
                        maybe_pay(&shared, &mut pay_rng, viewer, id);
                    }
                }
                Ok((409, _)) => bump(&shared.stats.flash_refused),
                Ok((status, body)) => shared.refused("flash buy", status, &body),
                Err(error) => shared.failed("flash buy", error),
            }
        });
    }
}
