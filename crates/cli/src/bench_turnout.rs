//! `tusk bench turnout`: a load generator for the election-day report path of a running
//! server (`tusk serve`), and the raw fsync rate of a directory's disk as the reference.
//! Reports go to the store's voters, each with a fresh client id; 503 answers are waited out
//! (`Retry-After`) and sent again, as the poll-watcher page does.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use store::sql::RowExt;

/// Seconds one fsync-rate measurement runs.
const FSYNC_SECONDS: f64 = 2.0;

/// Raw `write(4 KiB) + fdatasync` per second in `dir` (what one commit at a time can reach).
pub fn fsync_rate(dir: &Path) -> Result<f64> {
    let path = dir.join(".tusk-fsync-probe");
    let mut f = std::fs::File::create(&path)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    let block = [0x5au8; 4096];
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed().as_secs_f64() < FSYNC_SECONDS {
        f.write_all(&block)?;
        f.sync_data()?;
        n += 1;
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    drop(f);
    let _ = std::fs::remove_file(&path);
    Ok(rate)
}

pub struct LoadArgs<'a> {
    pub url: &'a str,
    pub key: &'a str,
    pub reports: u64,
    pub batch: usize,
    pub clients: usize,
    pub tag: &'a str,
}

/// Sends `reports` reports in requests of `batch` from `clients` concurrent clients.
pub fn load(database: &str, a: &LoadArgs) -> Result<()> {
    if a.batch == 0 || a.batch > app::turnout::REPORT_BATCH_MAX {
        bail!(
            "--batch: 1 to {} reports per request",
            app::turnout::REPORT_BATCH_MAX
        );
    }
    let mut store = crate::open_store(database)?;
    let statuses = app::turnout::VOTING_STATUSES
        .iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(",");
    let voters: Vec<String> = store
        .sql()
        .query(
            &format!("SELECT voter_id FROM voters WHERE removed_load_id IS NULL AND status IN ({statuses})"),
            &[],
        )?
        .iter()
        .map(|r| r.text(0))
        .collect::<store::Result<_>>()?;
    if voters.is_empty() {
        bail!("no voters in {database}: import a voter file first");
    }
    let voters = Arc::new(voters);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let acked = Arc::new(AtomicU64::new(0));
    let busy = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let next = Arc::new(AtomicU64::new(0));
    let lat: Arc<Mutex<Vec<f64>>> = Arc::default();
    let started = Instant::now();
    rt.block_on(async {
        let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
        let mut tasks = Vec::new();
        for _ in 0..a.clients.max(1) {
            let (client, voters, acked, busy, failed, next, lat) = (
                client.clone(),
                voters.clone(),
                acked.clone(),
                busy.clone(),
                failed.clone(),
                next.clone(),
                lat.clone(),
            );
            let url = format!("{}/api/v1/turnout/reports", a.url.trim_end_matches('/'));
            let auth = format!("Bearer {}", a.key);
            let (batch, total, tag) = (a.batch as u64, a.reports, a.tag.to_string());
            tasks.push(tokio::spawn(async move {
                loop {
                    let first = next.fetch_add(batch, Ordering::SeqCst);
                    if first >= total {
                        return;
                    }
                    let n = batch.min(total - first);
                    let items: Vec<String> = (first..first + n)
                        .map(|i| {
                            format!(
                                r#"{{"client_id":"{tag}-{i}","voter_id":"{}"}}"#,
                                voters[(i as usize * 7919) % voters.len()]
                            )
                        })
                        .collect();
                    let body = if batch == 1 {
                        items[0].clone()
                    } else {
                        format!(r#"{{"reports":[{}]}}"#, items.join(","))
                    };
                    loop {
                        let t0 = Instant::now();
                        match http_request(&client, &url, &auth, body.clone()).await {
                            Ok((200, _)) => {
                                lat.lock().unwrap().push(t0.elapsed().as_secs_f64() * 1e3);
                                acked.fetch_add(n, Ordering::SeqCst);
                                break;
                            }
                            Ok((503, retry)) => {
                                busy.fetch_add(1, Ordering::SeqCst);
                                tokio::time::sleep(Duration::from_millis(
                                    retry.unwrap_or(1) * 1000,
                                ))
                                .await;
                            }
                            _ => {
                                failed.fetch_add(1, Ordering::SeqCst);
                                tokio::time::sleep(Duration::from_millis(100)).await;
                            }
                        }
                    }
                }
            }));
        }
        for t in tasks {
            let _ = t.await;
        }
    });
    let secs = started.elapsed().as_secs_f64();
    let mut l = lat.lock().unwrap().clone();
    l.sort_by(f64::total_cmp);
    let q = |p: f64| {
        l.get(((l.len() as f64 * p) as usize).min(l.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0)
    };
    println!(
        "turnout load: {} reports acknowledged in {secs:.1} s = {:.0} reports/s ({} per request, {} clients); ack latency p50 {:.1} ms p99 {:.1} ms max {:.1} ms; {} answers 503 (waited out), {} failed",
        acked.load(Ordering::SeqCst),
        acked.load(Ordering::SeqCst) as f64 / secs,
        a.batch,
        a.clients,
        q(0.5),
        q(0.99),
        l.last().copied().unwrap_or(0.0),
        busy.load(Ordering::SeqCst),
        failed.load(Ordering::SeqCst),
    );
    Ok(())
}

async fn http_request(
    client: &Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
    url: &str,
    auth: &str,
    body: String,
) -> Result<(u16, Option<u64>)> {
    let req = hyper::Request::post(url)
        .header("content-type", "application/json")
        .header("authorization", auth)
        .body(Full::new(Bytes::from(body)))?;
    let resp = client.request(req).await?;
    let status = resp.status().as_u16();
    let retry = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let _ = resp.into_body().collect().await?;
    Ok((status, retry))
}
