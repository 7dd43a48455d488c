//! Universes over HTTP (issue 7, first step): the people as columns are kept in memory, built
//! in the background at the first request and again when the data changed (a change in the
//! feed, a model approved or applied); counts use the newest complete table and never wait for
//! a rebuild (only for the very first one: 503 with `Retry-After`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use app::accounts::Principal;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};
use serde::{Deserialize, Serialize};
use targeting::People;
use tokio::sync::RwLock;
use utoipa::{IntoParams, ToSchema};

use crate::api::{parse_id, principal, JsonBody, QueryOf};
use crate::error::{ApiError, ErrorBody};
use crate::pages::{csrf_of, error_page, form_csrf, nav, render, Nav};
use crate::{now_iso, AppState, Who};

/// Seconds a client is told to wait while the first table is built.
pub const TABLE_RETRY_SECONDS: u64 = 5;

pub(crate) struct Table {
    pub(crate) people: People,
    version: String,
}

#[derive(Default)]
pub struct Universes {
    table: RwLock<Option<Arc<Table>>>,
    building: AtomicBool,
}

impl Universes {
    /// People in the table, once it is read.
    pub async fn people(&self) -> Option<usize> {
        self.table.read().await.as_ref().map(|t| t.people.len())
    }
}

fn this_year() -> u16 {
    now_iso()[..4].parse().unwrap_or(2026)
}

pub(crate) fn rebuild(state: &AppState) {
    if state.universes.building.swap(true, Ordering::SeqCst) {
        return;
    }
    let state = state.clone();
    tokio::spawn(async move {
        let started = Instant::now();
        let built = state
            .pool
            .run(|s| {
                let version = app::universes::data_version(s.sql())?;
                let year = app::universes::age_year(s.sql(), this_year());
                let people = app::universes::load(s.sql(), year)?;
                Ok(Table { people, version })
            })
            .await;
        match built {
            Ok(t) => {
                tracing::info!(
                    people = t.people.len(),
                    seconds = started.elapsed().as_secs_f64(),
                    "universe table built"
                );
                *state.universes.table.write().await = Some(Arc::new(t));
            }
            Err(e) => tracing::error!(code = e.code, "universe table build failed"),
        }
        state.universes.building.store(false, Ordering::SeqCst);
    });
}

pub(crate) async fn table(state: &AppState) -> Result<Arc<Table>, ApiError> {
    let have = state.universes.table.read().await.clone();
    let version = state
        .pool
        .run(|s| Ok(app::universes::data_version(s.sql())?))
        .await?;
    match have {
        Some(t) => {
            if t.version != version {
                rebuild(state);
            }
            Ok(t)
        }
        None => {
            rebuild(state);
            Err(ApiError {
                retry_after: Some(TABLE_RETRY_SECONDS),
                ..ApiError::new(
                    "unavailable",
                    "the people are being read into memory for counting: retry in a few seconds",
                )
            })
        }
    }
}

/// Builds the table now and waits (tests).
pub async fn build_now(state: &AppState) -> Result<(), ApiError> {
    let t = state
        .pool
        .run(|s| {
            let version = app::universes::data_version(s.sql())?;
            let year = app::universes::age_year(s.sql(), this_year());
            Ok(Table {
                people: app::universes::load(s.sql(), year)?,
                version,
            })
        })
        .await?;
    *state.universes.table.write().await = Some(Arc::new(t));
    Ok(())
}

impl From<app::universes::UniverseError> for ApiError {
    fn from(e: app::universes::UniverseError) -> Self {
        use app::universes::UniverseError as E;
        match e {
            E::Store(s) => s.into(),
            E::Expression(le) => ApiError::field("expression", format!("expression: {le}")),
            E::Name(m) => ApiError::field("name", m),
            E::By(m) => ApiError::field("by", m),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CountParams {
    /// The universe expression (empty: everyone), e.g.
    /// `county in ("WAKE","DURHAM") and support >= 0.6 and not voted(2026-11-03)`.
    #[param(max_length = 4000)]
    pub expression: Option<String>,
    /// Breakdowns, comma-separated: county, precinct, age_band, party, sex, race,
    /// congressional_district, state.
    pub by: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CountBody {
    pub count: u64,
    pub total: u64,
    /// The plan, one condition per line.
    pub explain: String,
    /// Per breakdown field: `[field, [[value, count], …]]`, largest first.
    #[schema(value_type = Vec<Vec<serde_json::Value>>)]
    pub breakdowns: Vec<(String, Vec<(String, u64)>)>,
    /// Time to plan, evaluate and break down, in milliseconds.
    pub milliseconds: f64,
}

fn split_by(by: &Option<String>) -> Vec<String> {
    by.as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// Count the people a universe expression selects, with its plan and breakdowns (fast enough
/// to call while typing). An error names the position in the expression.
#[utoipa::path(get, path = "/api/v1/universes/count", params(CountParams),
    responses((status = 200, body = CountBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn count(
    State(state): State<AppState>,
    QueryOf(q): QueryOf<CountParams>,
) -> Result<Json<CountBody>, ApiError> {
    let expression = q.expression.unwrap_or_default();
    if expression.len() > targeting::lang::EXPRESSION_BYTES_MAX {
        return Err(ApiError::field(
            "expression",
            format!(
                "expression: longer than {} bytes",
                targeting::lang::EXPRESSION_BYTES_MAX
            ),
        ));
    }
    let by = split_by(&q.by);
    let t = table(&state).await?;
    let body = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        app::universes::count(&t.people, &expression, &by).map(|c| CountBody {
            count: c.count,
            total: c.total,
            explain: c.explain,
            breakdowns: c.breakdowns,
            milliseconds: started.elapsed().as_secs_f64() * 1e3,
        })
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(Json(body))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GoalsParams {
    /// The election being worked, YYYY-MM-DD (default: the latest in the absentee files).
    #[param(format = Date)]
    pub election: Option<String>,
    /// The state the campaign registers voters in (default NC).
    #[param(max_length = 2)]
    pub state: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GoalsBody {
    pub election: String,
    pub state: String,
    /// Each goal: `goal`, `logic`, `expression`, `count` (or `error` when a score it needs has
    /// no approved model yet).
    #[schema(value_type = Vec<Object>)]
    pub goals: Vec<app::universes::GoalView>,
}

async fn goals_inner(
    state: &AppState,
    election: Option<String>,
    st: Option<String>,
) -> Result<GoalsBody, ApiError> {
    let election = match election {
        Some(e) => Some(
            model::Date::parse(&e)
                .filter(|d| d.to_string() == e)
                .ok_or_else(|| {
                    ApiError::field(
                        "election",
                        format!("election: {e:?} is not a date (YYYY-MM-DD)"),
                    )
                })?,
        ),
        None => None,
    };
    let st = st.unwrap_or_else(|| "NC".into());
    if st.len() != 2 || !st.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(ApiError::field(
            "state",
            format!("state: {st:?} is not a two-letter state code"),
        ));
    }
    let election = match election {
        Some(d) => d,
        None => {
            state
                .pool
                .run(|s| {
                    app::scores::current_election(s.sql())
                        .map_err(|e| ApiError::field("election", format!("election: {e}")))
                })
                .await?
        }
    };
    let t = table(state).await?;
    Ok(GoalsBody {
        election: election.to_string(),
        state: st.to_uppercase(),
        goals: app::universes::goals(&t.people, election, &st),
    })
}

/// The four goal templates (registration, persuasion, turnout, fundraising) with their logic,
/// expressions (suppression rules written in) and counts now.
#[utoipa::path(get, path = "/api/v1/universes/goals", params(GoalsParams),
    responses((status = 200, body = GoalsBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn goals(
    State(state): State<AppState>,
    QueryOf(q): QueryOf<GoalsParams>,
) -> Result<Json<GoalsBody>, ApiError> {
    Ok(Json(goals_inner(&state, q.election, q.state).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UniversesBody {
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<app::universes::Universe>,
}

/// Saved universes, by name.
#[utoipa::path(get, path = "/api/v1/universes",
    responses((status = 200, body = UniversesBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<UniversesBody>, ApiError> {
    let items = state
        .pool
        .run(|s| Ok(app::universes::all(s.sql())?))
        .await?;
    Ok(Json(UniversesBody { items }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UniverseNew {
    /// No control characters.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^\s*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
    /// A valid expression (checked against the data now).
    #[schema(max_length = 4000)]
    pub expression: String,
}

async fn save_inner(
    state: &AppState,
    p: &Principal,
    name: String,
    expression: String,
) -> Result<app::universes::Universe, ApiError> {
    let t = table(state).await?;
    let actor = p.actor();
    state
        .pool
        .run(move |s| {
            Ok(app::universes::save(
                s.sql(),
                &t.people,
                &name,
                &expression,
                &actor,
                &now_iso(),
            )?)
        })
        .await
}

/// Save a universe under a name (replacing one of that name).
#[utoipa::path(post, path = "/api/v1/universes", request_body = UniverseNew,
    responses((status = 201, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    JsonBody(b): JsonBody<UniverseNew>,
) -> Result<Response, ApiError> {
    let p = principal(&who)?;
    let u = save_inner(&state, &p, b.name, b.expression).await?;
    Ok((StatusCode::CREATED, Json(u)).into_response())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UniverseBody {
    #[schema(value_type = Object)]
    pub universe: app::universes::Universe,
    pub count: u64,
    pub total: u64,
    pub explain: String,
}

/// A saved universe with its count now.
#[utoipa::path(get, path = "/api/v1/universes/{id}", params(("id" = i64, Path, description = "Universe id")),
    responses((status = 200, body = UniverseBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<UniverseBody>, ApiError> {
    let id = parse_id(&id, "universe")?;
    let u = state
        .pool
        .run(move |s| Ok(app::universes::get(s.sql(), id)?))
        .await?
        .ok_or_else(|| ApiError::not_found("universe"))?;
    let t = table(&state).await?;
    let c = app::universes::count(&t.people, &u.expression, &[])?;
    Ok(Json(UniverseBody {
        universe: u,
        count: c.count,
        total: c.total,
        explain: c.explain,
    }))
}

// ---- page ----

#[derive(Template)]
#[template(path = "universes.html")]
struct UniversesPage {
    nav: Option<Nav>,
    expression: String,
    by: String,
    fields: Vec<(String, String)>,
    breakdown_fields: Vec<String>,
    result: Option<(u64, u64, String, f64)>,
    error: String,
    breakdowns: Vec<(String, Vec<(String, u64)>)>,
    /// (name, expression, link to count it).
    saved: Vec<(String, String, String)>,
    /// (goal, count or why not, logic, link).
    goals: Vec<(String, String, String, String)>,
    csrf: String,
    message: String,
}

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    pub expression: Option<String>,
    pub by: Option<String>,
    pub saved: Option<String>,
}

/// The universe builder: an expression, its count, plan and breakdowns; saved universes.
pub async fn page(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    axum::extract::Query(q): axum::extract::Query<PageQuery>,
) -> Response {
    let Some(p) = who.0.clone() else {
        return Redirect::to("/login?next=/universes").into_response();
    };
    let t = match table(&state).await {
        Ok(t) => t,
        Err(e) => return crate::pages::error_page_reloading(&e, Some(&p)),
    };
    let expression = q.expression.unwrap_or_default();
    let by = q.by.clone().unwrap_or_else(|| "county".into());
    let mut result = None;
    let mut error = String::new();
    let mut breakdowns = Vec::new();
    if expression.len() > targeting::lang::EXPRESSION_BYTES_MAX {
        error = format!(
            "The expression is longer than {} bytes.",
            targeting::lang::EXPRESSION_BYTES_MAX
        );
    } else {
        let started = Instant::now();
        match app::universes::count(&t.people, &expression, &split_by(&Some(by.clone()))) {
            Ok(c) => {
                result = Some((
                    c.count,
                    c.total,
                    c.explain,
                    started.elapsed().as_secs_f64() * 1e3,
                ));
                breakdowns = c
                    .breakdowns
                    .into_iter()
                    .map(|(f, rows)| (f, rows.into_iter().take(50).collect()))
                    .collect();
            }
            Err(app::universes::UniverseError::Expression(le)) => error = le.show(&expression),
            Err(e) => error = e.to_string(),
        }
    }
    let saved = match state.pool.run(|s| Ok(app::universes::all(s.sql())?)).await {
        Ok(v) => v
            .into_iter()
            .map(|u| {
                let href = format!(
                    "/universes?expression={}",
                    crate::api::encode(&u.expression)
                );
                (u.name, u.expression, href)
            })
            .collect(),
        Err(e) => return error_page(&e, Some(&p)),
    };
    let goals = match goals_inner(&state, None, None).await {
        Ok(g) => g
            .goals
            .into_iter()
            .map(|g| {
                let n = match (g.count, g.error) {
                    (Some(c), _) => format!("{c} people"),
                    (None, Some(e)) => format!("not yet: {e}"),
                    _ => String::new(),
                };
                let href = format!(
                    "/universes?expression={}",
                    crate::api::encode(&g.expression)
                );
                (g.goal.name().to_string(), n, g.logic.to_string(), href)
            })
            .collect(),
        // No current election loaded: the goals need one; the page works without them.
        Err(_) => Vec::new(),
    };
    let csrf = csrf_of(&p);
    render(
        &UniversesPage {
            goals,
            nav: nav(Some(&p)),
            expression,
            by,
            fields: t
                .people
                .fields()
                .into_iter()
                .map(|(n, k)| (n, k.to_string()))
                .collect(),
            breakdown_fields: app::universes::BREAKDOWN_FIELDS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            result,
            error,
            breakdowns,
            saved,
            csrf,
            message: match q.saved {
                Some(n) => format!("Saved as “{n}”."),
                None => String::new(),
            },
        },
        StatusCode::OK,
    )
}

#[derive(Debug, Deserialize)]
pub struct SaveForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub expression: String,
}

/// The page's save form.
pub async fn save_form(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Form(f): Form<SaveForm>,
) -> Response {
    let Some(p) = who.0.clone() else {
        return Redirect::to("/login?next=/universes").into_response();
    };
    if let Err(refused) = form_csrf(&p, &f.csrf) {
        return refused;
    }
    match save_inner(&state, &p, f.name, f.expression).await {
        Ok(u) => Redirect::to(&format!(
            "/universes?expression={}&saved={}",
            crate::api::encode(&u.expression),
            crate::api::encode(&u.name)
        ))
        .into_response(),
        Err(e) => error_page(&e, Some(&p)),
    }
}

// ---- field results one at a time ----

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CanvassBody {
    /// Your id for this result (a-z, A-Z, 0-9, '-', '_'): sending it again changes nothing,
    /// sending it with other values corrects the result.
    #[schema(min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9_-]+$")]
    pub identifier: String,
    /// Contacted, Not Home, Refused, Moved, Deceased, Wrong Number, Inaccessible.
    #[schema(pattern = "^(Contacted|Not Home|Refused|Moved|Deceased|Wrong Number|Inaccessible)$")]
    pub result: String,
    /// 1 (strong support) … 5 (strong oppose); only with Contacted.
    #[schema(minimum = 1, maximum = 5)]
    pub support_id: Option<i64>,
    /// door (default), phone, text, mail.
    #[schema(pattern = "^(door|phone|text|mail)$")]
    pub contact_type: Option<String>,
    /// YYYY-MM-DD (default: today).
    #[schema(format = Date)]
    pub date: Option<String>,
}

/// Record a canvass or call result on a person (OSDI record_canvass style): kept against
/// their registration, in their records at once, counted by universes (`canvassed`) and used
/// by the next support model.
#[utoipa::path(post, path = "/api/v1/people/{id}/record_canvass", request_body = CanvassBody,
    params(("id" = i64, Path, description = "Person id")),
    responses((status = 201, body = Object), (status = 200, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn record_canvass(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<CanvassBody>,
) -> Result<Response, ApiError> {
    let p = principal(&who)?;
    let id = parse_id(&id, "person")?;
    let input = app::field::CanvassInput {
        id: b.identifier,
        result: b.result,
        support_id: b.support_id,
        contact_type: b.contact_type,
        date: b.date,
    };
    let who2 = p.clone();
    let r = state
        .pool
        .run(move |s| {
            Ok(app::field::record_canvass(
                s,
                &who2,
                id,
                &input,
                &now_iso(),
            )?)
        })
        .await?;
    state
        .audit
        .write(store::accounts::AuditRecord::new(
            &now_iso(),
            &p.actor(),
            "canvass.record",
            &format!("person:{id}"),
            serde_json::json!({ "outcome": r.outcome }),
        ))
        .await?;
    let status = if r.outcome == "unchanged" {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(r)).into_response())
}
