//! Webhook deliveries: the change feed pushed to other tools. Each webhook has its own cursor
//! in the store; a delivery is a signed POST of the next changes after it, with an
//! `Idempotency-Key` naming the range (the same on every retry of that range), retried with
//! exponential back-off until the receiver answers 2xx. At least once, in feed order.
//!
//! Plain `http://` only for now (no TLS client in the build): point webhooks at a receiver
//! on a private network or a TLS-terminating relay.

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::Serialize;

use crate::error::ApiError;
use crate::{now_iso, now_secs, AppState};

/// Changes per delivery at most.
pub const WEBHOOK_BATCH_MAX: usize = 100;
/// A receiver has this long to answer.
pub const WEBHOOK_TIMEOUT_SECONDS: u64 = 10;
/// Longest wait between retries.
pub const WEBHOOK_BACKOFF_MAX_SECONDS: i64 = 3_600;
/// Webhooks one server knows at most.
pub const WEBHOOKS_MAX: usize = 100;

#[derive(Debug, Serialize)]
pub struct Delivery<'a> {
    pub webhook: &'a str,
    pub changes: &'a [store::changes::Change],
    /// The feed cursor after this delivery.
    pub next_after: i64,
}

/// Checks a webhook URL: `http://host[:port]/path`.
pub fn check_url(url: &str) -> Result<(), String> {
    let uri: axum::http::Uri = url
        .parse()
        .map_err(|e| format!("url {url:?} is not a URL: {e}"))?;
    match uri.scheme_str() {
        Some("http") if uri.host().is_some() => Ok(()),
        Some("https") => Err("https webhooks need a TLS client, which this build does not have yet: use http:// to a receiver on a private network or a TLS-terminating relay".into()),
        _ => Err(format!("url {url:?}: give http://host[:port]/path")),
    }
}

/// Seconds to wait after `failures` consecutive failures.
pub fn backoff(base: i64, failures: i64) -> i64 {
    let exp = failures.clamp(1, 20) - 1;
    base.saturating_mul(1i64 << exp)
        .min(WEBHOOK_BACKOFF_MAX_SECONDS)
}

/// One pass over the webhooks that are due: at most one delivery each. Returns how many
/// deliveries succeeded.
pub async fn deliver_due(state: &AppState) -> Result<usize, ApiError> {
    let now = now_iso();
    let hooks = state
        .pool
        .run(move |s| Ok(store::webhooks::due(s.sql(), &now)?))
        .await?;
    let mut ok = 0;
    for h in hooks.into_iter().take(WEBHOOKS_MAX) {
        let after = h.cursor;
        let changes = state
            .pool
            .run(move |s| Ok(store::changes::after(s.sql(), after, WEBHOOK_BATCH_MAX)?))
            .await?;
        let Some(last) = changes.last().map(|c| c.seq) else {
            continue;
        };
        let wanted: Vec<store::changes::Change> = changes
            .into_iter()
            .filter(|c| h.resources.is_empty() || h.resources.contains(&c.resource))
            .collect();
        let id = h.id;
        if wanted.is_empty() {
            state
                .pool
                .run(move |s| Ok(store::webhooks::delivered(s.sql(), id, last, 0)?))
                .await?;
            continue;
        }
        let body = serde_json::to_vec(&Delivery {
            webhook: &h.name,
            changes: &wanted,
            next_after: last,
        })
        .map_err(ApiError::internal)?;
        let key = format!("{}-{}-{}", h.name, after, last);
        match post(&h.url, &h.secret, &key, body).await {
            Ok(()) => {
                let n = wanted.len() as i64;
                state
                    .pool
                    .run(move |s| Ok(store::webhooks::delivered(s.sql(), id, last, n)?))
                    .await?;
                ok += 1;
            }
            Err(e) => {
                let failures = h.failures + 1;
                let wait = backoff(state.config.webhook_retry_base_seconds, failures);
                let next = model::date::timestamp_utc(now_secs() + wait);
                tracing::warn!(webhook = h.id, failures, "webhook delivery failed");
                state
                    .pool
                    .run(move |s| Ok(store::webhooks::failed(s.sql(), id, failures, &next, &e)?))
                    .await?;
            }
        }
    }
    Ok(ok)
}

async fn post(url: &str, secret: &str, key: &str, body: Vec<u8>) -> Result<(), String> {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let signature = auth::sign_webhook(secret, now_secs(), &body);
    let req = axum::http::Request::builder()
        .method("POST")
        .uri(url)
        .header("content-type", "application/json")
        .header("user-agent", "tusk-webhooks/1")
        .header("idempotency-key", key)
        .header("x-tusk-signature", signature)
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| e.to_string())?;
    let resp = tokio::time::timeout(
        std::time::Duration::from_secs(WEBHOOK_TIMEOUT_SECONDS),
        client.request(req),
    )
    .await
    .map_err(|_| format!("no answer within {WEBHOOK_TIMEOUT_SECONDS} s"))?
    .map_err(|e| format!("cannot reach the receiver: {e}"))?;
    let status = resp.status();
    // Drain the body so the connection can be reused; its content is not ours to keep.
    let _ = resp.into_body().collect().await;
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("the receiver answered {status}"))
    }
}
