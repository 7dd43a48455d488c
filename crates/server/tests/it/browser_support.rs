//! Driving a real headless Chromium over WebDriver (Debian `chromium` + `chromium-driver`,
//! which `scripts/test.sh` installs): shared by the server's browser tests and the CLI's tour
//! of the demo (`#[path]`-included there). Screenshots go to `target/browser-artifacts/`.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

/// A phone: 390 × 844 CSS pixels.
pub const PHONE: (u32, u32) = (390, 844);

pub struct Driver(pub Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn chromedriver() -> Option<&'static str> {
    ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/browser-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    std::fs::write(artifacts().join(format!("{name}.png")), png).unwrap();
}

pub async fn fill(c: &Client, css: &str, text: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .send_keys(text)
        .await
        .unwrap();
}

pub async fn submit(c: &Client, form: &str) {
    c.find(Locator::Css(&format!("{form} button[type=submit]")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

pub async fn text(c: &Client, css: &str) -> String {
    text_within(c, css, Duration::from_secs(10)).await
}

/// The text of the first element matching `css`, waiting up to `limit` for it.
pub async fn text_within(c: &Client, css: &str, limit: Duration) -> String {
    match c.wait().at_most(limit).for_element(Locator::Css(css)).await {
        Ok(e) => e.text().await.unwrap(),
        Err(e) => {
            let url = c
                .current_url()
                .await
                .map(|u| u.to_string())
                .unwrap_or_default();
            let src = c.source().await.unwrap_or_default();
            panic!("{css}: {e} at {url}:\n{src}")
        }
    }
}

/// Nothing on the page is wider than the phone's window.
pub async fn fits_a_phone(c: &Client, page: &str) {
    let overflow = c
        .execute(
            "return document.documentElement.scrollWidth - window.innerWidth",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        overflow.as_i64().unwrap_or(1) <= 0,
        "horizontal scroll on the {page} page on a phone: {overflow}"
    );
}

pub async fn sign_out(c: &Client) {
    c.find(Locator::Css("header form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// A headless Chromium session on a phone-sized window (chromedriver on `port`).
pub async fn chromium(port: u16) -> Client {
    let webdriver = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    loop {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         format!("--window-size={},{}", PHONE.0, PHONE.1)]
            }),
        );
        match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&webdriver)
            .await
        {
            Ok(c) => return c,
            Err(_) if started.elapsed() < Duration::from_secs(30) => {
                tokio::time::sleep(Duration::from_millis(200)).await
            }
            Err(e) => panic!("cannot start a Chromium session: {e}"),
        }
    }
}

/// chromedriver on a free port, or None when it is not installed (a panic instead when
/// `TUSK_REQUIRE_BROWSER=1`, as `scripts/test.sh` sets).
pub fn start_driver() -> Option<(Driver, u16)> {
    let Some(bin) = chromedriver() else {
        if std::env::var("TUSK_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!("TUSK_REQUIRE_BROWSER=1 but chromedriver is not installed");
        }
        eprintln!(
            "skipping browser test: no chromedriver (scripts/test.sh installs chromium-driver)"
        );
        return None;
    };
    let port = free_port();
    let child = Command::new(bin)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    Some((Driver(child), port))
}

/// On the share page: a contacts file chosen, read on the phone into the form (until the form
/// holds `marker`), and sent.
pub async fn share_file(c: &Client, file: &std::path::Path, marker: &str) {
    c.find(Locator::Css("#share-file"))
        .await
        .unwrap()
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();
    let started = Instant::now();
    loop {
        let v = c
            .execute(
                "return document.getElementById('share-content').value",
                vec![],
            )
            .await
            .unwrap();
        if v.as_str().unwrap_or("").contains(marker) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the file was not read"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    submit(c, "#share-form").await;
}

/// Waits until `css` matches an element whose text contains `want` (a page that comes back
/// after a form: the old element may still be there for a moment).
pub async fn wait_text(c: &Client, css: &str, want: &str) -> String {
    let started = Instant::now();
    loop {
        if let Ok(e) = c.find(Locator::Css(css)).await {
            if let Ok(t) = e.text().await {
                if t.contains(want) {
                    return t;
                }
            }
        }
        if started.elapsed() > Duration::from_secs(20) {
            let src = c.source().await.unwrap_or_default();
            panic!("{css} never said {want:?}:\n{src}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Automated accessibility checks of the page as shown (WCAG 2.1 AA where a machine can
/// tell): the page's language; one `h1`; every form control labelled; every link and button
/// named; every image with alternative text; text contrast at least 4.5:1 (3:1 for large
/// text) against the background it sits on; a visible keyboard focus on the first Tab stop.
/// Panics with every problem found.
pub async fn accessible(c: &Client, page: &str) {
    let list = accessibility_problems(c).await;
    assert!(
        list.is_empty(),
        "accessibility problems on the {page} page:\n{}",
        list.join("\n")
    );
    // Keyboard: no control is taken out of the Tab order, and Tab from the first control
    // moves to the next one, which shows that it has the focus.
    let first = c
        .execute(
            "var all = document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea'); \
             for (var i = 0; i < all.length; i++) { if (all[i].tabIndex < 0) return 'out of the Tab order: ' + all[i].outerHTML.slice(0, 80); } \
             if (all.length < 2) return 'few'; all[0].focus(); return 'ok';",
            vec![],
        )
        .await
        .unwrap();
    if first.as_str() == Some("few") {
        return;
    }
    assert_eq!(first.as_str(), Some("ok"), "the {page} page");
    c.active_element()
        .await
        .unwrap()
        .send_keys("\u{E004}")
        .await
        .unwrap();
    let focus = c
        .execute(
            "var e = document.activeElement; if (!e || e === document.body) return 'Tab went nowhere'; var s = getComputedStyle(e); \
             return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none' ? 'ok' : 'invisible focus on ' + e.outerHTML.slice(0, 80);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        focus.as_str(),
        Some("ok"),
        "keyboard focus on the {page} page"
    );
}

/// What the page-level checks of `accessible` find (the keyboard check aside).
pub async fn accessibility_problems(c: &Client) -> Vec<String> {
    let problems = c.execute(ACCESSIBILITY_JS, vec![]).await.unwrap();
    problems
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

const ACCESSIBILITY_JS: &str = r#"
var out = [];
function name(e) {
  return (e.getAttribute('aria-label') || e.getAttribute('title') || e.textContent || '').trim() ||
    Array.prototype.map.call(e.querySelectorAll('img[alt]'), function (i) { return i.alt; }).join('').trim();
}
function shown(e) { var r = e.getBoundingClientRect(); var s = getComputedStyle(e); return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; }
function desc(e) { return e.outerHTML.slice(0, 100); }
if (!document.documentElement.lang) out.push('html has no lang');
if (document.querySelectorAll('h1').length !== 1) out.push(document.querySelectorAll('h1').length + ' h1 elements');
document.querySelectorAll('input, select, textarea').forEach(function (e) {
  if (e.type === 'hidden') return;
  if ((e.labels && e.labels.length) || e.getAttribute('aria-label') || e.getAttribute('aria-labelledby')) return;
  out.push('no label: ' + desc(e));
});
document.querySelectorAll('a[href], button').forEach(function (e) { if (!name(e)) out.push('no name: ' + desc(e)); });
document.querySelectorAll('img').forEach(function (e) { if (!e.hasAttribute('alt')) out.push('no alt: ' + desc(e)); });
function rgb(c) { var m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null; var p = m[1].split(',').map(parseFloat); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; }
function lum(c) { return [c.r, c.g, c.b].map(function (v) { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }).reduce(function (a, v, i) { return a + v * [0.2126, 0.7152, 0.0722][i]; }, 0); }
function background(e) {
  for (var n = e; n && n.nodeType === 1; n = n.parentElement) {
    var b = rgb(getComputedStyle(n).backgroundColor);
    if (b && b.a > 0.5) return b;
  }
  return {r: 255, g: 255, b: 255, a: 1};
}
var seen = 0;
document.querySelectorAll('body *').forEach(function (e) {
  if (seen > 5000) return;
  var own = Array.prototype.some.call(e.childNodes, function (n) { return n.nodeType === 3 && n.textContent.trim(); });
  if (!own || !shown(e) || e.disabled) return;
  seen++;
  var s = getComputedStyle(e);
  var fg = rgb(s.color), bg = background(e);
  if (!fg) return;
  var l1 = lum(fg), l2 = lum(bg);
  var ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
  var size = parseFloat(s.fontSize), bold = parseInt(s.fontWeight, 10) >= 700;
  var need = (size >= 24 || (bold && size >= 18.66)) ? 3 : 4.5;
  if (ratio < need) out.push('contrast ' + ratio.toFixed(2) + ' < ' + need + ': ' + desc(e));
});
return out;
"#;
