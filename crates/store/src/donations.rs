//! Donations as the API reads them (plain SQL over [`Sql`], both backends).

use serde::Serialize;

use crate::sql::{RowExt, Sql, SqlRow};
use crate::{Result, Value};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DonationRow {
    pub id: i64,
    pub rkey: String,
    pub person_id: Option<i64>,
    pub committee_id: String,
    pub election: String,
    pub transaction_type: String,
    pub date: Option<String>,
    pub amount_cents: i64,
    pub memo: bool,
    pub load_id: i64,
}

const COLUMNS: &str = "id, rkey, person_id, committee_id, election, transaction_type, CAST(date AS TEXT), amount_cents, memo, load_id";

fn row(r: &SqlRow) -> Result<DonationRow> {
    Ok(DonationRow {
        id: r.int(0)?,
        rkey: r.text(1)?,
        person_id: r.opt_int(2)?,
        committee_id: r.text(3)?,
        election: r.text(4)?,
        transaction_type: r.text(5)?,
        date: r.opt_text(6)?,
        amount_cents: r.int(7)?,
        memo: r.int(8)? != 0,
        load_id: r.int(9)?,
    })
}

/// One page of donations by id, optionally one person's; with the total count.
pub fn list(
    sql: &mut dyn Sql,
    person: Option<i64>,
    offset: usize,
    limit: usize,
) -> Result<(u64, Vec<DonationRow>)> {
    let (filter, args) = match person {
        Some(p) => (" WHERE person_id = ?", vec![Value::Int(p)]),
        None => ("", vec![]),
    };
    let total = sql.query(&format!("SELECT count(*) FROM donations{filter}"), &args)?;
    let total = total.first().map(|r| r.int(0)).transpose()?.unwrap_or(0) as u64;
    let mut a = args.clone();
    a.push(Value::Int(limit as i64));
    a.push(Value::Int(offset as i64));
    let rows = sql.query(
        &format!("SELECT {COLUMNS} FROM donations{filter} ORDER BY id LIMIT ? OFFSET ?"),
        &a,
    )?;
    Ok((total, rows.iter().map(row).collect::<Result<_>>()?))
}

pub fn get(sql: &mut dyn Sql, id: i64) -> Result<Option<DonationRow>> {
    let rows = sql.query(
        &format!("SELECT {COLUMNS} FROM donations WHERE id = ?"),
        &[Value::Int(id)],
    )?;
    rows.first().map(row).transpose()
}
