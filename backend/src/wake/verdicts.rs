//! Requests waiting for a wake's verdict (`?wait=SECONDS`, docs/API.md,
//! "Wakes"). A waiting request holds no database connection and no thread:
//! it sleeps on a [`Notify`] until this process decides a verdict of its
//! wake (a presence report, the verdict pass), or the pass finds one decided
//! by another replica, then reads the wake again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use shared::ids::WakeId;
use tokio::sync::Notify;

/// The wakes requests of this process wait on.
#[derive(Debug, Default)]
pub struct VerdictWaiters {
    waiting: Mutex<HashMap<WakeId, Waited>>,
}

#[derive(Debug)]
struct Waited {
    notify: Arc<Notify>,
    requests: usize,
}

/// One request's wait on one wake; it stops waiting when dropped (its
/// client went away, or it answered).
#[derive(Debug)]
pub struct VerdictWatch {
    waiters: Arc<VerdictWaiters>,
    id: WakeId,
    notify: Arc<Notify>,
}

impl VerdictWaiters {
    /// Starts waiting on `id`.
    pub fn watch(self: &Arc<Self>, id: WakeId) -> VerdictWatch {
        let mut waiting = self.waiting.lock().expect("verdict waiters lock");
        let waited = waiting.entry(id).or_insert_with(|| Waited {
            notify: Arc::new(Notify::new()),
            requests: 0,
        });
        waited.requests += 1;
        VerdictWatch {
            waiters: self.clone(),
            id,
            notify: waited.notify.clone(),
        }
    }

    /// Wakes the requests waiting on any of `ids` (a verdict of theirs was
    /// decided), so they read their wake again.
    pub fn notify(&self, ids: &[WakeId]) {
        let waiting = self.waiting.lock().expect("verdict waiters lock");
        for id in ids {
            if let Some(waited) = waiting.get(id) {
                waited.notify.notify_waiters();
            }
        }
    }

    /// The wakes some request waits on.
    pub fn waited(&self) -> Vec<WakeId> {
        let waiting = self.waiting.lock().expect("verdict waiters lock");
        waiting.keys().copied().collect()
    }
}

impl VerdictWatch {
    /// Resolves at the next [`VerdictWaiters::notify`] of this wake after
    /// the call (enable it before reading the wake, so no notice is lost
    /// between the read and the wait).
    pub fn notified(&self) -> tokio::sync::futures::Notified<'_> {
        self.notify.notified()
    }
}

impl Drop for VerdictWatch {
    fn drop(&mut self) {
        let mut waiting = self.waiters.waiting.lock().expect("verdict waiters lock");
        if let Some(waited) = waiting.get_mut(&self.id) {
            waited.requests -= 1;
            if waited.requests == 0 {
                waiting.remove(&self.id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_notice_wakes_every_request_on_that_wake_and_no_other() {
        let waiters = Arc::new(VerdictWaiters::default());
        let id = WakeId::generate();
        let other = WakeId::generate();
        let first = waiters.watch(id);
        let second = waiters.watch(id);
        let elsewhere = waiters.watch(other);
        let (a, b, c) = (first.notified(), second.notified(), elsewhere.notified());
        tokio::pin!(a, b, c);
        a.as_mut().enable();
        b.as_mut().enable();
        c.as_mut().enable();
        waiters.notify(&[id]);
        tokio::time::timeout(Duration::from_secs(1), a)
            .await
            .unwrap();
        tokio::time::timeout(Duration::from_secs(1), b)
            .await
            .unwrap();
        assert!(
            tokio::time::timeout(Duration::from_millis(50), c)
                .await
                .is_err(),
            "another wake's request sleeps on"
        );
    }

    #[test]
    fn a_wake_is_forgotten_when_its_last_request_stops_waiting() {
        let waiters = Arc::new(VerdictWaiters::default());
        let id = WakeId::generate();
        let first = waiters.watch(id);
        let second = waiters.watch(id);
        assert_eq!(waiters.waited(), [id]);
        drop(first);
        assert_eq!(waiters.waited(), [id]);
        drop(second);
        assert!(waiters.waited().is_empty());
    }
}
