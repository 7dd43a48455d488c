//! Neighbourhood teams over HTTP (issue 11): `GET /api/v1/teams`, `GET /api/v1/teams/{id}`,
//! `POST /api/v1/teams/{id}/contacts`, the `/teams` and `/teams/{id}` pages. A team's page
//! names its members and how to reach them: reads are audited like any personal data.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::{principal, JsonBody};
use crate::error::{ApiError, ErrorBody};
use crate::pages::{error_page, form_csrf, nav, render, Nav};
use crate::{now_iso, AppState, Who};

fn team_error(e: app::teams::TeamError) -> ApiError {
    match e {
        app::teams::TeamError::Invalid { at, message } => ApiError::field(&at, message),
        app::teams::TeamError::NotFound(_) => ApiError::not_found("team"),
        // Files are read by the command line only.
        app::teams::TeamError::File(f) => ApiError::field("file", f.to_string()),
        app::teams::TeamError::Store(s) => s.into(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamsAnswer {
    /// The teams you lead or manage, with member counts.
    #[schema(value_type = Vec<Object>)]
    pub teams: Vec<app::teams::TeamSummary>,
}

/// The teams you lead (volunteers), or those of your counties (organizers), or all.
#[utoipa::path(get, path = "/api/v1/teams", tag = "teams",
    responses((status = 200, body = TeamsAnswer), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
) -> Result<Json<TeamsAnswer>, ApiError> {
    let p = principal(&who)?;
    let teams = state
        .pool
        .run(move |st| Ok(app::teams::list(st.sql(), &p, &now_iso())?))
        .await?;
    Ok(Json(TeamsAnswer { teams }))
}

async fn view(state: &AppState, who: &Who, id: String) -> Result<app::teams::TeamView, ApiError> {
    let p = principal(who)?;
    let (view, record) = state
        .pool
        .run(move |st| {
            let v = app::teams::view(st.sql(), &p, &id, &now_iso()).map_err(team_error)?;
            // Members' names and contacts are personal data: the read is audited (ids only).
            let record = store::accounts::AuditRecord::new(
                &now_iso(),
                &p.actor(),
                "teams.get",
                &format!("team:{}", v.team.id),
                serde_json::json!({ "members": v.members.len() }),
            );
            Ok((v, record))
        })
        .await?;
    state.audit.write(record).await?;
    Ok(view)
}

/// One team: members (name, e-mail, phone, precinct, the last personal contact, what they
/// recorded lately), the contact attempts in its precincts; who has not been contacted
/// personally lately first. 404 for a team you neither lead nor manage.
#[utoipa::path(get, path = "/api/v1/teams/{id}", tag = "teams", params(("id" = String, Path, description = "Team id")),
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
) -> Result<Json<app::teams::TeamView>, ApiError> {
    Ok(Json(view(&state, &who, id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    /// The member (person id).
    pub person_id: i64,
    /// call, visit or meeting.
    pub how: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactAnswer {
    pub team_id: String,
    pub person_id: i64,
    pub how: String,
    pub contacted_at: String,
}

async fn contact(
    state: &AppState,
    who: &Who,
    id: String,
    person_id: i64,
    how: String,
) -> Result<ContactAnswer, ApiError> {
    let p = principal(who)?;
    let now = now_iso();
    let (id2, how2, now2) = (id.clone(), how.clone(), now.clone());
    state
        .pool
        .run(move |st| {
            app::teams::log_contact(st.sql(), &p, &id2, person_id, &how2, &now2).map_err(team_error)
        })
        .await?;
    Ok(ContactAnswer {
        team_id: id,
        person_id,
        how,
        contacted_at: now,
    })
}

/// Log a personal contact (a call, a visit, a meeting) with a member of your team.
#[utoipa::path(post, path = "/api/v1/teams/{id}/contacts", tag = "teams", params(("id" = String, Path, description = "Team id")), request_body = ContactBody,
    responses((status = 201, body = ContactAnswer), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn contact_post(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<ContactBody>,
) -> Result<Response, ApiError> {
    let a = contact(&state, &who, id, b.person_id, b.how).await?;
    Ok((StatusCode::CREATED, Json(a)).into_response())
}

#[derive(Template)]
#[template(path = "teams.html")]
struct TeamsPage {
    nav: Option<Nav>,
    teams: Vec<app::teams::TeamSummary>,
    days: i64,
}

pub async fn teams_page(State(state): State<AppState>, Extension(who): Extension<Who>) -> Response {
    let Some(p) = who.0.clone() else {
        return Redirect::to("/login?next=/teams").into_response();
    };
    let p2 = p.clone();
    match state
        .pool
        .run(move |st| Ok(app::teams::list(st.sql(), &p2, &now_iso())?))
        .await
    {
        // A leader of one team goes straight to it.
        Ok(teams) if teams.len() == 1 && !p.role().is_some_and(|r| r.is_staff()) => {
            Redirect::to(&format!("/teams/{}", crate::api::encode(&teams[0].id))).into_response()
        }
        Ok(teams) => render(
            &TeamsPage {
                nav: nav(Some(&p)),
                teams,
                days: app::teams::PERSONAL_CONTACT_DAYS,
            },
            StatusCode::OK,
        ),
        Err(e) => error_page(&e, Some(&p)),
    }
}

#[derive(Template)]
#[template(path = "team.html")]
struct TeamPage {
    nav: Option<Nav>,
    v: app::teams::TeamView,
    csrf: String,
    days: i64,
    activity_days: i64,
    how: Vec<&'static str>,
    message: String,
}

#[derive(Debug, Deserialize, Default)]
pub struct TeamQuery {
    /// The member just logged (a person id: names stay out of addresses).
    #[serde(default)]
    pub logged: Option<i64>,
}

pub async fn team_page(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<TeamQuery>,
) -> Response {
    let Some(p) = who.0.clone() else {
        return Redirect::to("/login?next=/teams").into_response();
    };
    match view(&state, &who, id).await {
        Ok(v) => render(
            &TeamPage {
                nav: nav(Some(&p)),
                message: q
                    .logged
                    .and_then(|id| v.members.iter().find(|m| m.person_id == id))
                    .map(|m| format!("Logged: you talked with {}.", m.name))
                    .unwrap_or_default(),
                v,
                csrf: crate::pages::csrf_of(&p),
                days: app::teams::PERSONAL_CONTACT_DAYS,
                activity_days: app::teams::ACTIVITY_DAYS,
                how: app::teams::HOW.to_vec(),
            },
            StatusCode::OK,
        ),
        Err(e) => error_page(&e, Some(&p)),
    }
}

#[derive(Debug, Deserialize)]
pub struct ContactForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub person_id: String,
    #[serde(default)]
    pub how: String,
}

pub async fn contact_form(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
    Form(f): Form<ContactForm>,
) -> Response {
    let Some(p) = who.0.clone() else {
        return Redirect::to("/login?next=/teams").into_response();
    };
    if let Err(refused) = form_csrf(&p, &f.csrf) {
        return refused;
    }
    let Ok(person_id) = f.person_id.trim().parse::<i64>() else {
        return error_page(
            &ApiError::field("person_id", "is not a person id"),
            Some(&p),
        );
    };
    match contact(&state, &who, id.clone(), person_id, f.how).await {
        Ok(_) => Redirect::to(&format!(
            "/teams/{}?logged={person_id}",
            crate::api::encode(&id)
        ))
        .into_response(),
        Err(e) => error_page(&e, Some(&p)),
    }
}
