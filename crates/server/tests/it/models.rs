//! Models through the API and the pages: an analyst trains a turnout model on the store,
//! applies and approves it; people's scores show to the roles that read models, only from
//! approved models; the report page shows the plots.

use crate::fixture::*;

fn json(v: serde_json::Value) -> Option<(&'static str, String)> {
    Some(("application/json", v.to_string()))
}

#[test]
fn an_analyst_trains_applies_and_approves_a_model() {
    let rt = rt();
    for f in fixtures() {
        {
            // Vote history for the fixture's voters: the turnout label.
            let tmp = tempfile::tempdir().unwrap();
            let mut bytes = Vec::new();
            testkit::write_ncvhis(&mut bytes, 300, 7, 0).unwrap();
            let path = tmp.path().join("ncvhis.txt");
            std::fs::write(&path, bytes).unwrap();
            let mut s = (f.open)();
            app::import_file(
                &mut *s,
                &path,
                &app::ImportOptions {
                    kind: ingest::Kind::NcVhis,
                    mapping: None,
                    rejects_dir: tmp.path().join("rejects"),
                    loaded_by: "test".into(),
                    allow_mass_removal: false,
                },
                &app::NoProgress,
            )
            .unwrap();
        }
        let analyst = Some(f.tokens["analyst"].as_str());
        let organizer = Some(f.tokens["organizer"].as_str());
        let send_ = |m: &str, uri: &str, t: Option<&str>, b: Option<(&str, String)>| {
            rt.block_on(send(&f.app, req(m, uri, t, b)))
        };
        // Without a current election in the store, the answer says how to name one.
        let r = send_(
            "POST",
            "/api/v1/models",
            analyst,
            json(serde_json::json!({"target": "turnout"})),
        );
        assert_eq!(r.status, 400, "{}: {}", f.backend, r.body);
        assert_eq!(r.json()["field"], "election", "{}", r.body);
        for (body, field) in [
            (serde_json::json!({"target": "votes"}), "target"),
            (
                serde_json::json!({"target": "turnout", "algorithm": "svm"}),
                "algorithm",
            ),
            (
                serde_json::json!({"target": "turnout", "election": "11/03/2026"}),
                "election",
            ),
        ] {
            let r = send_("POST", "/api/v1/models", analyst, json(body));
            assert_eq!(
                (r.status, r.json()["field"].as_str()),
                (400, Some(field)),
                "{}",
                r.body
            );
        }
        let r = send_(
            "POST",
            "/api/v1/models",
            organizer,
            json(serde_json::json!({"target": "turnout"})),
        );
        assert_eq!(r.status, 403);

        let r = send_(
            "POST",
            "/api/v1/models",
            analyst,
            json(serde_json::json!({"target": "turnout", "election": "2026-11-03", "seed": 3})),
        );
        assert_eq!(r.status, 201, "{}: {}", f.backend, r.body);
        let m = r.json();
        let id = m["model"]["run"]["id"].as_i64().unwrap();
        assert_eq!(m["model"]["run"]["status"], "trained");
        assert_eq!(m["model"]["run"]["seed"], 3);
        let auc = m["model"]["report"]["auc"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&auc), "{auc}");
        assert!(m["plots"]["calibration"]
            .as_str()
            .unwrap()
            .starts_with("<svg"));
        assert_eq!(m["model"]["data_summary"]["label_election"], "2024-11-05");

        let r = send_(
            "POST",
            &format!("/api/v1/models/{id}/scores"),
            analyst,
            None,
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.json()["scored"].as_u64().unwrap() > 200, "{}", r.body);
        // Person A's scores: none shown until the model is approved.
        let person = |t| send_("GET", &format!("/api/v1/people/{}", f.a), t, None).json();
        assert_eq!(person(analyst)["tusk:scores"], serde_json::json!([]));
        let r = send_(
            "POST",
            &format!("/api/v1/models/{id}/approve"),
            analyst,
            None,
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["superseded"], serde_json::Value::Null);
        let scores = person(analyst)["tusk:scores"].clone();
        assert_eq!(scores[0]["model_id"], id, "{scores}");
        assert_eq!(scores[0]["target"], "turnout");
        let s = scores[0]["score"].as_f64().unwrap();
        assert!(s > 0.0 && s < 1.0, "{s}");
        // Organizers read people, not models: no scores on the person.
        assert!(person(organizer).get("tusk:scores").is_none());

        let list = send_("GET", "/api/v1/models", analyst, None).json();
        assert_eq!(list["items"][0]["id"], id);
        assert_eq!(list["items"][0]["status"], "approved");
        let page = send_("GET", &format!("/models/{id}"), analyst, None);
        assert_eq!(page.status, 200);
        assert!(
            page.body.contains("<svg") && page.body.contains("Calibration"),
            "{}",
            page.body
        );
        assert!(
            !page.body.contains("Approve for targeting"),
            "already approved"
        );
        let audit = send_(
            "GET",
            "/api/v1/audit",
            Some(f.tokens["admin"].as_str()),
            None,
        )
        .json();
        let actions: Vec<&str> = audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["action"].as_str())
            .collect();
        for a in ["model.train", "score.apply", "model.approve"] {
            assert!(actions.contains(&a), "{a} not in {actions:?}");
        }
    }
}
