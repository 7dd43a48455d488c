//! Helpers shared by flow tests.

use crate::fixture::*;

/// A person as the admin reads them through the API.
pub fn person_json(f: &Fixture, id: i64) -> serde_json::Value {
    let rt = rt();
    rt.block_on(send(
        &f.app,
        req(
            "GET",
            &format!("/api/v1/people/{id}"),
            Some(&f.tokens["admin"]),
            None,
        ),
    ))
    .json()
}
