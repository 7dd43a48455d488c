//! The admin's users page (issue 5): accounts and integration keys at a glance, a user added
//! (the two-factor secret shown once), disabled or enabled — each change audited, as from
//! `tusk user …`.

use app::accounts::{Principal, UserSpec};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;

use crate::error::ApiError;
use crate::pages::{csrf_of, error_page, form_csrf, nav, render, Nav};
use crate::{now_iso, now_secs, AppState, Who};

/// One user as the page shows them.
struct UserRow {
    username: String,
    role: String,
    scope: String,
    state: String,
    expires: String,
    created: String,
    disabled: bool,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    nav: Option<Nav>,
    csrf: String,
    users: Vec<UserRow>,
    /// (name, scopes, state, created)
    keys: Vec<(String, String, String, String)>,
    roles: Vec<&'static str>,
    message: String,
    /// A new staff user's two-factor secret, shown once.
    totp_secret: String,
}

#[derive(Debug, Deserialize)]
pub struct UsersQuery {
    pub done: Option<String>,
}

async fn page_with(
    state: &AppState,
    p: &Principal,
    message: String,
    totp_secret: String,
) -> Response {
    let loaded = state
        .pool
        .run(|s| {
            Ok((
                store::accounts::list_users(s.sql())?,
                store::accounts::list_keys(s.sql())?,
            ))
        })
        .await;
    let (users, keys) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(&e, Some(p)),
    };
    let now = now_iso();
    let users = users
        .into_iter()
        .map(|u| {
            let state = if u.disabled {
                "disabled".to_string()
            } else if u.expires_at.as_deref().is_some_and(|e| e <= now.as_str()) {
                "expired".to_string()
            } else if u.locked_until.as_deref().is_some_and(|l| l > now.as_str()) {
                format!(
                    "locked until {}",
                    u.locked_until.clone().unwrap_or_default()
                )
            } else {
                "active".to_string()
            };
            UserRow {
                scope: match u.person_id {
                    Some(pid) => format!("person {pid}"),
                    None => u.regions.join(", "),
                },
                expires: u.expires_at.clone().unwrap_or_else(|| "—".into()),
                created: format!("{} by {}", u.created_at, u.created_by),
                disabled: u.disabled,
                username: u.username,
                role: u.role,
                state,
            }
        })
        .collect();
    let keys = keys
        .into_iter()
        .map(|k| {
            (
                k.name.clone(),
                k.scopes.join(", "),
                if k.disabled { "disabled" } else { "active" }.to_string(),
                k.created_at.clone(),
            )
        })
        .collect();
    render(
        &UsersPage {
            nav: nav(Some(p)),
            csrf: csrf_of(p),
            users,
            keys,
            roles: auth::Role::ALL.iter().map(|r| r.as_str()).collect(),
            message,
            totp_secret,
        },
        StatusCode::OK,
    )
}

/// Accounts and keys, with forms to add, disable and enable users.
pub async fn page(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    axum::extract::Query(q): axum::extract::Query<UsersQuery>,
) -> Response {
    let Some(p) = who.0.clone() else {
        return Redirect::to("/login?next=/admin/users").into_response();
    };
    let message = match q.done.as_deref() {
        Some("disabled") => "Disabled: their sessions are ended.".to_string(),
        Some("enabled") => "Enabled.".to_string(),
        _ => String::new(),
    };
    page_with(&state, &p, message, String::new()).await
}

#[derive(Debug, Deserialize)]
pub struct AddForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub regions: String,
    #[serde(default)]
    pub person_id: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub expires_on: String,
}

/// Adds a user; a staff user's two-factor secret is shown once on the answer.
pub async fn add(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Form(f): Form<AddForm>,
) -> Response {
    let Some(p) = who.0.clone() else {
        return Redirect::to("/login?next=/admin/users").into_response();
    };
    if let Err(refused) = form_csrf(&p, &f.csrf) {
        return refused;
    }
    let person_id = match f.person_id.trim() {
        "" => None,
        t => match t.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                return error_page(
                    &ApiError::field("person_id", format!("person_id: {t:?} is not a person id")),
                    Some(&p),
                )
            }
        },
    };
    let spec = UserSpec {
        username: f.username.trim().to_string(),
        role: f.role.trim().to_string(),
        regions: f.regions.split(',').map(|r| r.trim().to_string()).collect(),
        person_id,
        password: f.password,
        expires_on: Some(f.expires_on.trim().to_string()).filter(|e| !e.is_empty()),
    };
    let actor = p.actor();
    let made = state
        .pool
        .run(move |s| Ok(app::accounts::add_user(s, &spec, &actor, now_secs())?))
        .await;
    match made {
        Ok(c) => {
            let message = format!("Added {} ({}).", c.user.username, c.user.role);
            let secret = c.totp_secret.unwrap_or_default();
            page_with(&state, &p, message, secret).await
        }
        Err(e) => error_page(&e, Some(&p)),
    }
}

#[derive(Debug, Deserialize)]
pub struct DisableForm {
    #[serde(default)]
    pub csrf: String,
    /// "1" to disable, "0" to enable.
    #[serde(default)]
    pub disabled: String,
}

/// Disables (ending their sessions) or enables a user. Admins cannot disable themselves here.
pub async fn set_disabled(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path(username): Path<String>,
    Form(f): Form<DisableForm>,
) -> Response {
    let Some(p) = who.0.clone() else {
        return Redirect::to("/login?next=/admin/users").into_response();
    };
    if let Err(refused) = form_csrf(&p, &f.csrf) {
        return refused;
    }
    let disabled = match f.disabled.as_str() {
        "1" => true,
        "0" => false,
        other => {
            return error_page(
                &ApiError::field("disabled", format!("disabled: {other:?}; 1 or 0")),
                Some(&p),
            )
        }
    };
    if disabled && p.actor() == format!("user:{username}") {
        return error_page(
            &ApiError::field(
                "username",
                "username: you cannot disable your own account here (another admin can, or `tusk user disable`)",
            ),
            Some(&p),
        );
    }
    let actor = p.actor();
    let done = state
        .pool
        .run(move |s| {
            Ok(app::accounts::set_disabled(
                s,
                &username,
                disabled,
                &actor,
                now_secs(),
            )?)
        })
        .await;
    match done {
        Ok(()) => Redirect::to(if disabled {
            "/admin/users?done=disabled"
        } else {
            "/admin/users?done=enabled"
        })
        .into_response(),
        Err(e) => error_page(&e, Some(&p)),
    }
}
