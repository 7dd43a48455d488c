//! Targeted sharing over a loaded synthetic campaign: the generator's contact lists matched
//! against the voter file and scored against its truth; uploads on both backends with
//! consent, per-entry problems, limits, asks marked done, credit, withdrawal (nothing of the
//! friends remains) and retention.

use app::sharing::{self, Accuracy, Contact, Format, Supporter};
use app::signup::VoterIndex;
use ingest::{Kind, Mapping};
use store::sql::RowExt;
use store::Value;
use testkit::campaign::{contact_truth, generate, CampaignConfig, Out, Outputs};

use super::{on_backends, Env};

const NOW: &str = "2026-10-01T12:00:00Z";

fn file(out: &Outputs<Vec<u8>>, o: Out) -> Vec<u8> {
    out.0[Out::ALL.iter().position(|x| *x == o).unwrap()].clone()
}

fn campaign(voters: usize, seed: u64) -> Outputs<Vec<u8>> {
    let mut out = Outputs(vec![Vec::new(); Out::ALL.len()]);
    generate(&CampaignConfig { voters, seed }, &mut out).unwrap();
    out
}

/// The generator's `contacts.csv`, one CSV per supporter ("Shared By"), with each entry's
/// contact row id.
fn lists(out: &Outputs<Vec<u8>>) -> Vec<(String, Vec<String>)> {
    let text = String::from_utf8(file(out, Out::Contacts)).unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let header = rdr.headers().unwrap().clone();
    let mut by: Vec<(String, Vec<csv::StringRecord>)> = Vec::new();
    for r in rdr.records() {
        let r = r.unwrap();
        match by.last_mut() {
            Some((owner, rows)) if owner == &r[0] => rows.push(r),
            _ => by.push((r[0].to_string(), vec![r])),
        }
    }
    by.into_iter()
        .map(|(_, rows)| {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(&header).unwrap();
            let ids = rows.iter().map(|r| r[1].to_string()).collect();
            for r in &rows {
                w.write_record(r).unwrap();
            }
            (String::from_utf8(w.into_inner().unwrap()).unwrap(), ids)
        })
        .collect()
}

#[test]
fn generator_contacts_are_matched_and_classified_against_the_truth() {
    let out = campaign(20_000, 11);
    let dir = tempfile::tempdir().unwrap();
    let mut env = Env {
        name: "sqlite",
        store: Box::new(store_sqlite::SqliteStore::open(&dir.path().join("t.db")).unwrap()),
        dir,
    };
    env.import(Kind::NcVoter, "ncvoter.txt", &file(&out, Out::NcVoter));
    // What a campaign has besides the voter file (the matching model is estimated on it).
    env.import(Kind::Fec, "itcont.txt", &file(&out, Out::Fec));
    let m =
        Mapping::parse(&String::from_utf8(file(&out, Out::VolunteersMapping)).unwrap()).unwrap();
    env.try_import(Kind::Csv, Some(m), "vol.csv", &file(&out, Out::Volunteers))
        .unwrap();
    let truth = contact_truth(
        &String::from_utf8(file(&out, Out::TruthRecords)).unwrap(),
        &String::from_utf8(file(&out, Out::TruthPeople)).unwrap(),
    );
    let s = &mut *env.store;
    let index = VoterIndex::build(s).unwrap();
    let settings = sharing::settings(s.sql()).unwrap();
    assert_eq!(settings.target_states, ["NC"], "default: the file's states");
    let today = model::Date::new(2026, 10, 1).unwrap();
    let mut acc = Accuracy::default();
    const SWEEP: [f64; 6] = [0.5, 0.7, 0.8, 0.9, 0.95, 0.99];
    let mut sweep = [Accuracy::default(); 6];
    let mut rejected = 0;
    for (csv_text, ids) in lists(&out) {
        let parsed = sharing::parse(Format::Csv, csv_text.as_bytes()).unwrap();
        assert_eq!(parsed.entries, ids.len());
        assert_eq!(
            parsed.ignored_columns,
            ["Shared By", "Contact ID"],
            "unknown columns are named"
        );
        rejected += parsed.entries - parsed.contacts.len();
        let judged = sharing::judge(
            s.sql(),
            &index,
            &settings,
            parsed.contacts,
            "NC",
            today,
            &|_| None,
        )
        .unwrap();
        let t = |entry: usize| {
            truth
                .get(&ids[entry - 1])
                .map(|(reg, ncid)| (*reg && !ncid.is_empty(), format!("nc:{ncid}")))
        };
        acc.add(&judged, settings.match_min, &t);
        for (i, m) in SWEEP.iter().enumerate() {
            sweep[i].add(&judged, *m, &t);
        }
    }
    eprintln!(
        "sharing accuracy (20k voters, seed 11): {acc:?}; match P {:.4} R {:.4}; not registered P {:.4} R {:.4}",
        acc.match_precision(),
        acc.match_recall(),
        acc.unregistered_precision(),
        acc.unregistered_recall()
    );
    for (m, a) in SWEEP.iter().zip(&sweep) {
        eprintln!(
            "  threshold {m}: match P {:.4} R {:.4} (findable: P {:.4} R {:.4} of {}); not registered P {:.4} R {:.4}",
            a.match_precision(),
            a.match_recall(),
            a.match_precision_findable(),
            a.match_recall_findable(),
            a.registered_findable,
            a.unregistered_precision(),
            a.unregistered_recall()
        );
    }
    assert_eq!(rejected, 0, "the generator's contacts all have a name");
    // Measured (20k voters, seed 11, threshold 0.9): match P 0.986 R 0.635, on contacts with a
    // full name and a city P 0.98 R 0.90; "not registered" P 1.00 R 0.29 (only friends with a
    // full name and a place, no candidate with 14 bits of evidence or 0.05 probability).
    assert!(acc.contacts > 2_000, "{acc:?}");
    assert!(acc.match_precision() >= 0.97, "{acc:?}");
    assert!(acc.match_recall() >= 0.6, "{acc:?}");
    assert!(acc.match_precision_findable() >= 0.97, "{acc:?}");
    assert!(acc.match_recall_findable() >= 0.85, "{acc:?}");
    assert!(acc.unregistered_precision() >= 0.95, "{acc:?}");
    assert!(acc.unregistered_recall() >= 0.2, "{acc:?}");
}

#[test]
fn uploads_with_consent_problems_limits_credit_and_withdrawal() {
    on_backends(|env| {
        let out = campaign(3_000, 5);
        env.import(Kind::NcVoter, "ncvoter.txt", &file(&out, Out::NcVoter));
        // Early ballots: the current election, whose counted ballots mark friends as voted.
        env.import(Kind::NcAbsentee, "absentee.csv", &file(&out, Out::Absentee));
        let s = &mut *env.store;
        // Two voters to be friends with: their names, city and phone as a friend would type.
        let rows = s
            .sql()
            .query(
                "SELECT first_name, last_name, city, phone, county, precinct, rkey FROM voters \
                 WHERE phone IS NOT NULL AND phone <> '' ORDER BY rkey LIMIT 2",
                &[],
            )
            .unwrap();
        let v: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                (0..7)
                    .map(|i| r.opt_text(i).unwrap().unwrap_or_default())
                    .collect()
            })
            .collect();
        sharing::set_settings(
            s.sql(),
            r#"{"target_states":["NC"],"states":{"NC":{"registration_url":"https://vote.nc.example/register","registration_deadline":"2026-10-09","early_vote_start":"2026-10-15","early_vote_end":"2026-11-01"}},"give_url":"https://give.example/"}"#,
            NOW,
            "test",
        )
        .unwrap();
        let bad =
            sharing::set_settings(s.sql(), r#"{"target_states":["North Carolina"]}"#, NOW, "t");
        assert!(
            matches!(
                &bad,
                Err(sharing::SharingError::Field {
                    field: "target_states",
                    ..
                })
            ),
            "{bad:?}"
        );
        let index = VoterIndex::build(s).unwrap();
        let who = Supporter {
            user_id: 7,
            person_id: None,
            actor: "user:ann".into(),
        };
        let zed_city = {
            let t = String::from_utf8_lossy(&file(&out, Out::NcVoter)).into_owned();
            let mut l = t.lines();
            let cols: Vec<String> = l
                .next()
                .unwrap()
                .split('\t')
                .map(|c| c.trim_matches('"').to_string())
                .collect();
            let row: Vec<String> = l.next().unwrap().split('\t').map(String::from).collect();
            row[cols.iter().position(|c| c == "res_city_desc").unwrap()]
                .trim_matches('"')
                .to_string()
        };
        let csv = format!(
            "Name,Mobile,E-mail,City,Birthday,Notes\n\
             {} {},{},,{},,friend from work\n\
             Zed Qqqxyzzy,,,{zed_city},,\n\
             ,5551234,not-an-email,,13/45/1990,\n\
             {} {},(919) 5,,{},,\n",
            v[0][0], v[0][1], v[0][3], v[0][2], v[1][0], v[1][1], v[1][2]
        );
        // No consent: nothing is read.
        let e = sharing::upload(
            s.sql(),
            &index,
            &who,
            Format::Csv,
            csv.as_bytes(),
            NOW,
            &|_| None,
        );
        assert!(matches!(e, Err(sharing::SharingError::NoConsent)), "{e:?}");
        let e = sharing::agree(s.sql(), 7, "1999-old", NOW, "user:ann");
        assert!(matches!(
            e,
            Err(sharing::SharingError::Field {
                field: "terms_version",
                ..
            })
        ));
        let c = sharing::agree(s.sql(), 7, sharing::TERMS_VERSION, NOW, "user:ann").unwrap();
        assert_eq!(c.agreed_at.as_deref(), Some(NOW));

        let up = sharing::upload(
            s.sql(),
            &index,
            &who,
            Format::Csv,
            csv.as_bytes(),
            NOW,
            &|_| None,
        )
        .unwrap();
        assert_eq!((up.entries, up.accepted, up.rejected), (4, 3, 1), "{up:?}");
        assert_eq!(up.ignored_columns, ["Notes"]);
        let fields: Vec<(usize, &str, &str)> = up
            .problems
            .iter()
            .map(|p| (p.entry, p.field.as_str(), p.outcome))
            .collect();
        assert_eq!(
            fields,
            [(3, "name", "rejected"), (4, "phone", "ignored")],
            "{:?}",
            up.problems
        );
        // The supporter sees the names they typed and asks; nothing from the voter file.
        let names: Vec<&str> = up.friends.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names.len(), 3);
        let shown = serde_json::to_string(&up).unwrap();
        for secret in [&v[0][6], &v[0][4], &v[0][5], &v[1][6]] {
            if !secret.is_empty() {
                assert!(
                    !shown.contains(secret.as_str()),
                    "{}: the answer shows {secret:?}: {shown}",
                    env.name
                );
            }
        }
        for key in [
            "class",
            "probability",
            "voter",
            "score",
            "support",
            "turnout",
            "precinct",
        ] {
            assert!(!shown.contains(&format!("\"{key}")), "{key} in {shown}");
        }
        // The invented name in a target state is a registration target, with the state's link.
        let zed = up
            .friends
            .iter()
            .find(|f| f.name == "Zed Qqqxyzzy")
            .unwrap();
        assert_eq!(zed.asks.len(), 1);
        assert_eq!(zed.asks[0].kind, "register");
        assert_eq!(
            zed.asks[0].link.as_deref(),
            Some("https://vote.nc.example/register")
        );
        assert!(
            zed.asks[0].text.contains("by 2026-10-09"),
            "{:?}",
            zed.asks[0]
        );
        // The friends the campaign found are kept with their registration (campaign side).
        let kept = s
            .sql()
            .query(
                "SELECT typed_name, voter_rkey FROM sharing_friends WHERE user_id = 7 ORDER BY position",
                &[],
            )
            .unwrap();
        assert_eq!(
            kept[0].opt_text(1).unwrap().as_deref(),
            Some(v[0][6].as_str())
        );
        assert_eq!(kept[1].opt_text(1).unwrap(), None);

        // Done, and not someone else's.
        let ask = zed.asks[0].id;
        sharing::mark_done(s.sql(), 7, ask, true, NOW).unwrap();
        assert!(matches!(
            sharing::mark_done(s.sql(), 8, ask, true, NOW),
            Err(sharing::SharingError::NotFound(_))
        ));
        let view = sharing::friends_view(s.sql(), 7).unwrap();
        assert!(view
            .iter()
            .any(|f| f.asks.iter().any(|a| a.id == ask && a.done)));

        // Credit: the invented friend registers (the next voter file has them).
        let mut bytes = file(&out, Out::NcVoter);
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let mut lines = text.lines();
        let cols: Vec<String> = lines
            .next()
            .unwrap()
            .split('\t')
            .map(|c| c.trim_matches('"').to_string())
            .collect();
        let mut row: Vec<String> = lines
            .next()
            .unwrap()
            .split('\t')
            .map(String::from)
            .collect();
        let at = |n: &str| cols.iter().position(|c| c == n).unwrap();
        let quote = |v: &str| {
            if row[0].starts_with('"') {
                format!("\"{v}\"")
            } else {
                v.to_string()
            }
        };
        let (a, b, c) = (quote("ZZ999999"), quote("ZED"), quote("QQQXYZZY"));
        row[at("ncid")] = a;
        row[at("first_name")] = b;
        row[at("last_name")] = c;
        if !bytes.ends_with(b"\n") {
            bytes.extend_from_slice(b"\r\n");
        }
        bytes.extend_from_slice(row.join("\t").as_bytes());
        bytes.extend_from_slice(b"\r\n");
        env.import(Kind::NcVoter, "ncvoter-later.txt", &bytes);
        let s = &mut *env.store;
        let index = VoterIndex::build(s).unwrap();
        let got = sharing::credit(s.sql(), &index, NOW, "test", &|_| None).unwrap();
        assert_eq!(got.registered, 1, "{}: {got:?}", env.name);
        let report = sharing::report(s.sql()).unwrap();
        let reg = report.rows.iter().find(|r| r.kind == "register").unwrap();
        assert_eq!((reg.made, reg.done, reg.converted), (1, 1, 1), "{report:?}");
        // Crediting twice changes nothing.
        assert_eq!(
            sharing::credit(s.sql(), &index, NOW, "test", &|_| None)
                .unwrap()
                .registered,
            0
        );

        // Limits: uploads per window.
        for _ in 1..sharing::UPLOADS_PER_WINDOW_MAX {
            let one = format!("name,city\nAl Bundy,{zed_city}\n");
            sharing::upload(
                s.sql(),
                &index,
                &who,
                Format::Csv,
                one.as_bytes(),
                NOW,
                &|_| None,
            )
            .unwrap();
        }
        let e = sharing::upload(
            s.sql(),
            &index,
            &who,
            Format::Csv,
            b"name\nPeg\n",
            NOW,
            &|_| None,
        );
        assert!(
            matches!(e, Err(sharing::SharingError::RateLimited { .. })),
            "{e:?}"
        );

        // Retention: friends that matched no registration go (their asks stay as counts);
        // the friend found on the later voter file, and the one matched at once, stay.
        let later = app::turnout::seconds_of(NOW) + 1;
        let dry = app::retention::erase_unmatched_friends(s.sql(), 0, "test", later, true).unwrap();
        let gone =
            app::retention::erase_unmatched_friends(s.sql(), 0, "test", later, false).unwrap();
        assert_eq!(dry.friends, gone.friends);
        assert!(gone.friends >= 9, "{gone:?}");
        assert_eq!(
            gone.uploads, 9,
            "the one-friend uploads left empty: {gone:?}"
        );
        let kept = s
            .sql()
            .query(
                "SELECT typed_name FROM sharing_friends WHERE user_id = 7 AND voter_rkey IS NOT NULL ORDER BY position",
                &[],
            )
            .unwrap();
        let kept: Vec<String> = kept.iter().map(|r| r.text(0).unwrap()).collect();
        assert!(kept.contains(&"Zed Qqqxyzzy".to_string()), "{kept:?}");
        assert_eq!(
            store::sharing::friends_of(s.sql(), 7).unwrap() as usize,
            kept.len()
        );

        // Withdrawal: nothing of the friends remains; the counts stay, unlinked.
        let erased = sharing::withdraw(s.sql(), 7, NOW, "user:ann").unwrap();
        assert_eq!(erased.uploads, 1);
        assert_eq!(store::sharing::rows_of_user(s.sql(), 7).unwrap(), 0);
        let left = s
            .sql()
            .query(
                "SELECT COUNT(*) FROM sharing_friends WHERE typed_name LIKE ? OR details LIKE ?",
                &[Value::Text("%Zed%".into()), Value::Text("%QQQ%".into())],
            )
            .unwrap();
        assert_eq!(left[0].int(0).unwrap(), 0);
        assert_eq!(sharing::report(s.sql()).unwrap().made, report.made + 9);
        assert!(sharing::consent_view(s.sql(), 7)
            .unwrap()
            .agreed_at
            .is_none());
        let e = sharing::upload(
            s.sql(),
            &index,
            &who,
            Format::Csv,
            b"name\nPeg\n",
            NOW,
            &|_| None,
        );
        assert!(matches!(e, Err(sharing::SharingError::NoConsent)));
        // Withdrawing and agreeing again does not reset the limits.
        sharing::agree(s.sql(), 7, sharing::TERMS_VERSION, NOW, "user:ann").unwrap();
        let peg = b"name\nPeg\n";
        let e = sharing::upload(s.sql(), &index, &who, Format::Csv, peg, NOW, &|_| None);
        match e {
            Err(sharing::SharingError::RateLimited { retry_seconds, .. }) => {
                assert_eq!(retry_seconds, 24 * 3600, "the window began at NOW")
            }
            other => panic!("{}: {other:?}", env.name),
        }
        // A day later the window is new.
        let later = "2026-10-02T12:00:01Z";
        sharing::upload(s.sql(), &index, &who, Format::Csv, peg, later, &|_| None).unwrap();
        // Unlinked asks keep only the day.
        let times = s
            .sql()
            .query(
                "SELECT created_at FROM sharing_asks WHERE user_id IS NULL",
                &[],
            )
            .unwrap();
        assert!(!times.is_empty());
        assert!(
            times.iter().all(|r| r.text(0).unwrap().len() == 10),
            "{times:?}"
        );
    });
}

#[test]
fn vcard_and_json_uploads_name_each_bad_entry() {
    let vcf = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bobby Tables\r\nN:Tables;Bobby;;;\r\nTEL;TYPE=CELL:+1 919 555 0101\r\nEMAIL:bobby@example.com\r\nEND:VCARD\r\n\
BEGIN:VCARD\r\nVERSION:3.0\r\nTEL:9195550102\r\nEND:VCARD\r\n\
BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Ann O'Neil\r\nADR;TYPE=HOME:;;1 Main St;Durham;North Carolina;27701;USA\r\nBDAY:--0314\r\nEND:VCARD\r\n";
    let p = sharing::parse(Format::sniff(vcf.as_bytes()), vcf.as_bytes()).unwrap();
    assert_eq!(p.entries, 3);
    let names: Vec<&str> = p
        .contacts
        .iter()
        .map(|(_, c)| c.typed_name.as_str())
        .collect();
    assert_eq!(names, ["Bobby Tables", "Ann O'Neil"]);
    assert_eq!(p.problems.len(), 1, "{:?}", p.problems);
    assert_eq!(
        (p.problems[0].entry, p.problems[0].field.as_str()),
        (2, "name")
    );
    let bobby: &Contact = &p.contacts[0].1;
    assert_eq!(bobby.phones, ["9195550101"]);
    assert_eq!(p.contacts[1].1.state, "NC");
    assert_eq!(p.contacts[1].1.city, "DURHAM");

    let json = r#"{"contacts":[{"name":"Bill Smith","phones":["919-555-0199","(919) 555-0198"],"emails":[{"value":"b@x.org"}],"state":"nc"},
        {"first_name":"Ann"}, 7, {"name":"X","birthday":"soon"}]}"#;
    let p = sharing::parse(Format::sniff(json.as_bytes()), json.as_bytes()).unwrap();
    assert_eq!(p.entries, 4);
    assert_eq!(p.contacts.len(), 3);
    assert_eq!(p.contacts[0].1.phones.len(), 2);
    assert_eq!(p.contacts[0].1.emails, ["b@x.org"]);
    assert_eq!(p.contacts[0].1.state, "NC");
    let probs: Vec<(usize, &str, &str)> = p
        .problems
        .iter()
        .map(|x| (x.entry, x.field.as_str(), x.outcome))
        .collect();
    assert_eq!(
        probs,
        [(3, "contact", "rejected"), (4, "birthday", "ignored")]
    );
    // Whole-upload faults are errors naming what to do.
    let e = sharing::parse(Format::Csv, b"phone,city\n555,Durham\n").unwrap_err();
    assert!(e.to_string().contains("no name column"), "{e}");
    let big = format!(
        "name\n{}",
        "A B\n".repeat(sharing::CONTACTS_PER_UPLOAD_MAX + 1)
    );
    let e = sharing::parse(Format::Csv, big.as_bytes()).unwrap_err();
    assert!(e.to_string().contains("split the file"), "{e}");
}
