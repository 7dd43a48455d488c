//! Comparison levels per field. Level 0 is "no information" (a side is empty: weight 0),
//! level 1 is "disagree", higher levels agree more. `LEVEL_NAMES` names them for `explain`.

use crate::record::Record;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    FirstName,
    LastName,
    BirthDate,
    Address,
    City,
    Zip,
    Phone,
    Email,
}

pub const FIELDS: [Field; 8] = [
    Field::FirstName,
    Field::LastName,
    Field::BirthDate,
    Field::Address,
    Field::City,
    Field::Zip,
    Field::Phone,
    Field::Email,
];

/// Most levels any field has.
pub const LEVELS_MAX: usize = 6;

impl Field {
    pub fn name(self) -> &'static str {
        match self {
            Field::FirstName => "first name",
            Field::LastName => "last name",
            Field::BirthDate => "birth date",
            Field::Address => "address",
            Field::City => "city",
            Field::Zip => "zip",
            Field::Phone => "phone",
            Field::Email => "email",
        }
    }

    /// Level names, by level.
    pub fn levels(self) -> &'static [&'static str] {
        match self {
            Field::FirstName => &[
                "missing",
                "different",
                "initial",
                "similar (JW ≥ 0.88)",
                "nickname or close (JW ≥ 0.94)",
                "exact",
            ],
            Field::LastName => &[
                "missing",
                "different",
                "similar (JW ≥ 0.88)",
                "close (JW ≥ 0.94)",
                "exact",
            ],
            Field::BirthDate => &[
                "missing",
                "different",
                "same year",
                "one digit off or day/month swapped",
                "exact",
            ],
            Field::Address => &[
                "missing",
                "different",
                "same street, other number",
                "same number, similar street",
                "exact",
            ],
            Field::City => &["missing", "different", "exact"],
            Field::Zip => &["missing", "different", "same first 3 digits", "exact"],
            Field::Phone => &["missing", "different", "exact"],
            Field::Email => &["missing", "different", "same user, other domain", "exact"],
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// Thresholds (Jaro–Winkler similarity) for the name levels.
pub const JW_CLOSE: f64 = 0.94;
pub const JW_SIMILAR: f64 = 0.88;

/// A comparison vector: one level per field, in `FIELDS` order.
pub type Pattern = [u8; 8];

fn first_name(a: &Record, b: &Record) -> u8 {
    let (x, y) = (a.first.as_str(), b.first.as_str());
    if x.is_empty() || y.is_empty() {
        return 0;
    }
    if x == y {
        return 5;
    }
    if a.first_groups.iter().any(|g| b.first_groups.contains(g)) {
        return 4;
    }
    if (x.len() == 1 || y.len() == 1) && x.as_bytes()[0] == y.as_bytes()[0] {
        return 2;
    }
    let s = jaro_winkler(x, y);
    if s >= JW_CLOSE {
        4
    } else if s >= JW_SIMILAR {
        3
    } else {
        1
    }
}

fn last_name(x: &str, y: &str) -> u8 {
    if x.is_empty() || y.is_empty() {
        return 0;
    }
    if x == y {
        return 4;
    }
    let s = jaro_winkler(x, y);
    if s >= JW_CLOSE {
        3
    } else if s >= JW_SIMILAR {
        2
    } else {
        1
    }
}

fn digits_one_off(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).filter(|(x, y)| x != y).count() == 1
}

fn birth_date(a: &Record, b: &Record) -> u8 {
    match (a.dob, b.dob) {
        (Some(x), Some(y)) => {
            if x == y {
                4
            } else if (x.year == y.year && x.month == y.day && x.day == y.month)
                || digits_one_off(&x.to_string(), &y.to_string())
            {
                3
            } else if x.year == y.year {
                2
            } else {
                1
            }
        }
        _ => match (a.birth_year, b.birth_year) {
            (Some(x), Some(y)) if x == y => 2,
            (Some(_), Some(_)) => 1,
            _ => 0,
        },
    }
}

fn address(a: &Record, b: &Record) -> u8 {
    if a.street.is_empty() || b.street.is_empty() {
        return 0;
    }
    let same_number = !a.house_number.is_empty() && a.house_number == b.house_number;
    if a.street == b.street {
        return if same_number { 4 } else { 2 };
    }
    if same_number && jaro_winkler(&a.street, &b.street) >= 0.85 {
        return 3;
    }
    1
}

fn exact(x: &str, y: &str) -> u8 {
    match (x.is_empty() || y.is_empty(), x == y) {
        (true, _) => 0,
        (false, true) => 2,
        (false, false) => 1,
    }
}

fn zip(x: &str, y: &str) -> u8 {
    if x.is_empty() || y.is_empty() {
        0
    } else if x == y {
        3
    } else if x.len() >= 3 && y.len() >= 3 && x[..3] == y[..3] {
        2
    } else {
        1
    }
}

fn email(x: &str, y: &str) -> u8 {
    if x.is_empty() || y.is_empty() {
        return 0;
    }
    if x == y {
        return 3;
    }
    match (x.split_once('@'), y.split_once('@')) {
        (Some((u, _)), Some((v, _))) if u == v && u.len() >= 4 => 2,
        _ => 1,
    }
}

/// Compares two records field by field. First and last names given the other way round
/// (first in the last-name field) count as exact when both match crossed.
pub fn compare(a: &Record, b: &Record) -> Pattern {
    let mut first = first_name(a, b);
    let mut last = last_name(&a.last, &b.last);
    if first < 4
        && last < 3
        && !a.first.is_empty()
        && !a.last.is_empty()
        && !b.first.is_empty()
        && !b.last.is_empty()
    {
        // Given the other way round: compare crossed, and keep the crossed levels when both
        // are at least close.
        let cf = jaro_winkler(&a.first, &b.last);
        let cl = jaro_winkler(&a.last, &b.first);
        if a.first == b.last && a.last == b.first {
            first = 5;
            last = 4;
        } else if cf >= JW_CLOSE && cl >= JW_CLOSE {
            first = 4;
            last = 3;
        }
    }
    [
        first,
        last,
        birth_date(a, b),
        address(a, b),
        exact(&a.city, &b.city),
        zip(&a.zip5, &b.zip5),
        exact(&a.phone, &b.phone),
        email(&a.email, &b.email),
    ]
}

/// Longest string the stack-only Jaro–Winkler takes; longer or non-ASCII go to `strsim`.
const JW_FAST_BYTES_MAX: usize = 64;

/// Jaro–Winkler similarity, the same numbers as `strsim::jaro_winkler` (integer halving of
/// transpositions, prefix bonus only above 0.7), without allocating for ASCII strings up to
/// `JW_FAST_BYTES_MAX` bytes: normalised names and streets always are. The hot loop of linking.
pub fn jaro_winkler(a: &str, b: &str) -> f64 {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    if !a.is_ascii() || !b.is_ascii() || x.len() > JW_FAST_BYTES_MAX || y.len() > JW_FAST_BYTES_MAX
    {
        return strsim::jaro_winkler(a, b);
    }
    if x.is_empty() && y.is_empty() {
        return 1.0;
    }
    if x.is_empty() || y.is_empty() {
        return 0.0;
    }
    let range = (x.len().max(y.len()) / 2).saturating_sub(1);
    let mut xf = [false; JW_FAST_BYTES_MAX];
    let mut yf = [false; JW_FAST_BYTES_MAX];
    let mut matches = 0usize;
    for (i, &c) in x.iter().enumerate() {
        let lo = i.saturating_sub(range);
        let hi = (i + range + 1).min(y.len());
        for j in lo..hi {
            if !yf[j] && y[j] == c {
                xf[i] = true;
                yf[j] = true;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut t = 0usize;
    let mut k = 0usize;
    for (i, &c) in x.iter().enumerate() {
        if xf[i] {
            while !yf[k] {
                k += 1;
            }
            if c != y[k] {
                t += 1;
            }
            k += 1;
        }
    }
    let t = t / 2;
    let m = matches as f64;
    let jaro = (m / x.len() as f64 + m / y.len() as f64 + (matches - t) as f64 / m) / 3.0;
    if jaro > 0.7 {
        let prefix = x.iter().zip(y).take(4).take_while(|(p, q)| p == q).count();
        jaro + 0.1 * prefix as f64 * (1.0 - jaro)
    } else {
        jaro
    }
}
