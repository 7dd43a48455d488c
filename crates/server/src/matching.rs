//! The server's voter index for create-or-match (`app::signup::VoterIndex`): built in the
//! background at start and again whenever a load changes the voters; requests use the newest
//! complete index and never wait for a rebuild (only for the very first one: 503).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use app::signup::VoterIndex;
use tokio::sync::RwLock;

use crate::error::ApiError;
use crate::AppState;

/// Seconds a client is told to wait while the first index is built.
pub const INDEX_RETRY_SECONDS: u64 = 5;

#[derive(Default)]
pub struct Matching {
    index: RwLock<Option<Arc<VoterIndex>>>,
    building: AtomicBool,
}

/// Starts a build unless one runs.
pub fn rebuild(state: &AppState) {
    if state.matching.building.swap(true, Ordering::SeqCst) {
        return;
    }
    let state = state.clone();
    tokio::spawn(async move {
        let built = state
            .pool
            .run(|s| VoterIndex::build(s).map_err(ApiError::from))
            .await;
        match built {
            Ok(ix) => {
                tracing::info!(
                    voters = ix.voters,
                    seconds = ix.build_seconds,
                    "matching index built"
                );
                *state.matching.index.write().await = Some(Arc::new(ix));
            }
            Err(e) => tracing::error!(code = e.code, "matching index build failed"),
        }
        state.matching.building.store(false, Ordering::SeqCst);
    });
}

/// The index to match with now; triggers a rebuild when the voters changed since it was built.
pub async fn current(state: &AppState) -> Result<Arc<VoterIndex>, ApiError> {
    let have = state.matching.index.read().await.clone();
    let version = state
        .pool
        .run(|s| app::signup::data_version(s).map_err(ApiError::from))
        .await?;
    match have {
        Some(ix) => {
            if ix.built_at_load != version {
                rebuild(state);
            }
            Ok(ix)
        }
        None => {
            rebuild(state);
            Err(ApiError {
                retry_after: Some(INDEX_RETRY_SECONDS),
                ..ApiError::new(
                    "unavailable",
                    "the matching index is being built from the voter file: retry in a few seconds",
                )
            })
        }
    }
}

/// Builds the index now and waits for it (tests, and `tusk serve` before it listens when asked).
pub async fn build_now(state: &AppState) -> Result<(), ApiError> {
    let ix = state
        .pool
        .run(|s| VoterIndex::build(s).map_err(ApiError::from))
        .await?;
    *state.matching.index.write().await = Some(Arc::new(ix));
    Ok(())
}

/// The current index if one is built (never waits; starts a build when there is none).
pub async fn ready(state: &AppState) -> Option<Arc<VoterIndex>> {
    let have = state.matching.index.read().await.clone();
    if have.is_none() {
        rebuild(state);
    }
    have
}
