//! The campaign matcher: every plan on random problems keeps every rule; on small problems
//! the plan is the exact optimum (checked against plain enumeration of every assignment);
//! accepted placements survive re-planning; the checker and the explanations say what they
//! should.

use proptest::prelude::*;
use trips::alns::Rng;
use trips::geo::{road_km, Point};
use trips::plan::{
    check, check_one, coverage, explain, objective, plan, plan_with, route_km, stay, Bed, Flags,
    Objective, Office, Placement, Plan, Problem, Ride, Traveller, BED_DISTANCE_KM_MAX,
};

const DAY0: i32 = 20_750; // 2026-10-24

fn near(rng: &mut Rng, at: Point, spread: f64) -> Point {
    Point::new(
        at.lat + (rng.unit() - 0.5) * spread,
        at.lon + (rng.unit() - 0.5) * spread,
    )
}

fn flags(rng: &mut Rng, p: f64) -> Flags {
    let mut f = Flags::NONE;
    for x in [
        Flags::SMOKER,
        Flags::PET,
        Flags::CHILDREN,
        Flags::WHEELCHAIR,
    ] {
        f = f.with(x, rng.unit() < p);
    }
    f
}

/// A random problem: offices in one state, travellers and drivers from two cities 150 km
/// away, hosts near the offices.
fn random_problem(
    seed: u64,
    offices: usize,
    rides: usize,
    beds: usize,
    travellers: usize,
) -> Problem {
    let mut rng = Rng::new(seed);
    let centre = Point::new(35.5, -79.5);
    let cities = [Point::new(36.8, -79.6), Point::new(35.6, -77.9)];
    let offices: Vec<Office> = (0..offices)
        .map(|i| Office {
            name: format!("O{i}"),
            at: near(&mut rng, centre, 0.6),
            weight: 1 + rng.below(2) as u32,
            need: (0..6).map(|d| (DAY0 + d, rng.below(3) as u32)).collect(),
        })
        .collect();
    let n_off = offices.len();
    let rides = (0..rides)
        .map(|i| {
            let day = DAY0 + rng.below(4) as i32;
            let city = cities[rng.below(2)];
            Ride {
                name: format!("R{i}"),
                origin: near(&mut rng, city, 0.3),
                office: rng.below(n_off),
                day,
                depart_minute: 8 * 60,
                arrive_by_minute: 8 * 60 + 150 + rng.below(180) as u32,
                seats: 1 + rng.below(3) as u32,
                detour_km_max: 5.0 + rng.unit() * 50.0,
                accepts: flags(&mut rng, 0.6),
                return_day: (rng.unit() < 0.5).then(|| day + 1 + rng.below(4) as i32),
            }
        })
        .collect();
    let beds = (0..beds)
        .map(|i| {
            let from = DAY0 - 1 + rng.below(3) as i32;
            let at = offices[rng.below(n_off)].at;
            Bed {
                name: format!("B{i}"),
                at: near(&mut rng, at, 0.4),
                from_day: from,
                to_day: from + 2 + rng.below(6) as i32,
                beds: 1 + rng.below(2) as u32,
                accepts: flags(&mut rng, 0.6),
            }
        })
        .collect();
    let travellers = (0..travellers)
        .map(|i| {
            let first = DAY0 + rng.below(4) as i32;
            let mut off = Vec::new();
            if rng.unit() < 0.5 {
                off.push(rng.below(n_off));
            }
            let city = cities[rng.below(2)];
            Traveller {
                name: format!("T{i}"),
                home: near(&mut rng, city, 0.3),
                offices: off,
                first_day: first,
                last_day: first + rng.below(4) as i32,
                needs_ride: rng.unit() < 0.7,
                needs_bed: rng.unit() < 0.6,
                brings: flags(&mut rng, 0.1),
                avoid_rides: vec![],
                avoid_beds: vec![],
            }
        })
        .collect();
    Problem {
        offices,
        rides,
        beds,
        travellers,
    }
}

/// Plain enumeration: every assignment of every traveller (or none), pickups in their best
/// order; the best objective among those the checker accepts.
fn brute_force(p: &Problem) -> Objective {
    let mut options: Vec<Vec<Option<Placement>>> = Vec::new();
    for (t, tr) in p.travellers.iter().enumerate() {
        let mut v = vec![None];
        for office in 0..p.offices.len() {
            let rides: Vec<Option<usize>> = std::iter::once(None)
                .chain((0..p.rides.len()).map(Some))
                .collect();
            for ride in rides {
                let Some((first, last)) = stay(tr, ride.map(|r| &p.rides[r])) else {
                    continue;
                };
                for bed in std::iter::once(None).chain((0..p.beds.len()).map(Some)) {
                    let pl = Placement {
                        traveller: t,
                        office,
                        first_day: first,
                        last_day: last,
                        ride,
                        bed,
                    };
                    if check_one(p, &pl).is_ok() {
                        v.push(Some(pl));
                    }
                }
            }
        }
        options.push(v);
    }
    let mut best = Objective::default();
    let mut idx = vec![0usize; options.len()];
    loop {
        let placements: Vec<Placement> = idx
            .iter()
            .enumerate()
            .filter_map(|(t, &i)| options[t][i])
            .collect();
        let mut pickups: Vec<Vec<usize>> = vec![Vec::new(); p.rides.len()];
        for pl in &placements {
            if let Some(r) = pl.ride {
                pickups[r].push(pl.traveller);
            }
        }
        for (r, pass) in pickups.iter_mut().enumerate() {
            *pass = shortest(p, r, pass);
        }
        let candidate = Plan {
            placements,
            pickups,
            ..Plan::default()
        };
        if check(p, &candidate).is_ok() {
            let o = objective(p, &candidate);
            if o.cmp_better(&best).is_gt() {
                best = o;
            }
        }
        // Next combination.
        let mut k = 0;
        loop {
            if k == idx.len() {
                return best;
            }
            idx[k] += 1;
            if idx[k] < options[k].len() {
                break;
            }
            idx[k] = 0;
            k += 1;
        }
    }
}

/// The shortest order by trying every permutation (Heap's algorithm).
fn shortest(p: &Problem, r: usize, pass: &[usize]) -> Vec<usize> {
    let mut a = pass.to_vec();
    let mut best = (route_km(p, r, &a), a.clone());
    let n = a.len();
    let mut c = vec![0; n];
    let mut i = 0;
    while i < n {
        if c[i] < i {
            if i % 2 == 0 {
                a.swap(0, i);
            } else {
                a.swap(c[i], i);
            }
            let km = route_km(p, r, &a);
            if km < best.0 - 1e-9 {
                best = (km, a.clone());
            }
            c[i] += 1;
            i = 0;
        } else {
            c[i] = 0;
            i += 1;
        }
    }
    best.1
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn small_problems_are_solved_exactly(seed in any::<u64>()) {
        let p = random_problem(seed, 2, 2, 2, 4);
        let got = plan(&p, &[], &[]);
        prop_assert!(got.exact);
        check(&p, &got).map_err(TestCaseError::fail)?;
        prop_assert_eq!(got.objective, objective(&p, &got));
        prop_assert_eq!(got.objective, brute_force(&p));
        // The flow bound holds (weights aside, the optimum's coverage is at most the bound).
        prop_assert!(coverage(&p, &got).covered <= trips::plan::upper_bound(&p));
    }

    #[test]
    fn plans_keep_every_rule(seed in any::<u64>()) {
        let p = random_problem(seed, 3, 25, 20, 60);
        let got = plan(&p, &[], &[]);
        prop_assert!(!got.exact);
        check(&p, &got).map_err(TestCaseError::fail)?;
        prop_assert_eq!(got.objective, objective(&p, &got));
        let c = coverage(&p, &got);
        prop_assert!(c.covered <= c.needed && c.covered <= c.placed);
        // Re-planning with the first half accepted keeps them exactly.
        let fixed: Vec<Placement> = got.placements.iter().take(got.placements.len() / 2).copied().collect();
        let again = plan(&p, &fixed, &got.placements);
        check(&p, &again).map_err(TestCaseError::fail)?;
        prop_assert!(again.dropped.is_empty());
        for f in &fixed {
            prop_assert!(again.placements.contains(f), "{f:?} was moved");
        }
    }
}

/// The search without the exact path, on problems small enough to enumerate: never better
/// than the optimum (that would be a checker bug), and close to it on the whole.
#[test]
fn heuristic_is_close_to_the_optimum_on_small_problems() {
    let (mut heur, mut best, mut equal) = (0u64, 0u64, 0);
    for seed in 0..150 {
        let p = random_problem(seed, 2, 3, 3, 5);
        let h = plan_with(&p, &[], &[], 0.0);
        assert!(!h.exact);
        check(&p, &h).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let b = brute_force(&p);
        assert!(
            h.objective.cmp_better(&b).is_le(),
            "seed {seed}: {h:?} beats {b:?}"
        );
        heur += h.objective.need_days;
        best += b.need_days;
        equal += (h.objective == b) as u32;
    }
    eprintln!(
        "heuristic need-days {heur} of the optimum's {best}; equal objective on {equal} of 150"
    );
    assert!(heur as f64 >= 0.95 * best as f64, "{heur} of {best}");
}

fn one_office_problem() -> Problem {
    let office = Point::new(35.78, -78.64); // Raleigh
    Problem {
        offices: vec![Office {
            name: "Wake office".into(),
            at: office,
            weight: 1,
            need: (0..4).map(|d| (DAY0 + d, 1)).collect(),
        }],
        rides: vec![Ride {
            name: "R1".into(),
            origin: Point::new(38.90, -77.04), // Washington
            office: 0,
            day: DAY0,
            depart_minute: 7 * 60,
            arrive_by_minute: 18 * 60,
            seats: 1,
            detour_km_max: 30.0,
            accepts: Flags::ALL.with(Flags::SMOKER, false),
            return_day: Some(DAY0 + 2),
        }],
        beds: vec![Bed {
            name: "B1".into(),
            at: Point::new(35.80, -78.60),
            from_day: DAY0,
            to_day: DAY0 + 3,
            beds: 1,
            accepts: Flags::ALL,
        }],
        travellers: vec![
            Traveller {
                name: "near the driver".into(),
                home: Point::new(38.95, -77.10),
                offices: vec![],
                first_day: DAY0,
                last_day: DAY0 + 3,
                needs_ride: true,
                needs_bed: true,
                brings: Flags::NONE,
                avoid_rides: vec![],
                avoid_beds: vec![],
            },
            Traveller {
                name: "smoker".into(),
                home: Point::new(38.92, -77.05),
                offices: vec![],
                first_day: DAY0,
                last_day: DAY0 + 3,
                needs_ride: true,
                needs_bed: false,
                brings: Flags::SMOKER,
                avoid_rides: vec![],
                avoid_beds: vec![],
            },
        ],
    }
}

#[test]
fn explanations_say_why() {
    let p = one_office_problem();
    let got = plan(&p, &[], &[]);
    check(&p, &got).unwrap();
    assert_eq!(got.placements.len(), 1);
    let pl = got.placements[0];
    assert_eq!((pl.traveller, pl.ride, pl.bed), (0, Some(0), Some(0)));
    // The ride returns on day 2: the stay is three days, two nights.
    assert_eq!((pl.first_day, pl.last_day), (DAY0, DAY0 + 2));
    let why = explain(&p, &got, 0).join("\n");
    assert!(
        why.contains("Wake office needs volunteers on 3 of the 3 days"),
        "{why}"
    );
    assert!(
        why.contains("Ride R1 leaves on 2026-10-24 at 07:00"),
        "{why}"
    );
    assert!(why.contains("seat 1 of 1"), "{why}");
    assert!(why.contains("The driver returns on 2026-10-26."), "{why}");
    assert!(why.contains("Bed B1 is"), "{why}");
    assert!(why.contains("free on the 2 nights"), "{why}");
    let why = explain(&p, &got, 1).join("\n");
    assert!(why.contains("Of 1 rides: 0 go to offices you did not ask for, 0 leave outside your dates, 1 do not accept smoking"), "{why}");
}

#[test]
fn the_checker_names_the_violation() {
    let p = one_office_problem();
    let good = plan(&p, &[], &[]);
    let mut bad = good.clone();
    bad.placements[0].bed = None;
    assert_eq!(
        check(&p, &bad).unwrap_err(),
        "near the driver needs a bed for 2 nights and has none"
    );
    let mut bad = good.clone();
    bad.placements.push(Placement {
        traveller: 1,
        office: 0,
        first_day: DAY0,
        last_day: DAY0 + 2,
        ride: Some(0),
        bed: None,
    });
    bad.pickups[0].push(1);
    assert_eq!(
        check(&p, &bad).unwrap_err(),
        "smoker: ride R1 does not accept smoking"
    );
    let mut q = p.clone();
    q.travellers[1].brings = Flags::NONE;
    let e = check(&q, &bad).unwrap_err();
    assert_eq!(e, "ride R1: 2 passengers for 1 seats");
    let mut bad = good.clone();
    bad.placements[0].last_day = DAY0 + 3;
    assert!(check(&p, &bad)
        .unwrap_err()
        .contains("does not follow from their dates"));
    let mut far = p.clone();
    far.beds[0].at = Point::new(36.5, -78.6);
    assert!(road_km(far.beds[0].at, far.offices[0].at) > BED_DISTANCE_KM_MAX);
    let e = check(&far, &good).unwrap_err();
    assert!(
        e.contains("bed B1 is") && e.contains("km from Wake office"),
        "{e}"
    );
    let mut late = p.clone();
    late.rides[0].arrive_by_minute = 9 * 60;
    let e = check(&late, &good).unwrap_err();
    assert!(e.starts_with("ride R1: the driver would arrive at"), "{e}");
}

#[test]
fn a_cancelled_offer_drops_the_accepted_placement_with_a_reason() {
    let p = one_office_problem();
    let first = plan(&p, &[], &[]);
    let mut q = p.clone();
    q.beds[0].to_day = DAY0 + 1;
    let again = plan(&q, &first.placements, &[]);
    assert_eq!(again.dropped.len(), 1);
    assert!(
        again.dropped[0].1.contains("bed B1 is offered"),
        "{}",
        again.dropped[0].1
    );
    check(&q, &again).unwrap();
}

#[test]
fn need_caps_the_value_of_more_volunteers() {
    let mut p = one_office_problem();
    p.travellers[1].brings = Flags::NONE;
    p.rides[0].seats = 2;
    // One volunteer a day is needed: the second traveller adds nothing and is not placed.
    let got = plan(&p, &[], &[]);
    assert_eq!(got.placements.len(), 1);
    let c = coverage(&p, &got);
    assert_eq!((c.needed, c.covered), (4, 3));
    p.offices[0].need = (0..4).map(|d| (DAY0 + d, 2)).collect();
    let got = plan(&p, &[], &[]);
    assert_eq!(got.placements.len(), 2);
    assert_eq!(coverage(&p, &got).covered, 6);
    assert_eq!(got.objective.drivers, 1);
}

#[test]
fn a_declined_ride_or_bed_is_not_proposed_again() {
    let p = one_office_problem();
    let first = plan(&p, &[], &[]);
    assert_eq!(first.placements[0].bed, Some(0));
    let mut q = p.clone();
    q.travellers[0].avoid_beds = vec![0];
    q.beds.push(Bed {
        name: "B2".into(),
        ..p.beds[0].clone()
    });
    let again = plan(&q, &[], &first.placements);
    check(&q, &again).unwrap();
    assert_eq!(again.placements[0].bed, Some(1));
    q.travellers[0].avoid_rides = vec![0];
    let e = check(&q, &again).unwrap_err();
    assert_eq!(e, "near the driver: ride R1 was declined");
    let third = plan(&q, &[], &again.placements);
    assert!(third.placements.is_empty());
}

#[test]
fn first_come_keeps_the_rules_and_the_planner_covers_at_least_as_much() {
    for seed in 0..20 {
        let p = random_problem(seed, 3, 25, 20, 60);
        let fc = trips::plan::first_come(&p);
        check(&p, &fc).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let planned = plan(&p, &[], &[]);
        assert!(
            coverage(&p, &planned).covered >= coverage(&p, &fc).covered,
            "seed {seed}: the planner covers less than first come, first served"
        );
        assert!(coverage(&p, &planned).covered <= trips::plan::upper_bound(&p));
    }
}

#[test]
fn stays_far_from_the_needs_and_stale_proposals_do_not_break_planning() {
    let mut p = one_office_problem();
    // A traveller two centuries away, and 5,000 who have no option at all.
    let mut far = p.travellers[0].clone();
    far.first_day = DAY0 + 63_000;
    far.last_day = DAY0 + 63_010;
    p.travellers.push(far);
    for i in 0..5_000 {
        let mut t = p.travellers[1].clone();
        t.name = format!("nobody {i}");
        t.first_day = DAY0 - 400;
        t.last_day = DAY0 - 399;
        p.travellers.push(t);
    }
    // A stale proposal: days before any need, a ride that no longer fits.
    let stale = Placement {
        traveller: 2,
        office: 0,
        first_day: DAY0 - 3_000,
        last_day: DAY0 - 2_990,
        ride: None,
        bed: None,
    };
    let got = plan(&p, &[stale], &[stale]);
    check(&p, &got).unwrap();
    assert_eq!(got.dropped.len(), 1);
    assert_eq!(got.placements.len(), 1, "{:?}", got.placements);
    assert!(trips::plan::upper_bound(&p) >= coverage(&p, &got).covered);
}
