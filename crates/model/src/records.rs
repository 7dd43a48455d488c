//! Typed records produced by the readers (ingest) and stored by the store.

use crate::date::Date;
use crate::normalize::{self, Address, PersonName};

/// Where a record came from in its file: 1-based data row number (the header is row 0) and
/// the row's fields verbatim (decoded to UTF-8, tab-joined with `\t`, `\n`, `\\` escaped;
/// see [`escape_field`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRow {
    pub row_number: u64,
    pub raw: String,
}

/// Escapes one field for the verbatim form: backslash, tab, newline and carriage return.
pub fn escape_field(out: &mut String, f: &str) {
    if !f
        .bytes()
        .any(|b| matches!(b, b'\\' | b'\t' | b'\n' | b'\r'))
    {
        out.push_str(f);
        return;
    }
    for c in f.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

/// Joins fields into the verbatim form.
pub fn join_fields<'a>(fields: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::with_capacity(256);
    for (i, f) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push('\t');
        }
        escape_field(&mut out, f);
    }
    out
}

/// Splits the verbatim form back into fields (inverse of [`join_fields`]).
pub fn split_fields(raw: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '\t' => out.push(String::new()),
            '\\' => {
                let last = out.last_mut().expect("never empty");
                match chars.next() {
                    Some('t') => last.push('\t'),
                    Some('n') => last.push('\n'),
                    Some('r') => last.push('\r'),
                    Some(other) => last.push(other),
                    None => last.push('\\'),
                }
            }
            c => out.last_mut().expect("never empty").push(c),
        }
    }
    out
}

/// Normalised name fields as stored: parts plus the nickname group of the first name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameFields {
    pub first: String,
    pub middle: String,
    pub last: String,
    pub suffix: String,
    /// `normalize::nickname_key(first)`: ROBERT for BOB.
    pub first_group: String,
}

impl NameFields {
    pub fn from_parts(first: &str, middle: &str, last: &str, suffix: &str) -> NameFields {
        let first = normalize::name(first);
        let mut last = normalize::name(last);
        let mut sfx = normalize::suffix(suffix)
            .map(str::to_string)
            .unwrap_or_default();
        if sfx.is_empty() {
            // "SMITH JR" in the last-name field.
            if let Some((head, tail)) = last.rsplit_once(' ') {
                if let Some(s) = normalize::suffix(tail) {
                    sfx = s.to_string();
                    last = head.to_string();
                }
            }
        }
        let first_group = normalize::nickname_key(&first);
        NameFields {
            first,
            middle: normalize::name(middle),
            last,
            suffix: sfx,
            first_group,
        }
    }

    pub fn from_parsed(n: PersonName) -> NameFields {
        let first_group = normalize::nickname_key(&n.first);
        NameFields {
            first: n.first,
            middle: n.middle,
            last: n.last,
            suffix: n.suffix,
            first_group,
        }
    }
}

/// Normalised residential address as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressFields {
    /// Normalised one-line street address (`123 N MAIN ST APT 4`).
    pub line: String,
    pub house_number: String,
    /// Street name with directionals and suffix (`N MAIN ST`), without house number and unit.
    pub street: String,
    pub unit: String,
    pub city: String,
    pub state: String,
    pub zip5: Option<String>,
    pub zip4: Option<String>,
}

impl AddressFields {
    pub fn parse(street_line: &str, city: &str, state: &str, zip: &str) -> AddressFields {
        let a: Address = normalize::address(street_line);
        let (zip5, zip4) = normalize::zip(zip);
        let street = [
            a.predir.as_str(),
            a.street.as_str(),
            a.suffix.as_str(),
            a.postdir.as_str(),
        ]
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
        let unit = [a.unit_type.as_str(), a.unit.as_str()]
            .iter()
            .filter(|p| !p.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        AddressFields {
            line: a.line(),
            house_number: a.house_number.clone(),
            street,
            unit,
            city: normalize::name(city),
            state: normalize::clean_text(state),
            zip5,
            zip4,
        }
    }

    /// Household key: same normalised street line and 5-digit zip.
    pub fn household_key(&self) -> Option<String> {
        if self.house_number.is_empty() || self.street.is_empty() {
            return None;
        }
        Some(format!(
            "{}|{}",
            self.line,
            self.zip5.as_deref().unwrap_or("")
        ))
    }
}

/// A registered voter from a state voter file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Voter {
    /// Source system, e.g. `nc` or `oh`: with `voter_id` it forms the record key `nc:AA123`.
    pub source: String,
    pub voter_id: String,
    pub state: String,
    pub county_id: String,
    pub county: String,
    pub registration_number: String,
    pub name: NameFields,
    /// A = active, I = inactive, R = removed, D = denied, S = temporary (state codes kept).
    pub status: String,
    pub status_reason: String,
    pub address: AddressFields,
    pub mail_address: String,
    pub phone: Option<String>,
    pub birth_year: Option<u16>,
    pub birth_date: Option<Date>,
    pub gender: String,
    pub race: String,
    pub ethnicity: String,
    pub party: String,
    pub registration_date: Option<Date>,
    pub precinct: String,
    pub precinct_desc: String,
    pub municipality: String,
    pub ward: String,
    pub congressional_district: String,
    pub senate_district: String,
    pub house_district: String,
    pub confidential: bool,
}

/// How a ballot was cast, normalised across renamed codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoteMethod {
    ElectionDay,
    Early,
    Mail,
    Provisional,
    Other,
    Unknown,
}

impl VoteMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            VoteMethod::ElectionDay => "election_day",
            VoteMethod::Early => "early",
            VoteMethod::Mail => "mail",
            VoteMethod::Provisional => "provisional",
            VoteMethod::Other => "other",
            VoteMethod::Unknown => "unknown",
        }
    }

    /// Reads NC's `voting_method` values, old and new names
    /// (`IN-PERSON`, `ELECTION DAY IN-PERSON`, `EARLY VOTING IN-PERSON`, `ABSENTEE ONESTOP`,
    /// `ABSENTEE BY MAIL`, `PROVISIONAL`, `TRANSFER`, `CURBSIDE`, ...).
    pub fn parse(s: &str) -> VoteMethod {
        let s = normalize::clean_text(s);
        if s.is_empty() {
            VoteMethod::Unknown
        } else if s.contains("PROVISIONAL") {
            VoteMethod::Provisional
        } else if s.contains("ONESTOP") || s.contains("ONE-STOP") || s.contains("EARLY") {
            VoteMethod::Early
        } else if s.contains("MAIL") || s == "ABSENTEE" {
            VoteMethod::Mail
        } else if s.contains("IN-PERSON") || s.contains("ELECTION DAY") || s == "CURBSIDE" {
            VoteMethod::ElectionDay
        } else {
            VoteMethod::Other
        }
    }
}

/// Election type from its description (`11/05/2024 GENERAL`).
pub fn election_type(desc: &str) -> &'static str {
    let d = desc.to_ascii_uppercase();
    if d.contains("PRIMARY") {
        "primary"
    } else if d.contains("MUNICIPAL") || d.contains("TOWN") || d.contains("CITY") {
        "municipal"
    } else if d.contains("SPECIAL") || d.contains("REFERENDUM") || d.contains("BOND") {
        "special"
    } else if d.contains("GENERAL") {
        "general"
    } else {
        "other"
    }
}

/// One voter's participation in one election. A set keyed by (voter, election date).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vote {
    pub source: String,
    pub voter_id: String,
    pub election_date: Date,
    pub election_desc: String,
    pub election_type: &'static str,
    pub method: VoteMethod,
    pub method_raw: String,
    pub voted_party: String,
    pub county_id: String,
    pub precinct: String,
}

/// A mail or one-stop (early in-person) ballot from the state's absentee file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ballot {
    pub source: String,
    pub voter_id: String,
    pub election_date: Date,
    /// `MAIL` or `ONE-STOP` as published.
    pub request_type: String,
    pub request_date: Option<Date>,
    pub send_date: Option<Date>,
    pub return_date: Option<Date>,
    pub return_status: String,
    /// `return_status` is ACCEPTED: the ballot counts, the voter has voted.
    pub counted: bool,
    pub county: String,
    pub precinct: String,
    pub site_name: String,
}

/// A field result: a door knock or call from a canvass export, or one subject of a
/// randomised persuasion experiment (treatment or control, support measured after).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldResult {
    /// `canvass` or `experiment`: the file kind; also the natural key's prefix.
    pub source: String,
    /// The result's id in its file (`result_id` / `row_id`).
    pub result_id: String,
    /// The voter file the id belongs to (`nc` for an `ncid` column).
    pub voter_source: String,
    /// The voter's id on the state file (NC `ncid`).
    pub voter_id: String,
    pub date: Option<Date>,
    /// `door`, `phone`, … (canvass); empty for the experiment's control group.
    pub contact_type: String,
    /// `Contacted`, `Not Home`, `Refused`, `Moved`, … (canvass); `treatment`/`control` group
    /// for the experiment.
    pub result: String,
    /// Support ID 1 (strong support) … 5 (strong oppose), when one was recorded.
    pub support_id: Option<u8>,
    /// `treatment` or `control` (experiment only).
    pub experiment_group: String,
    pub canvasser: String,
}

/// One individual contribution: an FEC `itcont.txt` row, or a gift sent by a fundraising tool
/// through the API (`record_donation_helper`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Donation {
    /// Where it came from: empty for the FEC file (record key `fec:<SUB_ID>`), else the sending
    /// system (record key `<source>:<its id>`).
    pub source: String,
    pub sub_id: String,
    pub committee_id: String,
    pub amendment: String,
    pub report_type: String,
    /// `TRANSACTION_PGI`: P2024 primary, G2024 general...
    pub election: String,
    pub image_num: String,
    pub transaction_type: String,
    pub entity_type: String,
    pub name: NameFields,
    pub city: String,
    pub state: String,
    pub zip5: Option<String>,
    pub zip4: Option<String>,
    pub employer: String,
    pub occupation: String,
    pub date: Option<Date>,
    /// Amount in cents, negative for refunds.
    pub amount_cents: i64,
    pub other_id: String,
    pub tran_id: String,
    pub file_num: String,
    /// `MEMO_CD` = X: kept, not counted in totals.
    pub memo: bool,
    pub memo_text: String,
}

/// A volunteer sign-up or a supporter's contact: the person-shaped rows of CSV exports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entry {
    /// Source name from the mapping file (e.g. `mobilize-signups`).
    pub source: String,
    /// Stable id within the source (mapped key column, or a hash of the row when none).
    pub key: String,
    /// For contacts: who shared them (the supporter's id or e-mail as given).
    pub owner: String,
    pub name: NameFields,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: AddressFields,
    pub birth_date: Option<Date>,
    pub birth_year: Option<u16>,
    pub date: Option<Date>,
}

/// A parsed record of any kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    Voter(Box<Voter>),
    Vote(Vote),
    Ballot(Ballot),
    Donation(Box<Donation>),
    Volunteer(Box<Entry>),
    Contact(Box<Entry>),
    FieldResult(Box<FieldResult>),
}
