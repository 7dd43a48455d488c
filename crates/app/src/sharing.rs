//! Targeted sharing (PRODUCT.md C6): a supporter agrees to the terms, uploads contacts (CSV,
//! vCard or JSON), each friend is matched to the voter file with the identity engine (sparse
//! records: often a first name and a city, or a phone), classified and given ranked asks
//! (`targeting::sharing`), and the supporter sees the name they typed and the asks — never a
//! voter-file field, a score or whether a match was found beyond what the ask implies.
//!
//! Kept in the store (`store::sharing`); withdrawal erases uploads and friends; unmatched
//! friends are erased after `SHARING_RETENTION_DAYS_DEFAULT` days; `credit` marks asks whose
//! friend later registered or voted. No terminal, no HTTP.

use std::collections::{BTreeMap, HashMap};

use identity::{RawPerson, Record};
use model::{normalize, Date};
use serde::{Deserialize, Serialize};
use store::sharing::{self as kept, NewFriend, NewUpload};
use store::sql::{RowExt, Sql};
use store::{StoreError, Value};
pub use targeting::sharing::Class as ClassOf;
use targeting::sharing::{self as engine, Ask, Campaign, Class, Friend, Voter};

use crate::signup::VoterIndex;

/// Version of the terms a supporter agrees to before sharing.
pub const TERMS_VERSION: &str = "2026-11-1";
/// The terms, shown before the first upload and recorded (version and SHA-256) on consent.
pub const TERMS_TEXT: &str = "You choose which contacts to share. The campaign uses them only \
to suggest which friends you could ask to register, to vote or to help, and to count how many \
asks led to a registration or a vote. You will see only the names you typed and the asks; \
nothing else the campaign knows about anyone. Contacts the campaign cannot find on the voter \
file are erased after 60 days. You can withdraw at any time: your uploads and everything \
derived from them are erased at once.";

/// Largest upload, in bytes.
pub const UPLOAD_BYTES_MAX: usize = 2 * 1024 * 1024;
/// Contacts in one upload.
pub const CONTACTS_PER_UPLOAD_MAX: usize = 2_000;
/// Uploads per supporter in `RATE_WINDOW_HOURS` (against probing the voter file).
pub const UPLOADS_PER_WINDOW_MAX: i64 = 10;
/// Contacts per supporter in `RATE_WINDOW_HOURS`.
pub const CONTACTS_PER_WINDOW_MAX: i64 = 3_000;
/// The window of those two limits.
pub const RATE_WINDOW_HOURS: i64 = 24;
/// Friends one supporter may have kept at once.
pub const FRIENDS_PER_SUPPORTER_MAX: i64 = 5_000;
/// Longest value of any contact field.
pub const FIELD_BYTES_MAX: usize = 200;
/// Phones and e-mails of one contact tried against the voter file.
pub const PHONES_PER_CONTACT_MAX: usize = 3;
pub const EMAILS_PER_CONTACT_MAX: usize = 3;
/// Problems listed in an answer (the count is always whole).
pub const PROBLEMS_LISTED_MAX: usize = 200;
/// Days an unmatched friend is kept (the retention rule's default).
pub const SHARING_RETENTION_DAYS_DEFAULT: u32 = 60;
/// Voter matches below this are not looked at: 0, the best candidate is always read (its
/// evidence decides whether "no match" means "not registered").
pub const MATCH_FLOOR: f64 = 0.0;
/// The lowest registration threshold a campaign may set.
pub const MATCH_MIN_LOWEST: f64 = 0.5;

#[derive(Debug, thiserror::Error)]
pub enum SharingError {
    /// A field of the request (or of the upload as a whole) is wrong.
    #[error("{field}: {message}")]
    Field {
        field: &'static str,
        message: String,
    },
    /// No consent in force: the terms must be agreed first.
    #[error(
        "agree to the sharing terms first (POST /api/v1/sharing/consent with the version shown)"
    )]
    NoConsent,
    #[error("{0}")]
    NotFound(String),
    #[error("{message}")]
    RateLimited { message: String, retry_seconds: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn field(f: &'static str, m: impl Into<String>) -> SharingError {
    SharingError::Field {
        field: f,
        message: m.into(),
    }
}

// ---------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------

/// What the campaign sets for one state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateSettings {
    /// Where to register (the state's own site or vote.gov).
    #[serde(default)]
    pub registration_url: Option<String>,
    /// Last day to register (YYYY-MM-DD); after it, no registration asks.
    #[serde(default)]
    pub registration_deadline: Option<String>,
    /// Early voting, state-wide (a county's own dates override it).
    #[serde(default)]
    pub early_vote_start: Option<String>,
    #[serde(default)]
    pub early_vote_end: Option<String>,
    /// A polling-place finder for friends whose precinct has no polling place in the table.
    #[serde(default)]
    pub polling_place_url: Option<String>,
}

/// A county's own early-vote period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountySettings {
    pub early_vote_start: String,
    pub early_vote_end: String,
}

/// The campaign's sharing settings (one JSON document, `PUT /api/v1/sharing/settings`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Target states, most important first (two-letter codes).
    pub target_states: Vec<String>,
    #[serde(default)]
    pub states: BTreeMap<String, StateSettings>,
    /// Keyed `STATE/COUNTY` as on the voter file (`NC/WAKE`).
    #[serde(default)]
    pub counties: BTreeMap<String, CountySettings>,
    /// Where friends give; no give asks without it.
    #[serde(default)]
    pub give_url: Option<String>,
    /// The persuasion message friends are asked to watch; no persuasion asks without it.
    #[serde(default)]
    pub persuasion_url: Option<String>,
    /// Ask texts by kind (`register`, `vote_early`, `polling_place`, `give`, `persuade`), with
    /// `{name}`, `{state}`, `{deadline}`, `{start}`, `{end}`, `{place}`, `{address}`.
    #[serde(default)]
    pub texts: BTreeMap<String, String>,
    /// A voter match at least this probable is the friend's registration.
    #[serde(default = "default_match_min")]
    pub match_min: f64,
}

fn default_match_min() -> f64 {
    engine::MATCH_PROBABILITY_MIN
}

/// Used when a state has no registration link of its own.
pub const REGISTRATION_URL_DEFAULT: &str = "https://vote.gov/";

pub const ASK_KINDS: [&str; 5] = [
    "register",
    "vote_early",
    "polling_place",
    "give",
    "persuade",
];
pub const PLACEHOLDERS: [&str; 7] = [
    "name", "state", "deadline", "start", "end", "place", "address",
];
/// The order friends are listed in, by their first ask (after the target state's rank).
pub const ASK_ORDER: [&str; 5] = [
    "vote_early",
    "polling_place",
    "register",
    "persuade",
    "give",
];
/// Longest ask text.
pub const TEXT_BYTES_MAX: usize = 500;

pub fn ask_kind(a: Ask) -> &'static str {
    match a {
        Ask::Register => "register",
        Ask::VoteEarly => "vote_early",
        Ask::PollingPlace => "polling_place",
        Ask::Give => "give",
        Ask::Persuade => "persuade",
    }
}

fn class_name(c: Class) -> &'static str {
    match c {
        Class::NotRegistered => "not_registered",
        Class::TurnoutTarget => "turnout_target",
        Class::Persuadable => "persuadable",
        Class::AlreadyVoted => "already_voted",
        Class::NotATarget => "not_a_target",
    }
}

fn is_state(s: &str) -> bool {
    s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase())
}

/// A date as YYYY-MM-DD only.
fn iso(s: &str) -> Option<Date> {
    let s = s.trim();
    if s.len() == 10 && s.as_bytes()[4] == b'-' {
        Date::parse(s)
    } else {
        None
    }
}

fn check_url(f: &'static str, u: &Option<String>) -> Result<(), SharingError> {
    if let Some(u) = u {
        if !(u.starts_with("https://") || u.starts_with("http://")) || u.len() > FIELD_BYTES_MAX {
            return Err(field(
                f,
                format!(
                    "{u:?} is not a web address: give https://… (up to {FIELD_BYTES_MAX} bytes)"
                ),
            ));
        }
    }
    Ok(())
}

fn check_date(f: &'static str, d: &Option<String>) -> Result<Option<Date>, SharingError> {
    match d {
        None => Ok(None),
        Some(s) => iso(s)
            .map(Some)
            .ok_or_else(|| field(f, format!("{s:?} is not a date: give YYYY-MM-DD"))),
    }
}

impl Settings {
    /// Parses and checks a settings document; errors name the field.
    pub fn parse(json: &str) -> Result<Settings, SharingError> {
        let s: Settings = serde_json::from_str(json)
            .map_err(|e| field("settings", format!("not the settings document: {e}")))?;
        s.check()?;
        Ok(s)
    }

    pub fn check(&self) -> Result<(), SharingError> {
        if self.target_states.is_empty() {
            return Err(field(
                "target_states",
                "name at least one state, most important first (e.g. [\"OH\", \"VA\"])",
            ));
        }
        for s in self.target_states.iter().chain(self.states.keys()) {
            if !is_state(s) {
                return Err(field(
                    "target_states",
                    format!("{s:?} is not a two-letter state code in capitals"),
                ));
            }
        }
        for st in self.states.values() {
            check_url("states.registration_url", &st.registration_url)?;
            check_url("states.polling_place_url", &st.polling_place_url)?;
            check_date("states.registration_deadline", &st.registration_deadline)?;
            let a = check_date("states.early_vote_start", &st.early_vote_start)?;
            let b = check_date("states.early_vote_end", &st.early_vote_end)?;
            if let (Some(a), Some(b)) = (a, b) {
                if b < a {
                    return Err(field(
                        "states.early_vote_end",
                        "early voting ends before it starts",
                    ));
                }
            }
        }
        for (k, c) in &self.counties {
            if k.split_once('/')
                .is_none_or(|(s, c)| !is_state(s) || c.is_empty())
            {
                return Err(field(
                    "counties",
                    format!(
                        "{k:?}: counties are keyed STATE/COUNTY as on the voter file (NC/WAKE)"
                    ),
                ));
            }
            let a = check_date(
                "counties.early_vote_start",
                &Some(c.early_vote_start.clone()),
            )?;
            let b = check_date("counties.early_vote_end", &Some(c.early_vote_end.clone()))?;
            if b < a {
                return Err(field(
                    "counties.early_vote_end",
                    "early voting ends before it starts",
                ));
            }
        }
        check_url("give_url", &self.give_url)?;
        check_url("persuasion_url", &self.persuasion_url)?;
        for (k, t) in &self.texts {
            if !ASK_KINDS.contains(&k.as_str()) {
                return Err(field(
                    "texts",
                    format!("{k:?} is not an ask: use {}", ASK_KINDS.join(", ")),
                ));
            }
            if t.len() > TEXT_BYTES_MAX || t.trim().is_empty() {
                return Err(field(
                    "texts",
                    format!("the {k} text must have 1 to {TEXT_BYTES_MAX} bytes"),
                ));
            }
            let mut rest = t.as_str();
            while let Some(i) = rest.find('{') {
                let tail = &rest[i + 1..];
                let Some(j) = tail.find('}') else { break };
                let name = &tail[..j];
                if !PLACEHOLDERS.contains(&name) {
                    return Err(field(
                        "texts",
                        format!(
                            "the {k} text has {{{name}}}: the placeholders are {}",
                            PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(" ")
                        ),
                    ));
                }
                rest = &tail[j + 1..];
            }
        }
        if !(MATCH_MIN_LOWEST..1.0).contains(&self.match_min) {
            return Err(field(
                "match_min",
                format!("a probability from {MATCH_MIN_LOWEST} to below 1"),
            ));
        }
        Ok(())
    }

    /// The engine's view on `today`: registration open until the deadline, early voting open
    /// until its last day (state-wide or in any county of the state).
    pub fn campaign(&self, today: Date) -> Campaign {
        let mut c = Campaign {
            target_states: self.target_states.clone(),
            fundraising: self.give_url.is_some(),
            match_min: self.match_min,
            ..Campaign::default()
        };
        for s in &self.target_states {
            let st = self.states.get(s).cloned().unwrap_or_default();
            let deadline = st.registration_deadline.as_deref().and_then(iso);
            if deadline.is_none_or(|d| today <= d) {
                c.registration_open.push(s.clone());
            }
            let state_end = st.early_vote_end.as_deref().and_then(iso);
            let county_end = self
                .counties
                .iter()
                .filter(|(k, _)| k.starts_with(&format!("{s}/")))
                .filter_map(|(_, v)| iso(&v.early_vote_end))
                .max();
            // Open while any of the state's early voting (state-wide or a county's) is to come.
            if state_end.max(county_end).is_some_and(|e| today <= e) {
                c.early_vote_open.push(s.clone());
            }
        }
        c
    }
}

/// The settings in force: the stored document, or a default naming the states of the voter
/// file (registration at vote.gov, no dates, no give or persuasion asks).
pub fn settings(sql: &mut dyn Sql) -> Result<Settings, SharingError> {
    if let Some(body) = kept::settings(sql)? {
        return Settings::parse(&body);
    }
    let rows = sql.query(
        "SELECT DISTINCT state FROM (SELECT state FROM voters LIMIT 1000) x ORDER BY state",
        &[],
    )?;
    let mut states = Vec::new();
    for r in &rows {
        let s = r.text(0)?;
        if is_state(&s) {
            states.push(s);
        }
    }
    Ok(Settings {
        target_states: states,
        states: BTreeMap::new(),
        counties: BTreeMap::new(),
        give_url: None,
        persuasion_url: None,
        texts: BTreeMap::new(),
        match_min: engine::MATCH_PROBABILITY_MIN,
    })
}

/// Checks and keeps a settings document (data director).
pub fn set_settings(
    sql: &mut dyn Sql,
    json: &str,
    now: &str,
    actor: &str,
) -> Result<Settings, SharingError> {
    let s = Settings::parse(json)?;
    let body = serde_json::to_string(&s).map_err(|e| field("settings", e.to_string()))?;
    kept::set_settings(sql, &body, now, actor)?;
    store::accounts::audit(
        sql,
        now,
        actor,
        "sharing.settings",
        "sharing_settings",
        &serde_json::json!({"target_states": s.target_states}),
    )?;
    Ok(s)
}

// ---------------------------------------------------------------------------------------
// Uploads
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Vcard,
    Json,
}

impl Format {
    /// `csv`, `vcard` or `json`, exactly.
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "csv" => Some(Format::Csv),
            "vcard" => Some(Format::Vcard),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    /// Guessed from the content: vCard starts with BEGIN:VCARD, JSON with `[` or `{`.
    pub fn sniff(bytes: &[u8]) -> Format {
        let head = String::from_utf8_lossy(&bytes[..bytes.len().min(64)]);
        let t = head.trim_start_matches('\u{feff}').trim_start();
        if t.to_ascii_uppercase().starts_with("BEGIN:VCARD") {
            Format::Vcard
        } else if t.starts_with('[') || t.starts_with('{') {
            Format::Json
        } else {
            Format::Csv
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Vcard => "vcard",
            Format::Json => "json",
        }
    }
}

/// One contact as the supporter shared it, normalised for matching.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    /// The name as typed (what the supporter sees again).
    pub typed_name: String,
    pub first: String,
    pub middle: String,
    pub last: String,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub birth_date: Option<String>,
}

/// Something wrong with one entry of an upload (1-based), naming the field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub entry: usize,
    pub field: String,
    pub message: String,
    /// `rejected`: the entry was not kept; `ignored`: the value was dropped, the entry kept.
    pub outcome: &'static str,
}

/// An upload read: the contacts kept, what was wrong, the columns not recognised (CSV).
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub contacts: Vec<(usize, Contact)>,
    pub problems: Vec<Problem>,
    pub entries: usize,
    pub ignored_columns: Vec<String>,
}

/// CSV column names (lower case, spaces and dashes as `_`) and what they hold.
pub const CSV_ALIASES: &[(&str, &str)] = &[
    ("name", "name"),
    ("full_name", "name"),
    ("display_name", "name"),
    ("first", "first"),
    ("first_name", "first"),
    ("given_name", "first"),
    ("middle", "middle"),
    ("middle_name", "middle"),
    ("additional_name", "middle"),
    ("last", "last"),
    ("last_name", "last"),
    ("surname", "last"),
    ("family_name", "last"),
    ("phone", "phone"),
    ("mobile", "phone"),
    ("cell", "phone"),
    ("mobile_phone", "phone"),
    ("home_phone", "phone"),
    ("work_phone", "phone"),
    ("phone_number", "phone"),
    ("tel", "phone"),
    ("telephone", "phone"),
    ("email", "email"),
    ("e_mail", "email"),
    ("email_address", "email"),
    ("home_email", "email"),
    ("work_email", "email"),
    ("city", "city"),
    ("town", "city"),
    ("locality", "city"),
    ("state", "state"),
    ("region", "state"),
    ("zip", "zip"),
    ("zip_code", "zip"),
    ("postcode", "zip"),
    ("postal_code", "zip"),
    ("birthday", "birthday"),
    ("birth_date", "birthday"),
    ("dob", "birthday"),
    ("date_of_birth", "birthday"),
];

/// State names to codes (contacts often carry the name).
const STATE_NAMES: &[(&str, &str)] = &[
    ("ALABAMA", "AL"),
    ("ALASKA", "AK"),
    ("ARIZONA", "AZ"),
    ("ARKANSAS", "AR"),
    ("CALIFORNIA", "CA"),
    ("COLORADO", "CO"),
    ("CONNECTICUT", "CT"),
    ("DELAWARE", "DE"),
    ("DISTRICT OF COLUMBIA", "DC"),
    ("FLORIDA", "FL"),
    ("GEORGIA", "GA"),
    ("HAWAII", "HI"),
    ("IDAHO", "ID"),
    ("ILLINOIS", "IL"),
    ("INDIANA", "IN"),
    ("IOWA", "IA"),
    ("KANSAS", "KS"),
    ("KENTUCKY", "KY"),
    ("LOUISIANA", "LA"),
    ("MAINE", "ME"),
    ("MARYLAND", "MD"),
    ("MASSACHUSETTS", "MA"),
    ("MICHIGAN", "MI"),
    ("MINNESOTA", "MN"),
    ("MISSISSIPPI", "MS"),
    ("MISSOURI", "MO"),
    ("MONTANA", "MT"),
    ("NEBRASKA", "NE"),
    ("NEVADA", "NV"),
    ("NEW HAMPSHIRE", "NH"),
    ("NEW JERSEY", "NJ"),
    ("NEW MEXICO", "NM"),
    ("NEW YORK", "NY"),
    ("NORTH CAROLINA", "NC"),
    ("NORTH DAKOTA", "ND"),
    ("OHIO", "OH"),
    ("OKLAHOMA", "OK"),
    ("OREGON", "OR"),
    ("PENNSYLVANIA", "PA"),
    ("RHODE ISLAND", "RI"),
    ("SOUTH CAROLINA", "SC"),
    ("SOUTH DAKOTA", "SD"),
    ("TENNESSEE", "TN"),
    ("TEXAS", "TX"),
    ("UTAH", "UT"),
    ("VERMONT", "VT"),
    ("VIRGINIA", "VA"),
    ("WASHINGTON", "WA"),
    ("WEST VIRGINIA", "WV"),
    ("WISCONSIN", "WI"),
    ("WYOMING", "WY"),
];

/// A state as typed → its two-letter code ("" when it is not a US state).
pub fn state_code(s: &str) -> String {
    let u = normalize::clean_text(s).to_ascii_uppercase();
    let u = u.trim_end_matches('.').trim();
    if u.len() == 2 && STATE_NAMES.iter().any(|(_, c)| *c == u) {
        return u.to_string();
    }
    STATE_NAMES
        .iter()
        .find(|(n, _)| *n == u)
        .map(|(_, c)| c.to_string())
        .unwrap_or_default()
}

/// Fields of one entry as typed, before normalising.
#[derive(Default)]
struct Typed {
    name: String,
    first: String,
    middle: String,
    last: String,
    phones: Vec<String>,
    emails: Vec<String>,
    city: String,
    state: String,
    zip: String,
    birthday: String,
}

/// Normalises one entry; `Err` when it cannot be kept (the problem names the field).
fn contact_of(entry: usize, t: Typed, problems: &mut Vec<Problem>) -> Option<Contact> {
    let reject = |field: &str, message: String, problems: &mut Vec<Problem>| {
        problems.push(Problem {
            entry,
            field: field.into(),
            message,
            outcome: "rejected",
        });
        None
    };
    for (f, v) in [
        ("name", &t.name),
        ("first_name", &t.first),
        ("middle_name", &t.middle),
        ("last_name", &t.last),
        ("city", &t.city),
        ("state", &t.state),
        ("zip", &t.zip),
        ("birthday", &t.birthday),
    ] {
        if v.len() > FIELD_BYTES_MAX {
            return reject(f, format!("longer than {FIELD_BYTES_MAX} bytes"), problems);
        }
    }
    for v in t.phones.iter().chain(&t.emails) {
        if v.len() > FIELD_BYTES_MAX {
            return reject(
                "phone",
                format!("a value longer than {FIELD_BYTES_MAX} bytes"),
                problems,
            );
        }
    }
    let name = if !t.first.trim().is_empty() || !t.last.trim().is_empty() {
        model::NameFields::from_parts(&t.first, &t.middle, &t.last, "")
    } else {
        model::NameFields::from_parsed(normalize::parse_full_name(&t.name))
    };
    let typed_name = {
        let parts = [t.first.trim(), t.middle.trim(), t.last.trim()];
        let joined = parts
            .iter()
            .filter(|p| !p.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        if joined.is_empty() {
            t.name.trim().to_string()
        } else {
            joined
        }
    };
    if name.first.is_empty() && name.last.is_empty() {
        return reject(
            "name",
            "no name: give a name, or a first or last name".into(),
            problems,
        );
    }
    let mut ignored = |field: &str, message: String| {
        problems.push(Problem {
            entry,
            field: field.into(),
            message,
            outcome: "ignored",
        })
    };
    let mut phones = Vec::new();
    for p in t.phones.iter().filter(|p| !p.trim().is_empty()) {
        match normalize::phone(p) {
            Some(n) if !phones.contains(&n) => phones.push(n),
            Some(_) => {}
            None => ignored(
                "phone",
                "not a 10-digit US phone number: this value is ignored".into(),
            ),
        }
    }
    phones.truncate(PHONES_PER_CONTACT_MAX);
    let mut emails = Vec::new();
    for e in t.emails.iter().filter(|e| !e.trim().is_empty()) {
        match normalize::email(e) {
            Some(n) if !emails.contains(&n) => emails.push(n),
            Some(_) => {}
            None => ignored(
                "email",
                "not an e-mail address: this value is ignored".into(),
            ),
        }
    }
    emails.truncate(EMAILS_PER_CONTACT_MAX);
    let state = if t.state.trim().is_empty() {
        String::new()
    } else {
        let c = state_code(&t.state);
        if c.is_empty() {
            ignored(
                "state",
                "not a US state (a two-letter code or a name): this value is ignored".into(),
            );
        }
        c
    };
    let zip = if t.zip.trim().is_empty() {
        String::new()
    } else {
        match normalize::zip(&t.zip).0 {
            Some(z) => z,
            None => {
                ignored("zip", "not a US zip code: this value is ignored".into());
                String::new()
            }
        }
    };
    let birth_date = if t.birthday.trim().is_empty() {
        None
    } else {
        match Date::parse(&t.birthday) {
            Some(d) => Some(d.to_string()),
            None => {
                // Birthdays without a year (--MM-DD, 03/14) say nothing the voter file can use.
                ignored(
                    "birthday",
                    "not a full date with a year (YYYY-MM-DD or MM/DD/YYYY): this value is ignored"
                        .into(),
                );
                None
            }
        }
    };
    Some(Contact {
        typed_name,
        first: name.first,
        middle: name.middle,
        last: name.last,
        phones,
        emails,
        city: normalize::name(&t.city),
        state,
        zip,
        birth_date,
    })
}

fn too_many() -> SharingError {
    field(
        "contacts",
        format!("more than {CONTACTS_PER_UPLOAD_MAX} contacts in one upload: split the file"),
    )
}

fn parse_csv(bytes: &[u8], out: &mut Parsed) -> Result<(), SharingError> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| field("file", format!("the CSV header cannot be read: {e}")))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
        .collect();
    let mut cols: Vec<Option<&'static str>> = Vec::new();
    for h in &header {
        let key: String = h
            .to_ascii_lowercase()
            .chars()
            .map(|c| if c == ' ' || c == '-' { '_' } else { c })
            .collect();
        let found = CSV_ALIASES.iter().find(|(a, _)| *a == key).map(|(_, f)| *f);
        let found = found.or_else(|| {
            if key.contains("phone") || key.contains("mobile") {
                Some("phone")
            } else if key.contains("email") || key.contains("e_mail") {
                Some("email")
            } else {
                None
            }
        });
        if found.is_none() && !h.is_empty() {
            out.ignored_columns.push(h.clone());
        }
        cols.push(found);
    }
    if !cols
        .iter()
        .any(|c| matches!(c, Some("name" | "first" | "last")))
    {
        return Err(field(
            "file",
            format!(
                "no name column: the header needs name, or first_name / last_name (it has: {})",
                header.join(", ")
            ),
        ));
    }
    for (n, row) in rdr.records().enumerate() {
        let entry = n + 1;
        if entry > CONTACTS_PER_UPLOAD_MAX {
            return Err(too_many());
        }
        out.entries = entry;
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                out.problems.push(Problem {
                    entry,
                    field: "row".into(),
                    message: format!("unreadable: {e}"),
                    outcome: "rejected",
                });
                continue;
            }
        };
        let mut t = Typed::default();
        for (i, v) in row.iter().enumerate() {
            if v.is_empty() {
                continue;
            }
            match cols.get(i).copied().flatten() {
                Some("name") => t.name = v.into(),
                Some("first") => t.first = v.into(),
                Some("middle") => t.middle = v.into(),
                Some("last") => t.last = v.into(),
                Some("phone") => t.phones.push(v.into()),
                Some("email") => t.emails.push(v.into()),
                Some("city") => t.city = v.into(),
                Some("state") => t.state = v.into(),
                Some("zip") => t.zip = v.into(),
                Some("birthday") => t.birthday = v.into(),
                _ => {}
            }
        }
        if let Some(c) = contact_of(entry, t, &mut out.problems) {
            out.contacts.push((entry, c));
        }
    }
    Ok(())
}

/// The `FN` of each card, in order (the name as the supporter's phone shows it).
fn vcard_display_names(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    let mut inside = false;
    // Unfold (a line starting with a space or a tab continues the one before), as the reader
    // does; a byte-order mark is not part of the first line.
    let mut logical: Vec<String> = Vec::new();
    for line in text.trim_start_matches('\u{feff}').lines() {
        match (line.strip_prefix([' ', '\t']), logical.last_mut()) {
            (Some(rest), Some(prev)) => prev.push_str(rest),
            _ => logical.push(line.to_string()),
        }
    }
    for line in &logical {
        let l = line.trim();
        if l.eq_ignore_ascii_case("BEGIN:VCARD") {
            if inside {
                out.push(current.take().unwrap_or_default());
            }
            inside = true;
            current = None;
        } else if l.eq_ignore_ascii_case("END:VCARD") {
            if inside {
                out.push(current.take().unwrap_or_default());
            }
            inside = false;
        } else if inside && current.is_none() {
            if let Some((head, value)) = l.split_once(':') {
                let name = head.split(';').next().unwrap_or("");
                let name = name.rsplit('.').next().unwrap_or(name);
                if name.eq_ignore_ascii_case("FN") {
                    current = Some(value.replace("\\,", ",").replace("\\;", ";").trim().into());
                }
            }
        }
    }
    if inside {
        out.push(current.unwrap_or_default());
    }
    out
}

fn parse_vcard(bytes: &[u8], out: &mut Parsed) -> Result<(), SharingError> {
    let names = vcard_display_names(&String::from_utf8_lossy(bytes));
    let mut cards = ingest::formats::vcard::Cards::new(bytes, "shared");
    while let Some(row) = cards.next_row() {
        let row = row.map_err(|e| field("file", format!("the vCard file cannot be read: {e}")))?;
        let entry = row.row_number as usize;
        if entry > CONTACTS_PER_UPLOAD_MAX {
            return Err(too_many());
        }
        out.entries = entry;
        let e = match row.result {
            Err(m) => {
                out.problems.push(Problem {
                    entry,
                    field: if m.contains("name") { "name" } else { "card" }.into(),
                    message: m,
                    outcome: "rejected",
                });
                continue;
            }
            Ok(parsed) => match parsed.into_iter().next().map(|p| p.record) {
                Some(model::Record::Contact(e)) => e,
                _ => continue,
            },
        };
        let typed = names.get(entry - 1).cloned().unwrap_or_default();
        let t = Typed {
            name: typed.clone(),
            first: e.name.first.clone(),
            middle: e.name.middle.clone(),
            last: e.name.last.clone(),
            phones: e.phone.iter().cloned().collect(),
            emails: e.email.iter().cloned().collect(),
            city: e.address.city.clone(),
            state: e.address.state.clone(),
            zip: e.address.zip5.clone().unwrap_or_default(),
            birthday: e.birth_date.map(|d| d.to_string()).unwrap_or_default(),
        };
        if let Some(mut c) = contact_of(entry, t, &mut out.problems) {
            if !typed.trim().is_empty() {
                c.typed_name = typed.trim().to_string();
            }
            out.contacts.push((entry, c));
        }
    }
    if out.entries == 0 {
        return Err(field(
            "file",
            "no card: a vCard file has BEGIN:VCARD … END:VCARD blocks",
        ));
    }
    Ok(())
}

fn json_strings(v: Option<&serde_json::Value>, one: Option<&serde_json::Value>) -> Vec<String> {
    let mut out = Vec::new();
    for x in [v, one].into_iter().flatten() {
        match x {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Array(a) => {
                for i in a {
                    match i {
                        serde_json::Value::String(s) => out.push(s.clone()),
                        serde_json::Value::Object(o) => {
                            if let Some(serde_json::Value::String(s)) =
                                o.get("value").or(o.get("number")).or(o.get("address"))
                            {
                                out.push(s.clone());
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn parse_json(bytes: &[u8], out: &mut Parsed) -> Result<(), SharingError> {
    let v: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| field("file", format!("not JSON: {e}")))?;
    let list = match &v {
        serde_json::Value::Array(a) => a,
        serde_json::Value::Object(o) => match o.get("contacts") {
            Some(serde_json::Value::Array(a)) => a,
            _ => {
                return Err(field(
                    "contacts",
                    "give an array of contacts, or {\"contacts\": [...]}",
                ))
            }
        },
        _ => {
            return Err(field(
                "contacts",
                "give an array of contacts, or {\"contacts\": [...]}",
            ))
        }
    };
    if list.len() > CONTACTS_PER_UPLOAD_MAX {
        return Err(too_many());
    }
    out.entries = list.len();
    for (i, c) in list.iter().enumerate() {
        let entry = i + 1;
        let Some(o) = c.as_object() else {
            out.problems.push(Problem {
                entry,
                field: "contact".into(),
                message: "not an object with name, phones, emails, city, state…".into(),
                outcome: "rejected",
            });
            continue;
        };
        let s = |k: &[&str]| -> String {
            k.iter()
                .find_map(|k| o.get(*k).and_then(|v| v.as_str()))
                .unwrap_or("")
                .to_string()
        };
        let t = Typed {
            name: s(&["name", "full_name", "display_name"]),
            first: s(&["first_name", "given_name", "first"]),
            middle: s(&["middle_name", "additional_name"]),
            last: s(&["last_name", "family_name", "surname", "last"]),
            phones: json_strings(o.get("phones"), o.get("phone")),
            emails: json_strings(o.get("emails"), o.get("email")),
            city: s(&["city", "locality"]),
            state: s(&["state", "region"]),
            zip: s(&["zip", "postal_code", "postcode"]),
            birthday: s(&["birthday", "birth_date", "dob"]),
        };
        if let Some(c) = contact_of(entry, t, &mut out.problems) {
            out.contacts.push((entry, c));
        }
    }
    Ok(())
}

/// Reads an upload. Whole-upload faults (too large, no name column, not JSON) are errors;
/// a bad entry is a problem naming its field, and the rest are kept.
pub fn parse(format: Format, bytes: &[u8]) -> Result<Parsed, SharingError> {
    if bytes.len() > UPLOAD_BYTES_MAX {
        return Err(field(
            "file",
            format!("larger than {UPLOAD_BYTES_MAX} bytes: split the file"),
        ));
    }
    let mut out = Parsed::default();
    match format {
        Format::Csv => parse_csv(bytes, &mut out)?,
        Format::Vcard => parse_vcard(bytes, &mut out)?,
        Format::Json => parse_json(bytes, &mut out)?,
    }
    Ok(out)
}

/// Enough to be found on the voter file if registered: first and last name and a place
/// (city or zip). (A birth date alone is not enough: many voter files carry only the year.)
pub fn findable(c: &Contact) -> bool {
    !c.first.is_empty() && !c.last.is_empty() && (!c.city.is_empty() || !c.zip.is_empty())
}

/// The identity records of a contact: one per phone/e-mail pairing (at least one), for
/// `VoterIndex::best_match`.
pub fn records_of(id: &str, c: &Contact) -> Vec<Record> {
    let n = c.phones.len().max(c.emails.len()).max(1);
    (0..n)
        .map(|i| {
            Record::new(
                id.to_string(),
                &RawPerson {
                    first: c.first.clone(),
                    middle: c.middle.clone(),
                    last: c.last.clone(),
                    dob: c.birth_date.clone().unwrap_or_default(),
                    city: c.city.clone(),
                    state: c.state.clone(),
                    zip: c.zip.clone(),
                    phone: c.phones.get(i).cloned().unwrap_or_default(),
                    email: c.emails.get(i).cloned().unwrap_or_default(),
                    ..Default::default()
                },
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Matching and ranking
// ---------------------------------------------------------------------------------------

/// What the campaign knows of a matched registration, for the engine and the ask texts.
#[derive(Debug, Clone, Default)]
pub struct Registration {
    pub voter_id: String,
    pub state: String,
    pub county: String,
    pub precinct: String,
    pub person_id: Option<i64>,
    pub support: Option<f32>,
    pub turnout: Option<f32>,
    pub persuasion: Option<f32>,
    pub voted: bool,
}

fn marks(n: usize) -> String {
    vec!["?"; n].join(",")
}

/// Reads the registrations behind `rkeys` (still on the file), their approved scores and
/// whether they voted (a counted ballot of `election`, or `voted` from the election-day board).
pub fn registrations(
    sql: &mut dyn Sql,
    rkeys: &[String],
    election: Option<Date>,
    voted: &dyn Fn(&str) -> Option<bool>,
) -> Result<HashMap<String, Registration>, StoreError> {
    let mut out: HashMap<String, Registration> = HashMap::new();
    for chunk in rkeys.chunks(kept::ROWS_PER_INSERT) {
        let args: Vec<Value> = chunk.iter().map(|k| Value::Text(k.clone())).collect();
        for r in sql.query(
            &format!(
                // Removed registrations are skipped here, not in SQL: SQLite would pick the
                // removed-load index for `removed_load_id IS NULL` and scan every voter.
                "SELECT rkey, voter_id, state, county, precinct, person_id, removed_load_id FROM voters \
                 WHERE rkey IN ({})",
                marks(chunk.len())
            ),
            &args,
        )? {
            if r.opt_int(6)?.is_some() {
                continue;
            }
            out.insert(
                r.text(0)?,
                Registration {
                    voter_id: r.text(1)?,
                    state: r.text(2)?,
                    county: r.text(3)?,
                    precinct: r.text(4)?,
                    person_id: r.opt_int(5)?,
                    ..Default::default()
                },
            );
        }
        if let Some(e) = election {
            let mut a = args.clone();
            a.push(Value::Text(e.to_string()));
            for r in sql.query(
                &format!(
                    "SELECT voter_rkey FROM ballots WHERE voter_rkey IN ({}) AND CAST(election_date AS TEXT) = ? AND counted",
                    marks(chunk.len())
                ),
                &a,
            )? {
                if let Some(reg) = out.get_mut(&r.text(0)?) {
                    reg.voted = true;
                }
            }
        }
    }
    for reg in out.values_mut() {
        if let Some(v) = voted(&reg.voter_id) {
            reg.voted = reg.voted || v;
        }
    }
    let people: Vec<i64> = out.values().filter_map(|r| r.person_id).collect();
    let models = store::models::approved(sql)?;
    for m in models {
        let target = m.target.clone();
        if !matches!(target.as_str(), "support" | "turnout" | "persuasion") {
            continue;
        }
        let mut scores: HashMap<i64, f32> = HashMap::new();
        for chunk in people.chunks(kept::ROWS_PER_INSERT) {
            let mut args = vec![Value::Int(m.id)];
            args.extend(chunk.iter().map(|p| Value::Int(*p)));
            for r in sql.query(
                &format!(
                    "SELECT person_id, score_ppm FROM scores WHERE model_id = ? AND person_id IN ({})",
                    marks(chunk.len())
                ),
                &args,
            )? {
                scores.insert(r.int(0)?, r.int(1)? as f32 / 1e6);
            }
        }
        for reg in out.values_mut() {
            let Some(s) = reg.person_id.and_then(|p| scores.get(&p)).copied() else {
                continue;
            };
            match target.as_str() {
                "support" => reg.support = Some(s),
                "turnout" => reg.turnout = Some(s),
                _ => reg.persuasion = Some(s),
            }
        }
    }
    Ok(out)
}

/// One friend matched, classified and ranked (the campaign's view; never the supporter's).
#[derive(Debug, Clone)]
pub struct Judged {
    pub entry: usize,
    pub contact: Contact,
    /// Where they live for the campaign: the registration's state, else as typed, else the
    /// supporter's.
    pub state: String,
    pub matched: Option<(f64, String, Registration)>,
    /// Evidence for the best candidate, bits (see `targeting::sharing::DOUBT_BITS`).
    pub evidence_bits: f64,
    /// Full name and a place, and searchable (no blocking key too common): "not found" means
    /// something.
    pub findable: bool,
    pub class: Class,
    pub asks: Vec<Ask>,
    pub value: f64,
}

/// Matches contacts against the voters, reads what the engine needs and ranks them.
pub fn judge(
    sql: &mut dyn Sql,
    index: &VoterIndex,
    settings: &Settings,
    contacts: Vec<(usize, Contact)>,
    home_state: &str,
    today: Date,
    voted: &dyn Fn(&str) -> Option<bool>,
) -> Result<Vec<Judged>, StoreError> {
    let campaign = settings.campaign(today);
    let targets = &campaign.target_states;
    let mut found: Vec<Option<(f64, String, f64)>> = Vec::with_capacity(contacts.len());
    let mut searchable: Vec<bool> = Vec::with_capacity(contacts.len());
    for (entry, c) in &contacts {
        // Scoped to the states the campaign works in: a friend typed elsewhere is not looked up.
        let in_scope = c.state.is_empty() || targets.contains(&c.state);
        let records = records_of(&format!("share:{entry}"), c);
        let m = if in_scope {
            index
                .best_match(&records, MATCH_FLOOR)
                .map(|m| (m.probability, m.rkey, m.evidence_bits))
        } else {
            None
        };
        found.push(m);
        // A name too common to search (its blocking keys skipped) is never "not found".
        searchable.push(findable(c) && !index.crowded(&records));
    }
    let rkeys: Vec<String> = found
        .iter()
        .flatten()
        .map(|(_, k, _)| k.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let election = crate::turnout::election(sql);
    let regs = registrations(sql, &rkeys, election, voted)?;
    let mut friends = Vec::with_capacity(contacts.len());
    let mut judged: Vec<Judged> = Vec::with_capacity(contacts.len());
    for (i, (((entry, c), m), searchable)) in
        contacts.into_iter().zip(found).zip(searchable).enumerate()
    {
        let evidence_bits = m.as_ref().map_or(f64::NEG_INFINITY, |x| x.2);
        let matched = m.and_then(|(p, k, _)| regs.get(&k).map(|r| (p, k.clone(), r.clone())));
        let state = match &matched {
            Some((p, _, r)) if *p >= campaign.match_min => r.state.clone(),
            _ if !c.state.is_empty() => c.state.clone(),
            _ => home_state.to_string(),
        };
        friends.push(Friend {
            index: i,
            findable: searchable,
            evidence_bits,
            state: state.clone(),
            matched: matched.as_ref().map(|(p, _, r)| {
                (
                    *p,
                    Voter {
                        state: r.state.clone(),
                        support: r.support,
                        turnout: r.turnout,
                        persuasion: r.persuasion,
                        voted: r.voted,
                    },
                )
            }),
        });
        judged.push(Judged {
            entry,
            contact: c,
            state,
            matched,
            evidence_bits,
            findable: searchable,
            class: Class::NotATarget,
            asks: Vec::new(),
            value: 0.0,
        });
    }
    let ranked = engine::rank(&friends, &campaign);
    let mut out = Vec::with_capacity(judged.len());
    let mut slots: Vec<Option<Judged>> = judged.into_iter().map(Some).collect();
    for r in ranked {
        if let Some(mut j) = slots[r.index].take() {
            j.class = r.class;
            // No give or persuasion ask without somewhere to send the friend.
            j.asks = r
                .asks
                .into_iter()
                .filter(|a| match a {
                    Ask::Give => settings.give_url.is_some(),
                    Ask::Persuade => settings.persuasion_url.is_some(),
                    _ => true,
                })
                .collect();
            j.value = if j.asks.is_empty() { 0.0 } else { r.value };
            out.push(j);
        }
    }
    Ok(out)
}

/// Accuracy of matching and of the "not registered" class against a known truth.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Accuracy {
    pub contacts: u64,
    /// Friends whose registration is on the file (truth).
    pub registered: u64,
    /// Friends given a registration (match at or above the threshold).
    pub matched: u64,
    /// … the right one.
    pub matched_right: u64,
    /// Friends not registered (truth) in a target state.
    pub unregistered: u64,
    /// Friends classed "not registered".
    pub said_unregistered: u64,
    /// … who are not.
    pub said_unregistered_right: u64,
    /// Registered friends whose contact is `findable` (full name and a place), and of them
    /// those matched to the right registration: recall where the data allows it.
    pub registered_findable: u64,
    pub matched_findable: u64,
    pub matched_right_findable: u64,
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

impl Accuracy {
    pub fn match_precision(&self) -> f64 {
        ratio(self.matched_right, self.matched)
    }
    pub fn match_recall(&self) -> f64 {
        ratio(self.matched_right, self.registered)
    }
    pub fn match_precision_findable(&self) -> f64 {
        ratio(self.matched_right_findable, self.matched_findable)
    }
    pub fn match_recall_findable(&self) -> f64 {
        ratio(self.matched_right_findable, self.registered_findable)
    }
    pub fn unregistered_precision(&self) -> f64 {
        ratio(self.said_unregistered_right, self.said_unregistered)
    }
    pub fn unregistered_recall(&self) -> f64 {
        ratio(self.said_unregistered_right, self.unregistered)
    }

    /// Adds judged friends; `truth(entry)`: (registered, voter record key) of the friend.
    pub fn add(
        &mut self,
        judged: &[Judged],
        match_min: f64,
        truth: &dyn Fn(usize) -> Option<(bool, String)>,
    ) {
        self.add_with_doubt(judged, match_min, None, truth)
    }

    /// As `add`, with "not registered" decided again at another doubt level (bits) than the
    /// engine's (a findable friend with no match at `match_min` and less evidence than that).
    pub fn add_with_doubt(
        &mut self,
        judged: &[Judged],
        match_min: f64,
        doubt_bits: Option<f64>,
        truth: &dyn Fn(usize) -> Option<(bool, String)>,
    ) {
        for j in judged {
            let Some((registered, rkey)) = truth(j.entry) else {
                continue;
            };
            self.contacts += 1;
            let said = j
                .matched
                .as_ref()
                .filter(|(p, _, _)| *p >= match_min)
                .map(|(_, k, _)| k.as_str());
            if registered {
                self.registered += 1;
            } else {
                self.unregistered += 1;
            }
            let found = findable(&j.contact);
            if registered && found {
                self.registered_findable += 1;
            }
            if let Some(k) = said {
                self.matched += 1;
                if found {
                    self.matched_findable += 1;
                }
                if registered && k == rkey {
                    self.matched_right += 1;
                    if found {
                        self.matched_right_findable += 1;
                    }
                }
            }
            let unregistered = match doubt_bits {
                None => j.class == Class::NotRegistered,
                Some(bits) => {
                    said.is_none()
                        && j.findable
                        && j.evidence_bits < bits
                        && j.matched
                            .as_ref()
                            .is_none_or(|(p, _, _)| *p < targeting::sharing::DOUBT_PROBABILITY_MIN)
                        && (j.class == Class::NotRegistered || j.class == Class::NotATarget)
                        && j.matched.as_ref().is_none_or(|(p, _, _)| *p < match_min)
                }
            };
            if unregistered {
                self.said_unregistered += 1;
                if !registered {
                    self.said_unregistered_right += 1;
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The supporter's side
// ---------------------------------------------------------------------------------------

/// The consent state a supporter sees.
#[derive(Debug, Clone, Serialize)]
pub struct ConsentView {
    pub terms_version: &'static str,
    pub terms: &'static str,
    /// A consent (to these terms or earlier ones) is in force: there is something to withdraw.
    pub consented: bool,
    /// When they agreed to the current terms (none: not yet, or an older version).
    pub agreed_at: Option<String>,
}

pub fn terms_sha256() -> String {
    auth::token_hash(TERMS_TEXT)
}

pub fn consent_view(sql: &mut dyn Sql, user_id: i64) -> Result<ConsentView, SharingError> {
    let c = kept::consent(sql, user_id)?;
    Ok(ConsentView {
        terms_version: TERMS_VERSION,
        terms: TERMS_TEXT,
        consented: c.is_some(),
        agreed_at: c
            .filter(|c| c.terms_version == TERMS_VERSION)
            .map(|c| c.agreed_at),
    })
}

/// Records consent to the current terms (`version` must be the one shown).
pub fn agree(
    sql: &mut dyn Sql,
    user_id: i64,
    version: &str,
    now: &str,
    actor: &str,
) -> Result<ConsentView, SharingError> {
    if version != TERMS_VERSION {
        return Err(field(
            "terms_version",
            format!("the terms shown were {version:?}; the current ones are {TERMS_VERSION:?}: read them again and agree to those"),
        ));
    }
    if kept::consent(sql, user_id)?.is_none_or(|c| c.terms_version != TERMS_VERSION) {
        kept::add_consent(sql, user_id, TERMS_VERSION, &terms_sha256(), now)?;
        store::accounts::audit(
            sql,
            now,
            actor,
            "sharing.consent",
            &format!("user:{user_id}"),
            &serde_json::json!({"terms_version": TERMS_VERSION}),
        )?;
    }
    consent_view(sql, user_id)
}

/// One ask as the supporter sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AskView {
    pub id: i64,
    pub kind: String,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    pub done: bool,
}

/// One friend as the supporter sees them: the name they typed and the asks. Nothing else.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FriendView {
    pub id: i64,
    pub name: String,
    pub asks: Vec<AskView>,
}

fn render(template: &str, vars: &[(&str, String)]) -> String {
    let mut s = template.to_string();
    for (k, v) in vars {
        s = s.replace(&format!("{{{k}}}"), v);
    }
    s
}

fn when(d: &Option<String>) -> String {
    d.as_deref()
        .and_then(iso)
        .map(|d| d.to_string())
        .unwrap_or_default()
}

/// The words and link of one ask.
fn ask_text(
    sql: &mut dyn Sql,
    settings: &Settings,
    row: &kept::AskRow,
    places: &mut HashMap<(String, String), Option<kept::Precinct>>,
) -> Result<(String, Option<String>), StoreError> {
    let st = settings.states.get(&row.state).cloned().unwrap_or_default();
    let name = row.typed_name.clone();
    let county_key = row.county.as_ref().map(|c| format!("{}/{}", row.state, c));
    let county = county_key.as_ref().and_then(|k| settings.counties.get(k));
    let (start, end) = match county {
        Some(c) => (c.early_vote_start.clone(), c.early_vote_end.clone()),
        None => (when(&st.early_vote_start), when(&st.early_vote_end)),
    };
    let place = match (&row.county, &row.precinct) {
        (Some(c), Some(p)) => {
            let key = (c.clone(), p.clone());
            if !places.contains_key(&key) {
                let found = kept::precinct(sql, c, p)?;
                places.insert(key.clone(), found);
            }
            places.get(&key).cloned().flatten()
        }
        _ => None,
    };
    let deadline = when(&st.registration_deadline);
    let vars = [
        ("name", name.clone()),
        ("state", row.state.clone()),
        ("deadline", deadline.clone()),
        ("start", start.clone()),
        ("end", end.clone()),
        (
            "place",
            place
                .as_ref()
                .map(|p| p.polling_place.clone())
                .unwrap_or_default(),
        ),
        (
            "address",
            place
                .as_ref()
                .map(|p| p.polling_address.clone())
                .unwrap_or_default(),
        ),
    ];
    if let Some(t) = settings.texts.get(&row.kind) {
        let link = match row.kind.as_str() {
            "register" => Some(
                st.registration_url
                    .clone()
                    .unwrap_or_else(|| REGISTRATION_URL_DEFAULT.into()),
            ),
            "polling_place" if place.is_none() => st.polling_place_url.clone(),
            "give" => settings.give_url.clone(),
            "persuade" => settings.persuasion_url.clone(),
            _ => None,
        };
        return Ok((render(t, &vars), link));
    }
    Ok(match row.kind.as_str() {
        "register" => (
            if deadline.is_empty() {
                format!("Ask {name} to register to vote in {}.", row.state)
            } else {
                format!(
                    "Ask {name} to register to vote in {} by {deadline}.",
                    row.state
                )
            },
            Some(
                st.registration_url
                    .clone()
                    .unwrap_or_else(|| REGISTRATION_URL_DEFAULT.into()),
            ),
        ),
        "vote_early" => (
            if start.is_empty() {
                format!("Ask {name} to vote early, before election day.")
            } else {
                format!("Ask {name} to vote early: early voting runs {start} to {end}.")
            },
            None,
        ),
        "polling_place" => match &place {
            Some(p) => (
                format!(
                    "Tell {name} where to vote: {}, {}.",
                    p.polling_place, p.polling_address
                ),
                None,
            ),
            None => (
                format!("Help {name} find their polling place."),
                st.polling_place_url.clone(),
            ),
        },
        "give" => (
            format!("Ask {name} to chip in to the campaign."),
            settings.give_url.clone(),
        ),
        "persuade" => (
            format!("Share the campaign's message with {name}."),
            settings.persuasion_url.clone(),
        ),
        other => (format!("{other} {name}"), None),
    })
}

/// A supporter's friends with their asks, best first — the only view of them a supporter
/// gets. Friends with no ask are listed last, with none.
pub fn friends_view(sql: &mut dyn Sql, user_id: i64) -> Result<Vec<FriendView>, SharingError> {
    let settings = settings(sql)?;
    let rows = kept::asks_of(sql, user_id)?;
    let mut out: Vec<FriendView> = Vec::new();
    let mut places = HashMap::new();
    for r in &rows {
        if out.last().is_none_or(|f| f.id != r.friend_id) {
            out.push(FriendView {
                id: r.friend_id,
                name: r.typed_name.clone(),
                asks: Vec::new(),
            });
        }
        if r.ask_id != 0 {
            let (text, link) = ask_text(sql, &settings, r, &mut places)?;
            if let Some(f) = out.last_mut() {
                f.asks.push(AskView {
                    id: r.ask_id,
                    kind: r.kind.clone(),
                    text,
                    link,
                    done: r.done_at.is_some(),
                });
            }
        }
    }
    // Target states first (in the campaign's order), then the kind of ask, then upload order —
    // not the asks' values: an order by value would tell the supporter which friend the
    // models score higher.
    let mut rank_of: HashMap<i64, (usize, usize, i64, i64)> = HashMap::new();
    for r in &rows {
        let state = settings
            .target_states
            .iter()
            .position(|s| *s == r.state)
            .unwrap_or(usize::MAX);
        let kind = ASK_ORDER
            .iter()
            .position(|k| *k == r.kind)
            .unwrap_or(ASK_ORDER.len());
        let key = (state, kind, r.upload_id, r.position);
        let e = rank_of.entry(r.friend_id).or_insert(key);
        if key.1 < e.1 {
            *e = key;
        }
    }
    out.sort_by_key(|f| {
        (
            f.asks.is_empty(),
            rank_of
                .get(&f.id)
                .copied()
                .unwrap_or((usize::MAX, usize::MAX, 0, 0)),
        )
    });
    Ok(out)
}

/// What an upload answers.
#[derive(Debug, Clone, Serialize)]
pub struct UploadView {
    pub upload_id: i64,
    pub format: Format,
    pub entries: usize,
    pub accepted: usize,
    pub rejected: usize,
    /// Problems by entry (at most `PROBLEMS_LISTED_MAX`; `problems_total` counts them all).
    pub problems: Vec<Problem>,
    pub problems_total: usize,
    pub ignored_columns: Vec<String>,
    /// All the supporter's friends with their asks, best first.
    pub friends: Vec<FriendView>,
}

/// The limits against probing: friends kept at once (400), then uploads and contacts per
/// window, counted atomically before anything is matched (429 with the seconds until the
/// window ends). The window's counts survive withdrawal.
fn check_limits(
    sql: &mut dyn Sql,
    user_id: i64,
    entries: usize,
    now: &str,
) -> Result<(), SharingError> {
    let kept_now = kept::friends_of(sql, user_id)?;
    if kept_now + entries as i64 > FRIENDS_PER_SUPPORTER_MAX {
        return Err(field(
            "contacts",
            format!("you would have more than {FRIENDS_PER_SUPPORTER_MAX} friends shared: withdraw and share the ones that matter"),
        ));
    }
    let now_secs = crate::turnout::seconds_of(now);
    let window = RATE_WINDOW_HOURS * 3_600;
    let window_after = model::date::timestamp_utc(now_secs - window);
    if let Some(start) = kept::take_quota(
        sql,
        user_id,
        entries as i64,
        now,
        &window_after,
        UPLOADS_PER_WINDOW_MAX,
        CONTACTS_PER_WINDOW_MAX,
    )? {
        let retry = (crate::turnout::seconds_of(&start) + window - now_secs).max(1);
        return Err(SharingError::RateLimited {
            message: format!(
                "at most {UPLOADS_PER_WINDOW_MAX} uploads and {CONTACTS_PER_WINDOW_MAX} contacts per {RATE_WINDOW_HOURS} hours: try again in {} minutes",
                (retry + 59) / 60
            ),
            retry_seconds: retry as u64,
        });
    }
    Ok(())
}

/// The supporter's home state: their registration's, else the campaign's first target state.
fn home_state(sql: &mut dyn Sql, person_id: Option<i64>, settings: &Settings) -> String {
    if let Some(p) = person_id {
        if let Ok(rows) = sql.query(
            "SELECT state, removed_load_id FROM voters WHERE person_id = ?",
            &[Value::Int(p)],
        ) {
            let on_file = rows.iter().find(|r| matches!(r.get(1), Some(Value::Null)));
            if let Some(s) = on_file.and_then(|r| r.text(0).ok()) {
                return s;
            }
        }
    }
    settings.target_states.first().cloned().unwrap_or_default()
}

/// The newest load id (a voter first loaded after it is a new registration).
fn load_mark(sql: &mut dyn Sql) -> Result<i64, StoreError> {
    let rows = sql.query("SELECT COALESCE(MAX(id), 0) FROM loads", &[])?;
    rows.first().map_or(Ok(0), |r| r.int(0))
}

/// Who is uploading.
#[derive(Debug, Clone)]
pub struct Supporter {
    pub user_id: i64,
    pub person_id: Option<i64>,
    pub actor: String,
}

/// An upload: consent checked, limits checked, parsed, matched, ranked, kept; answers the
/// supporter's whole list. `voted`: the election-day board's answer for a voter id.
#[allow(clippy::too_many_arguments)]
pub fn upload(
    sql: &mut dyn Sql,
    index: &VoterIndex,
    who: &Supporter,
    format: Format,
    bytes: &[u8],
    now: &str,
    voted: &dyn Fn(&str) -> Option<bool>,
) -> Result<UploadView, SharingError> {
    let consent = kept::consent(sql, who.user_id)?
        .filter(|c| c.terms_version == TERMS_VERSION)
        .ok_or(SharingError::NoConsent)?;
    let parsed = parse(format, bytes)?;
    if parsed.entries == 0 {
        return Err(field(
            "contacts",
            "the upload has no contact: a CSV needs rows under its header",
        ));
    }
    check_limits(sql, who.user_id, parsed.entries, now)?;
    let settings = settings(sql)?;
    let home = home_state(sql, who.person_id, &settings);
    let today = iso(now.get(..10).unwrap_or(""))
        .or(Date::new(1970, 1, 1))
        .ok_or_else(|| field("now", "not a timestamp"))?;
    let accepted = parsed.contacts.len();
    let rejected = parsed.entries - accepted;
    let judged = judge(sql, index, &settings, parsed.contacts, &home, today, voted)?;
    let mark = load_mark(sql)?;
    let friends: Vec<NewFriend> = judged
        .iter()
        .map(|j| NewFriend {
            position: j.entry as i64,
            typed_name: j.contact.typed_name.clone(),
            details: serde_json::to_string(&j.contact).unwrap_or_default(),
            state: j.state.clone(),
            voter_rkey: j
                .matched
                .as_ref()
                .filter(|(p, _, _)| *p >= settings.match_min)
                .map(|(_, k, _)| k.clone()),
            person_id: j
                .matched
                .as_ref()
                .filter(|(p, _, _)| *p >= settings.match_min)
                .and_then(|(_, _, r)| r.person_id),
            probability_ppm: j.matched.as_ref().map(|(p, _, _)| (p * 1e6).round() as i64),
            county: j
                .matched
                .as_ref()
                .filter(|(p, _, _)| *p >= settings.match_min)
                .map(|(_, _, r)| r.county.clone()),
            precinct: j
                .matched
                .as_ref()
                .filter(|(p, _, _)| *p >= settings.match_min)
                .map(|(_, _, r)| r.precinct.clone()),
            class: class_name(j.class).into(),
            value_e9: (j.value * 1e9).round() as i64,
            asks: j.asks.iter().map(|a| ask_kind(*a).to_string()).collect(),
        })
        .collect();
    let upload_id = kept::save_upload(
        sql,
        &NewUpload {
            user_id: who.user_id,
            consent_id: consent.id,
            format: format.as_str().into(),
            entries: parsed.entries as i64,
            accepted: accepted as i64,
            rejected: rejected as i64,
            load_mark: mark,
            created_at: now.into(),
        },
        &friends,
    )?;
    // Counts only: never names, never whether anyone matched.
    store::accounts::audit(
        sql,
        now,
        &who.actor,
        "sharing.upload",
        &format!("upload:{upload_id}"),
        &serde_json::json!({"format": format.as_str(), "entries": parsed.entries, "accepted": accepted, "rejected": rejected}),
    )?;
    let problems_total = parsed.problems.len();
    let mut problems = parsed.problems;
    problems.truncate(PROBLEMS_LISTED_MAX);
    Ok(UploadView {
        upload_id,
        format,
        entries: parsed.entries,
        accepted,
        rejected,
        problems,
        problems_total,
        ignored_columns: parsed.ignored_columns,
        friends: friends_view(sql, who.user_id)?,
    })
}

/// Marks one of the supporter's asks done (or not done).
pub fn mark_done(
    sql: &mut dyn Sql,
    user_id: i64,
    ask_id: i64,
    done: bool,
    now: &str,
) -> Result<(), SharingError> {
    if kept::set_done(sql, user_id, ask_id, done, now)? {
        Ok(())
    } else {
        Err(SharingError::NotFound(format!(
            "no ask {ask_id} among yours"
        )))
    }
}

/// Withdrawal of consent: uploads and everything derived erased at once.
pub fn withdraw(
    sql: &mut dyn Sql,
    user_id: i64,
    now: &str,
    actor: &str,
) -> Result<kept::Erased, SharingError> {
    Ok(kept::withdraw(sql, user_id, now, actor)?)
}

// ---------------------------------------------------------------------------------------
// The campaign's side
// ---------------------------------------------------------------------------------------

/// What crediting found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Credited {
    pub checked: u64,
    pub registered: u64,
    pub voted: u64,
}

/// Credits open asks from later data: a register ask whose friend now matches a voter first
/// loaded after the upload (a new registration) is `registered`; a vote-early, polling-place
/// or persuasion ask whose friend has a counted ballot of the current election or is marked
/// voted on the election-day board is `voted`. Give asks are not credited yet.
pub fn credit(
    sql: &mut dyn Sql,
    index: &VoterIndex,
    now: &str,
    actor: &str,
    voted: &dyn Fn(&str) -> Option<bool>,
) -> Result<Credited, SharingError> {
    let settings = settings(sql)?;
    let open = kept::open_asks(sql)?;
    let mut out = Credited {
        checked: open.len() as u64,
        ..Default::default()
    };
    let mut rematch: HashMap<i64, Option<(String, f64)>> = HashMap::new();
    let mut want: Vec<String> = Vec::new();
    for a in &open {
        if let Some(k) = &a.voter_rkey {
            want.push(k.clone());
        } else if a.kind == "register" && !rematch.contains_key(&a.friend_id) {
            let c: Contact = serde_json::from_str(&a.details).unwrap_or_default();
            let m = index
                .best_match(&records_of("credit", &c), settings.match_min)
                .map(|m| (m.rkey, m.probability));
            if let Some((k, _)) = &m {
                want.push(k.clone());
            }
            rematch.insert(a.friend_id, m);
        }
    }
    want.sort();
    want.dedup();
    let election = crate::turnout::election(sql);
    let regs = registrations(sql, &want, election, voted)?;
    let mut first_load: HashMap<String, i64> = HashMap::new();
    for chunk in want.chunks(kept::ROWS_PER_INSERT) {
        let args: Vec<Value> = chunk.iter().map(|k| Value::Text(k.clone())).collect();
        for r in sql.query(
            &format!(
                "SELECT rkey, first_load_id FROM voters WHERE rkey IN ({})",
                marks(chunk.len())
            ),
            &args,
        )? {
            first_load.insert(r.text(0)?, r.int(1)?);
        }
    }
    let mut registered = Vec::new();
    let mut voted_ids = Vec::new();
    for a in &open {
        match (a.kind.as_str(), &a.voter_rkey) {
            ("register", None) => {
                if let Some(Some((k, p))) = rematch.get(&a.friend_id) {
                    if first_load.get(k).is_some_and(|l| *l > a.load_mark) {
                        registered.push(a.ask_id);
                        let person = regs.get(k).and_then(|r| r.person_id);
                        kept::set_match(sql, a.friend_id, k, person, (p * 1e6).round() as i64)?;
                    }
                }
            }
            ("vote_early" | "polling_place" | "persuade", Some(k))
                if regs.get(k).is_some_and(|r| r.voted) =>
            {
                voted_ids.push(a.ask_id);
            }
            _ => {}
        }
    }
    out.registered = kept::credit(sql, &registered, "registered", now)?;
    out.voted = kept::credit(sql, &voted_ids, "voted", now)?;
    store::accounts::audit(
        sql,
        now,
        actor,
        "sharing.credit",
        "sharing_asks",
        &serde_json::json!(out),
    )?;
    Ok(out)
}

/// The campaign's report: asks made, done and converted by kind and state, with totals.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub rows: Vec<kept::ReportRow>,
    pub made: i64,
    pub done: i64,
    pub converted: i64,
    pub supporters_sharing: i64,
    pub friends: i64,
}

pub fn report(sql: &mut dyn Sql) -> Result<Report, SharingError> {
    let rows = kept::report(sql)?;
    let counts = sql.query(
        "SELECT (SELECT COUNT(DISTINCT user_id) FROM sharing_friends), (SELECT COUNT(*) FROM sharing_friends)",
        &[],
    )?;
    let (s, f) = counts
        .first()
        .map(|r| Ok::<_, StoreError>((r.int(0)?, r.int(1)?)))
        .transpose()?
        .unwrap_or((0, 0));
    Ok(Report {
        made: rows.iter().map(|r| r.made).sum(),
        done: rows.iter().map(|r| r.done).sum(),
        converted: rows.iter().map(|r| r.converted).sum(),
        rows,
        supporters_sharing: s,
        friends: f,
    })
}

/// The precinct table from a CSV with `county`, `precinct`, `polling_place`,
/// `polling_address` (as the generator's `precincts.csv`); every row checked first.
pub fn import_precincts(
    sql: &mut dyn Sql,
    bytes: &[u8],
    now: &str,
    actor: &str,
) -> Result<u64, SharingError> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| field("file", format!("the header cannot be read: {e}")))?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let col = |n: &'static str| {
        header.iter().position(|h| h == n).ok_or_else(|| {
            field(
                "file",
                format!("no {n} column (need county, precinct, polling_place, polling_address)"),
            )
        })
    };
    let (c, p, pl, pa) = (
        col("county")?,
        col("precinct")?,
        col("polling_place")?,
        col("polling_address")?,
    );
    let mut rows = Vec::new();
    for (n, r) in rdr.records().enumerate() {
        let r = r.map_err(|e| field("file", format!("row {}: {e}", n + 2)))?;
        let get = |i: usize| r.get(i).unwrap_or("").to_string();
        let row = kept::Precinct {
            county: get(c).to_ascii_uppercase(),
            precinct: get(p).to_ascii_uppercase(),
            polling_place: get(pl),
            polling_address: get(pa),
        };
        if row.county.is_empty() || row.precinct.is_empty() || row.polling_place.is_empty() {
            return Err(field(
                "file",
                format!(
                    "row {}: county, precinct and polling_place are needed",
                    n + 2
                ),
            ));
        }
        rows.push(row);
    }
    let n = kept::replace_precincts(sql, &rows, now)?;
    store::accounts::audit(
        sql,
        now,
        actor,
        "sharing.precincts",
        "precincts",
        &serde_json::json!({"rows": n}),
    )?;
    Ok(n)
}
