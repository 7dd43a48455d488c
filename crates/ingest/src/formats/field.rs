//! Field results: a canvass export (door knocks and calls with a result and, when the voter
//! was reached, a support ID) and a randomised persuasion experiment (each subject's group and
//! the support ID measured after). Comma-separated, UTF-8, header in the first row; other
//! columns are kept verbatim.
//!
//! Support IDs are the field's 1 (strong support) … 5 (strong oppose) scale.

use model::{FieldResult, Record};

use super::{opt_date, req};
use crate::decode::Fields;
use crate::ReadError;
use crate::{Columns, Parsed, RowParser};

pub const CANVASS_REQUIRED: [&str; 5] = ["result_id", "ncid", "date", "result", "support_id"];
pub const EXPERIMENT_REQUIRED: [&str; 4] = ["row_id", "ncid", "group", "support_after"];

/// Lowest and highest support ID on the field's scale.
pub const SUPPORT_ID_MIN: u8 = 1;
pub const SUPPORT_ID_MAX: u8 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Canvass,
    Experiment,
}

pub struct Parser {
    which: Which,
    id: Option<usize>,
    ncid: Option<usize>,
    date: Option<usize>,
    contact_type: Option<usize>,
    result: Option<usize>,
    support: Option<usize>,
    canvasser: Option<usize>,
}

impl Parser {
    pub fn new(which: Which, header: &[String]) -> Result<Parser, ReadError> {
        let cols = Columns::new(header);
        let g = |n: &str| cols.get(n);
        match which {
            Which::Canvass => {
                cols.check(
                    "a canvass results file",
                    &CANVASS_REQUIRED,
                    None,
                    "Expected a comma-separated export with result_id, ncid, date, result and \
                     support_id columns (contact_type and canvasser are optional).",
                )?;
                Ok(Parser {
                    which,
                    id: g("result_id"),
                    ncid: g("ncid"),
                    date: g("date"),
                    contact_type: g("contact_type"),
                    result: g("result"),
                    support: g("support_id"),
                    canvasser: g("canvasser"),
                })
            }
            Which::Experiment => {
                cols.check(
                    "a persuasion experiment file",
                    &EXPERIMENT_REQUIRED,
                    None,
                    "Expected a comma-separated file with row_id, ncid, group (treatment or \
                     control), support_after (and optionally contacted_on).",
                )?;
                Ok(Parser {
                    which,
                    id: g("row_id"),
                    ncid: g("ncid"),
                    date: g("contacted_on"),
                    contact_type: None,
                    result: g("group"),
                    support: g("support_after"),
                    canvasser: None,
                })
            }
        }
    }
}

fn support_id(column: &str, value: &str) -> Result<Option<u8>, String> {
    if value.is_empty() {
        return Ok(None);
    }
    match value.parse::<u8>() {
        Ok(v) if (SUPPORT_ID_MIN..=SUPPORT_ID_MAX).contains(&v) => Ok(Some(v)),
        _ => Err(format!(
            "{column} '{value}' is not a support ID from {SUPPORT_ID_MIN} (strong support) to \
             {SUPPORT_ID_MAX} (strong oppose)"
        )),
    }
}

impl RowParser for Parser {
    fn source(&self) -> String {
        match self.which {
            Which::Canvass => "canvass".into(),
            Which::Experiment => "experiment".into(),
        }
    }

    fn parse(&self, f: &Fields) -> Result<Vec<Parsed>, String> {
        let (id_col, support_col) = match self.which {
            Which::Canvass => ("result_id", "support_id"),
            Which::Experiment => ("row_id", "support_after"),
        };
        let result_id = req(id_col, f.get(self.id))?.to_string();
        let voter_id = req("ncid", f.get(self.ncid))?.to_string();
        let date_col = match self.which {
            Which::Canvass => "date",
            Which::Experiment => "contacted_on",
        };
        let date = opt_date(date_col, f.get(self.date))?;
        let support = support_id(support_col, f.get(self.support))?;
        let result = f.get(self.result).trim().to_string();
        let r = match self.which {
            Which::Canvass => {
                let result = req("result", &result)?.to_string();
                if support.is_some() && !result.eq_ignore_ascii_case("contacted") {
                    return Err(format!(
                        "support_id is given but result is '{result}': only a Contacted result \
                         carries a support ID"
                    ));
                }
                FieldResult {
                    source: "canvass".into(),
                    result_id,
                    voter_source: "nc".into(),
                    voter_id,
                    date,
                    contact_type: f.get(self.contact_type).trim().to_ascii_lowercase(),
                    result,
                    support_id: support,
                    experiment_group: String::new(),
                    canvasser: f.get(self.canvasser).trim().to_string(),
                }
            }
            Which::Experiment => {
                let group = result.to_ascii_lowercase();
                if group != "treatment" && group != "control" {
                    return Err(format!(
                        "group '{result}' is neither 'treatment' nor 'control'"
                    ));
                }
                FieldResult {
                    source: "experiment".into(),
                    result_id,
                    voter_source: "nc".into(),
                    voter_id,
                    date,
                    contact_type: String::new(),
                    result: group.clone(),
                    support_id: support,
                    experiment_group: group,
                    canvasser: String::new(),
                }
            }
        };
        Ok(vec![Parsed {
            record: Record::FieldResult(Box::new(r)),
            raw: None,
        }])
    }
}
