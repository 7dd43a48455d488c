//! The change feed under concurrent writers: a client following the cursor sees every
//! committed change exactly once, in order.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::fixture::*;

const WRITERS: usize = 3;
const FILES_PER_WRITER: usize = 4;

#[test]
fn concurrent_writers_no_gaps_no_duplicates() {
    for f in fixtures() {
        let done = Arc::new(AtomicBool::new(false));
        let dir = tempfile::tempdir().unwrap();
        let start = {
            let rt = rt();
            let got = rt.block_on(send(
                &f.app,
                req(
                    "GET",
                    "/api/v1/changes?limit=1000",
                    Some(&f.tokens["key_none"]),
                    None,
                ),
            ));
            let mut cursor = 0;
            let mut page = got.json();
            while !page["changes"].as_array().unwrap().is_empty() {
                cursor = page["next_after"].as_i64().unwrap();
                page = rt
                    .block_on(send(
                        &f.app,
                        req(
                            "GET",
                            &format!("/api/v1/changes?after={cursor}&limit=1000"),
                            Some(&f.tokens["key_none"]),
                            None,
                        ),
                    ))
                    .json();
            }
            cursor
        };
        let mut writers = Vec::new();
        let mut expected: Vec<String> = Vec::new();
        for w in 0..WRITERS {
            let mut files = Vec::new();
            for i in 0..FILES_PER_WRITER {
                let mut bytes = Vec::new();
                testkit::write_fec(&mut bytes, 80, (100 + w * FILES_PER_WRITER + i) as u64)
                    .unwrap();
                for line in String::from_utf8_lossy(&bytes).lines() {
                    expected.push(format!("fec:{}", line.rsplit('|').next().unwrap()));
                }
                let p = dir.path().join(format!("itcont-{w}-{i}.txt"));
                std::fs::write(&p, bytes).unwrap();
                files.push(p);
            }
            let open = f.open.clone();
            let rejects = dir.path().join("rejects");
            writers.push(std::thread::spawn(move || {
                let mut store = open();
                for p in files {
                    let opts = app::ImportOptions {
                        kind: ingest::Kind::Fec,
                        mapping: None,
                        rejects_dir: rejects.clone(),
                        loaded_by: "test".into(),
                        allow_mass_removal: false,
                    };
                    app::import_file(&mut *store, &p, &opts, &app::NoProgress).unwrap();
                }
            }));
        }
        let app_ = f.app.clone();
        let token = f.tokens["key_none"].clone();
        let d2 = done.clone();
        let reader = std::thread::spawn(move || {
            let rt = rt();
            let mut cursor = start;
            let mut seen: Vec<(i64, String, String)> = Vec::new();
            loop {
                let finished = d2.load(Ordering::SeqCst);
                let page = rt
                    .block_on(send(
                        &app_,
                        req(
                            "GET",
                            &format!("/api/v1/changes?after={cursor}&limit=7"),
                            Some(&token),
                            None,
                        ),
                    ))
                    .json();
                let changes = page["changes"].as_array().unwrap().clone();
                for c in &changes {
                    seen.push((
                        c["seq"].as_i64().unwrap(),
                        c["kind"].as_str().unwrap().into(),
                        c["rkey"].as_str().unwrap().into(),
                    ));
                }
                cursor = page["next_after"].as_i64().unwrap();
                if changes.is_empty() && finished {
                    return seen;
                }
            }
        });
        for w in writers {
            w.join().unwrap();
        }
        done.store(true, Ordering::SeqCst);
        let seen = reader.join().unwrap();
        assert!(
            seen.windows(2).all(|w| w[0].0 < w[1].0),
            "{}: strictly increasing, no duplicates",
            f.backend
        );
        let mut keys: Vec<String> = seen
            .iter()
            .filter(|s| s.1 == "created")
            .map(|s| s.2.clone())
            .collect();
        keys.sort();
        expected.sort();
        expected.dedup();
        assert_eq!(
            keys.len(),
            expected.len(),
            "{}: every committed donation once",
            f.backend
        );
        assert_eq!(keys, expected, "{}", f.backend);
        assert!(
            expected.len() > WRITERS * FILES_PER_WRITER,
            "the files hold rows"
        );
    }
}

/// The integrator's loop: follow the feed with a scoped key, fetch what changed, resume.
#[test]
fn an_integrator_syncs_people_and_donations_with_a_scoped_key() {
    let f = sqlite();
    let rt = rt();
    let mut s = (f.open)();
    let now = app::accounts::parse_timestamp(NOW).unwrap();
    let (key, _) = app::accounts::add_key(
        &mut *s,
        "sync",
        "people:read,donations:read,changes:read",
        "test",
        now,
    )
    .unwrap();
    let sync = |cursor: i64| -> (i64, usize, usize) {
        let (mut people, mut donations) = (0, 0);
        let mut cursor = cursor;
        loop {
            let page = rt
                .block_on(send(
                    &f.app,
                    req(
                        "GET",
                        &format!("/api/v1/changes?after={cursor}&limit=50"),
                        Some(&key),
                        None,
                    ),
                ))
                .json();
            let changes = page["changes"].as_array().unwrap();
            if changes.is_empty() {
                return (cursor, people, donations);
            }
            for c in changes {
                let id = c["resource_id"].as_i64().unwrap();
                let uri = match c["resource"].as_str().unwrap() {
                    "person" => {
                        people += 1;
                        format!("/api/v1/people/{id}")
                    }
                    "donation" => {
                        donations += 1;
                        format!("/api/v1/donations/{id}")
                    }
                    _ => continue,
                };
                let got = rt.block_on(send(&f.app, req("GET", &uri, Some(&key), None)));
                assert_eq!(got.status, 200, "{uri}: {}", got.body);
            }
            cursor = page["next_after"].as_i64().unwrap();
        }
    };
    let (cursor, people, donations) = sync(0);
    assert!(
        people >= 290 && donations > 10,
        "{people} people, {donations} donations"
    );
    // Another donations file: the next sync sees exactly its rows.
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = Vec::new();
    testkit::write_fec(&mut bytes, 300, 99).unwrap();
    let rows = String::from_utf8_lossy(&bytes).lines().count();
    let p = dir.path().join("itcont2.txt");
    std::fs::write(&p, bytes).unwrap();
    let opts = app::ImportOptions {
        kind: ingest::Kind::Fec,
        mapping: None,
        rejects_dir: dir.path().join("rejects"),
        loaded_by: "test".into(),
        allow_mass_removal: false,
    };
    app::import_file(&mut *s, &p, &opts, &app::NoProgress).unwrap();
    let (_, people2, donations2) = sync(cursor);
    assert_eq!((people2, donations2), (0, rows));
    // The key cannot read what its scopes do not name.
    let got = rt.block_on(send(&f.app, req("GET", "/api/v1/audit", Some(&key), None)));
    assert_eq!(got.status, 403);
}
