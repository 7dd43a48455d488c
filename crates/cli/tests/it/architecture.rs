//! Architecture invariants (ARCHITECTURE.md), checked over `cargo metadata`: which crate may
//! depend on what.

use std::collections::BTreeMap;
use std::process::Command;

/// Normal (non-dev) dependencies of every workspace crate.
fn dependencies() -> BTreeMap<String, Vec<String>> {
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut map = BTreeMap::new();
    for p in meta["packages"].as_array().unwrap() {
        let deps = p["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["kind"].is_null())
            .map(|d| d["name"].as_str().unwrap().to_string())
            .collect();
        map.insert(p["name"].as_str().unwrap().to_string(), deps);
    }
    map
}

const DRIVERS: &[&str] = &["rusqlite", "postgres", "tokio-postgres", "sqlx"];
const RUNTIME_AND_HTTP: &[&str] = &["tokio", "axum", "hyper", "tower", "reqwest"];
const BINARY_ONLY: &[&str] = &[
    "clap",
    "indicatif",
    "tracing-subscriber",
    "mimalloc",
    "anyhow",
];

#[test]
fn engines_do_no_io_and_only_backends_know_sql() {
    let deps = dependencies();
    for (krate, list) in &deps {
        let has = |names: &[&str]| {
            list.iter()
                .filter(|d| names.contains(&d.as_str()))
                .cloned()
                .collect::<Vec<_>>()
        };
        if krate != "store-sqlite" && krate != "store-postgres" {
            assert!(
                has(DRIVERS).is_empty(),
                "{krate} depends on a database driver: {:?}",
                has(DRIVERS)
            );
        }
        if [
            "model",
            "ingest",
            "identity",
            "scores",
            "targeting",
            "trips",
            "store",
            "testkit",
            "auth",
            "app",
        ]
        .contains(&krate.as_str())
        {
            assert!(
                has(RUNTIME_AND_HTTP).is_empty(),
                "{krate} depends on {:?}",
                has(RUNTIME_AND_HTTP)
            );
        }
        if krate != "cli" {
            assert!(
                has(BINARY_ONLY).is_empty(),
                "{krate} depends on binary-only crates {:?}",
                has(BINARY_ONLY)
            );
        }
    }
    let of = |k: &str| {
        deps.get(k)
            .unwrap_or_else(|| panic!("crate {k} in the workspace"))
    };
    assert!(of("store-sqlite").contains(&"rusqlite".to_string()));
    assert!(!of("store-sqlite").contains(&"postgres".to_string()));
    assert!(of("store-postgres").contains(&"postgres".to_string()));
    assert!(!of("store-postgres").contains(&"rusqlite".to_string()));
    // Only the server speaks HTTP; use cases stay callable from the CLI and tests alike.
    for k in deps.keys().filter(|k| *k != "server" && *k != "cli") {
        assert!(
            !of(k)
                .iter()
                .any(|d| d == "axum" || d == "askama" || d == "utoipa"),
            "{k} must not depend on the web stack"
        );
    }
    assert!(
        !of("auth").iter().any(|d| d.starts_with("store")),
        "auth knows no store"
    );
    for engine in [
        "model",
        "ingest",
        "identity",
        "scores",
        "targeting",
        "trips",
        "auth",
    ] {
        assert!(
            !of(engine).iter().any(|d| d.starts_with("store")),
            "{engine} must not know the store"
        );
    }
    assert!(
        !of("model").contains(&"ingest".to_string()),
        "dependencies point one way"
    );
}
