//! Password hashing as a shared resource: on blocking threads, at most one hash per CPU
//! core at a time. Unbounded concurrent hashing only makes every login slower, and a
//! hash on an async worker stalls every page that worker serves.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::domain::password::{self, Password};
use crate::error::AppError;

#[derive(Clone)]
pub struct PasswordHasher {
    slots: Arc<Semaphore>,
    wait: Duration,
}

impl PasswordHasher {
    /// `slots` hashes may run at once; a request that waits longer than `wait` for a slot
    /// is answered 503 instead of queueing for seconds.
    pub fn new(slots: usize, wait: Duration) -> Self {
        PasswordHasher {
            slots: Arc::new(Semaphore::new(slots.max(1))),
            wait,
        }
    }

    /// Sized to the machine's cores.
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        Self::new(cores, Duration::from_secs(5))
    }

    async fn with_slot<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let permit = tokio::time::timeout(self.wait, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| AppError::Unavailable("password hashing is saturated".into()))?
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let out = tokio::task::spawn_blocking(move || {
            let out = work();
            drop(permit);
            out
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(out)
    }

    pub async fn hash(&self, password: Password) -> Result<String, AppError> {
        self.with_slot(move || password::hash(&password))
            .await?
            .map_err(|e| AppError::Internal(e.to_string()))
    }

    /// Whether `candidate` matches `stored`; with no stored hash (no such user) the same
    /// work is done against a dummy, so that timing does not tell the two apart.
    pub async fn verify(
        &self,
        candidate: String,
        stored: Option<String>,
    ) -> Result<bool, AppError> {
        self.with_slot(move || match stored {
            Some(hash) => password::verify(&candidate, &hash),
            None => password::verify_against_dummy(&candidate),
        })
        .await
    }
}
