//! The data director's health report over HTTP (issue 11): `GET /api/v1/health/data` and the
//! `/health` page. Counts and ids only (`app::health`).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Json};

use crate::error::{ApiError, ErrorBody};
use crate::pages::{error_page, nav, render, Nav};
use crate::{now_secs, AppState, Who};

fn day_ago() -> String {
    model::date::timestamp_utc(now_secs() - 86_400)
}

async fn report(state: &AppState) -> Result<app::health::Health, ApiError> {
    let since = day_ago();
    state
        .pool
        .run(move |st| Ok(app::health::report(st, &since)?))
        .await
}

/// Data health: the last loads and their rejects, the review queue, how much of each source
/// is linked to the voter file, the models in use, exports in the last day.
#[utoipa::path(get, path = "/api/v1/health/data", tag = "health",
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn data(State(state): State<AppState>) -> Result<Json<app::health::Health>, ApiError> {
    Ok(Json(report(&state).await?))
}

#[derive(Template)]
#[template(path = "health.html")]
struct HealthPage {
    nav: Option<Nav>,
    h: app::health::Health,
}

pub async fn page(State(state): State<AppState>, Extension(who): Extension<Who>) -> Response {
    let Some(p) = who.0.clone() else {
        return Redirect::to("/login?next=/health").into_response();
    };
    match report(&state).await {
        Ok(h) => render(
            &HealthPage {
                nav: nav(Some(&p)),
                h,
            },
            StatusCode::OK,
        ),
        Err(e) => error_page(&e, Some(&p)),
    }
}
