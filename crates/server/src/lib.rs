//! `tusk serve`: one HTTP server for the JSON API (`/api/v1/…`) and the server-rendered web
//! pages, over any store backend.
//!
//! Every route is declared once in [`ROUTES`] with the access it needs; the router is built
//! from that table and one middleware (`guard`) enforces it before any handler runs, so a
//! route cannot exist without an access rule (deny by default). Which people a request may
//! read is then narrowed by `Principal::people_scope` in the use cases.

pub mod admin;
pub mod allocations;
pub mod api;
pub mod audit;
pub mod error;
pub mod goals;
pub mod health;
pub mod loads;
pub mod matching;
pub mod osdi;
pub mod overview;
pub mod pages;
pub mod pool;
pub mod resolve;
pub mod scoring;
pub mod sharing;
pub mod teams;
pub mod trips;
pub mod turfs;
pub mod turnout;
pub mod universes;
pub mod webhooks;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use app::accounts::Principal;
use auth::Permission;
use axum::extract::{ConnectInfo, DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{delete, get, post, put, MethodRouter};
use axum::Router;

pub use error::{ApiError, ERRORS};
pub use pool::{StorePool, STORE_CONNECTIONS_DEFAULT};

/// Largest request body accepted (JSON or form).
pub const BODY_BYTES_MAX: usize = 64 * 1024;
/// Sign-in attempts one client address may make per minute (then 429).
pub const LOGIN_ATTEMPTS_PER_IP_PER_MINUTE: u32 = 20;
/// Client addresses the sign-in limiter remembers before it starts afresh.
const LIMITER_ENTRIES_MAX: usize = 100_000;
/// The session cookie.
pub const SESSION_COOKIE: &str = "tusk_session";

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user or key.
    SignedIn,
    /// A principal whose role or key grants this permission.
    Needs(Permission),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    /// JSON API: errors as JSON, 401 when not signed in.
    Api,
    /// HTML page: redirect to the sign-in page when not signed in.
    Page,
}

/// One route of the server.
#[derive(Debug, Clone, Copy)]
pub struct RouteInfo {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
    pub face: Face,
}

const fn r(method: &'static str, path: &'static str, access: Access, face: Face) -> RouteInfo {
    RouteInfo {
        method,
        path,
        access,
        face,
    }
}

use Access::{Needs, Public, SignedIn};
use Face::{Api, Page};

/// Every route, with the access it needs. The router is built from this table.
pub const ROUTES: &[RouteInfo] = &[
    r("GET", "/api/v1/openapi.json", Public, Api),
    r("POST", "/api/v1/login", Public, Api),
    r("POST", "/api/v1/logout", SignedIn, Api),
    r("GET", "/api/v1/me", SignedIn, Api),
    r("GET", "/api/v1/people", Needs(Permission::PeopleRead), Api),
    r(
        "POST",
        "/api/v1/people/person_signup_helper",
        Needs(Permission::PeopleWrite),
        Api,
    ),
    r(
        "POST",
        "/api/v1/donations/record_donation_helper",
        Needs(Permission::DonationsWrite),
        Api,
    ),
    r(
        "GET",
        "/api/v1/people/{id}",
        Needs(Permission::PeopleRead),
        Api,
    ),
    r(
        "POST",
        "/api/v1/people/{id}/record_canvass",
        Needs(Permission::PeopleWrite),
        Api,
    ),
    r(
        "GET",
        "/api/v1/donations",
        Needs(Permission::DonationsRead),
        Api,
    ),
    r(
        "GET",
        "/api/v1/donations/{id}",
        Needs(Permission::DonationsRead),
        Api,
    ),
    r(
        "GET",
        "/api/v1/changes",
        Needs(Permission::ChangesRead),
        Api,
    ),
    r(
        "GET",
        "/api/v1/volunteers",
        Needs(Permission::PeopleRead),
        Api,
    ),
    r(
        "GET",
        "/api/v1/volunteers/{id}",
        Needs(Permission::PeopleRead),
        Api,
    ),
    r("GET", "/api/v1/tags", Needs(Permission::PeopleRead), Api),
    r("POST", "/api/v1/tags", Needs(Permission::PeopleWrite), Api),
    r(
        "GET",
        "/api/v1/tags/{id}/taggings",
        Needs(Permission::PeopleRead),
        Api,
    ),
    r(
        "POST",
        "/api/v1/tags/{id}/taggings",
        Needs(Permission::PeopleWrite),
        Api,
    ),
    r(
        "DELETE",
        "/api/v1/tags/{id}/taggings/{person_id}",
        Needs(Permission::PeopleWrite),
        Api,
    ),
    r("GET", "/api/v1/lists", Needs(Permission::PeopleRead), Api),
    r("POST", "/api/v1/lists", Needs(Permission::PeopleWrite), Api),
    r(
        "GET",
        "/api/v1/lists/{id}/items",
        Needs(Permission::PeopleRead),
        Api,
    ),
    r(
        "POST",
        "/api/v1/lists/{id}/items",
        Needs(Permission::PeopleWrite),
        Api,
    ),
    r(
        "DELETE",
        "/api/v1/lists/{id}/items/{person_id}",
        Needs(Permission::PeopleWrite),
        Api,
    ),
    r("GET", "/api/v1/review", Needs(Permission::Resolve), Api),
    r(
        "POST",
        "/api/v1/review/decisions",
        Needs(Permission::Resolve),
        Api,
    ),
    r("GET", "/api/v1/audit", Needs(Permission::AuditRead), Api),
    r("GET", "/api/v1/users", Needs(Permission::UsersManage), Api),
    r(
        "GET",
        "/api/v1/universes/count",
        Needs(Permission::Universes),
        Api,
    ),
    r(
        "GET",
        "/api/v1/universes",
        Needs(Permission::Universes),
        Api,
    ),
    r(
        "POST",
        "/api/v1/universes",
        Needs(Permission::Universes),
        Api,
    ),
    r(
        "GET",
        "/api/v1/universes/goals",
        Needs(Permission::Universes),
        Api,
    ),
    r(
        "GET",
        "/api/v1/universes/{id}",
        Needs(Permission::Universes),
        Api,
    ),
    r(
        "GET",
        "/api/v1/allocations",
        Needs(Permission::Universes),
        Api,
    ),
    r(
        "POST",
        "/api/v1/allocations",
        Needs(Permission::Universes),
        Api,
    ),
    r(
        "GET",
        "/api/v1/allocations/{id}",
        Needs(Permission::Universes),
        Api,
    ),
    r(
        "GET",
        "/api/v1/allocations/{id}/items",
        Needs(Permission::Universes),
        Api,
    ),
    r(
        "GET",
        "/api/v1/allocations/{id}/export",
        Needs(Permission::Universes),
        Api,
    ),
    r("GET", "/api/v1/turfs", Needs(Permission::Turfs), Api),
    r("POST", "/api/v1/turfs", Needs(Permission::Turfs), Api),
    r("GET", "/api/v1/turfs/{id}", Needs(Permission::Turfs), Api),
    r(
        "GET",
        "/api/v1/turfs/{id}/export",
        Needs(Permission::Turfs),
        Api,
    ),
    r(
        "POST",
        "/api/v1/turnout/reports",
        Needs(Permission::TurnoutReport),
        Api,
    ),
    r(
        "GET",
        "/api/v1/turnout/reports",
        Needs(Permission::TurnoutRead),
        Api,
    ),
    r(
        "GET",
        "/api/v1/turnout/board",
        Needs(Permission::TurnoutRead),
        Api,
    ),
    r(
        "GET",
        "/api/v1/turnout/chase",
        Needs(Permission::TurnoutRead),
        Api,
    ),
    r(
        "GET",
        "/api/v1/turnout/roster",
        Needs(Permission::TurnoutReport),
        Api,
    ),
    r("GET", "/api/v1/overview", Needs(Permission::Overview), Api),
    r("POST", "/api/v1/loads", Needs(Permission::Load), Api),
    r("GET", "/api/v1/goals", Needs(Permission::Overview), Api),
    r("POST", "/api/v1/resolve", Needs(Permission::Resolve), Api),
    r("GET", "/api/v1/resolve", Needs(Permission::Resolve), Api),
    r("GET", "/api/v1/teams", Needs(Permission::Team), Api),
    r("GET", "/api/v1/teams/{id}", Needs(Permission::Team), Api),
    r(
        "POST",
        "/api/v1/teams/{id}/contacts",
        Needs(Permission::Team),
        Api,
    ),
    r("PUT", "/api/v1/goals", Needs(Permission::Goals), Api),
    r(
        "GET",
        "/api/v1/health/data",
        Needs(Permission::DataHealth),
        Api,
    ),
    r("GET", "/api/v1/trips/board", Needs(Permission::Trips), Api),
    r("GET", "/api/v1/trips/mine", Needs(Permission::Trips), Api),
    r("POST", "/api/v1/trips/rides", Needs(Permission::Trips), Api),
    r("POST", "/api/v1/trips/beds", Needs(Permission::Trips), Api),
    r(
        "POST",
        "/api/v1/trips/requests",
        Needs(Permission::Trips),
        Api,
    ),
    r(
        "PUT",
        "/api/v1/trips/rides/{id}",
        Needs(Permission::Trips),
        Api,
    ),
    r(
        "PUT",
        "/api/v1/trips/beds/{id}",
        Needs(Permission::Trips),
        Api,
    ),
    r(
        "PUT",
        "/api/v1/trips/requests/{id}",
        Needs(Permission::Trips),
        Api,
    ),
    r(
        "POST",
        "/api/v1/trips/posts/{id}/cancel",
        Needs(Permission::Trips),
        Api,
    ),
    r(
        "POST",
        "/api/v1/trips/assignments/{id}/answer",
        Needs(Permission::Trips),
        Api,
    ),
    r(
        "GET",
        "/api/v1/trips/assignments/{id}/messages",
        Needs(Permission::Trips),
        Api,
    ),
    r(
        "POST",
        "/api/v1/trips/assignments/{id}/messages",
        Needs(Permission::Trips),
        Api,
    ),
    r(
        "GET",
        "/api/v1/trips/offices",
        Needs(Permission::Trips),
        Api,
    ),
    r(
        "PUT",
        "/api/v1/trips/offices/{id}/needs",
        Needs(Permission::TripsManage),
        Api,
    ),
    r(
        "POST",
        "/api/v1/trips/plan",
        Needs(Permission::TripsManage),
        Api,
    ),
    r(
        "GET",
        "/api/v1/trips/assignments",
        Needs(Permission::TripsManage),
        Api,
    ),
    r(
        "GET",
        "/api/v1/sharing/consent",
        Needs(Permission::Share),
        Api,
    ),
    r(
        "POST",
        "/api/v1/sharing/consent",
        Needs(Permission::Share),
        Api,
    ),
    r(
        "DELETE",
        "/api/v1/sharing/consent",
        Needs(Permission::Share),
        Api,
    ),
    r(
        "POST",
        "/api/v1/sharing/uploads",
        Needs(Permission::Share),
        Api,
    ),
    r(
        "GET",
        "/api/v1/sharing/friends",
        Needs(Permission::Share),
        Api,
    ),
    r(
        "POST",
        "/api/v1/sharing/asks/{id}/done",
        Needs(Permission::Share),
        Api,
    ),
    r(
        "GET",
        "/api/v1/sharing/report",
        Needs(Permission::SharingReport),
        Api,
    ),
    r(
        "GET",
        "/api/v1/sharing/settings",
        Needs(Permission::SharingManage),
        Api,
    ),
    r(
        "PUT",
        "/api/v1/sharing/settings",
        Needs(Permission::SharingManage),
        Api,
    ),
    r(
        "POST",
        "/api/v1/sharing/credit",
        Needs(Permission::SharingManage),
        Api,
    ),
    r("GET", "/api/v1/models", Needs(Permission::ModelsRead), Api),
    r(
        "POST",
        "/api/v1/models",
        Needs(Permission::ModelsManage),
        Api,
    ),
    r(
        "GET",
        "/api/v1/models/{id}",
        Needs(Permission::ModelsRead),
        Api,
    ),
    r(
        "POST",
        "/api/v1/models/{id}/approve",
        Needs(Permission::ModelsManage),
        Api,
    ),
    r(
        "POST",
        "/api/v1/models/{id}/scores",
        Needs(Permission::ModelsManage),
        Api,
    ),
    r("GET", "/", SignedIn, Page),
    r("GET", "/login", Public, Page),
    r("POST", "/login", Public, Page),
    r("POST", "/logout", SignedIn, Page),
    r("GET", "/people", Needs(Permission::PeopleRead), Page),
    r("GET", "/people/{id}", Needs(Permission::PeopleRead), Page),
    r("GET", "/admin/audit", Needs(Permission::AuditRead), Page),
    r("GET", "/admin/users", Needs(Permission::UsersManage), Page),
    r(
        "POST",
        "/admin/users/add",
        Needs(Permission::UsersManage),
        Page,
    ),
    r(
        "POST",
        "/admin/users/{username}/disabled",
        Needs(Permission::UsersManage),
        Page,
    ),
    r("GET", "/review", Needs(Permission::Resolve), Page),
    r("POST", "/review/decide", Needs(Permission::Resolve), Page),
    r("GET", "/universes", Needs(Permission::Universes), Page),
    r(
        "POST",
        "/universes/save",
        Needs(Permission::Universes),
        Page,
    ),
    r("GET", "/static/universes.js", Public, Page),
    r("GET", "/allocations", Needs(Permission::Universes), Page),
    r("GET", "/turfs", Needs(Permission::Turfs), Page),
    r("POST", "/turfs/cut", Needs(Permission::Turfs), Page),
    r("GET", "/turfs/{id}", Needs(Permission::Turfs), Page),
    r(
        "GET",
        "/turfs/{id}/walk/{turf}",
        Needs(Permission::Turfs),
        Page,
    ),
    r(
        "POST",
        "/allocations/run",
        Needs(Permission::Universes),
        Page,
    ),
    r(
        "GET",
        "/allocations/{id}",
        Needs(Permission::Universes),
        Page,
    ),
    r("GET", "/watch", Needs(Permission::TurnoutReport), Page),
    r("GET", "/static/watch.js", Public, Page),
    r("GET", "/turnout", Needs(Permission::TurnoutRead), Page),
    r(
        "GET",
        "/turnout/chase",
        Needs(Permission::TurnoutRead),
        Page,
    ),
    r("GET", "/watchers", Needs(Permission::TurnoutRead), Page),
    r("GET", "/models", Needs(Permission::ModelsRead), Page),
    r("GET", "/models/{id}", Needs(Permission::ModelsRead), Page),
    r(
        "POST",
        "/models/{id}/approve",
        Needs(Permission::ModelsManage),
        Page,
    ),
    r("GET", "/overview", Needs(Permission::Overview), Page),
    r("GET", "/health", Needs(Permission::DataHealth), Page),
    r("GET", "/loads", Needs(Permission::Load), Page),
    r("POST", "/overview/goals", Needs(Permission::Goals), Page),
    r("POST", "/review/resolve", Needs(Permission::Resolve), Page),
    r("GET", "/teams", Needs(Permission::Team), Page),
    r("GET", "/teams/{id}", Needs(Permission::Team), Page),
    r(
        "POST",
        "/teams/{id}/contacts",
        Needs(Permission::Team),
        Page,
    ),
    r("GET", "/static/loads.js", Public, Page),
    r("GET", "/trips", Needs(Permission::Trips), Page),
    r("POST", "/trips/post/{kind}", Needs(Permission::Trips), Page),
    r(
        "POST",
        "/trips/posts/{id}/cancel",
        Needs(Permission::Trips),
        Page,
    ),
    r(
        "POST",
        "/trips/assignments/{id}/answer",
        Needs(Permission::Trips),
        Page,
    ),
    r(
        "GET",
        "/trips/messages/{id}",
        Needs(Permission::Trips),
        Page,
    ),
    r(
        "POST",
        "/trips/messages/{id}",
        Needs(Permission::Trips),
        Page,
    ),
    r(
        "GET",
        "/trips/offices",
        Needs(Permission::TripsManage),
        Page,
    ),
    r("POST", "/trips/plan", Needs(Permission::TripsManage), Page),
    r("GET", "/share", Needs(Permission::Share), Page),
    r("POST", "/share/consent", Needs(Permission::Share), Page),
    r("POST", "/share/upload", Needs(Permission::Share), Page),
    r("POST", "/share/withdraw", Needs(Permission::Share), Page),
    r(
        "POST",
        "/share/asks/{id}/done",
        Needs(Permission::Share),
        Page,
    ),
    r("GET", "/static/share.js", Public, Page),
    r(
        "GET",
        "/sharing/report",
        Needs(Permission::SharingReport),
        Page,
    ),
    r("GET", "/static/tusk.css", Public, Page),
];

fn handler(route: &RouteInfo) -> MethodRouter<AppState> {
    match (route.method, route.path) {
        ("GET", "/api/v1/openapi.json") => get(api::openapi),
        ("POST", "/api/v1/login") => post(api::login),
        ("POST", "/api/v1/logout") => post(api::logout),
        ("GET", "/api/v1/me") => get(api::me),
        ("GET", "/api/v1/people") => get(api::people_search),
        ("POST", "/api/v1/people/person_signup_helper") => post(api::person_signup_helper),
        ("POST", "/api/v1/donations/record_donation_helper") => post(api::record_donation_helper),
        ("GET", "/api/v1/people/{id}") => get(api::person_get),
        ("POST", "/api/v1/people/{id}/record_canvass") => post(universes::record_canvass),
        ("GET", "/api/v1/donations") => get(api::donations),
        ("GET", "/api/v1/donations/{id}") => get(api::donation_get),
        ("GET", "/api/v1/changes") => get(api::changes),
        ("GET", "/api/v1/volunteers") => get(api::volunteers),
        ("GET", "/api/v1/volunteers/{id}") => get(api::volunteer_get),
        ("GET", "/api/v1/tags") => get(api::tags),
        ("POST", "/api/v1/tags") => post(api::tag_create),
        ("GET", "/api/v1/tags/{id}/taggings") => get(api::taggings),
        ("POST", "/api/v1/tags/{id}/taggings") => post(api::tagging_add),
        ("DELETE", "/api/v1/tags/{id}/taggings/{person_id}") => delete(api::tagging_remove),
        ("GET", "/api/v1/lists") => get(api::lists),
        ("POST", "/api/v1/lists") => post(api::list_create),
        ("GET", "/api/v1/lists/{id}/items") => get(api::list_items),
        ("POST", "/api/v1/lists/{id}/items") => post(api::list_item_add),
        ("DELETE", "/api/v1/lists/{id}/items/{person_id}") => delete(api::list_item_remove),
        ("GET", "/api/v1/review") => get(api::review_queue),
        ("POST", "/api/v1/review/decisions") => post(api::review_decide),
        ("GET", "/api/v1/audit") => get(api::audit),
        ("GET", "/api/v1/users") => get(api::users),
        ("GET", "/api/v1/universes/count") => get(universes::count),
        ("GET", "/api/v1/universes/goals") => get(universes::goals),
        ("GET", "/api/v1/universes") => get(universes::list),
        ("POST", "/api/v1/universes") => post(universes::create),
        ("GET", "/api/v1/universes/{id}") => get(universes::get),
        ("GET", "/api/v1/turfs") => get(turfs::list),
        ("POST", "/api/v1/turfs") => post(turfs::create),
        ("GET", "/api/v1/turfs/{id}") => get(turfs::get),
        ("GET", "/api/v1/turfs/{id}/export") => get(turfs::export),
        ("GET", "/api/v1/allocations") => get(allocations::list),
        ("POST", "/api/v1/allocations") => post(allocations::create),
        ("GET", "/api/v1/allocations/{id}") => get(allocations::get),
        ("GET", "/api/v1/allocations/{id}/items") => get(allocations::items),
        ("GET", "/api/v1/allocations/{id}/export") => get(allocations::export),
        ("POST", "/api/v1/turnout/reports") => {
            post(turnout::post_reports).layer(DefaultBodyLimit::max(turnout::REPORT_BODY_BYTES_MAX))
        }
        ("GET", "/api/v1/turnout/reports") => get(turnout::feed),
        ("GET", "/api/v1/turnout/board") => get(turnout::board),
        ("GET", "/api/v1/turnout/chase") => get(turnout::chase),
        ("GET", "/api/v1/turnout/roster") => get(turnout::roster),
        ("GET", "/api/v1/models") => get(scoring::models_list),
        ("POST", "/api/v1/models") => post(scoring::model_train),
        ("GET", "/api/v1/models/{id}") => get(scoring::model_get),
        ("POST", "/api/v1/models/{id}/approve") => post(scoring::model_approve),
        ("POST", "/api/v1/models/{id}/scores") => post(scoring::model_apply),
        ("GET", "/") => get(pages::home),
        ("GET", "/login") => get(pages::login_form),
        ("POST", "/login") => post(pages::login_submit),
        ("POST", "/logout") => post(pages::logout),
        ("GET", "/people") => get(pages::people),
        ("GET", "/people/{id}") => get(pages::person),
        ("GET", "/admin/audit") => get(pages::audit),
        ("GET", "/admin/users") => get(admin::page),
        ("POST", "/admin/users/add") => post(admin::add),
        ("POST", "/admin/users/{username}/disabled") => post(admin::set_disabled),
        ("GET", "/review") => get(pages::review),
        ("POST", "/review/decide") => post(pages::review_decide),
        ("GET", "/universes") => get(universes::page),
        ("POST", "/universes/save") => post(universes::save_form),
        ("GET", "/static/universes.js") => get(pages::universes_js),
        ("GET", "/turfs") => get(turfs::page),
        ("POST", "/turfs/cut") => post(turfs::cut_form),
        ("GET", "/turfs/{id}") => get(turfs::cut_page),
        ("GET", "/turfs/{id}/walk/{turf}") => get(turfs::walk_page),
        ("GET", "/allocations") => get(allocations::page),
        ("POST", "/allocations/run") => post(allocations::run_form),
        ("GET", "/allocations/{id}") => get(allocations::run_page),
        ("GET", "/watch") => get(turnout::watch_page),
        ("GET", "/static/watch.js") => get(turnout::watch_js),
        ("GET", "/turnout") => get(turnout::board_page),
        ("GET", "/turnout/chase") => get(turnout::chase_page),
        ("GET", "/watchers") => get(turnout::watchers_page),
        ("GET", "/models") => get(scoring::models_page),
        ("GET", "/models/{id}") => get(scoring::model_page),
        ("POST", "/models/{id}/approve") => post(scoring::model_approve_form),
        ("GET", "/api/v1/sharing/consent") => get(sharing::consent_get),
        ("POST", "/api/v1/sharing/consent") => post(sharing::consent_post),
        ("DELETE", "/api/v1/sharing/consent") => delete(sharing::consent_delete),
        ("POST", "/api/v1/sharing/uploads") => {
            post(sharing::upload).layer(DefaultBodyLimit::max(sharing::UPLOAD_BODY_BYTES_MAX))
        }
        ("GET", "/api/v1/sharing/friends") => get(sharing::friends),
        ("POST", "/api/v1/sharing/asks/{id}/done") => post(sharing::ask_done),
        ("GET", "/api/v1/sharing/report") => get(sharing::report),
        ("GET", "/api/v1/sharing/settings") => get(sharing::settings_get),
        ("PUT", "/api/v1/sharing/settings") => put(sharing::settings_put),
        ("POST", "/api/v1/sharing/credit") => post(sharing::credit),
        ("GET", "/api/v1/overview") => get(overview::overview),
        ("GET", "/overview") => get(overview::page),
        ("GET", "/api/v1/health/data") => get(health::data),
        ("GET", "/health") => get(health::page),
        ("GET", "/loads") => get(loads::page),
        ("GET", "/api/v1/goals") => get(goals::list),
        ("PUT", "/api/v1/goals") => put(goals::put),
        ("POST", "/overview/goals") => post(goals::form),
        ("POST", "/api/v1/resolve") => post(resolve::post),
        ("GET", "/api/v1/resolve") => get(resolve::get),
        ("POST", "/review/resolve") => post(resolve::form),
        ("GET", "/api/v1/teams") => get(teams::list),
        ("GET", "/api/v1/teams/{id}") => get(teams::get),
        ("POST", "/api/v1/teams/{id}/contacts") => post(teams::contact_post),
        ("GET", "/teams") => get(teams::teams_page),
        ("GET", "/teams/{id}") => get(teams::team_page),
        ("POST", "/teams/{id}/contacts") => post(teams::contact_form),
        ("GET", "/static/loads.js") => get(pages::loads_js),
        ("POST", "/api/v1/loads") => {
            post(loads::create).layer(DefaultBodyLimit::max(loads::LOAD_BODY_BYTES_MAX))
        }
        ("GET", "/api/v1/trips/board") => get(trips::board),
        ("GET", "/api/v1/trips/mine") => get(trips::mine),
        ("POST", "/api/v1/trips/rides") => post(trips::ride_post),
        ("POST", "/api/v1/trips/beds") => post(trips::bed_post),
        ("POST", "/api/v1/trips/requests") => post(trips::request_post),
        ("PUT", "/api/v1/trips/rides/{id}") => put(trips::ride_put),
        ("PUT", "/api/v1/trips/beds/{id}") => put(trips::bed_put),
        ("PUT", "/api/v1/trips/requests/{id}") => put(trips::request_put),
        ("POST", "/api/v1/trips/posts/{id}/cancel") => post(trips::cancel),
        ("POST", "/api/v1/trips/assignments/{id}/answer") => post(trips::answer),
        ("GET", "/api/v1/trips/assignments/{id}/messages") => get(trips::messages),
        ("POST", "/api/v1/trips/assignments/{id}/messages") => post(trips::message_post),
        ("GET", "/api/v1/trips/offices") => get(trips::offices),
        ("PUT", "/api/v1/trips/offices/{id}/needs") => put(trips::needs_put),
        ("POST", "/api/v1/trips/plan") => post(trips::plan),
        ("GET", "/api/v1/trips/assignments") => get(trips::assignments),
        ("GET", "/trips") => get(trips::trips_page),
        ("POST", "/trips/post/{kind}") => post(trips::post_form),
        ("POST", "/trips/posts/{id}/cancel") => post(trips::cancel_form),
        ("POST", "/trips/assignments/{id}/answer") => post(trips::answer_form),
        ("GET", "/trips/messages/{id}") => get(trips::messages_page),
        ("POST", "/trips/messages/{id}") => post(trips::message_form),
        ("GET", "/trips/offices") => get(trips::offices_page),
        ("POST", "/trips/plan") => post(trips::plan_form),
        ("GET", "/share") => get(sharing::share_page),
        ("POST", "/share/consent") => post(sharing::consent_form),
        ("POST", "/share/upload") => {
            post(sharing::upload_form).layer(DefaultBodyLimit::max(sharing::UPLOAD_BODY_BYTES_MAX))
        }
        ("POST", "/share/withdraw") => post(sharing::withdraw_form),
        ("POST", "/share/asks/{id}/done") => post(sharing::done_form),
        ("GET", "/static/share.js") => get(pages::share_js),
        ("GET", "/sharing/report") => get(sharing::report_page),
        ("GET", "/static/tusk.css") => get(pages::css),
        (m, p) => panic!("route {m} {p} is in ROUTES without a handler"),
    }
}

/// Server settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Mark the session cookie `Secure` (HTTPS only; browsers treat http://localhost as
    /// secure too). Turn off only for plain-HTTP tests behind no proxy.
    pub secure_cookies: bool,
    /// First wait after a failed webhook delivery, doubled per failure (capped).
    pub webhook_retry_base_seconds: i64,
    /// How often due webhooks are looked for.
    pub webhook_tick_ms: u64,
    /// Limits of the election-day report path.
    pub turnout: turnout::Limits,
    /// Where loads sent through the server write their rejects files.
    pub rejects_dir: std::path::PathBuf,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            secure_cookies: true,
            webhook_retry_base_seconds: 5,
            webhook_tick_ms: 1_000,
            turnout: turnout::Limits::default(),
            rejects_dir: std::path::PathBuf::from("rejects"),
        }
    }
}

/// Starts the server's background work: the matching index, WAL checkpoints, webhook
/// deliveries. Call inside the runtime that serves.
pub fn spawn_background(state: &AppState) {
    matching::rebuild(state);
    // The people table of counts and the dashboard, read once at start rather than at the
    // first page that needs it.
    universes::rebuild(state);
    turnout::spawn_refresh(state);
    let pool = state.pool.clone();
    tokio::spawn(async move {
        let mut tick =
            tokio::time::interval(std::time::Duration::from_secs(audit::CHECKPOINT_SECONDS));
        loop {
            tick.tick().await;
            let r = pool
                .run(|s| audit::AuditWriter::checkpoint(s).map_err(ApiError::from))
                .await;
            if let Err(e) = r {
                tracing::warn!(code = e.code, "checkpoint failed");
            }
        }
    });
    let st = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(
            st.config.webhook_tick_ms.max(10),
        ));
        loop {
            tick.tick().await;
            if let Err(e) = webhooks::deliver_due(&st).await {
                tracing::warn!(code = e.code, "webhook pass failed");
            }
        }
    });
}

#[derive(Clone)]
pub struct AppState {
    pub pool: Arc<StorePool>,
    pub audit: Arc<audit::AuditWriter>,
    pub matching: Arc<matching::Matching>,
    pub universes: Arc<universes::Universes>,
    pub turnout: Arc<turnout::Turnout>,
    /// Password hashes computed at once (one per core): a storm of sign-ins queues here
    /// instead of taking every core; the hash holds no store connection.
    pub login_gate: Arc<tokio::sync::Semaphore>,
    pub config: Arc<Config>,
    /// Held while a file loads or a resolution runs through the server (one at a time).
    pub loading: Arc<tokio::sync::Mutex<()>>,
    /// The last resolution started through the server.
    pub resolving: Arc<resolve::Resolving>,
    limiter: Arc<Mutex<HashMap<IpAddr, (i64, u32)>>>,
}

impl AppState {
    /// `audit_store`: a connection of its own for the audit writer. `turnout_auth`: the
    /// election-day report path's own connection(s) for authentication; `journal` opens
    /// connections to the election-day journal (`turnout`).
    pub fn new(
        pool: StorePool,
        audit_store: Box<dyn store::Store>,
        turnout_auth: StorePool,
        journal: Arc<turnout::JournalOpener>,
        config: Config,
    ) -> store::Result<AppState> {
        Ok(AppState {
            pool: Arc::new(pool),
            audit: Arc::new(audit::AuditWriter::start(audit_store)),
            matching: Arc::new(matching::Matching::default()),
            universes: Arc::new(universes::Universes::default()),
            turnout: Arc::new(turnout::Turnout::start(
                journal,
                turnout_auth,
                config.turnout,
            )?),
            login_gate: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(1, |n| n.get()),
            )),
            config: Arc::new(config),
            loading: Arc::new(tokio::sync::Mutex::new(())),
            resolving: Arc::new(resolve::Resolving::default()),
            limiter: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    /// Counts a sign-in attempt from `ip`; `Err` with the seconds to wait when over the limit.
    pub fn login_attempt(&self, ip: Option<IpAddr>) -> Result<(), ApiError> {
        let Some(ip) = ip else { return Ok(()) };
        let now = now_secs();
        let mut m = self.limiter.lock().unwrap_or_else(|p| p.into_inner());
        if m.len() >= LIMITER_ENTRIES_MAX {
            m.clear();
        }
        let e = m.entry(ip).or_insert((now, 0));
        if now - e.0 >= 60 {
            *e = (now, 0);
        }
        e.1 += 1;
        if e.1 > LOGIN_ATTEMPTS_PER_IP_PER_MINUTE {
            return Err(ApiError {
                retry_after: Some((60 - (now - e.0)).max(1) as u64),
                ..ApiError::new(
                    "rate_limited",
                    "too many sign-in attempts from this address: wait a minute",
                )
            });
        }
        Ok(())
    }
}

pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub fn now_iso() -> String {
    model::date::timestamp_utc(now_secs())
}

/// The principal of a request (set by `guard`); `None` on public routes without a session.
#[derive(Debug, Clone)]
pub struct Who(pub Option<Principal>);

/// The client's address, when the server knows it.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

/// The session token a request carries: `Authorization: Bearer …` first, else the cookie.
/// The flag says whether it came from the cookie (cookie-authenticated writes need CSRF).
pub fn token_of(headers: &HeaderMap) -> Option<(String, bool)> {
    if let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        if let Some(t) = v.strip_prefix("Bearer ") {
            return Some((t.trim().to_string(), false));
        }
    }
    for v in headers.get_all(header::COOKIE) {
        let Ok(v) = v.to_str() else { continue };
        for part in v.split(';') {
            if let Some((k, val)) = part.trim().split_once('=') {
                if k == SESSION_COOKIE && !val.is_empty() {
                    return Some((val.to_string(), true));
                }
            }
        }
    }
    None
}

fn route_of(method: &Method, path: &str) -> Option<&'static RouteInfo> {
    ROUTES
        .iter()
        .find(|r| r.path == path && r.method == method.as_str())
}

/// Authenticates and authorises every request against `ROUTES` before its handler runs.
async fn guard(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let matched = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string());
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    req.extensions_mut().insert(ClientIp(ip));
    let Some(route) = matched.as_deref().and_then(|p| route_of(&method, p)) else {
        // The path exists with other methods: 405 with the ones it has. Anything else not in
        // the table is denied.
        let allowed: Vec<&str> = ROUTES
            .iter()
            .filter(|r| Some(r.path) == matched.as_deref())
            .map(|r| r.method)
            .collect();
        if allowed.is_empty() {
            return ApiError::not_found("route").into_response();
        }
        let mut resp = ApiError::new(
            "method_not_allowed",
            format!("{method} is not allowed here: use {}", allowed.join(", ")),
        )
        .into_response();
        if let Ok(v) = HeaderValue::from_str(&allowed.join(", ")) {
            resp.headers_mut().insert(header::ALLOW, v);
        }
        return resp;
    };
    let token = token_of(req.headers());
    let principal = match &token {
        // Election-day reports authenticate through a cache and a connection of their own:
        // a flood of them never takes the store connections the rest of the server needs.
        Some((t, _)) if route.path == turnout::REPORTS_PATH && method == Method::POST => {
            state.turnout.authenticate(t).await
        }
        Some((t, _)) => {
            let t = t.clone();
            state
                .pool
                .run(move |s| Ok(app::accounts::authenticate(s, &t, now_secs()).ok()))
                .await
        }
        None => Ok(None),
    };
    let principal = match principal {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let refuse = |e: ApiError| -> Response {
        match route.face {
            Face::Api => e.into_response(),
            Face::Page if e.code == "unauthenticated" => {
                let next = req_path_for_next(matched.as_deref().unwrap_or("/"));
                Redirect::to(&format!("/login?next={next}")).into_response()
            }
            Face::Page => pages::error_page(&e, principal.as_ref()),
        }
    };
    match route.access {
        Access::Public => {}
        Access::SignedIn | Access::Needs(_) => {
            let Some(p) = &principal else {
                return refuse(ApiError::unauthenticated());
            };
            if let Access::Needs(perm) = route.access {
                if !p.allows(perm) {
                    return refuse(ApiError::forbidden());
                }
            }
            // A write authenticated by the cookie must carry the session's CSRF token in a
            // header (API) — forms carry it in a field, checked by their handlers.
            if route.face == Face::Api
                && !matches!(method, Method::GET | Method::HEAD)
                && token.as_ref().is_some_and(|t| t.1)
            {
                let sent = req
                    .headers()
                    .get("x-csrf-token")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                let ok = matches!(p, Principal::User { csrf, .. } if auth::constant_time_eq(csrf.as_bytes(), sent.as_bytes()));
                if !ok {
                    return ApiError::new(
                        "csrf",
                        "send the session's CSRF token (from /api/v1/me) in X-CSRF-Token",
                    )
                    .into_response();
                }
            }
        }
    }
    let actor = principal.as_ref().map(|p| p.actor());
    req.extensions_mut().insert(Who(principal));
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert(
        "content-security-policy",
        HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'; form-action 'self'"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    // Ids and route templates only: never query strings (they hold names).
    tracing::info!(
        method = %method,
        route = route.path,
        status = resp.status().as_u16(),
        actor = actor.as_deref().unwrap_or("-"),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    resp
}

fn req_path_for_next(p: &str) -> String {
    // Only our own paths, without parameters filled in: no open redirect.
    if p.starts_with('/') && !p.starts_with("//") && !p.contains('{') {
        p.to_string()
    } else {
        "/".into()
    }
}

async fn not_found(req: Request) -> Response {
    if req.uri().path().starts_with("/api/") {
        ApiError::not_found("such path").into_response()
    } else {
        (
            StatusCode::NOT_FOUND,
            pages::plain_error_html("Not found", "There is no page here."),
        )
            .into_response()
    }
}

/// The whole application: every route of `ROUTES` behind `guard`.
pub fn router(state: AppState) -> Router {
    let mut router: Router<AppState> = Router::new();
    for route in ROUTES {
        router = router.route(route.path, handler(route));
    }
    router
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), guard))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(BODY_BYTES_MAX))
        .with_state(state)
}

/// Serves on an already bound listener until `shutdown` completes.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Seconds background work (index and table builds) may take to notice a stop before the
/// process leaves without it. Requests in flight are drained before this.
pub const SHUTDOWN_WAIT_SECONDS: u64 = 2;

/// Serves until Ctrl-C / SIGTERM.
pub fn serve(listen: SocketAddr, state: AppState) -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let served = rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        println!("tusk: serving on http://{addr}/ (API under /api/v1/, OpenAPI at /api/v1/openapi.json); Ctrl-C stops");
        spawn_background(&state);
        serve_on(listener, state, async {
            let ctrl_c = tokio::signal::ctrl_c();
            #[cfg(unix)]
            {
                let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("SIGTERM handler");
                tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
            }
            #[cfg(not(unix))]
            {
                let _ = ctrl_c.await;
            }
        })
        .await
    });
    // A voter index or universe table being built (minutes at state scale) must not keep a
    // stopped server alive: nothing acknowledged waits on it, and it is rebuilt at the next
    // start. Dropping the runtime would wait for it.
    rt.shutdown_timeout(std::time::Duration::from_secs(SHUTDOWN_WAIT_SECONDS));
    served
}
