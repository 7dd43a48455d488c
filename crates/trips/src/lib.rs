//! Tusk's trip planner engine (PRODUCT.md C7), no IO: rides as a pickup-and-delivery
//! problem with time windows (`pdptw`: instances, solutions, the checker, the Li & Lim
//! benchmark reader) solved by adaptive large neighbourhood search (`alns`).

pub mod alns;
pub mod pdptw;

pub use alns::{solve, Params};
pub use pdptw::{check, parse_li_lim, Instance, Solution, Stop};
