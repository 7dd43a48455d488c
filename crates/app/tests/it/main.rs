//! Import behaviour, end to end over real files, on both backends: every test runs on a fresh
//! SQLite file and on a fresh PostgreSQL database (when `scripts/test.sh` provides one).

use std::io::Write;
use std::path::PathBuf;

use app::{import_file, ImportError, ImportOptions, ImportReport, NoProgress};
use ingest::{Kind, Mapping};
use store::{Store, Table};

struct Env {
    name: &'static str,
    store: Box<dyn Store>,
    dir: tempfile::TempDir,
}

impl Env {
    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::File::create(&p).unwrap().write_all(bytes).unwrap();
        p
    }

    fn opts(&self, kind: Kind, mapping: Option<Mapping>) -> ImportOptions {
        ImportOptions {
            kind,
            mapping,
            rejects_dir: self.dir.path().join("rejects"),
            loaded_by: "test".into(),
            allow_mass_removal: false,
        }
    }

    fn import(&mut self, kind: Kind, name: &str, bytes: &[u8]) -> ImportReport {
        self.try_import(kind, None, name, bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", self.name))
    }

    fn try_import(
        &mut self,
        kind: Kind,
        mapping: Option<Mapping>,
        name: &str,
        bytes: &[u8],
    ) -> Result<ImportReport, ImportError> {
        let path = self.file(name, bytes);
        let opts = self.opts(kind, mapping);
        import_file(&mut *self.store, &path, &opts, &NoProgress)
    }
}

/// Runs `f` on every backend available.
fn on_backends(f: impl Fn(&mut Env)) {
    let dir = tempfile::tempdir().unwrap();
    let store = store_sqlite::SqliteStore::open(&dir.path().join("tusk.db")).unwrap();
    f(&mut Env {
        name: "sqlite",
        store: Box::new(store),
        dir,
    });
    if let Some(pg) = store_postgres::test_store() {
        f(&mut Env {
            name: "postgres",
            store: Box::new(pg),
            dir: tempfile::tempdir().unwrap(),
        });
    }
}

fn check_counts(r: &ImportReport) {
    assert_eq!(
        r.read,
        r.accepted + r.rejected,
        "read = accepted + rejected: {r:?}"
    );
    assert_eq!(
        r.accepted,
        r.new + r.updated + r.unchanged + r.duplicate,
        "{r:?}"
    );
}

/// A synthetic ncvoter file of `n` voters (Windows-1252 bytes).
fn ncvoter(n: usize, seed: u64) -> Vec<u8> {
    let mut out = Vec::new();
    testkit::write_ncvoter(&mut out, n, seed).unwrap();
    out
}

fn header_67() -> String {
    ingest::formats::ncvoter::LAYOUT_67.join("\t")
}

/// One ncvoter row in the 67-column layout from a few fields (others empty).
fn nc_row(
    ncid: &str,
    county_id: &str,
    last: &str,
    first: &str,
    street: &str,
    birth_year: &str,
) -> String {
    let layout = ingest::formats::ncvoter::LAYOUT_67;
    layout
        .iter()
        .map(|c| match *c {
            "county_id" => county_id.to_string(),
            "county_desc" => "WAKE".to_string(),
            "ncid" => ncid.to_string(),
            "last_name" => last.to_string(),
            "first_name" => first.to_string(),
            "res_street_address" => street.to_string(),
            "res_city_desc" => "RALEIGH".to_string(),
            "state_cd" => "NC".to_string(),
            "zip_code" => "27601".to_string(),
            "status_cd" => "A".to_string(),
            "birth_year" => birth_year.to_string(),
            "registr_dt" => "01/15/2004".to_string(),
            _ => String::new(),
        })
        .collect::<Vec<_>>()
        .join("\t")
}

fn nc_file(rows: &[String]) -> Vec<u8> {
    let mut s = header_67();
    for r in rows {
        s.push('\n');
        s.push_str(r);
    }
    s.push('\n');
    s.into_bytes()
}

#[test]
fn ncvoter_counts_rejects_and_reasons() {
    on_backends(|env| {
        let mut rows: Vec<String> = (0..20)
            .map(|i| nc_row(&format!("AA{i}"), "92", "SMITH", "ANN", "1 MAIN ST", "1970"))
            .collect();
        rows.insert(5, nc_row("", "92", "SMITH", "BOB", "2 MAIN ST", "1970"));
        rows.insert(9, nc_row("BB1", "92", "JONES", "CY", "3 MAIN ST", "19x0"));
        rows.insert(12, "too\tfew\tfields".to_string());
        let r = env.import(Kind::NcVoter, "ncvoter92.txt", &nc_file(&rows));
        check_counts(&r);
        assert_eq!(
            (r.read, r.accepted, r.rejected, r.new),
            (23, 20, 3, 20),
            "{}",
            env.name
        );
        let rejects =
            std::fs::read_to_string(r.rejects_file.as_ref().expect("a rejects file")).unwrap();
        let lines: Vec<&str> = rejects.lines().collect();
        assert!(
            lines[0].starts_with("row_number\treason\tcounty_id\t"),
            "header names the columns"
        );
        assert_eq!(lines.len(), 4);
        assert!(
            lines[1].starts_with("6\tncid is empty\t92\t"),
            "{}",
            lines[1]
        );
        assert!(
            lines[2].starts_with("10\tbirth_year '19x0' is not a birth year"),
            "{}",
            lines[2]
        );
        assert!(
            lines[3].starts_with("13\trow has 3 fields, expected 67"),
            "{}",
            lines[3]
        );
        assert_eq!(env.store.count(Table::Voters).unwrap(), 20);
    });
}

#[test]
fn wrong_header_fails_before_any_row_naming_columns() {
    on_backends(|env| {
        let good = env.import(Kind::NcVoter, "a.txt", &ncvoter(10, 1));
        let before = env.store.dump().unwrap();
        let header = header_67()
            .replace("birth_year", "birth_yr")
            .replace("\tvtd_desc", "");
        let bad = format!(
            "{header}\n{}\n",
            nc_row("X1", "92", "DOE", "JO", "1 A ST", "1980")
        );
        let err = env
            .try_import(Kind::NcVoter, None, "b.txt", bad.as_bytes())
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("missing columns: birth_year, vtd_desc"),
            "{msg}"
        );
        assert!(msg.contains("unexpected columns: birth_yr"), "{msg}");
        assert!(msg.contains("nothing was loaded"), "{msg}");
        assert_eq!(before, env.store.dump().unwrap());
        assert_eq!(env.store.loads().unwrap().len(), 1);
        assert_eq!(good.new, 10);
        // An FEC file with the wrong field count fails the same way.
        let err = env
            .try_import(Kind::Fec, None, "itcont.txt", b"a|b|c\n")
            .unwrap_err();
        assert!(err.to_string().contains("first row has 3 fields"), "{err}");
    });
}

#[test]
fn same_file_twice_changes_nothing() {
    on_backends(|env| {
        let voters = ncvoter(300, 7);
        let mut vhis = Vec::new();
        testkit::write_ncvhis(&mut vhis, 300, 7, 10).unwrap();
        let first_v = env.import(Kind::NcVoter, "v.txt", &voters);
        let first_h = env.import(Kind::NcVhis, "h.txt", &vhis);
        assert_eq!(first_v.new, 300);
        assert!(first_h.duplicate > 0, "the history file repeats rows");
        let before = env.store.dump().unwrap();
        let again_v = env.import(Kind::NcVoter, "v.txt", &voters);
        let again_h = env.import(Kind::NcVhis, "h.txt", &vhis);
        for r in [&again_v, &again_h] {
            check_counts(r);
            assert_eq!(
                (r.new, r.updated, r.removed, r.rejected),
                (0, 0, 0, 0),
                "{}: {r:?}",
                env.name
            );
        }
        assert_eq!(again_v.unchanged, 300);
        assert_eq!(again_h.unchanged + again_h.duplicate, again_h.accepted);
        assert_eq!(again_h.duplicate, first_h.duplicate);
        assert_eq!(
            before,
            env.store.dump().unwrap(),
            "{}: the store is identical",
            env.name
        );
        assert_eq!(env.store.loads().unwrap().len(), 4);
    });
}

#[test]
fn newer_snapshot_records_new_updated_removed() {
    on_backends(|env| {
        let row = |id: usize, street: &str, county: &str| {
            nc_row(&format!("N{id}"), county, "LEE", "AMY", street, "1960")
        };
        let mut snap1: Vec<String> = (0..10).map(|i| row(i, "1 OAK ST", "92")).collect();
        snap1.extend((10..15).map(|i| row(i, "9 ELM ST", "32")));
        let r1 = env.import(Kind::NcVoter, "s1.txt", &nc_file(&snap1));
        assert_eq!(r1.new, 15);
        // Wake's next snapshot: N0..N2 gone, N3 and N4 moved, N20..N23 new; Durham not in it.
        let mut snap2: Vec<String> = (5..10).map(|i| row(i, "1 OAK ST", "92")).collect();
        snap2.push(row(3, "77 PINE RD", "92"));
        snap2.push(row(4, "78 PINE RD", "92"));
        snap2.extend((20..24).map(|i| row(i, "5 ASH CT", "92")));
        let r2 = env.import(Kind::NcVoter, "s2.txt", &nc_file(&snap2));
        check_counts(&r2);
        assert_eq!(
            (r2.new, r2.updated, r2.unchanged, r2.removed),
            (4, 2, 5, 3),
            "{}: {r2:?}",
            env.name
        );
        assert_eq!(
            env.store.count(Table::Voters).unwrap(),
            19,
            "removed voters are kept"
        );
        for id in 0..3 {
            let pid = env
                .store
                .person_of_voter(&format!("nc:N{id}"))
                .unwrap()
                .unwrap();
            let p = env.store.person(pid).unwrap().unwrap();
            assert_eq!(
                p.records[0].removed_load_id,
                Some(r2.load_id),
                "N{id} removed by load 2"
            );
        }
        let durham = env.store.person_of_voter("nc:N10").unwrap().unwrap();
        assert_eq!(
            env.store.person(durham).unwrap().unwrap().records[0].removed_load_id,
            None
        );
        let moved = env.store.person_of_voter("nc:N3").unwrap().unwrap();
        let p = env.store.person(moved).unwrap().unwrap();
        assert!(p.address.starts_with("77 PINE RD"), "{}", p.address);
        let dump = env.store.dump().unwrap();
        let versions = dump
            .split("## record_versions\n")
            .nth(1)
            .unwrap()
            .split("## ")
            .next()
            .unwrap();
        assert_eq!(
            versions.lines().count(),
            2,
            "the two previous versions are kept"
        );
        assert_eq!(
            env.store.loads().unwrap()[1].scope,
            "nc voters in county_id 92"
        );
    });
}

#[test]
fn a_snapshot_that_removes_too_many_is_refused_unless_allowed() {
    on_backends(|env| {
        let rows: Vec<String> = (0..1200)
            .map(|i| nc_row(&format!("M{i}"), "92", "KIM", "AL", "1 B ST", "1990"))
            .collect();
        env.import(Kind::NcVoter, "full.txt", &nc_file(&rows));
        let before = env.store.dump().unwrap();
        // A file cut off after 800 rows would remove a third of the county.
        let cut = nc_file(&rows[..800]);
        let err = env
            .try_import(Kind::NcVoter, None, "cut.txt", &cut)
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("would mark 400 of 1200 voters"),
            "{}: {msg}",
            env.name
        );
        assert!(msg.contains("--allow-mass-removal"), "{msg}");
        assert_eq!(
            before,
            env.store.dump().unwrap(),
            "nothing of the refused load is kept"
        );
        let path = env.file("cut.txt", &cut);
        let mut opts = env.opts(Kind::NcVoter, None);
        opts.allow_mass_removal = true;
        let r = import_file(&mut *env.store, &path, &opts, &NoProgress).unwrap();
        assert_eq!((r.removed, r.unchanged), (400, 800));
    });
}

#[test]
fn rejected_row_of_a_snapshot_does_not_remove_its_voter() {
    on_backends(|env| {
        let rows: Vec<String> = (0..5)
            .map(|i| nc_row(&format!("R{i}"), "92", "POE", "ED", "1 A ST", "1950"))
            .collect();
        env.import(Kind::NcVoter, "s1.txt", &nc_file(&rows));
        let mut rows2 = rows.clone();
        rows2[2] = nc_row("R2", "92", "POE", "ED", "1 A ST", "nineteen");
        let r = env.import(Kind::NcVoter, "s2.txt", &nc_file(&rows2));
        assert_eq!(
            (r.rejected, r.removed, r.unchanged),
            (1, 0, 4),
            "{}: {r:?}",
            env.name
        );
    });
}

#[test]
fn vote_history_is_a_set() {
    on_backends(|env| {
        let h = "county_id\tcounty_desc\tvoter_reg_num\telection_lbl\telection_desc\tvoting_method\tvoted_party_cd\tvoted_party_desc\tpct_label\tpct_description\tncid\tvoted_county_id\tvoted_county_desc\tvtd_label\tvtd_description";
        let row = |ncid: &str, date: &str, method: &str| {
            format!("92\tWAKE\t1\t{date}\t{date} GENERAL\t{method}\tDEM\tDEMOCRATIC\t01-01\tP1\t{ncid}\t92\tWAKE\t01-01\tP1")
        };
        let rows = [
            row("A1", "11/05/2024", "ELECTION DAY IN-PERSON"),
            row("A1", "11/05/2024", "ELECTION DAY IN-PERSON"),
            row("A1", "11/08/2022", "ABSENTEE ONESTOP"),
            row("B2", "11/05/2024", "ABSENTEE BY MAIL"),
            row("A1", "11/05/2024", "ELECTION DAY IN-PERSON"),
            row("B2", "11/05/2024", "IN-PERSON"),
            row("C3", "13/45/2024", "IN-PERSON"),
        ];
        let file = format!("{h}\n{}\n", rows.join("\n"));
        let r = env.import(Kind::NcVhis, "ncvhis.txt", file.as_bytes());
        check_counts(&r);
        assert_eq!(
            (r.new, r.duplicate, r.rejected),
            (3, 2, 2),
            "{}: {r:?}",
            env.name
        );
        assert_eq!(env.store.count(Table::VoteHistory).unwrap(), 3);
        let rejects = std::fs::read_to_string(r.rejects_file.unwrap()).unwrap();
        assert!(
            rejects.contains("6\tsame record key as row 4 with different content"),
            "{rejects}"
        );
        assert!(
            rejects.contains("7\telection_lbl '13/45/2024' is not a date"),
            "{rejects}"
        );
        let dump = env.store.dump().unwrap();
        assert!(
            dump.contains("\tearly\tABSENTEE ONESTOP\t"),
            "renamed methods are normalised"
        );
    });
}

fn fec_row(sub_id: &str, name: &str, amount: &str, memo: &str) -> String {
    format!(
        "C00000001|N|Q3|G2024||15|IND|{name}|DURHAM|NC|277011234|ACME|ENGINEER|09152024|{amount}||T1|1|{memo}||{sub_id}"
    )
}

#[test]
fn fec_memos_refunds_and_refiled_rows() {
    on_backends(|env| {
        let rows = [
            fec_row("4001", "DOE, JANE A", "250", ""),
            fec_row("4002", "DOE, JANE A", "100.50", "X"),
            fec_row("4003", "SMITH, ROBERT JR", "-50", ""),
            fec_row("4004", "NGUYEN, AN MRS", "1000.00", ""),
            fec_row("4005", "BAD, AMOUNT", "12x", ""),
        ];
        let r = env.import(
            Kind::Fec,
            "itcont.txt",
            format!("{}\n", rows.join("\n")).as_bytes(),
        );
        check_counts(&r);
        assert_eq!((r.new, r.rejected), (4, 1));
        assert_eq!(
            r.summary["counted_cents"], 120_000,
            "memo excluded, refund negative"
        );
        assert_eq!(r.summary["memo_rows"], 1);
        assert_eq!(r.summary["refund_rows"], 1);
        assert_eq!(env.store.donation_total_cents().unwrap(), 120_000);
        // A re-filed report: 4001 amended to 300, 4006 new. SUB_ID is the key.
        let refiled = [
            fec_row("4001", "DOE, JANE A", "300", ""),
            fec_row("4006", "ROE, RAY", "20", ""),
        ];
        let r2 = env.import(
            Kind::Fec,
            "itcont2.txt",
            format!("{}\n", refiled.join("\n")).as_bytes(),
        );
        assert_eq!((r2.new, r2.updated), (1, 1));
        assert_eq!(env.store.count(Table::Donations).unwrap(), 5);
        assert_eq!(env.store.donation_total_cents().unwrap(), 127_000);
        let dump = env.store.dump().unwrap();
        assert!(
            dump.contains("\tROBERT\t\tSMITH\tJR\tROBERT\t"),
            "name parsed LAST, FIRST SUFFIX: {dump}"
        );
    });
}

#[test]
fn older_71_column_layout_and_windows_1252() {
    on_backends(|env| {
        let layout = ingest::formats::ncvoter::LAYOUT_71;
        let row: Vec<String> = layout
            .iter()
            .map(|c| match *c {
                "county_id" => "32".into(),
                "ncid" => "EH71".into(),
                "last_name" => "MU\u{d1}OZ".into(),
                "first_name" => "JOS\u{c9}".into(),
                "res_street_address" => "12 North Duke Street Apt 4".into(),
                "zip_code" => "27701".into(),
                "birth_year" => "1975".into(),
                "birth_age" => "49".into(),
                _ => String::new(),
            })
            .collect();
        let text = format!("{}\n{}\n", layout.join("\t"), row.join("\t"));
        let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
        assert!(bytes.contains(&0xD1), "the file holds a Windows-1252 byte");
        let r = env.import(Kind::NcVoter, "old.txt", &bytes);
        assert_eq!(r.new, 1, "{}: {r:?}", env.name);
        let pid = env.store.person_of_voter("nc:EH71").unwrap().unwrap();
        let p = env.store.person(pid).unwrap().unwrap();
        assert_eq!(p.display_name, "JOSE MUNOZ");
        assert_eq!(p.address, "12 N DUKE ST APT 4, 27701");
        let v = &p.records[0];
        let i = v.header.iter().position(|h| h == "last_name").unwrap();
        assert_eq!(v.fields[i], "MUÑOZ", "kept verbatim, decoded");
    });
}

#[test]
fn ohio_wide_history_becomes_vote_rows() {
    on_backends(|env| {
        let mut header: Vec<&str> = ingest::formats::ohio::CORE.to_vec();
        header.extend([
            "PRIMARY-03/15/2016",
            "GENERAL-11/08/2016",
            "GENERAL-11/06/2018",
        ]);
        let row = |id: &str, dob: &str, votes: [&str; 3]| {
            let mut f: Vec<String> = ingest::formats::ohio::CORE
                .iter()
                .map(|c| match *c {
                    "SOS_VOTERID" => id.to_string(),
                    "COUNTY_NUMBER" => "25".to_string(),
                    "COUNTY_ID" => "7".to_string(),
                    "LAST_NAME" => "BAKER".to_string(),
                    "FIRST_NAME" => "TOM".to_string(),
                    "DATE_OF_BIRTH" => dob.to_string(),
                    "VOTER_STATUS" => "ACTIVE".to_string(),
                    "RESIDENTIAL_ADDRESS1" => "100 HIGH ST".to_string(),
                    "RESIDENTIAL_CITY" => "COLUMBUS".to_string(),
                    "RESIDENTIAL_STATE" => "OH".to_string(),
                    "RESIDENTIAL_ZIP" => "43215".to_string(),
                    "PRECINCT_NAME" => "COLUMBUS 1-A".to_string(),
                    _ => String::new(),
                })
                .collect();
            f.extend(votes.iter().map(|v| v.to_string()));
            f.join(",")
        };
        let file = format!(
            "{}\n{}\n{}\n{}\n",
            header.join(","),
            row("OH1", "1980-02-29", ["D", "X", ""]),
            row("OH2", "1955-07-04", ["", "", "X"]),
            row("OH3", "1980-02-30", ["", "X", "X"]),
        );
        let r = env.import(Kind::Ohio, "FRANKLIN.txt", file.as_bytes());
        check_counts(&r);
        assert_eq!((r.new, r.rejected), (2, 1), "{}: {r:?}", env.name);
        assert_eq!(r.summary["vote_history"]["new"], 3);
        assert_eq!(env.store.count(Table::VoteHistory).unwrap(), 3);
        let pid = env.store.person_of_voter("oh:OH1").unwrap().unwrap();
        let p = env.store.person(pid).unwrap().unwrap();
        let tables: Vec<&str> = p.records.iter().map(|r| r.table.as_str()).collect();
        assert_eq!(tables, ["voters", "vote_history", "vote_history"]);
        assert_eq!(p.records[1].fields, ["PRIMARY-03/15/2016", "D"]);
        assert_eq!(p.records[2].fields, ["GENERAL-11/08/2016", "X"]);
        // A header with an election column in the wrong form is refused.
        let bad = file.replacen("GENERAL-11/06/2018", "GEN 2018", 1);
        let err = env
            .try_import(Kind::Ohio, None, "bad.txt", bad.as_bytes())
            .unwrap_err();
        assert!(
            err.to_string().contains("unexpected columns: GEN 2018"),
            "{err}"
        );
    });
}

#[test]
fn absentee_file_marks_counted_ballots() {
    on_backends(|env| {
        let header = "county_desc,voter_reg_num,ncid,voter_last_name,voter_first_name,election_dt,ballot_req_type,ballot_req_dt,ballot_send_dt,ballot_rtn_dt,ballot_rtn_status,precinct_desc,site_name,sdr";
        let rows = [
            "WAKE,1,A1,LEE,AMY,11/03/2026,MAIL,09/01/2026,09/20/2026,10/10/2026,ACCEPTED,P1,,N",
            "WAKE,2,B2,LEE,BO,11/03/2026,ONE-STOP,10/20/2026,,10/20/2026,ACCEPTED,P1,WAKE COMMONS,N",
            "WAKE,3,C3,LEE,CY,11/03/2026,MAIL,09/02/2026,09/20/2026,10/11/2026,WITNESS INFO INCOMPLETE,P1,,N",
            "WAKE,4,,LEE,DI,11/03/2026,MAIL,09/02/2026,,,,P1,,N",
        ];
        let r = env.import(
            Kind::NcAbsentee,
            "absentee_20261021.csv",
            format!("{header}\n{}\n", rows.join("\n")).as_bytes(),
        );
        assert_eq!((r.new, r.rejected), (3, 1), "{}: {r:?}", env.name);
        let dump = env.store.dump().unwrap();
        let counted = dump
            .lines()
            .filter(|l| l.starts_with("nc:") && l.contains("\tACCEPTED\tt\t"))
            .count();
        assert_eq!(counted, 2, "{dump}");
        assert!(dump.contains("\tWITNESS INFO INCOMPLETE\tf\t"));
        // The next day's file: C3's ballot cured and accepted -> updated.
        let next = rows[2].replace("WITNESS INFO INCOMPLETE", "ACCEPTED");
        let r2 = env.import(
            Kind::NcAbsentee,
            "absentee_20261022.csv",
            format!("{header}\n{}\n{next}\n", rows[0]).as_bytes(),
        );
        assert_eq!((r2.unchanged, r2.updated, r2.removed), (1, 1, 0));
    });
}

fn mapping(text: &str) -> Mapping {
    Mapping::parse(text).unwrap()
}

#[test]
fn mapped_csv_volunteers_and_contacts() {
    on_backends(|env| {
        let m = mapping(
            r#"
entity = "volunteers"
source = "mobilize"
state = "NC"
[columns]
id = "Signup ID"
first_name = "First"
last_name = "Last"
email = "Email"
phone = "Phone"
zip = "Zip"
date = "Signed up"
"#,
        );
        let csv = "Signup ID,First,Last,Email,Phone,Zip,Signed up,Shirt size\n\
                   s1,Bob,O'Neil,BOB@Example.ORG,(919) 555-2368,27601,2026-06-01,L\n\
                   s2,,,not-an-email,12,27601,2026-06-02,M\n\
                   s3,\"Ann, Jr\",Lee,ann@example.org,,27701,06/03/2026,S\n";
        let r = env
            .try_import(Kind::Csv, Some(m.clone()), "signups.csv", csv.as_bytes())
            .unwrap();
        check_counts(&r);
        assert_eq!((r.new, r.rejected), (2, 1), "{}: {r:?}", env.name);
        let dump = env.store.dump().unwrap();
        assert!(
            dump.contains("\tbob@example.org\t9195552368\t"),
            "e-mail and phone normalised"
        );
        assert!(
            dump.contains("\tBOB\t\tONEIL\t\tROBERT\t"),
            "nickname group recorded"
        );
        let again = env
            .try_import(Kind::Csv, Some(m.clone()), "signups.csv", csv.as_bytes())
            .unwrap();
        assert_eq!(again.unchanged, 2);
        // Contacts without an id column: the key is a hash of the row, so reloading is idempotent.
        let c = mapping(
            r#"
entity = "contacts"
source = "friends"
owner = "supporter-17"
[columns]
full_name = "Name"
phone = "Mobile"
city = "City"
"#,
        );
        let contacts = "Name,Mobile,City\nDr. Maria de la Cruz,919-555-0101,Durham\nJim,,Raleigh\n";
        let r = env
            .try_import(
                Kind::Csv,
                Some(c.clone()),
                "contacts.csv",
                contacts.as_bytes(),
            )
            .unwrap();
        assert_eq!(r.new, 2);
        let r = env
            .try_import(Kind::Csv, Some(c), "contacts.csv", contacts.as_bytes())
            .unwrap();
        assert_eq!(r.unchanged, 2);
        assert_eq!(env.store.count(Table::Contacts).unwrap(), 2);
        // A mapping naming a column the file does not have fails before any row.
        let err = env
            .try_import(
                Kind::Csv,
                Some(m),
                "other.csv",
                b"First,Last,Email,Phone,Zip,Signed up\nA,B,,,,\n",
            )
            .unwrap_err();
        assert!(
            err.to_string().contains("missing columns: Signup ID"),
            "{err}"
        );
    });
}

#[test]
fn person_shows_voter_history_and_ballots() {
    on_backends(|env| {
        env.import(Kind::NcVoter, "v.txt", &ncvoter(50, 3));
        let mut vhis = Vec::new();
        testkit::write_ncvhis(&mut vhis, 50, 3, 0).unwrap();
        env.import(Kind::NcVhis, "h.txt", &vhis);
        let v = testkit::voters(50, 3)
            .find(|v| v.ncid.ends_with('7'))
            .unwrap();
        let pid = env
            .store
            .person_of_voter(&format!("nc:{}", v.ncid))
            .unwrap()
            .unwrap();
        let p = env.store.person(pid).unwrap().unwrap();
        assert_eq!(p.records[0].table, "voters");
        let history = p
            .records
            .iter()
            .filter(|r| r.table == "vote_history")
            .count();
        let expected = String::from_utf8(vhis)
            .unwrap()
            .lines()
            .filter(|l| l.contains(&format!("\t{}\t", v.ncid)))
            .count();
        assert_eq!(history, expected, "{}", env.name);
        assert!(p.household_id.is_some());
    });
}

/// FEBRL4 (5,000 × 5,000), no labels used: gated on the shared data being present.
#[test]
fn febrl4_links_without_labels() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/febrl");
    if !dir.join("febrl4a.csv").exists() {
        eprintln!("skipping: FEBRL data not found at {}", dir.display());
        return;
    }
    let map = Default::default();
    let (left, unknown) = app::people_csv::read(&dir.join("febrl4a.csv"), &map).unwrap();
    assert_eq!(unknown, ["soc_sec_id"], "unknown columns are reported");
    let (right, _) = app::people_csv::read(&dir.join("febrl4b.csv"), &map).unwrap();
    let (links, _, _) = identity::link(&left, &right, &identity::LinkSettings::default());
    let truth: std::collections::HashSet<(String, String)> =
        std::fs::read_to_string(dir.join("febrl4_truth.csv"))
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| {
                let (a, b) = l.split_once(',').unwrap();
                (a.to_string(), b.to_string())
            })
            .collect();
    let tp = links
        .iter()
        .filter(|k| {
            truth.contains(&(
                left[k.left as usize].id.clone(),
                right[k.right as usize].id.clone(),
            ))
        })
        .count();
    let precision = tp as f64 / links.len() as f64;
    let recall = tp as f64 / truth.len() as f64;
    let f1 = 2.0 * precision * recall / (precision + recall);
    // Measured 1.0000 / 0.9948 / 0.9974 (docs/benchmarks.md); floors a little below.
    assert!(precision >= 0.999, "precision {precision}");
    assert!(
        f1 >= 0.995,
        "F1 {f1} (precision {precision}, recall {recall})"
    );
}

/// FEBRL3 (5,000 records, 2,000 people with up to five duplicates each), deduplicated without
/// labels: pairwise precision and recall of the clusters. Gated on the shared data.
#[test]
fn febrl3_dedupes_without_labels() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/febrl");
    if !dir.join("febrl3.csv").exists() {
        eprintln!("skipping: FEBRL data not found at {}", dir.display());
        return;
    }
    let (records, _) = app::people_csv::read(&dir.join("febrl3.csv"), &Default::default()).unwrap();
    let (cluster, _, _, _) = identity::dedupe(&records, &identity::LinkSettings::default());
    let mut members: std::collections::HashMap<u32, Vec<&str>> = Default::default();
    for (r, c) in records.iter().zip(&cluster) {
        members.entry(*c).or_default().push(&r.id);
    }
    let mut found = std::collections::HashSet::new();
    for m in members.values() {
        for (i, a) in m.iter().enumerate() {
            for b in &m[i + 1..] {
                found.insert(if a < b {
                    (a.to_string(), b.to_string())
                } else {
                    (b.to_string(), a.to_string())
                });
            }
        }
    }
    let truth: std::collections::HashSet<(String, String)> =
        std::fs::read_to_string(dir.join("febrl3_truth.csv"))
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| {
                let (a, b) = l.split_once(',').unwrap();
                if a < b {
                    (a.to_string(), b.to_string())
                } else {
                    (b.to_string(), a.to_string())
                }
            })
            .collect();
    let tp = found.intersection(&truth).count();
    let (precision, recall) = (
        tp as f64 / found.len() as f64,
        tp as f64 / truth.len() as f64,
    );
    // Measured 0.9992 / 0.9654 (docs/benchmarks.md); floors a little below.
    assert!(precision >= 0.995, "precision {precision}");
    assert!(recall >= 0.955, "recall {recall}");
}

/// Resolution over the store, on a synthetic campaign, scored against the generator's truth;
/// a second run changes nothing.
#[test]
fn resolve_attaches_donors_and_volunteers_to_voters() {
    use testkit::campaign::{generate, CampaignConfig, Out, Outputs};
    let mut out = Outputs(vec![Vec::new(); Out::ALL.len()]);
    generate(
        &CampaignConfig {
            voters: 6_000,
            seed: 9,
        },
        &mut out,
    )
    .unwrap();
    let file = |o: Out| out.0[Out::ALL.iter().position(|x| *x == o).unwrap()].clone();
    let truth: std::collections::HashMap<String, String> =
        String::from_utf8(file(Out::TruthRecords))
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| {
                let mut it = l.splitn(3, ',');
                let (f, k, p) = (it.next().unwrap(), it.next().unwrap(), it.next().unwrap());
                let key = match f {
                    "ncvoter_Statewide.txt" => format!("nc:{k}"),
                    "itcont.txt" => format!("fec:{k}"),
                    "volunteers.csv" => format!("mobilize:{k}"),
                    _ => format!("{f}:{k}"),
                };
                (key, p.to_string())
            })
            .collect();
    on_backends(|env| {
        env.import(Kind::NcVoter, "v.txt", &file(Out::NcVoter));
        env.import(Kind::Fec, "itcont.txt", &file(Out::Fec));
        let m = Mapping::parse(&String::from_utf8(file(Out::VolunteersMapping)).unwrap()).unwrap();
        env.try_import(Kind::Csv, Some(m), "vol.csv", &file(Out::Volunteers))
            .unwrap();
        let r =
            app::resolve::resolve(&mut *env.store, 0.5, "test", "2026-11-28T00:00:00Z").unwrap();
        assert!(r.linked_to_voters > 0, "{r:?}");
        // Precision of the links to voters, by the truth.
        let voters = env.store.resolution_rows(Table::Voters).unwrap();
        let voter_truth: std::collections::HashMap<i64, &String> = voters
            .iter()
            .filter_map(|v| Some((v.person_id?, truth.get(&v.rkey)?)))
            .collect();
        let (mut links, mut right) = (0, 0);
        for t in [Table::Donations, Table::Volunteers] {
            for row in env.store.resolution_rows(t).unwrap() {
                if let Some(vt) = row.person_id.and_then(|p| voter_truth.get(&p)) {
                    links += 1;
                    if truth.get(&row.rkey) == Some(vt) {
                        right += 1;
                    }
                }
            }
        }
        let precision = right as f64 / links as f64;
        assert!(
            precision > 0.9,
            "{}: precision {precision} over {links} links",
            env.name
        );
        let before = env.store.dump().unwrap();
        let again =
            app::resolve::resolve(&mut *env.store, 0.5, "test", "2026-11-28T00:00:01Z").unwrap();
        assert_eq!(
            (again.changed, again.new_people),
            (0, 0),
            "{}: a second run changes nothing",
            env.name
        );
        assert_eq!(before, env.store.dump().unwrap());
        // Undo a link by rejecting it; accept a pair from the review queue.
        let (voter, donation) = env
            .store
            .resolution_rows(Table::Donations)
            .unwrap()
            .into_iter()
            .find_map(|d| {
                let v = voters
                    .iter()
                    .find(|v| v.person_id.is_some() && v.person_id == d.person_id)?;
                Some((v.rkey.clone(), d.rkey))
            })
            .unwrap();
        env.store
            .decide(&voter, &donation, false, "test", "t")
            .unwrap();
        let to_accept = env
            .store
            .review_items(true)
            .unwrap()
            .first()
            .map(|q| (q.left_rkey.clone(), q.right_rkey.clone()));
        if let Some((l, r)) = &to_accept {
            env.store.decide(l, r, true, "test", "t").unwrap();
        }
        let third =
            app::resolve::resolve(&mut *env.store, 0.5, "test", "2026-11-28T00:00:02Z").unwrap();
        assert!(third.decisions_in_force >= 1, "{}: {third:?}", env.name);
        let person_of = |store: &mut dyn Store, t: Table, k: &str| {
            store
                .resolution_rows(t)
                .unwrap()
                .into_iter()
                .find(|r| r.rkey == k)
                .unwrap()
                .person_id
        };
        let vp = person_of(&mut *env.store, Table::Voters, &voter);
        let dp = person_of(&mut *env.store, Table::Donations, &donation);
        assert_ne!(vp, dp, "{}: the rejected link is undone", env.name);
        if let Some((l, r)) = to_accept {
            let table = if r.starts_with("fec:") {
                Table::Donations
            } else if r.starts_with("mobilize:") {
                Table::Volunteers
            } else {
                Table::Contacts
            };
            let (lp, rp) = (
                person_of(&mut *env.store, Table::Voters, &l),
                person_of(&mut *env.store, table, &r),
            );
            assert_eq!(lp, rp, "{}: the accepted pair is linked", env.name);
        }
    });
}

mod accounts;
mod health;
mod scores;
mod sharing;
mod trips;
mod turnout;
mod universes;

#[test]
fn vcard_contacts_load_with_rejects_and_reload_unchanged() {
    let vcf = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Robert Smith\r\nN:Smith;Robert;;;\r\nTEL;TYPE=CELL:+1 919 555 0101\r\nX-TUSK-SHARED-BY:vol-7\r\nUID:vol-7:1\r\nEND:VCARD\r\n\
BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Ann Lee\r\nEMAIL:ann.lee@example.org\r\nADR:;;;Durham;NC;27701;\r\nUID:vol-7:2\r\nEND:VCARD\r\n\
BEGIN:VCARD\r\nVERSION:3.0\r\nTEL:919-555-0102\r\nUID:vol-7:3\r\nEND:VCARD\r\n";
    on_backends(|env| {
        let r = env.import(Kind::Vcard, "contacts.vcf", vcf.as_bytes());
        check_counts(&r);
        assert_eq!(
            (r.read, r.new, r.rejected),
            (3, 2, 1),
            "{}: {r:?}",
            env.name
        );
        let rejects =
            std::fs::read_to_string(r.rejects_file.as_ref().expect("a rejects file")).unwrap();
        assert!(rejects.contains("no name"), "{rejects}");
        assert_eq!(env.store.count(Table::Contacts).unwrap(), 2);
        let rows = env.store.resolution_rows(Table::Contacts).unwrap();
        assert_eq!(rows[0].rkey, "vcard:vol-7:1");
        assert_eq!(
            (rows[0].first.as_str(), rows[0].phone.as_str()),
            ("ROBERT", "9195550101")
        );
        assert_eq!(
            (rows[1].email.as_str(), rows[1].zip5.as_str()),
            ("ann.lee@example.org", "27701")
        );
        let again = env.import(Kind::Vcard, "contacts.vcf", vcf.as_bytes());
        assert_eq!((again.new, again.unchanged), (0, 2), "{}", env.name);
    });
}
