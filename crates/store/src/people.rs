//! People search and the person-describing columns of a person's source rows, as plain SQL
//! over [`Sql`] (one implementation for both backends). Values arrive normalised the way
//! ingest stores them (upper-case names, `model::normalize` phones, e-mails, streets).

use serde::Serialize;

use crate::sql::{RowExt, Sql, SqlRow};
use crate::{Result, Value};

/// A search stops collecting matches here and says so (`Found::truncated`).
pub const SEARCH_MATCHES_MAX: usize = 10_000;

/// What a search looks for; every given criterion must hold on one source row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PeopleQuery {
    pub last_name: Option<String>,
    /// Prefix of the first name.
    pub first_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// Normalised house number and street (`12`, `MAIN ST`).
    pub house_number: Option<String>,
    pub street: Option<String>,
    pub zip5: Option<String>,
}

impl PeopleQuery {
    pub fn is_empty(&self) -> bool {
        *self == PeopleQuery::default()
    }
}

/// Whose people a reader may see.
#[derive(Debug, Clone, PartialEq)]
pub enum Scope {
    /// Everyone.
    All,
    /// People with a current voter registration in one of these counties.
    Counties(Vec<String>),
    /// Only this person.
    Person(i64),
    /// No one.
    Nothing,
}

/// The tables that describe people, with which search fields each has.
struct PersonTable {
    name: &'static str,
    phone: bool,
    email: bool,
    street: bool,
    /// The select list of `SourceRow`, in its field order.
    select: &'static str,
}

const PERSON_TABLES: [PersonTable; 4] = [
    PersonTable {
        name: "voters",
        phone: true,
        email: false,
        street: true,
        select: "'voters', rkey, person_id, load_id, first_name, middle_name, last_name, name_suffix, address_line, city, res_state, coalesce(zip5, ''), coalesce(phone, ''), '', birth_year, CAST(birth_date AS TEXT), county, precinct, party, status, CAST(registration_date AS TEXT), 0, CASE WHEN removed_load_id IS NULL THEN 0 ELSE 1 END",
    },
    PersonTable {
        name: "volunteers",
        phone: true,
        email: true,
        street: true,
        select: "'volunteers', rkey, person_id, load_id, first_name, middle_name, last_name, name_suffix, address_line, city, state, coalesce(zip5, ''), coalesce(phone, ''), coalesce(email, ''), birth_year, CAST(birth_date AS TEXT), '', '', '', '', CAST(entry_date AS TEXT), 0, 0",
    },
    PersonTable {
        name: "contacts",
        phone: true,
        email: true,
        street: true,
        select: "'contacts', rkey, person_id, load_id, first_name, middle_name, last_name, name_suffix, address_line, city, state, coalesce(zip5, ''), coalesce(phone, ''), coalesce(email, ''), birth_year, CAST(birth_date AS TEXT), '', '', '', '', CAST(entry_date AS TEXT), 0, 0",
    },
    PersonTable {
        name: "donations",
        phone: false,
        email: false,
        street: false,
        select: "'donations', rkey, person_id, load_id, first_name, middle_name, last_name, name_suffix, '', city, state, coalesce(zip5, ''), '', '', NULL, NULL, '', '', '', '', CAST(date AS TEXT), amount_cents, 0",
    },
];

/// The person-describing columns of one source row (what summaries and golden records use).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SourceRow {
    pub table: String,
    pub rkey: String,
    pub person_id: i64,
    pub load_id: i64,
    pub first: String,
    pub middle: String,
    pub last: String,
    pub suffix: String,
    pub address_line: String,
    pub city: String,
    pub state: String,
    pub zip5: String,
    pub phone: String,
    pub email: String,
    pub birth_year: Option<i64>,
    pub birth_date: Option<String>,
    pub county: String,
    pub precinct: String,
    pub party: String,
    pub status: String,
    /// Registration, sign-up or donation date.
    pub date: Option<String>,
    pub amount_cents: i64,
    pub removed: bool,
}

fn source_row(r: &SqlRow) -> Result<SourceRow> {
    Ok(SourceRow {
        table: r.text(0)?,
        rkey: r.text(1)?,
        person_id: r.opt_int(2)?.unwrap_or(0),
        load_id: r.int(3)?,
        first: r.text(4)?,
        middle: r.text(5)?,
        last: r.text(6)?,
        suffix: r.text(7)?,
        address_line: r.text(8)?,
        city: r.text(9)?,
        state: r.text(10)?,
        zip5: r.text(11)?,
        phone: r.text(12)?,
        email: r.text(13)?,
        birth_year: r.opt_int(14)?,
        birth_date: r.opt_text(15)?,
        county: r.text(16)?,
        precinct: r.text(17)?,
        party: r.text(18)?,
        status: r.text(19)?,
        date: r.opt_text(20)?,
        amount_cents: r.int(21)?,
        removed: r.int(22)? != 0,
    })
}

/// The condition (` AND …`) that keeps rows whose `column` (a person id) is in `scope`;
/// `None` when the scope admits no one.
pub(crate) fn scope_filter(scope: &Scope, column: &str, args: &mut Vec<Value>) -> Option<String> {
    match scope {
        Scope::All => Some(String::new()),
        Scope::Nothing => None,
        Scope::Person(p) => {
            args.push(Value::Int(*p));
            Some(format!(" AND {column} = ?"))
        }
        Scope::Counties(c) if c.is_empty() => None,
        Scope::Counties(c) => {
            args.extend(c.iter().map(|c| Value::Text(c.clone())));
            Some(format!(
                " AND {column} IN (SELECT person_id FROM voters WHERE removed_load_id IS NULL AND county IN ({}))",
                placeholders(c.len())
            ))
        }
    }
}

/// Of `ids`, the people `scope` admits (chunks of `IDS_PER_SCOPE_QUERY`).
pub fn admitted(
    sql: &mut dyn Sql,
    ids: &[i64],
    scope: &Scope,
) -> Result<std::collections::HashSet<i64>> {
    let mut out = std::collections::HashSet::new();
    for chunk in ids.chunks(IDS_PER_SCOPE_QUERY) {
        let mut args: Vec<Value> = chunk.iter().map(|i| Value::Int(*i)).collect();
        let Some(filter) = scope_filter(scope, "id", &mut args) else {
            return Ok(out);
        };
        let rows = sql.query(
            &format!(
                "SELECT id FROM people WHERE id IN ({}){filter}",
                placeholders(chunk.len())
            ),
            &args,
        )?;
        for r in rows {
            out.insert(r.int(0)?);
        }
    }
    Ok(out)
}

/// Ids per query of `admitted`.
pub const IDS_PER_SCOPE_QUERY: usize = 500;

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// What a search found: matching person ids (sorted, at most `SEARCH_MATCHES_MAX`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Found {
    pub ids: Vec<i64>,
    pub truncated: bool,
}

/// People with at least one source row matching every criterion of `q`, within `scope`.
pub fn search(sql: &mut dyn Sql, q: &PeopleQuery, scope: &Scope) -> Result<Found> {
    let mut ids = std::collections::BTreeSet::new();
    if q.is_empty() {
        return Ok(Found::default());
    }
    for t in &PERSON_TABLES {
        if (q.phone.is_some() && !t.phone)
            || (q.email.is_some() && !t.email)
            || ((q.street.is_some() || q.house_number.is_some()) && !t.street)
        {
            continue;
        }
        let mut args = Vec::new();
        let mut cond = vec!["person_id IS NOT NULL".to_string()];
        let mut eq = |col: &str, v: &Option<String>, args: &mut Vec<Value>| {
            if let Some(v) = v {
                cond.push(format!("{col} = ?"));
                args.push(Value::Text(v.clone()));
            }
        };
        eq("last_name", &q.last_name, &mut args);
        eq("phone", &q.phone, &mut args);
        eq("email", &q.email, &mut args);
        eq("house_number", &q.house_number, &mut args);
        eq("street", &q.street, &mut args);
        eq("zip5", &q.zip5, &mut args);
        if let Some(f) = &q.first_name {
            cond.push("first_name LIKE ?".into());
            args.push(Value::Text(format!("{}%", f.replace(['%', '_'], ""))));
        }
        let Some(filter) = scope_filter(scope, "person_id", &mut args) else {
            return Ok(Found::default());
        };
        args.push(Value::Int(SEARCH_MATCHES_MAX as i64 + 1));
        let rows = sql.query(
            &format!(
                "SELECT DISTINCT person_id FROM {} WHERE {}{filter} ORDER BY person_id LIMIT ?",
                t.name,
                cond.join(" AND ")
            ),
            &args,
        )?;
        for r in rows {
            ids.insert(r.int(0)?);
        }
    }
    let truncated = ids.len() > SEARCH_MATCHES_MAX;
    Ok(Found {
        ids: ids.into_iter().take(SEARCH_MATCHES_MAX).collect(),
        truncated,
    })
}

/// Every person in `scope`, by id: the total and one page.
pub fn list(
    sql: &mut dyn Sql,
    scope: &Scope,
    offset: usize,
    limit: usize,
) -> Result<(u64, Vec<i64>)> {
    let mut args = Vec::new();
    let Some(filter) = scope_filter(scope, "id", &mut args) else {
        return Ok((0, Vec::new()));
    };
    let total = sql.query(
        &format!("SELECT count(*) FROM people WHERE 1 = 1{filter}"),
        &args,
    )?;
    let total = total.first().map(|r| r.int(0)).transpose()?.unwrap_or(0) as u64;
    args.push(Value::Int(limit as i64));
    args.push(Value::Int(offset as i64));
    let ids = sql
        .query(
            &format!("SELECT id FROM people WHERE 1 = 1{filter} ORDER BY id LIMIT ? OFFSET ?"),
            &args,
        )?
        .iter()
        .map(|r| r.int(0))
        .collect::<Result<_>>()?;
    Ok((total, ids))
}

/// Whether `scope` lets a reader see person `id`.
pub fn in_scope(sql: &mut dyn Sql, id: i64, scope: &Scope) -> Result<bool> {
    let mut args = vec![Value::Int(id)];
    let Some(filter) = scope_filter(scope, "id", &mut args) else {
        return Ok(false);
    };
    let rows = sql.query(
        &format!("SELECT id FROM people WHERE id = ?{filter}"),
        &args,
    )?;
    Ok(!rows.is_empty())
}

/// The source rows of these people, every person table, newest load first within a table.
pub fn source_rows(sql: &mut dyn Sql, ids: &[i64]) -> Result<Vec<SourceRow>> {
    let mut out = Vec::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let args: Vec<Value> = ids.iter().map(|i| Value::Int(*i)).collect();
    for t in &PERSON_TABLES {
        let rows = sql.query(
            &format!(
                "SELECT {} FROM {} WHERE person_id IN ({}) ORDER BY load_id DESC, rkey",
                t.select,
                t.name,
                placeholders(ids.len())
            ),
            &args,
        )?;
        for r in &rows {
            out.push(source_row(r)?);
        }
    }
    Ok(out)
}

/// The identity-resolution columns of one record by key, whichever person table holds it
/// (removed voters included), with its table.
pub fn resolution_row(
    sql: &mut dyn Sql,
    rkey: &str,
) -> Result<Option<(crate::Table, crate::ResolutionRow)>> {
    use crate::Table;
    for t in [
        Table::Voters,
        Table::Volunteers,
        Table::Contacts,
        Table::Donations,
    ] {
        let Some((select, _)) = crate::resolution_select(t) else {
            continue;
        };
        let select = select.replace("birth_date,", "CAST(birth_date AS TEXT),");
        let rows = sql.query(
            &format!("SELECT {select} FROM {} WHERE rkey = ?", t.name()),
            &[Value::Text(rkey.into())],
        )?;
        if let Some(r) = rows.first() {
            return Ok(Some((
                t,
                crate::ResolutionRow {
                    rkey: r.text(0)?,
                    person_id: r.opt_int(1)?,
                    first: r.text(2)?,
                    middle: r.text(3)?,
                    last: r.text(4)?,
                    suffix: r.text(5)?,
                    birth_year: r.opt_int(6)?,
                    birth_date: r.opt_text(7)?,
                    address_line: r.text(8)?,
                    city: r.text(9)?,
                    state: r.text(10)?,
                    zip5: r.text(11)?,
                    phone: r.text(12)?,
                    email: r.text(13)?,
                },
            )));
        }
    }
    Ok(None)
}
