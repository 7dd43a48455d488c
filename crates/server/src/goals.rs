//! Goals per region over HTTP (issue 11): `GET /api/v1/goals`, `PUT /api/v1/goals` and the
//! overview page's form (`POST /overview/goals`). Progress and pace are in the overview.

use app::accounts::Principal;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::{principal, JsonBody};
use crate::error::{ApiError, ErrorBody};
use crate::pages::{error_page, form_csrf};
use crate::{now_iso, AppState, Who};

/// A goal as sent.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionGoalItem {
    /// A county of the voter file, or `all` for the whole campaign.
    #[schema(min_length = 1, max_length = 100)]
    pub region: String,
    /// registrations, supporters, doors, calls, texts, contacts, volunteers, donors, money,
    /// maxed_out, asks_made, asks_converted (campaign-wide only) or travellers.
    pub metric: String,
    /// The target; 0 removes the goal.
    pub target: i64,
    /// When it should be reached (YYYY-MM-DD).
    #[serde(default)]
    pub due: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionGoalsBody {
    /// Each replaces the goal of its region and measure; all or nothing.
    pub goals: Vec<RegionGoalItem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegionGoalsAnswer {
    /// Goals of the regions you may see, by region then measure.
    #[schema(value_type = Vec<Object>)]
    pub goals: Vec<app::goals::Goal>,
}

fn visible(p: &Principal, goals: Vec<app::goals::Goal>) -> Vec<app::goals::Goal> {
    match p {
        Principal::User { role, regions, .. } if !role.reads_everyone() => goals
            .into_iter()
            .filter(|g| regions.iter().any(|r| r.eq_ignore_ascii_case(&g.region)))
            .collect(),
        _ => goals,
    }
}

fn goal_error(e: app::goals::GoalError) -> ApiError {
    match e {
        app::goals::GoalError::Invalid { at, message } => ApiError::field(&at, message),
        // Files are read by the command line only.
        app::goals::GoalError::File(f) => ApiError::field("file", f.to_string()),
        app::goals::GoalError::Store(s) => s.into(),
    }
}

async fn set(
    state: &AppState,
    actor: String,
    goals: Vec<app::goals::GoalInput>,
) -> Result<(), ApiError> {
    state
        .pool
        .run(move |st| {
            app::goals::set(st.sql(), &goals, "goals", &actor, &now_iso()).map_err(goal_error)
        })
        .await
        .map(|_| ())
}

/// New goals' baselines counted now (the overview records them), so that their line starts
/// the day they are set; when the people table is not read yet, the first view counts them.
async fn count_baselines(state: &AppState, p: &app::accounts::Principal) {
    if let Err(e) = crate::overview::compute(state, p, Default::default()).await {
        tracing::info!(error = %e.message, "goal baselines left to the first view");
    }
}

/// The goals per region (organizers: their counties').
#[utoipa::path(get, path = "/api/v1/goals", tag = "overview",
    responses((status = 200, body = RegionGoalsAnswer), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
) -> Result<Json<RegionGoalsAnswer>, ApiError> {
    let p = principal(&who)?;
    let goals = state.pool.run(|st| Ok(app::goals::list(st.sql())?)).await?;
    Ok(Json(RegionGoalsAnswer {
        goals: visible(&p, goals),
    }))
}

/// Set goals: each replaces the goal of its region and measure (target 0 removes it). Every
/// goal is checked first (a county must be in the voter file); one wrong goal keeps none and
/// is named (`goals[2].metric`).
#[utoipa::path(put, path = "/api/v1/goals", tag = "overview", request_body = RegionGoalsBody,
    responses((status = 200, body = RegionGoalsAnswer), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn put(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    JsonBody(b): JsonBody<RegionGoalsBody>,
) -> Result<Json<RegionGoalsAnswer>, ApiError> {
    let p = principal(&who)?;
    let goals = b
        .goals
        .into_iter()
        .map(|g| app::goals::GoalInput {
            region: g.region,
            metric: g.metric,
            target: g.target,
            due: g.due,
            line: None,
        })
        .collect();
    set(&state, p.actor(), goals).await?;
    count_baselines(&state, &p).await;
    let goals = state.pool.run(|st| Ok(app::goals::list(st.sql())?)).await?;
    Ok(Json(RegionGoalsAnswer {
        goals: visible(&p, goals),
    }))
}

#[derive(Debug, Deserialize)]
pub struct GoalForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub metric: String,
    #[serde(default)]
    pub target: String,
    #[serde(default)]
    pub due: String,
}

/// The overview page's form: one goal, then back to the overview.
pub async fn form(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Form(f): Form<GoalForm>,
) -> Response {
    let Some(p) = who.0.clone() else {
        return Redirect::to("/login?next=/overview").into_response();
    };
    if let Err(refused) = form_csrf(&p, &f.csrf) {
        return refused;
    }
    let target = match f.target.trim().replace([',', '_', ' '], "").parse::<i64>() {
        Ok(t) => t,
        Err(_) => {
            return error_page(
                &ApiError::field(
                    "target",
                    format!("{:?} is not a whole number", f.target.trim()),
                ),
                Some(&p),
            )
        }
    };
    let goal = app::goals::GoalInput {
        region: f.region,
        metric: f.metric,
        target,
        due: Some(f.due).filter(|d| !d.trim().is_empty()),
        line: None,
    };
    match set(&state, p.actor(), vec![goal]).await {
        Ok(()) => {
            count_baselines(&state, &p).await;
            Redirect::to("/overview#goals").into_response()
        }
        Err(e) => error_page(&e, Some(&p)),
    }
}
