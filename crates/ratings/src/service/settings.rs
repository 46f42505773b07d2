//! The rules a deployment may tune.

use chrono::Duration;

use crate::domain::assessment::{PayRules, Weights};
use crate::domain::summary::Prior;

/// Configurable rules; the gateway's settings module documents each default.
#[derive(Debug, Clone)]
pub struct RatingSettings {
    pub prior: Prior,
    pub weights: Weights,
    pub pay: PayRules,
    /// How long an author may edit a rating.
    pub edit_window: Duration,
}

impl Default for RatingSettings {
    fn default() -> Self {
        Self {
            prior: Prior::default(),
            weights: Weights::default(),
            pay: PayRules::default(),
            edit_window: Duration::days(7),
        }
    }
}
