//! Webhooks: the feed pushed to a receiver that fails at first; signed, retried with the same
//! idempotency key, delivered in order without gaps.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};

use crate::fixture::*;

#[derive(Clone, Default)]
struct Received(Arc<Mutex<Vec<(u16, String, String, String)>>>);

#[test]
fn deliveries_are_signed_retried_and_complete() {
    for f in fixtures() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let received = Received::default();
        let r2 = received.clone();
        let addr: SocketAddr = rt.block_on(async move {
            let app = axum::Router::new().route(
                "/hook",
                axum::routing::post(move |headers: HeaderMap, body: String| {
                    let r = r2.clone();
                    async move {
                        let mut v = r.0.lock().unwrap();
                        // The first two attempts fail: the sender must retry.
                        let status = if v.len() < 2 { 500 } else { 200 };
                        let h = |k: &str| {
                            headers
                                .get(k)
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or("")
                                .to_string()
                        };
                        v.push((status, h("idempotency-key"), h("x-tusk-signature"), body));
                        StatusCode::from_u16(status).unwrap()
                    }
                }),
            );
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
            addr
        });
        let mut s = (f.open)();
        let url = format!("http://{addr}/hook");
        server::webhooks::check_url(&url).unwrap();
        assert!(server::webhooks::check_url("https://example.org/x").is_err());
        store::webhooks::add(
            s.sql(),
            "crm",
            &url,
            "s3cret",
            &["donation".into()],
            0,
            "test",
            NOW,
        )
        .unwrap();
        let want: Vec<i64> = store::changes::after(s.sql(), 0, 100_000)
            .unwrap()
            .into_iter()
            .filter(|c| c.resource == "donation")
            .map(|c| c.seq)
            .collect();
        assert!(
            want.len() > server::webhooks::WEBHOOK_BATCH_MAX / 10,
            "donations in the feed"
        );
        let st = f.state.clone();
        rt.block_on(async { server::spawn_background(&st) });
        let started = Instant::now();
        let got = loop {
            let seqs: Vec<i64> = received
                .0
                .lock()
                .unwrap()
                .iter()
                .filter(|r| r.0 == 200)
                .flat_map(|r| {
                    let v: serde_json::Value = serde_json::from_str(&r.3).unwrap();
                    v["changes"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|c| c["seq"].as_i64().unwrap())
                        .collect::<Vec<_>>()
                })
                .collect();
            if seqs.len() >= want.len() || started.elapsed() > Duration::from_secs(30) {
                break seqs;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        assert_eq!(
            got, want,
            "{}: every donation change once, in order",
            f.backend
        );
        let log = received.0.lock().unwrap().clone();
        assert_eq!((log[0].0, log[1].0, log[2].0), (500, 500, 200));
        assert_eq!(
            log[0].1, log[2].1,
            "a retry carries the same idempotency key"
        );
        // The key names the feed range: `NAME-AFTER-LAST`, and the range ends at the batch's
        // `next_after`.
        let first: serde_json::Value = serde_json::from_str(&log[2].3).unwrap();
        assert!(log[2].1.starts_with("crm-"), "{}", log[2].1);
        assert!(
            log[2].1.ends_with(&format!("-{}", first["next_after"])),
            "{}",
            log[2].1
        );
        for (_, _, sig, body) in &log {
            assert!(
                auth::verify_webhook("s3cret", sig, body.as_bytes(), server::now_secs(), 300),
                "signed"
            );
            let v: serde_json::Value = serde_json::from_str(body).unwrap();
            assert!(v["changes"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["resource"] == "donation"));
        }
        // The sender records the delivery after the receiver's answer: wait for it.
        let started = Instant::now();
        let hooks = loop {
            let hooks = store::webhooks::list(s.sql()).unwrap();
            if hooks[0].delivered as usize == want.len()
                || started.elapsed() > Duration::from_secs(10)
            {
                break hooks;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert_eq!(hooks[0].delivered as usize, want.len());
        assert_eq!(hooks[0].failures, 0);
        drop(rt);
    }
}
