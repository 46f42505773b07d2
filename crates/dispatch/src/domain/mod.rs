//! The dispatch rules as pure functions over plain types: travel estimates, the route planner
//! and the feasibility check every plan must pass, and the Solomon benchmark reader.

pub mod feasibility;
pub mod planner;
pub mod solomon;
pub mod travel;
