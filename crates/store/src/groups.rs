//! Tags and lists of people (OSDI tags/taggings, lists/items): plain SQL over [`Sql`], both
//! backends. Adding or removing a member writes a change-feed row in the same transaction
//! (resource `tagging` or `list_item`, kind `created` or `deleted`, the person's id, and
//! `tag:ID` / `list:ID` as the key).

use serde::Serialize;

use crate::people::{scope_filter, Scope};
use crate::sql::{RowExt, Sql};
use crate::{Result, StoreError, Value};

/// People added in one request at most.
pub const MEMBERS_PER_CALL_MAX: usize = 1_000;
/// Longest tag or list name.
pub const GROUP_NAME_MAX: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Tag,
    List,
}

impl Kind {
    fn table(self) -> &'static str {
        match self {
            Kind::Tag => "tags",
            Kind::List => "lists",
        }
    }
    fn members(self) -> &'static str {
        match self {
            Kind::Tag => "taggings",
            Kind::List => "list_items",
        }
    }
    fn key(self) -> &'static str {
        match self {
            Kind::Tag => "tag_id",
            Kind::List => "list_id",
        }
    }
    fn at(self) -> &'static str {
        match self {
            Kind::Tag => "created",
            Kind::List => "added",
        }
    }
    /// Resource name in the change feed.
    pub fn resource(self) -> &'static str {
        match self {
            Kind::Tag => "tagging",
            Kind::List => "list_item",
        }
    }
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Tag => "tag",
            Kind::List => "list",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// Members in all (not only those the reader may see).
    pub size: i64,
    pub created_at: String,
    pub created_by: String,
}

fn select(kind: Kind) -> String {
    let desc = match kind {
        Kind::Tag => "''",
        Kind::List => "g.description",
    };
    format!(
        "SELECT g.id, g.name, {desc}, (SELECT count(*) FROM {m} x WHERE x.{k} = g.id), g.created_at, g.created_by FROM {t} g",
        m = kind.members(),
        k = kind.key(),
        t = kind.table()
    )
}

fn group(r: &crate::sql::SqlRow) -> Result<Group> {
    Ok(Group {
        id: r.int(0)?,
        name: r.text(1)?,
        description: r.text(2)?,
        size: r.int(3)?,
        created_at: r.text(4)?,
        created_by: r.text(5)?,
    })
}

pub fn create(
    sql: &mut dyn Sql,
    kind: Kind,
    name: &str,
    description: &str,
    by: &str,
    now: &str,
) -> Result<i64> {
    let mut id = 0;
    sql.transaction(&mut |tx| {
        let taken = tx.query(&format!("SELECT id FROM {} WHERE name = ?", kind.table()), &[Value::Text(name.into())])?;
        if !taken.is_empty() {
            return Err(StoreError::Invalid(format!("name: a {} named {name:?} exists already", kind.noun())));
        }
        let rows = match kind {
            Kind::Tag => tx.query(
                "INSERT INTO tags (name, created_at, created_by) VALUES (?, ?, ?) RETURNING id",
                &[Value::Text(name.into()), Value::Text(now.into()), Value::Text(by.into())],
            )?,
            Kind::List => tx.query(
                "INSERT INTO lists (name, description, created_at, created_by) VALUES (?, ?, ?, ?) RETURNING id",
                &[Value::Text(name.into()), Value::Text(description.into()), Value::Text(now.into()), Value::Text(by.into())],
            )?,
        };
        id = rows.first().map(|r| r.int(0)).transpose()?.unwrap_or(0);
        Ok(())
    })?;
    Ok(id)
}

pub fn all(sql: &mut dyn Sql, kind: Kind) -> Result<Vec<Group>> {
    sql.query(&format!("{} ORDER BY g.name", select(kind)), &[])?
        .iter()
        .map(group)
        .collect()
}

pub fn get(sql: &mut dyn Sql, kind: Kind, id: i64) -> Result<Option<Group>> {
    sql.query(
        &format!("{} WHERE g.id = ?", select(kind)),
        &[Value::Int(id)],
    )?
    .first()
    .map(group)
    .transpose()
}

/// Adds people (who must exist) to a tag or list; returns how many were not members yet.
pub fn add(
    sql: &mut dyn Sql,
    kind: Kind,
    id: i64,
    people: &[i64],
    by: &str,
    now: &str,
) -> Result<u64> {
    let mut added = 0;
    sql.transaction(&mut |tx| {
        crate::changes::lock(tx)?;
        added = 0;
        for &p in people {
            if tx.query("SELECT id FROM people WHERE id = ?", &[Value::Int(p)])?.is_empty() {
                return Err(StoreError::Invalid(format!("person_ids: no person {p}")));
            }
            let n = tx.execute(
                &format!(
                    "INSERT INTO {m} ({k}, person_id, {at}_at, {at}_by) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    m = kind.members(),
                    k = kind.key(),
                    at = kind.at()
                ),
                &[Value::Int(id), Value::Int(p), Value::Text(now.into()), Value::Text(by.into())],
            )?;
            if n > 0 {
                added += 1;
                change(tx, kind, "created", id, p, now)?;
            }
        }
        Ok(())
    })?;
    Ok(added)
}

fn change(tx: &mut dyn Sql, kind: Kind, what: &str, id: i64, person: i64, now: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO changes (at, kind, resource, resource_id, rkey, load_id) VALUES (?, ?, ?, ?, ?, NULL)",
        &[
            Value::Text(now.into()),
            Value::Text(what.into()),
            Value::Text(kind.resource().into()),
            Value::Int(person),
            Value::Text(format!("{}:{id}", kind.noun())),
        ],
    )?;
    Ok(())
}

/// Removes a person from a tag or list; `false` if they were not a member.
pub fn remove(sql: &mut dyn Sql, kind: Kind, id: i64, person: i64, now: &str) -> Result<bool> {
    let mut removed = false;
    sql.transaction(&mut |tx| {
        crate::changes::lock(tx)?;
        removed = tx.execute(
            &format!(
                "DELETE FROM {} WHERE {} = ? AND person_id = ?",
                kind.members(),
                kind.key()
            ),
            &[Value::Int(id), Value::Int(person)],
        )? > 0;
        if removed {
            change(tx, kind, "deleted", id, person, now)?;
        }
        Ok(())
    })?;
    Ok(removed)
}

/// Members `scope` lets the reader see, by person id: the count and one page.
pub fn members(
    sql: &mut dyn Sql,
    kind: Kind,
    id: i64,
    scope: &Scope,
    offset: usize,
    limit: usize,
) -> Result<(u64, Vec<i64>)> {
    let mut args = vec![Value::Int(id)];
    let Some(filter) = scope_filter(scope, "person_id", &mut args) else {
        return Ok((0, Vec::new()));
    };
    let base = format!("FROM {} WHERE {} = ?{filter}", kind.members(), kind.key());
    let total = sql.query(&format!("SELECT count(*) {base}"), &args)?;
    let total = total.first().map(|r| r.int(0)).transpose()?.unwrap_or(0) as u64;
    args.push(Value::Int(limit as i64));
    args.push(Value::Int(offset as i64));
    let ids = sql
        .query(
            &format!("SELECT person_id {base} ORDER BY person_id LIMIT ? OFFSET ?"),
            &args,
        )?
        .iter()
        .map(|r| r.int(0))
        .collect::<Result<_>>()?;
    Ok((total, ids))
}

/// The names of a person's tags and lists.
pub fn of_person(sql: &mut dyn Sql, person: i64) -> Result<(Vec<String>, Vec<String>)> {
    let mut out = (Vec::new(), Vec::new());
    for (kind, v) in [(Kind::Tag, &mut out.0), (Kind::List, &mut out.1)] {
        for r in sql.query(
            &format!(
                "SELECT g.name FROM {} g JOIN {} m ON m.{} = g.id WHERE m.person_id = ? ORDER BY g.name",
                kind.table(),
                kind.members(),
                kind.key()
            ),
            &[Value::Int(person)],
        )? {
            v.push(r.text(0)?);
        }
    }
    Ok(out)
}
