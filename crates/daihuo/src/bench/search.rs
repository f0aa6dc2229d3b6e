//! `daihuo bench search`: pool search latency over a large synthetic catalogue.
//!
//! The pool is built through `Services::upsert_skus` in chunks of a thousand, spread over
//! [`SUPPLIERS`] suppliers, approved in bulk and analysed; then a fixed mix of selection-centre
//! queries runs through `Services::search_pool`, first from one client, then from several at
//! once. The mix cycles through [`query_cases`] in order and pages 1–3 in turn, so two runs
//! with the same arguments send the same queries.

use super::{create_accounts, existing_anchor, round3, service_error, services_over};
use super::{sku_bar, sku_input};
use super::{FreshStore, FreshStoreArgs, SKUS_MAX};
use anyhow::Context;
use clap::Args;
use daihuo_refdata::taxonomy;
use daihuo_service::catalog::BULK_SKUS_MAX;
use daihuo_service::selection::{PoolSearch, SortKey};
use daihuo_service::{Actor, Services};
use daihuo_store::Dialect;
use hdrhistogram::Histogram;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Suppliers the pool is spread over: a realistic pool has many, and one supplier owning a
/// million SKUs would make its per-supplier indexes unrealistically large.
const SUPPLIERS: usize = 20;
/// Chunks written at once while building. Two keep one chunk's input generation and checks
/// running while the other holds the write transaction; more only queue on SQLite's writer.
const LOADER_TASKS: usize = 2;
/// Chunks between two plain progress lines when no bar is drawn (every 100,000 SKUs).
const PROGRESS_LINE_CHUNKS: u64 = 100;
/// The most measured queries per run.
const QUERIES_MAX: u64 = 1_000_000;
/// The most concurrent clients; the machine has two cores.
const CLIENTS_MAX: usize = 64;
/// Results per page, the selection centre's default.
const PAGE_SIZE: i64 = 20;
/// Pages each query case is asked for, in turn (1, 2, 3, 1, …).
const PAGES: i64 = 3;
/// The slowest latency the histograms hold; slower queries are clamped and show as this.
const LATENCY_MAX: Duration = Duration::from_secs(60);
/// The target the design sets for pool search at 1M SKUs, embedded.
const TARGET_P99_MS: f64 = 20.0;

/// Arguments of `daihuo bench search`.
#[derive(Args, Debug, Clone)]
pub struct SearchArgs {
    /// SKUs in the pool.
    #[arg(long, default_value_t = 1_000_000)]
    pub skus: u64,
    /// Measured queries in each phase (one client, then several).
    #[arg(long, default_value_t = 2_000)]
    pub queries: u64,
    /// Seed of the synthetic catalogue.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Clients of the concurrent phase (0 skips it).
    #[arg(long, default_value_t = 2)]
    pub concurrency: usize,
    /// Search the pool an earlier run built and kept in `--data-dir` (with the same `--skus`
    /// and `--seed`) instead of building a new one: only migrations newer than that pool and
    /// `ANALYZE` run first. For trying a change to the search path without a ten-minute build;
    /// a figure to keep comes from a freshly built pool.
    #[arg(long, requires = "data_dir", conflicts_with = "database_url")]
    pub reuse: bool,
    /// Where to build the store.
    #[command(flatten)]
    pub store: FreshStoreArgs,
}

/// How long building the pool took, by step.
struct BuildTimes {
    /// Loading every SKU through the write path.
    load_s: f64,
    /// The bulk approval.
    approve_s: f64,
    /// Statistics (and on PostgreSQL, vacuum).
    analyze_s: f64,
    /// All of it.
    build_s: f64,
}

/// One query of the mix, with the kind it is reported under.
#[derive(Debug, Clone)]
struct QueryCase {
    /// The kind, a key of the per-kind breakdown.
    kind: &'static str,
    /// The search, without its page.
    search: PoolSearch,
}

impl QueryCase {
    /// A short description for the stderr table.
    fn describe(&self) -> String {
        let s = &self.search;
        let mut parts = Vec::new();
        if let Some(q) = &s.q {
            parts.push(format!("q={q:?}"));
        }
        if let Some(c) = s.category_id {
            let name = taxonomy::taxonomy().get(c).map_or("?", |c| c.name);
            parts.push(format!("category={c}({name})"));
        }
        if s.price_min_fen.is_some() || s.price_max_fen.is_some() {
            parts.push(format!(
                "price={}..{}",
                s.price_min_fen.unwrap_or(0),
                s.price_max_fen.unwrap_or(0)
            ));
        }
        if let Some(c) = s.commission_min_bps {
            parts.push(format!("commission>={c}"));
        }
        if s.in_stock == Some(true) {
            parts.push("in_stock".to_owned());
        }
        if let Some(b) = &s.brand {
            parts.push(format!("brand={b:?}"));
        }
        parts.push(format!("sort={:?}", s.sort.unwrap_or_default()));
        parts.join(" ")
    }

    /// The search for page `page` (0-based).
    fn page(&self, page: i64) -> PoolSearch {
        PoolSearch {
            limit: Some(PAGE_SIZE),
            offset: Some(page * PAGE_SIZE),
            ..self.search.clone()
        }
    }
}

/// The ancestor of `category` at `depth` (1 = top level), or the category itself when it is
/// not that deep.
fn ancestor_at(category: u32, depth: usize) -> u32 {
    let mut path = taxonomy::taxonomy().ancestors(category);
    path.push(category);
    path.get(depth - 1)
        .or(path.last())
        .copied()
        .unwrap_or(category)
}

/// Taxonomy leaves the synthetic catalogue files products under (see
/// `daihuo_refdata::synthetic`): air conditioners, mobile phones, lipstick, nuts, shoes,
/// shirts and tops.
const AIR_CONDITIONERS: u32 = 605;
/// See [`AIR_CONDITIONERS`].
const MOBILE_PHONES: u32 = 543514;
/// See [`AIR_CONDITIONERS`].
const LIPSTICK: u32 = 3021;
/// See [`AIR_CONDITIONERS`].
const NUTS: u32 = 433;
/// See [`AIR_CONDITIONERS`].
const SHOES: u32 = 187;
/// See [`AIR_CONDITIONERS`].
const SHIRTS: u32 = 212;

/// The query mix: what anchors type and click in the selection centre.
fn query_cases() -> Vec<QueryCase> {
    let text = |kind, q: &str| QueryCase {
        kind,
        search: PoolSearch {
            q: Some(q.to_owned()),
            ..PoolSearch::default()
        },
    };
    let with = |kind, search: PoolSearch| QueryCase { kind, search };
    let q = |q: &str| Some(q.to_owned());
    let mut cases = Vec::new();
    for word in [
        "空调",
        "格力 空调",
        "手机",
        "口红",
        "坚果",
        "跑步鞋",
        "T恤",
        "洗发水",
        "电饭煲",
        "纸尿裤",
        "猫粮",
        "蓝牙耳机",
    ] {
        cases.push(text("text_zh", word));
    }
    for words in [
        "air conditioner",
        "charger",
        "running shoes",
        "lipstick",
        "smartphone",
        "coffee",
        "yoga mat",
        "rice cooker",
        "shampoo",
        "backpack",
    ] {
        cases.push(text("text_en", words));
    }
    for (words, category, depth) in [
        ("空调", AIR_CONDITIONERS, 2),
        ("手机", MOBILE_PHONES, 2),
        ("lipstick", LIPSTICK, 2),
        ("坚果", NUTS, 1),
        ("running shoes", SHOES, 1),
        ("T恤", SHIRTS, 3),
    ] {
        cases.push(with(
            "text_category",
            PoolSearch {
                q: q(words),
                category_id: Some(ancestor_at(category, depth)),
                ..PoolSearch::default()
            },
        ));
    }
    for (words, min_fen, max_fen, sort) in [
        ("手机", 100_000, 400_000, None),
        ("口红", 10_000, 30_000, Some(SortKey::PriceAsc)),
        ("air conditioner", 200_000, 500_000, None),
        ("坚果", 5_000, 15_000, Some(SortKey::PriceAsc)),
        ("T恤", 3_000, 10_000, None),
    ] {
        cases.push(with(
            "text_price",
            PoolSearch {
                q: q(words),
                price_min_fen: Some(min_fen),
                price_max_fen: Some(max_fen),
                sort,
                ..PoolSearch::default()
            },
        ));
    }
    for leaf in [AIR_CONDITIONERS, MOBILE_PHONES, NUTS, SHOES, LIPSTICK] {
        cases.push(with(
            "category_commission",
            PoolSearch {
                category_id: Some(ancestor_at(leaf, 1)),
                sort: Some(SortKey::Commission),
                ..PoolSearch::default()
            },
        ));
    }
    for leaf in [AIR_CONDITIONERS, MOBILE_PHONES, LIPSTICK, SHOES] {
        cases.push(with(
            "category_leaf",
            PoolSearch {
                category_id: Some(leaf),
                ..PoolSearch::default()
            },
        ));
    }
    for (min_bps, category) in [
        (2_000, None),
        (3_000, None),
        (2_000, Some(ancestor_at(LIPSTICK, 1))),
    ] {
        cases.push(with(
            "commission_in_stock",
            PoolSearch {
                commission_min_bps: Some(min_bps),
                in_stock: Some(true),
                category_id: category,
                sort: Some(SortKey::Commission),
                ..PoolSearch::default()
            },
        ));
    }
    for (brand, words) in [
        ("格力", None),
        ("小米", None),
        ("Xiaomi", None),
        ("Nike", None),
        ("华为", q("手机")),
    ] {
        cases.push(with(
            "brand",
            PoolSearch {
                q: words,
                brand: Some(brand.to_owned()),
                ..PoolSearch::default()
            },
        ));
    }
    for (words, category, sort) in [
        (q("手机"), None, SortKey::PriceAsc),
        (q("charger"), None, SortKey::PriceAsc),
        (None, Some(ancestor_at(SHIRTS, 1)), SortKey::PriceDesc),
        (None, None, SortKey::PriceAsc),
        (None, None, SortKey::Newest),
        (q("空调"), None, SortKey::Newest),
        (None, Some(ancestor_at(MOBILE_PHONES, 1)), SortKey::Newest),
        (None, None, SortKey::Sales),
    ] {
        cases.push(with(
            "sort",
            PoolSearch {
                q: words,
                category_id: category,
                sort: Some(sort),
                ..PoolSearch::default()
            },
        ));
    }
    cases
}

/// Measured latencies and result counts of one phase, per kind and overall.
struct PhaseStats {
    /// Every query.
    all: Histogram<u64>,
    /// Per kind.
    kinds: BTreeMap<&'static str, KindStats>,
    /// Wall-clock time of the phase.
    elapsed: Duration,
}

/// Latencies and result counts of one kind of query.
struct KindStats {
    /// Latency in microseconds.
    latency_us: Histogram<u64>,
    /// SKUs returned, summed over queries.
    results: u64,
    /// Queries that returned nothing.
    empty: u64,
}

fn histogram() -> anyhow::Result<Histogram<u64>> {
    let max_us = u64::try_from(LATENCY_MAX.as_micros()).unwrap_or(u64::MAX);
    Histogram::new_with_bounds(1, max_us, 3).context("make a latency histogram")
}

impl PhaseStats {
    fn new() -> anyhow::Result<PhaseStats> {
        Ok(PhaseStats {
            all: histogram()?,
            kinds: BTreeMap::new(),
            elapsed: Duration::ZERO,
        })
    }

    fn record(
        &mut self,
        kind: &'static str,
        latency: Duration,
        results: usize,
    ) -> anyhow::Result<()> {
        let us = u64::try_from(latency.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        self.all.saturating_record(us);
        let stats = match self.kinds.entry(kind) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => e.insert(KindStats {
                latency_us: histogram()?,
                results: 0,
                empty: 0,
            }),
        };
        stats.latency_us.saturating_record(us);
        stats.results += results as u64;
        if results == 0 {
            stats.empty += 1;
        }
        Ok(())
    }

    fn merge(&mut self, other: PhaseStats) -> anyhow::Result<()> {
        self.all.add(&other.all).context("merge histograms")?;
        for (kind, theirs) in other.kinds {
            match self.kinds.entry(kind) {
                std::collections::btree_map::Entry::Occupied(mut e) => {
                    let ours = e.get_mut();
                    ours.latency_us
                        .add(&theirs.latency_us)
                        .context("merge histograms")?;
                    ours.results += theirs.results;
                    ours.empty += theirs.empty;
                }
                std::collections::btree_map::Entry::Vacant(e) => {
                    e.insert(theirs);
                }
            }
        }
        Ok(())
    }

    fn empty(&self) -> u64 {
        self.kinds.values().map(|k| k.empty).sum()
    }

    fn qps(&self) -> f64 {
        self.all.len() as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    /// The latency figures as JSON fields.
    fn latency_fields(histogram: &Histogram<u64>) -> Map<String, Value> {
        let ms = |us: u64| round3(us as f64 / 1000.0);
        let mut fields = Map::new();
        fields.insert(
            "p50_ms".into(),
            json!(ms(histogram.value_at_quantile(0.50))),
        );
        fields.insert(
            "p90_ms".into(),
            json!(ms(histogram.value_at_quantile(0.90))),
        );
        fields.insert(
            "p99_ms".into(),
            json!(ms(histogram.value_at_quantile(0.99))),
        );
        fields.insert("max_ms".into(), json!(ms(histogram.max())));
        fields
    }

    /// Per-kind breakdown: latency, mean results per query, empty pages.
    fn kinds_json(&self) -> Value {
        let mut kinds = Map::new();
        for (kind, stats) in &self.kinds {
            let queries = stats.latency_us.len();
            let mut fields = Map::new();
            fields.insert("queries".into(), json!(queries));
            fields.extend(Self::latency_fields(&stats.latency_us));
            fields.insert(
                "mean_results".into(),
                json!(round3(stats.results as f64 / queries.max(1) as f64)),
            );
            fields.insert("empty".into(), json!(stats.empty));
            kinds.insert((*kind).to_owned(), Value::Object(fields));
        }
        Value::Object(kinds)
    }
}

/// Runs the benchmark.
pub async fn run(args: SearchArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        (1..=SKUS_MAX).contains(&args.skus),
        "--skus must be 1 to {SKUS_MAX}"
    );
    anyhow::ensure!(
        (1..=QUERIES_MAX).contains(&args.queries),
        "--queries must be 1 to {QUERIES_MAX}"
    );
    anyhow::ensure!(
        args.concurrency <= CLIENTS_MAX,
        "--concurrency must be 0 to {CLIENTS_MAX}"
    );
    let (mut fresh, anchor, build) = if args.reuse {
        let dir = args
            .store
            .data_dir
            .as_deref()
            .context("--reuse needs --data-dir")?;
        let fresh = FreshStore::reuse_sqlite(dir).await?;
        let services = services_over(&fresh.store);
        let anchor = existing_anchor(&services).await?;
        let approved = daihuo_store::approved_sku_count(fresh.store.pool()).await?;
        anyhow::ensure!(
            approved == args.skus,
            "the reused pool holds {approved} approved SKUs, not {}",
            args.skus
        );
        analyze(&fresh).await?;
        (fresh, anchor, None)
    } else {
        let fresh = FreshStore::create(&args.store, "search").await?;
        let services = services_over(&fresh.store);
        let accounts = create_accounts(&services, SUPPLIERS).await?;
        let build = build(&fresh, &services, &accounts.suppliers, &args).await?;
        (fresh, accounts.anchor, Some(build))
    };
    fresh.reopen().await?;
    let services = services_over(&fresh.store);

    let cases = Arc::new(query_cases());
    warm_up(&services, &anchor, &cases).await?;

    eprintln!("{} queries from one client…", args.queries);
    let sequential = run_phase(&services, &anchor, &cases, args.queries, 1).await?;
    let concurrent = if args.concurrency > 0 {
        eprintln!(
            "{} queries from {} clients at once…",
            args.queries, args.concurrency
        );
        Some(run_phase(&services, &anchor, &cases, args.queries, args.concurrency).await?)
    } else {
        None
    };

    let store_label = fresh.label();
    let embedded = fresh.store.dialect() == Dialect::Sqlite;
    fresh.finish().await?;

    let mut line = Map::new();
    line.insert("bench".into(), json!("search"));
    line.insert("store".into(), json!(store_label));
    line.insert("skus".into(), json!(args.skus));
    line.insert("queries".into(), json!(args.queries));
    line.insert("seed".into(), json!(args.seed));
    line.insert("clients".into(), json!(1));
    line.extend(PhaseStats::latency_fields(&sequential.all));
    line.insert("qps".into(), json!(sequential.qps().round()));
    match &build {
        Some(build) => {
            line.insert("build_s".into(), json!(round3(build.build_s)));
            line.insert(
                "build_skus_per_s".into(),
                json!((args.skus as f64 / build.build_s).round()),
            );
            line.insert("load_s".into(), json!(round3(build.load_s)));
            line.insert("approve_s".into(), json!(round3(build.approve_s)));
            line.insert("analyze_s".into(), json!(round3(build.analyze_s)));
        }
        None => {
            line.insert("reused_pool".into(), json!(true));
        }
    }
    line.insert("empty_results".into(), json!(sequential.empty()));
    line.insert("kinds".into(), sequential.kinds_json());
    if let Some(concurrent) = &concurrent {
        let mut fields = Map::new();
        fields.insert("clients".into(), json!(args.concurrency));
        fields.extend(PhaseStats::latency_fields(&concurrent.all));
        fields.insert("qps".into(), json!(concurrent.qps().round()));
        fields.insert("empty_results".into(), json!(concurrent.empty()));
        let kinds_p99 = concurrent
            .kinds
            .iter()
            .map(|(kind, stats)| {
                let p99_ms = stats.latency_us.value_at_quantile(0.99) as f64 / 1000.0;
                ((*kind).to_owned(), json!(round3(p99_ms)))
            })
            .collect::<Map<_, _>>();
        fields.insert("kinds_p99_ms".into(), Value::Object(kinds_p99));
        line.insert("concurrent".into(), Value::Object(fields));
    }
    let p99_ms = sequential.all.value_at_quantile(0.99) as f64 / 1000.0;
    if embedded && args.skus >= 1_000_000 {
        let verdict = if p99_ms <= TARGET_P99_MS {
            "met"
        } else {
            "MISSED"
        };
        eprintln!(
            "target p99 ≤ {TARGET_P99_MS} ms embedded at 1M SKUs: {verdict} ({p99_ms:.3} ms)"
        );
    }
    println!("{}", Value::Object(line));
    Ok(())
}

/// Builds the pool: loads it, approves it in bulk and analyses it.
async fn build(
    fresh: &FreshStore,
    services: &Services,
    suppliers: &[Actor],
    args: &SearchArgs,
) -> anyhow::Result<BuildTimes> {
    let build_started = Instant::now();
    load(services, suppliers, args.seed, args.skus).await?;
    let load_s = build_started.elapsed().as_secs_f64();
    eprintln!(
        "loaded {} SKUs in {load_s:.1} s ({:.0} SKUs/s)",
        args.skus,
        args.skus as f64 / load_s
    );
    let approve_started = Instant::now();
    let mut tx = fresh.store.begin_write().await?;
    let approved = daihuo_store::approve_all_pending(tx.conn(), daihuo_store::now_ms()).await?;
    tx.commit().await?;
    let approve_s = approve_started.elapsed().as_secs_f64();
    anyhow::ensure!(
        approved == args.skus,
        "approved {approved} SKUs, expected {}",
        args.skus
    );
    eprintln!("approved {approved} SKUs in {approve_s:.1} s");
    let analyze_s = analyze(fresh).await?;
    let build_s = build_started.elapsed().as_secs_f64();
    eprintln!(
        "pool built in {build_s:.1} s ({:.0} SKUs/s)",
        args.skus as f64 / build_s
    );
    Ok(BuildTimes {
        load_s,
        approve_s,
        analyze_s,
        build_s,
    })
}

/// Gathers planner statistics; returns the seconds it took.
async fn analyze(fresh: &FreshStore) -> anyhow::Result<f64> {
    let started = Instant::now();
    // PostgreSQL also needs the bulk approval's dead row versions vacuumed, as autovacuum
    // would do on a live system; SQLite rewrites in place and only needs statistics.
    let maintenance = match fresh.store.dialect() {
        daihuo_store::Dialect::Postgres => "VACUUM ANALYZE",
        daihuo_store::Dialect::Sqlite => "ANALYZE",
    };
    sqlx::raw_sql(maintenance)
        .execute(fresh.store.pool())
        .await
        .context("analyze")?;
    let analyze_s = started.elapsed().as_secs_f64();
    eprintln!("analyzed in {analyze_s:.1} s");
    Ok(analyze_s)
}

/// Loads SKUs `0..skus` through `upsert_skus`, chunk `k` going to supplier `k % suppliers`.
async fn load(
    services: &Services,
    suppliers: &[Actor],
    seed: u64,
    skus: u64,
) -> anyhow::Result<()> {
    let chunk = BULK_SKUS_MAX as u64;
    let chunks = skus.div_ceil(chunk);
    let next_chunk = Arc::new(AtomicU64::new(0));
    let bar = sku_bar(skus);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..LOADER_TASKS {
        let services = services.clone();
        let suppliers = suppliers.to_vec();
        let next_chunk = next_chunk.clone();
        let bar = bar.clone();
        tasks.spawn(async move {
            loop {
                let k = next_chunk.fetch_add(1, Ordering::Relaxed);
                if k >= chunks {
                    return anyhow::Ok(());
                }
                let start = k * chunk;
                let end = (start + chunk).min(skus);
                let inputs = (start..end)
                    .map(|i| (i, sku_input(seed, i)))
                    .collect::<Vec<_>>();
                let actor = &suppliers[usize::try_from(k).unwrap_or(0) % suppliers.len()];
                let report = services
                    .upsert_skus(actor, inputs)
                    .await
                    .map_err(service_error)?;
                if report.rejected > 0 {
                    let first = report.results.iter().find_map(|r| r.error.clone());
                    anyhow::bail!(
                        "{} SKUs of chunk {k} were refused, e.g. {first:?}",
                        report.rejected
                    );
                }
                bar.inc(end - start);
                // A bar is not drawn when stderr is not a terminal (a run logged to a
                // file); say how far the build is in plain lines instead.
                if bar.is_hidden() && k % PROGRESS_LINE_CHUNKS == PROGRESS_LINE_CHUNKS - 1 {
                    eprintln!("{} SKUs loaded", bar.position());
                }
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.context("loader task")??;
    }
    bar.finish_and_clear();
    Ok(())
}

/// Runs every case on every page once, unmeasured, so the measured phases start with warm
/// caches as a running node has; prints the result counts so a case that finds nothing is
/// seen before its figures are trusted.
async fn warm_up(services: &Services, anchor: &Actor, cases: &[QueryCase]) -> anyhow::Result<()> {
    eprintln!("warm-up: {} cases × {PAGES} pages", cases.len());
    for case in cases {
        let mut counts = Vec::new();
        let started = Instant::now();
        for page in 0..PAGES {
            let found = services
                .search_pool(anchor, case.page(page))
                .await
                .map_err(service_error)?;
            counts.push(found.items.len());
        }
        eprintln!(
            "  {:<20} {:>8.1} ms  pages {:?}  {}",
            case.kind,
            started.elapsed().as_secs_f64() * 1000.0 / PAGES as f64,
            counts,
            case.describe()
        );
    }
    Ok(())
}

/// Runs `queries` queries of the mix from `clients` clients at once; query `i` is case
/// `i % cases` on page `(i / cases) % PAGES`, and client `c` sends the queries `i ≡ c`.
async fn run_phase(
    services: &Services,
    anchor: &Actor,
    cases: &Arc<Vec<QueryCase>>,
    queries: u64,
    clients: usize,
) -> anyhow::Result<PhaseStats> {
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for client in 0..clients {
        let services = services.clone();
        let anchor = anchor.clone();
        let cases = cases.clone();
        tasks.spawn(async move {
            let mut stats = PhaseStats::new()?;
            let case_count = cases.len() as u64;
            let mut i = client as u64;
            while i < queries {
                let case = &cases[usize::try_from(i % case_count).unwrap_or(0)];
                let page = i64::try_from((i / case_count) % PAGES as u64).unwrap_or(0);
                let search = case.page(page);
                let sent = Instant::now();
                let found = services
                    .search_pool(&anchor, search)
                    .await
                    .map_err(service_error)?;
                stats.record(case.kind, sent.elapsed(), found.items.len())?;
                i += clients as u64;
            }
            anyhow::Ok(stats)
        });
    }
    let mut total = PhaseStats::new()?;
    while let Some(done) = tasks.join_next().await {
        total.merge(done.context("client task")??)?;
    }
    total.elapsed = started.elapsed();
    Ok(total)
}
