//! Universes through the API and the page: counts with breakdowns and the plan, errors with
//! the position, saved universes, the table rebuilt when the data changes.

use crate::fixture::*;

#[test]
fn an_analyst_counts_saves_and_sees_changes() {
    let rt = rt();
    for f in fixtures() {
        let analyst = Some(f.tokens["analyst"].as_str());
        let get = |uri: &str| rt.block_on(send(&f.app, req("GET", uri, analyst, None)));
        // The first count starts the build and says to come back.
        let first = get("/api/v1/universes/count?expression=");
        assert!(first.status == 200 || first.status == 503, "{}", first.body);
        if first.status == 503 {
            assert!(first.headers.get("retry-after").is_some());
        }
        rt.block_on(server::universes::build_now(&f.state)).unwrap();
        let all = get("/api/v1/universes/count?expression=").json();
        let total = all["total"].as_u64().unwrap();
        assert!(total >= 300, "{all}");
        assert_eq!(all["count"], all["total"]);
        let county = f.county_a.clone();
        let e = format!("county = \"{}\"", county.to_lowercase());
        let c = get(&format!(
            "/api/v1/universes/count?expression={}&by=county,age_band",
            urlencode(&e)
        ))
        .json();
        let n = c["count"].as_u64().unwrap();
        assert!(n > 0 && n < total, "{c}");
        assert_eq!(c["breakdowns"][0][0], "county");
        assert_eq!(c["breakdowns"][0][1][0][0], county.as_str());
        assert_eq!(c["breakdowns"][0][1][0][1].as_u64(), Some(n));
        let bands: u64 = c["breakdowns"][1][1]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r[1].as_u64().unwrap())
            .sum();
        assert_eq!(bands, n, "age bands add up");
        assert!(c["explain"].as_str().unwrap().contains("[category]"));
        // Errors name the field and the position.
        let bad = get("/api/v1/universes/count?expression=county%20%3E%201");
        assert_eq!(bad.status, 400);
        let b = bad.json();
        assert_eq!(b["field"], "expression");
        assert!(b["message"].as_str().unwrap().contains("at 0"), "{b}");
        let bad = get("/api/v1/universes/count?expression=&by=shoe_size");
        assert_eq!(
            (bad.status, bad.json()["field"].as_str()),
            (400, Some("by"))
        );
        // Save, list, get.
        let r = rt.block_on(send(
            &f.app,
            req(
                "POST",
                "/api/v1/universes",
                analyst,
                Some((
                    "application/json",
                    serde_json::json!({"name": "home county", "expression": e}).to_string(),
                )),
            ),
        ));
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.json()["id"].as_i64().unwrap();
        let one = get(&format!("/api/v1/universes/{id}")).json();
        assert_eq!(one["count"].as_u64(), Some(n));
        assert_eq!(
            get("/api/v1/universes").json()["items"][0]["name"],
            "home county"
        );
        let r = rt.block_on(send(
            &f.app,
            req(
                "POST",
                "/api/v1/universes",
                analyst,
                Some((
                    "application/json",
                    serde_json::json!({"name": "broken", "expression": "county >"}).to_string(),
                )),
            ),
        ));
        assert_eq!(
            (r.status, r.json()["field"].as_str()),
            (400, Some("expression"))
        );
        // A tag on person A shows in the next table.
        let tagged = format!("tagged(\"t1\") and {e}");
        let before = get(&format!(
            "/api/v1/universes/count?expression={}",
            urlencode(&tagged)
        ))
        .json()["count"]
            .as_u64()
            .unwrap();
        assert_eq!(before, 1, "person A is tagged t1 in the fixture");
        // The page shows the count and the plan.
        let page = get(&format!("/universes?expression={}&by=party", urlencode(&e)));
        assert_eq!(page.status, 200);
        assert!(
            page.body.contains(&format!("<strong>{n}</strong>")),
            "{}",
            page.body
        );
        assert!(page.body.contains("by party"));
        let page = get("/universes?expression=county%20%3E%201");
        assert!(page.body.contains("is a category"), "{}", page.body);
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[test]
fn an_organizer_records_canvass_results_in_their_region() {
    let rt = rt();
    for f in fixtures() {
        let organizer = Some(f.tokens["organizer"].as_str());
        let post = |person: i64, body: serde_json::Value| {
            rt.block_on(send(
                &f.app,
                req(
                    "POST",
                    &format!("/api/v1/people/{person}/record_canvass"),
                    organizer,
                    Some(("application/json", body.to_string())),
                ),
            ))
        };
        let ok = serde_json::json!({"identifier": "k-1", "result": "Contacted", "support_id": 2, "date": "2026-10-01"});
        let r = post(f.a, ok.clone());
        assert_eq!(r.status, 201, "{}: {}", f.backend, r.body);
        let j = r.json();
        assert_eq!(j["outcome"], "created");
        assert_eq!(j["rkey"], "canvass:api-k-1");
        // Sent again: nothing changes; corrected: updated.
        assert_eq!(post(f.a, ok).json()["outcome"], "unchanged");
        let r = post(
            f.a,
            serde_json::json!({"identifier": "k-1", "result": "Contacted", "support_id": 1, "date": "2026-10-01"}),
        );
        assert_eq!(r.json()["outcome"], "updated", "{}", r.body);
        // Outside the organizer's region: as if it did not exist.
        assert_eq!(
            post(
                f.b,
                serde_json::json!({"identifier": "k-2", "result": "Not Home"})
            )
            .status,
            404
        );
        for (body, field) in [
            (
                serde_json::json!({"identifier": "k-3", "result": "Not Home", "support_id": 2}),
                "support_id",
            ),
            (
                serde_json::json!({"identifier": "k-3", "result": "Maybe"}),
                "result",
            ),
            (
                serde_json::json!({"identifier": "k 3", "result": "Refused"}),
                "identifier",
            ),
            (
                serde_json::json!({"identifier": "k-3", "result": "Refused", "contact_type": "pigeon"}),
                "contact_type",
            ),
            (
                serde_json::json!({"identifier": "k-3", "result": "Refused", "date": "10/01/2026"}),
                "date",
            ),
        ] {
            let r = post(f.a, body);
            assert_eq!(
                (r.status, r.json()["field"].as_str()),
                (400, Some(field)),
                "{}",
                r.body
            );
        }
        // The result is in the person's records and in the universes at once.
        let admin = Some(f.tokens["admin"].as_str());
        let person = rt
            .block_on(send(
                &f.app,
                req("GET", &format!("/api/v1/people/{}", f.a), admin, None),
            ))
            .json();
        let records = person["tusk:records"].as_array().unwrap();
        assert!(
            records
                .iter()
                .any(|r| r["table"] == "field_results" && r["rkey"] == "canvass:api-k-1"),
            "{person}"
        );
        // The person page shows the contact history, newest first.
        let page = rt.block_on(send(
            &f.app,
            req("GET", &format!("/people/{}", f.a), organizer, None),
        ));
        assert!(
            page.body.contains("id=\"contact-history\""),
            "{}",
            page.body
        );
        assert!(
            page.body
                .contains("<td>2026-10-01</td><td>door</td><td>Contacted</td><td>1</td>"),
            "{}",
            page.body
        );
        rt.block_on(server::universes::build_now(&f.state)).unwrap();
        let c = rt
            .block_on(send(
                &f.app,
                req(
                    "GET",
                    "/api/v1/universes/count?expression=canvassed",
                    admin,
                    None,
                ),
            ))
            .json();
        assert_eq!(c["count"], 1, "{c}");
    }
}

#[test]
fn an_analyst_allocates_reads_why_and_exports_an_audited_list() {
    let rt = rt();
    for f in fixtures() {
        let analyst = Some(f.tokens["analyst"].as_str());
        let call = |method: &str, uri: &str, body: Option<serde_json::Value>| {
            rt.block_on(send(
                &f.app,
                req(
                    method,
                    uri,
                    analyst,
                    body.map(|b| ("application/json", b.to_string())),
                ),
            ))
        };
        rt.block_on(server::universes::build_now(&f.state)).unwrap();
        // No scores in the fixture: a registration drive over Wake's voters (support assumed),
        // five mail pieces and no calls.
        let body = serde_json::json!({
            "name": "wake mail",
            "channels": [{"channel": "mail", "budget": 5}, {"channel": "phone", "budget": 0}],
            "goals": ["registration"],
            "universes": {"registration": "county = \"WAKE\""},
            "election": "2026-11-03",
            "today": "2026-10-20"
        });
        let r = call("POST", "/api/v1/allocations", Some(body.clone()));
        assert_eq!(r.status, 201, "{}: {}", f.backend, r.body);
        let run = r.json();
        let id = run["id"].as_i64().unwrap();
        let wake = call(
            "GET",
            "/api/v1/universes/count?expression=county%20%3D%20%22WAKE%22",
            None,
        )
        .json()["count"]
            .as_u64()
            .unwrap();
        assert!(wake >= 5, "the fixture has Wake voters: {wake}");
        assert_eq!(run["summary"]["chosen"], 5, "{run}");
        let mail = &run["summary"]["channels"][0];
        assert_eq!(
            (mail["channel"].as_str(), mail["attempts"].as_u64()),
            (Some("mail"), Some(5))
        );
        assert!(
            mail["marginal_value_per_unit"].as_f64().unwrap() > 0.0,
            "{mail}"
        );
        assert_eq!(run["summary"]["channels"][1]["attempts"], 0);
        assert_eq!(
            call("GET", "/api/v1/allocations", None).json()["items"][0]["id"],
            id
        );
        let items = call(
            "GET",
            &format!("/api/v1/allocations/{id}/items?limit=3"),
            None,
        )
        .json();
        let items = items["items"].as_array().unwrap().clone();
        assert_eq!(items.len(), 3);
        assert!(items.iter().all(|x| x["channel"] == "mail"
            && x["goal"] == "registration"
            && x["why"].as_str().unwrap().contains("mail: ")
            && x["why"].as_str().unwrap().contains("(chosen)")));
        // The mail list as VAN-style CSV: five people, and the export is in the audit log.
        let csv = call(
            "GET",
            &format!("/api/v1/allocations/{id}/export?channel=mail&format=van"),
            None,
        );
        assert_eq!(csv.status, 200, "{}", csv.body);
        assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
        let lines: Vec<&str> = csv.body.lines().collect();
        assert_eq!(lines.len(), 6, "{}", csv.body);
        assert!(lines[0].starts_with("StateFileID,LastName,FirstName"));
        assert!(lines[1..].iter().all(|l| l.contains(",WAKE,")
            && l.ends_with(&format!(
                ",mail,registration,{}",
                l.rsplit(',').next().unwrap()
            ))));
        let admin = Some(f.tokens["admin"].as_str());
        let audit = rt
            .block_on(send(
                &f.app,
                req("GET", "/api/v1/audit?action=export", admin, None),
            ))
            .json();
        let entries = audit["entries"].as_array().unwrap();
        assert!(
            entries
                .iter()
                .any(|e| e["target"] == format!("allocation:{id}:mail")
                    && e["detail"]["rows"] == 5
                    && e["actor"] == "user:analyst"),
            "{audit}"
        );
        // The pages.
        let page = call("GET", &format!("/allocations/{id}"), None);
        assert_eq!(page.status, 200);
        assert!(
            page.body.contains("wake mail") && page.body.contains("allocation-people"),
            "{}",
            page.body
        );
        assert!(call("GET", "/allocations", None)
            .body
            .contains(&format!("/allocations/{id}")));
        // Errors name the field.
        for (patch, field) in [
            (
                serde_json::json!({"channels": [{"channel": "pigeon", "budget": 1}]}),
                "channels.channel",
            ),
            (
                serde_json::json!({"universes": {"registration": "county >"}}),
                "universes",
            ),
            (
                serde_json::json!({"goals": ["persuasion"], "universes": {}}),
                "universes",
            ),
            (serde_json::json!({"election": "11/03/2026"}), "election"),
            (
                serde_json::json!({"channels": [{"channel": "mail", "budget": 1, "contact_rate": 2}]}),
                "channels",
            ),
        ] {
            let mut b = body.clone();
            for (k, v) in patch.as_object().unwrap() {
                b[k] = v.clone();
            }
            let r = call("POST", "/api/v1/allocations", Some(b));
            assert_eq!(
                (r.status, r.json()["field"].as_str()),
                (400, Some(field)),
                "{}",
                r.body
            );
        }
        assert_eq!(call("GET", "/api/v1/allocations/999999", None).status, 404);
    }
}

#[test]
fn an_organizer_cuts_turfs_in_their_county_and_prints_a_walk_list() {
    let rt = rt();
    for f in fixtures() {
        use store::sql::RowExt;
        // Geocodes for every registration address: a 10 × n grid of points 40 m apart.
        let mut store = (f.open)();
        let rows = store
            .sql()
            .query(
                "SELECT DISTINCT address_line, city, zip5 FROM voters WHERE removed_load_id IS NULL ORDER BY 1, 2, 3",
                &[],
            )
            .unwrap();
        let mut csv = String::from("Address,City,State,Zip,Lat,Lon\n");
        for (i, r) in rows.iter().enumerate() {
            let text = |k: usize| match &r[k] {
                store::Value::Text(t) => t.clone(),
                _ => String::new(),
            };
            csv.push_str(&format!(
                "\"{}\",{},NC,{},{:.6},{:.6}\n",
                text(0),
                text(1),
                text(2),
                35.8 + (i / 10) as f64 * 0.00036,
                -78.6 + (i % 10) as f64 * 0.00044
            ));
        }
        let geo = app::geo::import(store.sql(), csv.as_bytes(), "geo.csv", NOW).unwrap();
        assert!(geo.stored > 0, "{geo:?}");
        rt.block_on(server::universes::build_now(&f.state)).unwrap();
        let organizer = Some(f.tokens["organizer"].as_str());
        let call = |method: &str, uri: &str, body: Option<serde_json::Value>| {
            rt.block_on(send(
                &f.app,
                req(
                    method,
                    uri,
                    organizer,
                    body.map(|b| ("application/json", b.to_string())),
                ),
            ))
        };
        // An organizer cuts from universes analysts made, not from any expression.
        let r = call(
            "POST",
            "/api/v1/turfs",
            Some(
                serde_json::json!({"name": "by gifts", "county": f.county_a, "doors": 5, "expression": "gave"}),
            ),
        );
        assert_eq!(
            (r.status, r.json()["field"].as_str()),
            (400, Some("expression")),
            "{}",
            r.body
        );
        let analyst = Some(f.tokens["analyst"].as_str());
        let saved = rt.block_on(send(
            &f.app,
            req(
                "POST",
                "/api/v1/universes",
                analyst,
                Some((
                    "application/json",
                    serde_json::json!({"name": "voters", "expression": "registered"}).to_string(),
                )),
            ),
        ));
        assert_eq!(saved.status, 201, "{}", saved.body);
        let r = call(
            "POST",
            "/api/v1/turfs",
            Some(
                serde_json::json!({"name": "first walk", "county": f.county_a, "doors": 5, "expression": "registered"}),
            ),
        );
        assert_eq!(r.status, 201, "{}: {}", f.backend, r.body);
        let cut = r.json();
        let id = cut["id"].as_i64().unwrap();
        // Election day: the turf's chase list (no support model here: nobody to chase yet,
        // but the turf is found and read within the organizer's county).
        rt.block_on(server::turnout::build_now(&f.state)).unwrap();
        let chase = call(
            "GET",
            &format!("/api/v1/turnout/chase?cut={id}&turf=1"),
            None,
        );
        assert_eq!(chase.status, 200, "{}", chase.body);
        assert_eq!(
            (chase.json()["cut"].as_i64(), chase.json()["turf"].as_u64()),
            (Some(id), Some(1))
        );
        assert_eq!(
            call("GET", "/api/v1/turnout/chase?cut=999999&turf=1", None).status,
            404
        );
        let in_county: u64 = store
            .sql()
            .query(
                "SELECT COUNT(DISTINCT person_id) FROM voters WHERE removed_load_id IS NULL AND county = ?",
                &[store::Value::Text(f.county_a.clone())],
            )
            .unwrap()[0]
            .int(0)
            .unwrap() as u64;
        let s = &cut["summary"];
        assert_eq!(
            s["people"].as_u64().unwrap() + s["people_not_placed"].as_u64().unwrap(),
            in_county,
            "{cut}"
        );
        let turfs = s["turfs"].as_array().unwrap();
        assert!(!turfs.is_empty());
        assert!(turfs.iter().all(|t| t["doors"].as_u64().unwrap() <= 5));
        // Another county: refused, naming the field.
        let other = store
            .sql()
            .query(
                "SELECT county FROM voters WHERE county <> ? LIMIT 1",
                &[store::Value::Text(f.county_a.clone())],
            )
            .unwrap()[0][0]
            .clone();
        let other = match other {
            store::Value::Text(t) => t,
            _ => panic!("a county"),
        };
        for county in [other.as_str(), "", "  "] {
            let r = call(
                "POST",
                "/api/v1/turfs",
                Some(serde_json::json!({"name": "x", "county": county, "doors": 5})),
            );
            assert_eq!(
                (r.status, r.json()["field"].as_str()),
                (400, Some("county")),
                "{}",
                r.body
            );
        }
        // The walk list: printable page and CSV, both audited.
        let page = call("GET", &format!("/turfs/{id}/walk/1"), None);
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("walk-stops") && page.body.contains("window.print()"));
        let csv = call("GET", &format!("/api/v1/turfs/{id}/export?turf=1"), None);
        assert_eq!(csv.status, 200, "{}", csv.body);
        assert_eq!(
            csv.body.lines().count() as u64,
            turfs[0]["people"].as_u64().unwrap() + 1
        );
        assert!(csv.body.lines().next().unwrap().ends_with(",turf,stop"));
        // Someone of turf 1 moves out of the county: the organizer's next export leaves them
        // out; the data director's still has them.
        let first_id: i64 = csv
            .body
            .lines()
            .nth(1)
            .unwrap()
            .split(',')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        store
            .sql()
            .execute(
                "UPDATE voters SET county = 'ELSEWHERE' WHERE person_id = ?",
                &[store::Value::Int(first_id)],
            )
            .unwrap();
        let after = call("GET", &format!("/api/v1/turfs/{id}/export?turf=1"), None);
        assert_eq!(
            after.body.lines().count(),
            csv.body.lines().count() - 1,
            "{}",
            after.body
        );
        assert!(!after
            .body
            .lines()
            .any(|l| l.starts_with(&format!("{first_id},"))));
        let director = Some(f.tokens["director"].as_str());
        let all = rt.block_on(send(
            &f.app,
            req(
                "GET",
                &format!("/api/v1/turfs/{id}/export?turf=1"),
                director,
                None,
            ),
        ));
        assert_eq!(all.body.lines().count(), csv.body.lines().count());
        assert_eq!(
            call("GET", &format!("/api/v1/turfs/{id}/export?turf=999"), None).json()["field"],
            "turf"
        );
        let admin = Some(f.tokens["admin"].as_str());
        let audit = rt
            .block_on(send(
                &f.app,
                req("GET", "/api/v1/audit?action=export", admin, None),
            ))
            .json();
        let n = audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["target"] == format!("turf_cut:{id}:1") && e["actor"] == "user:organizer")
            .count();
        assert_eq!(n, 3, "the printed list and both CSVs are audited: {audit}");
        // The director sees the cut; the pages list it.
        let director = Some(f.tokens["director"].as_str());
        let list = rt
            .block_on(send(&f.app, req("GET", "/api/v1/turfs", director, None)))
            .json();
        assert_eq!(list["items"][0]["id"], id);
        assert!(call("GET", "/turfs", None)
            .body
            .contains(&format!("/turfs/{id}")));
        assert!(call("GET", &format!("/turfs/{id}"), None)
            .body
            .contains("/walk/1"));
    }
}

#[test]
fn a_result_recorded_now_changes_the_next_allocation() {
    let rt = rt();
    for f in fixtures() {
        let admin = Some(f.tokens["admin"].as_str());
        let call = |method: &str, uri: &str, body: Option<serde_json::Value>| {
            rt.block_on(send(
                &f.app,
                req(
                    method,
                    uri,
                    admin,
                    body.map(|b| ("application/json", b.to_string())),
                ),
            ))
        };
        let version = || app::universes::data_version((f.open)().sql()).unwrap();
        let before = version();
        // Person A moved; person B was knocked (not home) the day before.
        for (person, result) in [(f.a, "Moved"), (f.b, "Not Home")] {
            let r = call(
                "POST",
                &format!("/api/v1/people/{person}/record_canvass"),
                Some(
                    serde_json::json!({"identifier": format!("r-{person}"), "result": result, "date": "2026-10-19"}),
                ),
            );
            assert_eq!(r.status, 201, "{}", r.body);
        }
        assert_ne!(
            version(),
            before,
            "field results make the server's table stale"
        );
        rt.block_on(server::universes::build_now(&f.state)).unwrap();
        // Enough doors and mail for everyone; one knock a week.
        let r = call(
            "POST",
            "/api/v1/allocations",
            Some(serde_json::json!({
                "name": "everyone",
                "channels": [{"channel": "door", "budget": 100}, {"channel": "mail", "budget": 1000}],
                "goals": ["registration"],
                "universes": {"registration": "registered"},
                "caps": [{"channel": "door", "max_attempts": 1, "window_days": 7}],
                "election": "2026-11-03",
                "today": "2026-10-20"
            })),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.json()["id"].as_i64().unwrap();
        let items = call(
            "GET",
            &format!("/api/v1/allocations/{id}/items?limit=1000"),
            None,
        )
        .json();
        let items = items["items"].as_array().unwrap().clone();
        assert!(items.len() > 100, "everyone is chosen: {}", items.len());
        let of = |p: i64| items.iter().find(|x| x["person_id"] == p).cloned();
        assert!(of(f.a).is_none(), "a person who moved is still allocated");
        let b = of(f.b).expect("person B is still reachable by mail");
        assert_eq!(b["channel"], "mail", "person B is over the door cap: {b}");
        assert!(
            items.iter().any(|x| x["channel"] == "door"),
            "others get doors"
        );
    }
}
