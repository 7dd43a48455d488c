//! Readers: properties over arbitrary input (they never panic, and every row is accounted
//! for) and layout checks.

use ingest::{Kind, Mapping, Reader};
use proptest::prelude::*;

fn mapping() -> Mapping {
    Mapping::parse(
        "entity = \"contacts\"\nsource = \"s\"\nowner = \"o\"\n[columns]\nfirst_name = \"a\"\nphone = \"b\"\n",
    )
    .unwrap()
}

/// Reads everything; checks row numbers increase by one and each row has records or a reason.
fn drain(kind: Kind, bytes: &[u8]) {
    let m = mapping();
    let Ok(reader) = Reader::open(kind, Some(&m), bytes) else {
        return;
    };
    let mut last = 0;
    for row in reader {
        let Ok(row) = row else { return };
        assert!(row.row_number > last, "row numbers increase");
        last = row.row_number;
        match row.result {
            Ok(recs) => assert!(!recs.is_empty()),
            Err(reason) => assert!(!reason.is_empty()),
        }
    }
}

fn header(kind: Kind) -> Vec<u8> {
    match kind {
        Kind::NcVoter => ingest::formats::ncvoter::LAYOUT_67.join("\t").into_bytes(),
        Kind::NcVhis => ingest::formats::ncvhis::LAYOUT.join("\t").into_bytes(),
        Kind::NcAbsentee => ingest::formats::absentee::REQUIRED.join(",").into_bytes(),
        Kind::Ohio => {
            let mut h = ingest::formats::ohio::CORE.join(",");
            h.push_str(",GENERAL-11/08/2016");
            h.into_bytes()
        }
        Kind::Fec => Vec::new(),
        Kind::Csv => b"a,b".to_vec(),
        Kind::Vcard => b"BEGIN:VCARD\nVERSION:3.0\nFN:A B".to_vec(),
        Kind::Canvass => ingest::formats::field::CANVASS_REQUIRED
            .join(",")
            .into_bytes(),
        Kind::Experiment => ingest::formats::field::EXPERIMENT_REQUIRED
            .join(",")
            .into_bytes(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn readers_never_panic_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        for kind in Kind::ALL {
            drain(kind, &bytes);
        }
    }

    #[test]
    fn readers_never_panic_after_a_valid_header(
        body in proptest::collection::vec(
            prop_oneof![Just(b'\t'), Just(b','), Just(b'|'), Just(b'\n'), Just(b'"'), Just(b'/'), any::<u8>(), b'0'..=b'9'],
            0..3000,
        )
    ) {
        for kind in Kind::ALL {
            let mut bytes = header(kind);
            bytes.push(b'\n');
            bytes.extend_from_slice(&body);
            drain(kind, &bytes);
        }
    }
}

#[test]
fn layouts_have_their_documented_widths() {
    assert_eq!(ingest::formats::ncvoter::LAYOUT_67.len(), 67);
    assert_eq!(ingest::formats::ncvoter::LAYOUT_71.len(), 71);
    assert_eq!(ingest::formats::ncvhis::LAYOUT.len(), 15);
    assert_eq!(ingest::formats::fec::COLUMNS.len(), 21);
}

#[test]
fn fec_amounts_parse_exactly() {
    use ingest::formats::fec::amount_cents;
    assert_eq!(amount_cents("250"), Some(25_000));
    assert_eq!(amount_cents("100.5"), Some(10_050));
    assert_eq!(amount_cents("-1000.00"), Some(-100_000));
    assert_eq!(amount_cents(".99"), Some(99));
    for bad in ["", "-", "1.234", "12x", "1,000", "99999999999999"] {
        assert_eq!(amount_cents(bad), None, "{bad}");
    }
}

#[test]
fn mapping_errors_name_the_problem() {
    let err =
        Mapping::parse("entity = \"volunteers\"\nsource = \"s\"\n[columns]\nfirst = \"First\"\n")
            .unwrap_err();
    assert!(
        err.to_string()
            .contains("unknown fields in [columns]: first"),
        "{err}"
    );
    let err =
        Mapping::parse("entity = \"voters\"\nsource = \"pa\"\n[columns]\nlast_name = \"L\"\n")
            .unwrap_err();
    assert!(
        err.to_string().contains("voters need columns.voter_id"),
        "{err}"
    );
    let err = Mapping::parse("entity = \"donors\"\nsource = \"s\"\n[columns]\n").unwrap_err();
    assert!(
        err.to_string().contains("unknown variant `donors`"),
        "{err}"
    );
    let err = Mapping::parse("entity = \"contacts\"\nsource = \"a b\"\n[columns]\nemail = \"E\"\n")
        .unwrap_err();
    assert!(err.to_string().contains("source 'a b'"), "{err}");
}

#[test]
fn a_row_with_a_stray_quote_is_rejected_not_fatal() {
    let mut file = ingest::formats::ncvhis::LAYOUT.join("\t");
    file.push('\n');
    let good =
        "92\tWAKE\t1\t11/05/2024\t11/05/2024 GENERAL\tIN-PERSON\tDEM\tD\tP\tP\tA1\t92\tWAKE\tV\tV";
    file.push_str(&good.replace("A1", "A\"1"));
    file.push('\n');
    file.push_str(good);
    file.push('\n');
    let rows: Vec<_> = Reader::open(Kind::NcVhis, None, file.as_bytes())
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert!(
        rows.iter().any(|r| r.result.is_ok()),
        "the good row is read"
    );
}

#[test]
fn field_results_read_and_bad_rows_name_their_column() {
    use model::Record;
    let canvass = b"result_id,ncid,date,contact_type,result,support_id,canvasser\n\
1,AA1,2026-09-12,door,Contacted,2,vol-1\n\
2,AA2,2026-09-12,door,Not Home,,vol-1\n\
3,AA3,2026-09-12,door,Contacted,7,vol-2\n\
4,AA4,2026-09-12,door,Not Home,3,vol-2\n";
    let rows: Vec<_> = Reader::open(Kind::Canvass, None, &canvass[..])
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(rows.len(), 4);
    let first = rows[0].result.as_ref().unwrap();
    let Record::FieldResult(r) = &first[0].record else {
        panic!("not a field result: {first:?}")
    };
    assert_eq!((r.voter_id.as_str(), r.support_id), ("AA1", Some(2)));
    assert_eq!(r.result, "Contacted");
    assert!(rows[1].result.is_ok());
    let e = rows[2].result.as_ref().unwrap_err();
    assert!(e.contains("support_id '7'"), "{e}");
    let e = rows[3].result.as_ref().unwrap_err();
    assert!(e.contains("only a Contacted result"), "{e}");

    let exp = b"row_id,ncid,group,contacted_on,support_after\n\
1,AA1,treatment,2026-09-20,2\n\
2,AA2,control,,\n\
3,AA3,placebo,,1\n";
    let rows: Vec<_> = Reader::open(Kind::Experiment, None, &exp[..])
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    let Record::FieldResult(r) = &rows[1].result.as_ref().unwrap()[0].record else {
        panic!()
    };
    assert_eq!(
        (r.experiment_group.as_str(), r.support_id),
        ("control", None)
    );
    let e = rows[2].result.as_ref().unwrap_err();
    assert!(e.contains("'placebo'"), "{e}");

    let Err(e) = Reader::open(Kind::Experiment, None, &canvass[..]) else {
        panic!("a canvass file read as an experiment")
    };
    assert!(e.to_string().contains("row_id"), "{e}");
}
