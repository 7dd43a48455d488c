//! Blocking: which pairs are worth comparing. Several rules, unioned; a key shared by too
//! many records (a common zip, a placeholder phone) is skipped and counted, so the work stays
//! bounded.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use crate::record::Record;

/// A blocking rule: records that share its key become candidate pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// Soundex of the last name + birth year.
    SoundexLastBirthYear,
    /// First initial + zip.
    FirstInitialZip,
    Phone,
    Email,
    /// House number + street.
    HouseNumberStreet,
    /// First + last name.
    FullName,
    /// Full birth date.
    BirthDate,
    /// Last name + first initial (catches moves with no date of birth).
    LastNameFirstInitial,
    /// First name + city.
    FirstNameCity,
    /// Street (without number) + city.
    StreetCity,
    /// Both names in alphabetical order (first and last given the other way round).
    NameSet,
    /// Zip + house number.
    ZipHouseNumber,
    /// Last name + house number.
    LastNameHouseNumber,
    /// Last name + the first name's nickname group (BOB NEAL finds ROBERT NEAL).
    LastNameNickname,
}

impl Rule {
    pub fn name(self) -> &'static str {
        match self {
            Rule::SoundexLastBirthYear => "soundex(last) + birth year",
            Rule::FirstInitialZip => "first initial + zip",
            Rule::Phone => "phone",
            Rule::Email => "email",
            Rule::HouseNumberStreet => "house number + street",
            Rule::FullName => "first + last name",
            Rule::BirthDate => "birth date",
            Rule::LastNameFirstInitial => "last name + first initial",
            Rule::FirstNameCity => "first name + city",
            Rule::StreetCity => "street + city",
            Rule::NameSet => "both names, any order",
            Rule::ZipHouseNumber => "zip + house number",
            Rule::LastNameHouseNumber => "last name + house number",
            Rule::LastNameNickname => "last name + nickname group",
        }
    }

    fn key(self, r: &Record, out: &mut String) -> bool {
        out.clear();
        let init = |s: &str| s.chars().next();
        match self {
            Rule::SoundexLastBirthYear => match (r.last_soundex.is_empty(), r.birth_year) {
                (false, Some(y)) => {
                    out.push_str(&r.last_soundex);
                    out.push_str(&y.to_string());
                }
                _ => return false,
            },
            Rule::FirstInitialZip => match (init(&r.first), r.zip5.is_empty()) {
                (Some(c), false) => {
                    out.push(c);
                    out.push_str(&r.zip5);
                }
                _ => return false,
            },
            Rule::Phone => out.push_str(&r.phone),
            Rule::Email => out.push_str(&r.email),
            Rule::HouseNumberStreet => {
                if r.house_number.is_empty() || r.street.is_empty() {
                    return false;
                }
                out.push_str(&r.house_number);
                out.push(' ');
                out.push_str(&r.street);
            }
            Rule::FullName => {
                if r.first.is_empty() || r.last.is_empty() {
                    return false;
                }
                out.push_str(&r.first);
                out.push('|');
                out.push_str(&r.last);
            }
            Rule::BirthDate => match r.dob {
                Some(d) => out.push_str(&d.to_string()),
                None => return false,
            },
            Rule::LastNameFirstInitial => match init(&r.first) {
                Some(c) if !r.last.is_empty() => {
                    out.push_str(&r.last);
                    out.push(c);
                }
                _ => return false,
            },
            Rule::FirstNameCity => {
                if r.first.is_empty() || r.city.is_empty() {
                    return false;
                }
                out.push_str(&r.first);
                out.push('|');
                out.push_str(&r.city);
            }
            Rule::StreetCity => {
                if r.street.is_empty() || r.city.is_empty() {
                    return false;
                }
                out.push_str(&r.street);
                out.push('|');
                out.push_str(&r.city);
            }
            Rule::NameSet => {
                if r.first.is_empty() || r.last.is_empty() {
                    return false;
                }
                let (a, b) = if r.first <= r.last {
                    (&r.first, &r.last)
                } else {
                    (&r.last, &r.first)
                };
                out.push_str(a);
                out.push('|');
                out.push_str(b);
            }
            Rule::ZipHouseNumber => {
                if r.zip5.is_empty() || r.house_number.is_empty() {
                    return false;
                }
                out.push_str(&r.zip5);
                out.push('|');
                out.push_str(&r.house_number);
            }
            Rule::LastNameNickname => {
                let group = r.first_groups.first().unwrap_or(&r.first);
                if r.last.is_empty() || group.is_empty() {
                    return false;
                }
                out.push_str(&r.last);
                out.push('|');
                out.push_str(group);
            }
            Rule::LastNameHouseNumber => {
                if r.last.is_empty() || r.house_number.is_empty() {
                    return false;
                }
                out.push_str(&r.last);
                out.push('|');
                out.push_str(&r.house_number);
            }
        }
        !out.is_empty()
    }
}

pub const DEFAULT_RULES: &[Rule] = &[
    Rule::SoundexLastBirthYear,
    Rule::FirstInitialZip,
    Rule::Phone,
    Rule::Email,
    Rule::HouseNumberStreet,
    Rule::BirthDate,
    Rule::LastNameFirstInitial,
    Rule::FirstNameCity,
    Rule::StreetCity,
    Rule::NameSet,
    Rule::ZipHouseNumber,
    Rule::LastNameHouseNumber,
    Rule::LastNameNickname,
];

/// A key shared by more left records than this is skipped: it would not narrow anything.
pub const RECORDS_PER_KEY_MAX: usize = 300;

fn hash_key(rule: Rule, key: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    rule.hash(&mut h);
    key.hash(&mut h);
    h.finish()
}

/// An index of the left records by every rule's key.
pub struct Blocker {
    rules: Vec<Rule>,
    index: HashMap<u64, Vec<u32>>,
    /// Keys skipped for being shared by more than `RECORDS_PER_KEY_MAX` records.
    pub skipped_keys: usize,
    skipped: std::collections::HashSet<u64>,
}

impl Blocker {
    pub fn new(left: &[Record], rules: &[Rule]) -> Blocker {
        let mut index: HashMap<u64, Vec<u32>> = HashMap::new();
        let mut key = String::new();
        for (i, r) in left.iter().enumerate() {
            for &rule in rules {
                if rule.key(r, &mut key) {
                    index
                        .entry(hash_key(rule, &key))
                        .or_default()
                        .push(i as u32);
                }
            }
        }
        let mut skipped = std::collections::HashSet::new();
        index.retain(|k, v| {
            let keep = v.len() <= RECORDS_PER_KEY_MAX;
            if !keep {
                skipped.insert(*k);
            }
            keep
        });
        Blocker {
            rules: rules.to_vec(),
            skipped_keys: skipped.len(),
            skipped,
            index,
        }
    }

    /// `r`'s key under `rule` is shared by too many left records to be searched: a left
    /// record found only through that key is not among `r`'s candidates.
    pub fn skipped(&self, rule: Rule, r: &Record) -> bool {
        let mut key = String::new();
        rule.key(r, &mut key) && self.skipped.contains(&hash_key(rule, &key))
    }

    /// Left records sharing at least one key with `r`, sorted, without repeats.
    pub fn candidates(&self, r: &Record, out: &mut Vec<u32>) {
        out.clear();
        let mut key = String::new();
        for &rule in &self.rules {
            if rule.key(r, &mut key) {
                if let Some(v) = self.index.get(&hash_key(rule, &key)) {
                    out.extend_from_slice(v);
                }
            }
        }
        out.sort_unstable();
        out.dedup();
    }
}
