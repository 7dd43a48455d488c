//! `tusk bench ...`: benchmarks whose figures go into docs/benchmarks.md.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Subcommand;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Write a synthetic ncvoter file (67 columns, Windows-1252) for import benchmarks.
    NcvoterFile {
        /// Rows to write.
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Link a synthetic campaign's volunteers, contacts and donors to its voters, and score
    /// the links against the generator's truth (precision, recall, F1).
    LinkSynth {
        /// A directory written by `tusk synth`.
        dir: PathBuf,
        /// Lowest match probability kept.
        #[arg(long, default_value_t = 0.5)]
        threshold: f64,
        /// Also write left.csv, right.csv (normalised, canonical columns), truth_pairs.csv and
        /// tusk_pairs.csv into this directory, for running a peer on the same records.
        #[arg(long)]
        export: Option<PathBuf>,
    },
    /// Train a model of each algorithm on a loaded store and time it; write the features and
    /// the held-out split for peers (scikit-learn, LightGBM: scripts/bench-scores.sh); time
    /// scoring of `--score-people` people (the population repeated) in the engine.
    Scores {
        /// support, turnout, persuasion or donor.
        #[arg(long, default_value = "turnout")]
        target: String,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The election scored for (default: the latest in the absentee files loaded).
        #[arg(long)]
        election: Option<String>,
        /// Write meta.json, train_x.f64, train_y.f64, test_x.f64, test_y.f64 (column-major,
        /// little-endian) into this directory.
        #[arg(long)]
        export: Option<PathBuf>,
        /// People to score in the throughput run.
        #[arg(long, default_value_t = 7_500_000)]
        score_people: usize,
    },
    /// Universe counts over the store's people repeated to `--people` rows: latency (p50,
    /// p99) of a few expressions; `--export` writes the same rows as CSV for DuckDB
    /// (scripts/bench-universes.sh).
    Universes {
        #[arg(long, default_value_t = 7_500_000)]
        people: usize,
        /// Timed runs of each expression.
        #[arg(long, default_value_t = 50)]
        runs: usize,
        /// Write people.csv (county, party, age, support, turnout, persuasion, voted_2026_11_03).
        #[arg(long)]
        export: Option<PathBuf>,
    },
    /// Allocation over the store's people repeated to `--people` rows, four goals and four
    /// channels: time to build the candidates and to allocate (scripts/bench-allocate.sh).
    Allocate {
        #[arg(long, default_value_t = 7_500_000)]
        people: usize,
        #[arg(long, default_value_t = 20_000.0)]
        door_hours: f64,
        #[arg(long, default_value_t = 300_000.0)]
        calls: f64,
        #[arg(long, default_value_t = 1_000_000.0)]
        texts: f64,
        #[arg(long, default_value_t = 300_000.0)]
        mail: f64,
    },
    /// Targeted sharing: a synthetic campaign's contact lists (DIR from `tusk synth`, its voter
    /// file loaded into the store) uploaded 500 contacts at a time, each by a supporter of its
    /// own: time to match, rank and keep an upload (p50, p99), and the accuracy of friend →
    /// voter matching and of "not registered" against the generator's truth. The uploads are
    /// withdrawn afterwards.
    Sharing {
        dir: PathBuf,
        /// Uploads to time (at most the contacts / 500).
        #[arg(long, default_value_t = 200)]
        uploads: usize,
    },
    /// The trip planner's ride matcher on the Li & Lim PDPTW benchmark: every instance of DIR
    /// (e.g. ../shared/data/pdptw/li_lim_100) solved, its vehicles and distance beside the
    /// best-known solution (BKS.json in DIR's parent), time per instance.
    Pdptw {
        dir: PathBuf,
        /// Search iterations per instance.
        #[arg(long, default_value_t = trips::Params::default().iterations)]
        iterations: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Only instances whose name starts with this.
        #[arg(long)]
        only: Option<String>,
    },
    /// The overview (`/overview`, `GET /api/v1/overview`): the store's people read once and
    /// repeated to `--people` rows, then progress per county, per precinct of the largest
    /// county, and an organizer's one county, `--runs` times each (p50/p99).
    Overview {
        #[arg(long, default_value_t = 7_500_000)]
        people: usize,
        #[arg(long, default_value_t = 50)]
        runs: usize,
    },
    /// The dashboard's pages as the server answers them, in process (no network): a data
    /// director's session on the store, the people table read once, then `--runs` requests of
    /// each page (/overview, a county's precincts, /health, /loads, the overview's JSON, /teams,
    /// a team's page) and p50/p99 of the server time, rendering included. Creates the user
    /// `bench-director` if it is not there (a random password; disabled again at the end), and
    /// a team `BENCH` over four precincts when the store has no team (removed at the end).
    Pages {
        #[arg(long, default_value_t = 50)]
        runs: usize,
    },
    /// The data health report (`tusk health`, `/health`) on the store: `--runs` reports,
    /// p50/p99 of the time to build one (the page's server time, rendering aside).
    Health {
        #[arg(long, default_value_t = 200)]
        runs: usize,
    },
    /// The trip planner at campaign size: a board from the generator (`--travellers`,
    /// `--drivers`, `--hosts`; or the five board files of `--dir`) planned; time, need
    /// covered against an upper bound, drivers and detour, peak memory; then a re-plan with
    /// every placement accepted and `--cancel-share` of the rides cancelled.
    Trips {
        /// Read field_offices.csv, office_needs.csv, ride_offers.csv, bed_offers.csv and
        /// travel_requests.csv from here instead of generating them.
        #[arg(long)]
        dir: Option<PathBuf>,
        #[arg(long, default_value_t = 5_000)]
        travellers: usize,
        #[arg(long, default_value_t = 2_000)]
        drivers: usize,
        #[arg(long, default_value_t = 3_000)]
        hosts: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = 0.02)]
        cancel_share: f64,
    },
    /// Election day: send `--reports` "has voted" reports to a running server (`tusk serve`)
    /// in requests of `--batch` from `--clients` concurrent clients, to the store's voters;
    /// prints acknowledged reports/s and ack latency (scripts/bench-turnout.sh). With
    /// `--fsync-dir`, first the raw fsync rate of that directory's disk (the reference).
    Turnout {
        /// The server, e.g. http://127.0.0.1:8080.
        #[arg(long)]
        url: String,
        /// A key with the turnout:write scope (`tusk key add NAME --scopes turnout:write`).
        #[arg(long, env = "TUSK_BENCH_KEY")]
        key: String,
        #[arg(long, default_value_t = 200_000)]
        reports: u64,
        /// Reports per request (1: the single-report form).
        #[arg(long, default_value_t = 100)]
        batch: usize,
        #[arg(long, default_value_t = 64)]
        clients: usize,
        /// Prefix of the client ids (runs with different tags never collide).
        #[arg(long, default_value = "bench")]
        tag: String,
        /// Measure `write + fdatasync` of 4 KiB per second in this directory first.
        #[arg(long)]
        fsync_dir: Option<PathBuf>,
    },
    /// Election day compressed: `--watchers` simulated phones on the store's precincts tap
    /// `--reports` voters over `--seconds` following the day curve (morning surge), queue what
    /// they cannot send and retry with backoff; then checks that every acknowledged report is
    /// in the journal once and shows on the rosters (scripts/bench-turnout.sh kills the server
    /// mid-surge meanwhile).
    Rehearsal {
        #[arg(long)]
        url: String,
        #[arg(long, env = "TUSK_BENCH_KEY")]
        key: String,
        #[arg(long, default_value_t = 50_000)]
        watchers: usize,
        #[arg(long, default_value_t = 1_000_000)]
        reports: u64,
        #[arg(long, default_value_t = 120.0)]
        seconds: f64,
        #[arg(long, default_value = "day")]
        tag: String,
    },
    /// Parse a file without storing it: reader + normalisation speed alone.
    Read {
        /// File format (ncvoter, ncvhis, nc-absentee, ohio, fec).
        kind: String,
        file: PathBuf,
    },
}

pub fn run(database: &str, what: &BenchCommand) -> Result<()> {
    match what {
        BenchCommand::Rehearsal {
            url,
            key,
            watchers,
            reports,
            seconds,
            tag,
        } => crate::bench_turnout::rehearsal(
            database,
            &crate::bench_turnout::RehearsalArgs {
                url,
                key,
                watchers: *watchers,
                reports: *reports,
                seconds: *seconds,
                tag,
            },
        ),
        BenchCommand::Pdptw {
            dir,
            iterations,
            seed,
            only,
        } => crate::trips::bench(dir, *iterations, *seed, only.as_deref()),
        BenchCommand::Health { runs } => bench_health(database, *runs),
        BenchCommand::Pages { runs } => bench_pages(database, *runs),
        BenchCommand::Overview { people, runs } => bench_overview(database, *people, *runs),
        BenchCommand::Trips {
            dir,
            travellers,
            drivers,
            hosts,
            seed,
            cancel_share,
        } => crate::trips::bench_campaign(
            dir.as_deref(),
            testkit::campaign::TripCounts {
                travellers: *travellers,
                drivers: *drivers,
                hosts: *hosts,
            },
            *seed,
            *cancel_share,
        ),
        BenchCommand::Sharing { dir, uploads } => crate::sharing::bench(database, dir, *uploads),
        BenchCommand::Turnout {
            url,
            key,
            reports,
            batch,
            clients,
            tag,
            fsync_dir,
        } => {
            if let Some(d) = fsync_dir {
                let r = crate::bench_turnout::fsync_rate(d)?;
                println!(
                    "raw fsync: {r:.0} write(4 KiB)+fdatasync per second in {}",
                    d.display()
                );
            }
            crate::bench_turnout::load(
                database,
                &crate::bench_turnout::LoadArgs {
                    url,
                    key,
                    reports: *reports,
                    batch: *batch,
                    clients: *clients,
                    tag,
                },
            )
        }
        BenchCommand::Universes {
            people,
            runs,
            export,
        } => bench_universes(database, *people, *runs, export.as_deref()),
        BenchCommand::Allocate {
            people,
            door_hours,
            calls,
            texts,
            mail,
        } => bench_allocate(database, *people, [*door_hours, *calls, *texts, *mail]),
        BenchCommand::Scores {
            target,
            seed,
            election,
            export,
            score_people,
        } => bench_scores(
            database,
            target,
            *seed,
            election.as_deref(),
            export.as_deref(),
            *score_people,
        ),
        BenchCommand::NcvoterFile { rows, seed, out } => {
            let t = Instant::now();
            let f = std::fs::File::create(out)
                .with_context(|| format!("cannot create {}", out.display()))?;
            let mut w = std::io::BufWriter::new(f);
            testkit::write_ncvoter(&mut w, *rows, *seed)?;
            std::io::Write::flush(&mut w)?;
            eprintln!(
                "wrote {rows} voters to {} in {:.1} s",
                out.display(),
                t.elapsed().as_secs_f64()
            );
            Ok(())
        }
        BenchCommand::LinkSynth {
            dir,
            threshold,
            export,
        } => link_synth(dir, *threshold, export.as_deref()),
        BenchCommand::Read { kind, file } => {
            let kind = ingest::Kind::parse(kind).context("unknown kind")?;
            let t = Instant::now();
            let f = std::fs::File::open(file)?;
            let mut reader =
                ingest::Reader::open(kind, None, std::io::BufReader::with_capacity(1 << 20, f))?;
            let (mut rows, mut records, mut rejected, mut store_rows) = (0u64, 0u64, 0u64, 0u64);
            while let Some(r) = reader.next_row() {
                let r = r?;
                rows += 1;
                match r.result {
                    Ok(recs) => {
                        records += recs.len() as u64;
                        for p in recs {
                            let raw = p.raw.unwrap_or_else(|| r.raw.clone());
                            let _ = store::tables::to_row(p.record, r.row_number, raw);
                            store_rows += 1;
                        }
                    }
                    Err(_) => rejected += 1,
                }
            }
            let secs = t.elapsed().as_secs_f64();
            println!(
                "{rows} rows ({records} records, {store_rows} store rows, {rejected} rejected) in {secs:.2} s: {:.0} rows/s",
                rows as f64 / secs
            );
            Ok(())
        }
    }
}

/// Records of one source file of a synthetic campaign, each with its truth key.
fn read_records(
    dir: &std::path::Path,
    out: testkit::campaign::Out,
    kind: ingest::Kind,
    mapping: Option<testkit::campaign::Out>,
) -> Result<Vec<(String, identity::Record)>> {
    use model::Record as R;
    let mapping = match mapping {
        Some(m) => Some(ingest::Mapping::parse(&std::fs::read_to_string(
            dir.join(m.file_name()),
        )?)?),
        None => None,
    };
    let f = std::fs::File::open(dir.join(out.file_name())).with_context(|| {
        format!(
            "{}: run `tusk synth --out {}` first",
            out.file_name(),
            dir.display()
        )
    })?;
    let reader = ingest::Reader::open(
        kind,
        mapping.as_ref(),
        std::io::BufReader::with_capacity(1 << 20, f),
    )?;
    let mut records = Vec::new();
    for row in reader {
        let row = row?;
        let Ok(parsed) = row.result else { continue };
        for p in parsed {
            let (key, rec) = match &p.record {
                R::Voter(v) => (v.voter_id.clone(), app::linkage::voter(&v.voter_id, v)),
                R::Volunteer(e) | R::Contact(e) => (e.key.clone(), app::linkage::entry(&e.key, e)),
                R::Donation(d) => (d.sub_id.clone(), app::linkage::donation(&d.sub_id, d)),
                _ => continue,
            };
            records.push((format!("{}:{key}", out.file_name()), rec));
        }
    }
    Ok(records)
}

/// Records matched one at a time in `link-synth`'s latency figure.
const INCREMENTAL_SAMPLE: usize = 20_000;

fn write_records(path: &std::path::Path, records: &[identity::Record]) -> Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record([
        "id",
        "first_name",
        "last_name",
        "birth_year",
        "street",
        "city",
        "zip",
        "phone",
        "email",
    ])?;
    for r in records {
        let street = if r.house_number.is_empty() {
            r.street.clone()
        } else {
            format!("{} {}", r.house_number, r.street)
        };
        let year = r.birth_year.map(|y| y.to_string()).unwrap_or_default();
        w.write_record([
            &r.id, &r.first, &r.last, &year, &street, &r.city, &r.zip5, &r.phone, &r.email,
        ])?;
    }
    w.flush()?;
    Ok(())
}

fn link_synth(
    dir: &std::path::Path,
    threshold: f64,
    export: Option<&std::path::Path>,
) -> Result<()> {
    use std::collections::HashMap;
    use testkit::campaign::Out;
    let t = Instant::now();
    let voters = read_records(dir, Out::NcVoter, ingest::Kind::NcVoter, None)?;
    let mut others = read_records(
        dir,
        Out::Volunteers,
        ingest::Kind::Csv,
        Some(Out::VolunteersMapping),
    )?;
    others.extend(read_records(
        dir,
        Out::Contacts,
        ingest::Kind::Csv,
        Some(Out::ContactsMapping),
    )?);
    others.extend(read_records(dir, Out::Fec, ingest::Kind::Fec, None)?);
    let read_secs = t.elapsed().as_secs_f64();
    // Truth: which person each record is.
    let truth_text = std::fs::read_to_string(dir.join(Out::TruthRecords.file_name()))?;
    let mut person: HashMap<String, u64> = HashMap::new();
    for line in truth_text.lines().skip(1) {
        let mut it = line.splitn(3, ',');
        let (Some(file), Some(key), Some(p)) = (it.next(), it.next(), it.next()) else {
            continue;
        };
        // Contact keys in the truth are the CSV's `Contact ID`s, as the records' keys are.
        person.insert(format!("{file}:{key}"), p.parse()?);
    }
    let voter_people: std::collections::HashSet<u64> = voters
        .iter()
        .filter_map(|(k, _)| person.get(k).copied())
        .collect();
    // Keys and records apart, without copying the records.
    let (voter_keys, left): (Vec<String>, Vec<identity::Record>) = voters.into_iter().unzip();
    let (other_keys, right): (Vec<String>, Vec<identity::Record>) = others.into_iter().unzip();
    let t = Instant::now();
    let settings = identity::LinkSettings {
        threshold,
        ..Default::default()
    };
    let (links, model, stats) = identity::link(&left, &right, &settings);
    let link_secs = t.elapsed().as_secs_f64();
    // Incremental matching: one record at a time against the voters, model fixed.
    let matcher = identity::Matcher::new(&left, model.clone(), settings.clone());
    let batch: HashMap<u32, u32> = links.iter().map(|k| (k.right, k.left)).collect();
    let sample: Vec<usize> = (0..right.len())
        .step_by((right.len() / INCREMENTAL_SAMPLE).max(1))
        .collect();
    let mut micros: Vec<f64> = Vec::with_capacity(sample.len());
    let mut same = 0usize;
    for &j in &sample {
        let t = Instant::now();
        let m = matcher.best(&right[j]);
        micros.push(t.elapsed().as_secs_f64() * 1e6);
        if m.map(|k| k.left) == batch.get(&(j as u32)).copied() {
            same += 1;
        }
    }
    micros.sort_by(f64::total_cmp);
    let pct = |q: f64| micros[((micros.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "  incremental: {} records one at a time against {} voters: p50 {:.0} µs, p99 {:.0} µs, max {:.0} µs; same answer as the batch for {:.2}%",
        micros.len(),
        left.len(),
        pct(0.5),
        pct(0.99),
        micros.last().copied().unwrap_or(0.0),
        100.0 * same as f64 / micros.len().max(1) as f64
    );
    if std::env::var("TUSK_DEBUG_MODEL").is_ok() {
        for f in identity::FIELDS {
            let n = f.levels().len();
            eprintln!(
                "{:<12} m {:?}\n{:<12} u {:?}",
                f.name(),
                &model.m[f.index()][1..n],
                "",
                &model.u[f.index()][1..n]
            );
        }
        let only = std::env::var("TUSK_DEBUG_MODEL").unwrap_or_default();
        for k in links
            .iter()
            .filter(|k| other_keys[k.right as usize].starts_with(&only))
            .take(60)
        {
            let lp = person.get(&voter_keys[k.left as usize]);
            let rp = person.get(&other_keys[k.right as usize]);
            if lp != rp {
                eprintln!(
                    "WRONG {:?}\n   vs {:?}\n   p={}",
                    left[k.left as usize], right[k.right as usize], k.probability
                );
            }
        }
    }
    if let Some(out) = export {
        std::fs::create_dir_all(out)?;
        // Ids must be unique across the right file: prefix with the source.
        let right_ids: Vec<identity::Record> = other_keys
            .iter()
            .zip(&right)
            .map(|(k, r)| identity::Record {
                id: k.clone(),
                ..r.clone()
            })
            .collect();
        write_records(&out.join("left.csv"), &left)?;
        write_records(&out.join("right.csv"), &right_ids)?;
        let mut voters_of: HashMap<u64, Vec<&str>> = HashMap::new();
        for (k, r) in voter_keys.iter().zip(&left) {
            if let Some(p) = person.get(k) {
                voters_of.entry(*p).or_default().push(&r.id);
            }
        }
        let mut w = csv::Writer::from_path(out.join("truth_pairs.csv"))?;
        w.write_record(["left_id", "right_id"])?;
        for k in &other_keys {
            for v in person
                .get(k)
                .and_then(|p| voters_of.get(p))
                .into_iter()
                .flatten()
            {
                w.write_record([v, k.as_str()])?;
            }
        }
        w.flush()?;
        let mut w = csv::Writer::from_path(out.join("tusk_pairs.csv"))?;
        w.write_record(["left_id", "right_id", "match_probability"])?;
        for k in &links {
            w.write_record([
                &left[k.left as usize].id,
                &other_keys[k.right as usize],
                &format!("{:.6}", k.probability),
            ])?;
        }
        w.flush()?;
    }
    let mut correct = 0usize;
    // Per source: (links, correct, linkable).
    let mut by_source: std::collections::BTreeMap<&str, (usize, usize, usize)> = Default::default();
    let source = |k: &str| k.split(':').next().unwrap_or("").to_string();
    let mut linked = vec![false; other_keys.len()];
    for k in &links {
        let lp = person.get(&voter_keys[k.left as usize]);
        let rp = person.get(&other_keys[k.right as usize]);
        let key = source(&other_keys[k.right as usize]);
        let e = by_source
            .entry(Box::leak(key.into_boxed_str()))
            .or_default();
        e.0 += 1;
        linked[k.right as usize] = true;
        if lp.is_some() && lp == rp {
            correct += 1;
            e.1 += 1;
        }
    }
    for k in &other_keys {
        if person.get(k).is_some_and(|p| voter_people.contains(p)) {
            by_source
                .entry(Box::leak(source(k).into_boxed_str()))
                .or_default()
                .2 += 1;
        }
    }
    for (s, (n, c, l)) in &by_source {
        println!(
            "  {s}: {n} links, precision {:.4}, recall {:.4}",
            *c as f64 / (*n).max(1) as f64,
            *c as f64 / (*l).max(1) as f64
        );
    }
    if std::env::var("TUSK_DEBUG_MISSES").is_ok() {
        let by_person: HashMap<u64, usize> = voter_keys
            .iter()
            .enumerate()
            .filter_map(|(i, k)| person.get(k).map(|p| (*p, i)))
            .collect();
        for (j, (k, r)) in other_keys
            .iter()
            .zip(&right)
            .enumerate()
            .filter(|(j, _)| !linked[*j])
            .take(2000)
            .step_by(100)
        {
            if let Some(i) = person.get(k).and_then(|p| by_person.get(p)) {
                eprintln!(
                    "MISSED {k}: {r:?}\n   true {:?}\n{}",
                    left[*i],
                    model.explain(&left[*i], r)
                );
                let _ = j;
            }
        }
    }
    let linkable = other_keys
        .iter()
        .filter(|k| person.get(*k).is_some_and(|p| voter_people.contains(p)))
        .count();
    let precision = correct as f64 / links.len().max(1) as f64;
    let recall = correct as f64 / linkable.max(1) as f64;
    let f1 = 2.0 * precision * recall / (precision + recall).max(1e-12);
    println!(
        "{} voters x {} others ({} with a voter registration in the file): read {read_secs:.1} s, linked in {link_secs:.1} s; \
         {} candidate pairs, {} keys skipped, prior {:.2e}; {} links, precision {precision:.4}, recall {recall:.4}, F1 {f1:.4} \
         (blocking {} ms, estimating {} ms, scoring {} ms)",
        left.len(),
        right.len(),
        linkable,
        stats.candidate_pairs,
        stats.skipped_keys,
        model.prior,
        links.len(),
        stats.blocking_ms,
        stats.estimating_ms,
        stats.scoring_ms
    );
    Ok(())
}

fn write_f64(path: &std::path::Path, v: &[f64]) -> Result<()> {
    let mut bytes = Vec::with_capacity(v.len() * 8);
    for x in v {
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

fn bench_scores(
    database: &str,
    target: &str,
    seed: u64,
    election: Option<&str>,
    export: Option<&std::path::Path>,
    score_people: usize,
) -> Result<()> {
    use scores::{Algorithm, Context as FeatureContext, Target, TrainParams};
    let target = Target::parse(target).with_context(|| {
        format!("unknown target {target:?}: support, turnout, persuasion or donor")
    })?;
    let mut store = crate::open_store(database)?;
    let election = match election {
        Some(s) => {
            model::Date::parse(s).with_context(|| format!("--election {s:?} is not a date"))?
        }
        None => app::scores::current_election(store.sql())?,
    };
    let t = Instant::now();
    let pop = app::scores::population(store.sql(), &mut |s| eprintln!("{s} …"))?;
    let read_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let (data, summary) = app::scores::labelled(&pop, target, election, None)?;
    let features_s = t.elapsed().as_secs_f64();
    println!(
        "population {} people read in {read_s:.1} s; {} labelled ({} positive) for {} as of {}, features in {features_s:.1} s ({} columns)",
        pop.facts.len(),
        summary.labelled,
        summary.positives,
        target.name(),
        summary.as_of,
        data.x.cols
    );
    let holdout = scores::model::HOLDOUT_PERCENT;
    if let Some(dir) = export {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let (test, train): (Vec<usize>, Vec<usize>) = (0..data.y.len())
            .partition(|&i| scores::model::held_out(data.person_ids[i], seed, holdout));
        for (name, idx) in [("train", &train), ("test", &test)] {
            let x = data.x.select(idx);
            write_f64(&dir.join(format!("{name}_x.f64")), &x.data)?;
            let y: Vec<f64> = idx.iter().map(|&i| data.y[i]).collect();
            write_f64(&dir.join(format!("{name}_y.f64")), &y)?;
        }
        let meta = serde_json::json!({
            "target": target.name(),
            "cols": data.x.cols,
            "names": data.x.names,
            "train_rows": train.len(),
            "test_rows": test.len(),
            "layout": "column-major little-endian f64",
            "lambda": scores::model::LAMBDA,
            "gbt": scores::gbt::GbtParams::default(),
        });
        std::fs::write(dir.join("meta.json"), serde_json::to_string_pretty(&meta)?)?;
        eprintln!("wrote the split to {}", dir.display());
    }
    let ctx = FeatureContext::new(&pop.facts, election);
    let mut results = Vec::new();
    for algorithm in Algorithm::ALL {
        let t = Instant::now();
        let (m, report) = scores::train(&data, &TrainParams::new(algorithm, seed))?;
        let train_s = t.elapsed().as_secs_f64();
        let scorer = m.scorer()?;
        let n = pop.facts.len().max(1);
        let t = Instant::now();
        let mut done = 0usize;
        let mut sum = 0.0;
        while done < score_people {
            let take = app::scores::SCORE_BATCH_ROWS.min(score_people - done);
            let people: Vec<&scores::Facts> =
                (done..done + take).map(|i| &pop.facts[i % n]).collect();
            let rows = app::scores::score_batch(&scorer, &ctx, &people, target)?;
            sum += rows.iter().map(|r| r.score_ppm as f64).sum::<f64>();
            done += take;
        }
        let score_s = t.elapsed().as_secs_f64();
        println!(
            "{:<8} train {:>7.2} s  held-out AUC {:.4}  log loss {:.4}  | scored {} people in {:.2} s ({:.0}/s, mean {:.4})",
            algorithm.name(),
            train_s,
            report.auc.unwrap_or(f64::NAN),
            report.log_loss.unwrap_or(f64::NAN),
            done,
            score_s,
            done as f64 / score_s.max(1e-9),
            sum / 1e6 / done.max(1) as f64
        );
        results.push(serde_json::json!({
            "algorithm": algorithm.name(),
            "train_seconds": train_s,
            "auc": report.auc,
            "log_loss": report.log_loss,
            "train_rows": report.train_rows,
            "test_rows": report.test_rows,
            "scored": done,
            "score_seconds": score_s,
        }));
    }
    println!(
        "{}",
        serde_json::json!({ "target": target.name(), "results": results })
    );
    Ok(())
}

/// The expressions the universe benchmark times (the DuckDB script has the same in SQL).
pub const UNIVERSE_BENCH: [(&str, &str); 4] = [
    (
        "gotv",
        "county in (\"WAKE\", \"DURHAM\") and support >= 0.6 and turnout between 0.3 and 0.7 and not voted(2026-11-03)",
    ),
    ("young unaffiliated", "party = \"UNA\" and age between 18 and 29"),
    (
        "persuasion",
        "support between 0.4 and 0.6 and persuasion >= 0.08 and turnout >= 0.5",
    ),
    ("everyone by county", ""),
];

fn bench_universes(
    database: &str,
    people: usize,
    runs: usize,
    export: Option<&std::path::Path>,
) -> Result<()> {
    let mut store = crate::open_store(database)?;
    let t = Instant::now();
    let year = app::universes::age_year(store.sql(), 2026);
    let base = app::universes::load(store.sql(), year)?;
    println!(
        "{} people read from the store in {:.1} s; repeated to {people}",
        base.len(),
        t.elapsed().as_secs_f64()
    );
    for need in ["support", "turnout", "persuasion"] {
        if !base.columns.contains_key(need) {
            anyhow::bail!("no approved {need} model in the store: train, approve and apply one first (scripts/bench-universes.sh does)");
        }
    }
    let t = Instant::now();
    let p = base.repeated(people);
    drop(base);
    eprintln!("repeated in {:.1} s", t.elapsed().as_secs_f64());
    if let Some(dir) = export {
        std::fs::create_dir_all(dir)?;
        let path = dir.join("people.csv");
        let f = std::fs::File::create(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        let mut w = std::io::BufWriter::new(f);
        use std::io::Write;
        let cat = |name: &str| match &p.columns[name] {
            targeting::Column::Category { codes, dict } => (codes, dict),
            _ => unreachable!("{name} is a category"),
        };
        let num = |name: &str| match &p.columns[name] {
            targeting::Column::Number(v) => v,
            _ => unreachable!("{name} is a number"),
        };
        let (cc, cd) = cat("county");
        let (pc, pd) = cat("party");
        let (age, sup, tur, per) = (
            num("age"),
            num("support"),
            num("turnout"),
            num("persuasion"),
        );
        let election = model::Date::parse("2026-11-03").expect("date");
        let voted = p.voted.get(&election);
        writeln!(
            w,
            "county,party,age,support,turnout,persuasion,voted_2026_11_03"
        )?;
        let f = |v: f32| {
            if v.is_nan() {
                String::new()
            } else {
                v.to_string()
            }
        };
        for i in 0..p.len() {
            writeln!(
                w,
                "{},{},{},{},{},{},{}",
                cd[cc[i] as usize],
                pd[pc[i] as usize],
                f(age[i]),
                f(sup[i]),
                f(tur[i]),
                f(per[i]),
                voted.is_some_and(|b| b.get(i))
            )?;
        }
        w.flush()?;
        eprintln!("wrote {}", path.display());
    }
    let mut out = Vec::new();
    for (name, expr) in UNIVERSE_BENCH {
        let by: Vec<&str> = if expr.is_empty() {
            vec!["county"]
        } else {
            vec![]
        };
        let mut times = Vec::with_capacity(runs);
        let mut n = 0;
        for _ in 0..runs.max(1) {
            let t = Instant::now();
            let (c, _) =
                targeting::count(&p, expr, &by).map_err(|e| anyhow::anyhow!("{}", e.show(expr)))?;
            times.push(t.elapsed().as_secs_f64() * 1e3);
            n = c.count;
        }
        times.sort_by(f64::total_cmp);
        let q = |f: f64| times[((times.len() - 1) as f64 * f).round() as usize];
        println!(
            "{name:<20} count {n:>9}  p50 {:>7.1} ms  p99 {:>7.1} ms  ({} runs)",
            q(0.5),
            q(0.99),
            times.len()
        );
        out.push(
            serde_json::json!({"name": name, "count": n, "p50_ms": q(0.5), "p99_ms": q(0.99)}),
        );
    }
    println!(
        "{}",
        serde_json::json!({ "people": p.len(), "results": out })
    );
    Ok(())
}

fn bench_allocate(database: &str, people: usize, budgets: [f64; 4]) -> Result<()> {
    let mut store = crate::open_store(database)?;
    let t = Instant::now();
    let election = app::scores::current_election(store.sql())?;
    let base = app::universes::load(store.sql(), election.year)?;
    println!(
        "{} people read from the store in {:.1} s; repeated to {people}",
        base.len(),
        t.elapsed().as_secs_f64()
    );
    for need in ["support", "turnout", "persuasion", "expected_value"] {
        if !base.columns.contains_key(need) {
            anyhow::bail!("no approved model gives {need}: train, approve and apply the four models first (scripts/bench-allocate.sh does)");
        }
    }
    // Turfs of the biggest county on the store's own people (their real places), then on the
    // repeated rows.
    bench_turfs(&base, "the store's people")?;
    let p = base.repeated(people);
    drop(base);
    let today = model::Date::parse("2026-10-28").expect("date");
    let req = app::allocate::Request::defaults("bench", election, "NC", today, budgets);
    let t = Instant::now();
    let cands = app::allocate::candidates(&p, &req)?;
    let candidates_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let a = targeting::allocate::allocate(&req.spec, &cands);
    let allocate_s = t.elapsed().as_secs_f64();
    for c in &a.channels {
        println!(
            "{:<6} budget {:>10.0} {:<6} attempts {:>9} of {:>9}  net votes {:>9.1}  dollars {:>11.0}  marginal {:.5}/{}",
            c.channel.name(),
            c.budget,
            c.unit,
            c.attempts,
            c.attempts_affordable,
            c.votes,
            c.dollars,
            c.marginal_value_per_unit,
            c.unit.trim_end_matches('s')
        );
    }
    println!(
        "people {people}  candidates {}  chosen {}  net votes {:.1}  dollars {:.0}  candidates {candidates_s:.2} s  allocate {allocate_s:.2} s  peak RSS {} MB",
        cands.len(),
        a.assignments.len(),
        a.votes,
        a.dollars,
        peak_rss_mb()
    );
    bench_turfs(
        &p,
        "the repeated rows (each household's copies at its place)",
    )?;
    Ok(())
}

/// Turfs of everyone registered in the biggest county, 60 doors a turf: time and compactness.
fn bench_turfs(p: &targeting::People, what: &str) -> Result<()> {
    let county = match &p.columns["county"] {
        targeting::Column::Category { codes, dict } => {
            let mut n = vec![0usize; dict.len()];
            for c in codes {
                n[*c as usize] += 1;
            }
            dict[(1..dict.len()).max_by_key(|&k| n[k]).unwrap_or(0)].clone()
        }
        _ => anyhow::bail!("county is not a category"),
    };
    let req = app::turfs::CutRequest {
        name: "bench".into(),
        expression: "registered".into(),
        county: county.clone(),
        doors: 60,
    };
    let t = Instant::now();
    let (cut, _) =
        app::turfs::cut(p, &req, &store::people::Scope::All).map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "turfs of {county}, {what}: {} doors, {} people, {} turfs of at most 60 doors in {:.2} s; mean distance to the turf's centre {:.0} m, {:.0} m walked per door; {} people without a geocode",
        cut.doors,
        cut.people,
        cut.turfs.len(),
        t.elapsed().as_secs_f64(),
        cut.mean_radius_m,
        cut.walk_m_per_door,
        cut.people_not_placed
    );
    Ok(())
}

/// The process's peak resident memory in MB (Linux: VmHWM in /proc/self/status; 0 elsewhere).
pub(crate) fn peak_rss_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

/// `tusk bench health`: p50/p99 of building the data health report.
fn bench_health(database: &str, runs: usize) -> Result<()> {
    let mut store = crate::open_store(database)?;
    let mut times = Vec::with_capacity(runs);
    let mut h = None;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        h = Some(app::health::report(&mut *store, "1970-01-01T00:00:00Z")?);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let q = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    let h = h.expect("one run");
    println!(
        "data health over {} loads, {} review items, {} models: {} runs, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        h.loads_total,
        h.review_open + h.review_decided,
        h.models.len(),
        times.len(),
        q(0.5),
        q(0.99),
        times[times.len() - 1]
    );
    Ok(())
}

/// `tusk bench pages`: p50/p99 of the dashboard's pages through the server's router.
fn bench_pages(database: &str, runs: usize) -> Result<()> {
    use store::sql::RowExt;
    let cli = crate::Cli {
        database: database.to_string(),
        rejects_dir: None,
        command: crate::Command::Loads { json: false },
    };
    // A data director's session straight in the store (no password hashing per request).
    let token = auth::new_token("tusk_s_bench_")?;
    {
        let mut store = crate::open_store(database)?;
        let user = match store::accounts::user_by_name(store.sql(), "bench-director")? {
            Some(u) => {
                // Disabled at the end of the last run.
                store::accounts::set_disabled(store.sql(), "bench-director", false)?;
                u
            }
            None => {
                let spec = app::accounts::UserSpec {
                    username: "bench-director".into(),
                    role: "data_director".into(),
                    regions: vec![],
                    person_id: None,
                    password: auth::new_token("")?,
                    expires_on: None,
                };
                app::accounts::add_user(
                    &mut *store,
                    &spec,
                    &crate::accounts::cli_actor(),
                    crate::accounts::now(),
                )?
                .user
            }
        };
        let now = crate::scoring::now();
        let until =
            model::date::timestamp_utc(app::accounts::parse_timestamp(&now).unwrap_or(0) + 3600);
        store::accounts::create_session(
            store.sql(),
            &auth::token_hash(&token),
            user.id,
            &auth::new_token("")?,
            &now,
            &until,
        )?;
    }
    let largest = {
        let mut store = crate::open_store(database)?;
        store
            .sql()
            .query(
                "SELECT county FROM voters WHERE removed_load_id IS NULL GROUP BY county ORDER BY COUNT(*) DESC LIMIT 1",
                &[],
            )?
            .first()
            .map(|r| r.text(0))
            .transpose()?
            .context("no voters in the store")?
    };
    // A team to read: the first of the store's, or one drawn over four precincts of the
    // largest county when the store has none.
    let (team, drew_team) = {
        let mut store = crate::open_store(database)?;
        match store::teams::list(store.sql())?.into_iter().next() {
            Some(t) => (t.id, false),
            None => {
                let precincts: Vec<String> = store
                    .sql()
                    .query(
                        "SELECT DISTINCT precinct FROM voters WHERE county = ? ORDER BY precinct LIMIT 4",
                        &[store::Value::Text(largest.clone())],
                    )?
                    .iter()
                    .map(|r| r.text(0))
                    .collect::<store::Result<_>>()?;
                let t = app::teams::TeamInput {
                    id: "BENCH".into(),
                    name: "Benchmark team".into(),
                    county: largest.clone(),
                    precincts,
                    leader: None,
                    line: None,
                };
                app::teams::set(store.sql(), &[t], &crate::scoring::now())?;
                println!(
                    "drew team BENCH over four precincts of {largest} (the store had no teams)"
                );
                ("BENCH".to_string(), true)
            }
        }
    };
    let state = crate::accounts::app_state(
        &cli,
        server::STORE_CONNECTIONS_DEFAULT,
        true,
        Default::default(),
    )?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let t = Instant::now();
    rt.block_on(server::universes::build_now(&state))
        .map_err(|e| anyhow::anyhow!("reading the people table: {}", e.message))?;
    let people = rt.block_on(state.universes.people()).unwrap_or(0);
    println!(
        "people table read in {:.1} s: {people} people",
        t.elapsed().as_secs_f64()
    );
    let app = server::router(state.clone());
    let pages = [
        "/overview".to_string(),
        format!("/overview?county={}", server::api::encode(&largest)),
        "/health".to_string(),
        "/loads".to_string(),
        "/api/v1/overview".to_string(),
        "/teams".to_string(),
        format!("/teams/{team}"),
    ];
    for page in &pages {
        let mut times = Vec::with_capacity(runs);
        for i in 0..runs.max(1) + 2 {
            let req = hyper::Request::builder()
                .uri(page.as_str())
                .header("authorization", format!("Bearer {token}"))
                .body(String::new())?;
            let t = Instant::now();
            let (status, bytes) = rt.block_on(async {
                use tower::ServiceExt;
                let resp = app.clone().oneshot(req).await.expect("infallible");
                let status = resp.status();
                let body = http_body_util::BodyExt::collect(resp.into_body())
                    .await
                    .map(|b| b.to_bytes().len())
                    .unwrap_or(0);
                (status, body)
            });
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            if !status.is_success() {
                bail!("{page}: {status}");
            }
            // The first two warm the caches.
            if i >= 2 {
                times.push(ms);
            }
            std::hint::black_box(bytes);
        }
        times.sort_by(f64::total_cmp);
        let q = |x: f64| times[((times.len() - 1) as f64 * x).round() as usize];
        println!(
            "{page}: {} requests, p50 {:.1} ms, p99 {:.1} ms",
            times.len(),
            q(0.5),
            q(0.99)
        );
    }
    // Leave the store as it was: the benchmark's team removed, its user disabled (which ends
    // its session).
    let mut store = crate::open_store(database)?;
    if drew_team {
        store::teams::replace(store.sql(), &[], &crate::scoring::now())?;
    }
    store::accounts::set_disabled(store.sql(), "bench-director", true)?;
    println!("the team BENCH (when drawn) is removed and the user bench-director disabled");
    Ok(())
}

/// `tusk bench overview`: p50/p99 of the overview's one pass over the people table.
fn bench_overview(database: &str, people: usize, runs: usize) -> Result<()> {
    let mut store = crate::open_store(database)?;
    let t = Instant::now();
    let year = app::universes::age_year(store.sql(), 2026);
    let base = app::universes::load(store.sql(), year)?;
    let read_s = t.elapsed().as_secs_f64();
    let p = if people > base.len() {
        base.repeated(people)
    } else {
        base
    };
    let rows =
        targeting::overview::progress(&p, "county", None, None).map_err(anyhow::Error::msg)?;
    let largest = rows
        .get(1)
        .map(|r| r.key.clone())
        .context("no county in the store")?;
    println!(
        "{} people ({read_s:.1} s to read the store); {} counties; largest {largest}",
        p.len(),
        rows.len() - 1
    );
    let election = model::Date::new(2024, 11, 5);
    let cases: [(&str, &str, Option<Vec<String>>); 3] = [
        ("every county", "county", None),
        (
            "precincts of the largest county",
            "precinct",
            Some(vec![largest.clone()]),
        ),
        ("an organizer's county", "county", Some(vec![largest])),
    ];
    for (name, by, filter) in cases {
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs.max(1) {
            let t = Instant::now();
            let r = targeting::overview::progress(&p, by, filter.as_deref(), election)
                .map_err(anyhow::Error::msg)?;
            std::hint::black_box(r);
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        let q = |x: f64| times[((times.len() - 1) as f64 * x).round() as usize];
        println!(
            "{name}: {} runs, p50 {:.1} ms, p99 {:.1} ms",
            times.len(),
            q(0.5),
            q(0.99)
        );
    }
    Ok(())
}
