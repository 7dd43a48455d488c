//! `tusk bench pdptw`: the ride matcher on the Li & Lim benchmark beside its best-known
//! solutions.

use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};

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
