//! Failure counters for password and code checks, one row per (scope, key).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::upsert::excluded;

use super::Conn;
use super::schema::login_throttles;
use crate::domain::throttle::{Record, Scope};

pub fn record(conn: &mut Conn, scope: Scope, key: &str) -> QueryResult<Option<Record>> {
    login_throttles::table
        .find((scope.as_str(), key))
        .select((login_throttles::failures, login_throttles::last_failure_at))
        .first::<(i64, NaiveDateTime)>(conn)
        .optional()
        .map(|found| {
            found.map(|(failures, last_failure_at)| Record {
                failures,
                last_failure_at,
            })
        })
}

pub fn save(conn: &mut Conn, scope: Scope, key: &str, record: &Record) -> QueryResult<usize> {
    super::on_backend!(conn, |c| diesel::insert_into(login_throttles::table)
        .values((
            login_throttles::scope.eq(scope.as_str()),
            login_throttles::key.eq(key),
            login_throttles::failures.eq(record.failures),
            login_throttles::last_failure_at.eq(record.last_failure_at),
        ))
        .on_conflict((login_throttles::scope, login_throttles::key))
        .do_update()
        .set((
            login_throttles::failures.eq(excluded(login_throttles::failures)),
            login_throttles::last_failure_at.eq(excluded(login_throttles::last_failure_at)),
        ))
        .execute(c))
}

pub fn clear(conn: &mut Conn, scope: Scope, key: &str) -> QueryResult<usize> {
    diesel::delete(login_throttles::table.find((scope.as_str(), key))).execute(conn)
}

/// Drops counters nobody has failed on for longer than they are remembered.
pub fn forget_before(conn: &mut Conn, cutoff: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(login_throttles::table.filter(login_throttles::last_failure_at.lt(cutoff)))
        .execute(conn)
}
