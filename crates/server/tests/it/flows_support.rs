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

/// Every change in the feed, following the cursor as a client would (as `token`).
pub fn all_changes(f: &Fixture, token: &str) -> Vec<serde_json::Value> {
    let rt = rt();
    let mut out = Vec::new();
    let mut cursor = 0;
    loop {
        let page = rt
            .block_on(send(
                &f.app,
                req(
                    "GET",
                    &format!("/api/v1/changes?limit=1000&after={cursor}"),
                    Some(token),
                    None,
                ),
            ))
            .json();
        let changes = page["changes"].as_array().unwrap().clone();
        if changes.is_empty() {
            return out;
        }
        out.extend(changes);
        cursor = page["next_after"].as_i64().unwrap();
    }
}
