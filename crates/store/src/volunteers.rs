//! Volunteer sign-up records as the API lists them (plain SQL over [`Sql`], both backends),
//! narrowed to the people a reader may see.

use serde::Serialize;

use crate::people::{scope_filter, Scope};
use crate::sql::{RowExt, Sql, SqlRow};
use crate::{Result, Value};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VolunteerRow {
    pub id: i64,
    /// `source:key`, e.g. `mobilize:MOB0000001`.
    pub rkey: String,
    pub person_id: Option<i64>,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub city: String,
    pub state: String,
    pub zip5: Option<String>,
    /// The sign-up date.
    pub entry_date: Option<String>,
    pub load_id: i64,
}

const COLUMNS: &str = "id, rkey, person_id, first_name, last_name, email, phone, city, state, zip5, CAST(entry_date AS TEXT), load_id";

fn row(r: &SqlRow) -> Result<VolunteerRow> {
    Ok(VolunteerRow {
        id: r.int(0)?,
        rkey: r.text(1)?,
        person_id: r.opt_int(2)?,
        first_name: r.text(3)?,
        last_name: r.text(4)?,
        email: r.opt_text(5)?,
        phone: r.opt_text(6)?,
        city: r.text(7)?,
        state: r.text(8)?,
        zip5: r.opt_text(9)?,
        entry_date: r.opt_text(10)?,
        load_id: r.int(11)?,
    })
}

/// One page of the sign-ups whose person `scope` lets the reader see (all of them, resolved
/// or not, for `Scope::All`), by id; with the total.
pub fn list(
    sql: &mut dyn Sql,
    scope: &Scope,
    offset: usize,
    limit: usize,
) -> Result<(u64, Vec<VolunteerRow>)> {
    let mut args = Vec::new();
    let Some(filter) = scope_filter(scope, "person_id", &mut args) else {
        return Ok((0, Vec::new()));
    };
    let total = sql.query(
        &format!("SELECT count(*) FROM volunteers WHERE 1 = 1{filter}"),
        &args,
    )?;
    let total = total.first().map(|r| r.int(0)).transpose()?.unwrap_or(0) as u64;
    args.push(Value::Int(limit as i64));
    args.push(Value::Int(offset as i64));
    let rows = sql.query(
        &format!(
            "SELECT {COLUMNS} FROM volunteers WHERE 1 = 1{filter} ORDER BY id LIMIT ? OFFSET ?"
        ),
        &args,
    )?;
    Ok((total, rows.iter().map(row).collect::<Result<_>>()?))
}

/// One sign-up, if the reader may see its person.
pub fn get(sql: &mut dyn Sql, id: i64, scope: &Scope) -> Result<Option<VolunteerRow>> {
    let mut args = vec![Value::Int(id)];
    let Some(filter) = scope_filter(scope, "person_id", &mut args) else {
        return Ok(None);
    };
    sql.query(
        &format!("SELECT {COLUMNS} FROM volunteers WHERE id = ?{filter}"),
        &args,
    )?
    .first()
    .map(row)
    .transpose()
}
