//! The overview through the API on both backends: the counts per county are the store's,
//! drill-down to precincts adds up, organizers see their counties only.

use store::sql::RowExt;

use crate::fixture::*;

#[test]
fn overview_counts_are_the_stores_and_organizers_see_their_counties() {
    for f in fixtures() {
        let rt = rt();
        rt.block_on(server::universes::build_now(&f.state)).unwrap();
        let call = |uri: &str, who: &str| {
            rt.block_on(send(
                &f.app,
                req("GET", uri, f.tokens.get(who).map(String::as_str), None),
            ))
        };
        let r = call("/api/v1/overview", "director");
        assert_eq!(r.status, 200, "{}: {}", f.backend, r.body);
        let body = r.json();
        let rows = body["rows"].as_array().unwrap();
        assert_eq!(rows[0]["key"], "all");
        // The series: one entry per day, each [date, [doors, calls, texts, mail]].
        let series = body["attempts_by_day"].as_array().unwrap();
        for d in series {
            assert_eq!(d[1].as_array().unwrap().len(), 4, "{d}");
        }
        assert!(series.is_empty() || series.len() == server::overview::SERIES_DAYS);
        assert!(
            body["trips"].as_array().unwrap().is_empty(),
            "no field office in the fixture"
        );
        let mut st = (f.open)();
        let per_county = st
            .sql()
            .query(
                "SELECT county, CAST(COUNT(DISTINCT person_id) AS BIGINT) FROM voters WHERE removed_load_id IS NULL GROUP BY county",
                &[],
            )
            .unwrap();
        let total: i64 = per_county.iter().map(|r| r.int(1).unwrap()).sum();
        assert_eq!(rows[0]["people"], total, "{}", f.backend);
        for r in &per_county {
            let c = r.text(0).unwrap();
            let row = rows
                .iter()
                .find(|x| x["key"] == c.as_str())
                .unwrap_or_else(|| panic!("{c}"));
            assert_eq!(row["people"], r.int(1).unwrap(), "{}: {c}", f.backend);
        }
        // Drill down: the precincts of a county add up to it.
        let r = call(
            &format!("/api/v1/overview?county={}", f.county_a),
            "director",
        );
        let b = r.json();
        assert_eq!(b["by"], "precinct");
        let p = b["rows"].as_array().unwrap();
        let sum: u64 = p[1..].iter().map(|x| x["people"].as_u64().unwrap()).sum();
        let county_row = rows
            .iter()
            .find(|x| x["key"] == f.county_a.as_str())
            .unwrap();
        assert_eq!(sum, county_row["people"].as_u64().unwrap(), "{}", f.backend);
        // Organizers: their county only; another county is not found.
        let r = call("/api/v1/overview", "organizer");
        let keys: Vec<String> = r.json()["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["key"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            keys,
            ["all".to_string(), f.county_a.clone()],
            "{}",
            f.backend
        );
        let other = per_county
            .iter()
            .map(|r| r.text(0).unwrap())
            .find(|c| c != &f.county_a)
            .expect("a second county");
        let r = call(&format!("/api/v1/overview?county={other}"), "organizer");
        assert_eq!(r.status, 404, "{}: {}", f.backend, r.body);
        let r = call("/api/v1/overview?voted_on=yesterday", "director");
        assert_eq!(r.status, 400);
        assert_eq!(r.json()["field"], "voted_on");
        // The page: a row per county with its drill-down link.
        let page = call("/overview", "director");
        assert_eq!(page.status, 200);
        assert!(
            page.body
                .contains(&format!("/overview?county={}", f.county_a)),
            "{}",
            page.body
        );
    }
}

#[test]
fn goals_per_region_are_set_checked_and_counted_by_the_overview() {
    for f in fixtures() {
        let rt = rt();
        rt.block_on(server::universes::build_now(&f.state)).unwrap();
        let tok = |who: &str| f.tokens.get(who).map(String::as_str);
        let call = |method: &str, uri: &str, who: &str, body: Option<serde_json::Value>| {
            rt.block_on(send(
                &f.app,
                req(
                    method,
                    uri,
                    tok(who),
                    body.map(|b| ("application/json", b.to_string())),
                ),
            ))
        };
        let other = {
            let mut st = (f.open)();
            counties(&mut *st)
                .into_iter()
                .map(|(_, c)| c)
                .find(|c| c != &f.county_a)
                .expect("a second county")
        };
        let goals = serde_json::json!({"goals": [
            {"region": f.county_a.to_lowercase(), "metric": "donors", "target": 1000, "due": "2099-12-31"},
            {"region": "all", "metric": "money", "target": 50000},
            {"region": "All", "metric": "asks_made", "target": 10},
            {"region": other, "metric": "doors", "target": 10, "due": "2000-01-01"}
        ]});
        let r = call("PUT", "/api/v1/goals", "director", Some(goals));
        assert_eq!(r.status, 200, "{}: {}", f.backend, r.body);
        let listed = r.json()["goals"].as_array().unwrap().clone();
        assert_eq!(listed.len(), 4);
        // Set through the API with the people table read: counted at once.
        assert!(listed.iter().all(|g| g["baseline"].is_i64()), "{listed:?}");
        assert!(listed.iter().any(|g| g["region"] == f.county_a.as_str()
            && g["metric"] == "donors"
            && g["set_by"] == "user:director"));
        // The overview counts them against its own rows.
        let o = call("GET", "/api/v1/overview", "director", None).json();
        let rows = o["rows"].as_array().unwrap();
        let row = |k: &str| rows.iter().find(|r| r["key"] == k).unwrap();
        let g = o["goals"].as_array().unwrap();
        assert_eq!(g.len(), 4, "{}", f.backend);
        let find = |region: &str, metric: &str| {
            g.iter()
                .find(|x| x["region"] == region && x["metric"] == metric)
                .unwrap_or_else(|| panic!("{region} {metric}: {g:?}"))
        };
        let donors = find(&f.county_a, "donors");
        assert_eq!(donors["actual"], row(&f.county_a)["donors"]);
        assert_eq!(
            donors["pace"],
            if donors["actual"].as_u64().unwrap() >= 1000 {
                "done"
            } else {
                "on_pace"
            }
        );
        assert_eq!(find("all", "money")["actual"], row("all")["money"]);
        // A new goal's line starts at what was counted when it was first seen, and that is
        // kept.
        assert_eq!(find("all", "money")["baseline"], row("all")["money"]);
        let kept = call("GET", "/api/v1/goals", "director", None).json();
        for g in kept["goals"].as_array().unwrap() {
            assert!(g["baseline"].is_i64(), "{g}");
        }
        // Money: dollars given this cycle by people in the table, as the donations say.
        {
            let mut st = (f.open)();
            let this_year: u16 = server::now_iso()[..4].parse().unwrap();
            let year = app::universes::age_year(st.sql(), this_year);
            let cents = st
                .sql()
                .query(
                    &format!(
                        "SELECT CAST(COALESCE(SUM(amount_cents), 0) AS BIGINT) FROM donations WHERE person_id IN (SELECT person_id FROM voters WHERE removed_load_id IS NULL) AND NOT memo AND election LIKE '_{year}'"
                    ),
                    &[],
                )
                .unwrap()[0]
                .int(0)
                .unwrap();
            let money = row("all")["money"].as_i64().unwrap();
            assert!(
                (money - cents / 100).abs() <= 1 + rows.len() as i64,
                "{money} vs {cents} cents"
            );
        }
        // New registrations: registered since January 1 of the year before the election.
        {
            let mut st = (f.open)();
            let this_year: u16 = server::now_iso()[..4].parse().unwrap();
            let year = app::universes::age_year(st.sql(), this_year);
            let n = st
                .sql()
                .query(
                    &format!(
                        "SELECT CAST(COUNT(DISTINCT person_id) AS BIGINT) FROM voters WHERE removed_load_id IS NULL AND CAST(registration_date AS TEXT) >= '{}-01-01'",
                        year - 1
                    ),
                    &[],
                )
                .unwrap()[0]
                .int(0)
                .unwrap();
            assert!(n > 0, "the fixture has recent registrations");
            assert_eq!(row("all")["registrations"], n, "{}", f.backend);
            // The weekly series: the last weeks up to today, registrations as the voter file
            // dates them.
            let weekly = o["weekly"].as_array().unwrap();
            assert_eq!(weekly.len(), server::overview::SERIES_WEEKS);
            let first = weekly[0]["from"].as_str().unwrap().to_string();
            let today = &server::now_iso()[..10];
            let in_window = st
                .sql()
                .query(
                    &format!(
                        "SELECT CAST(COUNT(DISTINCT person_id) AS BIGINT) FROM voters WHERE removed_load_id IS NULL AND CAST(registration_date AS TEXT) >= '{}-01-01' AND CAST(registration_date AS TEXT) >= '{first}' AND CAST(registration_date AS TEXT) <= '{today}'",
                        year - 1
                    ),
                    &[],
                )
                .unwrap()[0]
                .int(0)
                .unwrap();
            let summed: i64 = weekly
                .iter()
                .map(|w| w["registrations"].as_i64().unwrap())
                .sum();
            assert_eq!(summed, in_window, "{}: {weekly:?}", f.backend);
        }
        assert_eq!(find("all", "money")["pace"], "open", "no due date");
        assert_eq!(find("all", "asks_made")["actual"], 0);
        let doors = find(&other, "doors");
        assert_eq!(doors["actual"], row(&other)["doors"]);
        if doors["actual"].as_u64().unwrap() < 10 {
            assert_eq!(doors["pace"], "missed", "due in the past");
        }
        // Drilling into a county shows its goals only, counted on its total.
        let d = call(
            "GET",
            &format!("/api/v1/overview?county={}", f.county_a),
            "director",
            None,
        )
        .json();
        let dg = d["goals"].as_array().unwrap();
        assert_eq!(dg.len(), 1);
        assert_eq!(dg[0]["actual"], d["rows"][0]["donors"]);
        // Organizers: their county's goals, nothing campaign-wide; they may not set goals.
        let og = call("GET", "/api/v1/overview", "organizer", None).json();
        let og = og["goals"].as_array().unwrap();
        assert_eq!(og.len(), 1, "{og:?}");
        assert_eq!(og[0]["region"], f.county_a.as_str());
        let ol = call("GET", "/api/v1/goals", "organizer", None).json();
        assert_eq!(ol["goals"].as_array().unwrap().len(), 1);
        let r = call(
            "PUT",
            "/api/v1/goals",
            "organizer",
            Some(serde_json::json!({"goals": []})),
        );
        assert_eq!(r.status, 403);
        // Wrong goals name their item and field; none of the request is kept.
        for (bad, field) in [
            (
                serde_json::json!({"region": "all", "metric": "knocks", "target": 1}),
                "goals[1].metric",
            ),
            (
                serde_json::json!({"region": "NOWHERE", "metric": "doors", "target": 1}),
                "goals[1].region",
            ),
            (
                serde_json::json!({"region": f.county_a, "metric": "asks_made", "target": 1}),
                "goals[1].region",
            ),
            (
                serde_json::json!({"region": "all", "metric": "doors", "target": -1}),
                "goals[1].target",
            ),
            (
                serde_json::json!({"region": "all", "metric": "doors", "target": 1, "due": "soon"}),
                "goals[1].due",
            ),
        ] {
            let body = serde_json::json!({"goals": [
                {"region": "all", "metric": "calls", "target": 5},
                bad
            ]});
            let r = call("PUT", "/api/v1/goals", "director", Some(body));
            assert_eq!(r.status, 400, "{}", r.body);
            assert_eq!(r.json()["field"], field, "{}", r.body);
        }
        let l = call("GET", "/api/v1/goals", "director", None).json();
        assert_eq!(l["goals"].as_array().unwrap().len(), 4, "nothing kept");
        // Target 0 removes a goal.
        let r = call(
            "PUT",
            "/api/v1/goals",
            "director",
            Some(serde_json::json!({"goals": [{"region": "all", "metric": "money", "target": 0}]})),
        );
        assert_eq!(r.json()["goals"].as_array().unwrap().len(), 3);
        // The page: a labelled progress bar per goal, and the form for directors.
        let page = call("GET", "/overview", "director", None);
        assert!(page.body.contains("id=\"goal-list\""), "{}", page.body);
        assert!(page.body.contains("<progress id=\"goal-1\""));
        assert!(page.body.contains("id=\"goal-form\""));
        let page = call("GET", "/overview", "organizer", None);
        assert!(
            !page.body.contains("id=\"goal-form\""),
            "organizers do not set goals"
        );
    }
}
