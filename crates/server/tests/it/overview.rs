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
