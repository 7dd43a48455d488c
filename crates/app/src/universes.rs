//! Universes over the store (issue 7, first step): every person as columns in memory
//! (`targeting::People`), universes counted and broken down over them, saved universes.
//!
//! Who is in the table: every person the store knows — registered voters (their current,
//! not removed registration) and the people resolution made from volunteers, contacts and
//! donors with no voter match (`registered` is false for them; their state, city and ZIP come
//! from their own records).

use std::collections::HashMap;

use model::Date;
use serde::Serialize;
use store::sql::{RowExt, Sql};
use store::{StoreError, Value};
use targeting::{age_band, Bitmap, CategoryBuilder, Column, People};

use crate::values::{date_of, int_of, text_of};

/// People tagged so are never in a goal's universe (`do_not_contact`).
pub const DO_NOT_CONTACT_TAG: &str = "do-not-contact";
/// Individual contribution limit per election, 2025–26 cycle, in cents (FEC; a donor whose
/// gifts for one election of the current cycle reach it is `maxed_out`).
pub const CONTRIBUTION_LIMIT_CENTS: i64 = 350_000;

/// Longest universe name.
pub const UNIVERSE_NAME_MAX: usize = 100;
/// Breakdowns asked for in one count.
pub const BREAKDOWNS_MAX: usize = 4;
/// Fields a universe can be broken down by (category fields).
pub const BREAKDOWN_FIELDS: [&str; 8] = [
    "county",
    "precinct",
    "age_band",
    "party",
    "sex",
    "race",
    "congressional_district",
    "state",
];

const CATEGORIES: [&str; 13] = [
    "state",
    "county",
    "precinct",
    "party",
    "sex",
    "race",
    "ethnicity",
    "status",
    "city",
    "zip5",
    "congressional_district",
    "senate_district",
    "house_district",
];

/// Reads everyone into columns. Ages are as of `year` (the election's).
pub fn load(sql: &mut dyn Sql, year: u16) -> Result<People, StoreError> {
    let mut ids: Vec<i64> = Vec::new();
    let mut row_of: HashMap<i64, u32> = HashMap::new();
    let mut by_voter: HashMap<String, u32> = HashMap::new();
    let mut cats: Vec<CategoryBuilder> =
        CATEGORIES.iter().map(|_| CategoryBuilder::new()).collect();
    let mut band = CategoryBuilder::new();
    let mut age: Vec<f32> = Vec::new();
    let mut households: Vec<Option<i64>> = Vec::new();
    let mut new_registrants: Vec<u32> = Vec::new();
    let mut registered_on: Vec<targeting::table::Dated> = Vec::new();
    sql.query_each(
        "SELECT person_id, res_state, county, precinct, party, gender, race, ethnicity, status, \
         city, zip5, congressional_district, senate_district, house_district, birth_year, voter_id, \
         household_id, CAST(registration_date AS TEXT) FROM voters WHERE removed_load_id IS NULL ORDER BY person_id, id",
        &[],
        &mut |r| {
            let person = int_of(&r[0]).unwrap_or(0);
            if row_of.contains_key(&person) {
                return Ok(());
            }
            let i = ids.len() as u32;
            row_of.insert(person, i);
            by_voter.insert(text_of(&r[15]).to_string(), i);
            households.push(int_of(&r[16]));
            // Registered this cycle: since January 1 of the year before the election.
            let reg_year = text_of(&r[17]).get(..4).and_then(|y| y.parse::<u16>().ok());
            if reg_year.is_some_and(|y| y + 1 >= year) {
                new_registrants.push(i);
                if let Some(date) = date_of(&r[17]) {
                    registered_on.push(targeting::table::Dated {
                        row: i,
                        date,
                        amount: 1,
                    });
                }
            }
            ids.push(person);
            for (k, c) in cats.iter_mut().enumerate() {
                c.push(text_of(&r[k + 1]));
            }
            let a = int_of(&r[14])
                .and_then(|y| u16::try_from(y).ok())
                .and_then(|y| year.checked_sub(y));
            age.push(a.map_or(f32::NAN, f32::from));
            band.push(age_band(a));
            Ok(())
        },
    )?;
    let registered_rows = ids.len();
    // People without a registration: from their own records.
    for table in ["volunteers", "contacts", "donations"] {
        sql.query_each(
            &format!(
                "SELECT person_id, state, city, zip5 FROM {table} WHERE person_id IS NOT NULL \
                 ORDER BY person_id, id"
            ),
            &[],
            &mut |r| {
                let person = int_of(&r[0]).unwrap_or(0);
                if row_of.contains_key(&person) {
                    return Ok(());
                }
                add_unregistered(
                    &mut ids,
                    &mut row_of,
                    &mut cats,
                    &mut age,
                    &mut band,
                    person,
                    r,
                );
                Ok(())
            },
        )?;
    }
    let n = ids.len();
    let mut people = People {
        ids,
        ..People::default()
    };
    for (name, c) in CATEGORIES.iter().zip(cats) {
        people.add(name, c.finish().0);
    }
    people.add("age_band", band.finish().0);
    people.add("age", Column::Number(age));
    people.add(
        "registered",
        Column::Flag(Bitmap::from_fn(n, |i| i < registered_rows)),
    );
    // Votes: vote history and counted ballots, by election date.
    let mut voted: HashMap<Date, Bitmap> = HashMap::new();
    for q in [
        "SELECT voter_id, CAST(election_date AS TEXT) FROM vote_history",
        "SELECT voter_id, CAST(election_date AS TEXT) FROM ballots WHERE counted",
    ] {
        sql.query_each(q, &[], &mut |r| {
            if let (Some(&i), Some(d)) = (by_voter.get(text_of(&r[0])), date_of(&r[1])) {
                voted
                    .entry(d)
                    .or_insert_with(|| Bitmap::empty(n))
                    .set(i as usize);
            }
            Ok(())
        })?;
    }
    people.voted = voted.into_iter().collect();
    // Flags from the other sources.
    let flag = |sql: &mut dyn Sql, q: &str| -> Result<Bitmap, StoreError> {
        let mut b = Bitmap::empty(n);
        sql.query_each(q, &[], &mut |r| {
            if let Some(&i) = int_of(&r[0]).and_then(|p| row_of.get(&p)) {
                b.set(i as usize);
            }
            Ok(())
        })?;
        Ok(b)
    };
    let volunteer = flag(
        sql,
        "SELECT DISTINCT person_id FROM volunteers WHERE person_id IS NOT NULL",
    )?;
    // Everyone registered at the address of a registered volunteer.
    let volunteer_homes: std::collections::HashSet<i64> = volunteer
        .ones()
        .filter_map(|i| households.get(i).copied().flatten())
        .collect();
    people.add(
        "volunteer_household",
        Column::Flag(Bitmap::from_fn(n, |i| {
            households
                .get(i)
                .copied()
                .flatten()
                .is_some_and(|h| volunteer_homes.contains(&h))
        })),
    );
    people.add("volunteer", Column::Flag(volunteer));
    let contact = flag(
        sql,
        "SELECT DISTINCT person_id FROM contacts WHERE person_id IS NOT NULL",
    )?;
    people.add("contact", Column::Flag(contact));
    // Donors at the legal limit for an election of the current cycle.
    let mut maxed = Bitmap::empty(n);
    // Dollars given for elections of the current cycle (memo entries are not money given).
    let mut given = vec![0f32; n];
    sql.query_each(
        "SELECT person_id, election, CAST(SUM(amount_cents) AS BIGINT) FROM donations \
         WHERE person_id IS NOT NULL AND NOT memo GROUP BY person_id, election",
        &[],
        &mut |r| {
            let cycle = text_of(&r[1])
                .get(1..)
                .and_then(|y| y.parse::<u16>().ok())
                .is_some_and(|y| y == year);
            let cents = int_of(&r[2]).unwrap_or(0);
            if let (true, Some(&i)) = (cycle, int_of(&r[0]).and_then(|p| row_of.get(&p))) {
                given[i as usize] += cents as f32 / 100.0;
                if cents >= CONTRIBUTION_LIMIT_CENTS {
                    maxed.set(i as usize);
                }
            }
            Ok(())
        },
    )?;
    people.add("maxed_out", Column::Flag(maxed));
    people.add("given", Column::Number(given));
    people.registered_on = registered_on;
    // Gifts of the cycle by day, for the series over time.
    sql.query_each(
        "SELECT person_id, CAST(date AS TEXT), election, amount_cents FROM donations \
         WHERE person_id IS NOT NULL AND NOT memo AND amount_cents > 0 AND date IS NOT NULL",
        &[],
        &mut |r| {
            let cycle = text_of(&r[2])
                .get(1..)
                .and_then(|y| y.parse::<u16>().ok())
                .is_some_and(|y| y == year);
            if let (true, Some(&row), Some(date)) = (
                cycle,
                int_of(&r[0]).and_then(|p| row_of.get(&p)),
                date_of(&r[1]),
            ) {
                people.gifts.push(targeting::table::Dated {
                    row,
                    date,
                    amount: u32::try_from(int_of(&r[3]).unwrap_or(0)).unwrap_or(u32::MAX),
                });
            }
            Ok(())
        },
    )?;
    let mut new_reg = Bitmap::empty(n);
    for i in new_registrants {
        new_reg.set(i as usize);
    }
    people.add("new_registrant", Column::Flag(new_reg));
    let gave = flag(
        sql,
        "SELECT DISTINCT person_id FROM donations WHERE person_id IS NOT NULL AND NOT memo AND amount_cents > 0",
    )?;
    people.add("gave", Column::Flag(gave));
    let mut contacted = Bitmap::empty(n);
    sql.query_each(
        "SELECT DISTINCT voter_id FROM field_results WHERE source = 'canvass'",
        &[],
        &mut |r| {
            if let Some(&i) = by_voter.get(text_of(&r[0])) {
                contacted.set(i as usize);
            }
            Ok(())
        },
    )?;
    people.add("canvassed", Column::Flag(contacted));
    // Contact attempts, for frequency caps, and each person's latest result; who was reached
    // (a result `Contacted`).
    let mut latest: HashMap<u32, (Date, String)> = HashMap::new();
    let mut reached = Bitmap::empty(n);
    sql.query_each(
        "SELECT voter_id, CAST(date AS TEXT), contact_type, result FROM field_results \
         WHERE source = 'canvass' AND date IS NOT NULL",
        &[],
        &mut |r| {
            let channel = targeting::allocate::Channel::parse(text_of(&r[2]));
            if let (Some(&row), Some(date)) = (by_voter.get(text_of(&r[0])), date_of(&r[1])) {
                if let Some(channel) = channel {
                    people
                        .contacts
                        .push(targeting::Attempt { row, channel, date });
                }
                if text_of(&r[3]).eq_ignore_ascii_case("Contacted") {
                    reached.set(row as usize);
                }
                let e = latest.entry(row).or_insert((date, String::new()));
                if date >= e.0 {
                    *e = (date, text_of(&r[3]).to_string());
                }
            }
            Ok(())
        },
    )?;
    people.add("reached", Column::Flag(reached));
    let mut last_result = CategoryBuilder::new();
    for i in 0..n {
        last_result.push(latest.get(&(i as u32)).map_or("", |x| x.1.as_str()));
    }
    people.add("last_result", last_result.finish().0);
    // Ways to reach: a phone on any record; an address (a registration, or a street address
    // on a volunteer or contact record).
    let mut phone = flag(
        sql,
        "SELECT DISTINCT person_id FROM voters WHERE removed_load_id IS NULL AND phone IS NOT NULL AND phone <> ''",
    )?;
    let mut address = Bitmap::from_fn(n, |i| i < registered_rows);
    for table in ["volunteers", "contacts"] {
        phone.or_with(&flag(
            sql,
            &format!(
                "SELECT DISTINCT person_id FROM {table} WHERE phone IS NOT NULL AND phone <> ''"
            ),
        )?);
        address.or_with(&flag(
            sql,
            &format!(
                "SELECT DISTINCT person_id FROM {table} WHERE house_number <> '' AND street <> ''"
            ),
        )?);
    }
    // Households and where they are (geocodes), for turfs.
    people.households = (0..n)
        .map(|i| households.get(i).copied().flatten().unwrap_or(0))
        .collect();
    let at: HashMap<i64, (f32, f32)> = crate::geo::all(sql)?
        .into_iter()
        .map(|(h, la, lo)| (h, (la as f32, lo as f32)))
        .collect();
    let coord = |k: usize| -> Vec<f32> {
        people
            .households
            .iter()
            .map(|h| {
                at.get(h)
                    .map_or(f32::NAN, |c| if k == 0 { c.0 } else { c.1 })
            })
            .collect()
    };
    let (lat, lon) = (coord(0), coord(1));
    people.add("latitude", Column::Number(lat));
    people.add("longitude", Column::Number(lon));
    people.add("has_phone", Column::Flag(phone));
    people.add("has_address", Column::Flag(address));
    // Scores of the approved model of each target.
    for m in store::models::approved(sql)? {
        let mut score = vec![f32::NAN; n];
        let mut value: Option<Vec<f32>> = None;
        sql.query_each(
            "SELECT person_id, score_ppm, value_cents FROM scores WHERE model_id = ?",
            &[Value::Int(m.id)],
            &mut |r| {
                if let Some(&i) = int_of(&r[0]).and_then(|p| row_of.get(&p)) {
                    score[i as usize] = int_of(&r[1]).unwrap_or(0) as f32 / 1e6;
                    if let Some(c) = int_of(&r[2]) {
                        value.get_or_insert_with(|| vec![f32::NAN; n])[i as usize] =
                            c as f32 / 100.0;
                    }
                }
                Ok(())
            },
        )?;
        people
            .sources
            .insert(m.target.clone(), format!("approved model {}", m.id));
        people.add(&m.target, Column::Number(score));
        if let Some(v) = value {
            people
                .sources
                .insert("expected_gift".into(), format!("approved model {}", m.id));
            people.add("expected_gift", Column::Number(v));
        }
    }
    if let (Some(Column::Number(p)), Some(Column::Number(g))) = (
        people.columns.get("donor"),
        people.columns.get("expected_gift"),
    ) {
        let v: Vec<f32> = p.iter().zip(g).map(|(p, g)| p * g).collect();
        people
            .sources
            .insert("expected_value".into(), "donor × expected_gift".into());
        people.add("expected_value", Column::Number(v));
    }
    // Tags and lists.
    for (q, lists) in [
        (
            "SELECT t.name, g.person_id FROM taggings g JOIN tags t ON t.id = g.tag_id",
            false,
        ),
        (
            "SELECT l.name, i.person_id FROM list_items i JOIN lists l ON l.id = i.list_id",
            true,
        ),
    ] {
        let map = if lists {
            &mut people.lists
        } else {
            &mut people.tags
        };
        sql.query_each(q, &[], &mut |r| {
            if let Some(&i) = int_of(&r[1]).and_then(|p| row_of.get(&p)) {
                map.entry(text_of(&r[0]).to_string())
                    .or_insert_with(|| Bitmap::empty(n))
                    .set(i as usize);
            }
            Ok(())
        })?;
    }
    let dnc = people
        .tags
        .get(DO_NOT_CONTACT_TAG)
        .cloned()
        .unwrap_or_else(|| Bitmap::empty(n));
    people.add("do_not_contact", Column::Flag(dnc));
    Ok(people)
}

fn add_unregistered(
    ids: &mut Vec<i64>,
    row_of: &mut HashMap<i64, u32>,
    cats: &mut [CategoryBuilder],
    age: &mut Vec<f32>,
    band: &mut CategoryBuilder,
    person: i64,
    r: &[Value],
) {
    row_of.insert(person, ids.len() as u32);
    ids.push(person);
    for (k, c) in cats.iter_mut().enumerate() {
        c.push(match CATEGORIES[k] {
            "state" => text_of(&r[1]),
            "city" => text_of(&r[2]),
            "zip5" => text_of(&r[3]),
            _ => "",
        });
    }
    age.push(f32::NAN);
    band.push("");
}

/// A saved universe.
#[derive(Debug, Clone, Serialize)]
pub struct Universe {
    pub id: i64,
    pub name: String,
    pub expression: String,
    pub created_at: String,
    pub created_by: String,
}

fn universe(r: &[Value]) -> Result<Universe, StoreError> {
    Ok(Universe {
        id: r.int(0)?,
        name: r.text(1)?,
        expression: r.text(2)?,
        created_at: r.text(3)?,
        created_by: r.text(4)?,
    })
}

/// Saves (or replaces, by name) a universe whose expression is valid for `people`.
pub fn save(
    sql: &mut dyn Sql,
    people: &People,
    name: &str,
    expression: &str,
    by: &str,
    now: &str,
) -> Result<Universe, UniverseError> {
    let raw_len = name.chars().count();
    let name = name.trim();
    if name.is_empty() || raw_len > UNIVERSE_NAME_MAX || name.chars().any(char::is_control) {
        return Err(UniverseError::Name(format!(
            "name: 1 to {UNIVERSE_NAME_MAX} characters, no control characters"
        )));
    }
    if !expression.trim().is_empty() {
        targeting::plan(people, expression).map_err(UniverseError::Expression)?;
    }
    // Replace by name in one transaction: the old universe stays if the new one cannot be written.
    let mut saved = None;
    sql.transaction(&mut |tx| {
        tx.execute(
            "DELETE FROM universes WHERE name = ?",
            &[Value::Text(name.into())],
        )?;
        let rows = tx.query(
            "INSERT INTO universes (name, expression, created_at, created_by) VALUES (?, ?, ?, ?) \
             RETURNING id, name, expression, created_at, created_by",
            &[
                Value::Text(name.into()),
                Value::Text(expression.into()),
                Value::Text(now.into()),
                Value::Text(by.into()),
            ],
        )?;
        let row = rows
            .first()
            .ok_or_else(|| StoreError::Backend("INSERT … RETURNING gave no row".into()))?;
        saved = Some(universe(row)?);
        Ok(())
    })?;
    Ok(saved.expect("set in the committed transaction"))
}

pub fn all(sql: &mut dyn Sql) -> Result<Vec<Universe>, StoreError> {
    sql.query(
        "SELECT id, name, expression, created_at, created_by FROM universes ORDER BY name",
        &[],
    )?
    .iter()
    .map(|r| universe(r))
    .collect()
}

pub fn get(sql: &mut dyn Sql, id: i64) -> Result<Option<Universe>, StoreError> {
    sql.query(
        "SELECT id, name, expression, created_at, created_by FROM universes WHERE id = ?",
        &[Value::Int(id)],
    )?
    .first()
    .map(|r| universe(r))
    .transpose()
}

#[derive(Debug, thiserror::Error)]
pub enum UniverseError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Expression(targeting::LangError),
    #[error("{0}")]
    Name(String),
    #[error("{0}")]
    By(String),
}

/// Counts a universe with breakdowns (each must be one of `BREAKDOWN_FIELDS`).
pub fn count(
    people: &People,
    expression: &str,
    by: &[String],
) -> Result<targeting::Counted, UniverseError> {
    if by.len() > BREAKDOWNS_MAX {
        return Err(UniverseError::By(format!(
            "by: at most {BREAKDOWNS_MAX} breakdowns"
        )));
    }
    for b in by {
        if !BREAKDOWN_FIELDS.contains(&b.as_str()) {
            return Err(UniverseError::By(format!(
                "by: {b:?} is not one of {}",
                BREAKDOWN_FIELDS.join(", ")
            )));
        }
    }
    let by: Vec<&str> = by.iter().map(String::as_str).collect();
    targeting::count(people, expression, &by)
        .map(|c| c.0)
        .map_err(UniverseError::Expression)
}

/// What the universe table was built from: changes (loads, tags, lists, merges), every load
/// (field results are loads without person changes), the geocodes, and model approvals and
/// scores. A different answer means the table is stale.
pub fn data_version(sql: &mut dyn Sql) -> Result<String, StoreError> {
    let rows = sql.query(
        "SELECT (SELECT COALESCE(MAX(seq), 0) FROM changes), \
         (SELECT COALESCE(MAX(approved_at), '') FROM models), \
         (SELECT COALESCE(MAX(scored_at), '') FROM models), \
         (SELECT COUNT(*) FROM models WHERE status = 'approved'), \
         (SELECT COALESCE(MAX(id), 0) FROM loads), \
         (SELECT COUNT(*) FROM geocodes), \
         (SELECT COALESCE(MAX(loaded_at), '') FROM geocodes)",
        &[],
    )?;
    let r = rows
        .first()
        .ok_or_else(|| StoreError::Backend("no row".into()))?;
    Ok(format!(
        "{}|{}|{}|{}|{}|{}|{}",
        r.int(0)?,
        r.text(1)?,
        r.text(2)?,
        r.int(3)?,
        r.int(4)?,
        r.int(5)?,
        r.text(6)?
    ))
}

/// The year ages are counted at: the current election's (latest absentee file), else `fallback`.
pub fn age_year(sql: &mut dyn Sql, fallback: u16) -> u16 {
    crate::scores::current_election(sql).map_or(fallback, |d| d.year)
}

/// A goal's universe now: its logic, expression and count (or why it cannot be counted yet).
#[derive(Debug, Clone, Serialize)]
pub struct GoalView {
    pub goal: targeting::goals::Goal,
    pub logic: &'static str,
    pub expression: String,
    pub count: Option<u64>,
    pub error: Option<String>,
}

/// The four goal templates for `election` in `state`, counted over `people`.
pub fn goals(people: &People, election: Date, state: &str) -> Vec<GoalView> {
    let params = targeting::goals::GoalParams {
        election,
        state: state.to_uppercase(),
    };
    targeting::goals::Goal::ALL
        .into_iter()
        .map(|g| {
            let expression = targeting::goals::expression(g, &params);
            let (count, error) = match targeting::count(people, &expression, &[]) {
                Ok((c, _)) => (Some(c.count), None),
                Err(e) => (None, Some(e.message)),
            };
            GoalView {
                goal: g,
                logic: g.logic(),
                expression,
                count,
                error,
            }
        })
        .collect()
}
