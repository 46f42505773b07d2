//! `mediation-bench`: a gRPC load generator for the mediation backend. It starts the real
//! gateway in-process on a free loopback port (over a fresh SQLite file, or a database named by
//! `--database-url`), seeds a synthetic district of the requested size straight through the
//! service crates' repos, then drives each scenario with tonic clients and reports throughput,
//! latency percentiles and errors by gRPC code, with every scenario next to `empty` (the
//! health-check floor) measured in the same run on the same server.
//!
//! It owns no business rules and never reaches into a service's internals beyond the repo
//! functions used for seeding: what it measures is what a client sees.

mod cpu;
mod load;
mod names;
mod report;
mod scenario;
mod seed;
mod server;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;

use crate::load::LoadOptions;
use crate::report::{Config, Machine, Report, SeedInfo};
use crate::scenario::Scenario;
use crate::seed::SeedOptions;

/// Load-test the mediation gateway in-process against a seeded synthetic district.
#[derive(Debug, Parser)]
#[command(name = "mediation-bench", version)]
struct Cli {
    /// Scenarios to run, in order, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "empty,search-mediators")]
    scenarios: Vec<Scenario>,
    /// Stations under the one centre.
    #[arg(long, default_value_t = 24)]
    stations: usize,
    /// Mediators spread over the stations.
    #[arg(long, default_value_t = 10_000)]
    mediators: usize,
    /// Share of the mediators (0 to 1) seeded with a rating summary.
    #[arg(long, default_value_t = 0.0)]
    rated: f64,
    /// HTTP/2 connections the workers share.
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// Calls in flight at once (one per worker).
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Measured seconds per scenario.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Unmeasured seconds before each scenario's window.
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// Use this database (sqlite://PATH or postgres://...) instead of a fresh SQLite file.
    #[arg(long)]
    database_url: Option<String>,
    /// Also write the results as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Seed of the synthetic district and of the query mix.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Tracing filter for the in-process server's logs (to standard error).
    #[arg(long, default_value = "warn")]
    log: String,
}

fn seconds(value: f64, name: &str) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(value).map_err(|_| anyhow::anyhow!("--{name} must be a non-negative number of seconds"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    anyhow::ensure!(cli.connections >= 1, "--connections must be at least 1");
    anyhow::ensure!(cli.concurrency >= 1, "--concurrency must be at least 1");
    anyhow::ensure!(cli.duration > 0.0, "--duration must be positive");
    anyhow::ensure!(
        cli.mediators > 0 || !cli.scenarios.contains(&Scenario::SearchMediators),
        "search-mediators needs --mediators of at least 1"
    );
    let options = LoadOptions {
        connections: cli.connections,
        concurrency: cli.concurrency,
        duration: seconds(cli.duration, "duration")?,
        warmup: seconds(cli.warmup, "warmup")?,
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_new(&cli.log).context("--log")?)
        .with_writer(std::io::stderr)
        .init();

    let machine = Machine::this();
    if let Some(load) = machine.load_average.filter(|load| *load > 0.5 * machine.cpus as f64) {
        eprintln!("warning: load average {load:.2} on {} cpus; other work will skew the figures", machine.cpus);
    }
    let mut server = server::Server::start(cli.database_url.as_deref()).await?;
    eprintln!("gateway on {} ({})", server.url(), server.backend());
    let district = seed::seed(
        server.db(),
        &SeedOptions { stations: cli.stations, mediators: cli.mediators, rated: cli.rated, seed: cli.seed },
    )
    .await
    .context("seeding the district")?;
    eprintln!("seeded {} stations and {} mediators in {:.2} s", cli.stations, cli.mediators, district.seconds);
    let seed_seconds = district.seconds;
    let district = Arc::new(district);

    let channels = load::connect(&server.url(), options.connections).await?;
    let mut results = Vec::new();
    for scenario in &cli.scenarios {
        eprintln!(
            "running {} for {:.0} s after {:.0} s of warm-up: {} workers over {} connections",
            scenario.name(),
            cli.duration,
            cli.warmup,
            options.concurrency,
            options.connections
        );
        let measured = load::run(*scenario, &channels, district.clone(), options, cli.seed).await?;
        results.push(report::scenario_result(&measured));
    }
    drop(channels);
    server.stop().await?;

    let report = Report {
        machine,
        config: Config {
            backend: server.backend().to_owned(),
            stations: cli.stations,
            mediators: cli.mediators,
            rated: cli.rated,
            connections: cli.connections,
            concurrency: cli.concurrency,
            duration_secs: cli.duration,
            warmup_secs: cli.warmup,
        },
        seed: SeedInfo { seconds: seed_seconds },
        ratios: report::ratios(&results),
        scenarios: results,
    };
    report::print(&report);
    if let Some(path) = &cli.json {
        let json = serde_json::to_string_pretty(&report)?;
        std::fs::write(path, json + "\n").with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
