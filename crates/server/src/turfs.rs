//! Turfs over HTTP (issue 7): cut a county's doors of a universe into walkable turfs (an
//! organizer only in their counties), list and read cuts, export walk lists as CSV, print a
//! turf's walk list from the page. Every export and printed list is audited.

use app::accounts::Principal;
use app::turfs::{Cut, CutRequest, TurfError};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::{parse_id, principal, JsonBody, QueryOf};
use crate::error::{ApiError, ErrorBody};
use crate::pages::{csrf_of, error_page, form_csrf, nav, render, Nav};
use crate::universes::table;
use crate::{now_iso, AppState, Who};

impl From<TurfError> for ApiError {
    fn from(e: TurfError) -> Self {
        match e {
            TurfError::Store(s) => s.into(),
            TurfError::Invalid(m) => {
                let field = m.split(':').next().unwrap_or("body").to_string();
                ApiError::field(&field, m)
            }
            TurfError::Expression(le) => ApiError::field("expression", format!("expression: {le}")),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CutNew {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^\s*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
    /// The county to cut (an organizer: one of their regions).
    #[schema(min_length = 1, max_length = 64)]
    pub county: String,
    /// Doors per turf at most.
    #[schema(minimum = 5, maximum = 500)]
    pub doors: usize,
    /// Whom to knock: a universe expression (empty: everyone in the county).
    #[schema(max_length = 4000)]
    pub expression: Option<String>,
}

async fn cut_and_keep(state: &AppState, p: &Principal, req: CutRequest) -> Result<Cut, ApiError> {
    if req.expression.len() > targeting::lang::EXPRESSION_BYTES_MAX {
        return Err(ApiError::field(
            "expression",
            format!(
                "expression: longer than {} bytes",
                targeting::lang::EXPRESSION_BYTES_MAX
            ),
        ));
    }
    let t = table(state).await?;
    let scope = p.people_scope();
    let actor = p.actor();
    // Who may not build universes (organizers) cuts from the ones analysts made: a saved
    // universe or a goal template — never an expression over fields they may not read.
    let free = p.allows(auth::Permission::Universes);
    state
        .pool
        .run(move |s| {
            if !free && !req.expression.trim().is_empty() {
                let mut allowed: Vec<String> = app::universes::all(s.sql())?
                    .into_iter()
                    .map(|u| u.expression)
                    .collect();
                allowed.extend(goal_choices(s.sql()).into_iter().map(|g| g.1));
                if !allowed.iter().any(|a| a.trim() == req.expression.trim()) {
                    return Err(ApiError::field(
                        "expression",
                        "expression: cut from a saved universe or a goal template (the turf page lists them; an analyst saves new ones)",
                    ));
                }
            }
            let (summary, stops) = app::turfs::cut(&t.people, &req, &scope)?;
            Ok(app::turfs::save(
                s.sql(),
                &req,
                &summary,
                &stops,
                &actor,
                &now_iso(),
            )?)
        })
        .await
}

/// Cut turfs: the universe's people in one county, by household, into turfs of at most
/// `doors` doors, each ordered as a walking route; the cut is kept.
#[utoipa::path(post, path = "/api/v1/turfs", request_body = CutNew,
    responses((status = 201, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    JsonBody(b): JsonBody<CutNew>,
) -> Result<Response, ApiError> {
    let p = principal(&who)?;
    let req = CutRequest {
        name: b.name,
        expression: b.expression.unwrap_or_default(),
        county: b.county,
        doors: b.doors,
    };
    let cut = cut_and_keep(&state, &p, req).await?;
    Ok((StatusCode::CREATED, Json(cut)).into_response())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CutsBody {
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<Cut>,
}

/// Kept cuts one may see (an organizer: their counties'), newest first.
#[utoipa::path(get, path = "/api/v1/turfs",
    responses((status = 200, body = CutsBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
) -> Result<Json<CutsBody>, ApiError> {
    let scope = principal(&who)?.people_scope();
    let items = state
        .pool
        .run(move |s| Ok(app::turfs::all(s.sql(), &scope)?))
        .await?;
    Ok(Json(CutsBody { items }))
}

async fn get_cut(state: &AppState, p: &Principal, id: &str) -> Result<Cut, ApiError> {
    let id = parse_id(id, "cut")?;
    let scope = p.people_scope();
    state
        .pool
        .run(move |s| Ok(app::turfs::get(s.sql(), id, &scope)?))
        .await?
        .ok_or_else(|| ApiError::not_found("turf cut"))
}

/// One cut: its turfs (doors, people, route length, compactness).
#[utoipa::path(get, path = "/api/v1/turfs/{id}", params(("id" = i64, Path, description = "Cut id")),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
) -> Result<Json<Cut>, ApiError> {
    let p = principal(&who)?;
    Ok(Json(get_cut(&state, &p, &id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// One turf (default: every turf of the cut).
    #[param(minimum = 1, maximum = 1000000)]
    pub turf: Option<u32>,
    /// Column set: tusk (default) or van.
    #[param(pattern = "^(tusk|van)$")]
    pub format: Option<String>,
}

/// A cut's walk lists as CSV, in turf and walking order (turf and stop columns). Audited.
#[utoipa::path(get, path = "/api/v1/turfs/{id}/export", params(("id" = i64, Path, description = "Cut id"), ExportParams),
    responses((status = 200, description = "CSV", content_type = "text/csv"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
    QueryOf(q): QueryOf<ExportParams>,
) -> Result<Response, ApiError> {
    let p = principal(&who)?;
    let cut = get_cut(&state, &p, &id).await?;
    let format = match q.format.as_deref() {
        None => app::lists::Format::Tusk,
        Some(f) => app::lists::Format::parse(f)
            .ok_or_else(|| ApiError::field("format", format!("format: {f:?}; use tusk or van")))?,
    };
    if let Some(t) = q.turf {
        if t == 0 || t as usize > cut.summary.turfs.len() {
            return Err(ApiError::field(
                "turf",
                format!(
                    "turf: {t}; this cut has turfs 1 to {}",
                    cut.summary.turfs.len()
                ),
            ));
        }
    }
    let cut_id = cut.id;
    let turf = q.turf;
    let scope = p.people_scope();
    let (text, rows) = state
        .pool
        .run(move |s| {
            let list = app::turfs::walk_list(s.sql(), cut_id, turf, &scope)?;
            let year = app::universes::age_year(s.sql(), now_iso()[..4].parse().unwrap_or(2026));
            Ok((app::turfs::csv(&list, format, i64::from(year)), list.len()))
        })
        .await?;
    let target = match turf {
        Some(t) => format!("turf_cut:{cut_id}:{t}"),
        None => format!("turf_cut:{cut_id}"),
    };
    state
        .audit
        .write(app::lists::audit(
            &p.actor(),
            &target,
            rows,
            format,
            &now_iso(),
        ))
        .await?;
    Ok(crate::api::csv_attachment(
        &format!("turfs-{cut_id}.csv"),
        text,
    ))
}

/// The goal templates an organizer may cut from: (label, expression), for the current election.
fn goal_choices(sql: &mut dyn store::sql::Sql) -> Vec<(String, String)> {
    let Ok(e) = app::scores::current_election(sql) else {
        return Vec::new();
    };
    let params = targeting::goals::GoalParams {
        election: e,
        state: "NC".into(),
    };
    [
        targeting::goals::Goal::Turnout,
        targeting::goals::Goal::Persuasion,
    ]
    .into_iter()
    .map(|g| {
        (
            format!("goal: {}", g.name()),
            targeting::goals::expression(g, &params),
        )
    })
    .collect()
}

// ---- pages ----

#[derive(Template)]
#[template(path = "turfs.html")]
struct TurfsPage {
    nav: Option<Nav>,
    csrf: String,
    /// Counties one may cut (empty: any; type it).
    counties: Vec<String>,
    /// (label, expression) choices: goal templates and saved universes.
    universes: Vec<(String, String)>,
    /// (id, name, county, turfs, doors, people, created)
    cuts: Vec<(i64, String, String, usize, u64, u64, String)>,
}

/// The turf cutter: a county, a universe, doors per turf; kept cuts.
pub async fn page(State(state): State<AppState>, Extension(who): Extension<Who>) -> Response {
    let Some(p) = who.0.clone() else {
        return Redirect::to("/login?next=/turfs").into_response();
    };
    let scope = p.people_scope();
    let counties = match &scope {
        store::people::Scope::Counties(c) => c.clone(),
        _ => Vec::new(),
    };
    let s2 = scope.clone();
    let loaded = state
        .pool
        .run(move |s| {
            let cuts = app::turfs::all(s.sql(), &s2)?;
            let saved = app::universes::all(s.sql())?;
            Ok((cuts, saved, goal_choices(s.sql())))
        })
        .await;
    let (cuts, saved, goals) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(&e, Some(&p)),
    };
    let mut universes = vec![("everyone".to_string(), String::new())];
    universes.extend(goals);
    universes.extend(
        saved
            .into_iter()
            .map(|u| (format!("saved: {}", u.name), u.expression)),
    );
    let csrf = csrf_of(&p);
    render(
        &TurfsPage {
            nav: nav(Some(&p)),
            csrf,
            counties,
            universes,
            cuts: cuts
                .into_iter()
                .map(|c| {
                    (
                        c.id,
                        c.name,
                        c.county,
                        c.summary.turfs.len(),
                        c.summary.doors,
                        c.summary.people,
                        c.created_at,
                    )
                })
                .collect(),
        },
        StatusCode::OK,
    )
}

#[derive(Debug, Deserialize)]
pub struct CutForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub county: String,
    #[serde(default)]
    pub doors: String,
    #[serde(default)]
    pub expression: String,
}

/// The page's form: cuts, keeps, and shows the cut.
pub async fn cut_form(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Form(f): Form<CutForm>,
) -> Response {
    let Some(p) = who.0.clone() else {
        return Redirect::to("/login?next=/turfs").into_response();
    };
    if let Err(refused) = form_csrf(&p, &f.csrf) {
        return refused;
    }
    let doors = match f.doors.trim().parse::<usize>() {
        Ok(d) => d,
        Err(_) => {
            return error_page(
                &ApiError::field(
                    "doors",
                    format!("doors: {:?} is not a whole number", f.doors),
                ),
                Some(&p),
            )
        }
    };
    let req = CutRequest {
        name: if f.name.trim().is_empty() {
            "turfs".into()
        } else {
            f.name
        },
        expression: f.expression,
        county: f.county,
        doors,
    };
    match cut_and_keep(&state, &p, req).await {
        Ok(c) => Redirect::to(&format!("/turfs/{}", c.id)).into_response(),
        Err(e) => error_page(&e, Some(&p)),
    }
}

#[derive(Template)]
#[template(path = "turf_cut.html")]
struct CutPage {
    nav: Option<Nav>,
    cut: Cut,
    radius: String,
    walk: String,
    /// (turf, doors, people, route km)
    turfs: Vec<(u32, u32, u32, String)>,
}

/// One cut: its turfs with links to their printable walk lists and exports.
pub async fn cut_page(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
) -> Response {
    let Some(p) = who.0.clone() else {
        return Redirect::to("/login?next=/turfs").into_response();
    };
    let cut = match get_cut(&state, &p, &id).await {
        Ok(c) => c,
        Err(e) => return error_page(&e, Some(&p)),
    };
    let turfs = cut
        .summary
        .turfs
        .iter()
        .map(|t| {
            (
                t.turf,
                t.doors,
                t.people,
                format!("{:.1}", t.route_m / 1000.0),
            )
        })
        .collect();
    render(
        &CutPage {
            nav: nav(Some(&p)),
            radius: format!("{:.0}", cut.summary.mean_radius_m),
            walk: format!("{:.0}", cut.summary.walk_m_per_door),
            turfs,
            cut,
        },
        StatusCode::OK,
    )
}

/// One door of a printed walk list.
struct WalkStop {
    stop: u32,
    address: String,
    /// (name, age, sex, party)
    people: Vec<(String, String, String, String)>,
}

#[derive(Template)]
#[template(path = "walk_list.html")]
struct WalkPage {
    nav: Option<Nav>,
    cut: Cut,
    turf: u32,
    doors: u32,
    route_km: String,
    stops: Vec<WalkStop>,
}

/// A turf's walk list, print-ready (a page per turf; result boxes to fill in). Audited.
pub async fn walk_page(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path((id, turf)): Path<(String, String)>,
) -> Response {
    let Some(p) = who.0.clone() else {
        return Redirect::to("/login?next=/turfs").into_response();
    };
    let cut = match get_cut(&state, &p, &id).await {
        Ok(c) => c,
        Err(e) => return error_page(&e, Some(&p)),
    };
    let Some(t) = turf
        .parse::<u32>()
        .ok()
        .and_then(|t| cut.summary.turfs.iter().find(|x| x.turf == t).cloned())
    else {
        return error_page(&ApiError::not_found("turf"), Some(&p));
    };
    let cut_id = cut.id;
    let n = t.turf;
    let scope = p.people_scope();
    let list = match state
        .pool
        .run(move |s| {
            let year = app::universes::age_year(s.sql(), now_iso()[..4].parse().unwrap_or(2026));
            Ok((
                app::turfs::walk_list(s.sql(), cut_id, Some(n), &scope)?,
                year,
            ))
        })
        .await
    {
        Ok(l) => l,
        Err(e) => return error_page(&e, Some(&p)),
    };
    let (list, year) = list;
    if let Err(e) = state
        .audit
        .write(app::lists::audit(
            &p.actor(),
            &format!("turf_cut:{cut_id}:{n}"),
            list.len(),
            app::lists::Format::Tusk,
            &now_iso(),
        ))
        .await
    {
        return error_page(&e, Some(&p));
    }
    let mut stops: Vec<WalkStop> = Vec::new();
    for ((_, stop, _, _), r) in list {
        let person = (
            format!("{} {} {}", r.first_name, r.middle_name, r.last_name)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
            r.birth_year
                .map(|y| (i64::from(year) - y).to_string())
                .unwrap_or_default(),
            r.sex.clone(),
            r.party.clone(),
        );
        match stops.last_mut() {
            Some(s) if s.stop == stop => s.people.push(person),
            _ => stops.push(WalkStop {
                stop,
                address: format!(
                    "{}{}, {} {}",
                    r.address,
                    if r.unit.is_empty() {
                        String::new()
                    } else {
                        format!(" {}", r.unit)
                    },
                    r.city,
                    r.zip5
                ),
                people: vec![person],
            }),
        }
    }
    render(
        &WalkPage {
            nav: nav(Some(&p)),
            turf: t.turf,
            doors: t.doors,
            route_km: format!("{:.1}", t.route_m / 1000.0),
            stops,
            cut,
        },
        StatusCode::OK,
    )
}
