//! `tusk teams`: neighbourhood teams (issue 11) drawn from a file, and listed with their
//! members. Leaders see their team on `/teams`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;

use crate::{open_store, scoring};

#[derive(Subcommand, Debug)]
pub enum TeamsAction {
    /// Draw every team from a CSV file with a header `team_id,name,county,precincts,leader`:
    /// precincts of the county separated by `;` (each precinct on one team), leader a user's
    /// name or empty. Replaces the teams; personal contacts logged stay. Every row is checked
    /// first: one wrong row keeps none and is named.
    Set { file: PathBuf },
    /// The teams with their member and not-contacted counts.
    List {
        #[arg(long)]
        json: bool,
    },
}

pub fn run(database: &str, action: &TeamsAction) -> Result<()> {
    let mut store = open_store(database)?;
    match action {
        TeamsAction::Set { file } => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let teams = app::teams::parse_csv(&text)
                .with_context(|| format!("{}: no team was changed", file.display()))?;
            let n = app::teams::set(store.sql(), &teams, &scoring::now())
                .with_context(|| format!("{}: no team was changed", file.display()))?;
            println!("{n} teams drawn; leaders see theirs on /teams");
        }
        TeamsAction::List { json } => {
            // The command line sees every team (as an admin would).
            let everyone = app::accounts::Principal::User {
                id: 0,
                username: crate::accounts::cli_actor(),
                role: auth::Role::Admin,
                regions: vec![],
                person_id: None,
                csrf: String::new(),
            };
            let teams = app::teams::list(store.sql(), &everyone, &scoring::now())?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&teams)?);
                return Ok(());
            }
            if teams.is_empty() {
                println!(
                    "no teams: tusk teams set FILE.csv (team_id,name,county,precincts,leader)"
                );
            }
            for t in teams {
                println!(
                    "{:<12} {:<28} {:<12} {:>3} precincts  leader {:<12} {:>5} members, {} not contacted personally in {} days",
                    t.id,
                    t.name,
                    t.county,
                    t.precincts.len(),
                    t.leader.as_deref().unwrap_or("—"),
                    t.members,
                    t.not_contacted,
                    app::teams::PERSONAL_CONTACT_DAYS
                );
            }
        }
    }
    Ok(())
}

/// The demo's teams: the organizer's county's precincts four by four, and the demo volunteer
/// leading the team of the precinct they are registered in (one more team when that precinct
/// is in another county). Written as `teams.csv` in `dir` and set.
pub fn demo(database: &str, dir: &std::path::Path, county: &str, leader: &str) -> Result<()> {
    use store::sql::RowExt;
    let mut store = open_store(database)?;
    let precincts: Vec<String> = store
        .sql()
        .query(
            "SELECT DISTINCT precinct FROM voters WHERE county = ? AND removed_load_id IS NULL ORDER BY precinct",
            &[store::Value::Text(county.to_string())],
        )?
        .iter()
        .map(|r| r.text(0))
        .collect::<store::Result<_>>()?;
    let own: Option<(String, String)> = match store::accounts::user_by_name(store.sql(), leader)? {
        Some(u) => match u.person_id {
            Some(p) => store
                .sql()
                .query(
                    "SELECT county, precinct FROM voters WHERE person_id = ? AND removed_load_id IS NULL LIMIT 1",
                    &[store::Value::Int(p)],
                )?
                .first()
                .map(|r| -> store::Result<(String, String)> { Ok((r.text(0)?, r.text(1)?)) })
                .transpose()?,
            None => None,
        },
        None => None,
    };
    let mut csv = String::from("team_id,name,county,precincts,leader\n");
    let mut led = false;
    for (i, chunk) in precincts.chunks(4).enumerate() {
        let leads = own
            .as_ref()
            .is_some_and(|(c, p)| c == county && chunk.contains(p));
        led |= leads;
        csv.push_str(&format!(
            "{county}-{:02},{} neighbourhood team {},{county},{},{}\n",
            i + 1,
            title(county),
            i + 1,
            chunk.join(";"),
            if leads { leader } else { "" }
        ));
    }
    if let (false, Some((c, p))) = (led, own) {
        csv.push_str(&format!(
            "{c}-01,{} neighbourhood team 1,{c},{p},{leader}\n",
            title(&c)
        ));
    }
    let file = dir.join("teams.csv");
    std::fs::write(&file, csv).with_context(|| format!("cannot write {}", file.display()))?;
    drop(store);
    run(database, &TeamsAction::Set { file })
}

fn title(s: &str) -> String {
    let lower = s.to_lowercase();
    let mut c = lower.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}
