//! The audit writer: one connection of its own, group commit. Requests hand it their audit
//! record and wait until it is durable (one transaction for everything queued meanwhile), so
//! every read is logged before its answer leaves, without one fsync per request and without
//! readers fighting over SQLite's write lock.

use std::sync::mpsc;

use store::accounts::AuditRecord;
use store::Store;
use tokio::sync::oneshot;

use crate::error::ApiError;

/// Records waiting to be written; beyond this, requests get 503 (the disk cannot keep up).
pub const AUDIT_QUEUE_MAX: usize = 10_000;
/// How often the server checkpoints the SQLite write-ahead log.
pub const CHECKPOINT_SECONDS: u64 = 2;
/// Records written in one transaction at most.
pub const AUDIT_BATCH_MAX: usize = 1_000;

type Job = (AuditRecord, oneshot::Sender<Result<(), String>>);

pub struct AuditWriter {
    tx: mpsc::SyncSender<Job>,
}

impl AuditWriter {
    /// Starts the writer thread on `store`.
    pub fn start(mut store: Box<dyn Store>) -> AuditWriter {
        if store.sql().dialect() == store::sql::Dialect::Sqlite {
            // Checkpoints happen on their own schedule (`checkpoint`), never inside an
            // audit commit that requests are waiting for.
            if let Err(e) = store.sql().query("PRAGMA wal_autocheckpoint = 0", &[]) {
                tracing::warn!(error = %e, "cannot turn off auto-checkpoints on the audit connection");
            }
        }
        let (tx, rx) = mpsc::sync_channel::<Job>(AUDIT_QUEUE_MAX);
        std::thread::Builder::new()
            .name("tusk-audit".into())
            .spawn(move || {
                while let Ok(first) = rx.recv() {
                    let mut batch = vec![first];
                    while batch.len() < AUDIT_BATCH_MAX {
                        match rx.try_recv() {
                            Ok(j) => batch.push(j),
                            Err(_) => break,
                        }
                    }
                    let records: Vec<AuditRecord> = batch.iter().map(|(r, _)| r.clone()).collect();
                    let result = store::accounts::write_audit(store.sql(), &records)
                        .map_err(|e| e.to_string());
                    if let Err(e) = &result {
                        tracing::error!(error = %e, records = records.len(), "audit write failed");
                    }
                    for (_, reply) in batch {
                        let _ = reply.send(result.clone());
                    }
                }
            })
            .expect("start the audit writer thread");
        AuditWriter { tx }
    }

    /// Copies the SQLite write-ahead log into the database without blocking readers or
    /// writers (`PASSIVE`); the server runs it every `CHECKPOINT_SECONDS`.
    pub fn checkpoint(store: &mut dyn Store) -> store::Result<()> {
        if store.sql().dialect() == store::sql::Dialect::Sqlite {
            store.sql().query("PRAGMA wal_checkpoint(PASSIVE)", &[])?;
        }
        Ok(())
    }

    /// Writes `r` durably (with whatever else is queued); an error means the answer must not
    /// be sent.
    pub async fn write(&self, r: AuditRecord) -> Result<(), ApiError> {
        let (reply, done) = oneshot::channel();
        self.tx.try_send((r, reply)).map_err(|e| match e {
            mpsc::TrySendError::Full(_) => ApiError {
                retry_after: Some(1),
                ..ApiError::new("unavailable", "the audit log is busy: retry in a second")
            },
            mpsc::TrySendError::Disconnected(_) => ApiError::internal("the audit writer stopped"),
        })?;
        done.await
            .map_err(|_| ApiError::internal("the audit writer stopped"))?
            .map_err(ApiError::internal)
    }
}
