//! Dispatch of the mobile mediation vans ("流动调解车"): home visits, vans and shifts, route
//! planning with `vrp-core`, live status and ETAs.

pub mod domain;

pub use domain::solomon::solve_file as solve_vrptw;
