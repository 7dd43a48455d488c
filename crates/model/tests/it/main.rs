//! Normalisation: table-driven checks and properties (idempotence, no panics).

use model::normalize::{self, address, email, nickname_groups, parse_full_name, phone};
use model::{Date, NameFields};
use proptest::prelude::*;

fn check_address(input: &str, expected_line: &str) {
    let a = address(input);
    assert_eq!(a.line(), expected_line, "{input:?} -> {a:?}");
}

#[test]
fn addresses_follow_usps_abbreviations() {
    check_address("123 North Main Street", "123 N MAIN ST");
    check_address("123 n. main st.", "123 N MAIN ST");
    check_address("45 Oak Avenue Apartment 4B", "45 OAK AVE APT 4B");
    check_address("45 OAK AVE #4B", "45 OAK AVE # 4B");
    check_address("7 Elm Court Suite 200", "7 ELM CT STE 200");
    check_address("1200 1/2 Hillsborough St", "1200 1/2 HILLSBOROUGH ST");
    check_address("10 Park", "10 PARK");
    check_address("500 West Street", "500 WEST ST");
    check_address(
        "9 Martin Luther King Jr Boulevard West",
        "9 MARTIN LUTHER KING JR BLVD W",
    );
    check_address("PO BOX 12", "PO BOX 12");
    check_address("  ", "");
    let a = address("123 North Main Street Apt 5");
    assert_eq!(
        (
            a.house_number.as_str(),
            a.predir.as_str(),
            a.street.as_str(),
            a.suffix.as_str()
        ),
        ("123", "N", "MAIN", "ST")
    );
    assert_eq!((a.unit_type.as_str(), a.unit.as_str()), ("APT", "5"));
}

#[test]
fn phones_are_ten_digits() {
    assert_eq!(phone("(919) 555-2368").as_deref(), Some("9195552368"));
    assert_eq!(phone("+1 919.555.2368").as_deref(), Some("9195552368"));
    assert_eq!(phone("555-2368"), None, "seven digits is not a full number");
    assert_eq!(
        phone("019 555 2368"),
        None,
        "area codes do not start with 0"
    );
    assert_eq!(phone("919 155 2368"), None, "exchanges do not start with 1");
    assert_eq!(phone(""), None);
}

#[test]
fn emails_lower_case_and_checked() {
    assert_eq!(
        email(" Ann.Lee@Example.ORG ").as_deref(),
        Some("ann.lee@example.org")
    );
    assert_eq!(email("no-at-sign"), None);
    assert_eq!(email("a@b"), None);
    assert_eq!(email("a@@b.org"), None);
    assert_eq!(email("a b@c.org"), None);
}

#[test]
fn names_parse_and_group() {
    let n = parse_full_name("O'BRIEN, WILLIAM J. JR");
    assert_eq!(
        (
            n.last.as_str(),
            n.first.as_str(),
            n.middle.as_str(),
            n.suffix.as_str()
        ),
        ("OBRIEN", "WILLIAM", "J", "JR")
    );
    let n = parse_full_name("Dr. Maria de la Cruz");
    assert_eq!(
        (n.first.as_str(), n.middle.as_str(), n.last.as_str()),
        ("MARIA", "DE LA", "CRUZ")
    );
    let n = parse_full_name("SMITH III, JOHN");
    assert_eq!((n.last.as_str(), n.suffix.as_str()), ("SMITH", "III"));
    assert_eq!(nickname_groups("Bob"), ["ROBERT"]);
    assert_eq!(
        nickname_groups("al"),
        ["ALAN", "ALBERT", "ALEXANDER", "ALFRED"]
    );
    assert_eq!(nickname_groups("Zebulon"), ["ZEBULON"]);
    let f = NameFields::from_parts("Bill", "", "Smith-Jones Jr.", "");
    assert_eq!(
        (f.first_group.as_str(), f.last.as_str(), f.suffix.as_str()),
        ("WILLIAM", "SMITH JONES", "JR")
    );
    assert_eq!(normalize::name("José  Peña"), "JOSE PENA");
}

#[test]
fn dates_in_the_files_formats() {
    let d = Date::new(2024, 11, 5).unwrap();
    for s in [
        "11/05/2024",
        "11/5/2024",
        "2024-11-05",
        "20241105",
        "11052024",
        "2024-11-05 00:00:00",
        "11-05-2024",
    ] {
        assert_eq!(Date::parse(s), Some(d), "{s}");
    }
    assert_eq!(Date::parse_mmddyyyy("11052024"), Some(d));
    for bad in [
        "02/30/2024",
        "13/01/2024",
        "2024-11",
        "",
        "11/05/24",
        "abc",
        "00/00/0000",
    ] {
        assert_eq!(Date::parse(bad), None, "{bad}");
    }
    assert_eq!(Date::parse("02/29/2024").map(|d| d.day), Some(29));
    assert_eq!(Date::parse("02/29/2023"), None);
    assert_eq!(Date::from_days(d.to_days()), d);
    assert_eq!(model::date::timestamp_utc(0), "1970-01-01T00:00:00Z");
}

#[test]
fn verbatim_fields_round_trip() {
    let fields = ["a\tb", "c\\d", "line\nbreak", "", "plain"];
    let joined = model::join_fields(fields);
    assert_eq!(model::split_fields(&joined), fields);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn name_normalisation_is_idempotent(s in "\\PC{0,40}") {
        let once = normalize::name(&s);
        prop_assert_eq!(normalize::name(&once), once.clone());
        let text = normalize::clean_text(&s);
        prop_assert_eq!(normalize::clean_text(&text), text);
    }

    #[test]
    fn address_normalisation_is_idempotent(s in "[0-9]{0,5}( [A-Za-z#.]{1,12}){0,6}( (Apt|Suite|#) ?[0-9A-Z]{1,4})?") {
        let once = address(&s).line();
        prop_assert_eq!(address(&once).line(), once);
    }

    #[test]
    fn address_never_panics(s in "\\PC{0,80}") {
        let _ = address(&s).line();
    }

    #[test]
    fn phone_and_email_are_idempotent(s in "\\PC{0,30}") {
        if let Some(p) = phone(&s) {
            prop_assert_eq!(phone(&p), Some(p.clone()));
            prop_assert_eq!(p.len(), 10);
        }
        if let Some(e) = email(&s) {
            prop_assert_eq!(email(&e), Some(e.clone()));
        }
    }

    #[test]
    fn full_names_parse_without_panics_and_settle(s in "\\PC{0,40}") {
        let n = parse_full_name(&s);
        // Normalised parts are already normal.
        for part in [&n.first, &n.middle, &n.last] {
            prop_assert_eq!(&normalize::name(part), part);
        }
    }

    #[test]
    fn dates_round_trip(days in -40_000i64..80_000) {
        let d = Date::from_days(days);
        prop_assert_eq!(d.to_days(), days);
        if let Some(parsed) = Date::parse(&d.to_string()) {
            prop_assert_eq!(parsed, d);
        }
    }

    #[test]
    fn verbatim_round_trip(fields in proptest::collection::vec("\\PC{0,10}", 1..8)) {
        let joined = model::join_fields(fields.iter().map(String::as_str));
        prop_assert_eq!(model::split_fields(&joined), fields);
    }
}
