//! Accounts, sessions, integration keys and the audit log: plain SQL over [`Sql`], the same on
//! both backends. Secrets never reach this module in clear: passwords arrive hashed
//! (argon2id), session tokens and keys as their SHA-256. Times are ISO-8601 UTC text
//! (`2026-11-28T19:40:00Z`), which sorts as it reads.

use serde::Serialize;

use crate::sql::{RowExt, Sql, SqlRow};
use crate::{Result, StoreError, Value};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub role: String,
    /// Counties an organizer works in; the precinct of a poll watcher.
    pub regions: Vec<String>,
    /// A volunteer's own person.
    pub person_id: Option<i64>,
    #[serde(skip)]
    pub password_hash: String,
    #[serde(skip)]
    pub totp_secret: Option<String>,
    pub disabled: bool,
    pub expires_at: Option<String>,
    pub failed_logins: i64,
    pub locked_until: Option<String>,
    pub created_at: String,
    pub created_by: String,
}

#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub username: String,
    pub role: String,
    pub regions: Vec<String>,
    pub person_id: Option<i64>,
    pub password_hash: String,
    pub totp_secret: Option<String>,
    pub expires_at: Option<String>,
}

const USER_COLUMNS: &str = "id, username, role, regions, person_id, password_hash, totp_secret, disabled, expires_at, failed_logins, locked_until, created_at, created_by";

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn opt_text(s: &Option<String>) -> Value {
    s.as_ref().map(|s| text(s)).unwrap_or(Value::Null)
}

fn user(r: &SqlRow) -> Result<User> {
    Ok(User {
        id: r.int(0)?,
        username: r.text(1)?,
        role: r.text(2)?,
        regions: split_list(&r.text(3)?),
        person_id: r.opt_int(4)?,
        password_hash: r.text(5)?,
        totp_secret: r.opt_text(6)?,
        disabled: r.int(7)? != 0,
        expires_at: r.opt_text(8)?,
        failed_logins: r.int(9)?,
        locked_until: r.opt_text(10)?,
        created_at: r.text(11)?,
        created_by: r.text(12)?,
    })
}

fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// Creates a user; a taken username is an `Invalid` error naming it.
pub fn add_user(sql: &mut dyn Sql, u: &NewUser, by: &str, now: &str) -> Result<i64> {
    let mut id = 0;
    sql.transaction(&mut |tx| {
        if user_by_name(tx, &u.username)?.is_some() {
            return Err(StoreError::Invalid(format!(
                "a user named {:?} exists already: choose another username",
                u.username
            )));
        }
        let rows = tx.query(
            "INSERT INTO users (username, role, regions, person_id, password_hash, totp_secret, expires_at, created_at, created_by) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            &[
                text(&u.username),
                text(&u.role),
                text(&u.regions.join(",")),
                u.person_id.map(Value::Int).unwrap_or(Value::Null),
                text(&u.password_hash),
                opt_text(&u.totp_secret),
                opt_text(&u.expires_at),
                text(now),
                text(by),
            ],
        )?;
        id = rows.first().map(|r| r.int(0)).transpose()?.unwrap_or(0);
        Ok(())
    })?;
    Ok(id)
}

pub fn user_by_name(sql: &mut dyn Sql, username: &str) -> Result<Option<User>> {
    let rows = sql.query(
        &format!("SELECT {USER_COLUMNS} FROM users WHERE username = ?"),
        &[text(username)],
    )?;
    rows.first().map(user).transpose()
}

pub fn user_by_id(sql: &mut dyn Sql, id: i64) -> Result<Option<User>> {
    let rows = sql.query(
        &format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?"),
        &[Value::Int(id)],
    )?;
    rows.first().map(user).transpose()
}

pub fn list_users(sql: &mut dyn Sql) -> Result<Vec<User>> {
    sql.query(
        &format!("SELECT {USER_COLUMNS} FROM users ORDER BY username"),
        &[],
    )?
    .iter()
    .map(user)
    .collect()
}

/// Disables (or re-enables) a user; disabling also ends their sessions. `false` if no such user.
pub fn set_disabled(sql: &mut dyn Sql, username: &str, disabled: bool) -> Result<bool> {
    let mut found = false;
    sql.transaction(&mut |tx| {
        found = tx.execute(
            "UPDATE users SET disabled = ?, failed_logins = 0, locked_until = NULL WHERE username = ?",
            &[Value::Int(disabled as i64), text(username)],
        )? > 0;
        if disabled {
            tx.execute(
                "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE username = ?)",
                &[text(username)],
            )?;
        }
        Ok(())
    })?;
    Ok(found)
}

/// Replaces a user's TOTP secret (enrolment, or a lost phone); ends their sessions.
pub fn set_totp_secret(sql: &mut dyn Sql, username: &str, secret: Option<&str>) -> Result<bool> {
    let mut found = false;
    sql.transaction(&mut |tx| {
        found = tx.execute(
            "UPDATE users SET totp_secret = ? WHERE username = ?",
            &[secret.map(text).unwrap_or(Value::Null), text(username)],
        )? > 0;
        tx.execute(
            "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE username = ?)",
            &[text(username)],
        )?;
        Ok(())
    })?;
    Ok(found)
}

/// Replaces a user's password hash; ends their sessions and clears a lockout.
pub fn set_password_hash(sql: &mut dyn Sql, username: &str, hash: &str) -> Result<bool> {
    let mut found = false;
    sql.transaction(&mut |tx| {
        found = tx.execute(
            "UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = NULL WHERE username = ?",
            &[text(hash), text(username)],
        )? > 0;
        tx.execute(
            "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE username = ?)",
            &[text(username)],
        )?;
        Ok(())
    })?;
    Ok(found)
}

/// Records a failed sign-in: the new count of consecutive failures, and a lockout end if the
/// caller's policy locks the account now.
pub fn login_failed(
    sql: &mut dyn Sql,
    user_id: i64,
    failures: i64,
    locked_until: Option<&str>,
) -> Result<()> {
    sql.execute(
        "UPDATE users SET failed_logins = ?, locked_until = ? WHERE id = ?",
        &[
            Value::Int(failures),
            locked_until.map(text).unwrap_or(Value::Null),
            Value::Int(user_id),
        ],
    )?;
    Ok(())
}

/// A successful sign-in clears the failure count and any lockout.
pub fn login_succeeded(sql: &mut dyn Sql, user_id: i64) -> Result<()> {
    sql.execute(
        "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?",
        &[Value::Int(user_id)],
    )?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub user_id: i64,
    pub csrf: String,
    pub created_at: String,
    pub expires_at: String,
}

pub fn create_session(
    sql: &mut dyn Sql,
    token_hash: &str,
    user_id: i64,
    csrf: &str,
    now: &str,
    expires_at: &str,
) -> Result<()> {
    sql.execute(
        "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
        &[text(token_hash), Value::Int(user_id), text(csrf), text(now), text(expires_at)],
    )?;
    Ok(())
}

/// The session with this token hash, if it exists and has not expired at `now`.
pub fn session(sql: &mut dyn Sql, token_hash: &str, now: &str) -> Result<Option<Session>> {
    let rows = sql.query(
        "SELECT user_id, csrf, created_at, expires_at FROM sessions WHERE token_hash = ? AND expires_at > ?",
        &[text(token_hash), text(now)],
    )?;
    rows.first()
        .map(|r| {
            Ok(Session {
                user_id: r.int(0)?,
                csrf: r.text(1)?,
                created_at: r.text(2)?,
                expires_at: r.text(3)?,
            })
        })
        .transpose()
}

pub fn delete_session(sql: &mut dyn Sql, token_hash: &str) -> Result<()> {
    sql.execute(
        "DELETE FROM sessions WHERE token_hash = ?",
        &[text(token_hash)],
    )?;
    Ok(())
}

/// Deletes sessions that expired before `now`; returns how many.
pub fn purge_sessions(sql: &mut dyn Sql, now: &str) -> Result<u64> {
    sql.execute("DELETE FROM sessions WHERE expires_at <= ?", &[text(now)])
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiKey {
    pub id: i64,
    pub name: String,
    pub scopes: Vec<String>,
    pub disabled: bool,
    pub expires_at: Option<String>,
    pub created_at: String,
    pub created_by: String,
}

const KEY_COLUMNS: &str = "id, name, scopes, disabled, expires_at, created_at, created_by";

fn key(r: &SqlRow) -> Result<ApiKey> {
    Ok(ApiKey {
        id: r.int(0)?,
        name: r.text(1)?,
        scopes: split_list(&r.text(2)?),
        disabled: r.int(3)? != 0,
        expires_at: r.opt_text(4)?,
        created_at: r.text(5)?,
        created_by: r.text(6)?,
    })
}

pub fn add_key(
    sql: &mut dyn Sql,
    name: &str,
    key_hash: &str,
    scopes: &[String],
    expires_at: Option<&str>,
    by: &str,
    now: &str,
) -> Result<i64> {
    let mut id = 0;
    sql.transaction(&mut |tx| {
        let taken = tx.query("SELECT id FROM api_keys WHERE name = ?", &[text(name)])?;
        if !taken.is_empty() {
            return Err(StoreError::Invalid(format!(
                "an integration key named {name:?} exists already: choose another name"
            )));
        }
        let rows = tx.query(
            "INSERT INTO api_keys (name, key_hash, scopes, expires_at, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            &[
                text(name),
                text(key_hash),
                text(&scopes.join(",")),
                expires_at.map(text).unwrap_or(Value::Null),
                text(now),
                text(by),
            ],
        )?;
        id = rows.first().map(|r| r.int(0)).transpose()?.unwrap_or(0);
        Ok(())
    })?;
    Ok(id)
}

pub fn key_by_hash(sql: &mut dyn Sql, key_hash: &str) -> Result<Option<ApiKey>> {
    let rows = sql.query(
        &format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE key_hash = ?"),
        &[text(key_hash)],
    )?;
    rows.first().map(key).transpose()
}

pub fn list_keys(sql: &mut dyn Sql) -> Result<Vec<ApiKey>> {
    sql.query(
        &format!("SELECT {KEY_COLUMNS} FROM api_keys ORDER BY name"),
        &[],
    )?
    .iter()
    .map(key)
    .collect()
}

pub fn set_key_disabled(sql: &mut dyn Sql, name: &str, disabled: bool) -> Result<bool> {
    Ok(sql.execute(
        "UPDATE api_keys SET disabled = ? WHERE name = ?",
        &[Value::Int(disabled as i64), text(name)],
    )? > 0)
}

/// One audit entry. `actor` is `user:NAME`, `key:NAME`, `cli:LOGIN` or `anonymous`; `target`
/// names ids (never personal data); `detail` is JSON (counts, filters' field names, reasons).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: serde_json::Value,
}

pub fn audit(
    sql: &mut dyn Sql,
    at: &str,
    actor: &str,
    action: &str,
    target: &str,
    detail: &serde_json::Value,
) -> Result<()> {
    sql.execute(
        "INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
        &[
            text(at),
            text(actor),
            text(action),
            text(target),
            text(&detail.to_string()),
        ],
    )?;
    Ok(())
}

/// An audit entry to write. Use cases that read personal data return one with their
/// answer; the caller writes it (`write_audit`, or the server's group-committing writer)
/// before the answer leaves.
#[must_use = "an audit record must be written: store::accounts::write_audit, or the server's audit writer"]
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: serde_json::Value,
}

impl AuditRecord {
    pub fn new(
        at: &str,
        actor: &str,
        action: &str,
        target: &str,
        detail: serde_json::Value,
    ) -> AuditRecord {
        AuditRecord {
            at: at.into(),
            actor: actor.into(),
            action: action.into(),
            target: target.into(),
            detail,
        }
    }
}

/// Writes audit records in one transaction.
pub fn write_audit(sql: &mut dyn Sql, records: &[AuditRecord]) -> Result<()> {
    sql.transaction(&mut |tx| {
        for r in records {
            audit(tx, &r.at, &r.actor, &r.action, &r.target, &r.detail)?;
        }
        Ok(())
    })
}

/// Audit entries with id greater than `after`, oldest first, at most `limit`; optionally only
/// one action (`login.failure`, …).
pub fn audit_entries(
    sql: &mut dyn Sql,
    after: i64,
    limit: usize,
    action: Option<&str>,
) -> Result<Vec<AuditEntry>> {
    let mut args = vec![Value::Int(after)];
    let mut filter = String::new();
    if let Some(a) = action {
        filter = " AND action = ?".into();
        args.push(text(a));
    }
    args.push(Value::Int(limit as i64));
    sql.query(
        &format!("SELECT id, at, actor, action, target, detail FROM audit_log WHERE id > ?{filter} ORDER BY id LIMIT ?"),
        &args,
    )?
    .iter()
    .map(|r| {
        Ok(AuditEntry {
            id: r.int(0)?,
            at: r.text(1)?,
            actor: r.text(2)?,
            action: r.text(3)?,
            target: r.text(4)?,
            detail: serde_json::from_str(&r.text(5)?).unwrap_or(serde_json::Value::Null),
        })
    })
    .collect()
}
