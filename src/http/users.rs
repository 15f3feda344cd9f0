//! A member's public profile (`/u/{username}`); staff also see and change the account's
//! standing there (see `moderation::accounts`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::State;
use super::page::{self, PageCtx, Stamp, ThreadItem};
use crate::db::{threads, users};
use crate::domain::permissions::shows_staff_badge;
use crate::domain::user::{Role, lookup_key};
use crate::error::AppError;

const RECENT_THREADS: i64 = 20;

#[derive(Template)]
#[template(path = "users/show.html")]
pub struct ProfilePage {
    pub ctx: PageCtx,
    pub username: String,
    pub staff: bool,
    pub role: Role,
    pub joined: Stamp,
    /// A running suspension (until, reason): shown to staff and to the member.
    pub suspension: Option<(String, String)>,
    pub threads: Vec<ThreadItem>,
    /// Refusals of a staff form on this page.
    pub errors: Vec<String>,
}

impl ProfilePage {
    pub fn is_member(&self) -> bool {
        self.role == Role::Member
    }

    pub fn viewer_is_admin(&self) -> bool {
        self.ctx.staff() && self.ctx.actor().is_some_and(|a| a.role == Role::Admin)
    }

    pub fn role_name(&self) -> &'static str {
        self.role.as_str()
    }
}

/// The profile of `username`, with `errors` from a refused staff form.
pub async fn profile(
    ctx: PageCtx,
    state: &State,
    username: &str,
    errors: Vec<String>,
) -> Result<ProfilePage, AppError> {
    let key = lookup_key(username);
    let (user, recent) = state
        .db
        .run(move |conn| {
            let user = users::by_key(conn, &key)?.ok_or(AppError::NotFound)?;
            let recent = threads::recent_by_author(conn, user.id(), RECENT_THREADS)?;
            Ok::<_, AppError>((user, recent))
        })
        .await?;
    let sees_standing = ctx.staff() || ctx.user.as_ref().is_some_and(|u| u.actor.id == user.id());
    let suspension = user
        .suspended_until
        .filter(|until| sees_standing && *until > crate::db::now())
        .map(|until| {
            (
                Stamp::new(until).text(),
                user.suspension_reason.clone().unwrap_or_default(),
            )
        });
    Ok(ProfilePage {
        ctx,
        staff: shows_staff_badge(user.role(), user.totp_enabled()),
        role: user.role(),
        joined: Stamp::new(user.created_at),
        suspension,
        username: user.username,
        threads: recent.iter().map(ThreadItem::from).collect(),
        errors,
    })
}

pub async fn show(
    ctx: PageCtx,
    state: State,
    username: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let page = profile(ctx, &state, &username, Vec::new()).await?;
    page::render(StatusCode::OK, &page)
}
