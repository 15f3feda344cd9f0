//! Logging in and out, registering, and the member's settings.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::State;
use super::extract::{CurrentUser, HtmlForm};
use super::page::{self, PageCtx};
use super::session::{self, client_meta};
use crate::actions::accounts;
use crate::error::AppError;
use crate::i18n::Lang;

/// Where to go after logging in: only a path on this site (`/…`, not `//host`), so that
/// a crafted login link cannot send the member elsewhere.
pub fn safe_next(raw: Option<&str>) -> String {
    match raw {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.starts_with("/\\")
                && !p.chars().any(|c| c.is_control() || c == '\\') =>
        {
            p.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[derive(Template)]
#[template(path = "account/login.html")]
pub struct LoginPage {
    pub ctx: PageCtx,
    pub username: String,
    pub next: String,
    pub error: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn login_form(
    ctx: PageCtx,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let next = safe_next(query.next.as_deref());
    page::ok(&LoginPage {
        ctx,
        username: String::new(),
        next,
        error: None,
    })
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

pub async fn login(
    req: HttpRequest,
    ctx: PageCtx,
    state: State,
    HtmlForm(form): HtmlForm<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let next = safe_next(form.next.as_deref());
    match accounts::login(
        &state.db,
        &state.hasher,
        &form.username,
        &form.password,
        client_meta(&req),
    )
    .await
    {
        Ok(opened) => Ok(session::with_session_cookie(
            page::redirect(&next),
            opened.token,
            state.settings.secure_cookies,
        )),
        Err(AppError::InvalidCredentials) => {
            let error = Some(ctx.t("login.failed").into_owned());
            page::render(
                StatusCode::UNAUTHORIZED,
                &LoginPage {
                    ctx,
                    username: form.username,
                    next,
                    error,
                },
            )
        }
        Err(other) => Err(other),
    }
}

#[derive(Template)]
#[template(path = "account/register.html")]
pub struct RegisterPage {
    pub ctx: PageCtx,
    pub username: String,
    pub errors: Vec<String>,
}

pub async fn register_form(ctx: PageCtx) -> Result<HttpResponse, AppError> {
    page::ok(&RegisterPage {
        ctx,
        username: String::new(),
        errors: Vec::new(),
    })
}

#[derive(Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

pub async fn register(
    req: HttpRequest,
    ctx: PageCtx,
    state: State,
    HtmlForm(form): HtmlForm<RegisterForm>,
) -> Result<HttpResponse, AppError> {
    match accounts::sign_up(
        &state.db,
        &state.hasher,
        &form.username,
        &form.password,
        client_meta(&req),
    )
    .await
    {
        Ok(opened) => Ok(session::with_session_cookie(
            page::redirect("/"),
            opened.token,
            state.settings.secure_cookies,
        )),
        Err(AppError::Conflict(code)) => {
            let errors = vec![ctx.t(&format!("problem.{code}.detail")).into_owned()];
            page::render(
                StatusCode::CONFLICT,
                &RegisterPage {
                    ctx,
                    username: form.username,
                    errors,
                },
            )
        }
        Err(e) => {
            let errors = page::form_errors(e, ctx.lang)?;
            page::render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &RegisterPage {
                    ctx,
                    username: form.username,
                    errors,
                },
            )
        }
    }
}

pub async fn logout(state: State, CurrentUser(me): CurrentUser) -> Result<HttpResponse, AppError> {
    accounts::logout(&state.db, me.session).await?;
    let mut res = page::redirect("/");
    let _ = res.add_cookie(&session::removal_cookie(state.settings.secure_cookies));
    Ok(res)
}

#[derive(Template)]
#[template(path = "account/settings.html")]
pub struct SettingsPage {
    pub ctx: PageCtx,
    /// The stored choice: "auto", "zh-CN" or "en".
    pub language: String,
}

pub async fn settings(
    ctx: PageCtx,
    CurrentUser(me): CurrentUser,
) -> Result<HttpResponse, AppError> {
    let language = me.user.locale.clone().unwrap_or_else(|| "auto".to_owned());
    page::ok(&SettingsPage { ctx, language })
}

#[derive(Deserialize)]
pub struct LanguageForm {
    #[serde(default)]
    language: String,
}

pub async fn set_language(
    state: State,
    CurrentUser(me): CurrentUser,
    HtmlForm(form): HtmlForm<LanguageForm>,
) -> Result<HttpResponse, AppError> {
    let choice = match form.language.as_str() {
        "auto" => None,
        other => Some(Lang::from_tag(other).ok_or(AppError::BadRequest("malformed_form"))?),
    };
    accounts::set_language(&state.db, me.user.id(), choice).await?;
    Ok(page::redirect("/settings"))
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(safe_next(Some("/t/5?page=2")), "/t/5?page=2");
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "javascript:alert(1)",
            "/a\nb",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
