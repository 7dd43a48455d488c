//! The election-day journal: "has voted" reports, appended once per client report id
//! (plain SQL over [`Sql`], both backends; on SQLite the table lives in a file of its own).
//!
//! A report is acknowledged only after the transaction that appended it committed, and both
//! backends commit durably (SQLite `synchronous=FULL`, PostgreSQL's default `fsync`), so an
//! acknowledged report survives a crash. Appending the same client id again is a no-op that
//! says so: a client that retries after a lost answer never counts a voter twice.

use serde::Serialize;

use crate::sql::{RowExt, Sql};
use crate::{Result, Value};

/// Rows per INSERT statement (parameters stay well under SQLite's limit of 32,766).
pub const APPEND_ROWS_PER_STATEMENT: usize = 500;

/// A report to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReport {
    pub client_id: String,
    /// The state's voter id (NC: the NCID).
    pub voter_id: String,
    /// `voted`, or `not_voted` (a correction of an earlier report).
    pub status: String,
    /// `watcher` (a poll watcher at the precinct), `call` (a call-in or phone bank).
    pub source: String,
    pub county: String,
    pub precinct: String,
    /// Who sent it, as the audit log names them.
    pub actor: String,
    /// When the client says it was seen (its clock).
    pub observed_at: String,
    /// When the server received it.
    pub received_at: String,
}

/// A report in the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub seq: i64,
    pub client_id: String,
    pub voter_id: String,
    pub status: String,
    pub source: String,
    pub county: String,
    pub precinct: String,
    pub actor: String,
    pub observed_at: String,
    pub received_at: String,
}

const COLUMNS: &str =
    "seq, client_id, voter_id, status, source, county, precinct, actor, observed_at, received_at";

fn row(r: &[Value]) -> Result<Report> {
    Ok(Report {
        seq: r.int(0)?,
        client_id: r.text(1)?,
        voter_id: r.text(2)?,
        status: r.text(3)?,
        source: r.text(4)?,
        county: r.text(5)?,
        precinct: r.text(6)?,
        actor: r.text(7)?,
        observed_at: r.text(8)?,
        received_at: r.text(9)?,
    })
}

/// Appends `reports` in one transaction. For each report, in order: `Some(seq)` if it was
/// new, `None` if its client id was already in the journal (or earlier in `reports`).
pub fn append(sql: &mut dyn Sql, reports: &[NewReport]) -> Result<Vec<Option<i64>>> {
    let mut out: Vec<Option<i64>> = vec![None; reports.len()];
    sql.transaction(&mut |sql| {
        out.iter_mut().for_each(|o| *o = None);
        let mut at = 0;
        for chunk in reports.chunks(APPEND_ROWS_PER_STATEMENT) {
            let mut q = String::from(
                "INSERT INTO turnout_reports (client_id, voter_id, status, source, county, precinct, actor, observed_at, received_at) VALUES ",
            );
            let mut args = Vec::with_capacity(chunk.len() * 9);
            for (i, r) in chunk.iter().enumerate() {
                if i > 0 {
                    q.push(',');
                }
                q.push_str("(?,?,?,?,?,?,?,?,?)");
                for v in [
                    &r.client_id,
                    &r.voter_id,
                    &r.status,
                    &r.source,
                    &r.county,
                    &r.precinct,
                    &r.actor,
                    &r.observed_at,
                    &r.received_at,
                ] {
                    args.push(Value::Text(v.clone()));
                }
            }
            q.push_str(" ON CONFLICT (client_id) DO NOTHING RETURNING seq, client_id");
            let rows = sql.query(&q, &args)?;
            let mut fresh: std::collections::HashMap<String, i64> =
                std::collections::HashMap::with_capacity(rows.len());
            for r in &rows {
                fresh.insert(r.text(1)?, r.int(0)?);
            }
            for (i, r) in chunk.iter().enumerate() {
                // The first report of a client id in this call takes the new row.
                out[at + i] = fresh.remove(&r.client_id);
            }
            at += chunk.len();
        }
        Ok(())
    })?;
    Ok(out)
}

/// Hands `(seq, voter_id, status, received_at)` of every report after `after_seq` to `f`, in
/// journal order, without building whole reports (a board rebuild replays millions).
pub fn each_status_after(
    sql: &mut dyn Sql,
    after_seq: i64,
    f: &mut dyn FnMut(i64, &str, &str, &str) -> Result<()>,
) -> Result<()> {
    sql.query_each(
        "SELECT seq, voter_id, status, received_at FROM turnout_reports WHERE seq > ? ORDER BY seq",
        &[Value::Int(after_seq)],
        &mut |r| {
            let text = |i: usize| match r.get(i) {
                Some(Value::Text(t)) => t.as_str(),
                _ => "",
            };
            let seq = match r.first() {
                Some(Value::Int(i)) => *i,
                _ => {
                    return Err(crate::StoreError::Backend(
                        "turnout_reports.seq: not an integer".into(),
                    ))
                }
            };
            f(seq, text(1), text(2), text(3))
        },
    )
}

/// One page of reports after `after_seq`, in journal order.
pub fn page(sql: &mut dyn Sql, after_seq: i64, limit: usize) -> Result<Vec<Report>> {
    let rows = sql.query(
        &format!("SELECT {COLUMNS} FROM turnout_reports WHERE seq > ? ORDER BY seq LIMIT ?"),
        &[Value::Int(after_seq), Value::Int(limit as i64)],
    )?;
    rows.iter().map(|r| row(r)).collect()
}
