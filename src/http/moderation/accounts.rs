//! Staff actions on an account, from its profile page: suspend, lift a suspension, change
//! the role (admins). Each asks for a fresh TOTP code (step-up).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::actions::suspensions;
use crate::error::AppError;
use crate::http::State;
use crate::http::extract::{HtmlForm, Staff};
use crate::http::page::{self, PageCtx};
use crate::http::users::profile;

/// The profile again, with why the form was refused.
async fn refused(
    ctx: PageCtx,
    state: &State,
    username: &str,
    error: AppError,
) -> Result<HttpResponse, AppError> {
    let (status, errors) = page::refused_form(error, ctx.lang)?;
    let page = profile(ctx, state, username, errors).await?;
    page::render(status, &page)
}

#[derive(Deserialize)]
pub struct SuspendForm {
    #[serde(default)]
    until: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    code: String,
}

pub async fn suspend(
    req: HttpRequest,
    ctx: PageCtx,
    Staff(me): Staff,
    state: State,
    username: web::Path<String>,
    HtmlForm(form): HtmlForm<SuspendForm>,
) -> Result<HttpResponse, AppError> {
    let name = username.into_inner();
    let done = suspensions::suspend(
        &state.auth(),
        &me.member(&req),
        me.actor(),
        name.clone(),
        &form.until,
        &form.reason,
        &form.code,
    )
    .await;
    match done {
        Ok(user) => Ok(page::redirect(&format!(
            "/u/{}",
            urlencoded(&user.username)
        ))),
        Err(e) => refused(ctx, &state, &name, e).await,
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

pub async fn lift(
    req: HttpRequest,
    ctx: PageCtx,
    Staff(me): Staff,
    state: State,
    username: web::Path<String>,
    HtmlForm(form): HtmlForm<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let name = username.into_inner();
    match suspensions::lift(
        &state.auth(),
        &me.member(&req),
        me.actor(),
        name.clone(),
        &form.code,
    )
    .await
    {
        Ok(user) => Ok(page::redirect(&format!(
            "/u/{}",
            urlencoded(&user.username)
        ))),
        Err(e) => refused(ctx, &state, &name, e).await,
    }
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    code: String,
}

pub async fn set_role(
    req: HttpRequest,
    ctx: PageCtx,
    Staff(me): Staff,
    state: State,
    username: web::Path<String>,
    HtmlForm(form): HtmlForm<RoleForm>,
) -> Result<HttpResponse, AppError> {
    let name = username.into_inner();
    let done = suspensions::set_role(
        &state.auth(),
        &me.member(&req),
        me.actor(),
        name.clone(),
        &form.role,
        &form.code,
    )
    .await;
    match done {
        Ok(user) => Ok(page::redirect(&format!(
            "/u/{}",
            urlencoded(&user.username)
        ))),
        Err(e) => refused(ctx, &state, &name, e).await,
    }
}

fn urlencoded(segment: &str) -> String {
    serde_urlencoded::to_string([("", segment)])
        .map(|s| s.trim_start_matches('=').to_owned())
        .unwrap_or_default()
}
