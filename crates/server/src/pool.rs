//! The store behind the server: a few connections, each used by one request at a time on the
//! blocking thread pool (the backends are synchronous), so a slow query never stalls the
//! async workers.

use std::sync::{Arc, Mutex};

use store::Store;

use crate::error::ApiError;

/// Connections opened to the store.
pub const STORE_CONNECTIONS_DEFAULT: usize = 4;
/// A request waits at most this long for a free connection, then gets 503 with Retry-After.
pub const STORE_WAIT_MS_MAX: u64 = 5_000;

pub type Opener = dyn Fn() -> store::Result<Box<dyn Store>> + Send + Sync;

pub struct StorePool {
    conns: Vec<Arc<Mutex<Box<dyn Store>>>>,
    free: Arc<tokio::sync::Semaphore>,
}

impl StorePool {
    /// Opens `n` connections with `open`.
    pub fn open(n: usize, open: &Opener) -> store::Result<StorePool> {
        let mut conns = Vec::with_capacity(n.max(1));
        for _ in 0..n.max(1) {
            conns.push(Arc::new(Mutex::new(open()?)));
        }
        Ok(StorePool {
            free: Arc::new(tokio::sync::Semaphore::new(conns.len())),
            conns,
        })
    }

    /// Runs `f` with a connection of its own, off the async workers.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn Store) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let permit = tokio::time::timeout(
            std::time::Duration::from_millis(STORE_WAIT_MS_MAX),
            self.free.clone().acquire_owned(),
        )
        .await
        .map_err(|_| ApiError {
            retry_after: Some(1),
            ..ApiError::new("unavailable", "the store is busy: retry in a second")
        })?
        .map_err(ApiError::internal)?;
        // A permit guarantees one connection is not locked; take the first free one.
        let conns = self.conns.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            for c in &conns {
                if let Ok(mut guard) = c.try_lock() {
                    return f(&mut **guard);
                }
            }
            // Poisoned locks (a panic mid-request) are recovered: the store is transactional.
            for c in &conns {
                if let Err(std::sync::TryLockError::Poisoned(p)) = c.try_lock() {
                    let mut guard = p.into_inner();
                    return f(&mut **guard);
                }
            }
            Err(ApiError::internal(
                "no free store connection despite a permit",
            ))
        })
        .await
        .map_err(ApiError::internal)?
    }
}
