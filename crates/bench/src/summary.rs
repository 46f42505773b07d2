//! `mediation-bench summarize FILE.json...`: the medians of several runs of the same figure as
//! Markdown tables, for BENCHMARKS.md. Runs of one figure are files named alike but for a
//! trailing `-<run>` (`sqlite-appointments-1.json`, `-2`, `-3`). A run counts as disturbed when
//! other processes used more than 0.1 core in any of its windows (on SQLite; on PostgreSQL the
//! database server is one of them).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde_json::Value;

/// Other processes' cores above which a window counts as disturbed.
const QUIET_OTHERS: f64 = 0.1;

/// The median of `values`; the mean of the middle two for an even count. `None` when empty.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    Some(if sorted.len() % 2 == 1 { sorted[middle] } else { (sorted[middle - 1] + sorted[middle]) / 2.0 })
}

/// The figure a file belongs to: its stem without a trailing `-<number>`.
pub fn figure_of(path: &Path) -> String {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    match stem.rsplit_once('-') {
        Some((figure, run)) if !run.is_empty() && run.chars().all(|c| c.is_ascii_digit()) => figure.to_owned(),
        _ => stem,
    }
}

fn number(value: &Value, path: &[&str]) -> Option<f64> {
    path.iter().try_fold(value, |v, key| v.get(key))?.as_f64()
}

/// Whether any window of the run had a busy neighbour (`None`: not known, e.g. PostgreSQL).
fn disturbed(run: &Value) -> Option<bool> {
    if run.pointer("/config/backend").and_then(Value::as_str) != Some("sqlite") {
        return None;
    }
    let others: Vec<f64> = run
        .get("points")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|point| point.get("scenarios").and_then(Value::as_array).into_iter().flatten())
        .filter_map(|scenario| number(scenario, &["cpu", "others"]))
        .collect();
    Some(others.iter().any(|o| *o > QUIET_OTHERS))
}

fn millis(us: Option<f64>) -> String {
    us.map_or("–".into(), |us| if us >= 1000.0 { format!("{:.1} ms", us / 1000.0) } else { format!("{us:.0} µs") })
}

fn rate(value: Option<f64>) -> String {
    value.map_or("–".into(), |v| if v >= 100.0 { format!("{v:.0}") } else { format!("{v:.1}") })
}

/// One figure's runs as Markdown.
fn figure_table(name: &str, runs: &[(PathBuf, Value)]) -> String {
    let mut out = String::new();
    let flags: Vec<String> = runs
        .iter()
        .map(|(path, run)| {
            let file = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
            match disturbed(run) {
                Some(true) => format!("{file} disturbed"),
                Some(false) => format!("{file} quiet"),
                None => format!("{file} (PostgreSQL: not judged)"),
            }
        })
        .collect();
    let _ = writeln!(out, "### {name}\n\n{} run(s): {}.\n", runs.len(), flags.join(", "));
    // (concurrency, scenario) -> the runs' values, in the order first seen.
    let mut rows: Vec<((u64, String), Vec<&Value>)> = Vec::new();
    let mut ratios: BTreeMap<(u64, String), Vec<(f64, f64)>> = BTreeMap::new();
    for (_, run) in runs {
        for point in run.get("points").and_then(Value::as_array).into_iter().flatten() {
            let concurrency = point.get("concurrency").and_then(Value::as_u64).unwrap_or(0);
            for scenario in point.get("scenarios").and_then(Value::as_array).into_iter().flatten() {
                let key = (concurrency, scenario.get("name").and_then(Value::as_str).unwrap_or("?").to_owned());
                match rows.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, values)) => values.push(scenario),
                    None => rows.push((key, vec![scenario])),
                }
            }
            for (ratio, value) in point.get("ratios").and_then(Value::as_object).into_iter().flatten() {
                if let (Some(t), Some(p)) = (number(value, &["throughput"]), number(value, &["p99"])) {
                    ratios.entry((concurrency, ratio.clone())).or_default().push((t, p));
                }
            }
        }
    }
    if !rows.is_empty() {
        let _ = writeln!(
            out,
            "| concurrency | scenario | calls/s | p50 | p99 | errors (all runs) |\n|---|---|---|---|---|---|"
        );
        for ((concurrency, scenario), values) in &rows {
            let pick = |key: &str| median(&values.iter().filter_map(|v| number(v, &[key])).collect::<Vec<_>>());
            let errors: u64 = values
                .iter()
                .filter_map(|v| v.get("errors").and_then(Value::as_object))
                .flat_map(|errors| errors.values().filter_map(Value::as_u64))
                .sum();
            let _ = writeln!(
                out,
                "| {concurrency} | `{scenario}` | {} | {} | {} | {errors} |",
                rate(pick("throughput")),
                millis(pick("p50_us")),
                millis(pick("p99_us"))
            );
        }
        out.push('\n');
    }
    if !ratios.is_empty() {
        let _ = writeln!(out, "| concurrency | ratio | throughput (median) | p99 (median) |\n|---|---|---|---|");
        for ((concurrency, name), values) in &ratios {
            let throughput = median(&values.iter().map(|v| v.0).collect::<Vec<_>>()).unwrap_or(f64::NAN);
            let p99 = median(&values.iter().map(|v| v.1).collect::<Vec<_>>()).unwrap_or(f64::NAN);
            let _ = writeln!(
                out,
                "| {concurrency} | {name} | {:.3} ({:.1} %) | {p99:.2}x |",
                throughput,
                throughput * 100.0
            );
        }
        out.push('\n');
    }
    let streams: Vec<&Value> = runs.iter().filter_map(|(_, run)| run.get("streams").filter(|s| !s.is_null())).collect();
    if !streams.is_empty() {
        let pick = |path: &[&str]| median(&streams.iter().filter_map(|s| number(s, path)).collect::<Vec<_>>());
        let mib = |v: Option<f64>| v.map_or("–".into(), |kib| format!("{:.1} MiB", kib / 1024.0));
        let _ = writeln!(
            out,
            "| streams open | idle RSS | RSS with streams | peak RSS | KiB a stream | updates/s | open p99 |\n|---|---|---|---|---|---|---|\n| {} | {} | {} | {} | {} | {} | {} |\n",
            rate(pick(&["figures", "streams_open"])),
            mib(pick(&["figures", "server_idle", "rss_kib"])),
            mib(pick(&["figures", "server_with_streams", "rss_kib"])),
            mib(pick(&["figures", "server_with_streams", "peak_kib"])),
            pick(&["figures", "kib_per_stream"]).map_or("–".into(), |v| format!("{v:.1}")),
            rate(pick(&["figures", "updates_per_second"])),
            millis(pick(&["result", "p99_us"])),
        );
    }
    out
}

/// The Markdown of every figure among `paths`, figures in name order.
pub fn summarize(paths: &[PathBuf]) -> anyhow::Result<String> {
    let mut figures: BTreeMap<String, Vec<(PathBuf, Value)>> = BTreeMap::new();
    for path in paths {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let run: Value = serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        figures.entry(figure_of(path)).or_default().push((path.clone(), run));
    }
    Ok(figures.iter().map(|(name, runs)| figure_table(name, runs)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[f64::NAN, 5.0]), Some(5.0));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn runs_of_a_figure_share_its_name() {
        assert_eq!(figure_of(Path::new("results/sqlite-appointments-2.json")), "sqlite-appointments");
        assert_eq!(figure_of(Path::new("results/postgres-sweep.json")), "postgres-sweep");
        assert_eq!(figure_of(Path::new("x-.json")), "x-");
    }

    #[test]
    fn a_table_of_medians_and_disturbed_runs() {
        let run = |throughput: f64, others: f64| {
            serde_json::json!({
                "config": { "backend": "sqlite" },
                "points": [{
                    "concurrency": 16,
                    "scenarios": [{ "name": "empty", "throughput": throughput, "p50_us": 100.0, "p99_us": 2500.0,
                                    "errors": { "Aborted": 1 }, "cpu": { "this_process": 1.0, "others": others } }],
                    "ratios": { "book/empty": { "throughput": throughput / 1000.0, "p99": 2.0 } }
                }]
            })
        };
        let runs = vec![
            (PathBuf::from("sqlite-x-1.json"), run(1000.0, 0.0)),
            (PathBuf::from("sqlite-x-2.json"), run(3000.0, 0.5)),
            (PathBuf::from("sqlite-x-3.json"), run(2000.0, 0.05)),
        ];
        let table = figure_table("sqlite-x", &runs);
        assert!(table.contains("sqlite-x-2.json disturbed") && table.contains("sqlite-x-1.json quiet"), "{table}");
        assert!(table.contains("| 16 | `empty` | 2000 | 100 µs | 2.5 ms | 3 |"), "{table}");
        assert!(table.contains("| 16 | book/empty | 2.000 (200.0 %) | 2.00x |"), "{table}");
    }
}
