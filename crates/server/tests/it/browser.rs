//! The web pages in a real headless Chromium (Debian `chromium` + `chromium-driver`, which
//! `scripts/test.sh` installs), driven over WebDriver. Phone-sized window. Screenshots of
//! each step go to `target/browser-artifacts/`.

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};

use crate::browser_support::*;
use crate::fixture::*;

async fn sign_in(c: &Client, base: &str, user: &str, totp: Option<&str>) {
    c.goto(&format!("{base}/login")).await.unwrap();
    fill(c, "#username", user).await;
    fill(c, "#password", PASSWORD).await;
    if let Some(code) = totp {
        fill(c, "#totp", code).await;
    }
    submit(c, "#login-form").await;
    // Signed in when the main navigation shows (the sign-in page has none).
    text(c, "nav[aria-label=Main]").await;
}

#[test]
fn sign_in_search_and_read_a_person_on_a_phone() {
    let Some(driver_bin) = chromedriver() else {
        if std::env::var("TUSK_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!("TUSK_REQUIRE_BROWSER=1 but chromedriver is not installed");
        }
        eprintln!(
            "skipping browser test: no chromedriver (scripts/test.sh installs chromium-driver)"
        );
        return;
    };
    let f = sqlite();
    // The server, on a real socket.
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = std_listener.local_addr().unwrap();
    std_listener.set_nonblocking(true).unwrap();
    let app = f.app.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });
    });
    let port = free_port();
    let _driver = Driver(
        Command::new(driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
    );
    let base = format!("http://{addr}");
    let api = crate::flows_support::person_json(&f, f.a);
    // A contacts file as a phone would hold it: a voter of the file, an invented friend, and
    // an entry with no name.
    rt().block_on(server::matching::build_now(&f.state))
        .unwrap();
    rt().block_on(server::universes::build_now(&f.state))
        .unwrap();
    let share_dir = tempfile::tempdir().unwrap();
    let city = api["postal_addresses"][0]["locality"]
        .as_str()
        .unwrap_or("RALEIGH")
        .to_string();
    std::fs::write(
        share_dir.path().join("friends.csv"),
        format!(
            "Name,Mobile,City\n{} {},,{city}\nZed Qqqxyzzy,9195550142,{city}\n,9195550143,\n",
            api["given_name"].as_str().unwrap_or("Ann"),
            api["family_name"].as_str().unwrap_or("Lee")
        ),
    )
    .unwrap();
    let family = api["family_name"].as_str().unwrap().to_string();
    // The trip board: one office, a driver's ride from Richmond and a host's bed near it.
    {
        let mut st = (f.open)();
        let board = share_dir.path().join("board");
        std::fs::create_dir_all(&board).unwrap();
        for (name, text) in [
            ("field_offices.csv", "office_id,name,city,county,lat,lon\nOFF01,Wake Field Office,RALEIGH,WAKE,35.78,-78.64\n"),
            ("office_needs.csv", "office_id,date,shifts_needed\nOFF01,2026-10-24,2\nOFF01,2026-10-25,2\nOFF01,2026-10-26,2\n"),
            ("ride_offers.csv", "ride_id,driver,origin_city,origin_state,origin_lat,origin_lon,office_id,depart_earliest,depart_latest,seats,return_date\n"),
            ("bed_offers.csv", "bed_id,host,city,lat,lon,from_date,to_date,beds\n"),
            ("travel_requests.csv", "request_id,traveler,home_city,home_state,lat,lon,preferred_office,from_date,to_date,needs_ride,needs_bed\n"),
        ] {
            std::fs::write(board.join(name), text).unwrap();
        }
        app::trips::import_dir(st.sql(), &board, "2026-10-20T12:00:00Z", "test").unwrap();
        let ride = app::trips::RideOffer {
            name: "Dan".into(),
            contact: "driver@example.org".into(),
            origin_city: "Richmond".into(),
            origin_state: "VA".into(),
            lat: None,
            lon: None,
            office_id: "OFF01".into(),
            date: "2026-10-24".into(),
            depart_earliest: "08:00".into(),
            depart_latest: "09:00".into(),
            seats: 2,
            car: String::new(),
            no_smoking: false,
            no_pets: false,
            no_children: false,
            wheelchair_accessible: false,
            return_date: Some("2026-10-26".into()),
            max_detour_km: Some(25.0),
        };
        app::trips::post(
            st.sql(),
            90_001,
            app::trips::Offer::Ride(ride),
            "2026-10-20T12:00:00Z",
        )
        .unwrap();
        let bed = app::trips::BedOffer {
            name: "Hal".into(),
            contact: "919-555-0199".into(),
            city: "Raleigh".into(),
            state: "NC".into(),
            lat: None,
            lon: None,
            from_date: "2026-10-23".into(),
            to_date: "2026-10-28".into(),
            beds: 1,
            no_smoking: false,
            no_pets: false,
            no_children: false,
            wheelchair_accessible: false,
        };
        app::trips::post(
            st.sql(),
            90_002,
            app::trips::Offer::Bed(bed),
            "2026-10-20T12:00:00Z",
        )
        .unwrap();
    }
    let rt = rt();
    rt.block_on(async {
        let c = chromium(port).await;
        c.set_window_size(PHONE.0, PHONE.1).await.unwrap();

        // A page that needs a session sends us to sign in, and back after.
        c.goto(&format!("{base}/people")).await.unwrap();
        assert!(c.current_url().await.unwrap().path().starts_with("/login"));
        shot(&c, "01-sign-in").await;
        // Sign in on the page we were sent to (it remembers where we were going).
        fill(&c, "#username", "analyst").await;
        fill(&c, "#password", PASSWORD).await;
        submit(&c, "#login-form").await;
        let err = text(&c, "#login-error").await;
        assert!(err.contains("two-factor"), "staff need a code: {err}");
        let code = auth::totp_code(&f.totp["analyst"], server::now_secs()).unwrap();
        // The form keeps the username; the password is typed again.
        fill(&c, "#password", PASSWORD).await;
        fill(&c, "#totp", &code).await;
        submit(&c, "#login-form").await;
        text(&c, "#people-search").await;
        assert_eq!(c.current_url().await.unwrap().path(), "/people");
        // The page fits a phone: nothing wider than the window.
        fits_a_phone(&c, "people").await;

        // Search the person A by last name and open their page.
        fill(&c, "#name", &family).await;
        submit(&c, "#people-search").await;
        let count = text(&c, "#result-count").await;
        assert!(!count.starts_with("0 "), "{count}");
        shot(&c, "02-search").await;
        c.find(Locator::Css(&format!("#results a[href='/people/{}']", f.a)))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let name = text(&c, "#person-name").await;
        assert!(name.contains(&family), "{name}");
        shot(&c, "03-person").await;
        // The overview: a row per county, drill-down to a county's precincts.
        c.goto(&format!("{base}/overview")).await.unwrap();
        let t = text(&c, "#overview").await;
        assert!(t.starts_with("all"), "{t}");
        fits_a_phone(&c, "overview").await;
        accessible(&c, "overview").await;
        shot(&c, "03b-overview").await;
        // The checks find what they look for: faint text, a field without a label, a nameless
        // button, an image without alternative text. (Styled from the script: the pages'
        // content security policy refuses inline style attributes.)
        c.execute(
            "var m = document.querySelector('main'); m.insertAdjacentHTML('beforeend', '<p id=\"faint\">faint</p><input id=\"nolabel\"><button type=\"button\"></button><img src=\"data:,\">'); document.getElementById('faint').style.color = '#bbb';",
            vec![],
        )
        .await
        .unwrap();
        let found = accessibility_problems(&c).await.join("\n");
        for want in ["contrast 1.", "no label: <input id=\"nolabel\"", "no name: <button", "no alt: <img"] {
            assert!(found.contains(want), "{want}: {found}");
        }
        c.find(Locator::Css("#overview tbody tr:nth-child(2) a"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        c.wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::XPath("//h1[contains(., 'Overview:')]"))
            .await
            .unwrap();
        assert!(text(&c, "#overview").await.starts_with("all"));
        sign_out(&c).await;
        text(&c, "#login-form").await;
        assert!(
            c.find(Locator::Css("nav[aria-label=Main]")).await.is_err(),
            "signed out"
        );

        // A volunteer sees their own page, not another person's.
        sign_in(&c, &base, "volunteer", None).await;
        c.goto(&format!("{base}/people/{}", f.a)).await.unwrap();
        assert!(text(&c, "#person-name").await.contains(&family));
        c.goto(&format!("{base}/people/{}", f.b)).await.unwrap();
        let body = text(&c, "main").await;
        assert!(body.contains("Not found"), "{body}");
        shot(&c, "04-volunteer-refused").await;

        // The volunteer shares contacts from a file on the phone: terms first, then the file
        // (read on the phone into the form), then the asks.
        c.goto(&format!("{base}/share")).await.unwrap();
        text(&c, "#terms").await;
        shot(&c, "05-share-terms").await;
        submit(&c, "#terms form").await;
        text(&c, "#share-form").await;
        let file = share_dir.path().join("friends.csv");
        share_file(&c, &file, "Qqqxyzzy").await;
        let summary = text(&c, "#share-summary").await;
        assert!(summary.contains("Read 3 contacts: 2 kept"), "{summary}");
        assert!(summary.contains("Contact 3, name"), "{summary}");
        let friends = text(&c, "#share-friends").await;
        assert!(friends.contains("Zed Qqqxyzzy"), "{friends}");
        assert!(friends.contains("register to vote"), "{friends}");
        shot(&c, "06-share-asks").await;
        c.find(Locator::Css("#share-friends button"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        // The form posts and the page comes back: wait for the new page, not the old element.
        let started = Instant::now();
        loop {
            let src = c.source().await.unwrap_or_default();
            if src.contains("Asked ✓") {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "the ask was not marked: {src}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        fits_a_phone(&c, "share").await;
        shot(&c, "07-share-done").await;
        // Withdrawing erases the list and asks for the terms again.
        c.find(Locator::Css("#withdraw"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        text(&c, "#terms").await;
        let src = c.source().await.unwrap_or_default();
        assert!(!src.contains("Zed Qqqxyzzy"), "the friends are gone: {src}");
        shot(&c, "08-share-withdrawn").await;

        // Trips: the volunteer asks for a ride and a bed on the phone; the plan proposes a
        // driver's ride and a host's bed; the volunteer accepts and waits for the others.
        c.goto(&format!("{base}/trips")).await.unwrap();
        text(&c, "#ask-trip").await;
        fits_a_phone(&c, "trips").await;
        c.find(Locator::Css("#ask-trip summary")).await.unwrap().click().await.unwrap();
        fill(&c, "#t-name", "Tess").await;
        fill(&c, "#t-contact", "tess@example.org").await;
        fill(&c, "#t-city", "Richmond").await;
        fill(&c, "#t-state", "VA").await;
        c.execute(
            "document.getElementById('t-from').value = '2026-10-24'; document.getElementById('t-to').value = '2026-10-26';",
            vec![],
        )
        .await
        .unwrap();
        shot(&c, "09-trip-ask").await;
        submit(&c, "#ask-trip").await;
        let posts = text(&c, "#trip-posts").await;
        assert!(posts.contains("Trip from Richmond to any office, 2026-10-24 to 2026-10-26"), "{posts}");
        let open = f.open.clone();
        let summary = tokio::task::spawn_blocking(move || {
            app::trips::run_plan(open().sql(), "2026-10-20T12:00:00Z", "test").unwrap()
        })
        .await
        .unwrap();
        assert_eq!(summary.placed, 1, "{summary:?}");
        c.goto(&format!("{base}/trips")).await.unwrap();
        let it = text(&c, "#trip-itinerary").await;
        assert!(it.contains("Wake Field Office"), "{it}");
        assert!(it.contains("waiting for traveller, driver, host"), "{it}");
        assert!(!it.contains("Dan") && !it.contains("driver@example.org"), "no names before everyone accepts: {it}");
        shot(&c, "10-trip-proposed").await;
        c.find(Locator::Css("#trip-itinerary .trip-accept")).await.unwrap().click().await.unwrap();
        // The page that comes back has no accept button any more (the old one went stale).
        c.wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::XPath("//*[@id='trip-itinerary'][contains(., 'waiting for driver, host')]"))
            .await
            .unwrap();
        fits_a_phone(&c, "trips").await;
        shot(&c, "11-trip-accepted").await;
        // A malformed filter is said on the page; the itinerary is still there.
        c.goto(&format!("{base}/trips?kind=boat")).await.unwrap();
        let e = text(&c, "#filter-error").await;
        assert!(e.contains("kind: \"boat\" is not ride, bed or request"), "{e}");
        text(&c, "#trip-itinerary").await;
        c.close().await.unwrap();
    });
}

/// Serves `app` on `addr` until the sender is used (or dropped).
fn serve_until(
    app: axum::Router,
    addr: SocketAddr,
) -> (
    tokio::sync::oneshot::Sender<()>,
    std::thread::JoinHandle<()>,
) {
    let l = std::net::TcpListener::bind(addr).unwrap();
    l.set_nonblocking(true).unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let h = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(l).unwrap();
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        rt.shutdown_timeout(Duration::from_secs(1));
    });
    (tx, h)
}

async fn local_queue(c: &Client) -> i64 {
    c.execute(
        "return Object.keys(localStorage).filter(function (k) { return k.indexOf('tusk.watch.r1:') === 0; }).length",
        vec![],
    )
    .await
    .unwrap()
    .as_i64()
    .unwrap()
}

/// A poll watcher on a phone marks voters while the server cannot be reached: the reports
/// stay on the phone and go out, once each, when it is back.
#[test]
fn a_poll_watcher_keeps_reports_made_offline() {
    let Some(driver_bin) = chromedriver() else {
        if std::env::var("TUSK_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!("TUSK_REQUIRE_BROWSER=1 but chromedriver is not installed");
        }
        eprintln!("skipping browser test: no chromedriver");
        return;
    };
    let f = sqlite();
    rt().block_on(server::turnout::build_now(&f.state)).unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let (stop, server) = serve_until(f.app.clone(), addr);
    let port = free_port();
    let _driver = Driver(
        Command::new(driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
    );
    let base = format!("http://{addr}");
    let rt = rt();
    let c = rt.block_on(chromium(port));
    rt.block_on(async {
        c.set_window_size(PHONE.0, PHONE.1).await.unwrap();
        sign_in(&c, &base, "watcher", None).await;
        c.goto(&format!("{base}/watch")).await.unwrap();
        // Everyone on the roster, not only targets (the fixture has no support model).
        c.find(Locator::Css("#watch-targets"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        text(&c, "#watch-roster button").await;
        shot(&c, "10-watch-roster").await;
    });
    // The network drops: the server is gone.
    stop.send(()).unwrap();
    server.join().unwrap();
    let marked: Vec<String> = rt.block_on(async {
        let mut ids = Vec::new();
        for i in 0..2 {
            // Each tap redraws the list: find the buttons afresh.
            let buttons = c
                .find_all(Locator::Css("#watch-roster button"))
                .await
                .unwrap();
            ids.push(buttons[i].attr("data-voter").await.unwrap().unwrap());
            buttons[i].click().await.unwrap();
        }
        // Kept on the phone, said so on the page.
        let started = Instant::now();
        loop {
            let status = text(&c, "#watch-status").await;
            if status.contains("saved on this phone") && status.contains("no connection") {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "offline status: {status}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert_eq!(local_queue(&c).await, 2, "two reports queued on the phone");
        shot(&c, "11-watch-offline").await;
        ids
    });
    // Nothing reached the server meanwhile.
    let d = f.tokens.get("director").map(String::as_str);
    let feed = rt.block_on(send(&f.app, req("GET", "/api/v1/turnout/reports", d, None)));
    assert_eq!(feed.json()["reports"].as_array().unwrap().len(), 0);
    // Back online: the page sends its queue by itself (retry with backoff).
    let (stop, server) = serve_until(f.app.clone(), addr);
    rt.block_on(async {
        let started = Instant::now();
        loop {
            let status = text(&c, "#watch-status").await;
            if status.contains("All reports sent") {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(40),
                "never sent: {status}"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        assert_eq!(local_queue(&c).await, 0);
        shot(&c, "12-watch-sent").await;
        // A reload shows them as voted, from the server.
        c.refresh().await.unwrap();
        c.find(Locator::Css("#watch-targets"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let voted = c
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css("#watch-roster button.voted"))
            .await;
        assert!(voted.is_ok(), "voted rows after a reload");
        c.close().await.unwrap();
    });
    let feed = rt.block_on(send(&f.app, req("GET", "/api/v1/turnout/reports", d, None)));
    let got: Vec<String> = feed.json()["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["voter_id"].as_str().unwrap().to_string())
        .collect();
    let mut want = marked.clone();
    want.sort();
    let mut got_sorted = got.clone();
    got_sorted.sort();
    assert_eq!(got_sorted, want, "each report once");
    stop.send(()).unwrap();
    server.join().unwrap();
}
