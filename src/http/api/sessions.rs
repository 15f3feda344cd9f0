//! `POST /sessions` (log in with the password and, for accounts with 2FA, a code; get a
//! bearer token) and `DELETE /sessions/current` (log out).

use actix_web::{HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::UserJson;
use crate::actions::{accounts, login};
use crate::domain::totp::SecondFactor;
use crate::error::AppError;
use crate::http::State;
use crate::http::extract::{ApiJson, CurrentUser};
use crate::http::json;
use crate::http::session::client_meta;

#[derive(Deserialize)]
pub struct Login {
    username: String,
    password: String,
    /// The TOTP code, for accounts with 2FA (or `recovery_code` instead).
    otp: Option<String>,
    recovery_code: Option<String>,
}

#[derive(Serialize)]
struct NewSession {
    token: String,
    user: UserJson,
}

pub async fn create(
    req: HttpRequest,
    state: State,
    ApiJson(body): ApiJson<Login>,
) -> Result<HttpResponse, AppError> {
    let second = SecondFactor::from_fields(body.otp.as_deref(), body.recovery_code.as_deref())?;
    let opened = login::login(
        &state.auth(),
        &body.username,
        &body.password,
        second,
        client_meta(&req),
    )
    .await?;
    Ok(json::created(&NewSession {
        token: opened.token,
        user: UserJson::from(&opened.user),
    }))
}

pub async fn delete_current(
    state: State,
    CurrentUser(me): CurrentUser,
) -> Result<HttpResponse, AppError> {
    accounts::logout(&state.db, me.session).await?;
    Ok(HttpResponse::NoContent().finish())
}
