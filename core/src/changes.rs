//! Change notification: which jobs a committed write touched.
//!
//! Screens show the job list and one job; without this they would have to
//! poll the store. Every committed local step and every sync that applies
//! HQ's answers (pulled changes, acknowledgements that trim the outbox or
//! record a conflict) tells the registered [`JobsListener`]s the ids of the
//! jobs it touched, and the shells turn that into a Kotlin `Flow` or a Swift
//! `AsyncStream` that re-reads what it shows.
//!
//! Listeners are called on the writer's thread, after the commit and after
//! the store lock is released (so a listener may read the store at once),
//! never inside a transaction. A listener that panics is skipped; the write
//! stands and the other listeners still hear it.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::technician::Technician;

/// Hears which jobs changed. The ids carry no state: read what you show
/// again (the list, or one job if its id is among them).
pub trait JobsListener: Send + Sync {
    fn jobs_changed(&self, job_ids: Vec<String>);
}

/// Identifies a registration, for [`Technician::remove_jobs_listener`].
pub type ListenerId = u64;

/// The listeners of one technician's store.
#[derive(Default)]
pub(crate) struct Changes {
    next_id: AtomicU64,
    listeners: Mutex<Vec<(ListenerId, Arc<dyn JobsListener>)>>,
}

impl Changes {
    fn listeners(&self) -> MutexGuard<'_, Vec<(ListenerId, Arc<dyn JobsListener>)>> {
        // No listener code ever runs under this lock, so a poisoned one only
        // means a panic in Vec::push; the list itself is still sound.
        self.listeners
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn add(&self, listener: Arc<dyn JobsListener>) -> ListenerId {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        self.listeners().push((id, listener));
        id
    }

    fn remove(&self, id: ListenerId) -> bool {
        let mut listeners = self.listeners();
        let before = listeners.len();
        listeners.retain(|(i, _)| *i != id);
        listeners.len() != before
    }

    fn notify(&self, mut job_ids: Vec<String>) {
        if job_ids.is_empty() {
            return;
        }
        job_ids.sort();
        job_ids.dedup();
        // Call outside the lock: a listener may add or remove listeners.
        let listeners: Vec<_> = self.listeners().iter().map(|(_, l)| l.clone()).collect();
        for l in listeners {
            let ids = job_ids.clone();
            let _ = catch_unwind(AssertUnwindSafe(|| l.jobs_changed(ids)));
        }
    }
}

impl Technician {
    /// Registers a listener for job changes; keep the id to remove it.
    pub fn add_jobs_listener(&self, listener: Arc<dyn JobsListener>) -> ListenerId {
        self.changes.add(listener)
    }

    /// Removes a listener; `false` if the id was not registered.
    pub fn remove_jobs_listener(&self, id: ListenerId) -> bool {
        self.changes.remove(id)
    }

    /// Called right after a commit, once [`crate::store::Store::write`] has
    /// returned (so the store lock is released): the listeners hear the touched jobs.
    pub(crate) fn changed<I, S>(&self, job_ids: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.changes
            .notify(job_ids.into_iter().map(Into::into).collect());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample;
    use std::sync::atomic::AtomicUsize;

    #[derive(Default)]
    struct Heard(Mutex<Vec<Vec<String>>>);

    impl JobsListener for Heard {
        fn jobs_changed(&self, job_ids: Vec<String>) {
            self.0.lock().unwrap().push(job_ids);
        }
    }

    impl Heard {
        fn take(&self) -> Vec<Vec<String>> {
            std::mem::take(&mut *self.0.lock().unwrap())
        }
    }

    struct Panics;
    impl JobsListener for Panics {
        fn jobs_changed(&self, _: Vec<String>) {
            panic!("a listener bug");
        }
    }

    fn open() -> (tempfile::TempDir, Technician) {
        let dir = tempfile::tempdir().unwrap();
        let tech = Technician::open(dir.path().join("t.sqlite3"), sample::profile()).unwrap();
        (dir, tech)
    }

    fn order(job_id: &str) -> crate::order::WorkOrder {
        sample::leak_order(
            job_id,
            &sample::profile().technician_id,
            chrono::Utc::now() + chrono::Duration::hours(2),
        )
    }

    #[test]
    fn local_steps_name_their_job_and_failed_steps_are_silent() {
        let (_d, tech) = open();
        let heard = Arc::new(Heard::default());
        let id = tech.add_jobs_listener(heard.clone());
        tech.receive_order(order("J-1")).unwrap();
        tech.accept_job("J-1").unwrap();
        assert_eq!(heard.take(), vec![vec!["J-1".to_string()]; 2]);
        assert!(
            tech.arrive("J-1").is_err(),
            "a refused step commits nothing"
        );
        assert!(heard.take().is_empty());
        assert!(tech.remove_jobs_listener(id));
        assert!(!tech.remove_jobs_listener(id));
        tech.depart("J-1").ok();
        assert!(heard.take().is_empty(), "a removed listener hears nothing");
    }

    /// A listener reads the store at once: the lock is released before it is called.
    #[test]
    fn a_listener_may_read_the_store_it_hears_about() {
        struct Reads(Arc<Technician>, AtomicUsize);
        impl JobsListener for Reads {
            fn jobs_changed(&self, job_ids: Vec<String>) {
                for id in job_ids {
                    self.0.job(&id).expect("readable after the commit");
                    self.1.fetch_add(1, Ordering::SeqCst);
                }
            }
        }
        let (_d, tech) = open();
        let tech = Arc::new(tech);
        let reads = Arc::new(Reads(tech.clone(), AtomicUsize::new(0)));
        let id = tech.add_jobs_listener(reads.clone());
        tech.receive_order(order("J-2")).unwrap();
        tech.accept_job("J-2").unwrap();
        assert_eq!(reads.1.load(Ordering::SeqCst), 2);
        // Break the cycle tech -> listener -> tech.
        tech.remove_jobs_listener(id);
    }

    #[test]
    fn a_panicking_listener_spoils_nothing() {
        let (_d, tech) = open();
        let heard = Arc::new(Heard::default());
        tech.add_jobs_listener(Arc::new(Panics));
        tech.add_jobs_listener(heard.clone());
        tech.receive_order(order("J-3")).unwrap();
        tech.accept_job("J-3").unwrap();
        assert_eq!(heard.take().len(), 2, "the others still hear");
        assert_eq!(tech.jobs().unwrap().len(), 1, "the store is not poisoned");
        tech.depart("J-3").ok();
    }

    #[test]
    fn pulled_changes_and_acknowledgements_name_their_jobs() {
        use crate::sync::protocol::{
            Change, ChangeKind, OpResult, Outcome, PullResponse, PushResponse,
        };
        let (_d, tech) = open();
        let heard = Arc::new(Heard::default());
        tech.add_jobs_listener(heard.clone());
        let at = chrono::Utc::now();
        tech.apply_pulled(&PullResponse {
            changes: ["J-4", "J-5"]
                .iter()
                .enumerate()
                .map(|(i, id)| Change {
                    cursor: i as i64 + 1,
                    job_id: id.to_string(),
                    at,
                    change: ChangeKind::Dispatched {
                        order: Box::new(order(id)),
                    },
                })
                .collect(),
            next_cursor: 2,
            has_more: false,
            retention_days: None,
        })
        .unwrap();
        assert_eq!(
            heard.take(),
            vec![vec!["J-4".to_string(), "J-5".to_string()]]
        );

        tech.accept_job("J-5").unwrap();
        heard.take();
        let ops = tech.pending_ops(10).unwrap();
        let last = ops.last().unwrap().seq;
        tech.acknowledge(&PushResponse {
            last_applied_seq: last,
            results: ops
                .iter()
                .map(|op| OpResult {
                    op_id: op.op_id.clone(),
                    seq: op.seq,
                    outcome: Outcome::Applied,
                })
                .collect(),
            received_at: at,
            applied_omitted: false,
        })
        .unwrap();
        let acked = heard.take();
        assert_eq!(acked.len(), 1);
        assert!(acked[0].contains(&"J-5".to_string()), "{acked:?}");

        // An empty page touches nothing and says nothing.
        tech.apply_pulled(&PullResponse {
            changes: vec![],
            next_cursor: 2,
            has_more: false,
            retention_days: None,
        })
        .unwrap();
        assert!(heard.take().is_empty());
    }
}
