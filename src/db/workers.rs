//! The threads that run database work for the async side: a fixed set, one per pooled
//! connection. A query never waits for a connection on a thread of its own (with tokio's
//! blocking pool, 64 waiting requests were 64 threads parked in the pool's checkout), and
//! the process keeps a fixed number of allocating threads: glibc's malloc gives each busy
//! thread an arena of its own and rarely hands the memory back, so fewer threads is a
//! smaller, flatter resident size under load.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};

use diesel::r2d2::Pool;
use tokio::sync::oneshot;

use super::{Conn, Connector, DbError};

type Job = Box<dyn FnOnce(&Pool<Connector>) + Send>;

/// The queue in front of the database threads. Cloning shares the threads; they stop when
/// the last clone is dropped.
#[derive(Clone)]
pub struct Workers {
    queue: Sender<Job>,
}

impl Workers {
    /// Starts `threads` threads that run jobs with connections from `pool`.
    pub fn start(pool: &Pool<Connector>, threads: u32) -> Self {
        let (queue, jobs) = mpsc::channel::<Job>();
        let jobs = Arc::new(Mutex::new(jobs));
        for n in 0..threads.max(1) {
            let jobs = jobs.clone();
            let pool = pool.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("db-{n}"))
                .spawn(move || work(&jobs, &pool));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a database thread");
            }
        }
        Workers { queue }
    }

    /// Runs `f` with a pooled connection on one of the threads and hands back its answer.
    pub async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Conn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let (done, answer) = oneshot::channel();
        let job: Job = Box::new(move |pool| {
            let out = match pool.get() {
                Ok(mut conn) => f(&mut conn),
                Err(e) => Err(E::from(DbError::from(e))),
            };
            // The caller may have gone (a closed connection): the work is done either way.
            let _ = done.send(out);
        });
        self.queue
            .send(job)
            .map_err(|_| E::from(DbError::Task("the database threads have stopped".into())))?;
        answer
            .await
            .map_err(|_| E::from(DbError::Task("a database job panicked".into())))?
    }
}

fn work(jobs: &Mutex<Receiver<Job>>, pool: &Pool<Connector>) {
    loop {
        // The lock is held only while waiting for the next job, never while running one.
        let job = match jobs.lock() {
            Ok(jobs) => jobs.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        // A panicking job drops its answer channel (its caller gets an error) and leaves
        // the thread to serve the next one; the pool discards the connection it held.
        if catch_unwind(AssertUnwindSafe(|| job(pool))).is_err() {
            tracing::error!("a database job panicked");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DatabaseUrl;
    use diesel::prelude::*;

    fn workers(dir: &tempfile::TempDir, threads: u32) -> Workers {
        let url = DatabaseUrl::Sqlite(dir.path().join("w.db"));
        let pool = Pool::builder()
            .max_size(threads)
            .build(Connector { url })
            .expect("a pool on a fresh file");
        Workers::start(&pool, threads)
    }

    fn one(conn: &mut Conn) -> Result<i32, DbError> {
        Ok(diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>("1")).get_result(conn)?)
    }

    #[tokio::test]
    async fn a_panicking_job_fails_its_caller_and_the_threads_keep_serving() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let workers = workers(&dir, 1);
        let failed: Result<i32, DbError> = workers.run(|_| panic!("a bug in one query")).await;
        assert!(matches!(failed, Err(DbError::Task(_))));
        // The only thread survived the panic and still has a working connection.
        assert_eq!(workers.run(one).await.expect("answered"), 1);
    }

    #[tokio::test]
    async fn more_jobs_than_threads_all_get_answered() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let workers = workers(&dir, 2);
        let waiting: Vec<_> = (0..50)
            .map(|_| {
                let workers = workers.clone();
                tokio::spawn(async move { workers.run(one).await })
            })
            .collect();
        for answer in waiting {
            assert_eq!(answer.await.expect("joined").expect("answered"), 1);
        }
    }
}
