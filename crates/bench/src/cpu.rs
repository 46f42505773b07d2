//! Where the machine's CPU went during a measured window: this process (client and server)
//! and everything else. On a shared machine a busy neighbour skews every figure, so each
//! scenario reports both. Linux only (`/proc`); elsewhere the figures are absent.

use serde::Serialize;

/// CPU time counters at one instant, in clock ticks.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Every tick of every CPU, idle or not.
    all: u64,
    busy: u64,
    mine: u64,
}

/// Average cores busy over a window.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct CpuUse {
    /// This process: the load generator and the gateway under test.
    pub this_process: f64,
    /// Every other process on the machine (a PostgreSQL server among them).
    pub others: f64,
}

fn numbers(text: &str) -> Vec<u64> {
    text.split_whitespace().filter_map(|n| n.parse().ok()).collect()
}

pub fn sample() -> Option<Sample> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    // cpu user nice system idle iowait irq softirq steal guest guest_nice
    let total = numbers(stat.lines().next()?.strip_prefix("cpu ")?);
    let (all, idle) = (total.iter().take(8).sum(), total.get(3)? + total.get(4)?);
    let own = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised name start at the state (field 3); utime and stime are 14 and 15.
    let after_name: Vec<&str> = own.rsplit_once(')')?.1.split_whitespace().collect();
    let mine = after_name.get(11)?.parse::<u64>().ok()? + after_name.get(12)?.parse::<u64>().ok()?;
    Some(Sample { all, busy: all - idle, mine })
}

/// Cores busy between two samples on a machine of `cpus`.
pub fn between(start: Sample, end: Sample, cpus: usize) -> Option<CpuUse> {
    let all = end.all.checked_sub(start.all).filter(|ticks| *ticks > 0)? as f64;
    let busy = end.busy.saturating_sub(start.busy) as f64;
    let mine = end.mine.saturating_sub(start.mine) as f64;
    let cores = |ticks: f64| ticks / all * cpus as f64;
    Some(CpuUse { this_process: cores(mine.min(busy)), others: cores((busy - mine).max(0.0)) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_of_the_machine() {
        let start = Sample { all: 1000, busy: 100, mine: 50 };
        let end = Sample { all: 1400, busy: 400, mine: 300 };
        let used = between(start, end, 2).unwrap();
        assert!((used.this_process - 1.25).abs() < 1e-9, "{used:?}");
        assert!((used.others - 0.25).abs() < 1e-9, "{used:?}");
    }

    #[test]
    fn this_machine_has_counters() {
        if cfg!(target_os = "linux") {
            let sample = sample().expect("/proc is readable");
            assert!(sample.all >= sample.busy);
        }
    }
}
