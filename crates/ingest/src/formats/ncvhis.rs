//! North Carolina vote history `ncvhis`: tab-separated, one row per voter per election.

use model::{election_type, Record, Vote, VoteMethod};

use super::{req, req_date};
use crate::decode::Fields;
use crate::{Columns, Parsed, ReadError, RowParser};

pub const LAYOUT: [&str; 15] = [
    "county_id",
    "county_desc",
    "voter_reg_num",
    "election_lbl",
    "election_desc",
    "voting_method",
    "voted_party_cd",
    "voted_party_desc",
    "pct_label",
    "pct_description",
    "ncid",
    "voted_county_id",
    "voted_county_desc",
    "vtd_label",
    "vtd_description",
];

pub struct Parser {
    ncid: Option<usize>,
    election_lbl: Option<usize>,
    election_desc: Option<usize>,
    method: Option<usize>,
    party: Option<usize>,
    county_id: Option<usize>,
    pct: Option<usize>,
}

impl Parser {
    pub fn new(header: &[String]) -> Result<Parser, ReadError> {
        let cols = Columns::new(header);
        let allowed = |h: &str| LAYOUT.iter().any(|c| c.eq_ignore_ascii_case(h));
        cols.check(
            "the 15-column ncvhis layout",
            &LAYOUT,
            Some(&allowed),
            "Is this an ncvhis vote history file (tab-separated, header in the first row)?",
        )?;
        let g = |n: &str| cols.get(n);
        Ok(Parser {
            ncid: g("ncid"),
            election_lbl: g("election_lbl"),
            election_desc: g("election_desc"),
            method: g("voting_method"),
            party: g("voted_party_cd"),
            county_id: g("county_id"),
            pct: g("pct_label"),
        })
    }
}

impl RowParser for Parser {
    fn source(&self) -> String {
        "nc".into()
    }

    fn parse(&self, f: &Fields) -> Result<Vec<Parsed>, String> {
        let ncid = req("ncid", f.get(self.ncid))?;
        let date = req_date("election_lbl", f.get(self.election_lbl))?;
        let desc = f.get(self.election_desc);
        let method_raw = f.get(self.method);
        let v = Vote {
            source: "nc".into(),
            voter_id: ncid.to_string(),
            election_date: date,
            election_desc: desc.to_string(),
            election_type: election_type(desc),
            method: VoteMethod::parse(method_raw),
            method_raw: method_raw.to_string(),
            voted_party: f.get(self.party).to_string(),
            county_id: f.get(self.county_id).to_string(),
            precinct: f.get(self.pct).to_string(),
        };
        Ok(vec![Parsed {
            record: Record::Vote(v),
            raw: None,
        }])
    }
}
