//! Election day against the real server process: reports sent while the server is killed
//! with SIGKILL and restarted, again and again (every acknowledged report is in the journal
//! afterwards, none twice), and far more load than the report path takes (backpressure, the
//! server stays up and the board keeps answering).

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{databases, ncvoter, tusk, write};

/// Kill-and-restart cycles in the test suite (the benchmark runs more: `TUSK_CRASH_CYCLES`).
const CRASH_CYCLES: usize = 20;

fn crash_cycles() -> usize {
    std::env::var("TUSK_CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CRASH_CYCLES)
}
/// Threads sending reports during a cycle.
const SENDERS: usize = 4;
/// Reports per request.
const BATCH: usize = 25;
/// The board must answer within this while the report path is overloaded (a client timeout,
/// generous on purpose: a liveness check, not a speed figure — those are in the benchmark).
const BOARD_TIMEOUT: Duration = Duration::from_secs(5);

struct Reply {
    status: u16,
    retry_after: bool,
    body: String,
}

fn request(
    port: u16,
    method: &str,
    path: &str,
    token: &str,
    body: &str,
    timeout: Duration,
) -> std::io::Result<Reply> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    let status = out
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status line"))?;
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    Ok(Reply {
        status,
        retry_after: head.to_ascii_lowercase().contains("\r\nretry-after:"),
        body: body.to_string(),
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn serve(db: &str, port: u16, extra: &[&str]) -> Child {
    tusk()
        .args([
            "--database",
            db,
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Voter ids on the store and a key that may report and read.
fn setup(dir: &Path, db: &str) -> (Vec<String>, String) {
    let file = write(dir, "ncvoter.txt", &ncvoter(400, 11));
    let out = tusk()
        .args(["--database", db, "import", "ncvoter"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = tusk()
        .args([
            "--database",
            db,
            "key",
            "add",
            "hotline",
            "--scopes",
            "turnout:write,turnout:read",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .find(|w| w.starts_with("tusk_k_"))
        .expect("the key is printed")
        .to_string();
    let mut store = super::open(db);
    use store::sql::RowExt;
    let ids = store
        .sql()
        .query(
            "SELECT voter_id FROM voters WHERE status IN ('A','I','S') ORDER BY voter_id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.text(0).unwrap())
        .collect();
    (ids, token)
}

fn body_of(ids: &[(String, String)]) -> String {
    let items: Vec<String> = ids
        .iter()
        .map(|(c, v)| format!(r#"{{"client_id":"{c}","voter_id":"{v}"}}"#))
        .collect();
    format!(r#"{{"reports":[{}]}}"#, items.join(","))
}

/// Waits until the server acknowledges a report (its board is built); returns how long.
fn wait_ready(port: u16, token: &str, voter: &str, tag: &str) -> Duration {
    let started = Instant::now();
    loop {
        let body = body_of(&[(format!("ready-{tag}"), voter.to_string())]);
        if let Ok(r) = request(
            port,
            "POST",
            "/api/v1/turnout/reports",
            token,
            &body,
            Duration::from_secs(5),
        ) {
            if r.status == 200 {
                return started.elapsed();
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the server never became ready"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Every report in the journal, by client id (counted).
fn journal(port: u16, token: &str) -> HashMap<String, u32> {
    let mut seen: HashMap<String, u32> = HashMap::new();
    let mut after = 0i64;
    loop {
        let r = request(
            port,
            "GET",
            &format!("/api/v1/turnout/reports?after={after}&limit=5000"),
            token,
            "",
            Duration::from_secs(30),
        )
        .unwrap();
        assert_eq!(r.status, 200, "{}", r.body);
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        let reports = v["reports"].as_array().unwrap();
        if reports.is_empty() {
            return seen;
        }
        for rep in reports {
            *seen
                .entry(rep["client_id"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
        after = v["next_after"].as_i64().unwrap();
    }
}

#[derive(Default)]
struct Ledger {
    /// Acknowledged (accepted or duplicate) by the server.
    acked: HashSet<String>,
    /// Sent, answer lost (the server died): maybe durable, resent later.
    unknown: HashMap<String, String>,
    sent: HashSet<String>,
}

fn send_until(
    port: u16,
    token: &str,
    voters: &[String],
    stop: &AtomicBool,
    ledger: &Mutex<Ledger>,
    next: &AtomicU64,
    thread: usize,
) {
    while !stop.load(Ordering::SeqCst) {
        let batch: Vec<(String, String)> = (0..BATCH)
            .map(|_| {
                let n = next.fetch_add(1, Ordering::SeqCst);
                (
                    format!("r{thread}-{n}"),
                    voters[n as usize % voters.len()].clone(),
                )
            })
            .collect();
        {
            let mut l = ledger.lock().unwrap();
            for (c, v) in &batch {
                l.sent.insert(c.clone());
                l.unknown.insert(c.clone(), v.clone());
            }
        }
        match request(
            port,
            "POST",
            "/api/v1/turnout/reports",
            token,
            &body_of(&batch),
            Duration::from_secs(10),
        ) {
            Ok(r) if r.status == 200 => {
                let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
                let mut l = ledger.lock().unwrap();
                for res in v["results"].as_array().unwrap() {
                    let c = res["client_id"].as_str().unwrap().to_string();
                    let st = res["status"].as_str().unwrap();
                    assert!(st == "accepted" || st == "duplicate", "{res}");
                    l.unknown.remove(&c);
                    l.acked.insert(c);
                }
            }
            // 503 while starting or overloaded: not acknowledged, resent later.
            Ok(r) => assert!(r.status == 503 && r.retry_after, "{} {}", r.status, r.body),
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

#[test]
fn acknowledged_reports_survive_sigkill_again_and_again() {
    for db_kind in 0..2 {
        let dir = tempfile::tempdir().unwrap();
        let dbs = databases(dir.path());
        let Some(db) = dbs.get(db_kind) else { continue };
        let (voters, token) = setup(dir.path(), db);
        let port = free_port();
        let ledger = Mutex::new(Ledger::default());
        let next = AtomicU64::new(0);
        let mut recoveries = Vec::new();
        let mut rng = 0x9e37_79b9_u64;
        let cycles = crash_cycles();
        for cycle in 0..cycles {
            let mut child = serve(db, port, &[]);
            recoveries.push(wait_ready(port, &token, &voters[0], &cycle.to_string()));
            // Resend what was in flight when the last server died: each is accepted or a
            // duplicate, never counted twice.
            let pending: Vec<(String, String)> = ledger
                .lock()
                .unwrap()
                .unknown
                .iter()
                .map(|(c, v)| (c.clone(), v.clone()))
                .collect();
            for chunk in pending.chunks(BATCH) {
                let r = request(
                    port,
                    "POST",
                    "/api/v1/turnout/reports",
                    &token,
                    &body_of(chunk),
                    Duration::from_secs(10),
                )
                .unwrap();
                assert_eq!(r.status, 200, "{}", r.body);
                let mut l = ledger.lock().unwrap();
                for (c, _) in chunk {
                    l.unknown.remove(c);
                    l.acked.insert(c.clone());
                }
            }
            let stop = AtomicBool::new(false);
            std::thread::scope(|s| {
                for t in 0..SENDERS {
                    let (stop, ledger, next, voters, token) =
                        (&stop, &ledger, &next, &voters, &token);
                    s.spawn(move || send_until(port, token, voters, stop, ledger, next, t));
                }
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                std::thread::sleep(Duration::from_millis(150 + rng % 400));
                // SIGKILL mid-stream: no shutdown, no flush.
                child.kill().unwrap();
                child.wait().unwrap();
                stop.store(true, Ordering::SeqCst);
            });
        }
        let mut child = serve(db, port, &[]);
        wait_ready(port, &token, &voters[0], "final");
        let seen = journal(port, &token);
        let _ = child.kill();
        let _ = child.wait();
        let l = ledger.lock().unwrap();
        assert!(
            l.acked.len() > cycles * BATCH,
            "reports flowed: {} acknowledged",
            l.acked.len()
        );
        let lost: Vec<&String> = l.acked.iter().filter(|c| !seen.contains_key(*c)).collect();
        assert!(
            lost.is_empty(),
            "{} acknowledged reports lost, e.g. {:?}",
            lost.len(),
            &lost[..lost.len().min(5)]
        );
        let twice: Vec<(&String, &u32)> = seen.iter().filter(|(_, n)| **n > 1).collect();
        assert!(twice.is_empty(), "reports twice in the journal: {twice:?}");
        let invented: Vec<&String> = seen
            .keys()
            .filter(|c| !c.starts_with("ready-") && !l.sent.contains(*c))
            .collect();
        assert!(invented.is_empty(), "reports nobody sent: {invented:?}");
        let slowest = recoveries.iter().max().unwrap();
        eprintln!(
            "{db}: {cycles} SIGKILL cycles, {} acknowledged, {} in the journal, 0 lost; slowest restart to first acknowledgement {slowest:?}",
            l.acked.len(),
            seen.len()
        );
    }
}

#[test]
fn overload_gets_backpressure_and_the_board_keeps_answering() {
    let dir = tempfile::tempdir().unwrap();
    let db = databases(dir.path())[0].clone();
    let (voters, token) = setup(dir.path(), &db);
    let port = free_port();
    // A tiny report path: two requests at a time, 2,000 reports waiting at most.
    let mut child = serve(
        &db,
        port,
        &[
            "--turnout-in-flight-max",
            "2",
            "--turnout-queue-max",
            "2000",
        ],
    );
    wait_ready(port, &token, &voters[0], "0");
    let stop = AtomicBool::new(false);
    let (ok, busy, failed) = (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0));
    let board_answers = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for t in 0..24 {
            let (stop, ok, busy, failed, voters, token) =
                (&stop, &ok, &busy, &failed, &voters, &token);
            s.spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::SeqCst) {
                    let batch: Vec<(String, String)> = (0..500)
                        .map(|i| {
                            n += 1;
                            (format!("o{t}-{n}"), voters[(n + i) % voters.len()].clone())
                        })
                        .collect();
                    match request(
                        port,
                        "POST",
                        "/api/v1/turnout/reports",
                        token,
                        &body_of(&batch),
                        Duration::from_secs(30),
                    ) {
                        Ok(r) if r.status == 200 => ok.fetch_add(1, Ordering::SeqCst),
                        Ok(r) => {
                            assert!(r.status == 503 && r.retry_after, "{} {}", r.status, r.body);
                            busy.fetch_add(1, Ordering::SeqCst)
                        }
                        Err(_) => failed.fetch_add(1, Ordering::SeqCst),
                    };
                }
            });
        }
        let (stop, board_answers, token) = (&stop, &board_answers, &token);
        s.spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let started = Instant::now();
                let r = request(
                    port,
                    "GET",
                    "/api/v1/turnout/board",
                    token,
                    "",
                    BOARD_TIMEOUT,
                );
                board_answers
                    .lock()
                    .unwrap()
                    .push((r.map(|r| r.status).unwrap_or(0), started.elapsed()));
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        std::thread::sleep(Duration::from_secs(4));
        stop.store(true, Ordering::SeqCst);
    });
    // Still up: a report goes through afterwards.
    let after = wait_ready(port, &token, &voters[1], "after");
    let _ = child.kill();
    let _ = child.wait();
    let answers = board_answers.into_inner().unwrap();
    let (ok, busy, failed) = (ok.into_inner(), busy.into_inner(), failed.into_inner());
    assert!(
        busy > 0,
        "the report path pushed back ({ok} accepted, {busy} busy)"
    );
    assert!(ok > 0, "and still took what it could");
    assert_eq!(failed, 0, "no connection failed: the server stayed up");
    assert!(answers.len() >= 10, "the board was asked: {answers:?}");
    assert!(
        answers.iter().all(|(s, _)| *s == 200),
        "the board answered every time: {answers:?}"
    );
    let slowest = answers.iter().map(|a| a.1).max().unwrap();
    eprintln!("overload: {ok} batches accepted, {busy} pushed back; board slowest {slowest:?}; first report after {after:?}");
}
