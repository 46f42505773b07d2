//! The rules of ratings as pure functions: scores and summaries, and the arithmetic of
//! assessment and pay.

pub mod assessment;
pub mod summary;
