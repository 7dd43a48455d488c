//! Create-or-match through the API: sign-ups join the right person at once.

use crate::fixture::*;

fn signup(
    f: &Fixture,
    rt: &tokio::runtime::Runtime,
    token: &str,
    body: serde_json::Value,
) -> Answer {
    // The first request starts the matching index; retry while it is built.
    for _ in 0..300 {
        let got = rt.block_on(send(
            &f.app,
            req(
                "POST",
                "/api/v1/people/person_signup_helper",
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
