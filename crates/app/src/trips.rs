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

#[derive(Debug, Error)]
pub enum TripsError {
    #[error("{file}: cannot read it: {message}")]
    Io { file: String, message: String },
    #[error("{file}: the header has no {column} column")]
    Column { file: String, column: String },
    #[error("{file}, row {row}, {column}: {message}")]
    Row {
        file: String,
        row: u64,
        column: String,
        message: String,
    },
    #[error("{0}")]
    Limit(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct OfficeRow {
    pub id: String,
    pub name: String,
    pub city: String,
    pub county: String,
    pub at: Point,
}

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

/// One CSV file's rows by column name.
struct Table<'a> {
    file: &'a str,
    header: Vec<String>,
    rows: Vec<csv::StringRecord>,
}

impl<'a> Table<'a> {
    fn parse(file: &'a str, text: &str) -> Result<Table<'a>, TripsError> {
        let mut rdr = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let header = rdr
            .headers()
            .map_err(|e| TripsError::Io {
                file: file.into(),
                message: e.to_string(),
            })?
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').to_ascii_lowercase())
            .collect();
        let mut rows = Vec::new();
        for (i, r) in rdr.records().enumerate() {
            rows.push(r.map_err(|e| TripsError::Row {
                file: file.into(),
                row: i as u64 + 2,
                column: "(row)".into(),
                message: e.to_string(),
            })?);
        }
        Ok(Table { file, header, rows })
    }

    fn col(&self, name: &str) -> Result<usize, TripsError> {
        self.header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| TripsError::Column {
                file: self.file.into(),
                column: name.into(),
            })
    }

    fn opt_col(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    fn err(&self, row: usize, column: &str, message: impl Into<String>) -> TripsError {
        TripsError::Row {
            file: self.file.into(),
            row: row as u64 + 2,
            column: column.into(),
            message: message.into(),
        }
    }
}

/// Reads one row's cells by name with typed checks.
struct Cells<'t, 'a> {
    t: &'t Table<'a>,
    row: usize,
}

impl Cells<'_, '_> {
    fn text(&self, name: &str) -> Result<String, TripsError> {
        let c = self.t.col(name)?;
        Ok(self.t.rows[self.row].get(c).unwrap_or("").to_string())
    }
    fn required(&self, name: &str) -> Result<String, TripsError> {
        let v = self.text(name)?;
        if v.is_empty() {
            return Err(self.t.err(self.row, name, "is empty"));
        }
        Ok(v)
    }
    fn opt_text(&self, name: &str) -> String {
        self.t
            .opt_col(name)
            .and_then(|c| self.t.rows[self.row].get(c))
            .unwrap_or("")
            .to_string()
    }
    fn date(&self, name: &str) -> Result<Date, TripsError> {
        let v = self.required(name)?;
        Date::parse(&v).ok_or_else(|| {
            self.t
                .err(self.row, name, format!("{v:?} is not a date (YYYY-MM-DD)"))
        })
    }
    fn opt_date(&self, name: &str) -> Result<Option<Date>, TripsError> {
        let v = self.opt_text(name);
        if v.is_empty() {
            return Ok(None);
        }
        Date::parse(&v).map(Some).ok_or_else(|| {
            self.t
                .err(self.row, name, format!("{v:?} is not a date (YYYY-MM-DD)"))
        })
    }
    /// `YYYY-MM-DDTHH:MM`: the day and the minute of the day.
    fn date_time(&self, name: &str) -> Result<(Date, u32), TripsError> {
        let v = self.required(name)?;
        let bad = || {
            self.t.err(
                self.row,
                name,
                format!("{v:?} is not a date and time (YYYY-MM-DDTHH:MM)"),
            )
        };
        let (d, t) = v.split_once(['T', ' ']).ok_or_else(bad)?;
        let day = Date::parse(d).ok_or_else(bad)?;
        let (h, m) = t.split_once(':').ok_or_else(bad)?;
        let (h, m): (u32, u32) = (
            h.parse().map_err(|_| bad())?,
            m.get(..2).unwrap_or(m).parse().map_err(|_| bad())?,
        );
        if h > 23 || m > 59 {
            return Err(bad());
        }
        Ok((day, h * 60 + m))
    }
    fn number(&self, name: &str, lo: f64, hi: f64) -> Result<f64, TripsError> {
        let v = self.required(name)?;
        let x: f64 = v
            .parse()
            .map_err(|_| self.t.err(self.row, name, format!("{v:?} is not a number")))?;
        if !(lo..=hi).contains(&x) {
            return Err(self
                .t
                .err(self.row, name, format!("{v} is outside {lo}..{hi}")));
        }
        Ok(x)
    }
    fn count(&self, name: &str, lo: u32, hi: u32) -> Result<u32, TripsError> {
        Ok(self.number(name, lo as f64, hi as f64)? as u32)
    }
    fn point(&self, lat: &str, lon: &str) -> Result<Point, TripsError> {
        Ok(Point::new(
            self.number(lat, -90.0, 90.0)?,
            self.number(lon, -180.0, 180.0)?,
        ))
    }
    fn flag(&self, name: &str) -> Result<bool, TripsError> {
        let v = self.opt_text(name);
        match v.to_ascii_lowercase().as_str() {
            "" | "false" | "no" | "0" | "n" | "f" => Ok(false),
            "true" | "yes" | "1" | "y" | "t" => Ok(true),
            _ => Err(self
                .t
                .err(self.row, name, format!("{v:?} is not true or false"))),
        }
    }
}

fn rows<'t, 'a>(t: &'t Table<'a>) -> impl Iterator<Item = Cells<'t, 'a>> {
    (0..t.rows.len()).map(move |row| Cells { t, row })
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
        for (i, n) in self.needs.iter().enumerate() {
            known("office_needs.csv", i, &n.office, "office_id")?;
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
                weight: 1,
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
