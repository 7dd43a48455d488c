//! `tusk universe …`: count, save and list universes (the universe language: docs/targeting.md).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Subcommand;

use crate::scoring::now;
use crate::{open_store, Cli};

#[derive(Subcommand, Debug)]
pub enum UniverseAction {
    /// Count the people an expression selects, with its plan and breakdowns.
    ///
    /// Example: tusk universe count 'county in ("WAKE","DURHAM") and support >= 0.6 and
    /// turnout between 0.3 and 0.7 and not voted(2026-11-03)' --by county,age_band
    Count {
        /// The expression (empty: everyone), or @NAME for a saved universe.
        expression: String,
        /// Break the count down by these fields (county, precinct, age_band, party, sex, race,
        /// congressional_district, state), comma-separated.
        #[arg(long, value_delimiter = ',')]
        by: Vec<String>,
        /// Write the selected person ids to this CSV file (one column `person_id`).
        #[arg(long)]
        ids: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Save a universe under a name (replacing one of that name); the expression is checked.
    Save {
        name: String,
        expression: String,
        /// Who saves it (default cli:$USER).
        #[arg(long)]
        by: Option<String>,
    },
    /// Saved universes with their counts now.
    List,
    /// The four goal templates (registration, persuasion, turnout, fundraising): their logic,
    /// expressions with the suppression rules written in, and counts now.
    Goals {
        /// The election being worked (default: the latest in the absentee files loaded).
        #[arg(long)]
        election: Option<String>,
        /// The state the campaign registers voters in.
        #[arg(long, default_value = "NC")]
        state: String,
        #[arg(long)]
        json: bool,
    },
}

/// A saved universe's expression for `@NAME`, else the text itself.
pub(crate) fn expression_of(sql: &mut dyn store::sql::Sql, text: &str) -> Result<String> {
    match text.trim().strip_prefix('@') {
        Some(name) => Ok(app::universes::all(sql)?
            .into_iter()
            .find(|u| u.name == name)
            .with_context(|| format!("no saved universe named {name:?}: see `tusk universe list`"))?
            .expression),
        None => Ok(text.to_string()),
    }
}

fn this_year() -> u16 {
    now()[..4].parse().unwrap_or(2026)
}

pub fn run(cli: &Cli, action: &UniverseAction) -> Result<()> {
    let mut store = open_store(&cli.database)?;
    let t = Instant::now();
    let year = app::universes::age_year(store.sql(), this_year());
    let people = app::universes::load(store.sql(), year)?;
    eprintln!(
        "{} people read from the store in {:.1} s",
        people.len(),
        t.elapsed().as_secs_f64()
    );
    let show = |e: app::universes::UniverseError, expr: &str| -> anyhow::Error {
        match e {
            app::universes::UniverseError::Expression(le) => anyhow::anyhow!("{}", le.show(expr)),
            other => other.into(),
        }
    };
    match action {
        UniverseAction::Count {
            expression,
            by,
            ids,
            json,
        } => {
            let expr = expression_of(store.sql(), expression)?;
            let t = Instant::now();
            let c = app::universes::count(&people, &expr, by).map_err(|e| show(e, &expr))?;
            let ms = t.elapsed().as_secs_f64() * 1e3;
            if let Some(path) = ids {
                let plan = if expr.trim().is_empty() {
                    targeting::Plan::All
                } else {
                    targeting::plan(&people, &expr)
                        .map_err(|e| anyhow::anyhow!("{}", e.show(&expr)))?
                };
                let mut out = String::from("person_id\n");
                for i in plan.eval(&people).ones() {
                    out.push_str(&people.ids[i].to_string());
                    out.push('\n');
                }
                // Ids only, but a bulk list of people all the same: audited first.
                store::accounts::write_audit(
                    store.sql(),
                    &[store::accounts::AuditRecord::new(
                        &now(),
                        &crate::accounts::cli_actor(),
                        "export",
                        "universe:ids",
                        serde_json::json!({ "rows": c.count, "format": "person_id" }),
                    )],
                )?;
                std::fs::write(path, out)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                eprintln!(
                    "wrote {} person ids to {} (audited)",
                    c.count,
                    path.display()
                );
            }
            if *json {
                println!("{}", serde_json::json!({"counted": c, "milliseconds": ms}));
                return Ok(());
            }
            println!("{} of {} people ({:.1} ms)", c.count, c.total, ms);
            print!("{}", c.explain);
            for (field, rows) in &c.breakdowns {
                println!("\nby {field}:");
                for (v, n) in rows.iter().take(30) {
                    println!("  {v:<24} {n:>10}");
                }
                if rows.len() > 30 {
                    println!("  … {} more", rows.len() - 30);
                }
            }
            Ok(())
        }
        UniverseAction::Save {
            name,
            expression,
            by,
        } => {
            let by = by.clone().unwrap_or_else(crate::accounts::cli_actor);
            let u = app::universes::save(store.sql(), &people, name, expression, &by, &now())
                .map_err(|e| show(e, expression))?;
            let c = app::universes::count(&people, &u.expression, &[])
                .map_err(|e| show(e, expression))?;
            println!(
                "universe {} saved as {:?}: {} people now",
                u.id, u.name, c.count
            );
            Ok(())
        }
        UniverseAction::Goals {
            election,
            state,
            json,
        } => {
            let election = match election {
                Some(e) => model::Date::parse(e)
                    .with_context(|| format!("--election {e:?} is not a date (YYYY-MM-DD)"))?,
                None => app::scores::current_election(store.sql())?,
            };
            let goals = app::universes::goals(&people, election, state);
            if *json {
                println!("{}", serde_json::to_string_pretty(&goals)?);
                return Ok(());
            }
            for g in goals {
                let n = match (g.count, &g.error) {
                    (Some(c), _) => format!("{c} people"),
                    (None, Some(e)) => format!("not countable yet: {e}"),
                    _ => String::new(),
                };
                println!(
                    "{} — {n}\n  {}\n  {}\n",
                    g.goal.name(),
                    g.logic,
                    g.expression
                );
            }
            Ok(())
        }
        UniverseAction::List => {
            let all = app::universes::all(store.sql())?;
            if all.is_empty() {
                println!("no saved universes: tusk universe save NAME 'EXPRESSION'");
            }
            for u in all {
                let n = app::universes::count(&people, &u.expression, &[])
                    .map(|c| c.count.to_string())
                    .unwrap_or_else(|e| format!("invalid now: {e}"));
                println!("{:>4}  {:<24} {:>10}  {}", u.id, u.name, n, u.expression);
            }
            Ok(())
        }
    }
}
