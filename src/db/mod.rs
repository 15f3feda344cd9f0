//! Every diesel query lives below this module, in functions named by intent; nothing else
//! names the schema. Here: the connection (SQLite or PostgreSQL), the pool, the blocking
//! runner, write transactions, migrations and first-start seeding.
//!
//! Queries are written once with diesel's query builder against `Conn`, which is either
//! backend; where SQL must differ (the search index, bulk seeding, upserts) the function
//! matches on `Conn` and each arm holds that backend's statement.

/// Runs one diesel expression on whichever backend `conn` holds, compiled once per
/// backend: for the statements diesel's multi-backend connection cannot build (batch
/// inserts, `RETURNING` a struct, upserts). The SQL is the same; only the types differ.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::Conn::Sqlite($c) => $body,
            $crate::db::Conn::Postgres($c) => $body,
        }
    };
}
pub(crate) use on_backend;

pub mod boards;
pub mod copy;
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
mod workers;

use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDateTime, SubsecRound, Utc};
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection, R2D2Connection};
use diesel::sql_types::BigInt;
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::config::DatabaseUrl;

/// A connection to either backend. The query builder works on it directly; functions
/// whose SQL differs per backend match on it.
#[derive(diesel::MultiConnection)]
pub enum Conn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

pub type PooledConn = PooledConnection<Connector>;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// The transaction-scoped advisory lock every PostgreSQL write transaction takes first:
/// writes are serialised across every app server sharing the database, as SQLite
/// serialises them, so the rules written for one writer (post numbers, counters, the
/// moderation log's hash chain, single-use codes) hold with many servers too. Reads never
/// take it.
const WRITER_LOCK: i64 = 0x6167_6f72_6101;

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

/// Opens connections of the configured backend for the pool.
#[derive(Debug, Clone)]
pub struct Connector {
    url: DatabaseUrl,
}

impl ManageConnection for Connector {
    type Connection = Conn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<Conn, Self::Error> {
        match &self.url {
            DatabaseUrl::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                // WAL lets pages read while a post is written; NORMAL sync is durable in
                // WAL mode except for the last transactions on power loss; the busy
                // timeout makes writers queue instead of failing.
                conn.batch_execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
                )
                .map_err(diesel::r2d2::Error::QueryError)?;
                Ok(Conn::Sqlite(conn))
            }
            DatabaseUrl::Postgres(url) => PgConnection::establish(url)
                .map(Conn::Postgres)
                .map_err(diesel::r2d2::Error::ConnectionError),
        }
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

/// The connection pool. Cloning is cheap (the pool is shared).
#[derive(Clone)]
pub struct Database {
    pool: Pool<Connector>,
    /// One writer at a time, in arrival order. SQLite allows one writer anyway (and
    /// PostgreSQL writers take `WRITER_LOCK`); waiting here instead of in the database
    /// (SQLite's busy handler sleeps and polls) keeps the slowest writes close to the
    /// typical one when many arrive at once.
    writer: Arc<tokio::sync::Mutex<()>>,
    /// The threads every query of the async side runs on, one per connection.
    workers: workers::Workers,
}

impl Database {
    /// Opens (creating if needed) and migrates the database, and seeds the default boards
    /// on first start.
    pub fn open(url: &DatabaseUrl, pool_size: u32) -> Result<Self, OpenError> {
        let db = Self::connect(url, pool_size)?;
        let mut conn = db.get()?;
        migrate(&mut conn)?;
        boards::seed_defaults(&mut conn, now()).map_err(DbError::from)?;
        Ok(db)
    }

    fn connect(url: &DatabaseUrl, pool_size: u32) -> Result<Self, OpenError> {
        let remote = matches!(url, DatabaseUrl::Postgres(_));
        let pool = Pool::builder()
            .max_size(pool_size.max(1))
            .min_idle(Some(1))
            // A local file does not go stale between uses (checking costs a query per
            // checkout); a connection to a server can drop, and is checked.
            .test_on_check_out(remote)
            .connection_timeout(Duration::from_secs(5))
            .build(Connector { url: url.clone() })
            .map_err(|source| OpenError::Pool {
                path: url.display_safely(),
                source,
            })?;
        Ok(Database {
            workers: workers::Workers::start(&pool, pool_size),
            pool,
            writer: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    /// A connection for synchronous callers (the CLI). Web code uses `run`/`write`.
    pub fn get(&self) -> Result<PooledConn, DbError> {
        Ok(self.pool.get()?)
    }

    /// Runs `f` with a pooled connection on one of the database threads, so that queries
    /// never stall an async worker.
    pub async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Conn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        self.workers.run(f).await
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
            let out = write_blocking(conn, f);
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

/// Runs the migrations of the connection's backend.
fn migrate(conn: &mut Conn) -> Result<(), OpenError> {
    let done = match conn {
        Conn::Sqlite(inner) => inner.run_pending_migrations(SQLITE_MIGRATIONS).map(drop),
        Conn::Postgres(inner) => inner.run_pending_migrations(POSTGRES_MIGRATIONS).map(drop),
    };
    done.map_err(|e| OpenError::Migrate(e.to_string()))
}

/// Runs `f` in one write transaction: all of it lands or none of it. SQLite takes its
/// write lock at the start (IMMEDIATE), so two writers queue on the busy timeout instead
/// of failing when a read lock would have to be upgraded; PostgreSQL takes `WRITER_LOCK`.
/// Also the write transaction for synchronous callers (the CLI).
pub fn write_blocking<T, E, F>(conn: &mut Conn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut Conn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    type Manager = <Conn as Connection>::TransactionManager;
    match conn {
        Conn::Sqlite(inner) => {
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?
        }
        Conn::Postgres(_) => Manager::begin_transaction(conn)?,
    }
    let out = take_writer_lock(conn)
        .map_err(E::from)
        .and_then(|()| f(conn));
    match out {
        Ok(value) => {
            Manager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(error) => {
            // The error that stopped the work is the one to report; a failed rollback
            // leaves the connection marked broken, and the pool drops it.
            let _ = Manager::rollback_transaction(conn);
            Err(error)
        }
    }
}

fn take_writer_lock(conn: &mut Conn) -> QueryResult<()> {
    if let Conn::Postgres(inner) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<BigInt, _>(WRITER_LOCK)
            .execute(inner)?;
    }
    Ok(())
}

impl Conn {
    /// Which backend this is, for messages and reports.
    pub fn backend_name(&self) -> &'static str {
        match self {
            Conn::Postgres(_) => "PostgreSQL",
            Conn::Sqlite(_) => "SQLite",
        }
    }
}
