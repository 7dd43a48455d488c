//! Create-or-match: a sign-up arriving through the API is written as a volunteer record and
//! matched at once against the voters with the identity model (`identity::Index`): it joins
//! the voter's person, or starts a new person, or — when the best match is borderline — starts
//! a new person and puts the pair in the review queue. One load per sign-up, atomic, in the
//! change feed like any other.

use identity::{Index, LinkSettings, Record};
use model::{AddressFields, Date, Entry, NameFields};
use serde::Serialize;
use store::{
    LoadCounts, LoadEnd, LoadMeta, Outcome, PersonRef, ReviewCandidate, Store, StoreError, Table,
};

use crate::accounts::Principal;
use crate::people::{FieldError, PeopleError};
use crate::resolve::REVIEW_PROBABILITY_MIN;

/// Match probability at or above which a sign-up joins the voter's person (as `tusk resolve`).
pub const SIGNUP_THRESHOLD: f64 = 0.5;
/// With fewer non-voter records than this in the store, the model is estimated against a
/// sample of the voters themselves (m then assumes clean data; u is still from random pairs).
pub const ESTIMATE_RIGHT_MIN: usize = 200;
/// Voters sampled for that fallback.
pub const ESTIMATE_SAMPLE: usize = 20_000;
/// Longest value of any sign-up field.
pub const SIGNUP_FIELD_BYTES_MAX: usize = 200;
/// Load kind of an API sign-up.
pub const SIGNUP_LOAD_KIND: &str = "api-signup";

/// The voters, indexed for one-at-a-time matching, with the model estimated from the store.
pub struct VoterIndex {
    index: Index,
    person_ids: Vec<Option<i64>>,
    /// The newest load (other than sign-ups and resolution) the index has seen.
    pub built_at_load: i64,
    pub voters: usize,
    pub build_seconds: f64,
}

/// The newest load that can change the voters (sign-ups and resolution runs cannot).
pub fn data_version(store: &mut dyn Store) -> Result<i64, StoreError> {
    use store::sql::RowExt;
    let rows = store.sql().query(
        "SELECT coalesce(max(id), 0) FROM loads WHERE kind <> ? AND kind <> 'resolve'",
        &[store::Value::Text(SIGNUP_LOAD_KIND.into())],
    )?;
    rows.first()
        .map(|r| r.int(0))
        .transpose()
        .map(|v| v.unwrap_or(0))
}

/// A voter found for a record: its registration's key and person.
#[derive(Debug, Clone, PartialEq)]
pub struct VoterMatch {
    pub probability: f64,
    /// The evidence, in bits: log2 Bayes factor without the prior.
    pub evidence_bits: f64,
    pub rkey: String,
    pub person_id: Option<i64>,
}

impl VoterIndex {
    /// The best voter for any of `records` (several readings of one person: each phone, each
    /// e-mail) at or above `floor`; ties go to the first record's.
    pub fn best_match(&self, records: &[Record], floor: f64) -> Option<VoterMatch> {
        let mut best: Option<identity::Link> = None;
        for r in records {
            if let Some(l) = self.index.best_above(r, floor) {
                if best.as_ref().is_none_or(|b| l.probability > b.probability) {
                    best = Some(l);
                }
            }
        }
        let prior = self.index.model().prior;
        let prior_bits = (prior / (1.0 - prior)).log2();
        best.map(|b| VoterMatch {
            probability: b.probability,
            evidence_bits: b.weight - prior_bits,
            rkey: self.index.left()[b.left as usize].id.clone(),
            person_id: self.person_ids[b.left as usize],
        })
    }

    /// The person's last name with their first name's nickname group — the key every
    /// registration of theirs shares with a correctly typed name — is too common to be
    /// searched (JAMES SMITH): "no match" then does not mean "not on the file".
    pub fn crowded(&self, records: &[Record]) -> bool {
        records.iter().any(|r| {
            self.index
                .skipped(identity::block::Rule::LastNameNickname, r)
        })
    }

    /// The model the index matches with (also the review page's waterfalls).
    pub fn model(&self) -> &identity::Model {
        self.index.model()
    }

    /// Reads the voters and the other person records, estimates the model, indexes the voters.
    pub fn build(store: &mut dyn Store) -> Result<VoterIndex, StoreError> {
        let started = std::time::Instant::now();
        let built_at_load = data_version(store)?;
        let voter_rows = store.resolution_rows(Table::Voters)?;
        let mut others = Vec::new();
        for t in crate::resolve::RESOLVED_TABLES {
            others.extend(store.resolution_rows(t)?);
        }
        let left: Vec<Record> = voter_rows.iter().map(crate::resolve::record).collect();
        let mut right: Vec<Record> = others.iter().map(crate::resolve::record).collect();
        if right.len() < ESTIMATE_RIGHT_MIN {
            let step = (left.len() / ESTIMATE_SAMPLE).max(1);
            right = left.iter().step_by(step).cloned().collect();
        }
        let settings = LinkSettings {
            threshold: SIGNUP_THRESHOLD,
            ..Default::default()
        };
        let model = if left.is_empty() || right.is_empty() {
            identity::Model::from_parts(
                1e-6,
                [[0.5; identity::compare::LEVELS_MAX]; 8],
                [[0.5; identity::compare::LEVELS_MAX]; 8],
            )
        } else {
            identity::link(&left, &right, &settings).1
        };
        let person_ids = voter_rows.iter().map(|v| v.person_id).collect();
        let voters = left.len();
        Ok(VoterIndex {
            index: Index::new(left, model, settings),
            person_ids,
            built_at_load,
            voters,
            build_seconds: started.elapsed().as_secs_f64(),
        })
    }
}

/// A sign-up as the API receives it (OSDI person fields, flattened).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SignupInput {
    /// `system:id` from the sending tool (`mobilize:123`); the record's key. Without one, the
    /// key is a hash of the content, so resending the same sign-up changes nothing.
    pub identifier: Option<String>,
    pub given_name: String,
    pub additional_name: String,
    pub family_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address_line: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip: Option<String>,
    pub birth_year: Option<i64>,
    pub birth_month: Option<i64>,
    pub birth_day: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignupOutcome {
    /// Joined a registered voter's person.
    Matched,
    /// A new person (no voter match).
    Created,
    /// A new person for now; the best voter match is borderline and waits in the review queue.
    Review,
    /// The same record (same key, same content) was already there: nothing changed.
    Unchanged,
    /// Same key, new content: the record was updated and re-matched.
    Updated,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignupResult {
    pub person_id: i64,
    pub outcome: SignupOutcome,
    /// The record's key (`mobilize:123`, `api:…`).
    pub rkey: String,
    /// Probability of the best voter match considered, if any.
    pub probability: Option<f64>,
    /// That voter's record key.
    pub voter: Option<String>,
    pub load_id: Option<i64>,
}

fn field(f: &'static str, m: impl Into<String>) -> PeopleError {
    PeopleError::Field(FieldError {
        field: f,
        message: m.into(),
    })
}

fn check_len(name: &'static str, v: &str) -> Result<(), PeopleError> {
    if v.len() > SIGNUP_FIELD_BYTES_MAX {
        return Err(field(
            name,
            format!("longer than {SIGNUP_FIELD_BYTES_MAX} bytes"),
        ));
    }
    if v.chars().any(|c| c.is_control()) {
        return Err(field(name, "contains control characters"));
    }
    Ok(())
}

/// Checks every field and builds the volunteer record; errors name the OSDI field.
pub fn entry_of(input: &SignupInput) -> Result<Entry, PeopleError> {
    for (n, v) in [
        ("person.given_name", Some(&input.given_name)),
        ("person.additional_name", Some(&input.additional_name)),
        ("person.family_name", Some(&input.family_name)),
        ("person.identifiers", input.identifier.as_ref()),
        ("person.email_addresses", input.email.as_ref()),
        ("person.phone_numbers", input.phone.as_ref()),
        (
            "person.postal_addresses.address_lines",
            input.address_line.as_ref(),
        ),
        ("person.postal_addresses.locality", input.city.as_ref()),
        ("person.postal_addresses.region", input.state.as_ref()),
        ("person.postal_addresses.postal_code", input.zip.as_ref()),
    ] {
        if let Some(v) = v {
            check_len(n, v)?;
        }
    }
    let name = NameFields::from_parts(
        &input.given_name,
        &input.additional_name,
        &input.family_name,
        "",
    );
    if name.first.is_empty() || name.last.is_empty() {
        return Err(field(
            "person.family_name",
            "a sign-up needs a given name and a family name",
        ));
    }
    let email = match input
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        None => None,
        Some(e) => Some(model::normalize::email(e).ok_or_else(|| {
            field(
                "person.email_addresses",
                format!("{e:?} is not an e-mail address"),
            )
        })?),
    };
    let phone = match input
        .phone
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        None => None,
        Some(p) => Some(model::normalize::phone(p).ok_or_else(|| {
            field(
                "person.phone_numbers",
                "not a US phone number: 10 digits, e.g. 919-555-0101",
            )
        })?),
    };
    let state = input
        .state
        .clone()
        .unwrap_or_default()
        .trim()
        .to_uppercase();
    if !state.is_empty() && (state.len() != 2 || !state.chars().all(|c| c.is_ascii_uppercase())) {
        return Err(field(
            "person.postal_addresses.region",
            "a two-letter state code, e.g. NC",
        ));
    }
    let zip = input.zip.clone().unwrap_or_default();
    if !zip.trim().is_empty() && model::normalize::zip(&zip).0.is_none() {
        return Err(field(
            "person.postal_addresses.postal_code",
            "a 5-digit ZIP code (or ZIP+4)",
        ));
    }
    let address = AddressFields::parse(
        input.address_line.as_deref().unwrap_or(""),
        input.city.as_deref().unwrap_or(""),
        &state,
        &zip,
    );
    if email.is_none() && phone.is_none() && address.zip5.is_none() && address.line.is_empty() {
        return Err(field(
            "person",
            "give at least one of an e-mail address, a phone number or a postal address",
        ));
    }
    let (birth_year, birth_date) = match (input.birth_year, input.birth_month, input.birth_day) {
        (None, None, None) => (None, None),
        (Some(y), m, d) => {
            if !(ingest::formats::BIRTH_YEAR_MIN as i64..=ingest::formats::BIRTH_YEAR_MAX as i64)
                .contains(&y)
            {
                return Err(field(
                    "person.birthdate.year",
                    format!("{y} is not a plausible birth year"),
                ));
            }
            let date = match (m, d) {
                (Some(m), Some(d)) => Some(
                    Date::new(y as u32, m.clamp(0, 99) as u32, d.clamp(0, 99) as u32).ok_or_else(
                        || field("person.birthdate", format!("{y}-{m}-{d} is not a date")),
                    )?,
                ),
                _ => None,
            };
            (Some(y as u16), date)
        }
        _ => {
            return Err(field(
                "person.birthdate.year",
                "a birth date needs its year",
            ))
        }
    };
    let (source, key) = match input
        .identifier
        .as_deref()
        .map(str::trim)
        .filter(|i| !i.is_empty())
    {
        Some(id) => {
            let (system, key) = id.split_once(':').ok_or_else(|| {
                field(
                    "person.identifiers",
                    format!("{id:?}: identifiers are `system:id`, e.g. mobilize:123"),
                )
            })?;
            let ok_system = !system.is_empty()
                && system.len() <= 32
                && system
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
            if !ok_system || key.is_empty() || key.chars().any(char::is_whitespace) {
                return Err(field(
                    "person.identifiers",
                    format!("{id:?}: the system is a-z, 0-9, '_', '-' (up to 32), the id non-empty without spaces"),
                ));
            }
            if ["nc", "oh", "fec", "tusk"].contains(&system) {
                return Err(field(
                    "person.identifiers",
                    format!(
                        "{system:?} is a system Tusk loads from files: use your tool's own name"
                    ),
                ));
            }
            (system.to_string(), key.to_string())
        }
        None => (String::from("api"), String::new()),
    };
    let mut e = Entry {
        source,
        key,
        owner: String::new(),
        name,
        email,
        phone,
        address,
        birth_date,
        birth_year,
        date: None,
    };
    if e.key.is_empty() {
        e.key = format!("{:016x}", model::content_hash(&raw_of(&e)));
    }
    Ok(e)
}

/// The person fields of an API record, in `SIGNUP_HEADER`'s order.
fn person_fields(e: &Entry) -> Vec<String> {
    vec![
        e.name.first.clone(),
        e.name.middle.clone(),
        e.name.last.clone(),
        e.email.clone().unwrap_or_default(),
        e.phone.clone().unwrap_or_default(),
        e.address.line.clone(),
        e.address.city.clone(),
        e.address.state.clone(),
        e.address.zip5.clone().unwrap_or_default(),
        e.birth_year.map(|y| y.to_string()).unwrap_or_default(),
        e.birth_date.map(|d| d.to_string()).unwrap_or_default(),
    ]
}

/// The verbatim form kept for an API record: its normalised fields, tab-joined.
fn raw_of(e: &Entry) -> String {
    model::records::join_fields(person_fields(e).iter().map(String::as_str))
}

/// Header of the verbatim fields of an API sign-up.
pub const SIGNUP_HEADER: &str = "given_name\tadditional_name\tfamily_name\temail\tphone\taddress_line\tlocality\tregion\tpostal_code\tbirth_year\tbirthdate";

/// A record arriving through the API, ready to write and match.
struct Incoming {
    table: Table,
    row: store::tables::Row,
    rkey: String,
    /// What the identity model compares with the voters.
    record: Record,
    source: String,
    kind: &'static str,
    header: &'static str,
}

/// Writes and matches one sign-up. `index`: the voters (see `VoterIndex::build`).
pub fn signup(
    store: &mut dyn Store,
    index: &VoterIndex,
    who: &Principal,
    input: &SignupInput,
    now: &str,
) -> Result<SignupResult, PeopleError> {
    let entry = entry_of(input)?;
    let rkey = format!("{}:{}", entry.source, entry.key);
    let record = crate::linkage::entry(rkey.clone(), &entry);
    let raw = raw_of(&entry);
    let source = entry.source.clone();
    let (table, row, _) = store::tables::to_row(model::Record::Volunteer(Box::new(entry)), 1, raw);
    create_or_match(
        store,
        index,
        who,
        Incoming {
            table,
            row,
            rkey,
            record,
            source,
            kind: SIGNUP_LOAD_KIND,
            header: SIGNUP_HEADER,
        },
        now,
    )
}

/// Load kind of a donation recorded through the API.
pub const DONATION_LOAD_KIND: &str = "api-donation";
/// Header of the verbatim fields of an API donation.
pub const DONATION_HEADER: &str = "identifier\tamount_cents\taction_date\telection\temployer\toccupation\tgiven_name\tadditional_name\tfamily_name\temail\tphone\taddress_line\tlocality\tregion\tpostal_code\tbirth_year\tbirthdate";
/// Largest gift one API call may record, in cents ($100,000: far above any individual limit;
/// a bigger one is a typo or belongs in a file load).
pub const DONATION_CENTS_MAX: i64 = 10_000_000;

/// A gift as a fundraising tool sends it (OSDI `record_donation_helper`): the donation and
/// the person who gave.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DonationInput {
    /// `system:id` of the gift in the sending tool (`actblue:AB123`): its record key; sending
    /// it again changes nothing.
    pub identifier: String,
    pub amount_cents: i64,
    /// YYYY-MM-DD.
    pub action_date: String,
    /// The election the gift is for (`G2026`, `P2026`; default: the general of its year).
    pub election: Option<String>,
    pub employer: Option<String>,
    pub occupation: Option<String>,
    pub person: SignupInput,
}

/// Checks every field and builds the donation record and the giver as a person record.
pub fn donation_of(input: &DonationInput) -> Result<(model::Donation, Entry), PeopleError> {
    if input.identifier.trim().is_empty() {
        return Err(field(
            "identifiers",
            "the gift's `system:id` in your tool (e.g. actblue:AB123) is needed: it keeps two gifts apart",
        ));
    }
    let mut person = input.person.clone();
    person.identifier = Some(input.identifier.clone());
    let entry = entry_of(&person).map_err(|e| match e {
        PeopleError::Field(f) if f.field == "person.identifiers" => field("identifiers", f.message),
        other => other,
    })?;
    if !(1..=DONATION_CENTS_MAX).contains(&input.amount_cents) {
        return Err(field(
            "amount",
            format!(
                "a gift of more than 0 and at most {} dollars",
                DONATION_CENTS_MAX / 100
            ),
        ));
    }
    let date = Date::parse(&input.action_date)
        .filter(|d| d.to_string() == input.action_date)
        .ok_or_else(|| {
            field(
                "action_date",
                format!("{:?} is not a date (YYYY-MM-DD)", input.action_date),
            )
        })?;
    let election = match input.election.as_deref().map(str::trim) {
        None | Some("") => format!("G{}", date.year),
        Some(e) => {
            let ok = e.len() == 5
                && matches!(e.as_bytes()[0], b'P' | b'G' | b'R' | b'S' | b'C' | b'O')
                && e[1..].bytes().all(|b| b.is_ascii_digit());
            if !ok {
                return Err(field(
                    "election",
                    format!("{e:?}: a letter P, G, R, S, C or O and a year, e.g. G2026"),
                ));
            }
            e.to_string()
        }
    };
    for (n, v) in [
        ("employer", &input.employer),
        ("occupation", &input.occupation),
    ] {
        if let Some(v) = v {
            check_len(n, v)?;
        }
    }
    let d = model::Donation {
        source: entry.source.clone(),
        sub_id: entry.key.clone(),
        committee_id: String::new(),
        amendment: String::new(),
        report_type: String::new(),
        election,
        image_num: String::new(),
        transaction_type: String::new(),
        entity_type: "IND".into(),
        name: entry.name.clone(),
        city: entry.address.city.clone(),
        state: entry.address.state.clone(),
        zip5: entry.address.zip5.clone(),
        zip4: entry.address.zip4.clone(),
        employer: input
            .employer
            .clone()
            .unwrap_or_default()
            .trim()
            .to_string(),
        occupation: input
            .occupation
            .clone()
            .unwrap_or_default()
            .trim()
            .to_string(),
        date: Some(date),
        amount_cents: input.amount_cents,
        other_id: String::new(),
        tran_id: String::new(),
        file_num: String::new(),
        memo: false,
        memo_text: String::new(),
    };
    Ok((d, entry))
}

/// Writes and matches one gift: the donation is kept with everything sent (verbatim), and its
/// giver — matched on all the person fields sent (street, e-mail, phone where given) — joins a
/// voter's person, starts one, or goes to the review queue, as a sign-up does.
pub fn record_donation(
    store: &mut dyn Store,
    index: &VoterIndex,
    who: &Principal,
    input: &DonationInput,
    now: &str,
) -> Result<SignupResult, PeopleError> {
    let (d, entry) = donation_of(input)?;
    let rkey = format!("{}:{}", entry.source, entry.key);
    let record = crate::linkage::entry(rkey.clone(), &entry);
    let mut fields = vec![
        input.identifier.trim().to_string(),
        d.amount_cents.to_string(),
        d.date.map(|x| x.to_string()).unwrap_or_default(),
        d.election.clone(),
        d.employer.clone(),
        d.occupation.clone(),
    ];
    fields.extend(person_fields(&entry));
    let raw = model::records::join_fields(fields.iter().map(String::as_str));
    let source = entry.source.clone();
    let (table, row, _) = store::tables::to_row(model::Record::Donation(Box::new(d)), 1, raw);
    debug_assert_eq!(table, Table::Donations);
    create_or_match(
        store,
        index,
        who,
        Incoming {
            table,
            row,
            rkey,
            record,
            source,
            kind: DONATION_LOAD_KIND,
            header: DONATION_HEADER,
        },
        now,
    )
}

fn create_or_match(
    store: &mut dyn Store,
    index: &VoterIndex,
    who: &Principal,
    inc: Incoming,
    now: &str,
) -> Result<SignupResult, PeopleError> {
    let Incoming {
        table,
        row,
        rkey,
        record,
        source,
        kind,
        header,
    } = inc;
    let best = index.index.best_above(&record, REVIEW_PROBABILITY_MIN);
    let meta = LoadMeta {
        kind: kind.into(),
        source,
        file_name: "(api)".into(),
        file_bytes: 0,
        header: header.into(),
        loaded_by: who.actor(),
        started_at: now.into(),
    };
    let mut load = store.begin_load(&meta)?;
    let outcome = load.apply(table, std::slice::from_ref(&row))?[0];
    let mut counts = LoadCounts {
        read: 1,
        ..Default::default()
    };
    counts.add(outcome);
    if matches!(outcome, Outcome::Unchanged | Outcome::Duplicate) {
        drop(load); // nothing to write: no load recorded
        let person_id = existing_person(store, table, &rkey)?;
        return Ok(SignupResult {
            person_id,
            outcome: SignupOutcome::Unchanged,
            rkey,
            probability: best.map(|b| b.probability),
            voter: best.map(|b| index.index.left()[b.left as usize].id.clone()),
            load_id: None,
        });
    }
    let voter_person = best.and_then(|b| index.person_ids[b.left as usize]);
    let (who_ref, mut result_outcome) = match (best, voter_person) {
        (Some(b), Some(p)) if b.probability >= SIGNUP_THRESHOLD => {
            (PersonRef::Existing(p), SignupOutcome::Matched)
        }
        (Some(_), Some(_)) => (PersonRef::New(0), SignupOutcome::Review),
        _ => (PersonRef::New(0), SignupOutcome::Created),
    };
    load.assign_persons(&[(table, rkey.clone(), who_ref)])?;
    if result_outcome == SignupOutcome::Review {
        if let Some(b) = best {
            load.enqueue_reviews(&[ReviewCandidate {
                left_rkey: index.index.left()[b.left as usize].id.clone(),
                right_rkey: rkey.clone(),
                probability: b.probability,
                weight: b.weight,
            }])?;
        }
    }
    if outcome == Outcome::Updated && result_outcome != SignupOutcome::Review {
        result_outcome = SignupOutcome::Updated;
    }
    let end = LoadEnd {
        counts,
        finished_at: now.into(),
        summary: serde_json::json!({ "outcome": result_outcome, "probability": best.map(|b| b.probability) }),
        ..Default::default()
    };
    let load_id = load.commit(&end)?;
    let person_id = existing_person(store, table, &rkey)?;
    Ok(SignupResult {
        person_id,
        outcome: result_outcome,
        rkey,
        probability: best.map(|b| b.probability),
        voter: best.map(|b| index.index.left()[b.left as usize].id.clone()),
        load_id: Some(load_id),
    })
}

fn existing_person(store: &mut dyn Store, table: Table, rkey: &str) -> Result<i64, StoreError> {
    use store::sql::RowExt;
    let rows = store.sql().query(
        &format!("SELECT person_id FROM {} WHERE rkey = ?", table.name()),
        &[store::Value::Text(rkey.into())],
    )?;
    rows.first()
        .and_then(|r| r.opt_int(0).transpose())
        .transpose()?
        .ok_or_else(|| StoreError::Invalid(format!("record {rkey} has no person")))
}
