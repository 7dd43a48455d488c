//! The change feed: one ordered row per change to a person or a record, written in the same
//! transaction as the change (so a change is in the feed if and only if it committed).
//!
//! Order = commit order: SQLite has one writer at a time; on PostgreSQL every writer of
//! `changes` first takes a self-conflicting lock on the table (readers are not blocked), so
//! sequence numbers are handed out in commit order and a reader resuming after `seq` never
//! skips a change that commits later with a smaller number.
//!
//! Kinds: `created`, `updated` (including "removed from the voter file"), `merged` (a source
//! record joined the person), `unmerged` (a source record left the person), `deleted`
//! (erased by retention: `store::retention`; the row is gone, the feed keeps its id and key).

use serde::Serialize;

use crate::sql::{Dialect, RowExt, Sql};
use crate::{Result, Value};

/// Resource names in the feed.
pub const RESOURCES: [&str; 6] = [
    "person",
    "donation",
    "volunteer",
    "contact",
    "tagging",
    "list_item",
];

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// Cursor: pass the last one seen as `after`.
    pub seq: i64,
    pub at: String,
    pub kind: String,
    pub resource: String,
    pub resource_id: i64,
    /// The source record involved (`nc:…`, `fec:…`).
    pub rkey: String,
    pub load_id: Option<i64>,
}

/// Makes this transaction the only writer of `changes` until it ends (PostgreSQL).
pub fn lock(sql: &mut dyn Sql) -> Result<()> {
    if sql.dialect() == Dialect::Postgres {
        sql.execute("LOCK TABLE changes IN SHARE ROW EXCLUSIVE MODE", &[])?;
    }
    Ok(())
}

/// Appends the changes a load made, derived from the rows it wrote, removed and (re)assigned.
/// Runs inside the load's transaction, just before it commits.
pub fn record_load(sql: &mut dyn Sql, load_id: i64, at: &str) -> Result<u64> {
    lock(sql)?;
    let mut n = 0;
    let written = [
        ("voters", "person", "person_id"),
        ("donations", "donation", "id"),
        ("volunteers", "volunteer", "id"),
        ("contacts", "contact", "id"),
    ];
    for (table, resource, id) in written {
        n += sql.execute(
            &format!(
                "INSERT INTO changes (at, kind, resource, resource_id, rkey, load_id) \
                 SELECT ?, CASE WHEN first_load_id = ? THEN 'created' ELSE 'updated' END, '{resource}', {id}, rkey, ? \
                 FROM {table} WHERE load_id = ? ORDER BY rkey"
            ),
            &[
                Value::Text(at.into()),
                Value::Int(load_id),
                Value::Int(load_id),
                Value::Int(load_id),
            ],
        )?;
    }
    n += sql.execute(
        "INSERT INTO changes (at, kind, resource, resource_id, rkey, load_id) \
         SELECT ?, 'updated', 'person', person_id, rkey, ? FROM voters WHERE removed_load_id = ? AND load_id <> ? ORDER BY rkey",
        &[
            Value::Text(at.into()),
            Value::Int(load_id),
            Value::Int(load_id),
            Value::Int(load_id),
        ],
    )?;
    for (kind, col, extra) in [
        (
            "unmerged",
            "prev_person_id",
            " AND prev_person_id IS NOT NULL",
        ),
        ("merged", "person_id", ""),
    ] {
        n += sql.execute(
            &format!(
                "INSERT INTO changes (at, kind, resource, resource_id, rkey, load_id) \
                 SELECT ?, '{kind}', 'person', {col}, rkey, load_id FROM person_assignments WHERE load_id = ?{extra} ORDER BY id"
            ),
            &[Value::Text(at.into()), Value::Int(load_id)],
        )?;
    }
    Ok(n)
}

/// Changes after `after`, oldest first, at most `limit`.
pub fn after(sql: &mut dyn Sql, after: i64, limit: usize) -> Result<Vec<Change>> {
    sql.query(
        "SELECT seq, at, kind, resource, resource_id, rkey, load_id FROM changes WHERE seq > ? ORDER BY seq LIMIT ?",
        &[Value::Int(after), Value::Int(limit as i64)],
    )?
    .iter()
    .map(|r| {
        Ok(Change {
            seq: r.int(0)?,
            at: r.text(1)?,
            kind: r.text(2)?,
            resource: r.text(3)?,
            resource_id: r.int(4)?,
            rkey: r.text(5)?,
            load_id: r.opt_int(6)?,
        })
    })
    .collect()
}
