//! JSON API handlers (`/api/v1/…`). Access is already checked by `guard`; handlers narrow
//! what is read to the principal's scope through the use cases in `app`.

use app::accounts::Principal;
use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::error::{ApiError, ErrorBody};
use crate::osdi;
use crate::{now_iso, now_secs, AppState, ClientIp, Who, SESSION_COOKIE};
use store::accounts::AuditRecord;

/// Most audit entries in one answer.
pub const AUDIT_PAGE_MAX: usize = 1_000;

/// JSON body whose rejections are answered from the error table.
pub struct JsonBody<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(JsonBody(v)),
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::new(
                    "payload_too_large",
                    format!("the body is larger than {} bytes", crate::BODY_BYTES_MAX),
                ))
            }
            Err(e) => Err(ApiError::new("invalid_json", e.body_text())),
        }
    }
}

/// Query string whose rejections name the field.
pub struct QueryOf<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequestParts<S> for QueryOf<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(QueryOf(v)),
            Err(e) => {
                let text = e.body_text();
                // "Failed to deserialize query string: per_page: invalid digit …"
                let missing = text
                    .split_once("missing field `")
                    .and_then(|(_, rest)| rest.split_once('`'))
                    .map(|(f, _)| f.to_string());
                let field = text
                    .split_once("query string: ")
                    .and_then(|(_, rest)| rest.split_once(':'))
                    .map(|(f, _)| f.trim().to_string())
                    .filter(|f| !f.is_empty() && !f.contains(' '))
                    .or(missing)
                    .unwrap_or_else(|| "query".into());
                Err(ApiError {
                    field: Some(field),
                    ..ApiError::new("invalid_field", text)
                })
            }
        }
    }
}

/// The signed-in principal (routes that need one; `guard` has refused the others).
pub(crate) fn principal(who: &Who) -> Result<Principal, ApiError> {
    who.0.clone().ok_or_else(ApiError::unauthenticated)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginBody {
    #[schema(min_length = 1, max_length = 64)]
    pub username: String,
    #[schema(min_length = 1, max_length = 256)]
    pub password: String,
    /// The 6-digit code from an authenticator app (staff roles).
    #[serde(default)]
    pub totp: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeBody {
    /// `user:NAME` or `key:NAME`.
    pub actor: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    pub regions: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person_id: Option<i64>,
    pub scopes: Vec<String>,
    /// Echo in `X-CSRF-Token` on writes authenticated by the session cookie.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csrf: Option<String>,
}

fn me_of(p: &Principal) -> MeBody {
    match p {
        Principal::User {
            role,
            regions,
            person_id,
            csrf,
            ..
        } => MeBody {
            actor: p.actor(),
            role: Some(role.as_str().into()),
            regions: regions.clone(),
            person_id: *person_id,
            scopes: vec![],
            csrf: Some(csrf.clone()),
        },
        Principal::Key { scopes, .. } => MeBody {
            actor: p.actor(),
            role: None,
            regions: vec![],
            person_id: None,
            scopes: scopes.clone(),
            csrf: None,
        },
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginAnswer {
    /// Bearer token for API clients (the same session is set as an HttpOnly cookie).
    pub token: String,
    pub expires_at: String,
    pub me: MeBody,
}

/// Seconds from now until a session's expiry (the cookie lives as long as the session).
pub fn seconds_left(expires_at: &str) -> i64 {
    app::accounts::parse_timestamp(expires_at)
        .map_or(auth::SESSION_SECONDS, |at| (at - now_secs()).max(0))
}

pub fn session_cookie(state: &AppState, token: &str, max_age: i64) -> HeaderValue {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A sign-in waits at most this long for a free core to hash the password (then 503).
pub const LOGIN_WAIT_SECONDS_MAX: u64 = 10;

/// Signs in in three steps: the account (store), the password hash (a core, through
/// `login_gate`, holding no store connection), the outcome and session (store). The outer
/// error is the server's (busy, store down); the inner one the sign-in's answer.
pub(crate) async fn sign_in(
    state: &AppState,
    username: String,
    password: String,
    totp: Option<String>,
) -> Result<Result<app::accounts::SignedIn, app::accounts::AccountError>, ApiError> {
    let u = username.clone();
    let looked = state
        .pool
        .run(move |s| Ok(app::accounts::login_lookup(s, &u, now_secs())))
        .await?;
    let looked = match looked {
        Ok(l) => l,
        Err(e) => return Ok(Err(e)),
    };
    let permit = tokio::time::timeout(
        std::time::Duration::from_secs(LOGIN_WAIT_SECONDS_MAX),
        state.login_gate.clone().acquire_owned(),
    )
    .await
    .map_err(|_| ApiError {
        retry_after: Some(2),
        ..ApiError::new(
            "unavailable",
            "many sign-ins at once: retry in a few seconds",
        )
    })?
    .map_err(ApiError::internal)?;
    let (looked, matched) = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let m = app::accounts::password_matches(&looked, &password);
        (looked, m)
    })
    .await
    .map_err(ApiError::internal)?;
    state
        .pool
        .run(move |s| {
            Ok(app::accounts::login_finish(
                s,
                &username,
                looked,
                matched,
                totp.as_deref(),
                now_secs(),
            ))
        })
        .await
}

/// Sign in with username, password and (staff) a TOTP code.
#[utoipa::path(post, path = "/api/v1/login", request_body = LoginBody,
    responses((status = 200, body = LoginAnswer), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    Extension(ip): Extension<ClientIp>,
    JsonBody(body): JsonBody<LoginBody>,
) -> Result<Response, ApiError> {
    state.login_attempt(ip.0)?;
    for (f, v) in [("username", &body.username), ("password", &body.password)] {
        if v.is_empty() {
            return Err(ApiError::field(f, format!("{f}: required")));
        }
        if v.len() > auth::PASSWORD_LEN_MAX {
            return Err(ApiError::field(f, format!("{f}: too long")));
        }
    }
    let signed = sign_in(&state, body.username, body.password, body.totp)
        .await?
        .map_err(ApiError::from)?;
    let cookie = session_cookie(&state, &signed.token, seconds_left(&signed.expires_at));
    let mut r = Json(LoginAnswer {
        token: signed.token.clone(),
        expires_at: signed.expires_at.clone(),
        me: me_of(&signed.principal),
    })
    .into_response();
    r.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(r)
}

/// End the session.
#[utoipa::path(post, path = "/api/v1/logout", responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    let p = principal(&who)?;
    if let Some((token, _)) = crate::token_of(&headers) {
        if matches!(p, Principal::User { .. }) {
            let actor = p.actor();
            state.turnout.forget(&token);
            state
                .pool
                .run(move |s| {
                    app::accounts::logout(s, &token, &actor, now_secs()).map_err(ApiError::from)
                })
                .await?;
        }
    }
    let mut r = axum::http::StatusCode::NO_CONTENT.into_response();
    r.headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&state, "", 0));
    Ok(r)
}

/// Who the session or key belongs to, and what it may do.
#[utoipa::path(get, path = "/api/v1/me", responses((status = 200, body = MeBody), (status = 401, body = ErrorBody)))]
pub async fn me(Extension(who): Extension<Who>) -> Result<Json<MeBody>, ApiError> {
    Ok(Json(me_of(&principal(&who)?)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeopleParams {
    /// `DOE`, `JANE DOE` or `DOE, JANE` (first name as a prefix).
    pub name: Option<String>,
    /// A US number, 10 digits (punctuation ignored), e.g. 919-555-0101.
    #[param(
        pattern = r"^\s*$|^[^0-9]*1?[^0-9]*[2-9]([^0-9]*[0-9]){2}[^0-9]*[2-9]([^0-9]*[0-9]){6}[^0-9]*$"
    )]
    pub phone: Option<String>,
    #[param(
        pattern = r"^\s*$|^\s*[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f.][^@\s\x00-\x1f\x7f]*\.[^@\s\x00-\x1f\x7f]*[^@\s\x00-\x1f\x7f.]\s*$"
    )]
    pub email: Option<String>,
    /// House number and street: `12 Main St`.
    pub address: Option<String>,
    #[param(pattern = r"^\s*([0-9]{5}(-?[0-9]{4})?)?\s*$")]
    pub zip: Option<String>,
    /// From 1 to 1,000,000 (to walk everything, follow the change feed instead).
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<usize>,
    /// 1 to 100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<usize>,
}

/// Search people you may see by name, phone, e-mail, address or ZIP (at least one).
#[utoipa::path(get, path = "/api/v1/people", params(PeopleParams),
    responses((status = 200, body = osdi::PeoplePage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn people_search(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    QueryOf(q): QueryOf<PeopleParams>,
) -> Result<Json<osdi::PeoplePage>, ApiError> {
    let p = principal(&who)?;
    let params = app::people::SearchParams {
        name: q.name,
        phone: q.phone,
        email: q.email,
        address: q.address,
        zip: q.zip,
        page: q.page,
        per_page: q.per_page,
    };
    let echo = params.clone();
    let (page, audit) = state
        .pool
        .run(move |s| app::people::search(s, &p, &params, &now_iso()).map_err(ApiError::from))
        .await?;
    state.audit.write(audit).await?;
    Ok(Json(osdi::people_page(&page, |n| people_href(&echo, n))))
}

fn people_href(p: &app::people::SearchParams, page: usize) -> String {
    let mut q: Vec<String> = Vec::new();
    for (k, v) in [
        ("name", &p.name),
        ("phone", &p.phone),
        ("email", &p.email),
        ("address", &p.address),
        ("zip", &p.zip),
    ] {
        if let Some(v) = v {
            q.push(format!("{k}={}", encode(v)));
        }
    }
    q.push(format!("page={page}"));
    if let Some(pp) = p.per_page {
        q.push(format!("per_page={pp}"));
    }
    format!("/api/v1/people?{}", q.join("&"))
}

/// Percent-encodes a query value.
pub fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One person: the golden record, identifiers and every source record.
#[utoipa::path(get, path = "/api/v1/people/{id}", params(("id" = i64, Path, description = "person id")),
    responses((status = 200, body = osdi::Person), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn person_get(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
) -> Result<Json<osdi::Person>, ApiError> {
    let p = principal(&who)?;
    let id = parse_id(&id, "person")?;
    let with_scores = p.allows(auth::Permission::ModelsRead);
    let (detail, audit, scores) = state
        .pool
        .run(move |s| {
            let Some((d, audit)) = app::people::get(s, &p, id, &now_iso())? else {
                return Ok(None);
            };
            let scores = if with_scores {
                Some(store::models::of_person(s.sql(), id)?)
            } else {
                None
            };
            Ok(Some((d, audit, scores)))
        })
        .await?
        .ok_or_else(|| ApiError::not_found("person"))?;
    state.audit.write(audit).await?;
    let mut person = osdi::person_detail(&detail);
    person.scores = scores;
    Ok(Json(person))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DonationsParams {
    /// Only this person's donations.
    pub person: Option<i64>,
    /// From 1 to 1,000,000 (to walk everything, follow the change feed instead).
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<usize>,
    /// 1 to 100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<usize>,
}

/// Donations, oldest first, optionally one person's.
#[utoipa::path(get, path = "/api/v1/donations", params(DonationsParams),
    responses((status = 200, body = osdi::DonationsPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn donations(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    QueryOf(q): QueryOf<DonationsParams>,
) -> Result<Json<osdi::DonationsPage>, ApiError> {
    let p = principal(&who)?;
    let per_page = q.per_page.unwrap_or(app::people::PER_PAGE_DEFAULT);
    if per_page == 0 || per_page > app::people::PER_PAGE_MAX {
        return Err(ApiError::field(
            "per_page",
            format!("per_page: between 1 and {}", app::people::PER_PAGE_MAX),
        ));
    }
    let page = q.page.unwrap_or(1);
    if page == 0 || page > app::people::PAGE_MAX {
        return Err(ApiError::field(
            "page",
            format!("page: pages count from 1 to {}", app::people::PAGE_MAX),
        ));
    }
    let person = q.person;
    let (total, rows) = state
        .pool
        .run(move |s| {
            Ok(store::donations::list(
                s.sql(),
                person,
                (page - 1).saturating_mul(per_page),
                per_page,
            )?)
        })
        .await?;
    state
        .audit
        .write(AuditRecord::new(
            &now_iso(),
            &p.actor(),
            "donations.list",
            &person.map(|p| format!("person:{p}")).unwrap_or_default(),
            serde_json::json!({ "page": page, "returned": rows.len() }),
        ))
        .await?;
    let total = total as usize;
    let total_pages = total.div_ceil(per_page);
    let href = |n: usize| {
        let mut h = format!("/api/v1/donations?page={n}&per_page={per_page}");
        if let Some(p) = person {
            h.push_str(&format!("&person={p}"));
        }
        h
    };
    Ok(Json(osdi::DonationsPage {
        page,
        per_page,
        total_pages,
        total_records: total,
        _embedded: osdi::DonationsEmbedded {
            donations: rows.iter().map(osdi::donation).collect(),
        },
        _links: osdi::Links {
            self_: osdi::Href { href: href(page) },
            next: (page < total_pages).then(|| osdi::Href {
                href: href(page + 1),
            }),
            previous: (page > 1).then(|| osdi::Href {
                href: href(page - 1),
            }),
        },
    }))
}

/// One donation.
#[utoipa::path(get, path = "/api/v1/donations/{id}", params(("id" = i64, Path, description = "donation id")),
    responses((status = 200, body = osdi::Donation), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn donation_get(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
) -> Result<Json<osdi::Donation>, ApiError> {
    let p = principal(&who)?;
    let id = parse_id(&id, "donation")?;
    let row = state
        .pool
        .run(move |s| Ok(store::donations::get(s.sql(), id)?))
        .await?
        .ok_or_else(|| ApiError::not_found("donation"))?;
    state
        .audit
        .write(AuditRecord::new(
            &now_iso(),
            &p.actor(),
            "donation.read",
            &format!("donation:{id}"),
            serde_json::json!({}),
        ))
        .await?;
    Ok(Json(osdi::donation(&row)))
}

/// Most changes in one answer.
pub const CHANGES_PAGE_MAX: usize = 1_000;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesParams {
    /// Changes after this cursor (`seq`); 0 or absent: from the beginning.
    #[param(minimum = 0)]
    pub after: Option<i64>,
    /// 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChangesPage {
    /// Oldest first. `kind`: created, updated, merged, unmerged; `resource`: person,
    /// donation, volunteer, contact.
    #[schema(value_type = Vec<Object>)]
    pub changes: Vec<store::changes::Change>,
    /// Pass as `after` to continue; equal to the request's `after` when nothing is new.
    pub next_after: i64,
}

/// The change feed: every committed change, in commit order, resumable by cursor. A client
/// that stores `next_after` and asks again never misses or repeats a change.
#[utoipa::path(get, path = "/api/v1/changes", params(ChangesParams),
    responses((status = 200, body = ChangesPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn changes(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    QueryOf(q): QueryOf<ChangesParams>,
) -> Result<Json<ChangesPage>, ApiError> {
    let p = principal(&who)?;
    let limit = q.limit.unwrap_or(100);
    if limit == 0 || limit > CHANGES_PAGE_MAX {
        return Err(ApiError::field(
            "limit",
            format!("limit: between 1 and {CHANGES_PAGE_MAX}"),
        ));
    }
    let after = q.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::field(
            "after",
            "after: a cursor from a previous answer (0 or more)",
        ));
    }
    let page = state
        .pool
        .run(move |s| {
            let changes = store::changes::after(s.sql(), after, limit)?;
            let next_after = changes.last().map(|c| c.seq).unwrap_or(after);
            Ok(ChangesPage {
                changes,
                next_after,
            })
        })
        .await?;
    state
        .audit
        .write(AuditRecord::new(
            &now_iso(),
            &p.actor(),
            "changes.read",
            "",
            serde_json::json!({ "after": after, "returned": page.changes.len() }),
        ))
        .await?;
    Ok(Json(page))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Entries after this id (resume from the last id you saw).
    pub after: Option<i64>,
    /// 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
    /// Only this action, e.g. `login.failure`, `people.search`, `person.read`.
    pub action: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    #[schema(value_type = Vec<Object>)]
    pub entries: Vec<store::accounts::AuditEntry>,
    /// Pass as `after` for the next page.
    pub next_after: i64,
}

/// The audit log: sign-ins, bulk reads, person reads, account changes (admin).
#[utoipa::path(get, path = "/api/v1/audit", params(AuditParams),
    responses((status = 200, body = AuditPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn audit(
    State(state): State<AppState>,
    QueryOf(q): QueryOf<AuditParams>,
) -> Result<Json<AuditPage>, ApiError> {
    let limit = q.limit.unwrap_or(100);
    if limit == 0 || limit > AUDIT_PAGE_MAX {
        return Err(ApiError::field(
            "limit",
            format!("limit: between 1 and {AUDIT_PAGE_MAX}"),
        ));
    }
    let after = q.after.unwrap_or(0);
    let entries = state
        .pool
        .run(move |s| {
            store::accounts::audit_entries(s.sql(), after, limit, q.action.as_deref())
                .map_err(ApiError::from)
        })
        .await?;
    let next_after = entries.last().map(|e| e.id).unwrap_or(after);
    Ok(Json(AuditPage {
        entries,
        next_after,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UsersBody {
    #[schema(value_type = Vec<Object>)]
    pub users: Vec<store::accounts::User>,
    #[schema(value_type = Vec<Object>)]
    pub keys: Vec<store::accounts::ApiKey>,
}

/// Accounts and integration keys (admin). Secrets are never returned.
#[utoipa::path(get, path = "/api/v1/users", responses((status = 200, body = UsersBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn users(State(state): State<AppState>) -> Result<Json<UsersBody>, ApiError> {
    let body = state
        .pool
        .run(|s| {
            Ok(UsersBody {
                users: store::accounts::list_users(s.sql())?,
                keys: store::accounts::list_keys(s.sql())?,
            })
        })
        .await?;
    Ok(Json(body))
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tusk API",
        version = "1",
        description = "Tusk's JSON API. Sign in with POST /api/v1/login (session cookie for pages, bearer token for clients) or send an integration key as `Authorization: Bearer tusk_k_…`. Errors are JSON `{code, message, field?}`; the codes are listed under `x-error-codes`."
    ),
    paths(
        login,
        logout,
        me,
        people_search,
        person_get,
        person_signup_helper,
        record_donation_helper,
        donations,
        donation_get,
        volunteers,
        volunteer_get,
        changes,
        review_queue,
        review_decide,
        tags,
        tag_create,
        taggings,
        tagging_add,
        tagging_remove,
        lists,
        list_create,
        list_items,
        list_item_add,
        list_item_remove,
        audit,
        users,
        crate::universes::record_canvass,
        crate::universes::count,
        crate::universes::goals,
        crate::universes::list,
        crate::universes::create,
        crate::universes::get,
        crate::allocations::create,
        crate::allocations::list,
        crate::allocations::get,
        crate::allocations::items,
        crate::allocations::export,
        crate::turfs::create,
        crate::turfs::list,
        crate::turfs::get,
        crate::turfs::export,
        crate::turnout::post_reports,
        crate::turnout::feed,
        crate::turnout::board,
        crate::turnout::chase,
        crate::turnout::roster,
        crate::sharing::consent_get,
        crate::sharing::consent_post,
        crate::sharing::consent_delete,
        crate::sharing::upload,
        crate::sharing::friends,
        crate::sharing::ask_done,
        crate::sharing::report,
        crate::sharing::settings_get,
        crate::sharing::settings_put,
        crate::sharing::credit,
        crate::health::data,
        crate::loads::create,
        crate::goals::list,
        crate::goals::put,
        crate::resolve::post,
        crate::resolve::get,
        crate::teams::list,
        crate::teams::get,
        crate::teams::contact_post,
        crate::overview::overview,
        crate::trips::board,
        crate::trips::mine,
        crate::trips::ride_post,
        crate::trips::bed_post,
        crate::trips::request_post,
        crate::trips::ride_put,
        crate::trips::bed_put,
        crate::trips::request_put,
        crate::trips::cancel,
        crate::trips::answer,
        crate::trips::messages,
        crate::trips::message_post,
        crate::trips::offices,
        crate::trips::needs_put,
        crate::trips::plan,
        crate::trips::assignments,
        crate::scoring::models_list,
        crate::scoring::model_get,
        crate::scoring::model_train,
        crate::scoring::model_approve,
        crate::scoring::model_apply,
        openapi
    ),
    components(schemas(
        ErrorBody,
        LoginBody,
        LoginAnswer,
        MeBody,
        osdi::Person,
        osdi::PeoplePage,
        AuditPage,
        UsersBody,
        ChangesPage,
        osdi::Donation,
        osdi::DonationsPage,
        SignupBody,
        SignupAnswer,
        ReviewPage,
        DecisionBody,
        GroupsBody,
        GroupNew,
        MembersNew,
        MembersAdded,
        VolunteersPage,
        crate::turnout::ReportsBody,
        crate::turnout::ReportBody,
        crate::turnout::ReportsAnswer,
        crate::turnout::ReportResult,
        crate::turnout::FeedPage,
        crate::turnout::BoardAnswer,
        crate::turnout::ChaseAnswer,
        crate::turnout::ChaseEntry,
        crate::turnout::RosterAnswer,
        crate::turnout::RosterEntry
    ))
)]
pub struct ApiDoc;

/// The OpenAPI document, generated from the handlers above, with the error table.
pub fn openapi_document() -> serde_json::Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    let errors: Vec<serde_json::Value> = crate::ERRORS
        .iter()
        .map(|(code, status, meaning)| serde_json::json!({"code": code, "status": status, "meaning": meaning}))
        .collect();
    if let Some(info) = doc.get_mut("info").and_then(|i| i.as_object_mut()) {
        info.insert("x-error-codes".into(), serde_json::Value::Array(errors));
    }
    doc
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", responses((status = 200, description = "OpenAPI 3.1 document")))]
pub async fn openapi() -> Json<serde_json::Value> {
    Json(openapi_document())
}

/// Items accepted in one array of a request body (addresses, phones, identifiers…).
pub const LIST_ITEMS_MAX: usize = 10;

#[derive(Debug, Deserialize, ToSchema)]
pub struct EmailIn {
    pub address: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PhoneIn {
    pub number: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PostalIn {
    #[serde(default)]
    pub address_lines: Vec<String>,
    pub locality: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct BirthIn {
    pub year: i64,
    pub month: Option<i64>,
    pub day: Option<i64>,
}

/// An OSDI person as a sign-up form sends it. Only the first item of each array is kept.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SignupPerson {
    /// `system:id` of the record in the sending tool, e.g. `mobilize:123`.
    #[serde(default)]
    pub identifiers: Vec<String>,
    #[schema(min_length = 1, max_length = 200)]
    pub given_name: String,
    #[serde(default)]
    pub additional_name: Option<String>,
    #[schema(min_length = 1, max_length = 200)]
    pub family_name: String,
    #[serde(default)]
    pub email_addresses: Vec<EmailIn>,
    #[serde(default)]
    pub phone_numbers: Vec<PhoneIn>,
    #[serde(default)]
    pub postal_addresses: Vec<PostalIn>,
    pub birthdate: Option<BirthIn>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SignupBody {
    pub person: SignupPerson,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignupAnswer {
    /// matched (joined a voter's person), created (a new person), review (new person, a
    /// borderline voter match queued for review), updated, unchanged.
    #[schema(value_type = String)]
    pub outcome: app::signup::SignupOutcome,
    /// The person, when the caller may read them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person_id: Option<i64>,
    /// The record's key.
    pub identifier: String,
    /// Probability of the best voter match considered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
}

fn signup_input(p: SignupPerson) -> Result<app::signup::SignupInput, ApiError> {
    for (name, n) in [
        ("person.identifiers", p.identifiers.len()),
        ("person.email_addresses", p.email_addresses.len()),
        ("person.phone_numbers", p.phone_numbers.len()),
        ("person.postal_addresses", p.postal_addresses.len()),
    ] {
        if n > LIST_ITEMS_MAX {
            return Err(ApiError::field(
                name,
                format!("{name}: at most {LIST_ITEMS_MAX} items"),
            ));
        }
    }
    let postal = p.postal_addresses.into_iter().next();
    Ok(app::signup::SignupInput {
        identifier: p.identifiers.into_iter().next(),
        given_name: p.given_name,
        additional_name: p.additional_name.unwrap_or_default(),
        family_name: p.family_name,
        email: p.email_addresses.into_iter().next().map(|e| e.address),
        phone: p.phone_numbers.into_iter().next().map(|n| n.number),
        address_line: postal.as_ref().map(|a| a.address_lines.join(" ")),
        city: postal.as_ref().and_then(|a| a.locality.clone()),
        state: postal.as_ref().and_then(|a| a.region.clone()),
        zip: postal.as_ref().and_then(|a| a.postal_code.clone()),
        birth_year: p.birthdate.as_ref().map(|b| b.year),
        birth_month: p.birthdate.as_ref().and_then(|b| b.month),
        birth_day: p.birthdate.as_ref().and_then(|b| b.day),
    })
}

/// Create-or-match a person from a sign-up (OSDI `person_signup_helper`): the record is kept,
/// matched against the voters by the identity model, and joins a voter's person, starts a new
/// one, or starts one and queues a borderline match for review. Resending the same sign-up
/// changes nothing. 503 with Retry-After while the matching index is first built.
#[utoipa::path(post, path = "/api/v1/people/person_signup_helper", request_body = SignupBody,
    responses((status = 201, body = SignupAnswer), (status = 200, body = SignupAnswer, description = "unchanged: already recorded"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn person_signup_helper(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    JsonBody(body): JsonBody<SignupBody>,
) -> Result<Response, ApiError> {
    let p = principal(&who)?;
    let input = signup_input(body.person)?;
    // Check the fields before waiting for the index: bad input is answered at once.
    app::signup::entry_of(&input).map_err(ApiError::from)?;
    create_or_match_answer(&state, &p, "person.signup", move |s, index, who| {
        app::signup::signup(s, index, who, &input, &now_iso())
    })
    .await
}

/// The shared end of the create-or-match helpers: waits for the voter index, writes and
/// matches on a pooled connection, audits (`action`), and answers 201 (or 200 when nothing
/// changed) with the person only when the caller may read them.
async fn create_or_match_answer(
    state: &AppState,
    p: &app::accounts::Principal,
    action: &'static str,
    write: impl FnOnce(
            &mut dyn store::Store,
            &app::signup::VoterIndex,
            &app::accounts::Principal,
        ) -> Result<app::signup::SignupResult, app::people::PeopleError>
        + Send
        + 'static,
) -> Result<Response, ApiError> {
    let index = crate::matching::current(state).await?;
    let p2 = p.clone();
    let (result, visible) = state
        .pool
        .run(move |s| {
            let r = write(s, &index, &p2).map_err(ApiError::from)?;
            let visible = store::people::in_scope(s.sql(), r.person_id, &p2.people_scope())?;
            Ok((r, visible))
        })
        .await?;
    state
        .audit
        .write(AuditRecord::new(
            &now_iso(),
            &p.actor(),
            action,
            &format!("person:{}", result.person_id),
            serde_json::json!({ "outcome": result.outcome, "record": result.rkey }),
        ))
        .await?;
    let status = if result.outcome == app::signup::SignupOutcome::Unchanged {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::CREATED
    };
    Ok((
        status,
        Json(SignupAnswer {
            outcome: result.outcome,
            person_id: visible.then_some(result.person_id),
            identifier: result.rkey,
            probability: result.probability,
        }),
    )
        .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DonationBody {
    /// Exactly one: `system:id` of the gift in the sending tool (e.g. `actblue:AB123`); sending
    /// the same one again changes nothing.
    #[schema(min_items = 1, max_items = 1)]
    pub identifiers: Vec<String>,
    /// US dollars, more than 0 and at most 100,000.
    #[schema(exclusive_minimum = 0, maximum = 100000)]
    pub amount: f64,
    /// YYYY-MM-DD.
    #[schema(format = Date)]
    pub action_date: String,
    /// `G2026`, `P2026`, … (default: the general election of the gift's year).
    #[schema(pattern = "^[PGRSCO][0-9]{4}$")]
    pub election: Option<String>,
    #[schema(max_length = 200)]
    pub employer: Option<String>,
    #[schema(max_length = 200)]
    pub occupation: Option<String>,
    /// The giver (as in `person_signup_helper`, without identifiers).
    pub person: SignupPerson,
}

/// Record a gift from a fundraising tool (OSDI `record_donation_helper`): the donation is kept
/// with everything sent, and its giver is created-or-matched against the voters like a
/// sign-up (joins a voter's person, starts one, or a borderline match waits in the review
/// queue). Resending the same gift changes nothing. 503 with Retry-After while the matching
/// index is first built.
#[utoipa::path(post, path = "/api/v1/donations/record_donation_helper", request_body = DonationBody,
    responses((status = 201, body = SignupAnswer), (status = 200, body = SignupAnswer, description = "unchanged: already recorded"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn record_donation_helper(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    JsonBody(body): JsonBody<DonationBody>,
) -> Result<Response, ApiError> {
    let p = principal(&who)?;
    if body.identifiers.len() != 1 || body.identifiers[0].trim().is_empty() {
        return Err(ApiError::field(
            "identifiers",
            "identifiers: exactly one, the gift's `system:id` in your tool (e.g. actblue:AB123): it keeps two gifts apart and makes a resend change nothing",
        ));
    }
    if !body.person.identifiers.is_empty() {
        return Err(ApiError::field(
            "person.identifiers",
            "person.identifiers: the gift's identifiers name the record; send none for the person",
        ));
    }
    let cents = body.amount * 100.0;
    if !(cents.is_finite() && cents >= 1.0 && (cents - cents.round()).abs() < 1e-6) {
        return Err(ApiError::field(
            "amount",
            "amount: dollars and cents, more than 0 (e.g. 25 or 19.99)",
        ));
    }
    let input = app::signup::DonationInput {
        identifier: body.identifiers.first().cloned().unwrap_or_default(),
        amount_cents: cents.round() as i64,
        action_date: body.action_date,
        election: body.election,
        employer: body.employer,
        occupation: body.occupation,
        person: signup_input(body.person)?,
    };
    // Check the fields before waiting for the index: bad input is answered at once.
    app::signup::donation_of(&input).map_err(ApiError::from)?;
    create_or_match_answer(&state, &p, "donation.record", move |s, index, who| {
        app::signup::record_donation(s, index, who, &input, &now_iso())
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReviewParams {
    /// Include decided pairs.
    pub all: Option<bool>,
    /// From 1.
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewPage {
    pub total_records: usize,
    pub page: usize,
    /// Each pair with both records, the waterfall (absent while the model is being
    /// estimated), the household guard and whether the records are linked now.
    #[schema(value_type = Vec<Object>)]
    pub pairs: Vec<app::review::ReviewView>,
}

/// The identity review queue: borderline pairs with their waterfall (data director).
#[utoipa::path(get, path = "/api/v1/review", params(ReviewParams),
    responses((status = 200, body = ReviewPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn review_queue(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    QueryOf(q): QueryOf<ReviewParams>,
) -> Result<Json<ReviewPage>, ApiError> {
    let p = principal(&who)?;
    let page = q.page.unwrap_or(1);
    if page == 0 || page > app::people::PAGE_MAX {
        return Err(ApiError::field("page", "page: from 1"));
    }
    let index = crate::matching::ready(&state).await;
    let all = q.all.unwrap_or(false);
    let per = app::review::REVIEW_PAGE_MAX;
    let (total, pairs) = state
        .pool
        .run(move |s| {
            Ok(app::review::queue(
                s,
                index.as_deref().map(|i| i.model()),
                all,
                (page - 1) * per,
                per,
            )?)
        })
        .await?;
    state
        .audit
        .write(AuditRecord::new(
            &now_iso(),
            &p.actor(),
            "review.list",
            "",
            serde_json::json!({ "page": page, "returned": pairs.len() }),
        ))
        .await?;
    Ok(Json(ReviewPage {
        total_records: total,
        page,
        pairs,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DecisionBody {
    /// The voter record's key, e.g. `nc:AA123456`.
    #[schema(min_length = 1, max_length = 200)]
    pub left: String,
    /// The other record's key, e.g. `fec:…`, `mobilize:…`.
    #[schema(min_length = 1, max_length = 200)]
    pub right: String,
    /// `accept` (same person) or `reject` (different people).
    #[schema(pattern = "^(accept|reject)$")]
    pub decision: String,
}

/// Decide a pair: applied now (the record joins or leaves the voter's person) and kept by
/// every later resolution run. This is how a merge is undone.
#[utoipa::path(post, path = "/api/v1/review/decisions", request_body = DecisionBody,
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn review_decide(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    JsonBody(body): JsonBody<DecisionBody>,
) -> Result<Json<app::review::Decided>, ApiError> {
    let p = principal(&who)?;
    crate::resolve::refuse_while_running(&state)?;
    let accept = match body.decision.as_str() {
        "accept" => true,
        "reject" => false,
        other => {
            return Err(ApiError::field(
                "decision",
                format!("decision: {other:?}; use accept or reject"),
            ))
        }
    };
    for (f, v) in [("left", &body.left), ("right", &body.right)] {
        if v.is_empty() || v.len() > 200 {
            return Err(ApiError::field(
                f,
                format!("{f}: a record key, e.g. nc:AA123456"),
            ));
        }
    }
    let (decided, audit) = state
        .pool
        .run(move |s| {
            app::review::decide(s, &p, &body.left, &body.right, accept, &now_iso()).map_err(|e| {
                match e {
                    app::review::ReviewError::Invalid(m) => {
                        let field = if m.starts_with("left") {
                            "left"
                        } else {
                            "right"
                        };
                        ApiError::field(field, m)
                    }
                    app::review::ReviewError::NotFound(field, m) => ApiError {
                        field: Some(field.into()),
                        ..ApiError::new("not_found", m)
                    },
                    app::review::ReviewError::Store(s) => s.into(),
                }
            })
        })
        .await?;
    state.audit.write(audit).await?;
    Ok(Json(decided))
}

use store::groups::Kind;

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupsBody {
    /// Tags or lists with their sizes (all members, not only those you may see).
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<store::groups::Group>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct GroupNew {
    /// No control characters; at least one non-space character.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^\s*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
    /// Lists only. No control characters but line breaks.
    #[serde(default)]
    #[schema(max_length = 1000, pattern = r"^[^\x00-\x09\x0b-\x1f\x7f-\x9f]*$")]
    pub description: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MembersNew {
    /// People to add (1 to 1000), each one you may see.
    #[schema(min_items = 1, max_items = 1000)]
    #[serde(deserialize_with = "whole_numbers")]
    pub person_ids: Vec<i64>,
}

/// Whole numbers, also when written `117.0` (JSON does not tell integers from floats).
fn whole_numbers<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<i64>, D::Error> {
    let raw: Vec<serde_json::Number> = Deserialize::deserialize(d)?;
    raw.iter()
        .map(|n| {
            n.as_i64()
                .or_else(|| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                        .map(|f| f as i64)
                })
                .ok_or_else(|| serde::de::Error::custom(format!("{n} is not a whole number")))
        })
        .collect()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MembersAdded {
    /// People who were not members before.
    pub added: u64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MembersParams {
    /// From 1 to 1,000,000.
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<usize>,
    /// 1 to 100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<usize>,
}

fn people_err(e: app::people::PeopleError) -> ApiError {
    e.into()
}

async fn groups_list(state: &AppState, kind: Kind) -> Result<Json<GroupsBody>, ApiError> {
    let items = state
        .pool
        .run(move |s| Ok(store::groups::all(s.sql(), kind)?))
        .await?;
    Ok(Json(GroupsBody { items }))
}

async fn group_create(
    state: &AppState,
    who: &Who,
    kind: Kind,
    body: GroupNew,
) -> Result<Response, ApiError> {
    let p = principal(who)?;
    let (g, audit) = state
        .pool
        .run(move |s| {
            app::groups::create(s, &p, kind, &body.name, &body.description, &now_iso())
                .map_err(people_err)
        })
        .await?;
    state.audit.write(audit).await?;
    Ok((axum::http::StatusCode::CREATED, Json(g)).into_response())
}

async fn group_members(
    state: &AppState,
    who: &Who,
    kind: Kind,
    id: String,
    q: MembersParams,
) -> Result<Json<osdi::PeoplePage>, ApiError> {
    let p = principal(who)?;
    let id = parse_id(&id, kind.noun())?;
    let (page, audit) = state
        .pool
        .run(move |s| {
            app::groups::members(s, &p, kind, id, q.page, q.per_page, &now_iso())
                .map_err(people_err)
        })
        .await?
        .ok_or_else(|| ApiError::not_found(kind.noun()))?;
    state.audit.write(audit).await?;
    let base = match kind {
        Kind::Tag => format!("/api/v1/tags/{id}/taggings"),
        Kind::List => format!("/api/v1/lists/{id}/items"),
    };
    let per = page.per_page;
    Ok(Json(osdi::people_page(&page, |n| {
        format!("{base}?page={n}&per_page={per}")
    })))
}

async fn group_add(
    state: &AppState,
    who: &Who,
    kind: Kind,
    id: String,
    body: MembersNew,
) -> Result<Json<MembersAdded>, ApiError> {
    let p = principal(who)?;
    let id = parse_id(&id, kind.noun())?;
    let (added, audit) = state
        .pool
        .run(move |s| {
            app::groups::add(s, &p, kind, id, &body.person_ids, &now_iso()).map_err(people_err)
        })
        .await?
        .ok_or_else(|| ApiError::not_found(kind.noun()))?;
    state.audit.write(audit).await?;
    Ok(Json(MembersAdded { added }))
}

async fn group_remove(
    state: &AppState,
    who: &Who,
    kind: Kind,
    id: String,
    person: String,
) -> Result<Response, ApiError> {
    let p = principal(who)?;
    let id = parse_id(&id, kind.noun())?;
    let person = parse_id(&person, "person")?;
    let audit = state
        .pool
        .run(move |s| app::groups::remove(s, &p, kind, id, person, &now_iso()).map_err(people_err))
        .await?
        .ok_or_else(|| ApiError::not_found("member"))?;
    state.audit.write(audit).await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

/// A path id: not a number is a bad request (400); a number no row has is not found (404).
pub(crate) fn parse_id(s: &str, what: &str) -> Result<i64, ApiError> {
    s.parse::<i64>().map_err(|_| {
        ApiError::field(
            "id",
            format!("id: {s:?} is not a {what} id (a whole number)"),
        )
    })
}

/// Tags (OSDI `osdi:tags`).
#[utoipa::path(get, path = "/api/v1/tags", responses((status = 200, body = GroupsBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn tags(State(state): State<AppState>) -> Result<Json<GroupsBody>, ApiError> {
    groups_list(&state, Kind::Tag).await
}

/// Create a tag.
#[utoipa::path(post, path = "/api/v1/tags", request_body = GroupNew,
    responses((status = 201, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn tag_create(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    JsonBody(b): JsonBody<GroupNew>,
) -> Result<Response, ApiError> {
    group_create(&state, &who, Kind::Tag, b).await
}

/// People with a tag, those you may see.
#[utoipa::path(get, path = "/api/v1/tags/{id}/taggings", params(("id" = i64, Path, description = "tag id"), MembersParams),
    responses((status = 200, body = osdi::PeoplePage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn taggings(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
    QueryOf(q): QueryOf<MembersParams>,
) -> Result<Json<osdi::PeoplePage>, ApiError> {
    group_members(&state, &who, Kind::Tag, id, q).await
}

/// Tag people (each one you may see).
#[utoipa::path(post, path = "/api/v1/tags/{id}/taggings", params(("id" = i64, Path, description = "tag id")), request_body = MembersNew,
    responses((status = 200, body = MembersAdded), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn tagging_add(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<MembersNew>,
) -> Result<Json<MembersAdded>, ApiError> {
    group_add(&state, &who, Kind::Tag, id, b).await
}

/// Untag a person.
#[utoipa::path(delete, path = "/api/v1/tags/{id}/taggings/{person_id}", params(("id" = i64, Path, description = "tag id"), ("person_id" = i64, Path, description = "person id")),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn tagging_remove(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path((id, person)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    group_remove(&state, &who, Kind::Tag, id, person).await
}

/// Lists (OSDI `osdi:lists`).
#[utoipa::path(get, path = "/api/v1/lists", responses((status = 200, body = GroupsBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn lists(State(state): State<AppState>) -> Result<Json<GroupsBody>, ApiError> {
    groups_list(&state, Kind::List).await
}

/// Create a list.
#[utoipa::path(post, path = "/api/v1/lists", request_body = GroupNew,
    responses((status = 201, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn list_create(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    JsonBody(b): JsonBody<GroupNew>,
) -> Result<Response, ApiError> {
    group_create(&state, &who, Kind::List, b).await
}

/// People on a list, those you may see.
#[utoipa::path(get, path = "/api/v1/lists/{id}/items", params(("id" = i64, Path, description = "list id"), MembersParams),
    responses((status = 200, body = osdi::PeoplePage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_items(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
    QueryOf(q): QueryOf<MembersParams>,
) -> Result<Json<osdi::PeoplePage>, ApiError> {
    group_members(&state, &who, Kind::List, id, q).await
}

/// Add people to a list (each one you may see).
#[utoipa::path(post, path = "/api/v1/lists/{id}/items", params(("id" = i64, Path, description = "list id")), request_body = MembersNew,
    responses((status = 200, body = MembersAdded), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn list_item_add(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<MembersNew>,
) -> Result<Json<MembersAdded>, ApiError> {
    group_add(&state, &who, Kind::List, id, b).await
}

/// Take a person off a list.
#[utoipa::path(delete, path = "/api/v1/lists/{id}/items/{person_id}", params(("id" = i64, Path, description = "list id"), ("person_id" = i64, Path, description = "person id")),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_item_remove(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path((id, person)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    group_remove(&state, &who, Kind::List, id, person).await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VolunteersPage {
    pub page: usize,
    pub per_page: usize,
    pub total_pages: usize,
    pub total_records: usize,
    /// Sign-up records (their person, once resolved, in `person_id`).
    #[schema(value_type = Vec<Object>)]
    pub volunteers: Vec<store::volunteers::VolunteerRow>,
}

/// Volunteer sign-ups whose person you may see, oldest first.
#[utoipa::path(get, path = "/api/v1/volunteers", params(MembersParams),
    responses((status = 200, body = VolunteersPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn volunteers(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    QueryOf(q): QueryOf<MembersParams>,
) -> Result<Json<VolunteersPage>, ApiError> {
    let p = principal(&who)?;
    let per_page = q.per_page.unwrap_or(app::people::PER_PAGE_DEFAULT);
    if per_page == 0 || per_page > app::people::PER_PAGE_MAX {
        return Err(ApiError::field(
            "per_page",
            format!("per_page: between 1 and {}", app::people::PER_PAGE_MAX),
        ));
    }
    let page = q.page.unwrap_or(1);
    if page == 0 || page > app::people::PAGE_MAX {
        return Err(ApiError::field("page", "page: from 1 to 1,000,000"));
    }
    let scope = p.people_scope();
    let (total, rows) = state
        .pool
        .run(move |s| {
            Ok(store::volunteers::list(
                s.sql(),
                &scope,
                (page - 1) * per_page,
                per_page,
            )?)
        })
        .await?;
    state
        .audit
        .write(AuditRecord::new(
            &now_iso(),
            &p.actor(),
            "volunteers.list",
            "",
            serde_json::json!({ "page": page, "returned": rows.len() }),
        ))
        .await?;
    let total = total as usize;
    Ok(Json(VolunteersPage {
        page,
        per_page,
        total_pages: total.div_ceil(per_page),
        total_records: total,
        volunteers: rows,
    }))
}

/// One volunteer sign-up, if you may see their person.
#[utoipa::path(get, path = "/api/v1/volunteers/{id}", params(("id" = i64, Path, description = "sign-up record id")),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn volunteer_get(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
) -> Result<Json<store::volunteers::VolunteerRow>, ApiError> {
    let p = principal(&who)?;
    let id = parse_id(&id, "volunteer")?;
    let scope = p.people_scope();
    let row = state
        .pool
        .run(move |s| Ok(store::volunteers::get(s.sql(), id, &scope)?))
        .await?
        .ok_or_else(|| ApiError::not_found("volunteer"))?;
    state
        .audit
        .write(AuditRecord::new(
            &now_iso(),
            &p.actor(),
            "volunteer.read",
            &format!("volunteer:{id}"),
            serde_json::json!({}),
        ))
        .await?;
    Ok(Json(row))
}

/// A CSV download (an export: the caller has written its audit record).
pub(crate) fn csv_attachment(file_name: &str, text: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        text,
    )
        .into_response()
}
