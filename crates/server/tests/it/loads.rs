//! Loading files through the API on both backends: the same import as `tusk import` (counts,
//! rejected rows named with their row number), a file that cannot be read keeps nothing, bad
//! parameters name their field, and only data directors and admins may load.

use store::sql::RowExt;

use crate::fixture::*;

fn loads(f: &Fixture) -> i64 {
    let mut st = (f.open)();
    st.sql()
        .query("SELECT CAST(COUNT(*) AS BIGINT) FROM loads", &[])
        .unwrap()[0]
        .int(0)
        .unwrap()
}

fn voters(f: &Fixture) -> i64 {
    let mut st = (f.open)();
    st.sql()
        .query(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM voters WHERE removed_load_id IS NULL",
            &[],
        )
        .unwrap()[0]
        .int(0)
        .unwrap()
}

#[test]
fn a_director_loads_files_through_the_api() {
    for f in fixtures() {
        let rt = rt();
        let post = |uri: &str, who: &str, body: Vec<u8>| {
            let mut r = axum::http::Request::builder()
                .method("POST")
                .uri(uri)
                .header("content-type", "application/octet-stream");
            if let Some(t) = f.tokens.get(who) {
                r = r.header("authorization", format!("Bearer {t}"));
            }
            rt.block_on(send(&f.app, r.body(axum::body::Body::from(body)).unwrap()))
        };
        // Voters of another file (more than axum's default 64 KiB body limit), and a row that
        // has lost its fields.
        let n = 400;
        let mut bytes = Vec::new();
        testkit::write_ncvoter(&mut bytes, n, 1234).unwrap();
        assert!(bytes.len() > 64 * 1024);
        // (The voter file is Latin-1, as the state sends it.)
        let mut text = bytes;
        text.extend_from_slice(b"broken\trow\n");
        let before_loads = loads(&f);
        let before_voters = voters(&f);
        let r = post(
            "/api/v1/loads?kind=ncvoter&file_name=C%3A%5Cexports%5Cncvoter_new.txt",
            "director",
            text.clone(),
        );
        assert_eq!(r.status, 201, "{}: {}", f.backend, r.body);
        let a = r.json();
        assert_eq!(a["file_name"], "ncvoter_new.txt", "the base name only");
        assert_eq!(a["read"], n + 1);
        assert_eq!(a["rejected"], 1);
        assert_eq!(a["accepted"], n);
        let new = a["new"].as_i64().unwrap();
        assert_eq!(
            new + a["updated"].as_i64().unwrap() + a["unchanged"].as_i64().unwrap(),
            n as i64
        );
        // A voter file is a snapshot of its counties: voters it no longer lists are removed.
        let removed = a["removed"].as_i64().unwrap();
        assert_eq!(voters(&f), before_voters + new - removed, "{}", f.backend);
        assert_eq!(loads(&f), before_loads + 1);
        let rejects = a["rejects"].as_array().unwrap();
        assert_eq!(rejects.len(), 1);
        assert_eq!(
            rejects[0]["row"],
            n + 1,
            "rows count from 1 after the header: {}",
            r.body
        );
        assert!(
            !rejects[0]["reason"].as_str().unwrap().is_empty(),
            "{}",
            r.body
        );
        let file = a["rejects_file"].as_str().unwrap();
        assert!(f.rejects.path().join(file).exists(), "{file}");
        // Recorded with who loaded it.
        {
            let mut st = (f.open)();
            let row = st
                .sql()
                .query(
                    "SELECT file_name, loaded_by FROM loads WHERE id = ?",
                    &[store::Value::Int(a["load_id"].as_i64().unwrap())],
                )
                .unwrap();
            assert_eq!(row[0].text(0).unwrap(), "ncvoter_new.txt");
            assert_eq!(row[0].text(1).unwrap(), "user:director");
        }
        // The same file again changes nothing.
        let again = post(
            "/api/v1/loads?kind=ncvoter&file_name=ncvoter_new.txt",
            "admin",
            text,
        );
        assert_eq!(again.status, 201, "{}", again.body);
        assert_eq!(again.json()["unchanged"], n, "{}", again.body);
        assert_eq!(again.json()["new"], 0);

        // A CSV with its mapping.
        let mapping = "entity = \"volunteers\"\nsource = \"mobilize\"\n[columns]\nid = \"ID\"\nfirst_name = \"First\"\nlast_name = \"Last\"\nemail = \"Email\"\n";
        let uri = format!(
            "/api/v1/loads?kind=csv&file_name=signups.csv&mapping={}",
            mapping
                .bytes()
                .map(|b| format!("%{b:02X}"))
                .collect::<String>()
        );
        let r = post(
            &uri,
            "director",
            b"ID,First,Last,Email\nV9,Bea,Sample,bea@example.org\n".to_vec(),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.json()["new"], 1);

        // What is refused names its field and keeps nothing.
        let n_loads = loads(&f);
        for (uri, body, field) in [
            ("/api/v1/loads?kind=boat", "x\n", "kind"),
            (
                "/api/v1/loads?kind=csv&file_name=a.csv",
                "ID\n1\n",
                "mapping",
            ),
            ("/api/v1/loads?kind=fec&mapping=x", "x\n", "mapping"),
            ("/api/v1/loads?kind=ncvoter&file_name=x.txt", "", "file"),
            (
                "/api/v1/loads?kind=ncvoter&file_name=x.txt",
                "these are not\tthe columns\n1\t2\n",
                "file",
            ),
            (
                "/api/v1/loads?kind=ncvoter&file_name=%0A",
                "x\n",
                "file_name",
            ),
        ] {
            let r = post(uri, "director", body.as_bytes().to_vec());
            assert_eq!(r.status, 400, "{uri}: {}", r.body);
            assert_eq!(r.json()["field"], field, "{uri}: {}", r.body);
        }
        assert_eq!(loads(&f), n_loads, "nothing kept from refused files");
        let n_before_409 = loads(&f);
        // One load at a time: while one runs, another is told to wait (nothing read or kept).
        {
            let _running = f.state.loading.clone().try_lock_owned().unwrap();
            let r = post(
                "/api/v1/loads?kind=fec&file_name=x.txt",
                "director",
                b"x\n".to_vec(),
            );
            assert_eq!(r.status, 409, "{}", r.body);
            assert_eq!(r.json()["field"], "file");
            assert_eq!(loads(&f), n_before_409);
        }
        // Organizers and analysts may not load.
        for who in ["organizer", "analyst", "volunteer"] {
            let r = post("/api/v1/loads?kind=fec", who, b"x\n".to_vec());
            assert_eq!(r.status, 403, "{who}");
        }
    }
}

/// The page offers every kind the importer reads.
#[test]
fn the_load_page_offers_every_kind() {
    let f = sqlite();
    let rt = rt();
    let r = rt.block_on(send(
        &f.app,
        req(
            "GET",
            "/loads",
            f.tokens.get("director").map(String::as_str),
            None,
        ),
    ));
    // Bearer sessions of users see the page too.
    assert_eq!(r.status, 200, "{}", r.body);
    for k in ingest::Kind::ALL {
        assert!(
            r.body.contains(&format!("<option value=\"{}\">", k.name())),
            "{}",
            k.name()
        );
    }
    assert!(r.body.contains("<option value=\"geocodes\">"));
    assert!(r.body.contains("id=\"loads-recent\""));
}
