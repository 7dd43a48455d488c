//! The `tusk` binary as a user runs it: commands, `--json` output, help, and a load killed
//! with SIGKILL half-way (on both backends).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use store::Store;

mod architecture;
#[path = "../../../server/tests/it/browser_support.rs"]
mod browser_support;
mod tour;
mod turnout;

fn tusk() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tusk"));
    c.env_remove("TUSK_DATABASE").env_remove("TUSK_REJECTS_DIR");
    c
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::File::create(&p).unwrap().write_all(bytes).unwrap();
    p
}

fn ncvoter(n: usize, seed: u64) -> Vec<u8> {
    let mut out = Vec::new();
    testkit::write_ncvoter(&mut out, n, seed).unwrap();
    out
}

/// Databases to run on: a SQLite file, and PostgreSQL when the test script provides one.
fn databases(dir: &Path) -> Vec<String> {
    let mut dbs = vec![dir.join("db/tusk.db").display().to_string()];
    if let Some(url) = store_postgres::test_database_url() {
        dbs.push(url);
    }
    dbs
}

fn open(db: &str) -> Box<dyn Store> {
    if db.starts_with("postgres") {
        Box::new(store_postgres::PostgresStore::connect(db).unwrap())
    } else {
        Box::new(store_sqlite::SqliteStore::open(Path::new(db)).unwrap())
    }
}

#[test]
fn import_json_loads_and_person() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "ncvoter92.txt", &ncvoter(40, 5));
    for db in databases(dir.path()) {
        let out = tusk()
            .args(["--database", &db, "import", "ncvoter", "--json"])
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
        for key in [
            "read",
            "accepted",
            "rejected",
            "new",
            "updated",
            "unchanged",
            "removed",
            "rejects_file",
        ] {
            assert!(v.get(key).is_some(), "--json has {key}: {v}");
        }
        assert_eq!(v["read"], 40);
        assert_eq!(v["new"], 40);
        assert!(v["rejects_file"].is_null());

        let out = tusk().args(["--database", &db, "loads"]).output().unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains("ncvoter") && text.contains("ncvoter92.txt"),
            "{text}"
        );

        let ncid = testkit::voters(40, 5).next().unwrap().ncid;
        let out = tusk()
            .args([
                "--database",
                &db,
                "person",
                "--voter",
                &format!("nc:{ncid}"),
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains(&format!("[voters] nc:{ncid} (load 1, row 1)")),
            "{text}"
        );
        assert!(
            text.contains("res_street_address"),
            "fields are named by the header: {text}"
        );

        let out = tusk()
            .args(["--database", &db, "person", "999999"])
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("no person 999999"));
    }
}

#[test]
fn errors_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tusk.db").display().to_string();
    let csv = write(dir.path(), "x.csv", b"a,b\n1,2\n");
    let out = tusk()
        .args(["--database", &db, "import", "csv"])
        .arg(&csv)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs --mapping FILE"));
    let out = tusk()
        .args(["--database", &db, "import", "ncvoter"])
        .arg(&csv)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("missing columns") && err.contains("nothing of this file was kept"),
        "{err}"
    );
    let out = tusk()
        .args(["--database", &db, "import", "ncvoter", "/no/such/file"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot open /no/such/file"));
    let bad = write(
        dir.path(),
        "sharing.json",
        br#"{"target_states": ["Ohio"]}"#,
    );
    let out = tusk()
        .args(["--database", &db, "sharing", "settings", "--set"])
        .arg(&bad)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success()
            && err.contains("the settings were not changed")
            && err.contains("target_states"),
        "{err}"
    );
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["import", "--help"],
        vec!["loads", "--help"],
        vec!["person", "--help"],
        vec!["synth", "--help"],
        vec!["demo", "--help"],
        vec!["link", "--help"],
        vec!["dedupe", "--help"],
        vec!["resolve", "--help"],
        vec!["explain", "--help"],
        vec!["review", "--help"],
        vec!["bench", "--help"],
        vec!["bench", "link-synth", "--help"],
        vec!["bench", "turnout", "--help"],
        vec!["bench", "rehearsal", "--help"],
        vec!["watchers", "--help"],
        vec!["watchers", "import", "--help"],
        vec!["watchers", "readiness", "--help"],
        vec!["sharing", "--help"],
        vec!["sharing", "settings", "--help"],
        vec!["sharing", "precincts", "--help"],
        vec!["sharing", "credit", "--help"],
        vec!["sharing", "report", "--help"],
        vec!["bench", "sharing", "--help"],
        vec!["bench", "pdptw", "--help"],
        vec!["goals", "--help"],
        vec!["goals", "set", "--help"],
        vec!["goals", "list", "--help"],
    ] {
        let out = tusk().args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage: tusk"),
            "{args:?}"
        );
    }
}

/// Kills `tusk import` with SIGKILL after it has written some batches, then checks the store
/// is exactly as before the load, and that the same import then succeeds.
#[test]
fn a_load_killed_half_way_leaves_no_trace() {
    let dir = tempfile::tempdir().unwrap();
    let small = write(dir.path(), "small.txt", &ncvoter(100, 1));
    // Big enough that the load is still running when the first progress line appears.
    let big = write(dir.path(), "big.txt", &ncvoter(120_000, 2));
    for db in databases(dir.path()) {
        let ok = tusk()
            .args(["--database", &db, "import", "ncvoter"])
            .arg(&small)
            .output()
            .unwrap();
        assert!(ok.status.success());
        let before = open(&db).dump().unwrap();
        let mut child = tusk()
            .args(["--database", &db, "import", "ncvoter"])
            .arg(&big)
            .env("TUSK_PROGRESS_INTERVAL_MS", "1")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        let started = Instant::now();
        // Wait for a progress line past the first few batches: rows are in the open transaction.
        loop {
            let line = lines
                .next()
                .expect("tusk ended before writing any batch")
                .unwrap();
            if line.contains(" rows (") {
                let rows: u64 = line
                    .split(": ")
                    .nth(1)
                    .unwrap()
                    .split(' ')
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap();
                if rows >= 20_000 {
                    break;
                }
            }
            assert!(started.elapsed() < Duration::from_secs(120), "no progress");
        }
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        assert!(!status.success(), "the load was killed, not finished");
        let mut store = open(&db);
        assert_eq!(
            before,
            store.dump().unwrap(),
            "{db}: the store is as before the killed load"
        );
        assert_eq!(store.loads().unwrap().len(), 1);
        drop(store);
        let out = tusk()
            .args(["--database", &db, "import", "ncvoter", "--json"])
            .arg(&big)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["accepted"], 120_000);
        assert_eq!(v["rejected"], 0);
        assert_eq!(open(&db).loads().unwrap().len(), 2);
    }
}

#[test]
fn resolve_then_explain_a_link() {
    use testkit::campaign::{generate, CampaignConfig, Out, Outputs};
    let dir = tempfile::tempdir().unwrap();
    let mut out = Outputs(vec![Vec::new(); Out::ALL.len()]);
    generate(
        &CampaignConfig {
            voters: 3_000,
            seed: 4,
        },
        &mut out,
    )
    .unwrap();
    let bytes = |o: Out| out.0[Out::ALL.iter().position(|x| *x == o).unwrap()].clone();
    let voters = write(dir.path(), "v.txt", &bytes(Out::NcVoter));
    let fec = write(dir.path(), "itcont.txt", &bytes(Out::Fec));
    let db = dir.path().join("t.db").display().to_string();
    for (kind, f) in [("ncvoter", &voters), ("fec", &fec)] {
        let o = tusk()
            .args(["--database", &db, "import", kind])
            .arg(f)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let o = tusk()
        .args(["--database", &db, "resolve", "--json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(r["linked_to_voters"].as_u64().unwrap() > 0, "{r}");
    // The first donation and the voter it was attached to.
    let mut store = open(&db);
    let voters: std::collections::HashMap<i64, String> = store
        .resolution_rows(store::Table::Voters)
        .unwrap()
        .into_iter()
        .filter_map(|v| Some((v.person_id?, v.rkey)))
        .collect();
    let (donation, voter) = store
        .resolution_rows(store::Table::Donations)
        .unwrap()
        .into_iter()
        .find_map(|d| Some((d.rkey.clone(), voters.get(&d.person_id?)?.clone())))
        .expect("some donation is on a voter");
    let o = tusk()
        .args(["--database", &db, "explain", &voter, &donation])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        text.contains("first name") && text.contains("match weight +"),
        "{text}"
    );
    let o = tusk()
        .args(["--database", &db, "explain", &voter, "fec:0"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stderr).contains("no record fec:0"));
}

/// A minimal HTTP/1.1 exchange over loopback (no client library): status and body.
fn http(port: u16, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let body = body.unwrap_or("");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = out
        .split_once("\r\n\r\n")
        .map(|x| x.1.to_string())
        .unwrap_or_default();
    (status, body)
}

/// `tusk demo` loads a campaign, makes one account per role and serves it: a staff member
/// signs in with a password and a two-factor code.
#[test]
fn demo_serves_with_demo_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = tusk()
        .args([
            "demo",
            "--voters",
            "3000",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .arg("--dir")
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut password = None;
    let mut serving = false;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.first() == Some(&"director") && words.get(1) == Some(&"data_director") {
            password = words.get(2).map(|s| s.to_string());
        }
        if line.starts_with("tusk: serving on") {
            serving = true;
            break;
        }
    }
    assert!(serving, "the demo serves");
    let password = password.expect("the demo prints the director's password");
    let db = dir.path().join("tusk.db");
    let code = tusk()
        .args([
            "--database",
            db.to_str().unwrap(),
            "user",
            "code",
            "director",
        ])
        .output()
        .unwrap();
    assert!(code.status.success());
    let code = String::from_utf8(code.stdout).unwrap().trim().to_string();
    assert_eq!(code.len(), 6);
    let started = Instant::now();
    let (status, body) = loop {
        let r = std::panic::catch_unwind(|| {
            http(
                port,
                "POST",
                "/api/v1/login",
                Some(&format!(
                    r#"{{"username":"director","password":"{password}","totp":"{code}"}}"#
                )),
            )
        });
        match r {
            Ok(r) => break r,
            Err(_) if started.elapsed() < Duration::from_secs(20) => {
                std::thread::sleep(Duration::from_millis(100))
            }
            Err(_) => panic!("the demo server does not answer"),
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"role\":\"data_director\""), "{body}");
}

/// `tusk goals set` checks every row first (a wrong row keeps none and is named), then the
/// goals are listed as set.
#[test]
fn goals_are_set_from_a_file_and_listed() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "ncvoter.txt", &ncvoter(40, 5));
    for db in databases(dir.path()) {
        let out = tusk()
            .args(["--database", &db, "import", "ncvoter"])
            .arg(&file)
            .output()
            .unwrap();
        assert!(out.status.success());
        let county = {
            use store::sql::RowExt;
            let mut st = open(&db);
            st.sql()
                .query("SELECT county FROM voters ORDER BY county LIMIT 1", &[])
                .unwrap()[0]
                .text(0)
                .unwrap()
        };
        let bad = write(
            dir.path(),
            "bad.csv",
            format!("region,metric,target,due\n{county},doors,500,2026-10-31\nNOWHERE,doors,5,\n")
                .as_bytes(),
        );
        let out = tusk()
            .args(["--database", &db, "goals", "set"])
            .arg(&bad)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(
            err.contains("no goal was set") && err.contains("row 3, region: no county NOWHERE"),
            "{err}"
        );
        let good = write(
            dir.path(),
            "goals.csv",
            format!(
                "Region,Metric,Target,Due\n{},Doors,\"1,500\",2026-10-31\nall,money,250000,\n",
                county.to_lowercase()
            )
            .as_bytes(),
        );
        let out = tusk()
            .args(["--database", &db, "goals", "set"])
            .arg(&good)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = tusk()
            .args(["--database", &db, "goals", "list", "--json"])
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let goals = v.as_array().unwrap();
        let doors = goals
            .iter()
            .find(|g| g["region"] == county.as_str() && g["metric"] == "doors")
            .unwrap_or_else(|| panic!("{v}"));
        assert_eq!(doors["target"], 1500);
        assert_eq!(doors["due"], "2026-10-31");
        assert!(goals
            .iter()
            .any(|g| g["region"] == "all" && g["metric"] == "money"));
    }
}
