//! Loading a source file from the browser (issue 11: the data director's day starts with a
//! file). `POST /api/v1/loads?kind=…` takes the file's bytes as the body and runs the same
//! import as `tusk import` (`app::import_bytes`: one load, one transaction, rejected rows named
//! with their row number and reason); `/loads` is the page that sends a file with a progress
//! bar and shows what the load did.

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::{principal, QueryOf};
use crate::error::{ApiError, ErrorBody};
use crate::pages::{error_page, nav, render, Nav};
use crate::{now_iso, AppState, Who};

/// The largest file the server takes in one request. Larger files (a whole state's voter
/// file) are loaded with `tusk import`, which streams from disk.
pub const LOAD_BODY_BYTES_MAX: usize = 256 << 20;
/// The longest an upload may take to arrive (the load lock is held meanwhile).
pub const LOAD_READ_SECONDS_MAX: u64 = 600;
/// Rejected rows shown in the answer (all of them are in the rejects file).
pub const REJECTS_SHOWN_MAX: usize = 20;
/// The longest file name kept on a load.
pub const FILE_NAME_CHARS_MAX: usize = 200;
/// What `kind` may be: the import formats, and the geocodes of addresses.
pub const GEOCODES: &str = "geocodes";

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LoadParams {
    /// What the file is: `ncvoter`, `ncvhis`, `nc-absentee`, `ohio`, `fec`, `csv` (with
    /// `mapping`), `vcard`, `canvass`, `experiment` or `geocodes` (docs/import.md).
    pub kind: String,
    /// The file's name as its sender knows it (recorded on the load).
    #[serde(default)]
    pub file_name: Option<String>,
    /// For `kind=csv` only: the mapping (docs/import.md), as text.
    #[serde(default)]
    pub mapping: Option<String>,
    /// Accept a voter-file snapshot that would mark many voters as removed (after a list
    /// maintenance purge).
    #[serde(default)]
    pub allow_mass_removal: bool,
}

/// A file's bytes, as the request body (the schema only: the handler reads the bytes).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct FileBytes(pub Vec<u8>);

#[derive(Debug, Serialize, ToSchema)]
pub struct RejectRow {
    /// The row's number, counting from 1 after the header (as in the rejects file).
    pub row: u64,
    pub reason: String,
}

/// What one load did.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoadAnswer {
    pub kind: String,
    pub file_name: String,
    /// The load (geocodes are kept outside loads: none).
    pub load_id: Option<i64>,
    pub read: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub new: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub duplicate: u64,
    pub removed: u64,
    /// The rejects file on the server (row number, reason, the row as read), when rows were
    /// rejected.
    pub rejects_file: Option<String>,
    /// The first `REJECTS_SHOWN_MAX` rejected rows.
    pub rejects: Vec<RejectRow>,
    /// Columns not recognised, ignored (geocodes).
    pub ignored_columns: Vec<String>,
}

fn file_name_of(p: &LoadParams) -> Result<String, ApiError> {
    let raw = p.file_name.as_deref().unwrap_or("upload");
    // The last path component only; no control characters.
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("").trim();
    if base.is_empty() {
        return Err(ApiError::field(
            "file_name",
            "is empty: send the file's name, e.g. voters.txt",
        ));
    }
    if base.chars().count() > FILE_NAME_CHARS_MAX || base.chars().any(char::is_control) {
        return Err(ApiError::field(
            "file_name",
            format!("must be at most {FILE_NAME_CHARS_MAX} printable characters"),
        ));
    }
    Ok(base.to_string())
}

enum What {
    Import(Box<app::ImportOptions>),
    Geocodes,
}

fn what(state: &AppState, p: &LoadParams, actor: &str) -> Result<What, ApiError> {
    if p.kind == GEOCODES {
        if p.mapping.is_some() {
            return Err(ApiError::field("mapping", "only applies to kind=csv"));
        }
        return Ok(What::Geocodes);
    }
    let Some(kind) = ingest::Kind::parse(&p.kind) else {
        let kinds: Vec<&str> = ingest::Kind::ALL.iter().map(|k| k.name()).collect();
        return Err(ApiError::field(
            "kind",
            format!(
                "{:?} is not a file kind: use one of {}, {GEOCODES}",
                p.kind,
                kinds.join(", ")
            ),
        ));
    };
    let mapping = match (kind, p.mapping.as_deref()) {
        (ingest::Kind::Csv, None) | (ingest::Kind::Csv, Some("")) => {
            return Err(ApiError::field(
                "mapping",
                "kind=csv needs the mapping of its columns (docs/import.md)",
            ))
        }
        (ingest::Kind::Csv, Some(m)) => Some(
            ingest::Mapping::parse(m)
                .map_err(|e| ApiError::field("mapping", format!("is not valid: {e}")))?,
        ),
        (_, Some(_)) => return Err(ApiError::field("mapping", "only applies to kind=csv")),
        (_, None) => None,
    };
    Ok(What::Import(Box::new(app::ImportOptions {
        kind,
        mapping,
        rejects_dir: state.config.rejects_dir.clone(),
        loaded_by: actor.to_string(),
        allow_mass_removal: p.allow_mass_removal,
    })))
}

fn import_error(e: app::ImportError) -> ApiError {
    use app::ImportError as E;
    match e {
        E::Read { path, source } => ApiError::field(
            "file",
            format!("{path}: {source}; nothing of this file was kept"),
        ),
        E::TooManyCounties { .. } => ApiError::field(
            "file",
            format!(
                "more than {} distinct county ids: is this the kind of file you chose? Nothing was kept",
                app::import::COUNTIES_PER_LOAD_MAX
            ),
        ),
        E::MassRemoval {
            removed,
            in_scope,
            scope,
            ..
        } => ApiError {
            field: Some("allow_mass_removal".into()),
            ..ApiError::new(
                "conflict",
                format!(
                    "this snapshot would mark {removed} of {in_scope} voters ({scope}) as removed: is the file complete? Nothing was loaded. If it is right, send it again with allow_mass_removal=true"
                ),
            )
        },
        E::Store(s) => s.into(),
        other => ApiError::internal(other),
    }
}

async fn load(
    state: &AppState,
    who: &Who,
    p: LoadParams,
    body: axum::body::Body,
) -> Result<LoadAnswer, ApiError> {
    let actor = principal(who)?.actor();
    let file_name = file_name_of(&p)?;
    let what = what(state, &p, &actor)?;
    // One load at a time: a second waits for nothing and is told — before its body is read,
    // so that simultaneous uploads do not each hold a file in memory.
    let Ok(_one) = state.loading.clone().try_lock_owned() else {
        return Err(ApiError {
            field: Some("file".into()),
            ..crate::resolve::busy()
        });
    };
    // A trickling upload does not hold the lock for ever.
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(LOAD_READ_SECONDS_MAX),
        axum::body::to_bytes(body, LOAD_BODY_BYTES_MAX),
    )
    .await
    .map_err(|_| {
        ApiError::field(
            "file",
            format!(
                "the upload took longer than {LOAD_READ_SECONDS_MAX} s; nothing was kept: use `tusk import` for a file this slow to send"
            ),
        )
    })?;
    let body: Bytes = read
        .map_err(|e| {
            if too_large(&e) {
                ApiError {
                    field: Some("file".into()),
                    ..ApiError::new(
                        "payload_too_large",
                        format!(
                            "the file is larger than {} MiB: load it with `tusk import {} FILE`, which streams from disk",
                            LOAD_BODY_BYTES_MAX >> 20,
                            p.kind
                        ),
                    )
                }
            } else {
                ApiError::field("file", format!("the upload broke off: {e}; nothing was kept"))
            }
        })?;
    if body.is_empty() {
        return Err(ApiError::field(
            "file",
            "is empty: send the file's bytes as the request body",
        ));
    }
    let kind = p.kind.clone();
    state
        .pool
        .run(move |st| match what {
            What::Geocodes => {
                let r =
                    app::geo::import(st.sql(), &body[..], &file_name, &now_iso()).map_err(|e| {
                        match e {
                            app::geo::GeoError::Store(s) => ApiError::from(s),
                            app::geo::GeoError::File(m) => ApiError::field(
                                "file",
                                format!("{m}; nothing of this file was kept"),
                            ),
                        }
                    })?;
                Ok(LoadAnswer {
                    kind,
                    file_name,
                    load_id: None,
                    read: r.read,
                    accepted: r.stored,
                    rejected: r.rejected,
                    new: r.stored,
                    updated: 0,
                    unchanged: 0,
                    duplicate: 0,
                    removed: 0,
                    rejects_file: None,
                    rejects: r
                        .rejects
                        .into_iter()
                        .take(REJECTS_SHOWN_MAX)
                        // Counted from the header there (1 = the header).
                        .map(|(row, reason)| RejectRow {
                            row: row.saturating_sub(1),
                            reason,
                        })
                        .collect(),
                    ignored_columns: r.ignored_columns,
                })
            }
            What::Import(opts) => {
                let r = app::import_bytes(st, &file_name, &body, &opts, &app::NoProgress)
                    .map_err(import_error)?;
                let rejects = match &r.rejects_file {
                    Some(f) => app::rejects_preview(std::path::Path::new(f), REJECTS_SHOWN_MAX)
                        .map_err(ApiError::internal)?,
                    None => Vec::new(),
                };
                Ok(LoadAnswer {
                    kind,
                    file_name,
                    load_id: Some(r.load_id),
                    read: r.read,
                    accepted: r.accepted,
                    rejected: r.rejected,
                    new: r.new,
                    updated: r.updated,
                    unchanged: r.unchanged,
                    duplicate: r.duplicate,
                    removed: r.removed,
                    rejects_file: r.rejects_file.as_ref().map(|f| {
                        std::path::Path::new(f)
                            .file_name()
                            .map_or_else(|| f.clone(), |n| n.to_string_lossy().into_owned())
                    }),
                    rejects: rejects
                        .into_iter()
                        .map(|(row, reason)| RejectRow { row, reason })
                        .collect(),
                    ignored_columns: Vec::new(),
                })
            }
        })
        .await
}

/// Whether reading a body failed on the length limit (not on a broken connection).
fn too_large(e: &axum::Error) -> bool {
    std::error::Error::source(e).is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
}

/// Load a source file: the body is the file's bytes, as `tusk import` would read them from
/// disk. One load, one transaction: a file that cannot be read keeps nothing; rejected rows
/// are counted, and the first are named with their row number and reason. One load at a time.
#[utoipa::path(post, path = "/api/v1/loads", params(LoadParams),
    request_body(content = FileBytes, content_type = "application/octet-stream", description = "The file's bytes"),
    responses((status = 201, body = LoadAnswer), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Extension(who): Extension<Who>,
    QueryOf(p): QueryOf<LoadParams>,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    let answer = load(&state, &who, p, body).await?;
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

#[derive(Template)]
#[template(path = "loads.html")]
struct LoadsPage {
    nav: Option<Nav>,
    kinds: Vec<(&'static str, &'static str)>,
    loads: Vec<app::health::LoadRow>,
    limit_mib: usize,
}

/// The kinds offered on the page, with what each is.
fn kinds() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            "ncvoter",
            "North Carolina voter file (ncvoter, tab-separated)",
        ),
        ("ncvhis", "North Carolina vote history (ncvhis)"),
        ("nc-absentee", "North Carolina absentee / early ballots"),
        ("ohio", "Ohio voter file"),
        ("fec", "FEC individual contributions"),
        ("csv", "Any CSV, with a mapping of its columns"),
        ("vcard", "Contact cards (.vcf)"),
        ("canvass", "Canvass results (doors, calls)"),
        ("experiment", "Persuasion experiment results"),
        (GEOCODES, "Geocodes of addresses (latitude, longitude)"),
    ]
}

pub async fn page(State(state): State<AppState>, Extension(who): Extension<Who>) -> Response {
    let Some(p) = who.0.clone() else {
        return Redirect::to("/login?next=/loads").into_response();
    };
    let since = model::date::timestamp_utc(crate::now_secs() - 86_400);
    match state
        .pool
        .run(move |st| Ok(app::health::report(st, &since)?.loads))
        .await
    {
        Ok(loads) => render(
            &LoadsPage {
                nav: nav(Some(&p)),
                kinds: kinds(),
                loads,
                limit_mib: LOAD_BODY_BYTES_MAX >> 20,
            },
            StatusCode::OK,
        ),
        Err(e) => error_page(&e, Some(&p)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_length_limit_is_told_from_other_read_errors() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let e = rt
            .block_on(axum::body::to_bytes(
                axum::body::Body::from(vec![0u8; 100]),
                10,
            ))
            .unwrap_err();
        assert!(too_large(&e));
        let ok = rt.block_on(axum::body::to_bytes(
            axum::body::Body::from(vec![0u8; 10]),
            10,
        ));
        assert_eq!(ok.unwrap().len(), 10);
    }

    #[test]
    fn the_page_offers_every_kind_the_importer_reads() {
        let offered: Vec<&str> = kinds().iter().map(|k| k.0).collect();
        for k in ingest::Kind::ALL {
            assert!(offered.contains(&k.name()), "{}", k.name());
        }
        assert!(offered.contains(&GEOCODES));
    }
}
