//! Tusk's use cases, over any `store::Store` backend. Plain request/response structs; no
//! HTTP, no terminal. The CLI (and later the API) call these.

pub mod accounts;
pub mod allocate;
mod csv_file;
pub mod field;
pub mod geo;
pub mod goals;
pub mod groups;
pub mod health;
pub mod import;
pub mod linkage;
pub mod lists;
pub mod people;
pub mod people_csv;
pub mod resolve;
pub mod retention;
pub mod review;
pub mod scores;
pub mod sharing;
pub mod signup;
pub mod teams;
pub mod trips;
pub mod turfs;
pub mod turnout;
pub mod universes;
mod values;

pub use import::{
    import_bytes, import_file, read_mapping, rejects_preview, ImportError, ImportOptions,
    ImportReport, NoProgress, Progress,
};
