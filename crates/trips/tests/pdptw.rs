//! The ride matcher: the reader and checker say what is wrong; every solution on random
//! instances is feasible; on tiny instances the result is the exact optimum (brute force);
//! on the Li & Lim benchmark (gated on ../shared/data/pdptw) solutions are feasible and reach
//! the best-known vehicle count on the easy instances.

use proptest::prelude::*;
use trips::pdptw::{euclidean, Instance, Stop};
use trips::{check, parse_li_lim, solve, Params, Solution};

fn stop(x: f64, y: f64, demand: i32, ready: f64, due: f64, sibling: usize) -> Stop {
    Stop {
        x,
        y,
        demand,
        ready,
        due,
        service: 1.0,
        sibling,
    }
}

/// An instance from requests (pickup (x, y, ready, due), delivery (x, y, ready, due), demand).
fn instance(
    vehicles: usize,
    capacity: i32,
    reqs: &[((f64, f64, f64, f64), (f64, f64, f64, f64), i32)],
) -> Instance {
    let mut stops = vec![Stop {
        x: 0.0,
        y: 0.0,
        demand: 0,
        ready: 0.0,
        due: 1_000.0,
        service: 0.0,
        sibling: 0,
    }];
    for (k, (p, d, q)) in reqs.iter().enumerate() {
        let (ip, id) = (1 + 2 * k, 2 + 2 * k);
        stops.push(stop(p.0, p.1, *q, p.2, p.3, id));
        stops.push(stop(d.0, d.1, -*q, d.2, d.3, ip));
    }
    Instance::new("t", vehicles, capacity, stops, euclidean).unwrap()
}

/// The exact optimum (fewest vehicles, then least distance) by enumeration.
fn brute_force(inst: &Instance) -> Option<(usize, f64)> {
    let reqs = inst.requests();
    let r = reqs.len();
    let mut best: Option<(usize, f64)> = None;
    // Assign each request to a vehicle label 0..r (canonical: labels in first-use order).
    fn assignments(r: usize, k: usize, cur: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if cur.len() == r {
            out.push(cur.clone());
            return;
        }
        let next = cur.iter().max().map_or(0, |m| m + 1);
        for l in 0..=next.min(k - 1) {
            cur.push(l);
            assignments(r, k, cur, out);
            cur.pop();
        }
    }
    let mut all = Vec::new();
    assignments(r, inst.vehicles.min(r), &mut Vec::new(), &mut all);
    for a in all {
        let groups = a.iter().max().map_or(0, |m| m + 1);
        let mut total = 0.0;
        let mut ok = true;
        for g in 0..groups {
            let stops: Vec<usize> = reqs
                .iter()
                .zip(&a)
                .filter(|(_, l)| **l == g)
                .flat_map(|(rq, _)| [rq.0, rq.1])
                .collect();
            // Best feasible order of this vehicle's stops.
            let mut best_route: Option<f64> = None;
            permute(
                &stops,
                &mut Vec::new(),
                &mut vec![false; stops.len()],
                &mut |seq| {
                    let sol = Solution {
                        routes: vec![seq.to_vec()],
                    };
                    if check(inst, &sol).is_ok() {
                        let c = sol.cost(inst);
                        if best_route.is_none_or(|b| c < b) {
                            best_route = Some(c);
                        }
                    }
                },
            );
            match best_route {
                Some(c) => total += c,
                None => {
                    ok = false;
                    break;
                }
            }
        }
        if ok && best.is_none_or(|(v, c)| groups < v || (groups == v && total < c - 1e-9)) {
            best = Some((groups, total));
        }
    }
    best
}

fn permute(
    items: &[usize],
    cur: &mut Vec<usize>,
    used: &mut Vec<bool>,
    f: &mut dyn FnMut(&[usize]),
) {
    if cur.len() == items.len() {
        f(cur);
        return;
    }
    for i in 0..items.len() {
        if !used[i] {
            used[i] = true;
            cur.push(items[i]);
            permute(items, cur, used, f);
            cur.pop();
            used[i] = false;
        }
    }
}

#[test]
fn the_reader_and_the_checker_name_what_is_wrong() {
    let e = parse_li_lim(
        "x",
        "3\t10\t1\n0\t0\t0\t0\t0\t100\t0\t0\t0\n1\t1\t1\t5\t0\t100\t1\t0\n",
    )
    .unwrap_err();
    assert!(e.to_string().starts_with("line 3: 8 fields"), "{e}");
    let e = parse_li_lim(
        "x",
        "3\t10\t1\n0\t0\t0\t0\t0\t100\t0\t0\t0\n1\t1\t1\t5\t0\t100\t1\t0\t9\n",
    )
    .unwrap_err();
    assert!(e.to_string().contains("not another stop"), "{e}");
    let inst = instance(
        2,
        10,
        &[((1.0, 0.0, 0.0, 100.0), (2.0, 0.0, 0.0, 100.0), 5)],
    );
    let bad = [
        (
            Solution {
                routes: vec![vec![2, 1]],
            },
            "without its pickup",
        ),
        (
            Solution {
                routes: vec![vec![1]],
            },
            "served 0 times",
        ),
        (
            Solution {
                routes: vec![vec![1, 2], vec![1, 2]],
            },
            "served 2 times",
        ),
    ];
    for (s, want) in bad {
        let e = check(&inst, &s).unwrap_err();
        assert!(e.contains(want), "{e} (want {want})");
    }
    let late = instance(
        2,
        10,
        &[((50.0, 0.0, 0.0, 10.0), (60.0, 0.0, 0.0, 100.0), 5)],
    );
    let e = check(
        &late,
        &Solution {
            routes: vec![vec![1, 2]],
        },
    )
    .unwrap_err();
    assert!(e.contains("after its window closes"), "{e}");
    let heavy = instance(
        2,
        10,
        &[
            ((1.0, 0.0, 0.0, 100.0), (3.0, 0.0, 0.0, 100.0), 6),
            ((2.0, 0.0, 0.0, 100.0), (4.0, 0.0, 0.0, 100.0), 6),
        ],
    );
    let e = check(
        &heavy,
        &Solution {
            routes: vec![vec![1, 3, 2, 4]],
        },
    )
    .unwrap_err();
    assert!(e.contains("load 12"), "{e}");
}

fn arb_request() -> impl Strategy<Value = ((f64, f64, f64, f64), (f64, f64, f64, f64), i32)> {
    (
        -20.0..20.0f64,
        -20.0..20.0f64,
        0.0..200.0f64,
        -20.0..20.0f64,
        -20.0..20.0f64,
        1..8i32,
        60.0..400.0f64,
    )
        .prop_map(|(px, py, open, dx, dy, q, width)| {
            (
                (px, py, open, open + width),
                (dx, dy, open, open + 2.0 * width),
                q,
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever the instance (every request fits a vehicle of its own, a vehicle per
    /// request), the answer serves everyone and holds every rule.
    #[test]
    fn solutions_are_always_feasible(reqs in prop::collection::vec(arb_request(), 1..9), seed in 0u64..1000) {
        let inst = instance(reqs.len(), 10, &reqs);
        let sol = solve(&inst, &Params { seed, iterations: 300, ..Default::default() });
        prop_assert!(check(&inst, &sol).is_ok(), "{:?}", check(&inst, &sol));
        prop_assert!(sol.vehicles() <= reqs.len());
    }

    /// On tiny instances the answer is the exact optimum: fewest vehicles, then distance.
    #[test]
    fn tiny_instances_are_solved_exactly(reqs in prop::collection::vec(arb_request(), 1..4), seed in 0u64..1000) {
        let inst = instance(reqs.len(), 10, &reqs);
        let Some((v, c)) = brute_force(&inst) else { return Ok(()) };
        let sol = solve(&inst, &Params { seed, iterations: 400, ..Default::default() });
        prop_assert!(check(&inst, &sol).is_ok(), "{:?}", check(&inst, &sol));
        prop_assert_eq!(sol.vehicles(), v);
        prop_assert!((sol.cost(&inst) - c).abs() < 1e-6, "cost {} vs optimum {c}", sol.cost(&inst));
    }
}

#[test]
fn li_lim_instances_are_solved_feasibly_near_the_best_known() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/pdptw");
    let Ok(bks) = std::fs::read_to_string(dir.join("BKS.json")) else {
        eprintln!("skipping: no Li & Lim data in {}", dir.display());
        return;
    };
    for name in ["lc101", "lr101", "lrc101", "lc201"] {
        let text =
            std::fs::read_to_string(dir.join("li_lim_100").join(format!("{name}.txt"))).unwrap();
        let inst = parse_li_lim(name, &text).unwrap();
        let sol = solve(
            &inst,
            &Params {
                iterations: 1_500,
                ..Default::default()
            },
        );
        check(&inst, &sol).unwrap_or_else(|e| panic!("{name}: {e}"));
        // "lc101": {... "solved_with_vehicles": 10, ...}
        let at = bks.find(&format!("\"{name}\"")).unwrap();
        let rest = &bks[at..];
        let v: usize = rest[rest.find("solved_with_vehicles").unwrap()..]
            .split(|c: char| !c.is_ascii_digit())
            .find(|s| !s.is_empty())
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            sol.vehicles() <= v + 1,
            "{name}: {} vehicles, best known {v}",
            sol.vehicles()
        );
    }
}
