//! Scores, and the running sums behind a mediator's summary: count, mean, a Bayesian mean
//! shrunk toward a prior, the distribution of stars, per-dimension means, and the split by
//! outcome.

/// The four scores of a rating, each 1 to 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scores {
    pub overall: i32,
    pub fairness: i32,
    pub professionalism: i32,
    pub timeliness: i32,
}

impl Scores {
    /// The scores, or the name of the first field out of 1..=5.
    pub fn parse(overall: i32, fairness: i32, professionalism: i32, timeliness: i32) -> Result<Self, &'static str> {
        let fields = [
            ("scores.overall", overall),
            ("scores.fairness", fairness),
            ("scores.professionalism", professionalism),
            ("scores.timeliness", timeliness),
        ];
        match fields.iter().find(|(_, v)| !(1..=5).contains(v)) {
            Some((name, _)) => Err(name),
            None => Ok(Self { overall, fairness, professionalism, timeliness }),
        }
    }
}

/// Where a mediator without many ratings is assumed to stand; configurable.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prior {
    pub mean: f64,
    /// How many ratings the prior counts as.
    pub weight: f64,
}

impl Default for Prior {
    fn default() -> Self {
        Self { mean: 4.0, weight: 10.0 }
    }
}

/// `(weight * prior + sum) / (weight + count)`.
pub fn bayesian_mean(sum: i64, count: i64, prior: Prior) -> f64 {
    (prior.weight * prior.mean + sum as f64) / (prior.weight + count as f64)
}

/// Running sums over a mediator's visible ratings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sums {
    pub count: i64,
    pub overall: i64,
    pub fairness: i64,
    pub professionalism: i64,
    pub timeliness: i64,
    /// Counts of overall 1..5.
    pub stars: [i64; 5],
    pub settled_count: i64,
    pub settled_sum: i64,
}

impl Sums {
    /// The change one rating makes: `+1` to add it, `-1` to take it out.
    pub fn delta(scores: &Scores, settled: bool, sign: i64) -> Sums {
        let mut stars = [0; 5];
        stars[(scores.overall - 1) as usize] = sign;
        Sums {
            count: sign,
            overall: sign * i64::from(scores.overall),
            fairness: sign * i64::from(scores.fairness),
            professionalism: sign * i64::from(scores.professionalism),
            timeliness: sign * i64::from(scores.timeliness),
            stars,
            settled_count: if settled { sign } else { 0 },
            settled_sum: if settled { sign * i64::from(scores.overall) } else { 0 },
        }
    }

    pub fn plus(mut self, other: Sums) -> Sums {
        self.count += other.count;
        self.overall += other.overall;
        self.fairness += other.fairness;
        self.professionalism += other.professionalism;
        self.timeliness += other.timeliness;
        for (a, b) in self.stars.iter_mut().zip(other.stars) {
            *a += b;
        }
        self.settled_count += other.settled_count;
        self.settled_sum += other.settled_sum;
        self
    }

    pub fn summary(&self, prior: Prior) -> Summary {
        let mean = |sum: i64, n: i64| if n == 0 { 0.0 } else { sum as f64 / n as f64 };
        let unsettled = (self.count - self.settled_count, self.overall - self.settled_sum);
        Summary {
            count: self.count,
            mean: mean(self.overall, self.count),
            bayesian_mean: bayesian_mean(self.overall, self.count, prior),
            distribution: self.stars,
            fairness_mean: mean(self.fairness, self.count),
            professionalism_mean: mean(self.professionalism, self.count),
            timeliness_mean: mean(self.timeliness, self.count),
            settled: (self.settled_count, mean(self.settled_sum, self.settled_count)),
            not_settled: (unsettled.0, mean(unsettled.1, unsettled.0)),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub count: i64,
    pub mean: f64,
    pub bayesian_mean: f64,
    pub distribution: [i64; 5],
    pub fairness_mean: f64,
    pub professionalism_mean: f64,
    pub timeliness_mean: f64,
    /// (count, mean) of ratings of sessions that ended SETTLED.
    pub settled: (i64, f64),
    pub not_settled: (i64, f64),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scores(overall: i32) -> Scores {
        Scores { overall, fairness: 4, professionalism: 5, timeliness: 3 }
    }

    #[test]
    fn scores_are_one_to_five() {
        assert!(Scores::parse(5, 1, 3, 4).is_ok());
        assert_eq!(Scores::parse(6, 1, 3, 4), Err("scores.overall"));
        assert_eq!(Scores::parse(5, 0, 3, 4), Err("scores.fairness"));
        assert_eq!(Scores::parse(5, 1, 3, -1), Err("scores.timeliness"));
    }

    #[test]
    fn one_five_does_not_beat_two_hundred_ratings_of_four_point_eight() {
        let prior = Prior::default();
        let newcomer = Sums::default().plus(Sums::delta(&scores(5), true, 1)).summary(prior);
        assert_eq!(newcomer.mean, 5.0);
        assert!(newcomer.bayesian_mean < 5.0);
        // 200 ratings averaging 4.8: 160 fives and 40 fours.
        let mut veteran = Sums::default();
        for i in 0..200 {
            veteran = veteran.plus(Sums::delta(&scores(if i < 160 { 5 } else { 4 }), true, 1));
        }
        let veteran = veteran.summary(prior);
        assert!((veteran.mean - 4.8).abs() < 1e-9);
        assert!(veteran.bayesian_mean > newcomer.bayesian_mean, "{veteran:?} vs {newcomer:?}");
    }

    #[test]
    fn sums_add_and_take_out() {
        let prior = Prior::default();
        let a = Sums::delta(&scores(5), true, 1);
        let b = Sums::delta(&scores(2), false, 1);
        let both = Sums::default().plus(a).plus(b);
        let s = both.summary(prior);
        assert_eq!((s.count, s.mean), (2, 3.5));
        assert_eq!(s.distribution, [0, 1, 0, 0, 1]);
        assert_eq!(s.settled, (1, 5.0));
        assert_eq!(s.not_settled, (1, 2.0));
        assert_eq!((s.fairness_mean, s.professionalism_mean, s.timeliness_mean), (4.0, 5.0, 3.0));
        let without_b = both.plus(Sums::delta(&scores(2), false, -1));
        assert_eq!(without_b, Sums::default().plus(a));
        let empty = Sums::default().summary(prior);
        assert_eq!((empty.count, empty.mean, empty.bayesian_mean), (0, 0.0, 4.0));
    }
}
