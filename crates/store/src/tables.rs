//! The logical tables of the person store and how records become rows.
//!
//! Each backend owns its migrations (DDL); `TableSpec` names the data columns every backend
//! must have, in the order `Row::values` carries them. The conformance suite checks that the
//! migrations and these specs agree.

use model::{
    AddressFields, Ballot, Date, Donation, Entry, FieldResult, NameFields, Record, Vote, Voter,
};

/// Column types, mapped per backend (SQLite: TEXT/INTEGER; PostgreSQL: text/bigint/date/boolean).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    Text,
    Int,
    Date,
    Bool,
}

/// A value in a row. Dates are carried as ISO `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
    Date(Date),
    Bool(bool),
}

/// The tables that hold source records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    Voters,
    VoteHistory,
    Ballots,
    Donations,
    Volunteers,
    Contacts,
    FieldResults,
}

impl Table {
    pub const ALL: [Table; 7] = [
        Table::Voters,
        Table::VoteHistory,
        Table::Ballots,
        Table::Donations,
        Table::Volunteers,
        Table::Contacts,
        Table::FieldResults,
    ];

    pub fn spec(self) -> &'static TableSpec {
        match self {
            Table::Voters => &VOTERS,
            Table::VoteHistory => &VOTE_HISTORY,
            Table::Ballots => &BALLOTS,
            Table::Donations => &DONATIONS,
            Table::Volunteers => &VOLUNTEERS,
            Table::Contacts => &CONTACTS,
            Table::FieldResults => &FIELD_RESULTS,
        }
    }

    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// The table has a `person_id` column (records that describe a person; the others are
    /// events of a voter, found through `voter_rkey`).
    pub fn has_person(self) -> bool {
        matches!(
            self,
            Table::Voters | Table::Donations | Table::Volunteers | Table::Contacts
        )
    }
}

/// What a table stores beyond its data columns. Every source table has the managed columns
/// `id, rkey (unique), load_id, first_load_id, row_number, raw, hash`; voters also have
/// `person_id` (a person is created with each new voter) and `removed_load_id`.
#[derive(Debug)]
pub struct TableSpec {
    pub name: &'static str,
    pub columns: &'static [(&'static str, ColType)],
    /// A new row gets a new person (`person_id`).
    pub creates_person: bool,
    /// Rows can be marked removed by a later snapshot (`removed_load_id`).
    pub removable: bool,
}

use ColType::*;

const NAME_COLS: [(&str, ColType); 5] = [
    ("first_name", Text),
    ("middle_name", Text),
    ("last_name", Text),
    ("name_suffix", Text),
    ("first_name_group", Text),
];

pub static VOTERS: TableSpec = TableSpec {
    name: "voters",
    columns: &[
        ("source", Text),
        ("voter_id", Text),
        ("state", Text),
        ("county_id", Text),
        ("county", Text),
        ("registration_number", Text),
        NAME_COLS[0],
        NAME_COLS[1],
        NAME_COLS[2],
        NAME_COLS[3],
        NAME_COLS[4],
        ("status", Text),
        ("status_reason", Text),
        ("address_line", Text),
        ("house_number", Text),
        ("street", Text),
        ("unit", Text),
        ("city", Text),
        ("res_state", Text),
        ("zip5", Text),
        ("zip4", Text),
        ("household_id", Int),
        ("mail_address", Text),
        ("phone", Text),
        ("birth_year", Int),
        ("birth_date", Date),
        ("gender", Text),
        ("race", Text),
        ("ethnicity", Text),
        ("party", Text),
        ("registration_date", Date),
        ("precinct", Text),
        ("precinct_desc", Text),
        ("municipality", Text),
        ("ward", Text),
        ("congressional_district", Text),
        ("senate_district", Text),
        ("house_district", Text),
        ("confidential", Bool),
    ],
    creates_person: true,
    removable: true,
};

pub static VOTE_HISTORY: TableSpec = TableSpec {
    name: "vote_history",
    columns: &[
        ("source", Text),
        ("voter_id", Text),
        ("voter_rkey", Text),
        ("election_date", Date),
        ("election_desc", Text),
        ("election_type", Text),
        ("method", Text),
        ("method_raw", Text),
        ("voted_party", Text),
        ("county_id", Text),
        ("precinct", Text),
    ],
    creates_person: false,
    removable: false,
};

pub static BALLOTS: TableSpec = TableSpec {
    name: "ballots",
    columns: &[
        ("source", Text),
        ("voter_id", Text),
        ("voter_rkey", Text),
        ("election_date", Date),
        ("request_type", Text),
        ("request_date", Date),
        ("send_date", Date),
        ("return_date", Date),
        ("return_status", Text),
        ("counted", Bool),
        ("county", Text),
        ("precinct", Text),
        ("site_name", Text),
    ],
    creates_person: false,
    removable: false,
};

pub static DONATIONS: TableSpec = TableSpec {
    name: "donations",
    columns: &[
        ("sub_id", Text),
        ("committee_id", Text),
        ("amendment", Text),
        ("report_type", Text),
        ("election", Text),
        ("image_num", Text),
        ("transaction_type", Text),
        ("entity_type", Text),
        NAME_COLS[0],
        NAME_COLS[1],
        NAME_COLS[2],
        NAME_COLS[3],
        NAME_COLS[4],
        ("city", Text),
        ("state", Text),
        ("zip5", Text),
        ("zip4", Text),
        ("employer", Text),
        ("occupation", Text),
        ("date", Date),
        ("amount_cents", Int),
        ("other_id", Text),
        ("tran_id", Text),
        ("file_num", Text),
        ("memo", Bool),
        ("memo_text", Text),
    ],
    creates_person: false,
    removable: false,
};

/// Canvass results and persuasion-experiment subjects (`tusk import canvass|experiment`).
pub static FIELD_RESULTS: TableSpec = TableSpec {
    name: "field_results",
    columns: &[
        ("source", Text),
        ("result_id", Text),
        ("voter_id", Text),
        ("voter_rkey", Text),
        ("date", Date),
        ("contact_type", Text),
        ("result", Text),
        ("support_id", Int),
        ("experiment_group", Text),
        ("canvasser", Text),
    ],
    creates_person: false,
    removable: false,
};

const ENTRY_COLS: [(&str, ColType); 20] = [
    ("source", Text),
    ("source_key", Text),
    NAME_COLS[0],
    NAME_COLS[1],
    NAME_COLS[2],
    NAME_COLS[3],
    NAME_COLS[4],
    ("email", Text),
    ("phone", Text),
    ("address_line", Text),
    ("house_number", Text),
    ("street", Text),
    ("unit", Text),
    ("city", Text),
    ("state", Text),
    ("zip5", Text),
    ("zip4", Text),
    ("birth_date", Date),
    ("birth_year", Int),
    ("entry_date", Date),
];

pub static VOLUNTEERS: TableSpec = TableSpec {
    name: "volunteers",
    columns: &ENTRY_COLS,
    creates_person: false,
    removable: false,
};

pub static CONTACTS: TableSpec = TableSpec {
    name: "contacts",
    columns: &[
        ENTRY_COLS[0],
        ENTRY_COLS[1],
        ("owner", Text),
        ENTRY_COLS[2],
        ENTRY_COLS[3],
        ENTRY_COLS[4],
        ENTRY_COLS[5],
        ENTRY_COLS[6],
        ENTRY_COLS[7],
        ENTRY_COLS[8],
        ENTRY_COLS[9],
        ENTRY_COLS[10],
        ENTRY_COLS[11],
        ENTRY_COLS[12],
        ENTRY_COLS[13],
        ENTRY_COLS[14],
        ENTRY_COLS[15],
        ENTRY_COLS[16],
        ENTRY_COLS[17],
        ENTRY_COLS[18],
        ENTRY_COLS[19],
    ],
    creates_person: false,
    removable: false,
};

/// One source record ready for the store: natural key, provenance, verbatim text and the
/// normalised values in `TableSpec::columns` order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Natural key, unique per table: `nc:AA123`, `nc:AA123:2024-11-05`, `fec:4123...`.
    pub rkey: String,
    pub row_number: u64,
    pub raw: String,
    pub hash: i64,
    pub values: Vec<Value>,
}

/// A household to make sure exists: id from `model::household_id(key)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Household {
    pub id: i64,
    pub key: String,
    pub address_line: String,
    pub city: String,
    pub state: String,
    pub zip5: String,
}

fn t(s: String) -> Value {
    Value::Text(s)
}
fn ts(s: &str) -> Value {
    Value::Text(s.to_string())
}
fn opt_t(s: Option<String>) -> Value {
    s.map(Value::Text).unwrap_or(Value::Null)
}
fn opt_d(d: Option<Date>) -> Value {
    d.map(Value::Date).unwrap_or(Value::Null)
}
fn opt_i(i: Option<i64>) -> Value {
    i.map(Value::Int).unwrap_or(Value::Null)
}

fn name_values(v: &mut Vec<Value>, n: NameFields) {
    v.extend([
        t(n.first),
        t(n.middle),
        t(n.last),
        t(n.suffix),
        t(n.first_group),
    ]);
}

fn address_values(v: &mut Vec<Value>, a: AddressFields) {
    v.extend([
        t(a.line),
        t(a.house_number),
        t(a.street),
        t(a.unit),
        t(a.city),
        t(a.state),
        opt_t(a.zip5),
        opt_t(a.zip4),
    ]);
}

/// Record key of a voter: `source:voter_id`.
pub fn voter_rkey(source: &str, voter_id: &str) -> String {
    format!("{source}:{voter_id}")
}

fn voter_values(r: Voter) -> (Vec<Value>, Option<Household>) {
    let mut v = Vec::with_capacity(VOTERS.columns.len());
    v.extend([
        t(r.source),
        t(r.voter_id),
        t(r.state),
        t(r.county_id),
        t(r.county),
        t(r.registration_number),
    ]);
    name_values(&mut v, r.name);
    v.extend([t(r.status), t(r.status_reason)]);
    let a = r.address;
    let household = a.household_key().map(|key| Household {
        id: model::household_id(&key),
        key,
        address_line: a.line.clone(),
        city: a.city.clone(),
        state: a.state.clone(),
        zip5: a.zip5.clone().unwrap_or_default(),
    });
    address_values(&mut v, a);
    v.push(opt_i(household.as_ref().map(|h| h.id)));
    v.extend([
        t(r.mail_address),
        opt_t(r.phone),
        opt_i(r.birth_year.map(i64::from)),
        opt_d(r.birth_date),
        t(r.gender),
        t(r.race),
        t(r.ethnicity),
        t(r.party),
        opt_d(r.registration_date),
        t(r.precinct),
        t(r.precinct_desc),
        t(r.municipality),
        t(r.ward),
        t(r.congressional_district),
        t(r.senate_district),
        t(r.house_district),
        Value::Bool(r.confidential),
    ]);
    (v, household)
}

fn vote_values(r: Vote) -> Vec<Value> {
    let rkey = voter_rkey(&r.source, &r.voter_id);
    vec![
        t(r.source),
        t(r.voter_id),
        t(rkey),
        Value::Date(r.election_date),
        t(r.election_desc),
        ts(r.election_type),
        ts(r.method.as_str()),
        t(r.method_raw),
        t(r.voted_party),
        t(r.county_id),
        t(r.precinct),
    ]
}

fn ballot_values(r: Ballot) -> Vec<Value> {
    let rkey = voter_rkey(&r.source, &r.voter_id);
    vec![
        t(r.source),
        t(r.voter_id),
        t(rkey),
        Value::Date(r.election_date),
        t(r.request_type),
        opt_d(r.request_date),
        opt_d(r.send_date),
        opt_d(r.return_date),
        t(r.return_status),
        Value::Bool(r.counted),
        t(r.county),
        t(r.precinct),
        t(r.site_name),
    ]
}

fn field_result_values(r: FieldResult) -> Vec<Value> {
    let rkey = voter_rkey(&r.voter_source, &r.voter_id);
    vec![
        t(r.source),
        t(r.result_id),
        t(r.voter_id),
        t(rkey),
        opt_d(r.date),
        t(r.contact_type),
        t(r.result),
        opt_i(r.support_id.map(i64::from)),
        t(r.experiment_group),
        t(r.canvasser),
    ]
}

fn donation_values(r: Donation) -> Vec<Value> {
    let mut v = Vec::with_capacity(DONATIONS.columns.len());
    v.extend([
        t(r.sub_id),
        t(r.committee_id),
        t(r.amendment),
        t(r.report_type),
        t(r.election),
        t(r.image_num),
        t(r.transaction_type),
        t(r.entity_type),
    ]);
    name_values(&mut v, r.name);
    v.extend([
        t(r.city),
        t(r.state),
        opt_t(r.zip5),
        opt_t(r.zip4),
        t(r.employer),
        t(r.occupation),
        opt_d(r.date),
        Value::Int(r.amount_cents),
        t(r.other_id),
        t(r.tran_id),
        t(r.file_num),
        Value::Bool(r.memo),
        t(r.memo_text),
    ]);
    v
}

fn entry_values(r: Entry, with_owner: bool) -> Vec<Value> {
    let mut v = Vec::with_capacity(CONTACTS.columns.len());
    v.extend([t(r.source), t(r.key)]);
    if with_owner {
        v.push(t(r.owner));
    }
    name_values(&mut v, r.name);
    v.extend([opt_t(r.email), opt_t(r.phone)]);
    address_values(&mut v, r.address);
    v.extend([
        opt_d(r.birth_date),
        opt_i(r.birth_year.map(i64::from)),
        opt_d(r.date),
    ]);
    v
}

/// A record as a store row: which table, the row, and the household it lives in (voters).
pub fn to_row(record: Record, row_number: u64, raw: String) -> (Table, Row, Option<Household>) {
    let hash = model::content_hash(&raw);
    let (table, rkey, values, household) = match record {
        Record::Voter(r) => {
            let rkey = voter_rkey(&r.source, &r.voter_id);
            let (values, h) = voter_values(*r);
            (Table::Voters, rkey, values, h)
        }
        Record::Vote(r) => {
            let rkey = format!("{}:{}:{}", r.source, r.voter_id, r.election_date);
            (Table::VoteHistory, rkey, vote_values(r), None)
        }
        Record::Ballot(r) => {
            let rkey = format!(
                "{}:{}:{}:{}:{}",
                r.source,
                r.voter_id,
                r.election_date,
                r.request_type,
                r.request_date.map(|d| d.to_string()).unwrap_or_default()
            );
            (Table::Ballots, rkey, ballot_values(r), None)
        }
        Record::Donation(r) => {
            let source = if r.source.is_empty() {
                "fec"
            } else {
                r.source.as_str()
            };
            let rkey = format!("{source}:{}", r.sub_id);
            (Table::Donations, rkey, donation_values(*r), None)
        }
        Record::Volunteer(r) => {
            let rkey = format!("{}:{}", r.source, r.key);
            (Table::Volunteers, rkey, entry_values(*r, false), None)
        }
        Record::Contact(r) => {
            let rkey = format!("{}:{}", r.source, r.key);
            (Table::Contacts, rkey, entry_values(*r, true), None)
        }
        Record::FieldResult(r) => {
            let rkey = format!("{}:{}", r.source, r.result_id);
            (Table::FieldResults, rkey, field_result_values(*r), None)
        }
    };
    debug_assert_eq!(values.len(), table.spec().columns.len(), "{}", table.name());
    (
        table,
        Row {
            rkey,
            row_number,
            raw,
            hash,
            values,
        },
        household,
    )
}
