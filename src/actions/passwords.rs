//! Password hashing as a shared resource. Hashes run on a few dedicated threads (one per
//! core), each keeping its 19 MiB of argon2 memory for good, at a lower CPU priority than the
//! HTTP workers: a login storm then takes the CPU that pages leave over instead of stalling
//! them, and memory stays flat however many logins arrive. In front of the threads is a short
//! queue, and room in it is claimed before a login touches the database; when none frees
//! up within a few milliseconds the request is answered 503 (with `Retry-After`) rather
//! than left waiting seconds for its turn.

use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use crate::domain::password::{self, HashMemory, Password};
use crate::error::AppError;

type Job = Box<dyn FnOnce(&mut HashMemory) + Send>;

/// How much nicer than the HTTP workers the hashing threads are (Linux nice levels: at 10
/// a thread weighs about a tenth of a default one when both want the CPU).
const HASHING_NICENESS: i32 = 10;

/// The longest a hash waits for room before it is refused: well inside the 10 ms a
/// refusal may take.
const ROOM_WAIT: std::time::Duration = std::time::Duration::from_millis(3);

#[derive(Clone)]
pub struct PasswordHasher {
    queue: SyncSender<Job>,
    /// One permit per hash being computed or waiting; the queue has room for all of them,
    /// so a hash that holds a permit is never turned away.
    room: Arc<Semaphore>,
}

/// Room for one hash, claimed before the request does anything else: a login that finds
/// the hashing threads saturated is refused before it reads or writes the database.
pub struct HashSlot {
    hasher: PasswordHasher,
    permit: OwnedSemaphorePermit,
}

impl PasswordHasher {
    /// `threads` hashing threads and room for `waiting` hashes queued behind them.
    pub fn new(threads: usize, waiting: usize) -> Self {
        let threads = threads.max(1);
        let capacity = threads + waiting;
        let (queue, jobs) = mpsc::sync_channel::<Job>(capacity);
        let jobs = Arc::new(Mutex::new(jobs));
        for n in 0..threads {
            let jobs = jobs.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || hashing_thread(&jobs));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password hashing thread");
            }
        }
        PasswordHasher {
            queue,
            room: Arc::new(Semaphore::new(capacity)),
        }
    }

    /// One thread per core, and a queue of four hashes per thread (at ~20 ms a hash, no
    /// accepted login waits more than ~100 ms for its turn).
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        Self::new(cores, cores * 4)
    }

    /// Claims room for one hash, waiting at most `ROOM_WAIT` for some to free up, else
    /// answers 503 (with `Retry-After`). Room frees every few milliseconds in a storm, so
    /// the short wait gives a login that arrives just after a refusal a fair chance; and a
    /// client that retries the moment it is refused cannot turn refusals into a flood
    /// that takes the CPU from the hashes themselves.
    pub async fn reserve(&self) -> Result<HashSlot, AppError> {
        let room = self.room.clone();
        let permit = match room.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => tokio::time::timeout(ROOM_WAIT, room.acquire_owned())
                .await
                .map_err(|_| AppError::Unavailable("password hashing is saturated".into()))?
                .map_err(|_| AppError::Internal("password hashing has stopped".into()))?,
        };
        Ok(HashSlot {
            hasher: self.clone(),
            permit,
        })
    }

    pub async fn hash(&self, password: Password) -> Result<String, AppError> {
        self.reserve().await?.hash(password).await
    }

    pub async fn verify(
        &self,
        candidate: String,
        stored: Option<String>,
    ) -> Result<bool, AppError> {
        self.reserve().await?.verify(candidate, stored).await
    }
}

impl HashSlot {
    async fn run<T: Send + 'static>(
        self,
        work: impl FnOnce(&mut HashMemory) -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let (done, result) = oneshot::channel();
        let permit = self.permit;
        let job: Job = Box::new(move |memory| {
            let out = work(memory);
            drop(permit);
            let _ = done.send(out);
        });
        match self.hasher.queue.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                return Err(AppError::Unavailable(
                    "password hashing is saturated".into(),
                ));
            }
            Err(TrySendError::Disconnected(_)) => {
                return Err(AppError::Internal("no password hashing thread".into()));
            }
        }
        result
            .await
            .map_err(|_| AppError::Internal("a password hashing thread stopped".into()))
    }

    pub async fn hash(self, password: Password) -> Result<String, AppError> {
        self.run(move |memory| password::hash_with(&password, memory))
            .await?
            .map_err(|e| AppError::Internal(e.to_string()))
    }

    /// Whether `candidate` matches `stored`; with no stored hash (no such user) the same
    /// work is done against a dummy, so that timing does not tell the two apart.
    pub async fn verify(self, candidate: String, stored: Option<String>) -> Result<bool, AppError> {
        self.run(move |memory| match stored {
            Some(hash) => password::verify_with(&candidate, &hash, memory),
            None => password::verify_against_dummy(&candidate, memory),
        })
        .await
    }
}

fn hashing_thread(jobs: &Mutex<Receiver<Job>>) {
    lower_priority();
    // Taken at the first hash, so that a server nobody logs into does not hold it.
    let mut memory: Option<HashMemory> = None;
    loop {
        // The lock is held only while waiting for the next job, never while hashing.
        let next = match jobs.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        match next {
            Ok(job) => job(memory.get_or_insert_with(HashMemory::new)),
            // Every sender is gone: the server is shutting down.
            Err(_) => return,
        }
    }
}

#[cfg(target_os = "linux")]
fn lower_priority() {
    // On Linux a nice value belongs to a thread (named by its thread id), so this leaves
    // the HTTP workers alone.
    let me = rustix::thread::gettid();
    if let Err(e) = rustix::process::setpriority_process(Some(me), HASHING_NICENESS) {
        tracing::warn!(error = %e, "cannot lower the priority of a password hashing thread");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_made_on_the_hashing_threads_verifies_and_a_wrong_password_does_not() {
        let hasher = PasswordHasher::new(1, 4);
        let pw = Password::parse("correct horse battery staple", "someone").expect("valid");
        let stored = hasher.hash(pw).await.expect("hashed");
        assert!(
            hasher
                .verify("correct horse battery staple".into(), Some(stored.clone()))
                .await
                .expect("verified")
        );
        assert!(
            !hasher
                .verify("wrong horse".into(), Some(stored))
                .await
                .expect("verified")
        );
        assert!(!hasher.verify("anything".into(), None).await.expect("ran"));
    }

    #[tokio::test]
    async fn a_full_queue_is_refused_at_once_with_503() {
        // One thread, room for one waiting hash: of many at once, some must be refused.
        let hasher = PasswordHasher::new(1, 1);
        let attempts: Vec<_> = (0..8)
            .map(|_| {
                let h = hasher.clone();
                tokio::spawn(async move { h.verify("x".repeat(12), None).await })
            })
            .collect();
        let mut refused = 0;
        for a in attempts {
            if let Ok(Err(AppError::Unavailable(_))) = a.await {
                refused += 1;
            }
        }
        assert!(
            refused > 0,
            "a saturated hasher refuses instead of queueing"
        );
    }

    #[tokio::test]
    async fn room_is_claimed_before_hashing_and_freed_when_a_claim_ends() {
        let hasher = PasswordHasher::new(1, 0);
        let held = hasher.reserve().await.expect("room for one");
        assert!(matches!(
            hasher.reserve().await,
            Err(AppError::Unavailable(_))
        ));
        drop(held);
        let slot = hasher.reserve().await.expect("room again");
        assert!(!slot.verify("x".repeat(12), None).await.expect("ran"));
        assert!(
            hasher.reserve().await.is_ok(),
            "a finished hash frees its room"
        );
    }
}
