//! Sign-in rules on both backends: lockout, two factors for staff, expiry, disabling, keys.

use app::accounts::{self, AccountError, Principal, UserSpec};
use store::people::Scope;

use super::on_backends;

const T0: i64 = 1_793_000_000; // 2026-10-26

fn spec(name: &str, role: &str, regions: &[&str]) -> UserSpec {
    UserSpec {
        username: name.into(),
        role: role.into(),
        regions: regions.iter().map(|r| r.to_string()).collect(),
        password: "a long enough passphrase".into(),
        ..Default::default()
    }
}

#[test]
fn staff_sign_in_needs_the_password_and_a_current_code() {
    on_backends(|env| {
        let s = &mut *env.store;
        let made =
            accounts::add_user(s, &spec("ann", "organizer", &["wake"]), "cli:test", T0).unwrap();
        let secret = made.totp_secret.expect("staff get a TOTP secret");
        assert_eq!(made.user.regions, ["WAKE"]);
        let code = auth::totp_code(&secret, T0).unwrap();
        assert!(matches!(
            accounts::login(s, "ann", "a long enough passphrase", None, T0),
            Err(AccountError::TotpRequired)
        ));
        assert!(
            matches!(
                accounts::login(s, "ann", "a long enough passphrase", Some("000000"), T0),
                Err(AccountError::TotpInvalid)
            ) || code == "000000"
        );
        let signed =
            accounts::login(s, "ann", "a long enough passphrase", Some(&code), T0).unwrap();
        let p = accounts::authenticate(s, &signed.token, T0 + 60).unwrap();
        assert_eq!(p.people_scope(), Scope::Counties(vec!["WAKE".into()]));
        assert_eq!(p.actor(), "user:ann");
        assert!(
            accounts::authenticate(s, &signed.token, T0 + auth::SESSION_SECONDS + 1).is_err(),
            "sessions expire"
        );
        accounts::logout(s, &signed.token, "user:ann", T0 + 120).unwrap();
        assert!(accounts::authenticate(s, &signed.token, T0 + 121).is_err());
        let log = store::accounts::audit_entries(s.sql(), 0, 100, None).unwrap();
        let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                "user.add",
                "login.failure",
                "login.failure",
                "login.success",
                "logout"
            ],
            "{}",
            env.name
        );
        assert_eq!(log[1].detail["reason"], "totp_required");
        assert!(
            !log.iter()
                .any(|e| e.detail.to_string().contains("passphrase")),
            "no secrets in the audit log"
        );
    });
}

#[test]
fn repeated_failures_lock_the_account_for_a_while() {
    on_backends(|env| {
        let s = &mut *env.store;
        let mut v = spec("vic", "volunteer", &[]);
        assert!(matches!(
            accounts::add_user(s, &v, "cli:test", T0),
            Err(AccountError::Invalid(m)) if m.starts_with("person:")
        ));
        // A volunteer is one person: give them the first person in the store.
        let mut voters = Vec::new();
        testkit::write_ncvoter(&mut voters, 3, 1).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.txt");
        std::fs::write(&path, voters).unwrap();
        let opts = app::ImportOptions {
            kind: ingest::Kind::NcVoter,
            mapping: None,
            rejects_dir: dir.path().join("rejects"),
            loaded_by: "test".into(),
            allow_mass_removal: false,
        };
        app::import_file(s, &path, &opts, &app::NoProgress).unwrap();
        let first = store::people::search(
            s.sql(),
            &store::people::PeopleQuery {
                zip5: None,
                ..Default::default()
            },
            &Scope::All,
        )
        .unwrap();
        assert!(first.ids.is_empty(), "an empty query finds no one");
        v.person_id = Some(1);
        accounts::add_user(s, &v, "cli:test", T0).unwrap();
        for i in 1..auth::LOGIN_FAILURES_MAX {
            assert!(matches!(
                accounts::login(s, "vic", "wrong password!!", None, T0 + i),
                Err(AccountError::BadCredentials)
            ));
        }
        assert!(matches!(
            accounts::login(s, "vic", "wrong password!!", None, T0 + 10),
            Err(AccountError::Locked { .. })
        ));
        assert!(
            matches!(
                accounts::login(s, "vic", "a long enough passphrase", None, T0 + 20),
                Err(AccountError::Locked { .. })
            ),
            "even the right password waits out the lockout"
        );
        let later = T0 + 10 + auth::LOCKOUT_SECONDS + 1;
        let signed = accounts::login(s, "vic", "a long enough passphrase", None, later).unwrap();
        assert_eq!(
            signed.principal.people_scope(),
            Scope::Person(1),
            "{}",
            env.name
        );
        assert!(matches!(
            accounts::login(s, "nobody", "whatever passphrase", None, later),
            Err(AccountError::BadCredentials)
        ));
    });
}

#[test]
fn disabled_and_expired_accounts_and_keys_cannot_sign_in() {
    on_backends(|env| {
        let s = &mut *env.store;
        let mut w = spec("wes", "poll_watcher", &["WAKE/01-07"]);
        w.expires_on = Some("2026-11-04".into());
        accounts::add_user(s, &w, "cli:test", T0).unwrap();
        let end = accounts::parse_timestamp("2026-11-05T00:00:00Z").unwrap();
        // Signed in an hour before the account ends: the session ends with it.
        let signed =
            accounts::login(s, "wes", "a long enough passphrase", None, end - 3600).unwrap();
        assert_eq!(signed.principal.people_scope(), Scope::Nothing);
        assert_eq!(signed.expires_at, "2026-11-05T00:00:00Z");
        assert!(accounts::authenticate(s, &signed.token, end - 1).is_ok());
        assert!(
            accounts::authenticate(s, &signed.token, end).is_err(),
            "expired with the account"
        );
        assert!(matches!(
            accounts::login(s, "wes", "a long enough passphrase", None, end + 5),
            Err(AccountError::Expired { .. })
        ));
        accounts::set_disabled(s, "wes", true, "cli:test", T0).unwrap();
        assert!(matches!(
            accounts::login(s, "wes", "a long enough passphrase", None, T0 + 1),
            Err(AccountError::Disabled)
        ));
        assert!(accounts::set_disabled(s, "nobody", true, "cli:test", T0).is_err());

        let (token, key) = accounts::add_key(s, "crm", "people:read", "cli:test", T0).unwrap();
        assert_eq!(key.scopes, ["people:read"]);
        let p = accounts::authenticate(s, &token, T0).unwrap();
        assert!(matches!(p, Principal::Key { .. }));
        assert_eq!(p.people_scope(), Scope::All);
        assert!(!p.allows(auth::Permission::DonationsRead));
        assert!(accounts::add_key(s, "crm2", "people:delete", "cli:test", T0).is_err());
        store::accounts::set_key_disabled(s.sql(), "crm", true).unwrap();
        assert!(accounts::authenticate(s, &token, T0).is_err());
        assert!(accounts::authenticate(s, "tusk_s_forged", T0).is_err());
    });
}
