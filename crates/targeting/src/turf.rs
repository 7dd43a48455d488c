//! Turf cutting (PRODUCT.md C4): doors (households with coordinates) grouped into compact
//! turfs of at most `target` doors, each ordered as a walking route.
//!
//! - Cutting: recursive bisection. A group that must become `k = ⌈doors / target⌉` turfs is
//!   split across its longer side (in metres) at the door that leaves `⌊k/2⌋/k` of the doors on
//!   one side, and each side is cut into its share of the `k` turfs. Every turf then has at
//!   most `target` doors, and sizes differ by little (all near `doors / k`, so at least half
//!   the target when there are at least `target` doors). Cuts along the longer side keep turfs
//!   near square: compact.
//! - Route: nearest neighbour from the door nearest the turf's south-west corner, improved by
//!   2-opt (reversing a stretch of the route when that shortens it) until no reversal helps or
//!   `TWO_OPT_ROUNDS_MAX` rounds have run. An open path: the canvasser does not walk back.
//! - Distances: straight lines on a local flat projection of the sphere (equirectangular
//!   around the doors' mean latitude; exact enough within a county), walking distance as that
//!   times `WALK_FACTOR` (streets are not straight lines). A road network is not used.

use serde::Serialize;

/// Mean Earth radius, metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;
/// Walking distance per metre of straight line (a common street-network detour factor).
pub const WALK_FACTOR: f64 = 1.3;
/// Fewest and most doors one turf may be asked to hold.
pub const TURF_DOORS_MIN: usize = 5;
pub const TURF_DOORS_MAX: usize = 500;
/// Improvement rounds of 2-opt per turf at most.
pub const TWO_OPT_ROUNDS_MAX: usize = 50;

/// One door to knock: a household and where it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Door {
    pub household: i64,
    pub lat: f64,
    pub lon: f64,
}

/// One turf: its doors (indices into the input) in walking order, and its shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Turf {
    pub doors: Vec<usize>,
    /// Walking distance of the route, metres (straight lines × `WALK_FACTOR`).
    pub route_m: f64,
    /// Mean straight-line distance from a door to the turf's centre, metres.
    pub radius_m: f64,
}

/// Doors in local metres (x east, y north) around their mean position.
fn project(doors: &[Door]) -> Vec<(f64, f64)> {
    if doors.is_empty() {
        return Vec::new();
    }
    let n = doors.len() as f64;
    let lat0 = doors.iter().map(|d| d.lat).sum::<f64>() / n;
    let lon0 = doors.iter().map(|d| d.lon).sum::<f64>() / n;
    let k = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;
    let c = lat0.to_radians().cos();
    doors
        .iter()
        .map(|d| ((d.lon - lon0) * k * c, (d.lat - lat0) * k))
        .collect()
}

fn dist(a: (f64, f64), b: (f64, f64)) -> f64 {
    ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
}

fn split(xy: &[(f64, f64)], idx: &mut [usize], k: usize, out: &mut Vec<Vec<usize>>) {
    if k <= 1 || idx.len() <= 1 {
        out.push(idx.to_vec());
        return;
    }
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &i in idx.iter() {
        let (x, y) = xy[i];
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    let by_x = x1 - x0 >= y1 - y0;
    let key = |i: &usize| if by_x { (xy[*i].0, *i) } else { (xy[*i].1, *i) };
    let k1 = k / 2;
    let m = ((idx.len() * k1) as f64 / k as f64).round() as usize;
    let m = m.clamp(1, idx.len() - 1);
    idx.select_nth_unstable_by(m, |a, b| key(a).partial_cmp(&key(b)).expect("finite"));
    let (left, right) = idx.split_at_mut(m);
    split(xy, left, k1, out);
    split(xy, right, k - k1, out);
}

fn path_len(xy: &[(f64, f64)], route: &[usize]) -> f64 {
    route.windows(2).map(|w| dist(xy[w[0]], xy[w[1]])).sum()
}

/// A walking order of `members` (indices into `xy`).
fn route(xy: &[(f64, f64)], members: &[usize]) -> Vec<usize> {
    if members.len() <= 2 {
        return members.to_vec();
    }
    let corner = members
        .iter()
        .copied()
        .min_by(|a, b| {
            (xy[*a].0 + xy[*a].1)
                .partial_cmp(&(xy[*b].0 + xy[*b].1))
                .expect("finite")
                .then(a.cmp(b))
        })
        .expect("non-empty");
    let mut left: Vec<usize> = members.iter().copied().filter(|&i| i != corner).collect();
    let mut r = vec![corner];
    while !left.is_empty() {
        let last = xy[*r.last().expect("non-empty")];
        let (k, _) = left
            .iter()
            .enumerate()
            .min_by(|a, b| {
                dist(last, xy[*a.1])
                    .partial_cmp(&dist(last, xy[*b.1]))
                    .expect("finite")
                    .then(a.1.cmp(b.1))
            })
            .expect("non-empty");
        r.push(left.swap_remove(k));
    }
    // 2-opt on an open path: reversing r[i..=j] replaces edges (i-1, i) and (j, j+1).
    let n = r.len();
    for _ in 0..TWO_OPT_ROUNDS_MAX {
        let mut improved = false;
        for i in 1..n - 1 {
            for j in i + 1..n {
                let a = xy[r[i - 1]];
                let b = xy[r[i]];
                let c = xy[r[j]];
                let before = dist(a, b)
                    + if j + 1 < n {
                        dist(c, xy[r[j + 1]])
                    } else {
                        0.0
                    };
                let after = dist(a, c)
                    + if j + 1 < n {
                        dist(b, xy[r[j + 1]])
                    } else {
                        0.0
                    };
                if after + 1e-9 < before {
                    r[i..=j].reverse();
                    improved = true;
                }
            }
        }
        if !improved {
            break;
        }
    }
    r
}

/// Cuts `doors` into turfs of at most `target` doors (clamped to
/// `TURF_DOORS_MIN..=TURF_DOORS_MAX`), each in walking order. Turfs come west to east within
/// the cut's order (deterministic for the same input).
pub fn cut(doors: &[Door], target: usize) -> Vec<Turf> {
    let target = target.clamp(TURF_DOORS_MIN, TURF_DOORS_MAX);
    if doors.is_empty() {
        return Vec::new();
    }
    let xy = project(doors);
    let mut idx: Vec<usize> = (0..doors.len()).collect();
    let k = doors.len().div_ceil(target);
    let mut groups = Vec::with_capacity(k);
    split(&xy, &mut idx, k, &mut groups);
    groups
        .into_iter()
        .map(|g| {
            let r = route(&xy, &g);
            let n = r.len() as f64;
            let cx = r.iter().map(|&i| xy[i].0).sum::<f64>() / n;
            let cy = r.iter().map(|&i| xy[i].1).sum::<f64>() / n;
            let radius_m = r.iter().map(|&i| dist(xy[i], (cx, cy))).sum::<f64>() / n;
            Turf {
                route_m: path_len(&xy, &r) * WALK_FACTOR,
                radius_m,
                doors: r,
            }
        })
        .collect()
}

/// Mean turf radius and mean walking metres per door over a cut (its compactness figures).
pub fn compactness(turfs: &[Turf]) -> (f64, f64) {
    if turfs.is_empty() {
        return (0.0, 0.0);
    }
    let radius = turfs.iter().map(|t| t.radius_m).sum::<f64>() / turfs.len() as f64;
    let doors: usize = turfs.iter().map(|t| t.doors.len()).sum();
    let walk = turfs.iter().map(|t| t.route_m).sum::<f64>() / doors.max(1) as f64;
    (radius, walk)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn doors(pts: &[(f64, f64)]) -> Vec<Door> {
        pts.iter()
            .enumerate()
            .map(|(i, (la, lo))| Door {
                household: i as i64 + 1,
                lat: *la,
                lon: *lo,
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn every_door_in_exactly_one_turf_and_sizes_within_bounds(
            pts in proptest::collection::vec((35.0..36.0f64, -79.5..-78.5f64), 0..400),
            target in 5usize..80,
        ) {
            let d = doors(&pts);
            let turfs = cut(&d, target);
            let mut seen = vec![0u32; d.len()];
            for t in &turfs {
                prop_assert!(!t.doors.is_empty());
                prop_assert!(t.doors.len() <= target, "{} doors > {target}", t.doors.len());
                if d.len() >= target {
                    prop_assert!(t.doors.len() >= target / 2, "{} doors < {}", t.doors.len(), target / 2);
                }
                for &i in &t.doors {
                    seen[i] += 1;
                }
                prop_assert!(t.route_m >= 0.0 && t.radius_m >= 0.0);
            }
            prop_assert!(seen.iter().all(|&c| c == 1), "a door in no turf or in two");
            prop_assert_eq!(turfs.len(), d.len().div_ceil(target));
        }

        #[test]
        fn two_opt_never_lengthens_the_nearest_neighbour_route(
            pts in proptest::collection::vec((35.0..35.05f64, -79.05..-79.0f64), 3..60),
        ) {
            let d = doors(&pts);
            let xy = project(&d);
            let all: Vec<usize> = (0..d.len()).collect();
            let r = route(&xy, &all);
            let mut sorted = r.clone();
            sorted.sort();
            prop_assert_eq!(&sorted, &all, "the route visits every door once");
            // The same start and nearest neighbour without 2-opt.
            let mut nn = vec![r[0]];
            let mut left: Vec<usize> = all.iter().copied().filter(|&i| i != r[0]).collect();
            while !left.is_empty() {
                let last = xy[*nn.last().unwrap()];
                let (k, _) = left.iter().enumerate().min_by(|a, b| dist(last, xy[*a.1]).partial_cmp(&dist(last, xy[*b.1])).unwrap().then(a.1.cmp(b.1))).unwrap();
                nn.push(left.swap_remove(k));
            }
            prop_assert!(path_len(&xy, &r) <= path_len(&xy, &nn) + 1e-6);
        }
    }

    #[test]
    fn a_grid_is_cut_into_compact_squares() {
        // 40 × 40 doors, 50 m apart (2 km square), turfs of 100: 16 turfs of 10 × 10 doors.
        let k = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;
        let c = 35f64.to_radians().cos();
        let mut pts = Vec::new();
        for i in 0..40 {
            for j in 0..40 {
                pts.push((
                    35.0 + (i as f64 * 50.0) / k,
                    -79.0 + (j as f64 * 50.0) / (k * c),
                ));
            }
        }
        let turfs = cut(&doors(&pts), 100);
        assert_eq!(turfs.len(), 16);
        assert!(turfs.iter().all(|t| t.doors.len() == 100));
        let (radius, walk) = compactness(&turfs);
        // A 500 m square's mean distance to its centre is about 0.38 × 500 = 191 m; a
        // serpentine walk is about 50 m a door (× 1.3 walking).
        assert!(radius < 200.0, "radius {radius}");
        assert!(walk < 50.0 * WALK_FACTOR * 1.2, "walk {walk} m a door");
        // Random turfs of the same sizes are far less compact.
        let mut rnd: Vec<usize> = (0..pts.len()).collect();
        rnd.sort_by_key(|i| (i * 7919) % 1601);
        let xy = project(&doors(&pts));
        let random_radius: f64 = rnd
            .chunks(100)
            .map(|g| {
                let n = g.len() as f64;
                let cx = g.iter().map(|&i| xy[i].0).sum::<f64>() / n;
                let cy = g.iter().map(|&i| xy[i].1).sum::<f64>() / n;
                g.iter().map(|&i| dist(xy[i], (cx, cy))).sum::<f64>() / n
            })
            .sum::<f64>()
            / 16.0;
        assert!(
            radius * 3.0 < random_radius,
            "{radius} vs random {random_radius}"
        );
    }
}
