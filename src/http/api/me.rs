//! The signed-in member's own account: 2FA (`/me/totp…`), sessions (`/me/sessions…`) and
//! the password (`/me/password`).

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::utc;
use crate::actions::accounts::{self, SESSION_IDLE};
use crate::actions::two_factor;
use crate::db::{self, sessions};
use crate::domain::Violation;
use crate::domain::ids::SessionId;
use crate::domain::recovery::RecoveryCode;
use crate::domain::totp::{DIGITS, SecondFactor};
use crate::error::AppError;
use crate::http::State;
use crate::http::extract::{ApiJson, CurrentUser};
use crate::http::json;
use crate::http::page::no_store;

#[derive(Serialize)]
struct EnrolmentJson {
    secret: String,
    otpauth_url: String,
    qr_svg: String,
}

/// Starts turning 2FA on: a new secret, pending until `/me/totp/confirm` gets a code.
pub async fn enrol(
    req: HttpRequest,
    state: State,
    CurrentUser(me): CurrentUser,
) -> Result<HttpResponse, AppError> {
    let e = two_factor::enrol(&state.auth(), &me.member(&req)).await?;
    Ok(no_store(json::ok(&EnrolmentJson {
        secret: e.secret,
        otpauth_url: e.otpauth_url,
        qr_svg: e.qr_svg.into_string(),
    })))
}

#[derive(Deserialize)]
pub struct OtpOnly {
    otp: String,
}

#[derive(Serialize)]
struct RecoveryCodesJson {
    recovery_codes: Vec<String>,
}

fn codes(codes: Vec<RecoveryCode>) -> HttpResponse {
    no_store(json::ok(&RecoveryCodesJson {
        recovery_codes: codes.iter().map(RecoveryCode::display).collect(),
    }))
}

pub async fn confirm(
    req: HttpRequest,
    state: State,
    CurrentUser(me): CurrentUser,
    ApiJson(body): ApiJson<OtpOnly>,
) -> Result<HttpResponse, AppError> {
    let issued = two_factor::confirm(&state.auth(), &me.member(&req), &body.otp).await?;
    Ok(codes(issued))
}

/// A current TOTP code, or one of the recovery codes.
#[derive(Deserialize)]
pub struct CurrentCode {
    otp: Option<String>,
    recovery_code: Option<String>,
}

impl CurrentCode {
    fn factor(&self) -> Result<SecondFactor, AppError> {
        SecondFactor::from_fields(self.otp.as_deref(), self.recovery_code.as_deref())?.ok_or_else(
            || AppError::Validation(vec![Violation::with_limit("otp", "otp_malformed", DIGITS)]),
        )
    }
}

pub async fn disable(
    req: HttpRequest,
    state: State,
    CurrentUser(me): CurrentUser,
    ApiJson(body): ApiJson<CurrentCode>,
) -> Result<HttpResponse, AppError> {
    two_factor::disable(&state.auth(), &me.member(&req), body.factor()?).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn renew_recovery_codes(
    req: HttpRequest,
    state: State,
    CurrentUser(me): CurrentUser,
    ApiJson(body): ApiJson<CurrentCode>,
) -> Result<HttpResponse, AppError> {
    let issued =
        two_factor::renew_recovery_codes(&state.auth(), &me.member(&req), body.factor()?).await?;
    Ok(codes(issued))
}

#[derive(Serialize)]
struct SessionJson {
    id: i64,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    user_agent: Option<String>,
    ip: Option<String>,
    current: bool,
}

#[derive(Serialize)]
struct SessionList {
    sessions: Vec<SessionJson>,
}

pub async fn sessions(
    state: State,
    CurrentUser(me): CurrentUser,
) -> Result<HttpResponse, AppError> {
    let user = me.user.id();
    let listed = state
        .db
        .run(move |conn| {
            let now = db::now();
            sessions::live_of_user(conn, user, now, now - SESSION_IDLE).map_err(AppError::from)
        })
        .await?;
    let sessions = listed
        .into_iter()
        .map(|s| SessionJson {
            current: s.id == me.session.get(),
            id: s.id,
            created_at: utc(s.created_at),
            last_seen_at: utc(s.last_seen_at),
            user_agent: s.user_agent,
            ip: s.ip,
        })
        .collect();
    Ok(json::ok(&SessionList { sessions }))
}

pub async fn end_session(
    state: State,
    CurrentUser(me): CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    accounts::revoke_session(&state.db, me.user.id(), SessionId(id.into_inner())).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn end_other_sessions(
    state: State,
    CurrentUser(me): CurrentUser,
) -> Result<HttpResponse, AppError> {
    accounts::revoke_other_sessions(&state.db, me.user.id(), me.session).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
pub struct NewPassword {
    current_password: String,
    new_password: String,
}

/// Changes the password; every other session of the account ends.
pub async fn change_password(
    req: HttpRequest,
    state: State,
    CurrentUser(me): CurrentUser,
    ApiJson(body): ApiJson<NewPassword>,
) -> Result<HttpResponse, AppError> {
    accounts::change_password(
        &state.auth(),
        &me.member(&req),
        &body.current_password,
        &body.new_password,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
