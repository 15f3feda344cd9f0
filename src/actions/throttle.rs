//! The throttle applied to one password or code check, inside the caller's transaction.
//! An attempt counts as a failure from the moment it starts, so that parallel guesses
//! cannot all slip in before the first failure is written; success takes it back.

use chrono::NaiveDateTime;

use crate::db::{self, throttle as counters};
use crate::domain::throttle::{LoginThrottle, Scope, retry_after_seconds};
use crate::error::AppError;

/// One check in progress: the counters it was charged to.
#[derive(Debug)]
#[must_use = "an attempt ends in succeed, take_back or failed"]
pub struct Attempt {
    keys: Vec<(Scope, String)>,
    /// Seconds left on the account lock this attempt was let past (see `begin`).
    bypassed_account_lock: Option<u64>,
}

/// Answers 429 when one of `keys` is locked now, writing nothing: a read-only look before
/// `begin`, so that attempts against a lock never wait for the writer.
pub fn refuse_if_locked(
    conn: &mut db::Conn,
    policy: &LoginThrottle,
    keys: &[(Scope, String)],
    may_pass_account_lock: bool,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    for (scope, key) in keys {
        if *scope == Scope::Account && may_pass_account_lock {
            continue;
        }
        let record = counters::record(conn, *scope, key)?;
        if let Some(wait) = record.and_then(|r| policy.retry_after(&r, now)) {
            return Err(AppError::RateLimited(retry_after_seconds(wait)));
        }
    }
    Ok(())
}

/// Starts a check charged to `keys`: refused with `rate_limited` while any of them is
/// locked, else counted as one failure until it ends otherwise.
///
/// A locked *account* does not refuse an attempt that also carries a second factor
/// (`may_pass_account_lock`): anyone can lock an account by failing on purpose, and a
/// member who holds both the password and a valid code must still get in, however long
/// the attack goes on. Such an attempt succeeds only if the password and the code are both
/// right, and any failure is answered `rate_limited` like the lock itself, so it tells the
/// attacker nothing about the password. The client address's lock still applies, which is
/// what bounds an attacker who already knows the password and guesses codes.
pub fn begin(
    conn: &mut db::Conn,
    policy: &LoginThrottle,
    keys: Vec<(Scope, String)>,
    may_pass_account_lock: bool,
    now: NaiveDateTime,
) -> Result<Attempt, AppError> {
    counters::forget_before(conn, policy.forgotten_before(now))?;
    let mut records = Vec::with_capacity(keys.len());
    let mut bypassed_account_lock = None;
    for (scope, key) in &keys {
        let record = counters::record(conn, *scope, key)?;
        if let Some(wait) = record.and_then(|r| policy.retry_after(&r, now)) {
            let seconds = retry_after_seconds(wait);
            if *scope == Scope::Account && may_pass_account_lock {
                bypassed_account_lock = Some(seconds);
            } else {
                return Err(AppError::RateLimited(seconds));
            }
        }
        records.push(record);
    }
    for ((scope, key), record) in keys.iter().zip(&records) {
        counters::save(
            conn,
            *scope,
            key,
            &policy.after_failure(record.as_ref(), now),
        )?;
    }
    Ok(Attempt {
        keys,
        bypassed_account_lock,
    })
}

impl Attempt {
    /// Whether this attempt was let past a locked account on the strength of its code.
    pub fn passed_account_lock(&self) -> bool {
        self.bypassed_account_lock.is_some()
    }

    /// The check failed: it stays counted. What to answer: `error`, or `rate_limited` when
    /// the attempt went past a locked account (so that it reveals nothing more).
    pub fn failed(self, error: AppError) -> AppError {
        match self.bypassed_account_lock {
            Some(seconds) => AppError::RateLimited(seconds),
            None => error,
        }
    }

    /// The member proved who they are: the account's and the session's counters are
    /// cleared; the address's is only given back this attempt, so that an attacker cannot
    /// wipe the count of an address by logging into an account of their own.
    pub fn succeed(self, conn: &mut db::Conn) -> Result<(), AppError> {
        for (scope, key) in &self.keys {
            match scope {
                Scope::Account | Scope::Session => {
                    counters::clear(conn, *scope, key)?;
                }
                Scope::Address => give_back(conn, *scope, key)?,
            }
        }
        Ok(())
    }

    /// The password was right but the second factor is still to come: the attempt is not
    /// a failure, and not yet a success either.
    pub fn take_back(self, conn: &mut db::Conn) -> Result<(), AppError> {
        for (scope, key) in &self.keys {
            give_back(conn, *scope, key)?;
        }
        Ok(())
    }
}

/// The check could not be made (password hashing saturated, say): nothing was judged, so
/// the attempt is given back before `error` is answered. Refusals under load must not add
/// up to a lock on people who typed their password right.
pub async fn not_judged(db: &db::Database, attempt: Attempt, error: AppError) -> AppError {
    match db.write(move |conn| attempt.take_back(conn)).await {
        Ok(()) => error,
        Err(e) => e,
    }
}

fn give_back(conn: &mut db::Conn, scope: Scope, key: &str) -> Result<(), AppError> {
    match counters::record(conn, scope, key)? {
        Some(r) if r.failures > 1 => {
            let mut r = r;
            r.failures -= 1;
            counters::save(conn, scope, key, &r)?;
        }
        Some(_) => {
            counters::clear(conn, scope, key)?;
        }
        None => {}
    }
    Ok(())
}
