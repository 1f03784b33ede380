//! Where "now" comes from.
//!
//! Cache freshness is a function of time, so nothing in the cache reads the
//! system clock directly: it asks a [`Clock`]. Production code passes
//! [`SystemClock`]; tests pass a [`ManualClock`] and advance it, so a test of a
//! three-minute lifetime takes microseconds instead of three minutes.
//!
//! A simulation on virtual time (`vxb simulate --clock virtual`) runs
//! everything on one [`ManualClock`]: the cache, the scenario's origin (its
//! `Date` headers and delays), the calls' timers and the scenario's waits.
//! Waiting on it ([`Clock::sleep`]) moves it forward instead of blocking, so
//! three days of `wait` take no time at all.

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// A wait on a [`Clock`].
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A source of wall-clock time. HTTP dates are wall-clock, so this is
/// `SystemTime`, not `Instant`.
pub trait Clock: Send + Sync + Debug {
    /// The current time.
    fn now(&self) -> SystemTime;

    /// Lets `duration` pass: the real clock waits that long (a tokio
    /// timer); a virtual one moves forward at once.
    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(duration))
    }

    /// Time a scripted caller spends that nobody has to wait for (the
    /// timeout a `noinput` caller lets run out): a virtual clock moves
    /// forward by it, the real clock does nothing, since the scripted
    /// caller answers at once.
    fn elapse(&self, duration: Duration) {
        let _ = duration;
    }
}

/// A duration as traces and log lines show it: milliseconds with two
/// decimals (`0.41ms`, `1532.00ms`), one unit everywhere so lines compare
/// at a glance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Millis(pub Duration);

impl std::fmt::Display for Millis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.2}ms", self.0.as_secs_f64() * 1000.0)
    }
}

/// The real clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that only moves when told to: by [`ManualClock::advance`], or by
/// anything that sleeps or spends time on it (virtual time).
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

    /// A clock standing at the current whole second: a simulation's
    /// virtual time starts there, so files' modification times are in its
    /// past, and HTTP dates written from it round-trip exactly.
    pub fn at_now() -> Self {
        let secs = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        ManualClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
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

    fn sleep(&self, duration: Duration) -> Sleep {
        self.advance(duration);
        Box::pin(std::future::ready(()))
    }

    fn elapse(&self, duration: Duration) {
        self.advance(duration);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_show_as_milliseconds_with_two_decimals() {
        assert_eq!(Millis(Duration::from_micros(410)).to_string(), "0.41ms");
        assert_eq!(
            Millis(Duration::from_nanos(565_068_999)).to_string(),
            "565.07ms"
        );
        assert_eq!(Millis(Duration::ZERO).to_string(), "0.00ms");
        assert_eq!(Millis(Duration::from_secs(2)).to_string(), "2000.00ms");
    }

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

    #[tokio::test]
    async fn sleeping_on_a_manual_clock_moves_it_without_waiting() {
        let c = ManualClock::at_epoch_2024();
        let t0 = c.now();
        let started = std::time::Instant::now();
        c.sleep(Duration::from_secs(3 * 24 * 3600)).await;
        c.elapse(Duration::from_secs(5));
        assert_eq!(c.now(), t0 + Duration::from_secs(3 * 24 * 3600 + 5));
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[tokio::test]
    async fn the_system_clock_sleeps_for_real_and_elapses_nothing() {
        let before = std::time::Instant::now();
        SystemClock.sleep(Duration::from_millis(20)).await;
        assert!(before.elapsed() >= Duration::from_millis(20));
        let a = SystemClock.now();
        SystemClock.elapse(Duration::from_secs(3600));
        assert!(SystemClock.now() < a + Duration::from_secs(3600));
    }

    #[test]
    fn system_clock_is_roughly_now() {
        let a = SystemTime::now();
        let b = SystemClock.now();
        assert!(b >= a);
    }
}
