//! Person records from any CSV, columns recognised by name (for `tusk link`).

use std::collections::BTreeMap;
use std::path::Path;

use identity::{RawPerson, Record};

/// Largest CSV `tusk link` reads into memory, in records.
pub const RECORDS_MAX: usize = 20_000_000;

/// Recognised column names (lower case) and the field each fills.
pub const ALIASES: &[(&str, &str)] = &[
    ("id", "id"),
    ("record_id", "id"),
    ("voter_id", "id"),
    ("rec_id", "id"),
    ("first_name", "first_name"),
    ("given_name", "first_name"),
    ("middle_name", "middle_name"),
    ("last_name", "last_name"),
    ("surname", "last_name"),
    ("suffix", "suffix"),
    ("sex", "sex"),
    ("gender", "sex"),
    ("dob", "dob"),
    ("birth_date", "dob"),
    ("date_of_birth", "dob"),
    ("birth_year", "birth_year"),
    ("address_line1", "street"),
    ("street", "street"),
    ("address_1", "street"),
    ("street_number", "street_number"),
    ("address_line2", "unit"),
    ("address_2", "unit"),
    ("city", "city"),
    ("suburb", "city"),
    ("state", "state"),
    ("zip", "zip"),
    ("postcode", "zip"),
    ("phone", "phone"),
    ("email", "email"),
];

#[derive(Debug, thiserror::Error)]
pub enum PeopleCsvError {
    #[error("cannot read {path}: {message}")]
    Io { path: String, message: String },
    #[error("{path}: no id column (one of: id, record_id, voter_id, rec_id; or --map yours=id)")]
    NoId { path: String },
    #[error("{path}: more than {RECORDS_MAX} records")]
    TooMany { path: String },
    #[error("{path}: row {row}: {message}")]
    Row {
        path: String,
        row: u64,
        message: String,
    },
    #[error("--map: '{0}' is not old=new")]
    BadMap(String),
}

/// Parses `--map old=new,old2=new2` (header name → recognised name).
pub fn parse_map(s: &str) -> Result<BTreeMap<String, String>, PeopleCsvError> {
    let mut m = BTreeMap::new();
    for part in s.split(',').filter(|p| !p.trim().is_empty()) {
        let (a, b) = part
            .split_once('=')
            .ok_or_else(|| PeopleCsvError::BadMap(part.to_string()))?;
        m.insert(a.trim().to_ascii_lowercase(), b.trim().to_ascii_lowercase());
    }
    Ok(m)
}

/// Records of a CSV, and the header columns it did not recognise (ignored).
pub fn read(
    path: &Path,
    map: &BTreeMap<String, String>,
) -> Result<(Vec<Record>, Vec<String>), PeopleCsvError> {
    let p = path.display().to_string();
    let io = |e: &dyn std::fmt::Display| PeopleCsvError::Io {
        path: p.clone(),
        message: e.to_string(),
    };
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| io(&e))?;
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| io(&e))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let mut fields: Vec<Option<&'static str>> = Vec::with_capacity(header.len());
    let mut unknown = Vec::new();
    for h in &header {
        let lower = h.to_ascii_lowercase();
        let name = map.get(&lower).cloned().unwrap_or(lower);
        match ALIASES.iter().find(|(a, _)| *a == name) {
            Some((_, f)) => fields.push(Some(f)),
            None => {
                fields.push(None);
                unknown.push(h.clone());
            }
        }
    }
    if !fields.contains(&Some("id")) {
        return Err(PeopleCsvError::NoId { path: p });
    }
    let mut out = Vec::new();
    for (n, row) in rdr.records().enumerate() {
        let row = row.map_err(|e| PeopleCsvError::Row {
            path: p.clone(),
            row: n as u64 + 1,
            message: e.to_string(),
        })?;
        let mut raw = RawPerson::default();
        let mut id = String::new();
        for (i, v) in row.iter().enumerate() {
            let Some(Some(f)) = fields.get(i) else {
                continue;
            };
            let v = v.trim().to_string();
            match *f {
                "id" => id = v,
                "first_name" => raw.first = v,
                "middle_name" => raw.middle = v,
                "last_name" => raw.last = v,
                "suffix" => raw.suffix = v,
                "sex" => raw.sex = v,
                "dob" => raw.dob = v,
                "birth_year" => raw.birth_year = v,
                "street" => raw.street = v,
                "street_number" => raw.street_number = v,
                "unit" => raw.unit = v,
                "city" => raw.city = v,
                "state" => raw.state = v,
                "zip" => raw.zip = v,
                "phone" => raw.phone = v,
                "email" => raw.email = v,
                _ => {}
            }
        }
        if id.is_empty() {
            return Err(PeopleCsvError::Row {
                path: p,
                row: n as u64 + 1,
                message: "the id is empty".into(),
            });
        }
        out.push(Record::new(id, &raw));
        if out.len() > RECORDS_MAX {
            return Err(PeopleCsvError::TooMany { path: p });
        }
    }
    Ok((out, unknown))
}
