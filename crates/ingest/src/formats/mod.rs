//! One module per source format.

pub mod absentee;
pub mod fec;
pub mod field;
pub mod generic;
pub mod ncvhis;
pub mod ncvoter;
pub mod ohio;
pub mod vcard;

use model::Date;

/// Earliest birth year accepted.
pub const BIRTH_YEAR_MIN: u16 = 1880;
/// Latest birth year accepted.
pub const BIRTH_YEAR_MAX: u16 = 2030;

/// An optional date field: empty is `None`, unreadable is a row error naming the column.
pub fn opt_date(column: &str, value: &str) -> Result<Option<Date>, String> {
    if value.is_empty() {
        return Ok(None);
    }
    Date::parse(value).map(Some).ok_or_else(|| {
        format!("{column} '{value}' is not a date (expected MM/DD/YYYY or YYYY-MM-DD)")
    })
}

/// A required date field.
pub fn req_date(column: &str, value: &str) -> Result<Date, String> {
    opt_date(column, value)?.ok_or_else(|| format!("{column} is empty"))
}

/// A required non-empty field.
pub fn req<'a>(column: &str, value: &'a str) -> Result<&'a str, String> {
    if value.is_empty() {
        Err(format!("{column} is empty"))
    } else {
        Ok(value)
    }
}

/// An optional birth year.
pub fn opt_year(column: &str, value: &str) -> Result<Option<u16>, String> {
    if value.is_empty() {
        return Ok(None);
    }
    match value.parse::<u16>() {
        Ok(y) if (BIRTH_YEAR_MIN..=BIRTH_YEAR_MAX).contains(&y) => Ok(Some(y)),
        _ => Err(format!(
            "{column} '{value}' is not a birth year between {BIRTH_YEAR_MIN} and {BIRTH_YEAR_MAX}"
        )),
    }
}
