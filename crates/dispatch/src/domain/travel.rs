//! Travel between places: a matrix of distances and durations behind [`TravelMatrix`], so that a
//! road-network service can replace the straight-line estimates without touching the planner.

use serde::Serialize;

/// A place: longitude (`x`) and latitude (`y`) in degrees for geographic matrices, plain plane
/// coordinates for Euclidean ones.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

impl Point {
    pub fn new(x: f64, y: f64) -> Self {
        Self { x, y }
    }

    pub fn lat_lng(latitude: f64, longitude: f64) -> Self {
        Self { x: longitude, y: latitude }
    }

    pub fn latitude(self) -> f64 {
        self.y
    }

    pub fn longitude(self) -> f64 {
        self.x
    }
}

/// Distances and durations between every ordered pair of a list of places, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    size: usize,
    distances: Vec<f64>,
    durations: Vec<f64>,
}

impl Matrix {
    /// A matrix from row-major `distances` and `durations`, both `size * size` long.
    pub fn new(size: usize, distances: Vec<f64>, durations: Vec<f64>) -> Self {
        assert_eq!(distances.len(), size * size, "distances must be size * size");
        assert_eq!(durations.len(), size * size, "durations must be size * size");
        Self { size, distances, durations }
    }

    /// Fills a matrix from a function of two places.
    pub fn from_fn(points: &[Point], mut leg: impl FnMut(Point, Point) -> (f64, f64)) -> Self {
        let size = points.len();
        let (mut distances, mut durations) = (Vec::with_capacity(size * size), Vec::with_capacity(size * size));
        for &from in points {
            for &to in points {
                let (distance, duration) = if from == to { (0.0, 0.0) } else { leg(from, to) };
                distances.push(distance);
                durations.push(duration);
            }
        }
        Self { size, distances, durations }
    }

    pub fn size(&self) -> usize {
        self.size
    }

    pub fn distance(&self, from: usize, to: usize) -> f64 {
        self.distances[from * self.size + to]
    }

    pub fn duration(&self, from: usize, to: usize) -> f64 {
        self.durations[from * self.size + to]
    }

    pub(crate) fn into_parts(self) -> (Vec<f64>, Vec<f64>) {
        (self.distances, self.durations)
    }
}

/// Estimates travel between places.
pub trait TravelMatrix: Send + Sync + std::fmt::Debug {
    /// Distances (metres, or plane units) and durations (seconds, or plane time units) between
    /// every ordered pair of `points`.
    fn matrix(&self, points: &[Point]) -> Matrix;
}

/// Great-circle distance times a detour factor, at a constant urban speed: a fair estimate of
/// city driving when no road network is at hand.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Haversine {
    /// Average driving speed, km/h.
    pub speed_kmh: f64,
    /// Road distance over straight-line distance (about 1.3 in a city grid).
    pub detour: f64,
}

impl Default for Haversine {
    fn default() -> Self {
        Self { speed_kmh: 25.0, detour: 1.3 }
    }
}

const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Great-circle distance in metres.
pub fn haversine_m(a: Point, b: Point) -> f64 {
    let (lat1, lat2) = (a.latitude().to_radians(), b.latitude().to_radians());
    let d_lat = lat2 - lat1;
    let d_lng = (b.longitude() - a.longitude()).to_radians();
    let h = (d_lat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (d_lng / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

impl TravelMatrix for Haversine {
    fn matrix(&self, points: &[Point]) -> Matrix {
        let metres_per_second = self.speed_kmh * 1000.0 / 3600.0;
        Matrix::from_fn(points, |from, to| {
            let distance = haversine_m(from, to) * self.detour;
            (distance, distance / metres_per_second)
        })
    }
}

/// Straight lines on a plane, travel time = distance / speed (Solomon's instances: speed 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Euclidean {
    pub speed: f64,
}

impl Default for Euclidean {
    fn default() -> Self {
        Self { speed: 1.0 }
    }
}

impl TravelMatrix for Euclidean {
    fn matrix(&self, points: &[Point]) -> Matrix {
        Matrix::from_fn(points, |from, to| {
            let distance = (from.x - to.x).hypot(from.y - to.y);
            (distance, distance / self.speed)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haversine_matches_a_known_distance() {
        // Two points in Ningbo 0.0454 degrees of latitude apart: about 5.05 km.
        let station = Point::lat_lng(29.8627, 121.5440);
        let yinzhou = Point::lat_lng(29.8173, 121.5469);
        let d = haversine_m(station, yinzhou);
        assert!((5_000.0..5_100.0).contains(&d), "{d}");
        assert_eq!(haversine_m(station, station), 0.0);
    }

    #[test]
    fn haversine_matrix_applies_detour_and_speed() {
        let m = Haversine { speed_kmh: 36.0, detour: 1.5 }
            .matrix(&[Point::lat_lng(29.86, 121.54), Point::lat_lng(29.87, 121.55)]);
        let straight = haversine_m(Point::lat_lng(29.86, 121.54), Point::lat_lng(29.87, 121.55));
        assert!((m.distance(0, 1) - straight * 1.5).abs() < 1e-6);
        assert!((m.duration(0, 1) - m.distance(0, 1) / 10.0).abs() < 1e-6);
        assert_eq!(m.distance(1, 1), 0.0);
        assert_eq!(m.distance(0, 1), m.distance(1, 0));
    }

    #[test]
    fn euclidean_is_unrounded() {
        let m = Euclidean::default().matrix(&[Point::new(0.0, 0.0), Point::new(1.0, 1.0)]);
        assert_eq!(m.distance(0, 1), 2f64.sqrt());
        assert_eq!(m.duration(0, 1), 2f64.sqrt());
    }
}
