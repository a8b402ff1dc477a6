//! [`MemoryBudget`]: the one `--memory-budget` that every adapter buffer draws from.
//!
//! A buffer asks before it grows ([`Reservation::try_grow`]); a refusal is the signal to
//! spill. The budget only counts bytes: it never frees or moves anything itself.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Shared byte budget for buffered records. Cloning is cheap; clones share one account.
///
/// The counters are atomics so the handle is `Send + Sync`, but nothing else is guarded by
/// them, which is why relaxed ordering is enough.
#[derive(Debug, Clone)]
pub struct MemoryBudget {
    inner: Arc<Account>,
}

#[derive(Debug)]
struct Account {
    limit: u64,
    used: AtomicU64,
    peak: AtomicU64,
}

impl MemoryBudget {
    /// Default of `--memory-budget`: 256 MiB.
    pub const DEFAULT_BYTES: u64 = 256 << 20;

    /// A budget of `limit` bytes. `0` is valid: every reservation of a non-zero size fails,
    /// so every record goes to disk.
    pub fn new(limit: u64) -> Self {
        MemoryBudget {
            inner: Arc::new(Account {
                limit,
                used: AtomicU64::new(0),
                peak: AtomicU64::new(0),
            }),
        }
    }

    /// A budget that never refuses (tests, tiny inputs).
    pub fn unlimited() -> Self {
        Self::new(u64::MAX)
    }

    /// Total bytes this budget may hand out.
    pub fn limit(&self) -> u64 {
        self.inner.limit
    }

    /// Bytes currently reserved, by all holders together.
    pub fn used(&self) -> u64 {
        self.inner.used.load(Ordering::Relaxed)
    }

    /// Highest value [`used`](Self::used) has reached.
    pub fn peak(&self) -> u64 {
        self.inner.peak.load(Ordering::Relaxed)
    }

    /// Reserves `bytes` if they fit under the limit, all or nothing. `false` means "spill".
    pub fn try_reserve(&self, bytes: u64) -> bool {
        let limit = self.inner.limit;
        let grown = self
            .inner
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                used.checked_add(bytes).filter(|&total| total <= limit)
            });
        match grown {
            Ok(before) => {
                self.inner.peak.fetch_max(before + bytes, Ordering::Relaxed);
                true
            }
            Err(_) => false,
        }
    }

    /// Gives back `bytes` reserved earlier with [`try_reserve`](Self::try_reserve).
    pub fn release(&self, bytes: u64) {
        let released = self
            .inner
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                Some(used.saturating_sub(bytes))
            });
        // Releasing more than was reserved is an accounting bug in the caller.
        debug_assert!(matches!(released, Ok(before) if before >= bytes));
    }

    /// An empty [`Reservation`] on this budget, for one buffer to grow and shrink.
    pub fn reservation(&self) -> Reservation {
        Reservation {
            budget: self.clone(),
            held: 0,
        }
    }
}

/// The part of a [`MemoryBudget`] one buffer holds. Everything still held is released on
/// drop, so a buffer abandoned by an error cannot leak budget.
#[derive(Debug)]
pub struct Reservation {
    budget: MemoryBudget,
    held: u64,
}

impl Reservation {
    /// Reserves `bytes` more from the shared budget; `false` (and nothing reserved) if they
    /// do not fit.
    pub fn try_grow(&mut self, bytes: u64) -> bool {
        let ok = self.budget.try_reserve(bytes);
        if ok {
            self.held += bytes;
        }
        ok
    }

    /// Gives `bytes` back (at most what is held).
    pub fn shrink(&mut self, bytes: u64) {
        let bytes = bytes.min(self.held);
        self.budget.release(bytes);
        self.held -= bytes;
    }

    /// Gives everything back.
    pub fn release_all(&mut self) {
        self.shrink(self.held);
    }

    /// Bytes this reservation holds.
    pub fn held(&self) -> u64 {
        self.held
    }

    /// The budget this reservation draws from.
    pub fn budget(&self) -> &MemoryBudget {
        &self.budget
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.release_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserve_is_all_or_nothing() {
        let budget = MemoryBudget::new(100);
        assert!(budget.try_reserve(60));
        assert!(!budget.try_reserve(41));
        assert_eq!(budget.used(), 60);
        assert!(budget.try_reserve(40));
        assert_eq!(
            (budget.used(), budget.peak(), budget.limit()),
            (100, 100, 100)
        );
        budget.release(70);
        assert_eq!((budget.used(), budget.peak()), (30, 100));
    }

    #[test]
    fn zero_budget_refuses_everything_but_zero() {
        let budget = MemoryBudget::new(0);
        assert!(!budget.try_reserve(1));
        assert!(budget.try_reserve(0));
        assert_eq!(budget.used(), 0);
    }

    #[test]
    fn unlimited_does_not_overflow() {
        let budget = MemoryBudget::unlimited();
        assert!(budget.try_reserve(u64::MAX - 1));
        assert!(!budget.try_reserve(2));
    }

    #[test]
    fn reservations_share_the_budget_and_release_on_drop() {
        let budget = MemoryBudget::new(10);
        let mut a = budget.reservation();
        let mut b = budget.clone().reservation();
        assert!(a.try_grow(6));
        assert!(!b.try_grow(5));
        assert!(b.try_grow(4));
        a.shrink(100); // clamps to what `a` holds
        assert_eq!((a.held(), b.held(), budget.used()), (0, 4, 4));
        drop(b);
        assert_eq!(budget.used(), 0);
        assert_eq!(budget.peak(), 10);
    }
}
