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
use crate::pages::{nav, render, Nav};
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
    /// New registrations and dollars given per week over the last `SERIES_WEEKS` weeks up
    /// to today (in the regions shown).
    #[schema(value_type = Vec<Object>)]
    pub weekly: Vec<targeting::overview::Week>,
    /// The goals of the regions shown (the campaign's, and each county's; a county's only
    /// when drilling into it), with progress and pace.
    #[schema(value_type = Vec<Object>)]
    pub goals: Vec<GoalProgress>,
}

/// A goal and where it stands.
#[derive(Debug, Serialize)]
pub struct GoalProgress {
    pub region: String,
    pub metric: String,
    /// What the measure is, in words.
    pub label: String,
    pub target: u64,
    pub actual: u64,
    /// actual / target.
    pub share: f64,
    pub due: Option<String>,
    pub pace: targeting::overview::Pace,
    /// What was already counted when the goal was set: the steady line runs from it on
    /// `set_at` to the target on `due`.
    pub baseline: u64,
    /// The share of the way from the baseline to the target a steady pace covers by today.
    pub expected: Option<f64>,
    /// The baseline was counted now (the goal is new): to be kept.
    #[serde(skip)]
    pub baseline_new: bool,
    pub set_by: String,
    pub set_at: String,
}

/// Progress of each goal the rows can count: `rows` are per county (or, drilling into
/// `county`, its precincts with the county's total first).
fn goal_progress(
    goals: Vec<app::goals::Goal>,
    rows: &[targeting::overview::Row],
    county: Option<&str>,
    everyone: bool,
    relational: Option<[i64; 3]>,
    trips: &[TripOffice],
    today: model::Date,
) -> Vec<GoalProgress> {
    goals
        .into_iter()
        .filter_map(|g| {
            let row = match (county, g.region.as_str()) {
                (Some(c), r) if r.eq_ignore_ascii_case(c) => rows.first(),
                (Some(_), _) => return None,
                (None, app::goals::ALL) if everyone => rows.first(),
                (None, app::goals::ALL) => return None,
                (None, r) => rows.iter().skip(1).find(|x| x.key.eq_ignore_ascii_case(r)),
            };
            // A county of the goals with nobody in the principal's rows: not theirs to see.
            if row.is_none() && !everyone {
                return None;
            }
            let actual = match g.metric.as_str() {
                "asks_made" => relational.map_or(0, |r| r[0].max(0) as u64),
                "asks_converted" => relational.map_or(0, |r| r[2].max(0) as u64),
                "travellers" => trips
                    .iter()
                    .filter(|o| {
                        g.region == app::goals::ALL || o.county.eq_ignore_ascii_case(&g.region)
                    })
                    .map(|o| o.accepted)
                    .sum(),
                m => row.and_then(|r| r.metric(m)).unwrap_or(0),
            };
            let target = g.target.max(0) as u64;
            let start = model::Date::parse(g.set_at.get(..10).unwrap_or("")).unwrap_or(today);
            let due = g.due.as_deref().and_then(model::Date::parse);
            let baseline = g.baseline.map_or(actual, |b| b.max(0) as u64);
            let (pace, expected) =
                targeting::overview::pace(actual, target, baseline, start, due, today);
            let label = targeting::overview::METRICS
                .iter()
                .find(|m| m.0 == g.metric)
                .map_or_else(|| g.metric.clone(), |m| m.1.to_string());
            Some(GoalProgress {
                region: g.region,
                metric: g.metric,
                label,
                target,
                actual,
                share: actual as f64 / target.max(1) as f64,
                due: g.due,
                pace,
                baseline,
                expected,
                baseline_new: g.baseline.is_none(),
                set_by: g.set_by,
                set_at: g.set_at,
            })
        })
        .collect()
}

/// Days of contact attempts in the overview's series.
pub const SERIES_DAYS: usize = 30;
/// Weeks of registrations and money in the overview's series.
pub const SERIES_WEEKS: usize = 12;

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

pub(crate) async fn compute(
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
    let today = model::Date::parse(&crate::now_iso()[..10]).unwrap_or(model::Date::from_days(0));
    let (rows, n, series, weekly) = tokio::task::spawn_blocking(move || {
        targeting::overview::progress(&table.people, by, filter.as_deref(), voted_on).map(|rows| {
            let series =
                targeting::overview::attempts_by_day(&table.people, filter.as_deref(), SERIES_DAYS);
            let weekly =
                targeting::overview::weekly(&table.people, filter.as_deref(), SERIES_WEEKS, today);
            (rows, table.people.len() as u64, series, weekly)
        })
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(|e| ApiError::field("by", e))?;
    let (relational, trips, goals) = state
        .pool
        .run(move |st| {
            let goals = app::goals::list(st.sql())?;
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
            Ok((
                (r.made > 0).then_some([r.made, r.done, r.converted]),
                trips,
                goals,
            ))
        })
        .await?;
    let goals = goal_progress(
        goals,
        &rows,
        county.as_deref(),
        allowed.is_none(),
        relational,
        &trips,
        today,
    );
    // New goals: what is counted now is where their steady line starts.
    let baselines: Vec<(String, String, i64)> = goals
        .iter()
        .filter(|g| g.baseline_new)
        .map(|g| (g.region.clone(), g.metric.clone(), g.baseline as i64))
        .collect();
    if !baselines.is_empty() {
        // Bookkeeping: a failed write (the store busy with a load) is retried at the next view.
        let written = state
            .pool
            .run(move |st| {
                for (r, m, b) in &baselines {
                    store::goals::set_baseline(st.sql(), r, m, *b)?;
                }
                Ok(())
            })
            .await;
        if let Err(e) = written {
            tracing::warn!(error = %e.message, "goal baselines not written");
        }
    }
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
        weekly,
        goals,
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

/// A goal as the page shows it.
pub struct PageGoal {
    pub g: GoalProgress,
    /// For the progress bar: the actual, at most the target.
    pub value: u64,
    pub pct: f64,
    pub words: &'static str,
    /// Where a steady pace would be today, as a share of the target (%).
    pub expected_pct: Option<f64>,
    /// The pace as a CSS class suffix.
    pub class: &'static str,
}

/// Bars of one weekly series: (x, height, value, week) in SVG units, and the largest value.
fn bars(
    weekly: &[targeting::overview::Week],
    f: impl Fn(&targeting::overview::Week) -> u64,
) -> (Vec<(f64, f64, u64, String)>, u64) {
    let max = weekly.iter().map(&f).max().unwrap_or(0).max(1);
    let w = CHART_W / weekly.len().max(1) as f64;
    let bars = weekly
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let v = f(x);
            (
                w * i as f64,
                WEEK_H * v as f64 / max as f64,
                v,
                x.from.clone(),
            )
        })
        .collect();
    (bars, max)
}

/// Height of a weekly bar chart (SVG user units).
const WEEK_H: f64 = 60.0;

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    nav: Option<Nav>,
    /// Weekly bars: registrations and dollars, each with its largest value; the bar width.
    reg_bars: Vec<(f64, f64, u64, String)>,
    reg_max: u64,
    money_bars: Vec<(f64, f64, u64, String)>,
    money_max: u64,
    bar_w: f64,
    goals: Vec<PageGoal>,
    /// The goal form: regions (`all` and the counties shown) and measures; empty when the
    /// principal may not set goals.
    goal_regions: Vec<String>,
    metrics: Vec<(&'static str, &'static str)>,
    csrf: String,
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
        Ok(mut body) => {
            let pct = |a: u64, b: u64| 100.0 * a as f64 / b.max(1) as f64;
            let goals = std::mem::take(&mut body.goals)
                .into_iter()
                .map(|g| {
                    use targeting::overview::Pace;
                    let (words, class) = match g.pace {
                        Pace::Done => ("reached", "reached"),
                        Pace::OnPace => ("on pace", "on-pace"),
                        Pace::Behind => ("behind", "behind"),
                        Pace::Missed => ("missed", "missed"),
                        Pace::Open => ("no due date", "open"),
                    };
                    let expected_pct = g.expected.map(|e| {
                        let b = g.baseline.min(g.target) as f64;
                        100.0 * (b + e * (g.target as f64 - b)) / g.target.max(1) as f64
                    });
                    PageGoal {
                        expected_pct,
                        value: g.actual.min(g.target),
                        pct: 100.0 * g.share,
                        words,
                        class,
                        g,
                    }
                })
                .collect();
            let can_set = p.allows(auth::Permission::Goals);
            let goal_regions: Vec<String> = if can_set {
                std::iter::once(app::goals::ALL.to_string())
                    .chain(
                        body.rows
                            .iter()
                            .skip(1)
                            .filter(|r| body.county.is_none() && !r.key.is_empty())
                            .map(|r| r.key.clone()),
                    )
                    .chain(body.county.clone())
                    .collect()
            } else {
                Vec::new()
            };
            let rows = body
                .rows
                .iter()
                .map(|r| PageRow {
                    // People with no county (or precinct) known: counted, nowhere to drill.
                    href: if r.key == "all" || r.key.is_empty() {
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
            let (reg_bars, reg_max) = bars(&body.weekly, |w| w.registrations);
            let (money_bars, money_max) = bars(&body.weekly, |w| w.dollars);
            let bar_w = CHART_W / body.weekly.len().max(1) as f64 - 4.0;
            render(
                &OverviewPage {
                    nav: nav(Some(&p)),
                    reg_bars,
                    reg_max,
                    money_bars,
                    money_max,
                    bar_w,
                    goals,
                    goal_regions,
                    metrics: targeting::overview::METRICS.to_vec(),
                    csrf: crate::pages::csrf_of(&p),
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
        Err(e) => crate::pages::error_page_reloading(&e, Some(&p)),
    }
}
