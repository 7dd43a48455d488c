//! CSV files read by column name, every cell checked with an error that names the file, the
//! row (its line in the file) and the column: the trip board's files, the goals file, the teams
//! file.

use model::Date;
use thiserror::Error;
use trips::geo::Point;

#[derive(Debug, Error)]
pub enum FileError {
    #[error("{file}: cannot read it: {message}")]
    Io { file: String, message: String },
    #[error("{file}: the header has no {column} column")]
    Column { file: String, column: String },
    #[error("{file}, row {row}, {column}: {message}")]
    Row {
        file: String,
        row: u64,
        column: String,
        message: String,
    },
    #[error("{0}")]
    Limit(String),
}

/// One CSV file's rows by column name.
pub(crate) struct Table<'a> {
    file: &'a str,
    header: Vec<String>,
    rows: Vec<csv::StringRecord>,
    /// Each row's line in the file.
    lines: Vec<u64>,
}

impl<'a> Table<'a> {
    pub(crate) fn parse(file: &'a str, text: &str) -> Result<Table<'a>, FileError> {
        let mut rdr = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let header = rdr
            .headers()
            .map_err(|e| FileError::Io {
                file: file.into(),
                message: e.to_string(),
            })?
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').to_ascii_lowercase())
            .collect();
        let mut rows = Vec::new();
        let mut lines = Vec::new();
        for (i, r) in rdr.records().enumerate() {
            // The line in the file (a quoted line break counts).
            let line = r
                .as_ref()
                .ok()
                .and_then(|r| r.position())
                .map_or(i as u64 + 2, |p| p.line());
            rows.push(r.map_err(|e| FileError::Row {
                file: file.into(),
                row: line,
                column: "(row)".into(),
                message: e.to_string(),
            })?);
            lines.push(line);
        }
        Ok(Table {
            file,
            header,
            rows,
            lines,
        })
    }

    /// Rows read (the header aside).
    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }

    pub(crate) fn col(&self, name: &str) -> Result<usize, FileError> {
        self.header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| FileError::Column {
                file: self.file.into(),
                column: name.into(),
            })
    }

    pub(crate) fn opt_col(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    pub(crate) fn err(&self, row: usize, column: &str, message: impl Into<String>) -> FileError {
        FileError::Row {
            file: self.file.into(),
            row: self.lines[row],
            column: column.into(),
            message: message.into(),
        }
    }
}

/// Reads one row's cells by name with typed checks.
pub(crate) struct Cells<'t, 'a> {
    t: &'t Table<'a>,
    pub(crate) row: usize,
}

impl Cells<'_, '_> {
    /// The row's line in the file.
    pub(crate) fn line(&self) -> u64 {
        self.t.lines[self.row]
    }
    pub(crate) fn text(&self, name: &str) -> Result<String, FileError> {
        let c = self.t.col(name)?;
        Ok(self.t.rows[self.row].get(c).unwrap_or("").to_string())
    }
    pub(crate) fn required(&self, name: &str) -> Result<String, FileError> {
        let v = self.text(name)?;
        if v.is_empty() {
            return Err(self.t.err(self.row, name, "is empty"));
        }
        Ok(v)
    }
    pub(crate) fn opt_text(&self, name: &str) -> String {
        self.t
            .opt_col(name)
            .and_then(|c| self.t.rows[self.row].get(c))
            .unwrap_or("")
            .to_string()
    }
    pub(crate) fn date(&self, name: &str) -> Result<Date, FileError> {
        let v = self.required(name)?;
        Date::parse(&v).ok_or_else(|| {
            self.t
                .err(self.row, name, format!("{v:?} is not a date (YYYY-MM-DD)"))
        })
    }
    pub(crate) fn opt_date(&self, name: &str) -> Result<Option<Date>, FileError> {
        let v = self.opt_text(name);
        if v.is_empty() {
            return Ok(None);
        }
        Date::parse(&v).map(Some).ok_or_else(|| {
            self.t
                .err(self.row, name, format!("{v:?} is not a date (YYYY-MM-DD)"))
        })
    }
    /// `YYYY-MM-DDTHH:MM`: the day and the minute of the day.
    pub(crate) fn date_time(&self, name: &str) -> Result<(Date, u32), FileError> {
        let v = self.required(name)?;
        let bad = || {
            self.t.err(
                self.row,
                name,
                format!("{v:?} is not a date and time (YYYY-MM-DDTHH:MM)"),
            )
        };
        let (d, t) = v.split_once(['T', ' ']).ok_or_else(bad)?;
        let day = Date::parse(d).ok_or_else(bad)?;
        let (h, m) = t.split_once(':').ok_or_else(bad)?;
        let (h, m): (u32, u32) = (
            h.parse().map_err(|_| bad())?,
            m.get(..2).unwrap_or(m).parse().map_err(|_| bad())?,
        );
        if h > 23 || m > 59 {
            return Err(bad());
        }
        Ok((day, h * 60 + m))
    }
    pub(crate) fn number(&self, name: &str, lo: f64, hi: f64) -> Result<f64, FileError> {
        let v = self.required(name)?;
        let x: f64 = v
            .parse()
            .map_err(|_| self.t.err(self.row, name, format!("{v:?} is not a number")))?;
        if !(lo..=hi).contains(&x) {
            return Err(self
                .t
                .err(self.row, name, format!("{v} is outside {lo}..{hi}")));
        }
        Ok(x)
    }
    pub(crate) fn count(&self, name: &str, lo: u32, hi: u32) -> Result<u32, FileError> {
        Ok(self.number(name, lo as f64, hi as f64)? as u32)
    }
    pub(crate) fn point(&self, lat: &str, lon: &str) -> Result<Point, FileError> {
        Ok(Point::new(
            self.number(lat, -90.0, 90.0)?,
            self.number(lon, -180.0, 180.0)?,
        ))
    }
    pub(crate) fn flag(&self, name: &str) -> Result<bool, FileError> {
        let v = self.opt_text(name);
        match v.to_ascii_lowercase().as_str() {
            "" | "false" | "no" | "0" | "n" | "f" => Ok(false),
            "true" | "yes" | "1" | "y" | "t" => Ok(true),
            _ => Err(self
                .t
                .err(self.row, name, format!("{v:?} is not true or false"))),
        }
    }
}

pub(crate) fn rows<'t, 'a>(t: &'t Table<'a>) -> impl Iterator<Item = Cells<'t, 'a>> {
    (0..t.rows.len()).map(move |row| Cells { t, row })
}
