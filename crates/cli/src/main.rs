//! `tusk`: the command-line entry point. Picks the backend, reads the environment, draws
//! progress bars, and calls the use cases in `app`.

mod bench;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
mod progress;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use store::Store;

/// Default embedded database file.
const DEFAULT_DATABASE: &str = "./tusk-data/tusk.db";

#[derive(Parser)]
#[command(name = "tusk", version, about = "Tusk: an open-source campaign data platform", long_about = None)]
struct Cli {
    /// Database: a file path for the embedded SQLite store, or a postgres:// URL.
    #[arg(long, global = true, env = "TUSK_DATABASE", default_value = DEFAULT_DATABASE)]
    database: String,
    /// Where rejects files are written (default: `rejects/` beside the database file, or
    /// ./tusk-data/rejects for PostgreSQL).
    #[arg(long, global = true, env = "TUSK_REJECTS_DIR")]
    rejects_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Load source files into the person store, one load per file (all or nothing each).
    Import {
        /// File format: ncvoter, ncvhis, nc-absentee, ohio, fec, csv.
        #[arg(value_parser = ["ncvoter", "ncvhis", "nc-absentee", "ohio", "fec", "csv"])]
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
    /// Build a small synthetic North Carolina county, load it, and show what the store holds.
    ///
    /// Writes a voter file, vote history and FEC contributions (no real person's data) into
    /// DIR, imports them into DIR/tusk.db, and prints the loads and one person.
    Demo {
        /// Where the demo's files and database go.
        #[arg(long, default_value = "./tusk-demo")]
        dir: PathBuf,
        /// Voters to generate.
        #[arg(long, default_value_t = 20_000)]
        voters: usize,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
    /// Benchmarks (figures for docs/benchmarks.md).
    Bench {
        #[command(subcommand)]
        what: bench::BenchCommand,
    },
}

fn open_store(database: &str) -> Result<Box<dyn Store>> {
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

fn rejects_dir(cli: &Cli) -> PathBuf {
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
        Command::Person { id, voter, json } => person(&cli, *id, voter.as_deref(), *json),
        Command::Bench { what } => bench::run(what),
        Command::Demo { dir, voters, seed } => demo(dir, *voters, *seed),
    }
}

fn import(
    cli: &Cli,
    kind: &str,
    files: &[PathBuf],
    mapping: Option<&Path>,
    json: bool,
    allow_mass_removal: bool,
) -> Result<()> {
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

fn demo(dir: &Path, voters: usize, seed: u64) -> Result<()> {
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
    println!(
        "generating a synthetic county: {voters} voters (seed {seed}) in {}",
        dir.display()
    );
    let write = |name: &str,
                 f: &dyn Fn(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>|
     -> Result<PathBuf> {
        let p = dir.join(name);
        let mut w = std::io::BufWriter::new(std::fs::File::create(&p)?);
        f(&mut w)?;
        std::io::Write::flush(&mut w)?;
        Ok(p)
    };
    let files = [
        (
            "ncvoter",
            write("ncvoter_demo.txt", &|w| {
                testkit::write_ncvoter(w, voters, seed)
            })?,
        ),
        (
            "ncvhis",
            write("ncvhis_demo.txt", &|w| {
                testkit::write_ncvhis(w, voters, seed, 50)
            })?,
        ),
        (
            "fec",
            write("itcont_demo.txt", &|w| testkit::write_fec(w, voters, seed))?,
        ),
    ];
    let cli = Cli {
        database: db.display().to_string(),
        rejects_dir: Some(dir.join("rejects")),
        command: Command::Loads { json: false },
    };
    for (kind, file) in &files {
        import(&cli, kind, std::slice::from_ref(file), None, false, false)?;
    }
    println!();
    loads(&cli, false)?;
    let first = testkit::voters(voters, seed)
        .next()
        .context("no voters generated")?;
    println!();
    person(&cli, None, Some(&format!("nc:{}", first.ncid)), false)?;
    println!(
        "\nnext: `tusk --database {} person --voter nc:<NCID>`, or `tusk import --help`",
        db.display()
    );
    Ok(())
}
