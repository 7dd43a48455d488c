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

/// The `p` quantile of sorted values (0 when there are none).
fn quantile(sorted: &[f64], p: f64) -> f64 {
    sorted
        .get(((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or(0.0)
}

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
    let voters: Vec<String> = store
        .sql()
        .query(
            &format!(
                "SELECT voter_id FROM voters WHERE removed_load_id IS NULL AND {}",
                app::turnout::voting_statuses_sql()
            ),
            &[],
        )?
        .iter()
        .map(|r| r.text(0))
        .collect::<store::Result<_>>()?;
    if voters.is_empty() {
        bail!("no voters in {database}: import a voter file first");
    }
    let precincts: Vec<(String, String)> = store
        .sql()
        .query(
            "SELECT DISTINCT upper(county), upper(precinct) FROM voters WHERE removed_load_id IS NULL ORDER BY 1, 2",
            &[],
        )?
        .iter()
        .map(|r| Ok((r.text(0)?, r.text(1)?)))
        .collect::<store::Result<_>>()?;
    let voters = Arc::new(voters);
    let probes: Arc<Mutex<Vec<f64>>> = Arc::default();
    let load_done = Arc::new(std::sync::atomic::AtomicBool::new(false));
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
        // Meanwhile, report → chase list: take the head of a precinct's chase list, report
        // them, and time until the list no longer holds them.
        let probe = {
            let (client, probes, load_done) = (client.clone(), probes.clone(), load_done.clone());
            let base = a.url.trim_end_matches('/').to_string();
            let auth = format!("Bearer {}", a.key);
            let tag = a.tag.to_string();
            tokio::spawn(async move {
                let mut n = 0usize;
                while !load_done.load(Ordering::SeqCst) && !precincts.is_empty() {
                    let (c, p) = &precincts[(n * 7919) % precincts.len()];
                    n += 1;
                    let chase = format!(
                        "{base}/api/v1/turnout/chase?county={}&precinct={}&limit=1000",
                        c.replace(' ', "%20"),
                        p.replace(' ', "%20")
                    );
                    let head = match http_get(&client, &chase, &auth).await {
                        Ok((200, body)) => serde_json::from_slice::<serde_json::Value>(&body)
                            .ok()
                            .and_then(|v| v["people"][0]["voter_id"].as_str().map(String::from)),
                        _ => None,
                    };
                    let Some(voter) = head else {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    };
                    let t0 = Instant::now();
                    let body = format!(r#"{{"client_id":"{tag}-probe-{n}","voter_id":"{voter}"}}"#);
                    let url = format!("{base}/api/v1/turnout/reports");
                    if !matches!(http_request(&client, &url, &auth, body).await, Ok((200, _))) {
                        continue;
                    }
                    loop {
                        match http_get(&client, &chase, &auth).await {
                            Ok((200, body))
                                if !String::from_utf8_lossy(&body)
                                    .contains(&format!("\"{voter}\"")) =>
                            {
                                probes
                                    .lock()
                                    .unwrap()
                                    .push(t0.elapsed().as_secs_f64() * 1e3);
                                break;
                            }
                            _ if t0.elapsed() > Duration::from_secs(60) => break,
                            _ => tokio::time::sleep(Duration::from_millis(5)).await,
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            })
        };
        for t in tasks {
            let _ = t.await;
        }
        load_done.store(true, Ordering::SeqCst);
        let _ = probe.await;
    });
    let secs = started.elapsed().as_secs_f64();
    let mut l = lat.lock().unwrap().clone();
    l.sort_by(f64::total_cmp);
    let q = |p: f64| quantile(&l, p);
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
    let mut p = probes.lock().unwrap().clone();
    if p.is_empty() {
        println!("report → chase list: no probe (no supporters on the chase lists: apply a support model)");
    } else {
        p.sort_by(f64::total_cmp);
        let q = |x: f64| quantile(&p, x);
        println!(
            "report → chase list (during the load): {} probes, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (from sending the report to a chase list read without the voter)",
            p.len(),
            q(0.5),
            q(0.99),
            p[p.len() - 1]
        );
    }
    Ok(())
}

async fn http_get(
    client: &Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
    url: &str,
    auth: &str,
) -> Result<(u16, Bytes)> {
    let req = hyper::Request::get(url)
        .header("authorization", auth)
        .body(Full::new(Bytes::new()))?;
    let resp = client.request(req).await?;
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await?.to_bytes();
    Ok((status, body))
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

/// Requests the rehearsal's simulated phones have open at once at most (sockets).
const REHEARSAL_CONNECTIONS_MAX: usize = 2_000;
/// Reports a phone sends in one request at most (as `static/watch.js`).
const PHONE_BATCH_MAX: usize = 200;
/// A phone's retry wait: first, and most (doubling between).
const PHONE_BACKOFF_MS: (u64, u64) = (1_000, 15_000);
/// Precincts whose rosters are checked at the end.
const REHEARSAL_CHECKED_PRECINCTS: usize = 50;

pub struct RehearsalArgs<'a> {
    pub url: &'a str,
    pub key: &'a str,
    pub watchers: usize,
    pub reports: u64,
    pub seconds: f64,
    pub tag: &'a str,
}

/// A simulated phone: its queue of (client id, voter id). Phone `w` watches precinct
/// `w % precincts`.
struct Phone {
    queue: Vec<(String, String)>,
}

/// Election day compressed into `seconds`: `watchers` phones, each on a precinct of the store
/// (round robin), tap `reports` voters of their precinct's roster as the day goes (the
/// assumed day curve: a morning surge), keep what they cannot send and retry with backoff, as
/// the poll-watcher page does. The server may be killed and restarted meanwhile (the script
/// does): the phones' queues then come back as a reconnect storm. At the end: every
/// acknowledged report is in the journal once, the rosters of sampled precincts show every
/// acknowledged voter as voted, and the board's totals are printed.
pub fn rehearsal(database: &str, a: &RehearsalArgs) -> Result<()> {
    let mut store = crate::open_store(database)?;
    let mut rosters: std::collections::BTreeMap<(String, String), Vec<String>> = Default::default();
    store.sql().query_each(
        &format!(
            "SELECT upper(county), upper(precinct), voter_id FROM voters WHERE removed_load_id IS NULL AND {}",
            app::turnout::voting_statuses_sql()
        ),
        &[],
        &mut |r| {
            let t = |i: usize| match &r[i] {
                store::Value::Text(t) => t.clone(),
                v => format!("{v:?}"),
            };
            rosters.entry((t(0), t(1))).or_default().push(t(2));
            Ok(())
        },
    )?;
    drop(store);
    if rosters.is_empty() {
        bail!("no voters in {database}: import a voter file first");
    }
    let rosters: Vec<((String, String), Vec<String>)> = rosters.into_iter().collect();
    let phones: Vec<Mutex<Phone>> = (0..a.watchers.max(1))
        .map(|_| Mutex::new(Phone { queue: Vec::new() }))
        .collect();
    let phones = Arc::new(phones);
    let rosters = Arc::new(rosters);
    let acked: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let stats = Arc::new([
        AtomicU64::new(0), // requests answered 200
        AtomicU64::new(0), // 503s
        AtomicU64::new(0), // connection failures
        AtomicU64::new(0), // taps
    ]);
    let lat: Arc<Mutex<Vec<f64>>> = Arc::default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let url = format!("{}/api/v1/turnout/reports", a.url.trim_end_matches('/'));
    let auth = format!("Bearer {}", a.key);
    let started = Instant::now();
    let total = a.reports;
    let seconds = a.seconds.max(1.0);
    rt.block_on(async {
        let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(REHEARSAL_CONNECTIONS_MAX)
            .build_http();
        let gate = Arc::new(tokio::sync::Semaphore::new(REHEARSAL_CONNECTIONS_MAX));
        let taps_done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        // The phones: each sends its queue when it has one, backing off on failure.
        let mut tasks = Vec::new();
        for w in 0..phones.len() {
            let (phones, client, gate, acked, stats, lat, url, auth, taps_done) = (
                phones.clone(),
                client.clone(),
                gate.clone(),
                acked.clone(),
                stats.clone(),
                lat.clone(),
                url.clone(),
                auth.clone(),
                taps_done.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let mut backoff = 0u64;
                let mut rng = (w as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
                loop {
                    let batch: Vec<(String, String)> = {
                        let p = phones[w].lock().unwrap();
                        p.queue.iter().take(PHONE_BATCH_MAX).cloned().collect()
                    };
                    if batch.is_empty() {
                        if taps_done.load(Ordering::SeqCst) {
                            return;
                        }
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                    let body = format!(
                        r#"{{"reports":[{}]}}"#,
                        batch
                            .iter()
                            .map(|(c, v)| format!(r#"{{"client_id":"{c}","voter_id":"{v}"}}"#))
                            .collect::<Vec<_>>()
                            .join(",")
                    );
                    let permit = gate.clone().acquire_owned().await.expect("gate");
                    let t0 = Instant::now();
                    let r = http_request(&client, &url, &auth, body).await;
                    drop(permit);
                    match r {
                        Ok((200, _)) => {
                            lat.lock().unwrap().push(t0.elapsed().as_secs_f64() * 1e3);
                            stats[0].fetch_add(1, Ordering::SeqCst);
                            let mut p = phones[w].lock().unwrap();
                            p.queue.drain(..batch.len());
                            acked.lock().unwrap().extend(batch);
                            backoff = 0;
                            continue;
                        }
                        Ok((503, retry)) => {
                            stats[1].fetch_add(1, Ordering::SeqCst);
                            backoff = backoff.max(retry.unwrap_or(1) * 1000);
                        }
                        _ => {
                            stats[2].fetch_add(1, Ordering::SeqCst);
                        }
                    }
                    backoff = if backoff == 0 {
                        PHONE_BACKOFF_MS.0
                    } else {
                        (backoff * 2).min(PHONE_BACKOFF_MS.1)
                    };
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    tokio::time::sleep(Duration::from_millis(backoff + rng % 250)).await;
                }
            }));
        }
        // The day: taps at the pace of the day curve.
        let mut next_voter: Vec<usize> = vec![0; rosters.len()];
        let mut tapped = 0u64;
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        while tapped < total {
            let elapsed = started.elapsed().as_secs_f64();
            let due = ((targeting::turnout::day_share(elapsed, seconds) * total as f64) as u64)
                .min(total);
            while tapped < due {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                let w = (rng % phones.len() as u64) as usize;
                let pi = w % rosters.len();
                let roster = &rosters[pi].1;
                let v = roster[next_voter[pi] % roster.len()].clone();
                next_voter[pi] += 1;
                phones[w]
                    .lock()
                    .unwrap()
                    .queue
                    .push((format!("{}-{tapped}", a.tag), v));
                tapped += 1;
            }
            stats[3].store(tapped, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        taps_done.store(true, Ordering::SeqCst);
        for t in tasks {
            let _ = t.await;
        }
    });
    let secs = started.elapsed().as_secs_f64();
    let acked = Arc::try_unwrap(acked).ok().unwrap().into_inner().unwrap();
    let mut l = lat.lock().unwrap().clone();
    l.sort_by(f64::total_cmp);
    let q = |p: f64| quantile(&l, p);
    println!(
        "rehearsal: {} watchers on {} precincts, {} taps over {:.0} s (day curve), all acknowledged after {secs:.1} s; {} requests answered (p50 {:.1} ms, p99 {:.1} ms), {} answered 503 and retried, {} connection failures retried",
        phones.len(),
        rosters.len().min(phones.len()),
        acked.len(),
        seconds,
        stats[0].load(Ordering::SeqCst),
        q(0.5),
        q(0.99),
        stats[1].load(Ordering::SeqCst),
        stats[2].load(Ordering::SeqCst),
    );
    // Checks: the journal holds every acknowledged report once; rosters show them voted.
    let get = |path: &str| -> Result<serde_json::Value> {
        let out = std::process::Command::new("curl")
            .args(["-sf", "-H", &format!("Authorization: Bearer {}", a.key)])
            .arg(format!("{}{path}", a.url.trim_end_matches('/')))
            .output()
            .context("curl")?;
        if !out.status.success() {
            bail!("GET {path} failed");
        }
        Ok(serde_json::from_slice(&out.stdout)?)
    };
    let mut seen: std::collections::HashMap<String, u32> = Default::default();
    let mut after = 0i64;
    loop {
        let page = get(&format!("/api/v1/turnout/reports?after={after}&limit=5000"))?;
        let rows = page["reports"].as_array().cloned().unwrap_or_default();
        if rows.is_empty() {
            break;
        }
        for r in rows {
            if let Some(c) = r["client_id"].as_str() {
                if c.starts_with(a.tag) {
                    *seen.entry(c.to_string()).or_default() += 1;
                }
            }
        }
        after = page["next_after"].as_i64().unwrap_or(after);
    }
    let lost = acked.iter().filter(|(c, _)| !seen.contains_key(c)).count();
    let twice = seen.values().filter(|n| **n > 1).count();
    let voted: std::collections::HashSet<&str> = acked.iter().map(|(_, v)| v.as_str()).collect();
    let mut checked = 0usize;
    let mut stale = 0usize;
    let mut chase_rows = 0usize;
    let step = (rosters.len() / REHEARSAL_CHECKED_PRECINCTS).max(1);
    for ((c, p), _) in rosters
        .iter()
        .step_by(step)
        .take(REHEARSAL_CHECKED_PRECINCTS)
    {
        let r = get(&format!(
            "/api/v1/turnout/roster?county={}&precinct={}",
            c.replace(' ', "%20"),
            p.replace(' ', "%20")
        ))?;
        for v in r["voters"].as_array().cloned().unwrap_or_default() {
            if voted.contains(v["voter_id"].as_str().unwrap_or("")) {
                checked += 1;
                if v["voted"] != true {
                    stale += 1;
                }
            }
        }
        // The chase list never holds someone acknowledged as voted.
        let chase = get(&format!(
            "/api/v1/turnout/chase?county={}&precinct={}&limit=1000",
            c.replace(' ', "%20"),
            p.replace(' ', "%20")
        ))?;
        for v in chase["people"].as_array().cloned().unwrap_or_default() {
            chase_rows += 1;
            if voted.contains(v["voter_id"].as_str().unwrap_or("")) {
                stale += 1;
            }
        }
    }
    let board = get("/api/v1/turnout/board")?;
    let all = board["totals"]
        .as_array()
        .and_then(|t| t.last().cloned())
        .unwrap_or_default();
    println!(
        "checks: {} acknowledged, {} in the journal, {lost} lost, {twice} twice; {checked} reported voters on {} sampled rosters and {chase_rows} people on their chase lists, {stale} stale; board (all): voted {} of {} registered (early {}, reported {}), expected now {}, coverage {:.0} %, complete {}",
        acked.len(),
        seen.len(),
        REHEARSAL_CHECKED_PRECINCTS.min(rosters.len()),
        all["voted"],
        all["registered"],
        all["early"],
        all["reported"],
        all["expected_now"],
        all["coverage"].as_f64().unwrap_or(0.0) * 100.0,
        board["complete"],
    );
    if lost > 0 || twice > 0 || stale > 0 {
        bail!("the rehearsal failed its checks");
    }
    Ok(())
}
