//! The record the engine compares: normalised once, compared many times.

use model::normalize;
use model::Date;

/// A person record as it comes from a file, before normalisation. Empty means unknown.
#[derive(Debug, Clone, Default)]
pub struct RawPerson {
    pub first: String,
    pub middle: String,
    pub last: String,
    pub suffix: String,
    pub sex: String,
    /// A full date in any of the formats `model::Date::parse` reads.
    pub dob: String,
    pub birth_year: String,
    /// Street line; with `street_number` given separately, the two are joined.
    pub street: String,
    pub street_number: String,
    pub unit: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub phone: String,
    pub email: String,
}

/// A normalised record.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    pub id: String,
    pub first: String,
    pub middle: String,
    pub last: String,
    pub suffix: String,
    pub sex: String,
    pub dob: Option<Date>,
    pub birth_year: Option<u16>,
    pub house_number: String,
    /// Street without the house number or unit, USPS-normalised (`N MAIN ST`).
    pub street: String,
    pub city: String,
    pub state: String,
    pub zip5: String,
    pub phone: String,
    pub email: String,
    /// Nickname groups of `first` (ROBERT for BOB).
    pub first_groups: Vec<String>,
    /// Soundex of `last` (blocking key).
    pub last_soundex: String,
}

/// American Soundex (letter + three digits), "" for a name without letters.
pub fn soundex(name: &str) -> String {
    fn code(c: u8) -> u8 {
        match c {
            b'B' | b'F' | b'P' | b'V' => b'1',
            b'C' | b'G' | b'J' | b'K' | b'Q' | b'S' | b'X' | b'Z' => b'2',
            b'D' | b'T' => b'3',
            b'L' => b'4',
            b'M' | b'N' => b'5',
            b'R' => b'6',
            b'H' | b'W' => b'h',
            _ => b'0',
        }
    }
    let letters: Vec<u8> = name
        .bytes()
        .filter(u8::is_ascii_alphabetic)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let Some(&first) = letters.first() else {
        return String::new();
    };
    let mut out = vec![first];
    let mut last = code(first);
    for &c in &letters[1..] {
        let d = code(c);
        if d == b'h' {
            continue; // H and W do not separate equal codes
        }
        if d != b'0' && d != last {
            out.push(d);
            if out.len() == 4 {
                break;
            }
        }
        last = d;
    }
    while out.len() < 4 {
        out.push(b'0');
    }
    String::from_utf8(out).unwrap_or_default()
}

impl Record {
    pub fn new(id: impl Into<String>, raw: &RawPerson) -> Record {
        let first = normalize::name(&raw.first);
        let mut last = normalize::name(&raw.last);
        let mut suffix = normalize::suffix(&raw.suffix)
            .unwrap_or_default()
            .to_string();
        if suffix.is_empty() {
            if let Some((head, tail)) = last.rsplit_once(' ') {
                if let Some(s) = normalize::suffix(tail) {
                    suffix = s.to_string();
                    last = head.to_string();
                }
            }
        }
        let dob = Date::parse(&raw.dob);
        let birth_year = dob.map(|d| d.year).or_else(|| {
            raw.birth_year
                .trim()
                .parse::<u16>()
                .ok()
                .filter(|y| (1880..=2030).contains(y))
        });
        let line = if raw.street_number.trim().is_empty() {
            raw.street.clone()
        } else {
            format!("{} {}", raw.street_number.trim(), raw.street)
        };
        // The same address normalisation as ingest (`model::AddressFields`); postcodes that are
        // not US zips (FEBRL's four digits) are kept as their digits.
        let a = model::AddressFields::parse(&line, &raw.city, &raw.state, &raw.zip);
        let zip5 = a.zip5.clone().unwrap_or_else(|| {
            raw.zip
                .trim()
                .chars()
                .filter(|c| c.is_ascii_digit())
                .collect()
        });
        let sex = match normalize::clean_text(&raw.sex).as_str() {
            "F" | "FEMALE" | "W" => "F",
            "M" | "MALE" => "M",
            _ => "",
        }
        .to_string();
        let first_groups = if first.is_empty() {
            Vec::new()
        } else {
            normalize::nickname_groups(&first)
        };
        Record {
            id: id.into(),
            last_soundex: soundex(&last),
            first,
            middle: normalize::name(&raw.middle),
            last,
            suffix,
            sex,
            dob,
            birth_year,
            house_number: a.house_number,
            street: a.street,
            city: a.city,
            state: a.state,
            zip5,
            phone: normalize::phone(&raw.phone).unwrap_or_default(),
            email: normalize::email(&raw.email).unwrap_or_default(),
            first_groups,
        }
    }
}
