//! `tusk sharing …`: the campaign's side of targeted sharing (settings, the precinct table,
//! crediting asks, the report) and `tusk bench sharing` (uploads of a synthetic campaign's
//! contact lists: time to match and rank, and accuracy against the generator's truth).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use app::sharing::{self, Accuracy, Format, Supporter};
use app::signup::VoterIndex;
use clap::Subcommand;
use testkit::campaign::{contact_truth, Out};

use crate::{accounts, open_store, scoring};

#[derive(Subcommand, Debug)]
pub enum SharingAction {
    /// Print the sharing settings in force (JSON), or replace them with `--set FILE.json`.
    ///
    /// The document: `target_states` (most important first), `states` (per state:
    /// `registration_url`, `registration_deadline`, `early_vote_start`, `early_vote_end`,
    /// `polling_place_url`), `counties` (`"NC/WAKE": {early_vote_start, early_vote_end}`),
    /// `give_url`, `persuasion_url`, `texts` (per ask: register, vote_early, polling_place,
    /// give, persuade; placeholders {name} {state} {deadline} {start} {end} {place}
    /// {address}), `match_min`.
    Settings {
        #[arg(long)]
        set: Option<PathBuf>,
    },
    /// Load the precinct table (polling places for "where to vote" asks): a CSV with county,
    /// precinct, polling_place, polling_address (as the generator's precincts.csv). Replaces
    /// the table; every row is checked first.
    Precincts { file: PathBuf },
    /// Credit open asks from later data: register asks whose friend is now on the voter file
    /// (a voter first loaded after the upload), vote asks whose friend has a counted early
    /// ballot or is marked voted in the election-day journal.
    Credit,
    /// Asks made, done and converted, by kind and state (counts only).
    Report {
        #[arg(long)]
        json: bool,
    },
}

pub fn run(database: &str, action: &SharingAction) -> Result<()> {
    let mut store = open_store(database)?;
    let actor = accounts::cli_actor();
    match action {
        SharingAction::Settings { set: None } => {
            let s = sharing::settings(store.sql())?;
            println!("{}", serde_json::to_string_pretty(&s)?);
        }
        SharingAction::Settings { set: Some(path) } => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let s = sharing::set_settings(store.sql(), &text, &scoring::now(), &actor)
                .with_context(|| format!("{}: the settings were not changed", path.display()))?;
            println!(
                "sharing settings set: target states {}",
                s.target_states.join(", ")
            );
        }
        SharingAction::Precincts { file } => {
            let bytes =
                std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
            let n = sharing::import_precincts(store.sql(), &bytes, &scoring::now(), &actor)
                .with_context(|| {
                    format!(
                        "{}: nothing was loaded, the table is unchanged",
                        file.display()
                    )
                })?;
            println!("{n} precincts with their polling places loaded");
        }
        SharingAction::Credit => {
            eprintln!("reading the voters to match against…");
            let index = VoterIndex::build(&mut *store)?;
            let voted = journal_voted(database, &mut *store)?;
            let now = scoring::now();
            let c = sharing::credit(store.sql(), &index, &now, &actor, &|id: &str| {
                voted.get(id).copied()
            })?;
            println!(
                "{} open asks checked: {} friends registered since they were asked, {} voted",
                c.checked, c.registered, c.voted
            );
        }
        SharingAction::Report { json } => {
            let r = sharing::report(store.sql())?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                println!(
                    "{} supporters shared {} friends; {} asks made, {} done, {} converted",
                    r.supporters_sharing, r.friends, r.made, r.done, r.converted
                );
                println!(
                    "{:<6} {:<14} {:>8} {:>8} {:>10}",
                    "state", "ask", "made", "done", "converted"
                );
                for row in &r.rows {
                    println!(
                        "{:<6} {:<14} {:>8} {:>8} {:>10}",
                        row.state, row.kind, row.made, row.done, row.converted
                    );
                }
            }
        }
    }
    Ok(())
}

/// Who is marked voted in the election-day journal (newest report per voter wins).
fn journal_voted(
    database: &str,
    store: &mut dyn store::Store,
) -> Result<std::collections::HashMap<String, bool>> {
    let mut out = std::collections::HashMap::new();
    let election = app::turnout::election(store.sql());
    if election.is_none() {
        return Ok(out);
    }
    let mut journal = crate::open_journal(database)?;
    journal.query_each(
        "SELECT voter_id, status FROM turnout_reports ORDER BY seq",
        &[],
        &mut |r| {
            if let (store::Value::Text(v), store::Value::Text(s)) = (&r[0], &r[1]) {
                out.insert(v.clone(), s == "voted");
            }
            Ok(())
        },
    )?;
    Ok(out)
}

/// Registration thresholds the benchmark also reports precision and recall at.
const SWEEP: [f64; 5] = [0.5, 0.7, 0.8, 0.9, 0.95];

/// Doubt levels (bits) the benchmark also reports "not registered" at.
const DOUBT_SWEEP: [f64; 5] = [6.0, 8.0, 10.0, 12.0, 14.0];

/// Contacts per timed upload in the benchmark.
pub const BENCH_UPLOAD_CONTACTS: usize = 500;

/// `tusk bench sharing DIR`: the campaign's contact lists (DIR written by `tusk synth`, its
/// voter file loaded into the store) uploaded in uploads of `BENCH_UPLOAD_CONTACTS`, each by a
/// supporter of its own: time per upload (match, rank, keep, answer) and accuracy.
pub fn bench(database: &str, dir: &Path, uploads: usize) -> Result<()> {
    let mut store = open_store(database)?;
    let t = Instant::now();
    let index = VoterIndex::build(&mut *store)?;
    eprintln!(
        "voter index: {} voters in {:.1} s",
        index.voters,
        t.elapsed().as_secs_f64()
    );
    let read = |o: Out| {
        std::fs::read_to_string(dir.join(o.file_name()))
            .with_context(|| format!("cannot read {} in {}", o.file_name(), dir.display()))
    };
    let truth = contact_truth(&read(Out::TruthRecords)?, &read(Out::TruthPeople)?);
    let text = read(Out::Contacts)?;
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let header = rdr.headers()?.clone();
    let rows: Vec<csv::StringRecord> = rdr.records().collect::<Result<_, _>>()?;
    if rows.len() < BENCH_UPLOAD_CONTACTS {
        bail!(
            "{} has {} contacts: generate a bigger campaign",
            Out::Contacts.file_name(),
            rows.len()
        );
    }
    let settings = sharing::settings(store.sql())?;
    let now = scoring::now();
    let mut times = Vec::new();
    let mut acc = Accuracy::default();
    let mut sweep = [Accuracy::default(); SWEEP.len()];
    let mut doubts = [Accuracy::default(); DOUBT_SWEEP.len()];
    let chunks: Vec<&[csv::StringRecord]> = rows.chunks(BENCH_UPLOAD_CONTACTS).collect();
    let n = uploads.min(chunks.len());
    for (i, chunk) in chunks.iter().take(n).enumerate() {
        if chunk.len() < BENCH_UPLOAD_CONTACTS {
            break;
        }
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&header)?;
        for r in chunk.iter() {
            w.write_record(r)?;
        }
        let bytes = w.into_inner()?;
        // A supporter per upload (the per-supporter limits are not what is measured).
        let user_id = 1_000_000_000 + i as i64;
        sharing::agree(store.sql(), user_id, sharing::TERMS_VERSION, &now, "bench")?;
        let who = Supporter {
            user_id,
            person_id: None,
            actor: "bench".into(),
        };
        let t = Instant::now();
        let view = sharing::upload(
            store.sql(),
            &index,
            &who,
            Format::Csv,
            &bytes,
            &now,
            &|_| None,
        )?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        if view.accepted != chunk.len() {
            eprintln!("upload {i}: {} of {} kept", view.accepted, chunk.len());
        }
        // Accuracy from the same matching, without keeping.
        let parsed = sharing::parse(Format::Csv, &bytes)?;
        let today = model::Date::parse(&now[..10]).context("the clock")?;
        let judged = sharing::judge(
            store.sql(),
            &index,
            &settings,
            parsed.contacts,
            settings.target_states.first().map_or("", String::as_str),
            today,
            &|_| None,
        )?;
        let t = |entry: usize| {
            truth
                .get(&chunk[entry - 1][1])
                .map(|(reg, ncid)| (*reg && !ncid.is_empty(), format!("nc:{ncid}")))
        };
        acc.add(&judged, settings.match_min, &t);
        for (a, m) in sweep.iter_mut().zip(SWEEP) {
            a.add(&judged, m, &t);
        }
        for (a, b) in doubts.iter_mut().zip(DOUBT_SWEEP) {
            a.add_with_doubt(&judged, settings.match_min, Some(b), &t);
        }
        // Leave the store as it was.
        sharing::withdraw(store.sql(), user_id, &now, "bench")?;
    }
    if times.is_empty() {
        bail!("no upload of {BENCH_UPLOAD_CONTACTS} contacts was made");
    }
    times.sort_by(f64::total_cmp);
    let q = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    println!("| uploads of {BENCH_UPLOAD_CONTACTS} contacts | voters | p50 ms | p99 ms | max ms |");
    println!("|---|---|---|---|---|");
    println!(
        "| {} | {} | {:.0} | {:.0} | {:.0} |",
        times.len(),
        index.voters,
        q(0.5),
        q(0.99),
        times[times.len() - 1]
    );
    println!();
    println!("| contacts | registered (truth) | matched | match precision | match recall | full name + place: precision | recall | \"not registered\" precision | recall |");
    println!("|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {} | {} | {} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} |",
        acc.contacts,
        acc.registered,
        acc.matched,
        acc.match_precision(),
        acc.match_recall(),
        acc.match_precision_findable(),
        acc.match_recall_findable(),
        acc.unregistered_precision(),
        acc.unregistered_recall()
    );
    println!();
    println!("| registration threshold | match precision | recall | full name + place: precision | recall |");
    println!("|---|---|---|---|---|");
    for (a, m) in sweep.iter().zip(SWEEP) {
        println!(
            "| {m} | {:.4} | {:.4} | {:.4} | {:.4} |",
            a.match_precision(),
            a.match_recall(),
            a.match_precision_findable(),
            a.match_recall_findable()
        );
    }
    println!();
    println!("| doubt level (bits) | \"not registered\" precision | recall |");
    println!("|---|---|---|");
    for (a, b) in doubts.iter().zip(DOUBT_SWEEP) {
        println!(
            "| {b} | {:.4} | {:.4} |",
            a.unregistered_precision(),
            a.unregistered_recall()
        );
    }
    Ok(())
}
