//! A small SQL face that both backends offer, so that features whose queries are plain SQL
//! (accounts, sessions, the audit log, people search) are written once, here, and run on
//! SQLite and PostgreSQL alike.
//!
//! Statements use `?` placeholders; the PostgreSQL backend numbers them (`$1`, `$2`, …).
//! Write SQL both dialects accept: `CAST(x AS TEXT)` for dates, integers for booleans,
//! `RETURNING id` for generated keys.

use crate::{Result, Value};

/// One result row.
pub type SqlRow = Vec<Value>;

/// Which SQL a backend speaks, for the few statements that differ (locks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

pub trait Sql {
    fn dialect(&self) -> Dialect;

    /// Runs a statement that returns rows.
    fn query(&mut self, sql: &str, args: &[Value]) -> Result<Vec<SqlRow>>;

    /// Runs a statement that returns rows and hands them to `f` one at a time, without
    /// holding them all (reads over millions of rows). The default collects them first.
    fn query_each(
        &mut self,
        sql: &str,
        args: &[Value],
        f: &mut dyn FnMut(&[Value]) -> Result<()>,
    ) -> Result<()> {
        for row in self.query(sql, args)? {
            f(&row)?;
        }
        Ok(())
    }

    /// Runs a statement; returns the number of rows it changed.
    fn execute(&mut self, sql: &str, args: &[Value]) -> Result<u64>;

    /// Runs `f` inside one transaction: committed if `f` returns `Ok`, rolled back otherwise.
    /// Not re-entrant: `f` must not open another transaction.
    fn transaction(&mut self, f: &mut dyn FnMut(&mut dyn Sql) -> Result<()>) -> Result<()>;
}

/// Rewrites `?` placeholders as `$1, $2, …` (PostgreSQL), leaving quoted text alone.
pub fn number_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    let mut quoted = false;
    for c in sql.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                out.push(c);
            }
            '?' if !quoted => {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            }
            _ => out.push(c),
        }
    }
    out
}

/// Typed access to a result row's columns; a type mismatch is a backend error (a bug in the
/// query), not a panic.
pub trait RowExt {
    fn int(&self, i: usize) -> Result<i64>;
    fn opt_int(&self, i: usize) -> Result<Option<i64>>;
    fn text(&self, i: usize) -> Result<String>;
    fn opt_text(&self, i: usize) -> Result<Option<String>>;
}

fn mismatch(i: usize, want: &str, got: &Value) -> crate::StoreError {
    crate::StoreError::Backend(format!("column {i}: expected {want}, found {got:?}"))
}

impl RowExt for [Value] {
    fn int(&self, i: usize) -> Result<i64> {
        self.opt_int(i)?
            .ok_or_else(|| mismatch(i, "an integer", &Value::Null))
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        match self.get(i) {
            Some(Value::Int(v)) => Ok(Some(*v)),
            Some(Value::Bool(b)) => Ok(Some(*b as i64)),
            Some(Value::Null) | None => Ok(None),
            Some(v) => Err(mismatch(i, "an integer", v)),
        }
    }
    fn text(&self, i: usize) -> Result<String> {
        Ok(self.opt_text(i)?.unwrap_or_default())
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>> {
        match self.get(i) {
            Some(Value::Text(s)) => Ok(Some(s.clone())),
            Some(Value::Int(v)) => Ok(Some(v.to_string())),
            Some(Value::Date(d)) => Ok(Some(d.to_string())),
            Some(Value::Null) | None => Ok(None),
            Some(v) => Err(mismatch(i, "text", v)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_outside_quotes() {
        assert_eq!(
            number_placeholders("SELECT '?' , x FROM t WHERE a = ? AND b IN (?, ?)"),
            "SELECT '?' , x FROM t WHERE a = $1 AND b IN ($2, $3)"
        );
    }
}
