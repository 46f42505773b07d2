//! A mediator's assessment for a period: inputs -> a score by configurable weights -> a level
//! recommendation -> pay lines (base wage, level wage, rewards instead of subsidy), each with
//! an explanation naming its inputs and the rule used.

use super::summary::{Prior, bayesian_mean};

/// What the period's record says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Inputs {
    pub sessions_held: i64,
    pub settled: i64,
    pub no_shows: i64,
    /// Sessions held as a think-tank expert.
    pub think_tank_sessions: i64,
    pub ratings_count: i64,
    pub ratings_sum: i64,
    pub hidden_ratings: i64,
    /// Visible ratings with an overall score of 1 or 2.
    pub complaints: i64,
    pub current_level: i32,
    /// Of `sessions_held`, the home visits the mediator crewed.
    pub home_visits_held: i64,
    /// The driving to those visits, in seconds: shown, not scored or paid.
    pub home_visit_travel_secs: i64,
    /// Mediation agreements of the mediator's sessions signed in the period with a follow-up
    /// answer, and of those the ones whose latest answer is KEPT.
    pub agreements_followed_up: i64,
    pub agreements_kept: i64,
}

impl Inputs {
    pub fn settlement_rate(&self) -> f64 {
        if self.sessions_held == 0 { 0.0 } else { self.settled as f64 / self.sessions_held as f64 }
    }

    /// The share of followed-up agreements that were kept; 0 when none was followed up.
    pub fn agreement_kept_rate(&self) -> f64 {
        if self.agreements_followed_up == 0 {
            0.0
        } else {
            self.agreements_kept as f64 / self.agreements_followed_up as f64
        }
    }
}

/// How the score is made; configurable.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights {
    pub settlement: f64,
    pub rating: f64,
    pub volume: f64,
    /// Of the share of followed-up agreements kept. 0 by default, so that the share is shown
    /// and explained without changing score or pay until the district decides to weigh it.
    pub agreement_kept: f64,
    /// Sessions a month that count as a full workload.
    pub volume_target_per_month: f64,
    /// Points off per complaint and per no-show.
    pub complaint_penalty: f64,
    pub no_show_penalty: f64,
    /// Scores at or above this recommend a level up; below `demote_below`, a level down.
    pub promote_at: f64,
    pub demote_below: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Self {
            settlement: 0.4,
            rating: 0.4,
            volume: 0.2,
            agreement_kept: 0.0,
            volume_target_per_month: 20.0,
            complaint_penalty: 5.0,
            no_show_penalty: 1.0,
            promote_at: 85.0,
            demote_below: 50.0,
        }
    }
}

/// Pay in yuan; configurable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayRules {
    pub base_monthly: i64,
    pub per_level_monthly: i64,
    pub per_settled_case: i64,
    pub per_think_tank_session: i64,
    pub rating_bonus: i64,
    /// The Bayesian mean (in hundredths) and ratings count the bonus needs.
    pub rating_bonus_threshold_centi: i64,
    pub rating_bonus_min_count: i64,
}

impl Default for PayRules {
    fn default() -> Self {
        Self {
            base_monthly: 3000,
            per_level_monthly: 400,
            per_settled_case: 100,
            per_think_tank_session: 200,
            rating_bonus: 500,
            rating_bonus_threshold_centi: 450,
            rating_bonus_min_count: 5,
        }
    }
}

/// What a pay line pays for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PayKind {
    /// The monthly base wage.
    Base,
    /// The monthly wage of the mediator's level.
    Level,
    /// The reward per settled case.
    RewardSettled,
    /// The reward per think-tank session.
    RewardThinkTank,
    /// The bonus for a high Bayesian mean over enough ratings.
    RewardRating,
}

impl PayKind {
    /// The name on the wire and in the payroll export.
    pub fn as_str(self) -> &'static str {
        match self {
            PayKind::Base => "BASE",
            PayKind::Level => "LEVEL",
            PayKind::RewardSettled => "REWARD_SETTLED",
            PayKind::RewardThinkTank => "REWARD_THINK_TANK",
            PayKind::RewardRating => "REWARD_RATING",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayLine {
    pub kind: PayKind,
    pub amount_yuan: i64,
    pub explanation: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub score: f64,
    pub level: i32,
    pub bayesian_mean: f64,
    pub lines: Vec<PayLine>,
    pub explanation: String,
}

impl Outcome {
    pub fn total_yuan(&self) -> i64 {
        self.lines.iter().map(|l| l.amount_yuan).sum()
    }
}

/// The assessment of `months` months (1 for a month, 3 for a quarter).
pub fn assess(inputs: &Inputs, months: i64, weights: &Weights, pay: &PayRules, prior: Prior) -> Outcome {
    let bayes = bayesian_mean(inputs.ratings_sum, inputs.ratings_count, prior);
    let rate = inputs.settlement_rate();
    let volume = (inputs.sessions_held as f64 / (weights.volume_target_per_month * months as f64)).min(1.0);
    let kept = inputs.agreement_kept_rate();
    let raw = 100.0
        * (weights.settlement * rate
            + weights.rating * (bayes - 1.0) / 4.0
            + weights.volume * volume
            + weights.agreement_kept * kept)
        - weights.complaint_penalty * inputs.complaints as f64
        - weights.no_show_penalty * inputs.no_shows as f64;
    let score = (raw.clamp(0.0, 100.0) * 10.0).round() / 10.0;
    let current = inputs.current_level.clamp(1, 5);
    let level = if score >= weights.promote_at {
        (current + 1).min(5)
    } else if score < weights.demote_below {
        (current - 1).max(1)
    } else {
        current
    };
    let explanation = format!(
        "score = 100 × ({:.2} × settlement rate {:.2} + {:.2} × (Bayesian mean {:.2} − 1) / 4 + {:.2} × workload {:.2} \
         [{} sessions / {} target] + {:.2} × agreements kept {:.2} [{} of {} followed up]) − {} × {} complaints \
         − {} × {} no-shows = {:.1}; level {} → {} (up at {} or more, down below {})",
        weights.settlement,
        rate,
        weights.rating,
        bayes,
        weights.volume,
        volume,
        inputs.sessions_held,
        weights.volume_target_per_month * months as f64,
        weights.agreement_kept,
        kept,
        inputs.agreements_kept,
        inputs.agreements_followed_up,
        weights.complaint_penalty,
        inputs.complaints,
        weights.no_show_penalty,
        inputs.no_shows,
        score,
        current,
        level,
        weights.promote_at,
        weights.demote_below,
    );

    let mut lines = vec![
        PayLine {
            kind: PayKind::Base,
            amount_yuan: pay.base_monthly * months,
            explanation: format!("base wage: {} yuan a month × {months} month(s)", pay.base_monthly),
        },
        PayLine {
            kind: PayKind::Level,
            amount_yuan: pay.per_level_monthly * i64::from(current) * months,
            explanation: format!(
                "level wage: level {current} × {} yuan a month × {months} month(s)",
                pay.per_level_monthly
            ),
        },
        PayLine {
            kind: PayKind::RewardSettled,
            amount_yuan: pay.per_settled_case * inputs.settled,
            explanation: format!("reward: {} settled case(s) × {} yuan", inputs.settled, pay.per_settled_case),
        },
    ];
    if inputs.think_tank_sessions > 0 {
        lines.push(PayLine {
            kind: PayKind::RewardThinkTank,
            amount_yuan: pay.per_think_tank_session * inputs.think_tank_sessions,
            explanation: format!(
                "reward: {} think-tank session(s) × {} yuan",
                inputs.think_tank_sessions, pay.per_think_tank_session
            ),
        });
    }
    let threshold = pay.rating_bonus_threshold_centi as f64 / 100.0;
    let earned = inputs.ratings_count >= pay.rating_bonus_min_count && bayes >= threshold;
    lines.push(PayLine {
        kind: PayKind::RewardRating,
        amount_yuan: if earned { pay.rating_bonus } else { 0 },
        explanation: format!(
            "rating bonus: {} yuan when the Bayesian mean is at least {threshold:.2} over at least {} ratings; \
             this period {bayes:.2} over {} rating(s) ({} hidden not counted)",
            pay.rating_bonus, pay.rating_bonus_min_count, inputs.ratings_count, inputs.hidden_ratings
        ),
    });
    Outcome { score, level, bayesian_mean: bayes, lines, explanation }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(inputs: Inputs, months: i64) -> Outcome {
        assess(&inputs, months, &Weights::default(), &PayRules::default(), Prior::default())
    }

    fn line(outcome: &Outcome, kind: PayKind) -> i64 {
        outcome.lines.iter().find(|l| l.kind == kind).map_or(-1, |l| l.amount_yuan)
    }

    #[test]
    fn the_arithmetic() {
        // (inputs, months, score, level, base, level wage, settled reward, rating bonus)
        let busy = Inputs {
            sessions_held: 20,
            settled: 20,
            ratings_count: 40,
            ratings_sum: 200,
            current_level: 3,
            ..Default::default()
        };
        let idle = Inputs { current_level: 3, ..Default::default() };
        let poor = Inputs {
            sessions_held: 10,
            settled: 2,
            ratings_count: 10,
            ratings_sum: 20,
            complaints: 4,
            no_shows: 3,
            current_level: 1,
            ..Default::default()
        };
        let cases = [
            // 100 × (0.4 × 1 + 0.4 × (4.8 − 1)/4 + 0.2 × 1) = 98.0 → up a level; bonus earned.
            (busy, 1, 98.0, 4, 3000, 1200, 2000, 500),
            // 100 × (0 + 0.4 × 0.75 + 0) = 30.0 → down a level.
            (idle, 1, 30.0, 2, 3000, 1200, 0, 0),
            // A quarter: base and level wages triple.
            (idle, 3, 30.0, 2, 9000, 3600, 0, 0),
            // 100 × (0.4 × 0.2 + 0.4 × (3 − 1)/4 + 0.2 × 0.5) − 20 − 3 = 15.0; level stays at 1.
            (poor, 1, 15.0, 1, 3000, 400, 200, 0),
        ];
        for (inputs, months, score, level, base, level_wage, settled, bonus) in cases {
            let out = run(inputs, months);
            assert!((out.score - score).abs() < 1e-9, "{inputs:?}: score {} not {score}", out.score);
            assert_eq!(out.level, level, "{inputs:?}");
            assert_eq!(line(&out, PayKind::Base), base);
            assert_eq!(line(&out, PayKind::Level), level_wage);
            assert_eq!(line(&out, PayKind::RewardSettled), settled);
            assert_eq!(line(&out, PayKind::RewardRating), bonus);
            assert_eq!(out.total_yuan(), out.lines.iter().map(|l| l.amount_yuan).sum::<i64>());
        }
    }

    #[test]
    fn lines_name_their_inputs_and_rules() {
        let out = run(
            Inputs { sessions_held: 4, settled: 3, think_tank_sessions: 4, current_level: 2, ..Default::default() },
            1,
        );
        let text = |kind: PayKind| out.lines.iter().find(|l| l.kind == kind).unwrap().explanation.clone();
        assert!(text(PayKind::Base).contains("3000 yuan a month"));
        assert!(text(PayKind::Level).contains("level 2 × 400"));
        assert!(text(PayKind::RewardSettled).contains("3 settled case(s) × 100"));
        assert!(text(PayKind::RewardThinkTank).contains("4 think-tank session(s) × 200"));
        assert!(text(PayKind::RewardRating).contains("at least 5 ratings"));
        assert!(out.explanation.contains("settlement rate 0.75"), "{}", out.explanation);
    }

    #[test]
    fn agreements_kept_are_shown_and_weigh_only_when_the_district_says() {
        let inputs = Inputs {
            sessions_held: 10,
            settled: 8,
            agreements_followed_up: 4,
            agreements_kept: 3,
            current_level: 2,
            ..Default::default()
        };
        let plain = run(inputs, 1);
        let without = run(Inputs { agreements_followed_up: 0, agreements_kept: 0, ..inputs }, 1);
        assert_eq!(plain.score, without.score, "weight 0 leaves the score alone");
        assert_eq!(plain.total_yuan(), without.total_yuan(), "and the pay");
        assert!(
            plain.explanation.contains("0.00 × agreements kept 0.75 [3 of 4 followed up]"),
            "{}",
            plain.explanation
        );
        let weights = Weights { agreement_kept: 0.1, ..Weights::default() };
        let weighed = assess(&inputs, 1, &weights, &PayRules::default(), Prior::default());
        assert!((weighed.score - plain.score - 7.5).abs() < 0.051, "{} vs {}", weighed.score, plain.score);
    }

    #[test]
    fn scores_stay_within_bounds() {
        let awful = Inputs { complaints: 100, current_level: 1, ..Default::default() };
        assert_eq!(run(awful, 1).score, 0.0);
    }
}
