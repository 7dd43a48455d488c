//! The review queue through the API and the page: a decision applies at once, shows in the
//! change feed, and later resolution runs keep it.

use crate::fixture::*;

fn person_of(s: &mut dyn store::Store, rkey: &str) -> Option<i64> {
    store::people::resolution_row(s.sql(), rkey)
        .unwrap()
        .and_then(|x| x.1.person_id)
}

#[test]
fn a_decision_applies_now_and_resolution_keeps_it() {
    let rt = rt();
    for f in fixtures() {
        let mut s = (f.open)();
        app::resolve::resolve(&mut *s, 0.5, "test", NOW).unwrap();
        // A donation resolution put on a voter's person.
        let voters = s.resolution_rows(store::Table::Voters).unwrap();
        let donations = s.resolution_rows(store::Table::Donations).unwrap();
        let (voter, donation) = donations
            .iter()
            .find_map(|d| {
                voters
                    .iter()
                    .find(|v| v.person_id.is_some() && v.person_id == d.person_id)
                    .map(|v| (v.clone(), d.clone()))
            })
            .expect("resolution linked some donor to a voter");
        let st = f.state.clone();
        rt.block_on(async { server::matching::build_now(&st).await.unwrap() });
        let director = f.tokens["director"].as_str();
        let decide = |decision: &str| {
            let body = serde_json::json!({"left": voter.rkey, "right": donation.rkey, "decision": decision});
            rt.block_on(send(
                &f.app,
                req(
                    "POST",
                    "/api/v1/review/decisions",
                    Some(director),
                    Some(("application/json", body.to_string())),
                ),
            ))
        };
        let got = decide("reject");
        assert_eq!(got.status, 200, "{}: {}", f.backend, got.body);
        assert_eq!(got.json()["moved"], true);
        let apart = person_of(&mut *s, &donation.rkey);
        assert!(
            apart.is_some() && apart != voter.person_id,
            "{}: the merge is undone now",
            f.backend
        );
        app::resolve::resolve(&mut *s, 0.5, "test", NOW).unwrap();
        assert_ne!(
            person_of(&mut *s, &donation.rkey),
            voter.person_id,
            "resolution keeps the rejection"
        );
        let got = decide("accept");
        assert_eq!(got.json()["moved"], true);
        assert_eq!(person_of(&mut *s, &donation.rkey), voter.person_id);
        app::resolve::resolve(&mut *s, 0.5, "test", NOW).unwrap();
        assert_eq!(
            person_of(&mut *s, &donation.rkey),
            voter.person_id,
            "and the acceptance"
        );
        // The feed tells integrators: unmerged from the voter's person, then merged back.
        let kinds: Vec<(String, i64)> = store::changes::after(s.sql(), 0, 1_000_000)
            .unwrap()
            .into_iter()
            .filter(|c| c.rkey == donation.rkey && c.resource == "person")
            .map(|c| (c.kind, c.resource_id))
            .collect();
        let pv = voter.person_id.unwrap();
        let i = kinds
            .iter()
            .position(|k| *k == ("unmerged".to_string(), pv))
            .expect("unmerged");
        assert!(
            kinds[i..].contains(&("merged".to_string(), pv)),
            "{kinds:?}"
        );
        // The queue lists the decided pair with its waterfall.
        let q = rt
            .block_on(send(
                &f.app,
                req("GET", "/api/v1/review?all=true", Some(director), None),
            ))
            .json();
        let pair = q["pairs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["item"]["right_rkey"] == donation.rkey.as_str())
            .expect("listed");
        assert_eq!(pair["item"]["decision"], "accept");
        assert_eq!(pair["linked"], true);
        assert!(
            pair["explanation"]["fields"].as_array().unwrap().len() >= 5,
            "{pair}"
        );
        // Bad decisions are named.
        for (body, status, field) in [
            (
                serde_json::json!({"left": "nc:NOPE", "right": donation.rkey, "decision": "accept"}),
                404,
                "left",
            ),
            (
                serde_json::json!({"left": voter.rkey, "right": "fec:0", "decision": "accept"}),
                404,
                "right",
            ),
            (
                serde_json::json!({"left": donation.rkey, "right": voter.rkey, "decision": "accept"}),
                400,
                "left",
            ),
            (
                serde_json::json!({"left": voter.rkey, "right": donation.rkey, "decision": "maybe"}),
                400,
                "decision",
            ),
        ] {
            let got = rt.block_on(send(
                &f.app,
                req(
                    "POST",
                    "/api/v1/review/decisions",
                    Some(director),
                    Some(("application/json", body.to_string())),
                ),
            ));
            assert_eq!(
                (got.status, got.json()["field"].as_str().map(String::from)),
                (status, Some(field.to_string())),
                "{}",
                got.body
            );
        }
        // The page renders for the director.
        let page = rt.block_on(send(&f.app, req("GET", "/review", Some(director), None)));
        assert_eq!(page.status, 200);
        assert!(page.body.contains("Identity review"));
    }
}
