//! Create-or-match through the API: sign-ups join the right person at once.

use crate::fixture::*;

fn signup(
    f: &Fixture,
    rt: &tokio::runtime::Runtime,
    token: &str,
    body: serde_json::Value,
) -> Answer {
    post_helper(f, rt, token, "/api/v1/people/person_signup_helper", body)
}

fn post_helper(
    f: &Fixture,
    rt: &tokio::runtime::Runtime,
    token: &str,
    uri: &str,
    body: serde_json::Value,
) -> Answer {
    // The first request starts the matching index; retry while it is built.
    for _ in 0..300 {
        let got = rt.block_on(send(
            &f.app,
            req(
                "POST",
                uri,
                Some(token),
                Some(("application/json", body.to_string())),
            ),
        ));
        if got.status != 503 {
            return got;
        }
        assert!(got.headers.contains_key("retry-after"));
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("the matching index was never built");
}

#[test]
fn sign_ups_join_their_voter_or_start_a_person() {
    let rt = rt();
    for f in fixtures() {
        let admin = f.tokens["admin"].as_str();
        let a = crate::flows_support::person_json(&f, f.a);
        let addr = &a["postal_addresses"][0];
        let mine = serde_json::json!({"person": {
            "identifiers": ["mobilize:7001"],
            "given_name": a["given_name"], "family_name": a["family_name"],
            "email_addresses": [{"address": "signup.7001@example.org"}],
            "postal_addresses": [{"address_lines": addr["address_lines"], "locality": addr["locality"],
                                  "region": addr["region"], "postal_code": addr["postal_code"]}],
            "birthdate": {"year": a["birthdate"]["year"]}
        }});
        let got = signup(&f, &rt, admin, mine.clone());
        assert_eq!(got.status, 201, "{}: {}", f.backend, got.body);
        let body = got.json();
        assert_eq!(body["outcome"], "matched", "{}: {body}", f.backend);
        assert_eq!(body["person_id"], f.a);
        assert_eq!(body["identifier"], "mobilize:7001");
        let again = signup(&f, &rt, admin, mine);
        assert_eq!(
            (again.status, again.json()["outcome"].as_str()),
            (200, Some("unchanged")),
            "idempotent"
        );
        let person = crate::flows_support::person_json(&f, f.a);
        assert_eq!(
            person["email_addresses"][0]["address"],
            "signup.7001@example.org"
        );
        assert!(person["identifiers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i == "mobilize:7001"));

        let stranger = serde_json::json!({"person": {
            "given_name": "Zebulon", "family_name": "Quixotic-Marchetti",
            "phone_numbers": [{"number": "(704) 555-0199"}],
            "postal_addresses": [{"locality": "Asheville", "region": "NC", "postal_code": "28801"}]
        }});
        let got = signup(&f, &rt, admin, stranger);
        assert_eq!(got.status, 201);
        let body = got.json();
        assert_eq!(body["outcome"], "created", "{}: {body}", f.backend);
        assert_ne!(body["person_id"], f.a);
        assert!(body["identifier"].as_str().unwrap().starts_with("api:"));

        // The change feed carries the merge onto A's person.
        let merged = crate::flows_support::all_changes(&f, admin)
            .iter()
            .any(|c| {
                c["kind"] == "merged" && c["resource_id"] == f.a && c["rkey"] == "mobilize:7001"
            });
        assert!(merged, "{}: the merge is in the feed", f.backend);

        // Bad input is named and changes nothing.
        for (body, field) in [
            (
                serde_json::json!({"person": {"given_name": "A", "family_name": "", "email_addresses": [{"address": "a@b.org"}]}}),
                "person.family_name",
            ),
            (
                serde_json::json!({"person": {"given_name": "A", "family_name": "B", "email_addresses": [{"address": "nope"}]}}),
                "person.email_addresses",
            ),
            (
                serde_json::json!({"person": {"identifiers": ["nc:AA1"], "given_name": "A", "family_name": "B", "email_addresses": [{"address": "a@b.org"}]}}),
                "person.identifiers",
            ),
            (
                serde_json::json!({"person": {"given_name": "A", "family_name": "B"}}),
                "person",
            ),
            (
                serde_json::json!({"person": {"given_name": "A", "family_name": "B", "email_addresses": [{"address": "a@b.org"}], "birthdate": {"year": 1990, "month": 2, "day": 30}}}),
                "person.birthdate",
            ),
        ] {
            let got = signup(&f, &rt, admin, body);
            assert_eq!(got.status, 400, "{}", got.body);
            assert_eq!(got.json()["field"], field, "{}", got.body);
        }
        // An organizer may sign people up, but learns no person id outside their region.
        let b = crate::flows_support::person_json(&f, f.b);
        let baddr = &b["postal_addresses"][0];
        let theirs = serde_json::json!({"person": {
            "identifiers": ["mobilize:7002"],
            "given_name": b["given_name"], "family_name": b["family_name"],
            "postal_addresses": [{"address_lines": baddr["address_lines"], "locality": baddr["locality"],
                                  "region": baddr["region"], "postal_code": baddr["postal_code"]}],
            "birthdate": {"year": b["birthdate"]["year"]}
        }});
        let got = signup(&f, &rt, &f.tokens["organizer"], theirs).json();
        assert_eq!(got["outcome"], "matched", "{got}");
        assert!(got.get("person_id").is_none(), "{got}");
    }
}

#[test]
fn a_gift_from_a_fundraising_tool_joins_its_voter_and_is_kept_whole() {
    let rt = rt();
    for f in fixtures() {
        let director = f.tokens["director"].as_str();
        let a = crate::flows_support::person_json(&f, f.a);
        let addr = &a["postal_addresses"][0];
        let gift = serde_json::json!({
            "identifiers": ["actblue:AB-1001"],
            "amount": 27.5,
            "action_date": "2026-10-02",
            "employer": "Acme Mills",
            "occupation": "Weaver",
            "person": {
                "given_name": a["given_name"], "family_name": a["family_name"],
                "email_addresses": [{"address": "gift.1001@example.org"}],
                "postal_addresses": [{"address_lines": addr["address_lines"], "locality": addr["locality"],
                                      "region": addr["region"], "postal_code": addr["postal_code"]}]
            }
        });
        let uri = "/api/v1/donations/record_donation_helper";
        let got = post_helper(&f, &rt, director, uri, gift.clone());
        assert_eq!(got.status, 201, "{}: {}", f.backend, got.body);
        let body = got.json();
        assert_eq!(
            (body["outcome"].as_str(), body["person_id"].as_i64()),
            (Some("matched"), Some(f.a)),
            "{body}"
        );
        assert_eq!(body["identifier"], "actblue:AB-1001");
        // Sent again: nothing changes.
        let again = post_helper(&f, &rt, director, uri, gift.clone());
        assert_eq!(
            (again.status, again.json()["outcome"].as_str()),
            (200, Some("unchanged"))
        );
        // The gift is a donation of person A, 2750 cents for the 2026 general election.
        let list = rt
            .block_on(send(
                &f.app,
                req(
                    "GET",
                    &format!("/api/v1/donations?person={}", f.a),
                    Some(director),
                    None,
                ),
            ))
            .json();
        let d = list["_embedded"]["osdi:donations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| {
                d["identifiers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|i| i == "actblue:AB-1001")
            })
            .cloned()
            .unwrap_or_else(|| panic!("the gift is listed: {list}"));
        assert_eq!(
            (d["amount"].as_f64(), d["tusk:election"].as_str()),
            (Some(27.5), Some("G2026")),
            "{d}"
        );
        // Kept whole: the e-mail sent is in the record's verbatim fields.
        let person = crate::flows_support::person_json(&f, f.a);
        assert!(
            person.to_string().contains("gift.1001@example.org"),
            "{person}"
        );
        // Bad input names the field and writes nothing.
        for (patch, field) in [
            (serde_json::json!({"amount": 0}), "amount"),
            (serde_json::json!({"amount": 10.001}), "amount"),
            (
                serde_json::json!({"action_date": "10/02/2026"}),
                "action_date",
            ),
            (serde_json::json!({"election": "X2026"}), "election"),
            (
                serde_json::json!({"identifiers": ["fec:123"]}),
                "identifiers",
            ),
            (
                serde_json::json!({"identifiers": ["no-system"]}),
                "identifiers",
            ),
            (serde_json::json!({"identifiers": []}), "identifiers"),
            (
                serde_json::json!({"identifiers": ["a:1", "b:2"]}),
                "identifiers",
            ),
        ] {
            let mut b = gift.clone();
            for (k, v) in patch.as_object().unwrap() {
                b[k] = v.clone();
            }
            let r = post_helper(&f, &rt, director, uri, b);
            assert_eq!(
                (r.status, r.json()["field"].as_str()),
                (400, Some(field)),
                "{}",
                r.body
            );
        }
        // A key with only donations:read may not record gifts.
        let r = post_helper(&f, &rt, f.tokens["key_people"].as_str(), uri, gift);
        assert_eq!(r.status, 403);
    }
}
