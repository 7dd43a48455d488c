//! Tags and lists as use cases: names checked, members limited to the people the caller may
//! see (an organizer tags and lists only people in their region), reads audited.

use store::accounts::AuditRecord;
use store::groups::{self, Group, Kind, GROUP_NAME_MAX, MEMBERS_PER_CALL_MAX};
use store::Store;

use crate::accounts::Principal;
use crate::people::{
    FieldError, Page, PeopleError, PersonSummary, PAGE_MAX, PER_PAGE_DEFAULT, PER_PAGE_MAX,
};

fn field(f: &'static str, m: impl Into<String>) -> PeopleError {
    PeopleError::Field(FieldError {
        field: f,
        message: m.into(),
    })
}

/// A tag or list name: 1–100 characters, no control characters, trimmed.
pub fn check_name(name: &str) -> Result<String, PeopleError> {
    if name.chars().count() > GROUP_NAME_MAX {
        return Err(field(
            "name",
            format!("at most {GROUP_NAME_MAX} characters"),
        ));
    }
    let n = name.trim();
    if n.is_empty() || n.chars().count() > GROUP_NAME_MAX || n.chars().any(char::is_control) {
        return Err(field(
            "name",
            format!("1 to {GROUP_NAME_MAX} characters, no control characters"),
        ));
    }
    Ok(n.to_string())
}

pub fn create(
    store: &mut dyn Store,
    who: &Principal,
    kind: Kind,
    name: &str,
    description: &str,
    now: &str,
) -> Result<(Group, AuditRecord), PeopleError> {
    let name = check_name(name)?;
    if description.chars().count() > 1_000
        || description.chars().any(|c| c.is_control() && c != '\n')
    {
        return Err(field(
            "description",
            "at most 1,000 characters, no control characters",
        ));
    }
    let id =
        groups::create(store.sql(), kind, &name, description, &who.actor(), now).map_err(|e| {
            match e {
                store::StoreError::Invalid(m) => PeopleError::Conflict(FieldError {
                    field: "name",
                    message: m.trim_start_matches("name: ").to_string(),
                }),
                e => PeopleError::Store(e),
            }
        })?;
    let g = groups::get(store.sql(), kind, id)?.ok_or_else(|| field("name", "vanished"))?;
    let audit = AuditRecord::new(
        now,
        &who.actor(),
        &format!("{}.create", kind.noun()),
        &format!("{}:{id}", kind.noun()),
        serde_json::json!({}),
    );
    Ok((g, audit))
}

/// Adds people the caller may see; refuses the whole request if any is not (named).
pub fn add(
    store: &mut dyn Store,
    who: &Principal,
    kind: Kind,
    id: i64,
    people: &[i64],
    now: &str,
) -> Result<Option<(u64, AuditRecord)>, PeopleError> {
    if people.is_empty() || people.len() > MEMBERS_PER_CALL_MAX {
        return Err(field(
            "person_ids",
            format!("1 to {MEMBERS_PER_CALL_MAX} person ids per request"),
        ));
    }
    if groups::get(store.sql(), kind, id)?.is_none() {
        return Ok(None);
    }
    let scope = who.people_scope();
    for &p in people {
        if !store::people::in_scope(store.sql(), p, &scope)? {
            return Err(field(
                "person_ids",
                format!("person {p} does not exist or is not one you may see"),
            ));
        }
    }
    let added = groups::add(store.sql(), kind, id, people, &who.actor(), now)?;
    let audit = AuditRecord::new(
        now,
        &who.actor(),
        &format!("{}.add", kind.noun()),
        &format!("{}:{id}", kind.noun()),
        serde_json::json!({ "people": people.len(), "added": added }),
    );
    Ok(Some((added, audit)))
}

/// Removes a person the caller may see; `None` when the group or membership is unknown.
pub fn remove(
    store: &mut dyn Store,
    who: &Principal,
    kind: Kind,
    id: i64,
    person: i64,
    now: &str,
) -> Result<Option<AuditRecord>, PeopleError> {
    if !store::people::in_scope(store.sql(), person, &who.people_scope())? {
        return Ok(None);
    }
    if !groups::remove(store.sql(), kind, id, person, now)? {
        return Ok(None);
    }
    Ok(Some(AuditRecord::new(
        now,
        &who.actor(),
        &format!("{}.remove", kind.noun()),
        &format!("{}:{id} person:{person}", kind.noun()),
        serde_json::json!({}),
    )))
}

/// One page of the members the caller may see; `None` for an unknown group.
pub fn members(
    store: &mut dyn Store,
    who: &Principal,
    kind: Kind,
    id: i64,
    page: Option<usize>,
    per_page: Option<usize>,
    now: &str,
) -> Result<Option<(Page<PersonSummary>, AuditRecord)>, PeopleError> {
    let per_page = per_page.unwrap_or(PER_PAGE_DEFAULT);
    if per_page == 0 || per_page > PER_PAGE_MAX {
        return Err(field("per_page", format!("between 1 and {PER_PAGE_MAX}")));
    }
    let page = page.unwrap_or(1);
    if page == 0 || page > PAGE_MAX {
        return Err(field("page", format!("pages count from 1 to {PAGE_MAX}")));
    }
    if groups::get(store.sql(), kind, id)?.is_none() {
        return Ok(None);
    }
    let (total, ids) = groups::members(
        store.sql(),
        kind,
        id,
        &who.people_scope(),
        (page - 1) * per_page,
        per_page,
    )?;
    let items = crate::people::summaries(store, &ids)?;
    let audit = AuditRecord::new(
        now,
        &who.actor(),
        &format!("{}.members", kind.noun()),
        &format!("{}:{id}", kind.noun()),
        serde_json::json!({ "page": page, "returned": items.len(), "total": total }),
    );
    let total = total as usize;
    Ok(Some((
        Page {
            page,
            per_page,
            total_records: total,
            total_pages: total.div_ceil(per_page),
            truncated: false,
            items,
        },
        audit,
    )))
}
