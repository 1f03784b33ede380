//! Where "now" comes from.
//!
//! Cache freshness is a function of time, so nothing in the cache reads the
//! system clock directly: it asks a [`Clock`]. Production code passes
//! [`SystemClock`]; tests pass a [`ManualClock`] and advance it, so a test of a
//! three-minute lifetime takes microseconds instead of three minutes.

use std::fmt::Debug;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// A source of wall-clock time. HTTP dates are wall-clock, so this is
/// `SystemTime`, not `Instant`.
pub trait Clock: Send + Sync + Debug {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The real clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<SystemTime>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: SystemTime) -> Self {
        ManualClock {
            now: Mutex::new(start),
        }
    }

    /// A clock standing at a fixed, whole-second instant (2024-01-01T00:00:00Z),
    /// so that HTTP dates written from it round-trip exactly.
    pub fn at_epoch_2024() -> Self {
        ManualClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_067_200))
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        *now += by;
    }

    /// Sets the clock to `to` (which may be in the past).
    pub fn set(&self, to: SystemTime) {
        *self.now.lock().unwrap_or_else(|p| p.into_inner()) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.now.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::at_epoch_2024();
        let t0 = c.now();
        assert_eq!(c.now(), t0);
        c.advance(Duration::from_secs(20));
        assert_eq!(c.now(), t0 + Duration::from_secs(20));
        c.set(t0);
        assert_eq!(c.now(), t0);
    }

    #[test]
    fn system_clock_is_roughly_now() {
        let a = SystemTime::now();
        let b = SystemClock.now();
        assert!(b >= a);
    }
}
