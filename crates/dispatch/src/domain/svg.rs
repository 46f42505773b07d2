//! A plan drawn as an SVG map for the dispatcher: the depot, each route in its own colour with
//! its stops numbered in visiting order and labelled with their arrival times.

use std::collections::HashMap;
use std::fmt::Write;

use chrono::{DateTime, Utc};

use super::PlanBody;
use super::travel::Point;

const WIDTH: f64 = 800.0;
const HEIGHT: f64 = 600.0;
const MARGIN: f64 = 40.0;
const COLOURS: &[&str] = &["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];

/// Draws `plan`; `places` gives each visit's location, `zone` the time zone of the labels.
pub fn render(plan: &PlanBody, depot: Point, places: &HashMap<String, Point>, zone: chrono_tz::Tz) -> String {
    let mut points: Vec<Point> = vec![depot];
    points.extend(plan.routes.iter().flat_map(|r| r.stops.iter()).filter_map(|s| places.get(&s.visit_id).copied()));
    let (min_x, max_x) = bounds(points.iter().map(|p| p.x));
    let (min_y, max_y) = bounds(points.iter().map(|p| p.y));
    let scale = ((WIDTH - 2.0 * MARGIN) / (max_x - min_x)).min((HEIGHT - 2.0 * MARGIN) / (max_y - min_y));
    // North up: latitude grows upwards.
    let xy = |p: Point| (MARGIN + (p.x - min_x) * scale, HEIGHT - MARGIN - (p.y - min_y) * scale);
    let time = |t: DateTime<Utc>| t.with_timezone(&zone).format("%H:%M").to_string();

    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11">"#
    );
    svg.push_str(r##"<rect width="100%" height="100%" fill="#fafafa"/>"##);
    for (i, route) in plan.routes.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let stops: Vec<(Point, &super::PlannedStop)> =
            route.stops.iter().filter_map(|s| places.get(&s.visit_id).map(|p| (*p, s))).collect();
        let path: Vec<String> = std::iter::once(depot)
            .chain(stops.iter().map(|(p, _)| *p))
            .chain(std::iter::once(depot))
            .map(|p| {
                let (x, y) = xy(p);
                format!("{x:.1},{y:.1}")
            })
            .collect();
        let _ = write!(
            svg,
            r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2" opacity="0.8"><title>{} ({:.1} km)</title></polyline>"#,
            path.join(" "),
            escape(&route.van_id),
            route.distance_m / 1000.0
        );
        for (n, (p, stop)) in stops.iter().enumerate() {
            let (x, y) = xy(*p);
            let _ = write!(
                svg,
                r#"<circle cx="{x:.1}" cy="{y:.1}" r="9" fill="{colour}"/><text x="{x:.1}" y="{:.1}" fill="white" text-anchor="middle">{}</text><text x="{:.1}" y="{:.1}" fill="{colour}">{}</text>"#,
                y + 4.0,
                n + 1,
                x + 11.0,
                y - 6.0,
                time(stop.arrival)
            );
        }
    }
    let (x, y) = xy(depot);
    let _ = write!(
        svg,
        r#"<rect x="{:.1}" y="{:.1}" width="14" height="14" fill="black"/><text x="{:.1}" y="{:.1}">depot</text>"#,
        x - 7.0,
        y - 7.0,
        x + 10.0,
        y + 18.0
    );
    svg.push_str("</svg>");
    svg
}

/// The range of `values`, widened so that a single point still has room.
fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (min, max) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if max - min < 1e-4 { (min - 0.005, max + 0.005) } else { (min, max) }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{PlannedRoute, PlannedStop};

    #[test]
    fn draws_every_route_and_stop() {
        let t = DateTime::parse_from_rfc3339("2026-12-02T01:30:00Z").unwrap().with_timezone(&Utc);
        let stop = |id: &str| PlannedStop { visit_id: id.into(), arrival: t, start: t, departure: t };
        let plan = PlanBody {
            routes: vec![
                PlannedRoute {
                    van_id: "van<1>".into(),
                    depart_depot: t,
                    return_depot: t,
                    distance_m: 1200.0,
                    stops: vec![stop("a"), stop("b")],
                },
                PlannedRoute {
                    van_id: "van-2".into(),
                    depart_depot: t,
                    return_depot: t,
                    distance_m: 800.0,
                    stops: vec![stop("c")],
                },
            ],
            unassigned: vec![],
            total_distance_m: 2000.0,
            total_travel_secs: 0.0,
        };
        let places: HashMap<String, Point> = [("a", 29.82), ("b", 29.83), ("c", 29.80)]
            .into_iter()
            .map(|(id, lat)| (id.to_string(), Point::lat_lng(lat, 121.55)))
            .collect();
        let svg = render(&plan, Point::lat_lng(29.81, 121.54), &places, chrono_tz::Asia::Shanghai);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(svg.contains("09:30"), "arrival in local time");
        assert!(svg.contains("van&lt;1&gt;") && !svg.contains("van<1>"));
    }
}
