//! FEC individual contributions `itcont.txt`: pipe-separated, no header, 21 fields.

use model::{normalize, Date, Donation, NameFields, Record};

use super::req;
use crate::decode::Fields;
use crate::{Parsed, RowParser};

pub const FIELDS: usize = 21;

pub const COLUMNS: [&str; FIELDS] = [
    "CMTE_ID",
    "AMNDT_IND",
    "RPT_TP",
    "TRANSACTION_PGI",
    "IMAGE_NUM",
    "TRANSACTION_TP",
    "ENTITY_TP",
    "NAME",
    "CITY",
    "STATE",
    "ZIP_CODE",
    "EMPLOYER",
    "OCCUPATION",
    "TRANSACTION_DT",
    "TRANSACTION_AMT",
    "OTHER_ID",
    "TRAN_ID",
    "FILE_NUM",
    "MEMO_CD",
    "MEMO_TEXT",
    "SUB_ID",
];

/// Largest absolute amount accepted, in cents ($100 M): anything larger is a broken row.
pub const AMOUNT_CENTS_MAX: i64 = 10_000_000_000;

/// Parses a decimal dollar amount (`250`, `250.5`, `-1000.00`) into cents, exactly.
pub fn amount_cents(s: &str) -> Option<i64> {
    let s = s.trim();
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 2
        || int.len() > 12
    {
        return None;
    }
    let whole: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let cents: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    let v = whole.checked_mul(100)?.checked_add(cents)?;
    if v > AMOUNT_CENTS_MAX {
        return None;
    }
    Some(if neg { -v } else { v })
}

pub struct Parser;

impl RowParser for Parser {
    fn source(&self) -> String {
        "fec".into()
    }

    fn parse(&self, f: &Fields) -> Result<Vec<Parsed>, String> {
        let g = |i: usize| f.get(Some(i));
        let sub_id = req("SUB_ID", g(20))?;
        if !sub_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("SUB_ID '{sub_id}' is not a number"));
        }
        let amount = amount_cents(g(14))
            .ok_or_else(|| format!("TRANSACTION_AMT '{}' is not an amount in dollars", g(14)))?;
        let date = match g(13) {
            "" => None,
            s => Some(
                Date::parse_mmddyyyy(s)
                    .ok_or_else(|| format!("TRANSACTION_DT '{s}' is not a date (MMDDYYYY)"))?,
            ),
        };
        let (zip5, zip4) = normalize::zip(g(10));
        let d = Donation {
            source: String::new(),
            sub_id: sub_id.to_string(),
            committee_id: g(0).to_string(),
            amendment: g(1).to_string(),
            report_type: g(2).to_string(),
            election: g(3).to_string(),
            image_num: g(4).to_string(),
            transaction_type: g(5).to_string(),
            entity_type: g(6).to_string(),
            name: NameFields::from_parsed(normalize::parse_full_name(g(7))),
            city: normalize::name(g(8)),
            state: normalize::clean_text(g(9)),
            zip5,
            zip4,
            employer: normalize::clean_text(g(11)),
            occupation: normalize::clean_text(g(12)),
            date,
            amount_cents: amount,
            other_id: g(15).to_string(),
            tran_id: g(16).to_string(),
            file_num: g(17).to_string(),
            memo: g(18).eq_ignore_ascii_case("X"),
            memo_text: g(19).to_string(),
        };
        Ok(vec![Parsed {
            record: Record::Donation(Box::new(d)),
            raw: None,
        }])
    }
}
