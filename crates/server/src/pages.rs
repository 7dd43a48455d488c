//! Server-rendered pages (askama templates in `templates/`). Phone-sized layouts, labelled
//! fields, no client framework. Forms that change state carry the session's CSRF token.

use app::accounts::Principal;
use askama::Template;
use auth::Permission;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;

use crate::api::{encode, QueryOf};
use crate::error::ApiError;
use crate::{now_iso, now_secs, AppState, ClientIp, Who};

/// What the header shows for a signed-in user.
pub struct Nav {
    pub actor: String,
    pub people: bool,
    pub audit: bool,
    pub review: bool,
    pub models: bool,
    pub universes: bool,
    pub turfs: bool,
    pub users: bool,
    /// The turnout board (election day).
    pub turnout: bool,
    /// The poll-watcher page (reporters who cannot read the board).
    pub watch: bool,
    /// The supporter's sharing page.
    pub share: bool,
    /// The campaign's sharing report.
    pub sharing: bool,
    /// The trip board.
    pub trips: bool,
    /// The data health report.
    pub health: bool,
    /// The campaign overview.
    pub overview: bool,
    /// Loading files.
    pub loads: bool,
    /// Neighbourhood teams (leaders: their own).
    pub teams: bool,
    pub csrf: String,
}

pub(crate) fn nav(p: Option<&Principal>) -> Option<Nav> {
    p.map(|p| Nav {
        actor: p.actor(),
        people: p.allows(Permission::PeopleRead),
        audit: p.allows(Permission::AuditRead),
        review: p.allows(Permission::Resolve),
        models: p.allows(Permission::ModelsRead),
        universes: p.allows(Permission::Universes),
        turfs: p.allows(Permission::Turfs),
        users: p.allows(Permission::UsersManage),
        turnout: p.allows(Permission::TurnoutRead),
        watch: p.allows(Permission::TurnoutReport) && !p.allows(Permission::TurnoutRead),
        share: p.allows(Permission::Share),
        trips: p.allows(Permission::Trips),
        health: p.allows(Permission::DataHealth),
        overview: p.allows(Permission::Overview),
        loads: p.allows(Permission::Load),
        teams: p.allows(Permission::Team),
        sharing: p.allows(Permission::SharingReport),
        csrf: csrf_of(p),
    })
}

/// The form token of a signed-in user (keys post no forms).
pub(crate) fn csrf_of(p: &Principal) -> String {
    match p {
        Principal::User { csrf, .. } => csrf.clone(),
        Principal::Key { .. } => String::new(),
    }
}

pub(crate) fn render(t: &impl Template, status: StatusCode) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    nav: Option<Nav>,
    title: String,
    message: String,
    /// Reload the page after this many seconds (a page that is getting ready).
    refresh: Option<u64>,
}

/// A form's CSRF token checked against the session's (keys have no form session): the error
/// page when it does not match.
pub(crate) fn form_csrf(p: &Principal, token: &str) -> Result<(), Response> {
    let ok = match p {
        Principal::User { csrf, .. } => auth::constant_time_eq(csrf.as_bytes(), token.as_bytes()),
        Principal::Key { .. } => false,
    };
    if ok {
        Ok(())
    } else {
        Err(error_page(
            &ApiError::new("csrf", "this form is stale: reload the page and try again"),
            Some(p),
        ))
    }
}

/// An error as a page, with the status of the error table.
pub fn error_page(e: &ApiError, p: Option<&Principal>) -> Response {
    error_page_with(e, p, None)
}

/// The error page of a page that is read (GET): when the answer is "not ready yet, retry",
/// the page reloads itself after `Retry-After`.
pub fn error_page_reloading(e: &ApiError, p: Option<&Principal>) -> Response {
    let refresh = e.retry_after.filter(|_| e.code == "unavailable");
    error_page_with(e, p, refresh)
}

fn error_page_with(e: &ApiError, p: Option<&Principal>, refresh: Option<u64>) -> Response {
    let title = match e.status().as_u16() {
        403 => "Not allowed",
        404 => "Not found",
        400 => "Check the form",
        _ => "Something went wrong",
    };
    render(
        &ErrorPage {
            nav: nav(p),
            title: title.into(),
            message: e.message.clone(),
            refresh,
        },
        e.status(),
    )
}

pub fn plain_error_html(title: &str, message: &str) -> Html<String> {
    Html(
        ErrorPage {
            nav: None,
            title: title.into(),
            message: message.into(),
            refresh: None,
        }
        .render()
        .unwrap_or_default(),
    )
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    nav: Option<Nav>,
    username: String,
    role: String,
    regions: String,
    people: bool,
    audit: bool,
    own_person: Option<i64>,
}

pub async fn home(Extension(who): Extension<Who>) -> Response {
    let Some(p) = who.0.as_ref() else {
        return Redirect::to("/login").into_response();
    };
    let (username, role, regions, own) = match p {
        Principal::User {
            username,
            role,
            regions,
            person_id,
            ..
        } => (
            username.clone(),
            role.as_str().replace('_', " "),
            regions.join(", "),
            *person_id,
        ),
        Principal::Key { name, .. } => {
            (name.clone(), "integration key".into(), String::new(), None)
        }
    };
    render(
        &Home {
            nav: nav(Some(p)),
            username,
            role,
            regions,
            people: p.allows(Permission::PeopleRead)
                && !matches!(
                    p,
                    Principal::User {
                        role: auth::Role::Volunteer,
                        ..
                    }
                ),
            audit: p.allows(Permission::AuditRead),
            own_person: own,
        },
        StatusCode::OK,
    )
}

#[derive(Template)]
#[template(path = "login.html")]
struct Login {
    nav: Option<Nav>,
    error: String,
    next: String,
    username: String,
}

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

/// Only a path of this site: never an open redirect.
fn safe_next(n: Option<&str>) -> String {
    match n {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".into(),
    }
}

pub async fn login_form(
    Extension(who): Extension<Who>,
    QueryOf(q): QueryOf<LoginQuery>,
) -> Response {
    if who.0.is_some() {
        return Redirect::to(&safe_next(q.next.as_deref())).into_response();
    }
    render(
        &Login {
            nav: None,
            error: String::new(),
            next: safe_next(q.next.as_deref()),
            username: String::new(),
        },
        StatusCode::OK,
    )
}

#[derive(Debug, Deserialize)]
pub struct LoginFormBody {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    totp: String,
    #[serde(default)]
    next: String,
}

pub async fn login_submit(
    State(state): State<AppState>,
    Extension(ip): Extension<ClientIp>,
    Form(f): Form<LoginFormBody>,
) -> Response {
    let next = safe_next(Some(&f.next));
    let again = |msg: String, username: String, status: StatusCode| {
        render(
            &Login {
                nav: None,
                error: msg,
                next: next.clone(),
                username,
            },
            status,
        )
    };
    if let Err(e) = state.login_attempt(ip.0) {
        return again(e.message.clone(), f.username, StatusCode::TOO_MANY_REQUESTS);
    }
    if f.username.trim().is_empty() || f.password.is_empty() {
        return again(
            "give your username and password".into(),
            f.username,
            StatusCode::BAD_REQUEST,
        );
    }
    if f.username.len() > auth::USERNAME_LEN_MAX || f.password.len() > auth::PASSWORD_LEN_MAX {
        return again(
            "username or password too long".into(),
            String::new(),
            StatusCode::BAD_REQUEST,
        );
    }
    let username = f.username.clone();
    let totp = Some(f.totp.clone()).filter(|t| !t.trim().is_empty());
    let result = crate::api::sign_in(&state, f.username.clone(), f.password.clone(), totp).await;
    match result {
        Ok(Ok(signed)) => {
            let mut r = Redirect::to(&next).into_response();
            r.headers_mut().insert(
                header::SET_COOKIE,
                crate::api::session_cookie(
                    &state,
                    &signed.token,
                    crate::api::seconds_left(&signed.expires_at),
                ),
            );
            r
        }
        Ok(Err(e)) => {
            let api: ApiError = e.into();
            let status = api.status();
            again(api.message, username, status)
        }
        Err(e) => {
            let status = e.status();
            again(e.message, username, status)
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    headers: axum::http::HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
    let Some(p) = who.0 else {
        return Redirect::to("/login").into_response();
    };
    if let Principal::User { csrf, .. } = &p {
        if !auth::constant_time_eq(csrf.as_bytes(), f.csrf.as_bytes()) {
            return error_page(
                &ApiError::new("csrf", "this form is stale: reload the page and try again"),
                Some(&p),
            );
        }
    }
    if let Some((token, _)) = crate::token_of(&headers) {
        let actor = p.actor();
        state.turnout.forget(&token);
        let _ = state
            .pool
            .run(move |s| {
                app::accounts::logout(s, &token, &actor, now_secs()).map_err(ApiError::from)
            })
            .await;
    }
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        crate::api::session_cookie(&state, "", 0),
    );
    r
}

#[derive(Debug, Default, Deserialize)]
pub struct PeopleForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    zip: String,
    page: Option<usize>,
}

pub struct Row {
    id: i64,
    name: String,
    address: String,
    county: String,
    born: String,
    sources: String,
}

#[derive(Template)]
#[template(path = "people.html")]
struct PeoplePage {
    nav: Option<Nav>,
    q: PeopleForm,
    error: String,
    searched: bool,
    total: usize,
    truncated: bool,
    rows: Vec<Row>,
    prev: Option<String>,
    next: Option<String>,
}

fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

pub async fn people(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    QueryOf(q): QueryOf<PeopleForm>,
) -> Response {
    let Some(p) = who.0.clone() else {
        return Redirect::to("/login?next=/people").into_response();
    };
    let params = app::people::SearchParams {
        name: opt(&q.name),
        phone: opt(&q.phone),
        email: opt(&q.email),
        address: opt(&q.address),
        zip: opt(&q.zip),
        page: q.page,
        per_page: None,
    };
    let mut page = PeoplePage {
        nav: nav(Some(&p)),
        q: PeopleForm::default(),
        error: String::new(),
        searched: false,
        total: 0,
        truncated: false,
        rows: vec![],
        prev: None,
        next: None,
    };
    let empty = params.name.is_none()
        && params.phone.is_none()
        && params.email.is_none()
        && params.address.is_none()
        && params.zip.is_none();
    if !empty {
        let who2 = p.clone();
        let params2 = params.clone();
        let state2 = state.clone();
        let result = async move {
            let (found, audit) = state2
                .pool
                .run(move |s| {
                    app::people::search(s, &who2, &params2, &now_iso()).map_err(ApiError::from)
                })
                .await?;
            state2.audit.write(audit).await?;
            Ok::<_, ApiError>(found)
        }
        .await;
        match result {
            Ok(found) => {
                page.searched = true;
                page.total = found.total_records;
                page.truncated = found.truncated;
                page.rows = found
                    .items
                    .iter()
                    .map(|s| Row {
                        id: s.id,
                        name: s.name.clone(),
                        address: s.address.clone(),
                        county: s.county.clone(),
                        born: s.birth_year.map(|y| y.to_string()).unwrap_or_default(),
                        sources: s.sources.join(", "),
                    })
                    .collect();
                let href = |n: usize| {
                    let mut parts = vec![];
                    for (k, v) in [
                        ("name", &q.name),
                        ("phone", &q.phone),
                        ("email", &q.email),
                        ("address", &q.address),
                        ("zip", &q.zip),
                    ] {
                        if !v.trim().is_empty() {
                            parts.push(format!("{k}={}", encode(v.trim())));
                        }
                    }
                    parts.push(format!("page={n}"));
                    format!("/people?{}", parts.join("&"))
                };
                page.prev = (found.page > 1).then(|| href(found.page - 1));
                page.next = (found.page < found.total_pages).then(|| href(found.page + 1));
            }
            Err(e) => page.error = e.message,
        }
    }
    page.q = q;
    let status = if page.error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    render(&page, status)
}

pub struct RecordView {
    table: String,
    rkey: String,
    load_id: i64,
    row_number: i64,
    removed: bool,
    fields: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    nav: Option<Nav>,
    name: String,
    address: String,
    born: String,
    phones: String,
    emails: String,
    county: String,
    party: String,
    status: String,
    identifiers: String,
    provenance: Vec<(String, String)>,
    records: Vec<RecordView>,
    /// Canvass and call results, newest first: (date, channel, result, support ID, by).
    contacts: Vec<(String, String, String, String, String)>,
}

pub async fn person(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
) -> Response {
    let Some(p) = who.0.clone() else {
        return Redirect::to("/login").into_response();
    };
    let Ok(id) = id.parse::<i64>() else {
        return error_page(&ApiError::not_found("person"), Some(&p));
    };
    let who2 = p.clone();
    let detail = match state
        .pool
        .run(move |s| app::people::get(s, &who2, id, &now_iso()).map_err(ApiError::from))
        .await
    {
        Ok(Some((d, audit))) => {
            if let Err(e) = state.audit.write(audit).await {
                return error_page(&e, Some(&p));
            }
            d
        }
        Ok(None) => return error_page(&ApiError::not_found("person"), Some(&p)),
        Err(e) => return error_page(&e, Some(&p)),
    };
    let g = &detail.golden;
    let join = |v: &[&str]| {
        v.iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let born = match (&g.birth_date, g.birth_year) {
        (Some(d), _) => d.clone(),
        (None, Some(y)) => y.to_string(),
        _ => String::new(),
    };
    let mut contacts: Vec<(String, String, String, String, String)> = detail
        .records
        .records
        .iter()
        .filter(|r| r.table == "field_results" && r.rkey.starts_with("canvass:"))
        .map(|r| {
            let get = |name: &str| {
                r.header
                    .iter()
                    .position(|h| h.eq_ignore_ascii_case(name))
                    .and_then(|k| r.fields.get(k))
                    .cloned()
                    .unwrap_or_default()
            };
            (
                get("date"),
                get("contact_type"),
                get("result"),
                get("support_id"),
                get("canvasser"),
            )
        })
        .collect();
    contacts.sort_by(|a, b| b.0.cmp(&a.0));
    let mut ids = vec![format!("tusk:{}", detail.id)];
    ids.extend(detail.sources.iter().map(|r| r.rkey.clone()));
    render(
        &PersonPage {
            nav: nav(Some(&p)),
            name: join(&[&g.given_name, &g.additional_name, &g.family_name, &g.suffix]),
            address: store::display_address(&g.address_line, &g.city, &g.state, &g.zip5),
            born,
            phones: g.phones.join(", "),
            emails: g.emails.join(", "),
            county: join(&[&g.county, &g.precinct]),
            party: g.party.clone(),
            status: g.status.clone(),
            identifiers: ids.join(" "),
            contacts,
            provenance: g
                .provenance
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            records: detail
                .records
                .records
                .iter()
                .map(|r| RecordView {
                    table: r.table.clone(),
                    rkey: r.rkey.clone(),
                    load_id: r.load_id,
                    row_number: r.row_number,
                    removed: r.removed_load_id.is_some(),
                    fields: r
                        .header
                        .iter()
                        .cloned()
                        .zip(r.fields.iter().cloned())
                        .filter(|(_, v)| !v.is_empty())
                        .collect(),
                })
                .collect(),
        },
        StatusCode::OK,
    )
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    nav: Option<Nav>,
    entries: Vec<store::accounts::AuditEntry>,
    next: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    before: Option<i64>,
}

/// Audit entries shown per page.
const AUDIT_PAGE_ROWS: usize = 200;

pub async fn audit(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    QueryOf(q): QueryOf<AuditQuery>,
) -> Response {
    let p = who.0.clone();
    // Newest first: read the page ending before `before`.
    let before = q.before.unwrap_or(i64::MAX);
    let result = state
        .pool
        .run(move |s| {
            let rows = s
                .sql()
                .query("SELECT coalesce(max(id), 0) FROM audit_log", &[])?;
            let max = store::sql::RowExt::int(rows[0].as_slice(), 0)?;
            let end = before.min(max + 1);
            let start = (end - 1 - AUDIT_PAGE_ROWS as i64).max(0);
            let mut e = store::accounts::audit_entries(s.sql(), start, AUDIT_PAGE_ROWS, None)?;
            e.retain(|x| x.id < end);
            e.reverse();
            Ok(e)
        })
        .await;
    match result {
        Ok(entries) => {
            let next = entries
                .last()
                .filter(|e| e.id > 1)
                .map(|e| format!("/admin/audit?before={}", e.id));
            render(
                &AuditPage {
                    nav: nav(p.as_ref()),
                    entries,
                    next,
                },
                StatusCode::OK,
            )
        }
        Err(e) => error_page(&e, p.as_ref()),
    }
}

pub async fn css() -> Response {
    let mut r = include_str!("../static/tusk.css").into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    r
}

/// The universe page's live count (same-origin script: the CSP allows it).
pub async fn universes_js() -> Response {
    static_js(include_str!("../static/universes.js"))
}

pub async fn loads_js() -> Response {
    static_js(include_str!("../static/loads.js"))
}

pub async fn share_js() -> Response {
    static_js(include_str!("../static/share.js"))
}

/// A script of `static/`, cached for an hour.
pub(crate) fn static_js(body: &'static str) -> Response {
    let mut r = body.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    r
}

pub struct PairView {
    left_key: String,
    right_key: String,
    probability: String,
    linked: bool,
    guarded: bool,
    fields: Vec<(String, String, String)>,
    waterfall: Vec<(String, String, String, String)>,
}

#[derive(Template)]
#[template(path = "review.html")]
struct ReviewPageT {
    nav: Option<Nav>,
    /// The last resolution started through the server.
    job: crate::resolve::ResolveJob,
    total: usize,
    model_ready: bool,
    message: String,
    csrf: String,
    pairs: Vec<PairView>,
    prev: Option<String>,
    next: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ReviewQuery {
    page: Option<usize>,
    done: Option<String>,
}

fn row_fields(r: &Option<store::ResolutionRow>) -> Vec<String> {
    match r {
        None => vec!["(no longer in the store)".into(); 6],
        Some(r) => vec![
            [
                r.first.as_str(),
                r.middle.as_str(),
                r.last.as_str(),
                r.suffix.as_str(),
            ]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" "),
            r.birth_date
                .clone()
                .or(r.birth_year.map(|y| y.to_string()))
                .unwrap_or_default(),
            store::display_address(&r.address_line, &r.city, &r.state, &r.zip5),
            r.phone.clone(),
            r.email.clone(),
            r.person_id
                .map(|p| format!("person {p}"))
                .unwrap_or_default(),
        ],
    }
}

pub async fn review(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    QueryOf(q): QueryOf<ReviewQuery>,
) -> Response {
    let Some(p) = who.0.clone() else {
        return Redirect::to("/login?next=/review").into_response();
    };
    let page = q.page.unwrap_or(1).clamp(1, app::people::PAGE_MAX);
    let index = crate::matching::ready(&state).await;
    let model_ready = index.is_some();
    let per = 10;
    let result = state
        .pool
        .run(move |s| {
            Ok(app::review::queue(
                s,
                index.as_deref().map(|i| i.model()),
                false,
                (page - 1) * per,
                per,
            )?)
        })
        .await;
    let (total, views) = match result {
        Ok(r) => r,
        Err(e) => return error_page(&e, Some(&p)),
    };
    if let Err(e) = state
        .audit
        .write(store::accounts::AuditRecord::new(
            &now_iso(),
            &p.actor(),
            "review.list",
            "",
            serde_json::json!({ "page": page, "returned": views.len() }),
        ))
        .await
    {
        return error_page(&e, Some(&p));
    }
    let labels = ["name", "born", "address", "phone", "e-mail", "now on"];
    let pairs = views
        .iter()
        .map(|v| {
            let (a, b) = (row_fields(&v.left), row_fields(&v.right));
            let mut waterfall = Vec::new();
            if let Some(e) = &v.explanation {
                let mut running = e.prior_weight;
                waterfall.push((
                    "prior".to_string(),
                    format!("{:.2e}", e.prior),
                    format!("{:+.2}", e.prior_weight),
                    format!("{running:+.2}"),
                ));
                for c in &e.fields {
                    running += c.weight;
                    waterfall.push((
                        c.field.to_string(),
                        c.level.to_string(),
                        format!("{:+.2}", c.weight),
                        format!("{running:+.2}"),
                    ));
                }
            }
            PairView {
                left_key: v.item.left_rkey.clone(),
                right_key: v.item.right_rkey.clone(),
                probability: format!("{:.3}", v.item.probability),
                linked: v.linked,
                guarded: v.household_guard,
                fields: labels
                    .iter()
                    .enumerate()
                    .map(|(i, l)| (l.to_string(), a[i].clone(), b[i].clone()))
                    .collect(),
                waterfall,
            }
        })
        .collect();
    let csrf = csrf_of(&p);
    let pages = total.div_ceil(per);
    let message = match q.done.as_deref() {
        Some("accept") => {
            "Recorded: same person. The record is on the voter's person now.".to_string()
        }
        Some("reject") => {
            "Recorded: different people. The record is on a person of its own now.".to_string()
        }
        _ => String::new(),
    };
    render(
        &ReviewPageT {
            nav: nav(Some(&p)),
            job: state.resolving.snapshot(),
            total,
            model_ready,
            message,
            csrf,
            pairs,
            prev: (page > 1).then(|| format!("/review?page={}", page - 1)),
            next: (page < pages).then(|| format!("/review?page={}", page + 1)),
        },
        StatusCode::OK,
    )
}

#[derive(Debug, Deserialize)]
pub struct DecideForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    left: String,
    #[serde(default)]
    right: String,
    #[serde(default)]
    decision: String,
}

pub async fn review_decide(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Form(f): Form<DecideForm>,
) -> Response {
    let Some(p) = who.0.clone() else {
        return Redirect::to("/login?next=/review").into_response();
    };
    if let Err(refused) = form_csrf(&p, &f.csrf) {
        return refused;
    }
    if let Err(e) = crate::resolve::refuse_while_running(&state) {
        return error_page(&e, Some(&p));
    }
    let accept = match f.decision.as_str() {
        "accept" => true,
        "reject" => false,
        _ => {
            return error_page(
                &ApiError::field("decision", "choose same person or different people"),
                Some(&p),
            )
        }
    };
    let who2 = p.clone();
    let result = state
        .pool
        .run(move |s| {
            app::review::decide(s, &who2, &f.left, &f.right, accept, &now_iso()).map_err(
                |e| match e {
                    app::review::ReviewError::Invalid(m) => ApiError::field("pair", m),
                    app::review::ReviewError::NotFound(_, m) => ApiError::new("not_found", m),
                    app::review::ReviewError::Store(s) => s.into(),
                },
            )
        })
        .await;
    match result {
        Ok((_, audit)) => {
            if let Err(e) = state.audit.write(audit).await {
                return error_page(&e, Some(&p));
            }
            Redirect::to(&format!(
                "/review?done={}",
                if accept { "accept" } else { "reject" }
            ))
            .into_response()
        }
        Err(e) => error_page(&e, Some(&p)),
    }
}
