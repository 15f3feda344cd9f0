//! The member's settings (`/settings`): language, password, 2FA (enrol with a QR code,
//! confirm, turn off, new recovery codes) and the list of sessions with their logout buttons.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::State;
use super::extract::{CurrentUser, HtmlForm};
use super::page::{self, PageCtx, Stamp};
use super::session::{self, SignedIn};
use crate::actions::accounts::{self, SESSION_IDLE};
use crate::actions::two_factor::{self, Enrolment};
use crate::db::{self, sessions};
use crate::domain::ids::SessionId;
use crate::domain::recovery::RecoveryCode;
use crate::domain::totp::SecondFactor;
use crate::error::AppError;
use crate::i18n::Lang;

/// A session in the list.
pub struct SessionItem {
    pub id: i64,
    pub created: Stamp,
    pub last_seen: Stamp,
    pub user_agent: String,
    pub ip: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "account/settings.html")]
pub struct SettingsPage {
    pub ctx: PageCtx,
    /// The stored choice: "auto", "zh-CN" or "en".
    pub language: String,
    pub totp_enabled: bool,
    pub recovery_codes_left: i64,
    /// The secret waiting for its first code, when enrolment has begun.
    pub enrolment: Option<Enrolment>,
    pub sessions: Vec<SessionItem>,
    /// The outcome of the last change, by catalog key.
    pub notice: Option<String>,
    /// Which form `errors` belong to: "totp", "password" or "sessions".
    pub errors_for: &'static str,
    pub errors: Vec<String>,
}

#[derive(Template)]
#[template(path = "account/recovery_codes.html")]
pub struct RecoveryCodesPage {
    pub ctx: PageCtx,
    pub codes: Vec<String>,
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

/// The notices a redirect may ask for; anything else in the query is ignored.
const NOTICES: [&str; 5] = [
    "password_changed",
    "totp_disabled",
    "session_ended",
    "other_sessions_ended",
    "totp_started",
];

async fn settings_page(
    state: &State,
    ctx: PageCtx,
    me: &SignedIn,
    status: StatusCode,
    notice: Option<String>,
    errors_for: &'static str,
    errors: Vec<String>,
) -> Result<HttpResponse, AppError> {
    let auth = state.auth();
    let user = me.user.id();
    let enrolment = if me.user.totp_enabled() {
        None
    } else {
        two_factor::pending_enrolment(&auth, user, &me.user.username).await?
    };
    let recovery_codes_left = if me.user.totp_enabled() {
        two_factor::recovery_codes_left(&auth, user).await?
    } else {
        0
    };
    let listed = state
        .db
        .run(move |conn| {
            let now = db::now();
            sessions::live_of_user(conn, user, now, now - SESSION_IDLE).map_err(AppError::from)
        })
        .await?;
    let sessions = listed
        .into_iter()
        .map(|s| SessionItem {
            id: s.id,
            created: Stamp::new(s.created_at),
            last_seen: Stamp::new(s.last_seen_at),
            user_agent: s.user_agent.unwrap_or_default(),
            ip: s.ip.unwrap_or_default(),
            current: s.id == me.session.get(),
        })
        .collect();
    let shows_secret = enrolment.is_some();
    let res = page::render(
        status,
        &SettingsPage {
            ctx,
            language: me.user.locale.clone().unwrap_or_else(|| "auto".to_owned()),
            totp_enabled: me.user.totp_enabled(),
            recovery_codes_left,
            enrolment,
            sessions,
            notice,
            errors_for,
            errors,
        },
    )?;
    Ok(if shows_secret {
        page::no_store(res)
    } else {
        res
    })
}

pub async fn show(
    ctx: PageCtx,
    state: State,
    CurrentUser(me): CurrentUser,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, AppError> {
    let notice = query
        .notice
        .as_deref()
        .filter(|n| NOTICES.contains(n))
        .map(|n| format!("settings.notice.{n}"));
    settings_page(&state, ctx, &me, StatusCode::OK, notice, "", Vec::new()).await
}

/// Shows the settings again with the reasons a form was refused.
async fn refused(
    state: &State,
    ctx: PageCtx,
    me: &SignedIn,
    form: &'static str,
    error: AppError,
) -> Result<HttpResponse, AppError> {
    let wait = match error {
        AppError::RateLimited(seconds) => Some(seconds),
        _ => None,
    };
    let (status, errors) = page::refused_form(error, ctx.lang)?;
    let mut res = settings_page(state, ctx, me, status, None, form, errors).await?;
    if let Some(seconds) = wait {
        res.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::HeaderValue::from(seconds),
        );
    }
    Ok(res)
}

fn codes_page(ctx: PageCtx, codes: Vec<RecoveryCode>) -> Result<HttpResponse, AppError> {
    let codes = codes.iter().map(RecoveryCode::display).collect();
    page::ok(&RecoveryCodesPage { ctx, codes }).map(page::no_store)
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

/// Begins turning 2FA on; the settings page then shows the QR code and asks for a code.
pub async fn start_totp(
    req: HttpRequest,
    ctx: PageCtx,
    state: State,
    CurrentUser(me): CurrentUser,
) -> Result<HttpResponse, AppError> {
    match two_factor::enrol(&state.auth(), &me.member(&req)).await {
        Ok(_) => Ok(page::redirect("/settings?notice=totp_started#two-factor")),
        Err(e) => refused(&state, ctx, &me, "totp", e).await,
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// Turns 2FA on with the first code and shows the recovery codes, once.
pub async fn confirm_totp(
    req: HttpRequest,
    ctx: PageCtx,
    state: State,
    CurrentUser(me): CurrentUser,
    HtmlForm(form): HtmlForm<CodeForm>,
) -> Result<HttpResponse, AppError> {
    match two_factor::confirm(&state.auth(), &me.member(&req), &form.code).await {
        Ok(codes) => codes_page(ctx, codes),
        Err(e) => refused(&state, ctx, &me, "totp", e).await,
    }
}

pub async fn disable_totp(
    req: HttpRequest,
    ctx: PageCtx,
    state: State,
    CurrentUser(me): CurrentUser,
    HtmlForm(form): HtmlForm<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let outcome = match SecondFactor::parse_either(&form.code) {
        Ok(factor) => two_factor::disable(&state.auth(), &me.member(&req), factor).await,
        Err(v) => Err(v.into()),
    };
    match outcome {
        Ok(()) => Ok(page::redirect("/settings?notice=totp_disabled")),
        Err(e) => refused(&state, ctx, &me, "totp", e).await,
    }
}

pub async fn renew_recovery_codes(
    req: HttpRequest,
    ctx: PageCtx,
    state: State,
    CurrentUser(me): CurrentUser,
    HtmlForm(form): HtmlForm<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let outcome = match SecondFactor::parse_either(&form.code) {
        Ok(factor) => {
            two_factor::renew_recovery_codes(&state.auth(), &me.member(&req), factor).await
        }
        Err(v) => Err(v.into()),
    };
    match outcome {
        Ok(codes) => codes_page(ctx, codes),
        Err(e) => refused(&state, ctx, &me, "totp", e).await,
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

/// Changes the password; every other session of the account ends.
pub async fn change_password(
    req: HttpRequest,
    ctx: PageCtx,
    state: State,
    CurrentUser(me): CurrentUser,
    HtmlForm(form): HtmlForm<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    match accounts::change_password(
        &state.auth(),
        &me.member(&req),
        &form.current_password,
        &form.new_password,
    )
    .await
    {
        Ok(()) => Ok(page::redirect("/settings?notice=password_changed")),
        Err(e) => refused(&state, ctx, &me, "password", e).await,
    }
}

/// Logs out one session; logging out this very session is logging out.
pub async fn end_session(
    state: State,
    CurrentUser(me): CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = SessionId(id.into_inner());
    accounts::revoke_session(&state.db, me.user.id(), id).await?;
    if id == me.session {
        let mut res = page::redirect("/");
        let _ = res.add_cookie(&session::removal_cookie(state.settings.secure_cookies));
        return Ok(res);
    }
    Ok(page::redirect("/settings?notice=session_ended#sessions"))
}

pub async fn end_other_sessions(
    state: State,
    CurrentUser(me): CurrentUser,
) -> Result<HttpResponse, AppError> {
    accounts::revoke_other_sessions(&state.db, me.user.id(), me.session).await?;
    Ok(page::redirect(
        "/settings?notice=other_sessions_ended#sessions",
    ))
}
