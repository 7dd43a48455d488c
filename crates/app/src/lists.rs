//! Lists out (issue 7, C4): call, text, mail and walk lists as CSV, in Tusk's columns or
//! VAN-style ones. Every export returns the audit record its caller must write.
//!
//! A person's row comes from their current registration; people with no registration (a
//! volunteer, a shared contact, a donor) are listed from their own record.

use std::collections::HashMap;

use serde::Serialize;
use store::accounts::AuditRecord;
use store::sql::Sql;
use store::{StoreError, Value};

use crate::values::{int_of, text_of};

/// Person ids read per query.
pub const IDS_PER_QUERY: usize = 500;
/// People one export may hold.
pub const EXPORT_ROWS_MAX: usize = 2_000_000;

/// Column sets of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Tusk's columns (`person_id` first).
    Tusk,
    /// Column names after VAN's list exports and bulk uploads, with the state voter id as
    /// `StateFileID` (VAN's own VANID is not known to Tusk).
    Van,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "tusk" => Some(Format::Tusk),
            "van" => Some(Format::Van),
            _ => None,
        }
    }
}

/// One person as a list shows them.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Row {
    pub person_id: i64,
    pub voter_id: String,
    pub first_name: String,
    pub middle_name: String,
    pub last_name: String,
    pub suffix: String,
    pub address: String,
    pub unit: String,
    pub city: String,
    pub state: String,
    pub zip5: String,
    pub zip4: String,
    pub phone: String,
    pub sex: String,
    pub birth_year: Option<i64>,
    pub party: String,
    pub county: String,
    pub precinct: String,
    pub household_id: Option<i64>,
}

/// The rows of `ids`, in the order given (ids unknown to the store are left out).
pub fn rows(sql: &mut dyn Sql, ids: &[i64]) -> Result<Vec<Row>, StoreError> {
    if ids.len() > EXPORT_ROWS_MAX {
        return Err(StoreError::Invalid(format!(
            "export: {} people, more than {EXPORT_ROWS_MAX} in one list; export a turf, a channel or a narrower universe",
            ids.len()
        )));
    }
    let mut found: HashMap<i64, Row> = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(IDS_PER_QUERY) {
        let marks = vec!["?"; chunk.len()].join(",");
        let params: Vec<Value> = chunk.iter().map(|i| Value::Int(*i)).collect();
        sql.query_each(
            &format!(
                "SELECT person_id, source || ':' || voter_id, first_name, middle_name, last_name, \
                 name_suffix, address_line, unit, city, res_state, zip5, zip4, phone, gender, \
                 birth_year, party, county, precinct, household_id FROM voters \
                 WHERE removed_load_id IS NULL AND person_id IN ({marks}) ORDER BY id"
            ),
            &params,
            &mut |r| {
                let person = int_of(&r[0]).unwrap_or(0);
                found.entry(person).or_insert_with(|| Row {
                    person_id: person,
                    voter_id: text_of(&r[1]).into(),
                    first_name: text_of(&r[2]).into(),
                    middle_name: text_of(&r[3]).into(),
                    last_name: text_of(&r[4]).into(),
                    suffix: text_of(&r[5]).into(),
                    address: street_only(text_of(&r[6]), text_of(&r[7])),
                    unit: text_of(&r[7]).into(),
                    city: text_of(&r[8]).into(),
                    state: text_of(&r[9]).into(),
                    zip5: text_of(&r[10]).into(),
                    zip4: text_of(&r[11]).into(),
                    phone: text_of(&r[12]).into(),
                    sex: text_of(&r[13]).into(),
                    birth_year: int_of(&r[14]),
                    party: text_of(&r[15]).into(),
                    county: text_of(&r[16]).into(),
                    precinct: text_of(&r[17]).into(),
                    household_id: int_of(&r[18]),
                });
                Ok(())
            },
        )?;
        let missing: Vec<Value> = chunk
            .iter()
            .filter(|i| !found.contains_key(i))
            .map(|i| Value::Int(*i))
            .collect();
        if missing.is_empty() {
            continue;
        }
        let marks = vec!["?"; missing.len()].join(",");
        for table in ["volunteers", "contacts", "donations"] {
            let cols = if table == "donations" {
                "person_id, first_name, middle_name, last_name, name_suffix, '', '', city, \
                 state, zip5, zip4, NULL"
            } else {
                "person_id, first_name, middle_name, last_name, name_suffix, address_line, unit, \
                 city, state, zip5, zip4, phone"
            };
            sql.query_each(
                &format!("SELECT {cols} FROM {table} WHERE person_id IN ({marks}) ORDER BY id"),
                &missing,
                &mut |r| {
                    let person = int_of(&r[0]).unwrap_or(0);
                    found.entry(person).or_insert_with(|| Row {
                        person_id: person,
                        first_name: text_of(&r[1]).into(),
                        middle_name: text_of(&r[2]).into(),
                        last_name: text_of(&r[3]).into(),
                        suffix: text_of(&r[4]).into(),
                        address: street_only(text_of(&r[5]), text_of(&r[6])),
                        unit: text_of(&r[6]).into(),
                        city: text_of(&r[7]).into(),
                        state: text_of(&r[8]).into(),
                        zip5: text_of(&r[9]).into(),
                        zip4: text_of(&r[10]).into(),
                        phone: text_of(&r[11]).into(),
                        ..Row::default()
                    });
                    Ok(())
                },
            )?;
        }
    }
    Ok(ids.iter().filter_map(|i| found.get(i).cloned()).collect())
}

/// The address line without its unit (the unit has its own column).
fn street_only(line: &str, unit: &str) -> String {
    let unit = unit.trim();
    if !unit.is_empty() {
        if let Some(s) = line.trim_end().strip_suffix(unit) {
            return s.trim_end().to_string();
        }
    }
    line.to_string()
}

const TUSK_HEADER: [&str; 18] = [
    "person_id",
    "voter_id",
    "first_name",
    "middle_name",
    "last_name",
    "suffix",
    "address",
    "unit",
    "city",
    "state",
    "zip5",
    "phone",
    "sex",
    "age",
    "party",
    "county",
    "precinct",
    "household_id",
];

const VAN_HEADER: [&str; 17] = [
    "StateFileID",
    "LastName",
    "FirstName",
    "MiddleName",
    "Suffix",
    "Address",
    "Apt",
    "City",
    "State",
    "Zip5",
    "Zip4",
    "Phone",
    "Sex",
    "Age",
    "Party",
    "CountyName",
    "PrecinctName",
];

/// Extra columns an export may carry after the person's (turf, order, channel, …).
pub type Extra = Vec<(String, String)>;

/// The CSV text of `rows` (with `extra[i]` appended to row `i`; every row's extra names the
/// same columns). Ages as of `year`.
pub fn csv(rows: &[Row], extra: &[Extra], format: Format, year: i64) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let extra_names: Vec<&str> = extra
        .first()
        .map(|e| e.iter().map(|(k, _)| k.as_str()).collect())
        .unwrap_or_default();
    let mut header: Vec<&str> = match format {
        Format::Tusk => TUSK_HEADER.to_vec(),
        Format::Van => VAN_HEADER.to_vec(),
    };
    header.extend(&extra_names);
    w.write_record(&header).expect("in memory");
    for (i, r) in rows.iter().enumerate() {
        let age = r
            .birth_year
            .map(|y| (year - y).to_string())
            .unwrap_or_default();
        let state_id = r.voter_id.split_once(':').map_or("", |(_, id)| id);
        let mut rec: Vec<String> = match format {
            Format::Tusk => vec![
                r.person_id.to_string(),
                r.voter_id.clone(),
                r.first_name.clone(),
                r.middle_name.clone(),
                r.last_name.clone(),
                r.suffix.clone(),
                r.address.clone(),
                r.unit.clone(),
                r.city.clone(),
                r.state.clone(),
                r.zip5.clone(),
                r.phone.clone(),
                r.sex.clone(),
                age,
                r.party.clone(),
                r.county.clone(),
                r.precinct.clone(),
                r.household_id.map(|h| h.to_string()).unwrap_or_default(),
            ],
            Format::Van => vec![
                state_id.to_string(),
                r.last_name.clone(),
                r.first_name.clone(),
                r.middle_name.clone(),
                r.suffix.clone(),
                r.address.clone(),
                r.unit.clone(),
                r.city.clone(),
                r.state.clone(),
                r.zip5.clone(),
                r.zip4.clone(),
                r.phone.clone(),
                r.sex.clone(),
                age,
                r.party.clone(),
                r.county.clone(),
                r.precinct.clone(),
            ],
        };
        if let Some(e) = extra.get(i) {
            rec.extend(e.iter().map(|(_, v)| v.clone()));
        }
        let rec: Vec<String> = rec.into_iter().map(|c| cell(&c)).collect();
        w.write_record(&rec).expect("in memory");
    }
    String::from_utf8(w.into_inner().expect("in memory")).expect("UTF-8 fields")
}

/// A cell a spreadsheet will not run as a formula: text that starts with `=`, `+`, `-`, `@`,
/// a tab or a carriage return gets a leading `'` (names and addresses come from outside).
fn cell(s: &str) -> String {
    match s.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

/// The audit record of an export: who, what list, how many people, which format (ids and
/// counts only).
pub fn audit(actor: &str, target: &str, rows: usize, format: Format, now: &str) -> AuditRecord {
    AuditRecord::new(
        now,
        actor,
        "export",
        target,
        serde_json::json!({ "rows": rows, "format": format }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn van_columns_carry_the_state_id_and_split_units() {
        let r = Row {
            person_id: 7,
            voter_id: "nc:AB12".into(),
            first_name: "ANA".into(),
            last_name: "DIAZ".into(),
            address: street_only("12 OAK ST APT 4", "APT 4"),
            unit: "APT 4".into(),
            birth_year: Some(1990),
            ..Row::default()
        };
        let out = csv(
            &[r],
            &[vec![("Turf".into(), "3".into())]],
            Format::Van,
            2026,
        );
        let mut lines = out.lines();
        assert!(lines
            .next()
            .unwrap()
            .starts_with("StateFileID,LastName,FirstName"));
        assert!(out.ends_with(",3\n"));
        let row = lines.next().unwrap();
        assert!(row.starts_with("AB12,DIAZ,ANA,,,12 OAK ST,APT 4,"), "{row}");
        assert!(row.contains(",36,"), "age as of 2026: {row}");
        let evil = Row {
            last_name: "=HYPERLINK(\"http://x\")".into(),
            first_name: "@SUM(A1)".into(),
            ..Row::default()
        };
        let out = csv(&[evil], &[], Format::Tusk, 2026);
        assert!(
            out.contains("'@SUM(A1)") && out.contains("'=HYPERLINK"),
            "{out}"
        );
    }
}
