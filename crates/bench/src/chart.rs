//! The sweep's picture: throughput and p99 latency of every scenario against concurrency, two
//! panels side by side in one SVG, both axes logarithmic (the scenarios differ by orders of
//! magnitude, and so do the concurrencies).

use std::path::Path;

use anyhow::Context as _;
use plotters::prelude::*;

use crate::report::Point;

/// One scenario's line: (concurrency, calls a second, p99 in milliseconds) per sweep point.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64, f64)>,
}

/// The sweep's points regrouped by scenario, in the order the scenarios ran. A point where a
/// scenario had no successful call is left out of its line (a log axis has no zero).
pub fn series(points: &[Point]) -> Vec<Series> {
    let mut out: Vec<Series> = Vec::new();
    for point in points {
        for result in &point.scenarios {
            let f = &result.figures;
            if f.ok == 0 || f.throughput <= 0.0 || f.p99_us <= 0.0 {
                continue;
            }
            let entry = (point.concurrency as f64, f.throughput, f.p99_us / 1000.0);
            match out.iter_mut().find(|s| s.name == result.name) {
                Some(series) => series.points.push(entry),
                None => out.push(Series { name: result.name.to_owned(), points: vec![entry] }),
            }
        }
    }
    out
}

/// A logarithmic axis range around `values`: from half the smallest to twice the largest.
pub fn log_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (low, high) = values
        .filter(|v| *v > 0.0 && v.is_finite())
        .fold((f64::INFINITY, 0.0f64), |(low, high), v| (low.min(v), high.max(v)));
    if high == 0.0 { (0.1, 10.0) } else { (low / 2.0, high * 2.0) }
}

/// Draws the two panels into an SVG file at `path`.
pub fn draw(path: &Path, title: &str, points: &[Point]) -> anyhow::Result<()> {
    let lines = series(points);
    anyhow::ensure!(!lines.is_empty(), "nothing to draw: no scenario had a successful call");
    let root = SVGBackend::new(path, (1280, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(drawing)?;
    let root = root.titled(title, ("sans-serif", 22)).map_err(drawing)?;
    let (left, right) = root.split_horizontally(640);
    let x = log_range(lines.iter().flat_map(|s| s.points.iter().map(|p| p.0)));
    let x = (x.0.max(0.5), x.1);
    panel(&left, "throughput", "calls/s", x, &lines, |p| p.1)?;
    panel(&right, "p99 latency", "p99 (ms)", x, &lines, |p| p.2)?;
    root.present().map_err(drawing).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

fn drawing<E: std::fmt::Debug>(err: E) -> anyhow::Error {
    anyhow::anyhow!("drawing the chart: {err:?}")
}

fn panel(
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    caption: &str,
    y_label: &str,
    x: (f64, f64),
    lines: &[Series],
    value: impl Fn(&(f64, f64, f64)) -> f64,
) -> anyhow::Result<()> {
    let y = log_range(lines.iter().flat_map(|s| s.points.iter().map(&value)));
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 18))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d((x.0..x.1).log_scale(), (y.0..y.1).log_scale())
        .map_err(drawing)?;
    chart
        .configure_mesh()
        .x_desc("concurrency (calls in flight)")
        .y_desc(y_label)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| if *v >= 10.0 { format!("{v:.0}") } else { format!("{v:.2}") })
        .draw()
        .map_err(drawing)?;
    for (index, line) in lines.iter().enumerate() {
        let color = Palette99::pick(index).to_rgba();
        let points: Vec<(f64, f64)> = line.points.iter().map(|p| (p.0, value(p))).collect();
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
            .map_err(drawing)?
            .label(line.name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
        chart.draw_series(points.into_iter().map(|p| Circle::new(p, 3, color.filled()))).map_err(drawing)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(drawing)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::report::{Figures, ScenarioResult};

    fn result(name: &'static str, ok: u64, throughput: f64, p99_us: f64) -> ScenarioResult {
        let figures = Figures {
            calls: ok,
            ok,
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

    fn point(concurrency: usize, scenarios: Vec<ScenarioResult>) -> Point {
        Point { concurrency, scenarios, ratios: BTreeMap::new() }
    }

    #[test]
    fn points_regroup_by_scenario() {
        let points = [
            point(1, vec![result("empty", 10, 1000.0, 200.0), result("book", 5, 100.0, 2000.0)]),
            point(4, vec![result("empty", 10, 3000.0, 400.0), result("book", 0, 0.0, 0.0)]),
        ];
        let lines = series(&points);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].name, "empty");
        assert_eq!(lines[0].points, [(1.0, 1000.0, 0.2), (4.0, 3000.0, 0.4)]);
        assert_eq!(lines[1].points, [(1.0, 100.0, 2.0)], "a point without a successful call is left out");
    }

    #[test]
    fn log_ranges_pad_and_skip_zero() {
        assert_eq!(log_range([4.0, 0.0, 100.0].into_iter()), (2.0, 200.0));
        assert_eq!(log_range(std::iter::empty()), (0.1, 10.0));
    }

    #[test]
    fn draws_an_svg() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sweep.svg");
        let points =
            [point(1, vec![result("empty", 10, 1000.0, 200.0)]), point(16, vec![result("empty", 10, 9000.0, 900.0)])];
        draw(&path, "test", &points).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("empty"), "{}", &svg[..svg.len().min(200)]);
    }
}
