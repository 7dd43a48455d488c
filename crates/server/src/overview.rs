//! The campaign overview (issue 11, first step): progress per county, or per precinct of a
//! county, from the in-memory people table (`server::universes`: built once, rebuilt when the
//! data changes), so the page costs one pass over the rows whatever the file's size.
//! Organizers see their counties only.

use std::sync::Arc;

use app::accounts::Principal;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::{principal, QueryOf};
use crate::error::{ApiError, ErrorBody};
use crate::pages::{error_page, nav, render, Nav};
use crate::{AppState, Who};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OverviewQuery {
    /// One county: its precincts are listed (drill down).
    #[serde(default)]
    pub county: Option<String>,
    /// Count who has voted in this election (YYYY-MM-DD).
    #[serde(default)]
    pub voted_on: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OverviewBody {
    /// `county`, or `precinct` when a county is given.
    pub by: String,
    pub county: Option<String>,
    pub voted_on: Option<String>,
    /// The total first (key `all`), then one row per county or precinct, largest first.
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<targeting::overview::Row>,
    /// People in the table when it was built.
    pub table_people: u64,
    /// Contact attempts per day over the last `SERIES_DAYS` days up to the latest: `[date,
    /// [doors, calls, texts, mail]]`.
    #[schema(value_type = Vec<Vec<serde_json::Value>>)]
    pub attempts_by_day: Vec<(String, [u64; 4])>,
    /// Relational asks (targeted sharing), campaign-wide counts: made, done, converted.
    pub relational: Option<[i64; 3]>,
    /// Field offices (in the principal's counties): volunteer-days needed, planned, accepted
    /// by the trip planner.
    #[schema(value_type = Vec<Object>)]
    pub trips: Vec<TripOffice>,
}

/// Days of contact attempts in the overview's series.
pub const SERIES_DAYS: usize = 30;

#[derive(Debug, Serialize)]
pub struct TripOffice {
    pub office: String,
    pub county: String,
    pub needed: u64,
    pub planned: u64,
    pub accepted: u64,
}

/// The counties a principal may see: None for everyone.
fn counties_of(p: &Principal) -> Option<Vec<String>> {
    match p {
        Principal::User { role, regions, .. } if !role.reads_everyone() => Some(regions.clone()),
        _ => None,
    }
}

async fn compute(
    state: &AppState,
    p: &Principal,
    q: OverviewQuery,
) -> Result<OverviewBody, ApiError> {
    let voted_on = match q.voted_on.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(model::Date::parse(s).ok_or_else(|| {
            ApiError::field(
                "voted_on",
                format!("voted_on: {s:?} is not a date (YYYY-MM-DD)"),
            )
        })?),
    };
    let county = q
        .county
        .filter(|c| !c.trim().is_empty())
        .map(|c| c.trim().to_uppercase());
    let allowed = counties_of(p);
    if let (Some(c), Some(list)) = (&county, &allowed) {
        if !list.iter().any(|x| x.eq_ignore_ascii_case(c)) {
            return Err(ApiError::new(
                "not_found",
                format!("no county {c} in your regions"),
            ));
        }
    }
    let t = crate::universes::table(state).await?;
    let by = if county.is_some() {
        "precinct"
    } else {
        "county"
    };
    let filter: Option<Vec<String>> = match (&county, &allowed) {
        (Some(c), _) => Some(vec![c.clone()]),
        (None, Some(list)) => Some(list.clone()),
        (None, None) => None,
    };
    let table: Arc<crate::universes::Table> = t;
    let trip_filter = filter.clone();
    let (rows, n, series) = tokio::task::spawn_blocking(move || {
        targeting::overview::progress(&table.people, by, filter.as_deref(), voted_on).map(|rows| {
            let series =
                targeting::overview::attempts_by_day(&table.people, filter.as_deref(), SERIES_DAYS);
            (rows, table.people.len() as u64, series)
        })
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(|e| ApiError::field("by", e))?;
    let (relational, trips) = state
        .pool
        .run(move |st| {
            let r = app::sharing::report(st.sql())?;
            let offices = app::trips::offices(st.sql())?;
            let trips = offices
                .into_iter()
                .filter(|o| {
                    trip_filter
                        .as_ref()
                        .is_none_or(|f| f.iter().any(|c| c.eq_ignore_ascii_case(&o.county)))
                })
                .map(|o| TripOffice {
                    office: o.name,
                    county: o.county,
                    needed: o.needed,
                    planned: o.planned,
                    accepted: o.accepted,
                })
                .collect::<Vec<_>>();
            Ok(((r.made > 0).then_some([r.made, r.done, r.converted]), trips))
        })
        .await?;
    Ok(OverviewBody {
        by: by.into(),
        county,
        voted_on: voted_on.map(|d| d.to_string()),
        table_people: n,
        rows,
        attempts_by_day: series
            .into_iter()
            .map(|(d, v)| (d.to_string(), v))
            .collect(),
        relational,
        trips,
    })
}

/// Progress per county (or per precinct of `county`): people, supporters, volunteers,
/// donors and donors at their limit, canvassed, contact attempts by channel, voted.
/// Organizers: their counties only. 503 while the people table is being built.
#[utoipa::path(get, path = "/api/v1/overview", tag = "overview", params(OverviewQuery),
    responses((status = 200, body = OverviewBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn overview(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    QueryOf(q): QueryOf<OverviewQuery>,
) -> Result<Json<OverviewBody>, ApiError> {
    let p = principal(&who)?;
    Ok(Json(compute(&state, &p, q).await?))
}

/// One row as the page shows it: figures and the shares drawn as bars.
pub struct PageRow {
    pub row: targeting::overview::Row,
    /// Drill down: a county to its precincts; a precinct to its list (universe builder).
    pub href: Option<String>,
    pub supporter_pct: Option<f64>,
    pub canvassed_pct: f64,
    pub voted_pct: Option<f64>,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    nav: Option<Nav>,
    body: OverviewBody,
    rows: Vec<PageRow>,
    /// The attempts chart: (channel, colour, SVG polyline points), the y axis maximum, the
    /// first and last day.
    lines: Vec<(&'static str, &'static str, String)>,
    y_max: u64,
    first_day: String,
    last_day: String,
}

/// Chart size (SVG user units).
const CHART_W: f64 = 600.0;
const CHART_H: f64 = 120.0;

fn chart(series: &[(String, [u64; 4])]) -> (Vec<(&'static str, &'static str, String)>, u64) {
    let y_max = series
        .iter()
        .flat_map(|(_, v)| v[..3].iter().copied())
        .max()
        .unwrap_or(0)
        .max(1);
    let n = series.len().max(2) - 1;
    let lines = [
        ("doors", "#1f6f3f", 0),
        ("calls", "#1f5fa6", 1),
        ("texts", "#b36b00", 2),
    ]
    .iter()
    .map(|&(name, colour, k)| {
        let pts = series
            .iter()
            .enumerate()
            .map(|(i, (_, v))| {
                format!(
                    "{:.1},{:.1}",
                    CHART_W * i as f64 / n as f64,
                    CHART_H - CHART_H * v[k] as f64 / y_max as f64
                )
            })
            .collect::<Vec<_>>()
            .join(" ");
        (name, colour, pts)
    })
    .collect();
    (lines, y_max)
}

/// Percent-encodes a query value.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub async fn page(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    QueryOf(q): QueryOf<OverviewQuery>,
) -> Response {
    let Some(p) = who.0.clone() else {
        return Redirect::to("/login?next=/overview").into_response();
    };
    match compute(&state, &p, q).await {
        Ok(body) => {
            let pct = |a: u64, b: u64| 100.0 * a as f64 / b.max(1) as f64;
            let rows = body
                .rows
                .iter()
                .map(|r| PageRow {
                    href: if r.key == "all" {
                        None
                    } else if body.county.is_none() {
                        Some(format!(
                            "/overview?county={}{}",
                            encode(&r.key),
                            body.voted_on
                                .as_ref()
                                .map(|v| format!("&voted_on={v}"))
                                .unwrap_or_default()
                        ))
                    } else if p.allows(auth::Permission::Universes) {
                        Some(format!(
                            "/universes?expression={}",
                            encode(&format!("precinct = \"{}\"", r.key))
                        ))
                    } else {
                        None
                    },
                    supporter_pct: r.supporters.map(|s| pct(s, r.people)),
                    canvassed_pct: pct(r.canvassed, r.people),
                    voted_pct: r.voted.map(|v| pct(v, r.people)),
                    row: r.clone(),
                })
                .collect();
            let (lines, y_max) = chart(&body.attempts_by_day);
            let first_day = body
                .attempts_by_day
                .first()
                .map(|x| x.0.clone())
                .unwrap_or_default();
            let last_day = body
                .attempts_by_day
                .last()
                .map(|x| x.0.clone())
                .unwrap_or_default();
            render(
                &OverviewPage {
                    nav: nav(Some(&p)),
                    body,
                    rows,
                    lines,
                    y_max,
                    first_day,
                    last_day,
                },
                StatusCode::OK,
            )
        }
        Err(e) => error_page(&e, Some(&p)),
    }
}
