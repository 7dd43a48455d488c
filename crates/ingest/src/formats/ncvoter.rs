//! North Carolina voter file `ncvoter`: tab-separated, quoted, Windows-1252, header by name.
//! Two layouts: the current 67 columns and the 2020 71-column one.

use model::{AddressFields, NameFields, Record, Voter};

use super::{opt_date, opt_year, req};
use crate::decode::Fields;
use crate::{Columns, Parsed, ReadError, RowParser};

pub const LAYOUT_67: [&str; 67] = [
    "county_id",
    "county_desc",
    "voter_reg_num",
    "ncid",
    "last_name",
    "first_name",
    "middle_name",
    "name_suffix_lbl",
    "status_cd",
    "voter_status_desc",
    "reason_cd",
    "voter_status_reason_desc",
    "res_street_address",
    "res_city_desc",
    "state_cd",
    "zip_code",
    "mail_addr1",
    "mail_addr2",
    "mail_addr3",
    "mail_addr4",
    "mail_city",
    "mail_state",
    "mail_zipcode",
    "full_phone_number",
    "confidential_ind",
    "registr_dt",
    "race_code",
    "ethnic_code",
    "party_cd",
    "gender_code",
    "birth_year",
    "age_at_year_end",
    "birth_state",
    "drivers_lic",
    "precinct_abbrv",
    "precinct_desc",
    "municipality_abbrv",
    "municipality_desc",
    "ward_abbrv",
    "ward_desc",
    "cong_dist_abbrv",
    "super_court_abbrv",
    "judic_dist_abbrv",
    "nc_senate_abbrv",
    "nc_house_abbrv",
    "county_commiss_abbrv",
    "county_commiss_desc",
    "township_abbrv",
    "township_desc",
    "school_dist_abbrv",
    "school_dist_desc",
    "fire_dist_abbrv",
    "fire_dist_desc",
    "water_dist_abbrv",
    "water_dist_desc",
    "sewer_dist_abbrv",
    "sewer_dist_desc",
    "sanit_dist_abbrv",
    "sanit_dist_desc",
    "rescue_dist_abbrv",
    "rescue_dist_desc",
    "munic_dist_abbrv",
    "munic_dist_desc",
    "dist_1_abbrv",
    "dist_1_desc",
    "vtd_abbrv",
    "vtd_desc",
];

pub const LAYOUT_71: [&str; 71] = [
    "county_id",
    "county_desc",
    "voter_reg_num",
    "status_cd",
    "voter_status_desc",
    "reason_cd",
    "voter_status_reason_desc",
    "absent_ind",
    "name_prefx_cd",
    "last_name",
    "first_name",
    "middle_name",
    "name_suffix_lbl",
    "res_street_address",
    "res_city_desc",
    "state_cd",
    "zip_code",
    "mail_addr1",
    "mail_addr2",
    "mail_addr3",
    "mail_addr4",
    "mail_city",
    "mail_state",
    "mail_zipcode",
    "full_phone_number",
    "race_code",
    "ethnic_code",
    "party_cd",
    "gender_code",
    "birth_age",
    "birth_state",
    "drivers_lic",
    "registr_dt",
    "precinct_abbrv",
    "precinct_desc",
    "municipality_abbrv",
    "municipality_desc",
    "ward_abbrv",
    "ward_desc",
    "cong_dist_abbrv",
    "super_court_abbrv",
    "judic_dist_abbrv",
    "nc_senate_abbrv",
    "nc_house_abbrv",
    "county_commiss_abbrv",
    "county_commiss_desc",
    "township_abbrv",
    "township_desc",
    "school_dist_abbrv",
    "school_dist_desc",
    "fire_dist_abbrv",
    "fire_dist_desc",
    "water_dist_abbrv",
    "water_dist_desc",
    "sewer_dist_abbrv",
    "sewer_dist_desc",
    "sanit_dist_abbrv",
    "sanit_dist_desc",
    "rescue_dist_abbrv",
    "rescue_dist_desc",
    "munic_dist_abbrv",
    "munic_dist_desc",
    "dist_1_abbrv",
    "dist_1_desc",
    "dist_2_abbrv",
    "dist_2_desc",
    "confidential_ind",
    "birth_year",
    "ncid",
    "vtd_abbrv",
    "vtd_desc",
];

struct Idx {
    county_id: Option<usize>,
    county_desc: Option<usize>,
    voter_reg_num: Option<usize>,
    ncid: Option<usize>,
    last: Option<usize>,
    first: Option<usize>,
    middle: Option<usize>,
    suffix: Option<usize>,
    status: Option<usize>,
    reason: Option<usize>,
    street: Option<usize>,
    city: Option<usize>,
    state: Option<usize>,
    zip: Option<usize>,
    mail: [Option<usize>; 7],
    phone: Option<usize>,
    confidential: Option<usize>,
    registr_dt: Option<usize>,
    race: Option<usize>,
    ethnic: Option<usize>,
    party: Option<usize>,
    gender: Option<usize>,
    birth_year: Option<usize>,
    precinct: Option<usize>,
    precinct_desc: Option<usize>,
    municipality: Option<usize>,
    ward: Option<usize>,
    cong: Option<usize>,
    senate: Option<usize>,
    house: Option<usize>,
}

pub struct Parser {
    i: Idx,
}

impl Parser {
    pub fn new(header: &[String]) -> Result<Parser, ReadError> {
        let cols = Columns::new(header);
        let lower: Vec<String> = header.iter().map(|h| h.to_ascii_lowercase()).collect();
        let is = |layout: &[&str]| {
            lower.len() == layout.len() && layout.iter().all(|c| lower.iter().any(|h| h == c))
        };
        if !is(&LAYOUT_67) && !is(&LAYOUT_71) {
            // Report against the closer layout.
            let diff = |layout: &[&str]| {
                layout
                    .iter()
                    .filter(|c| !lower.iter().any(|h| h == *c))
                    .count()
                    + lower
                        .iter()
                        .filter(|h| !layout.contains(&h.as_str()))
                        .count()
            };
            let (layout, name): (&[&str], &str) = if diff(&LAYOUT_71) < diff(&LAYOUT_67) {
                (&LAYOUT_71, "the 2020 71-column ncvoter layout")
            } else {
                (&LAYOUT_67, "the current 67-column ncvoter layout")
            };
            let allowed = |h: &str| layout.iter().any(|c| c.eq_ignore_ascii_case(h));
            cols.check(
                name,
                layout,
                Some(&allowed),
                "Is this an ncvoter file (tab-separated, header in the first row)? For other layouts use `tusk import csv --mapping FILE`.",
            )?;
            // Same columns but a duplicated name: check() reported it; anything else is a bug.
            return Err(ReadError::Header(format!("the header is not {name}")));
        }
        let g = |n: &str| cols.get(n);
        Ok(Parser {
            i: Idx {
                county_id: g("county_id"),
                county_desc: g("county_desc"),
                voter_reg_num: g("voter_reg_num"),
                ncid: g("ncid"),
                last: g("last_name"),
                first: g("first_name"),
                middle: g("middle_name"),
                suffix: g("name_suffix_lbl"),
                status: g("status_cd"),
                reason: g("voter_status_reason_desc"),
                street: g("res_street_address"),
                city: g("res_city_desc"),
                state: g("state_cd"),
                zip: g("zip_code"),
                mail: [
                    g("mail_addr1"),
                    g("mail_addr2"),
                    g("mail_addr3"),
                    g("mail_addr4"),
                    g("mail_city"),
                    g("mail_state"),
                    g("mail_zipcode"),
                ],
                phone: g("full_phone_number"),
                confidential: g("confidential_ind"),
                registr_dt: g("registr_dt"),
                race: g("race_code"),
                ethnic: g("ethnic_code"),
                party: g("party_cd"),
                gender: g("gender_code"),
                birth_year: g("birth_year"),
                precinct: g("precinct_abbrv"),
                precinct_desc: g("precinct_desc"),
                municipality: g("municipality_abbrv"),
                ward: g("ward_abbrv"),
                cong: g("cong_dist_abbrv"),
                senate: g("nc_senate_abbrv"),
                house: g("nc_house_abbrv"),
            },
        })
    }
}

impl RowParser for Parser {
    fn source(&self) -> String {
        "nc".into()
    }

    fn voter_key(&self, f: &Fields) -> Option<String> {
        Some(f.get(self.i.ncid))
            .filter(|k| !k.is_empty())
            .map(|k| format!("nc:{k}"))
    }

    fn parse(&self, f: &Fields) -> Result<Vec<Parsed>, String> {
        let i = &self.i;
        let ncid = req("ncid", f.get(i.ncid))?;
        let last = req("last_name", f.get(i.last))?;
        let county_id = req("county_id", f.get(i.county_id))?;
        let mail: Vec<&str> = i
            .mail
            .iter()
            .map(|c| f.get(*c))
            .filter(|s| !s.is_empty())
            .collect();
        let v = Voter {
            source: "nc".into(),
            voter_id: ncid.to_string(),
            state: "NC".into(),
            county_id: county_id.to_string(),
            county: f.get(i.county_desc).to_string(),
            registration_number: f.get(i.voter_reg_num).to_string(),
            name: NameFields::from_parts(f.get(i.first), f.get(i.middle), last, f.get(i.suffix)),
            status: f.get(i.status).to_string(),
            status_reason: f.get(i.reason).to_string(),
            address: AddressFields::parse(
                f.get(i.street),
                f.get(i.city),
                f.get(i.state),
                f.get(i.zip),
            ),
            mail_address: model::normalize::clean_text(&mail.join(" ")),
            phone: model::normalize::phone(f.get(i.phone)),
            birth_year: opt_year("birth_year", f.get(i.birth_year))?,
            birth_date: None,
            gender: f.get(i.gender).to_string(),
            race: f.get(i.race).to_string(),
            ethnicity: f.get(i.ethnic).to_string(),
            party: f.get(i.party).to_string(),
            registration_date: opt_date("registr_dt", f.get(i.registr_dt))?,
            precinct: f.get(i.precinct).to_string(),
            precinct_desc: f.get(i.precinct_desc).to_string(),
            municipality: f.get(i.municipality).to_string(),
            ward: f.get(i.ward).to_string(),
            congressional_district: f.get(i.cong).to_string(),
            senate_district: f.get(i.senate).to_string(),
            house_district: f.get(i.house).to_string(),
            confidential: f.get(i.confidential).eq_ignore_ascii_case("Y"),
        };
        Ok(vec![Parsed {
            record: Record::Voter(Box::new(v)),
            raw: None,
        }])
    }
}
