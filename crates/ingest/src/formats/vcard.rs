//! vCard 3.0 / 4.0 contact cards (`BEGIN:VCARD` … `END:VCARD`), as phones export a
//! supporter's address book. One card is one row; its text is kept verbatim.
//!
//! Read: `FN`, `N` (family;given;additional;prefix;suffix), the first `TEL` (a `CELL` one if
//! there is one), the first `EMAIL`, the first `ADR` (;;street;locality;region;postal code;
//! country), `BDAY` (`YYYY-MM-DD`, `YYYYMMDD`; `--MMDD` without a year is ignored), `UID` (the
//! record's key; without one, a hash of the card), and who shared the card
//! (`X-TUSK-SHARED-BY` or `X-SHARED-BY`). Folded lines are unfolded; property groups
//! (`item1.TEL`) and parameters are understood; quoted-printable (vCard 2.1) is refused by card.

use std::io::{BufRead, BufReader, Read};

use model::{AddressFields, Date, Entry, NameFields, Record};

use crate::{Parsed, ParsedRow, ReadError};

/// Longest card accepted (bytes of its unfolded text).
pub const CARD_BYTES_MAX: usize = 64 * 1024;
/// Longest physical line.
pub const LINE_BYTES_MAX: usize = 16 * 1024;

/// The header of a vCard load: one field, the card's text.
pub const HEADER: &str = "vCard";

pub struct Cards<R: Read> {
    input: BufReader<R>,
    source: String,
    line: Vec<u8>,
    /// A physical line read ahead (to see whether the next one continues it).
    ahead: Option<String>,
    /// A logical line to read again (the `BEGIN:VCARD` that cut a card short).
    again: Option<String>,
    bytes: u64,
    row: u64,
    done: bool,
}

fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    }
}

impl<R: Read> Cards<R> {
    pub fn new(input: R, source: &str) -> Cards<R> {
        Cards {
            input: BufReader::with_capacity(1 << 16, input),
            source: source.to_string(),
            line: Vec::new(),
            ahead: None,
            again: None,
            bytes: 0,
            row: 0,
            done: false,
        }
    }

    pub fn position(&self) -> u64 {
        self.bytes
    }

    pub fn input(&self) -> &R {
        self.input.get_ref()
    }

    pub fn source(&self) -> String {
        self.source.clone()
    }

    /// The next physical line (without its line break), `None` at the end.
    fn physical(&mut self) -> Result<Option<String>, ReadError> {
        if let Some(l) = self.ahead.take() {
            return Ok(Some(l));
        }
        self.line.clear();
        let n = (&mut self.input)
            .take(LINE_BYTES_MAX as u64 + 2)
            .read_until(b'\n', &mut self.line)
            .map_err(|e| ReadError::Io {
                row: self.row + 1,
                message: e.to_string(),
            })?;
        if n == 0 {
            return Ok(None);
        }
        self.bytes += n as u64;
        if self.line.len() > LINE_BYTES_MAX && !self.line.ends_with(b"\n") {
            // Skip the rest of an over-long line; the card is rejected for it.
            let mut rest = Vec::new();
            let _ = self.input.read_until(b'\n', &mut rest);
            self.bytes += rest.len() as u64;
            return Ok(Some("\u{0}TOO-LONG".into()));
        }
        while self.line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            self.line.pop();
        }
        let s = decode(&self.line);
        Ok(Some(s.trim_start_matches('\u{feff}').to_string()))
    }

    /// The next logical (unfolded) line.
    fn logical(&mut self) -> Result<Option<String>, ReadError> {
        if let Some(l) = self.again.take() {
            return Ok(Some(l));
        }
        let Some(mut l) = self.physical()? else {
            return Ok(None);
        };
        loop {
            match self.physical()? {
                Some(next) if next.starts_with(' ') || next.starts_with('\t') => {
                    l.push_str(&next[1..]);
                }
                other => {
                    self.ahead = other;
                    return Ok(Some(l));
                }
            }
        }
    }

    /// The next card as a row.
    pub fn next_row(&mut self) -> Option<Result<ParsedRow, ReadError>> {
        if self.done {
            return None;
        }
        // Skip to BEGIN:VCARD.
        let mut lines: Vec<String> = Vec::new();
        loop {
            match self.logical() {
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
                Ok(None) => {
                    self.done = true;
                    return None;
                }
                Ok(Some(l)) if l.trim().eq_ignore_ascii_case("BEGIN:VCARD") => {
                    lines.push(l.trim().to_string());
                    break;
                }
                Ok(Some(_)) => continue,
            }
        }
        let mut ended = false;
        let mut size = 0usize;
        loop {
            match self.logical() {
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
                Ok(None) => break,
                Ok(Some(l)) => {
                    size += l.len();
                    let end = l.trim().eq_ignore_ascii_case("END:VCARD");
                    if l.trim().eq_ignore_ascii_case("BEGIN:VCARD") {
                        // A card that never ended: reject it, start the next one here.
                        self.again = Some(l);
                        break;
                    }
                    if size <= CARD_BYTES_MAX {
                        lines.push(l);
                    }
                    if end {
                        ended = true;
                        break;
                    }
                }
            }
        }
        self.row += 1;
        let raw = model::join_fields([lines.join("\n").as_str()]);
        let result = if !ended {
            Err("a card without END:VCARD".to_string())
        } else if size > CARD_BYTES_MAX {
            Err(format!("the card is larger than {CARD_BYTES_MAX} bytes"))
        } else if lines.iter().any(|l| l.starts_with('\u{0}')) {
            Err(format!("a line longer than {LINE_BYTES_MAX} bytes"))
        } else {
            parse_card(&lines, &self.source).map(|e| {
                vec![Parsed {
                    record: Record::Contact(Box::new(e)),
                    raw: None,
                }]
            })
        };
        Some(Ok(ParsedRow {
            row_number: self.row,
            raw,
            result,
            voter_key: None,
        }))
    }
}

/// A property line: name (without group), parameters (upper-cased `KEY=VALUE` or bare
/// `VALUE` types), value.
fn property(line: &str) -> Option<(String, Vec<String>, String)> {
    let (head, value) = line.split_once(':')?;
    let mut parts = head.split(';');
    let name = parts.next()?;
    let name = name
        .rsplit('.')
        .next()
        .unwrap_or(name)
        .trim()
        .to_ascii_uppercase();
    let params = parts.map(|p| p.trim().to_ascii_uppercase()).collect();
    Some((name, params, value.to_string()))
}

/// vCard text escapes: `\,` `\;` `\\` `\n`.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') | Some('N') => out.push(' '),
                Some(o) => out.push(o),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out.trim().to_string()
}

/// Splits a structured value on unescaped `;`.
fn components(v: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut esc = false;
    for c in v.chars() {
        if esc {
            cur.push('\\');
            cur.push(c);
            esc = false;
        } else if c == '\\' {
            esc = true;
        } else if c == ';' {
            out.push(unescape(&cur));
            cur.clear();
        } else {
            cur.push(c);
        }
    }
    out.push(unescape(&cur));
    out
}

fn is_type(params: &[String], t: &str) -> bool {
    params.iter().any(|p| {
        let p = p.strip_prefix("TYPE=").unwrap_or(p);
        p.split(',').any(|x| x.trim_matches('"') == t)
    })
}

fn parse_card(lines: &[String], source: &str) -> Result<Entry, String> {
    let (mut fn_, mut n, mut tel, mut cell, mut email, mut adr, mut bday, mut uid, mut owner) =
        (None, None, None, None, None, None, None, None, None);
    for l in lines {
        let Some((name, params, value)) = property(l) else {
            continue;
        };
        if params.iter().any(|p| p.contains("QUOTED-PRINTABLE")) {
            return Err(format!(
                "{name} is quoted-printable (vCard 2.1): export as vCard 3.0 or 4.0"
            ));
        }
        match name.as_str() {
            "FN" => fn_ = fn_.or(Some(unescape(&value))),
            "N" => n = n.or(Some(components(&value))),
            "TEL" => {
                let v = unescape(value.trim_start_matches("tel:"));
                if is_type(&params, "CELL") {
                    cell = cell.or(Some(v.clone()));
                }
                tel = tel.or(Some(v));
            }
            "EMAIL" => email = email.or(Some(unescape(value.trim_start_matches("mailto:")))),
            "ADR" => adr = adr.or(Some(components(&value))),
            "BDAY" => bday = bday.or(Some(unescape(&value))),
            "UID" => uid = uid.or(Some(unescape(&value))),
            "X-TUSK-SHARED-BY" | "X-SHARED-BY" => owner = owner.or(Some(unescape(&value))),
            _ => {}
        }
    }
    let name = match &n {
        Some(c) if c.iter().take(2).any(|x| !x.is_empty()) => {
            let get = |i: usize| c.get(i).map(String::as_str).unwrap_or("");
            NameFields::from_parts(get(1), get(2), get(0), get(4))
        }
        _ => match &fn_ {
            Some(f) if !f.is_empty() => {
                NameFields::from_parsed(model::normalize::parse_full_name(f))
            }
            _ => return Err("the card has no name (FN or N)".into()),
        },
    };
    let phone_raw = cell.or(tel).unwrap_or_default();
    let phone = if phone_raw.is_empty() {
        None
    } else {
        Some(
            model::normalize::phone(&phone_raw)
                .ok_or_else(|| format!("TEL '{phone_raw}' is not a US phone number"))?,
        )
    };
    let email = match email.filter(|e| !e.is_empty()) {
        None => None,
        Some(e) => Some(
            model::normalize::email(&e)
                .ok_or_else(|| format!("EMAIL '{e}' is not an e-mail address"))?,
        ),
    };
    let a = adr.unwrap_or_default();
    let get = |i: usize| a.get(i).map(String::as_str).unwrap_or("");
    let address = AddressFields::parse(get(2), get(3), get(4), get(5));
    let (birth_date, birth_year) = match bday.as_deref().map(str::trim).filter(|b| !b.is_empty()) {
        None => (None, None),
        Some(b) if b.starts_with("--") => (None, None),
        Some(b) => {
            let d = Date::parse(b.get(..10).unwrap_or(b))
                .or_else(|| Date::parse(b.get(..8).unwrap_or(b)))
                .ok_or_else(|| format!("BDAY '{b}' is not a date (YYYY-MM-DD or YYYYMMDD)"))?;
            if !(super::BIRTH_YEAR_MIN..=super::BIRTH_YEAR_MAX).contains(&d.year) {
                return Err(format!(
                    "BDAY '{b}': the year is not between {} and {}",
                    super::BIRTH_YEAR_MIN,
                    super::BIRTH_YEAR_MAX
                ));
            }
            (Some(d), Some(d.year))
        }
    };
    let key = match uid.filter(|u| !u.is_empty()) {
        Some(u) => u,
        None => format!("{:016x}", model::content_hash(&lines.join("\n"))),
    };
    Ok(Entry {
        source: source.to_string(),
        key,
        owner: owner.unwrap_or_default(),
        name,
        email,
        phone,
        address,
        birth_date,
        birth_year,
        date: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cards(text: &str) -> Vec<ParsedRow> {
        let mut c = Cards::new(text.as_bytes(), "shared");
        let mut out = Vec::new();
        while let Some(r) = c.next_row() {
            out.push(r.unwrap());
        }
        out
    }

    fn entry(r: &ParsedRow) -> Entry {
        match &r.result.as_ref().unwrap()[0].record {
            Record::Contact(e) => (**e).clone(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reads_3_0_and_4_0_cards_with_folding_groups_and_escapes() {
        let text = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Robert Smith Jr.\r\nN:Smith;Robert;;;Jr.\r\n\
item1.TEL;TYPE=HOME:919-555-0100\r\nTEL;TYPE=CELL,VOICE:+1 (919) 555-0101\r\nEMAIL;TYPE=INTERNET:Bob.Smith@Example.org\r\n\
ADR;TYPE=HOME:;;12 North Main\r\n  Street;Raleigh;NC;27601;USA\r\nBDAY:1980-02-03\r\nX-TUSK-SHARED-BY:vol-7\r\nUID:abc-1\r\nEND:VCARD\r\n\
BEGIN:VCARD\nVERSION:4.0\nFN:Ann O\\, Neil\nTEL;VALUE=uri;TYPE=cell:tel:+1-704-555-0199\nBDAY:--0415\nEND:VCARD\n";
        let rows = cards(text);
        assert_eq!(rows.len(), 2);
        let a = entry(&rows[0]);
        assert_eq!(
            (
                a.name.first.as_str(),
                a.name.last.as_str(),
                a.name.suffix.as_str()
            ),
            ("ROBERT", "SMITH", "JR")
        );
        assert_eq!(
            a.phone.as_deref(),
            Some("9195550101"),
            "the CELL number wins"
        );
        assert_eq!(a.email.as_deref(), Some("bob.smith@example.org"));
        assert_eq!(a.address.line, "12 N MAIN ST", "folded line joined");
        assert_eq!(a.address.zip5.as_deref(), Some("27601"));
        assert_eq!(a.birth_year, Some(1980));
        assert_eq!(
            (a.key.as_str(), a.owner.as_str(), a.source.as_str()),
            ("abc-1", "vol-7", "shared")
        );
        let b = entry(&rows[1]);
        assert_eq!(b.phone.as_deref(), Some("7045550199"));
        assert_eq!(
            b.birth_year, None,
            "a birthday without a year is not a birth date"
        );
        assert_eq!(b.key.len(), 16, "no UID: a hash of the card");
        assert!(rows[0].raw.contains("BEGIN:VCARD"), "kept verbatim");
    }

    #[test]
    fn bad_cards_are_rejected_one_by_one() {
        let text = "BEGIN:VCARD\nVERSION:3.0\nTEL:919-555-0100\nEND:VCARD\n\
BEGIN:VCARD\nVERSION:2.1\nN;ENCODING=QUOTED-PRINTABLE:Sm=C3=BCth;Ann\nEND:VCARD\n\
BEGIN:VCARD\nFN:Cut Off\nBEGIN:VCARD\nFN:Next One\nTEL:12\nEND:VCARD\n\
BEGIN:VCARD\nFN:Fine Person\nEMAIL:fine@example.org\nEND:VCARD\n\
BEGIN:VCARD\nFN:Never Ends\n";
        let rows = cards(text);
        let results: Vec<Result<(), String>> = rows
            .iter()
            .map(|r| r.result.as_ref().map(|_| ()).map_err(|e| e.clone()))
            .collect();
        assert_eq!(rows.len(), 6);
        assert!(results[0].as_ref().unwrap_err().contains("no name"));
        assert!(results[1]
            .as_ref()
            .unwrap_err()
            .contains("quoted-printable"));
        assert!(
            results[2].as_ref().unwrap_err().contains("END:VCARD"),
            "cut off by the next card"
        );
        assert!(
            results[3].as_ref().unwrap_err().contains("TEL '12'"),
            "{:?}",
            results[3]
        );
        assert!(results[4].is_ok(), "{:?}", results[4]);
        assert!(
            results[5].as_ref().unwrap_err().contains("END:VCARD"),
            "the file ends inside a card"
        );
        assert_eq!(
            rows.iter().map(|r| r.row_number).collect::<Vec<_>>(),
            [1, 2, 3, 4, 5, 6]
        );
    }
}
