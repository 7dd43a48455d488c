//! The pickup-and-delivery problem with time windows: an instance (a depot, paired pickup and
//! delivery stops with demands, time windows and service times, a fleet of equal vehicles),
//! a solution (one stop sequence per vehicle used), its cost and a checker that says exactly
//! what a solution violates. The Li & Lim benchmark format is read here too.
//!
//! Travel time equals distance (Euclidean, not rounded), as in the benchmark. A trip-planner
//! instance built from people's places uses great-circle kilometres times a road factor
//! (`crate::geo`) in the same roles.

use thiserror::Error;

/// One stop. Stop 0 is the depot (demand 0, its window the planning horizon).
#[derive(Debug, Clone, PartialEq)]
pub struct Stop {
    pub x: f64,
    pub y: f64,
    /// Positive at a pickup, the negative of it at the paired delivery.
    pub demand: i32,
    pub ready: f64,
    pub due: f64,
    pub service: f64,
    /// For a delivery, its pickup; for a pickup, its delivery; 0 at the depot.
    pub sibling: usize,
}

#[derive(Debug, Clone)]
pub struct Instance {
    pub name: String,
    /// Vehicles available (the benchmark's fleet size).
    pub vehicles: usize,
    pub capacity: i32,
    pub stops: Vec<Stop>,
    /// Which stops are pickups.
    pickup: Vec<bool>,
    dist: Vec<f64>,
}

#[derive(Debug, Error, PartialEq)]
pub enum ParseError {
    #[error("line {line}: {message}")]
    Line { line: usize, message: String },
    #[error("{0}")]
    Shape(String),
}

fn line_err(line: usize, message: impl Into<String>) -> ParseError {
    ParseError::Line {
        line,
        message: message.into(),
    }
}

impl Instance {
    /// Builds an instance; checks that pickups and deliveries pair up (each pickup's sibling
    /// is a delivery whose sibling is it, demands opposite) and that windows are ordered.
    pub fn new(
        name: &str,
        vehicles: usize,
        capacity: i32,
        stops: Vec<Stop>,
        distance: impl Fn(&Stop, &Stop) -> f64,
    ) -> Result<Instance, ParseError> {
        let n = stops.len();
        if n < 1 {
            return Err(ParseError::Shape("no depot".into()));
        }
        let mut pickup = vec![false; n];
        for (i, s) in stops.iter().enumerate().skip(1) {
            if s.sibling == 0 || s.sibling >= n || s.sibling == i {
                return Err(ParseError::Shape(format!(
                    "stop {i}: its pair {} is not another stop",
                    s.sibling
                )));
            }
            let o = &stops[s.sibling];
            if o.sibling != i || o.demand != -s.demand {
                return Err(ParseError::Shape(format!(
                    "stop {i} and {}: not a pickup and its delivery (pairs and demands must match)",
                    s.sibling
                )));
            }
            if s.due < s.ready {
                return Err(ParseError::Shape(format!(
                    "stop {i}: its window closes before it opens"
                )));
            }
            pickup[i] = s.demand > 0 || (s.demand == 0 && i < s.sibling);
            if s.demand.abs() > capacity {
                return Err(ParseError::Shape(format!(
                    "stop {i}: demand {} is more than a vehicle holds ({capacity})",
                    s.demand
                )));
            }
        }
        let mut dist = vec![0.0; n * n];
        for a in 0..n {
            for b in 0..n {
                dist[a * n + b] = distance(&stops[a], &stops[b]);
            }
        }
        Ok(Instance {
            name: name.to_string(),
            vehicles,
            capacity,
            stops,
            pickup,
            dist,
        })
    }

    #[inline]
    pub fn d(&self, a: usize, b: usize) -> f64 {
        self.dist[a * self.stops.len() + b]
    }

    pub fn is_pickup(&self, s: usize) -> bool {
        self.pickup[s]
    }

    /// The requests: (pickup, delivery), by pickup.
    pub fn requests(&self) -> Vec<(usize, usize)> {
        (1..self.stops.len())
            .filter(|&s| self.pickup[s])
            .map(|s| (s, self.stops[s].sibling))
            .collect()
    }
}

/// Euclidean distance, as in the benchmark.
pub fn euclidean(a: &Stop, b: &Stop) -> f64 {
    ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt()
}

/// Reads a Li & Lim instance: a first line `vehicles capacity speed`, then one line per stop
/// `id x y demand ready due service pickup_sibling delivery_sibling` (stop 0 the depot).
pub fn parse_li_lim(name: &str, text: &str) -> Result<Instance, ParseError> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (n0, head) = lines
        .next()
        .ok_or_else(|| ParseError::Shape("empty file".into()))?;
    let h: Vec<&str> = head.split_whitespace().collect();
    if h.len() < 2 {
        return Err(line_err(n0 + 1, "want: vehicles capacity speed"));
    }
    let vehicles: usize = h[0]
        .parse()
        .map_err(|_| line_err(n0 + 1, format!("vehicles: {:?} is not a count", h[0])))?;
    let capacity: i32 = h[1]
        .parse()
        .map_err(|_| line_err(n0 + 1, format!("capacity: {:?} is not a number", h[1])))?;
    let mut stops = Vec::new();
    for (n, l) in lines {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() != 9 {
            return Err(line_err(
                n + 1,
                format!(
                    "{} fields; want 9 (id x y demand ready due service pickup delivery)",
                    f.len()
                ),
            ));
        }
        let num = |i: usize, what: &str| {
            f[i].parse::<f64>()
                .map_err(|_| line_err(n + 1, format!("{what}: {:?} is not a number", f[i])))
        };
        let id = num(0, "id")? as usize;
        if id != stops.len() {
            return Err(line_err(
                n + 1,
                format!("stop {id} where stop {} was expected", stops.len()),
            ));
        }
        let (p, d) = (num(7, "pickup")? as usize, num(8, "delivery")? as usize);
        stops.push(Stop {
            x: num(1, "x")?,
            y: num(2, "y")?,
            demand: num(3, "demand")? as i32,
            ready: num(4, "ready")?,
            due: num(5, "due")?,
            service: num(6, "service")?,
            sibling: if p != 0 { p } else { d },
        });
    }
    Instance::new(name, vehicles, capacity, stops, euclidean)
}

/// A solution: one sequence of stops per vehicle used (the depot left out).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Solution {
    pub routes: Vec<Vec<usize>>,
}

impl Solution {
    pub fn vehicles(&self) -> usize {
        self.routes.iter().filter(|r| !r.is_empty()).count()
    }

    /// Total distance.
    pub fn cost(&self, inst: &Instance) -> f64 {
        self.routes.iter().map(|r| route_cost(inst, r)).sum()
    }
}

pub fn route_cost(inst: &Instance, r: &[usize]) -> f64 {
    if r.is_empty() {
        return 0.0;
    }
    let mut c = inst.d(0, r[0]) + inst.d(r[r.len() - 1], 0);
    for w in r.windows(2) {
        c += inst.d(w[0], w[1]);
    }
    c
}

/// Tolerance on times (the benchmark's times are decimals).
pub const TIME_EPSILON: f64 = 1e-6;

/// Everything a solution must hold: each request served exactly once, pickup before its
/// delivery on the same vehicle, load within capacity, every stop started within its window,
/// back at the depot before it closes, no more vehicles than the fleet. The first violation,
/// in words.
pub fn check(inst: &Instance, sol: &Solution) -> Result<(), String> {
    let n = inst.stops.len();
    let mut seen = vec![0u32; n];
    if sol.vehicles() > inst.vehicles {
        return Err(format!(
            "{} vehicles used, {} available",
            sol.vehicles(),
            inst.vehicles
        ));
    }
    for (v, r) in sol.routes.iter().enumerate() {
        let mut t = inst.stops[0].ready;
        let mut load = 0i32;
        let mut prev = 0;
        for (k, &s) in r.iter().enumerate() {
            if s == 0 || s >= n {
                return Err(format!("vehicle {v}: stop {s} is not a customer"));
            }
            seen[s] += 1;
            let st = &inst.stops[s];
            t = (t + inst.stops[prev].service + inst.d(prev, s)).max(st.ready);
            if t > st.due + TIME_EPSILON {
                return Err(format!(
                    "vehicle {v}: stop {s} starts at {t:.2}, after its window closes ({})",
                    st.due
                ));
            }
            if !inst.is_pickup(s) {
                let p = st.sibling;
                if !r[..k].contains(&p) {
                    return Err(format!(
                        "vehicle {v}: delivery {s} without its pickup {p} before it"
                    ));
                }
            }
            load += st.demand;
            if load > inst.capacity || load < 0 {
                return Err(format!("vehicle {v}: load {load} after stop {s}"));
            }
            prev = s;
        }
        if !r.is_empty() {
            t += inst.stops[prev].service + inst.d(prev, 0);
            if t > inst.stops[0].due + TIME_EPSILON {
                return Err(format!(
                    "vehicle {v}: back at the depot at {t:.2}, after it closes ({})",
                    inst.stops[0].due
                ));
            }
        }
    }
    for (s, c) in seen.iter().enumerate().skip(1) {
        if *c != 1 {
            return Err(format!("stop {s} served {c} times"));
        }
    }
    Ok(())
}
