//! Logging in: the password, then (for accounts with 2FA) the second factor, either in one
//! request (the API, or a browser past an account lock) or in two steps with a half-login
//! between them (the HTML pages). Every check is throttled per account and per address.

use chrono::Duration;

use super::accounts::{ClientMeta, NewSessionTokens, open_session_in};
use super::two_factor::spend_second_factor;
use super::{Auth, throttle};
use crate::db::{self, pending_logins, users};
use crate::domain::password::Password;
use crate::domain::throttle::{Scope, account_key, address_key};
use crate::domain::token;
use crate::domain::totp::SecondFactor;
use crate::domain::user::lookup_key;
use crate::error::AppError;

/// How long the half-login after a correct password waits for the code.
pub const PENDING_LIFETIME: Duration = Duration::minutes(5);

/// The outcome of the password step.
pub enum PasswordStep {
    /// Signed in (no 2FA, or the code came along).
    SignedIn(NewSessionTokens),
    /// The password was right; the code step needs this half-login token.
    CodeNeeded { pending_token: String },
}

fn login_keys(name_key: &str, meta: &ClientMeta) -> Vec<(Scope, String)> {
    let mut keys = vec![(Scope::Account, account_key(name_key))];
    keys.extend(
        meta.ip
            .as_deref()
            .map(|ip| (Scope::Address, address_key(ip))),
    );
    keys
}

/// The HTML password step: checks a username and password (and the second factor when one
/// is given); a 2FA account without one gets a half-login for the code step.
pub async fn password_step(
    auth: &Auth<'_>,
    username: &str,
    password: &str,
    second: Option<SecondFactor>,
    meta: ClientMeta,
) -> Result<PasswordStep, AppError> {
    match check_password(auth, username, password, second, meta, true).await? {
        Checked::SignedIn(opened) => Ok(PasswordStep::SignedIn(opened)),
        Checked::CodeNeeded(Some(pending_token)) => Ok(PasswordStep::CodeNeeded { pending_token }),
        Checked::CodeNeeded(None) => Err(AppError::OtpRequired),
    }
}

enum Checked {
    SignedIn(NewSessionTokens),
    /// With the half-login token when one was asked for.
    CodeNeeded(Option<String>),
}

/// Checks a username and password, and the second factor when one is given. Unknown names
/// cost the same argon2 work as known ones (a dummy hash), and are throttled alike.
async fn check_password(
    auth: &Auth<'_>,
    username: &str,
    password: &str,
    second: Option<SecondFactor>,
    meta: ClientMeta,
    keep_pending: bool,
) -> Result<Checked, AppError> {
    let name_key = lookup_key(username);
    let keys = login_keys(&name_key, &meta);
    let policy = *auth.throttle;
    let may_pass_account_lock = second.is_some();
    // Refusals are cheap in a storm: no room to hash, or a lock already in place, is
    // answered before the attempt waits for the database's single writer.
    let slot = auth.hasher.reserve().await?;
    let checked_keys = keys.clone();
    auth.db
        .run(move |conn| {
            throttle::refuse_if_locked(
                conn,
                &policy,
                &checked_keys,
                may_pass_account_lock,
                db::now(),
            )
        })
        .await?;
    let (attempt, found) = auth
        .db
        .write(move |conn| {
            let attempt = throttle::begin(conn, &policy, keys, may_pass_account_lock, db::now())?;
            let found = users::credentials_by_key(conn, &name_key)?;
            Ok::<_, AppError>((attempt, found))
        })
        .await?;
    let (user, stored) = match found {
        Some((user, hash)) => (Some(user), Some(hash)),
        None => (None, None),
    };
    // Over-long input cannot be a password of ours; it is still hashed against the dummy
    // so that it answers no faster.
    let candidate: String = password.chars().take(Password::MAX_CHARS + 1).collect();
    let matches = match slot.verify(candidate, stored).await {
        Ok(matches) => matches,
        Err(e) => return Err(throttle::not_judged(auth.db, attempt, e).await),
    };
    let user = match user {
        Some(user) if matches => user,
        _ => return Err(attempt.failed(AppError::InvalidCredentials)),
    };
    let key = auth.key.clone();
    auth.db
        .write(move |conn| -> Result<Result<Checked, AppError>, AppError> {
            if !user.totp_enabled() {
                // Past a locked account only with a real second factor, which this account
                // does not have.
                if attempt.passed_account_lock() {
                    return Ok(Err(attempt.failed(AppError::InvalidCredentials)));
                }
                attempt.succeed(conn)?;
                return Ok(Ok(Checked::SignedIn(open_session_in(conn, user, &meta)?)));
            }
            let Some(factor) = second else {
                attempt.take_back(conn)?;
                if !keep_pending {
                    return Ok(Ok(Checked::CodeNeeded(None)));
                }
                let pending_token = token::random_token();
                let now = db::now();
                pending_logins::delete_expired(conn, now)?;
                pending_logins::insert(
                    conn,
                    user.id(),
                    &token::digest(&pending_token),
                    now,
                    now + PENDING_LIFETIME,
                )?;
                return Ok(Ok(Checked::CodeNeeded(Some(pending_token))));
            };
            if !spend_second_factor(conn, &key, user.id(), &factor)? {
                return Ok(Err(attempt.failed(AppError::InvalidOtp)));
            }
            attempt.succeed(conn)?;
            Ok(Ok(Checked::SignedIn(open_session_in(conn, user, &meta)?)))
        })
        .await?
}

/// The API's login: one request; a 2FA account without a code is `otp_required` (and no
/// half-login is kept for it).
pub async fn login(
    auth: &Auth<'_>,
    username: &str,
    password: &str,
    second: Option<SecondFactor>,
    meta: ClientMeta,
) -> Result<NewSessionTokens, AppError> {
    match check_password(auth, username, password, second, meta, false).await? {
        Checked::SignedIn(opened) => Ok(opened),
        Checked::CodeNeeded(_) => Err(AppError::OtpRequired),
    }
}

/// Whether a half-login token is live (the code page shows only then).
pub async fn pending_is_live(auth: &Auth<'_>, pending_token: &str) -> Result<bool, AppError> {
    if !token::looks_like_token(pending_token) {
        return Ok(false);
    }
    let hash = token::digest(pending_token);
    auth.db
        .run(move |conn| Ok(pending_logins::find_live(conn, &hash, db::now())?.is_some()))
        .await
}

/// The code step: the half-login proves the password, the code the second factor. On
/// success the half-login is spent and a new session opens. The half-login counts as a
/// password for the account lock: a member who has both gets in even while it is locked.
pub async fn code_step(
    auth: &Auth<'_>,
    pending_token: &str,
    factor: SecondFactor,
    meta: ClientMeta,
) -> Result<NewSessionTokens, AppError> {
    if !token::looks_like_token(pending_token) {
        return Err(AppError::LoginExpired);
    }
    let hash = token::digest(pending_token);
    let (key, policy) = (auth.key.clone(), *auth.throttle);
    auth.db
        .write(
            move |conn| -> Result<Result<NewSessionTokens, AppError>, AppError> {
                let now = db::now();
                let pending =
                    pending_logins::find_live(conn, &hash, now)?.ok_or(AppError::LoginExpired)?;
                let user = users::by_id(conn, pending.user())?.ok_or(AppError::LoginExpired)?;
                let keys = login_keys(&lookup_key(&user.username), &meta);
                let attempt = throttle::begin(conn, &policy, keys, true, now)?;
                if !spend_second_factor(conn, &key, user.id(), &factor)? {
                    return Ok(Err(attempt.failed(AppError::InvalidOtp)));
                }
                attempt.succeed(conn)?;
                pending_logins::delete(conn, pending.id)?;
                Ok(Ok(open_session_in(conn, user, &meta)?))
            },
        )
        .await?
}
