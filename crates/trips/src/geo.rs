//! Distances between people's places: great-circle kilometres times a road factor, driven at
//! an assumed average speed. No road network is read; the factor is the usual ratio of road
//! to straight-line distance between US towns (named here so that every figure says it).

/// Road distance ≈ `ROAD_FACTOR` × great-circle distance.
pub const ROAD_FACTOR: f64 = 1.3;
/// Average driving speed on those roads, km/h (interstate and local mixed).
pub const ROAD_SPEED_KMH: f64 = 80.0;
/// Mean Earth radius (IUGG), km.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// A place in degrees (WGS 84).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub lat: f64,
    pub lon: f64,
}

impl Point {
    pub fn new(lat: f64, lon: f64) -> Point {
        Point { lat, lon }
    }
}

/// Great-circle distance in km (haversine).
pub fn great_circle_km(a: Point, b: Point) -> f64 {
    let (p1, p2) = (a.lat.to_radians(), b.lat.to_radians());
    let dp = p2 - p1;
    let dl = (b.lon - a.lon).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// Road km between two places: great circle × `ROAD_FACTOR`.
pub fn road_km(a: Point, b: Point) -> f64 {
    great_circle_km(a, b) * ROAD_FACTOR
}

/// Minutes to drive `km` at `ROAD_SPEED_KMH`.
pub fn drive_minutes(km: f64) -> f64 {
    km / ROAD_SPEED_KMH * 60.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_distances() {
        // Raleigh to Charlotte is about 209 km as the crow flies.
        let raleigh = Point::new(35.7796, -78.6382);
        let charlotte = Point::new(35.2271, -80.8431);
        let d = great_circle_km(raleigh, charlotte);
        assert!((d - 209.0).abs() < 3.0, "{d}");
        assert!((road_km(raleigh, charlotte) - d * ROAD_FACTOR).abs() < 1e-9);
        assert_eq!(great_circle_km(raleigh, raleigh), 0.0);
        assert!((drive_minutes(80.0) - 60.0).abs() < 1e-9);
        // Symmetric.
        assert!((great_circle_km(charlotte, raleigh) - d).abs() < 1e-9);
    }
}
