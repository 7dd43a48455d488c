//! `tusk watchers`: poll watchers for election day — provisioned in bulk with login codes,
//! and the readiness drill (who has signed in).

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Subcommand;

use crate::{open_store, Cli};

#[derive(Subcommand)]
pub enum WatchersAction {
    /// Create one poll-watcher account per row of a CSV file (columns county, precinct and
    /// optionally username), each with a fresh login code, written to --out (the only copy:
    /// hand each watcher theirs). Nothing is created if a row is wrong.
    Import {
        file: PathBuf,
        /// Where the usernames and login codes go (CSV; created, never overwritten).
        #[arg(long)]
        out: PathBuf,
        /// The accounts end after this day (YYYY-MM-DD), e.g. a few days after the election.
        #[arg(long)]
        expires_on: Option<String>,
    },
    /// The readiness drill: every poll watcher and their latest successful sign-in.
    Readiness {
        /// Only the watchers who have never signed in.
        #[arg(long)]
        missing: bool,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(cli: &Cli, action: &WatchersAction) -> Result<()> {
    let mut store = open_store(&cli.database)?;
    match action {
        WatchersAction::Import {
            file,
            out,
            expires_on,
        } => {
            if out.exists() {
                bail!(
                    "--out {}: the file exists; login codes are written once, pick a new name",
                    out.display()
                );
            }
            // The codes' file first (readable by its owner only): accounts whose codes could
            // not be written would be accounts nobody can use.
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let mut w = opts
                .open(out)
                .with_context(|| format!("cannot create {}", out.display()))?;
            let input = std::fs::File::open(file)
                .with_context(|| format!("cannot open {}", file.display()))?;
            let rows = std::fs::read_to_string(file)
                .map(|s| s.lines().count().saturating_sub(1))
                .unwrap_or(0);
            let bar = crate::progress::counter(rows as u64, "login codes hashed");
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
            let made = app::turnout::provision(
                &mut *store,
                std::io::BufReader::new(input),
                expires_on.clone(),
                &crate::accounts::cli_actor(),
                crate::accounts::now(),
                threads,
                &|n| bar(n as u64),
            );
            if made.is_err() {
                let _ = std::fs::remove_file(out);
            }
            let (made, ignored) = match made {
                Ok(m) => m,
                Err(app::turnout::ProvisionError::Rows(rows)) => {
                    for (row, field, why) in rows.iter().take(50) {
                        eprintln!("{}: row {row}, {field}: {why}", file.display());
                    }
                    if rows.len() > 50 {
                        eprintln!("… and {} more", rows.len() - 50);
                    }
                    bail!(
                        "{} row(s) of {} cannot be provisioned; nothing was created: fix them and run again",
                        rows.len(),
                        file.display()
                    );
                }
                Err(e) => return Err(e).context(format!("provisioning {}", file.display())),
            };
            if !ignored.is_empty() {
                eprintln!("ignored columns: {}", ignored.join(", "));
            }
            use std::io::Write;
            writeln!(w, "username,county,precinct,login_code")?;
            for m in &made {
                writeln!(
                    w,
                    "{},{},{},{}",
                    m.username, m.county, m.precinct, m.login_code
                )?;
            }
            println!(
                "{} poll watchers created; their login codes are in {} (the only copy). They sign in at /login with the username and the code (any case, dashes optional); `tusk watchers readiness` shows who has.",
                made.len(),
                out.display()
            );
        }
        WatchersAction::Readiness { missing, json } => {
            let all = app::turnout::readiness(store.sql())?;
            let ready = all.iter().filter(|r| r.last_login.is_some()).count();
            let shown: Vec<&app::turnout::Readiness> = all
                .iter()
                .filter(|r| !*missing || r.last_login.is_none())
                .collect();
            if *json {
                println!(
                    "{}",
                    serde_json::json!({ "watchers": all.len(), "signed_in": ready, "rows": shown })
                );
            } else {
                for r in &shown {
                    println!(
                        "{:<24} {:<24} {}{}",
                        r.username,
                        r.regions,
                        r.last_login.as_deref().unwrap_or("NEVER SIGNED IN"),
                        if r.disabled { "  (disabled)" } else { "" }
                    );
                }
                println!(
                    "{ready} of {} poll watchers have signed in at least once",
                    all.len()
                );
            }
        }
    }
    Ok(())
}
