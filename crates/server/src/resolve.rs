//! Identity resolution started from the browser or the API (issue 11: the data director loads
//! a file, resolves, and reviews the doubtful pairs without a terminal). `POST
//! /api/v1/resolve` starts `app::resolve::resolve` in the background — one at a time, never
//! while a file loads — and `GET /api/v1/resolve` says where it is; the review page shows it
//! and has the button.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::{principal, JsonBody};
use crate::error::{ApiError, ErrorBody};
use crate::pages::{error_page, form_csrf};
use crate::{now_iso, AppState, Who};

/// The answer while a file loads or a resolution runs (they share one lock).
pub fn busy() -> ApiError {
    ApiError {
        retry_after: Some(5),
        ..ApiError::new(
            "conflict",
            "a file is loading or a resolution is running: try again when it has finished",
        )
    }
}

/// Review decisions wait while a resolution runs: it read the decisions when it started
/// and would write over one made meanwhile.
pub fn refuse_while_running(state: &AppState) -> Result<(), ApiError> {
    if state.resolving.snapshot().running {
        return Err(ApiError {
            field: Some("decision".into()),
            ..busy()
        });
    }
    Ok(())
}

/// The match probability a link needs, as `tusk resolve`'s default.
pub const RESOLVE_THRESHOLD_DEFAULT: f64 = 0.5;

/// The last resolution started through the server.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ResolveJob {
    pub running: bool,
    pub started_at: Option<String>,
    pub started_by: Option<String>,
    pub finished_at: Option<String>,
    /// What the finished run did (`tusk resolve --json`'s fields).
    #[schema(value_type = Option<Object>)]
    pub report: Option<app::resolve::ResolveReport>,
    /// Why the finished run failed (nothing of it was kept).
    pub error: Option<String>,
}

/// Shared by the handlers: the job's state.
#[derive(Default)]
pub struct Resolving(Mutex<ResolveJob>);

impl Resolving {
    pub fn snapshot(&self) -> ResolveJob {
        self.0.lock().map(|j| j.clone()).unwrap_or_default()
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveBody {
    /// Lowest match probability for a link (default 0.5).
    #[serde(default)]
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub threshold: Option<f64>,
}

async fn start(state: &AppState, actor: String, threshold: f64) -> Result<ResolveJob, ApiError> {
    if !(0.0..=1.0).contains(&threshold) || threshold.is_nan() {
        return Err(ApiError::field(
            "threshold",
            "must be a probability between 0 and 1",
        ));
    }
    // Never beside a load (both write people), never twice.
    let Ok(lock) = state.loading.clone().try_lock_owned() else {
        return Err(busy());
    };
    let now = now_iso();
    let job = {
        let mut j = state
            .resolving
            .0
            .lock()
            .map_err(|_| ApiError::internal("the resolution state is poisoned"))?;
        *j = ResolveJob {
            running: true,
            started_at: Some(now.clone()),
            started_by: Some(actor.clone()),
            ..ResolveJob::default()
        };
        j.clone()
    };
    let (pool, resolving): (_, Arc<Resolving>) = (state.pool.clone(), state.resolving.clone());
    tokio::spawn(async move {
        let _lock = lock;
        let result = pool
            .run(move |st| Ok(app::resolve::resolve(st, threshold, &actor, &now)?))
            .await;
        if let Ok(mut j) = resolving.0.lock() {
            j.running = false;
            j.finished_at = Some(now_iso());
            match result {
                Ok(r) => j.report = Some(r),
                Err(e) => {
                    tracing::error!(error = %e.message, "resolution failed");
                    j.error = Some(e.message);
                }
            }
        }
    });
    Ok(job)
}

/// Start identity resolution over the store (as `tusk resolve`): in the background, one at a
/// time and never while a file loads (409). Follow it with `GET /api/v1/resolve`.
#[utoipa::path(post, path = "/api/v1/resolve", tag = "review", request_body = ResolveBody,
    responses((status = 202, body = ResolveJob), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn post(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    JsonBody(b): JsonBody<ResolveBody>,
) -> Result<Response, ApiError> {
    let p = principal(&who)?;
    let job = start(
        &state,
        p.actor(),
        b.threshold.unwrap_or(RESOLVE_THRESHOLD_DEFAULT),
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(job)).into_response())
}

/// The last resolution started through the server: running, or what it did.
#[utoipa::path(get, path = "/api/v1/resolve", tag = "review",
    responses((status = 200, body = ResolveJob), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn get(State(state): State<AppState>) -> Json<ResolveJob> {
    Json(state.resolving.snapshot())
}

#[derive(Debug, Deserialize)]
pub struct ResolveForm {
    #[serde(default)]
    pub csrf: String,
}

/// The review page's button: start, then back to the review page (which shows the run).
pub async fn form(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Form(f): Form<ResolveForm>,
) -> Response {
    let Some(p) = who.0.clone() else {
        return Redirect::to("/login?next=/review").into_response();
    };
    if let Err(refused) = form_csrf(&p, &f.csrf) {
        return refused;
    }
    match start(&state, p.actor(), RESOLVE_THRESHOLD_DEFAULT).await {
        Ok(_) => Redirect::to("/review").into_response(),
        Err(e) => error_page(&e, Some(&p)),
    }
}
