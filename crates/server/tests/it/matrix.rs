//! Every route × every principal gets exactly the expected answer. The expectations are
//! written here, independently of `server::ROUTES`; a route added to the server without a
//! row here fails `every_route_is_in_the_matrix`.

use crate::fixture::*;

/// Principals, in the column order of `EXPECT`.
const WHO: [&str; 10] = [
    "anon",
    "expired",
    "admin",
    "director",
    "analyst",
    "organizer",
    "volunteer",
    "watcher",
    "key_people",
    "key_none",
];

/// (method, route, expected status per principal in `WHO` order). `{id}` is person A: in
/// the organizer's county and the volunteer's own person.
const EXPECT: &[(&str, &str, [u16; 10])] = &[
    (
        "GET",
        "/api/v1/openapi.json",
        [200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    ),
    (
        "POST",
        "/api/v1/login",
        [400, 400, 400, 400, 400, 400, 400, 400, 400, 400],
    ),
    (
        "POST",
        "/api/v1/logout",
        [401, 401, 204, 204, 204, 204, 204, 204, 204, 204],
    ),
    (
        "GET",
        "/api/v1/me",
        [401, 401, 200, 200, 200, 200, 200, 200, 200, 200],
    ),
    (
        "GET",
        "/api/v1/people",
        [401, 401, 200, 200, 200, 200, 200, 403, 200, 403],
    ),
    (
        "GET",
        "/api/v1/people/{id}",
        [401, 401, 200, 200, 200, 200, 200, 403, 200, 403],
    ),
    // A canvass result: people:write, within one's regions (person A is in the organizer's
    // county). The empty form body is refused as JSON after the access check.
    (
        "POST",
        "/api/v1/people/{id}/record_canvass",
        [401, 401, 400, 400, 403, 400, 403, 403, 403, 403],
    ),
    // Create-or-match: people:write (admin, director, organizer; keys with the scope). The
    // body `{}` is refused as JSON after the access check.
    (
        "POST",
        "/api/v1/people/person_signup_helper",
        [401, 401, 400, 400, 403, 400, 403, 403, 403, 403],
    ),
    // A gift from a fundraising tool: donations:write (admins, data directors; no key here has
    // it). The empty form body is refused as JSON after the access check.
    (
        "POST",
        "/api/v1/donations/record_donation_helper",
        [401, 401, 400, 400, 403, 403, 403, 403, 403, 403],
    ),
    // Donations: campaign-wide staff and keys with donations:read. `{id}` = a donation.
    (
        "GET",
        "/api/v1/donations",
        [401, 401, 200, 200, 200, 403, 403, 403, 200, 403],
    ),
    (
        "GET",
        "/api/v1/donations/{id}",
        [401, 401, 200, 200, 200, 403, 403, 403, 200, 403],
    ),
    // Volunteer sign-ups: people:read, narrowed to what one may see. `{id}`: A's sign-up.
    (
        "GET",
        "/api/v1/volunteers",
        [401, 401, 200, 200, 200, 200, 200, 403, 200, 403],
    ),
    (
        "GET",
        "/api/v1/volunteers/{id}",
        [401, 401, 200, 200, 200, 200, 200, 403, 200, 403],
    ),
    // Tags and lists: read with people:read (members narrowed to what one may see), write
    // with people:write. `{id}`: a tag or list holding person A; `{person_id}`: A.
    (
        "GET",
        "/api/v1/tags",
        [401, 401, 200, 200, 200, 200, 200, 403, 200, 403],
    ),
    (
        "POST",
        "/api/v1/tags",
        [401, 401, 400, 400, 403, 400, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/api/v1/tags/{id}/taggings",
        [401, 401, 200, 200, 200, 200, 200, 403, 200, 403],
    ),
    (
        "POST",
        "/api/v1/tags/{id}/taggings",
        [401, 401, 400, 400, 403, 400, 403, 403, 403, 403],
    ),
    (
        "DELETE",
        "/api/v1/tags/{id}/taggings/{person_id}",
        [401, 401, 204, 204, 403, 204, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/api/v1/lists",
        [401, 401, 200, 200, 200, 200, 200, 403, 200, 403],
    ),
    (
        "POST",
        "/api/v1/lists",
        [401, 401, 400, 400, 403, 400, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/api/v1/lists/{id}/items",
        [401, 401, 200, 200, 200, 200, 200, 403, 200, 403],
    ),
    (
        "POST",
        "/api/v1/lists/{id}/items",
        [401, 401, 400, 400, 403, 400, 403, 403, 403, 403],
    ),
    (
        "DELETE",
        "/api/v1/lists/{id}/items/{person_id}",
        [401, 401, 204, 204, 403, 204, 403, 403, 403, 403],
    ),
    // The review queue: admin and data director only.
    (
        "GET",
        "/api/v1/review",
        [401, 401, 200, 200, 403, 403, 403, 403, 403, 403],
    ),
    (
        "POST",
        "/api/v1/review/decisions",
        [401, 401, 400, 400, 403, 403, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/review",
        [303, 303, 200, 200, 403, 403, 403, 403, 403, 403],
    ),
    // Without the CSRF token the allowed roles are refused too.
    (
        "POST",
        "/review/decide",
        [303, 303, 403, 403, 403, 403, 403, 403, 403, 403],
    ),
    // Universes: analysts, data directors and admins (the count is built before the walk).
    (
        "GET",
        "/api/v1/universes/count",
        [401, 401, 200, 200, 200, 403, 403, 403, 403, 403],
    ),
    // No absentee file in the fixture: the goals need an election (400 names it).
    (
        "GET",
        "/api/v1/universes/goals",
        [401, 401, 400, 400, 400, 403, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/api/v1/universes",
        [401, 401, 200, 200, 200, 403, 403, 403, 403, 403],
    ),
    (
        "POST",
        "/api/v1/universes",
        [401, 401, 400, 400, 400, 403, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/api/v1/universes/{id}",
        [401, 401, 404, 404, 404, 403, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/universes",
        [303, 303, 200, 200, 200, 403, 403, 403, 403, 403],
    ),
    (
        "POST",
        "/universes/save",
        [303, 303, 403, 403, 403, 403, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/static/universes.js",
        [200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    ),
    // The users page: admins only; its forms refuse a post without the form token.
    (
        "GET",
        "/admin/users",
        [303, 303, 200, 403, 403, 403, 403, 403, 403, 403],
    ),
    (
        "POST",
        "/admin/users/add",
        [303, 303, 403, 403, 403, 403, 403, 403, 403, 403],
    ),
    (
        "POST",
        "/admin/users/{username}/disabled",
        [303, 303, 403, 403, 403, 403, 403, 403, 403, 403],
    ),
    // Allocations: as universes. `{id}` names no allocation; the export without its channel
    // and the empty POST are refused before anything is read.
    (
        "GET",
        "/api/v1/allocations",
        [401, 401, 200, 200, 200, 403, 403, 403, 403, 403],
    ),
    (
        "POST",
        "/api/v1/allocations",
        [401, 401, 400, 400, 400, 403, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/api/v1/allocations/{id}",
        [401, 401, 404, 404, 404, 403, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/api/v1/allocations/{id}/items",
        [401, 401, 404, 404, 404, 403, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/api/v1/allocations/{id}/export",
        [401, 401, 400, 400, 400, 403, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/allocations",
        [303, 303, 200, 200, 200, 403, 403, 403, 403, 403],
    ),
    (
        "POST",
        "/allocations/run",
        [303, 303, 403, 403, 403, 403, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/allocations/{id}",
        [303, 303, 404, 404, 404, 403, 403, 403, 403, 403],
    ),
    // Election day. Reports: poll watchers (their precinct), organizers, directors, admins;
    // the empty form body is refused as JSON after the access check.
    (
        "POST",
        "/api/v1/turnout/reports",
        [401, 401, 400, 400, 403, 400, 403, 400, 403, 403],
    ),
    // The journal feed, the board, chase lists: organizers, analysts, directors, admins (the
    // chase list needs its precinct: 400 without).
    (
        "GET",
        "/api/v1/turnout/reports",
        [401, 401, 200, 200, 200, 200, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/api/v1/turnout/board",
        [401, 401, 200, 200, 200, 200, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/api/v1/turnout/chase",
        [401, 401, 400, 400, 400, 400, 403, 403, 403, 403],
    ),
    // The roster: a poll watcher's own precinct by default; others must name one.
    (
        "GET",
        "/api/v1/turnout/roster",
        [401, 401, 400, 400, 403, 400, 403, 200, 403, 403],
    ),
    // Turfs: organizers (their counties), data directors, admins; `{id}` names no cut.
    (
        "GET",
        "/api/v1/turfs",
        [401, 401, 200, 200, 403, 200, 403, 403, 403, 403],
    ),
    (
        "POST",
        "/api/v1/turfs",
        [401, 401, 400, 400, 403, 400, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/api/v1/turfs/{id}",
        [401, 401, 404, 404, 403, 404, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/api/v1/turfs/{id}/export",
        [401, 401, 404, 404, 403, 404, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/turfs",
        [303, 303, 200, 200, 403, 200, 403, 403, 403, 403],
    ),
    (
        "POST",
        "/turfs/cut",
        [303, 303, 403, 403, 403, 403, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/turfs/{id}",
        [303, 303, 404, 404, 403, 404, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/turfs/{id}/walk/{turf}",
        [303, 303, 404, 404, 403, 404, 403, 403, 403, 403],
    ),
    // Models: analysts, data directors and admins (PRODUCT.md §5); no key scope grants them.
    // `{id}` names no model: allowed roles get 404, the body `{}`-less POST is refused as JSON.
    (
        "GET",
        "/api/v1/models",
        [401, 401, 200, 200, 200, 403, 403, 403, 403, 403],
    ),
    (
        "POST",
        "/api/v1/models",
        [401, 401, 400, 400, 400, 403, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/api/v1/models/{id}",
        [401, 401, 404, 404, 404, 403, 403, 403, 403, 403],
    ),
    (
        "POST",
        "/api/v1/models/{id}/approve",
        [401, 401, 404, 404, 404, 403, 403, 403, 403, 403],
    ),
    (
        "POST",
        "/api/v1/models/{id}/scores",
        [401, 401, 404, 404, 404, 403, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/models",
        [303, 303, 200, 200, 200, 403, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/models/{id}",
        [303, 303, 404, 404, 404, 403, 403, 403, 403, 403],
    ),
    (
        "POST",
        "/models/{id}/approve",
        [303, 303, 403, 403, 403, 403, 403, 403, 403, 403],
    ),
    // Organizers and volunteers have no feed: it would show other regions' people.
    (
        "GET",
        "/api/v1/changes",
        [401, 401, 200, 200, 200, 403, 403, 403, 403, 200],
    ),
    (
        "GET",
        "/api/v1/audit",
        [401, 401, 200, 403, 403, 403, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/api/v1/users",
        [401, 401, 200, 403, 403, 403, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/",
        [303, 303, 200, 200, 200, 200, 200, 200, 200, 200],
    ),
    (
        "GET",
        "/login",
        [200, 200, 303, 303, 303, 303, 303, 303, 303, 303],
    ),
    (
        "POST",
        "/login",
        [400, 400, 400, 400, 400, 400, 400, 400, 400, 400],
    ),
    // Forms without the CSRF token: users are refused; keys have no form session.
    (
        "POST",
        "/logout",
        [303, 303, 403, 403, 403, 403, 403, 403, 303, 303],
    ),
    (
        "GET",
        "/people",
        [303, 303, 200, 200, 200, 200, 200, 403, 200, 403],
    ),
    (
        "GET",
        "/people/{id}",
        [303, 303, 200, 200, 200, 200, 200, 403, 200, 403],
    ),
    (
        "GET",
        "/admin/audit",
        [303, 303, 200, 403, 403, 403, 403, 403, 403, 403],
    ),
    // Election-day pages: the poll-watcher page (a watcher's own precinct; others must name
    // one), the board and chase lists (a chase list needs its precinct).
    (
        "GET",
        "/watch",
        [303, 303, 400, 400, 403, 400, 403, 200, 403, 403],
    ),
    (
        "GET",
        "/static/watch.js",
        [200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    ),
    (
        "GET",
        "/turnout",
        [303, 303, 200, 200, 200, 200, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/turnout/chase",
        [303, 303, 400, 400, 400, 400, 403, 403, 403, 403],
    ),
    // The readiness drill: who may read the board.
    (
        "GET",
        "/watchers",
        [303, 303, 200, 200, 200, 200, 403, 403, 403, 403],
    ),
    // Sharing: supporters (every signed-in role but poll watchers; never keys) share their
    // own contacts; the report is counts for staff who plan; settings and credit are the data
    // director's. Empty bodies are refused as JSON after the access check.
    (
        "GET",
        "/api/v1/sharing/consent",
        [401, 401, 200, 200, 200, 200, 200, 403, 403, 403],
    ),
    (
        "POST",
        "/api/v1/sharing/consent",
        [401, 401, 400, 400, 400, 400, 400, 403, 403, 403],
    ),
    (
        "DELETE",
        "/api/v1/sharing/consent",
        [401, 401, 200, 200, 200, 200, 200, 403, 403, 403],
    ),
    (
        "POST",
        "/api/v1/sharing/uploads",
        [401, 401, 400, 400, 400, 400, 400, 403, 403, 403],
    ),
    (
        "GET",
        "/api/v1/sharing/friends",
        [401, 401, 200, 200, 200, 200, 200, 403, 403, 403],
    ),
    (
        "POST",
        "/api/v1/sharing/asks/{id}/done",
        [401, 401, 400, 400, 400, 400, 400, 403, 403, 403],
    ),
    (
        "GET",
        "/api/v1/sharing/report",
        [401, 401, 200, 200, 200, 200, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/api/v1/sharing/settings",
        [401, 401, 200, 200, 403, 403, 403, 403, 403, 403],
    ),
    (
        "PUT",
        "/api/v1/sharing/settings",
        [401, 401, 400, 400, 403, 403, 403, 403, 403, 403],
    ),
    (
        "POST",
        "/api/v1/sharing/credit",
        [401, 401, 200, 200, 403, 403, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/share",
        [303, 303, 200, 200, 200, 200, 200, 403, 403, 403],
    ),
    (
        "POST",
        "/share/consent",
        [303, 303, 403, 403, 403, 403, 403, 403, 403, 403],
    ),
    (
        "POST",
        "/share/upload",
        [303, 303, 403, 403, 403, 403, 403, 403, 403, 403],
    ),
    (
        "POST",
        "/share/withdraw",
        [303, 303, 403, 403, 403, 403, 403, 403, 403, 403],
    ),
    (
        "POST",
        "/share/asks/{id}/done",
        [303, 303, 403, 403, 403, 403, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/static/share.js",
        [200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    ),
    (
        "GET",
        "/sharing/report",
        [303, 303, 200, 200, 200, 200, 403, 403, 403, 403],
    ),
    // The overview: staff who plan (organizers: their counties); 503 until the people table
    // is built is not reached here (the test builds it first).
    (
        "GET",
        "/api/v1/overview",
        [401, 401, 200, 200, 200, 200, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/overview",
        [303, 303, 200, 200, 200, 200, 403, 403, 403, 403],
    ),
    // Data health: data directors and admins (counts and ids, no personal data).
    (
        "GET",
        "/api/v1/health/data",
        [401, 401, 200, 200, 403, 403, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/health",
        [303, 303, 200, 200, 403, 403, 403, 403, 403, 403],
    ),
    // Loading files: data directors and admins (never keys). The empty request names the
    // missing `kind` after the access check.
    (
        "POST",
        "/api/v1/loads",
        [401, 401, 400, 400, 403, 403, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/loads",
        [303, 303, 200, 200, 403, 403, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/static/loads.js",
        [200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    ),
    // Resolution from the server: data directors and admins; the empty body is refused after
    // the access check (no run starts), the page form without its CSRF token.
    (
        "POST",
        "/api/v1/resolve",
        [401, 401, 400, 400, 403, 403, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/api/v1/resolve",
        [401, 401, 200, 200, 403, 403, 403, 403, 403, 403],
    ),
    (
        "POST",
        "/review/resolve",
        [303, 303, 403, 403, 403, 403, 403, 403, 403, 403],
    ),
    // Goals per region: read with the overview (organizers: their counties'), set by data
    // directors and admins; the empty body is refused after the access check, the page form
    // without its CSRF token.
    (
        "GET",
        "/api/v1/goals",
        [401, 401, 200, 200, 200, 200, 403, 403, 403, 403],
    ),
    (
        "PUT",
        "/api/v1/goals",
        [401, 401, 400, 400, 403, 403, 403, 403, 403, 403],
    ),
    (
        "POST",
        "/overview/goals",
        [303, 303, 403, 403, 403, 403, 403, 403, 403, 403],
    ),
    // Neighbourhood teams: leaders (volunteers) their own team, organizers their counties',
    // directors and admins all; `{id}` names no team (404); the empty body is refused after
    // the access check, the page form without its CSRF token.
    (
        "GET",
        "/api/v1/teams",
        [401, 401, 200, 200, 403, 200, 200, 403, 403, 403],
    ),
    (
        "GET",
        "/api/v1/teams/{id}",
        [401, 401, 404, 404, 403, 404, 404, 403, 403, 403],
    ),
    (
        "POST",
        "/api/v1/teams/{id}/contacts",
        [401, 401, 400, 400, 403, 400, 400, 403, 403, 403],
    ),
    (
        "GET",
        "/teams",
        [303, 303, 200, 200, 403, 200, 200, 403, 403, 403],
    ),
    (
        "GET",
        "/teams/{id}",
        [303, 303, 404, 404, 403, 404, 404, 403, 403, 403],
    ),
    (
        "POST",
        "/teams/{id}/contacts",
        [303, 303, 403, 403, 403, 403, 403, 403, 403, 403],
    ),
    // The trip board: every signed-in role but poll watchers (never keys) posts, answers and
    // messages about its own trips; offices' needs, the planner and all assignments are for
    // trip managers (admins, data directors, organizers). Unknown ids are 404; form bodies
    // sent to JSON endpoints are refused after the access check; page forms need the CSRF token.
    (
        "GET",
        "/api/v1/trips/board",
        [401, 401, 200, 200, 200, 200, 200, 403, 403, 403],
    ),
    (
        "GET",
        "/api/v1/trips/mine",
        [401, 401, 200, 200, 200, 200, 200, 403, 403, 403],
    ),
    (
        "POST",
        "/api/v1/trips/rides",
        [401, 401, 400, 400, 400, 400, 400, 403, 403, 403],
    ),
    (
        "POST",
        "/api/v1/trips/beds",
        [401, 401, 400, 400, 400, 400, 400, 403, 403, 403],
    ),
    (
        "POST",
        "/api/v1/trips/requests",
        [401, 401, 400, 400, 400, 400, 400, 403, 403, 403],
    ),
    (
        "PUT",
        "/api/v1/trips/rides/{id}",
        [401, 401, 400, 400, 400, 400, 400, 403, 403, 403],
    ),
    (
        "PUT",
        "/api/v1/trips/beds/{id}",
        [401, 401, 400, 400, 400, 400, 400, 403, 403, 403],
    ),
    (
        "PUT",
        "/api/v1/trips/requests/{id}",
        [401, 401, 400, 400, 400, 400, 400, 403, 403, 403],
    ),
    (
        "POST",
        "/api/v1/trips/posts/{id}/cancel",
        [401, 401, 404, 404, 404, 404, 404, 403, 403, 403],
    ),
    (
        "POST",
        "/api/v1/trips/assignments/{id}/answer",
        [401, 401, 400, 400, 400, 400, 400, 403, 403, 403],
    ),
    (
        "GET",
        "/api/v1/trips/assignments/{id}/messages",
        [401, 401, 404, 404, 404, 404, 404, 403, 403, 403],
    ),
    (
        "POST",
        "/api/v1/trips/assignments/{id}/messages",
        [401, 401, 400, 400, 400, 400, 400, 403, 403, 403],
    ),
    (
        "GET",
        "/api/v1/trips/offices",
        [401, 401, 200, 200, 200, 200, 200, 403, 403, 403],
    ),
    (
        "PUT",
        "/api/v1/trips/offices/{id}/needs",
        [401, 401, 400, 400, 403, 400, 403, 403, 403, 403],
    ),
    (
        "POST",
        "/api/v1/trips/plan",
        [401, 401, 200, 200, 403, 200, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/api/v1/trips/assignments",
        [401, 401, 200, 200, 403, 200, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/trips",
        [303, 303, 200, 200, 200, 200, 200, 403, 403, 403],
    ),
    (
        "POST",
        "/trips/post/{kind}",
        [303, 303, 403, 403, 403, 403, 403, 403, 403, 403],
    ),
    (
        "POST",
        "/trips/posts/{id}/cancel",
        [303, 303, 403, 403, 403, 403, 403, 403, 403, 403],
    ),
    (
        "POST",
        "/trips/assignments/{id}/answer",
        [303, 303, 403, 403, 403, 403, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/trips/messages/{id}",
        [303, 303, 404, 404, 404, 404, 404, 403, 403, 403],
    ),
    (
        "POST",
        "/trips/messages/{id}",
        [303, 303, 403, 403, 403, 403, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/trips/offices",
        [303, 303, 200, 200, 403, 200, 403, 403, 403, 403],
    ),
    (
        "POST",
        "/trips/plan",
        [303, 303, 403, 403, 403, 403, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/static/tusk.css",
        [200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    ),
];

#[test]
fn every_route_is_in_the_matrix() {
    let mut routes: Vec<(&str, &str)> = server::ROUTES.iter().map(|r| (r.method, r.path)).collect();
    let mut expected: Vec<(&str, &str)> = EXPECT.iter().map(|e| (e.0, e.1)).collect();
    routes.sort();
    expected.sort();
    assert_eq!(
        routes, expected,
        "ROUTES and the matrix must list the same routes"
    );
}

#[test]
fn every_role_gets_exactly_what_it_may() {
    let f = sqlite();
    let rt = rt();
    rt.block_on(server::universes::build_now(&f.state)).unwrap();
    rt.block_on(server::turnout::build_now(&f.state)).unwrap();
    rt.block_on(server::matching::build_now(&f.state)).unwrap();
    let mut failures = Vec::new();
    for (method, path, want) in EXPECT {
        for (col, who) in WHO.iter().enumerate() {
            // Fresh sessions: logout in an earlier row must not affect later ones.
            let f2 = if *path == "/api/v1/logout" || *path == "/logout" || *method == "DELETE" {
                Some(sqlite())
            } else {
                None
            };
            let f = f2.as_ref().unwrap_or(&f);
            let id = if path.contains("donations") {
                f.donation
            } else if path.contains("volunteers") {
                f.volunteer
            } else if path.contains("/tags/") {
                f.tag
            } else if path.contains("/lists/") {
                f.list
            } else {
                f.a
            };
            let mut uri = path
                .replace("{person_id}", &f.a.to_string())
                .replace("{turf}", "1")
                .replace("{username}", "analyst")
                .replace("{kind}", "ride")
                .replace("{id}", &id.to_string());
            if *path == "/api/v1/people" {
                uri.push_str("?name=SMITH");
            }
            let token = f.tokens.get(who).map(String::as_str);
            let body = match (*method, *path) {
                ("POST", "/api/v1/login") => Some(("application/json", "{}".to_string())),
                ("POST", _) => Some(("application/x-www-form-urlencoded", String::new())),
                _ => None,
            };
            let got = rt.block_on(send(&f.app, req(method, &uri, token, body)));
            if got.status != want[col] {
                failures.push(format!(
                    "{method} {uri} as {who}: got {} want {} ({})",
                    got.status,
                    want[col],
                    got.body.chars().take(120).collect::<String>()
                ));
            }
            if uri.starts_with("/api/") && got.status >= 400 {
                let code = got.json()["code"].as_str().unwrap_or("").to_string();
                let row = server::ERRORS.iter().find(|e| e.0 == code);
                match row {
                    Some(e) if e.1 == got.status => {}
                    _ => failures.push(format!("{method} {uri} as {who}: error code {code:?} not in the table with status {}", got.status)),
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
