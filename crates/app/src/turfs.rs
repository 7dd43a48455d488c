//! Turfs over the store (issue 7): the people a universe selects in one county, grouped by
//! household, placed by the geocodes, cut into turfs of about N doors by
//! `targeting::turf::cut`, each a walking route; kept as a cut (one row per person per stop),
//! printed as walk lists and exported as CSV (audited by the caller).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use store::people::Scope;
use store::sql::{RowExt, Sql};
use store::{StoreError, Value};
use targeting::turf::{self, Door};
use targeting::{Column, People};

use crate::values::int_of;

/// Longest cut name.
pub const CUT_NAME_MAX: usize = 100;
/// Stop rows written per INSERT statement.
pub const STOPS_PER_INSERT: usize = 500;
/// Doors one cut may hold (a county's worth; bigger areas are cut county by county).
pub const CUT_DOORS_MAX: usize = 1_000_000;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CutRequest {
    pub name: String,
    /// The universe: whom to knock (empty: everyone).
    pub expression: String,
    /// The county to cut (turfs are cut county by county).
    pub county: String,
    /// Doors per turf at most.
    pub doors: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TurfSummary {
    pub turf: u32,
    pub doors: u32,
    pub people: u32,
    pub route_m: f64,
    pub radius_m: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CutSummary {
    pub turfs: Vec<TurfSummary>,
    pub doors: u64,
    pub people: u64,
    /// People the universe selects in the county with no known place (no geocoded address):
    /// left out of the turfs, to be reached another way.
    pub people_not_placed: u64,
    pub mean_radius_m: f64,
    pub walk_m_per_door: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum TurfError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A field of the request is wrong (the message names it).
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Expression(targeting::LangError),
}

/// A stop: the turf, the stop's place in the route, the household and one person there.
pub type Stop = (u32, u32, i64, i64);

/// Cuts the turfs of a request over `people`, within `scope` (an organizer's counties).
pub fn cut(
    people: &People,
    req: &CutRequest,
    scope: &Scope,
) -> Result<(CutSummary, Vec<Stop>), TurfError> {
    let raw_len = req.name.chars().count();
    if req.name.trim().is_empty()
        || raw_len > CUT_NAME_MAX
        || req.name.chars().any(char::is_control)
    {
        return Err(TurfError::Invalid(format!(
            "name: 1 to {CUT_NAME_MAX} characters, no control characters"
        )));
    }
    if !(turf::TURF_DOORS_MIN..=turf::TURF_DOORS_MAX).contains(&req.doors) {
        return Err(TurfError::Invalid(format!(
            "doors: {} to {} doors per turf",
            turf::TURF_DOORS_MIN,
            turf::TURF_DOORS_MAX
        )));
    }
    let county = req.county.trim().to_uppercase();
    if county.is_empty() {
        return Err(TurfError::Invalid(
            "county: empty; name the county to cut".into(),
        ));
    }
    match scope {
        Scope::All => {}
        Scope::Counties(c) if c.iter().any(|x| x.eq_ignore_ascii_case(&county)) => {}
        Scope::Counties(c) => {
            return Err(TurfError::Invalid(format!(
                "county: {county:?} is not one of your regions ({})",
                c.join(", ")
            )))
        }
        _ => return Err(TurfError::Invalid("county: you may not cut turfs".into())),
    }
    let Some(Column::Category { codes, dict }) = people.columns.get("county") else {
        return Err(TurfError::Invalid(
            "county: no county column (no voters loaded)".into(),
        ));
    };
    // Code 0 is "unknown": never a county to cut.
    let Some(code) = dict
        .iter()
        .skip(1)
        .position(|d| *d == county)
        .map(|k| k + 1)
    else {
        return Err(TurfError::Invalid(format!(
            "county: no one lives in {county:?}"
        )));
    };
    let selected = if req.expression.trim().is_empty() {
        targeting::Plan::All.eval(people)
    } else {
        targeting::plan(people, &req.expression)
            .map_err(TurfError::Expression)?
            .eval(people)
    };
    let (lat, lon) = match (
        people.columns.get("latitude"),
        people.columns.get("longitude"),
    ) {
        (Some(Column::Number(a)), Some(Column::Number(b))) => (a, b),
        _ => {
            return Err(TurfError::Invalid(
                "geocodes: none loaded (tusk import geocodes FILE)".into(),
            ))
        }
    };
    let mut doors: Vec<Door> = Vec::new();
    let mut at: HashMap<i64, usize> = HashMap::new();
    let mut residents: Vec<Vec<i64>> = Vec::new();
    let mut not_placed = 0u64;
    for i in selected.ones() {
        if codes[i] as usize != code {
            continue;
        }
        let h = people.households.get(i).copied().unwrap_or(0);
        if h == 0 || !lat[i].is_finite() || !lon[i].is_finite() {
            not_placed += 1;
            continue;
        }
        let d = *at.entry(h).or_insert_with(|| {
            doors.push(Door {
                household: h,
                lat: f64::from(lat[i]),
                lon: f64::from(lon[i]),
            });
            residents.push(Vec::new());
            doors.len() - 1
        });
        residents[d].push(people.ids[i]);
        if doors.len() > CUT_DOORS_MAX {
            return Err(TurfError::Invalid(format!(
                "expression: more than {CUT_DOORS_MAX} doors in one cut; narrow the universe"
            )));
        }
    }
    let turfs = turf::cut(&doors, req.doors);
    let (mean_radius_m, walk_m_per_door) = turf::compactness(&turfs);
    let mut stops = Vec::new();
    let mut summary = Vec::new();
    for (t, tf) in turfs.iter().enumerate() {
        let mut n = 0;
        for (s, &d) in tf.doors.iter().enumerate() {
            for &p in &residents[d] {
                stops.push((t as u32 + 1, s as u32 + 1, doors[d].household, p));
                n += 1;
            }
        }
        summary.push(TurfSummary {
            turf: t as u32 + 1,
            doors: tf.doors.len() as u32,
            people: n,
            route_m: tf.route_m,
            radius_m: tf.radius_m,
        });
    }
    Ok((
        CutSummary {
            turfs: summary,
            doors: doors.len() as u64,
            people: stops.len() as u64,
            people_not_placed: not_placed,
            mean_radius_m,
            walk_m_per_door,
        },
        stops,
    ))
}

/// A kept cut.
#[derive(Debug, Clone, Serialize)]
pub struct Cut {
    pub id: i64,
    pub name: String,
    pub expression: String,
    pub county: String,
    pub doors_target: i64,
    pub created_at: String,
    pub created_by: String,
    pub summary: CutSummary,
}

/// Keeps a cut and its stops in one transaction.
pub fn save(
    sql: &mut dyn Sql,
    req: &CutRequest,
    summary: &CutSummary,
    stops: &[Stop],
    by: &str,
    now: &str,
) -> Result<Cut, StoreError> {
    let mut id = 0;
    let county = req.county.trim().to_uppercase();
    let text = serde_json::to_string(summary).map_err(|e| StoreError::Backend(e.to_string()))?;
    sql.transaction(&mut |tx| {
        id = tx
            .query(
                "INSERT INTO turf_cuts (name, expression, county, doors_target, created_at, created_by, summary) \
                 VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                &[
                    Value::Text(req.name.trim().into()),
                    Value::Text(req.expression.clone()),
                    Value::Text(county.clone()),
                    Value::Int(req.doors as i64),
                    Value::Text(now.into()),
                    Value::Text(by.into()),
                    Value::Text(text.clone()),
                ],
            )?
            .first()
            .ok_or_else(|| StoreError::Backend("INSERT … RETURNING gave no row".into()))?
            .int(0)?;
        for chunk in stops.chunks(STOPS_PER_INSERT) {
            let mut q = String::from(
                "INSERT INTO turf_stops (cut_id, turf, stop, household_id, person_id) VALUES ",
            );
            let mut params = Vec::with_capacity(chunk.len() * 5);
            for (k, (t, s, h, p)) in chunk.iter().enumerate() {
                if k > 0 {
                    q.push(',');
                }
                q.push_str("(?, ?, ?, ?, ?)");
                params.extend([
                    Value::Int(id),
                    Value::Int(i64::from(*t)),
                    Value::Int(i64::from(*s)),
                    Value::Int(*h),
                    Value::Int(*p),
                ]);
            }
            tx.execute(&q, &params)?;
        }
        Ok(())
    })?;
    Ok(Cut {
        id,
        name: req.name.trim().into(),
        expression: req.expression.clone(),
        county,
        doors_target: req.doors as i64,
        created_at: now.into(),
        created_by: by.into(),
        summary: summary.clone(),
    })
}

const CUT_COLUMNS: &str =
    "id, name, expression, county, doors_target, created_at, created_by, summary";

fn cut_of(r: &[Value]) -> Result<Cut, StoreError> {
    Ok(Cut {
        id: r.int(0)?,
        name: r.text(1)?,
        expression: r.text(2)?,
        county: r.text(3)?,
        doors_target: r.int(4)?,
        created_at: r.text(5)?,
        created_by: r.text(6)?,
        summary: serde_json::from_str(&r.text(7)?)
            .map_err(|e| StoreError::Backend(format!("turf cut summary: {e}")))?,
    })
}

/// Kept cuts, newest first, within `scope` (an organizer sees their counties' cuts).
pub fn all(sql: &mut dyn Sql, scope: &Scope) -> Result<Vec<Cut>, StoreError> {
    let cuts: Vec<Cut> = sql
        .query(
            &format!("SELECT {CUT_COLUMNS} FROM turf_cuts ORDER BY id DESC"),
            &[],
        )?
        .iter()
        .map(|r| cut_of(r))
        .collect::<Result<_, _>>()?;
    Ok(cuts.into_iter().filter(|c| visible(c, scope)).collect())
}

fn visible(c: &Cut, scope: &Scope) -> bool {
    match scope {
        Scope::All => true,
        Scope::Counties(list) => list.iter().any(|x| x.eq_ignore_ascii_case(&c.county)),
        _ => false,
    }
}

/// One cut, if it exists and is within `scope`.
pub fn get(sql: &mut dyn Sql, id: i64, scope: &Scope) -> Result<Option<Cut>, StoreError> {
    Ok(sql
        .query(
            &format!("SELECT {CUT_COLUMNS} FROM turf_cuts WHERE id = ?"),
            &[Value::Int(id)],
        )?
        .first()
        .map(|r| cut_of(r))
        .transpose()?
        .filter(|c| visible(c, scope)))
}

/// The stops of a cut (one turf, or all), in turf and walking order.
pub fn stops(sql: &mut dyn Sql, cut_id: i64, turf: Option<u32>) -> Result<Vec<Stop>, StoreError> {
    let mut q =
        String::from("SELECT turf, stop, household_id, person_id FROM turf_stops WHERE cut_id = ?");
    let mut params = vec![Value::Int(cut_id)];
    if let Some(t) = turf {
        q.push_str(" AND turf = ?");
        params.push(Value::Int(i64::from(t)));
    }
    q.push_str(" ORDER BY turf, stop, person_id");
    let mut out = Vec::new();
    sql.query_each(&q, &params, &mut |r| {
        out.push((
            int_of(&r[0]).unwrap_or(0) as u32,
            int_of(&r[1]).unwrap_or(0) as u32,
            int_of(&r[2]).unwrap_or(0),
            int_of(&r[3]).unwrap_or(0),
        ));
        Ok(())
    })?;
    Ok(out)
}

/// A walk list: the stops of a turf (or all turfs) with each person's row, in walking order —
/// only the people `scope` admits now (an organizer: registered in their counties today).
pub fn walk_list(
    sql: &mut dyn Sql,
    cut_id: i64,
    turf: Option<u32>,
    scope: &Scope,
) -> Result<Vec<(Stop, crate::lists::Row)>, StoreError> {
    let mut stops = stops(sql, cut_id, turf)?;
    if !matches!(scope, Scope::All) {
        let ids: Vec<i64> = stops.iter().map(|s| s.3).collect();
        let ok = store::people::admitted(sql, &ids, scope)?;
        stops.retain(|s| ok.contains(&s.3));
    }
    let ids: Vec<i64> = stops.iter().map(|s| s.3).collect();
    let rows = crate::lists::rows(sql, &ids)?;
    let by_id: HashMap<i64, crate::lists::Row> =
        rows.into_iter().map(|r| (r.person_id, r)).collect();
    Ok(stops
        .into_iter()
        .filter_map(|s| by_id.get(&s.3).cloned().map(|r| (s, r)))
        .collect())
}

/// The CSV of a cut's walk lists (turf and stop columns after the person's).
pub fn csv(list: &[(Stop, crate::lists::Row)], format: crate::lists::Format, year: i64) -> String {
    let rows: Vec<crate::lists::Row> = list.iter().map(|x| x.1.clone()).collect();
    let extra: Vec<crate::lists::Extra> = list
        .iter()
        .map(|((t, s, _, _), _)| {
            vec![
                ("turf".to_string(), t.to_string()),
                ("stop".to_string(), s.to_string()),
            ]
        })
        .collect();
    crate::lists::csv(&rows, &extra, format, year)
}
