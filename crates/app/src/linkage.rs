//! Source records as identity records: what each source can say about a person.

use identity::{RawPerson, Record};
use model::{Donation, Entry, Voter};

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

/// A voter-file registration (NC has a birth year only; Ohio a full date).
pub fn voter(id: impl Into<String>, v: &Voter) -> Record {
    Record::new(
        id,
        &RawPerson {
            first: v.name.first.clone(),
            middle: v.name.middle.clone(),
            last: v.name.last.clone(),
            suffix: v.name.suffix.clone(),
            sex: v.gender.clone(),
            dob: v.birth_date.map(|d| d.to_string()).unwrap_or_default(),
            birth_year: v.birth_year.map(|y| y.to_string()).unwrap_or_default(),
            street: v.address.line.clone(),
            city: v.address.city.clone(),
            state: v.address.state.clone(),
            zip: opt(&v.address.zip5),
            phone: opt(&v.phone),
            ..Default::default()
        },
    )
}

/// A volunteer sign-up or a shared contact.
pub fn entry(id: impl Into<String>, e: &Entry) -> Record {
    Record::new(
        id,
        &RawPerson {
            first: e.name.first.clone(),
            middle: e.name.middle.clone(),
            last: e.name.last.clone(),
            suffix: e.name.suffix.clone(),
            dob: e.birth_date.map(|d| d.to_string()).unwrap_or_default(),
            birth_year: e.birth_year.map(|y| y.to_string()).unwrap_or_default(),
            street: e.address.line.clone(),
            city: e.address.city.clone(),
            state: e.address.state.clone(),
            zip: opt(&e.address.zip5),
            phone: opt(&e.phone),
            email: opt(&e.email),
            ..Default::default()
        },
    )
}

/// An FEC contribution: name, city, state, zip (no street address).
pub fn donation(id: impl Into<String>, d: &Donation) -> Record {
    Record::new(
        id,
        &RawPerson {
            first: d.name.first.clone(),
            middle: d.name.middle.clone(),
            last: d.name.last.clone(),
            suffix: d.name.suffix.clone(),
            city: d.city.clone(),
            state: d.state.clone(),
            zip: opt(&d.zip5),
            ..Default::default()
        },
    )
}
