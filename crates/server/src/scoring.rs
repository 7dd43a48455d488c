//! Models and scores over HTTP (issue 6): the API (`/api/v1/models…`) and the pages
//! (`/models`, `/models/{id}` with the plots). Training and applying run on the blocking pool
//! with one store connection; they are recorded in the audit log.

use app::accounts::Principal;
use askama::Template;
use auth::Permission;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};
use serde::{Deserialize, Serialize};
use store::accounts::AuditRecord;
use utoipa::ToSchema;

use crate::api::{parse_id, principal, JsonBody};
use crate::error::{ApiError, ErrorBody};
use crate::pages::{csrf_of, error_page, nav, render, Nav};
use crate::{now_iso, AppState, Who};

/// Seeds accepted (JSON numbers stay exact below 2^53).
pub const SEED_MAX: u64 = 1 << 53;

impl From<app::scores::ScoringError> for ApiError {
    fn from(e: app::scores::ScoringError) -> Self {
        use app::scores::ScoringError as E;
        match e {
            E::Store(s) => s.into(),
            E::Score(s @ scores::ScoreError::TooFew { .. }) => {
                ApiError::field("target", s.to_string())
            }
            E::Score(other) => ApiError::internal(other),
            E::Invalid(m) if m.starts_with("no model") => ApiError::new("not_found", m),
            E::Invalid(m) => ApiError::field(
                if m.contains("election") {
                    "election"
                } else {
                    "target"
                },
                m,
            ),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModelsBody {
    /// Model runs, newest first (parameters, data summary and metrics as JSON text).
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<store::models::ModelRun>,
}

/// Model runs, newest first.
#[utoipa::path(get, path = "/api/v1/models",
    responses((status = 200, body = ModelsBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn models_list(State(state): State<AppState>) -> Result<Json<ModelsBody>, ApiError> {
    let items = state.pool.run(|s| Ok(store::models::all(s.sql())?)).await?;
    Ok(Json(ModelsBody { items }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModelBody {
    /// The run, its parameters, data summary, held-out report (AUC, log loss, calibration,
    /// Qini for persuasion, feature importance) and the distribution of its scores.
    #[schema(value_type = Object)]
    pub model: app::scores::ModelView,
    /// The report's plots as SVG documents, by name (`calibration`, `qini`).
    pub plots: std::collections::BTreeMap<String, String>,
}

/// One model run with its report and plots.
#[utoipa::path(get, path = "/api/v1/models/{id}", params(("id" = i64, Path, description = "Model id")),
    responses((status = 200, body = ModelBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn model_get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ModelBody>, ApiError> {
    let id = parse_id(&id, "model")?;
    let model = state
        .pool
        .run(move |s| Ok(app::scores::view(s.sql(), id)?))
        .await?
        .ok_or_else(|| ApiError::not_found("model"))?;
    let plots = app::scores::plots(&model).into_iter().collect();
    Ok(Json(ModelBody { model, plots }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrainBody {
    /// `support`, `turnout`, `persuasion` or `donor`.
    #[schema(pattern = "^(support|turnout|persuasion|donor)$")]
    pub target: String,
    /// `logistic` (default) or `gbt`.
    #[schema(pattern = "^(logistic|gbt)$")]
    pub algorithm: Option<String>,
    /// Seed of the held-out split and of the boosting (default 1).
    #[schema(minimum = 0, maximum = 9007199254740992_u64)]
    pub seed: Option<u64>,
    /// The election the scores are for, `YYYY-MM-DD` (default: the latest in the absentee
    /// files loaded).
    #[schema(format = Date)]
    pub election: Option<String>,
    /// Turnout: the past election whose turnout is the label, `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub label_election: Option<String>,
}

fn date_field(name: &str, v: &Option<String>) -> Result<Option<model::Date>, ApiError> {
    v.as_deref()
        .map(|s| {
            model::Date::parse(s)
                .filter(|d| d.to_string() == s)
                .ok_or_else(|| {
                    ApiError::field(name, format!("{name}: {s:?} is not a date (YYYY-MM-DD)"))
                })
        })
        .transpose()
}

/// Train a model on the store's data (it is evaluated on held-out people and recorded; it
/// feeds nothing until approved).
#[utoipa::path(post, path = "/api/v1/models", request_body = TrainBody,
    responses((status = 201, body = ModelBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn model_train(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    JsonBody(b): JsonBody<TrainBody>,
) -> Result<Response, ApiError> {
    let p = principal(&who)?;
    let target = scores::Target::parse(&b.target).ok_or_else(|| {
        ApiError::field(
            "target",
            format!(
                "target: {:?}; use support, turnout, persuasion or donor",
                b.target
            ),
        )
    })?;
    let algorithm = match b.algorithm.as_deref() {
        None => scores::Algorithm::Logistic,
        Some(a) => scores::Algorithm::parse(a).ok_or_else(|| {
            ApiError::field(
                "algorithm",
                format!("algorithm: {a:?}; use logistic or gbt"),
            )
        })?,
    };
    let seed = b.seed.unwrap_or(1);
    if seed > SEED_MAX {
        return Err(ApiError::field("seed", format!("seed: at most {SEED_MAX}")));
    }
    let election = date_field("election", &b.election)?;
    let label_election = date_field("label_election", &b.label_election)?;
    let actor = p.actor();
    let params = scores::TrainParams::new(algorithm, seed);
    let (model, plots) = state
        .pool
        .run(move |s| {
            let t = app::scores::train(
                s,
                target,
                &params,
                election,
                label_election,
                &actor,
                &now_iso(),
                &mut |_| {},
            )?;
            let v = app::scores::view(s.sql(), t.id)?
                .ok_or_else(|| ApiError::internal("the run just written is missing"))?;
            let plots = app::scores::plots(&v).into_iter().collect();
            Ok((v, plots))
        })
        .await?;
    state
        .audit
        .write(AuditRecord::new(
            &now_iso(),
            &p.actor(),
            "model.train",
            &format!("model:{}", model.run.id),
            serde_json::json!({ "target": target.name(), "algorithm": algorithm.name() }),
        ))
        .await?;
    Ok((StatusCode::CREATED, Json(ModelBody { model, plots })).into_response())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Approved {
    pub approved: i64,
    /// The target's previously approved model, now superseded.
    pub superseded: Option<i64>,
}

async fn approve_inner(state: &AppState, p: &Principal, id: i64) -> Result<Approved, ApiError> {
    let actor = p.actor();
    let superseded = state
        .pool
        .run(move |s| Ok(app::scores::approve(s.sql(), id, &actor, &now_iso())?))
        .await?;
    state
        .audit
        .write(AuditRecord::new(
            &now_iso(),
            &p.actor(),
            "model.approve",
            &format!("model:{id}"),
            serde_json::json!({ "superseded": superseded }),
        ))
        .await?;
    Ok(Approved {
        approved: id,
        superseded,
    })
}

/// Approve a model: its scores feed targeting; the target's previously approved model is
/// superseded.
#[utoipa::path(post, path = "/api/v1/models/{id}/approve", params(("id" = i64, Path, description = "Model id")),
    responses((status = 200, body = Approved), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn model_approve(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
) -> Result<Json<Approved>, ApiError> {
    let p = principal(&who)?;
    let id = parse_id(&id, "model")?;
    Ok(Json(approve_inner(&state, &p, id).await?))
}

/// Score every registered person with a model (replacing its earlier scores). Runs to the
/// end before answering: at state scale, prefer `tusk score apply`.
#[utoipa::path(post, path = "/api/v1/models/{id}/scores", params(("id" = i64, Path, description = "Model id")),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn model_apply(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
) -> Result<Json<app::scores::Applied>, ApiError> {
    let p = principal(&who)?;
    let id = parse_id(&id, "model")?;
    let applied = state
        .pool
        .run(move |s| {
            Ok(app::scores::apply(
                s,
                id,
                None,
                &now_iso(),
                &mut |_| {},
                &mut |_, _| {},
            )?)
        })
        .await?;
    state
        .audit
        .write(AuditRecord::new(
            &now_iso(),
            &p.actor(),
            "score.apply",
            &format!("model:{id}"),
            serde_json::json!({ "scored": applied.scored }),
        ))
        .await?;
    Ok(Json(applied))
}

// ---- pages ----

struct Row {
    id: i64,
    target: String,
    algorithm: String,
    status: String,
    created: String,
    headline: String,
    scored: i64,
}

#[derive(Template)]
#[template(path = "models.html")]
struct ModelsPage {
    nav: Option<Nav>,
    rows: Vec<Row>,
}

fn headline(r: &scores::Report) -> String {
    match (&r.auc, &r.qini) {
        (Some(auc), _) => format!(
            "AUC {:.3} · log loss {:.3} (base rate alone {:.3})",
            auc,
            r.log_loss.unwrap_or(0.0),
            r.log_loss_base.unwrap_or(0.0)
        ),
        (None, Some(q)) => format!(
            "Qini {:.4} · average effect {:+.3}",
            q.coefficient, q.average_effect
        ),
        _ => String::new(),
    }
}

/// The model runs, newest first, with their headline metric.
pub async fn models_page(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
) -> Response {
    let Some(p) = who.0.clone() else {
        return Redirect::to("/login?next=/models").into_response();
    };
    let views = state
        .pool
        .run(|s| {
            let runs = store::models::all(s.sql())?;
            let mut out = Vec::with_capacity(runs.len());
            for r in runs {
                if let Some(v) = app::scores::view(s.sql(), r.id)? {
                    out.push(v);
                }
            }
            Ok(out)
        })
        .await;
    match views {
        Ok(views) => render(
            &ModelsPage {
                nav: nav(Some(&p)),
                rows: views
                    .iter()
                    .map(|v| Row {
                        id: v.run.id,
                        target: v.run.target.clone(),
                        algorithm: v.run.algorithm.clone(),
                        status: v.run.status.clone(),
                        created: v.run.created_at.clone(),
                        headline: headline(&v.report),
                        scored: v.run.scored,
                    })
                    .collect(),
            },
            StatusCode::OK,
        ),
        Err(e) => error_page(&e, Some(&p)),
    }
}

#[derive(Template)]
#[template(path = "model.html")]
struct ModelPage {
    nav: Option<Nav>,
    id: i64,
    target: String,
    algorithm: String,
    status: String,
    created: String,
    approved: String,
    headline: String,
    data: Vec<(String, String)>,
    params: String,
    calibration: Vec<(usize, String, String)>,
    calibration_title: String,
    plots: Vec<String>,
    importance: Vec<(String, String)>,
    gift: String,
    scored: i64,
    distribution: Vec<(String, i64)>,
    can_approve: bool,
    csrf: String,
    message: String,
}

#[derive(Debug, Deserialize)]
pub struct ModelQuery {
    pub done: Option<String>,
}

/// One model's report: data, parameters, metrics, calibration (and Qini) plots, importance.
pub async fn model_page(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<ModelQuery>,
) -> Response {
    let Some(p) = who.0.clone() else {
        return Redirect::to("/login?next=/models").into_response();
    };
    let Ok(id) = id.parse::<i64>() else {
        return error_page(&ApiError::not_found("model"), Some(&p));
    };
    let v = match state
        .pool
        .run(move |s| Ok(app::scores::view(s.sql(), id)?))
        .await
    {
        Ok(Some(v)) => v,
        Ok(None) => return error_page(&ApiError::not_found("model"), Some(&p)),
        Err(e) => return error_page(&e, Some(&p)),
    };
    let r = &v.report;
    let mut data: Vec<(String, String)> = match &v.data_summary {
        serde_json::Value::Object(m) => m
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| {
                (
                    k.replace('_', " "),
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string()),
                )
            })
            .collect(),
        _ => Vec::new(),
    };
    data.push((
        "held out".into(),
        format!("{} of {} labelled", r.test_rows, r.train_rows + r.test_rows),
    ));
    data.push(("training time".into(), format!("{:.2} s", v.train_seconds)));
    let csrf = csrf_of(&p);
    render(
        &ModelPage {
            nav: nav(Some(&p)),
            id: v.run.id,
            target: v.run.target.clone(),
            algorithm: v.run.algorithm.clone(),
            status: v.run.status.clone(),
            created: format!("{} by {}", v.run.created_at, v.run.created_by),
            approved: match (&v.run.approved_at, &v.run.approved_by) {
                (Some(a), Some(b)) => format!("{a} by {b}"),
                _ => String::new(),
            },
            headline: headline(r),
            data,
            params: v.params.to_string(),
            calibration_title: if v.run.target == "persuasion" {
                "Uplift bins: predicted against observed (treated − control)".into()
            } else {
                "Calibration on held-out people (equal-count bins)".into()
            },
            calibration: r
                .calibration
                .iter()
                .map(|b| (b.count, format!("{:.4}", b.mean_predicted), format!("{:.4}", b.observed)))
                .collect(),
            plots: app::scores::plots(&v).into_iter().map(|p| p.1).collect(),
            importance: r
                .importance
                .iter()
                .take(15)
                .map(|(n, v)| (n.replace('_', " "), format!("{:.3}", v)))
                .collect(),
            gift: match (r.gift_mae_dollars, r.gift_mean_dollars) {
                (Some(e), Some(m)) => format!(
                    "Expected gift: mean absolute error ${e:.2} on held-out donors (their mean gift ${m:.2})."
                ),
                _ => String::new(),
            },
            scored: v.run.scored,
            distribution: v
                .distribution
                .iter()
                .map(|(b, n)| (format!("{:.1}–{:.1}", *b as f64 / 10.0, (*b + 1) as f64 / 10.0), *n))
                .collect(),
            can_approve: p.allows(Permission::ModelsManage) && v.run.status != "approved",
            csrf,
            message: match q.done.as_deref() {
                Some("approved") => "Approved: its scores now feed targeting.".into(),
                _ => String::new(),
            },
        },
        StatusCode::OK,
    )
}

#[derive(Debug, Deserialize)]
pub struct ApproveForm {
    #[serde(default)]
    pub csrf: String,
}

/// The approve button of the report page.
pub async fn model_approve_form(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
    Form(f): Form<ApproveForm>,
) -> Response {
    let Some(p) = who.0.clone() else {
        return Redirect::to("/login?next=/models").into_response();
    };
    if let Err(refused) = crate::pages::form_csrf(&p, &f.csrf) {
        return refused;
    }
    let Ok(id) = id.parse::<i64>() else {
        return error_page(&ApiError::not_found("model"), Some(&p));
    };
    match approve_inner(&state, &p, id).await {
        Ok(_) => Redirect::to(&format!("/models/{id}?done=approved")).into_response(),
        Err(e) => error_page(&e, Some(&p)),
    }
}
