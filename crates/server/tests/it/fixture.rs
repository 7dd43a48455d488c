//! A store with voters in several counties and one account per role.

use std::collections::HashMap;

use axum::body::Body;
use axum::http::{Request, Response};
use http_body_util::BodyExt;
use server::{AppState, Config, StorePool};
use store::Store;
use tower::ServiceExt;

pub const PASSWORD: &str = "a long enough passphrase";
pub const NOW: &str = "2026-11-28T12:00:00Z";

pub struct Fixture {
    pub app: axum::Router,
    pub state: AppState,
    /// A person in the organizer's county, who is also the volunteer.
    pub a: i64,
    /// A person in another county.
    pub b: i64,
    pub county_a: String,
    /// A donation id.
    pub donation: i64,
    /// A volunteer sign-up on person A.
    pub volunteer: i64,
    /// A tag and a list, with person A on both.
    pub tag: i64,
    pub list: i64,
    /// Bearer tokens by principal name (`admin`, …, `key_people`, `key_none`, `expired`).
    pub tokens: HashMap<&'static str, String>,
    pub totp: HashMap<&'static str, String>,
    pub _dir: Option<tempfile::TempDir>,
    /// Where loads through the server write their rejects files.
    pub rejects: tempfile::TempDir,
    pub backend: &'static str,
    /// Opens another connection to the fixture's store.
    pub open: std::sync::Arc<dyn Fn() -> Box<dyn Store> + Send + Sync>,
}

pub const ROLES: [(&str, &str); 6] = [
    ("admin", "admin"),
    ("director", "data_director"),
    ("analyst", "analyst"),
    ("organizer", "organizer"),
    ("volunteer", "volunteer"),
    ("watcher", "poll_watcher"),
];

/// The people of the store with their current county, by id.
pub fn counties(s: &mut dyn Store) -> Vec<(i64, String)> {
    let rows = s
        .sql()
        .query(
            "SELECT person_id, county FROM voters WHERE removed_load_id IS NULL ORDER BY person_id",
            &[],
        )
        .unwrap();
    rows.iter()
        .map(|r| {
            use store::sql::RowExt;
            (r.int(0).unwrap(), r.text(1).unwrap())
        })
        .collect()
}

fn now_secs() -> i64 {
    app::accounts::parse_timestamp(NOW).unwrap()
}

/// Loads voters and creates the accounts on `store`; `open` opens more connections to it.
pub fn build(
    mut store: Box<dyn Store>,
    open: Box<dyn Fn() -> Box<dyn Store> + Send + Sync>,
    journal: std::sync::Arc<server::turnout::JournalOpener>,
    dir: Option<tempfile::TempDir>,
) -> Fixture {
    let backend = store.backend();
    let tmp = tempfile::tempdir().unwrap();
    let mut bytes = Vec::new();
    testkit::write_ncvoter(&mut bytes, 300, 7).unwrap();
    let path = tmp.path().join("ncvoter.txt");
    std::fs::write(&path, bytes).unwrap();
    let opts = app::ImportOptions {
        kind: ingest::Kind::NcVoter,
        mapping: None,
        rejects_dir: tmp.path().join("rejects"),
        loaded_by: "test".into(),
        allow_mass_removal: false,
    };
    app::import_file(&mut *store, &path, &opts, &app::NoProgress).unwrap();
    let mut fec = Vec::new();
    testkit::write_fec(&mut fec, 300, 7).unwrap();
    let fec_path = tmp.path().join("itcont.txt");
    std::fs::write(&fec_path, fec).unwrap();
    let fec_opts = app::ImportOptions {
        kind: ingest::Kind::Fec,
        ..opts.clone()
    };
    app::import_file(&mut *store, &fec_path, &fec_opts, &app::NoProgress).unwrap();
    let donation = store::donations::list(store.sql(), None, 0, 1).unwrap().1[0].id;
    let people = counties(&mut *store);
    // One volunteer sign-up, resolved onto person A.
    let vol_path = tmp.path().join("vol.csv");
    std::fs::write(
        &vol_path,
        "ID,First,Last,Email\nV1,Ann,Test,ann.test@example.org\n",
    )
    .unwrap();
    let vol_opts = app::ImportOptions {
        kind: ingest::Kind::Csv,
        mapping: Some(
            ingest::Mapping::parse(
                "entity = \"volunteers\"\nsource = \"mobilize\"\n[columns]\nid = \"ID\"\nfirst_name = \"First\"\nlast_name = \"Last\"\nemail = \"Email\"\n",
            )
            .unwrap(),
        ),
        ..opts.clone()
    };
    app::import_file(&mut *store, &vol_path, &vol_opts, &app::NoProgress).unwrap();
    {
        let mut load = store
            .begin_load(&store::conformance::meta("resolve"))
            .unwrap();
        load.assign_persons(&[(
            store::Table::Volunteers,
            "mobilize:V1".into(),
            store::PersonRef::Existing(people[0].0),
        )])
        .unwrap();
        load.commit(&store::LoadEnd::default()).unwrap();
    }
    let volunteer = store::volunteers::list(store.sql(), &store::people::Scope::All, 0, 1)
        .unwrap()
        .1[0]
        .id;
    let tag = store::groups::create(store.sql(), store::groups::Kind::Tag, "t1", "", "test", NOW)
        .unwrap();
    let list = store::groups::create(
        store.sql(),
        store::groups::Kind::List,
        "l1",
        "",
        "test",
        NOW,
    )
    .unwrap();
    for (k, id) in [
        (store::groups::Kind::Tag, tag),
        (store::groups::Kind::List, list),
    ] {
        store::groups::add(store.sql(), k, id, &[people[0].0], "test", NOW).unwrap();
    }
    let (a, county_a) = people[0].clone();
    let (b, _) = people
        .iter()
        .find(|(_, c)| *c != county_a)
        .cloned()
        .expect("two counties");
    let watch_precinct = {
        use store::sql::RowExt;
        let r = store
            .sql()
            .query(
                "SELECT county, precinct FROM voters WHERE county = ? ORDER BY precinct LIMIT 1",
                &[store::Value::Text(county_a.clone())],
            )
            .unwrap();
        format!("{}/{}", r[0].text(0).unwrap(), r[0].text(1).unwrap())
    };
    let mut tokens = HashMap::new();
    let mut totp = HashMap::new();
    let future = "2099-01-01T00:00:00Z";
    for (name, role) in ROLES {
        let spec = app::accounts::UserSpec {
            username: name.into(),
            role: role.into(),
            regions: match role {
                "organizer" => vec![county_a.clone()],
                "poll_watcher" => vec![watch_precinct.clone()],
                _ => vec![],
            },
            person_id: (role == "volunteer").then_some(a),
            password: PASSWORD.into(),
            expires_on: None,
        };
        let made = app::accounts::add_user(&mut *store, &spec, "test", now_secs()).unwrap();
        if let Some(s) = made.totp_secret {
            totp.insert(name, s);
        }
        // A session straight in the store: no password hashing per request.
        let token = format!("tusk_s_test_{name}");
        store::accounts::create_session(
            store.sql(),
            &auth::token_hash(&token),
            made.user.id,
            &format!("csrf-{name}"),
            NOW,
            future,
        )
        .unwrap();
        tokens.insert(name, token);
    }
    let admin = store::accounts::user_by_name(store.sql(), "admin")
        .unwrap()
        .unwrap();
    store::accounts::create_session(
        store.sql(),
        &auth::token_hash("tusk_s_test_expired"),
        admin.id,
        "csrf-expired",
        "2026-01-01T00:00:00Z",
        "2026-01-01T08:00:00Z",
    )
    .unwrap();
    tokens.insert("expired", "tusk_s_test_expired".into());
    let (k, _) = app::accounts::add_key(
        &mut *store,
        "crm",
        "people:read,donations:read",
        "test",
        now_secs(),
    )
    .unwrap();
    tokens.insert("key_people", k);
    let (k, _) =
        app::accounts::add_key(&mut *store, "feed", "changes:read", "test", now_secs()).unwrap();
    tokens.insert("key_none", k);
    drop(store);
    let open: std::sync::Arc<dyn Fn() -> Box<dyn Store> + Send + Sync> = std::sync::Arc::from(open);
    let o2 = open.clone();
    let pool = StorePool::open(2, &move || Ok(o2())).unwrap();
    let o3 = open.clone();
    let auth_pool = StorePool::open(1, &move || Ok(o3())).unwrap();
    let rejects = tempfile::tempdir().unwrap();
    let state = AppState::new(
        pool,
        open(),
        auth_pool,
        journal,
        Config {
            secure_cookies: false,
            webhook_retry_base_seconds: 0,
            webhook_tick_ms: 50,
            turnout: Default::default(),
            rejects_dir: rejects.path().to_path_buf(),
        },
    )
    .unwrap();
    let app = server::router(state.clone());
    Fixture {
        app,
        state,
        a,
        b,
        county_a,
        donation,
        volunteer,
        tag,
        list,
        tokens,
        totp,
        _dir: dir,
        rejects,
        backend,
        open,
    }
}

pub fn sqlite() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tusk.db");
    let store = store_sqlite::SqliteStore::open(&path).unwrap();
    let p2 = path.clone();
    let j = dir.path().join("tusk.turnout.db");
    build(
        Box::new(store),
        Box::new(move || Box::new(store_sqlite::SqliteStore::open(&p2).unwrap())),
        std::sync::Arc::new(move || {
            Ok(Box::new(store_sqlite::SqliteJournal::open(&j)?) as Box<dyn store::sql::Sql + Send>)
        }),
        Some(dir),
    )
}

pub fn postgres() -> Option<Fixture> {
    let url = store_postgres::test_database_url()?;
    let store = store_postgres::PostgresStore::connect(&url).unwrap();
    let u2 = url.clone();
    Some(build(
        Box::new(store),
        Box::new(move || Box::new(store_postgres::PostgresStore::connect(&url).unwrap())),
        std::sync::Arc::new(move || {
            Ok(Box::new(store_postgres::PostgresStore::connect(&u2)?)
                as Box<dyn store::sql::Sql + Send>)
        }),
        None,
    ))
}

/// Every backend available.
pub fn fixtures() -> Vec<Fixture> {
    let mut v = vec![sqlite()];
    v.extend(postgres());
    v
}

pub struct Answer {
    pub status: u16,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

pub async fn send(app: &axum::Router, req: Request<Body>) -> Answer {
    let resp: Response<Body> = app.clone().oneshot(req).await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

pub fn req(
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<(&str, String)>,
) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    match body {
        Some((ct, text)) => b.header("content-type", ct).body(Body::from(text)).unwrap(),
        None => b.body(Body::empty()).unwrap(),
    }
}
