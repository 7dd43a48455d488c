//! `tusk turf …`: cut a county's doors (of a universe) into walkable turfs, list kept cuts,
//! and export walk lists as CSV (audited). Print-ready walk lists are pages of `tusk serve`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Subcommand;

use crate::scoring::now;
use crate::{open_store, Cli};

#[derive(Subcommand, Debug)]
pub enum TurfAction {
    /// Cut turfs: the universe's people in one county, by household, into turfs of at most
    /// --doors doors, each ordered as a walking route.
    ///
    /// Example: tusk turf cut --county WAKE --doors 60 --universe @gotv
    Cut {
        #[arg(long)]
        county: String,
        /// Doors per turf at most.
        #[arg(long, default_value_t = 60)]
        doors: usize,
        /// Whom to knock: @SAVED_NAME or an expression (default: everyone in the county).
        #[arg(long, default_value = "")]
        universe: String,
        /// Name the cut is kept under.
        #[arg(long, default_value = "turfs")]
        name: String,
        /// Who cuts (default cli:$USER).
        #[arg(long)]
        by: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Kept cuts, newest first.
    List,
    /// Write a cut's walk lists (one turf with --turf, or all) as CSV in walking order. Audited.
    Export {
        cut: i64,
        #[arg(long)]
        turf: Option<u32>,
        #[arg(long)]
        out: PathBuf,
        /// Column set: tusk or van.
        #[arg(long, default_value = "tusk")]
        format: String,
        /// Who exports (default cli:$USER).
        #[arg(long)]
        by: Option<String>,
    },
}

pub fn run(cli: &Cli, action: &TurfAction) -> Result<()> {
    let mut store = open_store(&cli.database)?;
    let all = store::people::Scope::All;
    match action {
        TurfAction::Cut {
            county,
            doors,
            universe,
            name,
            by,
            json,
        } => {
            let expression = crate::universe::expression_of(store.sql(), universe)?;
            let t = Instant::now();
            let year = app::universes::age_year(store.sql(), now()[..4].parse().unwrap_or(2026));
            let people = app::universes::load(store.sql(), year)?;
            let read = t.elapsed().as_secs_f64();
            let req = app::turfs::CutRequest {
                name: name.clone(),
                expression: expression.clone(),
                county: county.clone(),
                doors: *doors,
            };
            let t = Instant::now();
            let (summary, stops) = app::turfs::cut(&people, &req, &all).map_err(|e| match e {
                app::turfs::TurfError::Expression(le) => {
                    anyhow::anyhow!("{}", le.show(&expression))
                }
                other => other.into(),
            })?;
            let cut_s = t.elapsed().as_secs_f64();
            let by = by.clone().unwrap_or_else(crate::accounts::cli_actor);
            let kept = app::turfs::save(store.sql(), &req, &summary, &stops, &by, &now())?;
            if *json {
                println!(
                    "{}",
                    serde_json::json!({"cut": kept, "seconds": {"read": read, "cut": cut_s}})
                );
                return Ok(());
            }
            println!(
                "cut {} kept: {} turfs, {} doors, {} people in {} ({:.2} s; people read in {read:.1} s)",
                kept.id,
                summary.turfs.len(),
                summary.doors,
                summary.people,
                kept.county,
                cut_s
            );
            println!(
                "compactness: mean distance from a door to its turf's centre {:.0} m; {:.0} m walked per door",
                summary.mean_radius_m, summary.walk_m_per_door
            );
            if summary.people_not_placed > 0 {
                println!(
                    "{} people of the universe in {} have no geocoded address: not in any turf (import geocodes, or reach them another way)",
                    summary.people_not_placed, kept.county
                );
            }
            for t in summary.turfs.iter().take(10) {
                println!(
                    "  turf {:>4}: {:>4} doors {:>5} people  route {:>6.0} m",
                    t.turf, t.doors, t.people, t.route_m
                );
            }
            if summary.turfs.len() > 10 {
                println!("  … {} more", summary.turfs.len() - 10);
            }
            println!(
                "walk lists: tusk turf export {} --out walk.csv (or the Turfs page of tusk serve)",
                kept.id
            );
            Ok(())
        }
        TurfAction::List => {
            let cuts = app::turfs::all(store.sql(), &all)?;
            if cuts.is_empty() {
                println!("no cuts yet: tusk turf cut --county NAME --doors 60 --universe @NAME");
            }
            for c in cuts {
                println!(
                    "{:>4}  {:<20} {:<12} {:>5} turfs {:>7} doors {:>8} people  {}  by {}",
                    c.id,
                    c.name,
                    c.county,
                    c.summary.turfs.len(),
                    c.summary.doors,
                    c.summary.people,
                    c.created_at,
                    c.created_by
                );
            }
            Ok(())
        }
        TurfAction::Export {
            cut,
            turf,
            out,
            format,
            by,
        } => {
            let format = app::lists::Format::parse(format)
                .with_context(|| format!("--format {format:?}: use tusk or van"))?;
            let c = app::turfs::get(store.sql(), *cut, &all)?
                .with_context(|| format!("no cut {cut}: see `tusk turf list`"))?;
            let list = app::turfs::walk_list(store.sql(), c.id, *turf, &all)?;
            if list.is_empty() {
                anyhow::bail!(
                    "cut {cut} has no turf {}: it has {} turfs",
                    turf.unwrap_or(0),
                    c.summary.turfs.len()
                );
            }
            let year = app::universes::age_year(store.sql(), now()[..4].parse().unwrap_or(2026));
            let text = app::turfs::csv(&list, format, i64::from(year));
            let by = by.clone().unwrap_or_else(crate::accounts::cli_actor);
            let target = match turf {
                Some(t) => format!("turf_cut:{cut}:{t}"),
                None => format!("turf_cut:{cut}"),
            };
            // Audited first: an export that then fails to be written is still on record.
            store::accounts::write_audit(
                store.sql(),
                &[app::lists::audit(&by, &target, list.len(), format, &now())],
            )?;
            std::fs::write(out, text).with_context(|| format!("cannot write {}", out.display()))?;
            println!("wrote {} people to {} (audited)", list.len(), out.display());
            Ok(())
        }
    }
}
