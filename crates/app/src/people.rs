//! People as readers see them: search by name, phone, e-mail or address within what the
//! reader may see; a person's golden record (survivorship rules below) with the source
//! records behind it. Bulk reads are audited.

use std::collections::BTreeMap;

use serde::Serialize;
use store::accounts::AuditRecord;
use store::people::{self, PeopleQuery, SourceRow};
use store::{PersonView, Store, StoreError};

use crate::accounts::Principal;

/// Most people on one page of a search.
pub const PER_PAGE_MAX: usize = 100;
pub const PER_PAGE_DEFAULT: usize = 25;
/// Highest page number (deeper walks follow the change feed).
pub const PAGE_MAX: usize = 1_000_000;
/// Longest search text accepted in one field.
pub const QUERY_FIELD_BYTES_MAX: usize = 200;

/// A bad request field: which one and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

fn field_err(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        field,
        message: message.into(),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PeopleError {
    #[error(transparent)]
    Field(#[from] FieldError),
    /// The request names something that does not exist (or that the caller may not see).
    #[error("{0}")]
    NotFound(FieldError),
    /// The request clashes with what is there (a name taken).
    #[error("{0}")]
    Conflict(FieldError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A search as a reader types it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchParams {
    /// `DOE`, `JANE DOE` or `DOE, JANE` (the first name matches as a prefix).
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// A street address: `12 Main Street`.
    pub address: Option<String>,
    pub zip: Option<String>,
    pub page: Option<usize>,
    pub per_page: Option<usize>,
}

fn given(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Normalises a search the way ingest normalised the rows; each bad field is named.
pub fn parse_query(p: &SearchParams) -> Result<PeopleQuery, FieldError> {
    let mut q = PeopleQuery::default();
    for (f, v) in [
        ("name", &p.name),
        ("phone", &p.phone),
        ("email", &p.email),
        ("address", &p.address),
        ("zip", &p.zip),
    ] {
        if v.as_ref().is_some_and(|v| v.len() > QUERY_FIELD_BYTES_MAX) {
            return Err(field_err(
                f,
                format!("longer than {QUERY_FIELD_BYTES_MAX} bytes"),
            ));
        }
    }
    if let Some(n) = given(&p.name) {
        let single = !n.contains(',') && !n.trim().contains(' ');
        let (first, last) = if single {
            (String::new(), model::normalize::name(n))
        } else {
            let parsed = model::normalize::parse_full_name(n);
            (parsed.first, parsed.last)
        };
        if last.is_empty() {
            return Err(field_err(
                "name",
                "give a last name: DOE, JANE DOE or DOE, JANE",
            ));
        }
        q.last_name = Some(last);
        q.first_name = Some(first).filter(|f| !f.is_empty());
    }
    if let Some(ph) = given(&p.phone) {
        q.phone = Some(model::normalize::phone(ph).ok_or_else(|| {
            field_err(
                "phone",
                "not a US phone number: give 10 digits, e.g. 919-555-0101",
            )
        })?);
    }
    if let Some(e) = given(&p.email) {
        q.email = Some(
            model::normalize::email(e)
                .ok_or_else(|| field_err("email", "not an e-mail address: name@example.org"))?,
        );
    }
    if let Some(a) = given(&p.address) {
        let parsed = model::AddressFields::parse(a, "", "", "");
        if parsed.street.is_empty() || parsed.house_number.is_empty() {
            return Err(field_err(
                "address",
                "give a house number and a street: 12 Main St",
            ));
        }
        q.house_number = Some(parsed.house_number);
        q.street = Some(parsed.street);
    }
    if let Some(z) = given(&p.zip) {
        // 12345, 12345-6789 or 123456789: exactly what the API documents.
        let b = z.as_bytes();
        let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
        let ok = match b.len() {
            5 | 9 => digits(0..b.len()),
            10 => digits(0..5) && b[5] == b'-' && digits(6..10),
            _ => false,
        };
        if !ok {
            return Err(field_err("zip", "not a ZIP code: give 5 digits (or ZIP+4)"));
        }
        q.zip5 = model::normalize::zip(z).0;
    }
    if q.is_empty() {
        return Err(field_err(
            "query",
            "give at least one of name, phone, email, address, zip",
        ));
    }
    Ok(q)
}

/// One person in a list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonSummary {
    pub id: i64,
    pub name: String,
    pub address: String,
    pub county: String,
    pub birth_year: Option<i64>,
    /// The source tables behind this person (`voters`, `volunteers`, …).
    pub sources: Vec<String>,
    /// The keys of their source records (`nc:…`, `fec:…`).
    pub keys: Vec<String>,
    pub golden: Golden,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<T> {
    pub page: usize,
    pub per_page: usize,
    pub total_records: usize,
    pub total_pages: usize,
    /// The search stopped at `store::people::SEARCH_MATCHES_MAX` matches: narrow it.
    pub truncated: bool,
    pub items: Vec<T>,
}

/// Searches people within what `who` may see. The returned audit record (fields used,
/// counts; never the values searched) must be written before the answer is shown.
pub fn search(
    store: &mut dyn Store,
    who: &Principal,
    params: &SearchParams,
    now: &str,
) -> Result<(Page<PersonSummary>, AuditRecord), PeopleError> {
    let per_page = params.per_page.unwrap_or(PER_PAGE_DEFAULT);
    if per_page == 0 || per_page > PER_PAGE_MAX {
        return Err(field_err("per_page", format!("between 1 and {PER_PAGE_MAX}")).into());
    }
    let page = params.page.unwrap_or(1);
    if page == 0 || page > PAGE_MAX {
        return Err(field_err("page", format!("pages count from 1 to {PAGE_MAX}")).into());
    }
    let no_criteria = [
        &params.name,
        &params.phone,
        &params.email,
        &params.address,
        &params.zip,
    ]
    .iter()
    .all(|v| given(v).is_none());
    if no_criteria {
        return list(store, who, page, per_page, now);
    }
    let q = parse_query(params)?;
    let scope = who.people_scope();
    let mut found = people::search(store.sql(), &q, &scope)?;
    // `SMITH JONES` may be a first and last name or one compound last name: look for both.
    if let Some(n) = given(&params.name) {
        if !n.contains(',') && n.contains(' ') {
            let whole = PeopleQuery {
                last_name: Some(model::normalize::name(n)),
                first_name: None,
                ..q.clone()
            };
            let more = people::search(store.sql(), &whole, &scope)?;
            let mut ids: std::collections::BTreeSet<i64> = found.ids.into_iter().collect();
            ids.extend(more.ids);
            found.truncated |= more.truncated || ids.len() > people::SEARCH_MATCHES_MAX;
            found.ids = ids.into_iter().take(people::SEARCH_MATCHES_MAX).collect();
        }
    }
    let total = found.ids.len();
    let ids: Vec<i64> = found
        .ids
        .iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .copied()
        .collect();
    let rows = people::source_rows(store.sql(), &ids)?;
    let items = ids.iter().map(|id| summary(*id, &rows)).collect();
    let fields: Vec<&str> = [
        ("name", params.name.is_some()),
        ("phone", params.phone.is_some()),
        ("email", params.email.is_some()),
        ("address", params.address.is_some()),
        ("zip", params.zip.is_some()),
    ]
    .iter()
    .filter(|(_, on)| *on)
    .map(|(f, _)| *f)
    .collect();
    let audit = AuditRecord::new(
        now,
        &who.actor(),
        "people.search",
        "",
        serde_json::json!({ "fields": fields, "matches": total, "returned": ids.len(), "page": page }),
    );
    Ok((
        Page {
            page,
            per_page,
            total_records: total,
            total_pages: total.div_ceil(per_page),
            truncated: found.truncated,
            items,
        },
        audit,
    ))
}

/// Everyone `who` may see, by id, one page at a time (no criteria given). Audited.
fn list(
    store: &mut dyn Store,
    who: &Principal,
    page: usize,
    per_page: usize,
    now: &str,
) -> Result<(Page<PersonSummary>, AuditRecord), PeopleError> {
    let (total, ids) = people::list(
        store.sql(),
        &who.people_scope(),
        (page - 1).saturating_mul(per_page),
        per_page,
    )?;
    let rows = people::source_rows(store.sql(), &ids)?;
    let items: Vec<PersonSummary> = ids.iter().map(|id| summary(*id, &rows)).collect();
    let audit = AuditRecord::new(
        now,
        &who.actor(),
        "people.list",
        "",
        serde_json::json!({ "page": page, "returned": items.len(), "total": total }),
    );
    let total = total as usize;
    Ok((
        Page {
            page,
            per_page,
            total_records: total,
            total_pages: total.div_ceil(per_page),
            truncated: false,
            items,
        },
        audit,
    ))
}

/// Summaries of these people (golden name, address, county), in the order given.
pub fn summaries(store: &mut dyn Store, ids: &[i64]) -> Result<Vec<PersonSummary>, StoreError> {
    let rows = people::source_rows(store.sql(), ids)?;
    Ok(ids.iter().map(|id| summary(*id, &rows)).collect())
}

fn join_nonempty(parts: &[&str]) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

fn summary(id: i64, rows: &[SourceRow]) -> PersonSummary {
    let mine: Vec<&SourceRow> = rows.iter().filter(|r| r.person_id == id).collect();
    let g = golden(&mine);
    let mut sources: Vec<String> = mine.iter().map(|r| r.table.clone()).collect();
    sources.dedup();
    PersonSummary {
        id,
        name: join_nonempty(&[&g.given_name, &g.additional_name, &g.family_name, &g.suffix]),
        address: store::display_address(&g.address_line, &g.city, &g.state, &g.zip5),
        county: g.county.clone(),
        birth_year: g.birth_year,
        sources,
        keys: mine.iter().map(|r| r.rkey.clone()).collect(),
        golden: g,
    }
}

/// Where a source table stands when fields conflict: the voter file first for identity and
/// address (an official record), then what people told us about themselves (volunteer
/// sign-ups), then what others told us (contacts), then donation reports.
fn source_rank(table: &str) -> u8 {
    match table {
        "voters" => 0,
        "volunteers" => 1,
        "contacts" => 2,
        _ => 3,
    }
}

/// A person's best values, each with the source record it came from.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Golden {
    pub given_name: String,
    pub additional_name: String,
    pub family_name: String,
    pub suffix: String,
    pub address_line: String,
    pub city: String,
    pub state: String,
    pub zip5: String,
    pub birth_year: Option<i64>,
    pub birth_date: Option<String>,
    /// Self-reported first, then the voter file, then contacts; newest first within each.
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    pub county: String,
    pub precinct: String,
    pub party: String,
    pub status: String,
    /// Field → record key it came from.
    pub provenance: BTreeMap<String, String>,
}

/// Survivorship rules:
/// - name and address: the newest current voter registration (highest load, then key); a
///   person with none takes the newest volunteer sign-up, then contact, then donation;
/// - birth year: from that registration, else any source; birth date: the first full date
///   (volunteers, then contacts, then voters) whose year agrees with the birth year;
/// - phones and e-mails: every distinct value, self-reported first (see `source_rank` for the
///   order), newest first within a source;
/// - county, precinct, party, status: from the chosen voter registration.
pub fn golden(rows: &[&SourceRow]) -> Golden {
    let mut g = Golden::default();
    let mut sorted: Vec<&SourceRow> = rows.to_vec();
    sorted.sort_by(|a, b| {
        (
            a.removed,
            source_rank(&a.table),
            std::cmp::Reverse(a.load_id),
            &a.rkey,
        )
            .cmp(&(
                b.removed,
                source_rank(&b.table),
                std::cmp::Reverse(b.load_id),
                &b.rkey,
            ))
    });
    let Some(best) = sorted.first() else {
        return g;
    };
    g.given_name = best.first.clone();
    g.additional_name = best.middle.clone();
    g.family_name = best.last.clone();
    g.suffix = best.suffix.clone();
    g.provenance.insert("name".into(), best.rkey.clone());
    if let Some(a) = sorted
        .iter()
        .find(|r| !r.address_line.is_empty() || !r.zip5.is_empty())
    {
        g.address_line = a.address_line.clone();
        g.city = a.city.clone();
        g.state = a.state.clone();
        g.zip5 = a.zip5.clone();
        g.provenance.insert("address".into(), a.rkey.clone());
    }
    if let Some(r) = sorted.iter().find(|r| r.birth_year.is_some()) {
        g.birth_year = r.birth_year;
        g.provenance.insert("birth_year".into(), r.rkey.clone());
    }
    let mut by_self: Vec<&&SourceRow> = sorted.iter().collect();
    by_self.sort_by_key(|r| {
        (
            match r.table.as_str() {
                "volunteers" => 0,
                "contacts" => 1,
                "voters" => 2,
                _ => 3,
            },
            std::cmp::Reverse(r.load_id),
        )
    });
    if let Some(r) = by_self.iter().find(|r| {
        r.birth_date.as_ref().is_some_and(|d| {
            g.birth_year
                .is_none_or(|y| d.get(..4).and_then(|s| s.parse::<i64>().ok()) == Some(y))
        })
    }) {
        g.birth_date = r.birth_date.clone();
        g.provenance.insert("birth_date".into(), r.rkey.clone());
    }
    for r in &by_self {
        if !r.phone.is_empty() && !g.phones.contains(&r.phone) {
            g.phones.push(r.phone.clone());
        }
        if !r.email.is_empty() && !g.emails.contains(&r.email) {
            g.emails.push(r.email.clone());
        }
    }
    if let Some(v) = sorted.iter().find(|r| r.table == "voters") {
        g.county = v.county.clone();
        g.precinct = v.precinct.clone();
        g.party = v.party.clone();
        g.status = v.status.clone();
        g.provenance.insert("registration".into(), v.rkey.clone());
    }
    g
}

/// A person as the API and the person page show them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonDetail {
    pub id: i64,
    pub golden: Golden,
    /// The person-describing columns of each source row.
    pub sources: Vec<SourceRow>,
    /// Verbatim source records with provenance.
    pub records: PersonView,
    /// Names of the person's tags and lists.
    pub tags: Vec<String>,
    pub lists: Vec<String>,
}

/// A person within what `who` may see, or `None` (absent and out of scope look the same, so
/// nobody learns that an id exists outside their region). With the audit record to write.
pub fn get(
    store: &mut dyn Store,
    who: &Principal,
    id: i64,
    now: &str,
) -> Result<Option<(PersonDetail, AuditRecord)>, StoreError> {
    if !people::in_scope(store.sql(), id, &who.people_scope())? {
        return Ok(None);
    }
    let Some(records) = store.person(id)? else {
        return Ok(None);
    };
    let sources = people::source_rows(store.sql(), &[id])?;
    let golden = golden(&sources.iter().collect::<Vec<_>>());
    let (tags, lists) = store::groups::of_person(store.sql(), id)?;
    let audit = AuditRecord::new(
        now,
        &who.actor(),
        "person.read",
        &format!("person:{id}"),
        serde_json::json!({}),
    );
    Ok(Some((
        PersonDetail {
            id,
            golden,
            sources,
            records,
            tags,
            lists,
        },
        audit,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(table: &str, rkey: &str, load: i64) -> SourceRow {
        SourceRow {
            table: table.into(),
            rkey: rkey.into(),
            person_id: 1,
            load_id: load,
            ..Default::default()
        }
    }

    #[test]
    fn queries_are_normalised_and_bad_fields_named() {
        let q = parse_query(&SearchParams {
            name: Some("Doe, Jane".into()),
            phone: Some("(919) 555-0101".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(q.last_name.as_deref(), Some("DOE"));
        assert_eq!(q.first_name.as_deref(), Some("JANE"));
        assert_eq!(q.phone.as_deref(), Some("9195550101"));
        let q = parse_query(&SearchParams {
            name: Some("jane doe".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            (q.first_name.as_deref(), q.last_name.as_deref()),
            (Some("JANE"), Some("DOE"))
        );
        let q = parse_query(&SearchParams {
            name: Some("doe".into()),
            address: Some("12 north main street".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(q.first_name, None);
        assert_eq!(q.house_number.as_deref(), Some("12"));
        assert_eq!(q.street.as_deref(), Some("N MAIN ST"));
        for (p, field) in [
            (
                SearchParams {
                    phone: Some("12".into()),
                    ..Default::default()
                },
                "phone",
            ),
            (
                SearchParams {
                    email: Some("nope".into()),
                    ..Default::default()
                },
                "email",
            ),
            (
                SearchParams {
                    address: Some("Main".into()),
                    ..Default::default()
                },
                "address",
            ),
            (
                SearchParams {
                    zip: Some("2x".into()),
                    ..Default::default()
                },
                "zip",
            ),
            (SearchParams::default(), "query"),
            (
                SearchParams {
                    name: Some("x".repeat(201)),
                    ..Default::default()
                },
                "name",
            ),
        ] {
            assert_eq!(parse_query(&p).unwrap_err().field, field, "{p:?}");
        }
    }

    #[test]
    fn survivorship_prefers_the_newest_registration_and_self_reported_contacts() {
        let mut old_reg = row("voters", "nc:A", 1);
        old_reg.last = "SMITH".into();
        old_reg.address_line = "1 OLD RD".into();
        old_reg.birth_year = Some(1980);
        old_reg.phone = "9195550000".into();
        let mut new_reg = row("voters", "nc:B", 5);
        new_reg.first = "JANE".into();
        new_reg.last = "JONES".into();
        new_reg.address_line = "2 NEW ST".into();
        new_reg.birth_year = Some(1980);
        new_reg.county = "WAKE".into();
        let mut vol = row("volunteers", "mobilize:1", 3);
        vol.first = "JANIE".into();
        vol.phone = "9195551111".into();
        vol.email = "j@example.org".into();
        vol.birth_date = Some("1980-02-03".into());
        let mut wrong_dob = row("contacts", "friends:9", 9);
        wrong_dob.birth_date = Some("1979-02-03".into());
        wrong_dob.phone = "9195551111".into();
        let g = golden(&[&old_reg, &vol, &new_reg, &wrong_dob]);
        assert_eq!(
            (g.given_name.as_str(), g.family_name.as_str()),
            ("JANE", "JONES")
        );
        assert_eq!(g.address_line, "2 NEW ST");
        assert_eq!(g.provenance["name"], "nc:B");
        assert_eq!(
            g.birth_date.as_deref(),
            Some("1980-02-03"),
            "year must agree"
        );
        assert_eq!(
            g.phones,
            ["9195551111", "9195550000"],
            "self-reported first, no repeats"
        );
        assert_eq!(g.emails, ["j@example.org"]);
        assert_eq!(g.county, "WAKE");
        let mut removed = new_reg.clone();
        removed.removed = true;
        let g = golden(&[&old_reg, &removed]);
        assert_eq!(
            g.family_name, "SMITH",
            "a removed registration loses to a current one"
        );
        let g = golden(&[&vol]);
        assert_eq!((g.given_name.as_str(), g.county.as_str()), ("JANIE", ""));
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any text in any field: a query or an error naming one of the fields, never a panic.
        #[test]
        fn parsing_never_panics_and_names_the_field(
            name in proptest::option::of(".{0,80}"),
            phone in proptest::option::of("[0-9()+ .-]{0,20}|.{0,20}"),
            email in proptest::option::of(".{0,40}"),
            address in proptest::option::of(".{0,60}"),
            zip in proptest::option::of("[0-9-]{0,11}|.{0,12}"),
        ) {
            let p = SearchParams { name, phone, email, address, zip, ..Default::default() };
            match parse_query(&p) {
                Ok(q) => prop_assert!(!q.is_empty()),
                Err(e) => prop_assert!(["name", "phone", "email", "address", "zip", "query"].contains(&e.field)),
            }
        }
    }
}
