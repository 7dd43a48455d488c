//! The person store's contract: what every backend (SQLite file, PostgreSQL) does, and the
//! conformance suite (`conformance`) that checks each backend against it.
//!
//! A load is one transaction: `Store::begin_load` opens it, `LoadSession::apply` writes batches,
//! `LoadSession::commit` records the load and commits. Dropping a session without committing
//! rolls everything back, so a crash mid-load leaves the store as it was.

pub mod accounts;
pub mod changes;
pub mod conformance;
pub mod donations;
pub mod goals;
pub mod groups;
pub mod models;
pub mod people;
pub mod retention;
pub mod sharing;
pub mod sql;
pub mod tables;
pub mod teams;
pub mod trips;
pub mod turnout;
pub mod volunteers;
pub mod webhooks;

use serde::Serialize;
pub use tables::{ColType, Household, Row, Table, TableSpec, Value};

/// Errors from a backend. Storage failures are internal; `NotFound`/`Invalid` are the caller's.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Backend(String),
    #[error(
        "the database schema is version {found}, this build knows up to {known}: upgrade tusk"
    )]
    SchemaTooNew { found: i64, known: i64 },
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// What happened to one row of a batch, relative to the store before this load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The key was not in the store: inserted.
    New,
    /// The key was there with different content (or was marked removed): replaced, the old
    /// version kept in `record_versions`.
    Updated,
    /// The key was there with the same content: nothing written.
    Unchanged,
    /// The key already appeared earlier in this load with the same content: nothing written.
    Duplicate,
    /// The key already appeared earlier in this load (at `first_row`) with different content:
    /// not written; the caller rejects the row.
    Conflict { first_row: u64 },
}

/// What `LoadSession::mark_removed` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Removal {
    /// Voters marked removed by this load.
    pub removed: u64,
    /// Voters in the scope that were not removed before this load (the ones just marked
    /// included).
    pub in_scope: u64,
}

/// A pair for the clerical review queue.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewCandidate {
    pub left_rkey: String,
    pub right_rkey: String,
    pub probability: f64,
    pub weight: f64,
}

/// A pair in the review queue, with its decision if one was made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewItem {
    pub left_rkey: String,
    pub right_rkey: String,
    pub probability: f64,
    pub weight: f64,
    pub created_load_id: i64,
    /// `accept` or `reject`.
    pub decision: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
}

/// Who a row belongs to after resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonRef {
    Existing(i64),
    /// A new person; rows with the same number share it (within one `assign_persons` call,
    /// whatever their table).
    New(u32),
}

/// What identity resolution reads of a row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ResolutionRow {
    pub rkey: String,
    pub person_id: Option<i64>,
    pub first: String,
    pub middle: String,
    pub last: String,
    pub suffix: String,
    pub birth_year: Option<i64>,
    pub birth_date: Option<String>,
    pub address_line: String,
    pub city: String,
    pub state: String,
    pub zip5: String,
    pub phone: String,
    pub email: String,
}

/// The select list `resolution_rows` uses for a table (same on both backends).
pub fn resolution_select(table: Table) -> Option<(&'static str, &'static str)> {
    Some(match table {
        Table::Voters => (
            "rkey, person_id, first_name, middle_name, last_name, name_suffix, birth_year, birth_date, \
             address_line, city, res_state, coalesce(zip5, ''), coalesce(phone, ''), ''",
            "removed_load_id IS NULL",
        ),
        Table::Donations => (
            "rkey, person_id, first_name, middle_name, last_name, name_suffix, NULL, NULL, \
             '', city, state, coalesce(zip5, ''), '', ''",
            "1 = 1",
        ),
        Table::Volunteers | Table::Contacts => (
            "rkey, person_id, first_name, middle_name, last_name, name_suffix, birth_year, birth_date, \
             address_line, city, state, coalesce(zip5, ''), coalesce(phone, ''), coalesce(email, '')",
            "1 = 1",
        ),
        Table::VoteHistory | Table::Ballots | Table::FieldResults => return None,
    })
}

/// What the caller knows about a load when it starts.
#[derive(Debug, Clone, Serialize)]
pub struct LoadMeta {
    /// Reader: `ncvoter`, `ncvhis`, `nc-absentee`, `ohio`, `fec`, `csv`.
    pub kind: String,
    /// Source system the records belong to (`nc`, `oh`, `fec`, or the mapping's source).
    pub source: String,
    pub file_name: String,
    pub file_bytes: u64,
    /// Header as read (verbatim form), empty for files without one.
    pub header: String,
    pub loaded_by: String,
    pub started_at: String,
}

/// Counts of a finished load. `read = accepted + rejected`,
/// `accepted = new + updated + unchanged + duplicate`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LoadCounts {
    pub read: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub new: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub duplicate: u64,
    pub removed: u64,
}

impl LoadCounts {
    pub fn add(&mut self, o: Outcome) {
        match o {
            Outcome::New => self.new += 1,
            Outcome::Updated => self.updated += 1,
            Outcome::Unchanged => self.unchanged += 1,
            Outcome::Duplicate => self.duplicate += 1,
            Outcome::Conflict { .. } => return,
        }
        self.accepted += 1;
    }

    /// The invariants every finished load satisfies.
    pub fn check(&self) -> Result<(), String> {
        if self.read != self.accepted + self.rejected {
            return Err(format!(
                "read {} != accepted {} + rejected {}",
                self.read, self.accepted, self.rejected
            ));
        }
        if self.accepted != self.new + self.updated + self.unchanged + self.duplicate {
            return Err(format!(
                "accepted {} != new+updated+unchanged+duplicate",
                self.accepted
            ));
        }
        Ok(())
    }
}

/// What the caller knows when a load ends.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LoadEnd {
    pub counts: LoadCounts,
    /// xxh3-64 of the file's bytes, hex.
    pub file_hash: String,
    pub rejects_file: Option<String>,
    pub finished_at: String,
    /// Source-specific totals (e.g. FEC: counted amount), JSON.
    pub summary: serde_json::Value,
    /// Removal scope used, e.g. `county_id in (32, 92)`; empty when the load removes nothing.
    pub scope: String,
}

/// One row of the load history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadInfo {
    pub id: i64,
    pub kind: String,
    pub source: String,
    pub file_name: String,
    pub file_bytes: i64,
    pub file_hash: String,
    pub loaded_by: String,
    pub started_at: String,
    pub finished_at: String,
    pub counts: LoadCounts,
    pub rejects_file: Option<String>,
    pub scope: String,
    pub summary: serde_json::Value,
}

/// A source record as shown to a user: its table, key, provenance and verbatim fields with
/// the header of the load that wrote it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceRecordView {
    pub table: String,
    pub rkey: String,
    pub load_id: i64,
    pub first_load_id: i64,
    pub row_number: i64,
    pub removed_load_id: Option<i64>,
    pub header: Vec<String>,
    pub fields: Vec<String>,
}

/// A person and every source record attached to them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonView {
    pub id: i64,
    pub created_load_id: i64,
    pub household_id: Option<i64>,
    /// Normalised name and address from the newest voter record.
    pub display_name: String,
    pub address: String,
    pub records: Vec<SourceRecordView>,
}

/// A backend of the person store. Synchronous: callers run it off any async runtime.
pub trait Store: Send {
    /// Short name for messages: `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    /// Plain SQL on this store's connection, for the features written once for both backends
    /// (`accounts`, `people`).
    fn sql(&mut self) -> &mut dyn sql::Sql;

    /// Opens a load: one transaction until `commit`.
    fn begin_load<'a>(&'a mut self, meta: &LoadMeta) -> Result<Box<dyn LoadSession + 'a>>;

    /// All committed loads, oldest first.
    fn loads(&mut self) -> Result<Vec<LoadInfo>>;

    /// A person with their source records, or `None`.
    fn person(&mut self, id: i64) -> Result<Option<PersonView>>;

    /// The person of a voter by record key (`nc:AA123`).
    fn person_of_voter(&mut self, voter_rkey: &str) -> Result<Option<i64>>;

    /// Number of rows in a table (`removed` included).
    fn count(&mut self, table: Table) -> Result<u64>;

    /// The review queue: every pair, or only those still waiting for a decision.
    fn review_items(&mut self, undecided_only: bool) -> Result<Vec<ReviewItem>>;

    /// Records a human decision on a pair (in the queue or not: rejecting a pair that
    /// resolution linked undoes that link at the next `tusk resolve`).
    fn decide(
        &mut self,
        left_rkey: &str,
        right_rkey: &str,
        accept: bool,
        by: &str,
        at: &str,
    ) -> Result<()>;

    /// The person-describing columns of every row of a person table (voters not removed;
    /// donations, volunteers, contacts), for identity resolution, ordered by key.
    fn resolution_rows(&mut self, table: Table) -> Result<Vec<ResolutionRow>>;

    /// Sum of `amount_cents` over donations that count (memo rows excluded).
    fn donation_total_cents(&mut self) -> Result<i64>;

    /// A canonical text dump of every data table (not `loads`), ordered by key: two stores
    /// with equal dumps hold the same data. For tests and `tusk debug dump`.
    fn dump(&mut self) -> Result<String>;

    /// Column names of a table as the database has them (checks migrations against specs).
    fn columns(&mut self, table: &str) -> Result<Vec<String>>;
}

/// One open load (transaction).
pub trait LoadSession {
    fn load_id(&self) -> i64;

    /// Writes a batch of rows into `table`. Keys within one batch are distinct (the caller
    /// folds repeats first); returns one outcome per row, in order.
    fn apply(&mut self, table: Table, rows: &[Row]) -> Result<Vec<Outcome>>;

    /// Records keys as seen by this load without writing them (rows that were rejected but
    /// whose key is known), so `mark_removed` leaves them alone. A later row of the load with
    /// one of these keys is a `Conflict`.
    fn mark_seen(&mut self, table: Table, keys: &[(String, u64)]) -> Result<()>;

    /// Sets the person of rows (of donations, volunteers, contacts): an existing person, or a
    /// new one shared by every row given the same `PersonRef::New` number, across tables.
    /// Returns how many new people were created.
    fn assign_persons(&mut self, assignments: &[(Table, String, PersonRef)]) -> Result<u64>;

    /// Puts borderline pairs in the review queue (pairs already there keep their decision).
    /// Returns how many were new to the queue.
    fn enqueue_reviews(&mut self, items: &[ReviewCandidate]) -> Result<u64>;

    /// Makes sure these households exist.
    fn ensure_households(&mut self, households: &[Household]) -> Result<()>;

    /// Marks voters of `source` whose `county_id` is in `counties` (all counties of the source
    /// when `None`) and that this load did not see as removed by this load.
    fn mark_removed(&mut self, source: &str, counties: Option<&[String]>) -> Result<Removal>;

    /// Records the load and commits everything.
    fn commit(self: Box<Self>, end: &LoadEnd) -> Result<i64>;
}

/// Formats a value for the canonical dump (shared by backends so dumps compare equal).
pub fn dump_value(v: &Value) -> String {
    match v {
        Value::Null => "\\N".into(),
        Value::Int(i) => i.to_string(),
        Value::Text(s) => {
            let mut out = String::new();
            model::escape_field(&mut out, s);
            out
        }
        Value::Date(d) => d.to_string(),
        Value::Bool(b) => if *b { "t" } else { "f" }.into(),
    }
}

/// The dump's queries: `(table, select list, order by)` for every data table, with columns
/// rendered the same way on both backends (booleans as `t`/`f`; with `text_cast`, every column
/// cast to text, for PostgreSQL's dates).
pub fn dump_selects(text_cast: bool) -> Vec<(String, String, String)> {
    let cast = |c: &str| {
        if text_cast {
            format!("({c})::text")
        } else {
            c.to_string()
        }
    };
    let list = |cols: &[&str]| cols.iter().map(|c| cast(c)).collect::<Vec<_>>().join(", ");
    let mut q = vec![
        (
            "people".to_string(),
            list(&["id", "created_load_id"]),
            "id".to_string(),
        ),
        (
            "households".to_string(),
            list(&["id", "address_key", "address_line", "city", "state", "zip5"]),
            "id".to_string(),
        ),
        (
            "record_versions".to_string(),
            list(&[
                "table_name",
                "rkey",
                "load_id",
                "row_number",
                "raw",
                "hash",
                "replaced_by_load_id",
            ]),
            "table_name, rkey, load_id".to_string(),
        ),
        (
            "review_queue".to_string(),
            list(&[
                "left_rkey",
                "right_rkey",
                "created_load_id",
                "decision",
                "decided_by",
                "decided_at",
            ]),
            "left_rkey, right_rkey".to_string(),
        ),
    ];
    for t in Table::ALL {
        let spec = t.spec();
        let mut cols: Vec<String> = [
            "rkey",
            "load_id",
            "first_load_id",
            "row_number",
            "raw",
            "hash",
        ]
        .iter()
        .map(|c| cast(c))
        .collect();
        if t.has_person() {
            cols.push(cast("person_id"));
        }
        if spec.removable {
            cols.push(cast("removed_load_id"));
        }
        for (c, ty) in spec.columns {
            cols.push(match ty {
                ColType::Bool => format!("CASE WHEN {c} THEN 't' ELSE 'f' END"),
                _ => cast(c),
            });
        }
        q.push((spec.name.to_string(), cols.join(", "), "rkey".to_string()));
    }
    q
}

/// One-line address for display: `123 MAIN ST, RALEIGH NC 27601`, empty parts left out.
pub fn display_address(line: &str, city: &str, state: &str, zip5: &str) -> String {
    let tail = [city, state, zip5]
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    match (line.is_empty(), tail.is_empty()) {
        (false, false) => format!("{line}, {tail}"),
        (false, true) => line.to_string(),
        (true, _) => tail,
    }
}
