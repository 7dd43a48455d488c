//! Region isolation, sign-in, CSRF, limits and the OpenAPI document.

use crate::fixture::*;

/// Last names of some people in the store (to search with).
fn some_last_names(f: &Fixture, rt: &tokio::runtime::Runtime) -> Vec<String> {
    let mut names = Vec::new();
    for id in [f.a, f.b, f.a + 1, f.b + 1, f.a + 7, f.b + 13] {
        let got = rt.block_on(send(
            &f.app,
            req(
                "GET",
                &format!("/api/v1/people/{id}"),
                Some(&f.tokens["admin"]),
                None,
            ),
        ));
        if got.status == 200 {
            names.push(got.json()["family_name"].as_str().unwrap().to_string());
        }
    }
    names.sort();
    names.dedup();
    names
}

#[test]
fn an_organizer_never_reads_another_regions_people() {
    let rt = rt();
    for f in fixtures() {
        let org = f.tokens["organizer"].as_str();
        let admin = f.tokens["admin"].as_str();
        // Get: out of region looks like absent.
        let got = rt.block_on(send(
            &f.app,
            req("GET", &format!("/api/v1/people/{}", f.b), Some(org), None),
        ));
        assert_eq!(got.status, 404, "{}: {}", f.backend, got.body);
        let page = rt.block_on(send(
            &f.app,
            req("GET", &format!("/people/{}", f.b), Some(org), None),
        ));
        assert_eq!(page.status, 404, "{}", f.backend);
        assert!(
            rt.block_on(send(
                &f.app,
                req("GET", &format!("/api/v1/people/{}", f.a), Some(org), None)
            ))
            .status
                == 200
        );
        // Search: every person returned is in the region; the admin sees more.
        let mut org_total = 0;
        let mut admin_total = 0;
        for name in some_last_names(&f, &rt) {
            let uri = format!(
                "/api/v1/people?name={}&per_page=100",
                server::api::encode(&name)
            );
            let o = rt
                .block_on(send(&f.app, req("GET", &uri, Some(org), None)))
                .json();
            let a = rt
                .block_on(send(&f.app, req("GET", &uri, Some(admin), None)))
                .json();
            for p in o["_embedded"]["osdi:people"].as_array().unwrap() {
                assert_eq!(
                    p["custom_fields"]["county"],
                    f.county_a.as_str(),
                    "{}: {p}",
                    f.backend
                );
            }
            org_total += o["total_records"].as_u64().unwrap();
            admin_total += a["total_records"].as_u64().unwrap();
            // The HTML search shows the same people.
            let html = rt.block_on(send(
                &f.app,
                req(
                    "GET",
                    &format!("/people?name={}", server::api::encode(&name)),
                    Some(org),
                    None,
                ),
            ));
            assert_eq!(html.status, 200);
            for p in a["_embedded"]["osdi:people"].as_array().unwrap() {
                let id = p["identifiers"][0]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("tusk:");
                let in_region = p["custom_fields"]["county"] == f.county_a.as_str();
                assert_eq!(
                    html.body.contains(&format!("href=\"/people/{id}\"")),
                    in_region,
                    "{}: person {id}",
                    f.backend
                );
            }
        }
        assert!(
            admin_total > org_total,
            "{}: the searches must reach people outside the region ({admin_total} vs {org_total})",
            f.backend
        );
        // A volunteer sees only themselves.
        let vol = f.tokens["volunteer"].as_str();
        assert_eq!(
            rt.block_on(send(
                &f.app,
                req("GET", &format!("/api/v1/people/{}", f.b), Some(vol), None)
            ))
            .status,
            404
        );
        let own = rt
            .block_on(send(
                &f.app,
                req("GET", &format!("/api/v1/people/{}", f.a), Some(vol), None),
            ))
            .json();
        let name = own["family_name"].as_str().unwrap();
        let found = rt
            .block_on(send(
                &f.app,
                req(
                    "GET",
                    &format!("/api/v1/people?name={}", server::api::encode(name)),
                    Some(vol),
                    None,
                ),
            ))
            .json();
        assert_eq!(found["total_records"], 1, "{}: {name}: {found}", f.backend);
        // Reads are audited, by id only.
        let log = rt
            .block_on(send(
                &f.app,
                req(
                    "GET",
                    "/api/v1/audit?action=person.read&limit=1000",
                    Some(admin),
                    None,
                ),
            ))
            .json();
        let entries = log["entries"].as_array().unwrap();
        assert!(entries
            .iter()
            .any(|e| e["actor"] == "user:organizer" && e["target"] == format!("person:{}", f.a)));
        let searches = rt
            .block_on(send(
                &f.app,
                req(
                    "GET",
                    "/api/v1/audit?action=people.search&limit=1000",
                    Some(admin),
                    None,
                ),
            ))
            .json();
        let text = searches.to_string();
        assert!(text.contains("\"fields\":[\"name\"]"), "{text}");
        assert!(
            !text.contains(&name.to_string()),
            "no searched names in the audit log"
        );
    }
}

#[test]
fn sign_in_with_two_factors_then_cookie_writes_need_csrf() {
    let rt = rt();
    let f = sqlite();
    let login = |body: serde_json::Value| {
        req(
            "POST",
            "/api/v1/login",
            None,
            Some(("application/json", body.to_string())),
        )
    };
    let got = rt.block_on(send(
        &f.app,
        login(serde_json::json!({"username": "director", "password": PASSWORD})),
    ));
    assert_eq!(
        (got.status, got.json()["code"].as_str()),
        (401, Some("totp_required"))
    );
    let got = rt.block_on(send(
        &f.app,
        login(serde_json::json!({"username": "director", "password": "wrong password here"})),
    ));
    assert_eq!(
        (got.status, got.json()["code"].as_str()),
        (401, Some("bad_credentials"))
    );
    let code = auth::totp_code(&f.totp["director"], server::now_secs()).unwrap();
    let got = rt.block_on(send(
        &f.app,
        login(serde_json::json!({"username": "director", "password": PASSWORD, "totp": code})),
    ));
    assert_eq!(got.status, 200, "{}", got.body);
    let cookie = got.headers["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let body = got.json();
    let csrf = body["me"]["csrf"].as_str().unwrap().to_string();
    let session = cookie.split(';').next().unwrap().to_string();
    // Cookie-authenticated write without the CSRF header: refused.
    let mut r = req("POST", "/api/v1/logout", None, None);
    r.headers_mut().insert("cookie", session.parse().unwrap());
    let got = rt.block_on(send(&f.app, r));
    assert_eq!(
        (got.status, got.json()["code"].as_str()),
        (403, Some("csrf"))
    );
    let mut r = req("GET", "/api/v1/me", None, None);
    r.headers_mut().insert("cookie", session.parse().unwrap());
    assert_eq!(
        rt.block_on(send(&f.app, r)).status,
        200,
        "the session still works"
    );
    let mut r = req("POST", "/api/v1/logout", None, None);
    r.headers_mut().insert("cookie", session.parse().unwrap());
    r.headers_mut()
        .insert("x-csrf-token", csrf.parse().unwrap());
    assert_eq!(rt.block_on(send(&f.app, r)).status, 204);
    let mut r = req("GET", "/api/v1/me", None, None);
    r.headers_mut().insert("cookie", session.parse().unwrap());
    assert_eq!(rt.block_on(send(&f.app, r)).status, 401, "signed out");
    // The page form: a volunteer (no second factor) signs in and lands where they wanted.
    let form = "username=volunteer&password=a+long+enough+passphrase&next=%2Fpeople";
    let got = rt.block_on(send(
        &f.app,
        req(
            "POST",
            "/login",
            None,
            Some(("application/x-www-form-urlencoded", form.into())),
        ),
    ));
    assert_eq!(got.status, 303);
    assert_eq!(got.headers["location"], "/people");
    let evil = "username=volunteer&password=a+long+enough+passphrase&next=%2F%2Fevil.example";
    let got = rt.block_on(send(
        &f.app,
        req(
            "POST",
            "/login",
            None,
            Some(("application/x-www-form-urlencoded", evil.into())),
        ),
    ));
    assert_eq!(got.headers["location"], "/", "no open redirect");
}

#[test]
fn sign_in_attempts_are_rate_limited_per_address() {
    let rt = rt();
    let f = sqlite();
    let addr: std::net::SocketAddr = "10.0.0.9:5555".parse().unwrap();
    let mut last = 0;
    for _ in 0..=server::LOGIN_ATTEMPTS_PER_IP_PER_MINUTE {
        let mut r = req(
            "POST",
            "/api/v1/login",
            None,
            Some((
                "application/json",
                r#"{"username":"nobody","password":"wrong wrong wrong"}"#.into(),
            )),
        );
        r.extensions_mut().insert(axum::extract::ConnectInfo(addr));
        let got = rt.block_on(send(&f.app, r));
        last = got.status;
        if last == 429 {
            assert!(got.headers.contains_key("retry-after"));
        }
    }
    assert_eq!(last, 429);
}

#[test]
fn bad_input_is_named_and_limits_hold() {
    let rt = rt();
    let f = sqlite();
    let t = Some(f.tokens["admin"].as_str());
    for (uri, field) in [
        ("/api/v1/people?phone=12", "phone"),
        ("/api/v1/people?name=DOE&per_page=1000", "per_page"),
        ("/api/v1/people?name=DOE&page=0", "page"),
        ("/api/v1/people?name=DOE&per_page=x", "per_page"),
        ("/api/v1/people/abc", "id"),
        ("/api/v1/audit?limit=5000", "limit"),
    ] {
        let got = rt.block_on(send(&f.app, req("GET", uri, t, None)));
        assert_eq!(got.status, 400, "{uri}: {}", got.body);
        assert_eq!(got.json()["field"], field, "{uri}: {}", got.body);
    }
    let big = format!(
        "{{\"username\":\"{}\",\"password\":\"x\"}}",
        "a".repeat(server::BODY_BYTES_MAX)
    );
    let got = rt.block_on(send(
        &f.app,
        req(
            "POST",
            "/api/v1/login",
            None,
            Some(("application/json", big)),
        ),
    ));
    assert_eq!(
        (got.status, got.json()["code"].as_str()),
        (413, Some("payload_too_large"))
    );
    let got = rt.block_on(send(&f.app, req("TRACE", "/api/v1/people", t, None)));
    assert_eq!(
        (got.status, got.json()["code"].as_str()),
        (405, Some("method_not_allowed"))
    );
    assert_eq!(got.headers["allow"], "GET");
    // No criteria: everyone in scope, page by page (the organizer: their county only).
    let all = rt
        .block_on(send(
            &f.app,
            req("GET", "/api/v1/people?per_page=100", t, None),
        ))
        .json();
    let org = rt
        .block_on(send(
            &f.app,
            req(
                "GET",
                "/api/v1/people?per_page=100",
                Some(&f.tokens["organizer"]),
                None,
            ),
        ))
        .json();
    assert!(all["total_records"].as_u64().unwrap() >= 290);
    let n = org["total_records"].as_u64().unwrap();
    assert!(n > 0 && n < all["total_records"].as_u64().unwrap());
    for p in org["_embedded"]["osdi:people"].as_array().unwrap() {
        assert_eq!(p["custom_fields"]["county"], f.county_a.as_str());
    }
    let got = rt.block_on(send(&f.app, req("GET", "/api/v1/nothing", t, None)));
    assert_eq!(
        (got.status, got.json()["code"].as_str()),
        (404, Some("not_found"))
    );
    let got = rt.block_on(send(&f.app, req("GET", "/api/v1/people/999999", t, None)));
    assert_eq!(got.status, 404);
}

#[test]
fn openapi_documents_exactly_the_api_routes() {
    let doc = server::api::openapi_document();
    let mut documented: Vec<(String, String)> = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            documented.push((method.to_uppercase(), path.clone()));
        }
    }
    let mut api: Vec<(String, String)> = server::ROUTES
        .iter()
        .filter(|r| r.face == server::Face::Api)
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .collect();
    documented.sort();
    api.sort();
    assert_eq!(documented, api);
    let codes = doc["info"]["x-error-codes"].as_array().unwrap();
    assert_eq!(codes.len(), server::ERRORS.len());
}

#[test]
fn a_person_page_shows_the_golden_record_and_sources() {
    let rt = rt();
    let f = sqlite();
    let t = Some(f.tokens["analyst"].as_str());
    let api = rt
        .block_on(send(
            &f.app,
            req("GET", &format!("/api/v1/people/{}", f.a), t, None),
        ))
        .json();
    let page = rt.block_on(send(
        &f.app,
        req("GET", &format!("/people/{}", f.a), t, None),
    ));
    assert_eq!(page.status, 200);
    let family = api["family_name"].as_str().unwrap();
    assert!(page.body.contains(family), "the page names the person");
    let voter_key = api["identifiers"][1].as_str().unwrap();
    assert!(voter_key.starts_with("nc:"));
    assert!(page.body.contains(voter_key));
    assert!(api["tusk:records"].as_array().unwrap().len() >= 1);
    assert_eq!(
        api["_links"]["self"]["href"],
        format!("/api/v1/people/{}", f.a)
    );
    assert!(page.headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'self'"));
}

#[test]
fn an_admin_adds_disables_and_enables_users_from_the_page() {
    let rt = rt();
    for f in fixtures() {
        let admin = Some(f.tokens["admin"].as_str());
        let form = |uri: &str, body: &str| {
            rt.block_on(send(
                &f.app,
                req(
                    "POST",
                    uri,
                    admin,
                    Some(("application/x-www-form-urlencoded", body.to_string())),
                ),
            ))
        };
        let page = rt.block_on(send(&f.app, req("GET", "/admin/users", admin, None)));
        assert_eq!(page.status, 200);
        assert!(
            page.body.contains("<td>organizer</td>") && page.body.contains("id=\"keys\""),
            "{}",
            page.body
        );
        // A staff user: added, with the two-factor secret shown once.
        let r = form(
            "/admin/users/add",
            "csrf=csrf-admin&username=bea&role=analyst&password=another+long+passphrase",
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(
            r.body.contains("Added bea (analyst)") && r.body.contains("id=\"totp-secret\""),
            "{}",
            r.body
        );
        // Bad input names the field; a wrong form token is refused.
        let r = form(
            "/admin/users/add",
            "csrf=csrf-admin&username=cy&role=organizer&password=another+long+passphrase",
        );
        assert!(
            r.status == 400 && r.body.contains("regions"),
            "{}: {}",
            r.status,
            r.body
        );
        assert_eq!(
            form("/admin/users/analyst/disabled", "csrf=wrong&disabled=1").status,
            403
        );
        // The analyst disabled: their session ends; enabled again: they sign in anew.
        let r = form(
            "/admin/users/analyst/disabled",
            "csrf=csrf-admin&disabled=1",
        );
        assert_eq!(
            (r.status, r.headers["location"].to_str().unwrap()),
            (303, "/admin/users?done=disabled")
        );
        let analyst = Some(f.tokens["analyst"].as_str());
        assert_eq!(
            rt.block_on(send(&f.app, req("GET", "/api/v1/me", analyst, None)))
                .status,
            401
        );
        assert!(rt
            .block_on(send(&f.app, req("GET", "/admin/users", admin, None)))
            .body
            .contains("<td>disabled</td>"));
        let r = form(
            "/admin/users/analyst/disabled",
            "csrf=csrf-admin&disabled=0",
        );
        assert_eq!(r.status, 303);
        // Not oneself, and every change is in the audit log.
        assert_eq!(
            form("/admin/users/admin/disabled", "csrf=csrf-admin&disabled=1").status,
            400
        );
        let audit = rt
            .block_on(send(
                &f.app,
                req("GET", "/api/v1/audit?limit=1000", admin, None),
            ))
            .json();
        let actions: Vec<&str> = audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["actor"] == "user:admin")
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        for a in ["user.add", "user.disable", "user.enable"] {
            assert!(actions.contains(&a), "{a} not audited: {actions:?}");
        }
    }
}
