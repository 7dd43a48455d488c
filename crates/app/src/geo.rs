//! Where households are (issue 7, turfs): a geocoder's answer per residential address, loaded
//! from CSV (`tusk import geocodes FILE`). Each address is normalised the way voter addresses
//! are, so its household id is the one the voter file's residents carry; a later file's answer
//! for the same address replaces the earlier one. One transaction per file; each bad row is
//! reported with its number and why, and the good rows are kept.

use std::io::Read;

use serde::Serialize;
use store::sql::Sql;
use store::{StoreError, Value};

/// Rows written per INSERT statement.
pub const GEOCODES_PER_INSERT: usize = 400;
/// Rejected rows listed in a report (all are counted).
pub const REJECTS_LISTED_MAX: usize = 1_000;
/// Longest geocodes file accepted, in rows.
pub const GEOCODE_ROWS_MAX: u64 = 20_000_000;

/// Column names recognised (case-insensitive), per field.
const ALIASES: [(&str, &[&str]); 6] = [
    (
        "address",
        &[
            "address",
            "address_line",
            "address_line1",
            "street",
            "street_address",
        ],
    ),
    ("city", &["city"]),
    ("state", &["state"]),
    (
        "zip",
        &["zip", "zip5", "zipcode", "postcode", "postal_code"],
    ),
    ("latitude", &["latitude", "lat"]),
    ("longitude", &["longitude", "lon", "lng", "long"]),
];

#[derive(Debug, Clone, Default, Serialize)]
pub struct GeocodeReport {
    pub read: u64,
    pub stored: u64,
    pub rejected: u64,
    /// (row number, 1 = the header, and why), the first `REJECTS_LISTED_MAX`.
    pub rejects: Vec<(u64, String)>,
    /// Columns not recognised, ignored.
    pub ignored_columns: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum GeoError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The file as a whole cannot be read (header, encoding, size).
    #[error("{0}")]
    File(String),
}

struct Parsed {
    household: i64,
    key: String,
    lat_e6: i64,
    lon_e6: i64,
}

fn parse_row(rec: &csv::StringRecord, col: &[usize; 6]) -> Result<Parsed, String> {
    let get = |k: usize| rec.get(col[k]).unwrap_or("").trim();
    let coord = |k: usize, name: &str, max: f64| -> Result<i64, String> {
        let v = get(k);
        v.parse::<f64>()
            .ok()
            .filter(|x| x.is_finite() && x.abs() <= max)
            .map(|x| (x * 1e6).round() as i64)
            .ok_or_else(|| format!("{name}: {v:?} is not a number between -{max} and {max}"))
    };
    let lat_e6 = coord(4, "latitude", 90.0)?;
    let lon_e6 = coord(5, "longitude", 180.0)?;
    if get(0).is_empty() {
        return Err("address: empty".into());
    }
    let a = model::records::AddressFields::parse(get(0), get(1), get(2), get(3));
    let key = a.household_key().ok_or_else(|| {
        format!(
            "address: {:?} has no house number and street (a household needs both)",
            get(0)
        )
    })?;
    Ok(Parsed {
        household: model::household_id(&key),
        key,
        lat_e6,
        lon_e6,
    })
}

/// Loads a geocodes CSV (`address, city, state, zip, latitude, longitude`, aliases in `ALIASES`).
pub fn import(
    sql: &mut dyn Sql,
    input: impl Read,
    file_name: &str,
    now: &str,
) -> Result<GeocodeReport, GeoError> {
    let mut r = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let header = r
        .headers()
        .map_err(|e| GeoError::File(format!("{file_name}: the header cannot be read: {e}")))?
        .clone();
    let mut col = [usize::MAX; 6];
    let mut report = GeocodeReport::default();
    for (i, h) in header.iter().enumerate() {
        let h = h.trim().to_ascii_lowercase();
        match ALIASES
            .iter()
            .position(|(_, names)| names.contains(&h.as_str()))
        {
            Some(k) if col[k] == usize::MAX => col[k] = i,
            _ => report.ignored_columns.push(h),
        }
    }
    for (k, (field, names)) in ALIASES.iter().enumerate() {
        if col[k] == usize::MAX && matches!(*field, "address" | "latitude" | "longitude") {
            return Err(GeoError::File(format!(
                "{file_name}: no {field} column (one of {})",
                names.join(", ")
            )));
        }
    }
    let mut rows = Vec::new();
    for (n, rec) in r.records().enumerate() {
        let row = n as u64 + 2;
        report.read += 1;
        if report.read > GEOCODE_ROWS_MAX {
            return Err(GeoError::File(format!(
                "{file_name}: more than {GEOCODE_ROWS_MAX} rows; split the file"
            )));
        }
        let parsed = rec
            .map_err(|e| format!("not readable as CSV: {e}"))
            .and_then(|rec| parse_row(&rec, &col));
        match parsed {
            Ok(p) => rows.push(p),
            Err(why) => {
                report.rejected += 1;
                if report.rejects.len() < REJECTS_LISTED_MAX {
                    report.rejects.push((row, why));
                }
            }
        }
    }
    let mut stored = 0u64;
    sql.transaction(&mut |tx| {
        stored = 0;
        for chunk in rows.chunks(GEOCODES_PER_INSERT) {
            let mut q = String::from(
                "INSERT INTO geocodes (household_id, address_key, latitude_e6, longitude_e6, \
                 source_file, loaded_at) VALUES ",
            );
            let mut params = Vec::with_capacity(chunk.len() * 6);
            // One row per household in a statement (a later row of the file wins).
            let mut seen = std::collections::HashMap::new();
            for (i, p) in chunk.iter().enumerate() {
                seen.insert(p.household, i);
            }
            let mut first = true;
            for (i, p) in chunk.iter().enumerate() {
                if seen[&p.household] != i {
                    continue;
                }
                if !first {
                    q.push(',');
                }
                first = false;
                stored += 1;
                q.push_str("(?, ?, ?, ?, ?, ?)");
                params.extend([
                    Value::Int(p.household),
                    Value::Text(p.key.clone()),
                    Value::Int(p.lat_e6),
                    Value::Int(p.lon_e6),
                    Value::Text(file_name.into()),
                    Value::Text(now.into()),
                ]);
            }
            q.push_str(
                " ON CONFLICT (household_id) DO UPDATE SET address_key = excluded.address_key, \
                 latitude_e6 = excluded.latitude_e6, longitude_e6 = excluded.longitude_e6, \
                 source_file = excluded.source_file, loaded_at = excluded.loaded_at",
            );
            tx.execute(&q, &params)?;
        }
        Ok(())
    })?;
    // A household given twice in one statement counts once (the later row wins).
    report.stored = stored;
    Ok(report)
}

/// Every geocoded household: (household id, latitude, longitude) in degrees.
pub fn all(sql: &mut dyn Sql) -> Result<Vec<(i64, f64, f64)>, StoreError> {
    let mut out = Vec::new();
    sql.query_each(
        "SELECT household_id, latitude_e6, longitude_e6 FROM geocodes",
        &[],
        &mut |r| {
            if let (Some(h), Some(la), Some(lo)) = (
                crate::values::int_of(&r[0]),
                crate::values::int_of(&r[1]),
                crate::values::int_of(&r[2]),
            ) {
                out.push((h, la as f64 / 1e6, lo as f64 / 1e6));
            }
            Ok(())
        },
    )?;
    Ok(out)
}
