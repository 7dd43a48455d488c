//! North Carolina absentee / early-vote status file (`absentee_YYYYMMDD.csv`): comma-separated,
//! Windows-1252, one row per ballot request or returned ballot (mail and one-stop).
//!
//! The column set has grown over the years: the columns below must be there; other columns
//! are accepted and kept verbatim.

use model::{Ballot, Record};

use super::{opt_date, req, req_date};
use crate::decode::Fields;
use crate::{Columns, Parsed, ReadError, RowParser};

pub const REQUIRED: [&str; 9] = [
    "county_desc",
    "ncid",
    "election_dt",
    "ballot_req_type",
    "ballot_req_dt",
    "ballot_send_dt",
    "ballot_rtn_dt",
    "ballot_rtn_status",
    "precinct_desc",
];

pub struct Parser {
    ncid: Option<usize>,
    election_dt: Option<usize>,
    req_type: Option<usize>,
    req_dt: Option<usize>,
    send_dt: Option<usize>,
    rtn_dt: Option<usize>,
    status: Option<usize>,
    county: Option<usize>,
    precinct: Option<usize>,
    site: Option<usize>,
}

impl Parser {
    pub fn new(header: &[String]) -> Result<Parser, ReadError> {
        let cols = Columns::new(header);
        cols.check(
            "an NC absentee/early-vote file",
            &REQUIRED,
            None,
            "Is this the state's absentee_YYYYMMDD.csv (comma-separated, header in the first row)?",
        )?;
        let g = |n: &str| cols.get(n);
        Ok(Parser {
            ncid: g("ncid"),
            election_dt: g("election_dt"),
            req_type: g("ballot_req_type"),
            req_dt: g("ballot_req_dt"),
            send_dt: g("ballot_send_dt"),
            rtn_dt: g("ballot_rtn_dt"),
            status: g("ballot_rtn_status"),
            county: g("county_desc"),
            precinct: g("precinct_desc"),
            site: g("site_name"),
        })
    }
}

impl RowParser for Parser {
    fn source(&self) -> String {
        "nc".into()
    }

    fn parse(&self, f: &Fields) -> Result<Vec<Parsed>, String> {
        let ncid = req("ncid", f.get(self.ncid))?;
        let status = f.get(self.status).to_ascii_uppercase();
        let b = Ballot {
            source: "nc".into(),
            voter_id: ncid.to_string(),
            election_date: req_date("election_dt", f.get(self.election_dt))?,
            request_type: req("ballot_req_type", f.get(self.req_type))?.to_ascii_uppercase(),
            request_date: opt_date("ballot_req_dt", f.get(self.req_dt))?,
            send_date: opt_date("ballot_send_dt", f.get(self.send_dt))?,
            return_date: opt_date("ballot_rtn_dt", f.get(self.rtn_dt))?,
            counted: status.starts_with("ACCEPTED"),
            return_status: status,
            county: f.get(self.county).to_string(),
            precinct: f.get(self.precinct).to_string(),
            site_name: f.get(self.site).to_string(),
        };
        Ok(vec![Parsed {
            record: Record::Ballot(b),
            raw: None,
        }])
    }
}
