//! Targeted sharing, kept (migration 14): consents, uploads, friends with their match, asks,
//! the campaign's sharing settings and the precinct table. Plain SQL for both backends.
//!
//! A friend row holds what the supporter typed (`typed_name`, and `details`: the normalised
//! fields, kept to re-match when a later voter file arrives) and the match (`voter_rkey`,
//! `person_id`, probability, county, precinct, class) — the match is the campaign's, never
//! the supporter's to read. Withdrawal erases friends and uploads in one transaction; the asks
//! stay only as counts (kind, state, dates), unlinked from friend and supporter.

use crate::sql::{RowExt, Sql};
use crate::{Result, Value};

/// Rows per multi-row INSERT.
pub const ROWS_PER_INSERT: usize = 200;

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn opt_text(s: &Option<String>) -> Value {
    s.as_ref().map_or(Value::Null, |s| Value::Text(s.clone()))
}

fn opt_int(i: Option<i64>) -> Value {
    i.map_or(Value::Null, Value::Int)
}

/// The settings document (JSON text), if the campaign has set one.
pub fn settings(sql: &mut dyn Sql) -> Result<Option<String>> {
    let rows = sql.query("SELECT body FROM sharing_settings WHERE id = 1", &[])?;
    rows.first().map(|r| r.text(0)).transpose()
}

pub fn set_settings(sql: &mut dyn Sql, body: &str, now: &str, by: &str) -> Result<()> {
    sql.transaction(&mut |tx| {
        tx.execute("DELETE FROM sharing_settings WHERE id = 1", &[])?;
        tx.execute(
            "INSERT INTO sharing_settings (id, body, updated_at, updated_by) VALUES (1, ?, ?, ?)",
            &[text(body), text(now), text(by)],
        )?;
        Ok(())
    })
}

/// One polling place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Precinct {
    pub county: String,
    pub precinct: String,
    pub polling_place: String,
    pub polling_address: String,
}

/// Replaces the precinct table (one transaction). Returns the rows written.
pub fn replace_precincts(sql: &mut dyn Sql, rows: &[Precinct], now: &str) -> Result<u64> {
    let mut n = 0;
    sql.transaction(&mut |tx| {
        tx.execute("DELETE FROM precincts", &[])?;
        n = 0;
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let marks = vec!["(?, ?, ?, ?, ?)"; chunk.len()].join(", ");
            let mut args = Vec::with_capacity(chunk.len() * 5);
            for p in chunk {
                args.extend([
                    text(&p.county),
                    text(&p.precinct),
                    text(&p.polling_place),
                    text(&p.polling_address),
                    text(now),
                ]);
            }
            n += tx.execute(
                &format!(
                    "INSERT INTO precincts (county, precinct, polling_place, polling_address, loaded_at) VALUES {marks}"
                ),
                &args,
            )?;
        }
        Ok(())
    })?;
    Ok(n)
}

/// The polling place of one precinct.
pub fn precinct(sql: &mut dyn Sql, county: &str, precinct: &str) -> Result<Option<Precinct>> {
    let rows = sql.query(
        "SELECT county, precinct, polling_place, polling_address FROM precincts WHERE county = ? AND precinct = ?",
        &[text(county), text(precinct)],
    )?;
    rows.first()
        .map(|r| {
            Ok(Precinct {
                county: r.text(0)?,
                precinct: r.text(1)?,
                polling_place: r.text(2)?,
                polling_address: r.text(3)?,
            })
        })
        .transpose()
}

/// A supporter's consent in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    pub id: i64,
    pub terms_version: String,
    pub terms_sha256: String,
    pub agreed_at: String,
}

/// The consent in force for `user_id` (the newest not withdrawn).
pub fn consent(sql: &mut dyn Sql, user_id: i64) -> Result<Option<Consent>> {
    let rows = sql.query(
        "SELECT id, terms_version, terms_sha256, agreed_at FROM sharing_consents \
         WHERE user_id = ? AND withdrawn_at IS NULL ORDER BY id DESC LIMIT 1",
        &[Value::Int(user_id)],
    )?;
    rows.first()
        .map(|r| {
            Ok(Consent {
                id: r.int(0)?,
                terms_version: r.text(1)?,
                terms_sha256: r.text(2)?,
                agreed_at: r.text(3)?,
            })
        })
        .transpose()
}

/// Records that `user_id` agreed to the terms (`version`, the SHA-256 of their text) at `now`.
pub fn add_consent(
    sql: &mut dyn Sql,
    user_id: i64,
    version: &str,
    sha256: &str,
    now: &str,
) -> Result<i64> {
    let rows = sql.query(
        "INSERT INTO sharing_consents (user_id, terms_version, terms_sha256, agreed_at) VALUES (?, ?, ?, ?) RETURNING id",
        &[Value::Int(user_id), text(version), text(sha256), text(now)],
    )?;
    rows.first()
        .ok_or_else(|| crate::StoreError::Backend("no id returned".into()))?
        .int(0)
}

/// Counts one upload of `entries` contacts against the supporter's limits, atomically: the
/// window restarts at `now` when it began before `window_after`; the upload is counted only if
/// the window then holds fewer than `uploads_max` uploads and at most `contacts_max` contacts
/// with it. Returns `Ok(None)` when counted, `Ok(Some(window_start))` when refused.
pub fn take_quota(
    sql: &mut dyn Sql,
    user_id: i64,
    entries: i64,
    now: &str,
    window_after: &str,
    uploads_max: i64,
    contacts_max: i64,
) -> Result<Option<String>> {
    let mut refused = None;
    sql.transaction(&mut |tx| {
        let uid = Value::Int(user_id);
        tx.execute(
            "INSERT INTO sharing_limits (user_id, window_start, uploads, contacts) VALUES (?, ?, 0, 0) \
             ON CONFLICT (user_id) DO NOTHING",
            &[uid.clone(), text(now)],
        )?;
        tx.execute(
            "UPDATE sharing_limits SET window_start = ?, uploads = 0, contacts = 0 \
             WHERE user_id = ? AND window_start < ?",
            &[text(now), uid.clone(), text(window_after)],
        )?;
        // One statement: on PostgreSQL the row is locked and the condition re-read, so two
        // uploads at once cannot both pass on the last slot.
        let n = tx.execute(
            "UPDATE sharing_limits SET uploads = uploads + 1, contacts = contacts + ? \
             WHERE user_id = ? AND uploads < ? AND contacts + ? <= ?",
            &[
                Value::Int(entries),
                uid.clone(),
                Value::Int(uploads_max),
                Value::Int(entries),
                Value::Int(contacts_max),
            ],
        )?;
        refused = None;
        if n == 0 {
            let r = tx.query(
                "SELECT window_start FROM sharing_limits WHERE user_id = ?",
                std::slice::from_ref(&uid),
            )?;
            refused = Some(r.first().map_or(Ok(now.to_string()), |r| r.text(0))?);
        }
        Ok(())
    })?;
    Ok(refused)
}

/// Friends a supporter has now.
pub fn friends_of(sql: &mut dyn Sql, user_id: i64) -> Result<i64> {
    let rows = sql.query(
        "SELECT COUNT(*) FROM sharing_friends WHERE user_id = ?",
        &[Value::Int(user_id)],
    )?;
    rows.first().map_or(Ok(0), |r| r.int(0))
}

/// An upload to keep.
#[derive(Debug, Clone)]
pub struct NewUpload {
    pub user_id: i64,
    pub consent_id: i64,
    pub format: String,
    pub entries: i64,
    pub accepted: i64,
    pub rejected: i64,
    /// The newest load when it was matched (a voter first loaded later is a new registration).
    pub load_mark: i64,
    pub created_at: String,
}

/// A friend to keep, with their asks (kinds, in order).
#[derive(Debug, Clone, Default)]
pub struct NewFriend {
    pub position: i64,
    pub typed_name: String,
    pub details: String,
    pub state: String,
    pub voter_rkey: Option<String>,
    pub person_id: Option<i64>,
    pub probability_ppm: Option<i64>,
    pub county: Option<String>,
    pub precinct: Option<String>,
    pub class: String,
    pub value_e9: i64,
    pub asks: Vec<String>,
}

/// Keeps an upload, its friends and their asks in one transaction. Returns the upload id.
pub fn save_upload(sql: &mut dyn Sql, up: &NewUpload, friends: &[NewFriend]) -> Result<i64> {
    let mut upload_id = 0;
    sql.transaction(&mut |tx| {
        let rows = tx.query(
            "INSERT INTO sharing_uploads (user_id, consent_id, format, entries, accepted, rejected, load_mark, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            &[
                Value::Int(up.user_id),
                Value::Int(up.consent_id),
                text(&up.format),
                Value::Int(up.entries),
                Value::Int(up.accepted),
                Value::Int(up.rejected),
                Value::Int(up.load_mark),
                text(&up.created_at),
            ],
        )?;
        upload_id = rows
            .first()
            .ok_or_else(|| crate::StoreError::Backend("no id returned".into()))?
            .int(0)?;
        for chunk in friends.chunks(ROWS_PER_INSERT) {
            let marks =
                vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"; chunk.len()].join(", ");
            let mut args = Vec::with_capacity(chunk.len() * 14);
            for f in chunk {
                args.extend([
                    Value::Int(upload_id),
                    Value::Int(up.user_id),
                    Value::Int(f.position),
                    text(&f.typed_name),
                    text(&f.details),
                    text(&f.state),
                    opt_text(&f.voter_rkey),
                    opt_int(f.person_id),
                    opt_int(f.probability_ppm),
                    opt_text(&f.county),
                    opt_text(&f.precinct),
                    text(&f.class),
                    Value::Int(f.value_e9),
                    text(&up.created_at),
                ]);
            }
            let ids = tx.query(
                &format!(
                    "INSERT INTO sharing_friends (upload_id, user_id, position, typed_name, details, state, voter_rkey, person_id, \
                     probability_ppm, county, precinct, class, value_e9, matched_at) VALUES {marks} RETURNING id, position"
                ),
                &args,
            )?;
            let mut asks: Vec<Value> = Vec::new();
            for r in &ids {
                let (id, pos) = (r.int(0)?, r.int(1)?);
                let f = chunk
                    .iter()
                    .find(|f| f.position == pos)
                    .ok_or_else(|| crate::StoreError::Backend("friend position lost".into()))?;
                for kind in &f.asks {
                    asks.extend([
                        Value::Int(id),
                        Value::Int(up.user_id),
                        text(kind),
                        text(&f.state),
                        text(&up.created_at),
                    ]);
                }
            }
            for part in asks.chunks(5 * ROWS_PER_INSERT) {
                let marks = vec!["(?, ?, ?, ?, ?)"; part.len() / 5].join(", ");
                tx.execute(
                    &format!(
                        "INSERT INTO sharing_asks (friend_id, user_id, kind, state, created_at) VALUES {marks}"
                    ),
                    part,
                )?;
            }
        }
        Ok(())
    })?;
    Ok(upload_id)
}

/// One ask with its friend, as the supporter's list and the ask texts need it.
#[derive(Debug, Clone, PartialEq)]
pub struct AskRow {
    pub ask_id: i64,
    pub friend_id: i64,
    pub typed_name: String,
    pub kind: String,
    pub state: String,
    pub county: Option<String>,
    pub precinct: Option<String>,
    pub class: String,
    pub value_e9: i64,
    pub position: i64,
    pub upload_id: i64,
    pub done_at: Option<String>,
}

/// A supporter's friends and their asks (a friend with no ask appears once with `kind` "").
pub fn asks_of(sql: &mut dyn Sql, user_id: i64) -> Result<Vec<AskRow>> {
    let rows = sql.query(
        "SELECT COALESCE(a.id, 0), f.id, f.typed_name, COALESCE(a.kind, ''), f.state, f.county, f.precinct, f.class, \
         f.value_e9, f.position, f.upload_id, a.done_at \
         FROM sharing_friends f LEFT JOIN sharing_asks a ON a.friend_id = f.id \
         WHERE f.user_id = ? ORDER BY f.upload_id, f.position, a.id",
        &[Value::Int(user_id)],
    )?;
    rows.iter()
        .map(|r| {
            Ok(AskRow {
                ask_id: r.int(0)?,
                friend_id: r.int(1)?,
                typed_name: r.text(2)?,
                kind: r.text(3)?,
                state: r.text(4)?,
                county: r.opt_text(5)?,
                precinct: r.opt_text(6)?,
                class: r.text(7)?,
                value_e9: r.int(8)?,
                position: r.int(9)?,
                upload_id: r.int(10)?,
                done_at: r.opt_text(11)?,
            })
        })
        .collect()
}

/// Marks one of the supporter's own asks done (or not). False when it is not theirs.
pub fn set_done(
    sql: &mut dyn Sql,
    user_id: i64,
    ask_id: i64,
    done: bool,
    now: &str,
) -> Result<bool> {
    let at = if done { text(now) } else { Value::Null };
    Ok(sql.execute(
        "UPDATE sharing_asks SET done_at = ? WHERE id = ? AND user_id = ?",
        &[at, Value::Int(ask_id), Value::Int(user_id)],
    )? > 0)
}

/// How an ask is unlinked from its friend and supporter: the links dropped and its times cut
/// to the day, so that they cannot be matched with an upload's audit entry.
const UNLINK: &str = "friend_id = NULL, user_id = NULL, created_at = SUBSTR(created_at, 1, 10), \
     done_at = SUBSTR(done_at, 1, 10), credited_at = SUBSTR(credited_at, 1, 10)";

/// What an erasure removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Erased {
    pub uploads: u64,
    pub friends: u64,
    /// Asks kept as counts only (friend and supporter unlinked).
    pub asks_unlinked: u64,
}

/// Withdrawal: the supporter's uploads and friends erased, their asks unlinked, the consent
/// marked withdrawn, and the audit entry — one transaction.
pub fn withdraw(sql: &mut dyn Sql, user_id: i64, now: &str, actor: &str) -> Result<Erased> {
    let mut out = Erased::default();
    sql.transaction(&mut |tx| {
        let uid = Value::Int(user_id);
        out.asks_unlinked = tx.execute(
            &format!("UPDATE sharing_asks SET {UNLINK} WHERE user_id = ?"),
            std::slice::from_ref(&uid),
        )?;
        out.friends = tx.execute(
            "DELETE FROM sharing_friends WHERE user_id = ?",
            std::slice::from_ref(&uid),
        )?;
        out.uploads = tx.execute(
            "DELETE FROM sharing_uploads WHERE user_id = ?",
            std::slice::from_ref(&uid),
        )?;
        tx.execute(
            "UPDATE sharing_consents SET withdrawn_at = ? WHERE user_id = ? AND withdrawn_at IS NULL",
            &[text(now), uid.clone()],
        )?;
        crate::accounts::audit(
            tx,
            now,
            actor,
            "sharing.withdraw",
            &format!("user:{user_id}"),
            &serde_json::json!({"uploads": out.uploads, "friends": out.friends, "asks_unlinked": out.asks_unlinked}),
        )?;
        Ok(())
    })?;
    Ok(out)
}

/// Retention: friends with no confident voter match, matched before `cutoff`, erased (their
/// asks unlinked); uploads left with no friend erased. Audited (`retention.sharing`).
pub fn erase_unmatched(
    sql: &mut dyn Sql,
    cutoff: &str,
    now: &str,
    dry_run: bool,
    actor: &str,
) -> Result<Erased> {
    let mut out = Erased::default();
    sql.transaction(&mut |tx| {
        let c = text(cutoff);
        let old = "SELECT id FROM sharing_friends WHERE voter_rkey IS NULL AND matched_at < ?";
        if dry_run {
            let r = tx.query(
                &format!("SELECT COUNT(*) FROM ({old}) x"),
                std::slice::from_ref(&c),
            )?;
            out.friends = r.first().map_or(Ok(0), |r| r.int(0))? as u64;
        } else {
            out.asks_unlinked = tx.execute(
                &format!("UPDATE sharing_asks SET {UNLINK} WHERE friend_id IN ({old})"),
                std::slice::from_ref(&c),
            )?;
            out.friends = tx.execute(
                "DELETE FROM sharing_friends WHERE voter_rkey IS NULL AND matched_at < ?",
                std::slice::from_ref(&c),
            )?;
            out.uploads = tx.execute(
                "DELETE FROM sharing_uploads WHERE NOT EXISTS \
                 (SELECT 1 FROM sharing_friends f WHERE f.upload_id = sharing_uploads.id) AND created_at < ?",
                std::slice::from_ref(&c),
            )?;
        }
        crate::accounts::audit(
            tx,
            now,
            actor,
            if dry_run {
                "retention.sharing_dry_run"
            } else {
                "retention.sharing"
            },
            "sharing_friends",
            &serde_json::json!({"cutoff": cutoff, "friends": out.friends, "uploads": out.uploads, "asks_unlinked": out.asks_unlinked}),
        )?;
        Ok(())
    })?;
    Ok(out)
}

/// An open ask to check for credit.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenAsk {
    pub ask_id: i64,
    pub kind: String,
    pub friend_id: i64,
    pub voter_rkey: Option<String>,
    pub details: String,
    pub state: String,
    pub load_mark: i64,
    pub created_at: String,
}

/// Asks not yet credited whose friend is still kept.
pub fn open_asks(sql: &mut dyn Sql) -> Result<Vec<OpenAsk>> {
    let rows = sql.query(
        "SELECT a.id, a.kind, f.id, f.voter_rkey, f.details, f.state, u.load_mark, a.created_at \
         FROM sharing_asks a JOIN sharing_friends f ON f.id = a.friend_id \
         JOIN sharing_uploads u ON u.id = f.upload_id \
         WHERE a.credited_at IS NULL ORDER BY a.id",
        &[],
    )?;
    rows.iter()
        .map(|r| {
            Ok(OpenAsk {
                ask_id: r.int(0)?,
                kind: r.text(1)?,
                friend_id: r.int(2)?,
                voter_rkey: r.opt_text(3)?,
                details: r.text(4)?,
                state: r.text(5)?,
                load_mark: r.int(6)?,
                created_at: r.text(7)?,
            })
        })
        .collect()
}

/// Credits asks (`credit`: `registered` or `voted`). Returns the asks credited.
pub fn credit(sql: &mut dyn Sql, ask_ids: &[i64], credit: &str, now: &str) -> Result<u64> {
    let mut n = 0;
    sql.transaction(&mut |tx| {
        n = 0;
        for chunk in ask_ids.chunks(ROWS_PER_INSERT) {
            let marks = vec!["?"; chunk.len()].join(",");
            let mut args = vec![text(now), text(credit)];
            args.extend(chunk.iter().map(|i| Value::Int(*i)));
            n += tx.execute(
                &format!(
                    "UPDATE sharing_asks SET credited_at = ?, credit = ? WHERE credited_at IS NULL AND id IN ({marks})"
                ),
                &args,
            )?;
        }
        Ok(())
    })?;
    Ok(n)
}

/// A friend found on a later voter file: their registration kept (so retention keeps them).
pub fn set_match(
    sql: &mut dyn Sql,
    friend_id: i64,
    voter_rkey: &str,
    person_id: Option<i64>,
    probability_ppm: i64,
) -> Result<()> {
    sql.execute(
        "UPDATE sharing_friends SET voter_rkey = ?, person_id = ?, probability_ppm = ? WHERE id = ?",
        &[
            text(voter_rkey),
            opt_int(person_id),
            Value::Int(probability_ppm),
            Value::Int(friend_id),
        ],
    )?;
    Ok(())
}

/// One line of the campaign's report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReportRow {
    pub kind: String,
    pub state: String,
    pub made: i64,
    pub done: i64,
    pub converted: i64,
}

/// Asks made, done and converted, by kind and state (counts only).
pub fn report(sql: &mut dyn Sql) -> Result<Vec<ReportRow>> {
    let rows = sql.query(
        "SELECT kind, state, COUNT(*), COUNT(done_at), COUNT(credited_at) FROM sharing_asks \
         GROUP BY kind, state ORDER BY state, kind",
        &[],
    )?;
    rows.iter()
        .map(|r| {
            Ok(ReportRow {
                kind: r.text(0)?,
                state: r.text(1)?,
                made: r.int(2)?,
                done: r.int(3)?,
                converted: r.int(4)?,
            })
        })
        .collect()
}

/// Everything kept about one supporter's sharing (the withdrawal test reads it).
pub fn rows_of_user(sql: &mut dyn Sql, user_id: i64) -> Result<i64> {
    let rows = sql.query(
        "SELECT (SELECT COUNT(*) FROM sharing_friends WHERE user_id = ?) + \
         (SELECT COUNT(*) FROM sharing_uploads WHERE user_id = ?) + \
         (SELECT COUNT(*) FROM sharing_asks WHERE user_id = ?)",
        &[
            Value::Int(user_id),
            Value::Int(user_id),
            Value::Int(user_id),
        ],
    )?;
    rows.first().map_or(Ok(0), |r| r.int(0))
}
