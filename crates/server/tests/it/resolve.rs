//! Resolution started through the server on both backends: it runs in the background, is
//! followed to its end, writes its load; one at a time and never beside a file load; a wrong
//! threshold is named.

use std::time::{Duration, Instant};

use store::sql::RowExt;

use crate::fixture::*;

#[test]
fn a_director_resolves_from_the_server() {
    for f in fixtures() {
        let rt = rt();
        let tok = f.tokens.get("director").map(String::as_str);
        let loads_of_resolve = || {
            let mut st = (f.open)();
            st.sql()
                .query(
                    "SELECT CAST(COUNT(*) AS BIGINT) FROM loads WHERE kind = 'resolve'",
                    &[],
                )
                .unwrap()[0]
                .int(0)
                .unwrap()
        };
        let before = loads_of_resolve();
        let post = |body: &str| {
            rt.block_on(send(
                &f.app,
                req(
                    "POST",
                    "/api/v1/resolve",
                    tok,
                    Some(("application/json", body.to_string())),
                ),
            ))
        };
        let r = post(r#"{"threshold": 2}"#);
        assert_eq!(r.status, 400, "{}", r.body);
        assert_eq!(r.json()["field"], "threshold");
        // Not beside a load.
        {
            let _load = f.state.loading.clone().try_lock_owned().unwrap();
            let r = post("{}");
            assert_eq!(r.status, 409, "{}", r.body);
        }
        let r = post(r#"{"threshold": 0.5}"#);
        assert_eq!(r.status, 202, "{}: {}", f.backend, r.body);
        assert_eq!(r.json()["running"], true);
        assert_eq!(r.json()["started_by"], "user:director");
        // Followed to its end (the page and the API say the same).
        let job = rt.block_on(async {
            let started = Instant::now();
            loop {
                let j = send(&f.app, req("GET", "/api/v1/resolve", tok, None))
                    .await
                    .json();
                if j["running"] == false {
                    break j;
                }
                assert!(started.elapsed() < Duration::from_secs(60), "{j}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        assert!(job["error"].is_null(), "{job}");
        let report = &job["report"];
        assert!(report["records"].as_u64().unwrap() > 0, "{job}");
        assert!(report["voters"].as_u64().unwrap() > 0, "{job}");
        assert_eq!(loads_of_resolve(), before + 1, "{}", f.backend);
        let page = rt.block_on(send(&f.app, req("GET", "/review", tok, None)));
        assert!(
            page.body.contains("Last resolution") && page.body.contains("id=\"resolve-now\""),
            "{}",
            page.body
        );
    }
}
