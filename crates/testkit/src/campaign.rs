//! The synthetic campaign (PRODUCT.md C11): a whole state's files in the real layouts, and
//! the hidden truth behind them.
//!
//! Deterministic: one seeded random stream, consumed in a fixed order, so the same
//! `CampaignConfig` gives byte-identical files. Streaming: people are generated household by
//! household and written at once; only a ring of recent people (friends for contact lists)
//! and small per-county tables stay in memory, so 7.5 M voters fit in a few hundred MB.
//! No IO of its own: the caller hands one `Write` per output (`Out`).

use std::collections::VecDeque;
use std::io::{self, Write};
use std::sync::OnceLock;

use model::Date;
use serde::Serialize;

use crate::places::{self, NC_COUNTIES};
use crate::Rng;

/// What to generate.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CampaignConfig {
    /// Voter-file rows to write (registrations, duplicates included).
    pub voters: usize,
    pub seed: u64,
}

/// The current election and the day the state's files were cut.
pub const ELECTION: (u16, u8, u8) = (2026, 11, 3);
pub const FILE_DATE: (u16, u8, u8) = (2026, 10, 28);
/// Early in-person voting opened (first day of one-stop).
pub const EARLY_VOTING_START: (u16, u8, u8) = (2026, 10, 15);
/// Individual contribution limit per election for the 2025–26 cycle, in dollars
/// (configurable per cycle: FORMATS.md).
pub const CONTRIBUTION_LIMIT_DOLLARS: i64 = 3_500;

/// Past elections in the vote history: (date, description, type, base turnout).
const PAST_ELECTIONS: &[((u16, u8, u8), &str, Kind, f64)] = &[
    ((2020, 11, 3), "11/03/2020 GENERAL", Kind::General, 0.78),
    ((2022, 5, 17), "05/17/2022 PRIMARY", Kind::Primary, 0.22),
    ((2022, 11, 8), "11/08/2022 GENERAL", Kind::General, 0.56),
    ((2023, 11, 7), "11/07/2023 MUNICIPAL", Kind::Municipal, 0.16),
    ((2024, 3, 5), "03/05/2024 PRIMARY", Kind::Primary, 0.30),
    ((2024, 11, 5), "11/05/2024 GENERAL", Kind::General, 0.74),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    General,
    Primary,
    Municipal,
}

/// The files a campaign is written to, in the order of `Out::ALL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Out {
    NcVoter,
    NcVhis,
    Absentee,
    Fec,
    Volunteers,
    VolunteersMapping,
    Contacts,
    ContactsMapping,
    ContactsVcf,
    Canvass,
    Experiment,
    Precincts,
    Offices,
    OfficeNeeds,
    Rides,
    Beds,
    TravelRequests,
    Geocodes,
    TruthPeople,
    TruthRecords,
    TruthMalformed,
    TruthSummary,
}

impl Out {
    pub const ALL: [Out; 22] = [
        Out::NcVoter,
        Out::NcVhis,
        Out::Absentee,
        Out::Fec,
        Out::Volunteers,
        Out::VolunteersMapping,
        Out::Contacts,
        Out::ContactsMapping,
        Out::ContactsVcf,
        Out::Canvass,
        Out::Experiment,
        Out::Precincts,
        Out::Offices,
        Out::OfficeNeeds,
        Out::Rides,
        Out::Beds,
        Out::TravelRequests,
        Out::Geocodes,
        Out::TruthPeople,
        Out::TruthRecords,
        Out::TruthMalformed,
        Out::TruthSummary,
    ];

    /// File name under the output directory.
    pub fn file_name(self) -> &'static str {
        match self {
            Out::NcVoter => "ncvoter_Statewide.txt",
            Out::NcVhis => "ncvhis_Statewide.txt",
            Out::Absentee => "absentee_20261028.csv",
            Out::Fec => "itcont.txt",
            Out::Volunteers => "volunteers.csv",
            Out::VolunteersMapping => "volunteers.mapping.toml",
            Out::Contacts => "contacts.csv",
            Out::ContactsMapping => "contacts.mapping.toml",
            Out::ContactsVcf => "contacts.vcf",
            Out::Canvass => "canvass.csv",
            Out::Experiment => "persuasion_experiment.csv",
            Out::Precincts => "precincts.csv",
            Out::Offices => "field_offices.csv",
            Out::OfficeNeeds => "office_needs.csv",
            Out::Rides => "ride_offers.csv",
            Out::Beds => "bed_offers.csv",
            Out::TravelRequests => "travel_requests.csv",
            Out::Geocodes => "geocodes.csv",
            Out::TruthPeople => "truth/people.csv",
            Out::TruthRecords => "truth/records.csv",
            Out::TruthMalformed => "truth/malformed.csv",
            Out::TruthSummary => "truth/summary.json",
        }
    }
}

/// One writer per `Out`, in `Out::ALL` order.
pub struct Outputs<W: Write>(pub Vec<W>);

impl<W: Write> Outputs<W> {
    fn w(&mut self, o: Out) -> &mut W {
        let i = Out::ALL
            .iter()
            .position(|x| *x == o)
            .expect("every Out is in ALL");
        &mut self.0[i]
    }
}

/// Counts and the distributions actually drawn (also `truth/summary.json`).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Summary {
    pub config: Option<CampaignConfig>,
    pub people: u64,
    pub registered_people: u64,
    pub voter_rows: u64,
    pub duplicate_registrations: u64,
    pub malformed_rows: u64,
    pub history_rows: u64,
    pub history_repeated_rows: u64,
    pub absentee_rows: u64,
    pub donation_rows: u64,
    pub donors: u64,
    pub donors_at_limit: u64,
    pub volunteers: u64,
    pub unregistered_volunteers: u64,
    pub contact_rows: u64,
    pub vcards: u64,
    pub canvass_rows: u64,
    pub experiment_rows: u64,
    pub precincts: u64,
    pub households: u64,
    /// Residential addresses in `geocodes.csv` (a geocoder's answer: most, not all).
    pub geocoded_addresses: u64,
    pub mean_support: f64,
    pub mean_turnout: f64,
    pub mean_effect: f64,
    /// Targets the generator draws towards (tests check the drawn values against them).
    pub target_registered_share: f64,
    pub target_mean_household_adults: f64,
}

/// Share of residential addresses a geocoder places (the rest are left out of `geocodes.csv`).
pub const GEOCODED_SHARE: f64 = 0.98;

/// Share of generated adults who are registered to vote.
pub const REGISTERED_SHARE: f64 = 0.86;
/// Household sizes (adults) 1..=6 and their weights; mean 2.3.
const HOUSEHOLD_SIZES: [(usize, u32); 6] = [(1, 28), (2, 36), (3, 15), (4, 12), (5, 6), (6, 3)];
/// Registered people who also have a second, stale registration elsewhere.
const DUPLICATE_REGISTRATION_SHARE: f64 = 0.004;
/// Voter rows deliberately malformed (an unreadable birth year): every this-many rows.
pub const MALFORMED_EVERY: u64 = 50_000;
/// Voters per precinct (North Carolina: about 7.5 M voters in about 2,650 precincts).
const VOTERS_PER_PRECINCT: f64 = 2_800.0;
/// Friends a contact list is drawn from: the most recent people generated (nearby).
const FRIEND_RING: usize = 4_000;

fn census(text: &str) -> (Vec<&str>, Vec<u64>) {
    let mut names = Vec::new();
    let mut cum = Vec::new();
    let mut total = 0u64;
    for line in text.lines() {
        let mut it = line.split('\t');
        let (Some(n), Some(f)) = (it.next(), it.next()) else {
            continue;
        };
        total += f.parse::<u64>().unwrap_or(1).max(1);
        names.push(n);
        cum.push(total);
    }
    (names, cum)
}

struct Names {
    last: (Vec<&'static str>, Vec<u64>),
    female: (Vec<&'static str>, Vec<u64>),
    male: (Vec<&'static str>, Vec<u64>),
}

fn names() -> &'static Names {
    static N: OnceLock<Names> = OnceLock::new();
    N.get_or_init(|| Names {
        last: census(include_str!("../data/census1990/last.txt")),
        female: census(include_str!("../data/census1990/female.txt")),
        male: census(include_str!("../data/census1990/male.txt")),
    })
}

fn weighted<'a>(rng: &mut Rng, (names, cum): &'a (Vec<&'static str>, Vec<u64>)) -> &'a str {
    let x = rng.below(*cum.last().unwrap_or(&1));
    let i = cum.partition_point(|c| *c <= x);
    names[i.min(names.len() - 1)]
}

/// Accented names (Windows-1252 in the voter file), for a small share of people.
const ACCENTED_LAST: &[&str] = &[
    "MUÑOZ",
    "PEÑA",
    "NÚÑEZ",
    "IBÁÑEZ",
    "BELTRÁN",
    "RAMÍREZ",
    "GONZÁLEZ",
];
const ACCENTED_FIRST_F: &[&str] = &["MARÍA", "SOFÍA", "JOSÉFINA", "RENÉE", "ZOË"];
const ACCENTED_FIRST_M: &[&str] = &["JOSÉ", "JESÚS", "RAMÓN", "ANDRÉS", "JOAQUÍN"];

impl Rng {
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.unit().max(1e-12);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

#[derive(Debug, Clone)]
struct Home {
    county: usize,
    precinct: usize,
    house_number: u32,
    street: String,
    unit: String,
    zip: String,
    city: &'static str,
    lat: f64,
    lon: f64,
    landline: Option<String>,
}

#[derive(Debug, Clone)]
struct Person {
    id: u64,
    household: u64,
    first: String,
    middle: String,
    last: String,
    suffix: &'static str,
    female: bool,
    birth: Date,
    race: &'static str,
    ethnic: &'static str,
    party: &'static str,
    registered: bool,
    cell: Option<String>,
    email: Option<String>,
    support: f64,
    turnout: f64,
    effect: f64,
    home: Home,
    /// ncid of the person's (current) registration.
    ncid: String,
    /// County registration number of that registration.
    reg_num: u64,
    /// Date of that registration: no vote before it.
    registered_on: Option<Date>,
}

struct Precinct {
    code: String,
    senate: u16,
    house: u16,
}

/// CSV field: quoted when it needs to be.
fn csv(out: &mut String, f: &str) {
    if f.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&f.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(f);
    }
}

fn csv_line(fields: &[&str]) -> String {
    let mut s = String::with_capacity(128);
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        csv(&mut s, f);
    }
    s.push('\n');
    s
}

fn mdy(d: Date) -> String {
    format!("{:02}/{:02}/{}", d.month, d.day, d.year)
}

/// Hidden truth: the chance a person gives. Older, more engaged (turnout), more partisan
/// people give more often; party registrants more than unaffiliated voters.
fn donor_propensity(p: &Person) -> f64 {
    let age = f64::from(ELECTION.0 - p.birth.year);
    let partisan = (2.0 * p.support - 1.0).abs();
    let party = if matches!(p.party, "DEM" | "REP") {
        0.012
    } else {
        0.0
    };
    (0.002 + age * 0.0003 + 0.03 * p.turnout * partisan + party).min(0.2)
}

fn date((y, m, d): (u16, u8, u8)) -> Date {
    Date::new(y as u32, m as u32, d as u32).expect("valid constant date")
}

struct Gen<'o, W: Write> {
    cfg: CampaignConfig,
    rng: Rng,
    out: &'o mut Outputs<W>,
    s: Summary,
    precincts: Vec<Vec<Precinct>>,
    county_cum: Vec<u64>,
    next_person: u64,
    next_household: u64,
    next_ncid: u64,
    reg_nums: Vec<u64>,
    voter_row: u64,
    history_row: u64,
    absentee_row: u64,
    fec_sub: u64,
    volunteer_row: u64,
    contact_row: u64,
    canvass_row: u64,
    experiment_row: u64,
    ring: VecDeque<Person>,
    volunteers_for_trips: Vec<(String, usize)>,
    sums: (f64, f64, f64),
    /// Hashes of the addresses already in `geocodes.csv`.
    geocoded: std::collections::HashSet<u64>,
}

const NICKNAMES: &[(&str, &str)] = &[
    ("ROBERT", "BOB"),
    ("WILLIAM", "BILL"),
    ("RICHARD", "RICK"),
    ("JAMES", "JIM"),
    ("JOHN", "JACK"),
    ("MICHAEL", "MIKE"),
    ("THOMAS", "TOM"),
    ("JOSEPH", "JOE"),
    ("CHARLES", "CHUCK"),
    ("DAVID", "DAVE"),
    ("ELIZABETH", "BETH"),
    ("MARGARET", "PEGGY"),
    ("KATHERINE", "KATE"),
    ("PATRICIA", "PATTY"),
    ("JENNIFER", "JEN"),
    ("SUSAN", "SUE"),
    ("DEBORAH", "DEBBIE"),
    ("CHRISTOPHER", "CHRIS"),
    ("DANIEL", "DAN"),
    ("ANTHONY", "TONY"),
    ("KENNETH", "KEN"),
    ("STEVEN", "STEVE"),
    ("EDWARD", "ED"),
    ("TIMOTHY", "TIM"),
    ("REBECCA", "BECKY"),
    ("CYNTHIA", "CINDY"),
];

fn nickname(first: &str) -> Option<&'static str> {
    NICKNAMES.iter().find(|(f, _)| *f == first).map(|(_, n)| *n)
}

/// One typing error: a swapped pair, a dropped or a doubled letter.
fn typo(rng: &mut Rng, s: &str) -> String {
    let mut c: Vec<char> = s.chars().collect();
    if c.len() < 4 {
        return s.to_string();
    }
    let i = 1 + rng.below(c.len() as u64 - 2) as usize;
    match rng.below(3) {
        0 => c.swap(i, i + 1),
        1 => {
            c.remove(i);
        }
        _ => c.insert(i, c[i]),
    }
    c.into_iter().collect()
}

fn title(s: &str) -> String {
    s.split(' ')
        .map(|w| {
            let mut cs = w.chars();
            match cs.next() {
                Some(f) => f.to_uppercase().collect::<String>() + &cs.as_str().to_lowercase(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

impl<'o, W: Write> Gen<'o, W> {
    fn write(&mut self, o: Out, s: &str) -> io::Result<()> {
        if o == Out::NcVoter || o == Out::NcVhis || o == Out::Absentee || o == Out::Fec {
            let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(s);
            self.out.w(o).write_all(&bytes)
        } else {
            self.out.w(o).write_all(s.as_bytes())
        }
    }

    fn truth(&mut self, file: Out, key: &str, person: u64) -> io::Result<()> {
        let line = format!("{},{},{}\n", file.file_name(), key, person);
        self.out.w(Out::TruthRecords).write_all(line.as_bytes())
    }

    fn pick_county(&mut self) -> usize {
        let x = self.rng.below(*self.county_cum.last().expect("counties"));
        self.county_cum.partition_point(|c| *c <= x)
    }

    fn new_home(&mut self, county: usize) -> Home {
        let (_, _, seat, lat, lon, _, zip3, _) = NC_COUNTIES[county];
        let precinct = self.rng.below(self.precincts[county].len() as u64) as usize;
        let street = format!(
            "{} {}",
            self.rng.pick(places::STREET_NAMES),
            self.rng.pick(places::STREET_SUFFIXES)
        );
        Home {
            county,
            precinct,
            house_number: 1 + self.rng.below(9_800) as u32,
            street,
            unit: if self.rng.chance(0.14) {
                format!("APT {}", 1 + self.rng.below(420))
            } else {
                String::new()
            },
            zip: format!("{zip3}{:02}", self.rng.below(100)),
            city: seat,
            lat: lat + self.rng.normal() * 0.08,
            lon: lon + self.rng.normal() * 0.08,
            landline: if self.rng.chance(0.15) {
                Some(self.phone())
            } else {
                None
            },
        }
    }

    fn phone(&mut self) -> String {
        let area = *self
            .rng
            .pick(&["919", "984", "704", "980", "336", "828", "910", "252"]);
        format!(
            "{area}{}{:06}",
            2 + self.rng.below(8),
            self.rng.below(1_000_000)
        )
    }

    fn ncid(&mut self) -> String {
        self.next_ncid += 1;
        let n = self.next_ncid;
        let letters = [
            (b'A' + (n / 1_000_000 % 26) as u8) as char,
            (b'A' + (n / 26_000_000 % 26) as u8) as char,
        ];
        format!("{}{}{:06}", letters[1], letters[0], n % 1_000_000)
    }

    fn person(
        &mut self,
        home: &Home,
        household: u64,
        last: &str,
        female: bool,
        birth_year: u16,
    ) -> Person {
        let n = names();
        let first = if self.rng.chance(0.01) {
            self.rng
                .pick(if female {
                    ACCENTED_FIRST_F
                } else {
                    ACCENTED_FIRST_M
                })
                .to_string()
        } else {
            weighted(&mut self.rng, if female { &n.female } else { &n.male }).to_string()
        };
        let middle = match self.rng.below(10) {
            0..=5 => weighted(&mut self.rng, if female { &n.female } else { &n.male }).to_string(),
            6 => {
                let list = if self.rng.chance(0.5) {
                    &n.female
                } else {
                    &n.male
                };
                weighted(&mut self.rng, list)[..1].to_string()
            }
            _ => String::new(),
        };
        let birth = Date::new(
            birth_year as u32,
            1 + self.rng.below(12) as u32,
            1 + self.rng.below(28) as u32,
        )
        .expect("valid birth date");
        let (race, ethnic) = match self.rng.below(100) {
            0..=62 => ("W", "NL"),
            63..=84 => ("B", "NL"),
            85..=91 => ("W", "HL"),
            92..=94 => ("A", "NL"),
            95 => ("I", "NL"),
            96..=97 => ("M", "NL"),
            _ => ("U", "UN"),
        };
        let age = (ELECTION.0 - birth_year) as f64;
        // Hidden truth: support for our candidate, turnout propensity, persuadability.
        let lean = match race {
            "B" => 1.6,
            "A" | "M" => 0.5,
            _ if ethnic == "HL" => 0.6,
            _ => -0.3,
        } + if female { 0.25 } else { -0.2 }
            - (age - 45.0) * 0.012
            + self.rng.normal() * 0.9;
        let party = if lean > 0.9 {
            if self.rng.chance(0.75) {
                "DEM"
            } else {
                "UNA"
            }
        } else if lean < -0.5 {
            if self.rng.chance(0.75) {
                "REP"
            } else {
                "UNA"
            }
        } else {
            *self.rng.pick(&["UNA", "UNA", "DEM", "REP", "LIB", "UNA"])
        };
        let party_shift = match party {
            "DEM" => 1.3,
            "REP" => -1.3,
            _ => 0.0,
        };
        let support = sigmoid(lean * 0.9 + party_shift + self.rng.normal() * 0.4);
        let turnout = sigmoid(
            -1.2 + (age - 18.0) * 0.045
                + if party == "UNA" { -0.4 } else { 0.3 }
                + self.rng.normal() * 1.0,
        );
        // Persuadable: the middle of the support range, younger voters more.
        let effect =
            (0.12 * (1.0 - (2.0 * support - 1.0).powi(2)) * if age < 40.0 { 1.3 } else { 0.9 }
                + self.rng.normal() * 0.015)
                .clamp(-0.05, 0.2);
        self.next_person += 1;
        let id = self.next_person;
        let given: String = first
            .chars()
            .filter(|c| c.is_ascii_alphabetic())
            .collect::<String>()
            .to_lowercase();
        let fam: String = last
            .chars()
            .filter(|c| c.is_ascii_alphabetic())
            .collect::<String>()
            .to_lowercase();
        let email = if self.rng.chance(0.72) {
            Some(format!(
                "{}.{}{}@{}",
                given,
                fam,
                self.rng.below(100),
                self.rng.pick(places::EMAIL_DOMAINS)
            ))
        } else {
            None
        };
        Person {
            id,
            household,
            first,
            middle,
            last: last.to_string(),
            suffix: "",
            female,
            birth,
            race,
            ethnic,
            party,
            registered: self.rng.chance(REGISTERED_SHARE),
            cell: if self.rng.chance(0.8) {
                Some(self.phone())
            } else {
                None
            },
            email,
            support,
            turnout,
            effect,
            home: home.clone(),
            ncid: String::new(),
            reg_num: 0,
            registered_on: None,
        }
    }

    fn household(&mut self) -> io::Result<()> {
        let county = self.pick_county();
        let home = self.new_home(county);
        self.next_household += 1;
        let household = self.next_household;
        self.s.households += 1;
        let size = {
            let total: u32 = HOUSEHOLD_SIZES.iter().map(|x| x.1).sum();
            let mut x = self.rng.below(total as u64) as u32;
            let mut size = 1;
            for (s, w) in HOUSEHOLD_SIZES {
                if x < w {
                    size = s;
                    break;
                }
                x -= w;
            }
            size
        };
        let surname = if self.rng.chance(0.01) {
            self.rng.pick(ACCENTED_LAST).to_string()
        } else {
            weighted(&mut self.rng, &names().last).to_string()
        };
        // Adult ages: 18..95, fewer at the old end.
        let head_year = ELECTION.0 - 18 - (self.rng.unit().powf(1.25) * 74.0) as u16;
        let mut people = Vec::with_capacity(size);
        let head_female = self.rng.chance(0.5);
        let head = self.person(&home, household, &surname, head_female, head_year);
        people.push(head);
        for k in 1..size {
            let head = people[0].clone();
            let p = if k == 1 && self.rng.chance(0.7) {
                // A partner: mostly the same surname.
                let last = if self.rng.chance(0.8) {
                    surname.clone()
                } else {
                    weighted(&mut self.rng, &names().last).to_string()
                };
                let year = (head.birth.year as i32 + self.rng.normal().round() as i32 * 3)
                    .clamp(1931, ELECTION.0 as i32 - 18) as u16;
                self.person(&home, household, &last, !head.female, year)
            } else {
                // An adult child (or a parent, or a roommate with their own surname).
                let year = (head.birth.year + 20 + self.rng.below(15) as u16).min(ELECTION.0 - 18);
                let last = if self.rng.chance(0.85) {
                    surname.clone()
                } else {
                    weighted(&mut self.rng, &names().last).to_string()
                };
                let female = self.rng.chance(0.5);
                let mut p = self.person(&home, household, &last, female, year);
                // Namesakes: a son named after his father, JR and SR at one address.
                if !female && !head.female && last == head.last && self.rng.chance(0.12) {
                    p.first = head.first.clone();
                    p.suffix = "JR";
                    people[0].suffix = "SR";
                }
                p
            };
            people.push(p);
        }
        for mut p in people {
            // The file is full: the rest of this household is not on it.
            if self.s.voter_rows >= self.cfg.voters as u64 {
                p.registered = false;
            }
            if p.registered {
                p.ncid = self.ncid();
            }
            self.emit(&mut p)?;
        }
        Ok(())
    }

    fn emit(&mut self, p: &mut Person) -> io::Result<()> {
        self.s.people += 1;
        self.sums.0 += p.support;
        self.sums.1 += p.turnout;
        self.sums.2 += p.effect;
        let truth = format!(
            "{},{},{},{:.4},{:.4},{:.4},{},{},{},{},{:.5},{:.5},{:.5}\n",
            p.id,
            p.household,
            p.registered,
            p.support,
            p.turnout,
            p.effect,
            p.ncid,
            p.first,
            p.last,
            p.birth,
            p.home.lat,
            p.home.lon,
            donor_propensity(p)
        );
        self.out.w(Out::TruthPeople).write_all(truth.as_bytes())?;
        if p.registered {
            self.s.registered_people += 1;
            let status = match self.rng.below(1000) {
                0..=879 => "A",
                880..=959 => "I",
                960..=989 => "R",
                990..=994 => "D",
                _ => "S",
            };
            let home = p.home.clone();
            let (reg_num, reg_date) = self.voter_row(p, &p.ncid.clone(), status, &home)?;
            p.reg_num = reg_num;
            p.registered_on = Some(reg_date);
            if self.rng.chance(DUPLICATE_REGISTRATION_SHARE)
                && self.s.voter_rows < self.cfg.voters as u64
            {
                // A stale registration from before a move: another county, another ncid.
                self.s.duplicate_registrations += 1;
                let old = {
                    let c = self.pick_county();
                    self.new_home(c)
                };
                let ncid = self.ncid();
                let status = if self.rng.chance(0.5) { "I" } else { "R" };
                self.voter_row(p, &ncid, status, &old)?;
            }
            if status == "A" || status == "I" {
                self.history(p)?;
                if status == "A" {
                    self.absentee(p)?;
                    self.field(p)?;
                }
            }
        }
        self.money(p)?;
        self.volunteer(p)?;
        if self.ring.len() == FRIEND_RING {
            self.ring.pop_front();
        }
        self.ring.push_back(p.clone());
        Ok(())
    }

    /// Writes one registration; returns its county registration number and date.
    /// A geocoder's answer for a registration address, once per address: most addresses are
    /// found (by a hash of the address, so the draw does not move the random stream).
    fn geocode(&mut self, home: &Home, address: &str) -> io::Result<()> {
        let key = model::household_id(&format!("{address}|{}", home.zip)) as u64;
        if (key % 1000) as f64 >= GEOCODED_SHARE * 1000.0 || !self.geocoded.insert(key) {
            return Ok(());
        }
        self.s.geocoded_addresses += 1;
        let line = csv_line(&[
            address,
            home.city,
            "NC",
            &home.zip,
            &format!("{:.6}", home.lat),
            &format!("{:.6}", home.lon),
        ]);
        self.out.w(Out::Geocodes).write_all(line.as_bytes())
    }

    fn voter_row(
        &mut self,
        p: &Person,
        ncid: &str,
        status: &str,
        home: &Home,
    ) -> io::Result<(u64, Date)> {
        self.voter_row += 1;
        self.s.voter_rows += 1;
        let (county_id, county, _, _, _, _, _, cd) = NC_COUNTIES[home.county];
        self.reg_nums[home.county] += 1;
        let reg_num = self.reg_nums[home.county];
        let address = if home.unit.is_empty() {
            format!("{} {}", home.house_number, home.street)
        } else {
            format!("{} {}  {}", home.house_number, home.street, home.unit)
        };
        self.geocode(home, &address)?;
        let pr = &self.precincts[home.county][home.precinct];
        let phone = match (&home.landline, &p.cell) {
            (Some(l), _) if self.rng.chance(0.5) => l.clone(),
            (_, Some(c)) if self.rng.chance(0.35) => c.clone(),
            _ => String::new(),
        };
        // Registered between the 18th birthday and the file's year (a voter registers once).
        let first = p.birth.year + 18;
        let span = (FILE_DATE.0.saturating_sub(first) + 1).clamp(1, 40);
        let reg_year = (first + self.rng.below(span as u64) as u16).min(FILE_DATE.0);
        let reg = Date::new(
            reg_year as u32,
            1 + self.rng.below(12) as u32,
            1 + self.rng.below(28) as u32,
        )
        .expect("date");
        let malformed = self.voter_row % MALFORMED_EVERY == 1_234 % MALFORMED_EVERY;
        let birth_year = if malformed {
            self.s.malformed_rows += 1;
            let line = format!(
                "{},{},birth_year is not a year\n",
                Out::NcVoter.file_name(),
                self.voter_row
            );
            self.out.w(Out::TruthMalformed).write_all(line.as_bytes())?;
            format!("19{}X", p.birth.year % 10)
        } else {
            p.birth.year.to_string()
        };
        let status_desc = match status {
            "A" => "ACTIVE",
            "I" => "INACTIVE",
            "R" => "REMOVED",
            "D" => "DENIED",
            _ => "TEMPORARY",
        };
        let age = (2026 - p.birth.year).to_string();
        let pct = format!("PRECINCT {}", pr.code);
        let f: [&str; 67] = [
            county_id,
            county,
            &reg_num.to_string(),
            ncid,
            &p.last,
            &p.first,
            &p.middle,
            p.suffix,
            status,
            status_desc,
            "",
            "",
            &address,
            home.city,
            "NC",
            &home.zip,
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            &phone,
            "N",
            &mdy(reg),
            p.race,
            p.ethnic,
            p.party,
            if p.female { "F" } else { "M" },
            &birth_year,
            &age,
            "",
            "Y",
            &pr.code,
            &pct,
            "",
            "",
            "",
            "",
            &cd.to_string(),
            "",
            "",
            &pr.senate.to_string(),
            &pr.house.to_string(),
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            &pr.code,
            &pct,
        ];
        let mut line = String::with_capacity(400);
        for (i, v) in f.iter().enumerate() {
            if i > 0 {
                line.push('\t');
            }
            line.push('"');
            line.push_str(v);
            line.push('"');
        }
        line.push_str("\r\n");
        self.write(Out::NcVoter, &line)?;
        self.truth(Out::NcVoter, ncid, p.id)?;
        Ok((reg_num, reg))
    }

    fn history(&mut self, p: &Person) -> io::Result<()> {
        if p.ncid.is_empty() {
            return Ok(());
        }
        let (county_id, county, ..) = NC_COUNTIES[p.home.county];
        let pct = self.precincts[p.home.county][p.home.precinct].code.clone();
        for &(d, desc, kind, base) in PAST_ELECTIONS {
            if (d.0 as i32 - p.birth.year as i32) < 18
                || p.registered_on.is_some_and(|r| r > date(d))
            {
                continue;
            }
            let t = p.turnout;
            let prob = match kind {
                Kind::General => (t * base / 0.62).min(0.98),
                Kind::Primary => (t * t * base / 0.42).min(0.95),
                Kind::Municipal => (t * t * base / 0.42).min(0.9),
            };
            if !self.rng.chance(prob) {
                continue;
            }
            let age = d.0 - p.birth.year;
            let method = match (kind, self.rng.below(100)) {
                (Kind::General, x) if x < 8 + (age / 10) as u64 => "ABSENTEE BY MAIL",
                (Kind::General, x) if x < 55 => "EARLY VOTING IN-PERSON",
                (_, x) if x < 3 => "ABSENTEE BY MAIL",
                (_, x) if x < 35 => "ABSENTEE ONESTOP",
                _ => "ELECTION DAY IN-PERSON",
            };
            let voted_party = if kind == Kind::Primary {
                match p.party {
                    "DEM" | "REP" | "LIB" => p.party,
                    _ => *self.rng.pick(&["DEM", "REP"]),
                }
            } else {
                p.party
            };
            let line = format!(
                "{county_id}\t{county}\t{}\t{}\t{desc}\t{method}\t{voted_party}\t\t{pct}\tPRECINCT {pct}\t{}\t{county_id}\t{county}\t{pct}\tPRECINCT {pct}\n",
                p.reg_num,
                mdy(date(d)),
                p.ncid
            );
            self.write(Out::NcVhis, &line)?;
            self.s.history_rows += 1;
            self.history_row += 1;
            self.truth(Out::NcVhis, &format!("{}:{}", p.ncid, date(d)), p.id)?;
            if self.rng.chance(0.01) {
                // Real files repeat rows: history is a set.
                self.write(Out::NcVhis, &line)?;
                self.s.history_rows += 1;
                self.s.history_repeated_rows += 1;
            }
        }
        Ok(())
    }

    fn absentee(&mut self, p: &Person) -> io::Result<()> {
        let (_, county, ..) = NC_COUNTIES[p.home.county];
        let pct = self.precincts[p.home.county][p.home.precinct].code.clone();
        let age = ELECTION.0 - p.birth.year;
        let start = date(EARLY_VOTING_START).to_days();
        let cut = date(FILE_DATE).to_days();
        let mut rows: Vec<(
            String,
            Option<Date>,
            Option<Date>,
            Option<Date>,
            &str,
            String,
        )> = Vec::new();
        if self.rng.chance(0.03 + age as f64 * 0.0012) {
            let req = Date::from_days(date((2026, 9, 1)).to_days() + self.rng.below(50) as i64);
            let sent = Date::from_days(req.to_days().max(date((2026, 9, 19)).to_days()) + 2);
            let (ret, status) = match self.rng.below(10) {
                0..=5 => (
                    Some(Date::from_days(
                        sent.to_days() + 5 + self.rng.below(20) as i64,
                    )),
                    "ACCEPTED",
                ),
                6..=8 => (None, ""),
                _ => (
                    Some(Date::from_days(sent.to_days() + 10)),
                    *self.rng.pick(&[
                        "WITNESS INFO INCOMPLETE",
                        "SIGNATURE DIFFERENT",
                        "SPOILED",
                        "RETURNED UNDELIVERABLE",
                    ]),
                ),
            };
            let ret = ret.filter(|d| d.to_days() <= cut);
            let status = if ret.is_none() { "" } else { status };
            rows.push((
                "MAIL".into(),
                Some(req),
                Some(sent),
                ret,
                status,
                String::new(),
            ));
        }
        if rows.is_empty() && self.rng.chance(p.turnout * 0.42) {
            let day = Date::from_days(start + self.rng.below((cut - start + 1) as u64) as i64);
            rows.push((
                "ONE-STOP".into(),
                Some(day),
                None,
                Some(day),
                "ACCEPTED",
                format!("{county} BOARD OF ELECTIONS"),
            ));
        }
        for (kind, req, sent, ret, status, site) in rows {
            let f = |d: Option<Date>| d.map(mdy).unwrap_or_default();
            let line = csv_line(&[
                county,
                &p.reg_num.to_string(),
                &p.ncid,
                &p.last,
                &p.first,
                &p.middle,
                p.race,
                p.ethnic,
                if p.female { "F" } else { "M" },
                &age.to_string(),
                &format!("{} {}", p.home.house_number, p.home.street),
                p.home.city,
                "NC",
                &p.home.zip,
                &mdy(date(ELECTION)),
                p.party,
                &pct,
                &kind,
                &f(req),
                &f(sent),
                &f(ret),
                status,
                &site,
            ]);
            self.write(Out::Absentee, &line)?;
            self.s.absentee_rows += 1;
            self.absentee_row += 1;
            self.truth(Out::Absentee, &format!("{}:{}", p.ncid, kind), p.id)?;
        }
        Ok(())
    }

    fn support_id(&mut self, support: f64) -> u8 {
        // Field IDs: 1 strong support ... 5 strong oppose.
        let x = (1.0 - support) + self.rng.normal() * 0.12;
        (1.0 + (x * 5.0).floor()).clamp(1.0, 5.0) as u8
    }

    fn field(&mut self, p: &Person) -> io::Result<()> {
        if self.rng.chance(0.05) {
            self.canvass_row += 1;
            let day = Date::from_days(date((2026, 9, 5)).to_days() + self.rng.below(50) as i64);
            let (result, id) = match self.rng.below(100) {
                0..=54 => ("Not Home", String::new()),
                55..=60 => ("Refused", String::new()),
                61..=62 => ("Moved", String::new()),
                _ => ("Contacted", self.support_id(p.support).to_string()),
            };
            let canvasser = format!("vol-{}", 1 + self.rng.below(400));
            let line = csv_line(&[
                &self.canvass_row.to_string(),
                &p.ncid,
                &day.to_string(),
                "door",
                result,
                &id,
                &canvasser,
            ]);
            self.write(Out::Canvass, &line)?;
            self.s.canvass_rows += 1;
            let key = self.canvass_row.to_string();
            self.truth(Out::Canvass, &key, p.id)?;
        }
        if self.rng.chance(0.02) {
            self.experiment_row += 1;
            let treated = self.rng.chance(0.5);
            let after = if self.rng.chance(0.7) {
                self.support_id((p.support + if treated { p.effect } else { 0.0 }).min(1.0))
                    .to_string()
            } else {
                String::new()
            };
            let line = csv_line(&[
                &self.experiment_row.to_string(),
                &p.ncid,
                if treated { "treatment" } else { "control" },
                if treated { "2026-09-20" } else { "" },
                &after,
            ]);
            self.write(Out::Experiment, &line)?;
            self.s.experiment_rows += 1;
            let key = self.experiment_row.to_string();
            self.truth(Out::Experiment, &key, p.id)?;
        }
        Ok(())
    }

    /// The name a person gives on a form: nicknames, typos, a middle initial, a married name.
    fn given_name(&mut self, p: &Person) -> (String, String, String) {
        let mut first = p.first.clone();
        if let Some(n) = nickname(&p.first) {
            if self.rng.chance(0.3) {
                first = n.to_string();
            }
        }
        let mut last = p.last.clone();
        if self.rng.chance(0.03) {
            last = typo(&mut self.rng, &last);
        }
        if p.female && self.rng.chance(0.03) {
            last = weighted(&mut self.rng, &names().last).to_string();
        }
        let middle = if !p.middle.is_empty() && self.rng.chance(0.3) {
            p.middle[..1].to_string()
        } else {
            String::new()
        };
        (first, middle, last)
    }

    fn money(&mut self, p: &Person) -> io::Result<()> {
        if !self.rng.chance(donor_propensity(p)) {
            return Ok(());
        }
        self.s.donors += 1;
        let (first, middle, last) = self.given_name(p);
        let name = if middle.is_empty() {
            format!("{last}, {first}")
        } else {
            format!("{last}, {first} {middle}")
        };
        let moved = self.rng.chance(0.08);
        let (city, zip) = if moved {
            let h = {
                let c = self.pick_county();
                self.new_home(c)
            };
            (h.city, h.zip)
        } else {
            (p.home.city, p.home.zip.clone())
        };
        let employer = *self.rng.pick(places::EMPLOYERS);
        let occupation = *self.rng.pick(places::OCCUPATIONS);
        let at_limit = self.rng.chance(0.06);
        let mut gifts: Vec<(i64, &str)> = Vec::new();
        if at_limit {
            self.s.donors_at_limit += 1;
            gifts.push((CONTRIBUTION_LIMIT_DOLLARS - 500, "G2026"));
            gifts.push((500, "G2026"));
        } else {
            for _ in 0..1 + self.rng.below(4) {
                let amount = *self
                    .rng
                    .pick(&[10, 25, 25, 50, 50, 100, 100, 250, 500, 1000]);
                gifts.push((
                    amount,
                    if self.rng.chance(0.3) {
                        "P2026"
                    } else {
                        "G2026"
                    },
                ));
            }
        }
        if self.rng.chance(0.02) {
            let (a, e) = gifts[0];
            gifts.push((-a, e));
        }
        for (amount, election) in gifts {
            for memo in [false, true] {
                if memo && !self.rng.chance(0.1) {
                    continue;
                }
                self.fec_sub += 1;
                let sub = self.fec_sub;
                let day =
                    Date::from_days(date((2026, 1, 15)).to_days() + self.rng.below(280) as i64);
                let line = format!(
                    "C00790123|N|{}|{election}|2026{:011}|{}|IND|{name}|{city}|NC|{zip}{:04}|{employer}|{occupation}|{:02}{:02}{}|{amount}||SA11AI.{sub}|{}|{}|{}|{sub}\n",
                    if memo { "Q3" } else { "M10" },
                    sub,
                    if memo { "15E" } else { "15" },
                    self.rng.below(10_000),
                    day.month,
                    day.day,
                    day.year,
                    1_800_000 + sub % 1_000,
                    if memo { "X" } else { "" },
                    if memo { "EARMARKED THROUGH CONDUIT" } else { "" },
                );
                self.write(Out::Fec, &line)?;
                self.s.donation_rows += 1;
                self.truth(Out::Fec, &sub.to_string(), p.id)?;
            }
        }
        Ok(())
    }

    fn volunteer(&mut self, p: &Person) -> io::Result<()> {
        if !self.rng.chance(0.012) {
            return Ok(());
        }
        self.s.volunteers += 1;
        if !p.registered {
            self.s.unregistered_volunteers += 1;
        }
        self.volunteer_row += 1;
        let id = format!("MOB{:07}", self.volunteer_row);
        let (mut first, _, mut last) = self.given_name(p);
        if self.rng.chance(0.02) {
            std::mem::swap(&mut first, &mut last);
        }
        let (address, city, zip) = if self.rng.chance(0.08) {
            let h = {
                let c = self.pick_county();
                self.new_home(c)
            };
            (
                format!("{} {}", h.house_number, title(&h.street)),
                h.city,
                h.zip,
            )
        } else if self.rng.chance(0.06) {
            (String::new(), p.home.city, p.home.zip.clone())
        } else {
            (
                format!("{} {}", p.home.house_number, title(&p.home.street)),
                p.home.city,
                p.home.zip.clone(),
            )
        };
        let phone = if self.rng.chance(0.1) {
            String::new()
        } else if self.rng.chance(0.1) {
            self.phone()
        } else {
            p.cell
                .clone()
                .or(p.home.landline.clone())
                .unwrap_or_default()
        };
        let phone = if phone.len() == 10 {
            format!("({}) {}-{}", &phone[..3], &phone[3..6], &phone[6..])
        } else {
            phone
        };
        let email = match &p.email {
            Some(e) if !self.rng.chance(0.1) => e.clone(),
            _ => format!(
                "{}{}@{}",
                first.to_lowercase(),
                self.rng.below(1000),
                self.rng.pick(places::EMAIL_DOMAINS)
            ),
        };
        let signed = Date::from_days(date((2026, 3, 1)).to_days() + self.rng.below(230) as i64);
        let line = csv_line(&[
            &id,
            &title(&first),
            &title(&last),
            &email,
            &phone,
            &address,
            &title(city),
            "NC",
            &zip,
            &signed.to_string(),
            *self.rng.pick(&[
                "canvass",
                "phones",
                "data entry",
                "drive voters",
                "canvass;phones",
            ]),
        ]);
        self.write(Out::Volunteers, &line)?;
        self.truth(Out::Volunteers, &id, p.id)?;
        if self.rng.chance(0.1) {
            self.volunteers_for_trips.push((id.clone(), p.home.county));
        }
        if self.rng.chance(0.4) {
            self.contacts(&id, p)?;
        }
        Ok(())
    }

    fn contacts(&mut self, owner: &str, supporter: &Person) -> io::Result<()> {
        let n = 5 + self.rng.below(40) as usize;
        let vcard = self.rng.chance(0.25);
        for _ in 0..n.min(self.ring.len()) {
            let i = self.rng.below(self.ring.len() as u64) as usize;
            let f = self.ring[i].clone();
            if f.id == supporter.id {
                continue;
            }
            let first = match nickname(&f.first) {
                Some(nick) if self.rng.chance(0.4) => nick.to_string(),
                _ => f.first.clone(),
            };
            let last = if self.rng.chance(0.25) {
                String::new()
            } else {
                f.last.clone()
            };
            let phone = if self.rng.chance(0.6) {
                f.cell.clone().unwrap_or_default()
            } else {
                String::new()
            };
            let email = if self.rng.chance(0.35) {
                f.email.clone().unwrap_or_default()
            } else {
                String::new()
            };
            let city = if self.rng.chance(0.5) {
                title(f.home.city)
            } else {
                String::new()
            };
            let birthday = if self.rng.chance(0.08) {
                f.birth.to_string()
            } else {
                String::new()
            };
            self.contact_row += 1;
            let key = format!("{owner}:{}", self.contact_row);
            if vcard {
                let mut card = String::from("BEGIN:VCARD\r\nVERSION:3.0\r\n");
                card.push_str(&format!(
                    "FN:{}\r\nN:{};{};;;\r\n",
                    title(format!("{first} {last}").trim()),
                    title(&last),
                    title(&first)
                ));
                if !phone.is_empty() {
                    card.push_str(&format!("TEL;TYPE=CELL:+1{phone}\r\n"));
                }
                if !email.is_empty() {
                    card.push_str(&format!("EMAIL:{email}\r\n"));
                }
                if !city.is_empty() {
                    card.push_str(&format!("ADR;TYPE=HOME:;;;{city};NC;;USA\r\n"));
                }
                if !birthday.is_empty() {
                    card.push_str(&format!("BDAY:{birthday}\r\n"));
                }
                card.push_str(&format!(
                    "X-TUSK-SHARED-BY:{owner}\r\nUID:{key}\r\nEND:VCARD\r\n"
                ));
                self.write(Out::ContactsVcf, &card)?;
                self.s.vcards += 1;
                self.truth(Out::ContactsVcf, &key, f.id)?;
            } else {
                let name = title(format!("{first} {last}").trim());
                let line = csv_line(&[
                    owner,
                    &self.contact_row.to_string(),
                    &name,
                    &phone,
                    &email,
                    &city,
                    &birthday,
                ]);
                self.write(Out::Contacts, &line)?;
                self.s.contact_rows += 1;
                self.truth(Out::Contacts, &self.contact_row.to_string(), f.id)?;
            }
        }
        Ok(())
    }

    fn trips(&mut self) -> io::Result<()> {
        let hosts = std::mem::take(&mut self.volunteers_for_trips);
        let counts = TripCounts::for_voters(self.cfg.voters);
        let out = &mut self.out;
        write_trips(&mut self.rng, counts, &hosts, &mut |o, s| {
            out.w(o).write_all(s.as_bytes())
        })
    }
}

/// How many entries the trip board gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TripCounts {
    pub travellers: usize,
    pub drivers: usize,
    pub hosts: usize,
}

impl TripCounts {
    /// The whole campaign's board: one driver and one host per 2,000 voter rows, twice as
    /// many travellers.
    pub fn for_voters(voters: usize) -> TripCounts {
        let scale = (voters / 2_000).max(10);
        TripCounts {
            travellers: 2 * scale,
            drivers: scale,
            hosts: scale,
        }
    }
}

/// Offices' needs per day grow with the travellers: about this many travellers per unit of
/// the base need.
const TRAVELLERS_PER_NEED_UNIT: f64 = 250.0;

/// Writes only the trip planner's five files (`tusk bench trips`): hosts are invented, four in
/// five in an office's county.
pub fn generate_trips<W: Write>(
    seed: u64,
    counts: TripCounts,
    out: &mut Outputs<W>,
) -> io::Result<()> {
    assert_eq!(out.0.len(), Out::ALL.len(), "one writer per Out");
    let mut rng = Rng::new(seed);
    let hosts: Vec<(String, usize)> = (0..counts.hosts)
        .map(|h| {
            let county = if rng.chance(0.8) {
                rng.below(OFFICES as u64) as usize
            } else {
                rng.below(NC_COUNTIES.len() as u64) as usize
            };
            (format!("HOST{:05}", h + 1), county)
        })
        .collect();
    write_trips(&mut rng, counts, &hosts, &mut |o, s| {
        out.w(o).write_all(s.as_bytes())
    })
}

/// Field offices: in the largest counties (the first of `NC_COUNTIES`).
const OFFICES: usize = 6;

fn write_trips(
    rng: &mut Rng,
    counts: TripCounts,
    hosts: &[(String, usize)],
    write: &mut dyn FnMut(Out, &str) -> io::Result<()>,
) -> io::Result<()> {
    // Field offices in the six largest counties, with daily needs for the last 14 days.
    let offices = OFFICES.min(NC_COUNTIES.len());
    let need_scale = counts.travellers as f64 / TRAVELLERS_PER_NEED_UNIT;
    write(Out::Offices, "office_id,name,city,county,lat,lon\n")?;
    write(Out::OfficeNeeds, "office_id,date,shifts_needed\n")?;
    for (i, c) in NC_COUNTIES.iter().take(offices).enumerate() {
        let (_, county, seat, lat, lon, weight, ..) = *c;
        let line = format!(
            "OFF{:02},{} FIELD OFFICE,{seat},{county},{lat:.4},{lon:.4}\n",
            i + 1,
            title(county)
        );
        write(Out::Offices, &line)?;
        for d in 0..14 {
            let day = Date::from_days(date((2026, 10, 21)).to_days() + d);
            let base = weight / 40 + rng.below(10) as u32 + d as u32;
            let need = (base as f64 * need_scale).round() as u32;
            write(Out::OfficeNeeds, &format!("OFF{:02},{day},{need}\n", i + 1))?;
        }
    }
    write(Out::Rides, "ride_id,driver,origin_city,origin_state,origin_lat,origin_lon,office_id,depart_earliest,depart_latest,seats,car,no_smoking,no_pets,no_children,return_date,max_detour_km,wheelchair_accessible\n")?;
    for r in 0..counts.drivers {
        let (city, st, lat, lon) = *rng.pick(places::TRAVEL_ORIGINS);
        let day = Date::from_days(date((2026, 10, 24)).to_days() + rng.below(8) as i64);
        let hour = 6 + rng.below(8);
        let line = format!(
            "RIDE{:05},DRV{:05},{city},{st},{:.4},{:.4},OFF{:02},{day}T{hour:02}:00,{day}T{:02}:00,{},{},{},{},{},{},{},{}\n",
            r + 1,
            r + 1,
            lat + rng.normal() * 0.05,
            lon + rng.normal() * 0.05,
            1 + rng.below(offices as u64),
            hour + 2 + rng.below(3),
            1 + rng.below(4),
            rng.pick(&["sedan", "minivan", "suv", "hatchback"]),
            rng.chance(0.8),
            rng.chance(0.3),
            rng.chance(0.1),
            Date::from_days(day.to_days() + 2 + rng.below(8) as i64),
            10 + 5 * rng.below(11),
            rng.chance(0.1),
        );
        write(Out::Rides, &line)?;
    }
    write(
        Out::Beds,
        "bed_id,host,city,lat,lon,from_date,to_date,beds,no_smoking,no_pets,no_children,wheelchair_accessible\n",
    )?;
    for (b, (host, county)) in hosts.iter().enumerate().take(counts.hosts) {
        let (_, _, seat, lat, lon, ..) = NC_COUNTIES[*county];
        let from = Date::from_days(date((2026, 10, 20)).to_days() + rng.below(7) as i64);
        let line = format!(
            "BED{:05},{host},{seat},{:.4},{:.4},{from},{},{},{},{},{},{}\n",
            b + 1,
            lat + rng.normal() * 0.05,
            lon + rng.normal() * 0.05,
            Date::from_days(from.to_days() + 3 + rng.below(12) as i64),
            1 + rng.below(3),
            rng.chance(0.85),
            rng.chance(0.4),
            rng.chance(0.2),
            rng.chance(0.15),
        );
        write(Out::Beds, &line)?;
    }
    write(Out::TravelRequests, "request_id,traveler,home_city,home_state,lat,lon,preferred_office,from_date,to_date,needs_ride,needs_bed,accessibility,smoker,pet,children\n")?;
    for t in 0..counts.travellers {
        let (city, st, lat, lon) = *rng.pick(places::TRAVEL_ORIGINS);
        let from = Date::from_days(date((2026, 10, 24)).to_days() + rng.below(8) as i64);
        let office = if rng.chance(0.6) {
            format!("OFF{:02}", 1 + rng.below(offices as u64))
        } else {
            String::new()
        };
        let line = format!(
            "TRV{:05},TRAVELER{:05},{city},{st},{:.4},{:.4},{office},{from},{},{},{},{},{},{},{}\n",
            t + 1,
            t + 1,
            lat + rng.normal() * 0.05,
            lon + rng.normal() * 0.05,
            Date::from_days(from.to_days() + 1 + rng.below(9) as i64),
            rng.chance(0.7),
            rng.chance(0.6),
            if rng.chance(0.05) { "wheelchair" } else { "" },
            rng.chance(0.1),
            rng.chance(0.08),
            rng.chance(0.05),
        );
        write(Out::TravelRequests, &line)?;
    }
    Ok(())
}

/// Mapping file for `volunteers.csv` (`tusk import csv --mapping`).
pub const VOLUNTEERS_MAPPING: &str = r#"# Mobilize-style volunteer sign-up export (synthetic).
entity = "volunteers"
source = "mobilize"
state = "NC"

[columns]
id = "Signup ID"
first_name = "First Name"
last_name = "Last Name"
email = "Email"
phone = "Phone"
street_address = "Address"
city = "City"
state = "State"
zip = "Zip"
date = "Signed Up"
"#;

/// Mapping file for `contacts.csv`.
pub const CONTACTS_MAPPING: &str = r#"# Contacts supporters chose to share (synthetic).
entity = "contacts"
source = "shared"

[columns]
owner = "Shared By"
id = "Contact ID"
full_name = "Name"
phone = "Mobile"
email = "Email"
city = "City"
birth_date = "Birthday"
"#;

/// Writes a whole campaign. Returns what was written (also in `truth/summary.json`).
pub fn generate<W: Write>(cfg: &CampaignConfig, out: &mut Outputs<W>) -> io::Result<Summary> {
    generate_with_progress(cfg, out, &|_| {})
}

/// Voter rows between progress calls.
const PROGRESS_EVERY_ROWS: u64 = 50_000;

/// `generate`, calling `progress(voter rows written)` as it goes.
pub fn generate_with_progress<W: Write>(
    cfg: &CampaignConfig,
    out: &mut Outputs<W>,
    progress: &dyn Fn(u64),
) -> io::Result<Summary> {
    assert_eq!(out.0.len(), Out::ALL.len(), "one writer per Out");
    let mut rng = Rng::new(cfg.seed);
    // Precincts: about one per `VOTERS_PER_PRECINCT` voters, at least three per county.
    let total_weight: u32 = NC_COUNTIES.iter().map(|c| c.5).sum();
    let mut precincts = Vec::new();
    let mut senate = 1u16;
    let mut house = 1u16;
    for c in NC_COUNTIES {
        let voters = cfg.voters as f64 * c.5 as f64 / total_weight as f64;
        let n = ((voters / VOTERS_PER_PRECINCT).ceil() as usize).max(3);
        let mut list = Vec::with_capacity(n);
        for i in 0..n {
            list.push(Precinct {
                code: format!("{:02}-{:02}", 1 + i / 20, 1 + i % 20),
                senate: senate + (i / 40) as u16,
                house: house + (i / 15) as u16,
            });
        }
        senate = (senate + 1 + (n / 40) as u16).min(50);
        house = (house + 1 + (n / 15) as u16).min(120);
        precincts.push(list);
    }
    let mut cum = 0u64;
    let county_cum: Vec<u64> = NC_COUNTIES
        .iter()
        .map(|c| {
            cum += c.5 as u64;
            cum
        })
        .collect();
    let precinct_count: usize = precincts.iter().map(Vec::len).sum();
    let mut g = Gen {
        cfg: cfg.clone(),
        rng: Rng::new(rng.next_u64()),
        out,
        s: Summary {
            config: Some(cfg.clone()),
            precincts: precinct_count as u64,
            target_registered_share: REGISTERED_SHARE,
            target_mean_household_adults: {
                let total: u32 = HOUSEHOLD_SIZES.iter().map(|x| x.1).sum();
                HOUSEHOLD_SIZES
                    .iter()
                    .map(|(s, w)| *s as f64 * *w as f64)
                    .sum::<f64>()
                    / total as f64
            },
            ..Default::default()
        },
        precincts,
        county_cum,
        next_person: 0,
        next_household: 0,
        next_ncid: 0,
        reg_nums: vec![100_000; NC_COUNTIES.len()],
        voter_row: 0,
        history_row: 0,
        absentee_row: 0,
        fec_sub: 4_262_026_000_000_000_000,
        volunteer_row: 0,
        contact_row: 0,
        canvass_row: 0,
        experiment_row: 0,
        ring: VecDeque::with_capacity(FRIEND_RING),
        volunteers_for_trips: Vec::new(),
        sums: (0.0, 0.0, 0.0),
        geocoded: std::collections::HashSet::new(),
    };
    // Headers.
    let header: Vec<String> = ingest::formats::ncvoter::LAYOUT_67
        .iter()
        .map(|h| format!("\"{h}\""))
        .collect();
    g.write(Out::NcVoter, &(header.join("\t") + "\r\n"))?;
    g.write(
        Out::NcVhis,
        &(ingest::formats::ncvhis::LAYOUT.join("\t") + "\n"),
    )?;
    g.write(
        Out::Absentee,
        "county_desc,voter_reg_num,ncid,voter_last_name,voter_first_name,voter_middle_name,race,ethnicity,gender,age,voter_street_address,voter_city,voter_state,voter_zip,election_dt,voter_party_code,precinct_desc,ballot_req_type,ballot_req_dt,ballot_send_dt,ballot_rtn_dt,ballot_rtn_status,site_name\n",
    )?;
    g.write(
        Out::Volunteers,
        "Signup ID,First Name,Last Name,Email,Phone,Address,City,State,Zip,Signed Up,Interests\n",
    )?;
    g.write(Out::VolunteersMapping, VOLUNTEERS_MAPPING)?;
    g.write(
        Out::Contacts,
        "Shared By,Contact ID,Name,Mobile,Email,City,Birthday\n",
    )?;
    g.write(Out::ContactsMapping, CONTACTS_MAPPING)?;
    g.write(
        Out::Canvass,
        "result_id,ncid,date,contact_type,result,support_id,canvasser\n",
    )?;
    g.write(
        Out::Experiment,
        "row_id,ncid,group,contacted_on,support_after\n",
    )?;
    g.write(Out::Geocodes, "address,city,state,zip,latitude,longitude\n")?;
    g.write(Out::TruthPeople, "person_id,household_id,registered,true_support,turnout_propensity,persuasion_effect,ncid,first_name,last_name,birth_date,home_lat,home_lon,donor_propensity\n")?;
    g.write(Out::TruthRecords, "file,record_key,person_id\n")?;
    g.write(Out::TruthMalformed, "file,row_number,reason\n")?;
    g.write(Out::Precincts, "county_id,county,precinct,polling_place,polling_address,lat,lon,congressional_district,senate_district,house_district\n")?;
    for (c, list) in g.precincts.iter().enumerate() {
        let (county_id, county, seat, lat, lon, _, _, cd) = NC_COUNTIES[c];
        for p in list {
            let kind = places::POLLING_KINDS
                [(p.code.len() + p.house as usize) % places::POLLING_KINDS.len()];
            let street = places::STREET_NAMES
                [(p.senate as usize * 7 + p.house as usize) % places::STREET_NAMES.len()];
            let line = csv_line(&[
                county_id,
                county,
                &p.code,
                &format!("{street} {kind}"),
                &format!("{} {street} RD, {seat} NC", 100 + p.house as u32 * 13),
                &format!("{:.4}", lat + rng.normal() * 0.06),
                &format!("{:.4}", lon + rng.normal() * 0.06),
                &cd.to_string(),
                &p.senate.to_string(),
                &p.house.to_string(),
            ]);
            g.out.w(Out::Precincts).write_all(line.as_bytes())?;
        }
    }
    let mut next_report = PROGRESS_EVERY_ROWS;
    while g.s.voter_rows < cfg.voters as u64 {
        g.household()?;
        if g.s.voter_rows >= next_report {
            progress(g.s.voter_rows);
            next_report += PROGRESS_EVERY_ROWS;
        }
    }
    progress(g.s.voter_rows);
    g.trips()?;
    let n = g.s.people.max(1) as f64;
    g.s.mean_support = g.sums.0 / n;
    g.s.mean_turnout = g.sums.1 / n;
    g.s.mean_effect = g.sums.2 / n;
    let json = serde_json::to_string_pretty(&g.s).map_err(io::Error::other)?;
    g.write(Out::TruthSummary, &json)?;
    for w in g.out.0.iter_mut() {
        w.flush()?;
    }
    Ok(g.s.clone())
}

/// Who each shared contact really is, from `truth/records.csv` and `truth/people.csv`:
/// contact key (the `contacts.csv` row id, or the vCard `UID`) → (registered, ncid).
pub fn contact_truth(
    records_csv: &str,
    people_csv: &str,
) -> std::collections::HashMap<String, (bool, String)> {
    let mut people: std::collections::HashMap<&str, (bool, &str)> =
        std::collections::HashMap::new();
    for l in people_csv.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        if f.len() > 6 {
            people.insert(f[0], (f[2] == "true", f[6]));
        }
    }
    let mut out = std::collections::HashMap::new();
    for l in records_csv.lines().skip(1) {
        let mut f = l.splitn(3, ',');
        let (Some(file), Some(key), Some(person)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        if file != Out::Contacts.file_name() && file != Out::ContactsVcf.file_name() {
            continue;
        }
        if let Some((registered, ncid)) = people.get(person) {
            out.insert(key.to_string(), (*registered, ncid.to_string()));
        }
    }
    out
}
