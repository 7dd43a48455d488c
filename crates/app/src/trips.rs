//! The trip board's files: field offices, their needs per day, ride offers, bed offers and
//! travel requests (the generator's `field_offices.csv`, `office_needs.csv`, `ride_offers.csv`,
//! `bed_offers.csv`, `travel_requests.csv`; docs/trips.md), each row checked with an error
//! naming the file, the row and the column; and the board as the matcher's `Problem`.

use std::collections::HashMap;
use std::path::Path;

use model::Date;
use thiserror::Error;
use trips::geo::{drive_minutes, road_km, Point};
use trips::plan::{Bed, Flags, Office, Problem, Ride, Traveller};

/// A driver's detour allowance when the offer does not say (road km).
pub const DETOUR_KM_DEFAULT: f64 = 30.0;
/// Most detour a driver may offer (road km).
pub const DETOUR_KM_MAX: f64 = 300.0;
/// Most seats, beds per host.
pub const SEATS_MAX: u32 = 8;
pub const BEDS_PER_HOST_MAX: u32 = 20;
/// Largest board file read.
pub const BOARD_FILE_BYTES_MAX: u64 = 256 << 20;

/// The board files' errors: the file, the row and the column (`crate::csv_file`).
pub use crate::csv_file::FileError as TripsError;
use crate::csv_file::{rows, Cells, Table};

#[derive(Debug, Clone, PartialEq)]
pub struct OfficeRow {
    pub id: String,
    pub name: String,
    pub city: String,
    pub county: String,
    pub at: Point,
    /// Priority: a covered need-day here counts this many times (1 to `OFFICE_WEIGHT_MAX`).
    pub weight: u32,
}

/// Largest office weight (priority).
pub const OFFICE_WEIGHT_MAX: u32 = 10;

#[derive(Debug, Clone, PartialEq)]
pub struct NeedRow {
    pub office: String,
    pub day: Date,
    pub shifts: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RideRow {
    pub id: String,
    pub driver: String,
    pub origin_city: String,
    pub origin_state: String,
    pub at: Point,
    pub office: String,
    pub day: Date,
    pub depart_minute: u32,
    pub depart_latest_minute: u32,
    pub seats: u32,
    pub car: String,
    pub accepts: Flags,
    pub return_day: Option<Date>,
    pub detour_km_max: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BedRow {
    pub id: String,
    pub host: String,
    pub city: String,
    pub at: Point,
    pub from_day: Date,
    pub to_day: Date,
    pub beds: u32,
    pub accepts: Flags,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RequestRow {
    pub id: String,
    pub traveller: String,
    pub home_city: String,
    pub home_state: String,
    pub at: Point,
    /// Preferred office; empty: any.
    pub office: String,
    pub from_day: Date,
    pub to_day: Date,
    pub needs_ride: bool,
    pub needs_bed: bool,
    pub brings: Flags,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Board {
    pub offices: Vec<OfficeRow>,
    pub needs: Vec<NeedRow>,
    pub rides: Vec<RideRow>,
    pub beds: Vec<BedRow>,
    pub requests: Vec<RequestRow>,
}

/// What a ride or host accepts from its "no_…" and "wheelchair_accessible" columns.
fn accepts(c: &Cells) -> Result<Flags, TripsError> {
    Ok(Flags::ALL
        .with(Flags::SMOKER, !c.flag("no_smoking")?)
        .with(Flags::PET, !c.flag("no_pets")?)
        .with(Flags::CHILDREN, !c.flag("no_children")?)
        .with(Flags::WHEELCHAIR, c.flag("wheelchair_accessible")?))
}

pub fn parse_offices(text: &str) -> Result<Vec<OfficeRow>, TripsError> {
    let t = Table::parse("field_offices.csv", text)?;
    rows(&t)
        .map(|c| {
            Ok(OfficeRow {
                id: c.required("office_id")?,
                name: c.required("name")?,
                city: c.text("city")?,
                county: c.opt_text("county"),
                at: c.point("lat", "lon")?,
                weight: if c.opt_text("weight").is_empty() {
                    1
                } else {
                    c.count("weight", 1, OFFICE_WEIGHT_MAX)?
                },
            })
        })
        .collect()
}

pub fn parse_needs(text: &str) -> Result<Vec<NeedRow>, TripsError> {
    let t = Table::parse("office_needs.csv", text)?;
    rows(&t)
        .map(|c| {
            Ok(NeedRow {
                office: c.required("office_id")?,
                day: c.date("date")?,
                shifts: c.count("shifts_needed", 0, 100_000)?,
            })
        })
        .collect()
}

pub fn parse_rides(text: &str) -> Result<Vec<RideRow>, TripsError> {
    let t = Table::parse("ride_offers.csv", text)?;
    rows(&t)
        .map(|c| {
            let (day, depart) = c.date_time("depart_earliest")?;
            let (day2, latest) = c.date_time("depart_latest")?;
            if day2 != day || latest < depart {
                return Err(t.err(
                    c.row,
                    "depart_latest",
                    "must be on the same day as depart_earliest, and not before it",
                ));
            }
            let return_day = c.opt_date("return_date")?;
            if return_day.is_some_and(|r| r < day) {
                return Err(t.err(c.row, "return_date", "is before the departure"));
            }
            if return_day.is_some_and(|r| r.to_days() - day.to_days() > STAY_DAYS_MAX) {
                return Err(t.err(
                    c.row,
                    "return_date",
                    format!("more than {STAY_DAYS_MAX} days after the departure"),
                ));
            }
            let detour = if c.opt_text("max_detour_km").is_empty() {
                DETOUR_KM_DEFAULT
            } else {
                c.number("max_detour_km", 0.0, DETOUR_KM_MAX)?
            };
            Ok(RideRow {
                id: c.required("ride_id")?,
                driver: c.required("driver")?,
                origin_city: c.text("origin_city")?,
                origin_state: c.opt_text("origin_state"),
                at: c.point("origin_lat", "origin_lon")?,
                office: c.required("office_id")?,
                day,
                depart_minute: depart,
                depart_latest_minute: latest,
                seats: c.count("seats", 1, SEATS_MAX)?,
                car: c.opt_text("car"),
                accepts: accepts(&c)?,
                return_day,
                detour_km_max: detour,
            })
        })
        .collect()
}

pub fn parse_beds(text: &str) -> Result<Vec<BedRow>, TripsError> {
    let t = Table::parse("bed_offers.csv", text)?;
    rows(&t)
        .map(|c| {
            let from_day = c.date("from_date")?;
            let to_day = c.date("to_date")?;
            if to_day <= from_day {
                return Err(t.err(c.row, "to_date", "must be after from_date"));
            }
            if to_day.to_days() - from_day.to_days() > STAY_DAYS_MAX {
                return Err(t.err(
                    c.row,
                    "to_date",
                    format!("more than {STAY_DAYS_MAX} nights"),
                ));
            }
            Ok(BedRow {
                id: c.required("bed_id")?,
                host: c.required("host")?,
                city: c.text("city")?,
                at: c.point("lat", "lon")?,
                from_day,
                to_day,
                beds: c.count("beds", 1, BEDS_PER_HOST_MAX)?,
                accepts: accepts(&c)?,
            })
        })
        .collect()
}

pub fn parse_requests(text: &str) -> Result<Vec<RequestRow>, TripsError> {
    let t = Table::parse("travel_requests.csv", text)?;
    rows(&t)
        .map(|c| {
            let from_day = c.date("from_date")?;
            let to_day = c.date("to_date")?;
            if to_day < from_day {
                return Err(t.err(c.row, "to_date", "is before from_date"));
            }
            if to_day.to_days() - from_day.to_days() > STAY_DAYS_MAX {
                return Err(t.err(
                    c.row,
                    "to_date",
                    format!("more than {STAY_DAYS_MAX} days after from_date"),
                ));
            }
            let access = c.opt_text("accessibility").to_ascii_lowercase();
            if !access.is_empty() && access != "wheelchair" {
                return Err(t.err(
                    c.row,
                    "accessibility",
                    format!("{access:?} is not known (empty or wheelchair)"),
                ));
            }
            Ok(RequestRow {
                id: c.required("request_id")?,
                traveller: c.required("traveler")?,
                home_city: c.text("home_city")?,
                home_state: c.opt_text("home_state"),
                at: c.point("lat", "lon")?,
                office: c.opt_text("preferred_office"),
                from_day,
                to_day,
                needs_ride: c.flag("needs_ride")?,
                needs_bed: c.flag("needs_bed")?,
                brings: Flags::NONE
                    .with(Flags::WHEELCHAIR, access == "wheelchair")
                    .with(Flags::SMOKER, c.flag("smoker")?)
                    .with(Flags::PET, c.flag("pet")?)
                    .with(Flags::CHILDREN, c.flag("children")?),
            })
        })
        .collect()
}

/// The five files of a directory (names as the generator writes them).
pub fn read_dir(dir: &Path) -> Result<Board, TripsError> {
    let read = |name: &str| -> Result<String, TripsError> {
        let p = dir.join(name);
        let io = |e: std::io::Error| TripsError::Io {
            file: p.display().to_string(),
            message: e.to_string(),
        };
        let len = std::fs::metadata(&p).map_err(io)?.len();
        if len > BOARD_FILE_BYTES_MAX {
            return Err(TripsError::Limit(format!(
                "{}: {len} bytes, more than {BOARD_FILE_BYTES_MAX}",
                p.display()
            )));
        }
        std::fs::read_to_string(&p).map_err(io)
    };
    let board = Board {
        offices: parse_offices(&read("field_offices.csv")?)?,
        needs: parse_needs(&read("office_needs.csv")?)?,
        rides: parse_rides(&read("ride_offers.csv")?)?,
        beds: parse_beds(&read("bed_offers.csv")?)?,
        requests: parse_requests(&read("travel_requests.csv")?)?,
    };
    board.check()?;
    Ok(board)
}

impl Board {
    /// Cross-file checks: offices named exist, ids are unique, sizes within limits.
    pub fn check(&self) -> Result<(), TripsError> {
        use trips::plan::{BEDS_MAX, OFFICES_MAX, RIDES_MAX, TRAVELLERS_MAX};
        for (n, max, what) in [
            (self.offices.len(), OFFICES_MAX, "offices"),
            (self.rides.len(), RIDES_MAX, "rides"),
            (self.beds.len(), BEDS_MAX, "beds"),
            (self.requests.len(), TRAVELLERS_MAX, "travel requests"),
        ] {
            if n > max {
                return Err(TripsError::Limit(format!(
                    "{n} {what}, more than the planner takes ({max})"
                )));
            }
        }
        let mut ids: HashMap<&str, usize> = HashMap::new();
        for (i, o) in self.offices.iter().enumerate() {
            if ids.insert(&o.id, i).is_some() {
                return Err(row_err(
                    "field_offices.csv",
                    i,
                    "office_id",
                    "appears twice",
                ));
            }
        }
        let known = |file: &str, i: usize, id: &str, column: &str| {
            if id.is_empty() || ids.contains_key(id) {
                Ok(())
            } else {
                Err(row_err(
                    file,
                    i,
                    column,
                    &format!("{id:?} is not an office in field_offices.csv"),
                ))
            }
        };
        let mut days = std::collections::HashSet::new();
        for (i, n) in self.needs.iter().enumerate() {
            known("office_needs.csv", i, &n.office, "office_id")?;
            if !days.insert((n.office.as_str(), n.day)) {
                return Err(row_err(
                    "office_needs.csv",
                    i,
                    "date",
                    &format!("{} appears twice for {}", n.day, n.office),
                ));
            }
        }
        for (i, r) in self.rides.iter().enumerate() {
            known("ride_offers.csv", i, &r.office, "office_id")?;
        }
        for (i, r) in self.requests.iter().enumerate() {
            known("travel_requests.csv", i, &r.office, "preferred_office")?;
        }
        unique(
            "ride_offers.csv",
            "ride_id",
            self.rides.iter().map(|r| r.id.as_str()),
        )?;
        unique(
            "bed_offers.csv",
            "bed_id",
            self.beds.iter().map(|r| r.id.as_str()),
        )?;
        unique(
            "travel_requests.csv",
            "request_id",
            self.requests.iter().map(|r| r.id.as_str()),
        )?;
        // One id space for every post.
        let rides: std::collections::HashSet<&str> =
            self.rides.iter().map(|r| r.id.as_str()).collect();
        for (i, b) in self.beds.iter().enumerate() {
            if rides.contains(b.id.as_str()) {
                return Err(row_err(
                    "bed_offers.csv",
                    i,
                    "bed_id",
                    &format!("{:?} is also a ride's id", b.id),
                ));
            }
        }
        let beds: std::collections::HashSet<&str> =
            self.beds.iter().map(|r| r.id.as_str()).collect();
        for (i, r) in self.requests.iter().enumerate() {
            if rides.contains(r.id.as_str()) || beds.contains(r.id.as_str()) {
                return Err(row_err(
                    "travel_requests.csv",
                    i,
                    "request_id",
                    &format!("{:?} is also a ride's or a bed's id", r.id),
                ));
            }
        }
        Ok(())
    }

    /// The matcher's problem (indices follow the board's vectors).
    pub fn problem(&self) -> Problem {
        let index: HashMap<&str, usize> = self
            .offices
            .iter()
            .enumerate()
            .map(|(i, o)| (o.id.as_str(), i))
            .collect();
        let mut offices: Vec<Office> = self
            .offices
            .iter()
            .map(|o| Office {
                name: o.name.clone(),
                at: o.at,
                weight: o.weight,
                need: Vec::new(),
            })
            .collect();
        for n in &self.needs {
            if let Some(&o) = index.get(n.office.as_str()) {
                offices[o].need.push((n.day.to_days() as i32, n.shifts));
            }
        }
        let rides = self
            .rides
            .iter()
            .filter_map(|r| {
                let office = *index.get(r.office.as_str())?;
                // The driver's window: leave no earlier than the earliest departure and
                // arrive no later than leaving at the latest and driving straight there.
                let direct = road_km(r.at, offices[office].at);
                Some(Ride {
                    name: r.id.clone(),
                    origin: r.at,
                    office,
                    day: r.day.to_days() as i32,
                    depart_minute: r.depart_minute,
                    arrive_by_minute: r.depart_latest_minute + drive_minutes(direct).ceil() as u32,
                    seats: r.seats,
                    detour_km_max: r.detour_km_max,
                    accepts: r.accepts,
                    return_day: r.return_day.map(|d| d.to_days() as i32),
                })
            })
            .collect();
        let beds = self
            .beds
            .iter()
            .map(|b| Bed {
                name: b.id.clone(),
                at: b.at,
                from_day: b.from_day.to_days() as i32,
                to_day: b.to_day.to_days() as i32,
                beds: b.beds,
                accepts: b.accepts,
            })
            .collect();
        let travellers = self
            .requests
            .iter()
            .map(|r| Traveller {
                name: r.id.clone(),
                home: r.at,
                offices: index
                    .get(r.office.as_str())
                    .map(|&o| vec![o])
                    .unwrap_or_default(),
                first_day: r.from_day.to_days() as i32,
                last_day: r.to_day.to_days() as i32,
                needs_ride: r.needs_ride,
                needs_bed: r.needs_bed,
                brings: r.brings,
                avoid_rides: Vec::new(),
                avoid_beds: Vec::new(),
            })
            .collect();
        Problem {
            offices,
            rides,
            beds,
            travellers,
        }
    }
}

fn row_err(file: &str, i: usize, column: &str, message: &str) -> TripsError {
    TripsError::Row {
        file: file.into(),
        row: i as u64 + 2,
        column: column.into(),
        message: message.into(),
    }
}

fn unique<'a>(
    file: &str,
    column: &str,
    ids: impl Iterator<Item = &'a str>,
) -> Result<(), TripsError> {
    let mut seen = std::collections::HashSet::new();
    for (i, id) in ids.enumerate() {
        if !seen.insert(id) {
            return Err(row_err(file, i, column, &format!("{id:?} appears twice")));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The board kept in the store: posts, offices, plans, answers, itineraries, messages.
// ---------------------------------------------------------------------------------------

use serde::{Deserialize, Serialize};
use store::sql::Sql;
use store::trips as kept;

/// Characters of a message at most.
pub const MESSAGE_CHARS_MAX: usize = 1_000;
/// Messages one person may send per hour.
pub const MESSAGES_PER_HOUR_MAX: i64 = 30;
/// Open posts one person may have at once.
pub const POSTS_PER_PERSON_MAX: usize = 20;
/// Characters of a free-text field (names, cities, contact, car).
pub const TEXT_CHARS_MAX: usize = 100;
/// Days a bed offer or a travel request may span.
pub const STAY_DAYS_MAX: i64 = 60;
/// Entries of one office-needs update.
pub const NEED_DAYS_MAX: usize = 366;

/// The places known by name (`data/places.csv`).
const PLACES: &str = include_str!("../data/places.csv");

/// (lat, lon) of a city known by name.
pub fn place(city: &str, state: &str) -> Option<Point> {
    let (c, s) = (
        city.trim().to_ascii_uppercase(),
        state.trim().to_ascii_uppercase(),
    );
    PLACES
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("city,"))
        .find_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f.len() == 4 && f[0] == c && f[1] == s)
                .then(|| Some(Point::new(f[2].parse().ok()?, f[3].parse().ok()?)))
                .flatten()
        })
}

/// Why an operation on the board was refused.
#[derive(Debug, Error)]
pub enum BoardError {
    #[error("{field}: {message}")]
    Field {
        field: &'static str,
        message: String,
    },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{message}")]
    RateLimited { message: String, retry_seconds: u64 },
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    File(#[from] TripsError),
}

fn bad(field: &'static str, message: impl Into<String>) -> BoardError {
    BoardError::Field {
        field,
        message: message.into(),
    }
}

/// A ride offered by a driver (the API's and the page's form; kept as the post's body).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RideOffer {
    /// How the driver wants to be called once a match is accepted.
    pub name: String,
    /// Phone or e-mail, shown to the travellers only once both sides accepted.
    #[serde(default)]
    pub contact: String,
    pub origin_city: String,
    pub origin_state: String,
    /// Where the ride starts; found from the city when not given.
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lon: Option<f64>,
    pub office_id: String,
    /// YYYY-MM-DD.
    pub date: String,
    /// HH:MM, the earliest and latest departure.
    pub depart_earliest: String,
    pub depart_latest: String,
    pub seats: u32,
    #[serde(default)]
    pub car: String,
    #[serde(default)]
    pub no_smoking: bool,
    #[serde(default)]
    pub no_pets: bool,
    #[serde(default)]
    pub no_children: bool,
    #[serde(default)]
    pub wheelchair_accessible: bool,
    #[serde(default)]
    pub return_date: Option<String>,
    /// Road km the driver accepts beyond the direct route (default `DETOUR_KM_DEFAULT`).
    #[serde(default)]
    pub max_detour_km: Option<f64>,
}

/// Beds offered by a host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BedOffer {
    pub name: String,
    #[serde(default)]
    pub contact: String,
    pub city: String,
    pub state: String,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lon: Option<f64>,
    /// First night (check-in day) and check-out day.
    pub from_date: String,
    pub to_date: String,
    pub beds: u32,
    #[serde(default)]
    pub no_smoking: bool,
    #[serde(default)]
    pub no_pets: bool,
    #[serde(default)]
    pub no_children: bool,
    #[serde(default)]
    pub wheelchair_accessible: bool,
}

/// A traveller's request for a ride and/or a bed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TravelRequest {
    pub name: String,
    #[serde(default)]
    pub contact: String,
    pub home_city: String,
    pub home_state: String,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lon: Option<f64>,
    /// The office they want to work at; none: wherever they are needed.
    #[serde(default)]
    pub office_id: Option<String>,
    /// First and last day they can work.
    pub from_date: String,
    pub to_date: String,
    pub needs_ride: bool,
    pub needs_bed: bool,
    #[serde(default)]
    pub wheelchair: bool,
    #[serde(default)]
    pub smoker: bool,
    #[serde(default)]
    pub pet: bool,
    #[serde(default)]
    pub children: bool,
}

/// One office as kept (`trip_offices.body`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfficeBody {
    pub name: String,
    pub city: String,
    pub county: String,
    pub lat: f64,
    pub lon: f64,
    #[serde(default = "weight_one")]
    pub weight: u32,
}

fn weight_one() -> u32 {
    1
}

fn check_text(field: &'static str, v: &str, required: bool) -> Result<(), BoardError> {
    if required && v.trim().is_empty() {
        return Err(bad(field, "is empty"));
    }
    if v.chars().count() > TEXT_CHARS_MAX {
        return Err(bad(field, format!("more than {TEXT_CHARS_MAX} characters")));
    }
    if v.chars().any(|c| c.is_control()) {
        return Err(bad(field, "has control characters"));
    }
    Ok(())
}

fn check_date(field: &'static str, v: &str) -> Result<Date, BoardError> {
    Date::parse(v.trim()).ok_or_else(|| bad(field, format!("{v:?} is not a date (YYYY-MM-DD)")))
}

fn check_minute(field: &'static str, v: &str) -> Result<u32, BoardError> {
    let e = || bad(field, format!("{v:?} is not a time (HH:MM)"));
    let (h, m) = v.trim().split_once(':').ok_or_else(e)?;
    let (h, m): (u32, u32) = (h.parse().map_err(|_| e())?, m.parse().map_err(|_| e())?);
    if h > 23 || m > 59 {
        return Err(e());
    }
    Ok(h * 60 + m)
}

fn check_point(
    lat: Option<f64>,
    lon: Option<f64>,
    city: &str,
    state: &str,
    city_field: &'static str,
) -> Result<Point, BoardError> {
    match (lat, lon) {
        (Some(a), Some(o)) => {
            if !(-90.0..=90.0).contains(&a) || !a.is_finite() {
                return Err(bad("lat", "must be between -90 and 90"));
            }
            if !(-180.0..=180.0).contains(&o) || !o.is_finite() {
                return Err(bad("lon", "must be between -180 and 180"));
            }
            Ok(Point::new(a, o))
        }
        (Some(_), None) => Err(bad("lon", "is needed with lat")),
        (None, Some(_)) => Err(bad("lat", "is needed with lon")),
        (None, None) => place(city, state).ok_or_else(|| {
            bad(
                city_field,
                format!(
                    "{}, {} is not a place Tusk knows by name; give lat and lon",
                    city.trim(),
                    state.trim()
                ),
            )
        }),
    }
}

fn check_state(field: &'static str, v: &str) -> Result<(), BoardError> {
    if v.len() != 2 || !v.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(bad(field, format!("{v:?} is not a two-letter state")));
    }
    Ok(())
}

fn office_known(offices: &[OfficeRow], id: &str) -> Result<(), BoardError> {
    if offices.iter().any(|o| o.id == id) {
        Ok(())
    } else {
        Err(bad("office_id", format!("{id:?} is not a field office")))
    }
}

impl RideOffer {
    /// The offer checked, as the planner's row.
    pub fn row(&self, id: &str, offices: &[OfficeRow]) -> Result<RideRow, BoardError> {
        check_text("name", &self.name, true)?;
        check_text("contact", &self.contact, false)?;
        check_text("origin_city", &self.origin_city, true)?;
        check_state("origin_state", &self.origin_state)?;
        check_text("car", &self.car, false)?;
        office_known(offices, &self.office_id)?;
        let day = check_date("date", &self.date)?;
        let depart = check_minute("depart_earliest", &self.depart_earliest)?;
        let latest = check_minute("depart_latest", &self.depart_latest)?;
        if latest < depart {
            return Err(bad("depart_latest", "is before depart_earliest"));
        }
        if !(1..=SEATS_MAX).contains(&self.seats) {
            return Err(bad("seats", format!("must be 1 to {SEATS_MAX}")));
        }
        let return_day = match &self.return_date {
            Some(r) if !r.trim().is_empty() => {
                let r = check_date("return_date", r)?;
                if r < day {
                    return Err(bad("return_date", "is before the departure"));
                }
                if r.to_days() - day.to_days() > STAY_DAYS_MAX {
                    return Err(bad(
                        "return_date",
                        format!("more than {STAY_DAYS_MAX} days after the departure"),
                    ));
                }
                Some(r)
            }
            _ => None,
        };
        let detour = self.max_detour_km.unwrap_or(DETOUR_KM_DEFAULT);
        if !(0.0..=DETOUR_KM_MAX).contains(&detour) || !detour.is_finite() {
            return Err(bad(
                "max_detour_km",
                format!("must be 0 to {DETOUR_KM_MAX}"),
            ));
        }
        Ok(RideRow {
            id: id.into(),
            driver: self.name.trim().into(),
            origin_city: self.origin_city.trim().to_ascii_uppercase(),
            origin_state: self.origin_state.to_ascii_uppercase(),
            at: check_point(
                self.lat,
                self.lon,
                &self.origin_city,
                &self.origin_state,
                "origin_city",
            )?,
            office: self.office_id.clone(),
            day,
            depart_minute: depart,
            depart_latest_minute: latest,
            seats: self.seats,
            car: self.car.trim().into(),
            accepts: Flags::ALL
                .with(Flags::SMOKER, !self.no_smoking)
                .with(Flags::PET, !self.no_pets)
                .with(Flags::CHILDREN, !self.no_children)
                .with(Flags::WHEELCHAIR, self.wheelchair_accessible),
            return_day,
            detour_km_max: detour,
        })
    }

    fn from_row(r: &RideRow) -> RideOffer {
        let hm = |m: u32| format!("{:02}:{:02}", m / 60, m % 60);
        RideOffer {
            name: r.driver.clone(),
            contact: String::new(),
            origin_city: r.origin_city.clone(),
            origin_state: r.origin_state.clone(),
            lat: Some(r.at.lat),
            lon: Some(r.at.lon),
            office_id: r.office.clone(),
            date: r.day.to_string(),
            depart_earliest: hm(r.depart_minute),
            depart_latest: hm(r.depart_latest_minute),
            seats: r.seats,
            car: r.car.clone(),
            no_smoking: !r.accepts.has(Flags::SMOKER),
            no_pets: !r.accepts.has(Flags::PET),
            no_children: !r.accepts.has(Flags::CHILDREN),
            wheelchair_accessible: r.accepts.has(Flags::WHEELCHAIR),
            return_date: r.return_day.map(|d| d.to_string()),
            max_detour_km: Some(r.detour_km_max),
        }
    }
}

impl BedOffer {
    pub fn row(&self, id: &str) -> Result<BedRow, BoardError> {
        check_text("name", &self.name, true)?;
        check_text("contact", &self.contact, false)?;
        check_text("city", &self.city, true)?;
        check_state("state", &self.state)?;
        let from_day = check_date("from_date", &self.from_date)?;
        let to_day = check_date("to_date", &self.to_date)?;
        if to_day <= from_day {
            return Err(bad(
                "to_date",
                "must be after from_date (the check-out day)",
            ));
        }
        if to_day.to_days() - from_day.to_days() > STAY_DAYS_MAX {
            return Err(bad("to_date", format!("more than {STAY_DAYS_MAX} nights")));
        }
        if !(1..=BEDS_PER_HOST_MAX).contains(&self.beds) {
            return Err(bad("beds", format!("must be 1 to {BEDS_PER_HOST_MAX}")));
        }
        Ok(BedRow {
            id: id.into(),
            host: self.name.trim().into(),
            city: self.city.trim().to_ascii_uppercase(),
            at: check_point(self.lat, self.lon, &self.city, &self.state, "city")?,
            from_day,
            to_day,
            beds: self.beds,
            accepts: Flags::ALL
                .with(Flags::SMOKER, !self.no_smoking)
                .with(Flags::PET, !self.no_pets)
                .with(Flags::CHILDREN, !self.no_children)
                .with(Flags::WHEELCHAIR, self.wheelchair_accessible),
        })
    }

    fn from_row(b: &BedRow) -> BedOffer {
        BedOffer {
            name: b.host.clone(),
            contact: String::new(),
            city: b.city.clone(),
            state: "NC".into(),
            lat: Some(b.at.lat),
            lon: Some(b.at.lon),
            from_date: b.from_day.to_string(),
            to_date: b.to_day.to_string(),
            beds: b.beds,
            no_smoking: !b.accepts.has(Flags::SMOKER),
            no_pets: !b.accepts.has(Flags::PET),
            no_children: !b.accepts.has(Flags::CHILDREN),
            wheelchair_accessible: b.accepts.has(Flags::WHEELCHAIR),
        }
    }
}

impl TravelRequest {
    pub fn row(&self, id: &str, offices: &[OfficeRow]) -> Result<RequestRow, BoardError> {
        check_text("name", &self.name, true)?;
        check_text("contact", &self.contact, false)?;
        check_text("home_city", &self.home_city, true)?;
        check_state("home_state", &self.home_state)?;
        let office = self.office_id.clone().unwrap_or_default();
        if !office.is_empty() {
            office_known(offices, &office)?;
        }
        let from_day = check_date("from_date", &self.from_date)?;
        let to_day = check_date("to_date", &self.to_date)?;
        if to_day < from_day {
            return Err(bad("to_date", "is before from_date"));
        }
        if to_day.to_days() - from_day.to_days() > STAY_DAYS_MAX {
            return Err(bad(
                "to_date",
                format!("more than {STAY_DAYS_MAX} days after from_date"),
            ));
        }
        Ok(RequestRow {
            id: id.into(),
            traveller: self.name.trim().into(),
            home_city: self.home_city.trim().to_ascii_uppercase(),
            home_state: self.home_state.to_ascii_uppercase(),
            at: check_point(
                self.lat,
                self.lon,
                &self.home_city,
                &self.home_state,
                "home_city",
            )?,
            office,
            from_day,
            to_day,
            needs_ride: self.needs_ride,
            needs_bed: self.needs_bed,
            brings: Flags::NONE
                .with(Flags::WHEELCHAIR, self.wheelchair)
                .with(Flags::SMOKER, self.smoker)
                .with(Flags::PET, self.pet)
                .with(Flags::CHILDREN, self.children),
        })
    }

    fn from_row(r: &RequestRow) -> TravelRequest {
        TravelRequest {
            name: r.traveller.clone(),
            contact: String::new(),
            home_city: r.home_city.clone(),
            home_state: r.home_state.clone(),
            lat: Some(r.at.lat),
            lon: Some(r.at.lon),
            office_id: (!r.office.is_empty()).then(|| r.office.clone()),
            from_date: r.from_day.to_string(),
            to_date: r.to_day.to_string(),
            needs_ride: r.needs_ride,
            needs_bed: r.needs_bed,
            wheelchair: r.brings.has(Flags::WHEELCHAIR),
            smoker: r.brings.has(Flags::SMOKER),
            pet: r.brings.has(Flags::PET),
            children: r.brings.has(Flags::CHILDREN),
        }
    }
}

/// A post of any kind, as submitted.
#[derive(Debug, Clone, PartialEq)]
pub enum Offer {
    Ride(RideOffer),
    Bed(BedOffer),
    Request(TravelRequest),
}

impl Offer {
    pub fn kind(&self) -> &'static str {
        match self {
            Offer::Ride(_) => "ride",
            Offer::Bed(_) => "bed",
            Offer::Request(_) => "request",
        }
    }
    fn body(&self) -> String {
        match self {
            Offer::Ride(x) => serde_json::to_string(x),
            Offer::Bed(x) => serde_json::to_string(x),
            Offer::Request(x) => serde_json::to_string(x),
        }
        .unwrap_or_default()
    }
    fn parse(kind: &str, body: &str) -> Option<Offer> {
        match kind {
            "ride" => serde_json::from_str(body).ok().map(Offer::Ride),
            "bed" => serde_json::from_str(body).ok().map(Offer::Bed),
            "request" => serde_json::from_str(body).ok().map(Offer::Request),
            _ => None,
        }
    }
    /// Checked against the offices; coordinates filled in from the city when missing.
    fn checked(mut self, id: &str, offices: &[OfficeRow]) -> Result<Offer, BoardError> {
        match &mut self {
            Offer::Ride(x) => {
                let r = x.row(id, offices)?;
                (x.lat, x.lon) = (Some(r.at.lat), Some(r.at.lon));
            }
            Offer::Bed(x) => {
                let r = x.row(id)?;
                (x.lat, x.lon) = (Some(r.at.lat), Some(r.at.lon));
            }
            Offer::Request(x) => {
                let r = x.row(id, offices)?;
                (x.lat, x.lon) = (Some(r.at.lat), Some(r.at.lon));
            }
        }
        Ok(self)
    }
    fn name(&self) -> &str {
        match self {
            Offer::Ride(x) => &x.name,
            Offer::Bed(x) => &x.name,
            Offer::Request(x) => &x.name,
        }
    }
    fn contact(&self) -> &str {
        match self {
            Offer::Ride(x) => &x.contact,
            Offer::Bed(x) => &x.contact,
            Offer::Request(x) => &x.contact,
        }
    }
}

/// Offices as the planner reads them.
fn office_rows(sql: &mut dyn Sql) -> Result<Vec<OfficeRow>, BoardError> {
    kept::offices(sql)?
        .into_iter()
        .map(|(id, body)| {
            let b: OfficeBody = serde_json::from_str(&body).map_err(|e| {
                BoardError::Conflict(format!("office {id}: its stored body is unreadable: {e}"))
            })?;
            Ok(OfficeRow {
                id,
                name: b.name,
                city: b.city,
                county: b.county,
                at: Point::new(b.lat, b.lon),
                weight: b.weight,
            })
        })
        .collect()
}

fn new_id(kind: &str) -> Result<String, BoardError> {
    let b = auth::random_bytes::<6>()
        .map_err(|e| BoardError::Conflict(format!("no random id: {e}")))?;
    Ok(format!("{kind}-{}", auth::hex(&b)))
}

/// Posts an offer or a request for `owner`. Returns the post.
pub fn post(
    sql: &mut dyn Sql,
    owner: i64,
    offer: Offer,
    now: &str,
) -> Result<kept::Post, BoardError> {
    let offices = office_rows(sql)?;
    let open = kept::posts(sql, None, Some("open"), Some(owner))?;
    if open.len() >= POSTS_PER_PERSON_MAX {
        return Err(BoardError::Conflict(format!(
            "you have {POSTS_PER_PERSON_MAX} open posts, the most one person may have; cancel one first"
        )));
    }
    let id = new_id(offer.kind())?;
    let offer = offer.checked(&id, &offices)?;
    let p = kept::Post {
        id,
        kind: offer.kind().into(),
        owner_id: Some(owner),
        status: "open".into(),
        body: offer.body(),
        created_at: now.into(),
        updated_at: now.into(),
    };
    kept::put_posts(sql, std::slice::from_ref(&p))?;
    Ok(p)
}

/// Whether `user` may change `post` (its owner, or a trip manager).
fn owned(p: &kept::Post, user: i64, manager: bool) -> Result<(), BoardError> {
    if p.owner_id == Some(user) || manager {
        Ok(())
    } else {
        Err(BoardError::NotFound(format!("no post {} of yours", p.id)))
    }
}

fn get_post(sql: &mut dyn Sql, id: &str) -> Result<kept::Post, BoardError> {
    kept::get_post(sql, id)?.ok_or_else(|| BoardError::NotFound(format!("no post {id}")))
}

/// Replaces an open post's content (same kind). Its assignments are removed (re-planned).
pub fn change(
    sql: &mut dyn Sql,
    user: i64,
    manager: bool,
    id: &str,
    offer: Offer,
    now: &str,
) -> Result<kept::Post, BoardError> {
    let p = get_post(sql, id)?;
    owned(&p, user, manager)?;
    if p.status != "open" {
        return Err(BoardError::Conflict(format!("post {id} is {}", p.status)));
    }
    if p.kind != offer.kind() {
        return Err(bad(
            "kind",
            format!("post {id} is a {}, not a {}", p.kind, offer.kind()),
        ));
    }
    let offices = office_rows(sql)?;
    let offer = offer.checked(id, &offices)?;
    kept::change_post(sql, id, "open", &offer.body(), now)?;
    get_post(sql, id)
}

/// Cancels a post. Its assignments are removed (re-planned). Returns how many.
pub fn cancel(
    sql: &mut dyn Sql,
    user: i64,
    manager: bool,
    id: &str,
    now: &str,
) -> Result<u64, BoardError> {
    let p = get_post(sql, id)?;
    owned(&p, user, manager)?;
    if p.status == "cancelled" {
        return Ok(0);
    }
    Ok(kept::change_post(sql, id, "cancelled", &p.body, now)?)
}

/// An open post as anyone on the board sees it: no name, no contact, no exact place.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoardEntry {
    pub id: String,
    pub kind: String,
    /// Town and state (rides: where they leave from; beds: where the host lives; requests:
    /// where the traveller lives).
    pub city: String,
    pub state: String,
    /// The office (rides; requests that name one).
    pub office_id: Option<String>,
    pub from_date: String,
    pub to_date: Option<String>,
    /// Seats or beds offered.
    pub places: Option<u32>,
    /// What the ride or host accepts, or what the traveller brings/needs.
    pub notes: Vec<String>,
    /// Placed by the current plan (rides: seats taken; beds: guests; requests: placed or not).
    pub taken: u32,
    pub mine: bool,
}

fn accept_notes(
    no_smoking: bool,
    no_pets: bool,
    no_children: bool,
    wheelchair: bool,
) -> Vec<String> {
    let mut v = Vec::new();
    if no_smoking {
        v.push("no smoking".into());
    }
    if no_pets {
        v.push("no pets".into());
    }
    if no_children {
        v.push("no children".into());
    }
    if wheelchair {
        v.push("wheelchair accessible".into());
    }
    v
}

/// Filters of the board.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoardFilter {
    pub kind: Option<String>,
    pub office_id: Option<String>,
    /// Posts that cover this day.
    pub date: Option<String>,
    pub state: Option<String>,
}

/// Entries shown per page of the board at most.
pub const BOARD_PAGE_MAX: usize = 500;

/// The open posts, filtered (at most `BOARD_PAGE_MAX`).
pub fn board(sql: &mut dyn Sql, user: i64, f: &BoardFilter) -> Result<Vec<BoardEntry>, BoardError> {
    if let Some(k) = &f.kind {
        if !["ride", "bed", "request"].contains(&k.as_str()) {
            return Err(bad("kind", format!("{k:?} is not ride, bed or request")));
        }
    }
    let day = f
        .date
        .as_deref()
        .map(|d| check_date("date", d))
        .transpose()?;
    let assignments = kept::assignments(sql)?;
    let mut out = Vec::new();
    for p in kept::posts(sql, f.kind.as_deref(), Some("open"), None)? {
        let Some(offer) = Offer::parse(&p.kind, &p.body) else {
            continue;
        };
        let e = match &offer {
            Offer::Ride(x) => BoardEntry {
                id: p.id.clone(),
                kind: p.kind.clone(),
                city: x.origin_city.clone(),
                state: x.origin_state.clone(),
                office_id: Some(x.office_id.clone()),
                from_date: x.date.clone(),
                to_date: x.return_date.clone(),
                places: Some(x.seats),
                notes: {
                    let mut v = vec![format!("leaves {}–{}", x.depart_earliest, x.depart_latest)];
                    v.extend(accept_notes(
                        x.no_smoking,
                        x.no_pets,
                        x.no_children,
                        x.wheelchair_accessible,
                    ));
                    v
                },
                taken: assignments
                    .iter()
                    .filter(|a| a.ride_id.as_deref() == Some(&p.id))
                    .count() as u32,
                mine: p.owner_id == Some(user),
            },
            Offer::Bed(x) => BoardEntry {
                id: p.id.clone(),
                kind: p.kind.clone(),
                city: x.city.clone(),
                state: x.state.clone(),
                office_id: None,
                from_date: x.from_date.clone(),
                to_date: Some(x.to_date.clone()),
                places: Some(x.beds),
                notes: accept_notes(
                    x.no_smoking,
                    x.no_pets,
                    x.no_children,
                    x.wheelchair_accessible,
                ),
                taken: assignments
                    .iter()
                    .filter(|a| a.bed_id.as_deref() == Some(&p.id))
                    .count() as u32,
                mine: p.owner_id == Some(user),
            },
            Offer::Request(x) => BoardEntry {
                id: p.id.clone(),
                kind: p.kind.clone(),
                city: x.home_city.clone(),
                state: x.home_state.clone(),
                office_id: x.office_id.clone(),
                from_date: x.from_date.clone(),
                to_date: Some(x.to_date.clone()),
                places: None,
                notes: {
                    let mut v = Vec::new();
                    if x.needs_ride {
                        v.push("needs a ride".into());
                    }
                    if x.needs_bed {
                        v.push("needs a bed".into());
                    }
                    // Not what they bring (a wheelchair, children…): that is for the
                    // planner and, once matched, the people concerned.
                    v
                },
                taken: assignments.iter().any(|a| a.request_id == p.id) as u32,
                mine: p.owner_id == Some(user),
            },
        };
        if f.office_id
            .as_ref()
            .is_some_and(|o| e.office_id.as_ref() != Some(o))
        {
            continue;
        }
        if f.state
            .as_ref()
            .is_some_and(|s| !e.state.eq_ignore_ascii_case(s))
        {
            continue;
        }
        if let Some(d) = day {
            let from = Date::parse(&e.from_date);
            let to = e.to_date.as_deref().and_then(Date::parse).or(from);
            if !(from.is_some_and(|f| f <= d) && to.is_some_and(|t| t >= d)) {
                continue;
            }
        }
        out.push(e);
        if out.len() >= BOARD_PAGE_MAX {
            break;
        }
    }
    Ok(out)
}

/// Loads the board files of `dir` into the store: offices and needs replaced, posts from the
/// files added (owned by no one; an id already there is replaced). Every row is checked
/// before anything is written. Returns (offices, needs, rides, beds, requests).
pub fn import_dir(
    sql: &mut dyn Sql,
    dir: &Path,
    now: &str,
    actor: &str,
) -> Result<(usize, usize, usize, usize, usize), BoardError> {
    let b = read_dir(dir)?;
    let offices: Vec<(String, String)> = b
        .offices
        .iter()
        .map(|o| {
            (
                o.id.clone(),
                serde_json::to_string(&OfficeBody {
                    name: o.name.clone(),
                    city: o.city.clone(),
                    county: o.county.clone(),
                    lat: o.at.lat,
                    lon: o.at.lon,
                    weight: o.weight,
                })
                .unwrap_or_default(),
            )
        })
        .collect();
    let needs: Vec<(String, String, i64)> = b
        .needs
        .iter()
        .map(|n| (n.office.clone(), n.day.to_string(), n.shifts as i64))
        .collect();
    // Every post passes the same checks as one posted on the board (an error names the
    // file, row and field), so that planning never leaves an imported post out.
    let rows: Vec<(&str, usize, Offer, &str)> = b
        .rides
        .iter()
        .enumerate()
        .map(|(i, r)| {
            (
                "ride_offers.csv",
                i,
                Offer::Ride(RideOffer::from_row(r)),
                r.id.as_str(),
            )
        })
        .chain(b.beds.iter().enumerate().map(|(i, r)| {
            (
                "bed_offers.csv",
                i,
                Offer::Bed(BedOffer::from_row(r)),
                r.id.as_str(),
            )
        }))
        .chain(b.requests.iter().enumerate().map(|(i, r)| {
            (
                "travel_requests.csv",
                i,
                Offer::Request(TravelRequest::from_row(r)),
                r.id.as_str(),
            )
        }))
        .collect();
    let mut posts = Vec::with_capacity(rows.len());
    for (file, i, offer, id) in rows {
        let offer = offer.checked(id, &b.offices).map_err(|e| match e {
            BoardError::Field { field, message } => BoardError::File(TripsError::Row {
                file: file.into(),
                row: i as u64 + 2,
                column: field.into(),
                message,
            }),
            other => other,
        })?;
        posts.push(kept::Post {
            id: id.into(),
            kind: offer.kind().into(),
            owner_id: None,
            status: "open".into(),
            body: offer.body(),
            created_at: now.into(),
            updated_at: now.into(),
        });
    }
    // A post already there: unchanged, left alone; cancelled, stays cancelled; changed, its
    // assignments follow the change (`change_post`).
    let existing: HashMap<String, kept::Post> = kept::posts(sql, None, None, None)?
        .into_iter()
        .map(|p| (p.id.clone(), p))
        .collect();
    let mut new = Vec::new();
    let mut changed = Vec::new();
    for p in posts {
        match existing.get(&p.id) {
            None => new.push(p),
            Some(old) if old.status != "open" || old.body == p.body => {}
            Some(old) if old.kind != p.kind => {
                return Err(BoardError::Conflict(format!(
                    "{} is a {} on the board, not a {}",
                    p.id, old.kind, p.kind
                )))
            }
            Some(_) => changed.push(p),
        }
    }
    kept::replace_offices(sql, &offices, &needs, now)?;
    kept::put_posts(sql, &new)?;
    for p in &changed {
        kept::change_post(sql, &p.id, "open", &p.body, now)?;
    }
    store::accounts::audit(
        sql,
        now,
        actor,
        "trips_import",
        &dir.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        &serde_json::json!({"offices": b.offices.len(), "needs": b.needs.len(), "rides": b.rides.len(), "beds": b.beds.len(), "requests": b.requests.len()}),
    )?;
    Ok((
        b.offices.len(),
        b.needs.len(),
        b.rides.len(),
        b.beds.len(),
        b.requests.len(),
    ))
}

/// Whether `office` is in one of `counties` (an organizer's regions; case-insensitive).
pub fn office_in(sql: &mut dyn Sql, office: &str, counties: &[String]) -> Result<bool, BoardError> {
    Ok(office_rows(sql)?
        .iter()
        .any(|o| o.id == office && counties.iter().any(|c| c.eq_ignore_ascii_case(&o.county))))
}

/// Sets an office's needs for some days.
pub fn set_needs(
    sql: &mut dyn Sql,
    office: &str,
    days: &[(String, i64)],
    weight: Option<u32>,
    now: &str,
    actor: &str,
) -> Result<(), BoardError> {
    let offices = office_rows(sql)?;
    let Some(row) = offices.iter().find(|o| o.id == office) else {
        return Err(BoardError::NotFound(format!("no field office {office}")));
    };
    if let Some(w) = weight {
        if !(1..=OFFICE_WEIGHT_MAX).contains(&w) {
            return Err(bad("weight", format!("must be 1 to {OFFICE_WEIGHT_MAX}")));
        }
    }
    if days.len() > NEED_DAYS_MAX {
        return Err(bad("days", format!("more than {NEED_DAYS_MAX} entries")));
    }
    let mut checked = Vec::with_capacity(days.len());
    for (d, n) in days {
        let day = check_date("date", d)?;
        if !(0..=100_000).contains(n) {
            return Err(bad("shifts", format!("{n} is outside 0..100000")));
        }
        checked.push((day.to_string(), *n));
    }
    kept::set_needs(sql, office, &checked)?;
    if let Some(w) = weight {
        let body = OfficeBody {
            name: row.name.clone(),
            city: row.city.clone(),
            county: row.county.clone(),
            lat: row.at.lat,
            lon: row.at.lon,
            weight: w,
        };
        kept::set_office(
            sql,
            office,
            &serde_json::to_string(&body).unwrap_or_default(),
            now,
        )?;
    }
    store::accounts::audit(
        sql,
        now,
        actor,
        "trips_needs",
        office,
        &serde_json::json!({"days": checked.len(), "weight": weight}),
    )?;
    Ok(())
}

/// An office with its needs and what the current plan covers, per day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OfficeView {
    pub id: String,
    pub name: String,
    pub city: String,
    pub county: String,
    pub weight: u32,
    pub days: Vec<OfficeDay>,
    pub needed: u64,
    pub planned: u64,
    pub accepted: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OfficeDay {
    pub date: String,
    pub needed: u32,
    /// Volunteers the plan places there that day (proposed or accepted), at most the need.
    pub planned: u32,
    pub accepted: u32,
}

/// Offices with needs and coverage by the current plan.
pub fn offices(sql: &mut dyn Sql) -> Result<Vec<OfficeView>, BoardError> {
    let rows = office_rows(sql)?;
    let needs = kept::needs(sql)?;
    let assignments = kept::assignments(sql)?;
    let mut out = Vec::new();
    for o in rows {
        let mut days = Vec::new();
        for (_, d, n) in needs.iter().filter(|x| x.0 == o.id) {
            let on = |a: &&kept::Assignment| {
                a.office_id == o.id && a.first_day <= *d && a.last_day >= *d
            };
            let planned = assignments.iter().filter(on).count() as u32;
            let accepted = assignments
                .iter()
                .filter(on)
                .filter(|a| a.accepted())
                .count() as u32;
            let n = *n as u32;
            days.push(OfficeDay {
                date: d.clone(),
                needed: n,
                planned: planned.min(n),
                accepted: accepted.min(n),
            });
        }
        out.push(OfficeView {
            id: o.id,
            name: o.name,
            city: o.city,
            county: o.county,
            weight: o.weight,
            needed: days.iter().map(|d| d.needed as u64).sum(),
            planned: days.iter().map(|d| d.planned as u64).sum(),
            accepted: days.iter().map(|d| d.accepted as u64).sum(),
            days,
        });
    }
    Ok(out)
}

/// What a planning run did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanSummary {
    pub travellers: usize,
    pub placed: usize,
    /// Placements kept because both sides had accepted them.
    pub kept_accepted: usize,
    /// Accepted placements that no longer hold (an offer changed), with why.
    pub dropped: Vec<(String, String)>,
    pub need_days: u64,
    pub covered_days: u64,
    pub drivers: u32,
    pub detour_km: f64,
    pub exact: bool,
    pub seconds: f64,
}

/// The open posts and offices as a board (posts that no longer pass the checks left out).
fn load(sql: &mut dyn Sql) -> Result<Board, BoardError> {
    let offices = office_rows(sql)?;
    let needs = kept::needs(sql)?
        .into_iter()
        .filter_map(|(o, d, n)| {
            Some(NeedRow {
                office: o,
                day: Date::parse(&d)?,
                shifts: n as u32,
            })
        })
        .collect();
    let mut board = Board {
        offices: offices.clone(),
        needs,
        ..Board::default()
    };
    for p in kept::posts(sql, None, Some("open"), None)? {
        // A post that no longer passes the checks (its office was removed) is left out.
        match Offer::parse(&p.kind, &p.body) {
            Some(Offer::Ride(x)) => {
                if let Ok(r) = x.row(&p.id, &offices) {
                    board.rides.push(r);
                }
            }
            Some(Offer::Bed(x)) => {
                if let Ok(r) = x.row(&p.id) {
                    board.beds.push(r);
                }
            }
            Some(Offer::Request(x)) => {
                if let Ok(r) = x.row(&p.id, &offices) {
                    board.requests.push(r);
                }
            }
            None => {}
        }
    }
    Ok(board)
}

/// Runs the matcher over the open board: accepted assignments are kept if they still hold,
/// proposals are kept where they still fill need, declined pairs are never proposed; the new
/// plan replaces the old in one transaction.
pub fn run_plan(sql: &mut dyn Sql, now: &str, actor: &str) -> Result<PlanSummary, BoardError> {
    let t = std::time::Instant::now();
    let version = kept::board_version(sql)?;
    let board = load(sql)?;
    let mut problem = board.problem();
    let office_ix: HashMap<&str, usize> = board
        .offices
        .iter()
        .enumerate()
        .map(|(i, o)| (o.id.as_str(), i))
        .collect();
    let ride_ix: HashMap<&str, usize> = board
        .rides
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let bed_ix: HashMap<&str, usize> = board
        .beds
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let req_ix: HashMap<&str, usize> = board
        .requests
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    for (req, post) in kept::declines(sql)? {
        if let Some(&t) = req_ix.get(req.as_str()) {
            if let Some(&r) = ride_ix.get(post.as_str()) {
                problem.travellers[t].avoid_rides.push(r);
            }
            if let Some(&b) = bed_ix.get(post.as_str()) {
                problem.travellers[t].avoid_beds.push(b);
            }
            if let Some(&o) = post
                .strip_prefix(OFFICE_DECLINE)
                .and_then(|o| office_ix.get(o))
            {
                let tr = &mut problem.travellers[t];
                if tr.offices.is_empty() {
                    tr.offices = (0..board.offices.len()).collect();
                }
                tr.offices.retain(|&x| x != o);
                if tr.offices.is_empty() {
                    // Every office declined: an index no office has (empty would mean any).
                    tr.offices.push(usize::MAX);
                }
            }
        }
    }
    let old = kept::assignments(sql)?;
    let to_placement = |a: &kept::Assignment| -> Option<trips::plan::Placement> {
        Some(trips::plan::Placement {
            traveller: *req_ix.get(a.request_id.as_str())?,
            office: *office_ix.get(a.office_id.as_str())?,
            first_day: Date::parse(&a.first_day)?.to_days() as i32,
            last_day: Date::parse(&a.last_day)?.to_days() as i32,
            ride: match &a.ride_id {
                Some(r) => Some(*ride_ix.get(r.as_str())?),
                None => None,
            },
            bed: match &a.bed_id {
                Some(b) => Some(*bed_ix.get(b.as_str())?),
                None => None,
            },
        })
    };
    let mut fixed = Vec::new();
    let mut previous = Vec::new();
    let mut dropped = Vec::new();
    for a in &old {
        match to_placement(a) {
            Some(pl) if a.accepted() => fixed.push((pl, a.clone())),
            Some(pl) => previous.push(pl),
            None if a.accepted() => dropped.push((
                a.request_id.clone(),
                "the request, ride, bed or office of this placement is no longer on the board"
                    .into(),
            )),
            None => {}
        }
    }
    let fixed_pl: Vec<_> = fixed.iter().map(|x| x.0).collect();
    let plan = trips::plan::plan(&problem, &fixed_pl, &previous);
    for (pl, why) in &plan.dropped {
        dropped.push((board.requests[pl.traveller].id.clone(), why.clone()));
    }
    let mut rows = Vec::new();
    for pl in &plan.placements {
        let req = &board.requests[pl.traveller];
        // Answers carry over to an unchanged placement (accepted or half-answered).
        let kept_answer = old.iter().find(|a| to_placement(a).as_ref() == Some(pl));
        let pickup = pl.ride.and_then(|r| {
            plan.pickups[r]
                .iter()
                .position(|&x| x == pl.traveller)
                .map(|i| i as i64 + 1)
        });
        rows.push(kept::Assignment {
            request_id: req.id.clone(),
            office_id: board.offices[pl.office].id.clone(),
            first_day: Date::from_days(pl.first_day as i64).to_string(),
            last_day: Date::from_days(pl.last_day as i64).to_string(),
            ride_id: pl.ride.map(|r| board.rides[r].id.clone()),
            pickup,
            bed_id: pl.bed.map(|b| board.beds[b].id.clone()),
            traveller_ok: kept_answer.is_some_and(|a| a.traveller_ok),
            driver_ok: pl.ride.is_none() || kept_answer.is_some_and(|a| a.driver_ok),
            host_ok: pl.bed.is_none() || kept_answer.is_some_and(|a| a.host_ok),
            planned_at: kept_answer.map_or_else(
                || format!("{now}/{}", &version[..8.min(version.len())]),
                |a| a.planned_at.clone(),
            ),
            why: trips::plan::explain(&problem, &plan, pl.traveller).join("\n"),
        });
    }
    if !kept::replace_assignments(sql, &rows, &version)? {
        return Err(BoardError::Conflict(
            "the board changed while the plan was made (a post, an answer or a need): nothing was written; plan again".into(),
        ));
    }
    let c = trips::plan::coverage(&problem, &plan);
    let summary = PlanSummary {
        travellers: problem.travellers.len(),
        placed: plan.placements.len(),
        kept_accepted: fixed.len() - plan.dropped.len(),
        dropped,
        need_days: c.needed,
        covered_days: c.covered,
        drivers: plan.objective.drivers,
        detour_km: plan.objective.detour_m as f64 / 1000.0,
        exact: plan.exact,
        seconds: t.elapsed().as_secs_f64(),
    };
    store::accounts::audit(
        sql,
        now,
        actor,
        "trips_plan",
        "board",
        &serde_json::json!({"travellers": summary.travellers, "placed": summary.placed, "dropped": summary.dropped.len()}),
    )?;
    Ok(summary)
}

/// The sides `user` holds in an assignment.
fn sides(
    a: &kept::Assignment,
    posts: &HashMap<String, kept::Post>,
    user: i64,
) -> Vec<&'static str> {
    let owns = |id: Option<&String>| {
        // A cancelled post makes no one a side any more.
        id.and_then(|i| posts.get(i))
            .is_some_and(|p| p.owner_id == Some(user) && p.status == "open")
    };
    let mut v = Vec::new();
    if owns(Some(&a.request_id)) {
        v.push("traveller");
    }
    if owns(a.ride_id.as_ref()) {
        v.push("driver");
    }
    if owns(a.bed_id.as_ref()) {
        v.push("host");
    }
    v
}

fn posts_by_id(sql: &mut dyn Sql) -> Result<HashMap<String, kept::Post>, BoardError> {
    Ok(kept::posts(sql, None, Some("open"), None)?
        .into_iter()
        .map(|p| (p.id.clone(), p))
        .collect())
}

/// Accept or decline an assignment as the traveller, driver or host concerned (a trip
/// manager may answer for posts imported without an owner). A decline removes it and it is
/// never proposed again.
pub fn answer(
    sql: &mut dyn Sql,
    user: i64,
    manager: bool,
    request_id: &str,
    planned_at: &str,
    side: Option<&str>,
    accept: bool,
    now: &str,
    actor: &str,
) -> Result<Option<kept::Assignment>, BoardError> {
    let a = kept::get_assignment(sql, request_id)?
        .ok_or_else(|| BoardError::NotFound(format!("no assignment for {request_id}")))?;
    let posts = posts_by_id(sql)?;
    let mine = sides(&a, &posts, user);
    let side = match side {
        Some(s) => {
            if !["traveller", "driver", "host"].contains(&s) {
                return Err(bad(
                    "side",
                    format!("{s:?} is not traveller, driver or host"),
                ));
            }
            let post_id = match s {
                "traveller" => Some(&a.request_id),
                "driver" => a.ride_id.as_ref(),
                _ => a.bed_id.as_ref(),
            };
            let ownerless = post_id
                .and_then(|i| posts.get(i))
                .is_some_and(|p| p.owner_id.is_none());
            if !mine.contains(&s) && !(manager && ownerless) {
                return Err(BoardError::NotFound(format!(
                    "no assignment for {request_id} of yours as {s}"
                )));
            }
            s
        }
        None => *mine.first().ok_or_else(|| {
            BoardError::NotFound(format!("no assignment for {request_id} of yours"))
        })?,
    };
    let declined: Vec<String> = match side {
        "driver" => a.ride_id.iter().cloned().collect(),
        "host" => a.bed_id.iter().cloned().collect(),
        // A traveller who declines declines the ride and the bed proposed; with neither,
        // the office.
        _ if a.ride_id.is_none() && a.bed_id.is_none() => {
            vec![format!("{OFFICE_DECLINE}{}", a.office_id)]
        }
        _ => a.ride_id.iter().chain(a.bed_id.iter()).cloned().collect(),
    };
    if !kept::answer(sql, request_id, planned_at, side, accept, &declined, now)? {
        return Err(BoardError::Conflict(format!(
            "the plan for {request_id} changed since you saw it: reload your itinerary and answer again"
        )));
    }
    store::accounts::audit(
        sql,
        now,
        actor,
        if accept {
            "trips_accept"
        } else {
            "trips_decline"
        },
        request_id,
        &serde_json::json!({"side": side}),
    )?;
    Ok(kept::get_assignment(sql, request_id)?)
}

/// A decline of an office (a traveller placed without ride or bed who does not want to go
/// there) is kept as the post id `office:<id>`.
pub const OFFICE_DECLINE: &str = "office:";

/// One stop of someone's itinerary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItineraryItem {
    /// The post this concerns (yours).
    pub post_id: String,
    /// `request`, `ride` or `bed`.
    pub kind: String,
    /// The request this assignment is of.
    pub request_id: String,
    /// Which plan this is: an answer names it (an answer to an older proposal is refused).
    pub planned_at: String,
    /// Your side in it.
    pub side: String,
    pub office: String,
    pub first_day: String,
    pub last_day: String,
    /// For a traveller: the ride's day and departure, pickup order; for a driver: this
    /// passenger's pickup order and home town.
    pub ride: Option<String>,
    pub bed: Option<String>,
    /// `proposed` (waiting for: …) or `accepted`.
    pub state: String,
    pub waiting_for: Vec<String>,
    /// Whether you have accepted.
    pub you_accepted: bool,
    /// The other people's names and contacts, once every side accepted.
    pub contacts: Vec<String>,
    pub why: Vec<String>,
}

/// Everything of `user` on the board: their posts and each assignment that concerns them.
pub fn itinerary(
    sql: &mut dyn Sql,
    user: i64,
) -> Result<(Vec<kept::Post>, Vec<ItineraryItem>), BoardError> {
    let posts = posts_by_id(sql)?;
    let offices: HashMap<String, OfficeRow> = office_rows(sql)?
        .into_iter()
        .map(|o| (o.id.clone(), o))
        .collect();
    let mine: Vec<kept::Post> = kept::posts(sql, None, None, Some(user))?;
    let mut items = Vec::new();
    for a in kept::assignments(sql)? {
        for side in sides(&a, &posts, user) {
            let post_id = match side {
                "traveller" => a.request_id.clone(),
                "driver" => a.ride_id.clone().unwrap_or_default(),
                _ => a.bed_id.clone().unwrap_or_default(),
            };
            let offer = |id: &Option<String>| {
                id.as_ref()
                    .and_then(|i| posts.get(i))
                    .and_then(|p| Offer::parse(&p.kind, &p.body))
            };
            let request = offer(&Some(a.request_id.clone()));
            let ride = offer(&a.ride_id);
            let bed = offer(&a.bed_id);
            let ride_text = match (&ride, side) {
                (Some(Offer::Ride(r)), "driver") => Some(format!(
                    "Pick-up {} of your ride on {}: a traveller from {}, {}",
                    a.pickup.unwrap_or(0),
                    r.date,
                    match &request {
                        Some(Offer::Request(q)) => q.home_city.clone(),
                        _ => "?".into(),
                    },
                    match &request {
                        Some(Offer::Request(q)) => q.home_state.clone(),
                        _ => String::new(),
                    }
                )),
                (Some(Offer::Ride(r)), _) => Some(format!(
                    "Ride from {} on {}, leaving {}–{}; you are pick-up {}{}",
                    r.origin_city,
                    r.date,
                    r.depart_earliest,
                    r.depart_latest,
                    a.pickup.unwrap_or(0),
                    r.return_date
                        .as_ref()
                        .map(|d| format!("; back on {d}"))
                        .unwrap_or_default()
                )),
                _ => None,
            };
            let bed_text = match &bed {
                Some(Offer::Bed(b)) => Some(format!(
                    "Bed in {} from the night of {}, leaving on {}",
                    b.city, a.first_day, a.last_day
                )),
                _ => None,
            };
            let mut waiting = Vec::new();
            if !a.traveller_ok {
                waiting.push("traveller".to_string());
            }
            if !a.driver_ok {
                waiting.push("driver".into());
            }
            if !a.host_ok {
                waiting.push("host".into());
            }
            let you_accepted = match side {
                "traveller" => a.traveller_ok,
                "driver" => a.driver_ok,
                _ => a.host_ok,
            };
            let mut contacts = Vec::new();
            if a.accepted() {
                for (who, o) in [("Traveller", &request), ("Driver", &ride), ("Host", &bed)] {
                    let me = matches!(
                        (who, side),
                        ("Traveller", "traveller") | ("Driver", "driver") | ("Host", "host")
                    );
                    if let (Some(o), false) = (o, me) {
                        contacts.push(format!(
                            "{who}: {}{}",
                            o.name(),
                            if o.contact().is_empty() {
                                String::new()
                            } else {
                                format!(", {}", o.contact())
                            }
                        ));
                    }
                }
            }
            items.push(ItineraryItem {
                kind: posts
                    .get(&post_id)
                    .map(|p| p.kind.clone())
                    .unwrap_or_default(),
                post_id,
                request_id: a.request_id.clone(),
                planned_at: a.planned_at.clone(),
                side: side.into(),
                office: offices.get(&a.office_id).map_or_else(
                    || a.office_id.clone(),
                    |o| format!("{} ({})", o.name, o.city),
                ),
                first_day: a.first_day.clone(),
                last_day: a.last_day.clone(),
                ride: ride_text,
                bed: bed_text,
                state: if a.accepted() {
                    "accepted".into()
                } else {
                    "proposed".into()
                },
                waiting_for: waiting,
                you_accepted,
                contacts,
                // The reasons are the traveller's (they name the driver's detour and the
                // host's bed); drivers and hosts see that a traveller fits.
                why: if side == "traveller" {
                    a.why.lines().map(String::from).collect()
                } else {
                    Vec::new()
                },
            });
        }
    }
    Ok((mine, items))
}

/// A message as its reader sees it: the sender's side, not their name (until accepted).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessageView {
    pub from: String,
    pub body: String,
    pub at: String,
    pub mine: bool,
}

fn party(
    sql: &mut dyn Sql,
    user: i64,
    request_id: &str,
) -> Result<
    (
        kept::Assignment,
        Vec<&'static str>,
        HashMap<String, kept::Post>,
    ),
    BoardError,
> {
    let a = kept::get_assignment(sql, request_id)?
        .ok_or_else(|| BoardError::NotFound(format!("no assignment for {request_id}")))?;
    let posts = posts_by_id(sql)?;
    let s = sides(&a, &posts, user);
    if s.is_empty() {
        return Err(BoardError::NotFound(format!(
            "no assignment for {request_id} of yours"
        )));
    }
    Ok((a, s, posts))
}

/// Messages between the people of one assignment (only they may read them).
pub fn messages(
    sql: &mut dyn Sql,
    user: i64,
    request_id: &str,
) -> Result<Vec<MessageView>, BoardError> {
    let (a, _, posts) = party(sql, user, request_id)?;
    let side_of = |uid: i64| -> String {
        let s = sides(&a, &posts, uid);
        s.first().map_or("organizer".into(), |x| x.to_string())
    };
    Ok(kept::messages(sql, request_id)?
        .into_iter()
        .map(|m| MessageView {
            from: side_of(m.sender_id),
            mine: m.sender_id == user,
            body: m.body,
            at: m.at,
        })
        .collect())
}

/// Sends a message to the other people of an assignment.
pub fn send(
    sql: &mut dyn Sql,
    user: i64,
    request_id: &str,
    body: &str,
    now: &str,
    hour_ago: &str,
) -> Result<(), BoardError> {
    party(sql, user, request_id)?;
    let body = body.trim();
    if body.is_empty() {
        return Err(bad("body", "is empty"));
    }
    if body.chars().count() > MESSAGE_CHARS_MAX {
        return Err(bad(
            "body",
            format!("more than {MESSAGE_CHARS_MAX} characters"),
        ));
    }
    if kept::messages_since(sql, user, hour_ago)? >= MESSAGES_PER_HOUR_MAX {
        return Err(BoardError::RateLimited {
            message: format!("at most {MESSAGES_PER_HOUR_MAX} messages an hour; try again later"),
            retry_seconds: 3600,
        });
    }
    kept::add_message(sql, request_id, user, body, now)?;
    Ok(())
}
