//! Field results recorded one at a time (OSDI `record_canvass` style, issue 7 / C5): a door
//! knock or a call on a person, with a result code and, when the voter was reached, a support
//! ID. Each is one load (kind `canvass-api`) writing a `field_results` row against the
//! person's registration, so it is in the person's records, the change feed's load, the
//! universes' `canvassed` flag and the next support model's labels at once.

use serde::Serialize;
use store::sql::RowExt;
use store::tables::Table;
use store::{LoadCounts, LoadEnd, LoadMeta, Outcome, Store, Value};

use crate::accounts::Principal;
use crate::people::{FieldError, PeopleError};

/// Load kind of a result recorded through the API.
pub const CANVASS_LOAD_KIND: &str = "canvass-api";
/// Result codes accepted (as the field records them).
pub const RESULT_CODES: [&str; 7] = [
    "Contacted",
    "Not Home",
    "Refused",
    "Moved",
    "Deceased",
    "Wrong Number",
    "Inaccessible",
];
/// Ways of contact accepted.
pub const CONTACT_TYPES: [&str; 4] = ["door", "phone", "text", "mail"];
/// Longest client id of a result (its idempotency key).
pub const RESULT_ID_BYTES_MAX: usize = 64;
/// Header of the verbatim fields of an API result.
pub const CANVASS_HEADER: &str =
    "result_id\tncid\tdate\tcontact_type\tresult\tsupport_id\tcanvasser";

/// One result as the API takes it.
#[derive(Debug, Clone, Default)]
pub struct CanvassInput {
    /// The client's id for this result: sending it again changes nothing (or corrects it).
    pub id: String,
    pub result: String,
    pub support_id: Option<i64>,
    pub contact_type: Option<String>,
    pub date: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Recorded {
    /// `created`, `updated` (same id, corrected) or `unchanged` (sent again).
    pub outcome: &'static str,
    pub rkey: String,
    pub person_id: i64,
    pub voter: String,
    pub load_id: Option<i64>,
}

fn field(name: &'static str, message: String) -> PeopleError {
    PeopleError::Field(FieldError {
        field: name,
        message,
    })
}

/// Records a result on person `person_id` (who must be in `who`'s scope and registered).
pub fn record_canvass(
    store: &mut dyn Store,
    who: &Principal,
    person_id: i64,
    input: &CanvassInput,
    now: &str,
) -> Result<Recorded, PeopleError> {
    let id = input.id.trim();
    if id.is_empty()
        || id.len() > RESULT_ID_BYTES_MAX
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(field(
            "identifier",
            format!(
                "identifier: 1 to {RESULT_ID_BYTES_MAX} of a-z, A-Z, 0-9, '-', '_' (your id for this result)"
            ),
        ));
    }
    let result = RESULT_CODES
        .iter()
        .find(|c| **c == input.result)
        .ok_or_else(|| {
            field(
                "result",
                format!(
                    "result: {:?}; use one of {}",
                    input.result,
                    RESULT_CODES.join(", ")
                ),
            )
        })?;
    let support = match input.support_id {
        None => None,
        Some(s) if (1..=5).contains(&s) && *result == "Contacted" => Some(s as u8),
        Some(s) if (1..=5).contains(&s) => {
            return Err(field(
                "support_id",
                format!("support_id: only a Contacted result carries one (result is {result})"),
            ))
        }
        Some(s) => {
            return Err(field(
                "support_id",
                format!("support_id: {s}; 1 (strong support) to 5 (strong oppose)"),
            ))
        }
    };
    let contact_type = match input.contact_type.as_deref() {
        None => "door".to_string(),
        Some(t) => CONTACT_TYPES
            .iter()
            .find(|c| **c == t)
            .map(|c| c.to_string())
            .ok_or_else(|| {
                field(
                    "contact_type",
                    format!(
                        "contact_type: {t:?}; use one of {}",
                        CONTACT_TYPES.join(", ")
                    ),
                )
            })?,
    };
    let date = match input.date.as_deref() {
        None => model::Date::parse(&now[..10.min(now.len())]),
        Some(d) => Some(
            model::Date::parse(d)
                .filter(|x| x.to_string() == d)
                .ok_or_else(|| field("date", format!("date: {d:?} is not a date (YYYY-MM-DD)")))?,
        ),
    };
    if !store::people::in_scope(store.sql(), person_id, &who.people_scope())? {
        return Err(PeopleError::NotFound(FieldError {
            field: "id",
            message: format!("no person {person_id} here that you may see"),
        }));
    }
    let voters = store.sql().query(
        "SELECT source, voter_id FROM voters WHERE person_id = ? AND removed_load_id IS NULL \
         ORDER BY id LIMIT 1",
        &[Value::Int(person_id)],
    )?;
    let Some(v) = voters.first() else {
        return Err(field(
            "id",
            format!(
                "person {person_id} has no current voter registration: field results are recorded against one"
            ),
        ));
    };
    let (voter_source, voter_id) = (v.text(0)?, v.text(1)?);
    let canvasser = who.actor();
    let rec = model::FieldResult {
        source: "canvass".into(),
        result_id: format!("api-{id}"),
        voter_source: voter_source.clone(),
        voter_id: voter_id.clone(),
        date,
        contact_type: contact_type.clone(),
        result: result.to_string(),
        support_id: support,
        experiment_group: String::new(),
        canvasser: canvasser.clone(),
    };
    let raw = model::records::join_fields([
        rec.result_id.as_str(),
        voter_id.as_str(),
        &date.map(|d| d.to_string()).unwrap_or_default(),
        contact_type.as_str(),
        result,
        &support.map(|s| s.to_string()).unwrap_or_default(),
        canvasser.as_str(),
    ]);
    let (table, row, _) = store::tables::to_row(model::Record::FieldResult(Box::new(rec)), 1, raw);
    debug_assert_eq!(table, Table::FieldResults);
    let rkey = row.rkey.clone();
    let meta = LoadMeta {
        kind: CANVASS_LOAD_KIND.into(),
        source: "canvass".into(),
        file_name: "(api)".into(),
        file_bytes: 0,
        header: CANVASS_HEADER.into(),
        loaded_by: who.actor(),
        started_at: now.into(),
    };
    let mut load = store.begin_load(&meta)?;
    let outcome = load.apply(Table::FieldResults, std::slice::from_ref(&row))?[0];
    let voter = format!("{voter_source}:{voter_id}");
    if matches!(outcome, Outcome::Unchanged | Outcome::Duplicate) {
        drop(load); // nothing to write: no load recorded
        return Ok(Recorded {
            outcome: "unchanged",
            rkey,
            person_id,
            voter,
            load_id: None,
        });
    }
    let mut counts = LoadCounts {
        read: 1,
        ..Default::default()
    };
    counts.add(outcome);
    let load_id = load.commit(&LoadEnd {
        counts,
        finished_at: now.into(),
        summary: serde_json::json!({ "person_id": person_id, "result": result }),
        ..Default::default()
    })?;
    Ok(Recorded {
        outcome: if outcome == Outcome::Updated {
            "updated"
        } else {
            "created"
        },
        rkey,
        person_id,
        voter,
        load_id: Some(load_id),
    })
}
