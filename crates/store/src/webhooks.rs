//! Webhooks: where the change feed is pushed, and how far each has got (plain SQL, both
//! backends). The signing secret is kept in clear: the server needs it to sign.

use serde::Serialize;

use crate::sql::{RowExt, Sql, SqlRow};
use crate::{Result, StoreError, Value};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Webhook {
    pub id: i64,
    pub name: String,
    pub url: String,
    #[serde(skip)]
    pub secret: String,
    /// Resources pushed (`person`, `donation`, …); empty: all.
    pub resources: Vec<String>,
    pub disabled: bool,
    /// The last change delivered (a `changes.seq`).
    pub cursor: i64,
    /// Consecutive failed deliveries.
    pub failures: i64,
    /// Not before this time (after a failure); empty: now.
    pub next_attempt_at: String,
    pub last_error: String,
    /// Changes delivered in all.
    pub delivered: i64,
    pub created_at: String,
    pub created_by: String,
}

const COLUMNS: &str = "id, name, url, secret, resources, disabled, delivered_seq, failures, next_attempt_at, last_error, delivered, created_at, created_by";

fn row(r: &SqlRow) -> Result<Webhook> {
    Ok(Webhook {
        id: r.int(0)?,
        name: r.text(1)?,
        url: r.text(2)?,
        secret: r.text(3)?,
        resources: r
            .text(4)?
            .split(',')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        disabled: r.int(5)? != 0,
        cursor: r.int(6)?,
        failures: r.int(7)?,
        next_attempt_at: r.text(8)?,
        last_error: r.text(9)?,
        delivered: r.int(10)?,
        created_at: r.text(11)?,
        created_by: r.text(12)?,
    })
}

/// Adds a webhook starting after change `cursor` (0: the whole feed; the current end: only
/// what happens from now on).
#[allow(clippy::too_many_arguments)]
pub fn add(
    sql: &mut dyn Sql,
    name: &str,
    url: &str,
    secret: &str,
    resources: &[String],
    cursor: i64,
    by: &str,
    now: &str,
) -> Result<i64> {
    let mut id = 0;
    sql.transaction(&mut |tx| {
        if !tx.query("SELECT id FROM webhooks WHERE name = ?", &[Value::Text(name.into())])?.is_empty() {
            return Err(StoreError::Invalid(format!("a webhook named {name:?} exists already")));
        }
        let rows = tx.query(
            "INSERT INTO webhooks (name, url, secret, resources, delivered_seq, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            &[
                Value::Text(name.into()),
                Value::Text(url.into()),
                Value::Text(secret.into()),
                Value::Text(resources.join(",")),
                Value::Int(cursor),
                Value::Text(now.into()),
                Value::Text(by.into()),
            ],
        )?;
        id = rows.first().map(|r| r.int(0)).transpose()?.unwrap_or(0);
        Ok(())
    })?;
    Ok(id)
}

pub fn list(sql: &mut dyn Sql) -> Result<Vec<Webhook>> {
    sql.query(
        &format!("SELECT {COLUMNS} FROM webhooks ORDER BY name"),
        &[],
    )?
    .iter()
    .map(row)
    .collect()
}

/// Enabled webhooks whose next attempt is due at `now`.
pub fn due(sql: &mut dyn Sql, now: &str) -> Result<Vec<Webhook>> {
    sql.query(
        &format!("SELECT {COLUMNS} FROM webhooks WHERE disabled = 0 AND next_attempt_at <= ? ORDER BY id"),
        &[Value::Text(now.into())],
    )?
    .iter()
    .map(row)
    .collect()
}

pub fn set_disabled(sql: &mut dyn Sql, name: &str, disabled: bool) -> Result<bool> {
    Ok(sql.execute(
        "UPDATE webhooks SET disabled = ?, failures = 0, next_attempt_at = '' WHERE name = ?",
        &[Value::Int(disabled as i64), Value::Text(name.into())],
    )? > 0)
}

/// A delivery up to `cursor` succeeded (`delivered` changes in it).
pub fn delivered(sql: &mut dyn Sql, id: i64, cursor: i64, delivered: i64) -> Result<()> {
    sql.execute(
        "UPDATE webhooks SET delivered_seq = ?, failures = 0, next_attempt_at = '', last_error = '', delivered = delivered + ? WHERE id = ?",
        &[Value::Int(cursor), Value::Int(delivered), Value::Int(id)],
    )?;
    Ok(())
}

/// A delivery failed: try again at `next_attempt_at`.
pub fn failed(
    sql: &mut dyn Sql,
    id: i64,
    failures: i64,
    next_attempt_at: &str,
    error: &str,
) -> Result<()> {
    sql.execute(
        "UPDATE webhooks SET failures = ?, next_attempt_at = ?, last_error = ? WHERE id = ?",
        &[
            Value::Int(failures),
            Value::Text(next_attempt_at.into()),
            Value::Text(error.chars().take(500).collect()),
            Value::Int(id),
        ],
    )?;
    Ok(())
}
