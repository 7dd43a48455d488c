//! The storage conformance suite on the SQLite backend (a fresh in-memory database per check),
//! plus file-backed behaviour.

fn fresh() -> Option<Box<dyn store::Store>> {
    Some(Box::new(
        store_sqlite::SqliteStore::in_memory().expect("open in-memory store"),
    ))
}

store::conformance_tests!(fresh());

#[test]
fn file_store_persists_and_reopens() {
    use store::Store;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/tusk.db");
    {
        let mut s = store_sqlite::SqliteStore::open(&path).unwrap();
        store::conformance::new_unchanged_updated(&mut s);
    }
    let mut s = store_sqlite::SqliteStore::open(&path).unwrap();
    assert_eq!(s.loads().unwrap().len(), 2);
    assert_eq!(s.count(store::Table::Voters).unwrap(), 2);
}

/// A load into an empty table drops its secondary indexes for the bulk insert and builds them
/// again at commit; a load that does not commit leaves them as they were.
#[test]
fn bulk_loads_rebuild_indexes_and_rollbacks_keep_them() {
    use store::sql::RowExt;
    use store::Store;
    let mut s = store_sqlite::SqliteStore::in_memory().unwrap();
    let indexes = |s: &mut store_sqlite::SqliteStore| -> Vec<String> {
        s.sql()
            .query(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'voters' ORDER BY name",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| r.text(0).unwrap())
            .collect()
    };
    let before = indexes(&mut s);
    assert!(before.iter().any(|n| n == "voters_name"), "{before:?}");
    let row =
        store::conformance::voter_row(&store::conformance::voter("V1", "1", "DOE", "1 MAIN ST"), 1);
    {
        let mut load = s.begin_load(&store::conformance::meta("ncvoter")).unwrap();
        load.apply(store::Table::Voters, std::slice::from_ref(&row))
            .unwrap();
        // Dropped without commit: rolled back.
    }
    assert_eq!(
        indexes(&mut s),
        before,
        "a rolled-back load keeps the indexes"
    );
    let mut load = s.begin_load(&store::conformance::meta("ncvoter")).unwrap();
    load.apply(store::Table::Voters, std::slice::from_ref(&row))
        .unwrap();
    let counts = store::LoadCounts {
        read: 1,
        accepted: 1,
        new: 1,
        ..Default::default()
    };
    load.commit(&store::LoadEnd {
        counts,
        finished_at: "2026-01-01T00:00:01Z".into(),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(indexes(&mut s), before, "rebuilt at commit");
    let plan = s
        .sql()
        .query(
            "EXPLAIN QUERY PLAN SELECT person_id FROM voters WHERE last_name = 'DOE'",
            &[],
        )
        .unwrap();
    assert!(format!("{plan:?}").contains("voters_name"), "{plan:?}");
}
