//! The PostgreSQL backend, for a campaign that runs a database server.
//!
//! A load is one transaction (serialised by an advisory lock). Each batch is sent with
//! `COPY ... FROM STDIN` into a temporary staging table and merged with set-based SQL, so a
//! batch costs a handful of round trips whatever its size.

use std::io::Write;

use postgres::{Client, NoTls, Transaction};
use store::{
    ColType, Household, LoadEnd, LoadInfo, LoadMeta, LoadSession, Outcome, PersonView, Result, Row,
    SourceRecordView, Store, StoreError, Table, Value,
};

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_person_store.sql")),
    (2, include_str!("../migrations/0002_review_queue.sql")),
    (3, include_str!("../migrations/0003_accounts.sql")),
    (4, include_str!("../migrations/0004_changes.sql")),
    (5, include_str!("../migrations/0005_search_indexes.sql")),
    (6, include_str!("../migrations/0006_webhooks.sql")),
    (7, include_str!("../migrations/0007_tags_lists.sql")),
    (8, include_str!("../migrations/0008_load_indexes.sql")),
    (9, include_str!("../migrations/0009_scores.sql")),
    (10, include_str!("../migrations/0010_universes.sql")),
    (11, include_str!("../migrations/0011_allocations.sql")),
    (12, include_str!("../migrations/0012_turfs.sql")),
    (13, include_str!("../migrations/0013_turnout.sql")),
    (14, include_str!("../migrations/0014_sharing.sql")),
    (15, include_str!("../migrations/0015_sharing_limits.sql")),
    (16, include_str!("../migrations/0016_trips.sql")),
    (17, include_str!("../migrations/0017_region_goals.sql")),
    (18, include_str!("../migrations/0018_teams.sql")),
    (19, include_str!("../migrations/0019_goal_baselines.sql")),
];

/// Advisory lock keys: schema migration, and loads (one load at a time, as on SQLite).
const MIGRATION_LOCK: i64 = 0x7475_736b_0001;
const LOAD_LOCK: i64 = 0x7475_736b_0002;

fn err(e: postgres::Error) -> StoreError {
    // The server's message (with its detail) is what helps; the driver's Display is terse.
    match e.as_db_error() {
        Some(db) => StoreError::Backend(format!("{}: {}", db.code().code(), db.message())),
        None => StoreError::Backend(e.to_string()),
    }
}

fn io_err(e: std::io::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

pub struct PostgresStore {
    client: Client,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host:port/db`) and brings the schema up to date.
    pub fn connect(url: &str) -> Result<PostgresStore> {
        let client = Client::connect(url, NoTls).map_err(err)?;
        let mut s = PostgresStore { client };
        s.migrate()?;
        Ok(s)
    }

    fn migrate(&mut self) -> Result<()> {
        let mut tx = self.client.transaction().map_err(err)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .map_err(err)?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
        )
        .map_err(err)?;
        let version: i64 = tx
            .query_one(
                "SELECT coalesce(max(version), 0) FROM schema_migrations",
                &[],
            )
            .map_err(err)?
            .get(0);
        let known = MIGRATIONS.last().map(|m| m.0).unwrap_or(0);
        if version > known {
            return Err(StoreError::SchemaTooNew {
                found: version,
                known,
            });
        }
        for (v, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > version) {
            tx.batch_execute(sql).map_err(err)?;
            tx.execute("INSERT INTO schema_migrations (version) VALUES ($1)", &[v])
                .map_err(err)?;
        }
        tx.commit().map_err(err)
    }
}

/// A parameter of `Sql` statements: written as whatever type the server inferred for it.
#[derive(Debug)]
struct Param<'a>(&'a Value);

impl postgres::types::ToSql for Param<'_> {
    fn to_sql(
        &self,
        ty: &postgres::types::Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> std::result::Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>>
    {
        use postgres::types::Type;
        let text = |s: &str, out: &mut postgres::types::private::BytesMut| s.to_sql(ty, out);
        match self.0 {
            Value::Null => Ok(postgres::types::IsNull::Yes),
            Value::Int(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                Type::BOOL => (*i != 0).to_sql(ty, out),
                _ => text(&i.to_string(), out),
            },
            Value::Bool(b) => match *ty {
                Type::BOOL => b.to_sql(ty, out),
                _ => (*b as i64).to_sql(ty, out),
            },
            Value::Text(s) => text(s, out),
            Value::Date(d) => text(&d.to_string(), out),
        }
    }

    fn accepts(_: &postgres::types::Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

fn value_at(row: &postgres::Row, i: usize) -> Result<Value> {
    use postgres::types::Type;
    let ty = row.columns()[i].type_().clone();
    let v = match ty {
        Type::INT8 => row.try_get::<_, Option<i64>>(i).map(|v| v.map(Value::Int)),
        Type::INT4 => row
            .try_get::<_, Option<i32>>(i)
            .map(|v| v.map(|v| Value::Int(v as i64))),
        Type::INT2 => row
            .try_get::<_, Option<i16>>(i)
            .map(|v| v.map(|v| Value::Int(v as i64))),
        Type::BOOL => row
            .try_get::<_, Option<bool>>(i)
            .map(|v| v.map(Value::Bool)),
        Type::FLOAT8 => row
            .try_get::<_, Option<f64>>(i)
            .map(|v| v.map(|v| Value::Text(v.to_string()))),
        _ => row
            .try_get::<_, Option<String>>(i)
            .map(|v| v.map(Value::Text)),
    };
    Ok(v.map_err(err)?.unwrap_or(Value::Null))
}

fn pg_query(
    c: &mut impl postgres::GenericClient,
    sql: &str,
    args: &[Value],
) -> Result<Vec<store::sql::SqlRow>> {
    let params: Vec<Param> = args.iter().map(Param).collect();
    let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = params
        .iter()
        .map(|p| p as &(dyn postgres::types::ToSql + Sync))
        .collect();
    let rows = c
        .query(&store::sql::number_placeholders(sql), &refs)
        .map_err(err)?;
    rows.iter()
        .map(|r| (0..r.len()).map(|i| value_at(r, i)).collect())
        .collect()
}

fn pg_query_each(
    c: &mut impl postgres::GenericClient,
    sql: &str,
    args: &[Value],
    f: &mut dyn FnMut(&[Value]) -> Result<()>,
) -> Result<()> {
    use postgres::fallible_iterator::FallibleIterator;
    let params: Vec<Param> = args.iter().map(Param).collect();
    let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = params
        .iter()
        .map(|p| p as &(dyn postgres::types::ToSql + Sync))
        .collect();
    let mut it = c
        .query_raw(&store::sql::number_placeholders(sql), refs)
        .map_err(err)?;
    let mut row = Vec::new();
    while let Some(r) = it.next().map_err(err)? {
        row.clear();
        for i in 0..r.len() {
            row.push(value_at(&r, i)?);
        }
        f(&row)?;
    }
    Ok(())
}

fn pg_execute(c: &mut impl postgres::GenericClient, sql: &str, args: &[Value]) -> Result<u64> {
    let params: Vec<Param> = args.iter().map(Param).collect();
    let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = params
        .iter()
        .map(|p| p as &(dyn postgres::types::ToSql + Sync))
        .collect();
    c.execute(&store::sql::number_placeholders(sql), &refs)
        .map_err(err)
}

impl store::sql::Sql for PostgresStore {
    fn dialect(&self) -> store::sql::Dialect {
        store::sql::Dialect::Postgres
    }

    fn query(&mut self, sql: &str, args: &[Value]) -> Result<Vec<store::sql::SqlRow>> {
        pg_query(&mut self.client, sql, args)
    }

    fn query_each(
        &mut self,
        sql: &str,
        args: &[Value],
        f: &mut dyn FnMut(&[Value]) -> Result<()>,
    ) -> Result<()> {
        pg_query_each(&mut self.client, sql, args, f)
    }

    fn execute(&mut self, sql: &str, args: &[Value]) -> Result<u64> {
        pg_execute(&mut self.client, sql, args)
    }

    fn transaction(
        &mut self,
        f: &mut dyn FnMut(&mut dyn store::sql::Sql) -> Result<()>,
    ) -> Result<()> {
        self.client.batch_execute("BEGIN").map_err(err)?;
        match f(self) {
            Ok(()) => self.client.batch_execute("COMMIT").map_err(err),
            Err(e) => {
                let _ = self.client.batch_execute("ROLLBACK");
                Err(e)
            }
        }
    }
}

/// SQL inside an open load's transaction.
struct InLoad<'t, 'a>(&'t mut Transaction<'a>);

impl store::sql::Sql for InLoad<'_, '_> {
    fn dialect(&self) -> store::sql::Dialect {
        store::sql::Dialect::Postgres
    }

    fn query(&mut self, sql: &str, args: &[Value]) -> Result<Vec<store::sql::SqlRow>> {
        pg_query(self.0, sql, args)
    }

    fn execute(&mut self, sql: &str, args: &[Value]) -> Result<u64> {
        pg_execute(self.0, sql, args)
    }

    fn transaction(
        &mut self,
        f: &mut dyn FnMut(&mut dyn store::sql::Sql) -> Result<()>,
    ) -> Result<()> {
        f(self)
    }
}

fn pg_type(t: ColType) -> &'static str {
    match t {
        ColType::Text => "text",
        ColType::Int => "bigint",
        ColType::Date => "date",
        ColType::Bool => "boolean",
    }
}

/// Writes one value in COPY text format.
fn copy_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.extend_from_slice(b"\\N"),
        Value::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Value::Text(s) => copy_text(out, s),
        Value::Date(d) => out.extend_from_slice(d.to_string().as_bytes()),
        Value::Bool(b) => out.push(if *b { b't' } else { b'f' }),
    }
}

fn copy_text(out: &mut Vec<u8>, s: &str) {
    for b in s.bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            0 => {}
            b => out.push(b),
        }
    }
}

struct PgLoad<'a> {
    tx: Option<Transaction<'a>>,
    load_id: i64,
    /// Per table: keys put in `seen_<table>` so far, and how many there were when it was last
    /// analysed (it is analysed again each time it doubles).
    seen: std::collections::HashMap<&'static str, (u64, u64)>,
}

impl<'a> PgLoad<'a> {
    /// The open transaction; `tx` is only `None` after commit.
    fn tx(&mut self) -> &mut Transaction<'a> {
        self.tx.as_mut().expect("the load is open until commit")
    }
}

impl Store for PostgresStore {
    fn sql(&mut self) -> &mut dyn store::sql::Sql {
        self
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn begin_load<'a>(&'a mut self, meta: &LoadMeta) -> Result<Box<dyn LoadSession + 'a>> {
        let mut tx = self.client.transaction().map_err(err)?;
        // Merges look rows up by key through the target's index: a hash join would scan the
        // whole target for every batch (the planner has no statistics for the staging tables).
        tx.batch_execute("SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off")
            .map_err(err)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOAD_LOCK])
            .map_err(err)?;
        let row = tx
            .query_one(
                "INSERT INTO loads (kind, source, file_name, file_bytes, file_hash, header, loaded_by, started_at) \
                 VALUES ($1, $2, $3, $4, '', $5, $6, $7) RETURNING id",
                &[
                    &meta.kind,
                    &meta.source,
                    &meta.file_name,
                    &(meta.file_bytes as i64),
                    &meta.header,
                    &meta.loaded_by,
                    &meta.started_at,
                ],
            )
            .map_err(err)?;
        let load_id: i64 = row.get(0);
        let mut ddl = String::new();
        for t in Table::ALL {
            let spec = t.spec();
            let cols: Vec<String> = spec
                .columns
                .iter()
                .map(|(c, ty)| format!("{c} {}", pg_type(*ty)))
                .collect();
            ddl.push_str(&format!(
                "CREATE TEMP TABLE stg_{n} (ord bigint, rkey text, row_number bigint, raw text, hash bigint, {}) ON COMMIT DROP; \
                 CREATE TEMP TABLE seen_{n} (rkey text PRIMARY KEY, row_number bigint NOT NULL, hash bigint NOT NULL) ON COMMIT DROP; ",
                cols.join(", "),
                n = spec.name
            ));
        }
        tx.batch_execute(&ddl).map_err(err)?;
        Ok(Box::new(PgLoad {
            tx: Some(tx),
            load_id,
            seen: std::collections::HashMap::new(),
        }))
    }

    fn loads(&mut self) -> Result<Vec<LoadInfo>> {
        let rows = self
            .client
            .query(
                "SELECT id, kind, source, file_name, file_bytes, file_hash, loaded_by, started_at, \
                 coalesce(finished_at, ''), read, accepted, rejected, new, updated, unchanged, duplicate, removed, \
                 rejects_file, scope, summary FROM loads WHERE finished_at IS NOT NULL ORDER BY id",
                &[],
            )
            .map_err(err)?;
        Ok(rows
            .iter()
            .map(|r| {
                let n = |i: usize| r.get::<_, i64>(i) as u64;
                let summary: String = r.get(19);
                LoadInfo {
                    id: r.get(0),
                    kind: r.get(1),
                    source: r.get(2),
                    file_name: r.get(3),
                    file_bytes: r.get(4),
                    file_hash: r.get(5),
                    loaded_by: r.get(6),
                    started_at: r.get(7),
                    finished_at: r.get(8),
                    counts: store::LoadCounts {
                        read: n(9),
                        accepted: n(10),
                        rejected: n(11),
                        new: n(12),
                        updated: n(13),
                        unchanged: n(14),
                        duplicate: n(15),
                        removed: n(16),
                    },
                    rejects_file: r.get(17),
                    scope: r.get(18),
                    summary: serde_json::from_str(&summary).unwrap_or(serde_json::Value::Null),
                }
            })
            .collect())
    }

    fn person(&mut self, id: i64) -> Result<Option<PersonView>> {
        let Some(p) = self
            .client
            .query_opt("SELECT created_load_id FROM people WHERE id = $1", &[&id])
            .map_err(err)?
        else {
            return Ok(None);
        };
        let mut view = PersonView {
            id,
            created_load_id: p.get(0),
            household_id: None,
            display_name: String::new(),
            address: String::new(),
            records: Vec::new(),
        };
        let voters = self
            .client
            .query(
                "SELECT rkey, household_id, first_name, middle_name, last_name, name_suffix, address_line, city, res_state, coalesce(zip5, '') \
                 FROM voters WHERE person_id = $1 ORDER BY load_id DESC, rkey",
                &[&id],
            )
            .map_err(err)?;
        if let Some(r) = voters.first() {
            view.household_id = r.get(1);
            let parts: Vec<String> = (2..6)
                .map(|i| r.get::<_, String>(i))
                .filter(|p| !p.is_empty())
                .collect();
            view.display_name = parts.join(" ");
            view.address = store::display_address(
                &r.get::<_, String>(6),
                &r.get::<_, String>(7),
                &r.get::<_, String>(8),
                &r.get::<_, String>(9),
            );
        }
        let voter_keys: Vec<String> = voters.iter().map(|r| r.get(0)).collect();
        let mut push = |client: &mut Client,
                        table: &str,
                        filter: &str,
                        arg: &(dyn postgres::types::ToSql + Sync)|
         -> Result<()> {
            let removed = if table == "voters" {
                "t.removed_load_id"
            } else {
                "NULL::bigint"
            };
            let sql = format!(
                "SELECT t.rkey, t.load_id, t.first_load_id, t.row_number, {removed}, t.raw, l.header \
                 FROM {table} t JOIN loads l ON l.id = t.load_id WHERE {filter} ORDER BY t.rkey"
            );
            for r in client.query(&sql, &[arg]).map_err(err)? {
                let raw: String = r.get(5);
                let header: String = r.get(6);
                view.records.push(SourceRecordView {
                    table: table.to_string(),
                    rkey: r.get(0),
                    load_id: r.get(1),
                    first_load_id: r.get(2),
                    row_number: r.get(3),
                    removed_load_id: r.get(4),
                    header: if header.is_empty() {
                        Vec::new()
                    } else {
                        model::split_fields(&header)
                    },
                    fields: model::split_fields(&raw),
                });
            }
            Ok(())
        };
        push(&mut self.client, "voters", "t.person_id = $1", &id)?;
        for key in &voter_keys {
            push(&mut self.client, "vote_history", "t.voter_rkey = $1", key)?;
            push(&mut self.client, "ballots", "t.voter_rkey = $1", key)?;
            push(&mut self.client, "field_results", "t.voter_rkey = $1", key)?;
        }
        for table in ["donations", "volunteers", "contacts"] {
            push(&mut self.client, table, "t.person_id = $1", &id)?;
        }
        Ok(Some(view))
    }

    fn person_of_voter(&mut self, voter_rkey: &str) -> Result<Option<i64>> {
        Ok(self
            .client
            .query_opt(
                "SELECT person_id FROM voters WHERE rkey = $1",
                &[&voter_rkey],
            )
            .map_err(err)?
            .map(|r| r.get(0)))
    }

    fn review_items(&mut self, undecided_only: bool) -> Result<Vec<store::ReviewItem>> {
        let filter = if undecided_only {
            "WHERE decision IS NULL"
        } else {
            ""
        };
        let rows = self
            .client
            .query(
                &format!(
                    "SELECT left_rkey, right_rkey, probability, weight, created_load_id, decision, decided_by, decided_at \
                     FROM review_queue {filter} ORDER BY probability DESC, left_rkey, right_rkey"
                ),
                &[],
            )
            .map_err(err)?;
        Ok(rows
            .iter()
            .map(|r| store::ReviewItem {
                left_rkey: r.get(0),
                right_rkey: r.get(1),
                probability: r.get(2),
                weight: r.get(3),
                created_load_id: r.get(4),
                decision: r.get(5),
                decided_by: r.get(6),
                decided_at: r.get(7),
            })
            .collect())
    }

    fn decide(&mut self, left: &str, right: &str, accept: bool, by: &str, at: &str) -> Result<()> {
        let d = if accept { "accept" } else { "reject" };
        self.client
            .execute(
                "INSERT INTO review_queue (left_rkey, right_rkey, probability, weight, created_load_id, decision, decided_by, decided_at) \
                 VALUES ($1, $2, 0, 0, 0, $3, $4, $5) \
                 ON CONFLICT (left_rkey, right_rkey) DO UPDATE SET decision = $3, decided_by = $4, decided_at = $5",
                &[&left, &right, &d, &by, &at],
            )
            .map_err(err)?;
        Ok(())
    }

    fn resolution_rows(&mut self, table: Table) -> Result<Vec<store::ResolutionRow>> {
        let Some((select, filter)) = store::resolution_select(table) else {
            return Ok(Vec::new());
        };
        let select = select
            .replace("NULL, NULL", "NULL::bigint, NULL::text")
            .replace("birth_date,", "birth_date::text,");
        let sql = format!(
            "SELECT {select} FROM {} WHERE {filter} ORDER BY rkey",
            table.name()
        );
        let rows = self.client.query(&sql, &[]).map_err(err)?;
        Ok(rows
            .iter()
            .map(|r| store::ResolutionRow {
                rkey: r.get(0),
                person_id: r.get(1),
                first: r.get(2),
                middle: r.get(3),
                last: r.get(4),
                suffix: r.get(5),
                birth_year: r.get(6),
                birth_date: r.get(7),
                address_line: r.get(8),
                city: r.get(9),
                state: r.get(10),
                zip5: r.get(11),
                phone: r.get(12),
                email: r.get(13),
            })
            .collect())
    }

    fn count(&mut self, table: Table) -> Result<u64> {
        let n: i64 = self
            .client
            .query_one(&format!("SELECT count(*) FROM {}", table.name()), &[])
            .map_err(err)?
            .get(0);
        Ok(n as u64)
    }

    fn donation_total_cents(&mut self) -> Result<i64> {
        let r = self
            .client
            .query_one(
                "SELECT coalesce(sum(amount_cents), 0)::bigint FROM donations WHERE NOT memo",
                &[],
            )
            .map_err(err)?;
        Ok(r.get(0))
    }

    fn dump(&mut self) -> Result<String> {
        let mut out = String::new();
        for (name, select, order) in store::dump_selects(true) {
            out.push_str(&format!("## {name}\n"));
            let sql = format!("SELECT {select} FROM {name} ORDER BY {order}");
            for r in self.client.query(&sql, &[]).map_err(err)? {
                let line: Vec<String> = (0..r.len())
                    .map(|i| {
                        let v: Option<String> = r.get(i);
                        store::dump_value(&v.map(Value::Text).unwrap_or(Value::Null))
                    })
                    .collect();
                out.push_str(&line.join("\t"));
                out.push('\n');
            }
        }
        Ok(out)
    }

    fn columns(&mut self, table: &str) -> Result<Vec<String>> {
        let rows = self
            .client
            .query(
                "SELECT column_name::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
                &[&table],
            )
            .map_err(err)?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }
}

impl LoadSession for PgLoad<'_> {
    fn load_id(&self) -> i64 {
        self.load_id
    }

    fn apply(&mut self, table: Table, rows: &[Row]) -> Result<Vec<Outcome>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let spec = table.spec();
        let n = spec.name;
        let load_id = self.load_id;
        let cols: Vec<&str> = spec.columns.iter().map(|c| c.0).collect();
        let tx = self.tx();
        tx.batch_execute(&format!("TRUNCATE stg_{n}"))
            .map_err(err)?;
        {
            let mut w = tx
                .copy_in(&format!(
                    "COPY stg_{n} (ord, rkey, row_number, raw, hash, {}) FROM STDIN",
                    cols.join(", ")
                ))
                .map_err(err)?;
            let mut buf = Vec::with_capacity(64 * 1024);
            for (ord, row) in rows.iter().enumerate() {
                buf.extend_from_slice(ord.to_string().as_bytes());
                buf.push(b'\t');
                copy_text(&mut buf, &row.rkey);
                buf.push(b'\t');
                buf.extend_from_slice(row.row_number.to_string().as_bytes());
                buf.push(b'\t');
                copy_text(&mut buf, &row.raw);
                buf.push(b'\t');
                buf.extend_from_slice(row.hash.to_string().as_bytes());
                for v in &row.values {
                    buf.push(b'\t');
                    copy_value(&mut buf, v);
                }
                buf.push(b'\n');
                if buf.len() > 60 * 1024 {
                    w.write_all(&buf).map_err(io_err)?;
                    buf.clear();
                }
            }
            w.write_all(&buf).map_err(io_err)?;
            w.finish().map_err(err)?;
        }
        // Temporary tables are never analysed by autovacuum: without statistics the planner
        // can take a batch for a handful of rows and join it by nested loops over a big table
        // whose own statistics are stale (a load into a table that was tiny when last
        // analysed), which turns each batch quadratic. Fresh statistics of the batch and of
        // the keys seen so far keep the joins hashed or indexed.
        let seen = self.seen.entry(n).or_insert((0, 0));
        let analyse_seen = seen.0 > 0 && seen.0 >= 2 * seen.1;
        if analyse_seen {
            seen.1 = seen.0;
        }
        seen.0 += rows.len() as u64;
        let tx = self.tx();
        tx.batch_execute(&format!(
            "ANALYZE stg_{n};{}",
            // The target table too: ANALYZE counts this transaction's own new rows, so its
            // statistics follow the load instead of the table as it was before.
            if analyse_seen {
                format!(" ANALYZE seen_{n}; ANALYZE {n};")
            } else {
                String::new()
            }
        ))
        .map_err(err)?;
        let removed = if spec.removable {
            "t.removed_load_id IS NOT NULL"
        } else {
            "false"
        };
        let class = tx
            .query(
                &format!(
                    "SELECT s.ord, sn.row_number, sn.hash, t.hash, {removed} \
                     FROM stg_{n} s LEFT JOIN seen_{n} sn ON sn.rkey = s.rkey LEFT JOIN {n} t ON t.rkey = s.rkey"
                ),
                &[],
            )
            .map_err(err)?;
        let mut outcomes = vec![Outcome::New; rows.len()];
        for r in class {
            let ord: i64 = r.get(0);
            let row = &rows[ord as usize];
            let seen_row: Option<i64> = r.get(1);
            let seen_hash: Option<i64> = r.get(2);
            let t_hash: Option<i64> = r.get(3);
            let t_removed: bool = r.get(4);
            outcomes[ord as usize] = match (seen_row, seen_hash, t_hash) {
                (Some(first), Some(h), _) => {
                    if h == row.hash {
                        Outcome::Duplicate
                    } else {
                        Outcome::Conflict {
                            first_row: first as u64,
                        }
                    }
                }
                (_, _, None) => Outcome::New,
                (_, _, Some(h)) if h == row.hash && !t_removed => Outcome::Unchanged,
                _ => Outcome::Updated,
            };
        }
        let changed = format!("t.hash <> s.hash OR {removed}");
        let person_col = if spec.creates_person {
            "person_id, "
        } else {
            ""
        };
        let person_val = if spec.creates_person {
            "nextval('people_id_seq'), "
        } else {
            ""
        };
        let removed_set = if spec.removable {
            "removed_load_id = NULL, "
        } else {
            ""
        };
        let sets: Vec<String> = cols.iter().map(|c| format!("{c} = s.{c}")).collect();
        let s_cols: Vec<String> = cols.iter().map(|c| format!("s.{c}")).collect();
        tx.batch_execute(&format!(
            "DELETE FROM stg_{n} s USING seen_{n} sn WHERE sn.rkey = s.rkey; \
             INSERT INTO seen_{n} (rkey, row_number, hash) SELECT rkey, row_number, hash FROM stg_{n}; \
             INSERT INTO record_versions (table_name, rkey, load_id, row_number, raw, hash, replaced_by_load_id) \
               SELECT '{n}', t.rkey, t.load_id, t.row_number, t.raw, t.hash, {load_id} FROM {n} t JOIN stg_{n} s ON s.rkey = t.rkey \
               WHERE {changed}; \
             UPDATE {n} t SET load_id = {load_id}, row_number = s.row_number, raw = s.raw, hash = s.hash, {removed_set}{sets} \
               FROM stg_{n} s WHERE t.rkey = s.rkey AND ({changed}); \
             {with_people}INSERT INTO {n} (rkey, {person_col}load_id, first_load_id, row_number, raw, hash, {cols}) \
               SELECT s.rkey, {person_val}{load_id}, {load_id}, s.row_number, s.raw, s.hash, {s_cols} FROM stg_{n} s \
               WHERE NOT EXISTS (SELECT 1 FROM {n} t WHERE t.rkey = s.rkey) ORDER BY s.ord{people};",
            with_people = if spec.creates_person { "WITH ins AS (" } else { "" },
            people = if spec.creates_person {
                format!(" RETURNING person_id) INSERT INTO people (id, created_load_id) SELECT person_id, {load_id} FROM ins")
            } else {
                String::new()
            },
            sets = sets.join(", "),
            cols = cols.join(", "),
            s_cols = s_cols.join(", "),
        ))
        .map_err(err)?;
        Ok(outcomes)
    }

    fn mark_seen(&mut self, table: Table, keys: &[(String, u64)]) -> Result<()> {
        let n = table.name();
        let rkeys: Vec<&str> = keys.iter().map(|k| k.0.as_str()).collect();
        let rows: Vec<i64> = keys.iter().map(|k| k.1 as i64).collect();
        self.tx()
            .execute(
                &format!(
                    "INSERT INTO seen_{n} (rkey, row_number, hash) SELECT k, r, 0 FROM unnest($1::text[], $2::bigint[]) AS u(k, r) \
                     ON CONFLICT (rkey) DO NOTHING"
                ),
                &[&rkeys, &rows],
            )
            .map_err(err)?;
        Ok(())
    }

    fn assign_persons(&mut self, assignments: &[(Table, String, store::PersonRef)]) -> Result<u64> {
        let load_id = self.load_id;
        let mut groups: Vec<u32> = assignments
            .iter()
            .filter_map(|(_, _, w)| match w {
                store::PersonRef::New(n) => Some(*n),
                _ => None,
            })
            .collect();
        groups.sort_unstable();
        groups.dedup();
        let tx = self.tx();
        let ids: Vec<i64> = if groups.is_empty() {
            Vec::new()
        } else {
            let rows = tx
                .query(
                    "INSERT INTO people (id, created_load_id) SELECT nextval('people_id_seq'), $1 \
                     FROM generate_series(1, $2::bigint) RETURNING id",
                    &[&load_id, &(groups.len() as i64)],
                )
                .map_err(err)?;
            let mut ids: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
            ids.sort_unstable();
            ids
        };
        for table in [Table::Donations, Table::Volunteers, Table::Contacts] {
            let (mut rkeys, mut pids): (Vec<&str>, Vec<i64>) = (Vec::new(), Vec::new());
            for (t, k, w) in assignments {
                if *t == Table::Voters || store::resolution_select(*t).is_none() {
                    return Err(StoreError::Invalid(format!(
                        "persons are not assigned on {}",
                        t.name()
                    )));
                }
                if *t != table {
                    continue;
                }
                rkeys.push(k);
                pids.push(match w {
                    store::PersonRef::Existing(p) => *p,
                    store::PersonRef::New(n) => ids[groups.binary_search(n).unwrap_or(0)],
                });
            }
            if rkeys.is_empty() {
                continue;
            }
            tx.execute(
                &format!(
                    "INSERT INTO person_assignments (load_id, table_name, rkey, person_id, prev_person_id) \
                     SELECT $3, '{0}', t.rkey, u.p, t.person_id FROM {0} t \
                     JOIN unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS u(k, p, n) ON t.rkey = u.k ORDER BY u.n",
                    table.name()
                ),
                &[&rkeys, &pids, &load_id],
            )
            .map_err(err)?;
            tx.execute(
                &format!(
                    "UPDATE {} t SET person_id = u.p FROM unnest($1::text[], $2::bigint[]) AS u(k, p) WHERE t.rkey = u.k",
                    table.name()
                ),
                &[&rkeys, &pids],
            )
            .map_err(err)?;
        }
        Ok(groups.len() as u64)
    }

    fn enqueue_reviews(&mut self, items: &[store::ReviewCandidate]) -> Result<u64> {
        if items.is_empty() {
            return Ok(0);
        }
        let load_id = self.load_id;
        let l: Vec<&str> = items.iter().map(|c| c.left_rkey.as_str()).collect();
        let r: Vec<&str> = items.iter().map(|c| c.right_rkey.as_str()).collect();
        let p: Vec<f64> = items.iter().map(|c| c.probability).collect();
        let w: Vec<f64> = items.iter().map(|c| c.weight).collect();
        self.tx()
            .execute(
                "INSERT INTO review_queue (left_rkey, right_rkey, probability, weight, created_load_id) \
                 SELECT l, r, p, w, $5 FROM unnest($1::text[], $2::text[], $3::float8[], $4::float8[]) AS u(l, r, p, w) \
                 ON CONFLICT (left_rkey, right_rkey) DO NOTHING",
                &[&l, &r, &p, &w, &load_id],
            )
            .map_err(err)
    }

    fn ensure_households(&mut self, households: &[Household]) -> Result<()> {
        if households.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = households.iter().map(|h| h.id).collect();
        let keys: Vec<&str> = households.iter().map(|h| h.key.as_str()).collect();
        let lines: Vec<&str> = households.iter().map(|h| h.address_line.as_str()).collect();
        let cities: Vec<&str> = households.iter().map(|h| h.city.as_str()).collect();
        let states: Vec<&str> = households.iter().map(|h| h.state.as_str()).collect();
        let zips: Vec<&str> = households.iter().map(|h| h.zip5.as_str()).collect();
        self.tx()
            .execute(
                "INSERT INTO households (id, address_key, address_line, city, state, zip5) \
                 SELECT DISTINCT ON (id) * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS u(id, k, l, c, s, z) \
                 ON CONFLICT (id) DO NOTHING",
                &[&ids, &keys, &lines, &cities, &states, &zips],
            )
            .map_err(err)?;
        Ok(())
    }

    fn mark_removed(
        &mut self,
        source: &str,
        counties: Option<&[String]>,
    ) -> Result<store::Removal> {
        let load_id = self.load_id;
        let all = counties.is_none();
        let list: Vec<&str> = counties.unwrap_or(&[]).iter().map(String::as_str).collect();
        let scope = "source = $1 AND removed_load_id IS NULL AND ($2 OR county_id = ANY($3))";
        let in_scope: i64 = self
            .tx()
            .query_one(
                &format!("SELECT count(*) FROM voters WHERE {scope}"),
                &[&source, &all, &list],
            )
            .map_err(err)?
            .get(0);
        let removed = self
            .tx()
            .execute(
                &format!(
                    "UPDATE voters SET removed_load_id = $4 WHERE {scope} \
                     AND NOT EXISTS (SELECT 1 FROM seen_voters s WHERE s.rkey = voters.rkey)"
                ),
                &[&source, &all, &list, &load_id],
            )
            .map_err(err)?;
        Ok(store::Removal {
            removed,
            in_scope: in_scope as u64,
        })
    }

    fn commit(mut self: Box<Self>, end: &LoadEnd) -> Result<i64> {
        let load_id = self.load_id;
        let c = &end.counts;
        let mut tx = self.tx.take().expect("the load is open until commit");
        let n = |v: u64| v as i64;
        tx.execute(
            "UPDATE loads SET file_hash = $1, finished_at = $2, read = $3, accepted = $4, rejected = $5, new = $6, \
             updated = $7, unchanged = $8, duplicate = $9, removed = $10, rejects_file = $11, scope = $12, summary = $13 \
             WHERE id = $14",
            &[
                &end.file_hash,
                &end.finished_at,
                &n(c.read),
                &n(c.accepted),
                &n(c.rejected),
                &n(c.new),
                &n(c.updated),
                &n(c.unchanged),
                &n(c.duplicate),
                &n(c.removed),
                &end.rejects_file,
                &end.scope,
                &end.summary.to_string(),
                &load_id,
            ],
        )
        .map_err(err)?;
        store::changes::record_load(&mut InLoad(&mut tx), load_id, &end.finished_at)?;
        tx.commit().map_err(err)?;
        Ok(load_id)
    }
}

/// For tests: a fresh, empty database on the server named by `TUSK_TEST_POSTGRES_URL`
/// (an admin URL such as `postgres://postgres@127.0.0.1:5433/postgres`). Returns `None` when
/// the variable is unset, unless `TUSK_REQUIRE_POSTGRES=1`, in which case it panics: the test
/// script sets both so PostgreSQL tests cannot be skipped silently.
pub fn test_store() -> Option<PostgresStore> {
    let url = test_database_url()?;
    Some(PostgresStore::connect(&url).expect("connect to the fresh test database"))
}

/// Like `test_store`, but returns the URL of the fresh database.
pub fn test_database_url() -> Option<String> {
    let Ok(admin) = std::env::var("TUSK_TEST_POSTGRES_URL") else {
        if std::env::var("TUSK_REQUIRE_POSTGRES").as_deref() == Ok("1") {
            panic!("TUSK_REQUIRE_POSTGRES=1 but TUSK_TEST_POSTGRES_URL is not set");
        }
        eprintln!(
            "skipping PostgreSQL test: TUSK_TEST_POSTGRES_URL is not set (scripts/test.sh sets it)"
        );
        return None;
    };
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let name = format!(
        "tusk_t_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst),
        nanos
    );
    let mut c = Client::connect(&admin, NoTls).expect("connect to TUSK_TEST_POSTGRES_URL");
    c.batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create test database");
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    Some(format!("{base}/{name}"))
}
