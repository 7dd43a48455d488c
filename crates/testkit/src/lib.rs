//! Test and benchmark fixtures: a seeded, deterministic writer of synthetic North Carolina
//! voter files (`ncvoter`, 67 columns, Windows-1252) and vote history (`ncvhis`).
//!
//! This is the seed of the synthetic campaign generator (PRODUCT.md C11, issue 3): no real
//! person's data, same seed and size give byte-identical files.

use std::io::{self, Write};

pub mod campaign;
pub mod places;

/// SplitMix64: small, fast, deterministic.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        (((self.next_u64() >> 11) as u128 * n as u128) >> 53) as u64
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

const FIRST: &[&str] = &[
    "JAMES",
    "MARY",
    "ROBERT",
    "PATRICIA",
    "JOHN",
    "JENNIFER",
    "MICHAEL",
    "LINDA",
    "DAVID",
    "ELIZABETH",
    "WILLIAM",
    "BARBARA",
    "RICHARD",
    "SUSAN",
    "JOSEPH",
    "JESSICA",
    "THOMAS",
    "SARAH",
    "CHARLES",
    "KAREN",
    "CHRISTOPHER",
    "LISA",
    "DANIEL",
    "NANCY",
    "MATTHEW",
    "BETTY",
    "ANTHONY",
    "MARGARET",
    "MARK",
    "SANDRA",
    "DONALD",
    "ASHLEY",
    "STEVEN",
    "KIMBERLY",
    "PAUL",
    "EMILY",
    "ANDREW",
    "DONNA",
    "JOSHUA",
    "MICHELLE",
    "KENNETH",
    "CAROL",
    "KEVIN",
    "AMANDA",
    "BRIAN",
    "DOROTHY",
    "GEORGE",
    "MELISSA",
    "TIMOTHY",
    "DEBORAH",
    "JOSÉ",
    "MARÍA",
    "DESHAWN",
    "LATOYA",
    "NGUYEN",
    "PRIYA",
    "ZOË",
    "RENÉE",
];
const LAST: &[&str] = &[
    "SMITH",
    "JOHNSON",
    "WILLIAMS",
    "BROWN",
    "JONES",
    "GARCIA",
    "MILLER",
    "DAVIS",
    "RODRIGUEZ",
    "MARTINEZ",
    "HERNANDEZ",
    "LOPEZ",
    "GONZALEZ",
    "WILSON",
    "ANDERSON",
    "THOMAS",
    "TAYLOR",
    "MOORE",
    "JACKSON",
    "MARTIN",
    "LEE",
    "PEREZ",
    "THOMPSON",
    "WHITE",
    "HARRIS",
    "SANCHEZ",
    "CLARK",
    "RAMIREZ",
    "LEWIS",
    "ROBINSON",
    "WALKER",
    "YOUNG",
    "ALLEN",
    "KING",
    "WRIGHT",
    "SCOTT",
    "TORRES",
    "NGUYEN",
    "HILL",
    "FLORES",
    "O'BRIEN",
    "MUÑOZ",
    "SMITH-JONES",
    "MCDONALD",
    "DE LA CRUZ",
    "PEÑA",
    "BÉLANGER",
    "LOCKLEAR",
    "OXENDINE",
    "CHAVIS",
];
const COUNTIES: &[(&str, &str, &str)] = &[
    ("92", "WAKE", "RALEIGH"),
    ("32", "DURHAM", "DURHAM"),
    ("60", "MECKLENBURG", "CHARLOTTE"),
    ("41", "GUILFORD", "GREENSBORO"),
    ("34", "FORSYTH", "WINSTON SALEM"),
    ("11", "BUNCOMBE", "ASHEVILLE"),
    ("68", "ORANGE", "CHAPEL HILL"),
    ("78", "ROBESON", "LUMBERTON"),
];
const PARTIES: &[&str] = &[
    "DEM", "DEM", "DEM", "REP", "REP", "REP", "UNA", "UNA", "UNA", "LIB", "GRE",
];
const RACES: &[&str] = &["W", "W", "W", "W", "B", "B", "A", "I", "M", "O", "U"];

/// The 67-column `ncvoter` header.
pub fn ncvoter_header() -> &'static [&'static str] {
    &ingest::formats::ncvoter::LAYOUT_67
}

/// One synthetic voter, before it is written in a layout.
#[derive(Debug, Clone)]
pub struct SynthVoter {
    pub ncid: String,
    pub county: usize,
    pub reg_num: u64,
    pub last: String,
    pub first: String,
    pub middle: String,
    pub suffix: &'static str,
    pub status: &'static str,
    pub house_number: u32,
    pub street: String,
    pub unit: String,
    pub zip: String,
    pub phone: String,
    pub party: &'static str,
    pub race: &'static str,
    pub gender: &'static str,
    pub birth_year: u16,
    pub registered: (u8, u8, u16),
    pub precinct: u32,
}

/// Deterministic voters: households of 1-4 at one address sharing mostly one surname.
pub fn voters(n: usize, seed: u64) -> impl Iterator<Item = SynthVoter> {
    let mut rng = Rng::new(seed);
    let mut i = 0usize;
    let mut household: Option<(usize, u32, String, String, String, String, usize)> = None;
    let mut left_in_household = 0;
    std::iter::from_fn(move || {
        if i >= n {
            return None;
        }
        i += 1;
        if left_in_household == 0 {
            let county = rng.below(COUNTIES.len() as u64) as usize;
            let street = format!(
                "{} {}",
                rng.pick(places::STREET_NAMES),
                rng.pick(places::STREET_SUFFIXES)
            );
            let unit = if rng.chance(0.15) {
                format!("APT {}", 1 + rng.below(300))
            } else {
                String::new()
            };
            let zip = format!("27{:03}", rng.below(1000));
            let last = rng.pick(LAST).to_string();
            let phone = if rng.chance(0.4) {
                format!("919{:07}", 2_000_000 + rng.below(7_999_999))
            } else {
                String::new()
            };
            household = Some((
                county,
                1 + rng.below(9_999) as u32,
                street,
                unit,
                zip,
                last,
                rng.below(200) as usize,
            ));
            left_in_household = 1 + rng.below(4) as usize;
            let _ = phone;
        }
        left_in_household -= 1;
        let (county, number, street, unit, zip, hh_last, precinct) =
            household.clone().expect("set above");
        let last = if rng.chance(0.85) {
            hh_last
        } else {
            rng.pick(LAST).to_string()
        };
        let first = rng.pick(FIRST).to_string();
        let middle = if rng.chance(0.6) {
            rng.pick(FIRST).to_string()
        } else {
            String::new()
        };
        let status = match rng.below(100) {
            0..=84 => "A",
            85..=94 => "I",
            95..=98 => "R",
            _ => "D",
        };
        let birth_year = 1930 + rng.below(78) as u16;
        Some(SynthVoter {
            ncid: format!("{}{:07}", ["AA", "BN", "CW", "DT", "EH"][i % 5], i),
            county,
            reg_num: 100_000 + i as u64,
            last,
            first,
            middle,
            suffix: if rng.chance(0.03) {
                *rng.pick(&["JR", "SR", "III"])
            } else {
                ""
            },
            status,
            house_number: number,
            street,
            unit,
            zip,
            phone: if rng.chance(0.3) {
                format!(
                    "({}) {}-{:04}",
                    919,
                    200 + rng.below(799),
                    rng.below(10_000)
                )
            } else {
                String::new()
            },
            party: *rng.pick(PARTIES),
            race: *rng.pick(RACES),
            gender: if rng.chance(0.52) { "F" } else { "M" },
            birth_year,
            registered: (
                1 + rng.below(12) as u8,
                1 + rng.below(28) as u8,
                (birth_year + 18 + rng.below(30) as u16).min(2026),
            ),
            precinct: precinct as u32,
        })
    })
}

fn encode_1252(s: &str) -> Vec<u8> {
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(s);
    bytes.into_owned()
}

/// Writes one voter as a 67-column `ncvoter` row (tab-separated, quoted, Windows-1252).
pub fn write_ncvoter_row(w: &mut impl Write, v: &SynthVoter) -> io::Result<()> {
    let (county_id, county, city) = COUNTIES[v.county];
    let address = if v.unit.is_empty() {
        format!("{} {}", v.house_number, v.street)
    } else {
        format!("{} {}  {}", v.house_number, v.street, v.unit)
    };
    let (m, d, y) = v.registered;
    let status_desc = match v.status {
        "A" => "ACTIVE",
        "I" => "INACTIVE",
        "R" => "REMOVED",
        _ => "DENIED",
    };
    let fields: [String; 67] = [
        county_id.into(),
        county.into(),
        v.reg_num.to_string(),
        v.ncid.clone(),
        v.last.clone(),
        v.first.clone(),
        v.middle.clone(),
        v.suffix.into(),
        v.status.into(),
        status_desc.into(),
        "".into(),
        "".into(),
        address,
        city.into(),
        "NC".into(),
        v.zip.clone(),
        "".into(),
        "".into(),
        "".into(),
        "".into(),
        "".into(),
        "".into(),
        "".into(),
        v.phone.clone(),
        "N".into(),
        format!("{m:02}/{d:02}/{y}"),
        v.race.into(),
        "NL".into(),
        v.party.into(),
        v.gender.into(),
        v.birth_year.to_string(),
        (2026 - v.birth_year).to_string(),
        "NC".into(),
        "Y".into(),
        format!("{:02}-{:02}", v.precinct / 10, v.precinct % 10),
        format!("PRECINCT {}", v.precinct),
        "".into(),
        "".into(),
        "".into(),
        "".into(),
        "4".into(),
        "10A".into(),
        "10".into(),
        "16".into(),
        "34".into(),
        "".into(),
        "".into(),
        "".into(),
        "".into(),
        "".into(),
        "".into(),
        "".into(),
        "".into(),
        "".into(),
        "".into(),
        "".into(),
        "".into(),
        "".into(),
        "".into(),
        "".into(),
        "".into(),
        "".into(),
        "".into(),
        "".into(),
        "".into(),
        format!("{:02}-{:02}", v.precinct / 10, v.precinct % 10),
        format!("PRECINCT {}", v.precinct),
    ];
    let mut line = String::with_capacity(512);
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            line.push('\t');
        }
        line.push('"');
        line.push_str(f);
        line.push('"');
    }
    line.push_str("\r\n");
    w.write_all(&encode_1252(&line))
}

/// Writes the header and `n` voters.
pub fn write_ncvoter(w: &mut impl Write, n: usize, seed: u64) -> io::Result<()> {
    let header: Vec<String> = ncvoter_header()
        .iter()
        .map(|h| format!("\"{h}\""))
        .collect();
    w.write_all(header.join("\t").as_bytes())?;
    w.write_all(b"\r\n")?;
    for v in voters(n, seed) {
        write_ncvoter_row(w, &v)?;
    }
    Ok(())
}

/// Writes an FEC `itcont.txt` file: donations from about one in ten of the voters of
/// `(n, seed)` (name as `LAST, FIRST`, city and zip from the voter file), with memo rows
/// (`MEMO_CD` X) and refunds (negative amounts) among them.
pub fn write_fec(w: &mut impl Write, n: usize, seed: u64) -> io::Result<()> {
    let mut rng = Rng::new(seed ^ 0xFEC);
    let mut sub_id = 4_000_000_000_000_000_000u64 + seed * 1_000_000;
    for v in voters(n, seed) {
        if !rng.chance(0.1) {
            continue;
        }
        let (_, _, city) = COUNTIES[v.county];
        for _ in 0..1 + rng.below(3) {
            sub_id += 1;
            let amount = *rng.pick(&[25, 50, 100, 250, 500, 1000, 3300]);
            let (memo, amount) = match rng.below(20) {
                0 => ("X", amount),
                1 => ("", -amount),
                _ => ("", amount),
            };
            let line = format!(
                "C00000042|N|Q3|G2026||15|IND|{}, {}|{}|NC|{}|SELF|RETIRED|{:02}{:02}2026|{amount}||T{sub_id}|1|{memo}||{sub_id}\n",
                v.last,
                v.first,
                city,
                v.zip,
                1 + rng.below(9),
                1 + rng.below(28),
            );
            w.write_all(&encode_1252(&line))?;
        }
    }
    Ok(())
}

/// Writes an `ncvhis` file for the voters of `(n, seed)`: each voter voted in some of four
/// past elections; `repeat_every` > 0 repeats every that-many-th row (the duplicates real
/// files have).
pub fn write_ncvhis(
    w: &mut impl Write,
    n: usize,
    seed: u64,
    repeat_every: usize,
) -> io::Result<()> {
    let header = ingest::formats::ncvhis::LAYOUT.join("\t");
    w.write_all(header.as_bytes())?;
    w.write_all(b"\n")?;
    let elections = [
        ("11/05/2024", "11/05/2024 GENERAL", "ELECTION DAY IN-PERSON"),
        ("03/05/2024", "03/05/2024 PRIMARY", "EARLY VOTING IN-PERSON"),
        ("11/07/2023", "11/07/2023 MUNICIPAL", "IN-PERSON"),
        ("11/08/2022", "11/08/2022 GENERAL", "ABSENTEE BY MAIL"),
    ];
    let mut rng = Rng::new(seed ^ 0x5EED);
    let mut count = 0usize;
    for v in voters(n, seed) {
        let (county_id, county, _) = COUNTIES[v.county];
        for (date, desc, method) in elections {
            if !rng.chance(0.55) {
                continue;
            }
            let line = format!(
                "{county_id}\t{county}\t{}\t{date}\t{desc}\t{method}\t{}\t\t{:02}-{:02}\tPRECINCT\t{}\t{county_id}\t{county}\t\t\n",
                v.reg_num, v.party, v.precinct / 10, v.precinct % 10, v.ncid
            );
            w.write_all(line.as_bytes())?;
            count += 1;
            if repeat_every > 0 && count % repeat_every == 0 {
                w.write_all(line.as_bytes())?;
            }
        }
    }
    Ok(())
}
