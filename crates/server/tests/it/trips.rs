//! The trip board through the API on both backends: organizers manage trips only in their
//! regions (needs of their offices, answers for ownerless posts there, their assignments),
//! never other people's posts; campaign-wide staff manage all; a volunteer's post is theirs.

use crate::fixture::*;

fn json_body(v: serde_json::Value) -> Option<(&'static str, String)> {
    Some(("application/json", v.to_string()))
}

const NOW: &str = "2026-10-20T12:00:00Z";

#[test]
fn organizers_manage_trips_in_their_regions_only() {
    for f in fixtures() {
        let rt = rt();
        // Two offices: one in the organizer's county, one elsewhere; a request and a ride to
        // each, imported without owners.
        let dir = tempfile::tempdir().unwrap();
        let other = if f.county_a == "DURHAM" {
            "WAKE"
        } else {
            "DURHAM"
        };
        for (name, text) in [
            ("field_offices.csv", format!("office_id,name,city,county,lat,lon\nOFF01,Home Office,RALEIGH,{},35.78,-78.64\nOFF02,Other Office,DURHAM,{other},35.99,-78.90\n", f.county_a)),
            ("office_needs.csv", "office_id,date,shifts_needed\nOFF01,2026-10-24,2\nOFF02,2026-10-24,2\n".to_string()),
            ("ride_offers.csv", "ride_id,driver,origin_city,origin_state,origin_lat,origin_lon,office_id,depart_earliest,depart_latest,seats,max_detour_km\nR1,Dan,RICHMOND,VA,37.54,-77.44,OFF01,2026-10-24T08:00,2026-10-24T09:00,2,30\nR2,Eve,RICHMOND,VA,37.54,-77.44,OFF02,2026-10-24T08:00,2026-10-24T09:00,2,30\n".to_string()),
            ("bed_offers.csv", "bed_id,host,city,lat,lon,from_date,to_date,beds\n".to_string()),
            ("travel_requests.csv", "request_id,traveler,home_city,home_state,lat,lon,preferred_office,from_date,to_date,needs_ride,needs_bed\nT1,Tess,RICHMOND,VA,37.55,-77.45,OFF01,2026-10-24,2026-10-24,true,false\nT2,Tom,RICHMOND,VA,37.55,-77.45,OFF02,2026-10-24,2026-10-24,true,false\n".to_string()),
        ] {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        {
            let mut st = (f.open)();
            app::trips::import_dir(st.sql(), dir.path(), NOW, "test").unwrap();
            let s = app::trips::run_plan(st.sql(), NOW, "test").unwrap();
            assert_eq!(s.placed, 2, "{}: {s:?}", f.backend);
        }
        let o = f.tokens.get("organizer").map(String::as_str);
        let d = f.tokens.get("director").map(String::as_str);
        let v = f.tokens.get("volunteer").map(String::as_str);
        let call = |method: &str, uri: &str, tok: Option<&str>, body: Option<serde_json::Value>| {
            rt.block_on(send(
                &f.app,
                req(method, uri, tok, body.and_then(json_body)),
            ))
        };
        let needs = serde_json::json!({"days": [{"date": "2026-10-25", "shifts": 3}]});
        let r = call(
            "PUT",
            "/api/v1/trips/offices/OFF01/needs",
            o,
            Some(needs.clone()),
        );
        assert_eq!(r.status, 200, "{}: {}", f.backend, r.body);
        let r = call(
            "PUT",
            "/api/v1/trips/offices/OFF02/needs",
            o,
            Some(needs.clone()),
        );
        assert_eq!(
            r.status, 404,
            "{}: another region's office: {}",
            f.backend, r.body
        );
        let r = call("PUT", "/api/v1/trips/offices/OFF02/needs", d, Some(needs));
        assert_eq!(
            r.status, 200,
            "{}: the director manages every office",
            f.backend
        );
        // The organizer sees their region's assignments only.
        let r = call("GET", "/api/v1/trips/assignments", o, None);
        let ids: Vec<String> = r.json()["assignments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["request_id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(ids, ["T1"], "{}", f.backend);
        let all = call("GET", "/api/v1/trips/assignments", d, None);
        assert_eq!(all.json()["assignments"].as_array().unwrap().len(), 2);
        let planned = |req: &str| {
            all.json()["assignments"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["request_id"] == req)
                .unwrap()["planned_at"]
                .as_str()
                .unwrap()
                .to_string()
        };
        // Answers for ownerless posts: in the region, yes; elsewhere, no.
        let ok = call(
            "POST",
            "/api/v1/trips/assignments/T1/answer",
            o,
            Some(
                serde_json::json!({"accept": true, "side": "traveller", "planned_at": planned("T1")}),
            ),
        );
        assert_eq!(ok.status, 200, "{}: {}", f.backend, ok.body);
        assert_eq!(ok.json()["assignment"]["traveller_ok"], true);
        let no = call(
            "POST",
            "/api/v1/trips/assignments/T2/answer",
            o,
            Some(
                serde_json::json!({"accept": true, "side": "traveller", "planned_at": planned("T2")}),
            ),
        );
        assert_eq!(no.status, 404, "{}: {}", f.backend, no.body);
        // A stale proposal: refused.
        let stale = call(
            "POST",
            "/api/v1/trips/assignments/T2/answer",
            d,
            Some(
                serde_json::json!({"accept": true, "side": "traveller", "planned_at": "2020-01-01T00:00:00Z/x"}),
            ),
        );
        assert_eq!(stale.status, 409, "{}: {}", f.backend, stale.body);
        // A volunteer's post: theirs to cancel, not an organizer's; the director may.
        let post = call(
            "POST",
            "/api/v1/trips/beds",
            v,
            Some(
                serde_json::json!({"name": "Hal", "city": "Raleigh", "state": "NC", "from_date": "2026-10-23", "to_date": "2026-10-26", "beds": 1}),
            ),
        );
        assert_eq!(post.status, 200, "{}: {}", f.backend, post.body);
        let id = post.json()["id"].as_str().unwrap().to_string();
        let r = call("POST", &format!("/api/v1/trips/posts/{id}/cancel"), o, None);
        assert_eq!(r.status, 404, "{}: {}", f.backend, r.body);
        let r = call("POST", &format!("/api/v1/trips/posts/{id}/cancel"), d, None);
        assert_eq!(r.status, 200, "{}: {}", f.backend, r.body);
        // The board a volunteer reads names no one.
        let b = call("GET", "/api/v1/trips/board", v, None);
        for secret in ["Tess", "Tom", "Dan", "Eve", "Hal"] {
            assert!(
                !b.body.contains(secret),
                "{}: {secret} on the board",
                f.backend
            );
        }
    }
}
