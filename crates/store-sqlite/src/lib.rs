//! The embedded backend: one SQLite file (WAL mode), no server.
//!
//! A load is one `BEGIN IMMEDIATE` transaction, so a crash mid-load rolls back to the store as
//! it was. Rows are written one prepared statement at a time inside that transaction (the
//! fastest SQLite bulk path); keys seen by the current load are kept in a temporary table, so
//! memory does not grow with the file.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{params, Connection, OptionalExtension, ToSql};
use store::{
    Household, LoadEnd, LoadInfo, LoadMeta, LoadSession, Outcome, PersonView, Result, Row,
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
    (13, include_str!("../migrations/0013_turnout_indexes.sql")),
    (14, include_str!("../migrations/0014_sharing.sql")),
    (15, include_str!("../migrations/0015_sharing_limits.sql")),
    (16, include_str!("../migrations/0016_trips.sql")),
    (17, include_str!("../migrations/0017_region_goals.sql")),
    (18, include_str!("../migrations/0018_teams.sql")),
    (19, include_str!("../migrations/0019_goal_baselines.sql")),
];

/// The election-day journal's schema (a file of its own: `SqliteJournal`).
const JOURNAL_MIGRATIONS: &[(i64, &str)] =
    &[(1, include_str!("../migrations/journal_0001_turnout.sql"))];

/// Page cache of a journal connection, in KiB.
const JOURNAL_CACHE_KIB: i64 = 65_536;
/// Page size of a journal file (small rows, appended).
const JOURNAL_PAGE_BYTES: u32 = 4_096;

/// The election-day journal: a SQLite file of its own beside the store (`turnout_reports`
/// only), so its group commits and the store's loads never wait for each other's write lock.
/// Offers the `Sql` face only.
pub struct SqliteJournal(SqliteStore);

impl SqliteJournal {
    /// Opens (creating if needed) the journal at `path`.
    pub fn open(path: &Path) -> Result<SqliteJournal> {
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::Invalid(format!("cannot create directory {}: {e}", dir.display()))
                })?;
            }
        }
        let conn = Connection::open(path).map_err(err)?;
        Ok(SqliteJournal(SqliteStore::init(
            conn,
            JOURNAL_PAGE_BYTES,
            JOURNAL_CACHE_KIB,
            JOURNAL_MIGRATIONS,
        )?))
    }
}

impl store::sql::Sql for SqliteJournal {
    fn dialect(&self) -> store::sql::Dialect {
        store::sql::Dialect::Sqlite
    }
    fn query(&mut self, sql: &str, args: &[Value]) -> Result<Vec<store::sql::SqlRow>> {
        store::sql::Sql::query(&mut self.0, sql, args)
    }
    fn query_each(
        &mut self,
        sql: &str,
        args: &[Value],
        f: &mut dyn FnMut(&[Value]) -> Result<()>,
    ) -> Result<()> {
        store::sql::Sql::query_each(&mut self.0, sql, args, f)
    }
    fn execute(&mut self, sql: &str, args: &[Value]) -> Result<u64> {
        store::sql::Sql::execute(&mut self.0, sql, args)
    }
    fn transaction(
        &mut self,
        f: &mut dyn FnMut(&mut dyn store::sql::Sql) -> Result<()>,
    ) -> Result<()> {
        store::sql::Sql::transaction(&mut self.0, f)
    }
}

/// Page cache for the connection, in KiB (SQLite's negative `cache_size`).
const CACHE_KIB: i64 = 131_072;

/// Page size for new database files: wide voter rows fit fewer, larger pages better.
const PAGE_BYTES: u32 = 16_384;

fn err(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

struct V<'a>(&'a Value);

impl ToSql for V<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(i) => ToSqlOutput::Owned(rusqlite::types::Value::Integer(*i)),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Value::Date(d) => ToSqlOutput::Owned(rusqlite::types::Value::Text(d.to_string())),
            Value::Bool(b) => ToSqlOutput::Owned(rusqlite::types::Value::Integer(*b as i64)),
        })
    }
}

pub struct SqliteStore {
    conn: Connection,
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<SqliteStore> {
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::Invalid(format!("cannot create directory {}: {e}", dir.display()))
                })?;
            }
        }
        let conn = Connection::open(path).map_err(err)?;
        Self::init(conn, PAGE_BYTES, CACHE_KIB, MIGRATIONS)
    }

    /// A store in memory (tests).
    pub fn in_memory() -> Result<SqliteStore> {
        Self::init(
            Connection::open_in_memory().map_err(err)?,
            PAGE_BYTES,
            CACHE_KIB,
            MIGRATIONS,
        )
    }

    fn init(
        conn: Connection,
        page_bytes: u32,
        cache_kib: i64,
        migrations: &[(i64, &str)],
    ) -> Result<SqliteStore> {
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .map_err(err)?;
        // `synchronous=FULL` in WAL mode: every commit is on disk (fsync) before it returns.
        conn.execute_batch(&format!(
            "PRAGMA page_size={page_bytes}; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-{cache_kib};"
        ))
        .map_err(err)?;
        let mut s = SqliteStore { conn };
        s.migrate(migrations)?;
        Ok(s)
    }

    fn migrate(&mut self, migrations: &[(i64, &str)]) -> Result<()> {
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(err)?;
        let known = migrations.last().map(|m| m.0).unwrap_or(0);
        if version > known {
            return Err(StoreError::SchemaTooNew {
                found: version,
                known,
            });
        }
        for (v, sql) in migrations.iter().filter(|(v, _)| *v > version) {
            let tx = self.conn.transaction().map_err(err)?;
            tx.execute_batch(sql).map_err(err)?;
            tx.execute_batch(&format!("PRAGMA user_version = {v}"))
                .map_err(err)?;
            tx.commit().map_err(err)?;
        }
        Ok(())
    }
}

fn value_of(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(f) => Value::Text(f.to_string()),
        ValueRef::Text(t) | ValueRef::Blob(t) => {
            Value::Text(String::from_utf8_lossy(t).into_owned())
        }
    }
}

fn conn_query(conn: &Connection, sql: &str, args: &[Value]) -> Result<Vec<store::sql::SqlRow>> {
    let mut stmt = conn.prepare_cached(sql).map_err(err)?;
    let params: Vec<V> = args.iter().map(V).collect();
    let n = stmt.column_count();
    let mut rows = stmt
        .query(rusqlite::params_from_iter(params.iter()))
        .map_err(err)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(err)? {
        let mut row = Vec::with_capacity(n);
        for i in 0..n {
            row.push(value_of(r.get_ref(i).map_err(err)?));
        }
        out.push(row);
    }
    Ok(out)
}

fn conn_query_each(
    conn: &Connection,
    sql: &str,
    args: &[Value],
    f: &mut dyn FnMut(&[Value]) -> Result<()>,
) -> Result<()> {
    let mut stmt = conn.prepare_cached(sql).map_err(err)?;
    let params: Vec<V> = args.iter().map(V).collect();
    let n = stmt.column_count();
    let mut rows = stmt
        .query(rusqlite::params_from_iter(params.iter()))
        .map_err(err)?;
    let mut row = Vec::with_capacity(n);
    while let Some(r) = rows.next().map_err(err)? {
        row.clear();
        for i in 0..n {
            row.push(value_of(r.get_ref(i).map_err(err)?));
        }
        f(&row)?;
    }
    Ok(())
}

fn conn_execute(conn: &Connection, sql: &str, args: &[Value]) -> Result<u64> {
    let mut stmt = conn.prepare_cached(sql).map_err(err)?;
    let params: Vec<V> = args.iter().map(V).collect();
    let n = stmt
        .execute(rusqlite::params_from_iter(params.iter()))
        .map_err(err)?;
    Ok(n as u64)
}

impl store::sql::Sql for SqliteStore {
    fn dialect(&self) -> store::sql::Dialect {
        store::sql::Dialect::Sqlite
    }

    fn query(&mut self, sql: &str, args: &[Value]) -> Result<Vec<store::sql::SqlRow>> {
        conn_query(&self.conn, sql, args)
    }

    fn query_each(
        &mut self,
        sql: &str,
        args: &[Value],
        f: &mut dyn FnMut(&[Value]) -> Result<()>,
    ) -> Result<()> {
        conn_query_each(&self.conn, sql, args, f)
    }

    fn execute(&mut self, sql: &str, args: &[Value]) -> Result<u64> {
        conn_execute(&self.conn, sql, args)
    }

    fn transaction(
        &mut self,
        f: &mut dyn FnMut(&mut dyn store::sql::Sql) -> Result<()>,
    ) -> Result<()> {
        self.conn.execute_batch("BEGIN IMMEDIATE").map_err(err)?;
        match f(self) {
            Ok(()) => self.conn.execute_batch("COMMIT").map_err(err),
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }
}

/// SQL inside an open load (its transaction is already running).
struct InLoad<'a>(&'a Connection);

impl store::sql::Sql for InLoad<'_> {
    fn dialect(&self) -> store::sql::Dialect {
        store::sql::Dialect::Sqlite
    }

    fn query(&mut self, sql: &str, args: &[Value]) -> Result<Vec<store::sql::SqlRow>> {
        conn_query(self.0, sql, args)
    }

    fn execute(&mut self, sql: &str, args: &[Value]) -> Result<u64> {
        conn_execute(self.0, sql, args)
    }

    fn transaction(
        &mut self,
        f: &mut dyn FnMut(&mut dyn store::sql::Sql) -> Result<()>,
    ) -> Result<()> {
        f(self)
    }
}

/// SQL text per table, built once per session.
struct TableSql {
    /// The table held no rows when the load began: every row not yet written by this load is
    /// new, so rows go straight in (`insert_new`), and a key clash can only be a repeat
    /// within this load. No `seen` bookkeeping is needed: nothing can be removed.
    empty_at_start: bool,
    insert_new: String,
    get_this_load: String,
    seen_insert: String,
    seen_get: String,
    get: String,
    insert: String,
    save_version: String,
    update: String,
}

fn table_sql(conn: &Connection, table: Table) -> Result<TableSql> {
    let spec = table.spec();
    let n = spec.name;
    let cols: Vec<&str> = spec.columns.iter().map(|c| c.0).collect();
    let person = if spec.creates_person {
        "person_id, "
    } else {
        ""
    };
    let person_q = if spec.creates_person { "?, " } else { "" };
    let placeholders = vec!["?"; cols.len()].join(", ");
    let removed_get = if spec.removable {
        "removed_load_id"
    } else {
        "NULL"
    };
    let removed_set = if spec.removable {
        ", removed_load_id = NULL"
    } else {
        ""
    };
    let sets: Vec<String> = cols.iter().map(|c| format!("{c} = ?")).collect();
    let empty_at_start: bool = conn
        .query_row(&format!("SELECT NOT EXISTS (SELECT 1 FROM {n})"), [], |r| {
            r.get(0)
        })
        .map_err(err)?;
    let insert = format!(
        "INSERT INTO {n} (rkey, {person}load_id, first_load_id, row_number, raw, hash, {}) \
         VALUES (?, {person_q}?, ?, ?, ?, ?, {placeholders})",
        cols.join(", ")
    );
    Ok(TableSql {
        empty_at_start,
        insert_new: format!("{insert} ON CONFLICT (rkey) DO NOTHING"),
        get_this_load: format!("SELECT row_number, hash FROM {n} WHERE rkey = ?"),
        seen_insert: format!("INSERT OR IGNORE INTO temp.seen_{n} (rkey, row_number, hash) VALUES (?, ?, ?)"),
        seen_get: format!("SELECT row_number, hash FROM temp.seen_{n} WHERE rkey = ?"),
        get: format!("SELECT id, hash, {removed_get} FROM {n} WHERE rkey = ?"),
        insert,
        save_version: format!(
            "INSERT INTO record_versions (table_name, rkey, load_id, row_number, raw, hash, replaced_by_load_id) \
             SELECT '{n}', rkey, load_id, row_number, raw, hash, ? FROM {n} WHERE id = ?"
        ),
        update: format!(
            "UPDATE {n} SET load_id = ?, row_number = ?, raw = ?, hash = ?{removed_set}, {} WHERE id = ?",
            sets.join(", ")
        ),
    })
}

/// Runs a table's insert statement (`TableSql::insert` or `insert_new`) for one row.
fn insert_row(
    stmt: &mut rusqlite::CachedStatement<'_>,
    row: &Row,
    person: Option<i64>,
    load_id: i64,
) -> Result<usize> {
    let row_number = row.row_number as i64;
    let mut args: Vec<&dyn ToSql> = Vec::with_capacity(row.values.len() + 7);
    args.push(&row.rkey);
    if let Some(p) = &person {
        args.push(p);
    }
    args.extend([
        &load_id as &dyn ToSql,
        &load_id,
        &row_number,
        &row.raw,
        &row.hash,
    ]);
    let vals: Vec<V> = row.values.iter().map(V).collect();
    args.extend(vals.iter().map(|v| v as &dyn ToSql));
    stmt.execute(args.as_slice()).map_err(err)
}

struct SqliteLoad<'a> {
    conn: &'a Connection,
    load_id: i64,
    /// Person ids of this load's new voters are `first_person..next_person` (the load holds
    /// the write lock, so nobody else allocates).
    first_person: i64,
    next_person: i64,
    sql: HashMap<Table, TableSql>,
    /// Secondary indexes of tables that were empty when the load began, dropped for the
    /// bulk insert and created again (in this transaction) at commit: building an index once
    /// over all rows is much cheaper than keeping it up row by row.
    deferred_indexes: Vec<String>,
    done: bool,
}

impl Store for SqliteStore {
    fn sql(&mut self) -> &mut dyn store::sql::Sql {
        self
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn begin_load<'a>(&'a mut self, meta: &LoadMeta) -> Result<Box<dyn LoadSession + 'a>> {
        let conn = &self.conn;
        conn.execute_batch("BEGIN IMMEDIATE").map_err(err)?;
        let mut session = SqliteLoad {
            conn,
            load_id: 0,
            first_person: 0,
            next_person: 0,
            sql: HashMap::new(),
            deferred_indexes: Vec::new(),
            done: false,
        };
        // From here, dropping `session` rolls back.
        conn.execute(
            "INSERT INTO loads (kind, source, file_name, file_bytes, file_hash, header, loaded_by, started_at) \
             VALUES (?, ?, ?, ?, '', ?, ?, ?)",
            params![
                meta.kind,
                meta.source,
                meta.file_name,
                meta.file_bytes as i64,
                meta.header,
                meta.loaded_by,
                meta.started_at
            ],
        )
        .map_err(err)?;
        session.load_id = conn.last_insert_rowid();
        session.first_person = conn
            .query_row("SELECT coalesce(max(id), 0) + 1 FROM people", [], |r| {
                r.get(0)
            })
            .map_err(err)?;
        for t in Table::ALL {
            let n = t.name();
            conn.execute_batch(&format!(
                "CREATE TEMP TABLE IF NOT EXISTS seen_{n} (rkey TEXT PRIMARY KEY, row_number INTEGER NOT NULL, hash INTEGER NOT NULL) WITHOUT ROWID; \
                 DELETE FROM temp.seen_{n};"
            ))
            .map_err(err)?;
        }
        session.next_person = session.first_person;
        Ok(Box::new(session))
    }

    fn loads(&mut self) -> Result<Vec<LoadInfo>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, kind, source, file_name, file_bytes, file_hash, loaded_by, started_at, \
                 coalesce(finished_at, ''), read, accepted, rejected, new, updated, unchanged, duplicate, removed, \
                 rejects_file, scope, summary FROM loads WHERE finished_at IS NOT NULL ORDER BY id",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map([], |r| {
                let summary: String = r.get(19)?;
                Ok(LoadInfo {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    source: r.get(2)?,
                    file_name: r.get(3)?,
                    file_bytes: r.get(4)?,
                    file_hash: r.get(5)?,
                    loaded_by: r.get(6)?,
                    started_at: r.get(7)?,
                    finished_at: r.get(8)?,
                    counts: store::LoadCounts {
                        read: r.get::<_, i64>(9)? as u64,
                        accepted: r.get::<_, i64>(10)? as u64,
                        rejected: r.get::<_, i64>(11)? as u64,
                        new: r.get::<_, i64>(12)? as u64,
                        updated: r.get::<_, i64>(13)? as u64,
                        unchanged: r.get::<_, i64>(14)? as u64,
                        duplicate: r.get::<_, i64>(15)? as u64,
                        removed: r.get::<_, i64>(16)? as u64,
                    },
                    rejects_file: r.get(17)?,
                    scope: r.get(18)?,
                    summary: serde_json::from_str(&summary).unwrap_or(serde_json::Value::Null),
                })
            })
            .map_err(err)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(err)
    }

    fn person(&mut self, id: i64) -> Result<Option<PersonView>> {
        let created: Option<i64> = self
            .conn
            .query_row(
                "SELECT created_load_id FROM people WHERE id = ?",
                [id],
                |r| r.get(0),
            )
            .optional()
            .map_err(err)?;
        let Some(created_load_id) = created else {
            return Ok(None);
        };
        let mut view = PersonView {
            id,
            created_load_id,
            household_id: None,
            display_name: String::new(),
            address: String::new(),
            records: Vec::new(),
        };
        // Newest voter record first for the display fields.
        let mut voter_keys = Vec::new();
        {
            let mut stmt = self
                .conn
                .prepare(
                    "SELECT rkey, household_id, first_name, middle_name, last_name, name_suffix, address_line, city, res_state, coalesce(zip5, '') \
                     FROM voters WHERE person_id = ? ORDER BY load_id DESC, rkey",
                )
                .map_err(err)?;
            let mut rows = stmt.query([id]).map_err(err)?;
            while let Some(r) = rows.next().map_err(err)? {
                let rkey: String = r.get(0).map_err(err)?;
                if voter_keys.is_empty() {
                    view.household_id = r.get(1).map_err(err)?;
                    let parts: Vec<String> = (2..6)
                        .map(|i| r.get::<_, String>(i).unwrap_or_default())
                        .collect();
                    view.display_name = parts
                        .iter()
                        .filter(|p| !p.is_empty())
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(" ");
                    let a: Vec<String> = (6..10)
                        .map(|i| r.get::<_, String>(i).unwrap_or_default())
                        .collect();
                    view.address = store::display_address(&a[0], &a[1], &a[2], &a[3]);
                }
                voter_keys.push(rkey);
            }
        }
        let mut push = |conn: &Connection,
                        table: &str,
                        filter: &str,
                        arg: &dyn ToSql|
         -> Result<()> {
            let removed = if table == "voters" {
                "t.removed_load_id"
            } else {
                "NULL"
            };
            let sql = format!(
                "SELECT t.rkey, t.load_id, t.first_load_id, t.row_number, {removed}, t.raw, l.header \
                 FROM {table} t JOIN loads l ON l.id = t.load_id WHERE {filter} ORDER BY t.rkey"
            );
            let mut stmt = conn.prepare(&sql).map_err(err)?;
            let mut rows = stmt.query([arg]).map_err(err)?;
            while let Some(r) = rows.next().map_err(err)? {
                let raw: String = r.get(5).map_err(err)?;
                let header: String = r.get(6).map_err(err)?;
                view.records.push(SourceRecordView {
                    table: table.to_string(),
                    rkey: r.get(0).map_err(err)?,
                    load_id: r.get(1).map_err(err)?,
                    first_load_id: r.get(2).map_err(err)?,
                    row_number: r.get(3).map_err(err)?,
                    removed_load_id: r.get(4).map_err(err)?,
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
        push(&self.conn, "voters", "t.person_id = ?", &id)?;
        for key in &voter_keys {
            push(&self.conn, "vote_history", "t.voter_rkey = ?", key)?;
            push(&self.conn, "ballots", "t.voter_rkey = ?", key)?;
            push(&self.conn, "field_results", "t.voter_rkey = ?", key)?;
        }
        for table in ["donations", "volunteers", "contacts"] {
            push(&self.conn, table, "t.person_id = ?", &id)?;
        }
        Ok(Some(view))
    }

    fn person_of_voter(&mut self, voter_rkey: &str) -> Result<Option<i64>> {
        self.conn
            .query_row(
                "SELECT person_id FROM voters WHERE rkey = ?",
                [voter_rkey],
                |r| r.get(0),
            )
            .optional()
            .map_err(err)
    }

    fn review_items(&mut self, undecided_only: bool) -> Result<Vec<store::ReviewItem>> {
        let filter = if undecided_only {
            "WHERE decision IS NULL"
        } else {
            ""
        };
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT left_rkey, right_rkey, probability, weight, created_load_id, decision, decided_by, decided_at \
                 FROM review_queue {filter} ORDER BY probability DESC, left_rkey, right_rkey"
            ))
            .map_err(err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(store::ReviewItem {
                    left_rkey: r.get(0)?,
                    right_rkey: r.get(1)?,
                    probability: r.get(2)?,
                    weight: r.get(3)?,
                    created_load_id: r.get(4)?,
                    decision: r.get(5)?,
                    decided_by: r.get(6)?,
                    decided_at: r.get(7)?,
                })
            })
            .map_err(err)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(err)
    }

    fn decide(&mut self, left: &str, right: &str, accept: bool, by: &str, at: &str) -> Result<()> {
        let d = if accept { "accept" } else { "reject" };
        self.conn
            .execute(
                "INSERT INTO review_queue (left_rkey, right_rkey, probability, weight, created_load_id, decision, decided_by, decided_at) \
                 VALUES (?1, ?2, 0, 0, 0, ?3, ?4, ?5) \
                 ON CONFLICT (left_rkey, right_rkey) DO UPDATE SET decision = ?3, decided_by = ?4, decided_at = ?5",
                params![left, right, d, by, at],
            )
            .map_err(err)?;
        Ok(())
    }

    fn resolution_rows(&mut self, table: Table) -> Result<Vec<store::ResolutionRow>> {
        let Some((select, filter)) = store::resolution_select(table) else {
            return Ok(Vec::new());
        };
        let sql = format!(
            "SELECT {select} FROM {} WHERE {filter} ORDER BY rkey",
            table.name()
        );
        let mut stmt = self.conn.prepare(&sql).map_err(err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(store::ResolutionRow {
                    rkey: r.get(0)?,
                    person_id: r.get(1)?,
                    first: r.get(2)?,
                    middle: r.get(3)?,
                    last: r.get(4)?,
                    suffix: r.get(5)?,
                    birth_year: r.get(6)?,
                    birth_date: r.get(7)?,
                    address_line: r.get(8)?,
                    city: r.get(9)?,
                    state: r.get(10)?,
                    zip5: r.get(11)?,
                    phone: r.get(12)?,
                    email: r.get(13)?,
                })
            })
            .map_err(err)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(err)
    }

    fn count(&mut self, table: Table) -> Result<u64> {
        let n: i64 = self
            .conn
            .query_row(&format!("SELECT count(*) FROM {}", table.name()), [], |r| {
                r.get(0)
            })
            .map_err(err)?;
        Ok(n as u64)
    }

    fn donation_total_cents(&mut self) -> Result<i64> {
        self.conn
            .query_row(
                "SELECT coalesce(sum(amount_cents), 0) FROM donations WHERE memo = 0",
                [],
                |r| r.get(0),
            )
            .map_err(err)
    }

    fn dump(&mut self) -> Result<String> {
        let mut out = String::new();
        for (name, select, order) in store::dump_selects(false) {
            out.push_str(&format!("## {name}\n"));
            let sql = format!("SELECT {select} FROM {name} ORDER BY {order}");
            let mut stmt = self.conn.prepare(&sql).map_err(err)?;
            let ncols = stmt.column_count();
            let mut rows = stmt.query([]).map_err(err)?;
            while let Some(r) = rows.next().map_err(err)? {
                let mut line = Vec::with_capacity(ncols);
                for i in 0..ncols {
                    let v = match r.get_ref(i).map_err(err)? {
                        ValueRef::Null => Value::Null,
                        ValueRef::Integer(i) => Value::Int(i),
                        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                        other => Value::Text(format!("{other:?}")),
                    };
                    line.push(store::dump_value(&v));
                }
                out.push_str(&line.join("\t"));
                out.push('\n');
            }
        }
        Ok(out)
    }

    fn columns(&mut self, table: &str) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare(&format!("PRAGMA table_info({table})"))
            .map_err(err)?;
        let names = stmt.query_map([], |r| r.get::<_, String>(1)).map_err(err)?;
        names.collect::<rusqlite::Result<Vec<_>>>().map_err(err)
    }
}

impl SqliteLoad<'_> {
    fn sql(&mut self, table: Table) -> Result<&TableSql> {
        if !self.sql.contains_key(&table) {
            let sql = table_sql(self.conn, table)?;
            if sql.empty_at_start {
                let mut stmt = self
                    .conn
                    .prepare(
                        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
                    )
                    .map_err(err)?;
                let indexes: Vec<(String, String)> = stmt
                    .query_map([table.name()], |r| Ok((r.get(0)?, r.get(1)?)))
                    .map_err(err)?
                    .collect::<rusqlite::Result<_>>()
                    .map_err(err)?;
                for (name, create) in indexes {
                    self.conn
                        .execute_batch(&format!("DROP INDEX {name}"))
                        .map_err(err)?;
                    self.deferred_indexes.push(create);
                }
            }
            self.sql.insert(table, sql);
        }
        Ok(&self.sql[&table])
    }

    /// `apply` for a table that was empty when the load began.
    fn apply_to_empty(&mut self, table: Table, rows: &[Row]) -> Result<Vec<Outcome>> {
        let spec = table.spec();
        let load_id = self.load_id;
        let conn = self.conn;
        let mut next_person = self.next_person;
        let sql = self.sql(table)?;
        let mut insert = conn.prepare_cached(&sql.insert_new).map_err(err)?;
        let mut get = conn.prepare_cached(&sql.get_this_load).map_err(err)?;
        let mut outcomes = Vec::with_capacity(rows.len());
        for row in rows {
            let person = spec.creates_person.then_some(next_person);
            if insert_row(&mut insert, row, person, load_id)? == 1 {
                if spec.creates_person {
                    next_person += 1;
                }
                outcomes.push(Outcome::New);
            } else {
                let (first_row, hash): (i64, i64) = get
                    .query_row([&row.rkey], |r| Ok((r.get(0)?, r.get(1)?)))
                    .map_err(err)?;
                outcomes.push(if hash == row.hash {
                    Outcome::Duplicate
                } else {
                    Outcome::Conflict {
                        first_row: first_row as u64,
                    }
                });
            }
        }
        self.next_person = next_person;
        Ok(outcomes)
    }
}

impl LoadSession for SqliteLoad<'_> {
    fn load_id(&self) -> i64 {
        self.load_id
    }

    fn apply(&mut self, table: Table, rows: &[Row]) -> Result<Vec<Outcome>> {
        if self.sql(table)?.empty_at_start {
            return self.apply_to_empty(table, rows);
        }
        let spec = table.spec();
        let load_id = self.load_id;
        let conn = self.conn;
        let sql = self.sql(table)?;
        let mut seen_insert = conn.prepare_cached(&sql.seen_insert).map_err(err)?;
        let mut seen_get = conn.prepare_cached(&sql.seen_get).map_err(err)?;
        let mut get = conn.prepare_cached(&sql.get).map_err(err)?;
        let mut insert = conn.prepare_cached(&sql.insert).map_err(err)?;
        let mut save_version = conn.prepare_cached(&sql.save_version).map_err(err)?;
        let mut update = conn.prepare_cached(&sql.update).map_err(err)?;
        let mut outcomes = Vec::with_capacity(rows.len());
        let mut next_person = self.next_person;
        for row in rows {
            debug_assert_eq!(row.values.len(), spec.columns.len());
            let fresh = seen_insert
                .execute(params![row.rkey, row.row_number as i64, row.hash])
                .map_err(err)?;
            if fresh == 0 {
                let (first_row, hash): (i64, i64) = seen_get
                    .query_row([&row.rkey], |r| Ok((r.get(0)?, r.get(1)?)))
                    .map_err(err)?;
                outcomes.push(if hash == row.hash {
                    Outcome::Duplicate
                } else {
                    Outcome::Conflict {
                        first_row: first_row as u64,
                    }
                });
                continue;
            }
            let existing: Option<(i64, i64, Option<i64>)> = get
                .query_row([&row.rkey], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()
                .map_err(err)?;
            match existing {
                None => {
                    let person = spec.creates_person.then_some(next_person);
                    insert_row(&mut insert, row, person, load_id)?;
                    if person.is_some() {
                        next_person += 1;
                    }
                    outcomes.push(Outcome::New);
                }
                Some((_, hash, None)) if hash == row.hash => outcomes.push(Outcome::Unchanged),
                Some((id, _, _)) => {
                    save_version.execute(params![load_id, id]).map_err(err)?;
                    let row_number = row.row_number as i64;
                    let mut args: Vec<&dyn ToSql> =
                        vec![&load_id, &row_number, &row.raw, &row.hash];
                    let vals: Vec<V> = row.values.iter().map(V).collect();
                    args.extend(vals.iter().map(|v| v as &dyn ToSql));
                    args.push(&id);
                    update.execute(args.as_slice()).map_err(err)?;
                    outcomes.push(Outcome::Updated);
                }
            }
        }
        self.next_person = next_person;
        Ok(outcomes)
    }

    fn mark_seen(&mut self, table: Table, keys: &[(String, u64)]) -> Result<()> {
        let sql = self.sql(table)?.seen_insert.clone();
        let mut stmt = self.conn.prepare_cached(&sql).map_err(err)?;
        for (k, row) in keys {
            stmt.execute(params![k, *row as i64, 0i64]).map_err(err)?;
        }
        Ok(())
    }

    fn assign_persons(&mut self, assignments: &[(Table, String, store::PersonRef)]) -> Result<u64> {
        let mut new_ids: HashMap<u32, i64> = HashMap::new();
        for (table, rkey, who) in assignments {
            if *table == Table::Voters || store::resolution_select(*table).is_none() {
                return Err(StoreError::Invalid(format!(
                    "persons are not assigned on {}",
                    table.name()
                )));
            }
            let pid = match who {
                store::PersonRef::Existing(p) => *p,
                store::PersonRef::New(n) => *new_ids.entry(*n).or_insert_with(|| {
                    let id = self.next_person;
                    self.next_person += 1;
                    id
                }),
            };
            let mut log = self
                .conn
                .prepare_cached(&format!(
                    "INSERT INTO person_assignments (load_id, table_name, rkey, person_id, prev_person_id) \
                     SELECT ?, '{0}', rkey, ?, person_id FROM {0} WHERE rkey = ?",
                    table.name()
                ))
                .map_err(err)?;
            log.execute(params![self.load_id, pid, rkey]).map_err(err)?;
            let mut stmt = self
                .conn
                .prepare_cached(&format!(
                    "UPDATE {} SET person_id = ? WHERE rkey = ?",
                    table.name()
                ))
                .map_err(err)?;
            stmt.execute(params![pid, rkey]).map_err(err)?;
        }
        Ok(new_ids.len() as u64)
    }

    fn enqueue_reviews(&mut self, items: &[store::ReviewCandidate]) -> Result<u64> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "INSERT INTO review_queue (left_rkey, right_rkey, probability, weight, created_load_id) \
                 VALUES (?, ?, ?, ?, ?) ON CONFLICT (left_rkey, right_rkey) DO NOTHING",
            )
            .map_err(err)?;
        let mut n = 0;
        for c in items {
            n += stmt
                .execute(params![
                    c.left_rkey,
                    c.right_rkey,
                    c.probability,
                    c.weight,
                    self.load_id
                ])
                .map_err(err)? as u64;
        }
        Ok(n)
    }

    fn ensure_households(&mut self, households: &[Household]) -> Result<()> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "INSERT OR IGNORE INTO households (id, address_key, address_line, city, state, zip5) VALUES (?, ?, ?, ?, ?, ?)",
            )
            .map_err(err)?;
        for h in households {
            stmt.execute(params![
                h.id,
                h.key,
                h.address_line,
                h.city,
                h.state,
                h.zip5
            ])
            .map_err(err)?;
        }
        Ok(())
    }

    fn mark_removed(
        &mut self,
        source: &str,
        counties: Option<&[String]>,
    ) -> Result<store::Removal> {
        // One pass over the source's voters; counties given as a JSON array.
        let (scope, list) = match counties {
            None => ("1", String::new()),
            Some(list) => (
                "county_id IN (SELECT value FROM json_each(?3))",
                serde_json::to_string(list).map_err(|e| StoreError::Backend(e.to_string()))?,
            ),
        };
        let in_scope: i64 = self
            .conn
            .query_row(
                &format!(
                    "SELECT count(*) FROM voters WHERE source = ?2 AND removed_load_id IS NULL AND ?1 = ?1 AND {scope}"
                ),
                params![self.load_id, source, list],
                |r| r.get(0),
            )
            .map_err(err)?;
        if self.sql(Table::Voters)?.empty_at_start {
            // Every voter in the table was written by this load: none to remove.
            return Ok(store::Removal {
                removed: 0,
                in_scope: in_scope as u64,
            });
        }
        let removed = self
            .conn
            .execute(
                &format!(
                    "UPDATE voters SET removed_load_id = ?1 WHERE source = ?2 AND removed_load_id IS NULL AND {scope} \
                     AND NOT EXISTS (SELECT 1 FROM temp.seen_voters s WHERE s.rkey = voters.rkey)"
                ),
                params![self.load_id, source, list],
            )
            .map_err(err)?;
        Ok(store::Removal {
            removed: removed as u64,
            in_scope: in_scope as u64,
        })
    }

    fn commit(mut self: Box<Self>, end: &LoadEnd) -> Result<i64> {
        let c = &end.counts;
        self.conn
            .execute(
                "WITH RECURSIVE ids(id) AS (SELECT ?1 UNION ALL SELECT id + 1 FROM ids WHERE id + 1 < ?2) \
                 INSERT INTO people (id, created_load_id) SELECT id, ?3 FROM ids WHERE ?1 < ?2",
                params![self.first_person, self.next_person, self.load_id],
            )
            .map_err(err)?;
        self.conn
            .execute(
                "UPDATE loads SET file_hash = ?, finished_at = ?, read = ?, accepted = ?, rejected = ?, new = ?, updated = ?, \
                 unchanged = ?, duplicate = ?, removed = ?, rejects_file = ?, scope = ?, summary = ? WHERE id = ?",
                params![
                    end.file_hash,
                    end.finished_at,
                    c.read as i64,
                    c.accepted as i64,
                    c.rejected as i64,
                    c.new as i64,
                    c.updated as i64,
                    c.unchanged as i64,
                    c.duplicate as i64,
                    c.removed as i64,
                    end.rejects_file,
                    end.scope,
                    end.summary.to_string(),
                    self.load_id
                ],
            )
            .map_err(err)?;
        for create in std::mem::take(&mut self.deferred_indexes) {
            self.conn.execute_batch(&create).map_err(err)?;
        }
        store::changes::record_load(&mut InLoad(self.conn), self.load_id, &end.finished_at)?;
        self.conn.execute_batch("COMMIT").map_err(err)?;
        self.done = true;
        Ok(self.load_id)
    }
}

impl Drop for SqliteLoad<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}
