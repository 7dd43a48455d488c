//! Normalisation shared by ingest and (later) identity resolution.
//!
//! Every function here is pure and idempotent: normalising an already normalised value returns
//! it unchanged (property-tested in `tests/it/normalize.rs`).

use std::collections::HashMap;
use std::sync::OnceLock;

/// Upper-cases, keeps letters, digits, spaces and hyphens, drops apostrophes and periods
/// (O'BRIEN -> OBRIEN, ST. -> ST), turns every other character into a space and collapses runs
/// of spaces. Accented Latin letters are folded to ASCII (JOSÉ -> JOSE).
pub fn clean_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for ch in s.chars() {
        let c = fold_char(ch);
        match c {
            Some(c) if c.is_ascii_alphanumeric() || c == '-' || c == '/' || c == '#' => {
                if pending_space && !out.is_empty() {
                    out.push(' ');
                }
                pending_space = false;
                out.push(c.to_ascii_uppercase());
            }
            Some('\'') | Some('.') | Some('`') => {}
            _ => pending_space = true,
        }
    }
    // A hyphen or slash alone or at the edges carries nothing.
    let trimmed = out.trim_matches(|c| c == '-' || c == '/' || c == ' ');
    if trimmed.len() != out.len() {
        out = trimmed.to_string();
    }
    out
}

fn fold_char(ch: char) -> Option<char> {
    if ch.is_ascii() {
        return Some(ch);
    }
    Some(match ch {
        'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' | 'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'A',
        'Ç' | 'ç' => 'C',
        'È' | 'É' | 'Ê' | 'Ë' | 'è' | 'é' | 'ê' | 'ë' => 'E',
        'Ì' | 'Í' | 'Î' | 'Ï' | 'ì' | 'í' | 'î' | 'ï' => 'I',
        'Ñ' | 'ñ' => 'N',
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' | 'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => 'O',
        'Ù' | 'Ú' | 'Û' | 'Ü' | 'ù' | 'ú' | 'û' | 'ü' => 'U',
        'Ý' | 'ý' | 'ÿ' | 'Ÿ' => 'Y',
        'Š' | 'š' => 'S',
        'Ž' | 'ž' => 'Z',
        '’' | '‘' => '\'',
        _ => return None,
    })
}

/// Generational suffixes recognised on names, in their normal form.
pub const NAME_SUFFIXES: &[&str] = &["JR", "SR", "II", "III", "IV", "V", "VI"];

/// Titles dropped from free-text names ("DR JANE DOE").
const NAME_TITLES: &[&str] = &["MR", "MRS", "MS", "MISS", "DR", "REV", "HON", "PROF", "SIR"];

/// Normalises a name part: `clean_text`, then hyphens become spaces ("SMITH-JONES" keeps both
/// parts as "SMITH JONES").
pub fn name(s: &str) -> String {
    let c = clean_text(s);
    if !c.contains(['-', '/', '#']) {
        return c;
    }
    clean_text(&c.replace(['-', '/', '#'], " "))
}

/// Normalises a generational suffix ("Jr." -> "JR", "3RD" -> "III"); `None` if not a suffix.
pub fn suffix(s: &str) -> Option<&'static str> {
    let c = name(s);
    let n = match c.as_str() {
        "JR" | "JUNIOR" => "JR",
        "SR" | "SENIOR" => "SR",
        "II" | "2ND" => "II",
        "III" | "3RD" => "III",
        "IV" | "4TH" => "IV",
        "V" | "5TH" => "V",
        "VI" | "6TH" => "VI",
        _ => return None,
    };
    Some(n)
}

/// A person's name split into normalised parts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonName {
    pub first: String,
    pub middle: String,
    pub last: String,
    pub suffix: String,
}

/// Parses an FEC-style name, `LAST, FIRST MIDDLE SUFFIX` (titles such as MR or DR dropped); a
/// name without a comma is read as `FIRST [MIDDLE] LAST [SUFFIX]`, and a single word as a
/// first name.
pub fn parse_full_name(s: &str) -> PersonName {
    let mut out = PersonName::default();
    if let Some((last, rest)) = s.split_once(',') {
        let mut last_words: Vec<String> = name(last).split(' ').map(str::to_string).collect();
        if last_words.len() > 1 {
            if let Some(sfx) = last_words.last().and_then(|w| suffix(w)) {
                out.suffix = sfx.to_string();
                last_words.pop();
            }
        }
        out.last = last_words.join(" ");
        let words: Vec<String> = name(rest)
            .split(' ')
            .filter(|w| !w.is_empty() && !NAME_TITLES.contains(w))
            .map(str::to_string)
            .collect();
        let mut words: Vec<String> = words
            .into_iter()
            .filter(|w| {
                if let Some(sfx) = suffix(w) {
                    if out.suffix.is_empty() {
                        out.suffix = sfx.to_string();
                    }
                    false
                } else {
                    true
                }
            })
            .collect();
        if !words.is_empty() {
            out.first = words.remove(0);
        }
        out.middle = words.join(" ");
    } else {
        let mut words: Vec<String> = name(s)
            .split(' ')
            .filter(|w| !w.is_empty() && !NAME_TITLES.contains(w))
            .map(str::to_string)
            .collect();
        if words.len() > 1 {
            if let Some(sfx) = words.last().and_then(|w| suffix(w)) {
                out.suffix = sfx.to_string();
                words.pop();
            }
        }
        match words.len() {
            0 => {}
            // One word without a comma is a given name ("Jim" in a contact list).
            1 => out.first = words.remove(0),
            _ => {
                out.first = words.remove(0);
                out.last = words.pop().unwrap_or_default();
                out.middle = words.join(" ");
            }
        }
    }
    out
}

fn nickname_table() -> &'static HashMap<String, Vec<String>> {
    static TABLE: OnceLock<HashMap<String, Vec<String>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for line in include_str!("../data/nicknames.txt").lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut names = line.split(',').map(str::trim);
            let Some(canonical) = names.next() else {
                continue;
            };
            let mut push = |n: &str| {
                let groups = map.entry(n.to_string()).or_default();
                if !groups.iter().any(|g| g == canonical) {
                    groups.push(canonical.to_string());
                }
            };
            push(canonical);
            for n in names {
                push(n);
            }
        }
        for groups in map.values_mut() {
            groups.sort();
        }
        map
    })
}

/// The nickname groups a given name belongs to, by canonical name (BOB -> [ROBERT];
/// AL -> [ALAN, ALBERT, ALEXANDER, ALFRED]). A name in no group is its own group.
pub fn nickname_groups(first: &str) -> Vec<String> {
    let n = name(first);
    match nickname_table().get(&n) {
        Some(groups) => groups.clone(),
        None if n.is_empty() => Vec::new(),
        None => vec![n],
    }
}

/// The first (alphabetical) nickname group of a given name: a stable key for blocking and for
/// the stored `first_name_group` column.
pub fn nickname_key(first: &str) -> String {
    nickname_groups(first)
        .into_iter()
        .next()
        .unwrap_or_default()
}

/// Phone number as 10 digits (North American Numbering Plan), or `None` when it is not one:
/// punctuation dropped, a leading country code 1 removed, area and exchange codes must not
/// start with 0 or 1.
pub fn phone(s: &str) -> Option<String> {
    let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
    let d = match digits.len() {
        10 => digits.as_str(),
        11 if digits.starts_with('1') => &digits[1..],
        _ => return None,
    };
    let b = d.as_bytes();
    if b[0] < b'2' || b[3] < b'2' {
        return None;
    }
    Some(d.to_string())
}

/// E-mail address trimmed and lower-cased, or `None` when it is not `local@domain.tld`.
pub fn email(s: &str) -> Option<String> {
    let e = s.trim().to_ascii_lowercase();
    let (local, domain) = e.split_once('@')?;
    if local.is_empty()
        || domain.contains('@')
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || e.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return None;
    }
    Some(e)
}

/// ZIP code: the first five digits (and the four after them when present).
pub fn zip(s: &str) -> (Option<String>, Option<String>) {
    let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
    match digits.len() {
        5 => (Some(digits), None),
        9 => (Some(digits[..5].to_string()), Some(digits[5..].to_string())),
        _ => (None, None),
    }
}

/// A US street address split into USPS-normalised parts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Address {
    pub house_number: String,
    pub predir: String,
    pub street: String,
    pub suffix: String,
    pub postdir: String,
    pub unit_type: String,
    pub unit: String,
}

impl Address {
    /// The normalised one-line form: `123 N MAIN ST APT 4`.
    pub fn line(&self) -> String {
        let mut parts: Vec<&str> = Vec::with_capacity(7);
        for p in [
            &self.house_number,
            &self.predir,
            &self.street,
            &self.suffix,
            &self.postdir,
            &self.unit_type,
            &self.unit,
        ] {
            if !p.is_empty() {
                parts.push(p);
            }
        }
        parts.join(" ")
    }

    /// True when there is at least a street (a house number alone is no address).
    pub fn is_usable(&self) -> bool {
        !self.street.is_empty()
    }
}

fn lookup(table: &'static [(&'static str, &'static str)], word: &str) -> Option<&'static str> {
    table
        .iter()
        .find(|(from, _)| *from == word)
        .map(|(_, to)| *to)
}

/// USPS Publication 28 street suffixes (common subset): written form -> standard abbreviation.
const STREET_SUFFIXES: &[(&str, &str)] = &[
    ("ALLEY", "ALY"),
    ("ALY", "ALY"),
    ("AVENUE", "AVE"),
    ("AVE", "AVE"),
    ("AV", "AVE"),
    ("BOULEVARD", "BLVD"),
    ("BLVD", "BLVD"),
    ("BRANCH", "BR"),
    ("BR", "BR"),
    ("BYPASS", "BYP"),
    ("BYP", "BYP"),
    ("CIRCLE", "CIR"),
    ("CIR", "CIR"),
    ("CIRCLES", "CIRS"),
    ("COURT", "CT"),
    ("CT", "CT"),
    ("COURTS", "CTS"),
    ("COVE", "CV"),
    ("CV", "CV"),
    ("CREEK", "CRK"),
    ("CRK", "CRK"),
    ("CROSSING", "XING"),
    ("XING", "XING"),
    ("DRIVE", "DR"),
    ("DR", "DR"),
    ("DRV", "DR"),
    ("EXPRESSWAY", "EXPY"),
    ("EXPY", "EXPY"),
    ("EXTENSION", "EXT"),
    ("EXT", "EXT"),
    ("FREEWAY", "FWY"),
    ("FWY", "FWY"),
    ("GROVE", "GRV"),
    ("GRV", "GRV"),
    ("HEIGHTS", "HTS"),
    ("HTS", "HTS"),
    ("HIGHWAY", "HWY"),
    ("HWY", "HWY"),
    ("HILL", "HL"),
    ("HL", "HL"),
    ("HOLLOW", "HOLW"),
    ("HOLW", "HOLW"),
    ("LANE", "LN"),
    ("LN", "LN"),
    ("LOOP", "LOOP"),
    ("MANOR", "MNR"),
    ("MNR", "MNR"),
    ("MEADOWS", "MDWS"),
    ("MDWS", "MDWS"),
    ("PARKWAY", "PKWY"),
    ("PKWY", "PKWY"),
    ("PKY", "PKWY"),
    ("PATH", "PATH"),
    ("PIKE", "PIKE"),
    ("PLACE", "PL"),
    ("PL", "PL"),
    ("PLAZA", "PLZ"),
    ("PLZ", "PLZ"),
    ("POINT", "PT"),
    ("PT", "PT"),
    ("RIDGE", "RDG"),
    ("RDG", "RDG"),
    ("ROAD", "RD"),
    ("RD", "RD"),
    ("ROW", "ROW"),
    ("RUN", "RUN"),
    ("SQUARE", "SQ"),
    ("SQ", "SQ"),
    ("STREET", "ST"),
    ("ST", "ST"),
    ("STR", "ST"),
    ("TERRACE", "TER"),
    ("TER", "TER"),
    ("TRACE", "TRCE"),
    ("TRCE", "TRCE"),
    ("TRAIL", "TRL"),
    ("TRL", "TRL"),
    ("TURNPIKE", "TPKE"),
    ("TPKE", "TPKE"),
    ("VIEW", "VW"),
    ("VW", "VW"),
    ("WALK", "WALK"),
    ("WAY", "WAY"),
    ("WY", "WAY"),
];

const DIRECTIONALS: &[(&str, &str)] = &[
    ("NORTH", "N"),
    ("N", "N"),
    ("SOUTH", "S"),
    ("S", "S"),
    ("EAST", "E"),
    ("E", "E"),
    ("WEST", "W"),
    ("W", "W"),
    ("NORTHEAST", "NE"),
    ("NE", "NE"),
    ("NORTHWEST", "NW"),
    ("NW", "NW"),
    ("SOUTHEAST", "SE"),
    ("SE", "SE"),
    ("SOUTHWEST", "SW"),
    ("SW", "SW"),
];

/// USPS secondary unit designators: written form -> standard abbreviation (`#` stays `#`).
const UNIT_TYPES: &[(&str, &str)] = &[
    ("APARTMENT", "APT"),
    ("APT", "APT"),
    ("AP", "APT"),
    ("BUILDING", "BLDG"),
    ("BLDG", "BLDG"),
    ("FLOOR", "FL"),
    ("FL", "FL"),
    ("SUITE", "STE"),
    ("STE", "STE"),
    ("UNIT", "UNIT"),
    ("ROOM", "RM"),
    ("RM", "RM"),
    ("LOT", "LOT"),
    ("TRAILER", "TRLR"),
    ("TRLR", "TRLR"),
    ("SPACE", "SPC"),
    ("SPC", "SPC"),
    ("#", "#"),
    ("NO", "#"),
    ("NUMBER", "#"),
    ("DEPT", "DEPT"),
    ("DEPARTMENT", "DEPT"),
    ("PH", "PH"),
    ("PENTHOUSE", "PH"),
    ("BOX", "BOX"),
];

fn is_house_number(w: &str) -> bool {
    let b = w.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_digit()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
}

/// Parses a one-line US street address ("123 North Main Street Apt. 4B") into USPS-normalised
/// parts. Hand-written, token based: house number (with a `1/2` fraction kept), pre-directional,
/// street name, suffix, post-directional, secondary unit. Anything it cannot place stays in the
/// street name, so nothing is dropped.
pub fn address(s: &str) -> Address {
    let cleaned = clean_text(s);
    // Split '#12' into '#', '12' so unit designators are seen as words.
    let mut words: Vec<&str> = Vec::with_capacity(8);
    for w in cleaned.split(' ') {
        if w.len() > 1 && w.starts_with('#') {
            words.push("#");
            let rest = w.trim_start_matches('#');
            if !rest.is_empty() {
                words.push(rest);
            }
        } else if !w.is_empty() {
            words.push(w);
        }
    }
    let mut a = Address::default();
    let mut i = 0;
    if i < words.len() && is_house_number(words[i]) {
        a.house_number = words[i].to_string();
        i += 1;
        if i < words.len() && words[i] == "1/2" {
            a.house_number.push_str(" 1/2");
            i += 1;
        }
    }
    // Unit: the last designator and everything after it.
    let mut end = words.len();
    if let Some(pos) = (i..words.len())
        .rev()
        .find(|&j| lookup(UNIT_TYPES, words[j]).is_some())
    {
        // A designator needs something after it, and something before it that is a street.
        if pos + 1 < words.len() && pos > i {
            a.unit_type = lookup(UNIT_TYPES, words[pos])
                .unwrap_or_default()
                .to_string();
            a.unit = words[pos + 1..].join(" ");
            end = pos;
        }
    }
    let mut street: Vec<&str> = words[i..end].to_vec();
    if street.len() > 1 {
        if let Some(d) = lookup(DIRECTIONALS, street[street.len() - 1]) {
            a.postdir = d.to_string();
            street.pop();
        }
    }
    if street.len() > 1 {
        if let Some(sfx) = lookup(STREET_SUFFIXES, street[street.len() - 1]) {
            a.suffix = sfx.to_string();
            street.pop();
        }
    }
    if street.len() > 1 {
        if let Some(d) = lookup(DIRECTIONALS, street[0]) {
            a.predir = d.to_string();
            street.remove(0);
        }
    }
    a.street = street.join(" ");
    a
}

/// The household key: normalised residential address line with the 5-digit zip, or `None`
/// when the address has no street. Same key = same household.
pub fn household_key(addr: &Address, zip5: Option<&str>) -> Option<String> {
    if !addr.is_usable() || addr.house_number.is_empty() {
        return None;
    }
    Some(format!("{}|{}", addr.line(), zip5.unwrap_or("")))
}
