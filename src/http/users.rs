//! A member's public profile (`/u/{username}`).

use actix_web::{HttpResponse, web};
use askama::Template;

use super::State;
use super::page::{self, PageCtx, Stamp, ThreadItem};
use crate::db::{threads, users};
use crate::domain::permissions::shows_staff_badge;
use crate::domain::user::lookup_key;
use crate::error::AppError;

const RECENT_THREADS: i64 = 20;

#[derive(Template)]
#[template(path = "users/show.html")]
pub struct ProfilePage {
    pub ctx: PageCtx,
    pub username: String,
    pub staff: bool,
    pub joined: Stamp,
    pub threads: Vec<ThreadItem>,
}

pub async fn show(
    ctx: PageCtx,
    state: State,
    username: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let key = lookup_key(&username);
    let (user, recent) = state
        .db
        .run(move |conn| {
            let user = users::by_key(conn, &key)?.ok_or(AppError::NotFound)?;
            let recent = threads::recent_by_author(conn, user.id(), RECENT_THREADS)?;
            Ok::<_, AppError>((user, recent))
        })
        .await?;
    page::ok(&ProfilePage {
        ctx,
        staff: shows_staff_badge(user.role(), user.totp_enabled()),
        joined: Stamp::new(user.created_at),
        username: user.username,
        threads: recent.iter().map(ThreadItem::from).collect(),
    })
}
