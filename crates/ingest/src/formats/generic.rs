//! Any CSV with a mapping file (see `mapping`).

use std::collections::BTreeMap;

use model::{normalize, AddressFields, Entry, NameFields, Record, Voter};

use super::{opt_date, opt_year, req};
use crate::decode::Fields;
use crate::mapping::{Entity, Mapping};
use crate::{Columns, Parsed, ReadError, RowParser};

pub struct Parser {
    m: Mapping,
    idx: BTreeMap<String, usize>,
}

impl Parser {
    pub fn new(header: &[String], m: Mapping) -> Result<Parser, ReadError> {
        let cols = Columns::new(header);
        let wanted: Vec<&str> = m.columns.values().map(String::as_str).collect();
        cols.check(
            &format!("what the mapping for source '{}' names", m.source),
            &wanted,
            None,
            "Fix the [columns] section of the mapping file to use this file's header names.",
        )?;
        let idx = m
            .columns
            .iter()
            .filter_map(|(field, col)| cols.get(col).map(|i| (field.clone(), i)))
            .collect();
        Ok(Parser { m, idx })
    }

    fn get<'f>(&self, f: &'f Fields, field: &str) -> &'f str {
        f.get(self.idx.get(field).copied())
    }

    fn name(&self, f: &Fields) -> NameFields {
        let (first, last) = (self.get(f, "first_name"), self.get(f, "last_name"));
        let full = self.get(f, "full_name");
        if first.is_empty() && last.is_empty() && !full.is_empty() {
            let mut n = NameFields::from_parsed(normalize::parse_full_name(full));
            if n.suffix.is_empty() {
                n.suffix = normalize::suffix(self.get(f, "name_suffix"))
                    .unwrap_or_default()
                    .to_string();
            }
            return n;
        }
        NameFields::from_parts(
            first,
            self.get(f, "middle_name"),
            last,
            self.get(f, "name_suffix"),
        )
    }

    fn address(&self, f: &Fields) -> AddressFields {
        let state = match self.get(f, "state") {
            "" => self.m.state.as_deref().unwrap_or(""),
            s => s,
        };
        AddressFields::parse(
            self.get(f, "street_address"),
            self.get(f, "city"),
            state,
            self.get(f, "zip"),
        )
    }
}

impl RowParser for Parser {
    fn source(&self) -> String {
        self.m.source.clone()
    }

    fn voter_key(&self, f: &Fields) -> Option<String> {
        if self.m.entity != Entity::Voters {
            return None;
        }
        Some(self.get(f, "voter_id"))
            .filter(|k| !k.is_empty())
            .map(|k| format!("{}:{k}", self.m.source))
    }

    fn parse(&self, f: &Fields) -> Result<Vec<Parsed>, String> {
        let g = |k: &str| self.get(f, k);
        let record = match self.m.entity {
            Entity::Voters => {
                let name = self.name(f);
                if name.last.is_empty() {
                    return Err(format!(
                        "{} is empty",
                        self.m
                            .columns
                            .get("last_name")
                            .or(self.m.columns.get("full_name"))
                            .map(String::as_str)
                            .unwrap_or("last_name")
                    ));
                }
                let birth_date = opt_date("birth_date", g("birth_date"))?;
                let state = self
                    .m
                    .state
                    .clone()
                    .unwrap_or_default()
                    .to_ascii_uppercase();
                Record::Voter(Box::new(Voter {
                    source: self.m.source.clone(),
                    voter_id: req(self.m.columns["voter_id"].as_str(), g("voter_id"))?.to_string(),
                    state,
                    county_id: g("county_id").to_string(),
                    county: g("county").to_string(),
                    registration_number: g("registration_number").to_string(),
                    name,
                    status: g("status").to_string(),
                    status_reason: g("status_reason").to_string(),
                    address: self.address(f),
                    mail_address: String::new(),
                    phone: normalize::phone(g("phone")),
                    birth_year: match opt_year("birth_year", g("birth_year"))? {
                        Some(y) => Some(y),
                        None => birth_date.map(|d| d.year),
                    },
                    birth_date,
                    gender: g("gender").to_string(),
                    race: g("race").to_string(),
                    ethnicity: g("ethnicity").to_string(),
                    party: g("party").to_string(),
                    registration_date: opt_date("registration_date", g("registration_date"))?,
                    precinct: g("precinct").to_string(),
                    precinct_desc: g("precinct_desc").to_string(),
                    municipality: g("municipality").to_string(),
                    ward: g("ward").to_string(),
                    congressional_district: g("congressional_district").to_string(),
                    senate_district: g("senate_district").to_string(),
                    house_district: g("house_district").to_string(),
                    confidential: false,
                }))
            }
            Entity::Volunteers | Entity::Contacts => {
                let name = self.name(f);
                let email = normalize::email(g("email"));
                let phone = normalize::phone(g("phone"));
                if name.first.is_empty()
                    && name.last.is_empty()
                    && email.is_none()
                    && phone.is_none()
                {
                    return Err("no name, no valid e-mail and no valid phone: nothing to know this person by".into());
                }
                let key = match g("id") {
                    "" if self.m.columns.contains_key("id") => {
                        return Err(format!("{} is empty", self.m.columns["id"]))
                    }
                    "" => format!(
                        "{:016x}",
                        model::content_hash(&model::join_fields(f.iter())) as u64
                    ),
                    id => id.to_string(),
                };
                let birth_date = opt_date("birth_date", g("birth_date"))?;
                let owner = match g("owner") {
                    "" => self.m.owner.clone().unwrap_or_default(),
                    o => o.to_string(),
                };
                if self.m.entity == Entity::Contacts && owner.is_empty() {
                    return Err("owner is empty: a contact must name the supporter who shared it (map columns.owner or set owner = \"...\")".into());
                }
                let e = Entry {
                    source: self.m.source.clone(),
                    key,
                    owner,
                    name,
                    email,
                    phone,
                    address: self.address(f),
                    birth_year: match opt_year("birth_year", g("birth_year"))? {
                        Some(y) => Some(y),
                        None => birth_date.map(|d| d.year),
                    },
                    birth_date,
                    date: opt_date("date", g("date"))?,
                };
                if self.m.entity == Entity::Contacts {
                    Record::Contact(Box::new(e))
                } else {
                    Record::Volunteer(Box::new(e))
                }
            }
        };
        Ok(vec![Parsed { record, raw: None }])
    }
}
