//! The campaign's matcher: travellers placed at field offices, with a ride there and a bed
//! near the office, where offices need volunteers.
//!
//! The model (docs/trips.md):
//! - An office needs `need` volunteers on each day; a volunteer at the office on a day fills
//!   one of them. A traveller placed at an office works every day of their stay.
//! - A traveller who needs a ride goes with a driver whose ride goes to that office: the
//!   ride's day is the first day of the stay, its return day (if any) the last; the pickup is
//!   at the traveller's home, on the driver's way. A traveller who needs no ride comes on their
//!   own for all of their days.
//! - A ride: seats, the driver's maximum detour (road km beyond the direct route) and time
//!   window (leave no earlier than `depart_minute`, arrive by `arrive_by_minute`, with
//!   `PICKUP_MINUTES` per pickup), and what the driver accepts (smokers, pets, children, a
//!   wheelchair).
//! - A traveller who needs a bed sleeps at a host within `BED_DISTANCE_KM_MAX` road km of the
//!   office, for every night of the stay, in a bed whose dates cover them and whose host
//!   accepts what the traveller brings; a host's beds are counted night by night.
//!
//! Objective, in this order: volunteer-days placed where needed (each office's covered
//! need-days times its weight), then total driver detour, then drivers used.
//!
//! Method: small problems (`EXACT_COMBINATIONS_MAX`) are solved exactly by depth-first
//! search. Larger ones: accepted placements are fixed; previous proposals that still hold are
//! kept (re-planning is incremental); a lazy greedy places the traveller whose next placement
//! fills most need (cheapest detour on ties); ejection moves let an unplaced traveller take a
//! seat or bed from someone who can go elsewhere; relocation moves shorten detours and free
//! drivers; pickups are finally put in the shortest order.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

use model::Date;

use crate::geo::{drive_minutes, road_km, Point};

/// A host's bed is offered for an office only within this road distance of it.
pub const BED_DISTANCE_KM_MAX: f64 = 40.0;
/// Minutes the driver spends at each pickup.
pub const PICKUP_MINUTES: f64 = 5.0;
/// Ride options kept per traveller (the shortest solo detours).
pub const OPTIONS_PER_TRAVELLER_MAX: usize = 200;
/// People tried for ejection to make room for one unplaced traveller.
pub const EJECTIONS_PER_TRAVELLER_MAX: usize = 12;
/// Rounds of ejection and relocation moves.
pub const IMPROVE_ROUNDS: usize = 3;
/// Rounds of ruin and recreate after the first plan (a related group of placements removed
/// and placed again greedily; kept when the plan is no worse).
pub const RUIN_ROUNDS: usize = 1_000;
/// Placements removed per round at most.
pub const RUIN_SIZE_MAX: usize = 40;
/// Travellers with options at most in a problem solved exactly (the search's depth).
pub const EXACT_TRAVELLERS_MAX: usize = 40;
/// Problems with at most this many combinations of choices are solved exactly.
pub const EXACT_COMBINATIONS_MAX: f64 = 200_000.0;
/// Pickup orders are made exact (all permutations) for rides with at most this many people.
pub const ROUTE_EXACT_PASSENGERS_MAX: usize = 7;
/// Limits on one problem (the store checks them before planning).
pub const TRAVELLERS_MAX: usize = 200_000;
pub const RIDES_MAX: usize = 100_000;
pub const BEDS_MAX: usize = 100_000;
pub const OFFICES_MAX: usize = 1_000;

const EPS: f64 = 1e-9;

/// What a traveller brings and what a ride or a host accepts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Flags(pub u8);

impl Flags {
    pub const NONE: Flags = Flags(0);
    pub const SMOKER: Flags = Flags(1);
    pub const PET: Flags = Flags(2);
    pub const CHILDREN: Flags = Flags(4);
    pub const WHEELCHAIR: Flags = Flags(8);
    pub const ALL: Flags = Flags(15);
    const NAMES: [(Flags, &'static str); 4] = [
        (Flags::SMOKER, "smoking"),
        (Flags::PET, "a pet"),
        (Flags::CHILDREN, "children"),
        (Flags::WHEELCHAIR, "a wheelchair"),
    ];

    pub fn with(self, other: Flags, on: bool) -> Flags {
        if on {
            Flags(self.0 | other.0)
        } else {
            Flags(self.0 & !other.0)
        }
    }
    pub fn has(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }
    /// What `self` brings that `accepts` does not accept, in words.
    pub fn refused_by(self, accepts: Flags) -> Vec<&'static str> {
        Flags::NAMES
            .iter()
            .filter(|(f, _)| self.has(*f) && !accepts.has(*f))
            .map(|(_, n)| *n)
            .collect()
    }
    pub fn fits(self, accepts: Flags) -> bool {
        self.0 & !accepts.0 == 0
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Office {
    pub name: String,
    pub at: Point,
    /// Priority (1 = normal); covered need-days count this many times.
    pub weight: u32,
    /// Volunteers needed per day (day = days since 1970-01-01), one entry per day.
    pub need: Vec<(i32, u32)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ride {
    pub name: String,
    pub origin: Point,
    pub office: usize,
    pub day: i32,
    pub depart_minute: u32,
    pub arrive_by_minute: u32,
    pub seats: u32,
    pub detour_km_max: f64,
    pub accepts: Flags,
    pub return_day: Option<i32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Bed {
    pub name: String,
    pub at: Point,
    /// First night offered (check-in day) and check-out day: nights `from_day..to_day`.
    pub from_day: i32,
    pub to_day: i32,
    pub beds: u32,
    pub accepts: Flags,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Traveller {
    pub name: String,
    pub home: Point,
    /// Offices the traveller accepts; empty: any.
    pub offices: Vec<usize>,
    pub first_day: i32,
    pub last_day: i32,
    pub needs_ride: bool,
    pub needs_bed: bool,
    pub brings: Flags,
    /// Rides and beds this traveller must not be given (declined by one side).
    pub avoid_rides: Vec<usize>,
    pub avoid_beds: Vec<usize>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Problem {
    pub offices: Vec<Office>,
    pub rides: Vec<Ride>,
    pub beds: Vec<Bed>,
    pub travellers: Vec<Traveller>,
}

/// One traveller's assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Placement {
    pub traveller: usize,
    pub office: usize,
    pub first_day: i32,
    pub last_day: i32,
    pub ride: Option<usize>,
    pub bed: Option<usize>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Objective {
    /// Covered need-days, each times its office's weight.
    pub need_days: u64,
    /// Total detour of the drivers used, metres.
    pub detour_m: u64,
    pub drivers: u32,
}

impl Objective {
    /// Lexicographic: more need covered, then less detour, then fewer drivers.
    pub fn cmp_better(&self, other: &Objective) -> Ordering {
        self.need_days
            .cmp(&other.need_days)
            .then(other.detour_m.cmp(&self.detour_m))
            .then(other.drivers.cmp(&self.drivers))
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// One per placed traveller, by traveller index.
    pub placements: Vec<Placement>,
    /// Per ride, its passengers in pickup order.
    pub pickups: Vec<Vec<usize>>,
    pub objective: Objective,
    /// Fixed placements that no longer hold (an offer changed or was cancelled), with why.
    pub dropped: Vec<(Placement, String)>,
    /// Solved exactly (small problem).
    pub exact: bool,
}

/// How much of the offices' need a plan covers (unweighted volunteer-days).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Coverage {
    pub needed: u64,
    pub covered: u64,
    pub placed: u64,
}

/// The stay a traveller gets with a ride (or on their own): first and last working day.
pub fn stay(t: &Traveller, ride: Option<&Ride>) -> Option<(i32, i32)> {
    match ride {
        None => (t.first_day <= t.last_day).then_some((t.first_day, t.last_day)),
        Some(r) => {
            if r.day < t.first_day || r.day > t.last_day {
                return None;
            }
            let last = r.return_day.map_or(t.last_day, |x| x.min(t.last_day));
            (last >= r.day).then_some((r.day, last))
        }
    }
}

fn office_ok(t: &Traveller, office: usize) -> bool {
    t.offices.is_empty() || t.offices.contains(&office)
}

/// Road km of a ride through `pass` (travellers, in order).
pub fn route_km(p: &Problem, ride: usize, pass: &[usize]) -> f64 {
    let r = &p.rides[ride];
    let mut at = r.origin;
    let mut km = 0.0;
    for &t in pass {
        let h = p.travellers[t].home;
        km += road_km(at, h);
        at = h;
    }
    km + road_km(at, p.offices[r.office].at)
}

fn route_fits(p: &Problem, ride: usize, km: f64, passengers: usize) -> Result<(), String> {
    let r = &p.rides[ride];
    let direct = road_km(r.origin, p.offices[r.office].at);
    if km - direct > r.detour_km_max + EPS {
        return Err(format!(
            "the detour would be {:.1} km, more than the driver's {:.1} km",
            km - direct,
            r.detour_km_max
        ));
    }
    let arrive = r.depart_minute as f64 + drive_minutes(km) + PICKUP_MINUTES * passengers as f64;
    if arrive > r.arrive_by_minute as f64 + EPS {
        return Err(format!(
            "the driver would arrive at {} , after {}",
            clock(arrive),
            clock(r.arrive_by_minute as f64)
        ));
    }
    Ok(())
}

/// `HH:MM` of a minute of the day.
pub fn clock(minute: f64) -> String {
    let m = minute.round().max(0.0) as u32;
    format!("{:02}:{:02}", m / 60, m % 60)
}

fn day(d: i32) -> String {
    Date::from_days(d as i64).to_string()
}

/// Checks every rule; the first violation in words.
pub fn check(p: &Problem, plan: &Plan) -> Result<(), String> {
    let mut seen = vec![false; p.travellers.len()];
    let mut riders: Vec<Vec<usize>> = vec![Vec::new(); p.rides.len()];
    let mut guests: Vec<Vec<(i32, i32)>> = vec![Vec::new(); p.beds.len()];
    for pl in &plan.placements {
        let t = p
            .travellers
            .get(pl.traveller)
            .ok_or_else(|| format!("traveller {} does not exist", pl.traveller))?;
        if std::mem::replace(&mut seen[pl.traveller], true) {
            return Err(format!("{} is placed twice", t.name));
        }
        check_one(p, pl)?;
        if let Some(r) = pl.ride {
            riders[r].push(pl.traveller);
        }
        if let Some(b) = pl.bed {
            guests[b].push((pl.first_day, pl.last_day));
        }
    }
    if plan.pickups.len() != p.rides.len() {
        return Err(format!(
            "{} pickup lists for {} rides",
            plan.pickups.len(),
            p.rides.len()
        ));
    }
    for (r, pass) in plan.pickups.iter().enumerate() {
        let ride = &p.rides[r];
        let mut a = pass.clone();
        a.sort_unstable();
        let mut b = riders[r].clone();
        b.sort_unstable();
        if a != b {
            return Err(format!(
                "ride {}: the pickup list does not match the placements",
                ride.name
            ));
        }
        if pass.len() > ride.seats as usize {
            return Err(format!(
                "ride {}: {} passengers for {} seats",
                ride.name,
                pass.len(),
                ride.seats
            ));
        }
        if !pass.is_empty() {
            route_fits(p, r, route_km(p, r, pass), pass.len())
                .map_err(|e| format!("ride {}: {e}", ride.name))?;
        }
    }
    for (b, stays) in guests.iter().enumerate() {
        let bed = &p.beds[b];
        for night in bed.from_day..bed.to_day {
            let n = stays
                .iter()
                .filter(|(f, l)| *f <= night && night < *l)
                .count();
            if n > bed.beds as usize {
                return Err(format!(
                    "bed {}: {n} guests on the night of {} for {} beds",
                    bed.name,
                    day(night),
                    bed.beds
                ));
            }
        }
    }
    Ok(())
}

/// The rules of one placement on its own (capacity aside).
pub fn check_one(p: &Problem, pl: &Placement) -> Result<(), String> {
    let t = &p.travellers[pl.traveller];
    let office = p
        .offices
        .get(pl.office)
        .ok_or_else(|| format!("{}: office {} does not exist", t.name, pl.office))?;
    if !office_ok(t, pl.office) {
        return Err(format!("{} did not ask for {}", t.name, office.name));
    }
    let ride = match pl.ride {
        Some(r) => Some(
            p.rides
                .get(r)
                .ok_or_else(|| format!("{}: ride {r} does not exist", t.name))?,
        ),
        None => None,
    };
    if t.needs_ride && ride.is_none() {
        return Err(format!("{} needs a ride and has none", t.name));
    }
    if !t.needs_ride && ride.is_some() {
        return Err(format!(
            "{} travels on their own and asked for no ride",
            t.name
        ));
    }
    if let Some(r) = ride {
        if r.office != pl.office {
            return Err(format!(
                "{}: ride {} goes to {}, not {}",
                t.name, r.name, p.offices[r.office].name, office.name
            ));
        }
        if pl.ride.is_some_and(|i| t.avoid_rides.contains(&i)) {
            return Err(format!("{}: ride {} was declined", t.name, r.name));
        }
        let refused = t.brings.refused_by(r.accepts);
        if !refused.is_empty() {
            return Err(format!(
                "{}: ride {} does not accept {}",
                t.name,
                r.name,
                refused.join(", ")
            ));
        }
    }
    match stay(t, ride) {
        Some((f, l)) if f == pl.first_day && l == pl.last_day => {}
        _ => {
            return Err(format!(
                "{}: the stay {}–{} does not follow from their dates and the ride",
                t.name,
                day(pl.first_day),
                day(pl.last_day)
            ))
        }
    }
    let nights = pl.last_day - pl.first_day;
    match pl.bed {
        None if t.needs_bed && nights > 0 => {
            return Err(format!(
                "{} needs a bed for {nights} nights and has none",
                t.name
            ))
        }
        None => {}
        Some(b) => {
            let bed = p
                .beds
                .get(b)
                .ok_or_else(|| format!("{}: bed {b} does not exist", t.name))?;
            if bed.from_day > pl.first_day || bed.to_day < pl.last_day {
                return Err(format!(
                    "{}: bed {} is offered {}–{}, the stay is {}–{}",
                    t.name,
                    bed.name,
                    day(bed.from_day),
                    day(bed.to_day),
                    day(pl.first_day),
                    day(pl.last_day)
                ));
            }
            let km = road_km(bed.at, office.at);
            if km > BED_DISTANCE_KM_MAX + EPS {
                return Err(format!(
                    "{}: bed {} is {km:.0} km from {}, more than {BED_DISTANCE_KM_MAX} km",
                    t.name, bed.name, office.name
                ));
            }
            if t.avoid_beds.contains(&b) {
                return Err(format!("{}: bed {} was declined", t.name, bed.name));
            }
            let refused = t.brings.refused_by(bed.accepts);
            if !refused.is_empty() {
                return Err(format!(
                    "{}: the host of bed {} does not accept {}",
                    t.name,
                    bed.name,
                    refused.join(", ")
                ));
            }
        }
    }
    Ok(())
}

/// The plan's objective, computed from scratch.
pub fn objective(p: &Problem, plan: &Plan) -> Objective {
    let (need_days, _) = covered(p, &plan.placements);
    let mut detour = 0.0;
    let mut drivers = 0;
    for (r, pass) in plan.pickups.iter().enumerate() {
        if pass.is_empty() {
            continue;
        }
        let ride = &p.rides[r];
        detour += route_km(p, r, pass) - road_km(ride.origin, p.offices[ride.office].at);
        drivers += 1;
    }
    Objective {
        need_days,
        detour_m: (detour.max(0.0) * 1000.0).round() as u64,
        drivers,
    }
}

/// (weighted covered need-days, unweighted covered need-days).
fn covered(p: &Problem, placements: &[Placement]) -> (u64, u64) {
    let mut at: HashMap<(usize, i32), u32> = HashMap::new();
    for pl in placements {
        for d in pl.first_day..=pl.last_day {
            *at.entry((pl.office, d)).or_default() += 1;
        }
    }
    let (mut w, mut c) = (0, 0);
    for (o, office) in p.offices.iter().enumerate() {
        for &(d, n) in &office.need {
            let k = at.get(&(o, d)).copied().unwrap_or(0).min(n) as u64;
            c += k;
            w += k * office.weight as u64;
        }
    }
    (w, c)
}

/// Need, covered need and placed volunteer-days of a plan.
pub fn coverage(p: &Problem, plan: &Plan) -> Coverage {
    let needed = p
        .offices
        .iter()
        .flat_map(|o| o.need.iter().map(|x| x.1 as u64))
        .sum();
    let placed = plan
        .placements
        .iter()
        .map(|pl| (pl.last_day - pl.first_day + 1) as u64)
        .sum();
    Coverage {
        needed,
        covered: covered(p, &plan.placements).1,
        placed,
    }
}

#[derive(Debug, Clone, Copy)]
struct Opt {
    office: usize,
    ride: Option<usize>,
    first: i32,
    last: i32,
}

#[derive(Debug, Clone, Copy)]
struct Choice {
    pl: Placement,
    pos: usize,
    gain: u64,
    added_km: f64,
    new_driver: bool,
    bed_km: f64,
}

impl Choice {
    fn better(&self, o: &Choice) -> bool {
        (self.gain, o.added_km, o.new_driver as u8, o.bed_km).partial_cmp(&(
            o.gain,
            self.added_km,
            self.new_driver as u8,
            self.bed_km,
        )) == Some(Ordering::Greater)
    }
}

/// The search state: who is where and what is used.
#[derive(Clone)]
struct State<'a> {
    p: &'a Problem,
    day0: i32,
    need: Vec<Vec<u32>>,
    placed: Vec<Vec<u32>>,
    pass: Vec<Vec<usize>>,
    path_km: Vec<f64>,
    direct_km: Vec<f64>,
    bed_use: Vec<Vec<u32>>,
    guests: Vec<Vec<usize>>,
    at: Vec<Option<Placement>>,
    fixed: Vec<bool>,
    value: u64,
    detour_km: f64,
    drivers: u32,
    /// Options and beds per office never change during a search: shared by snapshots.
    opts: std::rc::Rc<Vec<Vec<Opt>>>,
    beds_near: std::rc::Rc<Vec<Vec<(f64, usize)>>>,
}

impl<'a> State<'a> {
    fn new(p: &'a Problem) -> State<'a> {
        let mut lo = i32::MAX;
        let mut hi = i32::MIN;
        for o in &p.offices {
            for &(d, _) in &o.need {
                lo = lo.min(d);
                hi = hi.max(d);
            }
        }
        // Only days with a need count: the state spans them (a stay's other days are free).
        if lo > hi {
            (lo, hi) = (0, -1);
        }
        let days = (hi - lo + 1) as usize;
        let need = p
            .offices
            .iter()
            .map(|o| {
                let mut v = vec![0u32; days];
                for &(d, n) in &o.need {
                    v[(d - lo) as usize] += n;
                }
                v
            })
            .collect();
        let direct_km: Vec<f64> = p
            .rides
            .iter()
            .map(|r| road_km(r.origin, p.offices[r.office].at))
            .collect();
        let beds_near = p
            .offices
            .iter()
            .map(|o| {
                let mut v: Vec<(f64, usize)> = p
                    .beds
                    .iter()
                    .enumerate()
                    .map(|(b, bed)| (road_km(bed.at, o.at), b))
                    .filter(|(km, _)| *km <= BED_DISTANCE_KM_MAX + EPS)
                    .collect();
                v.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                v
            })
            .collect();
        // Ride options per traveller: rides to an office they accept, on their dates,
        // accepting what they bring, whose solo detour fits; the shortest detours kept.
        // Rides per office in day order: a traveller looks only at the days they can leave.
        let mut by_office: Vec<Vec<usize>> = vec![Vec::new(); p.offices.len()];
        for (r, ride) in p.rides.iter().enumerate() {
            by_office[ride.office].push(r);
        }
        for v in &mut by_office {
            v.sort_by_key(|&r| (p.rides[r].day, r));
        }
        let opts = p
            .travellers
            .iter()
            .map(|t| {
                let mut v: Vec<(f64, Opt)> = Vec::new();
                for o in 0..p.offices.len() {
                    if !office_ok(t, o) {
                        continue;
                    }
                    if !t.needs_ride {
                        if let Some((first, last)) = stay(t, None) {
                            v.push((
                                0.0,
                                Opt {
                                    office: o,
                                    ride: None,
                                    first,
                                    last,
                                },
                            ));
                        }
                        continue;
                    }
                    let rides = &by_office[o];
                    let a = rides.partition_point(|&r| p.rides[r].day < t.first_day);
                    let b = rides.partition_point(|&r| p.rides[r].day <= t.last_day);
                    for &r in &rides[a..b.max(a)] {
                        let ride = &p.rides[r];
                        if ride.seats == 0
                            || !t.brings.fits(ride.accepts)
                            || t.avoid_rides.contains(&r)
                        {
                            continue;
                        }
                        let Some((first, last)) = stay(t, Some(ride)) else {
                            continue;
                        };
                        let km = road_km(ride.origin, t.home) + road_km(t.home, p.offices[o].at);
                        if route_fits(p, r, km, 1).is_err() {
                            continue;
                        }
                        v.push((
                            km - direct_km[r],
                            Opt {
                                office: o,
                                ride: Some(r),
                                first,
                                last,
                            },
                        ));
                    }
                }
                // Shortest detour first; ties by office, then ride (whatever the scan order).
                v.sort_by(|a, b| {
                    a.0.total_cmp(&b.0)
                        .then(a.1.office.cmp(&b.1.office))
                        .then(a.1.ride.cmp(&b.1.ride))
                });
                v.truncate(OPTIONS_PER_TRAVELLER_MAX);
                v.into_iter().map(|x| x.1).collect()
            })
            .collect();
        State {
            p,
            day0: lo,
            placed: vec![vec![0; days]; p.offices.len()],
            need,
            pass: vec![Vec::new(); p.rides.len()],
            path_km: direct_km.clone(),
            direct_km,
            bed_use: p
                .beds
                .iter()
                .map(|b| vec![0; (b.to_day - b.from_day).max(0) as usize])
                .collect(),
            guests: vec![Vec::new(); p.beds.len()],
            at: vec![None; p.travellers.len()],
            fixed: vec![false; p.travellers.len()],
            value: 0,
            detour_km: 0.0,
            drivers: 0,
            opts: std::rc::Rc::new(opts),
            beds_near: std::rc::Rc::new(beds_near),
        }
    }

    fn objective(&self) -> (u64, f64, u32) {
        (self.value, self.detour_km, self.drivers)
    }

    fn better(a: (u64, f64, u32), b: (u64, f64, u32)) -> bool {
        a.0 > b.0 || (a.0 == b.0 && (a.1 < b.1 - 1e-6 || ((a.1 - b.1).abs() <= 1e-6 && a.2 < b.2)))
    }

    /// Indices of the days of `first..=last` that the state spans (days with a need).
    fn span(&self, first: i32, last: i32) -> std::ops::Range<usize> {
        let n = self.need.first().map_or(0, Vec::len) as i64;
        let a = (first as i64 - self.day0 as i64).clamp(0, n);
        let b = (last as i64 - self.day0 as i64 + 1).clamp(0, n);
        a as usize..(b.max(a)) as usize
    }

    fn gain(&self, office: usize, first: i32, last: i32) -> u64 {
        let w = self.p.offices[office].weight as u64;
        let (need, placed) = (&self.need[office], &self.placed[office]);
        self.span(first, last)
            .filter(|&i| placed[i] < need[i])
            .count() as u64
            * w
    }

    /// Cheapest insertion of `t` into `ride`: (position, added km), if it fits.
    fn insertion(&self, ride: usize, t: usize) -> Option<(usize, f64)> {
        let p = self.p;
        let r = &p.rides[ride];
        let pass = &self.pass[ride];
        if pass.len() >= r.seats as usize {
            return None;
        }
        let home = p.travellers[t].home;
        let point = |i: usize| -> Point {
            if i == 0 {
                r.origin
            } else {
                p.travellers[pass[i - 1]].home
            }
        };
        let end = p.offices[r.office].at;
        let mut best = (0, f64::INFINITY);
        for pos in 0..=pass.len() {
            let a = point(pos);
            let b = if pos == pass.len() {
                end
            } else {
                p.travellers[pass[pos]].home
            };
            let added = road_km(a, home) + road_km(home, b) - road_km(a, b);
            if added < best.1 - EPS {
                best = (pos, added);
            }
        }
        route_fits(p, ride, self.path_km[ride] + best.1, pass.len() + 1).ok()?;
        Some(best)
    }

    /// The nearest free bed near `office` for nights `first..last` that accepts `t`.
    fn find_bed(&self, t: usize, office: usize, first: i32, last: i32) -> Option<(usize, f64)> {
        let tr = &self.p.travellers[t];
        for &(km, b) in &self.beds_near[office] {
            let bed = &self.p.beds[b];
            if bed.from_day > first
                || bed.to_day < last
                || !tr.brings.fits(bed.accepts)
                || tr.avoid_beds.contains(&b)
            {
                continue;
            }
            let use_ = &self.bed_use[b];
            if (first..last).all(|n| use_[(n - bed.from_day) as usize] < bed.beds) {
                return Some((b, km));
            }
        }
        None
    }

    /// The best placement for `t` now, if any fills need.
    fn evaluate(&self, t: usize) -> Option<Choice> {
        let tr = &self.p.travellers[t];
        let mut best: Option<Choice> = None;
        let mut bed_cache: Vec<((usize, i32, i32), Option<(usize, f64)>)> = Vec::new();
        for o in &self.opts[t] {
            let gain = self.gain(o.office, o.first, o.last);
            if gain == 0 || best.is_some_and(|b| b.gain > gain) {
                continue;
            }
            let (pos, added, new_driver) = match o.ride {
                Some(r) => match self.insertion(r, t) {
                    Some((pos, added)) => (pos, added, self.pass[r].is_empty()),
                    None => continue,
                },
                None => (0, 0.0, false),
            };
            if best.is_some_and(|b| b.gain == gain && b.added_km < added - EPS) {
                continue;
            }
            let (bed, bed_km) = if tr.needs_bed && o.last > o.first {
                let key = (o.office, o.first, o.last);
                let found = match bed_cache.iter().find(|x| x.0 == key) {
                    Some(x) => x.1,
                    None => {
                        let f = self.find_bed(t, o.office, o.first, o.last);
                        bed_cache.push((key, f));
                        f
                    }
                };
                match found {
                    Some((b, km)) => (Some(b), km),
                    None => continue,
                }
            } else {
                (None, 0.0)
            };
            let c = Choice {
                pl: Placement {
                    traveller: t,
                    office: o.office,
                    first_day: o.first,
                    last_day: o.last,
                    ride: o.ride,
                    bed,
                },
                pos,
                gain,
                added_km: added,
                new_driver,
                bed_km,
            };
            if best.is_none_or(|b| c.better(&b)) {
                best = Some(c);
            }
        }
        best
    }

    /// Places; `pos` is the pickup position when there is a ride.
    fn apply(&mut self, pl: Placement, pos: usize) {
        let t = pl.traveller;
        debug_assert!(self.at[t].is_none());
        let w = self.p.offices[pl.office].weight as u64;
        for i in self.span(pl.first_day, pl.last_day) {
            if self.placed[pl.office][i] < self.need[pl.office][i] {
                self.value += w;
            }
            self.placed[pl.office][i] += 1;
        }
        if let Some(r) = pl.ride {
            let old = self.detour(r);
            if self.pass[r].is_empty() {
                self.drivers += 1;
            }
            let at = pos.min(self.pass[r].len());
            self.pass[r].insert(at, t);
            self.path_km[r] = route_km(self.p, r, &self.pass[r]);
            self.detour_km += self.detour(r) - old;
        }
        if let Some(b) = pl.bed {
            let from = self.p.beds[b].from_day;
            for n in pl.first_day..pl.last_day {
                self.bed_use[b][(n - from) as usize] += 1;
            }
            self.guests[b].push(t);
        }
        self.at[t] = Some(pl);
    }

    fn detour(&self, r: usize) -> f64 {
        if self.pass[r].is_empty() {
            0.0
        } else {
            self.path_km[r] - self.direct_km[r]
        }
    }

    /// Removes `t`; returns the placement and its pickup position.
    fn remove(&mut self, t: usize) -> Option<(Placement, usize)> {
        let pl = self.at[t].take()?;
        let w = self.p.offices[pl.office].weight as u64;
        for i in self.span(pl.first_day, pl.last_day) {
            self.placed[pl.office][i] -= 1;
            if self.placed[pl.office][i] < self.need[pl.office][i] {
                self.value -= w;
            }
        }
        let mut pos = 0;
        if let Some(r) = pl.ride {
            let old = self.detour(r);
            pos = self.pass[r].iter().position(|&x| x == t).unwrap_or(0);
            self.pass[r].remove(pos);
            self.path_km[r] = route_km(self.p, r, &self.pass[r]);
            if self.pass[r].is_empty() {
                self.drivers -= 1;
            }
            self.detour_km += self.detour(r) - old;
        }
        if let Some(b) = pl.bed {
            let from = self.p.beds[b].from_day;
            for n in pl.first_day..pl.last_day {
                self.bed_use[b][(n - from) as usize] -= 1;
            }
            self.guests[b].retain(|&g| g != t);
        }
        Some((pl, pos))
    }

    /// Whether a given placement can be made now (capacity included): its position.
    fn admits(&self, pl: &Placement) -> Result<usize, String> {
        check_one(self.p, pl)?;
        let t = &self.p.travellers[pl.traveller];
        let mut pos = 0;
        if let Some(r) = pl.ride {
            pos = self
                .insertion(r, pl.traveller)
                .ok_or_else(|| {
                    format!(
                        "{}: ride {} has no room on its way for them any more",
                        t.name, self.p.rides[r].name
                    )
                })?
                .0;
        }
        if let Some(b) = pl.bed {
            let bed = &self.p.beds[b];
            if !(pl.first_day..pl.last_day)
                .all(|n| self.bed_use[b][(n - bed.from_day) as usize] < bed.beds)
            {
                return Err(format!("{}: bed {} is full", t.name, bed.name));
            }
        }
        Ok(pos)
    }

    fn greedy(&mut self) {
        let mut heap: BinaryHeap<(u64, std::cmp::Reverse<usize>)> = BinaryHeap::new();
        for t in 0..self.p.travellers.len() {
            if self.at[t].is_none() && !self.fixed[t] {
                if let Some(c) = self.evaluate(t) {
                    heap.push((c.gain, std::cmp::Reverse(t)));
                }
            }
        }
        while let Some((_, std::cmp::Reverse(t))) = heap.pop() {
            let Some(c) = self.evaluate(t) else { continue };
            let next = heap.peek().map_or(0, |x| x.0);
            if c.gain >= next {
                self.apply(c.pl, c.pos);
            } else {
                heap.push((c.gain, std::cmp::Reverse(t)));
            }
        }
    }

    /// The need `t` could fill if capacity were no object.
    fn potential(&self, t: usize) -> u64 {
        self.opts[t]
            .iter()
            .map(|o| self.gain(o.office, o.first, o.last))
            .max()
            .unwrap_or(0)
    }

    /// People whose seat or bed stands between `t` and the need it could fill.
    fn blockers(&self, t: usize) -> Vec<usize> {
        let tr = &self.p.travellers[t];
        let mut out: Vec<usize> = Vec::new();
        let push = |x: usize, out: &mut Vec<usize>| {
            if !self.fixed[x] && !out.contains(&x) {
                out.push(x);
            }
        };
        for o in &self.opts[t] {
            if out.len() >= EJECTIONS_PER_TRAVELLER_MAX {
                break;
            }
            if self.gain(o.office, o.first, o.last) == 0 {
                continue;
            }
            if let Some(r) = o.ride {
                if self.pass[r].len() >= self.p.rides[r].seats as usize {
                    for &x in &self.pass[r] {
                        push(x, &mut out);
                    }
                }
            }
            if tr.needs_bed
                && o.last > o.first
                && self.find_bed(t, o.office, o.first, o.last).is_none()
            {
                for &(_, b) in self.beds_near[o.office].iter().take(4) {
                    for &g in &self.guests[b] {
                        push(g, &mut out);
                    }
                }
            }
        }
        out.truncate(EJECTIONS_PER_TRAVELLER_MAX);
        out
    }

    /// Ejection: an unplaced traveller takes a blocker's place when the blocker can go
    /// elsewhere and the plan gets better.
    fn eject(&mut self) -> bool {
        let mut improved = false;
        let mut waiting: Vec<(u64, usize)> = (0..self.p.travellers.len())
            .filter(|&t| self.at[t].is_none() && !self.fixed[t])
            .map(|t| (self.potential(t), t))
            .filter(|x| x.0 > 0)
            .collect();
        waiting.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for (_, t) in waiting {
            if self.at[t].is_some() {
                continue;
            }
            if let Some(c) = self.evaluate(t) {
                self.apply(c.pl, c.pos);
                improved = true;
                continue;
            }
            for x in self.blockers(t) {
                let before = self.objective();
                let Some((old, old_pos)) = self.remove(x) else {
                    continue;
                };
                let Some(c) = self.evaluate(t) else {
                    self.apply(old, old_pos);
                    continue;
                };
                self.apply(c.pl, c.pos);
                if let Some(c2) = self.evaluate(x) {
                    self.apply(c2.pl, c2.pos);
                }
                if State::better(self.objective(), before) {
                    improved = true;
                    break;
                }
                self.remove(x);
                self.remove(t);
                self.apply(old, old_pos);
            }
        }
        improved
    }

    /// Relocation: each placed traveller is taken out and put back at its best place; kept
    /// when the plan gets better (less detour, fewer drivers).
    fn relocate(&mut self) -> bool {
        let mut improved = false;
        for t in 0..self.p.travellers.len() {
            if self.fixed[t] || self.at[t].is_none() {
                continue;
            }
            let before = self.objective();
            let Some((old, old_pos)) = self.remove(t) else {
                continue;
            };
            match self.evaluate(t) {
                Some(c) if c.pl != old || c.pos != old_pos => {
                    self.apply(c.pl, c.pos);
                    if State::better(self.objective(), before) {
                        improved = true;
                        continue;
                    }
                    self.remove(t);
                    self.apply(old, old_pos);
                }
                _ => self.apply(old, old_pos),
            }
        }
        improved
    }

    /// Ruin and recreate: a seed placement and the placements at its office whose stays
    /// overlap it are removed, everyone unplaced is placed again greedily; the result is kept
    /// when the plan is no worse (plateaus are walked).
    fn ruin_recreate(&mut self, rounds: usize, rng: &mut crate::alns::Rng) {
        for _ in 0..rounds {
            let placed: Vec<usize> = (0..self.at.len())
                .filter(|&t| self.at[t].is_some() && !self.fixed[t])
                .collect();
            if placed.is_empty() {
                return;
            }
            let before = self.objective();
            let saved = self.clone();
            let seed = placed[rng.below(placed.len())];
            let sp = self.at[seed].expect("placed");
            let mut group: Vec<usize> = placed
                .iter()
                .copied()
                .filter(|&t| {
                    let pl = self.at[t].expect("placed");
                    t != seed
                        && pl.office == sp.office
                        && pl.first_day <= sp.last_day
                        && pl.last_day >= sp.first_day
                })
                .collect();
            // A random part of the group, the seed first.
            for i in (1..group.len()).rev() {
                group.swap(i, rng.below(i + 1));
            }
            group.truncate(RUIN_SIZE_MAX - 1);
            group.insert(0, seed);
            for &t in &group {
                self.remove(t);
            }
            self.greedy();
            if !State::better(self.objective(), before) && self.objective() != before {
                *self = saved;
            }
        }
    }

    /// Puts each ride's pickups in the shortest order (exact up to
    /// `ROUTE_EXACT_PASSENGERS_MAX` people).
    fn order_pickups(&mut self) {
        for r in 0..self.p.rides.len() {
            let n = self.pass[r].len();
            if !(2..=ROUTE_EXACT_PASSENGERS_MAX).contains(&n) {
                continue;
            }
            let (best, km) = best_order(self.p, r, &self.pass[r]);
            if km < self.path_km[r] - EPS {
                let old = self.detour(r);
                self.pass[r] = best;
                self.path_km[r] = km;
                self.detour_km += self.detour(r) - old;
            }
        }
    }

    fn plan(&self, dropped: Vec<(Placement, String)>, exact: bool) -> Plan {
        let mut plan = Plan {
            placements: self.at.iter().flatten().copied().collect(),
            pickups: self.pass.clone(),
            objective: Objective::default(),
            dropped,
            exact,
        };
        plan.objective = objective(self.p, &plan);
        plan
    }
}

/// The shortest pickup order of `pass` on `ride` (all permutations) and its km.
pub fn best_order(p: &Problem, ride: usize, pass: &[usize]) -> (Vec<usize>, f64) {
    let mut cur = pass.to_vec();
    let mut best = (cur.clone(), route_km(p, ride, &cur));
    permute(&mut cur, 0, &mut |perm| {
        let km = route_km(p, ride, perm);
        if km < best.1 - EPS {
            best = (perm.to_vec(), km);
        }
    });
    best
}

fn permute(v: &mut [usize], k: usize, f: &mut dyn FnMut(&[usize])) {
    if k == v.len() {
        f(v);
        return;
    }
    for i in k..v.len() {
        v.swap(k, i);
        permute(v, k + 1, f);
        v.swap(k, i);
    }
}

/// Plans: `fixed` placements (accepted by both sides) are kept if they still hold;
/// `previous` proposals are kept where they still hold and fill need; the rest is searched.
pub fn plan(p: &Problem, fixed: &[Placement], previous: &[Placement]) -> Plan {
    plan_with(p, fixed, previous, EXACT_COMBINATIONS_MAX)
}

/// `plan` with the exact search's size limit given (0: never exact).
pub fn plan_with(
    p: &Problem,
    fixed: &[Placement],
    previous: &[Placement],
    exact_combinations_max: f64,
) -> Plan {
    let mut s = State::new(p);
    let mut dropped = Vec::new();
    for pl in fixed {
        if pl.traveller >= p.travellers.len() || s.at[pl.traveller].is_some() {
            dropped.push((*pl, "the traveller is listed twice or not at all".into()));
            continue;
        }
        match s.admits(pl) {
            Ok(pos) => {
                s.apply(*pl, pos);
                s.fixed[pl.traveller] = true;
            }
            // Accepted passengers come one at a time: the cheapest insertion may miss an
            // order that fits all of them; try the shortest order of the whole set.
            Err(e) => match pl.ride.filter(|&r| {
                s.pass[r].len() < s.p.rides[r].seats as usize
                    && s.pass[r].len() < ROUTE_EXACT_PASSENGERS_MAX
                    && check_one(p, pl).is_ok()
                    && pl.bed.is_none_or(|b| {
                        let bed = &p.beds[b];
                        (pl.first_day..pl.last_day)
                            .all(|n| s.bed_use[b][(n - bed.from_day) as usize] < bed.beds)
                    })
            }) {
                Some(r) => {
                    s.apply(*pl, usize::MAX);
                    if reorder(&mut s, r) {
                        s.fixed[pl.traveller] = true;
                    } else {
                        s.remove(pl.traveller);
                        reorder(&mut s, r);
                        dropped.push((*pl, e));
                    }
                }
                None => dropped.push((*pl, e)),
            },
        }
    }
    if let Some(plan) = exact(&mut s, &dropped, exact_combinations_max) {
        return plan;
    }
    for pl in previous {
        if pl.traveller >= p.travellers.len() || s.at[pl.traveller].is_some() {
            continue;
        }
        if let Ok(pos) = s.admits(pl) {
            if s.gain(pl.office, pl.first_day, pl.last_day) > 0 {
                s.apply(*pl, pos);
            }
        }
    }
    s.greedy();
    let improve = |s: &mut State| {
        for _ in 0..IMPROVE_ROUNDS {
            let a = s.eject();
            let b = s.relocate();
            if !a && !b {
                break;
            }
        }
    };
    improve(&mut s);
    let mut rng = crate::alns::Rng::new(1);
    s.ruin_recreate(RUIN_ROUNDS, &mut rng);
    improve(&mut s);
    s.order_pickups();
    s.plan(dropped, false)
}

/// Choices of one free traveller for the exact search: (placement) with every bed that fits.
fn choices(s: &State, t: usize) -> Vec<Placement> {
    let tr = &s.p.travellers[t];
    let mut out = Vec::new();
    for o in &s.opts[t] {
        let base = Placement {
            traveller: t,
            office: o.office,
            first_day: o.first,
            last_day: o.last,
            ride: o.ride,
            bed: None,
        };
        if tr.needs_bed && o.last > o.first {
            for &(_, b) in &s.beds_near[o.office] {
                let pl = Placement {
                    bed: Some(b),
                    ..base
                };
                if check_one(s.p, &pl).is_ok() {
                    out.push(pl);
                }
            }
        } else {
            out.push(base);
        }
    }
    out
}

/// Exact depth-first search when the problem is small enough; None otherwise.
fn exact(s: &mut State, dropped: &[(Placement, String)], limit: f64) -> Option<Plan> {
    // Travellers with no option stay out (they add no depth); rides with more seats than
    // the shortest-order search takes, or too many travellers, go to the heuristic.
    let free: Vec<usize> = (0..s.p.travellers.len())
        .filter(|&t| !s.fixed[t] && !s.opts[t].is_empty())
        .collect();
    if free.len() > EXACT_TRAVELLERS_MAX
        || s.p
            .rides
            .iter()
            .any(|r| r.seats as usize > ROUTE_EXACT_PASSENGERS_MAX)
    {
        return None;
    }
    // Count first (cheaply, stopping early): a large problem must not list its choices.
    let mut combos = 1.0f64;
    for &t in &free {
        let tr = &s.p.travellers[t];
        let n: usize = s.opts[t]
            .iter()
            .map(|o| {
                if tr.needs_bed && o.last > o.first {
                    s.beds_near[o.office].len()
                } else {
                    1
                }
            })
            .sum();
        combos *= (n + 1) as f64;
        if combos > limit {
            return None;
        }
    }
    if combos > limit {
        return None;
    }
    let all: Vec<Vec<Placement>> = free.iter().map(|&t| choices(s, t)).collect();
    let mut best: Option<((u64, f64, u32), Vec<Option<Placement>>, Vec<Vec<usize>>)> = None;
    dfs(s, &all, 0, &mut best);
    let (_, at, pass) = best?;
    let mut plan = Plan {
        placements: at.into_iter().flatten().collect(),
        pickups: pass,
        objective: Objective::default(),
        dropped: dropped.to_vec(),
        exact: true,
    };
    plan.objective = objective(s.p, &plan);
    Some(plan)
}

type Best = Option<((u64, f64, u32), Vec<Option<Placement>>, Vec<Vec<usize>>)>;

fn dfs(s: &mut State, all: &[Vec<Placement>], i: usize, best: &mut Best) {
    if i == all.len() {
        let obj = s.objective();
        if best.as_ref().is_none_or(|b| State::better(obj, b.0)) {
            *best = Some((obj, s.at.clone(), s.pass.clone()));
        }
        return;
    }
    dfs(s, all, i + 1, best);
    for pl in &all[i] {
        if let Some(r) = pl.ride {
            if s.pass[r].len() >= s.p.rides[r].seats as usize {
                continue;
            }
        }
        if let Some(b) = pl.bed {
            let bed = &s.p.beds[b];
            if !(pl.first_day..pl.last_day)
                .all(|n| s.bed_use[b][(n - bed.from_day) as usize] < bed.beds)
            {
                continue;
            }
        }
        s.apply(*pl, usize::MAX);
        let ok = match pl.ride {
            Some(r) => reorder(s, r),
            None => true,
        };
        if ok {
            dfs(s, all, i + 1, best);
        }
        s.remove(pl.traveller);
        if let Some(r) = pl.ride {
            reorder(s, r);
        }
    }
}

/// Shortest order for ride `r`'s current set; whether it fits the driver's limits.
fn reorder(s: &mut State, r: usize) -> bool {
    let old = s.detour(r);
    if s.pass[r].len() >= 2 {
        let (order, km) = best_order(s.p, r, &s.pass[r]);
        s.pass[r] = order;
        s.path_km[r] = km;
    }
    s.detour_km += s.detour(r) - old;
    s.pass[r].is_empty() || route_fits(s.p, r, s.path_km[r], s.pass[r].len()).is_ok()
}

/// The board without a planner, for comparison: travellers in the order they posted each take
/// the first listed ride to an office they accept that still has a seat and fits the driver's
/// detour and window, and the first listed bed near that office that is free — whether or not
/// the office needs them on those days (nobody on a bare board sees the needs).
pub fn first_come(p: &Problem) -> Plan {
    let mut s = State::new(p);
    for t in 0..p.travellers.len() {
        let tr = &p.travellers[t];
        let mut chosen: Option<(Placement, usize)> = None;
        'offices: for o in 0..p.offices.len() {
            if !office_ok(tr, o) {
                continue;
            }
            let rides: Vec<Option<usize>> = if tr.needs_ride {
                (0..p.rides.len())
                    .filter(|&r| p.rides[r].office == o)
                    .map(Some)
                    .collect()
            } else {
                vec![None]
            };
            for ride in rides {
                let Some((first, last)) = stay(tr, ride.map(|r| &p.rides[r])) else {
                    continue;
                };
                let pos = match ride {
                    Some(r) => {
                        if !tr.brings.fits(p.rides[r].accepts) {
                            continue;
                        }
                        match s.insertion(r, t) {
                            Some((pos, _)) => pos,
                            None => continue,
                        }
                    }
                    None => 0,
                };
                let bed = if tr.needs_bed && last > first {
                    let free = (0..p.beds.len()).find(|&b| {
                        let bed = &p.beds[b];
                        road_km(bed.at, p.offices[o].at) <= BED_DISTANCE_KM_MAX + EPS
                            && bed.from_day <= first
                            && bed.to_day >= last
                            && tr.brings.fits(bed.accepts)
                            && (first..last)
                                .all(|n| s.bed_use[b][(n - bed.from_day) as usize] < bed.beds)
                    });
                    match free {
                        Some(b) => Some(b),
                        None => continue,
                    }
                } else {
                    None
                };
                chosen = Some((
                    Placement {
                        traveller: t,
                        office: o,
                        first_day: first,
                        last_day: last,
                        ride,
                        bed,
                    },
                    pos,
                ));
                break 'offices;
            }
        }
        if let Some((pl, pos)) = chosen {
            s.apply(pl, pos);
        }
    }
    s.plan(Vec::new(), false)
}

/// An upper bound on the (unweighted) need any plan covers, by maximum flow: each traveller
/// gives at most the length of their longest feasible stay (a ride and, when needed, a bed
/// that exist, capacity aside), one volunteer per office-day they could be at, and each
/// office-day takes at most its need. Every plan is such a flow, so no plan covers more.
pub fn upper_bound(p: &Problem) -> u64 {
    let s = State::new(p);
    let mut keys: HashMap<(usize, i32), usize> = HashMap::new();
    let mut edges: Vec<(u64, Vec<usize>)> = Vec::new();
    for (t, tr) in p.travellers.iter().enumerate() {
        let mut days: Vec<usize> = Vec::new();
        let mut longest = 0u64;
        for o in s.opts[t].iter() {
            let bed_ok = !tr.needs_bed
                || o.last == o.first
                || s.beds_near[o.office].iter().any(|&(_, b)| {
                    let bed = &p.beds[b];
                    bed.from_day <= o.first && bed.to_day >= o.last && tr.brings.fits(bed.accepts)
                });
            if !bed_ok {
                continue;
            }
            longest = longest.max((o.last - o.first + 1) as u64);
            for d in o.first..=o.last {
                let n = keys.len();
                days.push(*keys.entry((o.office, d)).or_insert(n));
            }
        }
        days.sort_unstable();
        days.dedup();
        if longest > 0 {
            edges.push((longest, days));
        }
    }
    // Nodes: 0 source, 1 sink, travellers, then office-days.
    let base = 2 + edges.len();
    let mut g = Flow::new(base + keys.len());
    for (i, (cap, days)) in edges.iter().enumerate() {
        g.edge(0, 2 + i, *cap);
        for &k in days {
            g.edge(2 + i, base + k, 1);
        }
    }
    for (o, office) in p.offices.iter().enumerate() {
        for &(d, n) in &office.need {
            if let Some(&k) = keys.get(&(o, d)) {
                g.edge(base + k, 1, n as u64);
            }
        }
    }
    g.max_flow(0, 1)
}

/// A flow network (Dinic's algorithm) for `upper_bound`.
struct Flow {
    head: Vec<Vec<usize>>,
    to: Vec<usize>,
    cap: Vec<u64>,
}

impl Flow {
    fn new(n: usize) -> Flow {
        Flow {
            head: vec![Vec::new(); n],
            to: Vec::new(),
            cap: Vec::new(),
        }
    }

    fn edge(&mut self, a: usize, b: usize, c: u64) {
        self.head[a].push(self.to.len());
        self.to.push(b);
        self.cap.push(c);
        self.head[b].push(self.to.len());
        self.to.push(a);
        self.cap.push(0);
    }

    fn max_flow(&mut self, s: usize, t: usize) -> u64 {
        let n = self.head.len();
        let mut total = 0;
        loop {
            let mut level = vec![usize::MAX; n];
            level[s] = 0;
            let mut queue = std::collections::VecDeque::from([s]);
            while let Some(v) = queue.pop_front() {
                for &e in &self.head[v] {
                    if self.cap[e] > 0 && level[self.to[e]] == usize::MAX {
                        level[self.to[e]] = level[v] + 1;
                        queue.push_back(self.to[e]);
                    }
                }
            }
            if level[t] == usize::MAX {
                return total;
            }
            let mut next = vec![0usize; n];
            loop {
                let f = self.augment(s, t, &level, &mut next);
                if f == 0 {
                    break;
                }
                total += f;
            }
        }
    }

    /// One augmenting path in the level graph (iterative: no recursion depth to worry about).
    fn augment(&mut self, s: usize, t: usize, level: &[usize], next: &mut [usize]) -> u64 {
        let mut path: Vec<usize> = Vec::new();
        let mut v = s;
        loop {
            if v == t {
                let f = path.iter().map(|&e| self.cap[e]).min().unwrap_or(0);
                for &e in &path {
                    self.cap[e] -= f;
                    self.cap[e ^ 1] += f;
                }
                return f;
            }
            let mut advanced = false;
            while next[v] < self.head[v].len() {
                let e = self.head[v][next[v]];
                let w = self.to[e];
                if self.cap[e] > 0 && level[w] == level[v] + 1 {
                    path.push(e);
                    v = w;
                    advanced = true;
                    break;
                }
                next[v] += 1;
            }
            if !advanced {
                if v == s {
                    return 0;
                }
                // A dead end: step back and skip the edge that led here.
                let e = path.pop().expect("not at the source");
                v = self.to[e ^ 1];
                next[v] += 1;
            }
        }
    }
}

/// Why a traveller is where the plan puts them (or why nowhere), in sentences.
pub fn explain(p: &Problem, plan: &Plan, t: usize) -> Vec<String> {
    let tr = &p.travellers[t];
    let mut out = Vec::new();
    let others: Vec<Placement> = plan
        .placements
        .iter()
        .filter(|x| x.traveller != t)
        .copied()
        .collect();
    let mut count: HashMap<(usize, i32), u32> = HashMap::new();
    for pl in &others {
        for d in pl.first_day..=pl.last_day {
            *count.entry((pl.office, d)).or_default() += 1;
        }
    }
    let open_days = |office: usize, first: i32, last: i32| -> u32 {
        let o = &p.offices[office];
        o.need
            .iter()
            .filter(|(d, n)| {
                *d >= first && *d <= last && count.get(&(office, *d)).copied().unwrap_or(0) < *n
            })
            .count() as u32
    };
    if let Some(pl) = plan.placements.iter().find(|x| x.traveller == t) {
        let office = &p.offices[pl.office];
        let days = pl.last_day - pl.first_day + 1;
        out.push(format!(
            "{} needs volunteers on {} of the {days} days you can give it ({} to {}).",
            office.name,
            open_days(pl.office, pl.first_day, pl.last_day),
            day(pl.first_day),
            day(pl.last_day)
        ));
        if let Some(r) = pl.ride {
            let ride = &p.rides[r];
            let pass = &plan.pickups[r];
            let without: Vec<usize> = pass.iter().copied().filter(|&x| x != t).collect();
            let added = route_km(p, r, pass) - route_km(p, r, &without);
            let direct = road_km(ride.origin, office.at);
            let detour = route_km(p, r, pass) - direct;
            let arrive = ride.depart_minute as f64
                + drive_minutes(route_km(p, r, pass))
                + PICKUP_MINUTES * pass.len() as f64;
            out.push(format!(
                "Ride {} leaves on {} at {} and goes to {}; picking you up adds {added:.0} km to the driver's route (detour {detour:.0} of the {:.0} km they allow); seat {} of {}; arrival about {}.",
                ride.name,
                day(ride.day),
                clock(ride.depart_minute as f64),
                office.name,
                ride.detour_km_max,
                pass.iter().position(|&x| x == t).map_or(0, |i| i + 1),
                ride.seats,
                clock(arrive)
            ));
            if let Some(ret) = ride.return_day {
                out.push(format!("The driver returns on {}.", day(ret)));
            }
        } else if tr.needs_ride {
            out.push("No ride is assigned.".into());
        } else {
            out.push("You travel on your own.".into());
        }
        if let Some(b) = pl.bed {
            let bed = &p.beds[b];
            out.push(format!(
                "Bed {} is {:.0} km from the office and free on the {} nights of your stay (the nearest that was).",
                bed.name,
                road_km(bed.at, office.at),
                pl.last_day - pl.first_day
            ));
        }
        return out;
    }
    // Unplaced: why, from the rides, beds and needs.
    let accepted: Vec<usize> = (0..p.offices.len()).filter(|&o| office_ok(tr, o)).collect();
    let need: u32 = accepted
        .iter()
        .map(|&o| open_days(o, tr.first_day, tr.last_day))
        .sum();
    if need == 0 {
        out.push(format!(
            "No office you asked for needs more volunteers between {} and {}.",
            day(tr.first_day),
            day(tr.last_day)
        ));
        return out;
    }
    if tr.needs_ride {
        let (mut other, mut dates, mut refuse, mut far, mut full, mut fits) = (0, 0, 0, 0, 0, 0);
        for (r, ride) in p.rides.iter().enumerate() {
            if !office_ok(tr, ride.office) {
                other += 1;
            } else if stay(tr, Some(ride)).is_none() {
                dates += 1;
            } else if !tr.brings.fits(ride.accepts) {
                refuse += 1;
            } else {
                let km =
                    road_km(ride.origin, tr.home) + road_km(tr.home, p.offices[ride.office].at);
                if route_fits(p, r, km, 1).is_err() {
                    far += 1;
                } else if plan.pickups[r].len() >= ride.seats as usize {
                    full += 1;
                } else {
                    fits += 1;
                }
            }
        }
        out.push(format!(
            "Of {} rides: {other} go to offices you did not ask for, {dates} leave outside your dates, {refuse} do not accept {}, {far} would take the driver too far from their way (or too late), {full} are full, {fits} could take you.",
            p.rides.len(),
            if tr.brings == Flags::NONE { "what you bring".to_string() } else { tr.brings.refused_by(Flags::NONE).join(", ") },
        ));
    }
    if tr.needs_bed {
        out.push(format!(
            "A bed is needed within {BED_DISTANCE_KM_MAX:.0} km of the office for every night of the stay."
        ));
    }
    out.push("The seats and beds that could take you went to travellers who fill more of the offices' need, or none fits; the plan is redone when offers change.".into());
    out
}
