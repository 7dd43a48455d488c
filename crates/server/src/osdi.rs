//! API resources in OSDI's vocabulary (people with `identifiers` as `system:id`, postal
//! addresses, e-mail addresses, phone numbers, HAL `_links`/`_embedded`, OSDI paging).

use std::collections::BTreeMap;

use app::people::{Golden, Page, PersonDetail, PersonSummary};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct Href {
    pub href: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Links {
    #[serde(rename = "self")]
    pub self_: Href,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<Href>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<Href>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Birthdate {
    pub year: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub month: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub day: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PostalAddress {
    pub primary: bool,
    pub address_lines: Vec<String>,
    pub locality: String,
    pub region: String,
    pub postal_code: String,
    pub country: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EmailAddress {
    pub primary: bool,
    pub address: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PhoneNumber {
    pub primary: bool,
    pub number: String,
}

/// A person (OSDI `osdi:person`), built from the golden record.
#[derive(Debug, Serialize, ToSchema)]
pub struct Person {
    /// `tusk:ID` first, then every source record's key (`nc:…`, `fec:…`, `mobilize:…`).
    pub identifiers: Vec<String>,
    pub given_name: String,
    pub additional_name: String,
    pub family_name: String,
    pub honorific_suffix: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birthdate: Option<Birthdate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub party_identification: Option<String>,
    pub postal_addresses: Vec<PostalAddress>,
    pub email_addresses: Vec<EmailAddress>,
    pub phone_numbers: Vec<PhoneNumber>,
    /// Voter-file facts OSDI has no field for: county, precinct, registration status.
    pub custom_fields: BTreeMap<String, String>,
    /// Which source record each golden field came from.
    #[serde(rename = "tusk:provenance")]
    pub provenance: BTreeMap<String, String>,
    /// The source tables behind this person.
    #[serde(rename = "tusk:sources")]
    pub sources: Vec<String>,
    /// On a single person: every source record verbatim, with its load and row.
    /// On a single person: the names of their tags and lists.
    #[serde(rename = "tusk:tags", skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(rename = "tusk:lists", skip_serializing_if = "Option::is_none")]
    pub lists: Option<Vec<String>>,
    #[serde(rename = "tusk:records", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub records: Option<serde_json::Value>,
    /// On a single person, for roles that read models: the scores of the approved model of
    /// each target (`target`, `model_id`, `score`, `value_cents`).
    #[serde(rename = "tusk:scores", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub scores: Option<Vec<store::models::PersonScore>>,
    pub _links: Links,
}

fn person_from(id: i64, g: &Golden, keys: Vec<String>, sources: Vec<String>) -> Person {
    let mut identifiers = vec![format!("tusk:{id}")];
    identifiers.extend(keys);
    let birthdate = g.birth_year.map(|year| {
        let (month, day) = g
            .birth_date
            .as_deref()
            .and_then(model::Date::parse)
            .map(|d| (Some(d.month as u32), Some(d.day as u32)))
            .unwrap_or((None, None));
        Birthdate { year, month, day }
    });
    let mut custom = BTreeMap::new();
    for (k, v) in [
        ("county", &g.county),
        ("precinct", &g.precinct),
        ("registration_status", &g.status),
    ] {
        if !v.is_empty() {
            custom.insert(k.to_string(), v.clone());
        }
    }
    let has_address = !g.address_line.is_empty() || !g.zip5.is_empty();
    Person {
        identifiers,
        given_name: g.given_name.clone(),
        additional_name: g.additional_name.clone(),
        family_name: g.family_name.clone(),
        honorific_suffix: g.suffix.clone(),
        birthdate,
        party_identification: Some(g.party.clone()).filter(|p| !p.is_empty()),
        postal_addresses: if has_address {
            vec![PostalAddress {
                primary: true,
                address_lines: vec![g.address_line.clone()]
                    .into_iter()
                    .filter(|l| !l.is_empty())
                    .collect(),
                locality: g.city.clone(),
                region: g.state.clone(),
                postal_code: g.zip5.clone(),
                country: "US".into(),
            }]
        } else {
            vec![]
        },
        email_addresses: g
            .emails
            .iter()
            .enumerate()
            .map(|(i, e)| EmailAddress {
                primary: i == 0,
                address: e.clone(),
            })
            .collect(),
        phone_numbers: g
            .phones
            .iter()
            .enumerate()
            .map(|(i, p)| PhoneNumber {
                primary: i == 0,
                number: p.clone(),
            })
            .collect(),
        custom_fields: custom,
        provenance: g.provenance.clone(),
        sources,
        tags: None,
        lists: None,
        records: None,
        scores: None,
        _links: Links {
            self_: Href {
                href: format!("/api/v1/people/{id}"),
            },
            next: None,
            previous: None,
        },
    }
}

pub fn person_summary(s: &PersonSummary) -> Person {
    person_from(s.id, &s.golden, s.keys.clone(), s.sources.clone())
}

pub fn person_detail(d: &PersonDetail) -> Person {
    let keys = d.sources.iter().map(|r| r.rkey.clone()).collect();
    let mut tables: Vec<String> = d.sources.iter().map(|r| r.table.clone()).collect();
    tables.dedup();
    let mut p = person_from(d.id, &d.golden, keys, tables);
    p.records = serde_json::to_value(&d.records.records).ok();
    p.tags = Some(d.tags.clone());
    p.lists = Some(d.lists.clone());
    p
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PeopleEmbedded {
    #[serde(rename = "osdi:people")]
    pub people: Vec<Person>,
}

/// One page of people (OSDI paging).
#[derive(Debug, Serialize, ToSchema)]
pub struct PeoplePage {
    pub page: usize,
    pub per_page: usize,
    pub total_pages: usize,
    pub total_records: usize,
    /// More than the search limit matched: narrow the search.
    pub truncated: bool,
    pub _embedded: PeopleEmbedded,
    pub _links: Links,
}

pub fn people_page(p: &Page<PersonSummary>, self_href: impl Fn(usize) -> String) -> PeoplePage {
    PeoplePage {
        page: p.page,
        per_page: p.per_page,
        total_pages: p.total_pages,
        total_records: p.total_records,
        truncated: p.truncated,
        _embedded: PeopleEmbedded {
            people: p.items.iter().map(person_summary).collect(),
        },
        _links: Links {
            self_: Href {
                href: self_href(p.page),
            },
            next: (p.page < p.total_pages).then(|| Href {
                href: self_href(p.page + 1),
            }),
            previous: (p.page > 1).then(|| Href {
                href: self_href(p.page - 1),
            }),
        },
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Recipient {
    pub display_name: String,
    pub amount: f64,
}

/// A donation (OSDI `osdi:donation`).
#[derive(Debug, Serialize, ToSchema)]
pub struct Donation {
    /// `tusk-donation:ID` and the source key (`fec:SUB_ID`).
    pub identifiers: Vec<String>,
    /// Dollars; refunds are negative.
    pub amount: f64,
    pub currency: String,
    /// Contribution date, YYYY-MM-DD.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_date: Option<String>,
    pub recipients: Vec<Recipient>,
    /// FEC memo entry: reported but not counted in totals.
    #[serde(rename = "tusk:memo")]
    pub memo: bool,
    #[serde(rename = "tusk:election")]
    pub election: String,
    #[serde(rename = "tusk:transaction_type")]
    pub transaction_type: String,
    /// The donor, once resolution has placed the donation on a person.
    #[serde(rename = "tusk:person_id", skip_serializing_if = "Option::is_none")]
    pub person_id: Option<i64>,
    pub _links: DonationLinks,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DonationLinks {
    #[serde(rename = "self")]
    pub self_: Href,
    #[serde(rename = "osdi:donor", skip_serializing_if = "Option::is_none")]
    pub donor: Option<Href>,
}

pub fn donation(d: &store::donations::DonationRow) -> Donation {
    let amount = d.amount_cents as f64 / 100.0;
    Donation {
        identifiers: vec![format!("tusk-donation:{}", d.id), d.rkey.clone()],
        amount,
        currency: "USD".into(),
        created_date: d.date.clone(),
        recipients: vec![Recipient {
            display_name: d.committee_id.clone(),
            amount,
        }],
        memo: d.memo,
        election: d.election.clone(),
        transaction_type: d.transaction_type.clone(),
        person_id: d.person_id,
        _links: DonationLinks {
            self_: Href {
                href: format!("/api/v1/donations/{}", d.id),
            },
            donor: d.person_id.map(|p| Href {
                href: format!("/api/v1/people/{p}"),
            }),
        },
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DonationsEmbedded {
    #[serde(rename = "osdi:donations")]
    pub donations: Vec<Donation>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DonationsPage {
    pub page: usize,
    pub per_page: usize,
    pub total_pages: usize,
    pub total_records: usize,
    pub _embedded: DonationsEmbedded,
    pub _links: Links,
}
