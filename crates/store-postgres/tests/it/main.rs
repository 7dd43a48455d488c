//! The storage conformance suite on PostgreSQL: a fresh database per check on the server that
//! `scripts/test.sh` starts (`TUSK_TEST_POSTGRES_URL`).

fn fresh() -> Option<Box<dyn store::Store>> {
    store_postgres::test_store().map(|s| Box::new(s) as Box<dyn store::Store>)
}

store::conformance_tests!(fresh());

#[test]
fn reconnecting_keeps_schema_and_data() {
    use store::Store;
    let Some(url) = store_postgres::test_database_url() else {
        return;
    };
    {
        let mut s = store_postgres::PostgresStore::connect(&url).unwrap();
        store::conformance::new_unchanged_updated(&mut s);
    }
    let mut s = store_postgres::PostgresStore::connect(&url).unwrap();
    assert_eq!(s.loads().unwrap().len(), 2);
    assert_eq!(s.count(store::Table::Voters).unwrap(), 2);
}
