//! Tusk's trip planner engine (PRODUCT.md C7), no IO: rides as a pickup-and-delivery
//! problem with time windows (`pdptw`: instances, solutions, the checker, the Li & Lim
//! benchmark reader) solved by adaptive large neighbourhood search (`alns`); the campaign's
//! matcher (`plan`: travellers placed at field offices with a ride and a bed, where offices
//! need people); distances (`geo`: great circle times a road factor).

pub mod alns;
pub mod geo;
pub mod pdptw;
pub mod plan;

pub use alns::{solve, Params};
pub use pdptw::{check, parse_li_lim, Instance, Solution, Stop};
