//! Targeted sharing through the API and the page, on both backends: consent before anything
//! is read, per-entry problems, asks, a volunteer never sees a voter-file field of a friend
//! (answers, the page), probing is rate limited, asks marked done, the campaign's report
//! counts, withdrawal erases.

use store::sql::RowExt;

use crate::fixture::*;

fn json_body(v: serde_json::Value) -> Option<(&'static str, String)> {
    Some(("application/json", v.to_string()))
}

/// Every key of a friend and of an ask a volunteer may receive.
const FRIEND_KEYS: [&str; 3] = ["id", "name", "asks"];
const ASK_KEYS: [&str; 5] = ["id", "kind", "text", "link", "done"];

fn only_allowed_keys(friends: &serde_json::Value) {
    for f in friends.as_array().unwrap() {
        for k in f.as_object().unwrap().keys() {
            assert!(FRIEND_KEYS.contains(&k.as_str()), "friend key {k}: {f}");
        }
        for a in f["asks"].as_array().unwrap() {
            for k in a.as_object().unwrap().keys() {
                assert!(ASK_KEYS.contains(&k.as_str()), "ask key {k}: {a}");
            }
        }
    }
}

#[test]
fn a_supporter_shares_sees_only_asks_and_can_withdraw() {
    for f in fixtures() {
        let rt = rt();
        rt.block_on(server::matching::build_now(&f.state)).unwrap();
        let v = f.tokens.get("volunteer").map(String::as_str);
        let d = f.tokens.get("director").map(String::as_str);
        let k = f.tokens.get("key_people").map(String::as_str);
        let call = |method: &str, uri: &str, tok: Option<&str>, body: Option<serde_json::Value>| {
            rt.block_on(send(
                &f.app,
                req(method, uri, tok, body.and_then(|b| json_body(b))),
            ))
        };

        // The campaign's settings (data director).
        let s = call(
            "PUT",
            "/api/v1/sharing/settings",
            d,
            Some(serde_json::json!({
                "target_states": ["NC"],
                "states": {"NC": {"registration_url": "https://vote.nc.example/", "early_vote_end": "2099-11-01"}},
                "give_url": "https://give.example/",
                "texts": {"register": "{name} can register at the link before {deadline}"}
            })),
        );
        assert_eq!(s.status, 200, "{}", s.body);
        let bad = call(
            "PUT",
            "/api/v1/sharing/settings",
            d,
            Some(serde_json::json!({"target_states": ["NC"], "texts": {"register": "hi {nmae}"}})),
        );
        assert_eq!(bad.status, 400, "{}", bad.body);
        assert_eq!(bad.json()["field"], "texts", "{}", bad.body);

        // A real voter the volunteer knows, as they would type them.
        let (first, last, city, voter_id, address, zip) = {
            let mut st = (f.open)();
            let r = st
                .sql()
                .query(
                    "SELECT first_name, last_name, city, voter_id, address_line, zip5 FROM voters \
                     WHERE address_line <> '' ORDER BY rkey LIMIT 1",
                    &[],
                )
                .unwrap();
            let t = |i| r[0].opt_text(i).unwrap().unwrap_or_default();
            (t(0), t(1), t(2), t(3), t(4), t(5))
        };
        let contacts = serde_json::json!({"contacts": [
            {"first_name": first, "last_name": last, "city": city},
            {"name": "Zed Qqqxyzzy", "city": city, "phones": ["919-555-0142"]},
            {"phones": ["919-555-0143"]}
        ]});

        // Nothing is read before consent; keys never share.
        let no = call("POST", "/api/v1/sharing/uploads", v, Some(contacts.clone()));
        assert_eq!(no.status, 409, "{}", no.body);
        assert_eq!(no.json()["field"], "terms_version");
        let key = call("POST", "/api/v1/sharing/uploads", k, Some(contacts.clone()));
        assert_eq!(key.status, 403, "{}", key.body);
        let terms = call("GET", "/api/v1/sharing/consent", v, None).json();
        assert!(terms["agreed_at"].is_null());
        let agreed = call(
            "POST",
            "/api/v1/sharing/consent",
            v,
            Some(serde_json::json!({"terms_version": terms["terms_version"]})),
        );
        assert_eq!(agreed.status, 200, "{}", agreed.body);
        assert!(agreed.json()["agreed_at"].is_string());

        let up = call("POST", "/api/v1/sharing/uploads", v, Some(contacts.clone()));
        assert_eq!(up.status, 201, "{}: {}", f.backend, up.body);
        let body = up.json();
        assert_eq!(body["accepted"], 2, "{}", up.body);
        assert_eq!(body["problems"][0]["entry"], 3);
        assert_eq!(body["problems"][0]["field"], "name");
        only_allowed_keys(&body["friends"]);
        let zed = body["friends"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == "Zed Qqqxyzzy")
            .unwrap()
            .clone();
        assert_eq!(zed["asks"][0]["kind"], "register");
        assert_eq!(zed["asks"][0]["link"], "https://vote.nc.example/");
        assert!(zed["asks"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("Zed Qqqxyzzy can register"));

        // Nothing a volunteer can read carries the matched friend's voter-file fields.
        let friends = call("GET", "/api/v1/sharing/friends", v, None);
        let page = call("GET", "/share", v, None);
        assert_eq!(page.status, 200);
        assert!(page.body.contains("Zed Qqqxyzzy"));
        only_allowed_keys(&friends.json()["friends"]);
        for (what, text) in [
            ("upload", &up.body),
            ("friends", &friends.body),
            ("page", &page.body),
        ] {
            for secret in [&voter_id, &address, &zip] {
                assert!(
                    secret.len() < 4 || !text.contains(secret.as_str()),
                    "{}: the {what} answer shows {secret:?}",
                    f.backend
                );
            }
            if what != "page" {
                for word in [
                    "support",
                    "turnout",
                    "probability",
                    "precinct",
                    "registered",
                    "class",
                ] {
                    assert!(
                        !text.contains(word),
                        "{}: {what} mentions {word}",
                        f.backend
                    );
                }
            }
        }

        // Done; nobody else can mark it.
        let ask = zed["asks"][0]["id"].as_i64().unwrap();
        let done = call(
            "POST",
            &format!("/api/v1/sharing/asks/{ask}/done"),
            v,
            Some(serde_json::json!({"done": true})),
        );
        assert_eq!(done.status, 200, "{}", done.body);
        let theirs = call(
            "POST",
            &format!("/api/v1/sharing/asks/{ask}/done"),
            d,
            Some(serde_json::json!({"done": true})),
        );
        assert_eq!(theirs.status, 404, "{}", theirs.body);

        // The campaign sees counts.
        let report = call("GET", "/api/v1/sharing/report", d, None).json();
        let reg = report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["kind"] == "register")
            .unwrap()
            .clone();
        assert_eq!(
            (reg["made"].as_i64(), reg["done"].as_i64()),
            (Some(1), Some(1))
        );
        assert_eq!(call("GET", "/api/v1/sharing/report", v, None).status, 403);
        let credit = call("POST", "/api/v1/sharing/credit", d, None);
        assert_eq!(credit.status, 200, "{}", credit.body);

        // Probing the voter file with invented names: limited, with Retry-After.
        let mut limited = None;
        for i in 0..app::sharing::UPLOADS_PER_WINDOW_MAX + 1 {
            let probe = call(
                "POST",
                "/api/v1/sharing/uploads",
                v,
                Some(
                    serde_json::json!({"format": "csv", "content": format!("name,city\nProbe Person{i},{city}\n")}),
                ),
            );
            if probe.status == 429 {
                assert!(probe.headers.get("retry-after").is_some());
                limited = Some(i);
                break;
            }
            assert_eq!(probe.status, 201, "{}", probe.body);
        }
        assert_eq!(
            limited,
            Some(app::sharing::UPLOADS_PER_WINDOW_MAX - 1),
            "the first upload counts too"
        );

        // Withdrawal erases the friends; the counts stay.
        let w = call("DELETE", "/api/v1/sharing/consent", v, None);
        assert_eq!(w.status, 200, "{}", w.body);
        assert!(w.json()["friends"].as_u64().unwrap() >= 2);
        let after = call("GET", "/api/v1/sharing/friends", v, None).json();
        assert_eq!(after["friends"].as_array().unwrap().len(), 0);
        let mut st = (f.open)();
        let left = st
            .sql()
            .query(
                "SELECT COUNT(*) FROM sharing_friends WHERE typed_name LIKE '%Qqqxyzzy%' OR typed_name LIKE 'Probe%'",
                &[],
            )
            .unwrap();
        assert_eq!(left[0].int(0).unwrap(), 0, "{}", f.backend);
        let again = call("GET", "/api/v1/sharing/report", d, None).json();
        assert_eq!(again["made"], report["made"].as_i64().unwrap() + 9);
    }
}
