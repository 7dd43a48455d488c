//! The trip board, kept (migration 16): field offices and their needs, posts (ride offers,
//! bed offers, travel requests) as JSON documents with owner and status, the planner's
//! assignments with each side's answer, declines and messages. Plain SQL for both backends.

use crate::sql::{RowExt, Sql};
use crate::{Result, Value};

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn opt_text(s: &Option<String>) -> Value {
    s.as_ref().map_or(Value::Null, |s| Value::Text(s.clone()))
}

/// A post on the board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    pub id: String,
    /// `ride`, `bed` or `request`.
    pub kind: String,
    /// The user who posted it; none when imported from files.
    pub owner_id: Option<i64>,
    /// `open` or `cancelled`.
    pub status: String,
    pub body: String,
    pub created_at: String,
    pub updated_at: String,
}

/// A planned assignment of one travel request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub request_id: String,
    pub office_id: String,
    pub first_day: String,
    pub last_day: String,
    pub ride_id: Option<String>,
    /// Pickup order on the ride (1 = first).
    pub pickup: Option<i64>,
    pub bed_id: Option<String>,
    pub traveller_ok: bool,
    pub driver_ok: bool,
    pub host_ok: bool,
    pub planned_at: String,
    /// The explanation, one sentence per line.
    pub why: String,
}

impl Assignment {
    /// Every side concerned has accepted.
    pub fn accepted(&self) -> bool {
        self.traveller_ok && self.driver_ok && self.host_ok
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: i64,
    pub request_id: String,
    pub sender_id: i64,
    pub body: String,
    pub at: String,
}

/// Replaces offices and needs (an import of the office files), in one transaction.
pub fn replace_offices(
    sql: &mut dyn Sql,
    offices: &[(String, String)],
    needs: &[(String, String, i64)],
    now: &str,
) -> Result<()> {
    sql.transaction(&mut |tx| {
        tx.execute("DELETE FROM trip_needs", &[])?;
        tx.execute("DELETE FROM trip_offices", &[])?;
        for (id, body) in offices {
            tx.execute(
                "INSERT INTO trip_offices (id, body, updated_at) VALUES (?, ?, ?)",
                &[text(id), text(body), text(now)],
            )?;
        }
        for (o, d, n) in needs {
            tx.execute(
                "INSERT INTO trip_needs (office_id, day, shifts) VALUES (?, ?, ?)",
                &[text(o), text(d), Value::Int(*n)],
            )?;
        }
        Ok(())
    })
}

/// Replaces one office's body.
pub fn set_office(sql: &mut dyn Sql, id: &str, body: &str, now: &str) -> Result<()> {
    sql.execute(
        "UPDATE trip_offices SET body = ?, updated_at = ? WHERE id = ?",
        &[text(body), text(now), text(id)],
    )?;
    Ok(())
}

/// Offices as (id, body), by id.
pub fn offices(sql: &mut dyn Sql) -> Result<Vec<(String, String)>> {
    sql.query("SELECT id, body FROM trip_offices ORDER BY id", &[])?
        .iter()
        .map(|r| Ok((r.text(0)?, r.text(1)?)))
        .collect()
}

/// Needs as (office, day, shifts), by office and day.
pub fn needs(sql: &mut dyn Sql) -> Result<Vec<(String, String, i64)>> {
    sql.query(
        "SELECT office_id, day, shifts FROM trip_needs ORDER BY office_id, day",
        &[],
    )?
    .iter()
    .map(|r| Ok((r.text(0)?, r.text(1)?, r.int(2)?)))
    .collect()
}

/// Sets one office's needs for the days given (a day with 0 shifts is removed).
pub fn set_needs(sql: &mut dyn Sql, office: &str, days: &[(String, i64)]) -> Result<()> {
    sql.transaction(&mut |tx| {
        for (d, n) in days {
            tx.execute(
                "DELETE FROM trip_needs WHERE office_id = ? AND day = ?",
                &[text(office), text(d)],
            )?;
            if *n > 0 {
                tx.execute(
                    "INSERT INTO trip_needs (office_id, day, shifts) VALUES (?, ?, ?)",
                    &[text(office), text(d), Value::Int(*n)],
                )?;
            }
        }
        Ok(())
    })
}

const POST_COLUMNS: &str = "id, kind, owner_id, status, body, created_at, updated_at";

fn post(r: &[Value]) -> Result<Post> {
    Ok(Post {
        id: r.text(0)?,
        kind: r.text(1)?,
        owner_id: r.opt_int(2)?,
        status: r.text(3)?,
        body: r.text(4)?,
        created_at: r.text(5)?,
        updated_at: r.text(6)?,
    })
}

/// Adds posts (one transaction); a post whose id exists is replaced.
pub fn put_posts(sql: &mut dyn Sql, posts: &[Post]) -> Result<()> {
    sql.transaction(&mut |tx| {
        for p in posts {
            tx.execute("DELETE FROM trip_posts WHERE id = ?", &[text(&p.id)])?;
            tx.execute(
                &format!("INSERT INTO trip_posts ({POST_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"),
                &[
                    text(&p.id),
                    text(&p.kind),
                    p.owner_id.map_or(Value::Null, Value::Int),
                    text(&p.status),
                    text(&p.body),
                    text(&p.created_at),
                    text(&p.updated_at),
                ],
            )?;
        }
        Ok(())
    })
}

/// Posts, optionally of one kind, one status and one owner, by id.
pub fn posts(
    sql: &mut dyn Sql,
    kind: Option<&str>,
    status: Option<&str>,
    owner: Option<i64>,
) -> Result<Vec<Post>> {
    let mut q = format!("SELECT {POST_COLUMNS} FROM trip_posts WHERE 1 = 1");
    let mut args = Vec::new();
    if let Some(k) = kind {
        q.push_str(" AND kind = ?");
        args.push(text(k));
    }
    if let Some(s) = status {
        q.push_str(" AND status = ?");
        args.push(text(s));
    }
    if let Some(o) = owner {
        q.push_str(" AND owner_id = ?");
        args.push(Value::Int(o));
    }
    q.push_str(" ORDER BY id");
    sql.query(&q, &args)?.iter().map(|r| post(r)).collect()
}

pub fn get_post(sql: &mut dyn Sql, id: &str) -> Result<Option<Post>> {
    sql.query(
        &format!("SELECT {POST_COLUMNS} FROM trip_posts WHERE id = ?"),
        &[text(id)],
    )?
    .first()
    .map(|r| post(r))
    .transpose()
}

/// What a traveller's itinerary says when an offer their assignment rested on changed.
pub const OFFER_CHANGED: &str = "The ride or bed of this trip was changed or cancelled by the person who offered it: you will be planned again.";

/// Changes a post's body or status, in one transaction with what follows from it: a travel
/// request's own assignment is removed; an assignment that used a changed ride or bed loses
/// it, every answer and its messages, and says why (`OFFER_CHANGED`) until the next plan.
/// Returns the assignments touched.
pub fn change_post(
    sql: &mut dyn Sql,
    id: &str,
    status: &str,
    body: &str,
    now: &str,
) -> Result<u64> {
    let mut touched = 0;
    sql.transaction(&mut |tx| {
        tx.execute(
            "UPDATE trip_posts SET status = ?, body = ?, updated_at = ? WHERE id = ?",
            &[text(status), text(body), text(now), text(id)],
        )?;
        let affected: Vec<String> = tx
            .query(
                "SELECT request_id FROM trip_assignments WHERE request_id = ? OR ride_id = ? OR bed_id = ?",
                &[text(id), text(id), text(id)],
            )?
            .iter()
            .map(|r| r.text(0))
            .collect::<Result<_>>()?;
        for r in &affected {
            tx.execute("DELETE FROM trip_messages WHERE request_id = ?", &[text(r)])?;
        }
        touched = tx.execute("DELETE FROM trip_assignments WHERE request_id = ?", &[text(id)])?;
        touched += tx.execute(
            "UPDATE trip_assignments SET ride_id = NULL, pickup = NULL, traveller_ok = 0, driver_ok = 1, host_ok = CASE WHEN bed_id IS NULL THEN 1 ELSE 0 END, why = ?, planned_at = ? WHERE ride_id = ?",
            &[text(OFFER_CHANGED), text(now), text(id)],
        )?;
        touched += tx.execute(
            "UPDATE trip_assignments SET bed_id = NULL, traveller_ok = 0, host_ok = 1, driver_ok = CASE WHEN ride_id IS NULL THEN 1 ELSE 0 END, why = ?, planned_at = ? WHERE bed_id = ?",
            &[text(OFFER_CHANGED), text(now), text(id)],
        )?;
        Ok(())
    })?;
    Ok(touched)
}

/// A digest of everything a plan depends on and may overwrite: posts (id, status, last
/// change), assignments with their answers, declines. A plan is written only if it has not
/// moved since the plan read the board.
pub fn board_version(sql: &mut dyn Sql) -> Result<String> {
    let mut text_all = String::new();
    for q in [
        "SELECT id, status, updated_at FROM trip_posts ORDER BY id",
        "SELECT request_id, office_id, first_day, last_day, ride_id, bed_id, traveller_ok, driver_ok, host_ok, planned_at FROM trip_assignments ORDER BY request_id",
        "SELECT request_id, post_id FROM trip_declines ORDER BY request_id, post_id",
        "SELECT office_id, day, shifts FROM trip_needs ORDER BY office_id, day",
    ] {
        sql.query_each(q, &[], &mut |row| {
            for v in row {
                text_all.push_str(&format!("{v:?}\u{1f}"));
            }
            text_all.push('\n');
            Ok(())
        })?;
        text_all.push('\u{1e}');
    }
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    text_all.hash(&mut h);
    Ok(format!("{:016x}-{}", h.finish(), text_all.len()))
}

const ASSIGNMENT_COLUMNS: &str = "request_id, office_id, first_day, last_day, ride_id, pickup, bed_id, traveller_ok, driver_ok, host_ok, planned_at, why";

fn assignment(r: &[Value]) -> Result<Assignment> {
    Ok(Assignment {
        request_id: r.text(0)?,
        office_id: r.text(1)?,
        first_day: r.text(2)?,
        last_day: r.text(3)?,
        ride_id: r.opt_text(4)?,
        pickup: r.opt_int(5)?,
        bed_id: r.opt_text(6)?,
        traveller_ok: r.int(7)? != 0,
        driver_ok: r.int(8)? != 0,
        host_ok: r.int(9)? != 0,
        planned_at: r.text(10)?,
        why: r.text(11)?,
    })
}

/// Every assignment, by request.
pub fn assignments(sql: &mut dyn Sql) -> Result<Vec<Assignment>> {
    sql.query(
        &format!("SELECT {ASSIGNMENT_COLUMNS} FROM trip_assignments ORDER BY request_id"),
        &[],
    )?
    .iter()
    .map(|r| assignment(r))
    .collect()
}

pub fn get_assignment(sql: &mut dyn Sql, request_id: &str) -> Result<Option<Assignment>> {
    sql.query(
        &format!("SELECT {ASSIGNMENT_COLUMNS} FROM trip_assignments WHERE request_id = ?"),
        &[text(request_id)],
    )?
    .first()
    .map(|r| assignment(r))
    .transpose()
}

/// Writes a plan if the board is still at `version` (`board_version`): every assignment is
/// replaced by `plan`, and the messages of a request whose ride, bed or office changed (or
/// that is no longer placed) are erased — they were between other people. One transaction.
/// Returns false (nothing written) when the board moved meanwhile.
pub fn replace_assignments(sql: &mut dyn Sql, plan: &[Assignment], version: &str) -> Result<bool> {
    let mut written = false;
    sql.transaction(&mut |tx| {
        written = false;
        if board_version(tx)? != version {
            return Ok(());
        }
        let old = tx.query(
            "SELECT request_id, office_id, ride_id, bed_id FROM trip_assignments",
            &[],
        )?;
        for r in &old {
            let id = r.text(0)?;
            let same = plan.iter().any(|a| {
                a.request_id == id
                    && Some(&a.office_id) == r.opt_text(1).ok().flatten().as_ref()
                    && a.ride_id == r.opt_text(2).ok().flatten()
                    && a.bed_id == r.opt_text(3).ok().flatten()
            });
            if !same {
                tx.execute("DELETE FROM trip_messages WHERE request_id = ?", &[text(&id)])?;
            }
        }
        tx.execute("DELETE FROM trip_assignments", &[])?;
        for a in plan {
            tx.execute(
                &format!(
                    "INSERT INTO trip_assignments ({ASSIGNMENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                ),
                &[
                    text(&a.request_id),
                    text(&a.office_id),
                    text(&a.first_day),
                    text(&a.last_day),
                    opt_text(&a.ride_id),
                    a.pickup.map_or(Value::Null, Value::Int),
                    opt_text(&a.bed_id),
                    Value::Int(a.traveller_ok as i64),
                    Value::Int(a.driver_ok as i64),
                    Value::Int(a.host_ok as i64),
                    text(&a.planned_at),
                    text(&a.why),
                ],
            )?;
        }
        written = true;
        Ok(())
    })?;
    Ok(written)
}

/// One side's answer to the assignment planned at `planned_at` (an answer to an older
/// proposal changes nothing: returns false). `side` is `traveller`, `driver` or `host`. A
/// refusal removes the assignment and its messages and records the declines (request,
/// post) so that the pairing is never proposed again.
pub fn answer(
    sql: &mut dyn Sql,
    request_id: &str,
    planned_at: &str,
    side: &str,
    accept: bool,
    declined: &[String],
    now: &str,
) -> Result<bool> {
    let column = match side {
        "traveller" => "traveller_ok",
        "driver" => "driver_ok",
        "host" => "host_ok",
        other => {
            return Err(crate::StoreError::Backend(format!(
                "unknown side {other:?}"
            )))
        }
    };
    let mut changed = false;
    sql.transaction(&mut |tx| {
        if accept {
            changed = tx.execute(
                &format!(
                    "UPDATE trip_assignments SET {column} = 1 WHERE request_id = ? AND planned_at = ?"
                ),
                &[text(request_id), text(planned_at)],
            )? > 0;
        } else {
            changed = tx.execute(
                "DELETE FROM trip_assignments WHERE request_id = ? AND planned_at = ?",
                &[text(request_id), text(planned_at)],
            )? > 0;
            if !changed {
                return Ok(());
            }
            tx.execute(
                "DELETE FROM trip_messages WHERE request_id = ?",
                &[text(request_id)],
            )?;
            for p in declined {
                tx.execute(
                    "DELETE FROM trip_declines WHERE request_id = ? AND post_id = ?",
                    &[text(request_id), text(p)],
                )?;
                tx.execute(
                    "INSERT INTO trip_declines (request_id, post_id, at) VALUES (?, ?, ?)",
                    &[text(request_id), text(p), text(now)],
                )?;
            }
        }
        Ok(())
    })?;
    Ok(changed)
}

/// Declines as (request, post).
pub fn declines(sql: &mut dyn Sql) -> Result<Vec<(String, String)>> {
    sql.query(
        "SELECT request_id, post_id FROM trip_declines ORDER BY request_id, post_id",
        &[],
    )?
    .iter()
    .map(|r| Ok((r.text(0)?, r.text(1)?)))
    .collect()
}

pub fn add_message(
    sql: &mut dyn Sql,
    request_id: &str,
    sender_id: i64,
    body: &str,
    now: &str,
) -> Result<()> {
    sql.execute(
        "INSERT INTO trip_messages (request_id, sender_id, body, at) VALUES (?, ?, ?, ?)",
        &[
            text(request_id),
            Value::Int(sender_id),
            text(body),
            text(now),
        ],
    )?;
    Ok(())
}

/// Messages of one request, oldest first.
pub fn messages(sql: &mut dyn Sql, request_id: &str) -> Result<Vec<Message>> {
    sql.query(
        "SELECT id, request_id, sender_id, body, at FROM trip_messages WHERE request_id = ? ORDER BY id",
        &[text(request_id)],
    )?
    .iter()
    .map(|r| {
        Ok(Message {
            id: r.int(0)?,
            request_id: r.text(1)?,
            sender_id: r.int(2)?,
            body: r.text(3)?,
            at: r.text(4)?,
        })
    })
    .collect()
}

/// Messages `sender_id` has sent since `since` (the rate limit).
pub fn messages_since(sql: &mut dyn Sql, sender_id: i64, since: &str) -> Result<i64> {
    let rows = sql.query(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM trip_messages WHERE sender_id = ? AND at >= ?",
        &[Value::Int(sender_id), text(since)],
    )?;
    rows.first().map_or(Ok(0), |r| r.int(0))
}
