//! Neighbourhood teams on both backends: teams drawn and checked, volunteers placed by the
//! precinct they are registered in, a leader sees their team only and logs personal contacts,
//! organizers see their counties' teams, the reads are audited.

use store::sql::RowExt;

use crate::fixture::*;

fn precinct_of(f: &Fixture, person: i64) -> (String, String) {
    let mut st = (f.open)();
    let r = st
        .sql()
        .query(
            "SELECT county, precinct FROM voters WHERE person_id = ? AND removed_load_id IS NULL",
            &[store::Value::Int(person)],
        )
        .unwrap();
    (r[0].text(0).unwrap(), r[0].text(1).unwrap())
}

fn team(id: &str, county: &str, precincts: &[&str], leader: Option<&str>) -> app::teams::TeamInput {
    app::teams::TeamInput {
        id: id.into(),
        name: format!("Team {id}"),
        county: county.into(),
        precincts: precincts.iter().map(|p| p.to_string()).collect(),
        leader: leader.map(str::to_string),
        line: None,
    }
}

#[test]
fn a_leader_sees_their_team_and_logs_personal_contacts() {
    for f in fixtures() {
        let rt = rt();
        let call = |method: &str, uri: &str, who: &str, body: Option<serde_json::Value>| {
            rt.block_on(send(
                &f.app,
                req(
                    method,
                    uri,
                    f.tokens.get(who).map(String::as_str),
                    body.map(|b| ("application/json", b.to_string())),
                ),
            ))
        };
        let (ca, pa) = precinct_of(&f, f.a);
        let (cb, pb) = precinct_of(&f, f.b);
        assert_ne!(ca, cb);
        // Drawing teams: every row checked, nothing kept from a wrong file.
        {
            let mut st = (f.open)();
            for (teams, want) in [
                (
                    vec![team("T1", &ca, &["NO-SUCH"], None)],
                    "row 2, precincts: no precinct NO-SUCH",
                ),
                (
                    vec![team("T1", &ca, &[&pa], None), team("T2", &ca, &[&pa], None)],
                    "row 3, precincts:",
                ),
                (
                    vec![team("T1", &ca, &[&pa], Some("nobody"))],
                    "row 2, leader: no user nobody",
                ),
                (
                    vec![team("T1", &ca, &[&pa], None), team("T1", &cb, &[&pb], None)],
                    "row 3, team_id:",
                ),
                (
                    vec![team("T/1", &ca, &[&pa], None)],
                    "row 2, team_id: \"T/1\": 1 to 40 letters",
                ),
                (
                    vec![team("T1", "NOWHERE", &[&pa], None)],
                    "row 2, county: no county NOWHERE",
                ),
            ] {
                let e = app::teams::set(st.sql(), &teams, NOW)
                    .unwrap_err()
                    .to_string();
                assert!(e.starts_with(want), "{e}");
            }
            assert!(
                store::teams::list(st.sql()).unwrap().is_empty(),
                "nothing kept"
            );
            let n = app::teams::set(
                st.sql(),
                &[
                    team(
                        "T1",
                        &ca.to_lowercase(),
                        &[&pa.to_lowercase()],
                        Some("volunteer"),
                    ),
                    team("T2", &cb, &[&pb], None),
                ],
                NOW,
            )
            .unwrap();
            assert_eq!(n, 2);
        }
        // Two canvass results in T1's precinct: today and 20 days ago.
        let today = model::Date::parse(&server::now_iso()[..10]).unwrap();
        for (k, days) in [("t-1", 0), ("t-2", 20)] {
            let date = model::Date::from_days(today.to_days() - days).to_string();
            let r = call(
                "POST",
                &format!("/api/v1/people/{}/record_canvass", f.a),
                "organizer",
                Some(serde_json::json!({"identifier": k, "result": "Contacted", "date": date})),
            );
            assert_eq!(r.status, 201, "{}", r.body);
        }
        // The volunteer (person A, registered in T1's precinct) leads T1 and sees only it.
        let r = call("GET", "/api/v1/teams", "volunteer", None);
        assert_eq!(r.status, 200, "{}: {}", f.backend, r.body);
        let teams = r.json()["teams"].as_array().unwrap().clone();
        assert_eq!(teams.len(), 1, "{teams:?}");
        assert_eq!(teams[0]["id"], "T1");
        assert!(teams[0]["members"].as_u64().unwrap() >= 1);
        let v = call("GET", "/api/v1/teams/T1", "volunteer", None).json();
        let members = v["members"].as_array().unwrap();
        let a = members
            .iter()
            .find(|m| m["person_id"] == f.a)
            .unwrap_or_else(|| panic!("person A is on the team of their precinct: {v}"));
        assert_eq!(a["contacted"], false);
        assert_eq!(a["email"], "ann.test@example.org");
        assert_eq!(a["account"], "volunteer");
        // Every member is registered in the team's precinct.
        for m in members {
            assert_eq!(m["precinct"], pa.as_str());
        }
        let sum = |k: &str| -> i64 {
            v[k].as_array()
                .unwrap()
                .iter()
                .map(|a| a[1].as_i64().unwrap())
                .sum()
        };
        assert_eq!((sum("attempts_week"), sum("attempts_month")), (1, 2), "{v}");
        assert_eq!(
            call("GET", "/api/v1/teams/T2", "volunteer", None).status,
            404
        );
        // A personal contact logged: A counts as contacted.
        let r = call(
            "POST",
            "/api/v1/teams/T1/contacts",
            "volunteer",
            Some(serde_json::json!({"person_id": f.a, "how": "call"})),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        let v = call("GET", "/api/v1/teams/T1", "volunteer", None).json();
        let a = v["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["person_id"] == f.a)
            .unwrap()
            .clone();
        assert_eq!(a["contacted"], true);
        assert_eq!(a["last_contact"]["by"], "user:volunteer");
        assert_eq!(a["last_contact"]["how"], "call");
        assert_eq!(
            v["team"]["not_contacted"].as_u64().unwrap() + 1,
            v["team"]["members"].as_u64().unwrap(),
            "{v}"
        );
        // Wrong contacts name their field.
        for (body, field) in [
            (
                serde_json::json!({"person_id": f.a, "how": "telepathy"}),
                "how",
            ),
            (
                serde_json::json!({"person_id": f.b, "how": "call"}),
                "person_id",
            ),
        ] {
            let r = call("POST", "/api/v1/teams/T1/contacts", "volunteer", Some(body));
            assert_eq!(r.status, 400, "{}", r.body);
            assert_eq!(r.json()["field"], field);
        }
        // Organizers: their county's teams; directors: all; analysts: none.
        let o = call("GET", "/api/v1/teams", "organizer", None).json();
        let ids: Vec<&str> = o["teams"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["T1"], "the organizer works in {}", f.county_a);
        assert_eq!(
            call("GET", "/api/v1/teams/T2", "organizer", None).status,
            404
        );
        let r = call(
            "POST",
            "/api/v1/teams/T2/contacts",
            "organizer",
            Some(serde_json::json!({"person_id": f.b, "how": "call"})),
        );
        assert_eq!(r.status, 404, "another county's team: {}", r.body);
        let d = call("GET", "/api/v1/teams", "director", None).json();
        assert_eq!(d["teams"].as_array().unwrap().len(), 2);
        assert_eq!(call("GET", "/api/v1/teams", "analyst", None).status, 403);
        // The read of the members is audited (ids only).
        {
            let mut st = (f.open)();
            let n = st
                .sql()
                .query(
                    "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action = 'teams.get' AND target = 'team:T1'",
                    &[],
                )
                .unwrap()[0]
                .int(0)
                .unwrap();
            assert!(n >= 2, "{n}");
        }
        // Pages: a leader of one team goes straight to it; the team page names who waits.
        let r = call("GET", "/teams", "volunteer", None);
        assert_eq!(r.status, 303, "{}", r.body);
        assert_eq!(r.headers["location"], "/teams/T1");
        let page = call(
            "GET",
            &format!("/teams/T1?logged={}", f.a),
            "volunteer",
            None,
        );
        assert!(page.body.contains("id=\"team-members\""), "{}", page.body);
        assert!(
            page.body.contains("Logged: you talked with ANN TEST."),
            "the name comes from the team, not the address: {}",
            page.body
        );
        assert!(page.body.contains("I talked with"));
        let page = call("GET", "/teams", "director", None);
        assert!(page.body.contains("href=\"/teams/T2\""), "{}", page.body);
    }
}
