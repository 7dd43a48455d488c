//! The tour (issue 11): `tusk demo` as someone who has never seen Tusk would run it, then each
//! role's job done from the pages alone in a real headless Chromium — the data director loads
//! a file, runs resolution and decides a review pair; the analyst builds a universe and reads
//! a model report; the organizer cuts a turf and prints a walk list; the volunteer shares
//! contacts and sees the asks, offers a ride and logs a call with a member of the team they
//! lead; the poll watcher marks voters while the server cannot be reached and the reports go
//! out when it is back; the admin reads the audit log. Every page visited passes the automated
//! accessibility checks; staff pages on a laptop window, volunteers' and poll watchers' on a
//! phone. Screenshots of each step: `target/browser-artifacts/tour/`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};

use crate::browser_support::*;
use crate::tusk;

/// Voters in the tour's demo: enough for the support model to train and turfs to be cut.
const TOUR_VOTERS: &str = "20000";
const LAPTOP: (u32, u32) = (1280, 900);

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_listening(port: u16) {
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "nothing listens on {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The current two-factor code of a demo account, as the demo tells staff to get it.
fn code(db: &Path, user: &str) -> String {
    let out = tusk()
        .args(["--database", db.to_str().unwrap(), "user", "code", user])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn shot_path(name: &str) -> String {
    std::fs::create_dir_all(artifacts().join("tour")).unwrap();
    format!("tour/{name}")
}

async fn sign_in_as(c: &Client, base: &str, db: &Path, user: &str, password: &str, staff: bool) {
    // The one before signs out first, with the button every page has.
    if c.find(Locator::Css("header form button")).await.is_ok() {
        sign_out(c).await;
        text(c, "#login-form").await;
    }
    c.goto(&format!("{base}/login")).await.unwrap();
    fill(c, "#username", user).await;
    fill(c, "#password", password).await;
    if staff {
        let db = db.to_path_buf();
        let user2 = user.to_string();
        let totp = tokio::task::spawn_blocking(move || code(&db, &user2))
            .await
            .unwrap();
        fill(c, "#totp", &totp).await;
    }
    submit(c, "#login-form").await;
    text(c, "nav[aria-label=Main]").await;
    let who = text(c, ".who").await;
    assert!(who.contains(user), "signed in as {user}: {who}");
}

async fn click(c: &Client, css: &str) {
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
}

/// Sets a date or time input (typing into them depends on the locale).
async fn set_value(c: &Client, id: &str, value: &str) {
    c.execute(
        "document.getElementById(arguments[0]).value = arguments[1];",
        vec![id.into(), value.into()],
    )
    .await
    .unwrap();
}

#[test]
fn a_tour_of_the_demo_as_every_role() {
    let Some((_driver, driver_port)) = start_driver() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let mut child = tusk()
        .args(["demo", "--voters", TOUR_VOTERS, "--listen", &listen])
        .arg("--dir")
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The accounts the demo printed: username, role, password.
    let stdout = child.stdout.take().unwrap();
    let mut passwords = std::collections::HashMap::new();
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let w: Vec<&str> = line.split_whitespace().collect();
        if w.len() >= 3 && w[2].starts_with("demo-") {
            passwords.insert(w[0].to_string(), w[2].to_string());
        }
        if line.starts_with("tusk: serving on") {
            break;
        }
    }
    // Keep reading what the server says so that it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    let mut server = Server(child);
    assert_eq!(passwords.len(), 6, "one account per role: {passwords:?}");
    wait_listening(port);
    let base = format!("http://{listen}");
    let db = dir.path().join("tusk.db");
    let pw = |u: &str| passwords[u].clone();

    // The director's file: FEC contributions and a row that lost its fields.
    let mut fec = Vec::new();
    testkit::write_fec(&mut fec, 400, 4242).unwrap();
    let good = fec.iter().filter(|b| **b == b'\n').count();
    assert!(good > 10);
    fec.extend_from_slice(b"C00000000|broken\n");
    let fec_path = dir.path().join("itcont_october.txt");
    std::fs::write(&fec_path, &fec).unwrap();
    let contacts = dir.path().join("my-contacts.csv");
    std::fs::write(
        &contacts,
        "Name,Mobile,City\nZed Qqqxyzzy,9195550142,RALEIGH\nYara Wuvvqq,9195550143,DURHAM\n",
    )
    .unwrap();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let c = rt.block_on(chromium(driver_port));
    rt.block_on(async {
        c.set_window_size(LAPTOP.0, LAPTOP.1).await.unwrap();

        // ── The data director: loads a file, resolves a review item, reads data health.
        sign_in_as(&c, &base, &db, "director", &pw("director"), true).await;
        c.goto(&format!("{base}/loads")).await.unwrap();
        text(&c, "#load-form").await;
        accessible(&c, "loads").await;
        c.find(Locator::Css("#load-kind option[value=fec]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        c.find(Locator::Css("#load-file"))
            .await
            .unwrap()
            .send_keys(fec_path.to_str().unwrap())
            .await
            .unwrap();
        submit(&c, "#load-form").await;
        let summary = wait_text(&c, "#load-summary", "rows read").await;
        assert!(
            summary.contains(&format!(
                "itcont_october.txt: {} rows read, {good} kept, 1 rejected",
                good + 1
            )),
            "{summary}"
        );
        let rejects = text(&c, "#load-reject-list").await;
        assert!(
            rejects.starts_with(&format!("row {}: ", good + 1)),
            "{rejects}"
        );
        accessible(&c, "loads (after a load)").await;
        shot(&c, &shot_path("01-director-loads-a-file")).await;

        // Then resolves from the review page: the run shows, the page reloads itself until it
        // is done and says what it did.
        c.goto(&format!("{base}/review")).await.unwrap();
        click(&c, "#resolve-now").await;
        let started = Instant::now();
        let said = loop {
            if let Ok(e) = c.find(Locator::Css("#resolve-status")).await {
                if let Ok(t) = e.text().await {
                    if t.starts_with("Last resolution") {
                        break t;
                    }
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(90),
                "resolution never finished"
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        assert!(said.contains("new pairs to review"), "{said}");
        shot(&c, &shot_path("01b-director-resolved")).await;
        let before = text(&c, "#review-count").await;
        let waiting: u64 = before.split(' ').next().unwrap().parse().unwrap();
        assert!(waiting > 0, "the demo leaves pairs to review: {before}");
        accessible(&c, "review").await;
        shot(&c, &shot_path("02-director-review-queue")).await;
        click(&c, "section.pair form button[value=accept]").await;
        let after = wait_text(&c, "#review-count", &format!("{} ", waiting - 1)).await;
        assert!(after.starts_with(&format!("{} ", waiting - 1)), "{after}");
        shot(&c, &shot_path("03-director-decided")).await;

        c.goto(&format!("{base}/health")).await.unwrap();
        let loads = text(&c, "#health-loads").await;
        assert!(loads.contains("itcont_october.txt"), "{loads}");
        accessible(&c, "health").await;
        shot(&c, &shot_path("04-director-data-health")).await;
        // The overview with the demo's goals; the director sets one more. (The figures are
        // read into memory after the load: until then the page says so and reloads itself.)
        c.goto(&format!("{base}/overview")).await.unwrap();
        let goals = text_within(&c, "#goal-list", Duration::from_secs(60)).await;
        assert!(goals.contains("all: dollars raised this cycle"), "{goals}");
        click(&c, "#goal-set summary").await;
        c.find(Locator::Css("#goal-metric option[value=calls]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        fill(&c, "#goal-target", "12000").await;
        set_value(&c, "goal-due", "2099-11-03").await;
        accessible(&c, "overview (goals)").await;
        submit(&c, "#goal-form").await;
        let goals = wait_text(&c, "#goal-list", "all: calls made").await;
        assert!(goals.contains("of 12000"), "{goals}");
        shot(&c, &shot_path("04b-director-goals")).await;

        // ── The analyst: builds a universe and saves it, reads a model's report.
        sign_in_as(&c, &base, &db, "analyst", &pw("analyst"), true).await;
        // The people table is read into memory once after the server starts; until then the
        // page says to retry in a few seconds.
        let started = Instant::now();
        loop {
            c.goto(&format!("{base}/universes")).await.unwrap();
            if c.find(Locator::Css("#universe-form")).await.is_ok() {
                break;
            }
            let said = text(&c, "main").await;
            assert!(said.contains("retry in a few seconds"), "{said}");
            assert!(started.elapsed() < Duration::from_secs(60), "{said}");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        fill(&c, "#expression", "registered and support >= 0.6").await;
        let by = c.find(Locator::Css("#by")).await.unwrap();
        by.clear().await.unwrap();
        by.send_keys("county").await.unwrap();
        submit(&c, "#universe-form").await;
        // (The page's script counts as one types: the result is redrawn.)
        let count = wait_text(&c, "#universe-count", " people").await;
        let n: u64 = count.split(' ').next().unwrap().parse().unwrap();
        assert!(n > 0, "{count}");
        accessible(&c, "universes").await;
        fill(&c, "#universe-result #name", "Strong supporters").await;
        submit(&c, "#universe-result form").await;
        let saved = text(&c, "#saved-universes").await;
        assert!(saved.contains("Strong supporters"), "{saved}");
        shot(&c, &shot_path("05-analyst-universe")).await;
        c.goto(&format!("{base}/models")).await.unwrap();
        text(&c, "#models").await;
        accessible(&c, "models").await;
        click(&c, "#models tbody tr a").await;
        let headline = text(&c, "#model-headline").await;
        assert!(!headline.is_empty());
        text(&c, "#calibration").await;
        accessible(&c, "model report").await;
        shot(&c, &shot_path("06-analyst-model-report")).await;

        // ── The organizer: cuts turfs in their county and prints a walk list.
        sign_in_as(&c, &base, &db, "organizer", &pw("organizer"), true).await;
        c.goto(&format!("{base}/overview")).await.unwrap();
        text(&c, "#overview").await;
        // Their county's goals, not the campaign's.
        let goals = text(&c, "#goal-list").await;
        assert!(
            goals.contains(": doors knocked") && !goals.contains("all: "),
            "{goals}"
        );
        accessible(&c, "overview").await;
        shot(&c, &shot_path("07-organizer-overview")).await;
        c.goto(&format!("{base}/turfs")).await.unwrap();
        text(&c, "#turf-form").await;
        accessible(&c, "turfs").await;
        let name = c.find(Locator::Css("#turf-form #name")).await.unwrap();
        name.clear().await.unwrap();
        name.send_keys("Saturday canvass").await.unwrap();
        let doors = c.find(Locator::Css("#doors")).await.unwrap();
        doors.clear().await.unwrap();
        doors.send_keys("40").await.unwrap();
        submit(&c, "#turf-form").await;
        let cut = text(&c, "#cut-summary").await;
        assert!(cut.contains(" turfs, "), "{cut}");
        accessible(&c, "turf cut").await;
        shot(&c, &shot_path("08-organizer-turfs")).await;
        click(&c, "#turfs tbody tr a").await;
        let stops = text(&c, "#walk-stops").await;
        assert!(!stops.is_empty());
        let print = c
            .find(Locator::XPath("//button[normalize-space()='Print']"))
            .await;
        assert!(print.is_ok(), "a print button on the walk list");
        accessible(&c, "walk list").await;
        shot(&c, &shot_path("09-organizer-walk-list")).await;

        // ── The volunteer, on a phone: shares contacts and sees the asks; offers a ride.
        c.set_window_size(PHONE.0, PHONE.1).await.unwrap();
        sign_in_as(&c, &base, &db, "volunteer", &pw("volunteer"), false).await;
        c.goto(&format!("{base}/share")).await.unwrap();
        text(&c, "#terms").await;
        accessible(&c, "share (terms)").await;
        submit(&c, "#terms form").await;
        text(&c, "#share-form").await;
        share_file(&c, &contacts, "Qqqxyzzy").await;
        let summary = text(&c, "#share-summary").await;
        assert!(summary.contains("Read 2 contacts: 2 kept"), "{summary}");
        let friends = text(&c, "#share-friends").await;
        assert!(
            friends.contains("Zed Qqqxyzzy") && friends.contains("register to vote"),
            "{friends}"
        );
        fits_a_phone(&c, "share").await;
        accessible(&c, "share (asks)").await;
        shot(&c, &shot_path("10-volunteer-asks")).await;

        c.goto(&format!("{base}/trips")).await.unwrap();
        text(&c, "#offer-ride").await;
        click(&c, "#offer-ride summary").await;
        fill(&c, "#r-name", "Vic").await;
        fill(&c, "#r-contact", "vic@example.org").await;
        fill(&c, "#r-city", "Richmond").await;
        fill(&c, "#r-state", "VA").await;
        set_value(&c, "r-date", "2026-10-24").await;
        set_value(&c, "r-from", "08:00").await;
        set_value(&c, "r-to", "09:30").await;
        set_value(&c, "r-return", "2026-10-26").await;
        accessible(&c, "trips").await;
        shot(&c, &shot_path("11-volunteer-offers-a-ride")).await;
        click(&c, "#r-submit").await;
        let posts = wait_text(&c, "#trip-posts", "Richmond").await;
        assert!(posts.contains("2026-10-24"), "{posts}");
        fits_a_phone(&c, "trips").await;
        shot(&c, &shot_path("12-volunteer-ride-posted")).await;
        // The volunteer leads the neighbourhood team of their precinct: who has not been
        // contacted personally yet comes first; they log a call.
        c.goto(&format!("{base}/teams")).await.unwrap();
        let members = text(&c, "#team-members").await;
        assert!(
            members.contains("Not contacted personally yet"),
            "{members}"
        );
        fits_a_phone(&c, "team").await;
        accessible(&c, "team").await;
        shot(&c, &shot_path("12b-volunteer-team")).await;
        click(&c, "#team-members li form button[type=submit]").await;
        let said = wait_text(&c, "#team-message", "Logged").await;
        assert!(said.contains("you talked with"), "{said}");
        let members = text(&c, "#team-members").await;
        assert!(members.contains("Last talked with:"), "{members}");
        shot(&c, &shot_path("12c-volunteer-team-contact-logged")).await;

        // ── The poll watcher, on a phone: their precinct's roster.
        sign_in_as(&c, &base, &db, "watcher", &pw("watcher"), false).await;
        c.goto(&format!("{base}/watch")).await.unwrap();
        click(&c, "#watch-targets").await;
        text(&c, "#watch-roster button").await;
        fits_a_phone(&c, "watch").await;
        accessible(&c, "watch").await;
        shot(&c, &shot_path("13-watcher-roster")).await;
    });

    // The connection drops: the server is gone while the watcher marks two voters.
    drop(server);
    let marked: Vec<String> = rt.block_on(async {
        let mut ids = Vec::new();
        for i in 0..2 {
            let buttons = c
                .find_all(Locator::Css("#watch-roster button"))
                .await
                .unwrap();
            ids.push(buttons[i].attr("data-voter").await.unwrap().unwrap());
            buttons[i].click().await.unwrap();
        }
        let status = wait_text(&c, "#watch-status", "saved on this phone").await;
        assert!(status.contains("no connection"), "{status}");
        shot(&c, &shot_path("14-watcher-offline")).await;
        ids
    });
    // Back: the same store served again; the phone sends its queue by itself.
    server = Server(
        tusk()
            .args([
                "--database",
                db.to_str().unwrap(),
                "serve",
                "--listen",
                &listen,
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_listening(port);
    rt.block_on(async {
        wait_text(&c, "#watch-status", "All reports sent").await;
        shot(&c, &shot_path("15-watcher-sent")).await;
        // A reload shows them as voted, from the server.
        c.refresh().await.unwrap();
        click(&c, "#watch-targets").await;
        let started = Instant::now();
        loop {
            let mut voted = Vec::new();
            for b in c
                .find_all(Locator::Css("#watch-roster button.voted"))
                .await
                .unwrap()
            {
                voted.push(b.attr("data-voter").await.unwrap().unwrap_or_default());
            }
            if marked.iter().all(|m| voted.contains(m)) {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "voted after reload: {voted:?}, marked {marked:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }

        // ── The admin: reads the audit log — the director's load and the watcher's reports
        // are in it.
        c.set_window_size(LAPTOP.0, LAPTOP.1).await.unwrap();
        sign_in_as(&c, &base, &db, "admin", &pw("admin"), true).await;
        c.goto(&format!("{base}/admin/audit")).await.unwrap();
        let audit = text(&c, "#audit").await;
        assert!(audit.contains("user:director"), "{audit}");
        assert!(audit.contains("user:watcher"), "{audit}");
        accessible(&c, "audit log").await;
        shot(&c, &shot_path("16-admin-audit-log")).await;
        c.close().await.unwrap();
    });
    drop(server);
}
