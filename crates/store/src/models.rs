//! Model runs and scores (issue 6): plain SQL over [`Sql`], both backends.
//!
//! A model run keeps its parameters, data summary, metrics and fitted body (JSON written by
//! the scoring engine). Status goes `trained` → `approved` (one approved model per target at a
//! time: approving another marks the previous one `superseded`). Scores name their model;
//! probabilities are stored in millionths (`score_ppm`; an uplift can be negative), expected
//! gifts in cents.

use serde::Serialize;

use crate::sql::{RowExt, Sql};
use crate::{Result, StoreError, Value};

/// Score rows written per INSERT statement.
pub const SCORES_PER_STATEMENT: usize = 500;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelRun {
    pub id: i64,
    pub target: String,
    pub algorithm: String,
    pub status: String,
    pub seed: i64,
    pub created_at: String,
    pub created_by: String,
    /// JSON texts, as the engine wrote them.
    pub params: String,
    pub data_summary: String,
    pub metrics: String,
    pub approved_at: Option<String>,
    pub approved_by: Option<String>,
    pub scored: i64,
    pub scored_at: Option<String>,
}

/// What a new run records.
pub struct NewModel<'a> {
    pub target: &'a str,
    pub algorithm: &'a str,
    pub seed: i64,
    pub created_at: &'a str,
    pub created_by: &'a str,
    pub params: &'a str,
    pub data_summary: &'a str,
    pub metrics: &'a str,
    pub body: &'a str,
}

const COLS: &str = "id, target, algorithm, status, seed, created_at, created_by, params, \
                    data_summary, metrics, approved_at, approved_by, scored, scored_at";

fn run(r: &[Value]) -> Result<ModelRun> {
    Ok(ModelRun {
        id: r.int(0)?,
        target: r.text(1)?,
        algorithm: r.text(2)?,
        status: r.text(3)?,
        seed: r.int(4)?,
        created_at: r.text(5)?,
        created_by: r.text(6)?,
        params: r.text(7)?,
        data_summary: r.text(8)?,
        metrics: r.text(9)?,
        approved_at: r.opt_text(10)?,
        approved_by: r.opt_text(11)?,
        scored: r.int(12)?,
        scored_at: r.opt_text(13)?,
    })
}

pub fn insert(sql: &mut dyn Sql, m: &NewModel) -> Result<i64> {
    let rows = sql.query(
        "INSERT INTO models (target, algorithm, seed, created_at, created_by, params, \
         data_summary, metrics, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        &[
            Value::Text(m.target.into()),
            Value::Text(m.algorithm.into()),
            Value::Int(m.seed),
            Value::Text(m.created_at.into()),
            Value::Text(m.created_by.into()),
            Value::Text(m.params.into()),
            Value::Text(m.data_summary.into()),
            Value::Text(m.metrics.into()),
            Value::Text(m.body.into()),
        ],
    )?;
    rows.first()
        .ok_or_else(|| StoreError::Backend("INSERT … RETURNING id gave no row".into()))?
        .int(0)
}

/// Every run, newest first.
pub fn all(sql: &mut dyn Sql) -> Result<Vec<ModelRun>> {
    sql.query(&format!("SELECT {COLS} FROM models ORDER BY id DESC"), &[])?
        .iter()
        .map(|r| run(r))
        .collect()
}

pub fn get(sql: &mut dyn Sql, id: i64) -> Result<Option<ModelRun>> {
    sql.query(
        &format!("SELECT {COLS} FROM models WHERE id = ?"),
        &[Value::Int(id)],
    )?
    .first()
    .map(|r| run(r))
    .transpose()
}

/// The fitted body of a run (engine JSON).
pub fn body(sql: &mut dyn Sql, id: i64) -> Result<Option<String>> {
    sql.query("SELECT body FROM models WHERE id = ?", &[Value::Int(id)])?
        .first()
        .map(|r| r.text(0))
        .transpose()
}

/// The approved run of each target.
pub fn approved(sql: &mut dyn Sql) -> Result<Vec<ModelRun>> {
    sql.query(
        &format!("SELECT {COLS} FROM models WHERE status = 'approved' ORDER BY target"),
        &[],
    )?
    .iter()
    .map(|r| run(r))
    .collect()
}

/// Approves a run; the target's previously approved run becomes `superseded`. Returns the
/// superseded run's id, if any.
pub fn approve(sql: &mut dyn Sql, id: i64, by: &str, now: &str) -> Result<Option<i64>> {
    let m = get(sql, id)?.ok_or_else(|| StoreError::Invalid(format!("no model {id}")))?;
    let mut previous = None;
    sql.transaction(&mut |tx| {
        let prev = tx.query(
            "SELECT id FROM models WHERE target = ? AND status = 'approved' AND id <> ?",
            &[Value::Text(m.target.clone()), Value::Int(id)],
        )?;
        previous = prev.first().map(|r| r.int(0)).transpose()?;
        tx.execute(
            "UPDATE models SET status = 'superseded' WHERE target = ? AND status = 'approved' AND id <> ?",
            &[Value::Text(m.target.clone()), Value::Int(id)],
        )?;
        tx.execute(
            "UPDATE models SET status = 'approved', approved_at = ?, approved_by = ? WHERE id = ?",
            &[Value::Text(now.into()), Value::Text(by.into()), Value::Int(id)],
        )?;
        Ok(())
    })?;
    Ok(previous)
}

/// One person's score from one model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreRow {
    pub person_id: i64,
    pub score_ppm: i64,
    pub value_cents: Option<i64>,
}

/// Replaces the scores of a model by `rows`, in one transaction, and records when and how
/// many. `progress` is called with the rows written so far.
pub fn write_scores(
    sql: &mut dyn Sql,
    model_id: i64,
    rows: &[ScoreRow],
    now: &str,
    progress: &mut dyn FnMut(u64),
) -> Result<()> {
    let one = "(?, ?, ?, ?)";
    sql.transaction(&mut |tx| {
        tx.execute(
            "DELETE FROM scores WHERE model_id = ?",
            &[Value::Int(model_id)],
        )?;
        let mut done = 0u64;
        for chunk in rows.chunks(SCORES_PER_STATEMENT) {
            let mut stmt = String::with_capacity(40 + chunk.len() * 14);
            stmt.push_str(
                "INSERT INTO scores (model_id, person_id, score_ppm, value_cents) VALUES ",
            );
            let mut args = Vec::with_capacity(chunk.len() * 4);
            for (i, r) in chunk.iter().enumerate() {
                if i > 0 {
                    stmt.push_str(", ");
                }
                stmt.push_str(one);
                args.extend([
                    Value::Int(model_id),
                    Value::Int(r.person_id),
                    Value::Int(r.score_ppm),
                    r.value_cents.map_or(Value::Null, Value::Int),
                ]);
            }
            tx.execute(&stmt, &args)?;
            done += chunk.len() as u64;
            progress(done);
        }
        tx.execute(
            "UPDATE models SET scored = ?, scored_at = ? WHERE id = ?",
            &[
                Value::Int(rows.len() as i64),
                Value::Text(now.into()),
                Value::Int(model_id),
            ],
        )?;
        Ok(())
    })
}

/// A person's score from an approved model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonScore {
    pub target: String,
    pub model_id: i64,
    pub score: f64,
    pub value_cents: Option<i64>,
}

/// The person's scores from the approved model of each target (what targeting uses).
pub fn of_person(sql: &mut dyn Sql, person_id: i64) -> Result<Vec<PersonScore>> {
    sql.query(
        "SELECT m.target, s.model_id, s.score_ppm, s.value_cents FROM scores s \
         JOIN models m ON m.id = s.model_id \
         WHERE s.person_id = ? AND m.status = 'approved' ORDER BY m.target",
        &[Value::Int(person_id)],
    )?
    .iter()
    .map(|r| {
        Ok(PersonScore {
            target: r.text(0)?,
            model_id: r.int(1)?,
            score: r.int(2)? as f64 / 1e6,
            value_cents: r.opt_int(3)?,
        })
    })
    .collect()
}

/// Scores of a model: count and the distribution in tenths (for the report page).
pub fn distribution(sql: &mut dyn Sql, model_id: i64) -> Result<Vec<(i64, i64)>> {
    sql.query(
        "SELECT score_ppm / 100000, COUNT(*) FROM scores WHERE model_id = ? GROUP BY 1 ORDER BY 1",
        &[Value::Int(model_id)],
    )?
    .iter()
    .map(|r| Ok((r.int(0)?, r.int(1)?)))
    .collect()
}
