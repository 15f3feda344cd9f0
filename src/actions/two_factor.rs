//! Turning 2FA on (enrol, confirm), off, and renewing recovery codes; and checking a second
//! factor inside a transaction, which every login with 2FA goes through. A code is checked
//! and its time step stored in one write transaction, so it is accepted once only.

use chrono::Utc;

use super::{Auth, Member, throttle};
use crate::db::{self, pending_logins, sessions, totp as factors, users};
use crate::domain::ids::UserId;
use crate::domain::recovery::{self, RecoveryCode};
use crate::domain::secretbox::SecretKey;
use crate::domain::totp::{self, OtpCode, QrSvg, SecondFactor, TotpSecret};
use crate::domain::user::lookup_key;
use crate::error::AppError;

/// What a member needs to add the account to an authenticator app.
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// The secret in base32, for typing in by hand.
    pub secret: String,
    pub otpauth_url: String,
    pub qr_svg: QrSvg,
}

fn seal_context(user: UserId) -> Vec<u8> {
    format!("agora-totp-secret:{}", user.get()).into_bytes()
}

fn open_secret(key: &SecretKey, user: UserId, sealed: &[u8]) -> Result<TotpSecret, AppError> {
    key.open(sealed, &seal_context(user))
        .ok()
        .and_then(|bytes| TotpSecret::from_bytes(&bytes))
        .ok_or_else(|| {
            AppError::Internal(format!(
                "the TOTP secret of user {user} does not open: was AGORA_TOTP_KEY or the key file changed?"
            ))
        })
}

fn enrolment(secret: &TotpSecret, username: &str) -> Result<Enrolment, AppError> {
    let otpauth_url =
        totp::otpauth_url(secret, username).map_err(|e| AppError::Internal(e.to_string()))?;
    let qr_svg = totp::qr_svg(&otpauth_url).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Enrolment {
        secret: secret.base32(),
        otpauth_url,
        qr_svg,
    })
}

fn unix_now() -> u64 {
    u64::try_from(Utc::now().timestamp()).unwrap_or(0)
}

/// Whether `factor` proves the second factor of `user`, spending it if so: the code's time
/// step is stored (that step and all earlier ones are refused from then on), or the recovery
/// code is marked used. Runs inside the caller's write transaction.
pub(super) fn spend_second_factor(
    conn: &mut db::Conn,
    key: &SecretKey,
    user: UserId,
    factor: &SecondFactor,
) -> Result<bool, AppError> {
    match factor {
        SecondFactor::Otp(code) => spend_totp(conn, key, user, code),
        SecondFactor::Recovery(code) => Ok(factors::use_recovery_code(
            conn,
            user,
            &code.digest(user),
            db::now(),
        )?),
    }
}

fn spend_totp(
    conn: &mut db::Conn,
    key: &SecretKey,
    user: UserId,
    code: &OtpCode,
) -> Result<bool, AppError> {
    let Some(credential) = factors::credential(conn, user)? else {
        return Ok(false);
    };
    let secret = open_secret(key, user, &credential.secret_ciphertext)?;
    match totp::accepted_step(&secret, code, unix_now(), credential.last_step) {
        Some(step) => Ok(factors::use_step(conn, user, step)?),
        None => Ok(false),
    }
}

/// Starts turning 2FA on: a new secret, sealed and stored as pending (replacing an earlier
/// pending one). 2FA is not on until `confirm` gets a code made from it.
pub async fn enrol(auth: &Auth<'_>, me: &Member) -> Result<Enrolment, AppError> {
    let (user, username, key) = (me.user, me.username.clone(), auth.key.clone());
    auth.db
        .write(move |conn| {
            let account = users::by_id(conn, user)?.ok_or(AppError::NotFound)?;
            if account.totp_enabled() {
                return Err(AppError::Conflict("totp_already_enabled"));
            }
            let secret = TotpSecret::generate();
            let sealed = key.seal(secret.as_bytes(), &seal_context(user));
            factors::replace(conn, user, &sealed, db::now())?;
            enrolment(&secret, &username)
        })
        .await
}

/// Turns 2FA on for `user` with a fresh random secret that is shown to nobody, inside the
/// caller's transaction (demo staff accounts: display-only staff).
pub(crate) fn enrol_unheld(
    conn: &mut db::Conn,
    key: &SecretKey,
    user: UserId,
    now: chrono::NaiveDateTime,
) -> Result<(), AppError> {
    let secret = TotpSecret::generate();
    let sealed = key.seal(secret.as_bytes(), &seal_context(user));
    factors::replace(conn, user, &sealed, now)?;
    users::set_totp_enabled(conn, user, Some(now))?;
    Ok(())
}

/// The enrolment waiting for its first code, if any (for showing the QR code again).
pub async fn pending_enrolment(
    auth: &Auth<'_>,
    user: UserId,
    username: &str,
) -> Result<Option<Enrolment>, AppError> {
    let (key, username) = (auth.key.clone(), username.to_owned());
    auth.db
        .run(move |conn| {
            let account = users::by_id(conn, user)?.ok_or(AppError::NotFound)?;
            if account.totp_enabled() {
                return Ok(None);
            }
            match factors::credential(conn, user)? {
                Some(c) => {
                    enrolment(&open_secret(&key, user, &c.secret_ciphertext)?, &username).map(Some)
                }
                None => Ok(None),
            }
        })
        .await
}

/// Unused recovery codes of a member with 2FA on.
pub async fn recovery_codes_left(auth: &Auth<'_>, user: UserId) -> Result<i64, AppError> {
    auth.db
        .run(move |conn| Ok(factors::unused_recovery_codes(conn, user)?))
        .await
}

/// Turns 2FA on with the first code from the app, and issues the recovery codes (shown
/// this once; only their digests are kept).
pub async fn confirm(
    auth: &Auth<'_>,
    me: &Member,
    code: &str,
) -> Result<Vec<RecoveryCode>, AppError> {
    let code = OtpCode::parse(code)?;
    let (user, keys, key, policy) = (
        me.user,
        me.throttle_keys(),
        auth.key.clone(),
        *auth.throttle,
    );
    auth.db
        .write(move |conn| {
            let account = users::by_id(conn, user)?.ok_or(AppError::NotFound)?;
            if account.totp_enabled() {
                return Err(AppError::Conflict("totp_already_enabled"));
            }
            if factors::credential(conn, user)?.is_none() {
                return Err(AppError::Conflict("totp_not_pending"));
            }
            let attempt = throttle::begin(conn, &policy, keys, false, db::now())?;
            if !spend_totp(conn, &key, user, &code)? {
                // Committed: the failure stays counted.
                return Ok(Err(attempt.failed(AppError::InvalidOtp)));
            }
            attempt.succeed(conn)?;
            users::set_totp_enabled(conn, user, Some(db::now()))?;
            Ok(Ok(issue_recovery_codes(conn, user)?))
        })
        .await?
}

fn issue_recovery_codes(conn: &mut db::Conn, user: UserId) -> Result<Vec<RecoveryCode>, AppError> {
    let codes = recovery::generate_set();
    let digests: Vec<String> = codes.iter().map(|c| c.digest(user)).collect();
    factors::replace_recovery_codes(conn, user, &digests, db::now())?;
    Ok(codes)
}

/// Checks a signed-in member's current code (or a recovery code) for a change to 2FA
/// itself or a high-impact staff action (step-up), then makes the change, all in one
/// transaction: the code is spent only if the change lands.
pub(super) async fn with_current_code<T, F>(
    auth: &Auth<'_>,
    me: &Member,
    factor: SecondFactor,
    change: F,
) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut db::Conn, UserId) -> Result<T, AppError> + Send + 'static,
{
    let (user, keys, key, policy) = (
        me.user,
        me.throttle_keys(),
        auth.key.clone(),
        *auth.throttle,
    );
    auth.db
        .write(move |conn| {
            let account = users::by_id(conn, user)?.ok_or(AppError::NotFound)?;
            if !account.totp_enabled() {
                return Err(AppError::Conflict("totp_not_enabled"));
            }
            let attempt = throttle::begin(conn, &policy, keys, false, db::now())?;
            if !spend_second_factor(conn, &key, user, &factor)? {
                return Ok(Err(attempt.failed(AppError::InvalidOtp)));
            }
            attempt.succeed(conn)?;
            Ok(Ok(change(conn, user)?))
        })
        .await?
}

/// Turns 2FA off: the secret and the recovery codes are deleted.
pub async fn disable(auth: &Auth<'_>, me: &Member, factor: SecondFactor) -> Result<(), AppError> {
    with_current_code(auth, me, factor, |conn, user| {
        factors::delete(conn, user)?;
        factors::delete_recovery_codes(conn, user)?;
        users::set_totp_enabled(conn, user, None)?;
        Ok(())
    })
    .await
}

/// Replaces every recovery code with a new set (shown this once).
pub async fn renew_recovery_codes(
    auth: &Auth<'_>,
    me: &Member,
    factor: SecondFactor,
) -> Result<Vec<RecoveryCode>, AppError> {
    with_current_code(auth, me, factor, issue_recovery_codes).await
}

/// Turns 2FA off for a member who lost both the authenticator and every recovery code
/// (the operator's CLI, after checking who is asking by other means). Their sessions end.
pub fn reset_blocking(conn: &mut db::Conn, username: &str) -> Result<users::User, AppError> {
    db::write_blocking(conn, |conn| {
        let user = users::by_key(conn, &lookup_key(username))?.ok_or(AppError::NotFound)?;
        factors::delete(conn, user.id())?;
        factors::delete_recovery_codes(conn, user.id())?;
        users::set_totp_enabled(conn, user.id(), None)?;
        sessions::delete_all_of_user(conn, user.id())?;
        pending_logins::delete_all_of_user(conn, user.id())?;
        users::by_id(conn, user.id())?.ok_or(AppError::NotFound)
    })
}
