//! The import use case: one file -> one load, atomically.
//!
//! A reader thread parses and normalises rows into batches; the calling thread writes each
//! batch into the open load. Memory is bounded by `BATCH_ROWS` x `BATCHES_IN_FLIGHT`, whatever
//! the file size. Rejected rows go to a rejects file (row number, reason, verbatim fields) that
//! is flushed to disk before the load commits.

use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::sync_channel;

use ingest::{Kind, Mapping, ParsedRow, ReadError, Reader};
use model::Record;
use serde::Serialize;
use store::tables::to_row;
use store::{Household, LoadCounts, LoadEnd, LoadMeta, Outcome, Row, Store, StoreError, Table};

/// Rows per batch handed to the store.
pub const BATCH_ROWS: usize = 5_000;
/// Batches parsed ahead of the writer.
pub const BATCHES_IN_FLIGHT: usize = 2;
/// Distinct counties a voter-file load may name (removal scope); more means a broken file.
pub const COUNTIES_PER_LOAD_MAX: usize = 10_000;
/// A snapshot may mark at most this share of the voters in its scope as removed (a cut-off
/// download looks like a mass removal) ...
pub const REMOVAL_SHARE_MAX: f64 = 0.2;
/// ... once the scope holds at least this many voters.
pub const REMOVAL_GUARD_VOTERS_MIN: u64 = 1_000;
/// Read buffer for input files.
const READ_BUFFER_BYTES: usize = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot open {path}: {message}")]
    Open { path: String, message: String },
    #[error("{path}: {source}")]
    Read { path: String, source: ReadError },
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("cannot write the rejects file {path}: {message}")]
    Rejects { path: String, message: String },
    #[error("{path}: more than {COUNTIES_PER_LOAD_MAX} distinct county ids: is the county_id column right?")]
    TooManyCounties { path: String },
    #[error(
        "{path}: this snapshot would mark {removed} of {in_scope} voters ({scope}) as removed, more than \
         {pct}% — is the file complete? Nothing was loaded. If it is right (say, after a list \
         maintenance purge), load it again with --allow-mass-removal",
        pct = (REMOVAL_SHARE_MAX * 100.0) as u32
    )]
    MassRemoval {
        path: String,
        removed: u64,
        in_scope: u64,
        scope: String,
    },
    #[error("internal error: {0}")]
    Internal(String),
}

/// How to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub kind: Kind,
    pub mapping: Option<Mapping>,
    /// Where rejects files are written.
    pub rejects_dir: PathBuf,
    /// Recorded on the load (an account or OS user name; never personal data of voters).
    pub loaded_by: String,
    /// Accept a voter-file snapshot that removes more than `REMOVAL_SHARE_MAX` of its scope.
    pub allow_mass_removal: bool,
}

/// Progress callbacks (a terminal bar, log lines, or nothing).
pub trait Progress: Sync {
    fn start(&self, _file: &str, _total_bytes: u64) {}
    fn advance(&self, _bytes_done: u64, _rows_done: u64) {}
    fn finish(&self) {}
}

/// No progress output.
pub struct NoProgress;
impl Progress for NoProgress {}

/// What one import did (also the `--json` output).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ImportReport {
    pub file: String,
    pub kind: String,
    pub source: String,
    pub load_id: i64,
    pub read: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub new: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub duplicate: u64,
    pub removed: u64,
    pub rejects_file: Option<String>,
    pub summary: serde_json::Value,
}

/// Reads a mapping file.
pub fn read_mapping(path: &Path) -> Result<Mapping, ImportError> {
    let text = std::fs::read_to_string(path).map_err(|e| ImportError::Open {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    Mapping::parse(&text).map_err(|e| ImportError::Read {
        path: path.display().to_string(),
        source: e.into(),
    })
}

/// Counts bytes and hashes them as they are read.
struct HashingReader<R> {
    inner: R,
    hasher: xxhash_rust::xxh3::Xxh3,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// What the reader thread hands the writer.
enum RowPlan {
    Rejected {
        reason: String,
        voter_key: Option<String>,
    },
    /// Index into the batch's rows of `table`.
    Stored { table: Table, index: usize },
    /// Repeated within the batch: decided without the store.
    Decided(Outcome),
}

struct PlannedRow {
    row_number: u64,
    raw: String,
    plan: RowPlan,
}

#[derive(Default)]
struct Batch {
    rows: Vec<PlannedRow>,
    tables: HashMap<Table, Vec<Row>>,
    /// Records beyond the first of a row (Ohio history), per table: counted in the summary.
    extra: HashMap<Table, Vec<usize>>,
    households: Vec<Household>,
    bytes_done: u64,
}

/// Per-row facts the reader thread gathers for the end of the load.
#[derive(Default)]
struct Gathered {
    counties: BTreeSet<String>,
    voter_source: Option<String>,
    fec_counted_cents: i64,
    fec_memo_rows: u64,
    fec_refund_rows: u64,
}

fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    model::date::timestamp_utc(secs)
}

fn plan_batch(rows: Vec<ParsedRow>, gathered: &mut Gathered, bytes_done: u64) -> Batch {
    let mut b = Batch {
        bytes_done,
        ..Default::default()
    };
    // rkey -> (row_number, hash) of the first occurrence in this batch, per table.
    let mut firsts: HashMap<Table, HashMap<String, (u64, i64)>> = HashMap::new();
    let mut household_ids: BTreeSet<i64> = BTreeSet::new();
    for pr in rows {
        let parsed = match pr.result {
            Err(reason) => {
                b.rows.push(PlannedRow {
                    row_number: pr.row_number,
                    raw: pr.raw,
                    plan: RowPlan::Rejected {
                        reason,
                        voter_key: pr.voter_key,
                    },
                });
                continue;
            }
            Ok(p) => p,
        };
        let mut plan = RowPlan::Rejected {
            reason: "the row holds no record".into(),
            voter_key: None,
        };
        for (i, p) in parsed.into_iter().enumerate() {
            match &p.record {
                Record::Voter(v) => {
                    gathered.counties.insert(v.county_id.clone());
                    gathered
                        .voter_source
                        .get_or_insert_with(|| v.source.clone());
                }
                Record::Donation(d) => {
                    if d.memo {
                        gathered.fec_memo_rows += 1;
                    } else {
                        gathered.fec_counted_cents += d.amount_cents;
                    }
                    if d.amount_cents < 0 {
                        gathered.fec_refund_rows += 1;
                    }
                }
                _ => {}
            }
            let raw = match p.raw {
                Some(r) => r,
                None => pr.raw.clone(),
            };
            let (table, row, household) = to_row(p.record, pr.row_number, raw);
            if let Some(h) = household {
                if household_ids.insert(h.id) {
                    b.households.push(h);
                }
            }
            let seen = firsts.entry(table).or_default();
            let decided = match seen.get(&row.rkey) {
                Some((_, hash)) if *hash == row.hash => Some(Outcome::Duplicate),
                Some((first_row, _)) => Some(Outcome::Conflict {
                    first_row: *first_row,
                }),
                None => None,
            };
            let this = match decided {
                Some(o) => RowPlan::Decided(o),
                None => {
                    seen.insert(row.rkey.clone(), (row.row_number, row.hash));
                    let rows = b.tables.entry(table).or_default();
                    rows.push(row);
                    RowPlan::Stored {
                        table,
                        index: rows.len() - 1,
                    }
                }
            };
            if i == 0 {
                plan = this;
            } else if let RowPlan::Stored { table, index } = this {
                b.extra.entry(table).or_default().push(index);
            }
        }
        b.rows.push(PlannedRow {
            row_number: pr.row_number,
            raw: pr.raw,
            plan,
        });
    }
    b
}

struct RejectsFile {
    path: PathBuf,
    header: String,
    out: Option<BufWriter<File>>,
}

impl RejectsFile {
    fn write(&mut self, row_number: u64, reason: &str, raw: &str) -> Result<(), ImportError> {
        let err = |e: std::io::Error, p: &Path| ImportError::Rejects {
            path: p.display().to_string(),
            message: e.to_string(),
        };
        if self.out.is_none() {
            if let Some(dir) = self.path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| err(e, dir))?;
            }
            let f = File::create(&self.path).map_err(|e| err(e, &self.path))?;
            let mut w = BufWriter::new(f);
            writeln!(w, "row_number\treason\t{}", self.header).map_err(|e| err(e, &self.path))?;
            self.out = Some(w);
        }
        let mut reason_clean = String::new();
        model::escape_field(&mut reason_clean, reason);
        let w = self.out.as_mut().expect("opened above");
        writeln!(w, "{row_number}\t{reason_clean}\t{raw}").map_err(|e| err(e, &self.path))
    }

    /// Flushes and fsyncs; returns the path when anything was written.
    fn close(self) -> Result<Option<String>, ImportError> {
        let Some(w) = self.out else { return Ok(None) };
        let path = self.path.display().to_string();
        let f = w.into_inner().map_err(|e| ImportError::Rejects {
            path: path.clone(),
            message: e.to_string(),
        })?;
        f.sync_all().map_err(|e| ImportError::Rejects {
            path: path.clone(),
            message: e.to_string(),
        })?;
        Ok(Some(path))
    }
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Imports one file as one load. On any error nothing of this load is kept in the store.
pub fn import_file(
    store: &mut dyn Store,
    path: &Path,
    opts: &ImportOptions,
    progress: &dyn Progress,
) -> Result<ImportReport, ImportError> {
    let display = path.display().to_string();
    let file = File::open(path).map_err(|e| ImportError::Open {
        path: display.clone(),
        message: e.to_string(),
    })?;
    let file_bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
    let input = HashingReader {
        inner: BufReader::with_capacity(READ_BUFFER_BYTES, file),
        hasher: xxhash_rust::xxh3::Xxh3::new(),
    };
    let reader =
        Reader::open(opts.kind, opts.mapping.as_ref(), input).map_err(|e| ImportError::Read {
            path: display.clone(),
            source: e,
        })?;
    import_reader(store, reader, &display, file_bytes, opts, progress)
}

/// Imports bytes that are not a file on disk (an upload through the server) as one load
/// recorded under `name`. On any error nothing of this load is kept in the store.
pub fn import_bytes(
    store: &mut dyn Store,
    name: &str,
    bytes: &[u8],
    opts: &ImportOptions,
    progress: &dyn Progress,
) -> Result<ImportReport, ImportError> {
    let input = HashingReader {
        inner: bytes,
        hasher: xxhash_rust::xxh3::Xxh3::new(),
    };
    let reader =
        Reader::open(opts.kind, opts.mapping.as_ref(), input).map_err(|e| ImportError::Read {
            path: name.to_string(),
            source: e,
        })?;
    import_reader(store, reader, name, bytes.len() as u64, opts, progress)
}

/// The first `n` rejected rows of a rejects file written by an import: (row number, reason).
pub fn rejects_preview(path: &Path, n: usize) -> std::io::Result<Vec<(u64, String)>> {
    let text = BufReader::new(File::open(path)?);
    let mut out = Vec::new();
    for line in text.lines().skip(1).take(n) {
        let line = line?;
        // The reason is escaped as a field of the file is (`model::escape_field`).
        let mut f = model::split_fields(&line).into_iter();
        let row = f.next().and_then(|r| r.parse().ok()).unwrap_or(0);
        out.push((row, f.next().unwrap_or_default()));
    }
    Ok(out)
}

fn import_reader<R: Read + Send>(
    store: &mut dyn Store,
    mut reader: Reader<HashingReader<R>>,
    display: &str,
    file_bytes: u64,
    opts: &ImportOptions,
    progress: &dyn Progress,
) -> Result<ImportReport, ImportError> {
    let started_at = now_utc();
    let source = reader.source();
    let header_raw = model::join_fields(reader.header().iter().map(String::as_str));
    let file_name = Path::new(display)
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let meta = LoadMeta {
        kind: opts.kind.name().into(),
        source: source.clone(),
        file_name: display.to_string(),
        file_bytes,
        header: header_raw.clone(),
        loaded_by: opts.loaded_by.clone(),
        started_at: started_at.clone(),
    };
    let stamp: String = started_at.chars().filter(|c| c.is_ascii_digit()).collect();
    let mut rejects = RejectsFile {
        path: opts.rejects_dir.join(format!(
            "{stamp}-{}-{}-{}.rejects.tsv",
            std::process::id(),
            opts.kind.name(),
            sanitize(&file_name)
        )),
        header: header_raw,
        out: None,
    };
    let removes = match opts.kind {
        Kind::NcVoter | Kind::Ohio => true,
        Kind::Csv => opts.mapping.as_ref().is_some_and(|m| m.snapshot),
        _ => false,
    };
    let counties_mapped = match opts.kind {
        Kind::Csv => opts
            .mapping
            .as_ref()
            .is_some_and(|m| m.columns.contains_key("county_id")),
        _ => true,
    };

    progress.start(display, file_bytes);
    let mut load = store.begin_load(&meta)?;
    let mut counts = LoadCounts::default();
    let mut extra_counts: HashMap<Table, LoadCounts> = HashMap::new();
    let (tx, rx) = sync_channel::<Result<Batch, ReadError>>(BATCHES_IN_FLIGHT);
    let result: Result<(Gathered, String), ImportError> = std::thread::scope(|scope| {
        let parser = scope.spawn(move || {
            let mut gathered = Gathered::default();
            let mut rows = Vec::with_capacity(BATCH_ROWS);
            loop {
                match reader.next_row() {
                    Some(Ok(r)) => {
                        rows.push(r);
                        if rows.len() == BATCH_ROWS {
                            let batch = plan_batch(
                                std::mem::take(&mut rows),
                                &mut gathered,
                                reader.position(),
                            );
                            if tx.send(Ok(batch)).is_err() {
                                break;
                            }
                            if gathered.counties.len() > COUNTIES_PER_LOAD_MAX {
                                break;
                            }
                        }
                    }
                    Some(Err(e)) => {
                        let _ = tx.send(Err(e));
                        break;
                    }
                    None => {
                        if !rows.is_empty() {
                            let batch = plan_batch(
                                std::mem::take(&mut rows),
                                &mut gathered,
                                reader.position(),
                            );
                            let _ = tx.send(Ok(batch));
                        }
                        break;
                    }
                }
            }
            drop(tx);
            let hash = format!("{:016x}", reader_hash(&mut reader));
            (gathered, hash)
        });
        let (mut waited, mut wrote) = (std::time::Duration::ZERO, std::time::Duration::ZERO);
        let mut t = std::time::Instant::now();
        for batch in rx.iter() {
            waited += t.elapsed();
            t = std::time::Instant::now();
            let batch = batch.map_err(|e| ImportError::Read {
                path: display.to_string(),
                source: e,
            })?;
            let bytes_done = batch.bytes_done;
            write_batch(
                &mut *load,
                batch,
                &mut counts,
                &mut extra_counts,
                &mut rejects,
            )?;
            progress.advance(bytes_done, counts.read);
            wrote += t.elapsed();
            t = std::time::Instant::now();
        }
        tracing::debug!(
            waited_ms = waited.as_millis() as u64,
            wrote_ms = wrote.as_millis() as u64,
            "import pipeline"
        );
        parser
            .join()
            .map_err(|_| ImportError::Internal("the reader thread panicked".into()))
    });
    let (gathered, file_hash) = result?;
    if gathered.counties.len() > COUNTIES_PER_LOAD_MAX {
        return Err(ImportError::TooManyCounties {
            path: display.to_string(),
        });
    }
    let mut scope = String::new();
    if removes {
        if let Some(src) = &gathered.voter_source {
            let counties: Vec<String> = gathered.counties.iter().cloned().collect();
            let removal = if counties_mapped {
                scope = format!("{src} voters in county_id {}", counties.join(", "));
                load.mark_removed(src, Some(&counties))?
            } else {
                scope = format!("all {src} voters");
                load.mark_removed(src, None)?
            };
            let share = removal.removed as f64 / removal.in_scope.max(1) as f64;
            if !opts.allow_mass_removal
                && removal.in_scope >= REMOVAL_GUARD_VOTERS_MIN
                && share > REMOVAL_SHARE_MAX
            {
                // Dropping the load rolls it back: nothing of this file is kept.
                return Err(ImportError::MassRemoval {
                    path: display.to_string(),
                    removed: removal.removed,
                    in_scope: removal.in_scope,
                    scope,
                });
            }
            counts.removed = removal.removed;
        }
    }
    let mut summary = serde_json::Map::new();
    if opts.kind == Kind::Fec {
        summary.insert("counted_cents".into(), gathered.fec_counted_cents.into());
        summary.insert("memo_rows".into(), gathered.fec_memo_rows.into());
        summary.insert("refund_rows".into(), gathered.fec_refund_rows.into());
    }
    for (table, c) in &extra_counts {
        summary.insert(
            table.name().into(),
            serde_json::to_value(c).unwrap_or_default(),
        );
    }
    counts.check().map_err(ImportError::Internal)?;
    let rejects_file = rejects.close()?;
    let end = LoadEnd {
        counts: counts.clone(),
        file_hash,
        rejects_file: rejects_file.clone(),
        finished_at: now_utc(),
        summary: serde_json::Value::Object(summary),
        scope,
    };
    let t = std::time::Instant::now();
    let load_id = load.commit(&end)?;
    tracing::debug!(commit_ms = t.elapsed().as_millis() as u64, "import commit");
    progress.finish();
    Ok(ImportReport {
        file: display.to_string(),
        kind: opts.kind.name().into(),
        source,
        load_id,
        read: counts.read,
        accepted: counts.accepted,
        rejected: counts.rejected,
        new: counts.new,
        updated: counts.updated,
        unchanged: counts.unchanged,
        duplicate: counts.duplicate,
        removed: counts.removed,
        rejects_file,
        summary: end.summary,
    })
}

fn reader_hash<R: Read>(reader: &mut Reader<HashingReader<R>>) -> u64 {
    reader.input().hasher.digest()
}

fn write_batch(
    load: &mut dyn store::LoadSession,
    batch: Batch,
    counts: &mut LoadCounts,
    extra_counts: &mut HashMap<Table, LoadCounts>,
    rejects: &mut RejectsFile,
) -> Result<(), ImportError> {
    let mut outcomes: HashMap<Table, Vec<Outcome>> = HashMap::new();
    let mut tables: Vec<&Table> = batch.tables.keys().collect();
    tables.sort();
    // Keys of rejected voter rows: seen, so a snapshot does not mark them removed.
    let seen: Vec<(String, u64)> = batch
        .rows
        .iter()
        .filter_map(|r| match &r.plan {
            RowPlan::Rejected {
                voter_key: Some(k), ..
            } => Some((k.clone(), r.row_number)),
            _ => None,
        })
        .collect();
    for t in tables {
        outcomes.insert(*t, load.apply(*t, &batch.tables[t])?);
    }
    if !seen.is_empty() {
        load.mark_seen(Table::Voters, &seen)?;
    }
    load.ensure_households(&batch.households)?;
    for (table, idxs) in &batch.extra {
        let c = extra_counts.entry(*table).or_default();
        for i in idxs {
            c.read += 1;
            c.add(outcomes[table][*i]);
        }
    }
    for r in &batch.rows {
        counts.read += 1;
        let outcome = match &r.plan {
            RowPlan::Rejected { reason, .. } => {
                counts.rejected += 1;
                rejects.write(r.row_number, reason, &r.raw)?;
                continue;
            }
            RowPlan::Stored { table, index } => outcomes[table][*index],
            RowPlan::Decided(o) => *o,
        };
        if let Outcome::Conflict { first_row } = outcome {
            counts.rejected += 1;
            rejects.write(
                r.row_number,
                &format!(
                    "same record key as row {first_row} with different content; the first was kept"
                ),
                &r.raw,
            )?;
        } else {
            counts.add(outcome);
        }
    }
    Ok(())
}
