//! The synthetic campaign: deterministic, readable by Tusk's own readers, and consistent with
//! its truth.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use ingest::{Kind, Mapping, Reader};
use testkit::campaign::{generate, CampaignConfig, Out, Outputs, Summary};

const VOTERS: usize = 30_000;

fn campaign(voters: usize, seed: u64) -> (BTreeMap<&'static str, Vec<u8>>, Summary) {
    let mut out = Outputs(vec![Vec::new(); Out::ALL.len()]);
    let summary = generate(&CampaignConfig { voters, seed }, &mut out).unwrap();
    let files = Out::ALL.iter().map(|o| o.file_name()).zip(out.0).collect();
    (files, summary)
}

fn text(files: &BTreeMap<&str, Vec<u8>>, o: Out) -> String {
    String::from_utf8(files[o.file_name()].clone()).unwrap()
}

/// Reads a file with a project reader: (accepted row numbers count, rejected row numbers).
fn read_back(kind: Kind, mapping: Option<&Mapping>, bytes: &[u8]) -> (usize, Vec<u64>) {
    let reader = Reader::open(kind, mapping, bytes).unwrap_or_else(|e| panic!("{kind:?}: {e}"));
    let (mut ok, mut rejected) = (0, Vec::new());
    for row in reader {
        let row = row.unwrap();
        match row.result {
            Ok(_) => ok += 1,
            Err(reason) => {
                eprintln!("{kind:?} row {}: {reason}", row.row_number);
                rejected.push(row.row_number)
            }
        }
    }
    (ok, rejected)
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let (a, sa) = campaign(3_000, 42);
    let (b, sb) = campaign(3_000, 42);
    assert_eq!(sa, sb);
    for (name, bytes) in &a {
        assert!(
            bytes == &b[name],
            "{name} differs between two runs with one seed"
        );
    }
    let (c, _) = campaign(3_000, 43);
    assert_ne!(a[Out::NcVoter.file_name()], c[Out::NcVoter.file_name()]);
    assert_eq!(sa.voter_rows, 3_000, "exactly the voter rows asked for");
}

#[test]
fn files_read_back_with_only_the_planted_rejects() {
    let (files, s) = campaign(VOTERS, 7);
    let (ok, rejected) = read_back(Kind::NcVoter, None, &files[Out::NcVoter.file_name()]);
    let malformed: Vec<u64> = text(&files, Out::TruthMalformed)
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
        .collect();
    assert_eq!(
        rejected, malformed,
        "the only rejected voter rows are the ones the truth lists"
    );
    assert!(
        !malformed.is_empty(),
        "at {VOTERS} voters some rows are planted malformed"
    );
    assert_eq!(ok as u64 + malformed.len() as u64, s.voter_rows);
    for (kind, out, mapping) in [
        (Kind::NcVhis, Out::NcVhis, None),
        (Kind::NcAbsentee, Out::Absentee, None),
        (Kind::Fec, Out::Fec, None),
        (Kind::Csv, Out::Volunteers, Some(Out::VolunteersMapping)),
        (Kind::Csv, Out::Contacts, Some(Out::ContactsMapping)),
    ] {
        let m = mapping.map(|m| Mapping::parse(&text(&files, m)).unwrap());
        let (ok, rejected) = read_back(kind, m.as_ref(), &files[out.file_name()]);
        assert!(rejected.is_empty(), "{out:?}: rejected rows {rejected:?}");
        assert!(ok > 0, "{out:?} has rows");
    }
    let vcf = text(&files, Out::ContactsVcf);
    assert_eq!(vcf.matches("BEGIN:VCARD").count() as u64, s.vcards);
    assert_eq!(vcf.matches("END:VCARD").count() as u64, s.vcards);
    assert!(
        files[Out::NcVoter.file_name()].iter().any(|b| *b >= 0x80),
        "Windows-1252 bytes present"
    );
}

#[test]
fn truth_is_consistent_with_the_files() {
    let (files, s) = campaign(VOTERS, 11);
    let people: HashMap<u64, Vec<String>> = text(&files, Out::TruthPeople)
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<String> = l.split(',').map(String::from).collect();
            (f[0].parse().unwrap(), f)
        })
        .collect();
    assert_eq!(people.len() as u64, s.people);
    let mut by_file: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut ncids_of: HashMap<u64, usize> = HashMap::new();
    for l in text(&files, Out::TruthRecords).lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        let person: u64 = f[2].parse().unwrap();
        assert!(
            people.contains_key(&person),
            "record {l} names a person in people.csv"
        );
        by_file
            .entry(f[0].to_string())
            .or_default()
            .insert(f[1].to_string());
        if f[0] == Out::NcVoter.file_name() {
            *ncids_of.entry(person).or_default() += 1;
        }
    }
    // Every voter row is in the truth, by ncid, and nothing else is.
    let voter_ids: BTreeSet<String> = text_1252(&files[Out::NcVoter.file_name()])
        .lines()
        .skip(1)
        .map(|l| l.split('\t').nth(3).unwrap().trim_matches('"').to_string())
        .collect();
    assert_eq!(&voter_ids, &by_file[Out::NcVoter.file_name()]);
    let doubles = ncids_of.values().filter(|n| **n == 2).count() as u64;
    assert_eq!(
        doubles, s.duplicate_registrations,
        "people with two registrations"
    );
    let sub_ids: BTreeSet<String> = text_1252(&files[Out::Fec.file_name()])
        .lines()
        .map(|l| l.rsplit('|').next().unwrap().to_string())
        .collect();
    assert_eq!(&sub_ids, &by_file[Out::Fec.file_name()]);
    let volunteers: BTreeSet<String> = text(&files, Out::Volunteers)
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect();
    assert_eq!(&volunteers, &by_file[Out::Volunteers.file_name()]);
    // Unregistered people exist, and some of them volunteer.
    let unregistered = people.values().filter(|f| f[2] == "false").count();
    assert!(unregistered > 0);
    assert!(s.unregistered_volunteers > 0);
}

fn text_1252(bytes: &[u8]) -> String {
    encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned()
}

#[test]
fn distributions_are_near_their_targets() {
    let (files, s) = campaign(VOTERS, 5);
    let registered_share = s.registered_people as f64 / s.people as f64;
    assert!(
        (registered_share - s.target_registered_share).abs() < 0.02,
        "registered share {registered_share}"
    );
    let adults_per_household = s.people as f64 / s.households as f64;
    assert!(
        (adults_per_household - s.target_mean_household_adults).abs() < 0.12,
        "adults per household {adults_per_household} vs {}",
        s.target_mean_household_adults
    );
    let voters = text_1252(&files[Out::NcVoter.file_name()]);
    let rows: Vec<Vec<String>> = voters
        .lines()
        .skip(1)
        .map(|l| {
            l.split('\t')
                .map(|f| f.trim_matches('"').to_string())
                .collect()
        })
        .collect();
    let share = |f: &dyn Fn(&Vec<String>) -> bool| {
        rows.iter().filter(|r| f(r)).count() as f64 / rows.len() as f64
    };
    let active = share(&|r| r[8] == "A");
    assert!((0.85..0.91).contains(&active), "active share {active}");
    let seniors = share(&|r| {
        r[30]
            .parse::<u16>()
            .map(|y| 2026 - y >= 65)
            .unwrap_or(false)
    });
    assert!((0.12..0.35).contains(&seniors), "65+ share {seniors}");
    for party in ["DEM", "REP", "UNA"] {
        let p = share(&|r| r[28] == party);
        assert!((0.18..0.48).contains(&p), "{party} share {p}");
    }
    // Common names are common: SMITH is the most frequent surname, JAMES SMITH is not unique.
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for r in &rows {
        *counts.entry(r[4].as_str()).or_default() += 1;
    }
    let top = counts.iter().max_by_key(|(_, n)| **n).unwrap();
    assert!(
        ["SMITH", "JOHNSON", "WILLIAMS"].contains(top.0),
        "most common surname {top:?}"
    );
    let namesakes = rows.iter().filter(|r| r[7] == "JR").count();
    assert!(namesakes > 0, "JR/SR namesakes exist");
}

#[test]
fn hidden_truth_drives_the_observed_data() {
    let (files, _) = campaign(60_000, 3);
    let people = text(&files, Out::TruthPeople);
    let mut by_ncid: HashMap<String, (f64, f64, f64)> = HashMap::new();
    for l in people.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        if !f[6].is_empty() {
            by_ncid.insert(
                f[6].to_string(),
                (
                    f[3].parse().unwrap(),
                    f[4].parse().unwrap(),
                    f[5].parse().unwrap(),
                ),
            );
        }
    }
    // Turnout: people who voted in 2024 have a higher hidden propensity than those who did not.
    let voted: BTreeSet<String> = text_1252(&files[Out::NcVhis.file_name()])
        .lines()
        .filter(|l| l.contains("11/05/2024 GENERAL"))
        .map(|l| l.split('\t').nth(10).unwrap().to_string())
        .collect();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let (mut yes, mut no) = (Vec::new(), Vec::new());
    for (ncid, (_, t, _)) in &by_ncid {
        if voted.contains(ncid) {
            yes.push(*t)
        } else {
            no.push(*t)
        }
    }
    assert!(
        mean(&yes) > mean(&no) + 0.1,
        "turnout: voted {} vs not {}",
        mean(&yes),
        mean(&no)
    );
    // Canvass IDs follow true support (1 = strong support).
    let canvass = text(&files, Out::Canvass);
    let (mut ones, mut fives) = (Vec::new(), Vec::new());
    for l in canvass.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        let support = by_ncid[f[1]].0;
        match f[5] {
            "1" => ones.push(support),
            "5" => fives.push(support),
            _ => {}
        }
    }
    assert!(
        mean(&ones) > mean(&fives) + 0.4,
        "IDs: 1s {} vs 5s {}",
        mean(&ones),
        mean(&fives)
    );
    // The experiment: the treated group ends up more supportive (lower IDs) than control.
    let exp = text(&files, Out::Experiment);
    let (mut t, mut c) = (Vec::new(), Vec::new());
    for l in exp.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        let Ok(id) = f[4].parse::<f64>() else {
            continue;
        };
        if f[2] == "treatment" {
            t.push(id)
        } else {
            c.push(id)
        }
    }
    assert!(
        mean(&t) + 0.15 < mean(&c),
        "treated {} vs control {}",
        mean(&t),
        mean(&c)
    );
}
