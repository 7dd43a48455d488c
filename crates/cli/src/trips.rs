//! `tusk trips …`: the trip board's campaign side (import the board files, plan, offices'
//! coverage); `tusk bench pdptw` (the ride matcher on the Li & Lim benchmark beside its
//! best-known solutions) and `tusk bench trips` (the campaign-size case).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Subcommand;

use crate::{accounts, open_store, scoring};

#[derive(Subcommand, Debug)]
pub enum TripsAction {
    /// Load the board files of DIR: field_offices.csv and office_needs.csv (replacing the
    /// offices and their needs), ride_offers.csv, bed_offers.csv and travel_requests.csv
    /// (added as posts owned by no one; a manager answers for them). Every row is checked
    /// before anything is written; an error names the file, row and column.
    Import { dir: PathBuf },
    /// Run the planner over the open board: accepted placements are kept, declined pairs never
    /// proposed, the rest placed where offices need people. Prints what it did.
    Plan,
    /// Each office's need per day against the current plan (planned, accepted).
    Offices {
        #[arg(long)]
        json: bool,
    },
}

pub fn run(database: &str, action: &TripsAction) -> Result<()> {
    let mut store = open_store(database)?;
    let actor = accounts::cli_actor();
    match action {
        TripsAction::Import { dir } => {
            let (o, n, r, b, q) = app::trips::import_dir(store.sql(), dir, &scoring::now(), &actor)
                .with_context(|| format!("{}: nothing was loaded", dir.display()))?;
            println!(
                "trip board loaded: {o} offices ({n} office-days of need), {r} ride offers, {b} bed offers, {q} travel requests"
            );
        }
        TripsAction::Plan => {
            let s = app::trips::run_plan(store.sql(), &scoring::now(), &actor)?;
            println!(
                "planned in {:.2} s{}: {} of {} travellers placed; {} of {} volunteer-days of need covered ({:.1} %); {} drivers, {:.0} km of detour; {} accepted placements kept",
                s.seconds,
                if s.exact { " (exact)" } else { "" },
                s.placed,
                s.travellers,
                s.covered_days,
                s.need_days,
                100.0 * s.covered_days as f64 / s.need_days.max(1) as f64,
                s.drivers,
                s.detour_km,
                s.kept_accepted
            );
            for (req, why) in &s.dropped {
                println!("  no longer possible: {req}: {why}");
            }
        }
        TripsAction::Offices { json } => {
            let offices = app::trips::offices(store.sql())?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&offices)?);
                return Ok(());
            }
            if offices.is_empty() {
                println!("no field offices: load them with `tusk trips import DIR`");
            }
            for o in offices {
                println!(
                    "{} {} ({}): need {} volunteer-days, {} planned, {} accepted",
                    o.id, o.name, o.city, o.needed, o.planned, o.accepted
                );
            }
        }
    }
    Ok(())
}

/// Runs every instance of `dir` and prints one row each and a summary.
pub fn bench(dir: &Path, iterations: usize, seed: u64, only: Option<&str>) -> Result<()> {
    let bks_path = dir
        .parent()
        .map(|p| p.join("BKS.json"))
        .context("the directory has no parent for BKS.json")?;
    let bks: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&bks_path)
            .with_context(|| format!("cannot read {}", bks_path.display()))?,
    )
    .with_context(|| format!("{} is not JSON", bks_path.display()))?;
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("no instance (*.txt) in {}", dir.display());
    }
    println!("| instance | vehicles | BKS vehicles | distance | BKS distance | gap % | seconds |");
    println!("|---|---|---|---|---|---|---|");
    let (mut same, mut fewer_or_same, mut n, mut gaps, mut secs) =
        (0, 0, 0, Vec::new(), Vec::new());
    for f in files {
        let name = f
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if only.is_some_and(|o| !name.starts_with(o)) {
            continue;
        }
        let text = std::fs::read_to_string(&f)?;
        let inst = trips::parse_li_lim(&name, &text)
            .with_context(|| format!("{}: not a Li & Lim instance", f.display()))?;
        let t = Instant::now();
        let sol = trips::solve(
            &inst,
            &trips::Params {
                seed,
                iterations,
                ..Default::default()
            },
        );
        let s = t.elapsed().as_secs_f64();
        if let Err(e) = trips::check(&inst, &sol) {
            bail!("{name}: the solution is infeasible: {e}");
        }
        let b = &bks[&name];
        let (bv, bc) = (
            b["solved_with_vehicles"].as_u64().unwrap_or(0) as usize,
            b["best_known_cost"].as_f64().unwrap_or(f64::NAN),
        );
        let (v, c) = (sol.vehicles(), sol.cost(&inst));
        let gap = if v == bv {
            (c / bc - 1.0) * 100.0
        } else {
            f64::NAN
        };
        n += 1;
        if v == bv {
            same += 1;
            gaps.push(gap);
        }
        if v <= bv {
            fewer_or_same += 1;
        }
        secs.push(s);
        println!(
            "| {name} | {v} | {bv} | {c:.2} | {bc:.2} | {} | {s:.2} |",
            if gap.is_nan() {
                "—".into()
            } else {
                format!("{gap:.2}")
            }
        );
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let max = secs.iter().cloned().fold(0.0, f64::max);
    println!();
    println!(
        "{n} instances: best-known vehicle count on {same} ({fewer_or_same} at or below it); distance gap where the vehicles match: mean {:.2} %, max {:.2} %; seconds per instance: mean {:.2}, max {max:.2} ({iterations} iterations, seed {seed})",
        mean(&gaps),
        gaps.iter().cloned().fold(0.0, f64::max),
        mean(&secs)
    );
    Ok(())
}

/// `tusk bench trips`: the campaign-size case.
pub fn bench_campaign(
    dir: Option<&Path>,
    counts: testkit::campaign::TripCounts,
    seed: u64,
    cancel_share: f64,
) -> Result<()> {
    use testkit::campaign::{generate_trips, Out, Outputs};
    use trips::plan::{coverage, plan, upper_bound};
    let t = Instant::now();
    let board = match dir {
        Some(d) => app::trips::read_dir(d)?,
        None => {
            let mut out = Outputs(Out::ALL.iter().map(|_| Vec::<u8>::new()).collect());
            generate_trips(seed, counts, &mut out)?;
            let mut text = |o: Out| -> Result<String> {
                let i = Out::ALL.iter().position(|x| *x == o).context("Out")?;
                Ok(String::from_utf8(std::mem::take(&mut out.0[i]))?)
            };
            let board = app::trips::Board {
                offices: app::trips::parse_offices(&text(Out::Offices)?)?,
                needs: app::trips::parse_needs(&text(Out::OfficeNeeds)?)?,
                rides: app::trips::parse_rides(&text(Out::Rides)?)?,
                beds: app::trips::parse_beds(&text(Out::Beds)?)?,
                requests: app::trips::parse_requests(&text(Out::TravelRequests)?)?,
            };
            board.check()?;
            board
        }
    };
    let p = board.problem();
    let read_s = t.elapsed().as_secs_f64();
    println!(
        "board: {} offices, {} office-days of need, {} rides ({} seats), {} bed offers ({} beds), {} travellers ({} need a ride, {} a bed); read in {read_s:.2} s",
        p.offices.len(),
        board.needs.len(),
        p.rides.len(),
        p.rides.iter().map(|r| r.seats as u64).sum::<u64>(),
        p.beds.len(),
        p.beds.iter().map(|b| b.beds as u64).sum::<u64>(),
        p.travellers.len(),
        p.travellers.iter().filter(|t| t.needs_ride).count(),
        p.travellers.iter().filter(|t| t.needs_bed).count(),
    );
    let t = Instant::now();
    let bound = upper_bound(&p);
    let bound_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let first = plan(&p, &[], &[]);
    let plan_s = t.elapsed().as_secs_f64();
    if let Err(e) = trips::plan::check(&p, &first) {
        bail!("the plan breaks a rule: {e}");
    }
    let c = coverage(&p, &first);
    let pct = |a: u64, b: u64| 100.0 * a as f64 / b.max(1) as f64;
    println!(
        "plan: {plan_s:.2} s; need covered {} of {} volunteer-days ({:.1} %; upper bound {bound} = {:.1} %, {bound_s:.2} s); travellers placed {} of {} ({} volunteer-days); drivers used {}; detour {:.0} km ({:.1} km per driver); peak RSS {} MB",
        c.covered,
        c.needed,
        pct(c.covered, c.needed),
        pct(bound, c.needed),
        first.placements.len(),
        p.travellers.len(),
        c.placed,
        first.objective.drivers,
        first.objective.detour_m as f64 / 1000.0,
        first.objective.detour_m as f64 / 1000.0 / first.objective.drivers.max(1) as f64,
        crate::bench::peak_rss_mb(),
    );
    let t = Instant::now();
    let fc = trips::plan::first_come(&p);
    let fc_s = t.elapsed().as_secs_f64();
    if let Err(e) = trips::plan::check(&p, &fc) {
        bail!("first come, first served breaks a rule: {e}");
    }
    let c0 = coverage(&p, &fc);
    println!(
        "first come, first served (the board without a planner): {fc_s:.2} s; need covered {} ({:.1} %); travellers placed {} ({} volunteer-days); drivers used {}; detour {:.0} km",
        c0.covered,
        pct(c0.covered, c0.needed),
        fc.placements.len(),
        c0.placed,
        fc.objective.drivers,
        fc.objective.detour_m as f64 / 1000.0,
    );
    // Re-plan: every placement accepted, a share of the rides cancelled (no seats left).
    let mut q = p.clone();
    let step = (1.0 / cancel_share.clamp(1e-6, 1.0)).round().max(1.0) as usize;
    let mut cancelled = 0;
    for (i, r) in q.rides.iter_mut().enumerate() {
        if i % step == 0 {
            r.seats = 0;
            cancelled += 1;
        }
    }
    let t = Instant::now();
    let again = plan(&q, &first.placements, &[]);
    let replan_s = t.elapsed().as_secs_f64();
    if let Err(e) = trips::plan::check(&q, &again) {
        bail!("the re-plan breaks a rule: {e}");
    }
    let kept = first
        .placements
        .iter()
        .filter(|pl| again.placements.contains(pl))
        .count();
    let c2 = coverage(&q, &again);
    println!(
        "re-plan after cancelling {cancelled} rides, all {} placements accepted: {replan_s:.2} s; {} dropped (their ride is gone), {kept} kept unchanged, {} placed anew; need covered {} ({:.1} %)",
        first.placements.len(),
        again.dropped.len(),
        again.placements.len() - kept,
        c2.covered,
        pct(c2.covered, c2.needed),
    );
    Ok(())
}
