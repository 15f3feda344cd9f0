//! High-impact staff actions on accounts: suspending a member, lifting a suspension,
//! changing a role. Each needs a fresh TOTP code (step-up), which is spent in the action's
//! own transaction together with the change and its log entry.

use super::two_factor::with_current_code;
use super::{Auth, Member};
use crate::db::moderation as modq;
use crate::db::users::{self, User};
use crate::db::{self, Conn, sessions};
use crate::domain::moderation::{ModAction, Reason, Target, parse_until};
use crate::domain::permissions::Actor;
use crate::domain::totp::{OtpCode, SecondFactor};
use crate::domain::user::{Role, lookup_key};
use crate::error::AppError;

fn account(conn: &mut Conn, username: &str) -> Result<User, AppError> {
    users::by_key(conn, &lookup_key(username))?.ok_or(AppError::NotFound)
}

/// Suspends a member until `until` (a date or an RFC 3339 time) for `reason`: they can
/// still read and log in, but not write.
pub async fn suspend(
    auth: &Auth<'_>,
    me: &Member,
    actor: Actor,
    username: String,
    until: &str,
    reason: &str,
    code: &str,
) -> Result<User, AppError> {
    actor.staff_power()?;
    let until = parse_until(until, db::now());
    let reason = Reason::parse(reason);
    let code = OtpCode::parse(code);
    let mut problems = Vec::new();
    problems.extend(until.as_ref().err().cloned());
    problems.extend(reason.as_ref().err().cloned());
    problems.extend(code.as_ref().err().cloned());
    let (Ok(until), Ok(reason), Ok(code)) = (until, reason, code) else {
        return Err(AppError::Validation(problems));
    };
    with_current_code(auth, me, SecondFactor::Otp(code), move |conn, _| {
        let target = account(conn, &username)?;
        if target.role() != Role::Member {
            return Err(AppError::Forbidden);
        }
        modq::set_suspension(conn, target.id(), Some(until), Some(reason.as_str()))?;
        let logged = format!(
            "until {}: {}",
            until.and_utc().format("%Y-%m-%d %H:%M UTC"),
            reason.as_str()
        );
        modq::append(
            conn,
            db::now(),
            actor.id,
            ModAction::Suspend,
            Target::User(target.id),
            Some(&logged),
        )?;
        users::by_id(conn, target.id())?.ok_or(AppError::NotFound)
    })
    .await
}

pub async fn lift(
    auth: &Auth<'_>,
    me: &Member,
    actor: Actor,
    username: String,
    code: &str,
) -> Result<User, AppError> {
    actor.staff_power()?;
    let code = OtpCode::parse(code)?;
    with_current_code(auth, me, SecondFactor::Otp(code), move |conn, _| {
        let target = account(conn, &username)?;
        modq::set_suspension(conn, target.id(), None, None)?;
        modq::append(
            conn,
            db::now(),
            actor.id,
            ModAction::LiftSuspension,
            Target::User(target.id),
            None,
        )?;
        users::by_id(conn, target.id())?.ok_or(AppError::NotFound)
    })
    .await
}

/// Changes an account's role (admins only, not their own). The account's sessions end,
/// so that the new rights apply from a fresh login.
pub async fn set_role(
    auth: &Auth<'_>,
    me: &Member,
    actor: Actor,
    username: String,
    role: &str,
    code: &str,
) -> Result<User, AppError> {
    actor.staff_power()?;
    if actor.role != Role::Admin {
        return Err(AppError::Forbidden);
    }
    let role = Role::parse(role).map_err(|_| {
        AppError::Validation(vec![crate::domain::Violation::new("role", "role_unknown")])
    })?;
    let code = OtpCode::parse(code)?;
    with_current_code(auth, me, SecondFactor::Otp(code), move |conn, _| {
        let target = account(conn, &username)?;
        if target.id() == actor.id {
            return Err(AppError::Forbidden);
        }
        users::set_role(conn, target.id(), role)?;
        sessions::delete_all_of_user(conn, target.id())?;
        let logged = format!("{} -> {}", target.role().as_str(), role.as_str());
        modq::append(
            conn,
            db::now(),
            actor.id,
            ModAction::SetRole,
            Target::User(target.id),
            Some(&logged),
        )?;
        users::by_id(conn, target.id())?.ok_or(AppError::NotFound)
    })
    .await
}
