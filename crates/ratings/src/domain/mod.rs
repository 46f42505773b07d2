//! The rules of ratings as pure functions: scores and summaries, the period an assessment
//! covers, and the arithmetic of assessment and pay.

pub mod assessment;
pub mod period;
pub mod summary;
