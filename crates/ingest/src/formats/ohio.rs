//! Ohio county voter files: comma-separated with header, full date of birth, and one column per
//! past election (`GENERAL-11/08/2016`), non-empty meaning the voter voted (`X`, or in a
//! primary the party letter).

use model::{AddressFields, Date, NameFields, Record, Vote, VoteMethod, Voter};

use super::{opt_date, req};
use crate::decode::Fields;
use crate::{Columns, Parsed, ReadError, RowParser};

pub const CORE: [&str; 46] = [
    "SOS_VOTERID",
    "COUNTY_NUMBER",
    "COUNTY_ID",
    "LAST_NAME",
    "FIRST_NAME",
    "MIDDLE_NAME",
    "SUFFIX",
    "DATE_OF_BIRTH",
    "REGISTRATION_DATE",
    "VOTER_STATUS",
    "PARTY_AFFILIATION",
    "RESIDENTIAL_ADDRESS1",
    "RESIDENTIAL_SECONDARY_ADDR",
    "RESIDENTIAL_CITY",
    "RESIDENTIAL_STATE",
    "RESIDENTIAL_ZIP",
    "RESIDENTIAL_ZIP_PLUS4",
    "RESIDENTIAL_COUNTRY",
    "RESIDENTIAL_POSTALCODE",
    "MAILING_ADDRESS1",
    "MAILING_SECONDARY_ADDRESS",
    "MAILING_CITY",
    "MAILING_STATE",
    "MAILING_ZIP",
    "MAILING_ZIP_PLUS4",
    "MAILING_COUNTRY",
    "MAILING_POSTAL_CODE",
    "CAREER_CENTER",
    "CITY",
    "CITY_SCHOOL_DISTRICT",
    "COUNTY_COURT_DISTRICT",
    "CONGRESSIONAL_DISTRICT",
    "COURT_OF_APPEALS",
    "EDU_SERVICE_CENTER_DISTRICT",
    "EXEMPTED_VILL_SCHOOL_DISTRICT",
    "LIBRARY",
    "LOCAL_SCHOOL_DISTRICT",
    "MUNICIPAL_COURT_DISTRICT",
    "PRECINCT_NAME",
    "PRECINCT_CODE",
    "STATE_BOARD_OF_EDUCATION",
    "STATE_REPRESENTATIVE_DISTRICT",
    "STATE_SENATE_DISTRICT",
    "TOWNSHIP",
    "VILLAGE",
    "WARD",
];

pub const REQUIRED: [&str; 11] = [
    "SOS_VOTERID",
    "COUNTY_NUMBER",
    "LAST_NAME",
    "FIRST_NAME",
    "DATE_OF_BIRTH",
    "VOTER_STATUS",
    "PARTY_AFFILIATION",
    "RESIDENTIAL_ADDRESS1",
    "RESIDENTIAL_CITY",
    "RESIDENTIAL_ZIP",
    "PRECINCT_NAME",
];

/// `GENERAL-11/08/2016` -> (type, date).
pub fn history_column(h: &str) -> Option<(&'static str, Date)> {
    let (kind, date) = h.split_once('-')?;
    let t = match kind.to_ascii_uppercase().as_str() {
        "GENERAL" => "general",
        "PRIMARY" => "primary",
        "SPECIAL" => "special",
        _ => return None,
    };
    if !date.contains('/') {
        return None;
    }
    Some((t, Date::parse(date)?))
}

pub struct Parser {
    g: Vec<Option<usize>>,
    history: Vec<(usize, String, &'static str, Date)>,
}

const F: [&str; 23] = [
    "SOS_VOTERID",
    "COUNTY_NUMBER",
    "COUNTY_ID",
    "LAST_NAME",
    "FIRST_NAME",
    "MIDDLE_NAME",
    "SUFFIX",
    "DATE_OF_BIRTH",
    "REGISTRATION_DATE",
    "VOTER_STATUS",
    "PARTY_AFFILIATION",
    "RESIDENTIAL_ADDRESS1",
    "RESIDENTIAL_SECONDARY_ADDR",
    "RESIDENTIAL_CITY",
    "RESIDENTIAL_STATE",
    "RESIDENTIAL_ZIP",
    "RESIDENTIAL_ZIP_PLUS4",
    "PRECINCT_CODE",
    "PRECINCT_NAME",
    "CITY",
    "WARD",
    "CONGRESSIONAL_DISTRICT",
    "STATE_SENATE_DISTRICT",
];
const HOUSE: &str = "STATE_REPRESENTATIVE_DISTRICT";
const MAIL: [&str; 5] = [
    "MAILING_ADDRESS1",
    "MAILING_SECONDARY_ADDRESS",
    "MAILING_CITY",
    "MAILING_STATE",
    "MAILING_ZIP",
];

impl Parser {
    pub fn new(header: &[String]) -> Result<Parser, ReadError> {
        let cols = Columns::new(header);
        let allowed =
            |h: &str| CORE.iter().any(|c| c.eq_ignore_ascii_case(h)) || history_column(h).is_some();
        cols.check(
            "an Ohio voter file",
            &REQUIRED,
            Some(&allowed),
            "Election columns must look like GENERAL-11/08/2016, PRIMARY-03/15/2016 or SPECIAL-05/02/2017.",
        )?;
        let mut g: Vec<Option<usize>> = F.iter().map(|n| cols.get(n)).collect();
        g.push(cols.get(HOUSE));
        g.extend(MAIL.iter().map(|n| cols.get(n)));
        let history = header
            .iter()
            .enumerate()
            .filter_map(|(i, h)| history_column(h).map(|(t, d)| (i, h.clone(), t, d)))
            .collect();
        Ok(Parser { g, history })
    }
}

impl RowParser for Parser {
    fn source(&self) -> String {
        "oh".into()
    }

    fn voter_key(&self, f: &Fields) -> Option<String> {
        Some(f.get(self.g[0]))
            .filter(|k| !k.is_empty())
            .map(|k| format!("oh:{k}"))
    }

    fn parse(&self, f: &Fields) -> Result<Vec<Parsed>, String> {
        let v = |n: usize| f.get(self.g[n]);
        let id = req("SOS_VOTERID", v(0))?.to_string();
        let last = req("LAST_NAME", v(3))?;
        let county_id = req("COUNTY_NUMBER", v(1))?.to_string();
        let birth_date = opt_date("DATE_OF_BIRTH", v(7))?;
        let street = if v(12).is_empty() {
            v(11).to_string()
        } else {
            format!("{} {}", v(11), v(12))
        };
        let zip = format!("{}{}", v(15), v(16));
        let mail: Vec<&str> = (24..29).map(v).filter(|s| !s.is_empty()).collect();
        let voter = Voter {
            source: "oh".into(),
            voter_id: id.clone(),
            state: "OH".into(),
            county_id: county_id.clone(),
            county: county_id.clone(),
            registration_number: v(2).to_string(),
            name: NameFields::from_parts(v(4), v(5), last, v(6)),
            status: v(9).to_string(),
            status_reason: String::new(),
            address: AddressFields::parse(&street, v(13), v(14), &zip),
            mail_address: model::normalize::clean_text(&mail.join(" ")),
            phone: None,
            birth_year: birth_date.map(|d| d.year),
            birth_date,
            gender: String::new(),
            race: String::new(),
            ethnicity: String::new(),
            party: v(10).to_string(),
            registration_date: opt_date("REGISTRATION_DATE", v(8))?,
            precinct: v(17).to_string(),
            precinct_desc: v(18).to_string(),
            municipality: v(19).to_string(),
            ward: v(20).to_string(),
            congressional_district: v(21).to_string(),
            senate_district: v(22).to_string(),
            house_district: v(23).to_string(),
            confidential: false,
        };
        let mut out = Vec::with_capacity(1 + self.history.len() / 4);
        let precinct = voter.precinct.clone();
        out.push(Parsed {
            record: Record::Voter(Box::new(voter)),
            raw: None,
        });
        for (i, column, kind, date) in &self.history {
            let value = f.get(Some(*i));
            if value.is_empty() {
                continue;
            }
            let vote = Vote {
                source: "oh".into(),
                voter_id: id.clone(),
                election_date: *date,
                election_desc: column.clone(),
                election_type: kind,
                method: VoteMethod::Unknown,
                method_raw: String::new(),
                voted_party: if *kind == "primary" {
                    value.to_string()
                } else {
                    String::new()
                },
                county_id: county_id.clone(),
                precinct: precinct.clone(),
            };
            out.push(Parsed {
                record: Record::Vote(vote),
                raw: Some(model::join_fields([column.as_str(), value])),
            });
        }
        Ok(out)
    }
}
