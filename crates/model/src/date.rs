//! Calendar dates in the formats the source files use.

use std::fmt;

/// A calendar date (proleptic Gregorian), validated on construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

/// Earliest and latest years accepted in any date field.
pub const YEAR_MIN: u16 = 1800;
pub const YEAR_MAX: u16 = 2200;

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

fn num(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

impl Date {
    pub fn new(year: u32, month: u32, day: u32) -> Option<Date> {
        if !(YEAR_MIN as u32..=YEAR_MAX as u32).contains(&year) || !(1..=12).contains(&month) {
            return None;
        }
        let (year, month) = (year as u16, month as u8);
        if day == 0 || day > days_in_month(year, month) as u32 {
            return None;
        }
        Some(Date {
            year,
            month,
            day: day as u8,
        })
    }

    /// Parses `MM/DD/YYYY` (also `M/D/YYYY`), `MMDDYYYY`, `YYYY-MM-DD`, `YYYYMMDD`, `MM-DD-YYYY`.
    /// A trailing time (`2024-11-05 00:00:00`) is ignored.
    pub fn parse(s: &str) -> Option<Date> {
        let s = s.trim();
        let s = s.split([' ', 'T']).next().unwrap_or("");
        if s.contains('/') || s.find('-').is_some_and(|i| i < 4) {
            let mut it = s.split(['/', '-']);
            let (m, d, y) = (num(it.next()?)?, num(it.next()?)?, it.next()?);
            if it.next().is_some() || y.len() != 4 {
                return None;
            }
            return Date::new(num(y)?, m, d);
        }
        if s.contains('-') {
            let mut it = s.split('-');
            let (y, m, d) = (it.next()?, num(it.next()?)?, num(it.next()?)?);
            if it.next().is_some() || y.len() != 4 {
                return None;
            }
            return Date::new(num(y)?, m, d);
        }
        if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
            // YYYYMMDD when it starts with a plausible year, else MMDDYYYY.
            let a = Date::new(num(&s[0..4])?, num(&s[4..6])?, num(&s[6..8])?);
            let b = Date::new(num(&s[4..8])?, num(&s[0..2])?, num(&s[2..4])?);
            return match (a, b) {
                (Some(a), None) => Some(a),
                (None, Some(b)) => Some(b),
                (Some(a), Some(_)) => Some(a),
                (None, None) => None,
            };
        }
        None
    }

    /// Parses exactly `MMDDYYYY` (FEC `TRANSACTION_DT`).
    pub fn parse_mmddyyyy(s: &str) -> Option<Date> {
        let s = s.trim();
        if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Date::new(num(&s[4..8])?, num(&s[0..2])?, num(&s[2..4])?)
    }

    /// Days since 1970-01-01.
    pub fn to_days(self) -> i64 {
        let (y, m, d) = (self.year as i64, self.month as i64, self.day as i64);
        let y = if m <= 2 { y - 1 } else { y };
        let era = if y >= 0 { y } else { y - 399 } / 400;
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146097 + doe - 719468
    }

    /// The date `days` after 1970-01-01 (civil-from-days, H. Hinnant).
    pub fn from_days(days: i64) -> Date {
        let z = days + 719468;
        let era = if z >= 0 { z } else { z - 146096 } / 146097;
        let doe = z - era * 146097;
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let y = (yoe + era * 400 + if m <= 2 { 1 } else { 0 }) as u16;
        Date {
            year: y,
            month: m,
            day: d,
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A UTC timestamp `YYYY-MM-DDTHH:MM:SSZ` from seconds since the Unix epoch.
pub fn timestamp_utc(unix_secs: i64) -> String {
    let days = unix_secs.div_euclid(86_400);
    let secs = unix_secs.rem_euclid(86_400);
    let d = Date::from_days(days);
    format!(
        "{d}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}
