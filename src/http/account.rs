//! Logging in (the password step, then the code step for accounts with 2FA), logging out
//! and registering.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::State;
use super::extract::{CurrentUser, HtmlForm};
use super::page::{self, PageCtx};
use super::session::{self, client_meta};
use crate::actions::accounts::{self, NewSessionTokens};
use crate::actions::login::{self, PasswordStep};
use crate::domain::totp::SecondFactor;
use crate::error::AppError;

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
    pub errors: Vec<String>,
    /// Shown when the account or address is locked: a member with 2FA may log in past an
    /// account lock by giving the code with the password.
    pub show_code: bool,
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
        errors: Vec::new(),
        show_code: false,
    })
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
    /// Only on the form shown after a lock (see `LoginPage::show_code`).
    code: Option<String>,
}

fn signed_in(opened: NewSessionTokens, next: &str, secure: bool) -> HttpResponse {
    let mut res = session::with_session_cookie(page::redirect(next), opened.token, secure);
    let _ = res.add_cookie(&session::pending_removal_cookie(secure));
    res
}

fn retry_after(error: &AppError) -> Option<u64> {
    match error {
        AppError::RateLimited(seconds) => Some(*seconds),
        _ => None,
    }
}

/// The password step. With 2FA on, the browser gets a half-login cookie (good for the code
/// step only, for five minutes) and goes to /login/code.
pub async fn login(
    req: HttpRequest,
    ctx: PageCtx,
    state: State,
    HtmlForm(form): HtmlForm<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let next = safe_next(form.next.as_deref());
    let secure = state.settings.secure_cookies;
    let second = match form
        .code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        Some(code) => SecondFactor::parse_either(code)
            .map(Some)
            .map_err(AppError::from),
        None => Ok(None),
    };
    let outcome = match second {
        Ok(second) => {
            login::password_step(
                &state.auth(),
                &form.username,
                &form.password,
                second,
                client_meta(&req),
            )
            .await
        }
        Err(e) => Err(e),
    };
    let error = match outcome {
        Ok(PasswordStep::SignedIn(opened)) => return Ok(signed_in(opened, &next, secure)),
        Ok(PasswordStep::CodeNeeded { pending_token }) => {
            let to = format!(
                "/login/code?{}",
                serde_urlencoded::to_string([("next", next.as_str())]).unwrap_or_default()
            );
            let mut res = page::redirect(&to);
            let _ = res.add_cookie(&session::pending_cookie(pending_token, secure));
            return Ok(res);
        }
        Err(AppError::InvalidCredentials) => {
            return page::render(
                StatusCode::UNAUTHORIZED,
                &LoginPage {
                    errors: vec![ctx.t("login.failed").into_owned()],
                    ctx,
                    username: form.username,
                    next,
                    show_code: form.code.is_some(),
                },
            );
        }
        Err(e) => e,
    };
    let wait = retry_after(&error);
    let (status, errors) = page::refused_form(error, ctx.lang)?;
    page::refused(
        status,
        wait,
        &LoginPage {
            ctx,
            username: form.username,
            next,
            errors,
            show_code: true,
        },
    )
}

#[derive(Template)]
#[template(path = "account/login_code.html")]
pub struct LoginCodePage {
    pub ctx: PageCtx,
    pub next: String,
    pub errors: Vec<String>,
}

fn pending_token(req: &HttpRequest) -> Option<String> {
    req.cookie(session::PENDING_COOKIE)
        .map(|c| c.value().to_owned())
}

/// The code step's form; without a live half-login it sends the browser back to /login.
pub async fn code_form(
    req: HttpRequest,
    ctx: PageCtx,
    state: State,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let next = safe_next(query.next.as_deref());
    let live = match pending_token(&req) {
        Some(token) => login::pending_is_live(&state.auth(), &token).await?,
        None => false,
    };
    if !live {
        return Ok(page::redirect("/login"));
    }
    page::ok(&LoginCodePage {
        ctx,
        next,
        errors: Vec::new(),
    })
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    next: Option<String>,
}

/// The code step: a TOTP code or a recovery code finishes the login with a new session.
pub async fn code(
    req: HttpRequest,
    ctx: PageCtx,
    state: State,
    HtmlForm(form): HtmlForm<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let next = safe_next(form.next.as_deref());
    let secure = state.settings.secure_cookies;
    let token = pending_token(&req).unwrap_or_default();
    let outcome = match SecondFactor::parse_either(&form.code) {
        Ok(factor) => login::code_step(&state.auth(), &token, factor, client_meta(&req)).await,
        Err(v) => Err(v.into()),
    };
    let error = match outcome {
        Ok(opened) => return Ok(signed_in(opened, &next, secure)),
        Err(e) => e,
    };
    if matches!(error, AppError::LoginExpired) {
        let mut res = page::render(
            StatusCode::UNAUTHORIZED,
            &LoginPage {
                errors: vec![error.problem(ctx.lang).detail],
                ctx,
                username: String::new(),
                next,
                show_code: false,
            },
        )?;
        let _ = res.add_cookie(&session::pending_removal_cookie(secure));
        return Ok(res);
    }
    let wait = retry_after(&error);
    let (status, errors) = page::refused_form(error, ctx.lang)?;
    page::refused(status, wait, &LoginCodePage { ctx, next, errors })
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
        &state.names,
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
