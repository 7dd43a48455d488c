//! `tusk bench ...`: benchmarks whose figures go into docs/benchmarks.md.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
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
    /// Parse a file without storing it: reader + normalisation speed alone.
    Read {
        /// File format (ncvoter, ncvhis, nc-absentee, ohio, fec).
        kind: String,
        file: PathBuf,
    },
}

pub fn run(what: &BenchCommand) -> Result<()> {
    match what {
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
