//! The storage conformance suite: every backend runs these same checks.
//!
//! A backend's tests call `conformance_tests!(make_store_expression)`, which expands to one
//! `#[test]` per check. Each check gets a fresh, empty store from the expression.

use crate::tables::{to_row, Row};
use crate::{LoadCounts, LoadEnd, LoadMeta, Outcome, Store, Table};
use model::{AddressFields, Ballot, Date, Donation, NameFields, Record, Vote, VoteMethod, Voter};

pub fn meta(kind: &str) -> LoadMeta {
    LoadMeta {
        kind: kind.into(),
        source: "nc".into(),
        file_name: format!("{kind}.txt"),
        file_bytes: 0,
        header: "h1\th2".into(),
        loaded_by: "test".into(),
        started_at: "2026-01-01T00:00:00Z".into(),
    }
}

fn end(counts: LoadCounts) -> LoadEnd {
    LoadEnd {
        counts,
        finished_at: "2026-01-01T00:00:01Z".into(),
        ..Default::default()
    }
}

pub fn voter(id: &str, county: &str, last: &str, street: &str) -> Voter {
    Voter {
        source: "nc".into(),
        voter_id: id.into(),
        state: "NC".into(),
        county_id: county.into(),
        county: format!("COUNTY{county}"),
        name: NameFields::from_parts("ROBERT", "", last, ""),
        status: "A".into(),
        address: AddressFields::parse(street, "RALEIGH", "NC", "27601"),
        birth_year: Some(1970),
        ..Default::default()
    }
}

pub fn voter_row(v: &Voter, row_number: u64) -> Row {
    let raw = format!(
        "{}\t{}\t{}\t{}",
        v.voter_id, v.county_id, v.name.last, v.address.line
    );
    to_row(Record::Voter(Box::new(v.clone())), row_number, raw).1
}

fn donation(sub_id: &str, cents: i64, memo: bool) -> Row {
    let d = Donation {
        source: String::new(),
        sub_id: sub_id.into(),
        committee_id: "C001".into(),
        amendment: "N".into(),
        report_type: "Q3".into(),
        election: "G2024".into(),
        image_num: String::new(),
        transaction_type: "15".into(),
        entity_type: "IND".into(),
        name: NameFields::from_parts("JANE", "", "DOE", ""),
        city: "DURHAM".into(),
        state: "NC".into(),
        zip5: Some("27701".into()),
        zip4: None,
        employer: String::new(),
        occupation: String::new(),
        date: Date::new(2024, 9, 1),
        amount_cents: cents,
        other_id: String::new(),
        tran_id: String::new(),
        file_num: String::new(),
        memo,
        memo_text: String::new(),
    };
    to_row(
        Record::Donation(Box::new(d)),
        1,
        format!("{sub_id}|{cents}|{memo}"),
    )
    .1
}

fn apply(s: &mut dyn Store, table: Table, rows: &[Row]) -> Vec<Outcome> {
    let mut load = s.begin_load(&meta("t")).unwrap();
    let out = load.apply(table, rows).unwrap();
    let mut counts = LoadCounts::default();
    for o in &out {
        counts.read += 1;
        counts.add(*o);
    }
    load.commit(&end(counts)).unwrap();
    out
}

pub fn migrations_match_specs(s: &mut dyn Store) {
    for t in Table::ALL {
        let cols = s.columns(t.name()).unwrap();
        for (c, _) in t.spec().columns {
            assert!(
                cols.iter().any(|x| x == c),
                "{}: column {c} missing in the migration",
                t.name()
            );
        }
        for managed in [
            "rkey",
            "load_id",
            "first_load_id",
            "row_number",
            "raw",
            "hash",
        ] {
            assert!(
                cols.iter().any(|x| x == managed),
                "{}: {managed} missing",
                t.name()
            );
        }
    }
}

pub fn new_unchanged_updated(s: &mut dyn Store) {
    let a = voter("A1", "1", "SMITH", "1 MAIN ST");
    let b = voter("B2", "1", "JONES", "2 MAIN ST");
    let out = apply(s, Table::Voters, &[voter_row(&a, 1), voter_row(&b, 2)]);
    assert_eq!(out, vec![Outcome::New, Outcome::New]);
    let before = s.dump().unwrap();
    let b2 = voter("B2", "1", "JONES", "9 ELM AVE");
    let out = apply(s, Table::Voters, &[voter_row(&a, 1), voter_row(&b2, 2)]);
    assert_eq!(out, vec![Outcome::Unchanged, Outcome::Updated]);
    let after = s.dump().unwrap();
    assert_ne!(before, after);
    assert!(
        after.contains("9 ELM AVE"),
        "updated row holds the new address"
    );
    assert!(
        after
            .lines()
            .any(|l| l.starts_with("voters\tnc:B2") || l.starts_with("voters")),
        "the previous version is kept in record_versions"
    );
    let versions: Vec<&str> = after
        .split("## record_versions\n")
        .nth(1)
        .unwrap()
        .split("## ")
        .next()
        .unwrap()
        .lines()
        .collect();
    assert_eq!(versions.len(), 1, "one replaced version: {versions:?}");
    assert!(
        versions[0].contains("2 MAIN ST"),
        "old version verbatim: {}",
        versions[0]
    );
    assert_eq!(s.count(Table::Voters).unwrap(), 2);
    let loads = s.loads().unwrap();
    assert_eq!(loads.len(), 2);
    assert_eq!(loads[1].counts.updated, 1);
    assert_eq!(loads[1].counts.unchanged, 1);
}

pub fn same_rows_twice_leave_store_identical(s: &mut dyn Store) {
    let rows: Vec<Row> = (0..50)
        .map(|i| {
            voter_row(
                &voter(&format!("V{i}"), "7", "DOE", &format!("{i} OAK ST")),
                i + 1,
            )
        })
        .collect();
    apply(s, Table::Voters, &rows);
    let before = s.dump().unwrap();
    let out = apply(s, Table::Voters, &rows);
    assert!(out.iter().all(|o| *o == Outcome::Unchanged));
    assert_eq!(before, s.dump().unwrap());
}

pub fn duplicates_and_conflicts_within_a_load(s: &mut dyn Store) {
    let a = voter("A1", "1", "SMITH", "1 MAIN ST");
    let a_other = voter("A1", "1", "SMYTHE", "1 MAIN ST");
    let mut load = s.begin_load(&meta("t")).unwrap();
    assert_eq!(
        load.apply(Table::Voters, &[voter_row(&a, 1)]).unwrap(),
        vec![Outcome::New]
    );
    assert_eq!(
        load.apply(Table::Voters, &[voter_row(&a, 5)]).unwrap(),
        vec![Outcome::Duplicate]
    );
    assert_eq!(
        load.apply(Table::Voters, &[voter_row(&a_other, 9)])
            .unwrap(),
        vec![Outcome::Conflict { first_row: 1 }]
    );
    load.commit(&end(LoadCounts::default())).unwrap();
    let dump = s.dump().unwrap();
    assert!(
        dump.contains("SMITH") && !dump.contains("SMYTHE"),
        "the first occurrence wins"
    );
    assert_eq!(s.count(Table::Voters).unwrap(), 1);
}

pub fn dropped_load_rolls_back(s: &mut dyn Store) {
    let empty = s.dump().unwrap();
    {
        let mut load = s.begin_load(&meta("t")).unwrap();
        load.apply(
            Table::Voters,
            &[voter_row(&voter("A1", "1", "SMITH", "1 MAIN ST"), 1)],
        )
        .unwrap();
        // dropped without commit
    }
    assert_eq!(s.count(Table::Voters).unwrap(), 0);
    assert!(s.loads().unwrap().is_empty());
    assert_eq!(empty, s.dump().unwrap());
    // The store still works afterwards.
    let out = apply(
        s,
        Table::Voters,
        &[voter_row(&voter("A1", "1", "SMITH", "1 MAIN ST"), 1)],
    );
    assert_eq!(out, vec![Outcome::New]);
}

pub fn removal_is_scoped_and_reversible(s: &mut dyn Store) {
    let v: Vec<Voter> = vec![
        voter("A1", "1", "SMITH", "1 MAIN ST"),
        voter("A2", "1", "JONES", "2 MAIN ST"),
        voter("B1", "2", "BROWN", "3 MAIN ST"),
    ];
    apply(
        s,
        Table::Voters,
        &v.iter()
            .enumerate()
            .map(|(i, x)| voter_row(x, i as u64 + 1))
            .collect::<Vec<_>>(),
    );
    // A county-1 snapshot without A2: A2 removed, B1 (county 2) untouched.
    let mut load = s.begin_load(&meta("t")).unwrap();
    load.apply(Table::Voters, &[voter_row(&v[0], 1)]).unwrap();
    let r = load.mark_removed("nc", Some(&["1".to_string()])).unwrap();
    assert_eq!(
        r,
        crate::Removal {
            removed: 1,
            in_scope: 2
        }
    );
    let removed = r.removed;
    let lid = load.load_id();
    load.commit(&end(LoadCounts {
        removed,
        ..Default::default()
    }))
    .unwrap();
    assert_eq!(
        s.count(Table::Voters).unwrap(),
        3,
        "removed voters are marked, never deleted"
    );
    let pid = s.person_of_voter("nc:A2").unwrap().unwrap();
    let p = s.person(pid).unwrap().unwrap();
    assert_eq!(p.records[0].removed_load_id, Some(lid));
    let pid_b = s.person_of_voter("nc:B1").unwrap().unwrap();
    assert_eq!(
        s.person(pid_b).unwrap().unwrap().records[0].removed_load_id,
        None
    );
    // A2 comes back: updated, no longer removed, same person.
    let out = apply(s, Table::Voters, &[voter_row(&v[1], 2)]);
    assert_eq!(out, vec![Outcome::Updated]);
    assert_eq!(
        s.person(pid).unwrap().unwrap().records[0].removed_load_id,
        None
    );
    assert_eq!(s.person_of_voter("nc:A2").unwrap(), Some(pid));
}

pub fn person_has_all_source_records(s: &mut dyn Store) {
    let v = voter("N1", "32", "LEE", "10 ELM ST");
    apply(s, Table::Voters, &[voter_row(&v, 1)]);
    let vote = Vote {
        source: "nc".into(),
        voter_id: "N1".into(),
        election_date: Date::new(2024, 11, 5).unwrap(),
        election_desc: "11/05/2024 GENERAL".into(),
        election_type: "general",
        method: VoteMethod::Early,
        method_raw: "EARLY VOTING IN-PERSON".into(),
        voted_party: "DEM".into(),
        county_id: "32".into(),
        precinct: "P1".into(),
    };
    let (_, vrow, _) = to_row(Record::Vote(vote), 3, "N1\t11/05/2024".into());
    apply(s, Table::VoteHistory, &[vrow]);
    let ballot = Ballot {
        source: "nc".into(),
        voter_id: "N1".into(),
        election_date: Date::new(2026, 11, 3).unwrap(),
        request_type: "MAIL".into(),
        request_date: Date::new(2026, 9, 1),
        send_date: None,
        return_date: None,
        return_status: String::new(),
        counted: false,
        county: "DURHAM".into(),
        precinct: "P1".into(),
        site_name: String::new(),
    };
    let (_, brow, _) = to_row(Record::Ballot(ballot), 4, "N1\tMAIL".into());
    apply(s, Table::Ballots, &[brow]);
    let pid = s
        .person_of_voter("nc:N1")
        .unwrap()
        .expect("a voter has a person");
    let p = s.person(pid).unwrap().unwrap();
    let tables: Vec<&str> = p.records.iter().map(|r| r.table.as_str()).collect();
    assert_eq!(tables, vec!["voters", "vote_history", "ballots"]);
    assert_eq!(p.records[1].row_number, 3);
    assert_eq!(p.records[1].fields, vec!["N1", "11/05/2024"]);
    assert_eq!(p.records[0].header, vec!["h1", "h2"]);
    assert_eq!(p.display_name, "ROBERT LEE");
    assert!(s.person(pid + 1000).unwrap().is_none());
}

pub fn donation_totals_exclude_memos(s: &mut dyn Store) {
    apply(
        s,
        Table::Donations,
        &[
            donation("1", 10_000, false),
            donation("2", 5_000, true),
            donation("3", -2_500, false),
        ],
    );
    assert_eq!(s.donation_total_cents().unwrap(), 7_500);
    // A re-filed row (same SUB_ID, new amount) updates, never duplicates.
    let out = apply(s, Table::Donations, &[donation("1", 20_000, false)]);
    assert_eq!(out, vec![Outcome::Updated]);
    assert_eq!(s.count(Table::Donations).unwrap(), 3);
    assert_eq!(s.donation_total_cents().unwrap(), 17_500);
}

pub fn households_are_shared_and_idempotent(s: &mut dyn Store) {
    let v1 = voter("H1", "1", "SMITH", "5 Oak Street");
    let v2 = voter("H2", "1", "SMITH", "5 OAK ST");
    let rec = |v: &Voter| to_row(Record::Voter(Box::new(v.clone())), 1, v.voter_id.clone());
    let (_, r1, h1) = rec(&v1);
    let (_, r2, h2) = rec(&v2);
    assert_eq!(h1, h2, "one household for one normalised address");
    let h = h1.unwrap();
    for _ in 0..2 {
        let mut load = s.begin_load(&meta("t")).unwrap();
        load.apply(Table::Voters, &[r1.clone(), r2.clone()])
            .unwrap();
        load.ensure_households(&[h.clone(), h.clone()]).unwrap();
        load.commit(&end(LoadCounts::default())).unwrap();
    }
    let dump = s.dump().unwrap();
    let households = dump
        .split("## households\n")
        .nth(1)
        .unwrap()
        .split("## ")
        .next()
        .unwrap();
    assert_eq!(households.lines().count(), 1, "{households}");
    assert!(households.contains("5 OAK ST|27601"));
}

pub fn persons_assigned_by_resolution(s: &mut dyn Store) {
    apply(
        s,
        Table::Voters,
        &[voter_row(&voter("V1", "1", "DOE", "1 MAIN ST"), 1)],
    );
    apply(
        s,
        Table::Donations,
        &[
            donation("10", 5_000, false),
            donation("11", 2_500, false),
            donation("12", 100, false),
        ],
    );
    let voters = s.resolution_rows(Table::Voters).unwrap();
    assert_eq!(voters.len(), 1);
    assert_eq!(
        (voters[0].last.as_str(), voters[0].zip5.as_str()),
        ("DOE", "27601")
    );
    let pid = voters[0].person_id.unwrap();
    let donations = s.resolution_rows(Table::Donations).unwrap();
    assert_eq!(
        donations
            .iter()
            .map(|d| d.rkey.as_str())
            .collect::<Vec<_>>(),
        ["fec:10", "fec:11", "fec:12"]
    );
    assert!(
        donations.iter().all(|d| d.person_id.is_none()),
        "unresolved before"
    );
    let mut load = s.begin_load(&meta("resolve")).unwrap();
    let new = load
        .assign_persons(&[
            (
                Table::Donations,
                "fec:10".into(),
                crate::PersonRef::Existing(pid),
            ),
            (Table::Donations, "fec:11".into(), crate::PersonRef::New(7)),
            (Table::Donations, "fec:12".into(), crate::PersonRef::New(7)),
        ])
        .unwrap();
    assert_eq!(new, 1, "one new person for the shared number");
    assert!(load
        .assign_persons(&[(Table::Voters, "nc:V1".into(), crate::PersonRef::New(1))])
        .is_err());
    load.commit(&end(LoadCounts::default())).unwrap();
    let p = s.person(pid).unwrap().unwrap();
    let tables: Vec<&str> = p.records.iter().map(|r| r.table.as_str()).collect();
    assert_eq!(
        tables,
        ["voters", "donations"],
        "the donation is on the voter's person"
    );
    let after = s.resolution_rows(Table::Donations).unwrap();
    assert_eq!(after[1].person_id, after[2].person_id);
    assert_ne!(after[1].person_id, Some(pid));
    let other = s
        .person(after[1].person_id.unwrap())
        .unwrap()
        .expect("the new person exists");
    assert_eq!(other.records.len(), 2);
}

pub fn review_queue_keeps_decisions(s: &mut dyn Store) {
    let c = |l: &str, r: &str, p: f64| crate::ReviewCandidate {
        left_rkey: l.into(),
        right_rkey: r.into(),
        probability: p,
        weight: 1.0,
    };
    let mut load = s.begin_load(&meta("resolve")).unwrap();
    assert_eq!(
        load.enqueue_reviews(&[c("nc:A", "fec:1", 0.4), c("nc:B", "fec:2", 0.3)])
            .unwrap(),
        2
    );
    load.commit(&end(LoadCounts::default())).unwrap();
    s.decide("nc:A", "fec:1", false, "director", "2026-11-28T00:00:00Z")
        .unwrap();
    s.decide("nc:C", "fec:3", true, "director", "2026-11-28T00:00:01Z")
        .unwrap();
    let pending = s.review_items(true).unwrap();
    assert_eq!(
        pending
            .iter()
            .map(|i| i.right_rkey.as_str())
            .collect::<Vec<_>>(),
        ["fec:2"]
    );
    let all = s.review_items(false).unwrap();
    assert_eq!(all.len(), 3);
    let a = all.iter().find(|i| i.left_rkey == "nc:A").unwrap();
    assert_eq!(
        (a.decision.as_deref(), a.decided_by.as_deref()),
        (Some("reject"), Some("director"))
    );
    // Queued again by a later run: the decision stays.
    let mut load = s.begin_load(&meta("resolve")).unwrap();
    assert_eq!(
        load.enqueue_reviews(&[c("nc:A", "fec:1", 0.45)]).unwrap(),
        0
    );
    load.commit(&end(LoadCounts::default())).unwrap();
    let a = s
        .review_items(false)
        .unwrap()
        .into_iter()
        .find(|i| i.left_rkey == "nc:A")
        .unwrap();
    assert_eq!(a.decision.as_deref(), Some("reject"));
    // A decision can change.
    s.decide("nc:A", "fec:1", true, "director", "2026-11-28T00:00:02Z")
        .unwrap();
    let a = s
        .review_items(false)
        .unwrap()
        .into_iter()
        .find(|i| i.left_rkey == "nc:A")
        .unwrap();
    assert_eq!(a.decision.as_deref(), Some("accept"));
}

pub fn accounts_sessions_and_keys(s: &mut dyn Store) {
    use crate::accounts::*;
    let now = "2026-11-01T10:00:00Z";
    let u = NewUser {
        username: "ann".into(),
        role: "organizer".into(),
        regions: vec!["WAKE".into(), "DURHAM".into()],
        password_hash: "$argon2id$x".into(),
        totp_secret: Some("SECRET".into()),
        expires_at: Some("2026-12-03T00:00:00Z".into()),
        ..Default::default()
    };
    let id = add_user(s.sql(), &u, "cli:test", now).unwrap();
    assert!(id > 0);
    let err = add_user(s.sql(), &u, "cli:test", now).unwrap_err();
    assert!(err.to_string().contains("exists already"), "{err}");
    let got = user_by_name(s.sql(), "ann").unwrap().unwrap();
    assert_eq!(got.id, id);
    assert_eq!(got.regions, ["WAKE", "DURHAM"]);
    assert_eq!(got.totp_secret.as_deref(), Some("SECRET"));
    assert!(!got.disabled);
    assert_eq!(user_by_id(s.sql(), id).unwrap().unwrap().username, "ann");
    assert!(user_by_name(s.sql(), "bob").unwrap().is_none());

    login_failed(s.sql(), id, 3, Some("2026-11-01T10:15:00Z")).unwrap();
    let got = user_by_name(s.sql(), "ann").unwrap().unwrap();
    assert_eq!(
        (got.failed_logins, got.locked_until.as_deref()),
        (3, Some("2026-11-01T10:15:00Z"))
    );
    login_succeeded(s.sql(), id).unwrap();
    let got = user_by_name(s.sql(), "ann").unwrap().unwrap();
    assert_eq!((got.failed_logins, got.locked_until), (0, None));

    create_session(s.sql(), "h1", id, "csrf1", now, "2026-11-01T18:00:00Z").unwrap();
    let live = session(s.sql(), "h1", "2026-11-01T12:00:00Z")
        .unwrap()
        .unwrap();
    assert_eq!((live.user_id, live.csrf.as_str()), (id, "csrf1"));
    assert!(
        session(s.sql(), "h1", "2026-11-01T18:00:00Z")
            .unwrap()
            .is_none(),
        "expired at its end"
    );
    assert!(session(s.sql(), "nope", now).unwrap().is_none());
    assert!(set_disabled(s.sql(), "ann", true).unwrap());
    assert!(
        session(s.sql(), "h1", now).unwrap().is_none(),
        "disabling ends sessions"
    );
    assert!(user_by_name(s.sql(), "ann").unwrap().unwrap().disabled);
    assert!(!set_disabled(s.sql(), "nobody", true).unwrap());
    create_session(s.sql(), "h2", id, "c", now, "2026-11-01T11:00:00Z").unwrap();
    assert_eq!(purge_sessions(s.sql(), "2026-11-02T00:00:00Z").unwrap(), 1);
    create_session(s.sql(), "h3", id, "c", now, "2026-11-09T00:00:00Z").unwrap();
    assert!(set_totp_secret(s.sql(), "ann", Some("NEW")).unwrap());
    assert_eq!(
        user_by_name(s.sql(), "ann")
            .unwrap()
            .unwrap()
            .totp_secret
            .as_deref(),
        Some("NEW")
    );
    assert!(
        session(s.sql(), "h3", now).unwrap().is_none(),
        "a new secret ends sessions"
    );
    create_session(s.sql(), "h4", id, "c", now, "2026-11-09T00:00:00Z").unwrap();
    assert!(set_password_hash(s.sql(), "ann", "$argon2id$y").unwrap());
    assert_eq!(
        user_by_name(s.sql(), "ann").unwrap().unwrap().password_hash,
        "$argon2id$y"
    );
    assert!(
        session(s.sql(), "h4", now).unwrap().is_none(),
        "a new password ends sessions"
    );
    assert!(!set_password_hash(s.sql(), "nobody", "x").unwrap());

    let scopes = vec!["people:read".to_string(), "donations:read".to_string()];
    let kid = add_key(s.sql(), "crm", "kh", &scopes, None, "user:admin", now).unwrap();
    assert!(add_key(s.sql(), "crm", "kh2", &scopes, None, "user:admin", now).is_err());
    let k = key_by_hash(s.sql(), "kh").unwrap().unwrap();
    assert_eq!((k.id, k.scopes.clone(), k.disabled), (kid, scopes, false));
    assert!(set_key_disabled(s.sql(), "crm", true).unwrap());
    assert!(key_by_hash(s.sql(), "kh").unwrap().unwrap().disabled);
    assert_eq!(list_users(s.sql()).unwrap().len(), 1);
    assert_eq!(list_keys(s.sql()).unwrap().len(), 1);
}

pub fn audit_log_is_ordered_and_filtered(s: &mut dyn Store) {
    use crate::accounts::*;
    for (i, action) in ["login.failure", "login.success", "people.search"]
        .iter()
        .enumerate()
    {
        audit(
            s.sql(),
            &format!("2026-11-01T10:00:0{i}Z"),
            "user:ann",
            action,
            "",
            &serde_json::json!({ "n": i }),
        )
        .unwrap();
    }
    let all = audit_entries(s.sql(), 0, 10, None).unwrap();
    assert_eq!(
        all.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["login.failure", "login.success", "people.search"]
    );
    assert_eq!(all[2].detail["n"], 2);
    let after = audit_entries(s.sql(), all[0].id, 1, None).unwrap();
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].id, all[1].id);
    let only = audit_entries(s.sql(), 0, 10, Some("people.search")).unwrap();
    assert_eq!(only.len(), 1);
}

pub fn people_search_respects_scope(s: &mut dyn Store) {
    use crate::people::*;
    let mut a = voter("V1", "1", "DOE", "12 MAIN ST");
    a.county = "WAKE".into();
    a.phone = Some("9195550101".into());
    let mut b = voter("V2", "2", "DOE", "9 OAK AVE");
    b.county = "DURHAM".into();
    b.name = model::NameFields::from_parts("JANE", "", "DOE", "");
    apply(s, Table::Voters, &[voter_row(&a, 1), voter_row(&b, 2)]);
    let pa = s.person_of_voter("nc:V1").unwrap().unwrap();
    let pb = s.person_of_voter("nc:V2").unwrap().unwrap();
    let q = |f: &dyn Fn(&mut PeopleQuery)| {
        let mut q = PeopleQuery::default();
        f(&mut q);
        q
    };
    let by_name = q(&|q| q.last_name = Some("DOE".into()));
    let mut both = vec![pa, pb];
    both.sort();
    assert_eq!(search(s.sql(), &by_name, &Scope::All).unwrap().ids, both);
    let jane = q(&|q| {
        q.last_name = Some("DOE".into());
        q.first_name = Some("JA".into());
    });
    assert_eq!(search(s.sql(), &jane, &Scope::All).unwrap().ids, [pb]);
    let phone = q(&|q| q.phone = Some("9195550101".into()));
    assert_eq!(search(s.sql(), &phone, &Scope::All).unwrap().ids, [pa]);
    let street = q(&|q| {
        q.house_number = Some("9".into());
        q.street = Some(b.address.street.clone());
    });
    assert_eq!(search(s.sql(), &street, &Scope::All).unwrap().ids, [pb]);
    let wake = Scope::Counties(vec!["WAKE".into()]);
    assert_eq!(search(s.sql(), &by_name, &wake).unwrap().ids, [pa]);
    assert_eq!(
        search(s.sql(), &by_name, &Scope::Person(pb)).unwrap().ids,
        [pb]
    );
    assert!(search(s.sql(), &by_name, &Scope::Nothing)
        .unwrap()
        .ids
        .is_empty());
    assert!(search(s.sql(), &by_name, &Scope::Counties(vec![]))
        .unwrap()
        .ids
        .is_empty());
    assert!(search(s.sql(), &PeopleQuery::default(), &Scope::All)
        .unwrap()
        .ids
        .is_empty());
    assert!(in_scope(s.sql(), pa, &wake).unwrap());
    assert!(!in_scope(s.sql(), pb, &wake).unwrap());
    assert!(in_scope(s.sql(), pb, &Scope::All).unwrap());
    assert!(!in_scope(s.sql(), pb, &Scope::Person(pa)).unwrap());
    assert!(!in_scope(s.sql(), 999_999, &Scope::All).unwrap());
    let rows = source_rows(s.sql(), &[pa]).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (
            rows[0].table.as_str(),
            rows[0].last.as_str(),
            rows[0].county.as_str(),
            rows[0].birth_year
        ),
        ("voters", "DOE", "WAKE", Some(1970))
    );
    assert_eq!(rows[0].person_id, pa);
}

pub fn change_feed_follows_loads_and_merges(s: &mut dyn Store) {
    use crate::changes;
    let kinds = |s: &mut dyn Store, after: i64| -> Vec<(String, String, String)> {
        changes::after(s.sql(), after, 1000)
            .unwrap()
            .into_iter()
            .map(|c| (c.kind, c.resource, c.rkey))
            .collect()
    };
    let t = |k: &str, r: &str, key: &str| (k.to_string(), r.to_string(), key.to_string());
    apply(
        s,
        Table::Voters,
        &[
            voter_row(&voter("V1", "1", "DOE", "1 MAIN ST"), 1),
            voter_row(&voter("V2", "1", "ROE", "2 MAIN ST"), 2),
        ],
    );
    assert_eq!(
        kinds(s, 0),
        [
            t("created", "person", "nc:V1"),
            t("created", "person", "nc:V2")
        ]
    );
    let last = changes::after(s.sql(), 0, 10).unwrap().last().unwrap().seq;
    apply(
        s,
        Table::Voters,
        &[
            voter_row(&voter("V1", "1", "DOE", "1 MAIN ST"), 1),
            voter_row(&voter("V2", "1", "ROE", "9 ELM ST"), 2),
        ],
    );
    assert_eq!(
        kinds(s, last),
        [t("updated", "person", "nc:V2")],
        "unchanged rows are not changes"
    );
    let last = changes::after(s.sql(), 0, 10).unwrap().last().unwrap().seq;
    apply(s, Table::Donations, &[donation("10", 5_000, false)]);
    assert_eq!(kinds(s, last), [t("created", "donation", "fec:10")]);
    let last = changes::after(s.sql(), 0, 10).unwrap().last().unwrap().seq;
    let p1 = s.person_of_voter("nc:V1").unwrap().unwrap();
    let p2 = s.person_of_voter("nc:V2").unwrap().unwrap();
    for p in [p1, p2] {
        let mut load = s.begin_load(&meta("resolve")).unwrap();
        load.assign_persons(&[(
            Table::Donations,
            "fec:10".into(),
            crate::PersonRef::Existing(p),
        )])
        .unwrap();
        load.commit(&end(LoadCounts::default())).unwrap();
    }
    let feed = changes::after(s.sql(), last, 10).unwrap();
    let got: Vec<(String, i64)> = feed
        .iter()
        .map(|c| (c.kind.clone(), c.resource_id))
        .collect();
    assert_eq!(
        got,
        [
            ("merged".to_string(), p1),
            ("unmerged".to_string(), p1),
            ("merged".to_string(), p2)
        ]
    );
    let all = changes::after(s.sql(), 0, 1000).unwrap();
    assert!(
        all.windows(2).all(|w| w[0].seq < w[1].seq),
        "strictly ordered"
    );
    assert_eq!(
        changes::after(s.sql(), all[1].seq, 2).unwrap()[0].seq,
        all[2].seq,
        "resumable"
    );
}

pub fn tags_and_lists_hold_people_and_feed_changes(s: &mut dyn Store) {
    use crate::groups::{self, Kind};
    use crate::people::Scope;
    let mut a = voter("V1", "1", "DOE", "1 MAIN ST");
    a.county = "WAKE".into();
    let mut b = voter("V2", "2", "ROE", "2 MAIN ST");
    b.county = "DURHAM".into();
    apply(s, Table::Voters, &[voter_row(&a, 1), voter_row(&b, 2)]);
    let pa = s.person_of_voter("nc:V1").unwrap().unwrap();
    let pb = s.person_of_voter("nc:V2").unwrap().unwrap();
    let now = "2026-11-01T10:00:00Z";
    let tag = groups::create(s.sql(), Kind::Tag, "door-knock-2026", "", "user:ann", now).unwrap();
    assert!(groups::create(s.sql(), Kind::Tag, "door-knock-2026", "", "user:ann", now).is_err());
    let list = groups::create(
        s.sql(),
        Kind::List,
        "gotv-wake",
        "chase list",
        "user:ann",
        now,
    )
    .unwrap();
    let before = crate::changes::after(s.sql(), 0, 1000).unwrap().len();
    assert!(groups::add(s.sql(), Kind::Tag, tag, &[pa, 999_999], "user:ann", now).is_err());
    assert_eq!(
        groups::get(s.sql(), Kind::Tag, tag).unwrap().unwrap().size,
        0,
        "all or nothing"
    );
    assert_eq!(
        groups::add(s.sql(), Kind::Tag, tag, &[pa, pb], "user:ann", now).unwrap(),
        2
    );
    assert_eq!(
        groups::add(s.sql(), Kind::Tag, tag, &[pa], "user:ann", now).unwrap(),
        0,
        "already tagged"
    );
    assert_eq!(
        groups::add(s.sql(), Kind::List, list, &[pb], "user:ann", now).unwrap(),
        1
    );
    let (total, ids) = groups::members(s.sql(), Kind::Tag, tag, &Scope::All, 0, 10).unwrap();
    let mut both = vec![pa, pb];
    both.sort();
    assert_eq!((total, ids), (2, both));
    let wake = Scope::Counties(vec!["WAKE".into()]);
    assert_eq!(
        groups::members(s.sql(), Kind::Tag, tag, &wake, 0, 10).unwrap(),
        (1, vec![pa])
    );
    assert_eq!(
        groups::of_person(s.sql(), pb).unwrap(),
        (
            vec!["door-knock-2026".to_string()],
            vec!["gotv-wake".to_string()]
        )
    );
    assert!(groups::remove(s.sql(), Kind::Tag, tag, pa, now).unwrap());
    assert!(!groups::remove(s.sql(), Kind::Tag, tag, pa, now).unwrap());
    let all = groups::all(s.sql(), Kind::List).unwrap();
    assert_eq!(
        (
            all[0].name.as_str(),
            all[0].description.as_str(),
            all[0].size
        ),
        ("gotv-wake", "chase list", 1)
    );
    let feed: Vec<(String, String, i64, String)> = crate::changes::after(s.sql(), 0, 1000)
        .unwrap()
        .into_iter()
        .skip(before)
        .map(|c| (c.kind, c.resource, c.resource_id, c.rkey))
        .collect();
    let t = format!("tag:{tag}");
    assert_eq!(
        feed,
        [
            ("created".to_string(), "tagging".to_string(), pa, t.clone()),
            ("created".to_string(), "tagging".to_string(), pb, t.clone()),
            (
                "created".to_string(),
                "list_item".to_string(),
                pb,
                format!("list:{list}")
            ),
            ("deleted".to_string(), "tagging".to_string(), pa, t),
        ]
    );
}

/// Expands to one `#[test]` per conformance check; `$make` builds a fresh empty store.
/// Retention erases the contacts known only as shared contacts (and people left with no
/// record), their earlier versions and review pairs, with `deleted` changes; a contact on a
/// voter's person stays; a dry run changes nothing; running again erases nothing more.
pub fn retention_erases_unmatched_contacts_and_says_so(s: &mut dyn Store) {
    use crate::sql::RowExt;
    use crate::{changes, retention, PersonRef};
    let v = voter("V1", "WAKE", "DOE", "5 OAK ST");
    apply(s, Table::Voters, &[voter_row(&v, 1)]);
    let contact = |key: &str, last: &str, n: u64| {
        let e = model::Entry {
            source: "shared".into(),
            key: key.into(),
            owner: "v1".into(),
            name: NameFields::from_parts("ANN", "", last, ""),
            ..Default::default()
        };
        to_row(Record::Contact(Box::new(e)), n, format!("{key}\t{last}")).1
    };
    apply(
        s,
        Table::Contacts,
        &[
            contact("c1", "DOE", 1),
            contact("c2", "ROE", 2),
            contact("c3", "POE", 3),
        ],
    );
    let pid = s.person_of_voter("nc:V1").unwrap().unwrap();
    let mut load = s.begin_load(&meta("resolve")).unwrap();
    load.assign_persons(&[
        (
            Table::Contacts,
            "shared:c1".into(),
            PersonRef::Existing(pid),
        ),
        (Table::Contacts, "shared:c2".into(), PersonRef::New(1)),
        (Table::Contacts, "shared:c3".into(), PersonRef::New(2)),
    ])
    .unwrap();
    load.commit(&end(LoadCounts::default())).unwrap();
    let person_of = |s: &mut dyn Store, rkey: &str| -> i64 {
        s.sql()
            .query(
                "SELECT person_id FROM contacts WHERE rkey = ?",
                &[crate::Value::Text(rkey.into())],
            )
            .unwrap()[0]
            .int(0)
            .unwrap()
    };
    let roe = person_of(s, "shared:c2");
    let keys = |s: &mut dyn Store| -> Vec<String> {
        s.sql()
            .query("SELECT rkey FROM contacts ORDER BY rkey", &[])
            .unwrap()
            .iter()
            .map(|r| r.text(0).unwrap())
            .collect()
    };
    let now = "2026-07-01T00:00:00Z";
    let none = retention::Erased::default();
    assert_eq!(
        retention::erase_unmatched_contacts(
            s.sql(),
            "2025-01-01T00:00:00Z",
            now,
            false,
            "test",
            &serde_json::json!({})
        )
        .unwrap(),
        none,
        "nothing loaded before the cut-off"
    );
    let would = retention::erase_unmatched_contacts(
        s.sql(),
        "2026-06-01T00:00:00Z",
        now,
        true,
        "test",
        &serde_json::json!({}),
    )
    .unwrap();
    assert_eq!(
        would,
        retention::Erased {
            contacts: 2,
            people: 2
        }
    );
    assert_eq!(keys(s).len(), 3, "a dry run erases nothing");
    let last = changes::after(s.sql(), 0, 1000)
        .unwrap()
        .last()
        .unwrap()
        .seq;
    let done = retention::erase_unmatched_contacts(
        s.sql(),
        "2026-06-01T00:00:00Z",
        now,
        false,
        "test",
        &serde_json::json!({}),
    )
    .unwrap();
    assert_eq!(done, would);
    assert_eq!(
        keys(s),
        ["shared:c1"],
        "the contact on the voter's person stays"
    );
    assert!(
        s.person(roe).unwrap().is_none(),
        "a person with no record left is erased"
    );
    assert!(s.person(pid).unwrap().is_some());
    let feed: Vec<(String, String, String)> = changes::after(s.sql(), last, 100)
        .unwrap()
        .into_iter()
        .map(|c| (c.kind, c.resource, c.rkey))
        .collect();
    let d = |r: &str, k: &str| ("deleted".to_string(), r.to_string(), k.to_string());
    assert_eq!(
        feed,
        [
            d("contact", "shared:c2"),
            d("contact", "shared:c3"),
            d("person", ""),
            d("person", "")
        ]
    );
    assert_eq!(
        retention::erase_unmatched_contacts(
            s.sql(),
            "2026-06-01T00:00:00Z",
            now,
            false,
            "test",
            &serde_json::json!({})
        )
        .unwrap(),
        none
    );
    let audited = crate::accounts::audit_entries(s.sql(), 0, 100, Some("retention.erase")).unwrap();
    assert_eq!(audited.len(), 3, "every run is audited, in its transaction");
    assert_eq!(audited[1].detail["contacts"], 2);
    assert_eq!(
        crate::accounts::audit_entries(s.sql(), 0, 100, Some("retention.dry_run"))
            .unwrap()
            .len(),
        1
    );
}

#[macro_export]
macro_rules! conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            migrations_match_specs,
            new_unchanged_updated,
            same_rows_twice_leave_store_identical,
            duplicates_and_conflicts_within_a_load,
            dropped_load_rolls_back,
            removal_is_scoped_and_reversible,
            person_has_all_source_records,
            donation_totals_exclude_memos,
            households_are_shared_and_idempotent,
            persons_assigned_by_resolution,
            review_queue_keeps_decisions,
            accounts_sessions_and_keys,
            audit_log_is_ordered_and_filtered,
            people_search_respects_scope,
            change_feed_follows_loads_and_merges,
            tags_and_lists_hold_people_and_feed_changes,
            retention_erases_unmatched_contacts_and_says_so);
    };
    (@each $make:expr; $($name:ident),*) => {
        $(
            #[test]
            fn $name() {
                if let Some(mut store) = $make {
                    $crate::conformance::$name(&mut *store);
                }
            }
        )*
    };
}
