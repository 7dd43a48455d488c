//! The data director's health report (issue 11, PRODUCT.md C10): the last loads and their
//! rejects, the identity review queue, how much of each source is linked to the voter file
//! (from the last resolution), the models in use with their held-out metrics, and exports
//! in the last day. Counts and ids only: no personal data, so nothing to audit.
//!
//! Every figure is read from small tables or from what a load recorded when it ran (the
//! resolution's per-source counts), never by scanning the people: the page stays fast at
//! state scale.

use serde::Serialize;
use store::sql::{RowExt, Sql};
use store::{Store, StoreError, Value};

/// Loads listed at most (newest first).
pub const LOADS_LISTED_MAX: usize = 20;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadRow {
    pub id: i64,
    pub kind: String,
    pub file_name: String,
    pub finished_at: String,
    pub read: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub new: u64,
    pub updated: u64,
    pub removed: u64,
    /// The rejects file's name (beside the database), when rows were rejected.
    pub rejects_file: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceMatch {
    pub source: String,
    pub records: u64,
    pub linked_to_voters: u64,
    /// linked / records.
    pub rate: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelRow {
    pub id: i64,
    pub target: String,
    pub algorithm: String,
    pub approved_at: Option<String>,
    pub auc: Option<f64>,
    pub log_loss: Option<f64>,
    pub log_loss_base: Option<f64>,
    pub scored: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Health {
    pub loads: Vec<LoadRow>,
    pub loads_total: usize,
    pub rejected_last_day: u64,
    pub review_open: i64,
    pub review_decided: i64,
    /// When the last resolution ran, and its load.
    pub resolved_at: Option<String>,
    pub resolve_load: Option<i64>,
    pub match_by_source: Vec<SourceMatch>,
    /// Approved models, one per target.
    pub models: Vec<ModelRow>,
    /// Targets with a trained model waiting for approval.
    pub models_waiting: Vec<String>,
    /// (actor, exports) in the last 24 hours.
    pub exports_last_day: Vec<(String, i64)>,
}

fn count(sql: &mut dyn Sql, q: &str, args: &[Value]) -> Result<i64, StoreError> {
    Ok(sql
        .query(q, args)?
        .first()
        .map(|r| r.int(0))
        .transpose()?
        .unwrap_or(0))
}

/// The report as of `now` (ISO timestamp) and `day_ago` (24 hours before).
pub fn report(store: &mut dyn Store, day_ago: &str) -> Result<Health, StoreError> {
    let all = store.loads()?;
    let loads_total = all.len();
    let rejected_last_day = all
        .iter()
        .filter(|l| l.finished_at.as_str() >= day_ago)
        .map(|l| l.counts.rejected)
        .sum();
    let resolve = all.iter().rev().find(|l| l.kind == "resolve");
    let (resolved_at, resolve_load, match_by_source) = match resolve {
        Some(l) => {
            let mut v: Vec<SourceMatch> = l.summary["by_source"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, x)| {
                            let n = x["records"].as_u64().unwrap_or(0);
                            let k2 = x["linked_to_voters"].as_u64().unwrap_or(0);
                            SourceMatch {
                                source: k.clone(),
                                records: n,
                                linked_to_voters: k2,
                                rate: k2 as f64 / n.max(1) as f64,
                            }
                        })
                        .collect()
                })
                .unwrap_or_default();
            v.sort_by(|a, b| a.source.cmp(&b.source));
            (Some(l.finished_at.clone()), Some(l.id), v)
        }
        None => (None, None, Vec::new()),
    };
    let loads = all
        .iter()
        .rev()
        .take(LOADS_LISTED_MAX)
        .map(|l| LoadRow {
            id: l.id,
            kind: l.kind.clone(),
            file_name: l.file_name.clone(),
            finished_at: l.finished_at.clone(),
            read: l.counts.read,
            accepted: l.counts.accepted,
            rejected: l.counts.rejected,
            new: l.counts.new,
            updated: l.counts.updated,
            removed: l.counts.removed,
            rejects_file: l.rejects_file.as_ref().map(|f| {
                std::path::Path::new(f)
                    .file_name()
                    .map_or_else(|| f.clone(), |n| n.to_string_lossy().into_owned())
            }),
        })
        .collect();
    let sql = store.sql();
    let review_open = count(
        sql,
        "SELECT CAST(COUNT(*) AS BIGINT) FROM review_queue WHERE decision IS NULL",
        &[],
    )?;
    let review_decided = count(
        sql,
        "SELECT CAST(COUNT(*) AS BIGINT) FROM review_queue WHERE decision IS NOT NULL",
        &[],
    )?;
    let runs = store::models::all(sql)?;
    let mut models: Vec<ModelRow> = runs
        .iter()
        .filter(|m| m.status == "approved")
        .map(|m| {
            let metrics: serde_json::Value = serde_json::from_str(&m.metrics).unwrap_or_default();
            ModelRow {
                id: m.id,
                target: m.target.clone(),
                algorithm: m.algorithm.clone(),
                approved_at: m.approved_at.clone(),
                auc: metrics["auc"].as_f64(),
                log_loss: metrics["log_loss"].as_f64(),
                log_loss_base: metrics["log_loss_base"].as_f64(),
                scored: m.scored,
            }
        })
        .collect();
    models.sort_by(|a, b| a.target.cmp(&b.target));
    let mut models_waiting: Vec<String> = runs
        .iter()
        .filter(|m| m.status == "trained")
        .map(|m| m.target.clone())
        .collect();
    models_waiting.sort();
    models_waiting.dedup();
    let exports_last_day = sql
        .query(
            "SELECT actor, CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action = 'export' AND at >= ? GROUP BY actor ORDER BY actor",
            &[Value::Text(day_ago.to_string())],
        )?
        .iter()
        .map(|r| Ok((r.text(0)?, r.int(1)?)))
        .collect::<Result<_, StoreError>>()?;
    Ok(Health {
        loads,
        loads_total,
        rejected_last_day,
        review_open,
        review_decided,
        resolved_at,
        resolve_load,
        match_by_source,
        models,
        models_waiting,
        exports_last_day,
    })
}
