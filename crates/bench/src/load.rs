//! The load generator: `concurrency` workers share `connections` HTTP/2 connections, each
//! making one call at a time for the warm-up and then the measured window. A call counts when
//! it starts and ends inside the window; latencies go to HDR histograms, failures are counted
//! by gRPC code. The same driver runs the raw database ceiling, whose workers write through a
//! pool instead of calling the server.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use hdrhistogram::Histogram;
use rand::SeedableRng;
use rand::rngs::StdRng;
use tonic::transport::{Channel, Endpoint};

use crate::cpu::{self, CpuUse};
use crate::scenario::{Caller, Outcome, Scenario, Shared};

/// Latencies are recorded in nanoseconds, up to a minute, to three significant figures.
const MAX_NANOS: u64 = 60_000_000_000;
/// How often a long run reports its progress.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy)]
pub struct LoadOptions {
    pub connections: usize,
    pub concurrency: usize,
    pub duration: Duration,
    pub warmup: Duration,
}

pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_NANOS, 3).expect("constant histogram bounds are valid")
}

/// The calls of one variant of a scenario.
#[derive(Debug, Clone)]
pub struct Tally {
    /// Latencies of the calls that succeeded.
    pub latency: Histogram<u64>,
    /// Failed calls by gRPC code.
    pub errors: BTreeMap<String, u64>,
    /// Results returned by the successful calls (hits of a search), to show the queries matched.
    pub results: u64,
}

impl Default for Tally {
    fn default() -> Self {
        Self::new()
    }
}

impl Tally {
    pub fn new() -> Self {
        Self { latency: histogram(), errors: BTreeMap::new(), results: 0 }
    }

    pub fn ok(&self) -> u64 {
        self.latency.len()
    }

    pub fn calls(&self) -> u64 {
        self.ok() + self.errors.values().sum::<u64>()
    }

    pub fn add(&mut self, other: &Tally) {
        self.latency.add(&other.latency).expect("histograms of the same bounds add");
        for (code, count) in &other.errors {
            *self.errors.entry(code.clone()).or_default() += count;
        }
        self.results += other.results;
    }
}

/// One scenario's measured window.
#[derive(Debug, Clone)]
pub struct Measured {
    pub name: &'static str,
    /// The names of the entries of `variants`.
    pub variant_names: &'static [&'static str],
    pub seconds: f64,
    pub total: Tally,
    /// One tally per entry of [`Scenario::variants`].
    pub variants: Vec<Tally>,
    /// Seconds each variant ran on its own, when a driver repeats one request at a time
    /// (h2load); empty when the variants take turns call by call through the whole window.
    pub seconds_alone: Vec<f64>,
    /// Cores busy during the window, here and elsewhere on the machine.
    pub cpu: Option<CpuUse>,
}

impl Measured {
    /// Adds another window of the same scenario: its calls, its seconds, and its cores busy
    /// weighted by its length.
    pub fn absorb(&mut self, other: Measured) {
        assert_eq!(self.name, other.name, "only windows of one scenario add up");
        self.total.add(&other.total);
        for (sum, tally) in self.variants.iter_mut().zip(&other.variants) {
            sum.add(tally);
        }
        if self.seconds_alone.len() == other.seconds_alone.len() {
            for (sum, more) in self.seconds_alone.iter_mut().zip(&other.seconds_alone) {
                *sum += more;
            }
        } else {
            self.seconds_alone.clear();
        }
        let seconds = self.seconds + other.seconds;
        self.cpu = match (self.cpu, other.cpu) {
            (Some(mine), Some(theirs)) => Some(CpuUse {
                this_process: (mine.this_process * self.seconds + theirs.this_process * other.seconds) / seconds,
                others: (mine.others * self.seconds + theirs.others * other.seconds) / seconds,
            }),
            _ => None,
        };
        self.seconds = seconds;
    }
}

/// Opens `count` separate HTTP/2 connections to `url`.
pub async fn connect(url: &str, count: usize) -> anyhow::Result<Vec<Channel>> {
    let mut channels = Vec::with_capacity(count);
    for _ in 0..count {
        let endpoint = Endpoint::from_shared(url.to_owned())?.tcp_nodelay(true);
        channels.push(endpoint.connect().await.with_context(|| format!("connecting to {url}"))?);
    }
    Ok(channels)
}

/// One call at a time, over and over: a load worker.
pub trait Worker: Send + 'static {
    fn call(&mut self) -> impl Future<Output = Outcome> + Send;
}

/// A worker calling the server for one scenario.
struct ScenarioWorker {
    scenario: Scenario,
    caller: Caller,
}

impl Worker for ScenarioWorker {
    async fn call(&mut self) -> Outcome {
        self.caller.call(self.scenario).await
    }
}

/// The cores busy from `from` to `until`, here and elsewhere on the machine, sampled at each.
pub async fn cores_busy(from: Instant, until: Instant) -> Option<CpuUse> {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    tokio::time::sleep_until(from.into()).await;
    let start = cpu::sample();
    tokio::time::sleep_until(until.into()).await;
    cpu::between(start?, cpu::sample()?, cpus)
}

/// Runs `scenario` over `channels` and returns the measured window.
pub async fn run(
    scenario: Scenario,
    channels: &[Channel],
    shared: Arc<Shared>,
    options: LoadOptions,
    seed: u64,
) -> anyhow::Result<Measured> {
    let workers = (0..options.concurrency)
        .map(|worker| {
            let channel = channels[worker % channels.len()].clone();
            let rng = StdRng::seed_from_u64(seed ^ (worker as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
            ScenarioWorker { scenario, caller: Caller::new(channel, shared.clone(), rng, worker) }
        })
        .collect();
    drive(scenario.name(), scenario.variants(), workers, options).await
}

/// Runs `workers` concurrently through the warm-up and the measured window.
pub async fn drive<W: Worker>(
    name: &'static str,
    variant_names: &'static [&'static str],
    workers: Vec<W>,
    options: LoadOptions,
) -> anyhow::Result<Measured> {
    let measure_from = Instant::now() + options.warmup;
    let measure_until = measure_from + options.duration;
    let done = Arc::new(AtomicU64::new(0));
    let progress = (options.duration + options.warmup > 2 * PROGRESS_EVERY).then(|| {
        let done = done.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(PROGRESS_EVERY);
            ticker.tick().await;
            loop {
                ticker.tick().await;
                let phase = if Instant::now() < measure_from { "warming up" } else { "measuring" };
                eprintln!("  {name}: {} calls so far ({phase})", done.load(Ordering::Relaxed));
            }
        })
    });

    let cpu = tokio::spawn(cores_busy(measure_from, measure_until));

    let variants = variant_names.len();
    let tasks: Vec<_> = workers
        .into_iter()
        .map(|mut worker| {
            let done = done.clone();
            tokio::spawn(async move {
                let mut tallies: Vec<Tally> = (0..variants).map(|_| Tally::new()).collect();
                loop {
                    let started = Instant::now();
                    if started >= measure_until {
                        break;
                    }
                    let (variant, result) = worker.call().await;
                    let finished = Instant::now();
                    done.fetch_add(1, Ordering::Relaxed);
                    if started < measure_from || finished > measure_until {
                        continue;
                    }
                    let tally = &mut tallies[variant];
                    match result {
                        Ok(results) => {
                            let nanos = u64::try_from((finished - started).as_nanos()).unwrap_or(u64::MAX);
                            tally.latency.saturating_record(nanos.max(1));
                            tally.results += results as u64;
                        }
                        Err(status) => *tally.errors.entry(format!("{:?}", status.code())).or_default() += 1,
                    }
                }
                tallies
            })
        })
        .collect();

    let mut per_variant: Vec<Tally> = (0..variants).map(|_| Tally::new()).collect();
    for task in tasks {
        for (sum, tally) in per_variant.iter_mut().zip(task.await.context("a load worker panicked")?) {
            sum.add(&tally);
        }
    }
    if let Some(progress) = progress {
        progress.abort();
    }
    let mut total = Tally::new();
    for tally in &per_variant {
        total.add(tally);
    }
    let cpu = cpu.await.context("the CPU sampler panicked")?;
    let seconds = options.duration.as_secs_f64();
    Ok(Measured { name, variant_names, seconds, total, variants: per_variant, seconds_alone: Vec::new(), cpu })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(seconds: f64, latencies: &[u64], failed: u64, busy: f64) -> Measured {
        let mut tally = Tally::new();
        for nanos in latencies {
            tally.latency.record(*nanos).unwrap();
        }
        if failed > 0 {
            tally.errors.insert("Unavailable".into(), failed);
        }
        Measured {
            name: "empty",
            variant_names: &["check"],
            seconds,
            total: tally.clone(),
            variants: vec![tally],
            seconds_alone: Vec::new(),
            cpu: Some(CpuUse { this_process: busy, others: 0.0 }),
        }
    }

    #[test]
    fn slices_of_a_window_add_up_to_one() {
        let mut whole = window(1.0, &[1_000, 2_000], 1, 2.0);
        whole.absorb(window(3.0, &[3_000, 4_000, 5_000, 6_000], 0, 1.0));
        assert_eq!(whole.seconds, 4.0);
        assert_eq!((whole.total.ok(), whole.total.calls()), (6, 7));
        assert_eq!(whole.variants[0].ok(), 6);
        assert_eq!(whole.total.latency.max(), whole.total.latency.highest_equivalent(6_000));
        let busy = whole.cpu.unwrap().this_process;
        assert!((busy - 1.25).abs() < 1e-9, "cores busy weighted by each slice's length, not {busy}");
    }
}
