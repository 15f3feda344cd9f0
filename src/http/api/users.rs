//! `POST /users` (register), `GET /me`, and the staff's suspension and role changes.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::UserJson;
use crate::actions::{accounts, suspensions};
use crate::error::AppError;
use crate::http::State;
use crate::http::extract::{ApiJson, CurrentUser, Staff};
use crate::http::json;

#[derive(Deserialize)]
pub struct NewAccount {
    username: String,
    password: String,
}

pub async fn create(
    state: State,
    ApiJson(body): ApiJson<NewAccount>,
) -> Result<HttpResponse, AppError> {
    let user = accounts::register(
        &state.db,
        &state.hasher,
        &state.names,
        &body.username,
        &body.password,
    )
    .await?;
    Ok(json::created(&UserJson::from(&user)))
}

pub async fn me(CurrentUser(me): CurrentUser) -> HttpResponse {
    json::ok(&UserJson::from(&me.user))
}

#[derive(Deserialize)]
pub struct Suspension {
    #[serde(default)]
    until: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    otp: String,
}

/// Suspends a member (staff, with a fresh TOTP code).
pub async fn suspend(
    req: HttpRequest,
    Staff(me): Staff,
    state: State,
    username: web::Path<String>,
    ApiJson(body): ApiJson<Suspension>,
) -> Result<HttpResponse, AppError> {
    let user = suspensions::suspend(
        &state.auth(),
        &me.member(&req),
        me.actor(),
        username.into_inner(),
        &body.until,
        &body.reason,
        &body.otp,
    )
    .await?;
    Ok(json::ok(&UserJson::from(&user)))
}

#[derive(Deserialize)]
pub struct FreshCode {
    #[serde(default)]
    otp: String,
}

pub async fn lift_suspension(
    req: HttpRequest,
    Staff(me): Staff,
    state: State,
    username: web::Path<String>,
    ApiJson(body): ApiJson<FreshCode>,
) -> Result<HttpResponse, AppError> {
    let user = suspensions::lift(
        &state.auth(),
        &me.member(&req),
        me.actor(),
        username.into_inner(),
        &body.otp,
    )
    .await?;
    Ok(json::ok(&UserJson::from(&user)))
}

#[derive(Deserialize)]
pub struct NewRole {
    #[serde(default)]
    role: String,
    #[serde(default)]
    otp: String,
}

/// Changes a role (admins, with a fresh TOTP code).
pub async fn set_role(
    req: HttpRequest,
    Staff(me): Staff,
    state: State,
    username: web::Path<String>,
    ApiJson(body): ApiJson<NewRole>,
) -> Result<HttpResponse, AppError> {
    let user = suspensions::set_role(
        &state.auth(),
        &me.member(&req),
        me.actor(),
        username.into_inner(),
        &body.role,
        &body.otp,
    )
    .await?;
    Ok(json::ok(&UserJson::from(&user)))
}
