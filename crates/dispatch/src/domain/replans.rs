//! When the background re-plans of a station's date run: a change asks for one, and asking
//! again while one is due adds nothing. Per key (a station and date) at most one re-plan runs
//! and at most one waits, and two start at least `min_interval` apart, however many changes
//! come in between; the one that waits plans from what is stored when it starts, so it covers
//! every change made before then. Pure: the caller passes the time, so tests drive it with a
//! clock of their own.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

/// The re-plans of each key, and who asked last for the one still to run.
#[derive(Debug)]
pub struct Replans<K, T> {
    min_interval: Duration,
    slots: HashMap<K, Slot<T>>,
}

#[derive(Debug)]
struct Slot<T> {
    /// A re-plan runs now.
    running: bool,
    /// A re-plan is due (it waits for the interval, a turn, or the running one to end); the
    /// latest request's trigger.
    due: Option<T>,
    last_start: Option<Instant>,
}

/// What a request for a re-plan comes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    /// Nothing runs or waits for the key: the caller starts a runner, which waits `wait`, then
    /// calls [`Replans::start`].
    Spawn { wait: Duration },
    /// One is due already, or the running one's runner will run another after it.
    Joined,
}

impl<K: Eq + Hash + Clone, T> Replans<K, T> {
    pub fn new(min_interval: Duration) -> Self {
        Self { min_interval, slots: HashMap::new() }
    }

    /// Asks for a re-plan of `key` at `now`, set off by `trigger` (the latest one is kept).
    pub fn ask(&mut self, key: K, trigger: T, now: Instant) -> Ask {
        self.forget_idle(now);
        let min_interval = self.min_interval;
        let slot = self.slots.entry(key).or_insert(Slot { running: false, due: None, last_start: None });
        let already_due = slot.due.is_some();
        slot.due = Some(trigger);
        if already_due || slot.running {
            Ask::Joined
        } else {
            Ask::Spawn { wait: wait(slot.last_start, min_interval, now) }
        }
    }

    /// The runner of `key` starts the re-plan that is due, at `now`: returns its trigger, or
    /// `None` when none is due (the runner then stops), or the wait still owed when the
    /// interval since the last start has not passed (the runner waits and calls again).
    pub fn start(&mut self, key: &K, now: Instant) -> Result<Option<T>, Duration> {
        let min_interval = self.min_interval;
        let Some(slot) = self.slots.get_mut(key) else { return Ok(None) };
        if slot.running || slot.due.is_none() {
            return Ok(None);
        }
        let owed = wait(slot.last_start, min_interval, now);
        if !owed.is_zero() {
            return Err(owed);
        }
        slot.running = true;
        slot.last_start = Some(now);
        Ok(slot.due.take())
    }

    /// The running re-plan of `key` ended at `now`: the wait before the one that became due
    /// meanwhile, which the same runner starts; `None` when none is due and the runner stops.
    pub fn finish(&mut self, key: &K, now: Instant) -> Option<Duration> {
        let min_interval = self.min_interval;
        let slot = self.slots.get_mut(key)?;
        slot.running = false;
        slot.due.as_ref().map(|_| wait(slot.last_start, min_interval, now))
    }

    /// The runner of `key` is gone without finishing (it panicked or was cancelled): nothing
    /// runs or is due for the key any more, so the next change spawns a runner again.
    pub fn abandon(&mut self, key: &K) {
        if let Some(slot) = self.slots.get_mut(key) {
            slot.running = false;
            slot.due = None;
        }
    }

    /// Whether a re-plan of `key` runs now, and whether one is due.
    pub fn state(&self, key: &K) -> (bool, bool) {
        self.slots.get(key).map_or((false, false), |slot| (slot.running, slot.due.is_some()))
    }

    /// How many keys are remembered.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Forgets keys with nothing running or due whose interval has passed, so that the table
    /// holds only the dates changed lately.
    fn forget_idle(&mut self, now: Instant) {
        let min_interval = self.min_interval;
        self.slots.retain(|_, slot| {
            slot.running || slot.due.is_some() || !wait(slot.last_start, min_interval, now).is_zero()
        });
    }
}

/// What is left of the interval since `last_start` at `now`.
fn wait(last_start: Option<Instant>, min_interval: Duration, now: Instant) -> Duration {
    last_start.map_or(Duration::ZERO, |last| (last + min_interval).saturating_duration_since(now))
}

#[cfg(test)]
mod tests {
    use super::*;

    const INTERVAL: Duration = Duration::from_secs(10);

    /// A clock of the test's own: `at(s)` is `s` seconds after its start.
    struct Clock(Instant);

    impl Clock {
        fn at(&self, secs: u64) -> Instant {
            self.0 + Duration::from_secs(secs)
        }
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn twenty_changes_while_one_runs_come_to_one_more_run() {
        let clock = Clock(Instant::now());
        let mut replans = Replans::new(INTERVAL);
        let key = ("station", 1);
        assert_eq!(replans.ask(key, "r0", clock.at(0)), Ask::Spawn { wait: Duration::ZERO });
        assert_eq!(replans.start(&key, clock.at(0)), Ok(Some("r0")));
        // Twenty request/cancel pairs while it runs: one re-plan waits, the runner has it.
        for i in 0..40 {
            assert_eq!(replans.ask(key, "later", clock.at(1 + i / 10)), Ask::Joined);
        }
        assert_eq!(replans.state(&key), (true, true));
        // It ended after 4 s: the next starts no earlier than 10 s after the first.
        assert_eq!(replans.finish(&key, clock.at(4)), Some(secs(6)));
        assert_eq!(replans.start(&key, clock.at(7)), Err(secs(3)), "the interval is kept");
        assert_eq!(replans.start(&key, clock.at(10)), Ok(Some("later")));
        assert_eq!(replans.finish(&key, clock.at(13)), None, "nothing changed meanwhile: the runner stops");
        assert_eq!(replans.state(&key), (false, false));
    }

    #[test]
    fn a_change_soon_after_a_run_waits_out_the_interval_and_is_joined_meanwhile() {
        let clock = Clock(Instant::now());
        let mut replans = Replans::new(INTERVAL);
        assert_eq!(replans.ask("k", 1, clock.at(0)), Ask::Spawn { wait: Duration::ZERO });
        assert_eq!(replans.start(&"k", clock.at(0)), Ok(Some(1)));
        assert_eq!(replans.finish(&"k", clock.at(2)), None);
        assert_eq!(replans.ask("k", 2, clock.at(3)), Ask::Spawn { wait: secs(7) });
        assert_eq!(replans.ask("k", 3, clock.at(5)), Ask::Joined, "one due at most");
        assert_eq!(replans.start(&"k", clock.at(10)), Ok(Some(3)), "the latest trigger");
        assert_eq!(replans.finish(&"k", clock.at(11)), None);
        // Long after, a change runs at once.
        assert_eq!(replans.ask("k", 4, clock.at(60)), Ask::Spawn { wait: Duration::ZERO });
    }

    #[test]
    fn keys_are_independent() {
        let clock = Clock(Instant::now());
        let mut replans = Replans::new(INTERVAL);
        assert_eq!(replans.ask("a", (), clock.at(0)), Ask::Spawn { wait: Duration::ZERO });
        assert_eq!(replans.start(&"a", clock.at(0)), Ok(Some(())));
        assert_eq!(replans.ask("b", (), clock.at(1)), Ask::Spawn { wait: Duration::ZERO });
        assert_eq!(replans.ask("a", (), clock.at(1)), Ask::Joined);
        assert_eq!(replans.state(&"a"), (true, true));
        assert_eq!(replans.state(&"b"), (false, true));
    }

    #[test]
    fn idle_keys_are_forgotten_once_their_interval_has_passed() {
        let clock = Clock(Instant::now());
        let mut replans = Replans::new(INTERVAL);
        for day in 0..100 {
            assert!(matches!(replans.ask(day, (), clock.at(0)), Ask::Spawn { .. }));
            assert_eq!(replans.start(&day, clock.at(0)), Ok(Some(())));
            assert_eq!(replans.finish(&day, clock.at(1)), None);
        }
        assert_eq!(replans.len(), 100, "each still owes its interval");
        replans.ask(1000, (), clock.at(11));
        assert_eq!(replans.len(), 1);
    }

    #[test]
    fn an_abandoned_runner_does_not_block_the_key() {
        let clock = Clock(Instant::now());
        let mut replans = Replans::new(Duration::ZERO);
        assert!(matches!(replans.ask("k", (), clock.at(0)), Ask::Spawn { .. }));
        assert_eq!(replans.start(&"k", clock.at(0)), Ok(Some(())));
        assert_eq!(replans.ask("k", (), clock.at(1)), Ask::Joined);
        replans.abandon(&"k");
        assert_eq!(replans.ask("k", (), clock.at(2)), Ask::Spawn { wait: Duration::ZERO });
    }

    #[test]
    fn without_an_interval_changes_still_coalesce_behind_the_running_one() {
        let clock = Clock(Instant::now());
        let mut replans = Replans::new(Duration::ZERO);
        assert!(matches!(replans.ask("k", 0, clock.at(0)), Ask::Spawn { .. }));
        assert_eq!(replans.start(&"k", clock.at(0)), Ok(Some(0)));
        for i in 1..=20 {
            assert_eq!(replans.ask("k", i, clock.at(0)), Ask::Joined);
        }
        assert_eq!(replans.finish(&"k", clock.at(1)), Some(Duration::ZERO));
        assert_eq!(replans.start(&"k", clock.at(1)), Ok(Some(20)));
        assert_eq!(replans.finish(&"k", clock.at(2)), None);
    }
}
