//! Results: the table printed after a run and the same figures as JSON.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::cpu::CpuUse;
use crate::load::{Measured, Tally};
use crate::scenario::Scenario;

#[derive(Debug, Serialize)]
pub struct Report {
    pub machine: Machine,
    pub config: Config,
    pub seed: SeedInfo,
    pub scenarios: Vec<ScenarioResult>,
    /// Each scenario's throughput and p99 next to `empty`'s, when both ran.
    pub ratios: BTreeMap<String, Ratio>,
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
    pub connections: usize,
    pub concurrency: usize,
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
    let names = measured.scenario.variants();
    ScenarioResult {
        name: measured.scenario.name(),
        figures: figures(&measured.total, measured.seconds),
        cpu: measured.cpu,
        variants: if names.len() > 1 {
            names.iter().zip(&measured.variants).map(|(name, t)| (*name, figures(t, measured.seconds))).collect()
        } else {
            BTreeMap::new()
        },
    }
}

/// Every scenario's figures over `empty`'s.
pub fn ratios(results: &[ScenarioResult]) -> BTreeMap<String, Ratio> {
    let Some(empty) = results.iter().find(|r| r.name == Scenario::Empty.name()) else {
        return BTreeMap::new();
    };
    results
        .iter()
        .filter(|r| r.name != empty.name)
        .map(|r| {
            let ratio = Ratio {
                throughput: r.figures.throughput / empty.figures.throughput,
                p99: r.figures.p99_us / empty.figures.p99_us,
            };
            (format!("{}/empty", r.name), ratio)
        })
        .collect()
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

pub fn print(report: &Report) {
    println!();
    println!(
        "{:<26} {:>9} {:>10} {:>9} {:>9} {:>9} {:>9} {:>8}  errors",
        "scenario", "calls", "calls/s", "p50", "p90", "p99", "max", "results"
    );
    for result in &report.scenarios {
        println!("{}", row(result.name, &result.figures));
        for (variant, figures) in &result.variants {
            println!("{}", row(&format!("  {variant}"), figures));
        }
    }
    for result in &report.scenarios {
        if let Some(cpu) = result.cpu {
            // On PostgreSQL the database server is one of the other processes.
            let warning = if report.config.backend == "postgres" {
                "  (others include the PostgreSQL server)"
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
    for (name, ratio) in &report.ratios {
        println!(
            "{name}: throughput {:.3} ({:.1}%), p99 {:.2}x",
            ratio.throughput,
            ratio.throughput * 100.0,
            ratio.p99
        );
    }
}
