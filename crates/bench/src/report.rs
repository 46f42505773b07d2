//! Results: the table printed after a run and the same figures as JSON.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::cpu::CpuUse;
use crate::load::{Measured, Tally};
use crate::raw;
use crate::scenario::Scenario;
use crate::streams::StreamFigures;

#[derive(Debug, Serialize)]
pub struct Report {
    pub machine: Machine,
    pub config: Config,
    pub seed: SeedInfo,
    /// One entry per concurrency of the sweep (one without `--sweep`).
    pub points: Vec<Point>,
    /// `streams`, which runs once, outside the sweep.
    pub streams: Option<StreamRun>,
}

/// Every scenario at one concurrency.
#[derive(Debug, Serialize)]
pub struct Point {
    pub concurrency: usize,
    pub scenarios: Vec<ScenarioResult>,
    /// Each scenario's throughput and p99 next to `empty`'s, and `book` next to the raw
    /// database ceiling, when both ran.
    pub ratios: BTreeMap<String, Ratio>,
}

#[derive(Debug, Serialize)]
pub struct StreamRun {
    pub result: ScenarioResult,
    pub figures: StreamFigures,
}

#[derive(Debug, Serialize)]
pub struct Machine {
    pub cpus: usize,
    pub memory_total_kib: Option<u64>,
    /// The one-minute load average as the run began: other work on the machine skews figures.
    pub load_average: Option<f64>,
}

impl Machine {
    pub fn this() -> Self {
        let memory_total_kib = std::fs::read_to_string("/proc/meminfo").ok().and_then(|info| {
            info.lines()
                .find_map(|line| line.strip_prefix("MemTotal:"))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        });
        let load_average = std::fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|text| text.split_whitespace().next().and_then(|first| first.parse().ok()));
        Self { cpus: std::thread::available_parallelism().map_or(1, |n| n.get()), memory_total_kib, load_average }
    }
}

#[derive(Debug, Serialize)]
pub struct Config {
    pub backend: String,
    pub stations: usize,
    pub mediators: usize,
    pub rated: f64,
    pub residents: usize,
    /// Sessions booked before the scenarios ran (`--bookings`).
    pub bookings: usize,
    /// What made the calls: `tonic` clients in the bench's process, or `h2load`.
    pub driver: &'static str,
    pub connections: usize,
    pub concurrency: Vec<usize>,
    pub duration_secs: f64,
    pub warmup_secs: f64,
}

#[derive(Debug, Serialize)]
pub struct SeedInfo {
    pub seconds: f64,
}

#[derive(Debug, Serialize)]
pub struct Figures {
    pub calls: u64,
    pub ok: u64,
    pub throughput: f64,
    pub p50_us: f64,
    pub p90_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
    pub mean_us: f64,
    /// Mean results per successful call (search hits).
    pub mean_results: f64,
    pub errors: BTreeMap<String, u64>,
}

#[derive(Debug, Serialize)]
pub struct ScenarioResult {
    pub name: &'static str,
    #[serde(flatten)]
    pub figures: Figures,
    /// Cores busy during the measured window: this process, and every other one.
    pub cpu: Option<CpuUse>,
    pub variants: BTreeMap<&'static str, Figures>,
}

#[derive(Debug, Serialize)]
pub struct Ratio {
    pub throughput: f64,
    pub p99: f64,
}

fn micros(nanos: u64) -> f64 {
    nanos as f64 / 1000.0
}

fn figures(tally: &Tally, seconds: f64) -> Figures {
    let h = &tally.latency;
    let q = |quantile| micros(h.value_at_quantile(quantile));
    Figures {
        calls: tally.calls(),
        ok: tally.ok(),
        throughput: tally.calls() as f64 / seconds,
        p50_us: q(0.50),
        p90_us: q(0.90),
        p99_us: q(0.99),
        max_us: micros(h.max()),
        mean_us: h.mean() / 1000.0,
        mean_results: if tally.ok() == 0 { 0.0 } else { tally.results as f64 / tally.ok() as f64 },
        errors: tally.errors.clone(),
    }
}

pub fn scenario_result(measured: &Measured) -> ScenarioResult {
    let names = measured.variant_names;
    if names.len() > 1 && measured.seconds_alone.len() == names.len() {
        return mix_of_variants_run_alone(measured);
    }
    ScenarioResult {
        name: measured.name,
        figures: figures(&measured.total, measured.seconds),
        cpu: measured.cpu,
        variants: if names.len() > 1 {
            names.iter().zip(&measured.variants).map(|(name, t)| (*name, figures(t, measured.seconds))).collect()
        } else {
            BTreeMap::new()
        },
    }
}

/// A mix whose variants each ran alone for a while (h2load): each variant's rate is over its
/// own seconds; the mix is what the tonic driver's is, an equal number of calls of each
/// variant that ran, so its rate is their harmonic mean; and each of its percentiles is the
/// slowest variant's, an upper bound of the mix's.
fn mix_of_variants_run_alone(measured: &Measured) -> ScenarioResult {
    let variants: BTreeMap<&'static str, Figures> = measured
        .variant_names
        .iter()
        .zip(&measured.variants)
        .zip(&measured.seconds_alone)
        .filter(|(_, seconds)| **seconds > 0.0)
        .map(|((name, tally), seconds)| (*name, figures(tally, *seconds)))
        .collect();
    let mut mix = figures(&measured.total, measured.seconds);
    let seconds_per_call: f64 = variants.values().map(|f| 1.0 / f.throughput).sum();
    mix.throughput = variants.len() as f64 / seconds_per_call;
    let worst = |percentile: fn(&Figures) -> f64| variants.values().map(percentile).fold(0.0, f64::max);
    mix.p50_us = worst(|f| f.p50_us);
    mix.p90_us = worst(|f| f.p90_us);
    mix.p99_us = worst(|f| f.p99_us);
    mix.mean_us = variants.values().map(|f| f.mean_us).sum::<f64>() / variants.len() as f64;
    ScenarioResult { name: measured.name, figures: mix, cpu: measured.cpu, variants }
}

fn ratio(of: &Figures, to: &Figures) -> Ratio {
    Ratio { throughput: of.throughput / to.throughput, p99: of.p99_us / to.p99_us }
}

/// Every scenario's figures over `empty`'s, and `book`'s over the raw database ceiling's.
pub fn ratios(results: &[ScenarioResult]) -> BTreeMap<String, Ratio> {
    let find = |name: &str| results.iter().find(|r| r.name == name);
    let mut ratios = BTreeMap::new();
    if let Some(empty) = find(Scenario::Empty.name()) {
        // A scenario whose calls all outlasted the window has no p99 to compare.
        for r in results.iter().filter(|r| r.name != empty.name && r.figures.ok > 0) {
            ratios.insert(format!("{}/empty", r.name), ratio(&r.figures, &empty.figures));
        }
    }
    if let (Some(book), Some(ceiling)) = (find(Scenario::Book.name()), find(raw::NAME)) {
        ratios.insert(format!("{}/{}", book.name, ceiling.name), ratio(&book.figures, &ceiling.figures));
    }
    if let (Some(ceiling), Some(bare)) = (find(raw::NAME), find(raw::BARE_NAME)) {
        ratios.insert(format!("{}/{}", ceiling.name, bare.name), ratio(&ceiling.figures, &bare.figures));
    }
    ratios
}

fn duration(us: f64) -> String {
    if us >= 1000.0 { format!("{:.2}ms", us / 1000.0) } else { format!("{us:.0}µs") }
}

fn row(name: &str, f: &Figures) -> String {
    let errors = if f.errors.is_empty() {
        "0".to_owned()
    } else {
        f.errors.iter().map(|(code, n)| format!("{code}={n}")).collect::<Vec<_>>().join(" ")
    };
    format!(
        "{name:<26} {:>9} {:>10.1} {:>9} {:>9} {:>9} {:>9} {:>8.1}  {errors}",
        f.calls,
        f.throughput,
        duration(f.p50_us),
        duration(f.p90_us),
        duration(f.p99_us),
        duration(f.max_us),
        f.mean_results,
    )
}

fn header() {
    println!(
        "{:<26} {:>9} {:>10} {:>9} {:>9} {:>9} {:>9} {:>8}  errors",
        "scenario", "calls", "calls/s", "p50", "p90", "p99", "max", "results"
    );
}

fn print_result(result: &ScenarioResult) {
    println!("{}", row(result.name, &result.figures));
    for (variant, figures) in &result.variants {
        println!("{}", row(&format!("  {variant}"), figures));
    }
}

fn kib(value: u64) -> String {
    format!("{:.1} MiB", value as f64 / 1024.0)
}

pub fn print(report: &Report) {
    for point in &report.points {
        println!();
        println!(
            "concurrency {} ({} connections, {}, driven by {})",
            point.concurrency, report.config.connections, report.config.backend, report.config.driver
        );
        header();
        for result in &point.scenarios {
            print_result(result);
        }
        print_point(report, point);
    }
    if let Some(streams) = &report.streams {
        let f = &streams.figures;
        println!();
        println!(
            "streams: {} of {} open over {} connections, latency to the first message:",
            f.streams_open, f.streams_requested, f.connections
        );
        header();
        print_result(&streams.result);
        println!(
            "streams: {} updates in {:.1} s ({:.0}/s) from {} position reports ({} failed)",
            f.updates_received, f.seconds_open, f.updates_per_second, f.position_reports, f.position_report_errors
        );
        if let (Some(idle), Some(busy)) = (f.server_idle, f.server_with_streams) {
            println!(
                "server memory: idle RSS {} (peak {}), with the streams open RSS {} (peak {}), {:.1} KiB a stream",
                kib(idle.rss_kib),
                kib(idle.peak_kib),
                kib(busy.rss_kib),
                kib(busy.peak_kib),
                f.kib_per_stream.unwrap_or(0.0)
            );
        }
    }
}

fn print_point(report: &Report, point: &Point) {
    for result in &point.scenarios {
        if let Some(cpu) = result.cpu {
            // On PostgreSQL the database server is one of the other processes, and h2load is one.
            let warning = if report.config.backend == "postgres" {
                "  (others include the PostgreSQL server)"
            } else if report.config.driver == "h2load" {
                "  (others include h2load)"
            } else if cpu.others > 0.1 {
                "  (a busy neighbour: treat these figures with care)"
            } else {
                ""
            };
            println!(
                "{}: cores busy in this process {:.2}, in others {:.2}{warning}",
                result.name, cpu.this_process, cpu.others
            );
        }
    }
    for (name, ratio) in &point.ratios {
        println!(
            "{name}: throughput {:.3} ({:.1}%), p99 {:.2}x",
            ratio.throughput,
            ratio.throughput * 100.0,
            ratio.p99
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(name: &'static str, throughput: f64, p99_us: f64) -> ScenarioResult {
        let figures = Figures {
            calls: 1,
            ok: 1,
            throughput,
            p50_us: 0.0,
            p90_us: 0.0,
            p99_us,
            max_us: 0.0,
            mean_us: 0.0,
            mean_results: 0.0,
            errors: BTreeMap::new(),
        };
        ScenarioResult { name, figures, cpu: None, variants: BTreeMap::new() }
    }

    fn tally(calls: u64, nanos: u64) -> Tally {
        let mut tally = Tally::new();
        tally.latency.record_n(nanos, calls).unwrap();
        tally
    }

    #[test]
    fn a_mix_of_variants_run_alone_counts_each_variant_s_calls_alike() {
        // Three variants; the third never ran. 1,000 fast calls in 1 s, 250 slow ones in 1 s.
        let (fast, slow) = (tally(1_000, 1_000_000), tally(250, 4_000_000));
        let mut total = fast.clone();
        total.add(&slow);
        let measured = Measured {
            name: "search-mediators",
            variant_names: &["fast", "slow", "idle"],
            seconds: 2.0,
            total,
            variants: vec![fast, slow, Tally::new()],
            seconds_alone: vec![1.0, 1.0, 0.0],
            cpu: None,
        };
        let result = scenario_result(&measured);
        // One call of each takes 1 ms + 4 ms of the server: 2 calls in 5 ms.
        assert!((result.figures.throughput - 400.0).abs() < 1e-9, "{}", result.figures.throughput);
        assert_eq!(result.figures.calls, 1_250);
        assert!((result.figures.p99_us - 4_000.0).abs() < 5.0, "the slow variant's p99: {}", result.figures.p99_us);
        assert_eq!(result.variants.keys().copied().collect::<Vec<_>>(), ["fast", "slow"]);
        assert!((result.variants["fast"].throughput - 1_000.0).abs() < 1e-9);
    }

    #[test]
    fn ratios_to_empty_and_to_the_raw_ceiling() {
        let results = [result("empty", 1000.0, 100.0), result("book", 250.0, 400.0), result(raw::NAME, 500.0, 200.0)];
        let ratios = ratios(&results);
        assert_eq!(ratios["book/empty"].throughput, 0.25);
        assert_eq!(ratios["book/empty"].p99, 4.0);
        assert_eq!(ratios["book/book-raw-db"].throughput, 0.5);
        assert_eq!(ratios["book/book-raw-db"].p99, 2.0);
        assert!(ratios.contains_key("book-raw-db/empty"));
        assert!(!ratios.contains_key("empty/empty"));
    }

    #[test]
    fn a_scenario_without_a_finished_call_has_no_ratio() {
        let mut slow = result("search-availability", 0.0, 0.0);
        slow.figures.ok = 0;
        let ratios = ratios(&[result("empty", 1000.0, 100.0), slow]);
        assert!(ratios.is_empty(), "{ratios:?}");
    }

    #[test]
    fn no_floor_no_ratio_to_it() {
        assert!(ratios(&[result("book", 1.0, 1.0)]).is_empty());
    }

    #[test]
    fn figures_from_a_tally() {
        let mut tally = Tally::new();
        for micros in 1..=100u64 {
            tally.latency.record(micros * 1000).unwrap();
        }
        tally.errors.insert("Aborted".into(), 10);
        tally.results = 200;
        let f = figures(&tally, 2.0);
        assert_eq!((f.calls, f.ok), (110, 100));
        assert_eq!(f.throughput, 55.0);
        assert!((f.p50_us - 50.0).abs() < 0.1 && (f.p99_us - 99.0).abs() < 0.1, "{f:?}");
        assert_eq!(f.mean_results, 2.0);
    }
}
