//! `mediation-bench`: a gRPC load generator for the mediation backend. It starts the real
//! gateway on a free loopback port (in this process, or as a child `mediation serve` process
//! when the server's own memory is measured) over a fresh SQLite file, a scratch PostgreSQL
//! database it creates and drops, or a database named by `--database-url`. It seeds a
//! synthetic district of the requested size straight through the service crates' repos, then
//! drives each scenario with tonic clients and reports throughput, latency percentiles and
//! errors by gRPC code, with every scenario next to `empty` (the health-check floor) measured
//! in the same run on the same server, and `book` next to the raw database ceiling of the same
//! writes. `--sweep` repeats the scenarios at several concurrencies and draws them as an SVG.
//!
//! It owns no business rules and never reaches into a service's internals beyond the repo
//! functions used for seeding and for the raw ceiling: what it measures is what a client sees.

mod chart;
mod cpu;
mod h2load;
mod load;
mod names;
mod raw;
mod report;
mod scenario;
mod seed;
mod server;
mod streams;
mod summary;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use mediation_auth::Role;

use crate::load::LoadOptions;
use crate::report::{Config, Machine, Point, Report, SeedInfo, StreamRun};
use crate::scenario::{Scenario, Shared};
use crate::seed::SeedOptions;
use crate::streams::StreamOptions;

/// Load-test the mediation gateway against a seeded synthetic district.
#[derive(Debug, Parser)]
#[command(name = "mediation-bench", version)]
struct Cli {
    /// Scenarios to run, in order, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "empty,search-mediators")]
    scenarios: Vec<Scenario>,
    /// Stations under the one centre.
    #[arg(long, default_value_t = 24)]
    stations: usize,
    /// Mediators spread over the stations (with hours and a room each when an appointment
    /// scenario runs).
    #[arg(long, default_value_t = 10_000)]
    mediators: usize,
    /// Share of the mediators (0 to 1) seeded with a rating summary.
    #[arg(long, default_value_t = 0.0)]
    rated: f64,
    /// Residents, each with a case of each grade (seeded when a scenario needs them) and, for
    /// `streams`, a home visit today; each watches it on `--streams` / `--residents` devices
    /// (the server allows 8 streams an account by default).
    #[arg(long, default_value_t = 2000)]
    residents: usize,
    /// Sessions booked before any scenario runs, spread evenly over every bookable hour of the
    /// next 30 days (for availability as the calendar fills; needs an appointment scenario).
    #[arg(long, default_value_t = 0)]
    bookings: usize,
    /// Run only this variant of `search-availability` (ordinary-at-station, difficult-district,
    /// major-joint, one-mediator) instead of all four in turn.
    #[arg(long)]
    variant: Option<String>,
    /// What makes the calls: tonic clients in this process (every scenario), or h2load in a
    /// process of its own, one connection per call in flight, repeating each slice's request
    /// (read scenarios only; the method; needs Debian's nghttp2-client).
    #[arg(long, value_enum, default_value_t = Driver::Tonic)]
    driver: Driver,
    /// HTTP/2 connections the workers share (the tonic driver).
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// Calls in flight at once (one per worker).
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Run every scenario at each of these concurrencies instead, e.g. 1,4,16,64.
    #[arg(long, value_delimiter = ',')]
    sweep: Vec<usize>,
    /// Measured seconds per scenario.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Unmeasured seconds before each scenario's window.
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// Cut each scenario's warm-up and window into this many slices and run the scenarios' slices
    /// in turn (empty, search, empty, search, ...), so that a machine changing speed during the
    /// run weighs on every scenario alike and the ratios between them hold.
    #[arg(long, default_value_t = 1)]
    interleave: u32,
    /// Skip the raw database ceiling that follows `book`.
    #[arg(long)]
    no_raw_ceiling: bool,
    /// WatchVisit streams `streams` opens.
    #[arg(long, default_value_t = 10_000)]
    streams: usize,
    /// Connections the streams share (more are opened if the server's 200 streams a
    /// connection would not hold them).
    #[arg(long, default_value_t = 100)]
    stream_connections: usize,
    /// Seconds the streams stay open with van positions flowing.
    #[arg(long, default_value_t = 10.0)]
    stream_seconds: f64,
    /// Van position reports a second while the streams are open.
    #[arg(long, default_value_t = 20.0)]
    reports_per_second: f64,
    /// Run the gateway as a child process (`mediation serve`), as `streams` always does.
    #[arg(long)]
    child_gateway: bool,
    /// The `mediation` binary for a child gateway [default: next to this binary].
    #[arg(long)]
    gateway_binary: Option<PathBuf>,
    /// Use this database (sqlite://PATH or postgres://...) instead of a fresh SQLite file.
    #[arg(long, conflicts_with = "postgres")]
    database_url: Option<String>,
    /// Create a scratch database on this PostgreSQL server (postgres://user@host:port) for the
    /// run, and drop it afterwards.
    #[arg(long)]
    postgres: Option<String>,
    /// Also write the results as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Draw the sweep's throughput and p99 against concurrency into this SVG file.
    #[arg(long)]
    svg: Option<PathBuf>,
    /// Seed of the synthetic district and of the query mix.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Tracing filter for the in-process server's logs (to standard error).
    #[arg(long, default_value = "warn")]
    log: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Driver {
    Tonic,
    H2load,
}

fn seconds(value: f64, name: &str) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(value).map_err(|_| anyhow::anyhow!("--{name} must be a non-negative number of seconds"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `mediation-bench summarize FILE.json...`: the medians of earlier runs, no load.
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("summarize") {
        let paths: Vec<PathBuf> = args[2..].iter().map(PathBuf::from).collect();
        anyhow::ensure!(!paths.is_empty(), "usage: mediation-bench summarize FILE.json...");
        print!("{}", summary::summarize(&paths)?);
        return Ok(());
    }
    let cli = Cli::parse();
    anyhow::ensure!(cli.connections >= 1, "--connections must be at least 1");
    anyhow::ensure!(cli.concurrency >= 1 && !cli.sweep.contains(&0), "concurrency must be at least 1");
    anyhow::ensure!(cli.duration > 0.0, "--duration must be positive");
    anyhow::ensure!(cli.interleave >= 1, "--interleave must be at least 1");
    let wants = |s: Scenario| cli.scenarios.contains(&s);
    if cli.driver == Driver::H2load {
        anyhow::ensure!(h2load::installed(), "--driver h2load needs h2load on the PATH (apt install nghttp2-client)");
        anyhow::ensure!(cli.sweep.is_empty(), "--driver h2load runs one concurrency, not a --sweep");
        // h2load repeats one request a slice, so a mix needs a slice for each of its requests.
        for scenario in &cli.scenarios {
            let kinds = if *scenario == Scenario::SearchAvailability && cli.variant.is_some() {
                1
            } else {
                scenario.variants().len()
            };
            anyhow::ensure!(
                cli.interleave as usize >= kinds,
                "--driver h2load: {} mixes {kinds} requests, so it needs --interleave of at least {kinds}",
                scenario.name()
            );
        }
    }
    anyhow::ensure!(
        cli.mediators > 0
            || ![Scenario::SearchMediators, Scenario::SearchMediatorsSignedIn, Scenario::Mixed].into_iter().any(wants),
        "search-mediators needs --mediators of at least 1"
    );
    let appointments = cli.scenarios.iter().any(|s| s.needs_appointments());
    let needs_residents = appointments
        || [
            Scenario::Login,
            Scenario::Streams,
            Scenario::EmptySignedIn,
            Scenario::GetMe,
            Scenario::SearchMediatorsSignedIn,
        ]
        .into_iter()
        .any(wants);
    anyhow::ensure!(!needs_residents || cli.residents > 0, "these scenarios need --residents of at least 1");
    let concurrencies = if cli.sweep.is_empty() { vec![cli.concurrency] } else { cli.sweep.clone() };
    let warmup = seconds(cli.warmup, "warmup")?;
    let duration = seconds(cli.duration, "duration")?;
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_new(&cli.log).context("--log")?)
        .with_writer(std::io::stderr)
        .init();

    let machine = Machine::this();
    if let Some(load) = machine.load_average.filter(|load| *load > 0.5 * machine.cpus as f64) {
        eprintln!("warning: load average {load:.2} on {} cpus; other work will skew the figures", machine.cpus);
    }
    // Declared before the server, so it is dropped (the database with it) after the server stops.
    let scratch = cli.postgres.as_deref().map(server::ScratchPostgres::create).transpose()?;
    let database_url = scratch.as_ref().map(|s| s.url()).or(cli.database_url.clone());
    let child = (cli.child_gateway || wants(Scenario::Streams))
        .then(|| cli.gateway_binary.clone().unwrap_or_else(server::default_gateway_binary));
    let mut server = server::Server::start(database_url.as_deref(), child.as_deref()).await?;
    let where_ = if child.is_some() { "child process" } else { "in process" };
    eprintln!("gateway on {} ({}, {where_})", server.url(), server.backend());
    let seed_options = SeedOptions {
        stations: cli.stations,
        mediators: cli.mediators,
        rated: cli.rated,
        hours: appointments,
        residents: if needs_residents { cli.residents } else { 0 },
        completed_per_resident: if wants(Scenario::Mixed) { 3 } else { 0 },
        visits: wants(Scenario::Streams),
        bookings: cli.bookings,
        seed: cli.seed,
    };
    let district = seed::seed(server.db(), &seed_options).await.context("seeding the district")?;
    eprintln!(
        "seeded {} stations, {} mediators, {} residents in {:.2} s",
        cli.stations, cli.mediators, seed_options.residents, district.seconds
    );
    let idle = server.child_pid().and_then(streams::rss_of);
    let seed_seconds = district.seconds;
    let tokens = district
        .residents
        .iter()
        .map(|r| server.token(&r.account_id, Role::Resident))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let admin_token = scenario::bearer(&server.token(&district.admin_account_id, Role::CentreAdmin)?)?;
    let mediator_tokens = if cli.scenarios.contains(&Scenario::StartNow) {
        district
            .bookable
            .iter()
            .map(|b| server.token_at(&b.account_id, Role::Mediator, Some(&b.site_id)))
            .collect::<anyhow::Result<Vec<_>>>()?
    } else {
        Vec::new()
    };
    let only_variant = match &cli.variant {
        None => None,
        Some(name) => Some(
            Scenario::SearchAvailability
                .variants()
                .iter()
                .position(|v| v == name)
                .with_context(|| format!("--variant {name}: not a variant of search-availability"))?,
        ),
    };
    let shared = Arc::new(Shared::new(Arc::new(district), tokens, mediator_tokens, only_variant)?);

    let channels = load::connect(&server.url(), cli.connections).await?;
    // The h2load driver's caller of each scenario: it draws each slice's request in turn, so
    // that the slices cover the scenario's mix of queries.
    let mut wire_callers: Vec<scenario::Caller> = match cli.driver {
        Driver::Tonic => Vec::new(),
        Driver::H2load => cli
            .scenarios
            .iter()
            .map(|_| {
                let rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(cli.seed);
                scenario::Caller::new(channels[0].clone(), shared.clone(), rng, 0)
            })
            .collect(),
    };
    let mut points = Vec::new();
    for &concurrency in &concurrencies {
        let options = LoadOptions {
            connections: cli.connections,
            concurrency,
            duration: duration / cli.interleave,
            warmup: warmup / cli.interleave,
        };
        // One entry per measured window of a slice, in the same order in every slice.
        let mut windows: Vec<load::Measured> = Vec::new();
        for slice in 0..cli.interleave {
            let mut measured = Vec::new();
            for (index, scenario) in cli.scenarios.iter().copied().enumerate().filter(|(_, s)| *s != Scenario::Streams)
            {
                eprintln!(
                    "running {} for {:.1} s after {:.1} s of warm-up (slice {} of {}): {concurrency} workers over {} connections",
                    scenario.name(),
                    options.duration.as_secs_f64(),
                    options.warmup.as_secs_f64(),
                    slice + 1,
                    cli.interleave,
                    options.connections
                );
                if cli.driver == Driver::H2load {
                    let (variant, call) = wire_callers[index].next_wire_call(scenario)?;
                    let (name, variants) = (scenario.name(), scenario.variants());
                    let url = server.url();
                    measured.push(h2load::run(name, variants, variant, &call, &url, &channels[0], options).await?);
                    continue;
                }
                // Each slice seeds its workers anew, so that slices do not repeat each other's calls.
                let seed = cli.seed.wrapping_add(u64::from(slice));
                measured.push(load::run(scenario, &channels, shared.clone(), options, seed).await?);
                if scenario == Scenario::Book && !cli.no_raw_ceiling {
                    eprintln!(
                        "running {} (the same writes straight through the pool): {concurrency} workers",
                        raw::NAME
                    );
                    let workers =
                        (0..concurrency).map(|w| raw::RawBooker::new(server.db().clone(), shared.clone(), w)).collect();
                    measured.push(load::drive(raw::NAME, raw::VARIANTS, workers, options).await?);
                    eprintln!("running {} (one insert a transaction): {concurrency} workers", raw::BARE_NAME);
                    let workers = (0..concurrency).map(|_| raw::BareCommit::new(server.db().clone())).collect();
                    measured.push(load::drive(raw::BARE_NAME, raw::BARE_VARIANTS, workers, options).await?);
                }
            }
            if windows.is_empty() {
                windows = measured;
            } else {
                for (window, more) in windows.iter_mut().zip(measured) {
                    window.absorb(more);
                }
            }
        }
        let results: Vec<_> = windows.iter().map(report::scenario_result).collect();
        points.push(Point { concurrency, ratios: report::ratios(&results), scenarios: results });
    }
    drop(channels);

    let mut stream_run = None;
    if wants(Scenario::Streams) {
        let pid = server.child_pid().context("streams needs a child gateway")?;
        let options = StreamOptions {
            streams: cli.streams,
            connections: cli.stream_connections,
            duration: seconds(cli.stream_seconds, "stream-seconds")?,
            reports_per_second: cli.reports_per_second,
        };
        let (measured, figures) = streams::run(&server.url(), pid, idle, shared.clone(), admin_token, options).await?;
        stream_run = Some(StreamRun { result: report::scenario_result(&measured), figures });
    }
    server.stop().await?;
    drop(scratch);

    let report = Report {
        machine,
        config: Config {
            backend: server.backend().to_owned(),
            stations: cli.stations,
            mediators: cli.mediators,
            rated: cli.rated,
            residents: seed_options.residents,
            bookings: cli.bookings,
            driver: match cli.driver {
                Driver::Tonic => "tonic",
                Driver::H2load => "h2load",
            },
            connections: if cli.driver == Driver::H2load { cli.concurrency } else { cli.connections },
            concurrency: concurrencies,
            duration_secs: cli.duration,
            warmup_secs: cli.warmup,
        },
        seed: SeedInfo { seconds: seed_seconds },
        points,
        streams: stream_run,
    };
    report::print(&report);
    if let Some(path) = &cli.json {
        let json = serde_json::to_string_pretty(&report)?;
        std::fs::write(path, json + "\n").with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &cli.svg {
        let title = format!("mediation-bench on {} ({} cpus)", report.config.backend, report.machine.cpus);
        chart::draw(path, &title, &report.points)?;
    }
    Ok(())
}
