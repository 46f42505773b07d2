//! How many watch streams (WatchVisit, WatchBoard) each principal holds open in this process:
//! a slot is taken when a stream opens and given back when it ends, however it ends (the client
//! cancels, disconnects, or the visit reaches a final state), because the slot is dropped with
//! the task that feeds the stream.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Open streams per account, at most `max` each.
#[derive(Debug, Clone)]
pub struct StreamSlots {
    max: usize,
    open: Arc<Mutex<HashMap<String, usize>>>,
}

/// One open stream; dropping it frees the slot.
#[derive(Debug)]
pub struct Slot {
    owner: String,
    open: Arc<Mutex<HashMap<String, usize>>>,
}

impl StreamSlots {
    pub fn new(max: usize) -> Self {
        Self { max, open: Arc::default() }
    }

    /// A slot for `owner`, or `None` when they already hold `max` streams.
    pub fn take(&self, owner: &str) -> Option<Slot> {
        let mut open = self.open.lock().expect("the slot table is never poisoned");
        let count = open.entry(owner.to_owned()).or_insert(0);
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(Slot { owner: owner.to_owned(), open: self.open.clone() })
    }

    /// The streams `owner` holds open now.
    pub fn open(&self, owner: &str) -> usize {
        self.open.lock().expect("the slot table is never poisoned").get(owner).copied().unwrap_or(0)
    }

    pub fn max(&self) -> usize {
        self.max
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.open.lock().expect("the slot table is never poisoned");
        if let Some(count) = open.get_mut(&self.owner) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.owner);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_counted_per_owner_and_freed_on_drop() {
        let slots = StreamSlots::new(2);
        let a1 = slots.take("a").unwrap();
        let a2 = slots.take("a").unwrap();
        assert!(slots.take("a").is_none(), "a third stream is refused");
        let b = slots.take("b").expect("another principal has slots of its own");
        assert_eq!((slots.open("a"), slots.open("b")), (2, 1));
        drop(a1);
        let a3 = slots.take("a").expect("closing a stream frees its slot");
        drop((a2, a3, b));
        assert_eq!((slots.open("a"), slots.open("b")), (0, 0));
        assert!(slots.open.lock().unwrap().is_empty(), "owners without streams are forgotten");
    }

    #[test]
    fn zero_allows_none() {
        assert!(StreamSlots::new(0).take("a").is_none());
    }
}
