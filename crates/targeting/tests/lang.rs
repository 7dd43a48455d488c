//! The universe language: golden parse/explain outputs, errors with positions, and counts
//! equal to the members they select (property test against a plain row-by-row evaluation).

use proptest::prelude::*;
use targeting::{count, plan, Bitmap, CategoryBuilder, Column, People};

fn people() -> People {
    let n = 1_000;
    let mut p = People {
        ids: (1..=n as i64).collect(),
        ..People::default()
    };
    let counties = ["WAKE", "DURHAM", "ORANGE", "MECKLENBURG"];
    let parties = ["DEM", "REP", "UNA", ""];
    let mut county = CategoryBuilder::new();
    let mut party = CategoryBuilder::new();
    for i in 0..n {
        county.push(counties[i % 4]);
        party.push(parties[(i / 4) % 4]);
    }
    p.add("county", county.finish().0);
    p.add("party", party.finish().0);
    p.add(
        "support",
        Column::Number(
            (0..n)
                .map(|i| {
                    if i % 10 == 9 {
                        f32::NAN
                    } else {
                        (i % 100) as f32 / 100.0
                    }
                })
                .collect(),
        ),
    );
    p.add(
        "age",
        Column::Number((0..n).map(|i| 18.0 + (i % 70) as f32).collect()),
    );
    p.add(
        "volunteer",
        Column::Flag(Bitmap::from_fn(n, |i| i % 7 == 0)),
    );
    let d = model::Date::parse("2026-11-03").unwrap();
    p.voted.insert(d, Bitmap::from_fn(n, |i| i % 2 == 0));
    p.tags.insert("hot".into(), Bitmap::from_fn(n, |i| i < 10));
    p.sources.insert("support".into(), "model 3".into());
    p
}

#[test]
fn golden_explain() {
    let p = people();
    let e = r#"county in ("wake", "DURHAM") and support >= 0.6 and age between 30 and 50
               and not voted(2026-11-03) or tagged("hot") or party = "LIB""#;
    let got = plan(&p, e).unwrap().explain(&p);
    let want = r#"any of:
  all of:
    county in ("WAKE", "DURHAM") [category]
    support >= 0.6 [number from model 3; unknown values never match]
    age >= 30 and age <= 50 [number; unknown values never match]
    not:
      voted on 2026-11-03 [vote history or a counted ballot]
  tagged "hot"
  party in ("LIB") [category] — no one has LIB
"#;
    assert_eq!(got, want, "\n{got}");
}

#[test]
fn errors_point_at_the_position() {
    let p = people();
    let cases: &[(&str, usize, &str)] = &[
        ("county = \"WAKE\" and", 19, "expected a field"),
        ("cuonty = \"WAKE\"", 0, "did you mean 'county'"),
        ("county > \"WAKE\"", 0, "is a category"),
        ("support >= \"high\"", 11, "is a number"),
        ("support between 0.7 and 0.2", 16, "above the high bound"),
        ("county in (\"WAKE\" \"DURHAM\")", 18, "',' or ')'"),
        ("(county = \"WAKE\"", 16, "expected ')'"),
        ("voted(\"yesterday\")", 6, "election date"),
        ("volunteer = 1", 0, "yes/no"),
        ("county = \"WAKE", 9, "no closing"),
        ("age > 2026-13-45", 6, "not a date"),
        (
            "county = \"WAKE\" DURHAM",
            16,
            "expected 'and', 'or' or the end",
        ),
        ("age ~ 3", 4, "unexpected '~'"),
        ("", 0, "empty"),
        ("frobnicate(1)", 0, "unknown function"),
    ];
    for (expr, at, words) in cases {
        let e = plan(&p, expr).expect_err(expr);
        assert_eq!(e.at, *at, "{expr}: {}", e.show(expr));
        assert!(e.message.contains(words), "{expr}: {}", e.message);
    }
    let e = plan(&p, "cuonty = 1").unwrap_err();
    assert_eq!(
        e.show("cuonty = 1").lines().nth(1).unwrap(),
        "^ at 0: unknown field 'cuonty' (did you mean 'county'?): fields are age, county, party, support, volunteer, and voted(DATE), tagged(\"name\"), listed(\"name\")"
    );
}

#[test]
fn breakdowns_add_up_to_the_count() {
    let p = people();
    let (c, sel) = count(&p, "support >= 0.5", &["county", "party"]).unwrap();
    assert_eq!(c.total, 1_000);
    assert_eq!(c.count, sel.count());
    for (_, rows) in &c.breakdowns {
        assert_eq!(rows.iter().map(|r| r.1).sum::<u64>(), c.count);
    }
    assert!(c.breakdowns[1].1.iter().any(|r| r.0 == "(unknown)"));
    assert!(
        count(&p, "", &["support"]).is_err(),
        "numbers are not broken down"
    );
    assert_eq!(count(&p, "", &[]).unwrap().0.count, 1_000);
}

/// A plain row-by-row reading of the same conditions, to check the bitmaps against.
fn by_row(p: &People, i: usize, c: &Cond) -> bool {
    let num = |f: &str| match &p.columns[f] {
        Column::Number(v) => v[i],
        _ => unreachable!(),
    };
    let cat = |f: &str| match &p.columns[f] {
        Column::Category { codes, dict } => dict[codes[i] as usize].clone(),
        _ => unreachable!(),
    };
    match c {
        Cond::County(v) => v.iter().any(|x| *x == cat("county")),
        Cond::SupportGe(x) => num("support") >= *x as f32,
        Cond::AgeBetween(a, b) => num("age") >= *a as f32 && num("age") <= *b as f32,
        Cond::Volunteer => i % 7 == 0,
        Cond::Voted => i % 2 == 0,
        Cond::Not(x) => !by_row(p, i, x),
        Cond::And(a, b) => by_row(p, i, a) && by_row(p, i, b),
        Cond::Or(a, b) => by_row(p, i, a) || by_row(p, i, b),
    }
}

#[derive(Debug, Clone)]
enum Cond {
    County(Vec<String>),
    SupportGe(f64),
    AgeBetween(u8, u8),
    Volunteer,
    Voted,
    Not(Box<Cond>),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
}

fn text(c: &Cond) -> String {
    match c {
        Cond::County(v) => format!(
            "county in ({})",
            v.iter()
                .map(|x| format!("\"{x}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Cond::SupportGe(x) => format!("support >= {x}"),
        Cond::AgeBetween(a, b) => format!("age between {} and {}", a.min(b), a.max(b)),
        Cond::Volunteer => "volunteer".into(),
        Cond::Voted => "voted(2026-11-03)".into(),
        Cond::Not(x) => format!("not ({})", text(x)),
        Cond::And(a, b) => format!("({}) and ({})", text(a), text(b)),
        Cond::Or(a, b) => format!("({}) or ({})", text(a), text(b)),
    }
}

fn cond() -> impl Strategy<Value = Cond> {
    let leaf = prop_oneof![
        proptest::sample::subsequence(vec!["WAKE", "DURHAM", "ORANGE", "NASH"], 1..3)
            .prop_map(|v| Cond::County(v.into_iter().map(String::from).collect())),
        (0u8..=100).prop_map(|x| Cond::SupportGe(f64::from(x) / 100.0)),
        (18u8..90, 18u8..90).prop_map(|(a, b)| Cond::AgeBetween(a.min(b), a.max(b))),
        Just(Cond::Volunteer),
        Just(Cond::Voted),
    ];
    leaf.prop_recursive(4, 16, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|x| Cond::Not(Box::new(x))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Cond::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner).prop_map(|(a, b)| Cond::Or(Box::new(a), Box::new(b))),
        ]
    })
}

proptest! {
    #[test]
    fn a_count_is_the_number_of_members_it_selects(c in cond()) {
        let p = people();
        let expr = text(&c);
        let (counted, selected) = count(&p, &expr, &[]).unwrap();
        let members: Vec<usize> = selected.ones().collect();
        prop_assert_eq!(counted.count as usize, members.len());
        let want: Vec<usize> = (0..p.len()).filter(|&i| by_row(&p, i, &c)).collect();
        prop_assert_eq!(members, want, "{}", expr);
    }
}

#[test]
fn goal_templates_are_valid_expressions_over_the_full_field_set() {
    use targeting::goals::{expression, Goal, GoalParams};
    let mut p = people();
    let n = p.len();
    for f in [
        "registered",
        "contact",
        "gave",
        "do_not_contact",
        "volunteer_household",
        "maxed_out",
    ] {
        p.add(f, Column::Flag(Bitmap::from_fn(n, |i| i % 3 == 0)));
    }
    let mut state = CategoryBuilder::new();
    for _ in 0..n {
        state.push("NC");
    }
    p.add("state", state.finish().0);
    for f in ["turnout", "persuasion", "expected_value"] {
        p.add(
            f,
            Column::Number((0..n).map(|i| (i % 10) as f32 / 10.0 * 8.0).collect()),
        );
    }
    let params = GoalParams {
        election: model::Date::parse("2026-11-03").unwrap(),
        state: "nc".into(),
    };
    for g in Goal::ALL {
        let e = expression(g, &params);
        let pl = plan(&p, &e).unwrap_or_else(|err| panic!("{g:?}: {}", err.show(&e)));
        assert!(
            pl.explain(&p).contains("do_not_contact"),
            "{g:?} leaves out do-not-contact"
        );
        assert_eq!(Goal::parse(g.name()), Some(g));
    }
}
