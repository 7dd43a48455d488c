//! Streaming readers for the source files Tusk loads. No IO of their own: each reads from any
//! `impl Read` the caller hands it and returns typed records plus row diagnostics.
//!
//! Every reader validates the header (or, for FEC, the field count) when it is opened, before
//! any row is taken: a wrong file fails with `ReadError::Header` naming the missing and
//! unexpected columns. After that, a bad row is data, not a failure: it comes back as a
//! `ParsedRow` whose `result` is `Err(reason)`, and reading goes on.

mod decode;
pub mod formats;
pub mod mapping;

use std::io::Read;

pub use decode::Encoding;
use decode::Fields;
pub use mapping::{Entity, Mapping, MappingError};
use model::Record;

/// Limits on what a reader accepts.
pub const FIELDS_PER_ROW_MAX: usize = 1_000;
pub const ROW_BYTES_MAX: usize = 1 << 20;

/// The file formats Tusk reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    NcVoter,
    NcVhis,
    NcAbsentee,
    Ohio,
    Fec,
    Csv,
    /// vCard contact cards (a supporter's shared address book).
    Vcard,
    /// Canvass results (door knocks, calls; support IDs).
    Canvass,
    /// A randomised persuasion experiment (treatment/control, support measured after).
    Experiment,
}

impl Kind {
    pub const ALL: [Kind; 9] = [
        Kind::NcVoter,
        Kind::NcVhis,
        Kind::NcAbsentee,
        Kind::Ohio,
        Kind::Fec,
        Kind::Csv,
        Kind::Vcard,
        Kind::Canvass,
        Kind::Experiment,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::NcVoter => "ncvoter",
            Kind::NcVhis => "ncvhis",
            Kind::NcAbsentee => "nc-absentee",
            Kind::Ohio => "ohio",
            Kind::Fec => "fec",
            Kind::Csv => "csv",
            Kind::Vcard => "vcard",
            Kind::Canvass => "canvass",
            Kind::Experiment => "experiment",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == s)
    }
}

/// A reader that cannot go on.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{0}")]
    Header(String),
    #[error("the file is empty: expected {0}")]
    Empty(&'static str),
    #[error("{0}")]
    Mapping(#[from] MappingError),
    #[error("read failed at row {row}: {message}")]
    Io { row: u64, message: String },
}

/// One record parsed from a row. `raw` overrides the row's verbatim text for records that are
/// one part of a row (an Ohio history column: `GENERAL-11/08/2016\tX`).
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub record: Record,
    pub raw: Option<String>,
}

/// One row of the file: its number (1-based, header not counted), its fields verbatim, and
/// the records it holds or why it was rejected.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedRow {
    pub row_number: u64,
    pub raw: String,
    pub result: Result<Vec<Parsed>, String>,
    /// For a rejected voter row whose id could still be read: the voter's record key.
    pub voter_key: Option<String>,
}

/// The per-format part: resolves its columns once from the header, then parses rows.
trait RowParser: Send {
    fn parse(&self, f: &Fields) -> Result<Vec<Parsed>, String>;
    /// The voter record key of a row even when the row is rejected (`nc:AA123`), so that a
    /// snapshot load does not mark a voter removed only because their row was unreadable.
    fn voter_key(&self, _f: &Fields) -> Option<String> {
        None
    }
    /// Source system of the records (`nc`, `oh`, `fec`, mapping's source).
    fn source(&self) -> String;
}

/// A streaming reader over one file.
pub struct Reader<R: Read> {
    inner: Inner<R>,
}

enum Inner<R: Read> {
    Csv(Box<CsvReader<R>>),
    Vcard(formats::vcard::Cards<R>),
}

impl<R: Read> Reader<R> {
    /// Opens a reader of `kind` over `input`, validating its header. `mapping` is required for
    /// `Kind::Csv`; for `Kind::Vcard` its `source` names the records' source (default
    /// `vcard`); other kinds ignore it.
    pub fn open(kind: Kind, mapping: Option<&Mapping>, input: R) -> Result<Reader<R>, ReadError> {
        if kind == Kind::Vcard {
            let source = mapping
                .map(|m| m.source.clone())
                .unwrap_or_else(|| "vcard".into());
            return Ok(Reader {
                inner: Inner::Vcard(formats::vcard::Cards::new(input, &source)),
            });
        }
        Ok(Reader {
            inner: Inner::Csv(Box::new(CsvReader::open(kind, mapping, input)?)),
        })
    }

    /// The header as read (for FEC, which has none, the layout's column names; for vCard, one
    /// column holding the card's text).
    pub fn header(&self) -> Vec<String> {
        match &self.inner {
            Inner::Csv(c) => c.header.clone(),
            Inner::Vcard(_) => vec![formats::vcard::HEADER.to_string()],
        }
    }

    /// Source system of the records this reader yields.
    pub fn source(&self) -> String {
        match &self.inner {
            Inner::Csv(c) => c.parser.source(),
            Inner::Vcard(v) => v.source(),
        }
    }

    /// The input the reader reads from.
    pub fn input(&self) -> &R {
        match &self.inner {
            Inner::Csv(c) => c.csv.get_ref(),
            Inner::Vcard(v) => v.input(),
        }
    }

    /// Bytes consumed so far (for progress).
    pub fn position(&self) -> u64 {
        match &self.inner {
            Inner::Csv(c) => c.csv.position().byte(),
            Inner::Vcard(v) => v.position(),
        }
    }

    /// The next row, `None` at the end. An `Err` is fatal (the input could not be read).
    pub fn next_row(&mut self) -> Option<Result<ParsedRow, ReadError>> {
        match &mut self.inner {
            Inner::Csv(c) => c.next_row(),
            Inner::Vcard(v) => v.next_row(),
        }
    }
}

/// The reader of delimited files (every kind but vCard).
struct CsvReader<R: Read> {
    csv: csv::Reader<R>,
    parser: Box<dyn RowParser>,
    encoding: Encoding,
    header: Vec<String>,
    expected_fields: usize,
    record: csv::ByteRecord,
    fields: Fields,
    row: u64,
    /// FEC: the first row, read early to check the field count.
    pending: Option<csv::ByteRecord>,
    done: bool,
}

fn csv_builder(delimiter: u8, quoting: bool) -> csv::ReaderBuilder {
    let mut b = csv::ReaderBuilder::new();
    b.delimiter(delimiter)
        .quoting(quoting)
        .flexible(true)
        .has_headers(false);
    b
}

fn read_record<R: Read>(
    csv: &mut csv::Reader<R>,
    rec: &mut csv::ByteRecord,
    row: u64,
) -> Result<bool, ReadError> {
    csv.read_byte_record(rec).map_err(|e| ReadError::Io {
        row,
        message: e.to_string(),
    })
}

impl<R: Read> CsvReader<R> {
    fn open(kind: Kind, mapping: Option<&Mapping>, input: R) -> Result<CsvReader<R>, ReadError> {
        let (delimiter, quoting, encoding) = match kind {
            Kind::NcVoter | Kind::NcVhis => (b'\t', true, Encoding::Windows1252),
            Kind::NcAbsentee => (b',', true, Encoding::Windows1252),
            Kind::Ohio | Kind::Canvass | Kind::Experiment => {
                (b',', true, Encoding::Utf8OrWindows1252)
            }
            Kind::Fec => (b'|', false, Encoding::Utf8OrWindows1252),
            Kind::Csv => {
                let m = mapping.ok_or(MappingError::Missing)?;
                (m.delimiter_byte(), true, m.encoding())
            }
            Kind::Vcard => unreachable!("vCard has its own reader"),
        };
        let mut csv = csv_builder(delimiter, quoting).from_reader(input);
        let mut record = csv::ByteRecord::new();
        let mut fields = Fields::default();
        if kind == Kind::Fec {
            if !read_record(&mut csv, &mut record, 1)? {
                return Err(ReadError::Empty(
                    "FEC itcont rows (21 pipe-separated fields, no header)",
                ));
            }
            if record.len() != formats::fec::FIELDS {
                return Err(ReadError::Header(format!(
                    "not an FEC itcont.txt file: the first row has {} fields separated by '|', expected {} \
                     (CMTE_ID|AMNDT_IND|...|SUB_ID, no header row)",
                    record.len(),
                    formats::fec::FIELDS
                )));
            }
            let parser: Box<dyn RowParser> = Box::new(formats::fec::Parser);
            return Ok(CsvReader {
                csv,
                parser,
                encoding,
                header: formats::fec::COLUMNS
                    .iter()
                    .map(|c| c.to_string())
                    .collect(),
                expected_fields: formats::fec::FIELDS,
                pending: Some(record),
                record: csv::ByteRecord::new(),
                fields,
                row: 0,
                done: false,
            });
        }
        if !read_record(&mut csv, &mut record, 0)? {
            return Err(ReadError::Empty("a header row"));
        }
        fields.fill(&record, encoding);
        let header: Vec<String> = fields
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let h = if i == 0 {
                    h.trim_start_matches('\u{feff}')
                } else {
                    h
                };
                h.trim().trim_matches('"').to_string()
            })
            .collect();
        let parser: Box<dyn RowParser> = match kind {
            Kind::NcVoter => Box::new(formats::ncvoter::Parser::new(&header)?),
            Kind::NcVhis => Box::new(formats::ncvhis::Parser::new(&header)?),
            Kind::NcAbsentee => Box::new(formats::absentee::Parser::new(&header)?),
            Kind::Ohio => Box::new(formats::ohio::Parser::new(&header)?),
            Kind::Canvass => Box::new(formats::field::Parser::new(
                formats::field::Which::Canvass,
                &header,
            )?),
            Kind::Experiment => Box::new(formats::field::Parser::new(
                formats::field::Which::Experiment,
                &header,
            )?),
            Kind::Csv => Box::new(formats::generic::Parser::new(
                &header,
                mapping.ok_or(MappingError::Missing)?.clone(),
            )?),
            Kind::Fec | Kind::Vcard => unreachable!("handled above"),
        };
        Ok(CsvReader {
            csv,
            parser,
            encoding,
            expected_fields: header.len(),
            header,
            record,
            fields,
            row: 0,
            pending: None,
            done: false,
        })
    }

    fn next_row(&mut self) -> Option<Result<ParsedRow, ReadError>> {
        if self.done {
            return None;
        }
        let rec = match self.pending.take() {
            Some(r) => r,
            None => {
                match read_record(&mut self.csv, &mut self.record, self.row + 1) {
                    Ok(true) => {}
                    Ok(false) => {
                        self.done = true;
                        return None;
                    }
                    Err(e) => {
                        self.done = true;
                        return Some(Err(e));
                    }
                }
                std::mem::take(&mut self.record)
            }
        };
        self.row += 1;
        // A blank line at the end of a file is not a row.
        if rec.len() == 1 && rec[0].is_empty() {
            self.record = rec;
            return self.next_row();
        }
        self.fields.fill(&rec, self.encoding);
        let raw = model::join_fields(self.fields.iter());
        let result = if rec.len() > FIELDS_PER_ROW_MAX || rec.as_slice().len() > ROW_BYTES_MAX {
            Err(format!(
                "row is too large ({} fields, {} bytes; limits {FIELDS_PER_ROW_MAX} fields, {ROW_BYTES_MAX} bytes)",
                rec.len(),
                rec.as_slice().len()
            ))
        } else if rec.len() != self.expected_fields {
            Err(format!(
                "row has {} fields, expected {} (a stray quote or delimiter in an earlier field?)",
                rec.len(),
                self.expected_fields
            ))
        } else {
            self.parser.parse(&self.fields)
        };
        let voter_key = if result.is_err() && rec.len() == self.expected_fields {
            self.parser.voter_key(&self.fields)
        } else {
            None
        };
        self.record = rec;
        Some(Ok(ParsedRow {
            row_number: self.row,
            raw,
            result,
            voter_key,
        }))
    }
}

impl<R: Read> Iterator for Reader<R> {
    type Item = Result<ParsedRow, ReadError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_row()
    }
}

/// Column positions by header name, resolved once.
pub(crate) struct Columns<'h> {
    header: &'h [String],
}

impl<'h> Columns<'h> {
    pub(crate) fn new(header: &'h [String]) -> Self {
        Columns { header }
    }

    pub(crate) fn get(&self, name: &str) -> Option<usize> {
        self.header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
    }

    /// Checks the header against a layout: `required` must all be there; with `allowed` given,
    /// any column outside it is unexpected. The error names both lists.
    pub(crate) fn check(
        &self,
        what: &str,
        required: &[&str],
        allowed: Option<&dyn Fn(&str) -> bool>,
        hint: &str,
    ) -> Result<(), ReadError> {
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|r| self.get(r).is_none())
            .collect();
        let unexpected: Vec<&str> = match allowed {
            Some(f) => self
                .header
                .iter()
                .map(String::as_str)
                .filter(|h| !f(h))
                .collect(),
            None => Vec::new(),
        };
        let mut dup = Vec::new();
        for (i, h) in self.header.iter().enumerate() {
            if self.header[..i].iter().any(|x| x.eq_ignore_ascii_case(h)) {
                dup.push(h.as_str());
            }
        }
        if missing.is_empty() && unexpected.is_empty() && dup.is_empty() {
            return Ok(());
        }
        let mut msg = format!("the header is not {what}:");
        if !missing.is_empty() {
            msg.push_str(&format!(" missing columns: {};", missing.join(", ")));
        }
        if !unexpected.is_empty() {
            msg.push_str(&format!(" unexpected columns: {};", unexpected.join(", ")));
        }
        if !dup.is_empty() {
            msg.push_str(&format!(" repeated columns: {};", dup.join(", ")));
        }
        msg.push_str(&format!(" nothing was loaded. {hint}"));
        Err(ReadError::Header(msg))
    }
}
