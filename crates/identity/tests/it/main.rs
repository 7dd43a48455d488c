//! The linkage engine: comparison levels, explain output, and properties of `link`.

use identity::compare::{compare, Field, LEVELS_MAX};
use identity::record::soundex;
use identity::{link, LinkSettings, Model, RawPerson, Record};

fn rec(
    id: &str,
    first: &str,
    last: &str,
    dob: &str,
    street: &str,
    city: &str,
    zip: &str,
) -> Record {
    Record::new(
        id,
        &RawPerson {
            first: first.into(),
            last: last.into(),
            dob: dob.into(),
            street: street.into(),
            city: city.into(),
            zip: zip.into(),
            ..Default::default()
        },
    )
}

fn level(a: &Record, b: &Record, f: Field) -> &'static str {
    f.levels()[compare(a, b)[f.index()] as usize]
}

#[test]
fn soundex_codes() {
    for (name, code) in [
        ("ROBERT", "R163"),
        ("RUPERT", "R163"),
        ("TYMCZAK", "T522"),
        ("PFISTER", "P236"),
        ("HONEYMAN", "H555"),
        ("ASHCRAFT", "A261"),
        ("", ""),
    ] {
        assert_eq!(soundex(name), code, "{name}");
    }
}

#[test]
fn comparison_levels() {
    let a = rec(
        "a",
        "Robert",
        "Smith",
        "1970-03-12",
        "12 North Main Street",
        "Raleigh",
        "27601",
    );
    assert_eq!(
        level(
            &a,
            &rec("b", "Bob", "Smith", "", "", "", ""),
            Field::FirstName
        ),
        "nickname or close (JW ≥ 0.94)"
    );
    assert_eq!(
        level(
            &a,
            &rec("b", "R", "Smith", "", "", "", ""),
            Field::FirstName
        ),
        "initial"
    );
    assert_eq!(
        level(
            &a,
            &rec("b", "Xavier", "Smith", "", "", "", ""),
            Field::FirstName
        ),
        "different"
    );
    assert_eq!(
        level(&a, &rec("b", "", "Smith", "", "", "", ""), Field::FirstName),
        "missing"
    );
    assert_eq!(
        level(
            &a,
            &rec("b", "Robert", "Smyth", "", "", "", ""),
            Field::LastName
        ),
        "similar (JW ≥ 0.88)"
    );
    assert_eq!(
        level(
            &a,
            &rec("b", "Robert", "Smithe", "", "", "", ""),
            Field::LastName
        ),
        "close (JW ≥ 0.94)"
    );
    // First and last name given the other way round.
    let swapped = rec("b", "Smith", "Robert", "", "", "", "");
    assert_eq!(level(&a, &swapped, Field::FirstName), "exact");
    assert_eq!(level(&a, &swapped, Field::LastName), "exact");
    assert_eq!(
        level(
            &a,
            &rec("b", "", "", "1970-12-03", "", "", ""),
            Field::BirthDate
        ),
        "one digit off or day/month swapped"
    );
    assert_eq!(
        level(
            &a,
            &rec("b", "", "", "1970-07-01", "", "", ""),
            Field::BirthDate
        ),
        "same year"
    );
    assert_eq!(
        level(
            &a,
            &rec("b", "", "", "1971-03-12", "", "", ""),
            Field::BirthDate
        ),
        "one digit off or day/month swapped"
    );
    assert_eq!(
        level(
            &a,
            &rec("b", "", "", "", "12 N Main St", "", ""),
            Field::Address
        ),
        "exact"
    );
    assert_eq!(
        level(
            &a,
            &rec("b", "", "", "", "14 N Main St", "", ""),
            Field::Address
        ),
        "same street, other number"
    );
    assert_eq!(
        level(
            &a,
            &rec("b", "", "", "", "12 N Maine St", "", ""),
            Field::Address
        ),
        "same number, similar street"
    );
    assert_eq!(
        level(&a, &rec("b", "", "", "", "", "", "27604"), Field::Zip),
        "same first 3 digits"
    );
    // Year-only dates (NC publishes birth year only).
    let year_only = Record::new(
        "c",
        &RawPerson {
            birth_year: "1970".into(),
            ..Default::default()
        },
    );
    assert_eq!(level(&a, &year_only, Field::BirthDate), "same year");
}

/// A fixed model, so that explain output is exact.
fn fixed_model() -> Model {
    let mut m = [[0.0; LEVELS_MAX]; 8];
    let mut u = [[0.0; LEVELS_MAX]; 8];
    for f in identity::FIELDS {
        let n = f.levels().len();
        for l in 1..n {
            m[f.index()][l] = if l == n - 1 {
                0.9
            } else {
                0.1 / (n - 2) as f64
            };
            u[f.index()][l] = if l == n - 1 {
                0.01
            } else {
                0.99 / (n - 2) as f64
            };
        }
    }
    Model::from_parts(0.001, m, u)
}

#[test]
fn explain_is_a_readable_waterfall() {
    let a = rec(
        "a",
        "Robert",
        "Smith",
        "1970-03-12",
        "12 Main St",
        "Raleigh",
        "27601",
    );
    let b = rec(
        "b",
        "Bob",
        "Smith",
        "1970-12-03",
        "12 Main St",
        "Durham",
        "",
    );
    let e = fixed_model().explain(&a, &b);
    let expected = "\
field        level                                        m          u   weight  running
prior        P(match) = 0.001000                                          -9.96    -9.96
first name   nickname or close (JW ≥ 0.94)           0.0250   0.247500    -3.31   -13.27
last name    exact                                   0.9000   0.010000    +6.49    -6.78
birth date   one digit off or day/month swapped      0.0333   0.330000    -3.31   -10.09
address      exact                                   0.9000   0.010000    +6.49    -3.60
city         different                               0.1000   0.990000    -3.31    -6.90
zip          missing                                                          0    -6.90
phone        missing                                                          0    -6.90
email        missing                                                          0    -6.90
match weight -6.90, probability 0.008287
(* u is the name's own frequency: a rare name counts for more)";
    assert_eq!(e.to_string(), expected);
    let sum: f64 = e.prior_weight + e.fields.iter().map(|c| c.weight).sum::<f64>();
    assert!((sum - e.weight).abs() < 1e-9, "the waterfall adds up");
    assert!(
        (fixed_model().weight(&a, &b) - e.weight).abs() < 1e-9,
        "explain and weight agree"
    );
}

/// A small population with typos, plus a second set of noisy copies of some of it.
fn population(n: usize) -> (Vec<Record>, Vec<Record>, Vec<(String, String)>) {
    const FIRST: &[&str] = &[
        "ROBERT", "MARY", "JAMES", "LINDA", "DAVID", "SUSAN", "KAREN", "JOSE", "WEI", "AISHA",
    ];
    const LAST: &[&str] = &[
        "SMITH", "JOHNSON", "GARCIA", "NGUYEN", "OKAFOR", "MILLER", "DAVIS", "LOCKLEAR", "CHAVIS",
        "ROSS",
    ];
    const STREET: &[&str] = &["MAIN ST", "OAK AVE", "PINE RD", "ELM DR", "HILL CT"];
    let mut left = Vec::new();
    let mut right = Vec::new();
    let mut truth = Vec::new();
    let mut x: u64 = 12345;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for i in 0..n {
        let f = FIRST[(next() % 10) as usize];
        let l = LAST[(next() % 10) as usize];
        let dob = format!(
            "{}-{:02}-{:02}",
            1940 + next() % 60,
            1 + next() % 12,
            1 + next() % 28
        );
        let street = format!("{} {}", 1 + next() % 900, STREET[(next() % 5) as usize]);
        let zip = format!("27{:03}", next() % 40);
        left.push(rec(&format!("L{i}"), f, l, &dob, &street, "RALEIGH", &zip));
        if i % 3 == 0 {
            let f2 = if next() % 4 == 0 { &f[..1] } else { f };
            let l2 = if next() % 5 == 0 {
                format!("{}E", l)
            } else {
                l.to_string()
            };
            let dob2 = if next() % 4 == 0 {
                String::new()
            } else {
                dob.clone()
            };
            right.push(rec(
                &format!("R{i}"),
                f2,
                &l2,
                &dob2,
                &street,
                "RALEIGH",
                &zip,
            ));
            truth.push((format!("L{i}"), format!("R{i}")));
        }
    }
    (left, right, truth)
}

fn ids(left: &[Record], right: &[Record], links: &[identity::Link]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = links
        .iter()
        .map(|k| {
            (
                left[k.left as usize].id.clone(),
                right[k.right as usize].id.clone(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn links_are_accurate_and_independent_of_input_order() {
    let (left, right, truth) = population(3_000);
    let (links, model, stats) = link(&left, &right, &LinkSettings::default());
    let found = ids(&left, &right, &links);
    let tp = found.iter().filter(|p| truth.contains(p)).count();
    let precision = tp as f64 / found.len() as f64;
    let recall = tp as f64 / truth.len() as f64;
    assert!(
        precision > 0.97 && recall > 0.95,
        "precision {precision}, recall {recall}, {stats:?}, prior {}",
        model.prior
    );
    // Reversed and rotated inputs give the same links.
    let mut right_rev = right.clone();
    right_rev.reverse();
    let mut left_rot = left.clone();
    left_rot.rotate_left(1_234);
    let (links2, _, _) = link(&left_rot, &right_rev, &LinkSettings::default());
    assert_eq!(found, ids(&left_rot, &right_rev, &links2));
    // An unrelated extra record changes nothing.
    let mut left_more = left.clone();
    left_more.push(rec(
        "ZZ",
        "QUENTIN",
        "ZYLSTRA",
        "1901-01-01",
        "1 NOWHERE LN",
        "BOONE",
        "28607",
    ));
    let (links3, _, _) = link(&left_more, &right, &LinkSettings::default());
    assert_eq!(found, ids(&left_more, &right, &links3));
}

proptest::proptest! {
    #[test]
    fn fast_jaro_winkler_equals_strsim(a in "[A-Z ]{0,20}", b in "[A-Z ]{0,20}") {
        let fast = identity::compare::jaro_winkler(&a, &b);
        let slow = strsim::jaro_winkler(&a, &b);
        proptest::prop_assert!((fast - slow).abs() < 1e-12, "{a:?} {b:?}: {fast} vs {slow}");
    }
}

fn clusters_by_id(records: &[Record], cluster: &[u32]) -> std::collections::BTreeSet<Vec<String>> {
    let mut m: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
    for (r, c) in records.iter().zip(cluster) {
        m.entry(records[*c as usize].id.as_str())
            .or_default()
            .push(r.id.clone());
    }
    m.into_values()
        .map(|mut v| {
            v.sort();
            v
        })
        .collect()
}

/// Households: couples at one address (distinct made-up names), some people written twice
/// with a typo; plus Mary, "M" and Michael Smith at one address.
fn household_population() -> Vec<Record> {
    const SYL: &[&str] = &[
        "KA", "LO", "MIR", "TEV", "SAN", "DU", "BEL", "ROK", "VEN", "TOR", "LIS", "GAR",
    ];
    let name = |i: usize, salt: usize| {
        format!(
            "{}{}{}",
            SYL[i % 12],
            SYL[(i / 12 + salt) % 12],
            SYL[(i * 7 + salt) % 12]
        )
    };
    let mut v = Vec::new();
    for h in 0..150 {
        let last = name(h, 5);
        let street = format!("{} ELM ST", 100 + h);
        let city = ["DURHAM", "RALEIGH", "CARY", "APEX"][h % 4];
        v.push(rec(
            &format!("H{h}a"),
            &name(h, 1),
            &last,
            "",
            &street,
            city,
            &format!("277{:02}", h % 40),
        ));
        v.push(rec(
            &format!("H{h}b"),
            &name(h, 2),
            &last,
            "",
            &street,
            city,
            &format!("277{:02}", h % 40),
        ));
        if h % 3 == 0 {
            // The same person again, with a typo in the last name.
            v.push(rec(
                &format!("H{h}a2"),
                &name(h, 1),
                &format!("{last}S"),
                "",
                &street,
                city,
                &format!("277{:02}", h % 40),
            ));
        }
    }
    // "M" matches both Mary and Michael, but they are two people: no chaining through "M".
    v.push(rec(
        "mary",
        "MARY",
        "SMITH",
        "",
        "9 OAK AVE",
        "DURHAM",
        "27705",
    ));
    v.push(rec("m", "M", "SMITH", "", "9 OAK AVE", "DURHAM", "27705"));
    v.push(rec(
        "michael",
        "MICHAEL",
        "SMITH",
        "",
        "9 OAK AVE",
        "DURHAM",
        "27705",
    ));
    v
}

#[test]
fn dedupe_partitions_and_does_not_chain_a_household() {
    let records = household_population();
    let (cluster, _, _, stats) = identity::dedupe(&records, &LinkSettings::default());
    // A partition: every record has exactly one cluster, named by a member that names itself.
    assert_eq!(cluster.len(), records.len());
    for &c in &cluster {
        assert_eq!(
            cluster[c as usize], c,
            "a cluster's id is one of its members"
        );
    }
    let sets = clusters_by_id(&records, &cluster);
    assert_eq!(sets.iter().map(Vec::len).sum::<usize>(), records.len());
    let of = |id: &str| {
        sets.iter()
            .find(|s| s.iter().any(|x| x == id))
            .unwrap()
            .clone()
    };
    assert_ne!(
        of("mary"),
        of("michael"),
        "no chaining through an initial: {stats:?}"
    );
    assert_ne!(of("H0a"), of("H0b"), "a couple is two people");
    let (_, _, model, _) = identity::dedupe(&records, &LinkSettings::default());
    let a = records.iter().find(|r| r.id == "H0a").unwrap();
    let b = records.iter().find(|r| r.id == "H0a2").unwrap();
    assert_eq!(
        of("H0a"),
        vec!["H0a".to_string(), "H0a2".to_string()],
        "a typo'd duplicate joins its person\n{}",
        model.explain(a, b)
    );
    // The same clusters whatever the order of the input.
    let mut reversed = records.clone();
    reversed.reverse();
    let (cluster2, _, _, _) = identity::dedupe(&reversed, &LinkSettings::default());
    assert_eq!(sets, clusters_by_id(&reversed, &cluster2));
    // An unrelated record splits nothing.
    let mut more = records.clone();
    more.push(rec(
        "zz",
        "QUENTIN",
        "ZYLSTRA",
        "1901-01-01",
        "1 NOWHERE LN",
        "BOONE",
        "28607",
    ));
    let (cluster3, _, _, _) = identity::dedupe(&more, &LinkSettings::default());
    let sets3 = clusters_by_id(&more, &cluster3);
    for s in &sets {
        assert!(sets3.contains(s), "cluster {s:?} kept");
    }
}
