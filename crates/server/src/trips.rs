//! The trip planner over HTTP (issue 10): the board (`/api/v1/trips/…`, the `/trips` page,
//! phone-first) where volunteers offer rides and beds or ask for a trip, answer the plan's
//! proposals and message the people they are matched with; the offices' needs, the planner
//! and every assignment for trip managers (`/trips/offices`).
//!
//! Names and contact details stay hidden until every side of an assignment accepted
//! (`app::trips::itinerary`); the board shows towns, dates and restrictions only.

use app::accounts::Principal;
use app::trips::{self, BoardError, BoardFilter, Offer};
use askama::Template;
use auth::Permission;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::{principal, JsonBody, QueryOf};
use crate::error::{ApiError, ErrorBody};
use crate::pages::{error_page, form_csrf, nav, render, Nav};
use crate::{now_iso, now_secs, AppState, Who};

impl From<BoardError> for ApiError {
    fn from(e: BoardError) -> Self {
        match e {
            BoardError::Field { field, message } => {
                ApiError::field(field, format!("{field}: {message}"))
            }
            BoardError::NotFound(m) => ApiError::new("not_found", m),
            BoardError::Conflict(m) => ApiError::new("conflict", m),
            BoardError::RateLimited {
                message,
                retry_seconds,
            } => ApiError {
                retry_after: Some(retry_seconds),
                ..ApiError::new("rate_limited", message)
            },
            BoardError::Store(s) => s.into(),
            BoardError::File(f) => ApiError::field("file", f.to_string()),
        }
    }
}

/// The user behind a request and whether they manage every post (keys never use the
/// board). Organizers manage trips only in their regions (`regional`): they set their
/// offices' needs and answer for ownerless posts of assignments there, but do not change or
/// cancel other people's posts.
fn member(p: &Principal) -> Result<(i64, bool, String), ApiError> {
    match p {
        Principal::User { id, role, .. } => Ok((
            *id,
            p.allows(Permission::TripsManage) && role.reads_everyone(),
            p.actor(),
        )),
        Principal::Key { .. } => Err(ApiError::forbidden()),
    }
}

/// An organizer's counties when they manage trips within them; None for campaign-wide staff
/// (or those who do not manage trips).
fn regional(p: &Principal) -> Option<Vec<String>> {
    match p {
        Principal::User { role, regions, .. }
            if p.allows(Permission::TripsManage) && !role.reads_everyone() =>
        {
            Some(regions.clone())
        }
        _ => None,
    }
}

/// Whether `p` may answer for ownerless posts of `request`'s assignment: campaign-wide trip
/// managers always, organizers when its office is in their regions.
fn manages_request(
    st: &mut dyn store::Store,
    p_manager: bool,
    regions: &Option<Vec<String>>,
    request: &str,
) -> Result<bool, ApiError> {
    if p_manager {
        return Ok(true);
    }
    let Some(counties) = regions else {
        return Ok(false);
    };
    let Some(a) = store::trips::get_assignment(st.sql(), request)? else {
        return Ok(false);
    };
    Ok(trips::office_in(st.sql(), &a.office_id, counties)?)
}

fn hour_ago() -> String {
    model::date::timestamp_utc(now_secs() - 3600)
}

// ---- API bodies (the app's offers, with their schema) ----

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RideBody {
    /// How you want to be called once a match is accepted.
    #[schema(max_length = 100)]
    pub name: String,
    /// Phone or e-mail, shown to your travellers only once everyone accepted.
    #[serde(default)]
    #[schema(max_length = 100)]
    pub contact: String,
    #[schema(max_length = 100)]
    pub origin_city: String,
    /// Two letters.
    #[schema(min_length = 2, max_length = 2)]
    pub origin_state: String,
    /// Where you leave from; found from the city when not given.
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lon: Option<f64>,
    pub office_id: String,
    /// YYYY-MM-DD.
    pub date: String,
    /// HH:MM.
    pub depart_earliest: String,
    pub depart_latest: String,
    #[schema(minimum = 1, maximum = 8)]
    pub seats: u32,
    #[serde(default)]
    pub car: String,
    #[serde(default)]
    pub no_smoking: bool,
    #[serde(default)]
    pub no_pets: bool,
    #[serde(default)]
    pub no_children: bool,
    #[serde(default)]
    pub wheelchair_accessible: bool,
    #[serde(default)]
    pub return_date: Option<String>,
    /// Road km beyond your direct route you accept for pick-ups (default 30).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 300)]
    pub max_detour_km: Option<f64>,
}

impl From<RideBody> for trips::RideOffer {
    fn from(b: RideBody) -> Self {
        trips::RideOffer {
            name: b.name,
            contact: b.contact,
            origin_city: b.origin_city,
            origin_state: b.origin_state,
            lat: b.lat,
            lon: b.lon,
            office_id: b.office_id,
            date: b.date,
            depart_earliest: b.depart_earliest,
            depart_latest: b.depart_latest,
            seats: b.seats,
            car: b.car,
            no_smoking: b.no_smoking,
            no_pets: b.no_pets,
            no_children: b.no_children,
            wheelchair_accessible: b.wheelchair_accessible,
            return_date: b.return_date,
            max_detour_km: b.max_detour_km,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BedBody {
    #[schema(max_length = 100)]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 100)]
    pub contact: String,
    #[schema(max_length = 100)]
    pub city: String,
    #[schema(min_length = 2, max_length = 2)]
    pub state: String,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lon: Option<f64>,
    /// First night (check-in day), YYYY-MM-DD.
    pub from_date: String,
    /// Check-out day.
    pub to_date: String,
    #[schema(minimum = 1, maximum = 20)]
    pub beds: u32,
    #[serde(default)]
    pub no_smoking: bool,
    #[serde(default)]
    pub no_pets: bool,
    #[serde(default)]
    pub no_children: bool,
    #[serde(default)]
    pub wheelchair_accessible: bool,
}

impl From<BedBody> for trips::BedOffer {
    fn from(b: BedBody) -> Self {
        trips::BedOffer {
            name: b.name,
            contact: b.contact,
            city: b.city,
            state: b.state,
            lat: b.lat,
            lon: b.lon,
            from_date: b.from_date,
            to_date: b.to_date,
            beds: b.beds,
            no_smoking: b.no_smoking,
            no_pets: b.no_pets,
            no_children: b.no_children,
            wheelchair_accessible: b.wheelchair_accessible,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestBody {
    #[schema(max_length = 100)]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 100)]
    pub contact: String,
    #[schema(max_length = 100)]
    pub home_city: String,
    #[schema(min_length = 2, max_length = 2)]
    pub home_state: String,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lon: Option<f64>,
    /// The office you want to work at; none: wherever you are needed.
    #[serde(default)]
    pub office_id: Option<String>,
    /// First and last day you can work, YYYY-MM-DD.
    pub from_date: String,
    pub to_date: String,
    pub needs_ride: bool,
    pub needs_bed: bool,
    #[serde(default)]
    pub wheelchair: bool,
    #[serde(default)]
    pub smoker: bool,
    #[serde(default)]
    pub pet: bool,
    #[serde(default)]
    pub children: bool,
}

impl From<RequestBody> for trips::TravelRequest {
    fn from(b: RequestBody) -> Self {
        trips::TravelRequest {
            name: b.name,
            contact: b.contact,
            home_city: b.home_city,
            home_state: b.home_state,
            lat: b.lat,
            lon: b.lon,
            office_id: b.office_id.filter(|o| !o.is_empty()),
            from_date: b.from_date,
            to_date: b.to_date,
            needs_ride: b.needs_ride,
            needs_bed: b.needs_bed,
            wheelchair: b.wheelchair,
            smoker: b.smoker,
            pet: b.pet,
            children: b.children,
        }
    }
}

/// A post as its owner sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostBody {
    pub id: String,
    /// `ride`, `bed` or `request`.
    pub kind: String,
    /// `open` or `cancelled`.
    pub status: String,
    /// What was posted (coordinates filled in from the city).
    #[schema(value_type = Object)]
    pub offer: serde_json::Value,
    pub created_at: String,
    pub updated_at: String,
}

fn post_body(p: store::trips::Post) -> PostBody {
    PostBody {
        offer: serde_json::from_str(&p.body).unwrap_or(serde_json::Value::Null),
        id: p.id,
        kind: p.kind,
        status: p.status,
        created_at: p.created_at,
        updated_at: p.updated_at,
    }
}

async fn do_post(state: &AppState, who: &Who, offer: Offer) -> Result<Json<PostBody>, ApiError> {
    let (user, _, _) = member(&principal(who)?)?;
    let p = state
        .pool
        .run(move |st| Ok(trips::post(st.sql(), user, offer, &now_iso())?))
        .await?;
    Ok(Json(post_body(p)))
}

/// Offer a ride to a field office.
#[utoipa::path(post, path = "/api/v1/trips/rides", tag = "trips", request_body = RideBody,
    responses((status = 200, body = PostBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn ride_post(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    JsonBody(b): JsonBody<RideBody>,
) -> Result<Json<PostBody>, ApiError> {
    do_post(&state, &who, Offer::Ride(b.into())).await
}

/// Offer beds near a field office.
#[utoipa::path(post, path = "/api/v1/trips/beds", tag = "trips", request_body = BedBody,
    responses((status = 200, body = PostBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn bed_post(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    JsonBody(b): JsonBody<BedBody>,
) -> Result<Json<PostBody>, ApiError> {
    do_post(&state, &who, Offer::Bed(b.into())).await
}

/// Ask for a ride and/or a bed to work at a field office.
#[utoipa::path(post, path = "/api/v1/trips/requests", tag = "trips", request_body = RequestBody,
    responses((status = 200, body = PostBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn request_post(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    JsonBody(b): JsonBody<RequestBody>,
) -> Result<Json<PostBody>, ApiError> {
    do_post(&state, &who, Offer::Request(b.into())).await
}

async fn do_change(
    state: &AppState,
    who: &Who,
    id: String,
    offer: Offer,
) -> Result<Json<PostBody>, ApiError> {
    let (user, manager, _) = member(&principal(who)?)?;
    let p = state
        .pool
        .run(move |st| {
            Ok(trips::change(
                st.sql(),
                user,
                manager,
                &id,
                offer,
                &now_iso(),
            )?)
        })
        .await?;
    Ok(Json(post_body(p)))
}

/// Change your ride offer (its planned pick-ups are re-planned).
#[utoipa::path(put, path = "/api/v1/trips/rides/{id}", tag = "trips", request_body = RideBody,
    params(("id" = String, Path, description = "The post's id")),
    responses((status = 200, body = PostBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn ride_put(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<RideBody>,
) -> Result<Json<PostBody>, ApiError> {
    do_change(&state, &who, id, Offer::Ride(b.into())).await
}

/// Change your bed offer.
#[utoipa::path(put, path = "/api/v1/trips/beds/{id}", tag = "trips", request_body = BedBody,
    params(("id" = String, Path, description = "The post's id")),
    responses((status = 200, body = PostBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn bed_put(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<BedBody>,
) -> Result<Json<PostBody>, ApiError> {
    do_change(&state, &who, id, Offer::Bed(b.into())).await
}

/// Change your travel request.
#[utoipa::path(put, path = "/api/v1/trips/requests/{id}", tag = "trips", request_body = RequestBody,
    params(("id" = String, Path, description = "The post's id")),
    responses((status = 200, body = PostBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn request_put(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<RequestBody>,
) -> Result<Json<PostBody>, ApiError> {
    do_change(&state, &who, id, Offer::Request(b.into())).await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Cancelled {
    /// Assignments removed (to be planned again).
    pub assignments_removed: u64,
}

/// Cancel your post (a manager may cancel any).
#[utoipa::path(post, path = "/api/v1/trips/posts/{id}/cancel", tag = "trips",
    params(("id" = String, Path, description = "The post's id")),
    responses((status = 200, body = Cancelled), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
) -> Result<Json<Cancelled>, ApiError> {
    let (user, manager, _) = member(&principal(&who)?)?;
    let n = state
        .pool
        .run(move |st| Ok(trips::cancel(st.sql(), user, manager, &id, &now_iso())?))
        .await?;
    Ok(Json(Cancelled {
        assignments_removed: n,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BoardQuery {
    /// `ride`, `bed` or `request`.
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub office_id: Option<String>,
    /// Posts covering this day (YYYY-MM-DD).
    #[serde(default)]
    pub date: Option<String>,
    /// Two-letter state of the town.
    #[serde(default)]
    pub state: Option<String>,
}

impl From<BoardQuery> for BoardFilter {
    fn from(q: BoardQuery) -> Self {
        BoardFilter {
            kind: q.kind.filter(|s| !s.is_empty()),
            office_id: q.office_id.filter(|s| !s.is_empty()),
            date: q.date.filter(|s| !s.is_empty()),
            state: q.state.filter(|s| !s.is_empty()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BoardBody {
    /// Open posts: towns, dates, places and restrictions; never names or contacts.
    #[schema(value_type = Vec<Object>)]
    pub entries: Vec<trips::BoardEntry>,
}

/// The board: open rides, beds and requests (at most 500), filtered.
#[utoipa::path(get, path = "/api/v1/trips/board", tag = "trips", params(BoardQuery),
    responses((status = 200, body = BoardBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn board(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    QueryOf(q): QueryOf<BoardQuery>,
) -> Result<Json<BoardBody>, ApiError> {
    let (user, _, _) = member(&principal(&who)?)?;
    let f: BoardFilter = q.into();
    let entries = state
        .pool
        .run(move |st| Ok(trips::board(st.sql(), user, &f)?))
        .await?;
    Ok(Json(BoardBody { entries }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MineBody {
    pub posts: Vec<PostBody>,
    /// Each assignment that concerns you: where, when, with whom (once accepted), and why.
    #[schema(value_type = Vec<Object>)]
    pub itinerary: Vec<trips::ItineraryItem>,
}

/// Your posts and your itinerary.
#[utoipa::path(get, path = "/api/v1/trips/mine", tag = "trips",
    responses((status = 200, body = MineBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn mine(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
) -> Result<Json<MineBody>, ApiError> {
    let (user, _, _) = member(&principal(&who)?)?;
    let (posts, itinerary) = state
        .pool
        .run(move |st| Ok(trips::itinerary(st.sql(), user)?))
        .await?;
    Ok(Json(MineBody {
        posts: posts.into_iter().map(post_body).collect(),
        itinerary,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    pub accept: bool,
    /// The `planned_at` of the proposal you answer (from `GET /api/v1/trips/mine`): an
    /// answer to a proposal the planner has since replaced is refused (409).
    #[schema(max_length = 64)]
    pub planned_at: String,
    /// `traveller`, `driver` or `host`: needed only when you hold several sides (or, for a
    /// manager, to answer for a post imported without an owner).
    #[serde(default)]
    pub side: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerResult {
    /// The assignment now (none once declined).
    #[schema(value_type = Object)]
    pub assignment: Option<serde_json::Value>,
}

fn assignment_json(a: &store::trips::Assignment) -> serde_json::Value {
    serde_json::json!({
        "request_id": a.request_id,
        "office_id": a.office_id,
        "first_day": a.first_day,
        "last_day": a.last_day,
        "ride_id": a.ride_id,
        "pickup": a.pickup,
        "bed_id": a.bed_id,
        "traveller_ok": a.traveller_ok,
        "driver_ok": a.driver_ok,
        "host_ok": a.host_ok,
        "accepted": a.accepted(),
        "planned_at": a.planned_at,
    })
}

/// Accept or decline an assignment you are part of. A declined pairing is never proposed again.
#[utoipa::path(post, path = "/api/v1/trips/assignments/{id}/answer", tag = "trips", request_body = AnswerBody,
    params(("id" = String, Path, description = "The travel request's id")),
    responses((status = 200, body = AnswerResult), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn answer(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<AnswerBody>,
) -> Result<Json<AnswerResult>, ApiError> {
    let p = principal(&who)?;
    let (user, manager, actor) = member(&p)?;
    let regions = regional(&p);
    let a = state
        .pool
        .run(move |st| {
            let manager = manages_request(st, manager, &regions, &id)?;
            Ok(trips::answer(
                st.sql(),
                user,
                manager,
                &id,
                &b.planned_at,
                b.side.as_deref(),
                b.accept,
                &now_iso(),
                &actor,
            )?)
        })
        .await?;
    Ok(Json(AnswerResult {
        assignment: a.as_ref().map(assignment_json),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessagesBody {
    #[schema(value_type = Vec<Object>)]
    pub messages: Vec<trips::MessageView>,
}

/// Messages between the people of an assignment you are part of.
#[utoipa::path(get, path = "/api/v1/trips/assignments/{id}/messages", tag = "trips",
    params(("id" = String, Path, description = "The travel request's id")),
    responses((status = 200, body = MessagesBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn messages(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
) -> Result<Json<MessagesBody>, ApiError> {
    let (user, _, _) = member(&principal(&who)?)?;
    let messages = state
        .pool
        .run(move |st| Ok(trips::messages(st.sql(), user, &id)?))
        .await?;
    Ok(Json(MessagesBody { messages }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageBody {
    #[schema(min_length = 1, max_length = 1000)]
    pub body: String,
}

/// Send a message to the other people of your assignment (30 an hour at most).
#[utoipa::path(post, path = "/api/v1/trips/assignments/{id}/messages", tag = "trips", request_body = MessageBody,
    params(("id" = String, Path, description = "The travel request's id")),
    responses((status = 200, body = MessagesBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn message_post(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<MessageBody>,
) -> Result<Json<MessagesBody>, ApiError> {
    let (user, _, _) = member(&principal(&who)?)?;
    let messages = state
        .pool
        .run(move |st| {
            trips::send(st.sql(), user, &id, &b.body, &now_iso(), &hour_ago())?;
            Ok(trips::messages(st.sql(), user, &id)?)
        })
        .await?;
    Ok(Json(MessagesBody { messages }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OfficesBody {
    /// Offices, their need per day and how much of it the current plan covers.
    #[schema(value_type = Vec<Object>)]
    pub offices: Vec<trips::OfficeView>,
}

/// Field offices with their needs and coverage.
#[utoipa::path(get, path = "/api/v1/trips/offices", tag = "trips",
    responses((status = 200, body = OfficesBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn offices(State(state): State<AppState>) -> Result<Json<OfficesBody>, ApiError> {
    let offices = state
        .pool
        .run(move |st| Ok(trips::offices(st.sql())?))
        .await?;
    Ok(Json(OfficesBody { offices }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedDay {
    /// YYYY-MM-DD.
    pub date: String,
    /// Volunteers needed that day (0 removes the day).
    #[schema(minimum = 0, maximum = 100000)]
    pub shifts: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedsBody {
    #[schema(max_items = 366)]
    pub days: Vec<NeedDay>,
    /// The office's priority: a covered need-day counts this many times (1 to 10).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 10)]
    pub weight: Option<u32>,
}

/// Set an office's needs for some days (trip managers).
#[utoipa::path(put, path = "/api/v1/trips/offices/{id}/needs", tag = "trips", request_body = NeedsBody,
    params(("id" = String, Path, description = "The office's id")),
    responses((status = 200, body = OfficesBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn needs_put(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<NeedsBody>,
) -> Result<Json<OfficesBody>, ApiError> {
    let p = principal(&who)?;
    let actor = p.actor();
    let regions = regional(&p);
    let days: Vec<(String, i64)> = b.days.into_iter().map(|d| (d.date, d.shifts)).collect();
    let weight = b.weight;
    let offices = state
        .pool
        .run(move |st| {
            if let Some(counties) = &regions {
                if !trips::office_in(st.sql(), &id, counties)? {
                    return Err(ApiError::new(
                        "not_found",
                        format!("no field office {id} in your regions"),
                    ));
                }
            }
            trips::set_needs(st.sql(), &id, &days, weight, &now_iso(), &actor)?;
            Ok(trips::offices(st.sql())?)
        })
        .await?;
    Ok(Json(OfficesBody { offices }))
}

/// Run the planner over the open board (trip managers): accepted placements are kept,
/// proposals replaced. 409 when the board changed while planning (nothing written).
#[utoipa::path(post, path = "/api/v1/trips/plan", tag = "trips",
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn plan(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
) -> Result<Json<trips::PlanSummary>, ApiError> {
    let actor = principal(&who)?.actor();
    Ok(Json(
        state
            .pool
            .run(move |st| Ok(trips::run_plan(st.sql(), &now_iso(), &actor)?))
            .await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentsBody {
    /// Every assignment: ids, office, days, answers (no names).
    #[schema(value_type = Vec<Object>)]
    pub assignments: Vec<serde_json::Value>,
}

/// Every assignment of the current plan (trip managers).
#[utoipa::path(get, path = "/api/v1/trips/assignments", tag = "trips",
    responses((status = 200, body = AssignmentsBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn assignments(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
) -> Result<Json<AssignmentsBody>, ApiError> {
    let regions = regional(&principal(&who)?);
    let all = state
        .pool
        .run(move |st| {
            let all = store::trips::assignments(st.sql())?;
            Ok(match &regions {
                None => all,
                Some(counties) => {
                    let mut mine = Vec::new();
                    for a in all {
                        if trips::office_in(st.sql(), &a.office_id, counties)? {
                            mine.push(a);
                        }
                    }
                    mine
                }
            })
        })
        .await?;
    Ok(Json(AssignmentsBody {
        assignments: all.iter().map(assignment_json).collect(),
    }))
}

// ---- pages ----

#[derive(Template)]
#[template(path = "trips.html")]
struct TripsPage {
    nav: Option<Nav>,
    csrf: String,
    posts: Vec<(String, String, String, String)>,
    itinerary: Vec<trips::ItineraryItem>,
    board: Vec<trips::BoardEntry>,
    offices: Vec<(String, String)>,
    kind: String,
    office: String,
    date: String,
    manager: bool,
    filter_error: Option<String>,
}

/// A one-line summary of one's own post.
fn post_line(p: &store::trips::Post) -> String {
    let v: serde_json::Value = serde_json::from_str(&p.body).unwrap_or_default();
    let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
    match p.kind.as_str() {
        "ride" => format!(
            "Ride from {} on {} to {}, {} seats",
            s("origin_city"),
            s("date"),
            s("office_id"),
            v["seats"]
        ),
        "bed" => format!(
            "{} bed(s) in {}, {} to {}",
            v["beds"],
            s("city"),
            s("from_date"),
            s("to_date")
        ),
        _ => format!(
            "Trip from {} to {}, {} to {}",
            s("home_city"),
            v["office_id"].as_str().unwrap_or("any office"),
            s("from_date"),
            s("to_date")
        ),
    }
}

/// The volunteer's trip page: itinerary with answers, own posts, the three forms, the board.
pub async fn trips_page(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    QueryOf(q): QueryOf<BoardQuery>,
) -> Response {
    let Some(p) = who.0.clone() else {
        return Redirect::to("/login?next=/trips").into_response();
    };
    let (user, manager, _) = match member(&p) {
        Ok(x) => x,
        Err(e) => return error_page(&e, Some(&p)),
    };
    let (kind, office, date) = (
        q.kind.clone().unwrap_or_default(),
        q.office_id.clone().unwrap_or_default(),
        q.date.clone().unwrap_or_default(),
    );
    let f: BoardFilter = q.into();
    let got = state
        .pool
        .run(move |st| {
            let (posts, itinerary) = trips::itinerary(st.sql(), user)?;
            // A malformed filter is said on the page, not instead of it.
            let (board, filter_error) = match trips::board(st.sql(), user, &f) {
                Ok(b) => (b, None),
                Err(e @ BoardError::Field { .. }) => (Vec::new(), Some(e.to_string())),
                Err(e) => return Err(e.into()),
            };
            let offices = trips::offices(st.sql())?;
            Ok((posts, itinerary, board, offices, filter_error))
        })
        .await;
    match got {
        Ok((posts, itinerary, board, offices, filter_error)) => render(
            &TripsPage {
                nav: nav(Some(&p)),
                csrf: crate::pages::csrf_of(&p),
                posts: posts
                    .iter()
                    .map(|x| (x.id.clone(), x.kind.clone(), x.status.clone(), post_line(x)))
                    .collect(),
                itinerary,
                board,
                offices: offices.into_iter().map(|o| (o.id, o.name)).collect(),
                kind,
                office,
                date,
                manager: manager || p.allows(Permission::TripsManage),
                filter_error,
            },
            StatusCode::OK,
        ),
        Err(e) => error_page(&e, Some(&p)),
    }
}

/// A form's sender on the trip pages: signed in, CSRF checked, a user.
fn form_member(who: &Who, csrf: &str) -> Result<(Principal, i64, bool, String), Response> {
    let Some(p) = who.0.clone() else {
        return Err(Redirect::to("/login?next=/trips").into_response());
    };
    form_csrf(&p, csrf)?;
    match member(&p) {
        Ok((u, m, a)) => Ok((p, u, m, a)),
        Err(e) => Err(error_page(&e, Some(&p))),
    }
}

/// Runs a trip form's change and goes back to `to`, or shows the error page.
async fn trip_form<T: Send + 'static>(
    state: &AppState,
    who: &Who,
    csrf: &str,
    to: String,
    f: impl FnOnce(&mut dyn store::Store, i64, bool, String) -> Result<T, ApiError> + Send + 'static,
) -> Response {
    let (p, user, manager, actor) = match form_member(who, csrf) {
        Ok(x) => x,
        Err(refused) => return refused,
    };
    match state.pool.run(move |st| f(st, user, manager, actor)).await {
        Ok(_) => Redirect::to(&to).into_response(),
        Err(e) => error_page(&e, Some(&p)),
    }
}

fn checked(v: &Option<String>) -> bool {
    v.as_deref()
        .is_some_and(|x| x == "on" || x == "1" || x == "true")
}

fn opt_number(field: &'static str, v: &str) -> Result<Option<f64>, ApiError> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    v.parse()
        .map(Some)
        .map_err(|_| ApiError::field(field, format!("{field}: {v:?} is not a number")))
}

fn number<T: std::str::FromStr>(field: &'static str, v: &str) -> Result<T, ApiError> {
    v.trim()
        .parse()
        .map_err(|_| ApiError::field(field, format!("{field}: {v:?} is not a whole number")))
}

/// The page's form for every kind of post (fields of the other kinds are absent).
#[derive(Debug, Default, Deserialize)]
pub struct PostForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub contact: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub office_id: String,
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub depart_earliest: String,
    #[serde(default)]
    pub depart_latest: String,
    #[serde(default)]
    pub seats: String,
    #[serde(default)]
    pub car: String,
    #[serde(default)]
    pub return_date: String,
    #[serde(default)]
    pub max_detour_km: String,
    #[serde(default)]
    pub from_date: String,
    #[serde(default)]
    pub to_date: String,
    #[serde(default)]
    pub beds: String,
    #[serde(default)]
    pub no_smoking: Option<String>,
    #[serde(default)]
    pub no_pets: Option<String>,
    #[serde(default)]
    pub no_children: Option<String>,
    #[serde(default)]
    pub wheelchair_accessible: Option<String>,
    #[serde(default)]
    pub needs_ride: Option<String>,
    #[serde(default)]
    pub needs_bed: Option<String>,
    #[serde(default)]
    pub wheelchair: Option<String>,
    #[serde(default)]
    pub smoker: Option<String>,
    #[serde(default)]
    pub pet: Option<String>,
    #[serde(default)]
    pub children: Option<String>,
}

impl PostForm {
    fn offer(&self, kind: &str) -> Result<Offer, ApiError> {
        Ok(match kind {
            "ride" => Offer::Ride(trips::RideOffer {
                name: self.name.clone(),
                contact: self.contact.clone(),
                origin_city: self.city.clone(),
                origin_state: self.state.clone(),
                lat: None,
                lon: None,
                office_id: self.office_id.clone(),
                date: self.date.clone(),
                depart_earliest: self.depart_earliest.clone(),
                depart_latest: self.depart_latest.clone(),
                seats: number("seats", &self.seats)?,
                car: self.car.clone(),
                no_smoking: checked(&self.no_smoking),
                no_pets: checked(&self.no_pets),
                no_children: checked(&self.no_children),
                wheelchair_accessible: checked(&self.wheelchair_accessible),
                return_date: Some(self.return_date.clone()).filter(|d| !d.trim().is_empty()),
                max_detour_km: opt_number("max_detour_km", &self.max_detour_km)?,
            }),
            "bed" => Offer::Bed(trips::BedOffer {
                name: self.name.clone(),
                contact: self.contact.clone(),
                city: self.city.clone(),
                state: self.state.clone(),
                lat: None,
                lon: None,
                from_date: self.from_date.clone(),
                to_date: self.to_date.clone(),
                beds: number("beds", &self.beds)?,
                no_smoking: checked(&self.no_smoking),
                no_pets: checked(&self.no_pets),
                no_children: checked(&self.no_children),
                wheelchair_accessible: checked(&self.wheelchair_accessible),
            }),
            _ => Offer::Request(trips::TravelRequest {
                name: self.name.clone(),
                contact: self.contact.clone(),
                home_city: self.city.clone(),
                home_state: self.state.clone(),
                lat: None,
                lon: None,
                office_id: Some(self.office_id.clone()).filter(|o| !o.is_empty()),
                from_date: self.from_date.clone(),
                to_date: self.to_date.clone(),
                needs_ride: checked(&self.needs_ride),
                needs_bed: checked(&self.needs_bed),
                wheelchair: checked(&self.wheelchair),
                smoker: checked(&self.smoker),
                pet: checked(&self.pet),
                children: checked(&self.children),
            }),
        })
    }
}

/// Post a ride, a bed or a request from the page (`kind` in the path).
pub async fn post_form(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path(kind): Path<String>,
    Form(f): Form<PostForm>,
) -> Response {
    let csrf = f.csrf.clone();
    trip_form(
        &state,
        &who,
        &csrf,
        "/trips#mine".into(),
        move |st, user, _, _| {
            if !["ride", "bed", "request"].contains(&kind.as_str()) {
                return Err(ApiError::new("not_found", format!("no post kind {kind}")));
            }
            let offer = f.offer(&kind)?;
            Ok(trips::post(st.sql(), user, offer, &now_iso())?)
        },
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub accept: String,
    #[serde(default)]
    pub side: String,
    #[serde(default)]
    pub planned_at: String,
    #[serde(default)]
    pub body: String,
}

pub async fn cancel_form(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    trip_form(
        &state,
        &who,
        &f.csrf,
        "/trips#mine".into(),
        move |st, user, manager, _| Ok(trips::cancel(st.sql(), user, manager, &id, &now_iso())?),
    )
    .await
}

pub async fn answer_form(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let accept = f.accept == "1" || f.accept == "true";
    let side = Some(f.side).filter(|s| !s.is_empty());
    let regions = who.0.as_ref().and_then(regional);
    trip_form(
        &state,
        &who,
        &f.csrf,
        "/trips#itinerary".into(),
        move |st, user, manager, actor| {
            let manager = manages_request(st, manager, &regions, &id)?;
            Ok(trips::answer(
                st.sql(),
                user,
                manager,
                &id,
                &f.planned_at,
                side.as_deref(),
                accept,
                &now_iso(),
                &actor,
            )?)
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "trip_messages.html")]
struct MessagesPage {
    nav: Option<Nav>,
    csrf: String,
    request_id: String,
    messages: Vec<trips::MessageView>,
}

pub async fn messages_page(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
) -> Response {
    let Some(p) = who.0.clone() else {
        return Redirect::to("/login?next=/trips").into_response();
    };
    let user = match member(&p) {
        Ok(x) => x.0,
        Err(e) => return error_page(&e, Some(&p)),
    };
    let rid = id.clone();
    match state
        .pool
        .run(move |st| Ok(trips::messages(st.sql(), user, &rid)?))
        .await
    {
        Ok(messages) => render(
            &MessagesPage {
                nav: nav(Some(&p)),
                csrf: crate::pages::csrf_of(&p),
                request_id: id,
                messages,
            },
            StatusCode::OK,
        ),
        Err(e) => error_page(&e, Some(&p)),
    }
}

pub async fn message_form(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let to = format!("/trips/messages/{id}#last");
    trip_form(&state, &who, &f.csrf, to, move |st, user, _, _| {
        Ok(trips::send(
            st.sql(),
            user,
            &id,
            &f.body,
            &now_iso(),
            &hour_ago(),
        )?)
    })
    .await
}

#[derive(Template)]
#[template(path = "trip_offices.html")]
struct OfficesPage {
    nav: Option<Nav>,
    csrf: String,
    offices: Vec<trips::OfficeView>,
    assignments: usize,
    accepted: usize,
    summary: Option<trips::PlanSummary>,
}

async fn offices_page_with(
    state: &AppState,
    p: &Principal,
    summary: Option<trips::PlanSummary>,
) -> Response {
    let got = state
        .pool
        .run(move |st| {
            let o = trips::offices(st.sql())?;
            let a = store::trips::assignments(st.sql())?;
            Ok((o, a.len(), a.iter().filter(|x| x.accepted()).count()))
        })
        .await;
    match got {
        Ok((offices, assignments, accepted)) => render(
            &OfficesPage {
                nav: nav(Some(p)),
                csrf: crate::pages::csrf_of(p),
                offices,
                assignments,
                accepted,
                summary,
            },
            StatusCode::OK,
        ),
        Err(e) => error_page(&e, Some(p)),
    }
}

/// Trip managers: offices' needs against the plan, and the planner's button.
pub async fn offices_page(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
) -> Response {
    let Some(p) = who.0.clone() else {
        return Redirect::to("/login?next=/trips/offices").into_response();
    };
    offices_page_with(&state, &p, None).await
}

pub async fn plan_form(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let (p, _, _, actor) = match form_member(&who, &f.csrf) {
        Ok(x) => x,
        Err(refused) => return refused,
    };
    match state
        .pool
        .run(move |st| Ok(trips::run_plan(st.sql(), &now_iso(), &actor)?))
        .await
    {
        Ok(s) => offices_page_with(&state, &p, Some(s)).await,
        Err(e) => error_page(&e, Some(&p)),
    }
}
