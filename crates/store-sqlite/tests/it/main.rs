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
