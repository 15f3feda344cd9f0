//! Every diesel query lives below this module, in functions named by intent; nothing else
//! names the schema. Here: the pool, the blocking runner, migrations and first-start seeding.

pub mod boards;
pub mod moderation;
pub mod pending_logins;
pub mod posts;
pub mod schema;
pub mod search;
pub mod seed;
pub mod sessions;
pub mod threads;
pub mod throttle;
pub mod totp;
pub mod users;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDateTime, SubsecRound, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::config::DatabaseUrl;

pub type Conn = SqliteConnection;
pub type PooledConn = PooledConnection<ConnectionManager<SqliteConnection>>;

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("no database connection free: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("database task failed: {0}")]
    Task(String),
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("PostgreSQL is not supported by this build yet; use a SQLite path")]
    PostgresUnsupported,
    #[error("cannot open the database {path}: {source}")]
    Pool {
        path: String,
        source: diesel::r2d2::PoolError,
    },
    #[error("cannot migrate the database: {0}")]
    Migrate(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A timestamp for storage: UTC, to the microsecond (what both backends keep).
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        // WAL lets pages read while a post is written; NORMAL sync is durable in WAL mode
        // except for the last transactions on power loss; the busy timeout makes writers
        // queue instead of failing.
        conn.batch_execute(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
        )
        .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// The connection pool. Cloning is cheap (the pool is shared).
#[derive(Clone)]
pub struct Database {
    pool: Pool<ConnectionManager<SqliteConnection>>,
    /// One writer at a time, in arrival order. SQLite allows one writer anyway; waiting
    /// here instead of in its busy handler (which sleeps and polls) keeps the slowest
    /// writes close to the typical one when many arrive at once.
    writer: Arc<tokio::sync::Mutex<()>>,
}

impl Database {
    /// Opens (creating if needed) and migrates the database, and seeds the default boards
    /// on first start.
    pub fn open(url: &DatabaseUrl, pool_size: u32) -> Result<Self, OpenError> {
        let path = match url {
            DatabaseUrl::Sqlite(path) => path,
            DatabaseUrl::Postgres(_) => return Err(OpenError::PostgresUnsupported),
        };
        let db = Self::connect(path, pool_size)?;
        let mut conn = db.get()?;
        conn.run_pending_migrations(MIGRATIONS)
            .map_err(|e| OpenError::Migrate(e.to_string()))?;
        boards::seed_defaults(&mut conn, now()).map_err(DbError::from)?;
        Ok(db)
    }

    fn connect(path: &Path, pool_size: u32) -> Result<Self, OpenError> {
        let manager = ConnectionManager::<SqliteConnection>::new(path.to_string_lossy());
        let pool = Pool::builder()
            .max_size(pool_size.max(1))
            .min_idle(Some(1))
            // A local file does not go stale between uses; checking costs a query per
            // checkout.
            .test_on_check_out(false)
            .connection_timeout(Duration::from_secs(5))
            .connection_customizer(Box::new(SqlitePragmas))
            .build(manager)
            .map_err(|source| OpenError::Pool {
                path: path.display().to_string(),
                source,
            })?;
        Ok(Database {
            pool,
            writer: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    /// A connection for synchronous callers (the CLI). Web code uses `run`/`write`.
    pub fn get(&self) -> Result<PooledConn, DbError> {
        Ok(self.pool.get()?)
    }

    /// Runs `f` with a pooled connection on a blocking thread, so that queries never
    /// stall an async worker.
    pub async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Conn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(DbError::from)?;
            f(&mut conn)
        })
        .await
        .map_err(|e| E::from(DbError::Task(e.to_string())))?
    }

    /// Runs `f` in one write transaction: all of it lands or none of it. SQLite takes the
    /// write lock at the start (IMMEDIATE), so two writers queue on the busy timeout instead
    /// of failing when a read lock would have to be upgraded.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Conn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + From<diesel::result::Error> + Send + 'static,
    {
        let turn = self.writer.clone().lock_owned().await;
        self.run(move |conn| {
            let out = conn.immediate_transaction(f);
            drop(turn);
            out
        })
        .await
    }

    /// Runs `prepare` with a pooled connection and no lock held (rendering, segmenting,
    /// reads the write depends on), then `write` with what it made in one write
    /// transaction, in turn with the other writers: slow work never holds up the queue.
    pub async fn prepare_then_write<P, T, E, Prep, W>(
        &self,
        prepare: Prep,
        write: W,
    ) -> Result<T, E>
    where
        Prep: FnOnce(&mut Conn) -> Result<P, E> + Send + 'static,
        W: FnOnce(&mut Conn, P) -> Result<T, E> + Send + 'static,
        P: Send + 'static,
        T: Send + 'static,
        E: From<DbError> + From<diesel::result::Error> + Send + 'static,
    {
        let prepared = self.run(prepare).await?;
        self.write(move |conn| write(conn, prepared)).await
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), DbError> {
        self.run(|conn| {
            diesel::sql_query("SELECT 1").execute(conn)?;
            Ok(())
        })
        .await
    }
}

/// A write transaction for synchronous callers (the CLI).
pub fn write_blocking<T, E, F>(conn: &mut Conn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut Conn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    conn.immediate_transaction(f)
}
