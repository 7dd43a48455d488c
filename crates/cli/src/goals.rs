//! `tusk goals`: goals per region (issue 11), set from a file and listed. Progress against
//! them is on the overview page (`/overview`) and in `GET /api/v1/overview`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;

use crate::{accounts, open_store, scoring};

#[derive(Subcommand, Debug)]
pub enum GoalsAction {
    /// Set goals from a CSV file with a header `region,metric,target,due`: region is a county
    /// of the voter file or `all`; metric one of registrations, supporters, doors, calls,
    /// texts, contacts, volunteers, donors, money, maxed_out, asks_made, asks_converted,
    /// travellers; target 0 removes a goal; due is YYYY-MM-DD or empty. Every row is checked
    /// first: one wrong row keeps none and is named.
    Set { file: PathBuf },
    /// The goals, by region then measure.
    List {
        #[arg(long)]
        json: bool,
    },
}

pub fn run(database: &str, action: &GoalsAction) -> Result<()> {
    let mut store = open_store(database)?;
    match action {
        GoalsAction::Set { file } => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let goals = app::goals::parse_csv(&text)
                .with_context(|| format!("{}: no goal was set", file.display()))?;
            let n = app::goals::set(
                store.sql(),
                &goals,
                "row",
                &accounts::cli_actor(),
                &scoring::now(),
            )
            .with_context(|| format!("{}: no goal was set", file.display()))?;
            println!(
                "{n} goals set (target 0 removes one); progress: the overview page, /overview"
            );
        }
        GoalsAction::List { json } => {
            let goals = app::goals::list(store.sql())?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&goals)?);
                return Ok(());
            }
            if goals.is_empty() {
                println!("no goals: tusk goals set FILE.csv (region,metric,target,due)");
            }
            for g in goals {
                println!(
                    "{:<16} {:<16} {:>12}  due {:<10}  set by {} at {}",
                    g.region,
                    g.metric,
                    g.target,
                    g.due.as_deref().unwrap_or("—"),
                    g.set_by,
                    g.set_at
                );
            }
        }
    }
    Ok(())
}
