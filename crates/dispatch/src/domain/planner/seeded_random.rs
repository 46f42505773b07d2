//! Repeatable randomness for vrp-core, so that a planner run with a seed can be run again.

use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};
use vrp_core::prelude::{Float, Random};
use vrp_core::rosomaxa::utils::RandomGen;

/// vrp-core's randomness drawn from one seed. Most choices go through [`Random`]'s methods,
/// which this answers from its own generator; shuffles and samples take
/// [`Random::get_rng`], which vrp-core only offers as a per-thread generator seeded with 0, so a
/// seeded search runs on a fresh thread and first moves that generator on by the seed.
pub(super) struct SeededRandom {
    rng: std::sync::Mutex<StdRng>,
}

impl SeededRandom {
    pub(super) fn new(seed: u64) -> Self {
        Self { rng: std::sync::Mutex::new(StdRng::seed_from_u64(seed)) }
    }

    /// Moves this thread's shared repeatable generator on by a number of draws that depends on
    /// `seed`, so that different seeds shuffle differently too.
    pub(super) fn skip_shared(seed: u64) {
        let mut shared = RandomGen::new_repeatable();
        for _ in 0..(seed % 4096) {
            shared.next_u64();
        }
    }

    fn draw<T>(&self, f: impl FnOnce(&mut StdRng) -> T) -> T {
        f(&mut self.rng.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }
}

impl Random for SeededRandom {
    fn uniform_int(&self, min: i32, max: i32) -> i32 {
        if min >= max { min } else { self.draw(|rng| rng.gen_range(min..=max)) }
    }

    fn uniform_real(&self, min: Float, max: Float) -> Float {
        if (min - max).abs() < Float::EPSILON || min > max { min } else { self.draw(|rng| rng.gen_range(min..max)) }
    }

    fn is_head_not_tails(&self) -> bool {
        self.draw(|rng| rng.gen_bool(0.5))
    }

    fn is_hit(&self, probability: Float) -> bool {
        let p = if probability.is_nan() { 0.0 } else { probability.clamp(0.0, 1.0) };
        self.draw(|rng| rng.gen_bool(p))
    }

    fn weighted(&self, weights: &[usize]) -> usize {
        // As vrp-core's own: the smallest of exponential samples with the weights as rates.
        weights
            .iter()
            .enumerate()
            .map(|(index, &weight)| (-self.uniform_real(0.0, 1.0).ln() / weight as Float, index))
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map_or(0, |(_, index)| index)
    }

    fn get_rng(&self) -> RandomGen {
        RandomGen::new_repeatable()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_seed_draws_the_same_choices_and_another_seed_others() {
        let draws = |seed| {
            let random = SeededRandom::new(seed);
            (0..64)
                .map(|i| (random.uniform_int(0, 1000), random.is_hit(0.3), random.weighted(&[1, 2, 3, i + 1])))
                .collect::<Vec<_>>()
        };
        assert_eq!(draws(7), draws(7));
        assert_ne!(draws(7), draws(8));
        let random = SeededRandom::new(1);
        assert_eq!(random.uniform_int(5, 5), 5);
        assert!((0..100).map(|_| random.uniform_real(2.0, 3.0)).all(|x| (2.0..3.0).contains(&x)));
    }
}
