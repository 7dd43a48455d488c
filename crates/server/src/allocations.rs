//! Budgeted allocation over HTTP (issue 7): run one on the in-memory universe table and keep
//! it, list runs, read who was chosen and why, export a channel's list as CSV (audited); the
//! page to do the same.

use std::collections::BTreeMap;

use app::accounts::Principal;
use app::allocate::{AllocateError, Request, Run};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};
use serde::{Deserialize, Serialize};
use targeting::allocate::{Channel, ChannelSpec, ContactCap, CHANNELS};
use targeting::goals::Goal;
use utoipa::{IntoParams, ToSchema};

use crate::api::{parse_id, principal, JsonBody, QueryOf};
use crate::error::{ApiError, ErrorBody};
use crate::pages::{csrf_of, error_page, form_csrf, nav, render, Nav};
use crate::universes::table;
use crate::{now_iso, AppState, Who};

impl From<AllocateError> for ApiError {
    fn from(e: AllocateError) -> Self {
        match e {
            AllocateError::Store(s) => s.into(),
            AllocateError::Invalid(m) => {
                let field = m.split([':', '.']).next().unwrap_or("body").to_string();
                ApiError::field(&field, m)
            }
            AllocateError::Expression { goal, error } => {
                ApiError::field("universes", format!("universes.{goal}: {error}"))
            }
        }
    }
}

/// Effects of a reached contact per goal (shares between 0 and 1).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EffectIn {
    #[schema(minimum = 0, maximum = 1)]
    pub registration: f64,
    #[schema(minimum = 0, maximum = 1)]
    pub persuasion: f64,
    #[schema(minimum = 0, maximum = 1)]
    pub turnout: f64,
    #[schema(minimum = 0, maximum = 1)]
    pub fundraising: f64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelIn {
    /// door, phone, text or mail.
    #[schema(pattern = "^(door|phone|text|mail)$")]
    pub channel: String,
    /// In the channel's unit: door hours, calls, texts, mail pieces.
    #[schema(minimum = 0, maximum = 10000000)]
    pub budget: f64,
    /// Units per attempt (default: 1/12 hour for a door, 1 otherwise).
    #[schema(exclusive_minimum = 0, maximum = 1000)]
    pub cost: Option<f64>,
    /// Share of attempts that reach the person (default per channel).
    #[schema(minimum = 0, maximum = 1)]
    pub contact_rate: Option<f64>,
    pub effect: Option<EffectIn>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CapIn {
    #[schema(pattern = "^(door|phone|text|mail)$")]
    pub channel: String,
    #[schema(minimum = 1, maximum = 1000)]
    pub max_attempts: u32,
    #[schema(minimum = 1, maximum = 3660)]
    pub window_days: u32,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AllocationNew {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^\s*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
    #[schema(min_items = 1, max_items = 4)]
    pub channels: Vec<ChannelIn>,
    /// Goals in the mix (default all four): registration, persuasion, turnout, fundraising.
    pub goals: Option<Vec<String>>,
    /// A goal's universe instead of its template, by goal name.
    #[schema(value_type = Option<Object>)]
    pub universes: Option<BTreeMap<String, String>>,
    /// Dollars counted as one net vote (default 1000).
    #[schema(exclusive_minimum = 0, maximum = 1000000000)]
    pub dollars_per_vote: Option<f64>,
    /// Frequency caps (default: 2 knocks in 14 days, 3 calls or texts in 7, 4 pieces in 30).
    pub caps: Option<Vec<CapIn>>,
    /// The election being worked, YYYY-MM-DD (default: the latest in the absentee files).
    #[schema(format = Date)]
    pub election: Option<String>,
    /// The state registration targets live in (default NC).
    #[schema(pattern = "^[A-Za-z]{2}$")]
    pub state: Option<String>,
    /// The day caps are counted at, YYYY-MM-DD (default today).
    #[schema(format = Date)]
    pub today: Option<String>,
}

fn date(field: &str, v: &str) -> Result<model::Date, ApiError> {
    model::Date::parse(v)
        .filter(|d| d.to_string() == v)
        .ok_or_else(|| ApiError::field(field, format!("{field}: {v:?} is not a date (YYYY-MM-DD)")))
}

fn channel(field: &str, v: &str) -> Result<Channel, ApiError> {
    Channel::parse(v).ok_or_else(|| {
        ApiError::field(
            field,
            format!("{field}: {v:?}; use door, phone, text or mail"),
        )
    })
}

/// The request the engine gets, from the body (defaults filled in).
async fn request(state: &AppState, b: AllocationNew) -> Result<Request, ApiError> {
    let election = match &b.election {
        Some(e) => date("election", e)?,
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
    let today = match &b.today {
        Some(d) => date("today", d)?,
        None => date("today", &now_iso()[..10])?,
    };
    let st = b.state.clone().unwrap_or_else(|| "NC".into());
    if st.len() != 2 || !st.bytes().all(|c| c.is_ascii_alphabetic()) {
        return Err(ApiError::field(
            "state",
            format!("state: {st:?} is not a two-letter state code"),
        ));
    }
    let mut req = Request::defaults(&b.name, election, &st, today, [0.0; CHANNELS]);
    req.spec.channels.clear();
    for c in b.channels {
        let ch = channel("channels.channel", &c.channel)?;
        let mut s = ChannelSpec::default_for(ch, c.budget);
        if let Some(x) = c.cost {
            s.cost = x;
        }
        if let Some(x) = c.contact_rate {
            s.contact_rate = x;
        }
        if let Some(e) = c.effect {
            s.effect = [e.registration, e.persuasion, e.turnout, e.fundraising];
        }
        req.spec.channels.push(s);
    }
    if let Some(d) = b.dollars_per_vote {
        req.spec.dollars_per_vote = d;
    }
    if let Some(caps) = b.caps {
        req.caps = caps
            .into_iter()
            .map(|c| {
                Ok(ContactCap {
                    channel: channel("caps.channel", &c.channel)?,
                    max_attempts: c.max_attempts,
                    window_days: c.window_days,
                })
            })
            .collect::<Result<_, ApiError>>()?;
    }
    if let Some(goals) = b.goals {
        let mut keep = Vec::new();
        for g in &goals {
            keep.push(Goal::parse(g).ok_or_else(|| {
                ApiError::field(
                    "goals",
                    format!("goals: {g:?}; use registration, persuasion, turnout, fundraising"),
                )
            })?);
        }
        req.goals.retain(|(g, _)| keep.contains(g));
    }
    for (g, expr) in b.universes.unwrap_or_default() {
        let goal = Goal::parse(&g).ok_or_else(|| {
            ApiError::field("universes", format!("universes: {g:?} is not a goal (registration, persuasion, turnout, fundraising)"))
        })?;
        if expr.len() > targeting::lang::EXPRESSION_BYTES_MAX {
            return Err(ApiError::field(
                "universes",
                format!(
                    "universes.{g}: longer than {} bytes",
                    targeting::lang::EXPRESSION_BYTES_MAX
                ),
            ));
        }
        match req.goals.iter_mut().find(|(x, _)| *x == goal) {
            Some(slot) => slot.1 = expr,
            None => req.goals.push((goal, expr)),
        }
    }
    Ok(req)
}

/// Runs and keeps an allocation.
async fn run_and_keep(state: &AppState, p: &Principal, req: Request) -> Result<Run, ApiError> {
    let t = table(state).await?;
    let actor = p.actor();
    state
        .pool
        .run(move |s| {
            let (a, cands) = app::allocate::run(&t.people, &req)?;
            Ok(app::allocate::save(
                s.sql(),
                &t.people,
                &req,
                &a,
                &cands,
                &actor,
                &now_iso(),
            )?)
        })
        .await
}

/// Allocate a contact budget: who gets a knock, call, text or mail piece, for which goal, to
/// maximise expected net votes (money counted at `dollars_per_vote`); the run is kept.
#[utoipa::path(post, path = "/api/v1/allocations", request_body = AllocationNew,
    responses((status = 201, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    JsonBody(b): JsonBody<AllocationNew>,
) -> Result<Response, ApiError> {
    let p = principal(&who)?;
    let req = request(&state, b).await?;
    let run = run_and_keep(&state, &p, req).await?;
    Ok((StatusCode::CREATED, Json(run)).into_response())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AllocationsBody {
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<Run>,
}

/// Kept allocations, newest first.
#[utoipa::path(get, path = "/api/v1/allocations",
    responses((status = 200, body = AllocationsBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<AllocationsBody>, ApiError> {
    let items = state.pool.run(|s| Ok(app::allocate::all(s.sql())?)).await?;
    Ok(Json(AllocationsBody { items }))
}

async fn get_run(state: &AppState, id: &str) -> Result<Run, ApiError> {
    let id = parse_id(id, "allocation")?;
    state
        .pool
        .run(move |s| Ok(app::allocate::get(s.sql(), id)?))
        .await?
        .ok_or_else(|| ApiError::not_found("allocation"))
}

/// One kept allocation: its question and its figures per channel.
#[utoipa::path(get, path = "/api/v1/allocations/{id}", params(("id" = i64, Path, description = "Allocation id")),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Run>, ApiError> {
    Ok(Json(get_run(&state, &id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemsParams {
    /// Only this channel: door, phone, text or mail.
    #[param(pattern = "^(door|phone|text|mail)$")]
    pub channel: Option<String>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemsBody {
    /// person_id, channel, goal, value, votes, dollars and why, best first.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<app::allocate::Item>,
}

/// The people an allocation chose, best first, with why (person ids and figures only).
#[utoipa::path(get, path = "/api/v1/allocations/{id}/items", params(("id" = i64, Path, description = "Allocation id"), ItemsParams),
    responses((status = 200, body = ItemsBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn items(
    State(state): State<AppState>,
    Path(id): Path<String>,
    QueryOf(q): QueryOf<ItemsParams>,
) -> Result<Json<ItemsBody>, ApiError> {
    let run = get_run(&state, &id).await?;
    let ch = q
        .channel
        .as_deref()
        .map(|c| channel("channel", c))
        .transpose()?;
    let (limit, offset) = (q.limit.unwrap_or(100), q.offset.unwrap_or(0));
    let items = state
        .pool
        .run(move |s| Ok(app::allocate::items(s.sql(), &run, ch, limit, offset)?))
        .await?;
    Ok(Json(ItemsBody { items }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// The channel whose list to export: phone, text or mail (door lists come by turf).
    #[param(pattern = "^(door|phone|text|mail)$")]
    pub channel: String,
    /// Column set: tusk (default) or van.
    #[param(pattern = "^(tusk|van)$")]
    pub format: Option<String>,
}

/// A channel's list of an allocation as CSV (names, addresses, phones), best first. Audited.
#[utoipa::path(get, path = "/api/v1/allocations/{id}/export", params(("id" = i64, Path, description = "Allocation id"), ExportParams),
    responses((status = 200, description = "CSV", content_type = "text/csv"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
    QueryOf(q): QueryOf<ExportParams>,
) -> Result<Response, ApiError> {
    let p = principal(&who)?;
    let run = get_run(&state, &id).await?;
    let ch = channel("channel", &q.channel)?;
    let format = match q.format.as_deref() {
        None => app::lists::Format::Tusk,
        Some(f) => app::lists::Format::parse(f)
            .ok_or_else(|| ApiError::field("format", format!("format: {f:?}; use tusk or van")))?,
    };
    let run_id = run.id;
    let (text, rows) = state
        .pool
        .run(move |s| {
            let year = app::universes::age_year(s.sql(), now_iso()[..4].parse().unwrap_or(2026));
            Ok(app::allocate::list_csv(
                s.sql(),
                &run,
                ch,
                format,
                i64::from(year),
            )?)
        })
        .await?;
    state
        .audit
        .write(app::lists::audit(
            &p.actor(),
            &format!("allocation:{run_id}:{}", ch.name()),
            rows,
            format,
            &now_iso(),
        ))
        .await?;
    Ok(crate::api::csv_attachment(
        &format!("allocation-{run_id}-{}.csv", ch.name()),
        text,
    ))
}

// ---- pages ----

/// One channel's row on the pages.
struct ChannelRow {
    channel: String,
    budget: String,
    attempts: u64,
    reached: String,
    votes: String,
    dollars: String,
    marginal: String,
    by_goal: [u64; 4],
}

fn channel_rows(run: &Run) -> Vec<ChannelRow> {
    run.summary
        .channels
        .iter()
        .map(|c| ChannelRow {
            channel: c.channel.name().into(),
            budget: format!("{:.0} {}", c.budget, c.unit),
            attempts: c.attempts,
            reached: format!("{:.0}", c.expected_contacts),
            votes: format!("{:.1}", c.votes),
            dollars: format!("{:.0}", c.dollars),
            marginal: format!(
                "{:.5} per {}",
                c.marginal_value_per_unit,
                c.unit.trim_end_matches('s')
            ),
            by_goal: c.by_goal,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "allocations.html")]
struct AllocationsPage {
    nav: Option<Nav>,
    csrf: String,
    /// (id, name, created, chosen, votes, dollars)
    runs: Vec<(i64, String, String, u64, String, String)>,
}

/// The allocation form and the kept runs.
pub async fn page(State(state): State<AppState>, Extension(who): Extension<Who>) -> Response {
    let Some(p) = who.0.clone() else {
        return Redirect::to("/login?next=/allocations").into_response();
    };
    let runs = match state.pool.run(|s| Ok(app::allocate::all(s.sql())?)).await {
        Ok(v) => v
            .into_iter()
            .map(|r| {
                (
                    r.id,
                    r.name,
                    r.created_at,
                    r.summary.chosen,
                    format!("{:.1}", r.summary.votes),
                    format!("{:.0}", r.summary.dollars),
                )
            })
            .collect(),
        Err(e) => return error_page(&e, Some(&p)),
    };
    let csrf = csrf_of(&p);
    render(
        &AllocationsPage {
            nav: nav(Some(&p)),
            csrf,
            runs,
        },
        StatusCode::OK,
    )
}

#[derive(Debug, Deserialize)]
pub struct RunForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub door_hours: String,
    #[serde(default)]
    pub calls: String,
    #[serde(default)]
    pub texts: String,
    #[serde(default)]
    pub mail: String,
    #[serde(default)]
    pub dollars_per_vote: String,
}

/// The page's form: runs and keeps an allocation, then shows it.
pub async fn run_form(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Form(f): Form<RunForm>,
) -> Response {
    let Some(p) = who.0.clone() else {
        return Redirect::to("/login?next=/allocations").into_response();
    };
    if let Err(refused) = form_csrf(&p, &f.csrf) {
        return refused;
    }
    let num = |field: &str, v: &str| -> Result<f64, ApiError> {
        if v.trim().is_empty() {
            return Ok(0.0);
        }
        v.trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite() && *x >= 0.0)
            .ok_or_else(|| {
                ApiError::field(
                    field,
                    format!("{field}: {v:?} is not a number of at least 0"),
                )
            })
    };
    let body = (|| -> Result<AllocationNew, ApiError> {
        let mut channels = Vec::new();
        for (field, ch, v) in [
            ("door_hours", "door", &f.door_hours),
            ("calls", "phone", &f.calls),
            ("texts", "text", &f.texts),
            ("mail", "mail", &f.mail),
        ] {
            channels.push(ChannelIn {
                channel: ch.into(),
                budget: num(field, v)?,
                cost: None,
                contact_rate: None,
                effect: None,
            });
        }
        let dpv = num("dollars_per_vote", &f.dollars_per_vote)?;
        Ok(AllocationNew {
            name: if f.name.trim().is_empty() {
                "allocation".into()
            } else {
                f.name.clone()
            },
            channels,
            goals: None,
            universes: None,
            dollars_per_vote: (dpv > 0.0).then_some(dpv),
            caps: None,
            election: None,
            state: None,
            today: None,
        })
    })();
    let result = match body {
        Ok(b) => match request(&state, b).await {
            Ok(req) => run_and_keep(&state, &p, req).await,
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    match result {
        Ok(run) => Redirect::to(&format!("/allocations/{}", run.id)).into_response(),
        Err(e) => error_page(&e, Some(&p)),
    }
}

#[derive(Template)]
#[template(path = "allocation.html")]
struct AllocationPage {
    nav: Option<Nav>,
    id: i64,
    name: String,
    created: String,
    votes: String,
    dollars: String,
    chosen: u64,
    eligible: u64,
    dollars_per_vote: String,
    channels: Vec<ChannelRow>,
    /// (person id, channel, goal, value, why)
    best: Vec<(i64, String, String, String, String)>,
}

/// Allocations' people shown on the page.
pub const PAGE_PEOPLE: i64 = 50;

/// One kept allocation: figures per channel, the most valuable people chosen and why, exports.
pub async fn run_page(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
) -> Response {
    let Some(p) = who.0.clone() else {
        return Redirect::to("/login?next=/allocations").into_response();
    };
    let run = match get_run(&state, &id).await {
        Ok(r) => r,
        Err(e) => return error_page(&e, Some(&p)),
    };
    let r2 = run.clone();
    let best = match state
        .pool
        .run(move |s| Ok(app::allocate::items(s.sql(), &r2, None, PAGE_PEOPLE, 0)?))
        .await
    {
        Ok(v) => v
            .into_iter()
            .map(|x| {
                (
                    x.person_id,
                    x.channel,
                    x.goal,
                    format!("{:.4}", x.value),
                    x.why,
                )
            })
            .collect(),
        Err(e) => return error_page(&e, Some(&p)),
    };
    render(
        &AllocationPage {
            nav: nav(Some(&p)),
            id: run.id,
            name: run.name.clone(),
            created: format!("{} by {}", run.created_at, run.created_by),
            votes: format!("{:.1}", run.summary.votes),
            dollars: format!("{:.0}", run.summary.dollars),
            chosen: run.summary.chosen,
            eligible: run.summary.eligible,
            dollars_per_vote: format!(
                "{:.0}",
                run.request["spec"]["dollars_per_vote"]
                    .as_f64()
                    .unwrap_or(0.0)
            ),
            channels: channel_rows(&run),
            best,
        },
        StatusCode::OK,
    )
}
