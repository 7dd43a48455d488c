//! Election day through the API on both backends: a poll watcher reports on their roster,
//! retries never count twice, bad reports are named field by field, the board and the roster
//! reflect a report as soon as it is acknowledged, and the journal feed lists it.

use crate::fixture::*;

fn json_body(v: serde_json::Value) -> Option<(&'static str, String)> {
    Some(("application/json", v.to_string()))
}

#[test]
fn a_watcher_reports_and_the_board_sees_it_at_once() {
    for f in fixtures() {
        let rt = rt();
        rt.block_on(server::turnout::build_now(&f.state)).unwrap();
        let w = f.tokens.get("watcher").map(String::as_str);
        let d = f.tokens.get("director").map(String::as_str);
        let post = |tok: Option<&str>, body: serde_json::Value| {
            rt.block_on(send(
                &f.app,
                req("POST", "/api/v1/turnout/reports", tok, json_body(body)),
            ))
        };
        let get =
            |tok: Option<&str>, uri: &str| rt.block_on(send(&f.app, req("GET", uri, tok, None)));

        let roster = get(w, "/api/v1/turnout/roster");
        assert_eq!(roster.status, 200, "{}", roster.body);
        let roster = roster.json();
        let (county, precinct) = (
            roster["county"].as_str().unwrap().to_string(),
            roster["precinct"].as_str().unwrap().to_string(),
        );
        let voters: Vec<String> = roster["voters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["voter_id"].as_str().unwrap().to_string())
            .collect();
        assert!(voters.len() >= 2, "{} voters on the roster", voters.len());
        assert!(roster["voters"][0]["name"].as_str().unwrap().len() > 2);
        let (v1, v2) = (&voters[0], &voters[1]);

        // One report; the same again (a retry after a lost answer) changes nothing.
        let a = post(w, serde_json::json!({"client_id": "c-1", "voter_id": v1}));
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.json()["results"][0]["status"], "accepted");
        let again = post(w, serde_json::json!({"client_id": "c-1", "voter_id": v1}));
        assert_eq!(
            again.json()["results"][0]["status"],
            "duplicate",
            "{}",
            again.body
        );

        // A voter of another county, a bad status: rejected by name, the rest accepted.
        let other: String = {
            use store::sql::RowExt;
            let mut s = (f.open)();
            s.sql()
                .query(
                    "SELECT voter_id FROM voters WHERE county <> ? AND status = 'A' LIMIT 1",
                    &[store::Value::Text(county.clone())],
                )
                .unwrap()[0]
                .text(0)
                .unwrap()
        };
        let batch = post(
            w,
            serde_json::json!({"reports": [
                {"client_id": "c-2", "voter_id": v2, "observed_at": "2026-11-03T14:05:00Z"},
                {"client_id": "c-3", "voter_id": other},
                {"client_id": "c-4", "voter_id": v2, "status": "perhaps"},
            ]}),
        );
        assert_eq!(batch.status, 200, "{}", batch.body);
        let b = batch.json();
        assert_eq!(
            (b["accepted"].as_u64(), b["rejected"].as_u64()),
            (Some(1), Some(2)),
            "{b}"
        );
        assert_eq!(b["results"][1]["field"], "voter_id");
        assert_eq!(b["results"][2]["field"], "status");
        // The same client id twice in one batch (a page that queued a retry): once.
        let twice = post(
            w,
            serde_json::json!({"reports": [
                {"client_id": "c-7", "voter_id": v2},
                {"client_id": "c-7", "voter_id": v2},
            ]}),
        )
        .json();
        assert_eq!(
            (twice["accepted"].as_u64(), twice["duplicates"].as_u64()),
            (Some(1), Some(1)),
            "{twice}"
        );
        // A single report that cannot be taken is an error naming the field.
        let bad = post(
            w,
            serde_json::json!({"client_id": "c-5", "voter_id": "NOBODY-123"}),
        );
        assert_eq!(bad.status, 400, "{}", bad.body);
        assert_eq!(bad.json()["field"], "voter_id");
        let bad = post(w, serde_json::json!({"reports": []}));
        assert_eq!(bad.status, 400, "{}", bad.body);

        // The roster and the board show both votes at once.
        let roster = get(w, "/api/v1/turnout/roster").json();
        let voted: Vec<&str> = roster["voters"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["voted"] == true)
            .map(|v| v["voter_id"].as_str().unwrap())
            .collect();
        assert_eq!(voted.len(), 2, "{voted:?}");
        let board = get(d, &format!("/api/v1/turnout/board?county={county}"));
        assert_eq!(board.status, 200, "{}", board.body);
        let board = board.json();
        let row = board["precincts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["precinct"] == precinct.as_str())
            .cloned()
            .expect("the watcher's precinct is on the board");
        assert_eq!(row["reported"], 2, "{row}");
        assert_eq!(row["watchers"], 1, "{row}");
        // A correction takes one back.
        let fix = post(
            w,
            serde_json::json!({"client_id": "c-6", "voter_id": v1, "status": "not_voted"}),
        );
        assert_eq!(fix.json()["accepted"], 1, "{}", fix.body);
        let board = get(d, &format!("/api/v1/turnout/board?county={county}")).json();
        let row = board["precincts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["precinct"] == precinct.as_str())
            .cloned()
            .unwrap();
        assert_eq!(row["reported"], 1, "{row}");

        // The journal feed, in order, once each.
        let feed = get(d, "/api/v1/turnout/reports?after=0");
        assert_eq!(feed.status, 200, "{}", feed.body);
        let ids: Vec<String> = feed.json()["reports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["client_id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(ids, ["c-1", "c-2", "c-7", "c-6"], "{}", f.backend);
        let page = get(d, "/api/v1/turnout/reports?after=0&limit=1").json();
        assert_eq!(page["reports"].as_array().unwrap().len(), 1);
        let next = page["next_after"].as_i64().unwrap();
        let rest = get(d, &format!("/api/v1/turnout/reports?after={next}")).json();
        assert_eq!(rest["reports"].as_array().unwrap().len(), 3);
        assert_eq!(get(d, "/api/v1/turnout/reports?limit=0").status, 400);
        // The state's early-vote file arrives: a counted ballot is a vote too, on the same
        // board (rebuilt when the data changes); a call-in is one more report.
        let v3 = v1; // whose report was taken back
        let abs = format!(
            "county_desc,voter_reg_num,ncid,voter_last_name,voter_first_name,voter_middle_name,race,ethnicity,gender,age,voter_street_address,voter_city,voter_state,voter_zip,election_dt,voter_party_code,precinct_desc,ballot_req_type,ballot_req_dt,ballot_send_dt,ballot_rtn_dt,ballot_rtn_status,site_name\n\
             {county},1,{v3},X,Y,,W,NL,F,40,1 MAIN ST,TOWN,NC,27000,11/03/2026,DEM,{precinct},ONE-STOP,10/21/2026,,10/21/2026,ACCEPTED,SITE\n"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absentee_20261028.csv");
        std::fs::write(&path, abs).unwrap();
        let opts = app::ImportOptions {
            kind: ingest::Kind::NcAbsentee,
            mapping: None,
            rejects_dir: dir.path().join("rejects"),
            loaded_by: "test".into(),
            allow_mass_removal: false,
        };
        let mut s = (f.open)();
        let report = app::import_file(&mut *s, &path, &opts, &app::NoProgress).unwrap();
        assert_eq!(report.accepted, 1, "{report:?}");
        rt.block_on(server::turnout::build_now(&f.state)).unwrap();
        let board = get(d, &format!("/api/v1/turnout/board?county={county}")).json();
        assert_eq!(board["election"], "2026-11-03");
        let row = board["precincts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["precinct"] == precinct.as_str())
            .cloned()
            .unwrap();
        assert_eq!(
            (row["early"].as_u64(), row["reported"].as_u64()),
            (Some(1), Some(1)),
            "{row}"
        );
        assert_eq!(row["voted"], 2, "early + reported: {row}");
        let call = post(
            d,
            serde_json::json!({"client_id": "call-1", "voter_id": v2, "source": "call"}),
        );
        assert_eq!(call.json()["accepted"], 1, "{}", call.body);
        let roster = get(w, "/api/v1/turnout/roster").json();
        let voted = |id: &str| {
            roster["voters"]
                .as_array()
                .unwrap()
                .iter()
                .find(|v| v["voter_id"] == id)
                .unwrap()["voted"]
                == true
        };
        assert!(voted(v1) && voted(v2), "call-in, watcher, early ballot");
        // A watcher cannot read another precinct's roster.
        let elsewhere = get(
            w,
            &format!("/api/v1/turnout/roster?county={county}&precinct=NOPE"),
        );
        assert_eq!(elsewhere.status, 404, "{}", elsewhere.body);
    }
}
