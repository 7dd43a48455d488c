//! Election day over HTTP (issue 8): "has voted" reports from poll watchers and call-ins,
//! acknowledged only once durable; the turnout board and chase lists from memory.
//!
//! Resources of their own, so that a flood of reports cannot stop the rest of the server:
//! the journal writer has its own connection (on SQLite its own file) and thread, reports are
//! authenticated through a cache and a connection of their own, at most `in_flight_max`
//! report requests are handled at once and at most `queue_max` reports wait for the disk —
//! beyond either the answer is 503 with `Retry-After`, at once. The board and chase lists are
//! read from memory (`targeting::turnout::Board`), updated by the writer after each commit.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use app::accounts::Principal;
use app::turnout::{Reach, Rejected, ReportIn};
use auth::Role;
use axum::body::Bytes;
use axum::extract::State;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use store::sql::Sql;
use store::turnout::NewReport;
use targeting::turnout::{Board, ChaseRow, PrecinctRow, Status, Totals};
use tokio::sync::oneshot;
use utoipa::{IntoParams, ToSchema};

use crate::api::{principal, QueryOf};
use crate::error::{ApiError, ErrorBody};
use crate::{now_iso, now_secs, AppState, Who};

/// The ingest route (authenticated through the turnout module's own cache and connection).
pub const REPORTS_PATH: &str = "/api/v1/turnout/reports";
/// Reports waiting for the journal at most (default): beyond, 503 with `Retry-After`.
pub const REPORT_QUEUE_MAX: usize = 100_000;
/// Report requests handled at once at most (default): beyond, 503 with `Retry-After`.
pub const INGEST_IN_FLIGHT_MAX: usize = 1_024;
/// Reports in one group commit at most.
pub const WRITE_BATCH_MAX: usize = 20_000;
/// Largest body of a report request.
pub const REPORT_BODY_BYTES_MAX: usize = 256 * 1024;
/// Seconds an overloaded client is told to wait.
pub const OVERLOAD_RETRY_SECONDS: u64 = 1;
/// Seconds a client is told to wait while the board is first built.
pub const BOARD_RETRY_SECONDS: u64 = 5;
/// How often the board looks for new data (loads, scores) and watcher assignments.
pub const BOARD_REFRESH_SECONDS: u64 = 5;
/// How long an authenticated report token is trusted without asking the store again (a
/// disabled watcher can report for at most this long).
pub const AUTH_CACHE_SECONDS: u64 = 30;
/// Tokens the report authentication cache holds before it starts afresh.
const AUTH_CACHE_ENTRIES_MAX: usize = 200_000;
/// Longest county name in a query.
pub const COUNTY_LEN_MAX: usize = 64;
/// Reports in one page of the journal feed at most.
pub const FEED_PAGE_MAX: usize = 5_000;

/// Opens a connection to the journal.
pub type JournalOpener = dyn Fn() -> store::Result<Box<dyn Sql + Send>> + Send + Sync;

/// Limits of the ingest path (tests set small ones to provoke backpressure).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub queue_max: usize,
    pub in_flight_max: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            queue_max: REPORT_QUEUE_MAX,
            in_flight_max: INGEST_IN_FLIGHT_MAX,
        }
    }
}

type Reply = oneshot::Sender<Result<Vec<Option<i64>>, String>>;

struct Job {
    reports: Vec<NewReport>,
    reply: Reply,
}

/// The board as the server keeps it.
pub struct Live {
    pub board: Board,
    version: String,
    /// The election the board is for.
    pub election: Option<model::date::Date>,
    /// The journal is fully applied. At start the board takes reports as soon as the voters
    /// are read and replays the journal meanwhile (reports apply in any order): until then
    /// its counts are incomplete, and say so.
    pub complete: bool,
}

/// Journal reports applied per hold of the board's write lock while replaying at start.
const REPLAY_CHUNK: usize = 50_000;

pub struct Turnout {
    live: Arc<RwLock<Option<Live>>>,
    /// Held by the writer from a commit until its reports are on the board, and by a board
    /// build while it replays the journal's tail: no report is missed between the two.
    apply: Arc<Mutex<()>>,
    tx: mpsc::SyncSender<Job>,
    queued: Arc<AtomicUsize>,
    in_flight: Arc<tokio::sync::Semaphore>,
    limits: Limits,
    open_journal: Arc<JournalOpener>,
    reader: Arc<Mutex<Option<Box<dyn Sql + Send>>>>,
    auth_pool: crate::StorePool,
    auth_cache: Mutex<HashMap<String, (Principal, Instant)>>,
    building: AtomicBool,
}

impl Turnout {
    /// Starts the journal writer on a connection of its own.
    pub fn start(
        open_journal: Arc<JournalOpener>,
        auth_pool: crate::StorePool,
        limits: Limits,
    ) -> store::Result<Turnout> {
        let journal = open_journal()?;
        let live: Arc<RwLock<Option<Live>>> = Arc::default();
        let apply: Arc<Mutex<()>> = Arc::default();
        let queued: Arc<AtomicUsize> = Arc::default();
        let (tx, rx) = mpsc::sync_channel::<Job>(limits.queue_max.max(1));
        let (l, a, q) = (live.clone(), apply.clone(), queued.clone());
        std::thread::Builder::new()
            .name("tusk-turnout".into())
            .spawn({
                let open = open_journal.clone();
                move || write_loop(journal, &*open, rx, l, a, q)
            })
            .map_err(|e| store::StoreError::Backend(format!("start the journal writer: {e}")))?;
        Ok(Turnout {
            live,
            apply,
            tx,
            queued,
            in_flight: Arc::new(tokio::sync::Semaphore::new(limits.in_flight_max.max(1))),
            limits,
            open_journal,
            reader: Arc::default(),
            auth_pool,
            auth_cache: Mutex::default(),
            building: AtomicBool::new(false),
        })
    }

    /// Authenticates a report request: the cache, else the turnout module's own connection.
    pub async fn authenticate(&self, token: &str) -> Result<Option<Principal>, ApiError> {
        let key = auth::token_hash(token);
        if let Some((p, at)) = self
            .auth_cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            if at.elapsed() < Duration::from_secs(AUTH_CACHE_SECONDS) {
                return Ok(Some(p.clone()));
            }
        }
        let t = token.to_string();
        let p = self
            .auth_pool
            .run(move |s| Ok(app::accounts::authenticate(s, &t, now_secs()).ok()))
            .await?;
        if let Some(p) = &p {
            let mut c = self.auth_cache.lock().unwrap_or_else(|p| p.into_inner());
            if c.len() >= AUTH_CACHE_ENTRIES_MAX {
                c.clear();
            }
            c.insert(key, (p.clone(), Instant::now()));
        }
        Ok(p)
    }

    /// Forgets a token (sign-out).
    pub fn forget(&self, token: &str) {
        self.auth_cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&auth::token_hash(token));
    }

    /// Runs `f` on the board, if it is built.
    pub fn with_live<T>(&self, f: impl FnOnce(&Live) -> T) -> Option<T> {
        self.live
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(f)
    }

    /// Reads the journal on its reader connection (off the async workers).
    async fn read_journal<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn Sql) -> store::Result<T> + Send + 'static,
    ) -> Result<T, ApiError> {
        let reader = self.reader.clone();
        let open = self.open_journal.clone();
        tokio::task::spawn_blocking(move || {
            let mut g = reader.lock().unwrap_or_else(|p| p.into_inner());
            if g.is_none() {
                *g = Some(open()?);
            }
            let r = f(&mut **g.as_mut().expect("opened"));
            if r.is_err() {
                // A broken connection is opened afresh next time.
                *g = None;
            }
            r
        })
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::from)
    }
}

fn write_loop(
    mut journal: Box<dyn Sql + Send>,
    open: &JournalOpener,
    rx: mpsc::Receiver<Job>,
    live: Arc<RwLock<Option<Live>>>,
    apply: Arc<Mutex<()>>,
    queued: Arc<AtomicUsize>,
) {
    // After a failed append the commit may have happened all the same (an error on COMMIT's
    // answer): the next good append first replays the journal into the board.
    let mut resync = false;
    while let Ok(first) = rx.recv() {
        let mut n = first.reports.len();
        let mut jobs = vec![first];
        while n < WRITE_BATCH_MAX {
            match rx.try_recv() {
                Ok(j) => {
                    n += j.reports.len();
                    jobs.push(j);
                }
                Err(_) => break,
            }
        }
        let all: Vec<NewReport> = jobs
            .iter()
            .flat_map(|j| j.reports.iter().cloned())
            .collect();
        let guard = apply.lock().unwrap_or_else(|p| p.into_inner());
        let result = store::turnout::append(&mut *journal, &all).map_err(|e| e.to_string());
        if let Ok(seqs) = &result {
            let now = now_secs();
            if let Some(l) = live.write().unwrap_or_else(|p| p.into_inner()).as_mut() {
                if resync {
                    match app::turnout::replay(&mut *journal, &mut l.board) {
                        Ok(_) => resync = false,
                        Err(e) => tracing::error!(error = %e, "journal resync failed"),
                    }
                }
                for (r, s) in all.iter().zip(seqs) {
                    if let Some(s) = s {
                        let status = Status::parse(&r.status).unwrap_or(Status::Voted);
                        l.board.apply(*s, &r.voter_id, status, now);
                    }
                }
            }
        } else if let Err(e) = &result {
            tracing::error!(error = %e, reports = all.len(), "journal append failed");
            // Nothing was acknowledged. A fresh connection for the next batch (a dropped
            // PostgreSQL link, a SQLite transaction left open by a failed COMMIT).
            resync = true;
            match open() {
                Ok(j) => journal = j,
                Err(e) => tracing::error!(error = %e, "journal reconnect failed"),
            }
        }
        drop(guard);
        queued.fetch_sub(n, Ordering::SeqCst);
        let mut at = 0;
        for j in jobs {
            let k = j.reports.len();
            let part = result
                .as_ref()
                .map(|s| s[at..at + k].to_vec())
                .map_err(Clone::clone);
            at += k;
            let _ = j.reply.send(part);
        }
    }
}

/// Builds the board in the background (at start and when the data changed).
pub fn rebuild(state: &AppState) {
    let t = &state.turnout;
    if t.building.swap(true, Ordering::SeqCst) {
        return;
    }
    let state = state.clone();
    tokio::spawn(async move {
        let started = Instant::now();
        let r = build(&state).await;
        match r {
            Ok(n) => tracing::info!(
                voters = n,
                seconds = started.elapsed().as_secs_f64(),
                "turnout board built"
            ),
            Err(e) => tracing::error!(code = e.code, "turnout board build failed"),
        }
        state.turnout.building.store(false, Ordering::SeqCst);
    });
}

async fn build(state: &AppState) -> Result<usize, ApiError> {
    let (mut board, version, election, watchers) = state
        .pool
        .run(|s| {
            let version = app::turnout::data_version(s.sql())?;
            let election = app::turnout::election(s.sql());
            let board = app::turnout::load_board(s.sql(), election)?;
            let watchers = app::turnout::watchers(s.sql())?;
            Ok((board, version, election, watchers))
        })
        .await?;
    let t = state.turnout.clone_handles();
    tokio::task::spawn_blocking(move || -> store::Result<usize> {
        let mut journal = (t.open)()?;
        board.set_watchers(&watchers);
        let n = board.len();
        let first = t.live.read().unwrap_or_else(|p| p.into_inner()).is_none();
        if first {
            // At start: take reports at once, replay the journal meanwhile. Installed under
            // the writer's lock, so every report committed before is in the replay below and
            // every one after is applied by the writer (applying twice changes nothing).
            {
                let _g = t.apply.lock().unwrap_or_else(|p| p.into_inner());
                *t.live.write().unwrap_or_else(|p| p.into_inner()) = Some(Live {
                    board,
                    version,
                    election,
                    complete: false,
                });
            }
            let mut chunk: Vec<(i64, String, Status, i64)> = Vec::with_capacity(REPLAY_CHUNK);
            let apply = |chunk: &mut Vec<(i64, String, Status, i64)>| {
                if let Some(l) = t.live.write().unwrap_or_else(|p| p.into_inner()).as_mut() {
                    for (seq, voter, status, at) in chunk.drain(..) {
                        l.board.apply(seq, &voter, status, at);
                    }
                }
            };
            store::turnout::each_status_after(&mut *journal, 0, &mut |seq, voter, status, at| {
                chunk.push((
                    seq,
                    voter.to_string(),
                    Status::parse(status).unwrap_or(Status::Voted),
                    app::turnout::seconds_of(at),
                ));
                if chunk.len() >= REPLAY_CHUNK {
                    apply(&mut chunk);
                }
                Ok(())
            })?;
            apply(&mut chunk);
            if let Some(l) = t.live.write().unwrap_or_else(|p| p.into_inner()).as_mut() {
                l.complete = true;
            }
            return Ok(n);
        }
        // A rebuild while serving: the old board answers until the new one is complete.
        // Most of the journal without holding up the writer, then the tail under the lock.
        app::turnout::replay(&mut *journal, &mut board)?;
        let _g = t.apply.lock().unwrap_or_else(|p| p.into_inner());
        app::turnout::replay(&mut *journal, &mut board)?;
        *t.live.write().unwrap_or_else(|p| p.into_inner()) = Some(Live {
            board,
            version,
            election,
            complete: true,
        });
        Ok(n)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::from)
}

struct Handles {
    open: Arc<JournalOpener>,
    apply: Arc<Mutex<()>>,
    live: Arc<RwLock<Option<Live>>>,
}

impl Turnout {
    fn clone_handles(&self) -> Handles {
        Handles {
            open: self.open_journal.clone(),
            apply: self.apply.clone(),
            live: self.live.clone(),
        }
    }
}

/// Builds the board now and waits (tests, bench).
pub async fn build_now(state: &AppState) -> Result<(), ApiError> {
    build(state).await.map(|_| ())
}

/// Every `BOARD_REFRESH_SECONDS`: rebuild when the data changed, else refresh the watchers.
pub fn spawn_refresh(state: &AppState) {
    rebuild(state);
    let st = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(BOARD_REFRESH_SECONDS));
        loop {
            tick.tick().await;
            let r = st
                .pool
                .run(|s| {
                    Ok((
                        app::turnout::data_version(s.sql())?,
                        app::turnout::watchers(s.sql())?,
                    ))
                })
                .await;
            let Ok((version, watchers)) = r else { continue };
            let stale = st
                .turnout
                .with_live(|l| l.version != version || !l.complete);
            if stale != Some(false) {
                rebuild(&st);
            } else if let Some(l) = st
                .turnout
                .live
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .as_mut()
            {
                l.board.set_watchers(&watchers);
            }
        }
    });
}

/// A chase list's `limit`: 1 to `CHASE_ROWS_MAX`.
fn check_chase_limit(limit: usize) -> Result<(), ApiError> {
    if (1..=targeting::turnout::CHASE_ROWS_MAX).contains(&limit) {
        Ok(())
    } else {
        Err(ApiError::field(
            "limit",
            format!("use 1 to {}", targeting::turnout::CHASE_ROWS_MAX),
        ))
    }
}

/// The board is not built yet (the server has just started).
fn starting() -> ApiError {
    busy(
        "the voter rolls are being read into memory: retry in a few seconds",
        BOARD_RETRY_SECONDS,
    )
}

/// Writes the audit record of a read of personal data; the answer may leave only after.
async fn audit_read(
    state: &AppState,
    p: &Principal,
    action: &str,
    target: String,
    rows: usize,
) -> Result<(), ApiError> {
    state
        .audit
        .write(store::accounts::AuditRecord {
            at: now_iso(),
            actor: p.actor(),
            action: action.into(),
            target,
            detail: serde_json::json!({ "rows": rows }),
        })
        .await
}

fn busy(message: &str, seconds: u64) -> ApiError {
    ApiError {
        retry_after: Some(seconds),
        ..ApiError::new("unavailable", message)
    }
}

/// Whom a principal may report on (route access is already checked).
fn reach_of(p: &Principal) -> Reach {
    match p {
        Principal::Key { .. } => Reach::All,
        Principal::User { role, regions, .. } => match role {
            Role::PollWatcher => Reach::Precincts(
                regions
                    .iter()
                    .filter_map(|r| app::turnout::parse_precinct_region(r))
                    .collect(),
            ),
            Role::Organizer => Reach::Counties(regions.clone()),
            _ => Reach::All,
        },
    }
}

/// Which counties a principal may read the board of (`None`: all).
fn read_counties(p: &Principal) -> Option<Vec<String>> {
    match p {
        Principal::User {
            role: Role::Organizer,
            regions,
            ..
        } => Some(regions.iter().map(|r| r.to_uppercase()).collect()),
        _ => None,
    }
}

/// A report, or a batch of them.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ReportsBody {
    Batch {
        /// 1 to 1,000 reports.
        reports: Vec<ReportBody>,
    },
    One(ReportBody),
}

/// One "has voted" report.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportBody {
    /// Generated by the client, unique per report (a UUID is fine): sending it again never
    /// counts twice. 1 to 64 of `A-Z a-z 0-9 . _ : -`. (The fields are checked per report:
    /// in a batch a report that breaks a rule is answered `rejected` with the field, and the
    /// others are taken.)
    pub client_id: String,
    /// The state's voter id (NC: NCID), as on the roster: 1 to 32 characters.
    pub voter_id: String,
    /// `voted` (default) or `not_voted` (takes an earlier report back).
    #[serde(default)]
    pub status: Option<String>,
    /// `watcher` (default) or `call` (a call-in).
    #[serde(default)]
    pub source: Option<String>,
    /// When it was seen, by the client's clock (RFC 3339, at most 40 characters).
    #[serde(default)]
    pub observed_at: Option<String>,
}

impl From<ReportBody> for ReportIn {
    fn from(b: ReportBody) -> Self {
        ReportIn {
            client_id: b.client_id,
            voter_id: b.voter_id,
            status: b.status,
            source: b.source,
            observed_at: b.observed_at,
        }
    }
}

/// What became of one report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportResult {
    pub client_id: String,
    /// `accepted` (new, durable), `duplicate` (this client id was already durable: nothing
    /// changed) or `rejected` (never retry it as it is: `field` and `reason` say why).
    pub status: &'static str,
    /// The journal's sequence number (accepted reports).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportsAnswer {
    pub accepted: usize,
    pub duplicates: usize,
    pub rejected: usize,
    /// One per report sent, in order.
    pub results: Vec<ReportResult>,
}

/// Either form of the body, read in one pass (a batch, or one report's fields).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnyBody {
    #[serde(default)]
    reports: Option<Vec<ReportBody>>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    voter_id: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    observed_at: Option<String>,
}

fn parse_body(bytes: &[u8]) -> Result<(Vec<ReportIn>, bool), ApiError> {
    let b: AnyBody = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::new(
            "invalid_json",
            format!("{e}: send {{\"client_id\", \"voter_id\"}} or {{\"reports\": […]}}"),
        )
    })?;
    let single = b.client_id.is_some()
        || b.voter_id.is_some()
        || b.status.is_some()
        || b.source.is_some()
        || b.observed_at.is_some();
    let (items, batch) = match (b.reports, single) {
        (Some(_), true) => {
            return Err(ApiError::new(
                "invalid_json",
                "send one report's fields or {\"reports\": […]}, not both",
            ))
        }
        (Some(items), false) => (items, true),
        (None, _) => {
            let (Some(client_id), Some(voter_id)) = (b.client_id, b.voter_id) else {
                return Err(ApiError::new(
                    "invalid_json",
                    "a report needs client_id and voter_id (or send {\"reports\": […]})",
                ));
            };
            (
                vec![ReportBody {
                    client_id,
                    voter_id,
                    status: b.status,
                    source: b.source,
                    observed_at: b.observed_at,
                }],
                false,
            )
        }
    };
    if items.is_empty() || items.len() > app::turnout::REPORT_BATCH_MAX {
        return Err(ApiError::field(
            "reports",
            format!(
                "send 1 to {} reports per request",
                app::turnout::REPORT_BATCH_MAX
            ),
        ));
    }
    Ok((items.into_iter().map(ReportIn::from).collect(), batch))
}

/// Report who has voted: one report or a batch. The answer comes only once the accepted
/// reports are durable; each report's client id makes retries safe.
#[utoipa::path(post, path = "/api/v1/turnout/reports", tag = "turnout",
    request_body = ReportsBody,
    responses((status = 200, body = ReportsAnswer), (status = 400, body = ErrorBody),
        (status = 503, body = ErrorBody, description = "overloaded or starting: retry after `Retry-After` seconds")))]
pub async fn post_reports(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    body: Bytes,
) -> Result<Json<ReportsAnswer>, ApiError> {
    let t = &state.turnout;
    let Ok(_permit) = t.in_flight.clone().try_acquire_owned() else {
        return Err(busy(
            "too many reports at once: retry after the time given",
            OVERLOAD_RETRY_SECONDS,
        ));
    };
    let p = principal(&who)?;
    let (reports, batch) = parse_body(&body)?;
    let reach = reach_of(&p);
    let received = now_iso();
    let actor = p.actor();
    let checked =
        t.with_live(|l| app::turnout::check(&l.board, &reach, &actor, &received, &reports));
    let Some((ok, bad)) = checked else {
        rebuild(&state);
        return Err(starting());
    };
    if !batch && !bad.is_empty() {
        let b = &bad[0];
        return Err(ApiError::field(b.field, b.reason.clone()));
    }
    let n = ok.len();
    let seqs = if n == 0 {
        Vec::new()
    } else {
        if t.queued.fetch_add(n, Ordering::SeqCst) + n > t.limits.queue_max {
            t.queued.fetch_sub(n, Ordering::SeqCst);
            return Err(busy(
                "the journal is behind: retry after the time given",
                OVERLOAD_RETRY_SECONDS,
            ));
        }
        let (reply, done) = oneshot::channel();
        let job = Job {
            reports: ok.iter().map(|(_, r)| r.clone()).collect(),
            reply,
        };
        if let Err(e) = t.tx.try_send(job) {
            t.queued.fetch_sub(n, Ordering::SeqCst);
            return Err(match e {
                mpsc::TrySendError::Full(_) => busy(
                    "the journal is behind: retry after the time given",
                    OVERLOAD_RETRY_SECONDS,
                ),
                mpsc::TrySendError::Disconnected(_) => {
                    ApiError::internal("the journal writer stopped")
                }
            });
        }
        done.await
            .map_err(|_| ApiError::internal("the journal writer stopped"))?
            .map_err(|e| {
                tracing::error!(error = %e, "reports not written");
                busy("the journal could not write: retry", OVERLOAD_RETRY_SECONDS)
            })?
    };
    Ok(Json(answer(&reports, &ok, &seqs, bad)))
}

fn answer(
    reports: &[ReportIn],
    ok: &[(usize, NewReport)],
    seqs: &[Option<i64>],
    bad: Vec<Rejected>,
) -> ReportsAnswer {
    let mut results: Vec<Option<ReportResult>> = reports.iter().map(|_| None).collect();
    let (mut accepted, mut duplicates) = (0, 0);
    for ((i, r), s) in ok.iter().zip(seqs) {
        if s.is_some() {
            accepted += 1;
        } else {
            duplicates += 1;
        }
        results[*i] = Some(ReportResult {
            client_id: r.client_id.clone(),
            status: if s.is_some() { "accepted" } else { "duplicate" },
            seq: *s,
            field: None,
            reason: None,
        });
    }
    let rejected = bad.len();
    for b in bad {
        results[b.index] = Some(ReportResult {
            client_id: b.client_id,
            status: "rejected",
            seq: None,
            field: Some(b.field),
            reason: Some(b.reason),
        });
    }
    ReportsAnswer {
        accepted,
        duplicates,
        rejected,
        results: results.into_iter().flatten().collect(),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// Reports after this journal sequence number (0: from the start).
    #[serde(default)]
    #[param(minimum = 0)]
    pub after: Option<i64>,
    /// 1 to 5,000 (default 1,000).
    #[serde(default)]
    #[param(minimum = 1, maximum = 5000)]
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeedPage {
    #[schema(value_type = Vec<Object>)]
    pub reports: Vec<store::turnout::Report>,
    /// Pass as `after` for the next page.
    pub next_after: i64,
}

/// The journal in order: every report received (for integrations and audits).
#[utoipa::path(get, path = "/api/v1/turnout/reports", tag = "turnout", params(FeedQuery),
    responses((status = 200, body = FeedPage), (status = 400, body = ErrorBody)))]
pub async fn feed(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    QueryOf(q): QueryOf<FeedQuery>,
) -> Result<Json<FeedPage>, ApiError> {
    let p = principal(&who)?;
    let after = q.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::field("after", "use 0 or a sequence number"));
    }
    let limit = q.limit.unwrap_or(1_000);
    if !(1..=FEED_PAGE_MAX).contains(&limit) {
        return Err(ApiError::field(
            "limit",
            format!("use 1 to {FEED_PAGE_MAX}"),
        ));
    }
    let counties = read_counties(&p);
    let mut reports = state
        .turnout
        .read_journal(move |j| store::turnout::page(j, after, limit))
        .await?;
    let next_after = reports.last().map_or(after, |r| r.seq);
    if let Some(cs) = counties {
        reports.retain(|r| cs.iter().any(|c| c.eq_ignore_ascii_case(&r.county)));
    }
    state
        .audit
        .write(store::accounts::AuditRecord {
            at: now_iso(),
            actor: p.actor(),
            action: "turnout.feed".into(),
            target: String::new(),
            detail: serde_json::json!({ "after": after, "rows": reports.len() }),
        })
        .await?;
    Ok(Json(FeedPage {
        reports,
        next_after,
    }))
}

/// Minutes the polls are open (NC: 6:30 to 19:30).
pub const POLLS_OPEN_MINUTES: f64 = 780.0;
/// When the polls open, minutes after midnight, local time.
pub const POLLS_OPEN_AT_MINUTES: i64 = 6 * 60 + 30;
/// The state's offset from UTC on election day, minutes (NC in November: Eastern Standard
/// Time).
pub const POLLS_UTC_OFFSET_MINUTES: i64 = -5 * 60;

/// Share of the election-day vote expected by `now` on `election` day (before: 0; after: 1).
pub fn day_share_at(election: Option<model::date::Date>, now: i64) -> f64 {
    let Some(e) = election else { return 1.0 };
    let opens = e.to_days() * 86_400 + (POLLS_OPEN_AT_MINUTES - POLLS_UTC_OFFSET_MINUTES) * 60;
    let minutes = (now - opens) as f64 / 60.0;
    if minutes < 0.0 {
        0.0
    } else {
        targeting::turnout::day_share(minutes, POLLS_OPEN_MINUTES)
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BoardQuery {
    /// One county's precincts (default: the totals per county only).
    #[serde(default)]
    #[param(max_length = 64)]
    pub county: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BoardAnswer {
    pub election: Option<String>,
    /// False while the journal is still being read after a start: counts are incomplete.
    pub complete: bool,
    /// Share of the election-day vote expected by now (the assumed day curve).
    pub day_share: f64,
    /// The newest journal report on the board.
    pub applied_seq: i64,
    /// Per county, then "all" (last).
    #[schema(value_type = Vec<Object>)]
    pub totals: Vec<Totals>,
    /// The county's precincts, when one is asked for.
    #[schema(value_type = Vec<Object>)]
    pub precincts: Vec<PrecinctRow>,
    /// Precincts with a watcher that have gone silent.
    #[schema(value_type = Vec<Object>)]
    pub silent: Vec<PrecinctRow>,
}

/// The turnout board: turnout so far against the model's expectation, per county (and per
/// precinct of one county), with reporting coverage and silent precincts.
#[utoipa::path(get, path = "/api/v1/turnout/board", tag = "turnout", params(BoardQuery),
    responses((status = 200, body = BoardAnswer), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn board(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    QueryOf(q): QueryOf<BoardQuery>,
) -> Result<Json<BoardAnswer>, ApiError> {
    let p = principal(&who)?;
    board_answer(&state, &p, q.county.as_deref()).map(Json)
}

pub(crate) fn board_answer(
    state: &AppState,
    p: &Principal,
    county: Option<&str>,
) -> Result<BoardAnswer, ApiError> {
    let allowed = read_counties(p);
    if county.is_some_and(|c| c.len() > COUNTY_LEN_MAX) {
        return Err(ApiError::field(
            "county",
            format!("a county name has at most {COUNTY_LEN_MAX} characters"),
        ));
    }
    let county = county
        .map(|c| c.trim().to_uppercase())
        .filter(|c| !c.is_empty());
    if let (Some(c), Some(cs)) = (&county, &allowed) {
        if !cs.contains(c) {
            return Err(ApiError::not_found("county"));
        }
    }
    let now = now_secs();
    let ans = state.turnout.with_live(|l| {
        let share = day_share_at(l.election, now);
        let polls_open_for = (share > 0.0).then(|| {
            now - l.election.map_or(0, |e| {
                e.to_days() * 86_400 + (POLLS_OPEN_AT_MINUTES - POLLS_UTC_OFFSET_MINUTES) * 60
            })
        });
        let mut rows = l.board.precincts(None, now, share);
        if let Some(cs) = &allowed {
            rows.retain(|r| cs.contains(&r.county));
        }
        // Before the polls have been open for the silence window, nobody is silent yet.
        if polls_open_for.is_none_or(|s| s < targeting::turnout::SILENT_PRECINCT_SECONDS) {
            for r in &mut rows {
                r.silent = false;
            }
        }
        let totals = l.board.totals(&rows);
        let silent: Vec<PrecinctRow> = rows.iter().filter(|r| r.silent).cloned().collect();
        let precincts = match &county {
            Some(c) => rows.into_iter().filter(|r| &r.county == c).collect(),
            None => Vec::new(),
        };
        BoardAnswer {
            complete: l.complete,
            election: l.election.map(|e| e.to_string()),
            day_share: share,
            applied_seq: l.board.applied_seq,
            totals,
            precincts,
            silent,
        }
    });
    match ans {
        Some(a) => Ok(a),
        None => {
            rebuild(state);
            Err(starting())
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChaseQuery {
    /// A precinct's list: its county and code.
    #[serde(default)]
    #[param(min_length = 1, max_length = 64)]
    pub county: Option<String>,
    #[serde(default)]
    #[param(min_length = 1, max_length = 32)]
    pub precinct: Option<String>,
    /// Or a turf's list: the cut and the turf number (the turf's people, in their
    /// registrations' precincts).
    #[serde(default)]
    #[param(minimum = 1)]
    pub cut: Option<i64>,
    #[serde(default)]
    #[param(minimum = 1)]
    pub turf: Option<u32>,
    /// 1 to 1,000 (default 200).
    #[serde(default)]
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
}

/// One person to chase, with what a caller or canvasser needs.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChaseEntry {
    pub voter_id: String,
    pub person_id: Option<i64>,
    pub name: String,
    pub address: String,
    pub phone: String,
    pub support: f32,
    pub turnout: Option<f32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChaseAnswer {
    /// False while the journal is still being read after a start: some people on the list
    /// may have voted.
    pub complete: bool,
    /// The precinct's county and code, or "" for a turf's list.
    pub county: String,
    pub precinct: String,
    /// The turf's cut and number, for a turf's list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cut: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub turf: Option<u32>,
    /// Supporters in the precinct who have not voted yet (all of them, not only this page).
    pub remaining: u32,
    pub applied_seq: i64,
    pub people: Vec<ChaseEntry>,
}

/// A precinct's or a turf's chase list: supporters who have not voted yet, best first
/// (support, then turnout score). Reflects a report as soon as it is acknowledged.
#[utoipa::path(get, path = "/api/v1/turnout/chase", tag = "turnout", params(ChaseQuery),
    responses((status = 200, body = ChaseAnswer), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn chase(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    QueryOf(q): QueryOf<ChaseQuery>,
) -> Result<Json<ChaseAnswer>, ApiError> {
    let p = principal(&who)?;
    let limit = q.limit.unwrap_or(200);
    match (q.cut, q.turf, q.county, q.precinct) {
        (Some(cut), Some(turf), _, _) => chase_turf(&state, &p, cut, turf, limit).await,
        (None, None, Some(c), Some(pr)) => chase_answer(&state, &p, &c, &pr, limit).await,
        _ => Err(ApiError::field(
            "precinct",
            "give county and precinct, or cut and turf",
        )),
    }
    .map(Json)
}

/// A turf's chase list: the turf's people (the cut must be one the principal may see).
async fn chase_turf(
    state: &AppState,
    p: &Principal,
    cut: i64,
    turf: u32,
    limit: usize,
) -> Result<ChaseAnswer, ApiError> {
    check_chase_limit(limit)?;
    let scope = p.people_scope();
    let people = state
        .pool
        .run(move |s| {
            if app::turfs::get(s.sql(), cut, &scope)?.is_none() {
                return Err(ApiError::not_found("turf cut"));
            }
            let mut ids: Vec<i64> = app::turfs::stops(s.sql(), cut, Some(turf))?
                .into_iter()
                .map(|st| st.3)
                .collect();
            if !matches!(scope, store::people::Scope::All) {
                let ok = store::people::admitted(s.sql(), &ids, &scope)?;
                ids.retain(|i| ok.contains(i));
            }
            Ok(ids)
        })
        .await?;
    if people.is_empty() {
        return Err(ApiError::not_found("turf"));
    }
    let got = state.turnout.with_live(|l| {
        let (remaining, rows) = l.board.chase_people(&people, limit);
        (remaining, rows, l.board.applied_seq)
    });
    let Some((remaining, rows, applied_seq)) = got else {
        rebuild(state);
        return Err(starting());
    };
    let people = with_names(state, rows).await?;
    audit_read(
        state,
        p,
        "turnout.chase",
        format!("turf:{cut}/{turf}"),
        people.len(),
    )
    .await?;
    let complete = state.turnout.with_live(|l| l.complete).unwrap_or(false);
    Ok(ChaseAnswer {
        complete,
        county: String::new(),
        precinct: String::new(),
        cut: Some(cut),
        turf: Some(turf),
        remaining,
        applied_seq,
        people,
    })
}

pub(crate) async fn chase_answer(
    state: &AppState,
    p: &Principal,
    county: &str,
    precinct: &str,
    limit: usize,
) -> Result<ChaseAnswer, ApiError> {
    check_chase_limit(limit)?;
    let county = county.trim().to_uppercase();
    let precinct = precinct.trim().to_uppercase();
    if let Some(cs) = read_counties(p) {
        if !cs.contains(&county) {
            return Err(ApiError::not_found("precinct"));
        }
    }
    let got = state.turnout.with_live(|l| {
        l.board
            .precinct(&county, &precinct, now_secs(), 1.0)
            .map(|row| {
                (
                    row.chase,
                    l.board.chase_precinct(&county, &precinct, limit),
                    l.board.applied_seq,
                )
            })
    });
    let (remaining, rows, applied_seq) = match got {
        None => {
            rebuild(state);
            return Err(starting());
        }
        Some(None) => return Err(ApiError::not_found("precinct")),
        Some(Some(x)) => x,
    };
    let people = with_names(state, rows).await?;
    audit_read(
        state,
        p,
        "turnout.chase",
        format!("precinct:{county}/{precinct}"),
        people.len(),
    )
    .await?;
    let complete = state.turnout.with_live(|l| l.complete).unwrap_or(false);
    Ok(ChaseAnswer {
        complete,
        county,
        precinct,
        cut: None,
        turf: None,
        remaining,
        applied_seq,
        people,
    })
}

async fn with_names(state: &AppState, rows: Vec<ChaseRow>) -> Result<Vec<ChaseEntry>, ApiError> {
    let ids: Vec<String> = rows.iter().map(|r| r.voter_id.clone()).collect();
    let names = state
        .pool
        .run(move |s| Ok(app::turnout::voter_names(s.sql(), &ids)?))
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let n = names.get(&r.voter_id).cloned().unwrap_or_default();
            ChaseEntry {
                voter_id: r.voter_id,
                person_id: r.person_id,
                name: n.name,
                address: n.address,
                phone: n.phone,
                support: r.support,
                turnout: r.turnout,
            }
        })
        .collect())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RosterQuery {
    /// Default: the poll watcher's (first) precinct.
    #[serde(default)]
    #[param(max_length = 64)]
    pub county: Option<String>,
    #[serde(default)]
    #[param(max_length = 32)]
    pub precinct: Option<String>,
}

/// One voter on a precinct's roster.
#[derive(Debug, Serialize, ToSchema)]
pub struct RosterEntry {
    pub voter_id: String,
    pub name: String,
    pub address: String,
    pub birth_year: Option<i64>,
    /// Voted early/absentee or reported today.
    pub voted: bool,
    /// A supporter the campaign wants to vote (support ≥ 0.5).
    pub target: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RosterAnswer {
    pub county: String,
    pub precinct: String,
    pub applied_seq: i64,
    pub voters: Vec<RosterEntry>,
}

/// The precinct's roster for a poll watcher: who may vote there, who has voted, who is a
/// target. Names and addresses only (what a poll book shows).
#[utoipa::path(get, path = "/api/v1/turnout/roster", tag = "turnout", params(RosterQuery),
    responses((status = 200, body = RosterAnswer), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn roster(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    QueryOf(q): QueryOf<RosterQuery>,
) -> Result<Json<RosterAnswer>, ApiError> {
    let p = principal(&who)?;
    roster_answer(&state, &p, q.county.as_deref(), q.precinct.as_deref())
        .await
        .map(Json)
}

/// The principal's default precinct (a poll watcher's first region).
pub(crate) fn home_precinct(p: &Principal) -> Option<(String, String)> {
    match p {
        Principal::User { regions, .. } => regions
            .iter()
            .find_map(|r| app::turnout::parse_precinct_region(r)),
        Principal::Key { .. } => None,
    }
}

pub(crate) async fn roster_answer(
    state: &AppState,
    p: &Principal,
    county: Option<&str>,
    precinct: Option<&str>,
) -> Result<RosterAnswer, ApiError> {
    let (county, precinct) = match (county, precinct) {
        (Some(c), Some(pr)) if !c.trim().is_empty() && !pr.trim().is_empty() => {
            (c.trim().to_uppercase(), pr.trim().to_uppercase())
        }
        _ => home_precinct(p).ok_or_else(|| {
            ApiError::field(
                "precinct",
                "give county and precinct (only a poll watcher has a precinct of their own)",
            )
        })?,
    };
    // A key that only reports (a call centre) reads no roster: names and addresses need
    // turnout:read.
    if matches!(p, Principal::Key { .. }) && !p.allows(auth::Permission::TurnoutRead) {
        return Err(ApiError::forbidden());
    }
    if !reach_of(p).allows(&county, &precinct) {
        return Err(ApiError::not_found("precinct"));
    }
    let flags = state.turnout.with_live(|l| {
        let flags: HashMap<String, (bool, bool)> = l
            .board
            .roster(&county, &precinct)
            .into_iter()
            .map(|(id, voted, target)| (id, (voted, target)))
            .collect();
        (flags, l.board.applied_seq)
    });
    let Some((flags, applied_seq)) = flags else {
        rebuild(state);
        return Err(starting());
    };
    if flags.is_empty() {
        return Err(ApiError::not_found("precinct"));
    }
    let ids: Vec<String> = flags.keys().cloned().collect();
    let names = state
        .pool
        .run(move |s| Ok(app::turnout::roster(s.sql(), &ids)?))
        .await?;
    let voters: Vec<RosterEntry> = names
        .into_iter()
        .filter_map(|n| {
            let (voted, target) = *flags.get(&n.voter_id)?;
            Some(RosterEntry {
                voter_id: n.voter_id,
                name: n.name,
                address: n.address,
                birth_year: n.birth_year,
                voted,
                target,
            })
        })
        .collect();
    audit_read(
        state,
        p,
        "turnout.roster",
        format!("precinct:{county}/{precinct}"),
        voters.len(),
    )
    .await?;
    Ok(RosterAnswer {
        county,
        precinct,
        applied_seq,
        voters,
    })
}

// ---- Pages ----

#[derive(askama::Template)]
#[template(path = "watch.html")]
struct WatchPage {
    nav: Option<crate::pages::Nav>,
    csrf: String,
    /// Whose reports the phone's queue holds.
    user: String,
    county: String,
    precinct: String,
}

#[derive(Debug, Deserialize)]
pub struct PlaceQuery {
    #[serde(default)]
    pub county: Option<String>,
    #[serde(default)]
    pub precinct: Option<String>,
}

/// The poll watcher's page (phone-sized): the roster, tap to mark, a local queue that survives
/// reloads and lost signal (`static/watch.js`).
pub async fn watch_page(
    Extension(who): Extension<Who>,
    axum::extract::Query(q): axum::extract::Query<PlaceQuery>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let Some(p) = who.0.clone() else {
        return axum::response::Redirect::to("/login?next=/watch").into_response();
    };
    let place = match (q.county, q.precinct) {
        (Some(c), Some(pr)) if !c.trim().is_empty() && !pr.trim().is_empty() => {
            Some((c.trim().to_uppercase(), pr.trim().to_uppercase()))
        }
        _ => home_precinct(&p),
    };
    let Some((county, precinct)) = place else {
        return crate::pages::error_page(
            &ApiError::field(
                "precinct",
                "open /watch?county=COUNTY&precinct=CODE (only a poll watcher has a precinct of their own)",
            ),
            Some(&p),
        );
    };
    if !reach_of(&p).allows(&county, &precinct) {
        return crate::pages::error_page(&ApiError::not_found("precinct"), Some(&p));
    }
    crate::pages::render(
        &WatchPage {
            nav: crate::pages::nav(Some(&p)),
            csrf: crate::pages::csrf_of(&p),
            user: p.actor(),
            county,
            precinct,
        },
        axum::http::StatusCode::OK,
    )
}

/// `static/watch.js`.
pub async fn watch_js() -> axum::response::Response {
    crate::pages::static_js(include_str!("../static/watch.js"))
}

#[derive(askama::Template)]
#[template(path = "turnout.html")]
struct BoardPage {
    nav: Option<crate::pages::Nav>,
    complete: bool,
    election: Option<String>,
    day_share: String,
    silent_minutes: i64,
    /// (county, precinct, last report)
    silent: Vec<(String, String, String)>,
    /// (name, voted, registered, expected now, early, reported, chase, coverage, reporting)
    totals: Vec<(String, u64, u64, String, u64, u64, u64, String, String)>,
    county: Option<String>,
    /// (precinct, voted, registered, expected now, early, reported, chase, watchers, last)
    precincts: Vec<(String, u32, u32, String, u32, u32, u32, u32, String)>,
}

fn when(secs: i64) -> String {
    if secs <= 0 {
        "never".into()
    } else {
        model::date::timestamp_utc(secs)[11..16].to_string() + " UTC"
    }
}

fn opt(x: Option<f64>) -> String {
    x.map_or("—".into(), |v| format!("{v:.0}"))
}

/// The turnout board page: per county, and per precinct of one county, with coverage and
/// silent precincts.
pub async fn board_page(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    axum::extract::Query(q): axum::extract::Query<PlaceQuery>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let Some(p) = who.0.clone() else {
        return axum::response::Redirect::to("/login?next=/turnout").into_response();
    };
    let a = match board_answer(&state, &p, q.county.as_deref()) {
        Ok(a) => a,
        Err(e) => return crate::pages::error_page(&e, Some(&p)),
    };
    let county = q
        .county
        .map(|c| c.trim().to_uppercase())
        .filter(|c| !c.is_empty());
    crate::pages::render(
        &BoardPage {
            complete: a.complete,
            nav: crate::pages::nav(Some(&p)),
            election: a.election,
            day_share: format!("{:.0} %", a.day_share * 100.0),
            silent_minutes: targeting::turnout::SILENT_PRECINCT_SECONDS / 60,
            silent: a
                .silent
                .iter()
                .map(|r| (r.county.clone(), r.precinct.clone(), when(r.last_report_at)))
                .collect(),
            totals: a
                .totals
                .iter()
                .map(|t| {
                    (
                        t.name.clone(),
                        t.voted,
                        t.registered,
                        opt(t.expected_now),
                        t.early,
                        t.reported,
                        t.chase,
                        format!("{:.0} %", t.coverage * 100.0),
                        format!("{} of {} watched", t.reporting, t.watched),
                    )
                })
                .collect(),
            county,
            precincts: a
                .precincts
                .iter()
                .map(|r| {
                    (
                        r.precinct.clone(),
                        r.voted,
                        r.registered,
                        opt(r.expected_now),
                        r.early,
                        r.reported,
                        r.chase,
                        r.watchers,
                        when(r.last_report_at),
                    )
                })
                .collect(),
        },
        axum::http::StatusCode::OK,
    )
}

#[derive(askama::Template)]
#[template(path = "chase.html")]
struct ChasePage {
    nav: Option<crate::pages::Nav>,
    complete: bool,
    county: String,
    precinct: String,
    remaining: u32,
    /// (voter id, name, address, phone, support, turnout)
    people: Vec<(String, String, String, String, String, String)>,
}

/// A precinct's chase list as a page (audited like the API).
pub async fn chase_page(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    axum::extract::Query(q): axum::extract::Query<PlaceQuery>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let Some(p) = who.0.clone() else {
        return axum::response::Redirect::to("/login?next=/turnout").into_response();
    };
    let (Some(c), Some(pr)) = (q.county, q.precinct) else {
        return crate::pages::error_page(
            &ApiError::field("precinct", "pick a precinct on the turnout board"),
            Some(&p),
        );
    };
    let a = match chase_answer(&state, &p, &c, &pr, 500).await {
        Ok(a) => a,
        Err(e) => return crate::pages::error_page(&e, Some(&p)),
    };
    crate::pages::render(
        &ChasePage {
            complete: a.complete,
            nav: crate::pages::nav(Some(&p)),
            county: a.county,
            precinct: a.precinct,
            remaining: a.remaining,
            people: a
                .people
                .into_iter()
                .map(|e| {
                    (
                        e.voter_id,
                        e.name,
                        e.address,
                        e.phone,
                        format!("{:.2}", e.support),
                        e.turnout.map_or("—".into(), |t| format!("{t:.2}")),
                    )
                })
                .collect(),
        },
        axum::http::StatusCode::OK,
    )
}

#[derive(askama::Template)]
#[template(path = "watchers.html")]
struct WatchersPage {
    nav: Option<crate::pages::Nav>,
    ready: usize,
    total: usize,
    /// (regions, username, last sign-in or "")
    rows: Vec<(String, String, String)>,
}

#[derive(Debug, Deserialize)]
pub struct WatchersQuery {
    #[serde(default)]
    pub missing: Option<String>,
}

/// The readiness drill: every poll watcher (an organizer's counties only) and whether they
/// have signed in.
pub async fn watchers_page(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    axum::extract::Query(q): axum::extract::Query<WatchersQuery>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let Some(p) = who.0.clone() else {
        return axum::response::Redirect::to("/login?next=/watchers").into_response();
    };
    let all = match state
        .pool
        .run(|s| Ok(app::turnout::readiness(s.sql())?))
        .await
    {
        Ok(a) => a,
        Err(e) => return crate::pages::error_page(&e, Some(&p)),
    };
    let counties = read_counties(&p);
    let mine: Vec<app::turnout::Readiness> = all
        .into_iter()
        .filter(|r| !r.disabled)
        .filter(|r| match &counties {
            None => true,
            Some(cs) => r.regions.split(',').any(|reg| {
                app::turnout::parse_precinct_region(reg).is_some_and(|(c, _)| cs.contains(&c))
            }),
        })
        .collect();
    let ready = mine.iter().filter(|r| r.last_login.is_some()).count();
    let missing = q.missing.is_some();
    crate::pages::render(
        &WatchersPage {
            nav: crate::pages::nav(Some(&p)),
            ready,
            total: mine.len(),
            rows: mine
                .iter()
                .filter(|r| !missing || r.last_login.is_none())
                .map(|r| {
                    (
                        r.regions.clone(),
                        r.username.clone(),
                        r.last_login.clone().unwrap_or_default(),
                    )
                })
                .collect(),
        },
        axum::http::StatusCode::OK,
    )
}
