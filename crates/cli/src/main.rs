//! `tusk`: the command-line entry point. Picks the backend, reads the environment, draws
//! progress bars, and calls the use cases in `app`.

mod accounts;
mod allocate;
mod bench;
mod bench_turnout;
mod goals;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
mod progress;
mod scoring;
mod sharing;
mod teams;
mod trips;
mod turf;
mod universe;
mod watchers;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use store::Store;

/// Default embedded database file.
const DEFAULT_DATABASE: &str = "./tusk-data/tusk.db";

#[derive(Parser)]
#[command(name = "tusk", version, about = "Tusk: an open-source campaign data platform", long_about = None)]
pub(crate) struct Cli {
    /// Database: a file path for the embedded SQLite store, or a postgres:// URL.
    #[arg(long, global = true, env = "TUSK_DATABASE", default_value = DEFAULT_DATABASE)]
    pub(crate) database: String,
    /// Where rejects files are written (default: `rejects/` beside the database file, or
    /// ./tusk-data/rejects for PostgreSQL).
    #[arg(long, global = true, env = "TUSK_REJECTS_DIR")]
    rejects_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum ReviewAction {
    /// Pairs waiting for a decision (all pairs with --all), most likely first.
    List {
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// These two records are the same person.
    Accept { left: String, right: String },
    /// These two records are different people (undoes a link at the next resolve).
    Reject { left: String, right: String },
}

#[derive(Subcommand)]
enum Command {
    /// Load source files into the person store, one load per file (all or nothing each).
    Import {
        /// File format: ncvoter, ncvhis, nc-absentee, ohio, fec, csv, vcard (contact cards),
        /// canvass (field results with support IDs), experiment (persuasion experiment),
        /// geocodes (address, city, state, zip, latitude, longitude: where households are).
        #[arg(value_parser = [
            "ncvoter", "ncvhis", "nc-absentee", "ohio", "fec", "csv", "vcard", "canvass", "experiment",
            "geocodes",
        ])]
        kind: String,
        /// Files to load, in order.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Column mapping (TOML) for `csv`: see docs/import.md.
        #[arg(long)]
        mapping: Option<PathBuf>,
        /// Print one JSON object with the counts at the end instead of a table.
        #[arg(long)]
        json: bool,
        /// Accept a voter-file snapshot that marks more than 20% of its counties' voters as
        /// removed (by default such a load is refused: a cut-off file looks the same).
        #[arg(long)]
        allow_mass_removal: bool,
    },
    /// The history of loads with their counts.
    Loads {
        #[arg(long)]
        json: bool,
    },
    /// Data health: the last loads and their rejects, the review queue, how much of each
    /// source is linked to the voter file (from the last `tusk resolve`), the models in use
    /// and their held-out metrics, exports in the last day. Counts only.
    Health {
        #[arg(long)]
        json: bool,
    },
    /// A person and all their source records.
    Person {
        /// Person id (see `tusk loads`, or use --voter).
        id: Option<i64>,
        /// Find the person by voter record key instead, e.g. nc:AA123456.
        #[arg(long, conflicts_with = "id")]
        voter: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Generate a synthetic campaign: a state's files in the real layouts plus the hidden truth.
    ///
    /// Same seed and size give byte-identical files. No real person's data is used.
    Synth {
        /// State to generate (only NC so far).
        #[arg(long, default_value = "NC")]
        state: String,
        /// Voter-file rows.
        #[arg(long, default_value_t = 50_000)]
        voters: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output directory (created; files in it are replaced).
        #[arg(long)]
        out: PathBuf,
    },
    /// Build a small synthetic state, load it, and serve it with demo accounts.
    ///
    /// Generates a campaign with `tusk synth` into DIR/files (no real person's data), imports
    /// the voter file, history, absentee file, donations, volunteers and contacts into
    /// DIR/tusk.db, resolves identities, loads and plans the trip board, prints the loads and
    /// a person with their records,
    /// creates one demo account per role (passwords printed) and serves the web app and API.
    Demo {
        /// Where the demo's files and database go.
        #[arg(long, default_value = "./tusk-demo")]
        dir: PathBuf,
        /// Voters to generate.
        #[arg(long, default_value_t = 50_000)]
        voters: usize,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Where to serve the demo.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        /// Stop after loading and creating the accounts (do not serve).
        #[arg(long)]
        no_serve: bool,
    },
    /// Link two CSV files of people: for each right record, its best left match.
    ///
    /// Columns are recognised by name (id, first_name/given_name, last_name/surname, dob,
    /// birth_year, street/address_1 (+ street_number), city/suburb, state, zip/postcode, phone,
    /// email, ...); unknown columns are reported and ignored. The model is estimated from the
    /// files themselves, without labels. Writes left_id,right_id,match_probability,match_weight.
    Link {
        left: PathBuf,
        right: PathBuf,
        /// Output CSV of links.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Lowest match probability reported.
        #[arg(long, default_value_t = 0.5)]
        threshold: f64,
        /// Rename columns before recognising them: `old=new,...` (e.g. `fname=first_name`).
        #[arg(long)]
        map: Option<String>,
        /// Print the per-field waterfall for one pair, `LEFT_ID:RIGHT_ID`, instead of linking.
        #[arg(long)]
        explain: Option<String>,
    },
    /// Find the records of one CSV file that are the same person: writes `id,cluster_id`.
    ///
    /// Same columns as `link`. Pairs are scored by a model estimated from the file (no labels)
    /// and merged strongest first; two people of one household are never chained together.
    Dedupe {
        file: PathBuf,
        /// Output CSV: `id,cluster_id` (the cluster's first record's id).
        #[arg(long)]
        out: PathBuf,
        /// Lowest match probability for a pair to join a cluster.
        #[arg(long, default_value_t = 0.5)]
        threshold: f64,
        /// Rename columns before recognising them: `old=new,...`.
        #[arg(long)]
        map: Option<String>,
    },
    /// Resolve identities in the store: attach donors, volunteers and contacts to the voter
    /// they are (best match at the threshold), group the rest into new people. One load.
    Resolve {
        /// Lowest match probability for a link.
        #[arg(long, default_value_t = 0.5)]
        threshold: f64,
        #[arg(long)]
        json: bool,
    },
    /// The clerical review queue of identity resolution: borderline pairs, and decisions.
    ///
    /// A decision is kept and respected by every later `tusk resolve`; rejecting a pair that
    /// resolution linked undoes that link.
    Review {
        #[command(subcommand)]
        action: Option<ReviewAction>,
    },
    /// Explain how two records in the store compare: the per-field waterfall from the prior to
    /// the match probability, under the model `tusk resolve` estimates from the store.
    Explain {
        /// Record key, e.g. nc:AA123456 (a voter).
        a: String,
        /// Record key, e.g. fec:4262026000000000001 (a donation) or mobilize:MOB0000001.
        b: String,
    },
    /// Serve the JSON API and the web pages (sign in with an account from `tusk user add`).
    Serve {
        /// Address and port to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        /// Store connections (requests beyond wait, then get 503).
        #[arg(long, default_value_t = server::STORE_CONNECTIONS_DEFAULT)]
        connections: usize,
        /// Send the session cookie without `Secure` (plain HTTP on a non-local address).
        #[arg(long)]
        insecure_cookies: bool,
        /// Election day: reports waiting for the disk at most; beyond, 503 with Retry-After.
        #[arg(long, default_value_t = server::turnout::REPORT_QUEUE_MAX)]
        turnout_queue_max: usize,
        /// Election day: report requests handled at once at most; beyond, 503 with
        /// Retry-After.
        #[arg(long, default_value_t = server::turnout::INGEST_IN_FLIGHT_MAX)]
        turnout_in_flight_max: usize,
    },
    /// Accounts: add, list, disable, enable.
    User {
        #[command(subcommand)]
        action: accounts::UserAction,
    },
    /// Integration keys for other tools: add, list, disable.
    Key {
        #[command(subcommand)]
        action: accounts::KeyAction,
    },
    /// Models: train (support, turnout, persuasion, donor), list, report, approve.
    Model {
        #[command(subcommand)]
        action: scoring::ModelAction,
    },
    /// Scores: apply a model to every registered person.
    Score {
        #[command(subcommand)]
        action: scoring::ScoreAction,
    },
    /// Universes: count (with the plan and breakdowns), save, list.
    Universe {
        #[command(subcommand)]
        action: universe::UniverseAction,
    },
    /// Allocation: spend door hours, calls, texts and mail on the four goals for the most
    /// expected net votes; list, show (who and why) and export kept runs.
    Allocate {
        #[command(subcommand)]
        action: allocate::AllocateAction,
    },
    /// Election day: provision poll watchers in bulk with login codes; the readiness drill.
    Watchers {
        #[command(subcommand)]
        action: watchers::WatchersAction,
    },
    /// Targeted sharing, the campaign's side: settings (target states, links, dates, ask
    /// texts), the precinct table, crediting asks, the report. Supporters share on /share.
    Sharing {
        #[command(subcommand)]
        action: sharing::SharingAction,
    },
    /// The trip planner, the campaign's side: load the board files, plan, see each office's
    /// need against the plan. Volunteers post rides, beds and requests on /trips.
    Trips {
        #[command(subcommand)]
        action: trips::TripsAction,
    },
    /// Neighbourhood teams: draw them over precincts with their leaders from a file, list
    /// them. Leaders see their team on /teams.
    Teams {
        #[command(subcommand)]
        action: teams::TeamsAction,
    },
    /// Goals per region (a county or the whole campaign): set them from a file, list them.
    /// The overview page shows progress and pace against them.
    Goals {
        #[command(subcommand)]
        action: goals::GoalsAction,
    },
    /// Turfs: cut a county's doors into walkable turfs, list cuts, export walk lists.
    Turf {
        #[command(subcommand)]
        action: turf::TurfAction,
    },
    /// Retention: erase shared contacts never matched to a registration, a sign-up or a gift,
    /// loaded more than --older-than-days ago (and people left with no record), and friends
    /// supporters shared that matched no registration, shared more than
    /// --friends-older-than-days ago. Audited; the change feed says `deleted` for each contact.
    Retention {
        #[arg(long, default_value_t = app::retention::CONTACT_RETENTION_DAYS_DEFAULT)]
        older_than_days: u32,
        #[arg(long, default_value_t = app::sharing::SHARING_RETENTION_DAYS_DEFAULT)]
        friends_older_than_days: u32,
        /// Count what would be erased; erase nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Webhooks that push the change feed to other tools: add, list, disable, enable.
    Webhook {
        #[command(subcommand)]
        action: accounts::WebhookAction,
    },
    /// The audit log: sign-ins, bulk reads, person reads, account changes, oldest first.
    Audit {
        /// Entries after this id.
        #[arg(long, default_value_t = 0)]
        after: i64,
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Only this action (login.failure, people.search, person.read, user.add, …).
        #[arg(long)]
        action: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Benchmarks (figures for docs/benchmarks.md).
    Bench {
        #[command(subcommand)]
        what: bench::BenchCommand,
    },
}

pub(crate) fn open_store(database: &str) -> Result<Box<dyn Store>> {
    if database.starts_with("postgres://") || database.starts_with("postgresql://") {
        let s = store_postgres::PostgresStore::connect(database)
            .context("cannot connect to PostgreSQL: check the URL, that the server runs, and the credentials")?;
        Ok(Box::new(s))
    } else {
        let s = store_sqlite::SqliteStore::open(Path::new(database))
            .with_context(|| format!("cannot open the database file {database}"))?;
        Ok(Box::new(s))
    }
}

/// The election-day journal beside a SQLite store: `tusk.db` → `tusk.turnout.db`.
pub(crate) fn journal_path(database: &str) -> PathBuf {
    let p = Path::new(database);
    let stem = p
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "tusk".into());
    p.with_file_name(format!("{stem}.turnout.db"))
}

/// A connection to the election-day journal: on PostgreSQL the store's own database, on
/// SQLite a file of its own beside the store (`journal_path`).
pub(crate) fn open_journal(database: &str) -> Result<Box<dyn store::sql::Sql + Send>> {
    if database.starts_with("postgres://") || database.starts_with("postgresql://") {
        let s = store_postgres::PostgresStore::connect(database)
            .context("cannot connect to PostgreSQL for the election-day journal")?;
        Ok(Box::new(s))
    } else {
        let path = journal_path(database);
        let s = store_sqlite::SqliteJournal::open(&path)
            .with_context(|| format!("cannot open the election-day journal {}", path.display()))?;
        Ok(Box::new(s))
    }
}

pub(crate) fn rejects_dir(cli: &Cli) -> PathBuf {
    if let Some(d) = &cli.rejects_dir {
        return d.clone();
    }
    if cli.database.contains("://") {
        return PathBuf::from("./tusk-data/rejects");
    }
    Path::new(&cli.database)
        .parent()
        .map(|p| p.join("rejects"))
        .unwrap_or_else(|| PathBuf::from("rejects"))
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TUSK_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match &cli.command {
        Command::Import {
            kind,
            files,
            mapping,
            json,
            allow_mass_removal,
        } => import(
            &cli,
            kind,
            files,
            mapping.as_deref(),
            *json,
            *allow_mass_removal,
        ),
        Command::Loads { json } => loads(&cli, *json),
        Command::Health { json } => health(&cli, *json),
        Command::Person { id, voter, json } => person(&cli, *id, voter.as_deref(), *json),
        Command::Bench { what } => bench::run(&cli.database, what),
        Command::Serve {
            listen,
            connections,
            insecure_cookies,
            turnout_queue_max,
            turnout_in_flight_max,
        } => accounts::serve(
            &cli,
            *listen,
            *connections,
            *insecure_cookies,
            server::turnout::Limits {
                queue_max: *turnout_queue_max,
                in_flight_max: *turnout_in_flight_max,
            },
        ),
        Command::User { action } => accounts::user(&cli, action),
        Command::Key { action } => accounts::key(&cli, action),
        Command::Model { action } => scoring::model(&cli, action),
        Command::Score { action } => scoring::score(&cli, action),
        Command::Universe { action } => universe::run(&cli, action),
        Command::Allocate { action } => allocate::run(&cli, action),
        Command::Turf { action } => turf::run(&cli, action),
        Command::Watchers { action } => watchers::run(&cli, action),
        Command::Retention {
            older_than_days,
            friends_older_than_days,
            dry_run,
        } => retention(&cli, *older_than_days, *friends_older_than_days, *dry_run),
        Command::Sharing { action } => sharing::run(&cli.database, action),
        Command::Trips { action } => trips::run(&cli.database, action),
        Command::Goals { action } => goals::run(&cli.database, action),
        Command::Teams { action } => teams::run(&cli.database, action),
        Command::Webhook { action } => accounts::webhook(&cli, action),
        Command::Audit {
            after,
            limit,
            action,
            json,
        } => accounts::audit(&cli, *after, *limit, action.as_deref(), *json),
        Command::Demo {
            dir,
            voters,
            seed,
            listen,
            no_serve,
        } => demo(dir, *voters, *seed, *listen, *no_serve),
        Command::Dedupe {
            file,
            out,
            threshold,
            map,
        } => dedupe(file, out, *threshold, map.as_deref()),
        Command::Resolve { threshold, json } => resolve(&cli, *threshold, *json),
        Command::Review { action } => review(&cli, action.as_ref()),
        Command::Explain { a, b } => {
            let mut store = open_store(&cli.database)?;
            let (e, guarded) = app::resolve::explain(&mut *store, a, b)?;
            println!("{a} vs {b}\n{e}");
            if guarded {
                println!("household guard: different first names at one address, no birth date, phone or e-mail in common: never linked");
            }
            Ok(())
        }
        Command::Link {
            left,
            right,
            out,
            threshold,
            map,
            explain,
        } => link(
            left,
            right,
            out.as_deref(),
            *threshold,
            map.as_deref(),
            explain.as_deref(),
        ),
        Command::Synth {
            state,
            voters,
            seed,
            out,
        } => synth(state, *voters, *seed, out).map(|_| ()),
    }
}

fn retention(cli: &Cli, days: u32, friend_days: u32, dry_run: bool) -> Result<()> {
    let mut store = open_store(&cli.database)?;
    let now = app::accounts::parse_timestamp(&scoring::now()).context("the clock")?;
    let erased = app::retention::erase_unmatched_contacts(
        store.sql(),
        days,
        &accounts::cli_actor(),
        now,
        dry_run,
    )?;
    let verb = if dry_run { "would erase" } else { "erased" };
    println!(
        "{verb} {} shared contacts loaded more than {days} days ago and known only as contacts, and {} people left with no record",
        erased.contacts, erased.people
    );
    let friends = app::retention::erase_unmatched_friends(
        store.sql(),
        friend_days,
        &accounts::cli_actor(),
        now,
        dry_run,
    )?;
    println!(
        "{verb} {} friends shared more than {friend_days} days ago that matched no registration ({} uploads left empty; {} asks kept as counts only)",
        friends.friends, friends.uploads, friends.asks_unlinked
    );
    Ok(())
}

fn import_geocodes(cli: &Cli, files: &[PathBuf], json: bool) -> Result<()> {
    let mut store = open_store(&cli.database)?;
    for f in files {
        let file =
            std::fs::File::open(f).with_context(|| format!("cannot open {}", f.display()))?;
        let name = f
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let r = app::geo::import(
            store.sql(),
            std::io::BufReader::new(file),
            &name,
            &scoring::now(),
        )
        .with_context(|| {
            format!(
                "loading {} failed; nothing of this file was kept",
                f.display()
            )
        })?;
        if json {
            println!("{}", serde_json::to_string(&r)?);
            continue;
        }
        println!(
            "{}: {} rows read, {} addresses placed, {} rejected",
            f.display(),
            r.read,
            r.stored,
            r.rejected
        );
        if !r.ignored_columns.is_empty() {
            println!(
                "  columns not recognised, ignored: {}",
                r.ignored_columns.join(", ")
            );
        }
        if !r.rejects.is_empty() {
            let dir = rejects_dir(cli);
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let path = dir.join(format!("{name}.rejects.csv"));
            let mut text = String::from("row,reason\n");
            for (row, why) in &r.rejects {
                text.push_str(&format!("{row},\"{}\"\n", why.replace('"', "\"\"")));
            }
            std::fs::write(&path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            for (row, why) in r.rejects.iter().take(5) {
                println!("  row {row}: {why}");
            }
            println!("  all rejected rows: {}", path.display());
        }
    }
    Ok(())
}

fn import(
    cli: &Cli,
    kind: &str,
    files: &[PathBuf],
    mapping: Option<&Path>,
    json: bool,
    allow_mass_removal: bool,
) -> Result<()> {
    if kind == "geocodes" {
        if mapping.is_some() {
            bail!("--mapping only applies to `tusk import csv`");
        }
        return import_geocodes(cli, files, json);
    }
    let kind = ingest::Kind::parse(kind).context("unknown kind")?;
    let mapping = match (kind, mapping) {
        (ingest::Kind::Csv, None) => {
            bail!("`tusk import csv` needs --mapping FILE (see docs/import.md for the format)")
        }
        (ingest::Kind::Csv, Some(p)) => Some(app::read_mapping(p)?),
        (_, Some(_)) => bail!("--mapping only applies to `tusk import csv`"),
        (_, None) => None,
    };
    let mut store = open_store(&cli.database)?;
    let opts = app::ImportOptions {
        kind,
        mapping,
        rejects_dir: rejects_dir(cli),
        loaded_by: std::env::var("USER").unwrap_or_else(|_| "unknown".into()),
        allow_mass_removal,
    };
    let progress = progress::for_terminal(json);
    let mut reports = Vec::new();
    for f in files {
        let r = app::import_file(&mut *store, f, &opts, &*progress).with_context(|| {
            format!(
                "loading {} failed; nothing of this file was kept",
                f.display()
            )
        })?;
        if !json {
            print_report(&r);
        }
        reports.push(r);
    }
    if json {
        let out = if reports.len() == 1 {
            serde_json::to_value(&reports[0])?
        } else {
            let sum = |f: fn(&app::ImportReport) -> u64| reports.iter().map(f).sum::<u64>();
            serde_json::json!({
                "read": sum(|r| r.read),
                "accepted": sum(|r| r.accepted),
                "rejected": sum(|r| r.rejected),
                "new": sum(|r| r.new),
                "updated": sum(|r| r.updated),
                "unchanged": sum(|r| r.unchanged),
                "duplicate": sum(|r| r.duplicate),
                "removed": sum(|r| r.removed),
                "rejects_file": reports.iter().filter_map(|r| r.rejects_file.clone()).collect::<Vec<_>>(),
                "loads": reports,
            })
        };
        println!("{}", serde_json::to_string(&out)?);
    }
    Ok(())
}

fn print_report(r: &app::ImportReport) {
    println!(
        "load {} ({} {}): read {}, accepted {} (new {}, updated {}, unchanged {}, duplicate {}), rejected {}, removed {}",
        r.load_id, r.kind, r.file, r.read, r.accepted, r.new, r.updated, r.unchanged, r.duplicate, r.rejected, r.removed
    );
    if let Some(f) = &r.rejects_file {
        println!("  rejected rows with their reasons: {f}");
    }
    if let Some(obj) = r.summary.as_object() {
        if let Some(c) = obj.get("counted_cents").and_then(|v| v.as_i64()) {
            println!(
                "  counted contributions: ${}.{:02} (memo rows excluded)",
                c / 100,
                c.abs() % 100
            );
        }
    }
}

fn loads(cli: &Cli, json: bool) -> Result<()> {
    let mut store = open_store(&cli.database)?;
    let loads = store.loads()?;
    if json {
        println!("{}", serde_json::to_string(&loads)?);
        return Ok(());
    }
    if loads.is_empty() {
        println!("no loads yet: try `tusk import ncvoter FILE`");
        return Ok(());
    }
    println!(
        "{:>4}  {:<11} {:<20} {:>9} {:>9} {:>8} {:>8} {:>8} {:>9} {:>7} {:>7}  file",
        "id",
        "kind",
        "finished",
        "read",
        "accepted",
        "rejected",
        "new",
        "updated",
        "unchanged",
        "dup",
        "removed"
    );
    for l in loads {
        let c = &l.counts;
        println!(
            "{:>4}  {:<11} {:<20} {:>9} {:>9} {:>8} {:>8} {:>8} {:>9} {:>7} {:>7}  {}",
            l.id,
            l.kind,
            l.finished_at,
            c.read,
            c.accepted,
            c.rejected,
            c.new,
            c.updated,
            c.unchanged,
            c.duplicate,
            c.removed,
            l.file_name
        );
    }
    Ok(())
}

fn person(cli: &Cli, id: Option<i64>, voter: Option<&str>, json: bool) -> Result<()> {
    let mut store = open_store(&cli.database)?;
    let id = match (id, voter) {
        (Some(id), _) => id,
        (None, Some(key)) => store.person_of_voter(key)?.with_context(|| {
            format!("no voter with record key {key} (keys look like nc:AA123456)")
        })?,
        (None, None) => bail!("give a person id or --voter KEY"),
    };
    let p = store
        .person(id)?
        .with_context(|| format!("no person {id}"))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&p)?);
        return Ok(());
    }
    println!("person {}: {}", p.id, p.display_name);
    println!("  address: {}", p.address);
    if let Some(h) = p.household_id {
        println!("  household: {h}");
    }
    println!("  created by load {}", p.created_load_id);
    for r in &p.records {
        let removed = r
            .removed_load_id
            .map(|l| format!(", removed by load {l}"))
            .unwrap_or_default();
        println!(
            "\n  [{}] {} (load {}, row {}{removed})",
            r.table, r.rkey, r.load_id, r.row_number
        );
        for (i, f) in r.fields.iter().enumerate() {
            if f.trim().is_empty() {
                continue;
            }
            let name = r.header.get(i).map(String::as_str).unwrap_or("?");
            println!("    {name:<26} {f}");
        }
    }
    Ok(())
}

fn demo(
    dir: &Path,
    voters: usize,
    seed: u64,
    listen: std::net::SocketAddr,
    no_serve: bool,
) -> Result<()> {
    use testkit::campaign::Out;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let db = dir.join("tusk.db");
    for suffix in ["", "-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{suffix}", db.display()));
        if p.exists() {
            std::fs::remove_file(&p).with_context(|| {
                format!("cannot remove the previous demo database {}", p.display())
            })?;
        }
    }
    let files = dir.join("files");
    println!(
        "generating a synthetic North Carolina campaign: {voters} voters (seed {seed}) in {}",
        files.display()
    );
    synth("NC", voters, seed, &files)?;
    let cli = Cli {
        database: db.display().to_string(),
        rejects_dir: Some(dir.join("rejects")),
        command: Command::Loads { json: false },
    };
    let f = |o: Out| files.join(o.file_name());
    for (kind, file, mapping) in [
        ("ncvoter", f(Out::NcVoter), None),
        ("ncvhis", f(Out::NcVhis), None),
        ("nc-absentee", f(Out::Absentee), None),
        ("fec", f(Out::Fec), None),
        ("csv", f(Out::Volunteers), Some(f(Out::VolunteersMapping))),
        ("csv", f(Out::Contacts), Some(f(Out::ContactsMapping))),
        ("vcard", f(Out::ContactsVcf), None),
        ("canvass", f(Out::Canvass), None),
        ("experiment", f(Out::Experiment), None),
        ("geocodes", f(Out::Geocodes), None),
    ] {
        import(
            &cli,
            kind,
            std::slice::from_ref(&file),
            mapping.as_deref(),
            false,
            false,
        )?;
    }
    println!();
    resolve(&cli, 0.5, false)?;
    println!();
    demo_scores(&cli)?;
    println!();
    universe::run(
        &cli,
        &universe::UniverseAction::Goals {
            election: None,
            state: "NC".into(),
            json: false,
        },
    )?;
    // A budget over the four goals, and the GOTV universe's turfs in the organizer's county.
    println!();
    let allocated = allocate::run(
        &cli,
        &allocate::AllocateAction::Run {
            door_hours: 200.0,
            calls: 3_000.0,
            texts: 10_000.0,
            mail: 2_000.0,
            spec: None,
            goals: Vec::new(),
            universes: Vec::new(),
            dollars_per_vote: None,
            election: None,
            state: "NC".into(),
            today: None,
            name: "demo budget".into(),
            why: 3,
            dry_run: false,
            json: false,
        },
    );
    if let Err(e) = allocated {
        // A small demo may have too few answers to train every model: say so and go on.
        println!("allocation skipped: {e:#}");
    }
    println!();
    let mut store = open_store(&cli.database)?;
    let election = app::scores::current_election(store.sql())?;
    let county = accounts::demo_organizer_county(store.sql())?;
    let gotv = app::universes::goals(
        &app::universes::load(store.sql(), election.year)?,
        election,
        "NC",
    )
    .into_iter()
    .find(|g| g.goal == targeting::goals::Goal::Turnout)
    .map(|g| g.expression)
    .unwrap_or_default();
    let cut = turf::run(
        &cli,
        &turf::TurfAction::Cut {
            county,
            doors: 50,
            universe: gotv,
            name: "demo GOTV".into(),
            by: None,
            json: false,
        },
    );
    if let Err(e) = cut {
        println!("turf cutting skipped: {e:#}");
    }
    println!();
    // Targeted sharing: the campaign's settings and polling places.
    let demo_settings = r#"{
  "target_states": ["NC"],
  "states": {"NC": {"registration_url": "https://www.ncsbe.gov/registering/how-register",
                    "polling_place_url": "https://vt.ncsbe.gov/PPLkup/"}},
  "give_url": "https://example.org/give",
  "persuasion_url": "https://example.org/message"
}"#;
    let settings_file = files.join("sharing.json");
    std::fs::write(&settings_file, demo_settings)?;
    sharing::run(
        &cli.database,
        &sharing::SharingAction::Settings {
            set: Some(settings_file),
        },
    )?;
    sharing::run(
        &cli.database,
        &sharing::SharingAction::Precincts {
            file: f(Out::Precincts),
        },
    )?;
    trips::run(
        &cli.database,
        &trips::TripsAction::Import { dir: files.clone() },
    )?;
    trips::run(&cli.database, &trips::TripsAction::Plan)?;
    // Goals for the campaign and the organizer's county, due in a month: the overview shows
    // progress and pace against them.
    let due = model::date::timestamp_utc(
        app::accounts::parse_timestamp(&scoring::now()).unwrap_or(0) + 30 * 86_400,
    );
    let due = &due[..10];
    let goals_file = files.join("goals.csv");
    std::fs::write(
        &goals_file,
        format!(
            "region,metric,target,due\nall,registrations,{},{due}\nall,money,{},{due}\nall,volunteers,{},{due}\n{county},doors,{},{due}\n{county},contacts,{},{due}\n",
            voters * 2 / 5,
            voters * 40,
            voters / 50,
            voters / 10,
            voters / 20,
            county = accounts::demo_organizer_county(open_store(&cli.database)?.sql())?,
        ),
    )?;
    goals::run(&cli.database, &goals::GoalsAction::Set { file: goals_file })?;
    println!();
    loads(&cli, false)?;
    // A voter with some history, to show a person with several source records.
    let history = std::fs::read(f(Out::NcVhis))?;
    let ncid = String::from_utf8_lossy(&history)
        .lines()
        .nth(1)
        .and_then(|l| l.split('\t').nth(10).map(str::to_string))
        .context("the demo's vote history is empty")?;
    println!();
    person(&cli, None, Some(&format!("nc:{ncid}")), false)?;
    if let Some(pid) = donor_voter(&db)? {
        println!();
        println!("A voter the resolution found on the FEC file too:");
        person(&cli, Some(pid), None, false)?;
    }
    println!(
        "\nThe generator's hidden truth (who is who, true support, turnout, persuadability) is in {}.",
        files.join("truth").display()
    );
    println!(
        "Next: `tusk --database {} person --voter nc:<NCID>`, `tusk --database {} loads`, `tusk --help`.",
        db.display(),
        db.display()
    );
    let accounts = accounts::demo_accounts(&cli)?;
    // Neighbourhood teams over the organizer's county, the demo volunteer leading one.
    let county = accounts::demo_organizer_county(open_store(&cli.database)?.sql())?;
    if accounts.iter().any(|a| a.0 == "volunteer") {
        teams::demo(&cli.database, &files, &county, "volunteer")?;
    }
    println!(
        "\nDemo accounts (passwords made for this demo; staff sign in with a two-factor code:"
    );
    println!(
        "`tusk --database {} user code NAME` prints the current one):",
        db.display()
    );
    println!(
        "  {:<10} {:<14} {:<22} regions / person",
        "username", "role", "password"
    );
    for a in &accounts {
        println!("  {:<10} {:<14} {:<22} {}", a.0, a.1, a.2, a.3);
    }
    println!(
        "Election day: the watcher's phone page is /watch (their precinct's roster: tap who has voted), the turnout board /turnout (as director or organizer), the readiness drill /watchers."
    );
    println!(
        "Sharing: sign in as the volunteer, open /share, agree to the terms and upload contacts (a CSV with name, phone, city; a phone's .vcf; or JSON): the asks appear at once. The campaign's counts are on /sharing/report."
    );
    println!(
        "Trips: the volunteer offers a ride or a bed, or asks for one, on /trips (and sees their itinerary there); the organizer sees each office's need against the plan and re-plans on /trips/offices."
    );
    println!(
        "Teams: the volunteer leads a neighbourhood team (files/teams.csv): /teams lists its members, who has not been contacted personally yet, and logs a call or a visit; organizers see their county's teams."
    );
    println!(
        "Dashboard: /overview (progress per county against the goals in files/goals.csv, drill down to precincts); /loads (load a file from the browser) and /health (loads, rejects, review queue, models) for the data director."
    );
    if no_serve {
        return Ok(());
    }
    println!();
    accounts::serve(
        &cli,
        listen,
        server::STORE_CONNECTIONS_DEFAULT,
        false,
        Default::default(),
    )
}

/// The person of some voter who also has a donation attached (demo output).
/// The demo's models: one of each target, trained, approved and applied to everyone.
fn demo_scores(cli: &Cli) -> Result<()> {
    use scoring::{ModelAction, ScoreAction};
    for target in ["support", "turnout", "persuasion", "donor"] {
        println!("training the {target} model");
        let trained = scoring::model(
            cli,
            &ModelAction::Train {
                target: target.into(),
                algorithm: "logistic".into(),
                seed: 1,
                election: None,
                label_election: None,
                holdout: scores::model::HOLDOUT_PERCENT,
                lambda: scores::model::LAMBDA,
                iterations: 100,
                by: Some("demo".into()),
                json: false,
            },
        );
        if let Err(e) = trained {
            // A small demo may not have enough canvass IDs or experiment answers.
            match e.downcast_ref::<app::scores::ScoringError>() {
                Some(app::scores::ScoringError::Score(scores::ScoreError::TooFew { .. })) => {
                    println!("  skipped: {e}");
                    continue;
                }
                _ => return Err(e),
            }
        }
        let mut store = open_store(&cli.database)?;
        let id = store::models::all(store.sql())?
            .first()
            .map(|m| m.id)
            .context("the model just trained")?;
        drop(store);
        scoring::model(
            cli,
            &ModelAction::Approve {
                id,
                by: Some("demo".into()),
            },
        )?;
        scoring::score(
            cli,
            &ScoreAction::Apply {
                id,
                election: None,
                json: false,
            },
        )?;
    }
    Ok(())
}

fn donor_voter(db: &Path) -> Result<Option<i64>> {
    let mut store = store_sqlite::SqliteStore::open(db)?;
    let voters: std::collections::HashSet<i64> = store
        .resolution_rows(store::Table::Voters)?
        .iter()
        .filter_map(|v| v.person_id)
        .collect();
    Ok(store
        .resolution_rows(store::Table::Donations)?
        .iter()
        .filter_map(|d| d.person_id)
        .find(|p| voters.contains(p)))
}

/// Writes a synthetic campaign into `out`; returns the summary.
fn synth(state: &str, voters: usize, seed: u64, out: &Path) -> Result<testkit::campaign::Summary> {
    use testkit::campaign::{generate_with_progress, CampaignConfig, Out, Outputs};
    if !state.eq_ignore_ascii_case("NC") {
        bail!("only NC can be generated so far (got --state {state})");
    }
    if voters == 0 {
        bail!("--voters must be at least 1");
    }
    std::fs::create_dir_all(out.join("truth"))
        .with_context(|| format!("cannot create {}", out.display()))?;
    let mut writers = Vec::new();
    for o in Out::ALL {
        let p = out.join(o.file_name());
        let f =
            std::fs::File::create(&p).with_context(|| format!("cannot create {}", p.display()))?;
        writers.push(std::io::BufWriter::with_capacity(1 << 20, f));
    }
    let started = std::time::Instant::now();
    let bar = progress::counter(voters as u64, "voter rows");
    let cfg = CampaignConfig { voters, seed };
    let summary = generate_with_progress(&cfg, &mut Outputs(writers), &|n| bar(n))
        .with_context(|| format!("writing the campaign into {} failed", out.display()))?;
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{} voter rows ({} people, {} history rows, {} donations, {} volunteers, {} contacts) in {secs:.1} s ({:.0} voter rows/s) -> {}",
        summary.voter_rows,
        summary.people,
        summary.history_rows,
        summary.donation_rows,
        summary.volunteers,
        summary.contact_rows + summary.vcards,
        summary.voter_rows as f64 / secs.max(1e-9),
        out.display()
    );
    Ok(summary)
}

fn link(
    left: &Path,
    right: &Path,
    out: Option<&Path>,
    threshold: f64,
    map: Option<&str>,
    explain: Option<&str>,
) -> Result<()> {
    use app::people_csv;
    if !(0.0..=1.0).contains(&threshold) {
        bail!("--threshold must be a probability between 0 and 1");
    }
    let map = people_csv::parse_map(map.unwrap_or(""))?;
    let started = std::time::Instant::now();
    let (l, unknown_l) = people_csv::read(left, &map)?;
    let (r, unknown_r) = people_csv::read(right, &map)?;
    for (p, u) in [(left, unknown_l), (right, unknown_r)] {
        if !u.is_empty() {
            eprintln!(
                "{}: ignored columns (not recognised): {}",
                p.display(),
                u.join(", ")
            );
        }
    }
    let settings = identity::LinkSettings {
        threshold,
        ..Default::default()
    };
    let (links, model, stats) = identity::link(&l, &r, &settings);
    if let Some(pair) = explain {
        let (a, b) = pair
            .split_once(':')
            .context("--explain takes LEFT_ID:RIGHT_ID")?;
        let a = l
            .iter()
            .find(|x| x.id == a)
            .with_context(|| format!("no record {a} in {}", left.display()))?;
        let b = r
            .iter()
            .find(|x| x.id == b)
            .with_context(|| format!("no record {b} in {}", right.display()))?;
        println!(
            "{a_id} ({}) vs {b_id} ({})",
            left.display(),
            right.display(),
            a_id = a.id,
            b_id = b.id
        );
        println!("{}", model.explain(a, b));
        return Ok(());
    }
    let out = out.context("give --out PAIRS.csv (or --explain LEFT_ID:RIGHT_ID)")?;
    let mut w =
        csv::Writer::from_path(out).with_context(|| format!("cannot write {}", out.display()))?;
    w.write_record(["left_id", "right_id", "match_probability", "match_weight"])?;
    for k in &links {
        w.write_record([
            l[k.left as usize].id.as_str(),
            r[k.right as usize].id.as_str(),
            &format!("{:.6}", k.probability),
            &format!("{:.3}", k.weight),
        ])?;
    }
    w.flush()?;
    eprintln!(
        "{} left x {} right: {} candidate pairs, {} links at p >= {threshold} in {:.2} s -> {}",
        stats.left,
        stats.right,
        stats.candidate_pairs,
        links.len(),
        started.elapsed().as_secs_f64(),
        out.display()
    );
    Ok(())
}

fn dedupe(file: &Path, out: &Path, threshold: f64, map: Option<&str>) -> Result<()> {
    use app::people_csv;
    if !(0.0..=1.0).contains(&threshold) {
        bail!("--threshold must be a probability between 0 and 1");
    }
    let map = people_csv::parse_map(map.unwrap_or(""))?;
    let started = std::time::Instant::now();
    let (records, unknown) = people_csv::read(file, &map)?;
    if !unknown.is_empty() {
        eprintln!(
            "{}: ignored columns (not recognised): {}",
            file.display(),
            unknown.join(", ")
        );
    }
    let settings = identity::LinkSettings {
        threshold,
        ..Default::default()
    };
    let (cluster, _, _, stats) = identity::dedupe(&records, &settings);
    let mut w =
        csv::Writer::from_path(out).with_context(|| format!("cannot write {}", out.display()))?;
    w.write_record(["id", "cluster_id"])?;
    for (r, c) in records.iter().zip(&cluster) {
        w.write_record([r.id.as_str(), records[*c as usize].id.as_str()])?;
    }
    w.flush()?;
    eprintln!(
        "{} records: {} candidate pairs, {} above p >= {threshold}, {} merges refused by the household guard or size limit, \
         {} clusters in {:.2} s -> {}",
        stats.records,
        stats.candidate_pairs,
        stats.pairs_above_threshold,
        stats.merges_refused,
        stats.clusters,
        started.elapsed().as_secs_f64(),
        out.display()
    );
    Ok(())
}

fn resolve(cli: &Cli, threshold: f64, json: bool) -> Result<()> {
    if !(0.0..=1.0).contains(&threshold) {
        bail!("--threshold must be a probability between 0 and 1");
    }
    let mut store = open_store(&cli.database)?;
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let now = model::date::timestamp_utc(secs);
    let started = std::time::Instant::now();
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    let r = app::resolve::resolve(&mut *store, threshold, &user, &now)?;
    if json {
        println!("{}", serde_json::to_string(&r)?);
    } else {
        println!(
            "load {}: {} records against {} voters: {} attached to a voter, {} changed, {} new people, {} new pairs to review, {} decisions in force ({:.1} s)",
            r.load_id,
            r.records,
            r.voters,
            r.linked_to_voters,
            r.changed,
            r.new_people,
            r.queued_for_review,
            r.decisions_in_force,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

fn review(cli: &Cli, action: Option<&ReviewAction>) -> Result<()> {
    let mut store = open_store(&cli.database)?;
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let now = model::date::timestamp_utc(secs);
    match action.unwrap_or(&ReviewAction::List {
        all: false,
        json: false,
    }) {
        ReviewAction::List { all, json } => {
            let items = store.review_items(!all)?;
            if *json {
                println!("{}", serde_json::to_string(&items)?);
            } else if items.is_empty() {
                println!("nothing to review: run `tusk resolve` first, or all pairs are decided (`--all` lists them)");
            } else {
                use std::io::Write;
                let mut out = std::io::stdout().lock();
                for it in &items {
                    let d = it.decision.as_deref().unwrap_or("-");
                    let line = writeln!(
                        out,
                        "{:.4}  {:+7.2}  {:<8} {}  {}",
                        it.probability, it.weight, d, it.left_rkey, it.right_rkey
                    );
                    if matches!(&line, Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe) {
                        return Ok(()); // the reader (e.g. `head`) has had enough
                    }
                    line?;
                }
                writeln!(out, "decide with `tusk review accept|reject LEFT RIGHT`; see why with `tusk explain LEFT RIGHT`")?;
            }
        }
        ReviewAction::Accept { left, right } => {
            store.decide(left, right, true, &user, &now)?;
            println!("accepted {left} = {right}; `tusk resolve` applies it");
        }
        ReviewAction::Reject { left, right } => {
            store.decide(left, right, false, &user, &now)?;
            println!("rejected {left} = {right}; `tusk resolve` applies it");
        }
    }
    Ok(())
}

/// `tusk health`: the data director's report.
fn health(cli: &Cli, json: bool) -> Result<()> {
    let mut store = open_store(&cli.database)?;
    let day_ago = model::date::timestamp_utc(accounts::now() - 86_400);
    let h = app::health::report(&mut *store, &day_ago)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&h)?);
        return Ok(());
    }
    println!(
        "{} loads; {} rows rejected in the last day; review queue: {} open, {} decided",
        h.loads_total, h.rejected_last_day, h.review_open, h.review_decided
    );
    match &h.resolved_at {
        Some(at) => {
            println!("linked to the voter file (last resolution, {at}):");
            for m in &h.match_by_source {
                println!(
                    "  {:<12} {:>9} records, {:>9} linked ({:.1} %)",
                    m.source,
                    m.records,
                    m.linked_to_voters,
                    100.0 * m.rate
                );
            }
        }
        None => println!("no resolution yet: run `tusk resolve`"),
    }
    for m in &h.models {
        println!(
            "model {} ({}, {}): AUC {}, {} people scored",
            m.id,
            m.target,
            m.algorithm,
            m.auc.map_or("-".to_string(), |a| format!("{a:.3}")),
            m.scored
        );
    }
    if !h.models_waiting.is_empty() {
        println!(
            "trained, waiting for approval: {}",
            h.models_waiting.join(", ")
        );
    }
    for (actor, n) in &h.exports_last_day {
        println!("exports in the last day: {actor}: {n}");
    }
    for l in &h.loads {
        println!(
            "load {:>4} {:<9} {:<28} {} read {} rejected {}",
            l.id, l.kind, l.file_name, l.finished_at, l.read, l.rejected
        );
    }
    Ok(())
}
