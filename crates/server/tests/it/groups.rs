//! Tags and lists through the API: region rules on writes and reads, the change feed.

use crate::fixture::*;

#[test]
fn organizers_tag_and_list_only_their_regions_people() {
    let rt = rt();
    for f in fixtures() {
        let org = f.tokens["organizer"].as_str();
        let admin = f.tokens["admin"].as_str();
        let post = |token: &str, uri: &str, body: serde_json::Value| {
            rt.block_on(send(
                &f.app,
                req(
                    "POST",
                    uri,
                    Some(token),
                    Some(("application/json", body.to_string())),
                ),
            ))
        };
        let got = post(
            org,
            "/api/v1/tags",
            serde_json::json!({"name": "  canvassed  "}),
        );
        assert_eq!(got.status, 201, "{}: {}", f.backend, got.body);
        let tag = got.json()["id"].as_i64().unwrap();
        assert_eq!(got.json()["name"], "canvassed", "trimmed");
        let dup = post(
            org,
            "/api/v1/tags",
            serde_json::json!({"name": "canvassed"}),
        );
        assert_eq!(
            (dup.status, dup.json()["field"].as_str()),
            (409, Some("name"))
        );
        // Out of region: refused whole, named.
        let got = post(
            org,
            &format!("/api/v1/tags/{tag}/taggings"),
            serde_json::json!({"person_ids": [f.a, f.b]}),
        );
        assert_eq!(
            (got.status, got.json()["field"].as_str()),
            (400, Some("person_ids")),
            "{}",
            got.body
        );
        let got = post(
            org,
            &format!("/api/v1/tags/{tag}/taggings"),
            serde_json::json!({"person_ids": [f.a]}),
        );
        assert_eq!(
            (got.status, got.json()["added"].as_u64()),
            (200, Some(1)),
            "{}",
            got.body
        );
        let got = post(
            admin,
            &format!("/api/v1/tags/{tag}/taggings"),
            serde_json::json!({"person_ids": [f.a, f.b]}),
        );
        assert_eq!(got.json()["added"], 1, "A was tagged already");
        // The organizer reads only the member in their region; the admin both.
        let members = |token: &str| {
            rt.block_on(send(
                &f.app,
                req(
                    "GET",
                    &format!("/api/v1/tags/{tag}/taggings"),
                    Some(token),
                    None,
                ),
            ))
            .json()
        };
        assert_eq!(members(org)["total_records"], 1);
        assert_eq!(members(admin)["total_records"], 2);
        assert_eq!(
            members(&f.tokens["volunteer"])["total_records"],
            1,
            "the volunteer sees themself"
        );
        let got = rt.block_on(send(
            &f.app,
            req(
                "DELETE",
                &format!("/api/v1/tags/{tag}/taggings/{}", f.b),
                Some(org),
                None,
            ),
        ));
        assert_eq!(got.status, 404, "not theirs to untag");
        let got = rt.block_on(send(
            &f.app,
            req(
                "DELETE",
                &format!("/api/v1/tags/{tag}/taggings/{}", f.a),
                Some(org),
                None,
            ),
        ));
        assert_eq!(got.status, 204);
        assert_eq!(
            rt.block_on(send(
                &f.app,
                req("GET", "/api/v1/tags/999999/taggings", Some(admin), None)
            ))
            .status,
            404
        );
        // The feed carries every tagging change, on the person.
        let seen: Vec<(String, i64)> = crate::flows_support::all_changes(&f, admin)
            .iter()
            .filter(|c| c["rkey"] == format!("tag:{tag}"))
            .map(|c| {
                (
                    c["kind"].as_str().unwrap().to_string(),
                    c["resource_id"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("created".to_string(), f.a),
                ("created".to_string(), f.b),
                ("deleted".to_string(), f.a)
            ],
            "{}",
            f.backend
        );
        // Lists work the same way.
        let got = post(
            org,
            "/api/v1/lists",
            serde_json::json!({"name": "walk list 1", "description": "Saturday"}),
        );
        let list = got.json()["id"].as_i64().unwrap();
        let got = post(
            org,
            &format!("/api/v1/lists/{list}/items"),
            serde_json::json!({"person_ids": [f.a]}),
        );
        assert_eq!(got.json()["added"], 1);
        let person = crate::flows_support::person_json(&f, f.a);
        assert_eq!(
            person["tusk:lists"],
            serde_json::json!(["l1", "walk list 1"]),
            "{person}"
        );
        assert_eq!(
            person["tusk:tags"],
            serde_json::json!(["t1"]),
            "canvassed was removed"
        );
        let lists = rt
            .block_on(send(&f.app, req("GET", "/api/v1/lists", Some(org), None)))
            .json();
        assert!(lists["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["name"] == "walk list 1" && l["size"] == 1));
    }
}
