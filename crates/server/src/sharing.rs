//! Targeted sharing over HTTP (issue 9): a supporter's consent, uploads, friends with their
//! asks, and withdrawal (`/api/v1/sharing/…`, the `/share` page, phone-first); the campaign's
//! report, settings, precinct-free credit run (`/api/v1/sharing/report|settings|credit`, the
//! `/sharing/report` page). Matching uses the server's voter index (`matching`); "already
//! voted" comes from the election-day board when it is built.
//!
//! What a supporter can read is `app::sharing::FriendView`: the name they typed and the asks.

use app::accounts::Principal;
use app::sharing::{self, Format, SharingError, Supporter};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::{parse_id, principal, JsonBody};
use crate::error::{ApiError, ErrorBody};
use crate::pages::{error_page, form_csrf, nav, render, Nav};
use crate::{now_iso, AppState, Who};

/// Largest request body of an upload (the file's bytes as JSON text, escapes included).
pub const UPLOAD_BODY_BYTES_MAX: usize = 3 * sharing::UPLOAD_BYTES_MAX;

impl From<SharingError> for ApiError {
    fn from(e: SharingError) -> Self {
        match e {
            SharingError::Field { field, message } => {
                ApiError::field(field, format!("{field}: {message}"))
            }
            SharingError::NoConsent => ApiError {
                field: Some("terms_version".into()),
                ..ApiError::new("conflict", e.to_string())
            },
            SharingError::NotFound(m) => ApiError::new("not_found", m),
            SharingError::RateLimited {
                message,
                retry_seconds,
            } => ApiError {
                retry_after: Some(retry_seconds),
                ..ApiError::new("rate_limited", message)
            },
            SharingError::Store(s) => s.into(),
        }
    }
}

/// The supporter behind a request: a signed-in user (keys never share).
fn supporter(p: &Principal) -> Result<Supporter, ApiError> {
    match p {
        Principal::User { id, person_id, .. } => Ok(Supporter {
            user_id: *id,
            person_id: *person_id,
            actor: p.actor(),
        }),
        Principal::Key { .. } => Err(ApiError::forbidden()),
    }
}

/// "Has voted" from the election-day board, when it is built.
fn voted_fn(state: &AppState) -> impl Fn(&str) -> Option<bool> + Send + 'static {
    let t = state.turnout.clone();
    move |voter_id: &str| t.with_live(|l| l.board.has_voted(voter_id)).flatten()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentBody {
    pub terms_version: String,
    /// The terms a supporter agrees to before sharing.
    pub terms: String,
    /// When this supporter agreed to these terms; none: not yet.
    pub agreed_at: Option<String>,
    /// A consent (to these or earlier terms) is in force: there is something to withdraw.
    pub consented: bool,
}

fn consent_body(c: sharing::ConsentView) -> ConsentBody {
    ConsentBody {
        terms_version: c.terms_version.into(),
        terms: c.terms.into(),
        agreed_at: c.agreed_at,
        consented: c.consented,
    }
}

/// The sharing terms and whether you agreed to them.
#[utoipa::path(get, path = "/api/v1/sharing/consent",
    responses((status = 200, body = ConsentBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn consent_get(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
) -> Result<Json<ConsentBody>, ApiError> {
    let s = supporter(&principal(&who)?)?;
    let c = state
        .pool
        .run(move |st| Ok(sharing::consent_view(st.sql(), s.user_id)?))
        .await?;
    Ok(Json(consent_body(c)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgreeBody {
    /// The version of the terms shown (`GET /api/v1/sharing/consent`).
    #[schema(max_length = 32)]
    pub terms_version: String,
}

/// Agree to the sharing terms (recorded: who, when, which text).
#[utoipa::path(post, path = "/api/v1/sharing/consent", request_body = AgreeBody,
    responses((status = 200, body = ConsentBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn consent_post(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    JsonBody(b): JsonBody<AgreeBody>,
) -> Result<Json<ConsentBody>, ApiError> {
    let s = supporter(&principal(&who)?)?;
    let c = state
        .pool
        .run(move |st| {
            Ok(sharing::agree(
                st.sql(),
                s.user_id,
                &b.terms_version,
                &now_iso(),
                &s.actor,
            )?)
        })
        .await?;
    Ok(Json(consent_body(c)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Withdrawn {
    /// Uploads erased.
    pub uploads: u64,
    /// Friends erased (with what the campaign matched them to).
    pub friends: u64,
    /// Asks kept as counts only, linked to no one.
    pub asks_unlinked: u64,
}

/// Withdraw consent: your uploads and everything derived from them are erased now.
#[utoipa::path(delete, path = "/api/v1/sharing/consent",
    responses((status = 200, body = Withdrawn), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn consent_delete(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
) -> Result<Json<Withdrawn>, ApiError> {
    let s = supporter(&principal(&who)?)?;
    let e = state
        .pool
        .run(move |st| {
            Ok(sharing::withdraw(
                st.sql(),
                s.user_id,
                &now_iso(),
                &s.actor,
            )?)
        })
        .await?;
    Ok(Json(Withdrawn {
        uploads: e.uploads,
        friends: e.friends,
        asks_unlinked: e.asks_unlinked,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadBody {
    /// `csv`, `vcard` or `json`; guessed from `content` when absent.
    #[schema(pattern = "^(csv|vcard|json)$")]
    pub format: Option<String>,
    /// The file as text (a CSV with a header, vCard cards, or a JSON array of contacts).
    pub content: Option<String>,
    /// Contacts as JSON objects: `name` or `first_name`/`last_name`, `phones`, `emails`,
    /// `city`, `state`, `zip`, `birthday`. Instead of `content`. Any JSON value is taken: an
    /// entry that is not such an object is answered as a problem of its own (with the others
    /// kept), like a bad row of a file.
    pub contacts: Option<Vec<serde_json::Value>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AsksBody {
    /// Your friends, best ask first: the name you typed and what to ask.
    #[schema(value_type = Vec<Object>)]
    pub friends: Vec<sharing::FriendView>,
}

async fn do_upload(
    state: &AppState,
    s: Supporter,
    format: Format,
    bytes: Vec<u8>,
) -> Result<sharing::UploadView, ApiError> {
    let index = crate::matching::current(state).await?;
    let voted = voted_fn(state);
    state
        .pool
        .run(move |st| {
            Ok(sharing::upload(
                st.sql(),
                &index,
                &s,
                format,
                &bytes,
                &now_iso(),
                &voted,
            )?)
        })
        .await
}

fn upload_input(b: UploadBody) -> Result<(Format, Vec<u8>), ApiError> {
    let format = b
        .format
        .as_deref()
        .map(|f| {
            Format::parse(f).ok_or_else(|| {
                ApiError::field("format", format!("format: {f:?}; use csv, vcard or json"))
            })
        })
        .transpose()?;
    match (b.content, b.contacts) {
        (Some(_), Some(_)) => Err(ApiError::field(
            "contacts",
            "send either content (a file's text) or contacts (JSON objects), not both",
        )),
        (None, None) => Err(ApiError::field(
            "content",
            "send content (a CSV, vCard or JSON file's text) or contacts",
        )),
        (None, Some(_)) if format.is_some_and(|f| f != Format::Json) => Err(ApiError::field(
            "format",
            "contacts are JSON objects: leave format out, or send the file's text as content",
        )),
        (None, Some(list)) => {
            let bytes = serde_json::to_vec(&list).map_err(ApiError::internal)?;
            Ok((Format::Json, bytes))
        }
        (Some(text), None) => {
            let format = format.unwrap_or_else(|| Format::sniff(text.as_bytes()));
            Ok((format, text.into_bytes()))
        }
    }
}

/// Share contacts (after agreeing to the terms). Each entry is matched and given asks; a bad
/// entry is named with its field and the rest are kept. Answers your whole list.
#[utoipa::path(post, path = "/api/v1/sharing/uploads", request_body = UploadBody,
    responses((status = 201, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 429, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    JsonBody(b): JsonBody<UploadBody>,
) -> Result<Response, ApiError> {
    let s = supporter(&principal(&who)?)?;
    let (format, bytes) = upload_input(b)?;
    let view = do_upload(&state, s, format, bytes).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// Your friends and their asks, best first.
#[utoipa::path(get, path = "/api/v1/sharing/friends",
    responses((status = 200, body = AsksBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn friends(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
) -> Result<Json<AsksBody>, ApiError> {
    let s = supporter(&principal(&who)?)?;
    let friends = state
        .pool
        .run(move |st| Ok(sharing::friends_view(st.sql(), s.user_id)?))
        .await?;
    Ok(Json(AsksBody { friends }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DoneBody {
    /// Asked (true) or not yet (false).
    pub done: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DoneAnswer {
    pub id: i64,
    pub done: bool,
}

/// Mark one of your asks as made (or not).
#[utoipa::path(post, path = "/api/v1/sharing/asks/{id}/done", params(("id" = i64, Path, description = "Ask id")), request_body = DoneBody,
    responses((status = 200, body = DoneAnswer), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn ask_done(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<DoneBody>,
) -> Result<Json<DoneAnswer>, ApiError> {
    let s = supporter(&principal(&who)?)?;
    let id = parse_id(&id, "ask")?;
    state
        .pool
        .run(move |st| {
            Ok(sharing::mark_done(
                st.sql(),
                s.user_id,
                id,
                b.done,
                &now_iso(),
            )?)
        })
        .await?;
    Ok(Json(DoneAnswer { id, done: b.done }))
}

/// Asks made, done and converted by kind and state (counts only).
#[utoipa::path(get, path = "/api/v1/sharing/report",
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn report(State(state): State<AppState>) -> Result<Json<sharing::Report>, ApiError> {
    Ok(Json(
        state.pool.run(|st| Ok(sharing::report(st.sql())?)).await?,
    ))
}

/// The sharing settings in force (target states, links, dates, ask texts, threshold).
#[utoipa::path(get, path = "/api/v1/sharing/settings",
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn settings_get(
    State(state): State<AppState>,
) -> Result<Json<sharing::Settings>, ApiError> {
    Ok(Json(
        state
            .pool
            .run(|st| Ok(sharing::settings(st.sql())?))
            .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SettingsBody {
    /// Two-letter codes, most important first.
    #[schema(min_items = 1)]
    pub target_states: Vec<String>,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub rest: serde_json::Map<String, serde_json::Value>,
}

/// Replace the sharing settings (checked whole; errors name the field).
#[utoipa::path(put, path = "/api/v1/sharing/settings", request_body = SettingsBody,
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn settings_put(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    JsonBody(b): JsonBody<SettingsBody>,
) -> Result<Json<sharing::Settings>, ApiError> {
    let p = principal(&who)?;
    let mut doc = b.rest;
    doc.insert("target_states".into(), serde_json::json!(b.target_states));
    let text = serde_json::Value::Object(doc).to_string();
    let actor = p.actor();
    Ok(Json(
        state
            .pool
            .run(move |st| Ok(sharing::set_settings(st.sql(), &text, &now_iso(), &actor)?))
            .await?,
    ))
}

/// Credit asks whose friend has since registered (a later voter file) or voted (early ballots,
/// the election-day board).
#[utoipa::path(post, path = "/api/v1/sharing/credit",
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn credit(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
) -> Result<Json<sharing::Credited>, ApiError> {
    let p = principal(&who)?;
    let index = crate::matching::current(&state).await?;
    let voted = voted_fn(&state);
    let actor = p.actor();
    Ok(Json(
        state
            .pool
            .run(move |st| {
                Ok(sharing::credit(
                    st.sql(),
                    &index,
                    &now_iso(),
                    &actor,
                    &voted,
                )?)
            })
            .await?,
    ))
}

// ---- pages ----

#[derive(Template)]
#[template(path = "share.html")]
struct SharePage {
    nav: Option<Nav>,
    csrf: String,
    terms_version: &'static str,
    terms: &'static str,
    agreed_at: Option<String>,
    consented: bool,
    friends: Vec<sharing::FriendView>,
    /// After an upload: what was read and what was wrong.
    summary: Option<sharing::UploadView>,
    formats: Vec<&'static str>,
}

async fn share_page_with(
    state: &AppState,
    p: &Principal,
    summary: Option<sharing::UploadView>,
) -> Response {
    let s = match supporter(p) {
        Ok(s) => s,
        Err(e) => return error_page(&e, Some(p)),
    };
    let got = state
        .pool
        .run(move |st| {
            let c = sharing::consent_view(st.sql(), s.user_id)?;
            let f = sharing::friends_view(st.sql(), s.user_id)?;
            Ok((c, f))
        })
        .await;
    match got {
        Ok((c, friends)) => render(
            &SharePage {
                nav: nav(Some(p)),
                csrf: crate::pages::csrf_of(p),
                terms_version: c.terms_version,
                terms: c.terms,
                agreed_at: c.agreed_at,
                consented: c.consented,
                friends,
                summary,
                formats: vec!["csv", "vcard", "json"],
            },
            StatusCode::OK,
        ),
        Err(e) => error_page(&e, Some(p)),
    }
}

/// The supporter's page: the terms, the upload, the friends to ask.
pub async fn share_page(State(state): State<AppState>, Extension(who): Extension<Who>) -> Response {
    let Some(p) = who.0.clone() else {
        return Redirect::to("/login?next=/share").into_response();
    };
    share_page_with(&state, &p, None).await
}

/// A form's sender: signed in (else to sign-in), CSRF checked, a supporter (not a key).
fn form_sender(who: &Who, csrf: &str) -> Result<(Principal, Supporter), Response> {
    let Some(p) = who.0.clone() else {
        return Err(Redirect::to("/login?next=/share").into_response());
    };
    form_csrf(&p, csrf)?;
    match supporter(&p) {
        Ok(s) => Ok((p, s)),
        Err(e) => Err(error_page(&e, Some(&p))),
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub terms_version: String,
}

/// A form that changes the supporter's own sharing: sender checked, the change run on the
/// store, then back to `/share` (`anchor` appended), or the error page.
async fn form_action<T: Send + 'static>(
    state: &AppState,
    who: &Who,
    csrf: &str,
    anchor: &str,
    f: impl FnOnce(&mut dyn store::Store, Supporter) -> Result<T, ApiError> + Send + 'static,
) -> Response {
    let (p, s) = match form_sender(who, csrf) {
        Ok(x) => x,
        Err(refused) => return refused,
    };
    match state.pool.run(move |st| f(st, s)).await {
        Ok(_) => Redirect::to(&format!("/share{anchor}")).into_response(),
        Err(e) => error_page(&e, Some(&p)),
    }
}

pub async fn consent_form(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let version = f.terms_version;
    form_action(&state, &who, &f.csrf, "", move |st, s| {
        Ok(sharing::agree(
            st.sql(),
            s.user_id,
            &version,
            &now_iso(),
            &s.actor,
        )?)
    })
    .await
}

pub async fn withdraw_form(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Form(f): Form<CsrfForm>,
) -> Response {
    form_action(&state, &who, &f.csrf, "", move |st, s| {
        Ok(sharing::withdraw(
            st.sql(),
            s.user_id,
            &now_iso(),
            &s.actor,
        )?)
    })
    .await
}

#[derive(Debug, Deserialize)]
pub struct UploadForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub format: String,
    #[serde(default)]
    pub content: String,
}

pub async fn upload_form(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Form(f): Form<UploadForm>,
) -> Response {
    let (p, s) = match form_sender(&who, &f.csrf) {
        Ok(x) => x,
        Err(refused) => return refused,
    };
    let body = UploadBody {
        format: Some(f.format).filter(|f| !f.is_empty() && f != "auto"),
        content: Some(f.content),
        contacts: None,
    };
    let r = match upload_input(body) {
        Ok((format, bytes)) => do_upload(&state, s, format, bytes).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(view) => share_page_with(&state, &p, Some(view)).await,
        Err(e) => error_page(&e, Some(&p)),
    }
}

#[derive(Debug, Deserialize)]
pub struct DoneForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub done: String,
}

pub async fn done_form(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
    Form(f): Form<DoneForm>,
) -> Response {
    let done = f.done == "1" || f.done == "true";
    form_action(&state, &who, &f.csrf, "#friends", move |st, s| {
        let id = parse_id(&id, "ask")?;
        Ok(sharing::mark_done(
            st.sql(),
            s.user_id,
            id,
            done,
            &now_iso(),
        )?)
    })
    .await
}

#[derive(Template)]
#[template(path = "sharing_report.html")]
struct ReportPage {
    nav: Option<Nav>,
    report: sharing::Report,
    target_states: Vec<String>,
}

/// The campaign's view: asks made, done and converted, by kind and state.
pub async fn report_page(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
) -> Response {
    let Some(p) = who.0.clone() else {
        return Redirect::to("/login?next=/sharing/report").into_response();
    };
    let got = state
        .pool
        .run(|st| {
            let r = sharing::report(st.sql())?;
            let s = sharing::settings(st.sql())?;
            Ok((r, s.target_states))
        })
        .await;
    match got {
        Ok((report, target_states)) => render(
            &ReportPage {
                nav: nav(Some(&p)),
                report,
                target_states,
            },
            StatusCode::OK,
        ),
        Err(e) => error_page(&e, Some(&p)),
    }
}
