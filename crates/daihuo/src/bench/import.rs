//! `daihuo bench import`: a CSV catalogue feed through `Services::import_feed`, the path
//! `daihuo import` and suppliers' nightly feeds take.

use super::{create_accounts, round3, service_error, services_over, sku_bar, sku_input};
use super::{FreshStore, FreshStoreArgs, SKUS_MAX};
use anyhow::Context;
use clap::Args;
use serde_json::json;
use std::time::Instant;

/// Rows between two plain progress lines when no bar is drawn.
const PROGRESS_LINE_ROWS: u64 = 10_000;

/// Arguments of `daihuo bench import`.
#[derive(Args, Debug, Clone)]
pub struct ImportArgs {
    /// SKUs in the feed.
    #[arg(long, default_value_t = 100_000)]
    pub skus: u64,
    /// Seed of the synthetic catalogue.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Where to build the store.
    #[command(flatten)]
    pub store: FreshStoreArgs,
}

/// Runs the benchmark: writes the feed (not timed), then imports it (timed).
pub async fn run(args: ImportArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        (1..=SKUS_MAX).contains(&args.skus),
        "--skus must be 1 to {SKUS_MAX}"
    );
    let feed_path = std::env::temp_dir().join(format!(
        "daihuo-bench-import-{}-{}.csv",
        std::process::id(),
        daihuo_store::now_ms()
    ));
    write_feed(&feed_path, args.seed, args.skus)?;
    let result = import(&args, &feed_path).await;
    std::fs::remove_file(&feed_path).with_context(|| format!("remove {}", feed_path.display()))?;
    result
}

/// Writes `skus` synthetic SKUs as a CSV feed.
fn write_feed(path: &std::path::Path, seed: u64, skus: u64) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut writer =
        csv::Writer::from_path(path).with_context(|| format!("create {}", path.display()))?;
    daihuo_service::feed::write_header(&mut writer).context("write the feed header")?;
    for index in 0..skus {
        daihuo_service::feed::write_row(&mut writer, &sku_input(seed, index))
            .context("write a feed row")?;
    }
    writer.flush().context("write the feed")?;
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "wrote a feed of {skus} SKUs ({:.1} MB) in {:.1} s: {}",
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        path.display()
    );
    Ok(())
}

async fn import(args: &ImportArgs, feed_path: &std::path::Path) -> anyhow::Result<()> {
    let fresh = FreshStore::create(&args.store, "import").await?;
    let services = services_over(&fresh.store);
    let accounts = create_accounts(&services, 1).await?;
    let supplier = accounts
        .suppliers
        .first()
        .context("the benchmark supplier")?;
    let file =
        std::fs::File::open(feed_path).with_context(|| format!("open {}", feed_path.display()))?;
    let bar = sku_bar(args.skus);
    let started = Instant::now();
    let report = services
        .import_feed(supplier, std::io::BufReader::new(file), |rows| {
            bar.set_position(rows);
            // No bar is drawn when stderr is not a terminal; print plain lines instead.
            if bar.is_hidden() && rows % PROGRESS_LINE_ROWS == 0 {
                eprintln!("{rows} rows imported");
            }
        })
        .await
        .map_err(service_error)?;
    let seconds = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    eprintln!(
        "imported {} rows in {seconds:.1} s: {} created, {} updated, {} unchanged, {} rejected",
        report.rows, report.created, report.updated, report.unchanged, report.rejected
    );
    if let Some(first) = report.errors.first() {
        eprintln!("first refused row: {first:?}");
    }
    let store_label = fresh.label();
    fresh.finish().await?;
    println!(
        "{}",
        json!({
            "bench": "import",
            "store": store_label,
            "skus": args.skus,
            "seed": args.seed,
            "seconds": round3(seconds),
            "skus_per_s": (args.skus as f64 / seconds).round(),
            "created": report.created,
            "rejected": report.rejected,
        })
    );
    Ok(())
}
