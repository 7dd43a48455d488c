//! The server over HTTP requests (the real router, `oneshot`), on a real store: the
//! authorisation matrix over every route and role, region isolation on both backends,
//! sign-in with two factors and CSRF, limits, the OpenAPI document.

mod browser;
mod browser_support;
mod feed;
mod fixture;
mod flows;
mod flows_support;
mod groups;
mod loads;
mod matrix;
mod models;
mod overview;
mod resolve;
mod review;
mod schemas;
mod sharing;
mod signup;
mod teams;
mod trips;
mod turnout;
mod universes;
mod webhooks;
