//! The PDPTW solver: adaptive large neighbourhood search (Ropke & Pisinger, 2006) with a
//! route-elimination phase. Fewest vehicles first, then least distance, as the benchmark
//! ranks solutions.
//!
//! - Insertion of a request (pickup, delivery) into a route is checked in O(1) per position
//!   pair from each route's schedule: start times, loads and the forward slack (how late a
//!   stop may start without any later stop missing its window), walking the segment between
//!   the two insertion points once.
//! - Removal: random, worst (the requests whose removal saves most), related (Shaw: near in
//!   space and time to a seed request). Insertion: greedy (cheapest first) or regret-2, with
//!   noise. Acceptance: simulated annealing on distance + `UNSERVED_PENALTY` per request left
//!   out, temperatures from the start solution.
//! - Route elimination: the route with fewest requests is emptied into the request bank and
//!   the search runs without opening a route until the bank is empty (a solution with one
//!   vehicle fewer) or its share of the iterations is spent.
//!
//! Deterministic for a seed and an iteration count (no clock is read).

use crate::pdptw::{route_cost, Instance, Solution, TIME_EPSILON};

/// Rounds the route-elimination phase is split into at most.
pub const ELIMINATION_ROUNDS: usize = 8;
/// Failed elimination rounds in a row after which the search turns to distance.
pub const ELIMINATION_FAILURES_MAX: usize = 2;
/// Requests removed per iteration at most.
pub const REMOVED_MAX: usize = 30;
/// The distance phase's start temperature: a solution this much worse (share of the
/// distance) is accepted half the time.
pub const START_WORSE: f64 = 0.05;

/// Penalty per unserved request in the search's objective (above any distance saved).
pub const UNSERVED_PENALTY: f64 = 10_000.0;

#[derive(Debug, Clone)]
pub struct Params {
    pub seed: u64,
    /// Iterations of the whole search (both phases), shared by the restarts.
    pub iterations: usize,
    /// Independent searches (seeds `seed`, `seed + 1`, …), the best kept: a search that
    /// settles in a poor region on long routes rarely does so twice.
    pub restarts: usize,
    /// Share of them spent eliminating routes.
    pub elimination_share: f64,
}

impl Default for Params {
    fn default() -> Params {
        Params {
            seed: 1,
            iterations: 5_000,
            restarts: 4,
            elimination_share: 0.6,
        }
    }
}

/// A small deterministic generator (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A route with its schedule: `seq` is depot, stops…, depot.
#[derive(Debug, Clone)]
struct Route {
    seq: Vec<usize>,
    start: Vec<f64>,
    load: Vec<i32>,
    slack: Vec<f64>,
    cost: f64,
}

impl Route {
    fn new(inst: &Instance, stops: &[usize]) -> Route {
        let mut seq = Vec::with_capacity(stops.len() + 2);
        seq.push(0);
        seq.extend_from_slice(stops);
        seq.push(0);
        let mut r = Route {
            seq,
            start: Vec::new(),
            load: Vec::new(),
            slack: Vec::new(),
            cost: 0.0,
        };
        r.update(inst);
        r
    }

    fn stops(&self) -> &[usize] {
        &self.seq[1..self.seq.len() - 1]
    }

    fn is_empty(&self) -> bool {
        self.seq.len() == 2
    }

    fn update(&mut self, inst: &Instance) {
        let n = self.seq.len();
        self.start.resize(n, 0.0);
        self.load.resize(n, 0);
        self.slack.resize(n, 0.0);
        self.start[0] = inst.stops[0].ready;
        self.load[0] = 0;
        for k in 1..n {
            let (a, b) = (self.seq[k - 1], self.seq[k]);
            let arr = self.start[k - 1] + inst.stops[a].service + inst.d(a, b);
            self.start[k] = arr.max(inst.stops[b].ready);
            self.load[k] = self.load[k - 1] + inst.stops[b].demand;
        }
        self.slack[n - 1] = inst.stops[0].due - self.start[n - 1];
        for k in (0..n - 1).rev() {
            let b = self.seq[k + 1];
            let a = self.seq[k];
            let arr = self.start[k] + inst.stops[a].service + inst.d(a, b);
            let wait = self.start[k + 1] - arr;
            let due = if k == 0 {
                f64::INFINITY
            } else {
                inst.stops[a].due
            };
            self.slack[k] = (due - self.start[k]).min(self.slack[k + 1] + wait);
        }
        self.cost = route_cost(inst, self.stops());
    }

    /// The cheapest feasible insertion of request (p, d): (extra distance, i, j) meaning
    /// p goes before `seq[i]` and d before `seq[j]` of the route with p in it (j > i).
    fn best_insertion(&self, inst: &Instance, p: usize, d: usize) -> Option<(f64, usize, usize)> {
        let n = self.seq.len();
        let (sp, sd) = (&inst.stops[p], &inst.stops[d]);
        let cap = inst.capacity;
        let mut best: Option<(f64, usize, usize)> = None;
        for i in 1..n {
            let a = self.seq[i - 1];
            if self.load[i - 1] + sp.demand > cap {
                continue;
            }
            let tp = (self.start[i - 1] + inst.stops[a].service + inst.d(a, p)).max(sp.ready);
            if tp > sp.due + TIME_EPSILON {
                // Later positions start no earlier (times only grow along a route).
                if self.start[i - 1] > sp.due {
                    break;
                }
                continue;
            }
            let base_p = inst.d(a, p) - inst.d(a, self.seq[i]);
            // d right after p.
            {
                let b = self.seq[i];
                let td = (tp + sp.service + inst.d(p, d)).max(sd.ready);
                if td <= sd.due + TIME_EPSILON {
                    let arr = td + sd.service + inst.d(d, b);
                    let nb = arr.max(inst.stops[b].ready);
                    let delay = (nb - self.start[i]).max(0.0);
                    if delay <= self.slack[i] + TIME_EPSILON {
                        let c = inst.d(a, p) + inst.d(p, d) + inst.d(d, b) - inst.d(a, b);
                        if best.is_none_or(|x| c < x.0) {
                            best = Some((c, i, i));
                        }
                    }
                }
            }
            // d later: walk the segment seq[i..j-1] with p inserted before it.
            let mut prev = p;
            let mut t_prev = tp;
            let mut ok = true;
            for j in (i + 1)..n {
                let m = self.seq[j - 1];
                if m == 0 {
                    break;
                }
                // New start of m (it was at position j-1) after the insertion of p.
                let arr = t_prev + inst.stops[prev].service + inst.d(prev, m);
                let tm = arr.max(inst.stops[m].ready);
                if tm > inst.stops[m].due + TIME_EPSILON || self.load[j - 1] + sp.demand > cap {
                    ok = false;
                }
                if !ok || tm > sd.due {
                    // Times only grow along the route: d cannot come later either.
                    break;
                }
                // If p's delay has been absorbed, the rest is as before; still walk (cheap).
                let b = self.seq[j];
                let td = (tm + inst.stops[m].service + inst.d(m, d)).max(sd.ready);
                if td <= sd.due + TIME_EPSILON {
                    let arr_b = td + sd.service + inst.d(d, b);
                    let nb = arr_b.max(inst.stops[b].ready);
                    let delay = (nb - self.start[j]).max(0.0);
                    if delay <= self.slack[j] + TIME_EPSILON {
                        let c = base_p + inst.d(p, self.seq[i]) + inst.d(m, d) + inst.d(d, b)
                            - inst.d(m, b);
                        if best.is_none_or(|x| c < x.0) {
                            best = Some((c, i, j));
                        }
                    }
                }
                prev = m;
                t_prev = tm;
            }
        }
        best
    }

    fn insert(&mut self, inst: &Instance, p: usize, d: usize, i: usize, j: usize) {
        // d before seq[j] (positions of the route before p's insertion), p before seq[i].
        self.seq.insert(j, d);
        self.seq.insert(i, p);
        self.update(inst);
    }

    fn remove(&mut self, inst: &Instance, p: usize, d: usize) {
        self.seq.retain(|&s| s != p && s != d);
        self.update(inst);
    }
}

#[derive(Debug, Clone)]
struct State {
    routes: Vec<Route>,
    unserved: Vec<(usize, usize)>,
    max_routes: usize,
}

impl State {
    fn distance(&self) -> f64 {
        self.routes.iter().map(|r| r.cost).sum()
    }
    fn objective(&self) -> f64 {
        self.distance() + UNSERVED_PENALTY * self.unserved.len() as f64
    }
    fn used(&self) -> usize {
        self.routes.iter().filter(|r| !r.is_empty()).count()
    }
    fn solution(&self) -> Solution {
        Solution {
            routes: self
                .routes
                .iter()
                .filter(|r| !r.is_empty())
                .map(|r| r.stops().to_vec())
                .collect(),
        }
    }
    fn route_of(&self, s: usize) -> Option<usize> {
        self.routes.iter().position(|r| r.stops().contains(&s))
    }
}

fn insert_all(inst: &Instance, st: &mut State, regret: bool, noise: f64, rng: &mut Rng) {
    // cache[u][k]: the best insertion of unserved request u into route k (recomputed only for
    // the route that changed).
    let mut cache: Vec<Vec<Option<(f64, usize, usize)>>> = st
        .unserved
        .iter()
        .map(|&(p, d)| {
            st.routes
                .iter()
                .map(|r| r.best_insertion(inst, p, d))
                .collect()
        })
        .collect();
    while !st.unserved.is_empty() {
        let mut pick: Option<(f64, usize, usize, usize, usize)> = None; // (key, u, route, i, j)
        for (u, row) in cache.iter().enumerate() {
            let mut first: Option<(f64, usize, usize, usize)> = None;
            let mut second = f64::INFINITY;
            let mut empty_seen = false;
            for (k, c) in row.iter().enumerate() {
                if st.routes[k].is_empty() {
                    if empty_seen {
                        continue;
                    }
                    empty_seen = true;
                }
                if let Some((c, i, j)) = *c {
                    match first {
                        Some(f) if c >= f.0 => second = second.min(c),
                        _ => {
                            if let Some(f) = first {
                                second = second.min(f.0);
                            }
                            first = Some((c, k, i, j));
                        }
                    }
                }
            }
            let Some((c, k, i, j)) = first else { continue };
            let jitter = 1.0 + noise * (rng.unit() * 2.0 - 1.0);
            let key = if regret {
                let r = if second.is_finite() { second - c } else { 1e9 };
                -r * jitter
            } else {
                c * jitter
            };
            if pick.is_none_or(|x| key < x.0) {
                pick = Some((key, u, k, i, j));
            }
        }
        let Some((_, u, k, i, j)) = pick else {
            break; // nothing fits anywhere
        };
        let (p, d) = st.unserved.swap_remove(u);
        cache.swap_remove(u);
        st.routes[k].insert(inst, p, d, i, j);
        let before = st.routes.len();
        ensure_spare_route(inst, st);
        if st.routes.len() != before {
            // Routes were added or dropped: rebuild the cache's columns.
            for (row, &(p, d)) in cache.iter_mut().zip(&st.unserved) {
                *row = st
                    .routes
                    .iter()
                    .map(|r| r.best_insertion(inst, p, d))
                    .collect();
            }
        } else {
            for (row, &(p, d)) in cache.iter_mut().zip(&st.unserved) {
                row[k] = st.routes[k].best_insertion(inst, p, d);
            }
        }
    }
}

/// Keeps one empty route available while fewer than `max_routes` are used.
fn ensure_spare_route(inst: &Instance, st: &mut State) {
    let used = st.used();
    let empty = st.routes.iter().filter(|r| r.is_empty()).count();
    if empty == 0 && used < st.max_routes {
        st.routes.push(Route::new(inst, &[]));
    }
    if used >= st.max_routes {
        st.routes.retain(|r| !r.is_empty());
    }
}

fn remove_request(inst: &Instance, st: &mut State, p: usize, d: usize) {
    if let Some(k) = st.route_of(p) {
        st.routes[k].remove(inst, p, d);
        st.unserved.push((p, d));
    }
}

fn served(inst: &Instance, st: &State) -> Vec<(usize, usize)> {
    st.routes
        .iter()
        .flat_map(|r| r.stops().iter().copied())
        .filter(|&s| inst.is_pickup(s))
        .map(|s| (s, inst.stops[s].sibling))
        .collect()
}

/// Distance saved by taking request (p, d) out of its route.
fn removal_saving(inst: &Instance, st: &State, p: usize, d: usize) -> f64 {
    let Some(r) = st.route_of(p).map(|x| &st.routes[x]) else {
        return 0.0;
    };
    let (Some(i), Some(j)) = (
        r.seq.iter().position(|&s| s == p),
        r.seq.iter().position(|&s| s == d),
    ) else {
        return 0.0;
    };
    let (a, b) = (r.seq[i - 1], r.seq[j + 1]);
    if j == i + 1 {
        inst.d(a, p) + inst.d(p, d) + inst.d(d, b) - inst.d(a, b)
    } else {
        let (pn, dp) = (r.seq[i + 1], r.seq[j - 1]);
        inst.d(a, p) + inst.d(p, pn) - inst.d(a, pn) + inst.d(dp, d) + inst.d(d, b) - inst.d(dp, b)
    }
}

fn destroy(inst: &Instance, st: &mut State, op: usize, q: usize, rng: &mut Rng) {
    let mut reqs = served(inst, st);
    if reqs.is_empty() {
        return;
    }
    let q = q.min(reqs.len());
    match op {
        // Random.
        0 => {
            for _ in 0..q {
                let k = rng.below(reqs.len());
                let (p, d) = reqs.swap_remove(k);
                remove_request(inst, st, p, d);
            }
        }
        // Worst: the requests whose removal saves most, with randomness.
        1 => {
            for _ in 0..q {
                let mut savings: Vec<(f64, usize)> = reqs
                    .iter()
                    .enumerate()
                    .map(|(k, &(p, d))| (removal_saving(inst, st, p, d), k))
                    .collect();
                savings.sort_by(|a, b| b.0.total_cmp(&a.0));
                let y = rng.unit();
                let k = savings[((y.powi(3)) * savings.len() as f64) as usize % savings.len()].1;
                let (p, d) = reqs.swap_remove(k);
                remove_request(inst, st, p, d);
            }
        }
        // Related (Shaw): near in space and time to a seed request.
        _ => {
            let seed = reqs[rng.below(reqs.len())];
            let rel = |a: (usize, usize), b: (usize, usize)| {
                let (sa, sb) = (&inst.stops[a.0], &inst.stops[b.0]);
                let (da, db) = (&inst.stops[a.1], &inst.stops[b.1]);
                inst.d(a.0, b.0)
                    + inst.d(a.1, b.1)
                    + 0.2 * ((sa.ready - sb.ready).abs() + (da.ready - db.ready).abs())
            };
            reqs.sort_by(|a, b| rel(seed, *a).total_cmp(&rel(seed, *b)));
            let mut taken = Vec::new();
            for _ in 0..q {
                let y = rng.unit();
                let k = ((y.powi(4)) * reqs.len() as f64) as usize % reqs.len();
                taken.push(reqs.remove(k));
                if reqs.is_empty() {
                    break;
                }
            }
            for (p, d) in taken {
                remove_request(inst, st, p, d);
            }
        }
    }
}

/// Solves an instance: fewest vehicles first, then least distance. The result is always
/// feasible when every request fits a vehicle on its own; requests that cannot be served at
/// all are left out of it (see `check`).
pub fn solve(inst: &Instance, params: &Params) -> Solution {
    let runs = params.restarts.max(1);
    let mut best: Option<Solution> = None;
    for k in 0..runs {
        let one = Params {
            seed: params.seed.wrapping_add(k as u64),
            iterations: params.iterations / runs,
            restarts: 1,
            ..params.clone()
        };
        let s = search(inst, &one);
        let better = best.as_ref().is_none_or(|b| {
            (s.vehicles(), s.cost(inst)) < (b.vehicles(), b.cost(inst) - 1e-9)
                || (unserved(inst, &s) < unserved(inst, b))
        });
        if better
            && best
                .as_ref()
                .is_none_or(|b| unserved(inst, &s) <= unserved(inst, b))
        {
            best = Some(s);
        }
    }
    best.unwrap_or_default()
}

/// Requests a solution leaves out.
fn unserved(inst: &Instance, s: &Solution) -> usize {
    inst.requests().len() - s.routes.iter().map(|r| r.len()).sum::<usize>() / 2
}

/// One search (see the module's description).
fn search(inst: &Instance, params: &Params) -> Solution {
    let mut rng = Rng::new(params.seed);
    let requests = inst.requests();
    // Start: regret insertion with the whole fleet.
    let mut st = State {
        routes: vec![Route::new(inst, &[])],
        unserved: requests.clone(),
        max_routes: inst.vehicles.max(1),
    };
    insert_all(inst, &mut st, true, 0.0, &mut rng);
    st.routes.retain(|r| !r.is_empty());
    let mut best = st.clone();
    let total = params.iterations;
    let elim = (total as f64 * params.elimination_share) as usize;
    let n_req = requests.len().max(1);
    // Operator weights (adaptive).
    let mut weights = [1.0f64; 3];
    let mut scores = [0.0f64; 3];
    let mut uses = [0u32; 3];
    let mut elim = elim;
    let mut temperature = 0.05 * best.distance() / n_req as f64;
    let mut cooling = 0.01f64.powf(1.0 / total.max(1) as f64);
    let mut phase_left = 0usize;
    let mut failed_rounds = 0usize;
    let mut it = 0usize;
    let mut current = best.clone();
    while it < total {
        // Route elimination: start a round from the best with its smallest route emptied.
        if it < elim && phase_left == 0 && best.unserved.is_empty() && best.used() > 1 {
            let mut s = best.clone();
            let k = (0..s.routes.len())
                .filter(|&k| !s.routes[k].is_empty())
                .min_by_key(|&k| s.routes[k].stops().len())
                .unwrap_or(0);
            let emptied: Vec<usize> = s.routes[k].stops().to_vec();
            for &x in &emptied {
                if inst.is_pickup(x) {
                    s.unserved.push((x, inst.stops[x].sibling));
                }
            }
            s.routes.remove(k);
            s.max_routes = best.used() - 1;
            s.routes.retain(|r| !r.is_empty());
            current = s;
            insert_all(inst, &mut current, true, 0.0, &mut rng);
            phase_left = (elim / ELIMINATION_ROUNDS).max(200);
        }
        let op = {
            let sum: f64 = weights.iter().sum();
            let mut x = rng.unit() * sum;
            let mut k = 0;
            while k < 2 && x > weights[k] {
                x -= weights[k];
                k += 1;
            }
            k
        };
        // One request at a time too: on a small instance, moving one is often the move.
        let q = 1 + rng.below((n_req * 3 / 10).clamp(3, REMOVED_MAX));
        let mut cand = current.clone();
        destroy(inst, &mut cand, op, q, &mut rng);
        let regret = rng.below(2) == 0;
        insert_all(inst, &mut cand, regret, 0.1, &mut rng);
        ensure_spare_route(inst, &mut cand);
        let (co, cu) = (cand.objective(), current.objective());
        let better_than_best = cand.unserved.len() < best.unserved.len()
            || (cand.unserved.is_empty()
                && (cand.used() < best.used()
                    || (cand.used() == best.used() && cand.distance() < best.distance() - 1e-9)));
        uses[op] += 1;
        if better_than_best {
            if cand.unserved.is_empty() {
                best = cand.clone();
                best.routes.retain(|r| !r.is_empty());
                if it < elim {
                    phase_left = 0; // eliminate the next route
                    failed_rounds = 0;
                }
            }
            scores[op] += 33.0;
            current = cand;
        } else if co < cu - 1e-9 {
            scores[op] += 9.0;
            current = cand;
        } else if rng.unit() < (-(co - cu) / temperature.max(1e-9)).exp() {
            scores[op] += 13.0;
            current = cand;
        }
        temperature *= cooling;
        it += 1;
        if phase_left > 0 {
            phase_left -= 1;
            if phase_left == 0 && it < elim {
                // The round failed: back to the best; after `ELIMINATION_FAILURES_MAX` failed
                // rounds in a row, the rest goes to distance.
                current = best.clone();
                failed_rounds += 1;
                if failed_rounds >= ELIMINATION_FAILURES_MAX {
                    elim = it;
                }
            }
        }
        if it == elim {
            // Distance: simulated annealing from the best, hot enough to accept a solution
            // `START_WORSE` worse half the time, cooling to a thousandth by the end.
            current = best.clone();
            current.max_routes = best.used();
            temperature = START_WORSE * best.distance() / std::f64::consts::LN_2;
            cooling = 0.001f64.powf(1.0 / (total - it).max(1) as f64);
        }
        if it % 100 == 0 {
            for k in 0..3 {
                if uses[k] > 0 {
                    weights[k] = 0.8 * weights[k] + 0.2 * (scores[k] / uses[k] as f64).max(0.1);
                }
                scores[k] = 0.0;
                uses[k] = 0;
            }
        }
    }
    let mut sol = best.solution();
    for r in &mut sol.routes {
        if r.len() <= EXACT_ROUTE_STOPS_MAX {
            reorder_exactly(inst, r);
        }
    }
    sol
}

/// Routes of at most this many stops are put in their best order exactly at the end.
pub const EXACT_ROUTE_STOPS_MAX: usize = 10;

/// The best feasible order of one route's stops (a delivery after its pickup), by depth-first
/// search pruned on windows, load and the best distance so far. Leaves `r` as it is when no
/// order is better.
fn reorder_exactly(inst: &Instance, r: &mut Vec<usize>) {
    struct Search<'a> {
        inst: &'a Instance,
        stops: Vec<usize>,
        used: Vec<bool>,
        seq: Vec<usize>,
        best: f64,
        best_seq: Vec<usize>,
    }
    fn go(s: &mut Search, prev: usize, t: f64, load: i32, cost: f64) {
        if cost >= s.best - 1e-9 {
            return;
        }
        if s.seq.len() == s.stops.len() {
            let back = t + s.inst.stops[prev].service + s.inst.d(prev, 0);
            let total = cost + s.inst.d(prev, 0);
            if back <= s.inst.stops[0].due + TIME_EPSILON && total < s.best - 1e-9 {
                s.best = total;
                s.best_seq = s.seq.clone();
            }
            return;
        }
        for k in 0..s.stops.len() {
            if s.used[k] {
                continue;
            }
            let x = s.stops[k];
            let st = &s.inst.stops[x];
            if !s.inst.is_pickup(x) && !s.seq.contains(&st.sibling) {
                continue;
            }
            let nl = load + st.demand;
            if nl > s.inst.capacity {
                continue;
            }
            let nt = (t + s.inst.stops[prev].service + s.inst.d(prev, x)).max(st.ready);
            if nt > st.due + TIME_EPSILON {
                continue;
            }
            s.used[k] = true;
            s.seq.push(x);
            go(s, x, nt, nl, cost + s.inst.d(prev, x));
            s.seq.pop();
            s.used[k] = false;
        }
    }
    let mut s = Search {
        inst,
        stops: r.clone(),
        used: vec![false; r.len()],
        seq: Vec::with_capacity(r.len()),
        best: route_cost(inst, r),
        best_seq: Vec::new(),
    };
    go(&mut s, 0, inst.stops[0].ready, 0, 0.0);
    if !s.best_seq.is_empty() {
        *r = s.best_seq;
    }
}
