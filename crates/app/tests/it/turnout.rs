//! Poll watchers provisioned in bulk from a CSV file, on both backends: a wrong row creates
//! nothing and is named; the login codes sign in as typed on a phone (any case, no dashes),
//! for a session that lasts through election day; the readiness drill sees who signed in.

use app::accounts;
use ingest::Kind;
use store::sql::RowExt;

use super::on_backends;

const T0: i64 = 1_793_000_000;

#[test]
fn watchers_are_provisioned_with_login_codes_and_the_drill_sees_them() {
    on_backends(|env| {
        let mut bytes = Vec::new();
        testkit::write_ncvoter(&mut bytes, 200, 3).unwrap();
        env.import(Kind::NcVoter, "ncvoter.txt", &bytes);
        let s = &mut *env.store;
        let places: Vec<(String, String)> = s
            .sql()
            .query(
                "SELECT DISTINCT county, precinct FROM voters ORDER BY county, precinct LIMIT 2",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| (r.text(0).unwrap(), r.text(1).unwrap()))
            .collect();
        let (a, b) = (&places[0], &places[1]);
        // A precinct not on the voter file and a username twice: nothing is created.
        let bad = format!(
            "county,precinct,username,phone\n{},{},ann,555\n{},NOPE,,\n{},{},ann,\n",
            a.0, a.1, b.0, b.0, b.1
        );
        let err =
            app::turnout::provision(s, bad.as_bytes(), None, "test", T0, 2, &|_| {}).unwrap_err();
        match err {
            app::turnout::ProvisionError::Rows(rows) => {
                let at: Vec<usize> = rows.iter().map(|r| r.0).collect();
                assert_eq!(at, [3], "{rows:?}");
                assert!(rows[0].2.contains("not a precinct"), "{rows:?}");
            }
            e => panic!("{}: {e}", env.name),
        }
        let dup = format!(
            "county,precinct,username\n{},{},ann\n{},{},ann\n",
            a.0, a.1, b.0, b.1
        );
        assert!(matches!(
            app::turnout::provision(s, dup.as_bytes(), None, "test", T0, 2, &|_| {}),
            Err(app::turnout::ProvisionError::Rows(r)) if r.len() == 1 && r[0].0 == 3
        ));
        assert!(
            app::turnout::readiness(s.sql()).unwrap().is_empty(),
            "nothing created"
        );

        let good = format!(
            "County,Precinct,Phone\n{},{},555\n{},{},\n{},{},\n",
            a.0, a.1, a.0, a.1, b.0, b.1
        );
        let (made, ignored) = app::turnout::provision(
            s,
            good.as_bytes(),
            Some("2026-11-06".into()),
            "test",
            T0,
            2,
            &|_| {},
        )
        .unwrap();
        assert_eq!(ignored, ["phone"]);
        assert_eq!(made.len(), 3);
        assert_ne!(
            made[0].username, made[1].username,
            "two watchers, one precinct"
        );
        assert_ne!(made[0].login_code, made[1].login_code);
        // Typed on a phone: lower case, no dashes.
        let typed = made[0].login_code.replace('-', "").to_lowercase();
        let signed = accounts::login(s, &made[0].username, &typed, None, T0 + 60).unwrap();
        let until = accounts::parse_timestamp(&signed.expires_at).unwrap();
        assert_eq!(
            until - (T0 + 60),
            auth::WATCHER_SESSION_SECONDS,
            "through election day"
        );
        assert!(accounts::login(s, &made[1].username, &typed, None, T0 + 61).is_err());
        let drill = app::turnout::readiness(s.sql()).unwrap();
        assert_eq!(drill.len(), 3);
        let ready: Vec<&str> = drill
            .iter()
            .filter(|r| r.last_login.is_some())
            .map(|r| r.username.as_str())
            .collect();
        assert_eq!(ready, [made[0].username.as_str()], "{}", env.name);
        assert_eq!(
            drill
                .iter()
                .find(|r| r.username == made[2].username)
                .unwrap()
                .regions,
            format!("{}/{}", b.0, b.1).to_uppercase()
        );
        // A watcher with an ordinary password that looks like a code still signs in with it.
        let spec = accounts::UserSpec {
            username: "plain".into(),
            role: "poll_watcher".into(),
            regions: vec![format!("{}/{}", a.0, a.1)],
            person_id: None,
            password: "abcdefgh2345".into(),
            expires_on: None,
        };
        accounts::add_user(s, &spec, "test", T0).unwrap();
        assert!(accounts::login(s, "plain", "abcdefgh2345", None, T0 + 70).is_ok());
    });
}
