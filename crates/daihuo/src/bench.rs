//! Benchmarks (`daihuo bench …`): progress on stderr, one JSON line on stdout.

use clap::Subcommand;

/// A benchmark scenario.
#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Pool search over a large synthetic catalogue.
    Search,
}

/// Runs a benchmark.
pub async fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Search => anyhow::bail!("not yet"),
    }
}
